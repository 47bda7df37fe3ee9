/*
 * cli/cmd_serve.c - `v6mon serve DB`: the live dashboard, JSON API and
 * Prometheus metrics over a v6mon database (docs/commands/serve.md,
 * docs/api.md).
 *
 * Wiring only: options -> struct serve_config (cli/serve/serve.h), the
 * checks that must fail at start rather than per request (the listen
 * address; a non-loopback address needs a token; the token's form; the
 * default window), RLIMIT_NOFILE raised to fit the connection limit, then
 * the server runs on libmicrohttpd's threads while this thread waits for
 * SIGINT/SIGTERM and stops it (no new connections, open requests get a
 * moment to finish).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <v6mon/indicators.h>
#include <v6mon/report.h>

#include "cli.h"
#include "serve/serve.h"

static bool parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        return false;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || errno || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* First line of the file, without the line end and surrounding blanks. */
static int read_token_file(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("cannot open token file '%s': %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        cli_warning("token file '%s' can be read by other users (chmod 600 it)", path);
    if (!fgets(buf, (int)n, f)) {
        buf[0] = '\0';
    }
    fclose(f);
    size_t l = strlen(buf);
    while (l > 0 && (buf[l - 1] == '\n' || buf[l - 1] == '\r' || buf[l - 1] == ' ' ||
                     buf[l - 1] == '\t'))
        buf[--l] = '\0';
    size_t s = strspn(buf, " \t");
    memmove(buf, buf + s, l - s + 1);
    if (!buf[0]) {
        cli_error("token file '%s' holds no token on its first line", path);
        return -1;
    }
    return 0;
}

static void raise_nofile(unsigned want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rlim_t target = want;
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < target)
            target = rl.rlim_max;
        rl.rlim_cur = target;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (target < want)
            cli_warning("serve: open file limit %llu (hard) is below the %u that "
                        "--max-connections needs; raise it with ulimit -Hn",
                        (unsigned long long)target, want);
    }
}

