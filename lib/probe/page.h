/*
 * probe/page.h - what the prober needs from an HTML page: its links and its
 * sub-resources as absolute URLs in normal form (probe/url.h), read with
 * gumbo (an HTML5 parser: broken markup is read the way a browser reads
 * it), the internal links among them, and seeded sampling of link lists.
 * Pure: no I/O, deterministic for the same input.
 *
 * What counts (docs/internals/crawl.md has the reasons):
 *   links      a[href], area[href]; svg a[href | xlink:href]
 *   resources  PAGE_IMG     img[src], the first candidate of img[srcset],
 *                           input[type=image][src], svg image[href]
 *              PAGE_SCRIPT  script[src]
 *              PAGE_STYLE   link[rel~=stylesheet][href]
 *              PAGE_ICON    link[rel~=icon][href] (not a stylesheet)
 *              PAGE_IFRAME  iframe[src], frame[src]
 *              PAGE_SOURCE  source[src], the first candidate of source[srcset]
 *              PAGE_VIDEO   video[src], video[poster]
 *              PAGE_AUDIO   audio[src]
 *              PAGE_EMBED   embed[src], object[data]
 *   base       the first base[href] in the document replaces the page URL
 *              as the base of every reference (HTML's "frozen base URL").
 *   refresh    <meta http-equiv=refresh content="N; url=..."> (the first
 *              one) in refresh_url: a splash page's only way onward.
 * Elements inside <template> are inert (a browser loads nothing there) and
 * are skipped. Entities are decoded by gumbo ("&amp;" -> "&").
 * Attribute values go through url_resolve(); a value it refuses
 * (javascript:, mailto:, data:, tel:, bad host...) is counted in
 * n_dropped_invalid, and so is an empty resource URL (a browser fetches
 * nothing for src=""). An empty or "#..." link is the page itself.
 * Each list keeps the first occurrence of each (URL, kind) pair, in
 * document order.
 *
 * Limits, so that a hostile page costs bounded time and memory:
 *   max_input      bytes handed to the parser (1 MiB);
 *   max_links, max_resources  list lengths (5000, 2000); the distinct
 *                  URLs past them are counted in n_dropped_cap;
 *   the parse guard: gumbo's tree builder is quadratic, and with
 *                  reconstructed formatting elements cubic in time and
 *                  memory, on deep or misnested markup (a 256 KiB page of
 *                  "<div>" takes 6 s, 128 KiB of "<p><font id=N>x" 25 s,
 *                  1 MiB of it several GB). Before parsing, a linear scan
 *                  tokenizes the input and models the tree builder's open
 *                  elements and active formatting elements; the input is
 *                  cut at the first tag that would take the open-element
 *                  depth over max_depth (512, as Blink), the active
 *                  formatting elements over PAGE_MAX_FORMATTING, one tag's
 *                  attributes over PAGE_MAX_ATTRS, or the element count
 *                  over max_elements (200000). cut says which limit cut the
 *                  input, parsed_bytes how much was parsed.
 *
 * Ownership: page_extract() borrows its inputs; *out owns every string and
 * array until page_extract_release(). page_internal_links() fills the
 * caller's array with pointers borrowed from the page_extract.
 */
#ifndef V6M_PROBE_PAGE_H
#define V6M_PROBE_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct url_psl;

enum page_kind {
    PAGE_LINK = 0,
    PAGE_IMG, PAGE_SCRIPT, PAGE_STYLE, PAGE_ICON, PAGE_IFRAME, PAGE_SOURCE,
    PAGE_VIDEO, PAGE_AUDIO, PAGE_EMBED,
    PAGE_KIND_COUNT
};
/* "link", "img", "script", "style", "icon", "iframe", "source", "video",
 * "audio", "embed"; "?" out of range. */
const char *page_kind_name(unsigned kind);

#define PAGE_MAX_ATTRS 256      /* attributes of one tag (and of all html/body tags) */
#define PAGE_MAX_FORMATTING 64  /* active formatting elements (b, font, a...) */

struct page_limits {
    size_t max_input;     /* bytes parsed (1 MiB) */
    size_t max_links;     /* (5000) */
    size_t max_resources; /* (2000) */
    size_t max_depth;     /* open elements (512) */
    size_t max_elements;  /* elements, reconstructed ones included (200000) */
};

enum page_cut {
    PAGE_CUT_NONE = 0,
    PAGE_CUT_SIZE,       /* over max_input */
    PAGE_CUT_DEPTH,      /* over max_depth */
    PAGE_CUT_FORMATTING, /* over PAGE_MAX_FORMATTING */
    PAGE_CUT_ATTRS,      /* over PAGE_MAX_ATTRS */
    PAGE_CUT_ELEMENTS,   /* over max_elements */
};
/* "none", "size", "depth", "formatting", "attributes", "elements". */
const char *page_cut_name(unsigned cut);

struct page_url {
    char *url;    /* normal form (url_resolve) */
    uint8_t kind; /* enum page_kind */
};

struct page_extract {
    struct page_url *links; /* kind PAGE_LINK */
    size_t n_links;
    struct page_url *res;   /* the other kinds */
    size_t n_res;
    char *base_url;         /* the base used (page URL or <base href>); may be NULL */
    char *refresh_url;      /* meta refresh target, or NULL */
    size_t n_dropped_invalid; /* refused by url_resolve, or empty resource */
    size_t n_dropped_cap;     /* distinct URLs past max_links / max_resources */
    bool input_truncated;     /* cut != PAGE_CUT_NONE */
    uint8_t cut;              /* enum page_cut: the first limit that cut the input */
    size_t parsed_bytes;      /* bytes handed to gumbo */
    bool parsed;              /* gumbo produced a tree */
};

/* Defaults above. */
void page_limits_default(struct page_limits *l);

/* Extract from html[0..len) (any bytes; gumbo replaces invalid UTF-8),
 * page_url being the URL it came from (normal form preferred; NULL: only
 * absolute references survive). lim NULL: defaults; a zero field: its
 * default. Returns 0, or -1 when memory ran out (then *out holds what was
 * found so far and must still be released). Never reads outside
 * html[0..len). */
int page_extract(const char *page_url, const uint8_t *html, size_t len,
                 const struct page_limits *lim, struct page_extract *out);
void page_extract_release(struct page_extract *pe);

/* The internal links of a page: links whose host has the same registrable
 * domain as site_host (url_same_site), except self_url (compared in
 * normal form; NULL: none excluded). Writes borrowed pointers into
 * out[] (room for pe->n_links), in pe's order, and returns their count. */
size_t page_internal_links(const struct url_psl *psl, const struct page_extract *pe,
                           const char *site_host, const char *self_url, const char **out);

/* k distinct indices of [0, n) in ascending order into out_idx (room for
 * min(k, n)); 0..n-1 when k >= n. Deterministic for a seed: splitmix64
 * (Steele, Lea, Flood 2014; state += 0x9e3779b97f4a7c15, then the
 * variant-13 mixer) drives a partial Fisher-Yates shuffle of 0..n-1,
 * step i swapping i with i + (next() mod (n - i)); the first k are then
 * sorted. Uses O(n) scratch memory; if that allocation fails, the k
 * evenly spaced indices i * n / k. */
void page_sample(uint64_t seed, size_t n, size_t k, size_t *out_idx);

#endif
