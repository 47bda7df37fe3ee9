/*
 * cli/serve/http.c - the HTTP side of `v6mon serve` (serve.h): the
 * libmicrohttpd daemon and the gate every request passes.
 *
 * The daemon: MHD's internal polling threads with epoll, a pool of one
 * thread per core (each with its own epoll set and share of the
 * connection limit), a listen backlog of 4096, a per-connection memory
 * pool of cfg->conn_memory bytes (request line + headers must fit: a
 * bigger request is answered 431/414 by MHD itself), an idle timeout,
 * strict HTTP parsing (MHD_OPTION_STRICT_FOR_CLIENT).
 *
 * The gate, in this order (the first that fails answers):
 *   1. the request target as sent (URI log callback, before MHD
 *      unescapes it): serve_check_target(); 400 with the reason;
 *   2. the bearer token when one is set (every request, also on
 *      loopback): "Authorization: Bearer T", constant-time compare; 401;
 *   3. the method: GET or HEAD (MHD drops the body of a HEAD answer);
 *      405 with Allow;
 *   4. no request body (Content-Length other than 0, Transfer-Encoding);
 *      413: a read-only API has no use for one;
 *   5. the route: an exact match in a fixed table (nothing is ever
 *      looked up on the file system); 404;
 *   6. the query: only the parameters the route takes, each once, each
 *      value checked (window by v6m_ind_window_parse, names by
 *      serve_name_ok, lang zh|en); 400 with the reason.
 * Then content.c answers. Every answer counts in stats.requests by route
 * and status (shown by /metrics).
 *
 * Per-request state: the URI callback's return value becomes the
 * request's closure: NULL (the target is fine) or a static reason string.
 * Checks 1-4 run in the handler's first call (headers read) and refuse at
 * once; a request that passes them is marked `pending` and answered in
 * the second call (libmicrohttpd 0.9.75 closes the connection after any
 * response queued in the first call, so answering there would lose
 * keep-alive). After the answer the closure is `answered`, so a later
 * call for the same request only drains. No
 * allocation per request: MHD does not tell us about requests it refused
 * before our handler saw them, so anything allocated in the URI callback
 * could leak.
 *
 * Security headers on every answer: a Content-Security-Policy of
 * default-src 'none' (the dashboard adds the hashes of its own inline
 * script, its inline style and connect-src 'self'), X-Content-Type-Options
 * nosniff, X-Frame-Options DENY, Referrer-Policy no-referrer,
 * Cross-Origin-Resource-Policy / -Opener-Policy same-origin,
 * Cache-Control no-store.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include <v6mon/indicators.h>

#include "../cli.h"
#include "json.h"
#include "serve.h"

struct serve_server {
    struct MHD_Daemon *daemon;
    struct serve_content *content;
    struct serve_stats stats;
    const char *token;
    size_t token_len;
    uint16_t port;
    _Atomic int64_t log_minute;  /* libmicrohttpd messages: at most LOG_PER_MINUTE */
    _Atomic unsigned log_count;
};

/* Clients can make libmicrohttpd log (oversized or malformed requests):
 * a cap keeps them from filling the log. */
#define LOG_PER_MINUTE 10

/* Addresses used as markers of a request's state (never written). */
static const char pending = 0, answered = 0;

