/*
 * report/svg_cat.c - charts over categories: grouped and stacked bars,
 * the horizontal ranking, box plots and CDFs (see svg.h).
 *
 * Category labels sit under their slot, or at -35 degrees when the widest
 * one does not fit its slot (cut at 130 units). A missing value is a
 * dashed outline with the no-data word, never a bar of height 0.
 *
 * Distributions sort a copy of the finite samples (qsort, O(n log n),
 * n <= SVG_MAX_SAMPLES) and read quantiles by linear interpolation
 * between order statistics (Hyndman and Fan 1996, type 7, the default of
 * R and NumPy). Box whiskers follow Tukey (the furthest samples within 1.5
 * IQR); outliers beyond are drawn once per pixel row, which bounds the
 * output by the plot height. The CDF is a step line with at most two
 * commands per plot column.
 */
#include "report/svg.h"
#include "report/svg_int.h"
#include "util/strutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- category axis (bars, box plots) --------------------------------- */

/* PREFIX transform="rotate(DEG X Y)" into buf (numbers locale-free); an
 * empty string if it does not fit (it always does: < 70 bytes). */
static void rotate_attr(char *buf, size_t len, const char *prefix, double deg, double x, double y)
{
    struct strbuf t;
    strbuf_init(&t, len - 1);
    strbuf_addstr(&t, prefix);
    strbuf_addstr(&t, "transform=\"rotate(");
    svgi_num(&t, deg);
    strbuf_addch(&t, ' ');
    svgi_num(&t, x);
    strbuf_addch(&t, ' ');
    svgi_num(&t, y);
    strbuf_addstr(&t, ")\"");
    util_strlcpy(buf, strbuf_failed(&t) ? "" : t.buf, len);
    strbuf_release(&t);
}

struct catlayout {
    double slot;    /* width per category */
    bool rotate;    /* labels at -35 degrees */
    double label_w; /* max label width (units) */
    double mb;      /* bottom margin needed */
};

static void cat_layout(struct catlayout *l, const char *const *cats, size_t n, double pw)
{
    l->slot = n ? pw / (double)n : pw;
    double maxw = 0;
    for (size_t i = 0; i < n; i++) {
        double w = svgi_text_em(cats ? cats[i] : NULL) * 11;
        if (w > maxw)
            maxw = w;
    }
    l->rotate = maxw > l->slot - 6;
    l->label_w = l->rotate ? (maxw < 130 ? maxw : 130) : l->slot - 4;
    l->mb = l->rotate ? 16 + l->label_w * 0.6 : 26;
}

static void cat_labels(struct strbuf *o, const struct catlayout *l, const char *const *cats,
                       size_t n, double px, double base)
{
    char extra[96];
    for (size_t i = 0; i < n; i++) {
        if (!cats || !cats[i])
            continue;
        double x = px + l->slot * ((double)i + 0.5);
        if (!l->rotate) {
            svgi_text_fit(o, x, base + 16, "middle", 11, C_TEXT, NULL, cats[i], l->label_w);
            continue;
        }
        rotate_attr(extra, sizeof extra, "", -35, x, base + 12);
        svgi_text_fit(o, x + 3, base + 12, "end", 11, C_TEXT, extra, cats[i], l->label_w);
    }
}

static void nodata_box(struct strbuf *o, double x, double y, double w, double h, const char *tip,
                       const char *word_nd)
{
    strbuf_addstr(o, "<g class=\"v6m-nodata\">");
    svgi_title(o, tip);
    svgi_rect(o, x, y, w, h, "v6m-nodata", "none");
    strbuf_addf(o, " stroke=\"%s\" stroke-dasharray=\"3 3\"/>", C_NODATA);
    double tw = svgi_text_em(word_nd) * 10;
    if (w >= tw + 6 && h >= 14) {
        svgi_text(o, x + w / 2, y + h / 2 + 3.5, "middle", 10, NULL, C_MUTED,
                  "font-style=\"italic\"", word_nd);
    } else if (w >= 12 && h >= 30) {
        char extra[96];
        rotate_attr(extra, sizeof extra, "font-style=\"italic\" ", -90, x + w / 2 + 3.5, y + h / 2);
        svgi_text_fit(o, x + w / 2 + 3.5, y + h / 2, "middle", 10, C_MUTED, extra, word_nd, h - 4);
    }
    strbuf_addstr(o, "</g>");
}

