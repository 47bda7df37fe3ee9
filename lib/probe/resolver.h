/*
 * probe/resolver.h - event-driven DNS for the active prober, over c-ares.
 *
 * Why c-ares (and not libunbound): the prober needs a *stub* resolver that
 * (1) asks the configured recursive resolver (system /etc/resolv.conf or
 * --resolver) and (2) asks one chosen authoritative server directly, over
 * IPv6, without recursion (W2). c-ares does both with one channel per
 * server and hands its sockets to our epoll loop (sock_state_cb), so DNS
 * and curl share one thread. libunbound is a full recursive validating
 * resolver with its own cache and threads/pipe; we would fight its cache
 * to see what a server really answers. c-ares 1.18 has no cache, which is
 * what a measurement wants; the prober keeps its own bounded per-run cache
 * of host lookups (below) so a crawl does not ask for the same host twice.
 *
 * Answers are parsed by our own bounded parser (probe/dnsmsg.h) from the
 * raw bytes c-ares returns, not by c-ares' hostent helpers: we need the
 * CNAME chain, the rcode, the AA bit, and to notice answers that lie
 * (records for names that are not on the chain, wrong types).
 *
 * Ownership: the resolver borrows the loop (which must outlive it). Result
 * structs passed to callbacks are owned by the resolver and valid only
 * during the callback. Callbacks are never called from inside the call that
 * starts a query (always from the loop), so a caller may start a query
 * while holding state it is still filling in. resolver_free() cancels all
 * outstanding queries; their callbacks run with RS_CANCELLED (from inside
 * resolver_free; starting queries there returns -1). A callback must not
 * call resolver_free() itself.
 */
#ifndef V6M_PROBE_RESOLVER_H
#define V6M_PROBE_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errbuf.h"
#include "probe/loop.h"

#define RESOLVE_NAME_MAX 256
#define RESOLVE_MAX_ADDRS 32
#define RESOLVE_MAX_CNAMES 8
#define RESOLVE_MAX_NS 13

#define RR_A 1
#define RR_NS 2
#define RR_CNAME 5
#define RR_SOA 6
#define RR_AAAA 28

enum resolve_status {
    RS_OK = 0,     /* answer with records of the asked type (after CNAMEs) */
    RS_NODATA,     /* NOERROR but no record of the type at the end of the chain */
    RS_NXDOMAIN,
    RS_SERVFAIL,
    RS_REFUSED,
    RS_TIMEOUT,    /* no answer after all tries */
    RS_NETWORK,    /* could not send / connection refused / unreachable */
    RS_MALFORMED,  /* the answer could not be parsed */
    RS_BOGUS,      /* parsed but wrong: records off the chain only, wrong type,
                      CNAME loop or chain over RESOLVE_MAX_CNAMES */
    RS_CANCELLED,
    RS__COUNT
};

/* Short stable token, e.g. "timeout", "nxdomain" (JSON and reason codes). */
const char *resolve_status_name(enum resolve_status s);

struct rr_addr {
    uint8_t family;   /* 4 or 6 */
    uint8_t addr[16]; /* IPv4 in the first 4 bytes */
    uint32_t ttl;
};

struct resolve_result {
    enum resolve_status status;
    char qname[RESOLVE_NAME_MAX];
    uint16_t qtype;
    uint8_t rcode;
    bool authoritative;       /* AA bit of the answer */
    uint64_t elapsed_ns;      /* from submission to the callback */
    /* CNAME chain from qname: cname[0] is qname's target, cname[n-1] the
     * name the addresses belong to. */
    unsigned n_cnames;
    char cname[RESOLVE_MAX_CNAMES][RESOLVE_NAME_MAX];
    unsigned n_addrs;         /* A or AAAA records of the chain's end */
    struct rr_addr addrs[RESOLVE_MAX_ADDRS];
    unsigned n_ns;            /* NS answers (qtype NS), lowercase, no dot */
    char ns[RESOLVE_MAX_NS][RESOLVE_NAME_MAX];
    unsigned ignored;         /* answer records off the chain or of other types */
    char detail[200];         /* human text for anything not RS_OK, e.g.
                                 "no answer from 192.0.2.53 after 2 tries of 2 s" */
};

typedef void (*resolve_cb)(void *arg, const struct resolve_result *r);

struct resolver_config {
    const char *server;    /* NULL: system resolv.conf; else "ADDR", "ADDR:PORT"
                              (IPv4) or "[ADDR]:PORT" (IPv6), ADDR alone = port 53 */
    unsigned timeout_ms;   /* per try; 0 = 2000 */
    unsigned tries;        /* 0 = 2 */
    size_t cache_max;      /* host lookups kept; 0 = 65536 */
    /* Added by the resolver's implementer (all default to 0): */
    unsigned max_inflight; /* queries in flight per server; 0 = 4096; more
                              wait in a FIFO (counted in stats.queued) */
    uint16_t ns_port;      /* port of the W2 queries to name servers; 0 = 53
                              (tests point it at their fake server) */
    bool ns_any_v6;        /* tests only: query a name server at any AAAA
                              (loopback, IPv4-mapped), not only a global one */
    const char *resolv_conf; /* server == NULL: file read instead of
                                /etc/resolv.conf (tests) */
};

struct resolver_stats {
    uint64_t queries, answers, timeouts, errors;
    uint64_t direct_queries;          /* resolver_query_at */
    uint64_t host_lookups, host_cache_hits, host_coalesced, host_evicted;
    /* Added by the resolver's implementer: */
    uint64_t zone_checks, zone_cache_hits, zone_coalesced, zone_evicted;
    uint64_t queued;           /* queries that waited for max_inflight */
    uint64_t udp_send_dropped; /* UDP sends refused by a full socket buffer
                                  (treated as lost; c-ares retries on timeout) */
    uint64_t answers_ignored;  /* datagrams c-ares dropped that carried one of
                                  our ids (wrong question or unparseable) */
};

