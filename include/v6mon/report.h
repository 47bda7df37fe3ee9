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

#endif
