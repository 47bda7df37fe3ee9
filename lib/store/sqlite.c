/*
 * store/sqlite.c - the SQLite backend of the store (docs/store.md is the
 * user-facing description of the schema).
 *
 * Schema versioning: PRAGMA user_version holds the number of migration
 * steps applied. migrations[i] takes a database from version i to i + 1;
 * each step runs in its own transaction together with the user_version
 * update, so a crash leaves the database at a whole version. A database
 * whose version is newer than the steps we know is refused (an older
 * v6mon must not write into a schema it does not understand). Existing
 * steps are never edited once released: changes are new steps.
 *
 * Writes: v6m_store_put_traffic() runs in one BEGIN IMMEDIATE transaction:
 * look up the run key, delete the old run (ON DELETE CASCADE removes its
 * rows), insert the run, then all rows through prepared statements that
 * are bound, stepped and reset per row (no SQL text per row). With WAL and
 * synchronous=NORMAL this writes about a million bucket rows a second.
 *
 * Numbers: SQLite integers are signed 64-bit; counters are uint64 and are
 * clamped at INT64_MAX (unreachable in practice). Times: *_ns columns are
 * ns since the Unix epoch, *_utc columns the same instant as ISO 8601 text
 * (seconds, "Z"), bucket_start is seconds since the epoch.
 */
#include <sqlite3.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <v6mon/packet.h>
#include <v6mon/segments.h>
#include <v6mon/store.h>
#include <v6mon/traffic.h>

#include "store/sqlite_kpi.h"
#include "store/sqlite_probe.h"
#include "store/sqlite_usersapps.h"
#include "store/store_impl.h"
#include "util/strutil.h"

struct sq {
    sqlite3 *db;
    char *path;
    int version;
    struct sq_probe *probe; /* probe run writer (sqlite_probe.c), NULL when none */
};

struct sq_conn sq_conn_of(void *h)
{
    struct sq *s = h;
    struct sq_conn c = {s->db, s->path, &s->probe};
    return c;
}

/* ---- migrations --------------------------------------------------------- */

