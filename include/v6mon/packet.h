/*
 * v6mon/packet.h - the frame handed to the decoder and the decoded-packet
 * record that every consumer (segments, flows, counters, detectors) reads.
 *
 * One decoded record per frame; nothing decodes a packet twice. The record
 * is self-contained: it holds copies of the addresses and ids it reports and
 * offsets (never pointers) into the frame, so the fragment table can keep a
 * copy of a record after the frame buffer is gone.
 *
 * Families. The *user-traffic family* of a packet (v6m_packet.family) is the
 * family of its innermost IP header: IPv6 inside GTP-U inside IPv4 is IPv6.
 * ICMP/ICMPv6 error payloads are not tunnels (the quoted header does not
 * count). A packet without any IP header is V6M_FAMILY_OTHER. A packet that
 * cannot be fully decoded keeps the family of the deepest IP header that was
 * decoded (or OTHER) and says why in v6m_packet.drop.
 */
#ifndef V6MON_PACKET_H
#define V6MON_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum v6m_family {
    V6M_FAMILY_OTHER = 0,
    V6M_FAMILY_IPV4 = 1,
    V6M_FAMILY_IPV6 = 2,
};
#define V6M_FAMILY_COUNT 3
/* "other", "ipv4", "ipv6" */
const char *v6m_family_name(unsigned family);

/*
 * Why a frame could not be fully decoded. The frame is still counted (under
 * its family as far as it was decoded); the reason is counted beside it.
 * Non-IP frames (ARP, LLDP, PPPoE discovery, PPP LCP/IPCP/IPV6CP) are fully
 * decoded: they are family OTHER with drop NONE.
 */
enum v6m_drop {
    V6M_DROP_NONE = 0,
    V6M_DROP_TRUNCATED,          /* a header claims more bytes than captured */
    V6M_DROP_MALFORMED,          /* a field has an impossible value */
    V6M_DROP_UNSUPPORTED_LINK,   /* link type we do not decode */
    V6M_DROP_UNSUPPORTED_ENCAP,  /* encapsulation/protocol we do not decode */
    V6M_DROP_TOO_DEEP,           /* tunnel nesting exceeded the depth cap */
    V6M_DROP_FRAGMENT_UNRESOLVED,/* non-first fragment whose first fragment
                                    never arrived (or was evicted) */
    V6M_DROP__COUNT
};
/* "none", "truncated", "malformed", "unsupported_link",
 * "unsupported_encap", "too_deep", "fragment_unresolved" */
const char *v6m_drop_name(unsigned drop);

/* Encapsulations seen in a packet: bits of v6m_packet.encap. */
enum v6m_encap_bit {
    V6M_ENC_VLAN = 1u << 0,     /* 802.1Q tag (any depth) */
    V6M_ENC_QINQ = 1u << 1,     /* 802.1ad service tag */
    V6M_ENC_MPLS = 1u << 2,
    V6M_ENC_PPPOE = 1u << 3,    /* PPPoE session stage */
    V6M_ENC_PPP = 1u << 4,      /* PPP (link type or inside PPPoE/GRE) */
    V6M_ENC_GRE = 1u << 5,
    V6M_ENC_ERSPAN = 1u << 6,
    V6M_ENC_VXLAN = 1u << 7,
    V6M_ENC_GENEVE = 1u << 8,
    V6M_ENC_GTPU = 1u << 9,     /* any GTP-U v1 message */
    V6M_ENC_IP4IN4 = 1u << 10,
    V6M_ENC_IP6IN4 = 1u << 11,  /* protocol 41 over IPv4 (6in4/6to4/6rd/ISATAP) */
    V6M_ENC_IP4IN6 = 1u << 12,  /* e.g. DS-Lite */
    V6M_ENC_IP6IN6 = 1u << 13,
    V6M_ENC_TEREDO = 1u << 14,
    V6M_ENC_AYIYA = 1u << 15,
    V6M_ENC_6TO4 = 1u << 16,    /* 6in4 whose IPv6 src or dst is 2002::/16 */
    V6M_ENC_ISATAP = 1u << 17,  /* 6in4 whose IPv6 IID is ISATAP (::0:5efe:a.b.c.d / ::200:5efe:...) */
    V6M_ENC_ETH_INNER = 1u << 18, /* an Ethernet frame inside a tunnel */
    V6M_ENC_L2TP = 1u << 19,
    V6M_ENC_CAPWAP = 1u << 20,  /* CAPWAP data channel (wireless LAN controllers) */
    V6M_ENC_PBB = 1u << 21,     /* 802.1ah provider backbone (MAC-in-MAC) I-TAG */
};
#define V6M_ENC__BITS 22
/* Name of bit number n (0 -> "vlan", 1 -> "qinq", ... 21 -> "pbb"), NULL
 * past the last. */
const char *v6m_encap_name(unsigned bit);

/* IPv6 extension headers seen (any IPv6 header of the packet): bit
 * (1u << V6M_EXT_x) of v6m_packet.ext_mask. */
enum v6m_ext {
    V6M_EXT_HOPOPTS = 0,
    V6M_EXT_ROUTING,    /* any routing header (type in v6m_iphdr.rh_type) */
    V6M_EXT_SRH,        /* routing header type 4: segment routing (SRv6) */
    V6M_EXT_RH0,        /* routing header type 0 (deprecated, RFC 5095) */
    V6M_EXT_FRAGMENT,
    V6M_EXT_DSTOPTS,
    V6M_EXT_AH,
    V6M_EXT_ESP,
    V6M_EXT_MOBILITY,
    V6M_EXT_HIP,
    V6M_EXT_SHIM6,
    V6M_EXT_NONEXT,     /* next header 59 */
    V6M_EXT__COUNT
};
/* "hop_by_hop", "routing", "segment_routing", "routing_type0", "fragment",
 * "destination_options", "ah", "esp", "mobility", "hip", "shim6",
 * "no_next_header" */
