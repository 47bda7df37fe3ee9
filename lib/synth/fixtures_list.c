/*
 * synth/fixtures_list.c - the conformance fixtures themselves: one small
 * capture per encapsulation or link type, plus truncated and malformed
 * variants (what each frame means: fixtures.h).
 *
 * Addresses are documentation ranges (192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24, 2001:db8::/32) except where the encapsulation needs a
 * special prefix (6to4 2002::/16, Teredo 2001::/32, ISATAP IIDs).
 * Each tshark expectation (tfam) was checked with tshark 4.0.17:
 *   tshark -2 -n -r F -T fields -e frame.number -e frame.protocols
 *          --enable-heuristic teredo_udp
 * Where tshark's view differs from the v6mon semantics the frame says so
 * in its desc and the fam/tfam pair differs.
 */
#include <string.h>

#include <v6mon/synth.h>

#include "synth/fixtures.h"

#define O V6M_FAMILY_OTHER
#define V4 V6M_FAMILY_IPV4
#define V6 V6M_FAMILY_IPV6
#define S FX_SAME
#define MOB V6M_SYNTH_MOBILE
#define MET V6M_SYNTH_METRO
#define OTH V6M_SYNTH_OTHER
#define OK V6M_DROP_NONE
#define TR V6M_DROP_TRUNCATED
#define MAL V6M_DROP_MALFORMED
#define UNR V6M_DROP_FRAGMENT_UNRESOLVED

static const uint8_t MAC_A[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t MAC_B[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
static const uint8_t TA6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t TB6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
#define A4 0xc0000201u  /* 192.0.2.1 */
#define B4 0xc6336402u  /* 198.51.100.2 */
#define TA4 0xcb007101u /* 203.0.113.1 */
#define TB4 0xcb007102u /* 203.0.113.2 */

static const uint8_t PAT[64] = "v6mon conformance fixture payload 0123456789 abcdefghijklmnopqrs";

enum ik { IK_TCP, IK_SYN, IK_UDP, IK_ICMP, IK_ICMPR };

static void payload(struct pb *b, size_t n)
{
    pb_payload(b, PAT, sizeof(PAT), 0, n);
}

/* Upper layer after an IP header whose protocol was set by the caller. */
static void l4(struct pb *b, enum ik k, bool v6, size_t n)
{
    switch (k) {
    case IK_TCP:
        pb_tcp(b, 40000, 23456, 1000, 2000, 0x18, 8192, 0);
        payload(b, n);
        break;
    case IK_SYN:
        pb_tcp(b, 40000, 23456, 1000, 0, 0x02, 8192, 1460);
        break;
    case IK_UDP:
        pb_udp(b, 40001, 40002);
        payload(b, n);
        break;
    case IK_ICMP:
    case IK_ICMPR:
        if (v6)
            pb_icmp6(b, k == IK_ICMP ? 128 : 129, 0, 0x12340001u);
        else
            pb_icmp4(b, k == IK_ICMP ? 8 : 0, 0, 0x12340001u);
        payload(b, n);
        break;
    }
}

static uint8_t proto_of(enum ik k, bool v6)
{
    return k == IK_UDP ? 17 : (k == IK_ICMP || k == IK_ICMPR) ? (v6 ? 58 : 1) : 6;
}

static void in4(struct pb *b, enum ik k, size_t n)
{
    pb_ipv4(b, A4, B4, proto_of(k, false), 64, 0, 0x1234, 0x4000, NULL, 0);
    l4(b, k, false, n);
}

static void in4r(struct pb *b, enum ik k, size_t n)
{
    pb_ipv4(b, B4, A4, proto_of(k, false), 60, 0, 0x4321, 0x4000, NULL, 0);
    l4(b, k, false, n);
}

static void in6(struct pb *b, enum ik k, size_t n)
{
    pb_ipv6(b, A6, B6, proto_of(k, true), 64, 0, 0x12345);
    l4(b, k, true, n);
}

/* in6() or in4(): an inner packet of the family a frame is built for. */
static void in46(struct pb *b, bool v6, enum ik k, size_t n)
{
    if (v6)
        in6(b, k, n);
    else
        in4(b, k, n);
}

static void eth(struct pb *b, uint16_t et)
{
    pb_reset(b);
    pb_eth(b, MAC_B, MAC_A);
    pb_u16(b, et);
}

static void fin(struct pb *b)
{
    pb_finish(b);
    pb_pad60(b);
}

static void arp(struct pb *b, bool reply)
{
    pb_u16(b, 1);
    pb_u16(b, 0x0800);
    pb_u8(b, 6);
    pb_u8(b, 4);
    pb_u16(b, reply ? 2 : 1);
    pb_bytes(b, reply ? MAC_B : MAC_A, 6);
    pb_u32(b, reply ? B4 : A4);
    if (reply)
        pb_bytes(b, MAC_A, 6);
    else
        pb_zero(b, 6);
    pb_u32(b, reply ? A4 : B4);
}

#define ADD(x, b, fam, tfam, seg, drop, desc) fx_add(&(x), &(b), 0, fam, tfam, seg, drop, desc)

/* ---- plain Ethernet ----------------------------------------------------- */

static void fx_eth(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx x = {.name = "eth_ipv4", .desc = "Ethernet IPv4 TCP/UDP/ICMP", .linktype = 1};
    eth(b, 0x0800); in4(b, IK_SYN, 0); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "tcp syn");
    eth(b, 0x0800); in4(b, IK_TCP, 200); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "tcp data");
    eth(b, 0x0800); in4(b, IK_UDP, 40); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "udp");
    eth(b, 0x0800); in4(b, IK_ICMP, 32); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "icmp echo request");
    eth(b, 0x0800); in4r(b, IK_ICMPR, 32); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "icmp echo reply");
    emit(ctx, &x);

    struct fx y = {.name = "eth_ipv6", .desc = "Ethernet IPv6 TCP/UDP/ICMPv6", .linktype = 1};
    eth(b, 0x86dd); in6(b, IK_SYN, 0); fin(b);
    ADD(y, *b, V6, S, OTH, OK, "tcp syn");
    eth(b, 0x86dd); in6(b, IK_TCP, 1400); fin(b);
    ADD(y, *b, V6, S, OTH, OK, "tcp data 1400");
    eth(b, 0x86dd); in6(b, IK_UDP, 40); fin(b);
    ADD(y, *b, V6, S, OTH, OK, "udp");
    eth(b, 0x86dd); in6(b, IK_ICMP, 32); fin(b);
    ADD(y, *b, V6, S, OTH, OK, "icmpv6 echo request");
    emit(ctx, &y);

    struct fx z = {.name = "eth_nonip", .desc = "ARP, LLDP, 802.3/LLC STP", .linktype = 1};
    pb_reset(b); pb_eth(b, BCAST, MAC_A); pb_u16(b, 0x0806); arp(b, false); fin(b);
    ADD(z, *b, O, S, OTH, OK, "arp request");
    pb_reset(b); pb_eth(b, MAC_A, MAC_B); pb_u16(b, 0x0806); arp(b, true); fin(b);
    ADD(z, *b, O, S, OTH, OK, "arp reply");
    static const uint8_t lldp[6] = {0x01, 0x80, 0xc2, 0, 0, 0x0e};
    pb_reset(b); pb_eth(b, lldp, MAC_A); pb_u16(b, 0x88cc);
    pb_u16(b, (1 << 9) | 7); pb_u8(b, 4); pb_bytes(b, MAC_A, 6);
    pb_u16(b, (2 << 9) | 3); pb_u8(b, 7); pb_bytes(b, "p1", 2);
    pb_u16(b, (3 << 9) | 2); pb_u16(b, 120); pb_u16(b, 0); fin(b);
    ADD(z, *b, O, S, OTH, OK, "lldp");
    static const uint8_t stp[6] = {0x01, 0x80, 0xc2, 0, 0, 0};
    pb_reset(b); pb_eth(b, stp, MAC_A); pb_u16(b, 38);
    pb_u8(b, 0x42); pb_u8(b, 0x42); pb_u8(b, 0x03); pb_zero(b, 35); fin(b);
    ADD(z, *b, O, S, OTH, OK, "802.3 llc stp");
    emit(ctx, &z);
}

/* ---- VLAN, QinQ, MPLS --------------------------------------------------- */

static void fx_vlan(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx x = {.name = "vlan", .desc = "802.1Q tagged IPv4/IPv6/ARP, double 802.1Q", .linktype = 1};
    eth(b, 0x8100); pb_u16(b, 100); pb_u16(b, 0x0800); in4(b, IK_TCP, 100); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "vlan 100 ipv4 tcp");
    eth(b, 0x8100); pb_u16(b, 0x2000 | 100); pb_u16(b, 0x86dd); in6(b, IK_UDP, 100); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "vlan 100 pcp 1 ipv6 udp");
    eth(b, 0x8100); pb_u16(b, 100); pb_u16(b, 0x0806); arp(b, false); fin(b);
    ADD(x, *b, O, S, OTH, OK, "vlan arp");
    eth(b, 0x8100); pb_u16(b, 10); pb_u16(b, 0x8100); pb_u16(b, 20); pb_u16(b, 0x86dd);
    in6(b, IK_ICMP, 16); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "802.1Q in 802.1Q ipv6 icmpv6");
    emit(ctx, &x);

    struct fx y = {.name = "qinq_88a8", .desc = "802.1ad S-tag 0x88a8 + C-tag", .linktype = 1};
    eth(b, 0x88a8); pb_u16(b, 300); pb_u16(b, 0x8100); pb_u16(b, 20); pb_u16(b, 0x0800);
    in4(b, IK_UDP, 60); fin(b);
    ADD(y, *b, V4, S, OTH, OK, "qinq ipv4 udp");
    eth(b, 0x88a8); pb_u16(b, 300); pb_u16(b, 0x8100); pb_u16(b, 21); pb_u16(b, 0x86dd);
    in6(b, IK_TCP, 60); fin(b);
    ADD(y, *b, V6, S, OTH, OK, "qinq ipv6 tcp");
    eth(b, 0x88a8); pb_u16(b, 300); pb_u16(b, 0x0800); in4(b, IK_ICMP, 8); fin(b);
    ADD(y, *b, V4, S, OTH, OK, "s-tag only ipv4 icmp");
    emit(ctx, &y);

    struct fx z = {.name = "qinq_9100", .desc = "legacy QinQ 0x9100 + 0x8100", .linktype = 1};
    eth(b, 0x9100); pb_u16(b, 400); pb_u16(b, 0x8100); pb_u16(b, 30); pb_u16(b, 0x0800);
    in4(b, IK_TCP, 60); fin(b);
    ADD(z, *b, V4, S, OTH, OK, "0x9100 qinq ipv4");
    eth(b, 0x9100); pb_u16(b, 400); pb_u16(b, 0x8100); pb_u16(b, 31); pb_u16(b, 0x86dd);
    in6(b, IK_UDP, 60); fin(b);
    ADD(z, *b, V6, S, OTH, OK, "0x9100 qinq ipv6");
    emit(ctx, &z);
}

static void mpls(struct pb *b, uint32_t label, bool bos)
{
    pb_u32(b, label << 12 | (bos ? 0x100u : 0) | 64);
}

static void fx_mpls(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx x = {.name = "mpls", .desc = "MPLS with IPv4, IPv6, explicit null, Ethernet pseudowire with control word", .linktype = 1};
    eth(b, 0x8847); mpls(b, 100, false); mpls(b, 200, true); in4(b, IK_TCP, 80); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "2 labels ipv4");
    eth(b, 0x8847); mpls(b, 300, true); in6(b, IK_UDP, 80); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "1 label ipv6");
    eth(b, 0x8847); mpls(b, 2, true); in6(b, IK_ICMP, 16); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "ipv6 explicit null");
    static const uint8_t pw_a[6] = {0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c};
    static const uint8_t pw_b[6] = {0x00, 0x1c, 0x73, 0x01, 0x02, 0x03};
    eth(b, 0x8847); mpls(b, 1000, false); mpls(b, 500, true); pb_u32(b, 1);
    pb_eth(b, pw_b, pw_a); pb_u16(b, 0x0800); in4(b, IK_UDP, 40); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "ethernet pw with control word, ipv4");
    emit(ctx, &x);
}

/* ---- PPPoE ---------------------------------------------------------------- */

static void pppoe_disc(struct pb *b, uint8_t code, uint16_t sid, bool ac)
{
    pb_u16(b, 0x8863);
    size_t off = b->len;
    pb_u8(b, 0x11);
    pb_u8(b, code);
    pb_u16(b, sid);
    pb_u16(b, 0);
    pb_u16(b, 0x0101);
    pb_u16(b, 0);
    if (ac) {
        pb_u16(b, 0x0102);
        pb_u16(b, 4);
        pb_bytes(b, "BRAS", 4);
    }
    pb_u16(b, 0x0103);
    pb_u16(b, 4);
    pb_u32(b, 0xdeadbeef);
    put16(b->buf + off + 4, (uint16_t)(b->len - off - 6));
}

static void ppp_ctl(struct pb *b, uint8_t code, uint8_t id, bool magic)
{
    pb_u8(b, code);
    pb_u8(b, id);
    pb_u16(b, magic ? 8 : 4);
    if (magic)
        pb_u32(b, 0x11223344);
}

static void fx_pppoe(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx x = {.name = "pppoe", .desc = "PPPoE discovery and session (IPv4, IPv6, LCP, IPCP, IPV6CP)", .linktype = 1};
    pb_reset(b); pb_eth(b, BCAST, MAC_A); pppoe_disc(b, 0x09, 0, false); fin(b);
    ADD(x, *b, O, S, OTH, OK, "PADI");
    pb_reset(b); pb_eth(b, MAC_A, MAC_B); pppoe_disc(b, 0x07, 0, true); fin(b);
    ADD(x, *b, O, S, OTH, OK, "PADO");
    pb_reset(b); pb_eth(b, MAC_B, MAC_A); pppoe_disc(b, 0x19, 0, true); fin(b);
    ADD(x, *b, O, S, OTH, OK, "PADR");
    pb_reset(b); pb_eth(b, MAC_A, MAC_B); pppoe_disc(b, 0x65, 0x0042, true); fin(b);
    ADD(x, *b, O, S, OTH, OK, "PADS session 0x42");
    eth(b, 0x8864); pb_pppoe_session(b, 0x42, 0xc021); ppp_ctl(b, 1, 1, false); fin(b);
    ADD(x, *b, O, S, MET, OK, "LCP configure-request");
    eth(b, 0x8864); pb_pppoe_session(b, 0x42, 0x8021); ppp_ctl(b, 1, 2, false); fin(b);
    ADD(x, *b, O, S, MET, OK, "IPCP configure-request");
    eth(b, 0x8864); pb_pppoe_session(b, 0x42, 0x8057); ppp_ctl(b, 1, 3, false); fin(b);
    ADD(x, *b, O, S, MET, OK, "IPV6CP configure-request");
    eth(b, 0x8864); pb_pppoe_session(b, 0x42, 0x0021); in4(b, IK_TCP, 100); fin(b);
    ADD(x, *b, V4, S, MET, OK, "session ipv4 tcp");
    eth(b, 0x8864); pb_pppoe_session(b, 0x42, 0x0057); in6(b, IK_UDP, 100); fin(b);
    ADD(x, *b, V6, S, MET, OK, "session ipv6 udp");
    eth(b, 0x8864); pb_pppoe_session(b, 0x42, 0xc021); ppp_ctl(b, 9, 4, true); fin(b);
    ADD(x, *b, O, S, MET, OK, "LCP echo-request");
    eth(b, 0x8864); pb_pppoe_session(b, 0x42, 0xc021); ppp_ctl(b, 10, 4, true); fin(b);
    ADD(x, *b, O, S, MET, OK, "LCP echo-reply");
    eth(b, 0x8100); pb_u16(b, 7); pb_u16(b, 0x8864); pb_pppoe_session(b, 0x43, 0x0057);
    in6(b, IK_ICMP, 8); fin(b);
    ADD(x, *b, V6, S, MET, OK, "vlan session ipv6 icmpv6");
    pb_reset(b); pb_eth(b, MAC_A, MAC_B); pppoe_disc(b, 0xa7, 0x0042, false); fin(b);
    ADD(x, *b, O, S, OTH, OK, "PADT");
    emit(ctx, &x);
}

