/*
 * test_svg.c - the growable string buffer (util/strbuf) and the inline SVG
 * charts (report/svg).
 *
 * The charts are checked from the outside: the output must be well-formed
 * XML (a small checker here, and xmllint when it is installed), and the
 * marks must sit where the geometry says, computed here by hand from the
 * documented layout (the plot rectangle, the gauge's centre and radius)
 * and not from the code's own helpers: a 50% needle points straight up, a
 * value at the top of the y range is on the plot's top edge, a missing
 * bucket splits the line, text is escaped, and a German LC_NUMERIC does
 * not put commas into numbers.
 *
 * V6M_SVG_DEMO=/tmp/v6m-svg-demo.html ./test_svg also writes a page with
 * every chart kind (English and Chinese) for a person to look at.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report/labels.h"
#include "report/svg.h"
#include "util/strbuf.h"

/* ======================================================================
 * A small XML well-formedness checker: elements nest and close, names are
 * sane, attributes are quoted with '"', unique per element and contain no
 * '<'; '&' only starts a known entity or a character reference; no text
 * outside the root. Enough for what the charts emit (no comments, CDATA,
 * processing instructions or DOCTYPE).
 * ====================================================================== */

static bool name_char(char c, bool first)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':')
        return true;
    return !first && ((c >= '0' && c <= '9') || c == '-' || c == '.');
}

static const char *check_ref(const char *p)
{
    /* p at '&'; returns the char after ';' or NULL */
    static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (size_t i = 0; i < 5; i++)
        if (!strncmp(p, ents[i], strlen(ents[i])))
            return p + strlen(ents[i]);
    if (p[1] != '#')
        return NULL;
    const char *q = p + 2;
    bool hex = *q == 'x';
    if (hex)
        q++;
    const char *d = q;
    while ((*q >= '0' && *q <= '9') ||
           (hex && ((*q >= 'a' && *q <= 'f') || (*q >= 'A' && *q <= 'F'))))
        q++;
    if (q == d || *q != ';')
        return NULL;
    return q + 1;
}

static bool xml_wellformed(const char *s, char *why, size_t whylen)
{
    char stack[64][32];
    int depth = 0;
    bool root_seen = false;
    const char *p = s;
    while (*p) {
        if (*p == '<') {
            bool close = p[1] == '/';
            const char *q = p + (close ? 2 : 1);
            const char *n0 = q;
            if (!name_char(*q, true)) {
                snprintf(why, whylen, "bad tag name at %td", p - s);
                return false;
            }
            while (name_char(*q, false))
                q++;
            size_t nl = (size_t)(q - n0);
            if (nl >= 32) {
                snprintf(why, whylen, "long tag name at %td", p - s);
                return false;
            }
            if (close) {
                while (*q == ' ')
                    q++;
                if (*q != '>' || depth == 0 || strlen(stack[depth - 1]) != nl ||
                    strncmp(stack[depth - 1], n0, nl)) {
                    snprintf(why, whylen, "mismatched close tag at %td", p - s);
                    return false;
                }
                depth--;
                p = q + 1;
                continue;
            }
            if (depth == 0 && root_seen) {
                snprintf(why, whylen, "second root at %td", p - s);
                return false;
            }
            root_seen = true;
            char attrs[64][32];
            int na = 0;
            for (;;) {
                bool ws = false;
                while (*q == ' ' || *q == '\n' || *q == '\t') {
                    q++;
                    ws = true;
                }
                if (*q == '>' || (q[0] == '/' && q[1] == '>'))
                    break;
                if (!ws || !name_char(*q, true)) {
                    snprintf(why, whylen, "bad attribute at %td", q - s);
                    return false;
                }
                const char *a0 = q;
                while (name_char(*q, false))
                    q++;
                size_t al = (size_t)(q - a0);
                if (al >= 32 || na >= 64) {
                    snprintf(why, whylen, "attribute too long / too many at %td", q - s);
                    return false;
                }
                for (int i = 0; i < na; i++)
                    if (strlen(attrs[i]) == al && !strncmp(attrs[i], a0, al)) {
                        snprintf(why, whylen, "duplicate attribute at %td", a0 - s);
                        return false;
                    }
                memcpy(attrs[na], a0, al);
                attrs[na++][al] = '\0';
                if (q[0] != '=' || q[1] != '"') {
                    snprintf(why, whylen, "unquoted attribute at %td", q - s);
                    return false;
                }
                q += 2;
                while (*q && *q != '"') {
                    if (*q == '<') {
                        snprintf(why, whylen, "'<' in attribute at %td", q - s);
                        return false;
                    }
                    if (*q == '&') {
                        const char *r = check_ref(q);
                        if (!r) {
                            snprintf(why, whylen, "bad reference at %td", q - s);
                            return false;
                        }
                        q = r;
                        continue;
                    }
                    q++;
                }
                if (*q != '"') {
                    snprintf(why, whylen, "unterminated attribute");
                    return false;
                }
                q++;
            }
            if (*q == '/') {
                p = q + 2;
                continue;
            }
            if (depth >= 64) {
                snprintf(why, whylen, "too deep");
                return false;
            }
            memcpy(stack[depth], n0, nl);
            stack[depth++][nl] = '\0';
            p = q + 1;
            continue;
        }
        if (*p == '&') {
            const char *r = check_ref(p);
            if (!r) {
                snprintf(why, whylen, "bad reference in text at %td", p - s);
                return false;
            }
            p = r;
            continue;
        }
        if (*p == '>') {
            snprintf(why, whylen, "raw '>' in text at %td", p - s);
            return false;
        }
        if (depth == 0 && *p != ' ' && *p != '\n') {
            snprintf(why, whylen, "text outside the root at %td", p - s);
            return false;
        }
        p++;
    }
    if (depth != 0 || !root_seen) {
        snprintf(why, whylen, "unclosed elements (%d) or no root", depth);
        return false;
    }
    return true;
}

/* xmllint --noout on the text, when xmllint is installed: 1 ok, 0 bad,
 * -1 not available. */
static int xmllint_ok(const char *s)
{
    if (access("/usr/bin/xmllint", X_OK) != 0)
        return -1;
    char path[] = "/tmp/v6m-test-svg-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    size_t n = strlen(s);
    bool wrote = write(fd, s, n) == (ssize_t)n;
    close(fd);
    int rc = -1;
    if (wrote) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "/usr/bin/xmllint --noout %s 2>/dev/null", path);
        int st = system(cmd);
        rc = (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0) ? 1 : 0;
    }
    unlink(path);
    return rc;
}

static void assert_xml(const char *s)
{
    char why[128] = "";
    if (!xml_wellformed(s, why, sizeof why)) {
        fprintf(stderr, "not well-formed: %s\n%.2000s\n", why, s);
        fail();
    }
    int lint = xmllint_ok(s);
    if (lint == 0) {
        fprintf(stderr, "xmllint rejects:\n%.2000s\n", s);
        fail();
    }
}

/* ---- attribute and path readers ----------------------------------------- */

/* Start of the n-th (0-based) element whose class attribute contains the
 * word cls, or NULL. */
