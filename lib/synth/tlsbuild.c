/*
 * synth/tlsbuild.c - ClientHellos, TLS records, protected QUIC Initials
 * (synth/tlsbuild.h).
 *
 * ClientHello layout written here (RFC 8446 4.1.2; lengths in brackets are
 * the size of the length field in bytes):
 *   01 | len[3] | 0303 | random(32) | session_id[1] | cipher_suites[2]
 *   | compression[1] = 01 00 | extensions[2] = { type(2) | data[2] }*
 *   server_name data:    list[2] { 00 | host_name[2] }
 *   supported_groups:    list[2] { 001d 0017 0018 }
 *   ALPN:                list[2] { proto[1] }*
 *   supported_versions:  list[1] { 0304 (0303 over TCP) }
 *   key_share:           list[2] { group 001d | key[2] (32 bytes) }
 *   quic_transport_parameters (0x39): { id varint | len varint | value }*
 *
 * QUIC Initial written here (RFC 9000 17.2.2):
 *   c0|pn_len-1 | 00000001 | dcid_len dcid | scid_len scid | 00 (token)
 *   | Length (2-byte varint: pn + payload + 16) | pn (1..4) | payload | tag
 * then protected as RFC 9001 5.3/5.4 say: AES-128-GCM with nonce = iv XOR
 * pn and the whole header as AAD, in place; mask = AES-128-ECB(hp, the 16
 * bytes starting 4 after the packet number); first byte low 4 bits and the
 * packet number XORed with the mask.
 *
 * The key schedule is written out again here rather than shared with
 * classify/quic.c (one-shot HMAC() instead of a kept EVP_MAC_CTX): the
 * builder and the parser are checked against each other and against
 * RFC 9001 Appendix A and tshark, so a shared mistake would show.
 *
 * Extension order: Fisher-Yates with the synth PRNG seeded by `seed`, so a
 * run has the variety of Chrome's permuted hellos yet is reproducible.
 */
#include "synth/tlsbuild.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "synth/build.h"

#define TB_TAG 16
#define TB_RECORD_MAX 16384

static const uint8_t initial_salt_v1[20] = {
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
};

/* ---- bounded writer ------------------------------------------------------ */

struct w {
    uint8_t *p;
    size_t cap, n;
    bool bad;
};

static uint8_t *w_room(struct w *w, size_t n)
{
    if (w->bad || n > w->cap - w->n) {
        w->bad = true;
        return NULL;
    }
    uint8_t *r = w->p + w->n;
    w->n += n;
    return r;
}

static void w_u8(struct w *w, unsigned v)
{
    uint8_t *r = w_room(w, 1);
    if (r)
        r[0] = (uint8_t)v;
}

static void w_u16(struct w *w, unsigned v)
{
    w_u8(w, (v >> 8) & 0xff);
    w_u8(w, v & 0xff);
}

static void w_bytes(struct w *w, const void *d, size_t n)
{
    uint8_t *r = w_room(w, n);
    if (r && n)
        memcpy(r, d, n);
}

static void w_zero(struct w *w, size_t n)
{
    uint8_t *r = w_room(w, n);
    if (r)
        memset(r, 0, n);
}

static void w_rand(struct w *w, struct rng *g, size_t n)
{
    uint8_t *r = w_room(w, n);
    for (size_t i = 0; r && i < n; i++)
        r[i] = (uint8_t)(rng_next(g) >> 56);
}

/* Shortest QUIC varint (RFC 9000 16). */
static size_t varint_len(uint64_t v)
{
    return v < 64 ? 1 : v < 16384 ? 2 : v < (UINT64_C(1) << 30) ? 4 : 8;
}

static void w_varint(struct w *w, uint64_t v)
{
    size_t n = varint_len(v);
    static const uint8_t prefix[9] = {0, 0x00, 0x40, 0, 0x80, 0, 0, 0, 0xc0};
    for (size_t i = 0; i < n; i++) {
        unsigned b = (unsigned)(v >> (8 * (n - 1 - i))) & 0xff;
        w_u8(w, i == 0 ? (b | prefix[n]) : b);
    }
}

/* A length field of `size` bytes, patched by w_close(). */
static size_t w_open(struct w *w, size_t size)
{
    size_t at = w->n;
    w_zero(w, size);
    return at;
}

static void w_close(struct w *w, size_t at, size_t size)
{
    if (w->bad)
        return;
    size_t len = w->n - at - size;
    if (size < sizeof(size_t) && len >> (8 * size)) {
        w->bad = true;
        return;
    }
    for (size_t i = 0; i < size; i++)
        w->p[at + i] = (uint8_t)(len >> (8 * (size - 1 - i)));
}

