/*
 * test_page.c - links and resources of hand-written HTML, the parse guard,
 * internal links and seeded sampling (lib/probe/page.c).
 *
 * The expected lists are written by hand from the HTML rules documented in
 * page.h (what counts, base href, srcset's first candidate, entities,
 * template/script/textarea/comment contents not being markup) and the
 * normal form of url.h. The guard's cut offsets are computed from the
 * markup's own byte counts. The sampling expectations were computed with
 * an independent Python reimplementation of the documented algorithm
 * (splitmix64 + partial Fisher-Yates, first k sorted):
 *   M = 2**64 - 1; s = seed
 *   def nxt(): s = (s + 0x9e3779b97f4a7c15) & M; z = s;
 *              z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M;
 *              z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M; return z ^ (z >> 31)
 *   p = list(range(n)); for i in range(k): j = i + nxt() % (n - i); swap p[i], p[j]
 *   sorted(p[:k])
 * (its first output for seed 0 is 0xe220a8397b1dcdaf, the published
 * splitmix64 value).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe/page.h"
#include "probe/url.h"

struct want {
    const char *url;
    int kind;
};

static void expect_list(const struct page_url *got, size_t n, const struct want *w, size_t nw,
                        const char *what)
{
    for (size_t i = 0; i < n && i < nw; i++)
        if (strcmp(got[i].url, w[i].url) != 0 || got[i].kind != w[i].kind)
            fail_msg("%s[%zu] = %s (%s), want %s (%s)", what, i, got[i].url,
                     page_kind_name(got[i].kind), w[i].url, page_kind_name((unsigned)w[i].kind));
    if (n != nw) {
        for (size_t i = 0; i < n; i++)
            print_message("  got %s %s\n", page_kind_name(got[i].kind), got[i].url);
        fail_msg("%s: %zu entries, want %zu", what, n, nw);
    }
}

static void extract(const char *url, const char *html, const struct page_limits *lim,
                    struct page_extract *pe)
{
    assert_int_equal(page_extract(url, (const uint8_t *)html, strlen(html), lim, pe), 0);
    assert_true(pe->parsed);
}

static const char html_basic[] =
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

static void test_basic(void **state)
{
    (void)state;
    struct page_extract pe;
    extract("http://www.x.lab/dir/index.html", html_basic, NULL, &pe);
    static const struct want links[] = {
        {"http://www.x.lab/sub/one.html", PAGE_LINK},
        {"http://www.x.lab/two.html", PAGE_LINK},
        {"http://www.x.lab/sub/?q=1&r=2", PAGE_LINK},
        {"http://www.x.lab/sub/unclosed.html", PAGE_LINK},
    };
    expect_list(pe.links, pe.n_links, links, 4, "links");
    static const struct want res[] = {
        {"http://www.x.lab/sub/s.css", PAGE_STYLE},  {"http://www.x.lab/i.ico", PAGE_ICON},
        {"http://cdn.lab/a.js", PAGE_SCRIPT},        {"http://www.x.lab/sub/p.png", PAGE_IMG},
        {"http://www.x.lab/sub/p1.png", PAGE_IMG},   {"http://www.x.lab/sub/v.mp4", PAGE_VIDEO},
        {"http://www.x.lab/sub/v.jpg", PAGE_VIDEO},  {"http://www.x.lab/sub/v.webm", PAGE_SOURCE},
        {"https://other.lab/frame", PAGE_IFRAME},
    };
    expect_list(pe.res, pe.n_res, res, sizeof res / sizeof res[0], "res");
    assert_int_equal(pe.n_dropped_invalid, 1); /* javascript: */
    assert_int_equal(pe.n_dropped_cap, 0);
    assert_false(pe.input_truncated);
    assert_int_equal(pe.cut, PAGE_CUT_NONE);
    assert_int_equal(pe.parsed_bytes, strlen(html_basic));
    assert_string_equal(pe.base_url, "http://www.x.lab/sub/");
    assert_null(pe.refresh_url);
    page_extract_release(&pe);
    assert_null(pe.links); /* released and zeroed */
    page_extract_release(&pe);
}

