/*
 * cli/cmd_report.c - `v6mon report DB`: the scorecard of the plan's
 * indicators (I1..I8) and the IPv4/IPv6 parity metrics over a window,
 * against the 2024 targets (docs/commands/report.md, docs/indicators.md).
 *
 * Wiring only: options -> a v6m_ind_query, the database -> a scorecard
 * (include/v6mon/indicators.h), the scorecard -> one of the renderers:
 * the terminal table (here: it is only for a terminal), JSON
 * (v6m_scorecard_write_json), CSV and Markdown (here: one row an
 * indicator), HTML (v6m_report_html: the self-contained report).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <v6mon/indicators.h>
#include <v6mon/report.h>

#include "cli.h"

enum rfmt { R_TEXT, R_JSON, R_CSV, R_MD, R_HTML };

struct report_opts {
    const char *db;
    const char *window;
    const char *segment, *category, *vantage;
    const char *targets, *registry;
    const char *output;
    const char *lang;
    long long now;
    enum rfmt fmt;
};

static int parse_args(int argc, char **argv, struct report_opts *o)
{
    enum { OPT_WINDOW = 256, OPT_SEGMENT, OPT_CATEGORY, OPT_VANTAGE, OPT_TARGETS, OPT_REGISTRY,
           OPT_FORMAT, OPT_LANG, OPT_NOW, OPT_DB };
    static const struct option longopts[] = {
        {"window", required_argument, NULL, OPT_WINDOW},
        {"segment", required_argument, NULL, OPT_SEGMENT},
        {"category", required_argument, NULL, OPT_CATEGORY},
        {"vantage", required_argument, NULL, OPT_VANTAGE},
        {"targets", required_argument, NULL, OPT_TARGETS},
        {"registry", required_argument, NULL, OPT_REGISTRY},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"lang", required_argument, NULL, OPT_LANG},
        {"now", required_argument, NULL, OPT_NOW},
        {"db", required_argument, NULL, OPT_DB},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "o:f:w:", longopts, NULL)) != -1) {
        const char *a = optarg;
        switch (ch) {
        case 'w':
        case OPT_WINDOW: o->window = a; break;
        case OPT_SEGMENT: o->segment = a; break;
        case OPT_CATEGORY: o->category = a; break;
        case OPT_VANTAGE: o->vantage = a; break;
        case OPT_TARGETS: o->targets = a; break;
        case OPT_REGISTRY: o->registry = a; break;
        case 'f':
        case OPT_FORMAT:
            if (!strcmp(a, "text") || !strcmp(a, "table"))
                o->fmt = R_TEXT;
            else if (!strcmp(a, "json"))
                o->fmt = R_JSON;
            else if (!strcmp(a, "csv"))
                o->fmt = R_CSV;
            else if (!strcmp(a, "md") || !strcmp(a, "markdown"))
                o->fmt = R_MD;
            else if (!strcmp(a, "html"))
                o->fmt = R_HTML;
            else
                return cli_usage("report", "--format: '%s' is not text, json, csv, md or html", a);
            break;
        case OPT_LANG:
            if (strcmp(a, "zh") && strcmp(a, "en"))
                return cli_usage("report", "--lang: '%s' is not zh or en", a);
            o->lang = a;
            break;
        case OPT_NOW: {
            char *end;
            errno = 0;
            long long v = strtoll(a, &end, 10);
            if (end == a || *end || errno || v <= 0)
                return cli_usage("report", "--now: '%s' is not a unix time in seconds", a);
            o->now = v;
            break;
        }
        case OPT_DB: o->db = a; break;
        case 'o': o->output = a; break;
        default:
            if (optopt > 0 && optopt < 256)
                return cli_usage("report", "unknown option or missing value: -%c", optopt);
            return cli_usage("report", "unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    return -1;
}

/* ---- value formatting ---- */

