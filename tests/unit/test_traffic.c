/*
 * test_traffic.c - the traffic pipeline end to end (decoder -> segments ->
 * flows -> counters). Ethernet frames are built by hand in this file, fed
 * with chosen timestamps across bucket boundaries (and one out of order),
 * and every counter of the result is checked against numbers worked out by
 * hand in the comments below (not copied from a run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <v6mon/traffic.h>

#define SEC 1000000000ULL
/* Buckets of 60 s: B0 = 1699999980 s is a multiple of 60. */
#define B0 1699999980ULL

/* ---- a prepend-style frame builder ------------------------------------ */

struct fb {
    uint8_t b[512];
    size_t start; /* frame is b[start .. 512) */
};

static void fb_init(struct fb *f) { f->start = sizeof(f->b); }
static size_t fb_len(const struct fb *f) { return sizeof(f->b) - f->start; }
static uint8_t *fb_data(struct fb *f) { return f->b + f->start; }
static uint8_t *fb_pre(struct fb *f, size_t n)
{
    assert_true(f->start >= n);
    f->start -= n;
    memset(f->b + f->start, 0, n);
    return f->b + f->start;
}
static void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void w32(uint8_t *p, uint32_t v)
{
    w16(p, (uint16_t)(v >> 16));
    w16(p + 2, (uint16_t)v);
}

static void fb_payload(struct fb *f, size_t n)
{
    uint8_t *p = fb_pre(f, n);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)('a' + i % 26);
}
static void fb_udp(struct fb *f, uint16_t sp, uint16_t dp)
{
    size_t len = fb_len(f) + 8;
    uint8_t *p = fb_pre(f, 8);
    w16(p, sp);
    w16(p + 2, dp);
    w16(p + 4, (uint16_t)len);
}
static void fb_tcp(struct fb *f, uint16_t sp, uint16_t dp, uint8_t flags)
{
    uint8_t *p = fb_pre(f, 20);
    w16(p, sp);
    w16(p + 2, dp);
    w32(p + 4, 1000);
    p[12] = 5 << 4;
    p[13] = flags;
    w16(p + 14, 65535);
}
static void fb_ipv4(struct fb *f, const char *src, const char *dst, uint8_t proto)
{
    size_t total = fb_len(f) + 20;
    uint8_t *p = fb_pre(f, 20);
    p[0] = 0x45;
    w16(p + 2, (uint16_t)total);
    w16(p + 4, 0x1234);
    p[8] = 64;
    p[9] = proto;
    assert_int_equal(inet_pton(AF_INET, src, p + 12), 1);
    assert_int_equal(inet_pton(AF_INET, dst, p + 16), 1);
}
static void fb_ipv6(struct fb *f, const char *src, const char *dst, uint8_t nh,
                    uint32_t flow)
{
    size_t plen = fb_len(f);
    uint8_t *p = fb_pre(f, 40);
    w32(p, 6u << 28 | (flow & 0xfffff));
    w16(p + 4, (uint16_t)plen);
    p[6] = nh;
    p[7] = 64;
    assert_int_equal(inet_pton(AF_INET6, src, p + 8), 1);
    assert_int_equal(inet_pton(AF_INET6, dst, p + 24), 1);
}
/* Segment routing header (RFC 8754) with one segment. */
static void fb_srh(struct fb *f, uint8_t nh, const char *seg)
{
    uint8_t *p = fb_pre(f, 24);
    p[0] = nh;
    p[1] = 2; /* (2 + 1) * 8 = 24 bytes */
    p[2] = 4; /* routing type 4 */
    p[3] = 0; /* segments left */
    p[4] = 0; /* last entry */
    assert_int_equal(inet_pton(AF_INET6, seg, p + 8), 1);
}
/* GTP-U v1 G-PDU, no optional fields. */
static void fb_gtp(struct fb *f, uint32_t teid)
{
    size_t len = fb_len(f);
    uint8_t *p = fb_pre(f, 8);
    p[0] = 0x30;
    p[1] = 0xff;
    w16(p + 2, (uint16_t)len);
    w32(p + 4, teid);
}
/* PPPoE session header + PPP protocol field. */
static void fb_pppoe(struct fb *f, uint16_t session, uint16_t ppp_proto)
{
    uint8_t *p = fb_pre(f, 2);
    w16(p, ppp_proto);
    size_t len = fb_len(f);
    p = fb_pre(f, 6);
    p[0] = 0x11;
    p[1] = 0x00;
    w16(p + 2, session);
    w16(p + 4, (uint16_t)len);
}
static void fb_eth(struct fb *f, uint16_t type)
{
    static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02};
    static const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x01};
    uint8_t *p = fb_pre(f, 14);
    memcpy(p, dst, 6);
    memcpy(p + 6, src, 6);
    w16(p + 12, type);
}
static void fb_arp(struct fb *f)
{
    uint8_t *p = fb_pre(f, 28);
    w16(p, 1);
    w16(p + 2, 0x0800);
    p[4] = 6;
    p[5] = 4;
    w16(p + 6, 1);
    fb_eth(f, 0x0806);
}

