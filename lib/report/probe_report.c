/*
 * report/probe_report.c - renderers of probe results (v6mon probe): JSON
 * lines, CSV rows and the terminal report (v6mon/report.h; the JSON schema
 * is docs/probe-json.md, the checks docs/probe.md).
 *
 * Streaming: JSON lines and CSV rows are written one result at a time, so
 * the tool prints each site as it finishes and an interrupted run has
 * printed everything that finished. Each line is built in memory and
 * written with one fwrite() (see "JSON lines, built in memory" below). The
 * terminal report needs the whole run (it ranks), so it takes arrays of
 * results.
 *
 * Untrusted text: names, URLs, messages and evidence come from the input
 * list and from the web (pages, headers, DNS). Before they leave:
 *   JSON  invalid UTF-8 becomes U+FFFD (a JSON text must be UTF-8; the
 *         writer escapes quotes and control characters);
 *   CSV   the same, and RFC 4180 quoting: a field with a comma, quote, CR
 *         or LF, or with space at either end, is quoted, quotes doubled;
 *   text  control characters (C0, DEL, C1: an escape sequence in a page
 *         title must not drive the terminal) and invalid UTF-8 become '?',
 *         tab and newline a space; columns are padded by display width
 *         (East Asian wide characters count 2, combining marks 0: a small
 *         table of ranges after Unicode's EastAsianWidth W/F, not
 *         wcwidth(), which depends on the locale).
 *
 * Ranking of the terminal report: tested sites that do not support IPv6
 * first, then supported but not compliant, then compliant, each group by
 * score ascending, then name; sites that could not be tested (no IPv6 at
 * the vantage point) last. Category summary: I4 = supported / tested
 * sites; I5 = ratio of sums: pages passing / pages tested over the
 * category's crawled sites (home page counted as passing when W3 passed),
 * not the mean of the per-site concentrations, so a site with 200 pages
 * weighs more than one with 3, as the plan's "share of pages" reads; the
 * resource variant is v6 bytes / all bytes, summed likewise.
 */
#include <v6mon/report.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <v6mon/version.h>

#include "report/textfmt.h"
#include "util/strutil.h"

#define I4_TARGET 1.00
#define I5_TARGET 0.90
#define I6_TARGET 1.00
#define SITE_COL_MAX 36
#define CAT_COL_MAX 16
#define EVIDENCE_COLS 120
#define DETAIL_COLS 100

/* ---- UTF-8 ------------------------------------------------------------------- */

/* Decode one scalar value at s (n bytes left). Returns its length 1..4,
 * or 0 when the bytes there are not well-formed UTF-8 (overlong forms,
 * surrogates and values above U+10FFFF are not). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    uint32_t cp;
    while (n) {
        size_t k = utf8_next(p, n, &cp);
        if (!k)
            return false;
        p += k;
        n -= k;
    }
    return true;
}

/* A copy of s with every ill-formed byte replaced by U+FFFD; NULL when
 * out of memory. */
static char *utf8_repair(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 1);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    uint32_t cp;
    while (n) {
        size_t k = utf8_next(p, n, &cp);
        if (k) {
            memcpy(out + o, p, k);
            o += k;
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            k = 1;
        }
        p += k;
        n -= k;
    }
    out[o] = '\0';
    return out;
}

/* Display columns of a code point on a terminal. */
static int cp_width(uint32_t c)
{
    if ((c >= 0x0300 && c <= 0x036f) || (c >= 0x200b && c <= 0x200f) ||
        (c >= 0xfe00 && c <= 0xfe0f) || (c >= 0x1ab0 && c <= 0x1aff) ||
        (c >= 0x20d0 && c <= 0x20ff))
        return 0;
    if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
        (c >= 0x3041 && c <= 0x33ff) || (c >= 0x3400 && c <= 0x4dbf) ||
        (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf) ||
        (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
        (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
        (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
        (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd))
        return 2;
    return 1;
}

/* One displayable unit of untrusted text for the terminal: its bytes (or
 * a replacement) and width. */
struct tchar {
    const char *bytes;
    size_t len;   /* bytes consumed from the input */
    size_t outlen;
    int width;
};

static struct tchar term_char(const unsigned char *p, size_t n)
{
    struct tchar t;
    uint32_t cp;
    size_t k = utf8_next(p, n, &cp);
    if (!k) {
        t = (struct tchar){"?", 1, 1, 1};
    } else if (cp == '\t' || cp == '\n' || cp == '\r') {
        t = (struct tchar){" ", k, 1, 1};
    } else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
               cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
               (cp >= 0x2066 && cp <= 0x2069)) {
        /* Controls, and the bidi overrides that reorder what follows. */
        t = (struct tchar){"?", k, 1, 1};
    } else {
        t = (struct tchar){(const char *)p, k, k, cp_width(cp)};
    }
    return t;
}

static size_t text_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p), w = 0;
    while (n) {
        struct tchar t = term_char(p, n);
        w += (size_t)t.width;
        p += t.len;
        n -= t.len;
    }
    return w;
}

/* Write s made safe for a terminal, at most maxw columns (0 = no limit;
 * a cut string ends in "…"), then pad with spaces to `pad` columns.
 * Returns the columns written before padding. */
