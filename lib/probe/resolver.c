/*
 * probe/resolver.c - DNS for the active prober: c-ares channels driven by
 * the prober's loop, our own answer parsing (probe/dnsmsg.h), a per-run
 * cache of host lookups and zone checks with coalescing, and W2 (are the
 * name servers of a site's zone answering over IPv6?). Contract:
 * resolver.h; the story: docs/internals/resolver.md.
 *
 * Layers, bottom up:
 *
 *   channel   one c-ares channel per server set: the recursive resolver
 *             (system resolv.conf or --resolver) and one per (address,
 *             port) asked directly (resolver_query_at, W2), kept in a small
 *             table, idle ones evicted least recently used. The recursive
 *             channel's UDP queries go through our own transport instead
 *             (section "own UDP transport": c-ares' rules, none of its
 *             per-query allocations); its c-ares channel is TCP-only and
 *             takes the queries whose answer came truncated. c-ares reports
 *             its sockets through the socket-state callback -> loop_watch();
 *             we hand it our own socket functions so that we set the
 *             buffers, see every datagram before it does (to explain
 *             answers it drops), and never let a full UDP send buffer turn
 *             into a failed query. On the recursive channel's UDP socket
 *             the receive function reads up to RB_MSGS datagrams with one
 *             recvmmsg() and hands them to c-ares one per call (c-ares
 *             reads until EAGAIN; after it returns, on_io feeds it what is
 *             left, so nothing read ahead waits for the socket to become
 *             readable again). A datagram whose question is byte for byte
 *             the one we sent needs no parse there; only others are parsed
 *             to explain why c-ares will drop them.
 *   query     (struct rq) one question to one channel. We build the query
 *             bytes (dnsmsg_build_query) with our own random id, unique per
 *             channel (an id table: 16 chains for a direct channel, one
 *             slot per id for the recursive one), and ares_send() them (or
 *             own_send() them). c-ares'
 *             callback only files the raw answer on the completion list;
 *             the list is drained after c-ares returns (or from a zero-delay
 *             loop timer when c-ares called back synchronously, e.g. a send
 *             that failed at once), so user callbacks never run inside
 *             c-ares nor inside the call that started the query. A channel
 *             has at most max_inflight queries at c-ares; more wait in FIFO.
 *             The answer is parsed once by us (dnsmsg_parse, from the
 *             loop), kept in the rq itself when it fits ANS_INLINE.
 *             Results handed to callbacks are reset by their counts, not
 *             cleared (result_reset): readers go by n_cnames/n_addrs/n_ns.
 *   cache     one hash map of entries keyed by (kind, name): HOST (A+AAAA
 *             of a name, results packed small), ZONEOF (host -> its zone or
 *             the failure of the NS walk), ZONE (the zone_info of a zone).
 *             An entry is pending (with a list of waiters: concurrent
 *             lookups share the queries) or done (in the LRU list; a hit is
 *             delivered from the loop via the deferred list, the entry
 *             pinned until then). At most cache_max entries; the least
 *             recently used done, unpinned entry goes first.
 *
 * Timers: ares_timeout() walks every outstanding query of a channel (it is
 * linear, c-ares says so), too slow to call after each of thousands of
 * events. Every c-ares deadline is at least timeout_ms after the call that
 * set it, so after each c-ares call we only pull the channel's one timer in
 * to now + timeout_ms when it is later; when the timer fires we run
 * ares_process_fd(BAD, BAD) and re-arm it exactly from ares_timeout(). The
 * timer may fire early, never late.
 *
 * Invariants: ch->inflight == queries c-ares or the own transport holds
 * for ch == entries of ch's id table; r->inflight == queries started and not yet delivered
 * (waiting, at c-ares, or on the completion list); a pending entry is never
 * in the LRU and never evicted; an entry with refs > 0 is not evicted.
 *
 * Not thread-safe (one loop, one thread). Callbacks must not call
 * resolver_free().
 */
#include "probe/resolver.h"

#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "classify/dns.h"
#include "probe/dnsmsg.h"
#include "util/cursor.h"
#include "util/hash.h"
#include "util/strutil.h"

#define DEF_TIMEOUT_MS 2000u
#define DEF_TRIES 2u
#define DEF_CACHE_MAX 65536u
#define DEF_MAX_INFLIGHT 4096u
#define MAX_INFLIGHT_CAP 32768u /* ids are 16 bits; keep finding a free one cheap */
#define EDNS_SIZE 1232
#define DIRECT_KEEP 64          /* direct channels kept; idle ones beyond are evicted */
#define UDP_RCVBUF (4 << 20)    /* recursive channel: bursts of thousands of answers */
#define UDP_SNDBUF (1 << 20)
#define RQ_FREE_KEEP 4096       /* spare rqs kept (~1.3 kB each): the default max_inflight */
#define LRU_SCAN 16             /* pinned entries skipped when evicting */
#define ANS_INLINE 512          /* answers up to this size are kept in the rq itself */
#define RB_MSGS 64              /* datagrams read per recvmmsg (recursive channel) */
#define RB_SIZE 4097            /* per datagram: c-ares 1.18 reads into MAXENDSSZ + 1 */
#define OWN_MAX_SERVERS 32      /* own UDP transport: more servers stay with c-ares */
#define OWN_ROUNDS 32           /* timeout doublings (tries) with their own FIFO */
#define SB_MSGS 64              /* datagrams sent per sendmmsg() (own transport) */

enum { SEEN_WRONGQ = 1, SEEN_GARBAGE = 2 };
enum { EK_HOST = 1, EK_ZONEOF, EK_ZONE };

struct chan;
struct entry;

/* One query. */
struct rq {
    struct rq *next;   /* wait FIFO, completion list or free list */
    struct rq *idnext; /* channel id table chain */
    struct resolver *r;
    struct chan *ch;   /* while c-ares or the FIFO holds it */
    resolve_cb cb;
    void *arg;
    uint64_t start_ns, end_ns;
    int ares_status, timeouts, saved_errno;
    uint8_t *ans;
    int alen;
    uint16_t id, qtype;
    uint8_t seen;
    unsigned tries_total;
    uint16_t qwlen;     /* bytes in qwire (0: unknown) */
    /* Own UDP transport (recursive channel; see "own UDP transport"): */
    struct rq *tprev, *tnext; /* its round's deadline FIFO */
    uint64_t deadline;
    unsigned try_count;       /* c-ares' try_count: rounds x servers */
    uint32_t skip;            /* servers this query must not use again */
    int err_status;           /* ARES_ECONNREFUSED until a try times out */
    uint8_t srv, round;
    bool on_own;              /* in the own transport's FIFOs (not c-ares') */
    uint64_t seq;             /* own transport: names q in the send batch */
    /* Not cleared by rq_alloc (from here on): */
    char qname[RESOLVE_NAME_MAX];
    char server[64];
    char seen_text[120];
    uint8_t qwire[RESOLVE_NAME_MAX + 4]; /* our question as sent: name, type, class */
    uint8_t ans_inline[ANS_INLINE];      /* ans points here for small answers */
};

/* Datagrams read ahead with one recvmmsg() and handed to c-ares one per
 * s_recvfrom() call (recursive channel, UDP; see the top). */
struct rbatch {
    int fd;              /* socket the datagrams came from; -1 when empty */
    unsigned n, next;    /* datagrams held, next one to hand out */
    uint8_t *buf;        /* RB_MSGS * RB_SIZE */
    struct mmsghdr msgs[RB_MSGS];
    struct iovec iov[RB_MSGS];
    struct sockaddr_storage from[RB_MSGS];
};

struct chan {
    struct resolver *r;
    ares_channel ac;
    struct loop_timer timer;
    bool direct;
    int family;
    uint8_t addr[16];
    uint16_t port;
    unsigned nservers;
    char label[64];
    size_t inflight;
    struct rq *wait_head, *wait_tail;
    struct rq **idtab;
    unsigned idmask;
    int last_errno;
    uint64_t last_used;
    struct rbatch *rb;   /* recursive channel only; NULL until the first read */
    /* Own UDP transport (recursive channel): c-ares (ac, USEVC) then only
     * carries the queries whose UDP answer came truncated. */
    bool own;
    bool own_no_edns;    /* a server answered FORMERR without OPT: as c-ares */
    unsigned n_osrv;
    struct own_server {
        int fd;          /* connected UDP socket, -1 until used */
        socklen_t salen;
        struct sockaddr_storage sa;
    } osrv[OWN_MAX_SERVERS];
    struct rq *rhead[OWN_ROUNDS], *rtail[OWN_ROUNDS];
    struct loop_timer otimer;
    struct sbatch *sb;   /* datagrams waiting for one sendmmsg(); NULL until used */
    struct loop_timer ftimer; /* zero-delay: flushes sb at the next loop turn */
    bool flushing;
    uint64_t seq;        /* numbers the own transport's queries (sb entries) */
};

/* Queries of the own transport wait here for one sendmmsg() per loop turn
 * (or per SB_MSGS): the kernel's per-call cost is paid once, and the
 * resolver gets a burst instead of a trickle of wake-ups. An entry names
 * its query by id and sequence number, so a query that ended meanwhile is
 * not touched when its send fails. */
struct sbatch {
    unsigned n;
    struct {
        uint64_t seq;
        uint16_t id, len;
        uint8_t srv;
    } e[SB_MSGS];
    uint8_t buf[SB_MSGS][DNSMSG_QUERY_MAX];
    struct mmsghdr msgs[SB_MSGS];
    struct iovec iov[SB_MSGS];
};

/* A waiting callback: on a pending entry, or a hit to deliver (deferred). */
struct waiter {
    struct waiter *next;
    struct entry *e; /* deferred deliveries only */
    union {
        host_cb h;
        zone_cb z;
    } cb;
    void *arg;
};

/* A resolve_result kept small: header, then n_addrs rr_addr, then the
 * strings qname, cnames, ns names and detail, each NUL-terminated. */
struct packed {
    uint64_t elapsed_ns;
    uint32_t ignored;
    uint16_t qtype;
    uint8_t status, rcode, aa, n_cnames, n_addrs, n_ns;
    unsigned char data[];
};

struct zone_job {
    struct entry *e;
    unsigned idx;
};

struct zone_state {
    struct zone_info zi;
    struct zone_job jobs[ZONE_MAX_NS];
    unsigned pending;
};

struct entry {
    struct resolver *r;
    struct entry *hnext, *lprev, *lnext;
    uint64_t hash;
    uint8_t kind;
    bool done, in_lru;
    unsigned refs;
    struct waiter *w_head, *w_tail;
    char *name;
    union {
        struct {
            struct packed *a, *aaaa;
            unsigned pending;
        } host;
        struct {
            size_t cur;         /* offset in name of the name being asked */
            char *zone;         /* found zone, or NULL */
            uint8_t status;     /* when zone == NULL */
            char *detail;
        } zof;
        struct zone_state *zone;
    } u;
};

struct resolver {
    struct loop *loop;
    unsigned timeout_ms, tries, max_inflight;
    size_t cache_max;
    uint16_t ns_port;
    bool ns_any_v6;
    struct chan *rec;
    struct chan **direct;
    size_t n_direct, cap_direct;
    char servers[256];
    uint64_t rng;
    int processing;
    bool dying, draining;
    struct rq *done_head, *done_tail;
    struct rq *free_rq;
    size_t n_free_rq;
    struct waiter *pend_head, *pend_tail;
    struct loop_timer defer_timer;
    size_t inflight;
    struct entry **buckets;
    size_t nbuckets, nentries;
    struct entry *lru_head, *lru_tail;
    uint64_t hseed;
    struct resolver_stats st;
    struct dnsmsg msg, peekmsg;
    struct resolve_result res;
    struct host_info host;
    struct zone_info zone;
};

static void drain(struct resolver *r);
static int query_start(struct resolver *r, struct chan *ch, const char *name, uint16_t qtype,
                       resolve_cb cb, void *arg);

/* ---- small helpers ---- */

/* Empty x without clearing its arrays: a resolve_result is 6.6 kB and a
 * host_info 13.5 kB, and these were memset for every answer and every
 * delivery. Every reader goes by the counts (n_cnames, n_addrs, n_ns), so
 * what lies past them is never read; every scalar and every string that
 * is read regardless of a count (qname, detail) is reset here. */
