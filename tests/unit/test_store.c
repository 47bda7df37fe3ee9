/*
 * test_store.c - the SQLite store (v6mon/store.h).
 *
 * A v6m_traffic_result is built by hand with known numbers, stored into a
 * temporary database, and read back with plain sqlite3 queries written
 * here, independently of the store's code; every number is compared with
 * the value the test put in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <v6mon/store.h>

static char g_dir[64];

static void db_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", g_dir, name);
}

/* ---- a hand-made result -------------------------------------------------- */

struct fixture {
    const char *names[2];
    struct v6m_family_counts segs[2];
    struct v6m_family_counts dirs[6];
    struct v6m_traffic_bucket buckets[3];
    struct v6m_traffic_result res;
};

static void set_counts(struct v6m_counts *c, uint64_t p, uint64_t b, uint64_t f)
{
    c->packets = p;
    c->bytes = b;
    c->flows = f;
}

static void build_fixture(struct fixture *fx)
{
    memset(fx, 0, sizeof(*fx));
    fx->names[0] = "core";
    fx->names[1] = "edge";
    struct v6m_traffic_result *r = &fx->res;
    r->first_ns = 1764159869123456789ull; /* 2025-11-26T12:24:29Z */
    r->last_ns = 1764160469000000000ull;
    r->bucket_ns = 300000000000ull;
    set_counts(&r->totals.fam[0], 5, 500, 0);
    set_counts(&r->totals.fam[1], 100, 100000, 10);
    set_counts(&r->totals.fam[2], 60, 70000, 6);
    r->n_segments = 2;
    r->segment_names = fx->names;
    set_counts(&fx->segs[0].fam[1], 70, 80000, 7);
    set_counts(&fx->segs[0].fam[2], 50, 60000, 5);
    set_counts(&fx->segs[1].fam[0], 5, 500, 0);
    set_counts(&fx->segs[1].fam[1], 30, 20000, 3);
    set_counts(&fx->segs[1].fam[2], 10, 10000, 1);
    r->segments = fx->segs;
    /* core: up/down split; edge: unknown only */
    set_counts(&fx->dirs[0 * 3 + 1].fam[1], 40, 30000, 7);
    set_counts(&fx->dirs[0 * 3 + 2].fam[1], 30, 50000, 7);
    set_counts(&fx->dirs[0 * 3 + 1].fam[2], 20, 10000, 5);
    set_counts(&fx->dirs[0 * 3 + 2].fam[2], 30, 50000, 5);
    fx->dirs[1 * 3 + 0] = fx->segs[1];
    r->seg_dir = fx->dirs;
    fx->buckets[0].start_s = 1764159600;
    fx->buckets[0].segment = 0;
    set_counts(&fx->buckets[0].c.fam[1], 40, 50000, 5);
    set_counts(&fx->buckets[0].c.fam[2], 20, 30000, 3);
    fx->buckets[1].start_s = 1764159600;
    fx->buckets[1].segment = 1;
    set_counts(&fx->buckets[1].c.fam[0], 5, 500, 0);
    set_counts(&fx->buckets[1].c.fam[1], 30, 20000, 3);
    fx->buckets[2].start_s = 1764159900;
    fx->buckets[2].segment = 0;
    set_counts(&fx->buckets[2].c.fam[1], 30, 30000, 4);
    set_counts(&fx->buckets[2].c.fam[2], 30, 30000, 2);
    /* leave bucket 2's ipv6-only-edge cell out: the fixture is not
     * required to be consistent for the store */
    r->n_buckets = 3;
    r->buckets = fx->buckets;
    r->drops[V6M_DROP_TRUNCATED] = 3;
    r->drops[V6M_DROP_MALFORMED] = 1;
    r->drops[V6M_DROP_FRAGMENT_UNRESOLVED] = 2;
    r->encap_packets[0] = 11;  /* vlan */
    r->encap_packets[9] = 7;   /* gtpu */
    r->encap_packets[19] = 1;  /* l2tp */
    r->ipv6plus.ipv6_packets = 60;
    r->ipv6plus.srh_packets = 4;
    r->ipv6plus.flow_label_packets = 33;
    r->ipv6plus.ext_packets[V6M_EXT_HOPOPTS] = 2;
    r->ipv6plus.ext_packets[V6M_EXT_SRH] = 4;
    r->ipv6plus.ext_packets[V6M_EXT_FRAGMENT] = 9;
    r->flows_max_active = 12;
    r->flows_evicted = 1;
    r->flows_expired_idle = 8;
    r->flows_expired_active = 2;
    r->buckets_overflow = 0;
    r->decoder.frames = 165;
    r->decoder.frag_held = 9;
}

