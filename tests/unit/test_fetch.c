/*
 * test_fetch.c - the prober's HTTP engine (lib/probe/fetch.c) against an
 * in-process HTTP/1.1 server, and against nginx for TLS.
 *
 * The in-process server listens on 127.0.0.1 and ::1 with ONE ephemeral
 * port P for both, so that the request's family alone decides which
 * listener gets the connection. It is driven by the same event loop as the
 * engine (loop_watch) and answers by path (table in `respond`): 200 with a
 * body, redirects (relative, absolute, too long), 503, a body that never
 * ends, a body of exactly 1,000 bytes, a slow drip, silence, headers that
 * stop, 80 KiB of header lines, one 150 KB header line, non-HTTP bytes, a
 * close without a reply, a cut body, a reset, 100-continue, gzip bytes. It
 * records what each request carried (Host, method, User-Agent,
 * Accept-Encoding, the family of the listener that accepted it) and how
 * many requests it was serving at once.
 *
 * URLs use names under .invalid (RFC 6761): a request that was not pinned
 * would have to resolve one and fail, so a 200 proves the pin; the
 * listener's family proves the family.
 *
 * TLS: when nginx and openssl are installed, a throwaway CA and two server
 * certificates (a.test, b.test) are made in a temporary directory and
 * nginx serves both names on 127.0.0.1 and ::1 with different bodies; the
 * first server is the default. Without them the TLS test prints SKIP.
 *
 * nginx is started with PR_SET_PDEATHSIG and stopped in a teardown, so a
 * failing or killed test does not leave it running.
 *
 * Benchmark (not part of the test run): V6M_FETCH_BENCH=20000 runs N
 * requests, 500 in flight, distinct host names, against a local nginx
 * serving a small static file, and prints requests/s and CPU per request
 * (V6M_FETCH_BENCH_TLS=1 for https verified with the test CA, plus
 * V6M_FETCH_BENCH_INSECURE=1 or V6M_FETCH_BENCH_SYSTEM_CA=1;
 * V6M_FETCH_BENCH_INFLIGHT changes 500). V6M_TEST_VERBOSE=1 prints every
 * result of the tests.
 *
 * Expected values are written by hand from the server table and the
 * contract in fetch.h, never copied from the engine's output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <v6mon/version.h>

#include "probe/fetch.h"
#include "probe/loop.h"

static const uint8_t LO4[16] = {127, 0, 0, 1};
static const uint8_t LO6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

/* ---------------------------------------------------------------------- */
/* In-process HTTP server                                                 */
/* ---------------------------------------------------------------------- */

enum after { KEEP, CLOSE, RST, ENDLESS, DRIP, STALL };

struct srv;

struct conn {
    struct srv *s;
    int fd;
    int family; /* of the listener */
    char in[16384];
    size_t inlen;
    char *out;
    size_t outlen, outoff;
    enum after after;
    bool serving; /* a request is being answered */
    int drip_left;
    struct loop_timer t; /* delayed answer / drip */
    char pending_path[256];
    bool head;
    struct conn *next;
};

struct seen {
    char method[8];
    char path[256];
    char host[300];
    char ua[200];
    char accept_enc[64];
    int family;
};

struct srv {
    struct loop *l;
    int lfd4, lfd6;
    uint16_t port;
    bool have6;
    struct conn *conns;
    int active, max_active;
    int nreq;
    struct seen seen[64];
};

static void conn_close(struct conn *c, bool rst)
{
    struct srv *s = c->s;
    if (c->serving) {
        s->active--;
        c->serving = false;
    }
    if (c->fd >= 0) {
        if (rst) {
            struct linger lg = {1, 0};
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        loop_watch(s->l, c->fd, 0, NULL, NULL);
        close(c->fd);
        c->fd = -1;
    }
    loop_timer_cancel(s->l, &c->t);
    free(c->out);
    c->out = NULL;
    c->outlen = c->outoff = 0;
}

static void out_append(struct conn *c, const char *p, size_t n)
{
    char *o = realloc(c->out, c->outlen + n);
    assert_non_null(o);
    memcpy(o + c->outlen, p, n);
    c->out = o;
    c->outlen += n;
}

static void out_str(struct conn *c, const char *p)
{
    out_append(c, p, strlen(p));
}

static void conn_io(void *arg, int fd, unsigned ev);

static void want_write(struct conn *c)
{
    loop_watch(c->s->l, c->fd, LOOP_READ | LOOP_WRITE, conn_io, c);
}

/* The response has been written completely. */
static void response_done(struct conn *c)
{
    if (c->serving) {
        c->s->active--;
        c->serving = false;
    }
    free(c->out);
    c->out = NULL;
    c->outlen = c->outoff = 0;
    if (c->after == CLOSE) {
        conn_close(c, false);
    } else if (c->after == RST) {
        conn_close(c, true);
    } else if (c->after == KEEP) {
        loop_watch(c->s->l, c->fd, LOOP_READ, conn_io, c);
    } else {
        /* ENDLESS refills in conn_io; DRIP and STALL wait for the timer. */
        loop_watch(c->s->l, c->fd, c->after == ENDLESS ? LOOP_READ | LOOP_WRITE : LOOP_READ,
                   conn_io, c);
    }
}

static void flush(struct conn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN)
                return;
            conn_close(c, false);
            return;
        }
        c->outoff += (size_t)w;
    }
    if (c->after == ENDLESS && c->fd >= 0) {
        free(c->out);
        c->out = NULL;
        c->outlen = c->outoff = 0;
        return;
    }
    response_done(c);
}

static void simple(struct conn *c, const char *status, const char *extra, const char *body)
{
    char h[8192];
    snprintf(h, sizeof h,
             "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n", status,
             strlen(body), extra);
    out_str(c, h);
    if (!c->head)
        out_str(c, body);
}

static void on_conn_timer(void *arg)
{
    struct conn *c = arg;
    if (c->after == DRIP) {
        out_str(c, "x");
        if (--c->drip_left > 0)
            loop_timer_after(c->s->l, &c->t, 50000000ull);
        want_write(c);
        return;
    }
    /* "/slow": the delayed answer */
    c->after = KEEP;
    simple(c, "200 OK", "", "slow");
    want_write(c);
}

