/*
 * synth/gen.c - the synthetic traffic model and frame construction (model
 * described in gen.h; truth schema in docs/commands/synth.md).
 *
 * Frames per segment (byte layouts, outermost first):
 *   mobile G-PDU  Ethernet | IPv4 or IPv6 (eNB/gNB <-> S-GW/UPF) | UDP
 *                 2152->2152 | GTP-U v1 (type 255, TEID per direction;
 *                 5G: E flag + PDU session container 0x85 with QFI; some
 *                 LTE bearers with the S flag) | inner IPv4/IPv6 packet.
 *                 A tunnelled packet above the 1500-byte transport MTU is
 *                 fragmented at the outer IP layer (IPv4: MF/offset; IPv6:
 *                 fragment header): first fragment 1480 (IPv4) / 1448
 *                 (IPv6) payload bytes, second the rest; 1 pair in 8 is
 *                 written second-fragment-first.
 *   mobile signalling (truth segment "other", family of the transport):
 *                 GTP-U echo request/response (S flag, Recovery IE) and
 *                 end marker (type 254), from a per-eNB unique port.
 *   metro         Ethernet | 802.1Q C-tag or 802.1ad S-tag + C-tag |
 *                 PPPoE session 0x8864 | PPP 0x0021/0x0057 | inner packet;
 *                 LCP echo (PPP 0xc021) is metro, family other.
 *   other         plain Ethernet IPv4/IPv6 (IPv6 with hop-by-hop, SRH
 *                 type 4 with segments left 0, destination options), big
 *                 DNS answers fragmented, tunnels 6in4, 6to4 (2002::/16 via
 *                 192.88.99.1), DS-Lite (4in6), GRE (key on some) with IPv4
 *                 or IPv6, VXLAN (inner Ethernet), Teredo (server port
 *                 3544, origin indication on server-to-client packets),
 *                 PPPoE discovery (PADI/PADO/PADR/PADS), ARP, LLDP.
 *
 * Inner payloads: a named data flow's first client payload is a TLS
 * ClientHello in TLS records (TCP 443; with a 1220-byte padding extension
 * it needs two TCP segments, and some small ones are cut in two at a random
 * byte), an HTTP/1.1 request with Host (TCP 80), or one or two protected
 * QUIC v1 Initials of 1200 bytes (UDP 443); tlsbuild.h builds them. Every
 * other payload is the random pattern with its first byte forced so that
 * it cannot be taken for TLS, HTTP or a QUIC long header (TCP: top bit set;
 * UDP: top two bits clear). DNS messages: hosts.h.
 *
 * Speed: one struct pb reused for every frame, no allocation after setup,
 * payload bytes copied from a 64 KiB pattern; the naming payloads are
 * rebuilt from the conversation's seed into scratch buffers of struct gen
 * when they are written (a QUIC Initial costs one AES-GCM seal).
 */
#include "synth/gen.h"

#include <stdlib.h>
#include <string.h>

#include "synth/hosts.h"
#include "synth/tlsbuild.h"

static const uint8_t BRAS_MAC[6] = {0x00, 0xe0, 0xfc, 0x12, 0x34, 0x56};
static const uint8_t GW_MAC[6] = {0x00, 0x1c, 0x73, 0x00, 0x00, 0x01};
static const uint8_t ENB_MAC[6] = {0x00, 0x1e, 0x73, 0x10, 0x00, 0x00};
static const uint8_t SGW_MAC[6] = {0x00, 0x1b, 0x21, 0x20, 0x00, 0x00};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};


#define FAM4 V6M_FAMILY_IPV4
#define FAM6 V6M_FAMILY_IPV6
#define FAMO V6M_FAMILY_OTHER

static inline uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

static void v6set(uint8_t a[16], uint16_t w0, uint16_t w1, uint16_t w2,
                  uint16_t w3, uint64_t iid)
{
    put16(a, w0);
    put16(a + 2, w1);
    put16(a + 4, w2);
    put16(a + 6, w3);
    for (int i = 0; i < 8; i++)
        a[8 + i] = (uint8_t)(iid >> (56 - 8 * i));
}

static bool enb_v6(unsigned e)
{
    return e % 10 < 3;
}

static void enb_addr(unsigned e, bool v6, uint8_t out[16], uint32_t *v4)
{
    *v4 = ip4(172, 16, e, 1);
    v6set(out, 0x2409, 0x8080, 0, (uint16_t)e, 1);
}

static void sgw_addr(unsigned s, uint8_t out[16], uint32_t *v4)
{
    *v4 = ip4(172, 31, 0, s + 1);
    v6set(out, 0x2409, 0x8080, 0xffff, (uint16_t)s, 1);
}

/* ---- setup ------------------------------------------------------------ */

/* Can subscriber u carry a conversation of class cls (0 IPv4, 1 qualifying
 * IPv6, 2 any IPv6)? */
static bool user_can(const struct gen_user *u, int cls)
{
    if (cls == 0)
        return u->stack & GEN_STACK_V4;
    if (cls == 1)
        return (u->stack & GEN_STACK_V6) && !(u->stack & GEN_STACK_V6_INACTIVE);
    return u->stack & GEN_STACK_V6;
}

