/*
 * bench/indicators_bench.c - how long the scorecard takes over a year of
 * data (issue 6: "report generation over one year of 5-minute buckets for
 * 3 segments and 1,000 sites stays under 2 seconds").
 *
 * Builds (once, or reuses with --reuse) a database with the real store
 * schema and, with a fixed seed:
 *   - one traffic run per day for 365 days, 5-minute buckets for the
 *     segments mobile, metro and other, IPv4 and IPv6 rows: 630,720 bucket
 *     rows;
 *   - per day and segment (and "all") a users_windows day row with
 *     HyperLogLog sketches of ~20,000 subscribers out of 200,000;
 *   - per day 60 apps' bytes (apps_days) with their apps_totals rows;
 *   - 12 monthly probe runs of 1,000 sites (7 checks each);
 *   - 12 monthly kpi runs from 2 vantage points, 100 targets, 16 metrics.
 * Then times v6m_indicators_open + v6m_indicators_compute (+ the JSON
 * rendering to /dev/null) for the windows all, 2024-01-01..2024-12-31,
 * month, 30d and day, best and median of --repeat runs (default 5).
 *
 * Build and run: bench/indicators.sh [BUILD_DIR] (compiles this file
 * against BUILD_DIR/libv6mon.a). Not part of the test run.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <v6mon/hll.h>
#include <v6mon/indicators.h>
#include <v6mon/store.h>

#define YEAR_START 1704067200LL /* 2024-01-01T00:00:00Z */
#define DAYS 365
#define BUCKET 300
#define SITES 1000
#define PROBE_RUNS 12
#define APPS 60
#define TARGETS 100

static uint64_t rng = 42;

static uint64_t next(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, sqlite3 *db)
{
    fprintf(stderr, "indicators_bench: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
    exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        die(sql, db);
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        die(sql, db);
    return st;
}

static void step(sqlite3 *db, sqlite3_stmt *st)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        die("insert", db);
    sqlite3_reset(st);
}

