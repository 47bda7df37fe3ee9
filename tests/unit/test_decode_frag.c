/*
 * Decoder tests: fragments (in order, out of order with held/release,
 * unresolved at flush, expiry, eviction, held cap, IPv6 fragment header,
 * "every frame out exactly once"), truncation at every layer boundary,
 * snapped captures, and the tunnel depth cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <v6mon/decoder.h>
#include <v6mon/packet.h>

#include "pktbuild.h"

static struct pb B;
static struct v6m_packet P;

/* The datagram payload used for IPv4 fragments: UDP 2152 / GTP-U G-PDU /
 * IPv6 / TCP 40000 -> 443 / 40 bytes. 116 bytes; split at 80. */
static uint8_t DGRAM[256];
static size_t DGRAM_LEN;

static void make_dgram(void)
{
    struct pb t;
    pb_reset(&t);
    size_t u = pb_udp_begin(&t, 2152, 2152);
    size_t g = pb_gtp_begin(&t, 0x30, 255, 0xabcdef01);
    size_t ip = pb_ipv6_begin(&t, 6, PB_V6_A, PB_V6_B);
    pb_tcp(&t, 40000, 443, 0x18);
    pb_zero(&t, 40);
    pb_ipv6_end(&t, ip);
    pb_gtp_end(&t, g);
    pb_udp_end(&t, u);
    memcpy(DGRAM, t.b, t.n);
    DGRAM_LEN = t.n;
}

/* Ethernet / IPv4 fragment [off, off+len) of DGRAM with the given id. */
static void frag4(unsigned id, size_t off, size_t len, int more)
{
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    size_t ip = pb_ipv4_begin(&B, 17, PB_V4_C, PB_V4_D);
    pb_put16(&B, ip + 4, id);
    pb_put16(&B, ip + 6, (more ? 0x2000u : 0) | (unsigned)(off / 8));
    pb_bytes(&B, DGRAM + off, len);
    pb_ipv4_end(&B, ip);
}
#define FIRST(id) frag4((id), 0, 80, 1)
#define SECOND(id) frag4((id), 80, DGRAM_LEN - 80, 0)

static enum v6m_decode_result dec_at(v6m_decoder *d, uint64_t ts)
{
    struct v6m_frame f = {.ts_ns = ts, .caplen = (uint32_t)B.n, .wirelen = (uint32_t)B.n,
                          .linktype = V6M_LINKTYPE_ETHERNET, .data = B.b};
    return v6m_decoder_decode(d, &f, &P);
}

static void assert_inner_of_dgram(const struct v6m_packet *p)
{
    assert_int_equal(p->family, V6M_FAMILY_IPV6);
    assert_int_equal(p->inner.family, V6M_FAMILY_IPV6);
    assert_memory_equal(p->inner.src, PB_V6_A, 16);
    assert_int_equal(p->l4_proto, 6);
    assert_int_equal(p->sport, 40000);
    assert_int_equal(p->dport, 443);
    assert_int_equal(p->tcp_flags, 0x18);
    assert_true(p->encap & V6M_ENC_GTPU);
    assert_int_equal(p->gtp_user, 1);
    assert_int_equal(p->gtp_teid, 0xabcdef01);
    assert_memory_equal(p->gtp_ep_src, PB_V4_C, 4);
    assert_int_equal(p->outer.family, V6M_FAMILY_IPV4);
    assert_int_equal(p->n_ip, 2);
}

static v6m_decoder *new_dec(size_t entries, size_t held, uint64_t timeout)
{
    struct v6m_decoder_config cfg;
    v6m_decoder_config_default(&cfg);
    cfg.frag_entries = entries;
    cfg.frag_held_max = held;
    if (timeout)
        cfg.frag_timeout_ns = timeout;
    v6m_decoder *d = v6m_decoder_new(&cfg);
    assert_non_null(d);
    return d;
}

