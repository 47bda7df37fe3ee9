/*
 * test_labels.c - the zh-CN / en word table (report/labels).
 *
 * The expected Chinese terms below are typed from the plan (沪经信基〔2022〕
 * 261号: the indicator table and the parity goal) and the brief, not
 * copied from labels.c. The lists of names that must have labels come
 * from the code that produces those names (kpi metrics, verdicts, check
 * ids and states, fetch and resolver statuses) so a new name without a
 * label fails here, plus the reason codes documented in docs/probe.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <v6mon/kpi.h>
#include <v6mon/probe.h>

#include "probe/fetch.h"
#include "probe/resolver.h"
#include "report/labels.h"
#include "util/strbuf.h"

/* Valid UTF-8 without control characters. */
static bool good_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        size_t n = c < 0x80             ? 1
                   : (c & 0xe0) == 0xc0 ? 2
                   : (c & 0xf0) == 0xe0 ? 3
                   : (c & 0xf8) == 0xf0 ? 4
                                        : 0;
        if (!n || (n == 1 && c < 0x20) || (n == 2 && c < 0xc2))
            return false;
        for (size_t i = 1; i < n; i++)
            if ((p[i] & 0xc0) != 0x80)
                return false;
        p += n;
    }
    return true;
}

static bool has_non_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return true;
    return false;
}

static void every_key_has_both_languages_once(void **state)
{
    (void)state;
    size_t n = labels_count();
    assert_true(n > 150);
    size_t zh_chinese = 0;
    for (size_t i = 0; i < n; i++) {
        const struct label *l = labels_at(i);
        assert_non_null(l);
        assert_non_null(l->key);
        /* key: lowercase group, a dot, then a name */
        const char *dot = strchr(l->key, '.');
        assert_non_null(dot);
        for (const char *k = l->key; k < dot; k++)
            assert_true(*k >= 'a' && *k <= 'z');
        assert_true(dot[1] != '\0');
        for (int lang = 0; lang < LABELS_LANGS; lang++) {
            const char *t = l->text[lang];
            if (!t || !*t) {
                fprintf(stderr, "key %s has no text in language %d\n", l->key, lang);
                fail();
            }
            assert_true(good_utf8(t));
            assert_true(t[0] != ' ' && t[strlen(t) - 1] != ' ');
            assert_ptr_equal(labels_get((enum labels_lang)lang, l->key), t);
        }
        /* English is ASCII (straight quotes) */
        assert_false(has_non_ascii(l->text[LABELS_EN]));
        zh_chinese += has_non_ascii(l->text[LABELS_ZH]);
        for (size_t j = 0; j < i; j++)
            if (strcmp(labels_at(j)->key, l->key) == 0) {
                fprintf(stderr, "duplicate key %s\n", l->key);
                fail();
            }
    }
    /* nearly everything is translated (IPv4/IPv6/UTC words may not be) */
    assert_true(zh_chinese + 3 >= n);
    assert_null(labels_at(n));
    assert_null(labels_get(LABELS_ZH, "no.such_key"));
    assert_string_equal(labels_text(LABELS_ZH, "no.such_key"), "no.such_key");
}