v6m_err gen_setup(struct gen *g)
{
    struct v6m_synth_config *cfg = &g->cfg;
    rng_seed(&g->rng, cfg->seed);
    for (size_t i = 0; i < GEN_PATTERN; i += 8) {
        uint64_t v = rng_next(&g->rng);
        memcpy(g->pattern + i, &v, 8);
    }
    double tot = cfg->mix[0] + cfg->mix[1] + cfg->mix[2];
    for (int s = 0; s < V6M_SYNTH_SEGMENTS; s++)
        g->mix[s] = cfg->mix[s] / tot;
    g->share_target[V6M_SYNTH_MOBILE] =
        cfg->mobile_share >= 0 ? cfg->mobile_share : cfg->ipv6_share;
    g->share_target[V6M_SYNTH_METRO] =
        cfg->metro_share >= 0 ? cfg->metro_share : cfg->ipv6_share;
    g->share_target[V6M_SYNTH_OTHER] = cfg->ipv6_share;

    /* Subscribers: split between mobile and metro by their packet mix. */
    double mm = g->mix[0] + g->mix[1];
    uint32_t nm = 0;
    if (mm > 0)
        nm = (uint32_t)((double)cfg->users * g->mix[0] / mm + 0.5);
    if (g->mix[0] > 0 && nm == 0)
        nm = 1;
    if (g->mix[1] > 0 && nm >= cfg->users)
        nm = cfg->users - 1;
    g->n_users = cfg->users;
    g->n_mobile = nm;
    for (int a = 0; a < 2; a++) {
        double t = g->share_target[a];
        double *m = g->user_mix[a];
        if (cfg->user_mix[0] < 0 && cfg->user_mix[1] < 0 && cfg->user_mix[2] < 0) {
            /* v6-only and v4-only users scale with the target so that a
             * share of 0 or 1 stays reachable; most users are dual-stack. */
            m[0] = 0.2 - 0.2 * t;
            m[1] = 0.2 * t;
            m[2] = 0.8;
        } else {
            double sum = 0;
            for (int k = 0; k < 3; k++)
                sum += cfg->user_mix[k] > 0 ? cfg->user_mix[k] : 0;
            for (int k = 0; k < 3; k++)
                m[k] = cfg->user_mix[k] > 0 ? cfg->user_mix[k] / sum : 0;
        }
    }
    g->users = calloc(cfg->users, sizeof(*g->users));
    if (!g->users)
        return errbuf_set(&g->err, V6M_ERR_NOMEM, "out of memory (%u users)",
                          cfg->users);
    for (uint32_t i = 0; i < cfg->users; i++) {
        struct gen_user *u = &g->users[i];
        bool mob = i < nm;
        uint32_t k = mob ? i : i - nm;
        const double *um = g->user_mix[mob ? 0 : 1];
        double r = rng_unit(&g->rng);
        u->stack = r < um[1] ? GEN_STACK_V6 : r < um[1] + um[0] ? GEN_STACK_V4
                                                               : GEN_STACK_V4 | GEN_STACK_V6;
        if (u->stack == (GEN_STACK_V4 | GEN_STACK_V6) && cfg->inactive_v6 > 0 &&
            rng_unit(&g->rng) < cfg->inactive_v6)
            u->stack |= GEN_STACK_V6_INACTIVE;
        if (mob) {
            u->v4 = ip4(10, 64 + (k >> 16), (k >> 8) & 0xff, k & 0xff);
            v6set(u->v6, 0x2409, 0x8a00, (uint16_t)(k >> 16), (uint16_t)k,
                  rng_next(&g->rng) | 1);
            u->enb = (uint16_t)rng_below(&g->rng, GEN_NENB);
            u->qfi = rng_unit(&g->rng) < 0.4 ? (uint8_t)(1 + rng_below(&g->rng, 9)) : 0;
            u->seq_flag = !u->qfi && rng_unit(&g->rng) < 0.2;
            u->teid_ul = 0x10000000u + k * 2;
            u->teid_dl = 0x80000000u + k * 2 + 1;
        } else {
            u->v4 = ip4(100, 64 + (k >> 16), (k >> 8) & 0xff, k & 0xff);
            v6set(u->v6, 0x240e, 0x03a0, (uint16_t)(k >> 16), (uint16_t)k,
                  rng_next(&g->rng) | 1);
            u->session = (uint16_t)(1 + k % 65534);
            u->tagmode = rng_unit(&g->rng) < 0.6;
            u->svlan = (uint16_t)(100 + k % 8);
            u->cvlan = (uint16_t)(1 + (k / 8) % 4000);
            u->mac[0] = 0x02;
            u->mac[1] = 0x5e;
            put32(u->mac + 2, k);
        }
        int a = mob ? 0 : 1;
        for (int cls = 0; cls < 3; cls++)
            g->cap_n[a][cls] += user_can(u, cls);
    }
    for (int a = 0; a < 2; a++)
        for (int cls = 0; cls < 3; cls++) {
            g->cap_idx[a][cls] = malloc((g->cap_n[a][cls] ? g->cap_n[a][cls] : 1) *
                                        sizeof(uint32_t));
            if (!g->cap_idx[a][cls])
                return errbuf_set(&g->err, V6M_ERR_NOMEM, "out of memory (%u users)",
                                  cfg->users);
            g->cap_n[a][cls] = 0;
        }
    for (uint32_t i = 0; i < cfg->users; i++) {
        int a = i < nm ? 0 : 1;
        for (int cls = 0; cls < 3; cls++)
            if (user_can(&g->users[i], cls))
                g->cap_idx[a][cls][g->cap_n[a][cls]++] = i;
    }
    g->day0 = (int64_t)(cfg->start_ns / GEN_DAY_NS);
    g->n_days = (uint32_t)((cfg->start_ns + cfg->duration_ns - 1) / GEN_DAY_NS -
                           (uint64_t)g->day0 + 1);
    gen_users_activity(g);
    for (uint32_t i = 0; i < GEN_NHOST; i++) {
        struct gen_user *h = &g->hosts[i];
        h->stack = 3;
        h->v4 = ip4(192, 168, 1, 10 + i);
        v6set(h->v6, 0x2001, 0x0da8, 0x8000, 1, rng_next(&g->rng) | 1);
        h->mac[0] = 0x00;
        h->mac[1] = 0x16;
        h->mac[2] = 0x3e;
        h->mac[3] = 0x00;
        h->mac[4] = 0x01;
        h->mac[5] = (uint8_t)i;
    }
    for (uint32_t i = 0; i < GEN_NSRV; i++) {
        g->srv_v4[i] = hosts_anon4(i);
        hosts_anon6(i, g->srv_v6[i]);
    }
    /* Host choice: weight * IPv4 or IPv6 preference, cumulative. */
    uint64_t acc[3] = {0, 0, 0};
    for (size_t h = 0; h < hosts_count && h < GEN_MAX_HOSTS; h++) {
        const struct host_def *d = &hosts_table[h];
        acc[0] += d->n4 ? (uint64_t)d->weight * (100u - d->p6) : 0;
        acc[1] += d->n6 ? (uint64_t)d->weight * d->p6 : 0;
        acc[2] += d->weight;
        for (int k = 0; k < 3; k++)
            g->host_cum[k][h] = acc[k];
        g->names[h].name = d->name;
    }
    for (unsigned e = 0; e < GEN_NENB; e++) {
        g->enb_frag_id[e][0] = (uint16_t)rng_next(&g->rng);
        g->enb_frag_id[e][1] = (uint16_t)rng_next(&g->rng);
        g->enb_frag6_id[e][0] = (uint32_t)rng_next(&g->rng);
        g->enb_frag6_id[e][1] = (uint32_t)rng_next(&g->rng);
    }
    g->ipid = (uint16_t)rng_next(&g->rng);

    /* Pool sizes: keep the gap between two packets of one conversation
     * near 4 s at most (mean frame gap / segment share * pool). */
    double gap = (double)cfg->duration_ns / (double)(cfg->packets ? cfg->packets : 1);
    for (int s = 0; s < V6M_SYNTH_SEGMENTS; s++) {
        double k = g->mix[s] > 0 ? 4e9 * g->mix[s] / (gap > 1 ? gap : 1) : 1;
        if (k > GEN_POOL_MAX)
            k = GEN_POOL_MAX;
        if (k < 1)
            k = 1;
        g->pool_n[s] = (uint32_t)k;
    }

    /* Buckets. */
    g->bucket0 = (int64_t)(cfg->start_ns / GEN_BUCKET_NS);
    uint64_t last = cfg->start_ns + cfg->duration_ns;
    g->n_buckets = last / GEN_BUCKET_NS - (uint64_t)g->bucket0 + 1;
    g->buckets = calloc(g->n_buckets, sizeof(*g->buckets));
    if (!g->buckets)
        return errbuf_set(&g->err, V6M_ERR_NOMEM, "out of memory (buckets)");
    return V6M_OK;
}

void gen_release(struct gen *g)
{
    free(g->users);
    g->users = NULL;
    for (int a = 0; a < 2; a++)
        for (int f = 0; f < 3; f++) {
            free(g->cap_idx[a][f]);
            g->cap_idx[a][f] = NULL;
        }
    free(g->buckets);
    g->buckets = NULL;
    free(g->windows);
    g->windows = NULL;
    free(g->names_out);
    g->names_out = NULL;
}

/* ---- accounting and output ----------------------------------------- */

struct fmeta {
    uint8_t seg, fam, srh, fl, ifid;
};

static uint64_t next_ts(struct gen *g)
{
    const struct v6m_synth_config *cfg = &g->cfg;
    uint64_t n = cfg->packets;
    uint64_t j = g->frame_idx++;
    uint64_t a = (uint64_t)(((unsigned __int128)j * cfg->duration_ns) / n);
    uint64_t b = (uint64_t)(((unsigned __int128)(j + 1) * cfg->duration_ns) / n);
    uint64_t ts = cfg->start_ns + a + (b > a ? rng_below(&g->rng, b - a) : 0);
    if (!cfg->nanosecond)
        ts -= ts % 1000;
    return ts;
}

