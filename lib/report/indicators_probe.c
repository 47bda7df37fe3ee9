/*
 * report/indicators_probe.c - the indicators from active measurements:
 * I4 and I5 from probe runs (v6mon probe), the parity metrics and CDN
 * coverage from kpi runs (v6mon kpi).
 *
 * Snapshots: a site, or a (vantage point, target) pair, counts once, with
 * its newest result in the window; in a trend point, with its newest
 * result in that point's period. The store returns the rows ordered by
 * site (pair), newest first, so one pass picks them: the first row of a
 * site is the window's; the first row of each period is that period's.
 * A site is identified by its URL.
 *
 *   I4 = sites supported / testable sites (supported = W1 AAAA and W3
 *        home page over IPv6; a site that could not be tested because the
 *        vantage point had no IPv6 is listed and not counted);
 *   I5 = sum over crawled testable sites of (home page over IPv6 + level-2
 *        and level-3 links passing) / sum of (1 + links tested);
 *   I5.resource_bytes = sum of sub-resource bytes over IPv6 / sum of
 *        sub-resource bytes (testable sites that fetched any);
 *   parity.<metric> = pairs converged / pairs converged or degraded (the
 *        kpi run's own verdict, with its thresholds and floors);
 *   parity.cdn_coverage = over targets, vantage points where a global AAAA
 *        was present and reachable / those where a global A was (newest
 *        run per vantage point); only with two or more vantage points.
 *
 * The failing checks of each listed site are read after the site pass
 * (one indexed lookup per site), never while the site query is open.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/indicators_int.h"
#include "report/labels.h"

static const char *const no_segment =
    "the segment filter applies to traffic, not to probe and kpi results";
static const char *const no_segment_zh = "网络区段筛选只适用于流量，不适用于探测和性能对比结果";

/* ---- I4, I5 ---------------------------------------------------------------------- */

enum { R_I4, R_I5, R_I5R, R_N };

struct cat_acc {
    struct ind_ratio r[R_N];
};

struct sites_ctx {
    struct ind_ctx *x;
    struct ind_vec sites;         /* struct v6m_ind_site */
    char *cur_url;
    long last_period;
    struct ind_ratio r[R_N];
    struct ind_ratio *per[R_N];
    struct ind_vec cats;          /* struct cat_acc */
    struct ind_vec cat_names;     /* const char * (arena) */
    struct ind_map cat_index;
    struct ind_cov cov[R_N];
    uint64_t untestable, testable_not_crawled;
    bool oom;
};

static void site_add(struct ind_ratio *r, const struct store_q_site_row *s)
{
    if (!s->testable)
        return;
    ind_ratio_add(&r[R_I4], s->supported ? 1 : 0, 1, 1);
    if (s->crawled) {
        double pages = 1.0 + (double)s->l2_total + (double)s->l3_total;
        double pass = (s->w3_pass ? 1.0 : 0.0) + (double)s->l2_pass + (double)s->l3_pass;
        ind_ratio_add(&r[R_I5], pass, pages, 1);
    }
    if (s->res_bytes > 0)
        ind_ratio_add(&r[R_I5R], (double)s->res_bytes_v6, (double)s->res_bytes, 1);
}

