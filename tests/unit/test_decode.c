/*
 * Decoder tests: link types, layer 2 (VLAN, MPLS, PPPoE, PPP), tunnels,
 * IPv6 extension headers, IPv4 options, L4 and the name tables. Frames are
 * built by hand with pktbuild.h; every expectation is a value written into
 * the frame (or the documented meaning of a frame), not decoder output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <v6mon/decoder.h>
#include <v6mon/packet.h>

#include "decode/decode_int.h"
#include "pktbuild.h"

static v6m_decoder *D;
static struct v6m_packet P;
static struct pb B;

static int setup(void **state)
{
    (void)state;
    D = v6m_decoder_new(NULL);
    return D ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    v6m_decoder_free(D);
    return 0;
}

static enum v6m_decode_result dec_lt(uint32_t lt)
{
    struct v6m_frame f = {.ts_ns = 1000, .caplen = (uint32_t)B.n, .wirelen = (uint32_t)B.n,
                          .linktype = lt, .ifindex = 3, .data = B.b};
    return v6m_decoder_decode(D, &f, &P);
}

static void dec_eth(void) { assert_int_equal(dec_lt(V6M_LINKTYPE_ETHERNET), V6M_DECODE_DONE); }

static void assert_v4_tcp_inner(void)
{
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.inner.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.l4_proto, 6);
    assert_int_equal(P.sport, 1234);
    assert_int_equal(P.dport, 80);
    assert_int_equal(P.tcp_flags, 0x02);
}

static void assert_v6_tcp_inner(void)
{
    assert_int_equal(P.family, V6M_FAMILY_IPV6);
    assert_int_equal(P.inner.family, V6M_FAMILY_IPV6);
    assert_int_equal(P.l4_proto, 6);
    assert_int_equal(P.sport, 40000);
    assert_int_equal(P.dport, 443);
    assert_int_equal(P.tcp_flags, 0x12);
}

/* ---------------- link types ---------------- */

static void test_eth_ipv4_tcp(void **s)
{
    (void)s;
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v4_tcp_inner();
    assert_int_equal(P.outer_family, V6M_FAMILY_IPV4);
    assert_int_equal(P.n_ip, 1);
    assert_int_equal(P.depth, 0);
    assert_int_equal(P.encap, 0);
    assert_int_equal(P.has_eth, 1);
    assert_memory_equal(P.eth_src, PB_MAC_A, 6);
    assert_memory_equal(P.eth_dst, PB_MAC_B, 6);
    assert_memory_equal(P.inner.src, PB_V4_A, 4);
    assert_memory_equal(P.inner.dst, PB_V4_B, 4);
    static const uint8_t zero12[12];
    assert_memory_equal(P.inner.src + 4, zero12, 12);
    assert_int_equal(P.inner.offset, 14);
    assert_int_equal(P.inner.l4_offset, 34);
    assert_int_equal(P.inner.hop_limit, 64);
    assert_int_equal(P.inner.rh_type, 255);
    assert_int_equal(P.inner.is_fragment, 0);
    assert_memory_equal(&P.outer, &P.inner, sizeof P.inner);
    assert_int_equal(P.payload_offset, 54);
    assert_int_equal(P.payload_len, 0);
    assert_int_equal(P.gtp_qfi, 0xff);
    assert_int_equal(P.gtp_pdu_type, 0xff);
    assert_int_equal(P.ifindex, 3);
    assert_int_equal(P.wirelen, B.n);
}

static void test_eth_ipv6_tcp(void **s)
{
    (void)s;
    pb_reset(&B);
    pb_eth(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.inner.flow_label, 0xabcde);
    assert_int_equal(P.inner.tclass, 0x2e);
    assert_int_equal(P.inner.hop_limit, 63);
    assert_memory_equal(P.inner.src, PB_V6_A, 16);
    assert_memory_equal(P.inner.dst, PB_V6_B, 16);
    assert_int_equal(P.inner.l4_offset, 54);
    assert_int_equal(P.inner.ext_count, 0);
    assert_int_equal(P.ext_mask, 0);
}

static void test_eth_padding_bounded(void **s)
{
    (void)s;
    /* IPv4/UDP with 4 payload bytes, then 20 bytes of Ethernet padding. */
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    size_t ip = pb_ipv4_begin(&B, 17, PB_V4_A, PB_V4_B);
    size_t u = pb_udp_begin(&B, 5000, 53);
    pb_u32(&B, 0xdeadbeef);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    memset(B.b + B.n, 0x60, 20); /* padding that looks like IPv6 */
    B.n += 20;
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.sport, 5000);
    assert_int_equal(P.dport, 53);
    assert_int_equal(P.payload_offset, 14 + 20 + 8);
    assert_int_equal(P.payload_len, 4);
}

static void test_arp_other(void **s)
{
    (void)s;
    pb_reset(&B);
    pb_eth(&B, 0x0806);
    pb_zero(&B, 28);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_int_equal(P.n_ip, 0);
    assert_int_equal(P.outer_family, 0);
    /* 802.3 length field + LLC */
    pb_reset(&B);
    pb_eth(&B, 38);
    pb_u8(&B, 0x42);
    pb_u8(&B, 0x42);
    pb_u8(&B, 0x03);
    pb_zero(&B, 35);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_NONE);
}

static void test_linux_sll(void **s)
{
    (void)s;
    pb_reset(&B);
    pb_u16(&B, 0);     /* to us */
    pb_u16(&B, 1);     /* ARPHRD_ETHER */
    pb_u16(&B, 6);
    pb_bytes(&B, PB_MAC_A, 6);
    pb_u16(&B, 0);
    pb_u16(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    dec_lt(V6M_LINKTYPE_LINUX_SLL);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.inner.offset, 16);
    assert_int_equal(P.has_eth, 0);

    /* SLL carrying 802.1Q */
    pb_reset(&B);
    pb_u16(&B, 0);
    pb_u16(&B, 1);
    pb_u16(&B, 6);
    pb_zero(&B, 8);
    pb_u16(&B, 0x8100);
    pb_vlan(&B, 77, 0x0800);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    dec_lt(V6M_LINKTYPE_LINUX_SLL);
    assert_v4_tcp_inner();
    assert_int_equal(P.n_vlans, 1);
    assert_int_equal(P.vlan[0], 77);
}

static void test_linux_sll2(void **s)
{
    (void)s;
    pb_reset(&B);
    pb_u16(&B, 0x0800);
    pb_u16(&B, 0);
    pb_u32(&B, 2);
    pb_u16(&B, 1);
    pb_u8(&B, 4);
    pb_u8(&B, 6);
    pb_zero(&B, 8);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    dec_lt(V6M_LINKTYPE_LINUX_SLL2);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v4_tcp_inner();
    assert_int_equal(P.inner.offset, 20);
}

static void test_raw_links(void **s)
{
    (void)s;
    static const uint32_t lts[] = {V6M_LINKTYPE_RAW, 12, 14};
    for (size_t i = 0; i < sizeof lts / sizeof lts[0]; i++) {
        pb_reset(&B);
        pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
        dec_lt(lts[i]);
        assert_v4_tcp_inner();
        assert_int_equal(P.inner.offset, 0);
        pb_reset(&B);
        pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
        dec_lt(lts[i]);
        assert_v6_tcp_inner();
    }
    pb_reset(&B);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    dec_lt(V6M_LINKTYPE_IPV4);
    assert_v4_tcp_inner();
    pb_reset(&B);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    dec_lt(V6M_LINKTYPE_IPV6);
    assert_v6_tcp_inner();
    /* an IPv4 packet under LINKTYPE_IPV6 is malformed */
    pb_reset(&B);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    dec_lt(V6M_LINKTYPE_IPV6);
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
    /* raw with version nibble 5 */
    B.b[0] = 0x55;
    dec_lt(V6M_LINKTYPE_RAW);
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
}

static void null_frame(uint32_t af, int big_endian, int v6)
{
    pb_reset(&B);
    if (big_endian)
        pb_u32(&B, af);
    else {
        pb_u8(&B, af & 0xff);
        pb_u8(&B, (af >> 8) & 0xff);
        pb_u8(&B, (af >> 16) & 0xff);
        pb_u8(&B, af >> 24);
    }
    if (v6)
        pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    else
        pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
}

static void test_null_loop(void **s)
{
    (void)s;
    static const uint32_t v6afs[] = {24, 28, 30};
    for (int be = 0; be < 2; be++) {
        null_frame(2, be, 0);
        dec_lt(V6M_LINKTYPE_NULL);
        assert_v4_tcp_inner();
        for (size_t i = 0; i < 3; i++) {
            null_frame(v6afs[i], be, 1);
            dec_lt(V6M_LINKTYPE_NULL);
            assert_v6_tcp_inner();
            assert_int_equal(P.inner.offset, 4);
        }
    }
    null_frame(24, 1, 1);
    dec_lt(V6M_LINKTYPE_LOOP);
    assert_v6_tcp_inner();
    null_frame(2, 1, 0);
    dec_lt(V6M_LINKTYPE_LOOP);
    assert_v4_tcp_inner();
    /* an unknown address family: not IP; Linux's AF_INET6 (10) is not a
     * BSD family (tshark: data) */
    null_frame(7, 0, 0);
    dec_lt(V6M_LINKTYPE_NULL);
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    null_frame(10, 0, 1);
    dec_lt(V6M_LINKTYPE_NULL);
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    /* tshark's normalisation: AF in the upper 16 bits (00 00 02 00), a
     * byte-swapped 16-bit AF (00 02 00 00), an ethertype (00 00 86 dd and
     * 0f 00 08 00: the value is above 1500), PPP in HDLC framing */
    static const uint8_t heads[5][4] = {{0, 0, 2, 0}, {0, 2, 0, 0}, {0, 0, 0x86, 0xdd},
                                        {0x0f, 0, 0x08, 0}, {0xff, 0x03, 0x00, 0x21}};
    for (int i = 0; i < 5; i++) {
        pb_reset(&B);
        pb_bytes(&B, heads[i], 4);
        if (i == 2)
            pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
        else
            pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
        assert_int_equal(dec_lt(V6M_LINKTYPE_NULL), V6M_DECODE_DONE);
        if (i == 2)
            assert_v6_tcp_inner();
        else
            assert_v4_tcp_inner();
    }
}