/* Day marks of the subscriber of a user conversation (mobile / metro). */
static void mark_user(struct gen *g, struct gen_conv *c, uint64_t ts)
{
    int64_t d = (int64_t)(ts / GEN_DAY_NS) - g->day0;
    if (d == c->mark_day || d < 0 || d >= GEN_MAX_DAYS)
        return;
    c->mark_day = (int16_t)d;
    struct gen_user *u = &g->users[c->user];
    uint32_t bit = 1u << d;
    u->mark[GM_SEEN] |= bit;
    if (c->fam == FAM6)
        u->mark[GM_H6] |= bit;
    if (c->qual)
        u->mark[c->fam == FAM6 ? GM_Q6 : GM_Q4] |= bit;
}

static bool conv_named(const struct gen_conv *c)
{
    return c->name && c->stage == 1;
}

static void account(struct gen *g, struct gen_conv *c, const struct fmeta *m,
                    uint64_t ts, const struct pb *f)
{
    struct v6m_synth_truth *t = &g->truth;
    uint32_t len = f->len;
    uint32_t cap = g->cfg.snaplen && len > g->cfg.snaplen ? g->cfg.snaplen : len;
    t->packets++;
    t->wire_bytes += len;
    t->captured_bytes += cap;
    if (t->packets == 1)
        t->first_ns = ts;
    t->last_ns = ts;
    g->last_ts = ts;
    t->totals[m->fam].packets++;
    t->totals[m->fam].bytes += len;
    t->seg[m->seg][m->fam].packets++;
    t->seg[m->seg][m->fam].bytes += len;
    if (m->srh)
        t->srh_packets++;
    if (m->fl)
        t->flow_label_packets++;
    int64_t bi = (int64_t)(ts / GEN_BUCKET_NS) - g->bucket0;
    struct gen_cnt *bc = &g->buckets[bi].c[m->seg][m->fam];
    bc->packets++;
    bc->bytes += len;
    struct v6m_synth_counts *nc = NULL;
    if (m->fam != FAMO) {
        nc = c && conv_named(c) ? &g->names[c->name - 1].fam[m->fam] : &g->unattr[m->fam];
        nc->packets++;
        nc->bytes += len;
    }
    if (c && c->has_flow) {
        if (!c->started) {
            c->started = 1;
            c->first_ts = ts;
            t->totals[m->fam].flows++;
            t->seg[m->seg][m->fam].flows++;
            if (nc)
                nc->flows++;
            if (c->kind == GK_ICMP)
                t->icmp_echo_flows[m->fam]++;
            if (conv_named(c)) {
                /* Named by its lookup until the naming payload is out. */
                g->names[c->name - 1].method[GM_DNS]++;
                if (ts - c->ans_ts > g->max_dns_age_ns)
                    g->max_dns_age_ns = ts - c->ans_ts;
            }
        } else {
            if (ts - c->last_ts > g->max_gap_ns)
                g->max_gap_ns = ts - c->last_ts;
            if (ts - c->first_ts > g->max_life_ns)
                g->max_life_ns = ts - c->first_ts;
        }
        c->last_ts = ts;
        if (c->last_bucket != bi) {
            c->last_bucket = bi;
            bc->flows++;
        }
        if (m->seg != V6M_SYNTH_OTHER && m->fam != FAMO)
            mark_user(g, c, ts);
    }
}

/* The complete naming payload of c's data flow has been written. */
static void named_by_payload(struct gen *g, struct gen_conv *c)
{
    if (!conv_named(c) || c->method == GM_DNS || c->named_done)
        return;
    c->named_done = 1;
    struct v6m_synth_name_truth *n = &g->names[c->name - 1];
    n->method[GM_DNS]--;
    n->method[c->method]++;
    c->partial = 0;
}

static void emit(struct gen *g, struct gen_conv *c, const struct fmeta *m,
                 const struct pb *f)
{
    uint64_t ts = next_ts(g);
    account(g, c, m, ts, f);
    capw_frame(&g->w, g->cfg.pcapng ? m->ifid : 0, ts, f->buf, f->len);
}

static uint64_t frames_left(const struct gen *g)
{
    return g->cfg.packets - g->frame_idx;
}

/* Emit g->pkt, fragmenting its first IP header (at offset 14) when it is
 * longer than the 1500-byte MTU and two frames are still allowed. */
static void emit_maybe_frag(struct gen *g, struct gen_conv *c,
                            const struct fmeta *m, uint16_t *id4, uint32_t *id6)
{
    struct pb *p = &g->pkt;
    if (p->len - 14 <= 1500 || frames_left(g) < 2) {
        emit(g, c, m, p);
        return;
    }
    bool v6 = (p->buf[14] >> 4) == 6;
    if (v6) {
        pb_frag_ipv6(p, 14, 1448, (*id6)++, &g->f1, &g->f2);
        g->encap[GC_IPV6_FRAG] += 2;
    } else {
        pb_frag_ipv4(p, 14, 1480, &g->f1, &g->f2);
        uint16_t id = (*id4)++;
        put16(g->f1.buf + 18, id);
        put16(g->f1.buf + 24, 0);
        put16(g->f1.buf + 24, csum_fold(csum_add(0, g->f1.buf + 14, 20)));
        put16(g->f2.buf + 18, id);
        put16(g->f2.buf + 24, 0);
        put16(g->f2.buf + 24, csum_fold(csum_add(0, g->f2.buf + 14, 20)));
        g->encap[GC_IPV4_FRAG] += 2;
    }
    pb_pad60(&g->f2);
    uint64_t ta = next_ts(g), tb = next_ts(g);
    bool swap = rng_below(&g->rng, 8) == 0 &&
                ta / GEN_BUCKET_NS == tb / GEN_BUCKET_NS;
    uint32_t ifid = g->cfg.pcapng ? m->ifid : 0;
    if (swap) {
        g->encap[GC_OOO_PAIRS]++;
        account(g, c, m, ta, &g->f2);
        capw_frame(&g->w, ifid, ta, g->f2.buf, g->f2.len);
        account(g, c, m, tb, &g->f1);
        capw_frame(&g->w, ifid, tb, g->f1.buf, g->f1.len);
    } else {
        account(g, c, m, ta, &g->f1);
        capw_frame(&g->w, ifid, ta, g->f1.buf, g->f1.len);
        account(g, c, m, tb, &g->f2);
        capw_frame(&g->w, ifid, tb, g->f2.buf, g->f2.len);
    }
}

/* ---- conversations ---------------------------------------------------- */

static double seg_share(const struct gen *g, int s)
{
    uint64_t b4 = g->truth.seg[s][FAM4].bytes, b6 = g->truth.seg[s][FAM6].bytes;
    if (b4 + b6 == 0)
        return g->share_target[s];
    return (double)b6 / (double)(b4 + b6);
}

static uint8_t pick_family(struct gen *g, int s)
{
    double t = g->share_target[s];
    double p = t + 2.0 * (t - seg_share(g, s));
    if (t <= 0)
        return FAM4;
    if (t >= 1)
        return FAM6;
    return rng_unit(&g->rng) < p ? FAM6 : FAM4;
}

static uint16_t next_port(struct gen *g, struct gen_user *u)
{
    uint32_t n = u->conns++;
    if (n == 64512)
        g->port_wraps++;
    return (uint16_t)(1024 + n % 64512);
}

static uint32_t rnd_label(struct gen *g, double p)
{
    if (rng_unit(&g->rng) >= p)
        return 0;
    return (uint32_t)(1 + rng_below(&g->rng, 0xfffff));
}

