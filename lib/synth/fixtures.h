/*
 * synth/fixtures.h - the small conformance captures of `v6mon synth
 * --fixtures` (framework in fixtures.c, the captures in fixtures_list.c).
 *
 * A fixture is a list of frames of one link type. Each frame carries what
 * its builder meant it to be:
 *   fam     the family v6mon must count: tshark's view of the frame
 *           (tfam), except that a fragment has its datagram's family
 *           (packet.h); for truncated and malformed frames this follows
 *           tshark, which lists a layer as soon as it dispatches to it;
 *   tfam    what tshark 4.0 shows as the innermost ip/ipv6 of that frame
 *           (`tshark -2`, stopping at icmp/icmpv6): a fragment shows only
 *           its own headers, the frame that completes a datagram shows the
 *           reassembled inner stack;
 *   seg     the default segment (mobile: GTP-U G-PDU whose inner IP layer
 *           is listed; metro: PPPoE session header complete; else other);
 *   drop    the expected v6m_drop reason (interpretation, see synth.md).
 * fixtures.c writes NAME.pcap and NAME.truth.json from them.
 */
#ifndef V6M_SYNTH_FIXTURES_H
#define V6M_SYNTH_FIXTURES_H

#include <stdint.h>

#include <v6mon/packet.h>

#include "synth/build.h"

#define FX_MAX_FRAMES 48
#define FX_SAME 0xff /* tfam equal to fam */

struct fx_frame {
    uint32_t caplen, wirelen;
    uint8_t fam, tfam, seg, drop;
    const char *desc;
    uint8_t *data; /* caplen bytes, owned by the fixture */
};

struct fx {
    const char *name;
    const char *desc;
    uint32_t linktype;
    uint32_t n;
    struct fx_frame f[FX_MAX_FRAMES];
    int failed; /* allocation failure or builder overflow */
};

/* Add the finished frame in b (padded to 60 bytes on Ethernet link
 * types by the caller); caplen 0 = whole frame. */
void fx_add(struct fx *x, const struct pb *b, uint32_t caplen, uint8_t fam,
            uint8_t tfam, uint8_t seg, uint8_t drop, const char *desc);

/* fixtures_list.c: call emit(ctx, &fixture) for every fixture. */
typedef void (*fx_emit_fn)(void *ctx, struct fx *x);
void fx_build_all(fx_emit_fn emit, void *ctx);

#endif