static void feed(v6m_traffic *t, struct fb *f, uint64_t ts_ns, uint32_t wirelen,
                 const char *ifname)
{
    struct v6m_frame fr = {
        .ts_ns = ts_ns,
        .caplen = (uint32_t)fb_len(f),
        .wirelen = wirelen ? wirelen : (uint32_t)fb_len(f),
        .linktype = V6M_LINKTYPE_ETHERNET,
        .ifindex = 0,
        .data = fb_data(f),
    };
    v6m_traffic_add_frame(t, &fr, ifname);
}

/* ---- the frames of the main scenario ---------------------------------- */

/* F1/F2/F5: IPv4 TCP 10.0.0.1:1234 <-> 192.0.2.80:80, 14+20+20 = 54 bytes */
static void mk_tcp4(struct fb *f, bool reply, uint8_t flags)
{
    fb_init(f);
    if (!reply) {
        fb_tcp(f, 1234, 80, flags);
        fb_ipv4(f, "10.0.0.1", "192.0.2.80", 6);
    } else {
        fb_tcp(f, 80, 1234, flags);
        fb_ipv4(f, "192.0.2.80", "10.0.0.1", 6);
    }
    fb_eth(f, 0x0800);
    assert_int_equal(fb_len(f), 54);
}

/* F3: IPv6 UDP 2001:db8::1:5000 -> 2001:db8::2:53, flow label 0x12345,
 * 8 bytes payload: 14+40+8+8 = 70 */
static void mk_udp6(struct fb *f)
{
    fb_init(f);
    fb_payload(f, 8);
    fb_udp(f, 5000, 53);
    fb_ipv6(f, "2001:db8::1", "2001:db8::2", 17, 0x12345);
    fb_eth(f, 0x86dd);
    assert_int_equal(fb_len(f), 70);
}

/* F4: IPv6 + SRH + UDP 2001:db8::1:5001 -> 2001:db8::3:9000, flow label 0,
 * 4 bytes payload: 14+40+24+8+4 = 90 */
static void mk_srh6(struct fb *f)
{
    fb_init(f);
    fb_payload(f, 4);
    fb_udp(f, 5001, 9000);
    fb_srh(f, 17, "2001:db8::3");
    fb_ipv6(f, "2001:db8::1", "2001:db8::3", 43, 0);
    fb_eth(f, 0x86dd);
    assert_int_equal(fb_len(f), 90);
}

/* F6: PPPoE session, PPP IPv6 (0x0057), UDP 2001:db8:100::5:4000 ->
 * 2001:db8::2:53, 4 bytes payload: 14+6+2+40+8+4 = 74 */
static void mk_pppoe6(struct fb *f)
{
    fb_init(f);
    fb_payload(f, 4);
    fb_udp(f, 4000, 53);
    fb_ipv6(f, "2001:db8:100::5", "2001:db8::2", 17, 0);
    fb_pppoe(f, 0x2a, 0x0057);
    fb_eth(f, 0x8864);
    assert_int_equal(fb_len(f), 74);
}

/* F7: GTP-U G-PDU over IPv4/UDP 2152 carrying IPv4 UDP 10.45.0.2:3333 ->
 * 198.51.100.1:443, 4 bytes payload: 14+20+8+8+20+8+4 = 82 */
static void mk_gtp4(struct fb *f)
{
    fb_init(f);
    fb_payload(f, 4);
    fb_udp(f, 3333, 443);
    fb_ipv4(f, "10.45.0.2", "198.51.100.1", 17);
    fb_gtp(f, 0x1001);
    fb_udp(f, 2152, 2152);
    fb_ipv4(f, "192.168.1.1", "192.168.1.2", 17);
    fb_eth(f, 0x0800);
    assert_int_equal(fb_len(f), 82);
}

