/*
 * v6mon/indicators.h - the plan's indicators I1..I8 and the IPv4/IPv6
 * parity metrics, computed from a v6mon database over a time window,
 * against targets (docs/indicators.md has every definition, the windows,
 * the coverage rules and the JSON schema).
 *
 * Use:
 *   v6m_indicators *ind;
 *   v6m_indicators_open("x.db", &ind, err, sizeof err);     read-only
 *   v6m_indicators_load_targets(ind, "targets.conf");      optional
 *   v6m_indicators_load_registry(ind, "ipv6plus.csv");     optional (I8)
 *   struct v6m_ind_query q;
 *   v6m_ind_query_init(&q);                                 30d, now = newest data
 *   v6m_ind_window_parse(&q, "month", err, sizeof err);
 *   v6m_scorecard *sc;
 *   v6m_indicators_compute(ind, &q, &sc);
 *   for (i < v6m_scorecard_count(sc)) v6m_scorecard_at(sc, i) ...
 *   v6m_scorecard_write_json(sc, stdout, true);
 *   v6m_scorecard_free(sc); v6m_indicators_close(ind);
 *
 * Rules the numbers follow:
 *   - every share is a ratio of sums over the window (bytes, sites,
 *     pages, subscribers), never a mean of ratios; the one exception is
 *     an app's "mean3" (the official app test: mean of 3 runs), which is
 *     reported beside the app's ratio of sums and not used for I7;
 *   - distinct subscribers (I1) are never added: the stored HyperLogLog
 *     sketches of the days and runs in the window are merged (register
 *     maximum), so a subscriber seen on several days or by several
 *     collectors counts once; one exact day row is used as it is;
 *   - snapshots (sites, probe apps, kpi targets) count each site / app /
 *     (vantage point, target) once, with its newest result in the window
 *     (in each trend point: its newest result in that point's period);
 *   - "no data" is has_value = false with a reason, never a zero.
 *
 * Windows (UTC): day, calendar month, 30 days ending with the reference
 * day, all, or FROM..TO (dates, both included). The reference time
 * ("now") is by default the newest data time in the database, not the
 * wall clock: a report over archived captures then shows their last
 * month instead of an empty one, and the same database always gives the
 * same report. A live dashboard passes the wall clock in now_s.
 *
 * Ownership: the v6m_indicators handle owns its database connection,
 * targets and registry. A scorecard is self-contained: it owns every
 * struct and string reachable from it (valid until v6m_scorecard_free()),
 * and it outlives the handle that computed it. Strings in a query are
 * read during the call only. Nothing here prints or writes the database.
 * A handle is used by one thread at a time; scorecards are read-only and
 * can be shared between threads.
 */
#ifndef V6MON_INDICATORS_H
#define V6MON_INDICATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <v6mon/error.h>

typedef struct v6m_indicators v6m_indicators;
typedef struct v6m_scorecard v6m_scorecard;

/* ---- the handle ---------------------------------------------------------------- */

/* Open a database (PATH, sqlite:PATH, sqlite://PATH) read-only; the file
 * must exist. Targets start as the built-in defaults (the plan's 2024
 * values, data/targets.conf), no registry. On failure *out is NULL and
 * errbuf says why. */
v6m_err v6m_indicators_open(const char *location, v6m_indicators **out, char *errbuf,
                            size_t errlen);
void v6m_indicators_close(v6m_indicators *ind); /* NULL is a no-op */
const char *v6m_indicators_errmsg(const v6m_indicators *ind);

/* Targets file (format: docs/indicators.md, data/targets.conf): each key
 * given replaces the current value, keys not given keep theirs. A file
 * with any error changes nothing (V6M_ERR_CONFIG, "file:line: ..."). */
v6m_err v6m_indicators_load_targets(v6m_indicators *ind, const char *path);
/* The same from text in memory; name is used in messages. */
v6m_err v6m_indicators_parse_targets(v6m_indicators *ind, const char *text, size_t len,
                                     const char *name);

/* I8's registry of "IPv6+" projects: CSV with the header
 * name,field,status,evidence (docs/indicators.md). Replaces a registry
 * loaded before; on error the old one stays. */
