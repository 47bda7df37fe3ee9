/*
 * util/hash.c - streaming 128-bit input digest (see hash.h). Two lanes fed
 * the same 8-byte words with different multipliers and rotations; the
 * finaliser folds in the total length.
 */
#include "util/hash.h"

#include <stdio.h>

void digest128_init(struct digest128 *d)
{
    d->h1 = 0x6a09e667f3bcc908ULL;
    d->h2 = 0xbb67ae8584caa73bULL;
    d->length = 0;
    d->ntail = 0;
}

static inline void digest128_word(struct digest128 *d, uint64_t w)
{
    d->h1 ^= hash_fmix64(w * 0x87c37b91114253d5ULL);
    d->h1 = (d->h1 << 27 | d->h1 >> 37) * 5 + 0x52dce729;
    d->h2 ^= hash_fmix64(w * 0x4cf5ad432745937fULL + 0x38495ab5);
    d->h2 = (d->h2 << 31 | d->h2 >> 33) * 5 + 0x38495ab5;
}

void digest128_update(struct digest128 *d, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    d->length += len;
    if (d->ntail) {
        while (len && d->ntail < 8) {
            d->tail[d->ntail++] = *p++;
            len--;
        }
        if (d->ntail < 8)
            return;
        uint64_t w;
        memcpy(&w, d->tail, 8);
        digest128_word(d, w);
        d->ntail = 0;
    }
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        digest128_word(d, w);
        p += 8;
        len -= 8;
    }
    memcpy(d->tail, p, len);
    d->ntail = len;
}

void digest128_final(struct digest128 *d, uint8_t out[16])
{
    if (d->ntail) {
        uint64_t w = 0;
        memcpy(&w, d->tail, d->ntail);
        digest128_word(d, w ^ 0xa5a5a5a5a5a5a5a5ULL);
    }
    uint64_t a = hash_fmix64(d->h1 ^ d->length);
    uint64_t b = hash_fmix64(d->h2 + a);
    a = hash_fmix64(a + b);
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(a >> (56 - 8 * i));
        out[8 + i] = (uint8_t)(b >> (56 - 8 * i));
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
