/*
 * store/sqlite_kpi.c - `v6mon kpi` runs in SQLite: schema 3 -> 4 and the
 * writer behind v6m_store_put_kpi() (v6mon/kpi.h).
 *
 * One transaction per run, written when the run ends (also after an
 * interrupt, with what finished): a kpi run is small (targets x 16 metric
 * rows plus the raw samples, a few thousand rows for a hundred targets)
 * and the report wants whole runs.
 *
 * Tables (docs/store.md):
 *   kpi_runs     one row a run: vantage point, resolver(s), rounds, the
 *                thresholds as JSON, the aggregate verdict and score;
 *   kpi_targets  one row a target: addresses, reachability per family
 *                (CDN coverage across vantage points is computed from
 *                these), Happy Eyeballs' choice, the verdict and why;
 *   kpi_metrics  one row a (target, metric): v4, v6, sample sizes, D
 *                (NULL when undefined), verdict and why;
 *   kpi_samples  every raw sample (round, family, kind, ok, value, t) so
 *                the report can draw distributions.
 * Values: times in ms (REAL), rates as fractions, started/finished as
 * unix seconds (plus *_utc text), NULL where a value is NAN.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <v6mon/kpi.h>
#include <v6mon/version.h>

#include "store/sqlite_kpi.h"
#include "store/sqlite_probe.h"
#include "util/strutil.h"

/* ---- schema (migration 3 -> 4; released steps are never edited) ---------- */

const char sq_kpi_schema_v4[] =
    "CREATE TABLE kpi_runs ("
    " id INTEGER PRIMARY KEY,"
    " started INTEGER NOT NULL, finished INTEGER NOT NULL,"
    " started_utc TEXT NOT NULL, finished_utc TEXT NOT NULL,"
    " vantage TEXT NOT NULL, tool_version TEXT NOT NULL,"
    " resolver TEXT, dns4 TEXT, dns6 TEXT,"
    " rounds INTEGER NOT NULL, interval_s REAL NOT NULL,"
    " targets INTEGER NOT NULL, targets_done INTEGER NOT NULL,"
    " vantage_v4 INTEGER NOT NULL, vantage_v6 INTEGER NOT NULL, vantage_detail TEXT,"
    " icmp_v4 TEXT, icmp_v6 TEXT,"
    " config TEXT,"
    " verdict TEXT NOT NULL CHECK (verdict IN ('converged', 'degraded', 'insufficient')),"
    " score REAL,"
    " interrupted INTEGER NOT NULL,"
    " schema_version INTEGER NOT NULL);"
    "CREATE INDEX kpi_runs_time ON kpi_runs(started);"
    "CREATE TABLE kpi_targets ("
    " run_id INTEGER NOT NULL REFERENCES kpi_runs(id) ON DELETE CASCADE,"
    " target TEXT NOT NULL, host TEXT NOT NULL, name TEXT, category TEXT,"
    " url TEXT, video_url TEXT,"
    " has_a INTEGER NOT NULL, has_aaaa INTEGER NOT NULL,"
    " reach_v4 INTEGER NOT NULL, reach_v6 INTEGER NOT NULL,"
    " addr_v4 TEXT, addr_v6 TEXT, tcp_port INTEGER,"
    " latency_method TEXT, he_family TEXT, he_v6_rounds INTEGER, he_rounds INTEGER,"
    " rounds INTEGER NOT NULL,"
    " verdict TEXT NOT NULL CHECK (verdict IN ('converged', 'degraded', 'insufficient',"
    "  'v6_unreachable', 'no_aaaa', 'not_testable')),"
    " degraded_metrics TEXT, detail TEXT, score REAL,"
    " video_v4_error TEXT, video_v6_error TEXT,"
    " PRIMARY KEY (run_id, target)) WITHOUT ROWID;"
    "CREATE TABLE kpi_metrics ("
    " run_id INTEGER NOT NULL REFERENCES kpi_runs(id) ON DELETE CASCADE,"
    " target TEXT NOT NULL, metric TEXT NOT NULL,"
    " v4 REAL, v6 REAL, n4 INTEGER NOT NULL, n6 INTEGER NOT NULL, d REAL,"
    " verdict TEXT NOT NULL CHECK (verdict IN ('converged', 'degraded', 'insufficient')),"
    " why TEXT,"
    " PRIMARY KEY (run_id, target, metric)) WITHOUT ROWID;"
    "CREATE TABLE kpi_samples ("
    " run_id INTEGER NOT NULL REFERENCES kpi_runs(id) ON DELETE CASCADE,"
    " target TEXT NOT NULL, round INTEGER NOT NULL,"
    " family INTEGER NOT NULL CHECK (family IN (4, 6)),"
    " metric TEXT NOT NULL, ok INTEGER NOT NULL, value REAL, t REAL NOT NULL);"
    "CREATE INDEX kpi_samples_run ON kpi_samples(run_id, target, metric);";

/* ---- writer ---- */

static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v) || isinf(v))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, v);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static v6m_err fail(struct sq_conn c, struct errbuf *err, const char *what)
{
    return errbuf_set(err, V6M_ERR_DB, "%s in '%s': %s", what, c.path, sqlite3_errmsg(c.db));
}

