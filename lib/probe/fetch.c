/*
 * probe/fetch.c - HTTP(S) over curl multi on the prober's loop (fetch.h).
 *
 * Loop integration: CURLMOPT_SOCKETFUNCTION maps each socket curl wants
 * watched onto loop_watch(); CURLMOPT_TIMERFUNCTION onto one loop timer.
 * Events call curl_multi_socket_action() and then drain
 * curl_multi_info_read(); finished transfers are moved to a done list and
 * their callbacks run from a zero-delay timer, so a user callback never
 * runs inside curl (it may start new transfers or free things) and never
 * inside fetch_start().
 *
 * Pinning: the URL keeps its host name (Host header, SNI, certificate
 * name); CURLOPT_CONNECT_TO "HOST:PORT:ADDR:PORT" sends the connection to
 * the address we chose, CURLOPT_IPRESOLVE forbids the other family. HTTP/1.1
 * only: every client can speak it, and a measurement should not depend on
 * ALPN luck; Accept-Encoding is identity so that byte counts are wire body
 * bytes.
 *
 * Queues: each request waits in a FIFO per host name until fewer than
 * per_host requests run for that host, and globally until fewer than
 * max_inflight run; its timeouts start when it is handed to curl.
 *
 * Status mapping (curl code -> fetch_status): docs/internals/fetch.md.
 */
#include "probe/fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <v6mon/version.h>

#include "probe/url.h"
#include "util/hash.h"
#include "util/strutil.h"

struct host_q;

struct xfer {
    struct fetch_engine *f;
    struct host_q *hq;
    struct xfer *next;         /* in the host FIFO or the done list */
    struct xfer *run_prev, *run_next; /* in the engine's running list */
    CURL *easy;
    fetch_cb cb;
    void *arg;
    /* request copy */
    char *url;
    int family;
    uint8_t addr[16];
    uint16_t port;
    uint64_t timeout_ns, connect_timeout_ns;
    size_t body_cap;
    bool head_only, discard_body, insecure;
    /* progress */
    uint8_t *body;
    size_t body_len, body_alloc;
    uint64_t body_bytes, header_bytes;
    bool capped, header_over;
    uint64_t queued_at, started_at;
    struct curl_slist *connect_to;
    char errbuf[CURL_ERROR_SIZE];
    struct fetch_result res;
};

struct host_q {
    char host[URL_HOST_MAX];
    uint64_t hash;
    unsigned running;
    unsigned refs;             /* xfers pointing here: waiting, running, or undelivered */
    struct xfer *head, *tail;
    struct host_q *next_bucket;
};

struct fetch_engine {
    struct loop *loop;
    CURLM *multi;
    struct fetch_config cfg;
    char *ca_file;
    char user_agent[96];
    struct loop_timer curl_timer;
    struct loop_timer done_timer;
    struct xfer *done_head, *done_tail;
    struct xfer *run_head;     /* handed to curl, not finished */
    struct host_q **buckets;
    size_t nbuckets, nhosts;
    /* hosts with waiting requests, for the global cap: round-robin list */
    struct host_q **ready;
    size_t nready, cap_ready;
    unsigned running;
    size_t waiting;
    struct fetch_stats stats;
    bool freeing;
};

const char *fetch_status_name(enum fetch_status s)
{
    static const char *const n[FS__COUNT] = {
        "ok", "refused", "unreachable", "connect_timeout", "timeout", "tls_cert", "tls",
        "reset", "protocol", "too_big", "local", "cancelled",
    };
    return (unsigned)s < FS__COUNT ? n[s] : "?";
}

static void fmt_addr(int family, const uint8_t *a, char *buf, size_t len)
{
    if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
        util_strlcpy(buf, "?", len);
}

static void seconds(uint64_t ns, char *buf, size_t len)
{
    if (ns % 1000000000ull == 0)
        snprintf(buf, len, "%llu s", (unsigned long long)(ns / 1000000000ull));
    else
        snprintf(buf, len, "%.1f s", (double)ns / 1e9);
}

/* ---- host queues ---- */

