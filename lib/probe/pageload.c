/*
 * probe/pageload.c - page load time (页面加载时间) over one family: from
 * the start of the DNS query to the last byte of the HTML and of every
 * same-page sub-resource, the way a browser that may use only that family
 * would load it.
 *
 * Steps (all on the prober's loop; nothing here has its own DNS or HTTP):
 *   1. DNS: a fresh A or AAAA query for the page's host through the
 *      configured resolver (resolver_query, not the run's host cache), so
 *      every sample includes a real resolution;
 *   2. HTML: a fetch chain pinned to the family (chain.c: redirects
 *      followed, each hop pinned) keeping the body; TTFB is the first
 *      byte of the final response;
 *   3. sub-resources: page_extract() of the HTML; img, script, stylesheet,
 *      icon, iframe and embed are loaded (audio/video streams are not: a
 *      browser does not download a whole film to finish a page, and the
 *      video metric measures streams); each through its own pinned chain
 *      with the body counted, not kept. The fetch engine's per-host limit
 *      (6 in `v6mon kpi`, like a browser) bounds connections per host.
 *   The load time ends at the last resource's completion, failed ones
 *   included (a browser also waits for a timeout). A resource whose host
 *   has no address of the family fails at once, which is what an
 *   IPv6-only client would see.
 *
 * Connections: each page load has its own fetch engine (a copy of the
 * run context pointing at it), so it starts with no open connection, as
 * a new visit does, and reuses its connections within the page (HTTP/1.1
 * keep-alive, at most per_host per host) as a browser does. Sharing the
 * run's engine would let round 2 reuse round 1's warm connections and
 * measure one round trip less than a real first visit.
 *
 * Limits: max_resources per page (the rest are not loaded, and counted in
 * neither total), the whole load bounded by timeout (a timer; resources
 * still running at its end count as failed).
 *
 * Invariant: the callback runs exactly once unless pageload_free() comes
 * first; after it the handle does nothing but wait to be freed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/kpi_int.h"
#include "probe/page.h"
#include "util/strutil.h"

struct res_chain {
    struct chain ch;
    struct pageload *pl;
    bool running;
};

struct pageload {
    struct probe_ctx *ctx;        /* &own_ctx: the run's, with our own fetch engine */
    struct probe_ctx own_ctx;
    bool freeing;                 /* inside pageload_free(): no orphan frees */
    int family;
    char *url;
    unsigned max_resources;
    pageload_cb cb;
    void *arg;
    uint64_t t0;
    struct loop_timer deadline, defer;
    bool dns_pending, done;
    struct chain html;
    bool html_running;
    struct res_chain *res;
    size_t n_res, res_left;
    uint64_t last_end_ns;
    struct pageload_result r;
};

static double ms_since(const struct pageload *pl, uint64_t t)
{
    return t > pl->t0 ? (double)(t - pl->t0) / 1e6 : 0.0;
}

/* A chain cannot be cancelled (its fetch refers to it), so a load that
 * ends early (deadline, pageload_free) leaves its running chains alone and
 * is freed by the last one's callback (orphan_check). */
static void finish(struct pageload *pl)
{
    if (pl->done)
        return;
    pl->done = true;
    loop_timer_cancel(pl->ctx->loop, &pl->deadline);
    loop_timer_cancel(pl->ctx->loop, &pl->defer);
    if (pl->r.ok)
        pl->r.load_ms = ms_since(pl, pl->last_end_ns ? pl->last_end_ns : loop_now_ns(pl->ctx->loop));
    if (pl->cb)
        pl->cb(pl->arg, &pl->r);
}

/* Running chains hold pointers to the pageload; it may be freed only when
 * none runs. pageload_free() while chains run defers the free to the
 * last chain's end (orphaned). */
static bool chains_running(const struct pageload *pl)
{
    if (pl->html_running)
        return true;
    for (size_t i = 0; i < pl->n_res; i++)
        if (pl->res[i].running)
            return true;
    return false;
}

static void really_free(struct pageload *pl)
{
    if (pl->own_ctx.fetch) {
        /* no transfer runs any more (or pageload_stop() made their
         * callbacks return at once): this closes the connections */
        struct fetch_engine *f = pl->own_ctx.fetch;
        pl->freeing = true;
        pl->own_ctx.fetch = NULL;
        fetch_engine_free(f);
    }
    chain_release(&pl->html);
    for (size_t i = 0; i < pl->n_res; i++)
        chain_release(&pl->res[i].ch);
    free(pl->res);
    free(pl->url);
    free(pl);
}

