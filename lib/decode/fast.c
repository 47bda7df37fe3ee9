/*
 * decode/fast.c - the decoder's fast path: the frames that make up nearly
 * all of an operator's traffic, decoded in one straight function instead of
 * one state-machine step per layer.
 *
 * What it takes (everything else is left to the state machine):
 *   Ethernet (outermost, link type 1) -> 802.1Q / 802.1ad tags ->
 *     PPPoE session + PPP 0x0021 / 0x0057, or ethertype 0x0800 / 0x86dd
 *   IPv4 with IHL 5, a non-zero total length, not a fragment
 *   IPv6 whose next header is TCP, UDP, ICMP or ICMPv6 (no extension
 *     header), not from 6in4
 *   TCP, UDP, ICMP, ICMPv6; a UDP payload goes through tun_udp() (the same
 *     port dispatch as the state machine), and a tunnel that lands on IPv4
 *     or IPv6 (GTP-U, Teredo, VXLAN-GPE, AYIYA) comes back here.
 *
 * Contract: at each point where the fast path does not apply, it returns
 * the state the machine would be in there, having written nothing for
 * that layer yet (cursor at the layer's first byte, d->ethertype /
 * d->ppp_proto / d->want_version set as the machine sets them), and
 * v6m_decoder_decode() runs the machine from that state. Every layer it
 * does take writes exactly the fields, in the same way, as the state
 * function for that layer (ip_begin() and ip_l4_payload() are shared), so
 * a record never depends on which path decoded it. decoder_set_fast()
 * switches the fast path off so that a test can decode the same frames
 * both ways and compare the records byte for byte (docs/internals/
 * decode.md says what was compared).
 *
 * Why: the state machine's dispatch is an indirect jump per layer, which
 * the branch predictor misses whenever the mix of encapsulations changes
 * from one frame to the next (it does, on every mixed link); here the
 * common sequence is straight code with one well-predicted test per layer.
 */
#include "decode/decode_int.h"

#include <string.h>

#define ST_FAST_L4 (-2) /* internal: an IP header was taken, go on with L4 */

/* Ethernet, tags, PPPoE: returns ST_IPV4 / ST_IPV6 with the cursor on the
 * IP header, or the machine's state (ST_ETH, ST_ETHERTYPE, ST_PPP,
 * ST_DONE) to continue from. */
static inline int fast_l2(struct dctx *d)
{
    struct cursor *c = &d->c;
    struct v6m_packet *pkt = d->pkt;
    const uint8_t *b = cursor_peek(c, 14);
    if (!b) {
        c->short_read = false; /* the machine will read it again */
        return ST_ETH;
    }
    /* l2_eth() for the outermost Ethernet (depth 0) */
    pkt->has_eth = 1;
    memcpy(pkt->eth_dst, b, 6);
    memcpy(pkt->eth_src, b + 6, 6);
    c->p += 14;
    uint16_t type = load_be16(b + 12);
    if (type < 0x0600)
        return l2_llc(d, type); /* what l2_eth() does next */
    /* l2_ethertype(): tags */
    while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
        bool llc_next = type != 0x88a8;
        pkt->encap |= type == 0x8100 ? V6M_ENC_VLAN : V6M_ENC_QINQ;
        b = cursor_peek(c, 4);
        if (!b)
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        c->p += 4;
        if (pkt->n_vlans < V6M_MAX_VLANS)
            pkt->vlan[pkt->n_vlans] = load_be16(b) & 0x0fff;
        if (pkt->n_vlans < 255)
            pkt->n_vlans++;
        type = load_be16(b + 2);
        if (type < 0x0600) /* tagged 802.3, as l2_ethertype() */
            return llc_next ? l2_llc(d, type) : ST_DONE;
    }
    d->ethertype = type;
    if (type == 0x0800) {
        d->want_version = 0;
        return ST_IPV4;
    }
    if (type == 0x86dd) {
        d->want_version = 6;
        return ST_IPV6;
    }
    if (type != 0x8864)
        return ST_ETHERTYPE;
    /* PPPoE session stage, as l2_ethertype() reads it */
    b = cursor_peek(c, 6);
    if (!b || b[0] != 0x11 || b[1] != 0x00) {
        c->short_read = false;
        return ST_ETHERTYPE;
    }
    c->p += 6;
    pkt->encap |= V6M_ENC_PPPOE | V6M_ENC_PPP;
    pkt->pppoe_session = load_be16(b + 2);
    dctx_bound(d, load_be16(b + 4));
    if (!l2_read_ppp_proto(d))
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    /* l2_ppp() for the two IP protocols */
    if (d->ppp_proto == 0x0021) {
        d->want_version = 4;
        return ST_IPV4;
    }
    if (d->ppp_proto == 0x0057) {
        d->want_version = 6;
        return ST_IPV6;
    }
    return ST_PPP;
}

/* ip_v4() for a plain header: version 4, IHL 5, total length >= 20, not a
 * fragment. ST_FAST_L4 when taken, else ST_IPV4 (nothing written). */
