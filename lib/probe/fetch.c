/*
 * probe/fetch.c - HTTP(S) requests pinned to one address, over curl multi,
 * on the prober's event loop (contract: fetch.h; status table and timing
 * fields: docs/internals/fetch.md).
 *
 * Loop integration. One CURLM per engine. CURLMOPT_SOCKETFUNCTION maps
 * each socket curl wants watched onto loop_watch(); CURLMOPT_TIMERFUNCTION
 * onto one loop timer (curl must not be re-entered from its own timer
 * callback, so the loop timer calls curl_multi_socket_action later). After
 * every curl_multi_socket_action() the engine drains curl_multi_info_read():
 * a finished transfer is classified, its slots are released at once (so
 * waiting requests start in the same round), and it is appended to a done
 * list. The done list is delivered from a zero-delay loop timer, never
 * from inside curl and never from inside fetch_start(): a user callback may
 * start requests, free its own objects, or even free the engine.
 *
 * Pinning. The URL keeps the host name (Host header, TLS SNI and the
 * certificate name check use it). CURLOPT_CONNECT_TO "::ADDR:" (IPv6
 * "::[ADDR]:") sends the connection to our address on the URL's port: the
 * empty host and port fields match any host and port, so the pin holds
 * whatever spelling curl gives the host internally (upper case, final dot,
 * IDN converted to punycode). CURLOPT_IPRESOLVE forbids the other family.
 * After the transfer CURLINFO_PRIMARY_IP is compared with the pinned
 * address; a mismatch (it would mean curl resolved the name itself) is an
 * FS_LOCAL failure, never a silent success. libcurl 7.88 has no queue-time
 * info (8.6+), so the engine measures queueing itself; Happy Eyeballs is
 * not involved since there is exactly one address.
 *
 * HTTP/1.1 only, on purpose: every client can speak it, so the measurement
 * says what any IPv6 user gets, and it does not depend on ALPN or on one
 * multiplexed connection hiding per-request failures. HTTP/2 could be an
 * option later. "Accept-Encoding: identity" is sent as a plain header (and
 * curl's decoding stays off), so body byte counts are wire body bytes.
 * Redirects are never followed (the caller pins each hop itself);
 * CURLINFO_REDIRECT_URL gives the Location of a 3xx resolved against the
 * request URL even when curl does not follow it.
 *
 * TLS. ca_file replaces the system bundle; CURLOPT_CAPATH is always
 * cleared, because curl caches the parsed CA store in the multi handle
 * only when it comes from one bundle file (Debian's curl also defaults to
 * /etc/ssl/certs, and then re-parsed the whole system bundle for each TLS
 * connection: ~30 ms of CPU, measured in docs/internals/fetch.md). No TLS
 * session resumption: every handshake is a full one.
 *
 * Caps. The body callback keeps at most body_cap bytes; a longer body is
 * cut there by returning a short count (curl then ends with
 * CURLE_WRITE_ERROR, recognised as body_capped, FS_OK). The header callback
 * counts header bytes (all responses, 1xx included) and aborts over
 * header_cap (FS_PROTOCOL "response headers over N KiB"); curl itself
 * refuses one header line over 100 KB (CURLE_OUT_OF_MEMORY before any
 * callback sees it) and 300 KB of headers in all ("Too large response
 * headers", CURLE_RECV_ERROR in 7.88): both become FS_PROTOCOL.
 *
 * Queues. A request waits in the FIFO of its host (URL host name, ASCII
 * case-insensitive, one final dot ignored) until fewer than per_host of
 * that host run. Hosts that have a waiting request and a free slot form a
 * FIFO of runnable hosts, served round-robin while fewer than max_inflight
 * transfers run. Everything is O(1) per request. A request's timeouts
 * start when it is handed to curl (curl counts CURLOPT_TIMEOUT_MS from
 * curl_multi_add_handle); queued_ns reports the wait before that.
 *
 * Invariants:
 *   - q->in_runnable  <=>  q is in the runnable FIFO, which implies
 *     q->head != NULL (re-checked when popped) and q->running < per_host;
 *   - a host queue with nothing waiting and nothing running is freed;
 *   - an xfer is in exactly one of: its host FIFO (waiting), the running
 *     list (owned by curl), the done list, or being delivered;
 *   - f->running == number of xfers in the running list <= max_inflight.
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

#define DEFAULT_TIMEOUT_NS 10000000000ull
#define DEFAULT_CONNECT_NS 5000000000ull
#define BODY_FIRST_ALLOC 16384

struct host_q;

struct xfer {
    struct fetch_engine *f;
    struct host_q *hq;                /* NULL once the transfer left its slot */
    struct xfer *next;                /* host FIFO or done list */
    struct xfer *run_prev, *run_next; /* running list */
    CURL *easy;
    fetch_cb cb;
    void *arg;
    /* the request, copied */
    char *url;
    int family;
    uint8_t addr[16];
    char addr_text[64]; /* no brackets */
    uint16_t port;
    bool https;
    uint64_t timeout_ns, connect_timeout_ns;
    size_t body_cap;
    bool head_only, discard_body, insecure;
    char range[48];     /* CURLOPT_RANGE "a-b", or "" for the whole resource */
    /* progress */
    uint8_t *body;
    size_t body_len, body_alloc;
    uint64_t body_bytes, header_bytes;
    long last_status;   /* status code of the latest status line seen */
    bool capped;        /* body cut at body_cap */
    bool header_over;   /* header_cap exceeded */
    bool body_oom;      /* could not grow the body buffer */
    bool ready_to_send; /* CURLOPT_PREREQFUNCTION ran: connected (+TLS) */
    bool headers_done;  /* the final response's header block ended */
    bool has_location;  /* the final 3xx carried a Location header */
    uint64_t queued_at, started_at;
    struct curl_slist *connect_to;
    char errbuf[CURL_ERROR_SIZE];
    struct fetch_result res;
};

