/*
 * synth/hosts.h - the host names of the generator's app traffic, their
 * server addresses, and the payloads that carry a name (DNS messages, HTTP
 * requests; TLS ClientHellos and QUIC Initials come from tlsbuild.h).
 *
 * The catalog is a fixed table of real app host names (weixin.qq.com,
 * v3-dy.douyinvod.com, www.taobao.com, ...), a few global ones and a few no
 * app owns (www.example-shop.cn). Each entry says how many IPv4 and IPv6
 * server addresses the name has (0 IPv6 = an IPv4-only name, the table of
 * what app owners must fix), how often it is used (weight) and how much its
 * traffic prefers IPv6 (p6, percent), and optionally a CNAME target that
 * DNS answers go through.
 *
 * Address plan (all in ranges no IP list of nDPI knows: 198.18.0.0/15 is
 * RFC 2544 benchmarking space, 2001:db8::/32 RFC 3849 documentation):
 *   named server i of host h (h = table index):
 *        198.18.(h+1).(i+1)          2001:db8:(h+1)::(0x10+i)
 *   resolvers:  198.18.0.53, 198.18.0.54     2001:db8::53, 2001:db8::54
 *   anonymous servers k < 256 (unattributed flows; never in a DNS answer):
 *        198.19.k.(10+k%200)         2001:db8:ff00:k::(0x10+k)
 * so every named address belongs to exactly one host name over every
 * capture, and no anonymous or resolver address is ever in a DNS answer.
 *
 * DNS messages (RFC 1035 4.1): header, one question, then for an answer
 * either the address records of the name (owner = pointer to the question
 * name 0xc00c), or a CNAME record (owner 0xc00c, target written out) and
 * address records owned by the target (pointer to it); TTL 300 on every
 * record; an empty answer (NODATA) when the name has no address of the
 * asked family. Class IN, flags 0x0100 (query, RD) / 0x8180 (response, RD,
 * RA).
 *
 * Ownership: the table and its strings are static; the writers append to
 * the caller's struct pb.
 */
#ifndef V6M_SYNTH_HOSTS_H
#define V6M_SYNTH_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synth/build.h"

#define HOSTS_TTL 300u
#define HOSTS_NANON 256

struct host_def {
    const char *name;
    const char *cname; /* NULL: answers carry the addresses directly */
    uint8_t n4, n6;    /* server addresses per family (0..70) */
    uint8_t weight;    /* relative use */
    uint8_t p6;        /* percent: preference for IPv6 when both exist */
};

/* The catalog; index = host id. */
extern const struct host_def hosts_table[];
extern const size_t hosts_count;
/* Index of the host with 70 addresses per family (big DNS answers). */
size_t hosts_big(void);

uint32_t hosts_addr4(size_t h, unsigned i);
void hosts_addr6(size_t h, unsigned i, uint8_t out[16]);
uint32_t hosts_anon4(unsigned k);
void hosts_anon6(unsigned k, uint8_t out[16]);
uint32_t hosts_resolver4(unsigned k); /* k = 0, 1 */
void hosts_resolver6(unsigned k, uint8_t out[16]);

/* Write a DNS message for qname/qtype (1 = A, 28 = AAAA) into p.
 * answer: false = query; true = response with the addresses
 * [first, first + n) of host h in the family of qtype (n may be 0: NODATA),
 * through the host's CNAME when it has one. */
void hosts_put_dns(struct pb *p, uint16_t id, size_t h, uint16_t qtype, bool answer, unsigned first,
                   unsigned n);

/* Write "GET <path> HTTP/1.1" with Host: name and a few usual headers;
 * path_seed varies the path. Returns the bytes written. */
size_t hosts_http_request(uint8_t *out, size_t cap, const char *name, uint64_t path_seed);

#endif
