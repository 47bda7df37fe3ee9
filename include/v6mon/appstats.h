/*
 * v6mon/appstats.h - flows attributed to service names and apps: the IPv6
 * concentration of each app (indicator I7) and whether its traffic shows
 * IPv6 support (I6).
 *
 * Each flow of IPv4/IPv6 user traffic gets at most one name, from (first
 * hit wins, later sources only fill a flow that has none):
 *   sni    TLS ClientHello server_name in the flow's first client segments
 *   host   HTTP/1.x request Host header
 *   quic   QUIC v1 Initial, decrypted with the public initial salt
 *   dns    a DNS answer the same client received earlier for the flow's
 *          server address (the name the client asked, CNAMEs followed);
 *   dns_any  the same from another client's answer (NAT, DoH)
 *   ndpi   nDPI's application on the flow's first packets (no name, an app)
 * A payload name (sni/host/quic) replaces a dns name found at flow start.
 * The app is the catalog's (v6mon/apps.h) for the name, or the nDPI app
 * mapped through the catalog's ndpi column. Flows without a name and app
 * are "unattributed"; named flows whose name no app owns are listed under
 * their names with app NULL.
 *
 * A flow's packets and bytes (wire lengths, both directions) are added
 * when it ends, to the day it started; flows last at most the active
 * timeout (30 min by default).
 *
 * I7 of an app = ipv6 bytes / (ipv4 + ipv6) bytes. I6 from traffic: an app
 * "shows IPv6 support" when it carried IPv6 bytes and every one of its top
 * domains (the fewest names that make 80% of its bytes, at most 10) was
 * seen over IPv6.
 */
#ifndef V6MON_APPSTATS_H
#define V6MON_APPSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum v6m_name_method {
    V6M_NAME_NONE = 0,
    V6M_NAME_SNI,
    V6M_NAME_HOST,
    V6M_NAME_QUIC,
    V6M_NAME_DNS,
    V6M_NAME_DNS_ANY,
    V6M_NAME_NDPI,
};
#define V6M_NAME__COUNT 7
/* "none", "sni", "host", "quic", "dns", "dns_any", "ndpi" */
const char *v6m_name_method_name(unsigned m);

/* packets, bytes, flows of one family. */
struct v6m_pbf {
    uint64_t packets, bytes, flows;
};

struct v6m_name_stats {
    const char *name;            /* service name (lowercase) */
    int app;                     /* catalog id, -1 = no app owns it */
    const char *app_name;        /* the catalog's name, NULL when app -1 */
    struct v6m_pbf fam[3];       /* index enum v6m_family (0 unused) */
    uint64_t method_flows[V6M_NAME__COUNT];
};

struct v6m_app_stats {
    int app;                     /* catalog id */
    const char *name, *category; /* borrowed from the catalog */
    struct v6m_pbf fam[3];       /* totals per family */
    const struct v6m_pbf *seg;   /* [n_segments * 3]: segment x family */
    double ipv6_share;           /* I7 (bytes), -1 when no bytes */
    bool shows_ipv6;             /* I6 from traffic, see above */
    size_t n_top;                /* top domains considered for I6 */
    size_t n_names;
    const size_t *names;         /* indexes into v6m_apps_result.names, by
                                    bytes descending */
    uint64_t ndpi_flows;         /* flows attributed through nDPI */
};

struct v6m_app_day {
    int64_t day_s;               /* UTC day start */
    int app;                     /* catalog id, -1 = unattributed */
    uint16_t segment;
    struct v6m_pbf fam[3];
};

struct v6m_apps_result {
    size_t n_apps;
    const struct v6m_app_stats *apps;    /* by total bytes descending */
    size_t n_names;
    const struct v6m_name_stats *names;  /* by total bytes descending */
    struct v6m_pbf unattributed[3];      /* no name, no app */
    struct v6m_pbf named_no_app[3];      /* a name no catalog app owns */
    struct v6m_pbf total[3];             /* all IPv4/IPv6 flows */
    size_t n_days;
    const struct v6m_app_day *days;      /* per day x app x segment */
    uint64_t method_flows[V6M_NAME__COUNT];
    /* Bounded parts: what they could not hold. */
    uint64_t names_overflow_flows;       /* names table full: unattributed */
    uint64_t names_invalid_flows;        /* a name that is not a valid host
                                            name (unattributed) */
    uint64_t inspect_pool_full;          /* TLS/QUIC reassembly states */
    uint64_t dpi_pool_full;
    uint64_t dns_answers, dns_malformed;
    uint64_t dns_truncated;              /* responses cut short (snaplen, or an
                                            IP fragment: payloads are not
                                            reassembled) */
    uint64_t dns_answers_partial;        /* answers read from those */
    uint64_t dns_cache_entries, dns_cache_evicted;
    uint64_t dpi_flows, dpi_packets;
    bool dpi_enabled;
};

#endif
