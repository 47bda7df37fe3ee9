/*
 * probe/site.c - the website test of one site (W1..W7, link and resource
 * concentration, IPv6-only readiness), as a callback-driven state machine.
 *
 * Phases (each waits until its `pending` count drops to zero):
 *   DNS    host lookup (A, AAAA, CNAME chain) and the zone's name servers
 *          (W1, W2) in parallel.
 *   HOME   the home page over IPv6 and over IPv4 (redirects followed per
 *          family), TCP connects to ports 80 and 443 on the first address
 *          of each family (W3, W5).
 *   LEVEL2 the other W4 attempts (spaced by attempt_spacing_ms); the
 *          internal links of the home page (sampled to l2_cap with the run
 *          seed) each fetched over IPv6; the home page's sub-resources
 *          fetched as a dual-stack client. A second-level page that fails
 *          over IPv6 is fetched over IPv4 too, only to find its links.
 *   LEVEL3 internal links of the second-level pages that are neither the
 *          home page nor second-level links (sampled to l3_cap), over IPv6;
 *          sub-resources of the first resource_pages sampled second-level
 *          pages.
 *   DONE   checks, reasons, score (verdict below), then the job's done().
 *
 * The home page the crawl starts from is the final page over IPv6 when it
 * answered 2xx, else the one over IPv4: a site that fails IPv6 still gets
 * its links measured, which is what the owner needs to fix.
 *
 * Sampling: a level with more links than its cap keeps a seeded sample
 * (page_sample with seed ^ hash of the site URL, so every site has its own
 * stable sample for a given run seed). Bodies are dropped as soon as the
 * phase that needs them is over.
 *
 * Memory per site: the state is the DNS part (the host and zone results,
 * ~21 kB, nearly all arrays read only up to their counts, so a state is
 * reset by its counts, not cleared) plus the web part (struct site_web:
 * chains, ports, crawl lists), allocated only when the run goes past DNS.
 * Released states go on a spare list in the run context (at most max_sites)
 * for the next sites: a DNS-only run starts thousands of sites a second.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe/page.h"
#include "probe/probe_int.h"
#include "probe/similar.h"
#include "util/hash.h"
#include "util/strutil.h"

enum site_phase { PH_DNS = 0, PH_HOME, PH_LEVEL2, PH_LEVEL3, PH_DONE };

struct site_state;

struct link_test {
    struct site_state *s;
    unsigned level;
    char *url;
    struct chain ch;   /* over IPv6 */
    struct chain disc; /* level 2: over IPv4, to find links when IPv6 failed */
    bool disc_used;
};

struct res_test {
    struct site_state *s;
    char *url;
    enum v6m_resource_kind kind;
    struct chain ch; /* dual-stack: IPv6 first */
};

struct port_probe {
    struct site_state *s;
    int family;
    uint16_t port;
    bool used, done;
    struct tcp_probe *handle; /* until the callback ran */
    struct tcp_result res;
};

struct site_state {
    struct site_state *next_spare; /* on ctx->site_spare once released */
    struct probe_job *job;
    struct probe_ctx *ctx;
    struct v6m_site_result *r;
    struct strpool *sp;
    enum site_phase phase;
    unsigned pending;
    uint64_t t0;
    uint64_t sample_seed;

    struct host_info host;
    struct zone_info zone;

    /* Everything after the DNS phase; NULL in a DNS-only run (--dns-only
     * tests thousands of sites a second and the 16 kB of chains and crawl
     * state were allocated and cleared for nothing). */
    struct site_web *web;
};

struct site_web {
    struct chain home6, home4;
    bool home6_used, home4_used;
    struct port_probe ports[4]; /* v6:80, v6:443, v4:80, v4:443 */

    /* W4 */
    struct chain att;
    struct loop_timer att_timer;
    unsigned att_done, att_ok;
    char att_fail[300];

    /* crawl */
    char *crawl_base;          /* final URL of the home page the crawl starts from */
    char **known;              /* sorted: home URLs and every level-2 link found */
    size_t n_known;
    struct link_test *l2, *l3;
    size_t n_l2, n_l3;
    struct res_test *res;
    size_t n_res, cap_res;
    char **res_seen;
    size_t n_res_seen, cap_res_seen;
};

static void site_advance(struct site_state *s);

static void pending_done(struct site_state *s)
{
    if (s->pending > 0)
        s->pending--;
    if (s->pending == 0)
        site_advance(s);
}

/* ---- small helpers ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool sorted_has(char **v, size_t n, const char *s)
{
    return n && bsearch(&s, v, n, sizeof *v, cmp_str) != NULL;
}


static const char *addr_list(struct site_state *s, const struct resolve_result *rr, int family)
{
    struct textbuf t = {0};
    for (unsigned i = 0; i < rr->n_addrs; i++) {
        char b[64];
        addr_text(family, rr->addrs[i].addr, b, sizeof b);
        if (i)
            textbuf_put(&t, " ", 1);
        textbuf_puts(&t, b);
    }
    const char *out = strpool_keep(s->sp, t.s);
    textbuf_release(&t);
    return out;
}

static void set_check(struct site_state *s, enum v6m_check_id id, enum v6m_check_state st,
                      const char *code, const char *message, const char *evidence)
{
    struct v6m_check *c = &s->r->check[id];
    c->state = st;
    util_strlcpy(c->code, code ? code : "", sizeof c->code);
    c->message = strpool_keep(s->sp, message);
    c->evidence = strpool_keep(s->sp, evidence);
}

/* ---- phase DNS ---- */

static void on_host(void *arg, const struct host_info *h)
{
    struct site_state *s = arg;
    if (s->ctx->stopping)
        return;
    resolver_host_copy(&s->host, h);
    pending_done(s);
}

static void on_zone(void *arg, const struct zone_info *z)
{
    struct site_state *s = arg;
    if (s->ctx->stopping)
        return;
    resolver_zone_copy(&s->zone, z);
    pending_done(s);
}

/* ---- phase HOME ---- */

static void on_home(void *arg, struct chain *c)
{
    if (c->ctx->stopping)
        return;
    pending_done(arg);
}

static void on_port(void *arg, const struct tcp_result *r)
{
    struct port_probe *pp = arg;
    pp->handle = NULL;
    if (pp->s->ctx->stopping)
        return;
    pp->res = *r;
    pp->done = true;
    pending_done(pp->s);
}

