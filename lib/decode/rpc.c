/*
 * decode/rpc.c - the ONC RPC services a portmapper announced, so that UDP
 * traffic to them is not read as a tunnel.
 *
 * Why: tshark (the reference for the per-family counts) remembers every
 * portmapper GETPORT exchange over UDP (RFC 1833, program 100000 version
 * 2, procedure 3) whose call asked for a UDP port: when the reply gives
 * the port, tshark binds (server address, port) to its RPC dissector for
 * the rest of the capture. From then on a UDP datagram to or from that
 * endpoint is RPC, before any port table or heuristic is tried. Without
 * this, a 40-byte RPC call whose xid starts with the nibble 6 (an NFS
 * mount NULL call, for instance) passes the Teredo heuristic as an empty
 * IPv6 packet (seen in zeek's NFS traces), and a service given a port
 * such as 4789 would be read as VXLAN.
 *
 * Layouts (XDR, network order):
 *   call   xid(4) 0(4) rpcvers=2(4) prog(4) vers(4) proc(4)
 *          cred: flavor(4) length(4) body(length, padded to 4)
 *          verf: flavor(4) length(4) body
 *          GETPORT args: prog(4) vers(4) prot(4) port(4)
 *   reply  xid(4) 1(4) reply_stat=0 accepted(4)
 *          verf: flavor(4) length(4) body
 *          accept_stat=0 success(4), GETPORT result: port(4)
 * A reply is matched to its call by (client address, xid), the way
 * tshark's RPC dissector matches UDP replies (the call's source port does
 * not count). Only UDP port 111 is followed: GETPORT over TCP would need
 * the TCP payload on the fast path, and clients ask over UDP.
 *
 * Calls on other ports: tshark's RPC heuristic takes a UDP datagram as an
 * RPC call when it has rpcvers 2 and a program tshark knows, and binds
 * the conversation (client address, server port) to RPC. In its two-pass
 * reading (tshark -2, which the comparison uses) that binding also holds
 * for the conversation's *earlier* datagrams, so a call that the Teredo
 * heuristic took on the first pass (40 bytes, xid starting with 6) is RPC
 * in the end whenever another call of the same conversation passed the
 * RPC heuristic. v6mon reads a capture once and cannot see those later
 * calls, so the Teredo heuristic simply never takes a known RPC call
 * (rpc_known_call()): a real NFS/NIS/mount conversation has other calls.
 * What differs: a capture whose only call to that port is such a 40-byte
 * call (tshark: Teredo; v6mon: not).
 *
 * State: two small rings in the decoder (calls asked for a UDP port;
 * announced endpoints), oldest entry replaced when full. tshark keeps all
 * of them; RPC_ENDPOINTS services at once is far more than one capture of
 * NFS or NIS traffic announces. Nothing here allocates.
 */
#include "decode/decode_int.h"

#include <string.h>

#define PORTMAP_PORT 111
#define PORTMAP_PROG 100000u
#define PORTMAP_GETPORT 3u

/* Read one 4-byte XDR word at *off of p[0, n); false past the end. */
static bool xdr_u32(const uint8_t *p, size_t n, size_t *off, uint32_t *v)
{
    if (n < 4 || *off > n - 4)
        return false;
    *v = load_be32(p + *off);
    *off += 4;
    return true;
}

/* Skip an opaque_auth (flavor, length, body padded to 4 bytes). */
static bool xdr_skip_auth(const uint8_t *p, size_t n, size_t *off)
{
    uint32_t flavor, len;
    if (!xdr_u32(p, n, off, &flavor) || !xdr_u32(p, n, off, &len))
        return false;
    size_t padded = ((size_t)len + 3) & ~(size_t)3;
    if (len > 400 || padded > n - *off) /* RFC 5531: at most 400 bytes */
        return false;
    *off += padded;
    return true;
}

static bool same_addr(uint8_t fam_a, const uint8_t *a, uint8_t fam_b, const uint8_t *b)
{
    return fam_a == fam_b && memcmp(a, b, 16) == 0;
}

/* The next slot of a ring of cap entries (*n in use, *next the oldest
 * once full): the oldest entry is replaced when the ring is full. */
static unsigned ring_slot(unsigned *next, unsigned *n, unsigned cap)
{
    unsigned i = *next;
    *next = (i + 1) % cap;
    if (*n < cap)
        (*n)++;
    return i;
}

static void note_call(struct rpc_state *r, const struct v6m_iphdr *ip, uint32_t xid)
{
    for (unsigned i = 0; i < r->n_calls; i++)
        if (r->calls[i].xid == xid && same_addr(r->calls[i].family, r->calls[i].client,
                                                ip->family, ip->src))
            return; /* a retransmission: tshark keeps the first call */
    struct rpc_call *c = &r->calls[ring_slot(&r->call_next, &r->n_calls, RPC_CALLS)];
    c->xid = xid;
    c->family = ip->family;
    memcpy(c->client, ip->src, 16);
}