static void result_reset(struct resolve_result *x)
{
    x->status = RS_OK;
    x->qname[0] = '\0';
    x->qtype = 0;
    x->rcode = 0;
    x->authoritative = false;
    x->elapsed_ns = 0;
    x->n_cnames = x->n_addrs = x->n_ns = x->ignored = 0;
    x->detail[0] = '\0';
}

static void host_reset(struct host_info *h)
{
    h->name[0] = '\0';
    result_reset(&h->a);
    result_reset(&h->aaaa);
    h->n_v4 = h->n_v6_global = h->n_v6_other = 0;
    memset(h->v4, 0, sizeof h->v4);
    memset(h->v6, 0, sizeof h->v6);
}

void resolver_host_clear(struct host_info *h)
{
    host_reset(h);
}

void resolver_zone_clear(struct zone_info *z)
{
    z->zone[0] = '\0';
    z->status = RS_OK;
    z->n_ns = z->n_ns_v6 = z->n_ns_v6_answering = 0;
    z->detail[0] = '\0';
}

static unsigned min_u(unsigned a, unsigned b)
{
    return a < b ? a : b;
}

static void result_copy(struct resolve_result *d, const struct resolve_result *s)
{
    d->status = s->status;
    util_strlcpy(d->qname, s->qname, sizeof d->qname);
    d->qtype = s->qtype;
    d->rcode = s->rcode;
    d->authoritative = s->authoritative;
    d->elapsed_ns = s->elapsed_ns;
    d->n_cnames = min_u(s->n_cnames, RESOLVE_MAX_CNAMES);
    for (unsigned i = 0; i < d->n_cnames; i++)
        util_strlcpy(d->cname[i], s->cname[i], sizeof d->cname[i]);
    d->n_addrs = min_u(s->n_addrs, RESOLVE_MAX_ADDRS);
    memcpy(d->addrs, s->addrs, d->n_addrs * sizeof d->addrs[0]);
    d->n_ns = min_u(s->n_ns, RESOLVE_MAX_NS);
    for (unsigned i = 0; i < d->n_ns; i++)
        util_strlcpy(d->ns[i], s->ns[i], sizeof d->ns[i]);
    d->ignored = s->ignored;
    util_strlcpy(d->detail, s->detail, sizeof d->detail);
}

void resolver_host_copy(struct host_info *dst, const struct host_info *src)
{
    util_strlcpy(dst->name, src->name, sizeof dst->name);
    result_copy(&dst->a, &src->a);
    result_copy(&dst->aaaa, &src->aaaa);
    dst->n_v4 = src->n_v4;
    dst->n_v6_global = src->n_v6_global;
    dst->n_v6_other = src->n_v6_other;
    memcpy(dst->v4, src->v4, sizeof dst->v4);
    memcpy(dst->v6, src->v6, sizeof dst->v6);
}

void resolver_zone_copy(struct zone_info *dst, const struct zone_info *src)
{
    util_strlcpy(dst->zone, src->zone, sizeof dst->zone);
    dst->status = src->status;
    dst->n_ns = min_u(src->n_ns, ZONE_MAX_NS);
    memcpy(dst->ns, src->ns, dst->n_ns * sizeof dst->ns[0]);
    dst->n_ns_v6 = src->n_ns_v6;
    dst->n_ns_v6_answering = src->n_ns_v6_answering;
    util_strlcpy(dst->detail, src->detail, sizeof dst->detail);
}

const char *resolve_status_name(enum resolve_status s)
{
    static const char *const names[RS__COUNT] = {
        "ok", "nodata", "nxdomain", "servfail", "refused", "timeout",
        "network", "malformed", "bogus", "cancelled",
    };
    return (unsigned)s < RS__COUNT ? names[s] : "?";
}

static void fmt(char *buf, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t len, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, len, f, ap);
    va_end(ap);
}

static uint64_t rng_next(struct resolver *r)
{
    /* xorshift64*: ids only need to be unpredictable to a casual observer
     * and distinct among queries in flight (checked). */
    uint64_t x = r->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->rng = x;
    return x * 0x2545f4914f6cdd1dULL;
}


static void server_label(int family, const uint8_t *addr, uint16_t port, char *out, size_t len)
{
    char a[INET6_ADDRSTRLEN];
    addr_text(family, addr, a, sizeof a);
    if (family == 4)
        fmt(out, len, "%s:%u", a, port);
    else
        fmt(out, len, "[%s]:%u", a, port);
}

static void seconds_text(uint64_t ns, char *out, size_t len)
{
    double s = (double)ns / 1e9;
    if (s < 10)
        fmt(out, len, "%.1f s", s);
    else
        fmt(out, len, "%.0f s", s);
}

static bool valid_name(const char *name, char out[RESOLVE_NAME_MAX])
{
    size_t n = strlen(name);
    return n > 0 && classify_name_copy((const uint8_t *)name, n, out, RESOLVE_NAME_MAX,
                                       CLASSIFY_NAME_NO_IPV4) > 0;
}

/* ---- the channel's socket functions (see the top) ---- */

static ares_socket_t s_socket(int af, int type, int proto, void *ud)
{
    struct chan *ch = ud;
    int fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd < 0) {
        ch->last_errno = errno;
        return ARES_SOCKET_BAD;
    }
    if (type == SOCK_DGRAM && !ch->direct) {
        int v = UDP_RCVBUF;
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
        v = UDP_SNDBUF;
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    } else if (type == SOCK_STREAM) {
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

static int s_close(ares_socket_t fd, void *ud)
{
    struct chan *ch = ud;
    if (ch->rb && ch->rb->fd == fd) { /* what was read ahead dies with the socket */
        ch->rb->fd = -1;
        ch->rb->n = ch->rb->next = 0;
    }
    return close(fd);
}

static int s_connect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len, void *ud)
{
    struct chan *ch = ud;
    int rc = connect(fd, sa, len);
    if (rc < 0 && errno != EINPROGRESS)
        ch->last_errno = errno;
    return rc;
}

static struct rq *id_find(const struct chan *ch, uint16_t id)
{
    for (struct rq *q = ch->idtab[id & ch->idmask]; q; q = q->idnext)
        if (q->id == id)
            return q;
    return NULL;
}

/* q leaves ch's id table (and ch's count of queries in flight). */
static void id_remove(struct chan *ch, struct rq *q)
{
    struct rq **pp = &ch->idtab[q->id & ch->idmask];
    while (*pp && *pp != q)
        pp = &(*pp)->idnext;
    if (*pp)
        *pp = q->idnext;
    ch->inflight--;
}

/* A datagram c-ares is about to see: if it carries the id of one of our
 * queries but not our question (or cannot be parsed), c-ares will drop it
 * silently and the query will time out; remember why. */
static bool question_ok(struct chan *ch, struct rq *q, const uint8_t *buf, size_t n);

static void peek_datagram(struct chan *ch, const uint8_t *buf, size_t n)
{
    if (n < 2)
        return;
    struct rq *q = id_find(ch, load_be16(buf));
    if (q)
        (void)question_ok(ch, q, buf, n);
}

/* Would c-ares take this datagram as the answer to q (a header, one
 * question: q's name ignoring case, type and class)? When not, remember
 * why (q->seen) and count it. */
static bool question_ok(struct chan *ch, struct rq *q, const uint8_t *buf, size_t n)
{
    /* Our question, byte for byte as we sent it (one question, the same
     * name, type and class): nothing c-ares would drop it for, and no need
     * to parse it here. Anything else is parsed and explained. */
    if (q->qwlen && n >= 12u + q->qwlen && load_be16(buf + 4) == 1 &&
        memcmp(buf + 12, q->qwire, q->qwlen) == 0)
        return true;
    struct dnsmsg *m = &ch->r->peekmsg;
    enum dnsmsg_status st = dnsmsg_peek(buf, n, m);
    char tn[16];
    if (st != DNSMSG_OK) {
        q->seen |= SEEN_GARBAGE;
        util_strlcpy(q->seen_text, m->error, sizeof q->seen_text);
        ch->r->st.answers_ignored++;
    } else if (!m->has_question || m->qdcount != 1 || strcmp(m->qname, q->qname) != 0 ||
               m->qtype != q->qtype || m->qclass != DNSMSG_CLASS_IN) {
        q->seen |= SEEN_WRONGQ;
        if (m->has_question)
            fmt(q->seen_text, sizeof q->seen_text, "%s %s", m->qname[0] ? m->qname : ".",
                dnsmsg_type_name(m->qtype, tn, sizeof tn));
        else
            util_strlcpy(q->seen_text, "no question", sizeof q->seen_text);
        ch->r->st.answers_ignored++;
    } else {
        return true; /* the same question, other letter case */
    }
    return false;
}

/* One datagram for c-ares from the read-ahead batch; when the batch is
 * used up, one recvmmsg() reads up to RB_MSGS more. Same results as
 * recvfrom(): the datagram (cut to len), its sender, or -1 with errno
 * (EAGAIN when nothing is waiting). */
static ssize_t rb_recv(struct chan *ch, int fd, void *buf, size_t len, struct sockaddr *from,
                       ares_socklen_t *fromlen)
{
    struct rbatch *b = ch->rb;
    if (!b) {
        b = calloc(1, sizeof *b);
        uint8_t *mem = b ? malloc((size_t)RB_MSGS * RB_SIZE) : NULL;
        if (!mem) {
            free(b);
            return recvfrom(fd, buf, len, 0, from, fromlen);
        }
        b->buf = mem;
        b->fd = -1;
        ch->rb = b;
    }
    if (b->fd != fd || b->next >= b->n) {
        b->fd = -1;
        b->n = b->next = 0;
        for (unsigned i = 0; i < RB_MSGS; i++) {
            b->iov[i].iov_base = b->buf + (size_t)i * RB_SIZE;
            b->iov[i].iov_len = RB_SIZE;
            memset(&b->msgs[i].msg_hdr, 0, sizeof b->msgs[i].msg_hdr);
            b->msgs[i].msg_hdr.msg_name = &b->from[i];
            b->msgs[i].msg_hdr.msg_namelen = sizeof b->from[i];
            b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
            b->msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(fd, b->msgs, RB_MSGS, MSG_DONTWAIT, NULL);
        if (n <= 0) {
            if (n == 0)
                errno = EAGAIN;
            return -1;
        }
        b->fd = fd;
        b->n = (unsigned)n;
    }
    unsigned k = b->next++;
    size_t got = b->msgs[k].msg_len < len ? b->msgs[k].msg_len : len;
    memcpy(buf, b->buf + (size_t)k * RB_SIZE, got);
    if (from && fromlen) {
        socklen_t nl = b->msgs[k].msg_hdr.msg_namelen;
        memcpy(from, &b->from[k], nl < *fromlen ? nl : *fromlen);
        *fromlen = nl;
    }
    return (ssize_t)got;
}

static bool rb_pending(const struct chan *ch)
{
    return ch->rb && ch->rb->next < ch->rb->n;
}

static ares_ssize_t s_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
                               struct sockaddr *from, ares_socklen_t *fromlen, void *ud)
{
    struct chan *ch = ud;
    /* c-ares passes an address only for UDP; the recursive channel's one
     * socket carries thousands of answers a second: read them in batches. */
    ssize_t n = from && !ch->direct && flags == 0 ? rb_recv(ch, fd, buf, len, from, fromlen)
                                                  : recvfrom(fd, buf, len, flags, from, fromlen);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            ch->last_errno = errno;
        return n;
    }
    if (from)
        peek_datagram(ch, buf, (size_t)n);
    return n;
}

static ares_ssize_t s_sendv(ares_socket_t fd, const struct iovec *vec, int n, void *ud)
{
    struct chan *ch = ud;
    ssize_t w = writev(fd, vec, n);
    if (w >= 0)
        return w;
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
        int type = 0;
        socklen_t tl = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_DGRAM) {
            /* c-ares would fail the query at once ("FIXME: Handle EAGAIN");
             * a datagram that did not leave is a lost datagram: c-ares
             * retries it at the timeout. */
            ch->r->st.udp_send_dropped++;
            size_t total = 0;
            for (int i = 0; i < n; i++)
                total += vec[i].iov_len;
            return (ares_ssize_t)total;
        }
    } else {
        ch->last_errno = err;
    }
    errno = err;
    return -1;
}