static void test_ppp_links(void **s)
{
    (void)s;
    /* ff 03 00 57 */
    pb_reset(&B);
    pb_u8(&B, 0xff);
    pb_u8(&B, 0x03);
    pb_u16(&B, 0x0057);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    dec_lt(V6M_LINKTYPE_PPP);
    assert_v6_tcp_inner();
    assert_true(P.encap & V6M_ENC_PPP);
    assert_int_equal(P.ppp_proto, 0x57);
    assert_int_equal(P.inner.offset, 4);
    dec_lt(V6M_LINKTYPE_PPP_HDLC);
    assert_v6_tcp_inner();
    /* no address/control, 2-byte protocol */
    pb_reset(&B);
    pb_u16(&B, 0x0021);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    dec_lt(V6M_LINKTYPE_PPP);
    assert_v4_tcp_inner();
    assert_int_equal(P.inner.offset, 2);
    /* compressed 1-byte protocol */
    pb_reset(&B);
    pb_u8(&B, 0x57);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    dec_lt(V6M_LINKTYPE_PPP);
    assert_v6_tcp_inner();
    assert_int_equal(P.inner.offset, 1);
    /* ff 03 + 1-byte protocol */
    pb_reset(&B);
    pb_u8(&B, 0xff);
    pb_u8(&B, 0x03);
    pb_u8(&B, 0x21);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    dec_lt(V6M_LINKTYPE_PPP);
    assert_v4_tcp_inner();
    assert_int_equal(P.inner.offset, 3);
    /* LCP */
    pb_reset(&B);
    pb_u8(&B, 0xff);
    pb_u8(&B, 0x03);
    pb_u16(&B, 0xc021);
    pb_u32(&B, 0x01010004);
    dec_lt(V6M_LINKTYPE_PPP);
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_int_equal(P.ppp_proto_nonip, 1);
    assert_int_equal(P.ppp_proto, 0xc021);
}

static void test_unknown_link(void **s)
{
    (void)s;
    pb_reset(&B);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    dec_lt(147);
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_UNSUPPORTED_LINK);
    assert_false(v6m_linktype_supported(147));
    assert_true(v6m_linktype_supported(1));
    assert_true(v6m_linktype_supported(276));
    assert_true(v6m_linktype_supported(0));
    assert_string_equal(v6m_linktype_name(V6M_LINKTYPE_ETHERNET), "ethernet");
    assert_string_equal(v6m_linktype_name(V6M_LINKTYPE_LINUX_SLL2), "linux_sll2");
    assert_null(v6m_linktype_name(147));
}

/* ---------------- layer 2 ---------------- */

static void test_vlan_qinq(void **s)
{
    (void)s;
    pb_reset(&B);
    pb_eth(&B, 0x88a8);
    pb_vlan(&B, 100, 0x8100);
    pb_vlan(&B, 0x2000 | 200, 0x86dd); /* PCP bits must not leak into the id */
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    dec_eth();
    assert_v6_tcp_inner();
    assert_int_equal(P.n_vlans, 2);
    assert_int_equal(P.vlan[0], 100);
    assert_int_equal(P.vlan[1], 200);
    assert_int_equal(P.encap, V6M_ENC_VLAN | V6M_ENC_QINQ);
    assert_int_equal(P.inner.offset, 22);

    /* 0x9100 and six tags: all counted, four stored */
    pb_reset(&B);
    pb_eth(&B, 0x9100);
    for (unsigned i = 1; i <= 5; i++)
        pb_vlan(&B, i, 0x8100);
    pb_vlan(&B, 6, 0x0800);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    dec_eth();
    assert_v4_tcp_inner();
    assert_int_equal(P.n_vlans, 6);
    assert_int_equal(P.vlan[0], 1);
    assert_int_equal(P.vlan[3], 4);
    assert_true(P.encap & V6M_ENC_QINQ);
}

static void test_qinq_pppoe_ipv6(void **s)
{
    (void)s;
    pb_reset(&B);
    pb_eth(&B, 0x88a8);
    pb_vlan(&B, 10, 0x8100);
    pb_vlan(&B, 20, 0x8864);
    size_t pp = pb_pppoe_begin(&B, 0x1234, 0x0057);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_pppoe_end(&B, pp);
    pb_zero(&B, 10); /* trailer beyond the PPPoE length */
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.encap, V6M_ENC_VLAN | V6M_ENC_QINQ | V6M_ENC_PPPOE | V6M_ENC_PPP);
    assert_int_equal(P.pppoe_session, 0x1234);
    assert_int_equal(P.ppp_proto, 0x57);
    assert_int_equal(P.ppp_proto_nonip, 0);

    /* IPV6CP over PPPoE: non-IP */
    pb_reset(&B);
    pb_eth(&B, 0x8864);
    pp = pb_pppoe_begin(&B, 7, 0x8057);
    pb_u32(&B, 0x01010004);
    pb_pppoe_end(&B, pp);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_int_equal(P.ppp_proto_nonip, 1);
    assert_int_equal(P.pppoe_session, 7);

    /* PPPoE discovery (PADI) */
    pb_reset(&B);
    pb_eth(&B, 0x8863);
    pb_u8(&B, 0x11);
    pb_u8(&B, 0x09);
    pb_u16(&B, 0);
    pb_u16(&B, 0);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_NONE);

    /* bad ver/type */
    pb_reset(&B);
    pb_eth(&B, 0x8864);
    pp = pb_pppoe_begin(&B, 7, 0x0021);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    pb_pppoe_end(&B, pp);
    B.b[14] = 0x21;
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
}

static void test_mpls(void **s)
{
    (void)s;
    pb_reset(&B);
    pb_eth(&B, 0x8847);
    pb_mpls(&B, 1000, 0);
    pb_mpls(&B, 2000, 1);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    dec_eth();
    assert_v4_tcp_inner();
    assert_int_equal(P.n_mpls, 2);
    assert_int_equal(P.mpls[0], 1000);
    assert_int_equal(P.mpls[1], 2000);
    assert_int_equal(P.encap, V6M_ENC_MPLS);

    pb_reset(&B);
    pb_eth(&B, 0x8848);
    pb_mpls(&B, 16, 1);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    dec_eth();
    assert_v6_tcp_inner();

    /* Ethernet pseudowire with control word */
    pb_reset(&B);
    pb_eth(&B, 0x8847);
    pb_mpls(&B, 300, 1);
    pb_u32(&B, 0);
    pb_eth(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.encap, V6M_ENC_MPLS | V6M_ENC_ETH_INNER);
    assert_int_equal(P.depth, 1);
    assert_int_equal(P.inner.offset, 14 + 4 + 4 + 14);

    /* PW associated channel (first nibble 1): not IP */
    pb_reset(&B);
    pb_eth(&B, 0x8847);
    pb_mpls(&B, 13, 1);
    pb_u32(&B, 0x10000007);
    pb_zero(&B, 20);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_NONE);

    /* first nibble 5: cannot guess */
    pb_reset(&B);
    pb_eth(&B, 0x8847);
    pb_mpls(&B, 16, 1);
    pb_u32(&B, 0x50000000);
    pb_zero(&B, 20);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_UNSUPPORTED_ENCAP);
}

/* ---------------- GRE ---------------- */

static size_t eth_v4_outer(unsigned proto)
{
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    return pb_ipv4_begin(&B, proto, PB_V4_C, PB_V4_D);
}

static void assert_outer_v4(void)
{
    assert_int_equal(P.outer_family, V6M_FAMILY_IPV4);
    assert_int_equal(P.outer.family, V6M_FAMILY_IPV4);
    assert_memory_equal(P.outer.src, PB_V4_C, 4);
    assert_memory_equal(P.outer.dst, PB_V4_D, 4);
}

static void test_gre(void **s)
{
    (void)s;
    /* plain GRE, IPv4 in IPv4 */
    size_t ip = eth_v4_outer(47);
    pb_u16(&B, 0);
    pb_u16(&B, 0x0800);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_v4_tcp_inner();
    assert_outer_v4();
    assert_int_equal(P.n_ip, 2);
    assert_int_equal(P.depth, 1);
    assert_int_equal(P.encap, V6M_ENC_GRE);
    assert_int_equal(P.gre_has_key, 0);
    assert_memory_equal(P.inner.src, PB_V4_A, 4);

    /* C, K, S flags: checksum+reserved, key, sequence; IPv6 inside */
    ip = eth_v4_outer(47);
    pb_u16(&B, 0xb000);
    pb_u16(&B, 0x86dd);
    pb_u32(&B, 0);
    pb_u32(&B, 0xcafe0001);
    pb_u32(&B, 99);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.gre_has_key, 1);
    assert_int_equal(P.gre_key, 0xcafe0001);

    /* transparent Ethernet bridging with key */
    ip = eth_v4_outer(47);
    pb_u16(&B, 0x2000);
    pb_u16(&B, 0x6558);
    pb_u32(&B, 5);
    pb_eth(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_v6_tcp_inner();
    assert_int_equal(P.encap, V6M_ENC_GRE | V6M_ENC_ETH_INNER);
    assert_int_equal(P.depth, 1);

    /* GRE carrying MPLS */
    ip = eth_v4_outer(47);
    pb_u16(&B, 0);
    pb_u16(&B, 0x8847);
    pb_mpls(&B, 55, 1);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_v6_tcp_inner();
    assert_int_equal(P.encap, V6M_ENC_GRE | V6M_ENC_MPLS);

    /* unknown protocol inside GRE */
    ip = eth_v4_outer(47);
    pb_u16(&B, 0);
    pb_u16(&B, 0x1234);
    pb_zero(&B, 40);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.drop, V6M_DROP_UNSUPPORTED_ENCAP);

    /* GRE over IPv6 carrying IPv6 */
    pb_reset(&B);
    pb_eth(&B, 0x86dd);
    ip = pb_ipv6_begin(&B, 47, PB_V6_C, PB_V6_D);
    pb_u16(&B, 0);
    pb_u16(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_ipv6_end(&B, ip);
    dec_eth();
    assert_v6_tcp_inner();
    assert_int_equal(P.outer_family, V6M_FAMILY_IPV6);
    assert_memory_equal(P.outer.src, PB_V6_C, 16);
}

