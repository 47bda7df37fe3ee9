/*
 * test_store_migrate.c - schema migrations from every earlier version, and
 * the administration API (v6m_db_*: info, export, prune) on each version.
 *
 * Building a database at exactly version k with the REAL migration steps:
 * an SQLite auto-extension (sqlite3_auto_extension: runs for every
 * connection the process opens, the store's own included) installs an
 * authorizer that refuses "PRAGMA user_version = N" for N > k. The store's
 * migration loop (lib/store/sqlite.c) applies steps 0..k-1 as usual; step k
 * fails at its user_version update and is rolled back whole, so the file
 * holds exactly what the real steps 0..k-1 made. No schema SQL is copied
 * into this test, and a step added later is covered without a change here
 * except its representative rows (fills[] below; a table without a row makes
 * the test fail, so a new version cannot slip through untested).
 *
 * For each k = 0 (empty file, and an empty SQLite database), 1, ..., the
 * current version: build at k, insert hand-written rows into every table of
 * version k, copy every row (typed) aside, open with v6m_store_open(), and
 * check: user_version is current; every old row is still there unchanged
 * (compared value by value with the copy, and some with literals); the
 * schema equals that of a database created fresh at the current version
 * (same tables, indexes, same CREATE text); a traffic run and a probe run
 * can be written. Then v6m_db_prune() on that database deletes exactly the
 * rows of the old runs (counted by hand below) through the cascades.
 *
 * Also: a database newer than this v6mon is refused by v6m_store_open and by
 * v6m_db_open for writing, read by v6m_db_open read-only, and left as it
 * was; garbage, a damaged header and a truncated file give an error that
 * names the file (no crash: the suite also runs under ASan in CI). Export:
 * CSV and JSON bytes of a table of awkward values compared with literals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <v6mon/probe.h>
#include <v6mon/store.h>

static char g_dir[64];

/* Version limit for the authorizer; -1: no limit. Test-only global. */
static int g_stop_at = -1;

static void db_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", g_dir, name);
}

/* ---- building at version k with the real steps -------------------------------------------- */

static int stop_auth(void *ud, int action, const char *a1, const char *a2, const char *db,
                     const char *trigger)
{
    (void)ud;
    (void)db;
    (void)trigger;
    if (g_stop_at >= 0 && action == SQLITE_PRAGMA && a1 && a2 &&
        strcasecmp(a1, "user_version") == 0 && strtol(a2, NULL, 10) > g_stop_at)
        return SQLITE_DENY;
    return SQLITE_OK;
}

static int auto_ext(sqlite3 *db, const char **err, const void *api)
{
    (void)err;
    (void)api;
    sqlite3_set_authorizer(db, stop_auth, NULL);
    return SQLITE_OK;
}

static int current_version(void)
{
    return v6m_store_schema_version();
}

static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), SQLITE_OK);
    return db;
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) != SQLITE_ROW)
        fail_msg("no row for %s", sql);
    int64_t v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s\n  -> %s", sql, msg ? msg : "?");
}

/* A database at exactly version k, made by the store's own migration loop. */
static void build_at(const char *path, int k)
{
    char eb[512];
    unlink(path);
    if (k == 0) {
        /* An SQLite database with nothing in it (user_version 0). */
        sqlite3 *db;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        exec_ok(db, "CREATE TABLE t(x); DROP TABLE t;");
        sqlite3_close(db);
        return;
    }
    g_stop_at = k;
    v6m_store *st = NULL;
    v6m_err e = v6m_store_open(path, &st, eb, sizeof(eb));
    g_stop_at = -1;
    if (k < current_version()) {
        assert_int_equal(e, V6M_ERR_DB);
        char want[64];
        snprintf(want, sizeof(want), "schema migration %d -> %d failed", k, k + 1);
        if (!strstr(eb, want))
            fail_msg("building v%d: '%s' lacks '%s'", k, eb, want);
    } else {
        assert_int_equal(e, V6M_OK);
        v6m_store_close(st);
    }
    sqlite3 *db = raw_open(path);
    assert_int_equal(q_int(db, "PRAGMA user_version"), k);
    sqlite3_close(db);
}

/* ---- representative rows, per version (rows of the tables that version added) ----------------
 *
 * Two runs of every kind: run 1 is old (2020), run 2 recent (2025 or later),
 * so pruning before 2022-01-01 must remove exactly the run-1 rows counted
 * in old_rows[] below.
 */

#define CUTOFF_2022 1640995200 /* 2022-01-01T00:00:00Z */

static void fill_v1(sqlite3 *db)
{
    exec_ok(db,
            "INSERT INTO runs(id, kind, run_key, inputs, vantage, tool_version, options, "
            " started_ns, finished_ns, started_utc, finished_utc, first_packet_ns, "
            " last_packet_ns, first_packet_utc, last_packet_utc, bucket_seconds, schema_version) "
            "VALUES (1, 'traffic', 'old-run', 'a.pcap b.pcap', 'lab, \"1\"', '0.0.9', '{}', "
            " 1577836800000000000, 1577836860000000000, '2020-01-01T00:00:00Z', "
            " '2020-01-01T00:01:00Z', 1577836000000000000, 1577836500000000000, "
            " '2019-12-31T23:46:40Z', '2019-12-31T23:55:00Z', 300, 1),"
            "(2, 'traffic', 'new-run', '\xe4\xb8\x8a\xe6\xb5\xb7.pcap', '', '0.1.0', "
            " '{\"bucket\":\"5m\"}', 1735689600000000000, NULL, '2025-01-01T00:00:00Z', NULL, "
            " NULL, NULL, NULL, NULL, 60, 1);"
            "INSERT INTO traffic_buckets VALUES (1, 1577836200, 300, 'mobile', 'ipv6', 10, 12000, 2),"
            " (1, 1577836200, 300, 'mobile', 'ipv4', 7, 5000, 1),"
            " (2, 1735689600, 60, 'metro', 'other', 1, 64, 0);"
            "INSERT INTO traffic_totals VALUES (1, 'ipv6', 10, 12000, 2), (1, 'ipv4', 7, 5000, 1),"
            " (2, 'other', 1, 64, 0);"
            "INSERT INTO traffic_segments VALUES (1, 'mobile', 'all', 'ipv6', 10, 12000, 2),"
            " (2, 'metro', 'up', 'other', 1, 64, 0);"
            "INSERT INTO traffic_drops VALUES (1, 'truncated', 3), (2, 'malformed', 0);"
            "INSERT INTO traffic_ipv6plus VALUES (1, 'srh_packets', 4), (2, 'ext.fragment', 9);"
            "INSERT INTO traffic_counters VALUES (1, 'flows_evicted', 9223372036854775807),"
            " (2, 'buckets', 1);");
}

