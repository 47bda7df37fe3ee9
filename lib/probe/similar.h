/*
 * probe/similar.h - W5 "the same website over IPv4 and IPv6": the body
 * distance by internet.nl's method, and the difference of two link sets.
 * Pure functions over bytes; deterministic.
 *
 * Distance (internet.nl, checks/tasks/ipv6.py simhash()): take the first
 * SIMILAR_INPUT_MAX bytes of each body, strip nonces (below), and compute
 * Python difflib's SequenceMatcher(None, a, b).quick_ratio() on the bytes:
 *     ratio = 2 * M / (len_a + len_b), 1.0 when both are empty,
 * M = the size of the multiset intersection of the two byte strings
 * (sum over byte values of min(count_a, count_b)). Then
 *     distance = round(100 - 100 * ratio)
 * computed in IEEE double like Python, round() being Python's (half to
 * even: 12.5 -> 12). A pair passes when distance <= SIMILAR_PASS_MAX.
 * (internet.nl compares the unrounded value with 10; the two verdicts
 * differ only for 10 < d < 10.5.) quick_ratio ignores order, so it is an
 * upper bound of the real similarity: one pass, and it still tells a
 * "maintenance" or error page from the real one.
 *
 * Nonces stripped before counting (the value bytes are removed, the
 * attribute name, '=' and quotes stay):
 *   1. in any tag, the values of attributes named nonce or integrity, and
 *      of attributes whose name contains "csrf" (ASCII case-insensitive);
 *   2. in an <input> tag with type=hidden: the value attribute's value
 *      (ASP.NET __VIEWSTATE, Django csrfmiddlewaretoken...);
 *   3. in a <meta> tag whose name attribute contains "csrf"
 *      (csrf-token, csrf-param, _csrf): the content attribute's value;
 *   4. anywhere else (text, other attribute values, scripts, comments):
 *      every maximal run of at least SIMILAR_TOKEN_MIN bytes of
 *      [A-Za-z0-9+/=_-] that holds at least one ASCII digit and one ASCII
 *      letter (session ids, hashes, cache busters, base64).
 * A tag is '<' + ASCII letter up to the first '>' outside a quoted
 * attribute value (or the end of the input); attributes are split the way
 * the HTML tokenizer splits them. Everything is linear in the input and
 * never reads outside it.
 *
 * Link sets: URLs compared as strings (callers pass normal forms from
 * page_extract), each side taken as a set. They differ when the
 * symmetric difference is more than LINKSET_DIFF_PCT percent of the
 * union (integer arithmetic: 100 * (only_a + only_b) > 10 * union).
 *
 * Ownership: inputs are borrowed; similar_strip() writes into the caller's
 * buffer; similar_distance() allocates nothing.
 */
#ifndef V6M_PROBE_SIMILAR_H
#define V6M_PROBE_SIMILAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIMILAR_INPUT_MAX 500000 /* bytes of each body compared (internet.nl: read(500000)) */
#define SIMILAR_PASS_MAX 10
#define SIMILAR_TOKEN_MIN 16
#define LINKSET_DIFF_PCT 10

/* Strip nonces from in[0..len) into out (room for len bytes); returns the
 * new length (<= len). Not limited to SIMILAR_INPUT_MAX. */
size_t similar_strip(const uint8_t *in, size_t len, uint8_t *out);

/* 0..100 as above. a or b may be NULL when its length is 0. */
unsigned similar_distance(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

struct linkset_diff {
    size_t only_a, only_b, common; /* distinct URLs */
};
/* Compare two URL lists as sets (duplicates and order do not matter;
 * NULL entries are skipped). false when out of memory (*out zeroed). */
bool similar_linkset(const char *const *a, size_t na, const char *const *b, size_t nb,
                     struct linkset_diff *out);
/* Symmetric difference over LINKSET_DIFF_PCT percent of the union; false
 * for two empty sets. */
bool similar_linkset_differs(const struct linkset_diff *d);

#endif
