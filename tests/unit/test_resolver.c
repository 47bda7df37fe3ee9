/*
 * test_resolver.c - the prober's resolver (lib/probe/resolver.c) against an
 * in-process fake DNS server.
 *
 * The fake server listens on 127.0.0.1 and ::1 (UDP and TCP, one ephemeral
 * port P for all) and on two more IPv4 loopback addresses with the same
 * port, reached by the resolver as IPv4-mapped IPv6 addresses: 127.0.0.3
 * never answers, 127.0.0.5 answers without the AA bit. It is driven by the
 * same event loop as the resolver (loop_watch), answers from the table
 * below like a recursive resolver would (following CNAMEs), and logs every
 * question it gets so that tests can count queries (coalescing, cache, TCP
 * fallback). Behaviours: normal answers, CNAME chains, NODATA, NXDOMAIN,
 * SERVFAIL, REFUSED, silence, TC over UDP then the full answer over TCP,
 * lies (records for another name, an A in an AAAA answer, a CNAME loop, a
 * chain of 9), a reply cut inside a record, junk with our id, an answer to
 * another question, a zone with four name servers.
 *
 * Expected values are the table's data and sentences a person wrote for
 * it, never output of the code under test. Timeouts are 200 ms with one
 * try so the whole file runs in about two seconds. Without ::1 the IPv6
 * parts print a SKIP line and are left out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe/loop.h"
#include "probe/resolver.h"

#define TO_MS 200

/* ---- message builder (test side; shares nothing with the code under test) ---- */

struct mb {
    uint8_t b[8192];
    size_t n;
    uint16_t an;
};

static void mb_u16(struct mb *m, uint16_t v)
{
    m->b[m->n++] = (uint8_t)(v >> 8);
    m->b[m->n++] = (uint8_t)v;
}

static void mb_u32(struct mb *m, uint32_t v)
{
    mb_u16(m, (uint16_t)(v >> 16));
    mb_u16(m, (uint16_t)v);
}

static void mb_name(struct mb *m, const char *dotted)
{
    while (*dotted) {
        const char *dot = strchr(dotted, '.');
        size_t l = dot ? (size_t)(dot - dotted) : strlen(dotted);
        m->b[m->n++] = (uint8_t)l;
        memcpy(m->b + m->n, dotted, l);
        m->n += l;
        dotted += l + (dot ? 1 : 0);
    }
    m->b[m->n++] = 0;
}

static void mb_rr(struct mb *m, const char *owner, uint16_t type, const void *rdata, uint16_t len)
{
    mb_name(m, owner);
    mb_u16(m, type);
    mb_u16(m, 1);
    mb_u32(m, 300);
    mb_u16(m, len);
    memcpy(m->b + m->n, rdata, len);
    m->n += len;
    m->an++;
    m->b[6] = (uint8_t)(m->an >> 8);
    m->b[7] = (uint8_t)m->an;
}

static void mb_rr_name(struct mb *m, const char *owner, uint16_t type, const char *target)
{
    struct mb t;
    t.n = 0;
    mb_name(&t, target);
    mb_rr(m, owner, type, t.b, (uint16_t)t.n);
}

/* ---- the fake server's data ---- */

struct rec {
    const char *owner;
    uint16_t type;
    const char *data; /* address text or target name */
};

static const struct rec table[] = {
    {"a.test", 1, "192.0.2.1"},
    {"a.test", 28, "2a01:4f8::1"},
    {"mixed.test", 1, "192.0.2.2"},
    {"mixed.test", 1, "192.0.2.3"},
    {"mixed.test", 28, "fd00::1"},
    {"mixed.test", 28, "2001:db8::1"},
    {"mixed.test", 28, "2a01:4f8::2"},
    {"alias.test", 5, "mid.test"},
    {"mid.test", 5, "end.test"},
    {"end.test", 1, "192.0.2.4"},
    {"end.test", 28, "2a01:4f8::4"},
    {"alias4.test", 5, "only4.test"},
    {"only4.test", 1, "192.0.2.5"},
    {"nodata.test", 1, "192.0.2.6"},
    {"offchain.test", 1, "192.0.2.7"},
    {"case.test", 1, "192.0.2.8"},
    {"loop.test", 5, "loop2.test"},
    {"loop2.test", 5, "loop.test"},
    {"long.test", 5, "l1.test"},
    {"l1.test", 5, "l2.test"},
    {"l2.test", 5, "l3.test"},
    {"l3.test", 5, "l4.test"},
    {"l4.test", 5, "l5.test"},
    {"l5.test", 5, "l6.test"},
    {"l6.test", 5, "l7.test"},
    {"l7.test", 5, "l8.test"},
    {"l8.test", 5, "l9.test"},
    {"l9.test", 1, "192.0.2.9"},
    /* out of order on purpose: the zone check lists name servers by name */
    {"zone.test", 2, "ns3.zone.test"},
    {"zone.test", 2, "ns1.zone.test"},
    {"zone.test", 2, "ns4.zone.test"},
    {"zone.test", 2, "ns2.zone.test"},
    {"www.zone.test", 1, "192.0.2.10"},
    {"ns1.zone.test", 1, "127.0.0.1"},
    {"ns1.zone.test", 28, "::1"},
    {"ns2.zone.test", 28, "::ffff:127.0.0.3"},
    {"ns3.zone.test", 28, "::ffff:127.0.0.5"},
    {"ns4.zone.test", 1, "192.0.2.44"},
};
#define NTABLE (sizeof table / sizeof table[0])

static bool name_exists(const char *n)
{
    for (size_t i = 0; i < NTABLE; i++)
        if (strcmp(table[i].owner, n) == 0)
            return true;
    return false;
}

static void add_rec(struct mb *m, const struct rec *r)
{
    uint8_t a[16];
    if (r->type == 1) {
        inet_pton(AF_INET, r->data, a);
        mb_rr(m, r->owner, 1, a, 4);
    } else if (r->type == 28) {
        inet_pton(AF_INET6, r->data, a);
        mb_rr(m, r->owner, 28, a, 16);
    } else {
        mb_rr_name(m, r->owner, r->type, r->data);
    }
}

/* ---- the fake server ---- */

enum ep_mode { EP_NORMAL, EP_SILENT, EP_NOAA };

struct query {
    uint16_t id, qtype;
    bool rd, edns; /* edns: the query has an additional record (our OPT) */
    char name[256];
};

struct conn {
    int fd;
    uint8_t buf[4096];
    size_t n;
};