/* ---- grouped / stacked bars ------------------------------------------ */

v6m_err svg_bar_chart(struct strbuf *out, const struct svg_bar_chart *c)
{
    if (!out || !c || c->n_categories > SVG_MAX_CATEGORIES || c->n_series == 0 ||
        c->n_series > SVG_MAX_SERIES || !c->values || (c->n_categories && !c->categories))
        return V6M_ERR_INVALID_ARG;
    double W = c->width ? c->width : 640, H = c->height ? c->height : 300;
    if (W < 160 || H < 120 || W > 10000 || H > 10000)
        return V6M_ERR_INVALID_ARG;
    size_t nc = c->n_categories, ns = c->n_series;
    bool norm = c->stacked && c->normalize;
    enum svg_unit unit = norm ? SVG_UNIT_SHARE : c->unit;
    double lo = 0, hi = 0;
    bool any = false;
    for (size_t i = 0; i < nc; i++) {
        double sum = 0;
        bool has = false;
        for (size_t s = 0; s < ns; s++) {
            double v = c->values[i * ns + s];
            if (!svgi_finite_or_nan(v) || (c->stacked && v < 0))
                return V6M_ERR_INVALID_ARG;
            if (isnan(v))
                continue;
            has = true;
            sum += v;
            if (!c->stacked) {
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
        }
        if (c->stacked && has)
            hi = sum > hi ? sum : hi;
        any |= has;
    }
    if (norm)
        lo = 0, hi = 1;

    size_t start = out->len;
    svgi_open(out, W, H, c->stacked ? "stacked" : "bars", c->title);
    double top = svgi_title_line(out, c->title, c->hide_title, W);
    int styles[SVG_MAX_SERIES];
    for (size_t s = 0; s < ns; s++)
        styles[s] = svgi_style_index(c->styles ? c->styles[s] : SVG_STYLE_AUTO, s);
    if (c->series_names)
        top += svgi_legend(out, 8, top, W - 16, c->series_names, styles, ns, SW_BOX);
    struct axis ya;
    svgi_axis_make(&ya, lo, hi > lo ? hi : lo + 1, 6, norm);
    double ml = svgi_axis_label_em(&ya, unit) * 11 + 12;
    if (ml < 36)
        ml = 36;
    double px = ml, pw = W - ml - 12;
    struct catlayout cl;
    cat_layout(&cl, c->categories, nc, pw);
    double py = top + 6, ph = H - py - cl.mb;
    if (ph < 40 || pw < 40) {
        strbuf_setlen(out, start);
        return V6M_ERR_INVALID_ARG;
    }
    svgi_rect(out, px, py, pw, ph, "v6m-plot", "none");
    strbuf_addstr(out, "/>");
    svgi_axis_y_draw(out, &ya, unit, px, pw, py, ph);
    double base = svgi_axis_y(&ya, 0, py, ph);
    struct strbuf tip = STRBUF_INIT;
    const char *nd = svgi_word(c->words, SVGI_W_NODATA);
    double gw = cl.slot * 0.72;
    bool labels = !c->stacked && gw / (double)ns >= 26 && nc * ns <= 30;
    for (size_t i = 0; i < nc; i++) {
        double gx = px + cl.slot * (double)i + (cl.slot - gw) / 2;
        const char *cat = c->categories[i] ? c->categories[i] : "";
        if (c->stacked) {
            double total = 0;
            bool has = false;
            for (size_t s = 0; s < ns; s++) {
                double v = c->values[i * ns + s];
                if (!isnan(v))
                    total += v, has = true;
            }
            if (!has || (norm && total <= 0)) {
                strbuf_reset(&tip);
                strbuf_addf(&tip, "%s: %s", cat, nd);
                nodata_box(out, gx, py + ph * 0.6, gw, ph * 0.4, tip.buf, nd);
                continue;
            }
            double acc = 0;
            for (size_t s = 0; s < ns; s++) {
                double v = c->values[i * ns + s];
                if (isnan(v) || v == 0)
                    continue;
                double dv = norm ? v / total : v;
                double y0 = svgi_axis_y(&ya, acc, py, ph), y1 = svgi_axis_y(&ya, acc + dv, py, ph);
                acc += dv;
                strbuf_reset(&tip);
                strbuf_addf(&tip, "%s \xc2\xb7 %s: ", cat,
                            c->series_names && c->series_names[s] ? c->series_names[s] : "");
                svg_format_value(&tip, c->unit, v, NULL);
                if (total > 0 && !norm) {
                    strbuf_addstr(&tip, " (");
                    svg_format_value(&tip, SVG_UNIT_SHARE, v / total, NULL);
                    strbuf_addch(&tip, ')');
                } else if (norm) {
                    strbuf_addstr(&tip, " (");
                    svg_format_value(&tip, SVG_UNIT_SHARE, dv, NULL);
                    strbuf_addch(&tip, ')');
                }
                svgi_rect_s(out, gx, y1, gw, y0 - y1, "v6m-bar", styles[s],
                            svgi_palette[styles[s]].color);
                strbuf_addch(out, '>');
                svgi_title(out, tip.buf);
                strbuf_addstr(out, "</rect>");
            }
            continue;
        }
        double bw = gw / (double)ns;
        for (size_t s = 0; s < ns; s++) {
            double v = c->values[i * ns + s];
            double x = gx + bw * (double)s;
            const char *sn = c->series_names && c->series_names[s] ? c->series_names[s] : "";
            strbuf_reset(&tip);
            strbuf_addf(&tip, "%s \xc2\xb7 %s: ", cat, sn);
            svg_format_value(&tip, c->unit, v, nd);
            if (isnan(v)) {
                nodata_box(out, x + 1, py + ph * 0.6, bw - 2, ph * 0.4, tip.buf, nd);
                continue;
            }
            double y = svgi_axis_y(&ya, v, py, ph);
            double y0 = y < base ? y : base, h = fabs(base - y);
            svgi_rect_s(out, x + 1, y0, bw - 2, h, "v6m-bar", styles[s],
                        svgi_palette[styles[s]].color);
            strbuf_addch(out, '>');
            svgi_title(out, tip.buf);
            strbuf_addstr(out, "</rect>");
            if (labels) {
                strbuf_reset(&tip);
                svg_format_value(&tip, c->unit, v, nd);
                svgi_text(out, x + bw / 2, v >= 0 ? y - 3 : y + 11, "middle", 10, "v6m-bar-label",
                          C_TEXT, NULL, tip.buf);
            }
        }
    }
    svgi_line(out, px, base, px + pw, base, "v6m-axis", C_AXIS, 1, NULL);
    cat_labels(out, &cl, c->categories, nc, px, py + ph);
    if (!any)
        svgi_text(out, px + pw / 2, py + ph / 2, "middle", 14, "v6m-nodata", C_MUTED,
                  "font-style=\"italic\"", nd);
    v6m_err err = strbuf_failed(&tip) ? V6M_ERR_NOMEM : V6M_OK;
    strbuf_release(&tip);
    return svgi_finish(out, start, err);
}

/* ---- horizontal ranking ------------------------------------------------ */

v6m_err svg_ranking(struct strbuf *out, const struct svg_ranking *c)
{
    if (!out || !c || c->n_items > SVG_MAX_ITEMS || (c->n_items && !c->items))
        return V6M_ERR_INVALID_ARG;
    double W = c->width ? c->width : 640;
    if (W < 200 || W > 10000)
        return V6M_ERR_INVALID_ARG;
    bool ht = c->has_target && isfinite(c->target);
    double hi = 0, lo = 0;
    for (size_t i = 0; i < c->n_items; i++) {
        const struct svg_rank_item *it = &c->items[i];
        if (!it->has_value)
            continue;
        if (!isfinite(it->value))
            return V6M_ERR_INVALID_ARG;
        hi = it->value > hi ? it->value : hi;
        lo = it->value < lo ? it->value : lo;
    }
    if (ht)
        hi = c->target > hi ? c->target : hi;
    struct axis xa;
    if (c->has_max && isfinite(c->max) && c->max > lo)
        svgi_axis_make(&xa, lo, c->max, 5, true);
    else if (c->unit == SVG_UNIT_SHARE && hi <= 1 && lo >= 0)
        svgi_axis_make(&xa, 0, 1, 5, true);
    else
        svgi_axis_make(&xa, lo, hi > lo ? hi : lo + 1, 5, false);

    double labw = 0;
    for (size_t i = 0; i < c->n_items; i++) {
        double w = svgi_text_em(c->items[i].label) * 12;
        labw = w > labw ? w : labw;
    }
    if (labw > W * 0.38)
        labw = W * 0.38;
    if (labw < 40)
        labw = 40;
    const double row = 22, bh = 14;
    size_t start = out->len;
    double top0 = (c->title && *c->title && !c->hide_title) ? 32 : 8;
    double H = top0 + 18 + row * (double)c->n_items + 30;
    svgi_open(out, W, H, "ranking", c->title);
    double top = svgi_title_line(out, c->title, c->hide_title, W) + 18;
    double bx = labw + 14, bw = W - bx - 70;
    double by = top + row * (double)c->n_items;
    /* vertical grid and ticks along the bottom */
    struct vfmt f;
    svgi_vfmt_axis(&f, c->unit, xa.lo, xa.hi, xa.step);
    struct strbuf tip = STRBUF_INIT;
    double span = xa.hi - xa.lo;
    for (int k = 0; k < 40; k++) {
        double v = ceil(xa.lo / xa.step - 1e-9) * xa.step + k * xa.step;
        if (v > xa.hi + xa.step * 1e-6)
            break;
        if (fabs(v) < xa.step * 1e-9)
            v = 0;
        double x = bx + bw * (v - xa.lo) / span;
        svgi_line(out, x, top - 4, x, by, "v6m-grid", C_GRID, 1, NULL);
        strbuf_reset(&tip);
        svgi_vfmt_put(&tip, &f, v);
        svgi_text(out, x, by + 16, "middle", 11, "v6m-tick", C_MUTED, NULL, tip.buf);
    }
    const char *nd = svgi_word(c->words, SVGI_W_NODATA);
    double zero = bx + bw * (0 - xa.lo) / span;
    for (size_t i = 0; i < c->n_items; i++) {
        const struct svg_rank_item *it = &c->items[i];
        double y = top + row * (double)i;
        svgi_text_fit(out, bx - 8, y + bh - 2, "end", 12, C_TEXT, NULL, it->label ? it->label : "",
                      labw);
        strbuf_reset(&tip);
        strbuf_addstr(&tip, it->label ? it->label : "");
        strbuf_addstr(&tip, ": ");
        if (!it->has_value) {
            strbuf_addstr(&tip, nd);
            if (it->note && *it->note) {
                strbuf_addstr(&tip, " \xe2\x80\x94 ");
                strbuf_addstr(&tip, it->note);
            }
            strbuf_addstr(out, "<g class=\"v6m-nodata\">");
            svgi_title(out, tip.buf);
            svgi_rect(out, bx, y + 1, bw, bh, "v6m-nodata", "none");
            strbuf_addf(out, " stroke=\"%s\" stroke-dasharray=\"3 3\"/>", C_NODATA);
            svgi_text(out, bx + 6, y + bh - 2, NULL, 11, NULL, C_MUTED, "font-style=\"italic\"",
                      nd);
            strbuf_addstr(out, "</g>");
            continue;
        }
        svg_format_value(&tip, c->unit, it->value, nd);
        if (it->note && *it->note) {
            strbuf_addstr(&tip, " \xe2\x80\x94 ");
            strbuf_addstr(&tip, it->note);
        }
        double v = it->value;
        double vx = bx + bw * ((v < xa.lo ? xa.lo : v > xa.hi ? xa.hi : v) - xa.lo) / span;
        double x0 = vx < zero ? vx : zero, w = fabs(vx - zero);
        const char *cls = "v6m-bar v6m-s1", *col = svgi_palette[0].color;
        if (ht) {
            bool met = v >= c->target;
            cls = met ? "v6m-bar v6m-good" : "v6m-bar v6m-bad";
            col = met ? C_GOOD : C_BAD;
        }
        svgi_rect(out, x0, y + 1, w, bh, cls, col);
        strbuf_addch(out, '>');
        svgi_title(out, tip.buf);
        strbuf_addstr(out, "</rect>");
        strbuf_reset(&tip);
        svg_format_value(&tip, c->unit, v, nd);
        svgi_text(out, (vx > zero ? vx : zero) + 4, y + bh - 2, NULL, 11, "v6m-bar-label", C_TEXT,
                  NULL, tip.buf);
    }
    svgi_line(out, zero, top - 4, zero, by, "v6m-axis", C_AXIS, 1, NULL);
    if (ht && c->target >= xa.lo && c->target <= xa.hi) {
        double x = bx + bw * (c->target - xa.lo) / span;
        strbuf_reset(&tip);
        strbuf_addstr(&tip, svgi_word(c->words, SVGI_W_TARGET));
        strbuf_addch(&tip, ' ');
        svg_format_value(&tip, c->unit, c->target, NULL);
        strbuf_addstr(out, "<g class=\"v6m-target\">");
        svgi_title(out, tip.buf);
        svgi_line(out, x, top - 6, x, by + 2, "v6m-target", C_TARGET, 1.5, "5 3");
        const char *anchor = x > bx + bw - 40 ? "end" : x < bx + 40 ? "start" : "middle";
        svgi_text(out, x, top - 8, anchor, 11, "v6m-target-text", C_TARGET, NULL, tip.buf);
        strbuf_addstr(out, "</g>");
    }
    v6m_err err = strbuf_failed(&tip) ? V6M_ERR_NOMEM : V6M_OK;
    strbuf_release(&tip);
    return svgi_finish(out, start, err);
}

/* ---- distributions ------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Sorted copy of the finite samples; *n = 0 (and NULL) when none. */
static v6m_err sorted_copy(const struct svg_samples *s, double **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        k += isfinite(s->v[i]) ? 1 : 0;
    if (!k)
        return V6M_OK;
    double *a = malloc(k * sizeof *a);
    if (!a)
        return V6M_ERR_NOMEM;
    k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (isfinite(s->v[i]))
            a[k++] = s->v[i];
    qsort(a, k, sizeof *a, cmp_double);
    *out = a;
    *n = k;
    return V6M_OK;
}

/* Hyndman-Fan type 7 (linear between order statistics). */
static double quantile(const double *x, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

static v6m_err check_samples(const struct svg_samples *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i].n > SVG_MAX_SAMPLES || (s[i].n && !s[i].v))
            return V6M_ERR_INVALID_ARG;
        for (size_t k = 0; k < s[i].n; k++)
            if (!svgi_finite_or_nan(s[i].v[k]))
                return V6M_ERR_INVALID_ARG;
    }
    return V6M_OK;
}

