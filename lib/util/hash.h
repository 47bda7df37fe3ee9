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
 * struct digest128: a streaming 128-bit digest (two independent 64-bit
 * lanes) of a byte stream plus its length, used to recognise identical
 * inputs across runs. Also non-cryptographic: it identifies, it does not
 * authenticate.
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
    uint64_t h1, h2;
    uint64_t length;
    uint8_t tail[8];
    size_t ntail;
};

void digest128_init(struct digest128 *d);
void digest128_update(struct digest128 *d, const void *data, size_t len);
/* 16 bytes out; d may not be updated afterwards. */
void digest128_final(struct digest128 *d, uint8_t out[16]);
/* 32 lowercase hex chars + NUL. */
void digest128_hex(const uint8_t in[16], char out[33]);

#endif
