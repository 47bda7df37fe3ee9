/*
 * report/svg.c - inline SVG charts: the shared writers, value formats,
 * axes, legend, the gauge and the stylesheet (see svg.h for the
 * contract, svg_int.h for how the files divide the work).
 *
 * Layout is done in viewBox units (1 unit ~ 1 CSS pixel at full size):
 * a title line, a legend (wrapped rows), then the plot rectangle with
 * the y tick labels on its left and the x tick labels under it. Text
 * widths are estimated (no font metrics here): CJK characters 1 em, Latin
 * ~0.55 em, narrow punctuation 0.3 em; labels that would not fit are cut
 * at a character boundary with an ellipsis and keep their full text in a
 * <title>.
 *
 * Axis ticks: a "nice" step from {1, 2, 2.5, 5} x 10^k for about 5 ticks
 * (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990); the
 * range is widened to whole steps unless the caller fixed it. Shares,
 * milliseconds/seconds and the SI prefixes are powers of ten apart, so a
 * nice step stays nice after scaling for display.
 *
 * Numbers go through strbuf_addnum (integer arithmetic, no locale); all
 * caller text goes through strbuf_addxml.
 */
#include "report/svg.h"
#include "report/svg_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- palette ---------------------------------------------------------------- */

/* Lightness differs between neighbours (L* ~34, 68, 46, 58, 56, 72, 50,
 * 75) so IPv6 (dark) and IPv4 (light) stay apart on a grey print. */
const struct pal svgi_palette[8] = {
    {"#1d4f91", NULL},  {"#f28e2b", "7 4"}, {"#2e7d32", "2 3"},  {"#b07aa1", "9 3 2 3"},
    {"#e15759", "4 2"}, {"#76b7b2", "1 2"}, {"#9c755f", "12 4"}, {"#bab0ac", "6 2 1 2"},
};

int svgi_style_index(enum svg_style st, size_t pos)
{
    if (st >= SVG_STYLE_IPV6 && st <= SVG_STYLE_8)
        return (int)st - 1;
    return (int)(pos % 8);
}

const char *svgi_word(const struct svg_words *w, int which)
{
    static const char *const en[] = {"no data", "target", "median", "samples", "UTC"};
    const char *s = NULL;
    if (w) {
        switch (which) {
        case 0: s = w->no_data; break;
        case 1: s = w->target; break;
        case 2: s = w->median; break;
        case 3: s = w->samples; break;
        case 4: s = w->time_utc; break;
        default: break;
        }
    }
    return s ? s : en[which];
}

/* ---- low-level writers ------------------------------------------------ */

void svgi_num(struct strbuf *o, double v)
{
    if (!strbuf_addnum(o, v, 2))
        strbuf_addch(o, '0'); /* non-finite never reaches here by design */
}

void svgi_anum(struct strbuf *o, const char *name, double v)
{
    strbuf_addch(o, ' ');
    strbuf_addstr(o, name);
    strbuf_addstr(o, "=\"");
    svgi_num(o, v);
    strbuf_addch(o, '"');
}

void svgi_xml(struct strbuf *o, const char *s)
{
    if (s)
        strbuf_addxml(o, s, SIZE_MAX);
}

void svgi_title(struct strbuf *o, const char *s)
{
    if (!s || !*s)
        return;
    strbuf_addstr(o, "<title>");
    svgi_xml(o, s);
    strbuf_addstr(o, "</title>");
}

/* <text ...>s (first nbytes)</text>; extra is a literal attribute string
 * from this file (never caller text). */
