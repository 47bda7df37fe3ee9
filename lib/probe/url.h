/*
 * probe/url.h - URLs for the prober: split, resolve against a base and
 * normalise (libcurl's URL API, RFC 3986), and registrable domains by the
 * public suffix list (libpsl) for "internal link" decisions.
 *
 * Normal form of every URL handed out: scheme and host lowercase, IPv6
 * literal hosts in brackets, default port dropped, dot segments removed,
 * fragment dropped, empty path "/". Only http and https are accepted.
 *
 * Ownership: url_resolve() returns a heap string the caller frees with
 * free(). A struct url_psl owns the loaded list; lookups only read it and
 * may run concurrently.
 */
#ifndef V6M_PROBE_URL_H
#define V6M_PROBE_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define URL_MAX 2048
#define URL_HOST_MAX 256

struct url_parts {
    char scheme[8];           /* "http" or "https" */
    char host[URL_HOST_MAX];  /* lowercase; an IPv6 literal without brackets */
    uint16_t port;            /* explicit or the scheme's default */
    bool is_ip_literal;
    int family;               /* 4 or 6 for literals, 0 for names */
    char path[URL_MAX];       /* path and query, starts with '/' */
};

/* Split an absolute http(s) URL. false for other schemes, no host, a bad
 * port, or a URL over URL_MAX bytes. */
bool url_split(const char *url, struct url_parts *out);

/* Resolve ref against base (both may be relative only if base is absolute)
 * and normalise. NULL when the result is not http(s) (javascript:, mailto:,
 * data:...), invalid, or over URL_MAX. */
char *url_resolve(const char *base, const char *ref);

struct url_psl;
/* The newest of libpsl's built-in and the system's list; NULL when none. */
struct url_psl *url_psl_new(void);
void url_psl_free(struct url_psl *p);
/* Registrable domain of host into buf ("www.example.gov.cn" ->
 * "example.gov.cn"). false for IP literals, public suffixes themselves,
 * and names libpsl rejects. A TLD unknown to the list counts as a public
 * suffix (the list's default rule "*"), so "www.site.lab" -> "site.lab". */
bool url_registrable(const struct url_psl *p, const char *host, char *buf, size_t len);
/* Same registrable domain; for IP literals and suffixes: the same host. */
bool url_same_site(const struct url_psl *p, const char *host_a, const char *host_b);

#endif
