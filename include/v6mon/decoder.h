/*
 * v6mon/decoder.h - frame decoder: link layer to the innermost IP header.
 *
 * Lifecycle: v6m_decoder_new() -> for each frame v6m_decoder_decode() and
 * then drain v6m_decoder_release() -> at end of input v6m_decoder_flush()
 * and drain v6m_decoder_release() again -> v6m_decoder_free().
 *
 * Fragments. The decoder keeps a bounded fragment table keyed by (family,
 * source, destination, id[, protocol]) of every fragmented IP header. The
 * first fragment (offset 0) is decoded fully and its result remembered;
 * later fragments of the same datagram take the inner fields (family,
 * segment-relevant ids, innermost header, ports) of that first fragment.
 * A non-first fragment that arrives before its first fragment is *held*:
 * decode returns V6M_DECODE_HELD and the record comes back later through
 * v6m_decoder_release(), resolved when the first fragment arrives, or as
 * V6M_DROP_FRAGMENT_UNRESOLVED (outer fields only) when its entry expires,
 * is evicted, or the input ends (flush). Every input frame therefore comes
 * out exactly once, as a DONE decode or a released record.
 *
 * Ownership: the decoder owns its tables; frames are borrowed for the call;
 * records are written into caller memory.
 */
#ifndef V6MON_DECODER_H
#define V6MON_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/error.h>
#include <v6mon/packet.h>

typedef struct v6m_decoder v6m_decoder;

struct v6m_decoder_config {
    unsigned max_depth;          /* tunnels entered at most; default 8 */
    size_t frag_entries;         /* fragment table capacity; default 65536 */
    uint64_t frag_timeout_ns;    /* entry lifetime; default 30 s */
    size_t frag_held_max;        /* held records at most; default 65536 */
    bool teredo_heuristic;       /* also try Teredo off port 3544 (default on:
                                    relayed Teredo uses arbitrary ports; tshark
                                    needs --enable-heuristic teredo_udp) */
};

/* Fill *cfg with the defaults above. */
void v6m_decoder_config_default(struct v6m_decoder_config *cfg);

/* NULL cfg = defaults. Returns NULL only when out of memory. */
v6m_decoder *v6m_decoder_new(const struct v6m_decoder_config *cfg);
void v6m_decoder_free(v6m_decoder *dec); /* NULL is a no-op */

enum v6m_decode_result {
    V6M_DECODE_DONE = 0, /* *pkt is complete: count it now */
    V6M_DECODE_HELD = 1, /* held in the fragment table: do not count now */
};

/* Decode one frame into *pkt (fully overwritten). Never fails: a frame that
 * cannot be decoded comes back with pkt->drop set. */
enum v6m_decode_result v6m_decoder_decode(v6m_decoder *dec,
                                          const struct v6m_frame *frame,
                                          struct v6m_packet *pkt);

/* Take one released record (see top). Returns false when none is pending. */
bool v6m_decoder_release(v6m_decoder *dec, struct v6m_packet *pkt);

/* End of input: release every held record as unresolved. */
void v6m_decoder_flush(v6m_decoder *dec);

struct v6m_decoder_stats {
    uint64_t frames;
    uint64_t frag_entries_max;    /* high-water mark of the table */
    uint64_t frag_evicted;        /* entries pushed out because it was full */
    uint64_t frag_expired;        /* entries that timed out */
    uint64_t frag_held;           /* records that were held */
    uint64_t frag_held_dropped;   /* held records released unresolved */
    uint64_t drops[V6M_DROP__COUNT];
};
void v6m_decoder_get_stats(const v6m_decoder *dec, struct v6m_decoder_stats *st);

/* LINKTYPE_* values the decoder understands (pcap-linktype registry). */
#define V6M_LINKTYPE_NULL 0
#define V6M_LINKTYPE_ETHERNET 1
#define V6M_LINKTYPE_PPP 9
#define V6M_LINKTYPE_RAW 101
#define V6M_LINKTYPE_PPP_HDLC 50
#define V6M_LINKTYPE_LOOP 108
#define V6M_LINKTYPE_LINUX_SLL 113
#define V6M_LINKTYPE_IPV4 228
#define V6M_LINKTYPE_IPV6 229
#define V6M_LINKTYPE_LINUX_SLL2 276
#define V6M_LINKTYPE_C_HDLC 104
#define V6M_LINKTYPE_PPI 192
#define V6M_LINKTYPE_IEEE802_11 105
#define V6M_LINKTYPE_PRISM 119 /* Prism or AVS header + 802.11 */
#define V6M_LINKTYPE_RADIOTAP 127
#define V6M_LINKTYPE_AVS 163
#define V6M_LINKTYPE_NFLOG 239
#define V6M_LINKTYPE_FDDI 10
#define V6M_LINKTYPE_ATM_RFC1483 11 /* LLC/SNAP, then the packet */
#define V6M_LINKTYPE_ATM_CLIP 106    /* Linux ATM Classical IP; also 18, 19 */
#define V6M_LINKTYPE_JUNIPER_ETHER 178 /* Junos 'monitor traffic' captures */
#define V6M_LINKTYPE_FRELAY 107
#define V6M_LINKTYPE_IPNET 226
#define V6M_LINKTYPE_PKTAP 258

/* Whether the decoder knows this link type. */
bool v6m_linktype_supported(uint32_t linktype);
/* Short name ("ethernet", "linux_sll2", ...) or NULL when unknown. */
const char *v6m_linktype_name(uint32_t linktype);

#endif
