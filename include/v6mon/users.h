/*
 * v6mon/users.h - subscribers and the IPv6 active user share (indicator I1).
 *
 * A *subscriber* is whatever the operator bills: a GTP-U bearer on the
 * mobile network, a PPPoE session on the metro network, a client MAC, an
 * address, or an id from a binding file (RADIUS/DHCP export). The traffic
 * pipeline (v6mon/traffic.h, cfg.users) gives every flow the subscriber on
 * its subscriber side and counts, per window and segment:
 *
 *   seen          subscribers with any packet
 *   active        subscribers with a qualifying flow of either family
 *   ipv6_active   subscribers with a qualifying IPv6 flow
 *   holding_ipv6  subscribers with any IPv6 packet (they hold an address)
 *   dual          qualifying flows of both families
 *   ipv4_only     qualifying IPv4 flows only
 *   ipv6_only     qualifying IPv6 flows only
 *   I1 = ipv6_active / active
 *
 * A flow qualifies unless it is ICMP/ICMPv6, DNS (port 53 either side) or
 * DHCP/DHCPv6 (UDP 67/68/546/547): network housekeeping is not use. A flow
 * counts in every window in which it carried a packet. Windows: each UTC
 * day, each UTC calendar month, the rolling 30 UTC days ending with the day
 * of the last packet, and the whole input.
 *
 * Counts are exact up to users_exact_max distinct subscribers per window
 * and segment, then HyperLogLog estimates (docs/internals/hll.md: standard
 * error 0.81%); `exact` says which. Intersections come from unions by
 * inclusion-exclusion, so they are exact in exact mode.
 *
 * docs/users.md is the user-facing description of modes and sides.
 */
#ifndef V6MON_USERS_H
#define V6MON_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/hll.h>

enum v6m_subscriber_mode {
    V6M_SUB_AUTO = 0, /* GTP-U bearer, PPPoE session, else address when the
                         segments file gives a direction; else none */
    V6M_SUB_GTP,      /* GTP-U bearer: uplink TEID + S-GW/UPF endpoint */
    V6M_SUB_PPPOE,    /* PPPoE session: session id + client MAC */
    V6M_SUB_MAC,      /* client MAC address */
    V6M_SUB_ADDRESS,  /* IPv4 /32 and IPv6 /64, counted apart */
    V6M_SUB_BINDING,  /* binding file: subscriber id of the address */
};
#define V6M_SUB__COUNT 6
/* "auto", "gtp", "pppoe", "mac", "address", "binding" */
const char *v6m_subscriber_mode_name(unsigned mode);
/* -1 when the name is unknown. */
int v6m_subscriber_mode_parse(const char *name);

/* Flag bits of a subscriber within a window (also the sketch numbers). */
enum v6m_user_flag {
    V6M_USER_Q4 = 0,   /* qualifying IPv4 flow */
    V6M_USER_Q6 = 1,   /* qualifying IPv6 flow */
    V6M_USER_H6 = 2,   /* any IPv6 packet */
    V6M_USER_SEEN = 3, /* any packet */
};
#define V6M_USER__FLAGS 4

struct v6m_user_counts {
    uint64_t seen, active, ipv6_active, holding_ipv6;
    uint64_t dual, ipv4_only, ipv6_only;
    bool exact;   /* false: HyperLogLog estimates */
};

enum v6m_window_kind {
    V6M_WINDOW_ALL = 0,
    V6M_WINDOW_DAY,
    V6M_WINDOW_MONTH,
    V6M_WINDOW_30D,
};
#define V6M_WINDOW__COUNT 4
/* "all", "day", "month", "30d" */
const char *v6m_window_kind_name(unsigned kind);

struct v6m_users_window {
    uint8_t kind;               /* enum v6m_window_kind */
    int64_t start_s, end_s;     /* [start, end) in seconds, UTC day bounds */
    /* [n_segments] per segment, then [n_segments] = all segments. */
    const struct v6m_user_counts *counts;
};

struct v6m_users_result {
    uint8_t mode;               /* enum v6m_subscriber_mode */
    bool families_apart;        /* address mode: a v4 /32 and a v6 /64 are
                                   different subscribers, so "dual" is 0 */
    size_t n_segments;          /* as in the traffic result */
    size_t n_windows;
    const struct v6m_users_window *windows; /* all, days, months, 30d */
    uint64_t exact_max;         /* per window and segment */
    /* Flows and packets of IPv4/IPv6 traffic with and without a subscriber. */
    uint64_t flows_attributed, flows_unattributed;
    uint64_t packets_attributed, packets_unattributed;
    uint64_t gtp_downlink_unmatched; /* flows first seen downlink whose UE
                                        address had no uplink bearer yet */
    uint64_t ue_map_full;       /* UE addresses not remembered (map full) */
    uint64_t days_overflow;     /* flows past the day-window limit */
};

#endif