v6m_err v6m_indicators_load_registry(v6m_indicators *ind, const char *path);
v6m_err v6m_indicators_parse_registry(v6m_indicators *ind, const char *text, size_t len,
                                      const char *name);

/* ---- the query ------------------------------------------------------------------- */

enum v6m_ind_window {
    V6M_IND_WINDOW_DAY = 0,  /* the UTC day of the reference time */
    V6M_IND_WINDOW_MONTH,    /* its UTC calendar month */
    V6M_IND_WINDOW_30D,      /* the 30 UTC days ending with its day */
    V6M_IND_WINDOW_ALL,      /* everything in the database */
    V6M_IND_WINDOW_RANGE,    /* [from_s, to_s): whole UTC days */
};

struct v6m_ind_query {
    enum v6m_ind_window window;
    int64_t from_s, to_s;   /* RANGE: 00:00 UTC of the first day, of the day after the last */
    int64_t now_s;          /* reference time (unix s); 0: the newest data in the database */
    const char *segment;    /* filters; NULL or "": none */
    const char *category;
    const char *vantage;
};

/* window = 30d, now from the data, no filters. */
void v6m_ind_query_init(struct v6m_ind_query *q);

/* Set q's window from text: "day", "month", "30d", "all",
 * "YYYY-MM-DD..YYYY-MM-DD" (both days included), "YYYY-MM" (that month)
 * or "YYYY-MM-DD" (that day). Other fields are left as they are. */
v6m_err v6m_ind_window_parse(struct v6m_ind_query *q, const char *text, char *errbuf,
                             size_t errlen);

/* Compute the scorecard. On failure *out is NULL and
 * v6m_indicators_errmsg() says why (a database error, out of memory,
 * a bad query such as an empty range). */
v6m_err v6m_indicators_compute(v6m_indicators *ind, const struct v6m_ind_query *q,
                               v6m_scorecard **out);
void v6m_scorecard_free(v6m_scorecard *sc); /* NULL is a no-op */

/* ---- the scorecard ---------------------------------------------------------------- */

/* Yes / no / not known (no evidence). */
enum v6m_ind_tri {
    V6M_IND_UNKNOWN = -1,
    V6M_IND_NO = 0,
    V6M_IND_YES = 1,
};

struct v6m_ind_point {           /* one trend point */
    int64_t start_s, end_s;      /* [start, end), UTC; clipped to the window */
    bool has_value;
    double value, numerator, denominator;
    double gap;                  /* target - value (0 without value or target) */
    uint64_t samples;
};

struct v6m_ind_run {             /* a run the figure rests on */
    const char *kind;            /* "traffic", "probe", "kpi" */
    int64_t id;                  /* runs.id, probe_runs.id or kpi_runs.id */
    const char *vantage;         /* "" when none */
    const char *tool_version;
    int64_t first_s, last_s;     /* the times of its rows that were used */
};

struct v6m_ind_coverage {
    const char *summary;         /* one English sentence: what data; never NULL */
    const char *summary_zh;      /* the same sentence in Chinese; never NULL */
    const struct v6m_ind_run *runs;  /* by kind, then id */
    size_t n_runs;
    uint64_t samples;            /* sample size, in sample_unit */
    const char *sample_unit;     /* "buckets", "subscribers", "sites", "apps", "results"... */
    bool has_span;
    int64_t first_s, last_s;     /* data time span used */
    const char *const *vantages; /* distinct, sorted ("" = unlabelled) */
    size_t n_vantages;
    const char *const *tool_versions;
    size_t n_tool_versions;
    bool estimated;              /* I1 from merged HyperLogLog sketches (s.e. 0.81%) */
    const char *const *notes;    /* caveats (filters not applying, overlaps, left-out rows) */
    const char *const *notes_zh; /* notes[i] in Chinese */
    size_t n_notes;
};

struct v6m_ind_group {           /* breakdown row: one segment or category */
    const char *name;
    bool has_value;
    double value, numerator, denominator;
    bool met;
    double gap;
    uint64_t samples;
    const struct v6m_ind_point *trend; /* same periods as the indicator's (may be empty) */
    size_t n_trend;
};

