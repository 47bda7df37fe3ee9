/*
 * report/labels.c - the zh-CN / en word table (see labels.h).
 *
 * The Chinese indicator names and performance terms are the plan's own,
 * copied from seed/shanghai-ipv6-plan-2022-2024.txt (the indicator table
 * and the goal "IPv6 网络平均丢包率、时延、连接建立成功率、页面加载时间、
 * 视频播放卡顿率等关键性能指标与 IPv4 基本一致"), written without the
 * spaces the scanned text has between Latin and Chinese characters, as the
 * printed plan does. Reason templates follow docs/probe.md's codes: the
 * site checks (W1_ .. W7_), and the bare codes of crawled links and app
 * domains (fetch failures, DNS_<status> of the resolver, NO_AAAA ...).
 *
 * Lookup is a linear scan with a first-byte filter: the table has a few
 * hundred rows and a report looks up a few thousand keys (~ms). A sorted
 * table would save little and make the groups below harder to read.
 */
#include "report/labels.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define L(k, en, zh)                                                                               \
    {                                                                                              \
        k,                                                                                         \
        {                                                                                          \
            en, zh                                                                                 \
        }                                                                                          \
    }

static const struct label table[] = {
    /* ---- the plan's indicators (I1..I8) ---- */
    L("ind.I1", "IPv6 active users share", "IPv6活跃用户占比"),
    L("ind.I2", "Mobile network IPv6 traffic share", "移动网络IPv6流量占比"),
    L("ind.I3", "Metro network IPv6 traffic share", "城域网络IPv6流量占比"),
    L("ind.I4", "Key websites IPv6 support rate", "重点单位网站IPv6支持率"),
    L("ind.I5", "Key websites IPv6 concentration (2nd/3rd-level links)",
      "重点网站IPv6浓度（二级/三级链接）"),
    L("ind.I5.resource_bytes", "Key websites IPv6 concentration (resource bytes)",
      "重点网站IPv6浓度（资源字节）"),
    L("ind.I6", "Mainstream mobile apps IPv6 support rate", "主流移动互联网应用IPv6支持率"),
    L("ind.I7", "Mainstream mobile apps IPv6 concentration", "主流移动互联网应用IPv6浓度"),
    L("ind.I8", "\"IPv6+\" innovation projects", "\xe2\x80\x9cIPv6+\xe2\x80\x9d创新应用项目"),
    L("ind.parity", "IPv6 performance parity with IPv4", "IPv6关键性能指标与IPv4对比"),

    /* ---- the plan's performance terms, as it writes them ---- */
    L("term.loss", "packet loss", "丢包率"),
    L("term.latency", "latency", "时延"),
    L("term.conn_success", "connection establishment success rate", "连接建立成功率"),
    L("term.page_load", "page load time", "页面加载时间"),
    L("term.video_stall", "video stall rate", "视频播放卡顿率"),
    L("term.dns_time", "DNS resolution time", "DNS解析时延"),
    L("term.converged", "essentially the same as IPv4", "与IPv4基本一致"),
    L("term.report", "periodic report", "通报"),
    L("term.ipv6plus", "\"IPv6+\" innovation project", "\xe2\x80\x9cIPv6+\xe2\x80\x9d创新应用项目"),
    L("term.concentration", "IPv6 concentration", "IPv6浓度"),
    L("term.support_rate", "IPv6 support rate", "IPv6支持率"),
    L("term.l2_links", "second-level links", "二级链接"),
    L("term.l3_links", "third-level links", "三级链接"),

    /* ---- kpi metrics (kpi_metrics.metric) ---- */
    L("metric.loss", "Packet loss", "丢包率"),
    L("metric.icmp_rtt_median", "Latency (ICMP echo RTT, median)", "时延（ICMP往返，中位数）"),
    L("metric.icmp_rtt_p95", "Latency (ICMP echo RTT, 95th percentile)", "时延（ICMP往返，P95）"),
    L("metric.tcp_success", "Connection establishment success rate", "连接建立成功率"),
    L("metric.tcp_rtt_median", "TCP handshake RTT (median)", "TCP握手时延（中位数）"),
    L("metric.tcp_rtt_p95", "TCP handshake RTT (95th percentile)", "TCP握手时延（P95）"),
    L("metric.dns_time_median", "DNS resolution time (A vs AAAA, median)",
      "DNS解析时延（A与AAAA，中位数）"),
    L("metric.dns_success", "DNS resolution success (A vs AAAA)", "DNS解析成功率（A与AAAA）"),
    L("metric.dns_transport_median", "DNS resolution time over IPv4 vs IPv6 transport (median)",
      "DNS解析时延（经IPv4与IPv6访问解析器，中位数）"),
    L("metric.ttfb_median", "Time to first byte (median)", "首字节时间（中位数）"),
    L("metric.page_load_median", "Page load time (median)", "页面加载时间（中位数）"),
    L("metric.page_load_p95", "Page load time (95th percentile)", "页面加载时间（P95）"),
    L("metric.video_startup", "Video start-up delay", "视频起播时延"),
    L("metric.video_stall_ratio", "Video stall rate", "视频播放卡顿率"),
    L("metric.video_stalls", "Video stalls per session", "视频卡顿次数（每次播放）"),
    L("metric.video_bitrate", "Average video bitrate", "视频平均码率"),
    L("metric.cdn_coverage", "CDN IPv6 coverage", "CDN IPv6覆盖率"),

    /* ---- website checks and their states ---- */
    L("check.W1", "AAAA record", "AAAA记录"),
    L("check.W2", "Name servers over IPv6", "权威域名服务器IPv6"),
    L("check.W3", "Home page over IPv6", "首页IPv6访问"),
    L("check.W4", "Repeated attempts over IPv6", "IPv6多次访问成功率"),
    L("check.W5", "IPv4/IPv6 consistency", "IPv4/IPv6一致性"),
    L("check.W6", "Second-level links over IPv6", "二级链接IPv6支持"),
    L("check.W7", "Third-level links over IPv6", "三级链接IPv6支持"),
    L("check.W8", "Performance parity", "性能与IPv4一致"),
    L("state.pass", "pass", "通过"),
    L("state.fail", "fail", "未通过"),
    L("state.not_testable", "not testable", "无法测试"),
    L("state.skipped", "skipped", "未测试"),

    /* ---- verdicts (kpi) ---- */
    L("verdict.converged", "essentially the same as IPv4", "与IPv4基本一致"),
    L("verdict.degraded", "IPv6 worse than IPv4", "IPv6劣于IPv4"),
    L("verdict.insufficient", "insufficient data", "样本不足"),
    L("verdict.v6_unreachable", "unreachable over IPv6", "IPv6不可达"),
    L("verdict.no_aaaa", "no AAAA record", "无AAAA记录"),
    L("verdict.not_testable", "not testable from this vantage point", "本监测点无法测试"),

    /* ---- windows ---- */
    L("window.day", "Day", "日"),
    L("window.month", "Calendar month", "自然月"),
    L("window.30d", "Last 30 days", "近30天"),
    L("window.all", "All data", "全部数据"),
    L("window.range", "Date range", "指定时段"),

    /* ---- segments, site and app categories ---- */
    L("seg.mobile", "Mobile network", "移动网络"),
    L("seg.metro", "Metro network", "城域网络"),
    L("cat.government", "Government", "政务"),
    L("cat.finance", "Finance", "金融"),
    L("cat.education", "Education", "教育"),
    L("cat.medical", "Medical", "医疗"),
    L("cat.media", "Media", "媒体"),
    L("cat.industry", "Industry", "工业"),
    L("cat.infra", "Infrastructure", "基础设施"),

    /* ---- IPv6+ facts seen in traffic ---- */
    L("fact.ipv6_packets", "IPv6 packets", "IPv6报文"),
    L("fact.srh_packets", "Packets with an SRv6 segment routing header",
      "携带SRv6段路由头（SRH）的报文"),
    L("fact.flow_label_packets", "Packets with a flow label", "携带流标签的报文"),

    /* ---- sample units (coverage) ---- */
    L("sunit.buckets", "time buckets", "个时间桶"),
    L("sunit.subscribers", "subscribers", "个用户"),
    L("sunit.sites", "sites", "个网站"),
    L("sunit.apps", "apps", "个应用"),
    L("sunit.pages", "pages", "个页面"),
    L("sunit.results", "results", "条结果"),
    L("sunit.projects", "projects", "个项目"),

    /* ---- yes / no / unknown ---- */
    L("tri.yes", "yes", "是"),
    L("tri.no", "no", "否"),
    L("tri.unknown", "unknown", "未知"),

    /* ---- interface words ---- */
    L("ui.report_title", "IPv6 deployment report", "IPv6规模部署监测通报"),
    L("ui.report", "Periodic report", "通报"),
    L("ui.scorecard", "Scorecard", "主要指标完成情况"),
    L("ui.indicator", "Indicator", "指标"),
    L("ui.value", "Value", "当前值"),
    L("ui.target", "Target", "目标"),
    L("ui.gap", "Gap", "差距"),
    L("ui.trend", "Trend", "趋势"),
    L("ui.coverage", "Coverage", "覆盖"),
    L("ui.no_data", "no data", "无数据"),
    L("ui.met", "met", "已达标"),
    L("ui.not_met", "not met", "未达标"),
    L("ui.trend_up", "rising", "上升"),
    L("ui.trend_down", "falling", "下降"),
    L("ui.trend_flat", "flat", "持平"),
    L("ui.window", "Window", "统计周期"),
    L("ui.vantage", "Vantage point", "监测点"),
    L("ui.segment", "Network segment", "网络区段"),
    L("ui.category", "Category", "类别"),
    L("ui.site", "Website", "网站"),
    L("ui.unit", "Organisation", "单位"),
    L("ui.app", "App", "应用"),
    L("ui.domain", "Domain", "域名"),
    L("ui.check", "Check", "检测项"),
    L("ui.reason", "Reason", "原因"),
    L("ui.evidence", "Evidence", "依据"),
    L("ui.score", "Score", "得分"),
    L("ui.supported", "Supports IPv6", "支持IPv6"),
    L("ui.compliant", "Passes every check", "全部检测项通过"),
    L("ui.failing_sites", "Sites that do not pass", "未达标网站"),
    L("ui.ranking", "Ranking", "排名"),
    L("ui.ipv4_only_domains", "IPv4-only domains", "仅支持IPv4的域名"),
    L("ui.traffic_by_segment", "Traffic per network segment", "各网络区段流量"),
    L("ui.traffic_share", "IPv6 share of traffic", "IPv6流量占比"),
    L("ui.parity", "IPv4 / IPv6 performance", "IPv4/IPv6性能对比"),
    L("ui.degradation", "Degradation D (positive: IPv6 worse)", "劣化度D（正值表示IPv6更差）"),
    L("ui.distribution", "Distribution", "分布"),
    L("ui.median", "median", "中位数"),
    L("ui.samples", "samples", "样本数"),
    L("ui.sample_size", "Sample size", "样本量"),
    L("ui.utc", "UTC", "UTC时间"),
    L("ui.ipv4", "IPv4", "IPv4"),
    L("ui.ipv6", "IPv6", "IPv6"),
    L("ui.projects", "\"IPv6+\" projects", "\xe2\x80\x9cIPv6+\xe2\x80\x9d项目"),
    L("ui.project", "Project", "项目"),
    L("ui.field", "Field", "领域"),
    L("ui.status", "Status", "状态"),
    L("ui.ipv6plus_facts", "IPv6+ features seen in traffic", "流量中观察到的IPv6+特征"),
    L("ui.data_source", "Data", "数据来源"),
    L("ui.runs", "Runs", "监测批次"),
    L("ui.generated", "Generated", "生成时间"),
    L("ui.tool_version", "Tool version", "工具版本"),
    L("ui.estimated", "estimated (HyperLogLog)", "估算值（HyperLogLog）"),
    L("ui.notes", "Notes", "说明"),

    /* ---- reasons: W1 (AAAA) ---- */
    L("reason.W1_NO_AAAA", "{host} has no AAAA record: no IPv6 address is published in DNS",
      "{host} 没有AAAA记录：DNS中未发布IPv6地址"),
    L("reason.W1_CNAME_NO_AAAA",
      "{host} is an alias (CNAME) whose final name has only IPv4 (A) records",
      "{host} 是别名（CNAME），最终指向的域名只有IPv4（A）记录"),
    L("reason.W1_NOT_GLOBAL", "{host} has only AAAA records that are not global unicast addresses",
      "{host} 的AAAA记录都不是全球单播地址"),
    L("reason.W1_NXDOMAIN", "{host} does not exist in DNS (NXDOMAIN)",
      "域名 {host} 不存在（NXDOMAIN）"),
    L("reason.W1_DNS", "The AAAA lookup for {host} failed (timeout or server failure)",
      "{host} 的AAAA查询失败（超时或服务器错误）"),
    L("reason.W1_DNS_BOGUS", "The DNS answer for {host} did not match the question",
      "{host} 的DNS应答与查询不符"),
    /* ---- W2 (name servers) ---- */
    L("reason.W2_NS_NO_IPV6", "Fewer than two of the zone's name servers have an IPv6 address",
      "该域具有IPv6地址的权威域名服务器少于两台"),
    L("reason.W2_NS_NO_ANSWER", "A name server of the zone does not answer over IPv6",
      "该域有权威域名服务器不能通过IPv6应答"),
    L("reason.W2_NO_ZONE", "The zone of {host} and its name servers could not be found",
      "找不到 {host} 所在的域及其权威域名服务器"),
    /* ---- W3 (home page) ---- */
    L("reason.W3_REFUSED", "The home page refuses connections over IPv6", "首页拒绝IPv6连接"),
    L("reason.W3_UNREACHABLE", "The home page's IPv6 address is unreachable",
      "首页的IPv6地址不可达"),
    L("reason.W3_TIMEOUT", "The home page does not answer over IPv6 in time",
      "通过IPv6访问首页超时"),
    L("reason.W3_TLS_CERT", "The certificate presented over IPv6 is not valid for {host}",
      "通过IPv6访问时 {host} 的证书无效"),
    L("reason.W3_TLS", "The TLS handshake over IPv6 fails", "通过IPv6的TLS握手失败"),
    L("reason.W3_RESET", "The IPv6 connection is reset before the page arrives",
      "IPv6连接在页面返回前被重置"),
    L("reason.W3_PROTOCOL", "The answer over IPv6 is not valid HTTP",
      "通过IPv6返回的不是有效的HTTP响应"),
    L("reason.W3_HTTP_STATUS", "The home page over IPv6 ends with HTTP status {status}",
      "通过IPv6访问首页最终返回HTTP状态码 {status}"),
    L("reason.W3_REDIRECT_NO_AAAA", "The home page redirects to a host without an IPv6 address",
      "首页重定向到没有IPv6地址的主机"),
    L("reason.W3_REDIRECTS", "Too many redirects over IPv6", "通过IPv6访问时重定向次数过多"),
    L("reason.W3_DNS", "A host name on the way to the home page cannot be resolved",
      "访问首页途中的主机名无法解析"),
    L("reason.W3_BAD_URL", "The site address (or a redirect) is not an http(s) URL",
      "网站地址（或重定向地址）不是http(s)网址"),
    L("reason.W3_OTHER", "The home page cannot be fetched over IPv6", "无法通过IPv6获取首页"),
    L("reason.W3_FAILED", "The home page cannot be fetched over IPv6", "无法通过IPv6获取首页"),
    /* ---- W4 (attempts) ---- */
    L("reason.W4_FLAKY", "Only {passed} of {total} attempts over IPv6 succeeded",
      "IPv6访问 {total} 次中仅 {passed} 次成功"),
    L("reason.W4_FAILED", "None of {total} attempts over IPv6 succeeded",
      "IPv6访问 {total} 次全部失败"),
    /* ---- W5 (consistency) ---- */
    L("reason.W5_STATUS", "The home page answers with a different status over IPv4 and IPv6",
      "首页通过IPv4和IPv6返回的状态码不同"),
    L("reason.W5_PORTS", "The open ports (80, 443) differ between IPv4 and IPv6",
      "IPv4与IPv6开放的端口（80、443）不一致"),
    L("reason.W5_CONTENT", "The home page over IPv6 differs from the one over IPv4",
      "通过IPv6与IPv4获取的首页内容不一致"),
    L("reason.W5_LINKS", "The home page links differ between IPv4 and IPv6",
      "首页在IPv4和IPv6下的链接不一致"),
    /* ---- W6 / W7 (links) ---- */
    L("reason.W6_LINKS", "Only {passed} of {total} second-level links load over IPv6",
      "二级链接中仅 {passed}/{total} 个可通过IPv6访问"),
    L("reason.W6_NO_HOME", "No home page (over IPv6 or IPv4) to take second-level links from",
      "首页通过IPv6和IPv4均无法获取，无法检测二级链接"),
    L("reason.W7_LINKS", "Only {passed} of {total} third-level links load over IPv6",
      "三级链接中仅 {passed}/{total} 个可通过IPv6访问"),
    L("reason.W7_NO_HOME", "No home page (over IPv6 or IPv4) to take third-level links from",
      "首页通过IPv6和IPv4均无法获取，无法检测三级链接"),

    /* ---- bare codes (crawled links, app domains, fallbacks) ---- */
    L("reason.NO_AAAA", "{host} has no AAAA record", "{host} 没有AAAA记录"),
    L("reason.NO_A", "{host} has no A record", "{host} 没有A记录"),
    L("reason.NOT_GLOBAL", "{host} has only AAAA records that are not global unicast",
      "{host} 的AAAA记录都不是全球单播地址"),
    L("reason.DNS", "{host} cannot be resolved", "{host} 无法解析"),
    L("reason.DNS_NODATA", "{host} has no AAAA record", "{host} 没有AAAA记录"),
    L("reason.DNS_NXDOMAIN", "{host} does not exist in DNS (NXDOMAIN)",
      "域名 {host} 不存在（NXDOMAIN）"),
    L("reason.DNS_SERVFAIL", "The AAAA lookup for {host} failed (SERVFAIL)",
      "{host} 的AAAA查询失败（SERVFAIL）"),
    L("reason.DNS_REFUSED", "The resolver refused the AAAA lookup for {host}",
      "解析器拒绝了 {host} 的AAAA查询"),
    L("reason.DNS_TIMEOUT", "The AAAA lookup for {host} timed out", "{host} 的AAAA查询超时"),
    L("reason.DNS_NETWORK", "The resolver could not be reached for {host}",
      "查询 {host} 时无法连接解析器"),
    L("reason.DNS_MALFORMED", "The DNS answer for {host} was malformed",
      "{host} 的DNS应答格式错误"),
    L("reason.DNS_BOGUS", "The DNS answer for {host} did not match the question",
      "{host} 的DNS应答与查询不符"),
    L("reason.DNS_CANCELLED", "The lookup for {host} was cancelled", "{host} 的查询被取消"),
    L("reason.REFUSED", "{host} refuses connections over IPv6", "{host} 拒绝IPv6连接"),
    L("reason.UNREACHABLE", "{host} is unreachable over IPv6", "{host} 的IPv6地址不可达"),
    L("reason.TIMEOUT", "{host} does not answer over IPv6 in time", "通过IPv6访问 {host} 超时"),
    L("reason.CONNECT_TIMEOUT", "{host} does not accept an IPv6 connection in time",
      "与 {host} 建立IPv6连接超时"),
    L("reason.TLS_CERT", "The certificate of {host} over IPv6 is not valid",
      "通过IPv6访问时 {host} 的证书无效"),
    L("reason.TLS", "The TLS handshake with {host} over IPv6 fails",
      "与 {host} 的IPv6 TLS握手失败"),
    L("reason.RESET", "The IPv6 connection to {host} is reset", "与 {host} 的IPv6连接被重置"),
    L("reason.PROTOCOL", "{host} does not answer valid HTTP over IPv6",
      "{host} 通过IPv6返回的不是有效的HTTP响应"),
    L("reason.TOO_BIG", "The answer of {host} over IPv6 is too big",
      "{host} 通过IPv6返回的内容过大"),
    L("reason.LOCAL", "A local problem of the prober (memory or sockets)",
      "监测端本地错误（内存或套接字不足）"),
    L("reason.CANCELLED", "The request was cancelled (the run was stopped)",
      "请求被取消（监测已停止）"),
    L("reason.OTHER", "{host} cannot be fetched over IPv6", "无法通过IPv6访问 {host}"),
    L("reason.FAILED", "{host} cannot be fetched over IPv6", "无法通过IPv6访问 {host}"),
    L("reason.HTTP_STATUS", "{host} answers with HTTP status {status} over IPv6",
      "{host} 通过IPv6返回HTTP状态码 {status}"),
    L("reason.REDIRECTS", "Too many redirects over IPv6", "通过IPv6访问时重定向次数过多"),
    L("reason.BAD_URL", "Not an http(s) URL", "不是http(s)网址"),
    L("reason.BAD_NAME", "{host} is not a valid host name", "{host} 不是有效的主机名"),
    L("reason.NOT_TESTABLE", "This vantage point has no working IPv6",
      "本监测点没有可用的IPv6网络，无法测试"),
};

