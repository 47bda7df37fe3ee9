/*
 * decode/decoder.c - the decoder API and its state machine.
 *
 * The state machine (enum dstate in decode_int.h):
 *
 *   LINK --> ETH --> ETHERTYPE --+--> IPV4 --+--> L4 --> (TCP/UDP/SCTP/ICMP: DONE)
 *    |                ^  |  |    |           |     |
 *    |                |  |  +--> MPLS --+    |     +--> GRE ---------> ETH / ETHERTYPE
 *    |                |  +----> PPP ----+--> IPV6 (ext chain)          (tunnel)
 *    +----------------+-------------------^       +--> UDP port --> VXLAN/Geneve -> ETH
 *                                                         GTP-U/Teredo/AYIYA -> IPV4/IPV6
 *                                                         L2TP -> PPP
 *                                                  +--> proto 4/41 -> IPV4 / IPV6
 *
 * Each state is a function that reads its header through the bounded
 * cursor and returns the next state. Re-entering a lower state from a
 * tunnel goes through dctx_enter_tunnel(), which counts pkt->depth and
 * stops with TOO_DEEP past cfg.max_depth; every other transition consumes
 * bytes, so the loop always ends.
 *
 * Fast path: Ethernet frames first go through decode_fast() (fast.c), the
 * usual layers (tags, PPPoE, IPv4/IPv6, TCP/UDP/ICMP, UDP tunnels back to
 * IP) as straight code writing the same fields as the states; it returns
 * ST_DONE or the state where the machine takes over.
 *
 * Cost: zeroing the record (record_zero), no allocation; the fragment table is
 * touched only for fragments (and an O(1) check of the oldest entry's age).
 */
#include "decode/decode_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "util/hash.h"

/* Zero the record. A plain memset of ~260 bytes compiles to `rep stos`
 * (and so does a store loop, via loop distribution), whose start-up cost
 * was a third of a plain Ethernet/IPv4/TCP decode; unrolled 16-byte
 * stores avoid it. */
static inline void record_zero(struct v6m_packet *pkt)
{
#if defined(__SSE2__)
    _Static_assert(sizeof(struct v6m_packet) >= 256, "record shrank: adjust record_zero");
    unsigned char *p = (unsigned char *)pkt;
    const __m128i z = _mm_setzero_si128();
#define RZ(i) _mm_storeu_si128((__m128i *)(void *)(p + 16 * (i)), z)
    RZ(0); RZ(1); RZ(2); RZ(3); RZ(4); RZ(5); RZ(6); RZ(7);
    RZ(8); RZ(9); RZ(10); RZ(11); RZ(12); RZ(13); RZ(14); RZ(15);
#undef RZ
    if (sizeof *pkt > 256)
        memset(p + 256, 0, sizeof *pkt - 256);
#else
    memset(pkt, 0, sizeof *pkt);
#endif
}

/* One 4-byte field of the caller's frame, loaded on its own. The frame was
 * usually written a moment ago field by field; left alone, the compiler
 * merges these four loads into one 16-byte load, which the CPU cannot
 * forward from those 4-byte stores: a stall on every frame. The empty asm
 * keeps each value in a general register (it emits no instruction). */
static inline uint32_t frame_u32(const uint32_t *p)
{
    uint32_t v = *p;
#if defined(__GNUC__) || defined(__clang__)
    __asm__("" : "+r"(v));
#endif
    return v;
}

void v6m_decoder_config_default(struct v6m_decoder_config *cfg)
{
    cfg->max_depth = 8;
    cfg->frag_entries = 65536;
    cfg->frag_timeout_ns = 30ull * 1000000000ull;
    cfg->frag_held_max = 65536;
    cfg->teredo_heuristic = true;
}

v6m_decoder *v6m_decoder_new(const struct v6m_decoder_config *cfg)
{
    v6m_decoder *dec = calloc(1, sizeof *dec);
    if (!dec)
        return NULL;
    if (cfg)
        dec->cfg = *cfg;
    else
        v6m_decoder_config_default(&dec->cfg);
    if (dec->cfg.max_depth > 250)
        dec->cfg.max_depth = 250;
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = hash_fmix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
                           (uint64_t)(uintptr_t)dec);
    }
    dec->seed = seed;
    udp_claims_init(dec->udp_claimed);
    if (!frag_init(dec)) {
        v6m_decoder_free(dec);
        return NULL;
    }
    return dec;
}