static const char *find_class(const char *s, const char *cls, int nth)
{
    const char *p = s;
    size_t cl = strlen(cls);
    while ((p = strstr(p, "class=\"")) != NULL) {
        const char *v = p + 7, *e = strchr(v, '"');
        if (!e)
            return NULL;
        const char *w = v;
        bool hit = false;
        while (w < e) {
            const char *we = w;
            while (we < e && *we != ' ')
                we++;
            if ((size_t)(we - w) == cl && !strncmp(w, cls, cl))
                hit = true;
            w = we + 1;
        }
        if (hit) {
            if (nth-- == 0) {
                const char *lt = p;
                while (lt > s && *lt != '<')
                    lt--;
                return lt;
            }
        }
        p = e;
    }
    return NULL;
}

static int count_class(const char *s, const char *cls)
{
    int n = 0;
    while (find_class(s, cls, n))
        n++;
    return n;
}

/* Value of attribute name of the element starting at el (NAN if none). */
static double attr_num(const char *el, const char *name)
{
    const char *end = strchr(el, '>');
    char key[40];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *a = strstr(el, key);
    if (!a || (end && a > end))
        return NAN;
    return strtod(a + strlen(key), NULL);
}

static const char *attr_str(const char *el, const char *name, char *buf, size_t len)
{
    const char *end = strchr(el, '>');
    char key[40];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *a = strstr(el, key);
    if (!a || (end && a > end))
        return NULL;
    a += strlen(key);
    const char *q = strchr(a, '"');
    size_t n = (size_t)(q - a) < len - 1 ? (size_t)(q - a) : len - 1;
    memcpy(buf, a, n);
    buf[n] = '\0';
    return buf;
}

struct pathinfo {
    int moves;         /* M commands */
    int points;        /* M and L points */
    double ymin, ymax; /* over M/L points */
    double xmin, xmax;
};

static void parse_path(const char *el, struct pathinfo *pi)
{
    memset(pi, 0, sizeof *pi);
    pi->ymin = pi->xmin = 1e300;
    pi->ymax = pi->xmax = -1e300;
    const char *d = strstr(el, " d=\"");
    assert_non_null(d);
    assert_true(d < strchr(el, '>')); /* an attribute of this element */
    d += 4;
    while (*d && *d != '"') {
        char c = *d++;
        if (c == 'M' || c == 'L') {
            char *e;
            double x = strtod(d, &e);
            double y = strtod(e, &e);
            d = e;
            pi->moves += c == 'M';
            pi->points++;
            pi->xmin = fmin(pi->xmin, x);
            pi->xmax = fmax(pi->xmax, x);
            pi->ymin = fmin(pi->ymin, y);
            pi->ymax = fmax(pi->ymax, y);
        }
    }
}

struct plot {
    double x, y, w, h;
};

static void get_plot(const char *svg, struct plot *p)
{
    const char *r = find_class(svg, "v6m-plot", 0);
    assert_non_null(r);
    p->x = attr_num(r, "x");
    p->y = attr_num(r, "y");
    p->w = attr_num(r, "width");
    p->h = attr_num(r, "height");
    assert_true(p->w > 50 && p->h > 30);
}

#define assert_near(a, b, eps)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps))) {                                                           \
            fprintf(stderr, "%s = %g, expected %g (+-%g)\n", #a, a_, b_, (double)(eps));           \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* ======================================================================
 * strbuf
 * ====================================================================== */

static void strbuf_grows_and_formats(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    assert_string_equal(sb.buf, "");
    assert_int_equal(sb.len, 0);
    for (int i = 0; i < 1000; i++)
        assert_true(strbuf_addf(&sb, "%d,", i));
    assert_int_equal(sb.len, 10 * 2 + 90 * 3 + 900 * 4);
    assert_memory_equal(sb.buf, "0,1,2,", 6);
    assert_string_equal(sb.buf + sb.len - 4, "999,");
    assert_int_equal(sb.buf[sb.len], '\0');
    strbuf_setlen(&sb, 2);
    assert_string_equal(sb.buf, "0,");
    assert_true(strbuf_addch(&sb, 'x'));
    assert_true(strbuf_add(&sb, "yz!", 2));
    assert_string_equal(sb.buf, "0,xyz");
    size_t n;
    char *s = strbuf_detach(&sb, &n);
    assert_string_equal(s, "0,xyz");
    assert_int_equal(n, 5);
    free(s);
    assert_string_equal(sb.buf, "");
    /* detaching an empty buffer still gives a string to free */
    s = strbuf_detach(&sb, &n);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    strbuf_release(&sb);
}

static void strbuf_cap_is_all_or_nothing_and_sticky(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb, 10);
    assert_true(strbuf_addstr(&sb, "12345678"));
    assert_false(strbuf_addstr(&sb, "abc")); /* 11 > 10: nothing appended */
    assert_string_equal(sb.buf, "12345678");
    assert_true(strbuf_failed(&sb));
    assert_false(strbuf_addch(&sb, 'x')); /* sticky, even though it would fit */
    assert_false(strbuf_addf(&sb, "%s", "y"));
    assert_string_equal(sb.buf, "12345678");
    strbuf_reset(&sb);
    assert_false(strbuf_failed(&sb));
    assert_true(strbuf_addf(&sb, "%s", "0123456789")); /* exactly the cap */
    assert_int_equal(sb.len, 10);
    assert_false(strbuf_addf(&sb, "%d", 1));
    assert_int_equal(sb.len, 10);
    strbuf_release(&sb);
    assert_int_equal(sb.max, 10);
    assert_false(strbuf_failed(&sb));
    /* a huge cap does not wrap around */
    strbuf_init(&sb, SIZE_MAX);
    assert_true(strbuf_addstr(&sb, "x"));
    assert_false(strbuf_grow(&sb, SIZE_MAX - 1));
    assert_string_equal(sb.buf, "x");
    strbuf_release(&sb);
}

static void strbuf_numbers_ignore_locale_rules(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    strbuf_addfixed(&sb, 2.5, 2);
    strbuf_addch(&sb, ' ');
    strbuf_addfixed(&sb, 0.125, 2); /* exact in binary: half away from zero */
    strbuf_addch(&sb, ' ');
    strbuf_addfixed(&sb, -0.125, 2);
    strbuf_addch(&sb, ' ');
    strbuf_addfixed(&sb, -0.004, 2); /* no negative zero */
    strbuf_addch(&sb, ' ');
    strbuf_addfixed(&sb, 1234567.0, 0);
    strbuf_addch(&sb, ' ');
    strbuf_addnum(&sb, 12.5, 2);
    strbuf_addch(&sb, ' ');
    strbuf_addnum(&sb, 3.0, 2);
    strbuf_addch(&sb, ' ');
    strbuf_addnum(&sb, -7.10, 2);
    strbuf_addch(&sb, ' ');
    strbuf_addnum(&sb, 0.001, 2);
    assert_string_equal(sb.buf, "2.50 0.13 -0.13 0.00 1234567 12.5 3 -7.1 0");
    size_t len = sb.len;
    assert_false(strbuf_addnum(&sb, NAN, 2));
    assert_false(strbuf_addnum(&sb, INFINITY, 2));
    assert_false(strbuf_addfixed(&sb, 1e15, 0));
    assert_int_equal(sb.len, len);
    assert_false(strbuf_failed(&sb)); /* an argument error, not a buffer error */
    strbuf_release(&sb);
}

