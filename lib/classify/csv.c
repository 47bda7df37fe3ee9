/*
 * classify/csv.c - CSV record reader (rules in csv.h).
 *
 * One pass over the bytes per record: a small state machine (field start,
 * unquoted, quoted, after closing quote) copies field bytes into the
 * record buffer, each field NUL-terminated, so callers get C strings.
 * Every read is guarded by `p < end`; the buffer grows by doubling up to
 * CSV_RECORD_MAX.
 */
#include "classify/csv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void csv_init(struct csv_reader *r, const char *text, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->p = (const uint8_t *)text;
    r->end = r->p + (text ? len : 0);
    r->line = 1;
    if (r->end - r->p >= 3 && r->p[0] == 0xef && r->p[1] == 0xbb && r->p[2] == 0xbf)
        r->p += 3;
}

void csv_release(struct csv_reader *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
}

/* Append one byte to the record buffer at *n. */
static bool put(struct csv_reader *r, size_t *n, char c)
{
    if (*n >= r->cap) {
        if (r->cap >= CSV_RECORD_MAX)
            return false;
        size_t nc = r->cap ? r->cap * 2 : 256;
        if (nc > CSV_RECORD_MAX)
            nc = CSV_RECORD_MAX;
        char *b = realloc(r->buf, nc);
        if (!b)
            return false;
        r->buf = b;
        r->cap = nc;
    }
    r->buf[(*n)++] = c;
    return true;
}

static bool is_blank(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* Skip blank and comment lines; p then is at the start of a record or end. */
static void skip_empty(struct csv_reader *r)
{
    while (r->p < r->end) {
        const uint8_t *q = r->p;
        while (q < r->end && (is_blank(*q) || *q == '\r'))
            q++;
        if (q < r->end && *q != '\n' && *q != '#')
            return; /* a record starts on this line */
        if (q < r->end && *q == '#')
            while (q < r->end && *q != '\n')
                q++;
        if (q >= r->end) {
            r->p = r->end;
            return;
        }
        r->p = q + 1; /* past '\n' */
        r->line++;
    }
}

#define FAIL(...)                                                                       \
    do {                                                                                \
        snprintf(msg, msglen, __VA_ARGS__);                                             \
        *err_line = r->line;                                                            \
        return -1;                                                                      \
    } while (0)

int csv_next(struct csv_reader *r, struct csv_record *rec, char *msg, size_t msglen,
             unsigned *err_line)
{
    skip_empty(r);
    memset(rec, 0, sizeof(*rec));
    if (r->p >= r->end)
        return 0;
    rec->line = r->line;
    size_t n = 0;
    size_t starts[CSV_MAX_FIELDS];
    for (;;) { /* one field per iteration */
        size_t start = n;
        while (r->p < r->end && is_blank(*r->p))
            r->p++;
        bool quoted = r->p < r->end && *r->p == '"';
        bool end_rec = false;
        if (quoted) {
            unsigned open_line = r->line;
            r->p++;
            for (;;) {
                if (r->p >= r->end)
                    FAIL("unterminated quoted field (opened on line %u)", open_line);
                uint8_t c = *r->p++;
                if (c == '"') {
                    if (r->p < r->end && *r->p == '"') {
                        r->p++;
                    } else {
                        break;
                    }
                } else if (c == '\0') {
                    FAIL("NUL byte in the text");
                } else if (c == '\n') {
                    r->line++;
                } else if (c == '\r' && r->p < r->end && *r->p == '\n') {
                    continue; /* CRLF inside quotes: keep the LF only */
                }
                if (!put(r, &n, (char)c))
                    FAIL("record too long (at most %u bytes) or out of memory",
                         CSV_RECORD_MAX);
            }
            while (r->p < r->end && (is_blank(*r->p) || *r->p == '\r'))
                r->p++;
            if (r->p < r->end && *r->p != ',' && *r->p != '\n')
                FAIL("unexpected character '%c' after a closing quote (expected ',' "
                     "or the end of the line)",
                     (*r->p >= 0x20 && *r->p < 0x7f) ? *r->p : '?');
        } else {
            while (r->p < r->end && *r->p != ',' && *r->p != '\n') {
                uint8_t c = *r->p++;
                if (c == '"')
                    FAIL("quote character inside an unquoted field (quote the whole "
                         "field and double the quote: \"a \"\"b\"\"\")");
                if (c == '\0')
                    FAIL("NUL byte in the text");
                if (!put(r, &n, (char)c))
                    FAIL("record too long (at most %u bytes) or out of memory",
                         CSV_RECORD_MAX);
            }
            /* trim trailing blanks and a CR */
            while (n > start && (is_blank((uint8_t)r->buf[n - 1]) || r->buf[n - 1] == '\r'))
                n--;
        }
        if (r->p >= r->end) {
            end_rec = true;
        } else if (*r->p == '\n') {
            r->p++;
            r->line++;
            end_rec = true;
        } else {
            r->p++; /* ',' */
        }
        if (!put(r, &n, '\0'))
            FAIL("record too long (at most %u bytes) or out of memory", CSV_RECORD_MAX);
        if (rec->nfields < CSV_MAX_FIELDS)
            starts[rec->nfields] = start;
        if (rec->nfields < UINT32_MAX)
            rec->nfields++;
        if (end_rec)
            break;
    }
    unsigned k = rec->nfields < CSV_MAX_FIELDS ? rec->nfields : CSV_MAX_FIELDS;
    for (unsigned i = 0; i < k; i++)
        rec->field[i] = r->buf + starts[i];
    return 1;
}

bool csv_valid_text(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t b = (uint8_t)s[i];
        if (b < 0x20 || b == 0x7f)
            return false;
        if (b < 0x80) {
            i++;
            continue;
        }
        unsigned len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 ? 2 : 0;
        if (!len || b > 0xf4 || i + len > n)
            return false;
        uint32_t cp = b & (0x7fu >> len);
        for (unsigned k = 1; k < len; k++) {
            uint8_t cb = (uint8_t)s[i + k];
            if ((cb & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (cb & 0x3f);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        i += len;
    }
    return true;
}

v6m_err csv_read_file(const char *path, size_t max, char **out, size_t *len,
                      struct errbuf *e)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errbuf_set(e, V6M_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    v6m_err rc = V6M_OK;
    while (buf) {
        if (n == cap) {
            if (cap >= max) {
                rc = errbuf_set(e, V6M_ERR_CONFIG, "'%s' is too large (at most %zu bytes)",
                                path, max);
                break;
            }
            size_t nc = cap * 2 > max ? max : cap * 2;
            char *nb = realloc(buf, nc);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap = nc;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                rc = errbuf_set(e, V6M_ERR_IO, "cannot read '%s': %s", path,
                                strerror(errno));
            break;
        }
    }
    fclose(f);
    if (!buf && rc == V6M_OK)
        rc = errbuf_set(e, V6M_ERR_NOMEM, "out of memory reading '%s'", path);
    if (rc != V6M_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = n;
    return V6M_OK;
}