#define LOG_MAX 1024
static struct fake {
    struct loop *l;
    uint16_t port;
    bool v6;
    int udp[4];
    enum ep_mode mode[4];
    int nudp;
    int tcp[2];
    int ntcp;
    struct conn conns[8];
    struct {
        char name[256];
        uint16_t qtype;
        bool tcp;
    } log[LOG_MAX];
    unsigned nlog;
} F;

static bool parse_query(const uint8_t *b, size_t n, struct query *q)
{
    if (n < 12)
        return false;
    q->id = (uint16_t)(b[0] << 8 | b[1]);
    q->rd = b[2] & 1;
    q->edns = (b[10] << 8 | b[11]) > 0;
    size_t o = 12, t = 0;
    while (o < n && b[o]) {
        uint8_t l = b[o++];
        if (l > 63 || o + l > n || t + l + 1 >= sizeof q->name)
            return false;
        if (t)
            q->name[t++] = '.';
        memcpy(q->name + t, b + o, l);
        t += l;
        o += l;
    }
    q->name[t] = '\0';
    if (o + 5 > n)
        return false;
    q->qtype = (uint16_t)(b[o + 1] << 8 | b[o + 2]);
    return true;
}

static unsigned seen(const char *name, uint16_t qtype, int tcp)
{
    unsigned c = 0;
    for (unsigned i = 0; i < F.nlog && i < LOG_MAX; i++)
        if (strcmp(F.log[i].name, name) == 0 && F.log[i].qtype == qtype &&
            (tcp < 0 || F.log[i].tcp == (tcp == 1)))
            c++;
    return c;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static void start_reply(struct mb *m, const struct query *q, uint16_t flags, const char *qname,
                        uint16_t qtype)
{
    m->n = 0;
    m->an = 0;
    mb_u16(m, q->id);
    mb_u16(m, (uint16_t)(0x8080 | (q->rd ? 0x0100 : 0) | flags));
    mb_u16(m, 1);
    mb_u16(m, 0);
    mb_u16(m, 0);
    mb_u16(m, 0);
    mb_name(m, qname);
    mb_u16(m, qtype);
    mb_u16(m, 1);
}

/* The reply to q in m; false = stay silent. */
static bool answer(const struct query *q, bool tcp, enum ep_mode mode, struct mb *m)
{
    const char *n = q->name;
    if (mode == EP_SILENT || ends_with(n, "silent.test"))
        return false;
    if (strcmp(n, "junk.test") == 0) {
        /* our id, then bytes c-ares cannot match to a question */
        m->n = 0;
        mb_u16(m, q->id);
        memset(m->b + 2, 0xff, 30);
        m->n = 32;
        return true;
    }
    if (strcmp(n, "wrongq.test") == 0) {
        start_reply(m, q, 0, "other.test", 1);
        uint8_t a[4] = {192, 0, 2, 99};
        mb_rr(m, "other.test", 1, a, 4);
        return true;
    }
    if (strcmp(n, "case.test") == 0) {
        start_reply(m, q, 0, "CaSe.TeSt", q->qtype);
        uint8_t a[4] = {192, 0, 2, 8};
        if (q->qtype == 1)
            mb_rr(m, "CASE.test", 1, a, 4);
        return true;
    }
    start_reply(m, q, mode == EP_NORMAL && q->qtype == 6 ? 0x0400 : 0, n, q->qtype);
    if (strcmp(n, "noedns.test") == 0) { /* a server that does not know EDNS */
        if (q->edns) {
            m->b[3] |= 1; /* FORMERR, and no OPT in the reply */
            return true;
        }
        uint8_t a[4] = {192, 0, 2, 11};
        mb_rr(m, "noedns.test", 1, a, 4);
        return true;
    }
    if (strcmp(n, "servfail.test") == 0) {
        m->b[3] |= 2;
        return true;
    }
    if (strcmp(n, "refused.test") == 0) {
        m->b[3] |= 5;
        return true;
    }
    if (strcmp(n, "garbage.test") == 0) {
        /* ancount 1, then a record cut after its owner and type */
        m->b[7] = 1;
        mb_name(m, "garbage.test");
        mb_u16(m, 1);
        return true;
    }
    if (strcmp(n, "lie-other.test") == 0) {
        uint8_t a[4] = {203, 0, 113, 66};
        mb_rr(m, "evil.test", 1, a, 4);
        mb_rr(m, "evil.test", 1, a, 4);
        return true;
    }
    if (strcmp(n, "lie-type.test") == 0) {
        uint8_t a[4] = {203, 0, 113, 67};
        mb_rr(m, "lie-type.test", 1, a, 4);
        return true;
    }
    if (strcmp(n, "tc.test") == 0) {
        if (!tcp) {
            m->b[2] |= 0x02; /* TC */
            return true;
        }
        for (int i = 0; i < 20; i++) {
            uint8_t a[16] = {0x2a, 0x01, 0x04, 0xf8};
            a[15] = (uint8_t)(0x10 + i);
            mb_rr(m, "tc.test", 28, a, 16);
        }
        return true;
    }
    if (strcmp(n, "zone.test") == 0 && q->qtype == 6) {
        struct mb t;
        t.n = 0;
        mb_name(&t, "ns1.zone.test");
        mb_name(&t, "hostmaster.zone.test");
        for (int i = 0; i < 5; i++)
            mb_u32(&t, 3600);
        mb_rr(m, "zone.test", 6, t.b, (uint16_t)t.n);
        return true;
    }
    /* The table, like a recursive resolver: follow CNAMEs, then the type. */
    if (!name_exists(n)) {
        m->b[3] |= 3; /* NXDOMAIN */
        return true;
    }
    char cur[256];
    snprintf(cur, sizeof cur, "%s", n);
    char visited[16][256];
    int nv = 0;
    for (;;) {
        const struct rec *cn = NULL;
        for (size_t i = 0; i < NTABLE; i++)
            if (table[i].type == 5 && strcmp(table[i].owner, cur) == 0)
                cn = &table[i];
        if (!cn || q->qtype == 5)
            break;
        bool again = false;
        for (int i = 0; i < nv; i++)
            again |= strcmp(visited[i], cur) == 0;
        if (again || nv == 16)
            break;
        snprintf(visited[nv++], sizeof visited[0], "%s", cur);
        add_rec(m, cn);
        snprintf(cur, sizeof cur, "%s", cn->data);
    }
    for (size_t i = 0; i < NTABLE; i++)
        if (table[i].type == q->qtype && strcmp(table[i].owner, cur) == 0)
            add_rec(m, &table[i]);
    if (strcmp(n, "offchain.test") == 0) {
        uint8_t a[4] = {198, 51, 100, 1};
        mb_rr(m, "x.other.test", 1, a, 4);
        mb_rr(m, "y.other.test", 1, a, 4);
    }
    return true;
}

static void log_query(const struct query *q, bool tcp)
{
    if (F.nlog < LOG_MAX) {
        snprintf(F.log[F.nlog].name, sizeof F.log[0].name, "%s", q->name);
        F.log[F.nlog].qtype = q->qtype;
        F.log[F.nlog].tcp = tcp;
    }
    F.nlog++;
}

static void on_udp(void *arg, int fd, unsigned ev)
{
    enum ep_mode mode = (enum ep_mode)(intptr_t)arg;
    uint8_t buf[4096];
    struct sockaddr_storage from;
    for (;;) {
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return;
        struct query q;
        if (!parse_query(buf, (size_t)n, &q))
            continue;
        log_query(&q, false);
        static struct mb m;
        if (answer(&q, false, mode, &m))
            sendto(fd, m.b, m.n, 0, (struct sockaddr *)&from, fl);
    }
}

static void on_conn(void *arg, int fd, unsigned ev)
{
    struct conn *c = arg;
    ssize_t n = read(fd, c->buf + c->n, sizeof c->buf - c->n);
    if (n <= 0) {
        if (n < 0 && errno == EAGAIN)
            return;
        loop_watch(F.l, fd, 0, NULL, NULL);
        close(fd);
        c->fd = -1;
        return;
    }
    c->n += (size_t)n;
    while (c->n >= 2) {
        size_t len = (size_t)(c->buf[0] << 8 | c->buf[1]);
        if (c->n < 2 + len)
            break;
        struct query q;
        if (parse_query(c->buf + 2, len, &q)) {
            log_query(&q, true);
            static struct mb m;
            if (answer(&q, true, EP_NORMAL, &m)) {
                uint8_t pre[2] = {(uint8_t)(m.n >> 8), (uint8_t)m.n};
                assert_int_equal(write(fd, pre, 2), 2);
                assert_int_equal(write(fd, m.b, m.n), (ssize_t)m.n);
            }
        }
        memmove(c->buf, c->buf + 2 + len, c->n - 2 - len);
        c->n -= 2 + len;
    }
}

static void on_accept(void *arg, int fd, unsigned ev)
{
    int s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (s < 0)
        return;
    for (int i = 0; i < 8; i++)
        if (F.conns[i].fd < 0) {
            F.conns[i].fd = s;
            F.conns[i].n = 0;
            loop_watch(F.l, s, LOOP_READ, on_conn, &F.conns[i]);
            return;
        }
    close(s);
}

static int bind_sock(int family, int type, const char *addr, uint16_t port)
{
    int s = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        inet_pton(AF_INET, addr, &a->sin_addr);
        sl = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        inet_pton(AF_INET6, addr, &a->sin6_addr);
        sl = sizeof *a;
    }
    if (bind(s, (struct sockaddr *)&ss, sl) < 0 || (type == SOCK_STREAM && listen(s, 16) < 0)) {
        close(s);
        return -1;
    }
    return s;
}