/* ---- other link types ----------------------------------------------------- */

static void sll1(struct pb *b, uint16_t proto)
{
    pb_reset(b);
    pb_u16(b, 0);      /* to us */
    pb_u16(b, 1);      /* ARPHRD_ETHER */
    pb_u16(b, 6);
    pb_bytes(b, MAC_A, 6);
    pb_u16(b, 0);
    pb_u16(b, proto);
}

static void sll2(struct pb *b, uint16_t proto)
{
    pb_reset(b);
    pb_u16(b, proto);
    pb_u16(b, 0);
    pb_u32(b, 2);      /* ifindex */
    pb_u16(b, 1);
    pb_u8(b, 4);       /* outgoing */
    pb_u8(b, 6);
    pb_bytes(b, MAC_A, 6);
    pb_u16(b, 0);
}

static void fx_links(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx a = {.name = "linux_sll", .desc = "Linux cooked capture v1 (LINKTYPE 113)", .linktype = 113};
    sll1(b, 0x0800); in4(b, IK_TCP, 50); pb_finish(b);
    ADD(a, *b, V4, S, OTH, OK, "sll ipv4");
    sll1(b, 0x86dd); in6(b, IK_UDP, 50); pb_finish(b);
    ADD(a, *b, V6, S, OTH, OK, "sll ipv6");
    sll1(b, 0x0806); arp(b, false); pb_finish(b);
    ADD(a, *b, O, S, OTH, OK, "sll arp");
    emit(ctx, &a);

    struct fx c = {.name = "linux_sll2", .desc = "Linux cooked capture v2 (LINKTYPE 276)", .linktype = 276};
    sll2(b, 0x0800); in4(b, IK_UDP, 50); pb_finish(b);
    ADD(c, *b, V4, S, OTH, OK, "sll2 ipv4");
    sll2(b, 0x86dd); in6(b, IK_TCP, 50); pb_finish(b);
    ADD(c, *b, V6, S, OTH, OK, "sll2 ipv6");
    sll2(b, 0x0806); arp(b, true); pb_finish(b);
    ADD(c, *b, O, S, OTH, OK, "sll2 arp");
    emit(ctx, &c);

    struct fx r = {.name = "raw", .desc = "raw IP (LINKTYPE 101)", .linktype = 101};
    pb_reset(b); in4(b, IK_TCP, 50); pb_finish(b);
    ADD(r, *b, V4, S, OTH, OK, "raw ipv4");
    pb_reset(b); in6(b, IK_UDP, 50); pb_finish(b);
    ADD(r, *b, V6, S, OTH, OK, "raw ipv6");
    emit(ctx, &r);

    struct fx r4 = {.name = "raw_ipv4", .desc = "LINKTYPE_IPV4 (228)", .linktype = 228};
    pb_reset(b); in4(b, IK_UDP, 10); pb_finish(b);
    ADD(r4, *b, V4, S, OTH, OK, "ipv4");
    pb_reset(b); in4(b, IK_ICMP, 10); pb_finish(b);
    ADD(r4, *b, V4, S, OTH, OK, "ipv4 icmp");
    pb_reset(b); in6(b, IK_UDP, 10); pb_finish(b);
    ADD(r4, *b, V6, S, OTH, OK, "ipv6 bytes in an IPv4 capture: by the version");
    pb_reset(b); in4(b, IK_UDP, 10); pb_finish(b); b->buf[0] = 0x55;
    fx_add(&r4, b, 0, V4, V4, OTH, MAL, "version 5 (tshark: ip layer with bogus version)");
    emit(ctx, &r4);

    struct fx r6 = {.name = "raw_ipv6", .desc = "LINKTYPE_IPV6 (229)", .linktype = 229};
    pb_reset(b); in6(b, IK_TCP, 10); pb_finish(b);
    ADD(r6, *b, V6, S, OTH, OK, "ipv6");
    pb_reset(b); in6(b, IK_ICMP, 10); pb_finish(b);
    ADD(r6, *b, V6, S, OTH, OK, "ipv6 icmpv6");
    emit(ctx, &r6);

    struct fx n = {.name = "null", .desc = "BSD loopback (LINKTYPE 0), AF in either byte order; AF_INET6 24, 28, 30; ethertype and PPP forms; Linux AF 10", .linktype = 0};
    static const uint32_t afs[4] = {2, 24, 28, 30};
    for (int be = 0; be < 2; be++)
        for (int i = 0; i < 4; i++) {
            pb_reset(b);
            if (be)
                pb_u32(b, afs[i]);
            else
                pb_u32le(b, afs[i]);
            if (i == 0)
                in4(b, IK_UDP, 20);
            else
                in6(b, IK_UDP, 20);
            pb_finish(b);
            static const char *const d[2][4] = {
                {"AF_INET little-endian", "AF 24 little-endian", "AF 28 little-endian", "AF 30 little-endian"},
                {"AF_INET big-endian", "AF 24 big-endian", "AF 28 big-endian", "AF 30 big-endian"}};
            ADD(n, *b, i ? V6 : V4, S, OTH, OK, d[be][i]);
        }
    /* forms tshark's null dissector normalises (its rules in link.c) */
    static const uint8_t heads[5][4] = {{0, 0, 2, 0}, {0, 2, 0, 0}, {0, 0, 0x86, 0xdd},
                                        {0x0f, 0, 0x08, 0}, {0xff, 0x03, 0x00, 0x21}};
    static const char *const hd[5] = {"AF 2 in the upper half", "AF 2 byte-swapped 16-bit",
                                      "ethertype 86dd", "0f 00 08 00: ethertype 0800",
                                      "ff 03: PPP"};
    for (int i = 0; i < 5; i++) {
        pb_reset(b);
        pb_bytes(b, heads[i], 4);
        in46(b, i == 2, IK_UDP, 20);
        pb_finish(b);
        ADD(n, *b, i == 2 ? V6 : V4, S, OTH, OK, hd[i]);
    }
    pb_reset(b); pb_u32le(b, 10); in6(b, IK_UDP, 20); pb_finish(b);
    ADD(n, *b, O, S, OTH, OK, "AF 10 (Linux AF_INET6): not a BSD family, data in tshark");
    pb_reset(b); pb_u32le(b, 2); in4(b, IK_UDP, 20); pb_finish(b); b->buf[4] = 0x55;
    fx_add(&n, b, 0, V4, V4, OTH, MAL, "AF_INET, version 5 (tshark: ip layer with bogus version)");
    emit(ctx, &n);

    struct fx l = {.name = "loop", .desc = "OpenBSD loopback (LINKTYPE 108), AF in network order", .linktype = 108};
    for (int i = 0; i < 4; i++) {
        pb_reset(b);
        pb_u32(b, afs[i]);
        if (i == 0)
            in4(b, IK_TCP, 20);
        else
            in6(b, IK_TCP, 20);
        pb_finish(b);
        static const char *const d[4] = {"AF_INET", "AF 24", "AF 28", "AF 30"};
        ADD(l, *b, i ? V6 : V4, S, OTH, OK, d[i]);
    }
    emit(ctx, &l);

    struct fx p = {.name = "ppp", .desc = "PPP (LINKTYPE 9), with and without address/control", .linktype = 9};
    pb_reset(b); pb_u8(b, 0xff); pb_u8(b, 0x03); pb_u16(b, 0x0021); in4(b, IK_TCP, 30); pb_finish(b);
    ADD(p, *b, V4, S, OTH, OK, "ff03 ipv4");
    pb_reset(b); pb_u8(b, 0xff); pb_u8(b, 0x03); pb_u16(b, 0x0057); in6(b, IK_UDP, 30); pb_finish(b);
    ADD(p, *b, V6, S, OTH, OK, "ff03 ipv6");
    pb_reset(b); pb_u16(b, 0x0021); in4(b, IK_ICMP, 30); pb_finish(b);
    ADD(p, *b, V4, S, OTH, OK, "no address/control ipv4");
    pb_reset(b); pb_u8(b, 0xff); pb_u8(b, 0x03); pb_u16(b, 0xc021); ppp_ctl(b, 9, 1, true); pb_finish(b);
    ADD(p, *b, O, S, OTH, OK, "LCP echo-request");
    emit(ctx, &p);
}

/* ---- GRE, ERSPAN, VXLAN, Geneve -------------------------------------------- */

static void gre_v4(struct pb *b, uint16_t flags, uint16_t proto)
{
    eth(b, 0x0800);
    pb_ipv4(b, TA4, TB4, 47, 255, 0, 7, 0x4000, NULL, 0);
    size_t off = b->len;
    pb_u16(b, flags);
    pb_u16(b, proto);
    if (flags & 0x8000) {
        pb_push_layer(b, PBL_GRE_CSUM, off);
        pb_u32(b, 0);
    }
    if (flags & 0x2000)
        pb_u32(b, 0x1001);
    if (flags & 0x1000)
        pb_u32(b, 77);
}

static void fx_gre(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx x = {.name = "gre", .desc = "GRE (key, sequence, checksum), transparent Ethernet, ERSPAN II/III, GRE over IPv6", .linktype = 1};
    gre_v4(b, 0, 0x0800); in4(b, IK_TCP, 60); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "gre ipv4");
    gre_v4(b, 0x2000, 0x86dd); in6(b, IK_UDP, 60); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "gre key ipv6");
    gre_v4(b, 0xb000, 0x0800); in4(b, IK_UDP, 60); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "gre checksum+key+seq ipv4");
    gre_v4(b, 0x2000, 0x6558); pb_eth(b, MAC_B, MAC_A); pb_u16(b, 0x86dd); in6(b, IK_TCP, 40); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "gre transparent ethernet ipv6");
    gre_v4(b, 0x1000, 0x88be);
    pb_u32(b, 0x10000000u | 100u << 16 | 0x0800u | 5); /* ver 1, vlan 100, en, session 5 */
    pb_u32(b, 0);
    pb_eth(b, MAC_B, MAC_A); pb_u16(b, 0x0800); in4(b, IK_TCP, 40); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "erspan II ipv4");
    gre_v4(b, 0x1000, 0x22eb);
    pb_u32(b, 0x20000000u | 200u << 16 | 6); /* ver 2, vlan 200, session 6 */
    pb_u32(b, 0x00010000);                   /* timestamp */
    pb_u32(b, 0);                            /* SGT, flags, no subheader */
    pb_eth(b, MAC_B, MAC_A); pb_u16(b, 0x86dd); in6(b, IK_UDP, 40); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "erspan III ipv6");
    eth(b, 0x86dd); pb_ipv6(b, TA6, TB6, 47, 64, 0, 0); pb_u16(b, 0); pb_u16(b, 0x0800);
    in4(b, IK_ICMP, 20); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "gre over ipv6, ipv4 inside");
    emit(ctx, &x);

    struct fx v = {.name = "vxlan", .desc = "VXLAN (UDP 4789) over IPv4 and IPv6", .linktype = 1};
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 17, 64, 0, 8, 0, NULL, 0); pb_udp_nocsum(b, 50000, 4789);
    pb_u32(b, 0x08000000); pb_u32(b, 5001u << 8);
    pb_eth(b, MAC_B, MAC_A); pb_u16(b, 0x0800); in4(b, IK_TCP, 50); fin(b);
    ADD(v, *b, V4, S, OTH, OK, "vxlan ipv4");
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 17, 64, 0, 9, 0, NULL, 0); pb_udp_nocsum(b, 50001, 4789);
    pb_u32(b, 0x08000000); pb_u32(b, 5001u << 8);
    pb_eth(b, MAC_B, MAC_A); pb_u16(b, 0x86dd); in6(b, IK_UDP, 50); fin(b);
    ADD(v, *b, V6, S, OTH, OK, "vxlan ipv6");
    eth(b, 0x86dd); pb_ipv6(b, TA6, TB6, 17, 64, 0, 0); pb_udp(b, 50002, 4789);
    pb_u32(b, 0x08000000); pb_u32(b, 5002u << 8);
    pb_eth(b, MAC_B, MAC_A); pb_u16(b, 0x0800); in4(b, IK_ICMP, 20); fin(b);
    ADD(v, *b, V4, S, OTH, OK, "vxlan over ipv6, ipv4 inside");
    emit(ctx, &v);

    struct fx u = {.name = "udp_tunnels", .desc = "LISP data (UDP 4341) and ECM (4342), GRE-in-UDP (4754), MPLS-in-UDP (6635)", .linktype = 1};
    eth(b, 0x86dd); pb_ipv6(b, TA6, TB6, 17, 64, 0, 0); pb_udp(b, 61000, 4341);
    pb_u32(b, 0x88000001u); pb_u32(b, 0x00000101u); in4(b, IK_ICMP, 30); fin(b);
    ADD(u, *b, V4, S, OTH, OK, "lisp data: ipv4 in ipv6");
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 17, 64, 0, 20, 0, NULL, 0); pb_udp(b, 61001, 4341);
    pb_u32(b, 0x88000002u); pb_u32(b, 0x00000101u); in6(b, IK_TCP, 30); fin(b);
    ADD(u, *b, V6, S, OTH, OK, "lisp data: ipv6 in ipv4");
    eth(b, 0x86dd); pb_ipv6(b, TA6, TB6, 17, 64, 0, 0); pb_udp(b, 4342, 4342);
    pb_u32(b, 0x80000000u); in4(b, IK_UDP, 30); fin(b);
    ADD(u, *b, V4, S, OTH, OK, "lisp encapsulated control message: ipv4 in ipv6");
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 17, 64, 0, 21, 0, NULL, 0); pb_udp(b, 4342, 4342);
    pb_u32(b, 0x10000001u); pb_u32(b, 0x12345678u); pb_u32(b, 0x9abcdef0u); payload(b, 20); fin(b);
    ADD(u, *b, V4, S, OTH, OK, "lisp map-request: no packet inside");
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 17, 64, 0, 22, 0, NULL, 0); pb_udp(b, 61002, 4754);
    pb_u16(b, 0); pb_u16(b, 0x86dd); in6(b, IK_UDP, 30); fin(b);
    ADD(u, *b, V6, S, OTH, OK, "gre-in-udp: ipv6 in ipv4");
    eth(b, 0x86dd); pb_ipv6(b, TA6, TB6, 17, 64, 0, 0); pb_udp(b, 61003, 6635);
    mpls(b, 1000, true); in4(b, IK_TCP, 30); fin(b);
    ADD(u, *b, V4, S, OTH, OK, "mpls-in-udp: ipv4 in ipv6");
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 17, 64, 0, 23, 0, NULL, 0); pb_udp_nocsum(b, 50006, 4789);
    pb_u32(b, 0x08000000); pb_u32(b, 5003u << 8);
    pb_eth(b, MAC_B, MAC_A); pb_u16(b, 0x86dd); in6(b, IK_UDP, 30); fin(b);
    put16(b->buf + 14 + 20 + 4, 0); /* UDP length 0, as TSO/BIG TCP captures */
    fx_add(&u, b, 0, V4, V4, OTH, MAL, "vxlan whose udp length is 0 (tshark: bad length, payload not read)");
    emit(ctx, &u);

    struct fx g = {.name = "geneve", .desc = "Geneve (UDP 6081) with and without options", .linktype = 1};
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 17, 64, 0, 10, 0, NULL, 0); pb_udp(b, 50003, 6081);
    pb_u16(b, 0x0000); pb_u16(b, 0x6558); pb_u32(b, 7001u << 8);
    pb_eth(b, MAC_B, MAC_A); pb_u16(b, 0x0800); in4(b, IK_TCP, 50); fin(b);
    ADD(g, *b, V4, S, OTH, OK, "geneve ethernet ipv4");
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 17, 64, 0, 11, 0, NULL, 0); pb_udp(b, 50004, 6081);
    pb_u16(b, 0x0200); pb_u16(b, 0x6558); pb_u32(b, 7002u << 8);
    pb_u16(b, 0x0103); pb_u8(b, 0x80); pb_u8(b, 1); pb_u32(b, 0xa5a5a5a5);
    pb_eth(b, MAC_B, MAC_A); pb_u16(b, 0x86dd); in6(b, IK_UDP, 50); fin(b);
    ADD(g, *b, V6, S, OTH, OK, "geneve with option, ethernet ipv6");
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 17, 64, 0, 12, 0, NULL, 0); pb_udp(b, 50005, 6081);
    pb_u16(b, 0x0000); pb_u16(b, 0x86dd); pb_u32(b, 7003u << 8);
    in6(b, IK_TCP, 20); fin(b);
    ADD(g, *b, V6, S, OTH, OK, "geneve protocol 0x86dd (no inner ethernet)");
    emit(ctx, &g);
}

