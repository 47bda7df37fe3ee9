/*
 * v6mon/kpi.h - IPv4/IPv6 performance parity (the plan's "与IPv4基本一致"
 * and check W8): packet loss, latency, connection success, DNS, first
 * byte, page load and video stalls, per target and per family, measured
 * side by side (docs/kpi.md has the exact definitions).
 *
 * Life of a run:
 *   v6m_kpi_config_defaults(&cfg); v6m_kpi_load_thresholds(&cfg, file)...
 *   k = v6m_kpi_new(&cfg, err, sizeof err);
 *   v6m_kpi_add_target(k, ...) / v6m_kpi_load_targets(k, "targets.txt")
 *   v6m_kpi_run(k, &hooks, &stop_flag);   one thread, the prober's event loop
 *   results: v6m_kpi_target_count / v6m_kpi_target(k, i), v6m_kpi_info(k)
 *   v6m_kpi_free(k);
 *
 * Fairness: within each round the IPv4 and IPv6 measurements of a target
 * alternate sample by sample (echo v4, echo v6, echo v4...), and the
 * family that goes first alternates from round to round, so both see the
 * same moment of the network and neither always profits from a warm path.
 *
 * Degradation D = (v6 - v4) / v4 for metrics where lower is better (loss,
 * times, stall ratio), D = (f6 - f4) / f4 on the FAILURE rates of success
 * metrics, D = (v4 - v6) / v4 for the bitrate: positive always means IPv6
 * is worse. A metric has converged when D <= threshold (0.20) or both
 * families are better than the metric's floor. With fewer samples than
 * min_samples for either family it is "insufficient" and has no D.
 *
 * Ownership: the kpi handle owns every result and string; pointers stay
 * valid until v6m_kpi_free(). Strings given in the config must outlive
 * v6m_kpi_new() only (they are copied). Nothing here prints.
 */
#ifndef V6MON_KPI_H
#define V6MON_KPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/error.h>

enum v6m_kpi_metric {
    V6M_KPI_LOSS = 0,          /* echo loss (fraction); TCP SYN loss where ICMP is filtered */
    V6M_KPI_ICMP_RTT_MEDIAN,   /* echo RTT, ms (SYN RTT where ICMP is filtered) */
    V6M_KPI_ICMP_RTT_P95,
    V6M_KPI_TCP_SUCCESS,       /* connection establishment success (fraction) */
    V6M_KPI_TCP_RTT_MEDIAN,    /* handshake RTT, ms */
    V6M_KPI_TCP_RTT_P95,
    V6M_KPI_DNS_TIME_MEDIAN,   /* through the resolver: v4 column = A query, v6 = AAAA, ms */
    V6M_KPI_DNS_SUCCESS,       /* A vs AAAA answered (fraction) */
    V6M_KPI_DNS_TRANSPORT_MEDIAN, /* the same query to the resolver over IPv4 vs IPv6, ms */
    V6M_KPI_TTFB_MEDIAN,       /* DNS start to the first byte of the final HTML, ms */
    V6M_KPI_PAGE_LOAD_MEDIAN,  /* DNS start to the last byte of HTML + sub-resources, ms */
    V6M_KPI_PAGE_LOAD_P95,
    V6M_KPI_VIDEO_STARTUP,     /* player start-up delay, ms (median of sessions) */
    V6M_KPI_VIDEO_STALL_RATIO, /* stall time / play time (卡顿率), sessions pooled */
    V6M_KPI_VIDEO_STALLS,      /* stalls per session (mean) */
    V6M_KPI_VIDEO_BITRATE,     /* average bitrate, bit/s (higher is better) */
    V6M_KPI_METRICS
};

enum v6m_kpi_verdict {
    V6M_KPI_CONVERGED = 0,     /* D <= threshold or both better than the floor */
    V6M_KPI_DEGRADED,          /* IPv6 worse by more than the threshold */
    V6M_KPI_INSUFFICIENT,      /* too few samples (or not measured) */
};

