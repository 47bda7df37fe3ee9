/*
 * report/html_report.c - the indicators report as one self-contained HTML
 * page: `v6mon report --format html` and the dashboard of `v6mon serve`.
 *
 * Everything is inline: CSS in one <style>, charts as SVG drawn by
 * report/svg.c, words from report/labels.c (zh or en, the plan's own
 * Chinese terms). No script is included unless the page is the dashboard
 * (refresh_url set): then a few lines poll that JSON URL and reload the
 * page when the answer changes (a new run landed). Nothing is fetched
 * from anywhere else.
 *
 * Sections, in the order a regulator reads them:
 *   1. scorecard: one card per indicator I1..I8 with a gauge against the
 *      target, value, target, gap, a sparkline of the trend, coverage;
 *   2. trends: a line chart per share indicator with its target line;
 *   3. traffic share per segment over time;
 *   4. the 通报 table: per category the site ranking (score bars) and the
 *      sites that do not pass, each failing check with its reason;
 *   5. apps: IPv6 share, support, and the IPv4-only domains to fix;
 *   6. parity: per metric converged / degraded / insufficient, median D,
 *      box plots of the per-target IPv4 and IPv6 values; CDN coverage;
 *   7. I8: the registry and the IPv6+ facts from traffic; 8. coverage notes.
 * Machine-readable hooks for tests and scrapers: every scorecard card has
 * data-indicator="ID" and data-value="raw value" ("" for no data).
 *
 * Layout: a grid of cards that reflows to one column on a phone; tables
 * scroll sideways inside their box; @media print sets A4 margins, keeps
 * cards and table rows from splitting and drops the dashboard script.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <v6mon/indicators.h>
#include <v6mon/kpi.h>
#include <v6mon/report.h>
#include <v6mon/version.h>

#include "report/labels.h"
#include "report/svg.h"
#include "util/strbuf.h"

#define MAX_TREND 4000

struct page {
    struct strbuf sb;
    enum labels_lang lang;
    struct svg_words words;
};

static const char *T(struct page *p, const char *key)
{
    return labels_text(p->lang, key);
}

/* "zh" or "en", for the public functions that take a language tag. */
static const char *lang_tag(const struct page *p)
{
    return p->lang == LABELS_ZH ? "zh" : "en";
}

static void x(struct page *p, const char *s)
{
    strbuf_addxml(&p->sb, s ? s : "", SIZE_MAX);
}

static void add(struct page *p, const char *s)
{
    strbuf_addstr(&p->sb, s);
}

const char *v6m_report_lang_from_env(void)
{
    return labels_lang_from_env() == LABELS_ZH ? "zh" : "en";
}

const char *v6m_report_indicator_label(const char *id, const char *lang)
{
    enum labels_lang l = LABELS_EN;
    if (lang)
        labels_lang_parse(lang, &l);
    if (id && strncmp(id, "parity.", 7) == 0)
        return labels_metric(l, id + 7);
    return labels_indicator(l, id);
}

static bool is_share(const struct v6m_indicator *ind)
{
    return ind->unit && strcmp(ind->unit, "share") == 0;
}

static void fmt_val(struct page *p, const struct v6m_indicator *ind, bool has, double v)
{
    if (!has) {
        x(p, T(p, "ui.no_data"));
        return;
    }
    if (is_share(ind))
        strbuf_addf(&p->sb, "%.1f%%", v * 100);
    else
        strbuf_addf(&p->sb, "%.0f", v);
}

/* ---- page frame ---- */

static const char *page_css =
    ":root{--fg:#1a1a1a;--muted:#5f6368;--line:#d7dbe0;--bg:#fff;--card:#f7f8fa;"
    "--good:#1b7a3a;--bad:#b3261e}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI','Noto Sans CJK SC',"
    "'Noto Sans SC','PingFang SC','Microsoft YaHei',sans-serif;color:var(--fg);background:var(--bg)}"
    "main{max-width:1180px;margin:0 auto;padding:16px}"
    "h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin:1.6em 0 .5em;"
    "border-bottom:2px solid var(--line);padding-bottom:.2em}h3{font-size:1.05em;margin:1.2em 0 .4em}"
    ".meta{color:var(--muted);font-size:.9em}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:12px}"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px;"
    "break-inside:avoid}"
    ".card .id{font-weight:600;color:var(--muted);font-size:.85em}"
    ".card .name{font-weight:600;min-height:2.6em}"
    ".card .num{font-size:1.5em;font-weight:700}"
    ".card .cov{color:var(--muted);font-size:.8em}"
    ".met{color:var(--good);font-weight:600}.notmet{color:var(--bad);font-weight:600}"
    ".nodata{color:var(--muted);font-style:italic}"
    ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:12px}"
    ".charts>div{break-inside:avoid}"
    ".tbl{overflow-x:auto;max-width:100%}"
    "table{border-collapse:collapse;width:100%;font-size:.9em}"
    "th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}"
    "th{background:var(--card)}td.n,th.n{text-align:right;white-space:nowrap}"
    "tr{break-inside:avoid}"
    "code{font-size:.9em}"
    "svg{max-width:100%;height:auto}"
    "@media (max-width:600px){body{font-size:14px}main{padding:8px}.cards{grid-template-columns:1fr 1fr}}"
    "@media print{@page{size:A4;margin:14mm}body{font-size:10.5pt}main{max-width:none;padding:0}"
    ".cards{grid-template-columns:repeat(3,1fr)}.charts{grid-template-columns:1fr 1fr}"
    "h2{break-after:avoid}.noprint{display:none}}";