/* F8: GTP-U G-PDU carrying IPv6 UDP 2001:db8:45::2:3333 ->
 * 2001:db8:ff::1:443, flow label 1, 4 bytes payload:
 * 14+20+8+8+40+8+4 = 102 */
static void mk_gtp6(struct fb *f)
{
    fb_init(f);
    fb_payload(f, 4);
    fb_udp(f, 3333, 443);
    fb_ipv6(f, "2001:db8:45::2", "2001:db8:ff::1", 17, 1);
    fb_gtp(f, 0x1002);
    fb_udp(f, 2152, 2152);
    fb_ipv4(f, "192.168.1.1", "192.168.1.2", 17);
    fb_eth(f, 0x0800);
    assert_int_equal(fb_len(f), 102);
}

/* F11: IPv4 UDP 10.0.0.9:7 -> 10.0.0.10:7, 18 bytes payload: 14+20+8+18 = 60 */
static void mk_udp4(struct fb *f)
{
    fb_init(f);
    fb_payload(f, 18);
    fb_udp(f, 7, 7);
    fb_ipv4(f, "10.0.0.9", "10.0.0.10", 17);
    fb_eth(f, 0x0800);
    assert_int_equal(fb_len(f), 60);
}

struct cb_count {
    unsigned flows, packets;
    unsigned flow_end[4];
    uint64_t flow_packets;
};
static void on_flow(void *user, const struct v6m_flow_record *r)
{
    struct cb_count *c = user;
    c->flows++;
    c->flow_end[r->end]++;
    c->flow_packets += r->packets[0] + r->packets[1];
}
static void on_packet(void *user, const struct v6m_packet *p, const struct v6m_class *cls)
{
    struct cb_count *c = user;
    (void)p;
    (void)cls;
    c->packets++;
}

/* A macro so a failure names the caller's line. */
#define assert_counts(c, p, b, f)                                                  \
    do {                                                                           \
        const struct v6m_counts *c_ = (c);                                         \
        assert_int_equal(c_->packets, (p));                                        \
        assert_int_equal(c_->bytes, (b));                                          \
        assert_int_equal(c_->flows, (f));                                          \
    } while (0)

static void test_config_default(void **state)
{
    (void)state;
    struct v6m_traffic_config c;
    memset(&c, 0xff, sizeof(c));
    v6m_traffic_config_default(&c);
    assert_int_equal(c.bucket_ns, 300 * SEC);
    assert_int_equal(c.flow_max, 1000000);
    assert_int_equal(c.flow_idle_ns, 60 * SEC);
    assert_int_equal(c.flow_active_ns, 1800 * SEC);
    assert_int_equal(c.bucket_max, 1000000);
    assert_int_equal(c.decoder.max_depth, 8);
    assert_null(c.on_flow);
    assert_null(c.on_packet);
    assert_null(c.user);
}

static void test_share(void **state)
{
    (void)state;
    assert_true(v6m_share(0, 0) == -1.0);
    assert_true(v6m_share(1, 3) == 0.75);
    assert_true(v6m_share(5, 0) == 0.0);
    assert_true(v6m_share(0, 7) == 1.0);
}