static const char *const migrations[] = {
    /* 0 -> 1: runs and traffic tables. */
    "CREATE TABLE runs ("
    " id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " run_key TEXT NOT NULL UNIQUE,"
    " inputs TEXT NOT NULL DEFAULT '',"
    " vantage TEXT NOT NULL DEFAULT '',"
    " tool_version TEXT NOT NULL DEFAULT '',"
    " options TEXT NOT NULL DEFAULT '{}',"
    " started_ns INTEGER, finished_ns INTEGER,"
    " started_utc TEXT, finished_utc TEXT,"
    " first_packet_ns INTEGER, last_packet_ns INTEGER,"
    " first_packet_utc TEXT, last_packet_utc TEXT,"
    " bucket_seconds INTEGER,"
    " schema_version INTEGER NOT NULL);"
    "CREATE INDEX runs_kind_started ON runs(kind, started_ns);"
    "CREATE INDEX runs_first_packet ON runs(first_packet_ns);"
    "CREATE TABLE traffic_buckets ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " bucket_start INTEGER NOT NULL,"
    " bucket_seconds INTEGER NOT NULL,"
    " segment TEXT NOT NULL,"
    " family TEXT NOT NULL CHECK (family IN ('ipv4', 'ipv6', 'other')),"
    " packets INTEGER NOT NULL, bytes INTEGER NOT NULL, flows INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, bucket_start, segment, family)) WITHOUT ROWID;"
    "CREATE INDEX traffic_buckets_time ON traffic_buckets(bucket_start, segment);"
    "CREATE TABLE traffic_totals ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " family TEXT NOT NULL,"
    " packets INTEGER NOT NULL, bytes INTEGER NOT NULL, flows INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, family)) WITHOUT ROWID;"
    "CREATE TABLE traffic_segments ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " segment TEXT NOT NULL,"
    " direction TEXT NOT NULL,"
    " family TEXT NOT NULL,"
    " packets INTEGER NOT NULL, bytes INTEGER NOT NULL, flows INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, segment, direction, family)) WITHOUT ROWID;"
    "CREATE TABLE traffic_drops ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " reason TEXT NOT NULL,"
    " frames INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, reason)) WITHOUT ROWID;"
    "CREATE TABLE traffic_ipv6plus ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " metric TEXT NOT NULL,"
    " value INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, metric)) WITHOUT ROWID;"
    "CREATE TABLE traffic_counters ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " value INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, name)) WITHOUT ROWID;",
    /* 1 -> 2: subscribers (I1) and apps (I6, I7); see sqlite_usersapps.c. */
    "CREATE TABLE users_windows ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " window TEXT NOT NULL CHECK (window IN ('all', 'day', 'month', '30d')),"
    " start_s INTEGER NOT NULL, end_s INTEGER NOT NULL,"
    " start_day TEXT, end_day TEXT,"
    " segment TEXT NOT NULL,"
    " mode TEXT NOT NULL,"
    " seen INTEGER NOT NULL, active INTEGER NOT NULL, ipv6_active INTEGER NOT NULL,"
    " holding_ipv6 INTEGER NOT NULL, dual INTEGER NOT NULL, ipv4_only INTEGER NOT NULL,"
    " ipv6_only INTEGER NOT NULL, exact INTEGER NOT NULL,"
    " hll_q4 BLOB, hll_q6 BLOB, hll_h6 BLOB, hll_seen BLOB,"
    " PRIMARY KEY (run_id, window, start_s, segment)) WITHOUT ROWID;"
    "CREATE INDEX users_windows_time ON users_windows(window, start_s, segment);"
    "CREATE TABLE apps_totals ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " app TEXT NOT NULL, category TEXT NOT NULL, segment TEXT NOT NULL,"
    " family TEXT NOT NULL CHECK (family IN ('ipv4', 'ipv6')),"
    " packets INTEGER NOT NULL, bytes INTEGER NOT NULL, flows INTEGER NOT NULL,"
    " shows_ipv6 INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, app, segment, family)) WITHOUT ROWID;"
    "CREATE TABLE apps_days ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " day_start INTEGER NOT NULL, day TEXT NOT NULL,"
    " app TEXT NOT NULL, segment TEXT NOT NULL,"
    " family TEXT NOT NULL CHECK (family IN ('ipv4', 'ipv6')),"
    " packets INTEGER NOT NULL, bytes INTEGER NOT NULL, flows INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, day_start, app, segment, family)) WITHOUT ROWID;"
    "CREATE INDEX apps_days_time ON apps_days(day_start, app);"
    "CREATE TABLE app_names ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL, app TEXT,"
    " family TEXT NOT NULL CHECK (family IN ('ipv4', 'ipv6')),"
    " packets INTEGER NOT NULL, bytes INTEGER NOT NULL, flows INTEGER NOT NULL,"
    " flows_sni INTEGER NOT NULL, flows_host INTEGER NOT NULL, flows_quic INTEGER NOT NULL,"
    " flows_dns INTEGER NOT NULL, flows_dns_any INTEGER NOT NULL,"
    " flows_ndpi INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, name, family)) WITHOUT ROWID;",
    /* 2 -> 3: probe runs, sites W1..W7, apps (I4, I5, I6); sqlite_probe.c. */
    sq_probe_schema_v3,
    /* 3 -> 4: kpi runs, targets, metrics and raw samples; sqlite_kpi.c. */
    sq_kpi_schema_v4,
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int store_sqlite_schema_version(void)
{
    return N_MIGRATIONS;
}

static v6m_err sq_fail(struct sq *s, struct errbuf *err, const char *what)
{
    return errbuf_set(err, V6M_ERR_DB, "database '%s': %s: %s", s->path, what,
                      sqlite3_errmsg(s->db));
}