static void fake_close(void)
{
    for (int i = 0; i < F.nudp; i++) {
        loop_watch(F.l, F.udp[i], 0, NULL, NULL);
        close(F.udp[i]);
    }
    for (int i = 0; i < F.ntcp; i++) {
        loop_watch(F.l, F.tcp[i], 0, NULL, NULL);
        close(F.tcp[i]);
    }
    for (int i = 0; i < 8; i++)
        if (F.conns[i].fd >= 0) {
            loop_watch(F.l, F.conns[i].fd, 0, NULL, NULL);
            close(F.conns[i].fd);
            F.conns[i].fd = -1;
        }
    F.nudp = F.ntcp = 0;
}

static int fake_add_udp(int family, const char *addr, enum ep_mode mode)
{
    int s = bind_sock(family, SOCK_DGRAM, addr, F.port);
    if (s < 0)
        return -1;
    F.udp[F.nudp] = s;
    F.mode[F.nudp] = mode;
    F.nudp++;
    loop_watch(F.l, s, LOOP_READ, on_udp, (void *)(intptr_t)mode);
    return 0;
}

static int fake_add_tcp(int family, const char *addr)
{
    int s = bind_sock(family, SOCK_STREAM, addr, F.port);
    if (s < 0)
        return -1;
    F.tcp[F.ntcp++] = s;
    loop_watch(F.l, s, LOOP_READ, on_accept, NULL);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    struct errbuf e;
    memset(&F, 0, sizeof F);
    for (int i = 0; i < 8; i++)
        F.conns[i].fd = -1;
    F.l = loop_new(&e);
    assert_non_null(F.l);
    int probe6 = bind_sock(AF_INET6, SOCK_DGRAM, "::1", 0);
    F.v6 = probe6 >= 0;
    if (probe6 >= 0)
        close(probe6);
    else
        printf("SKIP: ::1 is not available; IPv6 parts of the resolver tests are left out\n");
    for (int attempt = 0; attempt < 20; attempt++) {
        /* A port free on every address we need. */
        int s = bind_sock(AF_INET, SOCK_DGRAM, "127.0.0.1", 0);
        assert_true(s >= 0);
        struct sockaddr_in a;
        socklen_t al = sizeof a;
        getsockname(s, (struct sockaddr *)&a, &al);
        close(s);
        F.port = ntohs(a.sin_port);
        if (fake_add_udp(AF_INET, "127.0.0.1", EP_NORMAL) == 0 &&
            fake_add_tcp(AF_INET, "127.0.0.1") == 0 &&
            fake_add_udp(AF_INET, "127.0.0.3", EP_SILENT) == 0 &&
            fake_add_udp(AF_INET, "127.0.0.5", EP_NOAA) == 0 &&
            (!F.v6 || (fake_add_udp(AF_INET6, "::1", EP_NORMAL) == 0 &&
                       fake_add_tcp(AF_INET6, "::1") == 0)))
            return 0;
        fake_close();
    }
    fail_msg("cannot bind the fake DNS server");
    return -1;
}

static int teardown(void **state)
{
    (void)state;
    fake_close();
    loop_free(F.l);
    return 0;
}

/* ---- driving the loop and catching callbacks ---- */

static bool in_call; /* set around calls that start queries */

struct cap {
    int n;
    bool sync; /* a callback ran inside the starting call */
    struct resolve_result r;
};