static bool orphan_check(struct pageload *pl)
{
    /* cb == NULL and done: freed by the owner while chains were running */
    if (pl->cb == NULL && pl->done && !pl->freeing && !pl->dns_pending && !chains_running(pl)) {
        really_free(pl);
        return true;
    }
    return false;
}

static void on_resource(void *arg, struct chain *c)
{
    struct res_chain *rc = arg;
    struct pageload *pl = rc->pl;
    rc->running = false;
    if (pl->ctx->stopping) {
        orphan_check(pl);
        return;
    }
    uint64_t now = loop_update_time(pl->ctx->loop);
    if (!pl->done) {
        if (now > pl->last_end_ns)
            pl->last_end_ns = now;
        if (chain_ok_2xx(c)) {
            pl->r.bytes += c->body_bytes;
        } else {
            pl->r.resources_failed++;
            if (!pl->r.detail[0])
                chain_describe(c, pl->r.detail, sizeof pl->r.detail);
        }
        if (pl->res_left)
            pl->res_left--;
        /* finish() hands the result over; the owner may free pl in its
         * callback, so nothing touches pl after it */
        if (pl->res_left == 0)
            finish(pl);
        return;
    }
    orphan_check(pl);
}

static bool wanted_kind(unsigned kind)
{
    return kind == PAGE_IMG || kind == PAGE_SCRIPT || kind == PAGE_STYLE || kind == PAGE_ICON ||
           kind == PAGE_IFRAME || kind == PAGE_EMBED;
}

static void on_html(void *arg, struct chain *c)
{
    struct pageload *pl = arg;
    pl->html_running = false;
    if (pl->ctx->stopping || pl->done) {
        orphan_check(pl);
        return;
    }
    pl->last_end_ns = c->final_end_ns ? c->final_end_ns : loop_update_time(pl->ctx->loop);
    if (!chain_ok_2xx(c)) {
        chain_describe(c, pl->r.detail, sizeof pl->r.detail);
        finish(pl);
        return;
    }
    pl->r.ok = true;
    pl->r.ttfb_ms = ms_since(pl, c->final_first_byte_ns);
    pl->r.bytes += c->body_bytes;
    struct page_extract pe;
    memset(&pe, 0, sizeof pe);
    page_extract(c->final_url, c->body, c->body_len, NULL, &pe);
    size_t want = 0;
    for (size_t i = 0; i < pe.n_res; i++)
        if (wanted_kind(pe.res[i].kind))
            want++;
    if (want > pl->max_resources)
        want = pl->max_resources;
    if (want)
        pl->res = calloc(want, sizeof *pl->res);
    if (want && !pl->res) {
        util_strlcpy(pl->r.detail, "out of memory for the page's resources", sizeof pl->r.detail);
        want = 0;
    }
    pl->n_res = want;
    pl->res_left = want;
    pl->r.resources = (unsigned)want;
    size_t k = 0;
    for (size_t i = 0; i < pe.n_res && k < want; i++) {
        if (!wanted_kind(pe.res[i].kind))
            continue;
        struct res_chain *rc = &pl->res[k++];
        chain_init(&rc->ch, pl->ctx, pl->family);
        rc->pl = pl;
        rc->ch.discard_body = true;
        rc->ch.done = on_resource;
        rc->ch.arg = rc;
        rc->running = true;
        chain_start(&rc->ch, pe.res[i].url);
    }
    page_extract_release(&pe);
    if (want == 0)
        finish(pl);
}

static void on_dns(void *arg, const struct resolve_result *rr)
{
    struct pageload *pl = arg;
    pl->dns_pending = false;
    if (pl->ctx->stopping || pl->done || rr->status == RS_CANCELLED) {
        orphan_check(pl);
        return;
    }
    pl->r.dns_ms = ms_since(pl, loop_update_time(pl->ctx->loop));
    /* The chain resolves again through the run's host cache (filled before
     * the rounds), so the HTML request starts now; a DNS failure here is
     * still reported by the chain in its own words. */
    chain_init(&pl->html, pl->ctx, pl->family);
    pl->html.keep_body = true;
    pl->html.done = on_html;
    pl->html.arg = pl;
    pl->html_running = true;
    chain_start(&pl->html, pl->url);
}

