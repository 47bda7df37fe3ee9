/*
 * fuzz_page.c - libFuzzer target for the prober's page analysis
 * (lib/probe/page.c, url.c, similar.c). Any bytes must be handled without
 * crashing, reading out of bounds, leaking or taking long, and what comes
 * out must obey the contracts:
 *   - page_extract() on the input (base http://www.fuzz.lab/d/p.html; when
 *     the last byte is odd, with tiny limits so the caps and the guard
 *     cut): lists within their caps, kinds right, every URL in normal form
 *     (url_resolve(NULL, u) == u, url_split() accepts it, printable ASCII
 *     without spaces), no (url, kind) pair twice, parsed_bytes consistent
 *     with cut;
 *   - url_resolve() with the input (up to its first NUL) as the reference,
 *     against the base and against NULL: the same normal-form promises;
 *     url_split() of the input: a host, a port, a path starting with '/';
 *     both agree with url_resolve_full()/url_split_full() (the fast path
 *     for URLs already in the normal form changes nothing);
 *     registrable domain and same-site of the split host;
 *   - similar_distance() of the two halves: <= 100, symmetric, 0 against
 *     itself; similar_strip() never grows its input;
 *   - page_sample() with a seed from the input: ascending, distinct, in
 *     range.
 *
 * Seeds: any HTML page; the strings of tests/unit/test_page.c and
 * test_url.c. Run with e.g. -max_len=32768 -timeout=3 to look for slow
 * inputs past the parse guard.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/page.h"
#include "probe/similar.h"
#include "probe/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct url_psl *psl;

static void check_url(const char *u)
{
    size_t n = strlen(u);
    if (n == 0 || n > URL_MAX)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
            abort();
    if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
        abort();
    char *again = url_resolve(NULL, u);
    if (!again || strcmp(again, u) != 0)
        abort();
    free(again);
    struct url_parts p;
    if (!url_split(u, &p) || !p.host[0] || p.port == 0 || p.path[0] != '/')
        abort();
}

static void check_extract(const struct page_extract *pe, const struct page_limits *lim, size_t size)
{
    if (pe->n_links > lim->max_links || pe->n_res > lim->max_resources)
        abort();
    size_t in = size < lim->max_input ? size : lim->max_input;
    if (pe->parsed_bytes > in || pe->input_truncated != (pe->cut != PAGE_CUT_NONE))
        abort();
    if (pe->cut == PAGE_CUT_NONE && pe->parsed_bytes != size)
        abort();
    if (pe->cut == PAGE_CUT_SIZE && size <= lim->max_input)
        abort();
    for (size_t i = 0; i < pe->n_links; i++) {
        if (pe->links[i].kind != PAGE_LINK)
            abort();
        check_url(pe->links[i].url);
    }
    for (size_t i = 0; i < pe->n_res; i++) {
        if (pe->res[i].kind == PAGE_LINK || pe->res[i].kind >= PAGE_KIND_COUNT)
            abort();
        check_url(pe->res[i].url);
    }
    if (pe->refresh_url)
        check_url(pe->refresh_url);
    /* No pair twice (the lists are short under the fuzzer's sizes). */
    for (size_t i = 0; i < pe->n_links && i < 300; i++)
        for (size_t j = i + 1; j < pe->n_links && j < 300; j++)
            if (strcmp(pe->links[i].url, pe->links[j].url) == 0)
                abort();
    for (size_t i = 0; i < pe->n_res && i < 300; i++)
        for (size_t j = i + 1; j < pe->n_res && j < 300; j++)
            if (pe->res[i].kind == pe->res[j].kind && strcmp(pe->res[i].url, pe->res[j].url) == 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!psl)
        psl = url_psl_new(); /* kept for the process: loading it per input is slow */
    const char *base = "http://www.fuzz.lab/d/p.html";

    /* Pages. */
    struct page_limits lim;
    page_limits_default(&lim);
    if (size && (data[size - 1] & 1)) {
        lim.max_links = 3;
        lim.max_resources = 3;
        lim.max_depth = 8;
        lim.max_elements = 64;
        lim.max_input = 2048;
    }
    struct page_extract pe;
    if (page_extract(base, data, size, &lim, &pe) == 0)
        check_extract(&pe, &lim, size);
    if (psl) {
        const char **out = malloc((pe.n_links + 1) * sizeof *out);
        if (out) {
            size_t n = page_internal_links(psl, &pe, "www.fuzz.lab", base, out);
            if (n > pe.n_links)
                abort();
            for (size_t i = 0; i < n; i++)
                if (strcmp(out[i], "http://www.fuzz.lab/d/p.html") == 0)
                    abort();
            free(out);
        }
    }
    page_extract_release(&pe);

    /* URLs: the input as a reference. */
    char *ref = malloc(size + 1);
    if (!ref)
        return 0;
    memcpy(ref, data, size);
    ref[size] = '\0';
    for (int k = 0; k < 2; k++) {
        char *u = url_resolve(k ? NULL : base, ref);
        /* the fast path for normal-form URLs agrees with the full one */
        char *full = url_resolve_full(k ? NULL : base, ref);
        if ((u == NULL) != (full == NULL) || (u && strcmp(u, full) != 0))
            abort();
        free(full);
        if (u) {
            check_url(u);
            free(u);
        }
    }
    struct url_parts p, pf;
    bool split_ok = url_split(ref, &p);
    if (split_ok != url_split_full(ref, &pf) || strcmp(p.scheme, pf.scheme) != 0 ||
        strcmp(p.host, pf.host) != 0 || p.port != pf.port || strcmp(p.path, pf.path) != 0 ||
        p.is_ip_literal != pf.is_ip_literal || p.family != pf.family)
        abort();
    if (split_ok) {
        if (!p.host[0] || p.port == 0 || p.path[0] != '/' ||
            (p.is_ip_literal != (p.family == 4 || p.family == 6)))
            abort();
        if (psl) {
            char buf[URL_HOST_MAX];
            if (url_registrable(psl, p.host, buf, sizeof buf) && p.is_ip_literal)
                abort();
            if (!url_same_site(psl, p.host, p.host))
                abort();
        }
    }
    free(ref);

    /* Similarity of the two halves. */
    size_t h = size / 2;
    unsigned d1 = similar_distance(data, h, data + h, size - h);
    unsigned d2 = similar_distance(data + h, size - h, data, h);
    if (d1 > 100 || d1 != d2 || similar_distance(data, size, data, size) != 0)
        abort();
    uint8_t *st = malloc(size + 1);
    if (st) {
        if (similar_strip(data, size, st) > size)
            abort();
        free(st);
    }

    /* Sampling. */
    size_t n = size % 97, k = size ? data[0] % 40u : 0;
    size_t idx[97];
    uint64_t seed = 0;
    memcpy(&seed, data, size < 8 ? size : 8);
    page_sample(seed, n, k, idx);
    size_t m = k < n ? k : n;
    for (size_t i = 0; i < m; i++)
        if (idx[i] >= n || (i && idx[i - 1] >= idx[i]))
            abort();
    return 0;
}