v6m_err svg_boxplot(struct strbuf *out, const struct svg_boxplot *c)
{
    if (!out || !c || c->n_groups > SVG_MAX_CATEGORIES || c->n_series < 1 || c->n_series > 4 ||
        !c->samples || (c->n_groups && !c->groups))
        return V6M_ERR_INVALID_ARG;
    double W = c->width ? c->width : 640, H = c->height ? c->height : 300;
    if (W < 160 || H < 120 || W > 10000 || H > 10000)
        return V6M_ERR_INVALID_ARG;
    size_t ng = c->n_groups, ns = c->n_series, nb = ng * ns;
    v6m_err err = check_samples(c->samples, nb);
    if (err)
        return err;
    double lo = 0, hi = 0;
    bool any = false;
    for (size_t b = 0; b < nb; b++)
        for (size_t k = 0; k < c->samples[b].n; k++) {
            double v = c->samples[b].v[k];
            if (isnan(v))
                continue;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            any = true;
        }
    size_t start = out->len;
    svgi_open(out, W, H, "boxplot", c->title);
    double top = svgi_title_line(out, c->title, c->hide_title, W);
    int styles[4];
    for (size_t s = 0; s < ns; s++)
        styles[s] = svgi_style_index(c->styles ? c->styles[s] : SVG_STYLE_AUTO, s);
    if (c->series_names)
        top += svgi_legend(out, 8, top, W - 16, c->series_names, styles, ns, SW_BOX);
    struct axis ya;
    svgi_axis_make(&ya, lo, hi > lo ? hi : lo + 1, 6, false);
    double ml = svgi_axis_label_em(&ya, c->unit) * 11 + 12;
    if (ml < 36)
        ml = 36;
    double px = ml, pw = W - ml - 12;
    struct catlayout cl;
    cat_layout(&cl, c->groups, ng, pw);
    double py = top + 6, ph = H - py - cl.mb;
    if (ph < 40 || pw < 40) {
        strbuf_setlen(out, start);
        return V6M_ERR_INVALID_ARG;
    }
    svgi_rect(out, px, py, pw, ph, "v6m-plot", "none");
    strbuf_addstr(out, "/>");
    svgi_axis_y_draw(out, &ya, c->unit, px, pw, py, ph);
    svgi_line(out, px, py + ph, px + pw, py + ph, "v6m-axis", C_AXIS, 1, NULL);
    struct strbuf tip = STRBUF_INIT;
    const char *nd = svgi_word(c->words, SVGI_W_NODATA);
    double gw = cl.slot * 0.8;
    double bw = gw / (double)ns;
    double boxw = bw * 0.7 < 44 ? bw * 0.7 : 44;
    for (size_t g = 0; g < ng && err == V6M_OK; g++) {
        const char *gname = c->groups[g] ? c->groups[g] : "";
        for (size_t s = 0; s < ns; s++) {
            const char *sn = c->series_names && c->series_names[s] ? c->series_names[s] : "";
            double cx = px + cl.slot * (double)g + (cl.slot - gw) / 2 + bw * ((double)s + 0.5);
            double *x;
            size_t n;
            err = sorted_copy(&c->samples[g * ns + s], &x, &n);
            if (err)
                break;
            strbuf_reset(&tip);
            strbuf_addf(&tip, "%s \xc2\xb7 %s: ", gname, sn);
            if (!n) {
                strbuf_addstr(&tip, nd);
                nodata_box(out, cx - boxw / 2, py + ph * 0.5, boxw, ph * 0.5, tip.buf, nd);
                continue;
            }
            double q1 = quantile(x, n, 0.25), med = quantile(x, n, 0.5), q3 = quantile(x, n, 0.75);
            double iqr = q3 - q1, flo = q1 - 1.5 * iqr, fhi = q3 + 1.5 * iqr;
            size_t a = 0, z = n - 1;
            while (a < n && x[a] < flo)
                a++;
            while (z > 0 && x[z] > fhi)
                z--;
            double wlo = x[a], whi = x[z];
            strbuf_addf(&tip, "%s=%zu; %s ", svgi_word(c->words, SVGI_W_SAMPLES), n,
                        svgi_word(c->words, SVGI_W_MEDIAN));
            svg_format_value(&tip, c->unit, med, NULL);
            strbuf_addstr(&tip, "; Q1\xe2\x80\x93Q3 ");
            svg_format_value(&tip, c->unit, q1, NULL);
            strbuf_addstr(&tip, "\xe2\x80\x93");
            svg_format_value(&tip, c->unit, q3, NULL);
            strbuf_addstr(&tip, "; min ");
            svg_format_value(&tip, c->unit, x[0], NULL);
            strbuf_addstr(&tip, ", max ");
            svg_format_value(&tip, c->unit, x[n - 1], NULL);
            const struct pal *p = &svgi_palette[styles[s]];
            strbuf_addf(out, "<g class=\"v6m-box v6m-s%d\">", styles[s] + 1);
            svgi_title(out, tip.buf);
            double ywl = svgi_axis_y(&ya, wlo, py, ph), ywh = svgi_axis_y(&ya, whi, py, ph);
            double y1 = svgi_axis_y(&ya, q1, py, ph), y3 = svgi_axis_y(&ya, q3, py, ph);
            double ym = svgi_axis_y(&ya, med, py, ph);
            svgi_line(out, cx, ywl, cx, y1, "v6m-whisker", p->color, 1.5, NULL);
            svgi_line(out, cx, y3, cx, ywh, "v6m-whisker", p->color, 1.5, NULL);
            svgi_line(out, cx - boxw / 4, ywl, cx + boxw / 4, ywl, "v6m-whisker", p->color, 1.5,
                      NULL);
            svgi_line(out, cx - boxw / 4, ywh, cx + boxw / 4, ywh, "v6m-whisker", p->color, 1.5,
                      NULL);
            svgi_rect_s(out, cx - boxw / 2, y3, boxw, y1 - y3 < 1 ? 1 : y1 - y3, "v6m-boxrect",
                        styles[s], p->color);
            strbuf_addf(out, " fill-opacity=\"0.35\" stroke=\"%s\" stroke-width=\"1.5\"/>",
                        p->color);
            svgi_line(out, cx - boxw / 2, ym, cx + boxw / 2, ym, "v6m-median", C_TARGET, 2.5, NULL);
            /* outliers, one per pixel row */
            double last = -1e9;
            for (size_t i = 0; i < n; i++) {
                if (i == a) {
                    i = z; /* jump over the whiskers' range */
                    last = -1e9;
                    continue;
                }
                double y = floor(svgi_axis_y(&ya, x[i], py, ph) + 0.5);
                if (y == last)
                    continue;
                last = y;
                strbuf_addstr(out, "<circle");
                svgi_anum(out, "cx", cx);
                svgi_anum(out, "cy", y);
                strbuf_addf(out, " r=\"2\" class=\"v6m-outlier\" fill=\"none\" stroke=\"%s\"/>",
                            p->color);
            }
            strbuf_addstr(out, "</g>");
            free(x);
        }
    }
    cat_labels(out, &cl, c->groups, ng, px, py + ph);
    if (!any && err == V6M_OK)
        svgi_text(out, px + pw / 2, py + ph / 2 - 20, "middle", 14, "v6m-nodata", C_MUTED,
                  "font-style=\"italic\"", nd);
    if (strbuf_failed(&tip) && err == V6M_OK)
        err = V6M_ERR_NOMEM;
    strbuf_release(&tip);
    return svgi_finish(out, start, err);
}

