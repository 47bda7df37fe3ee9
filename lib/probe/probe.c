/*
 * probe/probe.c - the public face of the prober (v6mon/probe.h): config,
 * inputs, the scheduler and the run.
 *
 * The scheduler keeps at most max_sites jobs in flight (sites first, then
 * apps) on one event loop. A finished job's result goes to the hooks at
 * once (so the tool can stream JSON lines and store rows as they come, and
 * an interrupt loses nothing that finished), then its per-URL details are
 * dropped unless keep_details is set: memory stays bounded by what is in
 * flight, not by the length of the list.
 *
 * Interrupt: when *stop becomes non-zero the run sets ctx.stopping, frees
 * the engines (cancelled callbacks return at once), releases the jobs in
 * flight without results, and returns V6M_ERR_INTERRUPTED.
 */
#include <v6mon/apps.h>
#include <v6mon/probe.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify/csv.h"
#include "core/errbuf.h"
#include "probe/probe_int.h"
#include "util/strutil.h"

#define INPUT_MAX (64u << 20)

/* Built-in canaries: large dual-stack sites. A run without internet
 * access (or with --canary pointing elsewhere) reports "not testable". */
static const char *const builtin_canaries[] = {
    "https://www.gov.cn/", "https://www.qq.com/", "https://www.taobao.com/",
    "https://www.google.com/", "https://www.cloudflare.com/",
};

const char *const *probe_builtin_canaries(size_t *n)
{
    *n = sizeof builtin_canaries / sizeof builtin_canaries[0];
    return builtin_canaries;
}

struct site_input {
    char *name, *url, *category, *unit;
};

struct app_input {
    char *name, *category;
    char **domains;
    size_t n;
};

struct v6m_probe {
    struct v6m_probe_config cfg;
    char **canaries;
    size_t n_canaries;
    char *resolver_cfg, *ca_file;
    struct errbuf err;

    struct site_input *sites;
    size_t n_sites, cap_sites;
    struct app_input *apps;
    size_t n_apps, cap_apps;

    /* results, in order of completion */
    struct v6m_site_result **site_res;
    struct strpool *site_pool;
    size_t n_site_res;
    struct v6m_app_result **app_res;
    struct strpool *app_pool;
    size_t n_app_res;

    /* finished results in input order, listed at the end of the run */
    struct v6m_site_result **sites_done;
    size_t n_sites_done;
    struct v6m_app_result **apps_done;
    size_t n_apps_done;

    struct v6m_probe_info info;
    char resolver_used[256];
    bool ran;
};

/* ---- strpool / textbuf ---- */

/* The pool is a list of chunks that strings are appended to (newest
 * first): a result's ~20 strings cost one or two malloc()s instead of a
 * strdup() each plus the pointer array, and freeing a result is a few
 * free()s. Strings never move, so the pointers handed out stay valid until
 * strpool_release(). A string longer than a chunk gets a chunk of its own. */
struct strpool_chunk {
    struct strpool_chunk *next;
    size_t cap;
    char data[];
};

#define STRPOOL_CHUNK_MIN 512u
#define STRPOOL_CHUNK_MAX 65536u

const char *strpool_keep(struct strpool *sp, const char *s)
{
    if (!s || !*s)
        return "";
    size_t n = strlen(s) + 1;
    struct strpool_chunk *c = sp->head;
    if (!c || c->cap - sp->used < n) {
        size_t cap = c ? c->cap * 2 : STRPOOL_CHUNK_MIN;
        if (cap > STRPOOL_CHUNK_MAX)
            cap = STRPOOL_CHUNK_MAX;
        if (cap < n)
            cap = n;
        struct strpool_chunk *nc = malloc(sizeof *nc + cap);
        if (!nc)
            return "";
        nc->next = c;
        nc->cap = cap;
        sp->head = c = nc;
        sp->used = 0;
    }
    char *out = c->data + sp->used;
    memcpy(out, s, n);
    sp->used += n;
    return out;
}

const char *strpool_printf(struct strpool *sp, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return strpool_keep(sp, buf);
}