static void test_erspan(void **s)
{
    (void)s;
    /* type II: S bit, 8-byte header */
    size_t ip = eth_v4_outer(47);
    pb_u16(&B, 0x1000);
    pb_u16(&B, 0x88be);
    pb_u32(&B, 1);
    pb_u32(&B, 0x10010000);
    pb_u32(&B, 0);
    pb_eth(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.encap, V6M_ENC_GRE | V6M_ENC_ERSPAN | V6M_ENC_ETH_INNER);

    /* type I: no S bit, no header */
    ip = eth_v4_outer(47);
    pb_u16(&B, 0);
    pb_u16(&B, 0x88be);
    pb_eth(&B, 0x0800);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_v4_tcp_inner();
    assert_true(P.encap & V6M_ENC_ERSPAN);

    /* type III with the platform subheader (O flag) */
    ip = eth_v4_outer(47);
    pb_u16(&B, 0x1000);
    pb_u16(&B, 0x22eb);
    pb_u32(&B, 1);
    pb_u32(&B, 0x20000001);
    pb_u32(&B, 0x11111111);
    pb_u32(&B, 0x00000001); /* ... O = 1 */
    pb_u32(&B, 0x22222222);
    pb_u32(&B, 0x33333333);
    pb_eth(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v6_tcp_inner();
    assert_true(P.encap & V6M_ENC_ERSPAN);
}

static void test_pptp_gre(void **s)
{
    (void)s;
    size_t ip = eth_v4_outer(47);
    pb_u16(&B, 0x3001); /* K S, version 1 */
    pb_u16(&B, 0x880b);
    size_t lenat = B.n;
    pb_u16(&B, 0);     /* payload length, patched */
    pb_u16(&B, 0x0042); /* call id */
    pb_u32(&B, 5);
    size_t start = B.n;
    pb_u8(&B, 0xff);
    pb_u8(&B, 0x03);
    pb_u16(&B, 0x0057);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_put16(&B, lenat, (unsigned)(B.n - start));
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.encap, V6M_ENC_GRE | V6M_ENC_PPP);
    assert_int_equal(P.gre_key & 0xffff, 0x42);
}

/* ---------------- UDP tunnels ---------------- */

static void test_vxlan_geneve(void **s)
{
    (void)s;
    size_t ip = eth_v4_outer(17);
    size_t u = pb_udp_begin(&B, 49152, 4789);
    pb_u32(&B, 0x08000000);
    pb_u32(&B, 0x00abcd00);
    pb_eth(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.vni, 0xabcd);
    assert_int_equal(P.encap, V6M_ENC_VXLAN | V6M_ENC_ETH_INNER);
    assert_memory_equal(P.eth_src, PB_MAC_A, 6); /* outer Ethernet kept */
    assert_outer_v4();

    /* Geneve over IPv6 with 8 bytes of options, Ethernet inside */
    pb_reset(&B);
    pb_eth(&B, 0x86dd);
    ip = pb_ipv6_begin(&B, 17, PB_V6_C, PB_V6_D);
    u = pb_udp_begin(&B, 50000, 6081);
    pb_u8(&B, 2);
    pb_u8(&B, 0);
    pb_u16(&B, 0x6558);
    pb_u32(&B, 0x00000700);
    pb_zero(&B, 8);
    pb_eth(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_udp_end(&B, u);
    pb_ipv6_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.vni, 7);
    assert_int_equal(P.encap, V6M_ENC_GENEVE | V6M_ENC_ETH_INNER);
    assert_int_equal(P.outer_family, V6M_FAMILY_IPV6);

    /* Geneve carrying IPv4 directly */
    ip = eth_v4_outer(17);
    u = pb_udp_begin(&B, 50000, 6081);
    pb_u8(&B, 0);
    pb_u8(&B, 0);
    pb_u16(&B, 0x0800);
    pb_u32(&B, 0x00000100);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_v4_tcp_inner();
    assert_int_equal(P.encap, V6M_ENC_GENEVE);
    assert_int_equal(P.n_ip, 2);
}

static void test_gtpu(void **s)
{
    (void)s;
    /* G-PDU, IPv4 inside, over IPv4 */
    size_t ip = eth_v4_outer(17);
    size_t u = pb_udp_begin(&B, 2152, 2152);
    size_t g = pb_gtp_begin(&B, 0x30, 255, 0x01020304);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    pb_gtp_end(&B, g);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v4_tcp_inner();
    assert_int_equal(P.encap, V6M_ENC_GTPU);
    assert_int_equal(P.gtp_user, 1);
    assert_int_equal(P.gtp_msg_type, 255);
    assert_int_equal(P.gtp_teid, 0x01020304);
    assert_int_equal(P.gtp_ep_family, V6M_FAMILY_IPV4);
    assert_memory_equal(P.gtp_ep_src, PB_V4_C, 4);
    assert_memory_equal(P.gtp_ep_dst, PB_V4_D, 4);
    assert_int_equal(P.gtp_qfi, 0xff);

    /* extension chain: UDP port ext (0x40) then PDU session container
     * (0x85, UL, QFI 9); IPv6 inside */
    ip = eth_v4_outer(17);
    u = pb_udp_begin(&B, 40000, 2152);
    g = pb_gtp_begin(&B, 0x34, 255, 77);
    pb_u16(&B, 0);
    pb_u8(&B, 0);
    pb_u8(&B, 0x40);
    pb_u8(&B, 1);
    pb_u16(&B, 2152);
    pb_u8(&B, 0x85);
    pb_u8(&B, 1);
    pb_u8(&B, 0x10);
    pb_u8(&B, 0x09);
    pb_u8(&B, 0);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_gtp_end(&B, g);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.gtp_pdu_type, 1);
    assert_int_equal(P.gtp_qfi, 9);
    assert_int_equal(P.gtp_user, 1);

    /* extension length 0: malformed, family of the IP carrying GTP */
    B.b[14 + 20 + 8 + 12] = 0;
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
    assert_int_equal(P.gtp_user, 0);

    /* over IPv6 transport, DL container with QFI 5 */
    pb_reset(&B);
    pb_eth(&B, 0x86dd);
    ip = pb_ipv6_begin(&B, 17, PB_V6_C, PB_V6_D);
    u = pb_udp_begin(&B, 2152, 2152);
    g = pb_gtp_begin(&B, 0x34, 255, 78);
    pb_u16(&B, 0);
    pb_u8(&B, 0);
    pb_u8(&B, 0x85);
    pb_u8(&B, 1);
    pb_u8(&B, 0x00);
    pb_u8(&B, 0x05);
    pb_u8(&B, 0);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    pb_gtp_end(&B, g);
    pb_udp_end(&B, u);
    pb_ipv6_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v4_tcp_inner();
    assert_int_equal(P.gtp_ep_family, V6M_FAMILY_IPV6);
    assert_memory_equal(P.gtp_ep_src, PB_V6_C, 16);
    assert_int_equal(P.gtp_pdu_type, 0);
    assert_int_equal(P.gtp_qfi, 5);
    assert_int_equal(P.outer_family, V6M_FAMILY_IPV6);

    /* echo request: signalling */
    ip = eth_v4_outer(17);
    u = pb_udp_begin(&B, 2152, 2152);
    g = pb_gtp_begin(&B, 0x32, 1, 0);
    pb_u16(&B, 1);
    pb_u16(&B, 0);
    pb_gtp_end(&B, g);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_int_equal(P.gtp_msg_type, 1);
    assert_int_equal(P.gtp_user, 0);
    assert_true(P.encap & V6M_ENC_GTPU);
    assert_int_equal(P.n_ip, 1);

    /* T-PDU that is neither IPv4 nor IPv6 */
    ip = eth_v4_outer(17);
    u = pb_udp_begin(&B, 2152, 2152);
    g = pb_gtp_begin(&B, 0x30, 255, 1);
    pb_u32(&B, 0x99999999);
    pb_gtp_end(&B, g);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.drop, V6M_DROP_UNSUPPORTED_ENCAP);
    assert_int_equal(P.gtp_user, 0);
}

