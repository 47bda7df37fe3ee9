/*
 * decode/tunnel.c - tunnels carried by IP: GRE (+ERSPAN, enhanced GRE),
 * and the UDP ones: VXLAN, VXLAN-GPE, Geneve, GTP-U, Teredo, AYIYA, L2TPv2.
 * Each one reads its header, records its ids and loops the state machine
 * back to ST_ETH / ST_ETHERTYPE / ST_IPV4 / ST_IPV6 / ST_PPP through
 * dctx_enter_tunnel() (depth cap). IP-in-IP (4/41) is in ip.c.
 *
 * UDP dispatch follows tshark: ONC RPC services a portmapper announced
 * first (rpc.c), then the lower port, then the higher one (a tunnel
 * decoder that refuses its payload, as tshark's does, passes on; a port
 * tshark's own dissector takes ends it), then Teredo off port 3544 with
 * the heuristic switched on.
 * Ports are looked up in one 64-slot table with a perfect hash (uports[],
 * below): one load and compare per port instead of a tree of compares.
 *
 * Byte layouts (network order):
 *  GRE v0   C R K S s recur(3) | flags(5) ver(3) | protocol(2)
 *           [checksum(2) offset(2) if C or R] [key(4) if K] [seq(4) if S]
 *           [SREs if R: af(2) offset(1) len(1) data(len), until af 0 len 0]
 *  GRE v1   (RFC 2637, PPTP) K must be set: payload length(2) call id(2);
 *           [seq(4) if S] [ack(4) if A = 0x0080]; protocol 0x880b PPP
 *  ERSPAN   protocol 0x88be: type II = 8-byte header when the GRE S bit is
 *           set, type I (no header) otherwise; 0x22eb: type III, 12 bytes
 *           (ver/vlan, cos/bso/t/session, timestamp, sgt/p/ft/hwid/d/gra/O)
 *           + 8-byte platform subheader when O (low bit of byte 11); then
 *           Ethernet.
 *  VXLAN    flags(1, I = 0x08) reserved(3) VNI(3) reserved(1); Ethernet.
 *           (UDP 4789). VXLAN-GPE (4790): flags(1) reserved(2) next(1:
 *           1 IPv4, 2 IPv6, 3 Ethernet, 5 MPLS) VNI(3) reserved(1).
 *  Geneve   ver(2) optlen(6, 4-byte units) | O C rsvd(6) | protocol(2) |
 *           VNI(3) rsvd(1) | options; protocol 0x6558 = Ethernet.
 *  GTP-U v1 flags(1: version 3 bits = 1, PT = 0x10, E 0x04, S 0x02,
 *           PN 0x01) type(1) length(2, after these 8 bytes) TEID(4)
 *           [seq(2) N-PDU(1) next-ext(1) when any of E/S/PN]; each
 *           extension header: len(1, in 4-octet units, 0 = malformed)
 *           content next-ext(1, last byte). 0x85 PDU session container:
 *           content[0] high nibble PDU type (0 DL, 1 UL), content[1] & 0x3f
 *           QFI (TS 38.415). Type 255 (G-PDU) carries a T-PDU (IPv4/IPv6 by
 *           the version nibble); other types are signalling.
 *  Teredo   [auth: 0x0001 idlen(1) aulen(1) id au nonce(8) conf(1)]
 *           [origin: 0x0000 port(2) addr(4)] IPv6 header. On port 3544 the
 *           IPv6 version nibble is enough (tshark's port dissector); the
 *           heuristic also wants >= 40 bytes and a payload length equal to
 *           the bytes that follow the header (tshark's teredo_udp).
 *  AYIYA    idlen/idtype | siglen/hash | auth/opcode | next header |
 *           epoch(4) | identity(2^idlen) | signature(siglen * 4); opcode
 *           1 (forward) carries IPv4 (4) or IPv6 (41).
 *  L2TPv2   T L x x S x O P x x x x ver(4) | [length(2) if L] tunnel(2)
 *           session(2) | [Ns Nr if S] | [offset size(2) + pad if O] | PPP.
 */
#include "decode/decode_int.h"