struct host_q {
    char host[URL_HOST_MAX];
    uint64_t hash;
    unsigned running;
    struct xfer *head, *tail; /* waiting requests, FIFO */
    struct host_q *next_bucket;
    struct host_q *rnext; /* runnable FIFO */
    bool in_runnable;
};

struct fetch_engine {
    struct loop *loop;
    CURLM *multi;
    struct fetch_config cfg;
    char *ca_file;
    char user_agent[128];
    struct curl_slist *headers; /* shared by every easy handle */
    struct loop_timer curl_timer;
    struct loop_timer done_timer;
    struct xfer *done_head, *done_tail;
    size_t ndone; /* finished, callback not yet run */
    struct xfer *run_head;
    struct host_q **buckets;
    size_t nbuckets, nhosts;
    struct host_q *rhead, *rtail; /* runnable hosts */
    unsigned running;
    size_t waiting;
    struct fetch_stats stats;
    unsigned dispatching; /* > 0 while callbacks are delivered */
    bool freeing, free_deferred;
};

const char *fetch_status_name(enum fetch_status s)
{
    static const char *const n[FS__COUNT] = {
        "ok",  "refused", "unreachable", "connect_timeout", "timeout", "tls_cert",
        "tls", "reset",   "protocol",    "too_big",         "local",   "cancelled",
    };
    return (unsigned)s < FS__COUNT ? n[s] : "?";
}

/* ---- small formatting helpers ---- */

/* "5 s", "0.3 s", "250 ms". */
static void fmt_secs(uint64_t ns, char *buf, size_t len)
{
    if (ns >= 1000000000ull && ns % 1000000000ull == 0)
        snprintf(buf, len, "%llu s", (unsigned long long)(ns / 1000000000ull));
    else if (ns % 100000000ull == 0)
        snprintf(buf, len, "%llu.%llu s", (unsigned long long)(ns / 1000000000ull),
                 (unsigned long long)(ns / 100000000ull % 10));
    else
        snprintf(buf, len, "%llu ms", (unsigned long long)(ns / 1000000ull));
}

/* 1234567 -> "1,234,567". */
static void fmt_count(uint64_t v, char *buf, size_t len)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 1 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0 && o + 2 < len)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

/* Copy curl's error text without its trailing newline. */
static void curl_text(const struct xfer *x, CURLcode cc, char *buf, size_t len)
{
    util_strlcpy(buf, x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc), len);
    size_t l = strlen(buf);
    while (l && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
        buf[--l] = '\0';
}

/* strerror() with a lowercase first letter: "connection refused". */
static void os_text(long err, char *buf, size_t len)
{
    util_strlcpy(buf, strerror((int)err), len);
    if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
        buf[0] = (char)(buf[0] - 'A' + 'a');
}

/* ---- host queues ---- */

static uint64_t host_key(const char *host, char *low, size_t len)
{
    size_t n = util_strlcpy(low, host, len);
    if (n >= len)
        n = len - 1;
    for (size_t i = 0; i < n; i++)
        if (low[i] >= 'A' && low[i] <= 'Z')
            low[i] = (char)(low[i] - 'A' + 'a');
    if (n > 1 && low[n - 1] == '.')
        low[--n] = '\0';
    return hash_bytes(low, n, 0x9e37);
}

