/*
 * decode/ip.c - IPv4, IPv6 with its extension-header chain, and the upper
 * layer (ST_L4) of the current IP header, which is also where IP-carried
 * tunnels start.
 *
 * Byte layouts (network order):
 *   IPv4  ver(4) ihl(4) | tos | total length(2) | id(2) | flags(3)
 *         offset(13, in 8-byte units) | ttl | proto | checksum(2) | src(4)
 *         dst(4) | options (ihl*4 - 20)
 *   IPv6  ver(4) tclass(8) flow(20) | payload length(2) | next(1) |
 *         hop limit(1) | src(16) | dst(16)
 *   ext   next(1) len(1) ...: hop-by-hop 0, routing 43 (type in byte 2),
 *         destination options 60, mobility 135, HIP 139, shim6 140:
 *         (len + 1) * 8 bytes; AH 51: (len + 2) * 4 bytes; fragment 44:
 *         next(1) res(1) offset(13) res(2) M(1) id(4) = 8 bytes. ESP 50
 *         ends the chain (encrypted), 59 = no next header.
 *   TCP   sport dport seq ack | doff(4) ... | flags(8) ... (20 bytes min)
 *   UDP   sport dport length checksum (8); SCTP sport dport vtag csum (12)
 *   ICMP / ICMPv6 type code checksum | echo: identifier sequence
 *
 * Lengths. The IPv4 total length / IPv6 payload length bound the layer
 * (Ethernet padding is never parsed as payload). A length larger than what
 * was captured is a snapped capture, not an error: only a header we must
 * read that is cut is TRUNCATED. IPv4 total length 0 (TSO captures) and
 * IPv6 payload length 0 (jumbogram/TSO) mean "up to the enclosing layer".
 *
 * Family accounting follows tshark 4.0: an IPv4 header whose version is 4
 * but whose IHL or total length is impossible still counts as IPv4 (with
 * MALFORMED); ethertype 0x0800 carrying version 6 is decoded as IPv6; a
 * header cut before its fixed part ends counts for the family once its
 * version nibble was read, or with no byte at all when the carrier's type
 * field (ethertype, PPP protocol, IP protocol 4/41...) named it (TRUNCATED,
 * other fields zero: ip_partial()).
 *
 * ICMP errors quote an IP header: it is never decoded as a layer.
 */
#include "decode/decode_int.h"

#include <string.h>

/* A header cut before its fixed part ends, whose family is known (its
 * version nibble was read, or the carrier's type field named it): it
 * counts for the family (tshark shows the layer too, and a snaplen-96
 * capture of GTP-U cuts exactly there), every other field stays zero, and
 * the record is TRUNCATED. */
static int ip_partial(struct dctx *d, uint8_t family)
{
    struct v6m_iphdr *ih = ip_begin(d, family);
    memset(ih, 0, sizeof *ih);
    ih->family = family;
    ih->offset = ip_clamp16(cursor_offset(&d->c));
    ih->rh_type = 255;
    return dctx_drop(d, V6M_DROP_TRUNCATED);
}

static void ip_frag_hit(struct dctx *d, const struct v6m_iphdr *h, uint32_t len)
{
    struct frag_hit *f;
    if (h->frag_offset != 0) {
        f = &d->nonfirst;
        d->has_nonfirst = 1;
    } else {
        if (d->n_first >= DCTX_MAX_FIRST)
            return;
        f = &d->first[d->n_first++];
    }
    memset(&f->key, 0, sizeof f->key);
    f->key.family = h->family;
    f->key.proto = h->family == V6M_FAMILY_IPV4 ? h->proto : 0;
    f->key.id = h->frag_id;
    memcpy(f->key.src, h->src, 16);
    memcpy(f->key.dst, h->dst, 16);
    f->offset = h->frag_offset;
    f->len = len;
    f->more = h->more_frags;
    f->level = d->pkt->n_ip;
    f->depth = d->pkt->depth;
}

