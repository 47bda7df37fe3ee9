/*
 * v6mon/error.h - the one error code type of libv6mon.
 *
 * Every fallible library call returns a v6m_err. The code says what kind of
 * failure it was; the human-readable detail ("cannot open 'x.pcap': No such
 * file or directory") is kept on the handle that failed and read with that
 * handle's *_errmsg() accessor. The library never prints and never exits.
 */
#ifndef V6MON_ERROR_H
#define V6MON_ERROR_H

typedef enum v6m_err {
    V6M_OK = 0,
    V6M_ERR_NOMEM,       /* allocation failed or a memory cap was hit */
    V6M_ERR_IO,          /* open/read/write failed (errno in the detail) */
    V6M_ERR_FORMAT,      /* input is not in the expected format */
    V6M_ERR_TRUNCATED,   /* input ended in the middle of a record */
    V6M_ERR_INVALID_ARG, /* caller passed a bad value (detail says which) */
    V6M_ERR_CONFIG,      /* a configuration file is malformed */
    V6M_ERR_UNSUPPORTED, /* valid input we do not handle */
    V6M_ERR_NOT_FOUND,   /* named thing does not exist */
    V6M_ERR_DB,          /* the store failed */
    V6M_ERR_INTERRUPTED, /* stopped on request (signal flag) */
    V6M_ERR_EOF,         /* normal end of input, not a failure */
    V6M_ERR__COUNT
} v6m_err;

/* Static English text for a code; never NULL. */
const char *v6m_strerror(v6m_err err);

#endif