static void respond(struct conn *c, const char *path)
{
    char big[4096];
    c->after = KEEP;
    if (strcmp(path, "/ok") == 0) {
        char h[256];
        snprintf(h, sizeof h,
                 "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                 "Content-Length: 13\r\n\r\n");
        out_str(c, h);
        if (!c->head)
            out_str(c, "hello, world\n");
    } else if (strcmp(path, "/slow") == 0) {
        loop_timer_init(&c->t, on_conn_timer, c);
        loop_timer_after(c->s->l, &c->t, 150000000ull);
        return;
    } else if (strcmp(path, "/redir-rel") == 0) {
        simple(c, "301 Moved Permanently", "Location: /target?x=1\r\n", "");
    } else if (strcmp(path, "/redir-abs") == 0) {
        simple(c, "302 Found", "Location: http://other.example/landing\r\n", "");
    } else if (strcmp(path, "/redir-long") == 0) {
        char loc[3200];
        memcpy(loc, "Location: /", 11);
        memset(loc + 11, 'a', 3000);
        memcpy(loc + 3011, "\r\n", 3);
        simple(c, "301 Moved Permanently", loc, "");
    } else if (strcmp(path, "/ok-with-location") == 0) {
        simple(c, "200 OK", "Location: /elsewhere\r\n", "fine");
    } else if (strcmp(path, "/503") == 0) {
        simple(c, "503 Service Unavailable", "", "down");
    } else if (strcmp(path, "/endless") == 0) {
        out_str(c, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                   "Connection: close\r\n\r\n");
        c->after = ENDLESS;
    } else if (strcmp(path, "/exact") == 0) {
        out_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        memset(big, 'e', 1000);
        out_append(c, big, 1000);
    } else if (strcmp(path, "/drip") == 0) {
        out_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
        c->after = DRIP;
        c->drip_left = 1000;
        loop_timer_init(&c->t, on_conn_timer, c);
        loop_timer_after(c->s->l, &c->t, 50000000ull);
    } else if (strcmp(path, "/silent") == 0) {
        return; /* never answer */
    } else if (strcmp(path, "/headers-stall") == 0) {
        out_str(c, "HTTP/1.1 200 OK\r\nServer: stall\r\n");
        c->after = STALL;
    } else if (strcmp(path, "/manyhdr") == 0) {
        /* 1,000 lines of 80 bytes: 80,000 bytes of headers */
        out_str(c, "HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < 1000; i++) {
            char line[81];
            snprintf(line, sizeof line, "X-Filler-%04d: %063d\r\n", i, 0);
            out_append(c, line, 80);
        }
        out_str(c, "Content-Length: 0\r\n\r\n");
    } else if (strcmp(path, "/manyhdr400") == 0) {
        /* 5,000 lines of 80 bytes: 400,000 bytes, over curl's 300 KB */
        out_str(c, "HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < 5000; i++) {
            char line[81];
            snprintf(line, sizeof line, "X-Filler-%04d: %063d\r\n", i, 0);
            out_append(c, line, 80);
        }
        out_str(c, "Content-Length: 0\r\n\r\n");
    } else if (strcmp(path, "/hugeline") == 0) {
        out_str(c, "HTTP/1.1 200 OK\r\nX-Huge: ");
        memset(big, 'h', sizeof big);
        for (int i = 0; i < 150000 / (int)sizeof big + 1; i++)
            out_append(c, big, sizeof big);
        out_str(c, "\r\nContent-Length: 0\r\n\r\n");
    } else if (strcmp(path, "/garbage") == 0) {
        out_str(c, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\r\nnot http at all\r\n");
        c->after = CLOSE;
    } else if (strcmp(path, "/badstatus") == 0) {
        out_str(c, "HTTP/1.1 2x0 Whatever\r\nContent-Length: 0\r\n\r\n");
        c->after = CLOSE;
    } else if (strcmp(path, "/close") == 0) {
        conn_close(c, false);
        return;
    } else if (strcmp(path, "/partial") == 0) {
        out_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
        c->after = CLOSE;
    } else if (strcmp(path, "/rst") == 0) {
        conn_close(c, true);
        return;
    } else if (strcmp(path, "/continue") == 0) {
        out_str(c, "HTTP/1.1 100 Continue\r\nContent-Type: text/bogus\r\n\r\n"
                   "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok");
    } else if (strcmp(path, "/gzip") == 0) {
        /* Not even valid gzip: the engine must not try to decode it. */
        out_str(c, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 7\r\n\r\n"
                   "\x1f\x8b\x08zzzz");
    } else if (strcmp(path, "/target?x=1") == 0) {
        simple(c, "200 OK", "", "target");
    } else {
        simple(c, "404 Not Found", "", "no such path");
    }
    want_write(c);
}

static void header_copy(const char *req, const char *name, char *out, size_t len)
{
    out[0] = '\0';
    size_t nl = strlen(name);
    const char *p = strstr(req, "\r\n");
    while (p && p[2] != '\r') {
        p += 2;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            size_t l = e ? (size_t)(e - v) : strlen(v);
            if (l >= len)
                l = len - 1;
            memcpy(out, v, l);
            out[l] = '\0';
            return;
        }
        p = strstr(p, "\r\n");
    }
}

static void handle_request(struct conn *c)
{
    struct srv *s = c->s;
    c->in[c->inlen] = '\0';
    if ((unsigned char)c->in[0] == 0x16) {
        /* A TLS ClientHello: answer like nginx does on a plain port. */
        out_str(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        c->after = CLOSE;
        c->serving = true;
        s->active++;
        want_write(c);
        return;
    }
    char *end = strstr(c->in, "\r\n\r\n");
    if (!end)
        return;
    struct seen sn;
    memset(&sn, 0, sizeof sn);
    sscanf(c->in, "%7s %255s", sn.method, sn.path);
    header_copy(c->in, "Host", sn.host, sizeof sn.host);
    header_copy(c->in, "User-Agent", sn.ua, sizeof sn.ua);
    header_copy(c->in, "Accept-Encoding", sn.accept_enc, sizeof sn.accept_enc);
    sn.family = c->family;
    if (s->nreq < 64)
        s->seen[s->nreq] = sn;
    s->nreq++;
    /* consume the request (no bodies in these tests) */
    size_t used = (size_t)(end + 4 - c->in);
    memmove(c->in, c->in + used, c->inlen - used);
    c->inlen -= used;
    c->serving = true;
    s->active++;
    if (s->active > s->max_active)
        s->max_active = s->active;
    c->head = strcmp(sn.method, "HEAD") == 0;
    respond(c, sn.path);
}

static void conn_io(void *arg, int fd, unsigned ev)
{
    struct conn *c = arg;
    (void)fd;
    if (ev & LOOP_READ) {
        ssize_t r = recv(c->fd, c->in + c->inlen, sizeof c->in - 1 - c->inlen, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN)) {
            conn_close(c, false);
            return;
        }
        if (r > 0) {
            c->inlen += (size_t)r;
            if (!c->serving)
                handle_request(c);
            if (c->fd < 0)
                return;
        }
    }
    if (ev & LOOP_WRITE) {
        if (c->after == ENDLESS && c->outoff >= c->outlen) {
            char chunk[16384];
            memset(chunk, 'z', sizeof chunk);
            out_append(c, chunk, sizeof chunk);
        }
        flush(c);
    }
}

static void srv_accept(void *arg, int lfd, unsigned ev)
{
    struct srv *s = arg;
    (void)ev;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct conn *c = calloc(1, sizeof *c);
        assert_non_null(c);
        c->s = s;
        c->fd = fd;
        c->family = ss.ss_family == AF_INET6 ? 6 : 4;
        loop_timer_init(&c->t, on_conn_timer, c);
        c->next = s->conns;
        s->conns = c;
        loop_watch(s->l, fd, LOOP_READ, conn_io, c);
    }
}

static int listen_on(int family, uint16_t port, uint16_t *got, bool do_listen)
{
    int fd =
        socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    if (family == 6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        a->sin6_addr = in6addr_loopback;
        sl = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sl = sizeof *a;
    }
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || (do_listen && listen(fd, 128) < 0)) {
        close(fd);
        return -1;
    }
    if (got) {
        sl = sizeof ss;
        getsockname(fd, (struct sockaddr *)&ss, &sl);
        *got = ntohs(family == 6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                 : ((struct sockaddr_in *)&ss)->sin_port);
    }
    return fd;
}

/* One port on 127.0.0.1 and (when possible) on ::1. */
static int pair_port(int *fd4, int *fd6, bool do_listen)
{
    for (int tries = 0; tries < 50; tries++) {
        uint16_t p = 0;
        *fd4 = listen_on(4, 0, &p, do_listen);
        if (*fd4 < 0)
            return -1;
        *fd6 = listen_on(6, p, NULL, do_listen);
        if (*fd6 >= 0)
            return p;
        int e = errno;
        close(*fd4);
        if (e != EADDRINUSE) {
            /* no ::1 here: IPv4 only */
            *fd4 = listen_on(4, 0, &p, do_listen);
            *fd6 = -1;
            return *fd4 < 0 ? -1 : p;
        }
    }
    return -1;
}