static void the_plans_own_terms(void **state)
{
    (void)state;
    static const struct {
        const char *key, *zh;
    } exact[] = {
        {"ind.I1", "IPv6活跃用户占比"},
        {"ind.I2", "移动网络IPv6流量占比"},
        {"ind.I3", "城域网络IPv6流量占比"},
        {"ind.I4", "重点单位网站IPv6支持率"},
        {"ind.I6", "主流移动互联网应用IPv6支持率"},
        {"ind.I7", "主流移动互联网应用IPv6浓度"},
        {"term.loss", "丢包率"},
        {"term.latency", "时延"},
        {"term.conn_success", "连接建立成功率"},
        {"term.page_load", "页面加载时间"},
        {"term.video_stall", "视频播放卡顿率"},
        {"term.dns_time", "DNS解析时延"},
        {"term.converged", "与IPv4基本一致"},
        {"verdict.converged", "与IPv4基本一致"},
        {"term.report", "通报"},
        {"ui.report", "通报"},
        {"ui.target", "目标"},
        {"ui.gap", "差距"},
        {"ui.trend", "趋势"},
        {"ui.coverage", "覆盖"},
        {"ui.no_data", "无数据"},
        {"metric.loss", "丢包率"},
        {"metric.tcp_success", "连接建立成功率"},
        {"metric.video_stall_ratio", "视频播放卡顿率"},
        {"term.l2_links", "二级链接"},
        {"term.l3_links", "三级链接"},
    };
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
        const char *t = labels_get(LABELS_ZH, exact[i].key);
        if (!t || strcmp(t, exact[i].zh) != 0) {
            fprintf(stderr, "%s: '%s', expected '%s'\n", exact[i].key, t ? t : "(none)",
                    exact[i].zh);
            fail();
        }
    }
    /* I5 names the links; I8 the plan's quoted "IPv6+" */
    const char *i5 = labels_get(LABELS_ZH, "ind.I5");
    assert_non_null(strstr(i5, "重点网站IPv6浓度"));
    assert_non_null(strstr(i5, "二级/三级链接"));
    const char *i8 = labels_get(LABELS_ZH, "ind.I8");
    assert_non_null(strstr(i8, "IPv6+"));
    assert_non_null(strstr(i8, "创新应用项目"));
    /* the plan's wording of the metrics is inside the metric labels */
    assert_non_null(strstr(labels_metric(LABELS_ZH, "icmp_rtt_median"), "时延"));
    assert_non_null(strstr(labels_metric(LABELS_ZH, "page_load_median"), "页面加载时间"));
    assert_non_null(strstr(labels_metric(LABELS_ZH, "dns_time_median"), "DNS解析时延"));
    assert_string_equal(labels_indicator(LABELS_EN, "I1"), "IPv6 active users share");
}

static void every_name_the_code_emits_has_a_label(void **state)
{
    (void)state;
    char key[96];
    for (int lang = 0; lang < LABELS_LANGS; lang++) {
        enum labels_lang L = (enum labels_lang)lang;
        /* the preamble's kpi metric list, and the library's own names */
        static const char *const metrics[] = {"loss",
                                              "icmp_rtt_median",
                                              "icmp_rtt_p95",
                                              "tcp_success",
                                              "tcp_rtt_median",
                                              "tcp_rtt_p95",
                                              "dns_time_median",
                                              "dns_success",
                                              "dns_transport_median",
                                              "ttfb_median",
                                              "page_load_median",
                                              "page_load_p95",
                                              "video_startup",
                                              "video_stall_ratio",
                                              "video_stalls",
                                              "video_bitrate",
                                              "cdn_coverage"};
        for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++)
            assert_non_null(labels_lookup(L, "metric", metrics[i]));
        for (int m = 0; m < V6M_KPI_METRICS; m++) {
            const char *name = v6m_kpi_metric_name((enum v6m_kpi_metric)m);
            if (!labels_lookup(L, "metric", name)) {
                fprintf(stderr, "kpi metric '%s' has no label\n", name);
                fail();
            }
            /* the scorecard's parity.<metric> ids */
            snprintf(key, sizeof key, "parity.%s", name);
            assert_ptr_equal(labels_indicator(L, key), labels_lookup(L, "metric", name));
        }
        for (int v = 0; v <= V6M_KPI_INSUFFICIENT; v++)
            assert_non_null(
                labels_lookup(L, "verdict", v6m_kpi_verdict_name((enum v6m_kpi_verdict)v)));
        for (int v = 0; v <= V6M_KPI_T_NOT_TESTABLE; v++)
            assert_non_null(labels_lookup(L, "verdict", v6m_kpi_target_verdict_name(v)));
        for (int c = 0; c < V6M_CHECKS; c++)
            assert_non_null(labels_lookup(L, "check", v6m_check_name((enum v6m_check_id)c)));
        assert_non_null(labels_lookup(L, "check", "W8"));
        for (int s = 0; s <= V6M_CHECK_SKIPPED; s++)
            assert_non_null(
                labels_lookup(L, "state", v6m_check_state_name((enum v6m_check_state)s)));
        static const char *const indicators[] = {"I1", "I2", "I3", "I4", "I5", "I5.resource_bytes",
                                                 "I6", "I7", "I8"};
        for (size_t i = 0; i < sizeof indicators / sizeof indicators[0]; i++)
            assert_non_null(labels_lookup(L, "ind", indicators[i]));
        static const char *const windows[] = {"day", "month", "30d", "all", "range"};
        for (size_t i = 0; i < 5; i++)
            assert_non_null(labels_lookup(L, "window", windows[i]));
        static const char *const units[] = {"buckets", "subscribers", "sites",
                                            "apps",    "results",     "pages"};
        for (size_t i = 0; i < 6; i++)
            assert_non_null(labels_lookup(L, "sunit", units[i]));
        static const char *const tri[] = {"yes", "no", "unknown"};
        for (size_t i = 0; i < 3; i++)
            assert_non_null(labels_lookup(L, "tri", tri[i]));
        static const char *const facts[] = {"ipv6_packets", "srh_packets", "flow_label_packets"};
        for (size_t i = 0; i < 3; i++)
            assert_non_null(labels_lookup(L, "fact", facts[i]));
        static const char *const cats[] = {"government", "finance", "education", "medical",
                                           "media"};
        for (size_t i = 0; i < 5; i++)
            assert_non_null(labels_lookup(L, "cat", cats[i]));
    }
}