void strpool_release(struct strpool *sp)
{
    for (struct strpool_chunk *c = sp->head, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    memset(sp, 0, sizeof *sp);
}

/* Room for n more bytes and the NUL; false when out of memory. */
static bool textbuf_room(struct textbuf *t, size_t n)
{
    if (t->cap - t->len > n)
        return true;
    size_t cap = t->cap ? t->cap : 128;
    while (cap <= t->len + n)
        cap *= 2;
    char *ns = realloc(t->s, cap);
    if (!ns)
        return false;
    t->s = ns;
    t->cap = cap;
    return true;
}

void textbuf_put(struct textbuf *t, const char *p, size_t n)
{
    if (!textbuf_room(t, n))
        return;
    memcpy(t->s + t->len, p, n);
    t->len += n;
    t->s[t->len] = '\0';
}

void textbuf_puts(struct textbuf *t, const char *s)
{
    textbuf_put(t, s, strlen(s));
}

void textbuf_add(struct textbuf *t, const char *fmt, ...)
{
    va_list ap;
    /* Format straight into the free space; only when it does not fit,
     * grow and format again (the old way formatted everything twice). */
    if (t->cap - t->len > 1) {
        va_start(ap, fmt);
        int got = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (got < 0) {
            t->s[t->len] = '\0';
            return;
        }
        if ((size_t)got < t->cap - t->len) {
            t->len += (size_t)got;
            return;
        }
        t->s[t->len] = '\0'; /* cut off: undo, grow and redo below */
    }
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need <= 0 || !textbuf_room(t, (size_t)need))
        return;
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)need;
}

void textbuf_release(struct textbuf *t)
{
    free(t->s);
    memset(t, 0, sizeof *t);
}

/* ---- names, config ---- */

const char *v6m_check_name(enum v6m_check_id id)
{
    static const char *const n[V6M_CHECKS] = {"W1", "W2", "W3", "W4", "W5", "W6", "W7"};
    return (unsigned)id < V6M_CHECKS ? n[id] : "?";
}

const char *v6m_check_state_name(enum v6m_check_state s)
{
    switch (s) {
    case V6M_CHECK_PASS: return "pass";
    case V6M_CHECK_FAIL: return "fail";
    case V6M_CHECK_NOT_TESTABLE: return "not_testable";
    case V6M_CHECK_SKIPPED: return "skipped";
    }
    return "?";
}

const char *v6m_resource_kind_name(enum v6m_resource_kind k)
{
    static const char *const n[V6M_RES__COUNT] = {"img", "script", "stylesheet", "icon", "iframe",
                                                  "source", "video", "audio", "embed"};
    return (unsigned)k < V6M_RES__COUNT ? n[k] : "?";
}

void v6m_probe_config_defaults(struct v6m_probe_config *c)
{
    memset(c, 0, sizeof *c);
    c->attempts = 3;
    c->attempt_spacing_ms = 1000;
    c->timeout_ms = 10000;
    c->connect_timeout_ms = 5000;
    c->dns_timeout_ms = 2000;
    c->dns_tries = 2;
    c->retries = 1;
    c->retry_backoff_ms = 1000;
    c->per_host = 2;
    c->max_sites = 1000;
    c->max_redirects = 5;
    c->l2_cap = 100;
    c->l3_cap = 100;
    c->resource_pages = 5;
    c->resources_cap = 200;
    c->body_cap = 1u << 20;
    c->crawl = true;
    c->self_check = true;
    static const double w[V6M_CHECKS] = {20, 10, 20, 10, 10, 15, 15};
    memcpy(c->weights, w, sizeof w);
    c->link_pass = 0.9;
    c->similarity_max = 10;
    c->linkdiff_max = 0.10;
}

