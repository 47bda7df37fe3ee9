/*
 * cli/serve/content.c - what `v6mon serve` answers (serve.h, docs/api.md):
 * scorecards over the database, cached until the database changes.
 *
 * One scorecard per query (window, segment, category, vantage, reference
 * time) feeds every route: /api/v1/indicators is its JSON
 * (v6m_scorecard_write_json, the same document `v6mon report --format
 * json` prints), /sites /apps /traffic /kpi are parts cut out of that
 * JSON (json.h: the indicators each part explains and its detail table),
 * / is v6m_report_html() with the refresh script, /metrics is written
 * from the scorecard's structs, /api/v1/runs lists the run tables through
 * the read-only v6m_db API (<v6mon/store.h>) plus the runs the query's
 * figures rest on.
 *
 * When is the cache stale? Each request stats the database file and its
 * -wal file (device, inode, size, mtime in ns): a writer commits into the
 * WAL (or the file itself in rollback mode), so any new run changes the
 * fingerprint. A cached entry is used only while the fingerprint it was
 * computed under is the current one; the fingerprint is read before the
 * computation, so a write racing with it makes the next request compute
 * again rather than keep stale figures. A new inode (the file was
 * replaced) reopens the handles.
 *
 * Cache: at most N_ENTRIES queries, least recently used evicted, entries
 * of an old fingerprint dropped when a new one is inserted. An entry
 * keeps the scorecard, its JSON, and a ready libmicrohttpd response per
 * route (and language for the dashboard): MHD responses are reference
 * counted, so one response is queued to any number of connections, and
 * a cache hit costs a lookup and a queue.
 *
 * Locks: `lock` guards the table, the responses in it and the runs part
 * (held only for lookups, queueing, and swapping pointers); `work`
 * serialises everything that touches the database handles (one
 * v6m_indicators handle may be used by one thread at a time) or the
 * scorecards, and all evictions. A miss takes work, looks again (another
 * thread may have just computed it), computes, then publishes under lock.
 * Scorecards are therefore only read with `work` held; responses are
 * only queued or destroyed with `lock` held.
 *
 * Dashboard CSP: the page's inline <script> and <style> elements are
 * hashed (SHA-256, base64; CSP level 2 hash sources) and only those are
 * allowed; the SVG charts' style attributes are allowed by the hashes of
 * their distinct values ('unsafe-hashes', CSP level 3), or, when that
 * cannot be done exactly, by 'unsafe-inline' (still nothing external).
 * connect-src 'self' lets the refresh script poll /api/v1/runs;
 * everything else is 'none'.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <microhttpd.h>
#include <openssl/evp.h>

#include <v6mon/indicators.h>
#include <v6mon/report.h>
#include <v6mon/store.h>
#include <v6mon/version.h>

#include "json.h"
#include "serve.h"

#define N_ENTRIES 16
#define KEY_MAX (SERVE_WINDOW_MAX + 3 * SERVE_NAME_MAX + 40)

struct fp {
    bool ok;
    dev_t dev;
    ino_t ino;
    int64_t mtime_ns, size;
    int64_t wal_mtime_ns, wal_size;
};

struct entry {
    bool used;
    char key[KEY_MAX];
    struct fp fp;
    v6m_scorecard *sc;
    char *json;                           /* compact scorecard JSON */
    size_t json_len;
    char *metrics;                        /* indicator part of /metrics, lazily */
    size_t metrics_len;
    struct MHD_Response *resp[EP__COUNT][2]; /* [route][lang: en, zh] */
    uint64_t stamp;                       /* LRU clock */
};

struct runs_part {
    bool valid;
    struct fp fp;
    char *json;         /* "kinds":[...],"rows":{...} (members, no braces) */
    size_t json_len;
    char *metrics;      /* run counts, database gauges */
    size_t metrics_len;
};

struct serve_content {
    const struct serve_config *cfg;
    struct serve_stats *stats;
    char path[4096];     /* the file behind cfg->db */
    pthread_mutex_t lock, work;
    v6m_indicators *ind;
    dev_t ind_dev;
    ino_t ind_ino;
    v6m_db *db;
    dev_t db_dev;
    ino_t db_ino;
    struct entry entries[N_ENTRIES];
    uint64_t clock;
    struct runs_part runs;
};

/* ---- small helpers ---- */

struct membuf {
    char *buf;
    size_t len;
    FILE *f;
};

static bool mb_open(struct membuf *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    return m->f != NULL;
}

/* Close; on success the caller owns m->buf. */
static bool mb_close(struct membuf *m)
{
    bool ok = !ferror(m->f);
    if (fclose(m->f) != 0)
        ok = false;
    m->f = NULL;
    if (!ok) {
        free(m->buf);
        m->buf = NULL;
    }
    return ok;
}

static int64_t ts_ns(struct timespec t)
{
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)ts_ns(t);
}

static struct fp fingerprint(const char *path)
{
    struct fp f;
    memset(&f, 0, sizeof f);
    struct stat st;
    if (stat(path, &st) != 0)
        return f;
    f.ok = true;
    f.dev = st.st_dev;
    f.ino = st.st_ino;
    f.mtime_ns = ts_ns(st.st_mtim);
    f.size = (int64_t)st.st_size;
    char wal[sizeof ((struct serve_content *)0)->path + 8];
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (stat(wal, &st) == 0) {
        f.wal_mtime_ns = ts_ns(st.st_mtim);
        f.wal_size = (int64_t)st.st_size;
    }
    return f;
}