void svgi_text_n(struct strbuf *o, double x, double y, const char *anchor, double size,
                 const char *cls, const char *fill, const char *extra, const char *s, size_t nbytes)
{
    strbuf_addstr(o, "<text");
    svgi_anum(o, "x", x);
    svgi_anum(o, "y", y);
    svgi_anum(o, "font-size", size);
    if (anchor)
        strbuf_addf(o, " text-anchor=\"%s\"", anchor);
    if (cls)
        strbuf_addf(o, " class=\"%s\"", cls);
    strbuf_addf(o, " fill=\"%s\"", fill ? fill : C_TEXT);
    if (extra)
        strbuf_addf(o, " %s", extra);
    strbuf_addch(o, '>');
    strbuf_addxml(o, s ? s : "", nbytes);
    strbuf_addstr(o, "</text>");
}

void svgi_text(struct strbuf *o, double x, double y, const char *anchor, double size,
               const char *cls, const char *fill, const char *extra, const char *s)
{
    svgi_text_n(o, x, y, anchor, size, cls, fill, extra, s, SIZE_MAX);
}

void svgi_line(struct strbuf *o, double x1, double y1, double x2, double y2, const char *cls,
               const char *stroke, double width, const char *dash)
{
    strbuf_addstr(o, "<line");
    svgi_anum(o, "x1", x1);
    svgi_anum(o, "y1", y1);
    svgi_anum(o, "x2", x2);
    svgi_anum(o, "y2", y2);
    strbuf_addf(o, " class=\"%s\" stroke=\"%s\"", cls, stroke);
    svgi_anum(o, "stroke-width", width);
    if (dash)
        strbuf_addf(o, " stroke-dasharray=\"%s\"", dash);
    strbuf_addstr(o, "/>");
}

/* Opens <rect ...; the caller closes with "/>" or "><title>..</title></rect>". */
void svgi_rect(struct strbuf *o, double x, double y, double w, double h, const char *cls,
               const char *fill)
{
    strbuf_addstr(o, "<rect");
    svgi_anum(o, "x", x);
    svgi_anum(o, "y", y);
    svgi_anum(o, "width", w < 0 ? 0 : w);
    svgi_anum(o, "height", h < 0 ? 0 : h);
    strbuf_addf(o, " class=\"%s\" fill=\"%s\"", cls, fill);
}

/* The same with the series class: class="CLS v6m-sK". */
void svgi_rect_s(struct strbuf *o, double x, double y, double w, double h, const char *cls,
                 int style, const char *fill)
{
    strbuf_addstr(o, "<rect");
    svgi_anum(o, "x", x);
    svgi_anum(o, "y", y);
    svgi_anum(o, "width", w < 0 ? 0 : w);
    svgi_anum(o, "height", h < 0 ? 0 : h);
    strbuf_addf(o, " class=\"%s v6m-s%d\" fill=\"%s\"", cls, style + 1, fill);
}

void svgi_open(struct strbuf *o, double w, double h, const char *kind, const char *title)
{
    strbuf_addf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"v6m-chart v6m-chart-%s\"",
                kind);
    strbuf_addstr(o, " viewBox=\"0 0 ");
    svgi_num(o, w);
    strbuf_addch(o, ' ');
    svgi_num(o, h);
    strbuf_addch(o, '"');
    svgi_anum(o, "width", w);
    svgi_anum(o, "height", h);
    strbuf_addstr(o, " role=\"img\" style=\"max-width:100%;height:auto\" font-family=\"" FONT_FAMILY
                     "\">");
    svgi_title(o, title);
}

/* ---- text measure and cutting ---------------------------------------- */

/* Decode one code point leniently (for measuring only); returns bytes. */
static size_t svgi_cp_next(const unsigned char *s, uint32_t *cp)
{
    unsigned c = s[0];
    size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    uint32_t v = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return i;
        }
        v = (v << 6) | (s[i] & 0x3f);
    }
    *cp = v;
    return n;
}

static double svgi_cp_em(uint32_t cp)
{
    if (cp >= 0x2e80 || (cp >= 0x1100 && cp <= 0x11ff))
        return 1.0;
    if (cp >= 0x80)
        return 0.6;
    if (strchr(" il.,:;|!'`ijtf()[]/", (int)cp))
        return 0.3;
    if (strchr("mwMW@%", (int)cp))
        return 0.85;
    if (cp >= 'A' && cp <= 'Z')
        return 0.66;
    return 0.56;
}

