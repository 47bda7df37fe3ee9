/*
 * test_indicators.c - the indicator layer (v6mon/indicators.h) on
 * databases built by hand: the schema comes from the real store
 * (v6m_store_open), the rows are inserted with plain sqlite3 so every
 * byte, bucket time and verdict is known; expected values are worked out
 * here from those rows (never copied from the code's output).
 *
 * Covered: UTC calendar against `date -u` values; window text; ratios of
 * sums where the mean of ratios differs (I2, I5, I7); a bucket at
 * 23:59:59 vs 00:00:00; calendar months incl. February 2023/2024; the
 * rolling 30 days; I1 merging HyperLogLog sketches across days (a
 * subscriber on two days counts once); newest result per site; missing
 * data ("no data", never 0) in the API and in the JSON; segment and
 * category filters; a targets file; an I8 registry; a database without
 * kpi tables; kpi tables with exactly the published schema-4 columns and
 * with the store's own; CDN coverage across vantage points.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <v6mon/hll.h>
#include <v6mon/indicators.h>
#include <v6mon/store.h>

#include "report/indicators_int.h"

static char g_dir[64];

/* Epoch seconds from `date -u -d ... +%s`. */
#define T_2024_01_31_2355 1706745300LL
#define T_2024_02_01 1706745600LL
#define T_2024_02_29 1709164800LL
#define T_2024_02_29_2355 1709250900LL
#define T_2024_03_01 1709251200LL
#define T_2023_02_28_2355 1677628500LL
#define T_2023_03_01 1677628800LL
#define T_2024_03_10_235959 1710115199LL
#define T_2024_03_11 1710115200LL
#define T_2024_03_15_1000 1710496800LL
#define T_2024_02_15 1707955200LL
#define T_2024_02_14_235959 1707955199LL
#define T_2024_03_16 1710547200LL
#define DAY 86400LL

/* ---- database helpers ------------------------------------------------------------ */

/* A file of the source tree (CMake compiles with absolute paths). */
static void src_path(char *out, size_t n, const char *rel)
{
    const char *f = __FILE__, *p = strstr(f, "tests/unit/");
    assert_non_null(p);
    snprintf(out, n, "%.*s%s", (int)(p - f), f, rel);
}

static void db_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", g_dir, name);
}

/* A fresh database with the store's current schema; returns a raw handle. */
static sqlite3 *new_db(const char *name, char *path, size_t n)
{
    db_path(path, n, name);
    unlink(path);
    v6m_store *st = NULL;
    char err[256];
    assert_int_equal(v6m_store_open(path, &st, err, sizeof(err)), V6M_OK);
    v6m_store_close(st);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    return db;
}

