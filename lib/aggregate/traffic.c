/*
 * aggregate/traffic.c - the traffic pipeline (include/v6mon/traffic.h):
 * frame -> decoder -> segment/direction -> flow table -> counters.
 *
 * Counting one decoded record (docs/internals/aggregate.md has the rules
 * in full):
 *   family = pkt->family (innermost IP header), segment/direction from the
 *   segments table; packets += 1 and bytes += wirelen in totals, per
 *   segment, per segment x direction and in the record's time bucket;
 *   drop reason, encapsulation bits, IPv6+ counters; for IPv4/IPv6 (except
 *   a header cut before its addresses) the flow table: a created flow adds 1 to the flow counters of totals,
 *   segment and segment x direction (direction of its first packet); the
 *   first packet of a flow inside a bucket adds 1 to that bucket's flows.
 *
 * Buckets: start = floor(ts / bucket_ns) * bucket_ns. An open-addressing
 * index maps start -> row number; a row is n_segments family-count cells,
 * rows live in one growing array. The row of the last packet is cached with
 * its [start, end) range, so the index is probed only when a packet leaves
 * the current bucket. Once bucket_max rows exist, packets of new buckets are
 * counted everywhere except in buckets (buckets_overflow). A flow entry's
 * `user` field holds (start of the last bucket it was counted in) + 1.
 *
 * Hot path per frame: decode, classify (two branches with the default
 * table), ~12 counter adds, one flow-table probe sequence, no allocation.
 * Encapsulation counts go per distinct encapsulation mask into a small
 * cache (ecache) and are spread over the bits when a mask leaves its slot
 * and at finish(), which is the only place the result is read.
 *
 * Invariants: totals.fam[f].packets == sum over segments == sum over
 * segment x direction == sum over buckets + (overflowed packets of f);
 * every frame is counted exactly once (DONE now, or HELD and later
 * released). first_ns/last_ns are the min/max of counted timestamps.
 */
#include <v6mon/traffic.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate/apps.h"
#include "aggregate/flowside.h"
#include "aggregate/users.h"
#include "flow/flowtable.h"
#include "util/hash.h"
#include "util/strutil.h"

/* A flow entry's aux: its side-state slot + 1, and AUX_INSPECT while the
 * apps part wants every packet of the flow (see side_packet). */
#define AUX_INSPECT 0x80000000u
#define AUX_SLOT(aux) (((aux) & ~AUX_INSPECT) - 1)

#define TRAFFIC_IFNAMES 32  /* interface names remembered for released records */
#define TRAFFIC_IFNAME_LEN 64

struct bslot {
    uint64_t start1; /* bucket start + 1; 0 = empty */
    uint32_t row;
};

/* Encapsulation counts are kept per distinct encapsulation mask first (a
 * link carries a handful of them) and spread over the bits only when a
 * mask leaves its slot and at finish(): one compare and one add per record
 * instead of a loop over the bits, whose trip count changes from one frame
 * to the next (a mispredicted exit on most frames). Slot by a multiplicative
 * hash of the mask; mask 0 (no encapsulation) adds nothing when spread. */
#define ENCAP_SLOTS 32
struct eslot {
    uint32_t mask;
    uint64_t n;
};

struct v6m_traffic {
    struct v6m_traffic_config cfg;
    const v6m_segments *seg;
    size_t nseg;
    v6m_decoder *dec;
    struct flow_table *ft;
    bool finished;

    /* Counters. */
    struct v6m_family_counts totals;
    struct v6m_family_counts *segs;   /* [nseg] */
    struct v6m_family_counts *segdir; /* [nseg * 3] */
    uint64_t first_ns, last_ns;
    bool any;
    uint64_t drops[V6M_DROP__COUNT];
    uint64_t encap[32];
    struct eslot ecache[ENCAP_SLOTS]; /* pending counts per encap mask */
    struct v6m_ipv6plus v6p;
    uint64_t buckets_overflow;

