/*
 * probe/chain.c - fetch one URL the way the checks need it: resolve the
 * host, connect to an address of the chosen family, follow redirects
 * (each hop resolved and pinned again), and record every hop.
 *
 * Why not curl's FOLLOWLOCATION: a redirect to another host needs its own
 * DNS answer and the same family pin, and W3 must say at which hop IPv6
 * broke ("redirects to old.x.lab, which has no AAAA"). So the chain is a
 * small state machine: RESOLVE -> FETCH -> (3xx with Location: next hop |
 * final). Family 0 is the dual-stack client of the resource test: per hop
 * IPv6 first when the host has a global AAAA, IPv4 when it has none or the
 * IPv6 request fails; v6_all says whether every hop stayed on IPv6.
 *
 * Retries: a hop that fails at the network level (refused, timeout,
 * reset...) is tried again `retries` times after a backoff that doubles
 * (retry_backoff_ms, 2x, ...). HTTP statuses are answers, never retried.
 *
 * Invariant: done() is called exactly once per chain_start(), from the
 * loop; the chain is idle afterwards and may be released inside done().
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe_int.h"
#include "util/strutil.h"

static void chain_next_hop(struct chain *c);

void chain_init(struct chain *c, struct probe_ctx *ctx, int family)
{
    memset(c, 0, sizeof *c);
    c->ctx = ctx;
    c->family = family;
    c->retries = 0;
    loop_timer_init(&c->timer, NULL, NULL);
}

void chain_release(struct chain *c)
{
    if (c->ctx)
        loop_timer_cancel(c->ctx->loop, &c->timer);
    for (unsigned i = 0; i < c->n_hops; i++) {
        free(c->hops[i].url);
        free(c->hops[i].error);
    }
    c->n_hops = 0;
    free(c->final_url);
    free(c->body);
    free(c->url);
    c->final_url = NULL;
    c->body = NULL;
    c->url = NULL;
    c->body_len = 0;
}

static void chain_finish(struct chain *c, enum chain_outcome o)
{
    c->outcome = o;
    if (!c->final_url && c->url)
        c->final_url = strdup(c->url);
    if (c->done)
        c->done(c->arg, c);
}

static void chain_fail(struct chain *c, enum chain_outcome o, const char *code, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));
static void chain_fail(struct chain *c, enum chain_outcome o, const char *code, const char *fmt,
                       ...)
{
    util_strlcpy(c->code, code, sizeof c->code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof c->detail, fmt, ap);
    va_end(ap);
    chain_finish(c, o);
}


/* Code for a fetch failure, without the check prefix. */
static const char *fetch_code(enum fetch_status s)
{
    switch (s) {
    case FS_REFUSED: return "REFUSED";
    case FS_UNREACHABLE: return "UNREACHABLE";
    case FS_CONNECT_TIMEOUT: return "TIMEOUT";
    case FS_TIMEOUT: return "TIMEOUT";
    case FS_TLS_CERT: return "TLS_CERT";
    case FS_TLS: return "TLS";
    case FS_RESET: return "RESET";
    case FS_PROTOCOL: return "PROTOCOL";
    case FS_TOO_BIG: return "TOO_BIG";
    case FS_LOCAL: return "LOCAL";
    case FS_CANCELLED: return "CANCELLED";
    case FS_OK: break;
    default: break;
    }
    return "OTHER";
}

static bool retryable(enum fetch_status s)
{
    return s == FS_REFUSED || s == FS_UNREACHABLE || s == FS_CONNECT_TIMEOUT || s == FS_TIMEOUT ||
           s == FS_RESET;
}

static void chain_fetch(struct chain *c);

static void on_retry_timer(void *arg)
{
    struct chain *c = arg;
    if (c->ctx->stopping)
        return;
    chain_fetch(c);
}