#include <string.h>

/* Decoders for rare carriers: kept out of tun_udp_port() so that its
 * common cases (GTP-U, VXLAN, ...) do not pay for their registers. */
#if defined(__GNUC__) || defined(__clang__)
#define DEC_COLD __attribute__((noinline, cold))
#else
#define DEC_COLD
#endif

int tun_gre(struct dctx *d)
{
    struct cursor *c = &d->c;
    struct v6m_packet *pkt = d->pkt;
    pkt->encap |= V6M_ENC_GRE;
    const uint8_t *b = cursor_peek(c, 4);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    uint16_t flags = load_be16(b);
    uint16_t proto = load_be16(b + 2);
    unsigned ver = flags & 7;
    c->p += 4;
    if (ver != 1) {
        if (flags & 0xc000)
            cursor_skip(c, 4);
        if (flags & 0x2000) {
            pkt->gre_key = cursor_be32(c);
            pkt->gre_has_key = 1;
        }
        if (flags & 0x1000)
            cursor_skip(c, 4);
        if (flags & 0x4000) {
            for (;;) {
                uint16_t af = cursor_be16(c);
                cursor_skip(c, 1);
                uint8_t sl = cursor_u8(c);
                if (c->short_read || (af == 0 && sl == 0))
                    break;
                cursor_skip(c, sl);
            }
        }
        if (c->short_read)
            return dctx_drop(d, V6M_DROP_TRUNCATED);
    } else {
        /* version 1 (RFC 2637 enhanced GRE); other versions are decoded
         * with the same layout, as tshark does */
        uint32_t key = 0;
        if (flags & 0x2000)
            key = cursor_be32(c);
        if (flags & 0x1000)
            cursor_skip(c, 4);
        if (flags & 0x0080)
            cursor_skip(c, 4);
        if (c->short_read)
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        if (flags & 0x2000) {
            pkt->gre_key = key;
            pkt->gre_has_key = 1;
            if ((key >> 16) == 0)
                return ST_DONE; /* acknowledgement only */
            dctx_bound(d, key >> 16);
        }
    }

    switch (proto) {
    case 0x88be:
        pkt->encap |= V6M_ENC_ERSPAN;
        if ((flags & 0x1000) && !cursor_skip(c, 8))
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        return dctx_enter_tunnel(d, ST_ETH);
    case 0x22eb:
        pkt->encap |= V6M_ENC_ERSPAN;
        b = cursor_peek(c, 12);
        if (!b || !cursor_skip(c, (b[11] & 1) ? 20 : 12))
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        return dctx_enter_tunnel(d, ST_ETH);
    default:
        d->ethertype = proto;
        return dctx_enter_tunnel(d, ST_ETHERTYPE);
    }
}

static int tun_vxlan(struct dctx *d)
{
    const uint8_t *b = cursor_peek(&d->c, 8);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    d->pkt->encap |= V6M_ENC_VXLAN;
    if (b[0] & 0x08)
        d->pkt->vni = load_be32(b + 4) >> 8;
    d->c.p += 8;
    return dctx_enter_tunnel(d, ST_ETH);
}

/*
 * CAPWAP data channel (RFC 5415 section 4.3, RFC 5416), UDP 5247:
 *   preamble(1): version(4) = 0 | type(4): 0 = CAPWAP header, 1 = DTLS
 *   HLEN(5) RID(5) WBID(5) T(1) | F L W M K flags(5) + 3 reserved |
 *   fragment id(2) | fragment offset(13) reserved(3) | [radio MAC]
 *   [wireless info]; the header is HLEN * 4 bytes.
 * Payload: T = 0 an 802.3 (Ethernet) frame; T = 1 with WBID 1 an IEEE
 * 802.11 frame. DTLS-protected data and CAPWAP fragments (F) cannot be
 * read: the packet stays at the carrying IP header (as in tshark).
 *
 * An 802.11 payload (here, and in TZSP below) is read by wlan.c and is a
 * tunnel level; CAPWAP's frame control field is byte-swapped, as tshark
 * reads it by default (Cisco controllers send it swapped).
 */
