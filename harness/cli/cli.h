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

#include "trace/trace.h"

/* Exit codes, the same for every subcommand (docs/outcomes.md). */
enum {
    SD_EXIT_OK = 0,        /* no FAIL, CRASH or HANG */
    SD_EXIT_FINDINGS = 1,  /* at least one FAIL, CRASH or HANG */
    SD_EXIT_USAGE = 2,     /* bad flag, bad scenario file, missing PKI: nothing was run */
    SD_EXIT_HARNESS = 3,   /* the harness failed during the run (its results are incomplete) */
};

int sd_cmd_conform(int argc, char **argv);
int sd_cmd_list(int argc, char **argv);
int sd_cmd_repro(int argc, char **argv); /* harness/cli/repro.c */
int sd_cmd_trace(int argc, char **argv); /* harness/cli/trace.c */
int sd_cmd_minimize(int argc, char **argv); /* harness/cli/minimize.c */
int sd_cmd_fuzz(int argc, char **argv); /* harness/cli/fuzz.c */
int sd_cmd_report(int argc, char **argv); /* harness/cli/report.c */
int sd_cmd_serve(int argc, char **argv); /* harness/cli/serve.c */

/* Prints "shakedown <cmd>: <message>" and a hint to use --help, to stderr,
 * and returns SD_EXIT_USAGE. */
int sd_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports the option getopt_long just refused (opterr must be 0 and the
 * option string must start with ':'); returns SD_EXIT_USAGE. */
int sd_cli_bad_option(const char *cmd, int c, char **argv);

/* Strict number parsing for flags: the whole string must be a number in
 * range; false otherwise. */
bool sd_cli_parse_u64(const char *s, uint64_t *out);
bool sd_cli_parse_i64(const char *s, int64_t *out);

/* A set of loaded scenarios, in path order (and in file order within a
 * path). */
typedef struct {
    size_t n, cap;
    sd_scenario *items; /* owned */
} sd_scenario_set;

void sd_scenario_set_free(sd_scenario_set *set);

/* Loads every scenario named by paths (files, or directories searched
 * recursively for *.sd, sorted by path); with no paths, the default
 * directory (sd_cli_default_scenarios_dir). Every problem is printed to
 * stderr as "file:line: message" (or "path: message"); returns false if
 * there was any, having loaded nothing usable. Scenarios whose id does not
 * contain filter (if not NULL) are dropped. */
bool sd_cli_load_scenarios(const char *cmd, char **paths, size_t n_paths, const char *filter,
                           sd_scenario_set *out);

/* $SHAKEDOWN_SCENARIOS_DIR, else SHAKEDOWN_SOURCE_DIR "/scenarios". */
const char *sd_cli_default_scenarios_dir(void);

#endif
