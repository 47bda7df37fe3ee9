/*
 * probe/page.c - links and sub-resources of an HTML page (see page.h).
 *
 * gumbo builds the whole tree (it has no streaming mode); we walk it with
 * an explicit stack (no recursion: hostile pages nest deeply) and resolve
 * every reference against the base with url_resolve(). Deduplication uses
 * a small open-addressing set of (hash, index) per list.
 */
#include "probe/page.h"

#include <gumbo.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probe/url.h"
#include "util/hash.h"

void page_limits_default(struct page_limits *l)
{
    l->max_input = 1u << 20;
    l->max_links = 5000;
    l->max_resources = 2000;
}

struct dedup {
    uint64_t *h; /* 0 = empty */
    size_t mask, n;
};

static bool dedup_add(struct dedup *d, const char *url, uint8_t kind)
{
    uint64_t h = hash_bytes(url, strlen(url), kind) | 1;
    if ((d->n + 1) * 2 > d->mask + 1 || !d->h) {
        size_t cap = d->h ? (d->mask + 1) * 2 : 64;
        uint64_t *nh = calloc(cap, sizeof *nh);
        if (!nh)
            return true; /* out of memory: keep the entry rather than lose it */
        for (size_t i = 0; d->h && i <= d->mask; i++) {
            if (!d->h[i])
                continue;
            size_t j = d->h[i] & (cap - 1);
            while (nh[j])
                j = (j + 1) & (cap - 1);
            nh[j] = d->h[i];
        }
        free(d->h);
        d->h = nh;
        d->mask = cap - 1;
    }
    size_t j = h & d->mask;
    while (d->h[j]) {
        if (d->h[j] == h)
            return false; /* 64-bit hash: a collision drops one URL, ~2^-64 */
        j = (j + 1) & d->mask;
    }
    d->h[j] = h;
    d->n++;
    return true;
}

struct walk {
    const struct page_limits *lim;
    struct page_extract *out;
    char *base;
    struct dedup dl, dr;
    size_t cap_links, cap_res;
    bool nomem;
};

static void add(struct walk *w, const char *ref, uint8_t kind)
{
    if (!ref || !*ref)
        return;
    bool link = kind == PAGE_LINK;
    size_t *n = link ? &w->out->n_links : &w->out->n_res;
    size_t max = link ? w->lim->max_links : w->lim->max_resources;
    char *u = url_resolve(w->base, ref);
    if (!u) {
        w->out->n_dropped_invalid++;
        return;
    }
    if (!dedup_add(link ? &w->dl : &w->dr, u, kind)) {
        free(u);
        return;
    }
    if (*n >= max) {
        w->out->n_dropped_cap++;
        free(u);
        return;
    }
    struct page_url **v = link ? &w->out->links : &w->out->res;
    size_t *cap = link ? &w->cap_links : &w->cap_res;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 32;
        struct page_url *nv = realloc(*v, c * sizeof *nv);
        if (!nv) {
            w->nomem = true;
            free(u);
            return;
        }
        *v = nv;
        *cap = c;
    }
    (*v)[*n].url = u;
    (*v)[*n].kind = kind;
    (*n)++;
}

static const char *attr(const GumboElement *e, const char *name)
{
    GumboAttribute *a = gumbo_get_attribute(&e->attributes, name);
    return a ? a->value : NULL;
}

/* First URL of a srcset ("a.png 1x, b.png 2x" -> "a.png"). */
static void add_srcset(struct walk *w, const char *srcset, uint8_t kind)
{
    if (!srcset)
        return;
    while (*srcset == ' ' || *srcset == '\t' || *srcset == '\n' || *srcset == ',')
        srcset++;
    size_t n = 0;
    while (srcset[n] && srcset[n] != ' ' && srcset[n] != '\t' && srcset[n] != '\n' &&
           srcset[n] != ',')
        n++;
    if (n == 0 || n > URL_MAX)
        return;
    char buf[URL_MAX + 1];
    memcpy(buf, srcset, n);
    buf[n] = '\0';
    add(w, buf, kind);
}

static bool rel_has(const char *rel, const char *word)
{
    if (!rel)
        return false;
    size_t wl = strlen(word);
    const char *p = rel;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        size_t n = 0;
        while (p[n] && p[n] != ' ' && p[n] != '\t' && p[n] != '\n')
            n++;
        if (n == wl && strncasecmp(p, word, n) == 0)
            return true;
        p += n;
    }
    return false;
}

