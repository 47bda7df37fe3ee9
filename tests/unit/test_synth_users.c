/*
 * test_synth_users.c - the generator's subscriber (I1) and host-name (I6,
 * I7) truth.
 *
 * What is checked, and against what:
 *   - an independent reader (libpcap plus a small GTP-U / PPPoE / IP parser
 *     in this file) finds the subscribers of a one-day capture by the
 *     definitions of v6mon/users.h - bearer = uplink TEID + the S-GW address
 *     that receives it, session = PPPoE id + client MAC; uplink is the
 *     packet sent to a server port (443, 80, 53) or an echo request; later
 *     packets go to the subscriber through the UE's inner address - and its
 *     counts must equal the truth's "all" window exactly;
 *   - arithmetic that must hold whatever the model does: names plus
 *     unattributed equal the totals per family, methods equal flows,
 *     dual + ipv4_only + ipv6_only = active, all = mobile + metro, a day
 *     is contained in its month, a month in the sum of its days;
 *   - UTC day numbers of the windows computed by hand (2024-06-29 is day
 *     19903 since 1970-01-01);
 *   - every name claimed as TLS SNI or HTTP Host is in the capture's bytes
 *     in clear;
 *   - the options' extremes (IPv4-only / IPv6-only subscribers, no names,
 *     IPv6-inactive subscribers) and determinism.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <v6mon/synth.h>

#define DAY_2024_06_01 19875 /* 1717200000 / 86400 */

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_synth_users.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Run cfg; capture into tmpdir/name (or /dev/null when name is NULL),
 * truth into truth_name when not NULL. */
static v6m_synth *run(const struct v6m_synth_config *cfg, const char *name, const char *truth_name)
{
    char p[512], t[512];
    snprintf(p, sizeof(p), "%s/%s", tmpdir, name ? name : "");
    if (truth_name)
        snprintf(t, sizeof(t), "%s/%s", tmpdir, truth_name);
    v6m_synth *s = NULL;
    assert_int_equal(v6m_synth_new(cfg, &s), V6M_OK);
    v6m_err err = v6m_synth_run(s, name ? p : "/dev/null", truth_name ? t : NULL);
    if (err)
        fprintf(stderr, "%s\n", v6m_synth_errmsg(s));
    assert_int_equal(err, V6M_OK);
    return s;
}

static unsigned char *slurp(const char *name, size_t *len)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* ---- names ------------------------------------------------------------- */

static void check_names_add_up(const struct v6m_synth_truth *t)
{
    for (int f = V6M_FAMILY_IPV4; f <= V6M_FAMILY_IPV6; f++) {
        uint64_t p = t->unattributed[f].packets, b = t->unattributed[f].bytes,
                 fl = t->unattributed[f].flows;
        for (size_t i = 0; i < t->n_names; i++) {
            p += t->names[i].fam[f].packets;
            b += t->names[i].fam[f].bytes;
            fl += t->names[i].fam[f].flows;
        }
        assert_int_equal(p, t->totals[f].packets);
        assert_int_equal(b, t->totals[f].bytes);
        assert_int_equal(fl, t->totals[f].flows);
    }
    for (size_t i = 0; i < t->n_names; i++) {
        const struct v6m_synth_name_truth *n = &t->names[i];
        uint64_t m = 0;
        for (int k = 0; k < V6M_SYNTH_METHODS; k++)
            m += n->method[k];
        assert_int_equal(m, n->fam[V6M_FAMILY_IPV4].flows + n->fam[V6M_FAMILY_IPV6].flows);
        assert_int_equal(n->fam[V6M_FAMILY_OTHER].packets, 0);
        if (i)
            assert_true(strcmp(t->names[i - 1].name, n->name) < 0);
        for (const char *c = n->name; *c; c++)
            assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
                        *c == '.');
    }
}

