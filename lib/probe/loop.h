/*
 * probe/loop.h - the one event loop of the active prober: epoll for file
 * descriptors, a binary min-heap of timers, a cached monotonic clock.
 *
 * Why one loop: DNS (c-ares), HTTP (curl multi) and plain TCP connects must
 * be driven together so that thousands of sites can be in flight from one
 * thread (issue 4, "scale and politeness"). c-ares reports its sockets
 * through a socket-state callback, curl multi through CURLMOPT_SOCKETFUNCTION
 * and CURLMOPT_TIMERFUNCTION; both map onto loop_watch() and loop timers.
 *
 * Model:
 *   - loop_watch(fd, events, cb, arg) sets the interest set of fd (0 removes
 *     it). A fd has at most one watcher; watching again replaces cb/arg.
 *     Callbacks get the ready events (LOOP_READ, LOOP_WRITE, LOOP_ERROR;
 *     hang-up and error are reported as LOOP_ERROR | LOOP_READ so that a
 *     reader sees the EOF).
 *   - Timers are caller-owned structs (no allocation); loop_timer_set()
 *     arms or re-arms one at an absolute monotonic time, loop_timer_cancel()
 *     disarms it (a no-op when not armed). A callback may set, cancel or
 *     free any timer or watcher, including its own.
 *   - loop_run_once() waits for I/O at most until the earliest timer (and at
 *     most max_wait_ns), dispatches ready fds, then runs due timers. Timers
 *     armed during dispatch for "now" run in the same call, in due order.
 *
 * Invariants: heap[i]->heap_index == i for armed timers, and
 * heap_index == LOOP_TIMER_IDLE for disarmed ones. The fd table is indexed
 * by fd and grows on demand.
 *
 * Ownership: the loop owns its epoll fd and tables; it never closes a
 * watched fd (the owner does, after loop_watch(fd, 0, ...)). Not
 * thread-safe; one loop per thread.
 */
#ifndef V6M_PROBE_LOOP_H
#define V6M_PROBE_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errbuf.h"

#define LOOP_READ 1u
#define LOOP_WRITE 2u
#define LOOP_ERROR 4u

#define LOOP_TIMER_IDLE ((size_t)-1)

struct loop;

typedef void (*loop_io_cb)(void *arg, int fd, unsigned events);
typedef void (*loop_timer_cb)(void *arg);

struct loop_timer {
    uint64_t due_ns;
    size_t heap_index; /* LOOP_TIMER_IDLE when not armed */
    uint64_t seq;      /* tie-break: equal due times run in arming order */
    loop_timer_cb cb;
    void *arg;
};

/* New loop; NULL with a message in *e on failure. loop_free(NULL) is a no-op. */
struct loop *loop_new(struct errbuf *e);
void loop_free(struct loop *l);

/* Monotonic nanoseconds, refreshed at each loop_run_once() and by
 * loop_update_time(). */
uint64_t loop_now_ns(const struct loop *l);
uint64_t loop_update_time(struct loop *l);

/* Set the interest set of fd; events == 0 stops watching it. Returns 0, or
 * -1 with errno set (EBADF, ENOMEM...). */
int loop_watch(struct loop *l, int fd, unsigned events, loop_io_cb cb, void *arg);

/* Prepare a timer (once, before first use). */
void loop_timer_init(struct loop_timer *t, loop_timer_cb cb, void *arg);
/* Arm (or re-arm) t to fire at due_ns (monotonic). */
void loop_timer_set(struct loop *l, struct loop_timer *t, uint64_t due_ns);
/* Arm t to fire after delay_ns from now. */
void loop_timer_after(struct loop *l, struct loop_timer *t, uint64_t delay_ns);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);
static inline bool loop_timer_armed(const struct loop_timer *t)
{
    return t->heap_index != LOOP_TIMER_IDLE;
}

/* One round: wait (at most max_wait_ns, and not past the earliest timer),
 * dispatch I/O, run due timers. Returns the number of callbacks run, or -1
 * when epoll_wait failed with something else than EINTR (errno set). */
int loop_run_once(struct loop *l, uint64_t max_wait_ns);

/* Number of armed timers and watched fds (for "is anything left to do"). */
size_t loop_pending_timers(const struct loop *l);
size_t loop_watched_fds(const struct loop *l);

#endif