/*
 * Main scenario, default segments (mobile 0, metro 1, other 2), buckets of
 * 60 s, idle timeout 300 s. Times are seconds after B0:
 *   F1  t=1   IPv4 TCP SYN  10.0.0.1 -> 192.0.2.80      54 B  other  flow A (new)
 *   F2  t=2   IPv4 TCP reply                             54 B  other  flow A
 *   F3  t=3   IPv6 UDP, flow label                       70 B  other  flow B (new)
 *   F4  t=61  IPv6 UDP with SRH                          90 B  other  flow C (new)
 *   F5  t=65  IPv4 TCP ACK (flow A, bucket B1)           54 B  other  flow A
 *   F6  t=70  PPPoE session IPv6 UDP                     74 B  metro  flow D (new)
 *   F7  t=75  GTP-U G-PDU, inner IPv4                    82 B  mobile flow E (new)
 *   F8  t=80  GTP-U G-PDU, inner IPv6, flow label 1     102 B  mobile flow F (new)
 *   F9  t=85  ARP                                        42 B  other  (no flow)
 *   F10 t=130 Ethernet + 12 bytes of an IPv4 header: TRUNCATED; the
 *             decoder counts a cut header under the family its carrier
 *             named (IPv4) with zero addresses; caplen 26, wirelen 60;
 *             no flow (no addresses)                     60 B  other
 *   F11 t=30  (out of order, bucket B0) IPv4 UDP         60 B  other  flow G (new)
 *
 * Totals: IPv4  F1 F2 F5 F7 F10 F11 = 6 packets, 54+54+54+82+60+60 = 364 B,
 *               flows A E G = 3
 *         IPv6  F3 F4 F6 F8 = 4 packets, 70+90+74+102 = 336 B, flows B C D F = 4
 *         other F9 = 1 packet, 42 B, 0 flows
 * Segments: other  v4 F1 F2 F5 F10 F11: 5 p, 282 B, 2 f; v6 F3 F4: 2 p,
 *                  160 B, 2 f; other F9: 1 p, 42 B
 *           metro  v6 F6: 1 p, 74 B, 1 f
 *           mobile v4 F7: 1 p, 82 B, 1 f; v6 F8: 1 p, 102 B, 1 f
 * Buckets (sorted by start, then segment):
 *   B0      other  v4 F1 F2 F11: 3 p 168 B 2 f; v6 F3: 1 p 70 B 1 f
 *   B0+60   mobile v4 F7 1 p 82 B 1 f; v6 F8 1 p 102 B 1 f
 *   B0+60   metro  v6 F6 1 p 74 B 1 f
 *   B0+60   other  v4 F5 1 p 54 B 1 f (flow A's first packet in B1);
 *                  v6 F4 1 p 90 B 1 f; other F9 1 p 42 B
 *   B0+120  other  v4 F10 1 p 60 B 0 f
 * Encapsulations: PPPoE and PPP 1 (F6), GTP-U 2 (F7 F8), nothing else.
 * IPv6+: ipv6 4, SRH 1 (F4), routing 1 + segment_routing 1, flow label 2
 * (F3, F8). Drops: truncated 1. Flows: 7 created, all ended at finish (EOF),
 * max active 7.
 */
