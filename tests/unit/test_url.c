/*
 * test_url.c - URL resolution, normal form, splitting and registrable
 * domains (lib/probe/url.c).
 *
 * Expected values come from outside the code:
 *   - RFC 3986 section 5.4.1 (normal) and 5.4.2 (abnormal) examples with
 *     base http://a/b/c/d;p?q; our normal form drops the fragment, so
 *     "g#s" is expected as "http://a/b/c/g"; "http:g" takes the RFC's
 *     "for backward compatibility" reading (also the WHATWG one);
 *   - punycode labels from RFC 3492 section 7.1 (samples B and C) and from
 *     Python 3's codec, e.g. python3 -c "print('政府'.encode('punycode'))"
 *     -> b'mxtq1m', 'münchen' -> b'mnchen-3ya', '上海' -> b'fhqz97e',
 *     '3年b組金八先生' -> b'3b-ww4c5e180e575a65lsy2b' (RFC sample L with
 *     the ASCII lowercased, as our hosts are);
 *   - the public suffix list rules themselves (gov.cn, co.uk, github.io,
 *     the default rule "*" for a TLD the list does not know).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe/url.h"

static const char *show(const char *s)
{
    return s ? s : "(null)";
}

/* Resolve and compare; a non-NULL result must also be a fixed point of
 * url_resolve(NULL, .) and split cleanly. */
static void check(const char *base, const char *ref, const char *want)
{
    char *got = url_resolve(base, ref);
    if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0))
        fail_msg("resolve(%s, %s) = %s, want %s", show(base), show(ref), show(got), show(want));
    if (got) {
        char *again = url_resolve(NULL, got);
        if (!again || strcmp(again, got) != 0)
            fail_msg("normal form not stable: %s -> %s", got, show(again));
        struct url_parts p;
        if (!url_split(got, &p))
            fail_msg("url_split refuses %s", got);
        free(again);
    }
    free(got);
}

static void test_rfc3986_normal(void **state)
{
    (void)state;
    const char *b = "http://a/b/c/d;p?q";
    check(b, "g", "http://a/b/c/g");
    check(b, "./g", "http://a/b/c/g");
    check(b, "g/", "http://a/b/c/g/");
    check(b, "/g", "http://a/g");
    check(b, "//g", "http://g/");
    check(b, "?y", "http://a/b/c/d;p?y");
    check(b, "g?y", "http://a/b/c/g?y");
    check(b, "#s", "http://a/b/c/d;p?q");
    check(b, "g#s", "http://a/b/c/g");
    check(b, "g?y#s", "http://a/b/c/g?y");
    check(b, ";x", "http://a/b/c/;x");
    check(b, "g;x", "http://a/b/c/g;x");
    check(b, "g;x?y#s", "http://a/b/c/g;x?y");
    check(b, "", "http://a/b/c/d;p?q");
    check(b, ".", "http://a/b/c/");
    check(b, "./", "http://a/b/c/");
    check(b, "..", "http://a/b/");
    check(b, "../", "http://a/b/");
    check(b, "../g", "http://a/b/g");
    check(b, "../..", "http://a/");
    check(b, "../../", "http://a/");
    check(b, "../../g", "http://a/g");
}

static void test_rfc3986_abnormal(void **state)
{
    (void)state;
    const char *b = "http://a/b/c/d;p?q";
    check(b, "../../../g", "http://a/g");
    check(b, "../../../../g", "http://a/g");
    check(b, "/./g", "http://a/g");
    check(b, "/../g", "http://a/g");
    check(b, "g.", "http://a/b/c/g.");
    check(b, ".g", "http://a/b/c/.g");
    check(b, "g..", "http://a/b/c/g..");
    check(b, "..g", "http://a/b/c/..g");
    check(b, "./../g", "http://a/b/g");
    check(b, "./g/.", "http://a/b/c/g/");
    check(b, "g/./h", "http://a/b/c/g/h");
    check(b, "g/../h", "http://a/b/c/h");
    check(b, "g;x=1/./y", "http://a/b/c/g;x=1/y");
    check(b, "g;x=1/../y", "http://a/b/c/y");
    check(b, "g?y/./x", "http://a/b/c/g?y/./x");
    check(b, "g?y/../x", "http://a/b/c/g?y/../x");
    check(b, "g#s/./x", "http://a/b/c/g");
    check(b, "g#s/../x", "http://a/b/c/g");
    check(b, "http:g", "http://a/b/c/g");
}

