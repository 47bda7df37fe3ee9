/*
 * classify/tls.c - server name (SNI) of a TLS ClientHello (API: tls.h;
 * more: docs/internals/names.md).
 *
 * Byte layouts (RFC 8446 5.1, 4, 4.1.2, 4.2; RFC 6066 3), big-endian:
 *
 *   record:     type(1)=22  legacy_version(2)=0x03xx  length(2)  fragment
 *   handshake:  msg_type(1)=1  length(3)  body           (may span records)
 *   ClientHello body:
 *     legacy_version(2) random(32)
 *     legacy_session_id     len(1) 0..32
 *     cipher_suites         len(2) 2..2^16-2, even
 *     compression_methods   len(1) 1..255
 *     extensions            len(2), then until the end of the body:
 *       extension_type(2) extension_data len(2)
 *   server_name extension (type 0) data:
 *     server_name_list len(2), then entries:
 *       name_type(1)  (0 = host_name)  HostName len(2) 1..2^16-1  bytes
 *   A TLS 1.0-1.2 ClientHello may end after compression_methods (no
 *   extensions at all): that is NONE.
 *
 * Why a fragment reader instead of copying: a handshake message may be cut
 * into records at any byte (even inside a length field). The reader walks
 * the record stream directly: when the current record's payload is used
 * up, it reads the next 5-byte record header and continues. It tracks a
 * logical offset (`hpos`, bytes of the handshake message consumed) against
 * which every length is checked, so the ClientHello parser never sees
 * record boundaries, needs no buffer and has no size limit. A bare
 * handshake message (QUIC) is the same reader with one fragment and no
 * record headers.
 *
 * Two kinds of end: a length that does not fit inside its parent is
 * MALFORMED (decided from the length fields alone, before looking at
 * whether the bytes are there); bytes that are simply not there yet are
 * NEED_MORE. The reader's error is sticky: after one failed read all
 * further reads return 0 and the parser checks once per step.
 *
 * Reassembly (tls_reasm_*): the in-order prefix of the client stream in a
 * fixed buffer, with sequence numbers compared modulo 2^32 (RFC 9293
 * 3.4). Each feed that adds bytes reparses from the start: the ClientHello
 * is parsed at most a few times per flow, and parsing is a few hundred
 * byte reads, far cheaper than keeping parser state across segments.
 */
#include "classify/tls.h"

#include <stdbool.h>
#include <string.h>

#include "util/cursor.h"

#define TLS_CT_HANDSHAKE 22
#define TLS_HS_CLIENT_HELLO 1
#define TLS_RECORD_HDR 5
#define TLS_RECORD_MAX 16384 /* 2^14: TLSPlaintext.length limit */
#define TLS_EXT_SERVER_NAME 0
#define TLS_SNI_HOST_NAME 0

struct hs_rd {
    const uint8_t *data;
    size_t len;      /* bytes available */
    size_t pos;      /* next byte of data */
    size_t frag_end; /* end of the current fragment (may be beyond len) */
    size_t lim;      /* min(frag_end, len): readable without crossing; pos once failed */
    size_t hpos;     /* handshake bytes consumed so far */
    bool records;    /* data is a record stream (else one bare fragment) */
    enum tls_status err; /* TLS_SNI_FOUND = no error yet */
};

static void rd_init(struct hs_rd *r, const uint8_t *data, size_t len, bool records)
{
    r->data = data;
    r->len = len;
    r->pos = 0;
    r->frag_end = records ? 0 : len;
    r->lim = r->frag_end;
    r->hpos = 0;
    r->records = records;
    r->err = TLS_SNI_FOUND;
}

static bool rd_fail(struct hs_rd *r, enum tls_status err)
{
    r->err = err;
    r->lim = r->pos; /* the inline fast paths now fail too */
    return false;
}

/* Slow path: make at least one byte readable at pos, crossing into the
 * next record when the current one is used up. */
static bool rd_fill(struct hs_rd *r)
{
    if (r->err != TLS_SNI_FOUND)
        return false;
    if (r->pos < r->lim)
        return true;
    if (r->pos < r->frag_end || !r->records)
        return rd_fail(r, TLS_SNI_NEED_MORE); /* inside a fragment: bytes missing */
    size_t left = r->len - r->pos;
    const uint8_t *h = r->data + r->pos;
    if ((left >= 1 && h[0] != TLS_CT_HANDSHAKE) || (left >= 2 && h[1] != 3))
        return rd_fail(r, TLS_SNI_MALFORMED);
    if (left < TLS_RECORD_HDR)
        return rd_fail(r, TLS_SNI_NEED_MORE);
    size_t rlen = load_be16(h + 3);
    if (rlen == 0 || rlen > TLS_RECORD_MAX) /* RFC 8446 5.1: no empty handshake records */
        return rd_fail(r, TLS_SNI_MALFORMED);
    r->pos += TLS_RECORD_HDR;
    r->frag_end = r->pos + rlen;
    r->lim = r->frag_end < r->len ? r->frag_end : r->len;
    if (r->pos >= r->len)
        return rd_fail(r, TLS_SNI_NEED_MORE);
    return true;
}