static struct v6m_run_info run_info(const char *key)
{
    struct v6m_run_info ri = {
        .kind = "traffic",
        .run_key = key,
        .inputs = "a.pcap b.pcap",
        .vantage = "lab-1",
        .tool_version = "0.1.0-test",
        .options = "{\"bucket\":\"5m\"}",
        .started_ns = 1764160000000000000ull,
        .finished_ns = 1764160005500000000ull,
    };
    return ri;
}

/* ---- raw sqlite helpers -------------------------------------------------- */

static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    return db;
}

/* One integer from a query with an optional text parameter. */
static int64_t q_int(sqlite3 *db, const char *sql, const char *p1, const char *p2)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
    if (p1)
        sqlite3_bind_text(st, 1, p1, -1, SQLITE_STATIC);
    if (p2)
        sqlite3_bind_text(st, 2, p2, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        fail_msg("no row for %s (%s, %s)", sql, p1 ? p1 : "", p2 ? p2 : "");
    int64_t v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void q_text(sqlite3 *db, const char *sql, char *out, size_t n)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(out, n, "%s", t ? (const char *)t : "(null)");
    sqlite3_finalize(st);
}

static void check_bucket(sqlite3 *db, int64_t run, int64_t start, const char *seg,
                         const char *fam, int64_t p, int64_t b, int64_t f)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT packets || ',' || bytes || ',' || flows || ',' || bucket_seconds "
             "FROM traffic_buckets WHERE run_id = %lld AND bucket_start = %lld AND "
             "segment = '%s' AND family = '%s'",
             (long long)run, (long long)start, seg, fam);
    char got[128], want[128];
    q_text(db, sql, got, sizeof(got));
    snprintf(want, sizeof(want), "%lld,%lld,%lld,300", (long long)p, (long long)b,
             (long long)f);
    assert_string_equal(got, want);
}

static void check_seg(sqlite3 *db, const char *seg, const char *dir, const char *fam,
                      int64_t p, int64_t b, int64_t f)
{
    char sql[512], got[128], want[128];
    snprintf(sql, sizeof(sql),
             "SELECT packets || ',' || bytes || ',' || flows FROM traffic_segments "
             "WHERE segment = '%s' AND direction = '%s' AND family = '%s'",
             seg, dir, fam);
    q_text(db, sql, got, sizeof(got));
    snprintf(want, sizeof(want), "%lld,%lld,%lld", (long long)p, (long long)b,
             (long long)f);
    assert_string_equal(got, want);
}

/* ---- tests -------------------------------------------------------------- */

