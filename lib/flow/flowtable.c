/*
 * flow/flowtable.c - bounded bidirectional flow table (see flowtable.h and
 * docs/internals/aggregate.md).
 *
 * Algorithm
 *   Index: open addressing with linear probing over a power-of-two array of
 *   8-byte slots {h32, entry index + 1}. It starts at 16384 slots and
 *   doubles (one rehash, log2(max/8192) times per run) whenever the load
 *   would pass 3/4, up to >= 2 * max_flows slots: the load factor stays
 *   <= 3/4 so probe runs are short, and the index stays as small as the
 *   live flows (a 16 MiB index for 1 M flows costs a cache and TLB miss per
 *   packet even when only a few thousand flows are live: measured 3x slower
 *   flow step). A slot's h32 is compared before the entry is touched, so a
 *   miss rarely leaves the index.
 *   Removal uses backward-shift deletion (no tombstones), so lookups never
 *   degrade over a long run.
 *   Hash: flow_hash4()/flow_hash6() below, a keyed multiply-fold over the
 *   canonical key (16 bytes for IPv4, 40 for IPv6) with keys derived from a
 *   per-table seed (random unless configured), so a sender cannot aim its
 *   packets at one probe run; util/hash.h's fmix64 derives the keys. The
 *   key words are built in registers and hashed there (prepare()), then
 *   stored once. The lower endpoint is chosen and the words are swapped
 *   into place without branches (swap_if()), and keys are always compared
 *   as 40 bytes (an IPv4 key's tail is zero): IPv4/IPv6 and which side is
 *   lower change at random from packet to packet, so those branches were
 *   mispredicted on about half of the packets.
 *   Entries: one slab of max_flows 128-byte entries mapped at creation
 *   (anonymous mmap, huge pages requested), each on two whole cache lines
 *   (lookup fields, then counters); freed entries go to a free list;
 *   never-used entries are taken by a bump index so untouched pages of the
 *   slab are never committed. Queue links and times live in a parallel
 *   array of 16-byte records (q[]), so queue work stays out of the slab.
 *   Time order: a FIFO queue (doubly linked list of indexes) ordered by
 *   the time each flow was queued (q_ns). A packet of a live flow does not
 *   move it (that would touch two neighbouring entries and the tail, three
 *   cache misses per packet on a large table: measured ~600 ns/packet at
 *   1 M random flows with the move); it only sets the flow's `referenced`
 *   bit. Each packet then does at most expire_budget steps at the head,
 *   and only while the head was queued longer than idle_ns ago (tested on
 *   head_q_ns, a copy of the head's time kept in the table, so no entry is
 *   loaded while nothing is due; when a step happens the next head's entry
 *   and the queue record of the head after it are prefetched for the next
 *   packet's step, and the head's own index slot, read when it ends): an
 *   idle
 *   head ends (IDLE), a live one is queued again at the tail with its bit
 *   cleared, which happens at most once per idle_ns per flow. So an idle
 *   flow ends at the latest ~idle_ns after it became idle, and at once when
 *   its own next packet arrives (checked on every hit, below). Active
 *   timeouts are checked when a flow's packet arrives: the old record ends
 *   as ACTIVE and a new flow starts with this packet.
 *   Full table: CLOCK replacement: a head whose bit is set goes back to the
 *   tail (up to 8 times), then the head ends: as IDLE when it is idle by
 *   now, else as EVICTED (counted). This approximates least recently used.
 *
 * Time: "now" is the largest timestamp seen; out-of-order packets update
 *   last_ns/first_ns by max/min and never end a flow on their own.
 *
 * Invariants: active == entries on the queue == occupied slots;
 *   every occupied slot's entry has the same h32; head/tail are NIL iff
 *   active == 0; q_ns never decreases from head to tail and q_ns <= now.
 */
#include "flow/flowtable.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "util/hash.h"

#define NIL UINT32_MAX
#define FLOW_SECOND_CHANCES 8
#define FLOW_INDEX_START ((size_t)1 << 14) /* slots at first: 128 KiB */