static void test_normal_form(void **state)
{
    (void)state;
    check(NULL, "HTTP://WWW.Example.LAB:80/x#frag", "http://www.example.lab/x");
    check(NULL, "https://h.lab:443/", "https://h.lab/");
    check(NULL, "https://h.lab:8443", "https://h.lab:8443/");
    check(NULL, "http://h.lab:0443/", "http://h.lab:443/");
    check(NULL, "http://user:secret@h.lab/a", "http://h.lab/a");
    check(NULL, "http://h.lab", "http://h.lab/");
    check(NULL, "http://h.lab./x", "http://h.lab./x"); /* the final dot stays */
    check(NULL, "http://h.lab/a/%7e%2fb?q=%c3%a9", "http://h.lab/a/%7E%2Fb?q=%C3%A9");
    /* What a browser percent-encodes: space, quotes, <>`{}, non-ASCII. */
    check(NULL, "http://h.lab/a b\"<>`{}?x y", "http://h.lab/a%20b%22%3C%3E%60%7B%7D?x%20y");
    check(NULL, "http://h.lab/\xe4\xb8\xad", "http://h.lab/%E4%B8%AD");
    check(NULL, "http://h.lab/%zz%", "http://h.lab/%zz%"); /* broken escapes kept */
    /* HTML attribute value cleaning. */
    check("http://h.lab/a/", " \t\r\n b.html\n ", "http://h.lab/a/b.html");
    check("http://h.lab/a/", "c\n.ht\tml", "http://h.lab/a/c.html");
    check("http://h.lab/a/", "x\\y?z\\w", "http://h.lab/a/x/y?z\\w");
    check("http://h.lab/a/", "\\\\evil.lab\\x", "http://evil.lab/x");
    check("http://h.lab/a/", "/\\evil.lab/x", "http://evil.lab/x");
    check("https://h.lab/a/", "//cdn.lab/x.js", "https://cdn.lab/x.js");
    check("https://h.lab/a/", "http:cdn.lab/x", "http://cdn.lab/x");
    check("http://h.lab/a/", "http:/x", "http://h.lab/x");
    check("http://h.lab/a/b", "?", "http://h.lab/a/b");
    check("http://h.lab/a/b#f", "#", "http://h.lab/a/b");
    /* Hosts: IPv4 forms, IPv6 text, punycode. */
    check(NULL, "http://0x7f.1/", "http://127.0.0.1/");
    check(NULL, "http://198.18.0.1:8080/", "http://198.18.0.1:8080/");
    check(NULL, "http://[3FFE:0:0::1]/", "http://[3ffe::1]/");
    check(NULL, "http://[::FFFF:1.2.3.4]:80/", "http://[::ffff:1.2.3.4]/");
    check(NULL, "http://münchen.de/", "http://xn--mnchen-3ya.de/");
    check(NULL, "http://www.政府.cn/", "http://www.xn--mxtq1m.cn/");
    check(NULL, "http://政府。上海.cn/", "http://xn--mxtq1m.xn--fhqz97e.cn/"); /* U+3002 */
    check(NULL, "http://他们为什么不说中文.lab/", "http://xn--ihqwcrb4cv8a8dqg056pqjye.lab/");
    check(NULL, "http://他們爲什麽不說中文.lab/", "http://xn--ihqwctvzc91f659drss3x8bo0yb.lab/");
    check(NULL, "http://3年B組金八先生.lab/", "http://xn--3b-ww4c5e180e575a65lsy2b.lab/");
    check(NULL, "http://www.%E6%94%BF%E5%BA%9C.cn/", "http://www.xn--mxtq1m.cn/");
    check(NULL, "http://a_b.lab/", "http://a_b.lab/");
}