/* ---- GTP-U ---------------------------------------------------------------- */

static void gtp_outer(struct pb *b, bool v6, uint16_t sport)
{
    if (v6) {
        eth(b, 0x86dd);
        pb_ipv6(b, TA6, TB6, 17, 64, 0, 0);
    } else {
        eth(b, 0x0800);
        pb_ipv4(b, TA4, TB4, 17, 64, 0, 13, 0x4000, NULL, 0);
    }
    pb_udp(b, sport, 2152);
}

static void fx_gtp(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx x = {.name = "gtpu", .desc = "GTP-U v1 over IPv4 and IPv6: G-PDUs, extension headers, echo, end marker", .linktype = 1};
    gtp_outer(b, false, 2152); pb_gtp(b, 0x30, 255, 0x1001, 0, 0); in4(b, IK_TCP, 100); fin(b);
    ADD(x, *b, V4, S, MOB, OK, "ipv4 transport, g-pdu ipv4");
    gtp_outer(b, false, 2152); pb_gtp(b, 0x32, 255, 0x1002, 77, 0); in6(b, IK_UDP, 100); fin(b);
    ADD(x, *b, V6, S, MOB, OK, "ipv4 transport, S flag, g-pdu ipv6");
    gtp_outer(b, true, 2152); pb_gtp(b, 0x34, 255, 0x2001, 0, 0x85);
    pb_gtp_ext_pdu_session(b, 1, 9, 0); in4(b, IK_UDP, 100); fin(b);
    ADD(x, *b, V4, S, MOB, OK, "ipv6 transport, pdu session container UL qfi 9, ipv4");
    gtp_outer(b, true, 2152); pb_gtp(b, 0x34, 255, 0x2002, 0, 0xc0);
    pb_u8(b, 1); pb_u16(b, 0x0102); pb_u8(b, 0x85);      /* PDCP PDU number */
    pb_gtp_ext_pdu_session(b, 0, 5, 0); in6(b, IK_TCP, 100); fin(b);
    ADD(x, *b, V6, S, MOB, OK, "ipv6 transport, ext chain 0xc0+0x85 DL, ipv6");
    gtp_outer(b, false, 2152); pb_gtp(b, 0x31, 255, 0x1003, 0, 0); in6(b, IK_ICMP, 32); fin(b);
    ADD(x, *b, V6, S, MOB, OK, "PN flag, g-pdu icmpv6");
    gtp_outer(b, false, 40000); pb_gtp(b, 0x32, 1, 0, 1, 0); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "echo request (signalling)");
    eth(b, 0x0800); pb_ipv4(b, TB4, TA4, 17, 64, 0, 14, 0x4000, NULL, 0); pb_udp(b, 2152, 40000);
    pb_gtp(b, 0x32, 2, 0, 1, 0); pb_u8(b, 14); pb_u8(b, 3); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "echo response with recovery IE (signalling)");
    gtp_outer(b, true, 2152); pb_gtp(b, 0x30, 254, 0x2001, 0, 0); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "end marker over ipv6 (signalling)");
    emit(ctx, &x);
}

/* ---- IP in IP, Teredo ------------------------------------------------------ */

static void fx_ipip(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx x = {.name = "ipip", .desc = "4in4, 6in4 (plain, 6to4, ISATAP), 4in6 (DS-Lite), 6in6", .linktype = 1};
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 4, 64, 0, 20, 0, NULL, 0); in4(b, IK_TCP, 40); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "4in4");
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 41, 64, 0, 21, 0, NULL, 0); in6(b, IK_TCP, 40); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "6in4");
    uint8_t s6[16] = {0x20, 0x02, 0xcb, 0x00, 0x71, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    eth(b, 0x0800); pb_ipv4(b, TA4, 0xc0586301u, 41, 64, 0, 22, 0, NULL, 0);
    pb_ipv6(b, s6, B6, 17, 64, 0, 0); l4(b, IK_UDP, true, 40); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "6to4 2002:cb00:7101::1 via 192.88.99.1");
    uint8_t is6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 3, 0, 0, 0, 0, 0x5e, 0xfe, 0xcb, 0x00, 0x71, 0x01};
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 41, 64, 0, 23, 0, NULL, 0);
    pb_ipv6(b, is6, B6, 58, 64, 0, 0); l4(b, IK_ICMP, true, 16); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "ISATAP ::5efe:203.0.113.1");
    eth(b, 0x86dd); pb_ipv6(b, TA6, TB6, 4, 64, 0, 0); in4(b, IK_UDP, 40); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "4in6 (DS-Lite)");
    eth(b, 0x86dd); pb_ipv6(b, TA6, TB6, 41, 64, 0, 0); in6(b, IK_UDP, 40); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "6in6");
    emit(ctx, &x);
}

static void fx_teredo(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx x = {.name = "teredo", .desc = "Teredo on UDP 3544: plain, origin indication, authentication indication", .linktype = 1};
    uint8_t cl[16] = {0x20, 0x01, 0, 0, 0xcb, 0x00, 0x71, 0x02, 0x80, 0x00, 0x63, 0xbf, 0x3f, 0xff, 0xfd, 0xfe};
    eth(b, 0x0800); pb_ipv4(b, A4, TB4, 17, 64, 0, 30, 0, NULL, 0); pb_udp(b, 40000, 3544);
    pb_ipv6(b, cl, B6, 17, 64, 0, 0); l4(b, IK_UDP, true, 30); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "client to server port 3544");
    eth(b, 0x0800); pb_ipv4(b, TB4, A4, 17, 64, 0, 31, 0, NULL, 0); pb_udp(b, 3544, 40000);
    pb_u16(b, 0x0000); pb_u16(b, (uint16_t)~40000); pb_u32(b, ~A4);
    pb_ipv6(b, B6, cl, 6, 64, 0, 0); l4(b, IK_TCP, true, 30); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "origin indication");
    eth(b, 0x0800); pb_ipv4(b, A4, TB4, 17, 64, 0, 32, 0, NULL, 0); pb_udp(b, 40000, 3544);
    pb_u16(b, 0x0001); pb_u8(b, 0); pb_u8(b, 0); pb_u32(b, 0x01020304); pb_u32(b, 0x05060708); pb_u8(b, 0);
    pb_ipv6(b, cl, B6, 58, 255, 0, 0); pb_icmp6(b, 133, 0, 0); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "authentication indication + router solicitation");
    eth(b, 0x0800); pb_ipv4(b, TB4, A4, 17, 64, 0, 33, 0, NULL, 0); pb_udp(b, 3544, 40000);
    pb_u16(b, 0x0001); pb_u8(b, 0); pb_u8(b, 0); pb_u32(b, 0x01020304); pb_u32(b, 0x05060708); pb_u8(b, 0);
    pb_u16(b, 0x0000); pb_u16(b, (uint16_t)~40000); pb_u32(b, ~A4);
    pb_ipv6(b, B6, cl, 17, 64, 0, 0); l4(b, IK_UDP, true, 30); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "authentication + origin indication");
    eth(b, 0x0800); pb_ipv4(b, A4, TB4, 17, 64, 0, 34, 0, NULL, 0); pb_udp(b, 40000, 3544);
    pb_ipv6(b, cl, B6, 59, 64, 0, 0); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "bubble (next header 59)");
    emit(ctx, &x);
}

/* ---- IPv6 extension headers, IPv4 options --------------------------------- */

static void fx_ext(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx x = {.name = "ipv6_ext", .desc = "IPv6 extension headers: HBH, DSTOPT, RH0, SRH, fragment, AH, ESP, chain, no next header", .linktype = 1};
    static const uint8_t hbh[8] = {17, 0, 5, 2, 0, 0, 1, 0};
    eth(b, 0x86dd); pb_ipv6(b, A6, B6, 0, 1, 0, 0); pb_bytes(b, hbh, 8); l4(b, IK_UDP, true, 20); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "hop-by-hop router alert, udp");
    static const uint8_t dst[8] = {6, 0, 1, 4, 0, 0, 0, 0};
    eth(b, 0x86dd); pb_ipv6(b, A6, B6, 60, 64, 0, 0); pb_bytes(b, dst, 8); l4(b, IK_TCP, true, 20); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "destination options, tcp");
    eth(b, 0x86dd); pb_ipv6(b, A6, TB6, 43, 64, 0, 0);
    { uint8_t h[8] = {17, 2, 0, 1, 0, 0, 0, 0}; pb_bytes(b, h, 8); }
    size_t fd = b->len; pb_bytes(b, B6, 16); pb_ipv6_set_final_dst(b, fd);
    l4(b, IK_UDP, true, 20); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "routing type 0, segments left 1");
    eth(b, 0x86dd); pb_ipv6(b, A6, TA6, 43, 64, 0, 0xabcde);
    { uint8_t h[8] = {6, 6, 4, 2, 2, 0, 0, 0}; pb_bytes(b, h, 8); }
    fd = b->len; pb_bytes(b, B6, 16); pb_bytes(b, TB6, 16); pb_bytes(b, TA6, 16);
    pb_ipv6_set_final_dst(b, fd);
    l4(b, IK_TCP, true, 20); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "SRH type 4, 3 segments, segments left 2, flow label");
    eth(b, 0x86dd); pb_ipv6(b, A6, B6, 44, 64, 0, 0);
    { uint8_t h[8] = {17, 0, 0, 0, 0, 0, 0x12, 0x34}; pb_bytes(b, h, 8); }
    l4(b, IK_UDP, true, 20); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "atomic fragment (offset 0, M 0)");
    eth(b, 0x86dd); pb_ipv6(b, A6, B6, 51, 64, 0, 0);
    { uint8_t h[12] = {6, 4, 0, 0, 0, 0, 0x10, 0x01, 0, 0, 0, 1}; pb_bytes(b, h, 12); pb_zero(b, 12); }
    l4(b, IK_TCP, true, 20); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "AH (12-byte ICV), tcp");
    eth(b, 0x86dd); pb_ipv6(b, A6, B6, 50, 64, 0, 0); pb_u32(b, 0x1002); pb_u32(b, 1); payload(b, 48); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "ESP");
    eth(b, 0x86dd); pb_ipv6(b, A6, B6, 0, 64, 0, 0);
    { uint8_t h[8] = {60, 0, 1, 4, 0, 0, 0, 0}; pb_bytes(b, h, 8); }
    { uint8_t h[8] = {43, 0, 1, 4, 0, 0, 0, 0}; pb_bytes(b, h, 8); }
    { uint8_t h[8] = {60, 2, 4, 0, 0, 0, 0, 0}; pb_bytes(b, h, 8); pb_bytes(b, B6, 16); }
    { uint8_t h[8] = {17, 0, 1, 4, 0, 0, 0, 0}; pb_bytes(b, h, 8); }
    l4(b, IK_UDP, true, 20); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "chain hbh, dstopt, srh (segments left 0), dstopt, udp");
    eth(b, 0x86dd); pb_ipv6(b, A6, B6, 59, 64, 0, 0); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "no next header");
    emit(ctx, &x);

    struct fx o = {.name = "ipv4_options", .desc = "IPv4 options: router alert, record route, timestamp", .linktype = 1};
    static const uint8_t ra[4] = {0x94, 4, 0, 0};
    eth(b, 0x0800); pb_ipv4(b, A4, B4, 17, 1, 0, 40, 0, ra, 4); l4(b, IK_UDP, false, 20); fin(b);
    ADD(o, *b, V4, S, OTH, OK, "router alert (IHL 6)");
    static const uint8_t rr[12] = {7, 11, 8, 192, 0, 2, 254, 0, 0, 0, 0, 1};
    eth(b, 0x0800); pb_ipv4(b, A4, B4, 1, 64, 0, 41, 0, rr, 12); l4(b, IK_ICMP, false, 20); fin(b);
    ADD(o, *b, V4, S, OTH, OK, "record route (IHL 8)");
    static const uint8_t tsopt[12] = {68, 12, 9, 0, 0, 0, 0, 100, 0, 0, 0, 0};
    eth(b, 0x0800); pb_ipv4(b, A4, B4, 6, 64, 0, 42, 0, tsopt, 12); l4(b, IK_TCP, false, 20); fin(b);
    ADD(o, *b, V4, S, OTH, OK, "timestamp (IHL 8)");
    emit(ctx, &o);
}