struct fslot {
    uint32_t h32;
    uint32_t idx1; /* entry index + 1; 0 = empty */
};

/* Queue links of entry i, kept apart from the entries: queue work (a
 * requeue, an unlink) then touches 16-byte records in a dense array that
 * stays in cache, not three 128-byte entries spread over the slab. */
struct qlink {
    uint64_t q_ns;      /* when it was (re)queued */
    uint32_t prev, next; /* queue (or free list through next) */
};

struct flow_table {
    struct flow_table_config cfg;
    struct flow_entry *ent;
    struct qlink *q;    /* [max], parallel to ent */
    size_t max;
    size_t bump;        /* entries [0, bump) have been used at least once */
    uint32_t free_head; /* free list through q[].next */
    uint32_t head, tail; /* queue: head = queued the longest ago */
    uint64_t head_q_ns; /* q[head].q_ns, kept here: the per-packet expiry
                         * check loads nothing while nothing is due */
    struct fslot *slots;
    size_t mask;
    size_t mask_max;    /* the index grows by doubling up to this */
    uint64_t seed;
    uint64_t sk[6];     /* hash keys derived from the seed */
    size_t ent_bytes, q_bytes, slots_bytes; /* mapped sizes */
    uint64_t now;
    struct flow_table_stats st;
};

/* Zeroed memory for the slab and the index: an anonymous mapping (pages
 * are committed only when touched) with transparent huge pages requested
 * when large. Random access to a table of a million flows otherwise pays
 * a TLB miss (and in a VM a two-level page walk) per packet: measured ~2x
 * on a 1 M-flow table. */
static void *big_zalloc(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    if (bytes >= ((size_t)4 << 20))
        madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

static void big_free(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes);
}

/* Keyed hash of a 16- or 40-byte key: each pair of key words is folded
 * with one 64x64->128 multiply (words xor'ed with secret keys first, so
 * colliding inputs depend on the seed), products combined, one more fold.
 * The multiplies are independent, so the latency is ~2 multiplies instead
 * of hash_bytes()'s chain of fmix64 per word (measured 35 ns per 16-byte
 * hash here). */
static inline uint64_t fold(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* w0 = the key's first 8 bytes (family, proto, segment, ports), then the
 * address words: 1 for IPv4 (w1), 4 for IPv6 (w1..w4). */
static inline uint64_t flow_hash4(const struct flow_table *ft, uint64_t w0, uint64_t w1)
{
    uint64_t h = fold(w0 ^ ft->sk[0], w1 ^ ft->sk[1]);
    return fold(h ^ ft->sk[5], 0x9e3779b97f4a7c15ULL);
}

static inline uint64_t flow_hash6(const struct flow_table *ft, uint64_t w0, uint64_t w1,
                                  uint64_t w2, uint64_t w3, uint64_t w4)
{
    uint64_t h = fold(w0 ^ ft->sk[0], w1 ^ ft->sk[1]);
    h ^= fold(w2 ^ ft->sk[2], w3 ^ ft->sk[3]) ^ fold(w4 ^ ft->sk[4], 40);
    return fold(h ^ ft->sk[5], 0x9e3779b97f4a7c15ULL);
}

struct flow_table *flow_table_new(const struct flow_table_config *cfg)
{
    if (!cfg || cfg->max_flows == 0 || cfg->max_flows > FLOW_TABLE_MAX_FLOWS)
        return NULL;
    struct flow_table *ft = calloc(1, sizeof(*ft));
    if (!ft)
        return NULL;
    ft->cfg = *cfg;
    if (!ft->cfg.expire_budget)
        ft->cfg.expire_budget = 2;
    ft->max = cfg->max_flows;
    size_t cap = 16;
    while (cap < ft->max * 2)
        cap *= 2;
    ft->mask_max = cap - 1;
    if (cap > FLOW_INDEX_START)
        cap = FLOW_INDEX_START;
    ft->mask = cap - 1;
    ft->ent_bytes = ft->max * sizeof(*ft->ent);
    ft->slots_bytes = cap * sizeof(*ft->slots);
    ft->q_bytes = ft->max * sizeof(*ft->q);
    ft->ent = big_zalloc(ft->ent_bytes);
    ft->q = big_zalloc(ft->q_bytes);
    ft->slots = big_zalloc(ft->slots_bytes);
    if (!ft->ent || !ft->q || !ft->slots) {
        flow_table_free(ft);
        return NULL;
    }
    ft->free_head = NIL;
    ft->head = ft->tail = NIL;
    ft->seed = cfg->seed;
    if (!ft->seed) {
        if (getrandom(&ft->seed, sizeof(ft->seed), GRND_NONBLOCK) != (ssize_t)sizeof(ft->seed)) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ft->seed = hash_fmix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
                                   (uint64_t)(uintptr_t)ft);
        }
        ft->seed |= 1;
    }
    uint64_t x = ft->seed;
    for (int i = 0; i < 6; i++) {
        x += 0x9e3779b97f4a7c15ULL;
        ft->sk[i] = hash_fmix64(x) | 1;
    }
    return ft;
}

