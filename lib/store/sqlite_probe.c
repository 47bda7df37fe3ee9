/*
 * store/sqlite_probe.c - probe runs in SQLite: schema 2 -> 3 and the
 * writer behind v6m_store_probe_begin/_site/_app/_end (v6mon/store.h).
 *
 * Why streaming, not one transaction per run like traffic: a probe run of
 * thousands of sites takes minutes to hours and may be interrupted; every
 * finished site must survive a Ctrl-C, a crash or a full disk later in the
 * run. So:
 *   begin   inserts the probe_runs row and commits it at once (complete = 0
 *           marks a run that never reached end: crashed or still running);
 *   site/app open a transaction lazily (BEGIN IMMEDIATE) and commit it
 *           after SQ_PROBE_BATCH results or SQ_PROBE_BATCH_MS after it
 *           opened, whichever comes first: one fsync per 200 sites instead
 *           of one per site, at most 200 results lost on a crash, and the
 *           write lock (which blocks other writers of the database, e.g. a
 *           traffic run) is not held for minutes by a slow run; flush
 *           (v6m_store_probe_flush, called from the tool's progress hook)
 *           commits an idle batch. Each result sits in its own SAVEPOINT,
 *           so a failing result is undone alone and the batch goes on;
 *   end     commits the batch and fills in the run's totals (complete = 1);
 *   close   (sq_probe_free) commits a batch still open.
 * If SQLite rolls back the whole batch by itself (disk full, I/O error:
 * sqlite3_get_autocommit() is true again after the failure) the message
 * says how many earlier results were lost with it.
 *
 * Rows: one probe_sites row per site; its checks (always 7), home page
 * hops, crawled pages (urls) and sub-resources refer to it by site_id (the
 * row id) and carry run_id and site_url for direct queries. Apps likewise
 * (probe_apps, probe_app_domains by app_id). Deleting a probe_runs row
 * cascades to everything (foreign keys are on: sqlite.c).
 *
 * Values: states are v6m_check_state_name() text; rates, concentrations
 * and the similarity distance are NULL when there was no sample (-1,
 * UINT32_MAX in the structs); counters are clamped at INT64_MAX; the seed
 * is decimal TEXT (a uint64 does not fit SQLite's signed integer); times
 * as elsewhere in the store (*_ns, *_utc), durations in ms.
 *
 * Invariant: statements are prepared once per run (begin) and every row is
 * bind/step/reset; the number of bound values is checked against the
 * statement, so a column list and its binds cannot drift apart silently.
 */
#include "store/sqlite_probe.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <v6mon/version.h>

#include "store/store_impl.h"

#include "util/strutil.h"

/* ---- schema (migration 2 -> 3; released steps are never edited) ---------- */

#define STATE_CHECK(col) \
    " " col " TEXT NOT NULL CHECK (" col " IN ('pass', 'fail', 'not_testable', 'skipped')),"

