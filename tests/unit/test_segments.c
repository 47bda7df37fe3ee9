/*
 * test_segments.c - segments table: default table, file parsing (good and
 * bad, every error message checked), classification precedence, longest
 * prefix match, direction. Packets are hand-filled v6m_packet records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <v6mon/segments.h>

static void set_ip(struct v6m_iphdr *h, const char *src, const char *dst)
{
    memset(h, 0, sizeof(*h));
    if (strchr(src, ':')) {
        h->family = V6M_FAMILY_IPV6;
        assert_int_equal(inet_pton(AF_INET6, src, h->src), 1);
        assert_int_equal(inet_pton(AF_INET6, dst, h->dst), 1);
    } else {
        h->family = V6M_FAMILY_IPV4;
        assert_int_equal(inet_pton(AF_INET, src, h->src), 1);
        assert_int_equal(inet_pton(AF_INET, dst, h->dst), 1);
    }
}

/* One IP header (outer == inner). */
static void pkt_ip(struct v6m_packet *p, const char *src, const char *dst)
{
    memset(p, 0, sizeof(*p));
    set_ip(&p->outer, src, dst);
    p->inner = p->outer;
    p->family = p->inner.family;
    p->outer_family = p->outer.family;
    p->n_ip = 1;
}

/* A tunnel: outer and inner differ. */
static void pkt_tun(struct v6m_packet *p, const char *osrc, const char *odst,
                    const char *isrc, const char *idst)
{
    memset(p, 0, sizeof(*p));
    set_ip(&p->outer, osrc, odst);
    set_ip(&p->inner, isrc, idst);
    p->family = p->inner.family;
    p->outer_family = p->outer.family;
    p->n_ip = 2;
}

static v6m_segments *parse_ok(const char *text)
{
    v6m_segments *s = NULL;
    char err[256] = "";
    v6m_err rc = v6m_segments_parse(text, strlen(text), "t.conf", &s, err, sizeof(err));
    if (rc != V6M_OK)
        fail_msg("unexpected parse error: %s", err);
    assert_non_null(s);
    return s;
}

static void parse_err(const char *text, const char *want)
{
    v6m_segments *s = (v6m_segments *)1;
    char err[512] = "";
    v6m_err rc = v6m_segments_parse(text, strlen(text), "seg.conf", &s, err, sizeof(err));
    assert_int_equal(rc, V6M_ERR_CONFIG);
    assert_null(s);
    assert_string_equal(err, want);
}

static unsigned seg_of(const v6m_segments *s, const struct v6m_packet *p,
                       const char *ifname)
{
    struct v6m_class c;
    v6m_segments_classify(s, p, ifname, &c);
    return c.segment;
}

static const char *segname_of(const v6m_segments *s, const struct v6m_packet *p,
                              const char *ifname)
{
    return v6m_segments_name(s, seg_of(s, p, ifname));
}

static unsigned dir_of(const v6m_segments *s, const struct v6m_packet *p)
{
    struct v6m_class c;
    v6m_segments_classify(s, p, NULL, &c);
    return c.direction;
}

static void test_default_table(void **state)
{
    (void)state;
    v6m_segments *s = v6m_segments_new_default();
    assert_non_null(s);
    assert_int_equal(v6m_segments_count(s), 3);
    assert_string_equal(v6m_segments_name(s, 0), "mobile");
    assert_string_equal(v6m_segments_name(s, 1), "metro");
    assert_string_equal(v6m_segments_name(s, 2), "other");
    assert_null(v6m_segments_name(s, 3));

    struct v6m_packet p;
    pkt_ip(&p, "10.0.0.1", "10.0.0.2");
    assert_int_equal(seg_of(s, &p, NULL), 2);
    p.encap = V6M_ENC_GTPU; /* GTP-U but not a user G-PDU: other */
    assert_int_equal(seg_of(s, &p, NULL), 2);
    p.gtp_user = 1;
    assert_int_equal(seg_of(s, &p, NULL), 0);
    p.encap = V6M_ENC_PPPOE | V6M_ENC_PPP;
    p.gtp_user = 0;
    assert_int_equal(seg_of(s, &p, NULL), 1);
    /* PPPoE non-IP (LCP) is metro too. */
    memset(&p, 0, sizeof(p));
    p.encap = V6M_ENC_PPPOE;
    p.ppp_proto_nonip = 1;
    assert_int_equal(seg_of(s, &p, NULL), 1);
    /* GTP user inside PPPoE: the GTP test comes first. */
    p.encap = V6M_ENC_PPPOE | V6M_ENC_GTPU;
    p.gtp_user = 1;
    assert_int_equal(seg_of(s, &p, NULL), 0);
    assert_int_equal(dir_of(s, &p), V6M_DIR_UNKNOWN);
    v6m_segments_free(s);
    v6m_segments_free(NULL);
}