/* docs/probe.md's codes, and the fetch / resolver statuses the prober
 * turns into codes (app domains: uppercase fetch_status_name, DNS_ +
 * uppercase resolve_status_name; site W3: W3_ + its own fetch codes). */
static void every_reason_code_has_a_sentence(void **state)
{
    (void)state;
    static const char *const documented[] = {
        "W1_NO_AAAA", "W1_CNAME_NO_AAAA", "W1_NOT_GLOBAL", "W1_NXDOMAIN", "W1_DNS", "W1_DNS_BOGUS",
        "W2_NS_NO_IPV6", "W2_NS_NO_ANSWER", "W2_NO_ZONE", "W3_REFUSED", "W3_TIMEOUT",
        "W3_UNREACHABLE", "W3_RESET", "W3_TLS_CERT", "W3_TLS", "W3_PROTOCOL", "W3_HTTP_STATUS",
        "W3_REDIRECT_NO_AAAA", "W3_REDIRECTS", "W4_FLAKY", "W4_FAILED", "W5_STATUS", "W5_PORTS",
        "W5_CONTENT", "W5_LINKS", "W6_LINKS", "W6_NO_HOME", "W7_LINKS", "W7_NO_HOME",
        /* W3_ + the chain's other codes (probe/chain.c) */
        "W3_TOO_BIG", "W3_LOCAL", "W3_CANCELLED", "W3_OTHER", "W3_FAILED", "W3_BAD_URL", "W3_DNS",
        "W3_NO_AAAA", "W3_NOT_GLOBAL",
        /* links and app domains */
        "NO_AAAA", "NO_A", "NOT_GLOBAL", "DNS", "HTTP_STATUS", "REDIRECTS", "BAD_URL", "BAD_NAME",
        "FAILED", "OTHER", "NOT_TESTABLE", "CONNECT_TIMEOUT"};
    char code[64];
    for (int lang = 0; lang < LABELS_LANGS; lang++) {
        enum labels_lang L = (enum labels_lang)lang;
        for (size_t i = 0; i < sizeof documented / sizeof documented[0]; i++)
            if (!labels_reason(L, documented[i])) {
                fprintf(stderr, "reason %s has no sentence\n", documented[i]);
                fail();
            }
        for (int s = 1; s < FS__COUNT; s++) { /* FS_OK has no code */
            const char *n = fetch_status_name((enum fetch_status)s);
            size_t k = 0;
            for (; n[k] && k + 1 < sizeof code; k++)
                code[k] = (char)(n[k] >= 'a' && n[k] <= 'z' ? n[k] - 32 : n[k]);
            code[k] = '\0';
            if (!labels_reason(L, code)) {
                fprintf(stderr, "fetch status code %s has no sentence\n", code);
                fail();
            }
        }
        for (int s = 1; s < RS__COUNT; s++) {
            const char *n = resolve_status_name((enum resolve_status)s);
            int k = snprintf(code, sizeof code, "DNS_");
            for (; *n && k + 1 < (int)sizeof code; n++)
                code[k++] = (char)(*n >= 'a' && *n <= 'z' ? *n - 32 : *n);
            code[k] = '\0';
            if (!labels_reason(L, code)) {
                fprintf(stderr, "resolver code %s has no sentence\n", code);
                fail();
            }
        }
        assert_null(labels_reason(L, "NO_SUCH_CODE"));
        assert_null(labels_reason(L, "W9_REFUSED"));
    }
    /* W3_CANCELLED has no entry of its own: the bare code's sentence */
    assert_ptr_equal(labels_reason(LABELS_ZH, "W3_CANCELLED"),
                     labels_get(LABELS_ZH, "reason.CANCELLED"));
}

