/*
 * synth/hosts.c - the host name catalog of the generator's app traffic, its
 * address plan and the DNS / HTTP payload writers (synth/hosts.h).
 *
 * The names are real host names of the apps the Shanghai plan's app
 * indicators (I6, I7) are about, chosen so that the app catalog
 * (data/apps.csv, suffixes on label boundaries, longest wins) has to tell
 * apart work.weixin.qq.com (WeCom) from weixin.qq.com (WeChat), v.qq.com
 * and y.qq.com from www.qq.com, pan.baidu.com from www.baidu.com. Which app
 * a name belongs to is not this file's business: the truth is per name.
 *
 * IPv6 profile of the traffic: n6 = 0 makes a name IPv4-only; p6 is the
 * percentage of the name's weight that goes to IPv6 conversations (the
 * generator picks the family first, by feedback on the byte share, then a
 * name with weight * p6 for IPv6 or weight * (100 - p6) for IPv4), so
 * v3-dy.douyinvod.com (92) is IPv6-heavy, www.ctrip.com (30) mostly IPv4.
 */
#include "synth/hosts.h"

#include <stdio.h>
#include <string.h>

/* name, cname, n4, n6, weight, p6 */
/* clang-format off */
const struct host_def hosts_table[] = {
    {"weixin.qq.com", NULL, 3, 2, 10, 70},               /* WeChat */
    {"mmbiz.qpic.cn", NULL, 2, 2, 8, 80},                /* WeChat images */
    {"work.weixin.qq.com", NULL, 2, 0, 3, 0},            /* WeCom: IPv4 only */
    {"www.qq.com", NULL, 2, 2, 3, 50},
    {"v.qq.com", NULL, 2, 2, 5, 60},                     /* Tencent Video */
    {"y.qq.com", NULL, 2, 2, 2, 55},                     /* QQ Music */
    {"www.taobao.com", "www.taobao.com.danuoyi.tbcache.com", 2, 2, 8, 60},
    {"g.alicdn.com", "g.alicdn.com.danuoyi.alicdn.com", 3, 3, 6, 70},
    {"www.tmall.com", NULL, 2, 2, 3, 55},
    {"mobilegw.alipay.com", NULL, 2, 2, 5, 50},          /* Alipay */
    {"www.douyin.com", NULL, 2, 2, 8, 85},
    {"v3-dy.douyinvod.com", NULL, 3, 3, 9, 92},          /* Douyin video */
    {"www.kuaishou.com", NULL, 2, 2, 6, 70},
    {"www.baidu.com", "www.a.shifen.com", 2, 2, 6, 50},
    {"pan.baidu.com", NULL, 2, 2, 3, 45},                /* Baidu Netdisk */
    {"weibo.com", NULL, 2, 0, 4, 0},                     /* Weibo: IPv4 only */
    {"wx1.sinaimg.cn", NULL, 2, 2, 3, 40},               /* Weibo images */
    {"www.bilibili.com", NULL, 2, 2, 6, 60},
    {"i0.hdslb.com", NULL, 2, 2, 4, 50},                 /* Bilibili images */
    {"www.meituan.com", NULL, 2, 2, 5, 50},
    {"www.jd.com", NULL, 2, 2, 5, 55},
    {"api.m.jd.com", NULL, 2, 0, 3, 0},                  /* JD API: IPv4 only */
    {"mobile.yangkeduo.com", NULL, 2, 2, 5, 30},         /* Pinduoduo */
    {"www.toutiao.com", NULL, 2, 2, 5, 80},
    {"www.iqiyi.com", NULL, 2, 2, 4, 45},
    {"www.youku.com", NULL, 2, 0, 3, 0},                 /* Youku: IPv4 only */
    {"www.xiaohongshu.com", NULL, 2, 2, 5, 50},
    {"www.amap.com", NULL, 2, 2, 3, 40},
    {"www.didiglobal.com", NULL, 2, 0, 3, 0},            /* DiDi: IPv4 only */
    {"www.ctrip.com", NULL, 2, 2, 3, 30},
    {"music.163.com", NULL, 2, 2, 3, 50},                /* NetEase Cloud Music */
    {"www.zhihu.com", NULL, 2, 2, 3, 60},
    {"www.dingtalk.com", NULL, 2, 2, 3, 40},
    {"www.dianping.com", NULL, 2, 0, 2, 0},              /* Dianping: IPv4 only */
    {"www.ele.me", NULL, 2, 2, 3, 50},
    {"www.kugou.com", NULL, 2, 2, 2, 35},
    {"kyfw.12306.cn", NULL, 2, 2, 2, 50},                /* China Railway 12306 */
    {"www.huya.com", NULL, 2, 0, 2, 0},                  /* Huya: IPv4 only */
    {"www.douyu.com", NULL, 2, 2, 2, 40},
    {"www.wps.cn", NULL, 2, 2, 2, 30},
    {"www.apple.com", "www.apple.com.edgekey.net", 2, 2, 3, 60},
    {"www.microsoft.com", NULL, 2, 2, 2, 50},
    {"github.com", NULL, 2, 0, 2, 0},                    /* IPv4 only */
    {"www.example-shop.cn", NULL, 2, 2, 3, 50},          /* no app */
    {"static.example-cdn.cn", NULL, 2, 0, 2, 0},         /* no app, IPv4 only */
    {"dl.example-mirror.cn", NULL, 70, 70, 1, 50},       /* no app; big answers */
};
/* clang-format on */
const size_t hosts_count = sizeof(hosts_table) / sizeof(hosts_table[0]);

