/*
 * classify/csv.h - a small RFC 4180 CSV record reader for the catalogs v6mon
 * reads (apps.csv, the subscriber bindings file, the key-site lists).
 *
 * Rules (a superset of RFC 4180 that spreadsheets and hand-editing need):
 *   - fields are separated by ',' and records by LF or CRLF;
 *   - a field may be quoted with '"'; inside, "" is one quote and commas
 *     and line breaks are data; spaces/tabs around a quoted field are
 *     ignored, any other character after the closing quote is an error;
 *   - unquoted fields are trimmed of spaces and tabs and may not contain '"';
 *   - blank lines and lines whose first non-blank character is '#' are
 *     skipped (comments; a quoted field may still start with '#');
 *   - a UTF-8 byte order mark at the start is skipped; NUL bytes are errors.
 *
 * The reader works on a text already in memory (csv_read_file() loads one
 * with a size cap) and never reads outside [text, text + len).
 * Ownership: the reader borrows the text and owns the record buffer that
 * the field pointers of the last record point into (valid until the next
 * csv_next() or csv_release()).
 */
#ifndef V6M_CLASSIFY_CSV_H
#define V6M_CLASSIFY_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errbuf.h"

#define CSV_MAX_FIELDS 16
#define CSV_RECORD_MAX (1u << 20) /* bytes of one record */

struct csv_reader {
    const uint8_t *p, *end;
    unsigned line;            /* line of the next byte */
    char *buf;                /* field storage of the last record */
    size_t cap;
};

struct csv_record {
    unsigned line;            /* line where the record starts (1-based) */
    unsigned nfields;         /* fields seen, may exceed CSV_MAX_FIELDS */
    const char *field[CSV_MAX_FIELDS]; /* NUL-terminated; the first min(nfields,
                                          CSV_MAX_FIELDS) are set */
};

void csv_init(struct csv_reader *r, const char *text, size_t len);
void csv_release(struct csv_reader *r);

/* Next record: 1 = got one, 0 = end of text, -1 = error with a message (no
 * "name:line:" prefix) in msg and the line of the error in *err_line. */
int csv_next(struct csv_reader *r, struct csv_record *rec, char *msg, size_t msglen,
             unsigned *err_line);

/* True when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or
 * code points above U+10FFFF) without control characters (< 0x20, 0x7f). */
bool csv_valid_text(const char *s, size_t n);

/* Read a whole file of at most max bytes into a new heap buffer (caller
 * frees). On failure sets e ("cannot open 'x': ...", "'x' is too large")
 * and returns the code. */
v6m_err csv_read_file(const char *path, size_t max, char **out, size_t *len,
                      struct errbuf *e);

#endif