static void strbuf_xml_escapes_and_repairs(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    assert_true(strbuf_addxml(&sb, "a<b & \"c\" 'd'>", SIZE_MAX));
    assert_string_equal(sb.buf, "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
    strbuf_reset(&sb);
    /* valid UTF-8 (2, 3 and 4 bytes) passes through */
    assert_true(strbuf_addxml(&sb, "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80", SIZE_MAX));
    assert_string_equal(sb.buf, "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80");
    strbuf_reset(&sb);
    /* a stray byte, a surrogate (3 bytes), a control char, a truncated
     * sequence, an overlong '/', U+FFFF */
    assert_true(strbuf_addxml(&sb, "x\xffy\xed\xa0\x80z\x01w\xe4\xb8", SIZE_MAX));
    assert_string_equal(sb.buf, "x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbdw"
                                "\xef\xbf\xbd\xef\xbf\xbd");
    strbuf_reset(&sb);
    assert_true(strbuf_addxml(&sb, "\xc0\xaf|\xef\xbf\xbf|\t\n", SIZE_MAX));
    assert_string_equal(sb.buf,
                        "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\t\n");
    strbuf_reset(&sb);
    /* max_bytes */
    assert_true(strbuf_addxml(&sb, "abc&def", 4));
    assert_string_equal(sb.buf, "abc&amp;");
    strbuf_release(&sb);
    /* all or nothing at the cap */
    strbuf_init(&sb, 8);
    assert_true(strbuf_addstr(&sb, "ab"));
    assert_false(strbuf_addxml(&sb, "cd&ef", SIZE_MAX)); /* "cd&amp;ef" = 9 > 6 left */
    assert_string_equal(sb.buf, "ab");
    strbuf_release(&sb);
}

/* ======================================================================
 * gauge
 * ====================================================================== */

/* Layout from svg.h: centre (110, 140), radius 85, needle length r - 4. */
#define GX 110.0
#define GY 140.0
#define GR 81.0

static char *render_gauge(bool has_value, double v, bool has_target, double t)
{
    struct strbuf sb = STRBUF_INIT;
    struct svg_gauge g = {.title = "IPv6 share",
                          .caption = "I2",
                          .unit = SVG_UNIT_SHARE,
                          .has_value = has_value,
                          .value = v,
                          .has_target = has_target,
                          .target = t};
    assert_int_equal(svg_gauge(&sb, &g), V6M_OK);
    assert_xml(sb.buf);
    return strbuf_detach(&sb, NULL);
}

static void gauge_needle_points_at_the_value(void **state)
{
    (void)state;
    struct {
        double v, x, y;
    } cases[] = {
        {0.5, GX, GY - GR},                                 /* straight up */
        {0.0, GX - GR, GY},                                 /* left */
        {1.0, GX + GR, GY},                                 /* right */
        {0.25, GX - GR * 0.70710678, GY - GR * 0.70710678}, /* 135 degrees */
        {1.7, GX + GR, GY},                                 /* clamped */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = render_gauge(true, cases[i].v, true, 0.7);
        const char *n = find_class(s, "v6m-needle", 0);
        assert_non_null(n);
        assert_near(attr_num(n, "x1"), GX, 0.01);
        assert_near(attr_num(n, "y1"), GY, 0.01);
        assert_near(attr_num(n, "x2"), cases[i].x, 0.02);
        assert_near(attr_num(n, "y2"), cases[i].y, 0.02);
        free(s);
    }
    /* the value printed as it is, the arc coloured by the target */
    char *s = render_gauge(true, 0.432, true, 0.7);
    assert_non_null(strstr(s, ">43.2%<"));
    assert_non_null(find_class(s, "v6m-bad", 0));
    assert_null(find_class(s, "v6m-good", 0));
    /* target marker at 70%: 54 degrees */
    const char *t = find_class(s, "v6m-target", 1); /* [0] is the <g> */
    assert_non_null(t);
    double ang =
        atan2(attr_num(t, "y1") - attr_num(t, "y2"), attr_num(t, "x2") - attr_num(t, "x1"));
    assert_near(ang * 180 / M_PI, 54.0, 0.05);
    free(s);
    s = render_gauge(true, 0.8, true, 0.7);
    assert_non_null(find_class(s, "v6m-good", 0));
    free(s);
}

static void gauge_no_data_is_not_zero(void **state)
{
    (void)state;
    char *s = render_gauge(false, 0, true, 0.7);
    assert_null(find_class(s, "v6m-needle", 0));
    assert_null(find_class(s, "v6m-value", 0));
    assert_null(find_class(s, "v6m-value-text", 0));
    assert_non_null(find_class(s, "v6m-nodata", 0));
    assert_non_null(strstr(s, ">no data<"));
    assert_non_null(find_class(s, "v6m-target", 0)); /* the target is still shown */
    free(s);
    /* a zero value is a value: needle at the left, "0%" */
    s = render_gauge(true, 0, false, 0);
    assert_non_null(find_class(s, "v6m-needle", 0));
    assert_non_null(strstr(s, ">0%<"));
    assert_null(strstr(s, "no data"));
    free(s);
}

/* ======================================================================
 * line chart
 * ====================================================================== */

static char *render_line(const struct svg_line_chart *c)
{
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(svg_line_chart(&sb, c), V6M_OK);
    assert_xml(sb.buf);
    assert_null(strstr(sb.buf, "nan"));
    assert_null(strstr(sb.buf, "inf"));
    return strbuf_detach(&sb, NULL);
}

static void line_maps_values_to_the_plot(void **state)
{
    (void)state;
    const int64_t D = 86400, T0 = 1704067200; /* 2024-01-01 */
    int64_t t[4] = {T0, T0 + D, T0 + 2 * D, T0 + 3 * D};
    double v[4] = {0.0, 1.0, 0.5, 0.25};
    struct svg_series s = {"IPv6", t, v, 4, SVG_STYLE_IPV6};
    struct svg_line_chart c = {.title = "share",
                               .unit = SVG_UNIT_SHARE,
                               .series = &s,
                               .n_series = 1,
                               .step_s = D,
                               .has_y_range = true,
                               .y_min = 0,
                               .y_max = 1};
    char *out = render_line(&c);
    struct plot p;
    get_plot(out, &p);
    /* four dots (short series), in order */
    assert_int_equal(count_class(out, "v6m-dot"), 4);
    for (int i = 0; i < 4; i++) {
        const char *d = find_class(out, "v6m-dot", i);
        assert_near(attr_num(d, "cx"), p.x + p.w * i / 3.0, 0.02);
        assert_near(attr_num(d, "cy"), p.y + p.h * (1 - v[i]), 0.02);
    }
    const char *path = find_class(out, "v6m-line", 1); /* [0] is the legend swatch */
    assert_non_null(path);
    struct pathinfo pi;
    parse_path(path, &pi);
    assert_int_equal(pi.moves, 1);
    assert_int_equal(pi.points, 4);
    assert_near(pi.ymin, p.y, 0.02);       /* 100% at the top edge */
    assert_near(pi.ymax, p.y + p.h, 0.02); /* 0% at the bottom edge */
    /* a tooltip with the UTC date and the value */
    assert_non_null(strstr(out, "2024-01-02 \xc2\xb7 IPv6: 100%"));
    free(out);

    /* auto range: the largest value (0.8, a whole number of 0.2 steps)
     * is the top of the axis */
    double v2[4] = {0.2, 0.5, 0.8, 0.4};
    s.v = v2;
    c.has_y_range = false;
    out = render_line(&c);
    get_plot(out, &p);
    assert_near(attr_num(find_class(out, "v6m-dot", 2), "cy"), p.y, 0.02);
    assert_non_null(strstr(out, ">80%<")); /* the top tick */
    free(out);
}

static void line_gaps_are_gaps(void **state)
{
    (void)state;
    const int64_t D = 86400, T0 = 1704067200;
    int64_t t[6];
    for (int i = 0; i < 6; i++)
        t[i] = T0 + i * D;
    double v[6] = {0.1, 0.2, NAN, 0.4, 0.5, 0.6};
    struct svg_series s = {"IPv6", t, v, 6, 0};
    struct svg_line_chart c = {.unit = SVG_UNIT_SHARE,
                               .series = &s,
                               .n_series = 1,
                               .step_s = D,
                               .has_y_range = true,
                               .y_min = 0,
                               .y_max = 1};
    char *out = render_line(&c);
    struct plot p;
    get_plot(out, &p);
    struct pathinfo pi;
    parse_path(find_class(out, "v6m-line", 1), &pi);
    assert_int_equal(pi.moves, 2);
    assert_int_equal(pi.points, 5);
    assert_true(pi.ymax < p.y + p.h - 1); /* nothing drawn at 0 */
    assert_int_equal(count_class(out, "v6m-dot"), 5);
    free(out);
    /* the NaN alone breaks the line (no step to compare with) */
    c.step_s = 0;
    out = render_line(&c);
    parse_path(find_class(out, "v6m-line", 1), &pi);
    assert_int_equal(pi.moves, 2);
    free(out);
    c.step_s = D;

    /* a missing bucket (no row at all) is a gap too, with step_s */
    int64_t t2[5] = {T0, T0 + D, T0 + 2 * D, T0 + 5 * D, T0 + 6 * D};
    double v2[5] = {0.1, 0.2, 0.3, 0.4, 0.5};
    s.t = t2;
    s.v = v2;
    s.n = 5;
    out = render_line(&c);
    parse_path(find_class(out, "v6m-line", 1), &pi);
    assert_int_equal(pi.moves, 2);
    free(out);
    /* without step_s, only NaN breaks */
    c.step_s = 0;
    out = render_line(&c);
    parse_path(find_class(out, "v6m-line", 1), &pi);
    assert_int_equal(pi.moves, 1);
    free(out);

    /* an isolated bucket is a bigger dot, not a line to zero */
    double v3[5] = {0.3, NAN, 0.5, 0.6, 0.7};
    s.t = t;
    s.v = v3;
    c.step_s = D;
    out = render_line(&c);
    parse_path(find_class(out, "v6m-line", 1), &pi);
    assert_int_equal(pi.moves, 1);
    assert_int_equal(pi.points, 3);
    const char *d0 = find_class(out, "v6m-dot", 0);
    assert_near(attr_num(d0, "r"), 3.5, 0.01);
    free(out);
}

static void line_one_point_and_flat_series(void **state)
{
    (void)state;
    int64_t t[1] = {1704067200};
    double v[1] = {0.42};
    struct svg_series s = {"IPv6", t, v, 1, 0};
    struct svg_line_chart c = {
        .unit = SVG_UNIT_SHARE, .series = &s, .n_series = 1, .step_s = 86400};
    char *out = render_line(&c);
    struct plot p;
    get_plot(out, &p);
    assert_null(find_class(out, "v6m-line", 1)); /* no path, only the legend swatch */
    const char *d = find_class(out, "v6m-dot", 0);
    assert_non_null(d);
    assert_near(attr_num(d, "cx"), p.x + p.w / 2, 0.02);
    free(out);

    int64_t t3[3] = {0, 3600, 7200};
    double v3[3] = {42, 42, 42};
    s.t = t3;
    s.v = v3;
    s.n = 3;
    c.unit = SVG_UNIT_MS;
    c.step_s = 3600;
    out = render_line(&c);
    struct pathinfo pi;
    parse_path(find_class(out, "v6m-line", 1), &pi);
    assert_near(pi.ymin, pi.ymax, 0.001);
    assert_true(pi.ymin > p.y && pi.ymin < p.y + p.h);
    free(out);

    /* no series at all */
    c.n_series = 0;
    out = render_line(&c);
    assert_non_null(strstr(out, ">no data<"));
    free(out);
}

static void line_downsamples_big_series(void **state)
{
    (void)state;
    const size_t n = 100000;
    int64_t *t = malloc(n * sizeof *t);
    double *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        t[i] = 1700000000 + (int64_t)i * 300;
        v[i] = 40 + 10 * sin((double)i / 500.0);
    }
    v[54321] = 500; /* one spike must survive */
    v[77777] = 1;   /* and one dip */
    for (size_t i = 20000; i < 21000; i++)
        v[i] = NAN; /* a long gap */
    struct svg_series s = {"RTT", t, v, n, 0};
    struct svg_line_chart c = {.unit = SVG_UNIT_MS,
                               .series = &s,
                               .n_series = 1,
                               .step_s = 300,
                               .has_target = true,
                               .target = 100};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    char *out = render_line(&c);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    struct plot p;
    get_plot(out, &p);
    struct pathinfo pi;
    parse_path(find_class(out, "v6m-line", 1), &pi);
    fprintf(stderr, "  100k points: %.1f ms, %zu bytes, %d path points, %d pieces\n", ms,
            strlen(out), pi.points, pi.moves);
    assert_true(pi.points <= 2 * (int)p.w + 2);
    assert_int_equal(pi.moves, 2);
    /* y axis 0..500 (nice), the spike at the top, the dip near the bottom */
    assert_near(pi.ymin, p.y, 0.02);
    assert_near(pi.ymax, p.y + p.h * (1 - 1.0 / 500), 0.02);
    assert_true(strlen(out) < 64 * 1024);
    assert_true(find_class(out, "v6m-target", 0) != NULL);
    free(out);
    free(t);
    free(v);
}

