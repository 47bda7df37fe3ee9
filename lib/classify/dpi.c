/*
 * classify/dpi.c - flow classification with nDPI 4.2 (see dpi.h and
 * docs/internals/dpi.md).
 *
 * nDPI: one detection module per struct dpi, built at dpi_new() with every
 * dissector enabled (NDPI_BITMASK_SET_ALL) and finalized. Direction
 * detection inside nDPI is switched off (ndpi_pref_direction_detect_disable)
 * and the caller's from_initiator is written into flow->packet_direction
 * before each packet: 0 = client to server, 1 = server to client, which is
 * how nDPI's dissectors read it (http.c: "packet_direction == 1 ... server
 * -> client"). nDPI's own rule (the lower port, or the lower address, is
 * the server) is wrong whenever the client has the lower port, e.g. UDP
 * between two high ports; the flow table knows the initiator. nDPI 4.2
 * takes no per-endpoint id structs (they were removed before 4.0), so a
 * state is just struct ndpi_flow_struct.
 *
 * When a flow is DONE (see dpi_feed()):
 *   - nDPI returned a master or app protocol other than Unknown: the first
 *     detection is taken. Extra dissection (certificates, DNS answers, HTTP
 *     response codes) gives nothing this module reports, so it is skipped;
 *   - max_packets packets with TCP/UDP payload were fed (payload as nDPI
 *     computes it, see l4_peek()), or DPI_MAX_PACKETS_LIMIT packets in all
 *     (nDPI ignores packets past that), or nDPI marked the flow
 *     fail_with_unknown (no dissector wants it): ndpi_detection_giveup()
 *     with guessing on (default ports; IPv4 address lists).
 * At DONE the result is kept (ndpi_protocol + confidence; the host stays in
 * the flow struct) and ndpi_free_flow_data() releases what nDPI allocated
 * inside the state, so only flows under inspection hold nDPI heap.
 *
 * Pool: handles are indexes into chunks of DPI_CHUNK slots. A chunk is
 * allocated when the bump index first reaches it; freed slots go on an
 * intrusive LIFO free list (most recently used memory first) and are
 * reused before the bump index advances. Chunks are kept until dpi_free(),
 * so memory follows the peak of concurrent states, bounded by max_states.
 * A slot is zeroed when allocated: nDPI requires a zeroed flow struct.
 *
 * Input: nDPI parses the bytes itself (its IPv4 path rejects non-first
 * fragments and packets shorter than the total length; its IPv6 path
 * rejects packets shorter than the payload length and non-first
 * fragments). Before handing a packet over, l4_peek() computes through a
 * bounded cursor what nDPI will see (usable or not, L4 protocol, payload
 * length), for two reasons: counting payload packets, and pinning the L4
 * protocol of a state (nDPI 4.2 keeps TCP and UDP state in one union and
 * trusts the last packet's protocol; see dpi_feed()). l4_peek() was
 * checked against nDPI on ~25 M mutated packets (protocol, payload length
 * and rejection agreed every time). nDPI takes the length as an unsigned
 * short: longer buffers are cut to 65535 bytes (an IPv4 total length
 * cannot exceed that; IPv6 jumbograms are not supported).
 *
 * Invariants: 0 <= state index < bump <= max_states; a slot is on the free
 * list iff its in_use is 0; states_in_use == bump - free list length;
 * data_freed implies done (or the slot is free); once l4 is set, every
 * packet shown to nDPI for that state has that L4 protocol (or is one nDPI
 * drops before reading L4), so flow->l4_proto == l4 after each call.
 */
#include "classify/dpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "util/cursor.h"
#include "util/strutil.h"

#define DPI_CHUNK_SHIFT 8
#define DPI_CHUNK (1u << DPI_CHUNK_SHIFT)
#define DPI_NONE (-1)
#define DPI_PAD 256 /* zero bytes after each packet copy (see dpi_feed) */

#if NDPI_MAX_NUM_PKTS_PER_FLOW_TO_DISSECT != DPI_MAX_PACKETS_LIMIT
#error "DPI_MAX_PACKETS_LIMIT must follow nDPI's NDPI_MAX_NUM_PKTS_PER_FLOW_TO_DISSECT"
#endif

