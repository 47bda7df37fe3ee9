/*
 * store/sqlite_query.c - the SQLite implementation of store/query.h: the
 * queries behind the indicators (docs/indicators.md says which table
 * feeds which indicator, docs/store.md what the columns mean).
 *
 * Why the aggregation is split this way: the store sums what sums exactly
 * (bytes per UTC day, segment and run; app bytes per day, run and app) so
 * a year of 5-minute buckets (~600,000 rows for 3 segments) comes back as
 * a few thousand rows after one pass over the table; the caller adds days
 * into windows and trend points and divides last (ratios of sums). The
 * traffic days are summed in C here rather than by GROUP BY (see
 * store_q_traffic_days: 10x faster in SQLite); a ClickHouse backend would
 * let the server GROUP BY. Distinct users cannot be summed: their rows
 * come with the stored HyperLogLog sketches for the caller to merge. Probe
 * and kpi rows come unaggregated, newest first per site / target, because
 * the indicators take each site's newest result in a window.
 *
 * UTC day of a time t (seconds, possibly negative): t - ((t % 86400) +
 * 86400) % 86400 (SQLite's % truncates toward zero).
 *
 * Read-only: the connection is opened SQLITE_OPEN_READONLY with
 * query_only on, so nothing here can change a database, and it never
 * migrates (an old schema is read as it is; missing tables read empty).
 * Statements are prepared per call (each query runs once per scorecard)
 * except the two per-site/per-app lookups, which are prepared once and
 * kept on the handle.
 */
#include <sqlite3.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/query.h"

struct store_q {
    sqlite3 *db;
    char *path;
    int version;
    bool has_users, has_apps, has_probe, has_kpi, has_ipv6plus;
    sqlite3_stmt *st_checks;   /* store_q_site_checks */
    sqlite3_stmt *st_domains;  /* store_q_app_domains */
};

#define DAY_EXPR(t) "(" t " - ((" t " % 86400) + 86400) % 86400)"

static v6m_err q_fail(struct store_q *q, struct errbuf *err, const char *what)
{
    return errbuf_set(err, V6M_ERR_DB, "database '%s': %s: %s", q->path, what,
                      sqlite3_errmsg(q->db));
}

static v6m_err q_stopped(struct errbuf *err)
{
    return errbuf_set(err, V6M_ERR_INTERRUPTED, "stopped by the caller");
}

static bool table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    bool yes = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        yes = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return yes;
}

static const char *strip_scheme(const char *loc)
{
    if (strncmp(loc, "sqlite://", 9) == 0)
        return loc + 9;
    if (strncmp(loc, "sqlite:", 7) == 0)
        return loc + 7;
    return loc;
}

void store_q_close(struct store_q *q)
{
    if (!q)
        return;
    sqlite3_finalize(q->st_checks);
    sqlite3_finalize(q->st_domains);
    sqlite3_close_v2(q->db);
    free(q->path);
    free(q);
}

v6m_err store_q_open(const char *location, struct store_q **out, struct errbuf *err)
{
    *out = NULL;
    if (!location || !location[0])
        return errbuf_set(err, V6M_ERR_INVALID_ARG, "no database given");
    if (strstr(location, "://") && strncmp(location, "sqlite://", 9) != 0)
        return errbuf_set(err, V6M_ERR_UNSUPPORTED,
                          "'%s': only SQLite databases (PATH or sqlite:PATH) can be read "
                          "for indicators yet", location);
    const char *path = strip_scheme(location);
    struct stat sb;
    if (stat(path, &sb) != 0)
        return errbuf_set(err, errno == ENOENT ? V6M_ERR_NOT_FOUND : V6M_ERR_IO,
                          "cannot open database '%s': %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return errbuf_set(err, V6M_ERR_IO, "cannot open database '%s': not a regular file",
                          path);
    struct store_q *q = calloc(1, sizeof(*q));
    size_t n = strlen(path);
    if (q)
        q->path = malloc(n + 1);
    if (!q || !q->path) {
        free(q);
        return errbuf_set(err, V6M_ERR_NOMEM, "out of memory");
    }
    memcpy(q->path, path, n + 1);
    if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        errbuf_set(err, V6M_ERR_DB, "cannot open database '%s': %s", path,
                   q->db ? sqlite3_errmsg(q->db) : "out of memory");
        store_q_close(q);
        return V6M_ERR_DB;
    }
    sqlite3_extended_result_codes(q->db, 1);
    sqlite3_busy_timeout(q->db, 5000);
    sqlite3_stmt *st = NULL;
    /* The first read of the file: "file is not a database" shows here. */
    if (sqlite3_exec(q->db, "PRAGMA query_only = ON", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        errbuf_set(err, V6M_ERR_DB, "cannot open database '%s': %s", path,
                   sqlite3_errmsg(q->db));
        sqlite3_finalize(st);
        store_q_close(q);
        return V6M_ERR_DB;
    }
    q->version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (!table_exists(q->db, "runs") || !table_exists(q->db, "traffic_buckets")) {
        errbuf_set(err, V6M_ERR_FORMAT, "'%s' is not a v6mon database (no runs table)", path);
        store_q_close(q);
        return V6M_ERR_FORMAT;
    }
    q->has_ipv6plus = table_exists(q->db, "traffic_ipv6plus");
    q->has_users = table_exists(q->db, "users_windows");
    q->has_apps = table_exists(q->db, "apps_days") && table_exists(q->db, "apps_totals") &&
                  table_exists(q->db, "app_names");
    q->has_probe = table_exists(q->db, "probe_runs") && table_exists(q->db, "probe_sites") &&
                   table_exists(q->db, "probe_checks") && table_exists(q->db, "probe_apps") &&
                   table_exists(q->db, "probe_app_domains");
    q->has_kpi = table_exists(q->db, "kpi_runs") && table_exists(q->db, "kpi_targets") &&
                 table_exists(q->db, "kpi_metrics");
    *out = q;
    return V6M_OK;
}

