/*
 * stats/userset.h - a set of users with a few flag bits each, exact while
 * small, HyperLogLog beyond a configured size (private to libv6mon).
 *
 * What: each user is a 64-bit key hash (the caller hashes the subscriber key
 * with a well-mixed 64-bit hash, e.g. util/hash.h's hash_bytes with a fixed
 * seed so that collectors agree) with up to 8 flag bits, for example
 *     bit 0 = had qualifying IPv4 traffic, bit 1 = had qualifying IPv6
 *     traffic, bit 2 = holds an IPv6 address.
 * Adding a key ORs its flags into what the set already has for it.
 * userset_count_any(mask) counts the keys having any bit of mask; indicator
 * I1 is count_any(bit1) / count_any(bit0|bit1).
 *
 * Intersections: callers derive them by inclusion-exclusion of unions,
 *     |A and B| = count_any(A) + count_any(B) - count_any(A|B)
 * e.g. dual-stack users = any(v4) + any(v6) - any(v4|v6). This is exact in
 * exact mode. In sketch mode each term has ~0.81% relative error of its own
 * size, so a small intersection of two large sets can come out with a large
 * relative error or even below 0 (clamp it); the absolute error is about
 * 0.81% of the largest term times a small factor.
 *
 * Two modes:
 * - exact: an open-addressing map key -> flags (linear probing, load <= 1/2,
 *   doubles as it fills, 9 bytes a slot) plus a count of keys per flags
 *   value, so count_any() is exact and costs 256 additions.
 * - sketch: when a new key would make more than exact_max distinct keys
 *   (that is, at key exact_max + 1), the map is freed and the set keeps only
 *   its sketches. It never goes back. exact_max = 0 starts in sketch mode.
 *   Also, if the map cannot grow (out of memory) the set switches early and
 *   says so in its stats; userset_add() never fails.
 * In both modes one v6m_hll per flag bit (nbits of them, 16 KiB each,
 * allocated by userset_new()) is kept up to date: sketch b always equals the
 * HLL of every key that has bit b. In exact mode a key updates sketch b only
 * when it gains bit b (an HLL ignores repeats, so this is the same sketch at
 * less cost). So a set can be written out as sketches at any time, and the
 * sketches of different days or collectors merge by register-wise max.
 *
 * Memory: sizeof(struct userset) (~2 KiB) + nbits * 16 KiB + in exact mode
 * 9 bytes per map slot (slots <= 4 x exact_max after doubling).
 *
 * Ownership: userset_new() returns a set the caller frees with
 * userset_free(). userset_sketch() returns a pointer into the set, valid
 * until the next call that modifies it or userset_free(). Other functions
 * borrow their arguments for the call only. Not thread-safe.
 */
#ifndef V6M_STATS_USERSET_H
#define V6M_STATS_USERSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/hll.h>

/* Largest exact_max honoured; larger values are clamped to it. */
#define USERSET_EXACT_LIMIT ((size_t)1 << 28)
#define USERSET_MAX_BITS 8

struct userset;

/* A set that stays exact up to exact_max distinct keys, with nbits flag
 * bits (1 .. 8). NULL when out of memory or nbits is out of range. */
struct userset *userset_new(size_t exact_max, unsigned nbits);

void userset_free(struct userset *s); /* NULL is a no-op */

/* Add key_hash with flags (ORed into its existing flags). Flag bits at or
 * above nbits are ignored; a call with no remaining flag bit adds nothing
 * (a user is in the set once it has at least one bit). */
void userset_add(struct userset *s, uint64_t key_hash, uint8_t flags);

/* A hint, no effect on the contents: start loading the map slot of
 * key_hash, so a caller adding one key to several sets waits for their
 * cache misses at once rather than one after another. NULL is allowed. */
void userset_prefetch(const struct userset *s, uint64_t key_hash);

/* dst = dst union src, ORing the flags of keys in both. The result is exact
 * when both are exact and the union has at most dst's exact_max keys; else
 * dst switches to sketch mode and its sketches are merged register-wise with
 * src's. src bits at or above dst's nbits are ignored. Returns false when
 * out of memory, with dst unchanged. dst == src is allowed (no change). */
bool userset_merge(struct userset *dst, const struct userset *src);

/* Merge a sketch (e.g. read back from the store) into flag bit `bit`. The
 * set switches to sketch mode, since the sketch's keys are unknown. Returns
 * false (nothing changed) when bit >= nbits. */
bool userset_merge_sketch(struct userset *s, unsigned bit, const v6m_hll *h);

bool userset_is_exact(const struct userset *s);

/* Number of keys having any bit of mask: exact in exact mode, else the
 * HLL estimate of the union of the sketches of those bits, rounded to the
 * nearest integer. 0 when mask has no bit that was ever used. */
uint64_t userset_count_any(const struct userset *s, uint8_t mask);

/* The sketch of flag bit `bit`, or NULL when no key ever had that bit (or
 * bit >= nbits). Borrowed; see Ownership. */
const v6m_hll *userset_sketch(const struct userset *s, unsigned bit);

/* Distinct keys held in exact mode; 0 in sketch mode. */
size_t userset_exact_size(const struct userset *s);

unsigned userset_nbits(const struct userset *s);

struct userset_stats {
    size_t bytes;          /* heap bytes held: struct, map, sketches */
    size_t exact_keys;     /* as userset_exact_size() */
    size_t exact_max;      /* after clamping */
    uint64_t adds;         /* userset_add() calls that had a flag bit */
    uint8_t used_bits;     /* flag bits ever seen */
    bool exact;
    bool oom_switch;       /* left exact mode early: the map could not grow */
};
void userset_get_stats(const struct userset *s, struct userset_stats *out);

#endif