static bool fp_equal(const struct fp *a, const struct fp *b)
{
    return a->ok && b->ok && a->dev == b->dev && a->ino == b->ino &&
           a->mtime_ns == b->mtime_ns && a->size == b->size &&
           a->wal_mtime_ns == b->wal_mtime_ns && a->wal_size == b->wal_size;
}

static struct MHD_Response *make_response(char *buf, size_t len, enum serve_kind kind,
                                          const char *csp)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(buf);
        return NULL;
    }
    if (!serve_add_headers(r, kind, csp)) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

static unsigned queue(struct MHD_Connection *conn, struct MHD_Response *r, unsigned code)
{
    return MHD_queue_response(conn, code, r) == MHD_YES ? code : 0;
}

/* Prometheus label value: backslash, double quote and newline escaped. */
static void prom_label(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '\\' || *s == '"')
            fputc('\\', f);
        if (*s == '\n') {
            fputs("\\n", f);
            continue;
        }
        fputc(*s, f);
    }
    fputc('"', f);
}

static void prom_family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* ---- handles ---- */

static void entry_release(struct entry *e)
{
    for (int i = 0; i < EP__COUNT; i++)
        for (int l = 0; l < 2; l++)
            if (e->resp[i][l])
                MHD_destroy_response(e->resp[i][l]);
    v6m_scorecard_free(e->sc);
    free(e->json);
    free(e->metrics);
    memset(e, 0, sizeof *e);
}

/* With work held: the indicators handle open on the current file. */
static int ensure_ind(struct serve_content *c, const struct fp *fp, char *err, size_t errlen)
{
    if (c->ind && c->ind_dev == fp->dev && c->ind_ino == fp->ino)
        return 0;
    if (c->ind) {
        v6m_indicators_close(c->ind);
        c->ind = NULL;
        atomic_fetch_add(&c->stats->reopens, 1);
    }
    v6m_indicators *ind;
    if (v6m_indicators_open(c->cfg->db, &ind, err, errlen) != V6M_OK)
        return -1;
    if ((c->cfg->targets && v6m_indicators_load_targets(ind, c->cfg->targets) != V6M_OK) ||
        (c->cfg->registry && v6m_indicators_load_registry(ind, c->cfg->registry) != V6M_OK)) {
        snprintf(err, errlen, "%s", v6m_indicators_errmsg(ind));
        v6m_indicators_close(ind);
        return -1;
    }
    c->ind = ind;
    c->ind_dev = fp->dev;
    c->ind_ino = fp->ino;
    return 0;
}

static int ensure_db(struct serve_content *c, const struct fp *fp, char *err, size_t errlen)
{
    if (c->db && c->db_dev == fp->dev && c->db_ino == fp->ino)
        return 0;
    v6m_db_close(c->db);
    c->db = NULL;
    if (v6m_db_open(c->cfg->db, false, &c->db, err, errlen) != V6M_OK)
        return -1;
    c->db_dev = fp->dev;
    c->db_ino = fp->ino;
    return 0;
}

/* ---- the query ---- */

static int64_t query_now(const struct serve_config *cfg)
{
    switch (cfg->now_mode) {
    case SERVE_NOW_WALL: return (int64_t)time(NULL) / 60 * 60;
    case SERVE_NOW_FIXED: return cfg->now_s;
    case SERVE_NOW_DATA: break;
    }
    return 0;
}

static void make_key(const struct serve_query *q, int64_t now, char *key)
{
    snprintf(key, KEY_MAX, "%s\x1f%s\x1f%s\x1f%s\x1f%" PRId64, q->window, q->segment,
             q->category, q->vantage, now);
}

/* With lock held. */
static struct entry *find_entry(struct serve_content *c, const char *key, const struct fp *fp)
{
    for (int i = 0; i < N_ENTRIES; i++) {
        struct entry *e = &c->entries[i];
        if (e->used && fp_equal(&e->fp, fp) && strcmp(e->key, key) == 0)
            return e;
    }
    return NULL;
}

/* With work held: compute a scorecard and its JSON into a new entry
 * (not yet in the table). Returns 0, or the HTTP status to answer with
 * (msg says why). */
