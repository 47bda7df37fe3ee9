/*
 * test_probe_report.c - the probe renderers (v6mon/report.h: JSON lines,
 * CSV, terminal report) on results built by hand.
 *
 * Oracles independent of the renderer: Python's json and csv modules
 * parse what was written and compare every checked value with the value
 * the test put in (a script written by this test, run with system(); the
 * test fails when python3 is missing rather than passing silently); the
 * ranking and the I4/I5 figures are computed here by hand from the
 * fixture's numbers; display widths are counted here from the byte
 * patterns of the fixture's characters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <v6mon/probe.h>
#include <v6mon/report.h>

static char g_dir[64];

/* ---- fixture ------------------------------------------------------------------ */

/* B's evidence: quotes, backslash, newline, tab, an escape sequence, CJK,
 * and one byte that is not UTF-8 (0xff). */
#define EVIDENCE_B "AAAA? none; \"quoted\" \\ back\nline2\ttab \x1b[31mred \xe5\xbc\x95 \xff end"
/* What a JSON reader must get back for it (0xff -> U+FFFD). */
#define EVIDENCE_B_PY                                                                             \
    "'AAAA? none; \"quoted\" \\\\ back\\nline2\\ttab \\x1b[31mred \\u5f15 \\ufffd end'"

#define NAME_B "\xe4\xb8\x8a\xe6\xb5\xb7\xe5\xb8\x82\xe6\x9f\x90\xe5\xb1\x80" /* 上海市某局 */

struct fixture {
    struct v6m_site_result s[5];
    struct v6m_hop hops_a[2], hops_b4[1];
    struct v6m_url_result urls_a[2];
    struct v6m_resource res_a[1];
    struct v6m_app_domain dom[2];
    struct v6m_app_result app[2];
    struct v6m_probe_info info;
};

static void all_checks(struct v6m_site_result *s, enum v6m_check_state st)
{
    for (int k = 0; k < V6M_CHECKS; k++) {
        s->check[k].state = st;
        s->check[k].rate = -1;
        s->check[k].message = "";
        s->check[k].evidence = "";
        s->check[k].code[0] = '\0';
    }
}

static void base_site(struct v6m_site_result *s, const char *name, const char *url,
                      const char *host, const char *cat)
{
    memset(s, 0, sizeof(*s));
    s->name = name;
    s->url = url;
    s->host = host;
    s->category = cat;
    s->unit = "";
    s->testable = true;
    s->cname_chain = "";
    s->addrs_v4 = "";
    s->addrs_v6 = "";
    s->zone = "";
    s->ipv6_only_blockers = "";
    s->similarity_distance = UINT32_MAX;
    s->link_concentration = -1;
    s->resource_concentration = -1;
    all_checks(s, V6M_CHECK_PASS);
}

static void fail_check(struct v6m_site_result *s, enum v6m_check_id k, const char *code,
                       const char *msg, const char *evidence)
{
    s->check[k].state = V6M_CHECK_FAIL;
    snprintf(s->check[k].code, sizeof(s->check[k].code), "%s", code);
    s->check[k].message = msg;
    s->check[k].evidence = evidence;
}