/* ---- fragments ------------------------------------------------------------ */

/* Fragment b (IP header at ip_off) at split; frames into f1, f2, padded. */
static void frag2(struct pb *b, size_t ip_off, size_t split, bool v6, uint32_t id,
                  struct pb *f1, struct pb *f2)
{
    if (v6)
        pb_frag_ipv6(b, ip_off, split, id, f1, f2);
    else {
        put16(b->buf + ip_off + 4, (uint16_t)id);
        pb_frag_ipv4(b, ip_off, split, f1, f2);
    }
    pb_pad60(f1);
    pb_pad60(f2);
}

static void fx_frag(fx_emit_fn emit, void *ctx, struct pb *b, struct pb *f1, struct pb *f2)
{
    struct fx x = {.name = "frag_ipv4", .desc = "IPv4 fragments: in order, out of order, three pieces, lone non-first", .linktype = 1};
    eth(b, 0x0800); in4(b, IK_UDP, 1800); pb_finish(b);
    frag2(b, 14, 1480, false, 0x100, f1, f2);
    fx_add(&x, f1, 0, V4, V4, OTH, OK, "in order: first fragment");
    fx_add(&x, f2, 0, V4, V4, OTH, OK, "in order: last fragment (reassembled here)");
    frag2(b, 14, 800, false, 0x101, f1, f2);
    fx_add(&x, f2, 0, V4, V4, OTH, OK, "out of order: last fragment first");
    fx_add(&x, f1, 0, V4, V4, OTH, OK, "out of order: first fragment (reassembled here)");
    /* Three pieces: split the tail again. */
    eth(b, 0x0800); in4(b, IK_TCP, 2500); pb_finish(b);
    frag2(b, 14, 1480, false, 0x102, f1, f2);
    fx_add(&x, f1, 0, V4, V4, OTH, OK, "3 pieces: first");
    {
        struct pb *t = b; /* reuse b for the middle and last pieces */
        pb_reset(t);
        pb_bytes(t, f2->buf, f2->len);
        /* f2 carries offset 1480; split it into [1480,2480) and the rest. */
        uint8_t *ip = t->buf + 14;
        size_t plen = get16(ip + 2) - 20;
        put16(ip + 2, (uint16_t)(20 + plen));
        put16(ip + 6, 1480 / 8);
        pb_frag_ipv4(t, 14, 1000, f1, f2);
        put16(f1->buf + 14 + 6, (uint16_t)(0x2000 | (1480 / 8)));
        put16(f2->buf + 14 + 6, (uint16_t)((1480 + 1000) / 8));
        for (int k = 0; k < 2; k++) {
            uint8_t *h = (k ? f2 : f1)->buf + 14;
            put16(h + 10, 0);
            put16(h + 10, csum_fold(csum_add(0, h, 20)));
        }
        pb_pad60(f1);
        pb_pad60(f2);
    }
    fx_add(&x, f1, 0, V4, V4, OTH, OK, "3 pieces: middle");
    fx_add(&x, f2, 0, V4, V4, OTH, OK, "3 pieces: last (reassembled here)");
    eth(b, 0x0800); in4(b, IK_UDP, 1800); pb_finish(b);
    frag2(b, 14, 1480, false, 0x103, f1, f2);
    fx_add(&x, f2, 0, V4, V4, OTH, UNR, "lone non-first fragment (first never sent)");
    emit(ctx, &x);

    struct fx y = {.name = "frag_ipv6", .desc = "IPv6 fragments: in order, out of order, lone non-first", .linktype = 1};
    eth(b, 0x86dd); in6(b, IK_UDP, 1800); pb_finish(b);
    frag2(b, 14, 1448, true, 0x200, f1, f2);
    fx_add(&y, f1, 0, V6, V6, OTH, OK, "in order: first fragment");
    fx_add(&y, f2, 0, V6, V6, OTH, OK, "in order: last fragment (reassembled here)");
    frag2(b, 14, 1000, true, 0x201, f1, f2);
    fx_add(&y, f2, 0, V6, V6, OTH, OK, "out of order: last fragment first");
    fx_add(&y, f1, 0, V6, V6, OTH, OK, "out of order: first fragment (reassembled here)");
    eth(b, 0x86dd); in6(b, IK_TCP, 1800); pb_finish(b);
    frag2(b, 14, 1448, true, 0x202, f1, f2);
    fx_add(&y, f2, 0, V6, V6, OTH, UNR, "lone non-first fragment");
    emit(ctx, &y);

    struct fx z = {.name = "frag_tunnel", .desc = "fragments outside and inside tunnels (GTP-U, 6in4)", .linktype = 1};
    /* Outer IPv4 fragmentation of a GTP-U G-PDU carrying IPv6. */
    gtp_outer(b, false, 2152); pb_gtp(b, 0x30, 255, 0x1001, 0, 0); in6(b, IK_TCP, 1440); pb_finish(b);
    frag2(b, 14, 1480, false, 0x300, f1, f2);
    fx_add(&z, f1, 0, V6, V4, MOB, OK, "outer ipv4 first fragment of gtp-u/ipv6 (tshark: ip:data)");
    fx_add(&z, f2, 0, V6, V6, MOB, OK, "outer ipv4 last fragment, reassembled gtp-u/ipv6");
    /* Outer IPv6 fragmentation of a GTP-U G-PDU carrying IPv4, out of order. */
    gtp_outer(b, true, 2152); pb_gtp(b, 0x30, 255, 0x2001, 0, 0); in4(b, IK_UDP, 1460); pb_finish(b);
    frag2(b, 14, 1448, true, 0x301, f1, f2);
    fx_add(&z, f2, 0, V4, V6, MOB, OK, "outer ipv6 last fragment first (tshark: ipv6 data)");
    fx_add(&z, f1, 0, V4, V4, MOB, OK, "outer ipv6 first fragment, reassembled gtp-u/ipv4");
    /* Inner IPv6 fragments, each in its own G-PDU. */
    eth(b, 0x86dd); in6(b, IK_UDP, 1800); pb_finish(b);
    pb_frag_ipv6(b, 14, 1400, 0x302, f1, f2);
    for (int k = 0; k < 2; k++) {
        struct pb *fr = k ? f2 : f1;
        struct pb t;
        gtp_outer(&t, false, 2152);
        pb_gtp(&t, 0x30, 255, 0x1001, 0, 0);
        pb_bytes(&t, fr->buf + 14, fr->len - 14);
        fin(&t);
        fx_add(&z, &t, 0, V6, V6, MOB, OK, k ? "inner ipv6 last fragment in g-pdu (reassembled here)"
                                              : "inner ipv6 first fragment in g-pdu");
    }
    /* Outer IPv4 fragments of a 6in4 packet. */
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 41, 64, 0, 0, 0, NULL, 0); in6(b, IK_TCP, 1460); pb_finish(b);
    frag2(b, 14, 1480, false, 0x303, f1, f2);
    fx_add(&z, f1, 0, V6, V4, OTH, OK, "6in4 outer first fragment (tshark: ip:data)");
    fx_add(&z, f2, 0, V6, V6, OTH, OK, "6in4 outer last fragment, reassembled ipv6");
    emit(ctx, &z);
}

/* ---- ICMP errors ---------------------------------------------------------- */

static void fx_icmp(fx_emit_fn emit, void *ctx, struct pb *b, struct pb *q)
{
    struct fx x = {.name = "icmp_errors", .desc = "ICMP/ICMPv6 errors quoting IP headers (the quote is not a tunnel)", .linktype = 1};
    pb_reset(q); in4(q, IK_UDP, 100); pb_finish(q);
    eth(b, 0x0800); pb_ipv4(b, B4, A4, 1, 64, 0, 50, 0, NULL, 0); pb_icmp4(b, 3, 3, 0);
    pb_bytes(b, q->buf, 28); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "port unreachable quoting ipv4/udp");
    pb_reset(q); in4(q, IK_TCP, 100); pb_finish(q);
    eth(b, 0x0800); pb_ipv4(b, TB4, A4, 1, 64, 0, 51, 0, NULL, 0); pb_icmp4(b, 11, 0, 0);
    pb_bytes(b, q->buf, 28); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "time exceeded quoting ipv4/tcp");
    pb_reset(q); pb_ipv4(q, TA4, TB4, 41, 64, 0, 52, 0, NULL, 0); in6(q, IK_UDP, 100); pb_finish(q);
    eth(b, 0x0800); pb_ipv4(b, TB4, TA4, 1, 64, 0, 53, 0, NULL, 0); pb_icmp4(b, 3, 1, 0);
    pb_bytes(b, q->buf, 68); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "host unreachable quoting a 6in4 packet (ipv4, not ipv6)");
    pb_reset(q); in6(q, IK_UDP, 100); pb_finish(q);
    eth(b, 0x86dd); pb_ipv6(b, B6, A6, 58, 64, 0, 0); pb_icmp6(b, 1, 4, 0);
    pb_bytes(b, q->buf, 48); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "icmpv6 port unreachable quoting ipv6/udp");
    pb_reset(q); in6(q, IK_TCP, 1400); pb_finish(q);
    eth(b, 0x86dd); pb_ipv6(b, TB6, A6, 58, 64, 0, 0); pb_icmp6(b, 2, 0, 1280);
    pb_bytes(b, q->buf, 200); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "icmpv6 packet too big quoting ipv6/tcp");
    pb_reset(q); pb_ipv6(q, A6, B6, 4, 64, 0, 0); in4(q, IK_UDP, 20); pb_finish(q);
    eth(b, 0x86dd); pb_ipv6(b, TB6, A6, 58, 64, 0, 0); pb_icmp6(b, 3, 0, 0);
    pb_bytes(b, q->buf, 68); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "icmpv6 time exceeded quoting 4in6 (ipv6, not ipv4)");
    pb_reset(q); in6(q, IK_UDP, 100); pb_finish(q);
    gtp_outer(b, false, 2152); pb_gtp(b, 0x30, 255, 0x1001, 0, 0);
    pb_ipv6(b, B6, A6, 58, 64, 0, 0); pb_icmp6(b, 1, 0, 0); pb_bytes(b, q->buf, 48); fin(b);
    ADD(x, *b, V6, S, MOB, OK, "icmpv6 error inside a g-pdu");
    emit(ctx, &x);
}

/* ---- truncated and malformed ---------------------------------------------- */

struct cut {
    uint32_t at;
    uint8_t fam, tfam, seg, drop;
    const char *desc;
};

static void fx_cuts(struct fx *x, const struct pb *b, const struct cut *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fx_add(x, b, c[i].at, c[i].fam, c[i].tfam, c[i].seg, c[i].drop, c[i].desc);
}

static void fx_trunc(fx_emit_fn emit, void *ctx, struct pb *b)
{
    /* 14 eth | 20 ipv4 (34) | 8 udp (42) | 16 gtp+pdu session (58) |
     * 40 ipv6 (98) | 20 tcp (118) | 100 payload (218). */
    struct fx x = {.name = "trunc_gtp", .desc = "GTP-U/IPv4 carrying IPv6/TCP cut (snaplen) at and inside every layer; wire length kept", .linktype = 1};
    gtp_outer(b, false, 2152); pb_gtp(b, 0x34, 255, 0x1001, 0, 0x85);
    pb_gtp_ext_pdu_session(b, 1, 9, 0); in6(b, IK_TCP, 100); fin(b);
    static const struct cut c1[] = {
        {10, O, O, OTH, TR, "inside ethernet"},
        {14, V4, V4, OTH, TR, "after ethernet (tshark lists an empty ip layer)"},
        {24, V4, V4, OTH, TR, "inside outer ipv4"},
        {34, V4, V4, OTH, TR, "after outer ipv4"},
        {38, V4, V4, OTH, TR, "inside udp"},
        {42, V4, V4, OTH, TR, "after udp"},
        {46, V4, V4, OTH, TR, "inside gtp-u mandatory header"},
        {54, V4, V4, OTH, TR, "inside gtp-u extension header"},
        {58, V4, V4, OTH, TR, "after gtp-u header"},
        {70, V6, V6, MOB, TR, "inside inner ipv6"},
        {98, V6, V6, MOB, TR, "after inner ipv6"},
        {108, V6, V6, MOB, TR, "inside tcp"},
        {118, V6, V6, MOB, OK, "after tcp (payload cut)"},
        {150, V6, V6, MOB, OK, "inside payload"},
        {0, V6, V6, MOB, OK, "whole frame"},
    };
    fx_cuts(&x, b, c1, sizeof(c1) / sizeof(c1[0]));
    emit(ctx, &x);

    /* 14 eth | 4 s-tag (18) | 4 c-tag (22) | 6 pppoe + 2 ppp (30) |
     * 40 ipv6 (70) | 8 udp (78) | 60 payload. */
    struct fx y = {.name = "trunc_pppoe", .desc = "QinQ PPPoE session IPv6/UDP cut at and inside every layer", .linktype = 1};
    eth(b, 0x88a8); pb_u16(b, 300); pb_u16(b, 0x8100); pb_u16(b, 20); pb_u16(b, 0x8864);
    pb_pppoe_session(b, 0x42, 0x0057); in6(b, IK_UDP, 60); fin(b);
    static const struct cut c2[] = {
        {16, O, O, OTH, TR, "inside s-tag"},
        {20, O, O, OTH, TR, "inside c-tag"},
        {22, O, O, OTH, TR, "after c-tag (ethertype)"},
        {26, O, O, OTH, TR, "inside pppoe header"},
        {28, O, O, MET, TR, "after pppoe header, ppp protocol missing"},
        {30, V6, V6, MET, TR, "after ppp protocol (tshark lists an empty ipv6 layer)"},
        {50, V6, V6, MET, TR, "inside ipv6"},
        {70, V6, V6, MET, TR, "after ipv6"},
        {78, V6, V6, MET, OK, "after udp"},
        {0, V6, V6, MET, OK, "whole frame"},
    };
    fx_cuts(&y, b, c2, sizeof(c2) / sizeof(c2[0]));
    emit(ctx, &y);

    /* 14 eth | 40 ipv6 (54) | 8 hbh (62) | 56 srh (118) | 20 tcp (138). */
    struct fx z = {.name = "trunc_ipv6_ext", .desc = "IPv6 with HBH + SRH cut inside the extension header chain", .linktype = 1};
    eth(b, 0x86dd); pb_ipv6(b, A6, B6, 0, 64, 0, 0);
    { uint8_t h[8] = {43, 0, 1, 4, 0, 0, 0, 0}; pb_bytes(b, h, 8); }
    { uint8_t h[8] = {6, 6, 4, 0, 2, 0, 0, 0}; pb_bytes(b, h, 8); }
    pb_bytes(b, B6, 16); pb_bytes(b, TB6, 16); pb_bytes(b, TA6, 16);
    l4(b, IK_TCP, true, 40); fin(b);
    static const struct cut c3[] = {
        {58, V6, V6, OTH, TR, "inside hop-by-hop"},
        {62, V6, V6, OTH, TR, "after hop-by-hop"},
        {90, V6, V6, OTH, TR, "inside srh"},
        {118, V6, V6, OTH, TR, "after srh"},
        {0, V6, V6, OTH, OK, "whole frame"},
    };
    fx_cuts(&z, b, c3, sizeof(c3) / sizeof(c3[0]));
    emit(ctx, &z);
}

