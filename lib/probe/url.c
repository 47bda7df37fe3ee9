/*
 * probe/url.c - URL resolution and normal form, host checks, punycode and
 * registrable domains (see url.h for the normal form).
 *
 * Work split: libcurl's URL API does RFC 3986 reference resolution (merge
 * of paths, dot-segment removal, IPv4 shorthand like "0x7f.1"); this file
 * does what curl does not or does differently from a browser:
 *   clean_ref()   the HTML/WHATWG cleaning of an attribute value: strip
 *                 C0/space at both ends, drop tab/CR/LF, cut the fragment,
 *                 "\" -> "/" before the query, percent-encode space,
 *                 controls, DEL, bytes >= 0x80 and " < > ` { } outside the
 *                 authority (curl 7.88 would reject most of them or turn a
 *                 space in the query into "+"), "http:g" -> "g" when the
 *                 base is http too. Empty and fragment-only references are
 *                 answered with the base (curl 7.88 resolves "#s" to the
 *                 base's directory).
 *   canon_host()  lowercase, ideographic full stops (U+3002, U+FF0E,
 *                 U+FF61) as dots, Unicode labels to punycode (RFC 3492,
 *                 encoder written here: curl's own IDN conversion goes
 *                 through idn2_lookup_ul(), which depends on the process
 *                 locale and fails in the C locale), label syntax, IPv6
 *                 text via inet_pton/inet_ntop, and refusal of a numeric
 *                 last label that is not a valid IPv4 address ("256.1.1.1",
 *                 "1.2.3.4.5": a browser refuses them too).
 *   normalise()   scheme check, userinfo/fragment/zone id, default port,
 *                 uppercase %XX, length cap.
 *   fast_normal() recognises a URL that is already in the normal form (a
 *                 plain subset: lowercase LDH host, no default port, no
 *                 dot segments, uppercase escapes...) and splits it without
 *                 curl (~17,000 instructions a URL saved); everything else
 *                 takes the full path above. url_resolve_full() and
 *                 url_split_full() skip it, for the tests that compare the
 *                 two (test_url.c, fuzz_page.c).
 *
 * Invariants (checked by tests/fuzz/fuzz_page.c): every string
 * url_resolve() returns is accepted by url_split() and by url_resolve(NULL,
 * s), which returns s again; it is printable ASCII without spaces.
 *
 * References: RFC 3986 sections 5 (resolution) and 6.2.2 (normalisation);
 * RFC 3492 (punycode); WHATWG URL Standard (basic URL parser, percent-encode
 * sets); libpsl API (psl_latest, psl_registrable_domain).
 */
#include "probe/url.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <libpsl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/strutil.h"

static bool is_c0_or_space(unsigned char c)
{
    return c <= 0x20;
}

static char lower_ascii(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Bytes a browser percent-encodes in a path or query (a superset of the
 * WHATWG query set, the same as its path set minus '#' and '?'). */
static bool needs_escape(unsigned char c)
{
    return c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '`' || c == '{' ||
           c == '}';
}

/* Length of "scheme:" at the start of s (0 when there is none). */
static size_t scheme_len(const char *s)
{
    if (!is_alpha((unsigned char)s[0]))
        return 0;
    size_t i = 1;
    while (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) || s[i] == '+' ||
           s[i] == '-' || s[i] == '.')
        i++;
    return s[i] == ':' ? i + 1 : 0;
}

static bool is_slash(char c)
{
    return c == '/' || c == '\\';
}

/* Append n bytes to out[*w] (cap with NUL); false when they do not fit. */
static bool put(char *out, size_t cap, size_t *w, const char *s, size_t n)
{
    if (n >= cap - *w)
        return false;
    memcpy(out + *w, s, n);
    *w += n;
    out[*w] = '\0';
    return true;
}

/*
 * Clean ref into out (cap bytes with NUL) as described at the top; *empty
 * says nothing is left (the reference means the base). false when the
 * reference has a scheme other than http(s) or the result does not fit.
 */