/* Stable names: "loss", "icmp_rtt_median"... ; "converged", "degraded",
 * "insufficient"; the unit ("fraction", "ms", "count", "bit/s"). */
const char *v6m_kpi_metric_name(enum v6m_kpi_metric m);
const char *v6m_kpi_metric_unit(enum v6m_kpi_metric m);
bool v6m_kpi_metric_higher_better(enum v6m_kpi_metric m);
const char *v6m_kpi_verdict_name(enum v6m_kpi_verdict v);
/* Metric by name; -1 when unknown. */
int v6m_kpi_metric_from_name(const char *name);

struct v6m_kpi_thresholds {
    double threshold;                      /* D limit (0.20) */
    double floor[V6M_KPI_METRICS];         /* "both better than this" (NAN: none) */
    double weight[V6M_KPI_METRICS];        /* aggregate score weights */
    unsigned min_samples[V6M_KPI_METRICS]; /* per family, below: insufficient */
};

enum v6m_kpi_icmp_mode { V6M_KPI_ICMP_AUTO = 0, V6M_KPI_ICMP_PING, V6M_KPI_ICMP_RAW, V6M_KPI_ICMP_OFF };

struct v6m_kpi_config {
    const char *resolver;        /* NULL = system resolver (A vs AAAA timing) */
    const char *dns4, *dns6;     /* the resolver over IPv4 / over IPv6 transport; NULL =
                                    the first of that family in resolv.conf */
    unsigned rounds;             /* (5) */
    unsigned interval_ms;        /* between round starts of a target (5000) */
    unsigned pings;              /* echoes per family per round (10) */
    unsigned ping_spacing_ms;    /* between echoes (50; v4 and v6 alternate) */
    unsigned ping_timeout_ms;    /* (1000) */
    enum v6m_kpi_icmp_mode icmp_mode;
    unsigned tcp_tries;          /* connects per family per round (3) */
    uint16_t tcp_port;           /* 0 = the URL's port (443 for hosts, 80 if 443 is closed) */
    unsigned tcp_timeout_ms;     /* (3000) */
    unsigned dns_tries;          /* queries per family per round (3) */
    unsigned dns_timeout_ms;     /* (2000; one try: a lost query is a failure) */
    bool page;                   /* page load and TTFB (true) */
    unsigned page_timeout_ms;    /* whole page incl. resources (20000) */
    unsigned connect_timeout_ms; /* HTTP connect (5000) */
    unsigned per_host;           /* connections per host, like a browser (6) */
    unsigned resources_cap;      /* sub-resources loaded per page (100) */
    bool video;                  /* play the targets' manifests (true) */
    double video_startup_s;      /* media buffered before playback starts (2.0) */
    double video_resume_s;       /* ... before it resumes after a stall (2.0) */
    unsigned video_segments;     /* segments per session (10) */
    const char *video_variant;   /* "highest", "lowest", "auto" or a bit/s cap ("highest") */
    unsigned max_parallel;       /* targets measured at once (8) */
    double he_resolution_delay_ms; /* RFC 8305 Resolution Delay (50) */
    double he_attempt_delay_ms;    /* RFC 8305 Connection Attempt Delay (250) */
    bool insecure;
    const char *ca_file;
    const char *vantage;         /* vantage point name; NULL = host name */
    bool self_check;             /* vantage check before the run (true) */
    const char *const *canaries; /* NULL = built-in list */
    size_t n_canaries;
    struct v6m_kpi_thresholds th;
};

void v6m_kpi_config_defaults(struct v6m_kpi_config *cfg);
/* Read thresholds, floors, weights and min samples from a "key = value"
 * file (docs/kpi.md, data/kpi.conf). Unknown keys are errors. */
v6m_err v6m_kpi_load_thresholds(struct v6m_kpi_config *cfg, const char *path, char *err,
                                size_t errlen);

