/*
 * probe/dnsmsg.h - the prober's own DNS message code: build a query, parse
 * an answer (RFC 1035 4.1, name compression 4.1.4, AAAA RFC 3596, EDNS OPT
 * RFC 6891), and turn a parsed answer into a resolve_result by walking the
 * CNAME chain from the question name (the lie detection of W1/W2).
 *
 * Why not c-ares' ares_parse_*_reply(): they return hostents and silently
 * drop what does not fit; the prober needs the rcode, the AA bit, the CNAME
 * chain in order, and to notice records that are not on the chain. Why not
 * lib/classify/dns.c: that parser names passive flows (it keeps every
 * A/AAAA of a message and treats odd names as "no name"); here every name
 * must be kept (escaped) so a lie can be shown to the user, and the
 * authority SOA and the NS records matter. Both share the host-name
 * alphabet of classify/dns.h.
 *
 * Names as text: lowercase ASCII, labels joined by '.', no trailing dot,
 * the root is "". Bytes outside [a-z0-9-_*] are written as \DDD (decimal,
 * RFC 1035 5.1), so two different wire names never give the same text and
 * text comparison is DNS name comparison (ASCII case-insensitive). A name
 * whose text would exceed DNSMSG_NAME_MAX - 1 characters (only possible with
 * escapes) makes the message malformed.
 *
 * Ownership: nothing here allocates or keeps pointers into the message;
 * results are copied into caller memory. struct dnsmsg is large (~70 KB):
 * keep one per resolver and reuse it.
 */
#ifndef V6M_PROBE_DNSMSG_H
#define V6M_PROBE_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/resolver.h"

#define DNSMSG_NAME_MAX RESOLVE_NAME_MAX /* text buffer: 255 chars + NUL */
#define DNSMSG_MAX_RRS 128               /* answer records kept; more are counted */
#define DNSMSG_QUERY_MAX 512             /* bytes dnsmsg_build_query() may write */

#define DNSMSG_CLASS_IN 1
#define DNSMSG_TYPE_OPT 41
#define DNSMSG_TYPE_RRSIG 46

#define DNSMSG_RCODE_NOERROR 0
#define DNSMSG_RCODE_FORMERR 1
#define DNSMSG_RCODE_SERVFAIL 2
#define DNSMSG_RCODE_NXDOMAIN 3
#define DNSMSG_RCODE_NOTIMP 4
#define DNSMSG_RCODE_REFUSED 5

enum dnsmsg_status {
    DNSMSG_OK = 0,
    DNSMSG_TRUNCATED, /* the bytes end inside the header, a question or a record */
    DNSMSG_MALFORMED, /* bad name (pointer loop/forward, reserved label type, over
                         255 octets), A/AAAA of the wrong size, a name that does
                         not fill its RDATA */
};

struct dnsmsg_rr {
    char owner[DNSMSG_NAME_MAX];
    uint16_t type, rclass;
    uint32_t ttl;                 /* over 2^31-1 is read as 0 (RFC 2181 8) */
    uint16_t rdlen;
    uint8_t addr[16];             /* A: first 4 bytes; AAAA: 16 */
    char target[DNSMSG_NAME_MAX]; /* CNAME and NS: the name in RDATA; else "" */
};

/* The header, the question and what the answer section holds. */
struct dnsmsg {
    uint16_t id;
    bool qr, aa, tc, rd, ra;
    uint8_t opcode, rcode;
    uint16_t qdcount, ancount, nscount, arcount;
    bool has_question;            /* the first question was read */
    char qname[DNSMSG_NAME_MAX];
    uint16_t qtype, qclass;
    unsigned n_an;                /* answers stored in an[] */
    unsigned an_over_cap;         /* answers read but not stored (over DNSMSG_MAX_RRS) */
    struct dnsmsg_rr an[DNSMSG_MAX_RRS];
    char soa_zone[DNSMSG_NAME_MAX]; /* owner of the first SOA in the authority
                                       section ("" if none): the zone of a
                                       negative answer */
    char error[120];              /* what was wrong when not DNSMSG_OK */
};

