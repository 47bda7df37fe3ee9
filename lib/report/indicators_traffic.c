/*
 * report/indicators_traffic.c - the indicators that rest on passive
 * traffic runs: I2 and I3 (IPv6 byte share of the mobile and metro
 * segments), the per-segment share table, I1 (IPv6 active subscribers)
 * and I8's network facts beside the registry.
 *
 * I2/I3: the store returns bytes per (UTC day, segment, run); each row
 * goes to the window's sums and to its trend period's sums, for the
 * indicator and for its segment's breakdown row. Which segments are
 * "mobile" and "metro" is configuration (mobile_segments, metro_segments
 * in the targets file; default the built-in segment names), because the
 * store keeps segment names, not kinds.
 *
 * I1: a distinct count cannot be summed over days or runs (a subscriber
 * active on 30 days would count 30 times). Each stored 'day' row carries
 * the HyperLogLog sketches of its subscribers with a qualifying IPv4 flow
 * (q4) and with a qualifying IPv6 flow (q6); the union over the rows of a
 * period is the register-wise maximum, active = |q4 u q6|, IPv6 active =
 * |q6|, estimated after merging (docs/internals/hll.md). A set that is
 * one row only uses that row's own counts (exact when the run counted
 * exactly). Rows are merged into their period's sketches; the window's
 * sketch is the merge of the periods (plus rows outside every period),
 * so each row is merged once.
 *
 * Runs that overlap in time from the same vantage point are added (each
 * run is taken to watch different traffic); when that happens the
 * coverage says so, because two runs of the same link count it twice.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <v6mon/hll.h>

#include "report/indicators_int.h"

static const char *const no_category =
    "the category filter applies to sites, apps and kpi targets, not to traffic";
static const char *const no_category_zh = "类别筛选只适用于网站、应用和性能对比目标，不适用于流量";

/* ---- I2, I3 and the segment table ----------------------------------------------- */

struct seg_acc {
    char *name;
    struct ind_ratio total;
    struct ind_ratio *per;        /* [periods] */
};

struct traffic_ctx {
    struct ind_ctx *x;
    struct ind_vec segs;          /* struct seg_acc */
    struct ind_map seg_index;
    struct ind_ratio r[2];        /* I2, I3 */
    struct ind_ratio *per[2];
    struct ind_cov cov[2];
    bool oom;
};

static struct seg_acc *seg_get(struct traffic_ctx *t, const char *name)
{
    size_t i = ind_map_get(&t->seg_index, name);
    if (i != (size_t)-1)
        return (struct seg_acc *)t->segs.data + i;
    size_t np = t->x->per->n ? t->x->per->n : 1;
    struct ind_ratio *per = calloc(np, sizeof(*per));
    size_t l = strlen(name) + 1;
    char *nm = malloc(l);
    struct seg_acc *s = per && nm ? ind_vec_push(&t->segs) : NULL;
    if (!s || !ind_map_put(&t->seg_index, name, t->segs.n - 1)) {
        if (s)
            t->segs.n--;
        free(per);
        free(nm);
        return NULL;
    }
    memcpy(nm, name, l);
    s->name = nm;
    s->per = per;
    return s;
}

static bool traffic_row(void *arg, const struct store_q_traffic_row *r)
{
    struct traffic_ctx *t = arg;
    struct ind_ctx *x = t->x;
    const struct ind_targets *tg = &x->h->targets;
    double v6 = (double)r->v6_bytes, all = (double)r->v4_bytes + (double)r->v6_bytes;
    long p = ind_period_of(x->per, r->day_s);
    struct seg_acc *s = seg_get(t, r->segment);
    if (!s) {
        t->oom = true;
        return false;
    }
    ind_ratio_add(&s->total, v6, all, r->buckets);
    if (p >= 0)
        ind_ratio_add(&s->per[p], v6, all, r->buckets);
    bool in[2] = {ind_segment_in(tg->mobile, tg->n_mobile, r->segment),
                  ind_segment_in(tg->metro, tg->n_metro, r->segment)};
    for (int k = 0; k < 2; k++) {
        if (!in[k])
            continue;
        ind_ratio_add(&t->r[k], v6, all, r->buckets);
        if (p >= 0)
            ind_ratio_add(&t->per[k][p], v6, all, r->buckets);
        t->cov[k].samples += r->buckets;
        if (!ind_cov_run(x, &t->cov[k], "traffic", r->run_id, r->vantage, r->tool_version,
                         r->first_s, r->last_s)) {
            t->oom = true;
            return false;
        }
    }
    return true;
}

