/*
 * util/strbuf.h - a growable string buffer with a hard cap.
 *
 * Renderers (HTML, SVG, Markdown) build documents of unknown length; this
 * is the one buffer they append to. Its two promises:
 *
 *   1. `buf` is always a valid NUL-terminated string of `len` bytes, even
 *      right after initialisation and after any failure, so it can be
 *      passed to anything that wants a `const char *`.
 *   2. It never grows beyond `max` bytes (not counting the NUL). An append
 *      that would pass the cap, or whose allocation fails, appends
 *      NOTHING (never half a string) and sets the sticky `failed` flag;
 *      every later append is refused too, so a renderer can do a run of
 *      appends and check once at the end, the way util/cursor.h's
 *      short_read works for readers.
 *
 * Life cycle (the only ways to get and give up memory):
 *
 *   struct strbuf sb = STRBUF_INIT;      // or strbuf_init(&sb, max)
 *   strbuf_addstr(&sb, "<svg");
 *   strbuf_addf(&sb, " width=\"%d\"", w); // printf-style (see the locale note)
 *   if (strbuf_failed(&sb)) ...          // too big or out of memory
 *   use sb.buf / sb.len                  // borrowed: valid until the next
 *                                        // append, reset, release or detach
 *   strbuf_release(&sb);                 // frees; sb is empty and reusable
 * or
 *   char *s = strbuf_detach(&sb, &n);    // the caller now owns s (free());
 *                                        // sb is empty and reusable
 *
 * Ownership: the strbuf owns `buf` while attached. Before the first
 * allocation `buf` points at a shared read-only "" (strbuf_slop): never
 * write through sb.buf yourself, never free() it; use the functions here.
 * strbuf_release() and strbuf_detach() keep `max`; they clear `failed`.
 * A strbuf is not thread-safe; use one per thread.
 *
 * Locale: strbuf_addf() uses vsnprintf(), so %f/%g follow LC_NUMERIC (a
 * German locale writes "3,5"). Machine-read text (SVG coordinates, CSS,
 * JSON) must use strbuf_addnum()/strbuf_addfixed(), which never look at
 * the locale. Integers (%d, %u, %lld...) are locale-free unless the "'"
 * flag is used.
 *
 * Inspired by git's strbuf.h as a header that teaches its life cycle
 * (no code copied).
 */
#ifndef V6M_UTIL_STRBUF_H
#define V6M_UTIL_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* The default cap when 0 is given: 64 MiB. */
#define STRBUF_DEFAULT_MAX ((size_t)64 << 20)

/* The read-only empty string every empty strbuf points at. */
extern const char strbuf_slop[1];

struct strbuf {
    char *buf;    /* NUL-terminated, len bytes; strbuf_slop until allocated */
    size_t len;   /* bytes of text, without the NUL */
    size_t alloc; /* bytes allocated at buf; 0 when buf is strbuf_slop */
    size_t max;   /* hard cap on len; 0 means STRBUF_DEFAULT_MAX */
    bool failed;  /* sticky: an append was refused (cap or out of memory) */
};

#define STRBUF_INIT                                                                                \
    {                                                                                              \
        (char *)strbuf_slop, 0, 0, 0, false                                                        \
    }

/* Empty buffer with a cap of max bytes (0 = STRBUF_DEFAULT_MAX). Allocates
 * nothing. */
void strbuf_init(struct strbuf *sb, size_t max);

/* Free the memory; sb becomes empty (keeping its cap) and usable again.
 * Safe on an initialised buffer that never allocated. */
void strbuf_release(struct strbuf *sb);

/* Hand the text to the caller: returns a malloc()ed NUL-terminated string
 * the caller must free() (also when empty), its length in *len if len is
 * not NULL; sb becomes empty (as after release). NULL only when the
 * buffer had never allocated and malloc(1) failed. */
char *strbuf_detach(struct strbuf *sb, size_t *len);

/* Empty the text but keep the memory; clears `failed`. */
void strbuf_reset(struct strbuf *sb);

/* Cut the text back to newlen bytes (newlen <= len; larger values are
 * ignored). Used to undo a partial piece of output. Does not clear
 * `failed`. */
void strbuf_setlen(struct strbuf *sb, size_t newlen);

/* Make room for extra more bytes (plus the NUL). false (and `failed` set)
 * when len + extra would pass the cap or memory runs out. */
bool strbuf_grow(struct strbuf *sb, size_t extra);

/* Appends. Each returns true when the whole piece was appended, false
 * when nothing was (buffer already failed, cap, out of memory). */
bool strbuf_add(struct strbuf *sb, const void *data, size_t n);
bool strbuf_addstr(struct strbuf *sb, const char *s);
bool strbuf_addch(struct strbuf *sb, char c);
bool strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* v with exactly `decimals` (0..9) digits after a '.', rounded half away
 * from zero, whatever the process locale: 2.5 -> "2.50" (decimals 2),
 * -0.004 -> "0.00" (no negative zero). Non-finite values and |v| >= 1e15
 * append nothing and return false WITHOUT setting `failed` (they are an
 * argument error, not a buffer error). */
bool strbuf_addfixed(struct strbuf *sb, double v, int decimals);

/* The same with trailing zeros (and a trailing '.') removed: the compact
 * form for coordinates. 12.50 -> "12.5", 3.00 -> "3". */
bool strbuf_addnum(struct strbuf *sb, double v, int max_decimals);

/* Append s escaped for XML and HTML, usable in text and in attribute
 * values quoted with ' or ": & < > " ' become &amp; &lt; &gt; &quot;
 * &#39; (valid in both XML and HTML). Bytes that are not valid UTF-8,
 * UTF-16 surrogates, U+FFFE/U+FFFF and control characters other than tab,
 * LF and CR (which XML 1.0 forbids) become U+FFFD, one per byte, so the
 * result is always well-formed. At most max_bytes bytes of s are read
 * (SIZE_MAX: up to its NUL). All or nothing, like every append. */
bool strbuf_addxml(struct strbuf *sb, const char *s, size_t max_bytes);

static inline bool strbuf_failed(const struct strbuf *sb)
{
    return sb->failed;
}

#endif