double svgi_text_em(const char *s)
{
    double w = 0;
    if (!s)
        return 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        p += svgi_cp_next(p, &cp);
        w += svgi_cp_em(cp);
    }
    return w;
}

/* Bytes of s that fit in max_em (leaving room for an ellipsis when cut);
 * *cut says whether it was cut. */
size_t svgi_fit_bytes(const char *s, double max_em, bool *cut)
{
    *cut = false;
    if (!s)
        return 0;
    if (svgi_text_em(s) <= max_em)
        return strlen(s);
    *cut = true;
    double w = 0, lim = max_em - 1.0;
    const unsigned char *p = (const unsigned char *)s;
    size_t used = 0;
    while (p[used]) {
        uint32_t cp;
        size_t k = svgi_cp_next(p + used, &cp);
        if (w + svgi_cp_em(cp) > lim)
            break;
        w += svgi_cp_em(cp);
        used += k;
    }
    return used;
}

/* Text cut to max width with "…" and, when cut, the full text as title. */
void svgi_text_fit(struct strbuf *o, double x, double y, const char *anchor, double size,
                   const char *fill, const char *extra, const char *s, double max_w)
{
    bool cut;
    size_t n = svgi_fit_bytes(s, max_w / size, &cut);
    if (!cut) {
        svgi_text(o, x, y, anchor, size, NULL, fill, extra, s);
        return;
    }
    strbuf_addstr(o, "<g>");
    svgi_title(o, s);
    strbuf_addstr(o, "<text");
    svgi_anum(o, "x", x);
    svgi_anum(o, "y", y);
    svgi_anum(o, "font-size", size);
    if (anchor)
        strbuf_addf(o, " text-anchor=\"%s\"", anchor);
    strbuf_addf(o, " fill=\"%s\"", fill ? fill : C_TEXT);
    if (extra)
        strbuf_addf(o, " %s", extra);
    strbuf_addch(o, '>');
    strbuf_addxml(o, s, n);
    strbuf_addstr(o, "\xe2\x80\xa6</text></g>");
}

/* ---- value formatting ------------------------------------------------- */

/* Decimals needed to show multiples of step (in display units) exactly. */
int svgi_decimals_for(double step)
{
    step = fabs(step);
    for (int d = 0; d < 6; d++) {
        double s = step * pow(10, d);
        if (fabs(s - floor(s + 0.5)) < 1e-6 * (s > 1 ? s : 1))
            return d;
    }
    return 6;
}

/* Scale and suffix for values of magnitude mag. */
void svgi_vfmt_pick(struct vfmt *f, enum svg_unit u, double mag)
{
    static const char *const bytes[] = {" B", " kB", " MB", " GB", " TB", " PB"};
    static const char *const count[] = {"", "k", "M", "G", "T", "P"};
    static const char *const bits[] = {" bit/s",  " kbit/s", " Mbit/s",
                                       " Gbit/s", " Tbit/s", " Pbit/s"};
    f->scale = 1;
    f->suffix = "";
    mag = fabs(mag);
    switch (u) {
    case SVG_UNIT_SHARE:
        f->scale = 100;
        f->suffix = "%";
        break;
    case SVG_UNIT_MS:
        if (mag >= 5000) {
            f->scale = 0.001;
            f->suffix = " s";
        } else {
            f->suffix = " ms";
        }
        break;
    case SVG_UNIT_BYTES:
    case SVG_UNIT_COUNT:
    case SVG_UNIT_BITRATE: {
        int k = 0;
        while (k < 5 && mag >= 1000 * pow(1000, k))
            k++;
        f->scale = pow(1000, -k);
        f->suffix = u == SVG_UNIT_BYTES ? bytes[k] : u == SVG_UNIT_COUNT ? count[k] : bits[k];
        break;
    }
    case SVG_UNIT_PLAIN:
    default: break;
    }
}

