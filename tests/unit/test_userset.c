/*
 * test_userset.c - the exact-then-sketch user set (lib/stats/userset.h).
 *
 * Expected values: counts worked out by hand from a small table of users
 * and flags; true counts of generated keys; and, for the sketches, a
 * v6m_hll fed directly with exactly the keys that have each bit (the
 * invariant "sketch b == HLL of the keys with bit b" in every mode).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <v6mon/hll.h>

#include "stats/userset.h"

enum { V4 = 1, V6 = 2, ADDR = 4 };

/* splitmix64 from its published definition (see test_hll.c). */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The i-th key of a fixed stream (distinct for distinct i). */
static uint64_t key(uint64_t i)
{
    uint64_t st = i * 0x9e3779b97f4a7c15ULL; /* one step from state i*gamma */
    return splitmix64(&st);
}

static v6m_hll *new_hll(void)
{
    v6m_hll *h = malloc(sizeof *h);
    assert_non_null(h);
    v6m_hll_init(h);
    return h;
}

/* Sketch of bit b must equal an HLL of exactly the keys listed. */
static void check_sketch(const struct userset *s, unsigned bit, const uint64_t *keys, size_t n)
{
    const v6m_hll *got = userset_sketch(s, bit);
    if (n == 0) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    v6m_hll *want = new_hll();
    for (size_t i = 0; i < n; i++)
        v6m_hll_add_hash(want, keys[i]);
    assert_memory_equal(got->reg, want->reg, sizeof want->reg);
    free(want);
}

static void within(uint64_t got, uint64_t want, double tol)
{
    double d = (double)got - (double)want;
    if (d < 0)
        d = -d;
    if (d > tol)
        fail_msg("count %llu, want %llu +- %.1f", (unsigned long long)got,
                 (unsigned long long)want, tol);
}

static void hand_built_counts_and_inclusion_exclusion(void **state)
{
    (void)state;
    struct userset *s = userset_new(1000, 3);
    assert_non_null(s);
    const uint64_t a = key(1), b = key(2), c = key(3), d = key(4), e = key(5),
                   f = key(6), g = key(7), h = key(8), i = key(9), j = key(10);
    userset_add(s, a, V4);
    userset_add(s, b, V6);
    userset_add(s, c, V4);
    userset_add(s, c, V6);        /* c: v4 + v6 over two adds */
    userset_add(s, d, V4);
    userset_add(s, d, V4);        /* repeat: no change */
    userset_add(s, e, V6 | ADDR);
    userset_add(s, f, ADDR);
    userset_add(s, g, V4 | ADDR);
    userset_add(s, h, V4);
    userset_add(s, h, V6 | ADDR); /* h: all three */
    userset_add(s, i, 0);         /* no flag: not a user */
    userset_add(s, j, 8);         /* bit 3 >= nbits: ignored, so no flag */

    assert_true(userset_is_exact(s));
    assert_int_equal(userset_exact_size(s), 8);      /* a..h */
    /* By hand: v4 = a c d g h; v6 = b c e h; addr = e f g h. */
    assert_int_equal(userset_count_any(s, V4), 5);
    assert_int_equal(userset_count_any(s, V6), 4);
    assert_int_equal(userset_count_any(s, ADDR), 4);
    assert_int_equal(userset_count_any(s, V4 | V6), 7);      /* all but f */
    assert_int_equal(userset_count_any(s, V6 | ADDR), 6);    /* b c e f g h */
    assert_int_equal(userset_count_any(s, V4 | V6 | ADDR), 8);
    assert_int_equal(userset_count_any(s, 0), 0);
    assert_int_equal(userset_count_any(s, 8), 0);
    /* Dual-stack = v4 + v6 - (v4|v6) = 5 + 4 - 7 = 2 (c, h). */
    assert_int_equal(userset_count_any(s, V4) + userset_count_any(s, V6) -
                     userset_count_any(s, V4 | V6), 2);
    /* v6 users holding an address: 4 + 4 - 6 = 2 (e, h). */
    assert_int_equal(userset_count_any(s, V6) + userset_count_any(s, ADDR) -
                     userset_count_any(s, V6 | ADDR), 2);

    const uint64_t k4[] = {a, c, d, g, h}, k6[] = {b, c, e, h}, ka[] = {e, f, g, h};
    check_sketch(s, 0, k4, 5);
    check_sketch(s, 1, k6, 4);
    check_sketch(s, 2, ka, 4);
    assert_null(userset_sketch(s, 3));
    assert_int_equal(userset_nbits(s), 3);

    struct userset_stats st;
    userset_get_stats(s, &st);
    assert_true(st.exact);
    assert_false(st.oom_switch);
    assert_int_equal(st.exact_keys, 8);
    assert_int_equal(st.adds, 11); /* the two flagless adds do not count */
    assert_int_equal(st.used_bits, 7);
    assert_true(st.bytes >= 3 * sizeof(v6m_hll));
    userset_free(s);
    userset_free(NULL);

    /* A bit never used has no sketch. */
    s = userset_new(10, 3);
    userset_add(s, a, V4);
    assert_non_null(userset_sketch(s, 0));
    assert_null(userset_sketch(s, 1));
    assert_null(userset_sketch(s, 2));
    userset_free(s);

    assert_null(userset_new(10, 0));
    assert_null(userset_new(10, 9));
}

