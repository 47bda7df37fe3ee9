/*
 * test_synth.c - the synthetic capture generator and its fixtures.
 *
 * The truth is checked against things the generator does not compute:
 *   - libpcap reads the capture back (frame count, wire and captured bytes,
 *     timestamps in order) - pcap and pcapng;
 *   - a small independent parser in this file classifies mobile (GTP-U
 *     G-PDU, including non-first outer fragments matched to their first
 *     fragment) and metro (PPPoE session) frames and their inner family,
 *     and its counts must equal the truth exactly;
 *   - the requested IPv6 byte share is reached within SHARE_TOL;
 *   - every fixture opens with libpcap with the frame count and link type
 *     its truth file states.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <v6mon/synth.h>

#define SHARE_TOL 0.03

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_synth.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_in(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
}

static v6m_synth *run(const struct v6m_synth_config *cfg, const char *name, bool truth)
{
    char p[512], t[600];
    path_in(p, sizeof(p), name);
    snprintf(t, sizeof(t), "%s.truth.json", p);
    v6m_synth *s = NULL;
    assert_int_equal(v6m_synth_new(cfg, &s), V6M_OK);
    assert_int_equal(v6m_synth_run(s, p, truth ? t : NULL), V6M_OK);
    return s;
}

static unsigned char *slurp(const char *name, size_t *len)
{
    char p[512];
    path_in(p, sizeof(p), name);
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

static void test_determinism(void **state)
{
    (void)state;
    struct v6m_synth_config cfg;
    v6m_synth_config_default(&cfg);
    cfg.packets = 20000;
    cfg.seed = 5;
    v6m_synth_free(run(&cfg, "d1.pcap", true));
    v6m_synth_free(run(&cfg, "d2.pcap", true));
    cfg.seed = 6;
    v6m_synth_free(run(&cfg, "d3.pcap", false));
    size_t l1, l2, l3, t1, t2;
    unsigned char *a = slurp("d1.pcap", &l1), *b = slurp("d2.pcap", &l2),
                  *c = slurp("d3.pcap", &l3);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    assert_true(l1 != l3 || memcmp(a, c, l1) != 0);
    free(a);
    free(b);
    free(c);
    /* The truth files are identical except for the capture name. */
    a = slurp("d1.pcap.truth.json", &t1);
    b = slurp("d2.pcap.truth.json", &t2);
    assert_int_equal(t1, t2);
    free(a);
    free(b);
}

/* ---- independent reader --------------------------------------------------- */

struct indep {
    uint64_t frames, wire, cap;
    uint64_t seg_pk[2][3], seg_by[2][3]; /* [mobile/metro][family] */
    bool ts_ordered;
    /* first fragments of G-PDUs seen: (id key) -> family; tiny open table */
    uint64_t fkey[4096];
    uint8_t ffam[4096];
    /* non-first fragments seen before their first fragment */
    uint64_t pend_key[256];
    uint32_t pend_len[256];
    size_t n_pend;
    uint32_t cur_len;
};

