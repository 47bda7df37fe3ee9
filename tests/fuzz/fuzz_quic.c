/*
 * fuzz_quic.c - libFuzzer target for classify/quic.c (QUIC v1 Initial
 * decryption, CRYPTO reassembly, the ClientHello hand-off).
 *
 * Random bytes almost never authenticate, so besides raw datagrams the
 * target protects fuzzer bytes itself with the builders of
 * synth/tlsbuild.c, which puts the frame parser and the reassembly behind
 * the AEAD within reach. Byte 0 picks the mode (mod 4), the rest is R:
 *
 *   0 raw:      R is split into datagrams by 2-byte big-endian length
 *               prefixes and fed in order to one state; then R is fed whole
 *               as one datagram to a fresh state.
 *   1 frames:   R is split the same way into plaintext frame blobs; blob i
 *               is protected as a client Initial with packet number i
 *               (byte R[0] bit 0: pad to 1200; bit 1: coalesce each pair of
 *               packets into one datagram) and fed to one state.
 *   2 crypto:   R[0..3] plan the cut, R[4..] is the CRYPTO stream itself
 *               (a ClientHello to mutate): cut into up to 8 pieces, each in
 *               its own Initial, sent forwards or backwards.
 *   3 hello:    a well-formed hello built by tlsbuild_client_hello_quic()
 *               from R (name letters, padding size, seed), then up to 8
 *               bytes of it overwritten at positions from R, sent in one or
 *               two Initials in either order.
 *
 * Checked on every feed: the status is one of the four; FOUND leaves a
 * non-empty NUL-terminated name shorter than the buffer, other statuses ""
 * ; a final status is sticky (fed again: same status).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify/quic.h"
#include "synth/tlsbuild.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME_CAP 256
#define DGRAM_MAX 65536

static struct quic_ctx *q;
static struct quic_initial_state st;
static uint8_t dgram[DGRAM_MAX];
static const uint8_t DCID[8] = {0xf0, 0x22, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
static const uint8_t SCID[4] = {0x5c, 0x1d, 0x00, 0x07};

static enum quic_status feed(const uint8_t *d, size_t n)
{
    char sni[NAME_CAP];
    memset(sni, 'x', sizeof(sni));
    enum quic_status s = quic_initial_feed(q, &st, d, n, sni, sizeof(sni));
    size_t len = strnlen(sni, sizeof(sni));
    switch (s) {
    case QUIC_SNI_FOUND:
        if (len == 0 || len >= sizeof(sni))
            abort();
        break;
    case QUIC_SNI_NONE:
    case QUIC_SNI_NEED_MORE:
    case QUIC_SNI_MALFORMED:
        if (len != 0)
            abort();
        break;
    default:
        abort();
    }
    if (s != QUIC_SNI_NEED_MORE && quic_initial_feed(q, &st, d, n, sni, sizeof(sni)) != s)
        abort();
    return s;
}

/* Next length-prefixed piece of r; false at the end. */
static bool next_piece(const uint8_t **r, size_t *left, const uint8_t **p, size_t *n)
{
    if (*left < 2)
        return false;
    size_t want = (size_t)(*r)[0] << 8 | (*r)[1];
    *r += 2;
    *left -= 2;
    *n = want < *left ? want : *left;
    *p = *r;
    *r += *n;
    *left -= *n;
    return true;
}

static void mode_raw(const uint8_t *r, size_t n)
{
    const uint8_t *p;
    size_t pn, left = n;
    const uint8_t *cur = r;
    quic_state_init(&st);
    while (next_piece(&cur, &left, &p, &pn))
        if (feed(p, pn) != QUIC_SNI_NEED_MORE)
            break;
    quic_state_init(&st);
    feed(r, n);
}

