/*
 * fuzz_bindings.c - libFuzzer target for v6m_bindings_parse(): any bytes
 * must either load or fail with a "name:line: ..." message, never crash,
 * leak or read out of bounds. A loaded table is then queried with IPv4 and
 * IPv6 addresses made from the input bytes (and from every address-like
 * token of the input, so the lookups hit the stored prefixes); every answer
 * must be -1 or a valid index with an id.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <v6mon/bindings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const v6m_bindings *b, uint8_t family, const uint8_t a[16])
{
    long i = v6m_bindings_lookup(b, family, a);
    if (i < -1 || (i >= 0 && ((size_t)i >= v6m_bindings_count(b) ||
                              !v6m_bindings_id(b, (size_t)i))))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    v6m_bindings *b = NULL;
    char err[256];
    v6m_err rc = v6m_bindings_parse((const char *)data, size, "fuzz.csv", &b, err,
                                    sizeof(err));
    if (rc != V6M_OK) {
        if (b || (rc == V6M_ERR_CONFIG && strncmp(err, "fuzz.csv:", 9) != 0))
            abort();
        return 0;
    }
    for (size_t i = 0; i < v6m_bindings_count(b); i++)
        if (!v6m_bindings_id(b, i) || !v6m_bindings_id(b, i)[0])
            abort();
    uint8_t a[16];
    for (size_t off = 0; off + 16 <= size && off < 256; off += 7) {
        memcpy(a, data + off, 16);
        check(b, 2, a);
        memset(a + 4, 0, 12);
        check(b, 1, a);
        check(b, 0, a);
    }
    /* address-like tokens of the input, and their neighbours */
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        while (p < end && !strchr("0123456789abcdefABCDEF:.", *p))
            p++;
        const char *w = p;
        while (p < end && *p && strchr("0123456789abcdefABCDEF:.", *p))
            p++;
        size_t n = (size_t)(p - w);
        if (n == 0 || n >= 64) {
            if (p < end)
                p++;
            continue;
        }
        char tok[64];
        memcpy(tok, w, n);
        tok[n] = '\0';
        memset(a, 0, 16);
        if (inet_pton(AF_INET, tok, a) == 1) {
            check(b, 1, a);
            a[3] ^= 1;
            check(b, 1, a);
        } else if (inet_pton(AF_INET6, tok, a) == 1) {
            check(b, 2, a);
            a[15] ^= 1;
            check(b, 2, a);
        }
    }
    v6m_bindings_free(b);
    return 0;
}