static const char html_rules[] =
    "<html><head>"
    "<meta http-equiv=\"Refresh\" content=\"0; URL='/next.html'\">"
    "<link rel=\"icon stylesheet\" href=\"both.css\">"
    "<link rel=\"apple-touch-icon\" href=\"apple.png\"><link rel=preload href=pre.js>"
    "<!-- <a href=\"commented.html\"> -->"
    "<script>document.write('<a href=\"in-script.html\">')</script>"
    "</head><body>"
    "<a href=\"\">self</a><a href=\"#top\">top</a>"
    "<a href=\"  /sp ace.html \">sp</a>"
    "<a href=\"mailto:x@y.lab\">m</a><a href=\"tel:123\">t</a><a href=\"data:text/html,x\">d</a>"
    "<A HREF=\"/e?a=1&amp;b=2&lt;&#x41;&#66;\">ent</A>"
    "<a href=\"/\xe6\x96\xb0\xe9\x97\xbb/index.html\">zh</a>"
    "<a href=\"HTTPS://WWW.Other.LAB:443/x\">abs</a>"
    "<map><AREA HREF=\"area.html\"></map>"
    "<base href=\"http://b.lab/base/\"><base href=\"http://ignored.lab/\">"
    "<template><a href=\"in-template.html\">t</a><img src=\"t.png\"></template>"
    "<textarea><a href=\"in-textarea.html\"></textarea>"
    "<img src=\"\"><img src=\"data:image/gif;base64,R0lGOD\">"
    "<img srcset=\"  , a.png 1x, b.png 2x\"><img srcset=\"c,d.png 1x\"><img srcset=\"e.png,\">"
    "<IMG SRC=\"UP.PNG\">"
    "<picture><source srcset=\"s1.webp 1x, s2.webp 2x\" type=\"image/webp\">"
    "<img src=\"pic.jpg\"></picture>"
    "<audio src=\"a.mp3\"></audio><embed src=\"e.swf\"><object data=\"o.swf\"></object>"
    "<input type=\"IMAGE\" src=\"btn.png\"><input type=text src=\"no.png\">"
    "<img src=\"/same\"><script src=\"/same\"></script><img src=\"/same\">"
    "<svg><a href=\"svg-link.html\"><image href=\"svg.png\"/></a>"
    "<a xlink:href=\"xl.html\"></a></svg>"
    "<math><a href=\"math.html\"></a></math>"
    "<a href=\"/a\xff\">bytes</a>"
    "</body></html>";

static void test_rules(void **state)
{
    (void)state;
    struct page_extract pe;
    extract("http://www.x.lab/d/p.html", html_rules, NULL, &pe);
    /* The first <base href> (in the body here) is the base of everything. */
    assert_string_equal(pe.base_url, "http://b.lab/base/");
    static const struct want links[] = {
        {"http://b.lab/base/", PAGE_LINK}, /* "" and "#top": the base itself */
        {"http://b.lab/sp%20ace.html", PAGE_LINK},
        {"http://b.lab/e?a=1&b=2%3CAB", PAGE_LINK},
        {"http://b.lab/%E6%96%B0%E9%97%BB/index.html", PAGE_LINK},
        {"https://www.other.lab/x", PAGE_LINK},
        {"http://b.lab/base/area.html", PAGE_LINK},
        {"http://b.lab/base/svg-link.html", PAGE_LINK},
        {"http://b.lab/base/xl.html", PAGE_LINK},
        /* a byte that is not UTF-8: gumbo gives U+FFFD */
        {"http://b.lab/a%EF%BF%BD", PAGE_LINK},
    };
    expect_list(pe.links, pe.n_links, links, sizeof links / sizeof links[0], "links");
    static const struct want res[] = {
        {"http://b.lab/base/both.css", PAGE_STYLE},
        {"http://b.lab/base/a.png", PAGE_IMG},
        {"http://b.lab/base/c,d.png", PAGE_IMG},
        {"http://b.lab/base/e.png", PAGE_IMG},
        {"http://b.lab/base/UP.PNG", PAGE_IMG},
        {"http://b.lab/base/s1.webp", PAGE_SOURCE},
        {"http://b.lab/base/pic.jpg", PAGE_IMG},
        {"http://b.lab/base/a.mp3", PAGE_AUDIO},
        {"http://b.lab/base/e.swf", PAGE_EMBED},
        {"http://b.lab/base/o.swf", PAGE_EMBED},
        {"http://b.lab/base/btn.png", PAGE_IMG},
        {"http://b.lab/same", PAGE_IMG},
        {"http://b.lab/same", PAGE_SCRIPT},
        {"http://b.lab/base/svg.png", PAGE_IMG},
    };
    expect_list(pe.res, pe.n_res, res, sizeof res / sizeof res[0], "res");
    /* mailto, tel, data link; empty src; data: src */
    assert_int_equal(pe.n_dropped_invalid, 5);
    assert_string_equal(pe.refresh_url, "http://b.lab/next.html"); /* the base applies */
    page_extract_release(&pe);

    /* Deterministic: a second run gives the same lists. */
    struct page_extract a, b;
    extract("http://www.x.lab/d/p.html", html_rules, NULL, &a);
    extract("http://www.x.lab/d/p.html", html_rules, NULL, &b);
    assert_int_equal(a.n_links, b.n_links);
    assert_int_equal(a.n_res, b.n_res);
    for (size_t i = 0; i < a.n_res; i++)
        assert_string_equal(a.res[i].url, b.res[i].url);
    page_extract_release(&a);
    page_extract_release(&b);
}

