/*
 * probe/icmp.c - ICMP / ICMPv6 echo on the prober's loop (contract in
 * icmp.h): many echoes in flight per family, matched by identifier,
 * sequence, address and a payload cookie; ICMP errors matched through the
 * request they quote.
 *
 * Wire formats (all fields big-endian):
 *
 *   Echo request / reply (RFC 792 p.14, RFC 4443 section 4):
 *     0      1      2             4             6             8
 *     +------+------+-------------+-------------+-------------+----------
 *     | type | code |  checksum   | identifier  |  sequence   | data ...
 *     +------+------+-------------+-------------+-------------+----------
 *     ICMPv4: request 8, reply 0; ICMPv6: request 128, reply 129; code 0.
 *     Our data: an 8-byte cookie (a random number per echo; only when the
 *     payload is 8 bytes or more), then bytes 0x08, 0x09, ... The reply
 *     echoes the data back, so the cookie ties a reply to one echo even
 *     when another process uses the same identifier.
 *
 *   Error message (RFC 792: types 3, 11, 12; RFC 4443: types 1..4):
 *     +------+------+-------------+---------------------------+---------
 *     | type | code |  checksum   | unused / MTU / pointer    | invoking packet
 *     +------+------+-------------+---------------------------+---------
 *     The invoking packet is our echo request as the reporting node saw
 *     it: ICMPv4 quotes its IPv4 header (IHL*4 bytes; protocol at byte 9,
 *     fragment offset in the low 13 bits of bytes 6-7, destination at
 *     bytes 16-19) and at least the first 8 bytes after it - exactly the
 *     echo header with identifier and sequence (RFC 1812 routers quote
 *     more, up to 576 bytes in all). ICMPv6 quotes as much as fits in
 *     1280 bytes: the 40-byte IPv6 header (next header at byte 6,
 *     destination at bytes 24-39), any extension headers, then the echo
 *     request. The 4-byte word holds the next-hop MTU for ICMPv4
 *     "fragmentation needed" (low 16 bits, RFC 1191), the MTU for ICMPv6
 *     "packet too big", the pointer for parameter problems (ICMPv4: top
 *     byte; ICMPv6: all 32 bits).
 *
 *   A raw IPv4 socket returns the IPv4 header in front of the ICMP
 *   message (its length is IHL*4, total length at bytes 2-3, source at
 *   bytes 12-15). Raw ICMPv6 sockets and ping sockets return the ICMP
 *   message alone; the source comes from msg_name.
 *
 * Checksums: the ICMPv4 checksum (RFC 1071 over the ICMP message) is ours
 * to fill on raw sends and ours to verify on raw receives, because a raw
 * socket gets its copy before icmp_rcv() checks it. An ICMPv6 raw socket
 * has the kernel's checksum offload on by default (Linux sets offset 2 at
 * creation; RFC 3542 section 3.1 makes the kernel compute it, and setting
 * IPV6_CHECKSUM at level IPPROTO_IPV6 on an ICMPv6 socket fails with
 * EINVAL), so the kernel fills it on send and drops bad ones on receive.
 * Ping sockets: the kernel does both for both families.
 *
 * Sockets and matching:
 *   raw   the identifier is ours (random per pinger). Every ICMP packet of
 *         the namespace reaches the socket; ICMP_FILTER / ICMP6_FILTER let
 *         through only echo replies and the error types, and the parser
 *         still checks everything (the filter is an optimisation). ICMP
 *         errors arrive as ordinary packets and are matched through the
 *         quoted header (bounded cursor, util/cursor.h).
 *   ping  the kernel binds an identifier (bind() with port 0) and hands us
 *         only replies carrying it. ICMP errors come on the error queue
 *         (IP_RECVERR / IPV6_RECVERR): recvmsg(MSG_ERRQUEUE) gives a
 *         struct sock_extended_err (origin ICMP/ICMP6 with type, code,
 *         info, and the offender's address right after it), msg_name = the
 *         destination of the quoted request, and as data the quoted echo
 *         request from its ICMP header on.
 *   An echo is in a 65,536-slot table per family indexed by sequence;
 *   sequences are handed out round-robin, skipping slots in use, so a
 *   sequence comes back only after 65,536 later echoes of that family. A
 *   reply is taken when: identifier ours, sequence in flight and already
 *   sent, source == the address pinged, and (payload >= 8) the data
 *   starts with the echo's cookie. An error is taken when the quoted
 *   request passes the same tests with "quoted destination" for
 *   "source" (the cookie only if the quote is long enough to hold it).
 *   Everything else is counted by reason (enum icmp_ignore).
 *
 * Pending socket errors: an ICMP error also sets a ping socket's pending
 * error (sk_err), which fails the next sendto() (and, were the error queue
 * not read first, the next recvmsg()) once. A ping socket's failed send is
 * therefore retried (up to 3 attempts): a stale error is consumed by the
 * failing attempt, a real one (unreachable route) comes back every time.
 *
 * Sending: icmp_echo_start() only queues; a zero-delay "kick" timer sends
 * up to ICMP_SEND_BATCH requests per family per loop turn, so that a burst
 * of thousands of echoes to a fast target is interleaved with reading the
 * replies (the receive buffer, raised to 1 MiB where allowed, would
 * otherwise overflow on loopback, where replies are queued during the
 * sendto() itself). sendto() EAGAIN/ENOBUFS leaves the request queued and
 * retries after 1 ms. Each echo's timer first bounds the time in the queue
 * (timeout_ns: then ICMP_LOCAL "send buffer full"), then runs from the
 * send (ICMP_TIMEOUT).
 *
 * RTT: from a monotonic timestamp taken just before sendto(), kept in the
 * echo (never from the payload, which the peer controls), to the arrival.
 * The arrival is the kernel's receive timestamp (SO_TIMESTAMPNS, which is
 * CLOCK_REALTIME: compared with a realtime stamp taken with the monotonic
 * one at send) when it is consistent - not negative and not later than
 * the monotonic clock at read - else the monotonic clock when the packet
 * is read. The kernel stamp keeps loop dispatch delay out of the RTT when
 * thousands of replies are read in one burst; the consistency check keeps
 * a wall-clock step from producing nonsense (at worst the RTT then
 * includes the dispatch delay, as without kernel stamps). The kernel turns
 * receive stamping on through a workqueue when the first socket asks for
 * it, so packets of the first milliseconds after icmp_pinger_new() may be
 * stamped only when read - the same as the monotonic fallback.
 *
 * Invariants: an echo is either queued (on its family's send queue, not
 * sent) or sent (timer armed for the reply deadline); in both cases it
 * sits in slot[seq]. It is unlinked from everything and freed before its
 * callback runs. The pinger struct outlives a callback that frees it
 * (busy/doomed): the read and kick loops stop at once and the struct goes
 * when the outermost of them returns.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "probe/icmp.h"
#include "util/cursor.h"
#include "util/strutil.h"

#ifndef ICMP_FILTER
#define ICMP_FILTER 1 /* <linux/icmp.h>, SOL_RAW level: bitmask of ICMPv4 types to drop */
#endif