static struct host_q *hq_get(struct fetch_engine *f, const char *host)
{
    char low[URL_HOST_MAX];
    uint64_t h = host_key(host, low, sizeof low);
    if (f->nhosts >= f->nbuckets) {
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

/* After q's running count or FIFO changed: make it runnable, or free it
 * when it is idle. */
static void hq_update(struct fetch_engine *f, struct host_q *q)
{
    if (q->head) {
        if (!q->in_runnable && q->running < f->cfg.per_host) {
            q->in_runnable = true;
            q->rnext = NULL;
            if (f->rtail)
                f->rtail->rnext = q;
            else
                f->rhead = q;
            f->rtail = q;
        }
        return;
    }
    if (q->running || q->in_runnable)
        return;
    struct host_q **slot = &f->buckets[q->hash & (f->nbuckets - 1)];
    while (*slot && *slot != q)
        slot = &(*slot)->next_bucket;
    if (*slot)
        *slot = q->next_bucket;
    f->nhosts--;
    free(q);
}

/* ---- curl callbacks on one transfer ---- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    size_t room = x->body_cap > x->body_bytes ? x->body_cap - (size_t)x->body_bytes : 0;
    size_t take = n < room ? n : room;
    if (!x->discard_body && take) {
        if (x->body_len + take > x->body_alloc) {
            size_t cap = x->body_alloc ? x->body_alloc : BODY_FIRST_ALLOC;
            while (cap < x->body_len + take)
                cap *= 2;
            if (cap > x->body_cap)
                cap = x->body_cap;
            uint8_t *nb = realloc(x->body, cap);
            if (!nb) {
                x->body_oom = true;
                return 0;
            }
            x->body = nb;
            x->body_alloc = cap;
        }
        memcpy(x->body + x->body_len, ptr, take);
        x->body_len += take;
    }
    x->body_bytes += take;
    if (take < n) {
        x->capped = true;
        return 0; /* stop here: CURLE_WRITE_ERROR, recognised by classify() */
    }
    return n;
}

/* Value of header line "name: value\r\n" when its name is `name` (len nl). */
static bool header_value(const char *p, size_t n, const char *name, size_t nl, const char **v,
                         size_t *vl)
{
    if (n <= nl || strncasecmp(p, name, nl) != 0 || p[nl] != ':')
        return false;
    size_t i = nl + 1;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    size_t e = n;
    while (e > i && (p[e - 1] == '\r' || p[e - 1] == '\n' || p[e - 1] == ' ' || p[e - 1] == '\t'))
        e--;
    *v = p + i;
    *vl = e - i;
    return true;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    x->header_bytes += n;
    if (x->header_bytes > x->f->cfg.header_cap) {
        x->header_over = true;
        return 0; /* CURLE_WRITE_ERROR, recognised by classify() */
    }
    if (n >= 12 && strncmp(ptr, "HTTP/", 5) == 0) {
        /* A status line: a new response starts (after 1xx); forget what
         * the previous one said. "HTTP/1.1 301 ..." */
        const char *sp = memchr(ptr, ' ', n);
        long code = 0;
        if (sp && (size_t)(sp - ptr) + 4 <= n)
            for (int i = 1; i <= 3; i++)
                code = code * 10 + (sp[i] >= '0' && sp[i] <= '9' ? sp[i] - '0' : 0);
        x->last_status = code;
        x->res.content_type[0] = '\0';
        x->has_location = false;
        x->headers_done = false;
        return n;
    }
    if (n <= 2 && (ptr[0] == '\r' || ptr[0] == '\n')) {
        if (x->last_status < 100 || x->last_status > 199)
            x->headers_done = true;
        return n;
    }
    const char *v;
    size_t vl;
    if (header_value(ptr, n, "content-type", 12, &v, &vl)) {
        if (vl > sizeof x->res.content_type - 1)
            vl = sizeof x->res.content_type - 1;
        memcpy(x->res.content_type, v, vl);
        x->res.content_type[vl] = '\0';
    } else if (header_value(ptr, n, "location", 8, &v, &vl) && vl > 0) {
        x->has_location = true;
    }
    return n;
}

/* Called by curl once the connection is ready (new, TLS done, or reused)
 * and before the request is sent. */
static int on_prereq(void *ud, char *conn_primary_ip, char *conn_local_ip, int conn_primary_port,
                     int conn_local_port)
{
    (void)conn_primary_ip;
    (void)conn_local_ip;
    (void)conn_primary_port;
    (void)conn_local_port;
    struct xfer *x = ud;
    x->ready_to_send = true;
    return CURL_PREREQFUNC_OK;
}

/* ---- classification ---- */

static uint64_t info_ns(CURL *e, CURLINFO what)
{
    curl_off_t t = 0;
    if (curl_easy_getinfo(e, what, &t) != CURLE_OK || t <= 0)
        return 0;
    return (uint64_t)t * 1000ull;
}

#define DETAIL(r, ...) snprintf((r)->detail, sizeof(r)->detail, __VA_ARGS__)

