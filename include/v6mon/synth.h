/*
 * v6mon/synth.h - synthetic captures with known truth (tests, demos,
 * benchmarks) and the decoder conformance fixtures.
 *
 * The generator writes a capture (pcap or pcapng) of mobile (GTP-U), metro
 * (PPPoE over VLAN/QinQ) and other (plain, tunnelled, non-IP) traffic from
 * a seed, and keeps its own book of what it wrote: packets and wire bytes
 * per family and per default segment, per 5-minute bucket, flows, SRH and
 * flow-label packets; subscribers (GTP-U bearers, PPPoE sessions) with
 * qualifying IPv4/IPv6 traffic per UTC day, month, 30 days and overall
 * (indicator I1); packets, bytes and flows per host name (TLS SNI, HTTP
 * Host, QUIC SNI or DNS answer) and family (I6, I7). It never calls the
 * decoder; the truth is what it built. docs/commands/synth.md describes the
 * truth file.
 *
 * Lifecycle:
 *   struct v6m_synth_config cfg; v6m_synth_config_default(&cfg); ...
 *   v6m_synth *s; err = v6m_synth_new(&cfg, &s);  (validates cfg; on error
 *                                                   *s is set when it could
 *                                                   be allocated, read the
 *                                                   message, then free it)
 *   err = v6m_synth_run(s, "out.pcap", "out.pcap.truth.json");
 *   t = v6m_synth_truth(s);                       borrowed, valid until free
 *   v6m_synth_free(s);
 *
 * Same config (seed included) -> byte-identical capture and truth.
 * Ownership: the handle copies the config; paths are borrowed for the call.
 */
#ifndef V6MON_SYNTH_H
#define V6MON_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/error.h>
#include <v6mon/packet.h>

typedef struct v6m_synth v6m_synth;

enum v6m_synth_segment {
    V6M_SYNTH_MOBILE = 0,
    V6M_SYNTH_METRO = 1,
    V6M_SYNTH_OTHER = 2,
};
#define V6M_SYNTH_SEGMENTS 3

struct v6m_synth_config {
    uint64_t seed;          /* default 1 */
    uint64_t packets;       /* frames to write, default 100000 */
    double ipv6_share;      /* target IPv6 share of user bytes, default 0.5 */
    double mobile_share;    /* < 0: use ipv6_share (default -1) */
    double metro_share;     /* < 0: use ipv6_share (default -1) */
    double mix[V6M_SYNTH_SEGMENTS]; /* packet fractions per segment,
                                       default 0.5, 0.4, 0.1; normalised */
    uint64_t start_ns;      /* first timestamp, default 2024-06-01T00:00:00Z */
    uint64_t duration_ns;   /* time span of the packets, default 900 s */
    uint32_t users;         /* subscribers (mobile + metro), default 1000 */
    /* Shares of IPv4-only, IPv6-only and dual-stack subscribers
     * (normalised); all < 0 (default): derived from the segment's IPv6
     * target t as 0.2 - 0.2 t, 0.2 t, 0.8. */
    double user_mix[3];
    double inactive_v6;     /* share of dual-stack subscribers whose IPv6 is
                               only DNS / ICMPv6, default 0 */
    double app_share;       /* share of qualifying flows that carry a host
                               name, default 0.8 */
    bool nanosecond;        /* pcap/pcapng nanosecond timestamps */
    bool pcapng;            /* pcapng with one interface per segment */
    uint32_t snaplen;       /* 0 = whole frames; else >= 256 */
    /* Optional progress callback, called every 65536 frames. */
    void (*progress)(void *user, uint64_t done, uint64_t total);
    void *progress_user;
};
void v6m_synth_config_default(struct v6m_synth_config *cfg);

/* Errors: V6M_ERR_INVALID_ARG (message names the field), V6M_ERR_NOMEM. */
v6m_err v6m_synth_new(const struct v6m_synth_config *cfg, v6m_synth **out);
void v6m_synth_free(v6m_synth *s); /* NULL is a no-op */
const char *v6m_synth_errmsg(const v6m_synth *s);

