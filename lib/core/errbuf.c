/*
 * core/errbuf.c - error codes and detail messages (see errbuf.h).
 */
#include "core/errbuf.h"

#include <stdarg.h>
#include <stdio.h>

#include "util/strutil.h"

v6m_err errbuf_set(struct errbuf *e, v6m_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    e->code = code;
    return code;
}

void errbuf_export(const struct errbuf *e, char *buf, size_t len)
{
    if (buf && len)
        util_strlcpy(buf, e->msg, len);
}

const char *v6m_strerror(v6m_err err)
{
    switch (err) {
    case V6M_OK: return "success";
    case V6M_ERR_NOMEM: return "out of memory";
    case V6M_ERR_IO: return "input/output error";
    case V6M_ERR_FORMAT: return "unrecognised format";
    case V6M_ERR_TRUNCATED: return "truncated input";
    case V6M_ERR_INVALID_ARG: return "invalid argument";
    case V6M_ERR_CONFIG: return "invalid configuration";
    case V6M_ERR_UNSUPPORTED: return "unsupported";
    case V6M_ERR_NOT_FOUND: return "not found";
    case V6M_ERR_DB: return "database error";
    case V6M_ERR_INTERRUPTED: return "interrupted";
    case V6M_ERR_EOF: return "end of input";
    case V6M_ERR__COUNT: break;
    }
    return "unknown error";
}