static void test_frag_in_order(void **s)
{
    (void)s;
    v6m_decoder *d = new_dec(16, 16, 0);
    FIRST(1);
    assert_int_equal(dec_at(d, 1000), V6M_DECODE_DONE);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_inner_of_dgram(&P);
    assert_int_equal(P.outer.is_fragment, 1);
    assert_int_equal(P.outer.more_frags, 1);
    assert_int_equal(P.outer.frag_offset, 0);
    assert_int_equal(P.outer.frag_id, 1);
    assert_int_equal(P.frag_resolved, 0);
    assert_false(v6m_decoder_release(d, &P));

    SECOND(1);
    assert_int_equal(dec_at(d, 2000), V6M_DECODE_DONE);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_inner_of_dgram(&P);
    assert_int_equal(P.frag_resolved, 1);
    assert_int_equal(P.frag_held, 0);
    assert_int_equal(P.outer.frag_offset, 80);
    assert_int_equal(P.outer.more_frags, 0);
    assert_int_equal(P.payload_len, 0);
    assert_int_equal(P.ts_ns, 2000);
    assert_false(v6m_decoder_release(d, &P));

    /* all bytes seen: the entry is gone, a duplicate last fragment is held */
    SECOND(1);
    assert_int_equal(dec_at(d, 3000), V6M_DECODE_HELD);
    v6m_decoder_flush(d);
    assert_true(v6m_decoder_release(d, &P));
    assert_int_equal(P.drop, V6M_DROP_FRAGMENT_UNRESOLVED);
    struct v6m_decoder_stats st;
    v6m_decoder_get_stats(d, &st);
    assert_int_equal(st.frames, 3);
    assert_int_equal(st.drops[V6M_DROP_NONE], 2);
    assert_int_equal(st.drops[V6M_DROP_FRAGMENT_UNRESOLVED], 1);
    v6m_decoder_free(d);
}

static void test_frag_out_of_order(void **s)
{
    (void)s;
    v6m_decoder *d = new_dec(16, 16, 0);
    SECOND(2);
    assert_int_equal(dec_at(d, 1000), V6M_DECODE_HELD);
    assert_false(v6m_decoder_release(d, &P));
    FIRST(2);
    assert_int_equal(dec_at(d, 2000), V6M_DECODE_DONE);
    assert_inner_of_dgram(&P);
    assert_int_equal(P.frag_resolved, 0);
    assert_true(v6m_decoder_release(d, &P));
    assert_inner_of_dgram(&P);
    assert_int_equal(P.frag_resolved, 1);
    assert_int_equal(P.frag_held, 1);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_int_equal(P.ts_ns, 1000); /* the held frame's own time */
    assert_int_equal(P.outer.frag_offset, 80);
    assert_false(v6m_decoder_release(d, &P));
    struct v6m_decoder_stats st;
    v6m_decoder_get_stats(d, &st);
    assert_int_equal(st.frag_held, 1);
    assert_int_equal(st.frag_held_dropped, 0);
    v6m_decoder_free(d);
}

static void test_frag_unresolved_flush(void **s)
{
    (void)s;
    v6m_decoder *d = new_dec(16, 16, 0);
    SECOND(3);
    assert_int_equal(dec_at(d, 1000), V6M_DECODE_HELD);
    SECOND(4);
    assert_int_equal(dec_at(d, 1001), V6M_DECODE_HELD);
    v6m_decoder_flush(d);
    for (unsigned id = 3; id <= 4; id++) {
        assert_true(v6m_decoder_release(d, &P));
        assert_int_equal(P.drop, V6M_DROP_FRAGMENT_UNRESOLVED);
        assert_int_equal(P.family, V6M_FAMILY_IPV4);
        assert_int_equal(P.outer.frag_id, id);
        assert_int_equal(P.frag_held, 1);
        assert_int_equal(P.frag_resolved, 0);
        assert_int_equal(P.sport, 0);
    }
    assert_false(v6m_decoder_release(d, &P));
    struct v6m_decoder_stats st;
    v6m_decoder_get_stats(d, &st);
    assert_int_equal(st.frag_held, 2);
    assert_int_equal(st.frag_held_dropped, 2);
    assert_int_equal(st.drops[V6M_DROP_FRAGMENT_UNRESOLVED], 2);
    v6m_decoder_free(d);
}

