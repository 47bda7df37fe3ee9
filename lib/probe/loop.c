/*
 * probe/loop.c - epoll + timer heap; see loop.h for the model.
 *
 * The timer heap is an array of pointers to caller-owned timers, ordered by
 * (due_ns, seq). Each timer remembers its index so cancel and re-arm are
 * O(log n) without searching. The fd table is a plain array indexed by fd:
 * fds are small integers and the kernel reuses the lowest free one, so the
 * table stays as large as the peak number of open descriptors.
 *
 * A watcher can be removed by another callback of the same epoll batch
 * (curl closing a connection while its other socket is also ready); each
 * event therefore carries the fd and a generation number, and a stale
 * event (generation changed since epoll_wait returned) is dropped.
 */
#include "probe/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_EVENTS 256

struct watcher {
    loop_io_cb cb;
    void *arg;
    unsigned events; /* 0 = not watched */
    uint32_t gen;    /* bumped each time the watcher is removed or replaced */
};

struct loop {
    int epfd;
    uint64_t now_ns;
    uint64_t timer_seq;
    struct watcher *fds;
    size_t nfds_cap;
    size_t nwatched;
    struct loop_timer **heap;
    size_t nheap, heap_cap;
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct loop *loop_new(struct errbuf *e)
{
    struct loop *l = calloc(1, sizeof *l);
    if (!l) {
        errbuf_set(e, V6M_ERR_NOMEM, "out of memory for the event loop");
        return NULL;
    }
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        errbuf_set(e, V6M_ERR_IO, "cannot create an epoll instance: %s", strerror(errno));
        free(l);
        return NULL;
    }
    l->now_ns = mono_ns();
    return l;
}

void loop_free(struct loop *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->nheap; i++)
        l->heap[i]->heap_index = LOOP_TIMER_IDLE;
    close(l->epfd);
    free(l->fds);
    free(l->heap);
    free(l);
}

uint64_t loop_now_ns(const struct loop *l)
{
    return l->now_ns;
}

uint64_t loop_update_time(struct loop *l)
{
    l->now_ns = mono_ns();
    return l->now_ns;
}

static uint32_t ep_events(unsigned ev)
{
    uint32_t r = 0;
    if (ev & LOOP_READ)
        r |= EPOLLIN;
    if (ev & LOOP_WRITE)
        r |= EPOLLOUT;
    return r;
}

int loop_watch(struct loop *l, int fd, unsigned events, loop_io_cb cb, void *arg)
{
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    if ((size_t)fd >= l->nfds_cap) {
        if (events == 0)
            return 0;
        size_t cap = l->nfds_cap ? l->nfds_cap : 64;
        while (cap <= (size_t)fd)
            cap *= 2;
        struct watcher *n = realloc(l->fds, cap * sizeof *n);
        if (!n) {
            errno = ENOMEM;
            return -1;
        }
        memset(n + l->nfds_cap, 0, (cap - l->nfds_cap) * sizeof *n);
        l->fds = n;
        l->nfds_cap = cap;
    }
    struct watcher *w = &l->fds[fd];
    events &= LOOP_READ | LOOP_WRITE;
    if (events == 0) {
        if (w->events) {
            /* The fd may already be closed (the owner closed it first):
             * epoll then dropped it by itself, so ENOENT/EBADF are fine. */
            epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
            w->events = 0;
            w->gen++;
            l->nwatched--;
        }
        w->cb = NULL;
        w->arg = NULL;
        return 0;
    }
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = ep_events(events);
    ev.data.fd = fd;
    int op = w->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(l->epfd, op, fd, &ev) < 0) {
        if (op == EPOLL_CTL_MOD && errno == ENOENT)
            op = EPOLL_CTL_ADD; /* fd was closed and reused behind our back */
        else if (op == EPOLL_CTL_ADD && errno == EEXIST)
            op = EPOLL_CTL_MOD;
        else
            return -1;
        if (epoll_ctl(l->epfd, op, fd, &ev) < 0)
            return -1;
    }
    if (!w->events)
        l->nwatched++;
    if (w->cb != cb || w->arg != arg)
        w->gen++;
    w->events = events;
    w->cb = cb;
    w->arg = arg;
    return 0;
}

/* ---- timer heap ---- */

static bool timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
    return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void heap_place(struct loop *l, size_t i, struct loop_timer *t)
{
    l->heap[i] = t;
    t->heap_index = i;
}

