/*
 * test_report.c - the traffic renderers and the JSON writer, on a result
 * built by hand: numbers, shares (ratios of sums; null when undefined),
 * targets, CSV rows, escaping, run keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <v6mon/report.h>

#include "report/json_writer.h"

struct fixture {
    struct v6m_traffic_result res;
    struct v6m_family_counts segs[3];
    struct v6m_family_counts dirs[9];
    struct v6m_traffic_bucket buckets[2];
};

static const char *const seg_names[3] = {"mobile", "metro", "other"};

static void fill(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    /* mobile: 600 B v4, 400 B v6 -> byte share 0.4 (below I2's 0.5). */
    f->segs[0].fam[1] = (struct v6m_counts){6, 600, 2};
    f->segs[0].fam[2] = (struct v6m_counts){2, 400, 1};
    /* metro: only IPv4 -> 0; other: nothing -> null. */
    f->segs[1].fam[1] = (struct v6m_counts){3, 300, 1};
    f->segs[1].fam[0] = (struct v6m_counts){1, 60, 0};
    f->res.totals.fam[1] = (struct v6m_counts){9, 900, 3};
    f->res.totals.fam[2] = (struct v6m_counts){2, 400, 1};
    f->res.totals.fam[0] = (struct v6m_counts){1, 60, 0};
    f->buckets[0] = (struct v6m_traffic_bucket){1700000100, 0, f->segs[0]};
    f->buckets[1] = (struct v6m_traffic_bucket){1700000400, 1, f->segs[1]};
    f->res.first_ns = 1700000100ULL * 1000000000ULL;
    f->res.last_ns = 1700000500ULL * 1000000000ULL;
    f->res.bucket_ns = 300ULL * 1000000000ULL;
    f->res.n_segments = 3;
    f->res.segment_names = seg_names;
    f->res.segments = f->segs;
    f->res.seg_dir = f->dirs;
    f->res.n_buckets = 2;
    f->res.buckets = f->buckets;
    f->res.drops[V6M_DROP_TRUNCATED] = 5;
    f->res.ipv6plus.srh_packets = 1;
}

static char *render(const struct fixture *f, enum v6m_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    struct v6m_report_input in = {"x.pcap", "pcap", 1234, "00ff"};
    const char *warn = "x.pcap: \"bad\"\nrecord";
    struct v6m_traffic_meta m = {.tool_version = "t", .inputs = &in, .n_inputs = 1,
                                 .warnings = &warn, .n_warnings = 1, .frames_read = 12};
    assert_int_equal(v6m_report_traffic(out, fmt, &f->res, &m), V6M_OK);
    fclose(out);
    return buf;
}

static void json_has_counts_shares_and_targets(void **state)
{
    (void)state;
    struct fixture f;
    fill(&f);
    char *j = render(&f, V6M_FORMAT_JSON);
    assert_non_null(strstr(j, "\"schema\": \"v6mon.traffic/1\""));
    /* totals: 400 / 1300 bytes */
    assert_non_null(strstr(j, "\"bytes\": 0.307692"));
    assert_non_null(strstr(j, "\"id\": \"I2\""));
    assert_non_null(strstr(j, "\"target\": 0.5"));
    assert_non_null(strstr(j, "\"id\": \"I3\""));
    assert_non_null(strstr(j, "\"bytes\": 0.4"));
    /* the empty "other" segment has undefined shares: null, not 0 */
    assert_non_null(strstr(j, "\"packets\": null"));
    assert_non_null(strstr(j, "\"truncated\": 5"));
    assert_non_null(strstr(j, "\"start\": \"2023-11-14T22:15:00Z\""));
    assert_non_null(strstr(j, "\"srh_packets\": 1"));
    /* escaping of the warning text */
    assert_non_null(strstr(j, "\"x.pcap: \\\"bad\\\"\\nrecord\""));
    free(j);
}