int cmd_serve(int argc, char **argv)
{
    enum { OPT_LISTEN = 256, OPT_TOKEN, OPT_TOKEN_FILE, OPT_TARGETS, OPT_REGISTRY, OPT_LANG,
           OPT_NOW, OPT_REFRESH, OPT_THREADS, OPT_MAXCONN, OPT_REQBYTES, OPT_TIMEOUT, OPT_DB };
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"token", required_argument, NULL, OPT_TOKEN},
        {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
        {"window", required_argument, NULL, 'w'},
        {"targets", required_argument, NULL, OPT_TARGETS},
        {"registry", required_argument, NULL, OPT_REGISTRY},
        {"lang", required_argument, NULL, OPT_LANG},
        {"now", required_argument, NULL, OPT_NOW},
        {"refresh", required_argument, NULL, OPT_REFRESH},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"max-connections", required_argument, NULL, OPT_MAXCONN},
        {"max-request-bytes", required_argument, NULL, OPT_REQBYTES},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"db", required_argument, NULL, OPT_DB},
        {NULL, 0, NULL, 0},
    };
    struct serve_config cfg;
    memset(&cfg, 0, sizeof cfg);
    const char *listen = "127.0.0.1:8080", *token_file = NULL;
    char token_buf[SERVE_TOKEN_MAX + 2];
    char err[512];
    cfg.window = "30d";
    cfg.now_mode = SERVE_NOW_DATA;
    cfg.refresh_s = 30;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cfg.threads = cores < 1 ? 1 : cores > 64 ? 64 : (unsigned)cores;
    cfg.max_connections = 4096;
    cfg.conn_memory = 16384;
    cfg.timeout_s = 30;
    int ch;
    unsigned long v;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "w:", longopts, NULL)) != -1) {
        const char *a = optarg;
        switch (ch) {
        case OPT_LISTEN: listen = a; break;
        case OPT_TOKEN: cfg.token = a; break;
        case OPT_TOKEN_FILE: token_file = a; break;
        case 'w': cfg.window = a; break;
        case OPT_TARGETS: cfg.targets = a; break;
        case OPT_REGISTRY: cfg.registry = a; break;
        case OPT_DB: cfg.db = a; break;
        case OPT_LANG:
            if (strcmp(a, "zh") && strcmp(a, "en"))
                return cli_usage("serve", "--lang: '%s' is not zh or en", a);
            cfg.lang = a;
            break;
        case OPT_NOW:
            if (!strcmp(a, "data")) {
                cfg.now_mode = SERVE_NOW_DATA;
            } else if (!strcmp(a, "wall")) {
                cfg.now_mode = SERVE_NOW_WALL;
            } else if (parse_uint(a, 1, 253402300799UL, &v)) {
                cfg.now_mode = SERVE_NOW_FIXED;
                cfg.now_s = (int64_t)v;
            } else {
                return cli_usage("serve", "--now: '%s' is not data, wall or a unix time", a);
            }
            break;
        case OPT_REFRESH:
            if (!parse_uint(a, 1, 86400, &v))
                return cli_usage("serve", "--refresh: '%s' is not 1..86400 seconds", a);
            cfg.refresh_s = (unsigned)v;
            break;
        case OPT_THREADS:
            if (!parse_uint(a, 1, 256, &v))
                return cli_usage("serve", "--threads: '%s' is not 1..256", a);
            cfg.threads = (unsigned)v;
            break;
        case OPT_MAXCONN:
            if (!parse_uint(a, 1, 1000000, &v))
                return cli_usage("serve", "--max-connections: '%s' is not 1..1000000", a);
            cfg.max_connections = (unsigned)v;
            break;
        case OPT_REQBYTES:
            if (!parse_uint(a, 4096, 1048576, &v))
                return cli_usage("serve", "--max-request-bytes: '%s' is not 4096..1048576", a);
            cfg.conn_memory = (size_t)v;
            break;
        case OPT_TIMEOUT:
            if (!parse_uint(a, 1, 3600, &v))
                return cli_usage("serve", "--timeout: '%s' is not 1..3600 seconds", a);
            cfg.timeout_s = (unsigned)v;
            break;
        default:
            if (optopt > 0 && optopt < 256)
                return cli_usage("serve", "unknown option or missing value: -%c", optopt);
            return cli_usage("serve", "unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    int rest = argc - optind;
    if (!cfg.db && rest == 1)
        cfg.db = argv[optind];
    else if (rest != 0 || !cfg.db)
        return cli_usage("serve", "one database: 'v6mon serve DB' (or --db DB)");
    if (!cfg.lang)
        cfg.lang = v6m_report_lang_from_env();

    struct v6m_ind_query wq;
    v6m_ind_query_init(&wq);
    if (strlen(cfg.window) > SERVE_WINDOW_MAX ||
        v6m_ind_window_parse(&wq, cfg.window, err, sizeof err) != V6M_OK)
        return cli_usage("serve", "--window: %s",
                         strlen(cfg.window) > SERVE_WINDOW_MAX ? "too long" : err);
    if (!serve_parse_listen(listen, &cfg.addr, &cfg.addr_len, err, sizeof err))
        return cli_usage("serve", "--listen: %s", err);
    if (cfg.token && token_file)
        return cli_usage("serve", "--token and --token-file: give one");
    if (token_file) {
        if (read_token_file(token_file, token_buf, sizeof token_buf) != 0)
            return EXIT_ERROR;
        cfg.token = token_buf;
    }
    if (cfg.token && !serve_token_ok(cfg.token, err, sizeof err))
        return cli_usage("serve", "%s: %s", token_file ? "--token-file" : "--token", err);
    if (!cfg.token && !serve_is_loopback((const struct sockaddr *)&cfg.addr))
        return cli_usage("serve", "--listen %s is not a loopback address: anyone who can "
                         "reach it could read the data, so it needs --token or --token-file",
                         listen);

    raise_nofile(cfg.max_connections + 64);
    signal(SIGPIPE, SIG_IGN);
    cli_install_signals();

    struct serve_server *srv;
    if (serve_start(&cfg, &srv, err, sizeof err) != 0) {
        cli_error("%s", err);
        return EXIT_ERROR;
    }
    char addr[80];
    serve_addr_text((const struct sockaddr *)&cfg.addr, serve_port(srv), addr, sizeof addr);
    fprintf(stderr, "serve: listening on http://%s/ (database '%s', %u threads, %s)\n", addr,
            cfg.db, cfg.threads, cfg.token ? "bearer token required" : "no token");
    fflush(stderr);
    while (!cli_signalled) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "serve: stopping\n");
    uint64_t served = serve_requests(srv);
    serve_stop(srv, 2000);
    fprintf(stderr, "serve: stopped after %llu requests\n", (unsigned long long)served);
    return EXIT_OK;
}