static void start_home(struct site_state *s)
{
    struct probe_ctx *ctx = s->ctx;
    bool has6 = s->host.n_v6_global > 0, has4 = s->host.n_v4 > 0;
    s->pending = 1; /* guard: completions cannot advance the phase while starting */
    if (has6 && ctx->v6_testable) {
        chain_init(&s->web->home6, ctx, 6);
        s->web->home6.keep_body = true;
        s->web->home6.retries = ctx->cfg->retries;
        s->web->home6.done = on_home;
        s->web->home6.arg = s;
        s->web->home6_used = true;
        s->pending++;
        chain_start(&s->web->home6, s->r->url);
    }
    if (has4 && ctx->v4_testable) {
        chain_init(&s->web->home4, ctx, 4);
        s->web->home4.keep_body = true;
        s->web->home4.retries = ctx->cfg->retries;
        s->web->home4.done = on_home;
        s->web->home4.arg = s;
        s->web->home4_used = true;
        s->pending++;
        chain_start(&s->web->home4, s->r->url);
    }
    static const uint16_t ports[2] = {80, 443};
    for (int i = 0; i < 4; i++) {
        struct port_probe *pp = &s->web->ports[i];
        pp->s = s;
        pp->family = i < 2 ? 6 : 4;
        pp->port = ports[i % 2];
        bool ok = pp->family == 6 ? (has6 && ctx->v6_testable) : (has4 && ctx->v4_testable);
        if (!ok)
            continue;
        const uint8_t *a = pp->family == 6 ? s->host.v6 : s->host.v4;
        uint64_t to = (uint64_t)ctx->cfg->connect_timeout_ms * 1000000ull;
        pp->handle = tcp_probe_start(ctx->loop, pp->family, a, pp->port, to, on_port, pp);
        if (pp->handle) {
            pp->used = true;
            s->pending++;
        }
    }
    pending_done(s);
}

/* ---- phase LEVEL2 ---- */

static void start_attempt(void *arg);

static void on_attempt(void *arg, struct chain *c)
{
    struct site_state *s = arg;
    if (s->ctx->stopping)
        return;
    s->web->att_done++;
    if (chain_ok_2xx(c))
        s->web->att_ok++;
    else if (!s->web->att_fail[0])
        chain_describe(c, s->web->att_fail, sizeof s->web->att_fail);
    chain_release(c);
    if (s->web->att_done < s->ctx->cfg->attempts) {
        loop_timer_init(&s->web->att_timer, start_attempt, s);
        loop_timer_after(s->ctx->loop, &s->web->att_timer,
                         (uint64_t)s->ctx->cfg->attempt_spacing_ms * 1000000ull);
        return;
    }
    pending_done(s);
}

static void start_attempt(void *arg)
{
    struct site_state *s = arg;
    chain_init(&s->web->att, s->ctx, 6);
    s->web->att.done = on_attempt;
    s->web->att.arg = s;
    chain_start(&s->web->att, s->r->url);
}

static bool is_internal(struct site_state *s, const char *url)
{
    struct url_parts p;
    if (!url_split(url, &p))
        return false;
    return url_same_site(s->ctx->psl, p.host, s->r->host);
}

static void on_link(void *arg, struct chain *c);

static void start_link_tests(struct site_state *s, struct link_test *v, size_t n, unsigned level)
{
    for (size_t i = 0; i < n; i++) {
        struct link_test *lt = &v[i];
        lt->s = s;
        lt->level = level;
        chain_init(&lt->ch, s->ctx, 6);
        lt->ch.keep_body = level == 2;
        lt->ch.discard_body = level != 2;
        lt->ch.done = on_link;
        lt->ch.arg = lt;
        s->pending++;
        chain_start(&lt->ch, lt->url);
    }
}

static void on_disc(void *arg, struct chain *c)
{
    struct link_test *lt = arg;
    if (c->ctx->stopping)
        return;
    pending_done(lt->s);
}

static void on_link(void *arg, struct chain *c)
{
    struct link_test *lt = arg;
    struct site_state *s = lt->s;
    if (s->ctx->stopping)
        return;
    if (lt->level == 2 && !chain_ok_2xx(c) && s->ctx->v4_testable) {
        /* Only to find third-level links; never counts as a pass. */
        chain_init(&lt->disc, s->ctx, 4);
        lt->disc.keep_body = true;
        lt->disc.done = on_disc;
        lt->disc.arg = lt;
        lt->disc_used = true;
        chain_start(&lt->disc, lt->url);
        return;
    }
    pending_done(s);
}

static void on_res(void *arg, struct chain *c)
{
    struct res_test *rt = arg;
    if (c->ctx->stopping)
        return;
    pending_done(rt->s);
}

static enum v6m_resource_kind res_kind(unsigned page_kind)
{
    switch (page_kind) {
    case PAGE_IMG: return V6M_RES_IMG;
    case PAGE_SCRIPT: return V6M_RES_SCRIPT;
    case PAGE_STYLE: return V6M_RES_STYLE;
    case PAGE_ICON: return V6M_RES_ICON;
    case PAGE_IFRAME: return V6M_RES_IFRAME;
    case PAGE_SOURCE: return V6M_RES_SOURCE;
    case PAGE_VIDEO: return V6M_RES_VIDEO;
    case PAGE_AUDIO: return V6M_RES_AUDIO;
    default: return V6M_RES_EMBED;
    }
}

/* Queue the sub-resources of one page (deduplicated across the site). */
static void add_resources(struct site_state *s, const struct page_extract *pe)
{
    for (size_t i = 0; i < pe->n_res; i++) {
        if (s->web->n_res >= s->ctx->cfg->resources_cap)
            return;
        const char *u = pe->res[i].url;
        bool seen = false;
        for (size_t j = 0; j < s->web->n_res_seen; j++)
            if (strcmp(s->web->res_seen[j], u) == 0) {
                seen = true;
                break;
            }
        if (seen)
            continue;
        if (s->web->n_res_seen == s->web->cap_res_seen) {
            size_t cap = s->web->cap_res_seen ? s->web->cap_res_seen * 2 : 32;
            char **n = realloc(s->web->res_seen, cap * sizeof *n);
            if (!n)
                return;
            s->web->res_seen = n;
            s->web->cap_res_seen = cap;
        }
        if (s->web->n_res == s->web->cap_res) {
            size_t cap = s->web->cap_res ? s->web->cap_res * 2 : 32;
            struct res_test *n = realloc(s->web->res, cap * sizeof *n);
            if (!n)
                return;
            s->web->res = n;
            s->web->cap_res = cap;
        }
        char *copy = strdup(u);
        if (!copy)
            return;
        s->web->res_seen[s->web->n_res_seen++] = copy;
        struct res_test *rt = &s->web->res[s->web->n_res++];
        memset(rt, 0, sizeof *rt);
        rt->s = s;
        rt->url = copy;
        rt->kind = res_kind(pe->res[i].kind);
    }
}

static void start_resources(struct site_state *s, size_t from)
{
    /* res[] may have been reallocated while queuing: chains point back at
     * their res_test, so start them only after all are queued. */
    for (size_t i = from; i < s->web->n_res; i++) {
        struct res_test *rt = &s->web->res[i];
        chain_init(&rt->ch, s->ctx, 0);
        rt->ch.discard_body = true;
        rt->ch.done = on_res;
        rt->ch.arg = rt;
        s->pending++;
        chain_start(&rt->ch, rt->url);
    }
}

static struct page_limits page_lim(const struct probe_ctx *ctx)
{
    struct page_limits lim;
    page_limits_default(&lim);
    (void)ctx;
    return lim;
}