void svgi_vfmt_put(struct strbuf *o, const struct vfmt *f, double v)
{
    if (!strbuf_addnum(o, v * f->scale, f->decimals))
        strbuf_addch(o, '?');
    strbuf_addstr(o, f->suffix);
}

/* Axis formatter: scale from the largest magnitude, decimals from the step. */
void svgi_vfmt_axis(struct vfmt *f, enum svg_unit u, double lo, double hi, double step)
{
    svgi_vfmt_pick(f, u, fabs(lo) > fabs(hi) ? lo : hi);
    f->decimals = svgi_decimals_for(step * f->scale);
}

bool svg_format_value(struct strbuf *out, enum svg_unit unit, double v, const char *no_data)
{
    if (!isfinite(v))
        return strbuf_addstr(out, no_data ? no_data : "no data");
    struct vfmt f;
    svgi_vfmt_pick(&f, unit, v);
    double d = fabs(v * f.scale);
    if (unit == SVG_UNIT_SHARE)
        f.decimals = 1;
    else if (unit == SVG_UNIT_COUNT && f.scale == 1 && v == floor(v))
        f.decimals = 0;
    else
        f.decimals = d >= 100 ? 0 : d >= 10 ? 1 : 2;
    svgi_vfmt_put(out, &f, v);
    return !strbuf_failed(out);
}

/* ---- nice ticks ------------------------------------------------------- */

static double nice_step(double raw)
{
    if (!(raw > 0) || !isfinite(raw))
        return 1;
    double e = floor(log10(raw));
    double p = pow(10, e), f = raw / p, n;
    if (f < 1.5)
        n = 1;
    else if (f < 2.25)
        n = 2;
    else if (f < 3.5)
        n = 2.5;
    else if (f < 7.5)
        n = 5;
    else
        n = 10;
    return n * p;
}

/* Range [lo, hi] widened to whole nice steps (~target ticks), or kept as
 * it is when fixed. */
void svgi_axis_make(struct axis *a, double lo, double hi, int target, bool fixed)
{
    if (!(hi > lo)) {
        double pad = fabs(lo) > 0 ? fabs(lo) * 0.2 : 1;
        if (lo >= 0 && lo - pad < 0 && !fixed)
            lo = 0, hi = hi + pad;
        else
            lo -= pad, hi += pad;
    }
    double step = nice_step((hi - lo) / (target > 1 ? target - 1 : 1));
    if (!fixed) {
        lo = floor(lo / step + 1e-9) * step;
        hi = ceil(hi / step - 1e-9) * step;
    }
    a->lo = lo;
    a->hi = hi;
    a->step = step;
}

double svgi_axis_y(const struct axis *a, double v, double top, double h)
{
    if (v < a->lo)
        v = a->lo;
    if (v > a->hi)
        v = a->hi;
    return top + h * (a->hi - v) / (a->hi - a->lo);
}

/* y ticks: grid lines across [x0, x0+w] and labels left of x0. */
void svgi_axis_y_draw(struct strbuf *o, const struct axis *a, enum svg_unit u, double x0, double w,
                      double top, double h)
{
    struct vfmt f;
    svgi_vfmt_axis(&f, u, a->lo, a->hi, a->step);
    double first = ceil(a->lo / a->step - 1e-9) * a->step;
    struct strbuf lab = STRBUF_INIT;
    for (int i = 0; i < 60; i++) {
        double v = first + i * a->step;
        if (v > a->hi + a->step * 1e-6)
            break;
        if (fabs(v) < a->step * 1e-9)
            v = 0;
        double y = svgi_axis_y(a, v, top, h);
        svgi_line(o, x0, y, x0 + w, y, "v6m-grid", C_GRID, 1, NULL);
        strbuf_reset(&lab);
        svgi_vfmt_put(&lab, &f, v);
        svgi_text(o, x0 - 6, y + 4, "end", 11, "v6m-tick", C_MUTED, NULL, lab.buf);
    }
    strbuf_release(&lab);
}