static size_t term_put(FILE *out, const char *s, size_t maxw, size_t pad)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p), w = 0;
    bool cut = maxw && text_width(s) > maxw;
    while (n) {
        struct tchar t = term_char(p, n);
        if (cut && w + (size_t)t.width > maxw - 1)
            break;
        fwrite(t.bytes, 1, t.outlen, out);
        w += (size_t)t.width;
        p += t.len;
        n -= t.len;
    }
    if (cut) {
        fputs("\xe2\x80\xa6", out);
        w++;
    }
    for (size_t i = w; i < pad; i++)
        fputc(' ', out);
    return w;
}

/* ---- JSON lines, built in memory -------------------------------------------------
 *
 * A site's line is ~2 kB and about 150 values; through the streaming
 * writer (json_writer.c) that was ~150 stdio calls and ~40 printf()
 * conversions per site, half of the prober's user time in a DNS-only run
 * (10,000 sites a second). Every line (site, app, run) is built here in
 * one buffer (on the stack, the heap past 4 kB) and leaves with one
 * fwrite(). The bytes are what the streaming writer wrote in compact mode:
 * the same separators, the same escapes (", \, \n, \r, \t, other C0
 * controls as \u00xx, everything else as is), integers in decimal, doubles
 * as "%.6g", non-finite numbers as null, and invalid UTF-8 repaired to
 * U+FFFD. */

struct line {
    char *s;
    size_t len, cap;
    bool heap, failed;
};

static uint64_t ms_of(uint64_t ns)
{
    return (ns + 500000u) / 1000000u;
}

static bool line_grow(struct line *b, size_t n)
{
    if (b->failed)
        return false;
    size_t cap = b->cap * 2;
    while (cap < b->len + n)
        cap *= 2;
    char *ns = b->heap ? realloc(b->s, cap) : malloc(cap);
    if (!ns) {
        b->failed = true;
        return false;
    }
    if (!b->heap)
        memcpy(ns, b->s, b->len);
    b->s = ns;
    b->cap = cap;
    b->heap = true;
    return true;
}

static inline bool line_room(struct line *b, size_t n)
{
    return (b->len + n <= b->cap && !b->failed) || line_grow(b, n);
}

static inline void line_put(struct line *b, const char *p, size_t n)
{
    if (!line_room(b, n))
        return;
    memcpy(b->s + b->len, p, n);
    b->len += n;
}

static inline void line_ch(struct line *b, char c)
{
    if (line_room(b, 1))
        b->s[b->len++] = c;
}

/* The writer's comma: before every key and array element but the first. */
static void line_sep(struct line *b)
{
    if (b->len && b->s[b->len - 1] != '{' && b->s[b->len - 1] != '[')
        line_ch(b, ',');
}

/* Key writers are inlined into their callers: the keys are literals, so
 * their strlen() and memcpy() fold into a few moves (a call to each cost
 * ~70 instructions a key, ~95 keys a site line). */
#define LINE_INLINE static inline __attribute__((always_inline))

/* ,"key": (keys are our own ASCII literals: nothing to escape) */
LINE_INLINE void line_key(struct line *b, const char *key)
{
    size_t n = strlen(key);
    if (!line_room(b, n + 4))
        return;
    char *p = b->s + b->len;
    if (b->len && p[-1] != '{' && p[-1] != '[')
        *p++ = ',';
    *p++ = '"';
    memcpy(p, key, n);
    p += n;
    *p++ = '"';
    *p++ = ':';
    b->len = (size_t)(p - b->s);
}

/* One escape, as json_write_escaped() writes it. */
static void line_escape1(struct line *b, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    switch (c) {
    case '"': line_put(b, "\\\"", 2); break;
    case '\\': line_put(b, "\\\\", 2); break;
    case '\n': line_put(b, "\\n", 2); break;
    case '\r': line_put(b, "\\r", 2); break;
    case '\t': line_put(b, "\\t", 2); break;
    default: {
        char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        line_put(b, u, 6);
        break;
    }
    }
}

/* n bytes known to be UTF-8, escaped. */
static void line_escaped(struct line *b, const unsigned char *p, size_t n)
{
    line_ch(b, '"');
    const unsigned char *run = p, *end = p + n;
    for (; p < end; p++) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        line_put(b, (const char *)run, (size_t)(p - run));
        line_escape1(b, c);
        run = p + 1;
    }
    line_put(b, (const char *)run, (size_t)(end - run));
    line_ch(b, '"');
}

/* n bytes of text as a JSON string (invalid UTF-8 -> U+FFFD).
 * One pass checks the UTF-8 and escapes; on the first ill-formed byte the
 * string is taken back and written again from a repaired copy. */