static void test_scenario(void **state)
{
    (void)state;
    v6m_segments *seg = v6m_segments_new_default();
    struct v6m_traffic_config cfg;
    v6m_traffic_config_default(&cfg);
    cfg.bucket_ns = 60 * SEC;
    cfg.flow_idle_ns = 300 * SEC;
    struct cb_count cb = {0};
    cfg.on_flow = on_flow;
    cfg.on_packet = on_packet;
    cfg.user = &cb;
    v6m_traffic *t = v6m_traffic_new(&cfg, seg);
    assert_non_null(t);
    assert_null(v6m_traffic_result(t)); /* not before finish */

    struct fb f;
    mk_tcp4(&f, false, 0x02);
    feed(t, &f, (B0 + 1) * SEC, 0, NULL);
    mk_tcp4(&f, true, 0x12);
    feed(t, &f, (B0 + 2) * SEC, 0, NULL);
    mk_udp6(&f);
    feed(t, &f, (B0 + 3) * SEC, 0, NULL);
    mk_srh6(&f);
    feed(t, &f, (B0 + 61) * SEC, 0, NULL);
    mk_tcp4(&f, false, 0x10);
    feed(t, &f, (B0 + 65) * SEC, 0, NULL);
    mk_pppoe6(&f);
    feed(t, &f, (B0 + 70) * SEC, 0, NULL);
    mk_gtp4(&f);
    feed(t, &f, (B0 + 75) * SEC, 0, NULL);
    mk_gtp6(&f);
    feed(t, &f, (B0 + 80) * SEC, 0, NULL);
    fb_init(&f);
    fb_arp(&f);
    assert_int_equal(fb_len(&f), 42);
    feed(t, &f, (B0 + 85) * SEC, 0, NULL);
    mk_tcp4(&f, false, 0x10);
    f.start = sizeof(f.b) - 54;
    struct v6m_frame cut = {
        .ts_ns = (B0 + 130) * SEC, .caplen = 26, .wirelen = 60,
        .linktype = V6M_LINKTYPE_ETHERNET, .data = fb_data(&f),
    };
    v6m_traffic_add_frame(t, &cut, NULL);
    mk_udp4(&f);
    feed(t, &f, (B0 + 30) * SEC, 0, NULL);

    v6m_traffic_finish(t);
    v6m_traffic_finish(t); /* idempotent */
    const struct v6m_traffic_result *r = v6m_traffic_result(t);
    assert_non_null(r);

    assert_int_equal(r->first_ns, (B0 + 1) * SEC);
    assert_int_equal(r->last_ns, (B0 + 130) * SEC);
    assert_int_equal(r->bucket_ns, 60 * SEC);

    assert_counts(&r->totals.fam[V6M_FAMILY_IPV4], 6, 364, 3);
    assert_counts(&r->totals.fam[V6M_FAMILY_IPV6], 4, 336, 4);
    assert_counts(&r->totals.fam[V6M_FAMILY_OTHER], 1, 42, 0);

    assert_int_equal(r->n_segments, 3);
    assert_string_equal(r->segment_names[0], "mobile");
    assert_string_equal(r->segment_names[1], "metro");
    assert_string_equal(r->segment_names[2], "other");
    assert_counts(&r->segments[2].fam[V6M_FAMILY_IPV4], 5, 282, 2);
    assert_counts(&r->segments[2].fam[V6M_FAMILY_IPV6], 2, 160, 2);
    assert_counts(&r->segments[2].fam[V6M_FAMILY_OTHER], 1, 42, 0);
    assert_counts(&r->segments[1].fam[V6M_FAMILY_IPV4], 0, 0, 0);
    assert_counts(&r->segments[1].fam[V6M_FAMILY_IPV6], 1, 74, 1);
    assert_counts(&r->segments[1].fam[V6M_FAMILY_OTHER], 0, 0, 0);
    assert_counts(&r->segments[0].fam[V6M_FAMILY_IPV4], 1, 82, 1);
    assert_counts(&r->segments[0].fam[V6M_FAMILY_IPV6], 1, 102, 1);
    assert_counts(&r->segments[0].fam[V6M_FAMILY_OTHER], 0, 0, 0);
    /* No subscribers: every packet's direction is unknown. */
    for (unsigned s = 0; s < 3; s++) {
        for (unsigned fam = 0; fam < 3; fam++) {
            const struct v6m_counts *u = &r->seg_dir[s * 3 + V6M_DIR_UNKNOWN].fam[fam];
            assert_memory_equal(u, &r->segments[s].fam[fam], sizeof(*u));
            assert_counts(&r->seg_dir[s * 3 + V6M_DIR_UP].fam[fam], 0, 0, 0);
            assert_counts(&r->seg_dir[s * 3 + V6M_DIR_DOWN].fam[fam], 0, 0, 0);
        }
    }

    assert_int_equal(r->n_buckets, 5);
    const struct v6m_traffic_bucket *b = r->buckets;
    assert_int_equal(b[0].start_s, (int64_t)B0);
    assert_int_equal(b[0].segment, 2);
    assert_counts(&b[0].c.fam[V6M_FAMILY_IPV4], 3, 168, 2);
    assert_counts(&b[0].c.fam[V6M_FAMILY_IPV6], 1, 70, 1);
    assert_counts(&b[0].c.fam[V6M_FAMILY_OTHER], 0, 0, 0);
    assert_int_equal(b[1].start_s, (int64_t)B0 + 60);
    assert_int_equal(b[1].segment, 0);
    assert_counts(&b[1].c.fam[V6M_FAMILY_IPV4], 1, 82, 1);
    assert_counts(&b[1].c.fam[V6M_FAMILY_IPV6], 1, 102, 1);
    assert_int_equal(b[2].start_s, (int64_t)B0 + 60);
    assert_int_equal(b[2].segment, 1);
    assert_counts(&b[2].c.fam[V6M_FAMILY_IPV4], 0, 0, 0);
    assert_counts(&b[2].c.fam[V6M_FAMILY_IPV6], 1, 74, 1);
    assert_int_equal(b[3].start_s, (int64_t)B0 + 60);
    assert_int_equal(b[3].segment, 2);
    assert_counts(&b[3].c.fam[V6M_FAMILY_IPV4], 1, 54, 1);
    assert_counts(&b[3].c.fam[V6M_FAMILY_IPV6], 1, 90, 1);
    assert_counts(&b[3].c.fam[V6M_FAMILY_OTHER], 1, 42, 0);
    assert_int_equal(b[4].start_s, (int64_t)B0 + 120);
    assert_int_equal(b[4].segment, 2);
    assert_counts(&b[4].c.fam[V6M_FAMILY_IPV4], 1, 60, 0);
    assert_counts(&b[4].c.fam[V6M_FAMILY_OTHER], 0, 0, 0);

    for (unsigned d = 0; d < V6M_DROP__COUNT; d++)
        assert_int_equal(r->drops[d], d == V6M_DROP_TRUNCATED ? 1 : 0);
    for (unsigned bit = 0; bit < 32; bit++) {
        uint64_t want = 0;
        if ((1u << bit) == V6M_ENC_PPPOE || (1u << bit) == V6M_ENC_PPP)
            want = 1;
        if ((1u << bit) == V6M_ENC_GTPU)
            want = 2;
        assert_int_equal(r->encap_packets[bit], want);
    }
    assert_int_equal(r->ipv6plus.ipv6_packets, 4);
    assert_int_equal(r->ipv6plus.srh_packets, 1);
    assert_int_equal(r->ipv6plus.flow_label_packets, 2);
    for (unsigned e = 0; e < V6M_EXT__COUNT; e++)
        assert_int_equal(r->ipv6plus.ext_packets[e],
                         (e == V6M_EXT_ROUTING || e == V6M_EXT_SRH) ? 1 : 0);

    assert_int_equal(r->flows_max_active, 7);
    assert_int_equal(r->flows_evicted, 0);
    assert_int_equal(r->flows_expired_idle, 0);
    assert_int_equal(r->flows_expired_active, 0);
    assert_int_equal(r->buckets_overflow, 0);
    assert_int_equal(r->decoder.frames, 11);

    assert_int_equal(cb.packets, 11);
    assert_int_equal(cb.flows, 7);
    assert_int_equal(cb.flow_end[V6M_FLOW_END_EOF], 7);
    assert_int_equal(cb.flow_packets, 9); /* every IP packet but F10 in one flow */

    /* Shares: packets 4/10, bytes 336/700, flows 4/7. */
    double sp = v6m_share(r->totals.fam[1].packets, r->totals.fam[2].packets);
    assert_true(sp > 0.4 - 1e-12 && sp < 0.4 + 1e-12);
    double sb = v6m_share(r->totals.fam[1].bytes, r->totals.fam[2].bytes);
    assert_true(sb > 0.48 - 1e-12 && sb < 0.48 + 1e-12);
    double sf = v6m_share(r->totals.fam[1].flows, r->totals.fam[2].flows);
    assert_true(sf > 4.0 / 7 - 1e-12 && sf < 4.0 / 7 + 1e-12);

    /* Frames after finish are ignored. */
    feed(t, &f, (B0 + 200) * SEC, 0, NULL);
    assert_int_equal(v6m_traffic_result(t)->totals.fam[1].packets, 6);
    v6m_traffic_free(t);
    v6m_traffic_free(NULL);
    v6m_segments_free(seg);
}

