/*
 * test_apps.c - app catalog: suffix matching on label boundaries, longest
 * suffix, nDPI names, CSV quoting and comments, load errors with their
 * exact messages and line numbers, overrides across files, atomic loads,
 * and the built-in catalog (known domains map to the apps their operators
 * run; every nDPI name in it is a real nDPI protocol name, checked against
 * libndpi itself).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ndpi/ndpi_api.h>

#include <v6mon/apps.h>

extern const char v6m_builtin_apps_csv[];
extern const unsigned long v6m_builtin_apps_csv_len;

#define HDR "app,category,domains,ndpi\n"

static v6m_apps *parse_ok(const char *text)
{
    v6m_apps *a = v6m_apps_new();
    assert_non_null(a);
    char err[512] = "";
    v6m_err rc = v6m_apps_parse(a, text, strlen(text), "t.csv", err, sizeof(err));
    if (rc != V6M_OK)
        fail_msg("unexpected error: %s", err);
    return a;
}

static void parse_err(const char *text, const char *want)
{
    v6m_apps *a = v6m_apps_new();
    assert_non_null(a);
    char err[512] = "";
    v6m_err rc = v6m_apps_parse(a, text, strlen(text), "t.csv", err, sizeof(err));
    assert_int_equal(rc, V6M_ERR_CONFIG);
    assert_string_equal(err, want);
    assert_int_equal(v6m_apps_count(a), 0); /* nothing half-loaded */
    v6m_apps_free(a);
}

static const char *app_of(const v6m_apps *a, const char *host)
{
    int id = v6m_apps_match(a, host, strlen(host));
    return id < 0 ? "-" : v6m_apps_name(a, (size_t)id);
}

static const char *SMALL = HDR
    "QQ,messaging,qq.com gtimg.cn,QQ\n"
    "WeChat,messaging,weixin.qq.com wx.qq.com,WeChat\n"
    "Deep,test,a.b.c.d.e.example.com,\n";

static void test_label_boundaries(void **state)
{
    (void)state;
    v6m_apps *a = parse_ok(SMALL);
    assert_int_equal(v6m_apps_count(a), 3);
    assert_string_equal(app_of(a, "qq.com"), "QQ");
    assert_string_equal(app_of(a, "www.qq.com"), "QQ");
    assert_string_equal(app_of(a, "fooqq.com"), "-");       /* not a label boundary */
    assert_string_equal(app_of(a, "qq.com.evil.net"), "-"); /* suffix, not infix */
    assert_string_equal(app_of(a, "q.com"), "-");
    assert_string_equal(app_of(a, "com"), "-");
    assert_string_equal(app_of(a, ""), "-");
    assert_string_equal(app_of(a, "."), "-");
    assert_string_equal(app_of(a, "x..qq.com"), "QQ"); /* stops at the empty label */
    assert_string_equal(app_of(a, "puic.gtimg.cn"), "QQ");
    /* hostlen bounds the name: the rest of the buffer is not read */
    assert_int_equal(v6m_apps_match(a, "weixin.qq.comXYZ", 13), v6m_apps_find(a, "WeChat"));
    assert_int_equal(v6m_apps_match(a, "qq.com", 0), -1);
    assert_int_equal(v6m_apps_match(a, NULL, 3), -1);
    /* tolerated: upper case and one trailing dot */
    assert_string_equal(app_of(a, "WeiXin.QQ.COM"), "WeChat");
    assert_string_equal(app_of(a, "qq.com."), "QQ");
    v6m_apps_free(a);
}

static void test_longest_suffix(void **state)
{
    (void)state;
    v6m_apps *a = parse_ok(SMALL);
    assert_string_equal(app_of(a, "weixin.qq.com"), "WeChat");
    assert_string_equal(app_of(a, "short.weixin.qq.com"), "WeChat");
    assert_string_equal(app_of(a, "a.b.c.weixin.qq.com"), "WeChat");
    assert_string_equal(app_of(a, "res.wx.qq.com"), "WeChat");
    assert_string_equal(app_of(a, "weixin2.qq.com"), "QQ");
    assert_string_equal(app_of(a, "xweixin.qq.com"), "QQ");
    /* a 7-label suffix, hosts around it */
    assert_string_equal(app_of(a, "a.b.c.d.e.example.com"), "Deep");
    assert_string_equal(app_of(a, "z.a.b.c.d.e.example.com"), "Deep");
    assert_string_equal(app_of(a, "b.c.d.e.example.com"), "-");
    assert_string_equal(app_of(a, "a.b.c.d.e.example.org"), "-");
    v6m_apps_free(a);
}

