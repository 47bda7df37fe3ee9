/*
 * test_flow.c - the bounded flow table (lib/flow): both directions in one
 * flow, idle and active expiry, eviction with counters (checked against an
 * independent model of the CLOCK policy), flush, exact record counters,
 * ICMP echo, segment in the key, index growth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <v6mon/segments.h>

#include "flow/flowtable.h"

#define SEC 1000000000ULL

struct sink {
    size_t n, cap;
    struct v6m_flow_record *r;
};

static void on_end(void *user, const struct v6m_flow_record *rec)
{
    struct sink *s = user;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->r = realloc(s->r, s->cap * sizeof(*s->r));
        assert_non_null(s->r);
    }
    s->r[s->n++] = *rec;
}

static struct flow_table *mk_table(struct sink *s, size_t max, uint64_t idle, uint64_t active)
{
    memset(s, 0, sizeof(*s));
    struct flow_table_config c = {
        .max_flows = max, .idle_ns = idle, .active_ns = active,
        .seed = 12345, .on_end = on_end, .user = s,
    };
    struct flow_table *ft = flow_table_new(&c);
    assert_non_null(ft);
    return ft;
}

static void pkt4(struct v6m_packet *p, const char *src, uint16_t sp, const char *dst,
                 uint16_t dp, uint8_t proto, uint64_t ts, uint32_t wl)
{
    memset(p, 0, sizeof(*p));
    p->family = V6M_FAMILY_IPV4;
    p->inner.family = V6M_FAMILY_IPV4;
    p->inner.proto = proto;
    p->l4_proto = proto;
    assert_int_equal(inet_pton(AF_INET, src, p->inner.src), 1);
    assert_int_equal(inet_pton(AF_INET, dst, p->inner.dst), 1);
    p->outer = p->inner;
    p->sport = sp;
    p->dport = dp;
    p->ts_ns = ts;
    p->wirelen = wl;
}

static void pkt6(struct v6m_packet *p, const char *src, uint16_t sp, const char *dst,
                 uint16_t dp, uint8_t proto, uint64_t ts, uint32_t wl)
{
    memset(p, 0, sizeof(*p));
    p->family = V6M_FAMILY_IPV6;
    p->inner.family = V6M_FAMILY_IPV6;
    p->inner.proto = proto;
    p->l4_proto = proto;
    assert_int_equal(inet_pton(AF_INET6, src, p->inner.src), 1);
    assert_int_equal(inet_pton(AF_INET6, dst, p->inner.dst), 1);
    p->outer = p->inner;
    p->sport = sp;
    p->dport = dp;
    p->ts_ns = ts;
    p->wirelen = wl;
}

static struct flow_entry *feed(struct flow_table *ft, const struct v6m_packet *p,
                               uint16_t seg, bool *created)
{
    return flow_table_packet(ft, p, seg, V6M_DIR_UNKNOWN, created);
}

static void assert_addr4(const uint8_t *a, const char *want)
{
    uint8_t w[16] = {0};
    assert_int_equal(inet_pton(AF_INET, want, w), 1);
    assert_memory_equal(a, w, 16);
}

static void test_bidirectional(void **state)
{
    (void)state;
    struct sink s;
    struct flow_table *ft = mk_table(&s, 16, 60 * SEC, 1800 * SEC);
    struct v6m_packet p;
    bool c;
    /* The first packet comes from the higher address: it is still "a". */
    pkt4(&p, "192.0.2.9", 40000, "192.0.2.1", 443, 6, 1 * SEC, 60);
    p.tcp_flags = 0x02;
    struct flow_entry *e1 = feed(ft, &p, 0, &c);
    assert_non_null(e1);
    assert_true(c);
    assert_int_equal(e1->user, 0);
    e1->user = 77;
    pkt4(&p, "192.0.2.1", 443, "192.0.2.9", 40000, 6, 2 * SEC, 1500);
    p.tcp_flags = 0x12;
    struct flow_entry *e2 = feed(ft, &p, 0, &c);
    assert_false(c);
    assert_ptr_equal(e1, e2);
    assert_int_equal(e2->user, 77);
    pkt4(&p, "192.0.2.9", 40000, "192.0.2.1", 443, 6, 3 * SEC, 52);
    p.tcp_flags = 0x10;
    feed(ft, &p, 0, &c);
    assert_false(c);
    /* Same addresses, other port: another flow; other segment: another. */
    pkt4(&p, "192.0.2.9", 40001, "192.0.2.1", 443, 6, 4 * SEC, 100);
    feed(ft, &p, 0, &c);
    assert_true(c);
    pkt4(&p, "192.0.2.9", 40000, "192.0.2.1", 443, 6, 5 * SEC, 100);
    feed(ft, &p, 1, &c);
    assert_true(c);
    /* UDP with the same ports is another flow. */
    pkt4(&p, "192.0.2.9", 40000, "192.0.2.1", 443, 17, 6 * SEC, 100);
    feed(ft, &p, 0, &c);
    assert_true(c);

    struct flow_table_stats st;
    flow_table_get_stats(ft, &st);
    assert_int_equal(st.active, 4);
    assert_int_equal(st.created, 4);
    flow_table_flush(ft);
    assert_int_equal(s.n, 4);
    const struct v6m_flow_record *r = &s.r[0]; /* oldest first */
    assert_int_equal(r->key.family, V6M_FAMILY_IPV4);
    assert_int_equal(r->key.proto, 6);
    assert_int_equal(r->key.segment, 0);
    assert_addr4(r->key.addr_a, "192.0.2.9");
    assert_addr4(r->key.addr_b, "192.0.2.1");
    assert_int_equal(r->key.port_a, 40000);
    assert_int_equal(r->key.port_b, 443);
    assert_int_equal(r->packets[0], 2);
    assert_int_equal(r->packets[1], 1);
    assert_int_equal(r->bytes[0], 112);
    assert_int_equal(r->bytes[1], 1500);
    assert_int_equal(r->first_ns, 1 * SEC);
    assert_int_equal(r->last_ns, 3 * SEC);
    assert_int_equal(r->tcp_flags, 0x12);
    assert_int_equal(r->end, V6M_FLOW_END_EOF);
    assert_int_equal(s.r[1].key.port_a, 40001);
    assert_int_equal(s.r[2].key.segment, 1);
    assert_int_equal(s.r[3].key.proto, 17);
    flow_table_get_stats(ft, &st);
    assert_int_equal(st.active, 0);
    assert_int_equal(st.flushed, 4);
    assert_int_equal(st.max_active, 4);
    /* Non-IP records are not flows. */
    memset(&p, 0, sizeof(p));
    assert_null(feed(ft, &p, 0, &c));
    assert_false(c);
    flow_table_free(ft);
    flow_table_free(NULL);
    free(s.r);
}

