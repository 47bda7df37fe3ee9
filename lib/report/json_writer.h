/*
 * report/json_writer.h - a small streaming JSON writer for the renderers.
 *
 * Writes to a FILE* the caller owns. Keeps a nesting stack so commas are
 * placed automatically: call json_key() before a value inside an object,
 * nothing before a value inside an array. Strings are escaped per RFC 8259
 * (control characters as \u00XX; bytes >= 0x80 are passed through, so the
 * caller must hand in UTF-8). Doubles that are not finite are written as
 * null. Depth is capped (JSON_MAX_DEPTH); going deeper sets `failed`.
 *
 * pretty = true indents by two spaces per level; false writes one line.
 */
#ifndef V6M_REPORT_JSON_WRITER_H
#define V6M_REPORT_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
    FILE *out;
    bool pretty;
    bool failed;
    int depth;
    bool first[JSON_MAX_DEPTH]; /* no value written yet at this level */
    bool after_key;             /* a key was just written */
};

void json_init(struct json_writer *w, FILE *out, bool pretty);
void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_string(struct json_writer *w, const char *s);
void json_u64(struct json_writer *w, uint64_t v);
void json_i64(struct json_writer *w, int64_t v);
/* %.*g with `digits` significant digits; NaN/inf -> null. */
void json_double(struct json_writer *w, double v, int digits);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
/* Finish (newline when pretty); returns false if anything failed. */
bool json_finish(struct json_writer *w);

/* Write s as a JSON string literal (with quotes) to out. */
void json_write_escaped(FILE *out, const char *s);

#endif