/* Internal links of a page, excluding `known` (sorted) and duplicates
 * within `out` (collected unsorted, deduplicated at the end). */
static void collect_internal(struct site_state *s, const struct page_extract *pe, char ***out,
                             size_t *n, size_t *cap)
{
    for (size_t i = 0; i < pe->n_links; i++) {
        const char *u = pe->links[i].url;
        if (sorted_has(s->web->known, s->web->n_known, u) || !is_internal(s, u))
            continue;
        if (*n == *cap) {
            size_t c = *cap ? *cap * 2 : 64;
            char **nv = realloc(*out, c * sizeof *nv);
            if (!nv)
                return;
            *out = nv;
            *cap = c;
        }
        char *copy = strdup(u);
        if (copy)
            (*out)[(*n)++] = copy;
    }
}

static size_t sort_unique(char **v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_str);
    size_t w = 1;
    for (size_t i = 1; i < n; i++) {
        if (strcmp(v[i], v[w - 1]) == 0) {
            free(v[i]);
            continue;
        }
        v[w++] = v[i];
    }
    return w;
}

static void add_known(struct site_state *s, const char *u)
{
    char **n = realloc(s->web->known, (s->web->n_known + 1) * sizeof *n);
    if (!n)
        return;
    s->web->known = n;
    /* In the links' normal form, so "http://WWW.X.LAB" matches "http://www.x.lab/". */
    char *copy = url_resolve(NULL, u);
    if (!copy)
        copy = strdup(u);
    if (!copy)
        return;
    s->web->known[s->web->n_known++] = copy;
    s->web->n_known = sort_unique(s->web->known, s->web->n_known);
}

/* Build link tests from candidates: sample to cap, keep sample order
 * (ascending index of the sorted list: deterministic). Frees cands. */
static struct link_test *make_tests(struct site_state *s, char **cands, size_t n, unsigned cap,
                                    size_t *n_out, uint64_t salt)
{
    *n_out = 0;
    if (n == 0) {
        free(cands);
        return NULL;
    }
    size_t k = n < cap ? n : cap;
    size_t *idx = calloc(k ? k : 1, sizeof *idx);
    struct link_test *v = calloc(k ? k : 1, sizeof *v);
    if (!idx || !v) {
        free(idx);
        free(v);
        for (size_t i = 0; i < n; i++)
            free(cands[i]);
        free(cands);
        return NULL;
    }
    page_sample(s->sample_seed ^ salt, n, k, idx);
    bool *taken = calloc(n, 1);
    for (size_t i = 0; i < k; i++) {
        v[i].url = cands[idx[i]];
        if (taken)
            taken[idx[i]] = true;
    }
    for (size_t i = 0; i < n; i++)
        if (!taken || !taken[i])
            free(cands[i]);
    free(taken);
    free(idx);
    free(cands);
    *n_out = k;
    return v;
}

static void w5_compare(struct site_state *s)
{
    struct v6m_site_result *r = s->r;
    r->similarity_distance = UINT32_MAX;
    if (!(s->web->home6_used && s->web->home4_used && s->web->home6.outcome == CH_RESPONSE &&
          s->web->home4.outcome == CH_RESPONSE))
        return;
    r->similarity_distance = similar_distance(s->web->home6.body, s->web->home6.body_len, s->web->home4.body,
                                              s->web->home4.body_len);
    struct page_limits lim = page_lim(s->ctx);
    struct page_extract p6, p4;
    memset(&p6, 0, sizeof p6);
    memset(&p4, 0, sizeof p4);
    page_extract(s->web->home6.final_url, s->web->home6.body, s->web->home6.body_len, &lim, &p6);
    page_extract(s->web->home4.final_url, s->web->home4.body, s->web->home4.body_len, &lim, &p4);
    const char **a = calloc(p6.n_links + 1, sizeof *a);
    const char **b = calloc(p4.n_links + 1, sizeof *b);
    if (a && b) {
        for (size_t i = 0; i < p6.n_links; i++)
            a[i] = p6.links[i].url;
        for (size_t i = 0; i < p4.n_links; i++)
            b[i] = p4.links[i].url;
        struct linkset_diff d;
        similar_linkset(a, p6.n_links, b, p4.n_links, &d);
        r->links_only_v6 = (unsigned)d.only_a;
        r->links_only_v4 = (unsigned)d.only_b;
        r->links_common = (unsigned)d.common;
    }
    free(a);
    free(b);
    page_extract_release(&p6);
    page_extract_release(&p4);
}

static void start_level2(struct site_state *s)
{
    struct probe_ctx *ctx = s->ctx;
    s->pending = 1;
    w5_compare(s);

    /* W4: W3's fetch is the first attempt. */
    if (s->web->home6_used) {
        s->web->att_done = 1;
        s->web->att_ok = chain_ok_2xx(&s->web->home6) ? 1 : 0;
        if (!s->web->att_ok)
            chain_describe(&s->web->home6, s->web->att_fail, sizeof s->web->att_fail);
        if (ctx->cfg->attempts > 1) {
            s->pending++;
            loop_timer_init(&s->web->att_timer, start_attempt, s);
            loop_timer_after(ctx->loop, &s->web->att_timer,
                             (uint64_t)ctx->cfg->attempt_spacing_ms * 1000000ull);
        }
    }

    if (ctx->cfg->crawl) {
        struct chain *base = NULL;
        if (s->web->home6_used && chain_ok_2xx(&s->web->home6))
            base = &s->web->home6;
        else if (s->web->home4_used && chain_ok_2xx(&s->web->home4))
            base = &s->web->home4;
        add_known(s, s->r->url);
        if (base) {
            s->web->crawl_base = strdup(base->final_url);
            add_known(s, base->final_url);
            struct page_limits lim = page_lim(ctx);
            struct page_extract pe;
            memset(&pe, 0, sizeof pe);
            page_extract(base->final_url, base->body, base->body_len, &lim, &pe);
            char **cands = NULL;
            size_t n = 0, cap = 0;
            collect_internal(s, &pe, &cands, &n, &cap);
            n = sort_unique(cands, n);
            s->r->l2_found = (unsigned)n;
            for (size_t i = 0; i < n; i++)
                add_known(s, cands[i]);
            s->web->l2 = make_tests(s, cands, n, ctx->cfg->l2_cap, &s->web->n_l2, 2);
            add_resources(s, &pe);
            page_extract_release(&pe);
            start_link_tests(s, s->web->l2, s->web->n_l2, 2);
            start_resources(s, 0);
        }
    }
    /* Bodies of the home page are no longer needed. */
    free(s->web->home6.body);
    free(s->web->home4.body);
    s->web->home6.body = s->web->home4.body = NULL;
    s->web->home6.body_len = s->web->home4.body_len = 0;
    pending_done(s);
}

