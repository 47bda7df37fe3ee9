/*
 * probe/url.c - see url.h. curl_url() does the RFC 3986 work (reference
 * resolution, dot segments, percent-encoding checks); we only add the
 * normal form (lowercase host, no default port, no fragment) and refuse
 * everything that is not http or https.
 */
#include "probe/url.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <libpsl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/strutil.h"

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

static char *normalise(CURLU *u)
{
    char *scheme = NULL, *host = NULL, *out = NULL;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
        goto done;
    lower(scheme);
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
        goto done;
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0])
        goto done;
    lower(host);
    curl_url_set(u, CURLUPART_HOST, host, 0);
    curl_url_set(u, CURLUPART_SCHEME, scheme, 0);
    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
    curl_url_set(u, CURLUPART_USER, NULL, 0);
    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
    char *port = NULL;
    if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK) {
        if ((!strcmp(scheme, "http") && !strcmp(port, "80")) ||
            (!strcmp(scheme, "https") && !strcmp(port, "443")))
            curl_url_set(u, CURLUPART_PORT, NULL, 0);
        curl_free(port);
    }
    if (curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
        out = NULL;
done:
    curl_free(scheme);
    curl_free(host);
    if (out && strlen(out) > URL_MAX) {
        curl_free(out);
        return NULL;
    }
    if (!out)
        return NULL;
    char *r = strdup(out);
    curl_free(out);
    return r;
}

char *url_resolve(const char *base, const char *ref)
{
    if (!ref || strlen(ref) > URL_MAX || (base && strlen(base) > URL_MAX))
        return NULL;
    /* Leading/trailing ASCII whitespace is not part of an href (HTML). */
    while (*ref == ' ' || *ref == '\t' || *ref == '\n' || *ref == '\r' || *ref == '\f')
        ref++;
    size_t n = strlen(ref);
    char tmp[URL_MAX + 1];
    memcpy(tmp, ref, n + 1);
    while (n && (tmp[n - 1] == ' ' || tmp[n - 1] == '\t' || tmp[n - 1] == '\n' ||
                 tmp[n - 1] == '\r' || tmp[n - 1] == '\f'))
        tmp[--n] = '\0';
    /* HTML allows raw tabs/newlines inside URLs; the URL standard drops them. */
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (tmp[i] != '\t' && tmp[i] != '\n' && tmp[i] != '\r')
            tmp[w++] = tmp[i];
    tmp[w] = '\0';
    CURLU *u = curl_url();
    if (!u)
        return NULL;
    char *out = NULL;
    if (base && curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK)
        goto done;
    /* An empty or fragment-only reference is the base itself (RFC 3986
     * 5.2.2); curl 7.88 resolves "#s" against the directory instead. */
    if (base && (tmp[0] == '\0' || tmp[0] == '#'))
        goto norm;
    if (curl_url_set(u, CURLUPART_URL, tmp, CURLU_URLENCODE) != CURLUE_OK)
        goto done;
norm:
    out = normalise(u);
done:
    curl_url_cleanup(u);
    return out;
}

bool url_split(const char *url, struct url_parts *out)
{
    memset(out, 0, sizeof *out);
    if (!url || strlen(url) > URL_MAX)
        return false;
    CURLU *u = curl_url();
    if (!u)
        return false;
    bool ok = false;
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto done;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
        goto done;
    lower(scheme);
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
        goto done;
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0])
        goto done;
    lower(host);
    size_t hl = strlen(host);
    const char *h = host;
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        h = host + 1;
        char *zone = strchr(host, '%');
        if (zone)
            goto done; /* zone ids make no sense for a remote site */
    }
    if (util_strlcpy(out->host, h, sizeof out->host) >= sizeof out->host)
        goto done;
    util_strlcpy(out->scheme, scheme, sizeof out->scheme);
    uint8_t a[16];
    if (inet_pton(AF_INET6, out->host, a) == 1) {
        out->is_ip_literal = true;
        out->family = 6;
    } else if (inet_pton(AF_INET, out->host, a) == 1) {
        out->is_ip_literal = true;
        out->family = 4;
    }
    out->port = strcmp(scheme, "https") == 0 ? 443 : 80;
    if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK) {
        uint64_t p;
        if (!util_parse_u64(port, &p) || p == 0 || p > 65535)
            goto done;
        out->port = (uint16_t)p;
    }
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
        goto done;
    curl_url_get(u, CURLUPART_QUERY, &query, 0);
    if (query)
        snprintf(out->path, sizeof out->path, "%s?%s", path[0] ? path : "/", query);
    else
        snprintf(out->path, sizeof out->path, "%s", path[0] ? path : "/");
    ok = true;
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_url_cleanup(u);
    if (!ok)
        memset(out, 0, sizeof *out);
    return ok;
}

struct url_psl {
    psl_ctx_t *ctx;
    bool owned;
};

struct url_psl *url_psl_new(void)
{
    struct url_psl *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->ctx = psl_latest(NULL);
    p->owned = p->ctx != NULL;
    if (!p->ctx)
        p->ctx = (psl_ctx_t *)psl_builtin();
    if (!p->ctx) {
        free(p);
        return NULL;
    }
    return p;
}

void url_psl_free(struct url_psl *p)
{
    if (!p)
        return;
    if (p->owned)
        psl_free(p->ctx);
    free(p);
}

bool url_registrable(const struct url_psl *p, const char *host, char *buf, size_t len)
{
    uint8_t a[16];
    if (!host || !*host || inet_pton(AF_INET6, host, a) == 1 || inet_pton(AF_INET, host, a) == 1)
        return false;
    const char *r = psl_registrable_domain(p->ctx, host);
    if (!r)
        return false;
    return util_strlcpy(buf, r, len) < len;
}

bool url_same_site(const struct url_psl *p, const char *a, const char *b)
{
    char ra[URL_HOST_MAX], rb[URL_HOST_MAX];
    bool ha = url_registrable(p, a, ra, sizeof ra);
    bool hb = url_registrable(p, b, rb, sizeof rb);
    if (ha && hb)
        return strcasecmp(ra, rb) == 0;
    if (!ha && !hb)
        return strcasecmp(a, b) == 0;
    return false;
}