static void test_ipv6_and_icmp(void **state)
{
    (void)state;
    struct sink s;
    struct flow_table *ft = mk_table(&s, 16, 60 * SEC, 1800 * SEC);
    struct v6m_packet p;
    bool c;
    pkt6(&p, "2001:db8::1", 5353, "2001:db8::2", 53, 17, 10, 90);
    feed(ft, &p, 2, &c);
    assert_true(c);
    pkt6(&p, "2001:db8::2", 53, "2001:db8::1", 5353, 17, 20, 200);
    feed(ft, &p, 2, &c);
    assert_false(c);
    /* ICMPv6 echo: request id 7 (sport 7, dport 0), reply the same id. */
    pkt6(&p, "2001:db8::2", 7, "2001:db8::1", 0, 58, 30, 104);
    feed(ft, &p, 2, &c);
    assert_true(c);
    pkt6(&p, "2001:db8::1", 7, "2001:db8::2", 0, 58, 40, 104);
    feed(ft, &p, 2, &c);
    assert_false(c);
    pkt6(&p, "2001:db8::1", 8, "2001:db8::2", 0, 58, 50, 104);
    feed(ft, &p, 2, &c);
    assert_true(c);
    /* ICMPv4 echo too */
    pkt4(&p, "10.0.0.1", 9, "10.0.0.2", 0, 1, 60, 84);
    feed(ft, &p, 2, &c);
    assert_true(c);
    pkt4(&p, "10.0.0.2", 9, "10.0.0.1", 0, 1, 61, 84);
    feed(ft, &p, 2, &c);
    assert_false(c);
    flow_table_flush(ft);
    assert_int_equal(s.n, 4);
    uint8_t a1[16], a2[16];
    inet_pton(AF_INET6, "2001:db8::1", a1);
    inet_pton(AF_INET6, "2001:db8::2", a2);
    assert_int_equal(s.r[0].key.family, V6M_FAMILY_IPV6);
    assert_memory_equal(s.r[0].key.addr_a, a1, 16);
    assert_memory_equal(s.r[0].key.addr_b, a2, 16);
    assert_int_equal(s.r[0].key.port_a, 5353);
    assert_int_equal(s.r[0].key.port_b, 53);
    assert_int_equal(s.r[0].packets[0], 1);
    assert_int_equal(s.r[0].packets[1], 1);
    assert_int_equal(s.r[0].bytes[1], 200);
    assert_memory_equal(s.r[1].key.addr_a, a2, 16);
    assert_int_equal(s.r[1].key.port_a, 7);
    assert_int_equal(s.r[1].key.port_b, 7);
    assert_int_equal(s.r[1].packets[0], 1);
    assert_int_equal(s.r[1].packets[1], 1);
    assert_int_equal(s.r[3].packets[0], 1);
    assert_int_equal(s.r[3].packets[1], 1);
    flow_table_free(ft);
    free(s.r);
}