v6m_err v6m_probe_parse_weights(struct v6m_probe_config *cfg, const char *spec, char *err,
                                size_t errlen)
{
    char buf[512];
    if (util_strlcpy(buf, spec, sizeof buf) >= sizeof buf) {
        snprintf(err, errlen, "weights '%.40s...' are too long", spec);
        return V6M_ERR_INVALID_ARG;
    }
    double w[V6M_CHECKS];
    memcpy(w, cfg->weights, sizeof w);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || !((tok[0] == 'w' || tok[0] == 'W') && tok[1] >= '1' && tok[1] <= '7' &&
                     eq == tok + 2)) {
            snprintf(err, errlen, "bad weight '%s' (want w1=N..w7=N)", tok);
            return V6M_ERR_INVALID_ARG;
        }
        char *end = NULL;
        double v = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || v < 0 || v > 1000) {
            snprintf(err, errlen, "bad weight value in '%s' (0..1000)", tok);
            return V6M_ERR_INVALID_ARG;
        }
        w[tok[1] - '1'] = v;
    }
    double sum = 0;
    for (int i = 0; i < V6M_CHECKS; i++)
        sum += w[i];
    if (sum <= 0) {
        snprintf(err, errlen, "the weights add up to 0");
        return V6M_ERR_INVALID_ARG;
    }
    memcpy(cfg->weights, w, sizeof w);
    return V6M_OK;
}

double probe_score(const struct v6m_check *checks, const double *weights)
{
    double got = 0, max = 0;
    for (int i = 0; i < V6M_CHECKS; i++) {
        const struct v6m_check *c = &checks[i];
        if (c->state == V6M_CHECK_SKIPPED || c->state == V6M_CHECK_NOT_TESTABLE)
            continue;
        max += weights[i];
        if (c->rate >= 0 && (i == V6M_W4 || i == V6M_W6 || i == V6M_W7))
            got += weights[i] * c->rate; /* partial credit for rates */
        else if (c->state == V6M_CHECK_PASS)
            got += weights[i];
    }
    if (max <= 0)
        return 0;
    double s = 100.0 * got / max;
    return s > 100 ? 100 : s;
}

static char *dupstr(const char *s)
{
    return strdup(s ? s : "");
}

v6m_probe *v6m_probe_new(const struct v6m_probe_config *cfg, char *err, size_t errlen)
{
    v6m_probe *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->cfg = *cfg;
    if (p->cfg.attempts == 0 || p->cfg.attempts > 100 || p->cfg.max_redirects > 10 ||
        p->cfg.timeout_ms == 0 || p->cfg.max_sites == 0 || p->cfg.per_host == 0 ||
        p->cfg.link_pass < 0 || p->cfg.link_pass > 1) {
        snprintf(err, errlen,
                 "invalid probe settings (attempts 1..100, redirects 0..10, timeout > 0, "
                 "max sites > 0, per-host > 0, link pass 0..1)");
        free(p);
        return NULL;
    }
    if (p->cfg.connect_timeout_ms == 0 || p->cfg.connect_timeout_ms > p->cfg.timeout_ms)
        p->cfg.connect_timeout_ms = p->cfg.timeout_ms;
    const char *const *can = cfg->canaries ? cfg->canaries : builtin_canaries;
    size_t nc = cfg->canaries ? cfg->n_canaries
                              : sizeof builtin_canaries / sizeof builtin_canaries[0];
    p->canaries = calloc(nc ? nc : 1, sizeof *p->canaries);
    for (size_t i = 0; p->canaries && i < nc; i++)
        p->canaries[i] = dupstr(can[i]);
    p->n_canaries = p->canaries ? nc : 0;
    p->cfg.canaries = (const char *const *)p->canaries;
    p->cfg.n_canaries = p->n_canaries;
    if (cfg->resolver)
        p->cfg.resolver = p->resolver_cfg = dupstr(cfg->resolver);
    if (cfg->ca_file)
        p->cfg.ca_file = p->ca_file = dupstr(cfg->ca_file);
    if (p->cfg.seed == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        p->cfg.seed = ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) | 1;
    }
    p->info.seed = p->cfg.seed;
    return p;
}

static void free_site_result(struct v6m_site_result *r)
{
    if (!r)
        return;
    site_result_drop_details(r);
    free(r->hops_v6);
    free(r->hops_v4);
    free(r);
}