/* Widest y tick label in em, to size the left margin. */
double svgi_axis_label_em(const struct axis *a, enum svg_unit u)
{
    struct vfmt f;
    svgi_vfmt_axis(&f, u, a->lo, a->hi, a->step);
    struct strbuf lab = STRBUF_INIT;
    double w = 0;
    double vals[2] = {a->lo, a->hi};
    for (int i = 0; i < 2; i++) {
        strbuf_reset(&lab);
        svgi_vfmt_put(&lab, &f, vals[i]);
        double e = svgi_text_em(lab.buf);
        if (e > w)
            w = e;
    }
    strbuf_release(&lab);
    return w;
}

/* ---- legend ----------------------------------------------------------- */

/* Draw entries across [x, x + w] from y; returns the height used. */
double svgi_legend(struct strbuf *o, double x, double y, double w, const char *const *names,
                   const int *styles, size_t n, enum swatch kind)
{
    double cx = x, rows = 0;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || !*names[i])
            continue;
        double tw = svgi_text_em(names[i]) * 12;
        if (tw > w - 30)
            tw = w - 30;
        double need = 24 + tw + 16;
        if (any && cx + need > x + w) {
            cx = x;
            rows++;
        }
        any = true;
        double yy = y + rows * 18;
        const struct pal *p = &svgi_palette[styles[i]];
        if (kind == SW_LINE) {
            strbuf_addstr(o, "<line");
            svgi_anum(o, "x1", cx);
            svgi_anum(o, "y1", yy + 8);
            svgi_anum(o, "x2", cx + 20);
            svgi_anum(o, "y2", yy + 8);
            strbuf_addf(o, " class=\"v6m-line v6m-s%d\" stroke=\"%s\" stroke-width=\"2.5\"",
                        styles[i] + 1, p->color);
            if (p->dash)
                strbuf_addf(o, " stroke-dasharray=\"%s\"", p->dash);
            strbuf_addstr(o, "/>");
        } else {
            svgi_rect_s(o, cx + 4, yy + 2, 12, 12, "v6m-bar", styles[i], p->color);
            strbuf_addstr(o, "/>");
        }
        svgi_text_fit(o, cx + 24, yy + 12, NULL, 12, C_TEXT, NULL, names[i], w - 30);
        cx += need;
    }
    return any ? (rows + 1) * 18 + 4 : 0;
}

/* ---- shared chart frame ---------------------------------------------- */

double svgi_title_line(struct strbuf *o, const char *title, bool hide, double w)
{
    if (!title || !*title || hide)
        return 8;
    svgi_text_fit(o, 8, 22, NULL, 15, C_TEXT, "font-weight=\"bold\"", title, w - 16);
    return 32;
}

v6m_err svgi_finish(struct strbuf *o, size_t start, v6m_err e)
{
    if (e == V6M_OK) {
        strbuf_addstr(o, "</svg>");
        if (!strbuf_failed(o))
            return V6M_OK;
        e = V6M_ERR_NOMEM;
    }
    strbuf_setlen(o, start);
    return e;
}

bool svgi_finite_or_nan(double v)
{
    return isfinite(v) || isnan(v);
}

void svgi_dot(struct strbuf *o, double x, double y, double r, int style, const char *tip)
{
    strbuf_addstr(o, "<circle");
    svgi_anum(o, "cx", x);
    svgi_anum(o, "cy", y);
    svgi_anum(o, "r", r);
    strbuf_addf(o, " class=\"v6m-dot v6m-s%d\" fill=\"%s\"", style + 1, svgi_palette[style].color);
    if (tip) {
        strbuf_addch(o, '>');
        svgi_title(o, tip);
        strbuf_addstr(o, "</circle>");
    } else {
        strbuf_addstr(o, "/>");
    }
}

/* ---- gauge ------------------------------------------------------------ */