static void fx_malformed(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx x = {.name = "malformed", .desc = "malformed headers (caplen = wirelen unless stated)", .linktype = 1};
    eth(b, 0x0800); in4(b, IK_UDP, 20); pb_finish(b); b->buf[14] = 0x55; pb_pad60(b);
    ADD(x, *b, V4, V4, OTH, MAL, "ethertype ipv4, version 5 (tshark: ip layer with bogus version)");
    eth(b, 0x0800); in4(b, IK_UDP, 20); pb_finish(b); b->buf[14] = 0x44; pb_pad60(b);
    ADD(x, *b, V4, V4, OTH, MAL, "ipv4 IHL 4 (tshark: ip layer, bogus header length)");
    eth(b, 0x0800); in4(b, IK_UDP, 20); pb_finish(b); put16(b->buf + 16, 1000); pb_pad60(b);
    ADD(x, *b, V4, S, OTH, TR, "ipv4 total length 1000 beyond the frame");
    eth(b, 0x0800); in4(b, IK_UDP, 20); pb_finish(b); put16(b->buf + 16, 12); pb_pad60(b);
    ADD(x, *b, V4, V4, OTH, MAL, "ipv4 total length 12 < header length (tshark: ip layer, bogus length)");
    eth(b, 0x86dd); in6(b, IK_UDP, 20); pb_finish(b); put16(b->buf + 18, 1000); pb_pad60(b);
    ADD(x, *b, V6, S, OTH, TR, "ipv6 payload length 1000 beyond the frame");
    eth(b, 0x86dd); in6(b, IK_UDP, 20); pb_finish(b); b->buf[14] = 0x40 | (b->buf[14] & 0x0f); pb_pad60(b);
    ADD(x, *b, O, O, OTH, MAL, "ethertype ipv6, version 4 (tshark: data, no ipv6 layer)");
    gtp_outer(b, false, 2152); pb_gtp(b, 0x34, 255, 0x1001, 0, 0x85);
    pb_u8(b, 0); pb_u8(b, 0x10); pb_u8(b, 9); pb_u8(b, 0); in4(b, IK_UDP, 20); fin(b);
    ADD(x, *b, V4, S, OTH, MAL, "gtp-u extension header length 0");
    gtp_outer(b, false, 2152); pb_gtp(b, 0x30, 255, 0x1001, 0, 0); in6(b, IK_UDP, 20); pb_finish(b);
    put16(b->buf + 42 + 2, 2000); pb_pad60(b);
    ADD(x, *b, V6, V6, MOB, TR, "gtp-u length 2000 beyond the frame (tshark ignores it, decodes the ipv6 inside)");
    gtp_outer(b, false, 2152); pb_gtp(b, 0x30, 255, 0x1001, 0, 0); in4(b, IK_UDP, 20); pb_finish(b);
    b->buf[50] = 0x75; pb_pad60(b);
    ADD(x, *b, V4, S, OTH, MAL, "g-pdu whose t-pdu has ip version 7");
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 41, 64, 0, 60, 0, NULL, 0); in6(b, IK_UDP, 20); pb_finish(b);
    b->buf[34] = 0x70; pb_pad60(b);
    ADD(x, *b, V4, S, OTH, MAL, "6in4 whose inner header has version 7");
    eth(b, 0x8864); pb_pppoe_session(b, 0x42, 0x0057); in6(b, IK_UDP, 20); pb_finish(b);
    put16(b->buf + 18, 1500); pb_pad60(b);
    ADD(x, *b, V6, V6, MET, TR, "pppoe length 1500 beyond the frame (tshark warns, decodes the ipv6 inside)");
    eth(b, 0x0800); in4(b, IK_UDP, 20); pb_finish(b); put16(b->buf + 38, 4); pb_pad60(b);
    ADD(x, *b, V4, S, OTH, MAL, "udp length 4 < 8");
    eth(b, 0x0800); in4(b, IK_TCP, 20); pb_finish(b); b->buf[46] = 0x30; pb_pad60(b);
    ADD(x, *b, V4, S, OTH, MAL, "tcp data offset 3");
    eth(b, 0x86dd); pb_ipv6(b, A6, B6, 0, 64, 0, 0);
    { uint8_t h[8] = {17, 255, 1, 4, 0, 0, 0, 0}; pb_bytes(b, h, 8); }
    l4(b, IK_UDP, true, 20); fin(b);
    ADD(x, *b, V6, S, OTH, TR, "hop-by-hop length 255 beyond the frame");
    pb_reset(b); pb_eth(b, MAC_B, MAC_A);
    fx_add(&x, b, 0, O, O, OTH, TR, "12-byte frame (no ethertype)");
    eth(b, 0x8100); pb_u16(b, 5);
    fx_add(&x, b, 0, O, O, OTH, TR, "802.1Q tag without inner ethertype");
    emit(ctx, &x);
}

/* ---- wireless link types, NFLOG, PKTAP, MACsec ------------------------------- */

/* 802.11 MAC header: frame control (fc0 = version/type/subtype, fc1 =
 * flags), duration, addresses 1-3, sequence control (fragment number in
 * the low 4 bits), address 4 with ToDS+FromDS, QoS control for QoS
 * subtypes (qos0 = its first byte), HT control when QoS and Order. */
static void wlan_hdr(struct pb *b, uint8_t fc0, uint8_t fc1, uint16_t seq, uint8_t qos0)
{
    pb_u8(b, fc0);
    pb_u8(b, fc1);
    pb_u16(b, 0x3a01);
    pb_bytes(b, MAC_A, 6);
    pb_bytes(b, MAC_B, 6);
    pb_bytes(b, MAC_B, 6);
    pb_u16le(b, seq);
    if ((fc1 & 3) == 3)
        pb_bytes(b, MAC_A, 6);
    if (fc0 & 0x80) { /* QoS subtype */
        pb_u8(b, qos0);
        pb_u8(b, 0);
        if (fc1 & 0x80)
            pb_u32(b, 0); /* HT control */
    }
}

static void snap(struct pb *b, uint16_t et)
{
    static const uint8_t llc[6] = {0xaa, 0xaa, 0x03, 0, 0, 0};
    pb_bytes(b, llc, 6);
    pb_u16(b, et);
}

/* radiotap: present = TSFT + Flags (+ an extended bitmap word when ext) */
static void radiotap(struct pb *b, uint8_t flags, bool ext)
{
    pb_u8(b, 0);
    pb_u8(b, 0);
    pb_u16le(b, ext ? 28 : 20);
    pb_u32le(b, ext ? 0x80000003u : 0x00000003u);
    if (ext)
        pb_u32le(b, 0x00000000u);
    while (b->len % 8)
        pb_u8(b, 0);
    pb_u32le(b, 0x01020304u); /* TSFT */
    pb_u32le(b, 0);
    pb_u8(b, flags);
    pb_zero(b, 3);
}

static void fx_wireless(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx x = {.name = "ieee802_11", .desc = "802.11 (LINKTYPE 105): data, QoS data with 4 addresses, HT control, A-MSDU, protected, null, fragment, beacon", .linktype = 105};
    pb_reset(b); wlan_hdr(b, 0x08, 0x02, 0x0010, 0); snap(b, 0x0800); in4(b, IK_TCP, 40); pb_finish(b);
    ADD(x, *b, V4, S, OTH, OK, "data FromDS ipv4");
    pb_reset(b); wlan_hdr(b, 0x88, 0x03, 0x0020, 0); snap(b, 0x86dd); in6(b, IK_UDP, 40); pb_finish(b);
    ADD(x, *b, V6, S, OTH, OK, "QoS data, 4 addresses, ipv6");
    pb_reset(b); wlan_hdr(b, 0x88, 0x81, 0x0030, 0); snap(b, 0x0800); in4(b, IK_UDP, 40); pb_finish(b);
    ADD(x, *b, V4, S, OTH, OK, "QoS data + Order: HT control, ipv4");
    /* A-MSDU: an IPv4 subframe, then an IPv6 one (the last IP layer
     * counts, as in tshark) */
    uint8_t sub[600];
    pb_reset(b); snap(b, 0x0800); in4(b, IK_UDP, 30); pb_finish(b);
    size_t n1 = b->len < sizeof(sub) ? b->len : sizeof(sub);
    memcpy(sub, b->buf, n1);
    pb_reset(b); wlan_hdr(b, 0x88, 0x01, 0x0040, 0x80);
    pb_bytes(b, MAC_B, 6); pb_bytes(b, MAC_A, 6); pb_u16(b, (uint16_t)n1); pb_bytes(b, sub, n1);
    while ((b->len - 26) % 4)
        pb_u8(b, 0);
    size_t at = b->len;
    pb_bytes(b, MAC_B, 6); pb_bytes(b, MAC_A, 6); pb_u16(b, 0);
    size_t start = b->len;
    snap(b, 0x86dd); in6(b, IK_TCP, 20); pb_finish(b);
    put16(b->buf + at + 12, (uint16_t)(b->len - start));
    ADD(x, *b, V6, S, OTH, OK, "A-MSDU ipv4 + ipv6 subframes");
    pb_reset(b); wlan_hdr(b, 0x88, 0x41, 0x0050, 0); pb_zero(b, 8); payload(b, 60);
    ADD(x, *b, O, S, OTH, OK, "protected QoS data");
    pb_reset(b); wlan_hdr(b, 0x48, 0x01, 0x0060, 0);
    ADD(x, *b, O, S, OTH, OK, "null data");
    pb_reset(b); wlan_hdr(b, 0x08, 0x06, 0x0070, 0); snap(b, 0x0800); in4(b, IK_TCP, 40); pb_finish(b);
    ADD(x, *b, O, S, OTH, OK, "first fragment (More Fragments), never completed");
    pb_reset(b); wlan_hdr(b, 0x08, 0x02, 0x0082, 0); snap(b, 0x86dd); in6(b, IK_UDP, 30); pb_finish(b);
    ADD(x, *b, V6, S, OTH, OK, "a last fragment (number 2) whose others were not captured: read whole");
    pb_reset(b); wlan_hdr(b, 0x80, 0x00, 0x0080, 0); pb_zero(b, 12); pb_u16(b, 0); pb_u8(b, 0); pb_u8(b, 4); payload(b, 4);
    ADD(x, *b, O, S, OTH, OK, "beacon");
    pb_reset(b); wlan_hdr(b, 0x08, 0x01, 0x0090, 0); pb_u8(b, 0x42); pb_u8(b, 0x42); pb_u8(b, 0x03); payload(b, 40);
    ADD(x, *b, O, S, OTH, OK, "plain LLC (STP)");
    emit(ctx, &x);

    struct fx r = {.name = "radiotap", .desc = "radiotap + 802.11 (LINKTYPE 127): TSFT and Flags, data pad, FCS, extended present bitmap", .linktype = 127};
    pb_reset(b); radiotap(b, 0x00, false); wlan_hdr(b, 0x08, 0x02, 0x0100, 0); snap(b, 0x0800); in4(b, IK_TCP, 40); pb_finish(b);
    ADD(r, *b, V4, S, OTH, OK, "data ipv4");
    pb_reset(b); radiotap(b, 0x20, false); wlan_hdr(b, 0x88, 0x02, 0x0110, 0); pb_zero(b, 2); snap(b, 0x86dd); in6(b, IK_UDP, 40); pb_finish(b);
    ADD(r, *b, V6, S, OTH, OK, "data pad: QoS header padded to 28 bytes, ipv6");
    pb_reset(b); radiotap(b, 0x10, false); wlan_hdr(b, 0x08, 0x01, 0x0120, 0); snap(b, 0x86dd); in6(b, IK_TCP, 40); pb_finish(b); pb_u32(b, 0xdeadbeef);
    ADD(r, *b, V6, S, OTH, OK, "FCS at the end, ipv6");
    pb_reset(b); radiotap(b, 0x00, true); wlan_hdr(b, 0x08, 0x02, 0x0130, 0); snap(b, 0x0800); in4(b, IK_UDP, 40); pb_finish(b);
    ADD(r, *b, V4, S, OTH, OK, "two present words, ipv4");
    pb_reset(b); radiotap(b, 0x00, false); wlan_hdr(b, 0x88, 0x42, 0x0140, 0); pb_zero(b, 8); payload(b, 60);
    ADD(r, *b, O, S, OTH, OK, "protected");
    pb_reset(b); radiotap(b, 0x00, false); wlan_hdr(b, 0x80, 0x00, 0x0150, 0); pb_zero(b, 12); pb_u16(b, 0); pb_u8(b, 0); pb_u8(b, 4); payload(b, 4);
    ADD(r, *b, O, S, OTH, OK, "beacon");
    emit(ctx, &r);

    struct fx p = {.name = "ppi_80211", .desc = "PPI (LINKTYPE 192) around 802.11", .linktype = 192};
    pb_reset(b); pb_u8(b, 0); pb_u8(b, 0); pb_u16le(b, 8); pb_u32le(b, 105);
    wlan_hdr(b, 0x08, 0x02, 0x0200, 0); snap(b, 0x86dd); in6(b, IK_ICMP, 20); pb_finish(b);
    ADD(p, *b, V6, S, OTH, OK, "PPI 802.11 ipv6");
    pb_reset(b); pb_u8(b, 0); pb_u8(b, 0); pb_u16le(b, 8); pb_u32le(b, 105);
    wlan_hdr(b, 0x08, 0x01, 0x0210, 0); snap(b, 0x0800); in4(b, IK_ICMP, 20); pb_finish(b);
    ADD(p, *b, V4, S, OTH, OK, "PPI 802.11 ipv4");
    emit(ctx, &p);

    struct fx a = {.name = "avs", .desc = "AVS header + 802.11 (LINKTYPE 163)", .linktype = 163};
    pb_reset(b); pb_u32(b, 0x80211001u); pb_u32(b, 64); pb_zero(b, 56);
    wlan_hdr(b, 0x08, 0x02, 0x0300, 0); snap(b, 0x0800); in4(b, IK_TCP, 30); pb_finish(b);
    ADD(a, *b, V4, S, OTH, OK, "AVS 802.11 ipv4");
    emit(ctx, &a);
}

