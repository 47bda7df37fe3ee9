/*
 * decode/link.c - link layer: the ST_LINK state and the link-type table.
 *
 * What each link type reads (pcap LINKTYPE_* registry):
 *   1   Ethernet         -> ST_ETH
 *   113 Linux SLL v1     16 bytes: pkttype(2) arphrd(2) addrlen(2) addr(8)
 *                        protocol(2) -> protocol as an ethertype
 *   276 Linux SLL v2     20 bytes: protocol(2) reserved(2) ifindex(4)
 *                        arphrd(2) pkttype(1) addrlen(1) addr(8)
 *   101, 12, 14 raw IP   version nibble 4/6 chooses the header
 *   228 / 229            raw IPv4 / raw IPv6 only
 *   0   BSD null         4-byte address family in the *capturing host's*
 *                        order: read little-endian, and if that is > 0xffff
 *                        it was big-endian. AF_INET 2; AF_INET6 is 10
 *                        (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD),
 *                        30 (Darwin)
 *   108 OpenBSD loop     same 4 bytes, network order
 *   9, 50 PPP            optional address/control ff 03, then a 1- or
 *                        2-byte protocol field -> ST_PPP; a frame that
 *                        starts 0f 00 / 8f 00 is Cisco HDLC (as tshark)
 *   104 Cisco HDLC       address 0f/8f, control 00, protocol = ethertype
 *   106 (18, 19) ATM CLIP  Linux Classical IP over ATM: an IP packet,
 *                        read as tshark's "ip" (its clip dissector)
 *   11  ATM RFC 1483     LLC (l2_llc(): SNAP, DSAP 06...)
 *   178 Juniper Ethernet "MGC" flags(1) [ext length(2) TLVs] then
 *                        Ethernet, or with flag 0x02 (no L2) a 4-byte
 *                        little-endian protocol and the packet
 *                        (link_juniper); no magic: Ethernet at once
 *   10  FDDI             frame control(1) dst(6) src(6); FC 0x50-0x5f
 *                        (asynchronous LLC) -> LLC, others (SMT, MAC,
 *                        synchronous LLC...) non-IP, as tshark
 *   192 PPI              version(1) flags(1) length(2, LE) dlt(4, LE),
 *                        then a frame of link type dlt (not PPI again)
 *   105 802.11, 127 radiotap + 802.11, 119 Prism/AVS + 802.11, 163 AVS +
 *                        802.11: wlan.c
 *   239 NFLOG            header + TLVs, the packet in TLV 9 (link_nflog)
 *   107 Frame Relay      Q.922 address, then RFC 2427 NLPID or a Cisco
 *                        ethertype (link_frelay)
 *   226 Solaris IPNET    24-byte header, family 2 / 26 (link_ipnet)
 *   258 PKTAP (and 149)  Apple's header, then a frame of its own link type
 * SLL protocol values below 0x0600 (1 = Novell 802.3, 4 = 802.2 LLC, ...)
 * are not ethertypes: non-IP.
 */
#include "decode/decode_int.h"

bool v6m_linktype_supported(uint32_t linktype)
{
    return v6m_linktype_name(linktype) != NULL;
}

