/*
 * fuzz_tls.c - libFuzzer target for the ClientHello SNI parsers
 * (lib/classify/tls.c): tls_records_sni(), tls_client_hello_sni() and
 * tls_reasm_feed().
 *
 * Input layout:
 *   byte 0        k = bits 0-2 (number of cut points), flags = bits 3-7
 *   bytes 1..k    segment sizes: 1 + 8 * byte
 *   the rest      the client's stream (TLS records), cut into k + 1
 *                 segments (the last takes what is left)
 * flags: 1 = feed every segment twice (retransmission), 2 = swap segments 1
 * and 2 (out of order), 4 = start every segment after the first 3 bytes
 * early (overlap), 8 = initial sequence number near 2^32 (wrap).
 * The two direct parsers also run on the whole input.
 *
 * Checked:
 *   - statuses in range; a FOUND name is a valid name, otherwise sni is "";
 *   - a prefix of the stream that gives a final answer gives the same
 *     answer on the whole stream, or MALFORMED there (a defect after the
 *     server_name extension); a prefix MALFORMED stays MALFORMED;
 *   - fed in order (with or without retransmissions and overlaps), the
 *     reassembler answers exactly what tls_records_sni() answers on the
 *     bytes received so far, until the buffer is full (then MALFORMED).
 *
 * Seeds: /tmp/h2-seeds/fuzz_tls/ (the ClientHellos of
 * tests/unit/test_tls.c behind headers "\x00", "\x01\xb4", "\x1a\x40\x40").
 * Any captured ClientHello record stream with one of those headers in
 * front is a good seed: e.g. in python3, ssl.MemoryBIO + SSLContext.wrap_bio
 * (server_hostname="x.example"), do_handshake(), outgoing.read().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify/tls.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_result(enum tls_status st, const char *sni)
{
    if (st > TLS_SNI_MALFORMED)
        abort();
    size_t n = strnlen(sni, CLASSIFY_NAME_MAX);
    if (st != TLS_SNI_FOUND) {
        if (n != 0)
            abort();
        return;
    }
    fuzz_check_name(sni, n);
}

/* Prefix result p (name ps) against the whole-input result f (name fs). */
static void check_prefix(enum tls_status p, const char *ps, enum tls_status f, const char *fs)
{
    if (p == TLS_SNI_NEED_MORE)
        return;
    if (f == TLS_SNI_NEED_MORE)
        abort();
    if (p == TLS_SNI_MALFORMED && f != TLS_SNI_MALFORMED)
        abort();
    if (f != p && f != TLS_SNI_MALFORMED)
        abort();
    if (f == TLS_SNI_FOUND && strcmp(ps, fs) != 0)
        abort();
}

struct seg {
    size_t off, len;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tls_reasm r;
    char full[CLASSIFY_NAME_MAX], part[CLASSIFY_NAME_MAX], rs[CLASSIFY_NAME_MAX];

    /* The direct parsers on the whole input and on its half. */
    enum tls_status f = tls_records_sni(data, size, full, sizeof(full));
    check_result(f, full);
    enum tls_status p = tls_records_sni(data, size / 2, part, sizeof(part));
    check_result(p, part);
    check_prefix(p, part, f, full);
    f = tls_client_hello_sni(data, size, full, sizeof(full));
    check_result(f, full);
    p = tls_client_hello_sni(data, size / 2, part, sizeof(part));
    check_result(p, part);
    check_prefix(p, part, f, full);
    /* a tiny cap must never be overrun (ASan checks the 4 bytes) */
    char tiny[4];
    tls_records_sni(data, size, tiny, sizeof(tiny));

    if (size < 1)
        return 0;
    unsigned k = data[0] & 7, flags = data[0] >> 3;
    if (size < 1 + (size_t)k)
        return 0;
    const uint8_t *s = data + 1 + k;
    size_t n = size - 1 - k;

    struct seg segs[8];
    size_t nseg = 0, off = 0;
    for (unsigned i = 0; i <= k && off < n; i++) {
        size_t len = i < k ? 1 + 8 * (size_t)data[1 + i] : n - off;
        if (len > n - off)
            len = n - off;
        segs[nseg].off = off;
        segs[nseg].len = len;
        if ((flags & 4) && off >= 3) {
            segs[nseg].off -= 3;
            segs[nseg].len += 3;
        }
        nseg++;
        off += len;
    }
    int in_order = !(flags & 2) || nseg < 3;
    if (!in_order) {
        struct seg t = segs[1];
        segs[1] = segs[2];
        segs[2] = t;
    }

    uint32_t isn = (flags & 8) ? 0xfffffff0u - (uint32_t)n : 1000;
    enum tls_status expect_final = TLS_SNI_NEED_MORE;
    char final_name[CLASSIFY_NAME_MAX] = "";
    tls_reasm_init(&r);
    for (size_t i = 0; i < nseg; i++) {
        for (int rep = 0; rep < ((flags & 1) ? 2 : 1); rep++) {
            enum tls_status st = tls_reasm_feed(&r, isn + (uint32_t)segs[i].off, s + segs[i].off,
                                                segs[i].len, rs, sizeof(rs));
            check_result(st, rs);
            if (!in_order)
                continue;
            if (expect_final != TLS_SNI_NEED_MORE) {
                /* done: the same answer again */
                if (st != expect_final || strcmp(rs, final_name) != 0)
                    abort();
                continue;
            }
            size_t got = segs[i].off + segs[i].len;
            if (got > TLS_REASM_MAX)
                got = TLS_REASM_MAX;
            enum tls_status want = tls_records_sni(s, got, part, sizeof(part));
            if (want == TLS_SNI_NEED_MORE && got == TLS_REASM_MAX)
                want = TLS_SNI_MALFORMED;
            if (st != want || (st == TLS_SNI_FOUND && strcmp(rs, part) != 0))
                abort();
            if (r.len != got)
                abort();
            if (st != TLS_SNI_NEED_MORE) {
                expect_final = st;
                memcpy(final_name, rs, sizeof(final_name));
            }
        }
    }
    return 0;
}
