/*
 * decode/l2.c - Ethernet, ethertype dispatch, 802.1Q/802.1ad tags, MPLS,
 * PPPoE session stage and PPP protocol dispatch.
 *
 * Byte layouts (network order):
 *   Ethernet   dst(6) src(6) type/length(2); a value < 0x0600 is an 802.3
 *              length (LLC follows): non-IP.
 *   VLAN tag   TCI(2: PCP 3, DEI 1, VID 12) type(2). 0x8100 = 802.1Q,
 *              0x88a8 / 0x9100 = service tags (QinQ). An 802.3 length
 *              after an 802.1Q or 0x9100 tag means LLC follows; after
 *              0x88a8 it is not read (tshark's ieee8021ad hands every
 *              value to its ethertype table). 0x9200 is not a tag in
 *              tshark 4.0 (its frames are data), nor here.
 *   PBB        802.1ah I-TAG (0x88e7): flags/I-SID(4) customer dst(6)
 *              src(6) type(2), any number deep.
 *   Port tags  VN-Tag (0x8926): tag(4) type(2), a length -> LLC;
 *              E-Tag 802.1BR (0x893f): tag(6) type(2); Cisco MetaData /
 *              TrustSec SGT (0x8909): version(1) length(1) option(2)
 *              SGT(2) type(2). After E-Tag and MetaData a length is not
 *              read (tshark: data).
 *   MPLS       label(20) TC(3) S(1) TTL(8) per entry until S = 1. The
 *              payload is guessed the way tshark 4.0 does: first nibble 4
 *              -> IPv4, 6 -> IPv6, 0 -> a 4-byte pseudowire control word
 *              then Ethernet (tshark's "pwethcw"), 1 -> PW associated
 *              channel (non-IP); anything else is not decodable.
 *   PPPoE      ver/type(1 = 0x11) code(1 = 0 for session data)
 *              session(2) length(2), then a PPP protocol field.
 *   PPP        [ff 03] protocol(1 or 2 bytes: a protocol whose first byte
 *              is odd is compressed to one byte, RFC 1661 sec. 6.5).
 *
 * Unknown ethertypes: at the outer level (no tunnel entered) a frame that
 * is simply not IP is family OTHER with drop NONE. Inside a tunnel payload
 * an ethertype we know to be non-IP (ARP, LLDP, ...) is also NONE, any
 * other one is UNSUPPORTED_ENCAP (we cannot tell whether it hid IP).
 */
#include "decode/decode_int.h"

#include <string.h>

int l2_llc(struct dctx *d, size_t len)
{
    struct cursor *c = &d->c;
    if (len != SIZE_MAX)
        dctx_bound(d, len);
    const uint8_t *llc = cursor_peek(c, 3);
    if (!llc)
        return ST_DONE; /* cut inside LLC: tshark shows no IP layer */
    if (llc[0] == 0x06) {
        /* DSAP 0x06 is IP (tshark's llc.dsap table): a UI frame carries
         * the datagram after the 1-byte control, an I frame after a
         * 2-byte one; supervisory and other unnumbered frames carry
         * none. IPv4 as tshark's "ip" reads it (ip_v4(), want_version 0). */
        size_t ctl = (llc[2] & 0x01) == 0 ? 2 : llc[2] == 0x03 ? 1 : 0;
        if (ctl == 0 || !cursor_skip(c, 2 + ctl) || dctx_rep_left(d) == 0)
            return ST_DONE; /* no information field: tshark stops at llc */
        d->want_version = 0;
        return ST_IPV4;
    }
    if (llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03)
        return ST_DONE; /* plain LLC (STP, NetBIOS, ...): not IP */
    llc = cursor_peek(c, 8);
    if (!llc)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    if (llc[3] == 0x00 && llc[4] == 0x80 && llc[5] == 0xc2) {
        /* OUI 0080c2, bridged 802.3 (PID 0x0001 with FCS, 0x0007
         * without): 2 pad bytes, then an Ethernet frame (RFC 2684 over
         * LLC; tshark decodes it); other PIDs (BPDUs, 802.5...) not IP */
        uint16_t pid = load_be16(llc + 6);
        if (pid != 0x0001 && pid != 0x0007)
            return ST_DONE;
        if (!cursor_skip(c, 10))
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        d->pkt->encap |= V6M_ENC_ETH_INNER;
        return dctx_enter_tunnel(d, ST_ETH);
    }
    if (llc[3] != 0 || llc[4] != 0 || (llc[5] != 0 && llc[5] != 0xf8))
        return ST_DONE; /* vendor SNAP (Cisco CDP, WLCCP, ...): not IP */
    c->p += 8;
    d->ethertype = load_be16(llc + 6);
    return ST_ETHERTYPE;
}

