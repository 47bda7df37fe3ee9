/*
 * test_store_probe.c - probe runs in the SQLite store (schema version 3):
 * v6m_store_probe_begin/_site/_app/_flush/_end, batching, interrupted
 * runs, a failing result undone alone, and migrations 1 -> 3 and 2 -> 3.
 *
 * Results are built by hand with known values, stored into a temporary
 * database and read back with plain sqlite3 queries written here; every
 * value is compared with the one the test put in. The old schemas are
 * frozen copies of what v6mon wrote at versions 1 and 2.
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
#include <unistd.h>

#include <v6mon/probe.h>
#include <v6mon/store.h>

static char g_dir[64];

static void db_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", g_dir, name);
}

/* ---- raw sqlite helpers ---------------------------------------------------------- */

static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    return db;
}

/* One integer (NULL -> -1) from a query. */
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

/* One value as text ("(null)" for NULL). */
static void q_text(sqlite3 *db, const char *sql, char *out, size_t n)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) != SQLITE_ROW)
        fail_msg("no row for %s", sql);
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(out, n, "%s", t ? (const char *)t : "(null)");
    sqlite3_finalize(st);
}

static void expect_text(sqlite3 *db, const char *sql, const char *want)
{
    char got[1024];
    q_text(db, sql, got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("%s\n  got  '%s'\n  want '%s'", sql, got, want);
}

/* ---- hand-made results ------------------------------------------------------------- */

#define EVIDENCE "names: \"a.lab\", 'b.lab'\nline 2 \xe4\xb8\x8a\xe6\xb5\xb7"

struct sites {
    struct v6m_site_result s[2];
    struct v6m_hop h6[2], h4[1];
    struct v6m_url_result urls[3];
    struct v6m_resource res[2];
};

static void pass_all(struct v6m_site_result *s)
{
    for (int k = 0; k < V6M_CHECKS; k++) {
        s->check[k].state = V6M_CHECK_PASS;
        s->check[k].rate = -1;
        s->check[k].message = "";
        s->check[k].evidence = "";
    }
}

static void site_min(struct v6m_site_result *s, const char *name, const char *url)
{
    memset(s, 0, sizeof(*s));
    s->name = name;
    s->url = url;
    s->category = "gov";
    s->unit = "";
    s->host = "www.lab";
    s->cname_chain = s->addrs_v4 = s->addrs_v6 = s->zone = s->ipv6_only_blockers = "";
    s->similarity_distance = UINT32_MAX;
    s->link_concentration = -1;
    s->resource_concentration = -1;
    s->testable = true;
    pass_all(s);
}

static void build_sites(struct sites *f)
{
    memset(f, 0, sizeof(*f));
    struct v6m_site_result *a = &f->s[0];
    site_min(a, "Alpha", "http://www.a.lab/");
    a->category = "gov";
    a->unit = "Unit A";
    a->host = "www.a.lab";
    a->supported = a->compliant = true;
    a->score = 100;
    a->check[V6M_W4].rate = 1;
    a->check[V6M_W4].passed = a->check[V6M_W4].total = 3;
    a->check[V6M_W6].rate = 0.75;
    a->check[V6M_W6].passed = 3;
    a->check[V6M_W6].total = 4;
    a->cname_chain = "www.a.lab -> cdn.a.lab";
    a->addrs_v4 = "192.0.2.1";
    a->addrs_v6 = "3ffe:1::1 3ffe:1::2";
    a->zone = "a.lab";
    a->ns_total = 3;
    a->ns_v6 = 2;
    a->ns_v6_answering = 2;
    f->h6[0] = (struct v6m_hop){"http://www.a.lab/", 6, "3ffe:1::1", 302, ""};
    f->h6[1] = (struct v6m_hop){"https://www.a.lab/", 6, "3ffe:1::1", 200, ""};
    f->h4[0] = (struct v6m_hop){"http://www.a.lab/", 4, "192.0.2.1", 200, ""};
    a->hops_v6 = f->h6;
    a->n_hops_v6 = 2;
    a->hops_v4 = f->h4;
    a->n_hops_v4 = 1;
    a->status_v6 = 200;
    a->status_v4 = 200;
    a->attempts = 3;
    a->attempts_ok = 3;
    a->similarity_distance = 4;
    a->links_only_v4 = 1;
    a->links_only_v6 = 0;
    a->links_common = 20;
    a->l2_found = 150;
    a->l3_found = 900;
    a->l2_total = 4;
    a->l2_pass = 3;
    a->l3_total = 2;
    a->l3_pass = 2;
    a->link_concentration = 6.0 / 7.0;
    a->res_total = 2;
    a->res_v6_ok = 1;
    a->res_bytes = 5000000000ull; /* > 2^32 */
    a->res_bytes_v6 = 1250000000ull;
    a->resource_concentration = 0.25;
    a->ipv6_only_ready = false;
    a->ipv6_only_blockers = "img.v4only.lab";
    f->urls[0] = (struct v6m_url_result){"https://www.a.lab/l2a", "www.a.lab", 2, true, true,
                                         200, "", ""};
    f->urls[1] = (struct v6m_url_result){"https://old.a.lab/l2b", "old.a.lab", 2, false, false,
                                         0, "NO_AAAA", "no AAAA for old.a.lab"};
    f->urls[2] = (struct v6m_url_result){"https://www.a.lab/l3", "www.a.lab", 3, true, true,
                                         200, "", ""};
    a->urls = f->urls;
    a->n_urls = 3;
    f->res[0] = (struct v6m_resource){"https://www.a.lab/app.js", "www.a.lab", V6M_RES_SCRIPT,
                                      6, true, 1250000000ull, ""};
    f->res[1] = (struct v6m_resource){"http://img.v4only.lab/x.png", "img.v4only.lab",
                                      V6M_RES_IMG, 4, false, 3750000000ull,
                                      "no AAAA for img.v4only.lab"};
    a->resources = f->res;
    a->n_resources = 2;
    a->started_ns = 1764160000000000000ull; /* 2025-11-26T12:26:40Z */
    a->duration_ns = 2500400000ull;         /* 2500.4 ms -> 2500 */

    struct v6m_site_result *b = &f->s[1];
    site_min(b, "\xe4\xb8\x8a\xe6\xb5\xb7 B", "http://www.b.lab/");
    b->category = "edu";
    b->host = "www.b.lab";
    b->check[V6M_W1].state = V6M_CHECK_FAIL;
    snprintf(b->check[V6M_W1].code, sizeof(b->check[V6M_W1].code), "W1_NO_AAAA");
    b->check[V6M_W1].message = "no AAAA for www.b.lab";
    b->check[V6M_W1].evidence = EVIDENCE;
    b->check[V6M_W3].state = V6M_CHECK_FAIL;
    snprintf(b->check[V6M_W3].code, sizeof(b->check[V6M_W3].code), "W1_NO_AAAA");
    b->check[V6M_W2].state = V6M_CHECK_NOT_TESTABLE;
    b->check[V6M_W5].state = V6M_CHECK_SKIPPED;
    b->check[V6M_W4].state = V6M_CHECK_FAIL;
    b->check[V6M_W4].rate = 0;
    b->check[V6M_W4].total = 3;
    b->score = 12.5;
    b->status_v4 = 200;
    b->duration_ns = 499999; /* rounds to 0 ms */
}

struct app {
    struct v6m_app_domain d[2];
    struct v6m_app_result a;
};

static void build_app(struct app *x)
{
    memset(x, 0, sizeof(*x));
    x->d[0] = (struct v6m_app_domain){"api.chat.lab", true, true, 404, "3ffe:2::1", "", ""};
    x->d[1] = (struct v6m_app_domain){"cdn.chat.lab", false, false, 0, "", "NO_AAAA",
                                      "only A: 192.0.2.9"};
    x->a = (struct v6m_app_result){"ChatApp", "social", true, false, 2, 1, x->d, 2,
                                   1500000000ull};
}

static struct v6m_probe_info info_fixture(void)
{
    struct v6m_probe_info in;
    memset(&in, 0, sizeof(in));
    in.started_ns = 1764160000000000000ull;
    in.seed = 0; /* not known yet at begin */
    in.resolver = "";
    in.sites_total = 2;
    in.apps_total = 1;
    return in;
}

static struct v6m_probe_info info_final(void)
{
    struct v6m_probe_info in = info_fixture();
    in.finished_ns = 1764160042000000000ull; /* 2025-11-26T12:27:22Z */
    in.seed = 18446744073709551557ull;
    in.resolver = "3ffe:53::53";
    in.vantage.checked = true;
    in.vantage.v4_ok = true;
    in.vantage.v6_ok = false;
    snprintf(in.vantage.detail, sizeof(in.vantage.detail), "no canary over IPv6");
    in.sites_done = 2;
    in.apps_done = 1;
    in.interrupted = true;
    in.dns_queries = 77;
    in.dns_timeouts = 1;
    in.http_requests = 31;
    in.http_failures = 4;
    in.bytes = 123456;
    return in;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_run_read_back(void **state)
{
    (void)state;
    char path[128], eb[256];
    db_path(path, sizeof(path), "run.db");
    v6m_store *st;
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_OK);
    /* 3 added the probe tables; 4 (kpi) keeps them as they are */
    assert_true(v6m_store_schema_version() >= 3);
    assert_int_equal(v6m_store_db_version(st), v6m_store_schema_version());

    struct sites f;
    struct app ap;
    build_sites(&f);
    build_app(&ap);
    struct v6m_probe_info in0 = info_fixture();
    int64_t run = 0;
    assert_int_equal(v6m_store_probe_begin(st, &in0, "{\"attempts\":3}", &run), V6M_OK);
    assert_true(run > 0);
    /* The run row is committed at begin: another connection sees it. */
    sqlite3 *db = raw_open(path);
    assert_int_equal(q_int(db, "SELECT complete FROM probe_runs"), 0);
    assert_int_equal(v6m_store_probe_site(st, run, &f.s[0]), V6M_OK);
    assert_int_equal(v6m_store_probe_site(st, run, &f.s[1]), V6M_OK);
    assert_int_equal(v6m_store_probe_app(st, run, &ap.a), V6M_OK);
    struct v6m_probe_info in = info_final();
    assert_int_equal(v6m_store_probe_end(st, run, &in), V6M_OK);
    v6m_store_close(st);

    char sql[512];
    /* probe_runs */
    expect_text(db, "SELECT started_utc || '|' || finished_utc || '|' || seed || '|' || "
                    "resolver || '|' || vantage_checked || vantage_v4 || vantage_v6 || '|' || "
                    "vantage_detail || '|' || config || '|' || sites_total || sites_done || "
                    "apps_total || apps_done || '|' || interrupted || complete || '|' || "
                    "dns_queries || ',' || dns_timeouts || ',' || http_requests || ',' || "
                    "http_failures || ',' || bytes FROM probe_runs",
                "2025-11-26T12:26:40Z|2025-11-26T12:27:22Z|18446744073709551557|3ffe:53::53|"
                "110|no canary over IPv6|{\"attempts\":3}|2211|11|77,1,31,4,123456");
    /* the run records the schema version that wrote it */
    assert_int_equal(q_int(db, "SELECT schema_version FROM probe_runs"),
                     v6m_store_schema_version());
    assert_true(q_int(db, "SELECT length(tool_version) FROM probe_runs") > 0);
    assert_int_equal(q_int(db, "SELECT started_ns FROM probe_runs"), 1764160000000000000ll);

    /* probe_sites: site A, every column. */
    expect_text(db, "SELECT name || '|' || url || '|' || category || '|' || unit || '|' || host "
                    "|| '|' || testable || supported || compliant || '|' || score || '|' || "
                    "w1 || w2 || w3 || w4 || w5 || w6 || w7 || '|' || w4_rate || ',' || "
                    "w6_rate || ',' || ifnull(w7_rate, 'NULL') FROM probe_sites WHERE url = "
                    "'http://www.a.lab/'",
                "Alpha|http://www.a.lab/|gov|Unit A|www.a.lab|111|100.0|"
                "passpasspasspasspasspasspass|1.0,0.75,NULL");
    /* w7 rate: -1 in the struct -> NULL. */
    assert_int_equal(q_int(db, "SELECT w7_rate IS NULL FROM probe_sites WHERE name = 'Alpha'"),
                     1);
    expect_text(db, "SELECT status_v6 || ',' || status_v4 || ',' || attempts || ',' || "
                    "attempts_ok || ',' || similarity || ',' || links_only_v4 || ',' || "
                    "links_only_v6 || ',' || links_common || ',' || l2_found || ',' || "
                    "l3_found || ',' || l2_total || ',' || l2_pass || ',' || l3_total || ',' "
                    "|| l3_pass || ',' || res_total || ',' || res_v6_ok || ',' || res_bytes || "
                    "',' || res_bytes_v6 || ',' || res_conc || ',' || ipv6_only_ready || ',' "
                    "|| ipv6_only_blockers FROM probe_sites WHERE name = 'Alpha'",
                "200,200,3,3,4,1,0,20,150,900,4,3,2,2,2,1,5000000000,1250000000,0.25,0,"
                "img.v4only.lab");
    assert_int_equal(q_int(db, "SELECT abs(link_conc - 6.0/7.0) < 1e-12 FROM probe_sites "
                               "WHERE name = 'Alpha'"),
                     1);
    expect_text(db, "SELECT zone || '|' || ns_total || ns_v6 || ns_v6_answering || '|' || "
                    "addrs_v4 || '|' || addrs_v6 || '|' || cname_chain || '|' || started_utc "
                    "|| '|' || started_ns || '|' || duration_ms FROM probe_sites WHERE name = "
                    "'Alpha'",
                "a.lab|322|192.0.2.1|3ffe:1::1 3ffe:1::2|www.a.lab -> cdn.a.lab|"
                "2025-11-26T12:26:40Z|1764160000000000000|2500");
    /* Site B: NULLs where the struct says "no sample". */
    expect_text(db, "SELECT name || '|' || category || '|' || w1 || ',' || w2 || ',' || w3 || "
                    "',' || w4 || ',' || w5 || '|' || w4_rate || '|' || score || '|' || "
                    "(similarity IS NULL) || (link_conc IS NULL) || (res_conc IS NULL) || "
                    "(started_ns IS NULL) || '|' || duration_ms FROM probe_sites WHERE url = "
                    "'http://www.b.lab/'",
                "\xe4\xb8\x8a\xe6\xb5\xb7 B|edu|fail,not_testable,fail,fail,skipped|0.0|12.5|"
                "1111|0");

    /* probe_checks: 7 per site, B's W1 with its evidence byte for byte. */
    assert_int_equal(q_int(db, "SELECT count(*) FROM probe_checks"), 14);
    assert_int_equal(q_int(db, "SELECT count(DISTINCT site_id) FROM probe_checks"), 2);
    expect_text(db, "SELECT state || '|' || code || '|' || message || '|' || (rate IS NULL) || "
                    "'|' || site_url FROM probe_checks c JOIN probe_sites s ON s.id = "
                    "c.site_id WHERE s.name LIKE '%B' AND check_id = 'W1'",
                "fail|W1_NO_AAAA|no AAAA for www.b.lab|1|http://www.b.lab/");
    expect_text(db, "SELECT evidence FROM probe_checks WHERE site_url = 'http://www.b.lab/' "
                    "AND check_id = 'W1'",
                EVIDENCE);
    expect_text(db, "SELECT rate || ',' || passed || ',' || total FROM probe_checks WHERE "
                    "site_url = 'http://www.a.lab/' AND check_id = 'W6'",
                "0.75,3,4");
    expect_text(db, "SELECT group_concat(check_id || '=' || state, ' ') FROM (SELECT * FROM "
                    "probe_checks WHERE site_url = 'http://www.b.lab/' ORDER BY check_id)",
                "W1=fail W2=not_testable W3=fail W4=fail W5=skipped W6=pass W7=pass");

    /* probe_hops */
    expect_text(db, "SELECT group_concat(family || ':' || idx || ':' || url || ':' || address "
                    "|| ':' || status, ' ') FROM (SELECT * FROM probe_hops ORDER BY family "
                    "DESC, idx)",
                "6:0:http://www.a.lab/:3ffe:1::1:302 6:1:https://www.a.lab/:3ffe:1::1:200 "
                "4:0:http://www.a.lab/:192.0.2.1:200");

    /* probe_urls and probe_resources */
    expect_text(db, "SELECT group_concat(level || ',' || host || ',' || has_aaaa || pass || ',' "
                    "|| status || ',' || code, ' ') FROM (SELECT * FROM probe_urls ORDER BY "
                    "url)",
                "2,old.a.lab,00,0,NO_AAAA 2,www.a.lab,11,200, 3,www.a.lab,11,200,");
    expect_text(db, "SELECT detail FROM probe_urls WHERE code = 'NO_AAAA'",
                "no AAAA for old.a.lab");
    expect_text(db, "SELECT group_concat(kind || ',' || family_used || ',' || v6_ok || ',' || "
                    "bytes || ',' || host, ' ') FROM (SELECT * FROM probe_resources ORDER BY "
                    "url)",
                "img,4,0,3750000000,img.v4only.lab script,6,1,1250000000,www.a.lab");
    /* Sum of resource bytes equals the site's total (the I5 byte variant
     * can be computed either way). */
    assert_int_equal(q_int(db, "SELECT sum(bytes) FROM probe_resources"), 5000000000ll);

    /* probe_apps, probe_app_domains */
    expect_text(db, "SELECT name || '|' || category || '|' || testable || supported || '|' || "
                    "n_domains || '/' || n_domains_ok || '|' || duration_ms FROM probe_apps",
                "ChatApp|social|10|2/1|1500");
    expect_text(db, "SELECT group_concat(app || ',' || domain || ',' || has_aaaa || answers_v6 "
                    "|| ',' || status || ',' || addrs_v6 || ',' || code || ',' || detail, ' ; ') "
                    "FROM (SELECT * FROM probe_app_domains ORDER BY domain)",
                "ChatApp,api.chat.lab,11,404,3ffe:2::1,, ; ChatApp,cdn.chat.lab,00,0,,NO_AAAA,"
                "only A: 192.0.2.9");
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM probe_app_domains d JOIN probe_apps a ON "
                               "a.id = d.app_id WHERE a.run_id = %lld", (long long)run);
    assert_int_equal(q_int(db, sql), 2);

    /* The indexes the report needs exist. */
    assert_int_equal(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                               "name IN ('probe_sites_category', 'probe_apps_category', "
                               "'probe_checks_run')"),
                     3);
    /* Deleting the run removes everything (cascade). */
    assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON; DELETE FROM probe_runs",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    const char *tables[] = {"probe_sites", "probe_checks", "probe_hops", "probe_urls",
                            "probe_resources", "probe_apps", "probe_app_domains"};
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
        assert_int_equal(q_int(db, sql), 0);
    }
    sqlite3_close(db);
}

