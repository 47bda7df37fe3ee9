/*
 * classify/quic.c - SNI from QUIC version 1 client Initial packets
 * (classify/quic.h; byte layouts and limits in docs/internals/quic.md).
 *
 * What. A client's first flight is one or more Initial packets carrying the
 * TLS ClientHello in CRYPTO frames. Their protection uses keys every
 * observer can compute, so we:
 *   1. walk the long-header packets coalesced in the datagram (RFC 9000
 *      12.2), skipping 0-RTT and Handshake ones by their Length field;
 *   2. derive the client Initial keys from the first Initial's DCID
 *      (RFC 9001 5.2) and keep them in the per-flow state;
 *   3. remove header protection (RFC 9001 5.4.1, 5.4.3: AES-128-ECB of the
 *      16-byte sample that starts 4 bytes after the packet number offset),
 *      reconstruct the packet number (RFC 9000 A.3);
 *   4. open the AEAD (AES-128-GCM, nonce = iv XOR packet number, AAD = the
 *      unprotected header);
 *   5. parse the frames allowed in an Initial (PADDING, PING, ACK, CRYPTO,
 *      CONNECTION_CLOSE), placing CRYPTO data at its offset in the state;
 *   6. hand the contiguous prefix of the CRYPTO stream, cut at the end of
 *      the Handshake message (type 1, 24-bit length), to
 *      tls_client_hello_sni(); it answers as soon as a complete server_name
 *      extension is in it, else NEED_MORE until the message is complete.
 *
 * Long header (version 1), as read here:
 *   byte 0      1 | fixed | type(2) | reserved(2) | pn_len-1(2)
 *               (the low 4 bits are under header protection)
 *   1..4        version
 *   5           DCID length (<= 20), DCID
 *               SCID length (<= 20), SCID
 *   Initial:    Token Length (varint), Token
 *               Length (varint): packet number + protected payload
 *               Packet Number (1..4 bytes, protected)
 *               Payload (AEAD ciphertext, 16-byte tag at the end)
 *
 * Key schedule (HMAC-SHA256 on EVP_MD_CTX digests; every output is at most
 * one hash long, so HKDF-Expand is a single HMAC block):
 *   initial_secret = HKDF-Extract(salt 38762cf7...0a, DCID)
 *   client_secret  = HKDF-Expand-Label(initial_secret, "client in", 32)
 *   key/iv/hp      = HKDF-Expand-Label(client_secret, "quic key"/"quic iv"/
 *                    "quic hp", 16/12/16)
 *   HkdfLabel      = length(2) | len(1) "tls13 " label | 0 (empty context)
 *
 * HMAC states: an HMAC key's two padded blocks (K ^ ipad, K ^ opad) are
 * hashed once into two digest contexts, and each HMAC under that key
 * copies them (EVP_MD_CTX_copy_ex) instead of hashing the 64-byte block
 * again. The salt's pair is built in quic_ctx_new() (it is a constant),
 * the client secret's once per derivation for its three labels; the
 * initial secret is used once, so "client in" is a plain HMAC. That is 14
 * SHA-256 blocks and 12 context set-ups per DCID instead of 20 and 10
 * (OpenSSL 3.0 allocates a digest context on every init and copy): ~15 %
 * less time per derivation (docs/internals/quic.md).
 *
 * Why this shape: the EVP contexts (SHA-256, AES-ECB, AES-GCM) are created
 * once in quic_ctx_new() and re-keyed per packet with a NULL cipher, which
 * OpenSSL does without allocating; the plaintext goes to a 64 KiB scratch
 * buffer in the context (a UDP payload cannot be larger). The datagram is
 * never modified: the AAD is fed in three pieces (unmasked first byte, the
 * untouched middle of the header, unmasked packet number).
 *
 * Which Initials are ours. The client keeps its first DCID until it hears
 * from the server, but even afterwards (new DCID) its Initials use the keys
 * of the original DCID. So every v1 Initial is opened with the keys of the
 * first one; an authentication failure is MALFORMED only when the DCID is
 * the one the keys came from, otherwise the packet is skipped (a server
 * packet fed by mistake, or a client after Retry, which we do not follow).
 *
 * Invariants: s->crypto_len bytes from offset 0 are all marked in
 * s->have; s->final != 0 means the result is fixed; no read outside
 * [udp_payload, udp_payload + len) (cursor.h or explicit checks).
 */