static uint16_t g16(const u_char *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint64_t frag_key(const u_char *ip, bool v6)
{
    uint64_t k = 1469598103934665603ULL;
    size_t n = v6 ? 32 : 8;
    const u_char *a = ip + (v6 ? 8 : 12);
    for (size_t i = 0; i < n; i++)
        k = (k ^ a[i]) * 1099511628211ULL;
    const u_char *id = v6 ? ip + 44 : ip + 4;
    for (size_t i = 0; i < (v6 ? 4u : 2u); i++)
        k = (k ^ id[i]) * 1099511628211ULL;
    return k | 1;
}

static void frag_put(struct indep *x, uint64_t k, uint8_t fam)
{
    for (size_t i = k % 4096;; i = (i + 1) % 4096)
        if (x->fkey[i] == 0 || x->fkey[i] == k) {
            x->fkey[i] = k;
            x->ffam[i] = fam;
            return;
        }
}

static int frag_get(const struct indep *x, uint64_t k)
{
    for (size_t i = k % 4096; x->fkey[i]; i = (i + 1) % 4096)
        if (x->fkey[i] == k)
            return x->ffam[i];
    return -1;
}

/* Mobile: Ethernet | IPv4/IPv6 | UDP 2152 | GTP type 255 | inner IP.
 * Metro: Ethernet | tags | 0x8864. Returns 0 mobile, 1 metro, -1 other;
 * *fam gets the inner family. Non-first outer fragments are looked up. */
static int classify(struct indep *x, const u_char *p, uint32_t cap, int *fam)
{
    size_t o = 12;
    uint16_t et = g16(p + o);
    while (et == 0x8100 || et == 0x88a8) {
        o += 4;
        et = g16(p + o);
    }
    o += 2;
    if (et == 0x8864) {
        uint16_t pp = g16(p + o + 6);
        *fam = pp == 0x0021 ? 1 : pp == 0x0057 ? 2 : 0;
        return 1;
    }
    if (et != 0x0800 && et != 0x86dd)
        return -1;
    const u_char *ip = p + o;
    bool v6 = et == 0x86dd;
    size_t l4;
    uint8_t proto;
    bool first = true, frag = false;
    if (!v6) {
        uint16_t fo = g16(ip + 6);
        frag = (fo & 0x3fff) != 0;
        first = (fo & 0x1fff) == 0;
        proto = ip[9];
        l4 = (size_t)(ip[0] & 15) * 4;
    } else {
        proto = ip[6];
        l4 = 40;
        if (proto == 44) {
            frag = true;
            first = (g16(ip + 42) & 0xfff8) == 0;
            proto = ip[40];
            l4 = 48;
        }
    }
    if (frag && !first) {
        uint64_t k = frag_key(ip, v6);
        int f = frag_get(x, k);
        if (f == 0xff)
            return -1; /* datagram of another segment */
        if (f >= 0) {
            *fam = f;
            return 0;
        }
        assert_true(x->n_pend < 256);
        x->pend_key[x->n_pend] = k;
        x->pend_len[x->n_pend++] = x->cur_len;
        return -1;
    }
    int seg = -1;
    if (proto == 17 && o + l4 + 16 <= cap) {
        const u_char *u = ip + l4;
        if (g16(u + 2) == 2152 && u[9] == 255) {
            size_t g = 8 + ((u[8] & 0x07) ? 4 : 0);
            uint8_t next = (u[8] & 0x04) ? u[8 + 11] : 0;
            while (next) {
                size_t len = (size_t)u[8 + g] * 4;
                next = u[8 + g + len - 1];
                g += len;
            }
            uint8_t ver = u[8 + g] >> 4;
            *fam = ver == 4 ? 1 : ver == 6 ? 2 : 0;
            seg = 0;
        }
    }
    if (frag) {
        uint64_t k = frag_key(ip, v6);
        frag_put(x, k, seg == 0 ? (uint8_t)*fam : 0xff);
        for (size_t i = 0; i < x->n_pend; i++)
            if (x->pend_key[i] == k) { /* out of order: count it now */
                if (seg == 0) {
                    x->seg_pk[0][*fam]++;
                    x->seg_by[0][*fam] += x->pend_len[i];
                }
                x->pend_key[i] = x->pend_key[--x->n_pend];
                x->pend_len[i] = x->pend_len[x->n_pend];
                break;
            }
    }
    return seg;
}

static void read_back(const char *name, struct indep *x)
{
    char p[512], err[PCAP_ERRBUF_SIZE];
    path_in(p, sizeof(p), name);
    pcap_t *pc = pcap_open_offline(p, err);
    assert_non_null(pc);
    assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
    struct pcap_pkthdr *h;
    const u_char *d;
    uint64_t last = 0;
    x->ts_ordered = true;
    while (pcap_next_ex(pc, &h, &d) == 1) {
        uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec * 1000ULL;
        if (ts < last)
            x->ts_ordered = false;
        last = ts;
        x->frames++;
        x->wire += h->len;
        x->cap += h->caplen;
        int fam = 0;
        x->cur_len = h->len;
        int seg = classify(x, d, h->caplen, &fam);
        if (seg >= 0) {
            x->seg_pk[seg][fam]++;
            x->seg_by[seg][fam] += h->len;
        }
    }
    pcap_close(pc);
    assert_int_equal(x->n_pend, 0);
}

static void check_against(const struct v6m_synth_truth *t, const struct indep *x,
                          bool check_segments)
{
    assert_int_equal(x->frames, t->packets);
    assert_int_equal(x->wire, t->wire_bytes);
    assert_int_equal(x->cap, t->captured_bytes);
    assert_true(x->ts_ordered);
    if (!check_segments)
        return;
    for (int s = 0; s < 2; s++)
        for (int f = 0; f < 3; f++) {
            assert_int_equal(x->seg_pk[s][f], t->seg[s][f].packets);
            assert_int_equal(x->seg_by[s][f], t->seg[s][f].bytes);
        }
}

static void test_truth_adds_up_and_reads_back(void **state)
{
    (void)state;
    struct v6m_synth_config cfg;
    v6m_synth_config_default(&cfg);
    cfg.packets = 60000;
    cfg.seed = 11;
    v6m_synth *s = run(&cfg, "t.pcap", true);
    const struct v6m_synth_truth *t = v6m_synth_truth(s);
    assert_int_equal(t->packets, cfg.packets);
    uint64_t pk = 0, by = 0;
    for (int f = 0; f < V6M_FAMILY_COUNT; f++) {
        uint64_t sp = 0, sb = 0, sf = 0;
        for (int g = 0; g < V6M_SYNTH_SEGMENTS; g++) {
            sp += t->seg[g][f].packets;
            sb += t->seg[g][f].bytes;
            sf += t->seg[g][f].flows;
        }
        assert_int_equal(sp, t->totals[f].packets);
        assert_int_equal(sb, t->totals[f].bytes);
        assert_int_equal(sf, t->totals[f].flows);
        pk += sp;
        by += sb;
    }
    assert_int_equal(pk, cfg.packets);
    assert_int_equal(by, t->wire_bytes);
    assert_int_equal(t->totals[0].flows, 0);
    assert_true(t->flows_exact);
    assert_true(t->srh_packets > 0 && t->flow_label_packets > 0);
    assert_true(t->first_ns >= cfg.start_ns);
    assert_true(t->last_ns < cfg.start_ns + cfg.duration_ns);
    /* mobile has no non-IP frames; every segment has IPv4 and IPv6 */
    assert_int_equal(t->seg[V6M_SYNTH_MOBILE][0].packets, 0);
    struct indep *x = calloc(1, sizeof(*x));
    read_back("t.pcap", x);
    check_against(t, x, true);
    free(x);
    v6m_synth_free(s);
}

static void test_pcapng_ns_snaplen(void **state)
{
    (void)state;
    struct v6m_synth_config cfg;
    v6m_synth_config_default(&cfg);
    cfg.packets = 20000;
    cfg.pcapng = true;
    cfg.nanosecond = true;
    cfg.snaplen = 256;
    v6m_synth *s = run(&cfg, "n.pcapng", false);
    const struct v6m_synth_truth *t = v6m_synth_truth(s);
    assert_true(t->captured_bytes < t->wire_bytes);
    struct indep *x = calloc(1, sizeof(*x));
    read_back("n.pcapng", x);
    check_against(t, x, true);
    free(x);
    v6m_synth_free(s);
}

static double seg_share(const struct v6m_synth_truth *t, int s)
{
    double b4 = (double)t->seg[s][1].bytes, b6 = (double)t->seg[s][2].bytes;
    return b6 / (b4 + b6);
}

static void test_ipv6_share(void **state)
{
    (void)state;
    static const double targets[][3] = {{0.5, -1, -1}, {0.2, 0.6, 0.15}, {0.8, 0.3, 0.9}};
    for (size_t i = 0; i < 3; i++) {
        struct v6m_synth_config cfg;
        v6m_synth_config_default(&cfg);
        cfg.packets = 100000;
        cfg.seed = 100 + i;
        cfg.ipv6_share = targets[i][0];
        cfg.mobile_share = targets[i][1];
        cfg.metro_share = targets[i][2];
        v6m_synth *s = run(&cfg, "s.pcap", false);
        const struct v6m_synth_truth *t = v6m_synth_truth(s);
        double want[3] = {targets[i][1] >= 0 ? targets[i][1] : targets[i][0],
                          targets[i][2] >= 0 ? targets[i][2] : targets[i][0],
                          targets[i][0]};
        for (int g = 0; g < 2; g++) {
            double got = seg_share(t, g);
            if (got < want[g] - SHARE_TOL || got > want[g] + SHARE_TOL)
                fail_msg("case %zu segment %d: share %.4f, target %.2f", i, g, got, want[g]);
        }
        /* The segment mix is met to within a fraction of a percent. */
        uint64_t mob = t->seg[0][0].packets + t->seg[0][1].packets + t->seg[0][2].packets;
        assert_true(mob > 49000 && mob < 51000);
        v6m_synth_free(s);
    }
    /* Extremes are exact in the user segments. */
    struct v6m_synth_config cfg;
    v6m_synth_config_default(&cfg);
    cfg.packets = 20000;
    cfg.ipv6_share = 0;
    v6m_synth *s = run(&cfg, "z.pcap", false);
    assert_int_equal(v6m_synth_truth(s)->seg[0][2].bytes, 0);
    assert_int_equal(v6m_synth_truth(s)->seg[1][2].bytes, 0);
    v6m_synth_free(s);
    cfg.ipv6_share = 1;
    s = run(&cfg, "o.pcap", false);
    assert_int_equal(v6m_synth_truth(s)->seg[0][1].bytes, 0);
    assert_int_equal(v6m_synth_truth(s)->seg[1][1].bytes, 0);
    v6m_synth_free(s);
}

static void test_invalid_config(void **state)
{
    (void)state;
    struct v6m_synth_config cfg;
    v6m_synth_config_default(&cfg);
    cfg.ipv6_share = 1.5;
    v6m_synth *s = NULL;
    assert_int_equal(v6m_synth_new(&cfg, &s), V6M_ERR_INVALID_ARG);
    assert_non_null(strstr(v6m_synth_errmsg(s), "share"));
    v6m_synth_free(s);
    v6m_synth_config_default(&cfg);
    cfg.snaplen = 100;
    assert_int_equal(v6m_synth_new(&cfg, &s), V6M_ERR_INVALID_ARG);
    v6m_synth_free(s);
    v6m_synth_config_default(&cfg);
    assert_int_equal(v6m_synth_new(&cfg, &s), V6M_OK);
    assert_int_not_equal(v6m_synth_run(s, "/nonexistent/dir/x.pcap", NULL), V6M_OK);
    assert_non_null(strstr(v6m_synth_errmsg(s), "/nonexistent/dir/x.pcap"));
    v6m_synth_free(s);
    v6m_synth_free(NULL);
}

/* Value of "key": N after position p in a JSON text (tests only). */
static long json_num(const char *p, const char *key)
{
    const char *q = strstr(p, key);
    if (!q)
        return -1;
    return strtol(q + strlen(key), NULL, 10);
}

static void test_fixtures(void **state)
{
    (void)state;
    char dir[512], err[512];
    path_in(dir, sizeof(dir), "fx");
    assert_int_equal(mkdir(dir, 0755), 0);
    size_t n = 0;
    assert_int_equal(v6m_synth_fixtures(dir, &n, err, sizeof(err)), V6M_OK);
    assert_true(n >= 30);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    size_t pcaps = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".pcap") != 0)
            continue;
        pcaps++;
        char p[1024], tp[1100], ebuf[PCAP_ERRBUF_SIZE];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        snprintf(tp, sizeof(tp), "%.*s.truth.json", (int)(strlen(p) - 5), p);
        pcap_t *pc = pcap_open_offline(p, ebuf);
        if (!pc)
            fail_msg("%s: %s", p, ebuf);
        FILE *f = fopen(tp, "r");
        assert_non_null(f);
        static char js[65536];
        size_t jl = fread(js, 1, sizeof(js) - 1, f);
        js[jl] = '\0';
        fclose(f);
        long frames = json_num(js, "\"frames\": ");
        long lt = json_num(js, "\"linktype\": ");
        struct pcap_pkthdr *h;
        const u_char *data;
        long count = 0;
        uint64_t wire = 0;
        while (pcap_next_ex(pc, &h, &data) == 1) {
            count++;
            wire += h->len;
            assert_true(h->caplen <= h->len);
        }
        if (count != frames)
            fail_msg("%s: %ld frames, truth says %ld", p, count, frames);
        /* libpcap maps LINKTYPE_ values to DLT_ values; RAW and ATM_CLIP
         * (106, DLT 19 on Linux) differ. */
        int want = lt == 101 ? DLT_RAW : lt == 106 ? DLT_ATM_CLIP : (int)lt;
        assert_int_equal(pcap_datalink(pc), want);
        /* Per-family totals add up to the frame count and wire bytes. */
        long pk = json_num(js, "\"other\": {\"packets\": ") +
                  json_num(strstr(js, "\"totals\""), "\"ipv4\": {\"packets\": ") +
                  json_num(strstr(js, "\"totals\""), "\"ipv6\": {\"packets\": ");
        assert_int_equal(pk, frames);
        pcap_close(pc);
    }
    closedir(d);
    assert_int_equal(pcaps, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_truth_adds_up_and_reads_back),
        cmocka_unit_test(test_pcapng_ns_snaplen),
        cmocka_unit_test(test_ipv6_share),
        cmocka_unit_test(test_invalid_config),
        cmocka_unit_test(test_fixtures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