static bool clean_ref(const char *ref, const char *base, char *out, size_t cap, bool *empty)
{
    size_t n = strlen(ref), a = 0;
    while (a < n && is_c0_or_space((unsigned char)ref[a]))
        a++;
    while (n > a && is_c0_or_space((unsigned char)ref[n - 1]))
        n--;
    char tmp[URL_MAX + 1]; /* n - a <= URL_MAX, checked by the caller */
    size_t t = 0;
    for (size_t i = a; i < n && ref[i] != '#'; i++)
        if (ref[i] != '\t' && ref[i] != '\n' && ref[i] != '\r')
            tmp[t++] = ref[i];
    tmp[t] = '\0';
    const char *s = tmp;
    size_t w = 0;
    out[0] = '\0';
    bool authority = false;
    size_t sl = scheme_len(s);
    if (sl) {
        bool https = sl == 6 && strncasecmp(s, "https:", 6) == 0;
        if (!https && !(sl == 5 && strncasecmp(s, "http:", 5) == 0))
            return false; /* javascript:, mailto:, data:, tel:, ftp: ... */
        bool slashes = is_slash(s[sl]) && is_slash(s[sl + 1]);
        if (!slashes && base && scheme_len(base) == sl && strncasecmp(s, base, sl) == 0) {
            s += sl; /* "http:g" against an http base: relative */
        } else {
            /* "http:g", "http:/g", "http:\\g": the host follows */
            if (!put(out, cap, &w, https ? "https://" : "http://", https ? 8 : 7))
                return false;
            s += sl;
            authority = true;
        }
    } else if (is_slash(s[0]) && is_slash(s[1])) {
        if (!put(out, cap, &w, "//", 2))
            return false;
        authority = true;
    }
    if (authority) {
        while (is_slash(*s))
            s++;
        /* Kept raw: a Unicode host goes to punycode later, not to %XX;
         * curl refuses spaces and controls there. */
        size_t h = 0;
        while (s[h] && !is_slash(s[h]) && s[h] != '?')
            h++;
        if (!put(out, cap, &w, s, h))
            return false;
        s += h;
    }
    *empty = w == 0 && *s == '\0';
    bool in_query = false;
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '?')
            in_query = true;
        if (c == '\\' && !in_query)
            c = '/';
        char e[3] = {'%', hex[c >> 4], hex[c & 15]};
        bool ok = needs_escape(c) ? put(out, cap, &w, e, 3) : put(out, cap, &w, (const char *)&c, 1);
        if (!ok)
            return false;
    }
    return true;
}

/* --- punycode (RFC 3492 section 6.3, encoder only) ---------------------- */

enum { PC_BASE = 36, PC_TMIN = 1, PC_TMAX = 26, PC_SKEW = 38, PC_DAMP = 700, PC_BIAS = 72,
       PC_N = 128 };

static char pc_digit(uint32_t d)
{
    return (char)(d < 26 ? 'a' + d : '0' + (d - 26));
}

static uint32_t pc_adapt(uint32_t delta, uint32_t numpoints, bool first)
{
    delta = first ? delta / PC_DAMP : delta / 2;
    delta += delta / numpoints;
    uint32_t k = 0;
    while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
        delta /= PC_BASE - PC_TMIN;
        k += PC_BASE;
    }
    return k + (PC_BASE - PC_TMIN + 1) * delta / (delta + PC_SKEW);
}

/* Encode cp[0..n) to out (cap bytes with NUL); false on overflow or when
 * it does not fit. */
static bool punycode(const uint32_t *cp, size_t n, char *out, size_t cap)
{
    size_t w = 0;
    for (size_t j = 0; j < n; j++)
        if (cp[j] < 0x80) {
            if (w + 1 >= cap)
                return false;
            out[w++] = (char)cp[j];
        }
    size_t b = w, h = w;
    if (b > 0) {
        if (w + 1 >= cap)
            return false;
        out[w++] = '-';
    }
    uint32_t nn = PC_N, delta = 0, bias = PC_BIAS;
    while (h < n) {
        uint32_t m = UINT32_MAX;
        for (size_t j = 0; j < n; j++)
            if (cp[j] >= nn && cp[j] < m)
                m = cp[j];
        if ((uint64_t)(m - nn) * (h + 1) > UINT32_MAX - delta)
            return false;
        delta += (m - nn) * (uint32_t)(h + 1);
        nn = m;
        for (size_t j = 0; j < n; j++) {
            if (cp[j] < nn && ++delta == 0)
                return false;
            if (cp[j] != nn)
                continue;
            uint32_t qq = delta;
            for (uint32_t k = PC_BASE;; k += PC_BASE) {
                uint32_t t = k <= bias ? PC_TMIN : k >= bias + PC_TMAX ? PC_TMAX : k - bias;
                if (qq < t)
                    break;
                if (w + 1 >= cap)
                    return false;
                out[w++] = pc_digit(t + (qq - t) % (PC_BASE - t));
                qq = (qq - t) / (PC_BASE - t);
            }
            if (w + 1 >= cap)
                return false;
            out[w++] = pc_digit(qq);
            bias = pc_adapt(delta, (uint32_t)(h + 1), h == b);
            delta = 0;
            h++;
        }
        delta++;
        nn++;
    }
    out[w] = '\0';
    return true;
}