void flow_table_free(struct flow_table *ft)
{
    if (!ft)
        return;
    big_free(ft->ent, ft->ent_bytes);
    big_free(ft->q, ft->q_bytes);
    big_free(ft->slots, ft->slots_bytes);
    free(ft);
}

void flow_table_get_stats(const struct flow_table *ft, struct flow_table_stats *st)
{
    *st = ft->st;
}

_Static_assert(sizeof(struct flow_entry) == 128, "flow_entry: two cache lines");
_Static_assert(sizeof(struct flow_ckey) == 40, "flow_ckey: no padding");

void flow_entry_record(const struct flow_entry *e, struct v6m_flow_record *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->key.family = e->k.family;
    rec->key.proto = e->k.proto;
    rec->key.segment = e->k.segment;
    size_t al = e->k.family == V6M_FAMILY_IPV4 ? 4 : 16;
    const uint8_t *lo = e->k.addr, *hi = e->k.addr + al;
    if (e->a_is_lo) {
        memcpy(rec->key.addr_a, lo, al);
        memcpy(rec->key.addr_b, hi, al);
        rec->key.port_a = e->k.port_lo;
        rec->key.port_b = e->k.port_hi;
    } else {
        memcpy(rec->key.addr_a, hi, al);
        memcpy(rec->key.addr_b, lo, al);
        rec->key.port_a = e->k.port_hi;
        rec->key.port_b = e->k.port_lo;
    }
    rec->first_ns = e->first_ns;
    rec->last_ns = e->last_ns;
    rec->packets[0] = e->packets[0];
    rec->packets[1] = e->packets[1];
    rec->bytes[0] = e->bytes[0];
    rec->bytes[1] = e->bytes[1];
    rec->tcp_flags = e->tcp_flags;
    rec->direction = e->direction;
}

/* ---- queue ------------------------------------------------------------ */

static inline void queue_unlink(struct flow_table *ft, uint32_t i)
{
    struct qlink *e = &ft->q[i];
    if (e->prev != NIL)
        ft->q[e->prev].next = e->next;
    else
        ft->head = e->next;
    if (e->next != NIL) {
        struct qlink *n = &ft->q[e->next];
        n->prev = e->prev;
        if (e->prev == NIL)
            ft->head_q_ns = n->q_ns;
    } else {
        ft->tail = e->prev;
    }
}

/* Append entry i at the tail, queued at time q. */
static inline void queue_append(struct flow_table *ft, uint32_t i, uint64_t q)
{
    struct qlink *e = &ft->q[i];
    e->next = NIL;
    e->prev = ft->tail;
    e->q_ns = q;
    if (ft->tail != NIL) {
        ft->q[ft->tail].next = i;
    } else {
        ft->head = i;
        ft->head_q_ns = q;
    }
    ft->tail = i;
}

/* Move entry i from wherever it is to the tail, queued now. */
static inline void requeue(struct flow_table *ft, uint32_t i)
{
    queue_unlink(ft, i);
    queue_append(ft, i, ft->now);
    ft->ent[i].referenced = 0;
}