/* A whole-request or connect timeout: say which phase it hit. */
static void classify_timeout(struct xfer *x, bool tcp_connected)
{
    struct fetch_result *r = &x->res;
    const char *a = x->addr_text;
    /* Which limit fired: the connect timeout only bounds the connection
     * phase (TCP + TLS), and fires before the whole-request one. */
    uint64_t limit = x->timeout_ns;
    if (!x->ready_to_send && x->connect_timeout_ns < x->timeout_ns &&
        r->t_total + 50000000ull < x->timeout_ns)
        limit = x->connect_timeout_ns;
    char lim[32];
    fmt_secs(limit, lim, sizeof lim);
    if (!tcp_connected) {
        r->status = FS_CONNECT_TIMEOUT;
        DETAIL(r, "%s port %u: connection timed out after %s", a, x->port, lim);
        return;
    }
    r->status = FS_TIMEOUT;
    if (!x->ready_to_send && x->https) {
        DETAIL(r, "%s port %u: connected, but the TLS handshake did not finish within %s", a,
               x->port, lim);
    } else if (!r->t_first_byte && !x->header_bytes) {
        DETAIL(r, "%s port %u: connected, but no response within %s", a, x->port, lim);
    } else if (!x->headers_done) {
        char hb[32];
        fmt_count(x->header_bytes, hb, sizeof hb);
        DETAIL(r, "%s port %u: timed out after %s while receiving the headers (%s bytes so far)", a,
               x->port, lim, hb);
    } else {
        char bb[32];
        fmt_count(x->body_bytes, bb, sizeof bb);
        DETAIL(r, "%s port %u: timed out after %s while receiving the body (%s bytes so far)", a,
               x->port, lim, bb);
    }
}

/* Certificate failures: curl says "SSL certificate problem: unable to get
 * local issuer certificate" or "SSL: no alternative certificate subject
 * name matches target host name 'x'"; keep the reason, drop the prefix. */
static void cert_reason(const char *ce, char *buf, size_t len)
{
    static const char *const prefixes[] = {"SSL certificate problem: ", "SSL: "};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        size_t pl = strlen(prefixes[i]);
        if (strncmp(ce, prefixes[i], pl) == 0) {
            util_strlcpy(buf, ce + pl, len);
            return;
        }
    }
    util_strlcpy(buf, ce, len);
}