const char *store_q_path(const struct store_q *q)
{
    return q->path;
}

int store_q_schema_version(const struct store_q *q)
{
    return q->version;
}

/* ---- helpers -------------------------------------------------------------------- */

static bool has(const char *s)
{
    return s && s[0];
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static uint64_t col_u64(sqlite3_stmt *st, int i)
{
    int64_t v = sqlite3_column_int64(st, i);
    return v < 0 ? 0 : (uint64_t)v;
}

static bool col_null(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL;
}

/* Seconds to ns, saturating (open ranges use INT64_MIN / INT64_MAX). */
static int64_t s_to_ns(int64_t s)
{
    if (s >= INT64_MAX / 1000000000)
        return INT64_MAX;
    if (s <= INT64_MIN / 1000000000)
        return INT64_MIN;
    return s * 1000000000;
}

struct sqlbuf {
    char s[2048];
    size_t n;
    bool overflow;
};

static void sb_add(struct sqlbuf *b, const char *text)
{
    size_t l = strlen(text);
    if (b->n + l + 1 > sizeof(b->s)) {
        b->overflow = true;
        return;
    }
    memcpy(b->s + b->n, text, l + 1);
    b->n += l;
}

static v6m_err prepare(struct store_q *q, struct sqlbuf *b, sqlite3_stmt **st, struct errbuf *err,
                       const char *what)
{
    *st = NULL;
    if (b->overflow)
        return errbuf_set(err, V6M_ERR_DB, "database '%s': %s: query text too long", q->path,
                          what);
    if (sqlite3_prepare_v2(q->db, b->s, -1, st, NULL) != SQLITE_OK)
        return q_fail(q, err, what);
    return V6M_OK;
}

/* Bind the filter's parameters by name (each only when the SQL uses it). */
static void bind_filter(sqlite3_stmt *st, const struct store_q_filter *f, bool ns)
{
    int i;
    if ((i = sqlite3_bind_parameter_index(st, ":from")) > 0)
        sqlite3_bind_int64(st, i, ns ? s_to_ns(f->from_s) : f->from_s);
    if ((i = sqlite3_bind_parameter_index(st, ":to")) > 0)
        sqlite3_bind_int64(st, i, ns ? s_to_ns(f->to_s) : f->to_s);
    if ((i = sqlite3_bind_parameter_index(st, ":seg")) > 0)
        sqlite3_bind_text(st, i, f->segment, -1, SQLITE_STATIC);
    if ((i = sqlite3_bind_parameter_index(st, ":cat")) > 0)
        sqlite3_bind_text(st, i, f->category, -1, SQLITE_STATIC);
    if ((i = sqlite3_bind_parameter_index(st, ":van")) > 0)
        sqlite3_bind_text(st, i, f->vantage, -1, SQLITE_STATIC);
}

/* Step through the rows; row() returns false to stop. */
static v6m_err run_rows(struct store_q *q, sqlite3_stmt *st, bool (*row)(sqlite3_stmt *, void *),
                        void *ctx, struct errbuf *err, const char *what)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!row(st, ctx)) {
            sqlite3_finalize(st);
            return q_stopped(err);
        }
    }
    v6m_err e = rc == SQLITE_DONE ? V6M_OK : q_fail(q, err, what);
    sqlite3_finalize(st);
    return e;
}

/* ---- spans ------------------------------------------------------------------------ */

static v6m_err span_of(struct store_q *q, const char *sql, struct store_q_span *out,
                       struct errbuf *err)
{
    sqlite3_stmt *st = NULL;
    memset(out, 0, sizeof(*out));
    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
        return q_fail(q, err, "cannot read the data's time span");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && !col_null(st, 0) && !col_null(st, 1)) {
        out->any = true;
        out->first_s = sqlite3_column_int64(st, 0);
        out->last_s = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return q_fail(q, err, "cannot read the data's time span");
    return V6M_OK;
}

v6m_err store_q_spans(struct store_q *q, struct store_q_spans *out, struct errbuf *err)
{
    memset(out, 0, sizeof(*out));
    /* One min() or max() per SELECT: SQLite answers each from an index
     * edge, while min() and max() in one SELECT scan the whole table. */
    v6m_err e = span_of(q,
                        "SELECT (SELECT min(bucket_start) FROM traffic_buckets), "
                        "(SELECT max(bucket_start) FROM traffic_buckets)",
                        &out->traffic, err);
    if (e == V6M_OK && q->has_users)
        e = span_of(q,
                    "SELECT (SELECT min(start_s) FROM users_windows WHERE window = 'day'), "
                    "(SELECT max(start_s) FROM users_windows WHERE window = 'day')",
                    &out->users, err);
    if (e == V6M_OK && q->has_apps)
        e = span_of(q,
                    "SELECT (SELECT min(day_start) FROM apps_days), "
                    "(SELECT max(day_start) FROM apps_days)",
                    &out->apps, err);
    if (e == V6M_OK && q->has_probe) {
        struct store_q_span a, b;
        e = span_of(q,
                    "SELECT min(t) / 1000000000, max(t) / 1000000000 FROM (SELECT "
                    "coalesce(s.started_ns, r.started_ns) AS t FROM probe_sites s JOIN "
                    "probe_runs r ON r.id = s.run_id) WHERE t IS NOT NULL",
                    &a, err);
        if (e == V6M_OK)
            e = span_of(q,
                        "SELECT min(started_ns) / 1000000000, max(started_ns) / 1000000000 "
                        "FROM probe_runs WHERE id IN (SELECT run_id FROM probe_apps)",
                        &b, err);
        if (e == V6M_OK) {
            out->probe = a.any ? a : b;
            if (a.any && b.any) {
                out->probe.first_s = a.first_s < b.first_s ? a.first_s : b.first_s;
                out->probe.last_s = a.last_s > b.last_s ? a.last_s : b.last_s;
            }
        }
    }
    if (e == V6M_OK && q->has_kpi)
        e = span_of(q,
                    "SELECT (SELECT min(started) FROM kpi_runs), (SELECT max(started) FROM "
                    "kpi_runs)",
                    &out->kpi, err);
    return e;
}