#define SEQ_SLOTS 65536u
#define READS_PER_WAKEUP 256
#define RXBUF_SIZE 65600u /* any IPv4 datagram, any ICMPv6 message short of jumbograms */
#define SEND_RETRY_NS 1000000ull
#define RCVBUF_WANT (1 << 20)

enum kind { K_NONE = 0, K_PING, K_RAW };

struct echo {
    struct isock *s;
    struct echo *qprev, *qnext; /* send queue links while not sent */
    uint16_t seq, gen;
    bool sent;
    uint8_t addr[16];
    uint64_t cookie;
    uint64_t timeout_ns;
    uint64_t t_mono, t_real; /* at send */
    icmp_cb cb;
    void *arg;
    struct loop_timer timer;
};

struct isock {
    struct icmp_pinger *p;
    int family;
    int fd; /* -1 for none */
    enum kind kind;
    uint16_t ident;
    char why[200];        /* K_NONE: why */
    struct echo **slot;   /* SEQ_SLOTS, allocated at the first echo */
    size_t inflight;
    uint16_t next_seq, gen;
    struct echo *qhead, *qtail;
    struct icmp_counters c;
};

struct icmp_pinger {
    struct loop *loop;
    struct icmp_config cfg;
    struct isock s4, s6;
    struct loop_timer kick;
    uint64_t rng;
    int busy;
    bool doomed;
    uint8_t *rx;   /* RXBUF_SIZE */
    uint8_t *tx;   /* 8 + payload */
};

/* ---------------------------------------------------------------- names */

void icmp_config_defaults(struct icmp_config *c)
{
    memset(c, 0, sizeof *c);
    c->mode = ICMP_MODE_AUTO;
    c->payload_size = ICMP_DEFAULT_PAYLOAD;
}

const char *icmp_status_name(enum icmp_status s)
{
    switch (s) {
    case ICMP_REPLY: return "reply";
    case ICMP_TIMEOUT: return "timeout";
    case ICMP_ERROR: return "error";
    case ICMP_LOCAL: return "local error";
    }
    return "?";
}

const char *icmp_ignore_name(enum icmp_ignore why)
{
    switch (why) {
    case ICMP_IGN_MALFORMED: return "malformed";
    case ICMP_IGN_CHECKSUM: return "bad checksum";
    case ICMP_IGN_OTHER_TYPE: return "other ICMP type";
    case ICMP_IGN_OTHER_PACKET: return "error about another packet";
    case ICMP_IGN_FOREIGN_ID: return "foreign identifier";
    case ICMP_IGN_UNKNOWN_SEQ: return "no echo waiting on that sequence";
    case ICMP_IGN_ADDRESS: return "address mismatch";
    case ICMP_IGN_PAYLOAD: return "payload mismatch";
    case ICMP_IGN_SOCKET_ERROR: return "socket error";
    case ICMP_IGN__COUNT: break;
    }
    return "?";
}

static const char *unreach4(uint8_t code)
{
    static const char *const n[] = {
        "network unreachable", "host unreachable", "protocol unreachable", "port unreachable",
        "fragmentation needed", "source route failed", "destination network unknown",
        "destination host unknown", "source host isolated",
        "network administratively prohibited", "host administratively prohibited",
        "network unreachable for type of service", "host unreachable for type of service",
        "communication administratively prohibited", "host precedence violation",
        "precedence cutoff in effect",
    };
    return code < sizeof n / sizeof n[0] ? n[code] : NULL;
}

static const char *unreach6(uint8_t code)
{
    static const char *const n[] = {
        "no route to destination", "administratively prohibited",
        "beyond scope of source address", "address unreachable", "port unreachable",
        "source address failed ingress/egress policy", "reject route to destination",
        "error in source routing header",
    };
    return code < sizeof n / sizeof n[0] ? n[code] : NULL;
}

char *icmp_error_text(int family, uint8_t type, uint8_t code, uint32_t info, char *buf,
                      size_t len)
{
    if (!buf || len == 0)
        return buf;
    const char *what = NULL, *sub = NULL;
    char tmp[48];
    tmp[0] = '\0';
    if (family == 4) {
        switch (type) {
        case 3:
            what = "destination unreachable";
            sub = unreach4(code);
            if (code == 4 && (info & 0xffffu)) {
                snprintf(tmp, sizeof tmp, "fragmentation needed, mtu %u", (unsigned)(info & 0xffffu));
                sub = tmp;
            }
            break;
        case 11:
            what = "time exceeded";
            sub = code == 0 ? "time to live exceeded in transit"
                  : code == 1 ? "fragment reassembly time exceeded" : NULL;
            break;
        case 12:
            what = "parameter problem";
            snprintf(tmp, sizeof tmp, "pointer %u", (unsigned)(info >> 24));
            sub = code == 0 ? tmp : code == 1 ? "missing a required option" : code == 2 ? "bad length" : NULL;
            break;
        default: break;
        }
    } else {
        switch (type) {
        case 1:
            what = "destination unreachable";
            sub = unreach6(code);
            break;
        case 2:
            what = "packet too big";
            snprintf(tmp, sizeof tmp, "mtu %lu", (unsigned long)info);
            sub = tmp;
            break;
        case 3:
            what = "time exceeded";
            sub = code == 0 ? "hop limit exceeded in transit"
                  : code == 1 ? "fragment reassembly time exceeded" : NULL;
            break;
        case 4:
            what = "parameter problem";
            sub = code == 0   ? "erroneous header field"
                  : code == 1 ? "unrecognized next header"
                  : code == 2 ? "unrecognized IPv6 option" : NULL;
            if (sub) {
                snprintf(tmp, sizeof tmp, "%s at byte %lu", sub, (unsigned long)info);
                sub = tmp;
            }
            break;
        default: break;
        }
    }
    if (!what)
        snprintf(buf, len, "ICMP%s type %u code %u", family == 6 ? "v6" : "", type, code);
    else if (!sub)
        snprintf(buf, len, "%s (code %u)", what, code);
    else
        snprintf(buf, len, "%s (%s)", what, sub);
    return buf;
}