static void build(const char *path)
{
    unlink(path);
    char err[256];
    v6m_store *store;
    if (v6m_store_open(path, &store, err, sizeof(err)) != V6M_OK) {
        fprintf(stderr, "indicators_bench: %s\n", err);
        exit(1);
    }
    v6m_store_close(store);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die("open", NULL);
    exec(db, "PRAGMA synchronous = OFF; PRAGMA journal_mode = WAL; BEGIN");
    double t0 = now_s();
    const char *segs[3] = {"mobile", "metro", "other"};
    sqlite3_stmt *run = prep(db, "INSERT INTO runs(kind, run_key, vantage, tool_version, "
                                 "first_packet_ns, last_packet_ns, bucket_seconds, "
                                 "schema_version) VALUES ('traffic', ?1, 'pop1', 'bench', ?2, "
                                 "?3, 300, 4)");
    sqlite3_stmt *bk = prep(db, "INSERT INTO traffic_buckets VALUES (?1, ?2, 300, ?3, ?4, ?5, "
                                "?6, ?7)");
    sqlite3_stmt *uw = prep(db, "INSERT INTO users_windows(run_id, window, start_s, end_s, "
                                "segment, mode, seen, active, ipv6_active, holding_ipv6, dual, "
                                "ipv4_only, ipv6_only, exact, hll_q4, hll_q6) VALUES (?1, "
                                "'day', ?2, ?3, ?4, 'gtp', ?5, ?5, ?6, ?6, 0, 0, 0, 0, ?7, ?8)");
    sqlite3_stmt *ad = prep(db, "INSERT INTO apps_days VALUES (?1, ?2, 'd', ?3, 'mobile', ?4, "
                                "1, ?5, 1)");
    sqlite3_stmt *at = prep(db, "INSERT INTO apps_totals VALUES (?1, ?2, 'video', 'all', ?3, 0, "
                                "0, 0, ?4)");
    v6m_hll *h4 = malloc(sizeof(*h4)), *h6 = malloc(sizeof(*h6));
    uint8_t *b4 = malloc(v6m_hll_serialized_max()), *b6 = malloc(v6m_hll_serialized_max());
    char key[32], app[32];
    uint64_t bucket_rows = 0;
    for (int d = 0; d < DAYS; d++) {
        int64_t day = YEAR_START + (int64_t)d * 86400;
        snprintf(key, sizeof(key), "day-%d", d);
        sqlite3_bind_text(run, 1, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(run, 2, day * 1000000000LL);
        sqlite3_bind_int64(run, 3, (day + 86399) * 1000000000LL);
        step(db, run);
        int64_t rid = sqlite3_last_insert_rowid(db);
        for (int b = 0; b < 86400 / BUCKET; b++)
            for (int s = 0; s < 3; s++)
                for (int f = 0; f < 2; f++) {
                    sqlite3_bind_int64(bk, 1, rid);
                    sqlite3_bind_int64(bk, 2, day + (int64_t)b * BUCKET);
                    sqlite3_bind_text(bk, 3, segs[s], -1, SQLITE_STATIC);
                    sqlite3_bind_text(bk, 4, f ? "ipv6" : "ipv4", -1, SQLITE_STATIC);
                    sqlite3_bind_int64(bk, 5, 1000 + (int64_t)(next() % 1000));
                    sqlite3_bind_int64(bk, 6, 1000000 + (int64_t)(next() % 1000000));
                    sqlite3_bind_int64(bk, 7, 50);
                    step(db, bk);
                    bucket_rows++;
                }
        for (int s = 0; s < 4; s++) {
            v6m_hll_init(h4);
            v6m_hll_init(h6);
            for (int u = 0; u < 20000; u++) {
                uint64_t user = next() % 200000;
                uint64_t h = user * 0x9e3779b97f4a7c15ULL;
                h ^= h >> 29;
                h *= 0xbf58476d1ce4e5b9ULL;
                h ^= h >> 32;
                v6m_hll_add_hash(h4, h);
                if (user % 3)
                    v6m_hll_add_hash(h6, h);
            }
            size_t l4 = v6m_hll_serialize(h4, b4, v6m_hll_serialized_max());
            size_t l6 = v6m_hll_serialize(h6, b6, v6m_hll_serialized_max());
            sqlite3_bind_int64(uw, 1, rid);
            sqlite3_bind_int64(uw, 2, day);
            sqlite3_bind_int64(uw, 3, day + 86400);
            sqlite3_bind_text(uw, 4, s < 3 ? segs[s] : "all", -1, SQLITE_STATIC);
            sqlite3_bind_int64(uw, 5, (int64_t)llround(v6m_hll_estimate(h4)));
            sqlite3_bind_int64(uw, 6, (int64_t)llround(v6m_hll_estimate(h6)));
            sqlite3_bind_blob(uw, 7, b4, (int)l4, SQLITE_STATIC);
            sqlite3_bind_blob(uw, 8, b6, (int)l6, SQLITE_STATIC);
            step(db, uw);
        }
        for (int a = 0; a < APPS; a++) {
            snprintf(app, sizeof(app), "app%02d", a);
            for (int f = 0; f < 2; f++) {
                sqlite3_bind_int64(ad, 1, rid);
                sqlite3_bind_int64(ad, 2, day);
                sqlite3_bind_text(ad, 3, app, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(ad, 4, f ? "ipv6" : "ipv4", -1, SQLITE_STATIC);
                sqlite3_bind_int64(ad, 5, (int64_t)(next() % 100000000));
                step(db, ad);
                sqlite3_bind_int64(at, 1, rid);
                sqlite3_bind_text(at, 2, app, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(at, 3, f ? "ipv6" : "ipv4", -1, SQLITE_STATIC);
                sqlite3_bind_int(at, 4, a % 2);
                step(db, at);
            }
        }
    }
    sqlite3_stmt *pr = prep(db, "INSERT INTO probe_runs(started_ns, tool_version, config, "
                                "complete, schema_version) VALUES (?1, 'bench', '{}', 1, 4)");
    sqlite3_stmt *ps = prep(
        db, "INSERT INTO probe_sites(run_id, name, url, category, unit, host, testable, "
            "supported, compliant, score, w1, w2, w3, w4, w5, w6, w7, status_v6, status_v4, "
            "attempts, attempts_ok, links_only_v4, links_only_v6, links_common, l2_found, "
            "l3_found, l2_total, l2_pass, l3_total, l3_pass, link_conc, res_total, res_v6_ok, "
            "res_bytes, res_bytes_v6, ipv6_only_ready, ipv6_only_blockers, zone, ns_total, ns_v6, "
            "ns_v6_answering, addrs_v4, addrs_v6, cname_chain, started_ns, duration_ms) VALUES "
            "(?1, ?2, ?2, ?3, 'unit', 'host', 1, ?4, 0, 50, 'pass', 'pass', ?5, 'pass', 'pass', "
            "'pass', 'pass', 200, 200, 3, 3, 0, 0, 0, 20, 20, 20, ?6, 20, ?7, 0.5, 30, 20, "
            "100000, ?8, 0, '', '', 2, 2, 2, '', '', '', ?9, 100)");
    sqlite3_stmt *pc = prep(db, "INSERT INTO probe_checks VALUES (?1, ?2, ?3, ?4, ?5, NULL, 0, "
                                "1, ?6, 'message', '')");
    const char *cats[5] = {"government", "finance", "education", "media", "medical"};
    char url[64];
    for (int r = 0; r < PROBE_RUNS; r++) {
        int64_t t = YEAR_START + (int64_t)r * 30 * 86400 + 3600;
        sqlite3_bind_int64(pr, 1, t * 1000000000LL);
        step(db, pr);
        int64_t prid = sqlite3_last_insert_rowid(db);
        for (int s = 0; s < SITES; s++) {
            bool sup = next() % 10 < 8;
            snprintf(url, sizeof(url), "https://site%04d.example.cn/", s);
            sqlite3_bind_int64(ps, 1, prid);
            sqlite3_bind_text(ps, 2, url, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ps, 3, cats[s % 5], -1, SQLITE_STATIC);
            sqlite3_bind_int(ps, 4, sup);
            sqlite3_bind_text(ps, 5, sup ? "pass" : "fail", -1, SQLITE_STATIC);
            sqlite3_bind_int(ps, 6, (int)(next() % 21));
            sqlite3_bind_int(ps, 7, (int)(next() % 21));
            sqlite3_bind_int64(ps, 8, (int64_t)(next() % 100000));
            sqlite3_bind_int64(ps, 9, (t + s) * 1000000000LL);
            step(db, ps);
            int64_t sid = sqlite3_last_insert_rowid(db);
            for (int c = 1; c <= 7; c++) {
                char cid[4];
                snprintf(cid, sizeof(cid), "W%d", c);
                bool fail = !sup && (c == 1 || c == 3);
                sqlite3_bind_int64(pc, 1, prid);
                sqlite3_bind_int64(pc, 2, sid);
                sqlite3_bind_text(pc, 3, url, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(pc, 4, cid, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(pc, 5, fail ? "fail" : "pass", -1, SQLITE_STATIC);
                sqlite3_bind_text(pc, 6, fail ? "NO_AAAA" : "", -1, SQLITE_STATIC);
                step(db, pc);
            }
        }
    }
    sqlite3_stmt *kr = prep(db, "INSERT INTO kpi_runs(started, finished, started_utc, "
                                "finished_utc, vantage, tool_version, rounds, interval_s, "
                                "targets, targets_done, vantage_v4, vantage_v6, verdict, "
                                "interrupted, schema_version) VALUES (?1, ?1, '', '', ?2, "
                                "'bench', 3, 1, 100, 100, 1, 1, 'converged', 0, 4)");
    sqlite3_stmt *kt = prep(db, "INSERT INTO kpi_targets(run_id, target, host, has_a, "
                                "has_aaaa, reach_v4, reach_v6, rounds, verdict) VALUES (?1, ?2, "
                                "?2, 1, ?3, 1, ?3, 3, 'converged')");
    sqlite3_stmt *km = prep(db, "INSERT INTO kpi_metrics(run_id, target, metric, v4, v6, n4, n6, "
                                "d, verdict) VALUES (?1, ?2, ?3, 10, 11, 10, 10, 0.1, ?4)");
    static const char *metrics[16] = {
        "loss", "icmp_rtt_median", "icmp_rtt_p95", "tcp_success", "tcp_rtt_median",
        "tcp_rtt_p95", "dns_time_median", "dns_success", "dns_transport_median", "ttfb_median",
        "page_load_median", "page_load_p95", "video_startup", "video_stall_ratio",
        "video_stalls", "video_bitrate"};
    for (int r = 0; r < 12; r++)
        for (int v = 0; v < 2; v++) {
            sqlite3_bind_int64(kr, 1, YEAR_START + (int64_t)r * 30 * 86400 + 7200);
            sqlite3_bind_text(kr, 2, v ? "pop2" : "pop1", -1, SQLITE_STATIC);
            step(db, kr);
            int64_t kid = sqlite3_last_insert_rowid(db);
            for (int t = 0; t < TARGETS; t++) {
                char tg[32];
                snprintf(tg, sizeof(tg), "t%03d.example.cn", t);
                sqlite3_bind_int64(kt, 1, kid);
                sqlite3_bind_text(kt, 2, tg, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int(kt, 3, (t + v) % 4 != 0);
                step(db, kt);
                for (int m = 0; m < 16; m++) {
                    sqlite3_bind_int64(km, 1, kid);
                    sqlite3_bind_text(km, 2, tg, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_text(km, 3, metrics[m], -1, SQLITE_STATIC);
                    sqlite3_bind_text(km, 4, next() % 5 ? "converged" : "degraded", -1,
                                      SQLITE_STATIC);
                    step(db, km);
                }
            }
        }
    sqlite3_stmt *all[] = {run, bk, uw, ad, at, pr, ps, pc, kr, kt, km};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        sqlite3_finalize(all[i]);
    exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE); ANALYZE");
    sqlite3_close(db);
    free(h4);
    free(h6);
    free(b4);
    free(b6);
    fprintf(stderr, "built %s: %llu bucket rows, %d sites x %d runs in %.1f s\n", path,
            (unsigned long long)bucket_rows, SITES, PROBE_RUNS, now_s() - t0);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *path = "/tmp/v6m-indicators-bench.db";
    bool reuse = false;
    int repeat = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reuse") == 0)
            reuse = true;
        else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = (int)strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: indicators_bench [--db PATH] [--reuse] [--repeat N]\n");
            return 2;
        }
    }
    if (repeat < 1 || repeat > 100)
        repeat = 5;
    if (!reuse || access(path, R_OK) != 0)
        build(path);
    const char *windows[] = {"all", "2024-01-01..2024-12-31", "month", "30d", "day"};
    printf("| window | compute best (s) | compute median (s) | + JSON best (s) | "
           "JSON bytes |\n|---|---:|---:|---:|---:|\n");
    FILE *devnull = fopen("/dev/null", "w");
    for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
        double t[100], tj = 1e9;
        long bytes = 0;
        for (int r = 0; r < repeat; r++) {
            char err[256];
            double a = now_s();
            v6m_indicators *ind;
            if (v6m_indicators_open(path, &ind, err, sizeof(err)) != V6M_OK) {
                fprintf(stderr, "%s\n", err);
                return 1;
            }
            struct v6m_ind_query q;
            v6m_ind_query_init(&q);
            v6m_ind_window_parse(&q, windows[w], err, sizeof(err));
            v6m_scorecard *sc;
            if (v6m_indicators_compute(ind, &q, &sc) != V6M_OK) {
                fprintf(stderr, "%s\n", v6m_indicators_errmsg(ind));
                return 1;
            }
            double b = now_s();
            char *buf = NULL;
            size_t len = 0;
            FILE *m = open_memstream(&buf, &len);
            v6m_scorecard_write_json(sc, m, false);
            fclose(m);
            fwrite(buf, 1, len, devnull);
            double c = now_s();
            bytes = (long)len;
            free(buf);
            t[r] = b - a;
            if (c - a < tj)
                tj = c - a;
            if (r == 0 && w == 0) {
                const struct v6m_indicator *i;
                for (size_t k = 0; k < 9; k++) {
                    i = v6m_scorecard_at(sc, k);
                    fprintf(stderr, "  %-18s %s\n", i->id,
                            i->has_value ? "value" : i->no_data);
                }
            }
            v6m_scorecard_free(sc);
            v6m_indicators_close(ind);
        }
        qsort(t, (size_t)repeat, sizeof(double), cmp_d);
        printf("| %s | %.3f | %.3f | %.3f | %ld |\n", windows[w], t[0], t[repeat / 2], tj, bytes);
    }
    fclose(devnull);
    return 0;
}