static int tun_80211(struct dctx *d, bool swapped)
{
    int st = wlan_frame(d, swapped, false);
    return st == ST_ETHERTYPE ? dctx_enter_tunnel(d, ST_ETHERTYPE) : st;
}

static int tun_capwap(struct dctx *d)
{
    struct cursor *c = &d->c;
    const uint8_t *b = cursor_peek(c, 8);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    /* tshark reads any preamble version the same way (version 0 is the
     * only one defined) and never lets the datagram go */
    d->pkt->encap |= V6M_ENC_CAPWAP;
    if ((b[0] & 0x0f) == 1)
        return ST_DONE; /* DTLS-protected (other types read as 0, as tshark) */
    uint32_t w = load_be32(b);
    size_t hlen = (size_t)((w >> 19) & 0x1f) * 4;
    unsigned wbid = (w >> 9) & 0x1f;
    bool native = (w >> 8) & 1;
    bool frag = (w >> 7) & 1;
    if (hlen < 8)
        return dctx_drop(d, V6M_DROP_MALFORMED);
    if (frag)
        return dctx_drop(d, V6M_DROP_UNSUPPORTED_ENCAP);
    if (!cursor_skip(c, hlen))
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    if (!native)
        return dctx_enter_tunnel(d, ST_ETH);
    if (wbid == 1)
        return tun_80211(d, true);
    return dctx_drop(d, V6M_DROP_UNSUPPORTED_ENCAP);
}

/* LISP (RFC 9300/9301), as tshark 4.0 reads it. Data plane (UDP 4341): an
 * 8-byte header, then an IP packet chosen by its version nibble (another
 * nibble: non-IP). Control plane (UDP 4342): only an Encapsulated Control
 * Message (type 8) carries a packet: a 4-byte header, then IP by version
 * nibble; other message types carry none. */
DEC_COLD static int tun_lisp(struct dctx *d, bool data)
{
    struct cursor *c = &d->c;
    const uint8_t *b = cursor_peek(c, data ? 9 : 5);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    if (!data && (b[0] >> 4) != 8)
        return ST_DONE;
    size_t hlen = data ? 8 : 4;
    unsigned v = b[hlen] >> 4;
    if (v != 4 && v != 6)
        return ST_DONE;
    c->p += hlen;
    d->want_version = (uint8_t)v;
    return dctx_enter_tunnel(d, v == 4 ? ST_IPV4 : ST_IPV6);
}

/*
 * sFlow v5 (UDP 6343): version(4) = 5, agent address type(4: 1 IPv4, 2
 * IPv6) and address, sub-agent(4) sequence(4) uptime(4) samples(4); each
 * sample: type(4: enterprise << 12 | format) length(4) body. Flow samples
 * (format 1: 8 words before the record count's end; expanded, format 3:
 * 11 words) hold records of type(4) length(4) body; record 1 is a raw
 * packet header: protocol(4: 1 Ethernet, 11 IPv4, 12 IPv6) frame
 * length(4) stripped(4) header length(4) header.
 * tshark 4.0 decodes every sampled header as layers of the frame, so the
 * frame's family is that of the last sampled header that holds an IP
 * layer; this decodes the last raw header record (a copy of a packet, the
 * way ERSPAN carries one) as a tunnel payload, and a datagram without one
 * stays at its carrying IP header. Other versions: not read.
 */
