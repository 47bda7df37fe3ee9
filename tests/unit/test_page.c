/*
 * test_page.c - the prober's page analysis: URL resolution (RFC 3986
 * section 5.4 examples), registrable domains (public suffix list), link
 * and resource extraction from hand-written HTML, the W5 distance against
 * numbers computed with Python's difflib, nonce stripping, link-set
 * difference and seeded sampling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe/page.h"
#include "probe/similar.h"
#include "probe/url.h"

static void check_resolve(const char *base, const char *ref, const char *want)
{
    char *got = url_resolve(base, ref);
    if (!want) {
        if (got)
            fail_msg("resolve(%s, %s) = %s, wanted NULL", base, ref, got);
        return;
    }
    if (!got)
        fail_msg("resolve(%s, %s) = NULL, wanted %s", base, ref, want);
    if (strcmp(got, want) != 0)
        fail_msg("resolve(%s, %s) = %s, wanted %s", base, ref, got, want);
    free(got);
}

static void test_resolve_rfc3986(void **state)
{
    (void)state;
    /* RFC 3986 5.4.1 normal examples, base http://a/b/c/d;p?q (the fragment
     * is dropped by our normal form; http://a/ keeps its trailing slash). */
    const char *b = "http://a/b/c/d;p?q";
    check_resolve(b, "g", "http://a/b/c/g");
    check_resolve(b, "./g", "http://a/b/c/g");
    check_resolve(b, "g/", "http://a/b/c/g/");
    check_resolve(b, "/g", "http://a/g");
    check_resolve(b, "//g", "http://g/");
    check_resolve(b, "?y", "http://a/b/c/d;p?y");
    check_resolve(b, "g?y", "http://a/b/c/g?y");
    check_resolve(b, "#s", "http://a/b/c/d;p?q");
    check_resolve(b, "g#s", "http://a/b/c/g");
    check_resolve(b, ";x", "http://a/b/c/;x");
    check_resolve(b, "", "http://a/b/c/d;p?q");
    check_resolve(b, ".", "http://a/b/c/");
    check_resolve(b, "..", "http://a/b/");
    check_resolve(b, "../g", "http://a/b/g");
    check_resolve(b, "../..", "http://a/");
    check_resolve(b, "../../g", "http://a/g");
    /* 5.4.2 abnormal: more ".." than segments */
    check_resolve(b, "../../../g", "http://a/g");
    /* normal form */
    check_resolve(NULL, "HTTP://WWW.Example.LAB:80/x#frag", "http://www.example.lab/x");
    check_resolve(NULL, "https://h.lab:443/", "https://h.lab/");
    check_resolve(NULL, "https://h.lab:8443/", "https://h.lab:8443/");
    check_resolve("http://h.lab/a/", " \tb.html\n", "http://h.lab/a/b.html");
    /* refused schemes */
    check_resolve(b, "javascript:alert(1)", NULL);
    check_resolve(b, "mailto:x@y", NULL);
    check_resolve(b, "data:text/html,hi", NULL);
    check_resolve(b, "ftp://a/b", NULL);
}

static void test_split(void **state)
{
    (void)state;
    struct url_parts p;
    assert_true(url_split("https://WWW.X.lab:8443/a?b=1", &p));
    assert_string_equal(p.scheme, "https");
    assert_string_equal(p.host, "www.x.lab");
    assert_int_equal(p.port, 8443);
    assert_string_equal(p.path, "/a?b=1");
    assert_false(p.is_ip_literal);
    assert_true(url_split("http://[3ffe::1]/", &p));
    assert_string_equal(p.host, "3ffe::1");
    assert_true(p.is_ip_literal);
    assert_int_equal(p.family, 6);
    assert_int_equal(p.port, 80);
    assert_true(url_split("http://198.18.0.1", &p));
    assert_int_equal(p.family, 4);
    assert_string_equal(p.path, "/");
    assert_false(url_split("ftp://x/", &p));
    assert_false(url_split("http://x.lab:99999/", &p));
    assert_false(url_split("not a url", &p));
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
    /* A TLD the list does not know: the default rule "*" makes it a suffix. */
    assert_true(url_registrable(psl, "www.dual.lab", buf, sizeof buf));
    assert_string_equal(buf, "dual.lab");
    assert_false(url_registrable(psl, "gov.cn", buf, sizeof buf));
    assert_false(url_registrable(psl, "3ffe::1", buf, sizeof buf));
    assert_true(url_same_site(psl, "www.example.gov.cn", "news.example.gov.cn"));
    assert_false(url_same_site(psl, "www.example.gov.cn", "www.other.gov.cn"));
    assert_true(url_same_site(psl, "old.partial.lab", "www.partial.lab"));
    assert_false(url_same_site(psl, "cdn.lab", "www.partial.lab"));
    assert_true(url_same_site(psl, "198.18.0.1", "198.18.0.1"));
    url_psl_free(psl);
}

