/* conform.c — `shakedown conform` (run scenarios against stacks and write a
 * run folder), `shakedown list`, and loading scenario files for both.
 *
 * Order of work in conform, so that bad input never costs a partial run:
 * parse flags, load every scenario (any parse error: print them all, exit 2),
 * load the PKI (exit 2), make the run folder, then run scenario × stack,
 * then write the reports and print the table. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* the build defines it too; this is for building alone */
#endif

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "crypto/pki.h"
#include "driver/driver.h"
#include "oracle/oracle.h"
#include "report/report.h"
#include "stacks/shim_target.h"
#include "stacks/tcp_target.h"
#include "trace/generate.h"
#include "wire/names.h"
#include "stacks/stacks.h"

#ifndef SHAKEDOWN_SOURCE_DIR
#define SHAKEDOWN_SOURCE_DIR "."
#endif

/* --- Loading scenarios ---------------------------------------------------- */

/* Appends the generated families (harness/trace/generate.c) whose ids
 * contain filter to set, after the files. An id that a file already uses is
 * an error, as between two files. Returns false after printing why. */
static bool add_generated(const char *cmd, const char *filter, sd_scenario_set *set) {
    sd_generated g;
    char err[2048] = "";
    if (!sd_generate_all(&g, err, sizeof err)) {
        fprintf(stderr, "shakedown %s: %s\n", cmd, err);
        return false;
    }
    bool ok = true;
    sd_scenario *items = realloc(set->items, (set->n + g.n + 1) * sizeof *items);
    if (!items) {
        fprintf(stderr, "shakedown %s: out of memory\n", cmd);
        sd_generated_free(&g);
        return false;
    }
    set->items = items;
    set->cap = set->n + g.n + 1;
    size_t files = set->n;
    for (size_t i = 0; i < g.n; i++) {
        sd_scenario *s = &g.items[i];
        bool keep = !filter || strstr(s->id, filter);
        for (size_t j = 0; keep && j < files; j++) {
            if (strcmp(set->items[j].id, s->id) == 0) {
                fprintf(stderr, "%s: scenario id '%s' is also a generated scenario's (%s)\n", set->items[j].path,
                        s->id, s->path);
                ok = false;
                keep = false;
            }
        }
        if (keep) {
            set->items[set->n++] = *s; /* moved: the set owns it now */
        } else {
            sd_scenario_free(s);
        }
    }
    free(g.items); /* the scenarios themselves were moved or freed */
    return ok;
}

const char *sd_cli_default_scenarios_dir(void) {
    const char *env = getenv("SHAKEDOWN_SCENARIOS_DIR");
    if (env && *env) return env;
    return SHAKEDOWN_SOURCE_DIR "/scenarios";
}

void sd_scenario_set_free(sd_scenario_set *set) {
    for (size_t i = 0; i < set->n; i++) sd_scenario_free(&set->items[i]);
    free(set->items);
    set->items = NULL;
    set->n = set->cap = 0;
}

typedef struct {
    size_t n, cap;
    char **v;
} strlist;

static bool strlist_add(strlist *l, const char *s) {
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 32;
        char **v = realloc(l->v, ncap * sizeof *v);
        if (!v) return false;
        l->v = v;
        l->cap = ncap;
    }
    char *copy = strdup(s);
    if (!copy) return false;
    l->v[l->n++] = copy;
    return true;
}

static void strlist_free(strlist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Collects *.sd files under dir. Symbolic links to directories are not
 * followed (a link loop must not hang the harness); hidden entries are
 * skipped (editor swap files, .git). Returns false after printing an error. */
static bool collect_dir(const char *cmd, const char *dir, int depth, strlist *out) {
    if (depth > 32) {
        fprintf(stderr, "shakedown %s: %s: directories nested too deep\n", cmd, dir);
        return false;
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "shakedown %s: %s: %s\n", cmd, dir, strerror(errno));
        return false;
    }
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        int n = snprintf(path, sizeof path, "%s%s%s", dir, ends_with(dir, "/") ? "" : "/", e->d_name);
        if (n < 0 || (size_t)n >= sizeof path) {
            fprintf(stderr, "shakedown %s: %s/%s: path too long\n", cmd, dir, e->d_name);
            ok = false;
            break;
        }
        struct stat st;
        if (lstat(path, &st) != 0) continue; /* vanished meanwhile */
        if (S_ISDIR(st.st_mode)) {
            ok = collect_dir(cmd, path, depth + 1, out);
        } else if (ends_with(e->d_name, ".sd")) {
            /* A link to a file is fine; stat tells what it points at. */
            if (S_ISLNK(st.st_mode) && (stat(path, &st) != 0 || !S_ISREG(st.st_mode))) continue;
            if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) continue;
            if (!strlist_add(out, path)) {
                fprintf(stderr, "shakedown %s: out of memory\n", cmd);
                ok = false;
            }
        }
    }
    closedir(d);
    return ok;
}

