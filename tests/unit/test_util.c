/*
 * test_util.c - the bounded cursor, the streaming digest and the string
 * helpers that replace banned libc functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/cursor.h"
#include "util/hash.h"
#include "util/strutil.h"

static void cursor_reads_big_endian_and_stops_at_end(void **state)
{
    (void)state;
    const uint8_t buf[] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde};
    struct cursor c;
    cursor_init(&c, buf, sizeof(buf));
    assert_int_equal(cursor_be16(&c), 0x1234);
    assert_int_equal(cursor_be32(&c), 0x56789abc);
    assert_false(c.short_read);
    assert_int_equal(cursor_left(&c), 1);
    /* A read past the end returns 0, sets the flag, reads nothing. */
    assert_int_equal(cursor_be16(&c), 0);
    assert_true(c.short_read);
    assert_int_equal(cursor_left(&c), 0);
    assert_int_equal(cursor_u8(&c), 0);
}

static void cursor_little_endian_and_sub(void **state)
{
    (void)state;
    const uint8_t buf[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
    struct cursor c;
    cursor_init(&c, buf, sizeof(buf));
    assert_int_equal(cursor_le16(&c), 0x0201);
    struct cursor s = cursor_sub(&c, 3);
    assert_int_equal(cursor_left(&s), 3);
    assert_int_equal(cursor_offset(&s), 2);
    assert_int_equal(cursor_be24(&s), 0x030405);
    assert_false(s.short_read);
    assert_int_equal(cursor_u8(&s), 0);
    assert_true(s.short_read);
    /* Parent advanced past the sub-range; asking for more than is left
     * clamps and flags the parent. */
    assert_int_equal(cursor_left(&c), 1);
    struct cursor s2 = cursor_sub(&c, 10);
    assert_true(c.short_read);
    assert_int_equal(cursor_left(&s2), 1);
    assert_int_equal(cursor_le32(&s2), 0);
    assert_true(s2.short_read);
}

static void cursor_skip_copy_peek(void **state)
{
    (void)state;
    const uint8_t buf[] = {1, 2, 3, 4};
    uint8_t out[4] = {0};
    struct cursor c;
    cursor_init(&c, buf, sizeof(buf));
    assert_non_null(cursor_peek(&c, 4));
    assert_null(cursor_peek(&c, 5));
    assert_true(c.short_read);
    cursor_init(&c, buf, sizeof(buf));
    assert_true(cursor_skip(&c, 1));
    assert_true(cursor_copy(&c, out, 3));
    assert_memory_equal(out, buf + 1, 3);
    assert_false(cursor_copy(&c, out, 1));
    assert_false(cursor_skip(&c, 1));
}

static void digest_is_chunking_independent(void **state)
{
    (void)state;
    uint8_t data[1000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + 3);
    uint8_t whole[16], parts[16], other[16];
    struct digest128 d;
    digest128_init(&d);
    digest128_update(&d, data, sizeof(data));
    digest128_final(&d, whole);
    /* Odd-sized pieces cross the 8-byte word boundary everywhere. */
    digest128_init(&d);
    size_t off = 0, step = 1;
    while (off < sizeof(data)) {
        size_t n = step < sizeof(data) - off ? step : sizeof(data) - off;
        digest128_update(&d, data + off, n);
        off += n;
        step = step % 13 + 1;
    }
    digest128_final(&d, parts);
    assert_memory_equal(whole, parts, 16);
    /* One changed byte or one byte less changes the digest. */
    data[500] ^= 1;
    digest128_init(&d);
    digest128_update(&d, data, sizeof(data));
    digest128_final(&d, other);
    assert_memory_not_equal(whole, other, 16);
    data[500] ^= 1;
    digest128_init(&d);
    digest128_update(&d, data, sizeof(data) - 1);
    digest128_final(&d, other);
    assert_memory_not_equal(whole, other, 16);
    char hex[33];
    digest128_hex(whole, hex);
    assert_int_equal(strlen(hex), 32);
}

static void hash_bytes_depends_on_every_byte(void **state)
{
    (void)state;
    uint8_t key[37];
    memset(key, 0xab, sizeof(key));
    uint64_t h = hash_bytes(key, sizeof(key), 1);
    for (size_t i = 0; i < sizeof(key); i++) {
        key[i] ^= 0x01;
        assert_true(hash_bytes(key, sizeof(key), 1) != h);
        key[i] ^= 0x01;
    }
    assert_true(hash_bytes(key, sizeof(key), 2) != h);
}

static void parse_numbers_and_durations(void **state)
{
    (void)state;
    uint64_t v;
    assert_true(util_parse_u64("0", &v));
    assert_int_equal(v, 0);
    assert_true(util_parse_u64("18446744073709551615", &v));
    assert_true(v == UINT64_MAX);
    assert_false(util_parse_u64("18446744073709551616", &v));
    assert_false(util_parse_u64("", &v));
    assert_false(util_parse_u64("12a", &v));
    assert_false(util_parse_u64("-1", &v));
    assert_true(util_parse_duration("300", &v));
    assert_true(v == 300000000000ULL);
    assert_true(util_parse_duration("5m", &v));
    assert_true(v == 300000000000ULL);
    assert_true(util_parse_duration("250ms", &v));
    assert_true(v == 250000000ULL);
    assert_true(util_parse_duration("1d", &v));
    assert_true(v == 86400000000000ULL);
    assert_false(util_parse_duration("5q", &v));
    assert_false(util_parse_duration("m", &v));
    assert_false(util_parse_duration("99999999999999999999", &v));
}

static void parse_prefixes(void **state)
{
    (void)state;
    uint8_t a[16];
    unsigned len, fam;
    assert_true(util_parse_prefix("10.1.2.0/24", a, &len, &fam));
    assert_int_equal(fam, 1);
    assert_int_equal(len, 24);
    assert_int_equal(a[0], 10);
    assert_int_equal(a[2], 2);
    assert_true(util_parse_prefix("2001:db8::/32", a, &len, &fam));
    assert_int_equal(fam, 2);
    assert_int_equal(len, 32);
    assert_int_equal(a[0], 0x20);
    assert_int_equal(a[3], 0xb8);
    assert_true(util_parse_prefix("::1", a, &len, &fam));
    assert_int_equal(len, 128);
    assert_false(util_parse_prefix("10.0.0.0/33", a, &len, &fam));
    assert_false(util_parse_prefix("2001:db8::/129", a, &len, &fam));
    assert_false(util_parse_prefix("300.1.1.1", a, &len, &fam));
    assert_false(util_parse_prefix("/8", a, &len, &fam));
}

static void strings(void **state)
{
    (void)state;
    char buf[4];
    assert_int_equal(util_strlcpy(buf, "abcdef", sizeof(buf)), 6);
    assert_string_equal(buf, "abc");
    char t[] = "  x y \t\n";
    assert_string_equal(util_trim(t), "x y");
    char when[32];
    assert_string_equal(util_format_utc(1700000000ULL * 1000000000ULL, when, sizeof(when)),
                        "2023-11-14T22:13:20Z");
}

/* util_format_utc() does its own calendar arithmetic: it must write what
 * gmtime_r() and strftime() write, at the edges (epoch, leap days, century
 * and 400-year rules, the last second of a year, the largest uint64) and
 * at a million spread-out instants. */
static void utc_matches_libc(void **state)
{
    (void)state;
    const uint64_t G = 1000000000ULL;
    const uint64_t edges[] = {0, 1, 59 * G, 86399 * G + 999999999ULL, 86400 * G,
                              951782400ULL * G /* 2000-02-29 */, 951868800ULL * G /* 2000-03-01 */,
                              4107456000ULL * G /* 2100-02-28 */, 4107542400ULL * G /* 2100-03-01 */,
                              1735689599ULL * G /* 2024-12-31T23:59:59 */, 1709164800ULL * G,
                              UINT64_MAX};
    char a[32], b[32];
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) {
        util_format_utc(edges[i], a, sizeof a);
        util_format_utc_libc(edges[i], b, sizeof b);
        assert_string_equal(a, b);
    }
    assert_string_equal(util_format_utc(951782400ULL * G, a, sizeof a), "2000-02-29T00:00:00Z");
    assert_string_equal(util_format_utc(UINT64_MAX, a, sizeof a), "2554-07-21T23:34:33Z");
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 1000000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t ns = i % 2 ? x : x % (4102444800ULL * G); /* half before 2100 */
        util_format_utc(ns, a, sizeof a);
        util_format_utc_libc(ns, b, sizeof b);
        if (strcmp(a, b) != 0)
            fail_msg("%llu: %s, libc %s", (unsigned long long)ns, a, b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cursor_reads_big_endian_and_stops_at_end),
        cmocka_unit_test(cursor_little_endian_and_sub),
        cmocka_unit_test(cursor_skip_copy_peek),
        cmocka_unit_test(digest_is_chunking_independent),
        cmocka_unit_test(hash_bytes_depends_on_every_byte),
        cmocka_unit_test(parse_numbers_and_durations),
        cmocka_unit_test(parse_prefixes),
        cmocka_unit_test(strings),
        cmocka_unit_test(utc_matches_libc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