static bool step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE;
}

static bool put_target(sqlite3_stmt *t, sqlite3_stmt *m, sqlite3_stmt *s, int64_t run,
                       const struct v6m_kpi_target_result *r)
{
    int i = 1;
    sqlite3_bind_int64(t, i++, run);
    bind_text(t, i++, r->target);
    sqlite3_bind_text(t, i++, r->host ? r->host : "", -1, SQLITE_TRANSIENT);
    bind_text(t, i++, r->name);
    bind_text(t, i++, r->category);
    bind_text(t, i++, r->url);
    bind_text(t, i++, r->video_url);
    sqlite3_bind_int(t, i++, r->has_a);
    sqlite3_bind_int(t, i++, r->has_aaaa);
    sqlite3_bind_int(t, i++, r->reach_v4);
    sqlite3_bind_int(t, i++, r->reach_v6);
    bind_text(t, i++, r->addr_v4);
    bind_text(t, i++, r->addr_v6);
    if (r->tcp_port)
        sqlite3_bind_int(t, i++, r->tcp_port);
    else
        sqlite3_bind_null(t, i++);
    bind_text(t, i++, r->latency_method);
    bind_text(t, i++, r->he_family);
    sqlite3_bind_int(t, i++, (int)r->he_v6_rounds);
    sqlite3_bind_int(t, i++, (int)r->he_rounds);
    sqlite3_bind_int(t, i++, (int)r->rounds);
    sqlite3_bind_text(t, i++, v6m_kpi_target_verdict_name(r->verdict), -1, SQLITE_STATIC);
    bind_text(t, i++, r->degraded);
    bind_text(t, i++, r->detail);
    bind_real(t, i++, r->score);
    bind_text(t, i++, r->video4.error);
    bind_text(t, i++, r->video6.error);
    if (!step_reset(t))
        return false;
    for (int k = 0; k < V6M_KPI_METRICS; k++) {
        const struct v6m_kpi_value *v = &r->m[k];
        i = 1;
        sqlite3_bind_int64(m, i++, run);
        bind_text(m, i++, r->target);
        sqlite3_bind_text(m, i++, v6m_kpi_metric_name(k), -1, SQLITE_STATIC);
        bind_real(m, i++, v->v4);
        bind_real(m, i++, v->v6);
        sqlite3_bind_int(m, i++, (int)v->n4);
        sqlite3_bind_int(m, i++, (int)v->n6);
        bind_real(m, i++, v->d);
        sqlite3_bind_text(m, i++, v6m_kpi_verdict_name(v->verdict), -1, SQLITE_STATIC);
        bind_text(m, i++, v->why);
        if (!step_reset(m))
            return false;
    }
    for (size_t k = 0; k < r->n_samples; k++) {
        const struct v6m_kpi_sample *x = &r->samples[k];
        i = 1;
        sqlite3_bind_int64(s, i++, run);
        bind_text(s, i++, r->target);
        sqlite3_bind_int(s, i++, x->round);
        sqlite3_bind_int(s, i++, x->family);
        sqlite3_bind_text(s, i++, v6m_kpi_sample_kind_name(x->kind), -1, SQLITE_STATIC);
        sqlite3_bind_int(s, i++, x->ok);
        if (x->ok)
            bind_real(s, i++, x->value);
        else
            sqlite3_bind_null(s, i++);
        sqlite3_bind_double(s, i++, x->t);
        if (!step_reset(s))
            return false;
    }
    return true;
}