static unsigned compute(struct serve_content *c, const struct serve_query *q, int64_t now,
                        const struct fp *fp, struct entry *e, char *msg, size_t msglen)
{
    memset(e, 0, sizeof *e);
    if (ensure_ind(c, fp, msg, msglen) != 0) {
        atomic_fetch_add(&c->stats->db_errors, 1);
        return 503;
    }
    struct v6m_ind_query iq;
    v6m_ind_query_init(&iq);
    char why[256];
    if (v6m_ind_window_parse(&iq, q->window, why, sizeof why) != V6M_OK) {
        snprintf(msg, msglen, "window: %s", why);
        return 400;
    }
    iq.segment = q->segment[0] ? q->segment : NULL;
    iq.category = q->category[0] ? q->category : NULL;
    iq.vantage = q->vantage[0] ? q->vantage : NULL;
    iq.now_s = now;
    uint64_t t0 = mono_ns();
    v6m_err rc = v6m_indicators_compute(c->ind, &iq, &e->sc);
    atomic_fetch_add(&c->stats->computations, 1);
    atomic_fetch_add(&c->stats->compute_ns, mono_ns() - t0);
    if (rc != V6M_OK) {
        snprintf(msg, msglen, "%s", v6m_indicators_errmsg(c->ind));
        if (rc == V6M_ERR_INVALID_ARG)
            return 400;
        atomic_fetch_add(&c->stats->db_errors, 1);
        return rc == V6M_ERR_NOMEM ? 503 : 500;
    }
    struct membuf m;
    if (!mb_open(&m)) {
        v6m_scorecard_free(e->sc);
        e->sc = NULL;
        snprintf(msg, msglen, "out of memory");
        return 503;
    }
    v6m_scorecard_write_json(e->sc, m.f, false);
    if (!mb_close(&m)) {
        v6m_scorecard_free(e->sc);
        e->sc = NULL;
        snprintf(msg, msglen, "cannot write the scorecard JSON");
        return 500;
    }
    e->json = m.buf;
    e->json_len = m.len;
    e->fp = *fp;
    make_key(q, now, e->key);
    e->used = true;
    return 0;
}

/* With work and lock held: put a computed entry in the table. */
static struct entry *insert(struct serve_content *c, struct entry *fresh)
{
    struct entry *slot = NULL;
    for (int i = 0; i < N_ENTRIES; i++) {
        struct entry *e = &c->entries[i];
        if (e->used && !fp_equal(&e->fp, &fresh->fp))
            entry_release(e); /* from an older database state */
    }
    for (int i = 0; i < N_ENTRIES && !slot; i++)
        if (!c->entries[i].used)
            slot = &c->entries[i];
    if (!slot) {
        slot = &c->entries[0];
        for (int i = 1; i < N_ENTRIES; i++)
            if (c->entries[i].stamp < slot->stamp)
                slot = &c->entries[i];
        entry_release(slot);
    }
    *slot = *fresh;
    slot->stamp = ++c->clock;
    return slot;
}

/* ---- bodies ---- */

static const char *const header_keys[] = {"tool_version", "database", "window",
                                          "reference", "filters", "config"};

static bool write_header(FILE *f, const char *schema, struct jspan doc)
{
    fprintf(f, "{\"schema\":\"%s\"", schema);
    for (size_t i = 0; i < sizeof header_keys / sizeof header_keys[0]; i++) {
        struct jspan v;
        if (!json_member(doc, header_keys[i], &v))
            return false;
        fprintf(f, ",\"%s\":", header_keys[i]);
        fwrite(v.p, 1, v.n, f);
    }
    return true;
}

static const struct part {
    enum serve_ep ep;
    const char *schema;
    const char *ids[4];    /* indicators by id ... */
    const char *prefix;    /* ... or by id prefix */
    const char *table;     /* the detail member */
} parts[] = {
    {EP_SITES, "v6mon.api.sites/1", {"I4", "I5", "I5.resource_bytes"}, NULL, "sites"},
    {EP_APPS, "v6mon.api.apps/1", {"I6", "I7"}, NULL, "apps"},
    {EP_TRAFFIC, "v6mon.api.traffic/1", {"I1", "I2", "I3"}, NULL, "segments"},
    {EP_KPI, "v6mon.api.kpi/1", {NULL}, "parity.", "cdn"},
};

static bool part_wants(const struct part *p, struct jspan id)
{
    if (p->prefix) {
        size_t l = strlen(p->prefix);
        return id.n > l + 1 && id.p[0] == '"' && memcmp(id.p + 1, p->prefix, l) == 0;
    }
    for (int i = 0; i < 4 && p->ids[i]; i++)
        if (json_is_string(id, p->ids[i]))
            return true;
    return false;
}

static bool write_part(FILE *f, const struct part *p, struct jspan doc)
{
    struct jspan inds, table, el, id;
    if (!write_header(f, p->schema, doc) || !json_member(doc, "indicators", &inds) ||
        !json_member(doc, p->table, &table))
        return false;
    fputs(",\"indicators\":[", f);
    size_t pos = 0;
    bool first = true;
    while (json_next(inds, &pos, &el)) {
        if (!json_member(el, "id", &id))
            return false;
        if (!part_wants(p, id))
            continue;
        if (!first)
            fputc(',', f);
        first = false;
        fwrite(el.p, 1, el.n, f);
    }
    fprintf(f, "],\"%s\":", p->table);
    fwrite(table.p, 1, table.n, f);
    fputs("}\n", f);
    return true;
}

struct run_ref {
    const char *kind;
    int64_t id;
};

static int run_ref_cmp(const void *a, const void *b)
{
    const struct run_ref *x = a, *y = b;
    int k = strcmp(x->kind, y->kind);
    if (k)
        return k;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The runs the scorecard's figures rest on, distinct, by kind then id. */
static void write_used(FILE *f, const v6m_scorecard *sc)
{
    size_t cap = 0, n = 0;
    struct run_ref *v = NULL;
    for (size_t i = 0; i < v6m_scorecard_count(sc); i++) {
        const struct v6m_indicator *ind = v6m_scorecard_at(sc, i);
        for (size_t r = 0; r < ind->coverage.n_runs; r++) {
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 32;
                struct run_ref *nv = realloc(v, nc * sizeof *nv);
                if (!nv)
                    break;
                v = nv;
                cap = nc;
            }
            v[n].kind = ind->coverage.runs[r].kind;
            v[n].id = ind->coverage.runs[r].id;
            n++;
        }
    }
    if (n)
        qsort(v, n, sizeof *v, run_ref_cmp);
    fputc('[', f);
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && run_ref_cmp(&v[i - 1], &v[i]) == 0)
            continue;
        fputs(first ? "{\"kind\":" : ",{\"kind\":", f);
        first = false;
        json_write_string(f, v[i].kind);
        fprintf(f, ",\"id\":%" PRId64 "}", v[i].id);
    }
    fputc(']', f);
    free(v);
}

