/*
 * report/svg_line.c - charts over time: the line chart and the sparkline
 * (see svg.h), with the UTC time axis.
 *
 * Time ticks are picked from a ladder (minutes .. hours .. days .. weeks
 * (Mondays) .. months .. years) as the smallest step whose labels do not
 * overlap; dates come from civil-date arithmetic on days since 1970-01-01
 * (UTC, proleptic Gregorian), never from the process time zone.
 *
 * Lines: the points of a series go through one loop that merges points
 * per plot column (1 viewBox unit) when the series has more than two
 * points per column, keeping each column's minimum and maximum in time
 * order, so spikes and dips survive and the output is bounded by the plot
 * width, not by the input. The same loop splits pieces at gaps: a NaN, or
 * two neighbours more than 1.5 steps apart. A gap between two points of
 * the same column is narrower than a pixel and is not drawn. A piece of
 * one point becomes a dot, so a single bucket is still visible. The
 * sparkline reuses this with the index as time.
 */
#include "report/svg.h"
#include "report/svg_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* a white outline under text drawn over data (SVG 2 paint-order) */
#define HALO                                                                                       \
    "stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\""

/* ---- calendar (UTC, proleptic Gregorian) ------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Days since 1970-01-01 of y-m-d (m 1..12, d 1..31). Era arithmetic: the
 * calendar repeats every 400 years (146097 days); years start in March so
 * the leap day is the last day of a year. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t mp = (m + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

enum tfmt { TF_YMD, TF_MD, TF_YM, TF_Y, TF_MDHM, TF_HM, TF_YMDHM };

static void fmt_time(struct strbuf *o, int64_t t, enum tfmt f)
{
    int64_t days = floor_div(t, 86400), y;
    int64_t sod = t - days * 86400;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int hh = (int)(sod / 3600), mi = (int)(sod / 60 % 60);
    switch (f) {
    case TF_YMD: strbuf_addf(o, "%04lld-%02d-%02d", (long long)y, m, d); break;
    case TF_MD: strbuf_addf(o, "%02d-%02d", m, d); break;
    case TF_YM: strbuf_addf(o, "%04lld-%02d", (long long)y, m); break;
    case TF_Y: strbuf_addf(o, "%04lld", (long long)y); break;
    case TF_MDHM: strbuf_addf(o, "%02d-%02d %02d:%02d", m, d, hh, mi); break;
    case TF_HM: strbuf_addf(o, "%02d:%02d", hh, mi); break;
    case TF_YMDHM: strbuf_addf(o, "%04lld-%02d-%02d %02d:%02d", (long long)y, m, d, hh, mi); break;
    }
}

static const double tf_em[] = {5.6, 2.9, 3.9, 2.3, 5.8, 2.9, 8.6};

struct tstep {
    int64_t sec; /* fixed steps */
    int months;  /* calendar steps */
};

static const struct tstep tsteps[] = {
    {60, 0},      {300, 0},   {900, 0},   {1800, 0},  {3600, 0},   {7200, 0},
    {10800, 0},   {21600, 0}, {43200, 0}, {86400, 0}, {172800, 0}, {604800, 0},
    {1209600, 0}, {0, 1},     {0, 2},     {0, 3},     {0, 6},      {0, 12},
    {0, 24},      {0, 60},    {0, 120},   {0, 600},
};

static int64_t year_of(int64_t t)
{
    int64_t y;
    int m, d;
    civil_from_days(floor_div(t, 86400), &y, &m, &d);
    return y;
}

/* Ticks for [t0, t1] in a plot w units wide: fills ts[] (up to max),
 * returns the count and the label format. */