void v6m_probe_free(v6m_probe *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_sites; i++) {
        free(p->sites[i].name);
        free(p->sites[i].url);
        free(p->sites[i].category);
        free(p->sites[i].unit);
    }
    for (size_t i = 0; i < p->n_apps; i++) {
        free(p->apps[i].name);
        free(p->apps[i].category);
        for (size_t k = 0; k < p->apps[i].n; k++)
            free(p->apps[i].domains[k]);
        free(p->apps[i].domains);
    }
    for (size_t i = 0; i < p->n_site_res; i++) {
        free_site_result(p->site_res[i]);
        strpool_release(&p->site_pool[i]);
    }
    for (size_t i = 0; i < p->n_app_res; i++) {
        if (p->app_res[i])
            free(p->app_res[i]->domains);
        free(p->app_res[i]);
        strpool_release(&p->app_pool[i]);
    }
    for (size_t i = 0; i < p->n_canaries; i++)
        free(p->canaries[i]);
    free(p->canaries);
    free(p->resolver_cfg);
    free(p->ca_file);
    free(p->sites);
    free(p->apps);
    free(p->site_res);
    free(p->site_pool);
    free(p->app_res);
    free(p->app_pool);
    free(p->sites_done);
    free(p->apps_done);
    free(p);
}

const char *v6m_probe_errmsg(const v6m_probe *p)
{
    return p ? p->err.msg : "out of memory";
}

/* ---- inputs ---- */

v6m_err v6m_probe_add_site(v6m_probe *p, const char *name, const char *url, const char *category,
                           const char *unit)
{
    if (!url || !*url)
        return errbuf_set(&p->err, V6M_ERR_INVALID_ARG, "a site needs a URL");
    if (p->n_sites == p->cap_sites) {
        size_t cap = p->cap_sites ? p->cap_sites * 2 : 64;
        struct site_input *n = realloc(p->sites, cap * sizeof *n);
        if (!n)
            return errbuf_set(&p->err, V6M_ERR_NOMEM, "out of memory for the site list");
        p->sites = n;
        p->cap_sites = cap;
    }
    struct site_input *s = &p->sites[p->n_sites];
    char fixed[2100];
    if (!strstr(url, "://")) {
        /* A bare host name (or host/path) means http://HOST/ */
        snprintf(fixed, sizeof fixed, "http://%s%s", url, strchr(url, '/') ? "" : "/");
        url = fixed;
    }
    s->url = dupstr(url);
    s->name = dupstr(name && *name ? name : url);
    s->category = dupstr(category && *category ? category : "uncategorised");
    s->unit = dupstr(unit);
    if (!s->url || !s->name || !s->category || !s->unit)
        return errbuf_set(&p->err, V6M_ERR_NOMEM, "out of memory for the site list");
    p->n_sites++;
    p->info.sites_total = p->n_sites;
    return V6M_OK;
}

static bool is_header_row(const struct csv_record *rec)
{
    for (unsigned i = 0; i < rec->nfields && i < CSV_MAX_FIELDS; i++)
        if (strcasecmp(rec->field[i], "url") == 0)
            return true;
    return false;
}

