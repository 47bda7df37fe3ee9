/*
 * probe/icmp.h - ICMP and ICMPv6 echo ("ping") on the prober's event loop:
 * packet loss and round-trip time per family for `v6mon kpi` (issue 5).
 *
 * One pinger owns at most one socket per family and keeps any number of
 * echoes in flight on them (up to 65,535 per family: the sequence number
 * is the key). The design, the wire formats and the matching rules are in
 * the comment at the top of icmp.c.
 *
 * Sockets (icmp_config.mode):
 *   ICMP_MODE_PING  Linux "ping sockets": SOCK_DGRAM + IPPROTO_ICMP /
 *                   IPPROTO_ICMPV6, allowed to unprivileged users whose
 *                   group is inside net.ipv4.ping_group_range (a per
 *                   network namespace sysctl that also governs ICMPv6).
 *                   The kernel chooses the echo identifier and hands the
 *                   socket only the replies carrying it.
 *   ICMP_MODE_RAW   SOCK_RAW, needs CAP_NET_RAW. The pinger chooses a
 *                   random identifier; the socket sees every ICMP packet
 *                   of the host, so other processes' echo replies arrive
 *                   too and are counted as ignored ("foreign identifier").
 *   ICMP_MODE_AUTO  per family: a ping socket if the kernel allows one,
 *                   else a raw socket, else none.
 * A family whose socket cannot be opened has kind "none"; that is not a
 * failure of icmp_pinger_new(): its echoes end in ICMP_LOCAL with the
 * reason (also readable with icmp_socket_error()).
 *
 * Echo lifecycle: icmp_echo_start() queues one echo request and returns a
 * ticket; the request is sent from the loop (at most ICMP_SEND_BATCH per
 * family per loop turn, so that replies are read between bursts), and the
 * callback runs exactly once, from the loop, never inside
 * icmp_echo_start(): ICMP_REPLY, ICMP_TIMEOUT (no reply within timeout_ns
 * of the send), ICMP_ERROR (an ICMP error came back quoting this echo) or
 * ICMP_LOCAL (it could not be sent). icmp_echo_cancel() ends an echo
 * without its callback. The callback may start and cancel echoes and may
 * free the pinger.
 *
 * Ownership: the pinger borrows the loop (which must outlive it) and owns
 * its sockets, echoes and buffers; icmp_pinger_free() closes the sockets
 * and drops outstanding echoes without calling their callbacks (NULL is a
 * no-op). Results passed to callbacks are valid during the call only.
 * Strings returned by icmp_socket_kind(), icmp_socket_error(),
 * icmp_status_name() and icmp_ignore_name() are static or owned by the
 * pinger (valid until it is freed). Not thread-safe: the loop's thread.
 *
 * The parser functions at the end are pure (no sockets, no state) and are
 * exposed for the unit tests and tests/fuzz/fuzz_icmp.c.
 */
#ifndef V6M_PROBE_ICMP_H
#define V6M_PROBE_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errbuf.h"
#include "probe/loop.h"

#define ICMP_DEFAULT_PAYLOAD 56u           /* bytes after the 8-byte header, as ping(8) */
#define ICMP_MAX_PAYLOAD 65507u            /* 65535 - 20 (IPv4) - 8 (ICMP) */
#define ICMP_DEFAULT_TIMEOUT_NS 1000000000ull /* used when timeout_ns is 0 */
#define ICMP_SEND_BATCH 64u                /* echo requests sent per family per loop turn */

enum icmp_mode { ICMP_MODE_AUTO = 0, ICMP_MODE_PING, ICMP_MODE_RAW };

struct icmp_config {
    enum icmp_mode mode;
    size_t payload_size; /* 0..ICMP_MAX_PAYLOAD; 8 or more carries the match cookie */
    unsigned hop_limit;  /* IPv4 TTL / IPv6 unicast hop limit; 0 = system default */
};
void icmp_config_defaults(struct icmp_config *c);

enum icmp_status {
    ICMP_REPLY = 0, /* echo reply from the pinged address */
    ICMP_TIMEOUT,   /* nothing within timeout_ns of the send */
    ICMP_ERROR,     /* ICMP error quoting this echo (unreachable, time exceeded...) */
    ICMP_LOCAL      /* not sent: no socket, sendto() failed, send buffer stayed full */
};
const char *icmp_status_name(enum icmp_status s); /* "reply", "timeout", "error", "local error" */

struct icmp_result {
    enum icmp_status status;
    int family;              /* 4 or 6 */
    uint16_t seq;            /* sequence number the request carried */
    uint64_t rtt_ns;         /* REPLY and ERROR: request sent -> answer received; else 0 */
    uint8_t err_type;        /* ERROR: ICMP / ICMPv6 type and code of the error */
    uint8_t err_code;
    uint32_t err_info;       /* ERROR: MTU (frag needed, packet too big) or pointer (parameter problem), else 0 */
    int local_errno;         /* LOCAL: the errno (EACCES, ENETUNREACH...); 0 otherwise */
    uint8_t from[16];        /* REPLY: the replier; ERROR: who sent the error (4 bytes for IPv4) */
    char detail[160];        /* one sentence naming the address, e.g.
                              * "192.0.2.1: echo reply in 0.412 ms",
                              * "3ffe:1::1: no echo reply within 1 s",
                              * "3ffe:1::1: destination unreachable (administratively prohibited) from 3ffe:1::ff",
                              * "10.9.9.1: cannot send the echo request: no route to host" */
};
typedef void (*icmp_cb)(void *arg, const struct icmp_result *r);