/* ---- traffic -------------------------------------------------------------------------- */

/* The caller's typed callback travels as a generic function pointer (a
 * function pointer may be converted to another function pointer type and
 * back; not to void *). */
typedef void (*any_fn)(void);
struct cb_ctx {
    any_fn cb;
    void *arg;
};

/*
 * Traffic days are summed here, not by a GROUP BY: SQLite sorts a year of
 * 5-minute rows (~600,000) through a temporary b-tree for a GROUP BY on an
 * expression, ~2 s on the benchmark machine, while one pass over the rows
 * into a hash table of (run, day, segment) groups takes ~0.2 s
 * (bench/indicators_bench.c). The rows come in the order of whichever
 * b-tree the planner picks: the primary key (run_id, bucket_start,
 * segment, family) or the index (bucket_start, segment) + key suffix. In
 * both, the rows of one (run, bucket, segment) are adjacent, so "bucket
 * start differs from the group's last one" counts distinct buckets
 * exactly.
 */
struct tg_run {
    int64_t id;
    char *vantage, *tool;
};

struct tg_group {
    int64_t day, run_id;
    uint32_t run, seg;       /* indexes into the run and segment tables */
    uint32_t seg_rank;       /* the segment's place in name order (for sorting) */
    uint64_t v4, v6, buckets;
    int64_t first, last, last_bucket;
    bool used;
};

struct tg {
    struct tg_run *runs;
    size_t n_runs;
    char **segs;
    size_t n_segs, cap_segs;
    struct tg_group *g;      /* open addressing */
    size_t cap, n;
};

static void tg_free(struct tg *t)
{
    for (size_t i = 0; i < t->n_runs; i++) {
        free(t->runs[i].vantage);
        free(t->runs[i].tool);
    }
    free(t->runs);
    for (size_t i = 0; i < t->n_segs; i++)
        free(t->segs[i]);
    free(t->segs);
    free(t->g);
}

static char *tg_dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, s, n);
    return c;
}

static size_t tg_hash(int64_t day, uint32_t run, uint32_t seg, size_t mask)
{
    uint64_t h = (uint64_t)day * 0x9e3779b97f4a7c15ULL ^ (uint64_t)run * 0xc2b2ae3d27d4eb4fULL ^
                 (uint64_t)seg * 0x165667b19e3779f9ULL;
    h ^= h >> 29;
    return (size_t)h & mask;
}

static bool tg_grow(struct tg *t)
{
    size_t nc = t->cap ? t->cap * 2 : 1024;
    struct tg_group *ng = calloc(nc, sizeof(*ng));
    if (!ng)
        return false;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->g[i].used)
            continue;
        size_t j = tg_hash(t->g[i].day, t->g[i].run, t->g[i].seg, nc - 1);
        while (ng[j].used)
            j = (j + 1) & (nc - 1);
        ng[j] = t->g[i];
    }
    free(t->g);
    t->g = ng;
    t->cap = nc;
    return true;
}

static struct tg_group *tg_get(struct tg *t, int64_t day, uint32_t run, uint32_t seg)
{
    if ((t->n + 1) * 2 > t->cap && !tg_grow(t))
        return NULL;
    size_t j = tg_hash(day, run, seg, t->cap - 1);
    while (t->g[j].used) {
        struct tg_group *g = &t->g[j];
        if (g->day == day && g->run == run && g->seg == seg)
            return g;
        j = (j + 1) & (t->cap - 1);
    }
    struct tg_group *g = &t->g[j];
    g->used = true;
    g->day = day;
    g->run = run;
    g->seg = seg;
    g->run_id = t->runs[run].id;
    g->first = INT64_MAX;
    g->last = INT64_MIN;
    g->last_bucket = INT64_MIN;
    t->n++;
    return g;
}

/* Segment name -> index (few names; the last hit is tried first). */
static bool tg_seg(struct tg *t, const char *name, uint32_t *hint)
{
    if (*hint < t->n_segs && strcmp(t->segs[*hint], name) == 0)
        return true;
    for (size_t i = 0; i < t->n_segs; i++)
        if (strcmp(t->segs[i], name) == 0) {
            *hint = (uint32_t)i;
            return true;
        }
    if (t->n_segs == t->cap_segs) {
        size_t nc = t->cap_segs ? t->cap_segs * 2 : 16;
        char **ns = realloc(t->segs, nc * sizeof(*ns));
        if (!ns)
            return false;
        t->segs = ns;
        t->cap_segs = nc;
    }
    if (!(t->segs[t->n_segs] = tg_dup(name)))
        return false;
    *hint = (uint32_t)t->n_segs++;
    return true;
}