enum v6m_kpi_sample_kind {
    V6M_KS_ICMP = 0,    /* one echo: ok, RTT ms */
    V6M_KS_TCP,         /* one connect: ok, handshake ms */
    V6M_KS_DNS,         /* family 4 = A query, 6 = AAAA query: ok, ms */
    V6M_KS_DNS_TRANSPORT, /* the query over IPv4 / IPv6 transport: ok, ms */
    V6M_KS_TTFB,
    V6M_KS_PAGE_LOAD,
    V6M_KS_VIDEO_STARTUP,
    V6M_KS_VIDEO_STALL_RATIO,
    V6M_KS__COUNT
};
const char *v6m_kpi_sample_kind_name(enum v6m_kpi_sample_kind k); /* "icmp", "tcp"... */

struct v6m_kpi_sample {
    uint16_t round;
    uint8_t family;     /* 4 or 6 */
    uint8_t kind;       /* enum v6m_kpi_sample_kind */
    bool ok;
    double value;       /* ms, or a ratio for stall ratio; 0 when !ok */
    double t;           /* seconds since the run started */
};

struct v6m_kpi_value {
    double v4, v6;            /* NAN = no value for that family */
    unsigned n4, n6;          /* samples behind each value */
    double d;                 /* NAN when undefined (insufficient, or v4 == 0) */
    enum v6m_kpi_verdict verdict;
    const char *why;          /* "both below the 30 ms floor", "IPv6 32% slower", "" */
};

struct v6m_kpi_video {
    bool tried;
    bool ok;                  /* every session of the family played to the end */
    unsigned sessions;
    double bitrate_bps;       /* variant's declared bandwidth */
    const char *variant;      /* how it was chosen */
    const char *error;        /* first failure sentence, or "" */
};

struct v6m_kpi_target_result {
    const char *target;       /* as given */
    const char *host;
    const char *url;          /* page URL measured ("" when page load is off) */
    const char *video_url;    /* "" when none */
    const char *name, *category;
    bool has_a, has_aaaa;     /* usable A / global AAAA */
    bool reach_v4, reach_v6;  /* any echo or connect succeeded over the family */
    const char *addr_v4, *addr_v6; /* "" when none */
    uint16_t tcp_port;
    const char *latency_method; /* "icmp" or "tcp_syn" (ICMP filtered) */
    const char *he_family;    /* Happy Eyeballs' choice in most rounds: "ipv6", "ipv4", "" */
    unsigned he_v6_rounds, he_rounds;
    unsigned rounds;          /* rounds completed */
    enum v6m_kpi_verdict_target {
        V6M_KPI_T_CONVERGED = 0, V6M_KPI_T_DEGRADED, V6M_KPI_T_INSUFFICIENT,
        V6M_KPI_T_V6_UNREACHABLE, V6M_KPI_T_NO_AAAA, V6M_KPI_T_NOT_TESTABLE
    } verdict;
    const char *degraded;     /* comma list of degraded metrics, or "" */
    const char *detail;       /* a sentence: why this verdict */
    struct v6m_kpi_value m[V6M_KPI_METRICS];
    struct v6m_kpi_video video4, video6;
    const struct v6m_kpi_sample *samples;
    size_t n_samples;
    double score;             /* weighted share of converged metrics, 0..100; NAN if none */
};
/* "converged", "degraded", "insufficient", "v6_unreachable", "no_aaaa", "not_testable" */
const char *v6m_kpi_target_verdict_name(int v);

struct v6m_kpi_info {
    uint64_t started_ns, finished_ns; /* wall clock */
    const char *vantage;
    const char *resolver, *dns4, *dns6; /* servers in use ("" = none) */
    bool vantage_checked, vantage_v4, vantage_v6;
    const char *vantage_detail;
    const char *icmp_v4, *icmp_v6;     /* socket kind: "ping", "raw", "none" */
    unsigned rounds, interval_ms;
    size_t targets_total, targets_done;
    bool interrupted;
    /* aggregate over targets with data */
    unsigned converged[V6M_KPI_METRICS], degraded[V6M_KPI_METRICS];
    double d_median[V6M_KPI_METRICS];  /* median D over targets (NAN: none) */
    enum v6m_kpi_verdict verdict;      /* converged when every measured metric of
                                          every target converged */
    double score;                      /* weighted share of converged (target, metric) */
};