static void note_endpoint(struct rpc_state *r, const struct v6m_iphdr *ip, uint16_t port)
{
    for (unsigned i = 0; i < r->n_eps; i++)
        if (r->eps[i].port == port &&
            same_addr(r->eps[i].family, r->eps[i].addr, ip->family, ip->src))
            return;
    struct rpc_endpoint *e = &r->eps[ring_slot(&r->ep_next, &r->n_eps, RPC_ENDPOINTS)];
    e->port = port;
    e->family = ip->family;
    memcpy(e->addr, ip->src, 16);
}

void rpc_portmap_note(struct dctx *d, uint16_t sport, uint16_t dport)
{
    struct rpc_state *r = &d->dec->rpc;
    const struct v6m_iphdr *ip = &d->pkt->inner;
    size_t n = (size_t)(d->c.end - d->c.p);
    const uint8_t *p = d->c.p;
    size_t off = 0;
    uint32_t xid, type;
    if (!xdr_u32(p, n, &off, &xid) || !xdr_u32(p, n, &off, &type))
        return;
    if (type == 0 && dport == PORTMAP_PORT) {
        uint32_t rpcvers, prog, vers, proc, aprog, avers, prot;
        if (!xdr_u32(p, n, &off, &rpcvers) || !xdr_u32(p, n, &off, &prog) ||
            !xdr_u32(p, n, &off, &vers) || !xdr_u32(p, n, &off, &proc))
            return;
        if (rpcvers != 2 || prog != PORTMAP_PROG || vers != 2 || proc != PORTMAP_GETPORT)
            return;
        if (!xdr_skip_auth(p, n, &off) || !xdr_skip_auth(p, n, &off))
            return;
        if (!xdr_u32(p, n, &off, &aprog) || !xdr_u32(p, n, &off, &avers) ||
            !xdr_u32(p, n, &off, &prot))
            return;
        if (prot == 17)
            note_call(r, ip, xid);
    } else if (type == 1 && sport == PORTMAP_PORT && r->n_calls) {
        bool asked = false;
        for (unsigned i = 0; i < r->n_calls && !asked; i++)
            asked = r->calls[i].xid == xid &&
                    same_addr(r->calls[i].family, r->calls[i].client, ip->family, ip->dst);
        uint32_t stat, accept, port;
        if (!asked || !xdr_u32(p, n, &off, &stat) || stat != 0 ||
            !xdr_skip_auth(p, n, &off) || !xdr_u32(p, n, &off, &accept) || accept != 0 ||
            !xdr_u32(p, n, &off, &port))
            return;
        if (port != 0 && port <= 0xffff)
            note_endpoint(r, ip, (uint16_t)port);
    }
}

bool rpc_endpoint_known(const struct dctx *d, uint16_t sport, uint16_t dport)
{
    const struct rpc_state *r = &d->dec->rpc;
    const struct v6m_iphdr *ip = &d->pkt->inner;
    for (unsigned i = 0; i < r->n_eps; i++) {
        const struct rpc_endpoint *e = &r->eps[i];
        if ((e->port == sport && same_addr(e->family, e->addr, ip->family, ip->src)) ||
            (e->port == dport && same_addr(e->family, e->addr, ip->family, ip->dst)))
            return true;
    }
    return false;
}

/* The ONC RPC programs tshark 4.0.17 registers (its RPC heuristic accepts
 * calls to these only), sorted. Found by offering tshark one call for
 * every program number in 0 - 2,100,000 and a few ranges and values
 * from its sources (0x20000000, 0x40000000, 0x60000000, 0x80000000 +
 * 1000 each, GlusterFS numbers). */
static const uint32_t tshark_rpc_programs[] = {
    2112u,      100000u,    100001u,    100003u,    100004u,    100005u,
    100007u,    100008u,    100009u,    100011u,    100012u,    100020u,
    100021u,    100024u,    100026u,    100069u,    100227u,    100231u,
    100232u,    100300u,    100302u,    150001u,    200048u,    390512u,
    391004u,    395183u,    395184u,    395185u,    1001911u,   1001912u,
    1238433u,   1238437u,   1238463u,   1298437u,   4867634u,   14398633u,
    34123456u,  52743234u,  123451501u, 1073741824u,
};

bool rpc_known_call(const uint8_t *p, size_t n)
{
    if (n < 16 || load_be32(p + 4) != 0 || load_be32(p + 8) != 2)
        return false;
    uint32_t prog = load_be32(p + 12);
    size_t lo = 0, hi = sizeof(tshark_rpc_programs) / sizeof(tshark_rpc_programs[0]);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tshark_rpc_programs[mid] < prog)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sizeof(tshark_rpc_programs) / sizeof(tshark_rpc_programs[0]) &&
           tshark_rpc_programs[lo] == prog;
}
