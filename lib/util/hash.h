/*
 * util/hash.h - fast non-cryptographic hashing.
 *
 * hash_bytes(): 64-bit hash of a byte string, used for flow and fragment
 * table keys. It reads 8-byte words with memcpy (no alignment assumption),
 * mixes each with a multiply-xorshift step and finishes with the murmur3
 * 64-bit finaliser, which spreads every input bit over the output. Not
 * collision-resistant against an adversary: tables keyed by attacker data
 * also mix in a per-table random seed.
 *
 * struct digest128: a streaming 128-bit digest of a byte stream plus its
 * length, used to recognise identical inputs across runs. It consumes
 * 32-byte stripes in four independent lanes (acc = rotl(acc + w * P2, 31)
 * * P1, the round of the xxHash64 family), so the multiplies of the lanes
 * overlap in the pipeline: several GB/s, which matters because every byte
 * of every capture passes through it. Also non-cryptographic: it
 * identifies, it does not authenticate.
 */
#ifndef V6M_UTIL_HASH_H
#define V6M_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t hash_fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

static inline uint64_t hash_bytes(const void *data, size_t len, uint64_t seed)
{
    const uint8_t *p = (const uint8_t *)data;
    uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h ^= hash_fmix64(w + 0x9e3779b97f4a7c15ULL);
        h = (h << 27 | h >> 37) * 0x87c37b91114253d5ULL + 0x52dce729;
        p += 8;
        len -= 8;
    }
    if (len) {
        uint64_t w = 0;
        memcpy(&w, p, len);
        h ^= hash_fmix64(w ^ 0x4cf5ad432745937fULL);
        h = (h << 31 | h >> 33) * 0x87c37b91114253d5ULL;
    }
    return hash_fmix64(h);
}

struct digest128 {
    uint64_t v[4];       /* four independent lanes, 8 bytes each per stripe */
    uint64_t length;
    uint8_t tail[32];    /* bytes of an incomplete 32-byte stripe */
    size_t ntail;
};

void digest128_init(struct digest128 *d);
void digest128_update(struct digest128 *d, const void *data, size_t len);
/* 16 bytes out; d may not be updated afterwards. */
void digest128_final(struct digest128 *d, uint8_t out[16]);
/* 32 lowercase hex chars + NUL. */
void digest128_hex(const uint8_t in[16], char out[33]);

#endif
