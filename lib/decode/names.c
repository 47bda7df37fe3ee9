/*
 * decode/names.c - stable short names of the record's enums (families,
 * drop reasons, encapsulation bits, IPv6 extension headers). These names
 * are used as JSON keys, SQL values and labels: never rename one.
 */
#include <v6mon/packet.h>

#include <stddef.h>

const char *v6m_family_name(unsigned family)
{
    static const char *const names[V6M_FAMILY_COUNT] = {"other", "ipv4", "ipv6"};
    return family < V6M_FAMILY_COUNT ? names[family] : NULL;
}

const char *v6m_drop_name(unsigned drop)
{
    static const char *const names[V6M_DROP__COUNT] = {
        "none", "truncated", "malformed", "unsupported_link",
        "unsupported_encap", "too_deep", "fragment_unresolved",
    };
    return drop < V6M_DROP__COUNT ? names[drop] : NULL;
}

const char *v6m_encap_name(unsigned bit)
{
    static const char *const names[V6M_ENC__BITS] = {
        "vlan", "qinq", "mpls", "pppoe", "ppp", "gre", "erspan", "vxlan",
        "geneve", "gtpu", "ip4in4", "ip6in4", "ip4in6", "ip6in6", "teredo",
        "ayiya", "6to4", "isatap", "eth_inner", "l2tp", "capwap", "pbb",
    };
    return bit < V6M_ENC__BITS ? names[bit] : NULL;
}

const char *v6m_ext_name(unsigned ext)
{
    static const char *const names[V6M_EXT__COUNT] = {
        "hop_by_hop", "routing", "segment_routing", "routing_type0",
        "fragment", "destination_options", "ah", "esp", "mobility", "hip",
        "shim6", "no_next_header",
    };
    return ext < V6M_EXT__COUNT ? names[ext] : NULL;
}