#include "classify/quic.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "classify/tls.h"
#include "util/cursor.h"

#define QUIC_SCRATCH 65536 /* >= any UDP payload */
#define QUIC_TAG_LEN 16
#define QUIC_SAMPLE_LEN 16
#define QUIC_VARINT_MAX ((UINT64_C(1) << 62) - 1)

static const uint8_t initial_salt_v1[20] = {
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
};

struct quic_ctx {
    EVP_MD *sha256;
    EVP_MD_CTX *md;          /* SHA-256 work context: set up per hash */
    EVP_MD_CTX *salt_in;     /* SHA-256 after (salt ^ ipad): HMAC state */
    EVP_MD_CTX *salt_out;    /* SHA-256 after (salt ^ opad) */
    EVP_MD_CTX *key_in;      /* the same for the client secret */
    EVP_MD_CTX *key_out;
    EVP_CIPHER *ecb;
    EVP_CIPHER *gcm;
    EVP_CIPHER_CTX *hp_ctx;  /* AES-128-ECB, no padding */
    EVP_CIPHER_CTX *aead;    /* AES-128-GCM */
    uint8_t plain[QUIC_SCRATCH];
};

static int hmac_start(struct quic_ctx *q, const uint8_t *key, size_t key_len, EVP_MD_CTX *in,
                      EVP_MD_CTX *out);

const char *quic_status_name(enum quic_status st)
{
    switch (st) {
    case QUIC_SNI_FOUND: return "found";
    case QUIC_SNI_NONE: return "none";
    case QUIC_SNI_NEED_MORE: return "need-more";
    case QUIC_SNI_MALFORMED: return "malformed";
    }
    return "?";
}

void quic_ctx_free(struct quic_ctx *q)
{
    if (!q)
        return;
    EVP_CIPHER_CTX_free(q->aead);
    EVP_CIPHER_CTX_free(q->hp_ctx);
    EVP_CIPHER_free(q->gcm);
    EVP_CIPHER_free(q->ecb);
    EVP_MD_CTX_free(q->key_out);
    EVP_MD_CTX_free(q->key_in);
    EVP_MD_CTX_free(q->salt_out);
    EVP_MD_CTX_free(q->salt_in);
    EVP_MD_CTX_free(q->md);
    EVP_MD_free(q->sha256);
    free(q);
}

struct quic_ctx *quic_ctx_new(void)
{
    struct quic_ctx *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    q->md = EVP_MD_CTX_new();
    q->salt_in = EVP_MD_CTX_new();
    q->salt_out = EVP_MD_CTX_new();
    q->key_in = EVP_MD_CTX_new();
    q->key_out = EVP_MD_CTX_new();
    q->ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
    q->gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    q->hp_ctx = EVP_CIPHER_CTX_new();
    q->aead = EVP_CIPHER_CTX_new();
    if (!q->sha256 || !q->md || !q->salt_in || !q->salt_out || !q->key_in || !q->key_out ||
        !q->ecb || !q->gcm || !q->hp_ctx || !q->aead ||
        hmac_start(q, initial_salt_v1, sizeof(initial_salt_v1), q->salt_in, q->salt_out) < 0 ||
        !EVP_EncryptInit_ex2(q->hp_ctx, q->ecb, NULL, NULL, NULL) ||
        !EVP_CIPHER_CTX_set_padding(q->hp_ctx, 0) ||
        !EVP_DecryptInit_ex2(q->aead, q->gcm, NULL, NULL, NULL)) {
        quic_ctx_free(q);
        return NULL;
    }
    return q;
}

/* ---- key schedule ---------------------------------------------------- */

/* HMAC-SHA256 (RFC 2104) under a key used once, key_len <= 64, the key
 * padded to the 64-byte block: H((K ^ opad) | H((K ^ ipad) | data)). Two
 * digests on the reused EVP_MD_CTX: OpenSSL 3.0's HMAC (EVP_MAC or HMAC())
 * duplicates three digest contexts per key, which made key derivation ~2x
 * slower. */