static void on_res(void *arg, const struct resolve_result *r)
{
    struct cap *c = arg;
    c->sync |= in_call;
    c->r = *r;
    c->n++;
}

struct hcap {
    int n;
    bool sync;
    struct host_info h;
};

static void on_host(void *arg, const struct host_info *h)
{
    struct hcap *c = arg;
    c->sync |= in_call;
    c->h = *h;
    c->n++;
}

struct zcap {
    int n;
    bool sync;
    struct zone_info z;
};

static void on_zone(void *arg, const struct zone_info *z)
{
    struct zcap *c = arg;
    c->sync |= in_call;
    c->z = *z;
    c->n++;
}

static void run_until(const int *count, int want)
{
    uint64_t end = loop_update_time(F.l) + 5000000000ull;
    while (*count < want && loop_update_time(F.l) < end)
        loop_run_once(F.l, 20000000);
    assert_true(*count >= want);
}

static struct resolver *new_res(const char *server, size_t cache_max, bool any_v6)
{
    char def[64];
    if (!server) {
        snprintf(def, sizeof def, "127.0.0.1:%u", F.port);
        server = def;
    }
    struct resolver_config cfg = {
        .server = server, .timeout_ms = TO_MS, .tries = 1, .cache_max = cache_max,
        .ns_port = F.port, .ns_any_v6 = any_v6,
    };
    struct errbuf e;
    struct resolver *r = resolver_new(F.l, &cfg, &e);
    if (!r)
        fail_msg("resolver_new: %s", e.msg);
    return r;
}

/* Ask name/qtype and wait for the answer. */
static struct cap *ask(struct resolver *r, const char *name, uint16_t qtype)
{
    static struct cap c;
    memset(&c, 0, sizeof c);
    in_call = true;
    assert_int_equal(resolver_query(r, name, qtype, on_res, &c), 0);
    in_call = false;
    assert_int_equal(c.n, 0);
    run_until(&c.n, 1);
    assert_false(c.sync);
    assert_string_equal(c.r.qname, name);
    assert_int_equal(c.r.qtype, qtype);
    return &c;
}

static void expect_status(const struct cap *c, enum resolve_status st, const char *detail)
{
    if (c->r.status != st)
        fail_msg("%s: status %s, want %s (%s)", c->r.qname, resolve_status_name(c->r.status),
                 resolve_status_name(st), c->r.detail);
    if (detail && !strstr(c->r.detail, detail))
        fail_msg("%s: detail '%s' does not say '%s'", c->r.qname, c->r.detail, detail);
}

static void addr_is(const struct rr_addr *a, const char *text)
{
    uint8_t want[16] = {0};
    int fam = strchr(text, ':') ? AF_INET6 : AF_INET;
    inet_pton(fam, text, want);
    assert_int_equal(a->family, fam == AF_INET ? 4 : 6);
    assert_memory_equal(a->addr, want, fam == AF_INET ? 4 : 16);
}

/* ---- tests ---- */

static void test_config(void **state)
{
    (void)state;
    struct errbuf e;
    struct resolver_config cfg = {.server = "[::1]:5353"};
    struct resolver *r = resolver_new(F.l, &cfg, &e);
    assert_non_null(r);
    assert_string_equal(resolver_servers(r), "[::1]:5353");
    resolver_free(r);
    cfg.server = "127.0.0.1";
    r = resolver_new(F.l, &cfg, &e);
    assert_string_equal(resolver_servers(r), "127.0.0.1:53");
    /* bad names start nothing */
    assert_int_equal(resolver_query(r, "", 1, on_res, NULL), -1);
    assert_int_equal(resolver_query(r, "bad name.test", 1, on_res, NULL), -1);
    assert_int_equal(resolver_query(r, "192.0.2.1", 1, on_res, NULL), -1);
    assert_int_equal(resolver_lookup_host(r, "a..test", on_host, NULL), -1);
    assert_int_equal(resolver_inflight(r), 0);
    resolver_free(r);
    cfg.server = "2001:db8::53";
    r = resolver_new(F.l, &cfg, &e);
    assert_string_equal(resolver_servers(r), "[2001:db8::53]:53");
    resolver_free(r);

    const char *bad[] = {"192.0.2.1:70000", "[::1", "[::1]x", "dns.example", "192.0.2.1:0", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg.server = bad[i];
        assert_null(resolver_new(F.l, &cfg, &e));
        assert_non_null(strstr(e.msg, "bad resolver address"));
    }

    char path[] = "/tmp/test_resolver_rc_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *none = "# nothing\nsearch example.test\n";
    assert_int_equal(write(fd, none, strlen(none)), (ssize_t)strlen(none));
    close(fd);
    cfg.server = NULL;
    cfg.resolv_conf = path;
    assert_null(resolver_new(F.l, &cfg, &e));
    assert_non_null(strstr(e.msg, "no name server in /tmp/test_resolver_rc_"));
    FILE *f = fopen(path, "w");
    fputs("search example.test\nnameserver 192.0.2.53\n", f);
    fclose(f);
    r = resolver_new(F.l, &cfg, &e);
    assert_non_null(r);
    assert_string_equal(resolver_servers(r), "192.0.2.53:53");
    resolver_free(r);
    unlink(path);
}

static void test_answers(void **state)
{
    (void)state;
    struct resolver *r = new_res(NULL, 0, false);
    struct cap *c = ask(r, "a.test", 1);
    expect_status(c, RS_OK, NULL);
    assert_int_equal(c->r.n_addrs, 1);
    addr_is(&c->r.addrs[0], "192.0.2.1");
    assert_int_equal(c->r.addrs[0].ttl, 300);
    assert_int_equal(c->r.n_cnames, 0);
    assert_true(c->r.elapsed_ns > 0 && c->r.elapsed_ns < 1000000000ull);
    assert_string_equal(c->r.detail, "");

    c = ask(r, "mixed.test", 28);
    expect_status(c, RS_OK, NULL);
    assert_int_equal(c->r.n_addrs, 3);
    addr_is(&c->r.addrs[2], "2a01:4f8::2");

    c = ask(r, "alias.test", 28);
    expect_status(c, RS_OK, NULL);
    assert_int_equal(c->r.n_cnames, 2);
    assert_string_equal(c->r.cname[0], "mid.test");
    assert_string_equal(c->r.cname[1], "end.test");
    assert_int_equal(c->r.n_addrs, 1);
    addr_is(&c->r.addrs[0], "2a01:4f8::4");

    c = ask(r, "alias4.test", 28);
    expect_status(c, RS_NODATA, "alias4.test is an alias of only4.test, which has no AAAA record");
    assert_int_equal(c->r.n_cnames, 1);
    assert_string_equal(c->r.cname[0], "only4.test");

    c = ask(r, "nodata.test", 28);
    expect_status(c, RS_NODATA, "nodata.test has no AAAA record");
    c = ask(r, "nx.test", 1);
    expect_status(c, RS_NXDOMAIN, "nx.test does not exist (NXDOMAIN)");
    assert_int_equal(c->r.rcode, 3);
    char who[64];
    snprintf(who, sizeof who, "127.0.0.1:%u answered SERVFAIL for servfail.test A", F.port);
    expect_status(ask(r, "servfail.test", 1), RS_SERVFAIL, who);
    expect_status(ask(r, "refused.test", 1), RS_REFUSED, "answered REFUSED");

    struct resolver_stats st;
    resolver_get_stats(r, &st);
    assert_int_equal(st.queries, 8);
    assert_int_equal(st.answers, 8);
    assert_int_equal(st.timeouts, 0);
    assert_int_equal(resolver_inflight(r), 0);
    resolver_free(r);
}

