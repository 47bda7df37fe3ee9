/*
 * v6mon/segments.h - which network segment a packet belongs to, and its
 * direction relative to the subscribers.
 *
 * Default (no segments file): GTP-U user traffic (a G-PDU carrying IP) is
 * "mobile", PPPoE session traffic is "metro", everything else is "other".
 *
 * A segments file (format in docs/segments.md) assigns segments by VLAN id,
 * MPLS label, IPv4/IPv6 prefix of the outer or inner header (longest match),
 * or capture interface, and declares subscriber prefixes that give each
 * packet a direction: "up" when its innermost source is a subscriber
 * address, "down" when its innermost destination is, else "unknown".
 *
 * Segment ids are small integers 0..count-1; "other" always exists.
 * Ownership: the table owns its rules; classify reads only.
 */
#ifndef V6MON_SEGMENTS_H
#define V6MON_SEGMENTS_H

#include <stddef.h>
#include <stdint.h>

#include <v6mon/error.h>
#include <v6mon/packet.h>

typedef struct v6m_segments v6m_segments;

#define V6M_SEGMENTS_MAX 64

enum v6m_direction {
    V6M_DIR_UNKNOWN = 0,
    V6M_DIR_UP = 1,   /* from the subscriber */
    V6M_DIR_DOWN = 2, /* to the subscriber */
};
const char *v6m_direction_name(unsigned dir); /* "unknown", "up", "down" */

/* The default table (mobile, metro, other). NULL only when out of memory. */
v6m_segments *v6m_segments_new_default(void);

/* Load a segments file. On error returns NULL-and-code with a message like
 * "segments.conf:12: unknown match 'vlam' (expected vlan, mpls, ...)"
 * written to errbuf. */
v6m_err v6m_segments_load(const char *path, v6m_segments **out,
                          char *errbuf, size_t errlen);
/* Same from a string (tests). name is used in messages. */
v6m_err v6m_segments_parse(const char *text, size_t len, const char *name,
                           v6m_segments **out, char *errbuf, size_t errlen);

void v6m_segments_free(v6m_segments *seg); /* NULL is a no-op */

size_t v6m_segments_count(const v6m_segments *seg);
const char *v6m_segments_name(const v6m_segments *seg, size_t id);

struct v6m_class {
    uint16_t segment;   /* id */
    uint8_t direction;  /* enum v6m_direction */
};

/* ifname may be NULL when the source has no interface names. */
void v6m_segments_classify(const v6m_segments *seg,
                           const struct v6m_packet *pkt, const char *ifname,
                           struct v6m_class *out);

#endif