static void test_frag_expiry(void **s)
{
    (void)s;
    const uint64_t sec = 1000000000ull;
    v6m_decoder *d = new_dec(16, 16, 1 * sec);
    SECOND(5);
    assert_int_equal(dec_at(d, 10 * sec), V6M_DECODE_HELD);
    /* an unrelated frame 2 s later expires the entry */
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    assert_int_equal(dec_at(d, 12 * sec), V6M_DECODE_DONE);
    assert_true(v6m_decoder_release(d, &P));
    assert_int_equal(P.drop, V6M_DROP_FRAGMENT_UNRESOLVED);
    assert_int_equal(P.outer.frag_id, 5);
    /* the first fragment now finds nothing to resolve */
    FIRST(5);
    assert_int_equal(dec_at(d, 12 * sec + 1), V6M_DECODE_DONE);
    assert_false(v6m_decoder_release(d, &P));
    struct v6m_decoder_stats st;
    v6m_decoder_get_stats(d, &st);
    assert_int_equal(st.frag_expired, 1);
    v6m_decoder_free(d);
}

static void test_frag_eviction(void **s)
{
    (void)s;
    v6m_decoder *d = new_dec(2, 16, 0);
    SECOND(11);
    assert_int_equal(dec_at(d, 1), V6M_DECODE_HELD);
    SECOND(12);
    assert_int_equal(dec_at(d, 2), V6M_DECODE_HELD);
    SECOND(13);
    assert_int_equal(dec_at(d, 3), V6M_DECODE_HELD); /* evicts id 11 */
    assert_true(v6m_decoder_release(d, &P));
    assert_int_equal(P.outer.frag_id, 11);
    assert_int_equal(P.drop, V6M_DROP_FRAGMENT_UNRESOLVED);
    assert_false(v6m_decoder_release(d, &P));
    FIRST(12);
    assert_int_equal(dec_at(d, 4), V6M_DECODE_DONE);
    assert_true(v6m_decoder_release(d, &P));
    assert_int_equal(P.outer.frag_id, 12);
    assert_int_equal(P.frag_resolved, 1);
    assert_inner_of_dgram(&P);
    struct v6m_decoder_stats st;
    v6m_decoder_get_stats(d, &st);
    assert_int_equal(st.frag_evicted, 1);
    assert_int_equal(st.frag_entries_max, 2);
    v6m_decoder_free(d);
}

static void test_frag_held_cap(void **s)
{
    (void)s;
    v6m_decoder *d = new_dec(16, 1, 0);
    SECOND(21);
    assert_int_equal(dec_at(d, 1), V6M_DECODE_HELD);
    SECOND(22);
    assert_int_equal(dec_at(d, 2), V6M_DECODE_DONE);
    assert_int_equal(P.drop, V6M_DROP_FRAGMENT_UNRESOLVED);
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    v6m_decoder_flush(d);
    assert_true(v6m_decoder_release(d, &P));
    assert_false(v6m_decoder_release(d, &P));
    v6m_decoder_free(d);
}

