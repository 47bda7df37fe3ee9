/*
 * test_kpi.c - the pure half of `v6mon kpi` (lib/probe/kpi_judge.c):
 * quantiles, the per-metric verdict with its floors and thresholds,
 * the thresholds file, and the Happy Eyeballs model of RFC 8305.
 *
 * Expected values are worked out by hand in the comments from the rules
 * in docs/kpi.md, not taken from the code's output.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <v6mon/kpi.h>

static void test_quantiles(void **state)
{
    (void)state;
    double a[] = {5, 1, 4, 2, 3};
    assert_true(v6m_kpi_quantile(a, 5, 0.5) == 3);       /* odd count: the middle */
    double b[] = {10, 40, 20, 30};
    assert_true(v6m_kpi_quantile(b, 4, 0.5) == 25);      /* even count: mean of 20, 30 */
    double c[20];
    for (int i = 0; i < 20; i++)
        c[i] = 20 - i;                                     /* 20..1 */
    assert_true(v6m_kpi_quantile(c, 20, 0.95) == 19);    /* nearest rank ceil(19) = 19th */
    double d[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 100};
    assert_true(v6m_kpi_quantile(d, 10, 0.95) == 100);   /* ceil(9.5) = 10th */
    assert_true(isnan(v6m_kpi_quantile(d, 0, 0.5)));
}

static struct v6m_kpi_value val(double v4, unsigned n4, double v6, unsigned n6)
{
    struct v6m_kpi_value v;
    memset(&v, 0, sizeof v);
    v.v4 = v4;
    v.v6 = v6;
    v.n4 = n4;
    v.n6 = n6;
    return v;
}

static void test_judge_times(void **state)
{
    (void)state;
    struct v6m_kpi_config cfg;
    v6m_kpi_config_defaults(&cfg);
    char why[200];
    /* 40 vs 60 ms: D = (60 - 40) / 40 = 0.5 > 0.2, and 60 > the 30 ms floor */
    struct v6m_kpi_value v = val(40, 10, 60, 10);
    v6m_kpi_judge(V6M_KPI_TCP_RTT_MEDIAN, &cfg.th, &v, why, sizeof why);
    assert_int_equal(v.verdict, V6M_KPI_DEGRADED);
    assert_true(fabs(v.d - 0.5) < 1e-12);
    assert_non_null(strstr(why, "50%"));
    /* 40 vs 47: D = 0.175 <= 0.2: converged */
    v = val(40, 10, 47, 10);
    v6m_kpi_judge(V6M_KPI_TCP_RTT_MEDIAN, &cfg.th, &v, why, sizeof why);
    assert_int_equal(v.verdict, V6M_KPI_CONVERGED);
    assert_true(fabs(v.d - 0.175) < 1e-12);
    /* 2 vs 10 ms: D = 4, but both are within the 30 ms floor: converged */
    v = val(2, 10, 10, 10);
    v6m_kpi_judge(V6M_KPI_TCP_RTT_MEDIAN, &cfg.th, &v, why, sizeof why);
    assert_int_equal(v.verdict, V6M_KPI_CONVERGED);
    assert_true(fabs(v.d - 4.0) < 1e-12);
    assert_non_null(strstr(why, "floor"));
    /* IPv6 better: D negative, converged */
    v = val(80, 5, 60, 5);
    v6m_kpi_judge(V6M_KPI_PAGE_LOAD_MEDIAN, &cfg.th, &v, why, sizeof why);
    assert_int_equal(v.verdict, V6M_KPI_CONVERGED);
    assert_true(fabs(v.d + 0.25) < 1e-12);
    /* too few samples: 2 < the 3 needed for tcp_rtt_median, no D */
    v = val(40, 2, 60, 10);
    v6m_kpi_judge(V6M_KPI_TCP_RTT_MEDIAN, &cfg.th, &v, why, sizeof why);
    assert_int_equal(v.verdict, V6M_KPI_INSUFFICIENT);
    assert_true(isnan(v.d));
    assert_non_null(strstr(why, "insufficient"));
    /* a family with no value at all */
    v = val(40, 10, NAN, 0);
    v6m_kpi_judge(V6M_KPI_ICMP_RTT_MEDIAN, &cfg.th, &v, why, sizeof why);
    assert_int_equal(v.verdict, V6M_KPI_INSUFFICIENT);
}