static void srv_start(struct srv *s, struct loop *l)
{
    memset(s, 0, sizeof *s);
    s->l = l;
    int p = pair_port(&s->lfd4, &s->lfd6, true);
    assert_true(p > 0);
    s->port = (uint16_t)p;
    s->have6 = s->lfd6 >= 0;
    loop_watch(l, s->lfd4, LOOP_READ, srv_accept, s);
    if (s->have6)
        loop_watch(l, s->lfd6, LOOP_READ, srv_accept, s);
}

static void srv_stop(struct srv *s)
{
    while (s->conns) {
        struct conn *c = s->conns;
        s->conns = c->next;
        conn_close(c, false);
        free(c);
    }
    loop_watch(s->l, s->lfd4, 0, NULL, NULL);
    close(s->lfd4);
    if (s->lfd6 >= 0) {
        loop_watch(s->l, s->lfd6, 0, NULL, NULL);
        close(s->lfd6);
    }
}

/* ---------------------------------------------------------------------- */
/* Client side helpers                                                    */
/* ---------------------------------------------------------------------- */

struct got {
    int calls;
    struct fetch_result r;
    uint8_t body[200000];
    size_t body_len;
    bool body_null;
    uint64_t at_ns; /* loop time of the callback */
    struct loop *l;
};

static int g_depth;       /* callbacks running right now */
static bool g_in_start;   /* inside fetch_start() */
static int g_bad_reentry; /* callbacks that ran nested or inside fetch_start */

static void on_got(void *arg, const struct fetch_result *r)
{
    struct got *g = arg;
    if (g_depth > 0 || g_in_start)
        g_bad_reentry++;
    g_depth++;
    g->calls++;
    g->r = *r;
    g->body_null = r->body == NULL;
    g->body_len = r->body_len < sizeof g->body ? r->body_len : sizeof g->body;
    if (r->body)
        memcpy(g->body, r->body, g->body_len);
    g->r.body = NULL;
    if (g->l)
        g->at_ns = loop_now_ns(g->l);
    g_depth--;
}

static int start(struct fetch_engine *f, struct fetch_request *rq, struct got *g)
{
    g_in_start = true;
    int rc = fetch_start(f, rq, on_got, g);
    g_in_start = false;
    return rc;
}

static void run_until(struct loop *l, const int *counter, int want, uint64_t max_ns)
{
    uint64_t end = loop_update_time(l) + max_ns;
    while (*counter < want && loop_update_time(l) < end)
        loop_run_once(l, 20000000ull);
}

static void run_for(struct loop *l, uint64_t ns)
{
    uint64_t end = loop_update_time(l) + ns;
    while (loop_update_time(l) < end)
        loop_run_once(l, 10000000ull);
}

struct env {
    struct loop *l;
    struct srv s;
    struct fetch_engine *f;
    int done; /* callbacks counted by on_count */
};

static struct env *env_new(const struct fetch_config *cfg)
{
    struct env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    struct errbuf eb;
    errbuf_clear(&eb);
    e->l = loop_new(&eb);
    assert_non_null(e->l);
    srv_start(&e->s, e->l);
    e->f = fetch_engine_new(e->l, cfg, &eb);
    assert_non_null(e->f);
    return e;
}

static void env_free(struct env *e)
{
    fetch_engine_free(e->f);
    srv_stop(&e->s);
    /* everything released: nothing may stay watched or armed */
    assert_int_equal(loop_watched_fds(e->l), 0);
    assert_int_equal(loop_pending_timers(e->l), 0);
    loop_free(e->l);
    free(e);
}

static void req_init(struct fetch_request *rq, char *url, size_t ulen, const char *host,
                     uint16_t port, const char *path, int family)
{
    memset(rq, 0, sizeof *rq);
    snprintf(url, ulen, "http://%s:%u%s", host, port, path);
    rq->url = url;
    rq->family = family;
    memcpy(rq->addr, family == 6 ? LO6 : LO4, 16);
    rq->timeout_ns = 3000000000ull;
}

/* Fetch one URL and wait for its callback. */
static void fetch1(struct env *e, struct fetch_request *rq, struct got *g)
{
    memset(g, 0, sizeof *g);
    g->l = e->l;
    assert_int_equal(start(e->f, rq, g), 0);
    assert_int_equal(g->calls, 0); /* never inside fetch_start() */
    run_until(e->l, &g->calls, 1, 5000000000ull);
    assert_int_equal(g->calls, 1);
    assert_int_equal(g_bad_reentry, 0);
    if (getenv("V6M_TEST_VERBOSE"))
        printf("  %s -> %s %ld '%s'\n", rq->url, fetch_status_name(g->r.status), g->r.http_code,
               g->r.detail);
}

/* ---------------------------------------------------------------------- */
/* Tests                                                                  */
/* ---------------------------------------------------------------------- */

static void test_ok_pinned_both_families(void **state)
{
    (void)state;
    struct env *e = env_new(NULL);
    char url[256], want[300];
    struct fetch_request rq;
    struct got *g = calloc(1, sizeof *g);

    req_init(&rq, url, sizeof url, "www.example.invalid", e->s.port, "/ok", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_OK);
    assert_int_equal(g->r.http_code, 200);
    assert_string_equal(g->r.detail, "");
    assert_int_equal(g->body_len, 13);
    assert_memory_equal(g->body, "hello, world\n", 13);
    assert_int_equal(g->r.body_bytes, 13);
    assert_false(g->r.body_capped);
    assert_string_equal(g->r.content_type, "text/html; charset=utf-8");
    assert_string_equal(g->r.location, "");
    assert_int_equal(g->r.family, 4);
    snprintf(want, sizeof want, "127.0.0.1:%u", e->s.port);
    assert_string_equal(g->r.remote, want);
    assert_int_equal(e->s.nreq, 1);
    assert_string_equal(e->s.seen[0].method, "GET");
    assert_string_equal(e->s.seen[0].path, "/ok");
    snprintf(want, sizeof want, "www.example.invalid:%u", e->s.port);
    assert_string_equal(e->s.seen[0].host, want);
    assert_int_equal(e->s.seen[0].family, 4);
    snprintf(want, sizeof want, "v6mon/%d.%d.%d (+IPv6 deployment monitor)", V6M_VERSION_MAJOR,
             V6M_VERSION_MINOR, V6M_VERSION_PATCH);
    assert_string_equal(e->s.seen[0].ua, want);
    assert_string_equal(e->s.seen[0].accept_enc, "identity");
    /* phase times: connect <= first byte <= total, no TLS on http */
    assert_true(g->r.t_connect > 0);
    assert_int_equal(g->r.t_tls, 0);
    assert_true(g->r.t_first_byte >= g->r.t_connect);
    assert_true(g->r.t_total >= g->r.t_first_byte);
    assert_true(g->r.header_bytes > 40);

    if (e->s.have6) {
        req_init(&rq, url, sizeof url, "www.example.invalid", e->s.port, "/ok", 6);
        fetch1(e, &rq, g);
        assert_int_equal(g->r.status, FS_OK);
        assert_int_equal(g->r.http_code, 200);
        assert_int_equal(g->r.family, 6);
        snprintf(want, sizeof want, "[::1]:%u", e->s.port);
        assert_string_equal(g->r.remote, want);
        assert_int_equal(e->s.nreq, 2);
        assert_int_equal(e->s.seen[1].family, 6);
        snprintf(want, sizeof want, "www.example.invalid:%u", e->s.port);
        assert_string_equal(e->s.seen[1].host, want);
    } else {
        printf("SKIP: no ::1; the IPv6 half of the pinning test is left out\n");
    }

    /* Spellings curl rewrites internally still hit the pin. */
    req_init(&rq, url, sizeof url, "WWW.Example.INVALID.", e->s.port, "/ok", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_OK);
    assert_int_equal(g->r.http_code, 200);
    curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
    if (vi->features & CURL_VERSION_IDN) {
        req_init(&rq, url, sizeof url,
                 "b\xc3\xbc"
                 "cher.invalid",
                 e->s.port, "/ok", 4);
        int before = e->s.nreq;
        fetch1(e, &rq, g);
        assert_int_equal(g->r.status, FS_OK);
        assert_int_equal(e->s.nreq, before + 1);
        snprintf(want, sizeof want, "xn--bcher-kva.invalid:%u", e->s.port);
        assert_string_equal(e->s.seen[before].host, want);
    } else {
        printf("SKIP: libcurl without IDN; the IDN pinning case is left out\n");
    }
    free(g);
    env_free(e);
}