struct resolver;

/* NULL with a message in *e on failure (bad --resolver address, c-ares
 * init failure, no name server in resolv.conf). */
struct resolver *resolver_new(struct loop *loop, const struct resolver_config *cfg,
                              struct errbuf *e);
void resolver_free(struct resolver *r);

/* The server(s) in use, e.g. "[3ffe:1::53]:53" (for run metadata). */
const char *resolver_servers(const struct resolver *r);

/* Ask the configured recursive resolver for (name, qtype). Returns 0, or -1
 * if the name is not a valid host name (no callback then). */
int resolver_query(struct resolver *r, const char *name, uint16_t qtype, resolve_cb cb,
                   void *arg);

/* Ask the server at (family, addr, port) directly, recursion not desired,
 * UDP with TCP fallback on truncation. For W2 (is this name server
 * answering over IPv6?). Returns 0 or -1 as above. */
int resolver_query_at(struct resolver *r, int family, const uint8_t addr[16], uint16_t port,
                      const char *name, uint16_t qtype, resolve_cb cb, void *arg);

/* ---- host lookups (W1 and every URL of a crawl), cached and coalesced ---- */

enum addr_class {
    AC_GLOBAL = 0,  /* IPv6 global unicast (2000::/3 minus the special blocks) */
    AC_MAPPED,      /* ::ffff:0:0/96 and the IPv4-compatible ::/96 */
    AC_LINKLOCAL,   /* fe80::/10 */
    AC_ULA,         /* fc00::/7 */
    AC_DOC,         /* 2001:db8::/32, 3fff::/20 */
    AC_LOOPBACK,    /* ::1, :: */
    AC_MULTICAST,   /* ff00::/8 */
    AC_SPECIAL,     /* other non-global special-purpose (RFC 6890 registry:
                       2001::/23 incl. Teredo and benchmarking, 64:ff9b:1::/48,
                       100::/64, fec0::/10, 5f00::/16, outside 2000::/3) */
    AC__COUNT
};
/* Class of an IPv6 address, and a short name ("ula", "documentation"...). */
enum addr_class addrclass_v6(const uint8_t a[16]);
const char *addrclass_name(enum addr_class c);
/* Text of an address of family 4 or 6 (IPv4 in the first 4 bytes) into
 * buf; "?" when it cannot be written. Returns buf. */
char *addr_text(int family, const uint8_t *addr, char *buf, size_t len);

struct host_info {
    char name[RESOLVE_NAME_MAX];
    struct resolve_result a;     /* the A query */
    struct resolve_result aaaa;  /* the AAAA query */
    unsigned n_v4;               /* usable IPv4 addresses (a.addrs) */
    unsigned n_v6_global;        /* AAAA records of class AC_GLOBAL */
    unsigned n_v6_other;         /* AAAA records of another class */
    /* First usable address of each family, for connecting. */
    uint8_t v4[16], v6[16];
};

typedef void (*host_cb)(void *arg, const struct host_info *h);

/* A and AAAA for name, in parallel. The result is cached for the run (LRU
 * bounded by cache_max); concurrent lookups of one name share the queries.
 * The host_info is owned by the resolver and valid during the callback. */
int resolver_lookup_host(struct resolver *r, const char *name, host_cb cb, void *arg);

/* ---- W2: the zone of a host and its name servers over IPv6 ---- */

#define ZONE_MAX_NS RESOLVE_MAX_NS

struct ns_check {
    char name[RESOLVE_NAME_MAX];
    unsigned n_v4, n_v6_global;
    uint8_t v6[16];             /* first global AAAA */
    bool answered_v6;           /* authoritative answer over IPv6 */
    enum resolve_status v6_status;
    uint64_t v6_elapsed_ns;
    char detail[200];           /* "ns1.x.lab (3ffe:1::53): no answer after ..." */
};

struct zone_info {
    char zone[RESOLVE_NAME_MAX]; /* "" when no NS set was found */
    enum resolve_status status;  /* of the NS lookup */
    unsigned n_ns;
    struct ns_check ns[ZONE_MAX_NS];
    unsigned n_ns_v6;            /* name servers with a global AAAA (any AAAA
                                    with resolver_config.ns_any_v6) */
    unsigned n_ns_v6_answering;  /* ... whose AAAA answered authoritatively */
    char detail[200];
};

typedef void (*zone_cb)(void *arg, const struct zone_info *z);

/* Find the zone of host (ask NS for host, then each parent, up to the
 * top-level domain), then resolve every name server's A/AAAA and ask each
 * NS over IPv6 for SOA of the zone (non-recursive; authoritative answer
 * required). Cached per zone and coalesced like host lookups. */
int resolver_check_zone(struct resolver *r, const char *host, zone_cb cb, void *arg);

/* Copies and clearing that touch only what the counts cover (a host_info
 * is 13.5 kB and a zone_info 6.9 kB, nearly all of it unused arrays): every
 * reader goes by n_cnames, n_addrs, n_ns, so entries past the counts are
 * never read. Clear resets every scalar, count and string read regardless
 * of a count (name, qname, detail, zone) and the v4/v6 addresses. */
void resolver_host_copy(struct host_info *dst, const struct host_info *src);
void resolver_zone_copy(struct zone_info *dst, const struct zone_info *src);
void resolver_host_clear(struct host_info *h);
void resolver_zone_clear(struct zone_info *z);

/* Number of queries in flight (for the scheduler and shutdown). */
size_t resolver_inflight(const struct resolver *r);
void resolver_get_stats(const struct resolver *r, struct resolver_stats *out);

#endif
