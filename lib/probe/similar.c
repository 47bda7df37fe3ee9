/*
 * probe/similar.c - see similar.h for the definitions (distance, nonce
 * rules, link sets).
 *
 * The stripper is a scanner over bytes, not an HTML parser: it only has to
 * find tags, their attributes and long token runs, and must never read
 * past the end. Output goes to a sink that either copies the bytes
 * (similar_strip) or only counts them into a 256-entry histogram
 * (similar_distance), so the distance needs no allocation. A tag is read
 * twice: once to learn whether it is a hidden <input> or a csrf <meta>,
 * once to emit it with the chosen values removed; both passes are linear
 * in the tag's length, so the whole is linear.
 *
 * Link sets: sort a copy of each pointer list (qsort, strcmp), drop
 * duplicates, merge. O(n log n).
 */
#include "probe/similar.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sink {
    uint8_t *out;   /* copy here, or */
    uint64_t *hist; /* count here */
    size_t n;       /* bytes emitted */
};

static void emit(struct sink *s, const uint8_t *p, size_t n)
{
    if (s->out) {
        memcpy(s->out + s->n, p, n);
    } else {
        for (size_t i = 0; i < n; i++)
            s->hist[p[i]]++;
    }
    s->n += n;
}

static bool tok_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/' || c == '=' || c == '_' || c == '-';
}

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool is_letter(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Emit in[0..n), dropping the long mixed token runs (rule 4). A run is
 * maximal within this span; spans end at attribute-value boundaries. */
static void emit_text(struct sink *s, const uint8_t *in, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && !tok_char(in[j]))
            j++;
        emit(s, in + i, j - i);
        if (j >= n)
            break;
        size_t k = j;
        bool digit = false, alpha = false;
        while (k < n && tok_char(in[k])) {
            digit |= in[k] >= '0' && in[k] <= '9';
            alpha |= is_letter(in[k]);
            k++;
        }
        if (!(k - j >= SIMILAR_TOKEN_MIN && digit && alpha))
            emit(s, in + j, k - j);
        i = k;
    }
}

struct attrv {
    size_t name, name_len; /* offsets into the tag */
    size_t val, val_len;
    bool has_val;
};

/* Next attribute of tag t[0..n) from *pos (HTML tokenizer splitting);
 * false at the end of the tag. */
static bool next_attr(const uint8_t *t, size_t n, size_t *pos, struct attrv *a)
{
    size_t i = *pos;
    while (i < n && (is_space(t[i]) || t[i] == '/'))
        i++;
    if (i >= n || t[i] == '>')
        return false;
    memset(a, 0, sizeof *a);
    a->name = i++; /* the first character may be '=' */
    while (i < n && !is_space(t[i]) && t[i] != '/' && t[i] != '>' && t[i] != '=')
        i++;
    a->name_len = i - a->name;
    size_t k = i;
    while (k < n && is_space(t[k]))
        k++;
    if (k < n && t[k] == '=') {
        k++;
        while (k < n && is_space(t[k]))
            k++;
        a->has_val = true;
        if (k < n && (t[k] == '"' || t[k] == '\'')) {
            uint8_t q = t[k++];
            a->val = k;
            const uint8_t *e = memchr(t + k, q, n - k);
            k = e ? (size_t)(e - t) : n;
            a->val_len = k - a->val;
            if (k < n)
                k++;
        } else {
            a->val = k;
            while (k < n && !is_space(t[k]) && t[k] != '>')
                k++;
            a->val_len = k - a->val;
        }
        i = k;
    }
    *pos = i;
    return true;
}

static bool span_is(const uint8_t *p, size_t n, const char *s)
{
    return n == strlen(s) && strncasecmp((const char *)p, s, n) == 0;
}

static bool span_has(const uint8_t *p, size_t n, const char *word)
{
    size_t wl = strlen(word);
    for (size_t i = 0; i + wl <= n; i++)
        if (strncasecmp((const char *)p + i, word, wl) == 0)
            return true;
    return false;
}

/* Length of the tag starting at t[0] == '<' (up to and including the
 * first '>' outside a quoted value, or to the end). */
static size_t tag_len(const uint8_t *t, size_t n)
{
    size_t i = 1;
    while (i < n && !is_space(t[i]) && t[i] != '/' && t[i] != '>')
        i++;
    size_t pos = i;
    struct attrv a;
    while (next_attr(t, n, &pos, &a))
        ;
    return pos < n ? pos + 1 : n; /* t[pos] == '>' when pos < n */
}