/* ---- index ------------------------------------------------------------ */

static void index_remove(struct flow_table *ft, uint32_t idx)
{
    size_t i = ft->ent[idx].h32 & ft->mask;
    while (ft->slots[i].idx1 != idx + 1)
        i = (i + 1) & ft->mask;
    /* Backward-shift deletion: pull later members of the run into the hole
     * unless their home lies cyclically in (hole, j]. */
    size_t j = i;
    for (;;) {
        j = (j + 1) & ft->mask;
        if (ft->slots[j].idx1 == 0)
            break;
        size_t k = ft->slots[j].h32 & ft->mask;
        bool stay = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
        if (!stay) {
            ft->slots[i] = ft->slots[j];
            i = j;
        }
    }
    ft->slots[i].idx1 = 0;
    ft->slots[i].h32 = 0;
}

/* One more flow would load the index past 3/4. Linear probing with 8
 * slots a cache line: at 3/4 a lookup still reads one line, rarely two,
 * and for flow counts between 3/8 and 1/2 of a power of two the index is
 * half the size a 1/2 limit gives, so it stays in L2 for more flows (at
 * 20 k flows: 256 KiB instead of 512 KiB). */
static inline bool index_full(const struct flow_table *ft)
{
    return (ft->st.active + 1) * 4 > (ft->mask + 1) * 3;
}

/* Double the index (all at once: it happens log2(max/8192) times in a
 * run). On failure the table just keeps its size and the caller makes room
 * by ending the queue head instead. */
static bool index_grow(struct flow_table *ft)
{
    size_t ncap = (ft->mask + 1) * 2, nmask = ncap - 1;
    struct fslot *ns = big_zalloc(ncap * sizeof(*ns));
    if (!ns)
        return false;
    for (size_t i = 0; i <= ft->mask; i++) {
        if (!ft->slots[i].idx1)
            continue;
        size_t pos = ft->slots[i].h32 & nmask;
        while (ns[pos].idx1)
            pos = (pos + 1) & nmask;
        ns[pos] = ft->slots[i];
    }
    big_free(ft->slots, ft->slots_bytes);
    ft->slots = ns;
    ft->slots_bytes = ncap * sizeof(*ns);
    ft->mask = nmask;
    return true;
}

/* Keys are compared as five 8-byte words (40 bytes, no padding). An IPv4
 * key's unused tail is zero in both the lookup key (prepare() writes the
 * whole key) and the entry (a copy of it), so comparing all 40 bytes gives
 * the same answer as comparing the 16 it uses, without a branch on the
 * family (IPv4 and IPv6 alternate at random on a mixed link: the branch
 * was mispredicted on about half of the lookups). */
static inline uint64_t ld64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline bool key_eq(const struct flow_ckey *a, const struct flow_ckey *b)
{
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    uint64_t d = (ld64(x) ^ ld64(y)) | (ld64(x + 8) ^ ld64(y + 8)) |
                 (ld64(x + 16) ^ ld64(y + 16)) | (ld64(x + 24) ^ ld64(y + 24)) |
                 (ld64(x + 32) ^ ld64(y + 32));
    return d == 0;
}

/* Swap *a and *b when c, without a branch (which endpoint is the lower
 * one changes at random from packet to packet: as branches, these
 * selections were mispredicted on about half of the packets). */
static inline void swap_if(bool c, uint64_t *a, uint64_t *b)
{
    uint64_t x = (*a ^ *b) & ((uint64_t)0 - (uint64_t)c);
    *a ^= x;
    *b ^= x;
}

/* End entry idx with reason `end`: callback, unlink, free. */
static void flow_end(struct flow_table *ft, uint32_t idx, uint8_t end)
{
    struct flow_entry *e = &ft->ent[idx];
    if (ft->cfg.on_end_entry)
        ft->cfg.on_end_entry(ft->cfg.user, e, end);
    if (ft->cfg.on_end) {
        struct v6m_flow_record rec;
        flow_entry_record(e, &rec);
        rec.end = end;
        ft->cfg.on_end(ft->cfg.user, &rec);
    }
    switch (end) {
    case V6M_FLOW_END_IDLE: ft->st.expired_idle++; break;
    case V6M_FLOW_END_ACTIVE: ft->st.expired_active++; break;
    case V6M_FLOW_END_EVICTED: ft->st.evicted++; break;
    default: ft->st.flushed++; break;
    }
    queue_unlink(ft, idx);
    index_remove(ft, idx);
    ft->q[idx].next = ft->free_head;
    ft->free_head = idx;
    ft->st.active--;
}