static void test_put_and_read_back(void **state)
{
    (void)state;
    char path[128], eb[256];
    db_path(path, sizeof(path), "a.db");
    struct fixture fx;
    build_fixture(&fx);
    v6m_store *st;
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_OK);
    assert_int_equal(v6m_store_db_version(st), v6m_store_schema_version());
    assert_true(v6m_store_schema_version() >= 1);
    struct v6m_run_info ri = run_info("key-1");
    int64_t id = 0;
    bool rep = true;
    if (v6m_store_put_traffic(st, &ri, &fx.res, &id, &rep) != V6M_OK)
        fail_msg("put: %s", v6m_store_errmsg(st));
    assert_false(rep);
    assert_true(id > 0);
    v6m_store_close(st);

    sqlite3 *db = raw_open(path);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs", NULL, NULL), 1);
    char t[256];
    q_text(db,
           "SELECT kind || '|' || run_key || '|' || inputs || '|' || vantage || '|' || "
           "tool_version || '|' || options || '|' || started_utc || '|' || finished_utc "
           "|| '|' || first_packet_utc || '|' || last_packet_utc || '|' || "
           "bucket_seconds || '|' || schema_version FROM runs",
           t, sizeof(t));
    char want[300];
    snprintf(want, sizeof(want),
             "traffic|key-1|a.pcap b.pcap|lab-1|0.1.0-test|{\"bucket\":\"5m\"}|"
             "2025-11-26T12:26:40Z|2025-11-26T12:26:45Z|2025-11-26T12:24:29Z|"
             "2025-11-26T12:34:29Z|300|%d",
             v6m_store_schema_version());
    assert_string_equal(t, want);
    assert_int_equal(q_int(db, "SELECT first_packet_ns FROM runs", NULL, NULL),
                     (int64_t)1764159869123456789ll);
    assert_int_equal(q_int(db, "SELECT last_packet_ns FROM runs", NULL, NULL),
                     (int64_t)1764160469000000000ll);
    assert_int_equal(q_int(db, "SELECT finished_ns - started_ns FROM runs", NULL, NULL),
                     5500000000ll);
    assert_int_equal(q_int(db, "SELECT id FROM runs", NULL, NULL), id);

    /* Buckets: only non-empty cells (6 of 9). */
    assert_int_equal(q_int(db, "SELECT count(*) FROM traffic_buckets", NULL, NULL), 6);
    check_bucket(db, id, 1764159600, "core", "ipv4", 40, 50000, 5);
    check_bucket(db, id, 1764159600, "core", "ipv6", 20, 30000, 3);
    check_bucket(db, id, 1764159600, "edge", "other", 5, 500, 0);
    check_bucket(db, id, 1764159600, "edge", "ipv4", 30, 20000, 3);
    check_bucket(db, id, 1764159900, "core", "ipv4", 30, 30000, 4);
    check_bucket(db, id, 1764159900, "core", "ipv6", 30, 30000, 2);
    assert_int_equal(q_int(db, "SELECT count(*) FROM traffic_buckets WHERE "
                               "segment = 'edge' AND family = 'ipv6'", NULL, NULL), 0);

    /* Totals. */
    assert_int_equal(q_int(db, "SELECT packets FROM traffic_totals WHERE family = ?1",
                           "ipv4", NULL), 100);
    assert_int_equal(q_int(db, "SELECT bytes FROM traffic_totals WHERE family = ?1",
                           "ipv6", NULL), 70000);
    assert_int_equal(q_int(db, "SELECT flows FROM traffic_totals WHERE family = ?1",
                           "ipv6", NULL), 6);
    assert_int_equal(q_int(db, "SELECT packets FROM traffic_totals WHERE family = ?1",
                           "other", NULL), 5);

    /* Segments: 'all' rows for every family, direction rows when non-zero. */
    check_seg(db, "core", "all", "ipv4", 70, 80000, 7);
    check_seg(db, "core", "all", "ipv6", 50, 60000, 5);
    check_seg(db, "core", "all", "other", 0, 0, 0);
    check_seg(db, "edge", "all", "other", 5, 500, 0);
    check_seg(db, "core", "up", "ipv4", 40, 30000, 7);
    check_seg(db, "core", "down", "ipv4", 30, 50000, 7);
    check_seg(db, "core", "up", "ipv6", 20, 10000, 5);
    check_seg(db, "core", "down", "ipv6", 30, 50000, 5);
    check_seg(db, "edge", "unknown", "ipv4", 30, 20000, 3);
    check_seg(db, "edge", "unknown", "ipv6", 10, 10000, 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM traffic_segments", NULL, NULL),
                     6 + 4 + 3);

    /* Drops. */
    assert_int_equal(q_int(db, "SELECT frames FROM traffic_drops WHERE reason = ?1",
                           "truncated", NULL), 3);
    assert_int_equal(q_int(db, "SELECT frames FROM traffic_drops WHERE reason = ?1",
                           "malformed", NULL), 1);
    assert_int_equal(q_int(db, "SELECT frames FROM traffic_drops WHERE reason = ?1",
                           "fragment_unresolved", NULL), 2);
    assert_int_equal(q_int(db, "SELECT frames FROM traffic_drops WHERE reason = ?1",
                           "too_deep", NULL), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM traffic_drops WHERE reason = 'none'",
                           NULL, NULL), 0);

    /* IPv6+ metrics. */
    const char *mq = "SELECT value FROM traffic_ipv6plus WHERE metric = ?1";
    assert_int_equal(q_int(db, mq, "ipv6_packets", NULL), 60);
    assert_int_equal(q_int(db, mq, "srh_packets", NULL), 4);
    assert_int_equal(q_int(db, mq, "flow_label_packets", NULL), 33);
    assert_int_equal(q_int(db, mq, "ext.hop_by_hop", NULL), 2);
    assert_int_equal(q_int(db, mq, "ext.segment_routing", NULL), 4);
    assert_int_equal(q_int(db, mq, "ext.fragment", NULL), 9);
    assert_int_equal(q_int(db, mq, "ext.esp", NULL), 0);
    assert_int_equal(q_int(db, mq, "encap.vlan", NULL), 11);
    assert_int_equal(q_int(db, mq, "encap.gtpu", NULL), 7);
    assert_int_equal(q_int(db, mq, "encap.l2tp", NULL), 1);
    assert_int_equal(q_int(db, mq, "encap.mpls", NULL), 0);

    const char *cq = "SELECT value FROM traffic_counters WHERE name = ?1";
    assert_int_equal(q_int(db, cq, "flows_max_active", NULL), 12);
    assert_int_equal(q_int(db, cq, "flows_expired_idle", NULL), 8);
    assert_int_equal(q_int(db, cq, "decoder_frames", NULL), 165);
    assert_int_equal(q_int(db, cq, "frag_held", NULL), 9);

    /* WAL and foreign keys are set up. */
    q_text(db, "PRAGMA journal_mode", t, sizeof(t));
    assert_string_equal(t, "wal");
    sqlite3_close(db);
}