static void test_ip_in_ip(void **s)
{
    (void)s;
    /* 6in4 */
    size_t ip = eth_v4_outer(41);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_v6_tcp_inner();
    assert_int_equal(P.encap, V6M_ENC_IP6IN4);
    assert_outer_v4();
    assert_int_equal(P.depth, 1);

    /* 6to4 */
    static const uint8_t sixto4[16] = {0x20, 0x02, 0xc0, 0x00, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    ip = eth_v4_outer(41);
    pb_v6_tcp(&B, sixto4, PB_V6_B);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_v6_tcp_inner();
    assert_int_equal(P.encap, V6M_ENC_IP6IN4 | V6M_ENC_6TO4);

    /* ISATAP: fe80::0200:5efe:c000:0201 */
    static const uint8_t isatap[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0x5e, 0xfe, 192, 0, 2, 1};
    ip = eth_v4_outer(41);
    pb_v6_tcp(&B, PB_V6_A, isatap);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.encap, V6M_ENC_IP6IN4 | V6M_ENC_ISATAP);

    /* 4in6 (DS-Lite) */
    pb_reset(&B);
    pb_eth(&B, 0x86dd);
    ip = pb_ipv6_begin(&B, 4, PB_V6_C, PB_V6_D);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    pb_ipv6_end(&B, ip);
    dec_eth();
    assert_v4_tcp_inner();
    assert_int_equal(P.encap, V6M_ENC_IP4IN6);
    assert_int_equal(P.outer_family, V6M_FAMILY_IPV6);

    /* 6in6: the outer 2002:: address must not mark 6to4 */
    pb_reset(&B);
    pb_eth(&B, 0x86dd);
    ip = pb_ipv6_begin(&B, 41, sixto4, PB_V6_D);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_ipv6_end(&B, ip);
    dec_eth();
    assert_v6_tcp_inner();
    assert_int_equal(P.encap, V6M_ENC_IP6IN6);

    /* 4in4 */
    ip = eth_v4_outer(4);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_v4_tcp_inner();
    assert_int_equal(P.encap, V6M_ENC_IP4IN4);
    assert_int_equal(P.n_ip, 2);
}

static void teredo_frame(unsigned sport, unsigned dport, int auth, int origin)
{
    size_t ip = eth_v4_outer(17);
    size_t u = pb_udp_begin(&B, sport, dport);
    if (auth) {
        pb_u16(&B, 0x0001);
        pb_u8(&B, 2); /* id length */
        pb_u8(&B, 3); /* auth length */
        pb_zero(&B, 5);
        pb_zero(&B, 8); /* nonce */
        pb_u8(&B, 0);   /* confirmation */
    }
    if (origin) {
        pb_u16(&B, 0x0000);
        pb_u16(&B, 0xffff);
        pb_u32(&B, 0xffffffff);
    }
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
}

static void test_teredo(void **s)
{
    (void)s;
    teredo_frame(40000, 3544, 0, 0);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.encap, V6M_ENC_TEREDO);
    assert_int_equal(P.teredo_origin, 0);
    assert_int_equal(P.teredo_auth, 0);

    teredo_frame(3544, 40000, 0, 1);
    dec_eth();
    assert_v6_tcp_inner();
    assert_int_equal(P.teredo_origin, 1);
    assert_int_equal(P.teredo_auth, 0);

    teredo_frame(3544, 40000, 1, 1);
    dec_eth();
    assert_v6_tcp_inner();
    assert_int_equal(P.teredo_origin, 1);
    assert_int_equal(P.teredo_auth, 1);
    assert_int_equal(P.inner.offset, 14 + 20 + 8 + 18 + 8);

    /* not Teredo on 3544: plain UDP over IPv4 */
    size_t ip = eth_v4_outer(17);
    size_t u = pb_udp_begin(&B, 3544, 40000);
    pb_u32(&B, 0x45000000);
    pb_zero(&B, 40);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_int_equal(P.encap, 0);
    assert_int_equal(P.dport, 40000);

    /* off port: only with the heuristic (on by default) */
    teredo_frame(40000, 50000, 0, 1);
    struct v6m_decoder_config cfg;
    v6m_decoder_config_default(&cfg);
    assert_true(cfg.teredo_heuristic);
    cfg.teredo_heuristic = false;
    v6m_decoder *noh = v6m_decoder_new(&cfg);
    assert_non_null(noh);
    struct v6m_frame f = {.caplen = (uint32_t)B.n, .wirelen = (uint32_t)B.n, .linktype = 1, .data = B.b};
    v6m_decoder_decode(noh, &f, &P);
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.encap, 0);
    v6m_decoder_free(noh);
    cfg.teredo_heuristic = true;
    v6m_decoder *h = v6m_decoder_new(&cfg);
    assert_non_null(h);
    v6m_decoder_decode(h, &f, &P);
    assert_v6_tcp_inner();
    assert_int_equal(P.teredo_origin, 1);
    /* ...but never on a port tshark gives to a port dissector (DNS) */
    teredo_frame(53, 50000, 0, 1);
    f.caplen = f.wirelen = (uint32_t)B.n;
    v6m_decoder_decode(h, &f, &P);
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.encap, 0);
    teredo_frame(40000, 50000, 0, 1);
    f.caplen = f.wirelen = (uint32_t)B.n;
    /* heuristic rejects a payload length that does not match */
    B.b[14 + 20 + 8 + 8 + 5] ^= 1;
    v6m_decoder_decode(h, &f, &P);
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.encap, 0);
    v6m_decoder_free(h);
}

static void test_ayiya_l2tp(void **s)
{
    (void)s;
    size_t ip = eth_v4_outer(17);
    size_t u = pb_udp_begin(&B, 5072, 5072);
    pb_u8(&B, 0x41);   /* id length 2^4 = 16, type 1 */
    pb_u8(&B, 0x52);   /* signature 5 * 4 = 20 */
    pb_u8(&B, 0x11);   /* opcode 1: forward */
    pb_u8(&B, 41);
    pb_u32(&B, 0);
    pb_zero(&B, 36);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.encap, V6M_ENC_AYIYA);

    /* L2TPv2 data message with length, PPP IPv6 */
    ip = eth_v4_outer(17);
    u = pb_udp_begin(&B, 1701, 1701);
    pb_u16(&B, 0x4002);
    pb_u16(&B, 0);
    pb_u16(&B, 11);
    pb_u16(&B, 22);
    pb_u8(&B, 0xff);
    pb_u8(&B, 0x03);
    pb_u16(&B, 0x0057);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.encap, V6M_ENC_L2TP | V6M_ENC_PPP);

    /* control message: family of the outer IP */
    B.b[14 + 20 + 8] = 0xc8;
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.drop, V6M_DROP_NONE);
}

static void test_nested_vxlan_gtp(void **s)
{
    (void)s;
    /* Eth / IPv4 / UDP / VXLAN / Eth / VLAN / IPv4 / UDP / GTP-U / IPv6 */
    size_t ip = eth_v4_outer(17);
    size_t u = pb_udp_begin(&B, 1, 4789);
    pb_u32(&B, 0x08000000);
    pb_u32(&B, 0x00000100);
    pb_eth(&B, 0x8100);
    pb_vlan(&B, 9, 0x0800);
    size_t ip2 = pb_ipv4_begin(&B, 17, PB_V4_A, PB_V4_B);
    size_t u2 = pb_udp_begin(&B, 2152, 2152);
    size_t g = pb_gtp_begin(&B, 0x30, 255, 5);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_gtp_end(&B, g);
    pb_udp_end(&B, u2);
    pb_ipv4_end(&B, ip2);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.depth, 2);
    assert_int_equal(P.n_ip, 3);
    assert_outer_v4();
    assert_memory_equal(P.gtp_ep_src, PB_V4_A, 4);
    assert_int_equal(P.vlan[0], 9);
    assert_int_equal(P.encap, V6M_ENC_VXLAN | V6M_ENC_ETH_INNER | V6M_ENC_VLAN | V6M_ENC_GTPU);
}

/* ---------------- IPv6 extension headers, IPv4 options, L4 ---------------- */

static void test_ipv6_ext_chain(void **s)
{
    (void)s;
    /* HBH(8) -> routing type 4 (24) -> DST(8) -> TCP */
    pb_reset(&B);
    pb_eth(&B, 0x86dd);
    size_t ip = pb_ipv6_begin(&B, 0, PB_V6_A, PB_V6_B);
    pb_u8(&B, 43); pb_u8(&B, 0); pb_zero(&B, 6);
    pb_u8(&B, 60); pb_u8(&B, 2); pb_u8(&B, 4); pb_u8(&B, 0); pb_zero(&B, 20);
    pb_u8(&B, 6); pb_u8(&B, 0); pb_zero(&B, 6);
    pb_tcp(&B, 40000, 443, 0x12);
    pb_ipv6_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.inner.ext_count, 3);
    assert_int_equal(P.inner.rh_type, 4);
    assert_int_equal(P.ext_mask, (1u << V6M_EXT_HOPOPTS) | (1u << V6M_EXT_ROUTING) |
                                     (1u << V6M_EXT_SRH) | (1u << V6M_EXT_DSTOPTS));
    assert_int_equal(P.inner.l4_offset, 14 + 40 + 40);
    assert_int_equal(P.inner.proto, 6);

    /* routing type 0 then AH (len 4 -> 24 bytes) then UDP */
    pb_reset(&B);
    pb_eth(&B, 0x86dd);
    ip = pb_ipv6_begin(&B, 43, PB_V6_A, PB_V6_B);
    pb_u8(&B, 51); pb_u8(&B, 0); pb_u8(&B, 0); pb_u8(&B, 1); pb_zero(&B, 4);
    pb_u8(&B, 17); pb_u8(&B, 4); pb_zero(&B, 22);
    size_t u = pb_udp_begin(&B, 7, 9);
    pb_udp_end(&B, u);
    pb_ipv6_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_int_equal(P.family, V6M_FAMILY_IPV6);
    assert_int_equal(P.l4_proto, 17);
    assert_int_equal(P.sport, 7);
    assert_int_equal(P.dport, 9);
    assert_int_equal(P.inner.rh_type, 0);
    assert_int_equal(P.inner.ext_count, 2);
    assert_int_equal(P.ext_mask, (1u << V6M_EXT_ROUTING) | (1u << V6M_EXT_RH0) | (1u << V6M_EXT_AH));

    /* DST -> ESP ends the chain */
    pb_reset(&B);
    pb_eth(&B, 0x86dd);
    ip = pb_ipv6_begin(&B, 60, PB_V6_A, PB_V6_B);
    pb_u8(&B, 50); pb_u8(&B, 0); pb_zero(&B, 6);
    pb_u32(&B, 0x1000);
    pb_zero(&B, 40);
    pb_ipv6_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_int_equal(P.family, V6M_FAMILY_IPV6);
    assert_int_equal(P.inner.proto, 50);
    assert_int_equal(P.l4_proto, 50);
    assert_int_equal(P.sport, 0);
    assert_int_equal(P.inner.ext_count, 2);
    assert_int_equal(P.ext_mask, (1u << V6M_EXT_DSTOPTS) | (1u << V6M_EXT_ESP));

    /* mobility header then no next header */
    pb_reset(&B);
    pb_eth(&B, 0x86dd);
    ip = pb_ipv6_begin(&B, 135, PB_V6_A, PB_V6_B);
    pb_u8(&B, 59); pb_u8(&B, 1); pb_zero(&B, 14);
    pb_ipv6_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_int_equal(P.inner.proto, 59);
    assert_int_equal(P.ext_mask, (1u << V6M_EXT_MOBILITY) | (1u << V6M_EXT_NONEXT));
    assert_int_equal(P.inner.ext_count, 1);

    /* extension header cut: truncated, still IPv6 */
    pb_reset(&B);
    pb_eth(&B, 0x86dd);
    ip = pb_ipv6_begin(&B, 60, PB_V6_A, PB_V6_B);
    pb_u8(&B, 6); pb_u8(&B, 3); pb_zero(&B, 6);
    pb_ipv6_end(&B, ip);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV6);
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);
}