static void test_direction_names(void **state)
{
    (void)state;
    assert_string_equal(v6m_direction_name(V6M_DIR_UNKNOWN), "unknown");
    assert_string_equal(v6m_direction_name(V6M_DIR_UP), "up");
    assert_string_equal(v6m_direction_name(V6M_DIR_DOWN), "down");
    assert_null(v6m_direction_name(3));
}

static const char example[] =
    "# example from docs/segments.md\n"
    "segment mobile  gtp                       # built-in test\n"
    "segment metro   vlan 100-199\n"
    "segment metro   mpls 16001\n"
    "segment core    inner-dst 2001:db8::/32   # longest match among prefix rules\n"
    "segment campus  outer-src 10.0.0.0/8\n"
    "segment edge    interface eth1\n"
    "subscribers 100.64.0.0/10 2001:db8:1000::/36\n"
    "default other\n";

static void test_parse_example(void **state)
{
    (void)state;
    v6m_segments *s = parse_ok(example);
    assert_int_equal(v6m_segments_count(s), 6);
    const char *want[] = {"mobile", "metro", "core", "campus", "edge", "other"};
    for (int i = 0; i < 6; i++)
        assert_string_equal(v6m_segments_name(s, (size_t)i), want[i]);

    struct v6m_packet p;
    pkt_ip(&p, "192.0.2.1", "192.0.2.2");
    assert_string_equal(segname_of(s, &p, NULL), "other");
    assert_string_equal(segname_of(s, &p, "eth1"), "edge");
    assert_string_equal(segname_of(s, &p, "eth10"), "other");
    p.n_vlans = 1;
    p.vlan[0] = 150;
    assert_string_equal(segname_of(s, &p, "eth1"), "metro"); /* vlan line first */
    p.vlan[0] = 200;
    assert_string_equal(segname_of(s, &p, NULL), "other");
    p.n_vlans = 0;
    p.n_mpls = 2;
    p.mpls[0] = 3000;
    p.mpls[1] = 16001;
    assert_string_equal(segname_of(s, &p, NULL), "metro");
    p.n_mpls = 0;

    /* inner-dst prefix; outer-src 10/8 comes later in the file. */
    pkt_tun(&p, "10.1.1.1", "10.2.2.2", "2001:db9::1", "2001:db8:5::1");
    assert_string_equal(segname_of(s, &p, NULL), "core");
    pkt_tun(&p, "10.1.1.1", "10.2.2.2", "2001:db9::1", "2001:db9::2");
    assert_string_equal(segname_of(s, &p, NULL), "campus");
    p.encap = V6M_ENC_GTPU;
    p.gtp_user = 1;
    assert_string_equal(segname_of(s, &p, NULL), "mobile");
    v6m_segments_free(s);
}