static void head(struct page *p, const v6m_scorecard *sc, const struct v6m_html_options *o)
{
    const struct v6m_scorecard_info *in = v6m_scorecard_info(sc);
    add(p, "<!DOCTYPE html>\n<html lang=\"");
    add(p, labels_lang_tag(p->lang));
    add(p, "\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
           "<meta name=\"generator\" content=\"v6mon ");
    x(p, v6m_version());
    add(p, "\"><title>");
    x(p, T(p, "ui.report_title"));
    add(p, " ");
    x(p, in->label);
    add(p, "</title><style>");
    add(p, page_css);
    add(p, svg_stylesheet());
    add(p, "</style>");
    if (o && o->refresh_url) {
        /* dashboard: reload when the runs listing changes */
        unsigned s = o->refresh_s ? o->refresh_s : 30;
        add(p, "<script>(function(){var u=\"");
        x(p, o->refresh_url);
        strbuf_addf(&p->sb,
                    "\",last=null;function poll(){fetch(u,{cache:'no-store'}).then(function(r)"
                    "{return r.text()}).then(function(t){if(last!==null&&t!==last)"
                    "location.reload();last=t}).catch(function(){})}poll();"
                    "setInterval(poll,%u000)})();</script>",
                    s);
    }
    add(p, "</head><body><main>");
}

static void header(struct page *p, const v6m_scorecard *sc)
{
    const struct v6m_scorecard_info *in = v6m_scorecard_info(sc);
    add(p, "<header><h1>");
    x(p, T(p, "ui.report_title"));
    add(p, "</h1><div class=\"meta\">");
    x(p, T(p, "ui.window"));
    add(p, ": <b>");
    x(p, labels_window(p->lang, in->window));
    if (in->label && strcmp(in->label, in->window) != 0) {
        add(p, " ");
        x(p, in->label);
    }
    add(p, "</b>");
    const char *filters[3][2] = {{"ui.segment", in->segment},
                                 {"ui.category", in->category},
                                 {"ui.vantage", in->vantage}};
    for (int i = 0; i < 3; i++) {
        if (!filters[i][1])
            continue;
        add(p, " · ");
        x(p, T(p, filters[i][0]));
        add(p, ": ");
        x(p, filters[i][1]);
    }
    add(p, " · ");
    x(p, T(p, "ui.tool_version"));
    add(p, ": v6mon ");
    x(p, in->tool_version ? in->tool_version : v6m_version());
    add(p, " · ");
    x(p, T(p, "ui.data_source"));
    add(p, ": <code>");
    x(p, in->database);
    add(p, "</code></div></header>");
    if (!in->has_data) {
        add(p, "<p class=\"nodata\">");
        x(p, p->lang == LABELS_ZH ? "数据库中还没有任何监测数据。"
                                   : "The database holds no measurement yet.");
        add(p, "</p>");
    }
}

/* ---- 1. scorecard ---- */

static void sparkline(struct page *p, const struct v6m_indicator *ind)
{
    if (ind->n_trend < 2)
        return;
    size_t n = ind->n_trend < MAX_TREND ? ind->n_trend : MAX_TREND;
    double *v = malloc(n * sizeof *v);
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        v[i] = ind->trend[i].has_value ? ind->trend[i].value : NAN;
    struct svg_sparkline s = {
        .title = v6m_report_indicator_label(ind->id, lang_tag(p)),
        .unit = is_share(ind) ? SVG_UNIT_SHARE : SVG_UNIT_COUNT,
        .v = v, .n = n, .has_range = is_share(ind), .min = 0, .max = 1,
        .has_target = ind->has_target, .target = ind->target, .width = 200, .height = 36,
    };
    svg_sparkline(&p->sb, &s);
    free(v);
}