static inline bool is_idle(const struct flow_table *ft, const struct flow_entry *e,
                           uint64_t t)
{
    return t > e->last_ns && t - e->last_ns > ft->cfg.idle_ns;
}

/* ---- packets ---------------------------------------------------------- */

/* The first key word as it lies in memory (struct flow_ckey: family, proto,
 * segment, port_lo, port_hi), computed without a store and a reload. */
static inline uint64_t key_w0(struct flow_ckey *k, unsigned fam, uint8_t proto,
                              uint16_t segment, uint16_t plo, uint16_t phi)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    (void)k;
    return (uint64_t)fam | (uint64_t)proto << 8 | (uint64_t)segment << 16 |
           (uint64_t)plo << 32 | (uint64_t)phi << 48;
#else
    k->family = (uint8_t)fam;
    k->proto = proto;
    k->segment = segment;
    k->port_lo = plo;
    k->port_hi = phi;
    return ld64(k);
#endif
}

/* Two 4-byte addresses as one 8-byte key word (lo first in memory). */
static inline uint64_t key_w1_v4(uint32_t lo, uint32_t hi)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (uint64_t)lo | (uint64_t)hi << 32;
#else
    return (uint64_t)lo << 32 | (uint64_t)hi;
#endif
}

static inline bool flow_key_build(const struct flow_table *ft, const struct v6m_packet *pkt,
                                  uint16_t segment, struct flow_lookup *lk)
{
    const struct v6m_iphdr *ip = &pkt->inner;
    unsigned fam = pkt->family;
    if ((fam != V6M_FAMILY_IPV4 && fam != V6M_FAMILY_IPV6) || ip->family != fam)
        return false;
    struct flow_ckey *k = &lk->k;
    uint16_t sp = pkt->sport, dp = pkt->dport;
    uint8_t proto = ip->proto;
    if (proto == 1 || proto == 58)
        dp = sp; /* ICMP echo identifier on both sides */
    /* The key is built in registers and stored once: the hash reads the
     * same words, so nothing is loaded back from the stores. The lower
     * endpoint is the smaller (address, port) with addresses compared as
     * big-endian numbers (memcmp order). */
    bool src_lo;
    uint64_t h;
    if (fam == V6M_FAMILY_IPV4) {
        uint32_t s, d;
        memcpy(&s, ip->src, 4);
        memcpy(&d, ip->dst, 4);
        uint32_t sn = __builtin_bswap32(s), dn = __builtin_bswap32(d);
        src_lo = (sn < dn) | ((sn == dn) & (sp <= dp));
        uint64_t lo = s, hi = d, plo = sp, phi = dp;
        swap_if(!src_lo, &lo, &hi);
        swap_if(!src_lo, &plo, &phi);
        uint64_t w1 = key_w1_v4((uint32_t)lo, (uint32_t)hi);
        uint64_t w0 = key_w0(k, fam, proto, segment, (uint16_t)plo, (uint16_t)phi);
        memcpy(k, &w0, 8);
        memcpy(k->addr, &w1, 8);
        memset(k->addr + 8, 0, 24);
        lk->kl = 16;
        h = flow_hash4(ft, w0, w1);
    } else {
        uint64_t s0 = ld64(ip->src), s1 = ld64(ip->src + 8);
        uint64_t d0 = ld64(ip->dst), d1 = ld64(ip->dst + 8);
        uint64_t sa = __builtin_bswap64(s0), da = __builtin_bswap64(d0);
        if (sa != da) { /* nearly always: different /64s */
            src_lo = sa < da;
        } else {
            uint64_t sb = __builtin_bswap64(s1), db = __builtin_bswap64(d1);
            src_lo = (sb < db) | ((sb == db) & (sp <= dp));
        }
        uint64_t w1 = s0, w2 = s1, w3 = d0, w4 = d1, plo = sp, phi = dp;
        swap_if(!src_lo, &w1, &w3);
        swap_if(!src_lo, &w2, &w4);
        swap_if(!src_lo, &plo, &phi);
        uint64_t w0 = key_w0(k, fam, proto, segment, (uint16_t)plo, (uint16_t)phi);
        memcpy(k, &w0, 8);
        memcpy(k->addr, &w1, 8);
        memcpy(k->addr + 8, &w2, 8);
        memcpy(k->addr + 16, &w3, 8);
        memcpy(k->addr + 24, &w4, 8);
        lk->kl = 40;
        h = flow_hash6(ft, w0, w1, w2, w3, w4);
    }
    lk->src_lo = src_lo;
    lk->h32 = (uint32_t)h;
    return true;
}

