/*
 * synth/gen.h - internal state of the synthetic capture generator (the
 * model and frames in gen.c, names in naming.c, subscribers over days in
 * users.c, the public API and truth JSON in synth.c).
 *
 * Model. Subscribers (mobile UEs with one GTP-U bearer each, metro PPPoE
 * subscribers) and LAN hosts of the "other" segment open conversations
 * (TCP, DNS, QUIC UDP 443, ICMP echo) with servers; the other segment
 * also carries tunnels (6in4, 6to4, DS-Lite, GRE, VXLAN, Teredo), IPv6
 * extension headers, and non-user traffic (GTP-U echo and end marker, PPPoE
 * discovery, ARP, LLDP), the metro segment LCP echo. Each truth segment has
 * a pool of concurrently active conversations; a smooth weighted round
 * robin picks the segment of the next step (so --mix is met to within one
 * step), the pool's next slot emits its next packet, and a finished
 * conversation is replaced by a new one whose family is chosen by feedback
 * on the bytes written so far (so --ipv6-share is met closely).
 *
 * Subscribers. Each has a stack (IPv4-only, IPv6-only, dual; --user-mix),
 * dual-stack ones may be "IPv6-inactive" (--inactive-v6: their IPv6 is
 * only DNS and ICMPv6), and, in captures spanning several UTC days, a mask
 * of the days it is online (daily, regular and occasional users, some
 * joining or leaving mid-capture); a new conversation takes a random
 * subscriber able to carry it, preferring one online that day; a pool
 * slot keeps its subscriber for 1-8 conversations (a session). The truth
 * keeps four day masks per subscriber (seen, qualifying IPv4, qualifying
 * IPv6, any IPv6), set by every packet the subscriber's flows carry; the
 * windows (day, month, 30 days, all) are ORs of days (users.c).
 *
 * Names. A qualifying conversation (TCP 443/80, UDP 443) carries a host
 * name with probability --app-share: it first looks the name up (a DNS
 * flow of its own, same client address and family: A or AAAA, sometimes
 * both from one socket), then opens the data flow to one of the answered
 * addresses, whose first client payload is a TLS ClientHello with the SNI
 * (sometimes over two TCP segments), an HTTP request with Host, a QUIC v1
 * Initial (sometimes two), or opaque bytes (then only the DNS answer names
 * it). Other flows go to anonymous servers that no DNS answer ever lists
 * and carry opaque bytes. So every flow to a named address is named, by
 * its payload or by its own lookup seconds earlier, and the truth is exact
 * without modelling a DNS cache: packets, bytes and flows per name and
 * family, and per naming method (payload method once the complete naming
 * payload is written, "dns" before). hosts.h has the catalog, naming.c the
 * planning and the payloads.
 *
 * Flow exactness. Every conversation has its own 5-tuple: the subscriber
 * side port (or ICMP id) comes from a per-endpoint counter that never
 * repeats unless it wraps (64512 conversations of one endpoint), which the
 * truth reports. The pool size keeps gaps inside a conversation short
 * (target <= 4 s); the largest gap and lifetime actually written are
 * tracked, and flows_exact says whether v6mon's default timeouts (60 s
 * idle, 1800 s active) can have split a flow.
 */
#ifndef V6M_SYNTH_GEN_H
#define V6M_SYNTH_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include <v6mon/synth.h>

#include "core/errbuf.h"
#include "synth/build.h"
#include "synth/capw.h"

#define GEN_POOL_MAX 256
#define GEN_NENB 32
#define GEN_NSGW 4
#define GEN_NSRV 256
#define GEN_NHOST 64
#define GEN_BUCKET_NS 300000000000ULL
#define GEN_PATTERN 65536
#define GEN_DAY_NS 86400000000000ULL
#define GEN_MAX_DAYS 32     /* 31 days of duration touch at most 32 UTC days */
#define GEN_MAX_HOSTS 64

/* Subscriber day marks (bit d = UTC day day0 + d). */
enum gen_mark { GM_SEEN = 0, GM_Q4, GM_Q6, GM_H6, GM__COUNT };

#define GEN_STACK_V4 1u
#define GEN_STACK_V6 2u
#define GEN_STACK_V6_INACTIVE 4u /* dual-stack, IPv6 only DNS / ICMPv6 */

struct gen_user {
    uint32_t v4;
    uint8_t v6[16];
    uint8_t stack;     /* GEN_STACK_* bits */
    uint8_t tagmode;   /* metro: 0 = 802.1Q, 1 = QinQ */
    uint8_t qfi;       /* mobile: 0 = LTE (no PDU session container) */
    uint8_t seq_flag;  /* mobile: GTP S flag on G-PDUs */
    uint16_t enb;
    uint16_t session;
    uint16_t svlan, cvlan;
    uint32_t teid_ul, teid_dl;
    uint32_t conns;    /* conversations opened (port counter) */
    uint8_t mac[6];
    uint32_t days_on;  /* days the subscriber is online (model) */
    uint32_t mark[GM__COUNT]; /* truth: days with such traffic */
};

