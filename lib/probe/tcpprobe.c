/*
 * probe/tcpprobe.c - one non-blocking TCP connect, timed (fetch.h).
 *
 * socket(SOCK_NONBLOCK) + connect() -> EINPROGRESS -> wait for writable on
 * the loop -> SO_ERROR says refused/unreachable/0; a loop timer bounds the
 * wait. The socket is closed as soon as the outcome is known (no data is
 * sent: the three-way handshake is the whole probe). The probe object is
 * heap-allocated and freed after its callback; the callback always runs
 * from the loop.
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
    struct tcp_result res;
    bool immediate;
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

static void addr_text(const struct tcp_probe *p, char *buf, size_t len)
{
    if (!inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, buf, (socklen_t)len))
        util_strlcpy(buf, "?", len);
}

static void finish(struct tcp_probe *p, enum tcp_status st, int err)
{
    char a[64];
    addr_text(p, a, sizeof a);
    p->res.status = st;
    p->res.rtt_ns = st == TCP_OPEN ? loop_update_time(p->loop) - p->t0 : 0;
    switch (st) {
    case TCP_OPEN:
        snprintf(p->res.detail, sizeof p->res.detail, "%s port %u: open", a, p->port);
        break;
    case TCP_TIMEOUT:
        snprintf(p->res.detail, sizeof p->res.detail, "%s port %u: connection timed out after %.1f s",
                 a, p->port, (double)p->timeout_ns / 1e9);
        break;
    default:
        snprintf(p->res.detail, sizeof p->res.detail, "%s port %u: %s", a, p->port,
                 err ? strerror(err) : tcp_status_name(st));
        break;
    }
    if (p->fd >= 0) {
        loop_watch(p->loop, p->fd, 0, NULL, NULL);
        close(p->fd);
        p->fd = -1;
    }
    loop_timer_cancel(p->loop, &p->timer);
    tcp_cb cb = p->cb;
    void *arg = p->arg;
    struct tcp_result res = p->res;
    free(p);
    cb(arg, &res);
}

static enum tcp_status from_errno(int err)
{
    if (err == ECONNREFUSED)
        return TCP_REFUSED;
    if (err == ETIMEDOUT)
        return TCP_TIMEOUT;
    if (err == ENETUNREACH || err == EHOSTUNREACH || err == EADDRNOTAVAIL || err == EACCES ||
        err == EPERM || err == ENETDOWN || err == EHOSTDOWN)
        return TCP_UNREACHABLE;
    return TCP_LOCAL;
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
    if (p->immediate) {
        /* connect() already failed; report it from the loop. */
        finish(p, p->res.status, (int)p->res.rtt_ns);
        return;
    }
    finish(p, TCP_TIMEOUT, ETIMEDOUT);
}

void tcp_probe_cancel(struct tcp_probe *p)
{
    if (!p)
        return;
    if (p->fd >= 0) {
        loop_watch(p->loop, p->fd, 0, NULL, NULL);
        close(p->fd);
    }
    loop_timer_cancel(p->loop, &p->timer);
    free(p);
}

struct tcp_probe *tcp_probe_start(struct loop *loop, int family, const uint8_t addr[16],
                                  uint16_t port, uint64_t timeout_ns, tcp_cb cb, void *arg)
{
    if ((family != 4 && family != 6) || !cb || port == 0)
        return NULL;
    struct tcp_probe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->loop = loop;
    p->family = family;
    memcpy(p->addr, addr, 16);
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
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
            s6->sin6_family = AF_INET6;
            s6->sin6_port = htons(port);
            memcpy(&s6->sin6_addr, addr, 16);
            sl = sizeof *s6;
        } else {
            struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
            s4->sin_family = AF_INET;
            s4->sin_port = htons(port);
            memcpy(&s4->sin_addr, addr, 4);
            sl = sizeof *s4;
        }
        if (connect(p->fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)
            err = errno;
    }
    if (err || p->fd < 0) {
        p->immediate = true;
        p->res.status = from_errno(err);
        p->res.rtt_ns = (uint64_t)err; /* carried to on_timer */
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
