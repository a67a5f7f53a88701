/* cli.h — the `shakedown` program: one subcommand per use, shared helpers.
 *
 * Each subcommand is `int sd_cmd_<name>(int argc, char **argv)` where argv[0]
 * is the subcommand's name, parses its own options with getopt_long, and
 * returns the process exit code. The same flag means the same thing in every
 * subcommand (--stack, --out, --seed, -j). */
#ifndef SHAKEDOWN_CLI_CLI_H
#define SHAKEDOWN_CLI_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oracle/baseline.h"
#include "report/report.h"
#include "util/util.h"

/* Exit codes, the same for every subcommand (docs/outcomes.md). */
enum {
    SD_EXIT_OK = 0,       /* no FAIL, CRASH or HANG */
    SD_EXIT_FINDINGS = 1, /* at least one FAIL, CRASH or HANG */
    SD_EXIT_USAGE = 2,    /* bad flag, bad scenario file, missing PKI: nothing was run */
    SD_EXIT_HARNESS = 3,  /* the harness failed during the run (its results are incomplete) */
    /* Stopped by a signal, as shells report it: 128 + the signal's number,
     * 130 for SIGINT, 143 for SIGTERM. The reports hold what ran, marked
     * incomplete. */
    SD_EXIT_INTERRUPTED = 128,
};

int sd_cmd_conform(int argc, char **argv);
int sd_cmd_list(int argc, char **argv);
int sd_cmd_repro(int argc, char **argv);    /* harness/cli/repro.c */
int sd_cmd_trace(int argc, char **argv);    /* harness/cli/trace.c */
int sd_cmd_minimize(int argc, char **argv); /* harness/cli/minimize.c */
int sd_cmd_fuzz(int argc, char **argv);     /* harness/cli/fuzz.c */
int sd_cmd_report(int argc, char **argv);   /* harness/cli/report.c */
int sd_cmd_serve(int argc, char **argv);    /* harness/cli/serve.c */

/* Prints "shakedown <cmd>: <message>" and a hint to use --help, to stderr,
 * and returns SD_EXIT_USAGE. */
int sd_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports the option getopt_long just refused (opterr must be 0 and the
 * option string must start with ':'); returns SD_EXIT_USAGE. */
int sd_cli_bad_option(const char *cmd, int c, char **argv);

/* Strict number parsing for flags: the whole string must be a number in
 * range; false otherwise. */
SD_MUST_CHECK bool sd_cli_parse_u64(const char *s, uint64_t *out);
SD_MUST_CHECK bool sd_cli_parse_i64(const char *s, int64_t *out);

/* --- Around a conform run (harness/cli/conform_run.c) --- */

/* --out DIR before anything runs: an existing folder that is not empty is
 * refused unless force (an earlier run is not overwritten by mistake); the
 * folder is made and a file written and removed in it. Returns SD_EXIT_OK,
 * or SD_EXIT_USAGE after printing why. */
int sd_cli_prepare_out_dir(const char *cmd, const char *dir, bool force);
/* Whether a file can be made in dir (made and removed again). */
SD_MUST_CHECK bool sd_cli_dir_writable(const char *dir, char *err, size_t err_len);

/* The signal (SIGINT or SIGTERM) that asked the run to stop, 0 if none. Set
 * by the handlers sd_cli_catch_stop_signals installs; a second signal ends
 * the process at once. */
extern volatile sig_atomic_t sd_cli_stop_signal;
void sd_cli_catch_stop_signals(void);
const char *sd_cli_signal_name(int sig); /* "SIGINT", "SIGTERM" */

/* A progress line on stderr every interval for a run no terminal watches,
 * printed by a process of its own (cells may run in this one). */
typedef struct {
    pid_t pid;
    int fd;
} sd_cli_ticker;
int sd_cli_progress_interval_ms(void); /* $SHAKEDOWN_PROGRESS_MS, else 10000 */
/* label goes before the count on each line ("shard 2/3: "; may be ""). */
SD_MUST_CHECK bool sd_cli_ticker_start(sd_cli_ticker *t, size_t total, int interval_ms, const char *label);
void sd_cli_ticker_note(sd_cli_ticker *t, size_t done, const char *id, const char *stack);
void sd_cli_ticker_stop(sd_cli_ticker *t);

/* Applies a baseline (oracle/baseline.h) to every cell of a run, as the
 * oracle's sd_baseline_apply decides; returns how many cells the baseline
 * expects to fail. harness/cli/report.c; conform uses it too. */
size_t sd_cli_apply_baseline(sd_report_run *run, const sd_baseline *baseline);

#endif