static void start_level3(struct site_state *s)
{
    struct probe_ctx *ctx = s->ctx;
    s->pending = 1;
    char **cands = NULL;
    size_t n = 0, cap = 0;
    size_t res_from = s->web->n_res;
    struct page_limits lim = page_lim(ctx);
    for (size_t i = 0; i < s->web->n_l2; i++) {
        struct link_test *lt = &s->web->l2[i];
        struct chain *src = chain_ok_2xx(&lt->ch) ? &lt->ch
                            : (lt->disc_used && chain_ok_2xx(&lt->disc)) ? &lt->disc : NULL;
        if (!src || !src->body_len)
            continue;
        struct page_extract pe;
        memset(&pe, 0, sizeof pe);
        page_extract(src->final_url, src->body, src->body_len, &lim, &pe);
        collect_internal(s, &pe, &cands, &n, &cap);
        if (i < ctx->cfg->resource_pages)
            add_resources(s, &pe);
        page_extract_release(&pe);
        free(lt->ch.body);
        lt->ch.body = NULL;
        lt->ch.body_len = 0;
        if (lt->disc_used) {
            free(lt->disc.body);
            lt->disc.body = NULL;
            lt->disc.body_len = 0;
        }
    }
    n = sort_unique(cands, n);
    s->r->l3_found = (unsigned)n;
    s->web->l3 = make_tests(s, cands, n, ctx->cfg->l3_cap, &s->web->n_l3, 3);
    start_link_tests(s, s->web->l3, s->web->n_l3, 3);
    start_resources(s, res_from);
    pending_done(s);
}

/* ---- verdict ---- */

static const char *w1_message(struct site_state *s, char *code, size_t codelen)
{
    const struct host_info *h = &s->host;
    const char *host = s->r->host;
    const struct resolve_result *q = &h->aaaa;
    const struct resolve_result *chainsrc = q->n_cnames ? q : &h->a;
    struct textbuf t = {0};
    if (h->n_v6_global) {
        code[0] = '\0';
        return "";
    }
    if (q->status == RS_NXDOMAIN || (h->a.status == RS_NXDOMAIN && q->status != RS_OK)) {
        util_strlcpy(code, "W1_NXDOMAIN", codelen);
        textbuf_add(&t, "%s does not exist in DNS (NXDOMAIN)", host);
    } else if (h->n_v6_other) {
        util_strlcpy(code, "W1_NOT_GLOBAL", codelen);
        textbuf_add(&t, "the AAAA record%s of %s ", h->n_v6_other > 1 ? "s" : "", host);
        for (unsigned i = 0; i < q->n_addrs; i++) {
            char b[64];
            addr_text(6, q->addrs[i].addr, b, sizeof b);
            textbuf_add(&t, "%s%s (%s)", i ? ", " : "", b,
                        addrclass_name(addrclass_v6(q->addrs[i].addr)));
        }
        textbuf_add(&t, " %s not global unicast; nobody on the internet can reach %s",
                    h->n_v6_other > 1 ? "are" : "is", h->n_v6_other > 1 ? "them" : "it");
    } else if (q->status == RS_OK || q->status == RS_NODATA) {
        if (chainsrc->n_cnames) {
            util_strlcpy(code, "W1_CNAME_NO_AAAA", codelen);
            const char *end = chainsrc->cname[chainsrc->n_cnames - 1];
            textbuf_add(&t, "no AAAA for %s (CNAME to %s, which has %s)", host, end,
                        h->n_v4 ? "only A" : "no address at all");
        } else {
            util_strlcpy(code, "W1_NO_AAAA", codelen);
            if (h->n_v4)
                textbuf_add(&t, "no AAAA for %s (it has only A: %s)", host,
                            addr_list(s, &h->a, 4));
            else
                textbuf_add(&t, "no AAAA for %s (and no A either)", host);
        }
    } else {
        util_strlcpy(code, q->status == RS_BOGUS ? "W1_DNS_BOGUS" : "W1_DNS", codelen);
        textbuf_add(&t, "the AAAA lookup for %s failed: %s%s%s", host,
                    resolve_status_name(q->status), q->detail[0] ? " (" : "",
                    q->detail[0] ? q->detail : "");
        if (q->detail[0])
            textbuf_add(&t, ")");
    }
    const char *out = strpool_keep(s->sp, t.s);
    textbuf_release(&t);
    return out;
}

static void verdict_w2(struct site_state *s)
{
    const struct zone_info *z = &s->zone;
    if (!s->ctx->v6_testable) {
        set_check(s, V6M_W2, V6M_CHECK_NOT_TESTABLE, "", "this vantage point has no working IPv6",
                  "");
        return;
    }
    struct textbuf ev = {0};
    for (unsigned i = 0; i < z->n_ns; i++) {
        const struct ns_check *n = &z->ns[i];
        char b[64] = "";
        if (n->n_v6_global)
            addr_text(6, n->v6, b, sizeof b);
        if (i)
            textbuf_put(&ev, "; ", 2);
        textbuf_puts(&ev, n->name);
        textbuf_put(&ev, ": ", 2);
        textbuf_puts(&ev, n->n_v6_global ? b : "no AAAA");
        textbuf_puts(&ev, n->n_v6_global ? (n->answered_v6 ? " answers over IPv6"
                                                           : " does not answer over IPv6")
                                         : "");
    }
    char msg[600];
    const char *code = "";
    enum v6m_check_state st = V6M_CHECK_PASS;
    if (!z->zone[0] || z->n_ns == 0) {
        st = V6M_CHECK_FAIL;
        code = "W2_NO_ZONE";
        snprintf(msg, sizeof msg, "could not find the name servers of %s: %s", s->r->host,
                 z->detail[0] ? z->detail : resolve_status_name(z->status));
    } else if (z->n_ns_v6 < 2) {
        st = V6M_CHECK_FAIL;
        code = "W2_NS_NO_IPV6";
        snprintf(msg, sizeof msg,
                 "only %u of the %u name servers of %s %s an IPv6 address (AAAA); at least 2 are needed",
                 z->n_ns_v6, z->n_ns, z->zone, z->n_ns_v6 == 1 ? "has" : "have");
    } else if (z->n_ns_v6_answering < z->n_ns_v6) {
        st = V6M_CHECK_FAIL;
        code = "W2_NS_NO_ANSWER";
        struct textbuf t = {0};
        textbuf_add(&t, "%u of the %u name servers of %s with an IPv6 address do not answer over IPv6:",
                    z->n_ns_v6 - z->n_ns_v6_answering, z->n_ns_v6, z->zone);
        unsigned k = 0;
        for (unsigned i = 0; i < z->n_ns; i++)
            if (z->ns[i].n_v6_global && !z->ns[i].answered_v6)
                textbuf_add(&t, "%s%s", k++ ? "; " : " ",
                            z->ns[i].detail[0] ? z->ns[i].detail : z->ns[i].name);
        snprintf(msg, sizeof msg, "%s", t.s ? t.s : "");
        textbuf_release(&t);
    } else {
        msg[0] = '\0';
    }
    set_check(s, V6M_W2, st, code, msg, ev.s);
    textbuf_release(&ev);
}