static void card(struct page *p, const struct v6m_indicator *ind)
{
    add(p, "<div class=\"card\" data-indicator=\"");
    x(p, ind->id);
    add(p, "\" data-value=\"");
    if (ind->has_value)
        strbuf_addf(&p->sb, "%.6g", ind->value);
    add(p, "\"><div class=\"id\">");
    x(p, ind->id);
    add(p, "</div><div class=\"name\">");
    x(p, v6m_report_indicator_label(ind->id, lang_tag(p)));
    add(p, "</div>");
    struct svg_gauge g = {
        .title = ind->id, .unit = is_share(ind) ? SVG_UNIT_SHARE : SVG_UNIT_COUNT,
        .max = is_share(ind) ? 1 : (ind->has_target ? ind->target * 2 : 10),
        .has_value = ind->has_value, .value = ind->value,
        .has_target = ind->has_target, .target = ind->target, .words = &p->words,
    };
    svg_gauge(&p->sb, &g);
    add(p, "<div><span class=\"num\">");
    fmt_val(p, ind, ind->has_value, ind->value);
    add(p, "</span>");
    if (ind->has_target) {
        add(p, " / ");
        x(p, T(p, "ui.target"));
        add(p, " ");
        fmt_val(p, ind, true, ind->target);
        if (ind->has_value) {
            add(p, ind->met ? " <span class=\"met\">" : " <span class=\"notmet\">");
            if (ind->met) {
                x(p, T(p, "ui.met"));
            } else {
                x(p, T(p, "ui.gap"));
                add(p, " ");
                if (is_share(ind))
                    strbuf_addf(&p->sb, "%.1f pt", ind->gap * 100);
                else
                    strbuf_addf(&p->sb, "%.0f", ind->gap);
            }
            add(p, "</span>");
        }
    }
    add(p, "</div>");
    sparkline(p, ind);
    add(p, "<div class=\"cov\">");
    x(p, v6m_indicator_coverage_text(ind, lang_tag(p))); /* says "estimate" itself */
    add(p, "</div></div>");
}

static void scorecard(struct page *p, const v6m_scorecard *sc)
{
    add(p, "<section><h2>");
    x(p, T(p, "ui.scorecard"));
    add(p, "</h2><div class=\"cards\">");
    size_t n = v6m_scorecard_count(sc);
    for (size_t i = 0; i < n; i++) {
        const struct v6m_indicator *ind = v6m_scorecard_at(sc, i);
        if (ind->parity)
            continue; /* the parity section has them */
        card(p, ind);
    }
    add(p, "</div></section>");
}

/* ---- 2. trends ---- */

static void trend_chart(struct page *p, const char *title, const struct v6m_ind_point *pts,
                        size_t n, bool has_target, double target,
                        const struct v6m_scorecard_info *in)
{
    if (n == 0)
        return;
    if (n > MAX_TREND)
        n = MAX_TREND;
    int64_t *t = malloc(n * sizeof *t);
    double *v = malloc(n * sizeof *v);
    if (t && v) {
        for (size_t i = 0; i < n; i++) {
            t[i] = pts[i].start_s;
            v[i] = pts[i].has_value ? pts[i].value : NAN;
        }
        struct svg_series s = {.name = "IPv6", .t = t, .v = v, .n = n, .style = SVG_STYLE_IPV6};
        struct svg_line_chart c = {
            .title = title, .unit = SVG_UNIT_SHARE, .series = &s, .n_series = 1,
            .step_s = n > 1 ? pts[1].start_s - pts[0].start_s : 0,
            .has_target = has_target, .target = target, .has_y_range = true,
            .y_min = 0, .y_max = 1, .has_t_range = in->has_range, .t_min = in->from_s,
            .t_max = in->to_s, .width = 520, .height = 240, .words = &p->words,
        };
        add(p, "<div>");
        svg_line_chart(&p->sb, &c);
        add(p, "</div>");
    }
    free(t);
    free(v);
}

static void trends(struct page *p, const v6m_scorecard *sc)
{
    const struct v6m_scorecard_info *in = v6m_scorecard_info(sc);
    add(p, "<section><h2>");
    x(p, T(p, "ui.trend"));
    add(p, "</h2><div class=\"charts\">");
    size_t n = v6m_scorecard_count(sc);
    for (size_t i = 0; i < n; i++) {
        const struct v6m_indicator *ind = v6m_scorecard_at(sc, i);
        if (ind->parity || !is_share(ind) || ind->n_trend == 0)
            continue;
        char title[256];
        snprintf(title, sizeof title, "%s %s", ind->id,
                 v6m_report_indicator_label(ind->id, lang_tag(p)));
        trend_chart(p, title, ind->trend, ind->n_trend, ind->has_target, ind->target, in);
    }
    add(p, "</div></section>");
}

/* ---- 3. traffic per segment ---- */

