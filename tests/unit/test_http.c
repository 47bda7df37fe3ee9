/*
 * test_http.c - Host of an HTTP/1.x request (lib/classify/http.c).
 * Requests are literal strings; the expected names are read off them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "classify/http.h"

static char host[CLASSIFY_NAME_MAX];

/* Parse an exact-size heap copy of n bytes (ASan sees any overread). */
static enum http_status hn(const char *s, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    memcpy(c, s, n);
    enum http_status st = http_request_host(c, n, host, sizeof(host));
    free(c);
    return st;
}

static enum http_status h(const char *s)
{
    return hn(s, strlen(s));
}

static void http_host_forms(void **state)
{
    (void)state;
    assert_int_equal(h("GET / HTTP/1.1\r\nUser-Agent: t\r\nHost: www.Example.com:8080\r\n"
                       "Accept: */*\r\n\r\n"),
                     HTTP_HOST_FOUND);
    assert_string_equal(host, "www.example.com");
    assert_int_equal(h("GET /a?b=c HTTP/1.1\r\nhost:api.example.org\r\n\r\n"), HTTP_HOST_FOUND);
    assert_string_equal(host, "api.example.org");
    assert_int_equal(h("HEAD / HTTP/1.1\r\nHOST: \t cdn.example.net. \t\r\n\r\n"),
                     HTTP_HOST_FOUND);
    assert_string_equal(host, "cdn.example.net");
    assert_int_equal(h("GET / HTTP/1.1\r\nHost: a.example:\r\n\r\n"), HTTP_HOST_FOUND);
    assert_string_equal(host, "a.example");
    /* HTTP/1.0, with and without Host */
    assert_int_equal(h("GET / HTTP/1.0\r\nHost: old.example\r\n\r\n"), HTTP_HOST_FOUND);
    assert_string_equal(host, "old.example");
    assert_int_equal(h("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n"), HTTP_HOST_NONE);
    assert_string_equal(host, "");
    /* bare LF line ends */
    assert_int_equal(h("GET / HTTP/1.1\nHost: lf.example\n\n"), HTTP_HOST_FOUND);
    assert_string_equal(host, "lf.example");
    /* an obs-fold continuation line before Host is not a field */
    assert_int_equal(h("GET / HTTP/1.1\r\nX-Long: a\r\n b\r\nHost: c.example\r\n\r\n"),
                     HTTP_HOST_FOUND);
    assert_string_equal(host, "c.example");
}

static void http_literals_and_bad_names(void **state)
{
    (void)state;
    const char *none[] = {
        "GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: 127.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: 2001:db8::1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: exa mple.com\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: user@host.example\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a..example\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: caf\xc3\xa9.example\r\n\r\n",
        "GET / HTTP/1.1\r\nHost:\r\n\r\n", /* empty, origin-form target */
        "GET / HTTP/1.1\r\nX-Host: a.example\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        assert_int_equal(h(none[i]), HTTP_HOST_NONE);
        assert_string_equal(host, "");
    }
    /* fits the rules but not the caller's buffer */
    const char *req = "GET / HTTP/1.1\r\nHost: abcdefgh.example\r\n\r\n";
    char small[8];
    assert_int_equal(http_request_host((const uint8_t *)req, strlen(req), small, sizeof(small)),
                     HTTP_HOST_NONE);
    assert_string_equal(small, "");
}

static void http_methods_and_targets(void **state)
{
    (void)state;
    const char *methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE",
                             "OPTIONS", "PATCH", "CONNECT", "TRACE"};
    for (size_t i = 0; i < 9; i++) {
        char req[128];
        snprintf(req, sizeof(req), "%s /x HTTP/1.1\r\nHost: m%zu.example\r\n\r\n", methods[i], i);
        assert_int_equal(h(req), HTTP_HOST_FOUND);
        char want[32];
        snprintf(want, sizeof(want), "m%zu.example", i);
        assert_string_equal(host, want);
    }
    /* CONNECT: the authority-form target when there is no Host */
    assert_int_equal(h("CONNECT Tunnel.Example.com:443 HTTP/1.1\r\n\r\n"), HTTP_HOST_FOUND);
    assert_string_equal(host, "tunnel.example.com");
    assert_int_equal(h("CONNECT t.example:443 HTTP/1.1\r\nHost: h.example:443\r\n\r\n"),
                     HTTP_HOST_FOUND);
    assert_string_equal(host, "h.example");
    assert_int_equal(h("CONNECT [2001:db8::1]:443 HTTP/1.1\r\n\r\n"), HTTP_HOST_NONE);
    assert_int_equal(h("CONNECT 198.51.100.7:443 HTTP/1.1\r\n\r\n"), HTTP_HOST_NONE);
    /* absolute-form target without Host (proxy requests) */
    assert_int_equal(h("GET http://Proxy.Example/x HTTP/1.0\r\n\r\n"), HTTP_HOST_FOUND);
    assert_string_equal(host, "proxy.example");
    assert_int_equal(h("GET HTTPS://user@site.example:8443?q HTTP/1.1\r\nHost:\r\n\r\n"),
                     HTTP_HOST_FOUND);
    assert_string_equal(host, "site.example");
    assert_int_equal(h("OPTIONS * HTTP/1.1\r\n\r\n"), HTTP_HOST_NONE);
}

