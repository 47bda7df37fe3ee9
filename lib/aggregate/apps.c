/*
 * aggregate/apps.c - names and apps of flows (see apps.h and
 * include/v6mon/appstats.h for the rules).
 *
 * Per packet, cheapest first:
 *   - DNS responses (UDP source port 53, or a whole message in one TCP
 *     segment from port 53) are parsed and every A/AAAA answer is put in
 *     the DNS cache as (client = packet destination, address) -> the name
 *     the client asked (CNAME chain walked back to the question);
 *   - a flow under inspection (inspect_left > 0) has its client payloads
 *     looked at: a TLS record start -> ClientHello SNI (one segment, or a
 *     pooled reassembly by TCP sequence number), an HTTP request -> Host, a
 *     QUIC long header -> Initial decryption (pooled state when the
 *     ClientHello spans datagrams). The first name found ends inspection;
 *   - a flow with an nDPI state feeds nDPI until nDPI is done or gives up.
 * Per flow at creation: the DNS cache gives a name for (client, server)
 * when one is known; otherwise nDPI gets a state (bounded pool).
 * At flow end: packets/bytes/flows go to the name's row (and through the
 * catalog to its app), or to the nDPI app, or to "unattributed"; and to the
 * (day, app, segment) row of the day the flow started.
 *
 * Tables: name rows by interned name id (open addressing, grows); day rows
 * by (day, app, segment) (open addressing, grows). Both are bounded by the
 * DNS cache's name table (names) and the days in the input.
 */
#include "aggregate/apps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/dns.h"
#include "classify/dnscache.h"
#include "classify/dpi.h"
#include "classify/http.h"
#include "classify/quic.h"
#include "classify/tls.h"
#include "util/strutil.h"

#define DAY_NS (86400ULL * 1000000000ULL)
#define REASM_DEFAULT 4096
#define INSPECT_DEFAULT 8
#define TOP_SHARE 0.8
#define TOP_MAX 10

struct name_row {
    uint32_t id;       /* interned name id; 0 = empty slot */
    int32_t app;       /* catalog id, -1 none, -2 not looked up yet */
    struct v6m_pbf fam[3];
    uint64_t method_flows[V6M_NAME__COUNT];
};

struct day_row {
    int64_t day;       /* day number + 1; 0 = empty */
    int32_t app;
    uint16_t seg;
    struct v6m_pbf fam[3];
};

union reasm_state {
    struct tls_reasm tls;
    struct quic_initial_state quic;
};

struct app_acc {
    struct v6m_pbf fam[3];
    uint64_t ndpi_flows;
};

struct appsattr {
    struct apps_config cfg;
    size_t nseg, napps;
    struct dnscache *dc;
    struct quic_ctx *qc;
    struct dpi *dpi;

    union reasm_state *pool;   /* [reasm_max], pages touched on use */
    uint32_t *pool_free;       /* stack of free slots */
    size_t pool_nfree;
    struct quic_initial_state scratch;
    struct dns_message *dns;   /* scratch for parsing */

    struct name_row *names;
    size_t names_mask, names_n;
    struct day_row *days;
    size_t days_mask, days_n;
    struct app_acc *acc;       /* [napps] */
    struct v6m_pbf *acc_seg;   /* [napps * nseg * 3] */

    uint64_t names_refused_seen;  /* dnscache names_refused last read */

    struct v6m_apps_result res;
    struct v6m_name_stats *out_names;
    struct v6m_app_stats *out_apps;
    size_t *out_app_names;
    struct v6m_app_day *out_days;
};

struct appsattr *apps_new(const struct apps_config *cfg, char *err, size_t errlen)
{
    struct appsattr *a = calloc(1, sizeof(*a));
    if (!a || !cfg->catalog) {
        snprintf(err, errlen, "%s", a ? "no app catalog" : "out of memory");
        free(a);
        return NULL;
    }
    a->cfg = *cfg;
    if (!a->cfg.reasm_max)
        a->cfg.reasm_max = REASM_DEFAULT;
    if (!a->cfg.inspect_packets)
        a->cfg.inspect_packets = INSPECT_DEFAULT;
    if (a->cfg.inspect_packets > 255)
        a->cfg.inspect_packets = 255;
    a->nseg = cfg->n_segments ? cfg->n_segments : 1;
    a->napps = v6m_apps_count(cfg->catalog);

