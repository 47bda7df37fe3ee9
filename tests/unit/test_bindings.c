/*
 * test_bindings.c - subscriber binding file: parsing (CSV quoting, rows
 * spanning subscribers, BOM/CRLF), longest-prefix lookup for IPv4 and IPv6,
 * every load error with its message, and a randomised comparison with a
 * brute-force longest match written here from the definition.
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
#include <unistd.h>

#include <v6mon/bindings.h>

#define HDR "subscriber,ipv4,ipv6\n"

static v6m_bindings *parse_ok(const char *text)
{
    v6m_bindings *b = NULL;
    char err[512] = "";
    v6m_err rc = v6m_bindings_parse(text, strlen(text), "b.csv", &b, err, sizeof(err));
    if (rc != V6M_OK)
        fail_msg("unexpected error: %s", err);
    assert_non_null(b);
    return b;
}

static void parse_err(const char *text, const char *want)
{
    v6m_bindings *b = (v6m_bindings *)1;
    char err[512] = "";
    v6m_err rc = v6m_bindings_parse(text, strlen(text), "b.csv", &b, err, sizeof(err));
    assert_int_equal(rc, V6M_ERR_CONFIG);
    assert_null(b);
    assert_string_equal(err, want);
}

static const char *who(const v6m_bindings *b, const char *addr)
{
    uint8_t a[16] = {0};
    uint8_t fam = strchr(addr, ':') ? 2 : 1;
    assert_int_equal(inet_pton(fam == 2 ? AF_INET6 : AF_INET, addr, a), 1);
    long i = v6m_bindings_lookup(b, fam, a);
    return i < 0 ? "-" : v6m_bindings_id(b, (size_t)i);
}

static const char *TEXT = HDR
    "alice,10.0.0.0/8,2001:db8::/32\n"
    "bob,10.1.0.0/16 10.9.9.9,2001:db8:1::/48\n"
    "carol,10.1.2.3,\n"
    "bob,,2001:db8:2:3::/64 2001:db8:2:4::/64\n"
    "\"ACME, Inc.\",192.0.2.0/24,\n"
    "dave,,2001:db8:1:5::/64\n"
    "erin,0.0.0.0/0,\n";

static void test_lookup(void **state)
{
    (void)state;
    v6m_bindings *b = parse_ok(TEXT);
    assert_int_equal(v6m_bindings_count(b), 6);
    assert_string_equal(v6m_bindings_id(b, 0), "alice");
    assert_string_equal(v6m_bindings_id(b, 1), "bob");
    assert_string_equal(v6m_bindings_id(b, 2), "carol");
    assert_string_equal(v6m_bindings_id(b, 3), "ACME, Inc.");
    assert_string_equal(v6m_bindings_id(b, 5), "erin");
    assert_null(v6m_bindings_id(b, 6));
    /* IPv4: /32 beats /16 beats /8 beats /0 */
    assert_string_equal(who(b, "10.1.2.3"), "carol");
    assert_string_equal(who(b, "10.1.2.4"), "bob");
    assert_string_equal(who(b, "10.9.9.9"), "bob");
    assert_string_equal(who(b, "10.9.9.8"), "alice");
    assert_string_equal(who(b, "10.255.255.255"), "alice");
    assert_string_equal(who(b, "192.0.2.77"), "ACME, Inc.");
    assert_string_equal(who(b, "11.0.0.0"), "erin");
    /* IPv6 */
    assert_string_equal(who(b, "2001:db8::1"), "alice");
    assert_string_equal(who(b, "2001:db8:1::1"), "bob");
    assert_string_equal(who(b, "2001:db8:1:5::abcd"), "dave");
    assert_string_equal(who(b, "2001:db8:1:6::1"), "bob");
    assert_string_equal(who(b, "2001:db8:2:3:1:2:3:4"), "bob");
    assert_string_equal(who(b, "2001:db8:2:5::1"), "alice");
    assert_string_equal(who(b, "2001:db9::1"), "-");
    /* other families */
    uint8_t z[16] = {0};
    assert_int_equal(v6m_bindings_lookup(b, 0, z), -1);
    assert_int_equal(v6m_bindings_lookup(b, 3, z), -1);
    assert_int_equal(v6m_bindings_lookup(NULL, 1, z), -1);
    assert_int_equal(v6m_bindings_count(NULL), 0);
    v6m_bindings_free(b);
    v6m_bindings_free(NULL);
}

