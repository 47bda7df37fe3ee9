/*
 * synth/gen.h - internal state of the synthetic capture generator (the
 * model in gen.c, the public API and truth JSON in synth.c).
 *
 * Model. Subscribers (mobile UEs with one GTP-U bearer each, metro PPPoE
 * subscribers) and LAN hosts of the "other" segment open conversations
 * (TCP, DNS, QUIC-like UDP 443, ICMP echo) with servers; the other segment
 * also carries tunnels (6in4, 6to4, DS-Lite, GRE, VXLAN, Teredo), IPv6
 * extension headers, and non-user traffic (GTP-U echo and end marker, PPPoE
 * discovery, ARP, LLDP), the metro segment LCP echo. Each truth segment has
 * a pool of concurrently active conversations; a smooth weighted round
 * robin picks the segment of the next step (so --mix is met to within one
 * step), a random slot of its pool emits its next packet, and a finished
 * conversation is replaced by a new one whose family is chosen by feedback
 * on the bytes written so far (so --ipv6-share is met closely).
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

struct gen_user {
    uint32_t v4;
    uint8_t v6[16];
    uint8_t stack;     /* bit 0 IPv4, bit 1 IPv6 */
    uint8_t tagmode;   /* metro: 0 = 802.1Q, 1 = QinQ */
    uint8_t qfi;       /* mobile: 0 = LTE (no PDU session container) */
    uint8_t seq_flag;  /* mobile: GTP S flag on G-PDUs */
    uint16_t enb;
    uint16_t session;
    uint16_t svlan, cvlan;
    uint32_t teid_ul, teid_dl;
    uint32_t conns;    /* conversations opened (port counter) */
    uint8_t mac[6];
};

enum gen_kind {
    GK_TCP = 0, GK_DNS, GK_QUIC, GK_ICMP,
    GK_GTP_ECHO, GK_GTP_EM, GK_PPPOE_DISC, GK_LCP_ECHO, GK_ARP, GK_LLDP,
};

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
    uint8_t started;    /* first packet written */
    uint8_t pad_[2];
    uint32_t user;      /* index into users[] (or hosts[]/enb) */
    uint32_t srv;
    uint16_t sport, dport;
    uint32_t step, n, sub;
    uint32_t seq_c, seq_s;
    uint32_t fl_up, fl_dn;
    uint16_t gre_key_on;
    uint16_t qtype;
    uint64_t first_ts, last_ts;
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
    uint32_t *cap_idx[2][2]; /* [mobile/metro][v4/v6] users able to do it */
    uint32_t cap_n[2][2];
    struct gen_user hosts[GEN_NHOST];

    uint32_t srv_v4[GEN_NSRV];
    uint8_t srv_v6[GEN_NSRV][16];
    uint16_t enb_frag_id[GEN_NENB][2];
    uint32_t enb_frag6_id[GEN_NENB][2];
    uint32_t enb_sig_ports[GEN_NENB];
    uint16_t host_frag_id;
    uint32_t host_frag6_id;
    uint16_t ipid;

    struct gen_conv pool[V6M_SYNTH_SEGMENTS][GEN_POOL_MAX];
    uint32_t pool_n[V6M_SYNTH_SEGMENTS];
    uint32_t cursor[V6M_SYNTH_SEGMENTS];
    double credit[V6M_SYNTH_SEGMENTS];
    double mix[V6M_SYNTH_SEGMENTS];
    double share_target[V6M_SYNTH_SEGMENTS];

    uint8_t pattern[GEN_PATTERN];
    struct pb pkt, f1, f2;

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
};

/* gen.c */
v6m_err gen_setup(struct gen *g);
void gen_release(struct gen *g);
/* Write all frames (capture already open). */
void gen_run_frames(struct gen *g);

#endif