/* -------------------------------------------------------------- parsing */

uint16_t icmp_checksum(const uint8_t *buf, size_t len)
{
    uint64_t sum = 0;
    size_t i = 0;
    for (; i + 1 < len; i += 2)
        sum += (uint64_t)load_be16(buf + i);
    if (i < len)
        sum += (uint64_t)buf[i] << 8; /* odd length: pad with a zero byte */
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

static void wire_clear(struct icmp_wire *w)
{
    memset(w, 0, sizeof *w);
    w->kind = ICMP_WIRE_IGNORED;
    w->why = ICMP_IGN_MALFORMED;
}

static bool is_error_type(int family, uint8_t type)
{
    if (family == 4)
        return type == 3 || type == 11 || type == 12;
    return type >= 1 && type <= 4;
}

/* The echo request header at c (8 bytes) and its data: false (w->why set)
 * when it is not one. */
static bool read_echo_request(int family, struct cursor *c, struct icmp_wire *w)
{
    uint8_t type = cursor_u8(c);
    uint8_t code = cursor_u8(c);
    cursor_skip(c, 2); /* checksum: a quote may be cut, nothing to verify */
    uint16_t id = cursor_be16(c);
    uint16_t seq = cursor_be16(c);
    if (c->short_read) {
        w->why = ICMP_IGN_MALFORMED;
        return false;
    }
    if (type != (family == 6 ? 128 : 8) || code != 0) {
        w->why = ICMP_IGN_OTHER_PACKET;
        return false;
    }
    w->id = id;
    w->seq = seq;
    w->data_len = cursor_left(c);
    w->data = w->data_len ? c->p : NULL;
    return true;
}

/* The invoking packet of an error: an IPv4 or IPv6 header (with extension
 * headers) and our echo request. */
static bool read_quoted(int family, struct cursor *c, struct icmp_wire *w)
{
    if (family == 4) {
        const uint8_t *h = cursor_peek(c, 20);
        if (!h) {
            w->why = ICMP_IGN_MALFORMED;
            return false;
        }
        size_t ihl = (size_t)(h[0] & 0x0f) * 4;
        if ((h[0] >> 4) != 4 || ihl < 20 || !cursor_has(c, ihl)) {
            w->why = ICMP_IGN_MALFORMED;
            return false;
        }
        size_t tot = load_be16(h + 2);
        uint8_t proto = h[9];
        uint16_t frag = load_be16(h + 6) & 0x1fff;
        memcpy(w->orig_dst, h + 16, 4);
        w->have_orig_dst = true;
        cursor_skip(c, ihl);
        if (proto != 1 || frag != 0) {
            w->why = ICMP_IGN_OTHER_PACKET;
            return false;
        }
        /* The quote may be longer than the original (RFC 4884 padding):
         * the request ends where its total length says. */
        if (tot >= ihl && tot - ihl < cursor_left(c)) {
            struct cursor sub = cursor_sub(c, tot - ihl);
            *c = sub;
        }
        return read_echo_request(4, c, w);
    }
    const uint8_t *h = cursor_peek(c, 40);
    if (!h || (h[0] >> 4) != 6) {
        w->why = ICMP_IGN_MALFORMED;
        return false;
    }
    size_t plen = load_be16(h + 4);
    uint8_t nh = h[6];
    memcpy(w->orig_dst, h + 24, 16);
    w->have_orig_dst = true;
    cursor_skip(c, 40);
    if (plen < cursor_left(c) && plen > 0) {
        struct cursor sub = cursor_sub(c, plen);
        *c = sub;
    }
    /* Extension headers our own request could have gained on the way
     * (hop-by-hop, routing, fragment, destination options, AH); a bounded
     * walk. */
    for (int hops = 0; hops < 8 && nh != 58; hops++) {
        const uint8_t *x = cursor_peek(c, 8);
        if (!x) {
            w->why = ICMP_IGN_MALFORMED;
            return false;
        }
        size_t xl;
        if (nh == 0 || nh == 43 || nh == 60) {
            xl = ((size_t)x[1] + 1) * 8;
        } else if (nh == 44) {
            if ((load_be16(x + 2) & 0xfff8) != 0) { /* not the first fragment */
                w->why = ICMP_IGN_OTHER_PACKET;
                return false;
            }
            xl = 8;
        } else if (nh == 51) {
            xl = ((size_t)x[1] + 2) * 4;
        } else {
            break;
        }
        nh = x[0];
        if (!cursor_skip(c, xl)) {
            w->why = ICMP_IGN_MALFORMED;
            return false;
        }
    }
    if (nh != 58) {
        w->why = ICMP_IGN_OTHER_PACKET;
        return false;
    }
    return read_echo_request(6, c, w);
}

void icmp_parse(int family, bool ip_header, bool verify_sum, const uint8_t *buf, size_t len,
                struct icmp_wire *w)
{
    wire_clear(w);
    if (!buf || (family != 4 && family != 6))
        return;
    struct cursor c;
    cursor_init(&c, buf, len);
    if (family == 4 && ip_header) {
        const uint8_t *h = cursor_peek(&c, 20);
        if (!h)
            return;
        size_t ihl = (size_t)(h[0] & 0x0f) * 4;
        size_t tot = load_be16(h + 2);
        if ((h[0] >> 4) != 4 || ihl < 20 || tot < ihl || tot > len || h[9] != 1 ||
            (load_be16(h + 6) & 0x3fff) != 0) /* MF or an offset: the kernel reassembles first */
            return;
        memcpy(w->src, h + 12, 4);
        w->have_src = true;
        cursor_skip(&c, ihl);
        struct cursor msg = cursor_sub(&c, tot - ihl);
        c = msg;
    }
    if (!cursor_has(&c, 8))
        return;
    if (family == 4 && verify_sum && icmp_checksum(c.p, cursor_left(&c)) != 0) {
        w->why = ICMP_IGN_CHECKSUM;
        return;
    }
    w->type = cursor_u8(&c);
    w->code = cursor_u8(&c);
    cursor_skip(&c, 2);
    if (w->type == (family == 6 ? 129 : 0)) {
        if (w->code != 0) {
            w->why = ICMP_IGN_OTHER_TYPE;
            return;
        }
        w->id = cursor_be16(&c);
        w->seq = cursor_be16(&c);
        w->data_len = cursor_left(&c);
        w->data = w->data_len ? c.p : NULL;
        w->kind = ICMP_WIRE_REPLY;
        return;
    }
    if (!is_error_type(family, w->type)) {
        w->why = ICMP_IGN_OTHER_TYPE;
        return;
    }
    w->info = cursor_be32(&c);
    if (read_quoted(family, &c, w))
        w->kind = ICMP_WIRE_ERROR;
}

bool icmp_parse_quoted_echo(int family, const uint8_t *buf, size_t len, struct icmp_wire *w)
{
    wire_clear(w);
    if (!buf || (family != 4 && family != 6))
        return false;
    struct cursor c;
    cursor_init(&c, buf, len);
    return read_echo_request(family, &c, w);
}

/* -------------------------------------------------------------- helpers */

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_next(struct icmp_pinger *p)
{
    /* xorshift64*: the cookie only has to differ between echoes and be
     * unknown to other processes' pingers, not resist an attacker on path
     * (who sees the request anyway). */
    uint64_t x = p->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    p->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static struct isock *sock_of(struct icmp_pinger *p, int family)
{
    return family == 6 ? &p->s6 : family == 4 ? &p->s4 : NULL;
}

static const struct isock *csock_of(const struct icmp_pinger *p, int family)
{
    return family == 6 ? &p->s6 : family == 4 ? &p->s4 : NULL;
}

static size_t alen(int family)
{
    return family == 6 ? 16 : 4;
}

static void addr_str(int family, const uint8_t *a, char *buf, size_t len)
{
    if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
        util_strlcpy(buf, "?", len);
}

/* snprintf for sentences that may be cut at the buffer's end (addresses
 * and reasons of unknown length; a cut detail is acceptable). */
static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

/* strerror() with a lowercase first letter, to sit inside a sentence. */
static void errno_text(int err, char *buf, size_t len)
{
    util_strlcpy(buf, strerror(err), len);
    if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
        buf[0] = (char)(buf[0] - 'A' + 'a');
}

static size_t to_sockaddr(int family, const uint8_t *addr, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (family == 6) {
        struct sockaddr_in6 s6;
        memset(&s6, 0, sizeof s6);
        s6.sin6_family = AF_INET6;
        memcpy(&s6.sin6_addr, addr, 16);
        memcpy(ss, &s6, sizeof s6);
        return sizeof s6;
    }
    struct sockaddr_in s4;
    memset(&s4, 0, sizeof s4);
    s4.sin_family = AF_INET;
    memcpy(&s4.sin_addr, addr, 4);
    memcpy(ss, &s4, sizeof s4);
    return sizeof s4;
}

/* The address in a msg_name of the socket's family; false if none. */
static bool from_sockaddr(int family, const struct sockaddr_storage *ss, socklen_t sl,
                          uint8_t out[16])
{
    memset(out, 0, 16);
    if (family == 6 && ss->ss_family == AF_INET6 && sl >= (socklen_t)sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 s6;
        memcpy(&s6, ss, sizeof s6);
        memcpy(out, &s6.sin6_addr, 16);
        return true;
    }
    if (family == 4 && ss->ss_family == AF_INET && sl >= (socklen_t)sizeof(struct sockaddr_in)) {
        struct sockaddr_in s4;
        memcpy(&s4, ss, sizeof s4);
        memcpy(out, &s4.sin_addr, 4);
        return true;
    }
    return false;
}

/* ------------------------------------------------------------- sockets */

static void on_readable(void *arg, int fd, unsigned events);

static int open_ping(struct isock *s, char *why, size_t wlen)
{
    int fam = s->family == 6 ? AF_INET6 : AF_INET;
    int fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    s->family == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
    if (fd < 0) {
        int err = errno;
        char et[80];
        errno_text(err, et, sizeof et);
        say(why, wlen, "ping socket: %s%s", et,
                 err == EACCES ? " (group not in net.ipv4.ping_group_range)" : "");
        return -1;
    }
    /* Bind with identifier 0: the kernel picks a free one now, so we can
     * read it back (and check replies against it). */
    struct sockaddr_storage ss;
    uint8_t any[16] = {0};
    socklen_t sl = (socklen_t)to_sockaddr(s->family, any, &ss);
    int one = 1;
    bool ok = bind(fd, (struct sockaddr *)&ss, sl) == 0;
    if (ok)
        ok = s->family == 6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one) == 0
                            : setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one) == 0;
    sl = sizeof ss;
    if (ok)
        ok = getsockname(fd, (struct sockaddr *)&ss, &sl) == 0;
    if (!ok) {
        char et[80];
        errno_text(errno, et, sizeof et);
        say(why, wlen, "ping socket: cannot set it up: %s", et);
        close(fd);
        return -1;
    }
    if (s->family == 6) {
        struct sockaddr_in6 s6;
        memcpy(&s6, &ss, sizeof s6);
        s->ident = ntohs(s6.sin6_port);
    } else {
        struct sockaddr_in s4;
        memcpy(&s4, &ss, sizeof s4);
        s->ident = ntohs(s4.sin_port);
    }
    return fd;
}