static struct host_q *hq_get(struct fetch_engine *f, const char *host)
{
    char low[URL_HOST_MAX];
    util_strlcpy(low, host, sizeof low);
    for (char *p = low; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    uint64_t h = hash_bytes(low, strlen(low), 0x9e37);
    if (!f->buckets || f->nhosts >= f->nbuckets) {
        size_t nb = f->nbuckets ? f->nbuckets * 2 : 256;
        struct host_q **b = calloc(nb, sizeof *b);
        if (!b)
            return NULL;
        for (size_t i = 0; i < f->nbuckets; i++) {
            struct host_q *q = f->buckets[i];
            while (q) {
                struct host_q *nx = q->next_bucket;
                q->next_bucket = b[q->hash & (nb - 1)];
                b[q->hash & (nb - 1)] = q;
                q = nx;
            }
        }
        free(f->buckets);
        f->buckets = b;
        f->nbuckets = nb;
    }
    struct host_q **slot = &f->buckets[h & (f->nbuckets - 1)];
    for (struct host_q *q = *slot; q; q = q->next_bucket)
        if (q->hash == h && strcmp(q->host, low) == 0)
            return q;
    struct host_q *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    util_strlcpy(q->host, low, sizeof q->host);
    q->hash = h;
    q->next_bucket = *slot;
    *slot = q;
    f->nhosts++;
    return q;
}

/* Drop an idle host queue (nothing running or waiting). */
static void hq_maybe_free(struct fetch_engine *f, struct host_q *q)
{
    if (q->refs || q->running || q->head)
        return;
    struct host_q **slot = &f->buckets[q->hash & (f->nbuckets - 1)];
    while (*slot && *slot != q)
        slot = &(*slot)->next_bucket;
    if (*slot)
        *slot = q->next_bucket;
    f->nhosts--;
    free(q);
}

/* ---- curl callbacks ---- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    size_t room = x->body_cap > x->body_bytes ? x->body_cap - (size_t)x->body_bytes : 0;
    size_t take = n < room ? n : room;
    if (!x->discard_body && take) {
        if (x->body_len + take > x->body_alloc) {
            size_t cap = x->body_alloc ? x->body_alloc : 16384;
            while (cap < x->body_len + take)
                cap *= 2;
            if (cap > x->body_cap)
                cap = x->body_cap;
            uint8_t *nb = realloc(x->body, cap);
            if (!nb)
                return 0;
            x->body = nb;
            x->body_alloc = cap;
        }
        memcpy(x->body + x->body_len, ptr, take);
        x->body_len += take;
    }
    x->body_bytes += take;
    if (take < n) {
        x->capped = true;
        return 0; /* stop the transfer: CURLE_WRITE_ERROR, recognised below */
    }
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    x->header_bytes += n;
    if (x->header_bytes > x->f->cfg.header_cap) {
        x->header_over = true;
        return 0;
    }
    /* A new response (after 1xx) starts: forget the previous headers. */
    if (n >= 5 && strncasecmp(ptr, "HTTP/", 5) == 0)
        x->res.content_type[0] = '\0';
    if (n > 13 && strncasecmp(ptr, "content-type:", 13) == 0) {
        size_t i = 13;
        while (i < n && (ptr[i] == ' ' || ptr[i] == '\t'))
            i++;
        size_t e = n;
        while (e > i && (ptr[e - 1] == '\r' || ptr[e - 1] == '\n' || ptr[e - 1] == ' '))
            e--;
        size_t l = e - i < sizeof x->res.content_type - 1 ? e - i : sizeof x->res.content_type - 1;
        memcpy(x->res.content_type, ptr + i, l);
        x->res.content_type[l] = '\0';
    }
    return n;
}

static void start_waiting(struct fetch_engine *f);
static void schedule_done(struct fetch_engine *f);

