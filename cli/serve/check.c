/*
 * cli/serve/check.c - the server's pure checks (serve.h): listen address,
 * loopback, tokens, request targets, parameter values. No I/O, no state.
 *
 * Request targets are judged as the client sent them, before
 * libmicrohttpd unescapes anything: after unescaping, "%2e%2e" is "..",
 * "%2f" is "/" and "%00" ends the string, so a check on the unescaped
 * path could be fooled. The rule is an allow-list, not a list of known
 * attacks: the path of every route is made of [A-Za-z0-9/._-], so a path
 * holding anything else (a '%' at all, a backslash, a NUL, non-ASCII)
 * is refused, and so are "..", "//" and "/." segments. The query may be
 * percent-encoded (non-ASCII filter values), but an encoded byte below
 * 0x20 (NUL, CR, LF...) or 0x7f is refused. The server never maps a URL
 * to a file: routes are a fixed table (http.c), so these checks are a
 * second wall, not the only one.
 *
 * Tokens (RFC 6750 section 2.1, b64token) are compared in time that
 * depends on the expected token's length only: every byte of the
 * expected token is XORed with a byte of the given one (cycling when the
 * given one is shorter), the differences ORed together.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "serve.h"

bool serve_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len,
                        char *err, size_t errlen)
{
    char host[INET6_ADDRSTRLEN + 8];
    const char *port_text;
    memset(ss, 0, sizeof *ss);
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errlen, "'%s' is not [IPv6]:PORT", text);
            return false;
        }
        size_t hl = (size_t)(close - text - 1);
        if (hl == 0 || hl >= sizeof host) {
            snprintf(err, errlen, "'%s' is not [IPv6]:PORT", text);
            return false;
        }
        memcpy(host, text + 1, hl);
        host[hl] = '\0';
        port_text = close + 2;
    } else {
        const char *colon = strrchr(text, ':');
        if (!colon || colon == text || strchr(text, ':') != colon) {
            snprintf(err, errlen, "'%s' is not ADDR:PORT (IPv6: [ADDR]:PORT)", text);
            return false;
        }
        size_t hl = (size_t)(colon - text);
        if (hl >= sizeof host) {
            snprintf(err, errlen, "'%s': address too long", text);
            return false;
        }
        memcpy(host, text, hl);
        host[hl] = '\0';
        port_text = colon + 1;
    }
    char *end;
    errno = 0;
    unsigned long port = strtoul(port_text, &end, 10);
    if (!isdigit((unsigned char)port_text[0]) || *end || errno || port > 65535) {
        snprintf(err, errlen, "'%s': the port is not a number from 0 to 65535", text);
        return false;
    }
    if (text[0] != '[') {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        const char *h = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
        if (inet_pton(AF_INET, h, &sin->sin_addr) != 1) {
            snprintf(err, errlen, "'%s' is not an IPv4 address (names other than "
                     "localhost are not looked up; IPv6: [ADDR]:PORT)", host);
            return false;
        }
        *len = sizeof *sin;
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
            snprintf(err, errlen, "'%s' is not an IPv6 address (scope ids are not supported)",
                     host);
            return false;
        }
        *len = sizeof *sin6;
    }
    return true;
}

bool serve_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        const uint8_t *b = sin6->sin6_addr.s6_addr;
        if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && b[12] == 127;
    }
    return false;
}

void serve_addr_text(const struct sockaddr *sa, uint16_t port, char *buf, size_t n)
{
    char a[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, a, sizeof a);
        snprintf(buf, n, "%s:%u", a, (unsigned)port);
    } else {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, a, sizeof a);
        snprintf(buf, n, "[%s]:%u", a, (unsigned)port);
    }
}

bool serve_token_ok(const char *tok, char *err, size_t errlen)
{
    size_t n = strlen(tok), i = 0;
    if (n < SERVE_TOKEN_MIN || n > SERVE_TOKEN_MAX) {
        snprintf(err, errlen, "the token must be %d to %d characters long (it is %zu)",
                 SERVE_TOKEN_MIN, SERVE_TOKEN_MAX, n);
        return false;
    }
    while (i < n && (isalnum((unsigned char)tok[i]) || strchr("-._~+/", tok[i])))
        i++;
    if (i == 0) {
        snprintf(err, errlen, "the token must start with a letter, digit or one of -._~+/");
        return false;
    }
    while (i < n && tok[i] == '=')
        i++;
    if (i != n) {
        snprintf(err, errlen, "the token may hold only letters, digits, -._~+/ and "
                 "trailing '=' (RFC 6750 b64token)");
        return false;
    }
    return true;
}

bool serve_token_equal(const char *given, size_t given_len, const char *want, size_t want_len)
{
    unsigned char acc = 0;
    for (size_t i = 0; i < want_len; i++) {
        unsigned char g = given_len ? (unsigned char)given[i % given_len] : 0;
        acc |= (unsigned char)(g ^ (unsigned char)want[i]);
    }
    return (acc | (unsigned char)(given_len != want_len)) == 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

const char *serve_check_target(const char *t)
{
    if (t[0] != '/')
        return "the request target is not an absolute path";
    size_t i = 0;
    for (; t[i] && t[i] != '?'; i++) {
        char c = t[i];
        if (c == '%')
            return "percent-encoded bytes are not allowed in the path";
        if (!(isalnum((unsigned char)c) || c == '/' || c == '.' || c == '_' || c == '-'))
            return "the path holds a character that no route has";
        if (c == '.' && t[i + 1] == '.')
            return "path traversal ('..') is not allowed";
        if (c == '/' && t[i + 1] == '/')
            return "empty path segments ('//') are not allowed";
        if (c == '/' && t[i + 1] == '.' && (t[i + 2] == '/' || t[i + 2] == '?' || !t[i + 2]))
            return "'.' path segments are not allowed";
    }
    if (!t[i])
        return NULL;
    for (i++; t[i]; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c <= 0x20 || c >= 0x7f)
            return "the query holds a byte that must be percent-encoded";
        if (c == '#')
            return "a fragment ('#') is not part of a request";
        if (c != '%')
            continue;
        int hi = hexval(t[i + 1]), lo = hi < 0 ? -1 : hexval(t[i + 2]);
        if (hi < 0 || lo < 0)
            return "the query holds a '%' that is not followed by two hex digits";
        int v = hi * 16 + lo;
        if (v == 0)
            return "the query holds an encoded NUL byte";
        if (v < 0x20 || v == 0x7f)
            return "the query holds an encoded control character";
        i += 2;
    }
    return NULL;
}

bool serve_name_ok(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > SERVE_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return json_utf8_valid(v, n);
}