/* ---- ClientHello ---------------------------------------------------------- */

enum ext {
    E_SNI, E_EMS, E_RENEG, E_GROUPS, E_POINTS, E_TICKET, E_ALPN, E_STATUS, E_SIGALGS,
    E_SCT, E_KEYSHARE, E_PSKMODES, E_VERSIONS, E_COMPRESS, E_QUICTP, E_PAD, E__COUNT
};

struct hello_args {
    const char *sni;
    size_t extra_pad;
    bool quic;
    const uint8_t *scid;
    size_t scid_len;
};

static void w_tp(struct w *w, uint64_t id, uint64_t value)
{
    w_varint(w, id);
    w_varint(w, varint_len(value));
    w_varint(w, value);
}

static void write_ext(struct w *w, enum ext e, const struct hello_args *a, struct rng *g)
{
    static const uint8_t sigalgs[] = {0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03,
                                      0x08, 0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01};
    size_t d, l;
    switch (e) {
    case E_SNI: {
        size_t n = strlen(a->sni);
        w_u16(w, 0x0000);
        d = w_open(w, 2);
        l = w_open(w, 2);
        w_u8(w, 0); /* host_name */
        if (n > 0xffff) {
            w->bad = true;
            return;
        }
        w_u16(w, (unsigned)n);
        w_bytes(w, a->sni, n);
        w_close(w, l, 2);
        w_close(w, d, 2);
        return;
    }
    case E_EMS:
        w_u16(w, 0x0017);
        w_u16(w, 0);
        return;
    case E_RENEG:
        w_u16(w, 0xff01);
        w_u16(w, 1);
        w_u8(w, 0);
        return;
    case E_GROUPS:
        w_u16(w, 0x000a);
        w_u16(w, 8);
        w_u16(w, 6);
        w_u16(w, 0x001d);
        w_u16(w, 0x0017);
        w_u16(w, 0x0018);
        return;
    case E_POINTS:
        w_u16(w, 0x000b);
        w_u16(w, 2);
        w_u8(w, 1);
        w_u8(w, 0);
        return;
    case E_TICKET:
        w_u16(w, 0x0023);
        w_u16(w, 0);
        return;
    case E_ALPN:
        w_u16(w, 0x0010);
        d = w_open(w, 2);
        l = w_open(w, 2);
        if (a->quic) {
            w_u8(w, 2);
            w_bytes(w, "h3", 2);
        } else {
            w_u8(w, 2);
            w_bytes(w, "h2", 2);
            w_u8(w, 8);
            w_bytes(w, "http/1.1", 8);
        }
        w_close(w, l, 2);
        w_close(w, d, 2);
        return;
    case E_STATUS:
        w_u16(w, 0x0005);
        w_u16(w, 5);
        w_u8(w, 1); /* ocsp */
        w_u16(w, 0);
        w_u16(w, 0);
        return;
    case E_SIGALGS:
        w_u16(w, 0x000d);
        w_u16(w, (unsigned)sizeof(sigalgs) + 2);
        w_u16(w, (unsigned)sizeof(sigalgs));
        w_bytes(w, sigalgs, sizeof(sigalgs));
        return;
    case E_SCT:
        w_u16(w, 0x0012);
        w_u16(w, 0);
        return;
    case E_KEYSHARE:
        w_u16(w, 0x0033);
        w_u16(w, 2 + 4 + 32);
        w_u16(w, 4 + 32);
        w_u16(w, 0x001d);
        w_u16(w, 32);
        w_rand(w, g, 32);
        return;
    case E_PSKMODES:
        w_u16(w, 0x002d);
        w_u16(w, 2);
        w_u8(w, 1);
        w_u8(w, 1); /* psk_dhe_ke */
        return;
    case E_VERSIONS:
        w_u16(w, 0x002b);
        if (a->quic) {
            w_u16(w, 3);
            w_u8(w, 2);
            w_u16(w, 0x0304);
        } else {
            w_u16(w, 5);
            w_u8(w, 4);
            w_u16(w, 0x0304);
            w_u16(w, 0x0303);
        }
        return;
    case E_COMPRESS:
        w_u16(w, 0x001b);
        w_u16(w, 3);
        w_u8(w, 2);
        w_u16(w, 0x0002); /* brotli */
        return;
    case E_QUICTP:
        w_u16(w, 0x0039);
        d = w_open(w, 2);
        w_tp(w, 0x01, 30000);    /* max_idle_timeout, ms */
        w_tp(w, 0x03, 1472);     /* max_udp_payload_size */
        w_tp(w, 0x04, 15728640); /* initial_max_data */
        w_tp(w, 0x05, 6291456);  /* initial_max_stream_data_bidi_local */
        w_tp(w, 0x06, 6291456);  /* initial_max_stream_data_bidi_remote */
        w_tp(w, 0x07, 6291456);  /* initial_max_stream_data_uni */
        w_tp(w, 0x08, 100);      /* initial_max_streams_bidi */
        w_tp(w, 0x09, 103);      /* initial_max_streams_uni */
        w_varint(w, 0x0f);       /* initial_source_connection_id */
        w_varint(w, a->scid_len);
        w_bytes(w, a->scid, a->scid_len);
        w_close(w, d, 2);
        return;
    case E_PAD:
        w_u16(w, 0x0015);
        if (a->extra_pad > 0xffff) {
            w->bad = true;
            return;
        }
        w_u16(w, (unsigned)a->extra_pad);
        w_zero(w, a->extra_pad);
        return;
    case E__COUNT:
        break;
    }
}