static void classify(struct xfer *x, CURLcode cc)
{
    struct fetch_result *r = &x->res;
    char addr[64];
    fmt_addr(x->family, x->addr, addr, sizeof addr);
    long code = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    r->http_code = code;
    curl_off_t t;
    uint64_t base = 0;
    if (curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &t) == CURLE_OK && t > 0)
        r->t_connect = (uint64_t)t * 1000ull;
    if (curl_easy_getinfo(x->easy, CURLINFO_APPCONNECT_TIME_T, &t) == CURLE_OK && t > 0)
        r->t_tls = (uint64_t)t * 1000ull;
    if (curl_easy_getinfo(x->easy, CURLINFO_STARTTRANSFER_TIME_T, &t) == CURLE_OK && t > 0)
        r->t_first_byte = (uint64_t)t * 1000ull;
    if (curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &t) == CURLE_OK && t > 0)
        r->t_total = (uint64_t)t * 1000ull;
    (void)base;
    char *loc = NULL;
    if (curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc)
        util_strlcpy(r->location, loc, sizeof r->location);
    r->family = x->family;
    snprintf(r->remote, sizeof r->remote, x->family == 6 ? "[%s]:%u" : "%s:%u", addr, x->port);
    r->body = x->discard_body ? NULL : x->body;
    r->body_len = x->discard_body ? 0 : x->body_len;
    r->body_bytes = x->body_bytes;
    r->header_bytes = x->header_bytes;
    r->body_capped = x->capped;

    const char *ce = x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc);
    char tmo[32];
    seconds(x->timeout_ns, tmo, sizeof tmo);
    if (cc == CURLE_OK || (cc == CURLE_WRITE_ERROR && x->capped)) {
        r->status = FS_OK;
        return;
    }
    if (x->header_over) {
        r->status = FS_PROTOCOL;
        snprintf(r->detail, sizeof r->detail, "%s port %u: response headers over %zu KiB", addr,
                 x->port, x->f->cfg.header_cap / 1024);
        return;
    }
    long oserr = 0;
    curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &oserr);
    bool connected = r->t_connect > 0;
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
        if (oserr == ECONNREFUSED) {
            r->status = FS_REFUSED;
            snprintf(r->detail, sizeof r->detail, "%s port %u: connection refused", addr, x->port);
        } else if (oserr == ETIMEDOUT) {
            r->status = FS_CONNECT_TIMEOUT;
            char ct[32];
            seconds(x->connect_timeout_ns, ct, sizeof ct);
            snprintf(r->detail, sizeof r->detail, "%s port %u: connection timed out after %s",
                     addr, x->port, ct);
        } else {
            r->status = FS_UNREACHABLE;
            snprintf(r->detail, sizeof r->detail, "%s port %u: %s", addr, x->port,
                     oserr ? strerror((int)oserr) : ce);
        }
        return;
    case CURLE_OPERATION_TIMEDOUT:
        if (!connected) {
            r->status = FS_CONNECT_TIMEOUT;
            char ct[32];
            seconds(x->connect_timeout_ns < x->timeout_ns ? x->connect_timeout_ns : x->timeout_ns,
                    ct, sizeof ct);
            snprintf(r->detail, sizeof r->detail, "%s port %u: connection timed out after %s",
                     addr, x->port, ct);
        } else {
            r->status = FS_TIMEOUT;
            if (r->t_first_byte)
                snprintf(r->detail, sizeof r->detail,
                         "%s port %u: timed out after %s while receiving the body (%llu bytes so far)",
                         addr, x->port, tmo, (unsigned long long)x->body_bytes);
            else
                snprintf(r->detail, sizeof r->detail,
                         "%s port %u: connected, but no response within %s", addr, x->port, tmo);
        }
        return;
    case CURLE_PEER_FAILED_VERIFICATION:
#if LIBCURL_VERSION_NUM < 0x073e00
    case CURLE_SSL_CACERT:
#endif
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        r->status = FS_TLS_CERT;
        snprintf(r->detail, sizeof r->detail, "%s port %u: certificate not accepted: %s", addr,
                 x->port, ce);
        return;
    case CURLE_SSL_CONNECT_ERROR:
        r->status = FS_TLS;
        snprintf(r->detail, sizeof r->detail, "%s port %u: TLS handshake failed: %s", addr,
                 x->port, ce);
        return;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        r->status = FS_RESET;
        snprintf(r->detail, sizeof r->detail, "%s port %u: connection closed before a full response (%s)",
                 addr, x->port, ce);
        return;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_HTTP2:
    case CURLE_RANGE_ERROR:
        r->status = FS_PROTOCOL;
        snprintf(r->detail, sizeof r->detail, "%s port %u: not a valid HTTP response (%s)", addr,
                 x->port, ce);
        return;
    case CURLE_OUT_OF_MEMORY:
    case CURLE_WRITE_ERROR:
        r->status = FS_LOCAL;
        snprintf(r->detail, sizeof r->detail, "%s port %u: local error: %s", addr, x->port, ce);
        return;
    default:
        if (strstr(ce, "header") || strstr(ce, "Header")) {
            r->status = FS_PROTOCOL;
            snprintf(r->detail, sizeof r->detail, "%s port %u: invalid response headers (%s)",
                     addr, x->port, ce);
        } else if (strstr(ce, "SSL") || strstr(ce, "TLS") || strstr(ce, "certificate")) {
            r->status = strstr(ce, "certificate") ? FS_TLS_CERT : FS_TLS;
            snprintf(r->detail, sizeof r->detail, "%s port %u: %s", addr, x->port, ce);
        } else {
            r->status = connected ? FS_RESET : FS_UNREACHABLE;
            snprintf(r->detail, sizeof r->detail, "%s port %u: %s", addr, x->port, ce);
        }
        return;
    }
}

