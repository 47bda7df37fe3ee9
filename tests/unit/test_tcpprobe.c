/*
 * test_tcpprobe.c - plain TCP connect probes (lib/probe/tcpprobe.c) on
 * loopback: an open port (the test's own listener, which then really has
 * a connection to accept), a bound port nobody listens on (refused), a
 * listener whose accept queue the test filled so that the kernel drops
 * further SYNs (timeout, without root or routing changes), a socket()
 * that fails at once (descriptor limit lowered: TCP_LOCAL, still reported
 * from the loop), cancellation, and a callback that starts the next probe.
 *
 * Expected details are sentences written from the contract in fetch.h.
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
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe/fetch.h"
#include "probe/loop.h"

static const uint8_t LO4[16] = {127, 0, 0, 1};
static const uint8_t LO6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static int sock_on(int family, uint16_t port, uint16_t *got, int backlog)
{
    int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    if (family == 6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        int one = 1;
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
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || (backlog >= 0 && listen(fd, backlog) < 0)) {
        close(fd);
        return -1;
    }
    sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *got = ntohs(family == 6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                             : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

struct got {
    int calls;
    struct tcp_result r;
    uint64_t at_ns;
    struct loop *l;
};

static bool g_in_start;
static int g_bad;

static void on_res(void *arg, const struct tcp_result *r)
{
    struct got *g = arg;
    if (g_in_start)
        g_bad++;
    g->calls++;
    g->r = *r;
    g->at_ns = loop_update_time(g->l);
}

static void probe1(struct loop *l, int family, const uint8_t *addr, uint16_t port,
                   uint64_t timeout_ns, struct got *g)
{
    memset(g, 0, sizeof *g);
    g->l = l;
    g_in_start = true;
    struct tcp_probe *p = tcp_probe_start(l, family, addr, port, timeout_ns, on_res, g);
    g_in_start = false;
    assert_non_null(p);
    assert_int_equal(g->calls, 0);
    uint64_t end = loop_update_time(l) + 3000000000ull;
    while (g->calls == 0 && loop_update_time(l) < end)
        loop_run_once(l, 20000000ull);
    assert_int_equal(g->calls, 1);
    assert_int_equal(g_bad, 0);
    /* the probe released its socket and timer before calling back */
    assert_int_equal(loop_watched_fds(l), 0);
    assert_int_equal(loop_pending_timers(l), 0);
}

static void test_open_and_refused(void **state)
{
    (void)state;
    struct errbuf e;
    struct loop *l = loop_new(&e);
    struct got g;
    char want[160];
    for (int fam = 4; fam <= 6; fam += 2) {
        const uint8_t *a = fam == 6 ? LO6 : LO4;
        const char *txt = fam == 6 ? "::1" : "127.0.0.1";
        uint16_t port;
        int lfd = sock_on(fam, 0, &port, 16);
        if (lfd < 0 && fam == 6) {
            printf("SKIP: no ::1; IPv6 probes are left out\n");
            break;
        }
        assert_true(lfd >= 0);
        probe1(l, fam, a, port, 2000000000ull, &g);
        assert_int_equal(g.r.status, TCP_OPEN);
        assert_true(g.r.rtt_ns > 0 && g.r.rtt_ns < 1000000000ull);
        snprintf(want, sizeof want, "%s port %u: open", txt, port);
        assert_string_equal(g.r.detail, want);
        /* the handshake really reached our listener */
        struct pollfd pf = {.fd = lfd, .events = POLLIN};
        assert_int_equal(poll(&pf, 1, 1000), 1);
        int c = accept(lfd, NULL, NULL);
        assert_true(c >= 0);
        close(c);
        close(lfd);

        int bfd = sock_on(fam, 0, &port, -1); /* bound, not listening */
        assert_true(bfd >= 0);
        probe1(l, fam, a, port, 2000000000ull, &g);
        assert_int_equal(g.r.status, TCP_REFUSED);
        assert_int_equal(g.r.rtt_ns, 0);
        snprintf(want, sizeof want, "%s port %u: connection refused", txt, port);
        assert_string_equal(g.r.detail, want);
        close(bfd);
    }
    assert_string_equal(tcp_status_name(TCP_REFUSED), "refused");
    assert_string_equal(tcp_status_name(TCP_TIMEOUT), "timeout");
    loop_free(l);
}