static void templates_use_known_variables(void **state)
{
    (void)state;
    static const char *const known[] = {"host", "detail", "status", "passed", "total", "url"};
    for (size_t i = 0; i < labels_count(); i++) {
        const struct label *l = labels_at(i);
        for (int lang = 0; lang < LABELS_LANGS; lang++) {
            int vars_en = 0;
            for (const char *p = l->text[lang]; *p; p++) {
                if (*p == '}') {
                    fprintf(stderr, "%s: stray '}'\n", l->key);
                    fail();
                }
                if (*p != '{')
                    continue;
                const char *e = strchr(p, '}');
                assert_non_null(e);
                bool ok = false;
                for (size_t k = 0; k < 6; k++)
                    ok |= strlen(known[k]) == (size_t)(e - p - 1) &&
                          !strncmp(known[k], p + 1, (size_t)(e - p - 1));
                if (!ok) {
                    fprintf(stderr, "%s: unknown variable %.*s\n", l->key, (int)(e - p + 1), p);
                    fail();
                }
                vars_en++;
                p = e;
            }
            (void)vars_en;
        }
        /* both languages use the same variables */
        if (strncmp(l->key, "reason.", 7) == 0) {
            for (size_t k = 0; k < 6; k++) {
                char v[16];
                snprintf(v, sizeof v, "{%s}", known[k]);
                assert_int_equal(strstr(l->text[0], v) != NULL, strstr(l->text[1], v) != NULL);
            }
        }
    }
}

static void render_fills_and_drops_variables(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    struct labels_var v[] = {
        {"host", "www.example.cn"}, {"passed", "3"}, {"total", "10"}, {"status", NULL}};
    assert_true(labels_render(&sb, "{host} failed {passed}/{total}", v, 4));
    assert_string_equal(sb.buf, "www.example.cn failed 3/10");
    strbuf_reset(&sb);
    /* a missing variable takes one neighbouring space with it */
    assert_true(labels_render(&sb, "{url} has no AAAA", v, 4));
    assert_string_equal(sb.buf, "has no AAAA");
    strbuf_reset(&sb);
    assert_true(labels_render(&sb, "域名 {url} 不存在", v, 4));
    assert_string_equal(sb.buf, "域名 不存在");
    strbuf_reset(&sb);
    assert_true(labels_render(&sb, "HTTP {status}.", v, 4));
    assert_string_equal(sb.buf, "HTTP.");
    strbuf_reset(&sb);
    /* an earlier space in the buffer is not the template's to drop */
    strbuf_addstr(&sb, "x ");
    assert_true(labels_render(&sb, "{url}y", v, 4));
    assert_string_equal(sb.buf, "x y");
    strbuf_reset(&sb);
    assert_true(labels_render(&sb, "{{literal} {host}", v, 1));
    assert_string_equal(sb.buf, "{literal} www.example.cn");
    strbuf_reset(&sb);
    /* reasons */
    assert_true(labels_reason_render(&sb, LABELS_ZH, "W4_FLAKY", v, 4));
    assert_string_equal(sb.buf, "IPv6访问 10 次中仅 3 次成功");
    strbuf_reset(&sb);
    assert_true(labels_reason_render(&sb, LABELS_EN, "W1_NO_AAAA", v, 1));
    assert_string_equal(sb.buf,
                        "www.example.cn has no AAAA record: no IPv6 address is published in DNS");
    strbuf_reset(&sb);
    struct labels_var d[] = {{"detail", "something odd"}};
    assert_true(labels_reason_render(&sb, LABELS_ZH, "X_NEW_CODE", d, 1));
    assert_string_equal(sb.buf, "X_NEW_CODE: something odd");
    strbuf_release(&sb);
}