static int64_t count_rows(sqlite3 *db, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    return q_int(db, sql, NULL, NULL);
}

static void test_replace_and_second_run(void **state)
{
    (void)state;
    char path[128], eb[256];
    db_path(path, sizeof(path), "r.db");
    struct fixture fx;
    build_fixture(&fx);
    v6m_store *st;
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_OK);
    struct v6m_run_info ri = run_info("same-key");
    int64_t id1, id2, id3;
    bool rep;
    assert_int_equal(v6m_store_put_traffic(st, &ri, &fx.res, &id1, &rep), V6M_OK);
    assert_false(rep);
    fx.buckets[0].c.fam[1].packets = 41; /* the re-run counted one more */
    ri.vantage = "lab-2";
    assert_int_equal(v6m_store_put_traffic(st, &ri, &fx.res, &id2, &rep), V6M_OK);
    assert_true(rep);

    sqlite3 *db = raw_open(path);
    assert_int_equal(count_rows(db, "runs"), 1);
    assert_int_equal(count_rows(db, "traffic_buckets"), 6);
    assert_int_equal(count_rows(db, "traffic_totals"), 3);
    assert_int_equal(count_rows(db, "traffic_segments"), 13);
    assert_int_equal(count_rows(db, "traffic_drops"), V6M_DROP__COUNT - 1);
    assert_int_equal(q_int(db, "SELECT id FROM runs", NULL, NULL), id2);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE vantage = ?1", "lab-2",
                           NULL), 1);
    assert_int_equal(q_int(db, "SELECT packets FROM traffic_buckets WHERE segment = "
                               "'core' AND family = 'ipv4' AND bucket_start = 1764159600",
                           NULL, NULL), 41);
    int64_t ipv6plus_rows = count_rows(db, "traffic_ipv6plus");
    int64_t counter_rows = count_rows(db, "traffic_counters");
    sqlite3_close(db);

    struct v6m_run_info r2 = run_info("other-key");
    assert_int_equal(v6m_store_put_traffic(st, &r2, &fx.res, &id3, &rep), V6M_OK);
    assert_false(rep);
    assert_int_not_equal(id3, id2);
    v6m_store_close(st);

    db = raw_open(path);
    assert_int_equal(count_rows(db, "runs"), 2);
    assert_int_equal(count_rows(db, "traffic_buckets"), 12);
    assert_int_equal(count_rows(db, "traffic_ipv6plus"), 2 * ipv6plus_rows);
    assert_int_equal(count_rows(db, "traffic_counters"), 2 * counter_rows);
    /* No orphans anywhere. */
    const char *tables[] = { "traffic_buckets", "traffic_totals", "traffic_segments",
                             "traffic_drops", "traffic_ipv6plus", "traffic_counters" };
    for (size_t i = 0; i < 6; i++) {
        char sql[160];
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM %s WHERE run_id NOT IN (SELECT id FROM runs)",
                 tables[i]);
        assert_int_equal(q_int(db, sql, NULL, NULL), 0);
    }
    sqlite3_close(db);

    /* A failing write leaves the previous run untouched: a duplicated
     * bucket cell violates the primary key half-way through the rows. */
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_OK);
    struct fixture dup;
    build_fixture(&dup);
    dup.buckets[2].start_s = dup.buckets[0].start_s; /* same (start, core) */
    struct v6m_run_info r3 = run_info("same-key");
    rep = true;
    assert_int_equal(v6m_store_put_traffic(st, &r3, &dup.res, &id1, &rep), V6M_ERR_DB);
    assert_false(rep);
    assert_non_null(strstr(v6m_store_errmsg(st), path));
    v6m_store_close(st);
    db = raw_open(path);
    assert_int_equal(count_rows(db, "runs"), 2);
    assert_int_equal(q_int(db, "SELECT id FROM runs WHERE run_key = 'same-key'", NULL,
                           NULL), id2);
    assert_int_equal(count_rows(db, "traffic_buckets"), 12);
    sqlite3_close(db);

    /* A missing run key is refused. */
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_OK);
    struct v6m_run_info bad = run_info("");
    assert_int_equal(v6m_store_put_traffic(st, &bad, &fx.res, &id1, &rep),
                     V6M_ERR_INVALID_ARG);
    assert_non_null(strstr(v6m_store_errmsg(st), "run key"));
    v6m_store_close(st);
}

