/*
 * classify/prefix.h - longest-prefix-match table for IPv4 or IPv6 prefixes,
 * shared by the segments table (segments.c) and the subscriber bindings
 * (bindings.c).
 *
 * Algorithm: one open-addressing hash of (masked address, length) plus the
 * list of distinct lengths present, longest first. A lookup masks the
 * address for each length and probes; the first hit is the longest match.
 * With the few distinct lengths real configurations use (/32 and /24 for
 * IPv4, /64, /60, /56, /48 for IPv6) this is a handful of hashes of 4 or 16
 * bytes, independent of the number of prefixes (a bit trie walks up to 32 or
 * 128 nodes and touches a cache line per node). Linear probing, load factor
 * <= 1/2, no deletions.
 *
 * Use: pfxtab_init() with the number of prefixes that will be inserted (the
 * capacity is fixed then: no rehash), pfxtab_insert() each one, then only
 * pfxtab_lookup(), which does not write and is safe from several threads.
 * Keys come from configuration files (trusted), so the hash seed is fixed.
 *
 * Invariants: every stored address has its host bits cleared; count <=
 * capacity <= (mask + 1) / 2; lens[0..n_lens) are distinct and descending.
 * Memory: 32 bytes a slot, 2 to 4 slots a prefix; large tables are
 * anonymous mappings with transparent huge pages requested (a lookup in a
 * table of millions of prefixes otherwise pays a TLB miss per probe).
 * Ownership: the table owns its slot array; pfxtab_release() frees it.
 */
#ifndef V6M_CLASSIFY_PREFIX_H
#define V6M_CLASSIFY_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pfx_slot {
    uint8_t addr[16]; /* masked; IPv4 in the first 4 bytes, rest zero */
    uint8_t len;      /* prefix length */
    uint8_t used;
    uint32_t value;   /* caller's payload (segment id, subscriber index) */
    uint32_t line;    /* caller's payload: source line, for messages */
    uint32_t spare;   /* pads the slot to 32 bytes: a probe reads one line */
};

struct pfxtab {
    struct pfx_slot *slots; /* NULL when empty */
    size_t mask;            /* slots - 1 */
    size_t count, capacity;
    unsigned alen;          /* 4 (IPv4) or 16 (IPv6) bytes compared */
    unsigned n_lens;
    uint8_t lens[129];      /* distinct lengths present, longest first */
};

/* out = in with all bits after the first len cleared (len <= 128). */
void pfx_mask(uint8_t out[16], const uint8_t in[16], unsigned len);

/* Empty table for family 1 (IPv4, alen 4) or 2 (IPv6, alen 16) with room
 * for capacity prefixes (0: no allocation, lookups miss). Returns false on
 * out of memory or a capacity too large to index; t is then empty. */
bool pfxtab_init(struct pfxtab *t, unsigned family, size_t capacity);

void pfxtab_release(struct pfxtab *t);

/* Insert addr/len (host bits must already be clear; len <= 32 or 128).
 * Returns the slot holding that prefix: a new one filled with value and
 * line (*added = true), or the existing one, unchanged (*added = false),
 * so the caller decides whether a repeat is a conflict. NULL when the table
 * already holds `capacity` prefixes. */
struct pfx_slot *pfxtab_insert(struct pfxtab *t, const uint8_t addr[16], unsigned len,
                               uint32_t value, uint32_t line, bool *added);

/* Longest prefix holding addr, or NULL. Reads only the first alen bytes. */
const struct pfx_slot *pfxtab_lookup(const struct pfxtab *t, const uint8_t addr[16]);

#endif