bool sd_cli_load_scenarios(const char *cmd, char **paths, size_t n_paths, const char *filter,
                           sd_scenario_set *out) {
    memset(out, 0, sizeof *out);
    /* argv-style list for the default; a copy because argv is not const. */
    char def[4096];
    snprintf(def, sizeof def, "%s", sd_cli_default_scenarios_dir());
    char *def_path[1] = {def};
    if (n_paths == 0) {
        paths = def_path;
        n_paths = 1;
    }

    strlist files = {0};
    bool ok = true;
    for (size_t i = 0; i < n_paths && ok; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            fprintf(stderr, "shakedown %s: %s: %s\n", cmd, paths[i], strerror(errno));
            ok = false;
        } else if (S_ISDIR(st.st_mode)) {
            size_t first = files.n;
            ok = collect_dir(cmd, paths[i], 0, &files);
            /* Path order is the run order: stable, and related scenarios
             * (one topic per folder) stay together. */
            if (ok) qsort(files.v + first, files.n - first, sizeof *files.v, cmp_str);
        } else if (!strlist_add(&files, paths[i])) {
            fprintf(stderr, "shakedown %s: out of memory\n", cmd);
            ok = false;
        }
    }
    if (ok && files.n == 0) {
        fprintf(stderr, "shakedown %s: no scenario files (*.sd) in", cmd);
        for (size_t i = 0; i < n_paths; i++) fprintf(stderr, " %s", paths[i]);
        fprintf(stderr, "\n");
        ok = false;
    }

    /* Parse them all, even after an error, so one run shows every mistake. */
    size_t n_errors = 0;
    for (size_t i = 0; ok && i < files.n; i++) {
        bool seen = false; /* the same file named twice (a dir and a file in it) */
        for (size_t j = 0; j < i && !seen; j++) seen = strcmp(files.v[i], files.v[j]) == 0;
        if (seen) continue;
        if (out->n == out->cap) {
            size_t ncap = out->cap ? out->cap * 2 : 32;
            sd_scenario *items = realloc(out->items, ncap * sizeof *items);
            if (!items) {
                fprintf(stderr, "shakedown %s: out of memory\n", cmd);
                ok = false;
                break;
            }
            out->items = items;
            out->cap = ncap;
        }
        sd_scenario *s = &out->items[out->n];
        memset(s, 0, sizeof *s);
        char err[600] = "";
        if (!sd_scenario_load(files.v[i], s, err, sizeof err)) {
            /* The parser leaves nothing to free on failure. */
            fprintf(stderr, "%s\n", err[0] ? err : files.v[i]);
            n_errors++;
            continue;
        }
        if (filter && !strstr(s->id, filter)) {
            sd_scenario_free(s);
            continue;
        }
        for (size_t j = 0; j < out->n; j++) {
            if (strcmp(out->items[j].id, s->id) == 0) {
                fprintf(stderr, "%s: duplicate scenario id '%s' (also in %s)\n", files.v[i], s->id,
                        out->items[j].path);
                n_errors++;
                break;
            }
        }
        out->n++;
    }
    if (ok && n_errors) {
        fprintf(stderr, "shakedown %s: %zu error%s in scenario files; nothing was run\n", cmd,
                n_errors, n_errors == 1 ? "" : "s");
        ok = false;
    }
    /* An empty result of the filter is the callers' to judge: the
     * generated families may still match it (require_scenarios). */
    strlist_free(&files);
    if (!ok) sd_scenario_set_free(out);
    return ok;
}

/* After the files and the generated families are in: a filter that matched
 * nothing is a usage error, reported here and not as an empty run. */
static bool require_scenarios(const char *cmd, const char *filter, sd_scenario_set *set) {
    if (set->n > 0) return true;
    fprintf(stderr, "shakedown %s: no scenario id contains '%s'\n", cmd, filter ? filter : "");
    sd_scenario_set_free(set);
    return false;
}

/* --- Shared output helpers ------------------------------------------------------- */

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void expectation_text(const sd_scenario *s, char *buf, size_t len) {
    sd_expectation_describe(s, buf, len);
}

static bool use_color(FILE *f) {
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc) return false;
    const char *term = getenv("TERM");
    if (term && strcmp(term, "dumb") == 0) return false;
    return isatty(fileno(f));
}

static const char *verdict_color(sd_verdict v) {
    switch (v) {
    case SD_VERDICT_PASS: return "\033[32m";
    case SD_VERDICT_SOFT: return "\033[33m";
    case SD_VERDICT_FAIL:
    case SD_VERDICT_CRASH:
    case SD_VERDICT_HANG: return "\033[1;31m";
    case SD_VERDICT_ERROR: return "\033[35m";
    default: return "\033[2m";
    }
}

/* Prints s and pads with spaces to width (by bytes: ids and alert names are
 * ASCII). */
static void print_padded(const char *s, int width) {
    int n = (int)strlen(s);
    fputs(s, stdout);
    if (n < width) printf("%*s", width - n, "");
}

/* --- conform ---------------------------------------------------------------------- */

static const char conform_cmd[] = "conform";

#define MAX_STACKS 16

static void conform_usage(FILE *f) {
    fprintf(f,
            "usage: shakedown conform [options] [SCENARIO_FILE_OR_DIR...]\n"
            "\n"
            "Runs every scenario against every stack, prints a table of verdicts, and\n"
            "writes a run folder with results.json, index.html and summary.md.\n"
            "\n"
            "Scenarios: the files and directories given (directories are searched\n"
            "recursively for *.sd, in path order); by default %s\n"
            "($SHAKEDOWN_SCENARIOS_DIR overrides).\n"
            "\n"
            "options:\n"
            "  --stack NAME     stack to test; repeatable; 'all' is every stack this build has\n"
            "                   (default:",
            sd_cli_default_scenarios_dir());
    for (size_t i = 0; sd_target_names[i]; i++) fprintf(f, "%s%s", i ? ", " : " ", sd_target_names[i]);
    const sd_target_ops *avail[MAX_STACKS];
    size_t n_avail = sd_target_list_available(avail, MAX_STACKS);
    fprintf(f, "; available:");
    for (size_t i = 0; i < n_avail && i < MAX_STACKS; i++) fprintf(f, "%s%s", i ? ", " : " ", avail[i]->name);
    fprintf(f,
            ")\n"
            "  --out DIR        run folder (default: runs/<UTC time>; runs/latest then points at it)\n"
            "  --seed N         seed for the driver and deterministic stacks (default: 1)\n"
            "  --pki DIR        fixture PKI (default: $SHAKEDOWN_PKI_DIR, else %s)\n"
            "  --time UNIX      certificate validation time, seconds since the epoch\n"
            "                   (default: %lld = 2026-01-01T00:00:00Z)\n"
            "  --filter SUBSTR  run only the scenarios whose id contains SUBSTR\n"
            "  --no-generated   leave out the generated families (they run by default\n"
            "                   when no SCENARIO_FILE_OR_DIR is given; see 'shakedown list')\n"
            "  --baseline FILE  expected failures: a results.json of an earlier run, or lines\n"
            "                   '<scenario-id> <stack> <verdict>'; a cell it records as FAIL,\n"
            "                   CRASH or HANG is XFAIL if it still fails, XPASS if it passes\n"
            "                   now, and neither fails the run (gate CI on new failures)\n"
            "  --connect HOST:PORT  test the TLS server listening there (stack 'tcp'; loopback only)\n"
            "  --listen PORT    test a client: listen on 127.0.0.1:PORT (0: any free port) and\n"
            "  --client-cmd CMD start CMD once per scenario; it is split into words like a shell\n"
            "                   would, but run without one; {port} in it becomes the port\n"
            "  --allow-remote   let --connect reach a non-loopback address\n"
            "                   ($SHAKEDOWN_TCP_IDLE_MS: quiet time that ends a read, default 30)\n"
            "  -j N             run N scenario x stack cells at a time, each in its own\n"
            "                   worker process, so a stack that crashes takes only its\n"
            "                   cell with it (default 1; the tcp stack always runs 1)\n"
            "  -v, --verbose    print each result as it comes; twice: also the driver's log of every record\n"
            "  -q, --quiet      print only the totals and the report paths, no progress or table\n"
            "  -h, --help       show this help\n"
            "\n"
            "Verdicts: PASS (the RFC's alert), SOFT (refused, with another alert or a plain\n"
            "close), FAIL (accepted what it must refuse, or the reverse), CRASH, HANG,\n"
            "SKIP, ERROR (the harness failed; never the stack's fault); with --baseline\n"
            "also XFAIL (an expected failure still fails) and XPASS (it passes now).\n"
            "docs/outcomes.md has the full table.\n"
            "\n"
            "The run folder gets results.json, junit.xml, summary.md and index.html.\n"
            "\n"
            "exit codes (for CI):\n"
            "  0  no FAIL, CRASH or HANG (PASS, SOFT, SKIP, XFAIL, XPASS only)\n"
            "  1  at least one FAIL, CRASH or HANG not expected by the baseline\n"
            "  2  usage or input error (bad flag, bad scenario file or baseline, missing PKI);\n"
            "     nothing was run\n"
            "  3  the harness failed during the run (an ERROR cell, -j workers could not start,\n"
            "     or the reports could not be written); takes precedence over 1 since the\n"
            "     results are incomplete\n",
            sd_pki_default_dir(), (long long)SD_PKI_DEFAULT_TIME);
}