    struct dnscache_config dcc = {0};
    dcc.max_entries = cfg->dns_cache_max ? cfg->dns_cache_max : 1000000;
    dcc.min_ttl_s = 60;
    dcc.max_ttl_s = 86400;
    dcc.grace_s = 300;
    a->dc = dnscache_new(&dcc);
    a->qc = quic_ctx_new();
    a->pool = calloc(a->cfg.reasm_max, sizeof(*a->pool));
    a->pool_free = calloc(a->cfg.reasm_max, sizeof(*a->pool_free));
    a->dns = calloc(1, sizeof(*a->dns));
    a->names_mask = 1023;
    a->names = calloc(a->names_mask + 1, sizeof(*a->names));
    a->days_mask = 255;
    a->days = calloc(a->days_mask + 1, sizeof(*a->days));
    a->acc = calloc(a->napps ? a->napps : 1, sizeof(*a->acc));
    a->acc_seg = calloc((a->napps ? a->napps : 1) * a->nseg * 3, sizeof(*a->acc_seg));
    if (!a->dc || !a->qc || !a->pool || !a->pool_free || !a->dns || !a->names ||
        !a->days || !a->acc || !a->acc_seg) {
        snprintf(err, errlen, "out of memory (app attribution tables)");
        apps_free(a);
        return NULL;
    }
    for (size_t i = 0; i < a->cfg.reasm_max; i++)
        a->pool_free[i] = (uint32_t)(a->cfg.reasm_max - 1 - i);
    a->pool_nfree = a->cfg.reasm_max;
    if (cfg->dpi) {
        struct dpi_config dc = {0};
        dc.max_states = cfg->dpi_max ? cfg->dpi_max : 65536;
        dc.max_packets = 8;
        a->dpi = dpi_new(&dc, err, errlen);
        if (!a->dpi) {
            apps_free(a);
            return NULL;
        }
    }
    a->res.dpi_enabled = cfg->dpi;
    return a;
}

void apps_free(struct appsattr *a)
{
    if (!a)
        return;
    dnscache_free(a->dc);
    quic_ctx_free(a->qc);
    dpi_free(a->dpi);
    free(a->pool);
    free(a->pool_free);
    free(a->dns);
    free(a->names);
    free(a->days);
    free(a->acc);
    free(a->acc_seg);
    free(a->out_names);
    free(a->out_apps);
    free(a->out_app_names);
    free(a->out_days);
    free(a);
}

/* ---- small helpers ------------------------------------------------------ */

static inline bool is_dns_port(const struct v6m_packet *pkt)
{
    return pkt->sport == 53 || pkt->dport == 53;
}

static void reasm_release(struct appsattr *a, struct flow_side *fs)
{
    if (fs->reasm) {
        a->pool_free[a->pool_nfree++] = fs->reasm - 1;
        fs->reasm = 0;
        fs->reasm_kind = FLOWSIDE_REASM_NONE;
    }
}

static union reasm_state *reasm_take(struct appsattr *a, struct flow_side *fs, uint8_t kind)
{
    if (!a->pool_nfree) {
        a->res.inspect_pool_full++;
        return NULL;
    }
    uint32_t slot = a->pool_free[--a->pool_nfree];
    fs->reasm = slot + 1;
    fs->reasm_kind = kind;
    return &a->pool[slot];
}

/* dpi_state: an nDPI state handle >= 0, DPI_NONE, or DPI_WANTED (the flow
 * has no name yet: nDPI starts on its first payload that our own parsers
 * could not name, so the many flows named by SNI/Host/QUIC never cost an
 * nDPI state, and handshake packets without payload are not fed). */
#define DPI_NONE (-1)
#define DPI_WANTED (-2)

static void dpi_release(struct appsattr *a, struct flow_side *fs)
{
    if (fs->dpi_state >= 0)
        dpi_state_free(a->dpi, fs->dpi_state);
    fs->dpi_state = DPI_NONE;
}

static void set_name(struct appsattr *a, struct flow_side *fs, const char *name,
                     uint8_t method)
{
    uint32_t id = dnscache_intern(a->dc, name);
    if (!id) {
        /* Refused: either the name table is full or the name is not a
         * valid host name (e.g. from nDPI); the cache says which. */
        struct dnscache_stats st;
        dnscache_get_stats(a->dc, &st);
        if (st.names_refused > a->names_refused_seen) {
            a->names_refused_seen = st.names_refused;
            a->res.names_overflow_flows++;
        } else {
            a->res.names_invalid_flows++;
        }
        return;
    }
    fs->name_id = id;
    fs->method = method;
}