static void test_head_and_codes(void **state)
{
    (void)state;
    struct env *e = env_new(NULL);
    char url[256];
    struct fetch_request rq;
    struct got *g = calloc(1, sizeof *g);

    req_init(&rq, url, sizeof url, "h.invalid", e->s.port, "/ok", 4);
    rq.head_only = true;
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_OK);
    assert_int_equal(g->r.http_code, 200);
    assert_int_equal(g->r.body_bytes, 0);
    assert_string_equal(e->s.seen[0].method, "HEAD");

    req_init(&rq, url, sizeof url, "h.invalid", e->s.port, "/503", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_OK); /* a complete response, any code */
    assert_int_equal(g->r.http_code, 503);
    assert_int_equal(g->body_len, 4);
    assert_memory_equal(g->body, "down", 4);

    req_init(&rq, url, sizeof url, "h.invalid", e->s.port, "/nothing-here", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_OK);
    assert_int_equal(g->r.http_code, 404);

    /* 100 Continue first: the final response's code and type count */
    req_init(&rq, url, sizeof url, "h.invalid", e->s.port, "/continue", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_OK);
    assert_int_equal(g->r.http_code, 200);
    assert_string_equal(g->r.content_type, "text/plain");
    assert_int_equal(g->body_len, 2);

    /* Content-Encoding is not decoded: wire bytes */
    req_init(&rq, url, sizeof url, "h.invalid", e->s.port, "/gzip", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_OK);
    assert_int_equal(g->r.body_bytes, 7);
    assert_memory_equal(g->body, "\x1f\x8b\x08zzzz", 7);
    free(g);
    env_free(e);
}

static void test_redirects(void **state)
{
    (void)state;
    struct env *e = env_new(NULL);
    char url[256], want[300];
    struct fetch_request rq;
    struct got *g = calloc(1, sizeof *g);

    req_init(&rq, url, sizeof url, "r.invalid", e->s.port, "/redir-rel", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_OK);
    assert_int_equal(g->r.http_code, 301);
    snprintf(want, sizeof want, "http://r.invalid:%u/target?x=1", e->s.port);
    assert_string_equal(g->r.location, want);
    assert_int_equal(e->s.nreq, 1); /* not followed */

    req_init(&rq, url, sizeof url, "r.invalid", e->s.port, "/redir-abs", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.http_code, 302);
    assert_string_equal(g->r.location, "http://other.example/landing");
    assert_int_equal(e->s.nreq, 2);

    /* A Location that does not fit is dropped, with a word in detail. */
    req_init(&rq, url, sizeof url, "r.invalid", e->s.port, "/redir-long", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_OK);
    assert_int_equal(g->r.http_code, 301);
    assert_string_equal(g->r.location, "");
    assert_non_null(strstr(g->r.detail, "Location header over 2047 bytes"));

    /* Location on a 200 is not a redirect. */
    req_init(&rq, url, sizeof url, "r.invalid", e->s.port, "/ok-with-location", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.http_code, 200);
    assert_string_equal(g->r.location, "");
    free(g);
    env_free(e);
}

static void test_body_cap(void **state)
{
    (void)state;
    struct env *e = env_new(NULL);
    char url[256];
    struct fetch_request rq;
    struct got *g = calloc(1, sizeof *g);

    req_init(&rq, url, sizeof url, "cap.invalid", e->s.port, "/endless", 4);
    rq.body_cap = 100000;
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_OK);
    assert_int_equal(g->r.http_code, 200);
    assert_true(g->r.body_capped);
    assert_int_equal(g->r.body_len, 100000);
    assert_int_equal(g->r.body_bytes, 100000);
    assert_int_equal(g->body[99999], 'z');

    /* discard_body: counted, not kept */
    rq.discard_body = true;
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_OK);
    assert_true(g->r.body_capped);
    assert_true(g->body_null);
    assert_int_equal(g->r.body_len, 0);
    assert_int_equal(g->r.body_bytes, 100000);

    /* exactly at the cap: complete, not capped; one byte less: capped */
    req_init(&rq, url, sizeof url, "cap.invalid", e->s.port, "/exact", 4);
    rq.body_cap = 1000;
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_OK);
    assert_false(g->r.body_capped);
    assert_int_equal(g->r.body_len, 1000);
    rq.body_cap = 999;
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_OK);
    assert_true(g->r.body_capped);
    assert_int_equal(g->r.body_len, 999);
    assert_int_equal(g->r.body_bytes, 999);

    /* the engine default applies when the request says 0 */
    fetch_engine_free(e->f);
    struct fetch_config cfg = {.body_cap = 4096};
    struct errbuf eb;
    e->f = fetch_engine_new(e->l, &cfg, &eb);
    assert_non_null(e->f);
    req_init(&rq, url, sizeof url, "cap.invalid", e->s.port, "/endless", 4);
    fetch1(e, &rq, g);
    assert_true(g->r.body_capped);
    assert_int_equal(g->r.body_len, 4096);
    free(g);
    env_free(e);
}

