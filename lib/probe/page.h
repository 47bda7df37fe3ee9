/*
 * probe/page.h - what the prober needs from an HTML page: its links and
 * its sub-resources as absolute, normalised URLs (probe/url.h), read with
 * gumbo (an HTML5-conformant parser, so broken markup is read the way a
 * browser reads it), and seeded sampling of link lists.
 *
 * What counts (docs/internals/crawl.md):
 *   links      a[href], area[href]
 *   resources  img[src] and the first candidate of img[srcset],
 *              script[src], link[rel~=stylesheet][href],
 *              link[rel~=icon][href], iframe[src], frame[src],
 *              source[src] / first of source[srcset], video[src],
 *              video[poster], audio[src], embed[src], object[data]
 *   base       the first base[href] replaces the page URL as the base.
 * Non-http(s) references (javascript:, mailto:, data:, tel:) are dropped
 * and counted. Each list is deduplicated (URL + kind), first-seen order.
 *
 * Limits: gumbo can go quadratic on many unclosed tags, so at most
 * max_input bytes are parsed (input_truncated says so); lists stop at
 * max_links / max_resources (n_dropped_cap counts the rest).
 *
 * Ownership: page_extract() borrows html; *out owns every URL and array
 * until page_extract_release().
 */
#ifndef V6M_PROBE_PAGE_H
#define V6M_PROBE_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum page_kind {
    PAGE_LINK = 0,
    PAGE_IMG, PAGE_SCRIPT, PAGE_STYLE, PAGE_ICON, PAGE_IFRAME, PAGE_SOURCE,
    PAGE_VIDEO, PAGE_AUDIO, PAGE_EMBED,
};

struct page_url {
    char *url;
    uint8_t kind; /* enum page_kind */
};

struct page_limits {
    size_t max_input;     /* bytes parsed (1 MiB) */
    size_t max_links;     /* (5000) */
    size_t max_resources; /* (2000) */
};

struct page_extract {
    struct page_url *links;
    size_t n_links;
    struct page_url *res;
    size_t n_res;
    size_t n_dropped_invalid; /* not http(s) or unresolvable */
    size_t n_dropped_cap;
    bool input_truncated;
    bool parsed;              /* gumbo produced a tree */
};

void page_limits_default(struct page_limits *l);
/* Returns 0, or -1 when out of memory (out is still valid to release). */
int page_extract(const char *page_url, const uint8_t *html, size_t len,
                 const struct page_limits *lim, struct page_extract *out);
void page_extract_release(struct page_extract *pe);

/* k distinct indices of [0, n) in ascending order into out_idx (room for
 * min(k, n)); all of them when k >= n. Deterministic for a seed:
 * splitmix64 drives a partial Fisher-Yates shuffle of 0..n-1, the first k
 * are sorted. */
void page_sample(uint64_t seed, size_t n, size_t k, size_t *out_idx);

#endif