static void test_names(void **state)
{
    (void)state;
    struct v6m_synth_config cfg;
    v6m_synth_config_default(&cfg);
    cfg.packets = 40000;
    cfg.seed = 31;
    v6m_synth *s = run(&cfg, "names.pcap", NULL);
    const struct v6m_synth_truth *t = v6m_synth_truth(s);
    check_names_add_up(t);
    assert_true(t->names_exact);
    assert_true(t->max_dns_age_s < 300.0);
    assert_true(t->n_names >= 30);
    uint64_t meth[V6M_SYNTH_METHODS] = {0}, named = 0, qual_unnamed;
    bool v4only = false, v6heavy = false;
    size_t len;
    unsigned char *cap = slurp("names.pcap", &len);
    for (size_t i = 0; i < t->n_names; i++) {
        const struct v6m_synth_name_truth *n = &t->names[i];
        for (int k = 0; k < V6M_SYNTH_METHODS; k++)
            meth[k] += n->method[k];
        named += n->fam[V6M_FAMILY_IPV4].flows + n->fam[V6M_FAMILY_IPV6].flows;
        uint64_t b4 = n->fam[V6M_FAMILY_IPV4].bytes, b6 = n->fam[V6M_FAMILY_IPV6].bytes;
        if (n->fam[V6M_FAMILY_IPV4].flows >= 5 && b6 == 0)
            v4only = true;
        if (b6 > 4 * b4 && n->fam[V6M_FAMILY_IPV6].flows >= 5)
            v6heavy = true;
        /* SNI and Host travel in clear: the name's bytes are in the file. */
        if (n->method[V6M_SYNTH_SNI] || n->method[V6M_SYNTH_HOST])
            assert_non_null(memmem(cap, len, n->name, strlen(n->name)));
    }
    free(cap);
    for (int k = 0; k < V6M_SYNTH_METHODS; k++)
        assert_true(meth[k] > 0);
    assert_true(v4only);
    assert_true(v6heavy);
    /* app share 0.8 of the qualifying flows: the named ones are a good part
     * of all flows (each also has a DNS flow of its own, unattributed). */
    qual_unnamed = t->unattributed[V6M_FAMILY_IPV4].flows + t->unattributed[V6M_FAMILY_IPV6].flows;
    assert_true(named * 4 > qual_unnamed);
    v6m_synth_free(s);

    cfg.app_share = 0;
    s = run(&cfg, NULL, NULL);
    t = v6m_synth_truth(s);
    assert_int_equal(t->n_names, 0);
    for (int f = V6M_FAMILY_IPV4; f <= V6M_FAMILY_IPV6; f++) {
        assert_int_equal(t->unattributed[f].packets, t->totals[f].packets);
        assert_int_equal(t->unattributed[f].bytes, t->totals[f].bytes);
        assert_int_equal(t->unattributed[f].flows, t->totals[f].flows);
    }
    v6m_synth_free(s);
}

/* ---- windows ------------------------------------------------------------ */

static void check_counts(const struct v6m_synth_user_counts *c)
{
    assert_int_equal(c->dual + c->ipv4_only + c->ipv6_only, c->active);
    assert_true(c->active <= c->seen);
    assert_true(c->holding_ipv6 <= c->seen);
    assert_true(c->ipv6_active <= c->holding_ipv6); /* a qualifying IPv6 flow is IPv6 */
    assert_true(c->ipv6_active <= c->active);
}

static void check_sum(const struct v6m_synth_users_window *w)
{
    const uint64_t *a = &w->all.seen, *m = &w->mobile.seen, *e = &w->metro.seen;
    for (int k = 0; k < 7; k++) /* struct of 7 uint64_t */
        assert_int_equal(a[k], m[k] + e[k]);
    check_counts(&w->all);
    check_counts(&w->mobile);
    check_counts(&w->metro);
}

static void test_windows(void **state)
{
    (void)state;
    struct v6m_synth_config cfg;
    v6m_synth_config_default(&cfg);
    cfg.packets = 150000;
    cfg.seed = 7;
    cfg.users = 300;
    cfg.inactive_v6 = 0.4;
    cfg.start_ns = (uint64_t)(DAY_2024_06_01 + 28) * 86400ULL * 1000000000ULL; /* 06-29 */
    cfg.duration_ns = 3ULL * 86400ULL * 1000000000ULL;
    v6m_synth *s = run(&cfg, NULL, NULL);
    const struct v6m_synth_truth *t = v6m_synth_truth(s);
    check_names_add_up(t);
    /* all, 06-29, 06-30, 07-01, June, July, 30 days. */
    assert_int_equal(t->n_windows, 7);
    static const uint8_t kinds[7] = {V6M_SYNTH_WIN_ALL, V6M_SYNTH_WIN_DAY,   V6M_SYNTH_WIN_DAY,
                                     V6M_SYNTH_WIN_DAY, V6M_SYNTH_WIN_MONTH, V6M_SYNTH_WIN_MONTH,
                                     V6M_SYNTH_WIN_30D};
    static const int64_t starts[7] = {19903, 19903, 19904, 19905, 19875, 19905, 19876};
    static const int64_t ends[7] = {19905, 19903, 19904, 19905, 19904, 19935, 19905};
    const struct v6m_synth_users_window *w = t->windows;
    for (int i = 0; i < 7; i++) {
        assert_int_equal(w[i].kind, kinds[i]);
        assert_int_equal(w[i].start_day, starts[i]);
        assert_int_equal(w[i].end_day, ends[i]);
        check_sum(&w[i]);
    }
    const uint64_t *all = &w[0].all.seen;
    for (int k = 0; k < 7; k++) {
        const uint64_t *d1 = &w[1].all.seen, *d2 = &w[2].all.seen, *d3 = &w[3].all.seen,
                       *jun = &w[4].all.seen, *jul = &w[5].all.seen, *m30 = &w[6].all.seen;
        if (k < 4) { /* distinct counts: unions grow, sums bound them */
            assert_true(d1[k] <= jun[k] && d2[k] <= jun[k] && jun[k] <= d1[k] + d2[k]);
            assert_true(jun[k] <= all[k] && jul[k] <= all[k]);
            assert_true(all[k] <= d1[k] + d2[k] + d3[k]);
        }
        assert_int_equal(jul[k], d3[k]);  /* July has one day of traffic */
        assert_int_equal(m30[k], all[k]); /* the 30 days cover everything */
    }
    /* Not everybody is online every day. */
    assert_true(w[0].all.seen > w[1].all.seen && w[0].all.seen > w[2].all.seen &&
                w[0].all.seen > w[3].all.seen);
    assert_true(w[0].all.seen <= cfg.users);
    /* IPv6-inactive dual-stack subscribers hold IPv6 without using it. */
    assert_true(w[0].all.holding_ipv6 > w[0].all.ipv6_active);
    v6m_synth_free(s);
}