static void test_lies(void **state)
{
    (void)state;
    struct resolver *r = new_res(NULL, 0, false);
    struct cap *c = ask(r, "lie-other.test", 1);
    expect_status(c, RS_BOGUS,
                  "the answer has 2 records for other names (evil.test) and none for "
                  "lie-other.test");
    assert_int_equal(c->r.n_addrs, 0);
    expect_status(ask(r, "lie-type.test", 28), RS_BOGUS, "lie-type.test a record of type A");
    expect_status(ask(r, "loop.test", 1), RS_BOGUS,
                  "CNAME loop: loop.test -> loop2.test -> loop.test");
    expect_status(ask(r, "long.test", 1), RS_BOGUS, "longer than 8");
    c = ask(r, "offchain.test", 1);
    expect_status(c, RS_OK, NULL);
    assert_int_equal(c->r.ignored, 2);
    assert_int_equal(c->r.n_addrs, 1);
    c = ask(r, "case.test", 1); /* question echoed as CaSe.TeSt, owner CASE.test */
    expect_status(c, RS_OK, NULL);
    addr_is(&c->r.addrs[0], "192.0.2.8");
    expect_status(ask(r, "garbage.test", 1), RS_MALFORMED, "could not be parsed");
    resolver_free(r);
}

static void test_silence_and_dropped(void **state)
{
    (void)state;
    struct resolver *r = new_res(NULL, 0, false);
    char want[96];
    snprintf(want, sizeof want, "no answer from 127.0.0.1:%u after 1 try (0.2 s)", F.port);
    struct cap *c = ask(r, "silent.test", 1);
    expect_status(c, RS_TIMEOUT, want);
    assert_true(c->r.elapsed_ns >= (TO_MS - 5) * 1000000ull);
    assert_true(c->r.elapsed_ns < (TO_MS + 300) * 1000000ull);
    /* c-ares drops these (wrong question, unparseable) and times out; we
     * saw them go by and say what they were */
    expect_status(ask(r, "wrongq.test", 28), RS_BOGUS,
                  "answered another question (other.test A) instead of wrongq.test AAAA");
    expect_status(ask(r, "junk.test", 1), RS_MALFORMED, "could not be parsed");
    struct resolver_stats st;
    resolver_get_stats(r, &st);
    assert_int_equal(st.timeouts, 1);
    assert_int_equal(st.answers_ignored, 2);
    resolver_free(r);
}

static void test_tcp_fallback(void **state)
{
    (void)state;
    struct resolver *r = new_res(NULL, 0, false);
    unsigned u0 = seen("tc.test", 28, 0), t0 = seen("tc.test", 28, 1);
    struct cap *c = ask(r, "tc.test", 28);
    expect_status(c, RS_OK, NULL);
    assert_int_equal(c->r.n_addrs, 20);
    addr_is(&c->r.addrs[19], "2a01:4f8::23");
    assert_int_equal(seen("tc.test", 28, 0) - u0, 1);
    assert_int_equal(seen("tc.test", 28, 1) - t0, 1);
    resolver_free(r);
}

/* The own UDP transport's edges, each the way c-ares 1.18 handles it:
 * EDNS switched off after FORMERR without OPT; ICMP port unreachable ends
 * the query as refused; a silent first server of two is left for the
 * second at its timeout. */