static const char html_page[] =
    "<!DOCTYPE html><HTML><head><base href=\"/sub/\">"
    "<LINK REL=\"Stylesheet\" href=\"s.css\"><link rel=\"shortcut icon\" href=\"/i.ico\">"
    "<script src=\"//cdn.lab/a.js\"></script></head><body>"
    "<a href=\"one.html\">1</a><a href='/two.html#frag'>2</a>"
    "<a href=\"one.html\">dup</a><a href=\"javascript:void(0)\">js</a>"
    "<a href=\"?q=1&amp;r=2\">q</a>"
    "<img src=\"p.png\" srcset=\"p1.png 1x, p2.png 2x\"><img src=\"p.png\">"
    "<video poster=\"v.jpg\" src=\"v.mp4\"><source src=\"v.webm\"></video>"
    "<iframe src=\"https://other.lab/frame\"></iframe>"
    "<div><p><a href=unclosed.html>u"; /* unclosed tags: HTML5 recovery */

static void test_extract(void **state)
{
    (void)state;
    struct page_extract pe;
    struct page_limits lim;
    page_limits_default(&lim);
    assert_int_equal(page_extract("http://www.x.lab/dir/index.html", (const uint8_t *)html_page,
                                  strlen(html_page), &lim, &pe),
                     0);
    const char *links[] = {
        "http://www.x.lab/sub/one.html", "http://www.x.lab/two.html",
        "http://www.x.lab/sub/?q=1&r=2", "http://www.x.lab/sub/unclosed.html",
    };
    assert_int_equal(pe.n_links, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(pe.links[i].url, links[i]);
    assert_int_equal(pe.n_dropped_invalid, 1); /* javascript: */
    struct {
        const char *url;
        int kind;
    } res[] = {
        {"http://www.x.lab/sub/s.css", PAGE_STYLE},   {"http://www.x.lab/i.ico", PAGE_ICON},
        {"http://cdn.lab/a.js", PAGE_SCRIPT},         {"http://www.x.lab/sub/p.png", PAGE_IMG},
        {"http://www.x.lab/sub/p1.png", PAGE_IMG},    {"http://www.x.lab/sub/v.mp4", PAGE_VIDEO},
        {"http://www.x.lab/sub/v.jpg", PAGE_IMG},     {"http://www.x.lab/sub/v.webm", PAGE_SOURCE},
        {"https://other.lab/frame", PAGE_IFRAME},
    };
    assert_int_equal(pe.n_res, sizeof res / sizeof res[0]);
    for (size_t i = 0; i < pe.n_res; i++) {
        assert_string_equal(pe.res[i].url, res[i].url);
        assert_int_equal(pe.res[i].kind, res[i].kind);
    }
    page_extract_release(&pe);

    /* Caps: 3 links at most, input cut at 60 bytes. */
    lim.max_links = 3;
    page_extract("http://www.x.lab/", (const uint8_t *)html_page, strlen(html_page), &lim, &pe);
    assert_int_equal(pe.n_links, 3);
    assert_int_equal(pe.n_dropped_cap, 1);
    page_extract_release(&pe);
    lim.max_input = 60;
    page_extract("http://www.x.lab/", (const uint8_t *)html_page, strlen(html_page), &lim, &pe);
    assert_true(pe.input_truncated);
    assert_int_equal(pe.n_links, 0);
    page_extract_release(&pe);
}

static void test_distance(void **state)
{
    (void)state;
    /* Expected values from Python:
     *   round(100 - 100*difflib.SequenceMatcher(None, a, b).quick_ratio()) */
    const char *a = "<html><body><p>Hello world</p></body></html>";
    const char *b = "<html><body><p>Maintenance</p></body></html>";
    assert_int_equal(similar_distance((const uint8_t *)a, strlen(a), (const uint8_t *)b, strlen(b)),
                     23);
    char a2[101], b2[31];
    for (int i = 0; i < 100; i++)
        a2[i] = (char)('a' + i % 10);
    for (int i = 0; i < 30; i++)
        b2[i] = (char)('x' + i % 3);
    assert_int_equal(similar_distance((const uint8_t *)a2, 100, (const uint8_t *)b2, 30), 100);
    assert_int_equal(similar_distance((const uint8_t *)a, strlen(a), (const uint8_t *)a, strlen(a)),
                     0);
    assert_int_equal(similar_distance(NULL, 0, NULL, 0), 0);

    /* Nonces: two pages that differ only in nonces are identical. */
    const char *n1 = "<script nonce=\"r4nd0mN0nc3Abc\">x</script>"
                     "<input type=hidden name=csrf value=\"zzz111\">"
                     "<meta name=\"csrf-token\" content=\"k9k9k9\">"
                     "<p>session 7f3a9c0b2d4e6f8091a2b3c4 ok</p>";
    const char *n2 = "<script nonce=\"OTHERnonce999\">x</script>"
                     "<input type=hidden name=csrf value=\"q\">"
                     "<meta name=\"csrf-token\" content=\"a\">"
                     "<p>session 00aa11bb22cc33dd44ee55ff ok</p>";
    assert_int_equal(
        similar_distance((const uint8_t *)n1, strlen(n1), (const uint8_t *)n2, strlen(n2)), 0);
    uint8_t out[256];
    const char *t = "<p>keep shortTok3n and words</p>";
    size_t n = similar_strip((const uint8_t *)t, strlen(t), out);
    assert_int_equal(n, strlen(t));
    assert_memory_equal(out, t, n);
}

static void test_linkset(void **state)
{
    (void)state;
    const char *a[] = {"u1", "u2", "u3", "u2", "u4"};
    const char *b[] = {"u4", "u1", "u5"};
    struct linkset_diff d;
    similar_linkset(a, 5, b, 3, &d);
    assert_int_equal(d.common, 2);
    assert_int_equal(d.only_a, 2);
    assert_int_equal(d.only_b, 1);
    assert_true(similar_linkset_differs(&d)); /* 3 of 5 */
    const char *c[20], *e[21];
    char names[21][8];
    for (int i = 0; i < 21; i++) {
        names[i][0] = 'l';
        names[i][1] = (char)('a' + i);
        names[i][2] = '\0';
    }
    for (int i = 0; i < 20; i++)
        c[i] = e[i] = names[i];
    e[20] = names[20];
    similar_linkset(c, 20, e, 21, &d);
    assert_int_equal(d.only_b, 1);
    assert_false(similar_linkset_differs(&d)); /* 1 of 21 < 10% */
}

static void test_sample(void **state)
{
    (void)state;
    size_t a[10], b[10];
    page_sample(42, 1000, 10, a);
    page_sample(42, 1000, 10, b);
    assert_memory_equal(a, b, sizeof a);
    for (int i = 1; i < 10; i++)
        assert_true(a[i - 1] < a[i]); /* ascending and distinct */
    assert_true(a[9] < 1000);
    page_sample(43, 1000, 10, b);
    assert_true(memcmp(a, b, sizeof a) != 0);
    size_t all[5];
    page_sample(1, 5, 10, all);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(all[i], i);
    /* Every index is reachable: over many seeds each of 0..9 shows up. */
    int seen[10] = {0};
    for (uint64_t s = 1; s < 200; s++) {
        size_t one;
        page_sample(s, 10, 1, &one);
        seen[one]++;
    }
    for (int i = 0; i < 10; i++)
        assert_true(seen[i] > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_rfc3986), cmocka_unit_test(test_split),
        cmocka_unit_test(test_psl),             cmocka_unit_test(test_extract),
        cmocka_unit_test(test_distance),        cmocka_unit_test(test_linkset),
        cmocka_unit_test(test_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
