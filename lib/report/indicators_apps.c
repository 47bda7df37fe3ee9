/*
 * report/indicators_apps.c - I6 (mainstream apps' IPv6 support rate) and
 * I7 (their IPv6 concentration), from passive traffic and from probes,
 * and the app table with each app's IPv4-only domains.
 *
 * I7 = IPv6 bytes / all bytes of the catalog apps' traffic in the window:
 * the store sums apps_days per (day, run, app); the window and each
 * trend period are ratios of those sums. The official app test (use the
 * app 10 minutes on a dual-stack phone, 3 runs, mean) is reported per
 * app as mean3: the mean of the app's own share in its newest 3 runs
 * that carried its traffic; it is shown beside the ratio of sums and does
 * not enter I7 (a mean of ratios weights a short run like a long one).
 *
 * I6: an app is supported when each source that measured it says so:
 *   traffic  the newest run in the window (or period) that carried the
 *            app: apps_totals.shows_ipv6 (IPv6 bytes, and every top domain
 *            seen over IPv6; docs/traffic-json.md);
 *   probe    the app's newest testable probe result: its main domains have
 *            AAAA and answer over IPv6 (probe_apps.supported).
 * I6 = supported apps / apps with at least one known verdict. Category
 * infra (a company's shared CDNs, docs/apps.md) is listed, not counted.
 *
 * IPv4-only domains: app_names of the runs with app days in the window,
 * summed per (app, name); a name with IPv4 bytes and no IPv6 bytes is
 * IPv4-only. app_names is per run, not per day: runs that reach into the
 * window count whole (coverage says so).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/indicators_int.h"

struct app_run {
    int64_t run_id, last_s;
    uint64_t v4, v6;
};

struct newest {                   /* newest traffic run of an app (window or period) */
    int64_t run_id, last_s;
    bool shows;
    bool any;
};

struct app_acc {
    char *name, *category;
    bool counted;
    uint64_t v4, v6;
    struct ind_vec runs;          /* struct app_run */
    struct newest tw;             /* window */
    struct newest *tp;            /* [periods] */
    signed char pw;               /* probe verdict in the window: -1 unknown, 0, 1 */
    signed char *pp;              /* [periods] */
    int64_t probe_run;
    uint64_t probe_domains, probe_domains_ok;
    bool probe_seen;
    long probe_last_period;
    struct ind_vec ipv4_only;     /* struct v6m_ind_domain, names in the arena */
    struct ind_vec failing;       /* struct v6m_ind_domain */
};

struct apps_ctx {
    struct ind_ctx *x;
    struct ind_vec apps;          /* struct app_acc */
    struct ind_map index;
    struct ind_ratio i7;
    struct ind_ratio *i7p;
    struct ind_cov c6, c7;
    struct app_acc *cur;          /* probe app being read (domains callback) */
    struct errbuf inner;          /* a failure of the nested domains query */
    bool oom;
};

static void app_free(struct app_acc *a)
{
    free(a->name);
    free(a->category);
    free(a->tp);
    free(a->pp);
    ind_vec_free(&a->runs);
    ind_vec_free(&a->ipv4_only);
    ind_vec_free(&a->failing);
}

static char *dup(const char *s)
{
    size_t l = strlen(s) + 1;
    char *c = malloc(l);
    if (c)
        memcpy(c, s, l);
    return c;
}

static struct app_acc *app_get(struct apps_ctx *c, const char *name, const char *category)
{
    size_t i = ind_map_get(&c->index, name);
    if (i != (size_t)-1)
        return (struct app_acc *)c->apps.data + i;
    size_t np = c->x->per->n ? c->x->per->n : 1;
    struct app_acc a = {0};
    a.name = dup(name);
    a.category = dup(category);
    a.tp = calloc(np, sizeof(*a.tp));
    a.pp = malloc(np);
    ind_vec_init(&a.runs, sizeof(struct app_run));
    ind_vec_init(&a.ipv4_only, sizeof(struct v6m_ind_domain));
    ind_vec_init(&a.failing, sizeof(struct v6m_ind_domain));
    struct app_acc *slot = NULL;
    if (a.name && a.category && a.tp && a.pp)
        slot = ind_vec_push(&c->apps);
    if (!slot || !ind_map_put(&c->index, name, c->apps.n - 1)) {
        if (slot)
            c->apps.n--;
        app_free(&a);
        return NULL;
    }
    memset(a.pp, -1, np);
    a.pw = -1;
    a.probe_last_period = -2;
    a.counted = strcmp(category, "infra") != 0;
    *slot = a;
    return slot;
}