DEC_COLD static int tun_sflow(struct dctx *d)
{
    struct cursor c = d->c;
    uint32_t ver = cursor_be32(&c), atype = cursor_be32(&c);
    if (c.short_read)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    /* tshark's sflow_245 refuses other versions and address types, and
     * the next port or the Teredo heuristic is tried; it reads v2/v4
     * datagrams and address type 0 but v6mon takes no samples from them */
    if ((ver != 2 && ver != 4 && ver != 5) || atype > 2)
        return -1;
    if (ver != 5 || atype == 0)
        return ST_DONE;
    cursor_skip(&c, atype == 1 ? 4 : 16);
    cursor_skip(&c, 12);
    uint32_t nsamples = cursor_be32(&c);
    if (c.short_read)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    const uint8_t *hdr = NULL;
    uint32_t hproto = 0, hlen = 0;
    for (uint32_t i = 0; i < nsamples; i++) {
        uint32_t type = cursor_be32(&c), slen = cursor_be32(&c);
        if (c.short_read || slen > cursor_left(&c))
            break; /* cut: what was read so far counts, as in tshark */
        struct cursor sc = cursor_sub(&c, slen);
        if (type != 1 && type != 3)
            continue;
        cursor_skip(&sc, type == 1 ? 28 : 40);
        uint32_t nrec = cursor_be32(&sc);
        for (uint32_t r = 0; r < nrec && !sc.short_read; r++) {
            uint32_t rtype = cursor_be32(&sc), rlen = cursor_be32(&sc);
            if (sc.short_read || rlen > cursor_left(&sc))
                break;
            struct cursor rc = cursor_sub(&sc, rlen);
            if (rtype != 1)
                continue;
            uint32_t proto = cursor_be32(&rc);
            cursor_skip(&rc, 8);
            uint32_t len = cursor_be32(&rc);
            if (rc.short_read)
                continue;
            hdr = rc.p;
            hproto = proto;
            hlen = len < cursor_left(&rc) ? len : (uint32_t)cursor_left(&rc);
        }
    }
    if (!hdr)
        return ST_DONE;
    d->c.p = hdr;
    dctx_bound(d, hlen);
    switch (hproto) {
    case 1:
        return dctx_enter_tunnel(d, ST_ETH);
    case 11:
        d->want_version = 0;
        return dctx_enter_tunnel(d, ST_IPV4);
    case 12:
        d->want_version = 6;
        return dctx_enter_tunnel(d, ST_IPV6);
    default:
        return ST_DONE; /* another link layer: not read */
    }
}

/*
 * TZSP (UDP 37008): version(1) = 1, type(1: 0 received, 1 transmitted
 * packet), encapsulation(2: 1 Ethernet, 18 802.11), tagged fields (0 =
 * padding byte, 1 = end, others: tag, length, value), then the frame, as
 * tshark 4.0 reads it. Other types and encapsulations carry nothing read.
 */
DEC_COLD static int tun_tzsp(struct dctx *d)
{
    struct cursor *c = &d->c;
    const uint8_t *b = cursor_peek(c, 4);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    uint16_t encap = load_be16(b + 2);
    if (b[0] != 1 || b[1] > 1 || (encap != 1 && encap != 18))
        return ST_DONE;
    c->p += 4;
    for (;;) {
        uint8_t tag = cursor_u8(c);
        if (c->short_read)
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        if (tag == 1)
            break;
        if (tag == 0)
            continue;
        uint8_t len = cursor_u8(c);
        if (c->short_read || !cursor_skip(c, len))
            return dctx_drop(d, V6M_DROP_TRUNCATED);
    }
    return encap == 1 ? dctx_enter_tunnel(d, ST_ETH) : tun_80211(d, false);
}

static int tun_vxlan_gpe(struct dctx *d)
{
    const uint8_t *b = cursor_peek(&d->c, 8);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    d->pkt->encap |= V6M_ENC_VXLAN;
    if (b[0] & 0x08)
        d->pkt->vni = load_be32(b + 4) >> 8;
    d->c.p += 8;
    switch (b[3]) {
    case 1: d->want_version = 4; return dctx_enter_tunnel(d, ST_IPV4);
    case 2: d->want_version = 6; return dctx_enter_tunnel(d, ST_IPV6);
    case 3: return dctx_enter_tunnel(d, ST_ETH);
    case 5: return dctx_enter_tunnel(d, ST_MPLS);
    default: return dctx_drop(d, V6M_DROP_UNSUPPORTED_ENCAP);
    }
}