static int open_raw(struct isock *s, uint16_t ident, char *why, size_t wlen)
{
    int fam = s->family == 6 ? AF_INET6 : AF_INET;
    int fd = socket(fam, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    s->family == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
    if (fd < 0) {
        int err = errno;
        char et[80];
        errno_text(err, et, sizeof et);
        say(why, wlen, "raw socket: %s%s", et,
                 err == EPERM || err == EACCES ? " (needs CAP_NET_RAW)" : "");
        return -1;
    }
    int rc;
    if (s->family == 6) {
        struct icmp6_filter f;
        ICMP6_FILTER_SETBLOCKALL(&f);
        ICMP6_FILTER_SETPASS(129, &f);
        for (int t = 1; t <= 4; t++)
            ICMP6_FILTER_SETPASS(t, &f);
        rc = setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f);
    } else {
        uint32_t block = ~((1u << 0) | (1u << 3) | (1u << 11) | (1u << 12));
        rc = setsockopt(fd, SOL_RAW, ICMP_FILTER, &block, sizeof block);
    }
    if (rc < 0) {
        char et[80];
        errno_text(errno, et, sizeof et);
        say(why, wlen, "raw socket: cannot set the ICMP filter: %s", et);
        close(fd);
        return -1;
    }
    s->ident = ident;
    return fd;
}