bool flow_table_prepare(const struct flow_table *ft, const struct v6m_packet *pkt,
                        uint16_t segment, struct flow_lookup *lk)
{
    if (!flow_key_build(ft, pkt, segment, lk))
        return false;
    __builtin_prefetch(&ft->slots[lk->h32 & ft->mask]);
    return true;
}

struct flow_entry *flow_table_packet(struct flow_table *ft,
                                     const struct v6m_packet *pkt,
                                     uint16_t segment, uint8_t direction,
                                     bool *created)
{
    struct flow_lookup lk;
    *created = false;
    if (!flow_table_prepare(ft, pkt, segment, &lk))
        return NULL;
    return flow_table_apply(ft, pkt, &lk, direction, created);
}

struct flow_entry *flow_table_apply(struct flow_table *ft, const struct v6m_packet *pkt,
                                    const struct flow_lookup *lk, uint8_t direction,
                                    bool *created)
{
    const struct flow_ckey *kp = &lk->k;
    uint32_t h32 = lk->h32;
    bool src_lo = lk->src_lo;
    uint8_t proto = kp->proto;
    uint64_t ts = pkt->ts_ns;
    *created = false;
    if (ts > ft->now)
        ft->now = ts;

    /* Incremental idle expiry: a fixed budget of steps at the queue head,
     * only while the head has been queued for longer than the idle timeout
     * (head_q_ns: no entry is loaded while nothing is due): an idle head
     * ends, a live one goes back to the tail. */
    for (unsigned b = 0; b < ft->cfg.expire_budget && ft->head != NIL; b++) {
        if (ft->now - ft->head_q_ns <= ft->cfg.idle_ns)
            break;
        uint32_t h = ft->head;
        /* The next head is due soon after this one (the queue is in time
         * order) and is the entry touched longest ago: start loading it
         * now, the next packet's step will find it in cache. */
        uint32_t nx = ft->q[h].next;
        if (nx != NIL)
            __builtin_prefetch(&ft->ent[nx].last_ns);
        /* The head's own line came with the previous step's prefetch; its
         * index slot (read by index_remove() when it ends, a cache miss
         * that was ~60% of flow_end()) can start loading now, while the
         * end callbacks run. */
        __builtin_prefetch(&ft->slots[ft->ent[h].h32 & ft->mask]);
        if (is_idle(ft, &ft->ent[h], ft->now))
            flow_end(ft, h, V6M_FLOW_END_IDLE);
        else
            requeue(ft, h);
        /* The new head's successor: its queue record is read when the new
         * head leaves (its q_ns becomes head_q_ns). The new head's own
         * record was just read, so this costs no wait. */
        if (ft->head != NIL && ft->q[ft->head].next != NIL)
            __builtin_prefetch(&ft->q[ft->q[ft->head].next]);
    }

    /* One probe sequence: find the entry or the empty slot where it goes. */
    size_t pos = h32 & ft->mask;
    uint32_t idx = NIL;
    for (;;) {
        const struct fslot *s = &ft->slots[pos];
        if (s->idx1 == 0)
            break;
        if (s->h32 == h32) {
            const struct flow_entry *c = &ft->ent[s->idx1 - 1];
            /* the counters' line is wanted soon after a match: start it */
            __builtin_prefetch(&c->packets[0], 1);
            if (key_eq(&c->k, kp)) {
                idx = s->idx1 - 1;
                break;
            }
        }
        pos = (pos + 1) & ft->mask;
    }

    if (idx != NIL) {
        struct flow_entry *e = &ft->ent[idx];
        uint8_t end = 0xff;
        if (is_idle(ft, e, ts))
            end = V6M_FLOW_END_IDLE;
        else if (ts > e->first_ns && ts - e->first_ns > ft->cfg.active_ns)
            end = V6M_FLOW_END_ACTIVE;
        if (end != 0xff) {
            flow_end(ft, idx, end);
            idx = NIL; /* the index changed: probe again below */
        }
    }

    if (idx == NIL) {
        if (index_full(ft) && ft->mask < ft->mask_max &&
            !index_grow(ft))
            ft->mask_max = ft->mask; /* out of memory: stay at this size */
        if (ft->st.active >= ft->max || index_full(ft)) {
            /* CLOCK: a head used since it was queued gets a second chance
             * (at most FLOW_SECOND_CHANCES of them), then the head ends. */
            for (unsigned tries = 0; tries < FLOW_SECOND_CHANCES; tries++) {
                struct flow_entry *he = &ft->ent[ft->head];
                if (!he->referenced || is_idle(ft, he, ft->now))
                    break;
                requeue(ft, ft->head);
            }
            uint32_t h = ft->head;
            flow_end(ft, h, is_idle(ft, &ft->ent[h], ft->now) ? V6M_FLOW_END_IDLE
                                                              : V6M_FLOW_END_EVICTED);
        }
        /* Removals may have shifted the run: find the empty slot afresh. */
        pos = h32 & ft->mask;
        while (ft->slots[pos].idx1 != 0)
            pos = (pos + 1) & ft->mask;
        if (ft->free_head != NIL) {
            idx = ft->free_head;
            ft->free_head = ft->q[idx].next;
        } else {
            idx = (uint32_t)ft->bump++;
        }
        /* Every field written (no memset: it became `rep stos`). The IPv4
         * key's unused tail is zero: prepare() wrote the whole key. */
        struct flow_entry *e = &ft->ent[idx];
        e->k = *kp;
        e->first_ns = e->last_ns = ts;
        e->h32 = h32;
        e->a_is_lo = src_lo;
        e->tcp_flags = 0;
        e->direction = direction;
        e->referenced = 0;
        e->packets[0] = e->packets[1] = 0;
        e->bytes[0] = e->bytes[1] = 0;
        e->user = 0;
        e->aux = 0;
        memset(e->pad_, 0, sizeof(e->pad_));
        ft->slots[pos].h32 = h32;
        ft->slots[pos].idx1 = idx + 1;
        queue_append(ft, idx, ft->now);
        ft->st.active++;
        ft->st.created++;
        if (ft->st.active > ft->st.max_active)
            ft->st.max_active = ft->st.active;
        *created = true;
    } else {
        ft->ent[idx].referenced = 1; /* no list move: see the top comment */
    }

    struct flow_entry *e = &ft->ent[idx];
    unsigned d = (src_lo == (bool)e->a_is_lo) ? 0 : 1;
    e->packets[d]++;
    e->bytes[d] += pkt->wirelen;
    if (ts > e->last_ns)
        e->last_ns = ts;
    if (ts < e->first_ns)
        e->first_ns = ts;
    /* TCP flags of TCP packets only; branch-free (the protocol mix is
     * random from packet to packet). */
    e->tcp_flags |= (uint8_t)(pkt->tcp_flags & (0u - (unsigned)(proto == 6)));
    return e;
}

void flow_table_flush(struct flow_table *ft)
{
    while (ft->head != NIL)
        flow_end(ft, ft->head, V6M_FLOW_END_EOF);
}