const char *v6m_linktype_name(uint32_t linktype)
{
    switch (linktype) {
    case V6M_LINKTYPE_NULL: return "null";
    case V6M_LINKTYPE_ETHERNET: return "ethernet";
    case V6M_LINKTYPE_PPP: return "ppp";
    case 12: return "raw_legacy12";
    case 14: return "raw_legacy14";
    case V6M_LINKTYPE_PPP_HDLC: return "ppp_hdlc";
    case V6M_LINKTYPE_RAW: return "raw";
    case V6M_LINKTYPE_LOOP: return "loop";
    case V6M_LINKTYPE_LINUX_SLL: return "linux_sll";
    case V6M_LINKTYPE_IPV4: return "ipv4";
    case V6M_LINKTYPE_IPV6: return "ipv6";
    case V6M_LINKTYPE_LINUX_SLL2: return "linux_sll2";
    case V6M_LINKTYPE_C_HDLC: return "cisco_hdlc";
    case V6M_LINKTYPE_PPI: return "ppi";
    case V6M_LINKTYPE_IEEE802_11: return "ieee802_11";
    case V6M_LINKTYPE_NFLOG: return "nflog";
    case V6M_LINKTYPE_FRELAY: return "frame_relay";
    case V6M_LINKTYPE_FDDI: return "fddi";
    case V6M_LINKTYPE_ATM_CLIP: return "atm_clip";
    case 18: return "atm_clip18";
    case 19: return "atm_clip19";
    case V6M_LINKTYPE_ATM_RFC1483: return "atm_rfc1483";
    case V6M_LINKTYPE_JUNIPER_ETHER: return "juniper_ether";
    case V6M_LINKTYPE_IPNET: return "ipnet";
    case V6M_LINKTYPE_PKTAP: return "pktap";
    case 149: return "pktap_user2";
    case V6M_LINKTYPE_PRISM: return "ieee802_11_prism";
    case V6M_LINKTYPE_RADIOTAP: return "ieee802_11_radiotap";
    case V6M_LINKTYPE_AVS: return "ieee802_11_avs";
    default: return NULL;
    }
}

/* The IP packet a link header announced: IPv6 as announced; IPv4 as
 * tshark's "ip" dissector reads it, which ip_v4() does with want_version
 * 0: version 6 goes to IPv6, any other bogus version is still an IPv4
 * layer (MALFORMED), and a header cut before its first byte counts as
 * IPv4 too. (link_raw() is for the raw link types, where tshark chooses
 * by nibble and a bogus one is data.) */
static int link_ip(struct dctx *d, bool v6)
{
    d->want_version = v6 ? 6 : 0;
    return v6 ? ST_IPV6 : ST_IPV4;
}

/* BSD address families as tshark's null.bsd table has them: 2 is IPv4
 * (as tshark's "ip": link_ip()), 24/28/30 are IPv6 (NetBSD
 * and OpenBSD, FreeBSD, Darwin). Linux's AF_INET6 (10) is not among them:
 * tshark shows such a frame as data, and so does this. */
static int link_af(struct dctx *d, uint32_t af)
{
    switch (af) {
    case 2:
        return link_ip(d, false);
    case 24: case 28: case 30:
        return link_ip(d, true);
    default:
        return ST_DONE; /* another address family: non-IP, fully decoded */
    }
}

static int link_raw(struct dctx *d)
{
    const uint8_t *b = cursor_peek(&d->c, 1);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    switch (b[0] >> 4) {
    case 4: return ST_IPV4;
    case 6: return ST_IPV6;
    default: return dctx_drop(d, V6M_DROP_MALFORMED);
    }
}

/* The 4-byte NULL header read little-endian (the capturing host's order
 * is unknown), normalised as tshark 4.0's null dissector does: a value
 * with its upper half set is either an AF in the upper 16 bits (upper
 * byte 0, third byte < 6) or a byte-swapped 32-bit value; a value in the
 * lower half with a zero low byte and a second byte < 6 is a byte-swapped
 * 16-bit value. The result above 1500 is an ethertype (its low 16 bits;
 * some systems put one there), else an address family. */
static int link_null_value(struct dctx *d, uint32_t h)
{
    if (h & 0xffff0000u) {
        if ((h & 0xff000000u) == 0 && (h & 0x00ff0000u) < 0x00060000u)
            h >>= 16;
        else
            h = (h >> 24) | ((h >> 8) & 0xff00u) | ((h << 8) & 0xff0000u) | (h << 24);
    } else if ((h & 0xffu) == 0 && (h & 0xff00u) < 0x0600u) {
        h = ((h >> 8) & 0xffu) | ((h & 0xffu) << 8);
    }
    if (h > 1500) {
        d->ethertype = (uint16_t)h;
        return ST_ETHERTYPE;
    }
    return link_af(d, h);
}

