/* cli.h — the `shakedown` program: one subcommand per use, shared helpers.
 *
 * Each subcommand is `int sd_cmd_<name>(int argc, char **argv)` where argv[0]
 * is the subcommand's name, parses its own options with getopt_long, and
 * returns the process exit code. The same flag means the same thing in every
 * subcommand (--stack, --out, --seed, -j). */
#ifndef SHAKEDOWN_CLI_CLI_H
#define SHAKEDOWN_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oracle/baseline.h"
#include "report/report.h"
#include "util/util.h"

/* Exit codes, the same for every subcommand (docs/outcomes.md). */
enum {
    SD_EXIT_OK = 0,       /* no FAIL, CRASH or HANG */
    SD_EXIT_FINDINGS = 1, /* at least one FAIL, CRASH or HANG */
    SD_EXIT_USAGE = 2,    /* bad flag, bad scenario file, missing PKI: nothing was run */
    SD_EXIT_HARNESS = 3,  /* the harness failed during the run (its results are incomplete) */
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

/* Applies a baseline (oracle/baseline.h) to every cell of a run, as the
 * oracle's sd_baseline_apply decides; returns how many cells the baseline
 * expects to fail. harness/cli/report.c; conform uses it too. */
size_t sd_cli_apply_baseline(sd_report_run *run, const sd_baseline *baseline);

#endif
