/*
 * probe/similar.c - see similar.h for the definitions.
 *
 * The stripper is a small scanner over bytes, not an HTML parser: it only
 * needs to find attribute values inside tags and long token runs, and it
 * must never read past the end of the input. Inside a tag it reads
 * name=value pairs (quoted with " or ', or unquoted up to space or '>');
 * a tag is looked at twice: once to learn whether it is a hidden input or
 * a csrf <meta>, once to copy it with the chosen values removed.
 */
#include "probe/similar.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool tok_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/' || c == '=' || c == '_' || c == '-';
}

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Copy in[0..n) to out, dropping long mixed token runs. */
static size_t copy_text(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t w = 0, i = 0;
    while (i < n) {
        if (!tok_char(in[i])) {
            out[w++] = in[i++];
            continue;
        }
        size_t j = i;
        bool digit = false, alpha = false;
        while (j < n && tok_char(in[j])) {
            digit |= in[j] >= '0' && in[j] <= '9';
            alpha |= (in[j] >= 'A' && in[j] <= 'Z') || (in[j] >= 'a' && in[j] <= 'z');
            j++;
        }
        if (!(j - i >= SIMILAR_TOKEN_MIN && digit && alpha)) {
            memcpy(out + w, in + i, j - i);
            w += j - i;
        }
        i = j;
    }
    return w;
}

struct attrv {
    size_t name, name_len, val, val_len; /* offsets into the tag */
    bool has_val;
};

/* Next attribute of tag t[0..n) from *pos; false at the end. */
static bool next_attr(const uint8_t *t, size_t n, size_t *pos, struct attrv *a)
{
    size_t i = *pos;
    while (i < n && (is_space(t[i]) || t[i] == '/'))
        i++;
    if (i >= n || t[i] == '>')
        return false;
    memset(a, 0, sizeof *a);
    a->name = i;
    while (i < n && !is_space(t[i]) && t[i] != '=' && t[i] != '>' && t[i] != '/')
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
            while (k < n && t[k] != q)
                k++;
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
    if (a->name_len == 0)
        i++; /* stray character: step over it */
    *pos = i;
    return true;
}

static bool name_is(const uint8_t *t, const struct attrv *a, const char *s)
{
    return a->name_len == strlen(s) && strncasecmp((const char *)t + a->name, s, a->name_len) == 0;
}

static bool span_has(const uint8_t *p, size_t n, const char *word)
{
    size_t wl = strlen(word);
    for (size_t i = 0; i + wl <= n; i++)
        if (strncasecmp((const char *)p + i, word, wl) == 0)
            return true;
    return false;
}

/* Copy one tag t[0..n) (from '<' up to and including '>' when present). */
static size_t copy_tag(const uint8_t *t, size_t n, uint8_t *out)
{
    /* tag name */
    size_t i = 1;
    while (i < n && !is_space(t[i]) && t[i] != '>' && t[i] != '/')
        i++;
    bool is_meta = i - 1 == 4 && strncasecmp((const char *)t + 1, "meta", 4) == 0;
    bool hidden = false, csrf_meta = false;
    size_t pos = i;
    struct attrv a;
    while (next_attr(t, n, &pos, &a)) {
        if (name_is(t, &a, "type") && a.val_len == 6 &&
            strncasecmp((const char *)t + a.val, "hidden", 6) == 0)
            hidden = true;
        if (is_meta && name_is(t, &a, "name") &&
            (span_has(t + a.val, a.val_len, "csrf") || span_has(t + a.val, a.val_len, "token")))
            csrf_meta = true;
    }
    size_t w = 0;
    memcpy(out, t, i);
    w = i;
    pos = i;
    size_t last = i;
    while (next_attr(t, n, &pos, &a)) {
        bool drop = a.has_val &&
                    (name_is(t, &a, "nonce") || name_is(t, &a, "integrity") ||
                     span_has(t + a.name, a.name_len, "csrf") ||
                     span_has(t + a.name, a.name_len, "token") ||
                     (hidden && name_is(t, &a, "value")) ||
                     (csrf_meta && name_is(t, &a, "content")));
        if (drop) {
            /* copy up to the value, skip the value itself */
            w += copy_text(t + last, a.val - last, out + w);
            last = a.val + a.val_len;
        }
    }
    w += copy_text(t + last, n - last, out + w);
    return w;
}

size_t similar_strip(const uint8_t *in, size_t len, uint8_t *out)
{
    size_t w = 0, i = 0;
    while (i < len) {
        const uint8_t *lt = memchr(in + i, '<', len - i);
        size_t text_end = lt ? (size_t)(lt - in) : len;
        w += copy_text(in + i, text_end - i, out + w);
        i = text_end;
        if (i >= len)
            break;
        const uint8_t *gt = memchr(in + i, '>', len - i);
        size_t tag_end = gt ? (size_t)(gt - in) + 1 : len;
        w += copy_tag(in + i, tag_end - i, out + w);
        i = tag_end;
    }
    return w;
}

unsigned similar_distance(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (alen > SIMILAR_INPUT_MAX)
        alen = SIMILAR_INPUT_MAX;
    if (blen > SIMILAR_INPUT_MAX)
        blen = SIMILAR_INPUT_MAX;
    uint8_t *sa = malloc(alen ? alen : 1), *sb = malloc(blen ? blen : 1);
    if (!sa || !sb) {
        free(sa);
        free(sb);
        return 100;
    }
    size_t la = alen ? similar_strip(a, alen, sa) : 0;
    size_t lb = blen ? similar_strip(b, blen, sb) : 0;
    uint64_t ca[256] = {0}, cb[256] = {0};
    for (size_t i = 0; i < la; i++)
        ca[sa[i]]++;
    for (size_t i = 0; i < lb; i++)
        cb[sb[i]]++;
    free(sa);
    free(sb);
    if (la + lb == 0)
        return 0;
    uint64_t inter = 0;
    for (int i = 0; i < 256; i++)
        inter += ca[i] < cb[i] ? ca[i] : cb[i];
    double ratio = 2.0 * (double)inter / (double)(la + lb);
    double d = 100.0 - 100.0 * ratio;
    unsigned r = (unsigned)(d + 0.5);
    return r > 100 ? 100 : r;
}

static int cmp_cstr(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static size_t sorted_unique(const char *const *in, size_t n, const char ***out)
{
    *out = NULL;
    if (n == 0)
        return 0;
    const char **v = malloc(n * sizeof *v);
    if (!v)
        return 0;
    memcpy(v, in, n * sizeof *v);
    qsort(v, n, sizeof *v, cmp_cstr);
    size_t w = 1;
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i], v[w - 1]) != 0)
            v[w++] = v[i];
    *out = v;
    return w;
}

void similar_linkset(const char *const *a, size_t na, const char *const *b, size_t nb,
                     struct linkset_diff *out)
{
    memset(out, 0, sizeof *out);
    const char **sa, **sb;
    size_t ua = sorted_unique(a, na, &sa), ub = sorted_unique(b, nb, &sb);
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
}

bool similar_linkset_differs(const struct linkset_diff *d)
{
    size_t uni = d->only_a + d->only_b + d->common;
    return uni && (double)(d->only_a + d->only_b) > LINKSET_DIFF_MAX * (double)uni;
}