int l2_eth(struct dctx *d)
{
    struct v6m_packet *pkt = d->pkt;
    const uint8_t *b = cursor_peek(&d->c, 14);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    if (!pkt->has_eth) {
        pkt->has_eth = 1;
        memcpy(pkt->eth_dst, b, 6);
        memcpy(pkt->eth_src, b + 6, 6);
    }
    if (pkt->depth > 0)
        pkt->encap |= V6M_ENC_ETH_INNER;
    d->c.p += 14;
    uint16_t type = load_be16(b + 12);
    if (type < 0x0600)
        return l2_llc(d, type); /* 802.3: a length, then LLC */
    d->ethertype = type;
    return ST_ETHERTYPE;
}

static bool l2_known_nonip(uint16_t type)
{
    switch (type) {
    case 0x0806: /* ARP */
    case 0x8035: /* RARP */
    case 0x0842: /* wake-on-LAN */
    case 0x809b: case 0x80f3: /* AppleTalk, AARP */
    case 0x8137: case 0x8138: /* IPX */
    case 0x8808: case 0x8809: /* MAC control, slow protocols (LACP) */
    case 0x8863: /* PPPoE discovery */
    case 0x888e: /* EAPOL */
    case 0x8892: /* PROFINET */
    case 0x88a4: /* EtherCAT */
    case 0x88b8: case 0x88ba: /* IEC 61850 */
    case 0x88cc: /* LLDP */
    case 0x88f7: /* PTP */
    case 0x88fb: case 0x892f: /* PRP, HSR */
    case 0x8902: /* CFM */
    case 0x8906: case 0x8914: /* FCoE, FIP */
    case 0x893a: /* IEEE 1905 */
    case 0x9000: /* loopback */
    case 0x22f0: /* AVTP */
        return true;
    default:
        return false;
    }
}

/* Skip a header of `n` bytes that ends in front of an ethertype (MACsec
 * SecTAG, Arista timestamp, PBB, port tags) and read it into
 * d->ethertype; false if cut. */
static bool skip_to_ethertype(struct dctx *d, size_t n)
{
    struct cursor *c = &d->c;
    if (!cursor_skip(c, n))
        return false;
    uint16_t et = cursor_be16(c);
    if (c->short_read)
        return false;
    d->ethertype = et;
    return true;
}