/* Write the capture to path ("-" = standard output) and, when truth_path
 * is not NULL, the truth JSON. Can be called once per handle.
 * Errors: V6M_ERR_IO, V6M_ERR_INVALID_ARG (called twice). */
v6m_err v6m_synth_run(v6m_synth *s, const char *path, const char *truth_path);

struct v6m_synth_counts {
    uint64_t packets;
    uint64_t bytes;         /* wire length */
    uint64_t flows;         /* 0 for family OTHER */
};

/* Subscribers of one window and segment (definitions in v6mon/users.h;
 * dual + ipv4_only + ipv6_only == active). */
struct v6m_synth_user_counts {
    uint64_t seen, active, ipv6_active, holding_ipv6;
    uint64_t dual, ipv4_only, ipv6_only;
};

enum v6m_synth_window_kind {
    V6M_SYNTH_WIN_ALL = 0,
    V6M_SYNTH_WIN_DAY,
    V6M_SYNTH_WIN_MONTH,
    V6M_SYNTH_WIN_30D,
};

struct v6m_synth_users_window {
    uint8_t kind;               /* enum v6m_synth_window_kind */
    int64_t start_day, end_day; /* UTC days since 1970-01-01, inclusive;
                                   INT64_MIN: no subscriber traffic */
    struct v6m_synth_user_counts all, mobile, metro;
};

/* How a flow got its name: its own first payload (TLS ClientHello SNI,
 * HTTP Host, QUIC Initial SNI) or a DNS answer its client received. */
enum v6m_synth_method {
    V6M_SYNTH_SNI = 0,
    V6M_SYNTH_HOST,
    V6M_SYNTH_QUIC,
    V6M_SYNTH_DNS,
};
#define V6M_SYNTH_METHODS 4

struct v6m_synth_name_truth {
    const char *name;                       /* static string */
    uint64_t method[V6M_SYNTH_METHODS];     /* flows per method */
    struct v6m_synth_counts fam[V6M_FAMILY_COUNT]; /* [OTHER] is 0 */
};

struct v6m_synth_truth {
    uint64_t packets;
    uint64_t wire_bytes;
    uint64_t captured_bytes;
    uint64_t first_ns, last_ns;            /* as written (us or ns) */
    struct v6m_synth_counts totals[V6M_FAMILY_COUNT];
    struct v6m_synth_counts seg[V6M_SYNTH_SEGMENTS][V6M_FAMILY_COUNT];
    uint64_t srh_packets;
    uint64_t flow_label_packets;           /* innermost IPv6, label != 0 */
    uint64_t icmp_echo_flows[V6M_FAMILY_COUNT]; /* included in flows */
    bool flows_exact;
    double max_flow_gap_s;
    double max_flow_life_s;
    /* Subscribers: windows in the order all, days, months, 30d (each
     * ascending), over the UTC days on which a subscriber had a packet.
     * Owned by the handle. */
    size_t n_windows;
    const struct v6m_synth_users_window *windows;
    /* Names with traffic, sorted by name (strcmp); owned by the handle.
     * Sum over names + unattributed == totals, per family, for packets,
     * bytes and flows. */
    size_t n_names;
    const struct v6m_synth_name_truth *names;
    struct v6m_synth_counts unattributed[V6M_FAMILY_COUNT];
    /* True when no naming payload was cut in two by the end of the capture
     * and every DNS-named flow started within the answer's TTL. */
    bool names_exact;
    double max_dns_age_s;   /* answer -> first packet of its flow */
};
/* Valid after a successful run until free. */
const struct v6m_synth_truth *v6m_synth_truth(const v6m_synth *s);

/* Segment name: "mobile", "metro", "other". */
const char *v6m_synth_segment_name(unsigned seg);

/* Write the conformance fixtures (one small capture plus NAME.truth.json
 * per encapsulation, and an index.json) into dir, created when missing
 * (its parent must exist).
 * *n_files gets the number of captures written. Error text in errbuf. */
v6m_err v6m_synth_fixtures(const char *dir, size_t *n_files, char *errbuf,
                           size_t errlen);

#endif
