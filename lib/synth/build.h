/*
 * synth/build.h - packet builder, checksums and the seeded PRNG shared by
 * the synthetic capture generator (synth.c) and the fixtures (fixtures.c).
 *
 * The builder appends headers into one fixed buffer and remembers the
 * layers whose length or checksum depends on what follows (IPv4, IPv6,
 * UDP, TCP, ICMP, ICMPv6, GTP-U, PPPoE, GRE with checksum). pb_finish()
 * walks those layers from the innermost outwards, so an outer checksum
 * (UDP over a tunnel, GRE) covers the final bytes of the inner packet.
 * Lengths are "to the end of the frame", which is why Ethernet padding is
 * added only after pb_finish() (pb_pad60()).
 *
 * Pseudo-header checksums use the nearest enclosing IP layer; for an IPv6
 * header with a segment routing header, pb_ipv6_set_final_dst() names the
 * final destination the upper layer checksum must use (RFC 8200 8.1).
 *
 * No allocation: struct pb embeds its buffer; everything is bounded by
 * PB_CAP and an append that would overflow sets pb->overflow and writes
 * nothing (callers size their packets well below the cap).
 *
 * PRNG: xoshiro256** seeded through splitmix64 (Blackman & Vigna). Same
 * seed, same sequence on every host; no global state.
 */
#ifndef V6M_SYNTH_BUILD_H
#define V6M_SYNTH_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- PRNG ---------------------------------------------------------- */

struct rng {
    uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);

static inline uint64_t rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n); n == 0 gives 0. Lemire's multiply-high (the tiny
 * bias is irrelevant here and keeps the sequence branch-free). */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* Uniform in [0, 1). */
static inline double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- checksums ------------------------------------------------------ */

/* One's complement sum of data (not folded, not complemented), as if it
 * started at an even offset. */
uint64_t csum_add(uint64_t sum, const uint8_t *data, size_t len);
uint16_t csum_fold(uint64_t sum); /* folded and complemented */

/* ---- builder -------------------------------------------------------- */

#define PB_CAP 10240
#define PB_MAX_LAYERS 24

enum pb_kind {
    PBL_IPV4 = 1,
    PBL_IPV6,
    PBL_UDP,
    PBL_UDP_NOCSUM, /* UDP with checksum 0 (allowed over IPv4 / tunnels) */
    PBL_TCP,
    PBL_ICMP4,
    PBL_ICMP6,
    PBL_GTP,
    PBL_PPPOE,
    PBL_GRE_CSUM,
};

struct pb_layer {
    uint16_t off;
    uint8_t kind;
    uint8_t pad_;
    uint16_t aux;   /* IPv6: offset of the pseudo-header destination */
};

struct pb {
    uint32_t len;
    uint8_t n;
    bool overflow;
    struct pb_layer l[PB_MAX_LAYERS];
    uint8_t buf[PB_CAP];
};

static inline void pb_reset(struct pb *b)
{
    b->len = 0;
    b->n = 0;
    b->overflow = false;
}

static inline uint8_t *pb_room(struct pb *b, size_t n)
{
    if (b->len + n > PB_CAP) {
        b->overflow = true;
        return NULL;
    }
    uint8_t *p = b->buf + b->len;
    b->len += (uint32_t)n;
    return p;
}

static inline void pb_u8(struct pb *b, uint8_t v)
{
    uint8_t *p = pb_room(b, 1);
    if (p)
        p[0] = v;
}

static inline void pb_u16(struct pb *b, uint16_t v)
{
    uint8_t *p = pb_room(b, 2);
    if (p) {
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
    }
}

static inline void pb_u32(struct pb *b, uint32_t v)
{
    uint8_t *p = pb_room(b, 4);
    if (p) {
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
    }
}

static inline void pb_u16le(struct pb *b, uint16_t v)
{
    uint8_t *p = pb_room(b, 2);
    if (p) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
    }
}

static inline void pb_u32le(struct pb *b, uint32_t v)
{
    uint8_t *p = pb_room(b, 4);
    if (p) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
    }
}