static void fill_v2(sqlite3 *db)
{
    exec_ok(db,
            "INSERT INTO users_windows VALUES (1, 'day', 1577836800, 1577923200, '2020-01-01', "
            " '2020-01-01', 'all', 'gtp', 5, 4, 3, 3, 2, 1, 1, 1, x'00ff10', NULL, x'', x'7f'),"
            " (2, 'all', 1735689600, 1735776000, NULL, NULL, 'metro', 'pppoe', 1, 1, 0, 0, 0, 1, "
            " 0, 0, NULL, NULL, NULL, NULL);"
            "INSERT INTO apps_totals VALUES (1, 'WeChat', 'social', 'all', 'ipv6', 3, 300, 1, 1),"
            " (2, 'Taobao', 'shopping', 'mobile', 'ipv4', 2, 200, 1, 0);"
            "INSERT INTO apps_days VALUES (1, 1577836800, '2020-01-01', 'WeChat', 'all', 'ipv6', "
            " 3, 300, 1);"
            "INSERT INTO app_names VALUES (1, 'mmbiz.qpic.cn', NULL, 'ipv6', 3, 300, 1, 1, 0, 0, "
            " 0, 0, 0),"
            " (2, 'www.taobao.com', 'Taobao', 'ipv4', 2, 200, 1, 0, 1, 0, 0, 0, 0);");
}

static void probe_site(sqlite3 *db, int id, int run, const char *url, double score)
{
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "INSERT INTO probe_sites(id, run_id, name, url, category, unit, host, testable, "
             "supported, compliant, score, w1, w2, w3, w4, w5, w6, w7, w4_rate, w6_rate, w7_rate, "
             "status_v6, status_v4, attempts, attempts_ok, similarity, links_only_v4, "
             "links_only_v6, links_common, l2_found, l3_found, l2_total, l2_pass, l3_total, "
             "l3_pass, link_conc, res_total, res_v6_ok, res_bytes, res_bytes_v6, res_conc, "
             "ipv6_only_ready, ipv6_only_blockers, zone, ns_total, ns_v6, ns_v6_answering, "
             "addrs_v4, addrs_v6, cname_chain, started_ns, started_utc, duration_ms) VALUES "
             "(%d, %d, 'Site %d', '%s', 'gov', 'Unit', 'www.x.lab', 1, 1, 0, %.17g, 'pass', "
             "'pass', 'fail', 'not_testable', 'skipped', 'pass', 'pass', 0.5, NULL, 1.0, 200, "
             "200, 3, 2, NULL, 1, 0, 9, 10, 20, 5, 4, 5, 5, 0.8125, 7, 6, 1000, 900, 0.9, 0, "
             "'cdn.x.lab', 'x.lab', 2, 1, 1, '192.0.2.1', '2001:db8::1', '', NULL, NULL, 1234)",
             id, run, id, url, score);
    exec_ok(db, sql);
}

static void fill_v3(sqlite3 *db)
{
    exec_ok(db,
            "INSERT INTO probe_runs(id, started_ns, started_utc, finished_ns, finished_utc, "
            " tool_version, resolver, seed, vantage_checked, vantage_v4, vantage_v6, config, "
            " sites_total, sites_done, complete, schema_version) VALUES "
            "(1, 1590969600000000000, '2020-06-01T00:00:00Z', 1590969700000000000, "
            " '2020-06-01T00:01:40Z', '0.0.9', '[3ffe:53::53]:53', '18446744073709551557', 1, "
            " 1, 0, '{\"attempts\":3}', 2, 2, 1, 3),"
            /* run 2 never got a start time: it is timed by its finish */
            "(2, NULL, NULL, 1738368000000000000, '2025-02-01T00:00:00Z', '0.1.0', '', NULL, "
            " 0, NULL, NULL, '{}', 1, 1, 0, 3);");
    probe_site(db, 1, 1, "http://www.a.lab/", 87.5);
    probe_site(db, 2, 1, "http://www.b.lab/", 0.1);
    probe_site(db, 3, 2, "http://www.c.lab/", 100);
    exec_ok(db,
            "INSERT INTO probe_checks VALUES (1, 1, 'http://www.a.lab/', 'W1', 'pass', NULL, 1, 1,"
            " '', 'ok', ''),"
            " (1, 1, 'http://www.a.lab/', 'W2', 'fail', 0.25, 1, 4, 'NS_V6', 'names: \"ns1\"', "
            " 'line1\nline2'),"
            " (2, 3, 'http://www.c.lab/', 'W1', 'pass', NULL, 1, 1, '', '', '');"
            "INSERT INTO probe_hops VALUES (1, 1, 'http://www.a.lab/', 6, 0, 'http://www.a.lab/',"
            " '2001:db8::1', 301, '');"
            "INSERT INTO probe_urls VALUES (1, 2, 'http://www.b.lab/', 2, 'http://www.b.lab/x', "
            " 'www.b.lab', 0, 0, 0, 'NO_AAAA', 'no AAAA');"
            "INSERT INTO probe_resources VALUES (1, 1, 'http://www.a.lab/', "
            " 'http://cdn.x.lab/a.js', 'cdn.x.lab', 'script', 4, 0, 5120, 'no AAAA');"
            "INSERT INTO probe_apps VALUES (1, 1, 'WeChat', 'social', 1, 0, 2, 1, 1500),"
            " (2, 2, 'Taobao', 'shopping', 1, 1, 1, 1, 300);"
            "INSERT INTO probe_app_domains VALUES (1, 1, 'WeChat', 'weixin.qq.com', 1, 1, 200, "
            " '2001:db8::2', '', ''),"
            " (1, 1, 'WeChat', 'mmbiz.qpic.cn', 0, 0, 0, '', 'NO_AAAA', 'no AAAA'),"
            " (2, 2, 'Taobao', 'www.taobao.com', 1, 1, 200, '2001:db8::3', '', '');");
}

