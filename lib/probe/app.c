/*
 * probe/app.c - the app test (I6) and the vantage self-check: both ask
 * "does this host answer over IPv6?" of a list of host names.
 *
 * A host answers over a family when it has an address of that family
 * (for IPv6 a global-unicast AAAA) and a GET of https://HOST/ pinned to
 * that address gets an HTTP response with any status (an API host that
 * says 404 on "/" is still up); when port 443 refuses, http://HOST/ is
 * tried. A certificate failure counts as not answering (the app would not
 * talk to it either), with the reason kept.
 *
 * An app is supported when every one of its domains has a global AAAA and
 * answers over IPv6. Catalog entries are domain suffixes for the passive
 * matcher; here each is probed as a host name ("*." or "." in front is
 * dropped).
 *
 * The vantage self-check asks the same of the canaries over both families
 * before a run: IPv6 works when at least one canary answers over IPv6.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe_int.h"
#include "util/strutil.h"

struct dom_probe;
typedef void (*dom_done_fn)(void *arg, struct dom_probe *d);

struct dom_probe {
    struct probe_ctx *ctx;
    char host[RESOLVE_NAME_MAX];
    char url_path[RESOLVE_NAME_MAX + 16];
    bool want_v4;         /* vantage: also over IPv4 */
    dom_done_fn done;
    void *arg;
    unsigned pending;
    /* results */
    bool resolved;
    struct host_info h;
    bool answers[2];      /* [0] = IPv6, [1] = IPv4 */
    long status[2];
    char detail[2][700];
    char code[2][40];
    bool tried_http[2];
};

static void dom_step(struct dom_probe *d)
{
    if (--d->pending == 0)
        d->done(d->arg, d);
}

static void dom_fetch(struct dom_probe *d, int fi, bool http);

static void on_dom_fetch6(void *arg, const struct fetch_result *r);
static void on_dom_fetch4(void *arg, const struct fetch_result *r);

