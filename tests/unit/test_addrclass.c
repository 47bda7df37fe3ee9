/*
 * test_addrclass.c - IPv6 address classes (lib/probe/addrclass.c).
 *
 * Expected classes come from the IANA IPv6 Special-Purpose Address Registry
 * and the RFCs it cites (RFC 4291 loopback/mapped/link-local, RFC 4193 ULA,
 * RFC 3849 and RFC 9637 documentation, RFC 4380 Teredo, RFC 5180
 * benchmarking, RFC 6052/8215 NAT64, RFC 6666 discard, RFC 3879 site-local,
 * RFC 9602 SRv6 SIDs, RFC 3056 6to4), plus the prober's own rules written in
 * the header: 3ffe::/16 and 2002::/16 count as global. Each prefix is tested
 * at its first and last address and just outside.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "probe/resolver.h"

static void expect_class(const char *text, enum addr_class want)
{
    uint8_t a[16];
    if (inet_pton(AF_INET6, text, a) != 1)
        fail_msg("bad test address %s", text);
    enum addr_class got = addrclass_v6(a);
    if (got != want)
        fail_msg("%s: got %s, want %s", text, addrclass_name(got), addrclass_name(want));
}

static void test_loopback_and_mapped(void **state)
{
    (void)state;
    expect_class("::", AC_LOOPBACK);
    expect_class("::1", AC_LOOPBACK);
    expect_class("::2", AC_MAPPED);                /* IPv4-compatible ::/96 */
    expect_class("::192.0.2.1", AC_MAPPED);
    expect_class("::ffff:ffff", AC_MAPPED);        /* last of ::/96 */
    expect_class("::1:0:0", AC_SPECIAL);           /* ::1:0:0/96, neither */
    expect_class("::ffff:0:0", AC_MAPPED);         /* first of ::ffff:0:0/96 */
    expect_class("::ffff:192.0.2.1", AC_MAPPED);
    expect_class("::ffff:255.255.255.255", AC_MAPPED);
    expect_class("::1:0:0:0", AC_SPECIAL);         /* just past ::ffff:0:0/96 */
    expect_class("::ffff:0:0:0", AC_SPECIAL);      /* SIIT ::ffff:0:0:0/96 */
}

