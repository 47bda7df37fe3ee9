/*
 * v6mon/report.h - renderers for results: terminal text, JSON, CSV.
 *
 * The renderers write to a FILE* the caller owns (the library itself never
 * chooses stdout). The JSON layout of each result is a stable, documented
 * schema (docs/traffic-json.md for traffic): keys are only ever added.
 */
#ifndef V6MON_REPORT_H
#define V6MON_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <v6mon/error.h>
#include <v6mon/probe.h>
#include <v6mon/traffic.h>

enum v6m_format {
    V6M_FORMAT_TEXT = 0,
    V6M_FORMAT_JSON,
    V6M_FORMAT_CSV,
};
/* "text" (also "table"), "json", "csv" -> true and *out. */
bool v6m_format_parse(const char *s, enum v6m_format *out);

struct v6m_report_input {
    const char *name;       /* path, "-" or interface */
    const char *format;     /* "pcap", "pcapng", "live" ... */
    uint64_t bytes;         /* bytes read */
    const char *digest;     /* hex, or NULL when not known */
};

/* Everything about the run that is not a counter. All pointers borrowed. */
struct v6m_traffic_meta {
    const char *tool_version;
    const char *vantage;          /* "" or NULL when none */
    const struct v6m_report_input *inputs;
    size_t n_inputs;
    uint64_t elapsed_ns;          /* wall time of the run */
    bool interrupted;             /* stopped by a signal: partial input */
    const char *segments_file;    /* NULL = default segments */
    const char *run_key;          /* NULL when not stored */
    int64_t run_id;               /* 0 when not stored */
    bool run_replaced;
    const char *db;               /* NULL when not stored */
    uint64_t frames_read;
    uint64_t files_damaged;
    uint64_t frames_oversized;
    uint64_t frames_short_wirelen;
    uint64_t live_dropped;        /* kernel drops (live) */
    uint64_t live_if_dropped;
    const char *const *warnings;  /* messages about damaged inputs etc. */
    size_t n_warnings;
    /* Optional parts (NULL when not measured): v6m_traffic_users/_apps. */
    const struct v6m_users_result *users;
    const struct v6m_apps_result *apps;
    /* CSV: which table, "traffic" (default, NULL), "users", "apps" or
     * "names". */
    const char *csv_table;
};

/* Render a traffic result. Returns V6M_ERR_IO when writing failed. */
v6m_err v6m_report_traffic(FILE *out, enum v6m_format fmt,
                           const struct v6m_traffic_result *res,
                           const struct v6m_traffic_meta *meta);

/* The plan's target for a segment's IPv6 traffic share and the indicator
 * that names it: "mobile" -> I2 0.50, "metro" -> I3 0.15; others -> false. */
bool v6m_segment_target(const char *segment, const char **indicator, double *target);

/*
 * Run key of a traffic run: "traffic-" + 32 hex chars of a digest over the
 * input digests (in order) and the options that change the numbers
 * (options_canonical: e.g. bucket width and the segments file's bytes).
 * out must hold 48 bytes.
 */
void v6m_traffic_run_key(const uint8_t (*digests)[16], size_t n,
                         const void *options_canonical, size_t options_len,
                         char out[48]);

/*
 * Probe results (v6mon probe; docs/probe-json.md, docs/probe.md).
 *
 * JSON lines: one object a line, every line with "type": "site", "app" or
 * "run"; a run's output is its site and app lines as they finished, then
 * one run line. A site line has every field of struct v6m_site_result
 * (checks as an object keyed "W1".."W7"; "urls" and "resources" only when
 * the result still has them, i.e. from the site hook or with
 * keep_details). Invalid UTF-8 in any string becomes U+FFFD.
 *
 * CSV: a header, then one row per site (apps = false) or one row per app
 * domain (apps = true); RFC 4180 quoting.
 *
 * Text: the ranked site table (no IPv6 support first, then not compliant,
 * then compliant, by score; not testable last) with each failing site's
 * reason lines, the per-category summary (I4, I5), the app table (I6) and
 * the run line; info may be NULL (no run line). Arrays may be NULL when
 * their count is 0.
 *
 * All pointers are borrowed for the call. Every function returns
 * V6M_ERR_IO when writing failed, else V6M_OK.
 */
v6m_err v6m_report_probe_site_jsonl(FILE *out, const struct v6m_site_result *r);
v6m_err v6m_report_probe_app_jsonl(FILE *out, const struct v6m_app_result *a);
v6m_err v6m_report_probe_run_jsonl(FILE *out, const struct v6m_probe_info *info);
v6m_err v6m_report_probe_csv_header(FILE *out, bool apps);
v6m_err v6m_report_probe_csv_site(FILE *out, const struct v6m_site_result *r);
v6m_err v6m_report_probe_csv_app(FILE *out, const struct v6m_app_result *a);
v6m_err v6m_report_probe_text(FILE *out, const struct v6m_site_result *const *sites,
                              size_t n_sites, const struct v6m_app_result *const *apps,
                              size_t n_apps, const struct v6m_probe_info *info);

/* ---- `v6mon kpi` (report/kpi_report.c; docs/kpi-json.md) ---- */

typedef struct v6m_kpi v6m_kpi;
/* Terminal table: per target metric rows (IPv4 | IPv6 | D | verdict, with
 * sample sizes), then the aggregate. */
v6m_err v6m_report_kpi_text(FILE *out, const v6m_kpi *k);
/* One JSON document; samples = include every raw sample per target. */
v6m_err v6m_report_kpi_json(FILE *out, const v6m_kpi *k, bool samples);
/* One row per (target, metric) with a header line. */
v6m_err v6m_report_kpi_csv(FILE *out, const v6m_kpi *k);

/* ---- the indicators report (report/html_report.c, report/labels.c) ---- */

typedef struct v6m_scorecard v6m_scorecard;

/* "zh" or "en" from LC_ALL / LC_MESSAGES / LANG (zh* -> "zh", else "en"). */
const char *v6m_report_lang_from_env(void);
/* The plan's name of an indicator id ("I2", "parity.loss"...) in lang
 * ("zh" or "en"); the id itself when unknown. Static strings. */
const char *v6m_report_indicator_label(const char *id, const char *lang);

struct v6m_html_options {
    const char *lang;          /* "zh" or "en" (NULL: from the environment) */
    const char *refresh_url;   /* dashboard: poll this JSON URL (e.g. "/api/v1/runs")
                                  and reload when it changes; NULL: a static report */
    unsigned refresh_s;        /* poll period (30 when 0) */
};
/* The whole report as one self-contained HTML page (inline CSS and SVG,
 * no external resources): scorecard with gauges, trends, traffic share
 * per segment, the site ranking (通报 table), apps with their IPv4-only
 * domains, the parity table with distributions, I8. Prints on A4 and
 * reads on a phone. */
v6m_err v6m_report_html(FILE *out, const v6m_scorecard *sc, const struct v6m_html_options *o);

#endif