static void test_refused(void **state)
{
    (void)state;
    const char *b = "http://a/b/c/d;p?q";
    check(b, "g:h", NULL);
    check(b, "javascript:alert(1)", NULL);
    check(b, " JavaScript:void(0)", NULL);
    check(b, "mailto:x@y.lab", NULL);
    check(b, "tel:+861012345", NULL);
    check(b, "data:image/png;base64,AAAA", NULL);
    check(b, "ftp://a/b", NULL);
    check(NULL, "g", NULL);         /* relative without a base */
    check(NULL, "", NULL);
    check(NULL, NULL, NULL);
    check(NULL, "http://", NULL);
    check(NULL, "http://h.lab:0/", NULL);
    check(NULL, "http://h.lab:65536/", NULL);
    check(NULL, "http://a..b/", NULL);      /* empty label */
    check(NULL, "http://.a/", NULL);
    check(NULL, "http://256.1.1.1/", NULL); /* numeric last label, not IPv4 */
    check(NULL, "http://1.2.3.4.5/", NULL);
    check(NULL, "http://h*.lab/", NULL);
    check(NULL, "http://[fe80::1%25eth0]/", NULL); /* zone id */
    check(NULL, "http://[::1/", NULL);
    check(NULL, "http://\xff\xfe.lab/", NULL);      /* not UTF-8 */
    char label[80];
    memset(label, 'a', 64);
    label[64] = '\0';
    char u[128];
    snprintf(u, sizeof u, "http://%s.lab/", label);
    check(NULL, u, NULL); /* a 64-byte label */
    /* Length: a reference over URL_MAX, a result over URL_MAX. */
    char *big = malloc(URL_MAX + 64);
    assert_non_null(big);
    memcpy(big, "http://h.lab/", 13);
    memset(big + 13, 'x', URL_MAX - 13);
    big[URL_MAX] = '\0';
    char *r = url_resolve(NULL, big); /* exactly URL_MAX: fine */
    assert_non_null(r);
    assert_int_equal(strlen(r), URL_MAX);
    free(r);
    big[URL_MAX] = 'x';
    big[URL_MAX + 1] = '\0';
    check(NULL, big, NULL);
    memset(big + 13, ' ', URL_MAX / 2); /* grows by %20 past the cap */
    big[13 + URL_MAX / 2] = 'x';
    big[14 + URL_MAX / 2] = '\0';
    check(NULL, big, NULL);
    free(big);
}

static void test_split(void **state)
{
    (void)state;
    struct url_parts p;
    assert_true(url_split("https://WWW.X.lab:8443/a?b=1#f", &p));
    assert_string_equal(p.scheme, "https");
    assert_string_equal(p.host, "www.x.lab");
    assert_int_equal(p.port, 8443);
    assert_string_equal(p.path, "/a?b=1");
    assert_false(p.is_ip_literal);
    assert_int_equal(p.family, 0);
    assert_true(url_split("http://[3ffe::1]/", &p));
    assert_string_equal(p.host, "3ffe::1");
    assert_true(p.is_ip_literal);
    assert_int_equal(p.family, 6);
    assert_int_equal(p.port, 80);
    assert_true(url_split("http://198.18.0.1", &p));
    assert_int_equal(p.family, 4);
    assert_true(p.is_ip_literal);
    assert_string_equal(p.path, "/");
    assert_true(url_split("https://x.lab?q", &p));
    assert_int_equal(p.port, 443);
    assert_string_equal(p.path, "/?q");
    assert_true(url_split("http://user:pw@政府.cn/a b", &p));
    assert_string_equal(p.host, "xn--mxtq1m.cn");
    assert_string_equal(p.path, "/a%20b");
    assert_false(url_split("ftp://x/", &p));
    assert_string_equal(p.host, ""); /* zeroed on failure */
    assert_false(url_split("http://x.lab:99999/", &p));
    assert_false(url_split("not a url", &p));
    assert_false(url_split("/relative", &p));
    assert_false(url_split(NULL, &p));
}