static void test_accessors_and_ndpi(void **state)
{
    (void)state;
    v6m_apps *a = parse_ok(SMALL);
    assert_string_equal(v6m_apps_name(a, 0), "QQ");
    assert_string_equal(v6m_apps_name(a, 1), "WeChat");
    assert_string_equal(v6m_apps_category(a, 1), "messaging");
    assert_string_equal(v6m_apps_category(a, 2), "test");
    assert_null(v6m_apps_name(a, 3));
    assert_null(v6m_apps_category(a, 99));
    assert_int_equal(v6m_apps_find(a, "WeChat"), 1);
    assert_int_equal(v6m_apps_find(a, "wechat"), 1);
    assert_int_equal(v6m_apps_find(a, "WeChat2"), -1);
    assert_int_equal(v6m_apps_find(a, ""), -1);
    assert_int_equal(v6m_apps_match_ndpi(a, "WeChat"), 1);
    assert_int_equal(v6m_apps_match_ndpi(a, "WECHAT"), 1);
    assert_int_equal(v6m_apps_match_ndpi(a, "QQ"), 0);
    assert_int_equal(v6m_apps_match_ndpi(a, "QQLive"), -1);
    assert_int_equal(v6m_apps_match_ndpi(a, ""), -1);
    assert_int_equal(v6m_apps_match_ndpi(a, NULL), -1);
    assert_int_equal(v6m_apps_count(NULL), 0);
    assert_int_equal(v6m_apps_match(NULL, "qq.com", 6), -1);
    v6m_apps_free(a);
    v6m_apps_free(NULL);
}

static void test_csv_quoting_and_comments(void **state)
{
    (void)state;
    const char *text =
        "\xef\xbb\xbf# catalog with a BOM, comments and CRLF\r\n"
        "\r\n"
        "App , Category , Domains , NDPI\r\n"
        "  # indented comment\r\n"
        "\"ACME, Inc.\",shopping,\"acme.example\n  shop.acme.example\",\r\n"
        "\"say \"\"hi\"\"\" , social , hi.example ,  \r\n"
        "\n"
        "\"#not a comment\",news,\"\",\"Fancy_Proto\"\n"
        "Plain,news,plain.example,\n";
    v6m_apps *a = parse_ok(text);
    assert_int_equal(v6m_apps_count(a), 4);
    assert_string_equal(v6m_apps_name(a, 0), "ACME, Inc.");
    assert_string_equal(v6m_apps_name(a, 1), "say \"hi\"");
    assert_string_equal(v6m_apps_category(a, 1), "social");
    assert_string_equal(v6m_apps_name(a, 2), "#not a comment");
    assert_string_equal(app_of(a, "www.shop.acme.example"), "ACME, Inc.");
    assert_string_equal(app_of(a, "hi.example"), "say \"hi\"");
    assert_int_equal(v6m_apps_match_ndpi(a, "fancy_proto"), 2);
    v6m_apps_free(a);

    /* line numbers count the physical lines, also those inside quotes */
    parse_err(HDR "# c\n\"A\",x,\"a.example\nb.example\",\nB,x,b.example,\n",
              "t.csv:5: domain 'b.example' is listed for both A and B (first on line 3)");
}

static void test_continuation_rows(void **state)
{
    (void)state;
    v6m_apps *a = parse_ok(HDR "QQ,messaging,qq.com,\n"
                               "Other,news,other.example,\n"
                               "qq,,qzone.com,QQ\n"            /* same app, any case */
                               "QQ,messaging,imqq.com,\n");
    assert_int_equal(v6m_apps_count(a), 2);
    assert_string_equal(app_of(a, "user.qzone.com"), "QQ");
    assert_string_equal(app_of(a, "imqq.com"), "QQ");
    assert_int_equal(v6m_apps_match_ndpi(a, "QQ"), 0);
    assert_string_equal(v6m_apps_name(a, 0), "QQ"); /* first spelling kept */
    v6m_apps_free(a);
}