static int hmac_sha256(struct quic_ctx *q, const uint8_t *key, size_t key_len,
                       const uint8_t *data, size_t len, uint8_t out[32])
{
    uint8_t pad[64], inner[32];
    unsigned n1 = 0, n2 = 0;
    if (key_len > sizeof(pad))
        return -1;
    memset(pad, 0x36, sizeof(pad));
    for (size_t i = 0; i < key_len; i++)
        pad[i] ^= key[i];
    if (!EVP_DigestInit_ex2(q->md, q->sha256, NULL) ||
        !EVP_DigestUpdate(q->md, pad, sizeof(pad)) || !EVP_DigestUpdate(q->md, data, len) ||
        !EVP_DigestFinal_ex(q->md, inner, &n1) || n1 != 32)
        return -1;
    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] ^= 0x36 ^ 0x5c;
    if (!EVP_DigestInit_ex2(q->md, q->sha256, NULL) ||
        !EVP_DigestUpdate(q->md, pad, sizeof(pad)) ||
        !EVP_DigestUpdate(q->md, inner, sizeof(inner)) ||
        !EVP_DigestFinal_ex(q->md, out, &n2) || n2 != 32)
        return -1;
    return 0;
}

/* An HMAC key's state (RFC 2104): in = SHA-256 after the block K ^ ipad,
 * out = after K ^ opad (key_len <= 64, K zero-padded to the block). */
static int hmac_start(struct quic_ctx *q, const uint8_t *key, size_t key_len, EVP_MD_CTX *in,
                      EVP_MD_CTX *out)
{
    uint8_t pad[64];
    if (key_len > sizeof(pad))
        return -1;
    memset(pad, 0x36, sizeof(pad));
    for (size_t i = 0; i < key_len; i++)
        pad[i] ^= key[i];
    if (!EVP_DigestInit_ex2(in, q->sha256, NULL) || !EVP_DigestUpdate(in, pad, sizeof(pad)))
        return -1;
    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] ^= 0x36 ^ 0x5c;
    if (!EVP_DigestInit_ex2(out, q->sha256, NULL) || !EVP_DigestUpdate(out, pad, sizeof(pad)))
        return -1;
    return 0;
}

/* HMAC(K, data) from K's state (hmac_start), which is left unchanged:
 * H((K ^ opad) | H((K ^ ipad) | data)), both digests on copies in q->md. */
static int hmac_finish(struct quic_ctx *q, const EVP_MD_CTX *in, const EVP_MD_CTX *out,
                       const uint8_t *data, size_t len, uint8_t res[32])
{
    uint8_t inner[32];
    unsigned n1 = 0, n2 = 0;
    if (!EVP_MD_CTX_copy_ex(q->md, in) || !EVP_DigestUpdate(q->md, data, len) ||
        !EVP_DigestFinal_ex(q->md, inner, &n1) || n1 != 32)
        return -1;
    if (!EVP_MD_CTX_copy_ex(q->md, out) || !EVP_DigestUpdate(q->md, inner, sizeof(inner)) ||
        !EVP_DigestFinal_ex(q->md, res, &n2) || n2 != 32)
        return -1;
    return 0;
}

/* HkdfLabel | 0x01 for HKDF-Expand-Label(secret, label, "", len) with
 * len <= 32 (RFC 8446 7.1): the input of the single HKDF-Expand block
 * T(1) = HMAC(secret, HkdfLabel | 0x01). Returns its length, 0 when the
 * label is too long. */
static size_t label_info(uint8_t info[2 + 1 + 6 + 16 + 1 + 1], const char *label, size_t len)
{
    size_t ll = strlen(label);
    if (len > 32 || ll > 16)
        return 0;
    size_t n = 0;
    info[n++] = (uint8_t)(len >> 8);
    info[n++] = (uint8_t)len;
    info[n++] = (uint8_t)(6 + ll);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, ll);
    n += ll;
    info[n++] = 0;    /* empty context */
    info[n++] = 0x01; /* block counter */
    return n;
}

/* HKDF-Expand-Label with the secret's HMAC state in q->key_in/key_out. */
static int expand_label(struct quic_ctx *q, const char *label, uint8_t *out, size_t len)
{
    uint8_t info[2 + 1 + 6 + 16 + 1 + 1], t[32];
    size_t n = label_info(info, label, len);
    if (!n || hmac_finish(q, q->key_in, q->key_out, info, n, t) < 0)
        return -1;
    memcpy(out, t, len);
    return 0;
}

