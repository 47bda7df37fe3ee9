/*
 * v6mon/flow.h - the flow record: one bidirectional conversation keyed by
 * the 5-tuple of the innermost IP header. Packet captures build them in the
 * flow table (lib/flow); flow exports (NetFlow/IPFIX) will become the same
 * records. The "a" side is the endpoint that sent the first packet seen.
 */
#ifndef V6MON_FLOW_H
#define V6MON_FLOW_H

#include <stdint.h>

struct v6m_flow_key {
    uint8_t family;      /* V6M_FAMILY_IPV4 / _IPV6 */
    uint8_t proto;
    uint16_t port_a;     /* host order; 0 when the protocol has none */
    uint16_t port_b;
    uint16_t segment;
    uint8_t addr_a[16];
    uint8_t addr_b[16];
};

enum v6m_flow_end {
    V6M_FLOW_END_IDLE = 0,   /* no packet for the idle timeout */
    V6M_FLOW_END_ACTIVE,     /* lived longer than the active timeout */
    V6M_FLOW_END_EVICTED,    /* table was full */
    V6M_FLOW_END_EOF,        /* input ended */
};

struct v6m_flow_record {
    struct v6m_flow_key key;
    uint64_t first_ns;
    uint64_t last_ns;
    uint64_t packets[2];     /* [0] a->b, [1] b->a */
    uint64_t bytes[2];       /* wire bytes */
    uint8_t tcp_flags;       /* OR of all flags */
    uint8_t end;             /* enum v6m_flow_end */
    uint8_t direction;       /* enum v6m_direction of the first packet */
};

#endif