static void xfer_free(struct xfer *x)
{
    if (x->easy)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->connect_to);
    free(x->url);
    free(x->body);
    free(x);
}

static void run_unlink(struct fetch_engine *f, struct xfer *x)
{
    if (x->run_prev)
        x->run_prev->run_next = x->run_next;
    else
        f->run_head = x->run_next;
    if (x->run_next)
        x->run_next->run_prev = x->run_prev;
    x->run_prev = x->run_next = NULL;
}

static void finish_xfer(struct fetch_engine *f, struct xfer *x)
{
    run_unlink(f, x);
    curl_multi_remove_handle(f->multi, x->easy);
    f->running--;
    x->hq->running--;
    f->stats.completed++;
    if (x->res.status != FS_OK)
        f->stats.failed++;
    f->stats.bytes += x->body_bytes + x->header_bytes;
    x->next = NULL;
    if (f->done_tail)
        f->done_tail->next = x;
    else
        f->done_head = x;
    f->done_tail = x;
    schedule_done(f);
}

static void drain_info(struct fetch_engine *f)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(f->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct xfer *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (!x)
            continue;
        classify(x, m->data.result);
        finish_xfer(f, x);
    }
}

static void on_done_timer(void *arg)
{
    struct fetch_engine *f = arg;
    struct xfer *list = f->done_head;
    f->done_head = f->done_tail = NULL;
    while (list) {
        struct xfer *x = list;
        list = x->next;
        struct host_q *hq = x->hq;
        x->cb(x->arg, &x->res);
        xfer_free(x);
        hq->refs--;
        hq_maybe_free(f, hq);
    }
    start_waiting(f);
}

static void schedule_done(struct fetch_engine *f)
{
    if (!loop_timer_armed(&f->done_timer))
        loop_timer_after(f->loop, &f->done_timer, 0);
}

static void on_io(void *arg, int fd, unsigned ev)
{
    struct fetch_engine *f = arg;
    int mask = 0;
    if (ev & LOOP_READ)
        mask |= CURL_CSELECT_IN;
    if (ev & LOOP_WRITE)
        mask |= CURL_CSELECT_OUT;
    if (ev & LOOP_ERROR)
        mask |= CURL_CSELECT_ERR;
    int running;
    curl_multi_socket_action(f->multi, fd, mask, &running);
    drain_info(f);
}

static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)e;
    (void)socketp;
    struct fetch_engine *f = userp;
    unsigned ev = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        ev |= LOOP_READ;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        ev |= LOOP_WRITE;
    if (what == CURL_POLL_REMOVE)
        ev = 0;
    loop_watch(f->loop, (int)s, ev, on_io, f);
    return 0;
}

static void on_curl_timer(void *arg)
{
    struct fetch_engine *f = arg;
    int running;
    curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    drain_info(f);
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
    (void)m;
    struct fetch_engine *f = userp;
    if (timeout_ms < 0)
        loop_timer_cancel(f->loop, &f->curl_timer);
    else
        loop_timer_after(f->loop, &f->curl_timer, (uint64_t)timeout_ms * 1000000ull);
    return 0;
}

/* ---- starting transfers ---- */

static bool xfer_begin(struct fetch_engine *f, struct xfer *x)
{
    CURL *e = curl_easy_init();
    if (!e)
        return false;
    x->easy = e;
    struct url_parts p;
    if (!url_split(x->url, &p))
        return false;
    char addr[64], ct[URL_HOST_MAX + 96];
    fmt_addr(x->family, x->addr, addr, sizeof addr);
    /* CONNECT_TO host part must match the URL's host as curl sees it: a
     * literal IPv6 host is bracketed there. */
    if (p.family == 6)
        snprintf(ct, sizeof ct, "[%s]:%u:%s%s%s:%u", p.host, p.port, x->family == 6 ? "[" : "",
                 addr, x->family == 6 ? "]" : "", p.port);
    else
        snprintf(ct, sizeof ct, "%s:%u:%s%s%s:%u", p.host, p.port, x->family == 6 ? "[" : "",
                 addr, x->family == 6 ? "]" : "", p.port);
    x->connect_to = curl_slist_append(NULL, ct);
    if (!x->connect_to)
        return false;
    curl_easy_setopt(e, CURLOPT_URL, x->url);
    curl_easy_setopt(e, CURLOPT_CONNECT_TO, x->connect_to);
    curl_easy_setopt(e, CURLOPT_IPRESOLVE, x->family == 6 ? CURL_IPRESOLVE_V6 : CURL_IPRESOLVE_V4);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, NULL);
    curl_easy_setopt(e, CURLOPT_USERAGENT, f->user_agent);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(x->timeout_ns / 1000000ull));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(x->connect_timeout_ns / 1000000ull));
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (x->head_only)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    if (x->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (f->ca_file) {
        curl_easy_setopt(e, CURLOPT_CAINFO, f->ca_file);
    }
    x->started_at = loop_update_time(f->loop);
    x->res.queued_ns = x->started_at - x->queued_at;
    if (curl_multi_add_handle(f->multi, e) != CURLM_OK)
        return false;
    f->running++;
    x->hq->running++;
    f->stats.started++;
    x->run_next = f->run_head;
    if (f->run_head)
        f->run_head->run_prev = x;
    f->run_head = x;
    return true;
}