    /* Buckets. */
    struct bslot *bidx;
    size_t bmask, nrows, rows_cap;
    uint64_t *row_start;              /* [rows_cap] */
    struct v6m_family_counts *rows;   /* [rows_cap * nseg] */
    bool cur_valid;
    uint64_t cur_start, cur_end;
    struct v6m_family_counts *cur_row; /* NULL: current range overflowed */

    /* Users and apps: per-flow side state (entry aux = slot + 1). */
    struct users *users;
    struct appsattr *apps;
    struct flow_side *side;           /* [flow_max], pages touched on use;
                                         64-byte aligned inside side_mem */
    void *side_mem;                   /* calloc'ed: one slot more than side */
    uint32_t *side_free;              /* stack of free slots */
    size_t side_nfree;
    bool day_aligned;                 /* buckets divide a UTC day */

    /* Interface names for released (previously held) records. */
    char ifnames[TRAFFIC_IFNAMES][TRAFFIC_IFNAME_LEN];
    const char *last_ifname_ptr;
    uint32_t last_ifindex;

    /* Result. */
    const char **names;
    struct v6m_traffic_bucket *out_buckets;
    struct v6m_traffic_result res;
};

void v6m_traffic_config_default(struct v6m_traffic_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->bucket_ns = 300ULL * 1000000000ULL;
    cfg->flow_max = 1000000;
    cfg->flow_idle_ns = 60ULL * 1000000000ULL;
    cfg->flow_active_ns = 1800ULL * 1000000000ULL;
    cfg->bucket_max = 1000000;
    v6m_decoder_config_default(&cfg->decoder);
}

double v6m_share(uint64_t v4, uint64_t v6)
{
    double den = (double)v4 + (double)v6;
    if (den <= 0.0)
        return -1.0;
    return (double)v6 / den;
}

/* Flow table callbacks: the caller's on_flow, and the side state. */
static void traffic_on_end(void *user, const struct v6m_flow_record *rec)
{
    v6m_traffic *t = user;
    t->cfg.on_flow(t->cfg.user, rec);
}

static void traffic_on_end_entry(void *user, struct flow_entry *e, uint8_t end)
{
    (void)end;
    v6m_traffic *t = user;
    if (!e->aux)
        return;
    uint32_t slot = AUX_SLOT(e->aux);
    struct flow_side *fs = &t->side[slot];
    if (t->users)
        users_flow_end(t->users, e, fs);
    if (t->apps)
        apps_flow_end(t->apps, e, fs);
    t->side_free[t->side_nfree++] = slot;
    e->aux = 0;
}

v6m_traffic *v6m_traffic_new(const struct v6m_traffic_config *cfg,
                             const v6m_segments *segments)
{
    v6m_traffic *t = NULL;
    char err[256];
    v6m_traffic_open(cfg, segments, &t, err, sizeof(err));
    return t;
}