/* Strict UTF-8 decoding of s[0..n) into cp (room for n); returns the count
 * or SIZE_MAX on invalid input (overlong, surrogates, > U+10FFFF, cut). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        uint32_t v;
        size_t len;
        if (c < 0x80) {
            v = c;
            len = 1;
        } else if (c >= 0xc2 && c <= 0xdf) {
            v = c & 0x1f;
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            v = c & 0x0f;
            len = 3;
        } else if (c >= 0xf0 && c <= 0xf4) {
            v = c & 0x07;
            len = 4;
        } else {
            return SIZE_MAX;
        }
        if (len > n - i)
            return SIZE_MAX;
        for (size_t j = 1; j < len; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return SIZE_MAX;
            v = (v << 6) | (s[i + j] & 0x3f);
        }
        if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
            (v >= 0xd800 && v <= 0xdfff))
            return SIZE_MAX;
        cp[k++] = v;
        i += len;
    }
    return k;
}

/* --- hosts ---------------------------------------------------------------- */

enum host_kind { HOST_BAD = 0, HOST_NAME, HOST_V4, HOST_V6 };

/*
 * Bring host (NUL-terminated, brackets optional around IPv6) to the
 * normal form in out (URL_HOST_MAX bytes): an IPv6 literal WITHOUT
 * brackets, a dotted quad, or a lowercase ASCII name. keep_dot keeps one
 * final dot of a name (URLs keep it; registrable-domain lookups drop it).
 */