static void line_time_ticks_are_utc_dates(void **state)
{
    (void)state;
    /* 2024-01-30 .. 2024-04-02 daily: month ticks on the 1st (UTC) */
    const int64_t D = 86400, T0 = 1706572800; /* 2024-01-30 00:00 UTC */
    int64_t t[64];
    double v[64];
    for (int i = 0; i < 64; i++) {
        t[i] = T0 + i * D;
        v[i] = 0.3 + 0.001 * i;
    }
    struct svg_series s = {"x", t, v, 64, 0};
    struct svg_line_chart c = {.unit = SVG_UNIT_SHARE, .series = &s, .n_series = 1, .step_s = D};
    char *out = render_line(&c);
    /* weekly ticks on Mondays: 2024-02-05 is a Monday */
    bool weeks = strstr(out, ">02-05<") != NULL, months = strstr(out, ">2024-02<") != NULL;
    assert_true(weeks || months);
    if (weeks)
        assert_null(strstr(out, ">02-06<"));
    else
        assert_non_null(strstr(out, ">2024-03<"));
    assert_non_null(strstr(out, ">UTC<"));
    free(out);
    /* 29 Feb exists in 2024 */
    int64_t t1[2] = {1709164800, 1709251200}; /* 2024-02-29, 2024-03-01 */
    double v1[2] = {0.5, 0.6};
    s.t = t1;
    s.v = v1;
    s.n = 2;
    out = render_line(&c);
    assert_non_null(strstr(out, "2024-02-29 \xc2\xb7 x: 50%"));
    assert_non_null(strstr(out, "2024-03-01 \xc2\xb7 x: 60%"));
    free(out);
}

/* ======================================================================
 * bars, ranking, distributions, sparkline
 * ====================================================================== */

