/*
 * aggregate/users.h - distinct subscribers per window and segment (I1),
 * private to the traffic pipeline (public result: v6mon/users.h).
 *
 * Lifecycle: users_new() -> users_flow_created() when a flow is created
 * (finds its subscriber, sets its flags) -> users_packet() for every packet
 * of a flow (adds the flow's flags to the day window when the packet is the
 * flow's first in that UTC day; the pipeline may skip packets that cannot
 * start a new day) -> users_flow_end() -> users_finish() (builds the month, 30-day
 * and whole-input windows by merging days) -> users_result().
 *
 * Memory: one userset (lib/stats/userset.h) per (day, segment) and per
 * (day, all segments), exact up to exact_max keys each, plus the merged
 * windows built at finish. Days are bounded (USERS_MAX_DAYS); flows past it
 * count in days_overflow and in no window.
 */
#ifndef V6M_AGGREGATE_USERS_H
#define V6M_AGGREGATE_USERS_H

#include <stddef.h>
#include <stdint.h>

#include <v6mon/bindings.h>
#include <v6mon/hll.h>
#include <v6mon/packet.h>
#include <v6mon/users.h>

#include "aggregate/flowside.h"
#include "flow/flowtable.h"

#define USERS_MAX_DAYS 400
#define USERS_EXACT_DEFAULT ((size_t)1 << 18)

struct users;

struct users_config {
    unsigned mode;                /* enum v6m_subscriber_mode */
    const v6m_bindings *bindings; /* borrowed; required for binding mode */
    size_t exact_max;             /* 0 = USERS_EXACT_DEFAULT */
    size_t n_segments;
};

struct users *users_new(const struct users_config *cfg);
void users_free(struct users *u);

void users_flow_created(struct users *u, const struct v6m_packet *pkt,
                        uint8_t direction, struct flow_side *fs);
void users_packet(struct users *u, uint64_t ts_ns, unsigned segment,
                  struct flow_side *fs);
/* At the flow's end: its packets count as with or without a subscriber. */
void users_flow_end(struct users *u, const struct flow_entry *e, const struct flow_side *fs);
/* Returns false when out of memory (the result is then incomplete). */
bool users_finish(struct users *u);
const struct v6m_users_result *users_result(const struct users *u);
/* Sketch of one flag for window w (index into the result's windows) and
 * segment s (n_segments = all); NULL when the flag was never set. */
const v6m_hll *users_sketch(const struct users *u, size_t w, size_t s, unsigned flag);

#endif