static int cmp_seg(const void *a, const void *b)
{
    return strcmp(((const struct seg_acc *)a)->name, ((const struct seg_acc *)b)->name);
}

/* Runs of one vantage point whose bucket times overlap: say so (at most 3). */
static bool note_overlaps(struct ind_ctx *x, struct ind_cov *c)
{
    const struct v6m_ind_run *r = c->runs.data;
    int said = 0;
    for (size_t i = 0; i < c->runs.n && said < 3; i++)
        for (size_t j = i + 1; j < c->runs.n && said < 3; j++) {
            if (strcmp(r[i].vantage, r[j].vantage) != 0)
                continue;
            if (r[i].first_s <= r[j].last_s && r[j].first_s <= r[i].last_s) {
                if (!ind_cov_note(x, c,
                                  "traffic runs %lld and %lld (vantage '%s') overlap in time; "
                                  "their bytes are added: if they captured the same link it "
                                  "counts twice",
                                  "流量监测批次 %lld 和 %lld（监测点“%s”）时间重叠，字节数相加："
                                  "如果二者采集的是同一条链路，流量会被重复计算",
                                  (long long)r[i].id, (long long)r[j].id, r[i].vantage))
                    return false;
                said++;
            }
        }
    return true;
}

static bool list_text(char *buf, size_t n, char *const *list, size_t k)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < k && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? ", " : "", list[i]);
    return true;
}

static bool finish_share(struct traffic_ctx *t, int k, struct v6m_indicator *ind)
{
    struct ind_ctx *x = t->x;
    const struct ind_targets *tg = &x->h->targets;
    char *const *list = k == 0 ? tg->mobile : tg->metro;
    size_t n = k == 0 ? tg->n_mobile : tg->n_metro;
    const char *what = k == 0 ? "mobile" : "metro";
    const char *what_zh = k == 0 ? "移动网络" : "城域网络";
    char names[512], msg[640], msg_zh[768];
    list_text(names, sizeof(names), list, n);
    if (x->f.segment && !ind_segment_in(list, n, x->f.segment)) {
        snprintf(msg, sizeof(msg), "segment '%s' is not a %s segment (%s_segments: %s)",
                 x->f.segment, what, what, names);
        snprintf(msg_zh, sizeof(msg_zh), "区段“%s”不是%s区段（%s_segments：%s）", x->f.segment,
                 what_zh, what, names);
        ind_set_nodata_text(x, ind, msg, msg_zh);
    } else {
        snprintf(msg, sizeof(msg), "no IPv4 or IPv6 traffic on the %s segments (%s) in the window",
                 what, names);
        snprintf(msg_zh, sizeof(msg_zh), "统计周期内%s区段（%s）没有IPv4或IPv6流量", what_zh,
                 names);
        ind_set_ratio(x, ind, &t->r[k], msg, msg_zh);
    }
    if (!ind_set_trend(x, ind, t->per[k]) || !note_overlaps(x, &t->cov[k]))
        return false;
    /* One breakdown row per listed segment, data or not. */
    struct v6m_ind_group *g = ind_alloc(&x->sc->arena, n * sizeof(*g));
    if (!g && n)
        return false;
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        if (x->f.segment && strcmp(x->f.segment, list[i]) != 0)
            continue;
        size_t si = ind_map_get(&t->seg_index, list[i]);
        struct ind_ratio empty = {0};
        const struct seg_acc *s = si != (size_t)-1 ? (struct seg_acc *)t->segs.data + si : NULL;
        if (!ind_group_set(x, &g[ng++], list[i], s ? &s->total : &empty, ind->target, true,
                           s ? s->per : NULL))
            return false;
    }
    ind->group_by = "segment";
    ind->groups = g;
    ind->n_groups = ng;
    char cw[600], cw_zh[700];
    snprintf(cw, sizeof(cw), "%s segments (%s)", what, names);
    snprintf(cw_zh, sizeof(cw_zh), "%s区段（%s）", what_zh, names);
    return ind_cov_finish(x, &t->cov[k], ind, cw, cw_zh);
}