static void classify(struct xfer *x, CURLcode cc)
{
    struct fetch_result *r = &x->res;
    CURL *e = x->easy;
    const char *a = x->addr_text;

    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->http_code);
    r->t_connect = info_ns(e, CURLINFO_CONNECT_TIME_T);
    r->t_tls = info_ns(e, CURLINFO_APPCONNECT_TIME_T);
    r->t_first_byte = info_ns(e, CURLINFO_STARTTRANSFER_TIME_T);
    r->t_total = info_ns(e, CURLINFO_TOTAL_TIME_T);
    r->body = x->discard_body ? NULL : x->body;
    r->body_len = x->discard_body ? 0 : x->body_len;
    r->body_bytes = x->body_bytes;
    r->header_bytes = x->header_bytes;
    r->body_capped = x->capped;

    /* The peer curl really talked to. */
    char *pip = NULL;
    long pport = 0;
    bool pinned_ok = true;
    if (curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &pip) == CURLE_OK && pip && pip[0]) {
        uint8_t got[16] = {0};
        int fam = strchr(pip, ':') ? 6 : 4;
        curl_easy_getinfo(e, CURLINFO_PRIMARY_PORT, &pport);
        if (inet_pton(fam == 6 ? AF_INET6 : AF_INET, pip, got) != 1 || fam != x->family ||
            memcmp(got, x->addr, fam == 6 ? 16 : 4) != 0)
            pinned_ok = false;
        snprintf(r->remote, sizeof r->remote, fam == 6 ? "[%s]:%ld" : "%s:%ld", pip,
                 pport ? pport : (long)x->port);
    }
    if (!pinned_ok) {
        r->status = FS_LOCAL;
        DETAIL(r, "%s port %u: curl connected to %s instead of the pinned address", a, x->port,
               r->remote);
        return;
    }

    char ce[CURL_ERROR_SIZE];
    curl_text(x, cc, ce, sizeof ce);
    long oserr = 0;
    curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &oserr);
    char os[96];
    os_text(oserr, os, sizeof os);
    bool tcp_connected = r->t_connect > 0 || x->ready_to_send;

    if (cc == CURLE_OK || (cc == CURLE_WRITE_ERROR && x->capped && !x->header_over)) {
        r->status = FS_OK;
        char *loc = NULL;
        if (curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc && loc[0]) {
            if (strlen(loc) < sizeof r->location)
                util_strlcpy(r->location, loc, sizeof r->location);
            else
                DETAIL(r, "%s port %u: Location header over %zu bytes, ignored", a, x->port,
                       sizeof r->location - 1);
        } else if (x->has_location && r->http_code >= 300 && r->http_code <= 399) {
            DETAIL(r, "%s port %u: Location header that is not a usable URL, ignored", a, x->port);
        }
        return;
    }
    if (x->header_over) {
        r->status = FS_PROTOCOL;
        DETAIL(r, "%s port %u: response headers over %zu KiB", a, x->port,
               x->f->cfg.header_cap / 1024);
        return;
    }
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
        switch (oserr) {
        case ECONNREFUSED:
            r->status = FS_REFUSED;
            DETAIL(r, "%s port %u: connection refused", a, x->port);
            return;
        case ETIMEDOUT: classify_timeout(x, false); return;
        case ENETUNREACH:
        case EHOSTUNREACH:
        case ENETDOWN:
        case EHOSTDOWN:
        case EACCES:
        case EPERM:
        case ENONET:
        case EPROTO:
            r->status = FS_UNREACHABLE;
            DETAIL(r, "%s port %u: %s", a, x->port, os);
            return;
        case EADDRNOTAVAIL:
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
            r->status = FS_LOCAL;
            DETAIL(r, "%s port %u: cannot connect: %s", a, x->port, os);
            return;
        default:
            r->status = FS_UNREACHABLE;
            DETAIL(r, "%s port %u: %s", a, x->port, oserr ? os : ce);
            return;
        }
    case CURLE_OPERATION_TIMEDOUT: classify_timeout(x, tcp_connected); return;
    case CURLE_PEER_FAILED_VERIFICATION: /* CURLE_SSL_CACERT is the same code */
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: {
        char why[CURL_ERROR_SIZE];
        cert_reason(ce, why, sizeof why);
        r->status = FS_TLS_CERT;
        DETAIL(r, "%s port %u: certificate verify failed: %s", a, x->port, why);
        return;
    }
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CIPHER:
    case CURLE_USE_SSL_FAILED:
        r->status = FS_TLS;
        DETAIL(r, "%s port %u: TLS handshake failed: %s", a, x->port, ce);
        return;
    case CURLE_GOT_NOTHING:
        r->status = FS_RESET;
        DETAIL(r, "%s port %u: connection closed without a response", a, x->port);
        return;
    case CURLE_PARTIAL_FILE: {
        char bb[32];
        fmt_count(x->body_bytes, bb, sizeof bb);
        r->status = FS_RESET;
        DETAIL(r, "%s port %u: connection closed after %s body bytes (%s)", a, x->port, bb, ce);
        return;
    }
    case CURLE_RECV_ERROR:
        if (strstr(ce, "Too large response headers")) {
            r->status = FS_PROTOCOL;
            DETAIL(r, "%s port %u: response headers too large (%s)", a, x->port, ce);
            return;
        }
        /* fall through */
    case CURLE_SEND_ERROR:
    case CURLE_SSL_SHUTDOWN_FAILED:
        r->status = FS_RESET;
        DETAIL(r, "%s port %u: connection broken while %s: %s", a, x->port,
               cc == CURLE_SEND_ERROR ? "sending" : "receiving", oserr ? os : ce);
        return;
    case CURLE_OUT_OF_MEMORY:
        /* curl reports a header line over its 100 KB limit this way, with
         * no text; a real allocation failure says nothing about the site
         * either way, but the header case is the one that happens. */
        if (r->t_first_byte && !x->headers_done) {
            r->status = FS_PROTOCOL;
            DETAIL(r, "%s port %u: a response header line over curl's 100 KB limit", a, x->port);
        } else {
            r->status = FS_LOCAL;
            DETAIL(r, "%s port %u: out of memory", a, x->port);
        }
        return;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_FILESIZE_EXCEEDED:
        r->status = FS_PROTOCOL;
        DETAIL(r, "%s port %u: not a valid HTTP response: %s", a, x->port, ce);
        return;
    case CURLE_WRITE_ERROR:
        r->status = FS_LOCAL;
        DETAIL(r, "%s port %u: %s", a, x->port,
               x->body_oom ? "out of memory for the body" : "cannot store the body");
        return;
    case CURLE_COULDNT_RESOLVE_HOST:
        r->status = FS_LOCAL;
        DETAIL(r, "%s port %u: curl tried to resolve the name itself (pinning failed): %s", a,
               x->port, ce);
        return;
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
        r->status = FS_LOCAL;
        DETAIL(r, "%s port %u: local TLS setup failed: %s", a, x->port, ce);
        return;
    default:
        r->status = FS_LOCAL;
        DETAIL(r, "%s port %u: curl error %d: %s", a, x->port, (int)cc, ce);
        return;
    }
}

/* ---- lists ---- */

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

static void done_push(struct fetch_engine *f, struct xfer *x)
{
    x->next = NULL;
    if (f->done_tail)
        f->done_tail->next = x;
    else
        f->done_head = x;
    f->done_tail = x;
    f->ndone++;
    if (!loop_timer_armed(&f->done_timer))
        loop_timer_after(f->loop, &f->done_timer, 0);
}