static void switches_to_sketch_at_exact_max_plus_one(void **state)
{
    (void)state;
    enum { N = 100 };
    static uint64_t keys[N + 1];
    struct userset *s = userset_new(N, 2);
    assert_non_null(s);
    for (uint64_t i = 0; i <= N; i++)
        keys[i] = key(1000 + i);
    for (size_t i = 0; i < N; i++)
        userset_add(s, keys[i], V4);
    assert_true(userset_is_exact(s));
    assert_int_equal(userset_exact_size(s), N);
    /* Old keys gaining bits are not new keys: still exact. */
    for (size_t i = 0; i < N; i += 2)
        userset_add(s, keys[i], V6);
    assert_true(userset_is_exact(s));
    assert_int_equal(userset_count_any(s, V6), N / 2);
    assert_int_equal(userset_count_any(s, V4 | V6), N);
    struct userset_stats before;
    userset_get_stats(s, &before);

    /* Key N + 1 switches. */
    userset_add(s, keys[N], V6);
    assert_false(userset_is_exact(s));
    assert_int_equal(userset_exact_size(s), 0);
    struct userset_stats after;
    userset_get_stats(s, &after);
    assert_false(after.exact);
    assert_false(after.oom_switch);
    assert_true(after.bytes < before.bytes); /* the map was freed */
    /* Estimates from the sketches; the HLL is within 1-2 at this size. */
    within(userset_count_any(s, V4), N, 2);
    within(userset_count_any(s, V6), N / 2 + 1, 2);
    within(userset_count_any(s, V4 | V6), N + 1, 2);
    check_sketch(s, 0, keys, N);
    static uint64_t v6keys[N / 2 + 1];
    size_t n6 = 0;
    for (size_t i = 0; i < N; i += 2)
        v6keys[n6++] = keys[i];
    v6keys[n6++] = keys[N];
    check_sketch(s, 1, v6keys, n6);

    /* It never goes back, and keeps counting. */
    for (uint64_t i = 0; i < 100000; i++)
        userset_add(s, key(500000 + i), (i & 1) ? V6 : V4);
    within(userset_count_any(s, V4 | V6), 100000 + N + 1, 0.02 * 100101);
    within(userset_count_any(s, V6), 50000 + N / 2 + 1, 0.02 * 50051);
    assert_false(userset_is_exact(s));
    userset_free(s);

    /* exact_max 0: sketch mode from the start. */
    s = userset_new(0, 1);
    assert_false(userset_is_exact(s));
    userset_add(s, keys[0], V4);
    assert_int_equal(userset_count_any(s, V4), 1);
    userset_free(s);
}

static void large_exact_set(void **state)
{
    (void)state;
    enum { N = 100000 };
    struct userset *s = userset_new(N, 3);
    assert_non_null(s);
    for (uint64_t i = 0; i < N; i++)
        userset_add(s, key(i), (uint8_t)(1u << (i % 3)));
    assert_true(userset_is_exact(s));
    assert_int_equal(userset_exact_size(s), N);
    assert_int_equal(userset_count_any(s, 1), 33334);
    assert_int_equal(userset_count_any(s, 2), 33333);
    assert_int_equal(userset_count_any(s, 5), 66667);
    struct userset_stats st;
    userset_get_stats(s, &st);
    /* Load <= 1/2: 2^18 slots of 9 bytes, plus 3 sketches and the struct. */
    assert_true(st.bytes >= 262144 * 9 + 3 * 16384);
    assert_true(st.bytes < 262144 * 9 + 3 * 16384 + 8192);
    userset_free(s);
}