static void test_errors(void **state)
{
    (void)state;
    parse_err("", "t.csv:1: empty catalog (expected the header line "
                  "'app,category,domains,ndpi')");
    parse_err("# only a comment\n", "t.csv:1: empty catalog (expected the header line "
                                    "'app,category,domains,ndpi')");
    parse_err("app,category,domains\nQQ,x,qq.com\n",
              "t.csv:1: expected the header line 'app,category,domains,ndpi'");
    parse_err("\n# x\napps,category,domains,ndpi\n",
              "t.csv:3: expected the header line 'app,category,domains,ndpi'");
    parse_err(HDR "QQ,messaging,qq.com,\nWeChat,messaging,weixin.qq.com\n",
              "t.csv:3: expected 4 columns, got 3");
    parse_err(HDR "QQ,messaging,qq.com,,\n", "t.csv:2: expected 4 columns, got 5");
    parse_err(HDR "QQ,messaging,qq.com,\n\nWeChat,messaging,qq.com weixin.qq.com,\n",
              "t.csv:4: domain 'qq.com' is listed for both QQ and WeChat (first on line 2)");
    parse_err(HDR "QQ,messaging,qq.com QQ.com.,\n",
              "t.csv:2: domain 'qq.com' is listed twice for QQ (first on line 2)");
    parse_err(HDR "QQ,messaging,qq.com,QQ\nTim,messaging,tim.qq.com,qq\n",
              "t.csv:3: nDPI protocol 'qq' is listed for both QQ and Tim (first on line 2)");
    parse_err(HDR ",messaging,qq.com,\n", "t.csv:2: empty app name");
    parse_err(HDR "QQ,,qq.com,\n",
              "t.csv:2: app 'QQ' needs a category (first row of an app)");
    parse_err(HDR "QQ,Messaging,qq.com,\n",
              "t.csv:2: invalid category 'Messaging' (lowercase letters, digits and "
              "'-', at most 31 characters)");
    parse_err(HDR "QQ,messaging,qq.com,\nQQ,social,qzone.com,\n",
              "t.csv:3: app 'QQ' has category 'messaging' on line 2, here 'social'");
    parse_err(HDR "Bad\x01Name,x,a.example,\n",
              "t.csv:2: invalid app name 'Bad\x01Name' (1 to 63 bytes of UTF-8 text "
              "without control characters)");
    parse_err(HDR "Bad\xc3(,x,a.example,\n",
              "t.csv:2: invalid app name 'Bad\xc3(' (1 to 63 bytes of UTF-8 text "
              "without control characters)");
    parse_err(HDR "A,x,.qq.com,\n",
              "t.csv:2: invalid domain '.qq.com' (empty label (no leading, trailing or "
              "double dots; write 'qq.com', not '.qq.com'))");
    parse_err(HDR "A,x,qq..com,\n",
              "t.csv:2: invalid domain 'qq..com' (empty label (no leading, trailing or "
              "double dots; write 'qq.com', not '.qq.com'))");
    parse_err(HDR "A,x,com,\n",
              "t.csv:2: invalid domain 'com' (a suffix needs at least two labels, e.g. "
              "qq.com)");
    parse_err(HDR "A,x,10.1.2.3,\n",
              "t.csv:2: invalid domain '10.1.2.3' (looks like an IP address, not a "
              "domain)");
    parse_err(HDR "A,x,*.qq.com,\n",
              "t.csv:2: invalid domain '*.qq.com' (wildcards are not needed: a suffix "
              "already matches every name below it)");
    parse_err(HDR "A,x,https://qq.com,\n",
              "t.csv:2: invalid domain 'https://qq.com' (only letters, digits, '-' and "
              "'_' are allowed (write internationalised names in their xn-- form))");
    parse_err(HDR "A,x,a.example,Bad\"Name\n",
              "t.csv:2: quote character inside an unquoted field (quote the whole field "
              "and double the quote: \"a \"\"b\"\"\")");
    parse_err(HDR "A,x,\"a.example,\n\nB,x,b.example,\n",
              "t.csv:5: unterminated quoted field (opened on line 2)");
    parse_err(HDR "A,x,\"a.example\"x,\n",
              "t.csv:2: unexpected character 'x' after a closing quote (expected ',' or "
              "the end of the line)");
    char nul[] = HDR "A,x,a.ex\0ample,\n";
    v6m_apps *a = v6m_apps_new();
    char err[256];
    assert_int_equal(v6m_apps_parse(a, nul, sizeof(nul) - 1, "n.csv", err, sizeof(err)),
                     V6M_ERR_CONFIG);
    assert_string_equal(err, "n.csv:2: NUL byte in the text");
    /* a long label and a long name */
    char big[400];
    snprintf(big, sizeof(big), HDR "A,x,%0*d.example,\n", 64, 0);
    parse_err(big, "t.csv:2: invalid domain "
                   "'0000000000000000000000000000000000000000000000000000000000000000"
                   ".example' (a label is longer than 63 characters)");
    assert_int_equal(v6m_apps_parse(NULL, "x", 1, "t", err, sizeof(err)),
                     V6M_ERR_INVALID_ARG);
    v6m_apps_free(a);
}

