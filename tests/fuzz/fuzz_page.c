/*
 * fuzz_page.c - libFuzzer target for the prober's handling of hostile
 * pages (lib/probe/page.c, url.c, similar.c).
 *
 * The input is split at its first 0xff byte (or in the middle): the first
 * part is parsed as an HTML page at a fixed base URL, both parts are
 * compared with similar_distance(), and the first 2 KiB are resolved as a
 * link reference. Checked: every extracted URL is absolute http(s), splits
 * with url_split(), and has no fragment or control characters; the lists
 * respect their caps; the distance is 0..100 and symmetric; a page compared
 * with itself has distance 0; similar_strip() never grows its input.
 *
 * Seeds: any HTML, e.g. the pages of tests/unit/test_page.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/page.h"
#include "probe/similar.h"
#include "probe/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_url(const char *u)
{
    struct url_parts p;
    if (!u || (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0))
        abort();
    if (strchr(u, '#'))
        abort();
    for (const char *c = u; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            abort();
    if (!url_split(u, &p))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *cut = memchr(data, 0xff, size);
    size_t na = cut ? (size_t)(cut - data) : size / 2;
    const uint8_t *b = data + na + (cut ? 1 : 0);
    size_t nb = size - na - (cut ? 1 : 0);

    struct page_limits lim;
    page_limits_default(&lim);
    lim.max_links = 50;
    lim.max_resources = 20;
    struct page_extract pe;
    page_extract("http://www.fuzz.lab/dir/page.html", data, na, &lim, &pe);
    if (pe.n_links > lim.max_links || pe.n_res > lim.max_resources)
        abort();
    for (size_t i = 0; i < pe.n_links; i++)
        check_url(pe.links[i].url);
    for (size_t i = 0; i < pe.n_res; i++) {
        check_url(pe.res[i].url);
        if (pe.res[i].kind == PAGE_LINK || pe.res[i].kind > PAGE_EMBED)
            abort();
    }
    page_extract_release(&pe);

    unsigned d1 = similar_distance(data, na, b, nb);
    unsigned d2 = similar_distance(b, nb, data, na);
    if (d1 > 100 || d1 != d2)
        abort();
    if (similar_distance(data, na, data, na) != 0)
        abort();
    uint8_t *out = malloc(na ? na : 1);
    if (out) {
        if (similar_strip(data, na, out) > na)
            abort();
        free(out);
    }

    char ref[2049];
    size_t nr = size < 2048 ? size : 2048;
    memcpy(ref, data, nr);
    ref[nr] = '\0';
    char *u = url_resolve("http://www.fuzz.lab/a/b?c", ref);
    if (u) {
        check_url(u);
        free(u);
    }
    return 0;
}