static void line_str_n(struct line *b, const char *s, size_t n)
{
    if (n == 0) { /* most strings of a line are empty: codes, messages */
        line_put(b, "\"\"", 2);
        return;
    }
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
    size_t mark = b->len;
    line_ch(b, '"');
    while (p < end) {
        /* Eight plain bytes at a time: none below 0x20, none from 0x80,
         * no '"' and no '\\' (the classic has-zero-byte test on x, on
         * x ^ '"' and on x ^ '\\'; the bytes are below 0x80, so the
         * subtraction borrows only from a byte that matched). */
        while (end - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
            uint64_t ctl = x - ones * 0x20;
            uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\');
            uint64_t hit = (x | ctl | (q - ones) | (bs - ones)) & high;
            if (hit)
                break;
            p += 8;
        }
        if (p >= end)
            break;
        unsigned char c = *p;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            p++;
            continue;
        }
        if (c >= 0x80) {
            uint32_t cp;
            size_t k = utf8_next(p, (size_t)(end - p), &cp);
            if (!k)
                goto repair;
            p += k;
            continue;
        }
        line_put(b, (const char *)run, (size_t)(p - run));
        line_escape1(b, c);
        run = ++p;
    }
    line_put(b, (const char *)run, (size_t)(end - run));
    line_ch(b, '"');
    return;
repair:
    b->len = mark;
    char *copy = malloc(n + 1);
    char *fixed = NULL;
    if (copy) {
        memcpy(copy, s, n);
        copy[n] = '\0';
        fixed = utf8_repair(copy);
        free(copy);
    }
    if (!fixed) {
        line_escaped(b, (const unsigned char *)"", 0);
        b->failed = true;
        return;
    }
    line_escaped(b, (const unsigned char *)fixed, strlen(fixed));
    free(fixed);
}

LINE_INLINE void line_str(struct line *b, const char *s)
{
    if (!s)
        s = "";
    line_str_n(b, s, strlen(s));
}

LINE_INLINE void lkstr(struct line *b, const char *key, const char *s)
{
    line_key(b, key);
    line_str(b, s);
}

static void line_u64(struct line *b, uint64_t v)
{
    if (v < 10) { /* counts of 0..9: most numbers of a line */
        line_ch(b, (char)('0' + v));
        return;
    }
    char d[20];
    size_t n = 0;
    do {
        d[sizeof d - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    line_put(b, d + sizeof d - n, n);
}

LINE_INLINE void lku64(struct line *b, const char *key, uint64_t v)
{
    line_key(b, key);
    line_u64(b, v);
}

LINE_INLINE void lki64(struct line *b, const char *key, int64_t v)
{
    line_key(b, key);
    if (v < 0) {
        line_ch(b, '-');
        line_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        line_u64(b, (uint64_t)v);
    }
}

LINE_INLINE void lkbool(struct line *b, const char *key, bool v)
{
    line_key(b, key);
    if (v)
        line_put(b, "true", 4);
    else
        line_put(b, "false", 5);
}

static void line_double(struct line *b, double v)
{
    /* Whole numbers below 10^6 are what "%.6g" writes as plain integers
     * (scores, shares of 0 and 1): no printf() for them. Not -0 ("-0"). */
    if (v >= 0 && v < 1e6 && !signbit(v) && v == (double)(uint32_t)v) {
        line_u64(b, (uint32_t)v);
        return;
    }
    char d[48];
    int n = isfinite(v) ? snprintf(d, sizeof d, "%.*g", 6, v) : -1;
    if (n > 0 && (size_t)n < sizeof d)
        line_put(b, d, (size_t)n);
    else
        line_put(b, "null", 4);
}

/* A share: null when negative or NaN. */
LINE_INLINE void lkshare(struct line *b, const char *key, double v)
{
    line_key(b, key);
    if (v < 0 || v != v)
        line_put(b, "null", 4);
    else
        line_double(b, v);
}

/* A space-separated list as an array of strings. */
static void lkwords(struct line *b, const char *key, const char *s)
{
    line_key(b, key);
    line_ch(b, '[');
    const char *p = s ? s : "";
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ' ' && *e != '\t' && *e != ',')
            e++;
        if (e > p) {
            line_sep(b);
            line_str_n(b, p, (size_t)(e - p));
        }
        p = e;
    }
    line_ch(b, ']');
}

/* "utc_key":"2025-11-26T12:26:40Z" (null for 0),"ns_key":ns */
LINE_INLINE void lktime(struct line *b, const char *utc_key, const char *ns_key, uint64_t ns)
{
    char utc[32];
    line_key(b, utc_key);
    if (ns)
        line_str(b, util_format_utc(ns, utc, sizeof utc));
    else
        line_put(b, "null", 4);
    lku64(b, ns_key, ns);
}

/* The line's newline, one fwrite(), and the buffer released. */
static v6m_err line_finish(struct line *b, FILE *out)
{
    line_ch(b, '\n');
    bool ok = !b->failed;
    if (b->len)
        fwrite(b->s, 1, b->len, out);
    if (b->failed) /* out of memory: the line is cut short, but ends */
        fputc('\n', out);
    if (b->heap)
        free(b->s);
    return ok && !ferror(out) ? V6M_OK : V6M_ERR_IO;
}

static void line_hops(struct line *b, const char *key, const struct v6m_hop *h, size_t n)
{
    line_key(b, key);
    line_ch(b, '[');
    for (size_t i = 0; h && i < n; i++) {
        line_sep(b);
        line_ch(b, '{');
        lkstr(b, "url", h[i].url);
        lki64(b, "family", h[i].family);
        lkstr(b, "address", h[i].address);
        lki64(b, "status", h[i].status);
        lkstr(b, "error", h[i].error);
        line_ch(b, '}');
    }
    line_ch(b, ']');
}