static void http_not_http(void **state)
{
    (void)state;
    const char *none[] = {
        "SSH-2.0-OpenSSH_9.2\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "GETX / HTTP/1.1\r\nHost: a.example\r\n\r\n",
        "get / HTTP/1.1\r\nHost: a.example\r\n\r\n",
        "GET / HTTP/2.0\r\nHost: a.example\r\n\r\n",
        "GET / HTTP/1.x\r\nHost: a.example\r\n\r\n",
        "GET / HTTP/1./\r\nHost: a.example\r\n\r\n",
        "GET /\r\n",                       /* HTTP/0.9 */
        "GET  / HTTP/1.1\r\n\r\n",         /* two spaces */
        "GET / HTTP/1.1 x\r\n\r\n",
        "GET /a\x01 HTTP/1.1\r\n\r\n",
        "POSTING\r\n",
        "HTTP/1.1 200 OK\r\n\r\n",         /* a response */
        "\x16\x03\x01\x02\x00\x01",
        "",
    };
    for (size_t i = 0; i + 1 < sizeof(none) / sizeof(none[0]); i++)
        assert_int_equal(h(none[i]), HTTP_HOST_NONE);
    assert_int_equal(hn("", 0), HTTP_HOST_NEED_MORE);
    assert_int_equal(hn("\0\0\0", 3), HTTP_HOST_NONE);
}

static void http_malformed(void **state)
{
    (void)state;
    const char *bad[] = {
        "GET / HTTP/1.1\r\nHost : a.example\r\n\r\n",
        "GET / HTTP/1.1\r\nHost\t: a.example\r\n\r\n",
        "GET / HTTP/1.1\r\nNoColonHere\r\nHost: a.example\r\n\r\n",
        "GET / HTTP/1.1\r\n: empty-name\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a.example:80x\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Name: x\r\nHost: a.example\r\n\r\n",
        "GET / HTTP/1.1\r\nX\rY: a\r\nHost: a.example\r\n\r\n", /* bare CR in a name */
        "GET / HTTP/1.1\r\nX-\xc3\xa9: a\r\nHost: a.example\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(h(bad[i]), HTTP_HOST_MALFORMED);
    const char nul[] = "GET / HTTP/1.1\r\nX\0: a\r\nHost: a.example\r\n\r\n";
    assert_int_equal(hn(nul, sizeof(nul) - 1), HTTP_HOST_MALFORMED);
    /* values of other fields are not inspected: a NUL or bare CR there
     * does not hide the Host; in the Host value it makes it no name */
    const char nulv[] = "GET / HTTP/1.1\r\nX: a\0\rb\r\nHost: a.example\r\n\r\n";
    assert_int_equal(hn(nulv, sizeof(nulv) - 1), HTTP_HOST_FOUND);
    assert_int_equal(h("GET / HTTP/1.1\r\nHost: a\rb.example\r\n\r\n"), HTTP_HOST_NONE);
}

/* Every prefix: NEED_MORE until the Host line's LF, FOUND from there. */
static void http_every_prefix(void **state)
{
    (void)state;
    const char *req = "POST /upload HTTP/1.1\r\nContent-Type: text/plain\r\n"
                      "Host: up.example\r\nContent-Length: 3\r\n\r\nabc";
    size_t found_at = (size_t)(strstr(req, "up.example\r\n") - req) + strlen("up.example\r\n");
    for (size_t n = 0; n <= strlen(req); n++) {
        assert_int_equal(hn(req, n), n < found_at ? HTTP_HOST_NEED_MORE : HTTP_HOST_FOUND);
    }
    /* no Host: NEED_MORE until the empty line, then NONE */
    const char *nohost = "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n";
    for (size_t n = 0; n < strlen(nohost); n++)
        assert_int_equal(hn(nohost, n), HTTP_HOST_NEED_MORE);
    assert_int_equal(h(nohost), HTTP_HOST_NONE);
}

static void http_scan_cap(void **state)
{
    (void)state;
    static char big[HTTP_SCAN_MAX + 2048];
    /* Host after 9000 bytes of headers: not looked for */
    size_t n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nCookie: ");
    memset(big + n, 'c', 9000);
    n += 9000;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\nHost: late.example\r\n\r\n");
    assert_int_equal(hn(big, n), HTTP_HOST_NONE);
    /* 8000 bytes, headers not ended: wait */
    assert_int_equal(hn(big, 8000), HTTP_HOST_NEED_MORE);
    /* exactly the cap, not ended: give up */
    assert_int_equal(hn(big, HTTP_SCAN_MAX), HTTP_HOST_NONE);
    /* Host right below the cap is found */
    n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nCookie: ");
    size_t fill = HTTP_SCAN_MAX - n - strlen("\r\nHost: edge.example\r\n");
    memset(big + n, 'c', fill);
    n += fill;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\nHost: edge.example\r\n");
    assert_int_equal(n, HTTP_SCAN_MAX);
    assert_int_equal(hn(big, n), HTTP_HOST_FOUND);
    assert_string_equal(host, "edge.example");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(http_host_forms),
        cmocka_unit_test(http_literals_and_bad_names),
        cmocka_unit_test(http_methods_and_targets),
        cmocka_unit_test(http_not_http),
        cmocka_unit_test(http_malformed),
        cmocka_unit_test(http_every_prefix),
        cmocka_unit_test(http_scan_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