/* Version 4: the kpi_* tables (v6mon kpi). */
static void fill_v4(sqlite3 *db)
{
    exec_ok(db,
            "INSERT INTO kpi_runs(id, started, finished, started_utc, finished_utc, vantage, "
            " tool_version, resolver, rounds, interval_s, targets, targets_done, vantage_v4, "
            " vantage_v6, config, verdict, interrupted, schema_version) VALUES "
            "(1, 1600000000, 1600000600, '2020-09-13T12:26:40Z', '2020-09-13T12:36:40Z', 'lab', "
            " '0.0.9', '127.0.0.1', 3, 1.5, 1, 1, 1, 1, '{\"floor\":0.1}', 'degraded', 0, 4),"
            " (2, 1740000000, 1740000100, '2025-02-19T21:20:00Z', '2025-02-19T21:21:40Z', 'lab', "
            " '0.1.0', NULL, 1, 0.25, 1, 1, 1, 0, '{}', 'insufficient', 1, 4);"
            "INSERT INTO kpi_targets(run_id, target, host, name, category, has_a, has_aaaa, "
            " reach_v4, reach_v6, addr_v4, addr_v6, he_family, rounds, verdict, "
            " degraded_metrics) VALUES "
            "(1, 'www.a.lab', 'www.a.lab', 'A', 'gov', 1, 1, 1, 1, '192.0.2.1', '2001:db8::1', "
            " 'ipv6', 3, 'degraded', 'loss,tcp_rtt_median'),"
            " (2, 'www.b.lab', 'www.b.lab', 'B', 'news', 1, 0, 1, 0, '192.0.2.2', NULL, NULL, 1, "
            " 'no_aaaa', '');"
            "INSERT INTO kpi_metrics(run_id, target, metric, v4, v6, n4, n6, d, verdict) VALUES "
            "(1, 'www.a.lab', 'loss', 0.01, 0.05, 100, 100, 4.0, 'degraded'),"
            " (1, 'www.a.lab', 'tcp_rtt_median', 12.5, 20.0, 10, 10, 0.6, 'degraded'),"
            " (2, 'www.b.lab', 'dns_time_median', 3.25, NULL, 5, 0, NULL, 'insufficient');"
            "INSERT INTO kpi_samples(run_id, target, round, family, metric, ok, value, t) VALUES "
            "(1, 'www.a.lab', 0, 4, 'tcp', 1, 12.5, 1600000001.5),"
            " (1, 'www.a.lab', 0, 6, 'tcp', 0, NULL, 1600000001.75),"
            " (2, 'www.b.lab', 0, 4, 'dns', 1, 3.25, 1740000000.5);");
}

typedef void (*fill_fn)(sqlite3 *db);
static const fill_fn fills[] = {NULL, fill_v1, fill_v2, fill_v3, fill_v4};
#define N_FILLS ((int)(sizeof(fills) / sizeof(fills[0])))

/* Rows of the old (2020) runs per table, counted by hand from the fills. */
static const struct {
    const char *table;
    int since; /* version that added the table */
    int64_t rows;
} old_rows[] = {
    {"runs", 1, 1}, {"traffic_buckets", 1, 2}, {"traffic_totals", 1, 2},
    {"traffic_segments", 1, 1}, {"traffic_drops", 1, 1}, {"traffic_ipv6plus", 1, 1},
    {"traffic_counters", 1, 1},
    {"users_windows", 2, 1}, {"apps_totals", 2, 1}, {"apps_days", 2, 1}, {"app_names", 2, 1},
    {"probe_runs", 3, 1}, {"probe_sites", 3, 2}, {"probe_checks", 3, 2}, {"probe_hops", 3, 1},
    {"probe_urls", 3, 1}, {"probe_resources", 3, 1}, {"probe_apps", 3, 1},
    {"probe_app_domains", 3, 2},
    {"kpi_runs", 4, 1}, {"kpi_targets", 4, 1}, {"kpi_metrics", 4, 2}, {"kpi_samples", 4, 2},
};

/* ---- a typed copy of every row ------------------------------------------------------------- */

