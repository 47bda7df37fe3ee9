/*
 * classify/subscriber.h - which subscriber a flow belongs to (private).
 *
 * subscriber_of_flow() is called once per flow, on the packet that created
 * it, and returns a 64-bit subscriber key (0 = none). The key is a stable
 * hash (fixed constants, no per-run seed) of the mode's identity, so
 * HyperLogLog sketches of different runs, days and collectors merge.
 *
 * Which side is the subscriber: the segments direction of the packet (up:
 * source, down: destination) when known; else, for GTP-U and PPPoE, a side
 * already known as a subscriber (a UE address of a bearer, the client MAC
 * of a session: so a flow that restarts after an idle timeout with a
 * downlink packet stays with its subscriber); else the side that sent the
 * flow's first packet (clients open connections). The binding mode looks
 * both addresses up.
 *
 * GTP-U: TEIDs are per direction (the uplink TEID is allocated by the
 * S-GW/UPF, the downlink one by the eNB/gNB), so the bearer key is the
 * uplink TEID with the endpoint that receives it. Uplink flows also record
 * "UE inner address -> bearer" (IPv4 /32, IPv6 /64) in a bounded map, and
 * a flow first seen downlink finds its bearer there; without an entry it
 * is keyed by its downlink TEID and counted in gtp_downlink_unmatched.
 * PPPoE session keys are remembered in the same bounded map.
 *
 * Ownership: the struct borrows the bindings (may be NULL unless mode is
 * binding); it owns its UE map.
 */
#ifndef V6M_CLASSIFY_SUBSCRIBER_H
#define V6M_CLASSIFY_SUBSCRIBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/bindings.h>
#include <v6mon/packet.h>
#include <v6mon/segments.h>
#include <v6mon/users.h>

struct subscribers;

struct subscriber_stats {
    uint64_t gtp_downlink_unmatched;
    uint64_t ue_map_full;
    uint64_t ue_map_entries;
};

/* ue_map_max: UE addresses remembered (0 = default 4,194,304). NULL on OOM
 * or when mode is binding without bindings. */
struct subscribers *subscribers_new(unsigned mode, const v6m_bindings *bindings,
                                    size_t ue_map_max);
void subscribers_free(struct subscribers *s);

/* Key of the flow created by pkt (direction: enum v6m_direction from the
 * segments table). 0 = no subscriber. */
uint64_t subscriber_of_flow(struct subscribers *s, const struct v6m_packet *pkt,
                            uint8_t direction);

void subscribers_get_stats(const struct subscribers *s, struct subscriber_stats *st);

/* True when the mode keys IPv4 and IPv6 of one person apart (address). */
bool subscribers_families_apart(const struct subscribers *s);

#endif