static void test_failures(void **state)
{
    (void)state;
    struct env *e = env_new(NULL);
    char url[256], want[300];
    struct fetch_request rq;
    struct got *g = calloc(1, sizeof *g);
    uint16_t P = e->s.port;

    /* slow drip: the whole-request timeout hits inside the body */
    req_init(&rq, url, sizeof url, "f.invalid", P, "/drip", 4);
    rq.timeout_ns = 300000000ull;
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_TIMEOUT);
    assert_int_equal(g->r.http_code, 200);
    snprintf(want, sizeof want,
             "127.0.0.1 port %u: timed out after 0.3 s while receiving the body (", P);
    assert_memory_equal(g->r.detail, want, strlen(want));
    assert_true(g->r.body_bytes >= 2 && g->r.body_bytes <= 6);
    assert_true(g->r.t_total >= 300000000ull && g->r.t_total < 600000000ull);

    /* connected, no answer */
    req_init(&rq, url, sizeof url, "f.invalid", P, "/silent", 4);
    rq.timeout_ns = 300000000ull;
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_TIMEOUT);
    assert_int_equal(g->r.http_code, 0);
    snprintf(want, sizeof want, "127.0.0.1 port %u: connected, but no response within 0.3 s", P);
    assert_string_equal(g->r.detail, want);

    /* headers start, never end */
    req_init(&rq, url, sizeof url, "f.invalid", P, "/headers-stall", 4);
    rq.timeout_ns = 300000000ull;
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_TIMEOUT);
    snprintf(want, sizeof want,
             "127.0.0.1 port %u: timed out after 0.3 s while receiving the headers", P);
    assert_memory_equal(g->r.detail, want, strlen(want));

    /* 80,000 bytes of header lines > 64 KiB */
    req_init(&rq, url, sizeof url, "f.invalid", P, "/manyhdr", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_PROTOCOL);
    snprintf(want, sizeof want, "127.0.0.1 port %u: response headers over 64 KiB", P);
    assert_string_equal(g->r.detail, want);

    /* a larger header cap: curl's own 300 KB limit on all headers */
    struct fetch_config big = {.header_cap = 1u << 20};
    struct errbuf eb;
    struct fetch_engine *keep = e->f;
    e->f = fetch_engine_new(e->l, &big, &eb);
    assert_non_null(e->f);
    req_init(&rq, url, sizeof url, "f.invalid", P, "/manyhdr", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_OK); /* 80,000 bytes are fine now */
    req_init(&rq, url, sizeof url, "f.invalid", P, "/manyhdr400", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_PROTOCOL);
    snprintf(want, sizeof want, "127.0.0.1 port %u: response headers too large", P);
    assert_memory_equal(g->r.detail, want, strlen(want));
    fetch_engine_free(e->f);
    e->f = keep;

    /* one 150 KB header line: curl's own limit */
    req_init(&rq, url, sizeof url, "f.invalid", P, "/hugeline", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_PROTOCOL);
    snprintf(want, sizeof want, "127.0.0.1 port %u: ", P);
    assert_memory_equal(g->r.detail, want, strlen(want));

    /* not HTTP */
    req_init(&rq, url, sizeof url, "f.invalid", P, "/garbage", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_PROTOCOL);
    assert_memory_equal(g->r.detail, want, strlen(want));
    req_init(&rq, url, sizeof url, "f.invalid", P, "/badstatus", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_PROTOCOL);

    /* closed without a reply; body cut; reset */
    req_init(&rq, url, sizeof url, "f.invalid", P, "/close", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_RESET);
    snprintf(want, sizeof want, "127.0.0.1 port %u: connection closed without a response", P);
    assert_string_equal(g->r.detail, want);
    req_init(&rq, url, sizeof url, "f.invalid", P, "/partial", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_RESET);
    assert_int_equal(g->r.body_bytes, 10);
    snprintf(want, sizeof want, "127.0.0.1 port %u: connection closed after 10 body bytes", P);
    assert_memory_equal(g->r.detail, want, strlen(want));
    req_init(&rq, url, sizeof url, "f.invalid", P, "/rst", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_RESET);

    /* https to a plain HTTP server: TLS handshake failure */
    snprintf(url, sizeof url, "https://f.invalid:%u/ok", P);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_TLS);
    snprintf(want, sizeof want, "127.0.0.1 port %u: TLS handshake failed: ", P);
    assert_memory_equal(g->r.detail, want, strlen(want));

    /* refused: a bound port nobody listens on */
    int fd4 = -1, fd6 = -1;
    int rp = pair_port(&fd4, &fd6, false);
    assert_true(rp > 0);
    req_init(&rq, url, sizeof url, "f.invalid", (uint16_t)rp, "/", 4);
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_REFUSED);
    snprintf(want, sizeof want, "127.0.0.1 port %d: connection refused", rp);
    assert_string_equal(g->r.detail, want);
    if (fd6 >= 0) {
        req_init(&rq, url, sizeof url, "f.invalid", (uint16_t)rp, "/", 6);
        fetch1(e, &rq, g);
        assert_int_equal(g->r.status, FS_REFUSED);
        snprintf(want, sizeof want, "::1 port %d: connection refused", rp);
        assert_string_equal(g->r.detail, want);
        close(fd6);
    }
    close(fd4);

    /* unreachable: an IPv6 address with no route (documentation prefix);
     * the kernel says ENETUNREACH at once when there is no default route,
     * otherwise the SYN goes out and nobody answers (left to the lab). */
    req_init(&rq, url, sizeof url, "f.invalid", 80, "/", 6);
    static const uint8_t doc6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
    memcpy(rq.addr, doc6, 16);
    rq.timeout_ns = 300000000ull;
    fetch1(e, &rq, g);
    if (g->r.status == FS_UNREACHABLE)
        assert_string_equal(g->r.detail, "2001:db8::9 port 80: network is unreachable");
    else
        assert_int_equal(g->r.status, FS_CONNECT_TIMEOUT);

    struct fetch_stats st;
    fetch_get_stats(e->f, &st);
    assert_int_equal(st.completed, st.started);
    assert_int_equal(st.failed, st.completed);
    assert_int_equal(st.inflight, 0);
    assert_int_equal(st.waiting, 0);
    free(g);
    env_free(e);
}

/* Fill a listener's accept queue (backlog 0, never accepted) so that
 * further SYNs are dropped by the kernel: a connect timeout without root
 * or routing changes. Returns the port, or -1 when it cannot be arranged. */
static int blackhole_port(int *lfd, int fill[8], int *nfill)
{
    uint16_t p = 0;
    *lfd = listen_on(4, 0, &p, false);
    if (*lfd < 0 || listen(*lfd, 0) < 0)
        return -1;
    *nfill = 0;
    for (int i = 0; i < 8; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(p)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connect(fd, (struct sockaddr *)&a, sizeof a);
        fill[(*nfill)++] = fd;
        struct pollfd pf = {.fd = fd, .events = POLLOUT};
        if (poll(&pf, 1, 200) == 0)
            return p; /* this SYN was dropped: the queue is full */
    }
    return -1;
}

static void test_connect_timeout(void **state)
{
    (void)state;
    int lfd, fill[8], nfill = 0;
    int p = blackhole_port(&lfd, fill, &nfill);
    if (p < 0) {
        printf("SKIP: cannot fill a listen queue here; connect timeouts are left to the lab\n");
        for (int i = 0; i < nfill; i++)
            close(fill[i]);
        if (lfd >= 0)
            close(lfd);
        skip();
    }
    struct env *e = env_new(NULL);
    char url[256], want[300];
    struct fetch_request rq;
    struct got *g = calloc(1, sizeof *g);
    req_init(&rq, url, sizeof url, "t.invalid", (uint16_t)p, "/", 4);
    rq.timeout_ns = 2000000000ull;
    rq.connect_timeout_ns = 300000000ull;
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_CONNECT_TIMEOUT);
    snprintf(want, sizeof want, "127.0.0.1 port %d: connection timed out after 0.3 s", p);
    assert_string_equal(g->r.detail, want);
    assert_true(g->r.t_total >= 300000000ull && g->r.t_total < 1000000000ull);
    /* the whole-request timeout, shorter than the connect timeout */
    rq.timeout_ns = 250000000ull;
    rq.connect_timeout_ns = 0;
    fetch1(e, &rq, g);
    assert_int_equal(g->r.status, FS_CONNECT_TIMEOUT);
    snprintf(want, sizeof want, "127.0.0.1 port %d: connection timed out after 250 ms", p);
    assert_string_equal(g->r.detail, want);
    free(g);
    env_free(e);
    for (int i = 0; i < nfill; i++)
        close(fill[i]);
    close(lfd);
}

/* ---- queues ---- */

static void test_per_host_limit(void **state)
{
    (void)state;
    for (unsigned per_host = 1; per_host <= 3; per_host += 2) {
        struct fetch_config cfg = {.per_host = per_host};
        struct env *e = env_new(&cfg);
        char url[3][256];
        struct fetch_request rq[3];
        struct got *g = calloc(3, sizeof *g);
        int calls = 0;
        for (int i = 0; i < 3; i++) {
            /* same host, spelled differently: one queue */
            req_init(&rq[i], url[i], sizeof url[i], i == 1 ? "Q.INVALID" : "q.invalid", e->s.port,
                     "/slow", 4);
            /* 300 ms each: the third would miss it if its clock started
             * at fetch_start() (3 x 150 ms one at a time) */
            rq[i].timeout_ns = 300000000ull;
            g[i].l = e->l;
            assert_int_equal(start(e->f, &rq[i], &g[i]), 0);
        }
        assert_int_equal(fetch_inflight(e->f), 3);
        uint64_t t0 = loop_update_time(e->l);
        while (calls < 3 && loop_update_time(e->l) < t0 + 3000000000ull) {
            loop_run_once(e->l, 20000000ull);
            calls = g[0].calls + g[1].calls + g[2].calls;
        }
        assert_int_equal(calls, 3);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(g[i].r.status, FS_OK);
            assert_int_equal(g[i].r.http_code, 200);
        }
        assert_int_equal(e->s.max_active, (int)per_host);
        struct fetch_stats st;
        fetch_get_stats(e->f, &st);
        if (per_host == 1) {
            /* served one after the other, in order */
            assert_true(g[0].at_ns < g[1].at_ns && g[1].at_ns < g[2].at_ns);
            assert_true(g[2].at_ns - t0 >= 420000000ull);
            assert_true(g[1].r.queued_ns >= 120000000ull);
            assert_true(g[2].r.queued_ns >= 270000000ull);
            assert_int_equal(st.queued_host, 2);
        } else {
            assert_true(g[2].r.queued_ns < 50000000ull);
            assert_int_equal(st.queued_host, 0);
        }
        assert_int_equal(st.started, 3);
        assert_int_equal(fetch_inflight(e->f), 0);
        free(g);
        env_free(e);
    }
}

