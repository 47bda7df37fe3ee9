/*
 * probe/similar.h - W5 "the same website over IPv4 and IPv6": body
 * distance by internet.nl's method and the difference of two link sets.
 *
 * similar_distance(): take the first SIMILAR_INPUT_MAX bytes of each body,
 * strip nonces (similar_strip), and compute difflib's quick_ratio on the
 * bytes: 2 * |multiset intersection| / (len_a + len_b), 1 when both are
 * empty; distance = round(100 - 100 * ratio). A pair passes at
 * SIMILAR_PASS_MAX or less. quick_ratio ignores order, so it is an upper
 * bound of the real similarity: cheap (one pass), and it still catches a
 * different page (a "maintenance" page against the real one).
 *
 * Nonces stripped (values removed, the rest kept):
 *   - the values of the attributes nonce, integrity, and any attribute whose
 *     name contains "csrf" or "token";
 *   - value="..." inside a tag that also says type="hidden";
 *   - content="..." inside a <meta> tag whose name mentions csrf or token;
 *   - anywhere, runs of 16 or more characters of [A-Za-z0-9+/=_-] that
 *     contain both a digit and a letter (session ids, hashes, cache busters).
 *
 * Ownership: inputs are borrowed; similar_strip() writes into the caller's
 * buffer. No allocation in similar_distance() beyond two 256-entry tables.
 */
#ifndef V6M_PROBE_SIMILAR_H
#define V6M_PROBE_SIMILAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIMILAR_INPUT_MAX 500000
#define SIMILAR_PASS_MAX 10
#define SIMILAR_TOKEN_MIN 16
#define LINKSET_DIFF_MAX 0.10

/* Strip nonces from in[0..len) into out (room for len bytes); returns the
 * new length. */
size_t similar_strip(const uint8_t *in, size_t len, uint8_t *out);

unsigned similar_distance(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

struct linkset_diff {
    size_t only_a, only_b, common; /* distinct URLs */
};
/* Compare two URL lists as sets (duplicates and order do not matter). */
void similar_linkset(const char *const *a, size_t na, const char *const *b, size_t nb,
                     struct linkset_diff *out);
/* Symmetric difference over LINKSET_DIFF_MAX of the union. */
bool similar_linkset_differs(const struct linkset_diff *d);

#endif