static enum host_kind canon_host(const char *host, char *out, bool keep_dot)
{
    size_t hl = strlen(host);
    if (hl == 0 || hl >= 1024)
        return HOST_BAD;
    unsigned char a6[16];
    if (host[0] == '[') {
        if (hl < 3 || host[hl - 1] != ']' || hl - 2 >= 64)
            return HOST_BAD;
        char in[64];
        memcpy(in, host + 1, hl - 2);
        in[hl - 2] = '\0';
        if (inet_pton(AF_INET6, in, a6) != 1 || !inet_ntop(AF_INET6, a6, out, URL_HOST_MAX))
            return HOST_BAD;
        return HOST_V6;
    }
    if (strchr(host, ':')) {
        if (inet_pton(AF_INET6, host, a6) != 1 || !inet_ntop(AF_INET6, a6, out, URL_HOST_MAX))
            return HOST_BAD;
        return HOST_V6;
    }
    /* Lowercase ASCII; U+3002, U+FF0E, U+FF61 (UTF-8 e3 80 82, ef bc 8e,
     * ef bd a1) are dots in IDNA. */
    char low[1024];
    size_t n = 0;
    for (size_t i = 0; i < hl; i++) {
        const unsigned char *u = (const unsigned char *)host + i;
        if (hl - i >= 3 && ((u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x82) ||
                            (u[0] == 0xef && u[1] == 0xbc && u[2] == 0x8e) ||
                            (u[0] == 0xef && u[1] == 0xbd && u[2] == 0xa1))) {
            low[n++] = '.';
            i += 2;
            continue;
        }
        low[n++] = lower_ascii((char)u[0]);
    }
    low[n] = '\0';
    if (n && low[n - 1] == '.') {
        n--;
        low[n] = '\0';
        if (n == 0)
            return HOST_BAD;
    } else {
        keep_dot = false;
    }
    /* Label by label, punycode where needed. */
    size_t w = 0;
    size_t i = 0;
    const char *last = low;
    while (i <= n) {
        size_t j = i;
        bool ascii = true;
        while (j < n && low[j] != '.') {
            if ((unsigned char)low[j] >= 0x80)
                ascii = false;
            j++;
        }
        size_t ll = j - i;
        if (ll == 0)
            return HOST_BAD; /* empty label */
        char lab[64];
        if (ascii) {
            if (ll > 63)
                return HOST_BAD;
            memcpy(lab, low + i, ll);
            lab[ll] = '\0';
        } else {
            uint32_t cp[1024];
            size_t k = utf8_decode((const unsigned char *)low + i, ll, cp);
            if (k == SIZE_MAX)
                return HOST_BAD;
            memcpy(lab, "xn--", 4);
            if (!punycode(cp, k, lab + 4, sizeof lab - 4))
                return HOST_BAD;
            ll = strlen(lab);
        }
        for (size_t c = 0; c < ll; c++) {
            unsigned char ch = (unsigned char)lab[c];
            if (!(is_alpha(ch) || is_digit(ch) || ch == '-' || ch == '_'))
                return HOST_BAD;
        }
        if (w + ll + 2 > 254)
            return HOST_BAD; /* 253 bytes without the final dot */
        if (w)
            out[w++] = '.';
        last = out + w;
        memcpy(out + w, lab, ll);
        w += ll;
        i = j + 1;
    }
    out[w] = '\0';
    /* A numeric last label makes the host an IPv4 address (WHATWG): curl
     * has already rewritten valid forms to a dotted quad. */
    bool hexnum = last[0] == '0' && last[1] == 'x';
    bool numeric = true;
    for (const char *c = hexnum ? last + 2 : last; *c; c++)
        if (!(hexnum ? is_hex((unsigned char)*c) : is_digit((unsigned char)*c)))
            numeric = false;
    if (numeric) {
        struct in_addr a4;
        if (keep_dot || inet_pton(AF_INET, out, &a4) != 1)
            return HOST_BAD;
        char back[INET_ADDRSTRLEN];
        if (!inet_ntop(AF_INET, &a4, back, sizeof back) || strcmp(back, out) != 0)
            return HOST_BAD;
        return HOST_V4;
    }
    if (keep_dot) {
        out[w++] = '.';
        out[w] = '\0';
    }
    return HOST_NAME;
}

/* --- resolution ----------------------------------------------------------- */

static void upper_escapes(char *s)
{
    for (; *s; s++)
        if (s[0] == '%' && is_hex((unsigned char)s[1]) && is_hex((unsigned char)s[2])) {
            for (int k = 1; k <= 2; k++)
                if (s[k] >= 'a' && s[k] <= 'f')
                    s[k] = (char)(s[k] - 'a' + 'A');
            s += 2;
        }
}

/*
 * Normal form of the URL held by u; the string (malloc) or NULL. parts
 * (may be NULL) gets the split view.
 */
static char *normalise(CURLU *u, struct url_parts *parts)
{
    char *scheme = NULL, *host = NULL, *zone = NULL, *port = NULL, *url = NULL, *res = NULL;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
        goto done;
    for (char *c = scheme; *c; c++)
        *c = lower_ascii(*c);
    bool https = strcmp(scheme, "https") == 0;
    if (!https && strcmp(scheme, "http") != 0)
        goto done;
    if (curl_url_get(u, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK && zone)
        goto done; /* fe80::1%eth0 means nothing on a remote page */
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !host[0])
        goto done;
    char ch[URL_HOST_MAX];
    enum host_kind hk = canon_host(host, ch, true);
    if (hk == HOST_BAD)
        goto done;
    char hostpart[URL_HOST_MAX + 2];
    snprintf(hostpart, sizeof hostpart, hk == HOST_V6 ? "[%s]" : "%s", ch);
    uint64_t pv = https ? 443 : 80;
    if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && port) {
        if (!util_parse_u64(port, &pv) || pv == 0 || pv > 65535)
            goto done;
    }
    bool default_port = pv == (https ? 443u : 80u);
    char portbuf[8];
    snprintf(portbuf, sizeof portbuf, "%u", (unsigned)pv);
    if (curl_url_set(u, CURLUPART_SCHEME, https ? "https" : "http", 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_HOST, hostpart, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_PORT, default_port ? NULL : portbuf, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_OPTIONS, NULL, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK)
        goto done;
    if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK || !url)
        goto done;
    size_t ul = strlen(url);
    if (ul > URL_MAX)
        goto done;
    for (size_t i = 0; i < ul; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
            goto done; /* cannot happen after clean_ref; keep the promise */
    res = malloc(ul + 1);
    if (!res)
        goto done;
    memcpy(res, url, ul + 1);
    upper_escapes(res + strlen(https ? "https://" : "http://"));
    if (parts) {
        memset(parts, 0, sizeof *parts);
        util_strlcpy(parts->scheme, https ? "https" : "http", sizeof parts->scheme);
        util_strlcpy(parts->host, ch, sizeof parts->host);
        parts->port = (uint16_t)pv;
        parts->is_ip_literal = hk == HOST_V4 || hk == HOST_V6;
        parts->family = hk == HOST_V4 ? 4 : hk == HOST_V6 ? 6 : 0;
        /* path+query from the normal string: after the authority. */
        const char *pq = res + strlen(https ? "https://" : "http://");
        pq += strcspn(pq, "/?");
        snprintf(parts->path, sizeof parts->path, "%s%s", *pq == '/' ? "" : "/", pq);
    }
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(zone);
    curl_free(port);
    curl_free(url);
    return res;
}