void v6m_decoder_free(v6m_decoder *dec)
{
    if (!dec)
        return;
    frag_release_mem(dec);
    free(dec);
}

enum v6m_decode_result v6m_decoder_decode(v6m_decoder *dec, const struct v6m_frame *frame,
                                          struct v6m_packet *pkt)
{
    static const uint8_t empty[1] = {0};
    record_zero(pkt);
    pkt->ts_ns = frame->ts_ns;
    pkt->wirelen = frame_u32(&frame->wirelen);
    pkt->caplen = frame_u32(&frame->caplen);
    pkt->linktype = frame_u32(&frame->linktype);
    pkt->ifindex = frame_u32(&frame->ifindex);
    pkt->gtp_qfi = 0xff;
    pkt->gtp_pdu_type = 0xff;
    pkt->outer.rh_type = 255;
    pkt->inner.rh_type = 255;

    struct dctx d;
    d.dec = dec;
    d.pkt = pkt;
    cursor_init(&d.c, frame->data ? frame->data : empty, frame->data ? frame->caplen : 0);
    d.rep_end = frame->wirelen > frame->caplen ? frame->wirelen : frame->caplen;
    d.max_depth = dec->cfg.max_depth;
    d.ethertype = 0;
    d.ppp_proto = 0;
    d.want_version = 0;
    d.from_6in4 = 0;
    d.teredo_heuristic = dec->cfg.teredo_heuristic;
    d.gtp_tpdu = 0;
    d.n_first = 0;
    d.has_nonfirst = 0;

    /* Common Ethernet frames take the fast path (fast.c), which hands
     * anything unusual to the machine in the state it had reached. */
    int st = ST_LINK;
    if (frame->linktype == V6M_LINKTYPE_ETHERNET && !dec->no_fast)
        st = decode_fast(&d);
    while (st != ST_DONE) {
        switch (st) {
        case ST_LINK: st = link_decode(&d); break;
        case ST_ETH: st = l2_eth(&d); break;
        case ST_ETHERTYPE: st = l2_ethertype(&d); break;
        case ST_MPLS: st = l2_mpls(&d); break;
        case ST_PPP: st = l2_ppp(&d); break;
        case ST_IPV4: st = ip_v4(&d); break;
        case ST_IPV6: st = ip_v6(&d); break;
        case ST_L4: st = ip_l4(&d); break;
        default: st = ST_DONE; break;
        }
    }
    /* One IP header: outer is a copy of inner. Written as a copy from a
     * selected offset (outer onto itself when n_ip != 1, through a
     * temporary) so that it needs no branch: one and two IP headers
     * alternate at random on a link that carries tunnels. */
    size_t osrc = offsetof(struct v6m_packet, inner) -
                  (size_t)(pkt->n_ip != 1) *
                      (offsetof(struct v6m_packet, inner) - offsetof(struct v6m_packet, outer));
    struct v6m_iphdr otmp;
    memcpy(&otmp, (const unsigned char *)pkt + osrc, sizeof otmp);
    pkt->outer = otmp;
    /* A first fragment ends where its datagram's bytes continue in the next
     * fragment: inner headers cut there are expected, not a capture fault. */
    if (d.n_first && pkt->drop == V6M_DROP_TRUNCATED && frame->caplen >= frame->wirelen)
        pkt->drop = V6M_DROP_NONE;

    dec->st.frames++;
    if (dec->age_head != FRAG_NIL)
        frag_expire(dec, pkt->ts_ns);
    enum v6m_decode_result r = V6M_DECODE_DONE;
    if (d.n_first || d.has_nonfirst)
        r = frag_process(dec, &d);
    if (r == V6M_DECODE_DONE)
        dec->st.drops[pkt->drop]++;
    return r;
}

void decoder_set_fast(struct v6m_decoder *dec, bool on)
{
    dec->no_fast = !on;
}

bool v6m_decoder_release(v6m_decoder *dec, struct v6m_packet *pkt)
{
    if (dec->rel_head == FRAG_NIL) /* the usual case: checked without a call */
        return false;
    return frag_pop(dec, pkt);
}

void v6m_decoder_flush(v6m_decoder *dec)
{
    frag_flush(dec);
}

void v6m_decoder_get_stats(const v6m_decoder *dec, struct v6m_decoder_stats *st)
{
    *st = dec->st;
}
