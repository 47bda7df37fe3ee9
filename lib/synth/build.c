/*
 * synth/build.c - packet builder, checksums, PRNG seeding (see build.h).
 */
#include "synth/build.h"

void rng_seed(struct rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        r->s[i] = z ^ (z >> 31);
    }
}

uint64_t csum_add(uint64_t sum, const uint8_t *data, size_t len)
{
    /* RFC 1071: the one's complement sum is byte-order independent, so sum
     * native 32-bit words (fast), fold, and swap into network order once. */
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy(&v, data + i, 8);
        acc += (v & 0xffffffffu) + (v >> 32);
    }
    for (; i + 2 <= len; i += 2) {
        uint16_t v;
        memcpy(&v, data + i, 2);
        acc += v;
    }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (i < len)
        acc += data[i];
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    acc = ((acc & 0xff) << 8) | (acc >> 8);
#else
    if (i < len)
        acc += (uint64_t)data[i] << 8;
#endif
    return sum + acc;
}

uint16_t csum_fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

void pb_push_layer(struct pb *b, enum pb_kind kind, size_t off)
{
    if (b->n >= PB_MAX_LAYERS) {
        b->overflow = true;
        return;
    }
    b->l[b->n].off = (uint16_t)off;
    b->l[b->n].kind = (uint8_t)kind;
    b->l[b->n].aux = (uint16_t)(off + 24);
    b->n++;
}

void pb_eth(struct pb *b, const uint8_t dst[6], const uint8_t src[6])
{
    pb_bytes(b, dst, 6);
    pb_bytes(b, src, 6);
}

void pb_ipv4(struct pb *b, uint32_t src, uint32_t dst, uint8_t proto,
             uint8_t ttl, uint8_t tos, uint16_t id, uint16_t frag,
             const uint8_t *opts, size_t optlen)
{
    size_t off = b->len;
    uint8_t *p = pb_room(b, 20 + optlen);
    if (!p)
        return;
    p[0] = (uint8_t)(0x40 | ((20 + optlen) / 4));
    p[1] = tos;
    put16(p + 2, 0);
    put16(p + 4, id);
    put16(p + 6, frag);
    p[8] = ttl;
    p[9] = proto;
    put16(p + 10, 0);
    put32(p + 12, src);
    put32(p + 16, dst);
    if (optlen)
        memcpy(p + 20, opts, optlen);
    pb_push_layer(b, PBL_IPV4, off);
}

void pb_ipv6(struct pb *b, const uint8_t src[16], const uint8_t dst[16],
             uint8_t nh, uint8_t hlim, uint8_t tclass, uint32_t flow)
{
    size_t off = b->len;
    uint8_t *p = pb_room(b, 40);
    if (!p)
        return;
    put32(p, 0x60000000u | (uint32_t)tclass << 20 | (flow & 0xfffff));
    put16(p + 4, 0);
    p[6] = nh;
    p[7] = hlim;
    memcpy(p + 8, src, 16);
    memcpy(p + 24, dst, 16);
    pb_push_layer(b, PBL_IPV6, off);
}

void pb_ipv6_set_final_dst(struct pb *b, size_t off)
{
    for (int i = b->n - 1; i >= 0; i--)
        if (b->l[i].kind == PBL_IPV6) {
            b->l[i].aux = (uint16_t)off;
            return;
        }
}

void pb_udp(struct pb *b, uint16_t sport, uint16_t dport)
{
    size_t off = b->len;
    uint8_t *p = pb_room(b, 8);
    if (!p)
        return;
    put16(p, sport);
    put16(p + 2, dport);
    put32(p + 4, 0);
    pb_push_layer(b, PBL_UDP, off);
}

void pb_udp_nocsum(struct pb *b, uint16_t sport, uint16_t dport)
{
    pb_udp(b, sport, dport);
    if (b->n && !b->overflow)
        b->l[b->n - 1].kind = PBL_UDP_NOCSUM;
}