static void segments(struct page *p, const v6m_scorecard *sc)
{
    const struct v6m_scorecard_info *in = v6m_scorecard_info(sc);
    size_t n = 0;
    const struct v6m_ind_group *g = v6m_scorecard_segments(sc, &n);
    if (n == 0)
        return;
    add(p, "<section><h2>");
    x(p, T(p, "ui.traffic_by_segment"));
    add(p, "</h2>");
    size_t ns = n < SVG_MAX_SERIES ? n : SVG_MAX_SERIES;
    struct svg_series *s = calloc(ns, sizeof *s);
    int64_t **ts = calloc(ns, sizeof *ts);
    double **vs = calloc(ns, sizeof *vs);
    int64_t step = 0;
    bool ok = s && ts && vs;
    for (size_t i = 0; ok && i < ns; i++) {
        size_t m = g[i].n_trend < MAX_TREND ? g[i].n_trend : MAX_TREND;
        ts[i] = malloc((m ? m : 1) * sizeof **ts);
        vs[i] = malloc((m ? m : 1) * sizeof **vs);
        if (!ts[i] || !vs[i]) {
            ok = false;
            break;
        }
        for (size_t k = 0; k < m; k++) {
            ts[i][k] = g[i].trend[k].start_s;
            vs[i][k] = g[i].trend[k].has_value ? g[i].trend[k].value : NAN;
        }
        if (m > 1 && !step)
            step = g[i].trend[1].start_s - g[i].trend[0].start_s;
        s[i] = (struct svg_series){.name = g[i].name, .t = ts[i], .v = vs[i], .n = m,
                                   .style = (enum svg_style)(SVG_STYLE_3 + (i % 6))};
    }
    if (ok) {
        struct svg_line_chart c = {
            .title = T(p, "ui.traffic_share"), .unit = SVG_UNIT_SHARE, .series = s,
            .n_series = ns, .step_s = step, .has_y_range = true, .y_min = 0, .y_max = 1,
            .has_t_range = in->has_range, .t_min = in->from_s, .t_max = in->to_s,
            .width = 900, .height = 300, .words = &p->words,
        };
        svg_line_chart(&p->sb, &c);
    }
    for (size_t i = 0; ts && vs && i < ns; i++) {
        free(ts[i]);
        free(vs[i]);
    }
    free(ts);
    free(vs);
    free(s);
    /* the table beside the chart */
    add(p, "<div class=\"tbl\"><table><tr><th>");
    x(p, T(p, "ui.segment"));
    add(p, "</th><th class=\"n\">");
    x(p, T(p, "ui.traffic_share"));
    add(p, "</th><th class=\"n\">");
    x(p, T(p, "ui.sample_size"));
    add(p, "</th></tr>");
    for (size_t i = 0; i < n; i++) {
        add(p, "<tr data-segment=\"");
        x(p, g[i].name);
        add(p, "\"><td>");
        const char *nice = labels_lookup(p->lang, "seg", g[i].name);
        x(p, nice ? nice : g[i].name);
        if (nice) {
            add(p, " <code>");
            x(p, g[i].name);
            add(p, "</code>");
        }
        add(p, "</td><td class=\"n\">");
        if (g[i].has_value)
            strbuf_addf(&p->sb, "%.2f%%", g[i].value * 100);
        else
            x(p, T(p, "ui.no_data"));
        strbuf_addf(&p->sb, "</td><td class=\"n\">%llu</td></tr>",
                    (unsigned long long)g[i].samples);
    }
    add(p, "</table></div></section>");
}

/* ---- 4. sites: the 通报 table ---- */

static void reason(struct page *p, const struct v6m_ind_check *c)
{
    const char *t = labels_reason(p->lang, c->code);
    add(p, "<b>");
    x(p, c->check);
    add(p, "</b> ");
    x(p, labels_check(p->lang, c->check));
    add(p, ": ");
    if (t && p->lang == LABELS_ZH) {
        /* the localized sentence, then the prober's own evidence */
        struct labels_var v[] = {{"detail", c->message}};
        struct strbuf tmp;
        strbuf_init(&tmp, 1 << 16);
        labels_render(&tmp, t, v, 1);
        x(p, tmp.buf);
        strbuf_release(&tmp);
    } else {
        x(p, c->message && *c->message ? c->message : c->code);
    }
    add(p, " <code>");
    x(p, c->code);
    add(p, "</code>");
}

