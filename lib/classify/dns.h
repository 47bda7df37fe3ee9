/*
 * classify/dns.h - DNS message parser for naming flows: the question and the
 * A / AAAA / CNAME answers of a message seen in traffic (RFC 1035 4.1, name
 * compression RFC 1035 4.1.4, AAAA RFC 3596). Also the host-name rules
 * shared by the TLS SNI and HTTP Host parsers (tls.h, http.h).
 *
 * Names handed out by every parser of lib/classify are: lowercase ASCII,
 * without the trailing dot, NUL-terminated, 1..253 characters, made only of
 * letters, digits, '-', '_' and '.', without empty labels and without labels
 * over 63 characters. A name that breaks these rules is treated as "no
 * name" (it is never repaired or truncated).
 *
 * Layouts, limits and the compression-loop guard: docs/internals/names.md.
 *
 * Ownership: parsers borrow the message bytes for the duration of the call
 * and keep no pointer into them; everything they return is copied into
 * caller-owned memory (struct dns_message, name buffers). No allocation, no
 * global mutable state: safe to call from several threads on different
 * outputs.
 */
#ifndef V6M_CLASSIFY_DNS_H
#define V6M_CLASSIFY_DNS_H

#include <stddef.h>
#include <stdint.h>

/* Size of every name buffer: 253 characters + NUL, rounded up. */
#define CLASSIFY_NAME_MAX 256

#define DNS_MAX_ADDRS 256  /* a 4096-byte EDNS answer holds at most ~250 A records */
#define DNS_MAX_CNAMES 16

#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA 28

struct dns_rr_addr {
    char owner[CLASSIFY_NAME_MAX];
    uint8_t family; /* 4 or 6 */
    uint8_t addr[16]; /* IPv4 in the first 4 bytes, network order */
    uint32_t ttl;
};

struct dns_rr_cname {
    char owner[CLASSIFY_NAME_MAX];
    char target[CLASSIFY_NAME_MAX];
    uint32_t ttl;
};

/*
 * What dns_parse() extracted. Only the fields named here are written on
 * every call; entries of addrs[] / cnames[] at or beyond n_addrs / n_cnames
 * are left as they were (the struct is ~80 KB: allocate one per thread and
 * reuse it, do not memset it per packet).
 */
struct dns_message {
    uint16_t id;
    uint8_t is_response, opcode, rcode, truncated_flag; /* QR, OPCODE, RCODE, TC */
    uint16_t qdcount, ancount;
    char qname[CLASSIFY_NAME_MAX]; /* first question; "" when absent or not a valid name */
    uint16_t qtype, qclass;
    uint16_t n_addrs;
    struct dns_rr_addr addrs[DNS_MAX_ADDRS];
    uint16_t n_cnames;
    struct dns_rr_cname cnames[DNS_MAX_CNAMES];
    uint16_t skipped; /* answers beyond the caps or of other types */
};

enum dns_status {
    DNS_OK = 0,    /* header, question(s) and the whole answer section parsed */
    DNS_TRUNCATED, /* the bytes end inside the header, a question or an answer */
    DNS_MALFORMED, /* a bad name (loop, forward pointer, reserved label type,
                      over 255 octets) or a record that overruns its RDLENGTH */
};

/*
 * Parse the DNS message msg[0..len) (UDP payload; for TCP see
 * dns_tcp_frame_len()) into *out.
 *
 * Reads the header, the first question (further questions are skipped) and,
 * when OPCODE is 0 (QUERY), the answer section: A (RDLENGTH 4) and AAAA
 * (RDLENGTH 16) records of class IN go to addrs[], CNAME records of class IN
 * to cnames[], up to the caps; every other answer, an answer whose owner or
 * target is not a valid name, and answers beyond the caps are counted in
 * skipped. Authority and additional sections are not read. Class IN is
 * matched ignoring the top bit (the mDNS cache-flush bit).
 *
 * On TRUNCATED and MALFORMED, everything completed before the defect stays
 * in *out (the header when 12 bytes were there, qname when the question was
 * complete, every answer whose RDATA was complete), so the caller can still
 * use it. Which messages to trust (responses only, matching ids, ports) is
 * the caller's decision.
 */
enum dns_status dns_parse(const uint8_t *msg, size_t len, struct dns_message *out);

/*
 * DNS over TCP (RFC 1035 4.2.2, RFC 7766): each message is preceded by a
 * 2-byte big-endian length. Returns that length (the message is
 * p[2 .. 2 + length)), or 0 when fewer than 2 bytes are given. The caller
 * strips the prefix and passes min(length, len - 2) bytes to dns_parse();
 * a message split over segments then reports DNS_TRUNCATED with its
 * complete answers kept.
 */
size_t dns_tcp_frame_len(const uint8_t *p, size_t len);

/*
 * The name the client asked for that leads to `owner` (an A/AAAA owner in
 * m): follows CNAME records backwards (a record whose target is the current
 * name gives its owner), at most DNS_MAX_CNAMES steps. Returns m->qname when
 * the walk reaches the question name (or owner is the question name), else
 * `owner` itself. The result points into *m or is `owner`: it lives as long
 * as they do. owner must be a NUL-terminated name.
 */
const char *dns_chain_origin(const struct dns_message *m, const char *owner);

/*
 * Host-name rules shared by the parsers (see the top of this file).
 *
 * classify_name_char[b] is the lowercase form of byte b when b may appear
 * inside a label (letters, digits, '-', '_'), else 0. '.' maps to 0: in DNS
 * wire form a dot inside a label would make the text form ambiguous.
 */
extern const uint8_t classify_name_char[256];

/* Flags for classify_name_copy(). */
#define CLASSIFY_NAME_NO_IPV4 1u /* reject IPv4 literals (last label numeric) */

/*
 * Validate the text name s[0..n) (one trailing dot allowed and dropped) and
 * copy it lowercased and NUL-terminated into out[cap]. With
 * CLASSIFY_NAME_NO_IPV4, a name whose last label is all digits or "0x" +
 * hex digits ("10.0.0.1", "127.1", "0x7f.1") is an IPv4 literal, not a name
 * (no top-level domain is numeric). Returns the length copied, or 0 when
 * the name is rejected or does not fit cap (out is then "" if cap > 0).
 */
size_t classify_name_copy(const uint8_t *s, size_t n, char *out, size_t cap,
                          unsigned flags);

#endif