static void newest_take(struct newest *n, int64_t run, int64_t last, bool shows)
{
    if (!n->any || last > n->last_s || (last == n->last_s && run > n->run_id)) {
        n->run_id = run;
        n->last_s = last;
        n->shows = shows;
        n->any = true;
    }
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

static bool app_day_row(void *arg, const struct store_q_app_day_row *r)
{
    struct apps_ctx *c = arg;
    struct ind_ctx *x = c->x;
    struct app_acc *a = app_get(c, r->app, r->category);
    if (!a) {
        c->oom = true;
        return false;
    }
    a->v4 = sat_add(a->v4, r->v4_bytes);
    a->v6 = sat_add(a->v6, r->v6_bytes);
    struct app_run *ar = NULL;
    for (size_t i = a->runs.n; i-- > 0;)
        if (((struct app_run *)a->runs.data)[i].run_id == r->run_id) {
            ar = (struct app_run *)a->runs.data + i;
            break;
        }
    if (!ar) {
        ar = ind_vec_push(&a->runs);
        if (!ar) {
            c->oom = true;
            return false;
        }
        ar->run_id = r->run_id;
        ar->last_s = r->run_last_s;
    }
    ar->v4 = sat_add(ar->v4, r->v4_bytes);
    ar->v6 = sat_add(ar->v6, r->v6_bytes);
    newest_take(&a->tw, r->run_id, r->run_last_s, r->shows_ipv6);
    long p = ind_period_of(x->per, r->day_s);
    if (p >= 0)
        newest_take(&a->tp[p], r->run_id, r->run_last_s, r->shows_ipv6);
    if (!a->counted)
        return true;
    double v6 = (double)r->v6_bytes, all = (double)r->v4_bytes + (double)r->v6_bytes;
    ind_ratio_add(&c->i7, v6, all, 0);
    if (p >= 0)
        ind_ratio_add(&c->i7p[p], v6, all, 0);
    int64_t last = r->day_s + IND_DAY - 1;
    if (!ind_cov_run(x, &c->c7, "traffic", r->run_id, r->vantage, r->tool_version, r->day_s,
                     last) ||
        !ind_cov_run(x, &c->c6, "traffic", r->run_id, r->vantage, r->tool_version, r->day_s,
                     last)) {
        c->oom = true;
        return false;
    }
    return true;
}

static bool domain_row(void *arg, const struct store_q_app_domain_row *r)
{
    struct apps_ctx *c = arg;
    struct ind_arena *ar = &c->x->sc->arena;
    struct v6m_ind_domain *d = ind_vec_push(&c->cur->failing);
    if (d) {
        d->name = ind_strdup(ar, r->domain);
        d->code = ind_strdup(ar, r->code[0] ? r->code : (!r->has_aaaa ? "NO_AAAA" : "NO_IPV6"));
        d->detail = ind_strdup(ar, r->detail);
    }
    if (!d || !d->name || !d->code || !d->detail) {
        c->oom = true;
        return false;
    }
    return true;
}

static bool probe_app_row(void *arg, const struct store_q_probe_app_row *r)
{
    struct apps_ctx *c = arg;
    struct ind_ctx *x = c->x;
    struct app_acc *a = app_get(c, r->name, r->category);
    if (!a) {
        c->oom = true;
        return false;
    }
    signed char v = r->testable ? (signed char)(r->supported ? 1 : 0) : -1;
    long p = ind_period_of(x->per, r->time_s);
    if (!a->probe_seen) {
        /* Rows come newest first per app: the first is the window's result. */
        a->probe_seen = true;
        a->pw = v;
        a->probe_run = r->run_id;
        a->probe_domains = r->n_domains;
        a->probe_domains_ok = r->n_domains_ok;
        c->cur = a;
        if (store_q_app_domains(x->h->q, r->app_id, domain_row, c, x->err) != V6M_OK) {
            if (!c->oom)
                c->inner = *x->err; /* the outer query will say "stopped" */
            return false;
        }
        if (a->counted && !ind_cov_run(x, &c->c6, "probe", r->run_id, "", r->tool_version,
                                       r->time_s, r->time_s)) {
            c->oom = true;
            return false;
        }
    }
    if (p >= 0 && p != a->probe_last_period) {
        a->pp[p] = v;
        a->probe_last_period = p;
    }
    return true;
}

static bool name_row(void *arg, const struct store_q_app_name_row *r)
{
    struct apps_ctx *c = arg;
    if (!(r->v4_bytes > 0 && r->v6_bytes == 0))
        return true;
    size_t i = ind_map_get(&c->index, r->app);
    if (i == (size_t)-1)
        return true; /* an app filtered out of the window's days */
    struct app_acc *a = (struct app_acc *)c->apps.data + i;
    struct v6m_ind_domain *d = ind_vec_push(&a->ipv4_only);
    if (!d) {
        c->oom = true;
        return false;
    }
    d->name = ind_strdup(&c->x->sc->arena, r->name);
    d->bytes = r->v4_bytes;
    d->code = "";
    d->detail = "";
    if (!d->name) {
        c->oom = true;
        return false;
    }
    return true;
}

static enum v6m_ind_tri combine(bool t_known, bool t_yes, signed char probe)
{
    if (!t_known && probe < 0)
        return V6M_IND_UNKNOWN;
    if ((t_known && !t_yes) || probe == 0)
        return V6M_IND_NO;
    return V6M_IND_YES;
}

static int cmp_run_newest(const void *a, const void *b)
{
    const struct app_run *x = a, *y = b;
    if (x->last_s != y->last_s)
        return x->last_s > y->last_s ? -1 : 1;
    return x->run_id > y->run_id ? -1 : x->run_id < y->run_id;
}

static int cmp_domain_bytes(const void *a, const void *b)
{
    const struct v6m_ind_domain *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int cmp_app(const void *a, const void *b)
{
    const struct v6m_ind_app *x = a, *y = b;
    uint64_t bx = x->v4_bytes + x->v6_bytes, by = y->v4_bytes + y->v6_bytes;
    if (bx != by)
        return bx > by ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Per-category ratios over the finished apps (I6 by supported, I7 by bytes). */
static bool category_groups(struct ind_ctx *x, struct v6m_indicator *ind,
                            const struct v6m_ind_app *apps, size_t n, bool support)
{
    struct ind_vec cats;
    struct ind_map idx = {0};
    ind_vec_init(&cats, sizeof(struct ind_ratio));
    const char **names = calloc(n ? n : 1, sizeof(*names));
    bool ok = names != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        const struct v6m_ind_app *a = &apps[i];
        if (!a->counted)
            continue;
        size_t k = ind_map_get(&idx, a->category);
        if (k == (size_t)-1) {
            ok = ind_vec_push(&cats) && ind_map_put(&idx, a->category, cats.n - 1);
            k = cats.n - 1;
            if (ok)
                names[k] = a->category;
        }
        if (!ok)
            break;
        struct ind_ratio *r = (struct ind_ratio *)cats.data + k;
        if (support) {
            if (a->supported != V6M_IND_UNKNOWN)
                ind_ratio_add(r, a->supported == V6M_IND_YES, 1, 1);
        } else {
            ind_ratio_add(r, (double)a->v6_bytes, (double)a->v4_bytes + (double)a->v6_bytes, 0);
        }
    }
    struct v6m_ind_group *g = ok && cats.n ? ind_alloc(&x->sc->arena, cats.n * sizeof(*g)) : NULL;
    if (cats.n && !g)
        ok = false;
    for (size_t k = 0; ok && k < cats.n; k++)
        ok = ind_group_set(x, &g[k], names[k], (struct ind_ratio *)cats.data + k, ind->target,
                           true, NULL);
    if (ok) {
        ind->group_by = "category";
        ind->groups = g;
        ind->n_groups = cats.n;
    }
    free(names);
    ind_vec_free(&cats);
    ind_map_free(&idx);
    return ok;
}

static bool finish_apps(struct apps_ctx *c, bool traffic_present, bool probe_present)
{
    struct ind_ctx *x = c->x;
    v6m_scorecard *sc = x->sc;
    size_t n = c->apps.n, np = x->per->n;
    struct v6m_ind_app *out = n ? ind_alloc(&sc->arena, n * sizeof(*out)) : NULL;
    struct ind_ratio *i6p = calloc(np ? np : 1, sizeof(*i6p));
    struct ind_ratio i6 = {0};
    bool ok = (out || !n) && i6p;
    for (size_t i = 0; ok && i < n; i++) {
        struct app_acc *a = (struct app_acc *)c->apps.data + i;
        struct v6m_ind_app *o = &out[i];
        o->name = ind_strdup(&sc->arena, a->name);
        o->category = ind_strdup(&sc->arena, a->category);
        ok = o->name && o->category;
        o->counted = a->counted;
        o->v4_bytes = a->v4;
        o->v6_bytes = a->v6;
        if (a->v4 + a->v6 > 0) {
            o->has_share = true;
            o->share = (double)a->v6 / ((double)a->v4 + (double)a->v6);
        }
        if (a->runs.n) {
            qsort(a->runs.data, a->runs.n, sizeof(struct app_run), cmp_run_newest);
            double sum = 0;
            unsigned k = 0;
            for (size_t j = 0; j < a->runs.n && k < 3; j++) {
                const struct app_run *r = (struct app_run *)a->runs.data + j;
                double all = (double)r->v4 + (double)r->v6;
                if (all <= 0)
                    continue;
                sum += (double)r->v6 / all;
                k++;
            }
            if (k) {
                o->has_mean3 = true;
                o->mean3 = sum / k;
                o->mean3_runs = k;
            }
        }
        o->traffic_ipv6 = a->tw.any ? (a->tw.shows ? V6M_IND_YES : V6M_IND_NO) : V6M_IND_UNKNOWN;
        o->probe_supported = a->pw < 0 ? V6M_IND_UNKNOWN : a->pw ? V6M_IND_YES : V6M_IND_NO;
        o->supported = combine(a->tw.any, a->tw.shows, a->pw);
        o->traffic_run = a->tw.any ? a->tw.run_id : 0;
        o->probe_run = a->probe_seen ? a->probe_run : 0;
        o->probe_domains = a->probe_domains;
        o->probe_domains_ok = a->probe_domains_ok;
        if (a->ipv4_only.n)
            qsort(a->ipv4_only.data, a->ipv4_only.n, sizeof(struct v6m_ind_domain),
                  cmp_domain_bytes);
        o->ipv4_only = ind_vec_arena(&sc->arena, &a->ipv4_only, &o->n_ipv4_only, &ok);
        o->probe_failing = ind_vec_arena(&sc->arena, &a->failing, &o->n_probe_failing, &ok);
        if (!a->counted)
            continue;
        if (o->supported != V6M_IND_UNKNOWN)
            ind_ratio_add(&i6, o->supported == V6M_IND_YES, 1, 1);
        for (size_t p = 0; p < np; p++) {
            enum v6m_ind_tri t = combine(a->tp[p].any, a->tp[p].shows, a->pp[p]);
            if (t != V6M_IND_UNKNOWN)
                ind_ratio_add(&i6p[p], t == V6M_IND_YES, 1, 1);
        }
    }
    if (!ok) {
        free(i6p);
        return false;
    }
    if (n)
        qsort(out, n, sizeof(*out), cmp_app);
    sc->apps = out;
    sc->n_apps = n;

    struct v6m_indicator *ind6 = &sc->ind[SLOT_I6], *ind7 = &sc->ind[SLOT_I7];
    char why[256], why_zh[384];
    if (!traffic_present && !probe_present) {
        snprintf(why, sizeof(why), "the database has no app tables (schema version %d)",
                 sc->info.schema_version);
        snprintf(why_zh, sizeof(why_zh), "数据库中没有应用数据表（结构版本 %d）",
                 sc->info.schema_version);
    } else {
        snprintf(why, sizeof(why), "no app measured in the window (v6mon traffic --apps, "
                                   "v6mon probe with an app list)");
        snprintf(why_zh, sizeof(why_zh), "统计周期内没有应用测量结果（v6mon traffic --apps，"
                                         "或以应用清单运行 v6mon probe）");
    }
    ind_set_ratio(x, ind6, &i6, why, why_zh);
    c->c6.samples = (uint64_t)i6.den;
    if (!traffic_present) {
        snprintf(why, sizeof(why), "the database has no app tables (schema version %d)",
                 sc->info.schema_version);
        snprintf(why_zh, sizeof(why_zh), "数据库中没有应用数据表（结构版本 %d）",
                 sc->info.schema_version);
    } else {
        snprintf(why, sizeof(why), "no app traffic in the window (traffic runs need --apps)");
        snprintf(why_zh, sizeof(why_zh),
                 "统计周期内没有应用流量（流量监测需加 --apps）");
    }
    ind_set_ratio(x, ind7, &c->i7, why, why_zh);
    ok = ind_set_trend(x, ind6, i6p) && ind_set_trend(x, ind7, c->i7p) &&
         category_groups(x, ind6, out, n, true) && category_groups(x, ind7, out, n, false);
    free(i6p);
    return ok;
}

v6m_err ind_compute_apps(struct ind_ctx *x)
{
    struct apps_ctx c = {.x = x};
    ind_vec_init(&c.apps, sizeof(struct app_acc));
    ind_cov_init(&c.c6, "apps");
    ind_cov_init(&c.c7, "bytes");
    c.i7p = calloc(x->per->n ? x->per->n : 1, sizeof(*c.i7p));
    v6m_err e = c.i7p ? V6M_OK : ind_nomem(x);
    bool tp = false, pp = false;
    if (e == V6M_OK)
        e = store_q_app_days(x->h->q, &x->f, app_day_row, &c, &tp, x->err);
    if (e == V6M_OK)
        e = store_q_app_names(x->h->q, &x->f, name_row, &c, x->err);
    if (e == V6M_OK && !x->f.segment)
        e = store_q_probe_apps(x->h->q, &x->f, probe_app_row, &c, &pp, x->err);
    if (c.oom)
        e = ind_nomem(x);
    else if (c.inner.code != V6M_OK) {
        *x->err = c.inner;
        e = c.inner.code;
    }
    bool ok = e == V6M_OK;
    if (ok) {
        ok = finish_apps(&c, tp, pp || x->f.segment);
        c.c7.samples = (uint64_t)c.i7.den;
        if (ok && x->f.segment)
            ok = ind_cov_note(x, &c.c6,
                              "probe results have no segment: with the segment filter "
                              "only traffic verdicts count",
                              "探测结果不区分网络区段：按区段筛选时只计入流量得出的结论");
        if (ok && c.c7.runs.n)
            ok = ind_cov_note(x, &c.c7,
                              "IPv4-only domains come from whole runs (app_names is "
                              "kept per run, not per day)",
                              "仅支持IPv4的域名取自整次监测（app_names 按监测批次保存，不按天）");
        ok = ok &&
             ind_cov_finish(x, &c.c6, &x->sc->ind[SLOT_I6], "apps with a verdict",
                            "有结论的应用") &&
             ind_cov_finish(x, &c.c7, &x->sc->ind[SLOT_I7], "catalog app traffic",
                            "应用目录中应用的流量");
        if (!ok)
            e = ind_nomem(x);
    }
    for (size_t i = 0; i < c.apps.n; i++)
        app_free((struct app_acc *)c.apps.data + i);
    ind_vec_free(&c.apps);
    ind_map_free(&c.index);
    ind_cov_release(&c.c6);
    ind_cov_release(&c.c7);
    free(c.i7p);
    return e;
}
