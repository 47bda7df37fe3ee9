/*
 * aggregate/apps.h - names and apps of flows (I6, I7), private to the
 * traffic pipeline (public result: v6mon/appstats.h).
 *
 * Lifecycle: apps_new() -> per flow apps_flow_created() -> per packet
 * apps_packet() (DNS answers are learnt from every DNS response; a flow's
 * first client payloads are inspected for SNI, Host and QUIC; nDPI sees the
 * first packets of flows that have no name) -> apps_flow_end() adds the
 * flow to its name/app/day counters and releases its inspection state ->
 * apps_finish() -> apps_result().
 *
 * Ownership: borrows the catalog (must outlive the object); owns the DNS
 * cache, the name table, the reassembly pools and the nDPI module.
 */
#ifndef V6M_AGGREGATE_APPS_H
#define V6M_AGGREGATE_APPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/apps.h>
#include <v6mon/appstats.h>
#include <v6mon/packet.h>

#include "aggregate/flowside.h"
#include "flow/flowtable.h"

struct appsattr;

struct apps_config {
    const v6m_apps *catalog;   /* borrowed, required */
    size_t n_segments;
    bool dpi;                  /* run nDPI on unnamed flows */
    size_t dns_cache_max;      /* 0 = default */
    size_t reasm_max;          /* concurrent TLS/QUIC reassemblies, 0 = 4096 */
    size_t dpi_max;            /* concurrent nDPI states, 0 = 65536 */
    unsigned inspect_packets;  /* client payload packets looked at, 0 = 8 */
};

/* NULL with a message in err on failure (e.g. nDPI cannot start). */
struct appsattr *apps_new(const struct apps_config *cfg, char *err, size_t errlen);
void apps_free(struct appsattr *a);

/* Returns whether apps_packet() wants the flow's packets (inspection or
 * nDPI under way); once it returns false the flow needs no more calls. */
bool apps_flow_created(struct appsattr *a, const struct v6m_packet *pkt,
                       struct flow_side *fs);
/* data: the frame the record was decoded from (NULL for records released
 * from the fragment table: they have no payload). Same return value. */
bool apps_packet(struct appsattr *a, const struct v6m_packet *pkt,
                 const uint8_t *data, struct flow_side *fs);
/* A DNS response (source port 53, payload present): learn its answers. */
void apps_dns(struct appsattr *a, const struct v6m_packet *pkt, const uint8_t *data);
void apps_flow_end(struct appsattr *a, const struct flow_entry *e, struct flow_side *fs);
bool apps_finish(struct appsattr *a);
const struct v6m_apps_result *apps_result(const struct appsattr *a);

#endif