struct buf {
    char *p;
    size_t n, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void buf_fmt(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_fmt(struct buf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(tmp));
    buf_add(b, tmp, (size_t)n);
}

struct snap_table {
    char name[64];
    char cols[2048]; /* "a", "b", ... for the SELECT */
    struct buf rows;
    int64_t count;
};

struct snap {
    struct snap_table t[64];
    int n;
};

static void snap_free(struct snap *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->t[i].rows.p);
    memset(s, 0, sizeof(*s));
}

/* Every row of t as typed text, rows sorted by all their columns. */
static void dump_rows(sqlite3 *db, struct snap_table *t)
{
    char sql[4400];
    snprintf(sql, sizeof(sql), "SELECT %s FROM \"%s\" ORDER BY %s", t->cols, t->name, t->cols);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    free(t->rows.p);
    memset(&t->rows, 0, sizeof(t->rows));
    buf_add(&t->rows, "", 0);
    t->count = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_INTEGER: buf_fmt(&t->rows, "i%lld", (long long)sqlite3_column_int64(st, c)); break;
            case SQLITE_FLOAT: buf_fmt(&t->rows, "r%.17g", sqlite3_column_double(st, c)); break;
            case SQLITE_TEXT:
                buf_add(&t->rows, "t", 1);
                buf_add(&t->rows, (const char *)sqlite3_column_text(st, c),
                        (size_t)sqlite3_column_bytes(st, c));
                break;
            case SQLITE_BLOB: {
                const unsigned char *p = sqlite3_column_blob(st, c);
                buf_add(&t->rows, "b", 1);
                for (int i = 0; i < sqlite3_column_bytes(st, c); i++)
                    buf_fmt(&t->rows, "%02x", p[i]);
                break;
            }
            default: buf_add(&t->rows, "n", 1); break;
            }
            buf_add(&t->rows, "\x1f", 1);
        }
        buf_add(&t->rows, "\x1e", 1);
        t->count++;
    }
    sqlite3_finalize(st);
}

static void snap_take(sqlite3 *db, struct snap *s)
{
    memset(s, 0, sizeof(*s));
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite%' ORDER BY name",
                                        -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_true(s->n < 64);
        snprintf(s->t[s->n].name, sizeof(s->t[s->n].name), "%s", sqlite3_column_text(st, 0));
        s->n++;
    }
    sqlite3_finalize(st);
    for (int i = 0; i < s->n; i++) {
        char sql[160];
        snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info('%s') ORDER BY cid",
                 s->t[i].name);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        size_t w = 0;
        while (sqlite3_step(st) == SQLITE_ROW)
            w += (size_t)snprintf(s->t[i].cols + w, sizeof(s->t[i].cols) - w, "%s\"%s\"",
                                  w ? ", " : "", sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        assert_true(w > 0 && w < sizeof(s->t[i].cols));
        dump_rows(db, &s->t[i]);
    }
}

/* The schema as text: every table and index with its CREATE statement. */
static void schema_text(const char *path, struct buf *out)
{
    sqlite3 *db = raw_open(path);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT type, name, tbl_name, sql FROM sqlite_master "
                                        "WHERE name NOT LIKE 'sqlite%' ORDER BY type, name",
                                        -1, &st, NULL),
                     SQLITE_OK);
    memset(out, 0, sizeof(*out));
    buf_add(out, "", 0);
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 0; c < 4; c++) {
            const char *v = (const char *)sqlite3_column_text(st, c);
            buf_add(out, v ? v : "(null)", v ? strlen(v) : 6);
            buf_add(out, "|", 1);
        }
        buf_add(out, "\n", 1);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* ---- writing new runs into a migrated database ------------------------------------------------ */

static void write_traffic_run(v6m_store *st)
{
    struct v6m_traffic_bucket b;
    memset(&b, 0, sizeof(b));
    b.start_s = 1767225600; /* 2026-01-01 */
    b.c.fam[2].packets = 4;
    b.c.fam[2].bytes = 4000;
    b.c.fam[2].flows = 1;
    const char *names[1] = {"core"};
    struct v6m_family_counts seg;
    memset(&seg, 0, sizeof(seg));
    seg.fam[2] = b.c.fam[2];
    struct v6m_traffic_result r;
    memset(&r, 0, sizeof(r));
    r.bucket_ns = 300000000000ull;
    r.first_ns = 1767225600000000000ull;
    r.last_ns = 1767225660000000000ull;
    r.totals.fam[2] = b.c.fam[2];
    r.n_segments = 1;
    r.segment_names = names;
    r.segments = &seg;
    r.buckets = &b;
    r.n_buckets = 1;
    struct v6m_run_info ri = {
        .kind = "traffic", .run_key = "after-migration", .inputs = "x.pcap",
        .vantage = "", .tool_version = "test", .options = "{}",
        .started_ns = 1767225700000000000ull, .finished_ns = 1767225701000000000ull,
    };
    int64_t id = 0;
    bool replaced = true;
    if (v6m_store_put_traffic(st, &ri, &r, &id, &replaced) != V6M_OK)
        fail_msg("put_traffic: %s", v6m_store_errmsg(st));
    assert_true(id > 0);
    assert_false(replaced);
}