/* The payload name was found: stop looking. */
static void inspection_done(struct appsattr *a, struct flow_side *fs)
{
    fs->inspect_left = 0;
    reasm_release(a, fs);
    dpi_release(a, fs);
}

/* ---- DNS learning ------------------------------------------------------- */

static void learn_dns(struct appsattr *a, const struct v6m_packet *pkt,
                      const uint8_t *msg, size_t len)
{
    struct dns_message *m = a->dns;
    enum dns_status st = dns_parse(msg, len, m);
    if (st == DNS_MALFORMED)
        a->res.dns_malformed++;
    if (!m->is_response || m->rcode != 0 || !m->n_addrs)
        return;
    /* A message cut short still gives the answers that were complete. */
    bool cut = st == DNS_TRUNCATED;
    a->res.dns_truncated += cut;
    uint32_t last_id = 0;
    const char *last_origin = NULL;
    for (unsigned i = 0; i < m->n_addrs && i < DNS_MAX_ADDRS; i++) {
        const struct dns_rr_addr *rr = &m->addrs[i];
        const char *origin = dns_chain_origin(m, rr->owner);
        if (!origin || !origin[0])
            continue;
        uint32_t id = last_origin == origin ? last_id : dnscache_intern(a->dc, origin);
        last_origin = origin;
        last_id = id;
        if (!id)
            continue;
        uint8_t af = rr->family == 6 ? V6M_FAMILY_IPV6 : V6M_FAMILY_IPV4;
        uint8_t addr[16] = {0};
        memcpy(addr, rr->addr, af == V6M_FAMILY_IPV6 ? 16 : 4);
        dnscache_put(a->dc, pkt->inner.family, pkt->inner.dst, af, addr, id, rr->ttl,
                     pkt->ts_ns);
        a->res.dns_answers++;
        a->res.dns_answers_partial += cut;
    }
}

/* ---- payload inspection -------------------------------------------------- */

static bool tcp_seq(const struct v6m_packet *pkt, const uint8_t *data, uint32_t *seq)
{
    uint32_t off = pkt->inner.l4_offset;
    if (!off || (uint64_t)off + 8 > pkt->caplen)
        return false;
    const uint8_t *p = data + off + 4;
    *seq = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return true;
}

static bool looks_http(uint8_t c)
{
    return c >= 'A' && c <= 'Z';
}

static void inspect_tcp(struct appsattr *a, const struct v6m_packet *pkt,
                        const uint8_t *data, const uint8_t *p, size_t n,
                        struct flow_side *fs)
{
    char name[CLASSIFY_NAME_MAX];
    uint32_t seq = 0;
    if (fs->reasm_kind == FLOWSIDE_REASM_TLS) {
        if (!tcp_seq(pkt, data, &seq)) {
            inspection_done(a, fs);
            return;
        }
        enum tls_status st =
            tls_reasm_feed(&a->pool[fs->reasm - 1].tls, seq, p, n, name, sizeof(name));
        if (st == TLS_SNI_FOUND) {
            set_name(a, fs, name, V6M_NAME_SNI);
            inspection_done(a, fs);
        } else if (st != TLS_SNI_NEED_MORE) {
            fs->inspect_left = 0;
            reasm_release(a, fs);
        }
        return;
    }
    if (p[0] == 0x16) {
        enum tls_status st = tls_records_sni(p, n, name, sizeof(name));
        if (st == TLS_SNI_FOUND) {
            set_name(a, fs, name, V6M_NAME_SNI);
            inspection_done(a, fs);
            return;
        }
        if (st == TLS_SNI_NEED_MORE && tcp_seq(pkt, data, &seq)) {
            union reasm_state *r = reasm_take(a, fs, FLOWSIDE_REASM_TLS);
            if (r) {
                tls_reasm_init(&r->tls);
                if (tls_reasm_feed(&r->tls, seq, p, n, name, sizeof(name)) == TLS_SNI_NEED_MORE)
                    return;
                reasm_release(a, fs);
            }
        }
        fs->inspect_left = 0;
        return;
    }
    if (looks_http(p[0])) {
        enum http_status st = http_request_host(p, n, name, sizeof(name));
        if (st == HTTP_HOST_FOUND) {
            set_name(a, fs, name, V6M_NAME_HOST);
            inspection_done(a, fs);
        } else if (st != HTTP_HOST_NEED_MORE) {
            fs->inspect_left = 0;
        }
        return;
    }
    fs->inspect_left = 0; /* not a protocol we read; nDPI may still know it */
}