static int sq_user_version(struct sq *s, int *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static v6m_err sq_migrate(struct sq *s, struct errbuf *err)
{
    int v = 0;
    if (sq_user_version(s, &v) != SQLITE_OK)
        return sq_fail(s, err, "cannot read the schema version");
    if (v > N_MIGRATIONS)
        return errbuf_set(err, V6M_ERR_DB,
                          "database '%s' has schema version %d, newer than this "
                          "v6mon supports (%d): use a newer v6mon or another "
                          "database",
                          s->path, v, N_MIGRATIONS);
    if (v < 0)
        return errbuf_set(err, V6M_ERR_DB, "database '%s' has a bad schema version %d",
                          s->path, v);
    while (v < N_MIGRATIONS) {
        char sql[64];
        if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return sq_fail(s, err, "cannot start the schema migration");
        /* Re-read inside the lock: another process may have migrated. */
        int cur = 0;
        if (sq_user_version(s, &cur) != SQLITE_OK) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return sq_fail(s, err, "cannot read the schema version");
        }
        if (cur != v) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            if (cur > N_MIGRATIONS)
                return errbuf_set(err, V6M_ERR_DB,
                                  "database '%s' has schema version %d, newer "
                                  "than this v6mon supports (%d)",
                                  s->path, cur, N_MIGRATIONS);
            v = cur;
            continue;
        }
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
        if (sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            char what[64];
            snprintf(what, sizeof(what), "schema migration %d -> %d failed", v, v + 1);
            v6m_err rc = sq_fail(s, err, what);
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            v6m_err rc = sq_fail(s, err, "cannot commit the schema migration");
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        v++;
    }
    s->version = v;
    return V6M_OK;
}

static void sq_close(void *h)
{
    struct sq *s = h;
    if (!s)
        return;
    sq_probe_free(s->db, s->probe);
    sqlite3_close_v2(s->db);
    free(s->path);
    free(s);
}

static v6m_err sq_open(const char *target, void **out, struct errbuf *err)
{
    *out = NULL;
    struct sq *s = calloc(1, sizeof(*s));
    size_t n = strlen(target);
    if (s)
        s->path = malloc(n + 1);
    if (!s || !s->path) {
        free(s);
        return errbuf_set(err, V6M_ERR_NOMEM, "out of memory");
    }
    memcpy(s->path, target, n + 1);
    int rc = sqlite3_open_v2(target, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                 SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        int se = s->db ? sqlite3_system_errno(s->db) : 0;
        if (se)
            errbuf_set(err, V6M_ERR_DB, "cannot open database '%s': %s (%s)", target,
                       s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc),
                       strerror(se));
        else
            errbuf_set(err, V6M_ERR_DB, "cannot open database '%s': %s", target,
                       s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        sq_close(s);
        return V6M_ERR_DB;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    /* journal_mode is the first statement that reads the file, so a file
     * that is not a database fails here. */
    if (sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; "
                     "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY",
                     NULL, NULL, NULL) != SQLITE_OK) {
        errbuf_set(err, V6M_ERR_DB, "cannot open database '%s': %s", target,
                   sqlite3_errmsg(s->db));
        sq_close(s);
        return V6M_ERR_DB;
    }
    v6m_err e = sq_migrate(s, err);
    if (e != V6M_OK) {
        sq_close(s);
        return e;
    }
    *out = s;
    return V6M_OK;
}

static int sq_db_version(const void *h)
{
    const struct sq *s = h;
    return s->version;
}

/* ---- put_traffic -------------------------------------------------------- */

static sqlite3_int64 clamp64(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s, const char *dflt)
{
    sqlite3_bind_text(st, i, s ? s : dflt, -1, SQLITE_STATIC);
}

static void bind_time(sqlite3_stmt *st, int i_ns, int i_utc, uint64_t ns, char *buf,
                      size_t bufsz)
{
    if (!ns) {
        sqlite3_bind_null(st, i_ns);
        sqlite3_bind_null(st, i_utc);
        return;
    }
    sqlite3_bind_int64(st, i_ns, clamp64(ns));
    sqlite3_bind_text(st, i_utc, util_format_utc(ns, buf, bufsz), -1, SQLITE_TRANSIENT);
}

/* Run one bound statement to completion and reset it. */
static bool step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE;
}

struct put_ctx {
    struct sq *s;
    int64_t run_id;
    sqlite3_stmt *counts;   /* (run, segment, direction, family, p, b, f) */
    sqlite3_stmt *kv;       /* generic (run, name, value) for one table */
};

static const char *segment_name(const struct v6m_traffic_result *res, size_t i,
                                char *buf, size_t n)
{
    if (i < res->n_segments && res->segment_names && res->segment_names[i])
        return res->segment_names[i];
    snprintf(buf, n, "#%zu", i);
    return buf;
}

static bool put_kv(sqlite3_stmt *st, int64_t run, const char *name, uint64_t v)
{
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, clamp64(v));
    return step_reset(st);
}