v6m_err ind_compute_traffic(struct ind_ctx *x)
{
    v6m_scorecard *sc = x->sc;
    struct traffic_ctx t = {.x = x};
    ind_vec_init(&t.segs, sizeof(struct seg_acc));
    size_t np = x->per->n ? x->per->n : 1;
    t.per[0] = calloc(np, sizeof(struct ind_ratio));
    t.per[1] = calloc(np, sizeof(struct ind_ratio));
    ind_cov_init(&t.cov[0], "buckets");
    ind_cov_init(&t.cov[1], "buckets");
    v6m_err e = V6M_OK;
    if (!t.per[0] || !t.per[1]) {
        e = ind_nomem(x);
        goto out;
    }
    if (x->f.category) {
        for (int k = 0; k < 2; k++) {
            struct v6m_indicator *ind = &sc->ind[k == 0 ? SLOT_I2 : SLOT_I3];
            ind_set_nodata_text(x, ind, no_category, no_category_zh);
            if (!ind_set_trend(x, ind, NULL) ||
                !ind_cov_note_text(x, &t.cov[k], no_category, no_category_zh) ||
                !ind_cov_finish(x, &t.cov[k], ind, k == 0 ? "mobile segments" : "metro segments",
                                k == 0 ? "移动网络区段" : "城域网络区段")) {
                e = ind_nomem(x);
                goto out;
            }
        }
        goto out;
    }
    e = store_q_traffic_days(x->h->q, &x->f, traffic_row, &t, x->err);
    if (t.oom)
        e = ind_nomem(x);
    if (e != V6M_OK)
        goto out;
    if (!finish_share(&t, 0, &sc->ind[SLOT_I2]) || !finish_share(&t, 1, &sc->ind[SLOT_I3])) {
        e = ind_nomem(x);
        goto out;
    }
    /* Every segment's share, by name. */
    if (t.segs.n) {
        qsort(t.segs.data, t.segs.n, sizeof(struct seg_acc), cmp_seg);
        struct v6m_ind_group *g = ind_alloc(&sc->arena, t.segs.n * sizeof(*g));
        if (!g) {
            e = ind_nomem(x);
            goto out;
        }
        for (size_t i = 0; i < t.segs.n; i++) {
            const struct seg_acc *s = (struct seg_acc *)t.segs.data + i;
            if (!ind_group_set(x, &g[i], s->name, &s->total, 0, false, s->per)) {
                e = ind_nomem(x);
                goto out;
            }
        }
        sc->segments = g;
        sc->n_segments = t.segs.n;
    }
out:
    for (size_t i = 0; i < t.segs.n; i++) {
        struct seg_acc *s = (struct seg_acc *)t.segs.data + i;
        free(s->name);
        free(s->per);
    }
    ind_vec_free(&t.segs);
    ind_map_free(&t.seg_index);
    ind_cov_release(&t.cov[0]);
    ind_cov_release(&t.cov[1]);
    free(t.per[0]);
    free(t.per[1]);
    return e;
}

/* ---- I1 ----------------------------------------------------------------------------- */

/* Subscribers of a set of day rows: the merged sketches, or the one row's counts. */
struct uset {
    v6m_hll *act, *v6;            /* NULL until a sketch arrives */
    size_t rows;
    uint64_t one_active, one_v6;  /* the first row's counts */
    bool one_exact;
};

struct useg {
    char *name;
    struct uset win;
    struct uset *per;             /* [periods] */
};

struct users_ctx {
    struct ind_ctx *x;
    struct ind_vec segs;          /* struct useg */
    struct ind_map seg_index;
    const char *headline;         /* segment of the headline ("all" or the filter) */
    struct ind_cov cov;
    v6m_hll tmp4, tmp6;
    char modes[4][16];
    size_t n_modes;
    uint64_t bad_rows;            /* rows whose sketches could not be used */
    bool oom;
};

