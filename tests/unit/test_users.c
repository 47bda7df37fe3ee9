/*
 * test_users.c - subscriber identity (lib/classify/subscriber.c) and the
 * user windows (lib/aggregate/users.c), on hand-built decoded records:
 *   - GTP-U: the uplink TEID keys the bearer; a downlink-first flow finds
 *     the bearer through the UE address learnt uplink (IPv4 /32, IPv6 /64);
 *     an unknown UE address is counted as unmatched;
 *   - PPPoE: session id + the client MAC on the subscriber side;
 *   - address mode keys IPv4 and IPv6 apart; binding mode by file;
 *   - qualifying flows (ICMP, DNS, DHCP are not), dual/only arithmetic;
 *   - windows: days, calendar months across a month boundary, the rolling
 *     30 days ending with the last day, all; a flow spanning midnight counts
 *     on both days.
 * Expected numbers are worked out by hand in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include <v6mon/bindings.h>

#include "aggregate/users.h"
#include "classify/subscriber.h"

#define DAY (86400ULL * 1000000000ULL)
/* 2024-05-31T00:00:00Z in days since the epoch: 19874. */
#define D_MAY31 19874ULL

static void rec(struct v6m_packet *p, int fam, const char *src, const char *dst,
                uint8_t proto, uint16_t sp, uint16_t dp)
{
    memset(p, 0, sizeof(*p));
    p->family = (uint8_t)fam;
    p->inner.family = (uint8_t)fam;
    int af = fam == V6M_FAMILY_IPV4 ? AF_INET : AF_INET6;
    assert_int_equal(inet_pton(af, src, p->inner.src), 1);
    assert_int_equal(inet_pton(af, dst, p->inner.dst), 1);
    p->l4_proto = proto;
    p->sport = sp;
    p->dport = dp;
}

static void gtp(struct v6m_packet *p, uint32_t teid, const char *ep_src, const char *ep_dst)
{
    p->encap |= V6M_ENC_GTPU;
    p->gtp_user = 1;
    p->gtp_teid = teid;
    p->gtp_ep_family = V6M_FAMILY_IPV4;
    assert_int_equal(inet_pton(AF_INET, ep_src, p->gtp_ep_src), 1);
    assert_int_equal(inet_pton(AF_INET, ep_dst, p->gtp_ep_dst), 1);
}

static void test_gtp_bearer(void **state)
{
    (void)state;
    struct subscribers *s = subscribers_new(V6M_SUB_AUTO, NULL, 0);
    assert_non_null(s);
    struct v6m_packet p;
    /* Uplink IPv4 flow of UE 10.0.0.1, TEID 0x100 to S-GW 192.0.2.2. */
    rec(&p, V6M_FAMILY_IPV4, "10.0.0.1", "198.51.100.1", 6, 40000, 443);
    gtp(&p, 0x100, "192.0.2.1", "192.0.2.2");
    uint64_t k_up4 = subscriber_of_flow(s, &p, V6M_DIR_UNKNOWN);
    assert_int_not_equal(k_up4, 0);
    /* Uplink IPv6 flow of the same (IPv4v6) bearer: same key. */
    rec(&p, V6M_FAMILY_IPV6, "2001:db8:1:2::10", "2001:db8:ffff::1", 17, 50000, 443);
    gtp(&p, 0x100, "192.0.2.1", "192.0.2.2");
    assert_true(subscriber_of_flow(s, &p, V6M_DIR_UNKNOWN) == k_up4);
    /* Downlink-first flow to another address of the UE's /64, with the
     * downlink TEID 0x900 to the eNB: found through the UE map. */
    rec(&p, V6M_FAMILY_IPV6, "2001:db8:ffff::2", "2001:db8:1:2::99", 6, 443, 40001);
    gtp(&p, 0x900, "192.0.2.2", "192.0.2.1");
    assert_true(subscriber_of_flow(s, &p, V6M_DIR_DOWN) == k_up4);
    /* Another TEID to the same S-GW is another bearer. */
    rec(&p, V6M_FAMILY_IPV4, "10.0.0.2", "198.51.100.1", 6, 40000, 443);
    gtp(&p, 0x102, "192.0.2.1", "192.0.2.2");
    uint64_t k2 = subscriber_of_flow(s, &p, V6M_DIR_UNKNOWN);
    assert_true(k2 != k_up4 && k2 != 0);
    /* Downlink to an unknown UE: keyed by the downlink TEID, counted. */
    rec(&p, V6M_FAMILY_IPV4, "198.51.100.1", "10.9.9.9", 6, 443, 40000);
    gtp(&p, 0x904, "192.0.2.2", "192.0.2.1");
    uint64_t k3 = subscriber_of_flow(s, &p, V6M_DIR_DOWN);
    assert_true(k3 != 0 && k3 != k_up4 && k3 != k2);
    struct subscriber_stats st;
    subscribers_get_stats(s, &st);
    assert_int_equal(st.gtp_downlink_unmatched, 1);
    /* A non-G-PDU (signalling) or plain packet without direction: none. */
    rec(&p, V6M_FAMILY_IPV4, "10.0.0.1", "198.51.100.1", 6, 40000, 443);
    assert_int_equal(subscriber_of_flow(s, &p, V6M_DIR_UNKNOWN), 0);
    /* ... but with a direction from the segments file, the address. */
    assert_int_not_equal(subscriber_of_flow(s, &p, V6M_DIR_UP), 0);
    subscribers_free(s);
}