static void polar(double cx, double cy, double r, double deg, double *x, double *y)
{
    double a = deg * M_PI / 180.0;
    *x = cx + r * cos(a);
    *y = cy - r * sin(a);
}

static void arc_path(struct strbuf *o, double cx, double cy, double r, double from_deg,
                     double to_deg)
{
    double x0, y0, x1, y1;
    polar(cx, cy, r, from_deg, &x0, &y0);
    polar(cx, cy, r, to_deg, &x1, &y1);
    strbuf_addstr(o, " d=\"M");
    svgi_num(o, x0);
    strbuf_addch(o, ' ');
    svgi_num(o, y0);
    strbuf_addstr(o, "A");
    svgi_num(o, r);
    strbuf_addch(o, ' ');
    svgi_num(o, r);
    strbuf_addstr(o, " 0 0 1 ");
    svgi_num(o, x1);
    strbuf_addch(o, ' ');
    svgi_num(o, y1);
    strbuf_addch(o, '"');
}

/* A caption on one line, or two (broken at a space when there is one in
 * the second half of what fits, else anywhere: CJK has no spaces), the
 * second cut with an ellipsis. Lines at y = 16 and 32, one line at 24. */
static void caption2(struct strbuf *o, double cx, double size, const char *s, double max_w)
{
    const char *bold = "font-weight=\"bold\"";
    bool cut;
    size_t n = svgi_fit_bytes(s, max_w / size + 1, &cut); /* +1: no ellipsis room */
    if (!cut) {
        svgi_text(o, cx, 24, "middle", size, NULL, C_TEXT, bold, s);
        return;
    }
    size_t brk = n, next = n;
    for (size_t i = n; i > n / 2; i--)
        if (s[i] == ' ') {
            brk = i;
            next = i + 1;
            break;
        }
    svgi_text_n(o, cx, 16, "middle", size, NULL, C_TEXT, bold, s, brk);
    svgi_text_fit(o, cx, 32, "middle", size, C_TEXT, bold, s + next, max_w);
}

