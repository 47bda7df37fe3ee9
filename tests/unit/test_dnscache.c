/*
 * test_dnscache.c - DNS answer cache: name interning (normalisation, stable
 * ids and pointers, bounds), TTL expiry with the min/max clamp and grace on
 * fake packet timestamps, the other-client fallback, eviction of the oldest
 * put when full, the sweep, and the statistics. Expected values are worked
 * out by hand from the rules in dnscache.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/dnscache.h"

#define S 1000000000ULL /* ns per second */
#define T0 (1700000000ULL * S)

static void ip(uint8_t out[16], const char *s)
{
    memset(out, 0, 16);
    if (strchr(s, ':'))
        assert_int_equal(inet_pton(AF_INET6, s, out), 1);
    else
        assert_int_equal(inet_pton(AF_INET, s, out), 1);
}

static uint8_t fam(const char *s)
{
    return strchr(s, ':') ? 2 : 1;
}

static void put(struct dnscache *c, const char *client, const char *addr, uint32_t id,
                uint32_t ttl, uint64_t now)
{
    uint8_t a[16], b[16];
    ip(a, client);
    ip(b, addr);
    dnscache_put(c, fam(client), a, fam(addr), b, id, ttl, now);
}

static uint32_t get(struct dnscache *c, const char *client, const char *addr, uint64_t now,
                    bool *other)
{
    uint8_t a[16], b[16];
    ip(a, client);
    ip(b, addr);
    return dnscache_get(c, fam(client), a, fam(addr), b, now, other);
}

static void test_intern(void **state)
{
    (void)state;
    struct dnscache *c = dnscache_new(NULL);
    assert_non_null(c);
    uint32_t a = dnscache_intern(c, "weixin.qq.com");
    uint32_t b = dnscache_intern(c, "www.baidu.com");
    assert_int_equal(a, 1);
    assert_int_equal(b, 2);
    assert_int_equal(dnscache_intern(c, "weixin.qq.com"), a);
    assert_int_equal(dnscache_intern(c, "WeiXin.QQ.com."), a); /* normalised */
    assert_string_equal(dnscache_name(c, a), "weixin.qq.com");
    assert_string_equal(dnscache_name(c, b), "www.baidu.com");
    assert_null(dnscache_name(c, 0));
    assert_null(dnscache_name(c, 3));
    /* invalid names */
    assert_int_equal(dnscache_intern(c, ""), 0);
    assert_int_equal(dnscache_intern(c, "."), 0);
    assert_int_equal(dnscache_intern(c, "a b.com"), 0);
    assert_int_equal(dnscache_intern(c, "a\tb.com"), 0);
    assert_int_equal(dnscache_intern(c, "caf\xc3\xa9.com"), 0);
    char longname[300];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(dnscache_intern(c, longname), 0);
    longname[253] = '\0'; /* exactly 253: fine, and 253 + "." too */
    uint32_t l = dnscache_intern(c, longname);
    assert_true(l > 0);
    longname[253] = '.';
    longname[254] = '\0';
    assert_int_equal(dnscache_intern(c, longname), l);
    struct dnscache_stats st;
    dnscache_get_stats(c, &st);
    assert_int_equal(st.names, 3);
    assert_int_equal(st.names_invalid, 6);
    assert_int_equal(st.names_refused, 0);
    assert_int_equal(st.name_bytes, 14 + 14 + 254);

    /* pointers stay valid while many more names arrive */
    const char *pa = dnscache_name(c, a);
    char nm[64];
    for (int i = 0; i < 20000; i++) {
        snprintf(nm, sizeof(nm), "host%d.example.com", i);
        assert_int_equal(dnscache_intern(c, nm), (uint32_t)(4 + i));
    }
    assert_ptr_equal(dnscache_name(c, a), pa);
    assert_string_equal(pa, "weixin.qq.com");
    assert_string_equal(dnscache_name(c, 4 + 12345), "host12345.example.com");
    assert_int_equal(dnscache_intern(c, "HOST777.example.com"), 4 + 777);
    dnscache_free(c);
    dnscache_free(NULL);
}