v6m_err v6m_traffic_open(const struct v6m_traffic_config *cfg,
                         const v6m_segments *segments, v6m_traffic **out,
                         char *errbuf, size_t errlen)
{
    *out = NULL;
    if (errlen)
        errbuf[0] = '\0';
    if (!segments) {
        snprintf(errbuf, errlen, "no segments table");
        return V6M_ERR_INVALID_ARG;
    }
    v6m_traffic *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(errbuf, errlen, "out of memory");
        return V6M_ERR_NOMEM;
    }
    if (cfg)
        t->cfg = *cfg;
    else
        v6m_traffic_config_default(&t->cfg);
    struct v6m_traffic_config def;
    v6m_traffic_config_default(&def);
    /* Zero means "default" for the sizes and times. */
    if (!t->cfg.bucket_ns)
        t->cfg.bucket_ns = def.bucket_ns;
    if (!t->cfg.flow_max)
        t->cfg.flow_max = def.flow_max;
    if (t->cfg.flow_max > FLOW_TABLE_MAX_FLOWS)
        t->cfg.flow_max = FLOW_TABLE_MAX_FLOWS;
    if (!t->cfg.flow_idle_ns)
        t->cfg.flow_idle_ns = def.flow_idle_ns;
    if (!t->cfg.flow_active_ns)
        t->cfg.flow_active_ns = def.flow_active_ns;
    if (!t->cfg.bucket_max)
        t->cfg.bucket_max = def.bucket_max;
    if (t->cfg.bucket_max > UINT32_MAX - 1)
        t->cfg.bucket_max = UINT32_MAX - 1;

    t->seg = segments;
    t->nseg = v6m_segments_count(segments);
    t->dec = v6m_decoder_new(&t->cfg.decoder);
    struct flow_table_config fc = {
        .max_flows = t->cfg.flow_max,
        .idle_ns = t->cfg.flow_idle_ns,
        .active_ns = t->cfg.flow_active_ns,
        .seed = 0,
        .expire_budget = 2,
        .on_end = t->cfg.on_flow ? traffic_on_end : NULL,
        .on_end_entry = (t->cfg.users || t->cfg.apps) ? traffic_on_end_entry : NULL,
        .user = t,
    };
    t->ft = flow_table_new(&fc);
    t->segs = calloc(t->nseg, sizeof(*t->segs));
    t->segdir = calloc(t->nseg * 3, sizeof(*t->segdir));
    t->names = calloc(t->nseg ? t->nseg : 1, sizeof(*t->names));
    t->bmask = 63;
    t->bidx = calloc(t->bmask + 1, sizeof(*t->bidx));
    if (!t->dec || !t->ft || !t->segs || !t->segdir || !t->names || !t->bidx) {
        v6m_traffic_free(t);
        snprintf(errbuf, errlen, "out of memory (flow table of %zu flows)", t->cfg.flow_max);
        return V6M_ERR_NOMEM;
    }
    if (t->cfg.users || t->cfg.apps) {
        /* One slot = one cache line (flowside.h): calloc's 16-byte
         * alignment would make every slot span two lines. */
        t->side_mem = calloc(t->cfg.flow_max + 1, sizeof(*t->side));
        t->side = t->side_mem ? (struct flow_side *)(((uintptr_t)t->side_mem + 63) &
                                                     ~(uintptr_t)63)
                              : NULL;
        t->side_free = calloc(t->cfg.flow_max, sizeof(*t->side_free));
        if (!t->side || !t->side_free) {
            v6m_traffic_free(t);
            snprintf(errbuf, errlen, "out of memory (per-flow state)");
            return V6M_ERR_NOMEM;
        }
        for (size_t i = 0; i < t->cfg.flow_max; i++)
            t->side_free[i] = (uint32_t)(t->cfg.flow_max - 1 - i);
        t->side_nfree = t->cfg.flow_max;
    }
    t->day_aligned = (86400ULL * 1000000000ULL) % t->cfg.bucket_ns == 0;
    if (t->cfg.users) {
        struct users_config uc = {
            .mode = t->cfg.subscriber_mode,
            .bindings = t->cfg.bindings,
            .exact_max = t->cfg.users_exact_max,
            .n_segments = t->nseg,
        };
        t->users = users_new(&uc);
        if (!t->users) {
            v6m_traffic_free(t);
            snprintf(errbuf, errlen, "%s",
                     uc.mode == V6M_SUB_BINDING && !uc.bindings
                         ? "subscriber mode 'binding' needs a binding file"
                         : "out of memory (subscriber tables)");
            return V6M_ERR_INVALID_ARG;
        }
    }
    if (t->cfg.apps) {
        struct apps_config ac = {
            .catalog = t->cfg.apps_catalog,
            .n_segments = t->nseg,
            .dpi = t->cfg.dpi,
            .dns_cache_max = t->cfg.dns_cache_max,
        };
        t->apps = apps_new(&ac, errbuf, errlen);
        if (!t->apps) {
            v6m_traffic_free(t);
            return V6M_ERR_INVALID_ARG;
        }
    }
    for (size_t i = 0; i < t->nseg; i++)
        t->names[i] = v6m_segments_name(segments, i);
    t->last_ifindex = UINT32_MAX;
    *out = t;
    return V6M_OK;
}