struct v6m_ind_parity_row {      /* one (vantage point, target) result of a metric */
    const char *target, *host, *name, *category, *vantage;
    int64_t run_id, time_s;
    bool has_v4, has_v6, has_d;
    double v4, v6, d;            /* d = degradation, positive = IPv6 worse */
    int64_t n4, n6;
    const char *verdict;         /* converged | degraded | insufficient */
};

struct v6m_ind_parity {          /* parity.<metric> only */
    const char *metric;          /* kpi metric name */
    const char *metric_unit;     /* "fraction", "ms", "count", "bit/s" */
    unsigned converged, degraded, insufficient;
    bool has_d_median;
    double d_median;             /* median d over the rows with a d */
    const char *verdict;         /* aggregate: degraded if any, else converged if any,
                                    else insufficient */
    const struct v6m_ind_parity_row *rows; /* by target, vantage */
    size_t n_rows;
};

struct v6m_indicator {
    const char *id;              /* "I1".."I8", "I5.resource_bytes", "parity.<metric>",
                                    "parity.cdn_coverage" */
    const char *key;             /* stable name, e.g. "ipv6_active_users_share" */
    const char *unit;            /* "share" (0..1) or "count" */
    const char *numerator_unit;  /* "IPv6 bytes", "sites supporting IPv6", ... */
    const char *denominator_unit; /* NULL for a count */
    const char *method;          /* the formula in words */
    bool has_value;
    double value, numerator, denominator;
    const char *no_data;         /* why there is no value; NULL when has_value */
    const char *no_data_zh;      /* the same in Chinese; NULL when has_value */
    bool has_target;
    double target;
    double gap;                  /* target - value (positive: short of the target) */
    bool met;                    /* value >= target */
    struct v6m_ind_coverage coverage;
    const char *trend_step;      /* "day" or "month" */
    const struct v6m_ind_point *trend;
    size_t n_trend;
    const char *group_by;        /* "segment", "category" or NULL */
    const struct v6m_ind_group *groups;
    size_t n_groups;
    const struct v6m_ind_parity *parity; /* parity.<metric>; NULL otherwise */
};

struct v6m_ind_check {           /* a website check that did not pass */
    const char *check;           /* "W1".."W7" */
    const char *state;           /* fail | not_testable | skipped */
    const char *code, *message;
};

struct v6m_ind_site {            /* a site's newest result in the window (the 通报 table) */
    const char *name, *url, *category, *unit, *host;
    int64_t run_id, site_id, time_s;
    bool testable, supported, compliant;
    bool has_score;
    double score;                /* 0..100 */
    bool crawled;
    uint64_t pages, pages_v6;    /* I5: home page + 2nd/3rd-level links tested / over IPv6 */
    uint64_t res_bytes, res_bytes_v6;
    const struct v6m_ind_check *checks; /* W1..W7 that did not pass */
    size_t n_checks;
};

struct v6m_ind_domain {
    const char *name;
    uint64_t bytes;              /* traffic: IPv4 bytes; probe: 0 */
    const char *code, *detail;   /* probe: why it failed over IPv6; traffic: "" */
};

struct v6m_ind_app {
    const char *name, *category;
    bool counted;                /* counted in I6/I7 (category "infra" is not) */
    uint64_t v4_bytes, v6_bytes; /* traffic in the window */
    bool has_share;
    double share;                /* v6 / (v4 + v6): the app's I7 */
    bool has_mean3;
    double mean3;                /* mean of the app's share in its newest <= 3 runs */
    unsigned mean3_runs;
    enum v6m_ind_tri traffic_ipv6;    /* newest traffic run: shows IPv6 */
    enum v6m_ind_tri probe_supported; /* newest probe: main domains answer over IPv6 */
    enum v6m_ind_tri supported;       /* I6: both known ones say yes */
    int64_t traffic_run, probe_run;   /* 0: none */
    uint64_t probe_domains, probe_domains_ok;
    const struct v6m_ind_domain *ipv4_only; /* names never seen over IPv6, bytes descending */
    size_t n_ipv4_only;
    const struct v6m_ind_domain *probe_failing; /* domains failing over IPv6 in the probe */
    size_t n_probe_failing;
};

struct v6m_ind_cdn {             /* CDN coverage of one kpi target */
    const char *target, *host, *name, *category;
    unsigned vantages;           /* vantage points with a result in the window */
    unsigned with_a, with_aaaa;  /* ... where a global A / AAAA was there and reachable */
    bool has_value;
    double value;                /* with_aaaa / with_a */
};