/* Error text for the caller; vsnprintf truncates quietly, which is what we
 * want for a message (and keeps -Wformat-truncation out of it). */
static void set_err(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t err_len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

/* mkdir -p. */
static bool make_dirs(const char *path, char *err, size_t err_len) {
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) {
        set_err(err, err_len, "%s: bad directory name", path);
        return false;
    }
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
            set_err(err, err_len, "%s: %s", buf, strerror(errno));
            return false;
        }
        buf[i] = saved;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        set_err(err, err_len, "%s: not a directory", path);
        return false;
    }
    return true;
}

/* Makes runs/<UTC time> (runs/<UTC time>-N if two runs start in the same
 * second) and points runs/latest at it. */
static bool make_default_run_dir(char *out, size_t out_len, char *err, size_t err_len) {
    if (!make_dirs("runs", err, err_len)) return false;
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0) {
        snprintf(stamp, sizeof stamp, "%lld", (long long)t);
    }
    char name[48];
    for (int i = 0;; i++) {
        if (i == 0) {
            snprintf(name, sizeof name, "%s", stamp);
        } else {
            snprintf(name, sizeof name, "%s-%d", stamp, i);
        }
        snprintf(out, out_len, "runs/%s", name);
        if (mkdir(out, 0755) == 0) break;
        if (errno != EEXIST || i >= 999) {
            set_err(err, err_len, "%s: %s", out, strerror(errno));
            return false;
        }
    }
    /* Replace the link atomically: a new link under a temporary name, then
     * rename over the old one. A failure here costs only the convenience. */
    unlink("runs/.latest.tmp");
    if (symlink(name, "runs/.latest.tmp") != 0 || rename("runs/.latest.tmp", "runs/latest") != 0) {
        fprintf(stderr, "shakedown conform: warning: could not update runs/latest: %s\n",
                strerror(errno));
        unlink("runs/.latest.tmp");
    }
    return true;
}


typedef struct {
    const sd_target_ops *ops[MAX_STACKS];
    size_t n;
} stack_list;

static int add_one_stack(stack_list *l, const sd_target_ops *ops) {
    for (size_t i = 0; i < l->n; i++) {
        if (l->ops[i] == ops) return SD_EXIT_OK; /* named twice: run once */
    }
    if (l->n == MAX_STACKS) return sd_cli_usage_error(conform_cmd, "too many stacks (max %d)", MAX_STACKS);
    l->ops[l->n++] = ops;
    return SD_EXIT_OK;
}

static int add_stack(stack_list *l, const char *name) {
    const sd_target_ops *avail[MAX_STACKS];
    size_t n_avail = sd_target_list_available(avail, MAX_STACKS);
    if (n_avail > MAX_STACKS) n_avail = MAX_STACKS;
    if (strcmp(name, "all") == 0) {
        /* Every stack this build can run: in-process, then each built shim. */
        for (size_t i = 0; i < n_avail; i++) {
            int rc = add_one_stack(l, avail[i]);
            if (rc != SD_EXIT_OK) return rc;
        }
        return SD_EXIT_OK;
    }
    const sd_target_ops *ops = sd_target_find(name);
    if (!ops) {
        char known[256] = "";
        size_t pos = 0;
        for (size_t i = 0; i < n_avail && pos < sizeof known; i++) {
            int w = snprintf(known + pos, sizeof known - pos, "%s%s", i ? ", " : "", avail[i]->name);
            if (w < 0) break;
            pos += (size_t)w;
        }
        for (size_t i = 0; sd_shim_targets[i]; i++) {
            if (strcmp(sd_shim_targets[i]->name, name) == 0) {
                return sd_cli_usage_error(conform_cmd,
                                          "stack '%s' is not available: its shim (shakedown-shim-%s) was not "
                                          "built; install its dev package (scripts/install-deps.sh) and rebuild "
                                          "(available: %s, all)",
                                          name, name, known);
            }
        }
        return sd_cli_usage_error(conform_cmd, "unknown stack '%s' (available: %s, all)", name, known);
    }
    return add_one_stack(l, ops);
}

/* The driver reports a create() failure as a harness error, "cannot
 * configure STACK: REASON". When REASON starts with "unsupported:" the stack
 * lacks the feature the scenario needs (say, TLS 1.3 on mbedTLS 2.28): that is
 * SKIP with the reason, never ERROR. Returns true and the reason if so. */
static bool conform_outcome_unsupported(const sd_outcome *o, char *reason, size_t reason_len) {
    if (o->kind != SD_OUTCOME_HARNESS_ERROR) return false;
    const char *p = strstr(o->detail, ": " SD_TARGET_UNSUPPORTED_PREFIX);
    if (!p || strncmp(o->detail, "cannot configure ", strlen("cannot configure ")) != 0) return false;
    p += 2 + strlen(SD_TARGET_UNSUPPORTED_PREFIX);
    while (*p == ' ') p++;
    snprintf(reason, reason_len, "%s", p);
    /* The driver appends the stack's own status in brackets; not part of the reason. */
    char *bracket = strstr(reason, " [");
    if (bracket) *bracket = '\0';
    return true;
}