static void test_ipv4_options_and_l4(void **s)
{
    (void)s;
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    size_t ip = pb_ipv4_begin(&B, 17, PB_V4_A, PB_V4_B);
    B.b[ip] = 0x46;
    pb_u32(&B, 0x01010100); /* NOP NOP NOP EOL */
    size_t u = pb_udp_begin(&B, 68, 67);
    pb_zero(&B, 10);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_int_equal(P.inner.v4_options, 1);
    assert_int_equal(P.inner.l4_offset, 14 + 24);
    assert_int_equal(P.sport, 68);
    assert_int_equal(P.dport, 67);
    assert_int_equal(P.payload_len, 10);

    /* SCTP */
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    ip = pb_ipv4_begin(&B, 132, PB_V4_A, PB_V4_B);
    pb_u16(&B, 36412);
    pb_u16(&B, 38412);
    pb_u32(&B, 1);
    pb_u32(&B, 0);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.l4_proto, 132);
    assert_int_equal(P.sport, 36412);
    assert_int_equal(P.dport, 38412);

    /* ICMP echo request: identifier in sport */
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    ip = pb_ipv4_begin(&B, 1, PB_V4_A, PB_V4_B);
    pb_u8(&B, 8);
    pb_u8(&B, 0);
    pb_u16(&B, 0);
    pb_u16(&B, 0x4242);
    pb_u16(&B, 1);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.icmp_type, 8);
    assert_int_equal(P.sport, 0x4242);
    assert_int_equal(P.dport, 0);

    /* ICMPv6 echo reply */
    pb_reset(&B);
    pb_eth(&B, 0x86dd);
    ip = pb_ipv6_begin(&B, 58, PB_V6_A, PB_V6_B);
    pb_u8(&B, 129);
    pb_u8(&B, 0);
    pb_u16(&B, 0);
    pb_u16(&B, 0x0777);
    pb_u16(&B, 1);
    pb_ipv6_end(&B, ip);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV6);
    assert_int_equal(P.icmp_type, 129);
    assert_int_equal(P.sport, 0x0777);
}

static void test_icmp_errors_not_tunnels(void **s)
{
    (void)s;
    /* ICMPv4 port unreachable quoting an IPv6 packet: still IPv4 */
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    size_t ip = pb_ipv4_begin(&B, 1, PB_V4_A, PB_V4_B);
    pb_u8(&B, 3);
    pb_u8(&B, 3);
    pb_u16(&B, 0);
    pb_u32(&B, 0);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.n_ip, 1);
    assert_int_equal(P.icmp_type, 3);
    assert_int_equal(P.icmp_code, 3);
    assert_int_equal(P.sport, 0);
    assert_int_equal(P.drop, V6M_DROP_NONE);

    /* ICMPv6 packet too big quoting IPv6 */
    pb_reset(&B);
    pb_eth(&B, 0x86dd);
    ip = pb_ipv6_begin(&B, 58, PB_V6_A, PB_V6_B);
    pb_u8(&B, 2);
    pb_u8(&B, 0);
    pb_u16(&B, 0);
    pb_u32(&B, 1280);
    pb_v6_tcp(&B, PB_V6_C, PB_V6_D);
    pb_ipv6_end(&B, ip);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV6);
    assert_int_equal(P.n_ip, 1);
    assert_int_equal(P.icmp_type, 2);
    assert_memory_equal(P.inner.src, PB_V6_A, 16);
}

static void test_malformed(void **s)
{
    (void)s;
    /* IHL 4: counted as IPv4 (like tshark), malformed */
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    B.b[14] = 0x44;
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
    /* total length smaller than the header */
    B.b[14] = 0x45;
    pb_put16(&B, 16, 12);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
    /* version 5 under ethertype 0x0800: tshark 4.0 still shows an "ip"
     * layer (bogus version), so it counts as IPv4, malformed */
    pb_put16(&B, 16, 40);
    B.b[14] = 0x55;
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
    /* ethertype 0x0800 with an IPv6 header inside: decoded as IPv6 */
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    dec_eth();
    assert_v6_tcp_inner();
    /* ethertype 0x86dd with an IPv4 header inside */
    pb_reset(&B);
    pb_eth(&B, 0x86dd);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
    /* TCP data offset 3 */
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    B.b[14 + 20 + 12] = 0x30;
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
    /* UDP length 5 */
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    size_t ip = pb_ipv4_begin(&B, 17, PB_V4_A, PB_V4_B);
    size_t u = pb_udp_begin(&B, 1, 2);
    pb_zero(&B, 4);
    pb_ipv4_end(&B, ip);
    pb_put16(&B, u + 4, 5);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
}

static void test_names(void **s)
{
    (void)s;
    assert_string_equal(v6m_family_name(V6M_FAMILY_OTHER), "other");
    assert_string_equal(v6m_family_name(V6M_FAMILY_IPV6), "ipv6");
    assert_null(v6m_family_name(3));
    assert_string_equal(v6m_drop_name(V6M_DROP_UNSUPPORTED_ENCAP), "unsupported_encap");
    assert_string_equal(v6m_drop_name(V6M_DROP_FRAGMENT_UNRESOLVED), "fragment_unresolved");
    assert_null(v6m_drop_name(V6M_DROP__COUNT));
    assert_string_equal(v6m_encap_name(0), "vlan");
    assert_string_equal(v6m_encap_name(9), "gtpu");
    assert_string_equal(v6m_encap_name(16), "6to4");
    assert_string_equal(v6m_encap_name(19), "l2tp");
    assert_string_equal(v6m_encap_name(20), "capwap");
    assert_string_equal(v6m_encap_name(21), "pbb");
    assert_null(v6m_encap_name(22));
    assert_string_equal(v6m_ext_name(V6M_EXT_SRH), "segment_routing");
    assert_string_equal(v6m_ext_name(V6M_EXT_NONEXT), "no_next_header");
    assert_null(v6m_ext_name(V6M_EXT__COUNT));
    for (unsigned i = 0; i < V6M_ENC__BITS; i++)
        assert_non_null(v6m_encap_name(i));
    for (unsigned i = 0; i < V6M_DROP__COUNT; i++)
        assert_non_null(v6m_drop_name(i));
}

/* Link types and carriers found in public captures: Cisco HDLC (104 and
 * inside PPP captures), PPI (192) around Ethernet, Cisco FabricPath
 * (ethertype 0x8903), CAPWAP data (UDP 5247) with 802.11 (swapped frame
 * control, LLC/SNAP) and with 802.3 payloads. Expected values are the
 * layers tshark 4.0 shows for the same bytes. */