static void test_judge_rates(void **state)
{
    (void)state;
    struct v6m_kpi_config cfg;
    v6m_kpi_config_defaults(&cfg);
    char why[200];
    /* loss 0% vs 5%: x4 = 0, x6 = 0.05 > 1% floor: degraded, D undefined */
    struct v6m_kpi_value v = val(0.0, 100, 0.05, 100);
    v6m_kpi_judge(V6M_KPI_LOSS, &cfg.th, &v, why, sizeof why);
    assert_int_equal(v.verdict, V6M_KPI_DEGRADED);
    assert_true(isnan(v.d));
    /* loss 0% vs 0.5%: both within the 1% floor */
    v = val(0.0, 100, 0.005, 100);
    v6m_kpi_judge(V6M_KPI_LOSS, &cfg.th, &v, why, sizeof why);
    assert_int_equal(v.verdict, V6M_KPI_CONVERGED);
    /* loss 0 vs 0: D = 0 */
    v = val(0.0, 100, 0.0, 100);
    v6m_kpi_judge(V6M_KPI_LOSS, &cfg.th, &v, why, sizeof why);
    assert_true(v.d == 0);
    /* success 95% vs 90%: failures 5% vs 10%, D = (0.10 - 0.05) / 0.05 = 1 */
    v = val(0.95, 20, 0.90, 20);
    v6m_kpi_judge(V6M_KPI_TCP_SUCCESS, &cfg.th, &v, why, sizeof why);
    assert_int_equal(v.verdict, V6M_KPI_DEGRADED);
    assert_true(fabs(v.d - 1.0) < 1e-9);
    /* success 100% vs 0% (a dead IPv6 path): degraded, no D */
    v = val(1.0, 9, 0.0, 9);
    v6m_kpi_judge(V6M_KPI_TCP_SUCCESS, &cfg.th, &v, why, sizeof why);
    assert_int_equal(v.verdict, V6M_KPI_DEGRADED);
    assert_true(isnan(v.d));
    /* success 100% vs 99.5%: failures 0 vs 0.5% within the 1% floor */
    v = val(1.0, 200, 0.995, 200);
    v6m_kpi_judge(V6M_KPI_TCP_SUCCESS, &cfg.th, &v, why, sizeof why);
    assert_int_equal(v.verdict, V6M_KPI_CONVERGED);
    /* bitrate (higher is better, no floor): 1200k vs 600k: D = 0.5 */
    v = val(1200000, 1, 600000, 1);
    v6m_kpi_judge(V6M_KPI_VIDEO_BITRATE, &cfg.th, &v, why, sizeof why);
    assert_int_equal(v.verdict, V6M_KPI_DEGRADED);
    assert_true(fabs(v.d - 0.5) < 1e-12);
    /* stall ratio 0 vs 0.35 */
    v = val(0.0, 3, 0.35, 3);
    v6m_kpi_judge(V6M_KPI_VIDEO_STALL_RATIO, &cfg.th, &v, why, sizeof why);
    assert_int_equal(v.verdict, V6M_KPI_DEGRADED);
}

static void test_thresholds_file(void **state)
{
    (void)state;
    char path[] = "/tmp/v6m-kpi-th-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# test\nthreshold = 0.5\nfloor.rtt = 100   # all four RTT metrics\n"
          "weight.loss = 3\nmin_samples.page_load_median = 7\n", f);
    fclose(f);
    struct v6m_kpi_config cfg;
    v6m_kpi_config_defaults(&cfg);
    char err[256];
    assert_int_equal(v6m_kpi_load_thresholds(&cfg, path, err, sizeof err), V6M_OK);
    assert_true(cfg.th.threshold == 0.5);
    assert_true(cfg.th.floor[V6M_KPI_ICMP_RTT_MEDIAN] == 100);
    assert_true(cfg.th.floor[V6M_KPI_TCP_RTT_P95] == 100);
    assert_true(cfg.th.floor[V6M_KPI_DNS_TIME_MEDIAN] == 50); /* untouched default */
    assert_true(cfg.th.weight[V6M_KPI_LOSS] == 3);
    assert_int_equal(cfg.th.min_samples[V6M_KPI_PAGE_LOAD_MEDIAN], 7);
    /* with threshold 0.5, 40 vs 59 ms (D 0.475) converges */
    struct v6m_kpi_value v = val(40, 10, 59, 10);
    char why[200];
    cfg.th.floor[V6M_KPI_TCP_RTT_MEDIAN] = 30;
    v6m_kpi_judge(V6M_KPI_TCP_RTT_MEDIAN, &cfg.th, &v, why, sizeof why);
    assert_int_equal(v.verdict, V6M_KPI_CONVERGED);

    f = fopen(path, "w");
    fputs("floor.nosuch = 1\n", f);
    fclose(f);
    struct v6m_kpi_config before = cfg;
    assert_int_equal(v6m_kpi_load_thresholds(&cfg, path, err, sizeof err), V6M_ERR_CONFIG);
    assert_non_null(strstr(err, ":1: unknown key"));
    assert_true(cfg.th.threshold == before.th.threshold); /* nothing applied */
    f = fopen(path, "w");
    fputs("threshold = -1\n", f);
    fclose(f);
    assert_int_equal(v6m_kpi_load_thresholds(&cfg, path, err, sizeof err), V6M_ERR_CONFIG);
    f = fopen(path, "w");
    fputs("threshold 0.3\n", f);
    fclose(f);
    assert_int_equal(v6m_kpi_load_thresholds(&cfg, path, err, sizeof err), V6M_ERR_CONFIG);
    unlink(path);
    assert_int_equal(v6m_kpi_load_thresholds(&cfg, path, err, sizeof err), V6M_ERR_IO);
}

