/*
 * report/indicators_json.c - the scorecard as JSON (schema
 * "v6mon.scorecard/1"; every key is documented in docs/indicators.md and
 * keys are only ever added).
 *
 * Text read from the database is passed through a UTF-8 check: a string
 * that is not well-formed UTF-8 (a damaged or foreign database) is
 * written with each bad byte replaced by U+FFFD, so the output is always
 * valid JSON (the writer itself passes bytes >= 0x80 through).
 *
 * Conventions: numbers are JSON numbers (whole numbers without a
 * fraction, other values with 15 significant digits); a value that was
 * not measured is null and the object says why ("no_data"); dates are
 * UTC "YYYY-MM-DD" beside their unix seconds; a window's "to" is its last
 * day (inclusive) while "to_s" is the exclusive end. Every key is always
 * present (null when it does not apply), so consumers need no
 * existence checks.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/indicators_int.h"
#include "report/json_writer.h"

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0;
        if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;
        if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

/* A string from the database, made valid UTF-8. */
static void text(struct json_writer *w, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t bad = 0, len = 0;
    for (size_t i = 0; p[i];) {
        size_t n = utf8_len(p + i);
        bad += n == 0;
        i += n ? n : 1;
        len = i;
    }
    if (!bad) {
        json_string(w, s);
        return;
    }
    char *c = malloc(len + bad * 2 + 1);
    if (!c) {
        json_string(w, "\xef\xbf\xbd"); /* out of memory: one replacement character */
        return;
    }
    size_t o = 0;
    for (size_t i = 0; p[i];) {
        size_t n = utf8_len(p + i);
        if (n) {
            memcpy(c + o, p + i, n);
            o += n;
            i += n;
        } else {
            memcpy(c + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    c[o] = '\0';
    json_string(w, c);
    free(c);
}

static void num(struct json_writer *w, double v)
{
    if (isfinite(v) && v == floor(v) && fabs(v) < 9.0e15)
        json_i64(w, (int64_t)v);
    else
        json_double(w, v, 15);
}

static void str_or_null(struct json_writer *w, const char *s)
{
    if (s)
        text(w, s);
    else
        json_null(w);
}

static void day(struct json_writer *w, int64_t t)
{
    char b[16];
    json_string(w, ind_format_day(t, b, sizeof(b)));
}

static void utc(struct json_writer *w, int64_t t)
{
    char b[40];
    int64_t d = t - ind_day_floor(t);
    char dd[16];
    snprintf(b, sizeof(b), "%sT%02d:%02d:%02dZ", ind_format_day(t, dd, sizeof(dd)),
             (int)(d / 3600), (int)(d / 60 % 60), (int)(d % 60));
    json_string(w, b);
}

static void strings(struct json_writer *w, const char *const *s, size_t n)
{
    json_begin_array(w);
    for (size_t i = 0; i < n; i++)
        text(w, s[i]);
    json_end_array(w);
}

static void point(struct json_writer *w, const struct v6m_ind_point *p, bool monthly,
                  bool has_target)
{
    char b[16];
    json_begin_object(w);
    json_key(w, "label");
    ind_format_day(p->start_s, b, sizeof(b));
    if (monthly)
        b[7] = '\0';
    json_string(w, b);
    json_key(w, "start_s");
    json_i64(w, p->start_s);
    json_key(w, "end_s");
    json_i64(w, p->end_s);
    json_key(w, "value");
    if (p->has_value)
        num(w, p->value);
    else
        json_null(w);
    json_key(w, "gap");
    if (p->has_value && has_target)
        num(w, p->gap);
    else
        json_null(w);
    json_key(w, "numerator");
    if (p->has_value)
        num(w, p->numerator);
    else
        json_null(w);
    json_key(w, "denominator");
    if (p->has_value)
        num(w, p->denominator);
    else
        json_null(w);
    json_key(w, "samples");
    json_u64(w, p->samples);
    json_end_object(w);
}

static void points(struct json_writer *w, const struct v6m_ind_point *p, size_t n, bool monthly,
                   bool has_target)
{
    json_begin_array(w);
    for (size_t i = 0; i < n; i++)
        point(w, &p[i], monthly, has_target);
    json_end_array(w);
}

static void coverage(struct json_writer *w, const struct v6m_ind_coverage *c)
{
    json_begin_object(w);
    json_key(w, "summary");
    text(w, c->summary ? c->summary : "");
    json_key(w, "summary_zh");
    text(w, c->summary_zh ? c->summary_zh : "");
    json_key(w, "samples");
    json_u64(w, c->samples);
    json_key(w, "sample_unit");
    str_or_null(w, c->sample_unit);
    json_key(w, "first");
    if (c->has_span)
        day(w, c->first_s);
    else
        json_null(w);
    json_key(w, "last");
    if (c->has_span)
        day(w, c->last_s);
    else
        json_null(w);
    json_key(w, "first_s");
    if (c->has_span)
        json_i64(w, c->first_s);
    else
        json_null(w);
    json_key(w, "last_s");
    if (c->has_span)
        json_i64(w, c->last_s);
    else
        json_null(w);
    json_key(w, "estimated");
    json_bool(w, c->estimated);
    json_key(w, "vantages");
    strings(w, c->vantages, c->n_vantages);
    json_key(w, "tool_versions");
    strings(w, c->tool_versions, c->n_tool_versions);
    json_key(w, "runs");
    json_begin_array(w);
    for (size_t i = 0; i < c->n_runs; i++) {
        const struct v6m_ind_run *r = &c->runs[i];
        json_begin_object(w);
        json_key(w, "kind");
        text(w, r->kind);
        json_key(w, "id");
        json_i64(w, r->id);
        json_key(w, "vantage");
        text(w, r->vantage);
        json_key(w, "tool_version");
        text(w, r->tool_version);
        json_key(w, "first_s");
        json_i64(w, r->first_s);
        json_key(w, "last_s");
        json_i64(w, r->last_s);
        json_end_object(w);
    }
    json_end_array(w);
    json_key(w, "notes");
    strings(w, c->notes, c->n_notes);
    json_key(w, "notes_zh");
    strings(w, c->notes_zh, c->notes_zh ? c->n_notes : 0);
    json_end_object(w);
}

static void group(struct json_writer *w, const struct v6m_ind_group *g, bool monthly,
                  bool has_target)
{
    json_begin_object(w);
    json_key(w, "name");
    text(w, g->name);
    json_key(w, "value");
    if (g->has_value)
        num(w, g->value);
    else
        json_null(w);
    json_key(w, "numerator");
    if (g->has_value)
        num(w, g->numerator);
    else
        json_null(w);
    json_key(w, "denominator");
    if (g->has_value)
        num(w, g->denominator);
    else
        json_null(w);
    json_key(w, "gap");
    if (g->has_value && has_target)
        num(w, g->gap);
    else
        json_null(w);
    json_key(w, "met");
    if (g->has_value && has_target)
        json_bool(w, g->met);
    else
        json_null(w);
    json_key(w, "samples");
    json_u64(w, g->samples);
    json_key(w, "trend");
    points(w, g->trend, g->n_trend, monthly, has_target);
    json_end_object(w);
}

static void parity(struct json_writer *w, const struct v6m_ind_parity *p)
{
    json_begin_object(w);
    json_key(w, "metric");
    text(w, p->metric);
    json_key(w, "metric_unit");
    str_or_null(w, p->metric_unit);
    json_key(w, "verdict");
    text(w, p->verdict);
    json_key(w, "converged");
    json_u64(w, p->converged);
    json_key(w, "degraded");
    json_u64(w, p->degraded);
    json_key(w, "insufficient");
    json_u64(w, p->insufficient);
    json_key(w, "d_median");
    if (p->has_d_median)
        num(w, p->d_median);
    else
        json_null(w);
    json_key(w, "rows");
    json_begin_array(w);
    for (size_t i = 0; i < p->n_rows; i++) {
        const struct v6m_ind_parity_row *r = &p->rows[i];
        json_begin_object(w);
        json_key(w, "target");
        text(w, r->target);
        json_key(w, "host");
        text(w, r->host);
        json_key(w, "name");
        text(w, r->name);
        json_key(w, "category");
        text(w, r->category);
        json_key(w, "vantage");
        text(w, r->vantage);
        json_key(w, "run_id");
        json_i64(w, r->run_id);
        json_key(w, "time_s");
        json_i64(w, r->time_s);
        json_key(w, "v4");
        if (r->has_v4)
            num(w, r->v4);
        else
            json_null(w);
        json_key(w, "v6");
        if (r->has_v6)
            num(w, r->v6);
        else
            json_null(w);
        json_key(w, "n4");
        json_i64(w, r->n4);
        json_key(w, "n6");
        json_i64(w, r->n6);
        json_key(w, "d");
        if (r->has_d)
            num(w, r->d);
        else
            json_null(w);
        json_key(w, "verdict");
        text(w, r->verdict);
        json_end_object(w);
    }
    json_end_array(w);
    json_end_object(w);
}

static void indicator(struct json_writer *w, const struct v6m_indicator *ind, bool monthly)
{
    json_begin_object(w);
    json_key(w, "id");
    json_string(w, ind->id);
    json_key(w, "key");
    json_string(w, ind->key);
    json_key(w, "unit");
    json_string(w, ind->unit);
    json_key(w, "value");
    if (ind->has_value)
        num(w, ind->value);
    else
        json_null(w);
    json_key(w, "no_data");
    str_or_null(w, ind->has_value ? NULL : ind->no_data);
    json_key(w, "no_data_zh");
    str_or_null(w, ind->has_value ? NULL : ind->no_data_zh);
    json_key(w, "numerator");
    if (ind->has_value)
        num(w, ind->numerator);
    else
        json_null(w);
    json_key(w, "denominator");
    if (ind->has_value && ind->denominator_unit)
        num(w, ind->denominator);
    else
        json_null(w);
    json_key(w, "numerator_unit");
    str_or_null(w, ind->numerator_unit);
    json_key(w, "denominator_unit");
    str_or_null(w, ind->denominator_unit);
    json_key(w, "target");
    if (ind->has_target)
        num(w, ind->target);
    else
        json_null(w);
    json_key(w, "gap");
    if (ind->has_value && ind->has_target)
        num(w, ind->gap);
    else
        json_null(w);
    json_key(w, "met");
    if (ind->has_value && ind->has_target)
        json_bool(w, ind->met);
    else
        json_null(w);
    json_key(w, "method");
    text(w, ind->method);
    json_key(w, "coverage");
    coverage(w, &ind->coverage);
    json_key(w, "trend");
    json_begin_object(w);
    json_key(w, "step");
    json_string(w, ind->trend_step ? ind->trend_step : (monthly ? "month" : "day"));
    json_key(w, "points");
    points(w, ind->trend, ind->n_trend, monthly, ind->has_target);
    json_end_object(w);
    json_key(w, "groups");
    if (ind->group_by) {
        json_begin_object(w);
        json_key(w, "by");
        json_string(w, ind->group_by);
        json_key(w, "rows");
        json_begin_array(w);
        for (size_t i = 0; i < ind->n_groups; i++)
            group(w, &ind->groups[i], monthly, ind->has_target);
        json_end_array(w);
        json_end_object(w);
    } else {
        json_null(w);
    }
    json_key(w, "parity");
    if (ind->parity)
        parity(w, ind->parity);
    else
        json_null(w);
    json_end_object(w);
}

static void tri(struct json_writer *w, enum v6m_ind_tri t)
{
    if (t == V6M_IND_UNKNOWN)
        json_null(w);
    else
        json_bool(w, t == V6M_IND_YES);
}

static void sites(struct json_writer *w, const v6m_scorecard *sc)
{
    json_begin_array(w);
    for (size_t i = 0; i < sc->n_sites; i++) {
        const struct v6m_ind_site *s = &sc->sites[i];
        json_begin_object(w);
        json_key(w, "name");
        text(w, s->name);
        json_key(w, "url");
        text(w, s->url);
        json_key(w, "category");
        text(w, s->category);
        json_key(w, "unit");
        text(w, s->unit);
        json_key(w, "host");
        text(w, s->host);
        json_key(w, "run_id");
        json_i64(w, s->run_id);
        json_key(w, "time_s");
        json_i64(w, s->time_s);
        json_key(w, "testable");
        json_bool(w, s->testable);
        json_key(w, "supported");
        json_bool(w, s->supported);
        json_key(w, "compliant");
        json_bool(w, s->compliant);
        json_key(w, "score");
        if (s->has_score)
            num(w, s->score);
        else
            json_null(w);
        json_key(w, "crawled");
        json_bool(w, s->crawled);
        json_key(w, "pages");
        json_u64(w, s->pages);
        json_key(w, "pages_v6");
        json_u64(w, s->pages_v6);
        json_key(w, "concentration");
        if (s->pages)
            num(w, (double)s->pages_v6 / (double)s->pages);
        else
            json_null(w);
        json_key(w, "res_bytes");
        json_u64(w, s->res_bytes);
        json_key(w, "res_bytes_v6");
        json_u64(w, s->res_bytes_v6);
        json_key(w, "failing");
        json_begin_array(w);
        for (size_t k = 0; k < s->n_checks; k++) {
            const struct v6m_ind_check *c = &s->checks[k];
            json_begin_object(w);
            json_key(w, "check");
            text(w, c->check);
            json_key(w, "state");
            text(w, c->state);
            json_key(w, "code");
            text(w, c->code);
            json_key(w, "message");
            text(w, c->message);
            json_end_object(w);
        }
        json_end_array(w);
        json_end_object(w);
    }
    json_end_array(w);
}

static void domains(struct json_writer *w, const struct v6m_ind_domain *d, size_t n, bool bytes)
{
    json_begin_array(w);
    for (size_t i = 0; i < n; i++) {
        json_begin_object(w);
        json_key(w, "name");
        text(w, d[i].name);
        if (bytes) {
            json_key(w, "bytes");
            json_u64(w, d[i].bytes);
        } else {
            json_key(w, "code");
            text(w, d[i].code);
            json_key(w, "detail");
            text(w, d[i].detail);
        }
        json_end_object(w);
    }
    json_end_array(w);
}

static void apps(struct json_writer *w, const v6m_scorecard *sc)
{
    json_begin_array(w);
    for (size_t i = 0; i < sc->n_apps; i++) {
        const struct v6m_ind_app *a = &sc->apps[i];
        json_begin_object(w);
        json_key(w, "name");
        text(w, a->name);
        json_key(w, "category");
        text(w, a->category);
        json_key(w, "counted");
        json_bool(w, a->counted);
        json_key(w, "ipv4_bytes");
        json_u64(w, a->v4_bytes);
        json_key(w, "ipv6_bytes");
        json_u64(w, a->v6_bytes);
        json_key(w, "share");
        if (a->has_share)
            num(w, a->share);
        else
            json_null(w);
        json_key(w, "mean3");
        if (a->has_mean3)
            num(w, a->mean3);
        else
            json_null(w);
        json_key(w, "mean3_runs");
        json_u64(w, a->mean3_runs);
        json_key(w, "traffic_ipv6");
        tri(w, a->traffic_ipv6);
        json_key(w, "probe_supported");
        tri(w, a->probe_supported);
        json_key(w, "supported");
        tri(w, a->supported);
        json_key(w, "traffic_run");
        if (a->traffic_run)
            json_i64(w, a->traffic_run);
        else
            json_null(w);
        json_key(w, "probe_run");
        if (a->probe_run)
            json_i64(w, a->probe_run);
        else
            json_null(w);
        json_key(w, "probe_domains");
        json_u64(w, a->probe_domains);
        json_key(w, "probe_domains_ok");
        json_u64(w, a->probe_domains_ok);
        json_key(w, "ipv4_only_domains");
        domains(w, a->ipv4_only, a->n_ipv4_only, true);
        json_key(w, "probe_failing_domains");
        domains(w, a->probe_failing, a->n_probe_failing, false);
        json_end_object(w);
    }
    json_end_array(w);
}

static void cdn(struct json_writer *w, const v6m_scorecard *sc)
{
    json_begin_array(w);
    for (size_t i = 0; i < sc->n_cdn; i++) {
        const struct v6m_ind_cdn *c = &sc->cdn[i];
        json_begin_object(w);
        json_key(w, "target");
        text(w, c->target);
        json_key(w, "host");
        text(w, c->host);
        json_key(w, "name");
        text(w, c->name);
        json_key(w, "category");
        text(w, c->category);
        json_key(w, "vantages");
        json_u64(w, c->vantages);
        json_key(w, "with_a");
        json_u64(w, c->with_a);
        json_key(w, "with_aaaa");
        json_u64(w, c->with_aaaa);
        json_key(w, "value");
        if (c->has_value)
            num(w, c->value);
        else
            json_null(w);
        json_end_object(w);
    }
    json_end_array(w);
}

v6m_err v6m_scorecard_write_json(const v6m_scorecard *sc, FILE *out, bool pretty)
{
    const struct v6m_scorecard_info *in = &sc->info;
    bool monthly = in->step && strcmp(in->step, "month") == 0;
    struct json_writer w;
    json_init(&w, out, pretty);
    json_begin_object(&w);
    json_key(&w, "schema");
    json_string(&w, "v6mon.scorecard/1");
    json_key(&w, "tool_version");
    json_string(&w, in->tool_version);

    json_key(&w, "database");
    json_begin_object(&w);
    json_key(&w, "path");
    text(&w, in->database);
    json_key(&w, "schema_version");
    json_i64(&w, in->schema_version);
    json_key(&w, "has_data");
    json_bool(&w, in->has_data);
    json_end_object(&w);

    json_key(&w, "window");
    json_begin_object(&w);
    json_key(&w, "kind");
    json_string(&w, in->window);
    json_key(&w, "label");
    json_string(&w, in->label);
    json_key(&w, "from");
    if (in->has_range)
        day(&w, in->from_s);
    else
        json_null(&w);
    json_key(&w, "to");
    if (in->has_range)
        day(&w, in->to_s - 1);
    else
        json_null(&w);
    json_key(&w, "from_s");
    if (in->has_range)
        json_i64(&w, in->from_s);
    else
        json_null(&w);
    json_key(&w, "to_s");
    if (in->has_range)
        json_i64(&w, in->to_s);
    else
        json_null(&w);
    json_key(&w, "step");
    json_string(&w, in->step);
    json_end_object(&w);

    json_key(&w, "reference");
    json_begin_object(&w);
    json_key(&w, "now_s");
    json_i64(&w, in->now_s);
    json_key(&w, "now");
    utc(&w, in->now_s);
    json_key(&w, "from_data");
    json_bool(&w, in->now_from_data);
    json_end_object(&w);

    json_key(&w, "filters");
    json_begin_object(&w);
    json_key(&w, "segment");
    str_or_null(&w, in->segment);
    json_key(&w, "category");
    str_or_null(&w, in->category);
    json_key(&w, "vantage");
    str_or_null(&w, in->vantage);
    json_end_object(&w);

    json_key(&w, "config");
    json_begin_object(&w);
    json_key(&w, "targets");
    text(&w, in->targets_source);
    json_key(&w, "registry");
    str_or_null(&w, in->registry_source);
    json_key(&w, "mobile_segments");
    strings(&w, in->mobile_segments, in->n_mobile_segments);
    json_key(&w, "metro_segments");
    strings(&w, in->metro_segments, in->n_metro_segments);
    json_end_object(&w);

    json_key(&w, "indicators");
    json_begin_array(&w);
    for (size_t i = 0; i < SLOT_COUNT; i++)
        indicator(&w, &sc->ind[i], monthly);
    json_end_array(&w);

    json_key(&w, "segments");
    json_begin_array(&w);
    for (size_t i = 0; i < sc->n_segments; i++)
        group(&w, &sc->segments[i], monthly, false);
    json_end_array(&w);

    json_key(&w, "sites");
    sites(&w, sc);
    json_key(&w, "apps");
    apps(&w, sc);
    json_key(&w, "cdn");
    cdn(&w, sc);

    json_key(&w, "ipv6plus");
    json_begin_object(&w);
    json_key(&w, "registry");
    str_or_null(&w, in->registry_source);
    json_key(&w, "projects");
    json_begin_array(&w);
    for (size_t i = 0; i < sc->n_projects; i++) {
        const struct v6m_ind_project *p = &sc->projects[i];
        json_begin_object(&w);
        json_key(&w, "name");
        text(&w, p->name);
        json_key(&w, "field");
        text(&w, p->field);
        json_key(&w, "status");
        text(&w, p->status);
        json_key(&w, "evidence");
        text(&w, p->evidence);
        json_key(&w, "counted");
        json_bool(&w, p->counted);
        json_end_object(&w);
    }
    json_end_array(&w);
    json_key(&w, "facts");
    json_begin_object(&w);
    for (size_t i = 0; i < sc->n_facts; i++) {
        json_key(&w, sc->facts[i].metric);
        json_u64(&w, sc->facts[i].value);
    }
    json_end_object(&w);
    json_end_object(&w);

    json_end_object(&w);
    bool ok = json_finish(&w);
    if (!ok || ferror(out))
        return V6M_ERR_IO;
    return V6M_OK;
}