/* NFLOG TLV: length (4 + value) and type little-endian, value padded. */
static void nflog_tlv(struct pb *b, uint16_t type, const void *v, size_t n)
{
    pb_u16le(b, (uint16_t)(4 + n));
    pb_u16le(b, type);
    pb_bytes(b, v, n);
    while (n++ % 4)
        pb_u8(b, 0);
}

static void nflog_head(struct pb *b, uint8_t af)
{
    static const uint8_t hw[4] = {0x08, 0x00, 0x01, 0x00};
    static const uint8_t prefix[2] = {'x', 0};
    static const uint8_t ifi[4] = {0, 0, 0, 2};
    pb_reset(b);
    pb_u8(b, af);
    pb_u8(b, 0);
    pb_u16(b, 20);
    nflog_tlv(b, 1, hw, 4);
    nflog_tlv(b, 10, prefix, 2);
    nflog_tlv(b, 4, ifi, 4);
}

/* The payload TLV around what in4()/in6() wrote from `at` on. */
static void nflog_payload_close(struct pb *b, size_t at)
{
    size_t n = b->len - at - 4;
    b->buf[at] = (uint8_t)(n + 4);
    b->buf[at + 1] = (uint8_t)((n + 4) >> 8);
    while (n++ % 4)
        pb_u8(b, 0);
}

static void fx_logs(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx n = {.name = "nflog", .desc = "NFLOG (LINKTYPE 239): AF_INET, AF_INET6, no payload TLV", .linktype = 239};
    nflog_head(b, 2);
    size_t at = b->len;
    pb_u16le(b, 0); pb_u16le(b, 9); in4(b, IK_TCP, 30); pb_finish(b); nflog_payload_close(b, at);
    ADD(n, *b, V4, S, OTH, OK, "AF_INET payload");
    nflog_head(b, 10);
    at = b->len;
    pb_u16le(b, 0); pb_u16le(b, 9); in6(b, IK_UDP, 31); pb_finish(b); nflog_payload_close(b, at);
    ADD(n, *b, V6, S, OTH, OK, "AF_INET6 payload");
    nflog_head(b, 2);
    ADD(n, *b, O, S, OTH, OK, "no payload TLV");
    emit(ctx, &n);

    struct fx k = {.name = "pktap", .desc = "Apple PKTAP (LINKTYPE 258) around Ethernet", .linktype = 258};
    for (int i = 0; i < 3; i++) {
        pb_reset(b);
        pb_u32le(b, 108);
        pb_u32le(b, i < 2 ? 1 : 0);
        pb_u32le(b, 1);
        pb_bytes(b, "en0", 3);
        pb_zero(b, 108 - 15);
        pb_eth(b, MAC_B, MAC_A);
        pb_u16(b, i == 1 ? 0x86dd : 0x0800);
        in46(b, i == 1, IK_TCP, 20);
        pb_finish(b);
        static const char *const d[3] = {"Ethernet ipv4", "Ethernet ipv6", "type_next 0: no packet"};
        ADD(k, *b, i == 0 ? V4 : i == 1 ? V6 : O, S, OTH, OK, d[i]);
    }
    emit(ctx, &k);

    struct fx m = {.name = "macsec", .desc = "MACsec integrity only (with and without SCI) and encrypted", .linktype = 1};
    for (int i = 0; i < 3; i++) {
        eth(b, 0x88e5);
        pb_u8(b, i == 0 ? 0x20 : i == 1 ? 0x00 : 0x2c);
        pb_u8(b, 0);
        pb_u32(b, 0x44 + (uint32_t)i);
        if (i != 1) {
            pb_bytes(b, MAC_A, 6);
            pb_u16(b, 1);
        }
        if (i == 2) {
            payload(b, 64);
        } else {
            pb_u16(b, i == 0 ? 0x0800 : 0x86dd);
            in46(b, i != 0, IK_ICMP, 40);
            pb_finish(b);
        }
        pb_zero(b, 16); /* ICV */
        static const char *const d[3] = {"integrity only, SCI, ipv4", "integrity only, no SCI, ipv6", "encrypted"};
        ADD(m, *b, i == 0 ? V4 : i == 1 ? V6 : O, S, OTH, OK, d[i]);
    }
    emit(ctx, &m);
}

/* sFlow v5 datagram header (agent IPv4 or IPv6) announcing n samples. */
static void sflow_head(struct pb *b, bool agent6, uint32_t n)
{
    pb_u32(b, 5);
    pb_u32(b, agent6 ? 2 : 1);
    if (agent6)
        pb_bytes(b, TA6, 16);
    else
        pb_u32(b, TA4);
    pb_u32(b, 0);
    pb_u32(b, 7);
    pb_u32(b, 123456);
    pb_u32(b, n);
}

/* A flow sample (expanded when ex) with one raw packet header record. */
static void sflow_flow(struct pb *b, bool ex, uint32_t proto, const uint8_t *hdr, size_t n)
{
    size_t pad = (4 - n % 4) % 4;
    size_t rec = 8 + 16 + n + pad;
    pb_u32(b, ex ? 3 : 1);
    pb_u32(b, (uint32_t)((ex ? 44 : 32) + rec));
    pb_u32(b, 1);
    if (ex) {
        pb_u32(b, 0);
        pb_u32(b, 3);
    } else {
        pb_u32(b, 3);
    }
    pb_u32(b, 512);
    pb_u32(b, 1000);
    pb_u32(b, 0);
    if (ex) {
        pb_u32(b, 0);
        pb_u32(b, 1);
        pb_u32(b, 0);
        pb_u32(b, 2);
    } else {
        pb_u32(b, 1);
        pb_u32(b, 2);
    }
    pb_u32(b, 1);     /* one record */
    pb_u32(b, 1);     /* raw packet header */
    pb_u32(b, (uint32_t)(16 + n + pad));
    pb_u32(b, proto);
    pb_u32(b, (uint32_t)n + 100);
    pb_u32(b, 0);
    pb_u32(b, (uint32_t)n);
    pb_bytes(b, hdr, n);
    pb_zero(b, pad);
}

static void fx_samplers(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx x = {.name = "sflow_tzsp", .desc = "sFlow v5 (UDP 6343) sampled headers and TZSP (UDP 37008): tshark decodes the copies", .linktype = 1};
    uint8_t e6[400], i4[400];
    pb_reset(b); pb_eth(b, MAC_B, MAC_A); pb_u16(b, 0x86dd); in6(b, IK_UDP, 20); pb_finish(b);
    size_t ne6 = b->len;
    memcpy(e6, b->buf, ne6);
    pb_reset(b); in4(b, IK_TCP, 20); pb_finish(b);
    size_t ni4 = b->len;
    memcpy(i4, b->buf, ni4);

    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 17, 64, 0, 30, 0, NULL, 0); pb_udp(b, 6343, 6343);
    sflow_head(b, false, 1); sflow_flow(b, false, 1, e6, ne6); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "sflow: one ethernet/ipv6 header");
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 17, 64, 0, 31, 0, NULL, 0); pb_udp(b, 6343, 6343);
    sflow_head(b, false, 2); sflow_flow(b, false, 11, i4, ni4); sflow_flow(b, false, 1, e6, ne6); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "sflow: ipv4 header, then ethernet/ipv6 (the last counts)");
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 17, 64, 0, 32, 0, NULL, 0); pb_udp(b, 6343, 6343);
    sflow_head(b, false, 1); pb_u32(b, 2); pb_u32(b, 12); pb_u32(b, 1); pb_u32(b, 3); pb_u32(b, 0); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "sflow: a counter sample only");
    eth(b, 0x86dd); pb_ipv6(b, TA6, TB6, 17, 64, 0, 0); pb_udp(b, 6343, 6343);
    sflow_head(b, true, 1); sflow_flow(b, true, 11, i4, ni4); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "sflow over ipv6, expanded sample, ipv4 header");
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 17, 64, 0, 33, 0, NULL, 0); pb_udp(b, 40000, 37008);
    pb_u8(b, 1); pb_u8(b, 0); pb_u16(b, 1); pb_u8(b, 10); pb_u8(b, 4); pb_u32(b, 1); pb_u8(b, 0); pb_u8(b, 1);
    pb_bytes(b, e6, ne6); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "tzsp received ethernet/ipv6, a tag and padding");
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 17, 64, 0, 34, 0, NULL, 0); pb_udp(b, 40000, 37008);
    pb_u8(b, 1); pb_u8(b, 5); pb_u16(b, 1); pb_u8(b, 1); pb_bytes(b, e6, ne6); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "tzsp type 5: nothing read");
    emit(ctx, &x);
}

static void fx_legacy_links(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx f = {.name = "frame_relay", .desc = "Frame Relay (LINKTYPE 107): Cisco ethertype, RFC 2427 NLPID IPv4/IPv6/SNAP, padded NLPID, 3-byte address, CLNP", .linktype = 107};
    pb_reset(b); pb_u16(b, 0x48e1); pb_u16(b, 0x86dd); in6(b, IK_UDP, 30); pb_finish(b);
    ADD(f, *b, V6, S, OTH, OK, "cisco ethertype ipv6");
    pb_reset(b); pb_u16(b, 0x0401); pb_u8(b, 0x03); pb_u8(b, 0xcc); in4(b, IK_TCP, 30); pb_finish(b);
    ADD(f, *b, V4, S, OTH, OK, "nlpid cc ipv4");
    pb_reset(b); pb_u16(b, 0x0401); pb_u8(b, 0x03); pb_u8(b, 0x8e); in6(b, IK_ICMP, 30); pb_finish(b);
    ADD(f, *b, V6, S, OTH, OK, "nlpid 8e ipv6");
    pb_reset(b); pb_u16(b, 0x0401); pb_u8(b, 0x03); pb_u8(b, 0x00); pb_u8(b, 0xcc); in4(b, IK_UDP, 30); pb_finish(b);
    ADD(f, *b, V4, S, OTH, OK, "pad + nlpid cc ipv4");
    pb_reset(b); pb_u16(b, 0x0401); pb_u8(b, 0x03); pb_u8(b, 0x80); pb_u8(b, 0); pb_u16(b, 0); pb_u16(b, 0x86dd); in6(b, IK_TCP, 30); pb_finish(b);
    ADD(f, *b, V6, S, OTH, OK, "snap ethertype 86dd");
    pb_reset(b); pb_u8(b, 0x04); pb_u8(b, 0x00); pb_u8(b, 0x81); pb_u8(b, 0x03); pb_u8(b, 0xcc); in4(b, IK_TCP, 30); pb_finish(b);
    ADD(f, *b, V4, S, OTH, OK, "3-byte address, nlpid cc");
    pb_reset(b); pb_u16(b, 0x0401); pb_u8(b, 0x03); pb_u8(b, 0x81); payload(b, 40);
    ADD(f, *b, O, S, OTH, OK, "nlpid 81 clnp");
    emit(ctx, &f);

    struct fx n = {.name = "ipnet", .desc = "Solaris IPNET (LINKTYPE 226): families 2 and 26, another family", .linktype = 226};
    static const uint8_t fams[3] = {2, 26, 6};
    for (int i = 0; i < 3; i++) {
        pb_reset(b);
        pb_u8(b, 1);
        pb_u8(b, fams[i]);
        pb_u16(b, 0);
        pb_u32(b, 0);
        pb_u32(b, 2);
        pb_u32(b, 0);
        pb_u32(b, 0);
        pb_u32(b, 0xffffffffu);
        in46(b, i != 0, IK_ICMP, 30);
        pb_finish(b);
        static const char *const d[3] = {"family 2 ipv4", "family 26 ipv6", "family 6: not IP"};
        ADD(n, *b, i == 0 ? V4 : i == 1 ? V6 : O, S, OTH, OK, d[i]);
    }
    emit(ctx, &n);

    struct fx a = {.name = "arista", .desc = "Arista timestamp ethertype 0xd28b: 64- and 48-bit times, a version tshark does not read", .linktype = 1};
    static const uint16_t vers[4] = {0x0010, 0x0120, 0x0011, 0x0020};
    for (int i = 0; i < 4; i++) {
        eth(b, 0xd28b);
        pb_u16(b, 1);
        pb_u16(b, vers[i]);
        pb_u32(b, 0x5ceeed57u);
        pb_u16(b, 0x384f);
        if ((vers[i] & 0xf0) == 0x10)
            pb_u16(b, 0x59c8);
        if (i == 1) {
            pb_u16(b, 0x8100);
            pb_u16(b, 100);
        }
        pb_u16(b, i == 3 ? 0x86dd : 0x0800);
        in46(b, i == 3, IK_UDP, 20);
        fin(b);
        static const char *const d[4] = {"version 0x0010 ipv4", "version 0x0120, vlan, ipv4",
                                         "version 0x0011 (tshark: not read)", "version 0x0020 (48-bit) ipv6"};
        ADD(a, *b, i == 2 ? O : i == 3 ? V6 : V4, S, OTH, OK, d[i]);
    }
    emit(ctx, &a);

    struct fx l = {.name = "llc_snap", .desc = "802.3 + LLC/SNAP (OUI 000000 and 0000f8) carrying IPv4/IPv6, tagged, with trailer; CDP and STP stay non-IP", .linktype = 1};
    for (int i = 0; i < 6; i++) {
        pb_reset(b);
        pb_eth(b, MAC_B, MAC_A);
        if (i == 2) {
            pb_u16(b, 0x8100);
            pb_u16(b, 100);
        }
        size_t len_at = b->len;
        pb_u16(b, 0);
        static const uint8_t snap0[6] = {0xaa, 0xaa, 0x03, 0, 0, 0};
        static const uint8_t snapf8[6] = {0xaa, 0xaa, 0x03, 0, 0, 0xf8};
        static const uint8_t cdp[6] = {0xaa, 0xaa, 0x03, 0, 0, 0x0c};
        if (i == 4) {
            pb_u8(b, 0x42); pb_u8(b, 0x42); pb_u8(b, 0x03); payload(b, 35);
        } else {
            pb_bytes(b, i == 3 ? cdp : i == 5 ? snapf8 : snap0, 6);
            pb_u16(b, i == 3 ? 0x2000 : i == 1 ? 0x86dd : 0x0800);
            in46(b, i == 1, IK_UDP, 20);
            pb_finish(b);
        }
        put16(b->buf + len_at, (uint16_t)(b->len - len_at - 2));
        if (i == 0)
            pb_zero(b, 20); /* a trailer past the 802.3 length */
        static const char *const d[6] = {"snap ipv4 + trailer", "snap ipv6", "vlan, snap ipv4",
                                         "cdp (vendor snap)", "stp (plain llc)", "snap oui 0000f8 ipv4"};
        ADD(l, *b, i == 1 ? V6 : (i == 3 || i == 4) ? O : V4, S, OTH, OK, d[i]);
    }
    emit(ctx, &l);

    struct fx h = {.name = "nsh", .desc = "NSH (ethertype 0x894f, RFC 8300): MD type 1 and 2, IPv4, IPv6, Ethernet", .linktype = 1};
    static const uint8_t nexts[3] = {1, 2, 3};
    for (int i = 0; i < 3; i++) {
        eth(b, 0x894f);
        bool md1 = i == 0;
        pb_u8(b, 0x0f);
        pb_u8(b, md1 ? 6 : 2);
        pb_u8(b, md1 ? 1 : 2);
        pb_u8(b, nexts[i]);
        pb_u32(b, (42u << 8) | 255u);
        if (md1)
            pb_zero(b, 16);
        if (i == 2) {
            pb_eth(b, MAC_B, MAC_A);
            pb_u16(b, 0x0800);
        }
        in46(b, i == 1, IK_UDP, 20);
        fin(b);
        static const char *const d[3] = {"md type 1, ipv4", "md type 2, ipv6", "md type 2, ethernet ipv4"};
        ADD(h, *b, i == 1 ? V6 : V4, S, OTH, OK, d[i]);
    }
    emit(ctx, &h);
}

