/*
 * store/query.h - the read side of the store for the indicator layer
 * (lib/report/indicators*.c): every SQL statement that v6mon report and
 * v6mon serve need lives behind these functions, so the indicator code
 * sees plain C rows and never SQL. A ClickHouse backend implements the
 * same functions (the same rows, the same grouping) over its tables; the
 * handle would then carry a callback table chosen by the location's
 * scheme, as store_impl.h does for writing. Today only SQLite
 * (lib/store/sqlite_query.c) exists.
 *
 * Shape of every query: a filter (a half-open time range [from_s, to_s)
 * in unix seconds plus optional segment / category / vantage labels) and
 * a row callback. Rows are aggregated by the database as far as that is
 * exact (sums per UTC day, never averages), the caller does the rest.
 * Pointers inside a row (strings, sketch bytes) are valid during the
 * callback only; copy what you keep. A callback returns false to stop:
 * the query then returns V6M_ERR_INTERRUPTED with "stopped by the
 * caller" in err, so the caller's own error stays the one that counts.
 *
 * Which time a row has (documented in docs/indicators.md):
 *   traffic buckets  bucket_start (a bucket belongs to the day it starts in)
 *   users            the UTC day of a users_windows 'day' row (start_s)
 *   app days         apps_days.day_start (the day a flow started)
 *   app names, IPv6+ run-level tables: the runs whose packets (apps: whose
 *                    app days) fall in the range are counted whole
 *   probe sites      the site's own start (probe_sites.started_ns), else
 *                    its run's start
 *   probe apps       the probe run's start
 *   kpi              kpi_runs.started (unix seconds)
 *
 * Missing tables: a database of an older schema (no users/apps tables
 * before version 2, no probe tables before 3, no kpi tables before 4) is
 * fine: the query calls no callback and sets *present = false (the
 * indicator then says "no data" and why). Nothing here writes: the
 * database is opened read-only.
 *
 * Ownership: store_q_open() returns a handle the caller frees with
 * store_q_close(); filters and strings passed in are read during the
 * call only.
 */
#ifndef V6M_STORE_QUERY_H
#define V6M_STORE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/error.h>

#include "core/errbuf.h"

struct store_q;

/* Open PATH, sqlite:PATH or sqlite://PATH read-only (the file must
 * exist). Any schema version is read; tables that are missing read as
 * empty (see above). */
v6m_err store_q_open(const char *location, struct store_q **out, struct errbuf *err);
void store_q_close(struct store_q *q); /* NULL is a no-op */
const char *store_q_path(const struct store_q *q);
int store_q_schema_version(const struct store_q *q);

struct store_q_filter {
    int64_t from_s, to_s;  /* [from_s, to_s); INT64_MIN / INT64_MAX for open ends */
    const char *segment;   /* NULL or "": any */
    const char *category;  /* NULL or "": any */
    const char *vantage;   /* NULL or "": any */
};

/* ---- what the database holds ------------------------------------------------ */

struct store_q_span {
    bool any;
    int64_t first_s, last_s;   /* oldest and newest data time (row times above) */
};

struct store_q_spans {
    struct store_q_span traffic, users, apps, probe, kpi;
};

/* Time span of each kind of data (no filter: the whole database). */
v6m_err store_q_spans(struct store_q *q, struct store_q_spans *out, struct errbuf *err);

/* ---- traffic (I2, I3, per-segment shares) ----------------------------------- */

struct store_q_traffic_row {
    int64_t day_s;              /* UTC day start */
    const char *segment;
    int64_t run_id;
    const char *vantage, *tool_version;
    uint64_t v4_bytes, v6_bytes; /* families 'ipv4' and 'ipv6' ('other' is not user IP) */
    uint64_t buckets;           /* distinct bucket starts of this run, day and segment */
    int64_t first_s, last_s;    /* first and last bucket start */
};
typedef bool (*store_q_traffic_cb)(void *arg, const struct store_q_traffic_row *r);

/* One row per (day, segment, run) with bucket_start in the range; the
 * segment filter selects one segment, vantage matches runs.vantage. */
v6m_err store_q_traffic_days(struct store_q *q, const struct store_q_filter *f,
                             store_q_traffic_cb cb, void *arg, struct errbuf *err);

/* Traffic runs whose packets overlap the range (first_packet .. last_packet),
 * vantage filter applied; with the sums of their traffic_ipv6plus
 * counters (I8's network facts), one call per (run, metric). */
struct store_q_ipv6plus_row {
    int64_t run_id;
    const char *vantage, *tool_version;
    int64_t first_s, last_s;    /* the run's first and last packet */
    const char *metric;         /* traffic_ipv6plus.metric */
    uint64_t value;
};
typedef bool (*store_q_ipv6plus_cb)(void *arg, const struct store_q_ipv6plus_row *r);
v6m_err store_q_ipv6plus(struct store_q *q, const struct store_q_filter *f,
                         store_q_ipv6plus_cb cb, void *arg, struct errbuf *err);

/* ---- subscribers (I1) ------------------------------------------------------- */

struct store_q_user_row {
    int64_t run_id;
    int64_t day_s;              /* users_windows.start_s of a 'day' row */
    const char *segment;        /* a segment name or "all" */
    const char *mode;           /* subscriber mode of the run */
    const char *vantage, *tool_version;
    uint64_t active, ipv6_active;
    bool exact;                 /* the counts are exact (not estimates) */
    const uint8_t *q4, *q6;     /* serialized sketches (docs/internals/hll.md), NULL when empty */
    size_t q4_len, q6_len;
};
typedef bool (*store_q_user_cb)(void *arg, const struct store_q_user_row *r);