/* Idle expiry from the queue head: the head is examined only once it has
 * been queued for longer than the idle timeout; a live head goes back to
 * the tail, an idle one ends. */
static void test_idle(void **state)
{
    (void)state;
    struct sink s;
    struct flow_table *ft = mk_table(&s, 16, 60 * SEC, 1800 * SEC);
    struct v6m_packet p;
    bool c;
    pkt4(&p, "10.0.0.1", 1, "10.0.0.2", 2, 17, 0, 100); /* f1, queued at 0 */
    feed(ft, &p, 0, &c);
    /* exactly idle_ns later: still the same flow */
    pkt4(&p, "10.0.0.2", 2, "10.0.0.1", 1, 17, 60 * SEC, 100);
    feed(ft, &p, 0, &c);
    assert_false(c);
    /* t=100: f1 (queued 100 s ago) is examined: live (last 60 s) -> back to
     * the tail, queued at 100 s. f2 is created. */
    pkt4(&p, "10.0.0.3", 1, "10.0.0.2", 2, 17, 100 * SEC, 10);
    feed(ft, &p, 0, &c);
    assert_true(c);
    /* t=121: f1 has been idle for 61 s, but it was queued only 21 s ago:
     * not examined yet (it would end now if its own packet came). */
    pkt4(&p, "10.0.0.3", 1, "10.0.0.2", 2, 17, 121 * SEC, 10);
    feed(ft, &p, 0, &c);
    assert_false(c);
    assert_int_equal(s.n, 0);
    /* t=165: f1 queued 65 s ago and idle -> ends; f2 (queued at 100 s, last
     * packet 121 s) is live -> requeued. */
    pkt4(&p, "10.0.0.3", 1, "10.0.0.2", 2, 17, 165 * SEC, 10);
    feed(ft, &p, 0, &c);
    assert_false(c);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].end, V6M_FLOW_END_IDLE);
    assert_addr4(s.r[0].key.addr_a, "10.0.0.1");
    assert_int_equal(s.r[0].packets[0], 1);
    assert_int_equal(s.r[0].packets[1], 1);
    assert_int_equal(s.r[0].last_ns, 60 * SEC);
    /* it comes back: a new flow, whose "a" is now the sender of this packet */
    pkt4(&p, "10.0.0.2", 2, "10.0.0.1", 1, 17, 166 * SEC, 100);
    feed(ft, &p, 0, &c);
    assert_true(c);
    struct flow_table_stats st;
    flow_table_get_stats(ft, &st);
    assert_int_equal(st.expired_idle, 1);
    assert_int_equal(st.created, 3);
    flow_table_flush(ft);
    assert_int_equal(s.n, 3);
    assert_addr4(s.r[1].key.addr_a, "10.0.0.3"); /* queue order: f2 (165 s) */
    assert_int_equal(s.r[1].packets[0], 3);
    assert_addr4(s.r[2].key.addr_a, "10.0.0.2"); /* then f1' (166 s) */
    assert_int_equal(s.r[2].key.port_a, 2);
    assert_int_equal(s.r[2].first_ns, 166 * SEC);
    flow_table_free(ft);
    free(s.r);
}