static size_t build_hello(uint8_t *out, size_t cap, const struct hello_args *a, uint64_t seed)
{
    static const uint16_t tcp_suites[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                          0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
                                          0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
    static const uint16_t quic_suites[] = {0x1301, 0x1302, 0x1303};
    if (!out || (a->scid_len && !a->scid) || a->scid_len > 20)
        return 0;
    struct rng g;
    rng_seed(&g, seed);
    struct w w = {out, cap, 0, false};

    w_u8(&w, 0x01); /* client_hello */
    size_t body = w_open(&w, 3);
    w_u16(&w, 0x0303);
    w_rand(&w, &g, 32);
    if (a->quic) {
        w_u8(&w, 0);
    } else {
        w_u8(&w, 32);
        w_rand(&w, &g, 32);
    }
    const uint16_t *suites = a->quic ? quic_suites : tcp_suites;
    size_t ns = a->quic ? sizeof(quic_suites) / 2 : sizeof(tcp_suites) / 2;
    w_u16(&w, (unsigned)(2 * ns));
    for (size_t i = 0; i < ns; i++)
        w_u16(&w, suites[i]);
    w_u8(&w, 1);
    w_u8(&w, 0);

    enum ext order[E__COUNT];
    size_t n = 0;
    for (int e = 0; e < E__COUNT; e++) {
        bool tcp_only = e == E_EMS || e == E_RENEG || e == E_POINTS || e == E_TICKET ||
                        e == E_STATUS || e == E_SCT;
        if ((e == E_SNI && !a->sni) || (e == E_PAD && !a->extra_pad) ||
            (e == E_QUICTP && !a->quic) || (tcp_only && a->quic))
            continue;
        order[n++] = (enum ext)e;
    }
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)rng_below(&g, i + 1);
        enum ext t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    size_t exts = w_open(&w, 2);
    for (size_t i = 0; i < n; i++)
        write_ext(&w, order[i], a, &g);
    w_close(&w, exts, 2);
    w_close(&w, body, 3);
    return w.bad ? 0 : w.n;
}

size_t tlsbuild_client_hello(uint8_t *out, size_t cap, const char *sni, size_t extra_pad,
                             uint64_t seed)
{
    struct hello_args a = {sni, extra_pad, false, NULL, 0};
    return build_hello(out, cap, &a, seed);
}

size_t tlsbuild_client_hello_quic(uint8_t *out, size_t cap, const char *sni,
                                  size_t extra_pad, uint64_t seed, const uint8_t *scid,
                                  size_t scid_len)
{
    struct hello_args a = {sni, extra_pad, true, scid, scid_len};
    return build_hello(out, cap, &a, seed);
}

size_t tlsbuild_records(uint8_t *out, size_t cap, const uint8_t *hs, size_t hs_len)
{
    if (!out || !hs || hs_len == 0)
        return 0;
    struct w w = {out, cap, 0, false};
    for (size_t off = 0; off < hs_len; off += TB_RECORD_MAX) {
        size_t n = hs_len - off < TB_RECORD_MAX ? hs_len - off : TB_RECORD_MAX;
        w_u8(&w, 22);
        w_u16(&w, 0x0301);
        w_u16(&w, (unsigned)n);
        w_bytes(&w, hs + off, n);
    }
    return w.bad ? 0 : w.n;
}

/* ---- QUIC Initial ---------------------------------------------------------- */

struct keys {
    uint8_t key[16], iv[12], hp[16];
};