int quic_client_keys(struct quic_ctx *q, const uint8_t *dcid, size_t dcid_len,
                     struct quic_keys *out)
{
    uint8_t initial[32], client[32];
    if (!q || dcid_len > QUIC_CID_MAX || (dcid_len && !dcid))
        return -1;
    /* HKDF-Extract(salt, IKM) = HMAC(salt, IKM) (RFC 5869 2.2) */
    uint8_t info[2 + 1 + 6 + 16 + 1 + 1];
    size_t n = label_info(info, "client in", sizeof(client));
    if (!n || hmac_finish(q, q->salt_in, q->salt_out, dcid, dcid_len, initial) < 0 ||
        hmac_sha256(q, initial, sizeof(initial), info, n, client) < 0 ||
        hmac_start(q, client, sizeof(client), q->key_in, q->key_out) < 0 ||
        expand_label(q, "quic key", out->key, sizeof(out->key)) < 0 ||
        expand_label(q, "quic iv", out->iv, sizeof(out->iv)) < 0 ||
        expand_label(q, "quic hp", out->hp, sizeof(out->hp)) < 0)
        return -1;
    return 0;
}

/* ---- wire helpers ------------------------------------------------------ */

/* RFC 9000 16: two top bits give the length (1, 2, 4, 8 bytes). */
static uint64_t cursor_varint(struct cursor *c)
{
    if (!cursor_has(c, 1)) {
        c->short_read = true;
        return 0;
    }
    size_t n = (size_t)1 << (c->p[0] >> 6);
    if (!cursor_has(c, n)) {
        c->short_read = true;
        c->p = c->end;
        return 0;
    }
    uint64_t v = c->p[0] & 0x3f;
    for (size_t i = 1; i < n; i++)
        v = v << 8 | c->p[i];
    c->p += n;
    return v;
}

/* RFC 9000 A.3: the full packet number closest to the expected one. */
static uint64_t decode_pn(uint64_t largest, bool have_largest, uint64_t truncated,
                          unsigned nbits)
{
    uint64_t expected = have_largest ? largest + 1 : 0;
    uint64_t win = UINT64_C(1) << nbits, hwin = win / 2, mask = win - 1;
    uint64_t cand = (expected & ~mask) | truncated;
    if (expected >= hwin && cand <= expected - hwin && cand < (UINT64_C(1) << 62) - win)
        return cand + win;
    if (cand > expected + hwin && cand >= win)
        return cand - win;
    return cand;
}

int quic_looks_initial(const uint8_t *d, size_t len)
{
    if (!d || len < 7 || (d[0] & 0xb0) != 0x80 || load_be32(d + 1) != QUIC_VERSION_1)
        return 0;
    unsigned dl = d[5];
    return dl >= 8 && dl <= QUIC_CID_MAX && len >= 7 + (size_t)dl;
}

void quic_state_init(struct quic_initial_state *s)
{
    /* crypto[] is not cleared: only bytes marked in have[] are ever read */
    s->dcid_len = 0;
    s->have_keys = 0;
    s->crypto_len = 0;
    memset(s->dcid, 0, sizeof(s->dcid));
    memset(s->have, 0, sizeof(s->have));
    memset(s->key, 0, sizeof(s->key));
    memset(s->iv, 0, sizeof(s->iv));
    memset(s->hp, 0, sizeof(s->hp));
    s->largest_pn = 0;
    s->have_pn = 0;
    s->fed = 0;
    s->final = 0;
}

/* ---- CRYPTO reassembly --------------------------------------------------- */

static void mark_range(uint8_t *bits, size_t from, size_t to)
{
    while (from < to && (from & 7)) {
        bits[from >> 3] |= (uint8_t)(1u << (from & 7));
        from++;
    }
    if (to - from >= 8) {
        size_t whole = (to - from) >> 3;
        memset(bits + (from >> 3), 0xff, whole);
        from += whole << 3;
    }
    while (from < to) {
        bits[from >> 3] |= (uint8_t)(1u << (from & 7));
        from++;
    }
}

/* Data beyond QUIC_CRYPTO_MAX is dropped: the hello is then too big for us
 * and the completion check says so. */