void v6m_traffic_free(v6m_traffic *t)
{
    if (!t)
        return;
    v6m_decoder_free(t->dec);
    flow_table_free(t->ft);
    users_free(t->users);
    apps_free(t->apps);
    free(t->side_mem);
    free(t->side_free);
    free(t->segs);
    free(t->segdir);
    free(t->names);
    free(t->bidx);
    free(t->row_start);
    free(t->rows);
    free(t->out_buckets);
    free(t);
}

/* ---- buckets ---------------------------------------------------------- */

static inline size_t bucket_home(uint64_t start, size_t mask)
{
    return (size_t)hash_fmix64(start) & mask;
}

static bool bucket_index_grow(v6m_traffic *t)
{
    size_t ncap = (t->bmask + 1) * 2;
    struct bslot *nb = calloc(ncap, sizeof(*nb));
    if (!nb)
        return false;
    for (size_t i = 0; i <= t->bmask; i++) {
        if (!t->bidx[i].start1)
            continue;
        size_t pos = bucket_home(t->bidx[i].start1 - 1, ncap - 1);
        while (nb[pos].start1)
            pos = (pos + 1) & (ncap - 1);
        nb[pos] = t->bidx[i];
    }
    free(t->bidx);
    t->bidx = nb;
    t->bmask = ncap - 1;
    return true;
}

/* Row of the bucket starting at `start`, created if room; NULL = overflow. */
static struct v6m_family_counts *bucket_row_slow(v6m_traffic *t, uint64_t start)
{
    size_t pos = bucket_home(start, t->bmask);
    while (t->bidx[pos].start1) {
        if (t->bidx[pos].start1 == start + 1)
            return &t->rows[(size_t)t->bidx[pos].row * t->nseg];
        pos = (pos + 1) & t->bmask;
    }
    if (t->nrows >= t->cfg.bucket_max)
        return NULL;
    if (t->nrows == t->rows_cap) {
        size_t nc = t->rows_cap ? t->rows_cap * 2 : 16;
        if (nc > t->cfg.bucket_max)
            nc = t->cfg.bucket_max;
        struct v6m_family_counts *nr = realloc(t->rows, nc * t->nseg * sizeof(*nr));
        if (!nr)
            return NULL;
        t->rows = nr;
        uint64_t *ns = realloc(t->row_start, nc * sizeof(*ns));
        if (!ns)
            return NULL;
        t->row_start = ns;
        t->rows_cap = nc;
    }
    if ((t->nrows + 1) * 2 > t->bmask + 1) {
        if (!bucket_index_grow(t))
            return NULL;
        pos = bucket_home(start, t->bmask);
        while (t->bidx[pos].start1)
            pos = (pos + 1) & t->bmask;
    }
    size_t r = t->nrows++;
    t->bidx[pos].start1 = start + 1;
    t->bidx[pos].row = (uint32_t)r;
    t->row_start[r] = start;
    struct v6m_family_counts *row = &t->rows[r * t->nseg];
    memset(row, 0, t->nseg * sizeof(*row));
    return row;
}

static inline struct v6m_family_counts *bucket_row(v6m_traffic *t, uint64_t ts)
{
    if (t->cur_valid && ts >= t->cur_start && ts < t->cur_end)
        return t->cur_row;
    uint64_t start = ts - ts % t->cfg.bucket_ns;
    t->cur_row = bucket_row_slow(t, start);
    t->cur_start = start;
    t->cur_end = start + t->cfg.bucket_ns;
    if (t->cur_end < start) /* the last bucket before 2^64 ns */
        t->cur_end = UINT64_MAX;
    t->cur_valid = true;
    return t->cur_row;
}

