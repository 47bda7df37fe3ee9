/*
 * aggregate/flowside.h - per-flow state kept beside a flow-table entry for
 * the users and apps counters (private).
 *
 * The traffic pipeline owns an array of these, one per possible live flow,
 * and a free list; a flow entry's `aux` field holds its slot + 1 (0 = no
 * slot). Slots are taken when a flow is created and given back when it ends,
 * so the touched part of the array follows the peak of live flows.
 *
 * Size: 64 bytes, so memory per flow stays far under the 1 KB budget (the
 * bounded TLS/QUIC reassembly and nDPI pools are counted apart and are only
 * held by flows under inspection). The owner places the array on a 64-byte
 * boundary, so a slot is one cache line: a flow's creation, packets and end
 * each miss on one line, not two (the fields take 52 bytes; with 56-byte
 * slots from calloc most slots spanned two lines).
 */
#ifndef V6M_AGGREGATE_FLOWSIDE_H
#define V6M_AGGREGATE_FLOWSIDE_H

#include <stdint.h>

enum flowside_reasm {
    FLOWSIDE_REASM_NONE = 0,
    FLOWSIDE_REASM_TLS,
    FLOWSIDE_REASM_QUIC,
};

struct flow_side {
    /* users */
    uint64_t sub;          /* subscriber key, 0 = none */
    uint32_t day_marked;   /* UTC day index + 1 of the last window update */
    uint8_t uflags;        /* 1u << enum v6m_user_flag */
    /* apps */
    uint8_t method;        /* enum v6m_name_method */
    uint8_t inspect_left;  /* client payload packets still to look at */
    uint8_t reasm_kind;    /* enum flowside_reasm */
    uint32_t name_id;      /* interned name, 0 = none */
    int32_t app;           /* catalog id from nDPI (no name), -1 = none */
    int32_t dpi_state;     /* nDPI state handle, -1 = none */
    uint32_t reasm;        /* reassembly pool slot + 1, 0 = none */
    uint16_t init_sport;   /* initiator's source port */
    uint8_t init_src[16];  /* initiator's address (innermost header) */
    uint8_t dpi_packets;   /* packets fed to nDPI */
    uint8_t pad_[9];       /* to 64 bytes: one slot = one cache line */
};

_Static_assert(sizeof(struct flow_side) == 64, "flow_side: one cache line");

#endif
