/*
 * cli/serve/json.h - the two JSON helpers the server needs: cutting parts
 * out of the scorecard document, and writing a string.
 *
 * Why slicing: the scorecard JSON ("v6mon.scorecard/1", written by
 * v6m_scorecard_write_json, docs/indicators.md) is the one schema of the
 * indicators. /api/v1/sites, /apps, /traffic and /kpi are parts of it
 * (the indicators they explain and their detail table), so they are cut
 * out of that document byte for byte instead of being written a second
 * time by a second writer that could drift from the first.
 *
 * The scanner reads a well-formed document (our own library's output)
 * but still never reads outside [p, p + n): every step checks the end,
 * a malformed or truncated document makes the functions return false.
 * It does not recurse (nesting is skipped with a depth counter).
 *
 * Ownership: spans point into the caller's text; nothing is allocated.
 */
#ifndef V6M_SERVE_JSON_H
#define V6M_SERVE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct jspan {
    const char *p;
    size_t n;
};

/* The value of member KEY of the object in obj (an object value, with or
 * without surrounding white space). Keys are compared as written in the
 * document (the scorecard's keys are plain ASCII, never escaped). */
bool json_member(struct jspan obj, const char *key, struct jspan *out);

/* Iterate the elements of the array in arr: *pos starts at 0; each call
 * puts the next element in *elem and returns true, false at the end (or
 * on a malformed array). */
bool json_next(struct jspan arr, size_t *pos, struct jspan *elem);

/* Is span s the JSON string whose raw text (between the quotes) is lit? */
bool json_is_string(struct jspan s, const char *lit);

/* Write s as a JSON string: quotes, escapes for '"', '\\' and control
 * characters, bytes that are not UTF-8 as U+FFFD. NULL writes null. */
void json_write_string(FILE *out, const char *s);

/* True when s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
bool json_utf8_valid(const char *s, size_t n);

#endif