v6m_err v6m_report_probe_site_jsonl(FILE *out, const struct v6m_site_result *r)
{
    char stackbuf[4096];
    struct line lb = {.s = stackbuf, .cap = sizeof stackbuf};
    struct line *b = &lb;
    line_ch(b, '{');
    lkstr(b, "type", "site");
    lkstr(b, "name", r->name);
    lkstr(b, "url", r->url);
    lkstr(b, "category", r->category);
    lkstr(b, "unit", r->unit);
    lkstr(b, "host", r->host);
    lkbool(b, "testable", r->testable);
    lkbool(b, "supported", r->supported);
    lkbool(b, "compliant", r->compliant);
    line_key(b, "score");
    line_double(b, r->score);

    line_key(b, "checks");
    line_ch(b, '{');
    for (int k = 0; k < V6M_CHECKS; k++) {
        const struct v6m_check *c = &r->check[k];
        line_key(b, v6m_check_name((enum v6m_check_id)k));
        line_ch(b, '{');
        lkstr(b, "state", v6m_check_state_name(c->state));
        lkshare(b, "rate", c->rate);
        lku64(b, "passed", c->passed);
        lku64(b, "total", c->total);
        lkstr(b, "code", c->code);
        lkstr(b, "message", c->message);
        lkstr(b, "evidence", c->evidence);
        line_ch(b, '}');
    }
    line_ch(b, '}');

    lkstr(b, "cname_chain", r->cname_chain);
    lkwords(b, "addrs_v4", r->addrs_v4);
    lkwords(b, "addrs_v6", r->addrs_v6);
    lkstr(b, "zone", r->zone);
    lku64(b, "ns_total", r->ns_total);
    lku64(b, "ns_v6", r->ns_v6);
    lku64(b, "ns_v6_answering", r->ns_v6_answering);

    lki64(b, "status_v6", r->status_v6);
    lki64(b, "status_v4", r->status_v4);
    line_hops(b, "hops_v6", r->hops_v6, r->n_hops_v6);
    line_hops(b, "hops_v4", r->hops_v4, r->n_hops_v4);
    lku64(b, "attempts", r->attempts);
    lku64(b, "attempts_ok", r->attempts_ok);
    line_key(b, "similarity_distance");
    if (r->similarity_distance == UINT32_MAX)
        line_put(b, "null", 4);
    else
        line_u64(b, r->similarity_distance);
    lku64(b, "links_only_v4", r->links_only_v4);
    lku64(b, "links_only_v6", r->links_only_v6);
    lku64(b, "links_common", r->links_common);

    lku64(b, "l2_found", r->l2_found);
    lku64(b, "l3_found", r->l3_found);
    lku64(b, "l2_total", r->l2_total);
    lku64(b, "l2_pass", r->l2_pass);
    lku64(b, "l3_total", r->l3_total);
    lku64(b, "l3_pass", r->l3_pass);
    lkshare(b, "link_concentration", r->link_concentration);
    lku64(b, "res_total", r->res_total);
    lku64(b, "res_v6_ok", r->res_v6_ok);
    lku64(b, "res_bytes", r->res_bytes);
    lku64(b, "res_bytes_v6", r->res_bytes_v6);
    lkshare(b, "resource_concentration", r->resource_concentration);
    lkbool(b, "ipv6_only_ready", r->ipv6_only_ready);
    lkstr(b, "ipv6_only_blockers", r->ipv6_only_blockers);

    if (r->urls || r->n_urls) {
        line_key(b, "urls");
        line_ch(b, '[');
        for (size_t i = 0; r->urls && i < r->n_urls; i++) {
            const struct v6m_url_result *u = &r->urls[i];
            line_sep(b);
            line_ch(b, '{');
            lkstr(b, "url", u->url);
            lkstr(b, "host", u->host);
            lku64(b, "level", u->level);
            lkbool(b, "has_aaaa", u->has_aaaa);
            lkbool(b, "pass", u->pass);
            lki64(b, "status", u->status);
            lkstr(b, "code", u->code);
            lkstr(b, "detail", u->detail);
            line_ch(b, '}');
        }
        line_ch(b, ']');
    }
    if (r->resources || r->n_resources) {
        line_key(b, "resources");
        line_ch(b, '[');
        for (size_t i = 0; r->resources && i < r->n_resources; i++) {
            const struct v6m_resource *x = &r->resources[i];
            line_sep(b);
            line_ch(b, '{');
            lkstr(b, "url", x->url);
            lkstr(b, "host", x->host);
            lkstr(b, "kind", v6m_resource_kind_name(x->kind));
            lki64(b, "family_used", x->family_used);
            lkbool(b, "v6_ok", x->v6_ok);
            lku64(b, "bytes", x->bytes);
            lkstr(b, "detail", x->detail);
            line_ch(b, '}');
        }
        line_ch(b, ']');
    }
    lktime(b, "started_utc", "started_ns", r->started_ns);
    lku64(b, "duration_ms", ms_of(r->duration_ns));
    line_ch(b, '}');
    return line_finish(b, out);
}

