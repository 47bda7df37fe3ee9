/*
 * decode/decode_int.h - private interface between the decoder's layer files.
 *
 * The decoder is an explicit state machine (see decoder.c and
 * docs/internals/decode.md). One decode call owns a `struct dctx`: the
 * record being filled, a bounded cursor over the current layer and the
 * `state` to run next. Every layer function reads its header through the
 * cursor, fills the record and returns the next state; tunnels return to
 * ST_ETH / ST_ETHERTYPE / ST_IPV4 / ST_IPV6 after dctx_enter_tunnel(),
 * which enforces the depth cap.
 *
 * Invariants:
 *  - d->c always lies inside the frame; d->rep_end is the end offset of
 *    the current layer as claimed by enclosing headers (may exceed the
 *    captured length: a snapped capture is not an error).
 *  - pkt->inner is the deepest *complete* IP header; the first committed
 *    header is copied to pkt->outer when a second one is committed
 *    (and at the end when there is only one).
 *  - A layer that stops decoding calls dctx_drop() (the first reason wins)
 *    and returns ST_DONE.
 */
#ifndef V6M_DECODE_INT_H
#define V6M_DECODE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/decoder.h>
#include <v6mon/packet.h>

#include "util/cursor.h"

enum dstate {
    ST_LINK = 0,
    ST_ETH,       /* an Ethernet header (outer, pseudowire, TEB, VXLAN...) */
    ST_ETHERTYPE, /* dispatch on d->ethertype: VLAN, MPLS, PPPoE, IP ... */
    ST_MPLS,      /* label stack and payload guess */
    ST_PPP,       /* dispatch on a PPP protocol field in d->ppp_proto */
    ST_IPV4,
    ST_IPV6,
    ST_L4,        /* upper layer of the current IP header; tunnels from here */
    ST_DONE,
};

/* Key of one fragmented datagram. IPv6 keys have proto 0. */
struct frag_key {
    uint8_t family;
    uint8_t proto;
    uint16_t zero;
    uint32_t id;
    uint8_t src[16];
    uint8_t dst[16];
};

/* A fragment header met during one decode. */
struct frag_hit {
    struct frag_key key;
    uint32_t offset; /* fragment offset, bytes */
    uint32_t len;    /* fragmentable payload bytes claimed by this fragment */
    uint8_t more;
    uint8_t level;   /* pkt->n_ip when this header was committed */
    uint8_t depth;   /* tunnels entered when this header was committed */
};

#define DCTX_MAX_FIRST 4

struct dctx {
    struct v6m_decoder *dec;
    struct v6m_packet *pkt;
    struct cursor c;
    size_t rep_end;      /* claimed end of the current layer (frame offset) */
    unsigned max_depth;
    uint16_t ethertype;  /* input of ST_ETHERTYPE */
    uint16_t ppp_proto;  /* input of ST_PPP */
    uint8_t want_version;/* ST_IPV4/ST_IPV6 entered from a typed tunnel */
    uint8_t from_6in4;   /* the IPv6 header came from protocol 41 over IPv4 */
    uint8_t teredo_heuristic;
    uint8_t gtp_tpdu;    /* the next IP header committed is a GTP T-PDU */
    /* fragments */
    uint8_t n_first;
    uint8_t has_nonfirst;
    struct frag_hit first[DCTX_MAX_FIRST];
    struct frag_hit nonfirst;
};

static inline int dctx_drop(struct dctx *d, unsigned reason)
{
    if (d->pkt->drop == V6M_DROP_NONE)
        d->pkt->drop = (uint8_t)reason;
    return ST_DONE;
}

/* Move into a tunnel payload: counts depth, enforces the cap. Returns
 * `next` or ST_DONE with TOO_DEEP. */
static inline int dctx_enter_tunnel(struct dctx *d, int next)
{
    if (d->pkt->depth >= d->max_depth)
        return dctx_drop(d, V6M_DROP_TOO_DEEP);
    d->pkt->depth++;
    return next;
}