static void fail_local(struct fetch_engine *f, struct xfer *x, const char *why)
{
    x->res.status = FS_LOCAL;
    snprintf(x->res.detail, sizeof x->res.detail, "cannot start the request for %s: %s", x->url,
             why);
    f->stats.completed++;
    f->stats.failed++;
    x->next = NULL;
    if (f->done_tail)
        f->done_tail->next = x;
    else
        f->done_head = x;
    f->done_tail = x;
    schedule_done(f);
}

static void start_waiting(struct fetch_engine *f)
{
    /* Walk the ready list (hosts with waiting requests) round-robin. */
    size_t i = 0;
    while (i < f->nready && f->running < f->cfg.max_inflight) {
        struct host_q *q = f->ready[i];
        if (q->running >= f->cfg.per_host || !q->head) {
            if (!q->head) {
                f->ready[i] = f->ready[--f->nready];
                continue;
            }
            i++;
            continue;
        }
        struct xfer *x = q->head;
        q->head = x->next;
        if (!q->head)
            q->tail = NULL;
        x->next = NULL;
        f->waiting--;
        if (!xfer_begin(f, x)) {
            if (x->easy) {
                curl_easy_cleanup(x->easy);
                x->easy = NULL;
            }
            fail_local(f, x, "curl refused the request");
        }
        if (!q->head) {
            f->ready[i] = f->ready[--f->nready];
            continue;
        }
        i++;
    }
    f->stats.inflight = f->running;
    f->stats.waiting = (unsigned)f->waiting;
}

int fetch_start(struct fetch_engine *f, const struct fetch_request *req, fetch_cb cb, void *arg)
{
    struct url_parts p;
    if (f->freeing || !req || !req->url || (req->family != 4 && req->family != 6) ||
        !url_split(req->url, &p))
        return -1;
    struct xfer *x = calloc(1, sizeof *x);
    if (!x)
        return -1;
    x->f = f;
    x->cb = cb;
    x->arg = arg;
    x->url = strdup(req->url);
    x->family = req->family;
    memcpy(x->addr, req->addr, 16);
    x->port = p.port;
    x->timeout_ns = req->timeout_ns ? req->timeout_ns : 10000000000ull;
    x->connect_timeout_ns = req->connect_timeout_ns ? req->connect_timeout_ns
                            : (x->timeout_ns < 5000000000ull ? x->timeout_ns : 5000000000ull);
    if (x->connect_timeout_ns > x->timeout_ns)
        x->connect_timeout_ns = x->timeout_ns;
    x->body_cap = req->body_cap ? req->body_cap : f->cfg.body_cap;
    x->head_only = req->head_only;
    x->discard_body = req->discard_body;
    x->insecure = req->insecure;
    x->queued_at = loop_update_time(f->loop);
    x->hq = hq_get(f, p.host);
    if (!x->url || !x->hq) {
        free(x->url);
        free(x);
        return -1;
    }
    x->hq->refs++;
    bool was_idle = !x->hq->head;
    if (x->hq->tail)
        x->hq->tail->next = x;
    else
        x->hq->head = x;
    x->hq->tail = x;
    f->waiting++;
    if (x->hq->running >= f->cfg.per_host)
        f->stats.queued_host++;
    if (was_idle) {
        if (f->nready == f->cap_ready) {
            size_t c = f->cap_ready ? f->cap_ready * 2 : 256;
            struct host_q **n = realloc(f->ready, c * sizeof *n);
            if (!n)
                return -1; /* stays queued; picked up if another slot frees */
            f->ready = n;
            f->cap_ready = c;
        }
        f->ready[f->nready++] = x->hq;
    }
    /* Start from the loop: never call back inside fetch_start(). */
    if (!loop_timer_armed(&f->done_timer))
        loop_timer_after(f->loop, &f->done_timer, 0);
    return 0;
}