static void start_user_conv(struct gen *g, int s, struct gen_conv *c, uint32_t slot)
{
    c->fam = pick_family(g, s);
    c->has_flow = 1;
    c->enc = GE_PLAIN;
    c->mark_day = -1;
    if (s == V6M_SYNTH_OTHER) {
        c->user = (uint32_t)rng_below(&g->rng, GEN_NHOST);
        double r = rng_unit(&g->rng);
        if (c->fam == FAM6)
            c->enc = r < 0.70 ? GE_PLAIN : r < 0.77 ? GE_6IN4 : r < 0.82 ? GE_6TO4
                   : r < 0.88 ? GE_TEREDO : r < 0.94 ? GE_GRE : GE_VXLAN;
        else
            c->enc = r < 0.75 ? GE_PLAIN : r < 0.85 ? GE_DSLITE
                   : r < 0.93 ? GE_GRE : GE_VXLAN;
        if (c->fam == FAM6 && c->enc == GE_PLAIN) {
            double e = rng_unit(&g->rng);
            c->ext = e < 0.05 ? 1 : e < 0.10 ? 2 : e < 0.20 ? 4 : e < 0.25 ? 3 : 0;
        }
        c->gre_key_on = rng_unit(&g->rng) < 0.5;
    }
    c->srv = (uint32_t)rng_below(&g->rng, GEN_NSRV);
    c->fl_up = c->fam == FAM6 ? rnd_label(g, 0.7) : 0;
    c->fl_dn = c->fam == FAM6 ? rnd_label(g, 0.5) : 0;
    double k = rng_unit(&g->rng);
    c->kind = k < 0.50 ? GK_TCP : k < 0.68 ? GK_QUIC : k < 0.88 ? GK_DNS : GK_ICMP;
    c->qual = c->kind == GK_TCP || c->kind == GK_QUIC;
    bool dual_client = true;
    if (s != V6M_SYNTH_OTHER) {
        int a = s == V6M_SYNTH_MOBILE ? 0 : 1;
        int cls = c->fam == FAM4 ? 0 : c->qual ? 1 : 2;
        if (g->cap_n[a][cls] == 0) { /* nobody can: the other family */
            c->fam = c->fam == FAM6 ? FAM4 : FAM6;
            cls = c->fam == FAM4 ? 0 : c->qual ? 1 : 2;
            c->fl_up = c->fl_dn = 0;
        }
        uint32_t su = g->sess_user[a][slot];
        if (g->sess_left[a][slot] && user_can(&g->users[su], cls)) {
            g->sess_left[a][slot]--;
            c->user = su;
        } else {
            c->user = gen_pick_user(g, a, cls);
            g->sess_user[a][slot] = c->user;
            g->sess_left[a][slot] = (uint8_t)rng_below(&g->rng, 8);
        }
        dual_client = (g->users[c->user].stack & 3) == 3;
    }
    struct gen_user *cl = s == V6M_SYNTH_OTHER ? &g->hosts[c->user] : &g->users[c->user];
    switch (c->kind) {
    case GK_TCP:
        c->data_dport = rng_unit(&g->rng) < 0.85 ? 443 : 80;
        c->n = (uint32_t)(2 + rng_below(&g->rng, rng_unit(&g->rng) < 0.2 ? 120 : 30));
        c->seq_c = (uint32_t)rng_next(&g->rng);
        c->seq_s = (uint32_t)rng_next(&g->rng);
        break;
    case GK_QUIC:
        c->data_dport = 443;
        c->n = (uint32_t)(4 + rng_below(&g->rng, 40));
        break;
    case GK_DNS: {
        c->dport = 53;
        c->srv = (uint32_t)rng_below(&g->rng, 2); /* resolvers */
        c->big = s == V6M_SYNTH_OTHER && c->enc == GE_PLAIN && c->ext == 0 &&
                 rng_unit(&g->rng) < 0.15;
        size_t h = c->big ? hosts_big() : gen_pick_host(g, 2);
        c->qhost = (uint16_t)h;
        c->nq = 1;
        c->qt[0] = rng_unit(&g->rng) < 0.5 ? 28 : 1;
        if (c->big) {
            c->af[0] = 0;
            c->an[0] = c->qt[0] == 28 ? hosts_table[h].n6 : hosts_table[h].n4;
        } else {
            gen_answer_window(g, h, c->qt[0], &c->af[0], &c->an[0]);
        }
        break;
    }
    default:
        c->dport = 0;
        c->n = (uint32_t)(1 + rng_below(&g->rng, 4)) * 2;
        break;
    }
    if (c->qual) {
        c->dport = c->data_dport;
        if (rng_unit(&g->rng) < g->cfg.app_share && gen_plan_named(g, c, dual_client)) {
            c->dport = 53;
            c->qual = 0; /* the lookup flow first */
            c->srv &= 1;
        }
    }
    c->sport = next_port(g, cl);
    gen_set_server(c, g);
}

static void start_conv(struct gen *g, int s, struct gen_conv *c, uint32_t slot)
{
    memset(c, 0, sizeof(*c));
    c->active = 1;
    c->seg = (uint8_t)s;
    c->last_bucket = -1;
    double r = rng_unit(&g->rng);
    if (s == V6M_SYNTH_OTHER && r < 0.13) {
        c->fam = FAMO;
        if (r < 0.04 || (r < 0.05 && g->n_mobile == 0)) {
            c->kind = GK_GTP_ECHO;
        } else if (r < 0.05) {
            c->kind = GK_GTP_EM;
        } else if (r < 0.08) {
            c->kind = GK_PPPOE_DISC;
        } else if (r < 0.12) {
            c->kind = GK_ARP;
        } else {
            c->kind = GK_LLDP;
        }
        if (c->kind == GK_GTP_ECHO || c->kind == GK_GTP_EM) {
            c->user = (uint32_t)rng_below(&g->rng, GEN_NENB);
            c->fam = enb_v6(c->user) ? FAM6 : FAM4;
            c->has_flow = 1;
            c->sport = (uint16_t)(32768 + g->enb_sig_ports[c->user]++ % 32768);
            if (g->enb_sig_ports[c->user] == 32769)
                g->port_wraps++;
            c->srv = (uint32_t)(g->n_mobile ? rng_below(&g->rng, g->n_mobile) : 0);
        } else if (c->kind == GK_PPPOE_DISC) {
            uint32_t nmetro = g->n_users - g->n_mobile;
            c->user = nmetro ? g->n_mobile + (uint32_t)rng_below(&g->rng, nmetro) : UINT32_MAX;
        } else {
            c->user = (uint32_t)rng_below(&g->rng, GEN_NHOST);
        }
        return;
    }
    if (s == V6M_SYNTH_METRO && r < 0.03) {
        c->fam = FAMO;
        c->kind = GK_LCP_ECHO;
        uint32_t nmetro = g->n_users - g->n_mobile;
        c->user = g->n_mobile + (uint32_t)rng_below(&g->rng, nmetro);
        return;
    }
    start_user_conv(g, s, c, slot);
}

/* ---- frame construction ------------------------------------------------ */

struct l4spec {
    uint8_t proto;      /* 6, 17, 1/58 */
    uint8_t flags;      /* TCP */
    uint16_t mss;
    uint32_t seq, ack;
    uint32_t iplen;     /* wanted length of the innermost IP packet */
    uint8_t dns;        /* 1 query, 2 answer */
    uint8_t dq;         /* DNS: which question (0, 1) */
    uint8_t icmp_type;
    uint16_t icmp_seq;
    const uint8_t *pl;  /* payload bytes (else DNS or the pattern) */
    uint32_t pl_len;
};