static void test_longest_match(void **state)
{
    (void)state;
    v6m_segments *s = parse_ok("segment wide inner-dst 2001:db8::/32 10.0.0.0/8\n"
                               "segment vlan100 vlan 100\n"
                               "segment mid inner-dst 2001:db8:ab00::/40 10.1.0.0/16\n"
                               "segment narrow inner-dst 2001:db8:abcd::/48 10.1.2.0/24\n"
                               "segment host inner-dst 2001:db8:abcd::7/128 10.1.2.7\n"
                               "segment src inner-src 0.0.0.0/0\n");
    struct v6m_packet p;
    pkt_ip(&p, "2001:db8::1", "2001:db8:abcd::7");
    assert_string_equal(segname_of(s, &p, NULL), "host");
    pkt_ip(&p, "2001:db8::1", "2001:db8:abcd::8");
    assert_string_equal(segname_of(s, &p, NULL), "narrow");
    pkt_ip(&p, "2001:db8::1", "2001:db8:abce::8");
    assert_string_equal(segname_of(s, &p, NULL), "mid");
    pkt_ip(&p, "2001:db8::1", "2001:db8:ac00::1");
    assert_string_equal(segname_of(s, &p, NULL), "wide");
    pkt_ip(&p, "2001:db8::1", "2001:db9::1");
    assert_string_equal(segname_of(s, &p, NULL), "other"); /* no v6 inner-src rule */
    pkt_ip(&p, "192.0.2.1", "10.1.2.7");
    assert_string_equal(segname_of(s, &p, NULL), "host");
    pkt_ip(&p, "192.0.2.1", "10.1.2.9");
    assert_string_equal(segname_of(s, &p, NULL), "narrow");
    pkt_ip(&p, "192.0.2.1", "10.1.3.9");
    assert_string_equal(segname_of(s, &p, NULL), "mid");
    pkt_ip(&p, "192.0.2.1", "10.200.3.9");
    assert_string_equal(segname_of(s, &p, NULL), "wide");
    pkt_ip(&p, "192.0.2.1", "11.0.0.1");
    assert_string_equal(segname_of(s, &p, NULL), "src"); /* 0/0 catches all v4 */
    /* The inner-dst group sits at line 1, before the vlan rule of line 2:
     * even its /128 and /24 lines (written after the vlan line) win. */
    pkt_ip(&p, "192.0.2.1", "10.1.2.7");
    p.n_vlans = 1;
    p.vlan[0] = 100;
    assert_string_equal(segname_of(s, &p, NULL), "host");
    pkt_ip(&p, "192.0.2.1", "11.0.0.1");
    p.n_vlans = 1;
    p.vlan[0] = 100;
    assert_string_equal(segname_of(s, &p, NULL), "vlan100");
    /* No IP header at all: prefixes cannot match. */
    memset(&p, 0, sizeof(p));
    assert_string_equal(segname_of(s, &p, NULL), "other");
    v6m_segments_free(s);
}

static void test_fields(void **state)
{
    (void)state;
    v6m_segments *s = parse_ok("segment os outer-src 192.0.2.0/24\n"
                               "segment od outer-dst 198.51.100.0/24\n"
                               "segment is inner-src 2001:db8:1::/48\n"
                               "segment id inner-dst 2001:db8:2::/48\n"
                               "segment ov outer-vlan 10\n"
                               "segment iv inner-vlan 20,21 30-31\n"
                               "segment ppp pppoe\n"
                               "segment g gtp-user\n"
                               "default dflt\n");
    assert_int_equal(v6m_segments_count(s), 10); /* 9 named + other */
    assert_string_equal(v6m_segments_name(s, 9), "other");
    struct v6m_packet p;
    pkt_tun(&p, "192.0.2.5", "203.0.113.1", "2001:db8:9::1", "2001:db8:9::2");
    assert_string_equal(segname_of(s, &p, NULL), "os");
    pkt_tun(&p, "203.0.113.1", "198.51.100.9", "2001:db8:9::1", "2001:db8:9::2");
    assert_string_equal(segname_of(s, &p, NULL), "od");
    pkt_tun(&p, "203.0.113.1", "203.0.113.2", "2001:db8:1::1", "2001:db8:9::2");
    assert_string_equal(segname_of(s, &p, NULL), "is");
    pkt_tun(&p, "203.0.113.1", "203.0.113.2", "2001:db8:9::1", "2001:db8:2::2");
    assert_string_equal(segname_of(s, &p, NULL), "id");
    /* outer fields do not look at the inner header and vice versa */
    pkt_tun(&p, "203.0.113.1", "203.0.113.2", "192.0.2.5", "198.51.100.9");
    assert_string_equal(segname_of(s, &p, NULL), "dflt");

    pkt_ip(&p, "203.0.113.1", "203.0.113.2");
    p.n_vlans = 2;
    p.vlan[0] = 10;
    p.vlan[1] = 20;
    assert_string_equal(segname_of(s, &p, NULL), "ov");
    p.vlan[0] = 20; /* outer 20: not outer-vlan 10; inner is vlan[1] */
    p.vlan[1] = 10;
    assert_string_equal(segname_of(s, &p, NULL), "dflt");
    p.vlan[1] = 31;
    assert_string_equal(segname_of(s, &p, NULL), "iv");
    p.vlan[1] = 32;
    assert_string_equal(segname_of(s, &p, NULL), "dflt");
    /* single tag: it is both outer and inner */
    p.n_vlans = 1;
    p.vlan[0] = 21;
    assert_string_equal(segname_of(s, &p, NULL), "iv");
    /* more tags than stored: inner = last stored (vlan[3]) */
    p.n_vlans = 6;
    p.vlan[0] = 1;
    p.vlan[1] = 2;
    p.vlan[2] = 3;
    p.vlan[3] = 30;
    assert_string_equal(segname_of(s, &p, NULL), "iv");
    p.n_vlans = 0;
    p.encap = V6M_ENC_PPPOE;
    assert_string_equal(segname_of(s, &p, NULL), "ppp");
    p.encap = V6M_ENC_GTPU;
    p.gtp_user = 1;
    assert_string_equal(segname_of(s, &p, NULL), "g");
    v6m_segments_free(s);
}