static void test_intern_bounds(void **state)
{
    (void)state;
    struct dnscache_config cfg = {.max_entries = 16, .max_names = 3};
    struct dnscache *c = dnscache_new(&cfg);
    assert_non_null(c);
    assert_int_equal(dnscache_intern(c, "a.example"), 1);
    assert_int_equal(dnscache_intern(c, "b.example"), 2);
    assert_int_equal(dnscache_intern(c, "c.example"), 3);
    assert_int_equal(dnscache_intern(c, "d.example"), 0);
    assert_int_equal(dnscache_intern(c, "e.example"), 0);
    assert_int_equal(dnscache_intern(c, "b.example"), 2); /* known names still work */
    struct dnscache_stats st;
    dnscache_get_stats(c, &st);
    assert_int_equal(st.names, 3);
    assert_int_equal(st.names_refused, 2);
    dnscache_free(c);
}

static void test_intern_bytes_refusal(void **state)
{
    (void)state;
    struct dnscache_config cfg = {.max_entries = 16, .max_name_bytes = 25};
    struct dnscache *c = dnscache_new(&cfg);
    assert_int_equal(dnscache_intern(c, "aaaaaaaaaa.example"), 1);
    assert_int_equal(dnscache_intern(c, "bbbbbbb"), 0); /* 8 bytes: 27 > 25 */
    struct dnscache_stats st;
    dnscache_get_stats(c, &st);
    assert_int_equal(st.names_refused, 1);
    assert_int_equal(dnscache_intern(c, "bbbbb"), 2); /* 6 bytes: 25 */
    dnscache_free(c);
}

static void test_ttl_expiry(void **state)
{
    (void)state;
    /* defaults: min 60, max 86400, grace 300 */
    struct dnscache *c = dnscache_new(NULL);
    uint32_t n = dnscache_intern(c, "www.example.com");
    put(c, "10.0.0.1", "93.184.216.34", n, 100, T0);
    /* valid while now < T0 + (100 + 300) s */
    assert_int_equal(get(c, "10.0.0.1", "93.184.216.34", T0, NULL), n);
    assert_int_equal(get(c, "10.0.0.1", "93.184.216.34", T0 + 399 * S, NULL), n);
    assert_int_equal(get(c, "10.0.0.1", "93.184.216.34", T0 + 400 * S - 1, NULL), n);
    assert_int_equal(get(c, "10.0.0.1", "93.184.216.34", T0 + 400 * S, NULL), 0);
    struct dnscache_stats st;
    dnscache_get_stats(c, &st);
    assert_int_equal(st.expired, 1);
    assert_int_equal(st.addr_expired, 1);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.hits_client, 3);
    assert_int_equal(st.misses, 1);

    /* TTL below the minimum: 5 -> 60, + 300 grace */
    put(c, "10.0.0.1", "1.1.1.1", n, 5, T0);
    assert_int_equal(get(c, "10.0.0.1", "1.1.1.1", T0 + 359 * S, NULL), n);
    assert_int_equal(get(c, "10.0.0.1", "1.1.1.1", T0 + 360 * S, NULL), 0);
    /* TTL 0 too */
    put(c, "10.0.0.1", "1.1.1.2", n, 0, T0);
    assert_int_equal(get(c, "10.0.0.1", "1.1.1.2", T0 + 359 * S, NULL), n);
    /* TTL above the maximum: 1e6 -> 86400, + 300 */
    put(c, "10.0.0.1", "1.1.1.3", n, 1000000, T0);
    assert_int_equal(get(c, "10.0.0.1", "1.1.1.3", T0 + 86699 * S, NULL), n);
    assert_int_equal(get(c, "10.0.0.1", "1.1.1.3", T0 + 86700 * S, NULL), 0);
    /* packet time going backwards: still valid */
    put(c, "10.0.0.1", "1.1.1.4", n, 100, T0);
    assert_int_equal(get(c, "10.0.0.1", "1.1.1.4", T0 - 50 * S, NULL), n);
    dnscache_free(c);

    /* explicit configuration */
    struct dnscache_config cfg = {.max_entries = 8, .min_ttl_s = 10, .max_ttl_s = 20,
                                  .grace_s = 1};
    c = dnscache_new(&cfg);
    n = dnscache_intern(c, "x.example");
    put(c, "2001:db8::1", "2001:db8::53", n, 3, 0);
    assert_int_equal(get(c, "2001:db8::1", "2001:db8::53", 10 * S, NULL), n);
    assert_int_equal(get(c, "2001:db8::1", "2001:db8::53", 11 * S, NULL), 0);
    put(c, "2001:db8::1", "2001:db8::53", n, 99, 0);
    assert_int_equal(get(c, "2001:db8::1", "2001:db8::53", 20 * S, NULL), n);
    assert_int_equal(get(c, "2001:db8::1", "2001:db8::53", 21 * S, NULL), 0);
    dnscache_free(c);
}