/* HKDF-Expand-Label(secret, label, "", len), len <= 32: one HMAC block. */
static bool expand_label(const uint8_t secret[32], const char *label, uint8_t *out, size_t len)
{
    uint8_t info[64], t[32];
    size_t ll = strlen(label), n = 0;
    unsigned tl = 0;
    info[n++] = 0;
    info[n++] = (uint8_t)len;
    info[n++] = (uint8_t)(6 + ll);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, ll);
    n += ll;
    info[n++] = 0;
    info[n++] = 1;
    if (!HMAC(EVP_sha256(), secret, 32, info, n, t, &tl) || tl != 32)
        return false;
    memcpy(out, t, len);
    return true;
}

static bool derive(const uint8_t *dcid, size_t dcid_len, struct keys *k)
{
    uint8_t initial[32], client[32];
    unsigned l = 0;
    static const uint8_t none[1] = {0};
    return HMAC(EVP_sha256(), initial_salt_v1, sizeof(initial_salt_v1),
                dcid_len ? dcid : none, dcid_len, initial, &l) &&
           l == 32 && expand_label(initial, "client in", client, 32) &&
           expand_label(client, "quic key", k->key, 16) &&
           expand_label(client, "quic iv", k->iv, 12) && expand_label(client, "quic hp", k->hp, 16);
}

/* RFC 9000 A.2 with nothing acknowledged yet. */
static unsigned pn_len_for(uint32_t pn)
{
    return pn < 0x80u ? 1 : pn < 0x8000u ? 2 : pn < 0x800000u ? 3 : 4;
}

static size_t header_len(size_t dcid_len, size_t scid_len, unsigned pn_len)
{
    return 1 + 4 + 1 + dcid_len + 1 + scid_len + 1 /* token length 0 */ + 2 + pn_len;
}

/* Plaintext length after padding: at least `plain`, at least 4 - pn_len
 * (header protection sample), enough to reach pad_to. */
static size_t padded_plain(size_t hdr, unsigned pn_len, size_t plain, size_t pad_to)
{
    if (plain < 4 - pn_len)
        plain = 4 - pn_len;
    if (hdr + plain + TB_TAG < pad_to)
        plain = pad_to - hdr - TB_TAG;
    return plain;
}

/* Header written, plaintext at out[hdr..hdr+plain): encrypt in place,
 * append the tag, apply header protection. */
static size_t seal(uint8_t *out, size_t hdr, size_t plain, unsigned pn_len, uint32_t pn,
                   const uint8_t *dcid, size_t dcid_len)
{
    struct keys k;
    if (!derive(dcid, dcid_len, &k))
        return 0;
    uint8_t nonce[12];
    memcpy(nonce, k.iv, 12);
    for (int i = 0; i < 4; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));

    size_t ok = 0;
    int l1 = 0, l2 = 0;
    uint8_t mask[16];
    EVP_CIPHER_CTX *gcm = EVP_CIPHER_CTX_new();
    EVP_CIPHER_CTX *ecb = EVP_CIPHER_CTX_new();
    if (gcm && ecb && EVP_EncryptInit_ex(gcm, EVP_aes_128_gcm(), NULL, k.key, nonce) &&
        EVP_EncryptUpdate(gcm, NULL, &l1, out, (int)hdr) &&
        EVP_EncryptUpdate(gcm, out + hdr, &l1, out + hdr, (int)plain) &&
        EVP_EncryptFinal_ex(gcm, out + hdr + l1, &l2) && (size_t)(l1 + l2) == plain &&
        EVP_CIPHER_CTX_ctrl(gcm, EVP_CTRL_AEAD_GET_TAG, TB_TAG, out + hdr + plain) &&
        EVP_EncryptInit_ex(ecb, EVP_aes_128_ecb(), NULL, k.hp, NULL) &&
        EVP_CIPHER_CTX_set_padding(ecb, 0) &&
        EVP_EncryptUpdate(ecb, mask, &l1, out + hdr - pn_len + 4, 16) && l1 == 16) {
        out[0] ^= mask[0] & 0x0f;
        for (unsigned i = 0; i < pn_len; i++)
            out[hdr - pn_len + i] ^= mask[1 + i];
        ok = hdr + plain + TB_TAG;
    }
    EVP_CIPHER_CTX_free(gcm);
    EVP_CIPHER_CTX_free(ecb);
    return ok;
}