static void write_probe_run(v6m_store *st)
{
    struct v6m_probe_info in;
    memset(&in, 0, sizeof(in));
    in.started_ns = 1767225800000000000ull;
    in.resolver = "";
    in.sites_total = 1;
    struct v6m_site_result s;
    memset(&s, 0, sizeof(s));
    s.name = "New";
    s.url = "http://www.new.lab/";
    s.category = "gov";
    s.unit = "";
    s.host = "www.new.lab";
    s.cname_chain = s.addrs_v4 = s.addrs_v6 = s.zone = s.ipv6_only_blockers = "";
    s.similarity_distance = UINT32_MAX;
    s.link_concentration = -1;
    s.resource_concentration = -1;
    s.testable = true;
    for (int k = 0; k < V6M_CHECKS; k++) {
        s.check[k].state = V6M_CHECK_PASS;
        s.check[k].rate = -1;
        s.check[k].message = "";
        s.check[k].evidence = "";
    }
    int64_t run = 0;
    if (v6m_store_probe_begin(st, &in, NULL, &run) != V6M_OK ||
        v6m_store_probe_site(st, run, &s) != V6M_OK)
        fail_msg("probe run: %s", v6m_store_errmsg(st));
    in.finished_ns = in.started_ns + 1000000000ull;
    in.sites_done = 1;
    if (v6m_store_probe_end(st, run, &in) != V6M_OK)
        fail_msg("probe end: %s", v6m_store_errmsg(st));
}

/* ---- the migration test for one starting version ----------------------------------------------- */

static bool has_table(sqlite3 *db, const char *name)
{
    char sql[160];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'", name);
    return q_int(db, sql) == 1;
}

static void fill_to(sqlite3 *db, int k)
{
    for (int v = 1; v <= k; v++) {
        if (v >= N_FILLS || !fills[v])
            fail_msg("no representative rows for schema version %d: add fill_v%d to "
                     "tests/unit/test_store_migrate.c",
                     v, v);
        fills[v](db);
    }
}

static void migrate_from(int k, bool zero_byte_file)
{
    char path[160], fresh[160], eb[512];
    snprintf(path, sizeof(path), "%s/from-v%d%s.db", g_dir, k, zero_byte_file ? "-empty" : "");
    db_path(fresh, sizeof(fresh), "fresh.db");
    const int cur = current_version();

    if (zero_byte_file) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fclose(f);
    } else {
        build_at(path, k);
    }
    sqlite3 *db = raw_open(path);
    fill_to(db, k);
    struct snap before;
    snap_take(db, &before);
    /* Every table of version k got rows (so every table is really tested). */
    for (int i = 0; i < before.n; i++)
        if (before.t[i].count == 0)
            fail_msg("v%d: table %s has no representative row: extend fill_v*", k,
                     before.t[i].name);
    sqlite3_close(db);

    v6m_store *st = NULL;
    if (v6m_store_open(path, &st, eb, sizeof(eb)) != V6M_OK)
        fail_msg("v%d: open: %s", k, eb);
    assert_int_equal(v6m_store_db_version(st), cur);
    v6m_store_close(st);

    db = raw_open(path);
    assert_int_equal(q_int(db, "PRAGMA user_version"), cur);
    /* Every old row is still there, value for value. */
    for (int i = 0; i < before.n; i++) {
        struct snap_table after = before.t[i];
        memset(&after.rows, 0, sizeof(after.rows));
        dump_rows(db, &after);
        if (after.count != before.t[i].count || strcmp(after.rows.p, before.t[i].rows.p) != 0)
            fail_msg("v%d -> v%d: rows of %s changed (%lld -> %lld rows)", k, cur,
                     before.t[i].name, (long long)before.t[i].count, (long long)after.count);
        free(after.rows.p);
    }
    /* Some values checked against literals, independently of the copy. */
    if (k >= 1) {
        assert_int_equal(q_int(db, "SELECT bytes FROM traffic_totals WHERE run_id = 1 AND "
                                   "family = 'ipv6'"),
                         12000);
        assert_int_equal(q_int(db, "SELECT value FROM traffic_counters WHERE run_id = 1"),
                         INT64_MAX);
        assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE inputs = "
                                   "'\xe4\xb8\x8a\xe6\xb5\xb7.pcap'"),
                         1);
    }
    if (k >= 2)
        assert_int_equal(q_int(db, "SELECT hex(hll_q4) = '00FF10' FROM users_windows WHERE "
                                   "run_id = 1"),
                         1);
    if (k >= 3)
        assert_int_equal(q_int(db, "SELECT count(*) FROM probe_checks WHERE evidence = "
                                   "'line1\nline2'"),
                         1);
    sqlite3_close(db);

    /* The schema is exactly that of a database made fresh at the current version. */
    unlink(fresh);
    if (v6m_store_open(fresh, &st, eb, sizeof(eb)) != V6M_OK)
        fail_msg("fresh: %s", eb);
    v6m_store_close(st);
    struct buf sa, sb;
    schema_text(path, &sa);
    schema_text(fresh, &sb);
    if (strcmp(sa.p, sb.p) != 0)
        fail_msg("v%d -> v%d: schema differs from a fresh database:\n%s\n---\n%s", k, cur,
                 sa.p, sb.p);
    free(sa.p);
    free(sb.p);

    /* New runs go in. */
    if (v6m_store_open(path, &st, eb, sizeof(eb)) != V6M_OK)
        fail_msg("reopen: %s", eb);
    write_traffic_run(st);
    write_probe_run(st);
    v6m_store_close(st);
    db = raw_open(path);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE run_key = 'after-migration'"),
                     1);
    assert_int_equal(q_int(db, "SELECT sum(bytes) FROM traffic_buckets WHERE bucket_start = "
                               "1767225600"),
                     4000);
    assert_int_equal(q_int(db, "SELECT count(*) FROM probe_checks WHERE site_url = "
                               "'http://www.new.lab/'"),
                     7);
    assert_true(has_table(db, "probe_runs"));
    if (cur >= 4)
        assert_true(has_table(db, "kpi_runs"));
    sqlite3_close(db);

    /* Prune the 2020 runs: exactly their rows go, through the cascades. */
    v6m_db *adm = NULL;
    if (v6m_db_open(path, true, &adm, eb, sizeof(eb)) != V6M_OK)
        fail_msg("db_open: %s", eb);
    const struct v6m_db_prune_result *pr = NULL;
    struct v6m_db_prune_opts po = {CUTOFF_2022, false, true};
    if (v6m_db_prune(adm, &po, &pr) != V6M_OK)
        fail_msg("prune: %s", v6m_db_errmsg(adm));
    int64_t want_total = 0;
    for (size_t i = 0; i < pr->n_tables; i++) {
        int64_t want = 0;
        bool known = false;
        for (size_t j = 0; j < sizeof(old_rows) / sizeof(old_rows[0]); j++)
            if (strcmp(old_rows[j].table, pr->tables[i].name) == 0) {
                known = true;
                want = old_rows[j].since <= k ? old_rows[j].rows : 0;
            }
        if (!known)
            fail_msg("table %s is not in old_rows[]: count its run-1 rows", pr->tables[i].name);
        if (pr->tables[i].deleted != want)
            fail_msg("from v%d: prune deleted %lld rows of %s, want %lld", k,
                     (long long)pr->tables[i].deleted, pr->tables[i].name, (long long)want);
        want_total += want;
    }
    assert_int_equal(pr->rows_deleted, want_total);
    v6m_db_close(adm);
    db = raw_open(path);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE run_key = 'old-run'"), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs"), k >= 1 ? 2 : 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM probe_runs"), k >= 3 ? 2 : 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    sqlite3_close(db);
    snap_free(&before);
}