struct fetch_engine *fetch_engine_new(struct loop *loop, const struct fetch_config *cfg,
                                      struct errbuf *e)
{
    /* No curl_global_init() here: it is process-wide, and curl_easy_init()
     * performs it on first use; a program that starts threads calls it
     * itself before (the v6mon tool is single-threaded). */
    struct fetch_engine *f = calloc(1, sizeof *f);
    if (!f) {
        errbuf_set(e, V6M_ERR_NOMEM, "out of memory for the HTTP engine");
        return NULL;
    }
    f->loop = loop;
    if (cfg)
        f->cfg = *cfg;
    if (!f->cfg.per_host)
        f->cfg.per_host = 2;
    if (!f->cfg.max_inflight)
        f->cfg.max_inflight = 4096;
    if (!f->cfg.body_cap)
        f->cfg.body_cap = 2u << 20;
    if (!f->cfg.header_cap)
        f->cfg.header_cap = 64u << 10;
    if (cfg && cfg->ca_file) {
        f->ca_file = strdup(cfg->ca_file);
        f->cfg.ca_file = f->ca_file;
    }
    if (cfg && cfg->user_agent)
        snprintf(f->user_agent, sizeof f->user_agent, "%s", cfg->user_agent);
    else
        snprintf(f->user_agent, sizeof f->user_agent, "v6mon/%d.%d.%d (+IPv6 deployment monitor)",
                 V6M_VERSION_MAJOR, V6M_VERSION_MINOR, V6M_VERSION_PATCH);
    f->multi = curl_multi_init();
    if (!f->multi) {
        errbuf_set(e, V6M_ERR_NOMEM, "cannot create a curl multi handle");
        free(f->ca_file);
        free(f);
        return NULL;
    }
    loop_timer_init(&f->curl_timer, on_curl_timer, f);
    loop_timer_init(&f->done_timer, on_done_timer, f);
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
    curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)f->cfg.max_inflight);
    /* A small idle-connection cache: curl scans the cached connections of
     * an address on every new request (and polls each for liveness); many
     * virtual sites behind one address made that scan the hot spot. Most
     * hosts get a handful of requests, so little reuse is lost. */
    curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, 64L);
    return f;
}

void fetch_engine_free(struct fetch_engine *f)
{
    if (!f)
        return;
    f->freeing = true;
    loop_timer_cancel(f->loop, &f->curl_timer);
    loop_timer_cancel(f->loop, &f->done_timer);
    /* Cancel: running, waiting, and finished-but-not-delivered. */
    struct xfer *cancel = NULL;
    for (size_t b = 0; b < f->nbuckets; b++) {
        for (struct host_q *q = f->buckets[b]; q; q = q->next_bucket) {
            while (q->head) {
                struct xfer *x = q->head;
                q->head = x->next;
                x->next = cancel;
                cancel = x;
            }
        }
    }
    struct xfer *done = f->done_head;
    f->done_head = f->done_tail = NULL;
    while (done) {
        struct xfer *x = done;
        done = x->next;
        x->cb(x->arg, &x->res);
        xfer_free(x);
    }
    while (f->run_head) {
        struct xfer *x = f->run_head;
        run_unlink(f, x);
        curl_multi_remove_handle(f->multi, x->easy);
        x->next = cancel;
        cancel = x;
    }
    for (struct xfer *x = cancel; x;) {
        struct xfer *n = x->next;
        x->res.status = FS_CANCELLED;
        snprintf(x->res.detail, sizeof x->res.detail, "cancelled");
        x->cb(x->arg, &x->res);
        xfer_free(x);
        x = n;
    }
    curl_multi_cleanup(f->multi);
    for (size_t b = 0; b < f->nbuckets; b++) {
        struct host_q *q = f->buckets[b];
        while (q) {
            struct host_q *n = q->next_bucket;
            free(q);
            q = n;
        }
    }
    free(f->buckets);
    free(f->ready);
    free(f->ca_file);
    free(f);
}

size_t fetch_inflight(const struct fetch_engine *f)
{
    return f->running + f->waiting;
}

void fetch_get_stats(const struct fetch_engine *f, struct fetch_stats *out)
{
    *out = f->stats;
    out->inflight = f->running;
    out->waiting = (unsigned)f->waiting;
}