static void fmt_value(const struct v6m_indicator *ind, bool has, double v, char *buf, size_t n,
                      bool zh)
{
    if (!has)
        snprintf(buf, n, "%s", zh ? "无数据" : "no data");
    else if (ind->parity)
        snprintf(buf, n, "%.0f%% conv.", v * 100);
    else if (!strcmp(ind->unit, "share"))
        snprintf(buf, n, "%.1f%%", v * 100);
    else
        snprintf(buf, n, "%.0f", v);
}

/* Direction over the window: the ratio of sums of the last third of the
 * trend points against that of the first third (a day-to-day comparison
 * would show noise, not a trend). "↑", "↓", "→" (within 0.5 percentage
 * points, or 2% of the value for counts), or " " with too few points. */
static const char *trend_arrow(const struct v6m_indicator *ind)
{
    size_t n = 0;
    for (size_t i = 0; i < ind->n_trend; i++)
        n += ind->trend[i].has_value;
    if (n < 2)
        return " ";
    size_t third = n / 3 ? n / 3 : 1;
    double num[2] = {0, 0}, den[2] = {0, 0}, sum[2] = {0, 0};
    size_t seen = 0, cnt[2] = {0, 0};
    for (size_t i = 0; i < ind->n_trend; i++) {
        const struct v6m_ind_point *p = &ind->trend[i];
        if (!p->has_value)
            continue;
        int part = seen < third ? 0 : seen >= n - third ? 1 : -1;
        seen++;
        if (part < 0)
            continue;
        num[part] += p->numerator;
        den[part] += p->denominator;
        sum[part] += p->value;
        cnt[part]++;
    }
    bool share = !strcmp(ind->unit, "share");
    double a = share && den[0] > 0 ? num[0] / den[0] : sum[0] / (double)cnt[0];
    double b = share && den[1] > 0 ? num[1] / den[1] : sum[1] / (double)cnt[1];
    double eps = share ? 0.005 : fabs(a) * 0.02;
    return b - a > eps ? "↑" : a - b > eps ? "↓" : "→";
}

/* The display width of UTF-8 text (CJK counted as 2 columns). */
static int text_width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xc0) == 0x80)
            continue;
        w += *p >= 0xe0 ? 2 : 1;
    }
    return w;
}

static void pad(FILE *out, const char *s, int width)
{
    fputs(s, out);
    for (int w = text_width(s); w < width; w++)
        fputc(' ', out);
}

static const char *label_of(const struct v6m_indicator *ind, const char *lang)
{
    return v6m_report_indicator_label(ind->id, lang);
}

static void print_text(FILE *out, const v6m_scorecard *sc, const char *lang)
{
    const struct v6m_scorecard_info *in = v6m_scorecard_info(sc);
    bool zh = !strcmp(lang, "zh");
    fprintf(out, "%s %s (%s)%s%s%s%s\n", zh ? "IPv6 规模部署监测 —" : "IPv6 deployment scorecard —",
            in->label, in->window, in->segment ? "  segment " : "", in->segment ? in->segment : "",
            in->category ? "  category " : "", in->category ? in->category : "");
    if (!in->has_data) {
        fprintf(out, "%s\n", zh ? "数据库中没有任何数据。" : "The database holds no data yet.");
    }
    size_t n = v6m_scorecard_count(sc);
    int wid = 2, wlab = 9;
    for (size_t i = 0; i < n; i++) {
        const struct v6m_indicator *ind = v6m_scorecard_at(sc, i);
        int a = text_width(ind->id), b = text_width(label_of(ind, lang));
        wid = a > wid ? a : wid;
        wlab = b > wlab ? b : wlab;
    }
    wid += 2;
    wlab = wlab > 56 ? 58 : wlab + 2;
    fprintf(out, "\n  ");
    pad(out, "", wid);
    pad(out, zh ? "指标" : "indicator", wlab);
    pad(out, zh ? "数值" : "value", 12);
    pad(out, zh ? "目标" : "target", 8);
    pad(out, zh ? "差距" : "gap", 9);
    pad(out, zh ? "趋势" : "trend", 6);
    fprintf(out, "%s\n", zh ? "覆盖" : "coverage");
    for (size_t i = 0; i < n; i++) {
        const struct v6m_indicator *ind = v6m_scorecard_at(sc, i);
        char val[32], tgt[16] = "", gap[16] = "";
        fmt_value(ind, ind->has_value, ind->value, val, sizeof val, zh);
        if (ind->has_target) {
            if (!strcmp(ind->unit, "share"))
                snprintf(tgt, sizeof tgt, "%.0f%%", ind->target * 100);
            else
                snprintf(tgt, sizeof tgt, "%.0f", ind->target);
            if (ind->has_value) {
                if (ind->met)
                    snprintf(gap, sizeof gap, "%s", zh ? "达标" : "met");
                else if (!strcmp(ind->unit, "share"))
                    snprintf(gap, sizeof gap, "-%.1f pt", ind->gap * 100);
                else
                    snprintf(gap, sizeof gap, "-%.0f", ind->gap);
            }
        }
        fputs("  ", out);
        pad(out, ind->id, wid);
        pad(out, label_of(ind, lang), wlab);
        pad(out, val, 12);
        pad(out, tgt, 8);
        pad(out, gap, 9);
        pad(out, trend_arrow(ind), 6);
        fprintf(out, "%s\n", v6m_indicator_coverage_text(ind, lang));
    }
}