/* Narrow the current layer to `len` bytes from the cursor (claimed). */
static inline void dctx_bound(struct dctx *d, size_t len)
{
    size_t off = cursor_offset(&d->c);
    size_t claim_end = off + len;
    if (claim_end < d->rep_end)
        d->rep_end = claim_end;
    if ((size_t)(d->c.end - d->c.base) > claim_end)
        d->c.end = d->c.base + claim_end;
}

/* Claimed bytes left in the current layer (>= captured bytes left). */
static inline size_t dctx_rep_left(const struct dctx *d)
{
    size_t off = cursor_offset(&d->c);
    return d->rep_end > off ? d->rep_end - off : 0;
}

/* ---- shared by ip.c and fast.c (one definition, same records) ---- */

static inline uint16_t ip_clamp16(size_t v)
{
    return v > 0xffff ? 0xffff : (uint16_t)v;
}

/* Make a new innermost header: the previous one moves to pkt->outer when
 * it was the first. Every field of the returned header must be written
 * by the caller (no memset: this is the hot path). */
static inline struct v6m_iphdr *ip_begin(struct dctx *d, uint8_t family)
{
    struct v6m_packet *pkt = d->pkt;
    if (pkt->n_ip == 1)
        pkt->outer = pkt->inner;
    if (pkt->n_ip < 255)
        pkt->n_ip++;
    pkt->family = family;
    if (pkt->outer_family == 0)
        pkt->outer_family = family;
    if (pkt->n_ip > 1) { /* the record was zeroed for the first header */
        pkt->l4_proto = 0;
        pkt->tcp_flags = 0;
        pkt->icmp_type = 0;
        pkt->icmp_code = 0;
        pkt->sport = 0;
        pkt->dport = 0;
        pkt->payload_offset = 0;
        pkt->payload_len = 0;
    }
    if (d->gtp_tpdu) {
        pkt->gtp_user = 1;
        d->gtp_tpdu = 0;
    }
    return &pkt->inner;
}

/* Record the L4 payload as [off, end of the layer) when off lies inside. */
static inline void ip_l4_payload(struct dctx *d, size_t off)
{
    const struct cursor *c = &d->c;
    size_t end = (size_t)(c->end - c->base);
    if (off <= end) {
        d->pkt->payload_offset = (uint32_t)off;
        d->pkt->payload_len = (uint32_t)(end - off);
    }
}

/* ---- fragment table (frag.c) ---- */

#define FRAG_NIL UINT32_MAX

struct frag_entry {
    struct frag_key key;
    uint64_t ts;          /* packet time of creation */
    uint32_t hnext;       /* bucket chain / free list */
    uint32_t aprev, anext;/* age list, oldest first */
    uint32_t held_head, held_tail;
    uint32_t bytes;       /* fragment payload bytes seen */
    uint32_t total;       /* datagram payload length once the last is seen */
    uint8_t have_first;
    uint8_t level;        /* n_ip of the fragmented header in `first` */
    uint8_t has_last;
    struct v6m_packet first; /* record of the first fragment */
};

struct frag_held {
    struct v6m_packet pkt;
    uint32_t next;
};

/* rpc.c: portmapper GETPORT calls that asked for a UDP port, and the
 * (address, port) endpoints the replies announced. */
#define RPC_CALLS 32
#define RPC_ENDPOINTS 64
struct rpc_call {
    uint32_t xid;
    uint8_t family;
    uint8_t client[16];
};
struct rpc_endpoint {
    uint16_t port;
    uint8_t family;
    uint8_t addr[16];
};
struct rpc_state {
    unsigned n_calls, call_next, n_eps, ep_next;
    struct rpc_call calls[RPC_CALLS];
    struct rpc_endpoint eps[RPC_ENDPOINTS];
};

struct v6m_decoder {
    struct v6m_decoder_config cfg;
    bool no_fast;        /* tests: never take decode_fast() */
    struct v6m_decoder_stats st;
    uint64_t seed;
    /* fragment table: chained hash over a fixed entry pool */
    uint32_t *buckets;
    uint32_t bmask;
    struct frag_entry *ent;
    uint32_t ent_cap, ent_bump, ent_free, ent_live;
    uint32_t age_head, age_tail;
    /* held records: fixed pool, per-entry lists, then the release queue */
    struct frag_held *held;
    uint32_t held_cap, held_bump, held_free, held_live;
    uint32_t rel_head, rel_tail;
    struct rpc_state rpc;
    uint64_t udp_claimed[1024]; /* bit p: tshark's port dissector for UDP
                                 * port p takes the datagram (tunnel.c) */
};