/* Batches: 200 results per commit; flush commits; close commits an open
 * batch of a run that never ended. */
static void test_batches_and_interrupt(void **state)
{
    (void)state;
    char path[128], eb[256];
    db_path(path, sizeof(path), "batch.db");
    v6m_store *st;
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_OK);
    struct sites f;
    build_sites(&f);
    struct v6m_probe_info in = info_fixture();
    int64_t run = 0;
    assert_int_equal(v6m_store_probe_begin(st, &in, NULL, &run), V6M_OK);
    sqlite3 *db = raw_open(path);
    for (int i = 0; i < 250; i++)
        assert_int_equal(v6m_store_probe_site(st, run, &f.s[i & 1]), V6M_OK);
    /* At least the first batch of 200 is visible to another connection
     * (more when a batch grew older than 1 s on a slow machine). */
    int64_t seen = q_int(db, "SELECT count(*) FROM probe_sites");
    assert_true(seen >= 200 && seen <= 250);
    assert_int_equal(v6m_store_probe_flush(st), V6M_OK);
    assert_int_equal(q_int(db, "SELECT count(*) FROM probe_sites"), 250);
    assert_int_equal(q_int(db, "SELECT count(*) FROM probe_checks"), 250 * 7);
    /* Interrupted without end: 5 more, then close. */
    for (int i = 0; i < 5; i++)
        assert_int_equal(v6m_store_probe_site(st, run, &f.s[0]), V6M_OK);
    v6m_store_close(st);
    assert_int_equal(q_int(db, "SELECT count(*) FROM probe_sites"), 255);
    assert_int_equal(q_int(db, "SELECT complete FROM probe_runs"), 0);
    assert_int_equal(q_int(db, "SELECT finished_ns FROM probe_runs"), -1);
    sqlite3_close(db);

    /* A second run in the same database gets its own id and rows. */
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_OK);
    int64_t run2 = 0;
    assert_int_equal(v6m_store_probe_begin(st, &in, NULL, &run2), V6M_OK);
    assert_true(run2 > run);
    assert_int_equal(v6m_store_probe_site(st, run2, &f.s[1]), V6M_OK);
    struct v6m_probe_info fin = info_final();
    assert_int_equal(v6m_store_probe_end(st, run2, &fin), V6M_OK);
    v6m_store_close(st);
    db = raw_open(path);
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM probe_sites WHERE run_id = %lld",
             (long long)run2);
    assert_int_equal(q_int(db, sql), 1);
    snprintf(sql, sizeof(sql), "SELECT complete FROM probe_runs WHERE id = %lld",
             (long long)run);
    assert_int_equal(q_int(db, sql), 0);
    sqlite3_close(db);
}