static const struct ares_socket_functions sock_funcs = {
    s_socket, s_close, s_connect, s_recvfrom, s_sendv,
};

/* ---- channel: loop integration ---- */

static void chan_pump(struct chan *ch);
static void chan_send_ares(struct chan *ch, struct rq *q);
static void on_own_timer(void *arg);
static void on_own_flush(void *arg);
static void own_destroy(struct chan *ch);

static void chan_kick(struct chan *ch)
{
    struct loop *l = ch->r->loop;
    if (ch->inflight == 0) {
        loop_timer_cancel(l, &ch->timer);
        return;
    }
    uint64_t cap = loop_now_ns(l) + (uint64_t)ch->r->timeout_ms * 1000000u;
    if (!loop_timer_armed(&ch->timer) || ch->timer.due_ns > cap)
        loop_timer_set(l, &ch->timer, cap);
}

static void chan_rearm_exact(struct chan *ch)
{
    struct loop *l = ch->r->loop;
    struct timeval tv;
    struct timeval *tp = ch->inflight ? ares_timeout(ch->ac, NULL, &tv) : NULL;
    if (!tp) {
        loop_timer_cancel(l, &ch->timer);
        return;
    }
    uint64_t ns = (uint64_t)tp->tv_sec * 1000000000u + (uint64_t)tp->tv_usec * 1000u;
    if (ns < 1000000u)
        ns = 1000000u; /* c-ares rounds to ms: never spin before its deadline */
    loop_timer_set(l, &ch->timer, loop_now_ns(l) + ns);
}

static void on_io(void *arg, int fd, unsigned events)
{
    struct chan *ch = arg;
    struct resolver *r = ch->r;
    r->processing++;
    ares_process_fd(ch->ac, (events & (LOOP_READ | LOOP_ERROR)) ? fd : ARES_SOCKET_BAD,
                    (events & LOOP_WRITE) ? fd : ARES_SOCKET_BAD);
    /* c-ares reads until EAGAIN, but stops early on an answer from the
     * wrong address: datagrams read ahead must not wait for the socket to
     * become readable again (it may not). */
    for (int guard = 0; rb_pending(ch) && guard < RB_MSGS; guard++)
        ares_process_fd(ch->ac, ch->rb->fd, ARES_SOCKET_BAD);
    chan_pump(ch);
    chan_kick(ch);
    r->processing--;
    drain(r); /* may evict ch: not touched after this */
}

static void on_chan_timer(void *arg)
{
    struct chan *ch = arg;
    struct resolver *r = ch->r;
    r->processing++;
    ares_process_fd(ch->ac, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    chan_pump(ch);
    chan_rearm_exact(ch);
    r->processing--;
    drain(r);
}

static void on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    struct chan *ch = data;
    unsigned ev = (readable ? LOOP_READ : 0u) | (writable ? LOOP_WRITE : 0u);
    if (loop_watch(ch->r->loop, fd, ev, on_io, ch) < 0 && ev)
        ch->last_errno = errno;
}

static void on_defer(void *arg)
{
    drain(arg);
}

static void defer_kick(struct resolver *r)
{
    if (!r->processing && !loop_timer_armed(&r->defer_timer))
        loop_timer_set(r->loop, &r->defer_timer, loop_now_ns(r->loop));
}

/* ---- channel: creation ---- */

static void chan_destroy(struct chan *ch)
{
    if (!ch)
        return;
    if (ch->own)
        own_destroy(ch);
    if (ch->ac)
        ares_destroy(ch->ac);
    loop_timer_cancel(ch->r->loop, &ch->timer);
    if (ch->rb)
        free(ch->rb->buf);
    free(ch->rb);
    free(ch->idtab);
    free(ch);
}

static void own_add_server(struct chan *ch, int family, const uint8_t *addr, uint16_t port)
{
    if (ch->n_osrv >= OWN_MAX_SERVERS)
        return;
    struct own_server *sv = &ch->osrv[ch->n_osrv++];
    memset(sv, 0, sizeof *sv);
    sv->fd = -1;
    if (family == 4) {
        struct sockaddr_in *a = (struct sockaddr_in *)&sv->sa;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        memcpy(&a->sin_addr, addr, 4);
        sv->salen = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sv->sa;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        memcpy(&a->sin6_addr, addr, 16);
        sv->salen = sizeof *a;
    }
}

/* server == NULL: read resolv_conf (system). Else the one server given. */
static struct chan *chan_new(struct resolver *r, bool direct, bool system,
                             const char *resolv_conf, int family, const uint8_t *addr,
                             uint16_t port, struct errbuf *e)
{
    struct chan *ch = calloc(1, sizeof *ch);
    if (!ch) {
        errbuf_set(e, V6M_ERR_NOMEM, "out of memory for a DNS channel");
        return NULL;
    }
    ch->r = r;
    ch->direct = direct;
    ch->family = family;
    if (addr)
        memcpy(ch->addr, addr, 16);
    ch->port = port;
    loop_timer_init(&ch->timer, on_chan_timer, ch);
    loop_timer_init(&ch->otimer, on_own_timer, ch);
    loop_timer_init(&ch->ftimer, on_own_flush, ch);
    /* The recursive channel: one slot per id (512 kB), so finding a free
     * id and the query of an answer is one load, no chain to walk. */
    unsigned nb = direct ? 16 : 65536;
    ch->idtab = calloc(nb, sizeof *ch->idtab);
    if (!ch->idtab) {
        free(ch);
        errbuf_set(e, V6M_ERR_NOMEM, "out of memory for a DNS channel");
        return NULL;
    }
    ch->idmask = nb - 1;

    struct ares_options o;
    memset(&o, 0, sizeof o);
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_EDNSPSZ |
               ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | ARES_OPT_NDOTS;
    o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_EDNS | (direct ? ARES_FLAG_NORECURSE : 0);
    o.timeout = (int)r->timeout_ms;
    o.tries = (int)r->tries;
    o.ednspsz = EDNS_SIZE;
    o.sock_state_cb = on_sock_state;
    o.sock_state_cb_data = ch;
    char lookups[] = "b";
    o.lookups = lookups;
    o.ndots = 1;
    char *rc_path = NULL;
    if (system) {
        if (resolv_conf) {
            rc_path = strdup(resolv_conf);
            o.resolvconf_path = rc_path;
            mask |= ARES_OPT_RESOLVCONF;
        }
    } else {
        /* No servers, domains or sort list from the options: together with
         * the rest this keeps c-ares from reading resolv.conf at all. */
        mask |= ARES_OPT_SERVERS | ARES_OPT_DOMAINS | ARES_OPT_SORTLIST;
    }
    /* The recursive channel's UDP goes through our own transport; c-ares
     * keeps TCP (for truncated answers). A system channel is set up once
     * to learn its servers, then again TCP-only when there are not too
     * many of them for the transport. */
    bool own = !direct && r->tries <= OWN_ROUNDS;
    if (own && !system)
        o.flags |= ARES_FLAG_USEVC;
    int rc = ares_init_options(&ch->ac, &o, mask);
    if (rc == ARES_SUCCESS && own && system) {
        struct ares_addr_port_node *list = NULL;
        unsigned n = 0;
        if (ares_get_servers_ports(ch->ac, &list) == ARES_SUCCESS)
            for (struct ares_addr_port_node *x = list; x; x = x->next)
                n++;
        if (list)
            ares_free_data(list);
        own = n >= 1 && n <= OWN_MAX_SERVERS;
        if (own) {
            ares_destroy(ch->ac);
            o.flags |= ARES_FLAG_USEVC;
            rc = ares_init_options(&ch->ac, &o, mask);
        }
    }
    free(rc_path);
    if (rc != ARES_SUCCESS) {
        ch->ac = NULL;
        errbuf_set(e, V6M_ERR_IO, "cannot start c-ares: %s", ares_strerror(rc));
        chan_destroy(ch);
        return NULL;
    }
    ares_set_socket_functions(ch->ac, &sock_funcs, ch);
    if (!system) {
        struct ares_addr_port_node sv;
        memset(&sv, 0, sizeof sv);
        sv.family = family == 4 ? AF_INET : AF_INET6;
        if (family == 4)
            memcpy(&sv.addr.addr4, addr, 4);
        else
            memcpy(&sv.addr.addr6, addr, 16);
        sv.udp_port = port;
        sv.tcp_port = port;
        rc = ares_set_servers_ports(ch->ac, &sv);
        if (rc != ARES_SUCCESS) {
            errbuf_set(e, V6M_ERR_IO, "c-ares refused the DNS server: %s", ares_strerror(rc));
            chan_destroy(ch);
            return NULL;
        }
        ch->nservers = 1;
        server_label(family, addr, port, ch->label, sizeof ch->label);
        if (own)
            own_add_server(ch, family, addr, port);
    } else {
        struct ares_addr_port_node *list = NULL;
        if (ares_get_servers_ports(ch->ac, &list) != ARES_SUCCESS)
            list = NULL;
        size_t o2 = 0;
        for (struct ares_addr_port_node *n = list; n; n = n->next) {
            char one[64];
            uint16_t p = (uint16_t)(n->udp_port ? n->udp_port : 53);
            server_label(n->family == AF_INET ? 4 : 6, (const uint8_t *)&n->addr, p, one,
                         sizeof one);
            if (o2 < sizeof ch->label)
                o2 += (size_t)snprintf(ch->label + o2, sizeof ch->label - o2, "%s%s",
                                       o2 ? ", " : "", one);
            ch->nservers++;
            if (own)
                own_add_server(ch, n->family == AF_INET ? 4 : 6, (const uint8_t *)&n->addr, p);
        }
        if (list)
            ares_free_data(list);
    }
    ch->own = own && ch->n_osrv == ch->nservers && ch->n_osrv > 0;
    if (own && !ch->own) { /* cannot happen: the same list twice; refuse rather than guess */
        errbuf_set(e, V6M_ERR_IO, "c-ares changed its server list while starting");
        chan_destroy(ch);
        return NULL;
    }
    return ch;
}

/* ---- queries ---- */

static struct rq *rq_alloc(struct resolver *r)
{
    struct rq *q = r->free_rq;
    if (q) {
        r->free_rq = q->next;
        r->n_free_rq--;
    } else {
        q = malloc(sizeof *q);
        if (!q)
            return NULL;
    }
    memset(q, 0, offsetof(struct rq, qname));
    q->qname[0] = q->server[0] = q->seen_text[0] = '\0';
    q->r = r;
    return q;
}

static void rq_release(struct resolver *r, struct rq *q)
{
    if (q->ans != q->ans_inline)
        free(q->ans);
    q->ans = NULL;
    if (r->n_free_rq < RQ_FREE_KEEP && !r->dying) {
        q->next = r->free_rq;
        r->free_rq = q;
        r->n_free_rq++;
    } else {
        free(q);
    }
}

static void done_push(struct resolver *r, struct rq *q)
{
    q->next = NULL;
    if (r->done_tail)
        r->done_tail->next = q;
    else
        r->done_head = q;
    r->done_tail = q;
    defer_kick(r);
}

static void on_ares(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    struct rq *q = arg;
    struct chan *ch = q->ch;
    struct resolver *r = q->r;
    q->ares_status = status;
    q->timeouts = timeouts;
    q->end_ns = loop_now_ns(r->loop);
    q->saved_errno = ch->last_errno;
    if (abuf)
        ch->last_errno = 0; /* the server answers: older socket errors are stale */
    if (abuf && alen > 0) {
        q->ans = alen <= ANS_INLINE ? q->ans_inline : malloc((size_t)alen);
        if (q->ans) {
            memcpy(q->ans, abuf, (size_t)alen);
            q->alen = alen;
        } else {
            q->ares_status = ARES_ENOMEM;
        }
    }
    id_remove(ch, q);
    ch->last_used = q->end_ns;
    q->ch = NULL;
    done_push(r, q);
}