static size_t time_ticks(int64_t t0, int64_t t1, double w, int64_t *ts, size_t max, enum tfmt *fmt)
{
    double span = (double)(t1 - t0);
    bool years = year_of(t0) != year_of(t1);
    size_t k = 0;
    const size_t nsteps = sizeof tsteps / sizeof tsteps[0];
    for (k = 0; k < nsteps; k++) {
        const struct tstep *s = &tsteps[k];
        enum tfmt f;
        if (s->months >= 12)
            f = TF_Y;
        else if (s->months)
            f = TF_YM;
        else if (s->sec >= 86400)
            f = years ? TF_YMD : TF_MD;
        else
            f = span > 86400 ? TF_MDHM : TF_HM;
        double len = s->months ? s->months * 30.44 * 86400 : (double)s->sec;
        double fit = w / (tf_em[f] * 11 + 18);
        if (span / len + 1 <= fit || k + 1 == nsteps) {
            *fmt = f;
            break;
        }
    }
    const struct tstep *s = &tsteps[k];
    size_t n = 0;
    if (!s->months) {
        int64_t off = s->sec >= 604800 ? 4 * 86400 : 0; /* weeks start on Monday */
        int64_t t = floor_div(t0 - off + s->sec - 1, s->sec) * s->sec + off;
        for (; t <= t1 && n < max; t += s->sec)
            ts[n++] = t;
    } else {
        int64_t y;
        int m, d;
        civil_from_days(floor_div(t0, 86400), &y, &m, &d);
        int64_t mi = y * 12 + (m - 1);
        mi = floor_div(mi + s->months - 1, s->months) * s->months;
        for (; n < max; mi += s->months) {
            int64_t yy = floor_div(mi, 12);
            int mm = (int)(mi - yy * 12) + 1;
            int64_t t = days_from_civil(yy, mm, 1) * 86400;
            if (t < t0) /* the month started before t0 */
                continue;
            if (t > t1)
                break;
            ts[n++] = t;
        }
    }
    return n;
}

/* ---- line chart ------------------------------------------------------- */

struct pt {
    double x, y, v;
    int64_t t;
    bool start; /* first point of a piece */
};

struct ptbuf {
    struct pt *p;
    size_t n, cap;
    bool pending_start;
};

static void pt_push(struct ptbuf *b, double x, double y, int64_t t, double v)
{
    if (b->n >= b->cap)
        return; /* cannot happen: cap is sized for the worst case */
    struct pt *q = &b->p[b->n++];
    q->x = x;
    q->y = y;
    q->t = t;
    q->v = v;
    q->start = b->pending_start;
    b->pending_start = false;
}

struct colagg {
    bool used;
    long col;
    size_t imin, imax; /* indexes into the series */
};

/* A series' time of point i; sparklines have no times (t == NULL) and
 * use the index. */
static int64_t ser_t(const struct svg_series *s, size_t i)
{
    return s->t ? s->t[i] : (int64_t)i;
}

static void col_flush(struct ptbuf *b, struct colagg *a, const struct svg_series *s,
                      double (*xf)(const void *, int64_t), const void *xa, const struct axis *ya,
                      double top, double h)
{
    if (!a->used)
        return;
    size_t i0 = a->imin < a->imax ? a->imin : a->imax;
    size_t i1 = a->imin < a->imax ? a->imax : a->imin;
    pt_push(b, xf(xa, ser_t(s, i0)), svgi_axis_y(ya, s->v[i0], top, h), ser_t(s, i0), s->v[i0]);
    if (i1 != i0)
        pt_push(b, xf(xa, ser_t(s, i1)), svgi_axis_y(ya, s->v[i1], top, h), ser_t(s, i1), s->v[i1]);
    a->used = false;
}

struct xmap {
    int64_t t0, t1;
    double x0, w;
};

static double xmap_x(const void *arg, int64_t t)
{
    const struct xmap *m = arg;
    if (t <= m->t0)
        return m->x0;
    if (t >= m->t1)
        return m->x0 + m->w;
    return m->x0 + m->w * ((double)(t - m->t0) / (double)(m->t1 - m->t0));
}

