/*
 * util/strutil.h - small string and number helpers that replace the banned
 * libc functions (see banned.h).
 */
#ifndef V6M_UTIL_STRUTIL_H
#define V6M_UTIL_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copy src into dst[size] always NUL-terminating; returns strlen(src) so a
 * result >= size means truncation. */
size_t util_strlcpy(char *dst, const char *src, size_t size);

/* Parse a whole decimal unsigned integer (no sign, no trailing junk,
 * no overflow). Returns false on any defect. */
bool util_parse_u64(const char *s, uint64_t *out);

/* Parse a duration: "300", "300s", "5m", "1h", "250ms", "1d". Result in ns.
 * Returns false on junk, zero-length or overflow. */
bool util_parse_duration(const char *s, uint64_t *ns_out);

/* Format ns since the epoch as "2026-11-26T12:24:29Z" (UTC, seconds).
 * buf must hold 21 bytes. Returns buf. */
char *util_format_utc(uint64_t ns, char *buf, size_t size);
/* The same through gmtime_r() and strftime() (the reference the tests
 * compare util_format_utc()'s own calendar arithmetic with). */
char *util_format_utc_libc(uint64_t ns, char *buf, size_t size);
/* "YYYY-MM-DD" of a time in seconds since the epoch (UTC); "?" if it
 * cannot be represented. Returns buf. */
char *util_format_day(int64_t s, char *buf, size_t size);

/* Parse an IPv4 or IPv6 address with optional "/len" into a 16-byte
 * buffer (IPv4 in the first 4 bytes). family gets 1 (IPv4) or 2 (IPv6).
 * Without "/len" the prefix length is the full address. */
bool util_parse_prefix(const char *s, uint8_t addr[16], unsigned *plen,
                       unsigned *family);

/* Trim ASCII whitespace in place at both ends; returns the new start. */
char *util_trim(char *s);

#endif