static void crypto_put(struct quic_initial_state *s, uint64_t off, const uint8_t *d,
                       uint64_t len)
{
    if (off >= QUIC_CRYPTO_MAX || len == 0)
        return;
    size_t n = len < QUIC_CRYPTO_MAX - off ? (size_t)len : (size_t)(QUIC_CRYPTO_MAX - off);
    memcpy(s->crypto + off, d, n);
    mark_range(s->have, (size_t)off, (size_t)off + n);
    size_t c = s->crypto_len;
    while (c < QUIC_CRYPTO_MAX) {
        if (!(c & 7) && c + 8 <= QUIC_CRYPTO_MAX && s->have[c >> 3] == 0xff)
            c += 8;
        else if (s->have[c >> 3] & (1u << (c & 7)))
            c++;
        else
            break;
    }
    s->crypto_len = (uint16_t)c;
}

/* ---- frames ------------------------------------------------------------ */

/* Frames of one decrypted Initial (RFC 9000 12.4, 17.2.2: only PADDING,
 * PING, ACK, CRYPTO and CONNECTION_CLOSE of type 0x1c). Frame types are
 * one byte: every allowed type is < 0x40 and must be minimally encoded. */
static int parse_frames(struct quic_initial_state *s, const uint8_t *p, size_t n)
{
    struct cursor c;
    cursor_init(&c, p, n);
    if (n == 0)
        return -1; /* a packet without frames is a protocol violation */
    while (cursor_left(&c) && !c.short_read) {
        uint8_t type = cursor_u8(&c);
        switch (type) {
        case 0x00: { /* PADDING: runs of zero bytes */
            size_t k = 0, left = cursor_left(&c);
            while (k < left && c.p[k] == 0)
                k++;
            cursor_skip(&c, k);
            break;
        }
        case 0x01: /* PING */
            break;
        case 0x02:
        case 0x03: { /* ACK: largest, delay, range count, first range, ranges */
            cursor_varint(&c);
            cursor_varint(&c);
            uint64_t ranges = cursor_varint(&c);
            cursor_varint(&c);
            /* each range is at least 2 bytes, so the loop ends with the data */
            for (uint64_t i = 0; i < ranges && !c.short_read; i++) {
                cursor_varint(&c);
                cursor_varint(&c);
            }
            if (type == 0x03) { /* ECT0, ECT1, ECN-CE counts */
                cursor_varint(&c);
                cursor_varint(&c);
                cursor_varint(&c);
            }
            break;
        }
        case 0x06: { /* CRYPTO: offset, length, data */
            uint64_t off = cursor_varint(&c);
            uint64_t len = cursor_varint(&c);
            if (c.short_read || len > cursor_left(&c) || off + len > QUIC_VARINT_MAX)
                return -1;
            crypto_put(s, off, c.p, len);
            cursor_skip(&c, (size_t)len);
            break;
        }
        case 0x1c: { /* CONNECTION_CLOSE: code, frame type, reason */
            cursor_varint(&c);
            cursor_varint(&c);
            uint64_t rl = cursor_varint(&c);
            if (c.short_read || rl > cursor_left(&c))
                return -1;
            cursor_skip(&c, (size_t)rl);
            break;
        }
        default:
            return -1;
        }
    }
    return c.short_read ? -1 : 0;
}

/* ---- packet protection --------------------------------------------------- */

/* Open one Initial. pkt..pkt_end is the whole packet, pn_off the offset of
 * the packet number. Returns the plaintext length (in q->plain) or -1 when
 * the packet is too short or does not authenticate. */