static bool site_row(void *arg, const struct store_q_site_row *s)
{
    struct sites_ctx *c = arg;
    struct ind_ctx *x = c->x;
    struct ind_arena *a = &x->sc->arena;
    if (!c->cur_url || strcmp(c->cur_url, s->url) != 0) {
        /* The newest row of a site: the window's result. */
        free(c->cur_url);
        size_t l = strlen(s->url) + 1;
        c->cur_url = malloc(l);
        if (!c->cur_url) {
            c->oom = true;
            return false;
        }
        memcpy(c->cur_url, s->url, l);
        c->last_period = -2;
        struct v6m_ind_site *o = ind_vec_push(&c->sites);
        if (!o) {
            c->oom = true;
            return false;
        }
        o->name = ind_strdup(a, s->name);
        o->url = ind_strdup(a, s->url);
        o->category = ind_strdup(a, s->category);
        o->unit = ind_strdup(a, s->unit);
        o->host = ind_strdup(a, s->host);
        o->run_id = s->run_id;
        o->site_id = s->site_id;
        o->time_s = s->time_s;
        o->testable = s->testable;
        o->supported = s->supported;
        o->compliant = s->compliant;
        o->has_score = s->has_score;
        o->score = s->score;
        o->crawled = s->crawled;
        if (s->crawled) {
            o->pages = 1 + s->l2_total + s->l3_total;
            o->pages_v6 = (s->w3_pass ? 1u : 0u) + s->l2_pass + s->l3_pass;
        }
        o->res_bytes = s->res_bytes;
        o->res_bytes_v6 = s->res_bytes_v6;
        if (!o->name || !o->url || !o->category || !o->unit || !o->host) {
            c->oom = true;
            return false;
        }
        site_add(c->r, s);
        size_t k = ind_map_get(&c->cat_index, s->category);
        if (k == (size_t)-1) {
            const char **nm = ind_vec_push(&c->cat_names);
            if (!nm || !ind_vec_push(&c->cats) ||
                !ind_map_put(&c->cat_index, s->category, c->cats.n - 1)) {
                c->oom = true;
                return false;
            }
            *nm = o->category;
            k = c->cats.n - 1;
        }
        site_add(((struct cat_acc *)c->cats.data)[k].r, s);
        if (!s->testable)
            c->untestable++;
        else if (!s->crawled)
            c->testable_not_crawled++;
        for (int i = 0; i < R_N; i++) {
            bool counts = s->testable && (i == R_I4 || (i == R_I5 && s->crawled) ||
                                          (i == R_I5R && s->res_bytes > 0));
            if (!counts)
                continue;
            c->cov[i].samples += i == R_I5 ? o->pages : i == R_I5R ? s->res_bytes : 1;
            if (!ind_cov_run(x, &c->cov[i], "probe", s->run_id, "", s->tool_version, s->time_s,
                             s->time_s)) {
                c->oom = true;
                return false;
            }
        }
    }
    long p = ind_period_of(x->per, s->time_s);
    if (p >= 0 && p != c->last_period) {
        struct ind_ratio tmp[R_N] = {{0}};
        site_add(tmp, s);
        for (int i = 0; i < R_N; i++)
            if (tmp[i].any)
                ind_ratio_add(&c->per[i][p], tmp[i].num, tmp[i].den, tmp[i].samples);
        c->last_period = p;
    }
    return true;
}

struct check_ctx {
    struct ind_arena *a;
    struct ind_vec v;
    bool oom;
};

static bool check_row(void *arg, const struct store_q_check_row *r)
{
    struct check_ctx *c = arg;
    struct v6m_ind_check *k = ind_vec_push(&c->v);
    if (k) {
        k->check = ind_strdup(c->a, r->check);
        k->state = ind_strdup(c->a, r->state);
        k->code = ind_strdup(c->a, r->code);
        k->message = ind_strdup(c->a, r->message);
    }
    if (!k || !k->check || !k->state || !k->code || !k->message) {
        c->oom = true;
        return false;
    }
    return true;
}

static int cmp_site(const void *a, const void *b)
{
    const struct v6m_ind_site *x = a, *y = b;
    int k = strcmp(x->category, y->category);
    if (k)
        return k;
    if (x->supported != y->supported)
        return x->supported ? 1 : -1;
    if (x->compliant != y->compliant)
        return x->compliant ? 1 : -1;
    double sx = x->has_score ? x->score : -1, sy = y->has_score ? y->score : -1;
    if (sx != sy)
        return sx < sy ? -1 : 1;
    return strcmp(x->url, y->url);
}

static const char *const site_key[R_N] = {"sites", "pages", "sub-resource bytes"};

