/*
 * test_loop.c - the prober's event loop: timer order and cancellation,
 * re-arming from a callback, fd readiness, and a watcher removed by
 * another callback of the same batch (its stale event must not run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe/loop.h"

struct rec {
    int order[64];
    int n;
};

struct tctx {
    struct rec *rec;
    int id;
    struct loop *l;
    struct loop_timer *other; /* cancel this one when firing */
    int rearm;                /* re-arm self this many times */
    struct loop_timer *self;
};

static void on_timer(void *arg)
{
    struct tctx *t = arg;
    t->rec->order[t->rec->n++] = t->id;
    if (t->other)
        loop_timer_cancel(t->l, t->other);
    if (t->rearm > 0) {
        t->rearm--;
        loop_timer_after(t->l, t->self, 0);
    }
}

static void run_until_idle(struct loop *l)
{
    for (int i = 0; i < 1000 && (loop_pending_timers(l) || loop_watched_fds(l)); i++)
        loop_run_once(l, 50000000ull);
}

static void test_timer_order(void **state)
{
    (void)state;
    struct errbuf e;
    struct loop *l = loop_new(&e);
    assert_non_null(l);
    struct rec rec = {0};
    enum { N = 40 };
    struct loop_timer t[N];
    struct tctx c[N];
    uint64_t now = loop_update_time(l);
    /* Due times in a scrambled order; equal due times keep arming order. */
    for (int i = 0; i < N; i++) {
        c[i] = (struct tctx){.rec = &rec, .id = i, .l = l};
        loop_timer_init(&t[i], on_timer, &c[i]);
        uint64_t due = now + (uint64_t)((i * 7) % 10) * 1000000ull;
        loop_timer_set(l, &t[i], due);
    }
    /* Cancel every fourth timer before it fires. */
    for (int i = 0; i < N; i += 4)
        loop_timer_cancel(l, &t[i]);
    assert_int_equal(loop_pending_timers(l), N - N / 4);
    run_until_idle(l);
    assert_int_equal(rec.n, N - N / 4);
    /* Expected order: by (i*7)%10, then by i. */
    int k = 0;
    for (int d = 0; d < 10; d++)
        for (int i = 0; i < N; i++)
            if ((i * 7) % 10 == d && i % 4 != 0)
                assert_int_equal(rec.order[k++], i);
    loop_free(l);
}

static void test_cancel_from_callback_and_rearm(void **state)
{
    (void)state;
    struct errbuf e;
    struct loop *l = loop_new(&e);
    struct rec rec = {0};
    struct loop_timer a, b;
    struct tctx ca = {.rec = &rec, .id = 1, .l = l, .other = &b, .rearm = 3, .self = &a};
    struct tctx cb = {.rec = &rec, .id = 2, .l = l};
    loop_timer_init(&a, on_timer, &ca);
    loop_timer_init(&b, on_timer, &cb);
    loop_timer_after(l, &a, 0);
    loop_timer_after(l, &b, 5000000ull);
    run_until_idle(l);
    /* a fires 4 times (3 re-arms), b was cancelled by a's first run. */
    assert_int_equal(rec.n, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(rec.order[i], 1);
    assert_false(loop_timer_armed(&b));
    loop_timer_cancel(l, &b); /* cancelling an idle timer is a no-op */
    loop_free(l);
}

struct io_ctx {
    struct loop *l;
    int fds[2][2];
    int hits[2];
    bool remove_other;
};

static void on_io(void *arg, int fd, unsigned ev)
{
    struct io_ctx *c = arg;
    assert_true(ev & LOOP_READ);
    int which = fd == c->fds[0][0] ? 0 : 1;
    c->hits[which]++;
    char b[16];
    ssize_t r = read(fd, b, sizeof b);
    (void)r;
    if (c->remove_other) {
        /* Remove the other pipe's watcher: its event of this same batch is
         * now stale and must not be delivered. */
        int other = c->fds[1 - which][0];
        loop_watch(c->l, other, 0, NULL, NULL);
    }
    loop_watch(c->l, fd, 0, NULL, NULL);
}

static void test_fd_events(void **state)
{
    (void)state;
    struct errbuf e;
    struct loop *l = loop_new(&e);
    struct io_ctx c = {.l = l};
    for (int i = 0; i < 2; i++)
        assert_int_equal(pipe(c.fds[i]), 0);
    /* Plain readiness. */
    assert_int_equal(loop_watch(l, c.fds[0][0], LOOP_READ, on_io, &c), 0);
    assert_int_equal(write(c.fds[0][1], "x", 1), 1);
    loop_run_once(l, 100000000ull);
    assert_int_equal(c.hits[0], 1);
    assert_int_equal(loop_watched_fds(l), 0);

    /* Both ready in one batch, the first callback removes the other. */
    c.remove_other = true;
    c.hits[0] = c.hits[1] = 0;
    assert_int_equal(loop_watch(l, c.fds[0][0], LOOP_READ, on_io, &c), 0);
    assert_int_equal(loop_watch(l, c.fds[1][0], LOOP_READ, on_io, &c), 0);
    assert_int_equal(write(c.fds[0][1], "x", 1), 1);
    assert_int_equal(write(c.fds[1][1], "y", 1), 1);
    loop_run_once(l, 100000000ull);
    assert_int_equal(c.hits[0] + c.hits[1], 1);
    assert_int_equal(loop_watched_fds(l), 0);
    for (int i = 0; i < 2; i++) {
        close(c.fds[i][0]);
        close(c.fds[i][1]);
    }
    loop_free(l);
}

static void test_wait_bounded_by_timer(void **state)
{
    (void)state;
    struct errbuf e;
    struct loop *l = loop_new(&e);
    struct rec rec = {0};
    struct loop_timer t;
    struct tctx c = {.rec = &rec, .id = 7, .l = l};
    loop_timer_init(&t, on_timer, &c);
    uint64_t t0 = loop_update_time(l);
    loop_timer_after(l, &t, 20000000ull); /* 20 ms */
    /* A 10 s maximum wait must still return when the timer is due. */
    while (rec.n == 0)
        loop_run_once(l, 10000000000ull);
    uint64_t waited = loop_now_ns(l) - t0;
    assert_true(waited >= 20000000ull);
    assert_true(waited < 5000000000ull);
    loop_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timer_order),
        cmocka_unit_test(test_cancel_from_callback_and_rearm),
        cmocka_unit_test(test_fd_events),
        cmocka_unit_test(test_wait_bounded_by_timer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