static void bars_heights_are_proportional(void **state)
{
    (void)state;
    const char *cats[] = {"mobile", "metro"};
    const char *names[] = {"IPv4", "IPv6"};
    enum svg_style st[] = {SVG_STYLE_IPV4, SVG_STYLE_IPV6};
    double vals[] = {100, 300, NAN, 50};
    struct svg_bar_chart c = {.title = "bytes",
                              .unit = SVG_UNIT_BYTES,
                              .categories = cats,
                              .n_categories = 2,
                              .series_names = names,
                              .styles = st,
                              .n_series = 2,
                              .values = vals};
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(svg_bar_chart(&sb, &c), V6M_OK);
    assert_xml(sb.buf);
    struct plot p;
    get_plot(sb.buf, &p);
    /* bars: [0],[1] are the legend swatches */
    const char *b100 = find_class(sb.buf, "v6m-bar", 2), *b300 = find_class(sb.buf, "v6m-bar", 3);
    assert_non_null(b300);
    double h100 = attr_num(b100, "height"), h300 = attr_num(b300, "height");
    assert_near(h300 / h100, 3.0, 0.01);
    /* the axis ends at 300 (a nice number): 300 fills the plot */
    assert_near(h300, p.h, 0.02);
    assert_near(attr_num(b300, "y"), p.y, 0.02);
    /* IPv6 is blue (style 1) in both the legend and the bars */
    char cls[64];
    assert_string_equal(attr_str(b300, "class", cls, sizeof cls), "v6m-bar v6m-s1");
    /* the missing one is a "no data" box with a tooltip */
    assert_non_null(find_class(sb.buf, "v6m-nodata", 0));
    assert_non_null(strstr(sb.buf, "metro \xc2\xb7 IPv4: no data"));
    strbuf_reset(&sb);

    /* stacked and normalised: 1:3 -> the second segment is 75% high */
    double v2[] = {1, 3, 2, 2};
    c.values = v2;
    c.stacked = true;
    c.normalize = true;
    assert_int_equal(svg_bar_chart(&sb, &c), V6M_OK);
    assert_xml(sb.buf);
    get_plot(sb.buf, &p);
    const char *seg = find_class(sb.buf, "v6m-bar", 3);
    assert_near(attr_num(seg, "height"), 0.75 * p.h, 0.02);
    assert_near(attr_num(seg, "y"), p.y, 0.02);
    assert_non_null(strstr(sb.buf, "mobile \xc2\xb7 IPv6: 3 B (75%)"));
    /* negative values cannot be stacked */
    v2[0] = -1;
    size_t len = sb.len;
    assert_int_equal(svg_bar_chart(&sb, &c), V6M_ERR_INVALID_ARG);
    assert_int_equal(sb.len, len);
    strbuf_release(&sb);
}

static void ranking_bars_and_target(void **state)
{
    (void)state;
    struct svg_rank_item it[] = {
        {"short", true, 1.0, NULL},
        {"half", true, 0.5, "W3 fails"},
        {"none", false, 0, NULL},
        {"a very very long site name that cannot possibly fit in the label column at all", true,
         0.95, NULL},
    };
    struct svg_ranking c = {.title = "I5",
                            .unit = SVG_UNIT_SHARE,
                            .items = it,
                            .n_items = 4,
                            .has_target = true,
                            .target = 0.9,
                            .width = 500};
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(svg_ranking(&sb, &c), V6M_OK);
    assert_xml(sb.buf);
    const char *full = find_class(sb.buf, "v6m-bar", 0), *half = find_class(sb.buf, "v6m-bar", 1);
    double wf = attr_num(full, "width"), wh = attr_num(half, "width");
    assert_near(wh / wf, 0.5, 0.001);
    char cls[64];
    assert_string_equal(attr_str(full, "class", cls, sizeof cls), "v6m-bar v6m-good");
    assert_string_equal(attr_str(half, "class", cls, sizeof cls), "v6m-bar v6m-bad");
    assert_non_null(strstr(sb.buf, "half: 50% \xe2\x80\x94 W3 fails"));
    /* the target line at 90% of the bar span */
    const char *tl = find_class(sb.buf, "v6m-target", 1);
    double x0 = attr_num(full, "x");
    assert_near(attr_num(tl, "x1"), x0 + 0.9 * wf, 0.02);
    /* no data row, a cut label with its full text as tooltip */
    assert_non_null(find_class(sb.buf, "v6m-nodata", 0));
    assert_non_null(strstr(sb.buf, "\xe2\x80\xa6</text>"));
    assert_non_null(strstr(sb.buf, "<title>a very very long site name that cannot possibly"));
    strbuf_release(&sb);
}

static void boxplot_quartiles(void **state)
{
    (void)state;
    double a[101];
    for (int i = 0; i < 100; i++)
        a[i] = i + 1; /* 1..100 */
    a[100] = 1000;    /* an outlier */
    struct svg_samples sm[2] = {{a, 100}, {a, 101}};
    const char *groups[] = {"page load"};
    const char *names[] = {"IPv4", "IPv6"};
    struct svg_boxplot c = {.unit = SVG_UNIT_MS,
                            .groups = groups,
                            .n_groups = 1,
                            .series_names = names,
                            .n_series = 2,
                            .samples = sm};
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(svg_boxplot(&sb, &c), V6M_OK);
    assert_xml(sb.buf);
    struct plot p;
    get_plot(sb.buf, &p);
    /* y axis 0..1000; type-7 quartiles of 1..100: 25.75, 50.5, 75.25 */
    const char *box = find_class(sb.buf, "v6m-boxrect", 0);
    double y = attr_num(box, "y"), h = attr_num(box, "height");
    assert_near(y, p.y + p.h * (1 - 75.25 / 1000), 0.02);
    assert_near(y + h, p.y + p.h * (1 - 25.75 / 1000), 0.02);
    const char *med = find_class(sb.buf, "v6m-median", 0);
    assert_near(attr_num(med, "y1"), p.y + p.h * (1 - 50.5 / 1000), 0.02);
    assert_non_null(strstr(sb.buf, "samples=100; median 50.5 ms"));
    /* the first box has no outlier; the second has one, at 1000 (top) */
    assert_int_equal(count_class(sb.buf, "v6m-outlier"), 1);
    assert_near(attr_num(find_class(sb.buf, "v6m-outlier", 0), "cy"), p.y, 0.5);
    strbuf_reset(&sb);
    /* an empty family is "no data" */
    sm[1].n = 0;
    assert_int_equal(svg_boxplot(&sb, &c), V6M_OK);
    assert_xml(sb.buf);
    assert_non_null(strstr(sb.buf, "page load \xc2\xb7 IPv6: no data"));
    strbuf_release(&sb);
}

static void cdf_steps_to_one(void **state)
{
    (void)state;
    double a[4] = {10, 20, 30, 40}, b[3] = {5, NAN, 80};
    struct svg_samples sm[2] = {{a, 4}, {b, 3}};
    const char *names[] = {"IPv4", "IPv6"};
    struct svg_cdf c = {.unit = SVG_UNIT_MS, .series_names = names, .n_series = 2, .samples = sm};
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(svg_cdf(&sb, &c), V6M_OK);
    assert_xml(sb.buf);
    assert_non_null(strstr(sb.buf, "IPv4: samples=4; median 25 ms"));
    assert_non_null(strstr(sb.buf, "IPv6: samples=2; median 42.5 ms"));
    strbuf_release(&sb);
}