static void inspect_udp(struct appsattr *a, const uint8_t *p, size_t n, struct flow_side *fs)
{
    char name[CLASSIFY_NAME_MAX];
    struct quic_initial_state *qs;
    if (fs->reasm_kind == FLOWSIDE_REASM_QUIC) {
        qs = &a->pool[fs->reasm - 1].quic;
    } else if ((p[0] & 0xc0) == 0xc0) {
        qs = &a->scratch;
        quic_state_init(qs);
    } else {
        fs->inspect_left = 0;
        return;
    }
    enum quic_status st = quic_initial_feed(a->qc, qs, p, n, name, sizeof(name));
    if (st == QUIC_SNI_FOUND) {
        set_name(a, fs, name, V6M_NAME_QUIC);
        inspection_done(a, fs);
    } else if (st == QUIC_SNI_NEED_MORE) {
        if (qs == &a->scratch) {
            union reasm_state *r = reasm_take(a, fs, FLOWSIDE_REASM_QUIC);
            if (r)
                memcpy(&r->quic, &a->scratch, sizeof(a->scratch));
            else
                fs->inspect_left = 0;
        }
    } else {
        fs->inspect_left = 0;
        reasm_release(a, fs);
    }
}

/* ---- per flow / per packet ---------------------------------------------- */

bool apps_flow_created(struct appsattr *a, const struct v6m_packet *pkt,
                       struct flow_side *fs)
{
    fs->method = V6M_NAME_NONE;
    fs->name_id = 0;
    fs->app = -1;
    fs->dpi_state = DPI_NONE;
    fs->reasm = 0;
    fs->reasm_kind = FLOWSIDE_REASM_NONE;
    fs->dpi_packets = 0;
    fs->init_sport = pkt->sport;
    memcpy(fs->init_src, pkt->inner.src, 16);
    fs->inspect_left = 0;
    uint8_t p = pkt->l4_proto;
    if ((p != 6 && p != 17) || is_dns_port(pkt))
        return false;
    bool other = false;
    uint32_t id = dnscache_get(a->dc, pkt->inner.family, pkt->inner.src, pkt->inner.family,
                               pkt->inner.dst, pkt->ts_ns, &other);
    if (id) {
        fs->name_id = id;
        fs->method = other ? V6M_NAME_DNS_ANY : V6M_NAME_DNS;
    }
    fs->inspect_left = (uint8_t)a->cfg.inspect_packets;
    if (!id && a->dpi)
        fs->dpi_state = DPI_WANTED;
    return true;
}

/* nDPI's answer for a flow without a name. A host name nDPI extracted (from
 * a protocol our parsers do not read) is the better key: it goes through the
 * catalog like any name. Otherwise nDPI's protocol/app maps through the
 * catalog's ndpi column, but only when nDPI recognised the payload: its
 * address lists are IPv4-only in 4.2 and its port guesses name protocols,
 * not apps, so trusting them would inflate the IPv4 side of I7. */
static void dpi_take_result(struct appsattr *a, struct flow_side *fs)
{
    struct dpi_result r;
    if (!dpi_result(a->dpi, fs->dpi_state, &r) || fs->name_id)
        return;
    if (r.host[0]) {
        set_name(a, fs, r.host, V6M_NAME_NDPI);
        return;
    }
    if (r.confidence != DPI_CONF_DPI)
        return;
    int app = r.app[0] ? v6m_apps_match_ndpi(a->cfg.catalog, r.app) : -1;
    if (app < 0 && r.proto[0])
        app = v6m_apps_match_ndpi(a->cfg.catalog, r.proto);
    if (app >= 0) {
        fs->app = app;
        fs->method = V6M_NAME_NDPI;
    }
}