/* ---- more layer-2 carriers (checked with tshark 4.0.17) ----------------- */

/* An 802.3 frame: length field patched after the body is written. */
static void llc_frame(struct pb *b, const uint8_t *llc, size_t n)
{
    pb_reset(b);
    pb_eth(b, MAC_B, MAC_A);
    pb_u16(b, 0);
    pb_bytes(b, llc, n);
}

static void llc_close(struct pb *b)
{
    pb_finish(b);
    put16(b->buf + 12, (uint16_t)(b->len - 14));
    pb_pad60(b);
}

static void fx_l2_tags(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx x = {.name = "pbb_port_tags", .desc = "802.1ah PBB (nested, under an S-tag), VN-Tag, E-Tag, Cisco MetaData; 802.3 lengths after them; 0x88a8 + length and 0x9200 (tshark: data)", .linktype = 1};
    eth(b, 0x88e7); pb_u32(b, 0x00000100); pb_bytes(b, MAC_A, 6); pb_bytes(b, MAC_B, 6);
    pb_u16(b, 0x0800); in4(b, IK_TCP, 30); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "pbb i-sid 256, ipv4");
    eth(b, 0x88e7); pb_u32(b, 0x00000101); pb_bytes(b, MAC_A, 6); pb_bytes(b, MAC_B, 6);
    pb_u16(b, 0x88e7); pb_u32(b, 0x00000102); pb_bytes(b, MAC_A, 6); pb_bytes(b, MAC_B, 6);
    pb_u16(b, 0x8100); pb_u16(b, 7); pb_u16(b, 0x86dd); in6(b, IK_UDP, 30); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "pbb in pbb, vlan, ipv6");
    eth(b, 0x88a8); pb_u16(b, 30); pb_u16(b, 0x88e7); pb_u32(b, 0x00000103); pb_bytes(b, MAC_A, 6);
    pb_bytes(b, MAC_B, 6); pb_u16(b, 0x0800); in4(b, IK_UDP, 30); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "s-tag then pbb, ipv4");
    eth(b, 0x88e7); pb_u32(b, 0x00000104); pb_bytes(b, MAC_A, 6); pb_bytes(b, MAC_B, 6);
    pb_u16(b, 0x0030); static const uint8_t snap4[8] = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
    pb_bytes(b, snap4, 8); in4(b, IK_UDP, 16); fin(b);
    ADD(x, *b, O, S, OTH, OK, "pbb then an 802.3 length: not read");
    eth(b, 0x88e7); pb_u32(b, 0x00000105); pb_bytes(b, MAC_A, 6);
    ADD(x, *b, O, S, OTH, TR, "pbb cut in the customer addresses");
    eth(b, 0x8926); pb_u32(b, 0x80010002); pb_u16(b, 0x0800); in4(b, IK_ICMP, 30); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "vn-tag ipv4");
    eth(b, 0x8100); pb_u16(b, 5); pb_u16(b, 0x8926); pb_u32(b, 0x00010002); pb_u16(b, 0x8100);
    pb_u16(b, 6); pb_u16(b, 0x86dd); in6(b, IK_TCP, 30); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "vlan, vn-tag, vlan, ipv6");
    eth(b, 0x8926); pb_u32(b, 0x00010002); size_t at = b->len; pb_u16(b, 0); pb_bytes(b, snap4, 8);
    in4(b, IK_UDP, 20); pb_finish(b); put16(b->buf + at, (uint16_t)(b->len - at - 2)); pb_pad60(b);
    ADD(x, *b, V4, S, OTH, OK, "vn-tag then 802.3 + snap ipv4");
    eth(b, 0x893f); pb_u16(b, 0x0001); pb_u32(b, 0x00020003); pb_u16(b, 0x0800); in4(b, IK_TCP, 30); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "e-tag ipv4");
    eth(b, 0x893f); pb_u16(b, 0x0001); pb_u32(b, 0x00020003); pb_u16(b, 0x0030); pb_bytes(b, snap4, 8);
    in4(b, IK_UDP, 16); fin(b);
    ADD(x, *b, O, S, OTH, OK, "e-tag then an 802.3 length: not read");
    eth(b, 0x8909); pb_u8(b, 1); pb_u8(b, 1); pb_u16(b, 1); pb_u16(b, 42); pb_u16(b, 0x86dd);
    in6(b, IK_UDP, 30); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "cisco metadata sgt 42, ipv6");
    eth(b, 0x88a8); pb_u16(b, 30); pb_u16(b, 0x0030); pb_bytes(b, snap4, 8); in4(b, IK_UDP, 16); fin(b);
    ADD(x, *b, O, S, OTH, OK, "s-tag then an 802.3 length: not read");
    eth(b, 0x88a8); pb_u16(b, 30); pb_u16(b, 0x8100); pb_u16(b, 31); pb_u16(b, 0x0030); pb_bytes(b, snap4, 8);
    in4(b, IK_UDP, 16); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "s-tag, c-tag, 802.3 + snap ipv4");
    eth(b, 0x9100); pb_u16(b, 30); pb_u16(b, 0x0030); pb_bytes(b, snap4, 8); in4(b, IK_UDP, 16); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "0x9100 tag, 802.3 + snap ipv4");
    eth(b, 0x9200); pb_u16(b, 30); pb_u16(b, 0x0800); in4(b, IK_UDP, 16); fin(b);
    ADD(x, *b, O, S, OTH, OK, "0x9200: not a tag");
    emit(ctx, &x);

    struct fx l = {.name = "llc_ip", .desc = "LLC DSAP 0x06 (UI and I frames, XID), SNAP OUI 0080c2 bridged Ethernet with and without FCS, a bridged BPDU", .linktype = 1};
    static const uint8_t ui[3] = {0x06, 0x06, 0x03}, iframe[4] = {0x06, 0x06, 0x00, 0x02};
    static const uint8_t xid[3] = {0x06, 0x06, 0xaf}, grp[3] = {0x07, 0x06, 0x03};
    llc_frame(b, ui, 3); in4(b, IK_TCP, 30); llc_close(b);
    ADD(l, *b, V4, S, OTH, OK, "sap 06 ui, ipv4");
    llc_frame(b, iframe, 4); in4(b, IK_UDP, 30); llc_close(b);
    ADD(l, *b, V4, S, OTH, OK, "sap 06 i frame, ipv4");
    llc_frame(b, ui, 3); in6(b, IK_UDP, 30); llc_close(b);
    ADD(l, *b, V6, S, OTH, OK, "sap 06 ui, version 6 (tshark: ip then ipv6)");
    llc_frame(b, xid, 3); in4(b, IK_UDP, 30); llc_close(b);
    ADD(l, *b, O, S, OTH, OK, "sap 06 xid: no information field");
    llc_frame(b, grp, 3); in4(b, IK_UDP, 30); llc_close(b);
    ADD(l, *b, O, S, OTH, OK, "dsap 07 (group bit): not ip");
    for (int i = 0; i < 3; i++) {
        static const uint8_t pids[3] = {0x07, 0x01, 0x0e};
        uint8_t br[10] = {0xaa, 0xaa, 0x03, 0x00, 0x80, 0xc2, 0x00, pids[i], 0, 0};
        llc_frame(b, br, 10);
        pb_eth(b, MAC_A, MAC_B);
        pb_u16(b, i == 1 ? 0x86dd : 0x0800);
        in46(b, i == 1, IK_UDP, 20);
        if (i == 1)
            pb_u32(b, 0xdeadbeefu); /* the bridged frame's FCS */
        llc_close(b);
        static const char *const d[3] = {"bridged pid 7 ipv4", "bridged pid 1 (fcs) ipv6", "pid 0e bpdu: not ip"};
        ADD(l, *b, i == 0 ? V4 : i == 1 ? V6 : O, S, OTH, OK, d[i]);
    }
    emit(ctx, &l);

    struct fx f = {.name = "fddi", .desc = "FDDI (LINKTYPE 10): asynchronous LLC frames with SNAP and DSAP 06, SMT and synchronous frames, a cut header", .linktype = 10};
    static const uint8_t fcs[6] = {0x50, 0x57, 0x5f, 0x41, 0xd0, 0x54};
    for (int i = 0; i < 6; i++) {
        pb_reset(b);
        pb_u8(b, fcs[i]);
        pb_bytes(b, MAC_B, 6);
        pb_bytes(b, MAC_A, 6);
        if (i == 5) {
            pb_bytes(b, ui, 3);
        } else {
            pb_bytes(b, snap4, 6);
            pb_u16(b, i == 1 ? 0x86dd : 0x0800);
        }
        in46(b, i == 1, IK_TCP, 20);
        pb_finish(b);
        static const char *const d[6] = {"fc 50 snap ipv4", "fc 57 snap ipv6", "fc 5f snap ipv4",
                                         "fc 41 smt: not llc", "fc d0 synchronous: not read", "fc 54 dsap 06 ipv4"};
        ADD(f, *b, (i == 3 || i == 4) ? O : i == 1 ? V6 : V4, S, OTH, OK, d[i]);
    }
    pb_reset(b); pb_u8(b, 0x50); pb_bytes(b, MAC_B, 6); pb_bytes(b, MAC_A, 4);
    ADD(f, *b, O, S, OTH, TR, "cut in the source address");
    emit(ctx, &f);

    struct fx ce = {.name = "centrino", .desc = "Intel Centrino promiscuous ethertype 0x2452: 802.11 data frames, 'protected' ones already decrypted behind their IV (4 bytes, 8 with ExtIV); a fragment", .linktype = 1};
    for (int i = 0; i < 4; i++) {
        static const uint8_t fc1s[4] = {0x02, 0x42, 0x42, 0x46};
        eth(b, 0x2452);
        pb_u8(b, i == 2 ? 0x88 : 0x08); /* QoS data in the third */
        pb_u8(b, fc1s[i]);
        pb_u16(b, 0);
        pb_bytes(b, BCAST, 6);
        pb_bytes(b, MAC_A, 6);
        pb_bytes(b, MAC_B, 6);
        pb_u16(b, 0);
        if (i == 2)
            pb_u16(b, 0);
        if (fc1s[i] & 0x40) {
            pb_u32(b, i == 2 ? 0x5fd21720u : 0x5fd21700u);
            if (i == 2)
                pb_u32(b, 0);
        }
        pb_bytes(b, snap4, 6);
        pb_u16(b, i == 1 ? 0x86dd : 0x0800);
        in46(b, i == 1, IK_UDP, 20);
        fin(b);
        static const char *const d[4] = {"plain data, ipv4", "protected, 4-byte iv, ipv6",
                                         "qos, protected, extended iv, ipv4", "more fragments: not read"};
        ADD(ce, *b, i == 3 ? O : i == 1 ? V6 : V4, S, OTH, OK, d[i]);
    }
    emit(ctx, &ce);

    struct fx j = {.name = "juniper", .desc = "Juniper Ethernet (LINKTYPE 178): the MGC header with and without extensions, no-L2 packets by protocol (IPv4, IPv6, MPLS, Ethernet, unknown), no magic", .linktype = 178};
    static const uint32_t jp[6] = {2, 6, 5, 204, 1, 0};
    for (int i = 0; i < 8; i++) {
        pb_reset(b);
        pb_bytes(b, i == 7 ? "MGX" : "MGC", 3);
        uint8_t fl = i == 1 ? 0x80 : (i >= 2 && i < 7) ? 0x02 : 0x00;
        if (i == 6)
            fl = 0x82;
        pb_u8(b, fl);
        if (fl & 0x80) {
            pb_u16(b, 4);
            pb_u32(b, 0x01020005u);
        }
        int k = i == 6 ? 4 : i - 2;
        if (fl & 0x02) {
            uint32_t proto = jp[k];
            pb_u8(b, (uint8_t)proto); pb_u8(b, (uint8_t)(proto >> 8)); pb_u16(b, 0);
            if (proto == 5)
                pb_u32(b, (300u << 12) | 0x100 | 64);
            if (proto == 204) {
                pb_eth(b, MAC_B, MAC_A);
                pb_u16(b, 0x0800);
            }
            in46(b, proto == 6 || proto == 5, IK_UDP, 20);
        } else {
            pb_eth(b, MAC_B, MAC_A);
            pb_u16(b, i == 1 ? 0x86dd : 0x0800);
            in46(b, i == 1, IK_TCP, 20);
        }
        pb_finish(b);
        static const char *const d[8] = {"ethernet ipv4", "extensions, ethernet ipv6", "no l2, proto 2 ipv4",
                                         "no l2, proto 6 ipv6", "no l2, proto 5 mpls ipv6", "no l2, proto 204 ethernet ipv4",
                                         "extensions, no l2, proto 1: not read", "no magic: ethernet from byte 0"};
        uint8_t fam = (i == 6 || i == 7) ? O : (i == 1 || i == 3 || i == 4) ? V6 : V4;
        ADD(j, *b, fam, S, OTH, OK, d[i]);
    }
    emit(ctx, &j);

    struct fx m = {.name = "mpls_ach", .desc = "MPLS associated channel (RFC 4385/5586): IPv4/IPv6/BFD channels, the GAL (13) always an ACH, the OAM alert label (14) no payload, 13/14 above the bottom ordinary; IPv4 protocol 41 with no payload (tshark: no IPv6 layer)", .linktype = 1};
    for (int i = 0; i < 8; i++) {
        eth(b, 0x8847);
        static const uint32_t top[8] = {2000, 2000, 2000, 2000, 2000, 2000, 13, 14};
        static const uint32_t bot[8] = {0, 0, 0, 13, 13, 14, 2000, 2000};
        if (bot[i]) {
            pb_u32(b, (top[i] << 12) | 64);
            pb_u32(b, (bot[i] << 12) | 0x100 | 64);
        } else {
            pb_u32(b, (top[i] << 12) | 0x100 | 64);
        }
        static const uint16_t ch[8] = {0x0021, 0x0057, 0x0007, 0x0021, 0, 0, 0, 0};
        if (ch[i]) {
            pb_u16(b, 0x1000);
            pb_u16(b, ch[i]);
        }
        in46(b, i == 1 || i == 7, IK_UDP, 20);
        fin(b);
        static const char *const d[8] = {"ach ipv4", "ach ipv6", "ach bfd (0x0007): not ip", "gal, ach ipv4",
                                          "gal, then ipv4 without an ach: read as an ach, not ip",
                                          "oam alert (14) at the bottom: not read", "gal above the bottom, ipv4",
                                          "oam alert above the bottom, ipv6"};
        uint8_t fam = (i == 2 || i == 4 || i == 5) ? O : (i == 1 || i == 7) ? V6 : V4;
        ADD(m, *b, fam, S, OTH, OK, d[i]);
    }
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 41, 64, 0, 50, 0, NULL, 0); fin(b);
    ADD(m, *b, V4, S, OTH, OK, "ipv4 protocol 41, no payload (ethernet padding): no ipv6 layer");
    emit(ctx, &m);

    struct fx a = {.name = "atm_clip", .desc = "Linux ATM Classical IP (LINKTYPE 106): IPv4, IPv6 read by tshark's ip, a bogus version", .linktype = 106};
    pb_reset(b); in4(b, IK_TCP, 30); pb_finish(b);
    ADD(a, *b, V4, S, OTH, OK, "ipv4");
    pb_reset(b); in6(b, IK_UDP, 30); pb_finish(b);
    ADD(a, *b, V6, S, OTH, OK, "ipv6 (tshark: ip, then ipv6)");
    pb_reset(b); in4(b, IK_ICMP, 30); pb_finish(b); b->buf[0] = 0x55;
    ADD(a, *b, V4, S, OTH, MAL, "version 5: still an ipv4 layer");
    emit(ctx, &a);

    struct fx r = {.name = "atm_rfc1483", .desc = "ATM RFC 1483 (LINKTYPE 11): LLC/SNAP IPv4 and IPv6, DSAP 06, plain LLC", .linktype = 11};
    static const uint8_t snap6[8] = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x86, 0xdd};
    pb_reset(b); pb_bytes(b, snap4, 8); in4(b, IK_TCP, 30); pb_finish(b);
    ADD(r, *b, V4, S, OTH, OK, "snap ipv4");
    pb_reset(b); pb_bytes(b, snap6, 8); in6(b, IK_TCP, 30); pb_finish(b);
    ADD(r, *b, V6, S, OTH, OK, "snap ipv6");
    pb_reset(b); pb_bytes(b, ui, 3); in4(b, IK_UDP, 30); pb_finish(b);
    ADD(r, *b, V4, S, OTH, OK, "dsap 06 ui ipv4");
    pb_reset(b); pb_u8(b, 0xfe); pb_u8(b, 0xfe); pb_u8(b, 0x03); payload(b, 30);
    ADD(r, *b, O, S, OTH, OK, "dsap fe (osi): not ip");
    emit(ctx, &r);

    struct fx t = {.name = "ip_l2_tunnels", .desc = "Ethernet inside IP: EtherIP (97) over IPv4 and IPv6, protocol 143, and MPLS-in-IP (137)", .linktype = 1};
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 97, 64, 0, 40, 0, NULL, 0); pb_u16(b, 0x3000);
    pb_eth(b, MAC_A, MAC_B); pb_u16(b, 0x86dd); in6(b, IK_TCP, 30); fin(b);
    ADD(t, *b, V6, S, OTH, OK, "etherip over ipv4, ipv6 inside");
    eth(b, 0x86dd); pb_ipv6(b, TA6, TB6, 97, 64, 0, 0); pb_u16(b, 0x3000);
    pb_eth(b, MAC_A, MAC_B); pb_u16(b, 0x0800); in4(b, IK_UDP, 30); fin(b);
    ADD(t, *b, V4, S, OTH, OK, "etherip over ipv6, ipv4 inside");
    eth(b, 0x86dd); pb_ipv6(b, TA6, TB6, 143, 64, 0, 0);
    pb_eth(b, MAC_A, MAC_B); pb_u16(b, 0x0800); in4(b, IK_TCP, 30); fin(b);
    ADD(t, *b, V4, S, OTH, OK, "ethernet (143) over ipv6, ipv4 inside");
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 143, 64, 0, 41, 0, NULL, 0);
    pb_eth(b, MAC_A, MAC_B); pb_u16(b, 0x0806); arp(b, false); fin(b);
    ADD(t, *b, V4, S, OTH, OK, "ethernet (143) over ipv4, arp inside");
    eth(b, 0x0800); pb_ipv4(b, TA4, TB4, 137, 64, 0, 42, 0, NULL, 0); pb_u32(b, (1000u << 12) | 0x100 | 64);
    in6(b, IK_UDP, 30); fin(b);
    ADD(t, *b, V6, S, OTH, OK, "mpls-in-ip, ipv6");
    emit(ctx, &t);
}