/*
 * Direction and a segments file: subscribers 10.0.0.0/8 and 2001:db8::1.
 *   F1 10.0.0.1 -> 192.0.2.80   other up    54 B   new flow (up)
 *   F2 192.0.2.80 -> 10.0.0.1   other down  54 B   same flow
 *   F3 2001:db8::1 -> ::2       other up    70 B   new flow (up)
 *   F7 GTP inner 10.45.0.2 -> 198.51.100.1  mobile up  82 B  new flow
 *   F6 PPPoE 2001:db8:100::5 -> 2001:db8::2 metro unknown 74 B new flow
 *   F1 again on interface "wan0"  -> segment wan (interface rule first), up
 */
static void test_direction_and_file(void **state)
{
    (void)state;
    static const char conf[] = "segment wan interface wan0\n"
                               "segment mobile gtp\n"
                               "segment metro pppoe\n"
                               "subscribers 10.0.0.0/8 2001:db8::1/128\n";
    v6m_segments *seg = NULL;
    char err[256];
    assert_int_equal(v6m_segments_parse(conf, sizeof(conf) - 1, "t", &seg, err, sizeof(err)),
                     V6M_OK);
    struct v6m_traffic_config cfg;
    v6m_traffic_config_default(&cfg);
    v6m_traffic *t = v6m_traffic_new(&cfg, seg);
    struct fb f;
    uint64_t ts = 1000 * SEC;
    mk_tcp4(&f, false, 0x02);
    feed(t, &f, ts++, 0, "lan0");
    mk_tcp4(&f, true, 0x12);
    feed(t, &f, ts++, 0, "lan0");
    mk_udp6(&f);
    feed(t, &f, ts++, 0, "lan0");
    mk_gtp4(&f);
    feed(t, &f, ts++, 0, "lan0");
    mk_pppoe6(&f);
    feed(t, &f, ts++, 0, "lan0");
    mk_tcp4(&f, false, 0x10);
    feed(t, &f, ts++, 0, "wan0");
    v6m_traffic_finish(t);
    const struct v6m_traffic_result *r = v6m_traffic_result(t);
    /* ids: wan 0, mobile 1, metro 2, other 3 */
    assert_int_equal(r->n_segments, 4);
    assert_string_equal(r->segment_names[0], "wan");
    assert_string_equal(r->segment_names[3], "other");
#define SD(s, d) (&r->seg_dir[(s) * 3 + (d)])
    assert_counts(&SD(3, V6M_DIR_UP)->fam[V6M_FAMILY_IPV4], 1, 54, 1);
    assert_counts(&SD(3, V6M_DIR_DOWN)->fam[V6M_FAMILY_IPV4], 1, 54, 0);
    assert_counts(&SD(3, V6M_DIR_UP)->fam[V6M_FAMILY_IPV6], 1, 70, 1);
    assert_counts(&SD(3, V6M_DIR_UNKNOWN)->fam[V6M_FAMILY_IPV4], 0, 0, 0);
    assert_counts(&SD(1, V6M_DIR_UP)->fam[V6M_FAMILY_IPV4], 1, 82, 1);
    assert_counts(&SD(2, V6M_DIR_UNKNOWN)->fam[V6M_FAMILY_IPV6], 1, 74, 1);
    assert_counts(&SD(0, V6M_DIR_UP)->fam[V6M_FAMILY_IPV4], 1, 54, 1);
    /* The wan packet is the same 5-tuple but another segment: another flow. */
    assert_counts(&r->totals.fam[V6M_FAMILY_IPV4], 4, 244, 3);
    assert_counts(&r->totals.fam[V6M_FAMILY_IPV6], 2, 144, 2);
    assert_int_equal(r->n_buckets, 4); /* one 300 s bucket, 4 segments */
    v6m_traffic_free(t);
    v6m_segments_free(seg);
}