static void element(struct walk *w, const GumboElement *e)
{
    switch (e->tag) {
    case GUMBO_TAG_A:
    case GUMBO_TAG_AREA:
        add(w, attr(e, "href"), PAGE_LINK);
        break;
    case GUMBO_TAG_IMG:
        add(w, attr(e, "src"), PAGE_IMG);
        add_srcset(w, attr(e, "srcset"), PAGE_IMG);
        break;
    case GUMBO_TAG_SCRIPT:
        add(w, attr(e, "src"), PAGE_SCRIPT);
        break;
    case GUMBO_TAG_LINK: {
        const char *rel = attr(e, "rel");
        if (rel_has(rel, "stylesheet"))
            add(w, attr(e, "href"), PAGE_STYLE);
        else if (rel_has(rel, "icon"))
            add(w, attr(e, "href"), PAGE_ICON);
        break;
    }
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_FRAME:
        add(w, attr(e, "src"), PAGE_IFRAME);
        break;
    case GUMBO_TAG_SOURCE:
        add(w, attr(e, "src"), PAGE_SOURCE);
        add_srcset(w, attr(e, "srcset"), PAGE_SOURCE);
        break;
    case GUMBO_TAG_VIDEO:
        add(w, attr(e, "src"), PAGE_VIDEO);
        add(w, attr(e, "poster"), PAGE_IMG);
        break;
    case GUMBO_TAG_AUDIO:
        add(w, attr(e, "src"), PAGE_AUDIO);
        break;
    case GUMBO_TAG_EMBED:
        add(w, attr(e, "src"), PAGE_EMBED);
        break;
    case GUMBO_TAG_OBJECT:
        add(w, attr(e, "data"), PAGE_EMBED);
        break;
    default:
        break;
    }
}

/* The first <base href> (in document order) sets the base URL. */
static const GumboNode *find_base(const GumboNode *root)
{
    const GumboNode *stack[256];
    size_t sp = 0;
    stack[sp++] = root;
    while (sp) {
        const GumboNode *n = stack[--sp];
        if (n->type != GUMBO_NODE_ELEMENT)
            continue;
        if (n->v.element.tag == GUMBO_TAG_BASE && attr(&n->v.element, "href"))
            return n;
        /* <base> lives in <head>: look only two levels down (html > head). */
        if (n->v.element.tag == GUMBO_TAG_HTML || n->v.element.tag == GUMBO_TAG_HEAD) {
            const GumboVector *c = &n->v.element.children;
            for (size_t i = c->length; i > 0 && sp < 256; i--)
                stack[sp++] = c->data[i - 1];
        }
    }
    return NULL;
}

int page_extract(const char *page_url, const uint8_t *html, size_t len,
                 const struct page_limits *lim, struct page_extract *out)
{
    memset(out, 0, sizeof *out);
    struct page_limits dl;
    if (!lim) {
        page_limits_default(&dl);
        lim = &dl;
    }
    if (!html || !len)
        return 0;
    if (len > lim->max_input) {
        len = lim->max_input;
        out->input_truncated = true;
    }
    GumboOptions opt = kGumboDefaultOptions;
    opt.max_errors = 1000; /* we do not read the errors; stop collecting them */
    GumboOutput *g = gumbo_parse_with_options(&opt, (const char *)html, len);
    if (!g)
        return 0;
    out->parsed = true;
    struct walk w = {.lim = lim, .out = out};
    w.base = page_url ? strdup(page_url) : NULL;
    const GumboNode *b = find_base(g->root);
    if (b) {
        char *nb = url_resolve(w.base, attr(&b->v.element, "href"));
        if (nb) {
            free(w.base);
            w.base = nb;
        }
    }
    /* Depth-first, document order, explicit stack. */
    size_t cap = 256, sp = 0;
    const GumboNode **stack = malloc(cap * sizeof *stack);
    if (stack)
        stack[sp++] = g->root;
    while (stack && sp) {
        const GumboNode *n = stack[--sp];
        if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE)
            continue;
        element(&w, &n->v.element);
        const GumboVector *c = &n->v.element.children;
        if (sp + c->length > cap) {
            size_t nc = cap;
            while (sp + c->length > nc)
                nc *= 2;
            const GumboNode **ns = realloc(stack, nc * sizeof *ns);
            if (!ns) {
                w.nomem = true;
                break;
            }
            stack = ns;
            cap = nc;
        }
        for (size_t i = c->length; i > 0; i--)
            stack[sp++] = c->data[i - 1];
    }
    free(stack);
    free(w.base);
    free(w.dl.h);
    free(w.dr.h);
    gumbo_destroy_output(&opt, g);
    return w.nomem || !stack ? -1 : 0;
}

void page_extract_release(struct page_extract *pe)
{
    for (size_t i = 0; i < pe->n_links; i++)
        free(pe->links[i].url);
    for (size_t i = 0; i < pe->n_res; i++)
        free(pe->res[i].url);
    free(pe->links);
    free(pe->res);
    memset(pe, 0, sizeof *pe);
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

void page_sample(uint64_t seed, size_t n, size_t k, size_t *out_idx)
{
    if (k >= n) {
        for (size_t i = 0; i < n; i++)
            out_idx[i] = i;
        return;
    }
    size_t *perm = malloc(n * sizeof *perm);
    if (!perm) {
        /* Out of memory: an evenly spaced sample is still deterministic. */
        for (size_t i = 0; i < k; i++)
            out_idx[i] = i * n / k;
        return;
    }
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    uint64_t s = seed;
    for (size_t i = 0; i < k; i++) {
        size_t j = i + (size_t)(splitmix64(&s) % (uint64_t)(n - i));
        size_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    memcpy(out_idx, perm, k * sizeof *out_idx);
    free(perm);
    qsort(out_idx, k, sizeof *out_idx, cmp_size);
}