static void test_idle_on_hit(void **state)
{
    (void)state;
    struct sink s;
    struct flow_table_config cf = {
        .max_flows = 16, .idle_ns = 10 * SEC, .active_ns = 1000 * SEC,
        .seed = 1, .expire_budget = 1, .on_end = on_end, .user = &s,
    };
    memset(&s, 0, sizeof(s));
    struct flow_table *ft = flow_table_new(&cf);
    struct v6m_packet p;
    bool c;
    char a[32];
    for (int i = 0; i < 5; i++) {
        snprintf(a, sizeof(a), "10.0.0.%d", i + 1);
        pkt4(&p, a, 1, "10.9.9.9", 2, 17, (uint64_t)i, 100);
        feed(ft, &p, 0, &c);
        assert_true(c);
    }
    /* At 100 s all five are idle; budget 1 ends only the head (10.0.0.1),
     * then the hit on 10.0.0.4 finds its own entry idle and restarts it. */
    pkt4(&p, "10.0.0.4", 1, "10.9.9.9", 2, 17, 100 * SEC, 100);
    feed(ft, &p, 0, &c);
    assert_true(c);
    assert_int_equal(s.n, 2);
    assert_addr4(s.r[0].key.addr_a, "10.0.0.1");
    assert_addr4(s.r[1].key.addr_a, "10.0.0.4");
    assert_int_equal(s.r[1].end, V6M_FLOW_END_IDLE);
    struct flow_table_stats st;
    flow_table_get_stats(ft, &st);
    assert_int_equal(st.expired_idle, 2);
    assert_int_equal(st.active, 4);
    flow_table_free(ft);
    free(s.r);
}

static void test_active(void **state)
{
    (void)state;
    struct sink s;
    struct flow_table *ft = mk_table(&s, 16, 60 * SEC, 100 * SEC);
    struct v6m_packet p;
    bool c;
    unsigned created = 0;
    for (unsigned i = 0; i <= 25; i++) { /* a packet every 10 s, 0..250 s */
        pkt4(&p, "10.0.0.1", 1, "10.0.0.2", 2, 6, (uint64_t)i * 10 * SEC, 40);
        feed(ft, &p, 0, &c);
        created += c;
    }
    /* flows start at 0, 110, 220 s (each ends when a packet comes > 100 s
     * after its first) */
    assert_int_equal(created, 3);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.r[0].end, V6M_FLOW_END_ACTIVE);
    assert_int_equal(s.r[0].first_ns, 0);
    assert_int_equal(s.r[0].last_ns, 100 * SEC);
    assert_int_equal(s.r[0].packets[0], 11);
    assert_int_equal(s.r[0].bytes[0], 440);
    assert_int_equal(s.r[1].first_ns, 110 * SEC);
    assert_int_equal(s.r[1].packets[0], 11);
    flow_table_flush(ft);
    assert_int_equal(s.r[2].first_ns, 220 * SEC);
    assert_int_equal(s.r[2].packets[0], 4);
    struct flow_table_stats st;
    flow_table_get_stats(ft, &st);
    assert_int_equal(st.expired_active, 2);
    assert_int_equal(st.max_active, 1);
    flow_table_free(ft);
    free(s.r);
}