int ip_v4(struct dctx *d)
{
    struct cursor *c = &d->c;
    const uint8_t *b = cursor_peek(c, 1);
    if (!b) /* the carrier's type field said IPv4 (or 0x0800): like tshark */
        return ip_partial(d, V6M_FAMILY_IPV4);
    unsigned ver = b[0] >> 4;
    if (ver != 4) {
        if (ver == 6 && d->want_version == 0) {
            d->want_version = 6;
            return ST_IPV6;
        }
        /* Like tshark 4.0: a header that the carrier called IPv4 is an
         * IPv4 layer even with a bogus version; it cannot be read further. */
        ip_partial(d, V6M_FAMILY_IPV4);
        d->pkt->drop = V6M_DROP_MALFORMED;
        return ST_DONE;
    }
    b = cursor_peek(c, 20);
    if (!b)
        return ip_partial(d, V6M_FAMILY_IPV4);
    size_t ihl = (size_t)(b[0] & 15) * 4;
    size_t total = load_be16(b + 2);
    bool bad = ihl < 20 || (total != 0 && total < ihl);
    bool cut = !bad && !cursor_has(c, ihl); /* options cut */

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
    ih->l4_offset = 0;
    ih->frag_id = load_be16(b + 4);
    uint16_t fo = load_be16(b + 6);
    ih->frag_offset = (uint16_t)((fo & 0x1fff) * 8);
    ih->more_frags = (fo & 0x2000) != 0;
    ih->is_fragment = (fo & 0x3fff) != 0;
    ih->rh_type = 255;
    ih->ext_count = 0;
    ih->v4_options = ihl > 20;
    ih->pad_ = 0;
    if (bad)
        return dctx_drop(d, V6M_DROP_MALFORMED);
    if (cut)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    c->p += ihl;
    if (total != 0)
        dctx_bound(d, total - ihl);
    ih->l4_offset = ip_clamp16(cursor_offset(c));
    if (ih->is_fragment) {
        ip_frag_hit(d, ih, total != 0 ? (uint32_t)(total - ihl)
                                      : (uint32_t)dctx_rep_left(d));
        if (ih->frag_offset != 0)
            return ST_DONE; /* payload is the middle of a datagram */
    }
    return ST_L4;
}

static void ip_mark_6in4(struct v6m_packet *pkt, const uint8_t *src, const uint8_t *dst)
{
    if ((src[0] == 0x20 && src[1] == 0x02) || (dst[0] == 0x20 && dst[1] == 0x02))
        pkt->encap |= V6M_ENC_6TO4;
    const uint8_t *a[2] = {src, dst};
    for (int i = 0; i < 2; i++) {
        const uint8_t *x = a[i] + 8;
        if ((x[0] == 0x00 || x[0] == 0x02) && x[1] == 0x00 && x[2] == 0x5e && x[3] == 0xfe)
            pkt->encap |= V6M_ENC_ISATAP;
    }
}