static inline uint8_t rd_u8(struct hs_rd *r)
{
    if (r->pos >= r->lim && !rd_fill(r))
        return 0;
    r->hpos++;
    return r->data[r->pos++];
}

static inline uint16_t rd_u16(struct hs_rd *r)
{
    if (r->lim - r->pos >= 2) { /* both bytes in this fragment */
        uint16_t v = load_be16(r->data + r->pos);
        r->pos += 2;
        r->hpos += 2;
        return v;
    }
    uint16_t v = (uint16_t)(rd_u8(r) << 8);
    return (uint16_t)(v | rd_u8(r));
}

/* Copy n bytes out (dst may be NULL: skip). */
static bool rd_bytes(struct hs_rd *r, uint8_t *dst, size_t n)
{
    while (n) {
        if (r->pos >= r->lim && !rd_fill(r))
            return false;
        size_t take = r->lim - r->pos;
        if (take > n)
            take = n;
        if (dst) {
            memcpy(dst, r->data + r->pos, take);
            dst += take;
        }
        r->pos += take;
        r->hpos += take;
        n -= take;
    }
    return r->err == TLS_SNI_FOUND;
}

/* The next n bytes must lie inside the enclosing structure ending at `end`
 * (a handshake offset); if not, the lengths contradict each other. */
static bool rd_within(struct hs_rd *r, size_t end, size_t n)
{
    if (r->err != TLS_SNI_FOUND)
        return false;
    if (r->hpos > end || end - r->hpos < n)
        return rd_fail(r, TLS_SNI_MALFORMED);
    return true;
}

/* sni_state: 0 no server_name seen yet, 1 seen with a usable name, 2 seen
 * without one. Once it is decided, running out of bytes no longer matters. */
static enum tls_status rd_stop(const struct hs_rd *r, int sni_state)
{
    if (r->err == TLS_SNI_NEED_MORE && sni_state != 0)
        return sni_state == 1 ? TLS_SNI_FOUND : TLS_SNI_NONE;
    return r->err;
}

/* server_name extension data, ending at handshake offset ext_end.
 * Returns 1 (usable name written to sni), 2 (no usable name), 0 (r->err set). */
static int parse_server_name(struct hs_rd *r, size_t ext_end, char *sni, size_t cap)
{
    if (!rd_within(r, ext_end, 2))
        return 0;
    size_t list = rd_u16(r);
    if (r->err != TLS_SNI_FOUND)
        return 0;
    if (list != ext_end - r->hpos) {
        rd_fail(r, TLS_SNI_MALFORMED);
        return 0;
    }
    int state = 2;
    bool have_host = false;
    while (r->hpos < ext_end) {
        if (!rd_within(r, ext_end, 3))
            return 0;
        uint8_t type = rd_u8(r);
        size_t n = rd_u16(r);
        if (!rd_within(r, ext_end, n))
            return 0;
        if (type != TLS_SNI_HOST_NAME) {
            if (!rd_bytes(r, NULL, n))
                return 0;
            continue;
        }
        /* RFC 6066 3: HostName<1..2^16-1>, at most one per name type. */
        if (have_host || n == 0) {
            rd_fail(r, TLS_SNI_MALFORMED);
            return 0;
        }
        have_host = true;
        if (n <= CLASSIFY_NAME_MAX - 2) { /* 253 characters + a trailing dot */
            uint8_t tmp[CLASSIFY_NAME_MAX];
            if (!rd_bytes(r, tmp, n))
                return 0;
            if (classify_name_copy(tmp, n, sni, cap, CLASSIFY_NAME_NO_IPV4))
                state = 1;
        } else if (!rd_bytes(r, NULL, n)) {
            return 0;
        }
    }
    return state;
}

static enum tls_status parse_client_hello(struct hs_rd *r, char *sni, size_t cap)
{
    uint8_t type = rd_u8(r);
    if (r->err != TLS_SNI_FOUND)
        return r->err;
    if (type != TLS_HS_CLIENT_HELLO)
        return TLS_SNI_NONE;
    size_t end = rd_u8(r);
    end = end << 8 | rd_u8(r);
    end = end << 8 | rd_u8(r);
    end += 4; /* handshake header */