static void heap_up(struct loop *l, size_t i)
{
    struct loop_timer *t = l->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!timer_before(t, l->heap[parent]))
            break;
        heap_place(l, i, l->heap[parent]);
        i = parent;
    }
    heap_place(l, i, t);
}

static void heap_down(struct loop *l, size_t i)
{
    struct loop_timer *t = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->nheap)
            break;
        if (c + 1 < l->nheap && timer_before(l->heap[c + 1], l->heap[c]))
            c++;
        if (!timer_before(l->heap[c], t))
            break;
        heap_place(l, i, l->heap[c]);
        i = c;
    }
    heap_place(l, i, t);
}

void loop_timer_init(struct loop_timer *t, loop_timer_cb cb, void *arg)
{
    memset(t, 0, sizeof *t);
    t->heap_index = LOOP_TIMER_IDLE;
    t->cb = cb;
    t->arg = arg;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
    size_t i = t->heap_index;
    if (i == LOOP_TIMER_IDLE || i >= l->nheap || l->heap[i] != t)
        return;
    t->heap_index = LOOP_TIMER_IDLE;
    l->nheap--;
    if (i == l->nheap)
        return;
    struct loop_timer *moved = l->heap[l->nheap];
    heap_place(l, i, moved);
    heap_up(l, i);
    heap_down(l, moved->heap_index);
}

void loop_timer_set(struct loop *l, struct loop_timer *t, uint64_t due_ns)
{
    loop_timer_cancel(l, t);
    if (l->nheap == l->heap_cap) {
        size_t cap = l->heap_cap ? l->heap_cap * 2 : 64;
        struct loop_timer **n = realloc(l->heap, cap * sizeof *n);
        if (!n)
            abort(); /* a timer that silently never fires would hang a probe */
        l->heap = n;
        l->heap_cap = cap;
    }
    t->due_ns = due_ns;
    t->seq = ++l->timer_seq;
    heap_place(l, l->nheap, t);
    l->nheap++;
    heap_up(l, l->nheap - 1);
}

void loop_timer_after(struct loop *l, struct loop_timer *t, uint64_t delay_ns)
{
    uint64_t now = loop_update_time(l);
    loop_timer_set(l, t, delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns);
}

size_t loop_pending_timers(const struct loop *l)
{
    return l->nheap;
}

size_t loop_watched_fds(const struct loop *l)
{
    return l->nwatched;
}

int loop_run_once(struct loop *l, uint64_t max_wait_ns)
{
    uint64_t now = loop_update_time(l);
    uint64_t wait = max_wait_ns;
    if (l->nheap) {
        uint64_t due = l->heap[0]->due_ns;
        uint64_t until = due > now ? due - now : 0;
        if (until < wait)
            wait = until;
    }
    /* Round up to whole milliseconds so that we never wake just before a
     * timer and spin. */
    uint64_t ms = (wait + 999999) / 1000000;
    int timeout = ms > 60000 ? 60000 : (int)ms;

    struct epoll_event evs[LOOP_MAX_EVENTS];
    int n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, timeout);
    if (n < 0) {
        if (errno != EINTR)
            return -1;
        n = 0;
    }
    loop_update_time(l);

    /* Snapshot each event's watcher generation first: a callback may remove
     * or replace another fd's watcher within this batch, and such a stale
     * event must not reach the new watcher. */
    int ran = 0;
    uint32_t genv[LOOP_MAX_EVENTS];
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        genv[i] = (fd >= 0 && (size_t)fd < l->nfds_cap) ? l->fds[fd].gen : 0;
    }
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        uint32_t e = evs[i].events;
        if (fd < 0 || (size_t)fd >= l->nfds_cap)
            continue;
        struct watcher *w = &l->fds[fd];
        if (!w->events || !w->cb || w->gen != genv[i])
            continue;
        unsigned ready = 0;
        if (e & EPOLLIN)
            ready |= LOOP_READ;
        if (e & EPOLLOUT)
            ready |= LOOP_WRITE;
        if (e & (EPOLLERR | EPOLLHUP))
            ready |= LOOP_ERROR | LOOP_READ;
        w->cb(w->arg, fd, ready);
        ran++;
    }

    loop_update_time(l);
    now = l->now_ns;
    while (l->nheap && l->heap[0]->due_ns <= now) {
        struct loop_timer *t = l->heap[0];
        loop_timer_cancel(l, t);
        t->cb(t->arg);
        ran++;
    }
    return ran;
}