static void on_deadline(void *arg)
{
    struct pageload *pl = arg;
    if (pl->done)
        return;
    if (!pl->r.ok && !pl->r.detail[0])
        snprintf(pl->r.detail, sizeof pl->r.detail, "the page did not load within %.0f s",
                 ms_since(pl, loop_now_ns(pl->ctx->loop)) / 1000);
    if (pl->r.ok && pl->res_left) {
        pl->r.resources_failed += (unsigned)pl->res_left;
        if (!pl->r.detail[0])
            snprintf(pl->r.detail, sizeof pl->r.detail,
                     "%zu resources still loading when the page timed out", pl->res_left);
    }
    pl->last_end_ns = loop_now_ns(pl->ctx->loop);
    finish(pl);
}

static void on_start(void *arg)
{
    struct pageload *pl = arg;
    struct url_parts parts;
    if (!url_split(pl->url, &parts)) {
        snprintf(pl->r.detail, sizeof pl->r.detail, "'%.200s' is not an http(s) URL", pl->url);
        finish(pl);
        return;
    }
    pl->t0 = loop_update_time(pl->ctx->loop);
    if (parts.is_ip_literal) {
        on_dns(pl, &(struct resolve_result){.status = RS_OK});
        return;
    }
    pl->dns_pending = true;
    if (resolver_query(pl->ctx->res, parts.host, pl->family == 6 ? RR_AAAA : RR_A, on_dns, pl) <
        0) {
        pl->dns_pending = false;
        snprintf(pl->r.detail, sizeof pl->r.detail, "'%s' is not a valid host name", parts.host);
        finish(pl);
    }
}

struct pageload *pageload_start(struct probe_ctx *ctx, const char *url, int family,
                                unsigned max_resources, uint64_t timeout_ns, pageload_cb cb,
                                void *arg)
{
    struct pageload *pl = calloc(1, sizeof *pl);
    if (!pl)
        return NULL;
    pl->url = strdup(url);
    if (!pl->url) {
        free(pl);
        return NULL;
    }
    pl->own_ctx = *ctx;
    struct fetch_config fc = {
        .per_host = ctx->cfg->per_host, .body_cap = ctx->cfg->body_cap,
        .ca_file = ctx->cfg->ca_file,
    };
    struct errbuf e;
    errbuf_clear(&e);
    pl->own_ctx.fetch = fetch_engine_new(ctx->loop, &fc, &e);
    if (!pl->own_ctx.fetch) {
        free(pl->url);
        free(pl);
        return NULL;
    }
    pl->ctx = &pl->own_ctx;
    pl->family = family;
    pl->max_resources = max_resources;
    pl->cb = cb;
    pl->arg = arg;
    pl->r.dns_ms = NAN;
    pl->r.ttfb_ms = NAN;
    pl->r.load_ms = NAN;
    loop_timer_init(&pl->deadline, on_deadline, pl);
    loop_timer_init(&pl->defer, on_start, pl);
    loop_timer_after(ctx->loop, &pl->defer, 0);
    loop_timer_after(ctx->loop, &pl->deadline, timeout_ns ? timeout_ns : 20000000000ull);
    return pl;
}

void pageload_free(struct pageload *pl)
{
    if (!pl)
        return;
    pl->cb = NULL;
    pl->done = true;
    loop_timer_cancel(pl->ctx->loop, &pl->deadline);
    loop_timer_cancel(pl->ctx->loop, &pl->defer);
    if (!pl->own_ctx.stopping && (pl->dns_pending || chains_running(pl)))
        return; /* freed by the last callback (orphan_check) */
    really_free(pl);
}

void pageload_stop(struct pageload *pl)
{
    if (!pl)
        return;
    pl->own_ctx.stopping = true;
    pl->cb = NULL;
    pl->done = true;
    loop_timer_cancel(pl->ctx->loop, &pl->deadline);
    loop_timer_cancel(pl->ctx->loop, &pl->defer);
    if (pl->own_ctx.fetch) {
        struct fetch_engine *f = pl->own_ctx.fetch;
        pl->freeing = true;
        pl->own_ctx.fetch = NULL;
        fetch_engine_free(f); /* cancellations: the chains see stopping and return */
    }
}