v6m_err ind_compute_sites(struct ind_ctx *x)
{
    v6m_scorecard *sc = x->sc;
    static const enum ind_slot slot[R_N] = {SLOT_I4, SLOT_I5, SLOT_I5R};
    struct sites_ctx c = {.x = x, .last_period = -2};
    ind_vec_init(&c.sites, sizeof(struct v6m_ind_site));
    ind_vec_init(&c.cats, sizeof(struct cat_acc));
    ind_vec_init(&c.cat_names, sizeof(const char *));
    size_t np = x->per->n ? x->per->n : 1;
    v6m_err e = V6M_OK;
    for (int i = 0; i < R_N; i++) {
        ind_cov_init(&c.cov[i], site_key[i]);
        c.per[i] = calloc(np, sizeof(struct ind_ratio));
        if (!c.per[i])
            e = ind_nomem(x);
    }
    bool present = true, ok = true;
    if (e == V6M_OK && x->f.segment) {
        for (int i = 0; i < R_N && ok; i++) {
            ind_set_nodata_text(x, &sc->ind[slot[i]], no_segment, no_segment_zh);
            ok = ind_cov_note_text(x, &c.cov[i], no_segment, no_segment_zh);
        }
        goto finish;
    }
    if (e == V6M_OK)
        e = store_q_sites(x->h->q, &x->f, site_row, &c, &present, x->err);
    if (c.oom)
        e = ind_nomem(x);
    if (e != V6M_OK)
        goto out;
    /* Failing checks of each listed site. */
    struct v6m_ind_site *sites = c.sites.data;
    for (size_t i = 0; i < c.sites.n; i++) {
        struct check_ctx cc = {.a = &sc->arena};
        ind_vec_init(&cc.v, sizeof(struct v6m_ind_check));
        e = store_q_site_checks(x->h->q, sites[i].site_id, check_row, &cc, x->err);
        if (cc.oom)
            e = ind_nomem(x);
        sites[i].checks = ind_vec_arena(&sc->arena, &cc.v, &sites[i].n_checks, &ok);
        if (e != V6M_OK)
            goto out;
    }
    if (c.sites.n)
        qsort(c.sites.data, c.sites.n, sizeof(struct v6m_ind_site), cmp_site);
    sc->sites = ind_vec_arena(&sc->arena, &c.sites, &sc->n_sites, &ok);

    char why[256], why_zh[384];
    for (int i = 0; i < R_N; i++) {
        struct v6m_indicator *ind = &sc->ind[slot[i]];
        if (!present) {
            snprintf(why, sizeof(why), "the database has no probe tables (schema version %d)",
                     sc->info.schema_version);
            snprintf(why_zh, sizeof(why_zh), "数据库中没有探测数据表（结构版本 %d）",
                     sc->info.schema_version);
        } else if (!sc->n_sites) {
            snprintf(why, sizeof(why), "no probe results for sites in the window (v6mon probe)");
            snprintf(why_zh, sizeof(why_zh), "统计周期内没有网站探测结果（v6mon probe）");
        } else if (c.untestable == sc->n_sites) {
            snprintf(why, sizeof(why),
                     "no testable site: the probe's vantage point had no working IPv6 (%llu "
                     "sites not testable)",
                     (unsigned long long)c.untestable);
            snprintf(why_zh, sizeof(why_zh),
                     "没有可测网站：探测所在监测点的IPv6不可用（%llu 个网站无法测试）",
                     (unsigned long long)c.untestable);
        } else if (i == R_I5) {
            snprintf(why, sizeof(why),
                     "no testable site was crawled (probe runs with --no-crawl)");
            snprintf(why_zh, sizeof(why_zh),
                     "没有爬取任何可测网站（探测使用了 --no-crawl）");
        } else {
            snprintf(why, sizeof(why), "no sub-resource bytes were measured (probe runs with "
                                       "--no-crawl, or pages without sub-resources)");
            snprintf(why_zh, sizeof(why_zh),
                     "没有测得子资源字节（探测使用了 --no-crawl，或页面没有子资源）");
        }
        ind_set_ratio(x, ind, &c.r[i], why, why_zh);
        ok = ok && ind_set_trend(x, ind, c.per[i]);
        struct v6m_ind_group *g = c.cats.n ? ind_alloc(&sc->arena, c.cats.n * sizeof(*g)) : NULL;
        ok = ok && (g || !c.cats.n);
        for (size_t k = 0; ok && k < c.cats.n; k++)
            ok = ind_group_set(x, &g[k], ((const char **)c.cat_names.data)[k],
                               &((struct cat_acc *)c.cats.data)[k].r[i], ind->target, true,
                               NULL);
        ind->group_by = "category";
        ind->groups = g;
        ind->n_groups = ok ? c.cats.n : 0;
        if (ok && c.untestable)
            ok = ind_cov_note(x, &c.cov[i],
                              "%llu sites were not testable (no IPv6 at the vantage point): "
                              "listed, not counted",
                              "%llu 个网站无法测试（监测点没有IPv6）：列出，但不计入",
                              (unsigned long long)c.untestable);
        if (ok && i != R_I4 && c.testable_not_crawled)
            ok = ind_cov_note(x, &c.cov[i], "%llu testable sites were not crawled",
                              "%llu 个可测网站未被爬取",
                              (unsigned long long)c.testable_not_crawled);
        if (ok && x->f.vantage)
            ok = ind_cov_note(x, &c.cov[i],
                              "probe runs are matched to the vantage point by "
                              "the \"vantage\" key of their stored config",
                              "探测批次按其保存配置中的 \"vantage\" 键对应到监测点");
    }
finish:
    for (int i = 0; ok && i < R_N; i++)
        ok = ind_cov_finish(x, &c.cov[i], &sc->ind[slot[i]],
                            i == R_I4   ? "key sites, newest result each"
                            : i == R_I5 ? "pages of crawled key sites"
                                        : "sub-resources of key sites",
                            i == R_I4   ? "重点网站（各取最新结果）"
                            : i == R_I5 ? "已爬取重点网站的页面"
                                        : "重点网站的子资源");
    if (!ok && e == V6M_OK)
        e = ind_nomem(x);
out:
    free(c.cur_url);
    ind_vec_free(&c.sites);
    ind_vec_free(&c.cats);
    ind_vec_free(&c.cat_names);
    ind_map_free(&c.cat_index);
    for (int i = 0; i < R_N; i++) {
        ind_cov_release(&c.cov[i]);
        free(c.per[i]);
    }
    return e;
}