static void test_user_mix(void **state)
{
    (void)state;
    struct v6m_synth_config cfg;
    v6m_synth_config_default(&cfg);
    cfg.packets = 30000;
    cfg.seed = 12;
    cfg.user_mix[0] = 1; /* IPv4-only subscribers */
    cfg.user_mix[1] = cfg.user_mix[2] = 0;
    v6m_synth *s = run(&cfg, NULL, NULL);
    const struct v6m_synth_truth *t = v6m_synth_truth(s);
    const struct v6m_synth_user_counts *c = &t->windows[0].all;
    assert_true(c->active > 100);
    assert_int_equal(c->ipv6_active, 0);
    assert_int_equal(c->holding_ipv6, 0);
    assert_int_equal(c->ipv4_only, c->active);
    assert_int_equal(t->seg[V6M_SYNTH_MOBILE][V6M_FAMILY_IPV6].bytes, 0);
    assert_int_equal(t->seg[V6M_SYNTH_METRO][V6M_FAMILY_IPV6].bytes, 0);
    v6m_synth_free(s);

    cfg.user_mix[0] = 0; /* IPv6-only */
    cfg.user_mix[1] = 1;
    s = run(&cfg, NULL, NULL);
    t = v6m_synth_truth(s);
    c = &t->windows[0].all;
    assert_true(c->active > 100);
    assert_int_equal(c->ipv6_only, c->active);
    assert_int_equal(c->dual, 0);
    assert_int_equal(c->ipv4_only, 0);
    assert_int_equal(t->seg[V6M_SYNTH_MOBILE][V6M_FAMILY_IPV4].bytes, 0);
    assert_int_equal(t->seg[V6M_SYNTH_METRO][V6M_FAMILY_IPV4].bytes, 0);
    v6m_synth_free(s);

    cfg.user_mix[1] = 0; /* dual-stack, all IPv6-inactive */
    cfg.user_mix[2] = 1;
    cfg.inactive_v6 = 1;
    s = run(&cfg, NULL, NULL);
    t = v6m_synth_truth(s);
    c = &t->windows[0].all;
    assert_int_equal(c->ipv6_active, 0);
    assert_true(c->holding_ipv6 > 50);
    v6m_synth_free(s);

    struct v6m_synth_config bad;
    v6m_synth_config_default(&bad);
    bad.app_share = 1.5;
    assert_int_equal(v6m_synth_new(&bad, &s), V6M_ERR_INVALID_ARG);
    v6m_synth_free(s);
    v6m_synth_config_default(&bad);
    bad.user_mix[0] = bad.user_mix[1] = bad.user_mix[2] = 0;
    assert_int_equal(v6m_synth_new(&bad, &s), V6M_ERR_INVALID_ARG);
    v6m_synth_free(s);
}