/* Emit one tag t[0..n) with rules 1-3 applied. */
static void emit_tag(struct sink *s, const uint8_t *t, size_t n)
{
    size_t i = 1;
    while (i < n && !is_space(t[i]) && t[i] != '/' && t[i] != '>')
        i++;
    bool is_input = span_is(t + 1, i - 1, "input"), is_meta = span_is(t + 1, i - 1, "meta");
    bool hidden = false, csrf_meta = false;
    size_t pos = i;
    struct attrv a;
    while ((is_input || is_meta) && next_attr(t, n, &pos, &a)) {
        if (is_input && span_is(t + a.name, a.name_len, "type") &&
            span_is(t + a.val, a.val_len, "hidden"))
            hidden = true;
        if (is_meta && span_is(t + a.name, a.name_len, "name") &&
            span_has(t + a.val, a.val_len, "csrf"))
            csrf_meta = true;
    }
    size_t last = 0;
    pos = i;
    while (next_attr(t, n, &pos, &a)) {
        const uint8_t *nm = t + a.name;
        bool drop = a.has_val &&
                    (span_is(nm, a.name_len, "nonce") || span_is(nm, a.name_len, "integrity") ||
                     span_has(nm, a.name_len, "csrf") ||
                     (hidden && span_is(nm, a.name_len, "value")) ||
                     (csrf_meta && span_is(nm, a.name_len, "content")));
        if (drop) {
            emit_text(s, t + last, a.val - last);
            last = a.val + a.val_len;
        }
    }
    emit_text(s, t + last, n - last);
}

static void strip(const uint8_t *in, size_t len, struct sink *s)
{
    size_t i = 0;
    while (i < len) {
        /* Text up to the next "<letter". */
        size_t j = i;
        for (;;) {
            const uint8_t *lt = j < len ? memchr(in + j, '<', len - j) : NULL;
            if (!lt) {
                j = len;
                break;
            }
            j = (size_t)(lt - in);
            if (j + 1 < len && is_letter(in[j + 1]))
                break;
            j++;
        }
        emit_text(s, in + i, j - i);
        if (j >= len)
            break;
        size_t n = tag_len(in + j, len - j);
        emit_tag(s, in + j, n);
        i = j + n;
    }
}

size_t similar_strip(const uint8_t *in, size_t len, uint8_t *out)
{
    struct sink s = {.out = out};
    if (len)
        strip(in, len, &s);
    return s.n;
}

/* Python's round() of a double (half to even) for 0 <= d <= 100. */
static unsigned round_half_even(double d)
{
    double f = floor(d);
    double r = d - f; /* exact for these magnitudes */
    unsigned u = (unsigned)f;
    if (r > 0.5 || (r == 0.5 && (u & 1u)))
        u++;
    return u;
}

unsigned similar_distance(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (alen > SIMILAR_INPUT_MAX)
        alen = SIMILAR_INPUT_MAX;
    if (blen > SIMILAR_INPUT_MAX)
        blen = SIMILAR_INPUT_MAX;
    uint64_t ha[256] = {0}, hb[256] = {0};
    struct sink sa = {.hist = ha}, sb = {.hist = hb};
    if (alen)
        strip(a, alen, &sa);
    if (blen)
        strip(b, blen, &sb);
    size_t length = sa.n + sb.n;
    if (length == 0)
        return 0; /* quick_ratio() of two empty sequences is 1.0 */
    uint64_t m = 0;
    for (int i = 0; i < 256; i++)
        m += ha[i] < hb[i] ? ha[i] : hb[i];
    double ratio = 2.0 * (double)m / (double)length;
    unsigned d = round_half_even(100.0 - 100.0 * ratio);
    return d > 100 ? 100 : d;
}

static int cmp_cstr(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Sorted distinct non-NULL strings of in[0..n) into *out (malloc); the
 * count, or SIZE_MAX when out of memory. */
static size_t sorted_unique(const char *const *in, size_t n, const char ***out)
{
    *out = NULL;
    if (n == 0)
        return 0;
    const char **v = malloc(n * sizeof *v);
    if (!v)
        return SIZE_MAX;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (in[i])
            v[k++] = in[i];
    if (k == 0) {
        free(v);
        return 0;
    }
    qsort(v, k, sizeof *v, cmp_cstr);
    size_t w = 1;
    for (size_t i = 1; i < k; i++)
        if (strcmp(v[i], v[w - 1]) != 0)
            v[w++] = v[i];
    *out = v;
    return w;
}

bool similar_linkset(const char *const *a, size_t na, const char *const *b, size_t nb,
                     struct linkset_diff *out)
{
    memset(out, 0, sizeof *out);
    const char **sa, **sb;
    size_t ua = sorted_unique(a, na, &sa), ub = sorted_unique(b, nb, &sb);
    if (ua == SIZE_MAX || ub == SIZE_MAX) {
        free(sa);
        free(sb);
        return false;
    }
    size_t i = 0, j = 0;
    while (i < ua && j < ub) {
        int c = strcmp(sa[i], sb[j]);
        if (c == 0) {
            out->common++;
            i++;
            j++;
        } else if (c < 0) {
            out->only_a++;
            i++;
        } else {
            out->only_b++;
            j++;
        }
    }
    out->only_a += ua - i;
    out->only_b += ub - j;
    free(sa);
    free(sb);
    return true;
}

bool similar_linkset_differs(const struct linkset_diff *d)
{
    size_t uni = d->only_a + d->only_b + d->common;
    return uni && 100 * (d->only_a + d->only_b) > LINKSET_DIFF_PCT * uni;
}