/* Mobile wrapper: Ethernet | outer IP | UDP | GTP-U (+ ext). */
static void wrap_mobile(struct gen *g, const struct gen_user *u, int dir,
                        uint8_t inner_fam, uint8_t *ifid)
{
    struct pb *p = &g->pkt;
    unsigned e = u->enb, s = e % GEN_NSGW;
    bool v6 = enb_v6(e);
    uint8_t ea6[16], sa6[16];
    uint32_t ea4, sa4;
    enb_addr(e, v6, ea6, &ea4);
    sgw_addr(s, sa6, &sa4);
    uint8_t em[6], sm[6];
    memcpy(em, ENB_MAC, 6);
    em[5] = (uint8_t)e;
    memcpy(sm, SGW_MAC, 6);
    sm[5] = (uint8_t)s;
    pb_eth(p, dir ? em : sm, dir ? sm : em);
    pb_u16(p, v6 ? 0x86dd : 0x0800);
    if (v6) {
        pb_ipv6(p, dir ? sa6 : ea6, dir ? ea6 : sa6, 17, 64, 0, 0);
        pb_udp(p, 2152, 2152);
        g->encap[GC_GTP_OVER_IPV6]++;
    } else {
        pb_ipv4(p, dir ? sa4 : ea4, dir ? ea4 : sa4, 17, 64, 0, g->ipid++,
                0x4000, NULL, 0);
        pb_udp_nocsum(p, 2152, 2152);
    }
    uint32_t teid = dir ? u->teid_dl : u->teid_ul;
    if (u->qfi) {
        pb_gtp(p, 0x34, 255, teid, 0, 0x85);
        pb_gtp_ext_pdu_session(p, dir ? 0 : 1, u->qfi, 0);
        g->encap[GC_GTP_PDU_SESSION]++;
    } else if (u->seq_flag) {
        pb_gtp(p, 0x32, 255, teid, (uint16_t)g->frame_idx, 0);
    } else {
        pb_gtp(p, 0x30, 255, teid, 0, 0);
    }
    (void)inner_fam;
    g->encap[GC_GTPU_GPDU]++;
    *ifid = 0;
}

static void eth_tags_metro(struct gen *g, const struct gen_user *u, int dir,
                           const uint8_t *dst_override)
{
    struct pb *p = &g->pkt;
    const uint8_t *dst = dst_override ? dst_override : dir ? u->mac : BRAS_MAC;
    pb_eth(p, dst, dir ? BRAS_MAC : u->mac);
    if (u->tagmode) {
        pb_u16(p, 0x88a8);
        pb_u16(p, u->svlan);
        g->encap[GC_QINQ]++;
    }
    pb_u16(p, 0x8100);
    pb_u16(p, u->cvlan);
    g->encap[GC_VLAN]++;
}

static uint32_t host_pub_v4(unsigned h)
{
    return ip4(58, 32, 7, 10 + h);
}

/* Other-segment wrapper up to the innermost IP header. Sets the inner
 * source/destination addresses for the host side. */
static void wrap_other(struct gen *g, struct gen_conv *c, int dir,
                       uint32_t *h4, uint8_t h6[16])
{
    struct pb *p = &g->pkt;
    const struct gen_user *h = &g->hosts[c->user];
    unsigned hi = c->user;
    *h4 = h->v4;
    memcpy(h6, h->v6, 16);
    pb_eth(p, dir ? h->mac : GW_MAC, dir ? GW_MAC : h->mac);
    uint32_t pub = host_pub_v4(hi);
    switch (c->enc) {
    case GE_PLAIN:
        pb_u16(p, c->fam == FAM6 ? 0x86dd : 0x0800);
        break;
    case GE_6IN4:
    case GE_6TO4: {
        uint32_t far = c->enc == GE_6IN4 ? ip4(216, 218, 221, 42) : ip4(192, 88, 99, 1);
        pb_u16(p, 0x0800);
        pb_ipv4(p, dir ? far : pub, dir ? pub : far, 41, 64, 0, g->ipid++, 0x4000, NULL, 0);
        if (c->enc == GE_6IN4) {
            v6set(h6, 0x2001, 0x0470, 0x1f04, (uint16_t)hi, 2);
            g->encap[GC_IP6IN4]++;
        } else {
            v6set(h6, 0x2002, (uint16_t)(pub >> 16), (uint16_t)pub, 0, 1);
            g->encap[GC_IP6IN4]++;
            g->encap[GC_6TO4]++;
        }
        break;
    }
    case GE_DSLITE: {
        uint8_t aftr[16];
        v6set(aftr, 0x2001, 0x0da8, 0xffff, 0, 1);
        pb_u16(p, 0x86dd);
        pb_ipv6(p, dir ? aftr : h->v6, dir ? h->v6 : aftr, 4, 64, 0, 0);
        g->encap[GC_IP4IN6]++;
        break;
    }
    case GE_GRE: {
        uint32_t a = ip4(10, 255, 0, 1), b = ip4(10, 255, 0, 2);
        pb_u16(p, 0x0800);
        pb_ipv4(p, dir ? b : a, dir ? a : b, 47, 255, 0, g->ipid++, 0x4000, NULL, 0);
        pb_u16(p, c->gre_key_on ? 0x2000 : 0);
        pb_u16(p, c->fam == FAM6 ? 0x86dd : 0x0800);
        if (c->gre_key_on)
            pb_u32(p, 1000 + hi);
        g->encap[GC_GRE]++;
        break;
    }
    case GE_VXLAN: {
        uint32_t a = ip4(10, 254, 0, 1), b = ip4(10, 254, 0, 2);
        pb_u16(p, 0x0800);
        pb_ipv4(p, dir ? b : a, dir ? a : b, 17, 64, 0, g->ipid++, 0x4000, NULL, 0);
        pb_udp_nocsum(p, (uint16_t)(49152 + (c->sport & 0x3fff)), 4789);
        pb_u32(p, 0x08000000u);
        pb_u32(p, (5000u + hi % 4) << 8);
        uint8_t im[6] = {0x52, 0x54, 0x00, 0x00, 0x00, (uint8_t)hi};
        uint8_t gm[6] = {0x52, 0x54, 0x00, 0xff, 0x00, 0x01};
        pb_eth(p, dir ? im : gm, dir ? gm : im);
        pb_u16(p, c->fam == FAM6 ? 0x86dd : 0x0800);
        g->encap[GC_VXLAN]++;
        break;
    }
    case GE_TEREDO: {
        uint32_t srv = ip4(83, 170, 6, 76);
        uint16_t mport = (uint16_t)(40000 + hi);
        pb_u16(p, 0x0800);
        pb_ipv4(p, dir ? srv : pub, dir ? pub : srv, 17, 64, 0, g->ipid++, 0, NULL, 0);
        pb_udp(p, dir ? 3544 : mport, dir ? mport : 3544);
        if (dir) { /* origin indication: port and address obfuscated */
            pb_u16(p, 0x0000);
            pb_u16(p, (uint16_t)~mport);
            pb_u32(p, ~pub);
        }
        put16(h6, 0x2001);
        put16(h6 + 2, 0);
        put32(h6 + 4, srv);
        put16(h6 + 8, 0);
        put16(h6 + 10, (uint16_t)~mport);
        put32(h6 + 12, ~pub);
        g->encap[GC_TEREDO]++;
        break;
    }
    default:
        break;
    }
}

static void put_dns(struct gen *g, const struct gen_conv *c, bool answer, unsigned qi)
{
    unsigned first = c->af[qi], n = c->an[qi];
    if (c->big && n > 4 && frames_left(g) < 2) { /* no room for two fragments */
        n = 4;
    }
    hosts_put_dns(&g->pkt, (uint16_t)(c->sport * 7919u + qi), c->qhost, c->qt[qi],
                  answer, first, n);
}

