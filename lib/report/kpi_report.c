/*
 * report/kpi_report.c - `v6mon kpi` output: the terminal table (targets x
 * metrics: IPv4 | IPv6 | D | verdict, sample sizes beside every number),
 * one JSON document (docs/kpi-json.md) and CSV (one row per target and
 * metric).
 *
 * Every number is shown with its sample size; a metric with too few
 * samples shows "insufficient data" instead of a value of D. Units follow
 * the metric table of probe/kpi_judge.c (fraction -> %, ms, bit/s).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <v6mon/kpi.h>
#include <v6mon/report.h>
#include <v6mon/version.h>

#include "report/json_writer.h"
#include "report/textfmt.h"
#include "util/strutil.h"

static void fmt_val(enum v6m_kpi_metric m, double v, char *buf, size_t len)
{
    const char *u = v6m_kpi_metric_unit(m);
    if (isnan(v))
        snprintf(buf, len, "-");
    else if (!strcmp(u, "fraction"))
        snprintf(buf, len, "%.1f%%", v * 100);
    else if (!strcmp(u, "ms"))
        snprintf(buf, len, v >= 100 ? "%.0f ms" : "%.1f ms", v);
    else if (!strcmp(u, "bit/s"))
        snprintf(buf, len, "%.0f kb/s", v / 1000);
    else
        snprintf(buf, len, "%.2f", v);
}

static void fmt_d(double d, enum v6m_kpi_verdict v, char *buf, size_t len)
{
    if (v == V6M_KPI_INSUFFICIENT)
        snprintf(buf, len, "n/a");
    else if (isnan(d))
        snprintf(buf, len, "-");
    else if (d > 9.99)
        snprintf(buf, len, ">+999%%"); /* tiny IPv4 values: the ratio says little more */
    else
        snprintf(buf, len, "%+.0f%%", d * 100);
}

static const char *target_line_verdict(const struct v6m_kpi_target_result *r)
{
    switch (r->verdict) {
    case V6M_KPI_T_CONVERGED: return "CONVERGED (IPv6 like IPv4)";
    case V6M_KPI_T_DEGRADED: return "DEGRADED";
    case V6M_KPI_T_INSUFFICIENT: return "INSUFFICIENT DATA";
    case V6M_KPI_T_V6_UNREACHABLE: return "IPv6 UNREACHABLE";
    case V6M_KPI_T_NO_AAAA: return "NO AAAA";
    case V6M_KPI_T_NOT_TESTABLE: return "NOT TESTABLE";
    }
    return "?";
}