static void test_frag_ipv6_header(void **s)
{
    (void)s;
    v6m_decoder *d = new_dec(16, 16, 0);
    /* IPv6 / fragment(id 0x01020304) / UDP 53 -> 5353, 48 + 16 bytes */
    uint8_t payload[64];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)i;
    payload[0] = 0;
    payload[1] = 53;
    payload[2] = 0x14;
    payload[3] = 0xe9;
    payload[4] = 0;
    payload[5] = 64;
    for (int part = 1; part >= 0; part--) { /* second part first */
        pb_reset(&B);
        pb_eth(&B, 0x86dd);
        size_t ip = pb_ipv6_begin(&B, 44, PB_V6_C, PB_V6_D);
        pb_u8(&B, 17);
        pb_u8(&B, 0);
        pb_u16(&B, part ? (48u | 0) : 1u);
        pb_u32(&B, 0x01020304);
        if (part)
            pb_bytes(&B, payload + 48, 16);
        else
            pb_bytes(&B, payload, 48);
        pb_ipv6_end(&B, ip);
        enum v6m_decode_result r = dec_at(d, 100 + (uint64_t)part);
        if (part) {
            assert_int_equal(r, V6M_DECODE_HELD);
        } else {
            assert_int_equal(r, V6M_DECODE_DONE);
            assert_int_equal(P.sport, 53);
            assert_int_equal(P.dport, 5353);
            assert_int_equal(P.inner.is_fragment, 1);
            assert_int_equal(P.inner.frag_id, 0x01020304);
            assert_true(P.ext_mask & (1u << V6M_EXT_FRAGMENT));
        }
    }
    assert_true(v6m_decoder_release(d, &P));
    assert_int_equal(P.family, V6M_FAMILY_IPV6);
    assert_int_equal(P.frag_resolved, 1);
    assert_int_equal(P.inner.frag_offset, 48);
    assert_int_equal(P.l4_proto, 17);
    assert_int_equal(P.sport, 53);
    assert_int_equal(P.dport, 5353);
    assert_memory_equal(P.inner.src, PB_V6_C, 16);
    v6m_decoder_free(d);
}

static void test_frag_every_frame_once(void **s)
{
    (void)s;
    v6m_decoder *d = new_dec(8, 8, 1000);
    uint32_t lcg = 12345;
    unsigned in = 0, out = 0, held = 0;
    for (unsigned i = 0; i < 600; i++) {
        lcg = lcg * 1103515245u + 12345u;
        unsigned id = (lcg >> 16) % 40;
        if ((lcg >> 8) & 1)
            FIRST(id);
        else
            SECOND(id);
        in++;
        if (dec_at(d, (uint64_t)i * 10) == V6M_DECODE_DONE)
            out++;
        else
            held++;
        while (v6m_decoder_release(d, &P))
            out++;
    }
    v6m_decoder_flush(d);
    while (v6m_decoder_release(d, &P))
        out++;
    assert_int_equal(in, out);
    assert_true(held > 0);
    struct v6m_decoder_stats st;
    v6m_decoder_get_stats(d, &st);
    uint64_t sum = 0;
    for (unsigned i = 0; i < V6M_DROP__COUNT; i++)
        sum += st.drops[i];
    assert_int_equal(sum, in);
    assert_int_equal(st.frames, in);
    assert_true(st.frag_entries_max <= 8);
    v6m_decoder_free(d);
}

/* ---------------- truncation ---------------- */

/* Cut the frame in B at every length. The family is that of the deepest
 * IP header that was announced by its carrier (ethertype, PPP protocol,
 * IP protocol) before the cut, or whose version byte is inside the cut:
 * v4_at / v6_at are the offsets where those headers become known. */
static void sweep(size_t total, size_t v4_at, size_t v6_at, int v4_first)
{
    v6m_decoder *d = new_dec(16, 16, 0);
    struct v6m_frame f = {.wirelen = (uint32_t)total, .linktype = 1, .data = B.b};
    for (size_t cut = 0; cut <= total; cut++) {
        f.caplen = (uint32_t)cut;
        v6m_decoder_decode(d, &f, &P);
        unsigned want_family;
        if (v4_first)
            want_family = cut < v4_at ? V6M_FAMILY_OTHER
                        : cut < v6_at ? V6M_FAMILY_IPV4 : V6M_FAMILY_IPV6;
        else
            want_family = cut < v6_at ? V6M_FAMILY_OTHER : V6M_FAMILY_IPV6;
        if (P.family != want_family || P.drop != (cut < total ? V6M_DROP_TRUNCATED : V6M_DROP_NONE))
            fail_msg("cut %zu: family %u drop %u", cut, P.family, P.drop);
    }
    v6m_decoder_free(d);
}

