/*
 * report/svg.h - charts for the HTML report and the dashboard, drawn as
 * self-contained inline SVG appended to a strbuf (private to lib/report).
 *
 * Every function appends one complete <svg> element:
 *   - no scripts, no external references (no href, no url(), no fonts
 *     fetched), no id attributes (many charts share one page);
 *   - a viewBox with width/height attributes and style max-width:100%,
 *     height:auto: it shrinks on a phone and prints on A4 at its size;
 *   - colours as classes (v6m-s1..v6m-s8 series, v6m-good, v6m-bad,
 *     v6m-track, v6m-target, v6m-nodata...) AND presentation attributes
 *     (fill/stroke) as the fallback, so a page without svg_stylesheet()
 *     still has colour; series differ in lightness and, for lines, in
 *     dash pattern, so a grey print still tells them apart;
 *   - a <title> first (the accessible name) and <title> children on the
 *     marks (points, bars, boxes) that browsers show as tooltips;
 *   - text escaped for XML (strbuf_addxml: also replaces invalid UTF-8);
 *   - numbers written without the locale (strbuf_addnum), whatever
 *     LC_NUMERIC says; dates in UTC.
 * "No data" is always drawn as something you cannot mistake for zero (a
 * dashed outline and the no_data word), and a missing bucket in a line is
 * a gap in the line.
 *
 * Values are in the unit the caller has (enum svg_unit): shares are
 * fractions 0..1 and print as percentages, times are milliseconds. Axis
 * ticks are "nice" numbers (1, 2, 2.5, 5 x 10^k) and dates on month, day
 * or hour boundaries in UTC.
 *
 * Big inputs: a line series with more points than twice the plot's width
 * in viewBox units is downsampled per pixel column: each column keeps the
 * minimum and the maximum of the values falling in it (in time order), so
 * spikes and dips survive and the output stays ~2 points per column
 * whatever the input (100k points -> ~1,100 points, ~19 kB). A gap (a NaN,
 * or more than 1.5 steps between neighbours) between points of different
 * columns breaks the line; a gap inside one column is narrower than a
 * pixel and is not drawn. A CDF is drawn with at most two commands per
 * column the same way; sparklines downsample by index.
 *
 * Fixed ranges: values outside a caller's y range are drawn at its edge;
 * points outside a caller's time range are left out.
 *
 * Limits (bigger inputs are refused with V6M_ERR_INVALID_ARG):
 * SVG_MAX_SERIES series, SVG_MAX_POINTS points per series, SVG_MAX_CATEGORIES
 * categories or groups, SVG_MAX_ITEMS ranking rows, SVG_MAX_SAMPLES samples
 * per distribution.
 *
 * Errors: V6M_OK; V6M_ERR_INVALID_ARG (NULL where an array is needed, a
 * count over a limit, times not ascending, negative values in a stacked
 * bar); V6M_ERR_NOMEM (the strbuf refused an append: its cap or memory; or
 * a sort buffer). On any error the strbuf is cut back to its length at
 * the call, so no half chart is left in it (its `failed` flag stays set
 * after a buffer failure).
 *
 * Ownership: every pointer in the structs is borrowed for the call only;
 * nothing is kept. Strings must be NUL-terminated (UTF-8 expected; bad
 * bytes are replaced). NULL text fields mean "nothing" (titles) or the
 * English word (svg_words). Thread-safe: no state between calls.
 */
#ifndef V6M_REPORT_SVG_H
#define V6M_REPORT_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/error.h>

#include "util/strbuf.h"

#define SVG_MAX_SERIES 16
#define SVG_MAX_POINTS 5000000u
#define SVG_MAX_CATEGORIES 200
#define SVG_MAX_ITEMS 1000
#define SVG_MAX_SAMPLES 2000000u

/* How values print (ticks, labels, tooltips). */
enum svg_unit {
    SVG_UNIT_SHARE = 0, /* fraction: 0.432 -> "43.2%" */
    SVG_UNIT_MS,        /* milliseconds: "45 ms", "1.2 s" on a seconds axis */
    SVG_UNIT_BYTES,     /* SI: "1.5 GB" */
    SVG_UNIT_COUNT,     /* "12", "3.4k", "2.1M" */
    SVG_UNIT_BITRATE,   /* bit/s, SI: "3.2 Mbit/s" */
    SVG_UNIT_PLAIN,     /* a number as it is: "0.25", "12" */
};