static int tun_geneve(struct dctx *d)
{
    struct cursor *c = &d->c;
    const uint8_t *b = cursor_peek(c, 8);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    d->pkt->encap |= V6M_ENC_GENEVE; /* any version, like tshark */
    d->pkt->vni = load_be32(b + 4) >> 8;
    uint16_t proto = load_be16(b + 2);
    if (!cursor_skip(c, 8 + (size_t)(b[0] & 0x3f) * 4))
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    if (proto == 0x6558)
        return dctx_enter_tunnel(d, ST_ETH);
    d->ethertype = proto;
    return dctx_enter_tunnel(d, ST_ETHERTYPE);
}

/* GTP v0/v1 message types tshark 4.0 knows (found by offering it each of
 * the 256 on UDP 2152): a datagram with another type is not GTP to it,
 * and the next port or the Teredo heuristic gets it. */
static inline bool gtp_known_type(uint8_t t)
{
    static const uint64_t known[4] = {
        /* 1-7, 16-37, 48-62 */
        0x7fff003fffff00feull,
        /* 70, 96-105, 112-121 */
        0x03ff03ff00000040ull,
        /* 128, 129 */
        0x0000000000000003ull,
        /* 240, 241, 254, 255 */
        0xc003000000000000ull,
    };
    return t == 255 || ((known[t >> 6] >> (t & 63)) & 1);
}

static int tun_gtpu(struct dctx *d)
{
    struct cursor *c = &d->c;
    struct v6m_packet *pkt = d->pkt;
    const uint8_t *b = cursor_peek(c, 2);
    if (!b) /* cut by the snap length, or a datagram too short for GTP */
        return dctx_rep_left(d) >= 2 ? dctx_drop(d, V6M_DROP_TRUNCATED) : -1;
    if ((b[0] >> 5) > 2 || ((b[0] >> 5) < 2 && !gtp_known_type(b[1])))
        return -1; /* not GTP (tshark's test): let the other port try */
    b = cursor_peek(c, 8);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    uint8_t flags = b[0];
    if ((flags >> 5) != 1 || !(flags & 0x10))
        return dctx_drop(d, V6M_DROP_MALFORMED); /* GTP v0 / GTP' / v2 */
    pkt->encap |= V6M_ENC_GTPU;
    pkt->gtp_msg_type = b[1];
    pkt->gtp_teid = load_be32(b + 4);
    pkt->gtp_ep_family = pkt->inner.family;
    memcpy(pkt->gtp_ep_src, pkt->inner.src, 16);
    memcpy(pkt->gtp_ep_dst, pkt->inner.dst, 16);
    pkt->gtp_user = 0;
    uint16_t len = load_be16(b + 2);
    c->p += 8;
    dctx_bound(d, len);
    if (flags & 0x07) {
        b = cursor_peek(c, 4);
        if (!b)
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        c->p += 4;
        uint8_t next = (flags & 0x04) ? b[3] : 0;
        while (next != 0) {
            b = cursor_peek(c, 1);
            if (!b)
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            size_t elen = (size_t)b[0] * 4;
            if (elen == 0)
                return dctx_drop(d, V6M_DROP_MALFORMED);
            b = cursor_peek(c, elen);
            if (!b)
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            if (next == 0x85) {
                pkt->gtp_pdu_type = b[1] >> 4;
                pkt->gtp_qfi = elen >= 4 ? (b[2] & 0x3f) : 0xff;
            }
            next = b[elen - 1];
            c->p += elen;
        }
    }
    if (pkt->gtp_msg_type != 255)
        return ST_DONE; /* signalling (echo, error indication, end marker...) */
    b = cursor_peek(c, 1);
    if (!b)
        return dctx_rep_left(d) == 0 ? ST_DONE : dctx_drop(d, V6M_DROP_TRUNCATED);
    switch (b[0] >> 4) {
    case 4:
        d->want_version = 4;
        d->gtp_tpdu = 1;
        return dctx_enter_tunnel(d, ST_IPV4);
    case 6:
        d->want_version = 6;
        d->gtp_tpdu = 1;
        return dctx_enter_tunnel(d, ST_IPV6);
    default:
        return dctx_drop(d, V6M_DROP_UNSUPPORTED_ENCAP);
    }
}

/* Returns ST_IPV6 (cursor moved past the indicators) or -1 when the
 * payload does not look like Teredo (then nothing is changed). */