static void language_from_the_locale(void **state)
{
    (void)state;
    assert_int_equal(labels_lang_from_values(NULL, NULL, "zh_CN.UTF-8"), LABELS_ZH);
    assert_int_equal(labels_lang_from_values("", "", "zh_CN.UTF-8"), LABELS_ZH);
    assert_int_equal(labels_lang_from_values("C", NULL, "zh_CN.UTF-8"), LABELS_EN);
    assert_int_equal(labels_lang_from_values(NULL, "zh_TW.UTF-8", "en_US.UTF-8"), LABELS_ZH);
    assert_int_equal(labels_lang_from_values("ZH_cn", "en_US", "en_US"), LABELS_ZH);
    assert_int_equal(labels_lang_from_values("en_US.UTF-8", "zh_CN", "zh_CN"), LABELS_EN);
    assert_int_equal(labels_lang_from_values(NULL, NULL, NULL), LABELS_EN);
    assert_int_equal(labels_lang_from_values("", "", ""), LABELS_EN);
    assert_int_equal(labels_lang_from_values(NULL, NULL, "POSIX"), LABELS_EN);

    setenv("LC_ALL", "", 1);
    setenv("LC_MESSAGES", "zh_CN.UTF-8", 1);
    setenv("LANG", "en_US.UTF-8", 1);
    assert_int_equal(labels_lang_from_env(), LABELS_ZH);
    setenv("LC_ALL", "C.UTF-8", 1);
    assert_int_equal(labels_lang_from_env(), LABELS_EN);
    unsetenv("LC_ALL");
    unsetenv("LC_MESSAGES");
    setenv("LANG", "zh_SG", 1);
    assert_int_equal(labels_lang_from_env(), LABELS_ZH);
    unsetenv("LANG");
    assert_int_equal(labels_lang_from_env(), LABELS_EN);

    enum labels_lang l = LABELS_EN;
    static const char *const zh[] = {"zh", "ZH", "zh-CN", "zh_CN.UTF-8", "cn", "Chinese", "中文"};
    for (size_t i = 0; i < sizeof zh / sizeof zh[0]; i++) {
        l = LABELS_EN;
        assert_true(labels_lang_parse(zh[i], &l));
        assert_int_equal(l, LABELS_ZH);
    }
    static const char *const en[] = {"en", "EN", "en-US", "en_GB.UTF-8", "english", "C"};
    for (size_t i = 0; i < sizeof en / sizeof en[0]; i++) {
        l = LABELS_ZH;
        assert_true(labels_lang_parse(en[i], &l));
        assert_int_equal(l, LABELS_EN);
    }
    static const char *const bad[] = {"", "fr", "zhx", "english2", "e"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        l = LABELS_ZH;
        assert_false(labels_lang_parse(bad[i], &l));
        assert_int_equal(l, LABELS_ZH); /* untouched */
    }
    assert_false(labels_lang_parse(NULL, &l));
    assert_string_equal(labels_lang_tag(LABELS_ZH), "zh-CN");
    assert_string_equal(labels_lang_tag(LABELS_EN), "en");
}

static void shorthands_fall_back_to_the_name(void **state)
{
    (void)state;
    assert_string_equal(labels_indicator(LABELS_ZH, "I9"), "I9");
    assert_string_equal(labels_metric(LABELS_ZH, "new_metric"), "new_metric");
    assert_string_equal(labels_check(LABELS_EN, "W1"), "AAAA record");
    assert_string_equal(labels_window(LABELS_ZH, "30d"), "近30天");
    assert_string_equal(labels_verdict(LABELS_ZH, "converged"), "与IPv4基本一致");
    assert_string_equal(labels_indicator(LABELS_ZH, "parity.page_load_median"),
                        labels_metric(LABELS_ZH, "page_load_median"));
    assert_string_equal(labels_indicator(LABELS_ZH, NULL), "");
    /* an over-long name cannot be a key */
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_null(labels_lookup(LABELS_ZH, "metric", longname));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_key_has_both_languages_once),
        cmocka_unit_test(the_plans_own_terms),
        cmocka_unit_test(every_name_the_code_emits_has_a_label),
        cmocka_unit_test(every_reason_code_has_a_sentence),
        cmocka_unit_test(templates_use_known_variables),
        cmocka_unit_test(render_fills_and_drops_variables),
        cmocka_unit_test(language_from_the_locale),
        cmocka_unit_test(shorthands_fall_back_to_the_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