static void build(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    /* A: compliant, every detail present. */
    struct v6m_site_result *a = &f->s[0];
    base_site(a, "Alpha Office", "http://www.ok.lab/", "www.ok.lab", "gov");
    a->unit = "City of Lab";
    a->supported = a->compliant = true;
    a->score = 100;
    a->check[V6M_W4].rate = 1.0;
    a->check[V6M_W4].passed = 3;
    a->check[V6M_W4].total = 3;
    a->check[V6M_W6].rate = 1.0;
    a->check[V6M_W6].passed = a->check[V6M_W6].total = 4;
    a->check[V6M_W7].rate = 1.0;
    a->check[V6M_W7].passed = a->check[V6M_W7].total = 5;
    a->cname_chain = "www.ok.lab -> cdn.ok.lab";
    a->addrs_v4 = "192.0.2.10 192.0.2.11";
    a->addrs_v6 = "3ffe:1::10";
    a->zone = "ok.lab";
    a->ns_total = 2;
    a->ns_v6 = 2;
    a->ns_v6_answering = 2;
    f->hops_a[0] = (struct v6m_hop){"http://www.ok.lab/", 6, "3ffe:1::10", 301, ""};
    f->hops_a[1] = (struct v6m_hop){"https://www.ok.lab/", 6, "3ffe:1::10", 200, ""};
    a->hops_v6 = f->hops_a;
    a->n_hops_v6 = 2;
    a->status_v6 = 200;
    a->status_v4 = 200;
    a->attempts = 3;
    a->attempts_ok = 3;
    a->similarity_distance = 2;
    a->links_common = 9;
    a->l2_found = 4;
    a->l3_found = 7;
    a->l2_total = 4;
    a->l2_pass = 4;
    a->l3_total = 5;
    a->l3_pass = 5;
    a->link_concentration = 1.0;
    a->res_total = 1;
    a->res_v6_ok = 1;
    a->res_bytes = 1000;
    a->res_bytes_v6 = 1000;
    a->resource_concentration = 1.0;
    a->ipv6_only_ready = true;
    f->urls_a[0] = (struct v6m_url_result){"https://www.ok.lab/a", "www.ok.lab", 2, true, true,
                                           200, "", ""};
    f->urls_a[1] = (struct v6m_url_result){"https://www.ok.lab/a/b", "www.ok.lab", 3, true,
                                           true, 200, "", ""};
    a->urls = f->urls_a;
    a->n_urls = 2;
    f->res_a[0] = (struct v6m_resource){"https://img.ok.lab/x.png", "img.ok.lab", V6M_RES_IMG,
                                        6, true, 1000, ""};
    a->resources = f->res_a;
    a->n_resources = 1;
    a->started_ns = 1764160000000000000ull; /* 2025-11-26T12:26:40Z */
    a->duration_ns = 1234500000ull;         /* 1234.5 ms -> 1235 */

    /* B: no AAAA (unsupported), hostile evidence, Chinese name. */
    struct v6m_site_result *b = &f->s[1];
    base_site(b, NAME_B, "http://www.bad.lab/", "www.bad.lab", "gov");
    fail_check(b, V6M_W1, "W1_NO_AAAA", "no AAAA for www.bad.lab", EVIDENCE_B);
    fail_check(b, V6M_W3, "W1_NO_AAAA", "the home page cannot load over IPv6", "");
    b->check[V6M_W2].state = V6M_CHECK_NOT_TESTABLE;
    b->check[V6M_W4].state = V6M_CHECK_FAIL;
    snprintf(b->check[V6M_W4].code, sizeof(b->check[V6M_W4].code), "W1_NO_AAAA");
    b->check[V6M_W4].message = "no attempt possible";
    b->check[V6M_W4].rate = 0;
    b->check[V6M_W4].total = 3;
    b->check[V6M_W5].state = V6M_CHECK_SKIPPED;
    b->check[V6M_W6].state = V6M_CHECK_SKIPPED;
    b->check[V6M_W7].state = V6M_CHECK_SKIPPED;
    b->score = 10;
    b->addrs_v4 = "192.0.2.20";
    f->hops_b4[0] = (struct v6m_hop){"http://www.bad.lab/", 4, "192.0.2.20", 200, ""};
    b->hops_v4 = f->hops_b4;
    b->n_hops_v4 = 1;
    b->status_v4 = 200;

    /* C: supported, W6 fails (5 of 10 second-level pages), score 80. */
    struct v6m_site_result *c = &f->s[2];
    base_site(c, "Gamma, \"College\"", "http://www.c.lab/", "www.c.lab", "edu");
    c->supported = true;
    c->score = 80;
    fail_check(c, V6M_W6, "W6_LINKS", "5 of 10 second-level links fail over IPv6",
               "https://x.c.lab/1 NO_AAAA");
    c->check[V6M_W6].rate = 0.5;
    c->check[V6M_W6].passed = 5;
    c->check[V6M_W6].total = 10;
    c->l2_total = 10;
    c->l2_pass = 5;
    c->link_concentration = 6.0 / 11.0;
    c->res_bytes = 3000;
    c->res_bytes_v6 = 1000;
    c->resource_concentration = 1.0 / 3.0;

    /* D: supported, W7 fails, score 60 (ranks before C). */
    struct v6m_site_result *d = &f->s[3];
    base_site(d, "Delta School", "http://www.d.lab/", "www.d.lab", "edu");
    d->supported = true;
    d->score = 60;
    fail_check(d, V6M_W7, "W7_LINKS", "2 of 2 third-level links fail over IPv6", "");
    d->check[V6M_W7].rate = 0;
    d->l2_total = 3;
    d->l2_pass = 3;
    d->l3_total = 2;
    d->l3_pass = 0;
    d->link_concentration = 4.0 / 6.0;

    /* E: not testable (vantage without IPv6). */
    struct v6m_site_result *e = &f->s[4];
    base_site(e, "Epsilon Bureau", "http://www.e.lab/", "www.e.lab", "gov");
    all_checks(e, V6M_CHECK_NOT_TESTABLE);
    e->testable = false;
    e->score = 0;

    /* Apps: one failing (one domain without AAAA), one fine. */
    f->dom[0] = (struct v6m_app_domain){"api.chat.lab", true, true, 404, "3ffe:2::1 3ffe:2::2",
                                        "", ""};
    f->dom[1] = (struct v6m_app_domain){"img.chat.lab", false, false, 0, "", "NO_AAAA",
                                        "only A records, e.g. 192.0.2.30"};
    f->app[0] = (struct v6m_app_result){"ChatApp", "social", true, false, 2, 1, f->dom, 2,
                                        2500000000ull};
    f->app[1] = (struct v6m_app_result){"MapApp", "travel", true, true, 1, 1, f->dom, 1,
                                        1000000000ull};

    f->info.started_ns = 1764160000000000000ull;
    f->info.finished_ns = 1764160010000000000ull; /* 10 s */
    f->info.seed = 18446744073709551557ull;        /* > 2^63: must survive as text */
    f->info.resolver = "3ffe:53::53";
    f->info.vantage.checked = true;
    f->info.vantage.v4_ok = true;
    f->info.vantage.v6_ok = true;
    snprintf(f->info.vantage.detail, sizeof(f->info.vantage.detail), "canary ok");
    f->info.sites_total = 5;
    f->info.sites_done = 5;
    f->info.apps_total = 2;
    f->info.apps_done = 2;
    f->info.dns_queries = 42;
    f->info.http_requests = 17;
}