/* Release x's host slot (x was running, or failed to start). */
static void release_slot(struct fetch_engine *f, struct xfer *x, bool was_running)
{
    struct host_q *q = x->hq;
    x->hq = NULL;
    if (was_running)
        q->running--;
    hq_update(f, q);
}

static void finish_xfer(struct fetch_engine *f, struct xfer *x)
{
    run_unlink(f, x);
    curl_multi_remove_handle(f->multi, x->easy);
    f->running--;
    release_slot(f, x, true);
    f->stats.completed++;
    if (x->res.status != FS_OK)
        f->stats.failed++;
    f->stats.bytes += x->body_bytes + x->header_bytes;
    done_push(f, x);
}

/* ---- starting transfers ---- */

static bool xfer_begin(struct fetch_engine *f, struct xfer *x)
{
    CURL *e = curl_easy_init();
    if (!e)
        return false;
    x->easy = e;
    /* Empty host and port match whatever curl calls the host; an empty
     * connect-to port keeps the URL's port. */
    char ct[80];
    snprintf(ct, sizeof ct, x->family == 6 ? "::[%s]:" : "::%s:", x->addr_text);
    x->connect_to = curl_slist_append(NULL, ct);
    if (!x->connect_to)
        return false;
    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        CURLcode c_ = curl_easy_setopt(e, opt, val);                                               \
        if (c_ != CURLE_OK && rc == CURLE_OK)                                                      \
            rc = c_;                                                                               \
    } while (0)
    SET(CURLOPT_URL, x->url);
    SET(CURLOPT_CONNECT_TO, x->connect_to);
    SET(CURLOPT_IPRESOLVE, x->family == 6 ? CURL_IPRESOLVE_V6 : CURL_IPRESOLVE_V4);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_PRIVATE, x);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_HTTPHEADER, f->headers);
    SET(CURLOPT_USERAGENT, f->user_agent);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, x);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, x);
    SET(CURLOPT_PREREQFUNCTION, on_prereq);
    SET(CURLOPT_PREREQDATA, x);
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
    SET(CURLOPT_TIMEOUT_MS, (long)(x->timeout_ns / 1000000ull));
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long)(x->connect_timeout_ns / 1000000ull));
    SET(CURLOPT_TCP_NODELAY, 1L);
    /* Every TLS handshake is a full one, whatever curl kept from earlier
     * transfers: t_tls means the same thing for every request. */
    SET(CURLOPT_SSL_SESSIONID_CACHE, 0L);
    /* curl's default receive buffer; one per running transfer, so 4096 in
     * flight hold 64 MiB at most. */
    SET(CURLOPT_BUFFERSIZE, 16384L);
    if (x->head_only)
        SET(CURLOPT_NOBODY, 1L);
    if (x->range[0])
        SET(CURLOPT_RANGE, x->range);
    if (x->insecure) {
        SET(CURLOPT_SSL_VERIFYPEER, 0L);
        SET(CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
        /* One CA bundle file and no CA directory: only then does curl
         * (7.87+, OpenSSL) cache the parsed store in the multi handle.
         * Debian's curl defaults to both the bundle and /etc/ssl/certs,
         * and then parses the whole system bundle again for every TLS
         * connection: about 30 ms of CPU each. */
        if (f->ca_file)
            SET(CURLOPT_CAINFO, f->ca_file);
        SET(CURLOPT_CAPATH, NULL);
    }
#undef SET
    if (rc != CURLE_OK)
        return false;
    x->started_at = loop_update_time(f->loop);
    x->res.queued_ns = x->started_at - x->queued_at;
    if (curl_multi_add_handle(f->multi, e) != CURLM_OK)
        return false;
    f->running++;
    x->hq->running++;
    f->stats.started++;
    x->run_prev = NULL;
    x->run_next = f->run_head;
    if (f->run_head)
        f->run_head->run_prev = x;
    f->run_head = x;
    return true;
}

/* Start waiting requests while slots are free. Runs from fetch_start()
 * and from loop callbacks; never calls a user callback. */
static void pump(struct fetch_engine *f)
{
    while (f->rhead && f->running < f->cfg.max_inflight && !f->freeing) {
        struct host_q *q = f->rhead;
        f->rhead = q->rnext;
        if (!f->rhead)
            f->rtail = NULL;
        q->rnext = NULL;
        q->in_runnable = false;
        struct xfer *x = q->head;
        if (!x || q->running >= f->cfg.per_host) {
            hq_update(f, q);
            continue;
        }
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
            x->res.status = FS_LOCAL;
            DETAIL(&x->res, "%s port %u: cannot start the request (curl refused it)", x->addr_text,
                   x->port);
            f->stats.completed++;
            f->stats.failed++;
            release_slot(f, x, false);
            done_push(f, x);
            continue;
        }
        hq_update(f, q); /* round-robin: back to the tail if it can run more */
    }
}