#undef L

#define N_LABELS (sizeof table / sizeof table[0])

size_t labels_count(void)
{
    return N_LABELS;
}

const struct label *labels_at(size_t i)
{
    return i < N_LABELS ? &table[i] : NULL;
}

const char *labels_get(enum labels_lang lang, const char *key)
{
    if (!key || (unsigned)lang >= LABELS_LANGS)
        return NULL;
    for (size_t i = 0; i < N_LABELS; i++)
        if (table[i].key[0] == key[0] && strcmp(table[i].key, key) == 0)
            return table[i].text[lang];
    return NULL;
}

const char *labels_text(enum labels_lang lang, const char *key)
{
    const char *s = labels_get(lang, key);
    return s ? s : key ? key : "";
}

const char *labels_lookup(enum labels_lang lang, const char *prefix, const char *name)
{
    char key[128];
    if (!prefix || !name)
        return NULL;
    int n = snprintf(key, sizeof key, "%s.%s", prefix, name);
    if (n < 0 || (size_t)n >= sizeof key)
        return NULL;
    return labels_get(lang, key);
}

static const char *or_name(const char *s, const char *name)
{
    return s ? s : name ? name : "";
}

const char *labels_indicator(enum labels_lang lang, const char *id)
{
    /* parity.<metric> is labelled by its metric */
    if (id && strncmp(id, "parity.", 7) == 0)
        return or_name(labels_lookup(lang, "metric", id + 7), id);
    return or_name(labels_lookup(lang, "ind", id), id);
}

