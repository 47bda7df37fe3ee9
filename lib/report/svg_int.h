/*
 * report/svg_int.h - what the SVG chart files share (private to
 * report/svg*.c; the API is svg.h).
 *
 * svg.c       writers (elements, escaped text, locale-free numbers), text
 *             measuring, value formats, nice axes, legend, the gauge, the
 *             stylesheet;
 * svg_line.c  time axis (UTC calendar), line chart, sparkline;
 * svg_cat.c   category axis, bars, ranking, box plot, CDF.
 *
 * Every writer appends to the strbuf it is given and ignores append
 * failures: the strbuf's sticky flag records them and svgi_finish() turns
 * a failed buffer into V6M_ERR_NOMEM and cuts the output back. `extra`
 * parameters are literal attribute text from these files, never caller
 * text (which always goes through svgi_xml / strbuf_addxml).
 */
#ifndef V6M_REPORT_SVG_INT_H
#define V6M_REPORT_SVG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/svg.h"

/* ---- palette and fixed colours ---------------------------------------- */

struct pal {
    const char *color; /* fallback fill/stroke */
    const char *dash;  /* line dash pattern, NULL = solid */
};
extern const struct pal svgi_palette[8]; /* series styles 1..8 at [0..7] */

#define C_GOOD "#2e7d32"
#define C_BAD "#e8756a"
#define C_TRACK "#e5e7eb"
#define C_GRID "#e5e7eb"
#define C_AXIS "#9ca3af"
#define C_TEXT "#374151"
#define C_MUTED "#6b7280"
#define C_TARGET "#111827"
#define C_NODATA "#9ca3af"

#define FONT_FAMILY                                                                                \
    "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',"      \
    "sans-serif"

/* Palette index (0..7) of a series: its style, else its position. */
int svgi_style_index(enum svg_style st, size_t pos);

/* The caller's word or the English default. */
enum { SVGI_W_NODATA = 0, SVGI_W_TARGET, SVGI_W_MEDIAN, SVGI_W_SAMPLES, SVGI_W_UTC };
const char *svgi_word(const struct svg_words *w, int which);

/* ---- element writers ---------------------------------------------------- */

void svgi_num(struct strbuf *o, double v);                    /* 2 decimals max */
void svgi_anum(struct strbuf *o, const char *name, double v); /* ' name="v"' */
void svgi_xml(struct strbuf *o, const char *s);               /* escaped; NULL: nothing */
void svgi_title(struct strbuf *o, const char *s);             /* <title>; "" / NULL: none */
void svgi_text_n(struct strbuf *o, double x, double y, const char *anchor, double size,
                 const char *cls, const char *fill, const char *extra, const char *s,
                 size_t nbytes);
void svgi_text(struct strbuf *o, double x, double y, const char *anchor, double size,
               const char *cls, const char *fill, const char *extra, const char *s);
/* Text cut to max_w units with an ellipsis (the full text as <title>). */
void svgi_text_fit(struct strbuf *o, double x, double y, const char *anchor, double size,
                   const char *fill, const char *extra, const char *s, double max_w);
void svgi_line(struct strbuf *o, double x1, double y1, double x2, double y2, const char *cls,
               const char *stroke, double width, const char *dash);
/* Open a <rect ... (class="cls" / class="cls v6m-sK"); the caller closes
 * it with "/>" or ">" + <title> + "</rect>". */
void svgi_rect(struct strbuf *o, double x, double y, double w, double h, const char *cls,
               const char *fill);
void svgi_rect_s(struct strbuf *o, double x, double y, double w, double h, const char *cls,
                 int style, const char *fill);
void svgi_dot(struct strbuf *o, double x, double y, double r, int style, const char *tip);
/* <svg ...> with the viewBox, size, font and the <title>. */
void svgi_open(struct strbuf *o, double w, double h, const char *kind, const char *title);
/* The bold title line; returns the y where the content starts. */
double svgi_title_line(struct strbuf *o, const char *title, bool hide, double w);
/* Close the chart, or on error (or a failed buffer) cut out back to start. */
v6m_err svgi_finish(struct strbuf *o, size_t start, v6m_err e);
bool svgi_finite_or_nan(double v);

/* ---- text measure --------------------------------------------------------- */

double svgi_text_em(const char *s); /* estimated width in em */
size_t svgi_fit_bytes(const char *s, double max_em, bool *cut);

/* ---- values and axes -------------------------------------------------------- */

struct vfmt {
    double scale;       /* display = value * scale */
    const char *suffix; /* "%", " ms", " GB" ... */
    int decimals;
};
int svgi_decimals_for(double step);
void svgi_vfmt_pick(struct vfmt *f, enum svg_unit u, double mag);
void svgi_vfmt_put(struct strbuf *o, const struct vfmt *f, double v);
void svgi_vfmt_axis(struct vfmt *f, enum svg_unit u, double lo, double hi, double step);

struct axis {
    double lo, hi, step; /* drawn range and tick step */
};
/* [lo, hi] widened to whole nice steps (about target ticks) unless fixed. */
void svgi_axis_make(struct axis *a, double lo, double hi, int target, bool fixed);
/* y of v (clamped to the axis) in a plot [top, top + h]. */
double svgi_axis_y(const struct axis *a, double v, double top, double h);
void svgi_axis_y_draw(struct strbuf *o, const struct axis *a, enum svg_unit u, double x0, double w,
                      double top, double h);
double svgi_axis_label_em(const struct axis *a, enum svg_unit u);

/* ---- legend ----------------------------------------------------------------- */

enum swatch { SW_LINE, SW_BOX };
/* Entries across [x, x + w] from y, wrapped; returns the height used. */
double svgi_legend(struct strbuf *o, double x, double y, double w, const char *const *names,
                   const int *styles, size_t n, enum swatch kind);

#endif