static long open_initial(struct quic_ctx *q, struct quic_initial_state *s, const uint8_t *pkt,
                         size_t pn_off, size_t pkt_len, uint64_t *pn_out)
{
    /* the sample assumes a 4-byte packet number (RFC 9001 5.4.2) */
    if (pn_off + 4 + QUIC_SAMPLE_LEN > pkt_len)
        return -1;
    uint8_t mask[QUIC_SAMPLE_LEN];
    int outl = 0;
    if (!EVP_EncryptInit_ex2(q->hp_ctx, NULL, s->hp, NULL, NULL) ||
        !EVP_EncryptUpdate(q->hp_ctx, mask, &outl, pkt + pn_off + 4, QUIC_SAMPLE_LEN) ||
        outl != QUIC_SAMPLE_LEN)
        return -1;
    uint8_t first = (uint8_t)(pkt[0] ^ (mask[0] & 0x0f));
    size_t pn_len = (size_t)(first & 0x03) + 1;
    uint8_t pnb[4];
    uint64_t trunc = 0;
    for (size_t i = 0; i < pn_len; i++) {
        pnb[i] = (uint8_t)(pkt[pn_off + i] ^ mask[1 + i]);
        trunc = trunc << 8 | pnb[i];
    }
    size_t hdr_len = pn_off + pn_len;
    if (pkt_len < hdr_len + QUIC_TAG_LEN + 1)
        return -1;
    size_t ct_len = pkt_len - hdr_len - QUIC_TAG_LEN;
    if (ct_len > sizeof(q->plain))
        return -1;
    uint64_t pn = decode_pn(s->largest_pn, s->have_pn, trunc, (unsigned)(8 * pn_len));

    uint8_t nonce[12], tag[QUIC_TAG_LEN];
    memcpy(nonce, s->iv, sizeof(nonce));
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
    memcpy(tag, pkt + pkt_len - QUIC_TAG_LEN, QUIC_TAG_LEN);

    int n1 = 0, n2 = 0;
    if (!EVP_DecryptInit_ex2(q->aead, NULL, s->key, nonce, NULL) ||
        !EVP_DecryptUpdate(q->aead, NULL, &outl, &first, 1) ||
        !EVP_DecryptUpdate(q->aead, NULL, &outl, pkt + 1, (int)(pn_off - 1)) ||
        !EVP_DecryptUpdate(q->aead, NULL, &outl, pnb, (int)pn_len) ||
        !EVP_DecryptUpdate(q->aead, q->plain, &n1, pkt + hdr_len, (int)ct_len) ||
        !EVP_CIPHER_CTX_ctrl(q->aead, EVP_CTRL_AEAD_SET_TAG, QUIC_TAG_LEN, tag) ||
        EVP_DecryptFinal_ex(q->aead, q->plain + n1, &n2) <= 0)
        return -1;
    /* reserved bits must be zero once protection is removed (RFC 9000 17.2) */
    if (first & 0x0c)
        return -1;
    *pn_out = pn;
    return (long)n1 + n2;
}

/* ---- datagram walk ------------------------------------------------------ */

enum walk { W_OK, W_NONE, W_BAD };

/* Walks the packets of one datagram. *opened counts Initials decrypted. */
static enum walk walk_datagram(struct quic_ctx *q, struct quic_initial_state *s,
                               const uint8_t *d, size_t len, unsigned *opened)
{
    size_t pos = 0;
    while (pos < len) {
        struct cursor c;
        cursor_init(&c, d + pos, len - pos);
        uint8_t first = cursor_u8(&c);
        if (!(first & 0x80))
            break; /* short header or padding after the last packet */
        uint32_t version = cursor_be32(&c);
        if (c.short_read || version != QUIC_VERSION_1)
            break; /* version negotiation, other versions: lengths unknown */
        uint8_t dcid_len = cursor_u8(&c);
        const uint8_t *dcid = cursor_peek(&c, dcid_len);
        cursor_skip(&c, dcid_len);
        uint8_t scid_len = cursor_u8(&c);
        cursor_skip(&c, scid_len);
        if (c.short_read || dcid_len > QUIC_CID_MAX || scid_len > QUIC_CID_MAX)
            return W_BAD;
        unsigned type = (first >> 4) & 3;
        if (type == 3)
            break; /* Retry: server only, no Length field */
        if (type == 0) {
            uint64_t tl = cursor_varint(&c);
            if (c.short_read || tl > cursor_left(&c))
                return W_BAD;
            cursor_skip(&c, (size_t)tl);
        }
        uint64_t plen = cursor_varint(&c);
        if (c.short_read || plen > cursor_left(&c))
            return W_BAD;
        size_t pn_off = cursor_offset(&c);
        size_t pkt_len = pn_off + (size_t)plen;
        const uint8_t *pkt = d + pos;
        pos += pkt_len;
        if (type != 0)
            continue; /* 0-RTT or Handshake */

        bool key_dcid;
        if (!s->have_keys) {
            if (dcid_len < 8)
                return *opened ? W_OK : W_NONE; /* not a client's first DCID */
            struct quic_keys k;
            if (quic_client_keys(q, dcid, dcid_len, &k) < 0)
                return W_BAD;
            memcpy(s->key, k.key, sizeof(s->key));
            memcpy(s->iv, k.iv, sizeof(s->iv));
            memcpy(s->hp, k.hp, sizeof(s->hp));
            memcpy(s->dcid, dcid, dcid_len);
            s->dcid_len = dcid_len;
            s->have_keys = 1;
            key_dcid = true;
        } else {
            key_dcid = dcid_len == s->dcid_len && memcmp(dcid, s->dcid, dcid_len) == 0;
        }
        uint64_t pn = 0;
        long n = open_initial(q, s, pkt, pn_off, pkt_len, &pn);
        if (n < 0) {
            if (key_dcid)
                return W_BAD;
            continue; /* not protected with our keys: not this client's */
        }
        if (!s->have_pn || pn > s->largest_pn) {
            s->largest_pn = pn;
            s->have_pn = 1;
        }
        (*opened)++;
        if (parse_frames(s, q->plain, (size_t)n) < 0)
            return W_BAD;
    }
    return (*opened || s->have_keys) ? W_OK : W_NONE;
}