/* Fill the UDP port bitmap above (tunnel.c). */
void udp_claims_init(uint64_t bits[1024]);

/* A UDP datagram with port 111 on either side (cursor on its payload):
 * remember GETPORT calls for UDP and the endpoints their replies give. */
void rpc_portmap_note(struct dctx *d, uint16_t sport, uint16_t dport);
/* The datagram's source or destination is an endpoint a portmapper
 * announced: tshark reads it as RPC, never as a tunnel. */
bool rpc_endpoint_known(const struct dctx *d, uint16_t sport, uint16_t dport);
/* p[0, n) is an ONC RPC call (rpcvers 2) to a program tshark knows: its
 * Teredo heuristic then loses to RPC (rpc.c says why). */
bool rpc_known_call(const uint8_t *p, size_t n);

bool frag_init(struct v6m_decoder *dec);
void frag_release_mem(struct v6m_decoder *dec);
/* After a decode that met fragment headers: store / resolve / hold. */
enum v6m_decode_result frag_process(struct v6m_decoder *dec, struct dctx *d);
/* Expire old entries (bounded work); called once per decoded frame. */
void frag_expire(struct v6m_decoder *dec, uint64_t now);
bool frag_pop(struct v6m_decoder *dec, struct v6m_packet *pkt);
void frag_flush(struct v6m_decoder *dec);

/* The fast path (fast.c): decodes the common Ethernet frames and returns
 * ST_DONE, or the state from which the machine must go on. */
int decode_fast(struct dctx *d);
/* Tests only: false makes every frame go through the state machine. */
void decoder_set_fast(struct v6m_decoder *dec, bool on);

/* Layer functions: each returns the next state. */
int link_decode(struct dctx *d);           /* link.c */
/* wlan.c: an 802.11 frame at the cursor (frame control byte-swapped when
 * `swapped`, header padded to 4 bytes when `data_pad`): ST_ETHERTYPE with
 * d->ethertype set, or ST_DONE (non-IP, or dropped). */
int wlan_frame(struct dctx *d, bool swapped, bool data_pad);
/* An 802.11 frame in Centrino's promiscuous ethertype 0x2452 (wlan.c). */
int wlan_frame_centrino(struct dctx *d);
int link_radiotap(struct dctx *d);
int link_prism_avs(struct dctx *d, bool avs_only);
int l2_eth(struct dctx *d);                /* l2.c */
/* LLC at the cursor (an 802.3 frame of `len` bytes, SIZE_MAX: unbounded):
 * SNAP with OUI 000000 or 0000f8 -> ST_ETHERTYPE with d->ethertype set;
 * any other LLC -> ST_DONE (not IP); a SNAP header cut -> TRUNCATED. */
int l2_llc(struct dctx *d, size_t len);
int l2_ethertype(struct dctx *d);
int l2_mpls(struct dctx *d);
int l2_ppp(struct dctx *d);
/* Read a PPP protocol field (1 or 2 bytes, RFC 1661 field compression)
 * into d->ppp_proto; false when truncated. */
bool l2_read_ppp_proto(struct dctx *d);
int ip_v4(struct dctx *d);                 /* ip.c */
int ip_v6(struct dctx *d);
int ip_l4(struct dctx *d);
int tun_gre(struct dctx *d);               /* tunnel.c */
/* For tests: 0 = no decoder on this UDP port, 1 = a tunnel decoder,
 * 2 = claimed by a tshark port dissector (no Teredo heuristic). */
unsigned decode_udp_port_class(const struct v6m_decoder *dec, uint16_t port);
/* UDP payload dispatch by port; returns ST_DONE when nothing applies. */
int tun_udp(struct dctx *d, uint16_t sport, uint16_t dport);

/* Whether a PPP protocol number is a control/non-IP protocol. */
bool l2_ppp_nonip(uint16_t proto);

#endif