/*
 * Limits: buckets of 30 s, bucket_max 2, flow table of 2 entries, idle 60 s.
 *   t=0   flow A (10.0.0.1 TCP, 54 B)   bucket 0
 *   t=5   flow G (10.0.0.9 UDP, 60 B)   bucket 0
 *   t=31  flow A (54 B)                 bucket 1 (start 30)
 *   t=200 the sweep (budget 2) ends G and A as idle; A's packet (54 B)
 *         starts flow A' (counted again in totals); bucket 6 does not fit
 *         (2 kept): counted in totals only (overflow)
 *   t=201 IPv6 flow B (70 B), overflow
 *   t=202 IPv6 flow C (90 B), overflow; the table holds A' and B (2 = max):
 *         A', the least recently used, is evicted
 * Totals: IPv4 4 p, 54*3+60 = 222 B, flows A G A' = 3; IPv6 2 p, 160 B, 2 f.
 * Buckets: [0] v4 2 p 114 B 2 f; [30] v4 1 p 54 B 1 f. Flow records: 2 idle,
 * 1 evicted, 2 at finish, carrying 2+1+1+1+1 = 6 packets.
 */
static void test_limits(void **state)
{
    (void)state;
    v6m_segments *seg = v6m_segments_new_default();
    struct v6m_traffic_config cfg;
    v6m_traffic_config_default(&cfg);
    cfg.bucket_ns = 30 * SEC;
    cfg.bucket_max = 2;
    cfg.flow_max = 2;
    struct cb_count cb = {0};
    cfg.on_flow = on_flow;
    cfg.user = &cb;
    v6m_traffic *t = v6m_traffic_new(&cfg, seg);
    struct fb f;
    mk_tcp4(&f, false, 0x02);
    feed(t, &f, 0, 0, NULL);
    mk_udp4(&f);
    feed(t, &f, 5 * SEC, 0, NULL);
    mk_tcp4(&f, true, 0x10);
    feed(t, &f, 31 * SEC, 0, NULL);
    mk_tcp4(&f, false, 0x10);
    feed(t, &f, 200 * SEC, 0, NULL);
    mk_udp6(&f);
    feed(t, &f, 201 * SEC, 0, NULL);
    mk_srh6(&f);
    feed(t, &f, 202 * SEC, 0, NULL);
    v6m_traffic_finish(t);
    const struct v6m_traffic_result *r = v6m_traffic_result(t);
    assert_counts(&r->totals.fam[V6M_FAMILY_IPV4], 4, 54 * 3 + 60, 3);
    assert_counts(&r->totals.fam[V6M_FAMILY_IPV6], 2, 160, 2);
    assert_int_equal(r->buckets_overflow, 3); /* t=200, 201, 202 */
    assert_int_equal(r->n_buckets, 2);
    assert_counts(&r->buckets[0].c.fam[V6M_FAMILY_IPV4], 2, 114, 2);
    assert_int_equal(r->buckets[0].start_s, 0);
    assert_int_equal(r->buckets[1].start_s, 30);
    assert_counts(&r->buckets[1].c.fam[V6M_FAMILY_IPV4], 1, 54, 1);
    assert_int_equal(r->flows_expired_idle, 2);
    assert_int_equal(r->flows_evicted, 1);
    assert_int_equal(r->flows_max_active, 2);
    assert_int_equal(cb.flows, 5);
    assert_int_equal(cb.flow_end[V6M_FLOW_END_IDLE], 2);
    assert_int_equal(cb.flow_end[V6M_FLOW_END_EVICTED], 1);
    assert_int_equal(cb.flow_end[V6M_FLOW_END_EOF], 2);
    assert_int_equal(cb.flow_packets, 6);
    v6m_traffic_free(t);
    v6m_segments_free(seg);
}