static inline int fast_v4(struct dctx *d)
{
    struct cursor *c = &d->c;
    const uint8_t *b = cursor_peek(c, 20);
    if (!b) {
        c->short_read = false;
        return ST_IPV4;
    }
    size_t total = load_be16(b + 2);
    if (b[0] != 0x45 || total < 20 || (load_be16(b + 6) & 0x3fff) != 0)
        return ST_IPV4;
    struct v6m_iphdr *ih = ip_begin(d, V6M_FAMILY_IPV4);
    ih->family = V6M_FAMILY_IPV4;
    ih->proto = b[9];
    ih->hop_limit = b[8];
    ih->tclass = b[1];
    ih->flow_label = 0;
    memcpy(ih->src, b + 12, 4);
    memset(ih->src + 4, 0, 12);
    memcpy(ih->dst, b + 16, 4);
    memset(ih->dst + 4, 0, 12);
    ih->offset = ip_clamp16(cursor_offset(c));
    ih->frag_id = load_be16(b + 4);
    ih->frag_offset = 0;
    ih->more_frags = 0;
    ih->is_fragment = 0;
    ih->rh_type = 255;
    ih->ext_count = 0;
    ih->v4_options = 0;
    ih->pad_ = 0;
    c->p += 20;
    dctx_bound(d, total - 20);
    ih->l4_offset = ip_clamp16(cursor_offset(c));
    return ST_FAST_L4;
}

/* ip_v6() for a header followed directly by TCP, UDP, ICMP or ICMPv6. */
static inline int fast_v6(struct dctx *d)
{
    struct cursor *c = &d->c;
    const uint8_t *b = cursor_peek(c, 40);
    if (!b) {
        c->short_read = false;
        return ST_IPV6;
    }
    uint8_t nh = b[6];
    if ((b[0] >> 4) != 6 || d->from_6in4 ||
        !(nh == 6 || nh == 17 || nh == 58 || nh == 1))
        return ST_IPV6;
    uint32_t w = load_be32(b);
    size_t plen = load_be16(b + 4);
    struct v6m_iphdr *ih = ip_begin(d, V6M_FAMILY_IPV6);
    ih->family = V6M_FAMILY_IPV6;
    ih->proto = nh;
    ih->hop_limit = b[7];
    ih->tclass = (uint8_t)(w >> 20);
    ih->flow_label = w & 0xfffff;
    memcpy(ih->src, b + 8, 16);
    memcpy(ih->dst, b + 24, 16);
    ih->offset = ip_clamp16(cursor_offset(c));
    ih->frag_id = 0;
    ih->frag_offset = 0;
    ih->is_fragment = 0;
    ih->more_frags = 0;
    ih->rh_type = 255;
    ih->ext_count = 0;
    ih->v4_options = 0;
    ih->pad_ = 0;
    c->p += 40;
    if (plen != 0)
        dctx_bound(d, plen);
    ih->l4_offset = ip_clamp16(cursor_offset(c));
    return ST_FAST_L4;
}

/* ip_l4() for TCP, UDP (then tun_udp()), ICMP and ICMPv6; ST_L4 (nothing
 * written) for any other protocol. */
static inline int fast_l4(struct dctx *d)
{
    struct cursor *c = &d->c;
    struct v6m_packet *pkt = d->pkt;
    uint8_t proto = pkt->inner.proto;
    size_t off = cursor_offset(c);
    const uint8_t *b;
    if (proto == 6) {
        pkt->l4_proto = proto;
        b = cursor_peek(c, 20);
        if (!b)
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        pkt->sport = load_be16(b);
        pkt->dport = load_be16(b + 2);
        pkt->tcp_flags = b[13];
        size_t doff = (size_t)(b[12] >> 4) * 4;
        if (doff < 20)
            return dctx_drop(d, V6M_DROP_MALFORMED);
        if (cursor_has(c, doff))
            ip_l4_payload(d, off + doff);
        return ST_DONE;
    }
    if (proto == 17) {
        pkt->l4_proto = proto;
        b = cursor_peek(c, 8);
        if (!b)
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        uint16_t sport = load_be16(b), dport = load_be16(b + 2);
        size_t ulen = load_be16(b + 4);
        pkt->sport = sport;
        pkt->dport = dport;
        c->p += 8;
        if (ulen < 8) /* as ip_l4(): tshark does not read the payload */
            return dctx_drop(d, V6M_DROP_MALFORMED);
        dctx_bound(d, ulen - 8);
        ip_l4_payload(d, off + 8);
        return tun_udp(d, sport, dport);
    }
    if (proto == 1 || proto == 58) {
        pkt->l4_proto = proto;
        b = cursor_peek(c, 4);
        if (!b)
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        pkt->icmp_type = b[0];
        pkt->icmp_code = b[1];
        bool echo = proto == 1 ? (b[0] == 0 || b[0] == 8) : (b[0] == 128 || b[0] == 129);
        if (echo) {
            b = cursor_peek(c, 8);
            if (!b)
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            pkt->sport = load_be16(b + 4);
        }
        if (cursor_has(c, 8))
            ip_l4_payload(d, off + 8);
        return ST_DONE;
    }
    return ST_L4;
}

int decode_fast(struct dctx *d)
{
    int st = fast_l2(d);
    for (;;) {
        int r;
        if (st == ST_IPV4)
            r = fast_v4(d);
        else if (st == ST_IPV6)
            r = fast_v6(d);
        else
            return st;
        if (r != ST_FAST_L4)
            return r;
        st = fast_l4(d);
    }
}
