/*
 * classify/dnscache.h - which name a client asked for, per (client, server
 * address), learnt from the DNS answers seen in the traffic, so a later flow
 * from that client to that address gets the name (and through the app
 * catalog, an app).
 *
 * Two bounded tables and a name table:
 *   - client table: (client family, client address, answer family, answer
 *     address) -> name id, expiry. A lookup tries it first.
 *   - address table: (answer family, answer address) -> the name of the
 *     MOST RECENT answer holding that address, given to any client. A
 *     lookup falls back to it (and says so): clients behind NAT, or that
 *     resolve over DoH/DoT, make flows to addresses whose answer was seen
 *     for another client address or not at all. A newer answer for the
 *     same address with another name replaces the entry; the same name
 *     extends its expiry to the later of the two.
 *   - names: each distinct name stored once, identified by a 32-bit id > 0
 *     that stays valid, with its string, for the cache's life (flow
 *     records keep ids, not strings). Names are normalised: ASCII
 *     lowercased, one trailing dot removed; 1..253 printable ASCII bytes
 *     without spaces, else refused.
 *
 * Expiry: an answer put at now with TTL t is used while
 *   now < put + (clamp(t, min_ttl_s, max_ttl_s) + grace_s) seconds;
 * clients keep using answers a little past their TTL (connection reuse,
 * OS caches), hence the grace. Time is the packets' (now_ns), never the
 * wall clock. Expired entries are removed lazily when a lookup finds them,
 * plus a sweep hand that checks 2 slots of each table on every put.
 *
 * Bounds: each table holds at most max_entries entries; when full, a put
 * evicts the entry put longest ago (a doubly linked list in put order; a
 * re-put moves an entry to the young end) in O(1). The name table holds at
 * most max_names names and max_name_bytes bytes; beyond, interning returns
 * 0 and counts the refusal. Names are never removed (their ids must stay
 * valid): a cache that lives for weeks should be recreated periodically.
 *
 * Memory: 68 bytes per entry of each table (a 64-byte cache line and a
 * 4-byte hash bucket), reserved up front for max_entries but touched only
 * as entries are used, plus the names. Hash tables use a per-cache random
 * seed (keys come from the traffic) and chaining.
 *
 * Addresses are 16 bytes: IPv4 in the first 4 (the rest is ignored);
 * families are 1 (IPv4) and 2 (IPv6) as V6M_FAMILY_*; other families are
 * ignored by put and miss in get.
 * Ownership: the cache owns its names; dnscache_name() returns a pointer
 * valid until dnscache_free(). Not thread-safe (one per pipeline).
 */
#ifndef V6M_CLASSIFY_DNSCACHE_H
#define V6M_CLASSIFY_DNSCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A zero field means its default. */
struct dnscache_config {
    size_t max_entries;     /* per table; default 1,000,000 */
    uint32_t min_ttl_s;     /* default 60 */
    uint32_t max_ttl_s;     /* default 86400 (raised to min_ttl_s if below) */
    uint32_t grace_s;       /* default 300 */
    size_t max_names;       /* default max_entries */
    size_t max_name_bytes;  /* default 64 MiB */
};

#define DNSCACHE_DEFAULT_MAX_ENTRIES 1000000u
#define DNSCACHE_DEFAULT_MIN_TTL 60u
#define DNSCACHE_DEFAULT_MAX_TTL 86400u
#define DNSCACHE_DEFAULT_GRACE 300u
#define DNSCACHE_DEFAULT_NAME_BYTES (64u << 20)

struct dnscache;

/* cfg may be NULL (all defaults). NULL when out of memory or max_entries
 * exceeds 2^31. */
struct dnscache *dnscache_new(const struct dnscache_config *cfg);
void dnscache_free(struct dnscache *c); /* NULL is a no-op */

/* Id > 0 of name (stored on first sight), 0 when refused (invalid or the
 * name table is full). */
uint32_t dnscache_intern(struct dnscache *c, const char *name);
/* The normalised name of an id, NULL for 0 or an unknown id. */
const char *dnscache_name(const struct dnscache *c, uint32_t id);

/* Record that `client` was told name_id has address `addr` with ttl_s.
 * name_id 0 or a bad family: ignored (not counted as a put). */
void dnscache_put(struct dnscache *c, uint8_t family, const uint8_t client[16],
                  uint8_t addr_family, const uint8_t addr[16], uint32_t name_id,
                  uint32_t ttl_s, uint64_t now_ns);

/* The name id for a flow from client to addr: the client's own unexpired
 * entry, else the most recent unexpired answer for addr given to any client
 * (*from_other_client = true then; the pointer may be NULL); 0 = unknown. */
uint32_t dnscache_get(struct dnscache *c, uint8_t family, const uint8_t client[16],
                      uint8_t addr_family, const uint8_t addr[16], uint64_t now_ns,
                      bool *from_other_client);

struct dnscache_stats {
    uint64_t entries;          /* client table, now */
    uint64_t max_entries_seen; /* client table, high-water mark */
    uint64_t puts;
    uint64_t hits_client;      /* get answered by the client's own entry */
    uint64_t hits_any;         /* get answered by the address table */
    uint64_t misses;
    uint64_t expired;          /* client-table entries removed after expiry */
    uint64_t evicted;          /* client-table entries removed because full */
    uint64_t names;            /* distinct names stored */
    uint64_t names_refused;    /* intern calls refused: table full */
    uint64_t names_invalid;    /* intern calls refused: not a valid name */
    uint64_t name_bytes;       /* bytes of stored names (with NULs) */
    uint64_t addr_entries;     /* address table, now */
    uint64_t addr_expired;
    uint64_t addr_evicted;
};
void dnscache_get_stats(const struct dnscache *c, struct dnscache_stats *out);

#endif
