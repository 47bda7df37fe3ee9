/*
 * cli/cli.h - what the subcommands of the v6mon tool share: the command
 * table entry, git-style messages and exit codes, option helpers.
 *
 * Messages (stderr):  "error: ..." for a failed run (exit 1),
 * "fatal: ..." when the tool cannot go on (exit 128), "usage: ..." for a
 * bad command line (exit 129), "warning: ..." for things the user should
 * know but that do not change the exit code. Results go to stdout.
 */
#ifndef V6M_CLI_H
#define V6M_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define EXIT_OK 0
#define EXIT_ERROR 1
#define EXIT_FATAL 128
#define EXIT_USAGE 129

struct cli_command {
    const char *name;
    const char *summary;   /* one line for `v6mon --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "fatal: ..." and return EXIT_FATAL (for `return cli_fatal(...)`). */
int cli_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "usage: ..." (with a pointer to `v6mon help CMD`), return 129. */
int cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The documentation page of a command (docs/commands/NAME.md, embedded at
 * build time), or NULL. */
const char *cli_doc(const char *name);
/* Print the page to stdout; returns EXIT_OK or EXIT_ERROR if none. */
int cli_print_doc(const char *name);

/* True when argv[i] is -h or --help. */
bool cli_is_help(const char *arg);

/* Progress line on stderr (only when stderr is a terminal or forced).
 * cli_progress_update() redraws at most every 200 ms. */
struct cli_progress {
    bool enabled;
    uint64_t start_ns, last_ns;
    const char *label;
};
void cli_progress_init(struct cli_progress *p, const char *label, bool force);
void cli_progress_update(struct cli_progress *p, uint64_t done, uint64_t total,
                         uint64_t items, const char *unit);
void cli_progress_done(struct cli_progress *p);
uint64_t cli_now_ns(void);

/* Set by SIGINT/SIGTERM handlers installed by cli_install_signals(). */
extern volatile int cli_signalled;
void cli_install_signals(void);

int cmd_db(int argc, char **argv); /* cmd_db.c: v6mon db info|export|prune */

/* Option values: a decimal 0..max (no sign); a duration ("500ms", "2s",
 * "1m") in whole ms up to CLI_MAX_DURATION_MS, 0 only when zero_ok. */
#define CLI_MAX_DURATION_MS (24u * 3600u * 1000u)
bool cli_parse_uint(const char *s, unsigned long long max, unsigned long long *out);
bool cli_parse_ms(const char *s, bool zero_ok, unsigned *ms);

#endif