v6m_err v6m_report_probe_app_jsonl(FILE *out, const struct v6m_app_result *a)
{
    char stackbuf[4096];
    struct line lb = {.s = stackbuf, .cap = sizeof stackbuf};
    struct line *b = &lb;
    line_ch(b, '{');
    lkstr(b, "type", "app");
    lkstr(b, "name", a->name);
    lkstr(b, "category", a->category);
    lkbool(b, "testable", a->testable);
    lkbool(b, "supported", a->supported);
    lku64(b, "n_domains", a->n_domains);
    lku64(b, "n_domains_ok", a->n_domains_ok);
    line_key(b, "domains");
    line_ch(b, '[');
    for (size_t i = 0; a->domains && i < a->n_domains_listed; i++) {
        const struct v6m_app_domain *d = &a->domains[i];
        line_sep(b);
        line_ch(b, '{');
        lkstr(b, "domain", d->domain);
        lkbool(b, "has_aaaa", d->has_aaaa);
        lkbool(b, "answers_v6", d->answers_v6);
        lki64(b, "status", d->status);
        lkwords(b, "addrs_v6", d->addrs_v6);
        lkstr(b, "code", d->code);
        lkstr(b, "detail", d->detail);
        line_ch(b, '}');
    }
    line_ch(b, ']');
    lku64(b, "duration_ms", ms_of(a->duration_ns));
    line_ch(b, '}');
    return line_finish(b, out);
}

static double run_seconds(const struct v6m_probe_info *info)
{
    if (!info->started_ns || info->finished_ns < info->started_ns)
        return -1;
    return (double)(info->finished_ns - info->started_ns) / 1e9;
}

v6m_err v6m_report_probe_run_jsonl(FILE *out, const struct v6m_probe_info *info)
{
    char stackbuf[4096];
    struct line lb = {.s = stackbuf, .cap = sizeof stackbuf};
    struct line *b = &lb;
    char seed[24];
    line_ch(b, '{');
    lkstr(b, "type", "run");
    lkstr(b, "schema", "v6mon.probe/1");
    lkstr(b, "tool_version", v6m_version());
    lktime(b, "started_utc", "started_ns", info->started_ns);
    lktime(b, "finished_utc", "finished_ns", info->finished_ns);
    double secs = run_seconds(info);
    lkshare(b, "duration_s", secs);
    lkshare(b, "sites_per_s", secs > 0 ? (double)info->sites_done / secs : -1);
    /* The seed as a decimal string: a uint64 does not survive a trip
     * through a double (JavaScript); --seed takes it back as given. */
    snprintf(seed, sizeof(seed), "%llu", (unsigned long long)info->seed);
    lkstr(b, "seed", seed);
    lkstr(b, "resolver", info->resolver);
    line_key(b, "vantage");
    line_ch(b, '{');
    lkbool(b, "checked", info->vantage.checked);
    lkbool(b, "v4_ok", info->vantage.v4_ok);
    lkbool(b, "v6_ok", info->vantage.v6_ok);
    lkstr(b, "detail", info->vantage.detail);
    line_ch(b, '}');
    lku64(b, "sites_total", info->sites_total);
    lku64(b, "sites_done", info->sites_done);
    lku64(b, "apps_total", info->apps_total);
    lku64(b, "apps_done", info->apps_done);
    lkbool(b, "interrupted", info->interrupted);
    lku64(b, "dns_queries", info->dns_queries);
    lku64(b, "dns_timeouts", info->dns_timeouts);
    lku64(b, "http_requests", info->http_requests);
    lku64(b, "http_failures", info->http_failures);
    lku64(b, "bytes", info->bytes);
    line_ch(b, '}');
    return line_finish(b, out);
}

/* ---- CSV ------------------------------------------------------------------------- */