struct dpi_slot {
    struct ndpi_flow_struct flow; /* first: keeps nDPI's alignment */
    ndpi_protocol proto;          /* last answer of nDPI */
    int32_t next_free;            /* free list link (DPI_NONE = end) */
    uint8_t in_use;
    uint8_t done;
    uint8_t data_freed; /* ndpi_free_flow_data() already ran */
    uint8_t npay;       /* packets with payload fed */
    uint8_t nfed;       /* packets fed or skipped */
    uint8_t l4;         /* L4 protocol pinned by the first packet */
};

struct dpi {
    struct ndpi_detection_module_struct *mod;
    struct dpi_slot **chunks; /* nchunks pointers, NULL until first used */
    size_t nchunks;
    size_t max_states;
    unsigned max_packets;
    int32_t free_head;
    int32_t bump; /* slots ever handed out */
    struct dpi_stats st;
    uint8_t pkt[65535 + DPI_PAD]; /* the packet nDPI reads, then zeros */
};

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        util_strlcpy(err, msg, errlen);
}

struct dpi *dpi_new(const struct dpi_config *cfg, char *err, size_t errlen)
{
    size_t max_states = cfg && cfg->max_states ? cfg->max_states : DPI_DEFAULT_MAX_STATES;
    unsigned max_packets = cfg && cfg->max_packets ? cfg->max_packets : DPI_DEFAULT_MAX_PACKETS;

    if (max_states > DPI_MAX_STATES_LIMIT) {
        if (err && errlen)
            snprintf(err, errlen, "dpi: max_states %zu is above the limit %zu", max_states,
                     DPI_MAX_STATES_LIMIT);
        return NULL;
    }
    if (max_packets > DPI_MAX_PACKETS_LIMIT) {
        if (err && errlen)
            snprintf(err, errlen, "dpi: max_packets %u is above nDPI's limit %u", max_packets,
                     (unsigned)DPI_MAX_PACKETS_LIMIT);
        return NULL;
    }

    struct dpi *d = calloc(1, sizeof(*d));
    if (!d) {
        set_err(err, errlen, "dpi: out of memory");
        return NULL;
    }
    d->max_states = max_states;
    d->max_packets = max_packets;
    d->nchunks = (max_states + DPI_CHUNK - 1) / DPI_CHUNK;
    d->chunks = calloc(d->nchunks, sizeof(*d->chunks));
    d->free_head = DPI_NONE;
    d->st.bytes_per_state = sizeof(struct dpi_slot);
    if (!d->chunks) {
        free(d);
        set_err(err, errlen, "dpi: out of memory");
        return NULL;
    }