static bool uset_merge(struct users_ctx *u, struct uset *s, const struct v6m_hll *q4,
                       const struct v6m_hll *q6)
{
    if (!s->act) {
        s->act = malloc(sizeof(v6m_hll));
        s->v6 = malloc(sizeof(v6m_hll));
        if (!s->act || !s->v6) {
            free(s->act);
            free(s->v6);
            s->act = s->v6 = NULL;
            u->oom = true;
            return false;
        }
        v6m_hll_init(s->act);
        v6m_hll_init(s->v6);
    }
    if (q4)
        v6m_hll_merge(s->act, q4);
    if (q6) {
        v6m_hll_merge(s->act, q6);
        v6m_hll_merge(s->v6, q6);
    }
    return true;
}

static void uset_count(struct uset *s, const struct store_q_user_row *r)
{
    if (s->rows++ == 0) {
        s->one_active = r->active;
        s->one_v6 = r->ipv6_active;
        s->one_exact = r->exact;
    }
}

static void uset_free(struct uset *s)
{
    free(s->act);
    free(s->v6);
}

static struct useg *useg_get(struct users_ctx *u, const char *name)
{
    size_t i = ind_map_get(&u->seg_index, name);
    if (i != (size_t)-1)
        return (struct useg *)u->segs.data + i;
    size_t np = u->x->per->n ? u->x->per->n : 1;
    struct uset *per = calloc(np, sizeof(*per));
    size_t l = strlen(name) + 1;
    char *nm = malloc(l);
    struct useg *s = per && nm ? ind_vec_push(&u->segs) : NULL;
    if (!s || !ind_map_put(&u->seg_index, name, u->segs.n - 1)) {
        if (s)
            u->segs.n--;
        free(per);
        free(nm);
        return NULL;
    }
    memcpy(nm, name, l);
    s->name = nm;
    s->per = per;
    return s;
}

static bool user_row(void *arg, const struct store_q_user_row *r)
{
    struct users_ctx *u = arg;
    struct ind_ctx *x = u->x;
    struct useg *s = useg_get(u, r->segment);
    if (!s) {
        u->oom = true;
        return false;
    }
    /* Read both sketches before merging either; a row whose sketches are
     * missing (counts but no sketch) or damaged is left out of merges. */
    bool usable = true;
    const v6m_hll *h4 = NULL, *h6 = NULL;
    if (r->q4) {
        usable = v6m_hll_deserialize(&u->tmp4, r->q4, r->q4_len) == V6M_OK;
        h4 = &u->tmp4;
    }
    if (r->q6 && usable) {
        usable = v6m_hll_deserialize(&u->tmp6, r->q6, r->q6_len) == V6M_OK;
        h6 = &u->tmp6;
    }
    if (r->active && !r->q4 && !r->q6)
        usable = false;
    long p = ind_period_of(x->per, r->day_s);
    if (usable && (h4 || h6) && !uset_merge(u, p >= 0 ? &s->per[p] : &s->win, h4, h6))
        return false;
    bool head = strcmp(r->segment, u->headline) == 0;
    if (!usable && head)
        u->bad_rows++;
    uset_count(&s->win, r);
    if (p >= 0)
        uset_count(&s->per[p], r);
    if (head) {
        bool seen = false;
        for (size_t i = 0; i < u->n_modes; i++)
            seen = seen || strcmp(u->modes[i], r->mode) == 0;
        if (!seen && u->n_modes < 4)
            snprintf(u->modes[u->n_modes++], sizeof(u->modes[0]), "%s", r->mode);
        if (!ind_cov_run(x, &u->cov, "traffic", r->run_id, r->vantage, r->tool_version, r->day_s,
                         r->day_s + IND_DAY - 1)) {
            u->oom = true;
            return false;
        }
    }
    return true;
}