static int tun_teredo(struct dctx *d, bool heuristic)
{
    struct cursor c = d->c;
    struct v6m_packet *pkt = d->pkt;
    uint8_t auth = 0, origin = 0;
    if (heuristic) {
        /* a candidate starts with the IPv6 nibble or an indicator
         * (0x0000 / 0x0001): most UDP payloads stop at this first byte */
        if (!cursor_has(&c, 40) || ((c.p[0] >> 4) != 6 && c.p[0] != 0) ||
            rpc_known_call(c.p, (size_t)(c.end - c.p)))
            return -1;
    }
    const uint8_t *b = cursor_peek(&c, 4);
    if (b && b[0] == 0 && b[1] == 1) {
        auth = 1;
        if (!cursor_skip(&c, 4 + (size_t)b[2] + b[3] + 9))
            return -1;
    }
    b = cursor_peek(&c, 2);
    if (b && b[0] == 0 && b[1] == 0) {
        origin = 1;
        if (!cursor_skip(&c, 8))
            return -1;
    }
    b = cursor_peek(&c, heuristic ? 40 : 1);
    if (!b || (b[0] >> 4) != 6)
        return -1;
    if (heuristic) {
        size_t after = (size_t)(d->rep_end > cursor_offset(&c) ? d->rep_end - cursor_offset(&c) : 0);
        if (after < 40 || load_be16(b + 4) != after - 40)
            return -1;
    }
    d->c = c;
    pkt->encap |= V6M_ENC_TEREDO;
    pkt->teredo_auth = auth;
    pkt->teredo_origin = origin;
    d->want_version = 6;
    return dctx_enter_tunnel(d, ST_IPV6);
}

static int tun_ayiya(struct dctx *d)
{
    const uint8_t *b = cursor_peek(&d->c, 8);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    size_t hlen = 8 + ((size_t)1 << (b[0] >> 4)) + (size_t)(b[1] >> 4) * 4;
    unsigned opcode = b[2] & 15;
    uint8_t nh = b[3];
    d->pkt->encap |= V6M_ENC_AYIYA;
    if (!cursor_skip(&d->c, hlen))
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    if (opcode != 1)
        return ST_DONE; /* heartbeat, query ...: no payload */
    if (nh == 41) {
        d->want_version = 6;
        return dctx_enter_tunnel(d, ST_IPV6);
    }
    if (nh == 4) {
        d->want_version = 0;
        return dctx_enter_tunnel(d, ST_IPV4);
    }
    return dctx_drop(d, V6M_DROP_UNSUPPORTED_ENCAP);
}

static int tun_l2tp(struct dctx *d)
{
    struct cursor *c = &d->c;
    const uint8_t *b = cursor_peek(c, 2);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    uint16_t fl = load_be16(b);
    if ((fl & 0xf) == 3)
        return ST_DONE; /* L2TPv3 over UDP: tshark takes it, not decoded */
    if ((fl & 0xf) != 2)
        return -1; /* not L2TP to tshark: the next port or the heuristic */
    d->pkt->encap |= V6M_ENC_L2TP;
    if (fl & 0x8000)
        return ST_DONE; /* control message */
    c->p += 2;
    if (fl & 0x4000)
        cursor_skip(c, 2);
    cursor_skip(c, 4); /* tunnel id, session id */
    if (fl & 0x0800)
        cursor_skip(c, 4);
    if (fl & 0x0200) {
        uint16_t pad = cursor_be16(c);
        cursor_skip(c, pad);
    }
    if (c->short_read)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    if (!l2_read_ppp_proto(d))
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    d->pkt->encap |= V6M_ENC_PPP;
    return dctx_enter_tunnel(d, ST_PPP);
}