/* A result that cannot be stored is undone alone: no partial rows, the
 * results before and after it in the same batch stay. */
static void test_failing_result(void **state)
{
    (void)state;
    char path[128], eb[256];
    db_path(path, sizeof(path), "fail.db");
    v6m_store *st;
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_OK);
    struct sites f;
    build_sites(&f);
    struct v6m_probe_info in = info_fixture();
    int64_t run = 0;

    /* Before begin: refused. */
    assert_int_equal(v6m_store_probe_site(st, 1, &f.s[0]), V6M_ERR_INVALID_ARG);
    assert_non_null(strstr(v6m_store_errmsg(st), "no probe run begun"));

    assert_int_equal(v6m_store_probe_begin(st, &in, NULL, &run), V6M_OK);
    assert_int_equal(v6m_store_probe_site(st, run, &f.s[0]), V6M_OK);
    /* A resource with a family the schema refuses (CHECK): the site row,
     * its checks, hops and pages were inserted before it failed and must
     * be undone. */
    struct v6m_site_result bad = f.s[0];
    bad.url = "http://bad.lab/";
    struct v6m_resource badres[2];
    memcpy(badres, f.res, sizeof(badres));
    badres[1].family_used = 5;
    bad.resources = badres;
    assert_int_equal(v6m_store_probe_site(st, run, &bad), V6M_ERR_DB);
    assert_non_null(strstr(v6m_store_errmsg(st), "http://bad.lab/"));
    assert_int_equal(v6m_store_probe_site(st, run, &f.s[1]), V6M_OK);
    /* A site for a run that does not exist: foreign key. */
    assert_int_equal(v6m_store_probe_site(st, run + 100, &f.s[1]), V6M_ERR_DB);
    struct v6m_probe_info fin = info_final();
    assert_int_equal(v6m_store_probe_end(st, run + 100, &fin), V6M_ERR_NOT_FOUND);
    v6m_store_close(st);

    sqlite3 *db = raw_open(path);
    assert_int_equal(q_int(db, "SELECT count(*) FROM probe_sites"), 2);
    assert_int_equal(q_int(db, "SELECT count(*) FROM probe_sites WHERE url = 'http://bad.lab/'"),
                     0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM probe_checks"), 14);
    assert_int_equal(q_int(db, "SELECT count(*) FROM probe_hops"), 3);
    sqlite3_close(db);
}