static void on_fetch(void *arg, const struct fetch_result *r)
{
    struct chain *c = arg;
    if (c->ctx->stopping)
        return;
    struct chain_hop *h = &c->hops[c->n_hops - 1];
    util_strlcpy(h->address, "", sizeof h->address);
    const uint8_t *a = c->hop_family == 6 ? c->addr6 : c->addr4;
    addr_text(c->hop_family, a, h->address, sizeof h->address);
    h->family = c->hop_family;
    h->status = r->http_code;
    c->family_used = c->hop_family;

    if (r->status != FS_OK) {
        free(h->error);
        h->error = strdup(r->detail);
        if (retryable(r->status) && c->tries_left > 0) {
            c->tries_left--;
            loop_timer_init(&c->timer, on_retry_timer, c);
            loop_timer_after(c->ctx->loop, &c->timer, c->backoff_ms * 1000000ull);
            c->backoff_ms *= 2;
            return;
        }
        if (c->family == 0 && c->hop_family == 6 && c->has4) {
            /* Dual-stack client: IPv6 failed, fall back to IPv4 for this hop. */
            c->v6_all = false;
            if (!c->v6_problem[0])
                snprintf(c->v6_problem, sizeof c->v6_problem, "%s", r->detail);
            c->hop_family = 4;
            c->tries_left = 0;
            if (c->n_hops < CHAIN_MAX_HOPS) {
                struct chain_hop *n = &c->hops[c->n_hops++];
                memset(n, 0, sizeof *n);
                n->url = strdup(c->url);
            }
            chain_fetch(c);
            return;
        }
        c->fs = r->status;
        if (c->family == 0 && c->hop_family == 6 && !c->v6_problem[0])
            snprintf(c->v6_problem, sizeof c->v6_problem, "%s", r->detail);
        chain_fail(c, CH_FETCH, fetch_code(r->status), "%s", r->detail);
        return;
    }
    c->fs = FS_OK;
    bool redirect = r->http_code >= 300 && r->http_code <= 399 && r->http_code != 304 &&
                    r->location[0];
    if (redirect) {
        unsigned redirects = c->n_hops; /* hops so far = redirects once we follow */
        unsigned max = c->ctx->cfg->max_redirects;
        if (redirects > max) {
            chain_fail(c, CH_REDIRECTS, "REDIRECTS", "more than %u redirects (last: %s -> %s)",
                       max, c->url, r->location);
            return;
        }
        char *next = strdup(r->location);
        if (!next) {
            chain_fail(c, CH_FETCH, "LOCAL", "out of memory");
            return;
        }
        free(c->url);
        c->url = next;
        chain_next_hop(c);
        return;
    }
    c->final_status = r->http_code;
    c->final_end_ns = loop_update_time(c->ctx->loop);
    c->final_first_byte_ns = r->t_first_byte && r->t_total >= r->t_first_byte
                                 ? c->final_end_ns - (r->t_total - r->t_first_byte)
                                 : c->final_end_ns;
    c->body_bytes = r->body_bytes;
    c->body_capped = r->body_capped;
    if (c->keep_body && r->body && r->body_len) {
        c->body = malloc(r->body_len);
        if (c->body) {
            memcpy(c->body, r->body, r->body_len);
            c->body_len = r->body_len;
        }
    }
    free(c->final_url);
    c->final_url = strdup(c->url);
    chain_finish(c, CH_RESPONSE);
}

static void chain_fetch(struct chain *c)
{
    struct fetch_request req;
    memset(&req, 0, sizeof req);
    req.url = c->url;
    req.family = c->hop_family;
    memcpy(req.addr, c->hop_family == 6 ? c->addr6 : c->addr4, 16);
    req.timeout_ns = (uint64_t)c->ctx->cfg->timeout_ms * 1000000ull;
    req.connect_timeout_ns = (uint64_t)c->ctx->cfg->connect_timeout_ms * 1000000ull;
    req.body_cap = c->ctx->cfg->body_cap;
    req.discard_body = c->discard_body;
    req.insecure = c->ctx->cfg->insecure;
    if (fetch_start(c->ctx->fetch, &req, on_fetch, c) < 0)
        chain_fail(c, CH_BAD_URL, "BAD_URL", "cannot fetch '%s'", c->url);
}

static void start_hop_fetch(struct chain *c)
{
    int fam = c->family;
    if (fam == 0)
        fam = c->has6 ? 6 : 4;
    if (fam == 6 && !c->ctx->v6_testable)
        fam = c->family == 0 && c->has4 ? 4 : 6;
    c->hop_family = fam;
    if (c->family == 0 && fam == 4)
        c->v6_all = false;
    c->tries_left = c->retries;
    c->backoff_ms = c->ctx->cfg->retry_backoff_ms ? c->ctx->cfg->retry_backoff_ms : 1000;
    chain_fetch(c);
}

