/*
 * probe/tcpprobe.c - one non-blocking TCP connect, timed (contract in
 * fetch.h, "plain TCP connect probes").
 *
 * socket(SOCK_NONBLOCK | SOCK_CLOEXEC) + connect() -> EINPROGRESS -> wait
 * for writable on the loop -> SO_ERROR says 0 (open), ECONNREFUSED, an
 * unreachable error, ...; a loop timer bounds the wait. The socket is
 * closed as soon as the outcome is known: no byte is sent, the three-way
 * handshake is the whole probe. A connect() that fails at once (loopback
 * refusals often do, and "network unreachable" always does) is reported
 * through a zero-delay timer, so the callback never runs inside
 * tcp_probe_start().
 *
 * rtt_ns is loop time from just before connect() to the writable event:
 * the handshake plus the loop's dispatch delay (small unless the loop is
 * overloaded, which the prober's KPIs must then say anyway).
 *
 * Ownership: the probe object is heap-allocated, owned by the loop's
 * callbacks until the outcome; everything is released before the user
 * callback runs (it gets a copy of the result), so the callback may start
 * new probes or free what it likes. tcp_probe_cancel() releases a probe
 * whose callback has not run, without calling it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe/fetch.h"
#include "util/strutil.h"

struct tcp_probe {
    struct loop *loop;
    int fd;
    int family;
    uint8_t addr[16];
    uint16_t port;
    uint64_t t0, timeout_ns;
    tcp_cb cb;
    void *arg;
    struct loop_timer timer;
    int immediate_err; /* connect() or socket() failed at once: this errno */
};

const char *tcp_status_name(enum tcp_status s)
{
    switch (s) {
    case TCP_OPEN: return "open";
    case TCP_REFUSED: return "refused";
    case TCP_TIMEOUT: return "timeout";
    case TCP_UNREACHABLE: return "unreachable";
    case TCP_LOCAL: return "local error";
    }
    return "?";
}

static enum tcp_status from_errno(int err)
{
    switch (err) {
    case ECONNREFUSED: return TCP_REFUSED;
    case ETIMEDOUT: return TCP_TIMEOUT;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
    case EACCES:
    case EPERM:
    case ENONET:
    case EPROTO: return TCP_UNREACHABLE;
    default: /* EADDRNOTAVAIL (ports exhausted), EMFILE, ENOBUFS... */ return TCP_LOCAL;
    }
}

static void release(struct tcp_probe *p)
{
    if (p->fd >= 0) {
        loop_watch(p->loop, p->fd, 0, NULL, NULL);
        close(p->fd);
        p->fd = -1;
    }
    loop_timer_cancel(p->loop, &p->timer);
    free(p);
}

static void finish(struct tcp_probe *p, enum tcp_status st, int err)
{
    struct tcp_result res;
    memset(&res, 0, sizeof res);
    char a[INET6_ADDRSTRLEN];
    if (!inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, a, sizeof a))
        util_strlcpy(a, "?", sizeof a);
    res.status = st;
    res.rtt_ns = st == TCP_OPEN ? loop_update_time(p->loop) - p->t0 : 0;
    if (st == TCP_OPEN) {
        snprintf(res.detail, sizeof res.detail, "%s port %u: open", a, p->port);
    } else if (st == TCP_TIMEOUT) {
        uint64_t ns = p->timeout_ns;
        if (ns % 1000000000ull == 0)
            snprintf(res.detail, sizeof res.detail, "%s port %u: connection timed out after %llu s",
                     a, p->port, (unsigned long long)(ns / 1000000000ull));
        else
            snprintf(res.detail, sizeof res.detail,
                     "%s port %u: connection timed out after %llu ms", a, p->port,
                     (unsigned long long)(ns / 1000000ull));
    } else {
        char why[80];
        util_strlcpy(why, err ? strerror(err) : tcp_status_name(st), sizeof why);
        if (why[0] >= 'A' && why[0] <= 'Z' && !(why[1] >= 'A' && why[1] <= 'Z'))
            why[0] = (char)(why[0] - 'A' + 'a');
        snprintf(res.detail, sizeof res.detail, "%s port %u: %s", a, p->port, why);
    }
    tcp_cb cb = p->cb;
    void *arg = p->arg;
    release(p);
    cb(arg, &res);
}

static void on_writable(void *arg, int fd, unsigned ev)
{
    (void)ev;
    struct tcp_probe *p = arg;
    int err = 0;
    socklen_t l = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
        err = errno;
    if (err == 0)
        finish(p, TCP_OPEN, 0);
    else
        finish(p, from_errno(err), err);
}

static void on_timer(void *arg)
{
    struct tcp_probe *p = arg;
    if (p->immediate_err)
        finish(p, from_errno(p->immediate_err), p->immediate_err);
    else
        finish(p, TCP_TIMEOUT, ETIMEDOUT);
}

void tcp_probe_cancel(struct tcp_probe *p)
{
    if (p)
        release(p);
}

struct tcp_probe *tcp_probe_start(struct loop *loop, int family, const uint8_t addr[16],
                                  uint16_t port, uint64_t timeout_ns, tcp_cb cb, void *arg)
{
    if (!loop || !addr || (family != 4 && family != 6) || !cb || port == 0)
        return NULL;
    struct tcp_probe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->loop = loop;
    p->family = family;
    memcpy(p->addr, addr, family == 6 ? 16 : 4);
    p->port = port;
    p->cb = cb;
    p->arg = arg;
    p->timeout_ns = timeout_ns ? timeout_ns : 5000000000ull;
    loop_timer_init(&p->timer, on_timer, p);
    p->t0 = loop_update_time(loop);
    p->fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int err = 0;
    if (p->fd < 0) {
        err = errno;
    } else {
        struct sockaddr_storage ss;
        socklen_t sl;
        memset(&ss, 0, sizeof ss);
        if (family == 6) {
            struct sockaddr_in6 s6;
            memset(&s6, 0, sizeof s6);
            s6.sin6_family = AF_INET6;
            s6.sin6_port = htons(port);
            memcpy(&s6.sin6_addr, addr, 16);
            memcpy(&ss, &s6, sizeof s6);
            sl = sizeof s6;
        } else {
            struct sockaddr_in s4;
            memset(&s4, 0, sizeof s4);
            s4.sin_family = AF_INET;
            s4.sin_port = htons(port);
            memcpy(&s4.sin_addr, addr, 4);
            memcpy(&ss, &s4, sizeof s4);
            sl = sizeof s4;
        }
        if (connect(p->fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)
            err = errno;
    }
    if (err) {
        if (p->fd >= 0) {
            close(p->fd);
            p->fd = -1;
        }
        p->immediate_err = err;
        loop_timer_after(loop, &p->timer, 0);
        return p;
    }
    if (loop_watch(loop, p->fd, LOOP_WRITE, on_writable, p) < 0) {
        close(p->fd);
        free(p);
        return NULL;
    }
    loop_timer_after(loop, &p->timer, p->timeout_ns);
    return p;
}
