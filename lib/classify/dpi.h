/*
 * classify/dpi.h - application classification of flows with nDPI
 * (private to libv6mon; design and limits in docs/internals/dpi.md).
 *
 * What it is for: names the protocol / application of a flow from its first
 * packets when no name came from DNS, TLS SNI, HTTP Host or QUIC. The
 * pipeline keeps the flow table; for a flow it wants classified it takes a
 * state from this module's pool, feeds the flow's first packets (IP header
 * onwards, both directions, in arrival order) until dpi_feed() answers
 * DPI_DONE, reads the result and frees the state.
 *
 * Lifecycle:
 *     d = dpi_new(&cfg, err, sizeof err);       one per thread (see below)
 *     st = dpi_state_alloc(d);                  -1: pool full (counted)
 *     while (dpi_feed(d, st, l3, len, ts, from_initiator) == DPI_CONTINUE)
 *         ... next packet of the flow ...
 *     dpi_result(d, st, &res);                  DONE, or the flow ended
 *     dpi_state_free(d, st);
 *     dpi_free(d);
 * Calling dpi_result() before DONE ends the inspection of that flow: nDPI
 * gives up and reports its best guess (port / address based guesses
 * included, with a lower confidence); later dpi_feed() calls answer DONE.
 *
 * Threads: a struct dpi holds one nDPI detection module, which keeps
 * per-packet scratch state inside it, so one struct dpi must be used by one
 * thread at a time. nDPI 4.2 requires that ndpi_init_detection_module() is
 * never run in parallel (it also initialises libgcrypt once per process):
 * do not call dpi_new() from two threads at the same time.
 *
 * Memory: each state is a fixed slot (struct ndpi_flow_struct plus a few
 * bytes, see dpi_stats.bytes_per_state) in chunks of slots allocated when
 * first needed and reused after dpi_state_free(); at most max_states slots.
 * nDPI allocates inside a state while it inspects it (TLS reassembly buffer,
 * HTTP strings, QUIC reassembly); that memory is released as soon as the
 * state reaches DONE, so only states under inspection hold it. The
 * detection module itself holds about 5.7 MB (host automata, address
 * trees; 8.9 MB are allocated while it is built), plus a 64 KiB packet
 * buffer per struct dpi.
 *
 * Ownership: dpi_new() returns a handle the caller frees with dpi_free();
 * cfg, err and the packet bytes are borrowed for the call only; results are
 * copied into caller memory.
 */
#ifndef V6M_CLASSIFY_DPI_H
#define V6M_CLASSIFY_DPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DPI_DEFAULT_MAX_STATES 65536
#define DPI_DEFAULT_MAX_PACKETS 8
#define DPI_MAX_STATES_LIMIT ((size_t)1 << 24)
/* nDPI 4.2 looks at no more than 32 packets of a flow
 * (NDPI_MAX_NUM_PKTS_PER_FLOW_TO_DISSECT, payload or not). */
#define DPI_MAX_PACKETS_LIMIT 32

struct dpi_config {
    size_t max_states;    /* concurrent flows under inspection;
                             0 = DPI_DEFAULT_MAX_STATES, at most
                             DPI_MAX_STATES_LIMIT */
    unsigned max_packets; /* per flow: give up after this many packets with
                             L4 payload; 0 = DPI_DEFAULT_MAX_PACKETS, at most
                             DPI_MAX_PACKETS_LIMIT */
};

struct dpi;

/* NULL on failure with a message in err[errlen] (err may be NULL). cfg may
 * be NULL for the defaults. */
struct dpi *dpi_new(const struct dpi_config *cfg, char *err, size_t errlen);
void dpi_free(struct dpi *d); /* NULL is a no-op; frees every state */

/* A state handle >= 0, or -1 when max_states states are in use (counted in
 * pool_full) or memory ran out (counted in alloc_failed). */
int32_t dpi_state_alloc(struct dpi *d);
/* Releases st and whatever nDPI allocated in it. An invalid or already free
 * handle is ignored. */
void dpi_state_free(struct dpi *d, int32_t st);

enum dpi_verdict {
    DPI_CONTINUE = 0, /* feed the flow's next packet */
    DPI_DONE,         /* stop feeding: the result is final */
};