v6m_err svg_gauge(struct strbuf *out, const struct svg_gauge *g)
{
    if (!out || !g)
        return V6M_ERR_INVALID_ARG;
    double max = g->max > 0 && isfinite(g->max) ? g->max : 1;
    bool hv = g->has_value && isfinite(g->value);
    bool ht = g->has_target && isfinite(g->target);
    size_t start = out->len;
    const double W = 220, H = 205, cx = 110, cy = 140, r = 85, sw = 22;
    svgi_open(out, W, H, "gauge", g->title);
    struct strbuf tip = STRBUF_INIT;

    /* track */
    strbuf_addstr(out, "<path class=\"v6m-track");
    strbuf_addstr(out, hv ? "\"" : " v6m-nodata\"");
    arc_path(out, cx, cy, r, 180, 0);
    strbuf_addf(out, " fill=\"none\" stroke=\"%s\"", hv ? C_TRACK : "#f3f4f6");
    svgi_anum(out, "stroke-width", sw);
    if (!hv)
        strbuf_addstr(out, " stroke-dasharray=\"6 5\"");
    strbuf_addstr(out, "/>");
    if (!hv) {
        /* a dashed outline so the empty gauge cannot read as 0% */
        strbuf_addf(out, "<path class=\"v6m-nodata\" fill=\"none\" stroke=\"%s\"", C_NODATA);
        strbuf_addstr(out, " stroke-width=\"1\" stroke-dasharray=\"4 3\" d=\"M");
        svgi_num(out, cx - r - sw / 2);
        strbuf_addch(out, ' ');
        svgi_num(out, cy);
        strbuf_addstr(out, "A");
        svgi_num(out, r + sw / 2);
        strbuf_addch(out, ' ');
        svgi_num(out, r + sw / 2);
        strbuf_addstr(out, " 0 0 1 ");
        svgi_num(out, cx + r + sw / 2);
        strbuf_addch(out, ' ');
        svgi_num(out, cy);
        strbuf_addstr(out, "L");
        svgi_num(out, cx + r - sw / 2);
        strbuf_addch(out, ' ');
        svgi_num(out, cy);
        strbuf_addstr(out, "A");
        svgi_num(out, r - sw / 2);
        strbuf_addch(out, ' ');
        svgi_num(out, r - sw / 2);
        strbuf_addstr(out, " 0 0 0 ");
        svgi_num(out, cx - r + sw / 2);
        strbuf_addch(out, ' ');
        svgi_num(out, cy);
        strbuf_addstr(out, "Z\"/>");
    }

    double frac = 0;
    if (hv) {
        frac = g->value / max;
        if (frac < 0)
            frac = 0;
        if (frac > 1)
            frac = 1;
        const char *cls = "v6m-s1", *col = svgi_palette[0].color;
        if (ht) {
            bool met = g->value >= g->target;
            cls = met ? "v6m-good" : "v6m-bad";
            col = met ? C_GOOD : C_BAD;
        }
        if (frac > 0) {
            strbuf_addf(out, "<path class=\"v6m-value %s\"", cls);
            arc_path(out, cx, cy, r, 180, 180 - 180 * frac);
            strbuf_addf(out, " fill=\"none\" stroke=\"%s\"", col);
            svgi_anum(out, "stroke-width", sw);
            strbuf_addstr(out, "/>");
        }
    }
    /* 0 and max at the ends */
    struct vfmt f;
    svgi_vfmt_pick(&f, g->unit, max);
    f.decimals = svgi_decimals_for(max * f.scale);
    strbuf_reset(&tip);
    svgi_vfmt_put(&tip, &f, 0);
    svgi_text(out, cx - r, cy + 16, "middle", 10, "v6m-tick", C_MUTED, NULL, tip.buf);
    strbuf_reset(&tip);
    svgi_vfmt_put(&tip, &f, max);
    svgi_text(out, cx + r, cy + 16, "middle", 10, "v6m-tick", C_MUTED, NULL, tip.buf);

    if (ht) {
        double tf = g->target / max;
        tf = tf < 0 ? 0 : tf > 1 ? 1 : tf;
        double deg = 180 - 180 * tf, x0, y0, x1, y1;
        polar(cx, cy, r - sw / 2 - 5, deg, &x0, &y0);
        polar(cx, cy, r + sw / 2 + 5, deg, &x1, &y1);
        strbuf_reset(&tip);
        strbuf_addstr(&tip, svgi_word(g->words, SVGI_W_TARGET));
        strbuf_addch(&tip, ' ');
        svg_format_value(&tip, g->unit, g->target, NULL);
        strbuf_addstr(out, "<g class=\"v6m-target\">");
        svgi_title(out, tip.buf);
        svgi_line(out, x0, y0, x1, y1, "v6m-target", C_TARGET, 3, NULL);
        strbuf_addstr(out, "</g>");
    }
    if (hv) {
        double deg = 180 - 180 * frac, x1, y1;
        polar(cx, cy, r - 4, deg, &x1, &y1);
        strbuf_reset(&tip);
        if (g->title && *g->title) {
            strbuf_addstr(&tip, g->title);
            strbuf_addstr(&tip, ": ");
        }
        svg_format_value(&tip, g->unit, g->value, NULL);
        strbuf_addstr(out, "<g>");
        svgi_title(out, tip.buf);
        strbuf_addstr(out, "<line class=\"v6m-needle\"");
        svgi_anum(out, "x1", cx);
        svgi_anum(out, "y1", cy);
        svgi_anum(out, "x2", x1);
        svgi_anum(out, "y2", y1);
        strbuf_addf(out, " stroke=\"%s\" stroke-width=\"3\" stroke-linecap=\"round\"/>", C_TARGET);
        strbuf_addstr(out, "<circle");
        svgi_anum(out, "cx", cx);
        svgi_anum(out, "cy", cy);
        strbuf_addf(out, " r=\"6\" class=\"v6m-hub\" fill=\"%s\"/>", C_TARGET);
        strbuf_addstr(out, "</g>");
        strbuf_reset(&tip);
        svg_format_value(&tip, g->unit, g->value, NULL);
        svgi_text(out, cx, cy + 38, "middle", 24, "v6m-value-text", C_TEXT, "font-weight=\"bold\"",
                  tip.buf);
    } else {
        svgi_text(out, cx, cy + 34, "middle", 17, "v6m-nodata", C_MUTED, "font-style=\"italic\"",
                  svgi_word(g->words, SVGI_W_NODATA));
    }
    if (ht) {
        strbuf_reset(&tip);
        strbuf_addstr(&tip, svgi_word(g->words, SVGI_W_TARGET));
        strbuf_addch(&tip, ' ');
        svg_format_value(&tip, g->unit, g->target, NULL);
        svgi_text(out, cx, cy + 56, "middle", 12, "v6m-target-text", C_MUTED, NULL, tip.buf);
    }
    if (g->caption && *g->caption)
        caption2(out, cx, 13, g->caption, W - 8);
    bool bad = strbuf_failed(&tip);
    strbuf_release(&tip);
    return svgi_finish(out, start, bad ? V6M_ERR_NOMEM : V6M_OK);
}

