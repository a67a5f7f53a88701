/* main.c — `shakedown <subcommand> [options]`: dispatch, global help, and
 * the helpers every subcommand shares (cli.h). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* the build defines it too; this is for building alone */
#endif

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "report/report.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"conform", sd_cmd_conform, "run scenarios against stacks; write a run folder with the reports"},
    {"list", sd_cmd_list, "list the scenarios, with ids, tags and counts per tag"},
    {"repro", sd_cmd_repro,
     "replay corpus files, crash files or scripts; print the trace; show the outcomes side by side"},
    {"minimize", sd_cmd_minimize, "shrink a finding at the trace level, keeping its signature"},
    {"fuzz", sd_cmd_fuzz,
     "run fuzz targets under libFuzzer or AFL++ for a time budget; merge the corpus; report findings"},
    {"trace", sd_cmd_trace, "convert traces between script and binary; export pcap + keylog"},
    {"report", sd_cmd_report,
     "re-render the reports of a run from its results.json, optionally against a baseline"},
    {"serve", sd_cmd_serve, "expose a stack (model, boringssl, ...) as a TLS server on a loopback port"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: shakedown <command> [options]\n"
               "\n"
               "A TLS handshake fuzzing and conformance harness.\n"
               "\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(f, "  %-9s %s\n", "help", "show the help of a command: shakedown help <command>");
    fprintf(f, "\n"
               "Every command has --help. The same flag means the same thing everywhere:\n"
               "--stack, --out, --seed, -j.\n"
               "\n"
               "exit codes:\n"
               "  0  no stack showed a FAIL, CRASH or HANG\n"
               "  1  at least one FAIL, CRASH or HANG\n"
               "  2  usage or input error (bad flag, bad scenario file, missing PKI); nothing was run\n"
               "  3  the harness itself failed during the run; the results are incomplete\n"
               "  130, 143  interrupted by SIGINT or SIGTERM (128 + the signal); the reports\n"
               "     hold what ran, marked incomplete\n");
}

static const command *find_command(const char *name) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return SD_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage(stdout);
        return SD_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("shakedown %s\n", SHAKEDOWN_VERSION);
        return SD_EXIT_OK;
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return SD_EXIT_OK;
        }
        const command *c = find_command(argv[2]);
        if (!c) {
            fprintf(stderr, "shakedown: no command '%s'. Try 'shakedown --help'.\n", argv[2]);
            return SD_EXIT_USAGE;
        }
        static char help_flag[] = "--help";
        char *help_argv[] = {argv[2], help_flag, NULL};
        return c->run(2, help_argv);
    }
    const command *c = find_command(name);
    if (!c) {
        if (name[0] == '-') {
            fprintf(stderr, "shakedown: unknown option '%s' before the command.\n", name);
        } else {
            fprintf(stderr, "shakedown: no command '%s'.\n", name);
        }
        fprintf(stderr, "Try 'shakedown --help'.\n");
        return SD_EXIT_USAGE;
    }
    /* The subcommand sees itself as argv[0], as if it were its own program,
     * so getopt_long starts at its first option. */
    return c->run(argc - 1, argv + 1);
}

/* --- Shared helpers ----------------------------------------------------------- */

int sd_cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "shakedown %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'shakedown %s --help'.\n", cmd);
    return SD_EXIT_USAGE;
}

int sd_cli_bad_option(const char *cmd, int c, char **argv) {
    /* getopt_long leaves optind just past the offending argument, and for a
     * long option it does not say which one in optopt: show the argument. */
    const char *arg = optind > 0 ? argv[optind - 1] : "?";
    if (c == ':') {
        if (optopt && optopt < 256 && arg[0] == '-' && arg[1] != '-') {
            return sd_cli_usage_error(cmd, "option '-%c' needs a value", optopt);
        }
        return sd_cli_usage_error(cmd, "option '%s' needs a value", arg);
    }
    if (optopt && optopt < 256 && !(arg[0] == '-' && arg[1] == '-')) {
        return sd_cli_usage_error(cmd, "unknown option '-%c'", optopt);
    }
    return sd_cli_usage_error(cmd, "unknown option '%s'", arg);
}

bool sd_cli_parse_u64(const char *s, uint64_t *out) {
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return false;
    *out = (uint64_t)v;
    return true;
}

bool sd_cli_parse_i64(const char *s, int64_t *out) {
    if (!s || !*s || *s == ' ') return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return false;
    *out = (int64_t)v;
    return true;
}