static void test_transport_edges(void **state)
{
    (void)state;
    struct resolver *r = new_res(NULL, 0, false);
    unsigned u0 = seen("noedns.test", 1, 0);
    struct cap *c = ask(r, "noedns.test", 1);
    expect_status(c, RS_OK, NULL);
    addr_is(&c->r.addrs[0], "192.0.2.11");
    assert_int_equal(seen("noedns.test", 1, 0) - u0, 2); /* with OPT, then without */
    expect_status(ask(r, "a.test", 1), RS_OK, NULL);     /* EDNS stays off: still fine */
    resolver_free(r);

    /* nothing listens: a port that was just free */
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
    close(s);
    char srv[64], want[128];
    snprintf(srv, sizeof srv, "127.0.0.1:%u", ntohs(a.sin_port));
    r = new_res(srv, 0, false);
    c = ask(r, "a.test", 1);
    snprintf(want, sizeof want, "%s refused the connection (nothing listens on that port)", srv);
    expect_status(c, RS_NETWORK, want);
    assert_true(c->r.elapsed_ns < (TO_MS - 5) * 1000000ull); /* at once, not at the timeout */

    /* 48 at once: one sendmmsg() batch; on loopback the port unreachable
     * of one datagram fails the send of a later one (the socket error is
     * reported there), the others see it on the socket: every query ends
     * the same way, whichever path it took */
    static struct cap many[48];
    memset(many, 0, sizeof many);
    int done = 0;
    for (int i = 0; i < 48; i++) {
        char name[32];
        snprintf(name, sizeof name, "m%d.test", i);
        assert_int_equal(resolver_query(r, name, 1, on_res, &many[i]), 0);
    }
    uint64_t end = loop_update_time(F.l) + 5000000000ull;
    while (done < 48 && loop_update_time(F.l) < end) {
        loop_run_once(F.l, 20000000);
        done = 0;
        for (int i = 0; i < 48; i++)
            done += many[i].n;
    }
    assert_int_equal(done, 48);
    for (int i = 0; i < 48; i++) {
        expect_status(&many[i], RS_NETWORK, want);
        assert_true(many[i].r.elapsed_ns < (TO_MS - 5) * 1000000ull);
    }
    resolver_free(r);

    /* two servers from a resolv.conf (port 53, so root is needed), the
     * first silent: the second answers the second try, a timeout later */
    int silent = bind_sock(AF_INET, SOCK_DGRAM, "127.0.0.7", 53);
    int normal = bind_sock(AF_INET, SOCK_DGRAM, "127.0.0.8", 53);
    if (silent < 0 || normal < 0) {
        printf("SKIP two servers: cannot bind 127.0.0.7:53 and 127.0.0.8:53 (%s)\n",
               strerror(errno));
    } else {
        loop_watch(F.l, silent, LOOP_READ, on_udp, (void *)(intptr_t)EP_SILENT);
        loop_watch(F.l, normal, LOOP_READ, on_udp, (void *)(intptr_t)EP_NORMAL);
        char path[] = "/tmp/test_resolver_two_XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        const char *conf = "nameserver 127.0.0.7\nnameserver 127.0.0.8\n";
        assert_int_equal(write(fd, conf, strlen(conf)), (ssize_t)strlen(conf));
        close(fd);
        struct resolver_config cfg = {.resolv_conf = path, .timeout_ms = TO_MS, .tries = 1};
        struct errbuf e;
        r = resolver_new(F.l, &cfg, &e);
        assert_non_null(r);
        assert_string_equal(resolver_servers(r), "127.0.0.7:53, 127.0.0.8:53");
        unsigned u1 = seen("mixed.test", 1, 0);
        c = ask(r, "mixed.test", 1);
        expect_status(c, RS_OK, NULL);
        assert_int_equal(c->r.n_addrs, 2);
        assert_true(c->r.elapsed_ns >= (TO_MS - 5) * 1000000ull);
        assert_int_equal(seen("mixed.test", 1, 0) - u1, 2); /* both servers saw it */
        /* silent on both: 2 tries (one per server), 0.2 s each */
        c = ask(r, "silent.test", 1);
        expect_status(c, RS_TIMEOUT, "after 2 tries");
        assert_true(c->r.elapsed_ns >= (2 * TO_MS - 10) * 1000000ull);
        resolver_free(r);
        unlink(path);
    }
    if (silent >= 0) {
        loop_watch(F.l, silent, 0, NULL, NULL);
        close(silent);
    }
    if (normal >= 0) {
        loop_watch(F.l, normal, 0, NULL, NULL);
        close(normal);
    }
}

/* Sends that fail inside a sendmmsg() batch (not at connect): in a
 * network namespace of its own, a child process drops its own UDP to one
 * port with nftables, so every send there fails with EPERM; 24 queries go
 * out in one batch and each must end "cannot reach ...: Operation not
 * permitted" at once. Needs root (a namespace and nft). */
static int send_errors_child(void)
{
    if (unshare(CLONE_NEWNET) != 0)
        return 77;
    if (system("ip link set lo up && nft add table inet v6mt && "
               "nft add chain inet v6mt out '{ type filter hook output priority 0; }' && "
               "nft add rule inet v6mt out udp dport 5399 drop") != 0)
        return 77;
    struct errbuf e;
    struct loop *l = loop_new(&e);
    struct resolver_config cfg = {.server = "127.0.0.1:5399", .timeout_ms = 2000, .tries = 2};
    struct resolver *r = l ? resolver_new(l, &cfg, &e) : NULL;
    if (!r)
        return 2;
    static struct cap c[24];
    for (int i = 0; i < 24; i++) {
        char name[32];
        snprintf(name, sizeof name, "e%d.test", i);
        if (resolver_query(r, name, 1, on_res, &c[i]) != 0)
            return 3;
    }
    uint64_t end = loop_update_time(l) + 1000000000ull;
    int done = 0;
    while (done < 24 && loop_update_time(l) < end) {
        loop_run_once(l, 20000000);
        done = 0;
        for (int i = 0; i < 24; i++)
            done += c[i].n;
    }
    int rc = done == 24 ? 0 : 4;
    for (int i = 0; i < 24 && rc == 0; i++)
        if (c[i].r.status != RS_NETWORK ||
            !strstr(c[i].r.detail, "cannot reach 127.0.0.1:5399: Operation not permitted")) {
            fprintf(stderr, "%s: %s %s\n", c[i].r.qname, resolve_status_name(c[i].r.status),
                    c[i].r.detail);
            rc = 5;
        }
    resolver_free(r);
    loop_free(l);
    return rc;
}

static void test_send_errors_in_batch(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        printf("SKIP send errors in a batch: needs root (a network namespace and nft)\n");
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(send_errors_child());
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) == 77) {
        printf("SKIP send errors in a batch: no network namespace or nft here\n");
        return;
    }
    assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_ipv6_server(void **state)
{
    (void)state;
    if (!F.v6) {
        printf("SKIP: no ::1\n");
        return;
    }
    char s[64];
    snprintf(s, sizeof s, "[::1]:%u", F.port);
    struct resolver *r = new_res(s, 0, false);
    assert_string_equal(resolver_servers(r), s);
    struct cap *c = ask(r, "a.test", 28);
    expect_status(c, RS_OK, NULL);
    addr_is(&c->r.addrs[0], "2a01:4f8::1");
    expect_status(ask(r, "tc.test", 28), RS_OK, NULL); /* TCP over IPv6 too */
    resolver_free(r);
}