static void test_timeout_and_cancel(void **state)
{
    (void)state;
    uint16_t port;
    int lfd = sock_on(4, 0, &port, 0);
    assert_true(lfd >= 0);
    /* fill the accept queue until a SYN goes unanswered */
    int fill[8], nfill = 0;
    bool full = false;
    for (int i = 0; i < 8 && !full; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connect(fd, (struct sockaddr *)&a, sizeof a);
        fill[nfill++] = fd;
        struct pollfd pf = {.fd = fd, .events = POLLOUT};
        full = poll(&pf, 1, 200) == 0;
    }
    if (!full) {
        printf("SKIP: cannot fill a listen queue here; TCP timeouts are left to the lab\n");
        for (int i = 0; i < nfill; i++)
            close(fill[i]);
        close(lfd);
        skip();
    }
    struct errbuf e;
    struct loop *l = loop_new(&e);
    struct got g;
    char want[160];
    uint64_t t0 = loop_update_time(l);
    probe1(l, 4, LO4, port, 300000000ull, &g);
    assert_int_equal(g.r.status, TCP_TIMEOUT);
    assert_true(g.at_ns - t0 >= 300000000ull && g.at_ns - t0 < 900000000ull);
    snprintf(want, sizeof want, "127.0.0.1 port %u: connection timed out after 300 ms", port);
    assert_string_equal(g.r.detail, want);

    /* cancel: no callback, nothing left on the loop */
    memset(&g, 0, sizeof g);
    g.l = l;
    struct tcp_probe *p = tcp_probe_start(l, 4, LO4, port, 200000000ull, on_res, &g);
    assert_non_null(p);
    assert_int_equal(loop_watched_fds(l), 1);
    tcp_probe_cancel(p);
    tcp_probe_cancel(NULL);
    assert_int_equal(loop_watched_fds(l), 0);
    assert_int_equal(loop_pending_timers(l), 0);
    uint64_t end = loop_update_time(l) + 400000000ull;
    while (loop_update_time(l) < end)
        loop_run_once(l, 20000000ull);
    assert_int_equal(g.calls, 0);

    for (int i = 0; i < nfill; i++)
        close(fill[i]);
    close(lfd);
    loop_free(l);
}

static void test_immediate_failure(void **state)
{
    (void)state;
    struct errbuf e;
    struct loop *l = loop_new(&e);
    struct got g;
    /* bad arguments: NULL, no callback */
    assert_null(tcp_probe_start(l, 5, LO4, 80, 0, on_res, &g));
    assert_null(tcp_probe_start(l, 4, LO4, 0, 0, on_res, &g));
    assert_null(tcp_probe_start(l, 4, LO4, 80, 0, NULL, NULL));

    /* no descriptor left: socket() fails with EMFILE, reported later */
    int next = dup(0);
    assert_true(next >= 0);
    close(next);
    struct rlimit old, low;
    getrlimit(RLIMIT_NOFILE, &old);
    low = old;
    low.rlim_cur = (rlim_t)next;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    memset(&g, 0, sizeof g);
    g.l = l;
    g_in_start = true;
    struct tcp_probe *p = tcp_probe_start(l, 4, LO4, 80, 1000000000ull, on_res, &g);
    g_in_start = false;
    setrlimit(RLIMIT_NOFILE, &old);
    assert_non_null(p);
    assert_int_equal(g.calls, 0);
    uint64_t end = loop_update_time(l) + 1000000000ull;
    while (g.calls == 0 && loop_update_time(l) < end)
        loop_run_once(l, 20000000ull);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g_bad, 0);
    assert_int_equal(g.r.status, TCP_LOCAL);
    assert_string_equal(g.r.detail, "127.0.0.1 port 80: too many open files");
    loop_free(l);
}

/* A callback that starts the next probe (the site prober does). */
struct chain {
    struct loop *l;
    uint16_t port;
    int left, calls, open;
};

static void on_chain(void *arg, const struct tcp_result *r)
{
    struct chain *c = arg;
    c->calls++;
    if (r->status == TCP_OPEN)
        c->open++;
    if (--c->left > 0)
        assert_non_null(tcp_probe_start(c->l, 4, LO4, c->port, 1000000000ull, on_chain, c));
}

static void test_chain_from_callback(void **state)
{
    (void)state;
    struct errbuf e;
    struct loop *l = loop_new(&e);
    struct chain c = {.l = l, .left = 5};
    int lfd = sock_on(4, 0, &c.port, 16);
    assert_true(lfd >= 0);
    assert_non_null(tcp_probe_start(l, 4, LO4, c.port, 1000000000ull, on_chain, &c));
    uint64_t end = loop_update_time(l) + 3000000000ull;
    while (c.calls < 5 && loop_update_time(l) < end)
        loop_run_once(l, 20000000ull);
    assert_int_equal(c.calls, 5);
    assert_int_equal(c.open, 5);
    assert_int_equal(loop_watched_fds(l), 0);
    close(lfd);
    loop_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_and_refused),
        cmocka_unit_test(test_timeout_and_cancel),
        cmocka_unit_test(test_immediate_failure),
        cmocka_unit_test(test_chain_from_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