static void test_pppoe_mac_address(void **state)
{
    (void)state;
    struct subscribers *s = subscribers_new(V6M_SUB_PPPOE, NULL, 0);
    struct v6m_packet p;
    static const uint8_t cli[6] = {2, 0, 0, 0, 0, 1}, bras[6] = {0, 0xe0, 0xfc, 1, 2, 3};
    rec(&p, V6M_FAMILY_IPV4, "100.64.0.1", "198.51.100.1", 6, 40000, 80);
    p.encap = V6M_ENC_PPPOE;
    p.pppoe_session = 7;
    p.has_eth = 1;
    memcpy(p.eth_src, cli, 6);
    memcpy(p.eth_dst, bras, 6);
    uint64_t up = subscriber_of_flow(s, &p, V6M_DIR_UNKNOWN);
    /* The same session seen downlink-first (BRAS -> client). */
    struct v6m_packet q = p;
    memcpy(q.eth_src, bras, 6);
    memcpy(q.eth_dst, cli, 6);
    assert_true(subscriber_of_flow(s, &q, V6M_DIR_DOWN) == up);
    /* Another session id of the same MAC is another subscriber. */
    p.pppoe_session = 8;
    assert_true(subscriber_of_flow(s, &p, V6M_DIR_UNKNOWN) != up);
    subscribers_free(s);

    s = subscribers_new(V6M_SUB_ADDRESS, NULL, 0);
    assert_true(subscribers_families_apart(s));
    rec(&p, V6M_FAMILY_IPV6, "2001:db8:1:2::1", "2001:db8::1", 6, 1, 2);
    uint64_t a = subscriber_of_flow(s, &p, V6M_DIR_UNKNOWN);
    rec(&p, V6M_FAMILY_IPV6, "2001:db8:1:2:ffff::7", "2001:db8::1", 6, 1, 2);
    assert_true(subscriber_of_flow(s, &p, V6M_DIR_UNKNOWN) == a); /* same /64 */
    rec(&p, V6M_FAMILY_IPV6, "2001:db8:1:3::1", "2001:db8::1", 6, 1, 2);
    assert_true(subscriber_of_flow(s, &p, V6M_DIR_UNKNOWN) != a);
    subscribers_free(s);
}

static void test_binding(void **state)
{
    (void)state;
    static const char csv[] = "subscriber,ipv4,ipv6\n"
                              "alice,100.64.0.1,2001:db8:a::/48\n"
                              "bob,100.64.0.2 100.64.0.3,\n";
    v6m_bindings *b = NULL;
    char err[256];
    assert_int_equal(v6m_bindings_parse(csv, sizeof(csv) - 1, "t.csv", &b, err, sizeof(err)),
                     V6M_OK);
    struct subscribers *s = subscribers_new(V6M_SUB_BINDING, b, 0);
    assert_non_null(s);
    struct v6m_packet p;
    rec(&p, V6M_FAMILY_IPV4, "100.64.0.1", "198.51.100.1", 6, 1, 2);
    uint64_t alice4 = subscriber_of_flow(s, &p, V6M_DIR_UNKNOWN);
    /* Alice's IPv6 traffic, server first: the destination is looked up. */
    rec(&p, V6M_FAMILY_IPV6, "2001:db8::1", "2001:db8:a:5::9", 6, 443, 5);
    assert_true(subscriber_of_flow(s, &p, V6M_DIR_UNKNOWN) == alice4);
    rec(&p, V6M_FAMILY_IPV4, "100.64.0.3", "198.51.100.1", 6, 1, 2);
    uint64_t bob = subscriber_of_flow(s, &p, V6M_DIR_UNKNOWN);
    assert_true(bob != 0 && bob != alice4);
    rec(&p, V6M_FAMILY_IPV4, "100.64.0.9", "198.51.100.1", 6, 1, 2);
    assert_int_equal(subscriber_of_flow(s, &p, V6M_DIR_UNKNOWN), 0);
    subscribers_free(s);
    v6m_bindings_free(b);
    /* Binding mode without bindings is refused. */
    assert_null(subscribers_new(V6M_SUB_BINDING, NULL, 0));
}