static int link_chdlc(struct dctx *d)
{
    struct cursor *c = &d->c;
    if (!cursor_skip(c, 2))
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    uint16_t proto = cursor_be16(c);
    if (c->short_read)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    d->ethertype = proto;
    return ST_ETHERTYPE;
}

static int link_fddi(struct dctx *d)
{
    const uint8_t *b = cursor_peek(&d->c, 13);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    if ((b[0] & 0xf0) != 0x50)
        return ST_DONE;
    d->c.p += 13;
    return l2_llc(d, SIZE_MAX);
}

static int link_ppp(struct dctx *d);

/* Juniper's capture header (tshark's juniper dissector), in front of
 * Ethernet (LINKTYPE 178). Without an L2 header the protocol says what
 * follows: 2/3 IPv4 (3: MPLS already removed), 6/7 IPv6, 4/5/8/32 MPLS,
 * 200 PPP, 204 Ethernet, 208 Cisco HDLC; others are non-IP. */
static int link_juniper(struct dctx *d)
{
    struct cursor *c = &d->c;
    const uint8_t *b = cursor_peek(c, 4);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    if (b[0] != 'M' || b[1] != 'G' || b[2] != 'C')
        return ST_ETH; /* no magic: tshark reads Ethernet from the start */
    uint8_t flags = b[3];
    c->p += 4;
    if (flags & 0x80) { /* extensions: total length, then TLVs */
        uint16_t ext = cursor_be16(c);
        if (c->short_read || !cursor_skip(c, ext))
            return dctx_drop(d, V6M_DROP_TRUNCATED);
    }
    if (!(flags & 0x02))
        return ST_ETH;
    uint32_t proto = cursor_le32(c);
    if (c->short_read)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    switch (proto) {
    case 2: case 3: return link_ip(d, false);
    case 6: case 7: return link_ip(d, true);
    case 4: case 5: case 8: case 32: return ST_MPLS;
    case 200: return link_ppp(d);
    case 204: return ST_ETH;
    case 208: return link_chdlc(d);
    default: return ST_DONE;
    }
}

static int link_ppp(struct dctx *d)
{
    const uint8_t *b = cursor_peek(&d->c, 2);
    if (b && (b[0] == 0x0f || b[0] == 0x8f) && b[1] == 0x00)
        return link_chdlc(d);
    if (b && b[0] == 0xff && b[1] == 0x03)
        cursor_skip(&d->c, 2);
    if (!l2_read_ppp_proto(d))
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    d->pkt->encap |= V6M_ENC_PPP;
    return ST_PPP;
}

static int link_sll_proto(struct dctx *d, uint16_t proto)
{
    if (proto < 0x0600)
        return ST_DONE; /* Novell/LLC/CAN/...: non-IP */
    d->ethertype = proto;
    return ST_ETHERTYPE;
}

static int link_dispatch(struct dctx *d, uint32_t linktype, bool nested);

/* PPI: a per-packet header in front of a frame of another link type. */
static int link_ppi(struct dctx *d)
{
    struct cursor *c = &d->c;
    const uint8_t *h = cursor_peek(c, 8);
    if (!h)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    uint16_t len = load_le16(h + 2);
    uint32_t dlt = load_le32(h + 4);
    if (h[0] != 0 || len < 8)
        return dctx_drop(d, V6M_DROP_MALFORMED);
    if (!cursor_skip(c, len))
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    return link_dispatch(d, dlt, true);
}

/* NFLOG (239): family(1) version(1) resource id(2), then TLVs of
 * length(2) type(2) value, padded to 4 bytes. The length and type are in
 * the capturing host's byte order; tshark reads them in its own host's
 * order by default, little endian on the machines that write and read
 * such captures (Linux on x86/ARM), and so does this. Type 9 (payload)
 * holds the packet: family 2 -> IPv4 as tshark's "ip" dissector reads it
 * (link_ip()); family 10 -> IPv6; another family is non-IP. */