int ip_v6(struct dctx *d)
{
    struct cursor *c = &d->c;
    struct v6m_packet *pkt = d->pkt;
    const uint8_t *b = cursor_peek(c, 1);
    if (!b)
        return ip_partial(d, V6M_FAMILY_IPV6);
    if ((b[0] >> 4) != 6)
        return dctx_drop(d, V6M_DROP_MALFORMED);
    b = cursor_peek(c, 40);
    if (!b)
        return ip_partial(d, V6M_FAMILY_IPV6);

    uint32_t w = load_be32(b);
    size_t plen = load_be16(b + 4);
    uint8_t nh = b[6];
    struct v6m_iphdr *ih = ip_begin(d, V6M_FAMILY_IPV6);
    ih->family = V6M_FAMILY_IPV6;
    ih->proto = nh;
    ih->hop_limit = b[7];
    ih->tclass = (uint8_t)(w >> 20);
    ih->flow_label = w & 0xfffff;
    memcpy(ih->src, b + 8, 16);
    memcpy(ih->dst, b + 24, 16);
    ih->offset = ip_clamp16(cursor_offset(c));
    ih->l4_offset = 0;
    ih->frag_id = 0;
    ih->frag_offset = 0;
    ih->is_fragment = 0;
    ih->more_frags = 0;
    ih->rh_type = 255;
    ih->ext_count = 0;
    ih->v4_options = 0;
    ih->pad_ = 0;
    if (d->from_6in4) {
        d->from_6in4 = 0;
        ip_mark_6in4(pkt, ih->src, ih->dst);
    }
    c->p += 40;
    if (plen != 0)
        dctx_bound(d, plen);

    for (;;) {
        size_t len;
        switch (nh) {
        case 0: case 43: case 60: case 135: case 139: case 140:
            b = cursor_peek(c, 8);
            if (!b)
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            len = ((size_t)b[1] + 1) * 8;
            switch (nh) {
            case 0: pkt->ext_mask |= 1u << V6M_EXT_HOPOPTS; break;
            case 60: pkt->ext_mask |= 1u << V6M_EXT_DSTOPTS; break;
            case 135: pkt->ext_mask |= 1u << V6M_EXT_MOBILITY; break;
            case 139: pkt->ext_mask |= 1u << V6M_EXT_HIP; break;
            case 140: pkt->ext_mask |= 1u << V6M_EXT_SHIM6; break;
            default:
                pkt->ext_mask |= 1u << V6M_EXT_ROUTING;
                ih->rh_type = b[2];
                if (b[2] == 4)
                    pkt->ext_mask |= 1u << V6M_EXT_SRH;
                else if (b[2] == 0)
                    pkt->ext_mask |= 1u << V6M_EXT_RH0;
                break;
            }
            break;
        case 51:
            b = cursor_peek(c, 8);
            if (!b)
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            len = ((size_t)b[1] + 2) * 4;
            pkt->ext_mask |= 1u << V6M_EXT_AH;
            break;
        case 44: {
            b = cursor_peek(c, 8);
            if (!b)
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            pkt->ext_mask |= 1u << V6M_EXT_FRAGMENT;
            if (ih->ext_count < 255)
                ih->ext_count++;
            c->p += 8;
            nh = b[0];
            uint16_t fo = load_be16(b + 2);
            if ((fo & 0xfff9) != 0) { /* offset or M set: not atomic */
                ih->is_fragment = 1;
                ih->frag_offset = fo & 0xfff8;
                ih->more_frags = fo & 1;
                ih->frag_id = load_be32(b + 4);
                ih->proto = nh;
                ip_frag_hit(d, ih, (uint32_t)dctx_rep_left(d));
                if (ih->frag_offset != 0) {
                    ih->l4_offset = ip_clamp16(cursor_offset(c));
                    pkt->l4_proto = nh;
                    return ST_DONE;
                }
            }
            continue;
        }
        default:
            if (nh == 50) { /* ESP: the rest is encrypted */
                pkt->ext_mask |= 1u << V6M_EXT_ESP;
                if (ih->ext_count < 255)
                    ih->ext_count++;
            } else if (nh == 59)
                pkt->ext_mask |= 1u << V6M_EXT_NONEXT;
            ih->proto = nh;
            ih->l4_offset = ip_clamp16(cursor_offset(c));
            return ST_L4;
        }
        if (!cursor_skip(c, len))
            return dctx_drop(d, V6M_DROP_TRUNCATED);
        if (ih->ext_count < 255)
            ih->ext_count++;
        nh = b[0];
    }
}

