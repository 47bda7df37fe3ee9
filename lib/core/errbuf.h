/*
 * core/errbuf.h - the detail message kept on a handle beside its v6m_err.
 *
 * Every handle that can fail embeds one `struct errbuf`; errbuf_set()
 * records the code and a printf-style message and returns the code, so a
 * failing path reads `return errbuf_set(&h->err, V6M_ERR_IO, "cannot open
 * '%s': %s", path, strerror(errno));`. Messages say what failed and on what;
 * no trailing newline, no "error:" prefix (the tool adds that).
 */
#ifndef V6M_CORE_ERRBUF_H
#define V6M_CORE_ERRBUF_H

#include <stddef.h>

#include <v6mon/error.h>

#define ERRBUF_SIZE 512

struct errbuf {
    v6m_err code;
    char msg[ERRBUF_SIZE];
};

static inline void errbuf_clear(struct errbuf *e)
{
    e->code = V6M_OK;
    e->msg[0] = '\0';
}

v6m_err errbuf_set(struct errbuf *e, v6m_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copy a message into a caller's (buf, len), as the *_load(..., errbuf,
 * errlen) style functions need. buf may be NULL. */
void errbuf_export(const struct errbuf *e, char *buf, size_t len);

#endif