static void test_migrate_from_every_version(void **state)
{
    (void)state;
    const int cur = current_version();
    assert_true(cur >= 3);
    migrate_from(0, true);
    for (int k = 0; k <= cur; k++)
        migrate_from(k, false);
}

/* ---- newer, damaged ------------------------------------------------------------------------------ */

static void test_newer_version_refused(void **state)
{
    (void)state;
    char path[160], eb[512], want[512];
    db_path(path, sizeof(path), "newer.db");
    const int cur = current_version();
    build_at(path, cur);
    sqlite3 *db = raw_open(path);
    fill_to(db, cur);
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", cur + 1);
    exec_ok(db, sql);
    int64_t runs = q_int(db, "SELECT count(*) FROM runs");
    sqlite3_close(db);

    v6m_store *st = (v6m_store *)1;
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_ERR_DB);
    assert_null(st);
    snprintf(want, sizeof(want), "database '%s' has schema version %d, newer than this v6mon "
                                 "supports (%d)", path, cur + 1, cur);
    if (!strstr(eb, want))
        fail_msg("store: '%s' lacks '%s'", eb, want);

    v6m_db *adm = (v6m_db *)1;
    assert_int_equal(v6m_db_open(path, true, &adm, eb, sizeof(eb)), V6M_ERR_DB);
    assert_null(adm);
    if (!strstr(eb, want))
        fail_msg("db prune: '%s' lacks '%s'", eb, want);

    /* Read-only administration still works and says what it found. */
    if (v6m_db_open(path, false, &adm, eb, sizeof(eb)) != V6M_OK)
        fail_msg("db read: %s", eb);
    const struct v6m_db_info *in;
    assert_int_equal(v6m_db_info(adm, false, &in), V6M_OK);
    assert_int_equal(in->version, cur + 1);
    assert_int_equal(in->version_supported, cur);
    v6m_db_close(adm);

    db = raw_open(path);
    assert_int_equal(q_int(db, "PRAGMA user_version"), cur + 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs"), runs);
    sqlite3_close(db);
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* Both entry points fail on the file with a message that names it. */
static void expect_refused(const char *path, const char *what)
{
    char eb[512];
    v6m_store *st = NULL;
    v6m_err e = v6m_store_open(path, &st, eb, sizeof(eb));
    if (e == V6M_OK) {
        v6m_store_close(st);
        fail_msg("%s: the store opened it", what);
    }
    if (!strstr(eb, path))
        fail_msg("%s: store message '%s' does not name the file", what, eb);
    v6m_db *adm = NULL;
    for (int w = 0; w < 2; w++) {
        e = v6m_db_open(path, w, &adm, eb, sizeof(eb));
        if (e == V6M_OK) {
            v6m_db_close(adm);
            fail_msg("%s: v6m_db_open(write=%d) opened it", what, w);
        }
        if (!strstr(eb, path))
            fail_msg("%s: db message '%s' does not name the file", what, eb);
    }
}

static void test_damaged_files(void **state)
{
    (void)state;
    char path[160], eb[512];
    unsigned char junk[8192];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof(junk); i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (unsigned char)(x >> 16);
    }

    db_path(path, sizeof(path), "garbage.db");
    write_file(path, junk, sizeof(junk));
    expect_refused(path, "garbage");
    char eb2[512];
    v6m_store *st = NULL;
    v6m_store_open(path, &st, eb2, sizeof(eb2));
    if (!strstr(eb2, "not a database"))
        fail_msg("garbage: '%s'", eb2);

    /* The SQLite magic, then nonsense (page size 1, and so on). */
    db_path(path, sizeof(path), "badheader.db");
    memcpy(junk, "SQLite format 3", 16);
    write_file(path, junk, sizeof(junk));
    expect_refused(path, "damaged header");

    /* A real database cut in half. */
    db_path(path, sizeof(path), "truncated.db");
    build_at(path, current_version());
    sqlite3 *db = raw_open(path);
    exec_ok(db, "PRAGMA journal_mode = DELETE");
    fill_to(db, current_version());
    exec_ok(db, "CREATE TABLE pad(x); WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                "FROM c WHERE i < 2000) INSERT INTO pad SELECT randomblob(200) FROM c;"
                "INSERT INTO traffic_counters SELECT 2, 'n' || x, 1 FROM "
                "(SELECT rowid AS x FROM pad);");
    sqlite3_close(db);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(truncate(path, sb.st_size / 2), 0);
    /* Opening may or may not notice (the header is intact); reading must. */
    v6m_db *adm = NULL;
    v6m_err e = v6m_db_open(path, false, &adm, eb, sizeof(eb));
    if (e == V6M_OK) {
        const struct v6m_db_info *in = NULL;
        e = v6m_db_info(adm, true, &in);
        if (e == V6M_OK) {
            assert_non_null(in->check);
            if (strcmp(in->check, "ok") == 0)
                fail_msg("truncated file passes quick_check");
        } else if (!strstr(v6m_db_errmsg(adm), path)) {
            fail_msg("truncated: '%s' does not name the file", v6m_db_errmsg(adm));
        }
        v6m_db_close(adm);
    } else if (!strstr(eb, path)) {
        fail_msg("truncated: '%s' does not name the file", eb);
    }
    st = NULL;
    e = v6m_store_open(path, &st, eb, sizeof(eb));
    if (e == V6M_OK) {
        /* Writing a run touches the damaged pages: an error, not a crash. */
        struct v6m_traffic_result r;
        memset(&r, 0, sizeof(r));
        r.bucket_ns = 300000000000ull;
        struct v6m_run_info ri = {.kind = "traffic", .run_key = "old-run"};
        e = v6m_store_put_traffic(st, &ri, &r, NULL, NULL);
        if (e == V6M_OK)
            fail_msg("truncated: replacing a run in a cut file succeeded");
        if (!strstr(v6m_store_errmsg(st), path))
            fail_msg("truncated: '%s' does not name the file", v6m_store_errmsg(st));
        v6m_store_close(st);
    } else if (!strstr(eb, path)) {
        fail_msg("truncated: '%s' does not name the file", eb);
    }

    /* A missing file: v6m_db_open does not create it. */
    db_path(path, sizeof(path), "missing.db");
    v6m_db *m = NULL;
    assert_int_equal(v6m_db_open(path, false, &m, eb, sizeof(eb)), V6M_ERR_NOT_FOUND);
    if (!strstr(eb, "No such file"))
        fail_msg("missing: '%s'", eb);
    assert_int_equal(access(path, F_OK), -1);
}