static void sock_open(struct icmp_pinger *p, struct isock *s, uint16_t raw_ident)
{
    char w1[100] = "", w2[100] = "";
    int fd = -1;
    enum icmp_mode m = p->cfg.mode;
    if (m == ICMP_MODE_PING || m == ICMP_MODE_AUTO) {
        fd = open_ping(s, w1, sizeof w1);
        if (fd >= 0)
            s->kind = K_PING;
    }
    if (fd < 0 && (m == ICMP_MODE_RAW || m == ICMP_MODE_AUTO)) {
        fd = open_raw(s, raw_ident, w2, sizeof w2);
        if (fd >= 0)
            s->kind = K_RAW;
    }
    if (fd < 0) {
        s->kind = K_NONE;
        say(s->why, sizeof s->why, "%s%s%s", w1, w1[0] && w2[0] ? "; " : "", w2);
        return;
    }
    int one = 1;
    int big = RCVBUF_WANT;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big); /* capped at rmem_max */
    (void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    if (p->cfg.hop_limit) {
        int hl = (int)p->cfg.hop_limit;
        if (s->family == 6)
            (void)setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hl, sizeof hl);
        else
            (void)setsockopt(fd, IPPROTO_IP, IP_TTL, &hl, sizeof hl);
    }
    s->fd = fd;
}

/* ------------------------------------------------------------ lifecycle */

static void on_kick(void *arg);