static const struct route {
    const char *path;
    enum serve_ep ep;
    bool filters;  /* window, segment, category, vantage */
    bool lang;
} routes[] = {
    {"/", EP_DASHBOARD, true, true},
    {"/api/v1/indicators", EP_INDICATORS, true, false},
    {"/api/v1/sites", EP_SITES, true, false},
    {"/api/v1/apps", EP_APPS, true, false},
    {"/api/v1/traffic", EP_TRAFFIC, true, false},
    {"/api/v1/kpi", EP_KPI, true, false},
    {"/api/v1/runs", EP_RUNS, true, false},
    {"/metrics", EP_METRICS, true, false},
    {"/favicon.ico", EP_FAVICON, false, false},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

const char *serve_ep_path(enum serve_ep ep)
{
    for (size_t i = 0; i < N_ROUTES; i++)
        if (routes[i].ep == ep)
            return routes[i].path;
    return "other";
}

unsigned serve_code_of(enum serve_code_ix i)
{
    static const unsigned codes[] = {
#define SERVE_CODE_VAL(c) c,
        SERVE_CODES(SERVE_CODE_VAL)
#undef SERVE_CODE_VAL
    };
    return (size_t)i < sizeof codes / sizeof codes[0] ? codes[i] : 0;
}

static enum serve_code_ix code_ix(unsigned code)
{
    for (int i = 0; i < SC__COUNT; i++)
        if (serve_code_of((enum serve_code_ix)i) == code)
            return (enum serve_code_ix)i;
    return SC_500;
}

/* ---- responses ---- */

static const char csp_none[] =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

bool serve_add_headers(struct MHD_Response *r, enum serve_kind kind, const char *csp)
{
    const char *type = NULL;
    switch (kind) {
    case KIND_JSON: type = "application/json; charset=utf-8"; break;
    case KIND_HTML: type = "text/html; charset=utf-8"; break;
    case KIND_METRICS: type = "text/plain; version=0.0.4; charset=utf-8"; break;
    case KIND_EMPTY: break;
    }
    bool ok = true;
    if (type)
        ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) == MHD_YES;
    ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_SECURITY_POLICY,
                                  csp ? csp : csp_none) == MHD_YES;
    ok &= MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") == MHD_YES;
    ok &= MHD_add_response_header(r, "X-Frame-Options", "DENY") == MHD_YES;
    ok &= MHD_add_response_header(r, "Referrer-Policy", "no-referrer") == MHD_YES;
    ok &= MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin") == MHD_YES;
    ok &= MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin") == MHD_YES;
    ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_YES;
    return ok;
}

unsigned serve_queue_error(struct MHD_Connection *conn, unsigned code, const char *msg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return 0;
    fprintf(f, "{\"error\":{\"status\":%u,\"message\":", code);
    json_write_string(f, msg);
    fputs("}}\n", f);
    if (fclose(f) != 0) {
        free(buf);
        return 0;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(buf);
        return 0;
    }
    bool ok = serve_add_headers(r, KIND_JSON, NULL);
    if (code == MHD_HTTP_UNAUTHORIZED)
        ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                      "Bearer realm=\"v6mon\"") == MHD_YES;
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
        ok &= MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") == MHD_YES;
    enum MHD_Result q = ok ? MHD_queue_response(conn, code, r) : MHD_NO;
    MHD_destroy_response(r);
    return q == MHD_YES ? code : 0;
}

/* ---- the gate ---- */

static void *on_target(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    const char *why = serve_check_target(uri);
    return (void *)why; /* a static string, or NULL */
}

static bool authorized(const struct serve_server *s, struct MHD_Connection *conn)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
        return false;
    h += 6;
    while (*h == ' ' || *h == '\t')
        h++;
    size_t n = strlen(h);
    while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    return serve_token_equal(h, n, s->token, s->token_len);
}

static bool has_body(struct MHD_Connection *conn)
{
    const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_TRANSFER_ENCODING);
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (te)
        return true;
    if (!cl)
        return false;
    while (*cl == '0')
        cl++;
    return *cl != '\0';
}

