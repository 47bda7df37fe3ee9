/*
 * fuzz_apps.c - libFuzzer target for v6m_apps_parse(): any bytes must
 * either load or fail with a "name:line: ..." message and leave the catalog
 * exactly as it was, never crash, leak or read out of bounds. The input is
 * loaded on top of a small fixed catalog (so the override paths run), then
 * every "word" of the input (runs of bytes other than separators), and each
 * of its dot-suffixes, is matched as a host, an nDPI name and an app name;
 * every answer must be a valid id, and a suffix of a host can only match an
 * app when the host's own match is at least as long (checked as: matching
 * a host never returns -1 while one of its label suffixes matches).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <v6mon/apps.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char BASE[] = "app,category,domains,ndpi\n"
                           "QQ,messaging,qq.com gtimg.cn,QQ\n"
                           "WeChat,messaging,weixin.qq.com,WeChat\n";

static void check_word(const v6m_apps *a, const char *w, size_t n)
{
    size_t count = v6m_apps_count(a);
    int full = v6m_apps_match(a, w, n);
    if (full >= (int)count)
        abort();
    bool clean = n > 0 && w[0] != '.' && w[n - 1] != '.' && !memmem(w, n, "..", 2);
    /* every label suffix */
    for (size_t i = 0; i < n; i++) {
        if (w[i] != '.')
            continue;
        int sub = v6m_apps_match(a, w + i + 1, n - i - 1);
        if (sub >= (int)count)
            abort();
        /* no empty labels in w, so the full name sees every suffix */
        if (clean && n <= 253 && sub >= 0 && full < 0)
            abort();
    }
    char buf[80];
    size_t k = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
    memcpy(buf, w, k);
    buf[k] = '\0';
    int x = v6m_apps_match_ndpi(a, buf);
    int y = v6m_apps_find(a, buf);
    if (x >= (int)count || y >= (int)count)
        abort();
    if (y >= 0 && strcasecmp(v6m_apps_name(a, (size_t)y), buf) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    v6m_apps *a = v6m_apps_new();
    if (!a)
        return 0;
    char err[256];
    if (v6m_apps_parse(a, BASE, sizeof(BASE) - 1, "base.csv", err, sizeof(err)) != V6M_OK)
        abort();
    size_t before = v6m_apps_count(a);
    int qq = v6m_apps_match(a, "www.qq.com", 10);

    v6m_err rc = v6m_apps_parse(a, (const char *)data, size, "fuzz.csv", err, sizeof(err));
    if (rc != V6M_OK) {
        if (rc == V6M_ERR_CONFIG && strncmp(err, "fuzz.csv:", 9) != 0)
            abort();
        /* atomic: nothing changed */
        if (v6m_apps_count(a) != before || v6m_apps_match(a, "www.qq.com", 10) != qq)
            abort();
    }
    size_t count = v6m_apps_count(a);
    for (size_t i = 0; i < count; i++)
        if (!v6m_apps_name(a, i) || !v6m_apps_category(a, i) || !v6m_apps_category(a, i)[0])
            abort();

    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        while (p < end && strchr(" ,\n\r\t\"", *p) && *p)
            p++;
        const char *w = p;
        while (p < end && *p && !strchr(" ,\n\r\t\"", *p))
            p++;
        if (p > w && p - w <= 300) /* host names are at most 253 bytes */
            check_word(a, w, (size_t)(p - w));
        if (p < end && !*p)
            p++;
    }
    v6m_apps_free(a);
    return 0;
}