static inline void pb_bytes(struct pb *b, const void *src, size_t n)
{
    uint8_t *p = pb_room(b, n);
    if (p && n)
        memcpy(p, src, n);
}

static inline void pb_zero(struct pb *b, size_t n)
{
    uint8_t *p = pb_room(b, n);
    if (p && n)
        memset(p, 0, n);
}

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

void pb_push_layer(struct pb *b, enum pb_kind kind, size_t off);

/* Ethernet header without the ethertype (dst, src); add tags with
 * pb_u16(tpid) + pb_u16(tci) and finish with pb_u16(ethertype). */
void pb_eth(struct pb *b, const uint8_t dst[6], const uint8_t src[6]);

/* IPv4 header; total length and checksum are filled by pb_finish().
 * frag = flags (DF 0x4000, MF 0x2000) | offset/8. opts: options (a
 * multiple of 4 bytes, may be NULL). */
void pb_ipv4(struct pb *b, uint32_t src, uint32_t dst, uint8_t proto,
             uint8_t ttl, uint8_t tos, uint16_t id, uint16_t frag,
             const uint8_t *opts, size_t optlen);
void pb_ipv6(struct pb *b, const uint8_t src[16], const uint8_t dst[16],
             uint8_t nh, uint8_t hlim, uint8_t tclass, uint32_t flow);
/* The upper-layer pseudo header of the last IPv6 layer uses the 16 bytes
 * at buf offset `off` as destination (SRH final segment). */
void pb_ipv6_set_final_dst(struct pb *b, size_t off);
void pb_udp(struct pb *b, uint16_t sport, uint16_t dport);
void pb_udp_nocsum(struct pb *b, uint16_t sport, uint16_t dport);
/* TCP; mss != 0 adds an MSS option (header 24 bytes). */
void pb_tcp(struct pb *b, uint16_t sport, uint16_t dport, uint32_t seq,
            uint32_t ack, uint8_t flags, uint16_t win, uint16_t mss);
void pb_icmp4(struct pb *b, uint8_t type, uint8_t code, uint32_t rest);
void pb_icmp6(struct pb *b, uint8_t type, uint8_t code, uint32_t rest);
/* GTP-U v1 header. flags: 0x30 base; |0x04 E, |0x02 S. When E or S (or PN)
 * is set the 4 optional bytes follow; next_ext is the type of the first
 * extension header (0 = none). The caller appends extension headers. */
void pb_gtp(struct pb *b, uint8_t flags, uint8_t msgtype, uint32_t teid,
            uint16_t seq, uint8_t next_ext);
/* PDU session container (0x85): pdu_type 0 = DL, 1 = UL. */
void pb_gtp_ext_pdu_session(struct pb *b, uint8_t pdu_type, uint8_t qfi,
                            uint8_t next_ext);
void pb_pppoe_session(struct pb *b, uint16_t session, uint16_t ppp_proto);
/* Payload bytes copied from a pattern (any length, wraps). */
void pb_payload(struct pb *b, const uint8_t *pattern, size_t pattern_len,
                size_t start, size_t n);

/* Fix lengths and checksums of every pushed layer, innermost first. */
void pb_finish(struct pb *b);
/* Pad an Ethernet frame to 60 bytes (no FCS). */
void pb_pad60(struct pb *b);

/* Split a finished packet whose IPv4 header starts at ip_off into two
 * fragments: bytes [0, split) of its payload (split a multiple of 8) and
 * the rest. Writes complete frames into f1 and f2 (same link prefix). */
void pb_frag_ipv4(const struct pb *src, size_t ip_off, size_t split,
                  struct pb *f1, struct pb *f2);
/* Same for IPv6: inserts a fragment header (id) right after the fixed
 * header (no unfragmentable extension headers are assumed). */
void pb_frag_ipv6(const struct pb *src, size_t ip_off, size_t split,
                  uint32_t id, struct pb *f1, struct pb *f2);

#endif