v6m_err svg_cdf(struct strbuf *out, const struct svg_cdf *c)
{
    if (!out || !c || c->n_series < 1 || c->n_series > SVG_MAX_SERIES || !c->samples)
        return V6M_ERR_INVALID_ARG;
    double W = c->width ? c->width : 640, H = c->height ? c->height : 300;
    if (W < 160 || H < 120 || W > 10000 || H > 10000)
        return V6M_ERR_INVALID_ARG;
    size_t ns = c->n_series;
    v6m_err err = check_samples(c->samples, ns);
    if (err)
        return err;
    double lo = 0, hi = 0;
    bool any = false;
    for (size_t s = 0; s < ns; s++)
        for (size_t k = 0; k < c->samples[s].n; k++) {
            double v = c->samples[s].v[k];
            if (isnan(v))
                continue;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            any = true;
        }
    size_t start = out->len;
    svgi_open(out, W, H, "cdf", c->title);
    double top = svgi_title_line(out, c->title, c->hide_title, W);
    int styles[SVG_MAX_SERIES];
    for (size_t s = 0; s < ns; s++)
        styles[s] = svgi_style_index(c->styles ? c->styles[s] : SVG_STYLE_AUTO, s);
    if (c->series_names)
        top += svgi_legend(out, 8, top, W - 16, c->series_names, styles, ns, SW_LINE);
    struct axis ya, xa;
    svgi_axis_make(&ya, 0, 1, 5, true);
    ya.step = 0.25;
    svgi_axis_make(&xa, lo, hi > lo ? hi : lo + 1, 7, false);
    double ml = svgi_axis_label_em(&ya, SVG_UNIT_SHARE) * 11 + 12;
    double px = ml, pw = W - ml - 16, py = top + 6, ph = H - py - 30;
    if (ph < 40 || pw < 40) {
        strbuf_setlen(out, start);
        return V6M_ERR_INVALID_ARG;
    }
    svgi_rect(out, px, py, pw, ph, "v6m-plot", "none");
    strbuf_addstr(out, "/>");
    svgi_axis_y_draw(out, &ya, SVG_UNIT_SHARE, px, pw, py, ph);
    svgi_line(out, px, py + ph, px + pw, py + ph, "v6m-axis", C_AXIS, 1, NULL);
    struct vfmt f;
    svgi_vfmt_axis(&f, c->unit, xa.lo, xa.hi, xa.step);
    struct strbuf tip = STRBUF_INIT;
    double xs = pw / (xa.hi - xa.lo);
    for (int k = 0; k < 40; k++) {
        double v = ceil(xa.lo / xa.step - 1e-9) * xa.step + k * xa.step;
        if (v > xa.hi + xa.step * 1e-6)
            break;
        if (fabs(v) < xa.step * 1e-9)
            v = 0;
        double x = px + (v - xa.lo) * xs;
        svgi_line(out, x, py + ph, x, py + ph + 4, "v6m-axis", C_AXIS, 1, NULL);
        strbuf_reset(&tip);
        svgi_vfmt_put(&tip, &f, v);
        double half = svgi_text_em(tip.buf) * 11 / 2;
        const char *anchor = x + half > W - 2 ? "end" : x - half < 2 ? "start" : "middle";
        svgi_text(out, x, py + ph + 17, anchor, 11, "v6m-tick", C_MUTED, NULL, tip.buf);
    }
    const char *nd = svgi_word(c->words, SVGI_W_NODATA);
    for (size_t s = 0; s < ns && err == V6M_OK; s++) {
        double *x;
        size_t n;
        err = sorted_copy(&c->samples[s], &x, &n);
        if (err || !n)
            continue;
        const struct pal *p = &svgi_palette[styles[s]];
        const char *sn = c->series_names && c->series_names[s] ? c->series_names[s] : "";
        double med = quantile(x, n, 0.5);
        strbuf_reset(&tip);
        strbuf_addf(&tip, "%s: %s=%zu; %s ", sn, svgi_word(c->words, SVGI_W_SAMPLES), n,
                    svgi_word(c->words, SVGI_W_MEDIAN));
        svg_format_value(&tip, c->unit, med, NULL);
        strbuf_addf(out, "<path class=\"v6m-line v6m-s%d\" fill=\"none\" stroke=\"%s\"",
                    styles[s] + 1, p->color);
        strbuf_addstr(out, " stroke-width=\"2\"");
        if (p->dash)
            strbuf_addf(out, " stroke-dasharray=\"%s\"", p->dash);
        strbuf_addstr(out, " d=\"M");
        svgi_num(out, px);
        strbuf_addch(out, ' ');
        svgi_num(out, py + ph);
        for (size_t i = 0; i < n;) {
            double xi = px + (x[i] - xa.lo) * xs;
            long col = (long)xi;
            size_t j = i + 1;
            while (j < n && (long)(px + (x[j] - xa.lo) * xs) == col)
                j++;
            strbuf_addch(out, 'H');
            svgi_num(out, xi);
            strbuf_addch(out, 'V');
            svgi_num(out, py + ph * (1 - (double)j / (double)n));
            i = j;
        }
        strbuf_addch(out, 'H');
        svgi_num(out, px + pw);
        strbuf_addstr(out, "\">");
        svgi_title(out, tip.buf);
        strbuf_addstr(out, "</path>");
        svgi_dot(out, px + (med - xa.lo) * xs, py + ph / 2, 3, styles[s], tip.buf);
        free(x);
    }
    if (!any && err == V6M_OK)
        svgi_text(out, px + pw / 2, py + ph / 2, "middle", 14, "v6m-nodata", C_MUTED,
                  "font-style=\"italic\"", nd);
    if (strbuf_failed(&tip) && err == V6M_OK)
        err = V6M_ERR_NOMEM;
    strbuf_release(&tip);
    return svgi_finish(out, start, err);
}