const char sq_probe_schema_v3[] =
    "CREATE TABLE probe_runs ("
    " id INTEGER PRIMARY KEY,"
    " started_ns INTEGER, started_utc TEXT,"
    " finished_ns INTEGER, finished_utc TEXT,"
    " tool_version TEXT NOT NULL DEFAULT '',"
    " resolver TEXT NOT NULL DEFAULT '',"
    " seed TEXT,"
    " vantage_checked INTEGER NOT NULL DEFAULT 0,"
    " vantage_v4 INTEGER, vantage_v6 INTEGER,"
    " vantage_detail TEXT NOT NULL DEFAULT '',"
    " config TEXT NOT NULL DEFAULT '{}',"
    " sites_total INTEGER NOT NULL DEFAULT 0, sites_done INTEGER NOT NULL DEFAULT 0,"
    " apps_total INTEGER NOT NULL DEFAULT 0, apps_done INTEGER NOT NULL DEFAULT 0,"
    " interrupted INTEGER NOT NULL DEFAULT 0,"
    " complete INTEGER NOT NULL DEFAULT 0,"
    " dns_queries INTEGER NOT NULL DEFAULT 0, dns_timeouts INTEGER NOT NULL DEFAULT 0,"
    " http_requests INTEGER NOT NULL DEFAULT 0, http_failures INTEGER NOT NULL DEFAULT 0,"
    " bytes INTEGER NOT NULL DEFAULT 0,"
    " schema_version INTEGER NOT NULL);"
    "CREATE INDEX probe_runs_started ON probe_runs(started_ns);"
    "CREATE TABLE probe_sites ("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL REFERENCES probe_runs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL, url TEXT NOT NULL, category TEXT NOT NULL, unit TEXT NOT NULL,"
    " host TEXT NOT NULL,"
    " testable INTEGER NOT NULL, supported INTEGER NOT NULL, compliant INTEGER NOT NULL,"
    " score REAL,"
    STATE_CHECK("w1") STATE_CHECK("w2") STATE_CHECK("w3") STATE_CHECK("w4")
    STATE_CHECK("w5") STATE_CHECK("w6") STATE_CHECK("w7")
    " w4_rate REAL, w6_rate REAL, w7_rate REAL,"
    " status_v6 INTEGER NOT NULL, status_v4 INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL, attempts_ok INTEGER NOT NULL,"
    " similarity INTEGER,"
    " links_only_v4 INTEGER NOT NULL, links_only_v6 INTEGER NOT NULL,"
    " links_common INTEGER NOT NULL,"
    " l2_found INTEGER NOT NULL, l3_found INTEGER NOT NULL,"
    " l2_total INTEGER NOT NULL, l2_pass INTEGER NOT NULL,"
    " l3_total INTEGER NOT NULL, l3_pass INTEGER NOT NULL,"
    " link_conc REAL,"
    " res_total INTEGER NOT NULL, res_v6_ok INTEGER NOT NULL,"
    " res_bytes INTEGER NOT NULL, res_bytes_v6 INTEGER NOT NULL,"
    " res_conc REAL,"
    " ipv6_only_ready INTEGER NOT NULL, ipv6_only_blockers TEXT NOT NULL,"
    " zone TEXT NOT NULL,"
    " ns_total INTEGER NOT NULL, ns_v6 INTEGER NOT NULL, ns_v6_answering INTEGER NOT NULL,"
    " addrs_v4 TEXT NOT NULL, addrs_v6 TEXT NOT NULL, cname_chain TEXT NOT NULL,"
    " started_ns INTEGER, started_utc TEXT, duration_ms INTEGER NOT NULL);"
    "CREATE INDEX probe_sites_category ON probe_sites(run_id, category);"
    "CREATE INDEX probe_sites_url ON probe_sites(url, run_id);"
    "CREATE TABLE probe_checks ("
    " run_id INTEGER NOT NULL,"
    " site_id INTEGER NOT NULL REFERENCES probe_sites(id) ON DELETE CASCADE,"
    " site_url TEXT NOT NULL,"
    " check_id TEXT NOT NULL CHECK (check_id IN ('W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7')),"
    STATE_CHECK("state")
    " rate REAL, passed INTEGER NOT NULL, total INTEGER NOT NULL,"
    " code TEXT NOT NULL, message TEXT NOT NULL, evidence TEXT NOT NULL,"
    " PRIMARY KEY (site_id, check_id)) WITHOUT ROWID;"
    "CREATE INDEX probe_checks_run ON probe_checks(run_id, check_id, state);"
    "CREATE TABLE probe_hops ("
    " run_id INTEGER NOT NULL,"
    " site_id INTEGER NOT NULL REFERENCES probe_sites(id) ON DELETE CASCADE,"
    " site_url TEXT NOT NULL,"
    " family INTEGER NOT NULL CHECK (family IN (4, 6)),"
    " idx INTEGER NOT NULL,"
    " url TEXT NOT NULL, address TEXT NOT NULL, status INTEGER NOT NULL,"
    " error TEXT NOT NULL,"
    " PRIMARY KEY (site_id, family, idx)) WITHOUT ROWID;"
    "CREATE INDEX probe_hops_run ON probe_hops(run_id);"
    "CREATE TABLE probe_urls ("
    " run_id INTEGER NOT NULL,"
    " site_id INTEGER NOT NULL REFERENCES probe_sites(id) ON DELETE CASCADE,"
    " site_url TEXT NOT NULL,"
    " level INTEGER NOT NULL, url TEXT NOT NULL, host TEXT NOT NULL,"
    " has_aaaa INTEGER NOT NULL, pass INTEGER NOT NULL, status INTEGER NOT NULL,"
    " code TEXT NOT NULL, detail TEXT NOT NULL);"
    "CREATE INDEX probe_urls_site ON probe_urls(site_id);"
    "CREATE INDEX probe_urls_run ON probe_urls(run_id, level, pass);"
    "CREATE TABLE probe_resources ("
    " run_id INTEGER NOT NULL,"
    " site_id INTEGER NOT NULL REFERENCES probe_sites(id) ON DELETE CASCADE,"
    " site_url TEXT NOT NULL,"
    " url TEXT NOT NULL, host TEXT NOT NULL, kind TEXT NOT NULL,"
    " family_used INTEGER NOT NULL CHECK (family_used IN (0, 4, 6)),"
    " v6_ok INTEGER NOT NULL, bytes INTEGER NOT NULL, detail TEXT NOT NULL);"
    "CREATE INDEX probe_resources_site ON probe_resources(site_id);"
    "CREATE INDEX probe_resources_run ON probe_resources(run_id, host);"
    "CREATE TABLE probe_apps ("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL REFERENCES probe_runs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL, category TEXT NOT NULL,"
    " testable INTEGER NOT NULL, supported INTEGER NOT NULL,"
    " n_domains INTEGER NOT NULL, n_domains_ok INTEGER NOT NULL,"
    " duration_ms INTEGER NOT NULL);"
    "CREATE INDEX probe_apps_category ON probe_apps(run_id, category);"
    "CREATE TABLE probe_app_domains ("
    " run_id INTEGER NOT NULL,"
    " app_id INTEGER NOT NULL REFERENCES probe_apps(id) ON DELETE CASCADE,"
    " app TEXT NOT NULL, domain TEXT NOT NULL,"
    " has_aaaa INTEGER NOT NULL, answers_v6 INTEGER NOT NULL, status INTEGER NOT NULL,"
    " addrs_v6 TEXT NOT NULL, code TEXT NOT NULL, detail TEXT NOT NULL);"
    "CREATE INDEX probe_app_domains_app ON probe_app_domains(app_id);"
    "CREATE INDEX probe_app_domains_run ON probe_app_domains(run_id, domain);";