static void write_header(struct w *w, const uint8_t *dcid, size_t dcid_len,
                         const uint8_t *scid, size_t scid_len, uint32_t pn, unsigned pn_len,
                         size_t plain)
{
    w_u8(w, 0xc0 | (pn_len - 1));
    w_u16(w, 0);
    w_u16(w, 1); /* version 1 */
    w_u8(w, (unsigned)dcid_len);
    w_bytes(w, dcid, dcid_len);
    w_u8(w, (unsigned)scid_len);
    w_bytes(w, scid, scid_len);
    w_u8(w, 0); /* no token */
    w_u16(w, 0x4000 | (unsigned)(pn_len + plain + TB_TAG));
    for (unsigned i = 0; i < pn_len; i++)
        w_u8(w, (pn >> (8 * (pn_len - 1 - i))) & 0xff);
}

static bool cids_ok(const uint8_t *dcid, size_t dcid_len, const uint8_t *scid, size_t scid_len)
{
    return dcid_len <= 20 && scid_len <= 20 && (dcid || !dcid_len) && (scid || !scid_len);
}

size_t tlsbuild_quic_initial_frames(uint8_t *out, size_t cap, const uint8_t dcid[],
                                    size_t dcid_len, const uint8_t scid[], size_t scid_len,
                                    uint32_t pn, unsigned pn_len, const uint8_t *frames,
                                    size_t frames_len, size_t pad_to)
{
    if (!out || !cids_ok(dcid, dcid_len, scid, scid_len) || pn_len > 4 ||
        (frames_len && !frames))
        return 0;
    if (pn_len == 0)
        pn_len = pn_len_for(pn);
    size_t hdr = header_len(dcid_len, scid_len, pn_len);
    size_t plain = padded_plain(hdr, pn_len, frames_len, pad_to);
    if (pn_len + plain + TB_TAG > 16383 || hdr + plain + TB_TAG > cap)
        return 0;
    struct w w = {out, cap, 0, false};
    write_header(&w, dcid, dcid_len, scid, scid_len, pn, pn_len, plain);
    w_bytes(&w, frames, frames_len);
    w_zero(&w, plain - frames_len);
    if (w.bad)
        return 0;
    return seal(out, hdr, plain, pn_len, pn, dcid, dcid_len);
}

/* CRYPTO frame: type, offset, length, data. */
static size_t crypto_frame_len(uint64_t off, size_t len)
{
    return 1 + varint_len(off) + varint_len(len) + len;
}

size_t tlsbuild_quic_initial(uint8_t *out, size_t cap, const uint8_t dcid[], size_t dcid_len,
                             const uint8_t scid[], size_t scid_len, uint32_t pn,
                             const uint8_t *crypto, size_t crypto_len,
                             uint64_t crypto_offset, size_t pad_to)
{
    if (!out || !cids_ok(dcid, dcid_len, scid, scid_len) || (crypto_len && !crypto) ||
        crypto_offset >= (UINT64_C(1) << 62) - crypto_len)
        return 0;
    unsigned pn_len = pn_len_for(pn);
    size_t hdr = header_len(dcid_len, scid_len, pn_len);
    size_t frame = crypto_frame_len(crypto_offset, crypto_len);
    size_t plain = padded_plain(hdr, pn_len, frame, pad_to);
    if (crypto_len > 16383 || pn_len + plain + TB_TAG > 16383 || hdr + plain + TB_TAG > cap)
        return 0;
    struct w w = {out, cap, 0, false};
    write_header(&w, dcid, dcid_len, scid, scid_len, pn, pn_len, plain);
    w_u8(&w, 0x06);
    w_varint(&w, crypto_offset);
    w_varint(&w, crypto_len);
    w_bytes(&w, crypto, crypto_len);
    w_zero(&w, plain - frame);
    if (w.bad)
        return 0;
    return seal(out, hdr, plain, pn_len, pn, dcid, dcid_len);
}

size_t tlsbuild_quic_crypto_room(size_t dcid_len, size_t scid_len, uint32_t pn,
                                 uint64_t crypto_offset, size_t pad_to)
{
    if (dcid_len > 20 || scid_len > 20)
        return 0;
    unsigned pn_len = pn_len_for(pn);
    size_t hdr = header_len(dcid_len, scid_len, pn_len);
    if (pad_to < hdr + TB_TAG || pad_to - hdr + pn_len > 16383)
        return 0; /* the 2-byte Length field cannot cover such a packet */
    size_t plain = pad_to - hdr - TB_TAG;
    size_t fixed = 1 + varint_len(crypto_offset);
    size_t best = 0;
    /* data lengths with a 1-byte, then a 2-byte length field */
    if (plain > fixed + 1) {
        size_t l = plain - fixed - 1;
        best = l < 64 ? l : 63;
    }
    if (plain > fixed + 2) {
        size_t l = plain - fixed - 2;
        if (l > 16383)
            l = 16383;
        if (l >= 64 && l > best)
            best = l;
    }
    return best;
}