/* ---- loop glue ---- */

static void drain_info(struct fetch_engine *f)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(f->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct xfer *x = NULL;
        CURLcode cc = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (!x)
            continue;
        classify(x, cc);
        finish_xfer(f, x);
    }
    pump(f);
}

static void engine_release(struct fetch_engine *f);

static void on_done_timer(void *arg)
{
    struct fetch_engine *f = arg;
    f->dispatching++;
    struct xfer *x;
    while ((x = f->done_head)) {
        f->done_head = x->next;
        if (!f->done_head)
            f->done_tail = NULL;
        f->ndone--;
        x->next = NULL;
        x->cb(x->arg, &x->res); /* may fetch_start(), or fetch_engine_free(f) */
        xfer_free(x);
    }
    f->dispatching--;
    if (f->free_deferred) {
        if (!f->dispatching)
            engine_release(f);
        return;
    }
    pump(f);
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
    /* A failure (out of memory for the fd table) leaves the socket
     * unwatched: the transfer then ends by its timeout, not silently. */
    (void)loop_watch(f->loop, (int)s, ev, ev ? on_io : NULL, ev ? f : NULL);
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

/* ---- public ---- */

int fetch_start(struct fetch_engine *f, const struct fetch_request *req, fetch_cb cb, void *arg)
{
    if (!f || f->freeing || !req || !req->url || !cb || (req->family != 4 && req->family != 6))
        return -1;
    struct url_parts p;
    if (!url_split(req->url, &p))
        return -1;
    if (req->range_len && req->range_off > UINT64_MAX - req->range_len)
        return -1;
    struct xfer *x = calloc(1, sizeof *x);
    if (!x)
        return -1;
    x->f = f;
    x->cb = cb;
    x->arg = arg;
    /* curl gets the URL in normal form (url.h): an IDN host as punycode,
     * which curl's own parser would refuse in UTF-8; so the Host header and
     * SNI carry the A-label, as a browser's do. */
    bool default_port = (p.port == 80 && strcmp(p.scheme, "http") == 0) ||
                        (p.port == 443 && strcmp(p.scheme, "https") == 0);
    char portbuf[8] = "";
    if (!default_port)
        snprintf(portbuf, sizeof portbuf, ":%u", p.port);
    size_t ulen = strlen(p.scheme) + strlen(p.host) + strlen(portbuf) + strlen(p.path) + 8;
    x->url = malloc(ulen);
    if (x->url)
        snprintf(x->url, ulen, "%s://%s%s%s%s%s", p.scheme, p.family == 6 ? "[" : "", p.host,
                 p.family == 6 ? "]" : "", portbuf, p.path);
    x->family = req->family;
    memcpy(x->addr, req->addr, 16);
    if (req->family == 4)
        memset(x->addr + 4, 0, 12);
    if (!inet_ntop(x->family == 6 ? AF_INET6 : AF_INET, x->addr, x->addr_text, sizeof x->addr_text))
        util_strlcpy(x->addr_text, "?", sizeof x->addr_text);
    x->port = p.port;
    x->https = strcmp(p.scheme, "https") == 0;
    x->timeout_ns = req->timeout_ns ? req->timeout_ns : DEFAULT_TIMEOUT_NS;
    if (x->timeout_ns < 1000000ull)
        x->timeout_ns = 1000000ull; /* curl counts in ms; 0 would mean "none" */
    x->connect_timeout_ns = req->connect_timeout_ns ? req->connect_timeout_ns : DEFAULT_CONNECT_NS;
    if (x->connect_timeout_ns > x->timeout_ns)
        x->connect_timeout_ns = x->timeout_ns;
    if (x->connect_timeout_ns < 1000000ull)
        x->connect_timeout_ns = 1000000ull;
    x->body_cap = req->body_cap ? req->body_cap : f->cfg.body_cap;
    x->head_only = req->head_only;
    x->discard_body = req->discard_body;
    x->insecure = req->insecure;
    if (req->range_len) /* HTTP ranges name the first and the last byte */
        snprintf(x->range, sizeof x->range, "%llu-%llu", (unsigned long long)req->range_off,
                 (unsigned long long)(req->range_off + req->range_len - 1));
    x->res.family = x->family;
    snprintf(x->res.remote, sizeof x->res.remote, x->family == 6 ? "[%s]:%u" : "%s:%u",
             x->addr_text, x->port);
    x->queued_at = loop_update_time(f->loop);
    struct host_q *q = x->url ? hq_get(f, p.host) : NULL;
    if (!q) {
        free(x->url);
        free(x);
        return -1;
    }
    x->hq = q;
    if (q->head || q->running >= f->cfg.per_host)
        f->stats.queued_host++;
    if (q->tail)
        q->tail->next = x;
    else
        q->head = x;
    q->tail = x;
    f->waiting++;
    hq_update(f, q);
    /* Starting here is safe: curl_multi_add_handle() only calls our timer
     * callback; the transfer's own callbacks come later, from the loop. */
    pump(f);
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
    f->cfg.user_agent = NULL;
    f->cfg.ca_file = NULL;
    if (cfg && cfg->ca_file) {
        FILE *fp = fopen(cfg->ca_file, "r");
        if (!fp) {
            errbuf_set(e, V6M_ERR_IO, "cannot open CA file '%s': %s", cfg->ca_file,
                       strerror(errno));
            free(f);
            return NULL;
        }
        fclose(fp);
        f->ca_file = strdup(cfg->ca_file);
        f->cfg.ca_file = f->ca_file;
    }
    if (cfg && cfg->user_agent)
        snprintf(f->user_agent, sizeof f->user_agent, "%s", cfg->user_agent);
    else
        snprintf(f->user_agent, sizeof f->user_agent, "v6mon/%d.%d.%d (+IPv6 deployment monitor)",
                 V6M_VERSION_MAJOR, V6M_VERSION_MINOR, V6M_VERSION_PATCH);
    f->headers = curl_slist_append(NULL, "Accept-Encoding: identity");
    f->multi = curl_multi_init();
    if (!f->multi || !f->headers || (cfg && cfg->ca_file && !f->ca_file)) {
        errbuf_set(e, V6M_ERR_NOMEM, "cannot create a curl multi handle");
        if (f->multi)
            curl_multi_cleanup(f->multi);
        curl_slist_free_all(f->headers);
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
    /* Every running transfer may need its own connection, plus the idle
     * ones kept for reuse below. */
    curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)f->cfg.max_inflight + 64);
    /* A small idle-connection cache: curl scans the cached connections of
     * an address on every new request (and polls each for liveness); many
     * virtual sites behind one address made that scan the hot spot. Most
     * hosts get a handful of requests, so little reuse is lost. */
    curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, 64L);
    return f;
}