/* Series colours (classes v6m-s1..v6m-s8). AUTO = by position (i+1).
 * IPv6 and IPv4 have fixed styles so every chart shows them alike. */
enum svg_style {
    SVG_STYLE_AUTO = 0,
    SVG_STYLE_IPV6 = 1, /* dark blue, solid */
    SVG_STYLE_IPV4 = 2, /* light orange, dashed */
    SVG_STYLE_3,
    SVG_STYLE_4,
    SVG_STYLE_5,
    SVG_STYLE_6,
    SVG_STYLE_7,
    SVG_STYLE_8,
};

/* UI words drawn inside the charts (labels.h has them in zh-CN and en).
 * A NULL pointer, or a NULL field, means the English word in brackets. */
struct svg_words {
    const char *no_data;  /* "no data" */
    const char *target;   /* "target" */
    const char *median;   /* "median" */
    const char *samples;  /* "samples" (n=) */
    const char *time_utc; /* "UTC" (the time axis' caption) */
};

/* ---- gauge: one share against its target ----------------------------- */

struct svg_gauge {
    const char *title;   /* accessible name and tooltip; may be NULL */
    const char *caption; /* drawn under the value (e.g. the indicator); may be NULL */
    enum svg_unit unit;  /* SHARE for indicators (value 0..1) */
    double max;          /* the arc's full scale; 0 = 1 (100%) */
    bool has_value;      /* false: "no data" (dashed track, no needle) */
    double value;        /* drawn clamped to [0, max]; printed as it is */
    bool has_target;
    double target; /* marked across the arc */
    const struct svg_words *words;
};
/* A half circle, 0 at the left, max at the right; the needle points at
 * the value (angle 180deg - 180deg * value / max, measured from the +x
 * axis, counter-clockwise); the filled arc is v6m-good when value >=
 * target, v6m-bad below, v6m-s1 without a target. viewBox 0 0 220 205,
 * centre (110, 140), radius 85; the needle is <line class="v6m-needle">; a
 * caption too long for one line wraps to two (the second cut with "…"). */
v6m_err svg_gauge(struct strbuf *out, const struct svg_gauge *g);

/* ---- line chart over time ------------------------------------------ */

struct svg_series {
    const char *name; /* legend; may be NULL (no legend entry) */
    const int64_t *t; /* unix seconds, non-decreasing */
    const double *v;  /* values; NaN = no data for that bucket (a gap) */
    size_t n;
    enum svg_style style;
};

struct svg_line_chart {
    const char *title; /* drawn at the top and the accessible name; may be NULL */
    bool hide_title;   /* keep title as <title> only */
    enum svg_unit unit;
    const struct svg_series *series;
    size_t n_series;
    int64_t step_s; /* bucket width; two neighbouring points further
                       apart than 1.5 steps are a gap; 0: only NaN breaks */
    bool has_target;
    double target;    /* dashed horizontal line with its label */
    bool has_y_range; /* a fixed y range, e.g. 0..1 for shares; else from
                         the data (and target), starting at 0 unless
                         values are negative */
    double y_min, y_max;
    bool has_t_range; /* a fixed time range (the report's window) */
    int64_t t_min, t_max;
    unsigned width, height; /* viewBox size; 0 = 640 x 300 */
    const struct svg_words *words;
};
/* Plot area: the <rect class="v6m-plot" x= y= width= height=>; a value
 * equal to the top of the y range is drawn at the plot's top edge, the
 * bottom of the range at its bottom edge. Each series is one <path
 * class="v6m-line v6m-sN"> whose "M" commands start its pieces; an
 * isolated point (a piece of one point) is a <circle class="v6m-dot">. */
v6m_err svg_line_chart(struct strbuf *out, const struct svg_line_chart *c);

/* ---- grouped or stacked bars per category ------------------------------- */