static void hops_evidence(struct textbuf *t, const struct chain *c)
{
    for (unsigned i = 0; i < c->n_hops; i++) {
        const struct chain_hop *h = &c->hops[i];
        textbuf_add(t, "%s%s [%s]", i ? " -> " : "", h->url ? h->url : "?",
                    h->address[0] ? h->address : "not connected");
        if (h->status)
            textbuf_add(t, " %ld", h->status);
    }
}

static void verdict_w3(struct site_state *s)
{
    struct v6m_check *w1 = &s->r->check[V6M_W1];
    if (!s->ctx->v6_testable) {
        set_check(s, V6M_W3, V6M_CHECK_NOT_TESTABLE, "", "this vantage point has no working IPv6",
                  "");
        return;
    }
    if (w1->state == V6M_CHECK_FAIL || !s->web->home6_used) {
        char m[700];
        snprintf(m, sizeof m, "the home page cannot load over IPv6: %s", w1->message);
        set_check(s, V6M_W3, V6M_CHECK_FAIL, w1->code[0] ? w1->code : "W1_NO_AAAA", m, "");
        return;
    }
    const struct chain *c = &s->web->home6;
    struct textbuf ev = {0};
    hops_evidence(&ev, c);
    char code[48] = "", m[800] = "";
    enum v6m_check_state st = V6M_CHECK_FAIL;
    if (chain_ok_2xx(c)) {
        st = V6M_CHECK_PASS;
    } else if (c->outcome == CH_RESPONSE) {
        util_strlcpy(code, "W3_HTTP_STATUS", sizeof code);
        char over4[64] = "";
        if (s->web->home4_used && s->web->home4.outcome == CH_RESPONSE)
            snprintf(over4, sizeof over4, " (over IPv4: HTTP %ld)", s->web->home4.final_status);
        snprintf(m, sizeof m, "the home page over IPv6 ends with HTTP %ld at %s%s",
                 c->final_status, c->final_url ? c->final_url : s->r->url, over4);
    } else if (c->outcome == CH_DNS && c->n_hops > 1) {
        util_strlcpy(code, "W3_REDIRECT_NO_AAAA", sizeof code);
        const char *from = c->n_hops >= 2 ? c->hops[c->n_hops - 2].url : s->r->url;
        snprintf(m, sizeof m, "%s redirects to %s, but %s", from, c->hops[c->n_hops - 1].url,
                 c->detail);
    } else if (c->outcome == CH_REDIRECTS) {
        util_strlcpy(code, "W3_REDIRECTS", sizeof code);
        snprintf(m, sizeof m, "the home page over IPv6 %s", c->detail);
    } else {
        snprintf(code, sizeof code, "W3_%s", c->code[0] ? c->code : "FAILED");
        if (c->n_hops > 1)
            snprintf(m, sizeof m, "%s (at redirect %u, %s)", c->detail, c->n_hops - 1,
                     c->hops[c->n_hops - 1].url);
        else
            snprintf(m, sizeof m, "%s", c->detail);
    }
    set_check(s, V6M_W3, st, code, m, ev.s);
    textbuf_release(&ev);
}

static void verdict_w4(struct site_state *s)
{
    struct v6m_check *c = &s->r->check[V6M_W4];
    unsigned n = s->ctx->cfg->attempts;
    s->r->attempts = s->web->home6_used ? s->web->att_done : n;
    s->r->attempts_ok = s->web->att_ok;
    if (!s->ctx->v6_testable) {
        set_check(s, V6M_W4, V6M_CHECK_NOT_TESTABLE, "", "this vantage point has no working IPv6",
                  "");
        return;
    }
    c->total = s->r->attempts;
    c->passed = s->web->att_ok;
    c->rate = c->total ? (double)c->passed / c->total : 0;
    if (!s->web->home6_used) {
        struct v6m_check *w1 = &s->r->check[V6M_W1];
        char m[700];
        snprintf(m, sizeof m, "no attempt over IPv6 was possible: %s", w1->message);
        set_check(s, V6M_W4, V6M_CHECK_FAIL, w1->code[0] ? w1->code : "W1_NO_AAAA", m, "");
        return;
    }
    if (s->web->att_ok == s->web->att_done) {
        set_check(s, V6M_W4, V6M_CHECK_PASS, "", "", "");
        return;
    }
    char m[600];
    snprintf(m, sizeof m, "%u of %u attempts over IPv6 reached the home page; a failure: %s",
             s->web->att_ok, s->web->att_done, s->web->att_fail);
    set_check(s, V6M_W4, V6M_CHECK_FAIL, s->web->att_ok ? "W4_FLAKY" : "W4_FAILED", m, "");
}

static bool port_open(const struct port_probe *p)
{
    return p->used && p->done && p->res.status == TCP_OPEN;
}

static void verdict_w5(struct site_state *s)
{
    struct v6m_site_result *r = s->r;
    const struct v6m_probe_config *cfg = s->ctx->cfg;
    if (!s->ctx->v6_testable || !s->ctx->v4_testable) {
        set_check(s, V6M_W5, V6M_CHECK_NOT_TESTABLE, "",
                  s->ctx->v6_testable ? "this vantage point has no working IPv4"
                                      : "this vantage point has no working IPv6",
                  "");
        return;
    }
    if (s->host.n_v4 == 0) {
        set_check(s, V6M_W5, V6M_CHECK_SKIPPED, "", "the site has no IPv4 address to compare with",
                  "");
        return;
    }
    struct textbuf m = {0}, ev = {0};
    char code[40] = "";
    long st6 = s->web->home6_used && s->web->home6.outcome == CH_RESPONSE ? s->web->home6.final_status : 0;
    long st4 = s->web->home4_used && s->web->home4.outcome == CH_RESPONSE ? s->web->home4.final_status : 0;
    if (st6 != st4) {
        util_strlcpy(code, "W5_STATUS", sizeof code);
        if (st6 && st4)
            textbuf_add(&m, "the home page answers HTTP %ld over IPv6 but HTTP %ld over IPv4", st6, st4);
        else if (!st6)
            textbuf_add(&m, "the home page gives no answer over IPv6 (%s) but HTTP %ld over IPv4",
                        s->web->home6_used ? s->web->home6.detail : "no AAAA", st4);
        else
            textbuf_add(&m, "the home page answers HTTP %ld over IPv6 but nothing over IPv4 (%s)",
                        st6, s->web->home4.detail);
    }
    /* Ports 80 and 443: compare open/closed per family (only when both
     * families have an address). */
    if (s->host.n_v6_global) {
        for (int i = 0; i < 2; i++) {
            bool o6 = port_open(&s->web->ports[i]), o4 = port_open(&s->web->ports[i + 2]);
            textbuf_add(&ev, "%sport %u: IPv6 %s, IPv4 %s", ev.len ? "; " : "", s->web->ports[i].port,
                        o6 ? "open" : s->web->ports[i].done ? tcp_status_name(s->web->ports[i].res.status) : "not tried",
                        o4 ? "open" : s->web->ports[i + 2].done ? tcp_status_name(s->web->ports[i + 2].res.status) : "not tried");
            if (o6 != o4) {
                if (!code[0])
                    util_strlcpy(code, "W5_PORTS", sizeof code);
                textbuf_add(&m, "%sport %u is open over IPv%d but not over IPv%d (%s)",
                            m.len ? "; " : "", s->web->ports[i].port, o6 ? 6 : 4, o6 ? 4 : 6,
                            o6 ? s->web->ports[i + 2].res.detail : s->web->ports[i].res.detail);
            }
        }
    }
    if (r->similarity_distance != UINT32_MAX) {
        textbuf_add(&ev, "%sbody distance %u (limit %u)", ev.len ? "; " : "",
                    r->similarity_distance, cfg->similarity_max);
        if (r->similarity_distance > cfg->similarity_max) {
            if (!code[0])
                util_strlcpy(code, "W5_CONTENT", sizeof code);
            textbuf_add(&m, "%sthe home page differs between IPv4 and IPv6 (distance %u, limit %u)",
                        m.len ? "; " : "", r->similarity_distance, cfg->similarity_max);
        }
        unsigned uni = r->links_only_v4 + r->links_only_v6 + r->links_common;
        unsigned diff = r->links_only_v4 + r->links_only_v6;
        textbuf_add(&ev, "; links: %u common, %u only over IPv6, %u only over IPv4",
                    r->links_common, r->links_only_v6, r->links_only_v4);
        if (uni && (double)diff > cfg->linkdiff_max * uni) {
            if (!code[0])
                util_strlcpy(code, "W5_LINKS", sizeof code);
            textbuf_add(&m, "%sthe home page links differ: %u only over IPv6, %u only over IPv4, %u common",
                        m.len ? "; " : "", r->links_only_v6, r->links_only_v4, r->links_common);
        }
    }
    set_check(s, V6M_W5, code[0] ? V6M_CHECK_FAIL : V6M_CHECK_PASS, code, m.s, ev.s);
    textbuf_release(&m);
    textbuf_release(&ev);
}