/* ---- ONC RPC and the Teredo heuristic ------------------------------------ */

/* UDP between two IPv4 hosts; the payload follows. */
static void rpc_udp(struct pb *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
    eth(b, 0x0800);
    pb_ipv4(b, src, dst, 17, 64, 0, 0x77, 0, NULL, 0);
    pb_udp(b, sport, dport);
}

static void rpc_call_head(struct pb *b, uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc)
{
    pb_u32(b, xid); pb_u32(b, 0); pb_u32(b, 2); pb_u32(b, prog); pb_u32(b, vers); pb_u32(b, proc);
}

static void getport(struct pb *b, uint32_t xid, uint16_t cport, uint32_t prot, bool unix_cred)
{
    rpc_udp(b, TA4, TB4, cport, 111);
    rpc_call_head(b, xid, 100000, 2, 3);
    if (unix_cred) { /* AUTH_UNIX: stamp, machine "nfs1", uid, gid, no gids */
        pb_u32(b, 1); pb_u32(b, 24); pb_u32(b, 0x5f5e0f00u); pb_u32(b, 4); pb_bytes(b, "nfs1", 4);
        pb_u32(b, 0); pb_u32(b, 0); pb_u32(b, 0);
    } else {
        pb_u32(b, 0); pb_u32(b, 0);
    }
    pb_u32(b, 0); pb_u32(b, 0);
    pb_u32(b, 100005); pb_u32(b, 3); pb_u32(b, prot); pb_u32(b, 0);
    fin(b);
}

static void getport_reply(struct pb *b, uint32_t xid, uint16_t cport, uint32_t port)
{
    rpc_udp(b, TB4, TA4, 111, cport);
    pb_u32(b, xid); pb_u32(b, 1); pb_u32(b, 0); pb_u32(b, 0); pb_u32(b, 0); pb_u32(b, 0);
    pb_u32(b, port);
    fin(b);
}

static void fx_rpc(fx_emit_fn emit, void *ctx, struct pb *b)
{
    struct fx x = {.name = "rpc_portmap", .desc = "portmapper GETPORT replies bind (server, port) to RPC, as tshark's conversations: a VXLAN port given to mountd is RPC, a 40-byte reply there is not Teredo; GETPORT for TCP binds nothing; RPC calls to known programs never pass the Teredo heuristic", .linktype = 1};
    getport(b, 0x11111111u, 700, 17, true);
    ADD(x, *b, V4, S, OTH, OK, "getport call mount/udp, auth_unix");
    getport_reply(b, 0x11111111u, 700, 4789);
    ADD(x, *b, V4, S, OTH, OK, "getport reply: port 4789");
    rpc_udp(b, TA4, TB4, 800, 4789); pb_u32(b, 0x08000000); pb_u32(b, 0x00000100);
    pb_eth(b, MAC_A, MAC_B); pb_u16(b, 0x86dd); in6(b, IK_UDP, 20); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "vxlan-looking datagram to the announced port: rpc");
    rpc_udp(b, TB4, TA4, 4789, 800); pb_u32(b, 0x62222222u); pb_u32(b, 1); pb_zero(b, 32); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "40-byte reply from it, xid 0x6...: rpc, not teredo");
    rpc_udp(b, TA4, A4, 800, 4789); pb_u32(b, 0x08000000); pb_u32(b, 0x00000100);
    pb_eth(b, MAC_A, MAC_B); pb_u16(b, 0x86dd); in6(b, IK_UDP, 20); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "the same to another server: vxlan");
    getport(b, 0x33333333u, 701, 6, false);
    ADD(x, *b, V4, S, OTH, OK, "getport call for tcp");
    getport_reply(b, 0x33333333u, 701, 4790);
    ADD(x, *b, V4, S, OTH, OK, "its reply: port 4790 (binds nothing)");
    rpc_udp(b, TA4, TB4, 801, 4790); pb_u32(b, 0x0c000002u); pb_u32(b, 0x00000100);
    in6(b, IK_UDP, 20); fin(b);
    ADD(x, *b, V6, S, OTH, OK, "vxlan-gpe to 4790: decoded");
    getport_reply(b, 0x44444444u, 702, 4791);
    ADD(x, *b, V4, S, OTH, OK, "a getport reply without its call");
    rpc_udp(b, TA4, TB4, 30001, 30000); rpc_call_head(b, 0x64444444u, 100003, 3, 0); pb_zero(b, 16); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "40-byte nfs null call, xid 0x6...: rpc, not teredo");
    rpc_udp(b, TA4, TB4, 30002, 30000); rpc_call_head(b, 0x15555555u, 100003, 3, 0); pb_zero(b, 24); fin(b);
    ADD(x, *b, V4, S, OTH, OK, "another call of that conversation (tshark -2 then reads the first as rpc)");
    emit(ctx, &x);

    /* Each datagram between its own pair of hosts (tshark's conversations
     * must not carry over from one to the next). */
    struct fx u = {.name = "udp_port_order", .desc = "UDP dispatch as tshark: the lower port's own dissector wins, refused tunnel payloads fall through to the Teredo heuristic, ports whose dissector refuses such payloads do not block it", .linktype = 1};
    uint8_t cl[16] = {0x20, 0x01, 0, 0, 0xcb, 0x00, 0x71, 0x02, 0x80, 0x00, 0x63, 0xbf, 0x3f, 0xff, 0xfd, 0xfe};
    eth(b, 0x0800); pb_ipv4(b, 0x0a000101u, 0x0a000102u, 17, 64, 0, 1, 0, NULL, 0); pb_udp(b, 53, 2152);
    pb_gtp(b, 0x30, 0xff, 0x1234, 0, 0); in6(b, IK_UDP, 20); fin(b);
    ADD(u, *b, V4, S, OTH, OK, "sport 53 to dport 2152: dns (lower port), not gtp-u");
    eth(b, 0x0800); pb_ipv4(b, 0x0a000201u, 0x0a000202u, 17, 64, 0, 2, 0, NULL, 0); pb_udp(b, 50000, 443);
    pb_ipv6(b, cl, B6, 58, 64, 0, 0); pb_icmp6(b, 128, 0, 0x00010001u); payload(b, 8); fin(b);
    ADD(u, *b, V6, S, OTH, OK, "teredo-looking on 443: tshark has no port dissector there");
    eth(b, 0x0800); pb_ipv4(b, 0x0a000301u, 0x0a000302u, 17, 64, 0, 3, 0, NULL, 0); pb_udp(b, 50000, 161);
    pb_ipv6(b, cl, B6, 6, 64, 0, 0); l4(b, IK_TCP, true, 10); fin(b);
    ADD(u, *b, V6, S, OTH, OK, "teredo-looking on snmp 161: snmp refuses it");
    eth(b, 0x0800); pb_ipv4(b, 0x0a000401u, 0x0a000402u, 17, 64, 0, 4, 0, NULL, 0); pb_udp(b, 50000, 123);
    pb_ipv6(b, cl, B6, 6, 64, 0, 0); l4(b, IK_TCP, true, 10); fin(b);
    ADD(u, *b, V4, S, OTH, OK, "teredo-looking on ntp 123: ntp takes it");
    eth(b, 0x0800); pb_ipv4(b, 0x0a000501u, 0x0a000502u, 17, 64, 0, 5, 0, NULL, 0); pb_udp(b, 2152, 2152);
    pb_u16(b, 0x0000); pb_u16(b, (uint16_t)~40000); pb_u32(b, ~A4);
    pb_ipv6(b, B6, cl, 6, 64, 0, 0); l4(b, IK_TCP, true, 10); fin(b);
    ADD(u, *b, V6, S, OTH, OK, "2152, gtp v0 message type 0 (unknown to tshark): teredo origin indication");
    eth(b, 0x0800); pb_ipv4(b, 0x0a000601u, 0x0a000602u, 17, 64, 0, 6, 0, NULL, 0); pb_udp(b, 2152, 2152);
    pb_gtp(b, 0x30, 0x08, 0x1234, 0, 0); in6(b, IK_UDP, 20); fin(b);
    ADD(u, *b, V4, S, OTH, OK, "2152, gtp v1 message type 8 (unknown to tshark): not gtp, not teredo");
    eth(b, 0x0800); pb_ipv4(b, 0x0a000701u, 0x0a000702u, 17, 64, 0, 7, 0, NULL, 0); pb_udp(b, 1701, 1701);
    pb_ipv6(b, cl, B6, 17, 64, 0, 0); l4(b, IK_UDP, true, 12); fin(b);
    ADD(u, *b, V6, S, OTH, OK, "1701, l2tp version 0: teredo heuristic");
    eth(b, 0x0800); pb_ipv4(b, 0x0a000801u, 0x0a000802u, 17, 64, 0, 8, 0, NULL, 0); pb_udp(b, 6343, 6343);
    pb_ipv6(b, cl, B6, 17, 64, 0, 0); l4(b, IK_UDP, true, 12); fin(b);
    ADD(u, *b, V6, S, OTH, OK, "6343, sflow version 0x6...: teredo heuristic");
    emit(ctx, &u);
}

void fx_build_all(fx_emit_fn emit, void *ctx)
{
    struct pb b, f1, f2;
    fx_eth(emit, ctx, &b);
    fx_vlan(emit, ctx, &b);
    fx_mpls(emit, ctx, &b);
    fx_pppoe(emit, ctx, &b);
    fx_links(emit, ctx, &b);
    fx_wireless(emit, ctx, &b);
    fx_logs(emit, ctx, &b);
    fx_legacy_links(emit, ctx, &b);
    fx_samplers(emit, ctx, &b);
    fx_l2_tags(emit, ctx, &b);
    fx_rpc(emit, ctx, &b);
    fx_gre(emit, ctx, &b);
    fx_gtp(emit, ctx, &b);
    fx_ipip(emit, ctx, &b);
    fx_teredo(emit, ctx, &b);
    fx_ext(emit, ctx, &b);
    fx_frag(emit, ctx, &b, &f1, &f2);
    fx_icmp(emit, ctx, &b, &f1);
    fx_trunc(emit, ctx, &b);
    fx_malformed(emit, ctx, &b);
}