static void test_truncation_every_boundary(void **s)
{
    (void)s;
    /* Eth / VLAN / IPv4 / UDP / GTP-U / IPv6 / TCP (no payload) */
    pb_reset(&B);
    pb_eth(&B, 0x8100);
    pb_vlan(&B, 5, 0x0800);
    size_t ip = pb_ipv4_begin(&B, 17, PB_V4_C, PB_V4_D);
    size_t u = pb_udp_begin(&B, 2152, 2152);
    size_t g = pb_gtp_begin(&B, 0x34, 255, 1);
    pb_u16(&B, 0);
    pb_u8(&B, 0);
    pb_u8(&B, 0x85);
    pb_u8(&B, 1);
    pb_u8(&B, 0x10);
    pb_u8(&B, 0x01);
    pb_u8(&B, 0);
    size_t ip6 = B.n;
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_gtp_end(&B, g);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    sweep(B.n, ip, ip6 + 1, 1); /* GTP's T-PDU needs its version byte */

    /* Eth / QinQ / PPPoE / IPv6 / HBH / TCP */
    pb_reset(&B);
    pb_eth(&B, 0x88a8);
    pb_vlan(&B, 1, 0x8100);
    pb_vlan(&B, 2, 0x8864);
    size_t pp = pb_pppoe_begin(&B, 9, 0x0057);
    ip6 = B.n;
    ip = pb_ipv6_begin(&B, 0, PB_V6_A, PB_V6_B);
    pb_u8(&B, 6);
    pb_u8(&B, 0);
    pb_zero(&B, 6);
    pb_tcp(&B, 1, 2, 0);
    pb_ipv6_end(&B, ip);
    pb_pppoe_end(&B, pp);
    sweep(B.n, 0, ip6, 0);

    /* Eth / MPLS / CW / Eth / IPv4 / GRE / IPv6 / UDP */
    pb_reset(&B);
    pb_eth(&B, 0x8847);
    pb_mpls(&B, 1, 1);
    pb_u32(&B, 0);
    pb_eth(&B, 0x0800);
    ip = pb_ipv4_begin(&B, 47, PB_V4_C, PB_V4_D);
    pb_u16(&B, 0x2000);
    pb_u16(&B, 0x86dd);
    pb_u32(&B, 3);
    ip6 = B.n;
    size_t ip6b = pb_ipv6_begin(&B, 17, PB_V6_A, PB_V6_B);
    u = pb_udp_begin(&B, 9, 9);
    pb_udp_end(&B, u);
    pb_ipv6_end(&B, ip6b);
    pb_ipv4_end(&B, ip);
    sweep(B.n, ip, ip6, 1);
}

static void test_snaplen_not_truncated(void **s)
{
    (void)s;
    v6m_decoder *d = new_dec(16, 16, 0);
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    size_t ip = pb_ipv4_begin(&B, 6, PB_V4_A, PB_V4_B);
    pb_tcp(&B, 1234, 80, 0x10);
    pb_zero(&B, 1000);
    pb_ipv4_end(&B, ip);
    struct v6m_frame f = {.caplen = 96, .wirelen = (uint32_t)B.n, .linktype = 1, .data = B.b};
    v6m_decoder_decode(d, &f, &P);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.sport, 1234);
    assert_int_equal(P.payload_offset, 54);
    assert_int_equal(P.payload_len, 96 - 54);
    assert_int_equal(P.wirelen, B.n);
    assert_int_equal(P.caplen, 96);
    v6m_decoder_free(d);
}

/* ---------------- depth cap ---------------- */