v6m_err v6m_probe_load_sites(v6m_probe *p, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    v6m_err e = csv_read_file(path, INPUT_MAX, &text, &len, &p->err);
    if (e != V6M_OK)
        return e;
    struct csv_reader rd;
    csv_init(&rd, text, len);
    struct csv_record rec;
    char msg[256];
    unsigned line = 0;
    int col_name = -1, col_url = -1, col_cat = -1, col_unit = -1;
    bool first = true;
    size_t before = p->n_sites;
    int rc;
    while ((rc = csv_next(&rd, &rec, msg, sizeof msg, &line)) == 1) {
        unsigned nf = rec.nfields < CSV_MAX_FIELDS ? rec.nfields : CSV_MAX_FIELDS;
        if (first) {
            first = false;
            if (is_header_row(&rec)) {
                for (unsigned i = 0; i < nf; i++) {
                    const char *f = rec.field[i];
                    if (!strcasecmp(f, "name"))
                        col_name = (int)i;
                    else if (!strcasecmp(f, "url"))
                        col_url = (int)i;
                    else if (!strcasecmp(f, "category"))
                        col_cat = (int)i;
                    else if (!strcasecmp(f, "unit"))
                        col_unit = (int)i;
                }
                continue;
            }
        }
        const char *url, *name = NULL, *cat = NULL, *unit = NULL;
        if (col_url >= 0) {
            if ((unsigned)col_url >= nf) {
                e = errbuf_set(&p->err, V6M_ERR_FORMAT, "%s:%u: no url field", path, rec.line);
                break;
            }
            url = rec.field[col_url];
            name = col_name >= 0 && (unsigned)col_name < nf ? rec.field[col_name] : NULL;
            cat = col_cat >= 0 && (unsigned)col_cat < nf ? rec.field[col_cat] : NULL;
            unit = col_unit >= 0 && (unsigned)col_unit < nf ? rec.field[col_unit] : NULL;
        } else {
            if (nf != 1) {
                e = errbuf_set(&p->err, V6M_ERR_FORMAT,
                               "%s:%u: expected one URL a line or a CSV with a header naming "
                               "a 'url' column", path, rec.line);
                break;
            }
            url = rec.field[0];
        }
        if (!*url || strlen(url) > 2048 || !csv_valid_text(url, strlen(url))) {
            e = errbuf_set(&p->err, V6M_ERR_FORMAT, "%s:%u: empty, over-long or invalid URL", path,
                           rec.line);
            break;
        }
        if ((e = v6m_probe_add_site(p, name, url, cat, unit)) != V6M_OK)
            break;
    }
    if (rc < 0)
        e = errbuf_set(&p->err, V6M_ERR_FORMAT, "%s:%u: %s", path, line, msg);
    csv_release(&rd);
    free(text);
    if (e == V6M_OK && p->n_sites == before)
        e = errbuf_set(&p->err, V6M_ERR_FORMAT, "%s: no sites", path);
    return e;
}

v6m_err v6m_probe_add_app(v6m_probe *p, const char *name, const char *category,
                          const char *const *domains, size_t n)
{
    if (!name || !*name || n == 0)
        return errbuf_set(&p->err, V6M_ERR_INVALID_ARG, "an app needs a name and domains");
    if (p->n_apps == p->cap_apps) {
        size_t cap = p->cap_apps ? p->cap_apps * 2 : 32;
        struct app_input *nv = realloc(p->apps, cap * sizeof *nv);
        if (!nv)
            return errbuf_set(&p->err, V6M_ERR_NOMEM, "out of memory for the app list");
        p->apps = nv;
        p->cap_apps = cap;
    }
    struct app_input *a = &p->apps[p->n_apps];
    memset(a, 0, sizeof *a);
    a->name = dupstr(name);
    a->category = dupstr(category);
    a->domains = calloc(n, sizeof *a->domains);
    if (!a->name || !a->category || !a->domains)
        return errbuf_set(&p->err, V6M_ERR_NOMEM, "out of memory for the app list");
    for (size_t i = 0; i < n; i++)
        a->domains[a->n++] = dupstr(domains[i]);
    p->n_apps++;
    p->info.apps_total = p->n_apps;
    return V6M_OK;
}

v6m_err v6m_probe_load_apps(v6m_probe *p, const char *path)
{
    v6m_apps *cat = v6m_apps_new();
    if (!cat)
        return errbuf_set(&p->err, V6M_ERR_NOMEM, "out of memory");
    char err[512];
    v6m_err e = v6m_apps_load_file(cat, path, err, sizeof err);
    if (e != V6M_OK) {
        v6m_apps_free(cat);
        return errbuf_set(&p->err, e, "%s", err);
    }
    size_t napps = v6m_apps_count(cat);
    for (size_t id = 0; id < napps && e == V6M_OK; id++) {
        char *doms[256];
        size_t n = v6m_apps_domains(cat, id, doms, 256);
        size_t k = n < 256 ? n : 256;
        if (k)
            e = v6m_probe_add_app(p, v6m_apps_name(cat, id), v6m_apps_category(cat, id),
                                  (const char *const *)doms, k);
        for (size_t i = 0; i < k; i++)
            free(doms[i]);
    }
    v6m_apps_free(cat);
    if (e == V6M_OK && p->n_apps == 0)
        e = errbuf_set(&p->err, V6M_ERR_FORMAT, "%s: no apps with domains", path);
    return e;
}