static void exec(sqlite3 *db, const char *fmt, ...)
{
    char sql[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

static int64_t traffic_run(sqlite3 *db, const char *key, const char *vantage, int64_t first_s,
                           int64_t last_s)
{
    exec(db,
         "INSERT INTO runs(kind, run_key, vantage, tool_version, first_packet_ns, last_packet_ns, "
         "bucket_seconds, schema_version) VALUES ('traffic', '%s', '%s', 'test-1', %lld, %lld, "
         "300, 4)",
         key, vantage, (long long)first_s * 1000000000LL, (long long)last_s * 1000000000LL);
    return sqlite3_last_insert_rowid(db);
}

static void bucket(sqlite3 *db, int64_t run, int64_t start, const char *seg, long long v4,
                   long long v6)
{
    if (v4)
        exec(db,
             "INSERT INTO traffic_buckets VALUES (%lld, %lld, 300, '%s', 'ipv4', 1, %lld, 1)",
             (long long)run, (long long)start, seg, v4);
    if (v6)
        exec(db,
             "INSERT INTO traffic_buckets VALUES (%lld, %lld, 300, '%s', 'ipv6', 1, %lld, 1)",
             (long long)run, (long long)start, seg, v6);
}

static v6m_indicators *open_ind(const char *path)
{
    v6m_indicators *ind = NULL;
    char err[256];
    if (v6m_indicators_open(path, &ind, err, sizeof(err)) != V6M_OK)
        fail_msg("open %s: %s", path, err);
    return ind;
}

static v6m_scorecard *compute(v6m_indicators *ind, const char *window, int64_t now,
                              const char *segment, const char *category, const char *vantage)
{
    struct v6m_ind_query q;
    char err[256];
    v6m_ind_query_init(&q);
    if (window && v6m_ind_window_parse(&q, window, err, sizeof(err)) != V6M_OK)
        fail_msg("window %s: %s", window, err);
    q.now_s = now;
    q.segment = segment;
    q.category = category;
    q.vantage = vantage;
    v6m_scorecard *sc = NULL;
    if (v6m_indicators_compute(ind, &q, &sc) != V6M_OK)
        fail_msg("compute: %s", v6m_indicators_errmsg(ind));
    return sc;
}

static const struct v6m_indicator *get(const v6m_scorecard *sc, const char *id)
{
    const struct v6m_indicator *i = v6m_scorecard_find(sc, id);
    if (!i)
        fail_msg("no indicator %s", id);
    return i;
}

#define assert_value(ind, expected)                                                       \
    do {                                                                                  \
        assert_true((ind)->has_value);                                                    \
        assert_true(fabs((ind)->value - (expected)) < 1e-12);                             \
    } while (0)

static void assert_no_data(const struct v6m_indicator *ind, const char *reason_part)
{
    assert_false(ind->has_value);
    assert_non_null(ind->no_data);
    if (!strstr(ind->no_data, reason_part))
        fail_msg("%s: reason '%s' lacks '%s'", ind->id, ind->no_data, reason_part);
    assert_false(ind->met);
}

static char *json_of(const v6m_scorecard *sc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(v6m_scorecard_write_json(sc, f, false), V6M_OK);
    fclose(f);
    return buf;
}

/* ---- calendar and window text ----------------------------------------------------- */

static void test_calendar(void **state)
{
    (void)state;
    assert_int_equal(ind_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(ind_days_from_civil(2000, 3, 1) * DAY, 951868800LL);
    assert_int_equal(ind_days_from_civil(2024, 2, 29) * DAY, T_2024_02_29);
    assert_int_equal(ind_days_from_civil(1969, 12, 31) * DAY, -86400LL);
    assert_int_equal(ind_days_from_civil(2100, 3, 1) * DAY, 4107542400LL);
    int64_t y;
    unsigned m, d;
    ind_civil_from_days(T_2024_02_29 / DAY, &y, &m, &d);
    assert_true(y == 2024 && m == 2 && d == 29);
    ind_civil_from_days(-1, &y, &m, &d);
    assert_true(y == 1969 && m == 12 && d == 31);
    /* Month steps: Feb of a leap year, of a common year, December. */
    assert_int_equal(ind_month_next(T_2024_02_01), T_2024_03_01);
    assert_int_equal(ind_month_next(T_2023_03_01 - 28 * DAY), T_2023_03_01);
    assert_int_equal(ind_month_next(1733011200LL), 1735689600LL);
    assert_int_equal(ind_month_floor(T_2024_02_29_2355), T_2024_02_01);
    assert_int_equal(ind_day_floor(T_2024_03_10_235959), T_2024_03_11 - DAY);
    assert_int_equal(ind_day_floor(-1), -DAY);
    char b[16];
    assert_string_equal(ind_format_day(T_2024_02_29_2355, b, sizeof(b)), "2024-02-29");
}

static void test_window_parse(void **state)
{
    (void)state;
    struct v6m_ind_query q;
    char err[256];
    v6m_ind_query_init(&q);
    assert_int_equal(q.window, V6M_IND_WINDOW_30D);
    assert_int_equal(v6m_ind_window_parse(&q, "month", err, sizeof(err)), V6M_OK);
    assert_int_equal(q.window, V6M_IND_WINDOW_MONTH);
    assert_int_equal(v6m_ind_window_parse(&q, "2024-02-01..2024-02-29", err, sizeof(err)),
                     V6M_OK);
    assert_int_equal(q.window, V6M_IND_WINDOW_RANGE);
    assert_int_equal(q.from_s, T_2024_02_01);
    assert_int_equal(q.to_s, T_2024_03_01);
    assert_int_equal(v6m_ind_window_parse(&q, "2024-02", err, sizeof(err)), V6M_OK);
    assert_int_equal(q.from_s, T_2024_02_01);
    assert_int_equal(q.to_s, T_2024_03_01);
    assert_int_equal(v6m_ind_window_parse(&q, "2023-02", err, sizeof(err)), V6M_OK);
    assert_int_equal(q.to_s - q.from_s, 28 * DAY);
    assert_int_equal(v6m_ind_window_parse(&q, "2024-02-29", err, sizeof(err)), V6M_OK);
    assert_int_equal(q.from_s, T_2024_02_29);
    assert_int_equal(q.to_s, T_2024_03_01);
    const char *bad[] = {"2023-02-29", "2024-02-30", "2024-13", "2024-00-01", "week", "",
                         "2024-02-10..2024-02-01", "2024-2-1", "1969-12-31", "2024-02-01..",
                         "2024-02-01...2024-02-02"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (v6m_ind_window_parse(&q, bad[i], err, sizeof(err)) != V6M_ERR_INVALID_ARG)
            fail_msg("window '%s' accepted", bad[i]);
        assert_true(err[0] != '\0');
    }
}

/* ---- traffic ------------------------------------------------------------------------ */

/* Day 1: 900 IPv4 + 100 IPv6 bytes (10%); day 2: 10 + 90 (90%). The ratio
 * of sums is 190 / 1100; the mean of the daily ratios would be 0.5. */
static void test_ratio_of_sums(void **state)
{
    (void)state;
    char path[128];
    sqlite3 *db = new_db("ratio.db", path, sizeof(path));
    int64_t r = traffic_run(db, "k1", "pop1", T_2024_02_01, T_2024_02_01 + DAY + 600);
    bucket(db, r, T_2024_02_01, "mobile", 900, 100);
    bucket(db, r, T_2024_02_01 + DAY, "mobile", 10, 90);
    bucket(db, r, T_2024_02_01, "other", 5, 5); /* not a mobile or metro segment */
    sqlite3_close(db);

    v6m_indicators *ind = open_ind(path);
    v6m_scorecard *sc = compute(ind, "2024-02-01..2024-02-02", 0, NULL, NULL, NULL);
    const struct v6m_indicator *i2 = get(sc, "I2");
    assert_value(i2, 190.0 / 1100.0);
    assert_true(fabs(i2->value - 0.5) > 0.3); /* not the mean of ratios */
    assert_true(i2->numerator == 190 && i2->denominator == 1100);
    assert_true(i2->has_target && i2->target == 0.5);
    assert_true(fabs(i2->gap - (0.5 - 190.0 / 1100.0)) < 1e-12);
    assert_false(i2->met);
    assert_string_equal(i2->trend_step, "day");
    assert_int_equal(i2->n_trend, 2);
    assert_true(fabs(i2->trend[0].value - 0.1) < 1e-12);
    assert_true(fabs(i2->trend[1].value - 0.9) < 1e-12);
    assert_int_equal(i2->trend[0].start_s, T_2024_02_01);
    assert_int_equal(i2->coverage.n_runs, 1);
    assert_int_equal(i2->coverage.runs[0].id, r);
    assert_int_equal(i2->coverage.samples, 2); /* two buckets */
    assert_int_equal(i2->coverage.n_vantages, 1);
    assert_string_equal(i2->coverage.vantages[0], "pop1");
    assert_string_equal(i2->coverage.tool_versions[0], "test-1");
    assert_string_equal(i2->group_by, "segment");
    assert_int_equal(i2->n_groups, 1);
    assert_string_equal(i2->groups[0].name, "mobile");
    /* Metro had nothing: no data, not 0. */
    assert_no_data(get(sc, "I3"), "no IPv4 or IPv6 traffic on the metro");
    /* The segment table has every segment. */
    size_t n;
    const struct v6m_ind_group *segs = v6m_scorecard_segments(sc, &n);
    assert_int_equal(n, 2);
    assert_string_equal(segs[0].name, "mobile");
    assert_string_equal(segs[1].name, "other");
    assert_true(segs[1].has_value && fabs(segs[1].value - 0.5) < 1e-12);
    /* JSON: numbers as numbers, no data as null with a reason. */
    char *js = json_of(sc);
    assert_non_null(strstr(js, "\"schema\":\"v6mon.scorecard/1\""));
    assert_non_null(strstr(js, "{\"id\":\"I2\",\"key\":\"mobile_ipv6_traffic_share\","
                               "\"unit\":\"share\",\"value\":0.172727272727273,\"no_data\":null,"
                               "\"no_data_zh\":null,\"numerator\":190,\"denominator\":1100"));
    assert_non_null(strstr(js, "{\"id\":\"I3\",\"key\":\"metro_ipv6_traffic_share\","
                               "\"unit\":\"share\",\"value\":null,\"no_data\":\"no IPv4"));
    /* The same sentences in Chinese, picked by the language tag. */
    const struct v6m_indicator *i3 = get(sc, "I3");
    assert_non_null(strstr(v6m_indicator_coverage_text(i2, "zh"), "个时间桶"));
    assert_non_null(strstr(v6m_indicator_coverage_text(i2, "en"), " buckets in "));
    assert_non_null(strstr(v6m_indicator_coverage_text(i3, "zh"), "没有IPv4或IPv6流量"));
    assert_string_equal(v6m_indicator_coverage_text(i3, "fr"), i3->no_data);
    assert_non_null(strstr(js, "\"window\":{\"kind\":\"range\",\"label\":\"2024-02-01..2024-02-02\","
                               "\"from\":\"2024-02-01\",\"to\":\"2024-02-02\""));
    free(js);
    v6m_scorecard_free(sc);

    /* Segment filter: metro is not a mobile segment; mobile alone is the same I2. */
    sc = compute(ind, "2024-02-01..2024-02-02", 0, "metro", NULL, NULL);
    assert_no_data(get(sc, "I2"), "not a mobile segment");
    v6m_scorecard_free(sc);
    sc = compute(ind, "2024-02-01..2024-02-02", 0, "mobile", NULL, NULL);
    assert_value(get(sc, "I2"), 190.0 / 1100.0);
    v6m_scorecard_free(sc);
    /* Category filter: not for traffic. */
    sc = compute(ind, "2024-02-01..2024-02-02", 0, NULL, "government", NULL);
    assert_no_data(get(sc, "I2"), "category filter");
    assert_no_data(get(sc, "I1"), "category filter");
    v6m_scorecard_free(sc);
    /* Vantage filter. */
    sc = compute(ind, "2024-02-01..2024-02-02", 0, NULL, NULL, "pop2");
    assert_no_data(get(sc, "I2"), "no IPv4 or IPv6 traffic");
    v6m_scorecard_free(sc);
    v6m_indicators_close(ind);
}

static void test_day_boundary(void **state)
{
    (void)state;
    char path[128];
    sqlite3 *db = new_db("day.db", path, sizeof(path));
    int64_t r = traffic_run(db, "k1", "", T_2024_03_10_235959, T_2024_03_11);
    /* One-second buckets (aligned to any width dividing a day). */
    exec(db, "INSERT INTO traffic_buckets VALUES (%lld, %lld, 1, 'mobile', 'ipv6', 1, 100, 1)",
         (long long)r, (long long)T_2024_03_10_235959);
    exec(db, "INSERT INTO traffic_buckets VALUES (%lld, %lld, 1, 'mobile', 'ipv4', 1, 300, 1)",
         (long long)r, (long long)T_2024_03_11);
    sqlite3_close(db);
    v6m_indicators *ind = open_ind(path);
    v6m_scorecard *sc = compute(ind, "day", T_2024_03_11 - 3600, NULL, NULL, NULL);
    assert_value(get(sc, "I2"), 1.0);
    assert_true(get(sc, "I2")->met);
    assert_string_equal(v6m_scorecard_info(sc)->label, "2024-03-10");
    v6m_scorecard_free(sc);
    sc = compute(ind, "day", T_2024_03_11, NULL, NULL, NULL);
    assert_value(get(sc, "I2"), 0.0); /* measured: 0 IPv6 bytes of 300 */
    v6m_scorecard_free(sc);
    /* The default reference time is the newest data: the 00:00:00 bucket. */
    sc = compute(ind, "day", 0, NULL, NULL, NULL);
    const struct v6m_scorecard_info *in = v6m_scorecard_info(sc);
    assert_true(in->now_from_data);
    assert_int_equal(in->now_s, T_2024_03_11);
    assert_string_equal(in->label, "2024-03-11");
    assert_value(get(sc, "I2"), 0.0);
    v6m_scorecard_free(sc);
    /* A day without data is "no data", not 0. */
    sc = compute(ind, "day", T_2024_03_11 + 5 * DAY, NULL, NULL, NULL);
    assert_no_data(get(sc, "I2"), "no IPv4 or IPv6 traffic");
    v6m_scorecard_free(sc);
    v6m_indicators_close(ind);
}

static void test_month_boundaries(void **state)
{
    (void)state;
    char path[128];
    sqlite3 *db = new_db("month.db", path, sizeof(path));
    int64_t r = traffic_run(db, "k1", "", T_2023_02_28_2355, T_2024_03_01);
    bucket(db, r, T_2024_01_31_2355, "metro", 0, 1000);   /* January */
    bucket(db, r, T_2024_02_01, "metro", 300, 0);         /* February, first bucket */
    bucket(db, r, T_2024_02_29_2355, "metro", 0, 100);    /* February, last bucket */
    bucket(db, r, T_2024_03_01, "metro", 5000, 0);        /* March */
    bucket(db, r, T_2023_02_28_2355, "metro", 1, 3);      /* February 2023, last bucket */
    bucket(db, r, T_2023_03_01, "metro", 1000, 0);        /* March 2023 */
    sqlite3_close(db);
    v6m_indicators *ind = open_ind(path);

    v6m_scorecard *sc = compute(ind, "month", T_2024_02_29 + 100, NULL, NULL, NULL);
    const struct v6m_indicator *i3 = get(sc, "I3");
    assert_value(i3, 100.0 / 400.0);
    assert_true(i3->met); /* target 15% */
    assert_int_equal(i3->n_trend, 29);
    assert_true(i3->trend[0].has_value && fabs(i3->trend[0].value) < 1e-12);
    assert_false(i3->trend[1].has_value);
    assert_true(i3->trend[28].has_value && fabs(i3->trend[28].value - 1.0) < 1e-12);
    assert_int_equal(i3->trend[28].end_s, T_2024_03_01);
    assert_string_equal(v6m_scorecard_info(sc)->label, "2024-02");
    assert_int_equal(v6m_scorecard_info(sc)->from_s, T_2024_02_01);
    assert_int_equal(v6m_scorecard_info(sc)->to_s, T_2024_03_01);
    v6m_scorecard_free(sc);

    sc = compute(ind, "2023-02", 0, NULL, NULL, NULL);
    i3 = get(sc, "I3");
    assert_value(i3, 3.0 / 4.0);
    assert_int_equal(i3->n_trend, 28);
    v6m_scorecard_free(sc);

    /* Long windows trend by month, clipped to the window. */
    sc = compute(ind, "2024-01-15..2024-03-01", 0, NULL, NULL, NULL);
    i3 = get(sc, "I3");
    assert_string_equal(i3->trend_step, "day"); /* 47 days */
    v6m_scorecard_free(sc);
    sc = compute(ind, "2023-02-28..2024-03-01", 0, NULL, NULL, NULL);
    i3 = get(sc, "I3");
    assert_string_equal(i3->trend_step, "month");
    assert_int_equal(i3->n_trend, 14); /* Feb 28 2023, Mar 2023 .. Feb 2024, Mar 1 2024 */
    assert_int_equal(i3->trend[0].start_s, T_2023_02_28_2355 - (23 * 3600 + 55 * 60));
    assert_int_equal(i3->trend[0].end_s, T_2023_03_01);
    assert_true(fabs(i3->trend[0].value - 0.75) < 1e-12);
    assert_true(fabs(i3->trend[1].value) < 1e-12);                     /* March 2023 */
    assert_false(i3->trend[2].has_value);                              /* April 2023 */
    assert_true(fabs(i3->trend[11].value - 1.0) < 1e-12);              /* January 2024 */
    assert_true(fabs(i3->trend[12].value - 0.25) < 1e-12);             /* February 2024 */
    assert_int_equal(i3->trend[13].start_s, T_2024_03_01);             /* March 1 only */
    assert_int_equal(i3->trend[13].end_s, T_2024_03_01 + DAY);
    assert_value(i3, (3.0 + 1000 + 100) / (4.0 + 1000 + 1000 + 300 + 100 + 5000));
    v6m_scorecard_free(sc);

    /* 'all': the whole data, by month. */
    sc = compute(ind, "all", 0, NULL, NULL, NULL);
    assert_value(get(sc, "I3"), (3.0 + 1000 + 100) / (4.0 + 1000 + 1000 + 300 + 100 + 5000));
    assert_string_equal(v6m_scorecard_info(sc)->step, "month");
    v6m_scorecard_free(sc);
    v6m_indicators_close(ind);
}

static void test_rolling_30d(void **state)
{
    (void)state;
    char path[128];
    sqlite3 *db = new_db("rolling.db", path, sizeof(path));
    int64_t r = traffic_run(db, "k1", "", T_2024_02_14_235959, T_2024_03_16);
    exec(db, "INSERT INTO traffic_buckets VALUES (%lld, %lld, 1, 'mobile', 'ipv6', 1, 7, 1)",
         (long long)r, (long long)T_2024_02_14_235959);                  /* out */
    bucket(db, r, T_2024_02_15, "mobile", 10, 30);                         /* in: first day */
    bucket(db, r, T_2024_03_16 - 3600, "mobile", 40, 20);                  /* in: last day */
    bucket(db, r, T_2024_03_16, "mobile", 1000, 0);                        /* out */
    sqlite3_close(db);
    v6m_indicators *ind = open_ind(path);
    v6m_scorecard *sc = compute(ind, "30d", T_2024_03_15_1000, NULL, NULL, NULL);
    const struct v6m_scorecard_info *in = v6m_scorecard_info(sc);
    assert_int_equal(in->from_s, T_2024_02_15);
    assert_int_equal(in->to_s, T_2024_03_16);
    assert_string_equal(in->label, "2024-02-15..2024-03-15");
    const struct v6m_indicator *i2 = get(sc, "I2");
    assert_value(i2, 50.0 / 100.0);
    assert_int_equal(i2->n_trend, 30);
    assert_true(fabs(i2->trend[0].value - 0.75) < 1e-12);
    assert_true(fabs(i2->trend[29].value - 1.0 / 3.0) < 1e-12);
    v6m_scorecard_free(sc);
    v6m_indicators_close(ind);
}

/* Two runs of one vantage point that overlap in time are added, and the
 * coverage says so; another vantage point is kept apart. */
static void test_overlap_note(void **state)
{
    (void)state;
    char path[128];
    sqlite3 *db = new_db("overlap.db", path, sizeof(path));
    int64_t a = traffic_run(db, "a", "pop1", T_2024_02_01, T_2024_02_01 + 3600);
    int64_t b = traffic_run(db, "b", "pop1", T_2024_02_01, T_2024_02_01 + 3600);
    int64_t c = traffic_run(db, "c", "pop2", T_2024_02_01, T_2024_02_01 + 3600);
    bucket(db, a, T_2024_02_01, "mobile", 10, 10);
    bucket(db, b, T_2024_02_01, "mobile", 10, 10);
    bucket(db, c, T_2024_02_01, "mobile", 20, 0);
    sqlite3_close(db);
    v6m_indicators *ind = open_ind(path);
    v6m_scorecard *sc = compute(ind, "day", 0, NULL, NULL, NULL);
    const struct v6m_indicator *i2 = get(sc, "I2");
    assert_value(i2, 20.0 / 60.0);
    assert_int_equal(i2->coverage.n_runs, 3);
    assert_int_equal(i2->coverage.n_vantages, 2);
    assert_int_equal(i2->coverage.n_notes, 1);
    assert_non_null(strstr(i2->coverage.notes[0], "overlap"));
    v6m_scorecard_free(sc);
    sc = compute(ind, "day", 0, NULL, NULL, "pop2");
    assert_value(get(sc, "I2"), 0.0);
    assert_int_equal(get(sc, "I2")->coverage.n_notes, 0);
    v6m_scorecard_free(sc);
    v6m_indicators_close(ind);
}

/* ---- I1: sketches merge ----------------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
    /* splitmix64 finaliser: a well-mixed hash of a small user number */
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static size_t sketch(const int *users, size_t n, uint8_t *out, size_t cap)
{
    v6m_hll *h = malloc(sizeof(*h));
    v6m_hll_init(h);
    for (size_t i = 0; i < n; i++)
        v6m_hll_add_hash(h, mix((uint64_t)users[i]));
    size_t len = v6m_hll_serialize(h, out, cap);
    free(h);
    return len;
}

static void user_day(sqlite3 *db, int64_t run, int64_t day, const char *seg, const int *q4,
                     size_t n4, const int *q6, size_t n6, long long active, long long v6active,
                     int exact)
{
    uint8_t b4[12296], b6[12296];
    size_t l4 = sketch(q4, n4, b4, sizeof(b4)), l6 = sketch(q6, n6, b6, sizeof(b6));
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO users_windows(run_id, window, start_s, "
                                        "end_s, segment, mode, seen, active, ipv6_active, "
                                        "holding_ipv6, dual, ipv4_only, ipv6_only, exact, "
                                        "hll_q4, hll_q6) VALUES (?1, 'day', ?2, ?3, ?4, 'gtp', "
                                        "?5, ?5, ?6, ?6, 0, 0, 0, ?7, ?8, ?9)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int64(st, 2, day);
    sqlite3_bind_int64(st, 3, day + DAY);
    sqlite3_bind_text(st, 4, seg, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, active);
    sqlite3_bind_int64(st, 6, v6active);
    sqlite3_bind_int(st, 7, exact);
    if (n4)
        sqlite3_bind_blob(st, 8, b4, (int)l4, SQLITE_STATIC);
    if (n6)
        sqlite3_bind_blob(st, 9, b6, (int)l6, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}

/* Day 1: users 1..6 active (IPv4 flows), 1..3 also over IPv6. Day 2
 * (another run, another collector): users 1..3 over IPv6 again, user 7
 * over IPv4. The union: 7 active, 3 IPv6-active: 3/7. Adding the days'
 * counts would give 6/10. */
static void test_users_merge(void **state)
{
    (void)state;
    char path[128];
    sqlite3 *db = new_db("users.db", path, sizeof(path));
    int64_t r1 = traffic_run(db, "u1", "pop1", T_2024_02_01, T_2024_02_01 + 3600);
    int64_t r2 = traffic_run(db, "u2", "pop2", T_2024_02_01 + DAY, T_2024_02_01 + DAY + 60);
    const int d1_q4[] = {1, 2, 3, 4, 5, 6}, d1_q6[] = {1, 2, 3};
    const int d2_q4[] = {7}, d2_q6[] = {1, 2, 3};
    user_day(db, r1, T_2024_02_01, "all", d1_q4, 6, d1_q6, 3, 6, 3, 1);
    user_day(db, r1, T_2024_02_01, "mobile", d1_q4, 6, d1_q6, 3, 6, 3, 1);
    user_day(db, r2, T_2024_02_01 + DAY, "all", d2_q4, 1, d2_q6, 3, 4, 3, 1);
    user_day(db, r2, T_2024_02_01 + DAY, "metro", d2_q4, 1, d2_q6, 3, 4, 3, 1);
    sqlite3_close(db);
    v6m_indicators *ind = open_ind(path);

    v6m_scorecard *sc = compute(ind, "month", T_2024_02_01, NULL, NULL, NULL);
    const struct v6m_indicator *i1 = get(sc, "I1");
    assert_true(i1->has_value);
    assert_true(i1->numerator == 3 && i1->denominator == 7);
    assert_value(i1, 3.0 / 7.0);
    assert_true(i1->coverage.estimated);
    assert_int_equal(i1->coverage.n_runs, 2);
    assert_int_equal(i1->coverage.samples, 7);
    /* Trend: each day alone has one row: its own counts. */
    assert_true(i1->trend[0].numerator == 3 && i1->trend[0].denominator == 6);
    assert_true(i1->trend[1].numerator == 3 && i1->trend[1].denominator == 4);
    assert_false(i1->trend[2].has_value);
    /* Per segment (window): mobile 3/6, metro 3/4. */
    assert_int_equal(i1->n_groups, 2);
    assert_string_equal(i1->groups[0].name, "mobile");
    assert_true(i1->groups[0].numerator == 3 && i1->groups[0].denominator == 6);
    v6m_scorecard_free(sc);

    /* One exact day row: its counts, not an estimate. */
    sc = compute(ind, "day", T_2024_02_01, NULL, NULL, NULL);
    i1 = get(sc, "I1");
    assert_true(i1->numerator == 3 && i1->denominator == 6);
    assert_false(i1->coverage.estimated);
    v6m_scorecard_free(sc);

    /* Segment filter: that segment's rows. */
    sc = compute(ind, "month", T_2024_02_01, "metro", NULL, NULL);
    i1 = get(sc, "I1");
    assert_true(i1->numerator == 3 && i1->denominator == 4);
    v6m_scorecard_free(sc);
    v6m_indicators_close(ind);
}

/* ---- probe sites ------------------------------------------------------------------------ */

static int64_t probe_run(sqlite3 *db, int64_t started_s, const char *config)
{
    exec(db,
         "INSERT INTO probe_runs(started_ns, tool_version, config, complete, schema_version) "
         "VALUES (%lld, 'test-1', '%s', 1, 4)",
         (long long)started_s * 1000000000LL, config);
    return sqlite3_last_insert_rowid(db);
}

struct site {
    const char *url, *category;
    int testable, supported, compliant, w3_pass, crawled;
    int l2_total, l2_pass, l3_total, l3_pass;
    long long res, res6;
    double score;
};

static int64_t site(sqlite3 *db, int64_t run, int64_t t, const struct site *s)
{
    exec(db,
         "INSERT INTO probe_sites(run_id, name, url, category, unit, host, testable, supported, "
         "compliant, score, w1, w2, w3, w4, w5, w6, w7, status_v6, status_v4, attempts, "
         "attempts_ok, links_only_v4, links_only_v6, links_common, l2_found, l3_found, l2_total, "
         "l2_pass, l3_total, l3_pass, link_conc, res_total, res_v6_ok, res_bytes, res_bytes_v6, "
         "ipv6_only_ready, ipv6_only_blockers, zone, ns_total, ns_v6, ns_v6_answering, addrs_v4, "
         "addrs_v6, cname_chain, started_ns, duration_ms) VALUES (%lld, 'name of %s', '%s', "
         "'%s', 'unit', 'host', %d, %d, %d, %g, 'pass', 'pass', '%s', 'pass', 'pass', 'pass', "
         "'pass', 200, 200, 3, 3, 0, 0, 0, 0, 0, %d, %d, %d, %d, %s, 0, 0, %lld, %lld, 0, '', '', "
         "0, 0, 0, '', '', '', %lld, 10)",
         (long long)run, s->url, s->url, s->category, s->testable, s->supported, s->compliant,
         s->score, s->w3_pass ? "pass" : "fail", s->l2_total, s->l2_pass, s->l3_total,
         s->l3_pass, s->crawled ? "0.5" : "NULL", s->res, s->res6, (long long)t * 1000000000LL);
    return sqlite3_last_insert_rowid(db);
}

static void check_fail(sqlite3 *db, int64_t run, int64_t site_id, const char *check,
                       const char *code, const char *msg)
{
    exec(db,
         "INSERT INTO probe_checks VALUES (%lld, %lld, 'u', '%s', 'fail', NULL, 0, 1, '%s', "
         "'%s', '')",
         (long long)run, (long long)site_id, check, code, msg);
}

static void test_sites(void **state)
{
    (void)state;
    char path[128];
    sqlite3 *db = new_db("sites.db", path, sizeof(path));
    int64_t t1 = T_2024_02_01 + 3600, t2 = T_2024_02_01 + 5 * DAY;
    int64_t p1 = probe_run(db, t1, "{}");
    int64_t p2 = probe_run(db, t2, "{\"vantage\":\"lab\"}");
    /* a.gov: unsupported in the older run, supported in the newer. */
    struct site a_old = {"https://a.gov/", "government", 1, 0, 0, 0, 1, 4, 0, 5, 0, 10, 0, 20};
    struct site a_new = {"https://a.gov/", "government", 1, 1, 0, 1, 1, 4, 3, 5, 1, 1000, 600,
                         80};
    /* b.gov: no AAAA, crawled over IPv4 only. */
    struct site b = {"https://b.gov/", "government", 1, 0, 0, 0, 1, 2, 0, 0, 0, 3000, 0, 10};
    /* c.bank: not testable; d.bank: supported, compliant, not crawled. */
    struct site c = {"https://c.bank/", "finance", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    struct site d = {"https://d.bank/", "finance", 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 100};
    int64_t s_aold = site(db, p1, t1, &a_old);
    check_fail(db, p1, s_aold, "W1", "NO_AAAA", "old");
    site(db, p2, t2, &a_new);
    int64_t sb = site(db, p2, t2 + 1, &b);
    check_fail(db, p2, sb, "W1", "NO_AAAA", "no AAAA for b.gov");
    check_fail(db, p2, sb, "W3", "NO_ADDRESS", "no IPv6 address");
    site(db, p2, t2 + 2, &c);
    site(db, p2, t2 + 3, &d);
    sqlite3_close(db);

    v6m_indicators *ind = open_ind(path);
    v6m_scorecard *sc = compute(ind, "month", 0, NULL, NULL, NULL);
    /* I4: a (newest: yes), b (no), d (yes); c not testable. */
    const struct v6m_indicator *i4 = get(sc, "I4");
    assert_true(i4->numerator == 2 && i4->denominator == 3);
    assert_false(i4->met);
    assert_int_equal(i4->coverage.n_notes, 1);
    assert_non_null(strstr(i4->coverage.notes[0], "not testable"));
    /* I5: a 5 of 10 pages, b 0 of 3 (ratio of sums 5/13; mean of ratios 0.25). */
    const struct v6m_indicator *i5 = get(sc, "I5");
    assert_true(i5->numerator == 5 && i5->denominator == 13);
    const struct v6m_indicator *i5r = get(sc, "I5.resource_bytes");
    assert_true(i5r->numerator == 600 && i5r->denominator == 4000);
    assert_value(i5r, 0.15);
    /* Per category. */
    assert_string_equal(i4->group_by, "category");
    assert_int_equal(i4->n_groups, 2);
    for (size_t i = 0; i < i4->n_groups; i++) {
        const struct v6m_ind_group *g = &i4->groups[i];
        if (strcmp(g->name, "finance") == 0)
            assert_true(g->numerator == 1 && g->denominator == 1 && g->met);
        else
            assert_true(g->numerator == 1 && g->denominator == 2 && !g->met);
    }
    /* Trend: the older run's day has a alone (unsupported), the newer day a, b, d. */
    assert_true(i4->trend[0].numerator == 0 && i4->trend[0].denominator == 1);
    assert_true(i4->trend[5].numerator == 2 && i4->trend[5].denominator == 3);
    /* The 通报 table: newest per site, laggards first, with the failing checks. */
    size_t n;
    const struct v6m_ind_site *s = v6m_scorecard_sites(sc, &n);
    assert_int_equal(n, 4);
    assert_string_equal(s[0].category, "finance");
    assert_string_equal(s[0].url, "https://c.bank/");
    assert_string_equal(s[2].url, "https://b.gov/");
    assert_int_equal(s[2].n_checks, 2);
    assert_string_equal(s[2].checks[0].check, "W1");
    assert_string_equal(s[2].checks[0].code, "NO_AAAA");
    assert_string_equal(s[2].checks[1].message, "no IPv6 address");
    assert_string_equal(s[3].url, "https://a.gov/");
    assert_true(s[3].supported);
    assert_int_equal(s[3].n_checks, 0);
    assert_int_equal(s[3].run_id, p2);
    v6m_scorecard_free(sc);

    /* Category filter. */
    sc = compute(ind, "month", 0, NULL, "finance", NULL);
    i4 = get(sc, "I4");
    assert_true(i4->numerator == 1 && i4->denominator == 1 && i4->met);
    assert_no_data(get(sc, "I5"), "no testable site was crawled");
    v6m_scorecard_sites(sc, &n);
    assert_int_equal(n, 2);
    v6m_scorecard_free(sc);
    /* Vantage filter: matches the config's "vantage" key (run 2 only). */
    sc = compute(ind, "2024-02-01..2024-02-02", 0, NULL, NULL, "lab");
    assert_no_data(get(sc, "I4"), "no probe results");
    v6m_scorecard_free(sc);
    sc = compute(ind, "month", 0, NULL, NULL, "lab");
    i4 = get(sc, "I4");
    assert_true(i4->numerator == 2 && i4->denominator == 3);
    assert_false(i4->trend[0].has_value); /* the old run is not from "lab" */
    v6m_scorecard_free(sc);
    /* Segment filter: not for probe results. */
    sc = compute(ind, "month", 0, "mobile", NULL, NULL);
    assert_no_data(get(sc, "I4"), "segment filter");
    v6m_scorecard_free(sc);
    v6m_indicators_close(ind);
}

/* Traffic only: every probe and kpi figure is "no data", in the API and the JSON. */
static void test_missing_probe(void **state)
{
    (void)state;
    char path[128];
    sqlite3 *db = new_db("noprobe.db", path, sizeof(path));
    int64_t r = traffic_run(db, "k", "", T_2024_02_01, T_2024_02_01 + 60);
    bucket(db, r, T_2024_02_01, "mobile", 1, 1);
    sqlite3_close(db);
    v6m_indicators *ind = open_ind(path);
    v6m_scorecard *sc = compute(ind, "month", 0, NULL, NULL, NULL);
    assert_no_data(get(sc, "I4"), "no probe results");
    assert_no_data(get(sc, "I5"), "no probe results");
    assert_no_data(get(sc, "I5.resource_bytes"), "no probe results");
    assert_no_data(get(sc, "I6"), "no app measured");
    assert_no_data(get(sc, "I7"), "no app traffic");
    assert_no_data(get(sc, "I1"), "no subscriber counts");
    assert_no_data(get(sc, "I8"), "no registry");
    assert_no_data(get(sc, "parity.loss"), "no kpi result for loss");
    assert_no_data(get(sc, "parity.cdn_coverage"), "no kpi results");
    for (size_t i = 0; i < v6m_scorecard_count(sc); i++) {
        const struct v6m_indicator *x = v6m_scorecard_at(sc, i);
        assert_non_null(x->coverage.summary);
        assert_non_null(x->coverage.summary_zh);
        assert_true(x->has_value || (x->no_data && x->no_data[0]));
        assert_true(x->has_value || (x->no_data_zh && x->no_data_zh[0]));
        /* every sentence exists in both languages */
        assert_true(x->coverage.n_notes == 0 || x->coverage.notes_zh != NULL);
    }
    assert_int_equal(get(sc, "I4")->coverage.n_runs, 0);
    char *js = json_of(sc);
    assert_non_null(strstr(js, "{\"id\":\"I4\",\"key\":\"key_sites_ipv6_support_rate\","
                               "\"unit\":\"share\",\"value\":null,\"no_data\":\"no probe "
                               "results for sites in the window (v6mon probe)\",\"no_data_zh\":"
                               "\"统计周期内没有网站探测结果（v6mon probe）\",\"numerator\":"
                               "null,\"denominator\":null"));
    assert_non_null(strstr(js, "\"gap\":null,\"met\":null"));
    free(js);
    v6m_scorecard_free(sc);
    v6m_indicators_close(ind);
}

/* ---- apps ------------------------------------------------------------------------------- */

static void app_day(sqlite3 *db, int64_t run, int64_t day, const char *app, const char *seg,
                    long long v4, long long v6)
{
    char d[16];
    ind_format_day(day, d, sizeof(d));
    if (v4)
        exec(db, "INSERT INTO apps_days VALUES (%lld, %lld, '%s', '%s', '%s', 'ipv4', 1, %lld, 1)",
             (long long)run, (long long)day, d, app, seg, v4);
    if (v6)
        exec(db, "INSERT INTO apps_days VALUES (%lld, %lld, '%s', '%s', '%s', 'ipv6', 1, %lld, 1)",
             (long long)run, (long long)day, d, app, seg, v6);
}

static void app_total(sqlite3 *db, int64_t run, const char *app, const char *cat, int shows)
{
    exec(db,
         "INSERT INTO apps_totals VALUES (%lld, '%s', '%s', 'all', 'ipv4', 0, 0, 0, %d), "
         "(%lld, '%s', '%s', 'all', 'ipv6', 0, 0, 0, %d)",
         (long long)run, app, cat, shows, (long long)run, app, cat, shows);
}

static void test_apps(void **state)
{
    (void)state;
    char path[128];
    sqlite3 *db = new_db("apps.db", path, sizeof(path));
    int64_t r1 = traffic_run(db, "a1", "", T_2024_02_01, T_2024_02_01 + 600);
    int64_t r2 = traffic_run(db, "a2", "", T_2024_02_01 + DAY, T_2024_02_01 + DAY + 600);
    /* Video: run 1 75% IPv6 (100 + 300), run 2 10% (900 + 100); ratio of
     * sums 400/1400, mean of the two runs 0.425. */
    app_total(db, r1, "Video", "video", 1);
    app_total(db, r2, "Video", "video", 0);
    app_day(db, r1, T_2024_02_01, "Video", "mobile", 100, 300);
    app_day(db, r2, T_2024_02_01 + DAY, "Video", "mobile", 500, 100);
    app_day(db, r2, T_2024_02_01 + DAY, "Video", "metro", 400, 0);
    /* Shared CDN: listed, not counted. */
    app_total(db, r1, "Tencent (shared)", "infra", 0);
    app_day(db, r1, T_2024_02_01, "Tencent (shared)", "mobile", 100000, 0);
    app_day(db, r1, T_2024_02_01, "(unattributed)", "mobile", 777, 777);
    exec(db, "INSERT INTO app_names VALUES (%lld, 'a.video.cn', 'Video', 'ipv4', 1, 500, 1, 0, 0, "
             "0, 0, 0, 0), (%lld, 'b.video.cn', 'Video', 'ipv4', 1, 9, 1, 0, 0, 0, 0, 0, 0), "
             "(%lld, 'b.video.cn', 'Video', 'ipv6', 1, 9, 1, 0, 0, 0, 0, 0, 0), (%lld, "
             "'c.video.cn', 'Video', 'ipv4', 1, 800, 1, 0, 0, 0, 0, 0, 0)",
         (long long)r1, (long long)r1, (long long)r2, (long long)r2);
    /* Probes: Video's domains answer over IPv6; Chat is only probed (supported). */
    int64_t p = probe_run(db, T_2024_02_01 + 2 * DAY, "{}");
    exec(db, "INSERT INTO probe_apps(run_id, name, category, testable, supported, n_domains, "
             "n_domains_ok, duration_ms) VALUES (%lld, 'Video', 'video', 1, 1, 2, 2, 5), "
             "(%lld, 'Chat', 'messaging', 1, 0, 3, 2, 5)",
         (long long)p, (long long)p);
    int64_t chat = sqlite3_last_insert_rowid(db);
    exec(db, "INSERT INTO probe_app_domains VALUES (%lld, %lld, 'Chat', 'img.chat.cn', 0, 0, 0, "
             "'', '', 'no AAAA'), (%lld, %lld, 'Chat', 'ok.chat.cn', 1, 1, 200, '2001:db8::1', "
             "'', '')",
         (long long)p, (long long)chat, (long long)p, (long long)chat);
    sqlite3_close(db);

    v6m_indicators *ind = open_ind(path);
    v6m_scorecard *sc = compute(ind, "month", 0, NULL, NULL, NULL);
    const struct v6m_indicator *i7 = get(sc, "I7");
    assert_true(i7->numerator == 400 && i7->denominator == 1400);
    assert_false(i7->met);
    size_t n;
    const struct v6m_ind_app *apps = v6m_scorecard_apps(sc, &n);
    assert_int_equal(n, 3);
    assert_string_equal(apps[0].name, "Tencent (shared)"); /* by bytes */
    assert_false(apps[0].counted);
    const struct v6m_ind_app *v = &apps[1];
    assert_string_equal(v->name, "Video");
    assert_true(v->has_share && fabs(v->share - 400.0 / 1400.0) < 1e-12);
    assert_true(v->has_mean3 && fabs(v->mean3 - 0.425) < 1e-12);
    assert_int_equal(v->mean3_runs, 2);
    assert_int_equal(v->traffic_ipv6, V6M_IND_NO);     /* run 2 is the newest */
    assert_int_equal(v->traffic_run, r2);
    assert_int_equal(v->probe_supported, V6M_IND_YES);
    assert_int_equal(v->supported, V6M_IND_NO);       /* both must say yes */
    assert_int_equal(v->n_ipv4_only, 2);               /* b.video.cn has IPv6 */
    assert_string_equal(v->ipv4_only[0].name, "c.video.cn");
    assert_int_equal(v->ipv4_only[0].bytes, 800);
    assert_string_equal(v->ipv4_only[1].name, "a.video.cn");
    const struct v6m_ind_app *c = &apps[2];
    assert_string_equal(c->name, "Chat");
    assert_int_equal(c->traffic_ipv6, V6M_IND_UNKNOWN);
    assert_int_equal(c->supported, V6M_IND_NO);
    assert_int_equal(c->n_probe_failing, 1);
    assert_string_equal(c->probe_failing[0].name, "img.chat.cn");
    assert_string_equal(c->probe_failing[0].code, "NO_AAAA");
    /* I6: Video no, Chat no (infra not counted): 0 of 2, a measured 0. */
    const struct v6m_indicator *i6 = get(sc, "I6");
    assert_true(i6->has_value && i6->numerator == 0 && i6->denominator == 2);
    assert_int_equal(i6->coverage.n_runs, 3); /* two traffic runs, one probe run */
    v6m_scorecard_free(sc);

    /* Segment filter: metro only (Video's 400 IPv4 bytes of run 2). */
    sc = compute(ind, "month", 0, "metro", NULL, NULL);
    assert_value(get(sc, "I7"), 0.0);
    assert_true(get(sc, "I7")->denominator == 400);
    v6m_scorecard_free(sc);
    /* Category filter. */
    sc = compute(ind, "month", 0, NULL, "messaging", NULL);
    assert_no_data(get(sc, "I7"), "no app traffic");
    i6 = get(sc, "I6");
    assert_true(i6->numerator == 0 && i6->denominator == 1);
    v6m_scorecard_free(sc);
    v6m_indicators_close(ind);
}

/* ---- targets and registry -------------------------------------------------------------- */

static void test_targets_file(void **state)
{
    (void)state;
    char path[128];
    sqlite3 *db = new_db("targets.db", path, sizeof(path));
    int64_t r = traffic_run(db, "k", "", T_2024_02_01, T_2024_02_01 + 60);
    bucket(db, r, T_2024_02_01, "lte", 60, 40);
    bucket(db, r, T_2024_02_01, "nr", 0, 100);
    bucket(db, r, T_2024_02_01, "mobile", 1000, 0);
    sqlite3_close(db);
    v6m_indicators *ind = open_ind(path);
    /* Built-in: the plan's values. */
    v6m_scorecard *sc = compute(ind, "day", 0, NULL, NULL, NULL);
    const double plan[8] = {0.70, 0.50, 0.15, 1.00, 0.90, 1.00, 0.70, 5};
    const char *ids[8] = {"I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8"};
    for (int i = 0; i < 8; i++)
        assert_true(get(sc, ids[i])->target == plan[i]);
    assert_value(get(sc, "I2"), 0.0);
    assert_string_equal(v6m_scorecard_info(sc)->targets_source, "built-in");
    v6m_scorecard_free(sc);

    const char *text = "# override\nI1 = 80%\r\nI8=7   # projects\n"
                       "mobile_segments = lte, nr\nparity.loss = 95 %\ncdn_coverage = 0.5\n";
    assert_int_equal(v6m_indicators_parse_targets(ind, text, strlen(text), "t.conf"), V6M_OK);
    sc = compute(ind, "day", 0, NULL, NULL, NULL);
    assert_true(get(sc, "I1")->target == 0.80);
    assert_true(get(sc, "I8")->target == 7);
    assert_true(get(sc, "I2")->target == 0.50); /* not in the file: kept */
    assert_true(fabs(get(sc, "parity.loss")->target - 0.95) < 1e-12);
    assert_true(get(sc, "parity.tcp_success")->target == 1.0);
    assert_true(get(sc, "parity.cdn_coverage")->target == 0.5);
    assert_value(get(sc, "I2"), 140.0 / 200.0);
    assert_int_equal(get(sc, "I2")->n_groups, 2);
    assert_string_equal(v6m_scorecard_info(sc)->targets_source, "t.conf");
    v6m_scorecard_free(sc);

    /* A bad file changes nothing and names the line. */
    const char *bad[] = {"I1 = 80%\nI2 = 70\n", "I9 = 5%\n", "I1 80%\n", "I1 = -5%\n",
                         "I8 = 2.5\n", "mobile_segments = 9x\n", "ipv6plus_counted = done\n",
                         "parity.speed = 90%\n", "I3 = 15%%\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(v6m_indicators_parse_targets(ind, bad[i], strlen(bad[i]), "bad.conf"),
                         V6M_ERR_CONFIG);
        assert_non_null(strstr(v6m_indicators_errmsg(ind), "bad.conf:"));
    }
    sc = compute(ind, "day", 0, NULL, NULL, NULL);
    assert_true(get(sc, "I1")->target == 0.80);
    assert_true(get(sc, "I2")->target == 0.50);
    v6m_scorecard_free(sc);

    /* The shipped file holds the plan's values. */
    char shipped[512];
    src_path(shipped, sizeof(shipped), "data/targets.conf");
    assert_int_equal(v6m_indicators_load_targets(ind, shipped), V6M_OK);
    sc = compute(ind, "day", 0, NULL, NULL, NULL);
    for (int i = 0; i < 8; i++)
        assert_true(fabs(get(sc, ids[i])->target - plan[i]) < 1e-12);
    assert_value(get(sc, "I2"), 0.0); /* mobile_segments = mobile again */
    v6m_scorecard_free(sc);
    v6m_indicators_close(ind);
}

static void test_registry(void **state)
{
    (void)state;
    char path[128];
    sqlite3 *db = new_db("reg.db", path, sizeof(path));
    int64_t r = traffic_run(db, "k", "", T_2024_02_01, T_2024_02_01 + 60);
    bucket(db, r, T_2024_02_01, "mobile", 1, 1);
    exec(db, "INSERT INTO traffic_ipv6plus VALUES (%lld, 'srh_packets', 12), (%lld, "
             "'flow_label_packets', 30), (%lld, 'encap.gtpu', 99), (%lld, 'ipv6_packets', 50)",
         (long long)r, (long long)r, (long long)r, (long long)r);
    sqlite3_close(db);
    v6m_indicators *ind = open_ind(path);
    const char *csv = "name,field,status,evidence\n"
                      "# a comment\n"
                      "SRv6 gov network,government,deployed,\"a, b\"\n"
                      "Slicing,industry,pilot,x\n"
                      "Plan,finance,planned,y\n";
    assert_int_equal(v6m_indicators_parse_registry(ind, csv, strlen(csv), "r.csv"), V6M_OK);
    v6m_scorecard *sc = compute(ind, "day", 0, NULL, NULL, NULL);
    const struct v6m_indicator *i8 = get(sc, "I8");
    assert_value(i8, 2.0);
    assert_true(fabs(i8->gap - 3.0) < 1e-12);
    assert_false(i8->met);
    size_t n;
    const struct v6m_ind_project *p = v6m_scorecard_projects(sc, &n);
    assert_int_equal(n, 3);
    assert_string_equal(p[0].evidence, "a, b");
    assert_true(p[0].counted && p[1].counted && !p[2].counted);
    const struct v6m_ind_fact *f = v6m_scorecard_ipv6plus(sc, &n);
    assert_int_equal(n, 3); /* encap.* is not IPv6+ */
    assert_string_equal(f[0].metric, "ipv6_packets");
    assert_string_equal(f[1].metric, "srh_packets");
    assert_int_equal(f[1].value, 12);
    v6m_scorecard_free(sc);
    sc = compute(ind, "day", 0, NULL, "industry", NULL);
    assert_value(get(sc, "I8"), 1.0);
    v6m_scorecard_free(sc);
    const char *bad[] = {"name,field,status\nx,y,pilot\n", "name,field,status,evidence\nx,y,done,z\n",
                         "x,y,pilot,z\n", "name,field,status,evidence\n,y,pilot,z\n", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(v6m_indicators_parse_registry(ind, bad[i], strlen(bad[i]), "b.csv"),
                         V6M_ERR_CONFIG);
    /* The shipped sample parses. */
    char shipped[512];
    src_path(shipped, sizeof(shipped), "data/ipv6plus.csv");
    assert_int_equal(v6m_indicators_load_registry(ind, shipped), V6M_OK);
    sc = compute(ind, "day", 0, NULL, NULL, NULL);
    p = v6m_scorecard_projects(sc, &n);
    assert_true(n >= 5);
    for (size_t i = 0; i < n; i++)
        assert_non_null(strstr(p[i].name, "(sample)"));
    v6m_scorecard_free(sc);
    v6m_indicators_close(ind);
}

/* ---- kpi ---------------------------------------------------------------------------------- */

static void test_no_kpi_tables(void **state)
{
    (void)state;
    char path[128];
    sqlite3 *db = new_db("nokpi.db", path, sizeof(path));
    exec(db, "DROP TABLE kpi_samples; DROP TABLE kpi_metrics; DROP TABLE kpi_targets; "
             "DROP TABLE kpi_runs; PRAGMA user_version = 3");
    int64_t r = traffic_run(db, "k", "", T_2024_02_01, T_2024_02_01 + 60);
    bucket(db, r, T_2024_02_01, "mobile", 1, 3);
    sqlite3_close(db);
    v6m_indicators *ind = open_ind(path);
    v6m_scorecard *sc = compute(ind, "month", 0, NULL, NULL, NULL);
    assert_int_equal(v6m_scorecard_info(sc)->schema_version, 3);
    assert_no_data(get(sc, "parity.loss"), "no kpi tables (schema version 3)");
    assert_no_data(get(sc, "parity.cdn_coverage"), "no kpi tables");
    assert_value(get(sc, "I2"), 0.75);
    v6m_scorecard_free(sc);
    v6m_indicators_close(ind);
}

/* The kpi tables with exactly the columns the schema-4 description gives. */
static void preamble_kpi_tables(sqlite3 *db)
{
    exec(db, "DROP TABLE kpi_samples; DROP TABLE kpi_metrics; DROP TABLE kpi_targets; "
             "DROP TABLE kpi_runs;"
             "CREATE TABLE kpi_runs(id INTEGER PRIMARY KEY, started INTEGER, finished INTEGER, "
             "vantage TEXT NOT NULL, tool_version TEXT, resolver TEXT, rounds INTEGER, "
             "interval_s REAL, targets INTEGER, vantage_v4 INTEGER, vantage_v6 INTEGER, "
             "config TEXT, verdict TEXT, schema_version INTEGER);"
             "CREATE TABLE kpi_targets(run_id, target TEXT, host TEXT, name TEXT, category TEXT, "
             "has_a INTEGER, has_aaaa INTEGER, reach_v4 INTEGER, reach_v6 INTEGER, addr_v4 TEXT, "
             "addr_v6 TEXT, he_family TEXT, verdict TEXT, degraded_metrics TEXT, "
             "PRIMARY KEY(run_id, target));"
             "CREATE TABLE kpi_metrics(run_id, target, metric TEXT, v4 REAL, v6 REAL, n4 INTEGER, "
             "n6 INTEGER, d REAL, verdict TEXT, PRIMARY KEY(run_id, target, metric));"
             "CREATE TABLE kpi_samples(run_id, target, round INTEGER, family INTEGER, metric TEXT, "
             "ok INTEGER, value REAL, t REAL);");
}

static int64_t kpi_run(sqlite3 *db, int64_t started, const char *vantage)
{
    exec(db, "INSERT INTO kpi_runs(started, finished, vantage, tool_version, verdict, "
             "schema_version) VALUES (%lld, %lld, '%s', 'test-1', 'converged', 4)",
         (long long)started, (long long)started + 60, vantage);
    return sqlite3_last_insert_rowid(db);
}

static void kpi_target(sqlite3 *db, int64_t run, const char *target, const char *cat, int a,
                       int aaaa, int r4, int r6)
{
    exec(db, "INSERT INTO kpi_targets(run_id, target, host, name, category, has_a, has_aaaa, "
             "reach_v4, reach_v6, verdict) VALUES (%lld, '%s', '%s', 'n', '%s', %d, %d, %d, %d, "
             "'converged')",
         (long long)run, target, target, cat, a, aaaa, r4, r6);
}

static void kpi_metric(sqlite3 *db, int64_t run, const char *target, const char *metric,
                       double v4, double v6, const char *d, const char *verdict)
{
    exec(db, "INSERT INTO kpi_metrics(run_id, target, metric, v4, v6, n4, n6, d, verdict) "
             "VALUES (%lld, '%s', '%s', %g, %g, 10, 10, %s, '%s')",
         (long long)run, target, metric, v4, v6, d, verdict);
}

static void test_parity(void **state)
{
    (void)state;
    char path[128];
    sqlite3 *db = new_db("kpi.db", path, sizeof(path));
    preamble_kpi_tables(db);
    int64_t t0 = T_2024_02_01 + 3600;
    /* Vantage A: an old run (t1 degraded) and a newer one (t1 converged). */
    int64_t a_old = kpi_run(db, t0, "A");
    kpi_target(db, a_old, "t1", "government", 1, 1, 1, 1);
    kpi_metric(db, a_old, "t1", "tcp_rtt_median", 10, 30, "2.0", "degraded");
    int64_t a_new = kpi_run(db, t0 + 2 * DAY, "A");
    kpi_target(db, a_new, "t1", "government", 1, 1, 1, 1);
    kpi_target(db, a_new, "t2", "finance", 1, 1, 1, 1);
    kpi_metric(db, a_new, "t1", "tcp_rtt_median", 10, 11, "0.1", "converged");
    kpi_metric(db, a_new, "t2", "tcp_rtt_median", 10, 15, "0.5", "degraded");
    kpi_metric(db, a_new, "t1", "video_bitrate", 0, 0, "NULL", "insufficient");
    /* Vantage B: t1 has no AAAA there; t2 reachable both ways. */
    int64_t b = kpi_run(db, t0 + DAY, "B");
    kpi_target(db, b, "t1", "government", 1, 0, 1, 0);
    kpi_target(db, b, "t2", "finance", 1, 1, 1, 1);
    kpi_metric(db, b, "t1", "tcp_rtt_median", 20, 20, "0.0", "converged");
    kpi_metric(db, b, "t2", "tcp_rtt_median", 20, 22, "0.1", "converged");
    sqlite3_close(db);

    v6m_indicators *ind = open_ind(path);
    v6m_scorecard *sc = compute(ind, "month", 0, NULL, NULL, NULL);
    /* tcp_rtt_median: newest per (vantage, target): A/t1 converged, A/t2
     * degraded, B/t1 converged, B/t2 converged: 3 of 4. */
    const struct v6m_indicator *p = get(sc, "parity.tcp_rtt_median");
    assert_true(p->numerator == 3 && p->denominator == 4);
    assert_non_null(p->parity);
    assert_int_equal(p->parity->converged, 3);
    assert_int_equal(p->parity->degraded, 1);
    assert_string_equal(p->parity->verdict, "degraded");
    assert_true(p->parity->has_d_median && fabs(p->parity->d_median - 0.1) < 1e-12);
    assert_int_equal(p->parity->n_rows, 4);
    assert_string_equal(p->parity->rows[0].target, "t1");
    assert_string_equal(p->parity->rows[0].vantage, "A");
    assert_int_equal(p->parity->rows[0].run_id, a_new);
    assert_int_equal(p->coverage.n_runs, 2);
    assert_int_equal(p->coverage.n_vantages, 2);
    /* Trend: day 1 holds the old degraded result alone. */
    assert_true(p->trend[0].numerator == 0 && p->trend[0].denominator == 1);
    /* Only insufficient: no data with the reason. */
    assert_no_data(get(sc, "parity.video_bitrate"), "too few samples");
    assert_string_equal(get(sc, "parity.video_bitrate")->parity->verdict, "insufficient");
    assert_no_data(get(sc, "parity.loss"), "no kpi result for loss");
    /* CDN: t1 AAAA reachable at A only (1 of 2 vantage points with A); t2 2 of 2. */
    const struct v6m_indicator *cdn = get(sc, "parity.cdn_coverage");
    assert_true(cdn->numerator == 3 && cdn->denominator == 4);
    size_t n;
    const struct v6m_ind_cdn *c = v6m_scorecard_cdn(sc, &n);
    assert_int_equal(n, 2);
    assert_string_equal(c[0].target, "t1");
    assert_true(c[0].vantages == 2 && c[0].with_a == 2 && c[0].with_aaaa == 1);
    assert_true(fabs(c[0].value - 0.5) < 1e-12);
    v6m_scorecard_free(sc);

    /* One vantage point: no CDN coverage. */
    sc = compute(ind, "month", 0, NULL, NULL, "A");
    assert_no_data(get(sc, "parity.cdn_coverage"), "at least two vantage points");
    p = get(sc, "parity.tcp_rtt_median");
    assert_true(p->numerator == 1 && p->denominator == 2);
    v6m_scorecard_free(sc);
    /* Category filter. */
    sc = compute(ind, "month", 0, NULL, "finance", NULL);
    p = get(sc, "parity.tcp_rtt_median");
    assert_true(p->numerator == 1 && p->denominator == 2);
    v6m_scorecard_free(sc);
    v6m_indicators_close(ind);
}

/* The store's own kpi tables (more columns, NOT NULL ones) read the same. */
static void test_store_kpi_schema(void **state)
{
    (void)state;
    char path[128];
    sqlite3 *db = new_db("kpistore.db", path, sizeof(path));
    exec(db, "INSERT INTO kpi_runs(started, finished, started_utc, finished_utc, vantage, "
             "tool_version, rounds, interval_s, targets, targets_done, vantage_v4, vantage_v6, "
             "verdict, interrupted, schema_version) VALUES (%lld, %lld, '', '', 'lab', 't', 3, 1, "
             "1, 1, 1, 1, 'converged', 0, 4)",
         (long long)T_2024_02_01, (long long)T_2024_02_01 + 10);
    int64_t run = sqlite3_last_insert_rowid(db);
    exec(db, "INSERT INTO kpi_targets(run_id, target, host, has_a, has_aaaa, reach_v4, "
             "reach_v6, rounds, verdict) VALUES (%lld, 'x', 'x', 1, 1, 1, 1, 3, 'converged')",
         (long long)run);
    exec(db, "INSERT INTO kpi_metrics(run_id, target, metric, v4, v6, n4, n6, d, verdict) "
             "VALUES (%lld, 'x', 'loss', 0.01, 0.01, 30, 30, 0, 'converged')",
         (long long)run);
    sqlite3_close(db);
    v6m_indicators *ind = open_ind(path);
    v6m_scorecard *sc = compute(ind, "day", 0, NULL, NULL, NULL);
    assert_value(get(sc, "parity.loss"), 1.0);
    assert_true(get(sc, "parity.loss")->met);
    v6m_scorecard_free(sc);
    v6m_indicators_close(ind);
}

/* Text in a database that is not UTF-8 still gives valid JSON (U+FFFD). */
static void test_json_bad_utf8(void **state)
{
    (void)state;
    char path[128];
    sqlite3 *db = new_db("utf8.db", path, sizeof(path));
    int64_t r = traffic_run(db, "k", "", T_2024_02_01, T_2024_02_01 + 60);
    exec(db, "INSERT INTO traffic_buckets VALUES (%lld, %lld, 300, CAST(X'41FF42' AS TEXT), "
             "'ipv4', 1, 10, 1)",
         (long long)r, (long long)T_2024_02_01);
    exec(db, "INSERT INTO traffic_ipv6plus VALUES (%lld, 'srh_packets', 1), (%lld, "
             "CAST(X'22FF' AS TEXT), 2)",
         (long long)r, (long long)r);
    sqlite3_close(db);
    v6m_indicators *ind = open_ind(path);
    v6m_scorecard *sc = compute(ind, "day", 0, NULL, NULL, NULL);
    char *js = json_of(sc);
    assert_non_null(strstr(js, "{\"name\":\"A\xef\xbf\xbd" "B\""));
    assert_non_null(strstr(js, "\"facts\":{\"srh_packets\":1}"));
    free(js);
    v6m_scorecard_free(sc);
    v6m_indicators_close(ind);
}

/* ---- open errors and an empty database -------------------------------------------------- */

static void test_open_and_empty(void **state)
{
    (void)state;
    v6m_indicators *ind = NULL;
    char err[256], path[128];
    db_path(path, sizeof(path), "missing.db");
    assert_int_equal(v6m_indicators_open(path, &ind, err, sizeof(err)), V6M_ERR_NOT_FOUND);
    assert_null(ind);
    assert_non_null(strstr(err, "missing.db"));
    db_path(path, sizeof(path), "notdb.db");
    FILE *f = fopen(path, "w");
    fputs("this is not a database, just text that is long enough to be a header ......", f);
    fclose(f);
    assert_int_equal(v6m_indicators_open(path, &ind, err, sizeof(err)), V6M_ERR_DB);
    assert_int_equal(v6m_indicators_open("clickhouse://h:1/db", &ind, err, sizeof(err)),
                     V6M_ERR_UNSUPPORTED);

    sqlite3 *db = new_db("empty.db", path, sizeof(path));
    sqlite3_close(db);
    ind = open_ind(path);
    v6m_scorecard *sc = compute(ind, "all", 0, NULL, NULL, NULL);
    assert_false(v6m_scorecard_info(sc)->has_data);
    assert_false(v6m_scorecard_info(sc)->has_range);
    for (size_t i = 0; i < v6m_scorecard_count(sc); i++)
        if (strcmp(v6m_scorecard_at(sc, i)->id, "I8") != 0)
            assert_false(v6m_scorecard_at(sc, i)->has_value);
    char *js = json_of(sc);
    assert_non_null(strstr(js, "\"from\":null,\"to\":null"));
    free(js);
    v6m_scorecard_free(sc);
    struct v6m_ind_query q;
    v6m_ind_query_init(&q);
    q.window = V6M_IND_WINDOW_RANGE;
    q.from_s = T_2024_02_01;
    q.to_s = T_2024_02_01; /* empty */
    assert_int_equal(v6m_indicators_compute(ind, &q, &sc), V6M_ERR_INVALID_ARG);
    assert_null(sc);
    v6m_indicators_close(ind);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/v6m-test-indicators-XXXXXX");
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
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_window_parse),
        cmocka_unit_test(test_ratio_of_sums),
        cmocka_unit_test(test_day_boundary),
        cmocka_unit_test(test_month_boundaries),
        cmocka_unit_test(test_rolling_30d),
        cmocka_unit_test(test_overlap_note),
        cmocka_unit_test(test_users_merge),
        cmocka_unit_test(test_sites),
        cmocka_unit_test(test_missing_probe),
        cmocka_unit_test(test_apps),
        cmocka_unit_test(test_targets_file),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_no_kpi_tables),
        cmocka_unit_test(test_parity),
        cmocka_unit_test(test_store_kpi_schema),
        cmocka_unit_test(test_json_bad_utf8),
        cmocka_unit_test(test_open_and_empty),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