static void test_other_client_fallback(void **state)
{
    (void)state;
    struct dnscache *c = dnscache_new(NULL);
    uint32_t n1 = dnscache_intern(c, "a.example");
    uint32_t n2 = dnscache_intern(c, "b.example");
    bool other = true;
    put(c, "10.0.0.1", "203.0.113.7", n1, 300, T0);
    assert_int_equal(get(c, "10.0.0.1", "203.0.113.7", T0 + S, &other), n1);
    assert_false(other);
    assert_int_equal(get(c, "10.0.0.2", "203.0.113.7", T0 + S, &other), n1);
    assert_true(other);
    /* a later answer for the same address, other name, to another client */
    put(c, "10.0.0.2", "203.0.113.7", n2, 300, T0 + 10 * S);
    assert_int_equal(get(c, "10.0.0.1", "203.0.113.7", T0 + 11 * S, &other), n1);
    assert_false(other); /* own entry first */
    assert_int_equal(get(c, "10.0.0.3", "203.0.113.7", T0 + 11 * S, &other), n2);
    assert_true(other); /* most recent answer for anyone */
    /* IPv6 client asking about an IPv4 address */
    assert_int_equal(get(c, "2001:db8::9", "203.0.113.7", T0 + 11 * S, &other), n2);
    assert_true(other);
    /* unknown address */
    assert_int_equal(get(c, "10.0.0.1", "203.0.113.8", T0 + 11 * S, &other), 0);
    assert_false(other);
    struct dnscache_stats st;
    dnscache_get_stats(c, &st);
    assert_int_equal(st.hits_client, 2);
    assert_int_equal(st.hits_any, 3);
    assert_int_equal(st.misses, 1);
    assert_int_equal(st.puts, 2);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.addr_entries, 1);

    /* the address entry expires with the latest answer: same name re-put
     * with a shorter TTL keeps the later expiry */
    put(c, "10.0.0.4", "198.51.100.1", n1, 1000, T0);      /* until T0+1300 */
    put(c, "10.0.0.5", "198.51.100.1", n1, 60, T0 + 10 * S); /* until T0+370 */
    assert_int_equal(get(c, "10.0.0.6", "198.51.100.1", T0 + 1000 * S, &other), n1);
    assert_true(other);
    /* but another name replaces it, with its own expiry */
    put(c, "10.0.0.5", "198.51.100.1", n2, 60, T0 + 20 * S); /* until T0+380 */
    assert_int_equal(get(c, "10.0.0.6", "198.51.100.1", T0 + 379 * S, &other), n2);
    assert_int_equal(get(c, "10.0.0.6", "198.51.100.1", T0 + 380 * S, &other), 0);
    dnscache_free(c);
}

static void test_keys(void **state)
{
    (void)state;
    struct dnscache *c = dnscache_new(NULL);
    uint32_t n = dnscache_intern(c, "k.example");
    uint8_t cl[16], ad[16];
    /* IPv4: bytes after the first 4 are ignored */
    memset(cl, 0xee, 16);
    memset(ad, 0xdd, 16);
    memcpy(cl, "\x0a\x00\x00\x01", 4);
    memcpy(ad, "\xc0\x00\x02\x01", 4);
    dnscache_put(c, 1, cl, 1, ad, n, 100, T0);
    assert_int_equal(get(c, "10.0.0.1", "192.0.2.1", T0, NULL), n);
    /* the same 16 bytes as IPv6 are another key */
    uint8_t cl6[16] = {0x0a, 0, 0, 1}, ad6[16] = {0xc0, 0, 2, 1};
    bool other = true;
    assert_int_equal(dnscache_get(c, 2, cl6, 2, ad6, T0, &other), 0);
    assert_false(other);
    assert_int_equal(dnscache_get(c, 1, cl6, 2, ad6, T0, NULL), 0);
    /* bad families and id 0 are ignored */
    dnscache_put(c, 3, cl, 1, ad, n, 100, T0);
    dnscache_put(c, 1, cl, 0, ad, n, 100, T0);
    dnscache_put(c, 1, cl6, 1, ad6, 0, 100, T0);
    dnscache_put(c, 1, cl6, 1, ad6, 999, 100, T0); /* never interned */
    assert_int_equal(dnscache_get(c, 0, cl, 1, ad, T0, NULL), 0);
    struct dnscache_stats st;
    dnscache_get_stats(c, &st);
    assert_int_equal(st.puts, 1);
    assert_int_equal(st.entries, 1);
    dnscache_free(c);
}