enum gen_kind {
    GK_TCP = 0, GK_DNS, GK_QUIC, GK_ICMP,
    GK_GTP_ECHO, GK_GTP_EM, GK_PPPOE_DISC, GK_LCP_ECHO, GK_ARP, GK_LLDP,
};

/* How a named data flow gets its name (matches enum v6m_synth_method). */
enum gen_method { GM_SNI = 0, GM_HOST, GM_QUIC, GM_DNS };

enum gen_enc {
    GE_PLAIN = 0, GE_6IN4, GE_6TO4, GE_DSLITE, GE_GRE, GE_VXLAN, GE_TEREDO,
};

struct gen_conv {
    uint8_t active;
    uint8_t kind;
    uint8_t fam;        /* enum v6m_family of the innermost header */
    uint8_t seg;        /* truth segment */
    uint8_t enc;        /* other segment: enum gen_enc */
    uint8_t ext;        /* other plain IPv6: bit0 HBH, bit1 DST, bit2 SRH */
    uint8_t big;        /* DNS answer large enough to fragment */
    uint8_t has_flow;
    uint8_t phase;      /* TCP: 0 handshake/data, 1 closing */
    uint8_t started;    /* first packet of the current flow written */
    uint8_t qual;       /* current flow is qualifying (TCP/UDP data) */
    uint8_t stage;      /* named: 0 = DNS lookup flow, 1 = data flow */
    uint8_t method;     /* enum gen_method planned for the data flow */
    uint8_t split;      /* naming payload in two segments / Initials */
    uint8_t partial;    /* first part of a split naming payload written */
    uint8_t named_done; /* complete naming payload written */
    uint8_t nq;         /* DNS: questions (1, or 2 = A and AAAA) */
    uint16_t name;      /* host index + 1; 0 = anonymous */
    uint8_t addr_i;     /* named: index of the server address of the host */
    uint8_t pad2_;
    uint16_t pad;       /* ClientHello extra padding */
    uint16_t cut;       /* TCP split point in the records */
    uint16_t data_dport;
    uint16_t qt[2];     /* DNS question types */
    uint8_t af[2], an[2]; /* DNS answer: first address, count */
    uint16_t qhost;     /* DNS: host asked */
    int16_t mark_day;   /* last UTC day (relative) marked for the user */
    uint32_t user;      /* index into users[] (or hosts[]/enb) */
    uint32_t srv;       /* anonymous server / resolver index */
    uint32_t s4;        /* server address of the current flow */
    uint8_t s6[16];
    uint16_t sport, dport;
    uint32_t step, n, sub;
    uint32_t seq_c, seq_s;
    uint32_t fl_up, fl_dn;
    uint16_t gre_key_on;
    uint64_t pl_seed;   /* ClientHello / QUIC connection ids / HTTP path */
    uint64_t first_ts, last_ts;
    uint64_t ans_ts;    /* last DNS answer of the lookup */
    int64_t last_bucket;
};

struct gen_cnt {
    uint64_t packets, bytes, flows;
};

struct gen_bucket {
    struct gen_cnt c[V6M_SYNTH_SEGMENTS][V6M_FAMILY_COUNT];
};

/* Encapsulation frame counters (physically present in the frame). */
enum gen_encap_ctr {
    GC_GTPU_GPDU, GC_GTPU_SIGNAL, GC_PPPOE_SESSION, GC_PPPOE_DISCOVERY,
    GC_VLAN, GC_QINQ, GC_GRE, GC_VXLAN, GC_TEREDO, GC_IP6IN4, GC_6TO4,
    GC_IP4IN6, GC_IPV4_FRAG, GC_IPV6_FRAG, GC_OOO_PAIRS, GC_GTP_PDU_SESSION,
    GC_GTP_OVER_IPV6, GC_ARP, GC__COUNT
};

struct gen {
    struct v6m_synth_config cfg;
    struct errbuf err;
    struct rng rng;
    struct capw w;
    bool ran;

    uint32_t n_users;       /* mobile then metro */
    uint32_t n_mobile;
    struct gen_user *users;
    /* [mobile/metro][class] users able to carry a conversation:
     * class 0 IPv4, 1 qualifying IPv6, 2 any IPv6 (DNS, ICMPv6). */
    uint32_t *cap_idx[2][3];
    uint32_t cap_n[2][3];
    double user_mix[2][3];  /* [mobile/metro][v4-only, v6-only, dual] */
    int64_t day0;           /* UTC day number of start_ns */
    uint32_t n_days;        /* UTC days touched by [start, start+duration) */
    struct gen_user hosts[GEN_NHOST];