/* ---- helpers ---------------------------------------------------------------------- */

static char *render_to_string(void (*fn)(FILE *, const struct fixture *),
                              const struct fixture *f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    fn(out, f);
    assert_int_equal(fclose(out), 0);
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Run a Python script on a data file; the script exits non-zero on any
 * mismatch (it prints what). */
static void run_python(const char *script, const char *data_path)
{
    char spath[128], cmd[400];
    snprintf(spath, sizeof(spath), "%s/check.py", g_dir);
    write_file(spath, script);
    snprintf(cmd, sizeof(cmd), "python3 '%s' '%s'", spath, data_path);
    int rc = system(cmd);
    assert_int_equal(rc, 0);
}

/* ---- JSON lines ---------------------------------------------------------------------- */

static void emit_jsonl(FILE *out, const struct fixture *f)
{
    for (int i = 0; i < 5; i++)
        assert_int_equal(v6m_report_probe_site_jsonl(out, &f->s[i]), V6M_OK);
    for (int i = 0; i < 2; i++)
        assert_int_equal(v6m_report_probe_app_jsonl(out, &f->app[i]), V6M_OK);
    assert_int_equal(v6m_report_probe_run_jsonl(out, &f->info), V6M_OK);
}

static const char JSON_CHECK[] =
    "import json, sys\n"
    "raw = open(sys.argv[1], 'rb').read()\n"
    "lines = raw.decode('utf-8').split('\\n')\n"
    "assert lines[-1] == '', 'no newline at the end'\n"
    "objs = [json.loads(l) for l in lines[:-1]]\n"
    "assert [o['type'] for o in objs] == ['site'] * 5 + ['app'] * 2 + ['run'], objs\n"
    "a, b, c, d, e = objs[:5]\n"
    "assert a['name'] == 'Alpha Office' and a['unit'] == 'City of Lab'\n"
    "assert a['supported'] is True and a['compliant'] is True and a['score'] == 100\n"
    "assert sorted(a['checks']) == ['W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7']\n"
    "assert a['checks']['W4'] == {'state': 'pass', 'rate': 1, 'passed': 3, 'total': 3,\n"
    "                             'code': '', 'message': '', 'evidence': ''}, a['checks']['W4']\n"
    "assert a['checks']['W1']['rate'] is None\n"
    "assert a['addrs_v4'] == ['192.0.2.10', '192.0.2.11'] and a['addrs_v6'] == ['3ffe:1::10']\n"
    "assert a['cname_chain'] == 'www.ok.lab -> cdn.ok.lab' and a['zone'] == 'ok.lab'\n"
    "assert (a['ns_total'], a['ns_v6'], a['ns_v6_answering']) == (2, 2, 2)\n"
    "assert [h['status'] for h in a['hops_v6']] == [301, 200] and a['hops_v4'] == []\n"
    "assert a['hops_v6'][1] == {'url': 'https://www.ok.lab/', 'family': 6,\n"
    "                           'address': '3ffe:1::10', 'status': 200, 'error': ''}\n"
    "assert a['similarity_distance'] == 2 and a['links_common'] == 9\n"
    "assert (a['l2_found'], a['l3_found'], a['l2_total'], a['l2_pass'], a['l3_total'],\n"
    "        a['l3_pass']) == (4, 7, 4, 4, 5, 5)\n"
    "assert a['link_concentration'] == 1 and a['resource_concentration'] == 1\n"
    "assert (a['res_total'], a['res_v6_ok'], a['res_bytes'], a['res_bytes_v6']) == "
    "(1, 1, 1000, 1000)\n"
    "assert a['ipv6_only_ready'] is True and a['ipv6_only_blockers'] == ''\n"
    "assert [u['level'] for u in a['urls']] == [2, 3] and a['urls'][0]['pass'] is True\n"
    "assert a['resources'] == [{'url': 'https://img.ok.lab/x.png', 'host': 'img.ok.lab',\n"
    "    'kind': 'img', 'family_used': 6, 'v6_ok': True, 'bytes': 1000, 'detail': ''}]\n"
    "assert a['started_utc'] == '2025-11-26T12:26:40Z' and a['duration_ms'] == 1235\n"
    "assert a['status_v6'] == 200 and a['attempts'] == 3 and a['attempts_ok'] == 3\n"
    "assert b['name'] == '\\u4e0a\\u6d77\\u5e02\\u67d0\\u5c40', b['name']\n"
    "assert b['checks']['W1']['evidence'] == " EVIDENCE_B_PY ", repr(b['checks']['W1'])\n"
    "assert b['checks']['W1']['code'] == 'W1_NO_AAAA' and b['checks']['W1']['state'] == 'fail'\n"
    "assert b['checks']['W2']['state'] == 'not_testable'\n"
    "assert b['checks']['W5']['state'] == 'skipped'\n"
    "assert b['checks']['W4']['rate'] == 0 and b['checks']['W4']['total'] == 3\n"
    "assert b['supported'] is False and b['similarity_distance'] is None\n"
    "assert b['link_concentration'] is None and b['resource_concentration'] is None\n"
    "assert 'urls' not in b and 'resources' not in b\n"
    "assert b['hops_v4'][0]['family'] == 4 and b['started_utc'] is None\n"
    "assert c['name'] == 'Gamma, \"College\"' and abs(c['link_concentration'] - 6/11) < 1e-6\n"
    "assert e['testable'] is False\n"
    "p, q = objs[5:7]\n"
    "assert p['name'] == 'ChatApp' and p['supported'] is False and p['n_domains'] == 2\n"
    "assert p['n_domains_ok'] == 1 and p['duration_ms'] == 2500\n"
    "assert p['domains'][0] == {'domain': 'api.chat.lab', 'has_aaaa': True,\n"
    "    'answers_v6': True, 'status': 404, 'addrs_v6': ['3ffe:2::1', '3ffe:2::2'],\n"
    "    'code': '', 'detail': ''}, p['domains'][0]\n"
    "assert p['domains'][1]['code'] == 'NO_AAAA' and p['domains'][1]['addrs_v6'] == []\n"
    "assert len(q['domains']) == 1 and q['supported'] is True\n"
    "r = objs[7]\n"
    "assert r['schema'] == 'v6mon.probe/1'\n"
    "assert r['seed'] == '18446744073709551557' and r['resolver'] == '3ffe:53::53'\n"
    "assert r['duration_s'] == 10 and r['sites_per_s'] == 0.5\n"
    "assert r['vantage'] == {'checked': True, 'v4_ok': True, 'v6_ok': True,\n"
    "                        'detail': 'canary ok'}\n"
    "assert (r['sites_total'], r['sites_done'], r['apps_total'], r['apps_done']) == "
    "(5, 5, 2, 2)\n"
    "assert r['interrupted'] is False and r['dns_queries'] == 42 and r['http_requests'] == 17\n"
    "assert r['started_utc'] == '2025-11-26T12:26:40Z'\n"
    "assert r['finished_utc'] == '2025-11-26T12:26:50Z'\n"
    "assert isinstance(r['tool_version'], str) and r['tool_version']\n";

static void test_jsonl(void **state)
{
    (void)state;
    struct fixture f;
    build(&f);
    char *text = render_to_string(emit_jsonl, &f);
    /* Exactly one line per result, each an object with its type first. */
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 8);
    assert_non_null(strstr(text, "{\"type\":\"site\",\"name\":\"Alpha Office\""));
    assert_non_null(strstr(text, "\"checks\":{\"W1\":{\"state\":\"pass\",\"rate\":null"));
    /* The escape byte is escaped, the bad byte repaired, CJK passed. */
    assert_non_null(strstr(text, "\\u001b[31mred \xe5\xbc\x95 \xef\xbf\xbd end"));
    assert_null(strchr(text, '\x1b'));
    assert_null(strchr(text, '\xff'));
    char path[128];
    snprintf(path, sizeof(path), "%s/out.jsonl", g_dir);
    write_file(path, text);
    run_python(JSON_CHECK, path);
    free(text);
}