/* ---- own UDP transport (recursive channel) ----
 *
 * c-ares cost about a third of the prober's user-space instructions in the
 * DNS stage (~5 malloc/free pairs and two ares_expand_name() per query).
 * For the recursive channel's UDP queries we do what c-ares 1.18 does, with
 * the same outcomes, and keep c-ares (its channel set to TCP only) for the
 * answers that come back truncated, and for every direct channel:
 *
 *   - one connected UDP socket per server, opened on first use (the kernel
 *     then drops datagrams from other addresses, as c-ares' check does);
 *   - the first try goes to the first server; c-ares' next_server(): each
 *     further try goes to the next server this query has not given up on,
 *     tries x servers tries in all; a try's timeout is
 *     timeout << (try / servers);
 *   - a query ends with ARES_ECONNREFUSED when no server is left (a socket
 *     that cannot be opened, a send error, an ICMP error on the socket:
 *     every query on it moves on), with ARES_ETIMEOUT once any try timed out;
 *   - an answer is taken when its id is in flight on that server and its
 *     question is ours (question_ok(): the same check c-ares makes, and
 *     anything else is remembered for the timeout's sentence); TC set: the
 *     query goes to c-ares over TCP; FORMERR without an OPT record while we
 *     send EDNS: EDNS is switched off for the channel and the query sent
 *     again; an answer longer than the UDP size we offered is cut to it
 *     (c-ares does the same); SERVFAIL/REFUSED come back to us
 *     (NOCHECKRESP);
 *   - a send that meets a full socket buffer is a lost datagram (retried
 *     at its timeout, counted in udp_send_dropped), as before;
 *   - datagrams wait in a batch (struct sbatch) that one sendmmsg() sends
 *     at the next loop turn or when SB_MSGS wait; a send that fails there
 *     moves its query on as an immediate failure would (own_send_failed).
 *
 * Deadlines: all tries of the same round have the same timeout, so one
 * FIFO per round is in deadline order; the channel's own timer is due at
 * the earliest head. Answers are read with recvmmsg() RB_MSGS at a time.
 */
static void on_own_io(void *arg, int fd, unsigned events);

static void own_rearm(struct chan *ch)
{
    uint64_t due = UINT64_MAX;
    for (unsigned k = 0; k < OWN_ROUNDS; k++)
        if (ch->rhead[k] && ch->rhead[k]->deadline < due)
            due = ch->rhead[k]->deadline;
    if (due == UINT64_MAX)
        loop_timer_cancel(ch->r->loop, &ch->otimer);
    else
        loop_timer_set(ch->r->loop, &ch->otimer, due);
}

static void own_fifo_push(struct chan *ch, struct rq *q)
{
    unsigned round = q->try_count / ch->n_osrv;
    q->round = (uint8_t)round;
    /* timeout << round, saturated at a day: the library takes any tries
     * up to OWN_ROUNDS and any timeout (the CLI: at most 10 tries) */
    uint64_t ms = (uint64_t)ch->r->timeout_ms << round;
    if (ms > 86400000u || (ms >> round) != ch->r->timeout_ms)
        ms = 86400000u;
    q->deadline = loop_now_ns(ch->r->loop) + ms * 1000000u;
    q->tnext = NULL;
    q->tprev = ch->rtail[round];
    if (q->tprev)
        q->tprev->tnext = q;
    else
        ch->rhead[round] = q;
    ch->rtail[round] = q;
    q->on_own = true;
    if (!loop_timer_armed(&ch->otimer) || ch->otimer.due_ns > q->deadline)
        loop_timer_set(ch->r->loop, &ch->otimer, q->deadline);
}

static void own_fifo_unlink(struct chan *ch, struct rq *q)
{
    if (!q->on_own)
        return;
    if (q->tprev)
        q->tprev->tnext = q->tnext;
    else
        ch->rhead[q->round] = q->tnext;
    if (q->tnext)
        q->tnext->tprev = q->tprev;
    else
        ch->rtail[q->round] = q->tprev;
    q->tprev = q->tnext = NULL;
    q->on_own = false;
}

static int own_socket(struct chan *ch, unsigned s)
{
    struct own_server *sv = &ch->osrv[s];
    int fd = socket(sv->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        ch->last_errno = errno;
        return -1;
    }
    int v = UDP_RCVBUF;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    v = UDP_SNDBUF;
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    if (connect(fd, (const struct sockaddr *)&sv->sa, sv->salen) < 0 ||
        loop_watch(ch->r->loop, fd, LOOP_READ, on_own_io, ch) < 0) {
        ch->last_errno = errno;
        close(fd);
        return -1;
    }
    sv->fd = fd;
    return 0;
}

static void own_close(struct chan *ch, unsigned s)
{
    struct own_server *sv = &ch->osrv[s];
    if (sv->fd < 0)
        return;
    (void)loop_watch(ch->r->loop, sv->fd, 0, on_own_io, ch);
    close(sv->fd);
    sv->fd = -1;
    /* Datagrams still waiting for this server belong to queries that move
     * on now: they must not leave through a socket opened again later. */
    struct sbatch *b = ch->sb;
    if (b && !ch->flushing) {
        unsigned w = 0;
        for (unsigned k = 0; k < b->n; k++)
            if (b->e[k].srv != s) {
                if (w != k) {
                    b->e[w] = b->e[k];
                    memcpy(b->buf[w], b->buf[k], b->e[k].len);
                }
                w++;
            }
        b->n = w;
    }
}

/* The query leaves the own transport with this outcome (on_ares files it). */
static void own_end(struct chan *ch, struct rq *q, int status, const uint8_t *ans, size_t n)
{
    own_fifo_unlink(ch, q);
    on_ares(q, status, q->timeouts, (unsigned char *)(uintptr_t)ans, (int)n);
}

/* c-ares' next_server(): false when the query has ended. */
static bool own_next(struct chan *ch, struct rq *q)
{
    unsigned total = ch->r->tries * ch->n_osrv;
    for (q->try_count++; q->try_count < total; q->try_count++) {
        q->srv = (uint8_t)((q->srv + 1u) % ch->n_osrv);
        if (!(q->skip & (1u << q->srv)))
            return true;
    }
    own_end(ch, q, q->err_status, NULL, 0);
    return false;
}

static void own_flush(struct chan *ch);
static void own_send(struct chan *ch, struct rq *q);

static void on_own_flush(void *arg)
{
    struct chan *ch = arg;
    struct resolver *r = ch->r;
    r->processing++;
    own_flush(ch);
    chan_pump(ch);
    r->processing--;
    drain(r);
}

/* Queue q's datagram for the next flush; false when there is no room or
 * no memory (the caller sends it at once). */
static bool own_queue(struct chan *ch, struct rq *q, const uint8_t *buf, size_t len)
{
    if (ch->flushing)
        return false;
    if (!ch->sb) {
        ch->sb = malloc(sizeof *ch->sb);
        if (!ch->sb)
            return false;
        ch->sb->n = 0;
    }
    struct sbatch *b = ch->sb;
    if (b->n == SB_MSGS)
        own_flush(ch);
    unsigned k = b->n++;
    b->e[k].seq = q->seq;
    b->e[k].id = q->id;
    b->e[k].len = (uint16_t)len;
    b->e[k].srv = q->srv;
    memcpy(b->buf[k], buf, len);
    if (!loop_timer_armed(&ch->ftimer))
        loop_timer_set(ch->r->loop, &ch->ftimer, loop_now_ns(ch->r->loop));
    return true;
}

/* A queued datagram could not be sent (err): the query it belongs to, if
 * it is still on that try, moves on as if send() had failed at once. */
static void own_send_failed(struct chan *ch, uint64_t seq, uint16_t id, uint8_t srv, int err)
{
    if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
        ch->r->st.udp_send_dropped++; /* lost; retried at its timeout */
        return;
    }
    ch->last_errno = err;
    struct rq *q = id_find(ch, id);
    if (!q || !q->on_own || q->seq != seq || q->srv != srv)
        return;
    own_fifo_unlink(ch, q);
    q->skip |= 1u << srv;
    if (own_next(ch, q))
        own_send(ch, q); /* flushing: sent at once */
}

static void own_flush(struct chan *ch)
{
    struct sbatch *b = ch->sb;
    loop_timer_cancel(ch->r->loop, &ch->ftimer);
    if (!b || b->n == 0)
        return;
    ch->flushing = true;
    unsigned n = b->n, i = 0;
    while (i < n) {
        unsigned j = i;
        while (j < n && b->e[j].srv == b->e[i].srv)
            j++;
        int fd = ch->osrv[b->e[i].srv].fd;
        if (fd < 0) { /* closed since (an ICMP error): its queries have moved on */
            i = j;
            continue;
        }
        for (unsigned k = i; k < j; k++) {
            b->iov[k].iov_base = b->buf[k];
            b->iov[k].iov_len = b->e[k].len;
            memset(&b->msgs[k].msg_hdr, 0, sizeof b->msgs[k].msg_hdr);
            b->msgs[k].msg_hdr.msg_iov = &b->iov[k];
            b->msgs[k].msg_hdr.msg_iovlen = 1;
        }
        while (i < j) {
            int sent = sendmmsg(fd, &b->msgs[i], j - i, MSG_DONTWAIT);
            if (sent > 0) {
                i += (unsigned)sent;
                continue;
            }
            /* The first datagram left failed: it alone takes the error. */
            own_send_failed(ch, b->e[i].seq, b->e[i].id, b->e[i].srv, sent < 0 ? errno : EIO);
            i++;
            if (ch->osrv[b->e[i - 1].srv].fd != fd)
                i = j; /* the socket went away under the failure */
        }
    }
    b->n = 0;
    ch->flushing = false;
}

/* Send q's current try (q->srv), or move on as c-ares does. */
static void own_send_bytes(struct chan *ch, struct rq *q, const uint8_t *buf, size_t len)
{
    for (;;) {
        struct own_server *sv = &ch->osrv[q->srv];
        int err = 0;
        if (sv->fd < 0 && own_socket(ch, q->srv) < 0) {
            err = ch->last_errno ? ch->last_errno : EIO;
        } else {
            if (own_queue(ch, q, buf, len)) {
                own_fifo_push(ch, q);
                return;
            }
            if (send(sv->fd, buf, len, 0) < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
                    ch->r->st.udp_send_dropped++; /* lost; retried at its timeout */
                else
                    err = errno;
            }
        }
        if (!err) {
            own_fifo_push(ch, q);
            return;
        }
        ch->last_errno = err;
        q->skip |= 1u << q->srv;
        if (!own_next(ch, q))
            return;
    }
}

/* A retry (another try, or EDNS off): the same id and question, built
 * again for the channel's EDNS state. */
static void own_send(struct chan *ch, struct rq *q)
{
    uint8_t buf[DNSMSG_QUERY_MAX];
    size_t len = dnsmsg_build_query(buf, sizeof buf, q->id, q->qname, q->qtype, true,
                                    ch->own_no_edns ? 0 : EDNS_SIZE);
    if (len == 0) {
        own_end(ch, q, ARES_EBADNAME, NULL, 0);
        return;
    }
    own_send_bytes(ch, q, buf, len);
}

static void on_own_timer(void *arg)
{
    struct chan *ch = arg;
    struct resolver *r = ch->r;
    r->processing++;
    uint64_t now = loop_update_time(r->loop);
    for (unsigned k = 0; k < OWN_ROUNDS; k++) {
        struct rq *q;
        while ((q = ch->rhead[k]) && q->deadline <= now) {
            own_fifo_unlink(ch, q);
            q->err_status = ARES_ETIMEOUT;
            q->timeouts++;
            if (own_next(ch, q))
                own_send(ch, q);
        }
    }
    own_rearm(ch);
    chan_pump(ch);
    r->processing--;
    drain(r);
}

/* An error on server s's socket (an ICMP error came back): c-ares'
 * handle_error(): the socket is closed and every query on it moves on. */
static void own_socket_error(struct chan *ch, unsigned s, int err)
{
    ch->last_errno = err;
    own_close(ch, s);
    struct rq *moved = NULL;
    for (unsigned k = 0; k < OWN_ROUNDS; k++)
        for (struct rq *q = ch->rhead[k], *n; q; q = n) {
            n = q->tnext;
            if (q->srv == s) {
                own_fifo_unlink(ch, q);
                q->next = moved;
                moved = q;
            }
        }
    while (moved) {
        struct rq *q = moved;
        moved = q->next;
        q->skip |= 1u << s;
        if (own_next(ch, q))
            own_send(ch, q);
    }
}