static void test_chdlc_ppi_fabricpath_capwap(void **state)
{
    (void)state;
    /* Cisco HDLC: address 0f, control 00, protocol 86dd, IPv6 */
    pb_reset(&B);
    pb_u8(&B, 0x0f);
    pb_u8(&B, 0x00);
    pb_u16(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    assert_int_equal(dec_lt(V6M_LINKTYPE_C_HDLC), V6M_DECODE_DONE);
    assert_v6_tcp_inner();
    /* the same bytes in a PPP capture are Cisco HDLC too */
    assert_int_equal(dec_lt(V6M_LINKTYPE_PPP), V6M_DECODE_DONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.encap & V6M_ENC_PPP, 0);

    /* PPI header (8 bytes, little-endian length and DLT 1) + Ethernet */
    pb_reset(&B);
    pb_u8(&B, 0);
    pb_u8(&B, 0);
    pb_u8(&B, 8);
    pb_u8(&B, 0);
    pb_u8(&B, 1);
    pb_zero(&B, 3);
    pb_eth(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    assert_int_equal(dec_lt(V6M_LINKTYPE_PPI), V6M_DECODE_DONE);
    assert_v6_tcp_inner();
    B.b[0] = 1; /* unknown PPI version */
    dec_lt(V6M_LINKTYPE_PPI);
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);

    /* FabricPath: outer MACs, 0x8903, FTAG/TTL, then the original frame */
    pb_reset(&B);
    pb_eth(&B, 0x8903);
    pb_u16(&B, 0x003f);
    pb_eth(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    dec_eth();
    assert_v6_tcp_inner();
    assert_true(P.encap & V6M_ENC_ETH_INNER);

    /* CAPWAP data, HLEN 2 (8 bytes), WBID 1, T = 1: 802.11 QoS data with
     * the frame control byte-swapped, LLC/SNAP, IPv6 */
    size_t ip = eth_v4_outer(17);
    size_t u = pb_udp_begin(&B, 12345, 5247);
    pb_u32(&B, (0u << 24) | (2u << 19) | (1u << 9) | (1u << 8));
    pb_u32(&B, 0);
    pb_u8(&B, 0x01);       /* flags (ToDS), swapped into the first byte */
    pb_u8(&B, 0x88);       /* type data, subtype QoS data */
    pb_zero(&B, 22);       /* duration, 3 addresses, sequence */
    pb_zero(&B, 2);        /* QoS control */
    static const uint8_t snap[6] = {0xaa, 0xaa, 0x03, 0, 0, 0};
    pb_bytes(&B, snap, 6);
    pb_u16(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_v6_tcp_inner();
    assert_true(P.encap & V6M_ENC_CAPWAP);
    assert_int_equal(P.outer.family, V6M_FAMILY_IPV4);
    /* a protected 802.11 frame cannot be read: stays IPv4, not a drop */
    B.b[14 + 20 + 8 + 8] = 0x41;
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.drop, V6M_DROP_NONE);

    /* CAPWAP with T = 0: an 802.3 frame */
    ip = eth_v4_outer(17);
    u = pb_udp_begin(&B, 12345, 5247);
    pb_u32(&B, (2u << 19) | (1u << 9));
    pb_u32(&B, 0);
    pb_eth(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_v6_tcp_inner();
}

/* 802.11 link types (105, radiotap 127, Prism/AVS 119/163, inside PPI),
 * NFLOG (239), PKTAP (258), MACsec and LINKTYPE_IPV4 carrying IPv6. The
 * families match tshark 4.0 on the same bytes (the synth fixtures
 * ieee802_11, radiotap, ppi_80211, avs, nflog, pktap and macsec are
 * compared with tshark in CI); here the edges: drops and their reasons. */
static void wlan_data_hdr(uint8_t fc0, uint8_t fc1, uint16_t seq)
{
    pb_u8(&B, fc0);
    pb_u8(&B, fc1);
    pb_zero(&B, 20);
    pb_u8(&B, (uint8_t)seq);
    pb_u8(&B, (uint8_t)(seq >> 8));
}

static void snap_v6_tcp(void)
{
    static const uint8_t snap[6] = {0xaa, 0xaa, 0x03, 0, 0, 0};
    pb_bytes(&B, snap, 6);
    pb_u16(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
}

static void test_wireless_nflog_pktap_macsec(void **state)
{
    (void)state;
    /* plain 802.11 data frame */
    pb_reset(&B);
    wlan_data_hdr(0x08, 0x02, 0x0010);
    snap_v6_tcp();
    assert_int_equal(dec_lt(V6M_LINKTYPE_IEEE802_11), V6M_DECODE_DONE);
    assert_v6_tcp_inner();
    assert_int_equal(P.depth, 0); /* a link layer, not a tunnel */
    /* fragment number 1 and the last (More Fragments clear): read like a
     * whole frame, as tshark does when the others were not captured */
    B.b[22] = 0x11;
    dec_lt(V6M_LINKTYPE_IEEE802_11);
    assert_v6_tcp_inner();
    /* More Fragments set: a fragment but the last, not decoded, no drop */
    B.b[1] |= 0x04;
    dec_lt(V6M_LINKTYPE_IEEE802_11);
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    B.b[1] &= (uint8_t)~0x04;
    /* header cut: truncated */
    B.n = 20;
    dec_lt(V6M_LINKTYPE_IEEE802_11);
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);
    /* protocol version 1: not a data frame we read */
    pb_reset(&B);
    wlan_data_hdr(0x09, 0x02, 0);
    snap_v6_tcp();
    dec_lt(V6M_LINKTYPE_IEEE802_11);
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_NONE);

    /* A-MSDU whose second subframe is cut before its end: the last
     * subframe with a whole header is decoded (its IPv6 header is there) */
    pb_reset(&B);
    pb_u8(&B, 0x88);
    pb_u8(&B, 0x01);
    pb_zero(&B, 22);
    pb_u8(&B, 0x80); /* QoS control: A-MSDU present */
    pb_u8(&B, 0);
    pb_zero(&B, 12);
    pb_u16(&B, 10); /* subframe 1: 10 bytes of plain LLC (24 in all: no pad) */
    pb_zero(&B, 10);
    pb_zero(&B, 12);
    pb_u16(&B, 2000); /* subframe 2 claims more than the frame has */
    snap_v6_tcp();
    assert_int_equal(dec_lt(V6M_LINKTYPE_IEEE802_11), V6M_DECODE_DONE);
    assert_v6_tcp_inner();

    /* radiotap: version 1 is malformed, a length below 8 too, a present
     * chain that runs past the header too, a header longer than the frame
     * is truncated */
    pb_reset(&B);
    pb_u8(&B, 0);
    pb_u8(&B, 0);
    pb_u8(&B, 8);
    pb_u8(&B, 0);
    pb_zero(&B, 4);
    wlan_data_hdr(0x08, 0x02, 0);
    snap_v6_tcp();
    assert_int_equal(dec_lt(V6M_LINKTYPE_RADIOTAP), V6M_DECODE_DONE);
    assert_v6_tcp_inner();
    B.b[0] = 1;
    dec_lt(V6M_LINKTYPE_RADIOTAP);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
    B.b[0] = 0;
    B.b[2] = 6;
    dec_lt(V6M_LINKTYPE_RADIOTAP);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
    B.b[2] = 8;
    B.b[7] = 0x80; /* another present word, but the header ends here */
    dec_lt(V6M_LINKTYPE_RADIOTAP);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
    B.b[7] = 0;
    B.b[2] = 0xff;
    B.b[3] = 0x7f;
    dec_lt(V6M_LINKTYPE_RADIOTAP);
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);

    /* Prism (119, little-endian length 144) and AVS (163, magic) */
    pb_reset(&B);
    pb_u32(&B, 0x44000000u);
    pb_u8(&B, 144);
    pb_zero(&B, 3);
    pb_zero(&B, 136);
    wlan_data_hdr(0x08, 0x02, 0);
    snap_v6_tcp();
    assert_int_equal(dec_lt(V6M_LINKTYPE_PRISM), V6M_DECODE_DONE);
    assert_v6_tcp_inner();
    dec_lt(V6M_LINKTYPE_AVS); /* no AVS magic */
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);

    /* NFLOG: AF_INET6 payload TLV after a padded prefix TLV */
    pb_reset(&B);
    pb_u8(&B, 10);
    pb_u8(&B, 0);
    pb_u16(&B, 1);
    pb_u8(&B, 5); /* prefix TLV: length 5 (LE), type 10 (LE) */
    pb_u8(&B, 0);
    pb_u8(&B, 10);
    pb_u8(&B, 0);
    pb_u8(&B, 'x');
    pb_zero(&B, 3);
    size_t at = B.n;
    pb_zero(&B, 4);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    B.b[at] = (uint8_t)(B.n - at);
    B.b[at + 1] = (uint8_t)((B.n - at) >> 8);
    B.b[at + 2] = 9;
    assert_int_equal(dec_lt(V6M_LINKTYPE_NFLOG), V6M_DECODE_DONE);
    assert_v6_tcp_inner();
    B.b[4] = 3; /* a TLV shorter than its own header */
    dec_lt(V6M_LINKTYPE_NFLOG);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
    B.b[4] = 0xf0; /* a TLV past the end */
    dec_lt(V6M_LINKTYPE_NFLOG);
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);

    /* PKTAP: 108-byte header, then Ethernet; shorter headers are
     * malformed; PKTAP inside PKTAP too */
    pb_reset(&B);
    pb_u8(&B, 108);
    pb_zero(&B, 3);
    pb_u8(&B, 1);
    pb_zero(&B, 3);
    pb_u8(&B, 1);
    pb_zero(&B, 3);
    pb_zero(&B, 96);
    pb_eth(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    assert_int_equal(dec_lt(V6M_LINKTYPE_PKTAP), V6M_DECODE_DONE);
    assert_v6_tcp_inner();
    B.b[8] = (uint8_t)V6M_LINKTYPE_PKTAP; /* 258 = 0x102 */
    B.b[9] = 1;
    dec_lt(V6M_LINKTYPE_PKTAP);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
    B.b[0] = 100;
    dec_lt(V6M_LINKTYPE_PKTAP);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);

    /* MACsec integrity only without SCI; cut inside the SecTAG */
    pb_reset(&B);
    pb_eth(&B, 0x88e5);
    pb_u8(&B, 0x00);
    pb_u8(&B, 0);
    pb_u32(&B, 7);
    pb_u16(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_zero(&B, 16);
    dec_eth();
    assert_v6_tcp_inner();
    B.n = 18;
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);

    /* LINKTYPE_IPV4 with IPv6 bytes: tshark's "ip" goes by the version */
    pb_reset(&B);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    assert_int_equal(dec_lt(V6M_LINKTYPE_IPV4), V6M_DECODE_DONE);
    assert_v6_tcp_inner();
    /* ... and a bogus version is still an IPv4 layer there (not data, as
     * on the raw link type) */
    B.b[0] = 0x55;
    dec_lt(V6M_LINKTYPE_IPV4);
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
    dec_lt(V6M_LINKTYPE_RAW);
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
}

/* Frame Relay, IPNET, Arista timestamps, LISP and MPLS/GRE in UDP: the
 * families are compared with tshark through the synth fixtures
 * frame_relay, ipnet, arista and udp_tunnels; here the drops. */
/* PBB, port tags, LLC DSAP 06, bridged SNAP, FDDI, Ethernet and MPLS in
 * IP: the paths the fixtures (compared with tshark) do not reach. */