static void sites(struct page *p, const v6m_scorecard *sc)
{
    size_t n = 0;
    const struct v6m_ind_site *s = v6m_scorecard_sites(sc, &n);
    if (n == 0)
        return;
    add(p, "<section><h2>");
    x(p, T(p, "ui.report"));
    add(p, " — ");
    x(p, T(p, "ui.site"));
    add(p, "</h2>");
    for (size_t i = 0; i < n;) {
        const char *cat = s[i].category ? s[i].category : "";
        size_t j = i;
        while (j < n && strcmp(s[j].category ? s[j].category : "", cat) == 0)
            j++;
        const char *nice = labels_lookup(p->lang, "cat", cat);
        add(p, "<h3>");
        x(p, nice ? nice : (*cat ? cat : "-"));
        size_t sup = 0;
        for (size_t k = i; k < j; k++)
            sup += s[k].supported;
        strbuf_addf(&p->sb, " — %zu/%zu %s</h3>", sup, j - i, T(p, "ui.supported"));
        /* ranking: scores, laggards first as the scorecard orders them */
        size_t m = j - i < SVG_MAX_ITEMS ? j - i : SVG_MAX_ITEMS;
        struct svg_rank_item *items = calloc(m ? m : 1, sizeof *items);
        if (items) {
            for (size_t k = 0; k < m; k++) {
                items[k].label = s[i + k].name && *s[i + k].name ? s[i + k].name : s[i + k].host;
                items[k].has_value = s[i + k].has_score;
                items[k].value = s[i + k].score;
                items[k].note = s[i + k].n_checks ? s[i + k].checks[0].code : NULL;
            }
            struct svg_ranking r = {
                .title = T(p, "ui.score"), .unit = SVG_UNIT_PLAIN, .items = items,
                .n_items = m, .has_max = true, .max = 100, .width = 700, .words = &p->words,
            };
            svg_ranking(&p->sb, &r);
            free(items);
        }
        add(p, "<div class=\"tbl\"><table><tr><th>");
        x(p, T(p, "ui.site"));
        add(p, "</th><th>");
        x(p, T(p, "ui.unit"));
        add(p, "</th><th>");
        x(p, T(p, "ui.supported"));
        add(p, "</th><th class=\"n\">");
        x(p, T(p, "ui.score"));
        add(p, "</th><th class=\"n\">I5</th><th>");
        x(p, T(p, "ui.reason"));
        add(p, "</th></tr>");
        for (size_t k = i; k < j; k++) {
            const struct v6m_ind_site *t = &s[k];
            add(p, "<tr data-site=\"");
            x(p, t->url);
            add(p, "\"><td>");
            x(p, t->name && *t->name ? t->name : t->host);
            add(p, "<br><code>");
            x(p, t->url);
            add(p, "</code></td><td>");
            x(p, t->unit);
            add(p, "</td><td>");
            add(p, t->supported ? "<span class=\"met\">" : "<span class=\"notmet\">");
            x(p, T(p, t->supported ? "tri.yes" : "tri.no"));
            add(p, "</span></td><td class=\"n\">");
            if (t->has_score)
                strbuf_addf(&p->sb, "%.0f", t->score);
            add(p, "</td><td class=\"n\">");
            if (t->crawled && t->pages)
                strbuf_addf(&p->sb, "%.0f%%", 100.0 * (double)t->pages_v6 / (double)t->pages);
            add(p, "</td><td>");
            for (size_t c = 0; c < t->n_checks; c++) {
                if (c)
                    add(p, "<br>");
                reason(p, &t->checks[c]);
            }
            add(p, "</td></tr>");
        }
        add(p, "</table></div>");
        i = j;
    }
    add(p, "</section>");
}

/* ---- 5. apps ---- */

static void apps(struct page *p, const v6m_scorecard *sc)
{
    size_t n = 0;
    const struct v6m_ind_app *a = v6m_scorecard_apps(sc, &n);
    if (n == 0)
        return;
    add(p, "<section><h2>");
    x(p, T(p, "ui.app"));
    add(p, "</h2><div class=\"tbl\"><table><tr><th>");
    x(p, T(p, "ui.app"));
    add(p, "</th><th>");
    x(p, T(p, "ui.category"));
    add(p, "</th><th class=\"n\">I7</th><th>I6</th><th>");
    x(p, T(p, "ui.ipv4_only_domains"));
    add(p, "</th></tr>");
    for (size_t i = 0; i < n; i++) {
        const struct v6m_ind_app *t = &a[i];
        add(p, "<tr data-app=\"");
        x(p, t->name);
        add(p, "\"><td>");
        x(p, t->name);
        add(p, "</td><td>");
        const char *nice = labels_lookup(p->lang, "cat", t->category ? t->category : "");
        x(p, nice ? nice : t->category);
        add(p, "</td><td class=\"n\">");
        if (t->has_share)
            strbuf_addf(&p->sb, "%.1f%%", t->share * 100);
        else
            x(p, T(p, "ui.no_data"));
        add(p, "</td><td>");
        const char *tri = v6m_ind_tri_name(t->supported);
        char key[32];
        snprintf(key, sizeof key, "tri.%s", tri);
        add(p, t->supported == V6M_IND_YES  ? "<span class=\"met\">"
               : t->supported == V6M_IND_NO ? "<span class=\"notmet\">"
                                            : "<span class=\"nodata\">");
        x(p, T(p, key));
        add(p, "</span></td><td>");
        size_t shown = t->n_ipv4_only < 8 ? t->n_ipv4_only : 8;
        for (size_t d = 0; d < shown; d++) {
            if (d)
                add(p, ", ");
            add(p, "<code>");
            x(p, t->ipv4_only[d].name);
            add(p, "</code>");
            if (t->ipv4_only[d].bytes)
                strbuf_addf(&p->sb, " (%.1f MB)", (double)t->ipv4_only[d].bytes / 1e6);
        }
        if (t->n_ipv4_only > shown)
            strbuf_addf(&p->sb, " … +%zu", t->n_ipv4_only - shown);
        for (size_t d = 0; d < t->n_probe_failing && d < 8; d++) {
            add(p, d || shown ? "<br>" : "");
            add(p, "<code>");
            x(p, t->probe_failing[d].name);
            add(p, "</code>: ");
            x(p, t->probe_failing[d].detail && *t->probe_failing[d].detail
                     ? t->probe_failing[d].detail
                     : t->probe_failing[d].code);
        }
        add(p, "</td></tr>");
    }
    add(p, "</table></div></section>");
}