/*
 * Parse msg[0..len): header, every question (the first is kept), the whole
 * answer section and the authority section. The additional section is not
 * read (so EDNS options or junk there never fail an answer). Every field
 * above is written on every call; on TRUNCATED / MALFORMED the records read
 * before the defect are kept and m->error says what was wrong, with the
 * byte offset.
 */
enum dnsmsg_status dnsmsg_parse(const uint8_t *msg, size_t len, struct dnsmsg *m);

/*
 * Only the header and the first question (for a quick look at a datagram
 * before c-ares sees it). Fills id, the flags, the counts, has_question,
 * qname, qtype, qclass and error; n_an = 0.
 */
enum dnsmsg_status dnsmsg_peek(const uint8_t *msg, size_t len, struct dnsmsg *m);

/* Does the message carry an OPT record (EDNS) in its additional section?
 * 1 yes, 0 no, -1 when the records cannot be walked to the end (the
 * resolver's EDNS fallback treats anything but 1 as "no", as c-ares does). */
int dnsmsg_has_opt(const uint8_t *msg, size_t len);

/*
 * Write a query for (name, qtype, class IN) into buf: header with id, RD if
 * rd, one question, and an EDNS OPT record (UDP size edns_size, DO clear)
 * when edns_size > 0. name is text as above without escapes (a host name,
 * labels 1..63, at most 253 characters; "" is the root). Returns the length,
 * or 0 if the name is not acceptable or cap is too small.
 */
size_t dnsmsg_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name,
                          uint16_t qtype, bool rd, uint16_t edns_size);

/*
 * The answer to (qname, qtype) in a parsed message, as the resolver reports
 * it. st is what dnsmsg_parse() returned for m. Writes status, rcode,
 * authoritative, n_cnames/cname, n_addrs/addrs (qtype A or AAAA), n_ns/ns
 * (qtype NS), ignored and detail; leaves qname, qtype and elapsed_ns alone.
 *
 * Rules, in order:
 *   1. st != OK -> RS_MALFORMED; not a response or opcode != QUERY ->
 *      RS_MALFORMED.
 *   2. The question must be exactly one, (qname, qtype, IN), compared
 *      ignoring ASCII case -> else RS_BOGUS ("the answer is for ...").
 *   3. Walk the chain: from qname follow the CNAME owned by the current
 *      name (class IN); two different CNAMEs for one name, a target already
 *      on the chain (loop), or more than RESOLVE_MAX_CNAMES links ->
 *      RS_BOGUS.
 *   4. Every other answer record: owned by the chain's end and of qtype ->
 *      an answer; RRSIG on the chain, other classes, and records owned by
 *      names off the chain -> ignored; any other record owned by a chain
 *      name (an A in an AAAA answer, AAAA beside a CNAME) -> RS_BOGUS.
 *      Records over DNSMSG_MAX_RRS count as ignored.
 *   5. Records in the answer but none on the chain -> RS_BOGUS ("answer
 *      has 2 records for other names (evil.lab) and none for www.x.lab").
 *   6. rcode: NOERROR -> RS_OK with answers, else RS_NODATA; NXDOMAIN ->
 *      RS_NXDOMAIN (RS_BOGUS if it also has answers); SERVFAIL ->
 *      RS_SERVFAIL; REFUSED -> RS_REFUSED; other rcodes -> RS_SERVFAIL with
 *      the rcode named in detail.
 * detail is "" for RS_OK, else one sentence a site owner understands.
 */
void dnsmsg_answer(const struct dnsmsg *m, enum dnsmsg_status st, const char *qname,
                   uint16_t qtype, struct resolve_result *out);

/* "A", "AAAA", "NS", "CNAME", "SOA", ... or "TYPE<n>" written into buf. */
const char *dnsmsg_type_name(uint16_t type, char *buf, size_t len);
/* "NOERROR", "SERVFAIL", ... or "RCODE<n>" written into buf. */
const char *dnsmsg_rcode_name(uint8_t rcode, char *buf, size_t len);

#endif