void apps_dns(struct appsattr *a, const struct v6m_packet *pkt, const uint8_t *data)
{
    size_t n = pkt->payload_len;
    const uint8_t *p = data + pkt->payload_offset;
    if (pkt->l4_proto == 17)
        learn_dns(a, pkt, p, n);
    else if (pkt->l4_proto == 6 && n > 2 && (size_t)(p[0] << 8 | p[1]) == n - 2)
        learn_dns(a, pkt, p + 2, n - 2);
}

bool apps_packet(struct appsattr *a, const struct v6m_packet *pkt, const uint8_t *data,
                 struct flow_side *fs)
{
    if (!fs->inspect_left && fs->dpi_state == DPI_NONE)
        return false;
    if (!data)
        return true;
    size_t n = pkt->payload_len;
    const uint8_t *p = n ? data + pkt->payload_offset : NULL;
    if (fs->inspect_left && n && pkt->sport == fs->init_sport &&
        memcmp(pkt->inner.src, fs->init_src, 16) == 0) {
        fs->inspect_left--;
        if (pkt->l4_proto == 6)
            inspect_tcp(a, pkt, data, p, n, fs);
        else
            inspect_udp(a, p, n, fs);
        if (!fs->inspect_left)
            reasm_release(a, fs);
    }
    if (fs->dpi_state == DPI_WANTED && n && !fs->name_id) {
        fs->dpi_state = dpi_state_alloc(a->dpi);
        if (fs->dpi_state < 0) {
            fs->dpi_state = DPI_NONE;
            a->res.dpi_pool_full++;
        }
    } else if (fs->dpi_state == DPI_WANTED && fs->name_id) {
        fs->dpi_state = DPI_NONE;
    }
    /* nDPI reads payloads; packets without one (TCP ACKs) only cost time. */
    if (fs->dpi_state >= 0 && n) {
        uint32_t off = pkt->inner.offset;
        if (off < pkt->caplen) {
            a->res.dpi_packets++;
            bool init = pkt->sport == fs->init_sport &&
                        memcmp(pkt->inner.src, fs->init_src, 16) == 0;
            if (dpi_feed(a->dpi, fs->dpi_state, data + off, pkt->caplen - off, pkt->ts_ns,
                         init) == DPI_DONE) {
                dpi_take_result(a, fs);
                dpi_release(a, fs);
            }
        }
    }
    return fs->inspect_left || fs->dpi_state != DPI_NONE;
}

/* ---- accounting ---------------------------------------------------------- */

static inline void pbf_add(struct v6m_pbf *x, uint64_t pk, uint64_t by, uint64_t fl)
{
    x->packets += pk;
    x->bytes += by;
    x->flows += fl;
}

static struct name_row *name_row(struct appsattr *a, uint32_t id)
{
    if ((a->names_n + 1) * 2 > a->names_mask + 1) {
        size_t ncap = (a->names_mask + 1) * 2;
        struct name_row *nr = calloc(ncap, sizeof(*nr));
        if (!nr)
            return NULL;
        for (size_t i = 0; i <= a->names_mask; i++) {
            if (!a->names[i].id)
                continue;
            size_t pos = (a->names[i].id * 0x9e3779b1u) & (ncap - 1);
            while (nr[pos].id)
                pos = (pos + 1) & (ncap - 1);
            nr[pos] = a->names[i];
        }
        free(a->names);
        a->names = nr;
        a->names_mask = ncap - 1;
    }
    size_t pos = (id * 0x9e3779b1u) & a->names_mask;
    while (a->names[pos].id) {
        if (a->names[pos].id == id)
            return &a->names[pos];
        pos = (pos + 1) & a->names_mask;
    }
    struct name_row *r = &a->names[pos];
    r->id = id;
    const char *name = dnscache_name(a->dc, id);
    r->app = name ? v6m_apps_match(a->cfg.catalog, name, strlen(name)) : -1;
    a->names_n++;
    return r;
}

static size_t day_hash(int64_t day, int32_t app, uint16_t seg)
{
    uint64_t k = (uint64_t)day * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uint32_t)app * 0xc2b2ae3d27d4eb4fULL ^ seg;
    k ^= k >> 29;
    return (size_t)k;
}