static void mode_frames(const uint8_t *r, size_t n)
{
    if (n < 1)
        return;
    size_t pad = (r[0] & 1) ? 1200 : 0;
    int coalesce = r[0] & 2;
    const uint8_t *cur = r + 1, *p;
    size_t left = n - 1, pn, used = 0;
    uint32_t num = 0;
    quic_state_init(&st);
    while (next_piece(&cur, &left, &p, &pn) && num < 16) {
        size_t l = tlsbuild_quic_initial_frames(dgram + used, sizeof(dgram) - used, DCID,
                                                sizeof(DCID), SCID, sizeof(SCID), num++, 0, p,
                                                pn, pad);
        if (l == 0)
            continue;
        used += l;
        if (coalesce && (num & 1))
            continue; /* send with the next one */
        enum quic_status s = feed(dgram, used);
        used = 0;
        if (s != QUIC_SNI_NEED_MORE)
            return;
    }
    if (used)
        feed(dgram, used);
}

/* Sends stream[0..n) as CRYPTO frames cut at the given points. */
static void send_crypto(const uint8_t *stream, size_t n, const size_t *cuts, size_t ncuts,
                        int backwards, size_t pad)
{
    size_t starts[10], ends[10], k = 0, prev = 0;
    for (size_t i = 0; i < ncuts && k < 9; i++) {
        if (cuts[i] <= prev || cuts[i] >= n)
            continue;
        starts[k] = prev;
        ends[k++] = cuts[i];
        prev = cuts[i];
    }
    starts[k] = prev;
    ends[k++] = n;
    quic_state_init(&st);
    for (size_t j = 0; j < k; j++) {
        size_t i = backwards ? k - 1 - j : j;
        size_t l = tlsbuild_quic_initial(dgram, sizeof(dgram), DCID, sizeof(DCID), SCID,
                                         sizeof(SCID), (uint32_t)i, stream + starts[i],
                                         ends[i] - starts[i], starts[i], pad);
        if (l == 0)
            return;
        if (feed(dgram, l) != QUIC_SNI_NEED_MORE)
            return;
    }
}

static void mode_crypto(const uint8_t *r, size_t n)
{
    if (n < 4)
        return;
    size_t cuts[8];
    size_t body = n - 4;
    for (int i = 0; i < 3; i++)
        cuts[i] = body ? (size_t)r[i] * body / 256 : 0;
    /* cuts must ascend */
    for (int i = 1; i < 3; i++)
        if (cuts[i] < cuts[i - 1])
            cuts[i] = cuts[i - 1];
    send_crypto(r + 4, body, cuts, 3, r[3] & 1, (r[3] & 2) ? 1200 : 0);
}

static void mode_hello(const uint8_t *r, size_t n)
{
    if (n < 12)
        return;
    static uint8_t hello[8192];
    char name[64];
    size_t nl = r[0] % 40;
    for (size_t i = 0; i < nl; i++) {
        uint8_t c = i + 12 < n ? r[12 + i] : (uint8_t)i;
        name[i] = (c % 8 == 0 && i && name[i - 1] != '.') ? '.' : (char)('a' + c % 26);
    }
    name[nl] = '\0';
    size_t pad = (size_t)(r[1] & 0x0f) * 256;
    uint64_t seed = 0;
    for (int i = 0; i < 8; i++)
        seed = seed << 8 | r[2 + i];
    size_t len = tlsbuild_client_hello_quic(hello, sizeof(hello), (r[1] & 0x80) ? NULL : name,
                                            pad, seed, SCID, sizeof(SCID));
    if (len == 0)
        abort(); /* the builder must manage every such input */
    /* overwrite up to 8 bytes: (position, value) pairs after the name */
    size_t at = 12 + nl;
    for (int i = 0; i < 8 && at + 3 <= n; i++, at += 3) {
        size_t pos = ((size_t)r[at] << 8 | r[at + 1]) % len;
        hello[pos] = r[at + 2];
    }
    size_t room = tlsbuild_quic_crypto_room(sizeof(DCID), sizeof(SCID), 0, 0, 1200);
    size_t cut = room < len ? room : len / 2;
    send_crypto(hello, len, &cut, 1, r[10] & 1, 1200);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!q) {
        q = quic_ctx_new();
        if (!q)
            abort();
    }
    if (size < 1 || size > DGRAM_MAX)
        return 0;
    const uint8_t *r = data + 1;
    size_t n = size - 1;
    switch (data[0] & 3) {
    case 0: mode_raw(r, n); break;
    case 1: mode_frames(r, n); break;
    case 2: mode_crypto(r, n); break;
    case 3: mode_hello(r, n); break;
    }
    return 0;
}