/* The fast path for URLs already in the normal form (url.c, fast_normal)
 * must give exactly what the full resolution gives: every combination of
 * tricky schemes, hosts, ports and paths, with and without a base. */
static void same_both_ways(const char *base, const char *ref, size_t *n_equal_ref)
{
    char *fast = url_resolve(base, ref);
    char *full = url_resolve_full(base, ref);
    if (!fast || !full) {
        if (fast != full)
            fail_msg("%s against %s: fast %s, full %s", ref, base ? base : "(none)",
                     fast ? fast : "NULL", full ? full : "NULL");
    } else {
        if (strcmp(fast, full) != 0)
            fail_msg("%s against %s: fast %s, full %s", ref, base ? base : "(none)", fast, full);
        if (strcmp(full, ref) == 0)
            (*n_equal_ref)++;
    }
    free(fast);
    free(full);
    if (base)
        return;
    struct url_parts a, b;
    bool ok_a = url_split(ref, &a), ok_b = url_split_full(ref, &b);
    assert_int_equal(ok_a, ok_b);
    assert_string_equal(a.scheme, b.scheme);
    assert_string_equal(a.host, b.host);
    assert_int_equal(a.port, b.port);
    assert_int_equal(a.is_ip_literal, b.is_ip_literal);
    assert_int_equal(a.family, b.family);
    assert_string_equal(a.path, b.path);
}

static void test_fast_path_agrees(void **state)
{
    (void)state;
    static const char *schemes[] = {"http://", "https://", "HTTP://", "https:/", "http:", "ftp://"};
    char l63[64], l64[65], h253[260], h254[260];
    memset(l63, 'a', 63);
    l63[63] = '\0';
    memset(l64, 'b', 64);
    l64[64] = '\0';
    /* 4 labels of 63 and dots: 255; trimmed to 253 and 254 bytes */
    snprintf(h253, sizeof h253, "%s.%s.%s.%s", l63, l63, l63, l63);
    h253[253] = '\0';
    snprintf(h254, sizeof h254, "%s.%s.%s.%s", l63, l63, l63, l63);
    h254[254] = '\0';
    const char *hosts[] = {"a.lab", "www.x-y.lab", "a_b.lab", "-a.lab", "a-.lab", "x..lab",
                           ".x.lab", "x.lab.", "1.2.3.4", "x.123", "x.0x1f", "0x7f.1", "A.lab",
                           "xn--mxtq1m.cn", "x", l63, l64, h253, h254, "[3ffe::1]", "u@x.lab",
                           "x.lab%2e", ""};
    static const char *ports[] = {"", ":80", ":443", ":8080", ":0", ":080", ":65535", ":65536", ":"};
    static const char *paths[] = {"", "/", "//x", "/a/./b", "/a/../b", "/.x", "/x.", "/x/.",
                                  "/%2e/", "/%2E%2E/", "/a%2Eb", "/%41", "/%4a", "/%zz", "/%4",
                                  "/a b", "/a?b", "/a?", "/?", "/a?b?c/d", "/a?b/../c", "/a#f",
                                  "/a\\b", "/~u/(x)*;,=!$&+", "/a@b:c", "/\xc3\xa9", "/a|b", "/a^b",
                                  "/[x]", "/a{b}", "/a`b", "/a'b", "/a\"b", "?q", "#f", "/a\tb"};
    static const char *bases[] = {NULL, "http://base.lab/dir/page.html", "https://b.lab:8443/"};
    size_t n = 0, identical = 0;
    char ref[1024];
    for (size_t s = 0; s < sizeof schemes / sizeof *schemes; s++)
        for (size_t h = 0; h < sizeof hosts / sizeof *hosts; h++)
            for (size_t p = 0; p < sizeof ports / sizeof *ports; p++)
                for (size_t q = 0; q < sizeof paths / sizeof *paths; q++)
                    for (size_t b = 0; b < sizeof bases / sizeof *bases; b++) {
                        snprintf(ref, sizeof ref, "%s%s%s%s", schemes[s], hosts[h], ports[p],
                                 paths[q]);
                        same_both_ways(bases[b], ref, &identical);
                        n++;
                    }
    /* Both paths were exercised: many references are their own normal
     * form (the fast path takes them), many are not. */
    print_message("%zu references, %zu of them their own normal form\n", n, identical);
    assert_true(identical > 1000);
    assert_true(identical < n / 2);
}

