/*
 * v6mon/traffic.h - the traffic pipeline: decoded packets -> segments ->
 * flows -> per-bucket, per-segment, per-family counters (indicators I2, I3).
 *
 * Lifecycle:
 *   t = v6m_traffic_new(&cfg, segments)      segments borrowed, must outlive t
 *   for each frame: v6m_traffic_add_frame(t, &frame, ifname)
 *   v6m_traffic_finish(t)                     flushes fragments and flows
 *   r = v6m_traffic_result(t)                 borrowed, valid until free
 *   v6m_traffic_free(t)
 *
 * Counting rules (docs/traffic.md is the user-facing version):
 *   - every frame is counted exactly once, under its user-traffic family
 *     (innermost IP header) and its segment; bytes are wire lengths;
 *   - a flow is a bidirectional 5-tuple of the innermost header within a
 *     segment; it counts once in the totals when it is created (a flow that
 *     expires and comes back counts again) and once in every bucket in which
 *     it carried a packet;
 *   - frames of family OTHER have no flows;
 *   - ipv6_share = ipv6 / (ipv4 + ipv6) of packets, bytes and flows;
 *     "other" is not in the denominator.
 * Buckets are aligned to multiples of bucket_ns since the epoch and kept in a
 * hash keyed by start time, so out-of-order frames land where they belong.
 */
#ifndef V6MON_TRAFFIC_H
#define V6MON_TRAFFIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/apps.h>
#include <v6mon/appstats.h>
#include <v6mon/bindings.h>
#include <v6mon/decoder.h>
#include <v6mon/error.h>
#include <v6mon/flow.h>
#include <v6mon/packet.h>
#include <v6mon/segments.h>
#include <v6mon/users.h>

typedef struct v6m_traffic v6m_traffic;

struct v6m_traffic_config {
    uint64_t bucket_ns;          /* default 300 s */
    size_t flow_max;             /* flow table capacity, default 1,000,000 */
    uint64_t flow_idle_ns;       /* default 60 s */
    uint64_t flow_active_ns;     /* default 1800 s */
    size_t bucket_max;           /* buckets kept at most, default 1,000,000;
                                    beyond: counted in totals only + counter */
    struct v6m_decoder_config decoder;
    /* Optional: called for every flow record as it ends (NULL = none). */
    void (*on_flow)(void *user, const struct v6m_flow_record *rec);
    /* Optional: called for every decoded record as it is counted. */
    void (*on_packet)(void *user, const struct v6m_packet *pkt,
                      const struct v6m_class *cls);
    void *user;

    /* Subscribers and I1 (v6mon/users.h). */
    bool users;
    uint8_t subscriber_mode;        /* enum v6m_subscriber_mode */
    const v6m_bindings *bindings;   /* borrowed; for V6M_SUB_BINDING */
    size_t users_exact_max;         /* per window and segment; 0 = 262144 */
    /* Names and apps, I6 and I7 (v6mon/appstats.h). */
    bool apps;
    const v6m_apps *apps_catalog;   /* borrowed; required with apps */
    bool dpi;                       /* nDPI on unnamed flows (with apps) */
    size_t dns_cache_max;           /* 0 = 1,000,000 answers */
};
void v6m_traffic_config_default(struct v6m_traffic_config *cfg);

/* NULL when out of memory or the config is unusable; v6m_traffic_open()
 * says why. */
v6m_traffic *v6m_traffic_new(const struct v6m_traffic_config *cfg,
                             const v6m_segments *segments);
/* The same with a reason ("nDPI could not start: ...") in errbuf. */
v6m_err v6m_traffic_open(const struct v6m_traffic_config *cfg,
                         const v6m_segments *segments, v6m_traffic **out,
                         char *errbuf, size_t errlen);
void v6m_traffic_free(v6m_traffic *t); /* NULL is a no-op */

/* ifname: name of frame->ifindex's interface, or NULL. */
void v6m_traffic_add_frame(v6m_traffic *t, const struct v6m_frame *frame,
                           const char *ifname);

/* End of input: release held fragments, expire all flows. Idempotent. */
void v6m_traffic_finish(v6m_traffic *t);

struct v6m_counts {
    uint64_t packets;
    uint64_t bytes;
    uint64_t flows;   /* always 0 for family OTHER */
};

/* Counters per family: index with enum v6m_family. */
struct v6m_family_counts {
    struct v6m_counts fam[V6M_FAMILY_COUNT];
};

struct v6m_traffic_bucket {
    int64_t start_s;           /* bucket start, seconds since the epoch */
    uint16_t segment;
    struct v6m_family_counts c;
};

struct v6m_ipv6plus {
    uint64_t ipv6_packets;         /* packets whose user family is IPv6 */
    uint64_t srh_packets;          /* any IPv6 header with a type-4 RH */
    uint64_t flow_label_packets;   /* innermost IPv6 with flow label != 0 */
    uint64_t ext_packets[V6M_EXT__COUNT]; /* packets using each ext type */
};

struct v6m_traffic_result {
    uint64_t first_ns, last_ns;    /* time range of counted frames, 0 if none */
    uint64_t bucket_ns;
    struct v6m_family_counts totals;
    size_t n_segments;             /* = v6m_segments_count() */
    const char *const *segment_names;
    const struct v6m_family_counts *segments;  /* [n_segments] */
    /* Direction split per segment: [segment * 3 + direction]. */
    const struct v6m_family_counts *seg_dir;
    size_t n_buckets;
    const struct v6m_traffic_bucket *buckets;  /* sorted by (start, segment),
                                                  only non-empty cells */
    uint64_t drops[V6M_DROP__COUNT];           /* frames per reason */
    uint64_t encap_packets[32];                /* frames per v6m_encap_bit
                                                  index (bit number) */
    struct v6m_ipv6plus ipv6plus;
    /* Bounded structures: what they held and what they pushed out. */
    uint64_t flows_max_active;
    uint64_t flows_evicted;
    uint64_t flows_expired_idle;
    uint64_t flows_expired_active;
    uint64_t buckets_overflow;     /* frames not bucketed (bucket_max hit) */
    struct v6m_decoder_stats decoder;
};

/* Valid after finish() until free(). */
const struct v6m_traffic_result *v6m_traffic_result(const v6m_traffic *t);

/* Valid after finish() until free(); NULL unless cfg.users / cfg.apps. */
const struct v6m_users_result *v6m_traffic_users(const v6m_traffic *t);
/* Sketch of one user flag (enum v6m_user_flag) for users window w and
 * segment s (s == n_segments: all segments); NULL when empty. */
const v6m_hll *v6m_traffic_users_sketch(const v6m_traffic *t, size_t w, size_t s,
                                        unsigned flag);
const struct v6m_apps_result *v6m_traffic_apps(const v6m_traffic *t);

/* Share helper: v6 / (v4 + v6), or -1 when the denominator is 0. */
double v6m_share(uint64_t v4, uint64_t v6);

#endif