struct args {
    const struct route *route;
    struct serve_query *q;
    bool seen[5];
    char err[256];
};

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
    (void)kind;
    struct args *a = cls;
    static const char *const names[5] = {"window", "segment", "category", "vantage", "lang"};
    if (!key[0] && (!value || !value[0]))
        return MHD_YES; /* "?a=1&" or "&&": an empty pair, nothing asked */
    int k = -1;
    for (int i = 0; i < 5; i++)
        if (strcmp(key, names[i]) == 0)
            k = i;
    bool allowed = k >= 0 && (k == 4 ? a->route->lang : a->route->filters);
    if (!allowed) {
        char shown[41];
        snprintf(shown, sizeof shown, "%s", key);
        snprintf(a->err, sizeof a->err, "%s takes no parameter '%s'%s", a->route->path, shown,
                 a->route->filters ? " (it takes window, segment, category, vantage)" : "");
        return MHD_NO;
    }
    if (a->seen[k]) {
        snprintf(a->err, sizeof a->err, "parameter '%s' is given twice", names[k]);
        return MHD_NO;
    }
    a->seen[k] = true;
    if (!value || !*value) {
        snprintf(a->err, sizeof a->err, "parameter '%s' has no value", names[k]);
        return MHD_NO;
    }
    struct serve_query *q = a->q;
    switch (k) {
    case 0: {
        struct v6m_ind_query tmp;
        v6m_ind_query_init(&tmp);
        char why[200];
        if (strlen(value) > SERVE_WINDOW_MAX || !json_utf8_valid(value, strlen(value))) {
            snprintf(a->err, sizeof a->err, "window: too long or not text");
            return MHD_NO;
        }
        if (v6m_ind_window_parse(&tmp, value, why, sizeof why) != V6M_OK) {
            snprintf(a->err, sizeof a->err, "window: %s", why);
            return MHD_NO;
        }
        snprintf(q->window, sizeof q->window, "%s", value);
        break;
    }
    case 1:
    case 2:
    case 3: {
        if (!serve_name_ok(value)) {
            snprintf(a->err, sizeof a->err,
                     "%s: 1 to %d bytes of UTF-8 text without control characters", names[k],
                     SERVE_NAME_MAX);
            return MHD_NO;
        }
        char *dst = k == 1 ? q->segment : k == 2 ? q->category : q->vantage;
        snprintf(dst, SERVE_NAME_MAX + 1, "%s", value);
        break;
    }
    default:
        if (strcmp(value, "zh") != 0 && strcmp(value, "en") != 0) {
            snprintf(a->err, sizeof a->err, "lang: 'zh' or 'en'");
            return MHD_NO;
        }
        snprintf(q->lang, sizeof q->lang, "%s", value);
        break;
    }
    return MHD_YES;
}

static enum MHD_Result finish(struct serve_server *s, enum serve_ep ep, unsigned code,
                              void **req_cls)
{
    *req_cls = (void *)&answered;
    if (code == 0)
        return MHD_NO; /* could not queue: MHD closes the connection */
    atomic_fetch_add_explicit(&s->stats.requests[ep][code_ix(code)], 1, memory_order_relaxed);
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    (void)version;
    (void)upload_data;
    struct serve_server *s = cls;
    if (*req_cls == (void *)&answered) {
        *upload_data_size = 0; /* drain a body we already refused */
        return MHD_YES;
    }
    if (*req_cls != (void *)&pending) {
        /* First call (headers read): refuse at once what is refused
         * (MHD then closes the connection), else answer in the second
         * call: a response queued in the first call also makes MHD close
         * the connection, which would cost keep-alive. */
        const char *bad_target = *req_cls;
        if (bad_target)
            return finish(s, EP_OTHER, serve_queue_error(conn, 400, bad_target), req_cls);
        if (s->token && !authorized(s, conn))
            return finish(s, EP_OTHER,
                          serve_queue_error(conn, 401, "a valid 'Authorization: Bearer "
                                                       "TOKEN' header is required"),
                          req_cls);
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
            strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
            return finish(s, EP_OTHER,
                          serve_queue_error(conn, 405, "only GET and HEAD are served"), req_cls);
        if (has_body(conn))
            return finish(s, EP_OTHER,
                          serve_queue_error(conn, 413, "a request body is not accepted"),
                          req_cls);
        *req_cls = (void *)&pending;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0; /* (no body gets here: refused above) */
        return MHD_YES;
    }
    const struct route *r = NULL;
    for (size_t i = 0; i < N_ROUTES; i++)
        if (strcmp(url, routes[i].path) == 0)
            r = &routes[i];
    if (!r)
        return finish(s, EP_OTHER, serve_queue_error(conn, 404, "no such page"), req_cls);
    struct serve_query q;
    memset(&q, 0, sizeof q);
    struct args a = {.route = r, .q = &q};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, on_arg, &a);
    if (a.err[0])
        return finish(s, r->ep, serve_queue_error(conn, 400, a.err), req_cls);
    unsigned code = serve_content_answer(s->content, r->ep, &q, conn);
    return finish(s, r->ep, code, req_cls);
}