/* One flow of subscriber `who` (an address, address mode, direction up). */
static void flow(struct users *u, struct flow_side *fs, int fam, const char *who,
                 uint8_t proto, uint16_t dport, uint64_t ts, unsigned seg)
{
    struct v6m_packet p;
    rec(&p, fam, who, fam == V6M_FAMILY_IPV4 ? "198.51.100.1" : "2001:db8:ffff::1", proto,
        40000, dport);
    memset(fs, 0, sizeof(*fs));
    users_flow_created(u, &p, V6M_DIR_UP, fs);
    users_packet(u, ts, seg, fs);
}

static const struct v6m_users_window *win(const struct v6m_users_result *r, unsigned kind,
                                          uint64_t start_day)
{
    for (size_t i = 0; i < r->n_windows; i++)
        if (r->windows[i].kind == kind &&
            (kind == V6M_WINDOW_ALL || r->windows[i].start_s == (int64_t)(start_day * 86400)))
            return &r->windows[i];
    fail_msg("window %u at day %llu missing", kind, (unsigned long long)start_day);
    return NULL;
}

static void test_windows(void **state)
{
    (void)state;
    /* Address mode keys IPv4 and IPv6 apart, so use one family per user
     * except where noted; a binding would join them, address mode cannot. */
    struct users_config cfg = {.mode = V6M_SUB_ADDRESS, .exact_max = 1000, .n_segments = 2};
    struct users *u = users_new(&cfg);
    assert_non_null(u);
    struct flow_side fs;
    uint64_t may31 = D_MAY31 * DAY, jun1 = (D_MAY31 + 1) * DAY, jul5 = (D_MAY31 + 35) * DAY;
    /* May 31: A (v4 web), B (v6 web), C (v6 DNS only + v6 ICMP), D (v4 DHCP). */
    flow(u, &fs, V6M_FAMILY_IPV4, "10.0.0.1", 6, 443, may31 + 10, 0);
    flow(u, &fs, V6M_FAMILY_IPV6, "2001:db8:b::1", 6, 443, may31 + 20, 0);
    flow(u, &fs, V6M_FAMILY_IPV6, "2001:db8:c::1", 17, 53, may31 + 30, 1);
    flow(u, &fs, V6M_FAMILY_IPV6, "2001:db8:c::1", 58, 0, may31 + 31, 1);
    flow(u, &fs, V6M_FAMILY_IPV4, "10.0.0.4", 17, 67, may31 + 40, 1);
    /* A flow of E starting May 31 23:59:59 and carrying a packet on June 1:
     * counts on both days. */
    struct v6m_packet p;
    rec(&p, V6M_FAMILY_IPV6, "2001:db8:e::1", "2001:db8:ffff::1", 6, 40000, 443);
    struct flow_side fe;
    memset(&fe, 0, sizeof(fe));
    users_flow_created(u, &p, V6M_DIR_UP, &fe);
    users_packet(u, jun1 - 1, 0, &fe);
    users_packet(u, jun1 + 5, 0, &fe);
    /* June 1: A again (v4), B (v4 address = a different subscriber here). */
    flow(u, &fs, V6M_FAMILY_IPV4, "10.0.0.1", 6, 80, jun1 + 100, 0);
    flow(u, &fs, V6M_FAMILY_IPV4, "10.0.0.2", 6, 80, jun1 + 200, 0);
    /* July 5 (35 days after May 31): F (v6). */
    flow(u, &fs, V6M_FAMILY_IPV6, "2001:db8:f::1", 17, 443, jul5, 1);
    assert_true(users_finish(u));
    const struct v6m_users_result *r = users_result(u);
    assert_true(r->families_apart);
    /* Windows: all + 3 days + 3 months (May, June, July) + 30d = 8. */
    assert_int_equal(r->n_windows, 8);

    /* May 31, all segments: seen A B C D E = 5; active A B E = 3 (C only
     * DNS/ICMP, D only DHCP); ipv6_active B E = 2; holding C B E = 3;
     * dual 0, v4 only A = 1, v6 only B E = 2. */
    const struct v6m_user_counts *c = &win(r, V6M_WINDOW_DAY, D_MAY31)->counts[2];
    assert_int_equal(c->seen, 5);
    assert_int_equal(c->active, 3);
    assert_int_equal(c->ipv6_active, 2);
    assert_int_equal(c->holding_ipv6, 3);
    assert_int_equal(c->dual, 0);
    assert_int_equal(c->ipv4_only, 1);
    assert_int_equal(c->ipv6_only, 2);
    assert_true(c->exact);
    /* Segment 1 on May 31: C and D only, nobody active. */
    c = &win(r, V6M_WINDOW_DAY, D_MAY31)->counts[1];
    assert_int_equal(c->seen, 2);
    assert_int_equal(c->active, 0);
    /* June 1: A, 10.0.0.2, E (its midnight packet) = 3 active, 1 v6. */
    c = &win(r, V6M_WINDOW_DAY, D_MAY31 + 1)->counts[2];
    assert_int_equal(c->active, 3);
    assert_int_equal(c->ipv6_active, 1);
    /* Month of June 2024 (day 19875 = June 1): same as June 1. */
    c = &win(r, V6M_WINDOW_MONTH, D_MAY31 + 1)->counts[2];
    assert_int_equal(c->active, 3);
    /* May: A B E active. */
    c = &win(r, V6M_WINDOW_MONTH, D_MAY31 - 30)->counts[2];
    assert_int_equal(c->active, 3);
    /* 30d ending July 5 starts June 6: only F. */
    const struct v6m_users_window *w30 = win(r, V6M_WINDOW_30D, D_MAY31 + 35 - 29);
    assert_int_equal(w30->end_s, (int64_t)((D_MAY31 + 36) * 86400));
    assert_int_equal(w30->counts[2].active, 1);
    assert_int_equal(w30->counts[2].ipv6_active, 1);
    /* All: active A, B, E, 10.0.0.2, F = 5; v6 active B E F = 3; seen +C +D = 7. */
    c = &win(r, V6M_WINDOW_ALL, 0)->counts[2];
    assert_int_equal(c->active, 5);
    assert_int_equal(c->ipv6_active, 3);
    assert_int_equal(c->seen, 7);
    assert_int_equal(c->dual + c->ipv4_only + c->ipv6_only, c->active);
    /* Sketches exist for the flags used. */
    assert_non_null(users_sketch(u, 0, 2, V6M_USER_Q6));
    users_free(u);
}