struct icmp_pinger *icmp_pinger_new(struct loop *loop, const struct icmp_config *cfg,
                                    struct errbuf *e)
{
    struct icmp_config def;
    if (!cfg) {
        icmp_config_defaults(&def);
        cfg = &def;
    }
    if (!loop) {
        errbuf_set(e, V6M_ERR_INVALID_ARG, "icmp: no event loop");
        return NULL;
    }
    if (cfg->mode != ICMP_MODE_AUTO && cfg->mode != ICMP_MODE_PING && cfg->mode != ICMP_MODE_RAW) {
        errbuf_set(e, V6M_ERR_INVALID_ARG, "icmp: unknown socket mode %d", (int)cfg->mode);
        return NULL;
    }
    if (cfg->payload_size > ICMP_MAX_PAYLOAD) {
        errbuf_set(e, V6M_ERR_INVALID_ARG, "icmp: payload size %zu is above the limit of %u",
                   cfg->payload_size, ICMP_MAX_PAYLOAD);
        return NULL;
    }
    if (cfg->hop_limit > 255) {
        errbuf_set(e, V6M_ERR_INVALID_ARG, "icmp: hop limit %u is above 255", cfg->hop_limit);
        return NULL;
    }
    struct icmp_pinger *p = calloc(1, sizeof *p);
    if (p) {
        p->rx = malloc(RXBUF_SIZE);
        p->tx = malloc(8 + cfg->payload_size);
    }
    if (!p || !p->rx || !p->tx) {
        if (p) {
            free(p->rx);
            free(p->tx);
        }
        free(p);
        errbuf_set(e, V6M_ERR_NOMEM, "icmp: out of memory");
        return NULL;
    }
    p->loop = loop;
    p->cfg = *cfg;
    loop_timer_init(&p->kick, on_kick, p);
    uint8_t seed[10];
    if (getrandom(seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
        /* no entropy yet (early boot): time and address still differ per run */
        uint64_t t = clock_ns(CLOCK_REALTIME) ^ (uint64_t)(uintptr_t)p;
        memcpy(seed, &t, 8);
        seed[8] = (uint8_t)getpid();
        seed[9] = (uint8_t)(getpid() >> 8);
    }
    memcpy(&p->rng, seed, 8);
    p->rng |= 1; /* xorshift must not start at 0 */
    uint16_t ident = (uint16_t)(seed[8] << 8 | seed[9]);
    struct isock *ss[2] = {&p->s4, &p->s6};
    for (int i = 0; i < 2; i++) {
        struct isock *s = ss[i];
        s->p = p;
        s->family = i == 0 ? 4 : 6;
        s->fd = -1;
        sock_open(p, s, i == 0 ? ident : (uint16_t)(ident ^ 0x5a5a));
        if (s->fd >= 0 && loop_watch(loop, s->fd, LOOP_READ, on_readable, s) < 0) {
            int err = errno;
            icmp_pinger_free(p);
            errbuf_set(e, V6M_ERR_IO, "icmp: cannot watch the socket: %s", strerror(err));
            return NULL;
        }
    }
    return p;
}

static void echo_unlink(struct echo *x)
{
    struct isock *s = x->s;
    loop_timer_cancel(s->p->loop, &x->timer);
    if (!x->sent) {
        if (x->qprev)
            x->qprev->qnext = x->qnext;
        else
            s->qhead = x->qnext;
        if (x->qnext)
            x->qnext->qprev = x->qprev;
        else
            s->qtail = x->qprev;
        x->qprev = x->qnext = NULL;
    }
    if (s->slot && s->slot[x->seq] == x) {
        s->slot[x->seq] = NULL;
        s->inflight--;
    }
}

static void sock_release(struct icmp_pinger *p, struct isock *s)
{
    if (s->slot) {
        for (size_t i = 0; i < SEQ_SLOTS; i++) {
            struct echo *x = s->slot[i];
            if (x) {
                echo_unlink(x);
                free(x);
            }
        }
        free(s->slot);
        s->slot = NULL;
    }
    s->qhead = s->qtail = NULL;
    if (s->fd >= 0) {
        loop_watch(p->loop, s->fd, 0, NULL, NULL);
        close(s->fd);
        s->fd = -1;
    }
}

static void pinger_destroy(struct icmp_pinger *p)
{
    free(p->rx);
    free(p->tx);
    free(p);
}

void icmp_pinger_free(struct icmp_pinger *p)
{
    if (!p || p->doomed)
        return;
    loop_timer_cancel(p->loop, &p->kick);
    sock_release(p, &p->s4);
    sock_release(p, &p->s6);
    p->doomed = true;
    if (p->busy == 0)
        pinger_destroy(p);
}

/* Enter / leave a stretch that calls user callbacks in a loop; leave
 * returns false when the pinger was freed meanwhile (and frees it when
 * this was the outermost stretch). */
static void enter(struct icmp_pinger *p)
{
    p->busy++;
}

static bool leave(struct icmp_pinger *p)
{
    p->busy--;
    if (p->doomed) {
        if (p->busy == 0)
            pinger_destroy(p);
        return false;
    }
    return true;
}

/* -------------------------------------------------------------- queries */

const char *icmp_socket_kind(const struct icmp_pinger *p, int family)
{
    const struct isock *s = p ? csock_of(p, family) : NULL;
    if (!s)
        return "none";
    return s->kind == K_PING ? "ping" : s->kind == K_RAW ? "raw" : "none";
}

const char *icmp_socket_error(const struct icmp_pinger *p, int family)
{
    const struct isock *s = p ? csock_of(p, family) : NULL;
    if (!s)
        return "no such address family";
    return s->kind == K_NONE ? s->why : "";
}

int icmp_socket_ident(const struct icmp_pinger *p, int family)
{
    const struct isock *s = p ? csock_of(p, family) : NULL;
    return s && s->kind != K_NONE ? (int)s->ident : -1;
}

const struct icmp_counters *icmp_get_counters(const struct icmp_pinger *p, int family)
{
    static const struct icmp_counters zero;
    const struct isock *s = p ? csock_of(p, family) : NULL;
    return s ? &s->c : &zero;
}

size_t icmp_outstanding(const struct icmp_pinger *p)
{
    return p ? p->s4.inflight + p->s6.inflight : 0;
}

/* ------------------------------------------------------------ outcomes */

static void finish(struct echo *x, struct icmp_result *r)
{
    struct isock *s = x->s;
    char a[INET6_ADDRSTRLEN];
    addr_str(s->family, x->addr, a, sizeof a);
    r->family = s->family;
    r->seq = x->seq;
    switch (r->status) {
    case ICMP_REPLY:
        s->c.replies++;
        snprintf(r->detail, sizeof r->detail, "%s: echo reply in %.3f ms", a,
                 (double)r->rtt_ns / 1e6);
        break;
    case ICMP_TIMEOUT: {
        s->c.timeouts++;
        uint64_t ns = x->timeout_ns;
        if (ns % 1000000000ull == 0)
            snprintf(r->detail, sizeof r->detail, "%s: no echo reply within %llu s", a,
                     (unsigned long long)(ns / 1000000000ull));
        else if (ns % 1000000ull == 0)
            snprintf(r->detail, sizeof r->detail, "%s: no echo reply within %llu ms", a,
                     (unsigned long long)(ns / 1000000ull));
        else
            snprintf(r->detail, sizeof r->detail, "%s: no echo reply within %.3f ms", a,
                     (double)ns / 1e6);
        break;
    }
    case ICMP_ERROR: {
        s->c.errors++;
        char what[96], by[INET6_ADDRSTRLEN];
        icmp_error_text(s->family, r->err_type, r->err_code, r->err_info, what, sizeof what);
        addr_str(s->family, r->from, by, sizeof by);
        say(r->detail, sizeof r->detail, "%s: %s from %s", a, what, by);
        break;
    }
    case ICMP_LOCAL:
        s->c.local++;
        break; /* the caller wrote the detail */
    }
    icmp_cb cb = x->cb;
    void *arg = x->arg;
    echo_unlink(x);
    free(x);
    cb(arg, r);
}

static void finish_local(struct echo *x, int err, const char *why)
{
    struct icmp_result r;
    memset(&r, 0, sizeof r);
    r.status = ICMP_LOCAL;
    r.local_errno = err;
    char a[INET6_ADDRSTRLEN], et[96];
    addr_str(x->s->family, x->addr, a, sizeof a);
    if (!why) {
        errno_text(err, et, sizeof et);
        why = et;
    }
    say(r.detail, sizeof r.detail, "%s: cannot send the echo request: %s", a, why);
    finish(x, &r);
}

static void on_echo_timer(void *arg)
{
    struct echo *x = arg;
    if (!x->sent) {
        finish_local(x, EAGAIN, "the socket's send buffer stayed full");
        return;
    }
    struct icmp_result r;
    memset(&r, 0, sizeof r);
    r.status = ICMP_TIMEOUT;
    finish(x, &r);
}

/* --------------------------------------------------------------- start */

int icmp_echo_start(struct icmp_pinger *p, int family, const uint8_t addr[16],
                    uint64_t timeout_ns, icmp_cb cb, void *arg)
{
    struct isock *s = p && !p->doomed ? sock_of(p, family) : NULL;
    if (!s || !addr || !cb) {
        errno = EINVAL;
        return -1;
    }
    if (!s->slot) {
        s->slot = calloc(SEQ_SLOTS, sizeof *s->slot);
        if (!s->slot) {
            errno = ENOMEM;
            return -1;
        }
    }
    if (s->inflight >= SEQ_SLOTS - 1) {
        errno = EBUSY;
        return -1;
    }
    struct echo *x = calloc(1, sizeof *x);
    if (!x) {
        errno = ENOMEM;
        return -1;
    }
    uint16_t seq = s->next_seq;
    while (s->slot[seq])
        seq++;
    s->next_seq = (uint16_t)(seq + 1);
    s->gen = (uint16_t)((s->gen + 1) & 0x3fff);
    x->s = s;
    x->seq = seq;
    x->gen = s->gen;
    memcpy(x->addr, addr, alen(family));
    x->cookie = rng_next(p);
    x->timeout_ns = timeout_ns ? timeout_ns : ICMP_DEFAULT_TIMEOUT_NS;
    x->cb = cb;
    x->arg = arg;
    loop_timer_init(&x->timer, on_echo_timer, x);
    s->slot[seq] = x;
    s->inflight++;
    x->qprev = s->qtail;
    if (s->qtail)
        s->qtail->qnext = x;
    else
        s->qhead = x;
    s->qtail = x;
    s->c.started++;
    /* bounds the time in the send queue; re-armed at the send */
    loop_timer_after(p->loop, &x->timer, x->timeout_ns);
    if (!loop_timer_armed(&p->kick))
        loop_timer_after(p->loop, &p->kick, 0);
    return (family == 6 ? 1 << 30 : 0) | (int)x->gen << 16 | (int)seq;
}

int icmp_echo_cancel(struct icmp_pinger *p, int ticket)
{
    if (!p || p->doomed || ticket < 0)
        return -1;
    struct isock *s = (ticket >> 30) & 1 ? &p->s6 : &p->s4;
    uint16_t seq = (uint16_t)(ticket & 0xffff);
    uint16_t gen = (uint16_t)((ticket >> 16) & 0x3fff);
    struct echo *x = s->slot ? s->slot[seq] : NULL;
    if (!x || x->gen != gen)
        return -1;
    s->c.cancelled++;
    echo_unlink(x);
    free(x);
    return 0;
}

/* ---------------------------------------------------------------- send */

static void build_request(struct icmp_pinger *p, struct isock *s, const struct echo *x,
                          size_t *len)
{
    uint8_t *b = p->tx;
    size_t n = p->cfg.payload_size;
    b[0] = s->family == 6 ? 128 : 8;
    b[1] = 0;
    store_be16(b + 2, 0);
    store_be16(b + 4, s->ident); /* a ping socket overwrites it with its own */
    store_be16(b + 6, x->seq);
    size_t i = 0;
    if (n >= 8) {
        for (; i < 8; i++)
            b[8 + i] = (uint8_t)(x->cookie >> (56 - 8 * i));
    }
    for (; i < n; i++)
        b[8 + i] = (uint8_t)(i & 0xff);
    if (s->family == 4 && s->kind == K_RAW)
        store_be16(b + 2, icmp_checksum(b, 8 + n));
    *len = 8 + n;
}

/* Send one queued echo. Returns false when the socket cannot take more
 * now (EAGAIN/ENOBUFS: the echo stays queued). */
static bool send_one(struct icmp_pinger *p, struct isock *s, struct echo *x)
{
    if (s->kind == K_NONE) {
        char why[200];
        say(why, sizeof why, "no ICMP%s socket: %s", s->family == 6 ? "v6" : "", s->why);
        finish_local(x, EACCES, why);
        return true;
    }
    size_t len;
    build_request(p, s, x, &len);
    struct sockaddr_storage ss;
    socklen_t sl = (socklen_t)to_sockaddr(s->family, x->addr, &ss);
    uint64_t t_real = clock_ns(CLOCK_REALTIME);
    uint64_t t_mono = loop_update_time(p->loop);
    ssize_t n;
    /* A ping socket with IP_RECVERR keeps the errno of the last ICMP
     * error as a pending socket error (its details are on the error
     * queue), and the next sendto() fails with it once, consuming it: an
     * error about another echo. So a ping socket's failed send is tried
     * again; a real local failure (no route...) fails again. */
    int tries = s->kind == K_PING ? 3 : 1;
    for (;;) {
        n = sendto(s->fd, p->tx, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl);
        if (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
            break;
        if (errno != EINTR && --tries <= 0)
            break;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
        return false;
    if (n < 0) {
        finish_local(x, errno, NULL);
        return true;
    }
    s->c.sent++;
    /* off the send queue */
    s->qhead = x->qnext;
    if (s->qhead)
        s->qhead->qprev = NULL;
    else
        s->qtail = NULL;
    x->qnext = x->qprev = NULL;
    x->sent = true;
    x->t_mono = t_mono;
    x->t_real = t_real;
    loop_timer_set(p->loop, &x->timer, t_mono + x->timeout_ns);
    return true;
}

static void on_kick(void *arg)
{
    struct icmp_pinger *p = arg;
    bool more = false, blocked = false;
    enter(p);
    struct isock *ss[2] = {&p->s4, &p->s6};
    for (int i = 0; i < 2 && !p->doomed; i++) {
        struct isock *s = ss[i];
        for (unsigned k = 0; k < ICMP_SEND_BATCH && s->qhead && !p->doomed; k++) {
            if (!send_one(p, s, s->qhead)) {
                blocked = true;
                break;
            }
        }
        if (!p->doomed && s->qhead)
            more = true;
    }
    if (!leave(p))
        return;
    if (more)
        loop_timer_after(p->loop, &p->kick, blocked ? SEND_RETRY_NS : 0);
}

/* ------------------------------------------------------------- receive */

struct rxmeta {
    uint64_t t_mono;      /* loop clock when read */
    uint64_t t_kernel;    /* SO_TIMESTAMPNS (realtime), 0 if none */
};

static uint64_t rtt_of(const struct echo *x, const struct rxmeta *m)
{
    uint64_t mono = m->t_mono > x->t_mono ? m->t_mono - x->t_mono : 0;
    if (m->t_kernel && m->t_kernel >= x->t_real) {
        uint64_t k = m->t_kernel - x->t_real;
        if (k <= mono)
            return k;
    }
    return mono;
}

/* The echo a packet's (identifier, sequence) names, or NULL with the
 * reason counted. */
static struct echo *lookup(struct isock *s, uint16_t id, uint16_t seq)
{
    if (id != s->ident) {
        s->c.ignored[ICMP_IGN_FOREIGN_ID]++;
        return NULL;
    }
    struct echo *x = s->slot ? s->slot[seq] : NULL;
    if (!x || !x->sent) {
        s->c.ignored[ICMP_IGN_UNKNOWN_SEQ]++;
        return NULL;
    }
    return x;
}

static bool cookie_ok(const struct icmp_pinger *p, const struct echo *x, const uint8_t *data,
                      size_t n, bool quote)
{
    if (p->cfg.payload_size < 8)
        return true;
    if (n < 8)
        return quote; /* a quote may be cut short (RFC 792: 8 bytes); a reply may not */
    for (int i = 0; i < 8; i++)
        if (data[i] != (uint8_t)(x->cookie >> (56 - 8 * i)))
            return false;
    return true;
}

static void handle_packet(struct isock *s, const uint8_t *buf, size_t n, const uint8_t *name_addr,
                          bool have_name, const struct rxmeta *m)
{
    struct icmp_pinger *p = s->p;
    struct icmp_wire w;
    bool raw4 = s->kind == K_RAW && s->family == 4;
    icmp_parse(s->family, raw4, raw4, buf, n, &w);
    if (w.kind == ICMP_WIRE_IGNORED) {
        s->c.ignored[w.why]++;
        return;
    }
    uint8_t from[16];
    memset(from, 0, sizeof from);
    if (w.have_src)
        memcpy(from, w.src, 4);
    else if (have_name)
        memcpy(from, name_addr, 16);
    else {
        s->c.ignored[ICMP_IGN_MALFORMED]++;
        return;
    }
    if (w.kind == ICMP_WIRE_ERROR && s->kind == K_PING) {
        /* a ping socket's errors come on the error queue; an ICMP error
         * in the normal queue is not something the kernel sends us */
        s->c.ignored[ICMP_IGN_OTHER_TYPE]++;
        return;
    }
    struct echo *x = lookup(s, w.id, w.seq);
    if (!x)
        return;
    const uint8_t *target = w.kind == ICMP_WIRE_REPLY ? from : w.orig_dst;
    if (memcmp(target, x->addr, alen(s->family)) != 0) {
        s->c.ignored[ICMP_IGN_ADDRESS]++;
        return;
    }
    if (!cookie_ok(p, x, w.data, w.data_len, w.kind == ICMP_WIRE_ERROR)) {
        s->c.ignored[ICMP_IGN_PAYLOAD]++;
        return;
    }
    struct icmp_result r;
    memset(&r, 0, sizeof r);
    r.rtt_ns = rtt_of(x, m);
    memcpy(r.from, from, 16);
    if (w.kind == ICMP_WIRE_REPLY) {
        r.status = ICMP_REPLY;
    } else {
        r.status = ICMP_ERROR;
        r.err_type = w.type;
        r.err_code = w.code;
        r.err_info = w.info;
    }
    finish(x, &r);
}

/* One MSG_ERRQUEUE message of a ping socket. */
static void handle_errqueue(struct isock *s, const uint8_t *buf, size_t n, struct msghdr *msg,
                            const uint8_t *name_addr, bool have_name, const struct rxmeta *m)
{
    struct icmp_pinger *p = s->p;
    struct sock_extended_err ee;
    bool have_ee = false;
    uint8_t offender[16];
    memset(offender, 0, sizeof offender);
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
        bool is_err = (s->family == 4 && cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR) ||
                      (s->family == 6 && cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_RECVERR);
        if (!is_err)
            continue;
        size_t dl = cm->cmsg_len > CMSG_LEN(0) ? cm->cmsg_len - CMSG_LEN(0) : 0;
        if (dl < sizeof ee)
            continue;
        const uint8_t *d = CMSG_DATA(cm);
        memcpy(&ee, d, sizeof ee);
        have_ee = true;
        /* SO_EE_OFFENDER: a sockaddr right after the struct */
        size_t off = sizeof ee;
        struct sockaddr_storage os;
        memset(&os, 0, sizeof os);
        size_t want = s->family == 6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
        if (dl >= off + want) {
            memcpy(&os, d + off, want);
            (void)from_sockaddr(s->family, &os, (socklen_t)want, offender);
        }
    }
    if (!have_ee) {
        s->c.ignored[ICMP_IGN_MALFORMED]++;
        return;
    }
    struct icmp_wire w;
    if (!icmp_parse_quoted_echo(s->family, buf, n, &w)) {
        s->c.ignored[w.why]++;
        return;
    }
    struct echo *x = lookup(s, w.id, w.seq);
    if (!x)
        return;
    if (!have_name || memcmp(name_addr, x->addr, alen(s->family)) != 0) {
        s->c.ignored[ICMP_IGN_ADDRESS]++;
        return;
    }
    if (!cookie_ok(p, x, w.data, w.data_len, true)) {
        s->c.ignored[ICMP_IGN_PAYLOAD]++;
        return;
    }
    struct icmp_result r;
    memset(&r, 0, sizeof r);
    if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6) {
        r.status = ICMP_ERROR;
        r.rtt_ns = rtt_of(x, m);
        r.err_type = ee.ee_type;
        r.err_code = ee.ee_code;
        r.err_info = ee.ee_info;
        memcpy(r.from, offender, 16);
        finish(x, &r);
    } else if (ee.ee_origin == SO_EE_ORIGIN_LOCAL) {
        finish_local(x, (int)ee.ee_errno, NULL);
    } else {
        s->c.ignored[ICMP_IGN_OTHER_TYPE]++;
    }
}

/* Read one message (normal or error queue). Returns the byte count, -1 at
 * EAGAIN, -2 on another error (counted). */
static ssize_t read_one(struct isock *s, bool errq, struct rxmeta *m, struct msghdr *msg,
                        struct sockaddr_storage *name, uint8_t *ctl, size_t ctl_len,
                        struct iovec *iov)
{
    memset(msg, 0, sizeof *msg);
    iov->iov_base = s->p->rx;
    iov->iov_len = RXBUF_SIZE;
    msg->msg_name = name;
    msg->msg_namelen = sizeof *name;
    msg->msg_iov = iov;
    msg->msg_iovlen = 1;
    msg->msg_control = ctl;
    msg->msg_controllen = ctl_len;
    ssize_t n;
    do {
        n = recvmsg(s->fd, msg, MSG_DONTWAIT | (errq ? MSG_ERRQUEUE : 0));
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return -1;
        s->c.ignored[ICMP_IGN_SOCKET_ERROR]++;
        return -2;
    }
    m->t_mono = loop_update_time(s->p->loop);
    m->t_kernel = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS &&
            cm->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(cm), sizeof ts);
            if (ts.tv_sec > 0)
                m->t_kernel = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
        }
    }
    if (msg->msg_flags & MSG_TRUNC) {
        s->c.ignored[ICMP_IGN_MALFORMED]++;
        return -3;
    }
    return n;
}