static enum quic_status finish(struct quic_initial_state *s, enum quic_status st)
{
    if (st != QUIC_SNI_NEED_MORE)
        s->final = (uint8_t)(1 + st);
    return st;
}

/* Hands the contiguous prefix of the CRYPTO stream to the TLS parser. The
 * parser answers FOUND as soon as a complete server_name extension is in
 * the prefix (classify/tls.h), so a name in the first Initial is found
 * without waiting for the rest of a two-packet hello. */
static enum quic_status check_hello(struct quic_initial_state *s, char *sni, size_t cap)
{
    size_t avail = s->crypto_len;
    if (avail == 0)
        return QUIC_SNI_NEED_MORE;
    if (s->crypto[0] != 0x01) /* a client's first Handshake message */
        return QUIC_SNI_MALFORMED;
    size_t need = (size_t)-1;
    if (avail >= 4) {
        need = 4 + ((size_t)s->crypto[1] << 16) + load_be16(s->crypto + 2);
        if (avail > need)
            avail = need; /* nothing after the ClientHello is looked at */
    }
    switch (tls_client_hello_sni(s->crypto, avail, sni, cap)) {
    case TLS_SNI_FOUND:
        return QUIC_SNI_FOUND;
    case TLS_SNI_NONE:
        return QUIC_SNI_NONE;
    case TLS_SNI_NEED_MORE:
        if (avail == need)
            return QUIC_SNI_MALFORMED; /* whole message, yet "incomplete" */
        if (avail == QUIC_CRYPTO_MAX)
            return QUIC_SNI_NONE; /* bigger than we keep, name not in it */
        return QUIC_SNI_NEED_MORE;
    case TLS_SNI_MALFORMED:
        break;
    }
    return QUIC_SNI_MALFORMED;
}

enum quic_status quic_initial_feed(struct quic_ctx *q, struct quic_initial_state *s,
                                   const uint8_t *udp_payload, size_t len, char *sni,
                                   size_t cap)
{
    if (sni && cap)
        sni[0] = '\0';
    if (s->final) {
        enum quic_status st = (enum quic_status)(s->final - 1);
        if (st == QUIC_SNI_FOUND && check_hello(s, sni, cap) != QUIC_SNI_FOUND)
            return QUIC_SNI_MALFORMED; /* cannot happen: same bytes as before */
        return st;
    }
    if (!q || (!udp_payload && len))
        return finish(s, QUIC_SNI_MALFORMED);
    unsigned opened = 0;
    switch (walk_datagram(q, s, udp_payload, len, &opened)) {
    case W_NONE:
        return finish(s, QUIC_SNI_NONE);
    case W_BAD:
        if (sni && cap)
            sni[0] = '\0';
        return finish(s, QUIC_SNI_MALFORMED);
    case W_OK:
        break;
    }
    enum quic_status st = check_hello(s, sni, cap);
    if (st != QUIC_SNI_FOUND && sni && cap)
        sni[0] = '\0';
    if (st == QUIC_SNI_NEED_MORE && ++s->fed >= QUIC_FEED_MAX)
        st = QUIC_SNI_NONE;
    return finish(s, st);
}