static void test_eviction(void **state)
{
    (void)state;
    struct sink s;
    struct flow_table *ft = mk_table(&s, 3, 60 * SEC, 1800 * SEC);
    struct v6m_packet p;
    bool c;
    pkt4(&p, "10.0.0.1", 1, "10.0.0.100", 80, 6, 1, 10);
    feed(ft, &p, 0, &c);
    pkt4(&p, "10.0.0.2", 1, "10.0.0.100", 80, 6, 2, 10);
    feed(ft, &p, 0, &c);
    pkt4(&p, "10.0.0.3", 1, "10.0.0.100", 80, 6, 3, 10);
    feed(ft, &p, 0, &c);
    pkt4(&p, "10.0.0.100", 80, "10.0.0.1", 1, 6, 4, 10); /* touch flow 1 */
    feed(ft, &p, 0, &c);
    assert_false(c);
    pkt4(&p, "10.0.0.4", 1, "10.0.0.100", 80, 6, 5, 10);
    feed(ft, &p, 0, &c);
    assert_true(c);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].end, V6M_FLOW_END_EVICTED);
    assert_addr4(s.r[0].key.addr_a, "10.0.0.2"); /* 1 was used again: 2nd chance */
    /* Much later: the sweep (budget 2) ends the two oldest as IDLE, which
     * makes room, so nothing more is evicted. */
    pkt4(&p, "10.0.0.5", 1, "10.0.0.100", 80, 6, 1000 * SEC, 10);
    feed(ft, &p, 0, &c);
    struct flow_table_stats st;
    flow_table_get_stats(ft, &st);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(st.expired_idle, 2);
    assert_int_equal(s.n, 3);
    assert_addr4(s.r[1].key.addr_a, "10.0.0.3");
    assert_addr4(s.r[2].key.addr_a, "10.0.0.1");
    assert_int_equal(st.active, 2);
    assert_int_equal(st.max_active, 3);
    flow_table_free(ft);
    free(s.r);
}

/* An independent model of the replacement policy (CLOCK over a FIFO
 * queue, 8 second chances): arrays in queue order, head first. */
struct model {
    int key[64];
    uint64_t pk[64];
    int ref[64];
    int n;
};

static void model_pop(struct model *m, int *key, uint64_t *pk, int *ref)
{
    *key = m->key[0];
    *pk = m->pk[0];
    *ref = m->ref[0];
    memmove(&m->key[0], &m->key[1], (size_t)(m->n - 1) * sizeof(int));
    memmove(&m->pk[0], &m->pk[1], (size_t)(m->n - 1) * sizeof(uint64_t));
    memmove(&m->ref[0], &m->ref[1], (size_t)(m->n - 1) * sizeof(int));
    m->n--;
}

static void model_push(struct model *m, int key, uint64_t pk, int ref)
{
    m->key[m->n] = key;
    m->pk[m->n] = pk;
    m->ref[m->n] = ref;
    m->n++;
}