static void test_migrations(void **state)
{
    (void)state;
    char path[128], eb[256];
    db_path(path, sizeof(path), "m.db");
    v6m_store *st;
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_OK);
    v6m_store_close(st);
    sqlite3 *db = raw_open(path);
    int64_t uv = q_int(db, "PRAGMA user_version", NULL, NULL);
    assert_int_equal(uv, v6m_store_schema_version());
    char schema1[32768];
    q_text(db, "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master "
               "ORDER BY name)", schema1, sizeof(schema1));
    assert_non_null(strstr(schema1, "traffic_buckets"));
    sqlite3_close(db);

    /* Reopen at the current version: nothing changes. */
    char loc[160];
    snprintf(loc, sizeof(loc), "sqlite:%s", path);
    assert_int_equal(v6m_store_open(loc, &st, eb, sizeof(eb)), V6M_OK);
    assert_int_equal(v6m_store_db_version(st), v6m_store_schema_version());
    v6m_store_close(st);
    db = raw_open(path);
    char schema2[32768];
    q_text(db, "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master "
               "ORDER BY name)", schema2, sizeof(schema2));
    assert_string_equal(schema1, schema2);
    assert_int_equal(q_int(db, "PRAGMA user_version", NULL, NULL), uv);

    /* A future version is refused with a clear message. */
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_ERR_DB);
    assert_null(st);
    char want[300];
    snprintf(want, sizeof(want), "database '%s' has schema version 99, newer than "
                                 "this v6mon supports (%d)",
             path, v6m_store_schema_version());
    assert_non_null(strstr(eb, want));
}


/* The schema of version 1 exactly as v6mon 0.1 wrote it (frozen copy:
 * migrations must take such a database forward without losing runs). */
static const char SCHEMA_V1[] =
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
    " PRIMARY KEY (run_id, name)) WITHOUT ROWID;";

static void test_migrate_from_v1(void **state)
{
    (void)state;
    char path[128], eb[256];
    db_path(path, sizeof(path), "v1.db");
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                     NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, SCHEMA_V1, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO runs(kind, run_key, schema_version) "
                                  "VALUES ('traffic', 'old-run', 1);"
                                  "INSERT INTO traffic_totals VALUES (1, 'ipv6', 5, 500, 1);"
                                  "PRAGMA user_version = 1;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    v6m_store *st;
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_OK);
    assert_int_equal(v6m_store_db_version(st), v6m_store_schema_version());
    v6m_store_close(st);
    db = raw_open(path);
    assert_int_equal(q_int(db, "PRAGMA user_version", NULL, NULL), v6m_store_schema_version());
    /* The old run and its rows are still there; the new tables exist. */
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE run_key = 'old-run'", NULL,
                           NULL), 1);
    assert_int_equal(q_int(db, "SELECT bytes FROM traffic_totals WHERE family = 'ipv6'", NULL,
                           NULL), 500);
    const char *tables[] = {"users_windows", "apps_totals", "apps_days", "app_names"};
    for (size_t i = 0; i < 4; i++) {
        char sql[160];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
        assert_int_equal(q_int(db, sql, NULL, NULL), 0);
    }
    sqlite3_close(db);
}