/* Reduce one series to drawable points (see the file comment). */
static void series_points(struct ptbuf *b, const struct svg_series *s, const struct xmap *xm,
                          const struct axis *ya, double top, double h, int64_t step, long cols,
                          bool fixed_t)
{
    bool down = s->n > (size_t)(2 * cols);
    struct colagg agg = {false, -1, 0, 0};
    bool had = false, nan_since = false;
    int64_t last_t = 0;
    long last_col = -1;
    b->n = 0;
    b->pending_start = true;
    for (size_t i = 0; i < s->n; i++) {
        int64_t t = ser_t(s, i);
        double v = s->v[i];
        if (fixed_t && (t < xm->t0 || t > xm->t1))
            continue;
        if (!isfinite(v)) {
            nan_since = true;
            continue;
        }
        long c;
        if (down) {
            double fx = (double)(t - xm->t0) / (double)(xm->t1 - xm->t0) * (double)cols;
            c = (long)fx;
            if (c < 0)
                c = 0;
            if (c >= cols)
                c = cols - 1;
        } else {
            c = (long)i;
        }
        bool brk = had && c != last_col &&
                   (nan_since || (step > 0 && (double)(t - last_t) > 1.5 * (double)step));
        if (down) {
            if (!agg.used || c != agg.col) {
                col_flush(b, &agg, s, xmap_x, xm, ya, top, h);
                if (brk)
                    b->pending_start = true;
                agg.used = true;
                agg.col = c;
                agg.imin = agg.imax = i;
            } else {
                if (v < s->v[agg.imin])
                    agg.imin = i;
                if (v > s->v[agg.imax])
                    agg.imax = i;
            }
        } else {
            if (brk)
                b->pending_start = true;
            pt_push(b, xmap_x(xm, t), svgi_axis_y(ya, v, top, h), t, v);
        }
        had = true;
        nan_since = false;
        last_t = t;
        last_col = c;
    }
    if (down)
        col_flush(b, &agg, s, xmap_x, xm, ya, top, h);
}

static void tip_point(struct strbuf *tip, const char *name, int64_t t, bool days, double v,
                      enum svg_unit u)
{
    strbuf_reset(tip);
    fmt_time(tip, t, days ? TF_YMD : TF_YMDHM);
    if (name && *name) {
        strbuf_addstr(tip, " \xc2\xb7 ");
        strbuf_addstr(tip, name);
    }
    strbuf_addstr(tip, ": ");
    svg_format_value(tip, u, v, NULL);
}

/* One series' reduced points: a <path> of the pieces with >= 2 points,
 * dots for isolated points (and for every point when markers, each with
 * its tooltip unless tips is false). */
static void draw_points(struct strbuf *o, const struct ptbuf *pb, int st, const char *name,
                        double width, double dot_r, bool markers, bool tips, bool days,
                        enum svg_unit u, struct strbuf *tip)
{
    const struct pal *p = &svgi_palette[st];
    bool path_open = false;
    for (size_t i = 0; i < pb->n; i++) {
        bool alone = pb->p[i].start && (i + 1 == pb->n || pb->p[i + 1].start);
        if (alone)
            continue;
        if (!path_open) {
            strbuf_addf(o, "<path class=\"v6m-line v6m-s%d\" fill=\"none\" stroke=\"%s\"", st + 1,
                        p->color);
            svgi_anum(o, "stroke-width", width);
            strbuf_addstr(o, " stroke-linejoin=\"round\"");
            if (p->dash && width >= 2)
                strbuf_addf(o, " stroke-dasharray=\"%s\"", p->dash);
            strbuf_addstr(o, " d=\"");
            path_open = true;
        }
        strbuf_addch(o, pb->p[i].start ? 'M' : 'L');
        svgi_num(o, pb->p[i].x);
        strbuf_addch(o, ' ');
        svgi_num(o, pb->p[i].y);
    }
    if (path_open) {
        strbuf_addstr(o, "\">");
        svgi_title(o, name);
        strbuf_addstr(o, "</path>");
    }
    for (size_t i = 0; i < pb->n; i++) {
        bool alone = pb->p[i].start && (i + 1 == pb->n || pb->p[i + 1].start);
        if (!markers && !alone)
            continue;
        if (tips)
            tip_point(tip, name, pb->p[i].t, days, pb->p[i].v, u);
        svgi_dot(o, pb->p[i].x, pb->p[i].y, alone ? dot_r + 1 : dot_r, st, tips ? tip->buf : NULL);
    }
}

