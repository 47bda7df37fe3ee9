/*
 * v6mon/apps.h - the app catalog: which app a host name or an nDPI protocol
 * belongs to (indicators I6/I7 attribute traffic to apps through it).
 *
 * A catalog is a list of apps, each with a name, a category, domain
 * suffixes and nDPI protocol names. It is read from CSV files with the
 * header `app,category,domains,ndpi` (format and rules in docs/apps.md);
 * the tool's built-in catalog is data/apps.csv, compiled into the library.
 *
 * Matching: a suffix matches a host on label boundaries ("qq.com" matches
 * "qq.com" and "weixin.qq.com", not "fooqq.com"); the longest matching
 * suffix wins, so "weixin.qq.com" (WeChat) beats "qq.com" (QQ).
 *
 * Loading several files: each load extends the catalog. A row for an app
 * that already exists (names compare case-insensitively) adds its domains
 * and nDPI names. A suffix or nDPI name already owned by another app: a
 * later file takes it over from an earlier one; inside one file it is an
 * error. A failed load leaves the catalog exactly as it was.
 *
 * Ids: apps are numbered 0..count-1 in the order they first appear; ids
 * and name/category strings stay valid until the next successful load or
 * v6m_apps_free(). Lookups (match, match_ndpi, find) only read and may run
 * from several threads at once; loads need exclusive access.
 * Ownership: the catalog owns all its strings; callers own host/name args.
 */
#ifndef V6MON_APPS_H
#define V6MON_APPS_H

#include <stddef.h>

#include <v6mon/error.h>

typedef struct v6m_apps v6m_apps;

/* Empty catalog; NULL when out of memory. */
v6m_apps *v6m_apps_new(void);

/* Add the built-in catalog (data/apps.csv as compiled in). */
v6m_err v6m_apps_load_builtin(v6m_apps *a, char *err, size_t errlen);

/* Add a catalog file (the tool's --apps FILE). Errors say where, e.g.
 * "my.csv:12: domain 'qq.com' is listed for both QQ and WeChat" or
 * "my.csv:3: expected 4 columns, got 3". */
v6m_err v6m_apps_load_file(v6m_apps *a, const char *path, char *err, size_t errlen);

/* Same from memory; name is used in messages ("<apps>" when NULL). */
v6m_err v6m_apps_parse(v6m_apps *a, const char *text, size_t len, const char *name,
                       char *err, size_t errlen);

void v6m_apps_free(v6m_apps *a); /* NULL is a no-op */

size_t v6m_apps_count(const v6m_apps *a);
/* NULL when id >= count. */
const char *v6m_apps_name(const v6m_apps *a, size_t id);
const char *v6m_apps_category(const v6m_apps *a, size_t id);

/* App id of the longest suffix matching host[0..hostlen), -1 for none.
 * host is a DNS name, lowercase without a trailing dot (ASCII upper case
 * and one trailing dot are tolerated). Does not allocate; cost is one
 * hash probe per label. */
int v6m_apps_match(const v6m_apps *a, const char *host, size_t hostlen);

/* App id for an nDPI protocol name such as "WeChat" (ASCII
 * case-insensitive), -1 for none. */
int v6m_apps_match_ndpi(const v6m_apps *a, const char *ndpi_proto_name);

/* App id by name (ASCII case-insensitive), -1 for none. */
int v6m_apps_find(const v6m_apps *a, const char *name);

/* The domain suffixes of app id, sorted, as pointers to NUL-terminated
 * copies in out[0..max) (caller frees each with free()). Returns how many
 * the app has (may exceed max; only min(max, n) are written). */
size_t v6m_apps_domains(const v6m_apps *a, size_t id, char **out, size_t max);

#endif