static void test_determinism(void **state)
{
    (void)state;
    struct v6m_synth_config cfg;
    v6m_synth_config_default(&cfg);
    cfg.packets = 30000;
    cfg.seed = 77;
    cfg.duration_ns = 2ULL * 86400ULL * 1000000000ULL;
    v6m_synth_free(run(&cfg, NULL, "t1.json"));
    v6m_synth_free(run(&cfg, NULL, "t2.json"));
    cfg.seed = 78;
    v6m_synth_free(run(&cfg, NULL, "t3.json"));
    size_t l1, l2, l3;
    unsigned char *a = slurp("t1.json", &l1), *b = slurp("t2.json", &l2),
                  *c = slurp("t3.json", &l3);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    assert_true(l1 != l3 || memcmp(a, c, l1) != 0);
    a[l1] = '\0';
    assert_non_null(strstr((char *)a, "\"users\": {\"mode\": \"auto\""));
    assert_non_null(strstr((char *)a, "\"names\": ["));
    assert_non_null(strstr((char *)a, "\"unattributed\": {\"ipv4\": {"));
    free(a);
    free(b);
    free(c);
}

/* ---- independent subscriber reader ------------------------------------ */

#define MAPN 65536

struct sub_map { /* inner address -> subscriber index (open addressing) */
    uint8_t key[MAPN][17];
    int32_t val[MAPN];
    bool used[MAPN];
};

struct subs {
    uint8_t key[8192][24]; /* segment, TEID/session, endpoint/MAC */
    uint8_t flags[8192];   /* 1 seen, 2 Q4, 4 Q6, 8 H6 */
    bool mobile[8192];
    int n;
    struct sub_map map;
};

static uint32_t hash(const uint8_t *k, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ k[i]) * 16777619u;
    return h;
}

static int32_t *map_slot(struct sub_map *m, const uint8_t key[17], bool insert)
{
    for (uint32_t i = hash(key, 17) % MAPN;; i = (i + 1) % MAPN) {
        if (!m->used[i]) {
            if (!insert)
                return NULL;
            m->used[i] = true;
            memcpy(m->key[i], key, 17);
            m->val[i] = -1;
            return &m->val[i];
        }
        if (memcmp(m->key[i], key, 17) == 0)
            return &m->val[i];
    }
}

static int sub_find(struct subs *s, const uint8_t key[24], bool mobile)
{
    for (int i = 0; i < s->n; i++)
        if (memcmp(s->key[i], key, 24) == 0)
            return i;
    assert_true(s->n < 8192);
    memcpy(s->key[s->n], key, 24);
    s->mobile[s->n] = mobile;
    return s->n++;
}

