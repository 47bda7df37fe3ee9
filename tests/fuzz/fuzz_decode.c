/*
 * fuzz_decode: libFuzzer target for the frame decoder.
 *
 * Input: byte 0 picks the link type from a table of every supported one
 * (plus one unsupported); byte 1 holds flags: bit 0 = snap the frame
 * (wirelen > caplen), bit 1 = advance time by 31 s (expires fragment
 * entries). The rest is the frame. One decoder is kept across inputs
 * (small fragment table, Teredo heuristic on) so fragments of different
 * inputs meet; releases are drained after each decode and the table is
 * flushed every 64 inputs. Invariants checked: every input frame comes
 * out exactly once, and record fields stay inside their enums.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <v6mon/decoder.h>
#include <v6mon/packet.h>

static const uint32_t linktypes[] = {
    V6M_LINKTYPE_ETHERNET, V6M_LINKTYPE_RAW, V6M_LINKTYPE_LINUX_SLL, V6M_LINKTYPE_LINUX_SLL2,
    V6M_LINKTYPE_NULL, V6M_LINKTYPE_LOOP, V6M_LINKTYPE_PPP, V6M_LINKTYPE_PPP_HDLC,
    V6M_LINKTYPE_IPV4, V6M_LINKTYPE_IPV6, 12, 14, 147, V6M_LINKTYPE_C_HDLC, V6M_LINKTYPE_PPI,
    V6M_LINKTYPE_IEEE802_11, V6M_LINKTYPE_RADIOTAP, V6M_LINKTYPE_PRISM, V6M_LINKTYPE_AVS,
    V6M_LINKTYPE_NFLOG, V6M_LINKTYPE_PKTAP, 149, V6M_LINKTYPE_FRELAY, V6M_LINKTYPE_IPNET,
    V6M_LINKTYPE_FDDI, V6M_LINKTYPE_ATM_CLIP, V6M_LINKTYPE_ATM_RFC1483,
    V6M_LINKTYPE_JUNIPER_ETHER,
};

static v6m_decoder *dec;
static uint64_t now_ns;
static uint64_t inputs, outputs, count;

static void check(const struct v6m_packet *p)
{
    if (p->family >= V6M_FAMILY_COUNT || p->drop >= V6M_DROP__COUNT ||
        (p->encap >> V6M_ENC__BITS) != 0 || (p->ext_mask >> V6M_EXT__COUNT) != 0 ||
        (uint64_t)p->payload_offset + p->payload_len > p->caplen)
        abort();
    outputs++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dec) {
        struct v6m_decoder_config cfg;
        v6m_decoder_config_default(&cfg);
        cfg.frag_entries = 32;
        cfg.frag_held_max = 16;
        cfg.frag_timeout_ns = 30ull * 1000000000ull;
        cfg.max_depth = 6;
        cfg.teredo_heuristic = true;
        dec = v6m_decoder_new(&cfg);
        if (!dec)
            abort();
    }
    if (size < 2)
        return 0;
    struct v6m_frame f;
    f.linktype = linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])];
    uint8_t flags = data[1];
    if (flags & 2)
        now_ns += 31ull * 1000000000ull;
    now_ns += 1000;
    f.ts_ns = now_ns;
    f.data = data + 2;
    f.caplen = (uint32_t)(size - 2);
    f.wirelen = f.caplen + ((flags & 1) ? 1000u : 0u);
    f.ifindex = 0;
    struct v6m_packet p;
    inputs++;
    if (v6m_decoder_decode(dec, &f, &p) == V6M_DECODE_DONE)
        check(&p);
    while (v6m_decoder_release(dec, &p))
        check(&p);
    if (++count % 64 == 0) {
        v6m_decoder_flush(dec);
        while (v6m_decoder_release(dec, &p))
            check(&p);
        if (inputs != outputs)
            abort();
    }
    return 0;
}