/* Why a received packet was not taken as the answer to an echo. */
enum icmp_ignore {
    ICMP_IGN_MALFORMED = 0, /* too short, bad IP header, lengths that disagree */
    ICMP_IGN_CHECKSUM,      /* ICMPv4 checksum wrong (raw sockets; the kernel checks the rest) */
    ICMP_IGN_OTHER_TYPE,    /* neither an echo reply nor an error type we read */
    ICMP_IGN_OTHER_PACKET,  /* an ICMP error quoting something else than an echo request */
    ICMP_IGN_FOREIGN_ID,    /* another identifier: another process's (or pinger's) echo */
    ICMP_IGN_UNKNOWN_SEQ,   /* our identifier, no echo waiting on that sequence (late, duplicate, cancelled) */
    ICMP_IGN_ADDRESS,       /* reply from / error about another address than the one pinged */
    ICMP_IGN_PAYLOAD,       /* payload does not carry the echo's cookie */
    ICMP_IGN_SOCKET_ERROR,  /* recvmsg() failed with something else than EAGAIN */
    ICMP_IGN__COUNT
};
const char *icmp_ignore_name(enum icmp_ignore why);

struct icmp_counters {
    uint64_t started;   /* icmp_echo_start() calls accepted */
    uint64_t sent;      /* requests handed to sendto() successfully */
    uint64_t replies, timeouts, errors, local, cancelled;
    uint64_t ignored[ICMP_IGN__COUNT];
};

struct icmp_pinger;

/* New pinger on loop (borrowed). cfg NULL = defaults. NULL with a message
 * in *e for an invalid configuration or when out of memory; a socket that
 * cannot be opened is not an error (see icmp_socket_kind). */
struct icmp_pinger *icmp_pinger_new(struct loop *loop, const struct icmp_config *cfg,
                                    struct errbuf *e);
/* Close the sockets, drop outstanding echoes without callbacks. NULL ok.
 * May be called from an icmp_cb. */
void icmp_pinger_free(struct icmp_pinger *p);

/* Start one echo to addr (4 or 16 bytes used, network order) with a
 * timeout counted from the send (0 = ICMP_DEFAULT_TIMEOUT_NS). Returns a
 * ticket >= 0 for icmp_echo_cancel(), or -1 with errno EINVAL (bad
 * argument), EBUSY (65,535 echoes of that family in flight) or ENOMEM;
 * then cb is never called. */
int icmp_echo_start(struct icmp_pinger *p, int family, const uint8_t addr[16],
                    uint64_t timeout_ns, icmp_cb cb, void *arg);
/* End an outstanding echo without its callback: 0, or -1 when the ticket
 * is not outstanding (already reported, cancelled or unknown). */
int icmp_echo_cancel(struct icmp_pinger *p, int ticket);

/* "ping", "raw" or "none" for family 4 or 6 (run metadata). */
const char *icmp_socket_kind(const struct icmp_pinger *p, int family);
/* Why a family's socket kind is "none" ("" when it has a socket). */
const char *icmp_socket_error(const struct icmp_pinger *p, int family);
/* The identifier on the wire (raw: ours; ping: the kernel's), -1 for none. */
int icmp_socket_ident(const struct icmp_pinger *p, int family);
/* Counters of family 4 or 6 (all zero for another family). */
const struct icmp_counters *icmp_get_counters(const struct icmp_pinger *p, int family);
/* Echoes started and not yet reported, both families. */
size_t icmp_outstanding(const struct icmp_pinger *p);

/* ---- wire parsing (pure; exposed for tests and the fuzz target) ---- */

enum icmp_wire_kind { ICMP_WIRE_IGNORED = 0, ICMP_WIRE_REPLY, ICMP_WIRE_ERROR };

struct icmp_wire {
    enum icmp_wire_kind kind;
    enum icmp_ignore why;      /* IGNORED: the reason */
    uint8_t type, code;        /* of the message itself */
    uint32_t info;             /* ERROR: the 4 bytes after the checksum */
    uint16_t id, seq;          /* REPLY: its own; ERROR: the quoted echo request's */
    bool have_src;             /* src read from an IPv4 header (raw IPv4 sockets) */
    uint8_t src[16];
    bool have_orig_dst;        /* ERROR: destination of the quoted request */
    uint8_t orig_dst[16];
    const uint8_t *data;       /* REPLY: payload; ERROR: quoted request's payload (what is left) */
    size_t data_len;           /* data points into the parsed buffer, or is NULL with 0 */
};

/* Parse one datagram as an ICMP socket returns it. family 4 or 6;
 * ip_header: the bytes start with the IPv4 header (IPv4 raw sockets);
 * verify_sum: check the ICMPv4 checksum (IPv4 raw sockets; ping sockets
 * and ICMPv6 sockets get only kernel-checked packets). Fills *w. */
void icmp_parse(int family, bool ip_header, bool verify_sum, const uint8_t *buf, size_t len,
                struct icmp_wire *w);
/* Parse the echo request a ping socket's MSG_ERRQUEUE message carries
 * (the quoted ICMP header onwards): true with w->id/seq/data when it is
 * one, false (w->why set) otherwise. */
bool icmp_parse_quoted_echo(int family, const uint8_t *buf, size_t len, struct icmp_wire *w);
/* RFC 1071 Internet checksum of buf (the complemented one's-complement
 * sum): 0 over a message whose checksum field is right. */
uint16_t icmp_checksum(const uint8_t *buf, size_t len);
/* "destination unreachable (host unreachable)", "time exceeded (time to
 * live exceeded in transit)", "packet too big (mtu 1280)"... for an error
 * type/code/info of family 4 or 6, into buf. Returns buf. */
char *icmp_error_text(int family, uint8_t type, uint8_t code, uint32_t info, char *buf,
                      size_t len);

#endif