/* ---- the run ---- */

struct sched {
    v6m_probe *p;
    struct probe_ctx ctx;
    const struct v6m_probe_hooks *hooks;
    struct probe_job *jobs;     /* one per input item (sites then apps) */
    size_t n_items, next, inflight, done, failed;
    uint64_t t0, last_progress;
    bool self_check_done;
    const char *stage;
};

static void report_progress(struct sched *sc, bool force)
{
    if (!sc->hooks || !sc->hooks->progress)
        return;
    uint64_t now = loop_update_time(sc->ctx.loop);
    if (!force && now - sc->last_progress < 200000000ull)
        return;
    sc->last_progress = now;
    struct v6m_probe_progress pr = {
        .done = sc->done, .total = sc->n_items, .failed = sc->failed,
        .inflight = sc->inflight, .elapsed_ns = now - sc->t0, .stage = sc->stage,
    };
    sc->hooks->progress(sc->hooks->arg, &pr);
}

static void job_done(void *arg, struct probe_job *job);

static void start_next(struct sched *sc)
{
    v6m_probe *p = sc->p;
    while (sc->next < sc->n_items && sc->inflight < p->cfg.max_sites && !sc->ctx.stopping) {
        size_t i = sc->next++;
        struct probe_job *job = &sc->jobs[i];
        job->ctx = &sc->ctx;
        job->done = job_done;
        job->sched = sc;
        job->index = i;
        sc->inflight++;
        if (i < p->n_sites) {
            struct v6m_site_result *r = calloc(1, sizeof *r);
            struct site_input *in = &p->sites[i];
            job->is_app = false;
            if (!r) {
                sc->inflight--;
                sc->done++;
                continue;
            }
            p->site_res[i] = r;
            struct strpool *sp = &p->site_pool[i];
            r->name = strpool_keep(sp, in->name);
            r->url = strpool_keep(sp, in->url);
            r->category = strpool_keep(sp, in->category);
            r->unit = strpool_keep(sp, in->unit);
            site_job_start(job, r, sp);
        } else {
            size_t ai = i - p->n_sites;
            struct app_input *in = &p->apps[ai];
            struct v6m_app_result *r = calloc(1, sizeof *r);
            job->is_app = true;
            if (!r) {
                sc->inflight--;
                sc->done++;
                continue;
            }
            p->app_res[ai] = r;
            struct strpool *sp = &p->app_pool[ai];
            r->name = strpool_keep(sp, in->name);
            r->category = strpool_keep(sp, in->category);
            app_job_start(job, r, sp, (const char *const *)in->domains, in->n);
        }
    }
}

static void job_done(void *arg, struct probe_job *job)
{
    struct sched *sc = arg;
    v6m_probe *p = sc->p;
    sc->inflight--;
    sc->done++;
    if (!job->is_app) {
        struct v6m_site_result *r = p->site_res[job->index];
        if (r && !r->supported)
            sc->failed++;
        site_job_release(job);
        p->info.sites_done++;
        if (r && sc->hooks && sc->hooks->site_done)
            sc->hooks->site_done(sc->hooks->arg, r);
        if (r && !p->cfg.keep_details)
            site_result_drop_details(r);
    } else {
        size_t ai = job->index - p->n_sites;
        struct v6m_app_result *r = p->app_res[ai];
        if (r && !r->supported)
            sc->failed++;
        app_job_release(job);
        p->info.apps_done++;
        if (r && sc->hooks && sc->hooks->app_done)
            sc->hooks->app_done(sc->hooks->arg, r);
    }
    report_progress(sc, false);
    start_next(sc);
}

static void on_self_check(void *arg)
{
    struct sched *sc = arg;
    struct v6m_vantage *v = &sc->p->info.vantage;
    sc->ctx.v6_testable = v->v6_ok;
    sc->ctx.v4_testable = v->v4_ok;
    sc->self_check_done = true;
}

