/*
 * cli/serve/json.c - cutting members and elements out of a JSON document,
 * and writing JSON strings (see json.h for why).
 *
 * The scanner knows just enough JSON to find where a value ends: strings
 * (with backslash escapes), objects and arrays (nesting counted, not
 * recursed), and scalars (everything up to the next ',', '}', ']' or
 * white space). Every index is compared with n before it is read.
 *
 * UTF-8 (RFC 3629): a lead byte C2..F4 and 1..3 continuation bytes
 * 80..BF; E0 needs A0..BF next (no overlongs), ED needs 80..9F (no
 * surrogates), F0 needs 90..BF, F4 needs 80..8F (nothing above U+10FFFF).
 */
#include "json.h"

#include <string.h>

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_ws(const char *p, size_t n, size_t i)
{
    while (i < n && is_ws(p[i]))
        i++;
    return i;
}

/* p[*i] is '"': move *i past the closing quote. */
static bool skip_string(const char *p, size_t n, size_t *i)
{
    size_t j = *i + 1;
    while (j < n) {
        if (p[j] == '\\') {
            j += 2;
            continue;
        }
        if (p[j] == '"') {
            *i = j + 1;
            return true;
        }
        j++;
    }
    return false;
}

static bool skip_value(const char *p, size_t n, size_t *i)
{
    if (*i >= n)
        return false;
    char c = p[*i];
    if (c == '"')
        return skip_string(p, n, i);
    if (c == '{' || c == '[') {
        size_t depth = 0, j = *i;
        while (j < n) {
            char d = p[j];
            if (d == '"') {
                if (!skip_string(p, n, &j))
                    return false;
                continue;
            }
            if (d == '{' || d == '[') {
                depth++;
            } else if (d == '}' || d == ']') {
                if (depth == 0)
                    return false;
                if (--depth == 0) {
                    *i = j + 1;
                    return true;
                }
            }
            j++;
        }
        return false;
    }
    if (c == ',' || c == '}' || c == ']' || c == ':' || is_ws(c))
        return false;
    size_t j = *i;
    while (j < n && p[j] != ',' && p[j] != '}' && p[j] != ']' && !is_ws(p[j]))
        j++;
    *i = j;
    return true;
}

bool json_member(struct jspan obj, const char *key, struct jspan *out)
{
    const char *p = obj.p;
    size_t n = obj.n, klen = strlen(key);
    size_t i = skip_ws(p, n, 0);
    if (i >= n || p[i] != '{')
        return false;
    i++;
    for (;;) {
        i = skip_ws(p, n, i);
        if (i >= n || p[i] != '"')
            return false;
        size_t ks = i;
        if (!skip_string(p, n, &i))
            return false;
        bool match = i - ks == klen + 2 && memcmp(p + ks + 1, key, klen) == 0;
        i = skip_ws(p, n, i);
        if (i >= n || p[i] != ':')
            return false;
        i = skip_ws(p, n, i + 1);
        size_t vs = i;
        if (!skip_value(p, n, &i))
            return false;
        if (match) {
            out->p = p + vs;
            out->n = i - vs;
            return true;
        }
        i = skip_ws(p, n, i);
        if (i >= n || p[i] != ',')
            return false; /* '}' (not found) or malformed */
        i++;
    }
}

bool json_next(struct jspan arr, size_t *pos, struct jspan *elem)
{
    const char *p = arr.p;
    size_t n = arr.n, i;
    if (*pos == 0) {
        i = skip_ws(p, n, 0);
        if (i >= n || p[i] != '[')
            return false;
        i = skip_ws(p, n, i + 1);
        if (i < n && p[i] == ']')
            return false;
    } else {
        i = skip_ws(p, n, *pos);
        if (i >= n || p[i] != ',')
            return false;
        i = skip_ws(p, n, i + 1);
    }
    size_t vs = i;
    if (!skip_value(p, n, &i))
        return false;
    elem->p = p + vs;
    elem->n = i - vs;
    *pos = i;
    return true;
}

bool json_is_string(struct jspan s, const char *lit)
{
    size_t l = strlen(lit);
    return s.n == l + 2 && s.p[0] == '"' && s.p[l + 1] == '"' && memcmp(s.p + 1, lit, l) == 0;
}

/* Length of the valid UTF-8 sequence at s (left bytes available), or 0. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (left < len)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k < len; k++)
        if (s[k] < 0x80 || s[k] > 0xbf)
            return 0;
    return len;
}

bool json_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t l = utf8_len(u + i, n - i);
        if (l == 0)
            return false;
        i += l;
    }
    return true;
}

void json_write_string(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;
    fputc('"', out);
    while (i < n) {
        unsigned c = u[i];
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc((int)c, out);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            fputc((int)c, out);
            i++;
        } else {
            size_t l = utf8_len(u + i, n - i);
            if (l == 0) {
                fputs("\\ufffd", out);
                i++;
            } else {
                fwrite(u + i, 1, l, out);
                i += l;
            }
        }
    }
    fputc('"', out);
}