static void sparkline_gaps_and_empty(void **state)
{
    (void)state;
    double v[6] = {1, 2, NAN, 3, 4, NAN};
    struct svg_sparkline c = {.title = "trend", .v = v, .n = 6};
    struct strbuf sb = STRBUF_INIT;
    assert_int_equal(svg_sparkline(&sb, &c), V6M_OK);
    assert_xml(sb.buf);
    struct pathinfo pi;
    parse_path(find_class(sb.buf, "v6m-line", 0), &pi);
    assert_int_equal(pi.moves, 2);
    /* the newest value (4, index 4) is the dot, at the top */
    const char *last = find_class(sb.buf, "v6m-last", 0);
    assert_near(attr_num(last, "cy"), 3, 0.01);
    assert_near(attr_num(last, "cx"), 3 + 94.0 * 4 / 5, 0.01);
    strbuf_reset(&sb);
    c.n = 0;
    assert_int_equal(svg_sparkline(&sb, &c), V6M_OK);
    assert_xml(sb.buf);
    assert_non_null(find_class(sb.buf, "v6m-nodata", 0));
    strbuf_release(&sb);
}

/* ======================================================================
 * escaping, locale, errors
 * ====================================================================== */

static void text_is_escaped_everywhere(void **state)
{
    (void)state;
    const char *evil = "<b>&\"x'</b>";
    const char *esc = "&lt;b&gt;&amp;&quot;x&#39;&lt;/b&gt;";
    struct strbuf sb = STRBUF_INIT;
    int64_t t[2] = {0, 86400};
    double v[2] = {1, 2};
    struct svg_series s = {evil, t, v, 2, 0};
    struct svg_words w = {.no_data = evil, .target = evil};
    struct svg_line_chart lc = {.title = evil,
                                .unit = SVG_UNIT_COUNT,
                                .series = &s,
                                .n_series = 1,
                                .has_target = true,
                                .target = 1.5,
                                .words = &w};
    assert_int_equal(svg_line_chart(&sb, &lc), V6M_OK);
    const char *cats[] = {evil};
    double bv[1] = {NAN};
    struct svg_bar_chart bc = {.title = evil,
                               .categories = cats,
                               .n_categories = 1,
                               .series_names = cats,
                               .n_series = 1,
                               .values = bv,
                               .words = &w};
    assert_int_equal(svg_bar_chart(&sb, &bc), V6M_OK);
    struct svg_rank_item it = {evil, false, 0, evil};
    struct svg_ranking rc = {.title = evil, .items = &it, .n_items = 1, .words = &w};
    assert_int_equal(svg_ranking(&sb, &rc), V6M_OK);
    struct svg_gauge g = {
        .title = evil, .caption = evil, .words = &w, .has_target = true, .target = 0.5};
    assert_int_equal(svg_gauge(&sb, &g), V6M_OK);
    struct svg_sparkline sp = {.title = evil, .v = v, .n = 2};
    assert_int_equal(svg_sparkline(&sb, &sp), V6M_OK);
    assert_null(strstr(sb.buf, evil));
    assert_non_null(strstr(sb.buf, esc));
    /* each chart on its own is well-formed; together they are siblings */
    struct strbuf doc = STRBUF_INIT;
    strbuf_addstr(&doc, "<div>");
    strbuf_add(&doc, sb.buf, sb.len);
    strbuf_addstr(&doc, "</div>");
    assert_xml(doc.buf);
    strbuf_release(&doc);
    strbuf_release(&sb);
}

/* Make LC_NUMERIC German. The system may not have the locale; then build
 * it once (localedef) into a cache directory and point LOCPATH at it. */
static bool german_numbers(void)
{
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8"))
        return true;
    char dir[256];
    snprintf(dir, sizeof dir, "%s/v6m-test-locale-%u", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (unsigned)getuid());
    char probe[300];
    snprintf(probe, sizeof probe, "%s/de_DE.UTF-8/LC_NUMERIC", dir);
    struct stat st;
    if (stat(probe, &st) != 0 && access("/usr/bin/localedef", X_OK) == 0) {
        mkdir(dir, 0700);
        char cmd[600];
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1", dir);
        if (system(cmd) == -1)
            return false;
    }
    setenv("LOCPATH", dir, 1);
    return setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL;
}

static void numbers_ignore_a_german_locale(void **state)
{
    (void)state;
    if (!german_numbers()) {
        fprintf(stderr, "  SKIP: no de_DE.UTF-8 locale and cannot build one\n");
        skip();
    }
    char probe[16];
    snprintf(probe, sizeof probe, "%.1f", 1.5);
    assert_string_equal(probe, "1,5"); /* the locale is really in effect */

    struct strbuf sb = STRBUF_INIT;
    int64_t t[3] = {1704067200, 1704153600, 1704240000};
    double v[3] = {0.125, 0.5, 0.875};
    struct svg_series s = {"IPv6", t, v, 3, 0};
    struct svg_line_chart lc = {
        .unit = SVG_UNIT_SHARE, .series = &s, .n_series = 1, .has_target = true, .target = 0.7};
    assert_int_equal(svg_line_chart(&sb, &lc), V6M_OK);
    struct svg_gauge g = {.unit = SVG_UNIT_SHARE,
                          .has_value = true,
                          .value = 0.4321,
                          .has_target = true,
                          .target = 0.7};
    assert_int_equal(svg_gauge(&sb, &g), V6M_OK);
    double ms[5] = {1.5, 2.25, 3.125, 10.5, 99.9};
    struct svg_samples sm = {ms, 5};
    const char *grp[] = {"g"};
    struct svg_boxplot bp = {
        .unit = SVG_UNIT_MS, .groups = grp, .n_groups = 1, .n_series = 1, .samples = &sm};
    assert_int_equal(svg_boxplot(&sb, &bp), V6M_OK);
    struct svg_cdf cd = {.unit = SVG_UNIT_MS, .n_series = 1, .samples = &sm};
    assert_int_equal(svg_cdf(&sb, &cd), V6M_OK);
    struct svg_sparkline sp = {.v = ms, .n = 5};
    assert_int_equal(svg_sparkline(&sb, &sp), V6M_OK);
    /* no digit,digit anywhere; decimals with a point exist */
    for (size_t i = 1; i + 1 < sb.len; i++)
        if (sb.buf[i] == ',' && sb.buf[i - 1] >= '0' && sb.buf[i - 1] <= '9' &&
            sb.buf[i + 1] >= '0' && sb.buf[i + 1] <= '9') {
            fprintf(stderr, "comma number at %zu: %.40s\n", i, sb.buf + i - 10);
            fail();
        }
    assert_non_null(strstr(sb.buf, ">43.2%<"));
    assert_non_null(strstr(sb.buf, "median 3.13 ms"));
    setlocale(LC_NUMERIC, "C");
    strbuf_release(&sb);
}

