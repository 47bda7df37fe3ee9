/*
 * classify/quic.h - the TLS server name (SNI) of a QUIC version 1
 * connection, read from the client's Initial packets.
 *
 * QUIC encrypts even its first packets, but the Initial keys are derived
 * from public values only (a version-specific salt and the Destination
 * Connection ID the client chose), so any observer can remove the
 * protection (RFC 9001 5.2, 5.4) and read the TLS ClientHello carried in
 * CRYPTO frames. docs/internals/quic.md has the byte layouts, the key
 * schedule and what is accepted and rejected.
 *
 * Use:
 *   struct quic_ctx *q = quic_ctx_new();     once per worker (not shared
 *                                             between threads)
 *   per UDP flow whose first client datagram looks like a long-header
 *   Initial (quic_looks_initial()), the caller allocates one
 *   struct quic_initial_state (about 4.7 KB), calls quic_state_init(), then
 *   quic_initial_feed() with each client-to-server datagram until the
 *   status is not QUIC_SNI_NEED_MORE, then frees the state.
 *
 * A Chrome ClientHello with an ML-KEM key share (about 1.8 KB) spans two
 * Initial packets; CRYPTO data is reassembled in the state, in any order,
 * up to QUIC_CRYPTO_MAX bytes.
 *
 * Ownership: quic_ctx_new() returns a heap object freed by quic_ctx_free()
 * (NULL is a no-op); it holds the OpenSSL contexts and a scratch buffer, so
 * feeding keeps nothing allocated (OpenSSL 3.0 allocates and frees a digest
 * context inside each digest set-up of a key derivation). The state is
 * caller memory; the library keeps no pointer into it or into the datagram
 * between calls. sni is caller memory of cap bytes (CLASSIFY_NAME_MAX from
 * classify/dns.h is enough for any DNS name).
 */
#ifndef V6M_CLASSIFY_QUIC_H
#define V6M_CLASSIFY_QUIC_H

#include <stddef.h>
#include <stdint.h>

#define QUIC_VERSION_1 0x00000001u
#define QUIC_CID_MAX 20
/* Bytes of CRYPTO stream kept per flow (reassembly window from offset 0). */
#define QUIC_CRYPTO_MAX 4096
/* Client datagrams fed without a result before a flow is given up (NONE). */
#define QUIC_FEED_MAX 8

struct quic_ctx;

/* Per-flow reassembly state. Treat the fields as private: only
 * quic_state_init() and quic_initial_feed() write them. */
struct quic_initial_state {
    uint8_t dcid[QUIC_CID_MAX]; /* DCID of the first client Initial */
    uint8_t dcid_len;
    uint8_t have_keys;          /* key/iv/hp below are derived from dcid */
    uint16_t crypto_len;        /* contiguous CRYPTO bytes from offset 0 */
    uint8_t crypto[QUIC_CRYPTO_MAX];
    uint8_t have[QUIC_CRYPTO_MAX / 8]; /* bit per crypto byte received */
    uint8_t key[16];            /* client Initial AEAD key (AES-128-GCM) */
    uint8_t iv[12];
    uint8_t hp[16];             /* header protection key (AES-128-ECB) */
    uint64_t largest_pn;        /* largest packet number decrypted */
    uint8_t have_pn;            /* largest_pn is valid */
    uint8_t fed;                /* datagrams fed without a final status */
    uint8_t final;              /* 0 = in progress, else 1 + enum quic_status */
};

enum quic_status {
    QUIC_SNI_FOUND = 0,  /* sni holds the name */
    QUIC_SNI_NONE,       /* not a QUIC v1 client Initial, a ClientHello
                            without SNI, or given up (QUIC_FEED_MAX
                            datagrams, hello bigger than QUIC_CRYPTO_MAX) */
    QUIC_SNI_NEED_MORE,  /* ClientHello not complete yet: feed the next
                            client datagram */
    QUIC_SNI_MALFORMED,  /* decryption failed or bad framing */
};

/* Heap context with reusable OpenSSL contexts; NULL when OpenSSL cannot
 * provide HMAC-SHA256, AES-128-ECB or AES-128-GCM or memory runs out. */
struct quic_ctx *quic_ctx_new(void);
void quic_ctx_free(struct quic_ctx *q);

void quic_state_init(struct quic_initial_state *s);

/* Cheap test for the first datagram of a UDP flow: a long header with
 * version 1, packet type Initial and a DCID of 8..20 bytes (RFC 9000 7.2:
 * the client's first DCID is at least 8 bytes). No decryption. */
int quic_looks_initial(const uint8_t *udp_payload, size_t len);

/* Feed one client-to-server UDP payload. Walks the coalesced QUIC packets
 * in it (RFC 9000 12.2), decrypts the version 1 Initial ones and adds
 * their CRYPTO data to s; when the ClientHello is complete, reads its SNI
 * with tls_client_hello_sni() into sni (NUL-terminated; "" on every other
 * status when cap > 0).
 *
 * Every status but QUIC_SNI_NEED_MORE is final and sticky: later calls
 * return it again without looking at the datagram (FOUND writes the name
 * again from the kept ClientHello). quic_state_init() starts over. */
enum quic_status quic_initial_feed(struct quic_ctx *q, struct quic_initial_state *s,
                                   const uint8_t *udp_payload, size_t len, char *sni,
                                   size_t cap);

/* The client Initial secrets of RFC 9001 5.2 for a DCID (0..20 bytes):
 * AES-128-GCM key, IV and header protection key. Returns 0 on success, -1
 * when the DCID is too long or OpenSSL fails. Used by quic_initial_feed();
 * exposed for the RFC 9001 A.1 test vector. */
struct quic_keys {
    uint8_t key[16];
    uint8_t iv[12];
    uint8_t hp[16];
};
int quic_client_keys(struct quic_ctx *q, const uint8_t *dcid, size_t dcid_len,
                     struct quic_keys *out);

/* Names of the statuses ("found", "none", "need-more", "malformed"). */
const char *quic_status_name(enum quic_status st);

#endif