static void own_datagram(struct chan *ch, unsigned s, const uint8_t *buf, size_t n)
{
    if (n < 2)
        return;
    struct rq *q = id_find(ch, load_be16(buf));
    if (!q || !q->on_own || q->srv != s)
        return; /* not in flight here: c-ares ignores it too */
    if (!question_ok(ch, q, buf, n))
        return; /* remembered for the timeout's sentence */
    uint8_t flags = buf[2], rcode = buf[3] & 0x0f;
    if (flags & 0x02) { /* TC: again over TCP, through c-ares */
        own_fifo_unlink(ch, q);
        id_remove(ch, q);
        chan_send_ares(ch, q);
        return;
    }
    if (!ch->own_no_edns && rcode == 1 && dnsmsg_has_opt(buf, n) != 1) {
        ch->own_no_edns = true; /* c-ares turns EDNS off for the channel */
        own_fifo_unlink(ch, q);
        own_send(ch, q);
        return;
    }
    size_t packetsz = ch->own_no_edns ? 512 : EDNS_SIZE;
    own_end(ch, q, ARES_SUCCESS, buf, n > packetsz ? packetsz : n);
}

static void on_own_io(void *arg, int fd, unsigned events)
{
    (void)events;
    struct chan *ch = arg;
    struct resolver *r = ch->r;
    unsigned s = 0;
    while (s < ch->n_osrv && ch->osrv[s].fd != fd)
        s++;
    if (s == ch->n_osrv)
        return;
    struct rbatch *b = ch->rb;
    if (!b) {
        b = calloc(1, sizeof *b);
        uint8_t *mem = b ? malloc((size_t)RB_MSGS * RB_SIZE) : NULL;
        if (!mem) {
            free(b);
            return; /* out of memory: the answers wait in the socket */
        }
        b->buf = mem;
        b->fd = -1;
        ch->rb = b;
    }
    r->processing++;
    for (;;) {
        for (unsigned i = 0; i < RB_MSGS; i++) {
            b->iov[i].iov_base = b->buf + (size_t)i * RB_SIZE;
            b->iov[i].iov_len = RB_SIZE;
            memset(&b->msgs[i].msg_hdr, 0, sizeof b->msgs[i].msg_hdr);
            b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
            b->msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int got = recvmmsg(fd, b->msgs, RB_MSGS, MSG_DONTWAIT, NULL);
        if (got < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                own_socket_error(ch, s, errno);
            break;
        }
        for (int i = 0; i < got; i++)
            own_datagram(ch, s, b->buf + (size_t)i * RB_SIZE, b->msgs[i].msg_len);
        if (got < RB_MSGS || ch->osrv[s].fd != fd)
            break;
    }
    chan_pump(ch);
    r->processing--;
    drain(r);
}

/* c-ares' ares_destroy(): every query still in flight ends EDESTRUCTION. */
static void own_destroy(struct chan *ch)
{
    loop_timer_cancel(ch->r->loop, &ch->ftimer);
    free(ch->sb); /* not sent: every query ends here anyway */
    ch->sb = NULL;
    for (unsigned k = 0; k < OWN_ROUNDS; k++)
        while (ch->rhead[k])
            own_end(ch, ch->rhead[k], ARES_EDESTRUCTION, NULL, 0);
    for (unsigned s = 0; s < ch->n_osrv; s++)
        own_close(ch, s);
    loop_timer_cancel(ch->r->loop, &ch->otimer);
}

/* Give q a fresh id unique on ch, build its query into buf (rd: recursion
 * desired; edns: the OPT's UDP size, 0 for none), remember the question as
 * sent (for question_ok(): the name from offset 12 to its root label, then
 * type and class) and enter q in ch's id table. The query's length, 0 when
 * the name cannot be written (cannot happen for a validated name). */
static size_t query_register(struct chan *ch, struct rq *q, uint8_t buf[DNSMSG_QUERY_MAX],
                             bool rd, unsigned edns)
{
    uint16_t id;
    do
        id = (uint16_t)(rng_next(ch->r) >> 48);
    while (id_find(ch, id));
    q->id = id;
    size_t len = dnsmsg_build_query(buf, DNSMSG_QUERY_MAX, id, q->qname, q->qtype, rd, edns);
    q->qwlen = 0;
    if (len > 12) {
        size_t i = 12;
        while (i < len && buf[i] != 0)
            i += 1u + buf[i];
        if (i + 5 <= len && i + 5 - 12 <= sizeof q->qwire) {
            q->qwlen = (uint16_t)(i + 5 - 12);
            memcpy(q->qwire, buf + 12, q->qwlen);
        }
    }
    q->ch = ch;
    q->idnext = ch->idtab[id & ch->idmask];
    ch->idtab[id & ch->idmask] = q;
    ch->inflight++;
    return len;
}

static void chan_send(struct chan *ch, struct rq *q)
{
    if (!ch->own) {
        chan_send_ares(ch, q);
        return;
    }
    uint8_t buf[DNSMSG_QUERY_MAX];
    size_t len = query_register(ch, q, buf, true, ch->own_no_edns ? 0 : EDNS_SIZE);
    q->err_status = ARES_ECONNREFUSED;
    q->srv = 0;
    q->try_count = 0;
    q->skip = 0;
    q->seq = ++ch->seq;
    if (len == 0) {
        on_ares(q, ARES_EBADNAME, 0, NULL, 0);
        return;
    }
    own_send_bytes(ch, q, buf, len);
}

static void chan_send_ares(struct chan *ch, struct rq *q)
{
    uint8_t buf[DNSMSG_QUERY_MAX];
    size_t len = query_register(ch, q, buf, !ch->direct, EDNS_SIZE);
    if (len == 0) { /* fail it like c-ares would */
        on_ares(q, ARES_EBADNAME, 0, NULL, 0);
        return;
    }
    ares_send(ch->ac, buf, (int)len, on_ares, q);
}

static void chan_pump(struct chan *ch)
{
    while (ch->wait_head && ch->inflight < ch->r->max_inflight) {
        struct rq *q = ch->wait_head;
        ch->wait_head = q->next;
        if (!ch->wait_head)
            ch->wait_tail = NULL;
        chan_send(ch, q);
    }
}

static void chan_submit(struct chan *ch, struct rq *q)
{
    struct resolver *r = ch->r;
    if (ch->inflight >= r->max_inflight) {
        r->st.queued++;
        q->ch = ch;
        q->next = NULL;
        if (ch->wait_tail)
            ch->wait_tail->next = q;
        else
            ch->wait_head = q;
        ch->wait_tail = q;
        return;
    }
    chan_send(ch, q); /* a synchronous c-ares callback files q for the loop */
    chan_kick(ch);
}

/* A query ready to go (NULL when out of memory or shutting down: nothing
 * was started then). */
static struct rq *query_prep(struct resolver *r, struct chan *ch, const char *name,
                             uint16_t qtype, resolve_cb cb, void *arg)
{
    if (r->dying)
        return NULL;
    struct rq *q = rq_alloc(r);
    if (!q)
        return NULL;
    util_strlcpy(q->qname, name, sizeof q->qname);
    util_strlcpy(q->server, ch->label, sizeof q->server);
    q->qtype = qtype;
    q->cb = cb;
    q->arg = arg;
    q->tries_total = r->tries * (ch->nservers ? ch->nservers : 1);
    return q;
}

static void query_go(struct resolver *r, struct chan *ch, struct rq *q)
{
    q->start_ns = loop_update_time(r->loop);
    r->inflight++;
    r->st.queries++;
    if (ch->direct)
        r->st.direct_queries++;
    ch->last_used = q->start_ns;
    chan_submit(ch, q);
}

static int query_start(struct resolver *r, struct chan *ch, const char *name, uint16_t qtype,
                       resolve_cb cb, void *arg)
{
    struct rq *q = query_prep(r, ch, name, qtype, cb, arg);
    if (!q)
        return -1;
    query_go(r, ch, q);
    return 0;
}

/* The result of a finished query into out. */
static void build_result(struct resolver *r, struct rq *q, struct resolve_result *out)
{
    char tn[16], el[24], eb[128];
    result_reset(out);
    util_strlcpy(out->qname, q->qname, sizeof out->qname);
    out->qtype = q->qtype;
    out->elapsed_ns = q->end_ns > q->start_ns ? q->end_ns - q->start_ns : 0;
    dnsmsg_type_name(q->qtype, tn, sizeof tn);
    switch (q->ares_status) {
    case ARES_SUCCESS:
    case ARES_ENODATA:
    case ARES_EFORMERR:
    case ARES_ESERVFAIL:
    case ARES_ENOTFOUND:
    case ARES_ENOTIMP:
    case ARES_EREFUSED:
        if (q->ans) {
            r->st.answers++;
            enum dnsmsg_status st = dnsmsg_parse(q->ans, (size_t)q->alen, &r->msg);
            dnsmsg_answer(&r->msg, st, q->qname, q->qtype, out);
            if (out->status == RS_SERVFAIL || out->status == RS_REFUSED) {
                char rc[16];
                fmt(out->detail, sizeof out->detail, "%s answered %s for %s %s", q->server,
                    dnsmsg_rcode_name(out->rcode, rc, sizeof rc), q->qname, tn);
            } else if (out->status == RS_MALFORMED || out->status == RS_BOGUS) {
                char d[sizeof out->detail];
                util_strlcpy(d, out->detail, sizeof d);
                fmt(out->detail, sizeof out->detail, "%s: %s", q->server, d);
            }
            return;
        }
        out->status = RS_NETWORK; /* c-ares: no server to ask */
        fmt(out->detail, sizeof out->detail, "no DNS server to ask (%s)",
            ares_strerror(q->ares_status));
        r->st.errors++;
        return;
    case ARES_ETIMEOUT:
        if (q->seen & SEEN_WRONGQ) {
            out->status = RS_BOGUS;
            fmt(out->detail, sizeof out->detail,
                "%s answered another question (%s) instead of %s %s", q->server, q->seen_text,
                q->qname, tn);
        } else if (q->seen & SEEN_GARBAGE) {
            out->status = RS_MALFORMED;
            fmt(out->detail, sizeof out->detail, "%s sent a reply that could not be parsed: %s",
                q->server, q->seen_text);
        } else {
            out->status = RS_TIMEOUT;
            seconds_text(out->elapsed_ns, el, sizeof el);
            fmt(out->detail, sizeof out->detail, "no answer from %s after %u tr%s (%s)",
                q->server, q->tries_total, q->tries_total == 1 ? "y" : "ies", el);
            r->st.timeouts++;
        }
        return;
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION:
        out->status = RS_CANCELLED;
        util_strlcpy(out->detail, "cancelled: the resolver was shut down", sizeof out->detail);
        return;
    case ARES_ECONNREFUSED:
        out->status = RS_NETWORK;
        if (q->saved_errno == ECONNREFUSED)
            fmt(out->detail, sizeof out->detail,
                "%s refused the connection (nothing listens on that port)", q->server);
        else if (q->saved_errno)
            fmt(out->detail, sizeof out->detail, "cannot reach %s: %s", q->server,
                strerror_r(q->saved_errno, eb, sizeof eb));
        else
            fmt(out->detail, sizeof out->detail, "cannot reach %s", q->server);
        r->st.errors++;
        return;
    default:
        out->status = RS_NETWORK;
        fmt(out->detail, sizeof out->detail, "query to %s failed: %s", q->server,
            ares_strerror(q->ares_status));
        r->st.errors++;
        return;
    }
}

/* ---- cache ---- */

static uint64_t key_hash(const struct resolver *r, uint8_t kind, const char *name)
{
    return hash_bytes(name, strlen(name), r->hseed ^ kind);
}

static struct entry *cache_find(struct resolver *r, uint8_t kind, const char *name)
{
    if (!r->nbuckets)
        return NULL;
    uint64_t h = key_hash(r, kind, name);
    for (struct entry *e = r->buckets[h & (r->nbuckets - 1)]; e; e = e->hnext)
        if (e->hash == h && e->kind == kind && strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

static void lru_unlink(struct resolver *r, struct entry *e)
{
    if (!e->in_lru)
        return;
    if (e->lprev)
        e->lprev->lnext = e->lnext;
    else
        r->lru_head = e->lnext;
    if (e->lnext)
        e->lnext->lprev = e->lprev;
    else
        r->lru_tail = e->lprev;
    e->lprev = e->lnext = NULL;
    e->in_lru = false;
}

static void lru_front(struct resolver *r, struct entry *e)
{
    lru_unlink(r, e);
    e->lnext = r->lru_head;
    if (r->lru_head)
        r->lru_head->lprev = e;
    r->lru_head = e;
    if (!r->lru_tail)
        r->lru_tail = e;
    e->in_lru = true;
}

static void entry_free_contents(struct entry *e)
{
    switch (e->kind) {
    case EK_HOST:
        free(e->u.host.a);
        free(e->u.host.aaaa);
        break;
    case EK_ZONEOF:
        free(e->u.zof.zone);
        free(e->u.zof.detail);
        break;
    case EK_ZONE:
        free(e->u.zone);
        break;
    default:
        break;
    }
    for (struct waiter *w = e->w_head, *n; w; w = n) {
        n = w->next;
        free(w);
    }
    free(e->name);
    free(e);
}

static void cache_remove(struct resolver *r, struct entry *e)
{
    struct entry **pp = &r->buckets[e->hash & (r->nbuckets - 1)];
    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
    lru_unlink(r, e);
    r->nentries--;
}

static void cache_make_room(struct resolver *r)
{
    while (r->nentries >= r->cache_max) {
        struct entry *e = r->lru_tail;
        for (int i = 0; e && e->refs && i < LRU_SCAN; i++)
            e = e->lprev;
        if (!e || e->refs)
            return; /* everything is busy: go over the bound for now */
        if (e->kind == EK_HOST)
            r->st.host_evicted++;
        else if (e->kind == EK_ZONE)
            r->st.zone_evicted++;
        cache_remove(r, e);
        entry_free_contents(e);
    }
}

static struct entry *cache_add(struct resolver *r, uint8_t kind, const char *name)
{
    cache_make_room(r);
    if (r->nentries >= r->nbuckets) {
        size_t nb = r->nbuckets ? r->nbuckets * 2 : 256;
        struct entry **b = calloc(nb, sizeof *b);
        if (!b)
            return NULL;
        for (size_t i = 0; i < r->nbuckets; i++)
            for (struct entry *e = r->buckets[i], *n; e; e = n) {
                n = e->hnext;
                e->hnext = b[e->hash & (nb - 1)];
                b[e->hash & (nb - 1)] = e;
            }
        free(r->buckets);
        r->buckets = b;
        r->nbuckets = nb;
    }
    struct entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->name = strdup(name);
    if (!e->name) {
        free(e);
        return NULL;
    }
    e->r = r;
    e->kind = kind;
    e->hash = key_hash(r, kind, name);
    e->hnext = r->buckets[e->hash & (r->nbuckets - 1)];
    r->buckets[e->hash & (r->nbuckets - 1)] = e;
    r->nentries++;
    return e;
}

static int add_waiter(struct entry *e, host_cb cb, zone_cb zcb, void *arg)
{
    struct waiter *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    if (cb)
        w->cb.h = cb;
    else
        w->cb.z = zcb;
    w->arg = arg;
    if (e->w_tail)
        e->w_tail->next = w;
    else
        e->w_head = w;
    e->w_tail = w;
    return 0;
}

/* A hit on a done entry, delivered from the loop. */
static int defer_hit(struct resolver *r, struct entry *e, host_cb cb, zone_cb zcb, void *arg)
{
    struct waiter *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    w->e = e;
    if (cb)
        w->cb.h = cb;
    else
        w->cb.z = zcb;
    w->arg = arg;
    e->refs++;
    if (r->pend_tail)
        r->pend_tail->next = w;
    else
        r->pend_head = w;
    r->pend_tail = w;
    if (!loop_timer_armed(&r->defer_timer))
        loop_timer_set(r->loop, &r->defer_timer, loop_now_ns(r->loop));
    return 0;
}

static void entry_done(struct resolver *r, struct entry *e)
{
    e->done = true;
    lru_front(r, e);
}

/* Detach the waiters of e (to call them). */
static struct waiter *take_waiters(struct entry *e)
{
    struct waiter *w = e->w_head;
    e->w_head = e->w_tail = NULL;
    return w;
}

/* Append the list w to e's waiters; returns how many. */
static unsigned give_waiters(struct entry *e, struct waiter *w)
{
    unsigned n = 0;
    while (w) {
        struct waiter *next = w->next;
        w->next = NULL;
        if (e->w_tail)
            e->w_tail->next = w;
        else
            e->w_head = w;
        e->w_tail = w;
        w = next;
        n++;
    }
    return n;
}

/* ---- packed results ---- */

static struct packed *pack(const struct resolve_result *x)
{
    size_t sl = strlen(x->qname) + 1 + strlen(x->detail) + 1;
    for (unsigned i = 0; i < x->n_cnames; i++)
        sl += strlen(x->cname[i]) + 1;
    for (unsigned i = 0; i < x->n_ns; i++)
        sl += strlen(x->ns[i]) + 1;
    size_t al = (size_t)x->n_addrs * sizeof(struct rr_addr);
    struct packed *p = malloc(sizeof *p + al + sl);
    if (!p)
        return NULL;
    p->elapsed_ns = x->elapsed_ns;
    p->ignored = x->ignored;
    p->qtype = x->qtype;
    p->status = (uint8_t)x->status;
    p->rcode = x->rcode;
    p->aa = x->authoritative;
    p->n_cnames = (uint8_t)x->n_cnames;
    p->n_addrs = (uint8_t)x->n_addrs;
    p->n_ns = (uint8_t)x->n_ns;
    memcpy(p->data, x->addrs, al);
    char *s = (char *)p->data + al;
    size_t n = strlen(x->qname) + 1;
    memcpy(s, x->qname, n);
    s += n;
    for (unsigned i = 0; i < x->n_cnames; i++) {
        n = strlen(x->cname[i]) + 1;
        memcpy(s, x->cname[i], n);
        s += n;
    }
    for (unsigned i = 0; i < x->n_ns; i++) {
        n = strlen(x->ns[i]) + 1;
        memcpy(s, x->ns[i], n);
        s += n;
    }
    memcpy(s, x->detail, strlen(x->detail) + 1);
    return p;
}

static const char *unpack_str(const char *s, char *out, size_t cap)
{
    util_strlcpy(out, s, cap);
    return s + strlen(s) + 1;
}

static void unpack(const struct packed *p, struct resolve_result *x)
{
    result_reset(x);
    if (!p) { /* out of memory when the answer came */
        x->status = RS_NETWORK;
        util_strlcpy(x->detail, "out of memory", sizeof x->detail);
        return;
    }
    x->elapsed_ns = p->elapsed_ns;
    x->ignored = p->ignored;
    x->qtype = p->qtype;
    x->status = (enum resolve_status)p->status;
    x->rcode = p->rcode;
    x->authoritative = p->aa;
    x->n_cnames = p->n_cnames;
    x->n_addrs = p->n_addrs;
    x->n_ns = p->n_ns;
    size_t al = (size_t)p->n_addrs * sizeof(struct rr_addr);
    memcpy(x->addrs, p->data, al);
    const char *s = (const char *)p->data + al;
    s = unpack_str(s, x->qname, sizeof x->qname);
    for (unsigned i = 0; i < x->n_cnames; i++)
        s = unpack_str(s, x->cname[i], sizeof x->cname[i]);
    for (unsigned i = 0; i < x->n_ns; i++)
        s = unpack_str(s, x->ns[i], sizeof x->ns[i]);
    unpack_str(s, x->detail, sizeof x->detail);
}

/* ---- host lookups ---- */

static void host_fill(const struct entry *e, struct host_info *h)
{
    host_reset(h);
    unpack(e->u.host.a, &h->a);
    unpack(e->u.host.aaaa, &h->aaaa);
    util_strlcpy(h->name, e->name, sizeof h->name);
    if (h->a.status == RS_OK)
        for (unsigned i = 0; i < h->a.n_addrs; i++)
            if (h->n_v4++ == 0)
                memcpy(h->v4, h->a.addrs[i].addr, 4);
    if (h->aaaa.status == RS_OK)
        for (unsigned i = 0; i < h->aaaa.n_addrs; i++) {
            if (addrclass_v6(h->aaaa.addrs[i].addr) == AC_GLOBAL) {
                if (h->n_v6_global++ == 0)
                    memcpy(h->v6, h->aaaa.addrs[i].addr, 16);
            } else {
                h->n_v6_other++;
            }
        }
}

static void on_host_part(void *arg, const struct resolve_result *res)
{
    struct entry *e = arg;
    struct resolver *r = e->r;
    struct packed **slot = res->qtype == RR_A ? &e->u.host.a : &e->u.host.aaaa;
    free(*slot);
    *slot = pack(res);
    if (--e->u.host.pending)
        return;
    entry_done(r, e);
    /* Nothing rewrites r->host while the waiters run: hosts complete only
     * from the (non-reentrant) drain, other hits are deferred. */
    e->refs++;
    host_fill(e, &r->host);
    for (struct waiter *w = take_waiters(e), *n; w; w = n) {
        n = w->next;
        w->cb.h(w->arg, &r->host);
        free(w);
    }
    e->refs--;
}

int resolver_lookup_host(struct resolver *r, const char *name, host_cb cb, void *arg)
{
    char n[RESOLVE_NAME_MAX];
    if (!r || r->dying || !cb || !valid_name(name, n))
        return -1;
    struct entry *e = cache_find(r, EK_HOST, n);
    if (e && e->done) {
        if (defer_hit(r, e, cb, NULL, arg) < 0)
            return -1;
        lru_front(r, e);
        r->st.host_lookups++;
        r->st.host_cache_hits++;
        return 0;
    }
    if (e) {
        if (add_waiter(e, cb, NULL, arg) < 0)
            return -1;
        r->st.host_lookups++;
        r->st.host_coalesced++;
        return 0;
    }
    /* Everything that can fail first, so that a failure starts nothing. */
    struct rq *qa = query_prep(r, r->rec, n, RR_A, on_host_part, NULL);
    struct rq *qb = query_prep(r, r->rec, n, RR_AAAA, on_host_part, NULL);
    e = qa && qb ? cache_add(r, EK_HOST, n) : NULL;
    if (e && add_waiter(e, cb, NULL, arg) < 0) {
        cache_remove(r, e);
        entry_free_contents(e);
        e = NULL;
    }
    if (!e) {
        if (qa)
            rq_release(r, qa);
        if (qb)
            rq_release(r, qb);
        return -1;
    }
    qa->arg = qb->arg = e;
    e->u.host.pending = 2;
    r->st.host_lookups++;
    query_go(r, r->rec, qa);
    query_go(r, r->rec, qb);
    return 0;
}

/* ---- W2: zone of a host, its name servers over IPv6 ---- */

static unsigned label_count(const char *s)
{
    unsigned n = *s ? 1 : 0;
    for (; *s; s++)
        n += *s == '.';
    return n;
}

static void zof_fill(const struct entry *e, struct zone_info *z)
{
    resolver_zone_clear(z); /* readers go by n_ns: ns[] needs no clearing */
    z->status = (enum resolve_status)e->u.zof.status;
    util_strlcpy(z->detail, e->u.zof.detail ? e->u.zof.detail : "", sizeof z->detail);
}

static void zone_deliver(struct resolver *r, struct entry *ze, struct waiter *w)
{
    (void)r;
    ze->refs++;
    for (struct waiter *n; w; w = n) {
        n = w->next;
        w->cb.z(w->arg, &ze->u.zone->zi);
        free(w);
    }
    ze->refs--;
}

/* The walk of e ended without a zone. */
static void zof_fail(struct resolver *r, struct entry *e, enum resolve_status st,
                     const char *detail)
{
    e->u.zof.status = (uint8_t)st;
    free(e->u.zof.detail);
    e->u.zof.detail = strdup(detail);
    entry_done(r, e);
    e->refs++;
    zof_fill(e, &r->zone);
    for (struct waiter *w = take_waiters(e), *n; w; w = n) {
        n = w->next;
        w->cb.z(w->arg, &r->zone);
        free(w);
    }
    e->refs--;
}

static void ns_done(struct resolver *r, struct zone_job *job);

static void on_ns_soa(void *arg, const struct resolve_result *res)
{
    struct zone_job *job = arg;
    struct zone_info *zi = &job->e->u.zone->zi;
    struct ns_check *ns = &zi->ns[job->idx];
    char a[INET6_ADDRSTRLEN], el[24], rc[16];
    addr_text(6, ns->v6, a, sizeof a);
    seconds_text(res->elapsed_ns, el, sizeof el);
    ns->v6_status = res->status;
    ns->v6_elapsed_ns = res->elapsed_ns;
    ns->answered_v6 = res->status == RS_OK && res->authoritative;
    const char *n = ns->name, *z = zi->zone;
    size_t dl = sizeof ns->detail;
    switch (res->status) {
    case RS_OK:
        if (!res->authoritative)
            fmt(ns->detail, dl, "%s (%s) answered for %s without the authoritative flag", n, a, z);
        break;
    case RS_NODATA:
        if (res->authoritative)
            fmt(ns->detail, dl, "%s (%s) answered for %s without its SOA record", n, a, z);
        else
            fmt(ns->detail, dl,
                "%s (%s) does not serve %s: answered without the authoritative flag and "
                "without its SOA",
                n, a, z);
        break;
    case RS_TIMEOUT: {
        unsigned t = job->e->r->tries;
        fmt(ns->detail, dl, "%s (%s) did not answer over IPv6 after %u tr%s (%s)", n, a, t,
            t == 1 ? "y" : "ies", el);
        break;
    }
    case RS_REFUSED:
        fmt(ns->detail, dl, "%s (%s) refused to answer for %s (REFUSED)", n, a, z);
        break;
    case RS_SERVFAIL:
        fmt(ns->detail, dl, "%s (%s) failed to answer for %s (%s)", n, a, z,
            dnsmsg_rcode_name(res->rcode, rc, sizeof rc));
        break;
    case RS_NXDOMAIN:
        fmt(ns->detail, dl, "%s (%s) says %s does not exist (NXDOMAIN)", n, a, z);
        break;
    case RS_NETWORK:
        fmt(ns->detail, dl, "%s (%s) cannot be reached over IPv6: %s", n, a, res->detail);
        break;
    case RS_CANCELLED:
        fmt(ns->detail, dl, "%s: cancelled", n);
        break;
    default:
        fmt(ns->detail, dl, "%s (%s) sent a bad answer: %s", n, a, res->detail);
        break;
    }
    ns_done(job->e->r, job);
}

static void on_ns_host(void *arg, const struct host_info *h)
{
    struct zone_job *job = arg;
    struct entry *ze = job->e;
    struct resolver *r = ze->r;
    struct zone_info *zi = &ze->u.zone->zi;
    struct ns_check *ns = &zi->ns[job->idx];
    const char *n = ns->name;
    size_t dl = sizeof ns->detail;
    char a[INET6_ADDRSTRLEN];
    ns->n_v4 = h->n_v4;
    ns->n_v6_global = h->n_v6_global;
    const uint8_t *use = NULL;
    if (h->n_v6_global)
        use = h->v6;
    else if (r->ns_any_v6 && h->aaaa.status == RS_OK && h->aaaa.n_addrs)
        use = h->aaaa.addrs[0].addr;
    if (use) {
        memcpy(ns->v6, use, 16);
        if (resolver_query_at(r, 6, use, r->ns_port, zi->zone, RR_SOA, on_ns_soa, job) == 0) {
            zi->n_ns_v6++;
            return;
        }
        ns->v6_status = r->dying ? RS_CANCELLED : RS_NETWORK;
        fmt(ns->detail, dl, "%s: %s", n,
            r->dying ? "cancelled" : "could not start the query (out of memory)");
        ns_done(r, job);
        return;
    }
    ns->v6_status = h->aaaa.status == RS_OK ? RS_NODATA : h->aaaa.status;
    switch (h->aaaa.status) {
    case RS_OK:
        addr_text(6, h->aaaa.addrs[0].addr, a, sizeof a);
        fmt(ns->detail, dl, "%s has no global AAAA (%s is %s)", n, a,
            addrclass_name(addrclass_v6(h->aaaa.addrs[0].addr)));
        break;
    case RS_NODATA:
        fmt(ns->detail, dl, "%s has no AAAA", n);
        break;
    case RS_NXDOMAIN:
        fmt(ns->detail, dl, "%s does not exist (NXDOMAIN)", n);
        break;
    default:
        fmt(ns->detail, dl, "could not look up the AAAA of %s: %s", n, h->aaaa.detail);
        break;
    }
    ns_done(r, job);
}

static void zone_finish(struct resolver *r, struct entry *ze)
{
    struct zone_info *zi = &ze->u.zone->zi;
    zi->n_ns_v6_answering = 0;
    for (unsigned i = 0; i < zi->n_ns; i++)
        zi->n_ns_v6_answering += zi->ns[i].answered_v6;
    size_t dl = sizeof zi->detail;
    if (zi->n_ns_v6 == 0)
        fmt(zi->detail, dl, "no name server of %s has an IPv6 address (%u name server%s)",
            zi->zone, zi->n_ns, zi->n_ns == 1 ? "" : "s");
    else if (zi->n_ns_v6_answering == zi->n_ns)
        fmt(zi->detail, dl, "all %u name server%s of %s answer over IPv6", zi->n_ns,
            zi->n_ns == 1 ? "" : "s", zi->zone);
    else
        fmt(zi->detail, dl, "%u of %u name servers of %s have IPv6; %u answer%s authoritatively "
            "over IPv6",
            zi->n_ns_v6, zi->n_ns, zi->zone, zi->n_ns_v6_answering,
            zi->n_ns_v6_answering == 1 ? "s" : "");
    entry_done(r, ze);
    zone_deliver(r, ze, take_waiters(ze));
}

static void ns_done(struct resolver *r, struct zone_job *job)
{
    struct entry *ze = job->e;
    if (--ze->u.zone->pending == 0)
        zone_finish(r, ze);
}

/* Start the zone check of ze from the NS names in res. */
static int cmp_ns_name(const void *a, const void *b)
{
    return strcmp(((const struct ns_check *)a)->name, ((const struct ns_check *)b)->name);
}

static void zone_start(struct resolver *r, struct entry *ze, const struct resolve_result *res)
{
    struct zone_info *zi = &ze->u.zone->zi;
    zi->status = RS_OK;
    zi->n_ns = res->n_ns < ZONE_MAX_NS ? res->n_ns : ZONE_MAX_NS;
    ze->u.zone->pending = zi->n_ns + 1; /* +1: finish only after the loop below */
    for (unsigned i = 0; i < zi->n_ns; i++)
        util_strlcpy(zi->ns[i].name, res->ns[i], sizeof zi->ns[i].name);
    /* In name order: resolvers shuffle the NS set from one answer to the
     * next, and two runs over the same zones should read the same. */
    qsort(zi->ns, zi->n_ns, sizeof zi->ns[0], cmp_ns_name);
    for (unsigned i = 0; i < zi->n_ns; i++) {
        struct zone_job *job = &ze->u.zone->jobs[i];
        job->e = ze;
        job->idx = i;
    }
    for (unsigned i = 0; i < zi->n_ns; i++) {
        struct zone_job *job = &ze->u.zone->jobs[i];
        if (resolver_lookup_host(r, zi->ns[i].name, on_ns_host, job) == 0)
            continue;
        struct ns_check *ns = &zi->ns[i];
        ns->v6_status = r->dying ? RS_CANCELLED : RS_MALFORMED;
        fmt(ns->detail, sizeof ns->detail, "%s: %s", ns->name,
            r->dying ? "cancelled" : "not a host name that can be looked up");
        ns_done(r, job);
    }
    ns_done(r, &ze->u.zone->jobs[0]); /* the +1 (jobs[0].e == ze even with no NS) */
}

static void zone_found(struct resolver *r, struct entry *e, const char *zone,
                       const struct resolve_result *res)
{
    e->refs++; /* cache_add below may evict */
    e->u.zof.zone = strdup(zone);
    if (!e->u.zof.zone) {
        zof_fail(r, e, RS_NETWORK, "out of memory");
        e->refs--;
        return;
    }
    e->u.zof.status = RS_OK;
    entry_done(r, e);
    struct waiter *w = take_waiters(e);
    struct entry *ze = cache_find(r, EK_ZONE, zone);
    if (ze && ze->done) {
        r->st.zone_cache_hits++;
        lru_front(r, ze);
        zone_deliver(r, ze, w);
    } else if (ze) {
        r->st.zone_coalesced += give_waiters(ze, w);
    } else {
        struct zone_state *zs = calloc(1, sizeof *zs);
        ze = zs ? cache_add(r, EK_ZONE, zone) : NULL;
        if (!ze) {
            free(zs);
            give_waiters(e, w); /* back to e, to fail them */
            free(e->u.zof.zone);
            e->u.zof.zone = NULL;
            zof_fail(r, e, RS_NETWORK, "out of memory");
        } else {
            ze->u.zone = zs;
            zs->jobs[0].e = ze;
            util_strlcpy(zs->zi.zone, zone, sizeof zs->zi.zone);
            give_waiters(ze, w);
            zone_start(r, ze, res);
        }
    }
    e->refs--;
}

static void walk_ask(struct resolver *r, struct entry *e);

static void on_walk(void *arg, const struct resolve_result *res)
{
    struct entry *e = arg;
    struct resolver *r = e->r;
    const char *cur = e->name + e->u.zof.cur;
    char d[200];
    if (res->status == RS_OK && res->n_cnames == 0 && res->n_ns > 0) {
        zone_found(r, e, cur, res);
        return;
    }
    if (res->status == RS_OK || res->status == RS_NODATA || res->status == RS_NXDOMAIN) {
        /* Not a zone apex (or an alias): ask the parent, down to two labels. */
        const char *dot = strchr(cur, '.');
        if (dot && label_count(dot + 1) >= 2) {
            e->u.zof.cur = (size_t)(dot + 1 - e->name);
            walk_ask(r, e);
            return;
        }
        fmt(d, sizeof d, "no NS records for %s or its parents up to %s", e->name, cur);
        zof_fail(r, e, res->status == RS_NXDOMAIN ? RS_NXDOMAIN : RS_NODATA, d);
        return;
    }
    fmt(d, sizeof d, "the NS lookup for %s failed: %s", cur, res->detail);
    zof_fail(r, e, res->status, d);
}

static void walk_ask(struct resolver *r, struct entry *e)
{
    if (query_start(r, r->rec, e->name + e->u.zof.cur, RR_NS, on_walk, e) < 0)
        zof_fail(r, e, r->dying ? RS_CANCELLED : RS_NETWORK,
                 r->dying ? "cancelled: the resolver was shut down" : "out of memory");
}

int resolver_check_zone(struct resolver *r, const char *host, zone_cb cb, void *arg)
{
    char n[RESOLVE_NAME_MAX];
    if (!r || r->dying || !cb || !valid_name(host, n))
        return -1;
    struct entry *e = cache_find(r, EK_ZONEOF, n);
    if (e && e->done) {
        if (!e->u.zof.zone) {
            if (defer_hit(r, e, NULL, cb, arg) < 0)
                return -1;
            lru_front(r, e);
            r->st.zone_checks++;
            r->st.zone_cache_hits++;
            return 0;
        }
        struct entry *ze = cache_find(r, EK_ZONE, e->u.zof.zone);
        if (ze && ze->done) {
            if (defer_hit(r, ze, NULL, cb, arg) < 0)
                return -1;
            lru_front(r, e);
            lru_front(r, ze);
            r->st.zone_checks++;
            r->st.zone_cache_hits++;
            return 0;
        }
        if (ze) {
            if (add_waiter(ze, NULL, cb, arg) < 0)
                return -1;
            r->st.zone_checks++;
            r->st.zone_coalesced++;
            return 0;
        }
        /* The zone's entry was evicted: walk again for this host. */
        struct rq *q = query_prep(r, r->rec, n, RR_NS, on_walk, e);
        if (!q)
            return -1;
        if (add_waiter(e, NULL, cb, arg) < 0) {
            rq_release(r, q);
            return -1;
        }
        lru_unlink(r, e);
        e->done = false;
        free(e->u.zof.zone);
        e->u.zof.zone = NULL;
        e->u.zof.cur = 0;
        r->st.zone_checks++;
        query_go(r, r->rec, q);
        return 0;
    }
    if (e) {
        if (add_waiter(e, NULL, cb, arg) < 0)
            return -1;
        r->st.zone_checks++;
        r->st.zone_coalesced++;
        return 0;
    }
    struct rq *q = NULL;
    if (label_count(n) >= 2) {
        q = query_prep(r, r->rec, n, RR_NS, on_walk, NULL);
        if (!q)
            return -1;
    }
    e = cache_add(r, EK_ZONEOF, n);
    if (e && add_waiter(e, NULL, cb, arg) < 0) {
        cache_remove(r, e);
        entry_free_contents(e);
        e = NULL;
    }
    if (!e) {
        if (q)
            rq_release(r, q);
        return -1;
    }
    r->st.zone_checks++;
    if (!q) {
        /* A one-label name has no zone of its own below the root; answer
         * from the loop like any other. */
        char d[200];
        fmt(d, sizeof d, "%s is a top-level name: no zone to check", n);
        e->u.zof.status = RS_NODATA;
        e->u.zof.detail = strdup(d);
        entry_done(r, e);
        struct waiter *w = take_waiters(e);
        w->e = e;
        e->refs++;
        if (r->pend_tail)
            r->pend_tail->next = w;
        else
            r->pend_head = w;
        r->pend_tail = w;
        if (!loop_timer_armed(&r->defer_timer))
            loop_timer_set(r->loop, &r->defer_timer, loop_now_ns(r->loop));
        return 0;
    }
    q->arg = e;
    query_go(r, r->rec, q);
    return 0;
}

/* ---- delivery ---- */

static void deliver_pend(struct resolver *r, struct waiter *w)
{
    struct entry *e = w->e;
    switch (e->kind) {
    case EK_HOST:
        host_fill(e, &r->host);
        w->cb.h(w->arg, &r->host);
        break;
    case EK_ZONE:
        w->cb.z(w->arg, &e->u.zone->zi);
        break;
    case EK_ZONEOF:
        zof_fill(e, &r->zone);
        w->cb.z(w->arg, &r->zone);
        break;
    default:
        break;
    }
    e->refs--;
    free(w);
}

static void drain(struct resolver *r)
{
    if (r->draining)
        return;
    r->draining = true;
    for (;;) {
        struct rq *q = r->done_head;
        if (q) {
            r->done_head = q->next;
            if (!r->done_head)
                r->done_tail = NULL;
            build_result(r, q, &r->res);
            resolve_cb cb = q->cb;
            void *arg = q->arg;
            rq_release(r, q);
            r->inflight--;
            cb(arg, &r->res);
            continue;
        }
        struct waiter *w = r->pend_head;
        if (w) {
            r->pend_head = w->next;
            if (!r->pend_head)
                r->pend_tail = NULL;
            deliver_pend(r, w);
            continue;
        }
        break;
    }
    r->draining = false;
}

/* ---- public queries ---- */

int resolver_query(struct resolver *r, const char *name, uint16_t qtype, resolve_cb cb,
                   void *arg)
{
    char n[RESOLVE_NAME_MAX];
    if (!r || !cb || !valid_name(name, n))
        return -1;
    return query_start(r, r->rec, n, qtype, cb, arg);
}

static struct chan *direct_get(struct resolver *r, int family, const uint8_t addr[16],
                               uint16_t port)
{
    size_t alen = family == 4 ? 4 : 16;
    for (size_t i = 0; i < r->n_direct; i++) {
        struct chan *c = r->direct[i];
        if (c->family == family && c->port == port && memcmp(c->addr, addr, alen) == 0)
            return c;
    }
    if (r->n_direct >= DIRECT_KEEP) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < r->n_direct; i++) {
            struct chan *c = r->direct[i];
            if (c->inflight == 0 && !c->wait_head &&
                (best == SIZE_MAX || c->last_used < r->direct[best]->last_used))
                best = i;
        }
        if (best != SIZE_MAX) {
            chan_destroy(r->direct[best]);
            r->direct[best] = r->direct[--r->n_direct];
        }
    }
    if (r->n_direct == r->cap_direct) {
        size_t cap = r->cap_direct ? r->cap_direct * 2 : 8;
        struct chan **n = realloc(r->direct, cap * sizeof *n);
        if (!n)
            return NULL;
        r->direct = n;
        r->cap_direct = cap;
    }
    struct errbuf e;
    uint8_t a[16] = {0};
    memcpy(a, addr, alen);
    struct chan *c = chan_new(r, true, false, NULL, family, a, port, &e);
    if (!c)
        return NULL;
    r->direct[r->n_direct++] = c;
    return c;
}

int resolver_query_at(struct resolver *r, int family, const uint8_t addr[16], uint16_t port,
                      const char *name, uint16_t qtype, resolve_cb cb, void *arg)
{
    char n[RESOLVE_NAME_MAX];
    if (!r || r->dying || !cb || !addr || (family != 4 && family != 6) || port == 0 ||
        !valid_name(name, n))
        return -1;
    struct chan *ch = direct_get(r, family, addr, port);
    if (!ch)
        return -1;
    return query_start(r, ch, n, qtype, cb, arg);
}

/* ---- life cycle ---- */

/* "ADDR", "ADDR:PORT" (IPv4), "[ADDR]:PORT", "[ADDR]" or a bare IPv6 ADDR. */
static bool parse_server(const char *s, int *family, uint8_t addr[16], uint16_t *port)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *ps = NULL;
    memset(addr, 0, 16);
    *port = 53;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || (size_t)(close - s - 1) >= sizeof host)
            return false;
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = '\0';
        if (close[1] == ':')
            ps = close + 2;
        else if (close[1])
            return false;
        *family = 6;
    } else {
        const char *c1 = strchr(s, ':');
        if (c1 && strchr(c1 + 1, ':')) {
            if (strlen(s) >= sizeof host)
                return false;
            util_strlcpy(host, s, sizeof host);
            *family = 6;
        } else {
            size_t hl = c1 ? (size_t)(c1 - s) : strlen(s);
            if (hl >= sizeof host)
                return false;
            memcpy(host, s, hl);
            host[hl] = '\0';
            if (c1)
                ps = c1 + 1;
            *family = 4;
        }
    }
    if (inet_pton(*family == 4 ? AF_INET : AF_INET6, host, addr) != 1)
        return false;
    if (ps) {
        uint64_t p;
        if (!util_parse_u64(ps, &p) || p == 0 || p > 65535)
            return false;
        *port = (uint16_t)p;
    }
    return true;
}