static int tg_run_cmp(const void *a, const void *b)
{
    const struct tg_run *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int tg_group_cmp(const void *a, const void *b)
{
    const struct tg_group *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    if (x->seg_rank != y->seg_rank)
        return x->seg_rank < y->seg_rank ? -1 : 1;
    return x->run_id < y->run_id ? -1 : x->run_id > y->run_id;
}

static int tg_str_cmp(const void *a, const void *b)
{
    return strcmp(**(char **const *)a, **(char **const *)b);
}

static v6m_err tg_load_runs(struct store_q *q, const struct store_q_filter *f, struct tg *t,
                            struct errbuf *err)
{
    sqlite3_stmt *st = NULL;
    const char *sql = has(f->vantage) ? "SELECT id, vantage, tool_version FROM runs "
                                        "WHERE vantage = ?1 ORDER BY id"
                                      : "SELECT id, vantage, tool_version FROM runs ORDER BY id";
    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
        return q_fail(q, err, "cannot read runs");
    if (has(f->vantage))
        sqlite3_bind_text(st, 1, f->vantage, -1, SQLITE_STATIC);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (t->n_runs == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct tg_run *nr = realloc(t->runs, nc * sizeof(*nr));
            if (!nr) {
                sqlite3_finalize(st);
                return errbuf_set(err, V6M_ERR_NOMEM, "out of memory");
            }
            t->runs = nr;
            cap = nc;
        }
        struct tg_run *r = &t->runs[t->n_runs];
        r->id = sqlite3_column_int64(st, 0);
        r->vantage = tg_dup(col_text(st, 1));
        r->tool = tg_dup(col_text(st, 2));
        t->n_runs++;
        if (!r->vantage || !r->tool) {
            sqlite3_finalize(st);
            return errbuf_set(err, V6M_ERR_NOMEM, "out of memory");
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return q_fail(q, err, "cannot read runs");
    if (t->n_runs)
        qsort(t->runs, t->n_runs, sizeof(*t->runs), tg_run_cmp);
    return V6M_OK;
}

/* Index of run id, or -1 (not a run of the vantage filter). */
static long tg_find_run(const struct tg *t, int64_t id)
{
    size_t lo = 0, hi = t->n_runs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->runs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->n_runs && t->runs[lo].id == id ? (long)lo : -1;
}

v6m_err store_q_traffic_days(struct store_q *q, const struct store_q_filter *f,
                             store_q_traffic_cb cb, void *arg, struct errbuf *err)
{
    struct tg t = {0};
    v6m_err e = tg_load_runs(q, f, &t, err);
    if (e != V6M_OK || !t.n_runs) {
        tg_free(&t);
        return e;
    }
    struct sqlbuf b = {0};
    sb_add(&b, "SELECT run_id, bucket_start, segment, family, bytes FROM traffic_buckets "
               "WHERE bucket_start >= :from AND bucket_start < :to "
               "AND family IN ('ipv4', 'ipv6')");
    if (has(f->segment))
        sb_add(&b, " AND segment = :seg");
    sqlite3_stmt *st;
    e = prepare(q, &b, &st, err, "cannot read traffic buckets");
    if (e != V6M_OK) {
        tg_free(&t);
        return e;
    }
    bind_filter(st, f, false);
    int64_t last_run_id = INT64_MIN;
    long run = -1;
    uint32_t seg = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t rid = sqlite3_column_int64(st, 0);
        if (rid != last_run_id) {
            last_run_id = rid;
            run = tg_find_run(&t, rid);
        }
        if (run < 0)
            continue; /* another vantage point */
        int64_t start = sqlite3_column_int64(st, 1);
        int64_t day = start - ((start % 86400) + 86400) % 86400;
        const char *segname = col_text(st, 2);
        const char *fam = col_text(st, 3);
        struct tg_group *g = NULL;
        if (!tg_seg(&t, segname, &seg) || !(g = tg_get(&t, day, (uint32_t)run, seg))) {
            sqlite3_finalize(st);
            tg_free(&t);
            return errbuf_set(err, V6M_ERR_NOMEM, "out of memory");
        }
        uint64_t bytes = col_u64(st, 4);
        uint64_t *acc = fam[3] == '6' ? &g->v6 : &g->v4;
        *acc = *acc + bytes < *acc ? UINT64_MAX : *acc + bytes;
        if (start != g->last_bucket) {
            g->buckets++;
            g->last_bucket = start;
        }
        if (start < g->first)
            g->first = start;
        if (start > g->last)
            g->last = start;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        tg_free(&t);
        return q_fail(q, err, "cannot read traffic buckets");
    }
    /* Compact and sort: by day, segment name, run. */
    char ***byname = malloc((t.n_segs ? t.n_segs : 1) * sizeof(*byname));
    uint32_t *rank = malloc((t.n_segs ? t.n_segs : 1) * sizeof(*rank));
    if (!byname || !rank) {
        free(byname);
        free(rank);
        tg_free(&t);
        return errbuf_set(err, V6M_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < t.n_segs; i++)
        byname[i] = &t.segs[i];
    qsort(byname, t.n_segs, sizeof(*byname), tg_str_cmp);
    for (size_t i = 0; i < t.n_segs; i++)
        rank[byname[i] - t.segs] = (uint32_t)i;
    size_t k = 0;
    for (size_t i = 0; i < t.cap; i++)
        if (t.g[i].used) {
            t.g[k] = t.g[i];
            t.g[k++].seg_rank = rank[t.g[i].seg];
        }
    free(byname);
    free(rank);
    if (k)
        qsort(t.g, k, sizeof(*t.g), tg_group_cmp);
    e = V6M_OK;
    for (size_t i = 0; i < k; i++) {
        const struct tg_group *g = &t.g[i];
        struct store_q_traffic_row r = {
            .day_s = g->day,
            .segment = t.segs[g->seg],
            .run_id = g->run_id,
            .vantage = t.runs[g->run].vantage,
            .tool_version = t.runs[g->run].tool,
            .v4_bytes = g->v4,
            .v6_bytes = g->v6,
            .buckets = g->buckets,
            .first_s = g->first,
            .last_s = g->last,
        };
        if (!cb(arg, &r)) {
            e = q_stopped(err);
            break;
        }
    }
    tg_free(&t);
    return e;
}

static bool ipv6plus_row(sqlite3_stmt *st, void *p)
{
    struct cb_ctx *c = p;
    struct store_q_ipv6plus_row r = {
        .run_id = sqlite3_column_int64(st, 0),
        .vantage = col_text(st, 1),
        .tool_version = col_text(st, 2),
        .first_s = sqlite3_column_int64(st, 3),
        .last_s = sqlite3_column_int64(st, 4),
        .metric = col_text(st, 5),
        .value = col_u64(st, 6),
    };
    return ((store_q_ipv6plus_cb)c->cb)(c->arg, &r);
}

v6m_err store_q_ipv6plus(struct store_q *q, const struct store_q_filter *f,
                         store_q_ipv6plus_cb cb, void *arg, struct errbuf *err)
{
    if (!q->has_ipv6plus)
        return V6M_OK;
    struct sqlbuf b = {0};
    sb_add(&b, "SELECT r.id, r.vantage, r.tool_version, r.first_packet_ns / 1000000000, "
               "r.last_packet_ns / 1000000000, p.metric, p.value FROM runs r "
               "JOIN traffic_ipv6plus p ON p.run_id = r.id "
               "WHERE r.kind = 'traffic' AND r.first_packet_ns IS NOT NULL "
               "AND r.first_packet_ns < :to AND r.last_packet_ns >= :from");
    if (has(f->vantage))
        sb_add(&b, " AND r.vantage = :van");
    sb_add(&b, " ORDER BY r.id, p.metric");
    sqlite3_stmt *st;
    v6m_err e = prepare(q, &b, &st, err, "cannot read IPv6+ counters");
    if (e != V6M_OK)
        return e;
    bind_filter(st, f, true);
    struct cb_ctx c = {(any_fn)cb, arg};
    return run_rows(q, st, ipv6plus_row, &c, err, "cannot read IPv6+ counters");
}

/* ---- users ---------------------------------------------------------------------------- */

static bool user_row(sqlite3_stmt *st, void *p)
{
    struct cb_ctx *c = p;
    struct store_q_user_row r = {
        .run_id = sqlite3_column_int64(st, 0),
        .day_s = sqlite3_column_int64(st, 1),
        .segment = col_text(st, 2),
        .mode = col_text(st, 3),
        .active = col_u64(st, 4),
        .ipv6_active = col_u64(st, 5),
        .exact = sqlite3_column_int(st, 6) != 0,
        .vantage = col_text(st, 9),
        .tool_version = col_text(st, 10),
    };
    if (sqlite3_column_type(st, 7) == SQLITE_BLOB) {
        r.q4 = sqlite3_column_blob(st, 7);
        r.q4_len = (size_t)sqlite3_column_bytes(st, 7);
    }
    if (sqlite3_column_type(st, 8) == SQLITE_BLOB) {
        r.q6 = sqlite3_column_blob(st, 8);
        r.q6_len = (size_t)sqlite3_column_bytes(st, 8);
    }
    return ((store_q_user_cb)c->cb)(c->arg, &r);
}

v6m_err store_q_user_days(struct store_q *q, const struct store_q_filter *f, store_q_user_cb cb,
                          void *arg, bool *present, struct errbuf *err)
{
    *present = q->has_users;
    if (!q->has_users)
        return V6M_OK;
    struct sqlbuf b = {0};
    sb_add(&b, "SELECT u.run_id, u.start_s, u.segment, u.mode, u.active, u.ipv6_active, "
               "u.exact, u.hll_q4, u.hll_q6, r.vantage, r.tool_version FROM users_windows u "
               "JOIN runs r ON r.id = u.run_id WHERE u.window = 'day' "
               "AND u.start_s >= :from AND u.start_s < :to");
    if (has(f->segment))
        sb_add(&b, " AND u.segment = :seg");
    if (has(f->vantage))
        sb_add(&b, " AND r.vantage = :van");
    sb_add(&b, " ORDER BY u.start_s, u.segment, u.run_id");
    sqlite3_stmt *st;
    v6m_err e = prepare(q, &b, &st, err, "cannot read subscriber windows");
    if (e != V6M_OK)
        return e;
    bind_filter(st, f, false);
    struct cb_ctx c = {(any_fn)cb, arg};
    return run_rows(q, st, user_row, &c, err, "cannot read subscriber windows");
}

/* ---- apps from traffic ---------------------------------------------------------------- */

static bool app_day_row(sqlite3_stmt *st, void *p)
{
    struct cb_ctx *c = p;
    struct store_q_app_day_row r = {
        .day_s = sqlite3_column_int64(st, 0),
        .run_id = sqlite3_column_int64(st, 1),
        .app = col_text(st, 2),
        .v4_bytes = col_u64(st, 3),
        .v6_bytes = col_u64(st, 4),
        .category = col_text(st, 5),
        .shows_ipv6 = sqlite3_column_int(st, 6) != 0,
        .run_last_s = sqlite3_column_int64(st, 7),
        .vantage = col_text(st, 8),
        .tool_version = col_text(st, 9),
    };
    return ((store_q_app_day_cb)c->cb)(c->arg, &r);
}

/* The WHERE part shared by app days and the runs whose names count. */
static void app_day_where(struct sqlbuf *b, const struct store_q_filter *f)
{
    sb_add(b, " WHERE d.day_start >= :from AND d.day_start < :to "
              "AND d.app <> '(unattributed)'");
    if (has(f->segment))
        sb_add(b, " AND d.segment = :seg");
}

v6m_err store_q_app_days(struct store_q *q, const struct store_q_filter *f,
                         store_q_app_day_cb cb, void *arg, bool *present, struct errbuf *err)
{
    *present = q->has_apps;
    if (!q->has_apps)
        return V6M_OK;
    struct sqlbuf b = {0};
    /* apps_totals always has the two 'all' rows of an app (docs/store.md):
     * its ipv4 row gives the category and the run's I6 verdict. */
    sb_add(&b, "SELECT g.day, g.run_id, g.app, g.v4, g.v6, t.category, t.shows_ipv6, "
               "r.last_packet_ns / 1000000000, r.vantage, r.tool_version FROM (SELECT "
               "d.day_start AS day, d.run_id, d.app, "
               "sum(CASE WHEN d.family = 'ipv4' THEN d.bytes ELSE 0 END) AS v4, "
               "sum(CASE WHEN d.family = 'ipv6' THEN d.bytes ELSE 0 END) AS v6 "
               "FROM apps_days d");
    app_day_where(&b, f);
    sb_add(&b, " GROUP BY d.day_start, d.run_id, d.app) g JOIN runs r ON r.id = g.run_id "
               "JOIN apps_totals t ON t.run_id = g.run_id AND t.app = g.app "
               "AND t.segment = 'all' AND t.family = 'ipv4' WHERE 1");
    if (has(f->vantage))
        sb_add(&b, " AND r.vantage = :van");
    if (has(f->category))
        sb_add(&b, " AND t.category = :cat");
    sb_add(&b, " ORDER BY g.day, g.app, g.run_id");
    sqlite3_stmt *st;
    v6m_err e = prepare(q, &b, &st, err, "cannot read app days");
    if (e != V6M_OK)
        return e;
    bind_filter(st, f, false);
    struct cb_ctx c = {(any_fn)cb, arg};
    return run_rows(q, st, app_day_row, &c, err, "cannot read app days");
}

static bool app_name_row(sqlite3_stmt *st, void *p)
{
    struct cb_ctx *c = p;
    struct store_q_app_name_row r = {
        .app = col_text(st, 0),
        .name = col_text(st, 1),
        .v4_bytes = col_u64(st, 2),
        .v6_bytes = col_u64(st, 3),
    };
    return ((store_q_app_name_cb)c->cb)(c->arg, &r);
}

v6m_err store_q_app_names(struct store_q *q, const struct store_q_filter *f,
                          store_q_app_name_cb cb, void *arg, struct errbuf *err)
{
    if (!q->has_apps)
        return V6M_OK;
    struct sqlbuf b = {0};
    sb_add(&b, "SELECT n.app, n.name, sum(CASE WHEN n.family = 'ipv4' THEN n.bytes ELSE 0 END), "
               "sum(CASE WHEN n.family = 'ipv6' THEN n.bytes ELSE 0 END) FROM app_names n "
               "WHERE n.app IS NOT NULL AND n.run_id IN (SELECT DISTINCT d.run_id FROM "
               "apps_days d");
    app_day_where(&b, f);
    sb_add(&b, ")");
    if (has(f->vantage))
        sb_add(&b, " AND n.run_id IN (SELECT id FROM runs WHERE vantage = :van)");
    sb_add(&b, " GROUP BY n.app, n.name ORDER BY n.app, n.name");
    sqlite3_stmt *st;
    v6m_err e = prepare(q, &b, &st, err, "cannot read app names");
    if (e != V6M_OK)
        return e;
    bind_filter(st, f, false);
    struct cb_ctx c = {(any_fn)cb, arg};
    return run_rows(q, st, app_name_row, &c, err, "cannot read app names");
}

/* ---- probe ----------------------------------------------------------------------------- */

/* The vantage label of a probe run: its config JSON's "vantage" key. */
#define PROBE_VANTAGE \
    " AND (CASE WHEN json_valid(r.config) THEN json_extract(r.config, '$.vantage') END) = :van"

static bool site_row(sqlite3_stmt *st, void *p)
{
    struct cb_ctx *c = p;
    struct store_q_site_row r = {
        .site_id = sqlite3_column_int64(st, 0),
        .run_id = sqlite3_column_int64(st, 1),
        .time_s = sqlite3_column_int64(st, 2),
        .name = col_text(st, 3),
        .url = col_text(st, 4),
        .category = col_text(st, 5),
        .unit = col_text(st, 6),
        .host = col_text(st, 7),
        .testable = sqlite3_column_int(st, 8) != 0,
        .supported = sqlite3_column_int(st, 9) != 0,
        .compliant = sqlite3_column_int(st, 10) != 0,
        .has_score = !col_null(st, 11),
        .score = sqlite3_column_double(st, 11),
        .crawled = sqlite3_column_int(st, 12) != 0,
        .w3_pass = sqlite3_column_int(st, 13) != 0,
        .l2_total = col_u64(st, 14),
        .l2_pass = col_u64(st, 15),
        .l3_total = col_u64(st, 16),
        .l3_pass = col_u64(st, 17),
        .res_bytes = col_u64(st, 18),
        .res_bytes_v6 = col_u64(st, 19),
        .tool_version = col_text(st, 20),
    };
    return ((store_q_site_cb)c->cb)(c->arg, &r);
}

v6m_err store_q_sites(struct store_q *q, const struct store_q_filter *f, store_q_site_cb cb,
                      void *arg, bool *present, struct errbuf *err)
{
    *present = q->has_probe;
    if (!q->has_probe)
        return V6M_OK;
    struct sqlbuf b = {0};
    sb_add(&b, "SELECT s.id, s.run_id, coalesce(s.started_ns, r.started_ns) / 1000000000 AS t, "
               "s.name, s.url, s.category, s.unit, s.host, s.testable, s.supported, "
               "s.compliant, s.score, s.link_conc IS NOT NULL, s.w3 = 'pass', s.l2_total, "
               "s.l2_pass, s.l3_total, s.l3_pass, s.res_bytes, s.res_bytes_v6, "
               "r.tool_version FROM probe_sites s JOIN probe_runs r ON r.id = s.run_id "
               "WHERE coalesce(s.started_ns, r.started_ns) >= :from "
               "AND coalesce(s.started_ns, r.started_ns) < :to");
    if (has(f->category))
        sb_add(&b, " AND s.category = :cat");
    if (has(f->vantage))
        sb_add(&b, PROBE_VANTAGE);
    sb_add(&b, " ORDER BY s.url, coalesce(s.started_ns, r.started_ns) DESC, s.id DESC");
    sqlite3_stmt *st;
    v6m_err e = prepare(q, &b, &st, err, "cannot read probe sites");
    if (e != V6M_OK)
        return e;
    bind_filter(st, f, true);
    struct cb_ctx c = {(any_fn)cb, arg};
    return run_rows(q, st, site_row, &c, err, "cannot read probe sites");
}

v6m_err store_q_site_checks(struct store_q *q, int64_t site_id, store_q_check_cb cb, void *arg,
                            struct errbuf *err)
{
    if (!q->has_probe)
        return V6M_OK;
    if (!q->st_checks &&
        sqlite3_prepare_v2(q->db,
                           "SELECT check_id, state, code, message FROM probe_checks "
                           "WHERE site_id = ?1 AND state <> 'pass' ORDER BY check_id",
                           -1, &q->st_checks, NULL) != SQLITE_OK)
        return q_fail(q, err, "cannot read probe checks");
    sqlite3_stmt *st = q->st_checks;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, site_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_q_check_row r = {col_text(st, 0), col_text(st, 1), col_text(st, 2),
                                      col_text(st, 3)};
        if (!cb(arg, &r)) {
            sqlite3_reset(st);
            return q_stopped(err);
        }
    }
    v6m_err e = rc == SQLITE_DONE ? V6M_OK : q_fail(q, err, "cannot read probe checks");
    sqlite3_reset(st);
    return e;
}

static bool probe_app_row(sqlite3_stmt *st, void *p)
{
    struct cb_ctx *c = p;
    struct store_q_probe_app_row r = {
        .app_id = sqlite3_column_int64(st, 0),
        .run_id = sqlite3_column_int64(st, 1),
        .time_s = sqlite3_column_int64(st, 2),
        .name = col_text(st, 3),
        .category = col_text(st, 4),
        .testable = sqlite3_column_int(st, 5) != 0,
        .supported = sqlite3_column_int(st, 6) != 0,
        .n_domains = col_u64(st, 7),
        .n_domains_ok = col_u64(st, 8),
        .tool_version = col_text(st, 9),
    };
    return ((store_q_probe_app_cb)c->cb)(c->arg, &r);
}

v6m_err store_q_probe_apps(struct store_q *q, const struct store_q_filter *f,
                           store_q_probe_app_cb cb, void *arg, bool *present,
                           struct errbuf *err)
{
    *present = q->has_probe;
    if (!q->has_probe)
        return V6M_OK;
    struct sqlbuf b = {0};
    sb_add(&b, "SELECT a.id, a.run_id, r.started_ns / 1000000000, a.name, a.category, "
               "a.testable, a.supported, a.n_domains, a.n_domains_ok, r.tool_version "
               "FROM probe_apps a JOIN probe_runs r ON r.id = a.run_id "
               "WHERE r.started_ns >= :from AND r.started_ns < :to");
    if (has(f->category))
        sb_add(&b, " AND a.category = :cat");
    if (has(f->vantage))
        sb_add(&b, PROBE_VANTAGE);
    sb_add(&b, " ORDER BY a.name, r.started_ns DESC, a.id DESC");
    sqlite3_stmt *st;
    v6m_err e = prepare(q, &b, &st, err, "cannot read probe apps");
    if (e != V6M_OK)
        return e;
    bind_filter(st, f, true);
    struct cb_ctx c = {(any_fn)cb, arg};
    return run_rows(q, st, probe_app_row, &c, err, "cannot read probe apps");
}

v6m_err store_q_app_domains(struct store_q *q, int64_t app_id, store_q_app_domain_cb cb,
                            void *arg, struct errbuf *err)
{
    if (!q->has_probe)
        return V6M_OK;
    if (!q->st_domains &&
        sqlite3_prepare_v2(q->db,
                           "SELECT domain, code, detail, has_aaaa, answers_v6 FROM "
                           "probe_app_domains WHERE app_id = ?1 AND (answers_v6 = 0 OR "
                           "code <> '') ORDER BY domain",
                           -1, &q->st_domains, NULL) != SQLITE_OK)
        return q_fail(q, err, "cannot read probe app domains");
    sqlite3_stmt *st = q->st_domains;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, app_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_q_app_domain_row r = {
            .domain = col_text(st, 0),
            .code = col_text(st, 1),
            .detail = col_text(st, 2),
            .has_aaaa = sqlite3_column_int(st, 3) != 0,
            .answers_v6 = sqlite3_column_int(st, 4) != 0,
        };
        if (!cb(arg, &r)) {
            sqlite3_reset(st);
            return q_stopped(err);
        }
    }
    v6m_err e = rc == SQLITE_DONE ? V6M_OK : q_fail(q, err, "cannot read probe app domains");
    sqlite3_reset(st);
    return e;
}