static struct day_row *day_row(struct appsattr *a, int64_t day, int32_t app, uint16_t seg)
{
    if ((a->days_n + 1) * 2 > a->days_mask + 1) {
        size_t ncap = (a->days_mask + 1) * 2;
        struct day_row *nr = calloc(ncap, sizeof(*nr));
        if (!nr)
            return NULL;
        for (size_t i = 0; i <= a->days_mask; i++) {
            if (!a->days[i].day)
                continue;
            size_t pos = day_hash(a->days[i].day, a->days[i].app, a->days[i].seg) & (ncap - 1);
            while (nr[pos].day)
                pos = (pos + 1) & (ncap - 1);
            nr[pos] = a->days[i];
        }
        free(a->days);
        a->days = nr;
        a->days_mask = ncap - 1;
    }
    size_t pos = day_hash(day + 1, app, seg) & a->days_mask;
    while (a->days[pos].day) {
        struct day_row *r = &a->days[pos];
        if (r->day == day + 1 && r->app == app && r->seg == seg)
            return r;
        pos = (pos + 1) & a->days_mask;
    }
    struct day_row *r = &a->days[pos];
    r->day = day + 1;
    r->app = app;
    r->seg = seg;
    a->days_n++;
    return r;
}

void apps_flow_end(struct appsattr *a, const struct flow_entry *e, struct flow_side *fs)
{
    unsigned fam = e->k.family;
    if (fs->dpi_state >= 0) {
        dpi_take_result(a, fs);
        dpi_release(a, fs);
    }
    reasm_release(a, fs);
    if (fam != 1 && fam != 2)
        return;
    uint64_t pk = e->packets[0] + e->packets[1];
    uint64_t by = e->bytes[0] + e->bytes[1];
    unsigned seg = e->k.segment < a->nseg ? e->k.segment : (unsigned)a->nseg - 1;
    pbf_add(&a->res.total[fam], pk, by, 1);
    int32_t app = -1;
    struct name_row *row = fs->name_id ? name_row(a, fs->name_id) : NULL;
    if (row) {
        pbf_add(&row->fam[fam], pk, by, 1);
        row->method_flows[fs->method]++;
        app = row->app;
        if (app < 0)
            pbf_add(&a->res.named_no_app[fam], pk, by, 1);
    } else if (fs->app >= 0) {
        app = fs->app;
        a->acc[app].ndpi_flows++;
    } else {
        pbf_add(&a->res.unattributed[fam], pk, by, 1);
    }
    a->res.method_flows[row || app >= 0 ? fs->method : V6M_NAME_NONE]++;
    if (app >= 0 && (size_t)app < a->napps) {
        pbf_add(&a->acc[app].fam[fam], pk, by, 1);
        pbf_add(&a->acc_seg[((size_t)app * a->nseg + seg) * 3 + fam], pk, by, 1);
    }
    struct day_row *d = day_row(a, (int64_t)(e->first_ns / DAY_NS), app, (uint16_t)seg);
    if (d)
        pbf_add(&d->fam[fam], pk, by, 1);
}

/* ---- finish -------------------------------------------------------------- */

static uint64_t pbf_bytes(const struct v6m_pbf *f)
{
    return f[1].bytes + f[2].bytes;
}

static int cmp_names(const void *x, const void *y)
{
    const struct v6m_name_stats *a = x, *b = y;
    uint64_t ba = pbf_bytes(a->fam), bb = pbf_bytes(b->fam);
    if (ba != bb)
        return ba > bb ? -1 : 1;
    return strcmp(a->name, b->name);
}

static int cmp_apps(const void *x, const void *y)
{
    const struct v6m_app_stats *a = x, *b = y;
    uint64_t ba = pbf_bytes(a->fam), bb = pbf_bytes(b->fam);
    if (ba != bb)
        return ba > bb ? -1 : 1;
    return strcmp(a->name, b->name);
}

static int cmp_days(const void *x, const void *y)
{
    const struct v6m_app_day *a = x, *b = y;
    if (a->day_s != b->day_s)
        return a->day_s < b->day_s ? -1 : 1;
    if (a->app != b->app)
        return a->app < b->app ? -1 : 1;
    return a->segment < b->segment ? -1 : a->segment > b->segment;
}