/* ---- statements ---------------------------------------------------------- */

enum {
    ST_SITE, ST_CHECK, ST_HOP, ST_URL, ST_RES, ST_APP, ST_DOMAIN, ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
    [ST_SITE] =
        "INSERT INTO probe_sites(run_id, name, url, category, unit, host, testable, "
        "supported, compliant, score, w1, w2, w3, w4, w5, w6, w7, w4_rate, w6_rate, w7_rate, "
        "status_v6, status_v4, attempts, attempts_ok, similarity, links_only_v4, "
        "links_only_v6, links_common, l2_found, l3_found, l2_total, l2_pass, l3_total, "
        "l3_pass, link_conc, res_total, res_v6_ok, res_bytes, res_bytes_v6, res_conc, "
        "ipv6_only_ready, ipv6_only_blockers, zone, ns_total, ns_v6, ns_v6_answering, "
        "addrs_v4, addrs_v6, cname_chain, started_ns, started_utc, duration_ms) VALUES ("
        "?,?,?,?,?,?,?,?,?,?, ?,?,?,?,?,?,?,?,?,?, ?,?,?,?,?,?,?,?,?,?, "
        "?,?,?,?,?,?,?,?,?,?, ?,?,?,?,?,?,?,?,?,?, ?,?)",
    [ST_CHECK] =
        "INSERT INTO probe_checks(run_id, site_id, site_url, check_id, state, rate, passed, "
        "total, code, message, evidence) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
    [ST_HOP] =
        "INSERT INTO probe_hops(run_id, site_id, site_url, family, idx, url, address, "
        "status, error) VALUES (?,?,?,?,?,?,?,?,?)",
    [ST_URL] =
        "INSERT INTO probe_urls(run_id, site_id, site_url, level, url, host, has_aaaa, pass, "
        "status, code, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
    [ST_RES] =
        "INSERT INTO probe_resources(run_id, site_id, site_url, url, host, kind, "
        "family_used, v6_ok, bytes, detail) VALUES (?,?,?,?,?,?,?,?,?,?)",
    [ST_APP] =
        "INSERT INTO probe_apps(run_id, name, category, testable, supported, n_domains, "
        "n_domains_ok, duration_ms) VALUES (?,?,?,?,?,?,?,?)",
    [ST_DOMAIN] =
        "INSERT INTO probe_app_domains(run_id, app_id, app, domain, has_aaaa, answers_v6, "
        "status, addrs_v6, code, detail) VALUES (?,?,?,?,?,?,?,?,?,?)",
};