/* ---- kpi ------------------------------------------------------------------------------- */

static bool kpi_row(sqlite3_stmt *st, void *p)
{
    struct cb_ctx *c = p;
    struct store_q_kpi_row r = {
        .run_id = sqlite3_column_int64(st, 0),
        .time_s = sqlite3_column_int64(st, 1),
        .vantage = col_text(st, 2),
        .tool_version = col_text(st, 3),
        .target = col_text(st, 4),
        .host = col_text(st, 5),
        .name = col_text(st, 6),
        .category = col_text(st, 7),
        .metric = col_text(st, 8),
        .has_v4 = !col_null(st, 9),
        .v4 = sqlite3_column_double(st, 9),
        .has_v6 = !col_null(st, 10),
        .v6 = sqlite3_column_double(st, 10),
        .n4 = sqlite3_column_int64(st, 11),
        .n6 = sqlite3_column_int64(st, 12),
        .has_d = !col_null(st, 13),
        .d = sqlite3_column_double(st, 13),
        .verdict = col_text(st, 14),
    };
    return ((store_q_kpi_cb)c->cb)(c->arg, &r);
}

/* Only the columns of the schema-4 definition the lead published are
 * used (kpi_runs: id, started, vantage, tool_version; kpi_targets:
 * target, host, name, category, has_a, has_aaaa, reach_v4, reach_v6,
 * verdict; kpi_metrics: metric, v4, v6, n4, n6, d, verdict). */