/* ---- 6. parity ---- */

static void parity_value(struct page *p, const char *unit, bool has, double v)
{
    if (!has) {
        add(p, "–");
        return;
    }
    if (unit && !strcmp(unit, "fraction"))
        strbuf_addf(&p->sb, "%.1f%%", v * 100);
    else if (unit && !strcmp(unit, "ms"))
        strbuf_addf(&p->sb, "%.1f ms", v);
    else if (unit && !strcmp(unit, "bit/s"))
        strbuf_addf(&p->sb, "%.0f kbit/s", v / 1000);
    else
        strbuf_addf(&p->sb, "%.2f", v);
}

static void parity(struct page *p, const v6m_scorecard *sc)
{
    size_t n = v6m_scorecard_count(sc);
    size_t np = 0;
    for (size_t i = 0; i < n; i++)
        np += v6m_scorecard_at(sc, i)->parity != NULL;
    if (np == 0)
        return;
    add(p, "<section><h2>");
    x(p, T(p, "ui.parity"));
    add(p, "</h2><div class=\"tbl\"><table><tr><th>");
    x(p, T(p, "ui.indicator"));
    add(p, "</th><th class=\"n\">");
    x(p, T(p, "verdict.converged"));
    add(p, "</th><th class=\"n\">");
    x(p, T(p, "verdict.degraded"));
    add(p, "</th><th class=\"n\">");
    x(p, T(p, "verdict.insufficient"));
    add(p, "</th><th class=\"n\">D (");
    x(p, T(p, "ui.median"));
    add(p, ")</th><th></th></tr>");
    /* box plots of the per-target values, a few metrics per chart */
    const char *groups[V6M_KPI_METRICS];
    struct svg_samples samples[2 * V6M_KPI_METRICS];
    double *bufs[2 * V6M_KPI_METRICS];
    size_t ng = 0;
    memset(bufs, 0, sizeof bufs);
    for (size_t i = 0; i < n; i++) {
        const struct v6m_indicator *ind = v6m_scorecard_at(sc, i);
        const struct v6m_ind_parity *pa = ind->parity;
        if (!pa)
            continue;
        add(p, "<tr data-indicator=\"");
        x(p, ind->id);
        add(p, "\" data-value=\"");
        if (ind->has_value)
            strbuf_addf(&p->sb, "%.6g", ind->value);
        add(p, "\"><td>");
        x(p, labels_metric(p->lang, pa->metric));
        strbuf_addf(&p->sb, "</td><td class=\"n\">%u</td><td class=\"n\">%u</td><td class=\"n\">%u"
                            "</td><td class=\"n\">",
                    pa->converged, pa->degraded, pa->insufficient);
        if (pa->has_d_median)
            strbuf_addf(&p->sb, "%+.0f%%", pa->d_median * 100);
        else
            add(p, "–");
        add(p, "</td><td>");
        bool deg = pa->verdict && !strcmp(pa->verdict, "degraded");
        bool conv = pa->verdict && !strcmp(pa->verdict, "converged");
        add(p, deg ? "<span class=\"notmet\">" : conv ? "<span class=\"met\">"
                                                      : "<span class=\"nodata\">");
        x(p, labels_verdict(p->lang, pa->verdict ? pa->verdict : "insufficient"));
        add(p, "</span></td></tr>");
        /* the time metrics go into the distribution chart */
        if (pa->n_rows && pa->metric_unit && !strcmp(pa->metric_unit, "ms") &&
            ng < V6M_KPI_METRICS && strstr(pa->metric, "p95") == NULL) {
            double *b4 = malloc(pa->n_rows * sizeof *b4), *b6 = malloc(pa->n_rows * sizeof *b6);
            if (b4 && b6) {
                for (size_t r = 0; r < pa->n_rows; r++) {
                    b4[r] = pa->rows[r].has_v4 ? pa->rows[r].v4 : NAN;
                    b6[r] = pa->rows[r].has_v6 ? pa->rows[r].v6 : NAN;
                }
                groups[ng] = labels_metric(p->lang, pa->metric);
                samples[2 * ng] = (struct svg_samples){b4, pa->n_rows};
                samples[2 * ng + 1] = (struct svg_samples){b6, pa->n_rows};
                bufs[2 * ng] = b4;
                bufs[2 * ng + 1] = b6;
                ng++;
            } else {
                free(b4);
                free(b6);
            }
        }
    }
    add(p, "</table></div>");
    if (ng) {
        static const char *const names[2] = {"IPv4", "IPv6"};
        static const enum svg_style styles[2] = {SVG_STYLE_IPV4, SVG_STYLE_IPV6};
        struct svg_boxplot b = {
            .title = T(p, "ui.distribution"), .unit = SVG_UNIT_MS, .groups = groups,
            .n_groups = ng, .series_names = names, .styles = styles, .n_series = 2,
            .samples = samples, .width = 900, .height = 320, .words = &p->words,
        };
        svg_boxplot(&p->sb, &b);
    }
    for (size_t i = 0; i < 2 * ng; i++)
        free(bufs[i]);

    /* per target, the metrics that are degraded, with both values */
    add(p, "<h3>");
    x(p, T(p, "verdict.degraded"));
    add(p, "</h3><div class=\"tbl\"><table><tr><th>");
    x(p, T(p, "ui.site"));
    add(p, "</th><th>");
    x(p, T(p, "ui.vantage"));
    add(p, "</th><th>");
    x(p, T(p, "ui.indicator"));
    add(p, "</th><th class=\"n\">IPv4</th><th class=\"n\">IPv6</th><th class=\"n\">D</th>"
           "</tr>");
    size_t shown = 0;
    for (size_t i = 0; i < n && shown < 500; i++) {
        const struct v6m_ind_parity *pa = v6m_scorecard_at(sc, i)->parity;
        if (!pa)
            continue;
        for (size_t r = 0; r < pa->n_rows && shown < 500; r++) {
            const struct v6m_ind_parity_row *row = &pa->rows[r];
            if (!row->verdict || strcmp(row->verdict, "degraded"))
                continue;
            shown++;
            add(p, "<tr><td>");
            x(p, row->name && *row->name ? row->name : row->host);
            add(p, "</td><td>");
            x(p, row->vantage);
            add(p, "</td><td>");
            x(p, labels_metric(p->lang, pa->metric));
            add(p, "</td><td class=\"n\">");
            parity_value(p, pa->metric_unit, row->has_v4, row->v4);
            add(p, "</td><td class=\"n\">");
            parity_value(p, pa->metric_unit, row->has_v6, row->v6);
            add(p, "</td><td class=\"n\">");
            if (row->has_d)
                strbuf_addf(&p->sb, "%+.0f%%", row->d * 100);
            else
                add(p, "–");
            add(p, "</td></tr>");
        }
    }
    add(p, "</table></div>");

    size_t nc = 0;
    const struct v6m_ind_cdn *cdn = v6m_scorecard_cdn(sc, &nc);
    if (nc) {
        add(p, "<h3>");
        x(p, labels_metric(p->lang, "cdn_coverage"));
        add(p, "</h3><div class=\"tbl\"><table><tr><th>");
        x(p, T(p, "ui.site"));
        add(p, "</th><th class=\"n\">");
        x(p, T(p, "ui.vantage"));
        add(p, "</th><th class=\"n\">AAAA</th><th class=\"n\">A</th><th class=\"n\">%</th></tr>");
        for (size_t i = 0; i < nc; i++) {
            add(p, "<tr><td>");
            x(p, cdn[i].name && *cdn[i].name ? cdn[i].name : cdn[i].host);
            strbuf_addf(&p->sb, "</td><td class=\"n\">%u</td><td class=\"n\">%u</td>"
                                "<td class=\"n\">%u</td><td class=\"n\">",
                        cdn[i].vantages, cdn[i].with_aaaa, cdn[i].with_a);
            if (cdn[i].has_value)
                strbuf_addf(&p->sb, "%.0f%%", cdn[i].value * 100);
            else
                add(p, "–");
            add(p, "</td></tr>");
        }
        add(p, "</table></div>");
    }
    add(p, "</section>");
}