/* ---- counting --------------------------------------------------------- */

/* Add a cached mask's count to the per-bit counters and empty the slot. */
static void encap_spill(v6m_traffic *t, struct eslot *es)
{
    for (uint32_t m = es->mask; m; m &= m - 1)
        t->encap[__builtin_ctz(m)] += es->n;
    es->mask = 0;
    es->n = 0;
}

static inline void encap_count(v6m_traffic *t, uint32_t mask)
{
    struct eslot *es = &t->ecache[(mask * 0x9e3779b1u) >> 27];
    if (es->mask != mask)
        encap_spill(t, es);
    es->mask = mask;
    es->n++;
}

static inline void add(struct v6m_counts *c, uint64_t bytes)
{
    c->packets++;
    c->bytes += bytes;
}

/* The decoder counts an IP header cut before its addresses under its
 * family (TRUNCATED, addresses left zero): such a record has no 5-tuple,
 * so it gets no flow. */
static inline bool addresses_cut(const struct v6m_packet *pkt)
{
    if (pkt->drop != V6M_DROP_TRUNCATED)
        return false;
    static const uint8_t zero[16];
    return memcmp(pkt->inner.src, zero, 16) == 0 && memcmp(pkt->inner.dst, zero, 16) == 0;
}

/* Users and apps of one packet of flow e. The side state lives in another
 * array (another cache line), so a packet touches it only when it must:
 * when the flow is created; when the flow's first packet in a time bucket
 * may start a new UTC day for the user windows (every packet when buckets
 * do not divide a day); and while the apps part still inspects the flow
 * (AUX_INSPECT in the entry's aux). DNS responses feed the DNS cache from
 * the packet alone. */
static void side_packet(v6m_traffic *t, const struct v6m_packet *pkt, const uint8_t *data,
                        struct flow_entry *e, bool created, bool new_bucket, unsigned sid,
                        unsigned dir)
{
    if (t->apps && pkt->sport == 53 && pkt->payload_len && data)
        apps_dns(t->apps, pkt, data);
    if (created) {
        if (!t->side_nfree) /* cannot happen: one slot per possible flow */
            return;
        uint32_t slot = t->side_free[--t->side_nfree];
        e->aux = slot + 1;
        struct flow_side *fs = &t->side[slot];
        if (t->users)
            users_flow_created(t->users, pkt, (uint8_t)dir, fs);
        if (t->apps && apps_flow_created(t->apps, pkt, fs))
            e->aux |= AUX_INSPECT;
    }
    if (!e->aux)
        return;
    bool users = t->users && (created || new_bucket || !t->day_aligned);
    bool apps = (e->aux & AUX_INSPECT) != 0;
    if (!users && !apps)
        return;
    struct flow_side *fs = &t->side[AUX_SLOT(e->aux)];
    if (users)
        users_packet(t->users, pkt->ts_ns, sid, fs);
    if (apps && !apps_packet(t->apps, pkt, data, fs))
        e->aux &= ~AUX_INSPECT;
}