v6m_err v6m_report_kpi_text(FILE *out, const v6m_kpi *k)
{
    const struct v6m_kpi_info *in = v6m_kpi_info(k);
    size_t n = v6m_kpi_target_count(k);
    fprintf(out, "IPv4/IPv6 performance parity (与IPv4基本一致) from %s: %zu target%s, %u round%s\n",
            in->vantage ? in->vantage : "?", n, n == 1 ? "" : "s", in->rounds,
            in->rounds == 1 ? "" : "s");
    fprintf(out, "resolver %s", in->resolver && *in->resolver ? in->resolver : "-");
    fprintf(out, "; transport comparison over IPv4 %s, over IPv6 %s; ICMP sockets v4 %s, v6 %s\n",
            in->dns4 && *in->dns4 ? in->dns4 : "(none)", in->dns6 && *in->dns6 ? in->dns6 : "(none)",
            in->icmp_v4, in->icmp_v6);
    if (in->vantage_checked && !in->vantage_v6)
        fprintf(out, "warning: this vantage point has no working IPv6 (%s): IPv6 is not testable "
                     "from here\n", in->vantage_detail);
    for (size_t i = 0; i < n; i++) {
        const struct v6m_kpi_target_result *r = v6m_kpi_target(k, i);
        fprintf(out, "\n%s", r->target);
        if (r->name && *r->name)
            fprintf(out, " (%s)", r->name);
        fprintf(out, "  IPv4 %s  IPv6 %s  port %u  latency by %s\n",
                *r->addr_v4 ? r->addr_v4 : "-", *r->addr_v6 ? r->addr_v6 : "-", r->tcp_port,
                r->latency_method);
        fprintf(out, "  verdict: %s", target_line_verdict(r));
        if (!isnan(r->score))
            fprintf(out, "  score %.0f/100", r->score);
        if (r->he_rounds)
            fprintf(out, "  Happy Eyeballs: %s (IPv6 won %u of %u rounds)",
                    strcmp(r->he_family, "ipv6") == 0 ? "IPv6" : "IPv4", r->he_v6_rounds,
                    r->he_rounds);
        fprintf(out, "\n  %s\n", r->detail);
        fprintf(out, "  %-22s %16s %16s %7s  %s\n", "metric", "IPv4 (n)", "IPv6 (n)", "D",
                "verdict");
        for (int m = 0; m < V6M_KPI_METRICS; m++) {
            const struct v6m_kpi_value *v = &r->m[m];
            if (v->n4 == 0 && v->n6 == 0)
                continue; /* not measured for this target (no video, page off) */
            char a[32], b[32], c4[48], c6[48], d[16];
            fmt_val((enum v6m_kpi_metric)m, v->v4, a, sizeof a);
            fmt_val((enum v6m_kpi_metric)m, v->v6, b, sizeof b);
            snprintf(c4, sizeof c4, "%s (%u)", a, v->n4);
            snprintf(c6, sizeof c6, "%s (%u)", b, v->n6);
            fmt_d(v->d, v->verdict, d, sizeof d);
            fprintf(out, "  %-22s %16s %16s %7s  %s: %s\n", v6m_kpi_metric_name(m), c4, c6, d,
                    v6m_kpi_verdict_name(v->verdict), v->why ? v->why : "");
        }
        if (r->video4.tried || r->video6.tried) {
            fprintf(out, "  video: %s", r->video4.variant && *r->video4.variant
                                            ? r->video4.variant
                                            : r->video6.variant ? r->video6.variant : "");
            if (r->video4.error && *r->video4.error)
                fprintf(out, "; IPv4: %s", r->video4.error);
            if (r->video6.error && *r->video6.error)
                fprintf(out, "; IPv6: %s", r->video6.error);
            fputc('\n', out);
        }
    }
    fprintf(out, "\nAggregate over %zu target%s: %s", n, n == 1 ? "" : "s",
            v6m_kpi_verdict_name(in->verdict));
    if (!isnan(in->score))
        fprintf(out, ", score %.0f/100", in->score);
    fputc('\n', out);
    fprintf(out, "  %-22s %10s %9s %9s\n", "metric", "converged", "degraded", "median D");
    for (int m = 0; m < V6M_KPI_METRICS; m++) {
        if (in->converged[m] + in->degraded[m] == 0)
            continue;
        char d[16];
        fmt_d(in->d_median[m], V6M_KPI_CONVERGED, d, sizeof d);
        fprintf(out, "  %-22s %10u %9u %9s\n", v6m_kpi_metric_name(m), in->converged[m],
                in->degraded[m], d);
    }
    if (in->interrupted)
        fprintf(out, "(interrupted: %zu of %zu targets finished)\n", in->targets_done,
                in->targets_total);
    return ferror(out) ? V6M_ERR_IO : V6M_OK;
}

static void json_time(struct json_writer *w, uint64_t ns)
{
    char buf[32];
    util_format_utc(ns, buf, sizeof buf);
    if (buf[0])
        json_string(w, buf);
    else
        json_null(w);
}

static void json_value(struct json_writer *w, const struct v6m_kpi_value *v)
{
    json_begin_object(w);
    json_key(w, "v4");
    json_double(w, v->v4, 6);
    json_key(w, "v6");
    json_double(w, v->v6, 6);
    json_key(w, "n4");
    json_u64(w, v->n4);
    json_key(w, "n6");
    json_u64(w, v->n6);
    json_key(w, "d");
    json_double(w, v->d, 4);
    json_key(w, "verdict");
    json_string(w, v6m_kpi_verdict_name(v->verdict));
    json_key(w, "why");
    json_string(w, v->why ? v->why : "");
    json_end_object(w);
}

