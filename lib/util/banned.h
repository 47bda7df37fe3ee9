/*
 * util/banned.h - poison libc functions that are easy to misuse.
 *
 * Included (via CMake's -include) by every translation unit of the library,
 * the tool and the tests. Use instead:
 *   strcpy/strcat/strncpy/strncat -> util_strlcpy / snprintf / memcpy with
 *                                    an explicit length
 *   sprintf/vsprintf              -> snprintf / vsnprintf
 *   gets                          -> fgets
 *   strtok                        -> util_split or a cursor
 *   atoi/atol/atoll/atof          -> util_parse_u64 / strtod with checks
 *   gmtime/localtime/ctime/asctime -> the _r variants
 * Inspired by git's banned.h (not copied).
 */
#ifndef V6M_UTIL_BANNED_H
#define V6M_UTIL_BANNED_H

/* System headers must be seen before the poison so their own declarations
 * and macros still compile; everything after this point cannot use these. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#pragma GCC poison strcpy strcat strncpy strncat sprintf vsprintf gets
#pragma GCC poison strtok atoi atol atoll atof
#pragma GCC poison gmtime localtime ctime asctime

#endif