static void test_refresh_forms(void **state)
{
    (void)state;
    static const struct {
        const char *content, *want;
    } cases[] = {
        {"5;url=/a", "http://h.lab/a"},
        {" 0 , URL = \"/b c\" ", "http://h.lab/b%20c"},
        {"3.5; /c", "http://h.lab/c"},
        {"0;https://o.lab/", "https://o.lab/"},
        {"10", NULL},     /* a reload of the page itself */
        {"url=/x", NULL}, /* no time */
        {"0; javascript:x", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char html[256];
        snprintf(html, sizeof html, "<meta http-equiv=refresh content='%s'>", cases[i].content);
        struct page_extract pe;
        extract("http://h.lab/", html, NULL, &pe);
        if ((pe.refresh_url == NULL) != (cases[i].want == NULL) ||
            (pe.refresh_url && strcmp(pe.refresh_url, cases[i].want) != 0))
            fail_msg("refresh '%s' -> %s, want %s", cases[i].content,
                     pe.refresh_url ? pe.refresh_url : "(null)",
                     cases[i].want ? cases[i].want : "(null)");
        page_extract_release(&pe);
    }
}

static void test_caps(void **state)
{
    (void)state;
    struct page_limits lim;
    page_limits_default(&lim);
    assert_int_equal(lim.max_input, 1u << 20);
    assert_int_equal(lim.max_links, 5000);
    assert_int_equal(lim.max_resources, 2000);
    assert_int_equal(lim.max_depth, 512);
    assert_int_equal(lim.max_elements, 200000);
    struct page_extract pe;

    lim.max_links = 3;
    lim.max_resources = 2;
    extract("http://www.x.lab/", html_basic, &lim, &pe);
    assert_int_equal(pe.n_links, 3);
    assert_int_equal(pe.n_res, 2);
    assert_string_equal(pe.links[2].url, "http://www.x.lab/sub/?q=1&r=2");
    /* 1 link and 7 resources over the caps; the duplicates do not count */
    assert_int_equal(pe.n_dropped_cap, 1 + 7);
    page_extract_release(&pe);

    /* Input cut at 170 bytes (inside "</head><body>"): the size limit,
     * only what came before. */
    page_limits_default(&lim);
    lim.max_input = 170;
    extract("http://www.x.lab/", html_basic, &lim, &pe);
    assert_true(pe.input_truncated);
    assert_int_equal(pe.cut, PAGE_CUT_SIZE);
    assert_int_equal(pe.parsed_bytes, 170);
    assert_int_equal(pe.n_links, 0);
    assert_int_equal(pe.n_res, 3); /* s.css, i.ico, a.js end at byte 160 */
    page_extract_release(&pe);

    /* Empty and NULL input. */
    assert_int_equal(page_extract("http://www.x.lab/", NULL, 0, NULL, &pe), 0);
    assert_int_equal(pe.n_links + pe.n_res, 0);
    page_extract_release(&pe);
    /* No page URL: only absolute references survive. */
    extract(NULL, "<a href=/rel>r</a><a href=http://abs.lab/>a</a>", NULL, &pe);
    assert_int_equal(pe.n_links, 1);
    assert_string_equal(pe.links[0].url, "http://abs.lab/");
    assert_int_equal(pe.n_dropped_invalid, 1);
    page_extract_release(&pe);
}

/* Build prefix + n copies of unit + suffix. */
static char *repeat(const char *prefix, const char *unit, size_t n, const char *suffix)
{
    size_t pl = strlen(prefix), ul = strlen(unit), sl = strlen(suffix);
    char *s = malloc(pl + n * ul + sl + 1);
    assert_non_null(s);
    memcpy(s, prefix, pl);
    for (size_t i = 0; i < n; i++)
        memcpy(s + pl + i * ul, unit, ul);
    memcpy(s + pl + n * ul, suffix, sl + 1);
    return s;
}

static void test_guard_cuts(void **state)
{
    (void)state;
    struct page_extract pe;
    /* Depth: the 513th nested <div> is where the input is cut. */
    const char *pre = "<a href=\"/before\">b</a>";
    char *h = repeat(pre, "<div>", 600, "<a href=\"/after\">a</a>");
    extract("http://x.lab/", h, NULL, &pe);
    assert_int_equal(pe.cut, PAGE_CUT_DEPTH);
    assert_true(pe.input_truncated);
    assert_int_equal(pe.parsed_bytes, strlen(pre) + 512 * 5);
    assert_int_equal(pe.n_links, 1);
    assert_string_equal(pe.links[0].url, "http://x.lab/before");
    page_extract_release(&pe);
    free(h);

    /* Distinct unclosed formatting elements reconstructed in every
     * paragraph: the 65th active one is cut. */
    size_t cap = 100 * 32;
    char *f = malloc(cap);
    assert_non_null(f);
    size_t n = 0, at65 = 0;
    for (int i = 0; i < 100; i++) {
        if (i == PAGE_MAX_FORMATTING)
            at65 = n + 3; /* after "<p>" */
        n += (size_t)snprintf(f + n, cap - n, "<p><font id=%d>x", i);
    }
    extract("http://x.lab/", f, NULL, &pe);
    assert_int_equal(pe.cut, PAGE_CUT_FORMATTING);
    assert_int_equal(pe.parsed_bytes, at65);
    page_extract_release(&pe);
    free(f);

    /* One tag with too many attributes. */
    size_t acap = 16 + (PAGE_MAX_ATTRS + 1) * 8;
    char *a = malloc(acap);
    assert_non_null(a);
    n = (size_t)snprintf(a, acap, "<p>x</p><a");
    for (int i = 0; i <= PAGE_MAX_ATTRS; i++)
        n += (size_t)snprintf(a + n, acap - n, " a%d=1", i);
    snprintf(a + n, acap - n, ">");
    extract("http://x.lab/", a, NULL, &pe);
    assert_int_equal(pe.cut, PAGE_CUT_ATTRS);
    assert_int_equal(pe.parsed_bytes, 8);
    page_extract_release(&pe);
    free(a);

    /* The element budget: the 11th element is cut. */
    struct page_limits lim;
    page_limits_default(&lim);
    lim.max_elements = 10;
    h = repeat("", "<i></i>", 20, "");
    extract("http://x.lab/", h, &lim, &pe);
    assert_int_equal(pe.cut, PAGE_CUT_ELEMENTS);
    assert_int_equal(pe.parsed_bytes, 10 * 7);
    page_extract_release(&pe);
    free(h);
    assert_string_equal(page_cut_name(PAGE_CUT_ELEMENTS), "elements");
}

/* Sloppy markup that real sites serve must not be cut. */
static void test_guard_sloppy_ok(void **state)
{
    (void)state;
    static const struct {
        const char *prefix, *unit;
        size_t n;
    } cases[] = {
        {"<table>", "<tr><td><font color=red>x<td><font color=blue>y", 2000}, /* cells clear */
        {"", "<p><font size=2>text", 3000},                                 /* Noah's Ark */
        {"<ul>", "<li>item", 3000},
        {"", "<select><option>o<option>p</select>", 3000},
        {"", "<a href=/l>x", 3000},  /* a new <a> closes the last */
        {"", "<b>x</b><i>y</i>", 3000},
        {"", "<div><span>x</div>", 3000},
        {"", "<p><b>x</p>", 3000},   /* b reopened per paragraph, Noah's Ark */
        {"", "<dl><dt>a<dd>b</dl>", 3000},
        {"", "<h1>a<h2>b", 3000},
        {"<svg>", "<path d=\"M0 0\"/><g><rect/></g>", 1000},
        {"", "<script>if (a<b) x='</div>';</script>", 1000},
        {"", "<br></br><hr/>", 3000},
        {"", "<table><tr><td>x</td></tr></table>", 3000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *h = repeat(cases[i].prefix, cases[i].unit, cases[i].n, "<a href=\"/end\">end</a>");
        struct page_extract pe;
        extract("http://x.lab/", h, NULL, &pe);
        if (pe.cut != PAGE_CUT_NONE)
            fail_msg("case %zu (%s) cut by %s at %zu", i, cases[i].unit, page_cut_name(pe.cut),
                     pe.parsed_bytes);
        bool found = false;
        for (size_t k = 0; k < pe.n_links; k++)
            found |= strcmp(pe.links[k].url, "http://x.lab/end") == 0;
        if (!found)
            fail_msg("case %zu (%s): the last link is missing", i, cases[i].unit);
        page_extract_release(&pe);
        free(h);
    }
}

static void test_internal(void **state)
{
    (void)state;
    struct url_psl *psl = url_psl_new();
    assert_non_null(psl);
    const char *html = "<a href=\"/\">home</a><a href=\"/index.html\">self</a>"
                       "<a href=\"http://news.site.lab/n\">n</a>"
                       "<a href=\"https://www.site.lab:8443/s\">s</a>"
                       "<a href=\"http://other.lab/o\">o</a>"
                       "<a href=\"http://site.lab.evil.lab/x\">e</a>"
                       "<a href=\"http://[3ffe::1]/v6\">v6</a>"
                       "<a href=\"http://lab/t\">tld</a>";
    struct page_extract pe;
    extract("http://WWW.site.lab/index.html#x", html, NULL, &pe);
    assert_int_equal(pe.n_links, 8);
    const char *out[8];
    size_t n = page_internal_links(psl, &pe, "www.site.lab", "http://www.site.lab/index.html", out);
    assert_int_equal(n, 3);
    assert_string_equal(out[0], "http://www.site.lab/");
    assert_string_equal(out[1], "http://news.site.lab/n");
    assert_string_equal(out[2], "https://www.site.lab:8443/s");
    /* Without a self URL nothing is excluded. */
    assert_int_equal(page_internal_links(psl, &pe, "site.lab", NULL, out), 4);
    /* An IP-literal site: only the same address is internal. */
    assert_int_equal(page_internal_links(psl, &pe, "3ffe:0::1", NULL, out), 1);
    assert_string_equal(out[0], "http://[3ffe::1]/v6");
    page_extract_release(&pe);
    url_psl_free(psl);
}

static void test_sample(void **state)
{
    (void)state;
    size_t a[10], b[10];
    page_sample(42, 1000, 10, a);
    static const size_t want42[10] = {26, 182, 285, 338, 396, 413, 552, 753, 855, 942};
    assert_memory_equal(a, want42, sizeof a);
    page_sample(42, 1000, 10, b);
    assert_memory_equal(a, b, sizeof a);
    page_sample(43, 1000, 10, b);
    assert_true(memcmp(a, b, sizeof a) != 0);
    size_t c[7];
    page_sample(1234567, 50, 7, c);
    static const size_t want_c[7] = {10, 11, 14, 17, 41, 43, 47};
    assert_memory_equal(c, want_c, sizeof c);
    size_t all[5];
    page_sample(1, 5, 10, all);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(all[i], i);
    page_sample(1, 5, 5, all);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(all[i], i);
    page_sample(9, 0, 3, all); /* n = 0: nothing written, no crash */
    /* Distinct, ascending, in range, and every index reachable. */
    int seen[20] = {0};
    for (uint64_t s = 0; s < 500; s++) {
        size_t v[6];
        page_sample(s, 20, 6, v);
        for (int i = 0; i < 6; i++) {
            assert_true(v[i] < 20);
            if (i)
                assert_true(v[i - 1] < v[i]);
            seen[v[i]]++;
        }
    }
    for (int i = 0; i < 20; i++)
        assert_true(seen[i] > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),       cmocka_unit_test(test_rules),
        cmocka_unit_test(test_refresh_forms), cmocka_unit_test(test_caps),
        cmocka_unit_test(test_guard_cuts),  cmocka_unit_test(test_guard_sloppy_ok),
        cmocka_unit_test(test_internal),    cmocka_unit_test(test_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