v6m_err sq_put_kpi(void *h, const v6m_kpi *k, const char *config_json, int64_t *run_id,
                   struct errbuf *err)
{
    struct sq_conn c = sq_conn_of(h);
    const struct v6m_kpi_info *in = v6m_kpi_info(k);
    if (sqlite3_exec(c.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(c, err, "cannot start a transaction");
    sqlite3_stmt *run = NULL, *t = NULL, *m = NULL, *s = NULL;
    v6m_err rc = V6M_OK;
    const char *sql_run =
        "INSERT INTO kpi_runs (started, finished, started_utc, finished_utc, vantage, "
        "tool_version, resolver, dns4, dns6, rounds, interval_s, targets, targets_done, "
        "vantage_v4, vantage_v6, vantage_detail, icmp_v4, icmp_v6, config, verdict, score, "
        "interrupted, schema_version) VALUES "
        "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23)";
    const char *sql_t =
        "INSERT INTO kpi_targets (run_id, target, host, name, category, url, video_url, has_a, "
        "has_aaaa, reach_v4, reach_v6, addr_v4, addr_v6, tcp_port, latency_method, he_family, "
        "he_v6_rounds, he_rounds, rounds, verdict, degraded_metrics, detail, score, "
        "video_v4_error, video_v6_error) VALUES "
        "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,"
        "?24,?25)";
    const char *sql_m = "INSERT INTO kpi_metrics (run_id, target, metric, v4, v6, n4, n6, d, "
                        "verdict, why) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)";
    const char *sql_s = "INSERT INTO kpi_samples (run_id, target, round, family, metric, ok, "
                        "value, t) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)";
    if (sqlite3_prepare_v2(c.db, sql_run, -1, &run, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c.db, sql_t, -1, &t, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c.db, sql_m, -1, &m, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c.db, sql_s, -1, &s, NULL) != SQLITE_OK) {
        rc = fail(c, err, "cannot prepare the kpi statements");
        goto out;
    }
    char st_utc[32], fi_utc[32];
    util_format_utc(in->started_ns, st_utc, sizeof st_utc);
    util_format_utc(in->finished_ns, fi_utc, sizeof fi_utc);
    int i = 1;
    sqlite3_bind_int64(run, i++, (sqlite3_int64)(in->started_ns / 1000000000ull));
    sqlite3_bind_int64(run, i++, (sqlite3_int64)(in->finished_ns / 1000000000ull));
    sqlite3_bind_text(run, i++, st_utc, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(run, i++, fi_utc, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(run, i++, in->vantage ? in->vantage : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(run, i++, v6m_version(), -1, SQLITE_TRANSIENT);
    bind_text(run, i++, in->resolver);
    bind_text(run, i++, in->dns4);
    bind_text(run, i++, in->dns6);
    sqlite3_bind_int(run, i++, (int)in->rounds);
    sqlite3_bind_double(run, i++, in->interval_ms / 1000.0);
    sqlite3_bind_int64(run, i++, (sqlite3_int64)in->targets_total);
    sqlite3_bind_int64(run, i++, (sqlite3_int64)in->targets_done);
    sqlite3_bind_int(run, i++, in->vantage_v4);
    sqlite3_bind_int(run, i++, in->vantage_v6);
    bind_text(run, i++, in->vantage_detail);
    bind_text(run, i++, in->icmp_v4);
    bind_text(run, i++, in->icmp_v6);
    bind_text(run, i++, config_json);
    sqlite3_bind_text(run, i++, v6m_kpi_verdict_name(in->verdict), -1, SQLITE_STATIC);
    bind_real(run, i++, in->score);
    sqlite3_bind_int(run, i++, in->interrupted);
    sqlite3_bind_int(run, i++, V6M_KPI_SCHEMA_VERSION);
    if (!step_reset(run)) {
        rc = fail(c, err, "cannot write the kpi run");
        goto out;
    }
    int64_t id = sqlite3_last_insert_rowid(c.db);
    size_t n = v6m_kpi_target_count(k);
    for (size_t j = 0; j < n; j++) {
        if (!put_target(t, m, s, id, v6m_kpi_target(k, j))) {
            rc = fail(c, err, "cannot write a kpi target");
            goto out;
        }
    }
    if (run_id)
        *run_id = id;
out:
    sqlite3_finalize(run);
    sqlite3_finalize(t);
    sqlite3_finalize(m);
    sqlite3_finalize(s);
    if (rc == V6M_OK && sqlite3_exec(c.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = fail(c, err, "cannot commit the kpi run");
    if (rc != V6M_OK)
        sqlite3_exec(c.db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* ---- kpi --from-sites: the sites of a probe run ---- */

v6m_err sq_probe_targets(void *h, int64_t probe_run, v6m_store_target_cb cb, void *arg,
                         int64_t *run_used, struct errbuf *err)
{
    struct sq_conn c = sq_conn_of(h);
    sqlite3_stmt *st = NULL;
    int64_t run = probe_run;
    if (run <= 0) {
        /* the newest probe run that has sites (a complete one first) */
        const char *q = "SELECT r.id FROM probe_runs r WHERE EXISTS (SELECT 1 FROM probe_sites s "
                        "WHERE s.run_id = r.id) ORDER BY r.complete DESC, r.started_ns DESC, "
                        "r.id DESC LIMIT 1";
        if (sqlite3_prepare_v2(c.db, q, -1, &st, NULL) != SQLITE_OK)
            return fail(c, err, "cannot read the probe runs");
        int rc = sqlite3_step(st);
        run = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_finalize(st);
        st = NULL;
        if (run == 0)
            return errbuf_set(err, V6M_ERR_NOT_FOUND,
                              "'%s' holds no probe run with sites (run 'v6mon probe sites "
                              "--db' first)",
                              c.path);
    }
    if (sqlite3_prepare_v2(c.db,
                           "SELECT name, url, category FROM probe_sites WHERE run_id = ?1 "
                           "ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(c, err, "cannot read the probe sites");
    sqlite3_bind_int64(st, 1, run);
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *url = (const char *)sqlite3_column_text(st, 1);
        const char *cat = (const char *)sqlite3_column_text(st, 2);
        n++;
        if (cb(arg, name ? name : "", url ? url : "", cat ? cat : "") != 0)
            break;
    }
    v6m_err e = V6M_OK;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = fail(c, err, "cannot read the probe sites");
    else if (n == 0)
        e = errbuf_set(err, V6M_ERR_NOT_FOUND, "probe run %lld in '%s' has no sites",
                       (long long)run, c.path);
    sqlite3_finalize(st);
    if (run_used)
        *run_used = run;
    return e;
}