static bool file_sink(void *ctx, const char *data, size_t len)
{
    return fwrite(data, 1, len, (FILE *)ctx) == len;
}

/* With work held: the runs part for fp (kinds, every run table's rows,
 * the metrics about them). Returns 0 or an HTTP status. */
static unsigned build_runs(struct serve_content *c, const struct fp *fp, struct runs_part *out,
                           char *msg, size_t msglen)
{
    memset(out, 0, sizeof *out);
    const struct v6m_db_info *in;
    if (ensure_db(c, fp, msg, msglen) != 0 || v6m_db_info(c->db, false, &in) != V6M_OK) {
        if (c->db)
            snprintf(msg, msglen, "%s", v6m_db_errmsg(c->db));
        atomic_fetch_add(&c->stats->db_errors, 1);
        return 503;
    }
    struct membuf j, m;
    if (!mb_open(&j))
        return 503;
    if (!mb_open(&m)) {
        mb_close(&j);
        free(j.buf);
        return 503;
    }
    fputs("\"kinds\":[", j.f);
    for (size_t i = 0; i < in->n_kinds; i++) {
        const struct v6m_db_run_kind *k = &in->kinds[i];
        fputs(i ? ",{\"kind\":" : "{\"kind\":", j.f);
        json_write_string(j.f, k->kind);
        fputs(",\"table\":", j.f);
        json_write_string(j.f, k->table);
        fprintf(j.f, ",\"runs\":%" PRId64, k->runs);
        if (k->timed && k->runs_timed > 0)
            fprintf(j.f, ",\"first_s\":%" PRId64 ",\"last_s\":%" PRId64, k->first_s, k->last_s);
        else
            fputs(",\"first_s\":null,\"last_s\":null", j.f);
        fputs(",\"tool_versions\":[", j.f);
        for (size_t v = 0; v < k->n_versions; v++) {
            fputs(v ? ",{\"version\":" : "{\"version\":", j.f);
            json_write_string(j.f, k->versions[v].version);
            fprintf(j.f, ",\"runs\":%" PRId64 "}", k->versions[v].runs);
        }
        fputs("]}", j.f);
    }
    fputs("],\"rows\":{", j.f);
    bool first = true;
    unsigned code = 0;
    for (size_t i = 0; i < in->n_tables && !code; i++) {
        const struct v6m_db_table *t = &in->tables[i];
        if (!t->is_run_table)
            continue;
        if (!first)
            fputc(',', j.f);
        first = false;
        json_write_string(j.f, t->name);
        fputc(':', j.f);
        struct v6m_db_export_opts o = {V6M_DB_JSON, false, 0};
        if (v6m_db_export(c->db, t->name, &o, file_sink, j.f, NULL) != V6M_OK) {
            snprintf(msg, msglen, "%s", v6m_db_errmsg(c->db));
            atomic_fetch_add(&c->stats->db_errors, 1);
            code = 500;
        }
    }
    fputc('}', j.f);

    prom_family(m.f, "v6mon_runs", "gauge", "Runs stored in the database, by kind.");
    for (size_t i = 0; i < in->n_kinds; i++) {
        fputs("v6mon_runs{kind=", m.f);
        prom_label(m.f, in->kinds[i].kind);
        fputs(",table=", m.f);
        prom_label(m.f, in->kinds[i].table);
        fprintf(m.f, "} %" PRId64 "\n", in->kinds[i].runs);
    }
    prom_family(m.f, "v6mon_run_last_timestamp_seconds", "gauge",
                "Time of the newest run of a kind (unix seconds).");
    for (size_t i = 0; i < in->n_kinds; i++) {
        const struct v6m_db_run_kind *k = &in->kinds[i];
        if (!k->timed || k->runs_timed == 0)
            continue;
        fputs("v6mon_run_last_timestamp_seconds{kind=", m.f);
        prom_label(m.f, k->kind);
        fputs(",table=", m.f);
        prom_label(m.f, k->table);
        fprintf(m.f, "} %" PRId64 "\n", k->last_s);
    }
    prom_family(m.f, "v6mon_database_schema_version", "gauge",
                "Schema version of the database file (PRAGMA user_version).");
    fprintf(m.f, "v6mon_database_schema_version %d\n", in->version);
    prom_family(m.f, "v6mon_database_size_bytes", "gauge",
                "Size of the database file and its write-ahead log.");
    fprintf(m.f, "v6mon_database_size_bytes{file=\"db\"} %" PRIu64 "\n", in->file_bytes);
    fprintf(m.f, "v6mon_database_size_bytes{file=\"wal\"} %" PRIu64 "\n", in->wal_bytes);

    bool ok_j = mb_close(&j), ok_m = mb_close(&m);
    if (code || !ok_j || !ok_m) {
        free(j.buf);
        free(m.buf);
        if (!code)
            snprintf(msg, msglen, "out of memory");
        return code ? code : 503;
    }
    out->valid = true;
    out->fp = *fp;
    out->json = j.buf;
    out->json_len = j.len;
    out->metrics = m.buf;
    out->metrics_len = m.len;
    return 0;
}