/* A traffic run stored while a probe batch is open: the batch is
 * committed first, both land. */
static void test_traffic_during_probe(void **state)
{
    (void)state;
    char path[128], eb[256];
    db_path(path, sizeof(path), "mixed.db");
    v6m_store *st;
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_OK);
    struct sites f;
    build_sites(&f);
    struct v6m_probe_info in = info_fixture();
    int64_t run = 0, trun = 0;
    assert_int_equal(v6m_store_probe_begin(st, &in, NULL, &run), V6M_OK);
    assert_int_equal(v6m_store_probe_site(st, run, &f.s[0]), V6M_OK);
    struct v6m_traffic_result res;
    memset(&res, 0, sizeof(res));
    res.bucket_ns = 300000000000ull;
    struct v6m_run_info ri = {.kind = "traffic", .run_key = "t1", .started_ns = 1};
    bool replaced = true;
    assert_int_equal(v6m_store_put_traffic(st, &ri, &res, &trun, &replaced), V6M_OK);
    assert_false(replaced);
    assert_int_equal(v6m_store_probe_site(st, run, &f.s[1]), V6M_OK);
    struct v6m_probe_info fin = info_final();
    assert_int_equal(v6m_store_probe_end(st, run, &fin), V6M_OK);
    v6m_store_close(st);
    sqlite3 *db = raw_open(path);
    assert_int_equal(q_int(db, "SELECT count(*) FROM probe_sites"), 2);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE run_key = 't1'"), 1);
    sqlite3_close(db);
}