/* The ratio of a set: one row as stored; more rows through the merged sketches. */
static struct ind_ratio uset_ratio(const struct uset *s, bool *estimated)
{
    struct ind_ratio r = {0};
    if (!s->rows)
        return r;
    r.any = true;
    if (s->rows == 1) {
        r.den = (double)s->one_active;
        r.num = (double)(s->one_v6 <= s->one_active ? s->one_v6 : s->one_active);
        if (!s->one_exact && estimated)
            *estimated = true;
    } else if (s->act) {
        double a = llround(v6m_hll_estimate(s->act));
        double v = llround(v6m_hll_estimate(s->v6));
        r.den = a;
        r.num = v < a ? v : a;
        if (estimated)
            *estimated = true;
    }
    r.samples = (uint64_t)r.den;
    return r;
}

/* The window's set: the merge of its periods (and rows outside them). */
static bool window_merge(struct users_ctx *u, struct useg *s)
{
    for (size_t i = 0; i < u->x->per->n; i++)
        if (s->per[i].act) {
            if (!uset_merge(u, &s->win, s->per[i].act, NULL))
                return false;
            v6m_hll_merge(s->win.v6, s->per[i].v6);
        }
    return true;
}

v6m_err ind_compute_users(struct ind_ctx *x)
{
    v6m_scorecard *sc = x->sc;
    struct v6m_indicator *ind = &sc->ind[SLOT_I1];
    struct users_ctx *u = calloc(1, sizeof(*u));
    if (!u)
        return ind_nomem(x);
    u->x = x;
    u->headline = x->f.segment ? x->f.segment : "all";
    ind_vec_init(&u->segs, sizeof(struct useg));
    ind_cov_init(&u->cov, "subscribers");
    v6m_err e = V6M_OK;
    bool present = true;
    if (x->f.category) {
        ind_set_nodata_text(x, ind, no_category, no_category_zh);
        if (!ind_cov_note_text(x, &u->cov, no_category, no_category_zh))
            e = ind_nomem(x);
    } else {
        e = store_q_user_days(x->h->q, &x->f, user_row, u, &present, x->err);
        if (u->oom)
            e = ind_nomem(x);
    }
    if (e != V6M_OK || x->f.category)
        goto finish;
    for (size_t i = 0; i < u->segs.n; i++)
        if (!window_merge(u, (struct useg *)u->segs.data + i)) {
            e = ind_nomem(x);
            goto out;
        }
    size_t hi = ind_map_get(&u->seg_index, u->headline);
    struct useg *h = hi != (size_t)-1 ? (struct useg *)u->segs.data + hi : NULL;
    struct ind_ratio r = {0};
    bool est = false;
    if (h)
        r = uset_ratio(&h->win, &est);
    u->cov.samples = (uint64_t)r.den;
    u->cov.estimated = est;
    if (!present)
        ind_set_nodata(x, ind, "the database has no subscriber tables (schema version %d)",
                       "数据库中没有用户数据表（结构版本 %d）", sc->info.schema_version);
    else if (!h)
        ind_set_nodata(x, ind, "no subscriber counts in the window (traffic runs need --users)",
                       "统计周期内没有用户计数（流量监测需加 --users）");
    else
        ind_set_ratio(x, ind, &r, "no active subscriber in the window",
                      "统计周期内没有活跃用户");
    if (h) {
        struct ind_ratio *tr = calloc(x->per->n ? x->per->n : 1, sizeof(*tr));
        if (!tr) {
            e = ind_nomem(x);
            goto out;
        }
        for (size_t i = 0; i < x->per->n; i++)
            tr[i] = uset_ratio(&h->per[i], NULL);
        bool ok = ind_set_trend(x, ind, tr);
        free(tr);
        if (!ok) {
            e = ind_nomem(x);
            goto out;
        }
    }
    /* Per segment (the window only), without "all". */
    if (!x->f.segment && u->segs.n > 1) {
        struct v6m_ind_group *g = ind_alloc(&sc->arena, u->segs.n * sizeof(*g));
        size_t ng = 0;
        if (!g) {
            e = ind_nomem(x);
            goto out;
        }
        for (size_t i = 0; i < u->segs.n; i++) {
            struct useg *s = (struct useg *)u->segs.data + i;
            if (strcmp(s->name, "all") == 0)
                continue;
            struct ind_ratio sr = uset_ratio(&s->win, NULL);
            if (!ind_group_set(x, &g[ng++], s->name, &sr, ind->target, true, NULL)) {
                e = ind_nomem(x);
                goto out;
            }
        }
        ind->group_by = "segment";
        ind->groups = g;
        ind->n_groups = ng;
    }
    if (u->bad_rows &&
        !ind_cov_note(x, &u->cov,
                      "%llu day rows had counts but no usable sketch and were left out of "
                      "merged counts",
                      "%llu 行按日数据有计数但没有可用的基数草图，未计入合并计数",
                      (unsigned long long)u->bad_rows))
        e = ind_nomem(x);
    if (u->n_modes > 1 &&
        !ind_cov_note(x, &u->cov,
                      "runs counted subscribers in different modes (%s, %s%s): one person can "
                      "be two subscribers across them",
                      "各批次按不同方式识别用户（%s、%s%s）：同一个人在不同批次中可能被计为两个用户",
                      u->modes[0], u->modes[1], u->n_modes > 2 ? ", ..." : ""))
        e = ind_nomem(x);
    for (size_t i = 0; i < u->n_modes; i++)
        if (strcmp(u->modes[i], "address") == 0 &&
            !ind_cov_note(x, &u->cov,
                          "subscriber mode 'address' counts the IPv4 and IPv6 addresses of "
                          "one person apart",
                          "用户识别方式“address”把同一个人的IPv4地址和IPv6地址分开计数"))
            e = ind_nomem(x);
finish:
    if (e == V6M_OK) {
        if (!ind->trend_step || !ind->n_trend)
            ind->trend_step = x->per->monthly ? "month" : "day";
        char what[96], what_zh[160];
        snprintf(what, sizeof(what), "subscribers of segment '%s'", u->headline);
        snprintf(what_zh, sizeof(what_zh), "区段“%s”的用户", u->headline);
        if (!ind_cov_finish(x, &u->cov, ind, what, what_zh))
            e = ind_nomem(x);
    }
out:
    for (size_t i = 0; i < u->segs.n; i++) {
        struct useg *s = (struct useg *)u->segs.data + i;
        uset_free(&s->win);
        for (size_t k = 0; k < (x->per->n ? x->per->n : 1); k++)
            uset_free(&s->per[k]);
        free(s->per);
        free(s->name);
    }
    ind_vec_free(&u->segs);
    ind_map_free(&u->seg_index);
    ind_cov_release(&u->cov);
    free(u);
    return e;
}

