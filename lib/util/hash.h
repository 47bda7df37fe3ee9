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
 * struct digest128: a streaming 128-bit content digest of a byte stream
 * and its length, used to recognise identical inputs across runs (the run
 * key in the store). Definition (digest version 2, since 0.1.0):
 *   - lane j (0..3) is the CRC-32C (Castagnoli, RFC 3720: reflected
 *     polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF) of
 *     the bytes at offsets p with floor(p / 8) mod 4 == j, in order: the
 *     input's 8-byte words dealt to the lanes in turn;
 *   - with L the length in bytes, x = c1 << 32 | c0, y = c3 << 32 | c2:
 *     a = fmix64(x ^ L*K1); b = fmix64(y ^ (L*K2 + K1));
 *     b ^= fmix64(a + K3); a ^= fmix64(b + K1)  (constants in hash.c);
 *   - the digest is a then b, each big-endian.
 * Every step after the lanes is invertible for a given length, and a CRC
 * catches every error burst of up to 32 bits, so changing any one byte (or
 * any run of up to 4 bytes of one lane) always changes the digest; other
 * changes go unnoticed with probability ~2^-128. It identifies, it does not
 * authenticate (anyone can make two files with the same digest).
 * Why CRC-32C: x86-64 CPUs since 2008 have an instruction for it (SSE4.2,
 * picked at run time); four independent lanes run at ~8 bytes a cycle,
 * and every byte of every capture passes through here. Without SSE4.2 a
 * table gives the same bits, slower. (Version 1, before, used xxHash64-
 * style multiply lanes: a run stored by an older v6mon is not recognised
 * as the same input by this one.)
 */
#ifndef V6M_UTIL_HASH_H
#define V6M_UTIL_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The murmur3 64-bit finalizer. Its output is stored (subscriber keys in
 * HyperLogLog sketches, lib/classify/subscriber.c): never change it. */
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
    uint32_t v[4];       /* CRC-32C lanes (not yet inverted) */
    uint64_t length;
    uint8_t tail[32];    /* bytes of an incomplete 32-byte stripe */
    size_t ntail;
    bool portable;       /* never use the CPU's crc32 instruction (tests) */
};

void digest128_init(struct digest128 *d);
/* The same digest computed without any CPU-specific instruction; for
 * tests that check both paths give the same bits. */
void digest128_init_portable(struct digest128 *d);
void digest128_update(struct digest128 *d, const void *data, size_t len);
/* 16 bytes out; d may not be updated afterwards. */
void digest128_final(struct digest128 *d, uint8_t out[16]);
/* 32 lowercase hex chars + NUL. */
void digest128_hex(const uint8_t in[16], char out[33]);

/* CRC-32C of len bytes continuing from crc (0 to start), as RFC 3720
 * defines it: hash_crc32c(0, "123456789", 9) == 0xe3069283. Portable
 * table code; the digest's lanes are this function over their bytes. */
uint32_t hash_crc32c(uint32_t crc, const void *data, size_t len);

#endif