struct sq_probe {
    sqlite3_stmt *st[ST__COUNT];
    bool in_tx;         /* a batch transaction is open */
    unsigned pending;   /* results in the open batch */
    uint64_t opened_ns; /* CLOCK_MONOTONIC when the batch opened */
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A row being bound: next parameter index and whether a bind failed. */
struct row {
    sqlite3_stmt *st;
    int i;
    bool bad;
};

static struct row row_start(sqlite3_stmt *st)
{
    struct row r = {st, 1, false};
    return r;
}

static sqlite3_int64 clamp64(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

static void b_i64(struct row *r, int64_t v)
{
    if (sqlite3_bind_int64(r->st, r->i++, v) != SQLITE_OK)
        r->bad = true;
}

static void b_u64(struct row *r, uint64_t v)
{
    b_i64(r, clamp64(v));
}

static void b_null(struct row *r)
{
    if (sqlite3_bind_null(r->st, r->i++) != SQLITE_OK)
        r->bad = true;
}

/* Text is bound SQLITE_STATIC: every string outlives the step (the
 * caller's result, or a buffer of the calling function). */
static void b_text(struct row *r, const char *s)
{
    if (sqlite3_bind_text(r->st, r->i++, s ? s : "", -1, SQLITE_STATIC) != SQLITE_OK)
        r->bad = true;
}

/* A share or rate: NULL when negative (no sample) or not a number. */
static void b_share(struct row *r, double v)
{
    if (v < 0 || v != v) {
        b_null(r);
        return;
    }
    if (sqlite3_bind_double(r->st, r->i++, v) != SQLITE_OK)
        r->bad = true;
}

static void b_time(struct row *r, uint64_t ns, char *buf, size_t n)
{
    if (!ns) {
        b_null(r);
        b_null(r);
        return;
    }
    b_u64(r, ns);
    b_text(r, util_format_utc(ns, buf, n));
}

/* Step the bound row and reset it (bindings are cleared too, so a stale
 * STATIC pointer is never seen by a later step). */
static bool row_done(struct row *r)
{
    if (r->bad || r->i - 1 != sqlite3_bind_parameter_count(r->st)) {
        sqlite3_reset(r->st);
        sqlite3_clear_bindings(r->st);
        return false;
    }
    int rc = sqlite3_step(r->st);
    sqlite3_reset(r->st);
    sqlite3_clear_bindings(r->st);
    return rc == SQLITE_DONE;
}

static int64_t ms_of(uint64_t ns)
{
    return clamp64((ns + 500000u) / 1000000u);
}

/* ---- writer state ---------------------------------------------------------- */

static v6m_err fail(struct sq_conn c, struct errbuf *err, const char *what)
{
    return errbuf_set(err, V6M_ERR_DB, "database '%s': %s: %s", c.path, what,
                      sqlite3_errmsg(c.db));
}

void sq_probe_free(sqlite3 *db, struct sq_probe *p)
{
    if (!p)
        return;
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(p->st[i]);
    if (p->in_tx && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    free(p);
}

static v6m_err writer_new(struct sq_conn c, struct sq_probe **out, struct errbuf *err)
{
    struct sq_probe *p = calloc(1, sizeof(*p));
    if (!p)
        return errbuf_set(err, V6M_ERR_NOMEM, "out of memory");
    for (int i = 0; i < ST__COUNT; i++) {
        if (sqlite3_prepare_v3(c.db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &p->st[i],
                               NULL) != SQLITE_OK) {
            v6m_err e = fail(c, err, "cannot prepare the probe statements");
            sq_probe_free(c.db, p);
            return e;
        }
    }
    *out = p;
    return V6M_OK;
}

static struct sq_probe *writer_of(struct sq_conn c, struct errbuf *err)
{
    if (!*c.probe)
        errbuf_set(err, V6M_ERR_INVALID_ARG,
                   "database '%s': no probe run begun (v6m_store_probe_begin)", c.path);
    return *c.probe;
}

/* Open the batch transaction if needed and a savepoint for one result. */
static v6m_err result_begin(struct sq_conn c, struct sq_probe *p, struct errbuf *err)
{
    if (!p->in_tx) {
        if (sqlite3_exec(c.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return fail(c, err, "cannot start a transaction");
        p->in_tx = true;
        p->pending = 0;
        p->opened_ns = mono_ns();
    }
    if (sqlite3_exec(c.db, "SAVEPOINT probe_result", NULL, NULL, NULL) != SQLITE_OK)
        return fail(c, err, "cannot start a savepoint");
    return V6M_OK;
}

/* Undo one failed result (err already says why); note a lost batch. */
static v6m_err result_abort(struct sq_conn c, struct sq_probe *p, struct errbuf *err)
{
    if (sqlite3_get_autocommit(c.db)) {
        /* SQLite rolled the whole transaction back by itself. */
        if (p->pending) {
            size_t len = strlen(err->msg);
            snprintf(err->msg + len, sizeof(err->msg) - len,
                     " (the %u results stored since the last commit were lost too)",
                     p->pending);
        }
        p->in_tx = false;
        p->pending = 0;
        return err->code;
    }
    sqlite3_exec(c.db, "ROLLBACK TO probe_result", NULL, NULL, NULL);
    sqlite3_exec(c.db, "RELEASE probe_result", NULL, NULL, NULL);
    return err->code;
}

/* Commit the open batch, if any. */
static v6m_err batch_commit(struct sq_conn c, struct sq_probe *p, struct errbuf *err)
{
    if (!p->in_tx)
        return V6M_OK;
    if (sqlite3_exec(c.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        v6m_err e = fail(c, err, "cannot commit probe results");
        sqlite3_exec(c.db, "ROLLBACK", NULL, NULL, NULL);
        size_t len = strlen(err->msg);
        snprintf(err->msg + len, sizeof(err->msg) - len, " (%u results lost)", p->pending);
        p->in_tx = false;
        p->pending = 0;
        return e;
    }
    p->in_tx = false;
    p->pending = 0;
    return V6M_OK;
}

static v6m_err result_commit(struct sq_conn c, struct sq_probe *p, struct errbuf *err)
{
    if (sqlite3_exec(c.db, "RELEASE probe_result", NULL, NULL, NULL) != SQLITE_OK) {
        fail(c, err, "cannot release a savepoint");
        return result_abort(c, p, err);
    }
    if (++p->pending < SQ_PROBE_BATCH &&
        mono_ns() - p->opened_ns < SQ_PROBE_BATCH_MS * 1000000ull)
        return V6M_OK;
    return batch_commit(c, p, err);
}

v6m_err sq_probe_flush(void *h, struct errbuf *err)
{
    struct sq_conn c = sq_conn_of(h);
    return *c.probe ? batch_commit(c, *c.probe, err) : V6M_OK;
}

/* ---- begin / end ------------------------------------------------------------- */

static void bind_vantage(struct row *r, const struct v6m_vantage *v)
{
    b_i64(r, v->checked);
    if (v->checked) {
        b_i64(r, v->v4_ok);
        b_i64(r, v->v6_ok);
    } else {
        b_null(r);
        b_null(r);
    }
    b_text(r, v->detail);
}

v6m_err sq_probe_begin(void *h, const struct v6m_probe_info *info, const char *config_json,
                       int64_t *run_id, struct errbuf *err)
{
    struct sq_conn c = sq_conn_of(h);
    sqlite3_stmt *st = NULL;
    char t1[32], t2[32], seed[24];
    if (*c.probe) {
        /* A previous run was never ended: keep what it wrote. */
        sq_probe_free(c.db, *c.probe);
        *c.probe = NULL;
    }
    if (sqlite3_prepare_v2(c.db,
                           "INSERT INTO probe_runs(started_ns, started_utc, finished_ns, "
                           "finished_utc, tool_version, resolver, seed, vantage_checked, "
                           "vantage_v4, vantage_v6, vantage_detail, config, sites_total, "
                           "apps_total, schema_version) "
                           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(c, err, "cannot store the probe run");
    struct row r = row_start(st);
    b_time(&r, info->started_ns, t1, sizeof(t1));
    b_time(&r, info->finished_ns, t2, sizeof(t2));
    b_text(&r, v6m_version());
    b_text(&r, info->resolver);
    snprintf(seed, sizeof(seed), "%llu", (unsigned long long)info->seed);
    b_text(&r, seed);
    bind_vantage(&r, &info->vantage);
    b_text(&r, config_json && config_json[0] ? config_json : "{}");
    b_u64(&r, info->sites_total);
    b_u64(&r, info->apps_total);
    b_i64(&r, store_sqlite_schema_version());
    bool ok = row_done(&r);
    sqlite3_finalize(st);
    if (!ok)
        return fail(c, err, "cannot store the probe run");
    int64_t id = sqlite3_last_insert_rowid(c.db);
    v6m_err e = writer_new(c, c.probe, err);
    if (e != V6M_OK)
        return e;
    *run_id = id;
    return V6M_OK;
}

v6m_err sq_probe_end(void *h, int64_t run_id, const struct v6m_probe_info *info,
                     struct errbuf *err)
{
    struct sq_conn c = sq_conn_of(h);
    struct sq_probe *p = *c.probe;
    v6m_err e = V6M_OK;
    if (p)
        e = batch_commit(c, p, err);
    sq_probe_free(c.db, p);
    *c.probe = NULL;
    if (e != V6M_OK)
        return e;

    /* The seed, resolver and vantage are known for sure only after the
     * run (a seed of 0 is derived at the start of the run). */
    sqlite3_stmt *st = NULL;
    char t1[32], t2[32], seed[24];
    if (sqlite3_prepare_v2(c.db,
                           "UPDATE probe_runs SET started_ns = ?, started_utc = ?, "
                           "finished_ns = ?, finished_utc = ?, resolver = ?, seed = ?, "
                           "vantage_checked = ?, vantage_v4 = ?, vantage_v6 = ?, "
                           "vantage_detail = ?, sites_total = ?, sites_done = ?, "
                           "apps_total = ?, apps_done = ?, interrupted = ?, complete = 1, "
                           "dns_queries = ?, dns_timeouts = ?, http_requests = ?, "
                           "http_failures = ?, bytes = ? WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(c, err, "cannot finish the probe run");
    struct row r = row_start(st);
    b_time(&r, info->started_ns, t1, sizeof(t1));
    b_time(&r, info->finished_ns, t2, sizeof(t2));
    b_text(&r, info->resolver);
    snprintf(seed, sizeof(seed), "%llu", (unsigned long long)info->seed);
    b_text(&r, seed);
    bind_vantage(&r, &info->vantage);
    b_u64(&r, info->sites_total);
    b_u64(&r, info->sites_done);
    b_u64(&r, info->apps_total);
    b_u64(&r, info->apps_done);
    b_i64(&r, info->interrupted);
    b_u64(&r, info->dns_queries);
    b_u64(&r, info->dns_timeouts);
    b_u64(&r, info->http_requests);
    b_u64(&r, info->http_failures);
    b_u64(&r, info->bytes);
    b_i64(&r, run_id);
    bool ok = row_done(&r);
    sqlite3_finalize(st);
    if (!ok)
        return fail(c, err, "cannot finish the probe run");
    if (sqlite3_changes(c.db) != 1)
        return errbuf_set(err, V6M_ERR_NOT_FOUND, "database '%s': no probe run %lld", c.path,
                          (long long)run_id);
    return V6M_OK;
}

/* ---- sites --------------------------------------------------------------------- */

static bool put_site_row(struct sq_probe *p, int64_t run, const struct v6m_site_result *s)
{
    char t1[32];
    struct row r = row_start(p->st[ST_SITE]);
    b_i64(&r, run);
    b_text(&r, s->name);
    b_text(&r, s->url);
    b_text(&r, s->category);
    b_text(&r, s->unit);
    b_text(&r, s->host);
    b_i64(&r, s->testable);
    b_i64(&r, s->supported);
    b_i64(&r, s->compliant);
    if (s->score != s->score)
        b_null(&r);
    else if (sqlite3_bind_double(r.st, r.i++, s->score) != SQLITE_OK)
        r.bad = true;
    for (int k = 0; k < V6M_CHECKS; k++)
        b_text(&r, v6m_check_state_name(s->check[k].state));
    b_share(&r, s->check[V6M_W4].rate);
    b_share(&r, s->check[V6M_W6].rate);
    b_share(&r, s->check[V6M_W7].rate);
    b_i64(&r, s->status_v6);
    b_i64(&r, s->status_v4);
    b_u64(&r, s->attempts);
    b_u64(&r, s->attempts_ok);
    if (s->similarity_distance == UINT32_MAX)
        b_null(&r);
    else
        b_u64(&r, s->similarity_distance);
    b_u64(&r, s->links_only_v4);
    b_u64(&r, s->links_only_v6);
    b_u64(&r, s->links_common);
    b_u64(&r, s->l2_found);
    b_u64(&r, s->l3_found);
    b_u64(&r, s->l2_total);
    b_u64(&r, s->l2_pass);
    b_u64(&r, s->l3_total);
    b_u64(&r, s->l3_pass);
    b_share(&r, s->link_concentration);
    b_u64(&r, s->res_total);
    b_u64(&r, s->res_v6_ok);
    b_u64(&r, s->res_bytes);
    b_u64(&r, s->res_bytes_v6);
    b_share(&r, s->resource_concentration);
    b_i64(&r, s->ipv6_only_ready);
    b_text(&r, s->ipv6_only_blockers);
    b_text(&r, s->zone);
    b_u64(&r, s->ns_total);
    b_u64(&r, s->ns_v6);
    b_u64(&r, s->ns_v6_answering);
    b_text(&r, s->addrs_v4);
    b_text(&r, s->addrs_v6);
    b_text(&r, s->cname_chain);
    b_time(&r, s->started_ns, t1, sizeof(t1));
    b_i64(&r, ms_of(s->duration_ns));
    return row_done(&r);
}

static bool put_hops(struct sq_probe *p, int64_t run, int64_t site,
                     const struct v6m_site_result *s, int family)
{
    const struct v6m_hop *h = family == 6 ? s->hops_v6 : s->hops_v4;
    size_t n = family == 6 ? s->n_hops_v6 : s->n_hops_v4;
    for (size_t i = 0; h && i < n; i++) {
        struct row r = row_start(p->st[ST_HOP]);
        b_i64(&r, run);
        b_i64(&r, site);
        b_text(&r, s->url);
        /* The hop list is per family; a hop's own family field says the
         * same (the column has a CHECK), so the list decides. */
        b_i64(&r, family);
        b_u64(&r, i);
        b_text(&r, h[i].url);
        b_text(&r, h[i].address);
        b_i64(&r, h[i].status);
        b_text(&r, h[i].error);
        if (!row_done(&r))
            return false;
    }
    return true;
}

static v6m_err put_site(struct sq_conn c, struct sq_probe *p, int64_t run,
                        const struct v6m_site_result *s, struct errbuf *err)
{
    const char *what = "cannot store the site";
    if (!put_site_row(p, run, s))
        goto fail;
    int64_t site = sqlite3_last_insert_rowid(c.db);

    what = "cannot store the checks";
    for (int k = 0; k < V6M_CHECKS; k++) {
        const struct v6m_check *ck = &s->check[k];
        struct row r = row_start(p->st[ST_CHECK]);
        b_i64(&r, run);
        b_i64(&r, site);
        b_text(&r, s->url);
        b_text(&r, v6m_check_name((enum v6m_check_id)k));
        b_text(&r, v6m_check_state_name(ck->state));
        b_share(&r, ck->rate);
        b_u64(&r, ck->passed);
        b_u64(&r, ck->total);
        b_text(&r, ck->code);
        b_text(&r, ck->message);
        b_text(&r, ck->evidence);
        if (!row_done(&r))
            goto fail;
    }

    what = "cannot store the home page hops";
    if (!put_hops(p, run, site, s, 6) || !put_hops(p, run, site, s, 4))
        goto fail;

    what = "cannot store the crawled pages";
    for (size_t i = 0; s->urls && i < s->n_urls; i++) {
        const struct v6m_url_result *u = &s->urls[i];
        struct row r = row_start(p->st[ST_URL]);
        b_i64(&r, run);
        b_i64(&r, site);
        b_text(&r, s->url);
        b_u64(&r, u->level);
        b_text(&r, u->url);
        b_text(&r, u->host);
        b_i64(&r, u->has_aaaa);
        b_i64(&r, u->pass);
        b_i64(&r, u->status);
        b_text(&r, u->code);
        b_text(&r, u->detail);
        if (!row_done(&r))
            goto fail;
    }

    what = "cannot store the sub-resources";
    for (size_t i = 0; s->resources && i < s->n_resources; i++) {
        const struct v6m_resource *x = &s->resources[i];
        struct row r = row_start(p->st[ST_RES]);
        b_i64(&r, run);
        b_i64(&r, site);
        b_text(&r, s->url);
        b_text(&r, x->url);
        b_text(&r, x->host);
        b_text(&r, v6m_resource_kind_name(x->kind));
        b_i64(&r, x->family_used);
        b_i64(&r, x->v6_ok);
        b_u64(&r, x->bytes);
        b_text(&r, x->detail);
        if (!row_done(&r))
            goto fail;
    }
    return V6M_OK;

fail: {
    char msg[160];
    snprintf(msg, sizeof(msg), "%s '%s'", what, s->url ? s->url : "");
    return fail(c, err, msg);
}
}

v6m_err sq_probe_site(void *h, int64_t run_id, const struct v6m_site_result *r,
                      struct errbuf *err)
{
    struct sq_conn c = sq_conn_of(h);
    struct sq_probe *p = writer_of(c, err);
    if (!p)
        return err->code;
    v6m_err e = result_begin(c, p, err);
    if (e != V6M_OK)
        return e;
    if (put_site(c, p, run_id, r, err) != V6M_OK)
        return result_abort(c, p, err);
    return result_commit(c, p, err);
}

/* ---- apps ------------------------------------------------------------------------ */

static v6m_err put_app(struct sq_conn c, struct sq_probe *p, int64_t run,
                       const struct v6m_app_result *a, struct errbuf *err)
{
    struct row r = row_start(p->st[ST_APP]);
    b_i64(&r, run);
    b_text(&r, a->name);
    b_text(&r, a->category);
    b_i64(&r, a->testable);
    b_i64(&r, a->supported);
    b_u64(&r, a->n_domains);
    b_u64(&r, a->n_domains_ok);
    b_i64(&r, ms_of(a->duration_ns));
    if (!row_done(&r))
        return fail(c, err, "cannot store the app");
    int64_t app = sqlite3_last_insert_rowid(c.db);
    for (size_t i = 0; a->domains && i < a->n_domains_listed; i++) {
        const struct v6m_app_domain *d = &a->domains[i];
        struct row q = row_start(p->st[ST_DOMAIN]);
        b_i64(&q, run);
        b_i64(&q, app);
        b_text(&q, a->name);
        b_text(&q, d->domain);
        b_i64(&q, d->has_aaaa);
        b_i64(&q, d->answers_v6);
        b_i64(&q, d->status);
        b_text(&q, d->addrs_v6);
        b_text(&q, d->code);
        b_text(&q, d->detail);
        if (!row_done(&q))
            return fail(c, err, "cannot store the app's domains");
    }
    return V6M_OK;
}

v6m_err sq_probe_app(void *h, int64_t run_id, const struct v6m_app_result *r,
                     struct errbuf *err)
{
    struct sq_conn c = sq_conn_of(h);
    struct sq_probe *p = writer_of(c, err);
    if (!p)
        return err->code;
    v6m_err e = result_begin(c, p, err);
    if (e != V6M_OK)
        return e;
    if (put_app(c, p, run_id, r, err) != V6M_OK)
        return result_abort(c, p, err);
    return result_commit(c, p, err);
}