/* Innermost IP header + L4 + payload. */
static void put_inner(struct gen *g, struct gen_conv *c, int dir,
                      uint32_t u4, const uint8_t u6[16],
                      const struct l4spec *l4, bool *srh, bool *fl)
{
    struct pb *p = &g->pkt;
    uint32_t s4 = c->s4;
    const uint8_t *s6 = c->s6;
    size_t hdr;
    uint8_t ttl = dir ? (uint8_t)(50 + c->srv % 9) : 64;
    uint16_t sp = dir ? c->dport : c->sport, dp = dir ? c->sport : c->dport;
    size_t l4h = l4->proto == 6 ? (l4->mss ? 24 : 20) : 8;
    *srh = false;
    *fl = false;
    if (c->fam == FAM4) {
        hdr = 20;
        pb_ipv4(p, dir ? s4 : u4, dir ? u4 : s4, l4->proto, ttl, 0,
                g->ipid++, 0x4000, NULL, 0);
    } else {
        uint32_t label = dir ? c->fl_dn : c->fl_up;
        *fl = label != 0;
        uint8_t nh = c->ext & 1 ? 0 : c->ext & 4 ? 43 : c->ext & 2 ? 60 : l4->proto;
        const uint8_t *src = dir ? s6 : u6, *dst = dir ? u6 : s6;
        pb_ipv6(p, src, dst, nh, ttl, 0, label);
        hdr = 40;
        if (c->ext & 1) { /* hop-by-hop: router alert + PadN */
            uint8_t h[8] = {c->ext & 4 ? 43 : c->ext & 2 ? 60 : l4->proto, 0,
                            5, 2, 0, 0, 1, 0};
            pb_bytes(p, h, 8);
            hdr += 8;
        }
        if (c->ext & 4) { /* SRH, segments left 0: dst is the final segment */
            uint8_t h[8] = {c->ext & 2 ? 60 : l4->proto, 6, 4, 0, 2, 0, 0, 0};
            pb_bytes(p, h, 8);
            pb_bytes(p, dst, 16);
            uint8_t sg[16];
            v6set(sg, 0x2001, 0x0da8, 0xfc00, 2, 1);
            pb_bytes(p, sg, 16);
            v6set(sg, 0x2001, 0x0da8, 0xfc00, 1, 1);
            pb_bytes(p, sg, 16);
            hdr += 56;
            *srh = true;
        }
        if (c->ext & 2) { /* destination options: PadN */
            uint8_t h[8] = {l4->proto, 0, 1, 4, 0, 0, 0, 0};
            pb_bytes(p, h, 8);
            hdr += 8;
        }
    }
    size_t want = l4->iplen > hdr + l4h ? l4->iplen - hdr - l4h : 0;
    if (l4->proto == 6) {
        pb_tcp(p, sp, dp, l4->seq, l4->ack, l4->flags, 64240, l4->mss);
    } else if (l4->proto == 17) {
        pb_udp(p, sp, dp);
    } else {
        uint32_t rest = (uint32_t)c->sport << 16 | l4->icmp_seq;
        if (c->fam == FAM4)
            pb_icmp4(p, l4->icmp_type, 0, rest);
        else
            pb_icmp6(p, l4->icmp_type, 0, rest);
    }
    if (l4->dns) {
        put_dns(g, c, l4->dns == 2, l4->dq);
    } else if (l4->pl) {
        pb_bytes(p, l4->pl, l4->pl_len);
    } else if (want) {
        size_t at = p->len;
        pb_payload(p, g->pattern, GEN_PATTERN,
                   (size_t)rng_below(&g->rng, GEN_PATTERN) & ~(size_t)7, want);
        /* Opaque: never a TLS record (0x16), an HTTP method (ASCII) or a
         * QUIC long header / fixed bit. */
        if (!p->overflow && at < p->len) {
            if (l4->proto == 6)
                p->buf[at] |= 0x80;
            else if (l4->proto == 17)
                p->buf[at] &= 0x3f;
        }
    }
}

/* Innermost IP header with its extension headers (put_inner). */
static uint32_t ip_hdr_len(const struct gen_conv *c)
{
    if (c->fam != FAM6)
        return 20;
    return 40u + ((c->ext & 1) ? 8u : 0u) + ((c->ext & 4) ? 56u : 0u) + ((c->ext & 2) ? 8u : 0u);
}

static uint32_t full_size(const struct gen_conv *c)
{
    if (c->seg == V6M_SYNTH_MOBILE)
        return 1400;
    if (c->seg == V6M_SYNTH_METRO)
        return 1492;
    switch (c->enc) {
    case GE_6IN4: case GE_6TO4: return 1480;
    case GE_DSLITE: return 1460;
    case GE_GRE: return 1472;
    case GE_VXLAN: return 1450;
    case GE_TEREDO: return 1464;
    default: return 1500 - (c->ext ? 80 : 0);
    }
}

/* Build and emit one packet of a user conversation. */
static void user_packet(struct gen *g, struct gen_conv *c, int dir,
                        const struct l4spec *l4)
{
    struct pb *p = &g->pkt;
    pb_reset(p);
    struct fmeta m = {.seg = c->seg, .fam = c->fam, .ifid = (uint8_t)c->seg};
    uint32_t u4;
    uint8_t u6[16];
    if (c->seg == V6M_SYNTH_MOBILE) {
        const struct gen_user *u = &g->users[c->user];
        wrap_mobile(g, u, dir, c->fam, &m.ifid);
        u4 = u->v4;
        memcpy(u6, u->v6, 16);
    } else if (c->seg == V6M_SYNTH_METRO) {
        const struct gen_user *u = &g->users[c->user];
        eth_tags_metro(g, u, dir, NULL);
        pb_u16(p, 0x8864);
        pb_pppoe_session(p, u->session, c->fam == FAM6 ? 0x0057 : 0x0021);
        g->encap[GC_PPPOE_SESSION]++;
        u4 = u->v4;
        memcpy(u6, u->v6, 16);
    } else {
        wrap_other(g, c, dir, &u4, u6);
    }
    bool srh, fl;
    put_inner(g, c, dir, u4, u6, l4, &srh, &fl);
    pb_finish(p);
    pb_pad60(p);
    m.srh = srh;
    m.fl = fl;
    if (c->seg == V6M_SYNTH_MOBILE) {
        unsigned e = g->users[c->user].enb;
        emit_maybe_frag(g, c, &m, &g->enb_frag_id[e][dir], &g->enb_frag6_id[e][dir]);
    } else if (c->seg == V6M_SYNTH_OTHER && c->enc == GE_PLAIN) {
        emit_maybe_frag(g, c, &m, &g->host_frag_id, &g->host_frag6_id);
    } else {
        emit(g, c, &m, p);
    }
}

static uint32_t data_size(struct gen *g, const struct gen_conv *c)
{
    uint32_t full = full_size(c);
    double r = rng_unit(&g->rng);
    if (c->seg == V6M_SYNTH_MOBILE && r < 0.04 && frames_left(g) >= 2)
        return 1460 + (uint32_t)rng_below(&g->rng, 41); /* UE MTU 1500 */
    if (r < 0.8)
        return full;
    return 200 + (uint32_t)rng_below(&g->rng, full - 200);
}

/* Largest TCP payload of one segment of c. */
static uint32_t max_tcp_payload(const struct gen_conv *c)
{
    return full_size(c) - ip_hdr_len(c) - 20u;
}

/* The client's request (step 3, and 4 when split). Returns true when this
 * segment completes a naming payload. */
