/*
 * classify/http.c - Host of an HTTP/1.x request (API: http.h; more:
 * docs/internals/names.md).
 *
 * Layout (RFC 9112 2.1, 3, 5):
 *
 *   request-line = method SP request-target SP "HTTP/1." DIGIT CRLF
 *   *( field-name ":" OWS field-value OWS CRLF )
 *   CRLF
 *   Host = uri-host [ ":" port ]         uri-host: reg-name / IPv4 / "[" IPv6 "]"
 *   request-target forms: origin "/p?q", absolute "http://host:port/p",
 *                         authority "host:port" (CONNECT), asterisk "*"
 *
 * Bare LF is accepted as a line end (RFC 9112 2.2 lets a recipient do so).
 *
 * Cost: a non-HTTP payload is rejected on its first byte (a switch on the
 * methods' first letters), an HTTP one is scanned line by line with memchr
 * (vectorised in libc) and stops at the first complete Host line, never
 * beyond HTTP_SCAN_MAX bytes. Per line only the field name is looked at
 * byte by byte (token check up to the ':'); values of other fields are
 * never read, so a 300-byte request costs about one memchr per line.
 * Reads are explicit index checks against the scan end.
 */
#include "classify/http.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

struct method {
    const char *name;
    size_t len;
};

static const struct method methods[] = {
    {"GET", 3}, {"HEAD", 4}, {"POST", 4}, {"PUT", 3}, {"DELETE", 6},
    {"OPTIONS", 7}, {"PATCH", 5}, {"CONNECT", 7}, {"TRACE", 5},
};
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))
#define M_CONNECT 7

/* 1: data starts with METHOD SP (*which set); -1: data is a proper prefix
 * of some "METHOD SP"; 0: neither. */
static int match_method(const uint8_t *d, size_t len, unsigned *which)
{
    int prefix = 0;
    for (unsigned i = 0; i < N_METHODS; i++) {
        size_t ml = methods[i].len;
        if (len > ml) {
            if (d[ml] == ' ' && memcmp(d, methods[i].name, ml) == 0) {
                *which = i;
                return 1;
            }
        } else if (memcmp(d, methods[i].name, len) == 0) {
            prefix = -1;
        }
    }
    return prefix;
}

/* RFC 9110 5.6.2 tchar: the bytes of a field name (ASCII only). */
static const uint8_t tchar[128] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0,
};

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static bool is_ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* uri-host [":" port] -> name. */
static enum http_status host_from_authority(const uint8_t *s, size_t n, char *host, size_t cap)
{
    if (n == 0 || s[0] == '[')
        return HTTP_HOST_NONE; /* empty, or an IPv6 (or IPvFuture) literal */
    const uint8_t *colon = memchr(s, ':', n);
    if (colon) {
        size_t hl = (size_t)(colon - s);
        if (memchr(colon + 1, ':', n - hl - 1))
            return HTTP_HOST_NONE; /* an unbracketed IPv6 address */
        for (size_t i = hl + 1; i < n; i++)
            if (s[i] < '0' || s[i] > '9')
                return HTTP_HOST_MALFORMED;
        n = hl;
    }
    if (classify_name_copy(s, n, host, cap, CLASSIFY_NAME_NO_IPV4) == 0)
        return HTTP_HOST_NONE;
    return HTTP_HOST_FOUND;
}

/* Name from the request target when there was no Host header. */
static enum http_status host_from_target(const uint8_t *t, size_t n, bool connect,
                                         char *host, size_t cap)
{
    if (connect)
        return host_from_authority(t, n, host, cap);
    size_t skip;
    if (n >= 7 && strncasecmp((const char *)t, "http://", 7) == 0)
        skip = 7;
    else if (n >= 8 && strncasecmp((const char *)t, "https://", 8) == 0)
        skip = 8;
    else
        return HTTP_HOST_NONE;
    t += skip;
    n -= skip;
    size_t a = 0;
    while (a < n && t[a] != '/' && t[a] != '?' && t[a] != '#')
        a++;
    /* Drop a (deprecated) userinfo: the host follows the last '@'. */
    for (size_t i = a; i > 0; i--) {
        if (t[i - 1] == '@') {
            t += i;
            a -= i;
            break;
        }
    }
    return host_from_authority(t, a, host, cap);
}