int ip_l4(struct dctx *d)
{
    struct cursor *c = &d->c;
    struct v6m_packet *pkt = d->pkt;
    struct v6m_iphdr *ih = &pkt->inner;
    for (;;) {
        const uint8_t *b;
        size_t off = cursor_offset(c);
        uint8_t proto = ih->proto;
        pkt->l4_proto = proto;
        switch (proto) {
        case 6: {
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
        case 17: {
            b = cursor_peek(c, 8);
            if (!b)
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            uint16_t sport = load_be16(b), dport = load_be16(b + 2);
            size_t ulen = load_be16(b + 4);
            pkt->sport = sport;
            pkt->dport = dport;
            c->p += 8;
            /* A length below 8, 0 included, is malformed: tshark 4.0 does
             * not read the payload then ("Bad length value"), also for
             * the 0 of TSO/BIG TCP captures (a real IPv6 jumbogram, which
             * needs a >64 KiB MTU, is not followed either). */
            if (ulen < 8)
                return dctx_drop(d, V6M_DROP_MALFORMED);
            dctx_bound(d, ulen - 8);
            ip_l4_payload(d, off + 8);
            return tun_udp(d, sport, dport);
        }
        case 132:
            b = cursor_peek(c, 12);
            if (!b)
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            pkt->sport = load_be16(b);
            pkt->dport = load_be16(b + 2);
            ip_l4_payload(d, off + 12);
            return ST_DONE;
        case 1: case 58: {
            b = cursor_peek(c, 4);
            if (!b)
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            pkt->icmp_type = b[0];
            pkt->icmp_code = b[1];
            bool echo = proto == 1 ? (b[0] == 0 || b[0] == 8)
                                   : (b[0] == 128 || b[0] == 129);
            if (echo) {
                b = cursor_peek(c, 8);
                if (!b)
                    return dctx_drop(d, V6M_DROP_TRUNCATED);
                pkt->sport = load_be16(b + 4);
            }
            if (cursor_has(c, 8))
                ip_l4_payload(d, off + 8);
            return ST_DONE; /* error payloads quote a header: not a layer */
        }
        case 4:
            pkt->encap |= ih->family == V6M_FAMILY_IPV4 ? V6M_ENC_IP4IN4 : V6M_ENC_IP4IN6;
            d->want_version = 0;
            return dctx_enter_tunnel(d, ST_IPV4);
        case 41:
            /* tshark: an IPv4 datagram of protocol 41 with nothing in it
             * has no IPv6 layer (IPv6 next header 41 with payload length
             * 0 does: it is read as a cut header) */
            if (ih->family == V6M_FAMILY_IPV4 && dctx_rep_left(d) == 0)
                return ST_DONE;
            if (ih->family == V6M_FAMILY_IPV4) {
                pkt->encap |= V6M_ENC_IP6IN4;
                d->from_6in4 = 1;
            } else {
                pkt->encap |= V6M_ENC_IP6IN6;
            }
            d->want_version = 6;
            return dctx_enter_tunnel(d, ST_IPV6);
        case 47:
            return tun_gre(d);
        case 97: /* EtherIP (RFC 3378): version/reserved (2), then an
                  * Ethernet frame; tshark reads any version */
            if (!cursor_skip(c, 2))
                return dctx_drop(d, V6M_DROP_TRUNCATED);
            pkt->encap |= V6M_ENC_ETH_INNER;
            return dctx_enter_tunnel(d, ST_ETH);
        case 137: /* MPLS-in-IP (RFC 4023): a label stack */
            return dctx_enter_tunnel(d, ST_MPLS);
        case 143: /* Ethernet (RFC 8986, SRv6 L2 services) */
            pkt->encap |= V6M_ENC_ETH_INNER;
            return dctx_enter_tunnel(d, ST_ETH);
        case 51:
            if (ih->family == V6M_FAMILY_IPV4) { /* IPv4 AH: skip to its payload */
                b = cursor_peek(c, 8);
                if (!b)
                    return dctx_drop(d, V6M_DROP_TRUNCATED);
                if (!cursor_skip(c, ((size_t)b[1] + 2) * 4))
                    return dctx_drop(d, V6M_DROP_TRUNCATED);
                ih->proto = b[0];
                ih->l4_offset = ip_clamp16(cursor_offset(c));
                continue;
            }
            return ST_DONE;
        default:
            ip_l4_payload(d, off);
            return ST_DONE;
        }
    }
}