int l2_ethertype(struct dctx *d)
{
    struct v6m_packet *pkt = d->pkt;
    struct cursor *c = &d->c;
    for (;;) {
        switch (d->ethertype) {
        case 0x0800:
            d->want_version = 0; /* like tshark: version 6 goes to IPv6 */
            return ST_IPV4;
        case 0x86dd:
            d->want_version = 6;
            return ST_IPV6;
        case 0x8100: case 0x88a8: case 0x9100: {
            bool llc_next = d->ethertype != 0x88a8;
            pkt->encap |= d->ethertype == 0x8100 ? V6M_ENC_VLAN : V6M_ENC_QINQ;
            const uint8_t *b = cursor_peek(c, 4);
            if (!b)
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            c->p += 4;
            if (pkt->n_vlans < V6M_MAX_VLANS)
                pkt->vlan[pkt->n_vlans] = load_be16(b) & 0x0fff;
            if (pkt->n_vlans < 255)
                pkt->n_vlans++;
            d->ethertype = load_be16(b + 2);
            if (d->ethertype < 0x0600) /* tagged 802.3 */
                return llc_next ? l2_llc(d, d->ethertype) : ST_DONE;
            continue;
        }
        case 0x88e7: /* PBB I-TAG, customer addresses, then a type */
            pkt->encap |= V6M_ENC_PBB;
            if (!skip_to_ethertype(d, 16))
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            if (d->ethertype < 0x0600)
                return ST_DONE;
            continue;
        case 0x8926: /* VN-Tag */
            if (!skip_to_ethertype(d, 4))
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            if (d->ethertype < 0x0600)
                return l2_llc(d, d->ethertype);
            continue;
        case 0x893f: /* E-Tag (802.1BR) */
        case 0x8909: /* Cisco MetaData (TrustSec SGT) */
            if (!skip_to_ethertype(d, 6))
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            if (d->ethertype < 0x0600)
                return ST_DONE;
            continue;
        case 0x8847: case 0x8848:
            return ST_MPLS;
        case 0x8864: {
            const uint8_t *b = cursor_peek(c, 6);
            if (!b)
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            if (b[0] != 0x11 || b[1] != 0x00)
                return dctx_drop(d, V6M_DROP_MALFORMED);
            c->p += 6;
            pkt->encap |= V6M_ENC_PPPOE | V6M_ENC_PPP;
            pkt->pppoe_session = load_be16(b + 2);
            dctx_bound(d, load_be16(b + 4));
            if (!l2_read_ppp_proto(d))
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            return ST_PPP;
        }
        case 0x88e5: { /* MACsec SecTAG: TCI/AN(1) SL(1) PN(4) [SCI(8)] */
            const uint8_t *b = cursor_peek(c, 6);
            if (!b)
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            if (b[0] & 0x0c)
                return ST_DONE; /* encrypted or changed text: unreadable */
            /* integrity only: the user data (its ethertype first) is in
             * clear, and tshark reads it */
            if (!skip_to_ethertype(d, (b[0] & 0x20) ? 14 : 6))
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            continue;
        }
        case 0xd28b: { /* Arista timestamp: subtype 1; the version's low
                        * byte 0x10 is an 8-byte time, 0x20 a 6-byte one
                        * (tshark 4.0 reads no others), then the ethertype */
            const uint8_t *b = cursor_peek(c, 4);
            if (!b)
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            uint16_t sub = load_be16(b), ver = load_be16(b + 2);
            ver &= 0x00ff;
            if (sub != 1 || (ver != 0x10 && ver != 0x20))
                return ST_DONE;
            if (!skip_to_ethertype(d, ver == 0x10 ? 12 : 10))
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            continue;
        }
        case 0x894f: { /* NSH (RFC 8300): ver/flags/TTL/length(6 bits,
                        * 4-byte words), MD type, next protocol: 1 IPv4,
                        * 2 IPv6, 3 Ethernet, 5 MPLS; others non-IP */
            const uint8_t *b = cursor_peek(c, 4);
            if (!b)
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            size_t len = (size_t)(b[1] & 0x3f) * 4;
            uint8_t next = b[3];
            if (len < 8)
                return dctx_drop(d, V6M_DROP_MALFORMED);
            if (!cursor_skip(c, len))
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            switch (next) {
            case 1: d->want_version = 0; return ST_IPV4;
            case 2: d->want_version = 6; return ST_IPV6;
            case 3: pkt->encap |= V6M_ENC_ETH_INNER; return dctx_enter_tunnel(d, ST_ETH);
            case 5: return ST_MPLS;
            default: return ST_DONE;
            }
        }
        case 0x2452: /* Intel Centrino promiscuous: an 802.11 frame */
            return wlan_frame_centrino(d);
        case 0x880b: /* PPP (enhanced GRE / PPTP); tshark reads it only
                      * inside GRE, not as an Ethernet type */
            if (pkt->depth == 0)
                return ST_DONE;
            pkt->encap |= V6M_ENC_PPP;
            if (!l2_read_ppp_proto(d))
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            return ST_PPP;
        case 0x6558: /* transparent Ethernet bridging: the GRE/Geneve
                      * layer that carried it already entered the tunnel */
            return ST_ETH;
        case 0x8903: /* Cisco FabricPath: FTAG/TTL (2 bytes), then the
                      * original Ethernet frame (tshark: eth:cfp:eth) */
            if (!cursor_skip(&d->c, 2))
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            pkt->encap |= V6M_ENC_ETH_INNER;
            return dctx_enter_tunnel(d, ST_ETH);
        default:
            if (pkt->depth == 0 || l2_known_nonip(d->ethertype))
                return ST_DONE;
            return dctx_drop(d, V6M_DROP_UNSUPPORTED_ENCAP);
        }
    }
}