static void cancel_xfer(struct xfer *x)
{
    x->res.status = FS_CANCELLED;
    DETAIL(&x->res, "%s port %u: cancelled", x->addr_text, x->port);
    x->cb(x->arg, &x->res);
    xfer_free(x);
}

static void engine_release(struct fetch_engine *f)
{
    curl_slist_free_all(f->headers);
    free(f->ca_file);
    free(f);
}

void fetch_engine_free(struct fetch_engine *f)
{
    if (!f || f->freeing)
        return;
    f->freeing = true; /* fetch_start() now fails; pump() starts nothing */
    /* Finished but not yet delivered: deliver their real results. */
    struct xfer *x;
    while ((x = f->done_head)) {
        f->done_head = x->next;
        if (!f->done_head)
            f->done_tail = NULL;
        f->ndone--;
        x->cb(x->arg, &x->res);
        xfer_free(x);
    }
    /* Running: take them from curl, then cancel. */
    while ((x = f->run_head)) {
        run_unlink(f, x);
        curl_multi_remove_handle(f->multi, x->easy);
        f->running--;
        x->hq->running--;
        x->hq = NULL;
        cancel_xfer(x);
    }
    /* Waiting, host by host in runnable order first, then the rest. */
    for (size_t b = 0; b < f->nbuckets; b++) {
        struct host_q *q = f->buckets[b];
        while (q) {
            while ((x = q->head)) {
                q->head = x->next;
                f->waiting--;
                cancel_xfer(x);
            }
            q->tail = NULL;
            struct host_q *n = q->next_bucket;
            free(q);
            q = n;
        }
        f->buckets[b] = NULL;
    }
    free(f->buckets);
    f->buckets = NULL;
    f->nbuckets = f->nhosts = 0;
    f->rhead = f->rtail = NULL;
    /* Closing cached connections calls sock_cb (and maybe timer_cb):
     * cancel our timers only after that. */
    curl_multi_cleanup(f->multi);
    f->multi = NULL;
    loop_timer_cancel(f->loop, &f->curl_timer);
    loop_timer_cancel(f->loop, &f->done_timer);
    if (f->dispatching)
        f->free_deferred = true; /* on_done_timer() releases it on return */
    else
        engine_release(f);
}

size_t fetch_inflight(const struct fetch_engine *f)
{
    return f->running + f->waiting + f->ndone;
}

void fetch_get_stats(const struct fetch_engine *f, struct fetch_stats *out)
{
    *out = f->stats;
    out->inflight = f->running;
    out->waiting = (unsigned)f->waiting;
}