static void json_video(struct json_writer *w, const struct v6m_kpi_video *v)
{
    json_begin_object(w);
    json_key(w, "sessions");
    json_u64(w, v->sessions);
    json_key(w, "all_played");
    json_bool(w, v->ok);
    json_key(w, "variant_bandwidth");
    json_double(w, v->bitrate_bps, 10);
    json_key(w, "variant");
    json_string(w, v->variant ? v->variant : "");
    json_key(w, "error");
    json_string(w, v->error ? v->error : "");
    json_end_object(w);
}

v6m_err v6m_report_kpi_json(FILE *out, const v6m_kpi *k, bool samples)
{
    const struct v6m_kpi_info *in = v6m_kpi_info(k);
    struct json_writer w;
    json_init(&w, out, true);
    json_begin_object(&w);
    json_key(&w, "tool");
    json_string(&w, "v6mon");
    json_key(&w, "version");
    json_string(&w, v6m_version());
    json_key(&w, "run");
    json_begin_object(&w);
    json_key(&w, "started");
    json_time(&w, in->started_ns);
    json_key(&w, "finished");
    json_time(&w, in->finished_ns);
    json_key(&w, "vantage");
    json_string(&w, in->vantage ? in->vantage : "");
    json_key(&w, "resolver");
    json_string(&w, in->resolver ? in->resolver : "");
    json_key(&w, "dns4");
    json_string(&w, in->dns4 ? in->dns4 : "");
    json_key(&w, "dns6");
    json_string(&w, in->dns6 ? in->dns6 : "");
    json_key(&w, "icmp_v4");
    json_string(&w, in->icmp_v4);
    json_key(&w, "icmp_v6");
    json_string(&w, in->icmp_v6);
    json_key(&w, "rounds");
    json_u64(&w, in->rounds);
    json_key(&w, "interval_ms");
    json_u64(&w, in->interval_ms);
    json_key(&w, "vantage_checked");
    json_bool(&w, in->vantage_checked);
    json_key(&w, "vantage_v4");
    json_bool(&w, in->vantage_v4);
    json_key(&w, "vantage_v6");
    json_bool(&w, in->vantage_v6);
    json_key(&w, "vantage_detail");
    json_string(&w, in->vantage_detail ? in->vantage_detail : "");
    json_key(&w, "targets");
    json_u64(&w, in->targets_total);
    json_key(&w, "targets_done");
    json_u64(&w, in->targets_done);
    json_key(&w, "interrupted");
    json_bool(&w, in->interrupted);
    json_end_object(&w);

    json_key(&w, "aggregate");
    json_begin_object(&w);
    json_key(&w, "verdict");
    json_string(&w, v6m_kpi_verdict_name(in->verdict));
    json_key(&w, "score");
    json_double(&w, in->score, 4);
    json_key(&w, "metrics");
    json_begin_object(&w);
    for (int m = 0; m < V6M_KPI_METRICS; m++) {
        json_key(&w, v6m_kpi_metric_name(m));
        json_begin_object(&w);
        json_key(&w, "converged");
        json_u64(&w, in->converged[m]);
        json_key(&w, "degraded");
        json_u64(&w, in->degraded[m]);
        json_key(&w, "d_median");
        json_double(&w, in->d_median[m], 4);
        json_end_object(&w);
    }
    json_end_object(&w);
    json_end_object(&w);

    json_key(&w, "targets");
    json_begin_array(&w);
    size_t n = v6m_kpi_target_count(k);
    for (size_t i = 0; i < n; i++) {
        const struct v6m_kpi_target_result *r = v6m_kpi_target(k, i);
        json_begin_object(&w);
        json_key(&w, "target");
        json_string(&w, r->target);
        json_key(&w, "host");
        json_string(&w, r->host);
        json_key(&w, "name");
        json_string(&w, r->name);
        json_key(&w, "category");
        json_string(&w, r->category);
        json_key(&w, "url");
        json_string(&w, r->url);
        json_key(&w, "video_url");
        json_string(&w, r->video_url);
        json_key(&w, "has_a");
        json_bool(&w, r->has_a);
        json_key(&w, "has_aaaa");
        json_bool(&w, r->has_aaaa);
        json_key(&w, "reach_v4");
        json_bool(&w, r->reach_v4);
        json_key(&w, "reach_v6");
        json_bool(&w, r->reach_v6);
        json_key(&w, "addr_v4");
        json_string(&w, r->addr_v4);
        json_key(&w, "addr_v6");
        json_string(&w, r->addr_v6);
        json_key(&w, "tcp_port");
        json_u64(&w, r->tcp_port);
        json_key(&w, "latency_method");
        json_string(&w, r->latency_method);
        json_key(&w, "happy_eyeballs");
        json_begin_object(&w);
        json_key(&w, "family");
        if (*r->he_family)
            json_string(&w, r->he_family);
        else
            json_null(&w);
        json_key(&w, "v6_rounds");
        json_u64(&w, r->he_v6_rounds);
        json_key(&w, "rounds");
        json_u64(&w, r->he_rounds);
        json_end_object(&w);
        json_key(&w, "rounds");
        json_u64(&w, r->rounds);
        json_key(&w, "verdict");
        json_string(&w, v6m_kpi_target_verdict_name(r->verdict));
        json_key(&w, "degraded");
        json_string(&w, r->degraded);
        json_key(&w, "detail");
        json_string(&w, r->detail);
        json_key(&w, "score");
        json_double(&w, r->score, 4);
        json_key(&w, "metrics");
        json_begin_object(&w);
        for (int m = 0; m < V6M_KPI_METRICS; m++) {
            json_key(&w, v6m_kpi_metric_name(m));
            json_value(&w, &r->m[m]);
        }
        json_end_object(&w);
        json_key(&w, "video");
        json_begin_object(&w);
        json_key(&w, "v4");
        json_video(&w, &r->video4);
        json_key(&w, "v6");
        json_video(&w, &r->video6);
        json_end_object(&w);
        if (samples) {
            json_key(&w, "samples");
            json_begin_array(&w);
            for (size_t s = 0; s < r->n_samples; s++) {
                const struct v6m_kpi_sample *x = &r->samples[s];
                json_begin_array(&w);
                json_u64(&w, x->round);
                json_u64(&w, x->family);
                json_string(&w, v6m_kpi_sample_kind_name(x->kind));
                json_bool(&w, x->ok);
                if (x->ok)
                    json_double(&w, x->value, 6);
                else
                    json_null(&w);
                json_double(&w, x->t, 6);
                json_end_array(&w);
            }
            json_end_array(&w);
        }
        json_end_object(&w);
    }
    json_end_array(&w);
    json_end_object(&w);
    return json_finish(&w) && !ferror(out) ? V6M_OK : V6M_ERR_IO;
}