static int link_nflog(struct dctx *d)
{
    struct cursor *c = &d->c;
    const uint8_t *h = cursor_peek(c, 4);
    if (!h)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    uint8_t af = h[0];
    c->p += 4;
    for (;;) {
        const uint8_t *t = cursor_peek(c, 4);
        if (!t)
            return cursor_left(c) ? dctx_drop(d, V6M_DROP_TRUNCATED) : ST_DONE;
        size_t len = load_le16(t);
        unsigned type = load_le16(t + 2) & 0x7fff;
        if (len < 4)
            return dctx_drop(d, V6M_DROP_MALFORMED);
        if (type == 9) {
            c->p += 4;
            dctx_bound(d, len - 4);
            if (af == 2 || af == 10)
                return link_ip(d, af == 10);
            return ST_DONE;
        }
        if (!cursor_skip(c, (len + 3) & ~(size_t)3))
            return dctx_drop(d, V6M_DROP_TRUNCATED);
    }
}

/* Frame Relay (107), as tshark 4.0 reads it: a Q.922 address of 2 to 4
 * bytes (the last has the EA bit, 0x01); then either the UI control byte
 * 0x03 and an RFC 2427 NLPID (one 0x00 pad allowed before it): 0xcc IPv4
 * (link_ip()), 0x8e IPv6, 0x80 SNAP with OUI 000000 and an
 * ethertype as PID; other NLPIDs (CLNP, ISIS, Q.933...) are non-IP; or, in
 * Cisco's encapsulation, a 2-byte ethertype. */
static int link_frelay(struct dctx *d)
{
    struct cursor *c = &d->c;
    const uint8_t *b = cursor_peek(c, 2);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    size_t alen = 2;
    while (!(b[alen - 1] & 0x01)) {
        if (alen == 4)
            return dctx_drop(d, V6M_DROP_MALFORMED);
        alen++;
        if (!(b = cursor_peek(c, alen)))
            return dctx_drop(d, V6M_DROP_TRUNCATED);
    }
    c->p += alen;
    b = cursor_peek(c, 2);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    if (b[0] != 0x03) { /* Cisco: an ethertype */
        c->p += 2;
        d->ethertype = load_be16(b);
        return ST_ETHERTYPE;
    }
    c->p += 1;
    uint8_t nlpid = cursor_u8(c);
    if (nlpid == 0x00)
        nlpid = cursor_u8(c);
    if (c->short_read)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    switch (nlpid) {
    case 0xcc:
    case 0x8e:
        return link_ip(d, nlpid == 0x8e);
    case 0x80: {
        const uint8_t *sn = cursor_peek(c, 5);
        if (!sn)
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        if (sn[0] || sn[1] || sn[2])
            return ST_DONE; /* bridged frames and vendor PIDs: not read */
        c->p += 5;
        d->ethertype = load_be16(sn + 3);
        return ST_ETHERTYPE;
    }
    default:
        return ST_DONE;
    }
}

/* Solaris IPNET (226): version(1) family(1) htype(2) pktlen(4) ifindex(4)
 * grifindex(4) zsrc(4) zdst(4), then the packet: family 2 -> IPv4
 * (link_ip()), 26 -> IPv6 (as tshark's ipnet dissector), others non-IP. */
static int link_ipnet(struct dctx *d)
{
    struct cursor *c = &d->c;
    const uint8_t *h = cursor_peek(c, 24);
    if (!h)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    c->p += 24;
    if (h[1] == 2 || h[1] == 26)
        return link_ip(d, h[1] == 26);
    return ST_DONE;
}