/* Does the file list a name server? c-ares falls back to 127.0.0.1 when
 * it does not, which would hide a broken setup. */
static bool resolv_conf_has_server(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, "nameserver", 10) == 0 && (p[10] == ' ' || p[10] == '\t')) {
            p += 10;
            while (*p == ' ' || *p == '\t')
                p++;
            found = *p && *p != '\n' && *p != '#' && *p != ';';
        }
    }
    fclose(f);
    return found;
}

struct resolver *resolver_new(struct loop *loop, const struct resolver_config *cfg,
                              struct errbuf *e)
{
    struct resolver_config def;
    if (!cfg) {
        memset(&def, 0, sizeof def);
        cfg = &def;
    }
    struct resolver *r = calloc(1, sizeof *r);
    if (!r) {
        errbuf_set(e, V6M_ERR_NOMEM, "out of memory for the resolver");
        return NULL;
    }
    r->loop = loop;
    r->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : DEF_TIMEOUT_MS;
    r->tries = cfg->tries ? cfg->tries : DEF_TRIES;
    r->cache_max = cfg->cache_max ? cfg->cache_max : DEF_CACHE_MAX;
    r->max_inflight = cfg->max_inflight ? cfg->max_inflight : DEF_MAX_INFLIGHT;
    if (r->max_inflight > MAX_INFLIGHT_CAP)
        r->max_inflight = MAX_INFLIGHT_CAP;
    r->ns_port = cfg->ns_port ? cfg->ns_port : 53;
    r->ns_any_v6 = cfg->ns_any_v6;
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
        seed = loop_update_time(loop) ^ (uint64_t)(uintptr_t)r;
    r->rng = seed | 1;
    r->hseed = rng_next(r);
    loop_timer_init(&r->defer_timer, on_defer, r);