/* ---- I8 ------------------------------------------------------------------------------ */

struct plus_ctx {
    struct ind_ctx *x;
    struct ind_cov cov;
    struct ind_vec facts;         /* struct v6m_ind_fact, metric in the arena */
    struct ind_map index;
    bool oom;
};

/* Metric names become JSON keys: v6mon writes [a-z0-9_.] names; anything
 * else in a database is left out rather than passed on. */
static bool metric_name_ok(const char *m)
{
    if (!*m || strlen(m) > 64)
        return false;
    for (; *m; m++)
        if (!((*m >= 'a' && *m <= 'z') || (*m >= '0' && *m <= '9') || *m == '_' || *m == '.'))
            return false;
    return true;
}

static bool plus_row(void *arg, const struct store_q_ipv6plus_row *r)
{
    struct plus_ctx *c = arg;
    if (strncmp(r->metric, "encap.", 6) == 0 || !metric_name_ok(r->metric))
        return true; /* encapsulations are not IPv6+ */
    if (!ind_cov_run(c->x, &c->cov, "traffic", r->run_id, r->vantage, r->tool_version, r->first_s,
                     r->last_s)) {
        c->oom = true;
        return false;
    }
    size_t i = ind_map_get(&c->index, r->metric);
    struct v6m_ind_fact *f;
    if (i == (size_t)-1) {
        f = ind_vec_push(&c->facts);
        if (!f || !(f->metric = ind_strdup(&c->x->sc->arena, r->metric)) ||
            !ind_map_put(&c->index, r->metric, c->facts.n - 1)) {
            c->oom = true;
            return false;
        }
    } else {
        f = (struct v6m_ind_fact *)c->facts.data + i;
    }
    f->value = f->value + r->value < f->value ? UINT64_MAX : f->value + r->value;
    return true;
}