static bool tcp_request(struct gen *g, struct gen_conv *c, unsigned part, struct l4spec *l,
                        uint32_t base)
{
    if (conv_named(c) && c->method == GM_SNI) {
        if (part == 0 && c->split && !gen_room_for_next_visit(g, c->seg)) {
            c->split = 0; /* the end is near: no hello cut in two */
            c->pad = (uint16_t)(c->pad % 200);
        }
        size_t n = gen_tls_bytes(g, c);
        if (n >= 64) {
            if (part == 0 && c->split) {
                size_t mp = max_tcp_payload(c);
                c->cut = (uint16_t)(n > mp ? mp : 16 + rng_below(&g->rng, n - 32));
            }
            size_t from = part ? c->cut : 0, to = part == 0 && c->split ? c->cut : n;
            l->pl = g->rec + from;
            l->pl_len = (uint32_t)(to - from);
            l->iplen = base + l->pl_len;
            if (part == 0 && c->split)
                c->partial = 1;
            return part == 1 || !c->split;
        }
    } else if (conv_named(c) && c->method == GM_HOST) {
        size_t n = hosts_http_request(g->rec, sizeof(g->rec), hosts_table[c->name - 1].name,
                                      c->pl_seed);
        if (n) {
            l->pl = g->rec;
            l->pl_len = (uint32_t)n;
            l->iplen = base + l->pl_len;
            return true;
        }
    }
    c->split = 0;
    l->iplen = base + 100 + (uint32_t)rng_below(&g->rng, 600);
    return false;
}

static void step_tcp(struct gen *g, struct gen_conv *c)
{
    struct l4spec l = {.proto = 6};
    uint32_t base = ip_hdr_len(c) + 20; /* sequence numbers count payload */
    uint32_t st = c->step++;
    int dir = 0;
    bool named = false;
    if (st == 0) {
        l.flags = 0x02;
        l.seq = c->seq_c++;
        l.mss = c->seg == V6M_SYNTH_METRO ? 1452 : 1440;
        l.iplen = base + 4;
    } else if (st == 1) {
        dir = 1;
        l.flags = 0x12;
        l.seq = c->seq_s++;
        l.ack = c->seq_c;
        l.mss = 1440;
        l.iplen = base + 4;
    } else if (st == 2) {
        l.flags = 0x10;
        l.seq = c->seq_c;
        l.ack = c->seq_s;
        l.iplen = base;
    } else if (st == 3 || (st == 4 && c->split)) {
        l.flags = 0x18;
        l.seq = c->seq_c;
        l.ack = c->seq_s;
        named = tcp_request(g, c, st - 3, &l, base);
        c->seq_c += l.pl ? l.pl_len : l.iplen - base;
    } else if (c->phase == 0) {
        uint32_t k = st - 4 - c->split;
        if (k % 3 == 2) {
            l.flags = 0x10;
            l.seq = c->seq_c;
            l.ack = c->seq_s;
            l.iplen = base;
        } else {
            dir = 1;
            l.flags = 0x10;
            l.seq = c->seq_s;
            l.ack = c->seq_c;
            l.iplen = data_size(g, c);
            c->seq_s += l.iplen - base;
            if (++c->sub >= c->n)
                c->phase = 1;
        }
    } else {
        uint32_t k = c->sub++ - c->n;
        dir = k == 1;
        l.flags = k == 2 ? 0x10 : 0x11;
        l.seq = dir ? c->seq_s : c->seq_c;
        l.ack = dir ? c->seq_c : c->seq_s + (k == 2); /* seq_c counts the FIN */
        if (k == 0)
            c->seq_c++;
        l.iplen = base;
        if (k == 2)
            c->active = 0;
    }
    user_packet(g, c, dir, &l);
    if (named)
        named_by_payload(g, c);
}

static void step_quic(struct gen *g, struct gen_conv *c)
{
    struct l4spec l = {.proto = 17};
    uint32_t st = c->step++;
    /* Payload sizes below are what a QUIC packet needs (a short header
     * with its tag). */
    uint32_t base = ip_hdr_len(c) + 8;
    bool named = false;
    if (st == 0 && conv_named(c) && c->method == GM_QUIC) {
        size_t n = gen_quic_initial(g, c, 0, &named);
        if (n) {
            l.pl = g->rec;
            l.pl_len = (uint32_t)n;
            c->partial = !named;
        } else {
            c->split = 0;
            named = false;
        }
    } else if (st == 1 && c->split) {
        size_t n = gen_quic_initial(g, c, 1, &named);
        l.pl = g->rec;
        l.pl_len = (uint32_t)n;
    }
    int dir = st <= c->split ? 0 : (st % 4 == 0 ? 0 : 1);
    if (!l.pl) {
        l.iplen = st == 0 ? base + 1252 : dir ? base + 1252 - (uint32_t)rng_below(&g->rng, 60)
                                             : base + 30 + (uint32_t)rng_below(&g->rng, 40);
        if (l.iplen > full_size(c))
            l.iplen = full_size(c);
    }
    if (dir && ++c->sub >= c->n)
        c->active = 0;
    user_packet(g, c, dir, &l);
    if (named)
        named_by_payload(g, c);
}

/* A DNS exchange: the questions (one, or A and AAAA from one socket), then
 * the answers. The lookup of a named conversation then opens its data flow
 * (new port, the answered address) in the same slot. */
static void step_dns(struct gen *g, struct gen_conv *c)
{
    struct l4spec l = {.proto = 17};
    uint32_t st = c->step++;
    bool answer = st >= c->nq;
    l.dns = answer ? 2 : 1;
    l.dq = (uint8_t)(answer ? st - c->nq : st);
    user_packet(g, c, answer, &l);
    if (st + 1 < 2u * c->nq)
        return;
    if (!c->name) {
        c->active = 0;
        return;
    }
    struct gen_user *cl = c->seg == V6M_SYNTH_OTHER ? &g->hosts[c->user] : &g->users[c->user];
    c->stage = 1;
    c->step = 0;
    c->started = 0;
    c->qual = 1;
    c->dport = c->data_dport;
    c->sport = next_port(g, cl);
    c->last_bucket = -1;
    c->mark_day = -1;
    c->ans_ts = g->last_ts;
    gen_set_server(c, g);
}

static void step_user(struct gen *g, struct gen_conv *c)
{
    if (c->kind == GK_DNS || (c->name && c->stage == 0)) {
        step_dns(g, c);
        return;
    }
    switch (c->kind) {
    case GK_TCP:
        step_tcp(g, c);
        return;
    case GK_QUIC:
        step_quic(g, c);
        return;
    case GK_ICMP: {
        struct l4spec l = {.proto = c->fam == FAM6 ? 58 : 1};
        uint32_t st = c->step++;
        int dir = (int)(st & 1);
        l.icmp_type = c->fam == FAM6 ? (dir ? 129 : 128) : (dir ? 0 : 8);
        l.icmp_seq = (uint16_t)(st / 2 + 1);
        l.iplen = (c->fam == FAM6 ? 48 : 28) + 56;
        if (st + 1 >= c->n)
            c->active = 0;
        user_packet(g, c, dir, &l);
        return;
    }
    default:
        c->active = 0;
        return;
    }
}

/* GTP-U echo request/response and end marker. */
static void step_gtp_sig(struct gen *g, struct gen_conv *c)
{
    struct pb *p = &g->pkt;
    uint32_t st = c->step++;
    unsigned e = c->user, s = e % GEN_NSGW;
    bool v6 = c->fam == FAM6;
    int dir = c->kind == GK_GTP_EM ? 1 : (int)st;
    uint8_t ea6[16], sa6[16];
    uint32_t ea4, sa4;
    enb_addr(e, v6, ea6, &ea4);
    sgw_addr(s, sa6, &sa4);
    uint8_t em[6], sm[6];
    memcpy(em, ENB_MAC, 6);
    em[5] = (uint8_t)e;
    memcpy(sm, SGW_MAC, 6);
    sm[5] = (uint8_t)s;
    pb_reset(p);
    pb_eth(p, dir ? em : sm, dir ? sm : em);
    pb_u16(p, v6 ? 0x86dd : 0x0800);
    if (v6)
        pb_ipv6(p, dir ? sa6 : ea6, dir ? ea6 : sa6, 17, 64, 0, 0);
    else
        pb_ipv4(p, dir ? sa4 : ea4, dir ? ea4 : sa4, 17, 64, 0, g->ipid++, 0x4000, NULL, 0);
    uint16_t eport = c->sport;
    if (c->kind == GK_GTP_EM) {
        pb_udp(p, eport, 2152);
        uint32_t teid = g->n_mobile ? g->users[c->srv].teid_dl : 1;
        pb_gtp(p, 0x30, 254, teid, 0, 0);
        c->active = 0;
    } else {
        pb_udp(p, dir ? 2152 : eport, dir ? eport : 2152);
        pb_gtp(p, 0x32, dir ? 2 : 1, 0, (uint16_t)(eport * 31u), 0);
        if (dir) {
            pb_u8(p, 14); /* Recovery IE */
            pb_u8(p, 0);
            c->active = 0;
        }
    }
    pb_finish(p);
    pb_pad60(p);
    g->encap[GC_GTPU_SIGNAL]++;
    if (v6)
        g->encap[GC_GTP_OVER_IPV6]++;
    struct fmeta m = {.seg = V6M_SYNTH_OTHER, .fam = c->fam, .ifid = 0};
    emit(g, c, &m, p);
}

