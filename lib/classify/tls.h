/*
 * classify/tls.h - the server name (SNI) of a TLS ClientHello, from a bare
 * Handshake message (QUIC CRYPTO frames, RFC 9001 4.3), from the start of a
 * TCP stream of TLS records, and from TCP segments reassembled in a small
 * bounded per-flow buffer. RFC 8446 4.1.2 (ClientHello), 5.1 (records),
 * RFC 6066 3 (server_name). Layouts and limits: docs/internals/names.md.
 *
 * Names follow the rules in dns.h (lowercase, no trailing dot, 1..253
 * characters of [a-z0-9-_.], no empty label); IPv4 literals (not allowed in
 * SNI by RFC 6066) are rejected too. A server_name that breaks the rules is
 * "no name": the result is TLS_SNI_NONE. A name that does not fit `cap`
 * is rejected the same way: pass CLASSIFY_NAME_MAX bytes.
 *
 * Ownership: the parsers borrow their input for the call only. `sni` is
 * caller memory of `cap` bytes; it holds the name on TLS_SNI_FOUND and ""
 * otherwise (when cap > 0). No allocation, no global state.
 */
#ifndef V6M_CLASSIFY_TLS_H
#define V6M_CLASSIFY_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "classify/dns.h" /* CLASSIFY_NAME_MAX, name rules */

enum tls_status {
    TLS_SNI_FOUND = 0,
    TLS_SNI_NONE,      /* valid ClientHello (or not a ClientHello at all) without SNI */
    TLS_SNI_NEED_MORE, /* bytes end before the ClientHello does */
    TLS_SNI_MALFORMED,
};

/*
 * hs = a Handshake message (type byte 1, 3-byte length, body), as found in
 * TLS records over TCP or in QUIC CRYPTO frames; len = the bytes available.
 *
 * FOUND also when the bytes end after a complete server_name extension but
 * before the end of the ClientHello (the name cannot change any more;
 * waiting would only cost reassembly). The same holds for NONE when the
 * server_name extension was complete but its name is rejected. Otherwise a
 * ClientHello is checked to its end: every length must nest inside its
 * parent, the extensions must fill the body exactly, server_name may appear
 * once. A first byte other than 1 (not a ClientHello) -> NONE; len 0 ->
 * NEED_MORE.
 */
enum tls_status tls_client_hello_sni(const uint8_t *hs, size_t len, char *sni, size_t cap);

/*
 * data = the start of a TCP stream: one or more TLS records (content type
 * 22, version 0x03xx, 2-byte length 1..16384); the handshake message may
 * span several records; NEED_MORE when the records end before the
 * ClientHello is complete (same early FOUND as above). Not starting with
 * 0x16 0x03 -> NONE (checked on the first byte, then the second). A record
 * of another type, or an empty or oversized one, before the ClientHello is
 * complete -> MALFORMED. Bytes after the ClientHello are not looked at.
 */
enum tls_status tls_records_sni(const uint8_t *data, size_t len, char *sni, size_t cap);

/*
 * Reassembly across TCP segments of one direction of one flow. The caller
 * allocates (or embeds) one only for flows whose first client payload byte
 * is 0x16, calls tls_reasm_init(), then feeds client-to-server segments
 * that carry payload, until the result is not NEED_MORE or its own packet
 * budget for the flow runs out.
 *
 * tcp_seq is the sequence number of the segment's first payload byte. The
 * first segment fed sets the stream start. In-order bytes are appended; a
 * retransmitted or overlapping segment is trimmed to its new bytes (a pure
 * retransmission changes nothing); a segment after a gap is dropped and
 * NEED_MORE returned (its bytes must come again, as a retransmission, to be
 * used: the buffer keeps only the in-order prefix). Once more than
 * TLS_REASM_MAX bytes would be needed -> MALFORMED (give up).
 *
 * After a final status (FOUND, NONE, MALFORMED) the state is done: further
 * feeds return the same status (FOUND with the name again) and ignore
 * their bytes.
 */
#define TLS_REASM_MAX 8192 /* a ClientHello with post-quantum key shares is ~1.8 KB */

struct tls_reasm {
    uint32_t next_seq; /* sequence number of the byte after buf[len - 1] */
    uint16_t len;      /* bytes in buf: the in-order prefix of the stream */
    uint8_t started;   /* first segment seen (next_seq valid) */
    uint8_t done;      /* 0 while waiting, else final enum tls_status + 1 */
    uint8_t buf[TLS_REASM_MAX];
};

void tls_reasm_init(struct tls_reasm *r);
enum tls_status tls_reasm_feed(struct tls_reasm *r, uint32_t tcp_seq, const uint8_t *payload,
                               size_t len, char *sni, size_t cap);

#endif