static void draw_target_h(struct strbuf *o, const struct axis *a, double target, enum svg_unit u,
                          const struct svg_words *w, double x0, double pw, double top, double ph)
{
    if (target < a->lo || target > a->hi)
        return;
    double y = svgi_axis_y(a, target, top, ph);
    struct strbuf lab = STRBUF_INIT;
    strbuf_addstr(&lab, svgi_word(w, SVGI_W_TARGET));
    strbuf_addch(&lab, ' ');
    svg_format_value(&lab, u, target, NULL);
    strbuf_addstr(o, "<g class=\"v6m-target\">");
    svgi_title(o, lab.buf);
    svgi_line(o, x0, y, x0 + pw, y, "v6m-target", C_TARGET, 1.5, "6 4");
    /* label above the line, or under it when the line is at the top */
    double ly = y - 5 < top + 12 ? y + 14 : y - 5;
    svgi_text(o, x0 + pw - 4, ly, "end", 11, "v6m-target-text", C_TARGET, HALO, lab.buf);
    strbuf_addstr(o, "</g>");
    strbuf_release(&lab);
}

v6m_err svg_line_chart(struct strbuf *out, const struct svg_line_chart *c)
{
    if (!out || !c || (c->n_series && !c->series) || c->n_series > SVG_MAX_SERIES)
        return V6M_ERR_INVALID_ARG;
    double W = c->width ? c->width : 640, H = c->height ? c->height : 300;
    if (W < 160 || H < 120 || W > 10000 || H > 10000)
        return V6M_ERR_INVALID_ARG;
    /* data ranges; validate */
    bool any_t = false, any_v = false;
    int64_t t0 = 0, t1 = 0;
    double v0 = 0, v1 = 0;
    size_t maxn = 0;
    for (size_t k = 0; k < c->n_series; k++) {
        const struct svg_series *s = &c->series[k];
        if (s->n > SVG_MAX_POINTS || (s->n && (!s->t || !s->v)))
            return V6M_ERR_INVALID_ARG;
        if (s->n > maxn)
            maxn = s->n;
        for (size_t i = 0; i < s->n; i++) {
            if (i && s->t[i] < s->t[i - 1])
                return V6M_ERR_INVALID_ARG;
            if (!svgi_finite_or_nan(s->v[i]))
                return V6M_ERR_INVALID_ARG;
        }
        if (s->n) {
            if (!any_t || s->t[0] < t0)
                t0 = s->t[0];
            if (!any_t || s->t[s->n - 1] > t1)
                t1 = s->t[s->n - 1];
            any_t = true;
        }
        for (size_t i = 0; i < s->n; i++) {
            double v = s->v[i];
            if (isnan(v))
                continue;
            if (c->has_t_range && (s->t[i] < c->t_min || s->t[i] > c->t_max))
                continue;
            if (!any_v || v < v0)
                v0 = v;
            if (!any_v || v > v1)
                v1 = v;
            any_v = true;
        }
    }
    if (c->has_t_range) {
        if (c->t_max < c->t_min)
            return V6M_ERR_INVALID_ARG;
        t0 = c->t_min;
        t1 = c->t_max;
        any_t = true;
    }
    if (c->has_y_range && !(isfinite(c->y_min) && isfinite(c->y_max) && c->y_max > c->y_min))
        return V6M_ERR_INVALID_ARG;
    bool ht = c->has_target && isfinite(c->target);
    if (!any_t) {
        t0 = 0;
        t1 = 86400;
    } else if (t1 == t0) {
        int64_t pad = c->step_s > 0 ? c->step_s : 86400;
        t0 -= pad;
        t1 += pad;
    }

    size_t start = out->len;
    svgi_open(out, W, H, "line", c->title);
    double top = svgi_title_line(out, c->title, c->hide_title, W);
    int styles[SVG_MAX_SERIES];
    const char *names[SVG_MAX_SERIES];
    for (size_t k = 0; k < c->n_series; k++) {
        styles[k] = svgi_style_index(c->series[k].style, k);
        names[k] = c->series[k].name;
    }
    top += svgi_legend(out, 8, top, W - 16, names, styles, c->n_series, SW_LINE);

    struct axis ya;
    if (c->has_y_range) {
        svgi_axis_make(&ya, c->y_min, c->y_max, 6, true);
    } else {
        double lo = any_v ? v0 : 0, hi = any_v ? v1 : 1;
        if (ht) {
            lo = c->target < lo ? c->target : lo;
            hi = c->target > hi ? c->target : hi;
        }
        if (lo > 0)
            lo = 0;
        svgi_axis_make(&ya, lo, hi, 6, false);
    }
    double ml = svgi_axis_label_em(&ya, c->unit) * 11 + 12;
    if (ml < 36)
        ml = 36;
    double mr = 14, mb = 40;
    double px = ml, pw = W - ml - mr, py = top + 4, ph = H - py - mb;
    if (ph < 40 || pw < 60) {
        strbuf_setlen(out, start);
        return V6M_ERR_INVALID_ARG;
    }
    svgi_rect(out, px, py, pw, ph, "v6m-plot", "none");
    strbuf_addstr(out, "/>");
    svgi_axis_y_draw(out, &ya, c->unit, px, pw, py, ph);
    svgi_line(out, px, py + ph, px + pw, py + ph, "v6m-axis", C_AXIS, 1, NULL);

    /* time ticks */
    int64_t ts[64];
    enum tfmt tf = TF_YMD;
    struct xmap xm = {t0, t1, px, pw};
    size_t nt = time_ticks(t0, t1, pw, ts, 64, &tf);
    struct strbuf lab = STRBUF_INIT;
    for (size_t i = 0; i < nt; i++) {
        double x = xmap_x(&xm, ts[i]);
        svgi_line(out, x, py + ph, x, py + ph + 4, "v6m-axis", C_AXIS, 1, NULL);
        strbuf_reset(&lab);
        fmt_time(&lab, ts[i], tf);
        double half = tf_em[tf] * 11 / 2;
        const char *anchor = "middle";
        if (x - half < 2)
            anchor = "start";
        else if (x + half > W - 2)
            anchor = "end";
        svgi_text(out, x, py + ph + 17, anchor, 11, "v6m-tick", C_MUTED, NULL, lab.buf);
    }
    svgi_text(out, px + pw, py + ph + 32, "end", 10, "v6m-tick", C_MUTED, NULL,
              svgi_word(c->words, SVGI_W_UTC));

    if (ht)
        draw_target_h(out, &ya, c->target, c->unit, c->words, px, pw, py, ph);

    /* series */
    long cols = (long)pw;
    size_t cap = maxn < (size_t)(2 * cols + 4) ? maxn : (size_t)(2 * cols + 4);
    struct ptbuf pb = {NULL, 0, cap, true};
    v6m_err err = V6M_OK;
    if (cap) {
        pb.p = malloc(cap * sizeof *pb.p);
        if (!pb.p)
            err = V6M_ERR_NOMEM;
    }
    bool days = c->step_s == 0 || c->step_s % 86400 == 0;
    for (size_t k = 0; k < c->n_series && err == V6M_OK; k++) {
        const struct svg_series *s = &c->series[k];
        series_points(&pb, s, &xm, &ya, py, ph, c->step_s, cols, c->has_t_range);
        /* every point of a short series gets a dot with its tooltip */
        draw_points(out, &pb, styles[k], s->name, 2, 2.5, pb.n <= 40, true, days, c->unit, &lab);
    }
    if (!any_v)
        svgi_text(out, px + pw / 2, py + ph / 2, "middle", 14, "v6m-nodata", C_MUTED,
                  "font-style=\"italic\"", svgi_word(c->words, SVGI_W_NODATA));
    free(pb.p);
    if (strbuf_failed(&lab) && err == V6M_OK)
        err = V6M_ERR_NOMEM;
    strbuf_release(&lab);
    return svgi_finish(out, start, err);
}