/* UDP ports the decoder has a tunnel decoder for. The ports whose tshark
 * port dissector takes any datagram (DNS, NTP, DHCP, NetBIOS, syslog,
 * IKE, ...) are a separate list below (tshark_udp_claims[]): such a port
 * ends the dispatch, and the Teredo heuristic never runs (a DNS id can
 * start with nibble 6 and a matching "length" by chance).
 *
 * One table of 64 slots with a perfect multiplicative hash of the port
 * ((port * UPORT_MUL) >> 26 puts each of these 14 ports in its own slot), so
 * a lookup is one load and one compare. Before: two `switch`es compiled to
 * trees of compares, several branches per UDP frame on ports that change
 * from one frame to the next. Port 0 hashes to slot 0, which is empty
 * ({0, UP_NONE}), so it is nothing as well. Adding a port: recompute the
 * slots (all must differ, or pick another multiplier). */
enum uport_kind {
    UP_NONE = 0,
    UP_L2TP,      /* 1701 */
    UP_GTPU,      /* 2152 */
    UP_TEREDO,    /* 3544 */
    UP_VXLAN,     /* 4789 */
    UP_VXLAN_GPE, /* 4790 */
    UP_AYIYA,     /* 5072 */
    UP_CAPWAP,    /* 5247 (data channel) */
    UP_GENEVE,    /* 6081 */
    UP_LISP_DATA, /* 4341 */
    UP_LISP,      /* 4342 (control: an Encapsulated Control Message) */
    UP_GRE,       /* 4754 (GRE-in-UDP, RFC 8086) */
    UP_MPLS,      /* 6635 (MPLS-in-UDP, RFC 7510) */
    UP_SFLOW,     /* 6343 (sampled packet headers) */
    UP_TZSP,      /* 37008 (TaZmen sniffer stream) */
};

struct uport {
    uint16_t port;
    uint8_t kind;
};

#define UPORT_MUL 0xb19ef1b7u

static const struct uport uports[64] = {
    [7] = {5072, UP_AYIYA}, [8] = {2152, UP_GTPU}, [12] = {6081, UP_GENEVE},
    [13] = {1701, UP_L2TP}, [20] = {37008, UP_TZSP}, [28] = {4790, UP_VXLAN_GPE},
    [30] = {4754, UP_GRE}, [34] = {5247, UP_CAPWAP}, [36] = {6635, UP_MPLS},
    [39] = {4342, UP_LISP}, [48] = {4789, UP_VXLAN}, [59] = {4341, UP_LISP_DATA},
    [60] = {3544, UP_TEREDO}, [62] = {6343, UP_SFLOW},
};

static inline unsigned uport_kind(uint16_t port)
{
    const struct uport *u = &uports[(uint32_t)(port * UPORT_MUL) >> 26];
    return u->port == port ? u->kind : UP_NONE;
}

/* -1 when no decoder is registered on the port or it rejected the
 * payload (tshark then tries the other port). */
static int tun_udp_port(struct dctx *d, uint16_t port)
{
    switch (uport_kind(port)) {
    case UP_L2TP: return tun_l2tp(d);
    case UP_GTPU: return tun_gtpu(d);
    case UP_TEREDO: return tun_teredo(d, false);
    case UP_VXLAN: return tun_vxlan(d);
    case UP_VXLAN_GPE: return tun_vxlan_gpe(d);
    case UP_AYIYA: return tun_ayiya(d);
    case UP_CAPWAP: return tun_capwap(d);
    case UP_GENEVE: return tun_geneve(d);
    case UP_LISP_DATA: return tun_lisp(d, true);
    case UP_LISP: return tun_lisp(d, false);
    case UP_GRE: return tun_gre(d);
    case UP_MPLS: return dctx_enter_tunnel(d, ST_MPLS);
    case UP_SFLOW: return tun_sflow(d);
    case UP_TZSP: return tun_tzsp(d);
    default: return -1;
    }
}

/* The UDP ports whose tshark 4.0.17 port dissector takes a datagram that
 * looks like Teredo (an IPv6 header whose payload length fits), so that
 * neither the other port nor the Teredo heuristic is tried. Found by
 * offering 12 such datagrams (6 payloads, the port as source and as
 * destination, each between its own pair of hosts so that no conversation
 * tshark sets up carries over) on each of the 328 ports `tshark -G
 * decodes` lists for udp.port: 177 took all 12, 130 none (SNMP, STUN,
 * SIP, NetFlow, ... check their payload and let it go on), 21 some; those
 * that took at least half are listed. Our own tunnel ports are not listed:
 * uports[] handles them first. */