/* With work held: make sure c->runs is for fp. */
static unsigned ensure_runs(struct serve_content *c, const struct fp *fp, char *msg,
                            size_t msglen)
{
    if (c->runs.valid && fp_equal(&c->runs.fp, fp))
        return 0;
    struct runs_part np;
    unsigned code = build_runs(c, fp, &np, msg, msglen);
    if (code)
        return code;
    pthread_mutex_lock(&c->lock);
    struct runs_part old = c->runs;
    c->runs = np;
    pthread_mutex_unlock(&c->lock);
    free(old.json);
    free(old.metrics);
    return 0;
}

static bool write_runs(FILE *f, const struct entry *e, const struct runs_part *rp)
{
    struct jspan doc = {e->json, e->json_len};
    if (!write_header(f, "v6mon.api.runs/1", doc))
        return false;
    fputc(',', f);
    fwrite(rp->json, 1, rp->json_len, f);
    fputs(",\"used\":", f);
    write_used(f, e->sc);
    fputs("}\n", f);
    return true;
}

static void sha256_source(const char *p, size_t n, FILE *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1)
        return;
    EVP_EncodeBlock(b64, md, (int)mdlen);
    fprintf(out, " 'sha256-%s'", (const char *)b64);
}

/* The hashes of every <TAG>...</TAG> element's text; count in *n. */
static void hash_elements(const char *html, size_t len, const char *tag, FILE *out, int *n)
{
    char open[16], close[16];
    snprintf(open, sizeof open, "<%s", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *p = html, *end = html + len;
    *n = 0;
    while ((p = memmem(p, (size_t)(end - p), open, strlen(open))) != NULL) {
        const char *gt = memchr(p, '>', (size_t)(end - p));
        if (!gt)
            break;
        const char *body = gt + 1;
        const char *stop = memmem(body, (size_t)(end - body), close, strlen(close));
        if (!stop)
            break;
        sha256_source(body, (size_t)(stop - body), out);
        (*n)++;
        p = stop + strlen(close);
    }
}

/* style-src for the page: the hashes of its <style> elements and, with
 * 'unsafe-hashes', of each distinct style attribute value (CSP level 3).
 * Values holding '&' (an entity the browser decodes before hashing) or
 * too many distinct values fall back to 'unsafe-inline' (still nothing
 * external). */
static void style_sources(const char *html, size_t len, FILE *out)
{
    enum { MAX_ATTRS = 64 };
    struct jspan attrs[MAX_ATTRS];
    size_t n = 0;
    bool inline_all = false;
    static const char pat[] = " style=\"";
    const char *p = html, *end = html + len;
    while (!inline_all && (p = memmem(p, (size_t)(end - p), pat, sizeof pat - 1)) != NULL) {
        const char *v = p + sizeof pat - 1;
        const char *q = memchr(v, '"', (size_t)(end - v));
        if (!q) {
            inline_all = true;
            break;
        }
        struct jspan a = {v, (size_t)(q - v)};
        bool seen = memchr(a.p, '&', a.n) != NULL;
        if (seen)
            inline_all = true;
        for (size_t i = 0; i < n && !seen; i++)
            seen = attrs[i].n == a.n && memcmp(attrs[i].p, a.p, a.n) == 0;
        if (!seen) {
            if (n == MAX_ATTRS)
                inline_all = true;
            else
                attrs[n++] = a;
        }
        p = q + 1;
    }
    if (inline_all) {
        fputs(" 'unsafe-inline'", out);
        return;
    }
    int ne;
    hash_elements(html, len, "style", out, &ne);
    if (n) {
        fputs(" 'unsafe-hashes'", out);
        for (size_t i = 0; i < n; i++)
            sha256_source(attrs[i].p, attrs[i].n, out);
    }
    if (ne == 0 && n == 0)
        fputs(" 'none'", out);
}

static char *dashboard_csp(const char *html, size_t len)
{
    struct membuf m;
    if (!mb_open(&m))
        return NULL;
    int n;
    fputs("default-src 'none'; script-src", m.f);
    hash_elements(html, len, "script", m.f, &n);
    if (n == 0)
        fputs(" 'none'", m.f);
    fputs("; style-src", m.f);
    style_sources(html, len, m.f);
    fputs("; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
          m.f);
    return mb_close(&m) ? m.buf : NULL;
}

/* With work held: the response of route ep for entry e. */
static struct MHD_Response *build(struct serve_content *c, struct entry *e, enum serve_ep ep,
                                  int lang, char *msg, size_t msglen, unsigned *code)
{
    struct membuf m;
    *code = 503;
    if (!mb_open(&m)) {
        snprintf(msg, msglen, "out of memory");
        return NULL;
    }
    struct jspan doc = {e->json, e->json_len};
    bool ok = true;
    enum serve_kind kind = KIND_JSON;
    switch (ep) {
    case EP_INDICATORS:
        fwrite(e->json, 1, e->json_len, m.f);
        fputc('\n', m.f);
        break;
    case EP_SITES:
    case EP_APPS:
    case EP_TRAFFIC:
    case EP_KPI:
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            if (parts[i].ep == ep)
                ok = write_part(m.f, &parts[i], doc);
        break;
    case EP_RUNS: {
        unsigned rc = ensure_runs(c, &e->fp, msg, msglen);
        if (rc) {
            mb_close(&m);
            free(m.buf);
            *code = rc;
            return NULL;
        }
        ok = write_runs(m.f, e, &c->runs);
        break;
    }
    case EP_DASHBOARD: {
        kind = KIND_HTML;
        struct v6m_html_options ho = {
            .lang = lang ? "zh" : "en",
            .refresh_url = "/api/v1/runs",
            .refresh_s = c->cfg->refresh_s,
        };
        ok = v6m_report_html(m.f, e->sc, &ho) == V6M_OK;
        break;
    }
    default:
        ok = false;
        break;
    }
    if (!mb_close(&m) || !ok) {
        free(m.buf);
        snprintf(msg, msglen, "cannot write the %s answer", serve_ep_path(ep));
        *code = 500;
        return NULL;
    }
    char *csp = NULL;
    if (kind == KIND_HTML && !(csp = dashboard_csp(m.buf, m.len))) {
        free(m.buf);
        snprintf(msg, msglen, "out of memory");
        return NULL;
    }
    struct MHD_Response *r = make_response(m.buf, m.len, kind, csp);
    free(csp);
    if (!r)
        snprintf(msg, msglen, "out of memory");
    *code = r ? 200 : 503;
    return r;
}

/* ---- /metrics ---- */

static void ind_labels(FILE *f, const struct v6m_indicator *ind, const char *window)
{
    fputs("{indicator=", f);
    prom_label(f, ind->id);
    fputs(",window=", f);
    prom_label(f, window);
}

/* The indicator part of /metrics for entry e. */
static char *indicator_metrics(const v6m_scorecard *sc, size_t *len)
{
    struct membuf m;
    if (!mb_open(&m))
        return NULL;
    FILE *f = m.f;
    const struct v6m_scorecard_info *in = v6m_scorecard_info(sc);
    const char *w = in->window;
    size_t n = v6m_scorecard_count(sc);

    prom_family(f, "v6mon_indicator_value", "gauge",
                "Indicator value over the window: a share 0..1 or a count; absent without "
                "data. With a segment or category label: one row of the indicator's breakdown.");
    for (size_t i = 0; i < n; i++) {
        const struct v6m_indicator *ind = v6m_scorecard_at(sc, i);
        if (ind->has_value) {
            fputs("v6mon_indicator_value", f);
            ind_labels(f, ind, w);
            fprintf(f, "} %.15g\n", ind->value);
        }
        for (size_t g = 0; ind->group_by && g < ind->n_groups; g++) {
            const struct v6m_ind_group *gr = &ind->groups[g];
            if (!gr->has_value)
                continue;
            fputs("v6mon_indicator_value", f);
            ind_labels(f, ind, w);
            fprintf(f, ",%s=", strcmp(ind->group_by, "category") == 0 ? "category" : "segment");
            prom_label(f, gr->name);
            fprintf(f, "} %.15g\n", gr->value);
        }
    }
    prom_family(f, "v6mon_indicator_target", "gauge",
                "Target of the indicator (the plan's 2024 value or the targets file).");
    for (size_t i = 0; i < n; i++) {
        const struct v6m_indicator *ind = v6m_scorecard_at(sc, i);
        if (!ind->has_target)
            continue;
        fputs("v6mon_indicator_target", f);
        ind_labels(f, ind, w);
        fprintf(f, "} %.15g\n", ind->target);
    }
    prom_family(f, "v6mon_indicator_met", "gauge",
                "1 when the indicator reaches its target, 0 when not; absent without data.");
    for (size_t i = 0; i < n; i++) {
        const struct v6m_indicator *ind = v6m_scorecard_at(sc, i);
        if (!ind->has_value || !ind->has_target)
            continue;
        fputs("v6mon_indicator_met", f);
        ind_labels(f, ind, w);
        fprintf(f, "} %d\n", ind->met ? 1 : 0);
    }
    prom_family(f, "v6mon_indicator_has_data", "gauge",
                "1 when the window holds data for the indicator, 0 when not (no data is not 0).");
    for (size_t i = 0; i < n; i++) {
        const struct v6m_indicator *ind = v6m_scorecard_at(sc, i);
        fputs("v6mon_indicator_has_data", f);
        ind_labels(f, ind, w);
        fprintf(f, "} %d\n", ind->has_value ? 1 : 0);
    }
    prom_family(f, "v6mon_indicator_samples", "gauge",
                "Sample size the indicator rests on, in the unit of the unit label.");
    for (size_t i = 0; i < n; i++) {
        const struct v6m_indicator *ind = v6m_scorecard_at(sc, i);
        fputs("v6mon_indicator_samples", f);
        ind_labels(f, ind, w);
        fputs(",unit=", f);
        prom_label(f, ind->coverage.sample_unit ? ind->coverage.sample_unit : "");
        fprintf(f, "} %" PRIu64 "\n", ind->coverage.samples);
    }
    size_t nseg = 0;
    const struct v6m_ind_group *seg = v6m_scorecard_segments(sc, &nseg);
    prom_family(f, "v6mon_segment_ipv6_traffic_share", "gauge",
                "IPv6 share of the bytes of every traffic segment over the window.");
    for (size_t i = 0; i < nseg; i++) {
        if (!seg[i].has_value)
            continue;
        fputs("v6mon_segment_ipv6_traffic_share{segment=", f);
        prom_label(f, seg[i].name);
        fputs(",window=", f);
        prom_label(f, w);
        fprintf(f, "} %.15g\n", seg[i].value);
    }
    prom_family(f, "v6mon_scorecard_reference_timestamp_seconds", "gauge",
                "Reference time of the scorecard (the newest data, or the wall clock).");
    fputs("v6mon_scorecard_reference_timestamp_seconds{window=", f);
    prom_label(f, w);
    fprintf(f, "} %" PRId64 "\n", in->now_s);
    if (!mb_close(&m))
        return NULL;
    *len = m.len;
    return m.buf;
}

static void live_metrics(FILE *f, const struct serve_content *c)
{
    struct serve_stats *st = c->stats;
    prom_family(f, "v6mon_http_requests_total", "counter",
                "HTTP requests answered, by route and status code (route \"other\": "
                "refused before routing or not found).");
    for (int e = 0; e < EP__COUNT; e++)
        for (int k = 0; k < SC__COUNT; k++) {
            uint64_t v = atomic_load_explicit(&st->requests[e][k], memory_order_relaxed);
            if (v == 0 && !(k == SC_200 && e != EP_OTHER && e != EP_FAVICON))
                continue;
            fputs("v6mon_http_requests_total{route=", f);
            prom_label(f, serve_ep_path((enum serve_ep)e));
            fprintf(f, ",code=\"%u\"} %" PRIu64 "\n", serve_code_of((enum serve_code_ix)k), v);
        }
    prom_family(f, "v6mon_database_errors_total", "counter",
                "Database failures: opening, computing a scorecard, reading the runs.");
    fprintf(f, "v6mon_database_errors_total %" PRIu64 "\n",
            atomic_load(&st->db_errors));
    prom_family(f, "v6mon_database_reopens_total", "counter",
                "Times the database file was replaced and opened again.");
    fprintf(f, "v6mon_database_reopens_total %" PRIu64 "\n", atomic_load(&st->reopens));
    prom_family(f, "v6mon_scorecard_computations_total", "counter",
                "Scorecards computed (cache misses).");
    fprintf(f, "v6mon_scorecard_computations_total %" PRIu64 "\n",
            atomic_load(&st->computations));
    prom_family(f, "v6mon_scorecard_compute_seconds_total", "counter",
                "Time spent computing scorecards.");
    fprintf(f, "v6mon_scorecard_compute_seconds_total %.9f\n",
            (double)atomic_load(&st->compute_ns) / 1e9);
    prom_family(f, "v6mon_start_time_seconds", "gauge", "Start time of the server (unix seconds).");
    fprintf(f, "v6mon_start_time_seconds %" PRId64 "\n", st->start_s);
    prom_family(f, "v6mon_build_info", "gauge", "The v6mon that serves these metrics.");
    fputs("v6mon_build_info{version=", f);
    prom_label(f, v6m_version());
    fputs("} 1\n", f);
}

/* With lock held: the /metrics body when everything is cached, or NULL. */
static struct MHD_Response *metrics_response(struct serve_content *c, const struct entry *e)
{
    struct membuf m;
    if (!mb_open(&m))
        return NULL;
    fwrite(e->metrics, 1, e->metrics_len, m.f);
    fwrite(c->runs.metrics, 1, c->runs.metrics_len, m.f);
    live_metrics(m.f, c);
    if (!mb_close(&m))
        return NULL;
    return make_response(m.buf, m.len, KIND_METRICS, NULL);
}

/* ---- the answer ---- */

static unsigned answer_error(struct serve_content *c, struct MHD_Connection *conn,
                             unsigned code, const char *msg)
{
    (void)c;
    return serve_queue_error(conn, code, msg);
}

static bool ready(const struct serve_content *c, const struct entry *e, enum serve_ep ep,
                  int lang, const struct fp *fp)
{
    if (!e)
        return false;
    if (ep == EP_METRICS)
        return e->metrics && c->runs.valid && fp_equal(&c->runs.fp, fp);
    return e->resp[ep][lang] != NULL;
}

/* With lock held and ready(): queue it. */
static unsigned serve_ready(struct serve_content *c, struct entry *e, enum serve_ep ep,
                            int lang, struct MHD_Connection *conn)
{
    e->stamp = ++c->clock;
    if (ep != EP_METRICS)
        return queue(conn, e->resp[ep][lang], 200);
    struct MHD_Response *r = metrics_response(c, e);
    if (!r)
        return 0;
    unsigned code = queue(conn, r, 200);
    MHD_destroy_response(r);
    return code;
}

unsigned serve_content_answer(struct serve_content *c, enum serve_ep ep,
                              const struct serve_query *given, struct MHD_Connection *conn)
{
    if (ep == EP_FAVICON) {
        struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"",
                                                                 MHD_RESPMEM_PERSISTENT);
        if (!r)
            return 0;
        unsigned code = serve_add_headers(r, KIND_EMPTY, NULL) ? queue(conn, r, 204) : 0;
        MHD_destroy_response(r);
        return code;
    }
    struct serve_query q = *given;
    if (!q.window[0])
        snprintf(q.window, sizeof q.window, "%s", c->cfg->window);
    if (!q.lang[0])
        snprintf(q.lang, sizeof q.lang, "%s", c->cfg->lang);
    int lang = ep == EP_DASHBOARD && strcmp(q.lang, "zh") == 0;
    int64_t now = query_now(c->cfg);
    char key[KEY_MAX];
    make_key(&q, now, key);
    struct fp fp = fingerprint(c->path);
    if (!fp.ok) {
        atomic_fetch_add(&c->stats->db_errors, 1);
        char msg[256];
        snprintf(msg, sizeof msg, "the database file cannot be read (%s)", strerror(errno));
        return answer_error(c, conn, 503, msg);
    }

    pthread_mutex_lock(&c->lock);
    struct entry *e = find_entry(c, key, &fp);
    if (ready(c, e, ep, lang, &fp)) {
        unsigned code = serve_ready(c, e, ep, lang, conn);
        pthread_mutex_unlock(&c->lock);
        return code;
    }
    pthread_mutex_unlock(&c->lock);

    char msg[512] = "";
    unsigned err = 0;
    pthread_mutex_lock(&c->work);
    pthread_mutex_lock(&c->lock);
    e = find_entry(c, key, &fp);
    if (ready(c, e, ep, lang, &fp)) {
        unsigned code = serve_ready(c, e, ep, lang, conn);
        pthread_mutex_unlock(&c->lock);
        pthread_mutex_unlock(&c->work);
        return code;
    }
    pthread_mutex_unlock(&c->lock);
    if (!e) {
        struct entry fresh;
        err = compute(c, &q, now, &fp, &fresh, msg, sizeof msg);
        if (!err) {
            pthread_mutex_lock(&c->lock);
            e = insert(c, &fresh);
            pthread_mutex_unlock(&c->lock);
        }
    }
    if (!err && ep == EP_METRICS) {
        if (!e->metrics) {
            size_t len = 0;
            char *t = indicator_metrics(e->sc, &len);
            if (!t) {
                err = 503;
                snprintf(msg, sizeof msg, "out of memory");
            } else {
                pthread_mutex_lock(&c->lock);
                e->metrics = t;
                e->metrics_len = len;
                pthread_mutex_unlock(&c->lock);
            }
        }
        if (!err)
            err = ensure_runs(c, &fp, msg, sizeof msg);
    } else if (!err) {
        unsigned code;
        struct MHD_Response *r = build(c, e, ep, lang, msg, sizeof msg, &code);
        if (!r) {
            err = code;
        } else {
            pthread_mutex_lock(&c->lock);
            e->resp[ep][lang] = r;
            pthread_mutex_unlock(&c->lock);
        }
    }
    unsigned code;
    if (err) {
        code = answer_error(c, conn, err, msg);
    } else {
        pthread_mutex_lock(&c->lock);
        code = serve_ready(c, e, ep, lang, conn);
        pthread_mutex_unlock(&c->lock);
    }
    pthread_mutex_unlock(&c->work);
    return code;
}