    int rc = ares_library_init(ARES_LIB_INIT_ALL);
    if (rc != ARES_SUCCESS) {
        errbuf_set(e, V6M_ERR_IO, "cannot start c-ares: %s", ares_strerror(rc));
        free(r);
        return NULL;
    }
    if (cfg->server) {
        int family;
        uint8_t addr[16];
        uint16_t port;
        if (!parse_server(cfg->server, &family, addr, &port)) {
            errbuf_set(e, V6M_ERR_CONFIG,
                       "bad resolver address '%s': expected ADDR, ADDR:PORT (IPv4) or "
                       "[ADDR]:PORT (IPv6)",
                       cfg->server);
            goto fail;
        }
        r->rec = chan_new(r, false, false, NULL, family, addr, port, e);
    } else {
        const char *path = cfg->resolv_conf ? cfg->resolv_conf : "/etc/resolv.conf";
        if (!resolv_conf_has_server(path)) {
            errbuf_set(e, V6M_ERR_CONFIG,
                       "no name server in %s: give the resolver to use with --resolver", path);
            goto fail;
        }
        r->rec = chan_new(r, false, true, cfg->resolv_conf, 0, NULL, 0, e);
        if (r->rec && r->rec->nservers == 0) {
            errbuf_set(e, V6M_ERR_CONFIG, "c-ares found no usable name server in %s", path);
            chan_destroy(r->rec);
            r->rec = NULL;
        }
    }
    if (!r->rec)
        goto fail;
    util_strlcpy(r->servers, r->rec->label, sizeof r->servers);
    return r;
fail:
    ares_library_cleanup();
    free(r);
    return NULL;
}