const char *v6m_ext_name(unsigned ext);

/* One IP header as the record reports it. Addresses are in network order;
 * an IPv4 address fills addr[0..3] and leaves the rest zero. */
struct v6m_iphdr {
    uint8_t family;      /* V6M_FAMILY_IPV4 / _IPV6; 0 = no such header */
    uint8_t proto;       /* upper-layer protocol (after the IPv6 ext chain) */
    uint8_t hop_limit;   /* TTL / hop limit */
    uint8_t tclass;      /* TOS / traffic class */
    uint32_t flow_label; /* IPv6 only */
    uint8_t src[16];
    uint8_t dst[16];
    uint16_t offset;     /* where the header starts in the frame */
    uint16_t l4_offset;  /* where the upper layer starts (0 if unknown) */
    uint32_t frag_id;    /* IPv4 id or IPv6 fragment header id */
    uint16_t frag_offset;/* in bytes */
    uint8_t is_fragment; /* MF set or offset != 0 */
    uint8_t more_frags;
    uint8_t rh_type;     /* IPv6 routing header type, 255 = none */
    uint8_t ext_count;   /* IPv6 extension headers in this header's chain */
    uint8_t v4_options;  /* IPv4: header has options (IHL > 5) */
    uint8_t pad_;
};

/* A frame as the source hands it to the decoder. */
struct v6m_frame {
    uint64_t ts_ns;       /* capture time, ns since the Unix epoch */
    uint32_t caplen;      /* bytes in data */
    uint32_t wirelen;     /* length on the wire (what bytes counters add) */
    uint32_t linktype;    /* LINKTYPE_* value of the file/interface */
    uint32_t ifindex;     /* source-wide interface number (see source.h) */
    const uint8_t *data;  /* borrowed; valid only during the call */
};

#define V6M_MAX_VLANS 4   /* tags beyond these are decoded but not stored */
#define V6M_MAX_MPLS 4

/* The decoded-packet record. */
struct v6m_packet {
    uint64_t ts_ns;
    uint32_t wirelen;
    uint32_t caplen;
    uint32_t linktype;
    uint32_t ifindex;

    uint8_t family;       /* user-traffic family, enum v6m_family */
    uint8_t outer_family; /* family of the first IP header (0 if none) */
    uint8_t drop;         /* enum v6m_drop; NONE = fully decoded */
    uint8_t depth;        /* tunnels entered */
    uint32_t encap;       /* enum v6m_encap_bit, everything seen */
    uint32_t ext_mask;    /* 1u << enum v6m_ext, over all IPv6 headers */

    /* Layer 2 (outermost Ethernet, if any). */
    uint8_t eth_src[6];
    uint8_t eth_dst[6];
    uint8_t has_eth;
    uint8_t n_vlans;      /* tags seen (may exceed V6M_MAX_VLANS) */
    uint8_t n_mpls;       /* labels seen (may exceed V6M_MAX_MPLS) */
    uint8_t ppp_proto_nonip; /* PPP/PPPoE frame carrying LCP, IPCP, ... */
    uint16_t vlan[V6M_MAX_VLANS];  /* VLAN ids, outermost first */
    uint32_t mpls[V6M_MAX_MPLS];   /* labels, top of stack first */

    /* PPPoE session stage (encap & V6M_ENC_PPPOE). */
    uint16_t pppoe_session;
    uint16_t ppp_proto;   /* protocol field of the PPP header */

    /* GTP-U (encap & V6M_ENC_GTPU). gtp_user is true for G-PDUs (message
     * type 255) that carried a decodable T-PDU: only those are user
     * traffic. The endpoints are those of the IP header carrying GTP. */
    uint8_t gtp_msg_type;
    uint8_t gtp_user;
    uint8_t gtp_qfi;      /* 5G PDU session container QFI, 0xff = none */
    uint8_t gtp_pdu_type; /* 0 = DL, 1 = UL, 0xff = none */
    uint32_t gtp_teid;
    uint8_t gtp_ep_family;
    uint8_t gtp_ep_src[16];
    uint8_t gtp_ep_dst[16];

    /* Teredo (encap & V6M_ENC_TEREDO). */
    uint8_t teredo_origin; /* origin indication present */
    uint8_t teredo_auth;   /* authentication indication present */

    /* GRE / VXLAN / Geneve ids of the innermost such header. */
    uint32_t gre_key;     /* valid when gre_has_key */
    uint8_t gre_has_key;
    uint8_t pad0_[3];
    uint32_t vni;         /* VXLAN / Geneve VNI */

    uint8_t n_ip;         /* IP headers decoded (1 = no IP tunnel) */
    struct v6m_iphdr outer; /* first IP header */
    struct v6m_iphdr inner; /* innermost IP header (copy of outer if n_ip 1) */

    /* Upper layer of the innermost IP header. Ports are 0 when absent
     * (non-TCP/UDP/SCTP, or a non-first fragment not resolved). For ICMP
     * echo, sport holds the identifier and dport 0. */
    uint8_t l4_proto;
    uint8_t tcp_flags;
    uint8_t icmp_type;
    uint8_t icmp_code;
    uint16_t sport;
    uint16_t dport;
    uint32_t payload_offset; /* of the L4 payload in the frame; 0 if none */
    uint32_t payload_len;    /* captured payload bytes at that offset */

    /* Set on records released from the fragment table: this record is a
     * non-first fragment and its inner fields were taken from the first
     * fragment of its datagram. payload_len is 0 for such records. */
    uint8_t frag_resolved;
    uint8_t frag_held;       /* the record was held before release */
    uint8_t pad1_[2];
};

#endif