/* Bucket rows go in BUCKET_BATCH rows per statement: a one-row INSERT
 * opens and closes its table, index and foreign-key cursors on every step,
 * which costs more than the row itself (measured: ~8 us vs ~2 us a row). */
#define BUCKET_BATCH 128
#define BUCKET_COLS 8

struct bucket_row {
    int64_t start;
    const char *seg;
    unsigned fam;
    const struct v6m_counts *c;
    char segbuf[24];
};

static sqlite3_stmt *prepare_bucket_insert(struct sq *s, unsigned rows)
{
    char sql[64 + BUCKET_BATCH * 40];
    size_t n = (size_t)snprintf(sql, sizeof(sql),
                                "INSERT INTO traffic_buckets(run_id, bucket_start, "
                                "bucket_seconds, segment, family, packets, bytes, "
                                "flows) VALUES ");
    for (unsigned r = 0; r < rows && n < sizeof(sql); r++)
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s(?,?,?,?,?,?,?,?)",
                              r ? "," : "");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    return st;
}

static bool flush_buckets(sqlite3_stmt *st, int64_t run, int64_t bsec,
                          const struct bucket_row *rows, unsigned n)
{
    for (unsigned r = 0; r < n; r++) {
        int b = (int)(r * BUCKET_COLS);
        sqlite3_bind_int64(st, b + 1, run);
        sqlite3_bind_int64(st, b + 2, rows[r].start);
        sqlite3_bind_int64(st, b + 3, bsec);
        sqlite3_bind_text(st, b + 4, rows[r].seg, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, b + 5, v6m_family_name(rows[r].fam), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, b + 6, clamp64(rows[r].c->packets));
        sqlite3_bind_int64(st, b + 7, clamp64(rows[r].c->bytes));
        sqlite3_bind_int64(st, b + 8, clamp64(rows[r].c->flows));
    }
    return step_reset(st);
}

static v6m_err put_buckets(struct sq *s, int64_t run, int64_t bsec,
                           const struct v6m_traffic_result *res)
{
    struct bucket_row *rows = malloc(BUCKET_BATCH * sizeof(*rows));
    sqlite3_stmt *full = prepare_bucket_insert(s, BUCKET_BATCH);
    v6m_err rc = V6M_ERR_DB;
    unsigned n = 0;
    if (!rows || !full)
        goto out;
    for (size_t i = 0; i < res->n_buckets; i++) {
        const struct v6m_traffic_bucket *b = &res->buckets[i];
        for (unsigned f = 0; f < V6M_FAMILY_COUNT; f++) {
            const struct v6m_counts *c = &b->c.fam[f];
            if (!c->packets && !c->bytes && !c->flows)
                continue;
            struct bucket_row *r = &rows[n];
            r->start = b->start_s;
            r->fam = f;
            r->c = c;
            r->seg = segment_name(res, b->segment, r->segbuf, sizeof(r->segbuf));
            if (++n == BUCKET_BATCH) {
                if (!flush_buckets(full, run, bsec, rows, n))
                    goto out;
                n = 0;
            }
        }
    }
    if (n) {
        sqlite3_stmt *tail = prepare_bucket_insert(s, n);
        bool ok = tail && flush_buckets(tail, run, bsec, rows, n);
        sqlite3_finalize(tail);
        if (!ok)
            goto out;
    }
    rc = V6M_OK;
out:
    sqlite3_finalize(full);
    free(rows);
    return rc;
}

static v6m_err put_rows(struct sq *s, int64_t run, const struct v6m_traffic_result *res,
                        struct errbuf *err)
{
    sqlite3_stmt *st = NULL;
    char nb[32], key[96];
    const char *what = "cannot store traffic buckets";
    int64_t bsec = (int64_t)(res->bucket_ns / 1000000000u);

    /* Buckets, in batches of multi-row INSERTs (see put_buckets). */
    if (put_buckets(s, run, bsec, res) != V6M_OK)
        goto fail;