static void on_host(void *arg, const struct host_info *h)
{
    struct chain *c = arg;
    if (c->ctx->stopping)
        return;
    bool first = c->n_hops == 1;
    c->has4 = h->n_v4 > 0;
    c->has6 = h->n_v6_global > 0;
    memcpy(c->addr4, h->v4, 16);
    memcpy(c->addr6, h->v6, 16);
    if (first) {
        c->first_has_v6 = c->has6;
        c->first_resolved = c->has4 || c->has6 || h->n_v6_other > 0;
    }
    bool usable = c->family == 6 ? c->has6 : c->family == 4 ? c->has4 : (c->has4 || c->has6);
    if (c->family == 0 && !c->has6) {
        c->v6_all = false;
        if (!c->v6_problem[0])
            snprintf(c->v6_problem, sizeof c->v6_problem, "%s has no AAAA", c->host);
    }
    if (!usable) {
        const struct resolve_result *rr = c->family == 4 ? &h->a : &h->aaaa;
        const char *hop = first ? "" : "redirect target ";
        if (rr->status == RS_OK && c->family == 6 && h->n_v6_other) {
            chain_fail(c, CH_DNS, "NOT_GLOBAL", "%s%s has only AAAA records that are not global unicast",
                       hop, c->host);
        } else if (rr->status == RS_OK || rr->status == RS_NODATA) {
            chain_fail(c, CH_DNS, c->family == 4 ? "NO_A" : "NO_AAAA", "%s%s has no %s record", hop,
                       c->host, c->family == 4 ? "A" : "AAAA");
        } else {
            chain_fail(c, CH_DNS, "DNS", "%s%s: DNS %s%s%s", hop, c->host,
                       resolve_status_name(rr->status), rr->detail[0] ? ": " : "", rr->detail);
        }
        return;
    }
    start_hop_fetch(c);
}

static void on_literal(void *arg)
{
    struct chain *c = arg;
    if (c->ctx->stopping)
        return;
    struct host_info h;
    memset(&h, 0, sizeof h);
    util_strlcpy(h.name, c->host, sizeof h.name);
    h.a.status = h.aaaa.status = RS_NODATA;
    uint8_t a[16] = {0};
    if (inet_pton(AF_INET, c->host, a) == 1) {
        h.n_v4 = 1;
        h.a.status = RS_OK;
        memcpy(h.v4, a, 16);
    } else if (inet_pton(AF_INET6, c->host, a) == 1) {
        h.aaaa.status = RS_OK;
        if (addrclass_v6(a) == AC_GLOBAL) {
            h.n_v6_global = 1;
            memcpy(h.v6, a, 16);
        } else {
            h.n_v6_other = 1;
        }
    }
    on_host(c, &h);
}

static void chain_next_hop(struct chain *c)
{
    if (c->n_hops >= CHAIN_MAX_HOPS) {
        chain_fail(c, CH_REDIRECTS, "REDIRECTS", "more than %u redirects", CHAIN_MAX_HOPS - 1);
        return;
    }
    struct chain_hop *h = &c->hops[c->n_hops++];
    memset(h, 0, sizeof *h);
    h->url = strdup(c->url);
    h->family = c->family;
    if (!url_split(c->url, &c->parts)) {
        chain_fail(c, CH_BAD_URL, "BAD_URL", "'%.200s' is not an http(s) URL", c->url);
        return;
    }
    util_strlcpy(c->host, c->parts.host, sizeof c->host);
    if (c->parts.is_ip_literal) {
        loop_timer_init(&c->timer, on_literal, c);
        loop_timer_after(c->ctx->loop, &c->timer, 0);
        return;
    }
    if (resolver_lookup_host(c->ctx->res, c->host, on_host, c) < 0)
        chain_fail(c, CH_DNS, "DNS", "'%s' is not a valid host name", c->host);
}

void chain_start(struct chain *c, const char *url)
{
    c->outcome = CH_PENDING;
    c->v6_all = true;
    c->url = strdup(url ? url : "");
    chain_next_hop(c);
}

void chain_describe(const struct chain *c, char *buf, size_t len)
{
    if (c->outcome == CH_RESPONSE) {
        if (c->n_hops > 1)
            snprintf(buf, len, "%s (after %u redirect%s) returned HTTP %ld", c->final_url,
                     c->n_hops - 1, c->n_hops == 2 ? "" : "s", c->final_status);
        else
            snprintf(buf, len, "%s returned HTTP %ld", c->final_url ? c->final_url : "?",
                     c->final_status);
        return;
    }
    snprintf(buf, len, "%s", c->detail[0] ? c->detail : "no result");
}