static void csv_rows(void **state)
{
    (void)state;
    struct fixture f;
    fill(&f);
    char *c = render(&f, V6M_FORMAT_CSV);
    assert_non_null(strstr(c, "scope,bucket_start,segment,ipv4_packets"));
    assert_non_null(strstr(c, "\ntotal,,,9,900,3,2,400,1,1,60,0.181818,0.307692,0.250000\n"));
    assert_non_null(strstr(c, "\nsegment,,other,0,0,0,0,0,0,0,0,,,\n"));
    assert_non_null(strstr(c, "\nbucket,2023-11-14T22:20:00Z,metro,3,300,1,0,0,0,1,60,0.000000,"
                              "0.000000,0.000000\n"));
    free(c);
}

static void text_says_target_met_or_not(void **state)
{
    (void)state;
    struct fixture f;
    fill(&f);
    char *t = render(&f, V6M_FORMAT_TEXT);
    assert_non_null(strstr(t, "I2 50%: not met (-10.0 pts)"));
    assert_non_null(strstr(t, "I3 15%: not met (-15.0 pts)"));
    assert_non_null(strstr(t, "truncated 5"));
    free(t);
    f.segs[0].fam[2].bytes = 1400; /* 1400 / 2000 = 70% */
    t = render(&f, V6M_FORMAT_TEXT);
    assert_non_null(strstr(t, "I2 50%: met (+20.0 pts)"));
    free(t);
}

static void json_writer_nesting_and_failure(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    struct json_writer w;
    json_init(&w, out, false);
    json_begin_object(&w);
    json_key(&w, "a");
    json_begin_array(&w);
    json_u64(&w, 1);
    json_i64(&w, -2);
    json_double(&w, 0.0 / 0.0, 6);
    json_string(&w, "\x01");
    json_end_array(&w);
    json_key(&w, "b");
    json_begin_object(&w);
    json_end_object(&w);
    json_end_object(&w);
    assert_true(json_finish(&w));
    fclose(out);
    assert_string_equal(buf, "{\"a\":[1,-2,null,\"\\u0001\"],\"b\":{}}");
    free(buf);
    /* An unbalanced document is reported as failed. */
    out = open_memstream(&buf, &len);
    json_init(&w, out, false);
    json_begin_object(&w);
    assert_false(json_finish(&w));
    fclose(out);
    free(buf);
}

static void run_key_depends_on_inputs_and_options(void **state)
{
    (void)state;
    uint8_t d[2][16];
    memset(d, 1, sizeof(d));
    char k1[48], k2[48], k3[48], k4[48];
    v6m_traffic_run_key((const uint8_t(*)[16])d, 2, "bucket=300", 10, k1);
    v6m_traffic_run_key((const uint8_t(*)[16])d, 2, "bucket=300", 10, k2);
    assert_string_equal(k1, k2);
    assert_int_equal(strncmp(k1, "traffic-", 8), 0);
    assert_int_equal(strlen(k1), 8 + 32);
    v6m_traffic_run_key((const uint8_t(*)[16])d, 2, "bucket=60", 9, k3);
    assert_string_not_equal(k1, k3);
    d[1][0] = 2;
    v6m_traffic_run_key((const uint8_t(*)[16])d, 2, "bucket=300", 10, k4);
    assert_string_not_equal(k1, k4);
}

static void format_names(void **state)
{
    (void)state;
    enum v6m_format f;
    assert_true(v6m_format_parse("json", &f));
    assert_int_equal(f, V6M_FORMAT_JSON);
    assert_true(v6m_format_parse("table", &f));
    assert_int_equal(f, V6M_FORMAT_TEXT);
    assert_false(v6m_format_parse("xml", &f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_has_counts_shares_and_targets),
        cmocka_unit_test(csv_rows),
        cmocka_unit_test(text_says_target_met_or_not),
        cmocka_unit_test(json_writer_nesting_and_failure),
        cmocka_unit_test(run_key_depends_on_inputs_and_options),
        cmocka_unit_test(format_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