/*
 * Fragments: an IPv4 UDP datagram (8 UDP + 16 payload = 24 bytes) 10.0.0.1
 * -> 10.0.0.2 port 9 split in two; the second fragment (offset 16, 8 bytes)
 * arrives first and is held, then released when the first arrives. Then a
 * lone non-first fragment of another datagram is released unresolved at
 * finish. Frames: frag2 14+20+8 = 42 B, frag1 14+20+16 = 50 B, lone 42 B.
 * Expect: IPv4 3 packets, 134 B; flows: the datagram (resolved ports) = 1,
 * the unresolved fragment (ports 0) = 1 -> 2. Drops: fragment_unresolved 1.
 */
static void mk_frag(struct fb *f, uint16_t id, bool first)
{
    fb_init(f);
    if (first) {
        fb_payload(f, 8);
        uint8_t *p = fb_pre(f, 8); /* UDP header: length 24 for the datagram */
        w16(p, 9);
        w16(p + 2, 9);
        w16(p + 4, 24);
    } else {
        fb_payload(f, 8);
    }
    fb_ipv4(f, "10.0.0.1", "10.0.0.2", 17);
    uint8_t *ip = fb_data(f);
    w16(ip + 4, id);
    w16(ip + 6, first ? 0x2000 : 16 / 8); /* MF | offset */
    fb_eth(f, 0x0800);
}

static void test_fragments(void **state)
{
    (void)state;
    v6m_segments *seg = v6m_segments_new_default();
    struct v6m_traffic_config cfg;
    v6m_traffic_config_default(&cfg);
    struct cb_count cb = {0};
    cfg.on_packet = on_packet;
    cfg.user = &cb;
    v6m_traffic *t = v6m_traffic_new(&cfg, seg);
    struct fb f;
    mk_frag(&f, 7, false);
    assert_int_equal(fb_len(&f), 42);
    feed(t, &f, 1 * SEC, 0, NULL);
    assert_int_equal(cb.packets, 0); /* held */
    mk_frag(&f, 7, true);
    assert_int_equal(fb_len(&f), 50);
    feed(t, &f, 2 * SEC, 0, NULL);
    assert_int_equal(cb.packets, 2);
    mk_frag(&f, 8, false);
    feed(t, &f, 3 * SEC, 0, NULL);
    assert_int_equal(cb.packets, 2);
    v6m_traffic_finish(t);
    assert_int_equal(cb.packets, 3);
    const struct v6m_traffic_result *r = v6m_traffic_result(t);
    assert_counts(&r->totals.fam[V6M_FAMILY_IPV4], 3, 134, 2);
    assert_int_equal(r->drops[V6M_DROP_FRAGMENT_UNRESOLVED], 1);
    assert_int_equal(r->drops[V6M_DROP_NONE], 0);
    assert_int_equal(r->decoder.frag_held, 2);
    assert_int_equal(r->ipv6plus.ipv6_packets, 0);
    v6m_traffic_free(t);
    v6m_segments_free(seg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_default),
        cmocka_unit_test(test_share),
        cmocka_unit_test(test_scenario),
        cmocka_unit_test(test_direction_and_file),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_fragments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