struct v6m_ind_project {         /* an I8 registry entry */
    const char *name, *field, *status, *evidence;
    bool counted;                /* status counted and the category filter (if any) matches */
};

struct v6m_ind_fact {            /* an IPv6+ counter from the traffic runs in the window */
    const char *metric;          /* traffic_ipv6plus metric: srh_packets, flow_label_packets... */
    uint64_t value;
};

struct v6m_scorecard_info {
    const char *database;
    int schema_version;
    const char *window;          /* "day", "month", "30d", "all", "range" */
    const char *label;           /* "2024-02-29", "2024-02", "2024-01-31..2024-02-29", "all" */
    bool has_range;              /* false: 'all' over a database without data */
    int64_t from_s, to_s;        /* [from, to); for 'all' the whole days of the data */
    int64_t now_s;
    bool now_from_data;
    bool has_data;               /* the database holds any data at all */
    const char *step;            /* trend step: "day" or "month" */
    const char *segment, *category, *vantage; /* filters, NULL = none */
    const char *tool_version;    /* the v6mon that computed this */
    const char *targets_source;  /* "built-in" or the targets file */
    const char *registry_source; /* the registry file, NULL when none */
    const char *const *mobile_segments; /* I2's segments */
    size_t n_mobile_segments;
    const char *const *metro_segments;  /* I3's segments */
    size_t n_metro_segments;
};

const struct v6m_scorecard_info *v6m_scorecard_info(const v6m_scorecard *sc);

/* Indicators in a fixed order: I1..I4, I5, I5.resource_bytes, I6, I7, I8,
 * then parity.<metric> for each kpi metric (loss ... video_bitrate), then
 * parity.cdn_coverage. */
size_t v6m_scorecard_count(const v6m_scorecard *sc);
const struct v6m_indicator *v6m_scorecard_at(const v6m_scorecard *sc, size_t i);
/* The sentence a report shows under an indicator: the coverage summary when
 * it has a value, else why it has none; in lang "zh" or "en" (anything else:
 * English). Never NULL; owned by the scorecard. */
const char *v6m_indicator_coverage_text(const struct v6m_indicator *ind, const char *lang);
/* Coverage note k (< coverage.n_notes) in lang; owned by the scorecard. */
const char *v6m_indicator_note(const struct v6m_indicator *ind, size_t k, const char *lang);
/* By id; NULL when unknown. */
const struct v6m_indicator *v6m_scorecard_find(const v6m_scorecard *sc, const char *id);

/* Detail tables (n may not be NULL; arrays valid until the free):
 * segments  every traffic segment's IPv6 byte share, with trend;
 * sites     newest result per site: by category, laggards first
 *           (unsupported, then not compliant, then by score), then url;
 * apps      apps seen in traffic or probes, by traffic bytes descending;
 * cdn       CDN coverage per kpi target, by target;
 * projects  the I8 registry in file order; facts: IPv6+ counters. */
const struct v6m_ind_group *v6m_scorecard_segments(const v6m_scorecard *sc, size_t *n);
const struct v6m_ind_site *v6m_scorecard_sites(const v6m_scorecard *sc, size_t *n);
const struct v6m_ind_app *v6m_scorecard_apps(const v6m_scorecard *sc, size_t *n);
const struct v6m_ind_cdn *v6m_scorecard_cdn(const v6m_scorecard *sc, size_t *n);
const struct v6m_ind_project *v6m_scorecard_projects(const v6m_scorecard *sc, size_t *n);
const struct v6m_ind_fact *v6m_scorecard_ipv6plus(const v6m_scorecard *sc, size_t *n);

/* "unknown", "no", "yes". */
const char *v6m_ind_tri_name(enum v6m_ind_tri t);

/* The scorecard as JSON (schema "v6mon.scorecard/1", docs/indicators.md):
 * numbers as JSON numbers, no data as null with a reason. pretty: two
 * spaces per level, else one line. V6M_ERR_IO when writing fails. */
v6m_err v6m_scorecard_write_json(const v6m_scorecard *sc, FILE *out, bool pretty);

#endif
