/*
 * report/indicators.c - the indicator layer: a read-only handle on a
 * database with targets and an I8 registry, and the scorecard computed
 * from it for a window and filters (v6mon/indicators.h is the contract,
 * docs/indicators.md the user's description).
 *
 * The computation, in order:
 *   1. the data's time spans (store_q_spans) give the reference time
 *      ("now" = the newest data time unless the query gives one) and,
 *      for 'all', the window;
 *   2. the window [from, to) and its trend periods: one a UTC day when
 *      the window is at most 62 days long, else one a calendar month
 *      (the first and last clipped to the window);
 *   3. each part (traffic, users, apps, I8, sites, parity) queries the
 *      store once for the whole window, sorts each row into the window
 *      total and its period, and divides at the end: a trend point and
 *      the window value come from the same sums, so they agree;
 *   4. every indicator ends with a value or a reason for having none,
 *      its coverage (runs, vantage points, tool versions, sample size,
 *      time span, caveats) and its trend.
 *
 * Why sums and not stored shares: a share of a window is the ratio of
 * the window's sums; an average of daily shares weights a quiet day like
 * a busy one (test_indicators has a case where the two differ).
 *
 * Memory: a scorecard owns one arena; the handle is reusable for many
 * computations (the dashboard recomputes as runs land).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <v6mon/version.h>

#include "report/indicators_int.h"

/* ---- arena ------------------------------------------------------------------------ */

struct ind_chunk {
    struct ind_chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

#define ARENA_CHUNK (64u * 1024u)

void *ind_alloc(struct ind_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    struct ind_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->used = 0;
        /* A big block goes behind the current chunk so the current one keeps filling. */
        if (a->head && cap > ARENA_CHUNK) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *ind_strdup(struct ind_arena *a, const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s) + 1;
    char *c = ind_alloc(a, n);
    if (c)
        memcpy(c, s, n);
    return c;
}

char *ind_printf(struct ind_arena *a, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return ind_strdup(a, buf);
}

void ind_arena_free(struct ind_arena *a)
{
    struct ind_chunk *c = a->head;
    while (c) {
        struct ind_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
}

/* ---- vectors and maps ------------------------------------------------------------ */

void ind_vec_init(struct ind_vec *v, size_t elsize)
{
    v->data = NULL;
    v->n = v->cap = 0;
    v->size = elsize;
}

void *ind_vec_push(struct ind_vec *v)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 16;
        void *nd = realloc(v->data, nc * v->size);
        if (!nd)
            return NULL;
        v->data = nd;
        v->cap = nc;
    }
    void *p = (unsigned char *)v->data + v->n * v->size;
    memset(p, 0, v->size);
    v->n++;
    return p;
}

void ind_vec_free(struct ind_vec *v)
{
    free(v->data);
    v->data = NULL;
    v->n = v->cap = 0;
}

void *ind_vec_arena(struct ind_arena *a, struct ind_vec *v, size_t *n, bool *ok)
{
    void *p = NULL;
    *n = 0;
    if (v->n) {
        p = ind_alloc(a, v->n * v->size);
        if (p) {
            memcpy(p, v->data, v->n * v->size);
            *n = v->n;
        } else {
            *ok = false;
        }
    }
    ind_vec_free(v);
    return p;
}

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

size_t ind_map_get(const struct ind_map *m, const char *key)
{
    if (!m->cap)
        return (size_t)-1;
    size_t i = str_hash(key) & (m->cap - 1);
    while (m->keys[i]) {
        if (strcmp(m->keys[i], key) == 0)
            return m->vals[i];
        i = (i + 1) & (m->cap - 1);
    }
    return (size_t)-1;
}