static void test_clock_model(void **state)
{
    (void)state;
    enum { MAX = 64, KEYS = 300, PKTS = 30000 };
    struct sink s;
    struct flow_table *ft = mk_table(&s, MAX, UINT64_MAX / 4, UINT64_MAX / 4);
    struct model m = {.n = 0};
    /* expected ended records in order: (key, packets) */
    int *ek = calloc(PKTS + MAX, sizeof(int));
    uint64_t *ep = calloc(PKTS + MAX, sizeof(uint64_t));
    size_t ne = 0;
    uint64_t rnd = 88172645463325252ULL;
    uint64_t evicted = 0;
    for (int i = 0; i < PKTS; i++) {
        rnd ^= rnd << 13;
        rnd ^= rnd >> 7;
        rnd ^= rnd << 17;
        /* skewed: half the packets on 40 hot keys */
        int k = (rnd & 1) ? (int)((rnd >> 8) % 40) : (int)((rnd >> 8) % KEYS);
        bool rev = (rnd >> 40) & 1;
        char a[32], b[32];
        snprintf(a, sizeof(a), "10.%d.%d.1", k / 256, k % 256);
        snprintf(b, sizeof(b), "10.%d.%d.2", k / 256, k % 256);
        struct v6m_packet p;
        if (rev)
            pkt4(&p, b, 80, a, 1000, 6, (uint64_t)i, 1);
        else
            pkt4(&p, a, 1000, b, 80, 6, (uint64_t)i, 1);
        bool c;
        feed(ft, &p, 0, &c);
        int j;
        for (j = 0; j < m.n && m.key[j] != k; j++)
            ;
        if (j < m.n) {
            assert_false(c);
            m.pk[j]++;
            m.ref[j] = 1;
            continue;
        }
        assert_true(c);
        if (m.n == MAX) {
            int key, ref;
            uint64_t pk;
            for (int tries = 0; tries < 8 && m.ref[0]; tries++) {
                model_pop(&m, &key, &pk, &ref);
                model_push(&m, key, pk, 0);
            }
            model_pop(&m, &key, &pk, &ref);
            ek[ne] = key;
            ep[ne++] = pk;
            evicted++;
        }
        model_push(&m, k, 1, 0);
    }
    for (int j = 0; j < m.n; j++) {
        ek[ne] = m.key[j];
        ep[ne++] = m.pk[j];
    }
    flow_table_flush(ft);
    assert_int_equal(s.n, ne);
    for (size_t i = 0; i < ne; i++) {
        int k = s.r[i].key.addr_a[1] * 256 + s.r[i].key.addr_a[2];
        assert_int_equal(k, ek[i]);
        assert_int_equal(s.r[i].packets[0] + s.r[i].packets[1], ep[i]);
        assert_int_equal(s.r[i].end, i < evicted ? V6M_FLOW_END_EVICTED : V6M_FLOW_END_EOF);
    }
    struct flow_table_stats st;
    flow_table_get_stats(ft, &st);
    assert_int_equal(st.evicted, evicted);
    assert_true(evicted > 1000);
    flow_table_free(ft);
    free(ek);
    free(ep);
    free(s.r);
}

/* 60000 live flows: the index starts at 16384 slots and must double three
 * times; every flow is found again afterwards (in both directions), and the
 * flush returns each exactly once with its 3 packets. */
static void test_index_growth(void **state)
{
    (void)state;
    enum { N = 60000 };
    struct sink s;
    struct flow_table *ft = mk_table(&s, 100000, 3600 * SEC, 3600 * SEC);
    struct v6m_packet p;
    bool c;
    char a[64];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            snprintf(a, sizeof(a), "2001:db8::%x:%x", i >> 8, i & 0xff);
            if (round == 1)
                pkt6(&p, "2001:db8:ffff::1", 443, a, 1024, 6, (uint64_t)round, 10);
            else
                pkt6(&p, a, 1024, "2001:db8:ffff::1", 443, 6, (uint64_t)round, 10);
            struct flow_entry *e = feed(ft, &p, 0, &c);
            assert_non_null(e);
            assert_int_equal(c, round == 0);
        }
    }
    struct flow_table_stats st;
    flow_table_get_stats(ft, &st);
    assert_int_equal(st.active, N);
    assert_int_equal(st.created, N);
    flow_table_flush(ft);
    assert_int_equal(s.n, N);
    for (size_t i = 0; i < s.n; i++) {
        assert_int_equal(s.r[i].packets[0], 2);
        assert_int_equal(s.r[i].packets[1], 1);
        unsigned id = (unsigned)s.r[i].key.addr_a[13] << 8 | s.r[i].key.addr_a[15];
        assert_int_equal(id, i); /* flushed oldest first = creation order */
    }
    flow_table_free(ft);
    free(s.r);
}

static void test_bad_config(void **state)
{
    (void)state;
    struct flow_table_config c = {.max_flows = 0};
    assert_null(flow_table_new(&c));
    assert_null(flow_table_new(NULL));
    c.max_flows = FLOW_TABLE_MAX_FLOWS + 1;
    assert_null(flow_table_new(&c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bidirectional),
        cmocka_unit_test(test_ipv6_and_icmp),
        cmocka_unit_test(test_idle),
        cmocka_unit_test(test_idle_on_hit),
        cmocka_unit_test(test_active),
        cmocka_unit_test(test_eviction),
        cmocka_unit_test(test_clock_model),
        cmocka_unit_test(test_index_growth),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