static void chan_cancel_waiting(struct resolver *r, struct chan *ch)
{
    while (ch->wait_head) {
        struct rq *q = ch->wait_head;
        ch->wait_head = q->next;
        q->ch = NULL;
        q->ares_status = ARES_ECANCELLED;
        q->end_ns = loop_now_ns(r->loop);
        done_push(r, q);
    }
    ch->wait_tail = NULL;
}

void resolver_free(struct resolver *r)
{
    if (!r)
        return;
    r->dying = true;
    /* c-ares calls back every query of a destroyed channel (EDESTRUCTION);
     * the drain below hands them to their owners as RS_CANCELLED, and
     * pending lookups and zone checks finish the same way. */
    if (r->rec) {
        chan_cancel_waiting(r, r->rec);
        chan_destroy(r->rec);
        r->rec = NULL;
    }
    for (size_t i = 0; i < r->n_direct; i++) {
        chan_cancel_waiting(r, r->direct[i]);
        chan_destroy(r->direct[i]);
    }
    r->n_direct = 0;
    drain(r);
    loop_timer_cancel(r->loop, &r->defer_timer);
    for (size_t i = 0; i < r->nbuckets; i++)
        for (struct entry *e = r->buckets[i], *n; e; e = n) {
            n = e->hnext;
            entry_free_contents(e);
        }
    free(r->buckets);
    free(r->direct);
    for (struct rq *q = r->free_rq, *n; q; q = n) {
        n = q->next;
        free(q);
    }
    ares_library_cleanup();
    free(r);
}

const char *resolver_servers(const struct resolver *r)
{
    return r->servers;
}

size_t resolver_inflight(const struct resolver *r)
{
    return r->inflight;
}

void resolver_get_stats(const struct resolver *r, struct resolver_stats *out)
{
    *out = r->st;
}