struct v6m_kpi_progress {
    size_t done, total, inflight;
    unsigned round;                   /* highest round started */
    uint64_t elapsed_ns;
    const char *stage;
};

struct v6m_kpi_hooks {
    void (*target_done)(void *arg, const struct v6m_kpi_target_result *r);
    void (*progress)(void *arg, const struct v6m_kpi_progress *p); /* <= 5 per second */
    void *arg;
};

typedef struct v6m_kpi v6m_kpi;

v6m_kpi *v6m_kpi_new(const struct v6m_kpi_config *cfg, char *err, size_t errlen);
void v6m_kpi_free(v6m_kpi *k);
const char *v6m_kpi_errmsg(const v6m_kpi *k);

/* target: a host name, an address literal or an http(s) URL; video_url:
 * an HLS (.m3u8) or DASH (.mpd) manifest, or NULL. */
v6m_err v6m_kpi_add_target(v6m_kpi *k, const char *target, const char *video_url,
                           const char *name, const char *category);
/* One target a line: "TARGET [VIDEO_URL]", or CSV with a header naming
 * target (or url/host), and optionally video, name, category. "#" comments. */
v6m_err v6m_kpi_load_targets(v6m_kpi *k, const char *path);

v6m_err v6m_kpi_run(v6m_kpi *k, const struct v6m_kpi_hooks *hooks, volatile int *stop);

const struct v6m_kpi_info *v6m_kpi_info(const v6m_kpi *k);
size_t v6m_kpi_target_count(const v6m_kpi *k);
const struct v6m_kpi_target_result *v6m_kpi_target(const v6m_kpi *k, size_t i);

/* ---- pure parts, public for tests and the report ---- */

/* Median and 95th percentile (nearest-rank on the sorted values) of the
 * n values; NAN when n == 0. Sorts v in place. */
double v6m_kpi_quantile(double *v, size_t n, double q);

/* Verdict of one metric from its values (v->v4, v6, n4, n6 filled): sets
 * d, verdict and why (a static string or one written into why_buf). */
void v6m_kpi_judge(enum v6m_kpi_metric m, const struct v6m_kpi_thresholds *th,
                   struct v6m_kpi_value *v, char *why_buf, size_t why_len);

/* RFC 8305 in one round: given when each answer arrived (ms from the
 * start; NAN = no usable answer) and each family's handshake time (NAN =
 * failed), which family connects first: 6, 4, or 0 for neither. */
int v6m_kpi_happy_eyeballs(double aaaa_ms, double a_ms, double conn6_ms, double conn4_ms,
                           double resolution_delay_ms, double attempt_delay_ms);

/* ---- storing a run (store/sqlite_kpi.c; docs/store.md) ---- */

typedef struct v6m_store v6m_store;
/* Write the run (finished targets, metrics, raw samples) in one
 * transaction; config_json (may be NULL) records the thresholds used. */
v6m_err v6m_store_put_kpi(v6m_store *st, const v6m_kpi *k, const char *config_json,
                          int64_t *run_id);

/* `kpi --from-sites`: call cb(arg, name, url, category) for each site of
 * probe run probe_run (<= 0: the newest with sites); cb returns non-zero
 * to stop. *run_used (may be NULL) gets the run's id. */
typedef int (*v6m_store_target_cb)(void *arg, const char *name, const char *url,
                                   const char *category);
v6m_err v6m_store_probe_targets(v6m_store *st, int64_t probe_run, v6m_store_target_cb cb,
                                void *arg, int64_t *run_used);

#endif