bool apps_finish(struct appsattr *a)
{
    struct v6m_apps_result *res = &a->res;
    /* Names. */
    a->out_names = calloc(a->names_n ? a->names_n : 1, sizeof(*a->out_names));
    a->out_app_names = calloc(a->names_n ? a->names_n : 1, sizeof(*a->out_app_names));
    a->out_apps = calloc(a->napps ? a->napps : 1, sizeof(*a->out_apps));
    a->out_days = calloc(a->days_n ? a->days_n : 1, sizeof(*a->out_days));
    if (!a->out_names || !a->out_app_names || !a->out_apps || !a->out_days)
        return false;
    size_t nn = 0;
    for (size_t i = 0; i <= a->names_mask; i++) {
        const struct name_row *r = &a->names[i];
        if (!r->id)
            continue;
        struct v6m_name_stats *o = &a->out_names[nn++];
        const char *nm = dnscache_name(a->dc, r->id);
        o->name = nm ? nm : "";
        o->app = r->app;
        o->app_name = r->app >= 0 ? v6m_apps_name(a->cfg.catalog, (size_t)r->app) : NULL;
        memcpy(o->fam, r->fam, sizeof(o->fam));
        memcpy(o->method_flows, r->method_flows, sizeof(o->method_flows));
    }
    qsort(a->out_names, nn, sizeof(*a->out_names), cmp_names);
    res->n_names = nn;
    res->names = a->out_names;

    /* Apps with traffic, each with its names (already by bytes). */
    size_t na = 0, used = 0;
    for (size_t id = 0; id < a->napps; id++) {
        const struct app_acc *acc = &a->acc[id];
        if (!acc->fam[1].flows && !acc->fam[2].flows)
            continue;
        struct v6m_app_stats *o = &a->out_apps[na++];
        o->app = (int)id;
        o->name = v6m_apps_name(a->cfg.catalog, id);
        o->category = v6m_apps_category(a->cfg.catalog, id);
        memcpy(o->fam, acc->fam, sizeof(o->fam));
        o->seg = &a->acc_seg[id * a->nseg * 3];
        o->ndpi_flows = acc->ndpi_flows;
        uint64_t total = pbf_bytes(o->fam);
        o->ipv6_share = total ? (double)o->fam[2].bytes / (double)total : -1.0;
        o->names = &a->out_app_names[used];
        for (size_t k = 0; k < nn; k++)
            if (a->out_names[k].app == (int)id)
                a->out_app_names[used + o->n_names++] = k;
        used += o->n_names;
        /* Top domains: fewest names that make TOP_SHARE of the named bytes. */
        uint64_t named = 0, run = 0;
        for (size_t k = 0; k < o->n_names; k++)
            named += pbf_bytes(a->out_names[o->names[k]].fam);
        bool all_v6 = true;
        for (size_t k = 0; k < o->n_names && k < TOP_MAX; k++) {
            const struct v6m_name_stats *ns = &a->out_names[o->names[k]];
            o->n_top++;
            if (!ns->fam[2].flows)
                all_v6 = false;
            run += pbf_bytes(ns->fam);
            if ((double)run >= TOP_SHARE * (double)named)
                break;
        }
        o->shows_ipv6 = o->fam[2].bytes > 0 && all_v6;
    }
    qsort(a->out_apps, na, sizeof(*a->out_apps), cmp_apps);
    res->n_apps = na;
    res->apps = a->out_apps;

    size_t nd = 0;
    for (size_t i = 0; i <= a->days_mask; i++) {
        const struct day_row *r = &a->days[i];
        if (!r->day)
            continue;
        struct v6m_app_day *o = &a->out_days[nd++];
        o->day_s = (r->day - 1) * 86400;
        o->app = r->app;
        o->segment = r->seg;
        memcpy(o->fam, r->fam, sizeof(o->fam));
    }
    qsort(a->out_days, nd, sizeof(*a->out_days), cmp_days);
    res->n_days = nd;
    res->days = a->out_days;

    struct dnscache_stats ds;
    dnscache_get_stats(a->dc, &ds);
    res->dns_cache_entries = ds.max_entries_seen;
    res->dns_cache_evicted = ds.evicted;
    if (a->dpi) {
        struct dpi_stats ps;
        dpi_get_stats(a->dpi, &ps);
        res->dpi_flows = ps.flows_done + ps.flows_given_up;
    }
    return true;
}

const struct v6m_apps_result *apps_result(const struct appsattr *a)
{
    return &a->res;
}

static const char *const METHOD_NAMES[V6M_NAME__COUNT] = {
    "none", "sni", "host", "quic", "dns", "dns_any", "ndpi",
};

const char *v6m_name_method_name(unsigned m)
{
    return m < V6M_NAME__COUNT ? METHOD_NAMES[m] : "unknown";
}