typedef struct {
    stack_list stacks;
    const char *out_dir;
    uint64_t seed;
    const char *pki_dir;
    int64_t now;
    const char *filter;
    sd_tcp_options tcp;
    bool use_tcp;
    int verbose;
    bool quiet;
    bool no_generated; /* --no-generated: only the scenario files */
    const char *baseline; /* --baseline FILE */
    unsigned jobs;        /* -j N: cells run in N worker processes */
} conform_opts;

/* The per-scenario table on stdout. */
static void print_table(const sd_report_run *run, const sd_scenario_set *set, bool color) {
    int id_w = (int)strlen("scenario"), exp_w = (int)strlen("expected");
    int col_w[MAX_STACKS];
    for (size_t k = 0; k < run->n_stacks; k++) col_w[k] = (int)strlen(run->stacks[k].name);
    for (size_t i = 0; i < run->n_scenarios; i++) {
        char e[80];
        expectation_text(&set->items[i], e, sizeof e);
        if ((int)strlen(set->items[i].id) > id_w) id_w = (int)strlen(set->items[i].id);
        if ((int)strlen(e) > exp_w) exp_w = (int)strlen(e);
        for (size_t k = 0; k < run->n_stacks; k++) {
            const sd_report_cell *c = sd_report_cell_at(run, i, k);
            char obs[64];
            sd_report_observed_short(&c->outcome, obs, sizeof obs);
            /* A SKIP's outcome is the refused create(); say why instead. */
            if (c->verdict == SD_VERDICT_SKIP) snprintf(obs, sizeof obs, "unsupported");
            int w = (int)(strlen(sd_verdict_name(c->verdict)) + 1 + strlen(obs));
            if (w > col_w[k]) col_w[k] = w;
        }
    }
    print_padded("scenario", id_w + 2);
    print_padded("expected", exp_w + 2);
    for (size_t k = 0; k < run->n_stacks; k++) {
        print_padded(run->stacks[k].name, k + 1 < run->n_stacks ? col_w[k] + 2 : 0);
    }
    putchar('\n');
    for (size_t i = 0; i < run->n_scenarios; i++) {
        char e[80];
        expectation_text(&set->items[i], e, sizeof e);
        print_padded(set->items[i].id, id_w + 2);
        print_padded(e, exp_w + 2);
        for (size_t k = 0; k < run->n_stacks; k++) {
            const sd_report_cell *c = sd_report_cell_at(run, i, k);
            char obs[64];
            sd_report_observed_short(&c->outcome, obs, sizeof obs);
            /* A SKIP's outcome is the refused create(); say why instead. */
            if (c->verdict == SD_VERDICT_SKIP) snprintf(obs, sizeof obs, "unsupported");
            if (!c->ran) snprintf(obs, sizeof obs, "not run");
            const char *vn = sd_verdict_name(c->verdict);
            if (color) {
                printf("%s%s\033[0m", verdict_color(c->verdict), vn);
            } else {
                fputs(vn, stdout);
            }
            putchar(' ');
            int used = (int)(strlen(vn) + 1);
            print_padded(obs, k + 1 < run->n_stacks ? col_w[k] + 2 - used : 0);
        }
        putchar('\n');
    }
}

static void print_totals(const sd_report_run *run, bool color) {
    int name_w = 0;
    for (size_t k = 0; k < run->n_stacks; k++) {
        if ((int)strlen(run->stacks[k].name) > name_w) name_w = (int)strlen(run->stacks[k].name);
    }
    /* Always the main four columns; the others when any stack has one, the
     * same columns for every stack so they line up. */
    bool show[SD_VERDICT_COUNT];
    for (int v = 0; v < SD_VERDICT_COUNT; v++) {
        show[v] = v == SD_VERDICT_PASS || v == SD_VERDICT_SOFT || v == SD_VERDICT_FAIL ||
                  v == SD_VERDICT_CRASH;
        for (size_t k = 0; k < run->n_stacks && !show[v]; k++) {
            show[v] = sd_report_count(run, k, (sd_verdict)v) > 0;
        }
    }
    for (size_t k = 0; k < run->n_stacks; k++) {
        print_padded(run->stacks[k].name, name_w + 2);
        for (int v = 0; v < SD_VERDICT_COUNT; v++) {
            if (!show[v]) continue;
            size_t n = sd_report_count(run, k, (sd_verdict)v);
            if (color && n) {
                printf("%s%4zu %s\033[0m  ", verdict_color((sd_verdict)v), n, sd_verdict_name((sd_verdict)v));
            } else {
                printf("%4zu %s  ", n, sd_verdict_name((sd_verdict)v));
            }
        }
        printf("%8.1f ms  %s\n", run->stacks[k].elapsed_ms, run->stacks[k].version);
    }
}

/* --- Running the cells -------------------------------------------------------
 * One cell is one scenario against one stack. Sequentially, the cells run in
 * this process. With -j N they run in N forked worker processes, cell c in
 * worker c % N, each finished cell written back whole over a pipe (the cell
 * is plain data: no pointers). Forking rather than threads because the
 * in-process stacks are not known to be thread-safe and, above all, because
 * a stack that crashes then kills only its worker: the parent records that
 * cell as CRASH and starts a new worker for the rest of its share. */

typedef struct {
    const sd_scenario_set *set;
    const conform_opts *o;
    const sd_pki *pki;
    sd_report_run *run;
    size_t n_stacks, total, done;
    bool progress, color_err;
} cell_runner;

static void run_cell(const cell_runner *cr, size_t c, sd_report_cell *cell) {
    const sd_scenario *s = &cr->set->items[c / cr->n_stacks];
    const sd_target_ops *ops = cr->o->stacks.ops[c % cr->n_stacks];
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, ops, s->role, cr->pki);
    sd_run_config_apply_scenario(&cfg, s);
    cfg.now = cr->o->now;
    cfg.seed = cr->o->seed;
    cfg.verbose = cr->o->verbose >= 2;
    memset(cell, 0, sizeof *cell);
    sd_outcome_init(&cell->outcome);
    double c0 = now_ms();
    sd_driver_run(&s->trace, &cfg, &cell->outcome);
    cell->elapsed_ms = now_ms() - c0;
    cell->ran = true;
    cell->verdict = sd_classify(s, &cell->outcome, cell->why, sizeof cell->why);
    if (conform_outcome_unsupported(&cell->outcome, cell->why, sizeof cell->why)) cell->verdict = SD_VERDICT_SKIP;
}