static void test_format_details(void **state)
{
    (void)state;
    v6m_bindings *b = parse_ok("\xef\xbb\xbfSubscriber , IPv4 , IPv6\r\n"
                               "# exported 2024-05-01 from radius\r\n"
                               "\r\n"
                               "u1 , \"100.64.0.1  100.64.0.2\" , 2001:db8:a::/56 \r\n"
                               "\"\u7528\u6237 2\",100.64.0.3/32,\"\"\r\n"
                               "u1,100.64.0.1,\r\n"); /* same prefix, same subscriber */
    assert_int_equal(v6m_bindings_count(b), 2);
    assert_string_equal(v6m_bindings_id(b, 0), "u1");
    assert_string_equal(v6m_bindings_id(b, 1), "\u7528\u6237 2");
    assert_string_equal(who(b, "100.64.0.1"), "u1");
    assert_string_equal(who(b, "100.64.0.2"), "u1");
    assert_string_equal(who(b, "100.64.0.3"), "\u7528\u6237 2");
    assert_string_equal(who(b, "100.64.0.4"), "-");
    assert_string_equal(who(b, "2001:db8:a:ff::1"), "u1");
    assert_string_equal(who(b, "2001:db8:a:100::1"), "-");
    v6m_bindings_free(b);
    /* a header alone is a valid, empty table */
    b = parse_ok(HDR);
    assert_int_equal(v6m_bindings_count(b), 0);
    assert_string_equal(who(b, "10.0.0.1"), "-");
    v6m_bindings_free(b);
}

static void test_errors(void **state)
{
    (void)state;
    parse_err("", "b.csv:1: empty file (expected the header line 'subscriber,ipv4,ipv6')");
    parse_err("user,ipv4,ipv6\nx,1.2.3.4,\n",
              "b.csv:1: expected the header line 'subscriber,ipv4,ipv6'");
    parse_err(HDR "x,1.2.3.4\n", "b.csv:2: expected 3 columns, got 2");
    parse_err(HDR ",1.2.3.4,\n", "b.csv:2: empty subscriber id");
    parse_err(HDR "x,1.2.3.4/33,\n",
              "b.csv:2: '1.2.3.4/33' in the ipv4 column is not an IPv4 address or prefix "
              "(e.g. 10.1.2.3 or 10.1.2.0/24)");
    parse_err(HDR "x,2001:db8::/32,\n",
              "b.csv:2: '2001:db8::/32' in the ipv4 column is not an IPv4 address or "
              "prefix (e.g. 10.1.2.3 or 10.1.2.0/24)");
    parse_err(HDR "x,,10.0.0.0/8\n",
              "b.csv:2: '10.0.0.0/8' in the ipv6 column is not an IPv6 address or prefix "
              "(e.g. 2001:db8:1:2::/64)");
    parse_err(HDR "x,,2001:db8::1/64\n",
              "b.csv:2: prefix '2001:db8::1/64' has host bits set (did you mean "
              "2001:db8::/64?)");
    parse_err(HDR "x,10.1.2.3/24,\n",
              "b.csv:2: prefix '10.1.2.3/24' has host bits set (did you mean "
              "10.1.2.0/24?)");
    parse_err(HDR "alice,10.0.0.0/8,\n# c\nbob,10.1.0.0/16 10.0.0.0/8,\n",
              "b.csv:4: prefix 10.0.0.0/8 is bound to both alice (line 2) and bob");
    parse_err(HDR "alice,,2001:db8::/48\nbob,,2001:0db8:0::/48\n",
              "b.csv:3: prefix 2001:db8::/48 is bound to both alice (line 2) and bob");
    parse_err(HDR "u1,100.64.0.1,\nu2,100.64.0.1/32,\n",
              "b.csv:3: prefix 100.64.0.1/32 is bound to both u1 (line 2) and u2");
    parse_err(HDR "x\x7fy,1.2.3.4,\n",
              "b.csv:2: invalid subscriber id 'x\x7fy' (1 to 255 bytes of UTF-8 text "
              "without control characters)");
    parse_err(HDR "\"x,1.2.3.4,\n", "b.csv:3: unterminated quoted field (opened on line 2)");
    v6m_bindings *b = (v6m_bindings *)1;
    char err[256];
    assert_int_equal(v6m_bindings_load("/nonexistent/subs.csv", &b, err, sizeof(err)),
                     V6M_ERR_IO);
    assert_null(b);
    assert_string_equal(err, "cannot open '/nonexistent/subs.csv': No such file or directory");
}

static void test_load_file(void **state)
{
    (void)state;
    char path[] = "/tmp/v6m_test_bind_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, TEXT, strlen(TEXT)), (ssize_t)strlen(TEXT));
    close(fd);
    v6m_bindings *b = NULL;
    char err[256] = "";
    assert_int_equal(v6m_bindings_load(path, &b, err, sizeof(err)), V6M_OK);
    unlink(path);
    assert_string_equal(who(b, "10.1.2.3"), "carol");
    v6m_bindings_free(b);
}

/* ---- randomised check against a brute-force longest match ---------------- */