static void csv_field(FILE *out, const char *s)
{
    if (!s)
        s = "";
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', out);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', out);
            fputc(*s, out);
        }
        fputc('"', out);
    } else {
        fputs(s, out);
    }
}

static void print_csv(FILE *out, const v6m_scorecard *sc, const char *lang)
{
    fputs("id,key,label,unit,value,numerator,denominator,target,gap,met,samples,coverage\n", out);
    size_t n = v6m_scorecard_count(sc);
    for (size_t i = 0; i < n; i++) {
        const struct v6m_indicator *ind = v6m_scorecard_at(sc, i);
        csv_field(out, ind->id);
        fputc(',', out);
        csv_field(out, ind->key);
        fputc(',', out);
        csv_field(out, label_of(ind, lang));
        fprintf(out, ",%s,", ind->unit);
        if (ind->has_value)
            fprintf(out, "%.6g,%.15g,%.15g", ind->value, ind->numerator, ind->denominator);
        else
            fputs(",,", out);
        fputc(',', out);
        if (ind->has_target)
            fprintf(out, "%.6g", ind->target);
        fputc(',', out);
        if (ind->has_target && ind->has_value)
            fprintf(out, "%.6g,%s", ind->gap, ind->met ? "true" : "false");
        else
            fputc(',', out);
        fprintf(out, ",%llu,", (unsigned long long)ind->coverage.samples);
        csv_field(out, v6m_indicator_coverage_text(ind, lang));
        fputc('\n', out);
    }
}