static void test_psl(void **state)
{
    (void)state;
    struct url_psl *psl = url_psl_new();
    assert_non_null(psl);
    char buf[256];
    assert_true(url_registrable(psl, "www.example.gov.cn", buf, sizeof buf));
    assert_string_equal(buf, "example.gov.cn");
    assert_true(url_registrable(psl, "a.b.example.co.uk", buf, sizeof buf));
    assert_string_equal(buf, "example.co.uk");
    assert_true(url_registrable(psl, "foo.github.io", buf, sizeof buf));
    assert_string_equal(buf, "foo.github.io");
    assert_true(url_registrable(psl, "WWW.Example.COM.", buf, sizeof buf));
    assert_string_equal(buf, "example.com");
    assert_true(url_registrable(psl, "www.政府.cn", buf, sizeof buf));
    assert_string_equal(buf, "xn--mxtq1m.cn");
    /* TLDs the list does not know (the lab's): the default rule "*". */
    assert_true(url_registrable(psl, "a.b.lab", buf, sizeof buf));
    assert_string_equal(buf, "b.lab");
    assert_true(url_registrable(psl, "b.lab", buf, sizeof buf));
    assert_string_equal(buf, "b.lab");
    assert_true(url_registrable(psl, "www.site.test", buf, sizeof buf));
    assert_string_equal(buf, "site.test");
    assert_false(url_registrable(psl, "lab", buf, sizeof buf));
    assert_false(url_registrable(psl, "gov.cn", buf, sizeof buf));
    assert_false(url_registrable(psl, "co.uk", buf, sizeof buf));
    assert_false(url_registrable(psl, "github.io", buf, sizeof buf));
    assert_false(url_registrable(psl, "3ffe::1", buf, sizeof buf));
    assert_false(url_registrable(psl, "[3ffe::1]", buf, sizeof buf));
    assert_false(url_registrable(psl, "198.18.0.1", buf, sizeof buf));
    assert_false(url_registrable(psl, "", buf, sizeof buf));
    assert_false(url_registrable(psl, "a..b.lab", buf, sizeof buf));
    char small[4];
    assert_false(url_registrable(psl, "www.dual.lab", small, sizeof small));

    assert_true(url_same_site(psl, "www.example.gov.cn", "news.example.gov.cn"));
    assert_true(url_same_site(psl, "example.gov.cn", "www.EXAMPLE.gov.cn"));
    assert_false(url_same_site(psl, "www.example.gov.cn", "www.other.gov.cn"));
    assert_false(url_same_site(psl, "a.github.io", "b.github.io"));
    assert_true(url_same_site(psl, "old.partial.lab", "www.partial.lab"));
    assert_false(url_same_site(psl, "cdn.lab", "www.partial.lab"));
    assert_true(url_same_site(psl, "198.18.0.1", "198.18.0.1"));
    assert_false(url_same_site(psl, "198.18.0.1", "198.18.0.2"));
    assert_true(url_same_site(psl, "3ffe::1", "3ffe:0::1"));
    assert_true(url_same_site(psl, "[3ffe::1]", "3ffe::1"));
    assert_false(url_same_site(psl, "3ffe::1", "www.partial.lab"));
    assert_true(url_same_site(psl, "github.io", "github.io"));
    assert_false(url_same_site(psl, "lab", "x.lab"));
    url_psl_free(psl);
    url_psl_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3986_normal), cmocka_unit_test(test_rfc3986_abnormal),
        cmocka_unit_test(test_normal_form),    cmocka_unit_test(test_refused),
        cmocka_unit_test(test_split),          cmocka_unit_test(test_psl),
        cmocka_unit_test(test_fast_path_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