static void pppoe_tag(struct pb *p, uint16_t type, const void *v, uint16_t len)
{
    pb_u16(p, type);
    pb_u16(p, len);
    pb_bytes(p, v, len);
}

static void step_nonip(struct gen *g, struct gen_conv *c)
{
    struct pb *p = &g->pkt;
    uint32_t st = c->step++;
    struct fmeta m = {.seg = V6M_SYNTH_OTHER, .fam = FAMO, .ifid = 2};
    pb_reset(p);
    if (c->kind == GK_PPPOE_DISC || c->kind == GK_LCP_ECHO) {
        struct gen_user tmp;
        const struct gen_user *u = &tmp;
        if (c->user == UINT32_MAX) {
            memset(&tmp, 0, sizeof(tmp));
            memcpy(tmp.mac, g->hosts[0].mac, 6);
            tmp.cvlan = 10;
        } else {
            u = &g->users[c->user];
        }
        int dir = (int)(st & 1);
        m.ifid = 1;
        if (c->kind == GK_LCP_ECHO) {
            dir = st == 0; /* BRAS asks, CPE answers */
            eth_tags_metro(g, u, dir, NULL);
            pb_u16(p, 0x8864);
            pb_pppoe_session(p, u->session, 0xc021);
            pb_u8(p, st == 0 ? 9 : 10);
            pb_u8(p, (uint8_t)(c->user + st));
            pb_u16(p, 8);
            pb_u32(p, st == 0 ? 0x5a5a0000u ^ c->user : 0x3c3c0000u ^ c->user);
            g->encap[GC_PPPOE_SESSION]++;
            m.seg = V6M_SYNTH_METRO;
            if (st == 1)
                c->active = 0;
        } else {
            static const uint8_t codes[4] = {0x09, 0x07, 0x19, 0x65};
            eth_tags_metro(g, u, dir, st == 0 ? BCAST : NULL);
            pb_u16(p, 0x8863);
            size_t off = p->len;
            pb_u8(p, 0x11);
            pb_u8(p, codes[st]);
            pb_u16(p, st == 3 ? u->session : 0);
            pb_u16(p, 0);
            pppoe_tag(p, 0x0101, "", 0);
            if (st & 1)
                pppoe_tag(p, 0x0102, "SH-BRAS-01", 10);
            uint8_t hu[4];
            put32(hu, c->user);
            pppoe_tag(p, 0x0103, hu, 4);
            put16(p->buf + off + 4, (uint16_t)(p->len - off - 6));
            g->encap[GC_PPPOE_DISCOVERY]++;
            if (st == 3)
                c->active = 0;
        }
    } else if (c->kind == GK_ARP) {
        const struct gen_user *h = &g->hosts[c->user];
        int dir = (int)st;
        pb_eth(p, dir ? h->mac : BCAST, dir ? GW_MAC : h->mac);
        pb_u16(p, 0x0806);
        pb_u16(p, 1);
        pb_u16(p, 0x0800);
        pb_u8(p, 6);
        pb_u8(p, 4);
        pb_u16(p, dir ? 2 : 1);
        pb_bytes(p, dir ? GW_MAC : h->mac, 6);
        pb_u32(p, dir ? ip4(192, 168, 1, 1) : h->v4);
        if (dir)
            pb_bytes(p, h->mac, 6);
        else
            pb_zero(p, 6);
        pb_u32(p, dir ? h->v4 : ip4(192, 168, 1, 1));
        g->encap[GC_ARP]++;
        if (st == 1)
            c->active = 0;
    } else { /* LLDP */
        static const uint8_t lldp_dst[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e};
        pb_eth(p, lldp_dst, GW_MAC);
        pb_u16(p, 0x88cc);
        pb_u16(p, (1 << 9) | 7);
        pb_u8(p, 4);
        pb_bytes(p, GW_MAC, 6);
        pb_u16(p, (2 << 9) | 6);
        pb_u8(p, 5);
        pb_bytes(p, "Gi0/1", 5);
        pb_u16(p, (3 << 9) | 2);
        pb_u16(p, 120);
        pb_u16(p, 0);
        c->active = 0;
    }
    pb_finish(p);
    pb_pad60(p);
    emit(g, c, &m, p);
}

static void step_conv(struct gen *g, struct gen_conv *c)
{
    switch (c->kind) {
    case GK_GTP_ECHO:
    case GK_GTP_EM:
        step_gtp_sig(g, c);
        break;
    case GK_PPPOE_DISC:
    case GK_LCP_ECHO:
    case GK_ARP:
    case GK_LLDP:
        step_nonip(g, c);
        break;
    default:
        step_user(g, c);
        break;
    }
}

void gen_run_frames(struct gen *g)
{
    uint64_t n = g->cfg.packets;
    uint64_t next_progress = 65536;
    while (g->frame_idx < n && g->w.status == V6M_OK) {
        /* Smooth weighted round robin over the segments. */
        int best = -1;
        for (int s = 0; s < V6M_SYNTH_SEGMENTS; s++) {
            if (g->mix[s] <= 0)
                continue;
            g->credit[s] += g->mix[s];
            if (best < 0 || g->credit[s] > g->credit[best])
                best = s;
        }
        g->credit[best] -= 1.0;
        /* Round robin over the pool: bounded gaps inside a conversation
         * (a random slot would give a long geometric tail). */
        uint32_t slot = g->cursor[best]++;
        if (g->cursor[best] >= g->pool_n[best])
            g->cursor[best] = 0;
        struct gen_conv *c = &g->pool[best][slot];
        if (!c->active)
            start_conv(g, best, c, slot);
        step_conv(g, c);
        if (g->frame_idx >= next_progress) {
            next_progress += 65536;
            if (g->cfg.progress)
                g->cfg.progress(g->cfg.progress_user, g->frame_idx, n);
        }
    }
    double gap = (double)g->max_gap_ns / 1e9, life = (double)g->max_life_ns / 1e9;
    g->truth.max_flow_gap_s = gap;
    g->truth.max_flow_life_s = life;
    g->truth.flows_exact = gap < 50.0 && life < 1700.0 && g->port_wraps == 0;
    for (int s = 0; s < V6M_SYNTH_SEGMENTS; s++)
        for (uint32_t i = 0; i < g->pool_n[s]; i++) {
            const struct gen_conv *c = &g->pool[s][i];
            if (c->active && conv_named(c) && c->partial)
                g->name_partial++;
        }
    g->truth.max_dns_age_s = (double)g->max_dns_age_ns / 1e9;
    /* A snap length cuts naming payloads and DNS answers out of the frames. */
    g->truth.names_exact = g->name_partial == 0 && g->cfg.snaplen == 0 &&
                           g->max_dns_age_ns < (uint64_t)HOSTS_TTL * 1000000000ULL;
}