    uint32_t srv_v4[GEN_NSRV];          /* anonymous servers */
    uint8_t srv_v6[GEN_NSRV][16];
    /* Cumulative host weights: [0] IPv4 flows, [1] IPv6 flows, [2] any. */
    uint64_t host_cum[3][GEN_MAX_HOSTS];
    uint16_t enb_frag_id[GEN_NENB][2];
    uint32_t enb_frag6_id[GEN_NENB][2];
    uint32_t enb_sig_ports[GEN_NENB];
    uint16_t host_frag_id;
    uint32_t host_frag6_id;
    uint16_t ipid;

    struct gen_conv pool[V6M_SYNTH_SEGMENTS][GEN_POOL_MAX];
    /* Sessions: a pool slot of mobile/metro keeps its subscriber for a
     * few conversations (flows of one person come in bursts). */
    uint32_t sess_user[2][GEN_POOL_MAX];
    uint8_t sess_left[2][GEN_POOL_MAX];
    uint32_t pool_n[V6M_SYNTH_SEGMENTS];
    uint32_t cursor[V6M_SYNTH_SEGMENTS];
    double credit[V6M_SYNTH_SEGMENTS];
    double mix[V6M_SYNTH_SEGMENTS];
    double share_target[V6M_SYNTH_SEGMENTS];

    uint8_t pattern[GEN_PATTERN];
    struct pb pkt, f1, f2;
    uint8_t hs[4096];       /* ClientHello scratch */
    uint8_t rec[4608];      /* TLS records / HTTP request / QUIC datagram */

    /* Frame clock. */
    uint64_t frame_idx;

    /* Truth. */
    struct v6m_synth_truth truth;
    struct gen_bucket *buckets;
    uint64_t n_buckets;
    int64_t bucket0;        /* first bucket start / bucket width */
    uint64_t encap[GC__COUNT];
    uint64_t port_wraps;
    uint64_t max_gap_ns, max_life_ns;
    uint64_t last_ts;       /* timestamp of the last frame written */
    struct v6m_synth_name_truth names[GEN_MAX_HOSTS]; /* by host index */
    struct v6m_synth_counts unattr[V6M_FAMILY_COUNT];
    uint64_t max_dns_age_ns;   /* answer -> first packet of its data flow */
    uint64_t name_partial;     /* split naming payloads cut by the end */
    /* Result tables (users.c, synth.c). */
    struct v6m_synth_users_window *windows;
    size_t n_windows;
    struct v6m_synth_name_truth *names_out;
    size_t n_names_out;
};

/* gen.c */
v6m_err gen_setup(struct gen *g);
void gen_release(struct gen *g);
/* Write all frames (capture already open). */
void gen_run_frames(struct gen *g);

/* naming.c */
/* Host by cumulative weight table k (0 IPv4 flows, 1 IPv6, 2 any);
 * hosts_count when the table is empty. */
size_t gen_pick_host(struct gen *g, int k);
/* Server address of c's current flow (resolver, named or anonymous). */
void gen_set_server(struct gen_conv *c, const struct gen *g);
/* Addresses [first, first + n) host h answers for qtype (at most 4). */
void gen_answer_window(struct gen *g, size_t h, uint16_t qtype, uint8_t *first, uint8_t *n);
/* Plan the name of a qualifying conversation (host, address, lookup,
 * method, payload size); false when no host has the family. */
bool gen_plan_named(struct gen *g, struct gen_conv *c, bool dual_client);
/* True when slot c of segment s is surely visited again before the end. */
bool gen_room_for_next_visit(const struct gen *g, int s);
/* c's ClientHello in TLS records into g->rec; its length, 0 on failure. */
size_t gen_tls_bytes(struct gen *g, const struct gen_conv *c);
/* Client Initial `part` (0, 1) of c's QUIC connection into g->rec; its
 * length (0 on failure); *complete when it ends the ClientHello. */
size_t gen_quic_initial(struct gen *g, struct gen_conv *c, unsigned part, bool *complete);
/* After the run: per-name truth sorted by name, sums checked against the
 * totals (error when they differ: a generator bug). */
v6m_err gen_finish_names(struct gen *g);

/* users.c */
/* A random subscriber of segment a (0 mobile, 1 metro) able to carry class
 * cls (0 IPv4, 1 qualifying IPv6, 2 any IPv6), preferably online today. */
uint32_t gen_pick_user(struct gen *g, int a, int cls);
/* Online-day masks of the subscribers (captures over several days). */
void gen_users_activity(struct gen *g);
/* After the run: the subscriber windows (g->windows). */
v6m_err gen_users_windows(struct gen *g);
/* "YYYY-MM-DD" of a UTC day number (days since 1970-01-01). */
void gen_day_string(int64_t day, char buf[32]);

#endif