    /* Run totals. */
    what = "cannot store traffic totals";
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO traffic_totals(run_id, family, packets, "
                           "bytes, flows) VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    for (unsigned f = 0; f < V6M_FAMILY_COUNT; f++) {
        const struct v6m_counts *c = &res->totals.fam[f];
        sqlite3_bind_int64(st, 1, run);
        sqlite3_bind_text(st, 2, v6m_family_name(f), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, clamp64(c->packets));
        sqlite3_bind_int64(st, 4, clamp64(c->bytes));
        sqlite3_bind_int64(st, 5, clamp64(c->flows));
        if (!step_reset(st))
            goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;

    /* Segment totals ("all") and per direction. */
    what = "cannot store segment totals";
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO traffic_segments(run_id, segment, direction, "
                           "family, packets, bytes, flows) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    for (size_t i = 0; i < res->n_segments; i++) {
        for (int d = -1; d < 3; d++) {
            const struct v6m_family_counts *fc;
            if (d < 0)
                fc = res->segments ? &res->segments[i] : NULL;
            else
                fc = res->seg_dir ? &res->seg_dir[i * 3 + (size_t)d] : NULL;
            if (!fc)
                continue;
            const char *dn = d < 0 ? "all" : v6m_direction_name((unsigned)d);
            for (unsigned f = 0; f < V6M_FAMILY_COUNT; f++) {
                const struct v6m_counts *c = &fc->fam[f];
                if (d >= 0 && !c->packets && !c->bytes && !c->flows)
                    continue;
                sqlite3_bind_int64(st, 1, run);
                sqlite3_bind_text(st, 2, segment_name(res, i, nb, sizeof(nb)), -1,
                                  SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 3, dn, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 4, v6m_family_name(f), -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 5, clamp64(c->packets));
                sqlite3_bind_int64(st, 6, clamp64(c->bytes));
                sqlite3_bind_int64(st, 7, clamp64(c->flows));
                if (!step_reset(st))
                    goto fail;
            }
        }
    }
    sqlite3_finalize(st);
    st = NULL;

    /* Drops: every reason but "none", zeros included. */
    what = "cannot store drop counters";
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO traffic_drops(run_id, reason, frames) "
                           "VALUES (?1, ?2, ?3)",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    for (unsigned r = 1; r < V6M_DROP__COUNT; r++)
        if (!put_kv(st, run, v6m_drop_name(r), res->drops[r]))
            goto fail;
    sqlite3_finalize(st);
    st = NULL;

    /* IPv6+ metrics. */
    what = "cannot store IPv6+ counters";
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO traffic_ipv6plus(run_id, metric, value) "
                           "VALUES (?1, ?2, ?3)",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    if (!put_kv(st, run, "ipv6_packets", res->ipv6plus.ipv6_packets) ||
        !put_kv(st, run, "srh_packets", res->ipv6plus.srh_packets) ||
        !put_kv(st, run, "flow_label_packets", res->ipv6plus.flow_label_packets))
        goto fail;
    for (unsigned e = 0; e < V6M_EXT__COUNT; e++) {
        snprintf(key, sizeof(key), "ext.%s", v6m_ext_name(e));
        if (!put_kv(st, run, key, res->ipv6plus.ext_packets[e]))
            goto fail;
    }
    for (unsigned b = 0; b < 32; b++) {
        const char *n = v6m_encap_name(b);
        if (!n)
            break;
        snprintf(key, sizeof(key), "encap.%s", n);
        if (!put_kv(st, run, key, res->encap_packets[b]))
            goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;

    /* What the bounded structures did. */
    what = "cannot store run counters";
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO traffic_counters(run_id, name, value) "
                           "VALUES (?1, ?2, ?3)",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    const struct {
        const char *name;
        uint64_t v;
    } ctr[] = {
        { "flows_max_active", res->flows_max_active },
        { "flows_evicted", res->flows_evicted },
        { "flows_expired_idle", res->flows_expired_idle },
        { "flows_expired_active", res->flows_expired_active },
        { "buckets", res->n_buckets },
        { "buckets_overflow", res->buckets_overflow },
        { "decoder_frames", res->decoder.frames },
        { "frag_entries_max", res->decoder.frag_entries_max },
        { "frag_evicted", res->decoder.frag_evicted },
        { "frag_expired", res->decoder.frag_expired },
        { "frag_held", res->decoder.frag_held },
        { "frag_held_dropped", res->decoder.frag_held_dropped },
    };
    for (size_t i = 0; i < sizeof(ctr) / sizeof(ctr[0]); i++)
        if (!put_kv(st, run, ctr[i].name, ctr[i].v))
            goto fail;
    sqlite3_finalize(st);
    return V6M_OK;

fail: {
    v6m_err rc = sq_fail(s, err, what);
    sqlite3_finalize(st);
    return rc;
}
}

static v6m_err sq_put_traffic(void *h, const struct v6m_run_info *run,
                              const struct v6m_traffic_result *res, const v6m_traffic *t,
                              int64_t *run_id, bool *replaced, struct errbuf *err)
{
    struct sq *s = h;
    sqlite3_stmt *st = NULL;
    const char *what = "cannot start the transaction";
    char t1[32], t2[32], t3[32], t4[32];
    *replaced = false;
    if (s->probe && sq_probe_flush(s, err) != V6M_OK) /* one transaction at a time */
        return err->code;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return sq_fail(s, err, what);

    what = "cannot look up the run key";
    if (sqlite3_prepare_v2(s->db, "SELECT id FROM runs WHERE run_key = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_text(st, 1, run->run_key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int64_t old = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        goto fail;
    sqlite3_finalize(st);
    st = NULL;
    if (rc == SQLITE_ROW) {
        what = "cannot replace the previous run";
        if (sqlite3_prepare_v2(s->db, "DELETE FROM runs WHERE id = ?1", -1, &st,
                               NULL) != SQLITE_OK)
            goto fail;
        sqlite3_bind_int64(st, 1, old);
        if (!step_reset(st))
            goto fail;
        sqlite3_finalize(st);
        st = NULL;
        *replaced = true;
    }

    what = "cannot store the run";
    if (sqlite3_prepare_v2(
            s->db,
            "INSERT INTO runs(kind, run_key, inputs, vantage, tool_version, options, "
            "started_ns, started_utc, finished_ns, finished_utc, first_packet_ns, "
            "first_packet_utc, last_packet_ns, last_packet_utc, bucket_seconds, "
            "schema_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
            "?12, ?13, ?14, ?15, ?16)",
            -1, &st, NULL) != SQLITE_OK)
        goto fail;
    bind_text_or_null(st, 1, run->kind && run->kind[0] ? run->kind : NULL, "traffic");
    sqlite3_bind_text(st, 2, run->run_key, -1, SQLITE_STATIC);
    bind_text_or_null(st, 3, run->inputs, "");
    bind_text_or_null(st, 4, run->vantage, "");
    bind_text_or_null(st, 5, run->tool_version, "");
    bind_text_or_null(st, 6, run->options && run->options[0] ? run->options : NULL,
                      "{}");
    bind_time(st, 7, 8, run->started_ns, t1, sizeof(t1));
    bind_time(st, 9, 10, run->finished_ns, t2, sizeof(t2));
    bind_time(st, 11, 12, res->first_ns, t3, sizeof(t3));
    bind_time(st, 13, 14, res->last_ns, t4, sizeof(t4));
    sqlite3_bind_int64(st, 15, (sqlite3_int64)(res->bucket_ns / 1000000000u));
    sqlite3_bind_int(st, 16, N_MIGRATIONS);
    if (!step_reset(st))
        goto fail;
    sqlite3_finalize(st);
    st = NULL;
    int64_t id = sqlite3_last_insert_rowid(s->db);

    v6m_err e = put_rows(s, id, res, err);
    if (e == V6M_OK && t && !sq_put_users_apps(s->db, id, t, &what))
        goto fail;
    if (e != V6M_OK) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        *replaced = false;
        return e;
    }
    what = "cannot commit the run";
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    *run_id = id;
    return V6M_OK;

fail: {
    v6m_err r = sq_fail(s, err, what);
    sqlite3_finalize(st);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    *replaced = false;
    return r;
}
}

const struct store_backend store_backend_sqlite = {
    .scheme = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .db_version = sq_db_version,
    .put_traffic = sq_put_traffic,
    .probe_begin = sq_probe_begin,
    .probe_site = sq_probe_site,
    .probe_app = sq_probe_app,
    .probe_flush = sq_probe_flush,
    .probe_end = sq_probe_end,
    .put_kpi = sq_put_kpi,
    .probe_targets = sq_probe_targets,
};