static void test_direction(void **state)
{
    (void)state;
    v6m_segments *s = parse_ok("subscribers 100.64.0.0/10 2001:db8:1000::/36\n"
                               "subscribers 198.51.100.7/32\n");
    assert_int_equal(v6m_segments_count(s), 1);
    assert_string_equal(v6m_segments_name(s, 0), "other");
    struct v6m_packet p;
    pkt_ip(&p, "100.64.1.2", "192.0.2.1");
    assert_int_equal(dir_of(s, &p), V6M_DIR_UP);
    pkt_ip(&p, "192.0.2.1", "100.127.255.255");
    assert_int_equal(dir_of(s, &p), V6M_DIR_DOWN);
    pkt_ip(&p, "192.0.2.1", "100.128.0.0");
    assert_int_equal(dir_of(s, &p), V6M_DIR_UNKNOWN);
    pkt_ip(&p, "198.51.100.7", "198.51.100.8");
    assert_int_equal(dir_of(s, &p), V6M_DIR_UP);
    pkt_ip(&p, "198.51.100.6", "198.51.100.7");
    assert_int_equal(dir_of(s, &p), V6M_DIR_DOWN);
    /* both ends subscribers: source wins */
    pkt_ip(&p, "100.64.0.1", "100.64.0.2");
    assert_int_equal(dir_of(s, &p), V6M_DIR_UP);
    pkt_ip(&p, "2001:db8:1fff:ffff::1", "2001:4860::1");
    assert_int_equal(dir_of(s, &p), V6M_DIR_UP);
    pkt_ip(&p, "2001:4860::1", "2001:db8:1000::1");
    assert_int_equal(dir_of(s, &p), V6M_DIR_DOWN);
    pkt_ip(&p, "2001:4860::1", "2001:db8:2000::1");
    assert_int_equal(dir_of(s, &p), V6M_DIR_UNKNOWN);
    /* innermost header decides: subscriber inside a GTP tunnel */
    pkt_tun(&p, "192.0.2.1", "192.0.2.2", "2001:4860::1", "2001:db8:1234::1");
    assert_int_equal(dir_of(s, &p), V6M_DIR_DOWN);
    memset(&p, 0, sizeof(p));
    assert_int_equal(dir_of(s, &p), V6M_DIR_UNKNOWN);
    v6m_segments_free(s);
}

static void test_misc_syntax(void **state)
{
    (void)state;
    /* Declarations fix the id order; CRLF, tabs, empty and comment lines,
     * no final newline; 'other' declared explicitly keeps its position. */
    v6m_segments *s = parse_ok("\r\n# c\n\tsegment b\r\nsegment other\nsegment a vlan 7\r\n"
                               "segment b mpls 0-15   # labels\n   \ndefault a");
    assert_int_equal(v6m_segments_count(s), 3);
    assert_string_equal(v6m_segments_name(s, 0), "b");
    assert_string_equal(v6m_segments_name(s, 1), "other");
    assert_string_equal(v6m_segments_name(s, 2), "a");
    struct v6m_packet p;
    pkt_ip(&p, "1.1.1.1", "2.2.2.2");
    assert_string_equal(segname_of(s, &p, NULL), "a"); /* default a */
    p.n_mpls = 1;
    p.mpls[0] = 15;
    assert_string_equal(segname_of(s, &p, NULL), "b");
    v6m_segments_free(s);

    /* Same prefix twice for the same segment is a harmless repeat. */
    s = parse_ok("segment x outer-src 10.0.0.0/8\nsegment x outer-src 10.0.0.0/8\n");
    v6m_segments_free(s);
    /* Same prefix on different fields is fine. */
    s = parse_ok("segment x outer-src 10.0.0.0/8\nsegment y outer-dst 10.0.0.0/8\n");
    pkt_ip(&p, "192.0.2.1", "10.9.9.9");
    assert_string_equal(segname_of(s, &p, NULL), "y");
    v6m_segments_free(s);
    /* Empty text: just "other". */
    s = parse_ok("");
    assert_int_equal(v6m_segments_count(s), 1);
    v6m_segments_free(s);
}

