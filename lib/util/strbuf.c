/*
 * util/strbuf.c - see strbuf.h.
 *
 * Growth doubles the allocation (at least 64 bytes, at most cap + 1) so n
 * appends cost O(total length). Every append first computes whether the
 * whole piece fits under the cap and can be allocated; only then does it
 * copy, which is what makes "all or nothing" hold.
 *
 * strbuf_addfixed() formats through integers: |v| * 10^d is rounded to an
 * unsigned integer (refused when that passes 9.2e18, so the conversion is
 * defined: |v| < 1e15 always works up to 3 decimals), then the integer and
 * fraction parts are printed with %llu / %0*llu, which no locale changes.
 */
#include "util/strbuf.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char strbuf_slop[1] = "";

static size_t cap_of(const struct strbuf *sb)
{
    if (!sb->max)
        return STRBUF_DEFAULT_MAX;
    return sb->max < SIZE_MAX / 2 ? sb->max : SIZE_MAX / 2; /* cap + 1 must not wrap */
}

void strbuf_init(struct strbuf *sb, size_t max)
{
    sb->buf = (char *)strbuf_slop;
    sb->len = 0;
    sb->alloc = 0;
    sb->max = max;
    sb->failed = false;
}

void strbuf_release(struct strbuf *sb)
{
    if (sb->alloc)
        free(sb->buf);
    strbuf_init(sb, sb->max);
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
    char *s;
    size_t n = sb->len;
    if (sb->alloc) {
        s = sb->buf;
    } else {
        s = malloc(1);
        if (s)
            s[0] = '\0';
    }
    if (len)
        *len = s ? n : 0;
    strbuf_init(sb, sb->max);
    return s;
}

void strbuf_reset(struct strbuf *sb)
{
    sb->len = 0;
    if (sb->alloc)
        sb->buf[0] = '\0';
    sb->failed = false;
}

void strbuf_setlen(struct strbuf *sb, size_t newlen)
{
    if (newlen > sb->len)
        return;
    sb->len = newlen;
    if (sb->alloc)
        sb->buf[newlen] = '\0';
}

bool strbuf_grow(struct strbuf *sb, size_t extra)
{
    if (sb->failed)
        return false;
    size_t cap = cap_of(sb);
    if (extra > cap || sb->len > cap - extra) {
        sb->failed = true;
        return false;
    }
    size_t need = sb->len + extra + 1;
    if (need <= sb->alloc)
        return true;
    size_t a = sb->alloc ? sb->alloc : 64;
    while (a < need)
        a = a > SIZE_MAX / 2 ? need : a * 2;
    if (a > cap + 1)
        a = cap + 1;
    char *p = realloc(sb->alloc ? sb->buf : NULL, a);
    if (!p) {
        sb->failed = true;
        return false;
    }
    if (!sb->alloc)
        p[0] = '\0';
    sb->buf = p;
    sb->alloc = a;
    return true;
}

bool strbuf_add(struct strbuf *sb, const void *data, size_t n)
{
    if (!strbuf_grow(sb, n))
        return false;
    if (n)
        memcpy(sb->buf + sb->len, data, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
    return true;
}

bool strbuf_addstr(struct strbuf *sb, const char *s)
{
    return strbuf_add(sb, s, strlen(s));
}

bool strbuf_addch(struct strbuf *sb, char c)
{
    return strbuf_add(sb, &c, 1);
}

bool strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
    if (sb->failed)
        return false;
    va_list cp;
    va_copy(cp, ap);
    size_t room = sb->alloc ? sb->alloc - sb->len : 0;
    int n = vsnprintf(room ? sb->buf + sb->len : NULL, room, fmt, cp);
    va_end(cp);
    if (n < 0) {
        /* An encoding error in a %ls argument: nothing usable was made. */
        if (sb->alloc)
            sb->buf[sb->len] = '\0';
        sb->failed = true;
        return false;
    }
    if ((size_t)n < room) {
        sb->len += (size_t)n;
        return true;
    }
    if (sb->alloc)
        sb->buf[sb->len] = '\0'; /* undo the truncated attempt */
    if (!strbuf_grow(sb, (size_t)n))
        return false;
    va_copy(cp, ap);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, cp);
    va_end(cp);
    sb->len += (size_t)n;
    return true;
}

bool strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool ok = strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
    return ok;
}

/* Format into out[40]; returns the length or 0 when v cannot be done. */
static size_t fmt_fixed(char *out, double v, int decimals, bool trim)
{
    static const double pow10[10] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    if (decimals < 0)
        decimals = 0;
    if (decimals > 9)
        decimals = 9;
    if (!isfinite(v) || fabs(v) >= 1e15)
        return 0;
    double scaled = fabs(v) * pow10[decimals];
    if (scaled >= 9.2e18)
        return 0;
    /* round half away from zero; the +0.5 floor is exact below 2^52 and
     * for larger values the double already is an integer */
    unsigned long long q = (unsigned long long)floor(scaled + 0.5);
    unsigned long long p10 = (unsigned long long)pow10[decimals];
    unsigned long long ip = q / p10, fp = q % p10;
    bool neg = v < 0 && q != 0;
    int n;
    if (decimals == 0)
        n = snprintf(out, 40, "%s%llu", neg ? "-" : "", ip);
    else
        n = snprintf(out, 40, "%s%llu.%0*llu", neg ? "-" : "", ip, decimals, fp);
    if (n <= 0 || n >= 40)
        return 0;
    size_t len = (size_t)n;
    if (trim && decimals > 0) {
        while (out[len - 1] == '0')
            len--;
        if (out[len - 1] == '.')
            len--;
        out[len] = '\0';
    }
    return len;
}

bool strbuf_addfixed(struct strbuf *sb, double v, int decimals)
{
    char tmp[40];
    size_t n = fmt_fixed(tmp, v, decimals, false);
    return n ? strbuf_add(sb, tmp, n) : false;
}

bool strbuf_addnum(struct strbuf *sb, double v, int max_decimals)
{
    char tmp[40];
    size_t n = fmt_fixed(tmp, v, max_decimals, true);
    return n ? strbuf_add(sb, tmp, n) : false;
}

/* Length of the valid UTF-8 scalar value at s (at most left bytes) that
 * XML 1.0 allows, or 0 when the bytes there are not one. */
static size_t xml_char_len(const unsigned char *s, size_t left)
{
    unsigned c = s[0];
    if (c < 0x80) {
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            return 0;
        return 1;
    }
    size_t n;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* overlong forms, surrogates, beyond U+10FFFF, the two non-characters
     * XML excludes */
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
        return 0;
    return n;
}

bool strbuf_addxml(struct strbuf *sb, const char *s, size_t max_bytes)
{
    size_t start = sb->len;
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strnlen(s, max_bytes);
    while (left) {
        /* copy the longest run that needs nothing done */
        size_t run = 0;
        while (run < left) {
            unsigned char c = p[run];
            if (c == '&' || c == '<' || c == '>' || c == '"' || c == '\'')
                break;
            size_t k = xml_char_len(p + run, left - run);
            if (!k)
                break;
            run += k;
        }
        if (run && !strbuf_add(sb, p, run))
            goto fail;
        p += run;
        left -= run;
        if (!left)
            break;
        const char *ent;
        switch (*p) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default: ent = "\xef\xbf\xbd"; break; /* U+FFFD for one bad byte */
        }
        if (!strbuf_addstr(sb, ent))
            goto fail;
        p++;
        left--;
    }
    return true;
fail:
    strbuf_setlen(sb, start);
    return false;
}