static void test_more_l2_carriers(void **state)
{
    (void)state;
    /* PBB cut inside the I-TAG: truncated, not IP */
    pb_reset(&B);
    pb_eth(&B, 0x88e7);
    pb_u16(&B, 0);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);
    assert_true(P.encap & V6M_ENC_PBB);
    /* PBB, then IPv4: the customer addresses are skipped */
    pb_reset(&B);
    pb_eth(&B, 0x88e7);
    pb_u32(&B, 0x00abcdefu);
    pb_zero(&B, 12);
    pb_u16(&B, 0x0800);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    dec_eth();
    assert_v4_tcp_inner();
    assert_int_equal(P.depth, 0);
    /* VN-Tag and E-Tag cut before their ethertype */
    pb_reset(&B);
    pb_eth(&B, 0x8926);
    pb_u32(&B, 0);
    pb_u8(&B, 0x08);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);
    pb_reset(&B);
    pb_eth(&B, 0x893f);
    pb_u32(&B, 0);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);
    /* 0x9200 is no tag: a known-nothing ethertype at the outer level */
    pb_reset(&B);
    pb_eth(&B, 0x9200);
    pb_u16(&B, 5);
    pb_u16(&B, 0x0800);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    assert_false(P.encap & V6M_ENC_QINQ);
    /* LLC DSAP 06 as an I frame (2-byte control), and as a frame with
     * only its LLC header (no information field: not IP) */
    pb_reset(&B);
    pb_eth(&B, 0);
    pb_u8(&B, 0x06);
    pb_u8(&B, 0x06);
    pb_u16(&B, 0x0002);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    pb_put16(&B, 12, (unsigned)(B.n - 14));
    dec_eth();
    assert_v4_tcp_inner();
    pb_reset(&B);
    pb_eth(&B, 3);
    pb_u8(&B, 0x06);
    pb_u8(&B, 0x06);
    pb_u8(&B, 0x03);
    pb_zero(&B, 43); /* Ethernet padding past the 802.3 length */
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    /* bridged 802.3 in SNAP (OUI 0080c2): cut in the pad; then whole */
    pb_reset(&B);
    pb_eth(&B, 0);
    static const uint8_t br[8] = {0xaa, 0xaa, 0x03, 0x00, 0x80, 0xc2, 0x00, 0x07};
    pb_bytes(&B, br, 8);
    pb_u8(&B, 0);
    pb_put16(&B, 12, (unsigned)(B.n - 14));
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);
    pb_u8(&B, 0);
    pb_eth(&B, 0x86dd);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_put16(&B, 12, (unsigned)(B.n - 14));
    dec_eth();
    assert_v6_tcp_inner();
    assert_true(P.encap & V6M_ENC_ETH_INNER);
    assert_int_equal(P.depth, 1);
    /* Centrino 802.11 in ethertype 0x2452: protected frame cut in its IV */
    pb_reset(&B);
    pb_eth(&B, 0x2452);
    pb_u8(&B, 0x08);
    pb_u8(&B, 0x42);
    pb_zero(&B, 22);
    pb_u16(&B, 0x5fd2);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);
    /* Juniper: extensions longer than the frame; no-L2 cut in the protocol */
    pb_reset(&B);
    pb_bytes(&B, "MGC", 3);
    pb_u8(&B, 0x80);
    pb_u16(&B, 40);
    pb_zero(&B, 10);
    dec_lt(V6M_LINKTYPE_JUNIPER_ETHER);
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);
    pb_reset(&B);
    pb_bytes(&B, "MGC", 3);
    pb_u8(&B, 0x02);
    pb_u16(&B, 0x0200);
    dec_lt(V6M_LINKTYPE_JUNIPER_ETHER);
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);
    pb_zero(&B, 2); /* protocol 2: IPv4 */
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    assert_int_equal(dec_lt(V6M_LINKTYPE_JUNIPER_ETHER), V6M_DECODE_DONE);
    assert_v4_tcp_inner();
    /* FDDI: cut header; an LLC frame (FC 0x55) with SNAP IPv6 */
    pb_reset(&B);
    pb_u8(&B, 0x50);
    pb_zero(&B, 8);
    dec_lt(V6M_LINKTYPE_FDDI);
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);
    pb_reset(&B);
    pb_u8(&B, 0x55);
    pb_zero(&B, 12);
    static const uint8_t snap6[8] = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x86, 0xdd};
    pb_bytes(&B, snap6, 8);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    assert_int_equal(dec_lt(V6M_LINKTYPE_FDDI), V6M_DECODE_DONE);
    assert_v6_tcp_inner();
    B.b[0] = 0x60; /* not asynchronous LLC */
    dec_lt(V6M_LINKTYPE_FDDI);
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    /* EtherIP cut in its 2-byte header: the carrier counts, truncated */
    size_t ip = eth_v4_outer(97);
    pb_u8(&B, 0x30);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.n_ip, 1);
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);
    /* MPLS-in-IP (137) and Ethernet-in-IP (143) are tunnels: the depth
     * cap applies (max_depth 0 here would stop them; default lets one in) */
    ip = eth_v4_outer(137);
    pb_mpls(&B, 16, 1);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_v6_tcp_inner();
    assert_true(P.encap & V6M_ENC_MPLS);
    assert_int_equal(P.depth, 1);
    ip = eth_v4_outer(143);
    pb_eth(&B, 0x0800);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_v4_tcp_inner();
    assert_true(P.encap & V6M_ENC_ETH_INNER);
    assert_int_equal(P.depth, 1);
}

/* A UDP datagram C:cport <-> S:sport with `n` payload bytes from pl. */
static void rpc_dgram(bool from_client, unsigned cport, unsigned sport, const uint8_t *pl, size_t n)
{
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    size_t ip = pb_ipv4_begin(&B, 17, from_client ? PB_V4_A : PB_V4_B, from_client ? PB_V4_B : PB_V4_A);
    size_t u = pb_udp_begin(&B, from_client ? cport : sport, from_client ? sport : cport);
    pb_bytes(&B, pl, n);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
}

static size_t put32(uint8_t *p, size_t at, uint32_t v)
{
    p[at] = (uint8_t)(v >> 24);
    p[at + 1] = (uint8_t)(v >> 16);
    p[at + 2] = (uint8_t)(v >> 8);
    p[at + 3] = (uint8_t)v;
    return at + 4;
}

/* The portmapper bookkeeping (rpc.c): what registers an endpoint and
 * what does not, and the known-call test of the Teredo heuristic. */
static void test_rpc_portmap(void **state)
{
    (void)state;
    v6m_decoder *saved = D;
    D = v6m_decoder_new(NULL); /* a decoder that has seen no RPC yet */
    assert_non_null(D);
    /* the probe: a VXLAN datagram to port 4789 of the server, IPv6 inside */
    uint8_t vx[8 + 14 + 60];
    struct pb inner = {.n = 0};
    pb_u32(&inner, 0x08000000u);
    pb_u32(&inner, 0x00000100u);
    pb_eth(&inner, 0x86dd);
    pb_v6_tcp(&inner, PB_V6_A, PB_V6_B);
    assert_true(inner.n <= sizeof vx);
    memcpy(vx, inner.b, inner.n);
    size_t vxn = inner.n;
    rpc_dgram(true, 800, 4789, vx, vxn);
    dec_eth();
    assert_v6_tcp_inner(); /* nothing announced yet: VXLAN */

    /* GETPORT call (AUTH_NULL), then replies that must not register */
    uint8_t call[64], rep[32];
    size_t k = 0;
    k = put32(call, k, 0x0badcafeu);
    k = put32(call, k, 0);
    k = put32(call, k, 2);
    k = put32(call, k, 100000);
    k = put32(call, k, 2);
    k = put32(call, k, 3);
    for (int i = 0; i < 4; i++)
        k = put32(call, k, 0);
    k = put32(call, k, 100005);
    k = put32(call, k, 3);
    k = put32(call, k, 17);
    k = put32(call, k, 0);
    size_t calln = k;
    size_t r = 0;
    r = put32(rep, r, 0x0badcafeu);
    r = put32(rep, r, 1);
    r = put32(rep, r, 0);
    r = put32(rep, r, 0);
    r = put32(rep, r, 0);
    r = put32(rep, r, 0);
    r = put32(rep, r, 4789);
    size_t repn = r;

    rpc_dgram(false, 700, 111, rep, repn); /* a reply before any call */
    dec_eth();
    rpc_dgram(true, 700, 111, call, calln - 5); /* a call cut in its prot */
    dec_eth();
    rpc_dgram(false, 700, 111, rep, repn);
    dec_eth();
    rpc_dgram(true, 800, 4789, vx, vxn);
    dec_eth();
    assert_v6_tcp_inner(); /* still VXLAN */

    rpc_dgram(true, 700, 111, call, calln);
    dec_eth();
    put32(rep, 8, 1); /* denied */
    rpc_dgram(false, 700, 111, rep, repn);
    dec_eth();
    put32(rep, 8, 0);
    put32(rep, 20, 1); /* accepted, but PROG_UNAVAIL */
    rpc_dgram(false, 700, 111, rep, repn);
    dec_eth();
    put32(rep, 20, 0);
    put32(rep, 24, 0x10000u + 4789u); /* a port past 65535 */
    rpc_dgram(false, 700, 111, rep, repn);
    dec_eth();
    put32(rep, 16, 401); /* a verifier longer than RFC 5531 allows */
    put32(rep, 24, 4789);
    rpc_dgram(false, 700, 111, rep, repn);
    dec_eth();
    put32(rep, 16, 0);
    rpc_dgram(false, 700, 111, rep, repn - 1); /* cut in the port */
    dec_eth();
    put32(rep, 0, 0x0badcaffu); /* another xid */
    rpc_dgram(false, 700, 111, rep, repn);
    dec_eth();
    rpc_dgram(true, 800, 4789, vx, vxn);
    dec_eth();
    assert_v6_tcp_inner(); /* none of those registered the port */

    put32(rep, 0, 0x0badcafeu);
    rpc_dgram(false, 700, 111, rep, repn); /* the real answer */
    dec_eth();
    rpc_dgram(true, 800, 4789, vx, vxn);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4); /* now RPC: not read */
    assert_int_equal(P.n_ip, 1);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    rpc_dgram(false, 800, 4789, vx, vxn); /* from the endpoint, too */
    dec_eth();
    assert_int_equal(P.n_ip, 1);
    v6m_decoder_free(D);
    D = saved;

    /* the call shape the Teredo heuristic leaves to RPC */
    uint8_t c40[40] = {0};
    put32(c40, 0, 0x60000000u);
    put32(c40, 8, 2);
    put32(c40, 12, 100003);
    rpc_dgram(true, 30001, 30000, c40, sizeof c40);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    put32(c40, 12, 100002); /* rusers: a program tshark does not know */
    rpc_dgram(true, 30001, 30000, c40, sizeof c40);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV6); /* Teredo, as tshark */
    assert_true(P.encap & V6M_ENC_TEREDO);
    put32(c40, 12, 1073741824u); /* the last program of the table */
    rpc_dgram(true, 30001, 30000, c40, sizeof c40);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    put32(c40, 12, 2112); /* the first */
    rpc_dgram(true, 30001, 30000, c40, sizeof c40);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
}

