/*
 * decode/wlan.c - IEEE 802.11 frames: the link types of wireless captures
 * (105 plain, 127 radiotap, 119 Prism/AVS, 163 AVS, and 802.11 inside PPI)
 * and the 802.11 payload of CAPWAP data (tunnel.c).
 *
 * What tshark 4.0 shows for the same bytes, which is the reference:
 *   - only data frames (type 2) of protocol version 0 carry IP; management,
 *     control and extension frames, the subtypes without a body (null data,
 *     CF-Ack/Poll without data: subtype bit 2), protected (encrypted: no
 *     keys; except in Centrino's ethertype 0x2452, where they come
 *     decrypted behind their IV) frames and fragments with More Fragments
 *     set (tshark reassembles them, we do not) are non-IP; a last fragment
 *     (number != 0) is read like a whole frame, as tshark shows it when
 *     the others were not captured;
 *   - MAC header: 24 bytes, +6 with both ToDS and FromDS (address 4), +2
 *     for QoS subtypes (subtype bit 3), +4 HT Control when a QoS frame has
 *     the Order bit; a radiotap "data pad" flag pads the header to a
 *     multiple of 4 bytes;
 *   - body: LLC/SNAP aa aa 03 with OUI 00 00 00 (RFC 1042) or 00 00 f8
 *     (802.1H), then an ethertype (IPv4, IPv6, VLAN, ... as on Ethernet);
 *     any other LLC is non-IP;
 *   - A-MSDU (QoS control bit 7): subframes of DA(6) SA(6) length(2, big
 *     endian) + LLC/SNAP + MSDU, each padded to 4 bytes; tshark lists the
 *     layers of every subframe, and the family of a frame is that of its
 *     last IP layer, so the last subframe whose header was captured is
 *     decoded.
 * CAPWAP sends the frame control field byte-swapped (Cisco controllers;
 * tshark's default for CAPWAP): `swapped` reads it that way.
 *
 * Radiotap (https://www.radiotap.org): version(1) = 0, pad(1), length(2,
 * little endian), present words (4 each, little endian, chained by bit
 * 31); fields follow, each aligned to its size from the header's start.
 * Only the Flags field (bit 1 of the first word, after an 8-byte TSFT
 * when bit 0 is set) matters here: 0x20 = data pad. A trailing FCS (flag
 * 0x10) needs nothing: IP lengths bound what is read.
 * Prism (119): msgcode(4), msglen(4, little endian; 144 in practice),
 * device name, items; AVS (163, and 119 when the first word is
 * 0x8021100x big endian): version(4), length(4, big endian), fields. The
 * 802.11 frame starts after the header's length.
 */
#include "decode/decode_int.h"

#define WLAN_FC_TODS 0x01
#define WLAN_FC_FROMDS 0x02
#define WLAN_FC_MOREFRAG 0x04
#define WLAN_FC_PROTECTED 0x40
#define WLAN_FC_ORDER 0x80

/* A-MSDU body at the cursor: move to the last subframe whose 14-byte
 * header was captured and decode its LLC. */
static int wlan_amsdu(struct dctx *d)
{
    struct cursor *c = &d->c;
    const uint8_t *last = NULL;
    size_t left = cursor_left(c);
    size_t off = 0;
    while (off + 14 <= left) {
        const uint8_t *h = c->p + off;
        size_t len = load_be16(h + 12);
        last = h;
        size_t next = off + 14 + len;
        next = (next + 3) & ~(size_t)3;
        if (next <= off + 14 || next > left)
            break;
        off = next;
    }
    if (!last)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    size_t len = load_be16(last + 12);
    c->p = last + 14;
    return l2_llc(d, len);
}

/* centrino: the frame came in Intel Centrino's promiscuous ethertype
 * 0x2452, whose "protected" frames are already decrypted but keep their
 * IV (4 bytes, 8 with the Extended IV bit), as tshark's wlan_centrino
 * reads them. */