/* Every special byte at every position of strings up to 40 bytes: the
 * writer scans eight plain bytes at a time, so a byte it must escape or
 * check (control, quote, backslash, DEL, UTF-8 lead, a lone continuation
 * byte) lands at each offset of a word and in the tail. The expected
 * text comes from a byte-at-a-time escaper written here. */
static size_t ref_escape(const char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '"' || c == '\\') {
            out[w++] = '\\';
            out[w++] = (char)c;
        } else if (c == '\n') {
            memcpy(out + w, "\\n", 2), w += 2;
        } else if (c == '\r') {
            memcpy(out + w, "\\r", 2), w += 2;
        } else if (c == '\t') {
            memcpy(out + w, "\\t", 2), w += 2;
        } else if (c < 0x20) {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            memcpy(out + w, u, 6), w += 6;
        } else if (c == 0xc3 && i + 1 < n && ((unsigned char)in[i + 1] & 0xc0) == 0x80) {
            out[w++] = (char)c; /* the only lead byte used: a two-byte sequence */
            out[w++] = in[++i];
        } else if (c >= 0x80) {
            memcpy(out + w, "\xef\xbf\xbd", 3), w += 3; /* a lone byte: U+FFFD */
        } else {
            out[w++] = (char)c;
        }
    }
    out[w] = '\0';
    return w;
}

