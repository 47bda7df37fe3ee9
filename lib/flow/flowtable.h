/*
 * flow/flowtable.h - bounded bidirectional flow table (private to libv6mon).
 *
 * Keys: (family, protocol, segment, the two (address, port) endpoints of the
 * innermost IP header) stored in canonical order (lower endpoint first) so
 * both directions of a conversation find the same entry. The endpoint that
 * sent the first packet is the record's "a" side. ICMP/ICMPv6 use the echo
 * identifier (v6m_packet.sport) as both ports, so a request and its reply
 * are one flow.
 *
 * Lifecycle: flow_table_new() -> flow_table_packet() per IP packet ->
 * flow_table_flush() at end of input -> flow_table_free(). Every flow that
 * ends (idle, active, evicted, end of input) is handed once to the on_end
 * callback as a struct v6m_flow_record (borrowed for the call).
 *
 * Memory: max_flows entries are allocated once (mmap: pages are touched
 * only as entries are first used; freed entries are reused first, so the
 * touched part follows the peak of live flows) plus an index of 8-byte
 * slots that starts at 16384 and doubles while the load passes 3/4, up to
 * 2x-4x max_flows. The index doubling is the only allocation after new().
 *
 * Ownership: the table owns its entries; pointers returned by
 * flow_table_packet() stay valid until the next call into the table.
 */
#ifndef V6M_FLOW_FLOWTABLE_H
#define V6M_FLOW_FLOWTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/flow.h>
#include <v6mon/packet.h>

#define FLOW_TABLE_MAX_FLOWS ((size_t)1 << 30)

struct flow_entry;

struct flow_table_config {
    size_t max_flows;        /* 1 .. FLOW_TABLE_MAX_FLOWS */
    uint64_t idle_ns;        /* end a flow after this long without a packet */
    uint64_t active_ns;      /* end (and restart) a flow older than this */
    uint64_t seed;           /* hash seed; 0 = random (getrandom) */
    unsigned expire_budget;  /* idle entries ended per packet; 0 = default 2 */
    void (*on_end)(void *user, const struct v6m_flow_record *rec);
    /* Called just before on_end with the entry itself (its `user` and `aux`
     * fields still set), so a caller can release per-flow state. */
    void (*on_end_entry)(void *user, struct flow_entry *e, uint8_t end);
    void *user;
};

/* Canonical key. Addresses: IPv4 lo in addr[0..3], hi in addr[4..7];
 * IPv6 lo in addr[0..15], hi in addr[16..31]. No padding bytes. */
struct flow_ckey {
    uint8_t family;
    uint8_t proto;
    uint16_t segment;
    uint16_t port_lo;
    uint16_t port_hi;
    uint8_t addr[32];
};

/* 128 bytes, 128-aligned in the slab: a lookup compares the key and
 * checks the times in the first cache line; the counters and the caller's
 * fields are in the second (loaded together). */
struct flow_entry {
    /* first line: what a lookup reads */
    _Alignas(64) struct flow_ckey k;
    uint64_t first_ns;
    uint64_t last_ns;
    uint32_t h32;         /* low 32 bits of the key hash */
    uint8_t a_is_lo;      /* the "a" side is the lower endpoint */
    uint8_t tcp_flags;
    uint8_t direction;    /* of the first packet */
    uint8_t referenced;   /* a packet came since it was queued (CLOCK bit) */
    /* second line: what a packet adds to (queue links live apart) */
    uint64_t packets[2];  /* [0] a->b, [1] b->a */
    uint64_t bytes[2];
    uint64_t user;        /* free for the caller; 0 when the flow is created */
    uint32_t aux;         /* free for the caller; 0 when the flow is created */
    uint32_t pad_[5];
};

struct flow_table_stats {
    uint64_t active;         /* flows in the table now */
    uint64_t max_active;     /* high-water mark */
    uint64_t created;
    uint64_t evicted;        /* ended because the table was full */
    uint64_t expired_idle;
    uint64_t expired_active;
    uint64_t flushed;        /* ended by flow_table_flush() */
};

struct flow_table;

/* NULL when out of memory or cfg is invalid (max_flows 0 or too large). */
struct flow_table *flow_table_new(const struct flow_table_config *cfg);
void flow_table_free(struct flow_table *ft); /* NULL is a no-op; no callbacks */

/* Account one packet of family IPv4/IPv6 (others: returns NULL). Does a
 * fixed budget of idle-expiry steps at the queue head, finds or creates the
 * packet's flow (ending the old one first when it has been idle or active
 * too long, or an old one chosen by CLOCK when the table is full), adds the
 * packet and returns the entry. *created tells whether it is new. */
struct flow_entry *flow_table_packet(struct flow_table *ft,
                                     const struct v6m_packet *pkt,
                                     uint16_t segment, uint8_t direction,
                                     bool *created);

/* The same in two steps, so a caller can start the index load early and do
 * other work while it arrives: prepare() builds the canonical key, hashes
 * it and prefetches the index slot (false for non-IP records); apply() is
 * flow_table_packet() with that key. No call into the table may come
 * between the two except get_stats. */
struct flow_lookup {
    struct flow_ckey k;
    uint32_t h32;
    uint8_t kl;      /* key bytes in use: 16 (IPv4) or 40 (IPv6); all 40 are
                      * compared (an IPv4 key's tail is zero) */
    uint8_t src_lo;  /* the packet's source is the lower endpoint */
};
bool flow_table_prepare(const struct flow_table *ft, const struct v6m_packet *pkt,
                        uint16_t segment, struct flow_lookup *lk);
struct flow_entry *flow_table_apply(struct flow_table *ft, const struct v6m_packet *pkt,
                                    const struct flow_lookup *lk, uint8_t direction,
                                    bool *created);

/* End every flow (V6M_FLOW_END_EOF), in queue order (oldest first). */
void flow_table_flush(struct flow_table *ft);

void flow_table_get_stats(const struct flow_table *ft, struct flow_table_stats *st);

/* The record of an entry (as handed to on_end, with end left 0). */
void flow_entry_record(const struct flow_entry *e, struct v6m_flow_record *rec);

#endif
