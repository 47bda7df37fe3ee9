/*
 * cli/serve/serve.h - `v6mon serve`: the read-only dashboard, JSON API and
 * Prometheus metrics over a v6mon database (docs/commands/serve.md,
 * docs/api.md). The interface between cli/cmd_serve.c (options, signals)
 * and the server's three parts:
 *
 *   check.c    pure checks: the listen address, loopback or not, tokens
 *              (constant-time compare), the raw request target (path
 *              traversal, encoded bytes), query parameter values;
 *   http.c     libmicrohttpd: the daemon (internal epoll threads, one per
 *              core), every request's gatekeeping (target, token, method,
 *              body, route, parameters), security headers, counters;
 *   content.c  what is served: scorecards computed through
 *              <v6mon/indicators.h> and cached per query until the database
 *              changes, the JSON parts, the runs listing (<v6mon/store.h>
 *              v6m_db, read-only), the dashboard page (v6m_report_html),
 *              /metrics.
 *
 * Threads: requests are answered on libmicrohttpd's pool threads at the
 * same time; content.c serialises database work with one mutex and
 * guards its cache with another (see there). The counters are atomics.
 *
 * Ownership: serve_start() copies nothing it does not need; the strings
 * of a serve_config must live until serve_stop().
 */
#ifndef V6M_SERVE_H
#define V6M_SERVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SERVE_NAME_MAX 128   /* longest segment / category / vantage value */
#define SERVE_WINDOW_MAX 40  /* longest window text */
#define SERVE_TOKEN_MIN 16   /* shortest token accepted */
#define SERVE_TOKEN_MAX 512

enum serve_now {
    SERVE_NOW_DATA = 0, /* the newest data in the database (as `v6mon report`) */
    SERVE_NOW_WALL,     /* the wall clock (to the minute) */
    SERVE_NOW_FIXED,    /* a fixed unix time */
};

struct serve_config {
    const char *db;                 /* database location (PATH, sqlite:PATH) */
    const char *targets;            /* targets file or NULL */
    const char *registry;           /* I8 registry or NULL */
    struct sockaddr_storage addr;   /* where to listen */
    socklen_t addr_len;
    const char *token;              /* bearer token, NULL: none (loopback only) */
    const char *window;             /* default window text ("30d") */
    const char *lang;               /* default dashboard language, "zh" | "en" */
    enum serve_now now_mode;
    int64_t now_s;                  /* SERVE_NOW_FIXED */
    unsigned refresh_s;             /* dashboard poll period */
    unsigned threads;               /* libmicrohttpd pool threads */
    unsigned max_connections;
    size_t conn_memory;             /* bytes per connection (caps request headers) */
    unsigned timeout_s;             /* idle connection timeout */
};

/* ---- check.c ---- */

/* "ADDR:PORT" with ADDR an IPv4 literal or "localhost", or "[IPv6]:PORT";
 * port 0 picks a free one. */
bool serve_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len,
                        char *err, size_t errlen);
/* 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104. */
bool serve_is_loopback(const struct sockaddr *sa);
/* "ADDR:PORT" text for messages ("[::1]:8080"). */
void serve_addr_text(const struct sockaddr *sa, uint16_t port, char *buf, size_t n);
/* A bearer token as RFC 6750 allows (b64token), SERVE_TOKEN_MIN..MAX long. */
bool serve_token_ok(const char *tok, char *err, size_t errlen);
/* Constant-time: the time depends on the length of want only. */
bool serve_token_equal(const char *given, size_t given_len, const char *want, size_t want_len);
/* The request target as the client sent it (before unescaping): NULL
 * when acceptable, else the reason (a static string). */
const char *serve_check_target(const char *target);
/* A segment / category / vantage value: 1..SERVE_NAME_MAX bytes of UTF-8
 * without control characters. */
bool serve_name_ok(const char *v);

/* ---- requests ---- */

enum serve_ep {
    EP_DASHBOARD = 0,
    EP_INDICATORS,
    EP_SITES,
    EP_APPS,
    EP_TRAFFIC,
    EP_KPI,
    EP_RUNS,
    EP_METRICS,
    EP_FAVICON,
    EP_OTHER,        /* not a route (404s, and requests refused before routing) */
    EP__COUNT
};

/* A validated request's parameters ("" = not given). */
struct serve_query {
    char window[SERVE_WINDOW_MAX + 1];     /* the request's or the default */
    char segment[SERVE_NAME_MAX + 1];
    char category[SERVE_NAME_MAX + 1];
    char vantage[SERVE_NAME_MAX + 1];
    char lang[3];                          /* dashboard: "zh" | "en" */
};

/* HTTP status codes counted (anything else counts as 500). */
#define SERVE_CODES(X) X(200) X(204) X(400) X(401) X(404) X(405) X(413) X(500) X(503)
enum serve_code_ix {
#define SERVE_CODE_IX(c) SC_##c,
    SERVE_CODES(SERVE_CODE_IX)
#undef SERVE_CODE_IX
    SC__COUNT
};

struct serve_stats {
    _Atomic uint64_t requests[EP__COUNT][SC__COUNT];
    _Atomic uint64_t db_errors;        /* open / compute / info failures */
    _Atomic uint64_t computations;     /* scorecards computed */
    _Atomic uint64_t compute_ns;       /* time spent computing them */
    _Atomic uint64_t reopens;          /* database file replaced, reopened */
    int64_t start_s;
};

const char *serve_ep_path(enum serve_ep ep);
unsigned serve_code_of(enum serve_code_ix i);

/* ---- content.c ---- */

struct MHD_Connection;
struct MHD_Response;
struct serve_content;

/* Open the database read-only (and the targets / registry), compute the
 * default scorecard once so that errors show at start. */
int serve_content_open(const struct serve_config *cfg, struct serve_stats *stats,
                       struct serve_content **out, char *err, size_t errlen);
void serve_content_close(struct serve_content *c);
/* Queue the answer to ep with q on conn; returns the status queued, 0 when
 * queueing failed. */
unsigned serve_content_answer(struct serve_content *c, enum serve_ep ep,
                              const struct serve_query *q, struct MHD_Connection *conn);

/* ---- http.c ---- */

/* What a response is: decides Content-Type, CSP and caching headers. */
enum serve_kind { KIND_JSON, KIND_HTML, KIND_METRICS, KIND_EMPTY };
/* Add the security headers (and Content-Type) every response carries;
 * csp_extra: the dashboard's script hashes etc. (NULL: none). */
bool serve_add_headers(struct MHD_Response *r, enum serve_kind kind, const char *csp);
/* Queue {"error":{"status":code,"message":msg}}; returns code or 0. */
unsigned serve_queue_error(struct MHD_Connection *conn, unsigned code, const char *msg);

struct serve_server;
int serve_start(const struct serve_config *cfg, struct serve_server **out, char *err,
                size_t errlen);
uint16_t serve_port(const struct serve_server *s);
uint64_t serve_requests(const struct serve_server *s);
/* Stop accepting, let open requests finish (up to grace_ms), stop. */
void serve_stop(struct serve_server *s, unsigned grace_ms);

#endif