static void errors_leave_the_buffer_as_it_was(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "<keep/>");
    int64_t t[3] = {10, 5, 20}; /* not ascending */
    double v[3] = {1, 2, 3};
    struct svg_series s = {"x", t, v, 3, 0};
    struct svg_line_chart c = {.series = &s, .n_series = 1};
    assert_int_equal(svg_line_chart(&sb, &c), V6M_ERR_INVALID_ARG);
    assert_string_equal(sb.buf, "<keep/>");
    c.n_series = SVG_MAX_SERIES + 1;
    assert_int_equal(svg_line_chart(&sb, &c), V6M_ERR_INVALID_ARG);
    double inf[1] = {INFINITY};
    struct svg_sparkline sp = {.v = inf, .n = 1};
    assert_int_equal(svg_sparkline(&sb, &sp), V6M_ERR_INVALID_ARG);
    assert_int_equal(svg_gauge(&sb, NULL), V6M_ERR_INVALID_ARG);
    assert_string_equal(sb.buf, "<keep/>");
    strbuf_release(&sb);
    /* the cap: the chart is refused whole, the earlier text stays */
    strbuf_init(&sb, 600);
    strbuf_addstr(&sb, "<keep/>");
    int64_t t2[3] = {5, 10, 20};
    s.t = t2;
    c.n_series = 1;
    assert_int_equal(svg_line_chart(&sb, &c), V6M_ERR_NOMEM);
    assert_string_equal(sb.buf, "<keep/>");
    strbuf_release(&sb);
}

/* ======================================================================
 * the demo page
 * ====================================================================== */

static void demo_words(enum labels_lang lang, struct svg_words *w)
{
    w->no_data = labels_text(lang, "ui.no_data");
    w->target = labels_text(lang, "ui.target");
    w->median = labels_text(lang, "ui.median");
    w->samples = labels_text(lang, "ui.samples");
    w->time_utc = labels_text(lang, "ui.utc");
}

static void demo_section(struct strbuf *h, enum labels_lang L)
{
    struct svg_words w;
    demo_words(L, &w);
    strbuf_addf(h, "<h2>%s</h2><div class=\"gauges\">", L == LABELS_ZH ? "中文" : "English");
    static const char *const ids[] = {"I1", "I2", "I3", "I4"};
    double vals[] = {0.734, 0.412, NAN, 1.0};
    double tg[] = {0.7, 0.5, 0.15, 1.0};
    for (int i = 0; i < 4; i++) {
        struct svg_gauge g = {.title = labels_indicator(L, ids[i]),
                              .caption = labels_indicator(L, ids[i]),
                              .unit = SVG_UNIT_SHARE,
                              .has_value = !isnan(vals[i]),
                              .value = vals[i],
                              .has_target = true,
                              .target = tg[i],
                              .words = &w};
        assert_int_equal(svg_gauge(h, &g), V6M_OK);
    }
    strbuf_addstr(h, "</div>");

    /* trend: 13 months, one missing */
    enum { N = 13 };
    int64_t t[N];
    double mob[N], met[N];
    for (int i = 0; i < N; i++) {
        t[i] = 1675209600 + (int64_t)i * 2629800; /* ~monthly from 2023-02-01 */
        mob[i] = 0.38 + 0.012 * i + 0.01 * sin(i);
        met[i] = 0.09 + 0.004 * i;
    }
    mob[6] = NAN;
    struct svg_series ss[2] = {{labels_text(L, "seg.mobile"), t, mob, N, 0},
                               {labels_text(L, "seg.metro"), t, met, N, 0}};
    struct svg_line_chart lc = {.title = labels_text(L, "ui.trend"),
                                .unit = SVG_UNIT_SHARE,
                                .series = ss,
                                .n_series = 2,
                                .step_s = 2629800 * 3 / 2,
                                .has_target = true,
                                .target = 0.5,
                                .words = &w};
    assert_int_equal(svg_line_chart(h, &lc), V6M_OK);

    /* 100k points of RTT with a spike */
    static int64_t bt[100000];
    static double b4[100000], b6[100000];
    for (int i = 0; i < 100000; i++) {
        bt[i] = 1704067200 + (int64_t)i * 60;
        b4[i] = 30 + 5 * sin(i / 900.0) + (i % 97 == 0 ? 20 : 0);
        b6[i] = 33 + 6 * sin(i / 700.0) + (i % 89 == 0 ? 25 : 0);
    }
    b6[60000] = 180;
    for (int i = 30000; i < 33000; i++)
        b6[i] = NAN;
    struct svg_series rs[2] = {{"IPv4", bt, b4, 100000, SVG_STYLE_IPV4},
                               {"IPv6", bt, b6, 100000, SVG_STYLE_IPV6}};
    struct svg_line_chart rc = {.title = labels_metric(L, "icmp_rtt_median"),
                                .unit = SVG_UNIT_MS,
                                .series = rs,
                                .n_series = 2,
                                .step_s = 60,
                                .words = &w};
    assert_int_equal(svg_line_chart(h, &rc), V6M_OK);

    /* bars: bytes per segment */
    const char *cats[] = {labels_text(L, "seg.mobile"), labels_text(L, "seg.metro"), "BNG-03",
                          "egress-pudong"};
    const char *fam[] = {"IPv4", "IPv6"};
    enum svg_style fs[] = {SVG_STYLE_IPV4, SVG_STYLE_IPV6};
    double bytes[] = {6.1e12, 4.2e12, 8.5e12, 1.3e12, 2.2e11, 0.6e11, NAN, NAN};
    struct svg_bar_chart bc = {.title = labels_text(L, "ui.traffic_by_segment"),
                               .unit = SVG_UNIT_BYTES,
                               .categories = cats,
                               .n_categories = 4,
                               .series_names = fam,
                               .styles = fs,
                               .n_series = 2,
                               .values = bytes,
                               .words = &w};
    assert_int_equal(svg_bar_chart(h, &bc), V6M_OK);
    bc.stacked = true;
    bc.normalize = true;
    assert_int_equal(svg_bar_chart(h, &bc), V6M_OK);

    /* ranking with a target */
    struct svg_rank_item it[] = {
        {"中华人民共和国教育部", true, 1.0, NULL},
        {"上海市人民政府", true, 0.96, NULL},
        {"中国工商银行", true, 0.82, "W6"},
        {"复旦大学", true, 0.41, "W3_TIMEOUT"},
        {"www.example-hospital.sh.cn", false, 0, "W1_NO_AAAA"},
        {"新华网", true, 0.0, "W1_NO_AAAA"},
    };
    struct svg_ranking rk = {.title = labels_indicator(L, "I5"),
                             .unit = SVG_UNIT_SHARE,
                             .items = it,
                             .n_items = 6,
                             .has_target = true,
                             .target = 0.9,
                             .words = &w};
    assert_int_equal(svg_ranking(h, &rk), V6M_OK);

    /* distributions: page load per target, IPv4 vs IPv6 */
    static double p4[400], p6[400], q4[300], q6[300], r6[100];
    for (int i = 0; i < 400; i++) {
        p4[i] = 800 + 300 * sin(i * 1.7) * sin(i * 0.3) + (i % 50 == 0 ? 1500 : 0);
        p6[i] = 850 + 350 * sin(i * 1.3) * sin(i * 0.2) + (i % 40 == 0 ? 2000 : 0);
    }
    for (int i = 0; i < 300; i++) {
        q4[i] = 1200 + 400 * fabs(sin(i * 0.7));
        q6[i] = 1100 + 300 * fabs(sin(i * 0.9));
    }
    for (int i = 0; i < 100; i++)
        r6[i] = 600 + 200 * fabs(sin(i * 0.5));
    struct svg_samples sm[6] = {{p4, 400}, {p6, 400}, {q4, 300}, {q6, 300}, {q4, 0}, {r6, 100}};
    const char *groups[] = {"www.gov.cn", "www.sh.gov.cn", "www.moe.gov.cn"};
    struct svg_boxplot bp = {.title = labels_metric(L, "page_load_median"),
                             .unit = SVG_UNIT_MS,
                             .groups = groups,
                             .n_groups = 3,
                             .series_names = fam,
                             .styles = fs,
                             .n_series = 2,
                             .samples = sm,
                             .words = &w};
    assert_int_equal(svg_boxplot(h, &bp), V6M_OK);
    struct svg_cdf cd = {.title = labels_metric(L, "page_load_median"),
                         .unit = SVG_UNIT_MS,
                         .series_names = fam,
                         .styles = fs,
                         .n_series = 2,
                         .samples = sm,
                         .words = &w};
    assert_int_equal(svg_cdf(h, &cd), V6M_OK);

    /* sparklines in a table */
    strbuf_addstr(h, "<table><tr><th>");
    strbuf_addxml(h, labels_text(L, "ui.indicator"), SIZE_MAX);
    strbuf_addstr(h, "</th><th>");
    strbuf_addxml(h, labels_text(L, "ui.trend"), SIZE_MAX);
    strbuf_addstr(h, "</th></tr>");
    for (int r = 0; r < 3; r++) {
        strbuf_addstr(h, "<tr><td>");
        strbuf_addxml(h, labels_indicator(L, ids[r + 1]), SIZE_MAX);
        strbuf_addstr(h, "</td><td>");
        struct svg_sparkline sp = {.title = labels_indicator(L, ids[r + 1]),
                                   .unit = SVG_UNIT_SHARE,
                                   .v = r == 0 ? mob : met,
                                   .n = N,
                                   .has_target = true,
                                   .target = tg[r + 1]};
        if (r == 2)
            sp.n = 0;
        assert_int_equal(svg_sparkline(h, &sp), V6M_OK);
        strbuf_addstr(h, "</td></tr>");
    }
    strbuf_addstr(h, "</table>");
}

