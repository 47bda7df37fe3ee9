/*
 * v6mon/bindings.h - subscriber binding file: which subscriber holds which
 * IPv4 and IPv6 addresses, as RADIUS accounting or DHCP logs export it.
 *
 * Format (docs/bindings.md): CSV with the header `subscriber,ipv4,ipv6`;
 * ipv4 = space-separated IPv4 addresses or prefixes (an address is a /32),
 * ipv6 = space-separated IPv6 prefixes such as 2001:db8:1:2::/64 (an
 * address is a /128); either may be empty; a subscriber may span several
 * rows. Prefixes of two subscribers may overlap: the longer one wins at
 * lookup. The same prefix for two subscribers is a load error naming both.
 *
 * Subscribers are numbered 0..count-1 in order of first appearance.
 * Lookup is a few hash probes (one per distinct prefix length present),
 * never allocates, and may run from several threads at once.
 * Ownership: the table owns its strings; v6m_bindings_id() returns a
 * pointer valid until v6m_bindings_free().
 */
#ifndef V6MON_BINDINGS_H
#define V6MON_BINDINGS_H

#include <stddef.h>
#include <stdint.h>

#include <v6mon/error.h>

typedef struct v6m_bindings v6m_bindings;

/* Load a binding file. Errors name the place, e.g.
 * "subs.csv:7: prefix 10.1.0.0/16 is bound to both alice (line 3) and bob". */
v6m_err v6m_bindings_load(const char *path, v6m_bindings **out, char *err, size_t errlen);
/* Same from memory; name is used in messages ("<bindings>" when NULL). */
v6m_err v6m_bindings_parse(const char *text, size_t len, const char *name,
                           v6m_bindings **out, char *err, size_t errlen);
void v6m_bindings_free(v6m_bindings *b); /* NULL is a no-op */

/* Subscriber index whose prefix holds the address (longest match), -1 for
 * none. family: 1 = IPv4 (address in the first 4 bytes), 2 = IPv6, as
 * V6M_FAMILY_*; any other family gives -1. */
long v6m_bindings_lookup(const v6m_bindings *b, uint8_t family, const uint8_t addr[16]);

size_t v6m_bindings_count(const v6m_bindings *b);
/* The subscriber id as written in the file; NULL when idx >= count. */
const char *v6m_bindings_id(const v6m_bindings *b, size_t idx);

#endif