static enum http_status parse(const uint8_t *data, size_t len, char *host, size_t cap)
{
    /* First letters of the methods: G H P D O C T. */
    switch (data[0]) {
    case 'G': case 'H': case 'P': case 'D': case 'O': case 'C': case 'T':
        break;
    default:
        return HTTP_HOST_NONE;
    }
    unsigned m = 0;
    int mm = match_method(data, len, &m);
    if (mm <= 0)
        return mm < 0 ? HTTP_HOST_NEED_MORE : HTTP_HOST_NONE;

    size_t end = len < HTTP_SCAN_MAX ? len : HTTP_SCAN_MAX;
    enum http_status out_of_bytes = len < HTTP_SCAN_MAX ? HTTP_HOST_NEED_MORE : HTTP_HOST_NONE;

    /* Request line. */
    const uint8_t *lf = memchr(data, '\n', end);
    if (!lf)
        return out_of_bytes;
    size_t ll = (size_t)(lf - data);
    if (ll && data[ll - 1] == '\r')
        ll--;
    size_t t0 = methods[m].len + 1, t1 = t0;
    while (t1 < ll && data[t1] > ' ' && data[t1] < 0x7F)
        t1++;
    if (t1 == t0 || ll - t1 != 9 || data[t1] != ' ' ||
        memcmp(data + t1 + 1, "HTTP/1.", 7) != 0 || data[ll - 1] < '0' || data[ll - 1] > '9')
        return HTTP_HOST_NONE;

    /* Header lines. */
    size_t p = (size_t)(lf - data) + 1;
    for (;;) {
        lf = memchr(data + p, '\n', end - p);
        if (!lf)
            return out_of_bytes;
        size_t e = (size_t)(lf - data);
        size_t next = e + 1;
        if (e > p && data[e - 1] == '\r')
            e--;
        if (e == p) /* empty line: end of the header section */
            return host_from_target(data + t0, t1 - t0, m == M_CONNECT, host, cap);
        const uint8_t *line = data + p;
        size_t n = e - p;
        if (is_ows(line[0])) { /* obs-fold continuation: not a new field */
            p = next;
            continue;
        }
        /* field-name = token, then ':' right away (RFC 9112 5.1: no
         * whitespace before the colon). Values of other fields are not
         * looked at: memchr already found their end. */
        size_t colon = 0;
        while (colon < n && line[colon] < 0x80 && tchar[line[colon]])
            colon++;
        if (colon == 0 || colon == n || line[colon] != ':')
            return HTTP_HOST_MALFORMED;
        if (colon == 4 && lower(line[0]) == 'h' && lower(line[1]) == 'o' &&
            lower(line[2]) == 's' && lower(line[3]) == 't') {
            size_t v0 = 5, v1 = n;
            while (v0 < v1 && is_ows(line[v0]))
                v0++;
            while (v1 > v0 && is_ows(line[v1 - 1]))
                v1--;
            if (v0 == v1) /* "Host:" empty: the target may still name it */
                return host_from_target(data + t0, t1 - t0, m == M_CONNECT, host, cap);
            return host_from_authority(line + v0, v1 - v0, host, cap);
        }
        p = next;
    }
}

enum http_status http_request_host(const uint8_t *data, size_t len, char *host, size_t cap)
{
    if (cap)
        host[0] = '\0';
    if (len == 0)
        return HTTP_HOST_NEED_MORE;
    enum http_status st = parse(data, len, host, cap);
    if (st != HTTP_HOST_FOUND && cap)
        host[0] = '\0';
    return st;
}