/* ---- export bytes ------------------------------------------------------------------------------------ */

struct mem {
    char buf[4096];
    size_t n;
};

static bool mem_sink(void *ctx, const char *d, size_t n)
{
    struct mem *m = ctx;
    if (m->n + n >= sizeof(m->buf))
        return false;
    memcpy(m->buf + m->n, d, n);
    m->n += n;
    m->buf[m->n] = '\0';
    return true;
}

static bool fail_sink(void *ctx, const char *d, size_t n)
{
    (void)ctx;
    (void)d;
    (void)n;
    return false;
}

static void test_export_bytes(void **state)
{
    (void)state;
    char path[160], eb[512];
    db_path(path, sizeof(path), "export.db");
    unlink(path);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    /* A table name with a quote and a space, awkward values of every type. */
    exec_ok(db, "CREATE TABLE \"we\"\"ird t\"(run_id INTEGER, a TEXT, b REAL, c BLOB, d);"
                "INSERT INTO \"we\"\"ird t\" VALUES "
                "(7, 'x,y \"q\"', 0.1, x'00ff', NULL),"
                "(7, '', -2.5e-300, x'', 'line1\r\nline2'),"
                "(8, 'tab\there' || char(1), 1e308 * 10, NULL, 42),"
                "(7, CAST(x'e4b88aff41' AS TEXT), 3.0, NULL, '');");
    sqlite3_close(db);

    v6m_db *adm;
    if (v6m_db_open(path, false, &adm, eb, sizeof(eb)) != V6M_OK)
        fail_msg("%s", eb);
    struct mem m = {.n = 0};
    struct v6m_db_export_opts o = {V6M_DB_CSV, false, 0};
    uint64_t rows = 0;
    assert_int_equal(v6m_db_export(adm, "we\"ird t", &o, mem_sink, &m, &rows), V6M_OK);
    assert_int_equal(rows, 4);
    assert_string_equal(m.buf,
                        "run_id,a,b,c,d\r\n"
                        "7,\"x,y \"\"q\"\"\",0.1,00ff,\r\n"
                        "7,\"\",-2.5e-300,\"\",\"line1\r\nline2\"\r\n"
                        "8,tab\there\x01,inf,,42\r\n"
                        "7,\xe4\xb8\x8a\xff"
                        "A,3,,\"\"\r\n");

    m.n = 0;
    m.buf[0] = '\0';
    o.format = V6M_DB_JSON;
    o.by_run = true;
    o.run_id = 7;
    assert_int_equal(v6m_db_export(adm, "we\"ird t", &o, mem_sink, &m, &rows), V6M_OK);
    assert_int_equal(rows, 3);
    assert_string_equal(m.buf,
                        "[\n"
                        "{\"run_id\":7,\"a\":\"x,y \\\"q\\\"\",\"b\":0.1,"
                        "\"c\":\"00ff\",\"d\":null},\n"
                        "{\"run_id\":7,\"a\":\"\",\"b\":-2.5e-300,\"c\":\"\","
                        "\"d\":\"line1\\r\\nline2\"},\n"
                        "{\"run_id\":7,\"a\":\"\xe4\xb8\x8a\\ufffdA\",\"b\":3,\"c\":null,"
                        "\"d\":\"\"}\n"
                        "]\n");

    m.n = 0;
    o.format = V6M_DB_JSONL;
    o.run_id = 8;
    assert_int_equal(v6m_db_export(adm, "we\"ird t", &o, mem_sink, &m, &rows), V6M_OK);
    assert_string_equal(m.buf, "{\"run_id\":8,\"a\":\"tab\\there\\u0001\",\"b\":null,"
                               "\"c\":null,\"d\":42}\n");

    /* No such run: an empty array. Unknown table: NOT_FOUND. */
    m.n = 0;
    o.format = V6M_DB_JSON;
    o.run_id = 99;
    assert_int_equal(v6m_db_export(adm, "we\"ird t", &o, mem_sink, &m, &rows), V6M_OK);
    assert_string_equal(m.buf, "[\n]\n");
    assert_int_equal(v6m_db_export(adm, "we\"ird", &o, mem_sink, &m, &rows), V6M_ERR_NOT_FOUND);
    /* Injection through the name goes nowhere: the name is looked up, not pasted. */
    assert_int_equal(v6m_db_export(adm, "x\" ; DROP TABLE \"we\"\"ird t", &o, mem_sink, &m,
                                   &rows),
                     V6M_ERR_NOT_FOUND);
    /* No sink: refused; a sink that fails stops the export with an I/O error. */
    assert_int_equal(v6m_db_export(adm, "we\"ird t", &o, NULL, NULL, &rows),
                     V6M_ERR_INVALID_ARG);
    o.by_run = false;
    assert_int_equal(v6m_db_export(adm, "we\"ird t", &o, fail_sink, NULL, &rows), V6M_ERR_IO);
    v6m_db_close(adm);
}