static void test_eviction(void **state)
{
    (void)state;
    struct dnscache_config cfg = {.max_entries = 4};
    struct dnscache *c = dnscache_new(&cfg);
    uint32_t n = dnscache_intern(c, "e.example");
    char a[32];
    for (int i = 1; i <= 4; i++) {
        snprintf(a, sizeof(a), "192.0.2.%d", i);
        put(c, "10.0.0.1", a, n, 3600, T0 + (uint64_t)i * S);
    }
    /* re-put .1: it becomes the youngest, .2 the oldest */
    put(c, "10.0.0.1", "192.0.2.1", n, 3600, T0 + 5 * S);
    put(c, "10.0.0.1", "192.0.2.5", n, 3600, T0 + 6 * S);
    struct dnscache_stats st;
    dnscache_get_stats(c, &st);
    assert_int_equal(st.entries, 4);
    assert_int_equal(st.max_entries_seen, 4);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(st.addr_evicted, 1);
    assert_int_equal(st.addr_entries, 4);
    bool other;
    assert_int_equal(get(c, "10.0.0.1", "192.0.2.2", T0 + 7 * S, &other), 0);
    for (int i = 1; i <= 5; i++) {
        if (i == 2)
            continue;
        snprintf(a, sizeof(a), "192.0.2.%d", i);
        assert_int_equal(get(c, "10.0.0.1", a, T0 + 7 * S, &other), n);
        assert_false(other);
    }
    /* many more: the table never exceeds its bound */
    for (int i = 0; i < 1000; i++) {
        snprintf(a, sizeof(a), "198.51.%d.%d", i / 256, i % 256);
        put(c, "10.0.0.2", a, n, 3600, T0 + 10 * S);
    }
    dnscache_get_stats(c, &st);
    assert_int_equal(st.entries, 4);
    assert_int_equal(st.evicted, 1001);
    /* the last four (996..999) remain; 995 is gone */
    assert_int_equal(get(c, "10.0.0.2", "198.51.3.228", T0 + 11 * S, NULL), n); /* 996 */
    assert_int_equal(get(c, "10.0.0.2", "198.51.3.231", T0 + 11 * S, NULL), n); /* 999 */
    assert_int_equal(get(c, "10.0.0.2", "198.51.3.227", T0 + 11 * S, NULL), 0); /* 995 */
    dnscache_free(c);
}

static void test_sweep(void **state)
{
    (void)state;
    struct dnscache_config cfg = {.max_entries = 64, .min_ttl_s = 10, .max_ttl_s = 10,
                                  .grace_s = 1};
    struct dnscache *c = dnscache_new(&cfg);
    uint32_t n = dnscache_intern(c, "s.example");
    char a[32];
    for (int i = 0; i < 20; i++) {
        snprintf(a, sizeof(a), "192.0.2.%d", i);
        put(c, "10.0.0.1", a, n, 10, T0);
    }
    /* 100 s later, puts of other keys sweep the expired ones without any get */
    for (int i = 0; i < 20; i++) {
        snprintf(a, sizeof(a), "198.51.100.%d", i);
        put(c, "10.0.0.1", a, n, 10, T0 + 100 * S);
    }
    struct dnscache_stats st;
    dnscache_get_stats(c, &st);
    assert_int_equal(st.expired, 20);
    assert_int_equal(st.entries, 20);
    assert_int_equal(st.max_entries_seen, 20); /* each put sweeps before it adds */
    assert_int_equal(st.evicted, 0);
    dnscache_free(c);
}