static void dom_result(struct dom_probe *d, int fi, const struct fetch_result *r)
{
    if (d->ctx->stopping)
        return;
    if (r->status == FS_REFUSED && !d->tried_http[fi]) {
        dom_fetch(d, fi, true);
        return;
    }
    d->status[fi] = r->http_code;
    if (r->status == FS_OK) {
        d->answers[fi] = true;
        snprintf(d->detail[fi], sizeof d->detail[fi], "HTTP %ld from %s", r->http_code, r->remote);
    } else {
        snprintf(d->code[fi], sizeof d->code[fi], "%s", fetch_status_name(r->status));
        for (char *p = d->code[fi]; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
        snprintf(d->detail[fi], sizeof d->detail[fi], "%s", r->detail);
    }
    dom_step(d);
}

static void on_dom_fetch6(void *arg, const struct fetch_result *r)
{
    dom_result(arg, 0, r);
}

static void on_dom_fetch4(void *arg, const struct fetch_result *r)
{
    dom_result(arg, 1, r);
}

static void dom_fetch(struct dom_probe *d, int fi, bool http)
{
    char url[RESOLVE_NAME_MAX + 16];
    snprintf(url, sizeof url, "%s://%s/", http ? "http" : "https", d->host);
    d->tried_http[fi] = http;
    struct fetch_request req;
    memset(&req, 0, sizeof req);
    req.url = url;
    req.family = fi == 0 ? 6 : 4;
    memcpy(req.addr, fi == 0 ? d->h.v6 : d->h.v4, 16);
    req.timeout_ns = (uint64_t)d->ctx->cfg->timeout_ms * 1000000ull;
    req.connect_timeout_ns = (uint64_t)d->ctx->cfg->connect_timeout_ms * 1000000ull;
    req.body_cap = 64 * 1024;
    req.discard_body = true;
    req.insecure = d->ctx->cfg->insecure;
    if (fetch_start(d->ctx->fetch, &req, fi == 0 ? on_dom_fetch6 : on_dom_fetch4, d) < 0) {
        snprintf(d->code[fi], sizeof d->code[fi], "BAD_NAME");
        snprintf(d->detail[fi], sizeof d->detail[fi], "cannot build a URL for '%s'", d->host);
        dom_step(d);
    }
}

static void on_dom_host(void *arg, const struct host_info *h)
{
    struct dom_probe *d = arg;
    if (d->ctx->stopping)
        return;
    d->h = *h;
    d->resolved = true;
    d->pending = 1;
    if (h->n_v6_global && d->ctx->v6_testable) {
        d->pending++;
        dom_fetch(d, 0, false);
    } else if (!h->n_v6_global) {
        const struct resolve_result *q = &h->aaaa;
        if (h->n_v6_other) {
            snprintf(d->code[0], sizeof d->code[0], "NOT_GLOBAL");
            snprintf(d->detail[0], sizeof d->detail[0], "%s has only AAAA records that are not global unicast",
                     d->host);
        } else if (q->status == RS_OK || q->status == RS_NODATA) {
            snprintf(d->code[0], sizeof d->code[0], "NO_AAAA");
            snprintf(d->detail[0], sizeof d->detail[0], "no AAAA for %s%s", d->host,
                     h->n_v4 ? " (it has only A)" : "");
        } else {
            snprintf(d->code[0], sizeof d->code[0], "DNS_%s", resolve_status_name(q->status));
            for (char *p = d->code[0]; *p; p++)
                if (*p >= 'a' && *p <= 'z')
                    *p = (char)(*p - 'a' + 'A');
            snprintf(d->detail[0], sizeof d->detail[0], "AAAA lookup for %s: %s%s%s", d->host,
                     resolve_status_name(q->status), q->detail[0] ? ": " : "", q->detail);
        }
    }
    if (d->want_v4) {
        if (h->n_v4) {
            d->pending++;
            dom_fetch(d, 1, false);
        } else {
            snprintf(d->code[1], sizeof d->code[1], "NO_A");
            snprintf(d->detail[1], sizeof d->detail[1], "no A for %s", d->host);
        }
    }
    dom_step(d);
}

static void dom_start(struct dom_probe *d, struct probe_ctx *ctx, const char *name, bool want_v4,
                      dom_done_fn done, void *arg)
{
    char namebuf[RESOLVE_NAME_MAX + 16];
    util_strlcpy(namebuf, name, sizeof namebuf); /* name may point into *d */
    name = namebuf;
    memset(d, 0, sizeof *d);
    d->ctx = ctx;
    d->want_v4 = want_v4;
    d->done = done;
    d->arg = arg;
    /* Accept a URL too (canaries): keep its host. */
    struct url_parts p;
    if (strstr(name, "://") && url_split(name, &p))
        name = p.host;
    while (*name == '*' || *name == '.')
        name++;
    util_strlcpy(d->host, name, sizeof d->host);
    d->pending = 1;
    if (resolver_lookup_host(ctx->res, d->host, on_dom_host, d) < 0) {
        snprintf(d->code[0], sizeof d->code[0], "BAD_NAME");
        snprintf(d->detail[0], sizeof d->detail[0], "'%s' is not a valid host name", d->host);
        snprintf(d->code[1], sizeof d->code[1], "BAD_NAME");
        d->resolved = false;
        /* Defer the completion to the loop: callers expect it later. */
        d->pending = 0;
        d->done(d->arg, d);
    }
}

/* ---------------- the app job ---------------- */

struct app_state {
    struct probe_job *job;
    struct v6m_app_result *r;
    struct strpool *sp;
    struct dom_probe *doms;
    size_t n;
    size_t left;
    uint64_t t0;
    struct loop_timer defer;
};

static void app_finish(struct app_state *a)
{
    struct v6m_app_result *r = a->r;
    r->testable = a->job->ctx->v6_testable;
    r->domains = calloc(a->n ? a->n : 1, sizeof *r->domains);
    r->n_domains = (unsigned)a->n;
    r->n_domains_listed = a->n;
    unsigned ok = 0;
    for (size_t i = 0; i < a->n && r->domains; i++) {
        struct dom_probe *d = &a->doms[i];
        struct v6m_app_domain *o = &r->domains[i];
        o->domain = strpool_keep(a->sp, d->host);
        o->has_aaaa = d->h.n_v6_global > 0;
        o->answers_v6 = d->answers[0];
        o->status = d->status[0];
        struct textbuf t = {0};
        for (unsigned k = 0; k < d->h.aaaa.n_addrs; k++) {
            char b[64];
            if (inet_ntop(AF_INET6, d->h.aaaa.addrs[k].addr, b, sizeof b))
                textbuf_add(&t, "%s%s", k ? " " : "", b);
        }
        o->addrs_v6 = strpool_keep(a->sp, t.s);
        textbuf_release(&t);
        bool good = o->has_aaaa && o->answers_v6;
        if (!a->job->ctx->v6_testable && o->has_aaaa) {
            o->code = strpool_keep(a->sp, "NOT_TESTABLE");
            o->detail = strpool_keep(a->sp, "this vantage point has no working IPv6");
        } else {
            o->code = strpool_keep(a->sp, good ? "" : d->code[0]);
            o->detail = strpool_keep(a->sp, good ? d->detail[0] : d->detail[0]);
        }
        ok += good;
    }
    r->n_domains_ok = ok;
    r->supported = a->job->ctx->v6_testable && a->n > 0 && ok == a->n;
    r->duration_ns = loop_update_time(a->job->ctx->loop) - a->t0;
}

static void on_app_dom(void *arg, struct dom_probe *d)
{
    (void)d;
    struct app_state *a = arg;
    if (--a->left == 0) {
        app_finish(a);
        a->job->done(a->job->sched, a->job);
    }
}

static void app_start_domains(void *arg)
{
    struct app_state *a = arg;
    a->left = a->n + 1;
    for (size_t i = 0; i < a->n; i++)
        dom_start(&a->doms[i], a->job->ctx, a->doms[i].host, false, on_app_dom, a);
    on_app_dom(a, NULL);
}

void app_job_start(struct probe_job *job, struct v6m_app_result *r, struct strpool *sp,
                   const char *const *domains, size_t n)
{
    struct app_state *a = calloc(1, sizeof *a);
    job->state = a;
    if (!a) {
        job->done(job->sched, job);
        return;
    }
    a->job = job;
    a->r = r;
    a->sp = sp;
    a->t0 = loop_update_time(job->ctx->loop);
    a->doms = calloc(n ? n : 1, sizeof *a->doms);
    a->n = a->doms ? n : 0;
    for (size_t i = 0; i < a->n; i++)
        util_strlcpy(a->doms[i].host, domains[i], sizeof a->doms[i].host);
    /* Start from the loop so that a job never completes inside its start. */
    loop_timer_init(&a->defer, app_start_domains, a);
    loop_timer_after(job->ctx->loop, &a->defer, 0);
}

void app_job_release(struct probe_job *job)
{
    struct app_state *a = job->state;
    if (!a)
        return;
    loop_timer_cancel(job->ctx->loop, &a->defer);
    free(a->doms);
    free(a);
    job->state = NULL;
}

/* ---------------- vantage self-check ---------------- */

struct vantage_check {
    struct probe_ctx *ctx;
    struct v6m_vantage *out;
    struct dom_probe *doms;
    size_t n, left;
    void (*done)(void *arg);
    void *arg;
    struct loop_timer defer;
};

static void on_vantage_dom(void *arg, struct dom_probe *d)
{
    (void)d;
    struct vantage_check *vc = arg;
    if (--vc->left)
        return;
    struct v6m_vantage *v = vc->out;
    struct textbuf t = {0};
    v->checked = true;
    for (size_t i = 0; i < vc->n; i++) {
        struct dom_probe *c = &vc->doms[i];
        v->v6_ok |= c->answers[0];
        v->v4_ok |= c->answers[1];
        textbuf_add(&t, "%s%s: IPv6 %s, IPv4 %s", i ? "; " : "", c->host,
                    c->answers[0] ? c->detail[0] : (c->detail[0][0] ? c->detail[0] : "not tried"),
                    c->answers[1] ? c->detail[1] : (c->detail[1][0] ? c->detail[1] : "not tried"));
    }
    util_strlcpy(v->detail, t.s ? t.s : "no canaries", sizeof v->detail);
    textbuf_release(&t);
    vc->done(vc->arg);
}

static void vantage_begin(void *arg)
{
    struct vantage_check *vc = arg;
    vc->left = vc->n + 1;
    for (size_t i = 0; i < vc->n; i++)
        dom_start(&vc->doms[i], vc->ctx, vc->doms[i].url_path, true, on_vantage_dom, vc);
    on_vantage_dom(vc, NULL);
}

struct vantage_check *vantage_start(struct probe_ctx *ctx, const char *const *canaries,
                                    size_t n, struct v6m_vantage *out,
                                    void (*done)(void *arg), void *arg)
{
    struct vantage_check *vc = calloc(1, sizeof *vc);
    if (!vc)
        return NULL;
    vc->ctx = ctx;
    vc->out = out;
    vc->done = done;
    vc->arg = arg;
    vc->doms = calloc(n ? n : 1, sizeof *vc->doms);
    vc->n = vc->doms ? n : 0;
    for (size_t i = 0; i < vc->n; i++)
        util_strlcpy(vc->doms[i].url_path, canaries[i], sizeof vc->doms[i].url_path);
    /* The self-check must see real IPv6: do it with v6/v4 "testable". */
    ctx->v6_testable = ctx->v4_testable = true;
    loop_timer_init(&vc->defer, vantage_begin, vc);
    loop_timer_after(ctx->loop, &vc->defer, 0);
    return vc;
}

void vantage_free(struct vantage_check *vc)
{
    if (!vc)
        return;
    loop_timer_cancel(vc->ctx->loop, &vc->defer);
    free(vc->doms);
    free(vc);
}