static void merge_exact_into_exact(void **state)
{
    (void)state;
    /* A = keys 0..59 v4, B = keys 40..99 v6: union 100 fits exact_max 100. */
    struct userset *a = userset_new(100, 2), *b = userset_new(100, 2);
    static uint64_t k[130];
    for (size_t i = 0; i < 130; i++)
        k[i] = key(7000 + i);
    for (size_t i = 0; i < 60; i++)
        userset_add(a, k[i], V4);
    for (size_t i = 40; i < 100; i++)
        userset_add(b, k[i], V6);
    assert_true(userset_merge(a, b));
    assert_true(userset_is_exact(a));
    assert_int_equal(userset_exact_size(a), 100);
    assert_int_equal(userset_count_any(a, V4), 60);
    assert_int_equal(userset_count_any(a, V6), 60);
    assert_int_equal(userset_count_any(a, V4 | V6), 100);
    assert_int_equal(userset_count_any(a, V4) + userset_count_any(a, V6) -
                     userset_count_any(a, V4 | V6), 20); /* keys 40..59 */
    check_sketch(a, 0, k, 60);
    check_sketch(a, 1, k + 40, 60);
    /* src unchanged; self-merge is a no-op. */
    assert_int_equal(userset_exact_size(b), 60);
    assert_true(userset_merge(a, a));
    assert_int_equal(userset_exact_size(a), 100);
    userset_free(a);
    userset_free(b);

    /* A = 0..79 v4, B = 50..129 v6: union 130 > 100 -> sketch mode, and
     * the sketches are still exactly those of the union's bits. */
    a = userset_new(100, 2);
    b = userset_new(100, 2);
    for (size_t i = 0; i < 80; i++)
        userset_add(a, k[i], V4);
    for (size_t i = 50; i < 130; i++)
        userset_add(b, k[i], V6);
    assert_true(userset_merge(a, b));
    assert_false(userset_is_exact(a));
    within(userset_count_any(a, V4 | V6), 130, 2);
    within(userset_count_any(a, V4), 80, 2);
    within(userset_count_any(a, V6), 80, 2);
    check_sketch(a, 0, k, 80);
    check_sketch(a, 1, k + 50, 80);
    userset_free(a);
    userset_free(b);
}

static void merge_with_sketch_mode(void **state)
{
    (void)state;
    static uint64_t k[3000];
    for (size_t i = 0; i < 3000; i++)
        k[i] = key(90000 + i);
    /* exact dst (keys 0..999 v4) + sketch src (keys 500..2999 v6). */
    struct userset *a = userset_new(5000, 2), *b = userset_new(100, 2);
    for (size_t i = 0; i < 1000; i++)
        userset_add(a, k[i], V4);
    for (size_t i = 500; i < 3000; i++)
        userset_add(b, k[i], V6);
    assert_true(userset_is_exact(a));
    assert_false(userset_is_exact(b));
    assert_true(userset_merge(a, b));
    assert_false(userset_is_exact(a));
    within(userset_count_any(a, V4), 1000, 0.02 * 1000);
    within(userset_count_any(a, V6), 2500, 0.02 * 2500);
    within(userset_count_any(a, V4 | V6), 3000, 0.02 * 3000);
    check_sketch(a, 0, k, 1000);
    check_sketch(a, 1, k + 500, 2500);

    /* sketch dst + exact src: same union. */
    struct userset *c = userset_new(5000, 2);
    for (size_t i = 0; i < 1000; i++)
        userset_add(c, k[i], V4);
    assert_true(userset_merge(b, c));
    assert_false(userset_is_exact(b));
    check_sketch(b, 0, k, 1000);
    check_sketch(b, 1, k + 500, 2500);
    assert_int_equal(userset_count_any(a, V4 | V6), userset_count_any(b, V4 | V6));

    /* A sketch read back from the store joins as its bit. */
    struct userset *d = userset_new(5000, 2);
    userset_add(d, k[0], V4);
    assert_true(userset_merge_sketch(d, 1, userset_sketch(a, 1)));
    assert_false(userset_merge_sketch(d, 2, userset_sketch(a, 1)));
    assert_false(userset_is_exact(d));
    check_sketch(d, 1, k + 500, 2500);
    check_sketch(d, 0, k, 1);
    userset_free(a);
    userset_free(b);
    userset_free(c);
    userset_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_built_counts_and_inclusion_exclusion),
        cmocka_unit_test(switches_to_sketch_at_exact_max_plus_one),
        cmocka_unit_test(large_exact_set),
        cmocka_unit_test(merge_exact_into_exact),
        cmocka_unit_test(merge_with_sketch_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