/* A cell is finished: progress line on a terminal, or the -v line. */
static void cell_finished(cell_runner *cr, size_t c) {
    cr->done++;
    const sd_scenario *s = &cr->set->items[c / cr->n_stacks];
    const char *stack = cr->o->stacks.ops[c % cr->n_stacks]->name;
    if (cr->progress) {
        fprintf(stderr, "\r\033[K[%zu/%zu] %s ... %s", cr->done, cr->total, s->id, stack);
        fflush(stderr);
    }
    if (cr->o->verbose) {
        const sd_report_cell *cell = sd_report_cell_at(cr->run, c / cr->n_stacks, c % cr->n_stacks);
        char obs[300];
        sd_outcome_describe(&cell->outcome, obs, sizeof obs);
        fprintf(stderr, "[%zu/%zu] %s %s: %s%s%s %s%s%s\n", cr->done, cr->total, s->id, stack,
                cr->color_err ? verdict_color(cell->verdict) : "", sd_verdict_name(cell->verdict),
                cr->color_err ? "\033[0m" : "", obs, cell->why[0] ? " -- " : "", cell->why);
    }
}

typedef struct {
    uint64_t index;
    sd_report_cell cell;
} cell_message;

typedef struct {
    pid_t pid;
    int fd;
    size_t next;   /* the next cell this worker will report */
    size_t got;    /* bytes of the current message read so far */
    cell_message msg;
} worker;

static bool write_all(int fd, const void *p, size_t n) {
    const char *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

/* Starts a worker for cells first, first + stride, ... Returns false if
 * the system refused (no process or pipe). */
static bool start_worker(const cell_runner *cr, worker *w, size_t first, size_t stride) {
    int fds[2];
    if (pipe(fds) != 0) return false;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return false;
    }
    if (pid == 0) {
        close(fds[0]);
        for (size_t c = first; c < cr->total; c += stride) {
            cell_message m;
            memset(&m, 0, sizeof m);
            m.index = c;
            run_cell(cr, c, &m.cell);
            if (!write_all(fds[1], &m, sizeof m)) _exit(SD_EXIT_HARNESS);
        }
        _exit(SD_EXIT_OK);
    }
    close(fds[1]);
    w->pid = pid;
    w->fd = fds[0];
    w->next = first;
    w->got = 0;
    return true;
}

/* The worker died before reporting cell w->next: that cell crashed the
 * process (a stack in-process: its CRASH) unless the worker exited on its
 * own, which is the harness's failure (ERROR). */