static const uint16_t tshark_udp_claims[] = {
    7, 13, 19, 37, 49, 53, 67, 68, 69, 111, 123, 137, 138, 173, 213, 269, 319,
    320, 389, 427, 434, 464, 496, 500, 502, 513, 514, 520, 521, 524, 525, 546,
    547, 631, 664, 701, 853, 854, 910, 921, 925, 1001, 1113, 1153, 1194, 1293,
    1628, 1629, 1718, 1719, 1745, 1755, 1900, 1985, 2029, 2099, 2157, 2221,
    2222, 2246, 2268, 2269, 2313, 2345, 2887, 2944, 2945, 2948, 2949, 3000,
    3130, 3250, 3343, 3357, 3389, 3452, 3455, 3567, 3671, 3784, 3785, 3804,
    3863, 4305, 4306, 4307, 4500, 4551, 4555, 4569, 4729, 4784, 4791, 4991,
    5031, 5094, 5246, 5353, 5355, 5404, 5405, 5436, 5567, 5683, 5684, 5868,
    6073, 6118, 6160, 6784, 6970, 7074, 7075, 7255, 7275, 7784, 8200, 8600,
    8611, 8612, 8613, 8614, 8755, 8767, 8805, 8848, 9200, 9201, 9202, 9203,
    9214, 9600, 9875, 9877, 9899, 9901, 9956, 10253, 11211, 11273, 12000,
    12001, 12002, 12003, 12004, 12220, 12222, 12223, 13400, 17220, 17500,
    17755, 17756, 19132, 19948, 19999, 22222, 23272, 24576, 24577, 25826,
    26000, 27500, 27910, 27950, 27951, 27952, 27953, 27960, 27961, 27962,
    27963, 32000, 32512, 34962, 34980, 41170, 44818, 47000, 54328,
};

void udp_claims_init(uint64_t bits[1024])
{
    memset(bits, 0, 1024 * sizeof(bits[0]));
    for (size_t i = 0; i < sizeof(tshark_udp_claims) / sizeof(tshark_udp_claims[0]); i++)
        bits[tshark_udp_claims[i] >> 6] |= (uint64_t)1 << (tshark_udp_claims[i] & 63);
}

static inline bool udp_claimed(const struct v6m_decoder *dec, uint16_t port)
{
    return (dec->udp_claimed[port >> 6] >> (port & 63)) & 1;
}

unsigned decode_udp_port_class(const struct v6m_decoder *dec, uint16_t port)
{
    return uport_kind(port) != UP_NONE ? 1 : udp_claimed(dec, port) ? 2 : 0;
}

/* One port, as tshark tries it: our decoder for it (a state, or -1 when
 * it rejected the payload), ST_DONE when a tshark port dissector takes the
 * datagram, -1 when nothing is registered there. */
static int udp_port_step(struct dctx *d, uint16_t port)
{
    int st = tun_udp_port(d, port);
    if (st >= 0)
        return st;
    return udp_claimed(d->dec, port) ? ST_DONE : -1;
}

int tun_udp(struct dctx *d, uint16_t sport, uint16_t dport)
{
    /* RPC services a portmapper announced come first, as tshark's
     * conversation dissectors do (rpc.c) */
    if (__builtin_expect(d->dec->rpc.n_eps != 0, 0) && rpc_endpoint_known(d, sport, dport))
        return ST_DONE;
    if (__builtin_expect((sport == 111) | (dport == 111), 0))
        rpc_portmap_note(d, sport, dport);
    /* the lower port first, then the higher (tshark's order, which
     * prefers well-known ports), then the heuristic */
    uint16_t lo = sport < dport ? sport : dport;
    uint16_t hi = sport < dport ? dport : sport;
    int st = udp_port_step(d, lo);
    if (st < 0 && hi != lo)
        st = udp_port_step(d, hi);
    if (st >= 0)
        return st;
    if (d->teredo_heuristic && (st = tun_teredo(d, true)) >= 0)
        return st;
    return ST_DONE;
}