size_t hosts_big(void)
{
    return hosts_count - 1;
}

static void v6addr(uint8_t out[16], uint16_t w2, uint16_t w3, uint16_t last)
{
    memset(out, 0, 16);
    put16(out, 0x2001);
    put16(out + 2, 0x0db8);
    put16(out + 4, w2);
    put16(out + 6, w3);
    put16(out + 14, last);
}

uint32_t hosts_addr4(size_t h, unsigned i)
{
    return 198u << 24 | 18u << 16 | (uint32_t)(h + 1) << 8 | (i + 1);
}

void hosts_addr6(size_t h, unsigned i, uint8_t out[16])
{
    v6addr(out, (uint16_t)(h + 1), 0, (uint16_t)(0x10 + i));
}

uint32_t hosts_anon4(unsigned k)
{
    return 198u << 24 | 19u << 16 | (k & 0xff) << 8 | (10 + k % 200);
}

void hosts_anon6(unsigned k, uint8_t out[16])
{
    v6addr(out, 0xff00, (uint16_t)(k & 0xff), (uint16_t)(0x10 + (k & 0xff)));
}

uint32_t hosts_resolver4(unsigned k)
{
    return 198u << 24 | 18u << 16 | (53 + (k & 1));
}

void hosts_resolver6(unsigned k, uint8_t out[16])
{
    v6addr(out, 0, 0, (uint16_t)(0x53 + (k & 1)));
}

/* A name as labels; returns its offset in the message. */
static size_t put_name(struct pb *p, size_t base, const char *s)
{
    size_t at = p->len - base;
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        pb_u8(p, (uint8_t)l);
        pb_bytes(p, s, l);
        s += l;
        if (*s == '.')
            s++;
    }
    pb_u8(p, 0);
    return at;
}

void hosts_put_dns(struct pb *p, uint16_t id, size_t h, uint16_t qtype, bool answer, unsigned first,
                   unsigned n)
{
    const struct host_def *d = &hosts_table[h];
    size_t base = p->len;
    unsigned an = answer ? n + (d->cname ? 1 : 0) : 0;
    pb_u16(p, id);
    pb_u16(p, answer ? 0x8180 : 0x0100);
    pb_u16(p, 1);
    pb_u16(p, (uint16_t)an);
    pb_u16(p, 0);
    pb_u16(p, 0);
    put_name(p, base, d->name);
    pb_u16(p, qtype);
    pb_u16(p, 1);
    if (!answer)
        return;
    uint16_t owner = 0xc00c;
    if (d->cname) {
        pb_u16(p, 0xc00c);
        pb_u16(p, 5);
        pb_u16(p, 1);
        pb_u32(p, HOSTS_TTL);
        size_t rdlen_at = p->len;
        pb_u16(p, 0);
        size_t t = put_name(p, base, d->cname);
        put16(p->buf + rdlen_at, (uint16_t)(p->len - rdlen_at - 2));
        owner = (uint16_t)(0xc000 | t);
    }
    for (unsigned i = first; i < first + n; i++) {
        pb_u16(p, owner);
        pb_u16(p, qtype);
        pb_u16(p, 1);
        pb_u32(p, HOSTS_TTL);
        if (qtype == 28) {
            uint8_t a[16];
            hosts_addr6(h, i, a);
            pb_u16(p, 16);
            pb_bytes(p, a, 16);
        } else {
            pb_u16(p, 4);
            pb_u32(p, hosts_addr4(h, i));
        }
    }
}

size_t hosts_http_request(uint8_t *out, size_t cap, const char *name, uint64_t path_seed)
{
    static const char *const paths[] = {
        "/",       "/index.html",  "/api/v1/feed", "/static/app.js", "/img/banner.jpg",
        "/search", "/user/profile"};
    const char *path = paths[path_seed % (sizeof(paths) / sizeof(paths[0]))];
    int n = snprintf((char *)out, cap,
                     "GET %s?r=%llu HTTP/1.1\r\n"
                     "Host: %s\r\n"
                     "User-Agent: Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 "
                     "(KHTML, like Gecko) Mobile Safari/537.36\r\n"
                     "Accept: */*\r\n"
                     "Accept-Encoding: gzip, deflate\r\n"
                     "Connection: keep-alive\r\n\r\n",
                     path, (unsigned long long)(path_seed >> 8 & 0xffffff), name);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