    /* ndpi_no_prefs: load the Tor address list and initialise libgcrypt
     * (QUIC Initial decryption) as nDPI does by default. nDPI prints
     * nothing here unless built with debug messages (Debian's is not). */
    d->mod = ndpi_init_detection_module(ndpi_no_prefs);
    if (!d->mod) {
        free(d->chunks);
        free(d);
        set_err(err, errlen, "dpi: cannot initialise the nDPI detection module");
        return NULL;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(d->mod, &all);
    ndpi_set_detection_preferences(d->mod, ndpi_pref_direction_detect_disable, 1);
    ndpi_finalize_initialization(d->mod);
    return d;
}

static struct dpi_slot *slot_at(const struct dpi *d, int32_t st)
{
    if (st < 0 || st >= d->bump)
        return NULL;
    struct dpi_slot *c = d->chunks[(uint32_t)st >> DPI_CHUNK_SHIFT];
    return &c[(uint32_t)st & (DPI_CHUNK - 1)];
}

static struct dpi_slot *live_slot(const struct dpi *d, int32_t st)
{
    struct dpi_slot *s = d ? slot_at(d, st) : NULL;
    return s && s->in_use ? s : NULL;
}

static void release_data(struct dpi_slot *s)
{
    if (!s->data_freed) {
        ndpi_free_flow_data(&s->flow);
        s->data_freed = 1;
    }
}

void dpi_free(struct dpi *d)
{
    if (!d)
        return;
    for (int32_t i = 0; i < d->bump; i++) {
        struct dpi_slot *s = slot_at(d, i);
        if (s->in_use)
            release_data(s);
    }
    for (size_t c = 0; c < d->nchunks; c++)
        free(d->chunks[c]);
    free(d->chunks);
    ndpi_exit_detection_module(d->mod);
    free(d);
}

int32_t dpi_state_alloc(struct dpi *d)
{
    int32_t st;
    if (!d)
        return -1;
    if (d->free_head != DPI_NONE) {
        st = d->free_head;
        d->free_head = slot_at(d, st)->next_free;
    } else if ((size_t)d->bump < d->max_states) {
        size_t c = (uint32_t)d->bump >> DPI_CHUNK_SHIFT;
        if (!d->chunks[c]) {
            /* The last chunk is only as large as max_states needs. */
            size_t n = d->max_states - c * DPI_CHUNK;
            if (n > DPI_CHUNK)
                n = DPI_CHUNK;
            d->chunks[c] = malloc(n * sizeof(struct dpi_slot));
            if (!d->chunks[c]) {
                d->st.alloc_failed++;
                return -1;
            }
            d->st.pool_bytes += n * sizeof(struct dpi_slot);
        }
        st = d->bump++;
    } else {
        d->st.pool_full++;
        return -1;
    }
    struct dpi_slot *s = slot_at(d, st);
    memset(s, 0, sizeof(*s));
    s->in_use = 1;
    s->next_free = DPI_NONE;
    d->st.states_in_use++;
    if (d->st.states_in_use > d->st.states_max_used)
        d->st.states_max_used = d->st.states_in_use;
    return st;
}

void dpi_state_free(struct dpi *d, int32_t st)
{
    struct dpi_slot *s = live_slot(d, st);
    if (!s)
        return;
    release_data(s);
    s->in_use = 0;
    s->next_free = d->free_head;
    d->free_head = st;
    d->st.states_in_use--;
}

static void finish(struct dpi *d, struct dpi_slot *s, bool detected)
{
    if (detected) {
        d->st.flows_done++;
    } else {
        uint8_t guessed = 0;
        s->proto = ndpi_detection_giveup(d->mod, &s->flow, 1, &guessed);
        d->st.flows_given_up++;
        if (s->proto.master_protocol == NDPI_PROTOCOL_UNKNOWN &&
            s->proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
            d->st.flows_unknown++;
    }
    s->done = 1;
    release_data(s);
}

/* IPv6 extension headers nDPI 4.2 walks (hop-by-hop, routing, fragment,
 * destination options, mobility; 59 = no next header ends the walk). */
static bool ndpi_walks(uint8_t nh)
{
    return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 135 || nh == 59;
}

/*
 * What nDPI 4.2 will make of a packet, computed the way its
 * ndpi_init_packet(), ndpi_detection_get_l4_internal() and
 * ndpi_handle_ipv6_extension_headers() do: false when it drops the packet
 * before looking at L4 (it then leaves the flow untouched); else the L4
 * protocol it will store in flow->l4_proto and the payload length it will
 * dissect. Layout read:
 *   IPv4: byte 0 version|IHL, 2-3 total length, 6-7 flags|fragment offset,
 *         9 protocol; L4 = [IHL*4, total length)
 *   IPv6: byte 0 version, 4-5 payload length, 6 next header; then
 *         extension headers {next header, length in 8-byte units - 1}
 *         (the fragment header is 8 bytes: next header, -, offset|flags)
 *   TCP: byte 12 data offset (high nibble, 32-bit words); UDP: 8 bytes.
 * Quirks kept on purpose, since the point is to agree with nDPI: a zero
 * IPv4 total length is rejected by the "total < header" test, the IPv6
 * fragment header takes 5 from the remaining length, not 8, and the TCP
 * data offset is not checked against 5.
 */
static bool l4_peek(const uint8_t *l3, uint16_t len, uint8_t *proto, uint16_t *payload)
{
    struct cursor c;
    cursor_init(&c, l3, len);
    const uint8_t *h = cursor_peek(&c, 20);
    uint16_t l4off, l4len;
    uint8_t nh;
    *proto = 0;
    *payload = 0;
    if (!h)
        return false;
    unsigned ver = h[0] >> 4, ihl = h[0] & 0x0fu;
    if (ver == 4 && ihl >= 5) {
        uint16_t tot = load_be16(h + 2), hl = (uint16_t)(ihl * 4);
        if (len < hl || len < tot || tot < hl || (load_be16(h + 6) & 0x1fffu) != 0)
            return false;
        l4off = hl;
        l4len = (uint16_t)(tot - hl);
        nh = h[9];
    } else if (ver == 6 && (h = cursor_peek(&c, 40)) != NULL) {
        uint16_t plen = load_be16(h + 4);
        if (len - 40u < plen)
            return false;
        l4off = 40;
        l4len = plen;
        nh = h[6];
        uint16_t rem = (uint16_t)(len - 40);
        /* Invariant: l4off + l4len <= len, so every read below stays inside
         * [l4off, l4off + l4len) once l4len has been checked. */
        while (rem > 1 && ndpi_walks(nh)) {
            if (nh == 59)
                return false;
            struct cursor e;
            cursor_init(&e, l3 + l4off, l4len);
            if (nh == 44) {
                const uint8_t *f = cursor_peek(&e, 8);
                if (!f || rem < 5)
                    return false;
                rem = (uint16_t)(rem - 5);
                nh = f[0];
                if ((load_be16(f + 2) >> 3) != 0)
                    return false; /* non-first fragment */
                l4off = (uint16_t)(l4off + 8);
                l4len = (uint16_t)(l4len - 8);
                continue;
            }
            const uint8_t *x = cursor_peek(&e, 2);
            if (!x)
                return false;
            uint16_t el = (uint16_t)(x[1] * 8u + 8u);
            if (el > rem)
                return false;
            rem = (uint16_t)(rem - el);
            nh = x[0];
            if (l4len < el)
                return false;
            l4off = (uint16_t)(l4off + el);
            l4len = (uint16_t)(l4len - el);
        }
    } else {
        return false;
    }

    *proto = nh;
    struct cursor l4;
    cursor_init(&l4, l3 + l4off, l4len);
    if (nh == 6) {
        const uint8_t *t = cursor_peek(&l4, 20);
        if (t) {
            uint16_t doff = (uint16_t)((t[12] >> 4) * 4u);
            if (l4len >= doff)
                *payload = (uint16_t)(l4len - doff);
        }
    } else if (nh == 17) {
        if (l4len >= 8)
            *payload = (uint16_t)(l4len - 8);
    }
    return true;
}

enum dpi_verdict dpi_feed(struct dpi *d, int32_t st, const uint8_t *l3, size_t l3_len,
                          uint64_t ts_ns, bool from_initiator)
{
    struct dpi_slot *s = live_slot(d, st);
    if (!s || s->done)
        return DPI_DONE;
    if (!l3 || l3_len == 0)
        return DPI_CONTINUE;
    if (l3_len > 65535)
        l3_len = 65535;

    uint8_t l4 = 0;
    uint16_t pay = 0;
    bool usable = l4_peek(l3, (uint16_t)l3_len, &l4, &pay);
    s->nfed++;
    if (usable && s->l4 != 0 && l4 != s->l4) {
        /* nDPI 4.2 overwrites flow->l4_proto from every packet, while the
         * l4.tcp / l4.udp state is a union and ndpi_free_flow_data() picks
         * what to free by l4_proto: a packet of another L4 protocol in the
         * same state would make it read TCP state as UDP state (and free
         * the wrong pointer) or leak the TLS buffer. Such a packet is not
         * this flow's (the flow table keys flows by protocol) and is not
         * shown to nDPI. */
        d->st.packets_skipped++;
    } else {
        if (usable && s->l4 == 0)
            s->l4 = l4;
        /* nDPI 4.2 has dissectors that read a few bytes past the payload
         * (fixed later upstream: nDPI issues #1574 IRC, #1578 syslog,
         * PR #1846 PPStream). It reads a copy followed by DPI_PAD zero
         * bytes, so such reads stay inside this buffer. */
        memcpy(d->pkt, l3, l3_len);
        memset(d->pkt + l3_len, 0, DPI_PAD);
        s->flow.packet_direction = from_initiator ? 0 : 1;
        s->proto = ndpi_detection_process_packet(d->mod, &s->flow, d->pkt, (unsigned short)l3_len,
                                                 ts_ns / 1000000u);
        d->st.packets_fed++;
        if (usable && pay > 0)
            s->npay++;
        if (s->l4 != 0 && s->flow.l4_proto != s->l4)
            s->flow.l4_proto = s->l4; /* only if l4_peek() disagreed with nDPI */

        if (s->proto.master_protocol != NDPI_PROTOCOL_UNKNOWN ||
            s->proto.app_protocol != NDPI_PROTOCOL_UNKNOWN) {
            finish(d, s, true);
            return DPI_DONE;
        }
    }
    if (s->npay >= d->max_packets || s->nfed >= DPI_MAX_PACKETS_LIMIT ||
        s->flow.fail_with_unknown) {
        finish(d, s, false);
        return DPI_DONE;
    }
    return DPI_CONTINUE;
}

static void copy_name(const struct dpi *d, uint16_t id, char *out, size_t size)
{
    out[0] = '\0';
    if (id == NDPI_PROTOCOL_UNKNOWN)
        return;
    const char *n = ndpi_get_proto_name(d->mod, id);
    if (n && strcmp(n, "Unknown") != 0)
        util_strlcpy(out, n, size);
}

static uint8_t map_confidence(ndpi_confidence_t c)
{
    switch (c) {
    case NDPI_CONFIDENCE_MATCH_BY_PORT: return DPI_CONF_PORT;
    case NDPI_CONFIDENCE_MATCH_BY_IP: return DPI_CONF_IP;
    case NDPI_CONFIDENCE_DPI_CACHE: return DPI_CONF_CACHE;
    case NDPI_CONFIDENCE_DPI: return DPI_CONF_DPI;
    default: return DPI_CONF_UNKNOWN;
    }
}

bool dpi_result(struct dpi *d, int32_t st, struct dpi_result *out)
{
    memset(out, 0, sizeof(*out));
    struct dpi_slot *s = live_slot(d, st);
    if (!s)
        return false;
    if (!s->done)
        finish(d, s, false);

    /* nDPI reports a protocol without a more specific application as
     * {master Unknown, app = the protocol} (ndpi_detection_process_packet:
     * "if(ret.app_protocol == ret.master_protocol) ret.master_protocol =
     * NDPI_PROTOCOL_UNKNOWN"): that name is the protocol, not an app. */
    const ndpi_protocol p = s->proto;
    if (p.master_protocol != NDPI_PROTOCOL_UNKNOWN) {
        copy_name(d, p.master_protocol, out->proto, sizeof(out->proto));
        if (p.app_protocol != p.master_protocol)
            copy_name(d, p.app_protocol, out->app, sizeof(out->app));
    } else {
        copy_name(d, p.app_protocol, out->proto, sizeof(out->proto));
    }

    /* ndpi_category_get_name() formats out-of-range values into a static
     * buffer: never hand it one. */
    if (p.category != NDPI_PROTOCOL_CATEGORY_UNSPECIFIED &&
        (unsigned)p.category < NDPI_PROTOCOL_NUM_CATEGORIES) {
        const char *c = ndpi_category_get_name(d->mod, p.category);
        if (c)
            util_strlcpy(out->category, c, sizeof(out->category));
    }

    /* host_server_name is a fixed array nDPI fills from packet bytes: copy
     * up to its first NUL and never past its end. */
    const char *h = s->flow.host_server_name;
    const char *nul = memchr(h, '\0', sizeof(s->flow.host_server_name));
    size_t hl = nul ? (size_t)(nul - h) : sizeof(s->flow.host_server_name);
    if (hl >= sizeof(out->host))
        hl = sizeof(out->host) - 1;
    memcpy(out->host, h, hl);
    out->host[hl] = '\0';

    out->confidence =
        (p.master_protocol == NDPI_PROTOCOL_UNKNOWN && p.app_protocol == NDPI_PROTOCOL_UNKNOWN)
            ? DPI_CONF_UNKNOWN
            : map_confidence(s->flow.confidence);
    return true;
}

void dpi_get_stats(const struct dpi *d, struct dpi_stats *out)
{
    if (d)
        *out = d->st;
    else
        memset(out, 0, sizeof(*out));
}