static void csv_num(FILE *out, double v)
{
    if (!isnan(v) && !isinf(v))
        fprintf(out, "%.6g", v);
}

v6m_err v6m_report_kpi_csv(FILE *out, const v6m_kpi *k)
{
    fputs("target,host,metric,unit,v4,n4,v6,n6,d,verdict,target_verdict,why\n", out);
    size_t n = v6m_kpi_target_count(k);
    for (size_t i = 0; i < n; i++) {
        const struct v6m_kpi_target_result *r = v6m_kpi_target(k, i);
        for (int m = 0; m < V6M_KPI_METRICS; m++) {
            const struct v6m_kpi_value *v = &r->m[m];
            report_csv_field(out, r->target);
            fputc(',', out);
            report_csv_field(out, r->host);
            fprintf(out, ",%s,%s,", v6m_kpi_metric_name(m), v6m_kpi_metric_unit(m));
            csv_num(out, v->v4);
            fprintf(out, ",%u,", v->n4);
            csv_num(out, v->v6);
            fprintf(out, ",%u,", v->n6);
            csv_num(out, v->d);
            fprintf(out, ",%s,%s,", v6m_kpi_verdict_name(v->verdict),
                    v6m_kpi_target_verdict_name(r->verdict));
            report_csv_field(out, v->why);
            fputc('\n', out);
        }
    }
    return ferror(out) ? V6M_ERR_IO : V6M_OK;
}