/*
 * The fast path: is ref (n bytes) an absolute URL already in the normal
 * form, so that the full resolution would give it back unchanged? Only a
 * plain subset is recognised; anything else (upper case, a trailing dot,
 * an IP literal, a numeric last label, userinfo, the default port
 * spelled out, no path, dot segments, lowercase or doubtful escapes, an
 * empty query, bytes a browser would escape) answers false and takes the
 * full path. When true, parts (may be NULL) gets the split view.
 * tests/unit/test_url.c and tests/fuzz/fuzz_page.c compare both paths.
 * Why: curl's URL API costs ~17,000 instructions for one URL (it parses,
 * allocates and formats each part); most URLs a prober meets (site lists,
 * links that are already absolute) are in this form.
 */
static bool path_char(unsigned char c)
{
    /* unreserved, sub-delims, ':' '@' '/' (RFC 3986 pchar), '?' */
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
           c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' ||
           c == '+' || c == ',' || c == ';' || c == '=' || c == ':' || c == '@' || c == '/' ||
           c == '?';
}

static bool upper_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'A' && c <= 'F');
}

static bool fast_normal(const char *ref, size_t n, struct url_parts *parts)
{
    bool https;
    size_t i;
    if (n > URL_MAX)
        return false;
    if (n >= 7 && memcmp(ref, "http://", 7) == 0) {
        https = false;
        i = 7;
    } else if (n >= 8 && memcmp(ref, "https://", 8) == 0) {
        https = true;
        i = 8;
    } else {
        return false;
    }
    /* host: lowercase LDH (and '_') labels of 1..63 bytes */
    size_t h0 = i, lab = 0;
    bool numeric_label = true;
    for (; i < n && ref[i] != '/' && ref[i] != ':'; i++) {
        unsigned char c = (unsigned char)ref[i];
        if (c == '.') {
            if (lab == 0)
                return false;
            lab = 0;
            numeric_label = true;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_'))
            return false;
        if (!is_digit(c))
            numeric_label = false;
        if (++lab > 63)
            return false;
    }
    size_t hl = i - h0;
    if (lab == 0 || numeric_label || hl > 253) /* empty, trailing dot, numeric last */
        return false;
    /* A last label "0x..." is a hex IPv4 part for a browser. */
    size_t last = i - lab;
    if (lab >= 2 && ref[last] == '0' && ref[last + 1] == 'x')
        return false;
    uint32_t port = https ? 443 : 80;
    if (i < n && ref[i] == ':') {
        size_t p0 = ++i;
        port = 0;
        for (; i < n && is_digit((unsigned char)ref[i]); i++) {
            port = port * 10 + (uint32_t)(ref[i] - '0');
            if (port > 65535)
                return false;
        }
        if (i == p0 || ref[p0] == '0' || port == (https ? 443u : 80u))
            return false;
    }
    if (i >= n || ref[i] != '/')
        return false;
    size_t path = i;
    bool query = false;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)ref[i];
        if (c == '%') {
            if (n - i < 3 || !upper_hex((unsigned char)ref[i + 1]) ||
                !upper_hex((unsigned char)ref[i + 2]))
                return false;
            if (!query && ref[i + 1] == '2' && ref[i + 2] == 'E')
                return false; /* %2E: a dot segment in disguise */
            i += 2;
            continue;
        }
        if (!path_char(c))
            return false;
        if (c == '?')
            query = true;
        else if (c == '.' && !query && ref[i - 1] == '/')
            return false; /* "/." and "/..": dot segments */
    }
    if (ref[n - 1] == '?')
        return false;
    if (parts) {
        memset(parts, 0, sizeof *parts);
        util_strlcpy(parts->scheme, https ? "https" : "http", sizeof parts->scheme);
        memcpy(parts->host, ref + h0, hl);
        parts->host[hl] = '\0';
        parts->port = (uint16_t)port;
        memcpy(parts->path, ref + path, n - path);
        parts->path[n - path] = '\0';
    }
    return true;
}

