/* report.c — `shakedown report`: render the reports of a run again from its
 * results.json, optionally against a baseline, or join several runs into
 * one (--merge). This is how a CI job turns an archived run into junit.xml
 * and summary.md, re-gates an old run on a new baseline, or gathers the
 * shards of a CI matrix, without running anything. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* the build defines it too; this is for building alone */
#endif

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "oracle/baseline.h"
#include "report/report.h"
#include "util/util.h"

static const char report_cmd[] = "report";

size_t sd_cli_apply_baseline(sd_report_run *run, const sd_baseline *baseline) {
    size_t expected = 0;
    for (size_t i = 0; i < run->n_scenarios; i++) {
        for (size_t k = 0; k < run->n_stacks; k++) {
            sd_report_cell *c = sd_report_cell_at(run, i, k);
            if (c->absent) continue; /* another shard's: not judged here */
            if (sd_baseline_apply(baseline, run->scenarios[i].id, run->stacks[k].name, &c->verdict, c->why,
                                  sizeof c->why, &c->baseline))
                expected++;
        }
    }
    return expected;
}

/* A cell that an earlier baseline turned into XFAIL or XPASS gets back
 * what it did (its raw verdict, and the why before the baseline's words were
 * put in front: oracle/baseline.c writes "expected failure (baseline: V),
 * still W: WHY" or "... now W: update the baseline[: WHY]"), so that a new
 * baseline judges the run, not the old baseline's verdicts. */
static void undo_baseline(sd_report_cell *c) {
    if (!c->baseline.applied) return;
    c->verdict = c->baseline.raw;
    const char *why = c->why;
    if (strncmp(why, "expected failure (baseline: ", 28) == 0) {
        const char *p = strstr(why, "), still ");
        const char *rest = p ? strchr(p + 9, ':') : NULL;
        if (rest) {
            rest += rest[1] == ' ' ? 2 : 1;
        } else if ((p = strstr(why, "update the baseline")) != NULL) {
            rest = p + 19;
            if (rest[0] == ':' && rest[1] == ' ') rest += 2;
        }
        if (rest) memmove(c->why, rest, strlen(rest) + 1);
    }
    memset(&c->baseline, 0, sizeof c->baseline);
}

/* True if path names the same file as dir/name (the run folder's own
 * results.json). */