struct ref {
    uint8_t addr[16];
    unsigned len;
    unsigned family;
    long sub;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static bool covers(const struct ref *r, const uint8_t a[16])
{
    for (unsigned i = 0; i < r->len; i++) {
        unsigned bit = 7 - i % 8;
        if (((r->addr[i / 8] >> bit) & 1) != ((a[i / 8] >> bit) & 1))
            return false;
    }
    return true;
}

static void test_random_vs_bruteforce(void **state)
{
    (void)state;
    enum { N = 3000, Q = 20000 };
    struct ref *refs = calloc(N, sizeof(*refs));
    size_t cap = (size_t)N * 80 + 64, n = 0;
    char *text = malloc(cap);
    assert_non_null(refs);
    assert_non_null(text);
    n += (size_t)snprintf(text + n, cap - n, HDR);
    /* addresses from a small space (first bytes 10.x / 2001:db8:x) so that
     * prefixes nest; lengths from a handful as in real exports */
    static const unsigned l4[] = {8, 16, 20, 24, 28, 32};
    static const unsigned l6[] = {32, 40, 48, 56, 60, 64, 128};
    size_t nref = 0;
    for (int i = 0; i < N; i++) {
        struct ref r;
        memset(&r, 0, sizeof(r));
        r.family = (rnd() & 1) ? 1 : 2;
        uint64_t x = rnd();
        if (r.family == 1) {
            r.addr[0] = 10;
            r.addr[1] = (uint8_t)(x & 3);
            r.addr[2] = (uint8_t)((x >> 8) & 7);
            r.addr[3] = (uint8_t)(x >> 16);
            r.len = l4[rnd() % 6];
        } else {
            r.addr[0] = 0x20, r.addr[1] = 0x01, r.addr[2] = 0x0d, r.addr[3] = 0xb8;
            r.addr[4] = (uint8_t)(x & 3);
            r.addr[5] = (uint8_t)((x >> 8) & 3);
            r.addr[7] = (uint8_t)((x >> 16) & 7);
            r.addr[15] = (uint8_t)(x >> 24);
            r.len = l6[rnd() % 7];
        }
        /* clear host bits */
        for (unsigned bit = r.len; bit < (r.family == 1 ? 32u : 128u); bit++)
            r.addr[bit / 8] &= (uint8_t)~(1u << (7 - bit % 8));
        /* skip duplicates (the loader would reject them across subscribers) */
        bool dup = false;
        for (size_t k = 0; k < nref && !dup; k++)
            dup = refs[k].family == r.family && refs[k].len == r.len &&
                  memcmp(refs[k].addr, r.addr, 16) == 0;
        if (dup)
            continue;
        r.sub = (long)(rnd() % 500);
        refs[nref++] = r;
        char a[INET6_ADDRSTRLEN];
        inet_ntop(r.family == 1 ? AF_INET : AF_INET6, r.addr, a, sizeof(a));
        if (r.family == 1)
            n += (size_t)snprintf(text + n, cap - n, "s%ld,%s/%u,\n", r.sub, a, r.len);
        else
            n += (size_t)snprintf(text + n, cap - n, "s%ld,,%s/%u\n", r.sub, a, r.len);
    }
    v6m_bindings *b = NULL;
    char err[256] = "";
    assert_int_equal(v6m_bindings_parse(text, n, "rand.csv", &b, err, sizeof(err)), V6M_OK);
    for (int q = 0; q < Q; q++) {
        uint8_t a[16] = {0};
        unsigned family = (rnd() & 1) ? 1 : 2;
        uint64_t x = rnd(), y = rnd();
        if (family == 1) {
            a[0] = 10;
            a[1] = (uint8_t)(x & 3);
            a[2] = (uint8_t)((x >> 8) & 7);
            a[3] = (uint8_t)(x >> 16);
        } else {
            a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8;
            a[4] = (uint8_t)(x & 3);
            a[5] = (uint8_t)((x >> 8) & 3);
            a[7] = (uint8_t)((x >> 16) & 7);
            for (int k = 8; k < 16; k++)
                a[k] = (uint8_t)(y >> (8 * (k - 8)));
            if (x & 0x1000000)
                a[15] = (uint8_t)(x >> 32), memset(a + 8, 0, 7);
        }
        /* brute force: the longest covering prefix */
        const struct ref *best = NULL;
        for (size_t k = 0; k < nref; k++)
            if (refs[k].family == family && covers(&refs[k], a) &&
                (!best || refs[k].len > best->len))
                best = &refs[k];
        long got = v6m_bindings_lookup(b, (uint8_t)family, a);
        if (!best) {
            assert_int_equal(got, -1);
        } else {
            char want[32];
            snprintf(want, sizeof(want), "s%ld", best->sub);
            assert_true(got >= 0);
            assert_string_equal(v6m_bindings_id(b, (size_t)got), want);
        }
    }
    v6m_bindings_free(b);
    free(text);
    free(refs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_format_details),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_random_vs_bruteforce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