static void record_dead_cell(cell_runner *cr, const worker *w, int status) {
    sd_report_cell *cell = sd_report_cell_at(cr->run, w->next / cr->n_stacks, w->next % cr->n_stacks);
    memset(cell, 0, sizeof *cell);
    sd_outcome_init(&cell->outcome);
    cell->ran = true;
    if (WIFSIGNALED(status)) {
        cell->outcome.kind = SD_OUTCOME_CRASH;
        cell->verdict = SD_VERDICT_CRASH;
        snprintf(cell->outcome.detail, sizeof cell->outcome.detail, "the worker running this cell died of signal %d",
                 WTERMSIG(status));
    } else {
        cell->outcome.kind = SD_OUTCOME_HARNESS_ERROR;
        cell->verdict = SD_VERDICT_ERROR;
        snprintf(cell->outcome.detail, sizeof cell->outcome.detail,
                 "the worker running this cell exited with status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    snprintf(cell->why, sizeof cell->why, "%s", cell->outcome.detail);
}

static bool run_parallel(cell_runner *cr, size_t jobs) {
    worker *ws = calloc(jobs, sizeof *ws);
    struct pollfd *pfd = calloc(jobs, sizeof *pfd);
    if (!ws || !pfd) {
        free(ws);
        free(pfd);
        return false;
    }
    bool ok = true;
    size_t live = 0;
    for (size_t w = 0; w < jobs; w++) {
        ws[w].fd = -1;
        if (!start_worker(cr, &ws[w], w, jobs)) {
            ok = false;
            break;
        }
        live++;
    }
    while (ok && live > 0) {
        for (size_t w = 0; w < jobs; w++) {
            pfd[w].fd = ws[w].fd;
            pfd[w].events = POLLIN;
            pfd[w].revents = 0;
        }
        if (poll(pfd, jobs, -1) < 0) {
            if (errno == EINTR) continue;
            ok = false;
            break;
        }
        for (size_t w = 0; w < jobs && ok; w++) {
            if (ws[w].fd < 0 || !(pfd[w].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            worker *wk = &ws[w];
            ssize_t n = read(wk->fd, (char *)&wk->msg + wk->got, sizeof wk->msg - wk->got);
            if (n < 0 && errno == EINTR) continue;
            if (n > 0) {
                wk->got += (size_t)n;
                if (wk->got < sizeof wk->msg) continue;
                wk->got = 0;
                size_t c = (size_t)wk->msg.index;
                if (c != wk->next) { /* a worker only ever sends its cells, in order */
                    ok = false;
                    break;
                }
                *sd_report_cell_at(cr->run, c / cr->n_stacks, c % cr->n_stacks) = wk->msg.cell;
                wk->next = c + jobs;
                cell_finished(cr, c);
                continue;
            }
            /* End of the pipe: the worker is done, or died mid-cell. */
            close(wk->fd);
            wk->fd = -1;
            live--;
            int status = 0;
            while (waitpid(wk->pid, &status, 0) < 0 && errno == EINTR) {
            }
            if (wk->next < cr->total) {
                record_dead_cell(cr, wk, status);
                size_t dead = wk->next;
                cell_finished(cr, dead);
                if (dead + jobs < cr->total) {
                    if (!start_worker(cr, wk, dead + jobs, jobs)) ok = false;
                    else live++;
                }
            }
        }
    }
    /* On a failure of our own, stop the workers we started; they are ours. */
    for (size_t w = 0; w < jobs; w++) {
        if (ws[w].fd < 0) continue;
        kill(ws[w].pid, SIGKILL);
        close(ws[w].fd);
        while (waitpid(ws[w].pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    free(ws);
    free(pfd);
    return ok;
}

static int conform_parse(int argc, char **argv, conform_opts *o, int *first_pos) {
    enum { OPT_STACK = 256, OPT_OUT, OPT_SEED, OPT_PKI, OPT_TIME, OPT_FILTER, OPT_CONNECT, OPT_LISTEN,
           OPT_CLIENT_CMD, OPT_ALLOW_REMOTE, OPT_NO_GENERATED,
           OPT_BASELINE };
    static const struct option longopts[] = {
        {"stack", required_argument, NULL, OPT_STACK},
        {"out", required_argument, NULL, OPT_OUT},
        {"seed", required_argument, NULL, OPT_SEED},
        {"pki", required_argument, NULL, OPT_PKI},
        {"time", required_argument, NULL, OPT_TIME},
        {"filter", required_argument, NULL, OPT_FILTER},
        {"connect", required_argument, NULL, OPT_CONNECT},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"client-cmd", required_argument, NULL, OPT_CLIENT_CMD},
        {"allow-remote", no_argument, NULL, OPT_ALLOW_REMOTE},
        {"no-generated", no_argument, NULL, OPT_NO_GENERATED},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"jobs", required_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->tcp.listen_port = -1;
    o->seed = 1;
    o->now = SD_PKI_DEFAULT_TIME;
    opterr = 0;
    optind = 1;
    int c, rc;
    while ((c = getopt_long(argc, argv, ":j:vqh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_STACK:
            if ((rc = add_stack(&o->stacks, optarg)) != SD_EXIT_OK) return rc;
            break;
        case OPT_OUT:
            if (!*optarg) return sd_cli_usage_error(conform_cmd, "--out needs a directory");
            o->out_dir = optarg;
            break;
        case OPT_SEED:
            if (!sd_cli_parse_u64(optarg, &o->seed)) {
                return sd_cli_usage_error(conform_cmd, "--seed wants a number from 0 to 2^64-1, not '%s'", optarg);
            }
            break;
        case OPT_PKI:
            if (!*optarg) return sd_cli_usage_error(conform_cmd, "--pki needs a directory");
            o->pki_dir = optarg;
            break;
        case OPT_TIME:
            if (!sd_cli_parse_i64(optarg, &o->now)) {
                return sd_cli_usage_error(conform_cmd, "--time wants seconds since the epoch, not '%s'", optarg);
            }
            break;
        case OPT_FILTER: o->filter = optarg; break;
        case OPT_NO_GENERATED: o->no_generated = true; break;
        case OPT_BASELINE:
            if (!*optarg) return sd_cli_usage_error(conform_cmd, "--baseline needs a file");
            o->baseline = optarg;
            break;
        case OPT_CONNECT: o->tcp.connect = optarg; o->use_tcp = true; break;
        case OPT_LISTEN: {
            uint64_t port;
            if (!sd_cli_parse_u64(optarg, &port) || port > 65535) {
                return sd_cli_usage_error(conform_cmd, "--listen wants a port from 0 to 65535, not '%s'", optarg);
            }
            o->tcp.listen_port = (int)port;
            o->use_tcp = true;
            break;
        }
        case OPT_CLIENT_CMD: o->tcp.client_cmd = optarg; break;
        case OPT_ALLOW_REMOTE: o->tcp.allow_remote = true; break;
        case 'j': {
            uint64_t j;
            if (!sd_cli_parse_u64(optarg, &j) || j == 0 || j > 4096) {
                return sd_cli_usage_error(conform_cmd, "-j wants a number of jobs from 1 to 4096, not '%s'", optarg);
            }
            o->jobs = (unsigned)j;
            break;
        }
        case 'v': o->verbose++; break;
        case 'q': o->quiet = true; break;
        case 'h': conform_usage(stdout); return -1;
        default: return sd_cli_bad_option(conform_cmd, c, argv);
        }
    }
    if (o->quiet && o->verbose) return sd_cli_usage_error(conform_cmd, "-q and -v contradict each other");
    if (o->tcp.client_cmd && o->tcp.listen_port < 0) {
        return sd_cli_usage_error(conform_cmd, "--client-cmd needs --listen PORT");
    }
    if (o->use_tcp) {
        /* A stack on a port: checked and bound now, so a bad address or a
         * busy port is a usage error before anything runs. */
        const char *idle = getenv("SHAKEDOWN_TCP_IDLE_MS");
        uint64_t idle_ms = 0;
        if (idle && *idle && (!sd_cli_parse_u64(idle, &idle_ms) || idle_ms == 0 || idle_ms > 60000)) {
            return sd_cli_usage_error(conform_cmd, "$SHAKEDOWN_TCP_IDLE_MS wants 1..60000 ms, not '%s'", idle);
        }
        o->tcp.idle_ms = (int)idle_ms;
        char err[512];
        if (!sd_tcp_setup(&o->tcp, err, sizeof err)) return sd_cli_usage_error(conform_cmd, "%s", err);
        if ((rc = add_one_stack(&o->stacks, &sd_target_tcp)) != SD_EXIT_OK) return rc;
    }
    if (o->stacks.n == 0) {
        for (size_t i = 0; sd_target_names[i]; i++) {
            if ((rc = add_stack(&o->stacks, sd_target_names[i])) != SD_EXIT_OK) return rc;
        }
    }
    *first_pos = optind;
    return SD_EXIT_OK;
}

int sd_cmd_conform(int argc, char **argv) {
    conform_opts o;
    int first_pos = argc;
    int rc = conform_parse(argc, argv, &o, &first_pos);
    if (rc < 0) return SD_EXIT_OK; /* --help */
    if (rc != SD_EXIT_OK) return rc;
    if (o.stacks.n == 0) return sd_cli_usage_error(conform_cmd, "no stacks to run");
    if (o.baseline) {
        /* A bad baseline is bad input: found before anything runs. */
        sd_report_run probe;
        char berr[1024] = "";
        bool bok = sd_report_run_init(&probe, 0, 0) && sd_report_apply_baseline(&probe, o.baseline, NULL, berr, sizeof berr);
        sd_report_run_free(&probe);
        if (!bok) {
            fprintf(stderr, "shakedown conform: %s\n", berr[0] ? berr : "out of memory");
            return SD_EXIT_USAGE;
        }
    }

    sd_scenario_set set;
    if (!sd_cli_load_scenarios(conform_cmd, argv + first_pos, (size_t)(argc - first_pos), o.filter, &set)) {
        return SD_EXIT_USAGE;
    }
    /* The generated families join the default set (no paths given). */
    if (first_pos == argc && !o.no_generated && !add_generated(conform_cmd, o.filter, &set)) {
        sd_scenario_set_free(&set);
        return SD_EXIT_USAGE;
    }
    if (!require_scenarios(conform_cmd, o.filter, &set)) return SD_EXIT_USAGE;

    sd_pki *pki = calloc(1, sizeof *pki);
    char err[1024] = "";
    const char *pki_dir = o.pki_dir ? o.pki_dir : sd_pki_default_dir();
    if (!pki) {
        fprintf(stderr, "shakedown conform: out of memory\n");
        sd_scenario_set_free(&set);
        return SD_EXIT_HARNESS;
    }
    if (!sd_pki_load(pki, pki_dir, err, sizeof err)) {
        fprintf(stderr,
                "shakedown conform: cannot load the fixture PKI from %s: %s\n"
                "(it is made by the build; point --pki or $SHAKEDOWN_PKI_DIR at it)\n",
                pki_dir, err);
        free(pki);
        sd_scenario_set_free(&set);
        return SD_EXIT_USAGE;
    }
    /* A credential name that is not in the PKI is a mistake in the scenario
     * file, so it is reported now, as input, not later as a harness error. */
    size_t bad_cred = 0;
    for (size_t i = 0; i < set.n; i++) {
        if (set.items[i].credential[0] && !sd_pki_find(pki, set.items[i].credential)) {
            fprintf(stderr, "%s: credential '%s' is not in the fixture PKI (%s)\n", set.items[i].path,
                    set.items[i].credential, pki_dir);
            bad_cred++;
        }
    }
    if (bad_cred) {
        sd_pki_free(pki);
        free(pki);
        sd_scenario_set_free(&set);
        return SD_EXIT_USAGE;
    }

    char out_dir[4096];
    if (o.out_dir) {
        snprintf(out_dir, sizeof out_dir, "%s", o.out_dir);
        if (!make_dirs(out_dir, err, sizeof err)) {
            fprintf(stderr, "shakedown conform: cannot make the run folder: %s\n", err);
            sd_pki_free(pki);
            free(pki);
            sd_scenario_set_free(&set);
            return SD_EXIT_USAGE;
        }
    } else if (!make_default_run_dir(out_dir, sizeof out_dir, err, sizeof err)) {
        fprintf(stderr, "shakedown conform: cannot make the run folder: %s\n", err);
        sd_pki_free(pki);
        free(pki);
        sd_scenario_set_free(&set);
        return SD_EXIT_USAGE;
    }

    sd_report_run run;
    if (!sd_report_run_init(&run, set.n, o.stacks.n)) {
        fprintf(stderr, "shakedown conform: out of memory\n");
        sd_pki_free(pki);
        free(pki);
        sd_scenario_set_free(&set);
        return SD_EXIT_HARNESS;
    }
    run.seed = o.seed;
    run.validation_time = o.now;
    for (size_t k = 0; k < o.stacks.n; k++) {
        snprintf(run.stacks[k].name, sizeof run.stacks[k].name, "%s", o.stacks.ops[k]->name);
        const char *ver = o.stacks.ops[k]->version ? o.stacks.ops[k]->version() : NULL;
        snprintf(run.stacks[k].version, sizeof run.stacks[k].version, "%s", ver ? ver : "");
    }
    for (size_t i = 0; i < set.n; i++) sd_report_scenario_set(&run.scenarios[i], &set.items[i]);

    bool progress = !o.quiet && o.verbose == 0 && isatty(STDERR_FILENO);
    cell_runner cr = {.set = &set, .o = &o, .pki = pki, .run = &run, .n_stacks = o.stacks.n,
                      .total = set.n * o.stacks.n, .progress = progress, .color_err = use_color(stderr)};
    /* The tcp stack is one port and one peer at a time: never in parallel. */
    size_t jobs = o.jobs > 1 && !o.use_tcp ? o.jobs : 1;
    if (jobs > cr.total) jobs = cr.total ? cr.total : 1;
    double t0 = now_ms();
    bool parallel_ok = true;
    if (jobs <= 1) {
        for (size_t c = 0; c < cr.total; c++) {
            run_cell(&cr, c, sd_report_cell_at(&run, c / cr.n_stacks, c % cr.n_stacks));
            cell_finished(&cr, c);
        }
    } else {
        parallel_ok = run_parallel(&cr, jobs);
        if (!parallel_ok) fprintf(stderr, "shakedown conform: cannot run workers: %s\n", strerror(errno));
    }
    for (size_t i = 0; i < set.n; i++)
        for (size_t k = 0; k < o.stacks.n; k++) run.stacks[k].elapsed_ms += sd_report_cell_at(&run, i, k)->elapsed_ms;
    run.elapsed_ms = now_ms() - t0;
    if (o.baseline) {
        char berr[1024] = "";
        if (!sd_report_apply_baseline(&run, o.baseline, NULL, berr, sizeof berr))
            fprintf(stderr, "shakedown conform: %s\n", berr); /* it read fine before the run; now it did not */
    }
    if (progress) fprintf(stderr, "\r\033[K");

    bool write_ok = true;
    char json_err[1024] = "", html_err[1024] = "", md_err[1024] = "";
    if (!sd_report_write_json(&run, out_dir, json_err, sizeof json_err)) {
        fprintf(stderr, "shakedown conform: %s\n", json_err);
        write_ok = false;
    }
    if (!sd_report_write_html(&run, out_dir, html_err, sizeof html_err)) {
        fprintf(stderr, "shakedown conform: %s\n", html_err);
        write_ok = false;
    }
    if (!sd_report_write_summary_md(&run, out_dir, md_err, sizeof md_err)) {
        fprintf(stderr, "shakedown conform: %s\n", md_err);
        write_ok = false;
    }
    if (!sd_report_write_junit(&run, out_dir, md_err, sizeof md_err)) {
        fprintf(stderr, "shakedown conform: %s\n", md_err);
        write_ok = false;
    }

    bool color = use_color(stdout);
    if (!o.quiet) {
        print_table(&run, &set, color);
        putchar('\n');
    }
    print_totals(&run, color);
    printf("\nresults: %s/results.json\nreport:  %s/index.html\nsummary: %s/summary.md\njunit:   %s/junit.xml\n",
           out_dir, out_dir, out_dir, out_dir);

    bool findings = false, harness_errors = false;
    for (size_t i = 0; i < set.n; i++) {
        for (size_t k = 0; k < o.stacks.n; k++) {
            sd_verdict v = sd_report_cell_at(&run, i, k)->verdict;
            if (sd_verdict_is_finding(v)) findings = true;
            if (v == SD_VERDICT_ERROR) harness_errors = true;
        }
    }
    if (harness_errors) {
        fprintf(stderr, "shakedown conform: the harness failed in some runs (ERROR); see the report\n");
    }
    sd_report_run_free(&run);
    sd_tcp_teardown();
    sd_pki_free(pki);
    free(pki);
    sd_scenario_set_free(&set);
    if (harness_errors || !write_ok || !parallel_ok) return SD_EXIT_HARNESS;
    return findings ? SD_EXIT_FINDINGS : SD_EXIT_OK;
}

/* --- list -------------------------------------------------------------------------- */

static const char list_cmd[] = "list";

static void list_usage(FILE *f) {
    fprintf(f,
            "usage: shakedown list [options] [SCENARIO_FILE_OR_DIR...]\n"
            "\n"
            "Lists the scenarios (id, role under test, expected outcome, tags, title),\n"
            "then how many there are per family, per role and per tag. Scenarios are\n"
            "found as for 'shakedown conform': by default the files in %s\n"
            "and the generated families.\n"
            "\n"
            "options:\n"
            "  --filter SUBSTR  only the scenarios whose id contains SUBSTR\n"
            "  --no-generated   leave out the generated families\n"
            "  --counts         print only the counts\n"
            "  -h, --help       show this help\n"
            "\n"
            "exit codes: 0 listed; 2 usage error or a bad scenario file.\n",
            sd_cli_default_scenarios_dir());
}

typedef struct {
    const char *tag;
    size_t n;
} tag_count;

static int cmp_tag(const void *a, const void *b) {
    return strcmp(((const tag_count *)a)->tag, ((const tag_count *)b)->tag);
}

int sd_cmd_list(int argc, char **argv) {
    enum { OPT_FILTER = 256, OPT_NO_GENERATED, OPT_COUNTS };
    static const struct option longopts[] = {
        {"filter", required_argument, NULL, OPT_FILTER},
        {"no-generated", no_argument, NULL, OPT_NO_GENERATED},
        {"counts", no_argument, NULL, OPT_COUNTS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *filter = NULL;
    bool no_generated = false, only_counts = false;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_FILTER: filter = optarg; break;
        case OPT_NO_GENERATED: no_generated = true; break;
        case OPT_COUNTS: only_counts = true; break;
        case 'h': list_usage(stdout); return SD_EXIT_OK;
        default: return sd_cli_bad_option(list_cmd, c, argv);
        }
    }
    sd_scenario_set set;
    if (!sd_cli_load_scenarios(list_cmd, argv + optind, (size_t)(argc - optind), filter, &set)) {
        return SD_EXIT_USAGE;
    }
    if (optind == argc && !no_generated && !add_generated(list_cmd, filter, &set)) {
        sd_scenario_set_free(&set);
        return SD_EXIT_USAGE;
    }
    if (!require_scenarios(list_cmd, filter, &set)) return SD_EXIT_USAGE;

    int id_w = 2, exp_w = 8, tag_w = 4;
    char (*exp)[80] = calloc(set.n, sizeof *exp);
    char (*tags)[SD_MAX_TAGS * 33] = calloc(set.n, sizeof *tags);
    tag_count *counts = calloc(set.n * SD_MAX_TAGS + 1, sizeof *counts);
    if (!exp || !tags || !counts) {
        free(exp);
        free(tags);
        free(counts);
        sd_scenario_set_free(&set);
        fprintf(stderr, "shakedown list: out of memory\n");
        return SD_EXIT_HARNESS;
    }
    size_t n_counts = 0, n_client = 0;
    for (size_t i = 0; i < set.n; i++) {
        const sd_scenario *s = &set.items[i];
        expectation_text(s, exp[i], sizeof exp[i]);
        size_t pos = 0;
        for (size_t t = 0; t < s->n_tags && t < SD_MAX_TAGS; t++) {
            int w = snprintf(tags[i] + pos, sizeof tags[i] - pos, "%s%s", t ? "," : "", s->tags[t]);
            if (w > 0) pos += (size_t)w;
            if (pos >= sizeof tags[i]) pos = sizeof tags[i] - 1;
            size_t j = 0;
            while (j < n_counts && strcmp(counts[j].tag, s->tags[t]) != 0) j++;
            if (j == n_counts) counts[n_counts++].tag = s->tags[t];
            counts[j].n++;
        }
        if (s->role == SD_ROLE_CLIENT) n_client++;
        if ((int)strlen(s->id) > id_w) id_w = (int)strlen(s->id);
        if ((int)strlen(exp[i]) > exp_w) exp_w = (int)strlen(exp[i]);
        if ((int)strlen(tags[i]) > tag_w) tag_w = (int)strlen(tags[i]);
    }
    if (!only_counts) {
        print_padded("id", id_w + 2);
        print_padded("role", 8);
        print_padded("expected", exp_w + 2);
        print_padded("tags", tag_w + 2);
        printf("title\n");
    }
    for (size_t i = 0; i < set.n && !only_counts; i++) {
        const sd_scenario *s = &set.items[i];
        print_padded(s->id, id_w + 2);
        print_padded(sd_role_name(s->role), 8);
        print_padded(exp[i], exp_w + 2);
        print_padded(tags[i], tag_w + 2);
        printf("%s\n", s->title);
    }
    qsort(counts, n_counts, sizeof *counts, cmp_tag);
    printf("%s%zu scenario%s: %zu with the stack as server, %zu as client\n", only_counts ? "" : "\n", set.n,
           set.n == 1 ? "" : "s", set.n - n_client, n_client);
    /* Per family: the hand-written files, then each generated family. */
    printf("per family:%*s%8s %8s %8s %8s %8s\n", 19, "", "total", "server", "client", "tls13", "tls12");
    for (size_t f = 0; f <= sd_n_generated_families; f++) {
        const char *fam = f == 0 ? NULL : sd_generated_families[f - 1].name;
        size_t n_fam = 0, n_fam_client = 0, n_fam_tls12 = 0;
        for (size_t i = 0; i < set.n; i++) {
            const char *sf = sd_generated_family_of(&set.items[i]);
            if ((fam == NULL) != (sf == NULL) || (fam && strcmp(fam, sf) != 0)) continue;
            n_fam++;
            if (set.items[i].role == SD_ROLE_CLIENT) n_fam_client++;
            if (set.items[i].version == SD_TLS12) n_fam_tls12++;
        }
        printf("  %-28s %8zu %8zu %8zu %8zu %8zu%s%s\n", fam ? fam : "scenario files", n_fam, n_fam - n_fam_client,
               n_fam_client, n_fam - n_fam_tls12, n_fam_tls12, fam ? "  " : "",
               fam ? sd_generated_families[f - 1].summary : "");
    }
    if (n_counts) {
        printf("per tag:\n");
        for (size_t j = 0; j < n_counts; j++) printf("  %-24s %zu\n", counts[j].tag, counts[j].n);
    }
    free(exp);
    free(tags);
    free(counts);
    sd_scenario_set_free(&set);
    return SD_EXIT_OK;
}