static void test_override_across_files(void **state)
{
    (void)state;
    v6m_apps *a = parse_ok(SMALL);
    char err[512] = "";
    const char *user = HDR "MyQQ,messaging,qq.com myqq.example,QQ\n"
                           "WeChat,,wechat.example,\n"
                           "WeChat,chat,,\n";
    assert_int_equal(v6m_apps_parse(a, user, strlen(user), "user.csv", err, sizeof(err)),
                     V6M_OK);
    assert_int_equal(v6m_apps_count(a), 4);
    assert_string_equal(app_of(a, "qq.com"), "MyQQ");       /* taken over */
    assert_string_equal(app_of(a, "www.qq.com"), "MyQQ");
    assert_string_equal(app_of(a, "puic.gtimg.cn"), "QQ");  /* untouched */
    assert_string_equal(app_of(a, "weixin.qq.com"), "WeChat");
    assert_string_equal(app_of(a, "wechat.example"), "WeChat");
    assert_string_equal(v6m_apps_category(a, 1), "chat");  /* later file sets it */
    assert_int_equal(v6m_apps_match_ndpi(a, "QQ"), 3);
    assert_int_equal(v6m_apps_find(a, "MyQQ"), 3);

    /* A failed load changes nothing. */
    const char *bad = HDR "New,x,new.example,\nQQ,messaging,gtimg.cn,\nX,x,new.example,\n";
    assert_int_equal(v6m_apps_parse(a, bad, strlen(bad), "bad.csv", err, sizeof(err)),
                     V6M_ERR_CONFIG);
    assert_string_equal(err, "bad.csv:4: domain 'new.example' is listed for both New and "
                             "X (first on line 2)");
    assert_int_equal(v6m_apps_count(a), 4);
    assert_int_equal(v6m_apps_find(a, "New"), -1);
    assert_string_equal(app_of(a, "new.example"), "-");
    assert_string_equal(app_of(a, "qq.com"), "MyQQ");

    /* The same file again: repeats are harmless across loads. */
    assert_int_equal(v6m_apps_parse(a, user, strlen(user), "user.csv", err, sizeof(err)),
                     V6M_OK);
    assert_int_equal(v6m_apps_count(a), 4);
    v6m_apps_free(a);
}

static void test_load_file(void **state)
{
    (void)state;
    char path[] = "/tmp/v6m_test_apps_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = HDR "Example,test,example.org,\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    v6m_apps *a = v6m_apps_new();
    char err[512] = "";
    assert_int_equal(v6m_apps_load_file(a, path, err, sizeof(err)), V6M_OK);
    assert_string_equal(app_of(a, "www.example.org"), "Example");
    unlink(path);
    assert_int_equal(v6m_apps_load_file(a, "/nonexistent/apps.csv", err, sizeof(err)),
                     V6M_ERR_IO);
    assert_string_equal(err,
                        "cannot open '/nonexistent/apps.csv': No such file or directory");
    v6m_apps_free(a);
}

/* Apps used in China that the built-in catalog must know (the plan's
 * "mainstream apps"); written here independently of data/apps.csv. */