static void test_jsonl_escape_positions(void **state)
{
    (void)state;
    static const char *specials[] = {"\x01", "\x1f", "\"", "\\", "\n", "\t", "\x7f", " ",
                                      "\xc3\xa9", "\x80", "\xff"};
    for (size_t len = 1; len <= 40; len++)
        for (size_t pos = 0; pos < len; pos++)
            for (size_t k = 0; k < sizeof specials / sizeof *specials; k++) {
                char name[64], want[512], needle[600];
                memset(name, 'a' + (int)(len % 26), len);
                size_t sl = strlen(specials[k]);
                if (pos + sl > len)
                    continue;
                memcpy(name + pos, specials[k], sl);
                name[len] = '\0';
                ref_escape(name, len, want);
                snprintf(needle, sizeof needle, "{\"type\":\"site\",\"name\":\"%s\",", want);
                struct v6m_site_result r;
                memset(&r, 0, sizeof r);
                r.name = name;
                char *buf = NULL;
                size_t blen = 0;
                FILE *out = open_memstream(&buf, &blen);
                assert_non_null(out);
                assert_int_equal(v6m_report_probe_site_jsonl(out, &r), V6M_OK);
                assert_int_equal(fclose(out), 0);
                if (strncmp(buf, needle, strlen(needle)) != 0)
                    fail_msg("len %zu pos %zu special %zu: %.80s", len, pos, k, buf);
                free(buf);
            }
}