static int wlan_frame_impl(struct dctx *d, bool swapped, bool data_pad, bool centrino)
{
    struct cursor *c = &d->c;
    const uint8_t *b = cursor_peek(c, 2);
    if (!b)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    uint8_t fc0 = swapped ? b[1] : b[0], fc1 = swapped ? b[0] : b[1];
    unsigned version = fc0 & 3, type = (fc0 >> 2) & 3, subtype = fc0 >> 4;
    bool prot = (fc1 & WLAN_FC_PROTECTED) != 0;
    if (version != 0 || type != 2 || (subtype & 4) || (prot && !centrino))
        return ST_DONE; /* not data, no body, or encrypted */
    size_t hlen = 24;
    if ((fc1 & (WLAN_FC_TODS | WLAN_FC_FROMDS)) == (WLAN_FC_TODS | WLAN_FC_FROMDS))
        hlen += 6;
    size_t qos_at = hlen;
    bool qos = (subtype & 8) != 0;
    if (qos) {
        hlen += 2;
        if (fc1 & WLAN_FC_ORDER)
            hlen += 4;
    }
    const uint8_t *h = cursor_peek(c, hlen);
    if (!h)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    /* A fragment but the last: tshark reassembles. A last fragment
     * (number != 0, More Fragments clear) is read like a whole frame:
     * what tshark shows when the others were not captured (v6mon does
     * not reassemble 802.11). */
    if (fc1 & WLAN_FC_MOREFRAG)
        return ST_DONE;
    bool amsdu = qos && (h[qos_at] & 0x80);
    if (data_pad)
        hlen = (hlen + 3) & ~(size_t)3;
    if (!cursor_skip(c, hlen))
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    if (prot) { /* centrino: skip the IV */
        const uint8_t *iv = cursor_peek(c, 4);
        if (!iv || !cursor_skip(c, (iv[3] & 0x20) ? 8 : 4))
            return dctx_drop(d, V6M_DROP_TRUNCATED);
    }
    return amsdu ? wlan_amsdu(d) : l2_llc(d, SIZE_MAX);
}

int wlan_frame(struct dctx *d, bool swapped, bool data_pad)
{
    return wlan_frame_impl(d, swapped, data_pad, false);
}

int wlan_frame_centrino(struct dctx *d)
{
    return wlan_frame_impl(d, false, false, true);
}

int link_radiotap(struct dctx *d)
{
    struct cursor *c = &d->c;
    const uint8_t *h = cursor_peek(c, 8);
    if (!h)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    size_t len = load_le16(h + 2);
    if (h[0] != 0 || len < 8)
        return dctx_drop(d, V6M_DROP_MALFORMED);
    const uint8_t *rt = cursor_peek(c, len);
    if (!rt)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    uint32_t present = load_le32(rt + 4);
    /* the fields start after the last present word */
    size_t off = 8;
    for (uint32_t w = present; w & 0x80000000u; off += 4) {
        if (off + 4 > len)
            return dctx_drop(d, V6M_DROP_MALFORMED);
        w = load_le32(rt + off);
    }
    bool data_pad = false;
    if (present & 0x1) /* TSFT: 8 bytes, 8-aligned */
        off = ((off + 7) & ~(size_t)7) + 8;
    if (present & 0x2) { /* Flags */
        if (off >= len)
            return dctx_drop(d, V6M_DROP_MALFORMED);
        data_pad = (rt[off] & 0x20) != 0;
    }
    c->p += len;
    return wlan_frame(d, false, data_pad);
}

/* Prism or AVS header (link type 119 carries either; 163 is AVS). */
int link_prism_avs(struct dctx *d, bool avs_only)
{
    struct cursor *c = &d->c;
    const uint8_t *h = cursor_peek(c, 8);
    if (!h)
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    uint32_t first = load_be32(h);
    size_t len;
    if ((first & 0xfffffff0u) == 0x80211000u)
        len = load_be32(h + 4);
    else if (avs_only)
        return dctx_drop(d, V6M_DROP_MALFORMED);
    else
        len = load_le32(h + 4);
    if (len < 8)
        return dctx_drop(d, V6M_DROP_MALFORMED);
    if (!cursor_skip(c, len))
        return dctx_drop(d, V6M_DROP_TRUNCATED);
    return wlan_frame(d, false, false);
}