static void test_legacy_links_udp_tunnels(void **state)
{
    (void)state;
    /* Frame Relay: an address without its EA bit in 4 bytes is malformed */
    pb_reset(&B);
    pb_u32(&B, 0x04000000u);
    pb_u8(&B, 0x03);
    pb_u8(&B, 0xcc);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    dec_lt(V6M_LINKTYPE_FRELAY);
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
    B.b[3] = 0x01; /* 4-byte address, then UI + IPv4 */
    assert_int_equal(dec_lt(V6M_LINKTYPE_FRELAY), V6M_DECODE_DONE);
    assert_v4_tcp_inner();
    B.n = 5; /* cut after the control byte */
    dec_lt(V6M_LINKTYPE_FRELAY);
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);
    /* IPNET cut inside its 24-byte header */
    pb_reset(&B);
    pb_u8(&B, 1);
    pb_u8(&B, 2);
    pb_zero(&B, 10);
    dec_lt(V6M_LINKTYPE_IPNET);
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);
    /* Arista timestamp cut inside the time */
    pb_reset(&B);
    pb_eth(&B, 0xd28b);
    pb_u16(&B, 1);
    pb_u16(&B, 0x10);
    pb_u32(&B, 1);
    dec_eth();
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);
    /* LISP data whose inner version is neither 4 nor 6: not IP inside,
     * the packet stays IPv4 (the carrier) */
    size_t ip = eth_v4_outer(17);
    size_t u = pb_udp_begin(&B, 4341, 4341);
    pb_u32(&B, 0);
    pb_u32(&B, 0);
    pb_u8(&B, 0x55);
    pb_zero(&B, 20);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.n_ip, 1);
    assert_int_equal(P.drop, V6M_DROP_NONE);
    /* MPLS-in-UDP: IPv6 under one label, one tunnel level */
    ip = eth_v4_outer(17);
    u = pb_udp_begin(&B, 50000, 6635);
    pb_mpls(&B, 77, 1);
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_v6_tcp_inner();
    assert_true(P.encap & V6M_ENC_MPLS);
    assert_int_equal(P.depth, 1);

    /* sFlow: a sample whose length runs past the datagram is not read
     * (the packet stays at its carrier), and one that fits is */
    ip = eth_v4_outer(17);
    u = pb_udp_begin(&B, 6343, 6343);
    pb_u32(&B, 5);
    pb_u32(&B, 1);
    pb_u32(&B, 0x0a000001u);
    pb_zero(&B, 12);
    pb_u32(&B, 1);            /* one sample */
    pb_u32(&B, 1);            /* flow sample */
    size_t slen_at = B.n;
    pb_u32(&B, 0);
    size_t body = B.n;
    pb_zero(&B, 28);
    pb_u32(&B, 1);            /* one record */
    pb_u32(&B, 1);            /* raw header */
    size_t rlen_at = B.n;
    pb_u32(&B, 0);
    size_t rbody = B.n;
    pb_u32(&B, 12);           /* IPv6 */
    pb_u32(&B, 0);
    pb_u32(&B, 0);
    size_t hlen_at = B.n;
    pb_u32(&B, 0);
    size_t h = B.n;
    pb_v6_tcp(&B, PB_V6_A, PB_V6_B);
    size_t hl = B.n - h;
    B.b[hlen_at + 3] = (uint8_t)hl;
    B.b[rlen_at + 3] = (uint8_t)(B.n - rbody);
    B.b[slen_at + 3] = (uint8_t)(B.n - body);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_v6_tcp_inner();
    assert_int_equal(P.depth, 1);
    B.b[slen_at + 2] = 0x10; /* the sample now claims 4 KiB more */
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.n_ip, 1);
    /* NSH whose length field says less than its own 8 bytes: malformed */
    pb_reset(&B);
    pb_eth(&B, 0x894f);
    pb_u8(&B, 0x0f);
    pb_u8(&B, 1);
    pb_u8(&B, 2);
    pb_u8(&B, 1);
    pb_u32(&B, 0);
    pb_v4_tcp(&B, PB_V4_A, PB_V4_B);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_OTHER);
    assert_int_equal(P.drop, V6M_DROP_MALFORMED);
    B.b[15] = 2; /* 8 bytes: IPv4 follows */
    dec_eth();
    assert_v4_tcp_inner();
    /* TZSP whose tag list is cut before its end tag: truncated */
    ip = eth_v4_outer(17);
    u = pb_udp_begin(&B, 40000, 37008);
    pb_u8(&B, 1);
    pb_u8(&B, 0);
    pb_u16(&B, 1);
    pb_u8(&B, 10);
    pb_u8(&B, 200);
    pb_zero(&B, 10);
    pb_udp_end(&B, u);
    pb_ipv4_end(&B, ip);
    dec_eth();
    assert_int_equal(P.family, V6M_FAMILY_IPV4);
    assert_int_equal(P.drop, V6M_DROP_TRUNCATED);
}

/* The perfect-hash port table (tunnel.c) against the plain list, on every
 * port: a multiplier that maps two ports to one slot loses one of them.
 * And the ports tshark's port dissectors take (class 2), spot-checked
 * against what tshark 4.0.17 did with a Teredo-looking datagram there. */
static void test_udp_port_table(void **state)
{
    (void)state;
    static const uint16_t tunnels[] = {1701, 2152, 3544, 4341, 4342, 4754, 4789, 4790,
                                       5072, 5247, 6081, 6343, 6635, 37008};
    unsigned want[65536] = {0};
    for (size_t i = 0; i < sizeof(tunnels) / sizeof(tunnels[0]); i++)
        want[tunnels[i]] = 1;
    unsigned claimed = 0;
    for (unsigned p = 0; p < 65536; p++) {
        unsigned c = decode_udp_port_class(D, (uint16_t)p);
        if (c == 2) {
            claimed++;
            continue;
        }
        if (c != want[p])
            fail_msg("UDP port %u: class %u, want %u", p, c, want[p]);
    }
    assert_int_equal(claimed, 180);
    /* taken by tshark: DNS, DHCP, NTP, NetBIOS, syslog, IKE, mDNS, RPC */
    static const uint16_t taken[] = {53, 67, 68, 123, 137, 514, 500, 4500, 5353, 111, 1900};
    for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
        assert_int_equal(decode_udp_port_class(D, taken[i]), 2);
    /* registered in tshark but refusing such a datagram, or not
     * registered: SNMP, STUN, SIP, NetFlow, IPFIX, QUIC's 443, 80, 8443 */
    static const uint16_t open[] = {161, 162, 3478, 5060, 2055, 4739, 443, 80, 8443, 0, 40000};
    for (size_t i = 0; i < sizeof(open) / sizeof(open[0]); i++)
        assert_int_equal(decode_udp_port_class(D, open[i]), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eth_ipv4_tcp),
        cmocka_unit_test(test_eth_ipv6_tcp),
        cmocka_unit_test(test_eth_padding_bounded),
        cmocka_unit_test(test_arp_other),
        cmocka_unit_test(test_linux_sll),
        cmocka_unit_test(test_linux_sll2),
        cmocka_unit_test(test_raw_links),
        cmocka_unit_test(test_null_loop),
        cmocka_unit_test(test_ppp_links),
        cmocka_unit_test(test_unknown_link),
        cmocka_unit_test(test_vlan_qinq),
        cmocka_unit_test(test_qinq_pppoe_ipv6),
        cmocka_unit_test(test_mpls),
        cmocka_unit_test(test_gre),
        cmocka_unit_test(test_erspan),
        cmocka_unit_test(test_pptp_gre),
        cmocka_unit_test(test_vxlan_geneve),
        cmocka_unit_test(test_gtpu),
        cmocka_unit_test(test_ip_in_ip),
        cmocka_unit_test(test_teredo),
        cmocka_unit_test(test_ayiya_l2tp),
        cmocka_unit_test(test_nested_vxlan_gtp),
        cmocka_unit_test(test_ipv6_ext_chain),
        cmocka_unit_test(test_ipv4_options_and_l4),
        cmocka_unit_test(test_icmp_errors_not_tunnels),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_chdlc_ppi_fabricpath_capwap),
        cmocka_unit_test(test_more_l2_carriers),
        cmocka_unit_test(test_rpc_portmap),
        cmocka_unit_test(test_wireless_nflog_pktap_macsec),
        cmocka_unit_test(test_udp_port_table),
        cmocka_unit_test(test_legacy_links_udp_tunnels),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