static void count_record(v6m_traffic *t, const struct v6m_packet *pkt,
                         const uint8_t *data, const char *ifname)
{
    struct v6m_class cls;
    v6m_segments_classify(t->seg, pkt, ifname, &cls);
    unsigned fam = pkt->family < V6M_FAMILY_COUNT ? pkt->family : V6M_FAMILY_OTHER;
    unsigned sid = cls.segment < t->nseg ? cls.segment : (unsigned)t->nseg - 1;
    unsigned dir = cls.direction < 3 ? cls.direction : V6M_DIR_UNKNOWN;
    uint64_t ts = pkt->ts_ns, wl = pkt->wirelen;
    /* Hash the flow key first so the index slot loads while we count. */
    struct flow_lookup lk;
    bool has_flow = fam != V6M_FAMILY_OTHER && !addresses_cut(pkt) &&
                    flow_table_prepare(t->ft, pkt, (uint16_t)sid, &lk);

    if (!t->any) {
        t->first_ns = t->last_ns = ts;
        t->any = true;
    } else if (ts < t->first_ns) {
        t->first_ns = ts;
    } else if (ts > t->last_ns) {
        t->last_ns = ts;
    }

    add(&t->totals.fam[fam], wl);
    add(&t->segs[sid].fam[fam], wl);
    struct v6m_family_counts *sd = &t->segdir[sid * 3 + dir];
    add(&sd->fam[fam], wl);
    struct v6m_family_counts *row = bucket_row(t, ts);
    if (row)
        add(&row[sid].fam[fam], wl);
    else
        t->buckets_overflow++;

    if (pkt->drop != V6M_DROP_NONE)
        t->drops[pkt->drop < V6M_DROP__COUNT ? pkt->drop : V6M_DROP_MALFORMED]++;
    encap_count(t, pkt->encap);
    /* Branch-free: IPv4 and IPv6 alternate at random on a mixed link. */
    bool v6 = fam == V6M_FAMILY_IPV6;
    t->v6p.ipv6_packets += v6;
    t->v6p.flow_label_packets +=
        v6 & (pkt->inner.family == V6M_FAMILY_IPV6) & (pkt->inner.flow_label != 0);
    if (pkt->ext_mask) {
        if (pkt->ext_mask & (1u << V6M_EXT_SRH))
            t->v6p.srh_packets++;
        for (uint32_t m = pkt->ext_mask & ((1u << V6M_EXT__COUNT) - 1); m; m &= m - 1)
            t->v6p.ext_packets[__builtin_ctz(m)]++;
    }

    if (has_flow) {
        bool created;
        struct flow_entry *e = flow_table_apply(t->ft, pkt, &lk, (uint8_t)dir, &created);
        if (e) {
            if (created) {
                t->totals.fam[fam].flows++;
                t->segs[sid].fam[fam].flows++;
                sd->fam[fam].flows++;
            }
            bool new_bucket = e->user != t->cur_start + 1;
            if (row && new_bucket) {
                row[sid].fam[fam].flows++;
                e->user = t->cur_start + 1;
            }
            if (t->side)
                side_packet(t, pkt, data, e, created, new_bucket || !row, sid, dir);
        }
    }

    if (t->cfg.on_packet)
        t->cfg.on_packet(t->cfg.user, pkt, &cls);
}

static const char *ifname_for(const v6m_traffic *t, uint32_t ifindex)
{
    if (ifindex < TRAFFIC_IFNAMES && t->ifnames[ifindex][0])
        return t->ifnames[ifindex];
    return NULL;
}

void v6m_traffic_add_frame(v6m_traffic *t, const struct v6m_frame *frame,
                           const char *ifname)
{
    struct v6m_packet pkt;
    if (t->finished)
        return;
    if (ifname && (ifname != t->last_ifname_ptr || frame->ifindex != t->last_ifindex)) {
        if (frame->ifindex < TRAFFIC_IFNAMES)
            util_strlcpy(t->ifnames[frame->ifindex], ifname, TRAFFIC_IFNAME_LEN);
        t->last_ifname_ptr = ifname;
        t->last_ifindex = frame->ifindex;
    }
    if (v6m_decoder_decode(t->dec, frame, &pkt) == V6M_DECODE_DONE)
        count_record(t, &pkt, frame->data, ifname);
    while (v6m_decoder_release(t->dec, &pkt))
        count_record(t, &pkt, NULL, pkt.ifindex == frame->ifindex ? ifname
                                                            : ifname_for(t, pkt.ifindex));
}

/* ---- finish ----------------------------------------------------------- */

static int cmp_row_start(const void *a, const void *b, void *arg)
{
    const uint64_t *starts = arg;
    uint64_t x = starts[*(const uint32_t *)a], y = starts[*(const uint32_t *)b];
    return x < y ? -1 : x > y;
}

