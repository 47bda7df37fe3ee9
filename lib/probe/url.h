/*
 * probe/url.h - URLs for the prober: resolve a reference against a base
 * and bring it to one normal form, split an absolute URL into the parts a
 * fetch needs, and registrable domains by the public suffix list (libpsl)
 * for "internal link" decisions. Pure functions: no I/O after
 * url_psl_new() has loaded the list.
 *
 * Normal form of every URL handed out (docs/internals/crawl.md):
 *   - scheme http or https (nothing else comes out), lowercase;
 *   - no user name or password, no fragment;
 *   - host lowercase ASCII: a name of dot-separated labels of [a-z0-9-_]
 *     (1..63 bytes each, 253 in all, an optional final dot kept), where a
 *     label with non-ASCII characters becomes its "xn--" punycode form
 *     (RFC 3492; no Unicode case folding or NFC), or an IPv4 address in
 *     dotted quad (curl reads 0x7f.1 and friends), or an IPv6 literal in
 *     brackets in RFC 5952 text (inet_ntop); zone ids are refused;
 *   - port only when it is not the scheme's default (80, 443);
 *   - path with dot segments removed, at least "/"; hex digits of %XX
 *     escapes uppercase; space, controls, DEL, bytes >= 0x80 and
 *     " < > ` { } percent-encoded (a browser sends them so);
 *   - at most URL_MAX bytes.
 * url_resolve() of a URL already in normal form returns it unchanged.
 *
 * The reference is first cleaned the way an HTML parser's URL step does
 * (WHATWG URL): leading/trailing spaces and controls stripped, tabs and
 * newlines removed, "\" taken as "/" before the query, "http:g" (same
 * scheme as the base, no "//") taken as relative. An empty or
 * fragment-only reference is the base itself. RFC 3986 section 5 does
 * the resolution (libcurl's URL API, CURLU_DEFAULT_SCHEME and
 * CURLU_NON_SUPPORT_SCHEME off).
 *
 * Ownership: url_resolve() returns a heap string the caller frees with
 * free(). url_split() fills the caller's struct. A struct url_psl owns
 * the loaded list; lookups only read it (safe from several threads).
 */
#ifndef V6M_PROBE_URL_H
#define V6M_PROBE_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define URL_MAX 2048     /* bytes of a URL, in and out */
#define URL_HOST_MAX 256 /* bytes of a host with its NUL */

struct url_parts {
    char scheme[8];          /* "http" or "https" */
    char host[URL_HOST_MAX]; /* normal form; an IPv6 literal WITHOUT brackets */
    uint16_t port;           /* explicit or the scheme's default */
    bool is_ip_literal;
    int family;              /* 4 or 6 for IP literals, 0 for names */
    char path[URL_MAX + 1];  /* path and query, starts with '/' */
};

/* Split an absolute http(s) URL (brought to the normal form first, so a
 * Unicode host comes out as punycode). false, with *out zeroed, for other
 * schemes, relative references, an invalid host or port (0, > 65535),
 * zone ids, or more than URL_MAX bytes in or out. */
bool url_split(const char *url, struct url_parts *out);

/* Resolve ref against base and normalise. base may be NULL when ref is
 * absolute; base should be absolute (ideally already normal). NULL when
 * the result is not http(s) (javascript:, mailto:, data:, tel:, ftp:...),
 * has an invalid host or port, or is over URL_MAX bytes; also when ref is
 * NULL or over URL_MAX bytes. Empty and "#frag" references give the base
 * (without its fragment). */
char *url_resolve(const char *base, const char *ref);

/* The same two without the fast path for URLs already in the normal
 * form (url.c, fast_normal): for the tests that compare both. */
char *url_resolve_full(const char *base, const char *ref);
bool url_split_full(const char *url, struct url_parts *out);

/* Registrable domains. */
struct url_psl;
/* psl_latest(NULL): the newer of libpsl's built-in list and the system's
 * (/usr/share/publicsuffix); psl_builtin() when that fails; NULL when
 * neither is there or out of memory. */
struct url_psl *url_psl_new(void);
void url_psl_free(struct url_psl *p); /* NULL is a no-op */
/* Registrable domain of host (a host as url_split gives it, any case,
 * Unicode allowed; a final dot ignored) into buf, in normal form:
 * "www.example.gov.cn" -> "example.gov.cn", "a.b.example.co.uk" ->
 * "example.co.uk", "foo.github.io" -> "foo.github.io". false for IP
 * literals, hosts that are public suffixes themselves, invalid hosts, or
 * when buf is too small. A TLD the list does not know is a public suffix
 * by the list's default rule "*": "a.b.lab" -> "b.lab", "lab" -> false. */
bool url_registrable(const struct url_psl *p, const char *host, char *buf, size_t len);
/* The same site: both hosts have a registrable domain and it is the same;
 * or neither has one and the hosts are equal (IP literals compared as
 * addresses, so "3ffe::1" equals "3ffe:0::1"; "github.io" equals itself).
 * false when either host is invalid. */
bool url_same_site(const struct url_psl *p, const char *host_a, const char *host_b);

#endif