static void test_local_scopes(void **state)
{
    (void)state;
    expect_class("fe80::", AC_LINKLOCAL);
    expect_class("fe80::1", AC_LINKLOCAL);
    expect_class("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AC_LINKLOCAL);
    expect_class("fe7f:ffff::", AC_SPECIAL);
    expect_class("fec0::1", AC_SPECIAL); /* deprecated site-local */
    expect_class("fc00::", AC_ULA);
    expect_class("fd12:3456:789a::1", AC_ULA);
    expect_class("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AC_ULA);
    expect_class("fbff:ffff::", AC_SPECIAL);
    expect_class("fe00::", AC_SPECIAL);
    expect_class("ff00::", AC_MULTICAST);
    expect_class("ff02::1", AC_MULTICAST);
    expect_class("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AC_MULTICAST);
}

static void test_documentation(void **state)
{
    (void)state;
    expect_class("2001:db8::", AC_DOC);
    expect_class("2001:db8::1", AC_DOC);
    expect_class("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", AC_DOC);
    expect_class("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", AC_GLOBAL);
    expect_class("2001:db9::", AC_GLOBAL);
    expect_class("3fff::", AC_DOC);
    expect_class("3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", AC_DOC); /* last of 3fff::/20 */
    expect_class("3fff:1000::", AC_GLOBAL);
}

static void test_ietf_block(void **state)
{
    (void)state;
    expect_class("2001::", AC_SPECIAL);              /* Teredo 2001::/32 */
    expect_class("2001:0:4136:e378::1", AC_SPECIAL);
    expect_class("2001:2::1", AC_SPECIAL);           /* benchmarking 2001:2::/48 */
    expect_class("2001:10::1", AC_SPECIAL);          /* ORCHID */
    expect_class("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", AC_SPECIAL); /* last of /23 */
    expect_class("2001:200::", AC_GLOBAL);           /* first after 2001::/23 */
    expect_class("2000::", AC_GLOBAL);               /* first of 2000::/3 */
    expect_class("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AC_SPECIAL);
}

static void test_global_and_outside(void **state)
{
    (void)state;
    expect_class("2a00:1450:4001::1", AC_GLOBAL);
    expect_class("2620:4f:8000::1", AC_GLOBAL);
    expect_class("2002:c000:204::1", AC_GLOBAL);  /* 6to4 counts as global */
    expect_class("3ffe::1", AC_GLOBAL);           /* returned 6bone space */
    expect_class("3ffe:1::53", AC_GLOBAL);
    expect_class("3fff:ffff::", AC_GLOBAL);       /* past 3fff::/20 */
    expect_class("4000::", AC_SPECIAL);           /* past 2000::/3 */
    expect_class("64:ff9b::192.0.2.1", AC_SPECIAL);
    expect_class("64:ff9b:1::1", AC_SPECIAL);
    expect_class("100::1", AC_SPECIAL);           /* discard-only */
    expect_class("5f00::1", AC_SPECIAL);          /* SRv6 SIDs */
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(addrclass_name(AC_GLOBAL), "global");
    assert_string_equal(addrclass_name(AC_ULA), "ula");
    assert_string_equal(addrclass_name(AC_DOC), "documentation");
    assert_string_equal(addrclass_name(AC_LINKLOCAL), "link-local");
    for (int i = 0; i < AC__COUNT; i++) {
        const char *n = addrclass_name((enum addr_class)i);
        assert_true(n[0] != '\0' && strcmp(n, "?") != 0);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(n, addrclass_name((enum addr_class)j));
    }
    assert_string_equal(addrclass_name(AC__COUNT), "?");
}

/* addr_text() writes what glibc's inet_ntop() writes (the oracle): every
 * pattern of zero and non-zero groups (the "::" rules), the IPv4-mapped and
 * -compatible forms and their near misses, random addresses, and the
 * buffer-too-small case ("?"). */
static void check_text(int family, const uint8_t *a)
{
    char want[64], got[64];
    assert_non_null(inet_ntop(family == 4 ? AF_INET : AF_INET6, a, want, sizeof want));
    addr_text(family, a, got, sizeof got);
    assert_string_equal(got, want);
    size_t n = strlen(want);
    char small[64];
    addr_text(family, a, small, n); /* one byte short for the NUL */
    assert_string_equal(small, "?");
    addr_text(family, a, small, n + 1);
    assert_string_equal(small, want);
}

static void test_text_like_inet_ntop(void **state)
{
    (void)state;
    uint8_t a[16];
    /* every zero/non-zero pattern of the 8 groups, with group values that
     * need 1..4 hex digits */
    static const uint16_t vals[] = {0x1, 0xab, 0xfff, 0x2001, 0xffff};
    for (unsigned mask = 0; mask < 256; mask++)
        for (unsigned v = 0; v < sizeof vals / sizeof vals[0]; v++) {
            for (int g = 0; g < 8; g++) {
                uint16_t w = (mask >> g) & 1 ? (uint16_t)(vals[(v + (unsigned)g) % 5]) : 0;
                a[2 * g] = (uint8_t)(w >> 8);
                a[2 * g + 1] = (uint8_t)w;
            }
            check_text(6, a);
        }
    /* mapped, compatible and near misses */
    static const char *const forms[] = {
        "::ffff:192.0.2.1", "::192.0.2.1", "::ffff:0.0.0.0", "::1", "::", "::0.0.0.2",
        "::fffe:192.0.2.1", "0:0:0:0:1:ffff:c000:201", "64:ff9b::192.0.2.1", "::ffff:0:1",
        "1::", "1:0:0:1::", "1::1:0:0:1", "fe80::1:0:0:0", "2001:db8:0:0:1:0:0:1",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        assert_int_equal(inet_pton(AF_INET6, forms[i], a), 1);
        check_text(6, a);
    }
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int k = 0; k < 20000; k++) {
        for (int i = 0; i < 16; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* many zero bytes, so that zero groups and runs are common */
            a[i] = (x & 3) ? 0 : (uint8_t)(x >> 8);
        }
        check_text(6, a);
        check_text(4, a);
    }
    static const uint8_t v4s[][4] = {{0, 0, 0, 0}, {255, 255, 255, 255}, {10, 9, 100, 99}};
    for (size_t i = 0; i < 3; i++)
        check_text(4, v4s[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_and_mapped),
        cmocka_unit_test(test_local_scopes),
        cmocka_unit_test(test_documentation),
        cmocka_unit_test(test_ietf_block),
        cmocka_unit_test(test_global_and_outside),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_text_like_inet_ntop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