const char *labels_metric(enum labels_lang lang, const char *metric)
{
    return or_name(labels_lookup(lang, "metric", metric), metric);
}

const char *labels_check(enum labels_lang lang, const char *check)
{
    return or_name(labels_lookup(lang, "check", check), check);
}

const char *labels_window(enum labels_lang lang, const char *window)
{
    return or_name(labels_lookup(lang, "window", window), window);
}

const char *labels_verdict(enum labels_lang lang, const char *verdict)
{
    return or_name(labels_lookup(lang, "verdict", verdict), verdict);
}

const char *labels_reason(enum labels_lang lang, const char *code)
{
    const char *s = labels_lookup(lang, "reason", code);
    if (s || !code)
        return s;
    /* "W3_CANCELLED" -> "CANCELLED" */
    if (code[0] == 'W' && code[1] >= '1' && code[1] <= '8' && code[2] == '_' && code[3])
        return labels_lookup(lang, "reason", code + 3);
    return NULL;
}

static const char *var_value(const struct labels_var *vars, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (vars[i].name && strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
            return vars[i].value && vars[i].value[0] ? vars[i].value : NULL;
    return NULL;
}

bool labels_render(struct strbuf *out, const char *tmpl, const struct labels_var *vars, size_t n)
{
    const char *p = tmpl ? tmpl : "";
    size_t start = out->len;
    bool skip_space = false;
    while (*p) {
        if (p[0] == '{' && p[1] == '{') {
            strbuf_addch(out, '{');
            p += 2;
            skip_space = false;
            continue;
        }
        const char *close = p[0] == '{' ? strchr(p, '}') : NULL;
        if (close) {
            const char *v = var_value(vars, n, p + 1, (size_t)(close - p - 1));
            p = close + 1;
            if (v) {
                strbuf_addstr(out, v);
                skip_space = false;
            } else if (out->len > start && out->buf[out->len - 1] == ' ') {
                strbuf_setlen(out, out->len - 1); /* "域名 {host} 不存在" */
                skip_space = false;
            } else {
                skip_space = true; /* "{host} has ..." */
            }
            continue;
        }
        if (skip_space && *p == ' ') {
            p++;
            skip_space = false;
            continue;
        }
        skip_space = false;
        strbuf_addch(out, *p++);
    }
    return !strbuf_failed(out);
}

bool labels_reason_render(struct strbuf *out, enum labels_lang lang, const char *code,
                          const struct labels_var *vars, size_t n)
{
    const char *t = labels_reason(lang, code);
    if (t)
        return labels_render(out, t, vars, n);
    strbuf_addstr(out, code ? code : "?");
    const char *d = var_value(vars, n, "detail", 6);
    if (d) {
        strbuf_addstr(out, ": ");
        strbuf_addstr(out, d);
    }
    return !strbuf_failed(out);
}

static bool starts_ci(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (tolower((unsigned char)*s) != *prefix)
            return false;
    return true;
}

enum labels_lang labels_lang_from_values(const char *lc_all, const char *lc_messages,
                                         const char *lang)
{
    const char *v = lc_all && *lc_all ? lc_all : lc_messages && *lc_messages ? lc_messages : lang;
    if (v && starts_ci(v, "zh"))
        return LABELS_ZH;
    return LABELS_EN;
}

enum labels_lang labels_lang_from_env(void)
{
    return labels_lang_from_values(getenv("LC_ALL"), getenv("LC_MESSAGES"), getenv("LANG"));
}

bool labels_lang_parse(const char *s, enum labels_lang *out)
{
    if (!s || !*s)
        return false;
    static const char *const zh[] = {"cn", "chinese", "\xe4\xb8\xad\xe6\x96\x87"};
    static const char *const en[] = {"english", "c", "posix"};
    for (size_t i = 0; i < sizeof zh / sizeof zh[0]; i++)
        if (strcasecmp(s, zh[i]) == 0) {
            *out = LABELS_ZH;
            return true;
        }
    for (size_t i = 0; i < sizeof en / sizeof en[0]; i++)
        if (strcasecmp(s, en[i]) == 0) {
            *out = LABELS_EN;
            return true;
        }
    /* "zh", "zh-CN", "zh_CN.UTF-8", "en", "en-US" ... */
    for (int k = 0; k < 2; k++) {
        const char *code = k ? "en" : "zh";
        if (starts_ci(s, code) && (s[2] == '\0' || s[2] == '-' || s[2] == '_' || s[2] == '.')) {
            *out = k ? LABELS_EN : LABELS_ZH;
            return true;
        }
    }
    return false;
}

const char *labels_lang_tag(enum labels_lang lang)
{
    return lang == LABELS_ZH ? "zh-CN" : "en";
}