static const char *link_code(const struct chain *c)
{
    if (chain_ok_2xx(c))
        return "";
    if (c->outcome == CH_RESPONSE)
        return "HTTP_STATUS";
    return c->code[0] ? c->code : "FAILED";
}

static void verdict_links(struct site_state *s, enum v6m_check_id id, struct link_test *v,
                          size_t n, unsigned found)
{
    const char *level = id == V6M_W6 ? "second-level" : "third-level";
    struct v6m_check *c = &s->r->check[id];
    if (!s->ctx->cfg->crawl) {
        set_check(s, id, V6M_CHECK_SKIPPED, "", "crawl not requested (--no-crawl)", "");
        return;
    }
    if (!s->ctx->v6_testable) {
        set_check(s, id, V6M_CHECK_NOT_TESTABLE, "", "this vantage point has no working IPv6", "");
        return;
    }
    if (!s->web->crawl_base) {
        char m[300];
        snprintf(m, sizeof m, "the home page could not be loaded over IPv6 or IPv4, so its %s links are unknown",
                 level);
        set_check(s, id, V6M_CHECK_FAIL, id == V6M_W6 ? "W6_NO_HOME" : "W7_NO_HOME", m, "");
        c->rate = 0;
        return;
    }
    if (n == 0) {
        char m[200];
        snprintf(m, sizeof m, "no %s internal links found", level);
        set_check(s, id, V6M_CHECK_SKIPPED, "", m, "");
        return;
    }
    unsigned pass = 0;
    struct textbuf ev = {0};
    unsigned listed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (chain_ok_2xx(&v[i].ch)) {
            pass++;
            continue;
        }
        failed++;
        if (listed < 5) {
            char d[400];
            chain_describe(&v[i].ch, d, sizeof d);
            textbuf_add(&ev, "%s%s (%s)", listed ? "; " : "", v[i].url, d);
            listed++;
        }
    }
    if (failed > listed)
        textbuf_add(&ev, "; and %u more", failed - listed);
    c->passed = pass;
    c->total = (unsigned)n;
    c->rate = (double)pass / (double)n;
    if (c->rate >= s->ctx->cfg->link_pass) {
        set_check(s, id, V6M_CHECK_PASS, "", "", ev.s);
    } else {
        char m[400];
        snprintf(m, sizeof m, "%u of %zu %s links%s fail over IPv6 (%.0f%% pass, %.0f%% needed)",
                 failed, n, level, found > n ? " (sampled)" : "", c->rate * 100,
                 s->ctx->cfg->link_pass * 100);
        set_check(s, id, V6M_CHECK_FAIL, id == V6M_W6 ? "W6_LINKS" : "W7_LINKS", m, ev.s);
    }
    textbuf_release(&ev);
}

static void fill_urls(struct site_state *s)
{
    struct v6m_site_result *r = s->r;
    const struct site_web *w = s->web; /* NULL: DNS only, the home page alone */
    size_t n = 1 + (w ? w->n_l2 + w->n_l3 : 0);
    r->urls = calloc(n, sizeof *r->urls);
    if (!r->urls)
        return;
    size_t k = 0;
    /* home */
    struct v6m_url_result *u = &r->urls[k++];
    u->url = r->url;
    u->host = r->host;
    u->level = 1;
    u->has_aaaa = s->host.n_v6_global > 0;
    u->pass = r->check[V6M_W3].state == V6M_CHECK_PASS;
    u->status = w && w->home6_used && w->home6.outcome == CH_RESPONSE ? w->home6.final_status : 0;
    u->code = strpool_keep(s->sp, r->check[V6M_W3].code);
    u->detail = r->check[V6M_W3].message;
    for (int lvl = 2; w && lvl <= 3; lvl++) {
        struct link_test *v = lvl == 2 ? w->l2 : w->l3;
        size_t nv = lvl == 2 ? w->n_l2 : w->n_l3;
        for (size_t i = 0; i < nv; i++) {
            u = &r->urls[k++];
            struct url_parts p;
            u->url = strpool_keep(s->sp, v[i].url);
            u->host = strpool_keep(s->sp, url_split(v[i].url, &p) ? p.host : "");
            u->level = (unsigned)lvl;
            u->has_aaaa = v[i].ch.first_has_v6;
            u->pass = chain_ok_2xx(&v[i].ch);
            u->status = v[i].ch.outcome == CH_RESPONSE ? v[i].ch.final_status : 0;
            u->code = strpool_keep(s->sp, link_code(&v[i].ch));
            char d[600] = "";
            if (!u->pass)
                chain_describe(&v[i].ch, d, sizeof d);
            u->detail = strpool_keep(s->sp, d);
        }
    }
    r->n_urls = k;
}

