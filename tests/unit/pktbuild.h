/*
 * tests/unit/pktbuild.h - a tiny frame builder for decoder tests.
 *
 * Frames are written front to back into a fixed buffer. Headers whose
 * length fields cover what follows (IPv4, IPv6, UDP, GTP-U, PPPoE) are
 * opened with pb_*_begin(), which returns the header offset, and closed
 * with pb_*_end(), which patches the length from the bytes written since.
 * Values are written in network order by hand: nothing here calls the
 * decoder or shares its code.
 */
#ifndef V6M_TEST_PKTBUILD_H
#define V6M_TEST_PKTBUILD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pb {
    uint8_t b[4096];
    size_t n;
};

static inline void pb_reset(struct pb *p) { p->n = 0; }
static inline void pb_bytes(struct pb *p, const void *d, size_t n)
{
    memcpy(p->b + p->n, d, n);
    p->n += n;
}
static inline void pb_zero(struct pb *p, size_t n)
{
    memset(p->b + p->n, 0, n);
    p->n += n;
}
static inline void pb_u8(struct pb *p, unsigned v) { p->b[p->n++] = (uint8_t)v; }
static inline void pb_u16(struct pb *p, unsigned v)
{
    pb_u8(p, v >> 8);
    pb_u8(p, v);
}
static inline void pb_u24(struct pb *p, uint32_t v)
{
    pb_u8(p, v >> 16);
    pb_u16(p, v & 0xffff);
}
static inline void pb_u32(struct pb *p, uint32_t v)
{
    pb_u16(p, v >> 16);
    pb_u16(p, v & 0xffff);
}
static inline void pb_put16(struct pb *p, size_t at, unsigned v)
{
    p->b[at] = (uint8_t)(v >> 8);
    p->b[at + 1] = (uint8_t)v;
}

static const uint8_t PB_MAC_A[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t PB_MAC_B[6] = {0x02, 0, 0, 0, 0, 0x0b};

static inline void pb_eth(struct pb *p, unsigned ethertype)
{
    pb_bytes(p, PB_MAC_B, 6);
    pb_bytes(p, PB_MAC_A, 6);
    pb_u16(p, ethertype);
}

/* A tag: TCI then the inner type (the outer TPID comes from the header
 * before it). */
static inline void pb_vlan(struct pb *p, unsigned vid, unsigned inner_type)
{
    pb_u16(p, vid);
    pb_u16(p, inner_type);
}

static inline void pb_mpls(struct pb *p, uint32_t label, int bottom)
{
    pb_u32(p, label << 12 | (bottom ? 0x100u : 0) | 64);
}

/* 10.0.0.<s> -> 10.0.0.<d> style addresses are passed as 4 bytes. */
static inline size_t pb_ipv4_begin(struct pb *p, unsigned proto, const uint8_t src[4],
                                   const uint8_t dst[4])
{
    size_t at = p->n;
    pb_u8(p, 0x45);
    pb_u8(p, 0);
    pb_u16(p, 0);      /* total length, patched */
    pb_u16(p, 0x1234); /* id */
    pb_u16(p, 0);
    pb_u8(p, 64);
    pb_u8(p, proto);
    pb_u16(p, 0);
    pb_bytes(p, src, 4);
    pb_bytes(p, dst, 4);
    return at;
}
static inline void pb_ipv4_end(struct pb *p, size_t at) { pb_put16(p, at + 2, (unsigned)(p->n - at)); }

static inline size_t pb_ipv6_begin(struct pb *p, unsigned nh, const uint8_t src[16],
                                   const uint8_t dst[16])
{
    size_t at = p->n;
    pb_u32(p, 0x60000000u | (0x2eu << 20) | 0xabcde); /* tclass 0x2e, flow 0xabcde */
    pb_u16(p, 0);
    pb_u8(p, nh);
    pb_u8(p, 63);
    pb_bytes(p, src, 16);
    pb_bytes(p, dst, 16);
    return at;
}
static inline void pb_ipv6_end(struct pb *p, size_t at) { pb_put16(p, at + 4, (unsigned)(p->n - at - 40)); }

static inline void pb_tcp(struct pb *p, unsigned sport, unsigned dport, unsigned flags)
{
    pb_u16(p, sport);
    pb_u16(p, dport);
    pb_u32(p, 1);
    pb_u32(p, 0);
    pb_u8(p, 0x50);
    pb_u8(p, flags);
    pb_u16(p, 65535);
    pb_u16(p, 0);
    pb_u16(p, 0);
}

static inline size_t pb_udp_begin(struct pb *p, unsigned sport, unsigned dport)
{
    size_t at = p->n;
    pb_u16(p, sport);
    pb_u16(p, dport);
    pb_u16(p, 0);
    pb_u16(p, 0);
    return at;
}
static inline void pb_udp_end(struct pb *p, size_t at) { pb_put16(p, at + 4, (unsigned)(p->n - at)); }

/* GTP-U: flags 0x30 (v1, PT) or 0x34 with an extension chain written by
 * the caller right after (seq, npdu, next type first). */
static inline size_t pb_gtp_begin(struct pb *p, unsigned flags, unsigned type, uint32_t teid)
{
    size_t at = p->n;
    pb_u8(p, flags);
    pb_u8(p, type);
    pb_u16(p, 0);
    pb_u32(p, teid);
    return at;
}
static inline void pb_gtp_end(struct pb *p, size_t at) { pb_put16(p, at + 2, (unsigned)(p->n - at - 8)); }

static inline size_t pb_pppoe_begin(struct pb *p, unsigned session, unsigned ppp_proto)
{
    size_t at = p->n;
    pb_u8(p, 0x11);
    pb_u8(p, 0);
    pb_u16(p, session);
    pb_u16(p, 0);
    pb_u16(p, ppp_proto);
    return at;
}
static inline void pb_pppoe_end(struct pb *p, size_t at) { pb_put16(p, at + 4, (unsigned)(p->n - at - 6)); }

/* Test addresses. */
static const uint8_t PB_V4_A[4] = {192, 0, 2, 1};
static const uint8_t PB_V4_B[4] = {198, 51, 100, 2};
static const uint8_t PB_V4_C[4] = {203, 0, 113, 3};
static const uint8_t PB_V4_D[4] = {203, 0, 113, 4};
static const uint8_t PB_V6_A[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t PB_V6_B[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
static const uint8_t PB_V6_C[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3};
static const uint8_t PB_V6_D[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4};

/* IPv4 / TCP 1234 -> 80 (SYN), an often-used payload. */
static inline void pb_v4_tcp(struct pb *p, const uint8_t src[4], const uint8_t dst[4])
{
    size_t ip = pb_ipv4_begin(p, 6, src, dst);
    pb_tcp(p, 1234, 80, 0x02);
    pb_ipv4_end(p, ip);
}
/* IPv6 / TCP 40000 -> 443 (SYN|ACK). */
static inline void pb_v6_tcp(struct pb *p, const uint8_t src[16], const uint8_t dst[16])
{
    size_t ip = pb_ipv6_begin(p, 6, src, dst);
    pb_tcp(p, 40000, 443, 0x12);
    pb_ipv6_end(p, ip);
}

#endif
