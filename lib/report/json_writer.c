/*
 * report/json_writer.c - see json_writer.h.
 */
#include "report/json_writer.h"

#include <math.h>

void json_init(struct json_writer *w, FILE *out, bool pretty)
{
    w->out = out;
    w->pretty = pretty;
    w->failed = false;
    w->depth = 0;
    w->first[0] = true;
    w->after_key = false;
}

static void newline_indent(struct json_writer *w)
{
    if (!w->pretty)
        return;
    fputc('\n', w->out);
    for (int i = 0; i < w->depth; i++)
        fputs("  ", w->out);
}

/* Separator before a value (or key) at the current level. */
static void before_value(struct json_writer *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0) {
        if (!w->first[w->depth])
            fputc(',', w->out);
        newline_indent(w);
    }
    w->first[w->depth] = false;
}

void json_write_escaped(FILE *out, const char *s)
{
    /* Runs of characters that need no escape go out in one fwrite: the
     * prober writes megabytes of JSON lines and per-character stdio calls
     * were a tenth of its CPU time. */
    fputc('"', out);
    const unsigned char *p = (const unsigned char *)s, *run = p;
    for (; *p; p++) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (p > run)
            fwrite(run, 1, (size_t)(p - run), out);
        run = p + 1;
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default: fprintf(out, "\\u%04x", c); break;
        }
    }
    if (p > run)
        fwrite(run, 1, (size_t)(p - run), out);
    fputc('"', out);
}

static void open_level(struct json_writer *w, char c)
{
    before_value(w);
    fputc(c, w->out);
    if (w->depth + 1 >= JSON_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    w->depth++;
    w->first[w->depth] = true;
}

static void close_level(struct json_writer *w, char c)
{
    if (w->depth == 0) {
        w->failed = true;
        return;
    }
    bool empty = w->first[w->depth];
    w->depth--;
    if (!empty)
        newline_indent(w);
    fputc(c, w->out);
}

void json_begin_object(struct json_writer *w)
{
    open_level(w, '{');
}

void json_end_object(struct json_writer *w)
{
    close_level(w, '}');
}

void json_begin_array(struct json_writer *w)
{
    open_level(w, '[');
}

void json_end_array(struct json_writer *w)
{
    close_level(w, ']');
}

void json_key(struct json_writer *w, const char *key)
{
    before_value(w);
    json_write_escaped(w->out, key);
    fputs(w->pretty ? ": " : ":", w->out);
    w->after_key = true;
}

void json_string(struct json_writer *w, const char *s)
{
    before_value(w);
    json_write_escaped(w->out, s ? s : "");
}

void json_u64(struct json_writer *w, uint64_t v)
{
    before_value(w);
    fprintf(w->out, "%llu", (unsigned long long)v);
}

void json_i64(struct json_writer *w, int64_t v)
{
    before_value(w);
    fprintf(w->out, "%lld", (long long)v);
}

void json_double(struct json_writer *w, double v, int digits)
{
    before_value(w);
    if (!isfinite(v))
        fputs("null", w->out);
    else
        fprintf(w->out, "%.*g", digits, v);
}

void json_bool(struct json_writer *w, bool v)
{
    before_value(w);
    fputs(v ? "true" : "false", w->out);
}

void json_null(struct json_writer *w)
{
    before_value(w);
    fputs("null", w->out);
}

bool json_finish(struct json_writer *w)
{
    if (w->depth != 0)
        w->failed = true;
    if (w->pretty)
        fputc('\n', w->out);
    return !w->failed && !ferror(w->out);
}