/* ---- CSV ------------------------------------------------------------------------------ */

static void emit_csv_sites(FILE *out, const struct fixture *f)
{
    assert_int_equal(v6m_report_probe_csv_header(out, false), V6M_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(v6m_report_probe_csv_site(out, &f->s[i]), V6M_OK);
}

static void emit_csv_apps(FILE *out, const struct fixture *f)
{
    assert_int_equal(v6m_report_probe_csv_header(out, true), V6M_OK);
    for (int i = 0; i < 2; i++)
        assert_int_equal(v6m_report_probe_csv_app(out, &f->app[i]), V6M_OK);
}

static const char CSV_CHECK[] =
    "import csv, sys\n"
    "rows = list(csv.reader(open(sys.argv[1], encoding='utf-8', newline='')))\n"
    "h = rows[0]\n"
    "assert h[:8] == ['name', 'url', 'category', 'unit', 'testable', 'supported',\n"
    "                 'compliant', 'score'], h\n"
    "assert h[8:15] == ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7']\n"
    "assert h[-2:] == ['code', 'message'] and len(rows) == 6\n"
    "assert all(len(r) == len(h) for r in rows), [len(r) for r in rows]\n"
    "d = [dict(zip(h, r)) for r in rows[1:]]\n"
    "assert d[0]['name'] == 'Alpha Office' and d[0]['compliant'] == 'true'\n"
    "assert d[0]['code'] == '' and d[0]['w4_rate'] == '1.000000'\n"
    "assert d[1]['name'] == '\\u4e0a\\u6d77\\u5e02\\u67d0\\u5c40'\n"
    "assert d[1]['w1'] == 'fail' and d[1]['w2'] == 'not_testable' and d[1]['w5'] == 'skipped'\n"
    "assert d[1]['code'] == 'W1_NO_AAAA' and d[1]['message'] == 'no AAAA for www.bad.lab'\n"
    "assert d[1]['link_concentration'] == '' and d[1]['score'] == '10.00'\n"
    "assert d[2]['name'] == 'Gamma, \"College\"' and d[2]['code'] == 'W6_LINKS'\n"
    "assert d[2]['w6_rate'] == '0.500000' and d[2]['resource_concentration'] == '0.333333'\n"
    "assert d[4]['testable'] == 'false'\n";

static const char CSV_APPS_CHECK[] =
    "import csv, sys\n"
    "rows = list(csv.reader(open(sys.argv[1], encoding='utf-8', newline='')))\n"
    "assert rows[0] == ['app', 'category', 'testable', 'supported', 'domain', 'has_aaaa',\n"
    "                   'answers_v6', 'status', 'addrs_v6', 'code', 'detail'], rows[0]\n"
    "assert rows[1:] == [\n"
    "  ['ChatApp', 'social', 'true', 'false', 'api.chat.lab', 'true', 'true', '404',\n"
    "   '3ffe:2::1 3ffe:2::2', '', ''],\n"
    "  ['ChatApp', 'social', 'true', 'false', 'img.chat.lab', 'false', 'false', '0', '',\n"
    "   'NO_AAAA', 'only A records, e.g. 192.0.2.30'],\n"
    "  ['MapApp', 'travel', 'true', 'true', 'api.chat.lab', 'true', 'true', '404',\n"
    "   '3ffe:2::1 3ffe:2::2', '', '']], rows\n";

static void test_csv(void **state)
{
    (void)state;
    struct fixture f;
    build(&f);
    char *text = render_to_string(emit_csv_sites, &f);
    /* RFC 4180 by hand: the comma and quotes force quoting, quotes doubled. */
    assert_non_null(strstr(text, "\n\"Gamma, \"\"College\"\"\",http://www.c.lab/,edu,,true,"));
    assert_non_null(strstr(text, "\n" NAME_B ",http://www.bad.lab/,gov,,true,false,false,"
                                 "10.00,fail,not_testable,fail,fail,skipped,skipped,skipped,"
                                 "0.000000,,,,,false,W1_NO_AAAA,no AAAA for www.bad.lab\n"));
    char path[128];
    snprintf(path, sizeof(path), "%s/sites.csv", g_dir);
    write_file(path, text);
    run_python(CSV_CHECK, path);
    free(text);

    text = render_to_string(emit_csv_apps, &f);
    assert_non_null(strstr(text, ",NO_AAAA,\"only A records, e.g. 192.0.2.30\"\n"));
    snprintf(path, sizeof(path), "%s/apps.csv", g_dir);
    write_file(path, text);
    run_python(CSV_APPS_CHECK, path);
    free(text);
}

/* A field with a newline, a quote at the start and spaces at the ends. */
static void test_csv_quoting_edges(void **state)
{
    (void)state;
    struct fixture f;
    build(&f);
    struct v6m_site_result s = f.s[2];
    s.name = " padded ";
    s.url = "http://x.lab/?a=\"1\"";
    s.category = "two\nlines";
    s.unit = "plain";
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    assert_int_equal(v6m_report_probe_csv_site(out, &s), V6M_OK);
    fclose(out);
    const char *want = "\" padded \",\"http://x.lab/?a=\"\"1\"\"\",\"two\nlines\",plain,true,";
    assert_memory_equal(buf, want, strlen(want));
    free(buf);
}

/* ---- terminal report ---------------------------------------------------------------- */

static void emit_text(FILE *out, const struct fixture *f)
{
    const struct v6m_site_result *sites[5];
    const struct v6m_app_result *apps[2];
    /* Hand them over in an order unlike the ranking. */
    static const int order[5] = {0, 4, 2, 1, 3};
    for (int i = 0; i < 5; i++)
        sites[i] = &f->s[order[i]];
    apps[0] = &f->app[1];
    apps[1] = &f->app[0];
    assert_int_equal(v6m_report_probe_text(out, sites, 5, apps, 2, &f->info), V6M_OK);
}

/* Display width counted independently: ASCII 1, the 3-byte CJK of the
 * fixture 2. */
static size_t width_of(const char *s, size_t nbytes)
{
    size_t w = 0;
    for (size_t i = 0; i < nbytes;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            w++;
            i++;
        } else if ((c & 0xf0) == 0xe0) {
            w += 2;
            i += 3;
        } else {
            fail_msg("unexpected byte 0x%02x in a table line", c);
        }
    }
    return w;
}