/* ---- info on a known database --------------------------------------------------------------------------- */

static void test_info_counts(void **state)
{
    (void)state;
    char path[160], eb[512];
    db_path(path, sizeof(path), "info.db");
    const int cur = current_version();
    build_at(path, cur);
    sqlite3 *db = raw_open(path);
    fill_to(db, cur);
    sqlite3_close(db);
    v6m_db *adm;
    if (v6m_db_open(path, false, &adm, eb, sizeof(eb)) != V6M_OK)
        fail_msg("%s", eb);
    const struct v6m_db_info *in;
    assert_int_equal(v6m_db_info(adm, true, &in), V6M_OK);
    assert_int_equal(in->version, cur);
    assert_string_equal(in->check, "ok");
    assert_true(in->file_bytes > 0);
    bool seen_traffic = false, seen_probe = false;
    for (size_t i = 0; i < in->n_kinds; i++) {
        const struct v6m_db_run_kind *k = &in->kinds[i];
        if (strcmp(k->kind, "traffic") == 0) {
            seen_traffic = true;
            assert_string_equal(k->table, "runs");
            assert_int_equal(k->runs, 2);
            assert_int_equal(k->first_s, 1577836800); /* run 1 started */
            assert_int_equal(k->last_s, 1735689600);  /* run 2 started */
            assert_int_equal(k->n_versions, 2);
        } else if (strcmp(k->kind, "probe") == 0) {
            seen_probe = true;
            assert_string_equal(k->table, "probe_runs");
            assert_int_equal(k->runs, 2);
            assert_int_equal(k->runs_timed, 2);
            assert_int_equal(k->first_s, 1590969600);
            assert_int_equal(k->last_s, 1738368000); /* run 2: its finish */
        } else if (strcmp(k->kind, "kpi") == 0) {
            assert_string_equal(k->table, "kpi_runs");
            assert_int_equal(k->runs, 2);
            assert_int_equal(k->first_s, 1600000000);
            assert_int_equal(k->last_s, 1740000000);
        } else {
            fail_msg("unexpected run kind %s (%s)", k->kind, k->table);
        }
    }
    assert_true(seen_traffic && seen_probe);
    for (size_t i = 0; i < in->n_tables; i++) {
        const struct v6m_db_table *t = &in->tables[i];
        if (strcmp(t->name, "probe_checks") == 0) {
            /* No foreign key on run_id: found through probe_sites. */
            assert_string_equal(t->run_table, "probe_runs");
            assert_int_equal(t->rows, 3);
        }
        if (strcmp(t->name, "traffic_buckets") == 0) {
            assert_string_equal(t->run_table, "runs");
            assert_int_equal(t->rows, 3);
        }
        if (t->is_run_table)
            assert_string_equal(t->run_table, t->name);
    }
    /* A read-only handle cannot prune. */
    const struct v6m_db_prune_result *pr;
    struct v6m_db_prune_opts po = {CUTOFF_2022, true, false};
    assert_int_equal(v6m_db_prune(adm, &po, &pr), V6M_ERR_INVALID_ARG);
    v6m_db_close(adm);

    /* A dry run counts and changes nothing. */
    assert_int_equal(v6m_db_open(path, true, &adm, eb, sizeof(eb)), V6M_OK);
    assert_int_equal(v6m_db_prune(adm, &po, &pr), V6M_OK);
    assert_true(pr->dry_run);
    assert_true(pr->rows_deleted > 0);
    v6m_db_close(adm);
    db = raw_open(path);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(q_int(db, "SELECT count(*) FROM probe_checks"), 3);
    sqlite3_close(db);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/v6m-test-store-migrate-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    return sqlite3_auto_extension((void (*)(void))auto_ext) == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sqlite3_cancel_auto_extension((void (*)(void))auto_ext);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_from_every_version),
        cmocka_unit_test(test_newer_version_refused),
        cmocka_unit_test(test_damaged_files),
        cmocka_unit_test(test_export_bytes),
        cmocka_unit_test(test_info_counts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