void pb_tcp(struct pb *b, uint16_t sport, uint16_t dport, uint32_t seq,
            uint32_t ack, uint8_t flags, uint16_t win, uint16_t mss)
{
    size_t off = b->len;
    size_t hl = mss ? 24 : 20;
    uint8_t *p = pb_room(b, hl);
    if (!p)
        return;
    put16(p, sport);
    put16(p + 2, dport);
    put32(p + 4, seq);
    put32(p + 8, ack);
    p[12] = (uint8_t)((hl / 4) << 4);
    p[13] = flags;
    put16(p + 14, win);
    put32(p + 16, 0);
    if (mss) {
        p[20] = 2;
        p[21] = 4;
        put16(p + 22, mss);
    }
    pb_push_layer(b, PBL_TCP, off);
}

void pb_icmp4(struct pb *b, uint8_t type, uint8_t code, uint32_t rest)
{
    size_t off = b->len;
    uint8_t *p = pb_room(b, 8);
    if (!p)
        return;
    p[0] = type;
    p[1] = code;
    put16(p + 2, 0);
    put32(p + 4, rest);
    pb_push_layer(b, PBL_ICMP4, off);
}

void pb_icmp6(struct pb *b, uint8_t type, uint8_t code, uint32_t rest)
{
    pb_icmp4(b, type, code, rest);
    if (b->n && !b->overflow)
        b->l[b->n - 1].kind = PBL_ICMP6;
}

void pb_gtp(struct pb *b, uint8_t flags, uint8_t msgtype, uint32_t teid,
            uint16_t seq, uint8_t next_ext)
{
    size_t off = b->len;
    pb_u8(b, flags);
    pb_u8(b, msgtype);
    pb_u16(b, 0);
    pb_u32(b, teid);
    if (flags & 0x07) {
        pb_u16(b, seq);
        pb_u8(b, 0);
        pb_u8(b, next_ext);
    }
    pb_push_layer(b, PBL_GTP, off);
}

void pb_gtp_ext_pdu_session(struct pb *b, uint8_t pdu_type, uint8_t qfi,
                            uint8_t next_ext)
{
    pb_u8(b, 1);                        /* length in 4-octet units */
    pb_u8(b, (uint8_t)(pdu_type << 4));
    pb_u8(b, qfi & 0x3f);
    pb_u8(b, next_ext);
}

void pb_pppoe_session(struct pb *b, uint16_t session, uint16_t ppp_proto)
{
    size_t off = b->len;
    pb_u8(b, 0x11);
    pb_u8(b, 0x00);
    pb_u16(b, session);
    pb_u16(b, 0);
    pb_u16(b, ppp_proto);
    pb_push_layer(b, PBL_PPPOE, off);
}

void pb_payload(struct pb *b, const uint8_t *pattern, size_t pattern_len,
                size_t start, size_t n)
{
    uint8_t *p = pb_room(b, n);
    if (!p)
        return;
    size_t pos = start % pattern_len;
    while (n) {
        size_t k = pattern_len - pos;
        if (k > n)
            k = n;
        memcpy(p, pattern + pos, k);
        p += k;
        n -= k;
        pos = 0;
    }
}

/* Pseudo-header sum of the nearest IP layer below layer index i. */
static uint64_t pseudo_sum(const struct pb *b, int i, uint8_t proto,
                           uint32_t l4len, bool *found)
{
    for (int j = i - 1; j >= 0; j--) {
        const uint8_t *ip = b->buf + b->l[j].off;
        if (b->l[j].kind == PBL_IPV4) {
            uint64_t s = csum_add(0, ip + 12, 8);
            *found = true;
            return s + proto + l4len;
        }
        if (b->l[j].kind == PBL_IPV6) {
            uint64_t s = csum_add(0, ip + 8, 16);
            s = csum_add(s, b->buf + b->l[j].aux, 16);
            *found = true;
            return s + proto + (l4len >> 16) + (l4len & 0xffff);
        }
    }
    *found = false;
    return 0;
}