/* ---- 7. I8 ---- */

static void ipv6plus(struct page *p, const v6m_scorecard *sc)
{
    size_t np = 0, nf = 0;
    const struct v6m_ind_project *pr = v6m_scorecard_projects(sc, &np);
    const struct v6m_ind_fact *f = v6m_scorecard_ipv6plus(sc, &nf);
    add(p, "<section><h2>I8 ");
    x(p, T(p, "ui.projects"));
    add(p, "</h2>");
    if (np) {
        add(p, "<div class=\"tbl\"><table><tr><th>");
        x(p, T(p, "ui.project"));
        add(p, "</th><th>");
        x(p, T(p, "ui.field"));
        add(p, "</th><th>");
        x(p, T(p, "ui.status"));
        add(p, "</th><th>");
        x(p, T(p, "ui.evidence"));
        add(p, "</th></tr>");
        for (size_t i = 0; i < np; i++) {
            add(p, pr[i].counted ? "<tr>" : "<tr class=\"nodata\">");
            add(p, "<td>");
            x(p, pr[i].name);
            add(p, "</td><td>");
            x(p, pr[i].field);
            add(p, "</td><td>");
            x(p, pr[i].status);
            add(p, "</td><td>");
            x(p, pr[i].evidence);
            add(p, "</td></tr>");
        }
        add(p, "</table></div>");
    } else {
        add(p, "<p class=\"nodata\">");
        x(p, p->lang == LABELS_ZH ? "未提供“IPv6+”项目登记表（--registry）。"
                                   : "No \"IPv6+\" project registry given (--registry).");
        add(p, "</p>");
    }
    if (nf) {
        add(p, "<h3>");
        x(p, T(p, "ui.ipv6plus_facts"));
        add(p, "</h3><div class=\"tbl\"><table>");
        for (size_t i = 0; i < nf; i++) {
            add(p, "<tr><td>");
            const char *nice = labels_lookup(p->lang, "fact", f[i].metric);
            x(p, nice ? nice : f[i].metric);
            strbuf_addf(&p->sb, "</td><td class=\"n\">%llu</td></tr>",
                        (unsigned long long)f[i].value);
        }
        add(p, "</table></div>");
    }
    add(p, "</section>");
}

