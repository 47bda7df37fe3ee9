/*
 * cli/main.c - the v6mon tool: global options and the command table.
 *
 * v6mon [--version] [--help] <command> [<args>]
 * Every command is one file (cli/cmd_<name>.c) and one row below; its help
 * text is docs/commands/<name>.md, embedded at build time.
 *
 * SIGBUS: the capture reader maps regular files (lib/source/capfile.c); if
 * another process truncates a file while it is mapped, touching the lost
 * pages raises SIGBUS. The library cannot catch that (no process-wide
 * state); the tool says what happened in a sentence instead of dying
 * with "Bus error", and exits 1. Reading the file through stdin avoids it.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <v6mon/version.h>

#include "cli.h"

int cmd_traffic(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_kpi(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_serve(int argc, char **argv);
static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct cli_command commands[] = {
    {"traffic", "IPv4/IPv6 traffic share per segment from captures or live (I2, I3)", cmd_traffic},
    {"probe", "test key websites (W1..W7, I4, I5) and app domains (I6) over IPv6", cmd_probe},
    {"kpi", "IPv4/IPv6 performance parity: loss, latency, connects, DNS, page load, video (W8)", cmd_kpi},
    {"report", "the scorecard against the plan's targets: I1..I8, parity (text, json, csv, md, html)", cmd_report},
    {"serve", "the live dashboard, JSON API and Prometheus metrics over a database", cmd_serve},
    {"synth", "write synthetic captures with known truth (tests, demos, benchmarks)", cmd_synth},
    {"db", "look into a store file, export its tables, delete old runs", cmd_db},
    {"help", "show help for a command", cmd_help},
    {"version", "print the version", cmd_version},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_overview(FILE *out)
{
    fprintf(out, "usage: v6mon [--version] [--help] <command> [<args>]\n\n"
                 "v6mon measures how far IPv6 has come: traffic share, users, sites,\n"
                 "apps, performance parity and security, against the targets of the\n"
                 "Shanghai IPv6 action plan.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "   %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nSee 'v6mon help <command>' for one command.\n");
}

static const struct cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stdout);
        return EXIT_OK;
    }
    if (argc > 2)
        return cli_usage("help", "too many arguments");
    if (!find_command(argv[1])) {
        cli_error("'%s' is not a v6mon command. See 'v6mon --help'.", argv[1]);
        return EXIT_ERROR;
    }
    if (cli_print_doc(argv[1]) != EXIT_OK) {
        for (size_t i = 0; i < N_COMMANDS; i++)
            if (strcmp(commands[i].name, argv[1]) == 0)
                printf("v6mon %s - %s\n", commands[i].name, commands[i].summary);
    }
    return EXIT_OK;
}

static int cmd_version(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return cli_usage("version", "too many arguments");
    printf("v6mon %s\n", v6m_version());
    return EXIT_OK;
}

static void on_sigbus(int sig)
{
    (void)sig;
    static const char msg[] =
        "\nv6mon: fatal: an input file shrank while it was being read (another process "
        "truncated or rewrote it), so its end could not be read. Read a file that may change "
        "through stdin: v6mon traffic - < FILE\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    _exit(EXIT_ERROR);
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigbus;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
    if (argc < 2) {
        print_overview(stderr);
        return EXIT_USAGE;
    }
    const char *first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        print_overview(stdout);
        return EXIT_OK;
    }
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0)
        return cmd_version(1, argv + 1);
    if (first[0] == '-') {
        cli_error("unknown option: %s", first);
        print_overview(stderr);
        return EXIT_USAGE;
    }
    const struct cli_command *cmd = find_command(first);
    if (!cmd) {
        cli_error("'%s' is not a v6mon command. See 'v6mon --help'.", first);
        return EXIT_ERROR;
    }
    /* `v6mon CMD --help` is the command's page. */
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (cli_is_help(argv[i]))
            return cli_print_doc(cmd->name) == EXIT_OK ? EXIT_OK : EXIT_ERROR;
    }
    return cmd->run(argc - 1, argv + 1);
}
