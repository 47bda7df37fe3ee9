/*
 * util/hash.c - streaming 128-bit input digest (see hash.h): four lanes over
 * 32-byte stripes, a tail of fewer than 32 bytes folded word by word, then
 * the lanes, the length and the tail mixed into two 64-bit halves.
 */
#include "util/hash.h"

#include <stdio.h>

#define DG_P1 0x9e3779b185ebca87ULL
#define DG_P2 0xc2b2ae3d27d4eb4fULL
#define DG_P3 0x165667b19e3779f9ULL

static inline uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t dg_round(uint64_t acc, uint64_t w)
{
    acc += w * DG_P2;
    acc = rotl64(acc, 31);
    return acc * DG_P1;
}

void digest128_init(struct digest128 *d)
{
    d->v[0] = DG_P1 + DG_P2;
    d->v[1] = DG_P2;
    d->v[2] = 0x6a09e667f3bcc908ULL;
    d->v[3] = 0 - DG_P1;
    d->length = 0;
    d->ntail = 0;
}

static inline void dg_stripe(uint64_t v[4], const uint8_t *p)
{
    uint64_t w[4];
    memcpy(w, p, 32);
    v[0] = dg_round(v[0], w[0]);
    v[1] = dg_round(v[1], w[1]);
    v[2] = dg_round(v[2], w[2]);
    v[3] = dg_round(v[3], w[3]);
}

void digest128_update(struct digest128 *d, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    d->length += len;
    if (d->ntail) {
        size_t take = 32 - d->ntail;
        if (take > len)
            take = len;
        memcpy(d->tail + d->ntail, p, take);
        d->ntail += take;
        p += take;
        len -= take;
        if (d->ntail < 32)
            return;
        dg_stripe(d->v, d->tail);
        d->ntail = 0;
    }
    uint64_t v[4] = {d->v[0], d->v[1], d->v[2], d->v[3]};
    while (len >= 32) {
        dg_stripe(v, p);
        p += 32;
        len -= 32;
    }
    memcpy(d->v, v, sizeof(v));
    memcpy(d->tail, p, len);
    d->ntail = len;
}

void digest128_final(struct digest128 *d, uint8_t out[16])
{
    uint64_t t = DG_P3;
    size_t i = 0;
    for (; i + 8 <= d->ntail; i += 8) {
        uint64_t w;
        memcpy(&w, d->tail + i, 8);
        t = dg_round(t, w);
    }
    if (i < d->ntail) {
        uint64_t w = 0;
        memcpy(&w, d->tail + i, d->ntail - i);
        t = dg_round(t ^ (uint64_t)(d->ntail - i), w);
    }
    uint64_t a = hash_fmix64(rotl64(d->v[0], 1) + rotl64(d->v[1], 7) + (d->length * DG_P3) + t);
    uint64_t b = hash_fmix64(rotl64(d->v[2], 12) + rotl64(d->v[3], 18) + d->length + rotl64(t, 29));
    a = hash_fmix64(a ^ rotl64(b, 23));
    b = hash_fmix64(b + a);
    for (int k = 0; k < 8; k++) {
        out[k] = (uint8_t)(a >> (56 - 8 * k));
        out[8 + k] = (uint8_t)(b >> (56 - 8 * k));
    }
}

void digest128_hex(const uint8_t in[16], char out[33])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[32] = '\0';
}