    /* legacy_version, random, legacy_session_id */
    if (!rd_within(r, end, 35) || !rd_bytes(r, NULL, 34))
        return r->err;
    size_t n = rd_u8(r);
    if (r->err == TLS_SNI_FOUND && n > 32)
        rd_fail(r, TLS_SNI_MALFORMED);
    if (!rd_within(r, end, n) || !rd_bytes(r, NULL, n))
        return r->err;
    /* cipher_suites */
    if (!rd_within(r, end, 2))
        return r->err;
    n = rd_u16(r);
    if (r->err == TLS_SNI_FOUND && (n < 2 || (n & 1)))
        rd_fail(r, TLS_SNI_MALFORMED);
    if (!rd_within(r, end, n) || !rd_bytes(r, NULL, n))
        return r->err;
    /* legacy_compression_methods */
    if (!rd_within(r, end, 1))
        return r->err;
    n = rd_u8(r);
    if (r->err == TLS_SNI_FOUND && n < 1)
        rd_fail(r, TLS_SNI_MALFORMED);
    if (!rd_within(r, end, n) || !rd_bytes(r, NULL, n))
        return r->err;
    if (r->hpos == end)
        return TLS_SNI_NONE; /* no extensions (TLS <= 1.2 allows it) */
    if (!rd_within(r, end, 2))
        return r->err;
    n = rd_u16(r);
    if (r->err == TLS_SNI_FOUND && n != end - r->hpos)
        rd_fail(r, TLS_SNI_MALFORMED);

    int sni_state = 0;
    while (r->err == TLS_SNI_FOUND && r->hpos < end) {
        if (!rd_within(r, end, 4))
            break;
        uint16_t etype = rd_u16(r);
        size_t elen = rd_u16(r);
        if (!rd_within(r, end, elen))
            break;
        if (etype != TLS_EXT_SERVER_NAME) {
            rd_bytes(r, NULL, elen);
            continue;
        }
        if (sni_state != 0) { /* RFC 8446 4.2: one extension of each type */
            rd_fail(r, TLS_SNI_MALFORMED);
            break;
        }
        sni_state = parse_server_name(r, r->hpos + elen, sni, cap);
    }
    if (r->err != TLS_SNI_FOUND)
        return rd_stop(r, sni_state);
    return sni_state == 1 ? TLS_SNI_FOUND : TLS_SNI_NONE;
}

static enum tls_status finish(enum tls_status st, char *sni, size_t cap)
{
    if (st != TLS_SNI_FOUND && cap)
        sni[0] = '\0';
    return st;
}

enum tls_status tls_client_hello_sni(const uint8_t *hs, size_t len, char *sni, size_t cap)
{
    if (cap)
        sni[0] = '\0';
    if (len == 0)
        return TLS_SNI_NEED_MORE;
    if (hs[0] != TLS_HS_CLIENT_HELLO)
        return TLS_SNI_NONE;
    struct hs_rd r;
    rd_init(&r, hs, len, false);
    return finish(parse_client_hello(&r, sni, cap), sni, cap);
}

enum tls_status tls_records_sni(const uint8_t *data, size_t len, char *sni, size_t cap)
{
    if (cap)
        sni[0] = '\0';
    if (len == 0)
        return TLS_SNI_NEED_MORE;
    if (data[0] != TLS_CT_HANDSHAKE)
        return TLS_SNI_NONE;
    if (len < 2)
        return TLS_SNI_NEED_MORE;
    if (data[1] != 3)
        return TLS_SNI_NONE;
    struct hs_rd r;
    rd_init(&r, data, len, true);
    return finish(parse_client_hello(&r, sni, cap), sni, cap);
}

void tls_reasm_init(struct tls_reasm *r)
{
    r->next_seq = 0;
    r->len = 0;
    r->started = 0;
    r->done = 0;
}

enum tls_status tls_reasm_feed(struct tls_reasm *r, uint32_t tcp_seq, const uint8_t *payload,
                               size_t len, char *sni, size_t cap)
{
    if (cap)
        sni[0] = '\0';
    if (r->done) {
        enum tls_status st = (enum tls_status)(r->done - 1);
        if (st == TLS_SNI_FOUND)
            return tls_records_sni(r->buf, r->len, sni, cap);
        return st;
    }
    if (len == 0)
        return TLS_SNI_NEED_MORE;
    if (!r->started) {
        r->started = 1;
        r->next_seq = tcp_seq;
    }
    uint32_t ahead = tcp_seq - r->next_seq;
    if (ahead != 0 && ahead < 0x80000000u)
        return TLS_SNI_NEED_MORE; /* gap: wait for the missing bytes */
    if (ahead != 0) {
        uint32_t behind = r->next_seq - tcp_seq;
        if (behind >= len)
            return TLS_SNI_NEED_MORE; /* pure retransmission */
        payload += behind;
        len -= behind;
    }
    size_t room = (size_t)TLS_REASM_MAX - r->len;
    size_t take = len < room ? len : room;
    memcpy(r->buf + r->len, payload, take);
    r->len = (uint16_t)(r->len + take);
    r->next_seq += (uint32_t)take;

    enum tls_status st = tls_records_sni(r->buf, r->len, sni, cap);
    if (st == TLS_SNI_NEED_MORE) {
        if (r->len < TLS_REASM_MAX)
            return st;
        st = TLS_SNI_MALFORMED; /* the ClientHello does not fit: give up */
    }
    r->done = (uint8_t)(st + 1);
    return finish(st, sni, cap);
}