static void test_global_limit(void **state)
{
    (void)state;
    struct fetch_config cfg = {.per_host = 4, .max_inflight = 2};
    struct env *e = env_new(&cfg);
    char url[5][256], host[32];
    struct fetch_request rq[5];
    struct got *g = calloc(5, sizeof *g);
    for (int i = 0; i < 5; i++) {
        snprintf(host, sizeof host, "g%d.invalid", i);
        req_init(&rq[i], url[i], sizeof url[i], host, e->s.port, "/slow", 4);
        assert_int_equal(start(e->f, &rq[i], &g[i]), 0);
    }
    struct fetch_stats st;
    fetch_get_stats(e->f, &st);
    assert_int_equal(st.inflight, 2);
    assert_int_equal(st.waiting, 3);
    int calls = 0;
    uint64_t t0 = loop_update_time(e->l);
    while (calls < 5 && loop_update_time(e->l) < t0 + 3000000000ull) {
        loop_run_once(e->l, 20000000ull);
        calls = 0;
        for (int i = 0; i < 5; i++)
            calls += g[i].calls;
    }
    assert_int_equal(calls, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(g[i].r.status, FS_OK);
    assert_int_equal(e->s.max_active, 2);
    free(g);
    env_free(e);
}

/* ---- re-entrancy and teardown ---- */

struct chainctx {
    struct fetch_engine *f;
    char url[256];
    int left, calls, status_ok;
    bool nested;
};

static void on_chain(void *arg, const struct fetch_result *r)
{
    struct chainctx *c = arg;
    if (g_depth > 0 || g_in_start)
        c->nested = true;
    g_depth++;
    c->calls++;
    if (r->status == FS_OK && r->http_code == 200)
        c->status_ok++;
    if (--c->left > 0) {
        struct fetch_request rq;
        memset(&rq, 0, sizeof rq);
        rq.url = c->url;
        rq.family = 4;
        memcpy(rq.addr, LO4, 16);
        g_in_start = true;
        int rc = fetch_start(c->f, &rq, on_chain, c);
        g_in_start = false;
        assert_int_equal(rc, 0);
    }
    g_depth--;
}

static void test_callbacks_from_loop(void **state)
{
    (void)state;
    struct env *e = env_new(NULL);
    struct chainctx c = {.f = e->f, .left = 5};
    snprintf(c.url, sizeof c.url, "http://chain.invalid:%u/ok", e->s.port);
    struct fetch_request rq;
    memset(&rq, 0, sizeof rq);
    rq.url = c.url;
    rq.family = 4;
    memcpy(rq.addr, LO4, 16);
    g_in_start = true;
    assert_int_equal(fetch_start(e->f, &rq, on_chain, &c), 0);
    g_in_start = false;
    run_until(e->l, &c.calls, 5, 5000000000ull);
    assert_int_equal(c.calls, 5);
    assert_int_equal(c.status_ok, 5);
    assert_false(c.nested);
    /* one connection reused for the whole chain (same host, keep-alive) */
    int nconn = 0;
    for (struct conn *k = e->s.conns; k; k = k->next)
        nconn++;
    assert_int_equal(nconn, 1);

    /* invalid requests: -1 and no callback */
    struct got *g = calloc(1, sizeof *g);
    char url[256];
    req_init(&rq, url, sizeof url, "x.invalid", e->s.port, "/ok", 4);
    rq.family = 5;
    assert_int_equal(start(e->f, &rq, g), -1);
    snprintf(url, sizeof url, "ftp://x.invalid/");
    rq.family = 4;
    assert_int_equal(start(e->f, &rq, g), -1);
    snprintf(url, sizeof url, "/relative/only");
    assert_int_equal(start(e->f, &rq, g), -1);
    snprintf(url, sizeof url, "http://x.invalid:%u/ok", e->s.port);
    assert_int_equal(fetch_start(e->f, &rq, NULL, NULL), -1);
    run_for(e->l, 50000000ull);
    assert_int_equal(g->calls, 0);
    assert_int_equal(fetch_inflight(e->f), 0);
    free(g);
    env_free(e);
}

static int g_cancelled, g_other;

static void on_cancel_count(void *arg, const struct fetch_result *r)
{
    (void)arg;
    if (r->status == FS_CANCELLED) {
        g_cancelled++;
        assert_non_null(strstr(r->detail, "cancelled"));
    } else {
        g_other++;
    }
}

static struct fetch_engine *g_free_me;

static void on_free_engine(void *arg, const struct fetch_result *r)
{
    (void)arg;
    assert_int_equal(r->status, FS_OK);
    g_other++;
    fetch_engine_free(g_free_me); /* from inside a callback */
    g_free_me = NULL;
}

static void test_free_cancels(void **state)
{
    (void)state;
    struct fetch_config cfg = {.per_host = 1};
    struct env *e = env_new(&cfg);
    char url[4][256];
    struct fetch_request rq[4];
    for (int i = 0; i < 4; i++) {
        req_init(&rq[i], url[i], sizeof url[i], i < 3 ? "c.invalid" : "d.invalid", e->s.port,
                 "/silent", 4);
        assert_int_equal(fetch_start(e->f, &rq[i], on_cancel_count, NULL), 0);
    }
    run_for(e->l, 100000000ull);
    assert_int_equal(e->s.nreq, 2); /* c.invalid (1 of 3) and d.invalid */
    assert_int_equal(fetch_inflight(e->f), 4);
    g_cancelled = g_other = 0;
    fetch_engine_free(e->f);
    e->f = NULL;
    assert_int_equal(g_cancelled, 4);
    assert_int_equal(g_other, 0);

    /* freeing the engine from one of its callbacks */
    struct errbuf eb;
    e->f = fetch_engine_new(e->l, &cfg, &eb);
    assert_non_null(e->f);
    g_free_me = e->f;
    g_cancelled = g_other = 0;
    req_init(&rq[0], url[0], sizeof url[0], "e.invalid", e->s.port, "/ok", 4);
    assert_int_equal(fetch_start(e->f, &rq[0], on_free_engine, NULL), 0);
    for (int i = 1; i < 3; i++) {
        req_init(&rq[i], url[i], sizeof url[i], "f.invalid", e->s.port, "/silent", 4);
        assert_int_equal(fetch_start(e->f, &rq[i], on_cancel_count, NULL), 0);
    }
    e->f = NULL;
    run_for(e->l, 300000000ull);
    assert_null(g_free_me);
    assert_int_equal(g_other, 1);
    assert_int_equal(g_cancelled, 2);
    env_free(e); /* checks nothing stays watched or armed */
}

static void test_bad_config(void **state)
{
    (void)state;
    struct errbuf eb;
    errbuf_clear(&eb);
    struct loop *l = loop_new(&eb);
    struct fetch_config cfg = {.ca_file = "/nonexistent/ca.pem"};
    assert_null(fetch_engine_new(l, &cfg, &eb));
    assert_string_equal(eb.msg,
                        "cannot open CA file '/nonexistent/ca.pem': No such file or directory");
    fetch_engine_free(NULL);
    assert_string_equal(fetch_status_name(FS_CONNECT_TIMEOUT), "connect_timeout");
    assert_string_equal(fetch_status_name(FS_TLS_CERT), "tls_cert");
    assert_string_equal(fetch_status_name(FS_CANCELLED), "cancelled");
    loop_free(l);
}

/* ---------------------------------------------------------------------- */
/* nginx (TLS tests and the benchmark)                                    */
/* ---------------------------------------------------------------------- */

struct nginx {
    char dir[64];
    pid_t pid;
    uint16_t port;
    bool have6;
};

static const char *find_prog(const char *name, char *buf, size_t len)
{
    static const char *const dirs[] = {"/usr/sbin", "/usr/bin",        "/sbin",
                                       "/bin",      "/usr/local/sbin", "/usr/local/bin"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        snprintf(buf, len, "%s/%s", dirs[i], name);
        if (access(buf, X_OK) == 0)
            return buf;
    }
    return NULL;
}

static bool write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return false;
    fputs(text, fp);
    return fclose(fp) == 0;
}