static char *resolve_full(const char *base, const char *ref, struct url_parts *parts);

static char *resolve(const char *base, const char *ref, struct url_parts *parts)
{
    if (!ref || (base && strlen(base) > URL_MAX))
        return NULL;
    size_t n = strlen(ref);
    if (fast_normal(ref, n, parts)) {
        char *s = malloc(n + 1);
        if (s)
            memcpy(s, ref, n + 1);
        return s;
    }
    return resolve_full(base, ref, parts);
}

char *url_resolve_full(const char *base, const char *ref)
{
    return resolve_full(base, ref, NULL);
}

/* url_split() through either resolution. */
static bool split_by(char *(*res)(const char *, const char *, struct url_parts *), const char *url,
                     struct url_parts *out)
{
    memset(out, 0, sizeof *out);
    char *s = res(NULL, url, out);
    if (!s) {
        memset(out, 0, sizeof *out);
        return false;
    }
    free(s);
    return true;
}

bool url_split_full(const char *url, struct url_parts *out)
{
    return split_by(resolve_full, url, out);
}

static char *resolve_full(const char *base, const char *ref, struct url_parts *parts)
{
    if (!ref || strlen(ref) > URL_MAX || (base && strlen(base) > URL_MAX))
        return NULL;
    char clean[3 * URL_MAX + 1];
    bool empty;
    if (!clean_ref(ref, base, clean, sizeof clean, &empty))
        return NULL;
    CURLU *u = curl_url();
    if (!u)
        return NULL;
    char *out = NULL;
    if (base && curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK)
        goto done;
    if (empty) {
        if (!base)
            goto done;
    } else if (curl_url_set(u, CURLUPART_URL, clean, 0) != CURLUE_OK) {
        goto done;
    }
    out = normalise(u, parts);
done:
    curl_url_cleanup(u);
    return out;
}

char *url_resolve(const char *base, const char *ref)
{
    return resolve(base, ref, NULL);
}

bool url_split(const char *url, struct url_parts *out)
{
    return split_by(resolve, url, out);
}

/* --- public suffix list ---------------------------------------------------- */

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
        psl_free(p->ctx); /* a no-op when psl_latest() returned the built-in */
    free(p);
}

bool url_registrable(const struct url_psl *p, const char *host, char *buf, size_t len)
{
    char ch[URL_HOST_MAX];
    if (!p || !host || canon_host(host, ch, false) != HOST_NAME)
        return false;
    const char *r = psl_registrable_domain(p->ctx, ch);
    if (!r)
        return false;
    return util_strlcpy(buf, r, len) < len;
}

bool url_same_site(const struct url_psl *p, const char *a, const char *b)
{
    char ra[URL_HOST_MAX], rb[URL_HOST_MAX];
    bool ha = url_registrable(p, a, ra, sizeof ra);
    bool hb = url_registrable(p, b, rb, sizeof rb);
    if (ha || hb)
        return ha && hb && strcmp(ra, rb) == 0;
    char ca[URL_HOST_MAX], cb[URL_HOST_MAX];
    enum host_kind ka = a ? canon_host(a, ca, false) : HOST_BAD;
    enum host_kind kb = b ? canon_host(b, cb, false) : HOST_BAD;
    return ka != HOST_BAD && ka == kb && strcmp(ca, cb) == 0;
}