/* ---- 8. coverage ---- */

static void coverage(struct page *p, const v6m_scorecard *sc)
{
    add(p, "<section><h2>");
    x(p, T(p, "ui.coverage"));
    add(p, "</h2><div class=\"tbl\"><table><tr><th>");
    x(p, T(p, "ui.indicator"));
    add(p, "</th><th>");
    x(p, T(p, "ui.data_source"));
    add(p, "</th><th class=\"n\">");
    x(p, T(p, "ui.sample_size"));
    add(p, "</th><th>");
    x(p, T(p, "ui.notes"));
    add(p, "</th></tr>");
    size_t n = v6m_scorecard_count(sc);
    for (size_t i = 0; i < n; i++) {
        const struct v6m_indicator *ind = v6m_scorecard_at(sc, i);
        if (ind->parity)
            continue;
        add(p, "<tr><td>");
        x(p, ind->id);
        add(p, "</td><td>");
        x(p, v6m_indicator_coverage_text(ind, lang_tag(p)));
        add(p, "</td><td class=\"n\">");
        if (ind->coverage.samples) {
            strbuf_addf(&p->sb, "%llu", (unsigned long long)ind->coverage.samples);
            /* the unit is part of the sentence beside it in Chinese */
            if (p->lang != LABELS_ZH) {
                add(p, " ");
                x(p, ind->coverage.sample_unit);
            }
        }
        add(p, "</td><td>");
        for (size_t k = 0; k < ind->coverage.n_notes; k++) {
            if (k)
                add(p, "<br>");
            x(p, v6m_indicator_note(ind, k, lang_tag(p)));
        }
        add(p, "</td></tr>");
    }
    add(p, "</table></div></section>");
}

v6m_err v6m_report_html(FILE *out, const v6m_scorecard *sc, const struct v6m_html_options *o)
{
    struct page p;
    memset(&p, 0, sizeof p);
    strbuf_init(&p.sb, (size_t)256 << 20);
    p.lang = LABELS_EN;
    if (o && o->lang)
        labels_lang_parse(o->lang, &p.lang);
    else
        p.lang = labels_lang_from_env();
    p.words = (struct svg_words){
        .no_data = T(&p, "ui.no_data"), .target = T(&p, "ui.target"),
        .median = T(&p, "ui.median"), .samples = T(&p, "ui.samples"), .time_utc = T(&p, "ui.utc"),
    };
    head(&p, sc, o);
    header(&p, sc);
    scorecard(&p, sc);
    trends(&p, sc);
    segments(&p, sc);
    sites(&p, sc);
    apps(&p, sc);
    parity(&p, sc);
    ipv6plus(&p, sc);
    coverage(&p, sc);
    add(&p, "<footer class=\"meta\"><p>v6mon ");
    x(&p, v6m_version());
    add(&p, "</p></footer></main></body></html>\n");
    v6m_err rc = V6M_OK;
    if (strbuf_failed(&p.sb))
        rc = V6M_ERR_NOMEM;
    else if (fwrite(p.sb.buf, 1, p.sb.len, out) != p.sb.len)
        rc = V6M_ERR_IO;
    strbuf_release(&p.sb);
    return rc;
}