static void test_hosts_coalesced_and_cached(void **state)
{
    (void)state;
    struct resolver *r = new_res(NULL, 0, false);
    unsigned a0 = seen("a.test", 1, -1), q0 = seen("a.test", 28, -1);
    static struct hcap h1, h2, h3;
    memset(&h1, 0, sizeof h1);
    memset(&h2, 0, sizeof h2);
    memset(&h3, 0, sizeof h3);
    in_call = true;
    assert_int_equal(resolver_lookup_host(r, "a.test", on_host, &h1), 0);
    assert_int_equal(resolver_lookup_host(r, "A.Test", on_host, &h2), 0);
    in_call = false;
    assert_int_equal(resolver_inflight(r), 2);
    run_until(&h2.n, 1);
    assert_int_equal(h1.n, 1);
    assert_false(h1.sync || h2.sync);
    assert_int_equal(seen("a.test", 1, -1) - a0, 1);
    assert_int_equal(seen("a.test", 28, -1) - q0, 1);
    for (int i = 0; i < 2; i++) {
        const struct host_info *h = i ? &h2.h : &h1.h;
        assert_string_equal(h->name, "a.test");
        assert_int_equal(h->a.status, RS_OK);
        assert_int_equal(h->aaaa.status, RS_OK);
        assert_int_equal(h->n_v4, 1);
        assert_int_equal(h->n_v6_global, 1);
        assert_int_equal(h->n_v6_other, 0);
        const uint8_t v4[4] = {192, 0, 2, 1};
        assert_memory_equal(h->v4, v4, 4);
        uint8_t v6[16];
        inet_pton(AF_INET6, "2a01:4f8::1", v6);
        assert_memory_equal(h->v6, v6, 16);
    }
    /* from the cache: no query, and still not from inside the call */
    in_call = true;
    assert_int_equal(resolver_lookup_host(r, "a.test", on_host, &h3), 0);
    in_call = false;
    assert_int_equal(h3.n, 0);
    run_until(&h3.n, 1);
    assert_false(h3.sync);
    assert_int_equal(h3.h.n_v6_global, 1);
    assert_int_equal(seen("a.test", 1, -1) - a0, 1);
    struct resolver_stats st;
    resolver_get_stats(r, &st);
    assert_int_equal(st.host_lookups, 3);
    assert_int_equal(st.host_coalesced, 1);
    assert_int_equal(st.host_cache_hits, 1);
    assert_int_equal(st.queries, 2);

    /* classes of the AAAA records */
    memset(&h1, 0, sizeof h1);
    assert_int_equal(resolver_lookup_host(r, "mixed.test", on_host, &h1), 0);
    run_until(&h1.n, 1);
    assert_int_equal(h1.h.n_v4, 2);
    assert_int_equal(h1.h.n_v6_global, 1);
    assert_int_equal(h1.h.n_v6_other, 2);
    uint8_t v6[16];
    inet_pton(AF_INET6, "2a01:4f8::2", v6);
    assert_memory_equal(h1.h.v6, v6, 16);
    /* a name with only A */
    memset(&h1, 0, sizeof h1);
    assert_int_equal(resolver_lookup_host(r, "alias4.test", on_host, &h1), 0);
    run_until(&h1.n, 1);
    assert_int_equal(h1.h.aaaa.status, RS_NODATA);
    assert_int_equal(h1.h.n_v6_global, 0);
    assert_int_equal(h1.h.n_v4, 1);
    assert_string_equal(h1.h.a.cname[0], "only4.test");
    resolver_free(r);
}

static void test_host_lru(void **state)
{
    (void)state;
    struct resolver *r = new_res(NULL, 2, false);
    const char *names[] = {"a.test", "mixed.test", "end.test", "a.test"};
    unsigned a0 = seen("a.test", 1, -1);
    for (int i = 0; i < 4; i++) {
        static struct hcap h;
        memset(&h, 0, sizeof h);
        assert_int_equal(resolver_lookup_host(r, names[i], on_host, &h), 0);
        run_until(&h.n, 1);
        assert_int_equal(h.h.a.status, RS_OK);
    }
    struct resolver_stats st;
    resolver_get_stats(r, &st);
    assert_int_equal(st.host_evicted, 2); /* a.test for end.test, mixed.test for a.test */
    assert_int_equal(st.host_cache_hits, 0);
    assert_int_equal(seen("a.test", 1, -1) - a0, 2);
    resolver_free(r);
}