static void test_happy_eyeballs(void **state)
{
    (void)state;
    /* AAAA at 10, A at 12: IPv6 starts at 10, IPv4 at max(12, 10 + 250) = 260.
     * IPv6 handshake 100 -> 110; IPv4 5 -> 265: IPv6 */
    assert_int_equal(v6m_kpi_happy_eyeballs(10, 12, 100, 5, 50, 250), 6);
    /* IPv6 handshake 300 -> 310; IPv4 5 -> 265: IPv4 wins (IPv6 over 250 ms slower) */
    assert_int_equal(v6m_kpi_happy_eyeballs(10, 12, 300, 5, 50, 250), 4);
    /* AAAA 40 ms after A (within the 50 ms Resolution Delay): IPv6 first:
     * 6 starts at 50, 4 at 300; 6 takes 200 -> 250 < 4's 300 + 1: IPv6 */
    assert_int_equal(v6m_kpi_happy_eyeballs(50, 10, 200, 1, 50, 250), 6);
    /* AAAA 100 ms after A: IPv4 starts at 10 + 50 = 60, IPv6 at
     * max(110, 60 + 250) = 310; 6 takes 1 -> 311, 4 takes 200 -> 260: IPv4 */
    assert_int_equal(v6m_kpi_happy_eyeballs(110, 10, 1, 200, 50, 250), 4);
    /* same, IPv4 handshake 300 -> 360 > 311: IPv6 */
    assert_int_equal(v6m_kpi_happy_eyeballs(110, 10, 1, 300, 50, 250), 6);
    /* IPv6 handshake failed: IPv4 */
    assert_int_equal(v6m_kpi_happy_eyeballs(10, 12, NAN, 30, 50, 250), 4);
    /* no AAAA: IPv4 */
    assert_int_equal(v6m_kpi_happy_eyeballs(NAN, 12, NAN, 30, 50, 250), 4);
    /* no A: IPv6 alone */
    assert_int_equal(v6m_kpi_happy_eyeballs(5, NAN, 30, NAN, 50, 250), 6);
    /* nothing connects */
    assert_int_equal(v6m_kpi_happy_eyeballs(5, 5, NAN, NAN, 50, 250), 0);
    assert_int_equal(v6m_kpi_happy_eyeballs(NAN, NAN, 1, 1, 50, 250), 0);
}

static void test_names(void **state)
{
    (void)state;
    for (int m = 0; m < V6M_KPI_METRICS; m++) {
        const char *n = v6m_kpi_metric_name(m);
        assert_int_equal(v6m_kpi_metric_from_name(n), m);
        for (int o = 0; o < m; o++)
            assert_string_not_equal(n, v6m_kpi_metric_name(o));
    }
    assert_int_equal(v6m_kpi_metric_from_name("nosuch"), -1);
    assert_string_equal(v6m_kpi_metric_unit(V6M_KPI_VIDEO_BITRATE), "bit/s");
    assert_true(v6m_kpi_metric_higher_better(V6M_KPI_TCP_SUCCESS));
    assert_false(v6m_kpi_metric_higher_better(V6M_KPI_LOSS));
    assert_string_equal(v6m_kpi_target_verdict_name(V6M_KPI_T_V6_UNREACHABLE), "v6_unreachable");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantiles),     cmocka_unit_test(test_judge_times),
        cmocka_unit_test(test_judge_rates),   cmocka_unit_test(test_thresholds_file),
        cmocka_unit_test(test_happy_eyeballs), cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