/* ipv6_packets, srh_packets, flow_label_packets first, then ext.* by name. */
static int fact_rank(const char *m)
{
    if (strcmp(m, "ipv6_packets") == 0)
        return 0;
    if (strcmp(m, "srh_packets") == 0)
        return 1;
    if (strcmp(m, "flow_label_packets") == 0)
        return 2;
    return 3;
}

static int cmp_fact(const void *a, const void *b)
{
    const struct v6m_ind_fact *x = a, *y = b;
    int rx = fact_rank(x->metric), ry = fact_rank(y->metric);
    return rx != ry ? rx - ry : strcmp(x->metric, y->metric);
}

v6m_err ind_compute_ipv6plus(struct ind_ctx *x)
{
    v6m_scorecard *sc = x->sc;
    v6m_indicators *h = x->h;
    struct v6m_indicator *ind = &sc->ind[SLOT_I8];
    struct plus_ctx c = {.x = x};
    ind_cov_init(&c.cov, "registry entries");
    ind_vec_init(&c.facts, sizeof(struct v6m_ind_fact));
    v6m_err e = store_q_ipv6plus(h->q, &x->f, plus_row, &c, x->err);
    if (c.oom)
        e = ind_nomem(x);
    if (e != V6M_OK)
        goto out;
    bool ok = true;
    if (c.facts.n)
        qsort(c.facts.data, c.facts.n, sizeof(struct v6m_ind_fact), cmp_fact);
    sc->facts = ind_vec_arena(&sc->arena, &c.facts, &sc->n_facts, &ok);
    if (h->n_projects) {
        struct v6m_ind_project *p = ind_alloc(&sc->arena, h->n_projects * sizeof(*p));
        if (!p) {
            e = ind_nomem(x);
            goto out;
        }
        unsigned counted = 0;
        for (size_t i = 0; i < h->n_projects; i++) {
            const struct ind_project *s = &h->projects[i];
            p[i].name = ind_strdup(&sc->arena, s->name);
            p[i].field = ind_strdup(&sc->arena, s->field);
            p[i].status = ind_strdup(&sc->arena, s->status);
            p[i].evidence = ind_strdup(&sc->arena, s->evidence);
            ok = ok && p[i].name && p[i].field && p[i].status && p[i].evidence;
            p[i].counted = ind_status_counted(&h->targets, s->status) &&
                           (!x->f.category || strcasecmp(x->f.category, s->field) == 0);
            counted += p[i].counted;
        }
        sc->projects = p;
        sc->n_projects = h->n_projects;
        c.cov.samples = h->n_projects;
        ind_set_count(ind, counted);
    } else if (h->registry_source) {
        c.cov.samples = 0;
        ind_set_count(ind, 0); /* a registry that lists nothing: zero projects is a fact */
    } else {
        ind_set_nodata(x, ind,
                       "no registry of IPv6+ projects was loaded (CSV: name, field, "
                       "status, evidence; docs/indicators.md)",
                       "未加载“IPv6+”项目登记表（CSV：名称、领域、状态、依据；见 "
                       "docs/indicators.md）");
    }
    if (x->f.category)
        ok = ok && ind_cov_note(x, &c.cov, "the category filter matches the projects' field",
                                "类别筛选按项目的领域匹配");
    if (x->f.segment)
        ok = ok && ind_cov_note(x, &c.cov,
                                "IPv6+ counters are kept per run, not per segment: "
                                "the segment filter does not apply to them",
                                "IPv6+计数按监测批次保存，不按区段：区段筛选对其不适用");
    ind->trend_step = x->per->monthly ? "month" : "day";
    char what[600], what_zh[700];
    snprintf(what, sizeof(what), "registry %s; IPv6+ counters of the traffic runs",
             h->registry_source ? h->registry_source : "(none)");
    snprintf(what_zh, sizeof(what_zh), "登记表 %s；流量监测批次的IPv6+计数",
             h->registry_source ? h->registry_source : "（无）");
    ok = ind_cov_finish(x, &c.cov, ind, what, what_zh) && ok;
    if (!ok)
        e = ind_nomem(x);
out:
    ind_vec_free(&c.facts);
    ind_map_free(&c.index);
    ind_cov_release(&c.cov);
    return e;
}