static void on_readable(void *arg, int fd, unsigned events)
{
    (void)fd;
    struct isock *s = arg;
    struct icmp_pinger *p = s->p;
    union {
        struct cmsghdr align;
        uint8_t b[512];
    } ctl;
    struct msghdr msg;
    struct iovec iov;
    struct sockaddr_storage name;
    struct rxmeta m;
    uint8_t na[16];
    enter(p);
    /* The error queue first: reading it also clears the pending socket
     * error that would otherwise fail the next ordinary recvmsg(). */
    if (s->kind == K_PING && (events & LOOP_ERROR)) {
        for (int i = 0; i < READS_PER_WAKEUP && !p->doomed; i++) {
            ssize_t n = read_one(s, true, &m, &msg, &name, ctl.b, sizeof ctl.b, &iov);
            if (n == -1 || n == -2)
                break;
            if (n < 0)
                continue;
            bool hn = from_sockaddr(s->family, &name, msg.msg_namelen, na);
            handle_errqueue(s, p->rx, (size_t)n, &msg, na, hn, &m);
        }
    }
    for (int i = 0; i < READS_PER_WAKEUP && !p->doomed; i++) {
        ssize_t n = read_one(s, false, &m, &msg, &name, ctl.b, sizeof ctl.b, &iov);
        if (n == -1 || n == -2)
            break; /* -2: a pending socket error, consumed; level-triggered epoll calls again */
        if (n < 0)
            continue; /* truncated, counted */
        bool hn = from_sockaddr(s->family, &name, msg.msg_namelen, na);
        handle_packet(s, p->rx, (size_t)n, na, hn, &m);
    }
    leave(p);
}