static void md_text(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

static void print_md(FILE *out, const v6m_scorecard *sc, const char *lang)
{
    const struct v6m_scorecard_info *in = v6m_scorecard_info(sc);
    bool zh = !strcmp(lang, "zh");
    fprintf(out, "# %s %s\n\n", zh ? "IPv6 规模部署监测" : "IPv6 deployment scorecard", in->label);
    fprintf(out, "| %s | %s | %s | %s | %s | %s |\n|---|---|---:|---:|---:|---|\n", "ID",
            zh ? "指标" : "Indicator", zh ? "数值" : "Value", zh ? "目标" : "Target",
            zh ? "差距" : "Gap", zh ? "覆盖" : "Coverage");
    size_t n = v6m_scorecard_count(sc);
    for (size_t i = 0; i < n; i++) {
        const struct v6m_indicator *ind = v6m_scorecard_at(sc, i);
        char val[32], tgt[16] = "", gap[24] = "";
        fmt_value(ind, ind->has_value, ind->value, val, sizeof val, zh);
        if (ind->has_target) {
            bool share = !strcmp(ind->unit, "share");
            snprintf(tgt, sizeof tgt, share ? "%.0f%%" : "%.0f", share ? ind->target * 100
                                                                       : ind->target);
            if (ind->has_value && ind->met)
                snprintf(gap, sizeof gap, "%s", zh ? "达标" : "met");
            else if (ind->has_value && share)
                snprintf(gap, sizeof gap, "%.1f pt", -ind->gap * 100);
            else if (ind->has_value)
                snprintf(gap, sizeof gap, "%.0f", -ind->gap);
        }
        fprintf(out, "| %s | ", ind->id);
        md_text(out, label_of(ind, lang));
        fprintf(out, " | %s | %s | %s | ", val, tgt, gap);
        md_text(out, v6m_indicator_coverage_text(ind, lang));
        fputs(" |\n", out);
    }
}

int cmd_report(int argc, char **argv)
{
    struct report_opts o;
    memset(&o, 0, sizeof o);
    o.fmt = R_TEXT;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    int rest = argc - optind;
    if (!o.db && rest == 1)
        o.db = argv[optind];
    else if (rest != 0 || !o.db)
        return cli_usage("report", "one database: 'v6mon report DB' (or --db DB)");
    const char *lang = o.lang ? o.lang : v6m_report_lang_from_env();

    char err[512];
    v6m_indicators *ind = NULL;
    if (v6m_indicators_open(o.db, &ind, err, sizeof err) != V6M_OK) {
        cli_error("%s", err);
        return EXIT_ERROR;
    }
    int exit_code = EXIT_OK;
    v6m_scorecard *sc = NULL;
    FILE *out = stdout;
    if (o.targets && v6m_indicators_load_targets(ind, o.targets) != V6M_OK) {
        cli_error("%s", v6m_indicators_errmsg(ind));
        exit_code = EXIT_ERROR;
        goto done;
    }
    if (o.registry && v6m_indicators_load_registry(ind, o.registry) != V6M_OK) {
        cli_error("%s", v6m_indicators_errmsg(ind));
        exit_code = EXIT_ERROR;
        goto done;
    }
    struct v6m_ind_query q;
    v6m_ind_query_init(&q);
    if (o.window && v6m_ind_window_parse(&q, o.window, err, sizeof err) != V6M_OK) {
        exit_code = cli_usage("report", "--window: %s", err);
        goto done;
    }
    q.segment = o.segment;
    q.category = o.category;
    q.vantage = o.vantage;
    q.now_s = o.now;
    if (v6m_indicators_compute(ind, &q, &sc) != V6M_OK) {
        cli_error("%s", v6m_indicators_errmsg(ind));
        exit_code = EXIT_ERROR;
        goto done;
    }
    if (o.output && strcmp(o.output, "-") != 0) {
        out = fopen(o.output, "w");
        if (!out) {
            cli_error("cannot open '%s' for writing: %s", o.output, strerror(errno));
            out = stdout;
            exit_code = EXIT_ERROR;
            goto done;
        }
    }
    v6m_err e = V6M_OK;
    switch (o.fmt) {
    case R_TEXT: print_text(out, sc, lang); break;
    case R_JSON: e = v6m_scorecard_write_json(sc, out, true); break;
    case R_CSV: print_csv(out, sc, lang); break;
    case R_MD: print_md(out, sc, lang); break;
    case R_HTML: {
        struct v6m_html_options ho = {.lang = lang};
        e = v6m_report_html(out, sc, &ho);
        break;
    }
    }
    if (e != V6M_OK || fflush(out) != 0 || ferror(out)) {
        cli_error("cannot write the report: %s", strerror(errno));
        exit_code = EXIT_ERROR;
    }
    if (o.output && out != stdout)
        fprintf(stderr, "report: wrote '%s'\n", o.output);
done:
    if (out != stdout && fclose(out) != 0 && exit_code == EXIT_OK) {
        cli_error("cannot write '%s': %s", o.output, strerror(errno));
        exit_code = EXIT_ERROR;
    }
    v6m_scorecard_free(sc);
    v6m_indicators_close(ind);
    return exit_code;
}