static uint16_t g16(const u_char *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

struct inner {
    bool ok, v6, qual, up;
    uint8_t src[17], dst[17]; /* family byte + address */
};

/* Inner IP packet at p (n bytes): family, addresses, qualifying, uplink. */
static void parse_inner(const u_char *p, size_t n, struct inner *in)
{
    memset(in, 0, sizeof(*in));
    if (n < 20)
        return;
    unsigned ver = p[0] >> 4;
    size_t l4;
    uint8_t proto;
    if (ver == 4) {
        l4 = (size_t)(p[0] & 15) * 4;
        proto = p[9];
        in->src[0] = in->dst[0] = 4;
        memcpy(in->src + 1, p + 12, 4);
        memcpy(in->dst + 1, p + 16, 4);
    } else if (ver == 6 && n >= 40) {
        l4 = 40;
        proto = p[6];
        in->v6 = true;
        in->src[0] = in->dst[0] = 6;
        memcpy(in->src + 1, p + 8, 16);
        memcpy(in->dst + 1, p + 24, 16);
    } else {
        return;
    }
    if (l4 + 8 > n)
        return;
    in->ok = true;
    const u_char *t = p + l4;
    if (proto == 6 || proto == 17) {
        uint16_t sp = g16(t), dp = g16(t + 2);
        static const uint16_t srv[] = {443, 80, 53};
        in->up = false;
        for (int i = 0; i < 3; i++)
            if (dp == srv[i])
                in->up = true;
        bool hk = false;
        static const uint16_t housekeeping[] = {53, 67, 68, 546, 547};
        for (int i = 0; i < 5; i++)
            if (sp == housekeeping[i] || dp == housekeeping[i])
                hk = true;
        in->qual = !hk;
    } else if (proto == 1 || proto == 58) {
        in->up = t[0] == 8 || t[0] == 128;
        in->qual = false;
    } else {
        in->ok = false;
    }
}

/* Pass 1 (learn = true): uplink packets give UE address -> subscriber.
 * Pass 2: every packet marks its subscriber's flags. */
static void read_subs(const char *path, struct subs *s, bool learn)
{
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, eb);
    assert_non_null(pc);
    struct pcap_pkthdr *h;
    const u_char *p;
    while (pcap_next_ex(pc, &h, &p) == 1) {
        size_t o = 12, cap = h->caplen;
        uint16_t et = g16(p + o);
        while (et == 0x8100 || et == 0x88a8) {
            o += 4;
            et = g16(p + o);
        }
        o += 2;
        uint8_t key[24] = {0};
        struct inner in;
        bool mobile;
        if (et == 0x8864) {
            uint16_t proto = g16(p + o + 6);
            if (proto != 0x0021 && proto != 0x0057)
                continue; /* LCP: no IP, no flow */
            parse_inner(p + o + 8, cap - o - 8, &in);
            if (!in.ok)
                continue;
            mobile = false;
            key[0] = 2;
            memcpy(key + 1, p + o + 2, 2);         /* session id */
            memcpy(key + 3, in.up ? p + 6 : p, 6); /* client MAC */
        } else if (et == 0x0800 || et == 0x86dd) {
            const u_char *ip = p + o;
            size_t l4;
            uint8_t proto;
            const u_char *odst;
            size_t alen;
            if (et == 0x0800) {
                if (g16(ip + 6) & 0x1fff)
                    continue; /* later fragment: one-day capture, skip */
                l4 = (size_t)(ip[0] & 15) * 4;
                proto = ip[9];
                odst = ip + 16;
                alen = 4;
            } else {
                proto = ip[6];
                l4 = 40;
                odst = ip + 24;
                alen = 16;
                if (proto == 44) {
                    if (g16(ip + 42) & 0xfff8)
                        continue;
                    proto = ip[40];
                    l4 = 48;
                }
            }
            const u_char *u = ip + l4;
            if (proto != 17 || g16(u + 2) != 2152 || u[9] != 255)
                continue; /* not a G-PDU: other segment */
            const u_char *gtp = u + 8;
            size_t gl = 8 + ((gtp[0] & 0x07) ? 4 : 0);
            uint8_t next = (gtp[0] & 0x04) ? gtp[11] : 0;
            while (next) {
                size_t len = (size_t)gtp[gl] * 4;
                next = gtp[gl + len - 1];
                gl += len;
            }
            size_t io = (size_t)(gtp + gl - p);
            parse_inner(p + io, cap - io, &in);
            if (!in.ok)
                continue;
            mobile = true;
            key[0] = 1;
            memcpy(key + 1, gtp + 4, 4); /* TEID */
            memcpy(key + 5, odst, alen); /* receiving endpoint */
        } else {
            continue;
        }
        if (learn) {
            if (in.up) {
                int32_t *v = map_slot(&s->map, in.src, true);
                if (*v < 0)
                    *v = sub_find(s, key, mobile);
            }
            continue;
        }
        int32_t *v = map_slot(&s->map, in.up ? in.src : in.dst, false);
        assert_non_null(v);
        uint8_t f = 1;
        if (in.v6)
            f |= 8;
        if (in.qual)
            f |= in.v6 ? 4 : 2;
        s->flags[*v] |= f;
    }
    pcap_close(pc);
}

static void test_users_independent(void **state)
{
    (void)state;
    struct v6m_synth_config cfg;
    v6m_synth_config_default(&cfg);
    cfg.packets = 60000;
    cfg.seed = 41;
    cfg.users = 800;
    cfg.inactive_v6 = 0.3;
    v6m_synth *s = run(&cfg, "subs.pcap", NULL);
    const struct v6m_synth_truth *t = v6m_synth_truth(s);
    assert_int_equal(t->n_windows, 4); /* all, day, month, 30d */
    struct subs *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    char path[512];
    snprintf(path, sizeof(path), "%s/subs.pcap", tmpdir);
    read_subs(path, x, true);
    read_subs(path, x, false);
    struct v6m_synth_user_counts got[2];
    memset(got, 0, sizeof(got));
    for (int i = 0; i < x->n; i++) {
        struct v6m_synth_user_counts *c = &got[x->mobile[i] ? 0 : 1];
        uint8_t f = x->flags[i];
        bool q4 = f & 2, q6 = f & 4;
        c->seen += f & 1;
        c->active += q4 || q6;
        c->ipv6_active += q6;
        c->holding_ipv6 += (f & 8) != 0;
        c->dual += q4 && q6;
        c->ipv4_only += q4 && !q6;
        c->ipv6_only += q6 && !q4;
    }
    const struct v6m_synth_users_window *w = &t->windows[0];
    assert_memory_equal(&got[0], &w->mobile, sizeof(got[0]));
    assert_memory_equal(&got[1], &w->metro, sizeof(got[1]));
    assert_true(w->all.holding_ipv6 > w->all.ipv6_active);
    assert_true(w->all.dual > 0 && w->all.ipv4_only > 0 && w->all.ipv6_only > 0);
    free(x);
    v6m_synth_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_user_mix),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_users_independent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
