/*
 * probe/fetch.h - HTTP(S) requests pinned to one address family, over
 * libcurl's multi interface, driven by the prober's event loop.
 *
 * The caller resolves (probe/resolver.h) and chooses the address; fetch
 * connects to exactly that address (CURLOPT_CONNECT_TO with an address
 * literal, CURLOPT_IPRESOLVE of its family) while the URL keeps the host
 * name, so the Host header and the TLS SNI and certificate check use the
 * name. Redirects are NOT followed here: the caller reads `location` and
 * starts the next hop itself (it has to resolve the new host and pin the
 * family again, and it records every hop).
 *
 * Politeness and bounds:
 *   - a per-host limit of concurrent requests (host name of the URL;
 *     default 2): requests beyond it wait in a FIFO per host; the
 *     request's timeouts start when it really starts;
 *   - a global cap of transfers in flight (default 4096), the rest queue;
 *   - body bytes kept are capped (body_cap); when a body is longer the
 *     transfer is stopped there and the result says so (not a failure: the
 *     status line and headers arrived);
 *   - response headers are capped (header_cap, default 64 KiB): more is a
 *     failure FS_PROTOCOL "response headers over 64 KiB";
 *   - whole-request timeout and connect timeout per request.
 *
 * Ownership: the engine borrows the loop. fetch_start() copies everything
 * it needs from the request. The result (and its body) is owned by the
 * engine and valid only during the callback. Callbacks always run from the
 * loop, never inside fetch_start(), and one at a time; a callback may call
 * fetch_start() and even fetch_engine_free(). fetch_engine_free() delivers
 * finished results, then aborts transfers in flight and waiting: their
 * callbacks run with FS_CANCELLED before it returns (inside the calling
 * callback, when called from one). Free the engine before its loop.
 */
#ifndef V6M_PROBE_FETCH_H
#define V6M_PROBE_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errbuf.h"
#include "probe/loop.h"

enum fetch_status {
    FS_OK = 0,          /* a complete HTTP response (any status code) */
    FS_REFUSED,         /* connection refused (RST to the SYN) */
    FS_UNREACHABLE,     /* no route / network unreachable / host unreachable */
    FS_CONNECT_TIMEOUT, /* no answer to the SYN within connect_timeout */
    FS_TIMEOUT,         /* connected, but the whole response did not arrive in time */
    FS_TLS_CERT,        /* certificate verification failed (detail says why) */
    FS_TLS,             /* other TLS handshake failure */
    FS_RESET,           /* connection reset / closed before a full response */
    FS_PROTOCOL,        /* not HTTP, invalid or oversized headers */
    FS_TOO_BIG,         /* unused by fetch itself (bodies are cut, not failed);
                           kept for callers' reason codes */
    FS_LOCAL,           /* local problem: out of memory, socket limit */
    FS_CANCELLED,
    FS__COUNT
};

const char *fetch_status_name(enum fetch_status s); /* "refused", "connect_timeout"... */

struct fetch_request {
    const char *url;          /* absolute http:// or https:// URL */
    int family;               /* 4 or 6 */
    uint8_t addr[16];         /* connect here (IPv4 in the first 4 bytes) */
    uint64_t timeout_ns;      /* whole request; 0 = 10 s */
    uint64_t connect_timeout_ns; /* 0 = the smaller of 5 s and timeout */
    size_t body_cap;          /* bytes of body kept; 0 = engine default */
    bool head_only;           /* HEAD instead of GET */
    bool discard_body;        /* count body bytes (up to body_cap) but keep none:
                                 result.body is NULL, body_len 0 (sub-resources) */
    bool insecure;            /* do not verify the certificate */
    uint64_t range_off;       /* with range_len > 0: ask for bytes [range_off,
                                 range_off + range_len) only ("Range: bytes=a-b");
                                 a server that honours it answers 206 */
    uint64_t range_len;       /* 0 = the whole resource */
};

struct fetch_result {
    enum fetch_status status;
    long http_code;            /* 0 when no status line arrived */
    char location[2048];       /* Location header resolved against the URL, or "" */
    char content_type[128];
    const uint8_t *body;       /* first body_len bytes of the body (not NUL-terminated) */
    size_t body_len;
    bool body_capped;          /* the body was longer than body_cap; stopped there */
    uint64_t body_bytes;       /* body bytes received (>= body_len) */
    uint64_t header_bytes;
    char remote[64];           /* "[3ffe::1]:443" or "198.18.0.1:80" */
    int family;
    /* Phase times from the request's real start, ns (0 = not reached). */
    uint64_t t_connect, t_tls, t_first_byte, t_total;
    uint64_t queued_ns;        /* time spent waiting for a per-host slot */
    char detail[512];          /* a sentence for anything not FS_OK, naming the
                                  address and port, e.g. "3ffe:1::5 port 443:
                                  connection timed out after 5 s" */
};

typedef void (*fetch_cb)(void *arg, const struct fetch_result *r);

struct fetch_config {
    unsigned per_host;        /* concurrent requests per host name; 0 = 2 */
    unsigned max_inflight;    /* transfers in flight in all; 0 = 4096 */
    size_t body_cap;          /* default body cap; 0 = 2 MiB */
    size_t header_cap;        /* 0 = 64 KiB */
    const char *ca_file;      /* extra CA bundle (PEM) instead of the system one; NULL = system */
    const char *user_agent;   /* NULL = "v6mon/<version> (+IPv6 deployment monitor)" */
};

struct fetch_stats {
    uint64_t started, completed, failed, queued_host, bytes;
    unsigned inflight, waiting;
};

struct fetch_engine;

struct fetch_engine *fetch_engine_new(struct loop *loop, const struct fetch_config *cfg,
                                      struct errbuf *e);
void fetch_engine_free(struct fetch_engine *f);

/* Queue a request. Returns 0, or -1 when the request is invalid (bad URL,
 * family, a range past 2^64) with no callback. */
int fetch_start(struct fetch_engine *f, const struct fetch_request *req, fetch_cb cb, void *arg);

/* Requests whose callback has not run yet: running + waiting + finished
 * but not yet delivered. */
size_t fetch_inflight(const struct fetch_engine *f);
void fetch_get_stats(const struct fetch_engine *f, struct fetch_stats *out);

/* ---- plain TCP connect probes (W5 open ports; KPI handshake RTT later) ---- */

enum tcp_status { TCP_OPEN = 0, TCP_REFUSED, TCP_TIMEOUT, TCP_UNREACHABLE, TCP_LOCAL };
const char *tcp_status_name(enum tcp_status s);

struct tcp_result {
    enum tcp_status status;
    uint64_t rtt_ns;        /* SYN to established (TCP_OPEN) */
    char detail[160];       /* "3ffe:1::5 port 80: connection refused" */
};
typedef void (*tcp_cb)(void *arg, const struct tcp_result *r);

struct tcp_probe;
/* Non-blocking connect to (family, addr, port); closes at once when
 * connected. The callback runs from the loop, once, after which the probe
 * is freed. Returns the probe, or NULL (bad args, out of memory). */
struct tcp_probe *tcp_probe_start(struct loop *loop, int family, const uint8_t addr[16],
                                  uint16_t port, uint64_t timeout_ns, tcp_cb cb, void *arg);
/* Abandon a probe whose callback has not run yet: no callback, freed now. */
void tcp_probe_cancel(struct tcp_probe *p);

#endif
