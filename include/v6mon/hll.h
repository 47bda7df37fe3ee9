/*
 * v6mon/hll.h - HyperLogLog distinct-count sketch (p = 14, 64-bit hashes).
 *
 * What: a fixed 16 KiB sketch that estimates how many distinct 64-bit hashes
 * were added, with a relative standard error of about 1.04/sqrt(2^14) =
 * 0.81%. Two sketches merge by register-wise maximum into the sketch of the
 * union, exactly as if every hash had been added to one sketch; this is how
 * days, windows and collectors combine (indicator I1, active users).
 *
 * Registers: m = 2^p = 16384 registers of 6 bits (stored one per byte).
 * For a hash h, the top p bits select register i = h >> 50; the other
 * q = 64 - p = 50 bits w give the rank r = (number of leading zeros of w in
 * its 50 bits) + 1, or q + 1 = 51 when w is zero. reg[i] = max(reg[i], r).
 * Register values are therefore 0 (never hit) .. 51.
 *
 * Estimator: Ertl's improved raw estimator (O. Ertl, "New cardinality
 * estimation algorithms for HyperLogLog sketches", arXiv:1702.01284, 2017,
 * Algorithm 6). From the histogram C[k] = number of registers equal to k:
 *     z = m * tau(1 - C[q+1]/m)
 *     for k = q .. 1:  z = (z + C[k]) / 2
 *     z = z + m * sigma(C[0]/m)
 *     estimate = m^2 / (2 ln 2 * z)
 * with sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1) and
 *      tau(x)   = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3.
 * sigma() folds the empty registers in the way linear counting would, tau()
 * corrects for saturated registers, so the one formula is accurate from 0 to
 * beyond 10^12 distinct values with no empirical bias tables and no switch
 * between a small-range and a large-range formula (the original 2007
 * estimator needs both, and its switch point has a visible bias bump).
 * An empty sketch estimates 0; a sketch whose registers are all 51 (not
 * reachable with real data) estimates +infinity.
 *
 * Serialized form (all integers big-endian; see docs/internals/hll.md):
 *     offset 0  4 bytes  magic "V6HL" (0x56 0x36 0x48 0x4c)
 *     offset 4  1 byte   version = 1
 *     offset 5  1 byte   p = 14
 *     offset 6  1 byte   encoding: 1 = sparse, 2 = dense
 *     offset 7  1 byte   reserved, must be 0
 *   sparse (encoding 1):
 *     offset 8  2 bytes  n = number of entries (0 .. 16384)
 *     offset 10 n * 3    entries: 2 bytes register index (< 16384, strictly
 *                        increasing), 1 byte value (1 .. 51)
 *     total 10 + 3n bytes; registers not listed are 0.
 *   dense (encoding 2):
 *     offset 8  12288 bytes: the 16384 registers as 6-bit fields, register 0
 *               first, most significant bit first (register i occupies bits
 *               6i .. 6i+5 of the stream; bit 0 is the MSB of byte 8).
 *               Every value must be <= 51.
 *     total 12296 bytes.
 * The writer uses sparse when fewer than 4096 registers are non-zero
 * (3n < 12288) and dense otherwise, so a serialized sketch is never larger
 * than 12296 bytes and the writer's output for given registers is unique.
 * The reader accepts either encoding for any number of non-zero registers,
 * rejects trailing bytes and anything else out of place.
 *
 * Memory: the struct is the whole sketch, embedded by the caller (no heap).
 * Thread safety: none; a sketch is plain data.
 * Ownership: functions borrow their pointers for the call only.
 */
#ifndef V6MON_HLL_H
#define V6MON_HLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/error.h>

#define V6M_HLL_P 14
#define V6M_HLL_REGISTERS (1u << 14)
/* Largest register value: 64 - p + 1. */
#define V6M_HLL_MAX_RANK (64 - V6M_HLL_P + 1)

typedef struct v6m_hll {
    uint8_t reg[V6M_HLL_REGISTERS];
} v6m_hll;

/* All registers 0 (the empty set). */
void v6m_hll_init(v6m_hll *h);

/* Add one element given as its 64-bit hash. The caller passes a well-mixed
 * hash (every input bit spread over every output bit, e.g. a murmur3 or
 * splitmix64 finaliser of the key); the sketch uses the bits as they are. */
void v6m_hll_add_hash(v6m_hll *h, uint64_t hash);

/* dst = dst union src (register-wise max). dst == src is allowed. */
void v6m_hll_merge(v6m_hll *dst, const v6m_hll *src);

/* Estimated number of distinct hashes added (>= 0; 0 for an empty sketch). */
double v6m_hll_estimate(const v6m_hll *h);

/* True when no hash was ever added (all registers 0). */
bool v6m_hll_is_empty(const v6m_hll *h);

/* Upper bound of v6m_hll_serialize()'s output: 12296 bytes. */
size_t v6m_hll_serialized_max(void);

/* Write h in the layout above into out[0..cap). Returns the number of bytes
 * written, or 0 (nothing written) when cap is too small for this sketch;
 * a cap of v6m_hll_serialized_max() always suffices. */
size_t v6m_hll_serialize(const v6m_hll *h, uint8_t *out, size_t cap);

/* Read a serialized sketch from untrusted bytes in[0..len). Never reads
 * outside them. On success fills *h and returns V6M_OK. On failure *h is
 * left unchanged and the result is:
 *   V6M_ERR_INVALID_ARG  h is NULL, or in is NULL with len > 0
 *   V6M_ERR_TRUNCATED    the input ends before the header or the encoding's
 *                        payload is complete
 *   V6M_ERR_FORMAT       wrong magic, reserved byte not 0, unknown encoding,
 *                        a register value above 51, a sparse index >= 16384,
 *                        sparse indices not strictly increasing, a sparse
 *                        value of 0, or bytes after the payload
 *   V6M_ERR_UNSUPPORTED  a version other than 1, or a p other than 14 */
v6m_err v6m_hll_deserialize(v6m_hll *h, const uint8_t *in, size_t len);

#endif