static bool wait_port(uint16_t port)
{
    for (int i = 0; i < 100; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
        close(fd);
        if (rc == 0)
            return true;
        usleep(50000);
    }
    return false;
}

/* Start nginx in a fresh temporary directory: the TLS test's two named
 * servers, or the benchmark's static file server (tls: https with the
 * a.test certificate). Returns false, after printing why, when it cannot. */
static bool nginx_start(struct nginx *n, bool tls, bool bench)
{
    char prog[128], ossl[128];
    memset(n, 0, sizeof *n);
    if (!find_prog("nginx", prog, sizeof prog)) {
        printf("SKIP: nginx is not installed\n");
        return false;
    }
    if (tls && !find_prog("openssl", ossl, sizeof ossl)) {
        printf("SKIP: openssl is not installed\n");
        return false;
    }
    snprintf(n->dir, sizeof n->dir, "/tmp/v6m-fetch-XXXXXX");
    if (!mkdtemp(n->dir)) {
        printf("SKIP: cannot make a temporary directory\n");
        return false;
    }
    chmod(n->dir, 0755); /* nginx workers may run as nobody */
    char cmd[4096], path[256];
    if (tls) {
        /* A throwaway CA, and a certificate per name signed by it. */
        snprintf(cmd, sizeof cmd,
                 "cd %s && exec >openssl.log 2>&1 && "
                 "%s req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                 "-keyout ca.key -out ca.pem -days 2 -subj /CN=v6mon-test-CA && "
                 "for n in a b; do "
                 "%s req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                 "-keyout $n.key -out $n.csr -subj /CN=$n.test && "
                 "printf 'subjectAltName=DNS:%%s.test,DNS:*.%%s.bench.test\\n' $n $n > $n.ext && "
                 "%s x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                 "-out $n.pem -days 2 -extfile $n.ext || exit 1; done",
                 n->dir, ossl, ossl, ossl);
        if (system(cmd) != 0) {
            printf("SKIP: openssl could not make the test certificates (%s/openssl.log)\n", n->dir);
            return false;
        }
    }
    snprintf(path, sizeof path, "%s/www", n->dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/www/index.html", n->dir);
    char page[1100];
    memset(page, 'p', 1023);
    page[1023] = '\n';
    page[1024] = '\0';
    write_file(path, page);
    snprintf(path, sizeof path, "%s/logs", n->dir);
    mkdir(path, 0755);

    int fd4, fd6;
    int port = pair_port(&fd4, &fd6, false);
    if (port <= 0) {
        printf("SKIP: no free port\n");
        return false;
    }
    n->have6 = fd6 >= 0;
    close(fd4);
    if (fd6 >= 0)
        close(fd6);
    n->port = (uint16_t)port;
    const char *ssl = tls ? " ssl" : "";
    char listen6[64] = "";
    if (n->have6)
        snprintf(listen6, sizeof listen6, "listen [::1]:%u%s;", n->port, ssl);
    char conf[4096];
    int off = snprintf(conf, sizeof conf,
                       "worker_processes 1;\npid %s/nginx.pid;\nerror_log %s/logs/error.log;\n"
                       "events { worker_connections 8192; }\n"
                       "http {\n access_log off;\n keepalive_requests 100000;\n"
                       " client_body_temp_path %s/tmp_body;\n proxy_temp_path %s/tmp_proxy;\n"
                       " fastcgi_temp_path %s/tmp_fcgi;\n uwsgi_temp_path %s/tmp_uwsgi;\n"
                       " scgi_temp_path %s/tmp_scgi;\n",
                       n->dir, n->dir, n->dir, n->dir, n->dir, n->dir, n->dir);
    if (bench) {
        off += snprintf(conf + off, sizeof conf - (size_t)off,
                        " server { listen 127.0.0.1:%u%s; server_name _; root %s/www;", n->port,
                        ssl, n->dir);
        if (tls)
            off += snprintf(conf + off, sizeof conf - (size_t)off,
                            " ssl_certificate %s/a.pem; ssl_certificate_key %s/a.key;", n->dir,
                            n->dir);
        off += snprintf(conf + off, sizeof conf - (size_t)off, " }\n");
    } else {
        for (int i = 0; i < 2; i++) {
            char nm = i == 0 ? 'a' : 'b';
            off +=
                snprintf(conf + off, sizeof conf - (size_t)off,
                         " server { listen 127.0.0.1:%u%s; %s server_name %c.test;"
                         " ssl_certificate %s/%c.pem; ssl_certificate_key %s/%c.key;"
                         " location / { default_type text/plain; return 200 \"site-%c\\n\"; } }\n",
                         n->port, ssl, listen6, nm, n->dir, nm, n->dir, nm, nm);
        }
    }
    snprintf(conf + off, sizeof conf - (size_t)off, "}\n");
    snprintf(path, sizeof path, "%s/nginx.conf", n->dir);
    write_file(path, conf);
    char elog[128];
    snprintf(elog, sizeof elog, "%s/logs/error.log", n->dir);
    char *argv[] = {prog, "-p", n->dir, "-c", path, "-e", elog, "-g", "daemon off;", NULL};
    /* nginx must not outlive the test, even when an assertion fails or
     * the test is killed: the parent's death sends the master SIGTERM
     * (which stops its worker). Its output goes to the log, not to our
     * stdout (a pipe reader would otherwise wait for nginx). */
    pid_t parent = getpid();
    n->pid = fork();
    if (n->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
        }
        execv(prog, argv);
        _exit(127);
    }
    if (n->pid < 0) {
        printf("SKIP: cannot start nginx\n");
        n->pid = 0;
        return false;
    }
    if (!wait_port(n->port)) {
        printf("SKIP: nginx did not start (see %s/logs/error.log)\n", n->dir);
        kill(n->pid, SIGTERM);
        waitpid(n->pid, NULL, 0);
        n->pid = 0;
        return false;
    }
    return true;
}

static void nginx_stop(struct nginx *n)
{
    if (n->pid > 0) {
        kill(n->pid, SIGTERM);
        waitpid(n->pid, NULL, 0);
    }
    if (n->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", n->dir);
        if (system(cmd) != 0)
            printf("note: could not remove %s\n", n->dir);
    }
}

/* In setup/teardown so that nginx is stopped even when the test fails. */
static int nginx_setup(void **state)
{
    struct nginx *n = calloc(1, sizeof *n);
    if (!n)
        return -1;
    if (!nginx_start(n, true, false))
        n->pid = -1; /* the test skips */
    *state = n;
    return 0;
}

static int nginx_teardown(void **state)
{
    struct nginx *n = *state;
    if (n->pid < 0)
        n->pid = 0;
    nginx_stop(n);
    free(n);
    return 0;
}