static const char *const china_apps[] = {
    "WeChat", "QQ", "Alipay", "Taobao", "Douyin", "Kuaishou", "Baidu", "Weibo",
    "Bilibili", "Meituan", "JD", "Pinduoduo", "Toutiao", "iQiyi", "Tencent Video",
    "Youku", "Xiaohongshu", "Amap", "Didi", "Ctrip", "NetEase Cloud Music", "Zhihu",
    "DingTalk", "WeCom", "Dianping", "Ele.me", "Baidu Netdisk", "QQ Music", "Kugou",
    "Xigua Video", "Huya", "Douyu", "Sina News", "NetEase News", "Tencent News", "12306",
    "China Mobile", "UnionPay", "ICBC", "Honor of Kings", "Xianyu", "Vipshop", "Suning",
    "Keep", "Ximalaya", "WPS Office", "Tencent Meeting", "Feishu", "Baidu Maps", "Hupu",
};

static void test_builtin(void **state)
{
    (void)state;
    v6m_apps *a = v6m_apps_new();
    char err[512] = "";
    v6m_err rc = v6m_apps_load_builtin(a, err, sizeof(err));
    if (rc != V6M_OK)
        fail_msg("builtin catalog: %s", err);
    assert_true(v6m_apps_count(a) >= 60);
    for (size_t i = 0; i < sizeof(china_apps) / sizeof(china_apps[0]); i++)
        if (v6m_apps_find(a, china_apps[i]) < 0)
            fail_msg("builtin catalog lacks %s", china_apps[i]);
    static const char *const global[] = {"Google", "YouTube", "Facebook", "Instagram",
                                         "WhatsApp", "Netflix", "Apple", "Microsoft",
                                         "Amazon", "TikTok", "Telegram", "Zoom", "GitHub",
                                         "Wikipedia"};
    for (size_t i = 0; i < sizeof(global) / sizeof(global[0]); i++)
        if (v6m_apps_find(a, global[i]) < 0)
            fail_msg("builtin catalog lacks %s", global[i]);

    /* host -> app pairs known from the operators' own services */
    static const char *const pairs[][2] = {
        {"weixin.qq.com", "WeChat"},
        {"szshort.weixin.qq.com", "WeChat"},
        {"mmbiz.qpic.cn", "WeChat"},
        {"wx.qlogo.cn", "WeChat"},
        {"work.weixin.qq.com", "WeCom"},
        {"www.qq.com", "QQ"},
        {"qzone.qq.com", "QQ"},
        {"mail.qq.com", "QQ Mail"},
        {"v.qq.com", "Tencent Video"},
        {"y.qq.com", "QQ Music"},
        {"puui.qpic.cn", "Tencent (shared)"},
        {"www.taobao.com", "Taobao"},
        {"img.alicdn.com", "Alibaba (shared)"},
        {"render.alipay.com", "Alipay"},
        {"www.douyin.com", "Douyin"},
        {"aweme.snssdk.com", "Douyin"},
        {"is.snssdk.com", "ByteDance (shared)"},
        {"www.toutiao.com", "Toutiao"},
        {"www.baidu.com", "Baidu"},
        {"pan.baidu.com", "Baidu Netdisk"},
        {"map.baidu.com", "Baidu Maps"},
        {"weibo.com", "Weibo"},
        {"www.bilibili.com", "Bilibili"},
        {"i0.hdslb.com", "Bilibili"},
        {"music.163.com", "NetEase Cloud Music"},
        {"www.163.com", "NetEase News"},
        {"www.12306.cn", "12306"},
        {"www.zhihu.com", "Zhihu"},
        {"www.youtube.com", "YouTube"},
        {"rr1---sn-abc.googlevideo.com", "YouTube"},
        {"www.google.com", "Google"},
        {"mail.google.com", "Gmail"},
        {"www.tiktok.com", "TikTok"},
        {"github.com", "GitHub"},
        {"zh.wikipedia.org", "Wikipedia"},
        {"fooqq.com", "-"},
        {"example.com", "-"},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        const char *got = app_of(a, pairs[i][0]);
        if (strcmp(got, pairs[i][1]) != 0)
            fail_msg("%s: got %s, want %s", pairs[i][0], got, pairs[i][1]);
    }
    assert_string_equal(v6m_apps_category(a, (size_t)v6m_apps_find(a, "WeChat")),
                        "messaging");
    assert_string_equal(v6m_apps_category(a, (size_t)v6m_apps_find(a, "Alipay")),
                        "payment");
    assert_string_equal(v6m_apps_category(a, (size_t)v6m_apps_find(a, "Douyin")),
                        "short-video");
    assert_int_equal(v6m_apps_match_ndpi(a, "WeChat"), v6m_apps_find(a, "WeChat"));
    assert_int_equal(v6m_apps_match_ndpi(a, "TikTok"), v6m_apps_find(a, "TikTok"));
    assert_int_equal(v6m_apps_match_ndpi(a, "Sina(Weibo)"), v6m_apps_find(a, "Weibo"));
    assert_int_equal(v6m_apps_match_ndpi(a, "HTTP"), -1);
    v6m_apps_free(a);
}