__attribute__((format(printf, 2, 0))) static void on_log(void *cls, const char *fmt, va_list ap)
{
    struct serve_server *s = cls;
    int64_t minute = (int64_t)time(NULL) / 60;
    if (atomic_exchange(&s->log_minute, minute) != minute)
        atomic_store(&s->log_count, 0);
    unsigned n_logged = atomic_fetch_add(&s->log_count, 1);
    if (n_logged == LOG_PER_MINUTE)
        cli_warning("serve: libmicrohttpd: more messages this minute are not shown");
    if (n_logged >= LOG_PER_MINUTE)
        return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    cli_warning("serve: libmicrohttpd: %s", msg);
}

/* ---- the daemon ---- */

int serve_start(const struct serve_config *cfg, struct serve_server **out, char *err,
                size_t errlen)
{
    *out = NULL;
    struct serve_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->stats.start_s = (int64_t)time(NULL);
    if (cfg->token) {
        s->token = cfg->token;
        s->token_len = strlen(cfg->token);
    }
    if (serve_content_open(cfg, &s->stats, &s->content, err, errlen) != 0) {
        free(s);
        return -1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    if (cfg->addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    uint16_t port = cfg->addr.ss_family == AF_INET6
                        ? ntohs(((const struct sockaddr_in6 *)&cfg->addr)->sin6_port)
                        : ntohs(((const struct sockaddr_in *)&cfg->addr)->sin_port);
    s->daemon = MHD_start_daemon(
        flags, port, NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, on_log, s, /* first, so it sees every message */
        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&cfg->addr,
        MHD_OPTION_THREAD_POOL_SIZE, cfg->threads,
        MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->conn_memory,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096u,
        MHD_OPTION_URI_LOG_CALLBACK, on_target, s,
        MHD_OPTION_STRICT_FOR_CLIENT, 1,
        MHD_OPTION_END);
    if (!s->daemon) {
        char addr[80];
        serve_addr_text((const struct sockaddr *)&cfg->addr, port, addr, sizeof addr);
        snprintf(err, errlen, "cannot listen on %s: %s", addr,
                 errno ? strerror(errno) : "libmicrohttpd refused the options");
        serve_content_close(s->content);
        free(s);
        return -1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : port;
    *out = s;
    return 0;
}

uint16_t serve_port(const struct serve_server *s)
{
    return s->port;
}

uint64_t serve_requests(const struct serve_server *s)
{
    uint64_t n = 0;
    for (int e = 0; e < EP__COUNT; e++)
        for (int c = 0; c < SC__COUNT; c++)
            n += atomic_load_explicit(&s->stats.requests[e][c], memory_order_relaxed);
    return n;
}

void serve_stop(struct serve_server *s, unsigned grace_ms)
{
    if (!s)
        return;
    MHD_socket lfd = MHD_quiesce_daemon(s->daemon);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    for (unsigned waited = 0; waited < grace_ms; waited += 20) {
        const union MHD_DaemonInfo *di =
            MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (!di || di->num_connections == 0)
            break;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->daemon);
    serve_content_close(s->content);
    free(s);
}