static void test_open_errors(void **state)
{
    (void)state;
    char eb[256];
    v6m_store *st = (v6m_store *)1;
    assert_int_equal(v6m_store_open("/nonexistent-v6mon-dir/x.db", &st, eb, sizeof(eb)),
                     V6M_ERR_DB);
    assert_null(st);
    assert_non_null(strstr(eb, "cannot open database '/nonexistent-v6mon-dir/x.db'"));

    assert_int_equal(v6m_store_open("clickhouse://localhost:8123/v6", &st, eb, sizeof(eb)),
                     V6M_ERR_UNSUPPORTED);
    assert_non_null(strstr(eb, "ClickHouse backend not built yet"));
    assert_int_equal(v6m_store_open("mysql://x/y", &st, eb, sizeof(eb)),
                     V6M_ERR_UNSUPPORTED);
    assert_int_equal(v6m_store_open("", &st, eb, sizeof(eb)), V6M_ERR_INVALID_ARG);

    /* A file that is not a database. */
    char path[128];
    db_path(path, sizeof(path), "junk.db");
    FILE *fp = fopen(path, "wb");
    for (int i = 0; i < 200; i++)
        fputs("this is not a database file ", fp);
    fclose(fp);
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_ERR_DB);
    assert_non_null(strstr(eb, "not a database"));
    v6m_store_close(NULL);
}

/* A million bucket rows in one run, within a few seconds. */
static void test_many_buckets(void **state)
{
    (void)state;
    char path[128], eb[256];
    db_path(path, sizeof(path), "big.db");
    const size_t NB = 500000;
    struct v6m_traffic_bucket *b = calloc(NB, sizeof(*b));
    assert_non_null(b);
    for (size_t i = 0; i < NB; i++) {
        b[i].start_s = 1700000000 + (int64_t)(i / 2) * 60;
        b[i].segment = (uint16_t)(i % 2);
        set_counts(&b[i].c.fam[1], i + 1, (i + 1) * 100, 1);
        set_counts(&b[i].c.fam[2], i + 2, (i + 2) * 100, 1);
    }
    struct fixture fx;
    build_fixture(&fx);
    fx.res.buckets = b;
    fx.res.n_buckets = NB;
    fx.res.bucket_ns = 60000000000ull;
    v6m_store *st;
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_OK);
    struct v6m_run_info ri = run_info("big");
    int64_t id;
    bool rep;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(v6m_store_put_traffic(st, &ri, &fx.res, &id, &rep), V6M_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s1 = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* Replacing deletes the million rows and writes them again. */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(v6m_store_put_traffic(st, &ri, &fx.res, &id, &rep), V6M_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s2 = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(rep);
    v6m_store_close(st);
    printf("[   INFO   ] 1,000,000 bucket rows: insert %.2f s, replace %.2f s\n", s1, s2);
    sqlite3 *db = raw_open(path);
    assert_int_equal(count_rows(db, "traffic_buckets"), 2 * (int64_t)NB);
    /* Sum of packets: sum(i+1) + sum(i+2) over i < NB. */
    int64_t n = (int64_t)NB;
    int64_t want = n * (n + 1) / 2 + n * (n + 1) / 2 + n;
    assert_int_equal(q_int(db, "SELECT sum(packets) FROM traffic_buckets", NULL, NULL),
                     want);
    /* A time-range query uses the index. */
    sqlite3_stmt *qp;
    assert_int_equal(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT sum(packets) "
                                            "FROM traffic_buckets WHERE bucket_start "
                                            "BETWEEN 1700000000 AND 1700003600",
                                        -1, &qp, NULL),
                     SQLITE_OK);
    bool uses_index = false;
    while (sqlite3_step(qp) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(qp, 3);
        if (d && strstr(d, "traffic_buckets_time"))
            uses_index = true;
    }
    sqlite3_finalize(qp);
    assert_true(uses_index);
    sqlite3_close(db);
    free(b);
    assert_true(s1 < 60.0); /* generous: sanitizer builds are ~4x slower */
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/v6m-test-store-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_and_read_back),
        cmocka_unit_test(test_replace_and_second_run),
        cmocka_unit_test(test_migrations),
        cmocka_unit_test(test_migrate_from_v1),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_many_buckets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