static void fill_resources(struct site_state *s)
{
    struct v6m_site_result *r = s->r;
    size_t n_res = s->web ? s->web->n_res : 0;
    r->resources = calloc(n_res ? n_res : 1, sizeof *r->resources);
    if (!r->resources)
        return;
    struct textbuf blockers = {0};
    char **bl = NULL;
    size_t nbl = 0;
    for (size_t i = 0; i < n_res; i++) {
        struct res_test *rt = &s->web->res[i];
        struct v6m_resource *o = &r->resources[i];
        struct url_parts p;
        o->url = strpool_keep(s->sp, rt->url);
        o->host = strpool_keep(s->sp, url_split(rt->url, &p) ? p.host : "");
        o->kind = rt->kind;
        bool ok = chain_ok_2xx(&rt->ch);
        o->family_used = ok ? (rt->ch.v6_all ? 6 : 4) : 0;
        o->v6_ok = ok && rt->ch.v6_all;
        o->bytes = ok ? rt->ch.body_bytes : 0;
        char d[600] = "";
        if (!o->v6_ok) {
            if (rt->ch.v6_problem[0])
                snprintf(d, sizeof d, "%s", rt->ch.v6_problem);
            else
                chain_describe(&rt->ch, d, sizeof d);
            bool dup = false;
            for (size_t j = 0; j < nbl; j++)
                if (strcmp(bl[j], o->host) == 0)
                    dup = true;
            if (!dup) {
                char **nb = realloc(bl, (nbl + 1) * sizeof *nb);
                if (nb) {
                    bl = nb;
                    bl[nbl++] = (char *)o->host;
                    textbuf_add(&blockers, "%s%s", nbl > 1 ? " " : "", o->host);
                }
            }
        }
        o->detail = strpool_keep(s->sp, d);
        r->res_total++;
        if (o->v6_ok)
            r->res_v6_ok++;
        r->res_bytes += o->bytes;
        if (o->v6_ok)
            r->res_bytes_v6 += o->bytes;
    }
    free(bl);
    r->n_resources = n_res;
    r->resource_concentration = r->res_bytes ? (double)r->res_bytes_v6 / (double)r->res_bytes : -1;
    r->ipv6_only_blockers = strpool_keep(s->sp, blockers.s);
    textbuf_release(&blockers);
}

static void finish(struct site_state *s)
{
    struct v6m_site_result *r = s->r;
    struct probe_ctx *ctx = s->ctx;
    const struct host_info *h = &s->host;
    r->testable = ctx->v6_testable;
    r->addrs_v4 = addr_list(s, &h->a, 4);
    r->addrs_v6 = addr_list(s, &h->aaaa, 6);
    const struct resolve_result *cs = h->aaaa.n_cnames ? &h->aaaa : &h->a;
    struct textbuf t = {0};
    if (cs->n_cnames) {
        textbuf_add(&t, "%s", r->host);
        for (unsigned i = 0; i < cs->n_cnames; i++)
            textbuf_add(&t, " -> %s", cs->cname[i]);
    }
    r->cname_chain = strpool_keep(s->sp, t.s);
    textbuf_release(&t);
    r->zone = strpool_keep(s->sp, s->zone.zone);
    r->ns_total = s->zone.n_ns;
    r->ns_v6 = s->zone.n_ns_v6;
    r->ns_v6_answering = s->zone.n_ns_v6_answering;

    /* W1 */
    char code[40];
    const char *m = w1_message(s, code, sizeof code);
    set_check(s, V6M_W1, code[0] ? V6M_CHECK_FAIL : V6M_CHECK_PASS, code, m, r->cname_chain);
    verdict_w2(s);
    const struct site_web *w = s->web;
    if (w) {
        verdict_w3(s);
        verdict_w4(s);
        verdict_w5(s);
        verdict_links(s, V6M_W6, w->l2, w->n_l2, r->l2_found);
        verdict_links(s, V6M_W7, w->l3, w->n_l3, r->l3_found);
    } else {
        /* DNS only: W3..W7 were not run. W4's attempts read as in a run
         * where no attempt over IPv6 started (verdict_w4). The message is
         * a literal: it outlives every result, no copy needed. */
        r->attempts = ctx->cfg->attempts;
        r->attempts_ok = 0;
        for (int i = V6M_W3; i < V6M_CHECKS; i++) {
            struct v6m_check *c = &r->check[i];
            c->state = V6M_CHECK_SKIPPED;
            c->code[0] = '\0';
            c->message = "not requested (DNS checks only)";
            c->evidence = "";
            c->rate = -1;
            c->passed = c->total = 0;
        }
    }

    /* hops */
    for (int f = 0; w && f < 2; f++) {
        const struct chain *c = f == 0 ? &w->home6 : &w->home4;
        bool used = f == 0 ? w->home6_used : w->home4_used;
        if (!used || c->n_hops == 0)
            continue;
        struct v6m_hop *hv = calloc(c->n_hops, sizeof *hv);
        if (!hv)
            continue;
        for (unsigned i = 0; i < c->n_hops; i++) {
            hv[i].url = strpool_keep(s->sp, c->hops[i].url);
            hv[i].family = c->hops[i].family ? c->hops[i].family : (f == 0 ? 6 : 4);
            hv[i].address = strpool_keep(s->sp, c->hops[i].address);
            hv[i].status = c->hops[i].status;
            hv[i].error = strpool_keep(s->sp, c->hops[i].error);
        }
        if (f == 0) {
            r->hops_v6 = hv;
            r->n_hops_v6 = c->n_hops;
        } else {
            r->hops_v4 = hv;
            r->n_hops_v4 = c->n_hops;
        }
    }
    r->status_v6 = w && w->home6_used && w->home6.outcome == CH_RESPONSE ? w->home6.final_status : 0;
    r->status_v4 = w && w->home4_used && w->home4.outcome == CH_RESPONSE ? w->home4.final_status : 0;

    /* concentration */
    for (size_t i = 0; w && i < w->n_l2; i++)
        r->l2_pass += chain_ok_2xx(&w->l2[i].ch);
    for (size_t i = 0; w && i < w->n_l3; i++)
        r->l3_pass += chain_ok_2xx(&w->l3[i].ch);
    r->l2_total = w ? (unsigned)w->n_l2 : 0;
    r->l3_total = w ? (unsigned)w->n_l3 : 0;
    unsigned home_pass = r->check[V6M_W3].state == V6M_CHECK_PASS;
    r->link_concentration = ctx->v6_testable
        ? (double)(home_pass + r->l2_pass + r->l3_pass) / (double)(1 + r->l2_total + r->l3_total)
        : -1;
    fill_urls(s);
    fill_resources(s);
    r->ipv6_only_ready = ctx->v6_testable && home_pass && r->res_v6_ok == r->res_total;

    r->supported = r->check[V6M_W1].state == V6M_CHECK_PASS &&
                   r->check[V6M_W3].state == V6M_CHECK_PASS;
    bool compliant = ctx->v6_testable;
    for (int i = 0; i < V6M_CHECKS; i++)
        if (r->check[i].state == V6M_CHECK_FAIL || r->check[i].state == V6M_CHECK_NOT_TESTABLE)
            compliant = false;
    r->compliant = compliant;
    r->score = probe_score(r->check, ctx->cfg->weights);
    r->duration_ns = loop_update_time(ctx->loop) - s->t0;
}