/* Feeds one packet of the flow: l3 points at its innermost IP header
 * (IPv4 or IPv6, v6m_packet.inner.offset into the frame) and l3_len bytes
 * of it were captured. from_initiator: the packet goes from the endpoint
 * that opened the flow (client) to the other one. ts_ns: capture time.
 * DONE when nDPI has named the flow, when max_packets packets with payload
 * (or DPI_MAX_PACKETS_LIMIT packets in all) were fed, or when nDPI has no
 * dissector left for it; also for an invalid handle. Packets nDPI cannot
 * use (non-first fragments, cut by the snap length, not IP) are passed on
 * but do not count towards max_packets. A packet whose L4 protocol differs
 * from the state's first usable packet is not shown to nDPI at all
 * (packets_skipped; nDPI 4.2 would mix TCP and UDP state). Both kinds count
 * towards the DPI_MAX_PACKETS_LIMIT packets a state may see. */
enum dpi_verdict dpi_feed(struct dpi *d, int32_t st, const uint8_t *l3, size_t l3_len,
                          uint64_t ts_ns, bool from_initiator);

/* How nDPI reached its answer (mirrors nDPI's ndpi_confidence_t). */
enum dpi_confidence {
    DPI_CONF_UNKNOWN = 0, /* nothing named */
    DPI_CONF_PORT,        /* guessed from the L4 ports only */
    DPI_CONF_IP,          /* guessed from a known address (IPv4 lists) */
    DPI_CONF_CACHE,       /* from nDPI's cache of earlier flows */
    DPI_CONF_DPI,         /* payload inspection */
};

/* Names are nDPI 4.2's own spellings (ndpi_get_proto_name,
 * ndpi_category_get_name); "Unknown" / "Unspecified" become "".
 * nDPI answers {master, app}: TLS with SNI www.google.com is {TLS, Google};
 * a protocol with nothing more specific is {Unknown, HTTP}; an application
 * that nDPI recognises by its own dissector is {Unknown, QQ}. Here:
 *   proto = master if known, else nDPI's app id ("HTTP", "QQ");
 *   app   = nDPI's app id only when it sits on top of a master ("Google").
 * So the name to look up in the catalog's ndpi column is app when it is
 * non-empty, else proto. */
struct dpi_result {
    char proto[64];     /* e.g. "TLS", "HTTP", "DNS", "QUIC", "QQ" */
    char app[64];       /* e.g. "Google", "WeChat"; "" when none */
    char category[32];  /* e.g. "Web", "Chat", "Video" */
    char host[256];     /* nDPI's host_server_name (HTTP Host, TLS/QUIC SNI,
                           DNS query name, ...); untrusted packet text:
                           escape before output */
    uint8_t confidence; /* enum dpi_confidence */
};

/* Fills *out for state st. Before DONE this ends the inspection (nDPI gives
 * up and guesses, see above). False (out zeroed) only for an invalid or
 * free handle; an unnamed flow gives true with empty names. */
bool dpi_result(struct dpi *d, int32_t st, struct dpi_result *out);

struct dpi_stats {
    uint64_t states_in_use;
    uint64_t states_max_used; /* high-water mark of states_in_use */
    uint64_t pool_full;       /* dpi_state_alloc() refused: max_states reached */
    uint64_t alloc_failed;    /* dpi_state_alloc() refused: out of memory */
    uint64_t packets_fed;     /* dpi_feed() calls that reached nDPI */
    uint64_t packets_skipped; /* not shown to nDPI: another L4 protocol than
                                 the state's first packet (see dpi.c) */
    uint64_t flows_done;      /* states that reached DONE because nDPI named them */
    uint64_t flows_given_up;  /* states where nDPI gave up (limit reached, no
                                 dissector left, or dpi_result() before DONE) */
    uint64_t flows_unknown;   /* of those given up: nothing named, not even
                                 by port or address */
    size_t bytes_per_state;   /* one pool slot (sizeof struct ndpi_flow_struct
                                 + bookkeeping), not counting what nDPI
                                 allocates while inspecting */
    size_t pool_bytes;        /* slot memory allocated so far */
};
void dpi_get_stats(const struct dpi *d, struct dpi_stats *out);

#endif