/* Every nDPI name in the built-in catalog must be a protocol name libndpi
 * knows: count the names written in the ndpi column (a plain scan of the
 * embedded text: the built-in file uses no quotes) and the libndpi
 * protocols the catalog maps; they must be equal. */
static void test_builtin_ndpi_names_exist(void **state)
{
    (void)state;
    v6m_apps *a = v6m_apps_new();
    char err[512] = "";
    assert_int_equal(v6m_apps_load_builtin(a, err, sizeof(err)), V6M_OK);

    size_t listed = 0;
    const char *p = v6m_builtin_apps_csv, *end = p + v6m_builtin_apps_csv_len;
    bool header = true;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (le > p && *p != '#') {
            assert_null(memchr(p, '"', (size_t)(le - p)));
            if (header) {
                header = false;
            } else {
                const char *c = le;
                while (c > p && c[-1] != ',')
                    c--;
                bool in = false;
                for (const char *q = c; q < le; q++) {
                    bool sp = *q == ' ' || *q == '\r';
                    if (!sp && !in)
                        listed++;
                    in = !sp;
                }
            }
        }
        p = le + 1;
    }
    assert_true(listed >= 20);

    struct ndpi_detection_module_struct *m = ndpi_init_detection_module(ndpi_no_prefs);
    assert_non_null(m);
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(m, &all);
    ndpi_finalize_initialization(m);
    size_t mapped = 0;
    unsigned n = ndpi_get_num_supported_protocols(m);
    for (unsigned i = 0; i < n; i++) {
        const char *name = ndpi_get_proto_name(m, (u_int16_t)i);
        if (name && v6m_apps_match_ndpi(a, name) >= 0)
            mapped++;
    }
    ndpi_exit_detection_module(m);
    assert_int_equal(mapped, listed);
    v6m_apps_free(a);
}

/* Extending the built-in catalog with a user file: the user's row wins. */
static void test_builtin_plus_user(void **state)
{
    (void)state;
    v6m_apps *a = v6m_apps_new();
    char err[512] = "";
    assert_int_equal(v6m_apps_load_builtin(a, err, sizeof(err)), V6M_OK);
    size_t n = v6m_apps_count(a);
    const char *user = HDR "Campus Portal,education,portal.example.edu.cn,\n"
                           "WeChat,,weixin-campus.example.cn,\n"
                           "Mini Programs,messaging,servicewechat.com,\n";
    assert_int_equal(v6m_apps_parse(a, user, strlen(user), "user.csv", err, sizeof(err)),
                     V6M_OK);
    assert_int_equal(v6m_apps_count(a), n + 2);
    assert_string_equal(app_of(a, "portal.example.edu.cn"), "Campus Portal");
    assert_string_equal(app_of(a, "weixin-campus.example.cn"), "WeChat");
    assert_string_equal(app_of(a, "servicewechat.com"), "Mini Programs");
    assert_string_equal(app_of(a, "weixin.qq.com"), "WeChat");
    v6m_apps_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_boundaries),
        cmocka_unit_test(test_longest_suffix),
        cmocka_unit_test(test_accessors_and_ndpi),
        cmocka_unit_test(test_csv_quoting_and_comments),
        cmocka_unit_test(test_continuation_rows),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_override_across_files),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_builtin),
        cmocka_unit_test(test_builtin_ndpi_names_exist),
        cmocka_unit_test(test_builtin_plus_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