static void collect_stats(v6m_probe *p, struct sched *sc)
{
    if (sc->ctx.res) {
        struct resolver_stats rs;
        resolver_get_stats(sc->ctx.res, &rs);
        p->info.dns_queries = rs.queries;
        p->info.dns_timeouts = rs.timeouts;
    }
    if (sc->ctx.fetch) {
        struct fetch_stats fs;
        fetch_get_stats(sc->ctx.fetch, &fs);
        p->info.http_requests = fs.started;
        p->info.http_failures = fs.failed;
        p->info.bytes = fs.bytes;
    }
}

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

v6m_err v6m_probe_run(v6m_probe *p, const struct v6m_probe_hooks *hooks, volatile int *stop)
{
    if (p->ran)
        return errbuf_set(&p->err, V6M_ERR_INVALID_ARG, "a probe runs once");
    p->ran = true;
    errbuf_clear(&p->err);
    struct sched sc;
    memset(&sc, 0, sizeof sc);
    sc.p = p;
    sc.hooks = hooks;
    sc.ctx.cfg = &p->cfg;
    sc.ctx.seed = p->cfg.seed;
    sc.ctx.v6_testable = sc.ctx.v4_testable = true;
    sc.n_items = p->n_sites + p->n_apps;
    p->info.started_ns = wall_ns();

    struct errbuf e;
    errbuf_clear(&e);
    sc.ctx.loop = loop_new(&e);
    if (!sc.ctx.loop)
        return errbuf_set(&p->err, e.code, "%s", e.msg);
    struct resolver_config rc = {
        .server = p->cfg.resolver, .timeout_ms = p->cfg.dns_timeout_ms, .tries = p->cfg.dns_tries,
    };
    sc.ctx.res = resolver_new(sc.ctx.loop, &rc, &e);
    struct fetch_config fc = {
        .per_host = p->cfg.per_host, .body_cap = p->cfg.body_cap, .ca_file = p->cfg.ca_file,
    };
    if (sc.ctx.res)
        sc.ctx.fetch = fetch_engine_new(sc.ctx.loop, &fc, &e);
    if (sc.ctx.fetch)
        sc.ctx.psl = url_psl_new();
    v6m_err rcode = V6M_OK;
    if (!sc.ctx.res || !sc.ctx.fetch || !sc.ctx.psl) {
        rcode = errbuf_set(&p->err, e.code ? e.code : V6M_ERR_NOMEM, "%s",
                           e.msg[0] ? e.msg : "cannot load the public suffix list");
        goto out;
    }
    util_strlcpy(p->resolver_used, resolver_servers(sc.ctx.res), sizeof p->resolver_used);
    p->info.resolver = p->resolver_used;

    sc.jobs = calloc(sc.n_items ? sc.n_items : 1, sizeof *sc.jobs);
    p->site_res = calloc(p->n_sites ? p->n_sites : 1, sizeof *p->site_res);
    p->site_pool = calloc(p->n_sites ? p->n_sites : 1, sizeof *p->site_pool);
    p->app_res = calloc(p->n_apps ? p->n_apps : 1, sizeof *p->app_res);
    p->app_pool = calloc(p->n_apps ? p->n_apps : 1, sizeof *p->app_pool);
    if (!sc.jobs || !p->site_res || !p->site_pool || !p->app_res || !p->app_pool) {
        rcode = errbuf_set(&p->err, V6M_ERR_NOMEM, "out of memory for %zu sites", sc.n_items);
        goto out;
    }
    p->n_site_res = p->n_sites;
    p->n_app_res = p->n_apps;
    sc.t0 = loop_update_time(sc.ctx.loop);

    bool interrupted = false;
    if (p->cfg.self_check) {
        sc.stage = "self-check";
        report_progress(&sc, true);
        struct vantage_check *vc = vantage_start(&sc.ctx, p->cfg.canaries, p->cfg.n_canaries,
                                                 &p->info.vantage, on_self_check, &sc);
        if (!vc) {
            rcode = errbuf_set(&p->err, V6M_ERR_NOMEM, "out of memory");
            goto out;
        }
        while (!sc.self_check_done) {
            if (stop && *stop) {
                interrupted = true;
                break;
            }
            if (loop_run_once(sc.ctx.loop, 100000000ull) < 0) {
                rcode = errbuf_set(&p->err, V6M_ERR_IO, "event loop failed");
                break;
            }
        }
        if (interrupted || rcode != V6M_OK) {
            sc.ctx.stopping = true;
            fetch_engine_free(sc.ctx.fetch);
            resolver_free(sc.ctx.res);
            sc.ctx.fetch = NULL;
            sc.ctx.res = NULL;
        }
        vantage_free(vc);
    } else {
        util_strlcpy(p->info.vantage.detail, "self-check skipped (--no-self-check)",
                     sizeof p->info.vantage.detail);
        p->info.vantage.v4_ok = p->info.vantage.v6_ok = true;
    }

    if (!interrupted && rcode == V6M_OK) {
        sc.stage = p->n_sites ? "sites" : "apps";
        start_next(&sc);
        while (sc.done < sc.n_items) {
            if (stop && *stop) {
                interrupted = true;
                break;
            }
            if (sc.next >= p->n_sites && p->n_apps)
                sc.stage = "apps";
            if (loop_run_once(sc.ctx.loop, 100000000ull) < 0) {
                rcode = errbuf_set(&p->err, V6M_ERR_IO, "event loop failed");
                break;
            }
            report_progress(&sc, false);
        }
        report_progress(&sc, true);
    }
    collect_stats(p, &sc);
    if (interrupted || rcode != V6M_OK) {
        /* Abandon what is in flight: callbacks return at once from now on. */
        sc.ctx.stopping = true;
        fetch_engine_free(sc.ctx.fetch);
        resolver_free(sc.ctx.res);
        sc.ctx.fetch = NULL;
        sc.ctx.res = NULL;
        for (size_t i = 0; i < sc.next; i++) {
            struct probe_job *job = &sc.jobs[i];
            if (!job->state)
                continue;
            if (job->is_app) {
                app_job_release(job);
                size_t ai = i - p->n_sites;
                if (p->app_res[ai]) {
                    free(p->app_res[ai]->domains);
                    free(p->app_res[ai]);
                    p->app_res[ai] = NULL;
                }
            } else {
                site_job_release(job);
                free_site_result(p->site_res[i]);
                p->site_res[i] = NULL;
            }
        }
    }
    p->info.interrupted = interrupted;
    if (interrupted && rcode == V6M_OK)
        rcode = errbuf_set(&p->err, V6M_ERR_INTERRUPTED, "interrupted: %zu of %zu done",
                           sc.done, sc.n_items);

out:
    sc.ctx.stopping = true;
    fetch_engine_free(sc.ctx.fetch);
    resolver_free(sc.ctx.res);
    site_states_free(&sc.ctx);
    url_psl_free(sc.ctx.psl);
    loop_free(sc.ctx.loop);
    free(sc.jobs);
    /* List the finished results once, in input order, for the accessors. */
    p->sites_done = calloc(p->n_site_res ? p->n_site_res : 1, sizeof *p->sites_done);
    for (size_t i = 0; p->sites_done && i < p->n_site_res; i++)
        if (p->site_res[i])
            p->sites_done[p->n_sites_done++] = p->site_res[i];
    p->apps_done = calloc(p->n_app_res ? p->n_app_res : 1, sizeof *p->apps_done);
    for (size_t i = 0; p->apps_done && i < p->n_app_res; i++)
        if (p->app_res[i])
            p->apps_done[p->n_apps_done++] = p->app_res[i];
    p->info.finished_ns = wall_ns();
    return rcode;
}

const struct v6m_probe_info *v6m_probe_info(const v6m_probe *p)
{
    return &p->info;
}

/* Results in input order, skipping items that never finished (listed at
 * the end of v6m_probe_run). */
size_t v6m_probe_site_count(const v6m_probe *p)
{
    return p->n_sites_done;
}

const struct v6m_site_result *v6m_probe_site(const v6m_probe *p, size_t i)
{
    return i < p->n_sites_done ? p->sites_done[i] : NULL;
}

size_t v6m_probe_app_count(const v6m_probe *p)
{
    return p->n_apps_done;
}

const struct v6m_app_result *v6m_probe_app(const v6m_probe *p, size_t i)
{
    return i < p->n_apps_done ? p->apps_done[i] : NULL;
}