/* The hash index starts small and doubles as entries arrive (relinking
 * them): every entry must stay reachable across the doublings, with its
 * own name, and removals (sweep, expiry on lookup, eviction) must still
 * unlink entries from the grown index. The expected values come from the
 * put sequence, not from the cache. */
static void test_index_growth(void **state)
{
    (void)state;
    static const char *const names[7] = {"a.example", "b.example", "c.example", "d.example",
                                         "e.example", "f.example", "g.example"};
    uint32_t id[7];
    char cl[40], ad[40];
    /* 30,000 answers in a 50,000-entry cache: the index doubles 3 times. */
    struct dnscache_config cfg = {.max_entries = 50000, .min_ttl_s = 60, .max_ttl_s = 60,
                                  .grace_s = 1};
    struct dnscache *c = dnscache_new(&cfg);
    for (int k = 0; k < 7; k++)
        id[k] = dnscache_intern(c, names[k]);
    for (int i = 0; i < 30000; i++) {
        snprintf(cl, sizeof(cl), "10.%d.%d.1", i / 256 % 256, i % 256);
        snprintf(ad, sizeof(ad), "2001:db8::%x:%x", i / 65536, i % 65536);
        put(c, cl, ad, id[i % 7], 60, T0 + (uint64_t)(i / 1000) * S);
    }
    struct dnscache_stats st;
    dnscache_get_stats(c, &st);
    assert_int_equal(st.entries, 30000);
    assert_int_equal(st.addr_entries, 30000);
    assert_int_equal(st.evicted, 0);
    for (int i = 0; i < 30000; i++) {
        bool other = true;
        snprintf(cl, sizeof(cl), "10.%d.%d.1", i / 256 % 256, i % 256);
        snprintf(ad, sizeof(ad), "2001:db8::%x:%x", i / 65536, i % 65536);
        assert_int_equal(get(c, cl, ad, T0 + 40 * S, &other), id[i % 7]);
        assert_false(other);
        /* another client: the address table */
        assert_int_equal(get(c, "192.0.2.1", ad, T0 + 40 * S, &other), id[i % 7]);
        assert_true(other);
    }
    /* Entry i lives until T0 + i/1000 s + 61 s: at T0 + 75 s those with
     * i < 15000 have expired. Lookups remove what they find expired. */
    for (int i = 0; i < 30000; i += 2) {
        snprintf(cl, sizeof(cl), "10.%d.%d.1", i / 256 % 256, i % 256);
        snprintf(ad, sizeof(ad), "2001:db8::%x:%x", i / 65536, i % 65536);
        assert_int_equal(get(c, cl, ad, T0 + 75 * S, NULL), i < 15000 ? 0 : id[i % 7]);
    }
    dnscache_get_stats(c, &st);
    assert_int_equal(st.entries, 30000 - 7500);
    assert_int_equal(st.expired, 7500);
    dnscache_free(c);

    /* A 5,000-entry cache: the index stops at 8192 buckets, puts past the
     * capacity evict the oldest, and the survivors are the last 5,000. */
    struct dnscache_config small = {.max_entries = 5000};
    c = dnscache_new(&small);
    uint32_t n = dnscache_intern(c, "z.example");
    for (int i = 0; i < 12000; i++) {
        snprintf(ad, sizeof(ad), "198.%d.%d.%d", 18 + i / 65536, i / 256 % 256, i % 256);
        put(c, "10.0.0.9", ad, n, 86400, T0 + (uint64_t)i * S);
    }
    dnscache_get_stats(c, &st);
    assert_int_equal(st.entries, 5000);
    assert_int_equal(st.evicted, 7000);
    for (int i = 0; i < 12000; i += 7) {
        snprintf(ad, sizeof(ad), "198.%d.%d.%d", 18 + i / 65536, i / 256 % 256, i % 256);
        assert_int_equal(get(c, "10.0.0.9", ad, T0 + 12001 * S, NULL), i >= 7000 ? n : 0);
    }
    dnscache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intern),
        cmocka_unit_test(test_intern_bounds),
        cmocka_unit_test(test_intern_bytes_refusal),
        cmocka_unit_test(test_ttl_expiry),
        cmocka_unit_test(test_other_client_fallback),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_eviction),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_index_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