v6m_err store_q_kpi_metrics(struct store_q *q, const struct store_q_filter *f,
                            store_q_kpi_cb cb, void *arg, bool *present, struct errbuf *err)
{
    *present = q->has_kpi;
    if (!q->has_kpi)
        return V6M_OK;
    struct sqlbuf b = {0};
    sb_add(&b, "SELECT r.id, r.started, r.vantage, r.tool_version, m.target, t.host, t.name, "
               "t.category, m.metric, m.v4, m.v6, m.n4, m.n6, m.d, m.verdict "
               "FROM kpi_runs r JOIN kpi_metrics m ON m.run_id = r.id "
               "JOIN kpi_targets t ON t.run_id = m.run_id AND t.target = m.target "
               "WHERE r.started >= :from AND r.started < :to");
    if (has(f->category))
        sb_add(&b, " AND t.category = :cat");
    if (has(f->vantage))
        sb_add(&b, " AND r.vantage = :van");
    sb_add(&b, " ORDER BY r.vantage, m.target, r.started DESC, r.id DESC, m.metric");
    sqlite3_stmt *st;
    v6m_err e = prepare(q, &b, &st, err, "cannot read kpi metrics");
    if (e != V6M_OK)
        return e;
    bind_filter(st, f, false);
    struct cb_ctx c = {(any_fn)cb, arg};
    return run_rows(q, st, kpi_row, &c, err, "cannot read kpi metrics");
}