/* ---- migrations ------------------------------------------------------------------------ */

/* Version 1 exactly as v6mon wrote it (frozen). */
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

/* The 1 -> 2 step as released (frozen). */
static const char SCHEMA_V2_STEP[] =
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
    " PRIMARY KEY (run_id, name, family)) WITHOUT ROWID;";

static void migrate_from(int version)
{
    char path[128], eb[256], name[32];
    snprintf(name, sizeof(name), "v%d.db", version);
    db_path(path, sizeof(path), name);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                     NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, SCHEMA_V1, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO runs(kind, run_key, schema_version) "
                                  "VALUES ('traffic', 'old-run', 1);"
                                  "INSERT INTO traffic_totals VALUES (1, 'ipv6', 5, 500, 1);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    if (version >= 2) {
        assert_int_equal(sqlite3_exec(db, SCHEMA_V2_STEP, NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db,
                                      "INSERT INTO apps_totals VALUES (1, 'ChatApp', 'social', "
                                      "'all', 'ipv6', 3, 300, 1, 1);",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    }
    char uv[40];
    snprintf(uv, sizeof(uv), "PRAGMA user_version = %d", version);
    assert_int_equal(sqlite3_exec(db, uv, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    v6m_store *st;
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_OK);
    assert_int_equal(v6m_store_db_version(st), v6m_store_schema_version());
    /* The migrated database takes a probe run. */
    struct sites f;
    build_sites(&f);
    struct v6m_probe_info in = info_fixture();
    int64_t run = 0;
    assert_int_equal(v6m_store_probe_begin(st, &in, NULL, &run), V6M_OK);
    assert_int_equal(v6m_store_probe_site(st, run, &f.s[0]), V6M_OK);
    struct v6m_probe_info fin = info_final();
    assert_int_equal(v6m_store_probe_end(st, run, &fin), V6M_OK);
    v6m_store_close(st);

    db = raw_open(path);
    assert_int_equal(q_int(db, "PRAGMA user_version"), v6m_store_schema_version());
    /* Old rows kept; the v2 tables exist (created now when from v1). */
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE run_key = 'old-run'"), 1);
    assert_int_equal(q_int(db, "SELECT bytes FROM traffic_totals WHERE family = 'ipv6'"), 500);
    assert_int_equal(q_int(db, "SELECT count(*) FROM apps_totals"), version >= 2 ? 1 : 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM users_windows"), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM probe_sites"), 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM probe_checks"), 7);
    assert_int_equal(q_int(db, "SELECT count(*) FROM probe_app_domains"), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                               "name LIKE 'probe\\_%' ESCAPE '\\'"),
                     8);
    sqlite3_close(db);

    /* Opening again changes nothing. */
    assert_int_equal(v6m_store_open(path, &st, eb, sizeof(eb)), V6M_OK);
    assert_int_equal(v6m_store_db_version(st), v6m_store_schema_version());
    v6m_store_close(st);
}

static void test_migrate_v1_to_v3(void **state)
{
    (void)state;
    migrate_from(1);
}

static void test_migrate_v2_to_v3(void **state)
{
    (void)state;
    migrate_from(2);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/v6m-test-store-probe-XXXXXX");
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
        cmocka_unit_test(test_run_read_back),
        cmocka_unit_test(test_batches_and_interrupt),
        cmocka_unit_test(test_failing_result),
        cmocka_unit_test(test_traffic_during_probe),
        cmocka_unit_test(test_migrate_v1_to_v3),
        cmocka_unit_test(test_migrate_v2_to_v3),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