static void test_direct_and_queue(void **state)
{
    (void)state;
    struct resolver_config cfg = {.timeout_ms = TO_MS, .tries = 1, .max_inflight = 2};
    char s[64];
    snprintf(s, sizeof s, "127.0.0.1:%u", F.port);
    cfg.server = s;
    struct errbuf e;
    struct resolver *r = resolver_new(F.l, &cfg, &e);
    assert_non_null(r);
    static struct cap cs[10];
    memset(cs, 0, sizeof cs);
    int done = 0;
    for (int i = 0; i < 10; i++)
        assert_int_equal(resolver_query(r, "a.test", 1, on_res, &cs[i]), 0);
    assert_int_equal(resolver_inflight(r), 10);
    uint64_t end = loop_update_time(F.l) + 3000000000ull;
    while (done < 10 && loop_update_time(F.l) < end) {
        loop_run_once(F.l, 20000000);
        done = 0;
        for (int i = 0; i < 10; i++)
            done += cs[i].n;
    }
    assert_int_equal(done, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(cs[i].r.status, RS_OK);
    struct resolver_stats st;
    resolver_get_stats(r, &st);
    assert_int_equal(st.queued, 8);

    /* asked directly: 127.0.0.5 answers SOA without AA */
    uint8_t a5[16] = {127, 0, 0, 5};
    struct cap c;
    memset(&c, 0, sizeof c);
    in_call = true;
    assert_int_equal(resolver_query_at(r, 4, a5, F.port, "zone.test", 6, on_res, &c), 0);
    in_call = false;
    run_until(&c.n, 1);
    assert_false(c.sync);
    expect_status(&c, RS_OK, NULL);
    assert_false(c.r.authoritative);
    /* nothing listens on 127.0.0.9: port unreachable */
    uint8_t a9[16] = {127, 0, 0, 9};
    memset(&c, 0, sizeof c);
    assert_int_equal(resolver_query_at(r, 4, a9, F.port, "zone.test", 6, on_res, &c), 0);
    run_until(&c.n, 1);
    expect_status(&c, RS_NETWORK, "refused the connection");
    /* a send that fails at once (broadcast without SO_BROADCAST): c-ares
     * calls back inside ares_send, we must not */
    uint8_t bc[16] = {255, 255, 255, 255};
    memset(&c, 0, sizeof c);
    in_call = true;
    assert_int_equal(resolver_query_at(r, 4, bc, 53, "a.test", 1, on_res, &c), 0);
    in_call = false;
    assert_int_equal(c.n, 0);
    run_until(&c.n, 1);
    assert_false(c.sync);
    expect_status(&c, RS_NETWORK, "255.255.255.255:53");
    resolver_get_stats(r, &st);
    assert_int_equal(st.direct_queries, 3);
    if (F.v6) {
        uint8_t l6[16];
        inet_pton(AF_INET6, "::1", l6);
        memset(&c, 0, sizeof c);
        assert_int_equal(resolver_query_at(r, 6, l6, F.port, "zone.test", 6, on_res, &c), 0);
        run_until(&c.n, 1);
        expect_status(&c, RS_OK, NULL);
        assert_true(c.r.authoritative);
    }
    resolver_free(r);
}

static void test_zone(void **state)
{
    (void)state;
    if (!F.v6) {
        printf("SKIP: no ::1 for the name server checks\n");
        return;
    }
    struct resolver *r = new_res(NULL, 0, true);
    static struct zcap z1, z2, z3;
    memset(&z1, 0, sizeof z1);
    memset(&z2, 0, sizeof z2);
    unsigned w0 = seen("www.zone.test", 2, -1);
    in_call = true;
    assert_int_equal(resolver_check_zone(r, "www.zone.test", on_zone, &z1), 0);
    assert_int_equal(resolver_check_zone(r, "www.zone.test", on_zone, &z2), 0);
    in_call = false;
    run_until(&z2.n, 1);
    assert_int_equal(z1.n, 1);
    assert_false(z1.sync || z2.sync);
    assert_int_equal(seen("www.zone.test", 2, -1) - w0, 1);
    const struct zone_info *z = &z1.z;
    assert_string_equal(z->zone, "zone.test");
    assert_int_equal(z->status, RS_OK);
    assert_int_equal(z->n_ns, 4);
    assert_int_equal(z->n_ns_v6, 3);
    assert_int_equal(z->n_ns_v6_answering, 1);
    assert_non_null(strstr(z->detail, "3 of 4 name servers of zone.test have IPv6; 1 answers"));
    assert_string_equal(z->ns[0].name, "ns1.zone.test");
    assert_true(z->ns[0].answered_v6);
    assert_int_equal(z->ns[0].v6_status, RS_OK);
    assert_int_equal(z->ns[0].n_v4, 1);
    assert_true(z->ns[0].v6_elapsed_ns > 0);
    assert_false(z->ns[1].answered_v6);
    assert_int_equal(z->ns[1].v6_status, RS_TIMEOUT);
    assert_non_null(strstr(z->ns[1].detail, "ns2.zone.test (::ffff:127.0.0.3) did not answer "
                                            "over IPv6 after 1 try (0.2 s)"));
    assert_false(z->ns[2].answered_v6);
    assert_non_null(strstr(z->ns[2].detail, "ns3.zone.test (::ffff:127.0.0.5) answered for "
                                            "zone.test without the authoritative flag"));
    assert_false(z->ns[3].answered_v6);
    assert_int_equal(z->ns[3].v6_status, RS_NODATA);
    assert_string_equal(z->ns[3].detail, "ns4.zone.test has no AAAA");
    assert_int_equal(z->ns[3].n_v4, 1);
    assert_int_equal(z2.z.n_ns_v6_answering, 1);

    /* another host of the same zone: its walk, then the cached zone */
    memset(&z3, 0, sizeof z3);
    assert_int_equal(resolver_check_zone(r, "other.zone.test", on_zone, &z3), 0);
    run_until(&z3.n, 1);
    assert_string_equal(z3.z.zone, "zone.test");
    struct resolver_stats st;
    resolver_get_stats(r, &st);
    assert_int_equal(st.zone_checks, 3);
    assert_int_equal(st.zone_coalesced, 1);
    assert_int_equal(st.zone_cache_hits, 1);
    /* no zone below the top-level domain */
    memset(&z3, 0, sizeof z3);
    assert_int_equal(resolver_check_zone(r, "www.nozone.test", on_zone, &z3), 0);
    run_until(&z3.n, 1);
    assert_string_equal(z3.z.zone, "");
    assert_int_equal(z3.z.status, RS_NXDOMAIN);
    assert_string_equal(z3.z.detail,
                        "no NS records for www.nozone.test or its parents up to nozone.test");
    /* a one-label name, answered from the loop too */
    memset(&z3, 0, sizeof z3);
    in_call = true;
    assert_int_equal(resolver_check_zone(r, "test", on_zone, &z3), 0);
    in_call = false;
    assert_int_equal(z3.n, 0);
    run_until(&z3.n, 1);
    assert_non_null(strstr(z3.z.detail, "top-level"));
    resolver_free(r);

    /* without the test switch a loopback AAAA is not a usable address */
    r = new_res(NULL, 0, false);
    memset(&z1, 0, sizeof z1);
    assert_int_equal(resolver_check_zone(r, "zone.test", on_zone, &z1), 0);
    run_until(&z1.n, 1);
    assert_int_equal(z1.z.n_ns_v6, 0);
    assert_int_equal(z1.z.n_ns_v6_answering, 0);
    assert_string_equal(z1.z.ns[0].detail, "ns1.zone.test has no global AAAA (::1 is loopback)");
    assert_non_null(strstr(z1.z.detail, "no name server of zone.test has an IPv6 address"));
    resolver_free(r);
}

static void test_free_cancels(void **state)
{
    (void)state;
    struct resolver *r = new_res(NULL, 0, false);
    static struct cap c;
    static struct hcap h;
    static struct zcap z;
    memset(&c, 0, sizeof c);
    memset(&h, 0, sizeof h);
    memset(&z, 0, sizeof z);
    assert_int_equal(resolver_query(r, "silent.test", 1, on_res, &c), 0);
    assert_int_equal(resolver_lookup_host(r, "www.silent.test", on_host, &h), 0);
    assert_int_equal(resolver_check_zone(r, "www.silent.test", on_zone, &z), 0);
    for (int i = 0; i < 3; i++)
        loop_run_once(F.l, 5000000); /* let them leave */
    assert_int_equal(resolver_inflight(r), 4);
    resolver_free(r);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.r.status, RS_CANCELLED);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.h.a.status, RS_CANCELLED);
    assert_int_equal(h.h.aaaa.status, RS_CANCELLED);
    assert_int_equal(z.n, 1);
    assert_int_equal(z.z.status, RS_CANCELLED);
    /* nothing of the resolver is left in the loop */
    assert_int_equal(loop_pending_timers(F.l), 0);
    size_t ours = (size_t)(F.nudp + F.ntcp);
    for (int i = 0; i < 8; i++)
        ours += F.conns[i].fd >= 0;
    assert_int_equal(loop_watched_fds(F.l), ours);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_lies),
        cmocka_unit_test(test_silence_and_dropped),
        cmocka_unit_test(test_tcp_fallback),
        cmocka_unit_test(test_transport_edges),
        cmocka_unit_test(test_send_errors_in_batch),
        cmocka_unit_test(test_ipv6_server),
        cmocka_unit_test(test_hosts_coalesced_and_cached),
        cmocka_unit_test(test_host_lru),
        cmocka_unit_test(test_direct_and_queue),
        cmocka_unit_test(test_zone),
        cmocka_unit_test(test_free_cancels),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