/* PKTAP (258, and 149 as Apple writes it): length(4, LE) type_next(4, LE)
 * dlt(4, LE) ..., the frame at `length`; type_next 1 = a packet of link
 * type dlt follows. tshark needs the header to be at least 108 bytes. */
static int link_pktap(struct dctx *d)
{
    struct cursor *c = &d->c;
    const uint8_t *h = cursor_peek(c, 12);
    if (!h)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    uint32_t len = load_le32(h), next = load_le32(h + 4), dlt = load_le32(h + 8);
    if (len < 108)
        return dctx_drop(d, V6M_DROP_MALFORMED);
    if (!cursor_skip(c, len))
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    if (next != 1)
        return ST_DONE;
    return link_dispatch(d, dlt, true);
}

int link_decode(struct dctx *d)
{
    return link_dispatch(d, d->pkt->linktype, false);
}

static int link_dispatch(struct dctx *d, uint32_t linktype, bool nested)
{
    struct cursor *c = &d->c;
    switch (linktype) {
    case V6M_LINKTYPE_ETHERNET:
        return ST_ETH;
    case V6M_LINKTYPE_RAW: case 12: case 14:
        return link_raw(d);
    case V6M_LINKTYPE_IPV4: /* tshark's "ip": version 6 goes to IPv6 */
    case V6M_LINKTYPE_ATM_CLIP: case 18: case 19:
        return link_ip(d, false);
    case V6M_LINKTYPE_ATM_RFC1483:
        return l2_llc(d, SIZE_MAX);
    case V6M_LINKTYPE_JUNIPER_ETHER:
        return link_juniper(d);
    case V6M_LINKTYPE_IPV6:
        return link_ip(d, true);
    case V6M_LINKTYPE_LINUX_SLL: {
        if (!cursor_skip(c, 14))
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        uint16_t proto = cursor_be16(c);
        if (c->short_read)
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        return link_sll_proto(d, proto);
    }
    case V6M_LINKTYPE_LINUX_SLL2: {
        uint16_t proto = cursor_be16(c);
        if (!cursor_skip(c, 18) || c->short_read)
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        return link_sll_proto(d, proto);
    }
    case V6M_LINKTYPE_NULL: {
        const uint8_t *b = cursor_peek(c, 2);
        if (b && b[0] == 0xff && b[1] == 0x03)
            return link_ppp(d); /* PPP in HDLC framing, as tshark */
        uint32_t h = cursor_le32(c);
        if (c->short_read)
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        return link_null_value(d, h);
    }
    case V6M_LINKTYPE_LOOP: {
        uint32_t af = cursor_be32(c);
        if (c->short_read)
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        return link_af(d, af);
    }
    case V6M_LINKTYPE_PPP:
    case V6M_LINKTYPE_PPP_HDLC:
        return link_ppp(d);
    case V6M_LINKTYPE_C_HDLC:
        return link_chdlc(d);
    case V6M_LINKTYPE_PPI:
        if (nested)
            return dctx_drop(d, V6M_DROP_MALFORMED);
        return link_ppi(d);
    case V6M_LINKTYPE_IEEE802_11:
        return wlan_frame(d, false, false);
    case V6M_LINKTYPE_NFLOG:
        return link_nflog(d);
    case V6M_LINKTYPE_FRELAY:
        return link_frelay(d);
    case V6M_LINKTYPE_FDDI:
        return link_fddi(d);
    case V6M_LINKTYPE_IPNET:
        return link_ipnet(d);
    case V6M_LINKTYPE_PKTAP: case 149:
        if (nested)
            return dctx_drop(d, V6M_DROP_MALFORMED);
        return link_pktap(d);
    case V6M_LINKTYPE_RADIOTAP:
        return link_radiotap(d);
    case V6M_LINKTYPE_PRISM:
        return link_prism_avs(d, false);
    case V6M_LINKTYPE_AVS:
        return link_prism_avs(d, true);
    default:
        return dctx_drop(d, V6M_DROP_UNSUPPORTED_LINK);
    }
}