static const char *line_starting(const char *text, const char *prefix)
{
    for (const char *p = text; p && *p;) {
        if (strncmp(p, prefix, strlen(prefix)) == 0)
            return p;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

static void test_text(void **state)
{
    (void)state;
    struct fixture f;
    build(&f);
    char *text = render_to_string(emit_text, &f);

    /* Ranking: unsupported B, then not compliant D (60) before C (80),
     * then compliant A, then untestable E. */
    const char *pb = line_starting(text, NAME_B);
    const char *pd = line_starting(text, "Delta School");
    const char *pc = line_starting(text, "Gamma, \"College\"");
    const char *pa = line_starting(text, "Alpha Office");
    const char *pe = line_starting(text, "Epsilon Bureau");
    assert_non_null(pb);
    assert_non_null(pd);
    assert_non_null(pc);
    assert_non_null(pa);
    assert_non_null(pe);
    assert_true(pb < pd && pd < pc && pc < pa && pa < pe);

    /* Columns line up by display width: "category" in the header and the
     * categories of the rows start at the same column. */
    const char *hdr = line_starting(text, "site");
    assert_non_null(hdr);
    size_t col = width_of(hdr, (size_t)(strstr(hdr, "category") - hdr));
    assert_int_equal(width_of(pb, (size_t)(strstr(pb, "gov") - pb)), col);
    assert_int_equal(width_of(pd, (size_t)(strstr(pd, "edu") - pd)), col);
    assert_int_equal(width_of(pa, (size_t)(strstr(pa, "gov") - pa)), col);
    /* Marks: B is W1 NO, W2 n/t, W3 NO, W4 NO, W5..W7 skipped. */
    assert_non_null(strstr(pb, " NO  n/t NO  NO  -   -   -     10.0       -       -\n"));
    assert_non_null(strstr(pa, " ok  ok  ok  ok  ok  ok  ok   100.0  100.0%  100.0%\n"));

    /* Reason lines under the failing sites, sanitised: no escape byte,
     * newline and tab as spaces, the bad byte as '?'. */
    assert_non_null(strstr(text, "\n    W1_NO_AAAA no AAAA for www.bad.lab (AAAA? none; "
                                 "\"quoted\" \\ back line2 tab ?[31mred \xe5\xbc\x95 ? end)\n"));
    assert_non_null(strstr(text, "\n    W6_LINKS 5 of 10 second-level links fail over IPv6 "
                                 "(https://x.c.lab/1 NO_AAAA)\n"));
    assert_null(strchr(text, '\x1b'));
    assert_null(strchr(text, '\xff'));
    /* A compliant site has no reason lines. */
    const char *after_a = strchr(pa, '\n') + 1;
    assert_true(strncmp(after_a, "    ", 4) != 0);

    /* Per category. gov: A, B, E -> 3 sites, 2 tested, 1 supported (50%),
     * 1 compliant; I5 from A only (B, E not crawled): 10/10.
     * edu: C 6/11 and D 4/6 pages -> ratio of sums 10/17 = 58.8% (the
     * mean of the two ratios would be 60.6%); res 1000/3000 = 33.3%.
     * all: 5 sites, 4 tested, 3 supported (75%), 1 compliant (25%),
     * pages 20/27 = 74.1%, res 2000/4000 = 50%. */
    assert_non_null(strstr(text, "\nedu            2       2     2  100.0%      0    0.0%      "
                                 "58.8%     33.3%\n"));
    assert_non_null(strstr(text, "\ngov            3       2     1   50.0%      1   50.0%     "
                                 "100.0%    100.0%\n"));
    assert_non_null(strstr(text, "\nall            5       4     3   75.0%      1   25.0%      "
                                 "74.1%     50.0%\n"));
    assert_non_null(strstr(text, "targets: I4 100.0% (now 75.0%), I5 90.0% (now 74.1%)\n"));

    /* Apps: the failing app first with its failing domain, I6 1 of 2. */
    const char *chat = line_starting(text, "ChatApp");
    const char *map = line_starting(text, "MapApp");
    assert_non_null(chat);
    assert_non_null(map);
    assert_true(chat < map);
    assert_non_null(strstr(chat, "NO        1/2\n    img.chat.lab NO_AAAA only A records, "
                                 "e.g. 192.0.2.30\n"));
    assert_non_null(strstr(text, "I6 apps supporting IPv6: 1 of 2 tested, 50.0% (target "
                                 "100.0%)\n"));

    /* Run line. */
    assert_non_null(strstr(text, "\nrun: 5/5 sites, 2/2 apps in 10.0 s (0.50 sites/s); seed "
                                 "18446744073709551557; resolver 3ffe:53::53; vantage IPv6 ok, "
                                 "IPv4 ok; v6mon "));
    assert_null(strstr(text, "INTERRUPTED"));
    free(text);

    f.info.interrupted = true;
    f.info.vantage.v6_ok = false;
    text = render_to_string(emit_text, &f);
    assert_non_null(strstr(text, "vantage IPv6 NOT WORKING, IPv4 ok"));
    assert_non_null(strstr(text, "; INTERRUPTED: results up to the stop\n"));
    assert_non_null(strstr(text, "\nvantage: canary ok\n"));
    free(text);
}

/* Long names are cut at the column width with an ellipsis, by display
 * width, never in the middle of a character. */
static void test_text_truncation(void **state)
{
    (void)state;
    struct fixture f;
    build(&f);
    /* 20 CJK characters = 40 columns > the 36-column site column. */
    char name[128];
    for (int i = 0; i < 20; i++)
        memcpy(name + 3 * i, "\xe4\xb8\x8a", 3);
    name[60] = '\0';
    f.s[0].name = name;
    const struct v6m_site_result *one = &f.s[0];
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    assert_int_equal(v6m_report_probe_text(out, &one, 1, NULL, 0, NULL), V6M_OK);
    fclose(out);
    /* 17 characters (34 columns) + "…" (1) = 35 <= 36, then 3 spaces pad
     * to 38 (36 + 2). */
    char want[160];
    for (int i = 0; i < 17; i++)
        memcpy(want + 3 * i, "\xe4\xb8\x8a", 3);
    snprintf(want + 51, sizeof(want) - 51, "\xe2\x80\xa6   gov ");
    assert_non_null(strstr(buf, want));
    assert_null(strstr(buf, "run:"));
    free(buf);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/v6m-test-probe-report-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_jsonl_escape_positions),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_csv_quoting_edges),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_text_truncation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