/* ---- life ---- */

int serve_content_open(const struct serve_config *cfg, struct serve_stats *stats,
                       struct serve_content **out, char *err, size_t errlen)
{
    *out = NULL;
    struct serve_content *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->cfg = cfg;
    c->stats = stats;
    const char *p = cfg->db;
    if (strncmp(p, "sqlite://", 9) == 0)
        p += 9;
    else if (strncmp(p, "sqlite:", 7) == 0)
        p += 7;
    if (strlen(p) >= sizeof c->path) {
        snprintf(err, errlen, "database path too long");
        free(c);
        return -1;
    }
    snprintf(c->path, sizeof c->path, "%s", p);
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->work, NULL);

    struct fp fp = fingerprint(c->path);
    if (!fp.ok) {
        snprintf(err, errlen, "cannot open database '%s': %s", c->path, strerror(errno));
        serve_content_close(c);
        return -1;
    }
    /* The default query once: a bad database, targets file or registry
     * fails here, at start, not at the first request. */
    struct serve_query q;
    memset(&q, 0, sizeof q);
    snprintf(q.window, sizeof q.window, "%s", cfg->window);
    struct entry fresh;
    char msg[512];
    unsigned code = compute(c, &q, query_now(cfg), &fp, &fresh, msg, sizeof msg);
    if (!code)
        code = ensure_runs(c, &fp, msg, sizeof msg);
    if (code) {
        if (fresh.used)
            entry_release(&fresh);
        snprintf(err, errlen, "%s", msg);
        serve_content_close(c);
        return -1;
    }
    insert(c, &fresh);
    *out = c;
    return 0;
}

void serve_content_close(struct serve_content *c)
{
    if (!c)
        return;
    for (int i = 0; i < N_ENTRIES; i++)
        if (c->entries[i].used)
            entry_release(&c->entries[i]);
    free(c->runs.json);
    free(c->runs.metrics);
    v6m_indicators_close(c->ind);
    v6m_db_close(c->db);
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->work);
    free(c);
}