static bool map_grow(struct ind_map *m)
{
    size_t nc = m->cap ? m->cap * 2 : 64;
    char **nk = calloc(nc, sizeof(*nk));
    size_t *nv = calloc(nc, sizeof(*nv));
    if (!nk || !nv) {
        free(nk);
        free(nv);
        return false;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = str_hash(m->keys[i]) & (nc - 1);
        while (nk[j])
            j = (j + 1) & (nc - 1);
        nk[j] = m->keys[i];
        nv[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = nk;
    m->vals = nv;
    m->cap = nc;
    return true;
}

bool ind_map_put(struct ind_map *m, const char *key, size_t val)
{
    if ((m->n + 1) * 2 > m->cap && !map_grow(m))
        return false;
    size_t i = str_hash(key) & (m->cap - 1);
    while (m->keys[i]) {
        if (strcmp(m->keys[i], key) == 0) {
            m->vals[i] = val;
            return true;
        }
        i = (i + 1) & (m->cap - 1);
    }
    size_t l = strlen(key) + 1;
    char *k = malloc(l);
    if (!k)
        return false;
    memcpy(k, key, l);
    m->keys[i] = k;
    m->vals[i] = val;
    m->n++;
    return true;
}

void ind_map_free(struct ind_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

/* ---- the handle --------------------------------------------------------------------- */

v6m_err v6m_indicators_open(const char *location, v6m_indicators **out, char *errbuf,
                            size_t errlen)
{
    *out = NULL;
    struct errbuf err;
    errbuf_clear(&err);
    v6m_indicators *ind = calloc(1, sizeof(*ind));
    if (!ind || !ind_targets_default(&ind->targets)) {
        free(ind);
        errbuf_set(&err, V6M_ERR_NOMEM, "out of memory");
        errbuf_export(&err, errbuf, errlen);
        return V6M_ERR_NOMEM;
    }
    v6m_err e = store_q_open(location, &ind->q, &err);
    if (e != V6M_OK) {
        errbuf_export(&err, errbuf, errlen);
        v6m_indicators_close(ind);
        return e;
    }
    errbuf_clear(&ind->err);
    *out = ind;
    return V6M_OK;
}

void v6m_indicators_close(v6m_indicators *ind)
{
    if (!ind)
        return;
    store_q_close(ind->q);
    ind_targets_release(&ind->targets);
    ind_projects_free(ind->projects, ind->n_projects);
    free(ind->registry_source);
    free(ind);
}

const char *v6m_indicators_errmsg(const v6m_indicators *ind)
{
    return ind ? ind->err.msg : "no handle";
}

/* ---- periods ------------------------------------------------------------------------ */

long ind_period_of(const struct ind_periods *p, int64_t t)
{
    if (!p->n || t < p->start[0] || t >= p->end[p->n - 1])
        return -1;
    if (!p->monthly)
        return (long)((t - p->start[0]) / IND_DAY);
    size_t lo = 0, hi = p->n; /* the last start <= t */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (p->start[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return (long)lo;
}

/* Periods from the newest backwards, so that a window longer than
 * IND_MAX_PERIODS months keeps its newest ones; the first and last are
 * clipped to the window. */
static void build_periods(struct ind_periods *p, int64_t from, int64_t to)
{
    size_t n = 0;
    p->monthly = to - from > 62 * (int64_t)IND_DAY;
    int64_t e = to;
    while (e > from && n < IND_MAX_PERIODS) {
        int64_t st = p->monthly ? ind_month_floor(e - 1) : ind_day_floor(e - 1);
        if (st < from)
            st = from;
        p->start[n] = st;
        p->end[n] = e;
        n++;
        e = st;
    }
    for (size_t i = 0; i < n / 2; i++) {
        int64_t t = p->start[i];
        p->start[i] = p->start[n - 1 - i];
        p->start[n - 1 - i] = t;
        t = p->end[i];
        p->end[i] = p->end[n - 1 - i];
        p->end[n - 1 - i] = t;
    }
    p->n = n;
}

/* ---- values and coverage ---------------------------------------------------------------- */

v6m_err ind_nomem(struct ind_ctx *x)
{
    return errbuf_set(x->err, V6M_ERR_NOMEM, "out of memory");
}

static void finish_target(struct v6m_indicator *ind)
{
    if (ind->has_value && ind->has_target) {
        ind->gap = ind->target - ind->value;
        ind->met = ind->value >= ind->target - 1e-12;
    } else {
        ind->gap = 0;
        ind->met = false;
    }
}

void ind_set_ratio(struct ind_ctx *x, struct v6m_indicator *ind, const struct ind_ratio *r,
                   const char *why_en, const char *why_zh)
{
    if (r->den > 0) {
        ind->has_value = true;
        ind->value = r->num / r->den;
        ind->numerator = r->num;
        ind->denominator = r->den;
        ind->no_data = NULL;
        ind->no_data_zh = NULL;
    } else {
        ind->has_value = false;
        ind->no_data = ind_strdup(&x->sc->arena, why_en);
        ind->no_data_zh = ind_strdup(&x->sc->arena, why_zh);
    }
    finish_target(ind);
}

void ind_set_count(struct v6m_indicator *ind, double count)
{
    ind->has_value = true;
    ind->value = count;
    ind->numerator = count;
    ind->denominator = 0;
    ind->no_data = NULL;
    ind->no_data_zh = NULL;
    finish_target(ind);
}

void ind_set_nodata_text(struct ind_ctx *x, struct v6m_indicator *ind, const char *en,
                         const char *zh)
{
    ind->has_value = false;
    ind->no_data = ind_strdup(&x->sc->arena, en);
    ind->no_data_zh = ind_strdup(&x->sc->arena, zh);
    finish_target(ind);
}

/* One sentence in both languages: the two formats take the same arguments. */
struct pair_text {
    char en[512], zh[768];
};

static void format_pair(struct pair_text *t, const char *fmt_en, const char *fmt_zh, va_list ap)
    __attribute__((format(printf, 2, 0), format(printf, 3, 0)));
static void format_pair(struct pair_text *t, const char *fmt_en, const char *fmt_zh, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    vsnprintf(t->en, sizeof t->en, fmt_en, ap);
    vsnprintf(t->zh, sizeof t->zh, fmt_zh, aq);
    va_end(aq);
}

void ind_set_nodata(struct ind_ctx *x, struct v6m_indicator *ind, const char *fmt_en,
                    const char *fmt_zh, ...)
{
    struct pair_text t;
    va_list ap;
    va_start(ap, fmt_zh);
    format_pair(&t, fmt_en, fmt_zh, ap);
    va_end(ap);
    ind_set_nodata_text(x, ind, t.en, t.zh);
}

static void point_set(struct v6m_ind_point *pt, int64_t s, int64_t e, const struct ind_ratio *r,
                      double target, bool has_target)
{
    pt->start_s = s;
    pt->end_s = e;
    pt->samples = r->samples;
    if (r->den > 0) {
        pt->has_value = true;
        pt->value = r->num / r->den;
        pt->numerator = r->num;
        pt->denominator = r->den;
        pt->gap = has_target ? target - pt->value : 0;
    }
}

bool ind_set_trend(struct ind_ctx *x, struct v6m_indicator *ind, const struct ind_ratio *ratios)
{
    const struct ind_periods *p = x->per;
    ind->trend_step = p->monthly ? "month" : "day";
    if (!p->n || !ratios)
        return true;
    struct v6m_ind_point *pts = ind_alloc(&x->sc->arena, p->n * sizeof(*pts));
    if (!pts)
        return false;
    for (size_t i = 0; i < p->n; i++)
        point_set(&pts[i], p->start[i], p->end[i], &ratios[i], ind->target, ind->has_target);
    ind->trend = pts;
    ind->n_trend = p->n;
    return true;
}

bool ind_group_set(struct ind_ctx *x, struct v6m_ind_group *g, const char *name,
                   const struct ind_ratio *r, double target, bool has_target,
                   const struct ind_ratio *trend)
{
    g->name = ind_strdup(&x->sc->arena, name);
    if (!g->name)
        return false;
    g->samples = r->samples;
    if (r->den > 0) {
        g->has_value = true;
        g->value = r->num / r->den;
        g->numerator = r->num;
        g->denominator = r->den;
        if (has_target) {
            g->gap = target - g->value;
            g->met = g->value >= target - 1e-12;
        }
    }
    const struct ind_periods *p = x->per;
    if (trend && p->n) {
        struct v6m_ind_point *pts = ind_alloc(&x->sc->arena, p->n * sizeof(*pts));
        if (!pts)
            return false;
        for (size_t i = 0; i < p->n; i++)
            point_set(&pts[i], p->start[i], p->end[i], &trend[i], target, has_target);
        g->trend = pts;
        g->n_trend = p->n;
    }
    return true;
}

void ind_cov_init(struct ind_cov *c, const char *unit)
{
    memset(c, 0, sizeof(*c));
    ind_vec_init(&c->runs, sizeof(struct v6m_ind_run));
    ind_vec_init(&c->notes, sizeof(const char *));
    ind_vec_init(&c->notes_zh, sizeof(const char *));
    c->unit = unit;
}

void ind_cov_release(struct ind_cov *c)
{
    ind_vec_free(&c->runs);
    ind_vec_free(&c->notes);
    ind_vec_free(&c->notes_zh);
    ind_map_free(&c->run_index);
}

bool ind_cov_run(struct ind_ctx *x, struct ind_cov *c, const char *kind, int64_t id,
                 const char *vantage, const char *tool_version, int64_t first_s, int64_t last_s)
{
    char key[48];
    snprintf(key, sizeof(key), "%s:%lld", kind, (long long)id);
    size_t i = ind_map_get(&c->run_index, key);
    if (!c->has_span || first_s < c->first_s)
        c->first_s = first_s;
    if (!c->has_span || last_s > c->last_s)
        c->last_s = last_s;
    c->has_span = true;
    if (i != (size_t)-1) {
        struct v6m_ind_run *r = (struct v6m_ind_run *)c->runs.data + i;
        if (first_s < r->first_s)
            r->first_s = first_s;
        if (last_s > r->last_s)
            r->last_s = last_s;
        return true;
    }
    struct v6m_ind_run *r = ind_vec_push(&c->runs);
    if (!r)
        return false;
    r->kind = kind; /* static strings */
    r->id = id;
    r->vantage = ind_strdup(&x->sc->arena, vantage);
    r->tool_version = ind_strdup(&x->sc->arena, tool_version);
    r->first_s = first_s;
    r->last_s = last_s;
    return r->vantage && r->tool_version && ind_map_put(&c->run_index, key, c->runs.n - 1);
}

bool ind_cov_note_text(struct ind_ctx *x, struct ind_cov *c, const char *en, const char *zh)
{
    const char **slot = ind_vec_push(&c->notes);
    if (!slot)
        return false;
    *slot = ind_strdup(&x->sc->arena, en);
    if (!*slot)
        return false;
    slot = ind_vec_push(&c->notes_zh);
    if (!slot)
        return false;
    *slot = ind_strdup(&x->sc->arena, zh);
    return *slot != NULL;
}

bool ind_cov_note(struct ind_ctx *x, struct ind_cov *c, const char *fmt_en, const char *fmt_zh,
                  ...)
{
    struct pair_text t;
    va_list ap;
    va_start(ap, fmt_zh);
    format_pair(&t, fmt_en, fmt_zh, ap);
    va_end(ap);
    return ind_cov_note_text(x, c, t.en, t.zh);
}

static int cmp_run(const void *a, const void *b)
{
    const struct v6m_ind_run *x = a, *y = b;
    int k = strcmp(x->kind, y->kind);
    if (k)
        return k;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Distinct strings of the runs (field by offset), sorted, into the arena. */
static const char *const *distinct(struct ind_arena *a, const struct v6m_ind_run *runs, size_t n,
                                   bool vantage, size_t *out_n, bool *ok)
{
    *out_n = 0;
    if (!n)
        return NULL;
    const char **tmp = malloc(n * sizeof(*tmp));
    if (!tmp) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        tmp[i] = vantage ? runs[i].vantage : runs[i].tool_version;
    qsort(tmp, n, sizeof(*tmp), cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!k || strcmp(tmp[k - 1], tmp[i]) != 0)
            tmp[k++] = tmp[i];
    const char **res = ind_alloc(a, k * sizeof(*res));
    if (res) {
        memcpy(res, tmp, k * sizeof(*res));
        *out_n = k;
    } else {
        *ok = false;
    }
    free(tmp);
    return res;
}

static void fmt_u64(uint64_t v, char *buf, size_t n)
{
    /* 1234567 -> "1,234,567" */
    char t[32];
    int l = snprintf(t, sizeof(t), "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < l && o + 2 < n; i++) {
        if (i && (l - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = t[i];
    }
    buf[o] = '\0';
}

/* The Chinese of a coverage sample unit (ind_cov_init's units), with its
 * measure word: "4,032 buckets" reads "4,032 个时间桶". */
static const char *unit_zh(const char *unit)
{
    static const struct {
        const char *en, *zh;
    } units[] = {
        {"buckets", "个时间桶"},
        {"subscribers", "个用户"},
        {"sites", "个网站"},
        {"pages", "个页面"},
        {"sub-resource bytes", "字节子资源"},
        {"apps", "个应用"},
        {"bytes", "字节"},
        {"(target, vantage point) results", "个（目标，监测点）结果"},
        {"results", "个结果"},
        {"registry entries", "条登记项"},
    };
    for (size_t i = 0; unit && i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(unit, units[i].en) == 0)
            return units[i].zh;
    return unit ? unit : "";
}

bool ind_cov_finish(struct ind_ctx *x, struct ind_cov *c, struct v6m_indicator *ind,
                    const char *what_en, const char *what_zh)
{
    struct ind_arena *a = &x->sc->arena;
    struct v6m_ind_coverage *cv = &ind->coverage;
    bool ok = true;
    size_t n = c->runs.n;
    if (n)
        qsort(c->runs.data, n, sizeof(struct v6m_ind_run), cmp_run);
    cv->runs = ind_vec_arena(a, &c->runs, &cv->n_runs, &ok);
    cv->notes = ind_vec_arena(a, &c->notes, &cv->n_notes, &ok);
    size_t n_zh = 0;
    cv->notes_zh = ind_vec_arena(a, &c->notes_zh, &n_zh, &ok);
    if (n_zh != cv->n_notes) /* ind_cov_note pushes both or fails */
        ok = false;
    cv->vantages = distinct(a, cv->runs, cv->n_runs, true, &cv->n_vantages, &ok);
    cv->tool_versions = distinct(a, cv->runs, cv->n_runs, false, &cv->n_tool_versions, &ok);
    cv->samples = c->samples;
    cv->sample_unit = c->unit;
    cv->has_span = c->has_span;
    cv->first_s = c->first_s;
    cv->last_s = c->last_s;
    cv->estimated = c->estimated;

    /* en: "what: 4,032 buckets in 2 traffic runs, 2024-02-01..2024-02-14,
     *      vantage points: a, b"
     * zh: "what：4,032 个时间桶，来自 2 次流量监测，2024-02-01..2024-02-14，
     *      监测点：a、b" */
    static const char *const kinds[3] = {"traffic", "probe", "kpi"};
    static const char *const kinds_zh[3] = {"流量监测", "网站/应用探测", "性能对比测量"};
    char s[1024], z[1536], num[32], d1[16], d2[16];
    size_t o = 0, oz = 0;
    fmt_u64(c->samples, num, sizeof(num));
    if (!cv->n_runs && !c->samples) {
        snprintf(s, sizeof(s), "%s: no data in the window", what_en);
        snprintf(z, sizeof(z), "%s：统计周期内无数据", what_zh);
    } else {
        o += (size_t)snprintf(s, sizeof(s), "%s: %s %s", what_en, num, c->unit ? c->unit : "");
        oz += (size_t)snprintf(z, sizeof(z), "%s：%s %s", what_zh, num, unit_zh(c->unit));
        bool first = true;
        for (int k = 0; k < 3 && o < sizeof(s) && oz < sizeof(z); k++) {
            size_t cnt = 0;
            for (size_t i = 0; i < cv->n_runs; i++)
                cnt += strcmp(cv->runs[i].kind, kinds[k]) == 0;
            if (!cnt)
                continue;
            o += (size_t)snprintf(s + o, sizeof(s) - o, "%s%zu %s run%s", first ? " in " : " and ",
                                  cnt, kinds[k], cnt == 1 ? "" : "s");
            oz += (size_t)snprintf(z + oz, sizeof(z) - oz, "%s%zu 次%s", first ? "，来自 " : "和 ",
                                   cnt, kinds_zh[k]);
            first = false;
        }
        if (c->has_span && o < sizeof(s) && oz < sizeof(z)) {
            ind_format_day(c->first_s, d1, sizeof(d1));
            ind_format_day(c->last_s, d2, sizeof(d2));
            o += (size_t)snprintf(s + o, sizeof(s) - o, ", %s..%s", d1, d2);
            oz += (size_t)snprintf(z + oz, sizeof(z) - oz, "，%s..%s", d1, d2);
        }
        for (size_t i = 0; i < cv->n_vantages && o < sizeof(s) && oz < sizeof(z); i++) {
            o += (size_t)snprintf(s + o, sizeof(s) - o, "%s%s", i ? ", " : ", vantage points: ",
                                  cv->vantages[i][0] ? cv->vantages[i] : "(unlabelled)");
            oz += (size_t)snprintf(z + oz, sizeof(z) - oz, "%s%s", i ? "、" : "，监测点：",
                                   cv->vantages[i][0] ? cv->vantages[i] : "（未标注）");
        }
        if (c->estimated && o < sizeof(s) && oz < sizeof(z)) {
            snprintf(s + o, sizeof(s) - o, " (HyperLogLog estimate, s.e. 0.81%%)");
            snprintf(z + oz, sizeof(z) - oz, "（HyperLogLog估算，标准误差0.81%%）");
        }
    }
    cv->summary = ind_strdup(a, s);
    cv->summary_zh = ind_strdup(a, z);
    if (!cv->summary || !cv->summary_zh)
        ok = false;
    ind_map_free(&c->run_index);
    return ok;
}

const char *v6m_indicator_coverage_text(const struct v6m_indicator *ind, const char *lang)
{
    bool zh = lang && strcmp(lang, "zh") == 0;
    const char *en = ind->has_value ? ind->coverage.summary : ind->no_data;
    const char *cn = ind->has_value ? ind->coverage.summary_zh : ind->no_data_zh;
    const char *t = zh && cn ? cn : en;
    return t ? t : "";
}

const char *v6m_indicator_note(const struct v6m_indicator *ind, size_t k, const char *lang)
{
    const struct v6m_ind_coverage *cv = &ind->coverage;
    if (k >= cv->n_notes)
        return "";
    if (lang && strcmp(lang, "zh") == 0 && cv->notes_zh && cv->notes_zh[k])
        return cv->notes_zh[k];
    return cv->notes[k] ? cv->notes[k] : "";
}

/* ---- static description of each indicator ------------------------------------------- */

struct slot_desc {
    const char *id, *key, *unit, *num, *den, *method;
};

static const struct slot_desc main_desc[SLOT_PARITY] = {
    [SLOT_I1] = {"I1", "ipv6_active_users_share", "share", "IPv6-active subscribers",
                 "active subscribers",
                 "distinct subscribers with a qualifying IPv6 flow / distinct subscribers with "
                 "a qualifying flow of either family; days and runs merged through their "
                 "stored HyperLogLog sketches (a subscriber counts once)"},
    [SLOT_I2] = {"I2", "mobile_ipv6_traffic_share", "share", "IPv6 bytes", "IPv4+IPv6 bytes",
                 "IPv6 bytes / (IPv4 + IPv6) bytes of user traffic (innermost IP header) on the "
                 "mobile segments, summed over the window"},
    [SLOT_I3] = {"I3", "metro_ipv6_traffic_share", "share", "IPv6 bytes", "IPv4+IPv6 bytes",
                 "IPv6 bytes / (IPv4 + IPv6) bytes of user traffic on the metro segments, "
                 "summed over the window"},
    [SLOT_I4] = {"I4", "key_sites_ipv6_support_rate", "share", "sites supporting IPv6",
                 "testable sites",
                 "sites passing W1 (AAAA) and W3 (home page over IPv6) / testable sites, each "
                 "site (URL) with its newest result in the window"},
    [SLOT_I5] = {"I5", "key_sites_ipv6_concentration", "share", "pages loading over IPv6",
                 "pages tested",
                 "home pages + 2nd- and 3rd-level internal pages loading over IPv6 / pages "
                 "tested, summed over the crawled testable sites (newest result per site)"},
    [SLOT_I5R] = {"I5.resource_bytes", "key_sites_ipv6_resource_bytes_share", "share",
                  "sub-resource bytes over IPv6", "sub-resource bytes",
                  "bytes of the sites' sub-resources fetched over IPv6 / all their "
                  "sub-resource bytes, summed over testable sites (newest result per site)"},
    [SLOT_I6] = {"I6", "apps_ipv6_support_rate", "share", "apps supporting IPv6",
                 "apps measured",
                 "apps whose newest traffic run shows IPv6 (IPv6 bytes, top domains seen over "
                 "IPv6) and whose newest probe finds its main domains answering over IPv6 "
                 "(each where measured) / apps measured either way; category infra left out"},
    [SLOT_I7] = {"I7", "apps_ipv6_concentration", "share", "IPv6 bytes of apps",
                 "IPv4+IPv6 bytes of apps",
                 "IPv6 bytes / all bytes of the catalog apps' traffic in the window (ratio of "
                 "sums; each app's 3-run mean is listed with the app); category infra left out"},
    [SLOT_I8] = {"I8", "ipv6plus_projects", "count", "projects counted", NULL,
                 "registry projects whose status is counted (ipv6plus_counted: pilot, "
                 "deployed by default); the traffic's IPv6+ counters are listed beside"},
};

static bool init_slots(struct ind_ctx *x)
{
    v6m_scorecard *sc = x->sc;
    const struct ind_targets *t = &x->h->targets;
    struct ind_arena *a = &sc->arena;
    static const enum ind_main target_of[SLOT_PARITY] = {
        [SLOT_I1] = IND_I1, [SLOT_I2] = IND_I2, [SLOT_I3] = IND_I3, [SLOT_I4] = IND_I4,
        [SLOT_I5] = IND_I5, [SLOT_I5R] = IND_I5, [SLOT_I6] = IND_I6, [SLOT_I7] = IND_I7,
        [SLOT_I8] = IND_I8,
    };
    for (int i = 0; i < SLOT_PARITY; i++) {
        struct v6m_indicator *ind = &sc->ind[i];
        ind->id = main_desc[i].id;
        ind->key = main_desc[i].key;
        ind->unit = main_desc[i].unit;
        ind->numerator_unit = main_desc[i].num;
        ind->denominator_unit = main_desc[i].den;
        ind->method = main_desc[i].method;
        ind->has_target = true;
        ind->target = t->main[target_of[i]];
    }
    for (int m = 0; m < V6M_KPI_METRICS; m++) {
        struct v6m_indicator *ind = &sc->ind[SLOT_PARITY + m];
        const char *name = v6m_kpi_metric_name((enum v6m_kpi_metric)m);
        ind->id = ind_printf(a, "parity.%s", name);
        ind->key = ind_printf(a, "parity_%s", name);
        ind->unit = "share";
        ind->numerator_unit = "targets at parity";
        ind->denominator_unit = "targets judged";
        ind->method = "(vantage point, target) pairs whose newest kpi result in the window has "
                      "this metric converged (D <= threshold or both families better than the "
                      "floor) / pairs converged or degraded (too few samples: not counted)";
        ind->has_target = true;
        ind->target = t->parity[m];
        sc->parity[m].metric = name;
        sc->parity[m].metric_unit = v6m_kpi_metric_unit((enum v6m_kpi_metric)m);
        sc->parity[m].verdict = "insufficient";
        ind->parity = &sc->parity[m];
        if (!ind->id || !ind->key)
            return false;
    }
    struct v6m_indicator *cdn = &sc->ind[SLOT_CDN];
    cdn->id = "parity.cdn_coverage";
    cdn->key = "cdn_ipv6_coverage";
    cdn->unit = "share";
    cdn->numerator_unit = "vantage points reaching the AAAA";
    cdn->denominator_unit = "vantage points reaching the A";
    cdn->method = "over kpi targets: vantage points where a global AAAA was present and "
                  "reachable / vantage points where a global A was, from each vantage point's "
                  "newest run in the window; needs at least two vantage points";
    cdn->has_target = true;
    cdn->target = t->cdn;
    for (int i = 0; i < SLOT_COUNT; i++) {
        sc->ind[i].trend_step = x->per->monthly ? "month" : "day";
        /* Until a part fills it in. */
        sc->ind[i].no_data = "not computed";
        sc->ind[i].no_data_zh = "未计算";
        sc->ind[i].coverage.summary = "not computed";
        sc->ind[i].coverage.summary_zh = "未计算";
    }
    return true;
}

/* ---- the driver ------------------------------------------------------------------------ */

static bool fill_info(struct ind_ctx *x, const struct v6m_ind_query *q)
{
    v6m_scorecard *sc = x->sc;
    struct ind_arena *a = &sc->arena;
    const struct ind_targets *t = &x->h->targets;
    struct v6m_scorecard_info *in = &sc->info;
    in->database = ind_strdup(a, store_q_path(x->h->q));
    in->schema_version = store_q_schema_version(x->h->q);
    in->tool_version = ind_strdup(a, v6m_version());
    in->targets_source = ind_strdup(a, t->source ? t->source : "built-in");
    in->registry_source = x->h->registry_source ? ind_strdup(a, x->h->registry_source) : NULL;
    in->segment = q->segment && q->segment[0] ? ind_strdup(a, q->segment) : NULL;
    in->category = q->category && q->category[0] ? ind_strdup(a, q->category) : NULL;
    in->vantage = q->vantage && q->vantage[0] ? ind_strdup(a, q->vantage) : NULL;
    const char **mob = ind_alloc(a, (t->n_mobile + 1) * sizeof(*mob));
    const char **met = ind_alloc(a, (t->n_metro + 1) * sizeof(*met));
    if (!mob || !met || !in->database || !in->tool_version || !in->targets_source)
        return false;
    for (size_t i = 0; i < t->n_mobile; i++)
        if (!(mob[i] = ind_strdup(a, t->mobile[i])))
            return false;
    for (size_t i = 0; i < t->n_metro; i++)
        if (!(met[i] = ind_strdup(a, t->metro[i])))
            return false;
    in->mobile_segments = mob;
    in->n_mobile_segments = t->n_mobile;
    in->metro_segments = met;
    in->n_metro_segments = t->n_metro;
    x->f.segment = in->segment;
    x->f.category = in->category;
    x->f.vantage = in->vantage;
    return true;
}

static v6m_err set_window(struct ind_ctx *x, const struct v6m_ind_query *q,
                          const struct store_q_spans *sp)
{
    struct v6m_scorecard_info *in = &x->sc->info;
    const struct store_q_span *all[5] = {&sp->traffic, &sp->users, &sp->apps, &sp->probe,
                                         &sp->kpi};
    int64_t oldest = 0, newest = 0;
    bool any = false;
    for (int i = 0; i < 5; i++) {
        if (!all[i]->any)
            continue;
        if (!any || all[i]->first_s < oldest)
            oldest = all[i]->first_s;
        if (!any || all[i]->last_s > newest)
            newest = all[i]->last_s;
        any = true;
    }
    in->has_data = any;
    in->now_from_data = q->now_s == 0;
    in->now_s = q->now_s ? q->now_s : newest;
    int64_t now = in->now_s;
    char d1[16], d2[16], lab[48];
    in->has_range = true;
    switch (q->window) {
    case V6M_IND_WINDOW_DAY:
        in->window = "day";
        in->from_s = ind_day_floor(now);
        in->to_s = in->from_s + IND_DAY;
        snprintf(lab, sizeof(lab), "%s", ind_format_day(in->from_s, d1, sizeof(d1)));
        break;
    case V6M_IND_WINDOW_MONTH:
        in->window = "month";
        in->from_s = ind_month_floor(now);
        in->to_s = ind_month_next(in->from_s);
        snprintf(lab, sizeof(lab), "%.7s", ind_format_day(in->from_s, d1, sizeof(d1)));
        break;
    case V6M_IND_WINDOW_30D:
        in->window = "30d";
        in->to_s = ind_day_floor(now) + IND_DAY;
        in->from_s = in->to_s - 30 * (int64_t)IND_DAY;
        snprintf(lab, sizeof(lab), "%s..%s", ind_format_day(in->from_s, d1, sizeof(d1)),
                 ind_format_day(in->to_s - IND_DAY, d2, sizeof(d2)));
        break;
    case V6M_IND_WINDOW_ALL:
        in->window = "all";
        snprintf(lab, sizeof(lab), "all");
        in->has_range = any;
        in->from_s = any ? ind_day_floor(oldest) : 0;
        in->to_s = any ? ind_day_floor(newest) + IND_DAY : 0;
        break;
    case V6M_IND_WINDOW_RANGE:
        in->window = "range";
        if (q->to_s <= q->from_s || q->from_s % IND_DAY != 0 || q->to_s % IND_DAY != 0)
            return errbuf_set(x->err, V6M_ERR_INVALID_ARG,
                              "window: a range must be whole UTC days with the first before "
                              "the last");
        in->from_s = q->from_s;
        in->to_s = q->to_s;
        snprintf(lab, sizeof(lab), "%s..%s", ind_format_day(in->from_s, d1, sizeof(d1)),
                 ind_format_day(in->to_s - IND_DAY, d2, sizeof(d2)));
        break;
    default:
        return errbuf_set(x->err, V6M_ERR_INVALID_ARG, "window: unknown kind %d",
                          (int)q->window);
    }
    in->label = ind_strdup(&x->sc->arena, lab);
    if (!in->label)
        return ind_nomem(x);
    if (q->window == V6M_IND_WINDOW_ALL) {
        x->f.from_s = INT64_MIN;
        x->f.to_s = INT64_MAX;
    } else {
        x->f.from_s = in->from_s;
        x->f.to_s = in->to_s;
    }
    if (in->has_range)
        build_periods(x->per, in->from_s, in->to_s);
    else
        x->per->n = 0;
    in->step = x->per->monthly ? "month" : "day";
    return V6M_OK;
}

v6m_err v6m_indicators_compute(v6m_indicators *h, const struct v6m_ind_query *q,
                               v6m_scorecard **out)
{
    *out = NULL;
    errbuf_clear(&h->err);
    if (!q)
        return errbuf_set(&h->err, V6M_ERR_INVALID_ARG, "no query");
    v6m_scorecard *sc = calloc(1, sizeof(*sc));
    struct ind_periods *per = malloc(sizeof(*per));
    if (!sc || !per) {
        free(sc);
        free(per);
        return errbuf_set(&h->err, V6M_ERR_NOMEM, "out of memory");
    }
    per->n = 0;
    per->monthly = false;
    struct ind_ctx x = {.h = h, .sc = sc, .per = per, .err = &h->err};
    struct store_q_spans spans;
    v6m_err e = store_q_spans(h->q, &spans, &h->err);
    if (e == V6M_OK && !fill_info(&x, q))
        e = ind_nomem(&x);
    if (e == V6M_OK)
        e = set_window(&x, q, &spans);
    if (e == V6M_OK && !init_slots(&x))
        e = ind_nomem(&x);
    if (e == V6M_OK)
        e = ind_compute_traffic(&x);
    if (e == V6M_OK)
        e = ind_compute_users(&x);
    if (e == V6M_OK)
        e = ind_compute_apps(&x);
    if (e == V6M_OK)
        e = ind_compute_ipv6plus(&x);
    if (e == V6M_OK)
        e = ind_compute_sites(&x);
    if (e == V6M_OK)
        e = ind_compute_parity(&x);
    free(per);
    if (e != V6M_OK) {
        v6m_scorecard_free(sc);
        return e;
    }
    *out = sc;
    return V6M_OK;
}

void v6m_scorecard_free(v6m_scorecard *sc)
{
    if (!sc)
        return;
    ind_arena_free(&sc->arena);
    free(sc);
}

/* ---- accessors ---------------------------------------------------------------------- */

const struct v6m_scorecard_info *v6m_scorecard_info(const v6m_scorecard *sc)
{
    return &sc->info;
}

size_t v6m_scorecard_count(const v6m_scorecard *sc)
{
    (void)sc;
    return SLOT_COUNT;
}

const struct v6m_indicator *v6m_scorecard_at(const v6m_scorecard *sc, size_t i)
{
    return i < SLOT_COUNT ? &sc->ind[i] : NULL;
}

const struct v6m_indicator *v6m_scorecard_find(const v6m_scorecard *sc, const char *id)
{
    for (size_t i = 0; id && i < SLOT_COUNT; i++)
        if (strcmp(sc->ind[i].id, id) == 0)
            return &sc->ind[i];
    return NULL;
}

const struct v6m_ind_group *v6m_scorecard_segments(const v6m_scorecard *sc, size_t *n)
{
    *n = sc->n_segments;
    return sc->segments;
}

const struct v6m_ind_site *v6m_scorecard_sites(const v6m_scorecard *sc, size_t *n)
{
    *n = sc->n_sites;
    return sc->sites;
}

const struct v6m_ind_app *v6m_scorecard_apps(const v6m_scorecard *sc, size_t *n)
{
    *n = sc->n_apps;
    return sc->apps;
}

const struct v6m_ind_cdn *v6m_scorecard_cdn(const v6m_scorecard *sc, size_t *n)
{
    *n = sc->n_cdn;
    return sc->cdn;
}

const struct v6m_ind_project *v6m_scorecard_projects(const v6m_scorecard *sc, size_t *n)
{
    *n = sc->n_projects;
    return sc->projects;
}

const struct v6m_ind_fact *v6m_scorecard_ipv6plus(const v6m_scorecard *sc, size_t *n)
{
    *n = sc->n_facts;
    return sc->facts;
}

const char *v6m_ind_tri_name(enum v6m_ind_tri t)
{
    return t == V6M_IND_YES ? "yes" : t == V6M_IND_NO ? "no" : "unknown";
}
