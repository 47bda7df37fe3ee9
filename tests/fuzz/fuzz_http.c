/*
 * fuzz_http.c - libFuzzer target for http_request_host()
 * (lib/classify/http.c). Checked: the status is in range; a FOUND name is
 * a valid name (1..253 characters of [a-z0-9-_.], no empty label, no
 * label over 63), otherwise host is ""; a name never overruns a small
 * caller buffer; and every prefix that already gives a final answer (not
 * NEED_MORE) gives exactly the answer of the whole input, since the parser
 * decides on the first complete Host line, the end of the headers or the
 * first bad line, none of which later bytes can change. Prefixes tried:
 * every length up to 64, then 1/4, 1/2 and 3/4 of the input.
 *
 * Seeds: /tmp/h2-seeds/fuzz_http/ (the requests of
 * tests/unit/test_http.c, one per file). Any HTTP/1.x request text is a
 * good seed, e.g. printf 'GET / HTTP/1.1\r\nHost: a.example:8080\r\n\r\n'.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify/http.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_result(enum http_status st, const char *h)
{
    if (st > HTTP_HOST_MALFORMED)
        abort();
    size_t n = strnlen(h, CLASSIFY_NAME_MAX);
    if (st != HTTP_HOST_FOUND) {
        if (n != 0)
            abort();
        return;
    }
    fuzz_check_name(h, n);
}

static void check_prefix(const uint8_t *data, size_t n, enum http_status f, const char *fh)
{
    char h[CLASSIFY_NAME_MAX];
    enum http_status p = http_request_host(data, n, h, sizeof(h));
    check_result(p, h);
    if (p == HTTP_HOST_NEED_MORE)
        return;
    if (p != f || strcmp(h, fh) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char full[CLASSIFY_NAME_MAX];
    enum http_status f = http_request_host(data, size, full, sizeof(full));
    check_result(f, full);
    char tiny[5];
    http_request_host(data, size, tiny, sizeof(tiny));

    for (size_t n = 0; n < size && n <= 64; n++)
        check_prefix(data, n, f, full);
    check_prefix(data, size / 4, f, full);
    check_prefix(data, size / 2, f, full);
    check_prefix(data, size - size / 4, f, full);
    return 0;
}