static void test_errors(void **state)
{
    (void)state;
    parse_err("segment a vlan 1\n\n\nsegment x vlam 10\n",
              "seg.conf:4: unknown match 'vlam' (expected gtp, pppoe, vlan, outer-vlan, "
              "inner-vlan, mpls, outer-src, outer-dst, inner-src, inner-dst, interface)");
    parse_err("segmnt x vlan 10\n",
              "seg.conf:1: unknown keyword 'segmnt' (expected segment, subscribers, default)");
    parse_err("segment\n", "seg.conf:1: 'segment' needs a name");
    parse_err("segment  # nothing\n", "seg.conf:1: 'segment' needs a name");
    parse_err("segment 9lives gtp\n",
              "seg.conf:1: invalid segment name '9lives' (letters, digits, '_' and '-', "
              "starting with a letter, at most 31 characters)");
    parse_err("segment abcdefghijabcdefghijabcdefghijab gtp\n",
              "seg.conf:1: invalid segment name 'abcdefghijabcdefghijabcdefghijab' "
              "(letters, digits, '_' and '-', starting with a letter, at most 31 "
              "characters)");
    parse_err("segment a vlan\n", "seg.conf:1: 'vlan' needs at least one value");
    parse_err("segment a interface\n", "seg.conf:1: 'interface' needs at least one value");
    parse_err("segment a vlan 4096\n",
              "seg.conf:1: invalid VLAN id '4096' (expected 0-4095 or a range like 100-199)");
    parse_err("segment a inner-vlan 200-100\n",
              "seg.conf:1: invalid VLAN id '200-100' (expected 0-4095 or a range like "
              "100-199)");
    parse_err("segment a vlan 1-\n",
              "seg.conf:1: invalid VLAN id '1-' (expected 0-4095 or a range like 100-199)");
    parse_err("segment a mpls 1048576\n",
              "seg.conf:1: invalid MPLS label '1048576' (expected 0-1048575 or a range "
              "like 16000-16999)");
    parse_err("segment a gtp x\n", "seg.conf:1: 'gtp' takes no value (got 'x')");
    parse_err("segment a pppoe 1\n", "seg.conf:1: 'pppoe' takes no value (got '1')");
    parse_err("segment a outer-src 10.0.0.0/33\n",
              "seg.conf:1: invalid prefix '10.0.0.0/33' (expected an IPv4 or IPv6 prefix "
              "such as 10.0.0.0/8 or 2001:db8::/32)");
    parse_err("segment a outer-src fe80::zz/10\n",
              "seg.conf:1: invalid prefix 'fe80::zz/10' (expected an IPv4 or IPv6 prefix "
              "such as 10.0.0.0/8 or 2001:db8::/32)");
    parse_err("segment a outer-src 10.1.2.3/8\n",
              "seg.conf:1: prefix '10.1.2.3/8' has host bits set (did you mean 10.0.0.0/8?)");
    parse_err("subscribers 2001:db8::1/64\n",
              "seg.conf:1: prefix '2001:db8::1/64' has host bits set (did you mean "
              "2001:db8::/64?)");
    parse_err("segment a inner-dst 2001:db8::/32\nsegment b vlan 1\n"
              "segment b inner-dst 2001:db8::/32\n",
              "seg.conf:3: prefix 2001:db8::/32 for inner-dst is already assigned to "
              "segment 'a' on line 1");
    parse_err("subscribers\n", "seg.conf:1: 'subscribers' needs at least one prefix");
    parse_err("default\n", "seg.conf:1: 'default' needs a segment name");
    parse_err("default a b\n", "seg.conf:1: 'default' takes one segment name (got extra 'b')");
    parse_err("default a\ndefault b\n", "seg.conf:2: duplicate 'default' (first on line 1)");
    parse_err("default in!valid\n",
              "seg.conf:1: invalid segment name 'in!valid' (letters, digits, '_' and '-', "
              "starting with a letter, at most 31 characters)");

    char big[300];
    memset(big, 'x', sizeof(big));
    memcpy(big, "segment ", 8);
    big[sizeof(big) - 1] = '\0';
    parse_err(big, "seg.conf:1: token too long (at most 127 characters)");

    /* A NUL byte inside the text. */
    {
        static const char t[] = "segment a vlan 1\nsegment b\0 gtp\n";
        v6m_segments *s = NULL;
        char err[256];
        assert_int_equal(v6m_segments_parse(t, sizeof(t) - 1, "n.conf", &s, err, sizeof(err)),
                         V6M_ERR_CONFIG);
        assert_string_equal(err, "n.conf:2: unexpected NUL byte");
    }
}