static bool kpi_target_row(sqlite3_stmt *st, void *p)
{
    struct cb_ctx *c = p;
    struct store_q_kpi_target_row r = {
        .run_id = sqlite3_column_int64(st, 0),
        .time_s = sqlite3_column_int64(st, 1),
        .vantage = col_text(st, 2),
        .target = col_text(st, 3),
        .host = col_text(st, 4),
        .name = col_text(st, 5),
        .category = col_text(st, 6),
        .verdict = col_text(st, 7),
        .has_a = sqlite3_column_int(st, 8) != 0,
        .has_aaaa = sqlite3_column_int(st, 9) != 0,
        .reach_v4 = sqlite3_column_int(st, 10) != 0,
        .reach_v6 = sqlite3_column_int(st, 11) != 0,
    };
    return ((store_q_kpi_target_cb)c->cb)(c->arg, &r);
}

v6m_err store_q_kpi_targets(struct store_q *q, const struct store_q_filter *f,
                            store_q_kpi_target_cb cb, void *arg, bool *present,
                            struct errbuf *err)
{
    *present = q->has_kpi;
    if (!q->has_kpi)
        return V6M_OK;
    struct sqlbuf b = {0};
    sb_add(&b, "SELECT r.id, r.started, r.vantage, t.target, t.host, t.name, t.category, "
               "t.verdict, t.has_a, t.has_aaaa, t.reach_v4, t.reach_v6 "
               "FROM kpi_runs r JOIN kpi_targets t ON t.run_id = r.id "
               "WHERE r.started >= :from AND r.started < :to");
    if (has(f->category))
        sb_add(&b, " AND t.category = :cat");
    if (has(f->vantage))
        sb_add(&b, " AND r.vantage = :van");
    sb_add(&b, " ORDER BY t.target, r.vantage, r.started DESC, r.id DESC");
    sqlite3_stmt *st;
    v6m_err e = prepare(q, &b, &st, err, "cannot read kpi targets");
    if (e != V6M_OK)
        return e;
    bind_filter(st, f, false);
    struct cb_ctx c = {(any_fn)cb, arg};
    return run_rows(q, st, kpi_target_row, &c, err, "cannot read kpi targets");
}