/* ---- parity -------------------------------------------------------------------------- */

struct pcount {
    unsigned conv, degr, insuf;
};

struct parity_ctx {
    struct ind_ctx *x;
    char *key;                    /* vantage \x1f target of the pair being read */
    int64_t window_run;
    long cur_period;
    int64_t cur_period_run;
    struct pcount win[V6M_KPI_METRICS];
    struct pcount *per[V6M_KPI_METRICS]; /* [periods] */
    struct ind_vec rows[V6M_KPI_METRICS]; /* struct v6m_ind_parity_row */
    struct ind_vec ds[V6M_KPI_METRICS];   /* double */
    struct ind_cov cov[V6M_KPI_METRICS];
    uint64_t unknown_metric;
    bool oom;
};

static void pcount_add(struct pcount *p, const char *verdict)
{
    if (strcmp(verdict, "converged") == 0)
        p->conv++;
    else if (strcmp(verdict, "degraded") == 0)
        p->degr++;
    else
        p->insuf++;
}

static bool same_pair(const char *key, const char *vantage, const char *target)
{
    size_t lv = strlen(vantage);
    return strncmp(key, vantage, lv) == 0 && key[lv] == '\x1f' && strcmp(key + lv + 1, target) == 0;
}

static bool kpi_row(void *arg, const struct store_q_kpi_row *r)
{
    struct parity_ctx *c = arg;
    struct ind_ctx *x = c->x;
    if (!c->key || !same_pair(c->key, r->vantage, r->target)) {
        free(c->key);
        size_t lv = strlen(r->vantage), lt = strlen(r->target);
        c->key = malloc(lv + lt + 2);
        if (!c->key) {
            c->oom = true;
            return false;
        }
        memcpy(c->key, r->vantage, lv);
        c->key[lv] = '\x1f';
        memcpy(c->key + lv + 1, r->target, lt + 1);
        c->window_run = r->run_id;
        c->cur_period = -2;
        c->cur_period_run = INT64_MIN;
    }
    long p = ind_period_of(x->per, r->time_s);
    if (r->run_id != c->cur_period_run && p != c->cur_period) {
        c->cur_period = p;
        c->cur_period_run = r->run_id;
    }
    int m = v6m_kpi_metric_from_name(r->metric);
    if (m < 0) {
        c->unknown_metric++;
        return true;
    }
    if (p >= 0 && r->run_id == c->cur_period_run)
        pcount_add(&c->per[m][p], r->verdict);
    if (r->run_id != c->window_run)
        return true;
    pcount_add(&c->win[m], r->verdict);
    struct ind_arena *a = &x->sc->arena;
    struct v6m_ind_parity_row *o = ind_vec_push(&c->rows[m]);
    if (!o) {
        c->oom = true;
        return false;
    }
    o->target = ind_strdup(a, r->target);
    o->host = ind_strdup(a, r->host);
    o->name = ind_strdup(a, r->name);
    o->category = ind_strdup(a, r->category);
    o->vantage = ind_strdup(a, r->vantage);
    o->verdict = ind_strdup(a, r->verdict);
    o->run_id = r->run_id;
    o->time_s = r->time_s;
    o->has_v4 = r->has_v4;
    o->has_v6 = r->has_v6;
    o->has_d = r->has_d;
    o->v4 = r->v4;
    o->v6 = r->v6;
    o->d = r->d;
    o->n4 = r->n4;
    o->n6 = r->n6;
    if (!o->target || !o->host || !o->name || !o->category || !o->vantage || !o->verdict) {
        c->oom = true;
        return false;
    }
    if (r->has_d && isfinite(r->d)) {
        double *d = ind_vec_push(&c->ds[m]);
        if (!d) {
            c->oom = true;
            return false;
        }
        *d = r->d;
    }
    c->cov[m].samples++;
    if (!ind_cov_run(x, &c->cov[m], "kpi", r->run_id, r->vantage, r->tool_version, r->time_s,
                     r->time_s)) {
        c->oom = true;
        return false;
    }
    return true;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_prow(const void *a, const void *b)
{
    const struct v6m_ind_parity_row *x = a, *y = b;
    int k = strcmp(x->target, y->target);
    return k ? k : strcmp(x->vantage, y->vantage);
}

static struct ind_ratio pratio(const struct pcount *p)
{
    struct ind_ratio r = {.num = p->conv, .den = p->conv + p->degr,
                          .samples = p->conv + p->degr + p->insuf};
    r.any = r.samples > 0;
    return r;
}

/* ---- CDN coverage ---- */

struct cdn_ctx {
    struct ind_ctx *x;
    struct ind_vec out;           /* struct v6m_ind_cdn */
    char *target, *vantage;
    long cur_period;
    struct ind_map vantages;      /* distinct vantage points seen */
    struct ind_ratio win;
    struct ind_ratio *per;
    struct ind_cov cov;
    bool oom;
};

static bool set_str(char **dst, const char *s)
{
    free(*dst);
    size_t l = strlen(s) + 1;
    *dst = malloc(l);
    if (!*dst)
        return false;
    memcpy(*dst, s, l);
    return true;
}

static bool cdn_row(void *arg, const struct store_q_kpi_target_row *r)
{
    struct cdn_ctx *c = arg;
    struct ind_ctx *x = c->x;
    struct ind_arena *a = &x->sc->arena;
    bool new_target = !c->target || strcmp(c->target, r->target) != 0;
    bool new_vantage = new_target || strcmp(c->vantage, r->vantage) != 0;
    bool v6 = r->has_aaaa && r->reach_v6, v4 = r->has_a && r->reach_v4;
    if (new_target) {
        struct v6m_ind_cdn *o = ind_vec_push(&c->out);
        if (!o || !set_str(&c->target, r->target) || !(o->target = ind_strdup(a, r->target)) ||
            !(o->host = ind_strdup(a, r->host)) || !(o->name = ind_strdup(a, r->name)) ||
            !(o->category = ind_strdup(a, r->category))) {
            c->oom = true;
            return false;
        }
    }
    if (new_vantage) {
        if (!set_str(&c->vantage, r->vantage) ||
            (ind_map_get(&c->vantages, r->vantage) == (size_t)-1 &&
             !ind_map_put(&c->vantages, r->vantage, c->vantages.n))) {
            c->oom = true;
            return false;
        }
        c->cur_period = -2;
        /* The newest run of this vantage point for this target. */
        struct v6m_ind_cdn *o = (struct v6m_ind_cdn *)c->out.data + c->out.n - 1;
        o->vantages++;
        o->with_a += v4;
        o->with_aaaa += v6;
        ind_ratio_add(&c->win, v6, v4, 1);
        c->cov.samples++;
        if (!ind_cov_run(x, &c->cov, "kpi", r->run_id, r->vantage, "", r->time_s, r->time_s)) {
            c->oom = true;
            return false;
        }
    }
    long p = ind_period_of(x->per, r->time_s);
    if (p >= 0 && p != c->cur_period) {
        ind_ratio_add(&c->per[p], v6, v4, 1);
        c->cur_period = p;
    }
    return true;
}

static v6m_err compute_cdn(struct ind_ctx *x)
{
    v6m_scorecard *sc = x->sc;
    struct v6m_indicator *ind = &sc->ind[SLOT_CDN];
    struct cdn_ctx c = {.x = x, .cur_period = -2};
    ind_vec_init(&c.out, sizeof(struct v6m_ind_cdn));
    ind_cov_init(&c.cov, "(target, vantage point) results");
    c.per = calloc(x->per->n ? x->per->n : 1, sizeof(*c.per));
    v6m_err e = c.per ? V6M_OK : ind_nomem(x);
    bool present = true, ok = true;
    if (e == V6M_OK && x->f.segment) {
        ind_set_nodata_text(x, ind, no_segment, no_segment_zh);
        ok = ind_cov_note_text(x, &c.cov, no_segment, no_segment_zh);
    } else if (e == V6M_OK) {
        e = store_q_kpi_targets(x->h->q, &x->f, cdn_row, &c, &present, x->err);
        if (c.oom)
            e = ind_nomem(x);
        if (e != V6M_OK)
            goto out;
        for (size_t i = 0; i < c.out.n; i++) {
            struct v6m_ind_cdn *o = (struct v6m_ind_cdn *)c.out.data + i;
            if (o->with_a) {
                o->has_value = true;
                o->value = (double)o->with_aaaa / o->with_a;
            }
        }
        sc->cdn = ind_vec_arena(&sc->arena, &c.out, &sc->n_cdn, &ok);
        size_t nv = c.vantages.n;
        if (!present)
            ind_set_nodata(x, ind, "the database has no kpi tables (schema version %d)",
                           "数据库中没有性能对比数据表（结构版本 %d）", sc->info.schema_version);
        else if (!sc->n_cdn)
            ind_set_nodata(x, ind, "no kpi results in the window (v6mon kpi)",
                           "统计周期内没有性能对比结果（v6mon kpi）");
        else if (nv < 2)
            ind_set_nodata(x, ind,
                           "CDN coverage needs kpi runs from at least two vantage points (the "
                           "window has %zu)",
                           "CDN覆盖率需要至少两个监测点的性能对比测量（统计周期内有 %zu 个）",
                           nv);
        else
            ind_set_ratio(x, ind, &c.win, "no target had a reachable A at any vantage point",
                          "没有目标在任何监测点有可达的A记录");
        ok = ok && ind_set_trend(x, ind, nv >= 2 ? c.per : NULL);
    }
    ok = ok && ind_cov_finish(x, &c.cov, ind, "kpi targets per vantage point",
                              "各监测点的性能对比目标");
    if (!ok && e == V6M_OK)
        e = ind_nomem(x);
out:
    ind_vec_free(&c.out);
    ind_map_free(&c.vantages);
    ind_cov_release(&c.cov);
    free(c.target);
    free(c.vantage);
    free(c.per);
    return e;
}

v6m_err ind_compute_parity(struct ind_ctx *x)
{
    v6m_scorecard *sc = x->sc;
    struct parity_ctx c = {.x = x, .cur_period = -2};
    size_t np = x->per->n ? x->per->n : 1;
    v6m_err e = V6M_OK;
    for (int m = 0; m < V6M_KPI_METRICS; m++) {
        ind_vec_init(&c.rows[m], sizeof(struct v6m_ind_parity_row));
        ind_vec_init(&c.ds[m], sizeof(double));
        ind_cov_init(&c.cov[m], "results");
        c.per[m] = calloc(np, sizeof(struct pcount));
        if (!c.per[m])
            e = ind_nomem(x);
    }
    bool present = true, ok = true;
    if (e == V6M_OK && !x->f.segment)
        e = store_q_kpi_metrics(x->h->q, &x->f, kpi_row, &c, &present, x->err);
    if (c.oom)
        e = ind_nomem(x);
    if (e != V6M_OK)
        goto out;
    struct ind_ratio *tr = calloc(np, sizeof(*tr));
    if (!tr) {
        e = ind_nomem(x);
        goto out;
    }
    for (int m = 0; ok && m < V6M_KPI_METRICS; m++) {
        struct v6m_indicator *ind = &sc->ind[SLOT_PARITY + m];
        struct v6m_ind_parity *par = &sc->parity[m];
        struct pcount *w = &c.win[m];
        par->converged = w->conv;
        par->degraded = w->degr;
        par->insufficient = w->insuf;
        par->verdict = w->degr ? "degraded" : w->conv ? "converged" : "insufficient";
        if (c.ds[m].n) {
            double *d = c.ds[m].data;
            size_t n = c.ds[m].n;
            qsort(d, n, sizeof(double), cmp_double);
            par->has_d_median = true;
            par->d_median = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
        }
        if (c.rows[m].n)
            qsort(c.rows[m].data, c.rows[m].n, sizeof(struct v6m_ind_parity_row), cmp_prow);
        par->rows = ind_vec_arena(&sc->arena, &c.rows[m], &par->n_rows, &ok);
        struct ind_ratio r = pratio(w);
        if (x->f.segment) {
            ind_set_nodata_text(x, ind, no_segment, no_segment_zh);
            ok = ok && ind_cov_note_text(x, &c.cov[m], no_segment, no_segment_zh);
        } else if (!present) {
            ind_set_nodata(x, ind, "the database has no kpi tables (schema version %d)",
                           "数据库中没有性能对比数据表（结构版本 %d）", sc->info.schema_version);
        } else if (!r.samples) {
            char en[160], zh[256];
            snprintf(en, sizeof(en), "no kpi result for %s in the window", par->metric);
            snprintf(zh, sizeof(zh), "统计周期内没有“%s”的性能对比结果",
                     labels_metric(LABELS_ZH, par->metric));
            ind_set_nodata_text(x, ind, en, zh);
        } else {
            char why[160], why_zh[256];
            snprintf(why, sizeof(why), "every result had too few samples (%u insufficient)",
                     w->insuf);
            snprintf(why_zh, sizeof(why_zh), "所有结果的样本量都不足（%u 个样本不足）", w->insuf);
            ind_set_ratio(x, ind, &r, why, why_zh);
        }
        for (size_t i = 0; i < x->per->n; i++)
            tr[i] = pratio(&c.per[m][i]);
        ok = ok && ind_set_trend(x, ind, tr);
        if (ok && c.unknown_metric && m == 0)
            ok = ind_cov_note(x, &c.cov[m],
                              "%llu rows of metrics this v6mon does not know were left out",
                              "%llu 行本版本v6mon不认识的指标数据未计入",
                              (unsigned long long)c.unknown_metric);
        char what[96], what_zh[192];
        snprintf(what, sizeof(what), "kpi %s, newest result per (vantage point, target)",
                 par->metric);
        snprintf(what_zh, sizeof(what_zh), "性能对比：%s，每个（监测点，目标）取最新结果",
                 labels_metric(LABELS_ZH, par->metric));
        ok = ok && ind_cov_finish(x, &c.cov[m], ind, what, what_zh);
    }
    free(tr);
    if (!ok)
        e = ind_nomem(x);
    if (e == V6M_OK)
        e = compute_cdn(x);
out:
    free(c.key);
    for (int m = 0; m < V6M_KPI_METRICS; m++) {
        ind_vec_free(&c.rows[m]);
        ind_vec_free(&c.ds[m]);
        ind_cov_release(&c.cov[m]);
        free(c.per[m]);
    }
    return e;
}
