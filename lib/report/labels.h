/*
 * report/labels.h - the words of the reports and the dashboard in
 * Chinese (zh-CN) and English (private to lib/report).
 *
 * One static table maps a stable key to its text in each language. Keys
 * are strings built from the names the data already carries, so a
 * renderer can look up what it reads from the store without a mapping
 * table of its own:
 *
 *   ind.<indicator id>    ind.I1 .. ind.I8, ind.I5.resource_bytes
 *                          (the plan's own terms: IPv6活跃用户占比 ...)
 *   metric.<kpi metric>   metric.loss .. metric.video_bitrate, metric.cdn_coverage
 *   term.<word>           the plan's terms as it writes them (丢包率, 时延,
 *                          连接建立成功率, 页面加载时间, 视频播放卡顿率,
 *                          DNS解析时延, 与IPv4基本一致 ...)
 *   check.<W1..W8>        the website checks; state.<pass|fail|not_testable|skipped>
 *   verdict.<v>           converged, degraded, insufficient, v6_unreachable,
 *                          no_aaaa, not_testable
 *   window.<w>            day, month, 30d, all, range
 *   reason.<code>         a sentence template per reason code the prober
 *                          emits (W1_NO_AAAA, W3_TIMEOUT, ..., and the bare
 *                          codes of links and app domains: NO_AAAA, REFUSED,
 *                          DNS_TIMEOUT ...), see labels_render()
 *   seg.*, cat.*, fact.*, sunit.*, tri.*, ui.*   segments, site categories,
 *                          IPv6+ counters, sample units, yes/no/unknown and
 *                          the interface words (目标, 差距, 趋势, 覆盖, 无数据,
 *                          通报 ...)
 *
 * Every key has a text in every language (the unit test checks it, and
 * that no key is listed twice). Texts are UTF-8 and plain: escape them
 * (strbuf_addxml) when writing HTML or SVG.
 *
 * Ownership: every returned string is static; nothing is allocated except
 * by labels_render(), which appends to a strbuf the caller owns.
 * Thread-safe: the table is const; the environment is only read.
 */
#ifndef V6M_REPORT_LABELS_H
#define V6M_REPORT_LABELS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

enum labels_lang { LABELS_EN = 0, LABELS_ZH = 1, LABELS_LANGS };

struct label {
    const char *key;
    const char *text[LABELS_LANGS]; /* indexed by enum labels_lang */
};

/* The whole table (for tests and for dumping a translation sheet). */
size_t labels_count(void);
const struct label *labels_at(size_t i);

/* The text of key in lang; NULL when the key is unknown. */
const char *labels_get(enum labels_lang lang, const char *key);
/* The same but never NULL: an unknown key gives the key itself, so a
 * missing label shows up in the output instead of crashing it. */
const char *labels_text(enum labels_lang lang, const char *key);
/* The text of "<prefix>.<name>"; NULL when unknown (or too long). */
const char *labels_lookup(enum labels_lang lang, const char *prefix, const char *name);

/* Shorthands that fall back to the name itself when it has no label:
 * labels_indicator(L, "I2") -> "移动网络IPv6流量占比". */
const char *labels_indicator(enum labels_lang lang, const char *id);
const char *labels_metric(enum labels_lang lang, const char *metric);
const char *labels_check(enum labels_lang lang, const char *check);
const char *labels_window(enum labels_lang lang, const char *window);
const char *labels_verdict(enum labels_lang lang, const char *verdict);

/* A reason code's sentence template; NULL when the code has none. A
 * check-prefixed code without its own entry (e.g. "W3_CANCELLED") falls
 * back to the bare code ("CANCELLED"). */
const char *labels_reason(enum labels_lang lang, const char *code);

/* Template variables: {host} {detail} {status} {passed} {total} {url}. */
struct labels_var {
    const char *name;  /* without braces: "host" */
    const char *value; /* plain text; NULL counts as missing */
};

/* Append tmpl to out with each {name} replaced by its value. A variable
 * that is not given (or NULL/empty) is replaced by nothing, and one space
 * or CJK space around it is dropped so the sentence still reads; "{{"
 * writes "{". Returns false when the buffer refused (strbuf_failed). */
bool labels_render(struct strbuf *out, const char *tmpl, const struct labels_var *vars, size_t n);

/* The reason sentence for code, rendered; for an unknown code the code
 * itself followed by ": {detail}" when a detail is given. */
bool labels_reason_render(struct strbuf *out, enum labels_lang lang, const char *code,
                          const struct labels_var *vars, size_t n);

/* Language from locale values (POSIX precedence for messages: LC_ALL,
 * then LC_MESSAGES, then LANG; the first set and non-empty one decides):
 * "zh..." -> LABELS_ZH, anything else (C, POSIX, en_US, unset) -> EN. */
enum labels_lang labels_lang_from_values(const char *lc_all, const char *lc_messages,
                                         const char *lang);
/* The same from the process environment (getenv; reads only). */
enum labels_lang labels_lang_from_env(void);

/* "zh", "zh-CN", "zh_CN.UTF-8", "cn", "chinese", "中文" -> ZH; "en", "en-US",
 * "en_GB.UTF-8", "english", "C" -> EN (case-insensitive). false for
 * anything else (then *out is untouched). */
bool labels_lang_parse(const char *s, enum labels_lang *out);

/* BCP 47 tag for <html lang>: "en", "zh-CN". */
const char *labels_lang_tag(enum labels_lang lang);

#endif