static bool cell_empty(const struct v6m_family_counts *c)
{
    for (int f = 0; f < V6M_FAMILY_COUNT; f++)
        if (c->fam[f].packets)
            return false;
    return true;
}

void v6m_traffic_finish(v6m_traffic *t)
{
    if (t->finished)
        return;
    struct v6m_packet pkt;
    v6m_decoder_flush(t->dec);
    while (v6m_decoder_release(t->dec, &pkt))
        count_record(t, &pkt, NULL, ifname_for(t, pkt.ifindex));
    flow_table_flush(t->ft);
    t->finished = true;
    if (t->users)
        users_finish(t->users);
    if (t->apps)
        apps_finish(t->apps);

    /* Buckets sorted by (start, segment), non-empty cells only. */
    size_t ncells = 0;
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t s = 0; s < t->nseg; s++)
            ncells += !cell_empty(&t->rows[r * t->nseg + s]);
    uint32_t *order = calloc(t->nrows ? t->nrows : 1, sizeof(*order));
    t->out_buckets = calloc(ncells ? ncells : 1, sizeof(*t->out_buckets));
    size_t nb = 0;
    if (order && t->out_buckets) {
        for (size_t r = 0; r < t->nrows; r++)
            order[r] = (uint32_t)r;
        qsort_r(order, t->nrows, sizeof(*order), cmp_row_start, t->row_start);
        for (size_t i = 0; i < t->nrows; i++) {
            size_t r = order[i];
            for (size_t s = 0; s < t->nseg; s++) {
                const struct v6m_family_counts *c = &t->rows[r * t->nseg + s];
                if (cell_empty(c))
                    continue;
                struct v6m_traffic_bucket *b = &t->out_buckets[nb++];
                b->start_s = (int64_t)(t->row_start[r] / 1000000000ULL);
                b->segment = (uint16_t)s;
                b->c = *c;
            }
        }
    }
    free(order);

    struct v6m_traffic_result *res = &t->res;
    memset(res, 0, sizeof(*res));
    res->first_ns = t->any ? t->first_ns : 0;
    res->last_ns = t->any ? t->last_ns : 0;
    res->bucket_ns = t->cfg.bucket_ns;
    res->totals = t->totals;
    res->n_segments = t->nseg;
    res->segment_names = t->names;
    res->segments = t->segs;
    res->seg_dir = t->segdir;
    res->n_buckets = nb;
    res->buckets = t->out_buckets;
    memcpy(res->drops, t->drops, sizeof(res->drops));
    for (size_t i = 0; i < ENCAP_SLOTS; i++)
        encap_spill(t, &t->ecache[i]);
    memcpy(res->encap_packets, t->encap, sizeof(res->encap_packets));
    res->ipv6plus = t->v6p;
    struct flow_table_stats fs;
    flow_table_get_stats(t->ft, &fs);
    res->flows_max_active = fs.max_active;
    res->flows_evicted = fs.evicted;
    res->flows_expired_idle = fs.expired_idle;
    res->flows_expired_active = fs.expired_active;
    res->buckets_overflow = t->buckets_overflow;
    v6m_decoder_get_stats(t->dec, &res->decoder);
}

const struct v6m_traffic_result *v6m_traffic_result(const v6m_traffic *t)
{
    return t && t->finished ? &t->res : NULL;
}

const struct v6m_users_result *v6m_traffic_users(const v6m_traffic *t)
{
    return t && t->finished && t->users ? users_result(t->users) : NULL;
}

const v6m_hll *v6m_traffic_users_sketch(const v6m_traffic *t, size_t w, size_t s,
                                        unsigned flag)
{
    return t && t->finished && t->users ? users_sketch(t->users, w, s, flag) : NULL;
}

const struct v6m_apps_result *v6m_traffic_apps(const v6m_traffic *t)
{
    return t && t->finished && t->apps ? apps_result(t->apps) : NULL;
}