static void test_tls_nginx(void **state)
{
    struct nginx *np = *state;
    if (np->pid < 0)
        skip();
    struct nginx n = *np;
    char ca[128], url[256], want[400];
    snprintf(ca, sizeof ca, "%s/ca.pem", n.dir);
    struct errbuf eb;
    errbuf_clear(&eb);
    struct loop *l = loop_new(&eb);
    struct fetch_config cfg = {.ca_file = ca};
    struct fetch_engine *with_ca = fetch_engine_new(l, &cfg, &eb);
    struct fetch_engine *system_ca = fetch_engine_new(l, NULL, &eb);
    assert_non_null(with_ca);
    assert_non_null(system_ca);
    struct env e = {.l = l};
    struct got *g = calloc(1, sizeof *g);
    struct fetch_request rq;

    /* verified with the test CA; Host routes to site a */
    e.f = with_ca;
    req_init(&rq, url, sizeof url, "a.test", n.port, "/", 4);
    snprintf(url, sizeof url, "https://a.test:%u/", n.port);
    fetch1(&e, &rq, g);
    assert_int_equal(g->r.status, FS_OK);
    assert_int_equal(g->r.http_code, 200);
    assert_int_equal(g->body_len, 7);
    assert_memory_equal(g->body, "site-a\n", 7);
    assert_true(g->r.t_connect > 0);
    assert_true(g->r.t_tls > g->r.t_connect);
    assert_true(g->r.t_first_byte >= g->r.t_tls);

    /* b.test is not the default server: only SNI gets its certificate */
    req_init(&rq, url, sizeof url, "b.test", n.port, "/", n.have6 ? 6 : 4);
    snprintf(url, sizeof url, "https://b.test:%u/", n.port);
    fetch1(&e, &rq, g);
    assert_int_equal(g->r.status, FS_OK);
    assert_memory_equal(g->body, "site-b\n", 7);
    snprintf(want, sizeof want, n.have6 ? "[::1]:%u" : "127.0.0.1:%u", n.port);
    assert_string_equal(g->r.remote, want);

    /* a name no certificate carries: the default one does not match */
    req_init(&rq, url, sizeof url, "c.test", n.port, "/", 4);
    snprintf(url, sizeof url, "https://c.test:%u/", n.port);
    fetch1(&e, &rq, g);
    assert_int_equal(g->r.status, FS_TLS_CERT);
    snprintf(want, sizeof want, "127.0.0.1 port %u: certificate verify failed: ", n.port);
    assert_memory_equal(g->r.detail, want, strlen(want));
    assert_non_null(strstr(g->r.detail, "'c.test'"));

    /* the system store does not know the test CA */
    e.f = system_ca;
    req_init(&rq, url, sizeof url, "a.test", n.port, "/", 4);
    snprintf(url, sizeof url, "https://a.test:%u/", n.port);
    fetch1(&e, &rq, g);
    assert_int_equal(g->r.status, FS_TLS_CERT);
    snprintf(want, sizeof want,
             "127.0.0.1 port %u: certificate verify failed: unable to get local issuer certificate",
             n.port);
    assert_string_equal(g->r.detail, want);

    /* insecure passes without the CA */
    rq.insecure = true;
    fetch1(&e, &rq, g);
    assert_int_equal(g->r.status, FS_OK);
    assert_memory_equal(g->body, "site-a\n", 7);

    free(g);
    fetch_engine_free(with_ca);
    fetch_engine_free(system_ca);
    loop_free(l);
}

/* ---------------------------------------------------------------------- */
/* Benchmark: V6M_FETCH_BENCH=N                                           */
/* ---------------------------------------------------------------------- */

struct bench {
    struct fetch_engine *f;
    unsigned total, started, done, ok, inflight_target;
    uint16_t port;
    bool tls, insecure;
    char url[128];
    unsigned status[FS__COUNT];
};

static void bench_next(struct bench *b);

static void on_bench(void *arg, const struct fetch_result *r)
{
    struct bench *b = arg;
    b->done++;
    b->status[r->status]++;
    if (r->status == FS_OK && r->http_code == 200 && r->body_len == 1024)
        b->ok++;
    if (b->started < b->total)
        bench_next(b);
}

static void bench_next(struct bench *b)
{
    struct fetch_request rq;
    memset(&rq, 0, sizeof rq);
    snprintf(b->url, sizeof b->url, "%s://site%u.a.bench.test:%u/index.html",
             b->tls ? "https" : "http", b->started, b->port);
    rq.url = b->url;
    rq.family = 4;
    memcpy(rq.addr, LO4, 16);
    rq.insecure = b->insecure;
    rq.timeout_ns = 30000000000ull;
    if (fetch_start(b->f, &rq, on_bench, b) == 0)
        b->started++;
    else
        b->total = b->started; /* stop */
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int run_bench(unsigned n)
{
    bool tls = getenv("V6M_FETCH_BENCH_TLS") != NULL;
    struct nginx ng;
    if (!nginx_start(&ng, tls, true)) {
        nginx_stop(&ng);
        return 77;
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    struct errbuf eb;
    struct loop *l = loop_new(&eb);
    struct bench b;
    memset(&b, 0, sizeof b);
    /* https: verified with the test CA by default; _INSECURE=1 skips the
     * check, _SYSTEM_CA=1 verifies against the system store (every
     * request then fails verification, but pays for the store). */
    char ca[128];
    snprintf(ca, sizeof ca, "%s/ca.pem", ng.dir);
    struct fetch_config fc = {.ca_file = tls && !getenv("V6M_FETCH_BENCH_SYSTEM_CA") ? ca : NULL};
    b.insecure = getenv("V6M_FETCH_BENCH_INSECURE") != NULL;
    b.f = fetch_engine_new(l, &fc, &eb);
    b.total = n;
    b.port = ng.port;
    b.tls = tls;
    const char *inf = getenv("V6M_FETCH_BENCH_INFLIGHT");
    b.inflight_target = inf ? (unsigned)strtoul(inf, NULL, 10) : 500;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double c0 = cpu_s();
    while (b.started < b.inflight_target && b.started < b.total)
        bench_next(&b);
    while (b.done < b.total)
        loop_run_once(l, 100000000ull);
    double c1 = cpu_s();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    struct fetch_stats st;
    fetch_get_stats(b.f, &st);
    printf("fetch bench: %s%s, %u requests, %u in flight, distinct host names, nginx 1 worker\n",
           tls ? "https" : "http",
           !tls         ? ""
           : b.insecure ? " (not verified)"
           : fc.ca_file ? " (test CA)"
                        : " (system CA store)",
           b.done, b.inflight_target);
    printf("  ok %u; wall %.2f s = %.0f requests/s; our CPU %.2f s = %.1f us/request\n", b.ok, wall,
           b.done / wall, c1 - c0, (c1 - c0) * 1e6 / b.done);
    for (int i = 0; i < FS__COUNT; i++)
        if (b.status[i] && i != FS_OK)
            printf("  %s: %u\n", fetch_status_name((enum fetch_status)i), b.status[i]);
    fetch_engine_free(b.f);
    loop_free(l);
    nginx_stop(&ng);
    return b.ok == b.done ? 0 : 1;
}

int main(void)
{
    const char *bench = getenv("V6M_FETCH_BENCH");
    if (bench)
        return run_bench((unsigned)strtoul(bench, NULL, 10));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_pinned_both_families),
        cmocka_unit_test(test_head_and_codes),
        cmocka_unit_test(test_redirects),
        cmocka_unit_test(test_body_cap),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test(test_per_host_limit),
        cmocka_unit_test(test_global_limit),
        cmocka_unit_test(test_callbacks_from_loop),
        cmocka_unit_test(test_free_cancels),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test_setup_teardown(test_tls_nginx, nginx_setup, nginx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
