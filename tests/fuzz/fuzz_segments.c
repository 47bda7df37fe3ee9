/*
 * fuzz_segments.c - libFuzzer target for v6m_segments_parse(): any bytes
 * must either parse or fail with a "name:line: ..." message, never crash,
 * leak or read out of bounds. A parsed table is then used to classify a
 * packet whose fields come from the input (the first 64 bytes, reused), so
 * the prefix and rule lookups run on arbitrary addresses and tags.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <v6mon/segments.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    v6m_segments *s = NULL;
    char err[256];
    v6m_err rc = v6m_segments_parse((const char *)data, size, "fuzz.conf", &s, err,
                                    sizeof(err));
    if (rc != V6M_OK) {
        if (s || strncmp(err, "fuzz.conf:", 10) != 0)
            abort();
        return 0;
    }
    size_t n = v6m_segments_count(s);
    if (n == 0 || n > V6M_SEGMENTS_MAX || !v6m_segments_name(s, n - 1))
        abort();

    struct v6m_packet p;
    memset(&p, 0, sizeof(p));
    uint8_t raw[64] = {0};
    for (size_t i = 0; i < sizeof(raw) && size; i++)
        raw[i] = data[i % size];
    for (int round = 0; round < 4; round++) {
        p.outer.family = (uint8_t)(1 + ((raw[0] + round) & 1));
        p.inner.family = (uint8_t)(1 + ((raw[1] + round / 2) & 1));
        memcpy(p.outer.src, raw + 2, 16);
        memcpy(p.outer.dst, raw + 18, 16);
        memcpy(p.inner.src, raw + 34, 16);
        memcpy(p.inner.dst, raw + 48, 16);
        if (p.outer.family == 1)
            memset(p.outer.src + 4, 0, 12), memset(p.outer.dst + 4, 0, 12);
        if (p.inner.family == 1)
            memset(p.inner.src + 4, 0, 12), memset(p.inner.dst + 4, 0, 12);
        p.family = p.inner.family;
        p.n_vlans = (uint8_t)(raw[2] % 7);
        p.n_mpls = (uint8_t)(raw[3] % 7);
        for (int i = 0; i < V6M_MAX_VLANS; i++)
            p.vlan[i] = (uint16_t)((raw[4 + i] << 4 | raw[8 + i]) & 0xfff);
        for (int i = 0; i < V6M_MAX_MPLS; i++)
            p.mpls[i] = ((uint32_t)raw[12 + i] << 12 | raw[16 + i]) & 0xfffff;
        p.encap = (uint32_t)raw[20] << 3;
        p.gtp_user = raw[21] & 1;
        struct v6m_class c;
        v6m_segments_classify(s, &p, (round & 1) ? "eth1" : NULL, &c);
        if (c.segment >= n || c.direction > V6M_DIR_DOWN)
            abort();
        /* rotate so each round sees other bytes */
        uint8_t t = raw[0];
        memmove(raw, raw + 1, sizeof(raw) - 1);
        raw[sizeof(raw) - 1] = t;
    }
    v6m_segments_free(s);
    return 0;
}