static bool same_file(const char *path, const char *dir, const char *name) {
    char other[4200];
    int n = snprintf(other, sizeof other, "%s/%s", dir, name);
    struct stat a, b;
    if (n < 0 || (size_t)n >= sizeof other || stat(path, &a) != 0 || stat(other, &b) != 0) return false;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void report_usage(FILE *f) {
    fprintf(f, "usage: shakedown report [options] RUN_DIR|RESULTS_JSON\n"
               "       shakedown report --merge [options] RUN_DIR|RESULTS_JSON...\n"
               "\n"
               "Renders junit.xml, summary.md and index.html again from the results.json of\n"
               "an earlier 'shakedown conform' run. The results.json itself is the record of\n"
               "the run and is never rewritten: its verdicts stay as the run left them (with\n"
               "--out elsewhere, a results.json with the baseline applied is written there).\n"
               "\n"
               "With --merge, joins runs into one report (results.json, junit.xml, summary.md,\n"
               "index.html): the shards of a run spread over a CI matrix ('conform --shard\n"
               "K/N'), runs of other stacks, or both. They must have run the same scenarios\n"
               "with the same shakedown, --seed and --time, and the same library under each\n"
               "stack's name; a cell in two of them (the same shard twice) is refused. Shards\n"
               "that are missing are named on stderr and in the reports (incomplete run).\n"
               "\n"
               "options:\n"
               "  --out DIR        where to write the reports (default: the run folder, or the\n"
               "                   folder of RESULTS_JSON; with --merge: runs/merged); with\n"
               "                   --merge never one of the runs merged\n"
               "  --merge          join the runs given into one report (see above)\n"
               "  --baseline FILE  a results.json or a list of '<scenario-id> <stack> <verdict>'\n"
               "                   lines: cells it records as FAIL, CRASH or HANG become XFAIL if\n"
               "                   they still fail and XPASS if they now pass; it replaces any\n"
               "                   baseline the run was judged with (the raw verdicts count)\n"
               "  -q, --quiet      print nothing but errors\n"
               "  -h, --help       show this help\n"
               "\n"
               "exit codes (as for conform; see docs/outcomes.md):\n"
               "  0  no FAIL, CRASH or HANG in the (re-judged) results\n"
               "  1  at least one FAIL, CRASH or HANG\n"
               "  2  usage or input error: bad flag, unreadable results.json or baseline, runs\n"
               "     that cannot be merged\n"
               "  3  the reports could not be written, or --merge lacked shards (the results\n"
               "     are incomplete; the reports are written all the same)\n");
}

/* The results.json that arg names (a run folder or the file itself) and
 * the folder it is in; false after saying why. */
static bool locate_results(const char *arg, char *json_path, size_t json_len, char *src_dir, size_t dir_len) {
    struct stat st;
    if (stat(arg, &st) != 0) {
        fprintf(stderr, "shakedown report: %s: %s\n", arg, strerror(errno));
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(src_dir, dir_len, "%s", arg);
        snprintf(json_path, json_len, "%s/results.json", arg);
    } else {
        snprintf(json_path, json_len, "%s", arg);
        snprintf(src_dir, dir_len, "%s", arg);
        char *slash = strrchr(src_dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(src_dir, dir_len, ".");
    }
    return true;
}

/* --merge: loads every run and joins them into *run. Returns SD_EXIT_OK,
 * or SD_EXIT_USAGE after saying why; *missing_shards is set when the runs
 * lack shards (the merge is made, and says so). */
static int merge_runs(char **args, size_t n, const char *out_dir, sd_report_run *run, bool *missing_shards) {
    sd_report_run *parts = calloc(n, sizeof *parts);
    if (!parts) {
        fprintf(stderr, "shakedown report: out of memory\n");
        return SD_EXIT_HARNESS;
    }
    size_t loaded = 0;
    int rc = SD_EXIT_OK;
    char err[1024] = "", json_path[4096], src_dir[4096];
    for (; loaded < n; loaded++) {
        if (!locate_results(args[loaded], json_path, sizeof json_path, src_dir, sizeof src_dir)) {
            rc = SD_EXIT_USAGE;
            break;
        }
        /* The merged results.json must not replace a run's own record. */
        if (same_file(json_path, out_dir, "results.json")) {
            rc = sd_cli_usage_error(report_cmd,
                                    "--out %s would overwrite the results.json of %s; give another folder",
                                    out_dir, args[loaded]);
            break;
        }
        if (!sd_report_load_json(json_path, &parts[loaded], err, sizeof err)) {
            fprintf(stderr, "shakedown report: %s\n", err);
            rc = SD_EXIT_USAGE;
            break;
        }
    }
    char missing[160] = "";
    if (rc == SD_EXIT_OK && !sd_report_merge(parts, (const char *const *)args, n, run, missing,
                                             sizeof missing, err, sizeof err)) {
        fprintf(stderr, "shakedown report: cannot merge: %s\n", err);
        rc = SD_EXIT_USAGE;
    }
    for (size_t i = 0; i < loaded; i++) sd_report_run_free(&parts[i]);
    free(parts);
    *missing_shards = rc == SD_EXIT_OK && missing[0];
    if (*missing_shards) fprintf(stderr, "shakedown report: the merge is incomplete: %s\n", missing);
    return rc;
}

int sd_cmd_report(int argc, char **argv) {
    enum { OPT_MERGE = 256 };
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},   {"baseline", required_argument, NULL, 'b'},
        {"merge", no_argument, NULL, OPT_MERGE}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *out_dir = NULL, *baseline = NULL;
    bool quiet = false, merge = false;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (!*optarg) return sd_cli_usage_error(report_cmd, "--out needs a directory");
            out_dir = optarg;
            break;
        case 'b':
            baseline = optarg;
            break;
        case OPT_MERGE:
            merge = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            report_usage(stdout);
            return SD_EXIT_OK;
        default:
            return sd_cli_bad_option(report_cmd, c, argv);
        }
    }
    if (merge && argc == optind)
        return sd_cli_usage_error(report_cmd, "--merge needs the run folders to merge");
    if (!merge && argc - optind != 1)
        return sd_cli_usage_error(report_cmd, "give one run folder or results.json");

    sd_report_run run;
    char err[1024] = "", json_path[4096] = "", src_dir[4096];
    bool missing_shards = false;
    if (merge) {
        if (!out_dir) out_dir = "runs/merged";
        int rc = merge_runs(argv + optind, (size_t)(argc - optind), out_dir, &run, &missing_shards);
        if (rc != SD_EXIT_OK) return rc;
    } else {
        if (!locate_results(argv[optind], json_path, sizeof json_path, src_dir, sizeof src_dir))
            return SD_EXIT_USAGE;
        if (!out_dir) out_dir = src_dir;
        if (!sd_report_load_json(json_path, &run, err, sizeof err)) {
            fprintf(stderr, "shakedown report: %s\n", err);
            return SD_EXIT_USAGE;
        }
    }
    size_t expected = 0;
    if (baseline) {
        sd_baseline bl;
        if (!sd_baseline_load(baseline, sd_report_baseline_from_json, &bl, err, sizeof err)) {
            fprintf(stderr, "shakedown report: %s\n", err);
            sd_report_run_free(&run);
            return SD_EXIT_USAGE;
        }
        for (size_t i = 0; i < run.n_scenarios; i++)
            for (size_t k = 0; k < run.n_stacks; k++) undo_baseline(sd_report_cell_at(&run, i, k));
        expected = sd_cli_apply_baseline(&run, &bl);
        sd_baseline_free(&bl);
    }
    if (!sd_make_dirs(out_dir, err, sizeof err)) {
        fprintf(stderr, "shakedown report: %s\n", err);
        sd_report_run_free(&run);
        return SD_EXIT_USAGE;
    }

    bool ok = true;
    /* The run's own results.json stays as the run wrote it. */
    bool keep_json = !merge && same_file(json_path, out_dir, "results.json");
    bool (*writers[])(const sd_report_run *, const char *, char *, size_t) = {
        sd_report_write_json, sd_report_write_junit, sd_report_write_summary_md, sd_report_write_html};
    for (size_t w = keep_json ? 1 : 0; w < sizeof writers / sizeof writers[0]; w++) {
        if (!writers[w](&run, out_dir, err, sizeof err)) {
            fprintf(stderr, "shakedown report: %s\n", err);
            ok = false;
        }
    }
    bool findings = false;
    for (size_t i = 0; i < run.n_scenarios; i++)
        for (size_t k = 0; k < run.n_stacks; k++)
            if (sd_verdict_is_finding(sd_report_cell_at(&run, i, k)->verdict)) findings = true;
    if (!quiet) {
        for (size_t k = 0; k < run.n_stacks; k++) {
            printf("%-12s", run.stacks[k].name);
            for (int v = 0; v < SD_VERDICT_COUNT; v++) {
                size_t n = sd_report_count(&run, k, (sd_verdict)v);
                if (n) printf(" %5zu %s", n, sd_verdict_name((sd_verdict)v));
            }
            printf("\n");
        }
        size_t held = sd_report_cells_held(&run), matrix = run.n_scenarios * run.n_stacks;
        if (merge)
            printf("merged %d runs: %zu of %zu cells\n", argc - optind, held, matrix);
        else if (run.shard_count)
            printf("shard %u/%u: %zu of %zu cells\n", run.shard_index, run.shard_count, held, matrix);
        if (baseline)
            printf("baseline: %zu expected failure%s in %s\n", expected, expected == 1 ? "" : "s", baseline);
        printf("reports: %s/{%sjunit.xml,summary.md,index.html}%s\n", out_dir,
               keep_json ? "" : "results.json,", keep_json ? " (results.json kept as the run wrote it)" : "");
        if (run.incomplete)
            printf("incomplete run: %s\n",
                   run.incomplete_reason[0] ? run.incomplete_reason : "stopped early");
    }
    sd_report_run_free(&run);
    if (!ok || missing_shards) return SD_EXIT_HARNESS;
    return findings ? SD_EXIT_FINDINGS : SD_EXIT_OK;
}