/* ---- stylesheet ------------------------------------------------------- */

const char *svg_stylesheet(void)
{
    return ".v6m-chart{display:block;margin:0.5em 0;font-family:" FONT_FAMILY "}\n"
           ".v6m-spark{display:inline-block}\n"
           ".v6m-line.v6m-s1{stroke:#1d4f91}.v6m-line.v6m-s2{stroke:#f28e2b}"
           ".v6m-line.v6m-s3{stroke:#2e7d32}.v6m-line.v6m-s4{stroke:#b07aa1}"
           ".v6m-line.v6m-s5{stroke:#e15759}.v6m-line.v6m-s6{stroke:#76b7b2}"
           ".v6m-line.v6m-s7{stroke:#9c755f}.v6m-line.v6m-s8{stroke:#bab0ac}\n"
           ".v6m-bar.v6m-s1,.v6m-dot.v6m-s1,.v6m-boxrect.v6m-s1{fill:#1d4f91}"
           ".v6m-bar.v6m-s2,.v6m-dot.v6m-s2,.v6m-boxrect.v6m-s2{fill:#f28e2b}"
           ".v6m-bar.v6m-s3,.v6m-dot.v6m-s3,.v6m-boxrect.v6m-s3{fill:#2e7d32}"
           ".v6m-bar.v6m-s4,.v6m-dot.v6m-s4,.v6m-boxrect.v6m-s4{fill:#b07aa1}"
           ".v6m-bar.v6m-s5,.v6m-dot.v6m-s5,.v6m-boxrect.v6m-s5{fill:#e15759}"
           ".v6m-bar.v6m-s6,.v6m-dot.v6m-s6,.v6m-boxrect.v6m-s6{fill:#76b7b2}"
           ".v6m-bar.v6m-s7,.v6m-dot.v6m-s7,.v6m-boxrect.v6m-s7{fill:#9c755f}"
           ".v6m-bar.v6m-s8,.v6m-dot.v6m-s8,.v6m-boxrect.v6m-s8{fill:#bab0ac}\n"
           ".v6m-bar.v6m-good{fill:" C_GOOD "}.v6m-bar.v6m-bad{fill:" C_BAD "}"
           ".v6m-value.v6m-good{stroke:" C_GOOD "}.v6m-value.v6m-bad{stroke:" C_BAD "}\n"
           ".v6m-chart title{display:none}\n"
           "@media print{.v6m-chart,.v6m-spark{break-inside:avoid;"
           "-webkit-print-color-adjust:exact;print-color-adjust:exact}"
           ".v6m-line{stroke-width:2.5}}\n";
}
