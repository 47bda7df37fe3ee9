/*
 * classify/http.h - the Host of an HTTP/1.x request at the start of a TCP
 * stream (RFC 9112 3, 5; RFC 9110 7.2). Layout and limits:
 * docs/internals/names.md.
 *
 * Names follow the rules in dns.h (lowercase, no trailing dot, 1..253
 * characters of [a-z0-9-_.], no empty label). The port is dropped; an IP
 * literal ("[2001:db8::1]:80", "192.0.2.1", "127.1") is not a name and
 * gives HTTP_HOST_NONE, as does any other value that breaks the rules or
 * does not fit `cap` (pass CLASSIFY_NAME_MAX bytes).
 *
 * Ownership: borrows data for the call only; `host` is caller memory of
 * `cap` bytes holding the name on HTTP_HOST_FOUND and "" otherwise (when
 * cap > 0). No allocation, no global state.
 */
#ifndef V6M_CLASSIFY_HTTP_H
#define V6M_CLASSIFY_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "classify/dns.h" /* CLASSIFY_NAME_MAX, name rules */

#define HTTP_SCAN_MAX 8192 /* request line + headers looked at */

enum http_status {
    HTTP_HOST_FOUND = 0,
    HTTP_HOST_NONE,      /* not an HTTP request, or no Host header */
    HTTP_HOST_NEED_MORE, /* request line seen but headers end not reached */
    HTTP_HOST_MALFORMED,
};

/*
 * data = the start of the client's TCP stream. Recognises the methods GET
 * HEAD POST PUT DELETE OPTIONS PATCH CONNECT TRACE (case-sensitive, as the
 * RFC says), a request line "METHOD SP target SP HTTP/1.d" ended by CRLF
 * (or a bare LF), then header lines up to the empty line.
 *
 * - The first byte cannot start a method -> NONE at once; bytes that are
 *   still a prefix of "METHOD " -> NEED_MORE; anything else that is not
 *   such a request line (HTTP/2 preface, HTTP/0.9, other protocols) -> NONE.
 * - FOUND as soon as a complete "Host:" line (name case-insensitive,
 *   optional whitespace around the value) is seen: later headers are not
 *   read (a second Host header is not detected).
 * - No Host before the empty line: for CONNECT the authority-form target,
 *   for an absolute-form target ("http://name/...") its authority; else
 *   NONE.
 * - Headers not ended within the data -> NEED_MORE; not ended within the
 *   first HTTP_SCAN_MAX bytes -> NONE (give up).
 * - MALFORMED: after a valid request line, a header line whose field name
 *   is not a token (RFC 9110 5.6.2: empty, whitespace before the ':',
 *   control or non-ASCII bytes) or that has no ':', or a Host port that is
 *   not digits. Values of other fields are not inspected (that is what
 *   keeps the scan at one memchr per line); lines starting with
 *   whitespace (obs-fold continuations) are skipped.
 */
enum http_status http_request_host(const uint8_t *data, size_t len, char *host, size_t cap);

#endif