/* n tunnels: IPv4 (41) IPv6 (4) IPv4 (41) ... innermost carries TCP. */
static void nest(unsigned n)
{
    size_t at[32];
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    for (unsigned i = 0; i <= n; i++) {
        int v4 = (i % 2) == 0;
        unsigned proto = i == n ? 6 : (v4 ? 41 : 4);
        at[i] = v4 ? pb_ipv4_begin(&B, proto, PB_V4_A, PB_V4_B)
                   : pb_ipv6_begin(&B, proto, PB_V6_A, PB_V6_B);
    }
    pb_tcp(&B, 1, 2, 0);
    for (unsigned i = n + 1; i-- > 0;) {
        if ((i % 2) == 0)
            pb_ipv4_end(&B, at[i]);
        else
            pb_ipv6_end(&B, at[i]);
    }
}

static void test_depth_cap(void **s)
{
    (void)s;
    struct v6m_decoder_config cfg;
    v6m_decoder_config_default(&cfg);
    cfg.max_depth = 3;
    v6m_decoder *d = v6m_decoder_new(&cfg);
    assert_non_null(d);
    struct v6m_frame f = {.linktype = 1, .data = B.b};

    nest(3);
    f.caplen = f.wirelen = (uint32_t)B.n;
    v6m_decoder_decode(d, &f, &P);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_int_equal(P.depth, 3);
    assert_int_equal(P.n_ip, 4);
    assert_int_equal(P.family, V6M_FAMILY_IPV6); /* 4th header is IPv6 */
    assert_int_equal(P.sport, 1);
    assert_int_equal(P.encap, V6M_ENC_IP6IN4 | V6M_ENC_IP4IN6);

    nest(4);
    f.caplen = f.wirelen = (uint32_t)B.n;
    v6m_decoder_decode(d, &f, &P);
    assert_int_equal(P.drop, V6M_DROP_TOO_DEEP);
    assert_int_equal(P.depth, 3);
    assert_int_equal(P.n_ip, 4);
    assert_int_equal(P.family, V6M_FAMILY_IPV6);
    assert_int_equal(P.sport, 0);

    nest(5);
    f.caplen = f.wirelen = (uint32_t)B.n;
    v6m_decoder_decode(d, &f, &P);
    assert_int_equal(P.drop, V6M_DROP_TOO_DEEP);
    struct v6m_decoder_stats st;
    v6m_decoder_get_stats(d, &st);
    assert_int_equal(st.drops[V6M_DROP_TOO_DEEP], 2);
    v6m_decoder_free(d);

    /* default cap is 8 */
    d = v6m_decoder_new(NULL);
    nest(8);
    f.caplen = f.wirelen = (uint32_t)B.n;
    v6m_decoder_decode(d, &f, &P);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    nest(9);
    f.caplen = f.wirelen = (uint32_t)B.n;
    v6m_decoder_decode(d, &f, &P);
    assert_int_equal(P.drop, V6M_DROP_TOO_DEEP);
    v6m_decoder_free(d);
}

static void test_empty_and_null_frames(void **s)
{
    (void)s;
    v6m_decoder *d = v6m_decoder_new(NULL);
    struct v6m_frame f = {.linktype = 1, .data = NULL};
    v6m_decoder_decode(d, &f, &P);
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    v6m_decoder_free(d);
    v6m_decoder_free(NULL);
}

int main(void)
{
    make_dgram();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frag_in_order),
        cmocka_unit_test(test_frag_out_of_order),
        cmocka_unit_test(test_frag_unresolved_flush),
        cmocka_unit_test(test_frag_expiry),
        cmocka_unit_test(test_frag_eviction),
        cmocka_unit_test(test_frag_held_cap),
        cmocka_unit_test(test_frag_ipv6_header),
        cmocka_unit_test(test_frag_every_frame_once),
        cmocka_unit_test(test_truncation_every_boundary),
        cmocka_unit_test(test_snaplen_not_truncated),
        cmocka_unit_test(test_depth_cap),
        cmocka_unit_test(test_empty_and_null_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