/* 'day' rows of users_windows in the range, by day; the segment filter
 * selects one segment (else every segment and "all"). */
v6m_err store_q_user_days(struct store_q *q, const struct store_q_filter *f, store_q_user_cb cb,
                          void *arg, bool *present, struct errbuf *err);

/* ---- apps from traffic (I6, I7) --------------------------------------------- */

struct store_q_app_day_row {
    int64_t day_s;
    int64_t run_id;
    int64_t run_last_s;         /* the run's last packet (newest run first for I6) */
    const char *vantage, *tool_version;
    const char *app, *category;
    bool shows_ipv6;            /* apps_totals.shows_ipv6 of the run */
    uint64_t v4_bytes, v6_bytes;
};
typedef bool (*store_q_app_day_cb)(void *arg, const struct store_q_app_day_row *r);

/* Per (day, run, app) with apps_days.day_start in the range, summed over
 * segments (or one segment with the segment filter); unattributed flows
 * are left out; category filters on the app's catalog category. */
v6m_err store_q_app_days(struct store_q *q, const struct store_q_filter *f,
                         store_q_app_day_cb cb, void *arg, bool *present, struct errbuf *err);

struct store_q_app_name_row {
    const char *app, *name;
    uint64_t v4_bytes, v6_bytes; /* summed over the runs */
};
typedef bool (*store_q_app_name_cb)(void *arg, const struct store_q_app_name_row *r);

/* app_names of the runs that have app days in the range (same filter as
 * store_q_app_days), per (app, name), for names owned by an app. */
v6m_err store_q_app_names(struct store_q *q, const struct store_q_filter *f,
                          store_q_app_name_cb cb, void *arg, struct errbuf *err);

/* ---- probe runs (I4, I5, I6) ------------------------------------------------ */

struct store_q_site_row {
    int64_t site_id, run_id;
    int64_t time_s;             /* site start, else run start */
    const char *name, *url, *category, *unit, *host;
    const char *tool_version;
    bool testable, supported, compliant;
    bool has_score;
    double score;
    bool crawled;               /* link_conc IS NOT NULL */
    bool w3_pass;
    uint64_t l2_total, l2_pass, l3_total, l3_pass;
    uint64_t res_bytes, res_bytes_v6;
};
typedef bool (*store_q_site_cb)(void *arg, const struct store_q_site_row *r);

/* Sites in the range, ordered by url, then newest first. category
 * matches probe_sites.category; vantage matches the run's config JSON
 * key "vantage" (probe runs of schema 3 carry no vantage column). */
v6m_err store_q_sites(struct store_q *q, const struct store_q_filter *f, store_q_site_cb cb,
                      void *arg, bool *present, struct errbuf *err);

struct store_q_check_row {
    const char *check, *state, *code, *message;
};
typedef bool (*store_q_check_cb)(void *arg, const struct store_q_check_row *r);
/* The checks of one site row that did not pass, W1..W7 in order. */
v6m_err store_q_site_checks(struct store_q *q, int64_t site_id, store_q_check_cb cb, void *arg,
                            struct errbuf *err);

struct store_q_probe_app_row {
    int64_t app_id, run_id, time_s;
    const char *name, *category, *tool_version;
    bool testable, supported;
    uint64_t n_domains, n_domains_ok;
};
typedef bool (*store_q_probe_app_cb)(void *arg, const struct store_q_probe_app_row *r);
/* Probe apps of runs started in the range, by name, newest first. */
v6m_err store_q_probe_apps(struct store_q *q, const struct store_q_filter *f,
                           store_q_probe_app_cb cb, void *arg, bool *present,
                           struct errbuf *err);

struct store_q_app_domain_row {
    const char *domain, *code, *detail;
    bool has_aaaa, answers_v6;
};
typedef bool (*store_q_app_domain_cb)(void *arg, const struct store_q_app_domain_row *r);
/* The domains of one probe app that did not answer over IPv6 (or carry a code). */
v6m_err store_q_app_domains(struct store_q *q, int64_t app_id, store_q_app_domain_cb cb,
                            void *arg, struct errbuf *err);

/* ---- kpi runs (parity, CDN coverage) ---------------------------------------- */

struct store_q_kpi_row {
    int64_t run_id, time_s;
    const char *vantage, *tool_version;
    const char *target, *host, *name, *category;
    const char *metric;
    bool has_v4, has_v6, has_d;
    double v4, v6, d;
    int64_t n4, n6;
    const char *verdict;        /* converged | degraded | insufficient */
};
typedef bool (*store_q_kpi_cb)(void *arg, const struct store_q_kpi_row *r);
/* kpi_metrics of runs started in the range, ordered by vantage, target,
 * newest run first, then metric; category matches kpi_targets.category.
 * The first run met for a (vantage, target) is its newest in the range. */
v6m_err store_q_kpi_metrics(struct store_q *q, const struct store_q_filter *f,
                            store_q_kpi_cb cb, void *arg, bool *present, struct errbuf *err);

struct store_q_kpi_target_row {
    int64_t run_id, time_s;
    const char *vantage, *target, *host, *name, *category, *verdict;
    bool has_a, has_aaaa, reach_v4, reach_v6;
};
typedef bool (*store_q_kpi_target_cb)(void *arg, const struct store_q_kpi_target_row *r);
/* kpi_targets of runs started in the range, by target, vantage, newest
 * first (category filter as above). */
v6m_err store_q_kpi_targets(struct store_q *q, const struct store_q_filter *f,
                            store_q_kpi_target_cb cb, void *arg, bool *present,
                            struct errbuf *err);

#endif