static void site_advance(struct site_state *s)
{
    switch (s->phase) {
    case PH_DNS:
        s->phase = PH_HOME;
        if (s->ctx->cfg->dns_only) {
            s->phase = PH_DONE;
            finish(s);
            s->job->done(s->job->sched, s->job);
            return;
        }
        start_home(s);
        return;
    case PH_HOME:
        s->phase = PH_LEVEL2;
        start_level2(s);
        return;
    case PH_LEVEL2:
        s->phase = PH_LEVEL3;
        if (s->ctx->cfg->crawl && s->web->crawl_base)
            start_level3(s);
        else
            site_advance(s);
        return;
    case PH_LEVEL3:
        s->phase = PH_DONE;
        finish(s);
        s->job->done(s->job->sched, s->job);
        return;
    case PH_DONE:
        return;
    }
}

void site_job_start(struct probe_job *job, struct v6m_site_result *r, struct strpool *sp)
{
    /* Not calloc: host and zone are 20 kB of arrays that are read only up
     * to their counts (resolver_host_clear); the rest is cleared here. */
    struct probe_ctx *ctx = job->ctx;
    struct site_state *s = ctx->site_spare;
    if (s) {
        ctx->site_spare = s->next_spare;
        ctx->n_site_spare--;
    } else {
        s = malloc(sizeof *s);
    }
    if (!s) {
        job->state = NULL;
        job->done(job->sched, job);
        return;
    }
    memset(s, 0, offsetof(struct site_state, host));
    resolver_host_clear(&s->host);
    resolver_zone_clear(&s->zone);
    s->web = NULL;
    job->state = s;
    s->job = job;
    s->ctx = job->ctx;
    s->r = r;
    s->sp = sp;
    s->t0 = loop_update_time(s->ctx->loop);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    r->started_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    r->similarity_distance = UINT32_MAX;
    r->link_concentration = -1;
    r->resource_concentration = -1;
    for (int i = 0; i < V6M_CHECKS; i++) {
        r->check[i].rate = -1;
        r->check[i].message = r->check[i].evidence = "";
    }
    s->sample_seed = s->ctx->seed ^ hash_bytes(r->url, strlen(r->url), 0);
    if (!s->ctx->cfg->dns_only) {
        s->web = calloc(1, sizeof *s->web);
        if (!s->web) {
            free(s);
            job->state = NULL;
            job->done(job->sched, job);
            return;
        }
        loop_timer_init(&s->web->att_timer, NULL, NULL);
    }
    struct url_parts p;
    if (!url_split(r->url, &p)) {
        r->host = strpool_keep(sp, "");
        /* Not a URL we can test: every check fails with the same reason. */
        for (int i = 0; i < V6M_CHECKS; i++)
            set_check(s, (enum v6m_check_id)i, V6M_CHECK_FAIL, "BAD_URL",
                      "the site's address is not an http:// or https:// URL", r->url);
        s->phase = PH_DONE;
        job->done(job->sched, job);
        return;
    }
    r->host = strpool_keep(sp, p.host);
    s->phase = PH_DNS;
    s->pending = 3; /* host, zone, and the guard released below */
    if (p.is_ip_literal) {
        /* No DNS: fabricate the host info from the literal. */
        uint8_t a[16] = {0};
        memset(&s->host, 0, sizeof s->host);
        util_strlcpy(s->host.name, p.host, sizeof s->host.name);
        s->host.a.status = s->host.aaaa.status = RS_NODATA;
        if (inet_pton(AF_INET6, p.host, a) == 1) {
            s->host.aaaa.status = RS_OK;
            s->host.aaaa.n_addrs = 1;
            s->host.aaaa.addrs[0].family = 6;
            memcpy(s->host.aaaa.addrs[0].addr, a, 16);
            if (addrclass_v6(a) == AC_GLOBAL) {
                s->host.n_v6_global = 1;
                memcpy(s->host.v6, a, 16);
            } else {
                s->host.n_v6_other = 1;
            }
        } else if (inet_pton(AF_INET, p.host, a) == 1) {
            s->host.a.status = RS_OK;
            s->host.a.n_addrs = 1;
            s->host.a.addrs[0].family = 4;
            memcpy(s->host.a.addrs[0].addr, a, 16);
            s->host.n_v4 = 1;
            memcpy(s->host.v4, a, 16);
        }
        s->pending -= 2;
        util_strlcpy(s->zone.detail, "the site is an IP address literal", sizeof s->zone.detail);
    } else {
        if (resolver_lookup_host(s->ctx->res, p.host, on_host, s) < 0)
            s->pending--;
        if (resolver_check_zone(s->ctx->res, p.host, on_zone, s) < 0)
            s->pending--;
    }
    pending_done(s);
}

static void site_web_release(struct site_state *s);

void site_job_release(struct probe_job *job)
{
    struct site_state *s = job->state;
    if (!s)
        return;
    if (s->web)
        site_web_release(s);
    job->state = NULL;
    struct probe_ctx *ctx = s->ctx;
    if (ctx->n_site_spare < ctx->cfg->max_sites) {
        s->next_spare = ctx->site_spare;
        ctx->site_spare = s;
        ctx->n_site_spare++;
    } else {
        free(s);
    }
}

void site_states_free(struct probe_ctx *ctx)
{
    for (struct site_state *s = ctx->site_spare, *n; s; s = n) {
        n = s->next_spare;
        free(s);
    }
    ctx->site_spare = NULL;
    ctx->n_site_spare = 0;
}

static void site_web_release(struct site_state *s)
{
    loop_timer_cancel(s->ctx->loop, &s->web->att_timer);
    for (int i = 0; i < 4; i++)
        if (s->web->ports[i].handle)
            tcp_probe_cancel(s->web->ports[i].handle);
    chain_release(&s->web->home6);
    chain_release(&s->web->home4);
    chain_release(&s->web->att);
    for (size_t i = 0; i < s->web->n_l2; i++) {
        chain_release(&s->web->l2[i].ch);
        if (s->web->l2[i].disc_used)
            chain_release(&s->web->l2[i].disc);
        free(s->web->l2[i].url);
    }
    for (size_t i = 0; i < s->web->n_l3; i++) {
        chain_release(&s->web->l3[i].ch);
        free(s->web->l3[i].url);
    }
    for (size_t i = 0; i < s->web->n_res; i++)
        chain_release(&s->web->res[i].ch);
    for (size_t i = 0; i < s->web->n_res_seen; i++)
        free(s->web->res_seen[i]);
    for (size_t i = 0; i < s->web->n_known; i++)
        free(s->web->known[i]);
    free(s->web->known);
    free(s->web->res_seen);
    free(s->web->l2);
    free(s->web->l3);
    free(s->web->res);
    free(s->web->crawl_base);
    free(s->web);
    s->web = NULL;
}

void site_result_drop_details(struct v6m_site_result *r)
{
    free(r->urls);
    free(r->resources);
    r->urls = NULL;
    r->resources = NULL;
    r->n_urls = r->n_resources = 0;
}
