/*
 * synth/tlsbuild.h - TLS 1.3 ClientHellos, TLS records and protected QUIC
 * version 1 client Initial packets for the synthetic capture generator and
 * the tests.
 *
 * Everything is deterministic: the same arguments (and seed) give the same
 * bytes on every host. The builders write into caller buffers and return
 * the number of bytes written, or 0 when cap is too small or an argument is
 * out of range (nothing useful is left in out then). They allocate nothing
 * themselves; the QUIC builders use OpenSSL (HMAC-SHA256, AES-128-GCM,
 * AES-128-ECB), which allocates its cipher contexts for the call.
 *
 * ClientHello (a Handshake message: type 1, 3-byte length, body):
 *   legacy_version 0x0303, 32 random bytes, legacy_session_id (32 bytes over
 *   TCP, empty over QUIC as RFC 9001 8.4 requires), cipher suites (TLS 1.3
 *   ones, plus the usual TLS 1.2 ECDHE ones over TCP), compression {null},
 *   extensions in an order shuffled by the seed (as Chrome does):
 *   server_name (when sni != NULL), supported_groups (x25519, secp256r1,
 *   secp384r1), signature_algorithms, supported_versions, key_share
 *   (x25519, 32 seeded bytes), psk_key_exchange_modes (psk_dhe_ke),
 *   compress_certificate (brotli), ALPN ("h2", "http/1.1" over TCP; "h3"
 *   over QUIC); over TCP also extended_master_secret, renegotiation_info,
 *   ec_point_formats, session_ticket, status_request,
 *   signed_certificate_timestamp; over QUIC quic_transport_parameters
 *   (0x39: idle timeout, max UDP payload, flow control limits, stream
 *   limits, initial_source_connection_id = scid). extra_pad > 0 adds a
 *   padding extension (type 21) with extra_pad zero bytes of data, e.g.
 *   1220 to mimic the size of an X25519MLKEM768 key share so that the hello
 *   needs two QUIC Initials or TCP segments. sni "" writes an empty
 *   host_name (invalid; for negative tests).
 *
 * QUIC Initial (RFC 9000 17.2.2, RFC 9001 5): long header with version 1,
 * the given DCID and SCID, no token, a 2-byte Length, the shortest packet
 * number encoding for a first flight (RFC 9000 A.2 with nothing acked),
 * one CRYPTO frame, PADDING frames up to pad_to bytes (1200 for a client's
 * datagram, RFC 9000 14.1), AES-128-GCM with the client Initial keys of the
 * DCID, then header protection. A hello bigger than one Initial goes out as
 * two datagrams: tlsbuild_quic_crypto_room() says how many bytes fit; call
 * tlsbuild_quic_initial() with crypto_offset 0, pn 0 for the first part
 * and crypto_offset N, pn 1 for the rest.
 *
 * Ownership: every pointer argument is borrowed for the call; inputs must
 * not overlap out.
 */
#ifndef V6M_SYNTH_TLSBUILD_H
#define V6M_SYNTH_TLSBUILD_H

#include <stddef.h>
#include <stdint.h>

/* ClientHello as sent over TCP. */
size_t tlsbuild_client_hello(uint8_t *out, size_t cap, const char *sni, size_t extra_pad,
                             uint64_t seed);

/* ClientHello as sent over QUIC (ALPN h3, transport parameters with
 * initial_source_connection_id = scid (0..20 bytes), empty session id). */
size_t tlsbuild_client_hello_quic(uint8_t *out, size_t cap, const char *sni,
                                  size_t extra_pad, uint64_t seed, const uint8_t *scid,
                                  size_t scid_len);

/* hs wrapped in TLS records: content type 22, version 0x0301, at most
 * 16384 bytes of hs per record. */
size_t tlsbuild_records(uint8_t *out, size_t cap, const uint8_t *hs, size_t hs_len);

/* One protected client Initial carrying crypto[0..crypto_len) at
 * crypto_offset, padded to pad_to bytes (0 = no padding beyond the 4 bytes
 * header protection needs). dcid 0..20 bytes (8 or more for a real first
 * flight), scid 0..20. Returns the datagram length (packets up to about
 * 16 KB: the Length field is written in 2 bytes). */
size_t tlsbuild_quic_initial(uint8_t *out, size_t cap, const uint8_t dcid[], size_t dcid_len,
                             const uint8_t scid[], size_t scid_len, uint32_t pn,
                             const uint8_t *crypto, size_t crypto_len,
                             uint64_t crypto_offset, size_t pad_to);

/* The most CRYPTO bytes tlsbuild_quic_initial() can put into a packet of
 * pad_to bytes with these arguments (0 when not even one fits). */
size_t tlsbuild_quic_crypto_room(size_t dcid_len, size_t scid_len, uint32_t pn,
                                 uint64_t crypto_offset, size_t pad_to);

/* Lower level, for tests and the fuzzer: protect arbitrary plaintext frame
 * bytes as a client Initial. pn_len 1..4 forces the packet number length,
 * 0 picks the shortest; PADDING (zero bytes) is appended up to pad_to. */
size_t tlsbuild_quic_initial_frames(uint8_t *out, size_t cap, const uint8_t dcid[],
                                    size_t dcid_len, const uint8_t scid[], size_t scid_len,
                                    uint32_t pn, unsigned pn_len, const uint8_t *frames,
                                    size_t frames_len, size_t pad_to);

#endif