void pb_finish(struct pb *b)
{
    if (b->overflow)
        return;
    for (int i = b->n - 1; i >= 0; i--) {
        size_t off = b->l[i].off;
        uint8_t *p = b->buf + off;
        uint32_t rest = b->len - (uint32_t)off;
        bool found;
        switch (b->l[i].kind) {
        case PBL_IPV4: {
            size_t hl = (size_t)(p[0] & 0x0f) * 4;
            put16(p + 2, (uint16_t)rest);
            put16(p + 10, 0);
            put16(p + 10, csum_fold(csum_add(0, p, hl)));
            break;
        }
        case PBL_IPV6:
            put16(p + 4, (uint16_t)(rest - 40));
            break;
        case PBL_UDP:
        case PBL_UDP_NOCSUM:
            put16(p + 4, (uint16_t)rest);
            put16(p + 6, 0);
            if (b->l[i].kind == PBL_UDP) {
                uint64_t s = pseudo_sum(b, i, 17, rest, &found);
                uint16_t c = csum_fold(csum_add(s, p, rest));
                put16(p + 6, c ? c : 0xffff);
            }
            break;
        case PBL_TCP:
        case PBL_ICMP6: {
            uint8_t proto = b->l[i].kind == PBL_TCP ? 6 : 58;
            size_t co = proto == 6 ? 16 : 2;
            put16(p + co, 0);
            uint64_t s = pseudo_sum(b, i, proto, rest, &found);
            put16(p + co, csum_fold(csum_add(s, p, rest)));
            break;
        }
        case PBL_ICMP4:
            put16(p + 2, 0);
            put16(p + 2, csum_fold(csum_add(0, p, rest)));
            break;
        case PBL_GTP:
            put16(p + 2, (uint16_t)(rest - 8));
            break;
        case PBL_PPPOE:
            put16(p + 4, (uint16_t)(rest - 6));
            break;
        case PBL_GRE_CSUM:
            put16(p + 4, 0);
            put16(p + 4, csum_fold(csum_add(0, p, rest)));
            break;
        default:
            break;
        }
    }
}

void pb_pad60(struct pb *b)
{
    if (b->len < 60)
        pb_zero(b, 60 - b->len);
}

void pb_frag_ipv4(const struct pb *src, size_t ip_off, size_t split,
                  struct pb *f1, struct pb *f2)
{
    const uint8_t *ip = src->buf + ip_off;
    size_t hl = (size_t)(ip[0] & 0x0f) * 4;
    size_t plen = get16(ip + 2) - hl;
    const uint8_t *pay = ip + hl;
    struct pb *out[2] = {f1, f2};
    for (int k = 0; k < 2; k++) {
        struct pb *f = out[k];
        pb_reset(f);
        pb_bytes(f, src->buf, ip_off + hl);
        size_t a = k == 0 ? 0 : split;
        size_t n = k == 0 ? split : plen - split;
        pb_bytes(f, pay + a, n);
        if (f->overflow)
            return;
        uint8_t *h = f->buf + ip_off;
        put16(h + 2, (uint16_t)(hl + n));
        put16(h + 6, (uint16_t)((k == 0 ? 0x2000 : 0) | (a / 8)));
        put16(h + 10, 0);
        put16(h + 10, csum_fold(csum_add(0, h, hl)));
    }
}

void pb_frag_ipv6(const struct pb *src, size_t ip_off, size_t split,
                  uint32_t id, struct pb *f1, struct pb *f2)
{
    const uint8_t *ip = src->buf + ip_off;
    size_t plen = get16(ip + 4);
    uint8_t nh = ip[6];
    const uint8_t *pay = ip + 40;
    struct pb *out[2] = {f1, f2};
    for (int k = 0; k < 2; k++) {
        struct pb *f = out[k];
        pb_reset(f);
        pb_bytes(f, src->buf, ip_off + 40);
        size_t a = k == 0 ? 0 : split;
        size_t n = k == 0 ? split : plen - split;
        pb_u8(f, nh);
        pb_u8(f, 0);
        pb_u16(f, (uint16_t)(a | (k == 0 ? 1 : 0)));
        pb_u32(f, id);
        pb_bytes(f, pay + a, n);
        if (f->overflow)
            return;
        uint8_t *h = f->buf + ip_off;
        put16(h + 4, (uint16_t)(n + 8));
        h[6] = 44;
    }
}