/* ---- sparkline -------------------------------------------------------- */

v6m_err svg_sparkline(struct strbuf *out, const struct svg_sparkline *c)
{
    if (!out || !c || c->n > SVG_MAX_POINTS || (c->n && !c->v))
        return V6M_ERR_INVALID_ARG;
    double W = c->width ? c->width : 100, H = c->height ? c->height : 24;
    if (W < 16 || H < 8 || W > 2000 || H > 500)
        return V6M_ERR_INVALID_ARG;
    double lo = 0, hi = 0;
    bool any = false;
    size_t last = 0;
    for (size_t i = 0; i < c->n; i++) {
        double v = c->v[i];
        if (!svgi_finite_or_nan(v))
            return V6M_ERR_INVALID_ARG;
        if (isnan(v))
            continue;
        lo = !any || v < lo ? v : lo;
        hi = !any || v > hi ? v : hi;
        any = true;
        last = i;
    }
    if (c->has_range) {
        if (!(isfinite(c->min) && isfinite(c->max) && c->max > c->min))
            return V6M_ERR_INVALID_ARG;
        lo = c->min;
        hi = c->max;
    }
    size_t start = out->len;
    strbuf_addstr(out,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"v6m-spark\" viewBox=\"0 0 ");
    svgi_num(out, W);
    strbuf_addch(out, ' ');
    svgi_num(out, H);
    strbuf_addch(out, '"');
    svgi_anum(out, "width", W);
    svgi_anum(out, "height", H);
    strbuf_addstr(out, " role=\"img\" style=\"vertical-align:middle\">");
    svgi_title(out, c->title);
    const double pad = 3;
    double pw = W - 2 * pad, ph = H - 2 * pad;
    if (!any) {
        strbuf_addstr(out, "<g class=\"v6m-nodata\">");
        svgi_line(out, pad, H / 2, W - pad, H / 2, "v6m-nodata", C_NODATA, 1, "3 3");
        strbuf_addstr(out, "</g>");
        return svgi_finish(out, start, V6M_OK);
    }
    struct axis a = {lo, hi, 1};
    if (!(hi > lo)) { /* all equal: a flat line in the middle */
        a.lo = lo - 1;
        a.hi = lo + 1;
    }
    if (c->has_target && isfinite(c->target) && c->target >= a.lo && c->target <= a.hi) {
        double y = svgi_axis_y(&a, c->target, pad, ph);
        svgi_line(out, pad, y, W - pad, y, "v6m-target", C_MUTED, 0.8, "2 2");
    }
    /* the line-chart machinery with the index as time */
    struct svg_series s = {NULL, NULL, c->v, c->n, SVG_STYLE_IPV6};
    struct xmap xm = {0, c->n > 1 ? (int64_t)c->n - 1 : 1, pad, pw};
    if (c->n == 1)
        xm.t0 = -1; /* one value: in the middle */
    long cols = (long)pw > 1 ? (long)pw : 1;
    size_t cap = c->n < (size_t)(2 * cols + 4) ? c->n : (size_t)(2 * cols + 4);
    struct ptbuf pb = {malloc(cap * sizeof(struct pt)), 0, cap, true};
    if (!pb.p) {
        strbuf_setlen(out, start);
        return V6M_ERR_NOMEM;
    }
    series_points(&pb, &s, &xm, &a, pad, ph, 0, cols, false);
    draw_points(out, &pb, 0, NULL, 1.5, 1, false, false, true, c->unit, NULL);
    /* the newest value */
    double lx = xmap_x(&xm, (int64_t)last);
    strbuf_addstr(out, "<circle");
    svgi_anum(out, "cx", lx);
    svgi_anum(out, "cy", svgi_axis_y(&a, c->v[last], pad, ph));
    strbuf_addf(out, " r=\"2\" class=\"v6m-dot v6m-s1 v6m-last\" fill=\"%s\"/>",
                svgi_palette[0].color);
    free(pb.p);
    return svgi_finish(out, start, V6M_OK);
}