/* The same kinds at phone width: the layout adapts (fewer ticks, wrapped
 * legend, cut labels). */
static void demo_narrow(struct strbuf *h)
{
    enum labels_lang L = LABELS_ZH;
    struct svg_words w;
    demo_words(L, &w);
    strbuf_addstr(h, "<h2>360</h2>");
    int64_t t[24];
    double a[24], b[24];
    for (int i = 0; i < 24; i++) {
        t[i] = 1704067200 + (int64_t)i * 3600;
        a[i] = 20 + 10 * sin(i / 3.0);
        b[i] = i == 7 ? NAN : 24 + 9 * cos(i / 4.0);
    }
    struct svg_series ss[3] = {{labels_metric(L, "icmp_rtt_median"), t, a, 24, SVG_STYLE_IPV4},
                               {labels_metric(L, "tcp_rtt_median"), t, b, 24, SVG_STYLE_IPV6},
                               {labels_metric(L, "dns_time_median"), t, b, 12, SVG_STYLE_3}};
    struct svg_line_chart lc = {.title = labels_text(L, "ui.trend"),
                                .unit = SVG_UNIT_MS,
                                .series = ss,
                                .n_series = 3,
                                .step_s = 3600,
                                .has_target = true,
                                .target = 30,
                                .width = 360,
                                .height = 260,
                                .words = &w};
    assert_int_equal(svg_line_chart(h, &lc), V6M_OK);
    const char *cats[] = {labels_indicator(L, "I2"), labels_indicator(L, "I3"),
                          labels_indicator(L, "I7")};
    const char *fam[] = {"IPv4", "IPv6"};
    enum svg_style fs[] = {SVG_STYLE_IPV4, SVG_STYLE_IPV6};
    double v[] = {0.6, 0.4, 0.85, 0.15, 0.3, 0.7};
    struct svg_bar_chart bc = {.title = labels_text(L, "ui.traffic_share"),
                               .unit = SVG_UNIT_SHARE,
                               .categories = cats,
                               .n_categories = 3,
                               .series_names = fam,
                               .styles = fs,
                               .n_series = 2,
                               .values = v,
                               .width = 360,
                               .height = 260,
                               .words = &w};
    assert_int_equal(svg_bar_chart(h, &bc), V6M_OK);
    struct svg_rank_item it[] = {{"中华人民共和国国家互联网信息办公室", true, 0.97, NULL},
                                 {"上海交通大学", true, 0.6, NULL}};
    struct svg_ranking rk = {.title = labels_indicator(L, "I5"),
                             .unit = SVG_UNIT_SHARE,
                             .items = it,
                             .n_items = 2,
                             .has_target = true,
                             .target = 0.9,
                             .width = 360,
                             .words = &w};
    assert_int_equal(svg_ranking(h, &rk), V6M_OK);
}

static void demo_page(void **state)
{
    (void)state;
    struct strbuf h = STRBUF_INIT;
    strbuf_addstr(&h,
                  "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"zh-CN\">"
                  "<head><meta charset=\"utf-8\"/><meta name=\"viewport\" "
                  "content=\"width=device-width, initial-scale=1\"/>"
                  "<title>v6mon svg demo</title><style>");
    strbuf_addstr(&h,
                  "body{font-family:'Noto Sans CJK SC',sans-serif;max-width:960px;margin:1em auto;"
                  "padding:0 1em;color:#111827}.gauges{display:flex;flex-wrap:wrap;gap:8px}"
                  ".gauges svg{width:220px}td,th{padding:2px 8px;text-align:left}");
    strbuf_addstr(&h, svg_stylesheet());
    strbuf_addstr(&h, "</style></head><body>");
    demo_section(&h, LABELS_EN);
    demo_section(&h, LABELS_ZH);
    demo_narrow(&h);
    strbuf_addstr(&h, "</body></html>\n");
    assert_false(strbuf_failed(&h));
    /* the page minus its doctype line is XML too */
    const char *root = strstr(h.buf, "<html");
    assert_xml(root);
    /* self-contained: nothing fetched */
    assert_null(strstr(h.buf, "href"));
    assert_null(strstr(h.buf, "url("));
    assert_null(strstr(h.buf, "<script"));
    assert_null(strstr(h.buf, " id=\""));
    const char *path = getenv("V6M_SVG_DEMO");
    if (path && *path) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(h.buf, 1, h.len, f), h.len);
        assert_int_equal(fclose(f), 0);
        fprintf(stderr, "  demo: %s (%zu bytes)\n", path, h.len);
    }
    strbuf_release(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strbuf_grows_and_formats),
        cmocka_unit_test(strbuf_cap_is_all_or_nothing_and_sticky),
        cmocka_unit_test(strbuf_numbers_ignore_locale_rules),
        cmocka_unit_test(strbuf_xml_escapes_and_repairs),
        cmocka_unit_test(gauge_needle_points_at_the_value),
        cmocka_unit_test(gauge_no_data_is_not_zero),
        cmocka_unit_test(line_maps_values_to_the_plot),
        cmocka_unit_test(line_gaps_are_gaps),
        cmocka_unit_test(line_one_point_and_flat_series),
        cmocka_unit_test(line_downsamples_big_series),
        cmocka_unit_test(line_time_ticks_are_utc_dates),
        cmocka_unit_test(bars_heights_are_proportional),
        cmocka_unit_test(ranking_bars_and_target),
        cmocka_unit_test(boxplot_quartiles),
        cmocka_unit_test(cdf_steps_to_one),
        cmocka_unit_test(sparkline_gaps_and_empty),
        cmocka_unit_test(text_is_escaped_everywhere),
        cmocka_unit_test(numbers_ignore_a_german_locale),
        cmocka_unit_test(errors_leave_the_buffer_as_it_was),
        cmocka_unit_test(demo_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
