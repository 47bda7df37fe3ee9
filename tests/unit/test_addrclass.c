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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_and_mapped),
        cmocka_unit_test(test_local_scopes),
        cmocka_unit_test(test_documentation),
        cmocka_unit_test(test_ietf_block),
        cmocka_unit_test(test_global_and_outside),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