struct svg_bar_chart {
    const char *title;
    bool hide_title;
    enum svg_unit unit;
    const char *const *categories; /* x axis, n_categories */
    size_t n_categories;
    const char *const *series_names; /* legend, n_series (e.g. "IPv4", "IPv6") */
    const enum svg_style *styles;    /* n_series, or NULL = AUTO */
    size_t n_series;
    const double *values;   /* values[c * n_series + s]; NaN = no data */
    bool stacked;           /* stack the series (values >= 0) */
    bool normalize;         /* stacked: each category as shares of its total */
    unsigned width, height; /* 0 = 640 x 300 */
    const struct svg_words *words;
};
v6m_err svg_bar_chart(struct strbuf *out, const struct svg_bar_chart *c);

/* ---- horizontal ranking bars ------------------------------------------ */

struct svg_rank_item {
    const char *label; /* site or app name */
    bool has_value;
    double value;
    const char *note; /* added to the tooltip (e.g. a failing check); may be NULL */
};

struct svg_ranking {
    const char *title;
    bool hide_title;
    enum svg_unit unit;
    const struct svg_rank_item *items; /* drawn in the given order */
    size_t n_items;
    bool has_target;
    double target; /* vertical dashed line; bars below it are v6m-bad */
    bool has_max;
    double max;     /* axis end; default 1 for SHARE, else from data and target */
    unsigned width; /* 0 = 640; the height follows the rows */
    const struct svg_words *words;
};
v6m_err svg_ranking(struct strbuf *out, const struct svg_ranking *c);

/* ---- distributions (the parity section) -------------------------------- */

struct svg_samples {
    const double *v; /* NaN entries are ignored */
    size_t n;
};

/* Box plots: per group (e.g. a metric or a target) one box per series
 * (e.g. IPv4, IPv6) side by side. Box = first to third quartile, the bar
 * in it = median (quantiles by linear interpolation, Hyndman-Fan type 7),
 * whiskers = the furthest samples within 1.5 IQR of the box (Tukey),
 * beyond them outliers as dots (one per distinct pixel row). A series
 * without samples is a dashed "no data" outline. */
struct svg_boxplot {
    const char *title;
    bool hide_title;
    enum svg_unit unit;
    const char *const *groups;
    size_t n_groups;
    const char *const *series_names;
    const enum svg_style *styles;      /* n_series, or NULL = AUTO */
    size_t n_series;                   /* 1..4 */
    const struct svg_samples *samples; /* samples[g * n_series + s] */
    unsigned width, height;            /* 0 = 640 x 300 */
    const struct svg_words *words;
};
v6m_err svg_boxplot(struct strbuf *out, const struct svg_boxplot *c);

/* Empirical CDFs, one step line per series on one plot (x = value, y =
 * share of samples <= x, 0..100%). */
struct svg_cdf {
    const char *title;
    bool hide_title;
    enum svg_unit unit; /* of the samples (the x axis) */
    const char *const *series_names;
    const enum svg_style *styles; /* n_series, or NULL = AUTO */
    size_t n_series;
    const struct svg_samples *samples; /* n_series */
    unsigned width, height;            /* 0 = 640 x 300 */
    const struct svg_words *words;
};
v6m_err svg_cdf(struct strbuf *out, const struct svg_cdf *c);

/* ---- sparkline for a table cell ---------------------------------------- */

struct svg_sparkline {
    const char *title; /* tooltip, e.g. "I2 over 12 months"; may be NULL */
    enum svg_unit unit;
    const double *v; /* equally spaced; NaN = gap */
    size_t n;
    bool has_range; /* y range; else min..max of the values */
    double min, max;
    bool has_target;
    double target;          /* a faint dashed line */
    unsigned width, height; /* 0 = 100 x 24 */
};
/* The last value has a dot; no axes, no text. All NaN (or n == 0): a
 * dashed baseline. */
v6m_err svg_sparkline(struct strbuf *out, const struct svg_sparkline *c);

/* ---- helpers shared with the renderers -------------------------------- */

/* CSS for the classes above (print in grey levels, thin lines); the HTML
 * report puts it once in its <style>. A static string. */
const char *svg_stylesheet(void);

/* A value as the charts print it ("43.2%", "45 ms", "1.5 GB"), locale
 * free; NaN appends the no-data word given (NULL: "no data"). */
bool svg_format_value(struct strbuf *out, enum svg_unit unit, double v, const char *no_data);

#endif