static void test_dual_and_sketch_mode(void **state)
{
    (void)state;
    /* Binding mode joins families: 300 subscribers, 100 dual, 100 v4-only,
     * 100 v6-only; with exact_max 50 the counts are estimates within 5%. */
    char csv[64 * 400];
    size_t n = (size_t)snprintf(csv, sizeof(csv), "subscriber,ipv4,ipv6\n");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(csv + n, sizeof(csv) - n, "s%d,10.1.%d.%d,2001:db8:%x::/64\n", i,
                              i / 256, i % 256, i + 1);
    v6m_bindings *b = NULL;
    char err[256];
    assert_int_equal(v6m_bindings_parse(csv, n, "b.csv", &b, err, sizeof(err)), V6M_OK);
    for (int pass = 0; pass < 2; pass++) {
        struct users_config cfg = {.mode = V6M_SUB_BINDING, .bindings = b,
                                   .exact_max = pass ? 50 : 1000, .n_segments = 1};
        struct users *u = users_new(&cfg);
        struct flow_side fs;
        char a4[32], a6[64];
        for (int i = 0; i < 300; i++) {
            snprintf(a4, sizeof(a4), "10.1.%d.%d", i / 256, i % 256);
            snprintf(a6, sizeof(a6), "2001:db8:%x::5", i + 1);
            if (i < 200)
                flow(u, &fs, V6M_FAMILY_IPV4, a4, 6, 443, 1000 * DAY, 0);
            if (i < 100 || i >= 200)
                flow(u, &fs, V6M_FAMILY_IPV6, a6, 6, 443, 1000 * DAY, 0);
        }
        assert_true(users_finish(u));
        const struct v6m_user_counts *c = &users_result(u)->windows[0].counts[1];
        if (!pass) {
            assert_true(c->exact);
            assert_int_equal(c->active, 300);
            assert_int_equal(c->dual, 100);
            assert_int_equal(c->ipv4_only, 100);
            assert_int_equal(c->ipv6_only, 100);
        } else {
            assert_false(c->exact);
            assert_in_range(c->active, 285, 315);
            assert_in_range(c->ipv6_active, 190, 210);
        }
        users_free(u);
    }
    v6m_bindings_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gtp_bearer),
        cmocka_unit_test(test_pppoe_mac_address),
        cmocka_unit_test(test_binding),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_dual_and_sketch_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