void report_csv_field(FILE *out, const char *s)
{
    if (!s)
        s = "";
    char *fixed = utf8_valid(s) ? NULL : utf8_repair(s);
    const char *v = fixed ? fixed : s;
    size_t n = strlen(v);
    bool quote = strpbrk(v, ",\"\r\n") != NULL ||
                 (n && (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t'));
    if (!quote) {
        fputs(v, out);
    } else {
        fputc('"', out);
        for (const char *p = v; *p; p++) {
            if (*p == '"')
                fputc('"', out);
            fputc(*p, out);
        }
        fputc('"', out);
    }
    free(fixed);
}

static void csv_share(FILE *out, double v)
{
    fputc(',', out);
    if (v >= 0)
        fprintf(out, "%.6f", v);
}

static const char *tf(bool b)
{
    return b ? "true" : "false";
}

v6m_err v6m_report_probe_csv_header(FILE *out, bool apps)
{
    if (apps)
        fputs("app,category,testable,supported,domain,has_aaaa,answers_v6,status,addrs_v6,"
              "code,detail\n",
              out);
    else
        fputs("name,url,category,unit,testable,supported,compliant,score,w1,w2,w3,w4,w5,w6,"
              "w7,w4_rate,w6_rate,w7_rate,link_concentration,resource_concentration,"
              "ipv6_only_ready,code,message\n",
              out);
    return ferror(out) ? V6M_ERR_IO : V6M_OK;
}

/* The first failing check in W1..W7 order, or NULL. */
static const struct v6m_check *first_failure(const struct v6m_site_result *r)
{
    for (int k = 0; k < V6M_CHECKS; k++)
        if (r->check[k].state == V6M_CHECK_FAIL)
            return &r->check[k];
    return NULL;
}

v6m_err v6m_report_probe_csv_site(FILE *out, const struct v6m_site_result *r)
{
    report_csv_field(out, r->name);
    fputc(',', out);
    report_csv_field(out, r->url);
    fputc(',', out);
    report_csv_field(out, r->category);
    fputc(',', out);
    report_csv_field(out, r->unit);
    fprintf(out, ",%s,%s,%s,%.2f", tf(r->testable), tf(r->supported), tf(r->compliant),
            r->score == r->score ? r->score : 0.0);
    for (int k = 0; k < V6M_CHECKS; k++)
        fprintf(out, ",%s", v6m_check_state_name(r->check[k].state));
    csv_share(out, r->check[V6M_W4].rate);
    csv_share(out, r->check[V6M_W6].rate);
    csv_share(out, r->check[V6M_W7].rate);
    csv_share(out, r->link_concentration);
    csv_share(out, r->resource_concentration);
    fprintf(out, ",%s,", tf(r->ipv6_only_ready));
    const struct v6m_check *f = first_failure(r);
    report_csv_field(out, f ? f->code : "");
    fputc(',', out);
    report_csv_field(out, f ? f->message : "");
    fputc('\n', out);
    return ferror(out) ? V6M_ERR_IO : V6M_OK;
}

v6m_err v6m_report_probe_csv_app(FILE *out, const struct v6m_app_result *a)
{
    size_t n = a->domains ? a->n_domains_listed : 0;
    for (size_t i = 0; i < (n ? n : 1); i++) {
        report_csv_field(out, a->name);
        fputc(',', out);
        report_csv_field(out, a->category);
        fprintf(out, ",%s,%s,", tf(a->testable), tf(a->supported));
        if (!n) {
            fputs(",,,,,,\n", out); /* an app without domains: one row, blank domain */
            break;
        }
        const struct v6m_app_domain *d = &a->domains[i];
        report_csv_field(out, d->domain);
        fprintf(out, ",%s,%s,%ld,", tf(d->has_aaaa), tf(d->answers_v6), d->status);
        report_csv_field(out, d->addrs_v6);
        fputc(',', out);
        report_csv_field(out, d->code);
        fputc(',', out);
        report_csv_field(out, d->detail);
        fputc('\n', out);
    }
    return ferror(out) ? V6M_ERR_IO : V6M_OK;
}

/* ---- terminal report ---------------------------------------------------------------- */

enum { G_UNSUPPORTED = 0, G_NONCOMPLIANT, G_COMPLIANT, G_UNTESTED };

struct ranked {
    const struct v6m_site_result *r;
    size_t index; /* input order: the last tie-break keeps the sort stable */
    int group;
};

static int site_group(const struct v6m_site_result *r)
{
    if (!r->testable)
        return G_UNTESTED;
    if (!r->supported)
        return G_UNSUPPORTED;
    return r->compliant ? G_COMPLIANT : G_NONCOMPLIANT;
}

static int cmp_ranked(const void *pa, const void *pb)
{
    const struct ranked *a = pa, *b = pb;
    if (a->group != b->group)
        return a->group < b->group ? -1 : 1;
    double sa = a->r->score == a->r->score ? a->r->score : 0;
    double sb = b->r->score == b->r->score ? b->r->score : 0;
    if (sa != sb)
        return sa < sb ? -1 : 1;
    int c = strcmp(a->r->name ? a->r->name : "", b->r->name ? b->r->name : "");
    if (c)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

static const char *mark(enum v6m_check_state s)
{
    switch (s) {
    case V6M_CHECK_PASS: return "ok";
    case V6M_CHECK_FAIL: return "NO";
    case V6M_CHECK_NOT_TESTABLE: return "n/t";
    case V6M_CHECK_SKIPPED: return "-";
    }
    return "?";
}

static const char *site_label(const struct v6m_site_result *r)
{
    if (r->name && r->name[0])
        return r->name;
    if (r->host && r->host[0])
        return r->host;
    return r->url ? r->url : "";
}

static const char *cat_label(const char *c)
{
    return c && c[0] ? c : "(none)";
}

static size_t min_sz(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* "  CODE message (evidence)" for each failing check of a site. */
static void reason_lines(FILE *out, const struct v6m_site_result *r)
{
    for (int k = 0; k < V6M_CHECKS; k++) {
        const struct v6m_check *c = &r->check[k];
        if (c->state != V6M_CHECK_FAIL)
            continue;
        fputs("    ", out);
        if (c->code[0]) {
            term_put(out, c->code, 0, 0);
        } else {
            fputs(v6m_check_name((enum v6m_check_id)k), out);
            fputs("_FAIL", out);
        }
        if (c->message && c->message[0]) {
            fputc(' ', out);
            term_put(out, c->message, 0, 0);
        }
        if (c->evidence && c->evidence[0]) {
            fputs(" (", out);
            term_put(out, c->evidence, EVIDENCE_COLS, 0);
            fputc(')', out);
        }
        fputc('\n', out);
    }
}

struct cat_sum {
    const char *name;
    size_t sites, tested, supported, compliant;
    uint64_t pages, pages_pass;   /* I5: home + l2 + l3 of crawled sites */
    uint64_t res_bytes, res_bytes_v6;
};

static int cmp_cat(const void *pa, const void *pb)
{
    const struct cat_sum *a = pa, *b = pb;
    return strcmp(a->name, b->name);
}

static void cat_add(struct cat_sum *c, const struct v6m_site_result *r)
{
    c->sites++;
    if (!r->testable)
        return;
    c->tested++;
    c->supported += r->supported;
    c->compliant += r->compliant;
    if (r->link_concentration >= 0) {
        c->pages += 1u + (uint64_t)r->l2_total + r->l3_total;
        c->pages_pass += (r->check[V6M_W3].state == V6M_CHECK_PASS ? 1u : 0u) +
                         (uint64_t)r->l2_pass + r->l3_pass;
    }
    c->res_bytes += r->res_bytes;
    c->res_bytes_v6 += r->res_bytes_v6;
}

static double ratio(uint64_t num, uint64_t den)
{
    return den ? (double)num / (double)den : -1.0;
}

static void cat_row(FILE *out, const struct cat_sum *c, size_t w)
{
    char a[16], b[16], d[16], e[16];
    term_put(out, c->name, w, w + 2);
    fprintf(out, "%6zu %7zu %5zu %7s %6zu %7s %10s %9s\n", c->sites, c->tested, c->supported,
            report_pct(ratio(c->supported, c->tested), a, sizeof(a)), c->compliant,
            report_pct(ratio(c->compliant, c->tested), b, sizeof(b)),
            report_pct(ratio(c->pages_pass, c->pages), d, sizeof(d)),
            report_pct(ratio(c->res_bytes_v6, c->res_bytes), e, sizeof(e)));
}

static void text_categories(FILE *out, const struct v6m_site_result *const *sites, size_t n)
{
    struct cat_sum *cats = calloc(n ? n : 1, sizeof(*cats));
    struct cat_sum all = {.name = "all"};
    size_t nc = 0, w = 8;
    if (!cats)
        return;
    for (size_t i = 0; i < n; i++) {
        const char *name = cat_label(sites[i]->category);
        size_t j = 0;
        while (j < nc && strcmp(cats[j].name, name) != 0)
            j++;
        if (j == nc)
            cats[nc++].name = name;
        cat_add(&cats[j], sites[i]);
        cat_add(&all, sites[i]);
    }
    qsort(cats, nc, sizeof(*cats), cmp_cat);
    for (size_t j = 0; j < nc; j++)
        w = min_sz(CAT_COL_MAX, w > text_width(cats[j].name) ? w : text_width(cats[j].name));
    fputs("\nper category (I4 = supported / tested sites; I5 = pages passing / pages tested,\n"
          "summed over the category's crawled sites; res = IPv6 bytes / all resource bytes)\n",
          out);
    term_put(out, "category", w, w + 2);
    fprintf(out, "%6s %7s %13s %14s %10s %9s\n", "sites", "tested", "supported I4",
             "compliant", "links I5", "res");
    for (size_t j = 0; j < nc; j++)
        cat_row(out, &cats[j], w);
    if (nc > 1)
        cat_row(out, &all, w);
    char a[16], b[16], c[16], d[16];
    fprintf(out, "targets: I4 %s (now %s), I5 %s (now %s)\n",
            report_pct(I4_TARGET, a, sizeof(a)),
            report_pct(ratio(all.supported, all.tested), b, sizeof(b)),
            report_pct(I5_TARGET, c, sizeof(c)),
            report_pct(ratio(all.pages_pass, all.pages), d, sizeof(d)));
    free(cats);
}

static void text_sites(FILE *out, const struct v6m_site_result *const *sites, size_t n)
{
    struct ranked *rk = calloc(n ? n : 1, sizeof(*rk));
    if (!rk)
        return;
    size_t ws = 4, wc = 8;
    for (size_t i = 0; i < n; i++) {
        rk[i] = (struct ranked){sites[i], i, site_group(sites[i])};
        size_t a = text_width(site_label(sites[i]));
        size_t b = text_width(cat_label(sites[i]->category));
        ws = a > ws ? a : ws;
        wc = b > wc ? b : wc;
    }
    ws = min_sz(ws, SITE_COL_MAX);
    wc = min_sz(wc, CAT_COL_MAX);
    qsort(rk, n, sizeof(*rk), cmp_ranked);

    term_put(out, "site", ws, ws + 2);
    term_put(out, "category", wc, wc + 1);
    for (int k = 0; k < V6M_CHECKS; k++)
        fprintf(out, " %-3s", v6m_check_name((enum v6m_check_id)k));
    fprintf(out, " %6s %7s %7s\n", "score", "links", "res");
    int group = -1;
    for (size_t i = 0; i < n; i++) {
        const struct v6m_site_result *r = rk[i].r;
        if (rk[i].group != group) {
            static const char *const titles[] = {
                "-- no IPv6 support (W1 AAAA or W3 home page over IPv6 fails)",
                "-- IPv6 supported, not compliant",
                "-- compliant",
                "-- not testable from this vantage point",
            };
            group = rk[i].group;
            fprintf(out, "%s\n", titles[group]);
        }
        char a[16], b[16];
        term_put(out, site_label(r), ws, ws + 2);
        term_put(out, cat_label(r->category), wc, wc + 1);
        for (int k = 0; k < V6M_CHECKS; k++)
            fprintf(out, " %-3s", mark(r->check[k].state));
        fprintf(out, " %6.1f %7s %7s\n", r->score == r->score ? r->score : 0.0,
                report_pct(r->link_concentration, a, sizeof(a)),
                report_pct(r->resource_concentration, b, sizeof(b)));
        if (r->name && r->name[0] && group != G_COMPLIANT) {
            fputs("    ", out);
            term_put(out, r->url, 0, 0);
            fputc('\n', out);
        }
        reason_lines(out, r);
    }
    fputs("marks: ok pass, NO fail, n/t not testable, - skipped; links = link "
          "concentration, res = resource bytes over IPv6\n",
          out);
    free(rk);
}

static void text_apps(FILE *out, const struct v6m_app_result *const *apps, size_t n)
{
    size_t wa = 3, wc = 8, tested = 0, ok = 0;
    for (size_t i = 0; i < n; i++) {
        tested += apps[i]->testable;
        ok += apps[i]->testable && apps[i]->supported;
        size_t a = text_width(apps[i]->name), b = text_width(cat_label(apps[i]->category));
        wa = a > wa ? a : wa;
        wc = b > wc ? b : wc;
    }
    wa = min_sz(wa, SITE_COL_MAX);
    wc = min_sz(wc, CAT_COL_MAX);
    fputc('\n', out);
    term_put(out, "app", wa, wa + 2);
    term_put(out, "category", wc, wc + 2);
    fprintf(out, "%-9s %s\n", "IPv6", "domains ok");
    for (int pass = 0; pass < 2; pass++) {
        /* Apps that fail first, then the rest, each in input order. */
        for (size_t i = 0; i < n; i++) {
            const struct v6m_app_result *a = apps[i];
            bool bad = a->testable && !a->supported;
            if (bad != (pass == 0))
                continue;
            term_put(out, a->name, wa, wa + 2);
            term_put(out, cat_label(a->category), wc, wc + 2);
            fprintf(out, "%-9s %u/%u\n",
                    !a->testable ? "n/t" : a->supported ? "supported" : "NO", a->n_domains_ok,
                    a->n_domains);
            for (size_t d = 0; a->domains && d < a->n_domains_listed; d++) {
                const struct v6m_app_domain *dm = &a->domains[d];
                if (!dm->code || !dm->code[0])
                    continue;
                fputs("    ", out);
                term_put(out, dm->domain, 0, 0);
                fputc(' ', out);
                term_put(out, dm->code, 0, 0);
                if (dm->detail && dm->detail[0]) {
                    fputc(' ', out);
                    term_put(out, dm->detail, DETAIL_COLS, 0);
                }
                fputc('\n', out);
            }
        }
    }
    char a[16], b[16];
    fprintf(out, "I6 apps supporting IPv6: %zu of %zu tested, %s (target %s)\n", ok, tested,
            report_pct(ratio(ok, tested), a, sizeof(a)), report_pct(I6_TARGET, b, sizeof(b)));
}

static void text_run(FILE *out, const struct v6m_probe_info *info)
{
    double secs = run_seconds(info);
    bool apps_only = !info->sites_total && !info->sites_done;
    fputs("\nrun: ", out);
    if (!apps_only)
        fprintf(out, "%zu/%zu sites", info->sites_done, info->sites_total);
    if (info->apps_total || info->apps_done)
        fprintf(out, "%s%zu/%zu apps", apps_only ? "" : ", ", info->apps_done,
                info->apps_total);
    size_t done = apps_only ? info->apps_done : info->sites_done;
    if (secs >= 0)
        fprintf(out, " in %.1f s (%.2f %s/s)", secs, secs > 0 ? (double)done / secs : 0.0,
                apps_only ? "apps" : "sites");
    fprintf(out, "; seed %llu; resolver ", (unsigned long long)info->seed);
    term_put(out, info->resolver && info->resolver[0] ? info->resolver : "system", 0, 0);
    if (info->vantage.checked)
        fprintf(out, "; vantage IPv6 %s, IPv4 %s", info->vantage.v6_ok ? "ok" : "NOT WORKING",
                info->vantage.v4_ok ? "ok" : "NOT WORKING");
    else
        fputs("; vantage not checked", out);
    fprintf(out, "; v6mon %s", v6m_version());
    if (info->interrupted)
        fputs("; INTERRUPTED: results up to the stop", out);
    fputc('\n', out);
    if (info->vantage.checked && (!info->vantage.v6_ok || !info->vantage.v4_ok) &&
        info->vantage.detail[0]) {
        fputs("vantage: ", out);
        term_put(out, info->vantage.detail, 0, 0);
        fputc('\n', out);
    }
}

v6m_err v6m_report_probe_text(FILE *out, const struct v6m_site_result *const *sites,
                              size_t n_sites, const struct v6m_app_result *const *apps,
                              size_t n_apps, const struct v6m_probe_info *info)
{
    if (n_sites) {
        text_sites(out, sites, n_sites);
        text_categories(out, sites, n_sites);
    }
    if (n_apps)
        text_apps(out, apps, n_apps);
    if (!n_sites && !n_apps)
        fputs("no results\n", out);
    if (info)
        text_run(out, info);
    return ferror(out) ? V6M_ERR_IO : V6M_OK;
}