int l2_mpls(struct dctx *d)
{
    struct v6m_packet *pkt = d->pkt;
    struct cursor *c = &d->c;
    pkt->encap |= V6M_ENC_MPLS;
    uint32_t e;
    for (;;) {
        e = cursor_be32(c);
        if (c->short_read)
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        if (pkt->n_mpls < V6M_MAX_MPLS)
            pkt->mpls[pkt->n_mpls] = e >> 12;
        if (pkt->n_mpls < 255)
            pkt->n_mpls++;
        if (e & 0x100)
            break;
    }
    uint32_t bottom = e >> 12;
    if (bottom == 14)
        return ST_DONE; /* OAM alert label: tshark reads no payload */
    const uint8_t *b = cursor_peek(c, 1);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    if (bottom == 13 || (b[0] >> 4) == 1) {
        /* associated channel header (RFC 4385/5586; always after the GAL,
         * label 13): 0001 version, reserved, channel type; types 0x0021
         * and 0x0057 carry IPv4 and IPv6, the rest (BFD, OAM...) no IP */
        b = cursor_peek(c, 4);
        if (!b)
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        uint16_t ch = load_be16(b + 2);
        c->p += 4;
        if (ch == 0x0021) {
            d->want_version = 0;
            return ST_IPV4;
        }
        if (ch == 0x0057) {
            d->want_version = 6;
            return ST_IPV6;
        }
        return ST_DONE;
    }
    switch (b[0] >> 4) {
    case 4:
        d->want_version = 4;
        return ST_IPV4;
    case 6:
        d->want_version = 6;
        return ST_IPV6;
    case 0: /* pseudowire control word, then Ethernet */
        if (!cursor_skip(c, 4))
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        return dctx_enter_tunnel(d, ST_ETH);
    default:
        return dctx_drop(d, V6M_DROP_UNSUPPORTED_ENCAP);
    }
}

bool l2_read_ppp_proto(struct dctx *d)
{
    struct cursor *c = &d->c;
    const uint8_t *b = cursor_peek(c, 2);
    if (b && b[0] == 0xff && b[1] == 0x03) {
        c->p += 2;
        b = cursor_peek(c, 1);
    } else if (!b) {
        b = cursor_peek(c, 1);
    }
    if (!b)
        return false;
    if (b[0] & 1) {
        d->ppp_proto = b[0];
        c->p += 1;
    } else {
        if (!cursor_has(c, 2)) {
            c->short_read = true;
            return false;
        }
        d->ppp_proto = load_be16(b);
        c->p += 2;
    }
    d->pkt->ppp_proto = d->ppp_proto;
    return true;
}

bool l2_ppp_nonip(uint16_t proto)
{
    /* 0x8000-0xbfff network control protocols (IPCP 0x8021, IPV6CP 0x8057,
     * CCP ...), 0xc000-0xffff link control (LCP 0xc021, PAP 0xc023,
     * LQR 0xc025, CHAP 0xc223, EAP 0xc227). */
    return proto >= 0x8000;
}

int l2_ppp(struct dctx *d)
{
    struct v6m_packet *pkt = d->pkt;
    switch (d->ppp_proto) {
    case 0x0021:
        d->want_version = 4;
        return ST_IPV4;
    case 0x0057:
        d->want_version = 6;
        return ST_IPV6;
    case 0x0281: case 0x0283:
        return ST_MPLS;
    case 0x002f: /* VJ uncompressed TCP: an IPv4 header whose protocol
                  * byte holds the connection slot (tshark: vjc, ip) */
        d->want_version = 4;
        return ST_IPV4;
    case 0x002d: /* Van Jacobson compressed TCP/IP */
    case 0x003d:              /* multilink fragments */
    case 0x00fb: case 0x00fd: /* compressed datagrams */
        return dctx_drop(d, V6M_DROP_UNSUPPORTED_ENCAP);
    default:
        if (l2_ppp_nonip(d->ppp_proto) || pkt->depth == 0) {
            pkt->ppp_proto_nonip = 1;
            return ST_DONE;
        }
        return dctx_drop(d, V6M_DROP_UNSUPPORTED_ENCAP);
    }
}