static void test_limits(void **state)
{
    (void)state;
    /* 63 named segments + other = 64: fine; one more is too many. */
    size_t cap = 64 * 40 + 64;
    char *t = malloc(cap);
    size_t n = 0;
    for (int i = 0; i < 63; i++)
        n += (size_t)snprintf(t + n, cap - n, "segment s%d vlan %d\n", i, i);
    v6m_segments *s = parse_ok(t);
    assert_int_equal(v6m_segments_count(s), 64);
    assert_string_equal(v6m_segments_name(s, 63), "other");
    v6m_segments_free(s);
    snprintf(t + n, cap - n, "segment s63 vlan 63\n");
    parse_err(t, "seg.conf:64: too many segments (at most 64, including 'other')");
    free(t);

    /* 4096 rules fine, 4097 not. */
    cap = 4200 * 12;
    t = malloc(cap);
    n = (size_t)snprintf(t, cap, "segment a vlan");
    for (int i = 0; i < 4096; i++)
        n += (size_t)snprintf(t + n, cap - n, " %d", i % 4096);
    snprintf(t + n, cap - n, "\n");
    s = parse_ok(t);
    v6m_segments_free(s);
    snprintf(t + n, cap - n, "\nsegment a gtp\n");
    parse_err(t, "seg.conf:2: too many rules (at most 4096)");
    free(t);
}

static void test_many_prefixes(void **state)
{
    (void)state;
    /* 5000 /24s and /32s: each found, and longest match holds. */
    size_t cap = 5000 * 64;
    char *t = malloc(cap);
    size_t n = 0;
    for (int i = 0; i < 2500; i++)
        n += (size_t)snprintf(t + n, cap - n, "segment %s outer-dst 10.%d.%d.0/24\n",
                              (i % 2) ? "odd" : "even", i / 256, i % 256);
    for (int i = 0; i < 2500; i++)
        n += (size_t)snprintf(t + n, cap - n, "segment host outer-dst 10.%d.%d.77\n",
                              i / 256, i % 256);
    v6m_segments *s = parse_ok(t);
    free(t);
    struct v6m_packet p;
    char a[32];
    for (int i = 0; i < 2500; i++) {
        snprintf(a, sizeof(a), "10.%d.%d.5", i / 256, i % 256);
        pkt_ip(&p, "192.0.2.1", a);
        assert_string_equal(segname_of(s, &p, NULL), (i % 2) ? "odd" : "even");
        snprintf(a, sizeof(a), "10.%d.%d.77", i / 256, i % 256);
        pkt_ip(&p, "192.0.2.1", a);
        assert_string_equal(segname_of(s, &p, NULL), "host");
    }
    pkt_ip(&p, "192.0.2.1", "10.10.0.77"); /* 10.10.x is past 2500 /24s */
    assert_string_equal(segname_of(s, &p, NULL), "other");
    v6m_segments_free(s);
}

static void test_load(void **state)
{
    (void)state;
    v6m_segments *s = (v6m_segments *)1;
    char err[256];
    assert_int_equal(v6m_segments_load("/nonexistent/seg.conf", &s, err, sizeof(err)),
                     V6M_ERR_IO);
    assert_null(s);
    assert_string_equal(err, "cannot open '/nonexistent/seg.conf': No such file or directory");

    char path[] = "/tmp/v6m_segXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(example, f);
    fputs("segment bad vlan x\n", f);
    fclose(f);
    assert_int_equal(v6m_segments_load(path, &s, err, sizeof(err)), V6M_ERR_CONFIG);
    char want[300];
    snprintf(want, sizeof(want),
             "%s:10: invalid VLAN id 'x' (expected 0-4095 or a range like 100-199)", path);
    assert_string_equal(err, want);
    f = fopen(path, "w");
    fputs(example, f);
    fclose(f);
    assert_int_equal(v6m_segments_load(path, &s, err, sizeof(err)), V6M_OK);
    assert_int_equal(v6m_segments_count(s), 6);
    v6m_segments_free(s);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_table),
        cmocka_unit_test(test_direction_names),
        cmocka_unit_test(test_parse_example),
        cmocka_unit_test(test_longest_match),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_direction),
        cmocka_unit_test(test_misc_syntax),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_many_prefixes),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
