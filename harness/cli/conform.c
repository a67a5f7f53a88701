/* conform.c — `shakedown conform` (run scenarios against stacks and write a
 * run folder) and `shakedown list`. The scenarios come from
 * run/scenario_set.h, the cells run in run/cells.h, the baseline is the
 * oracle's (oracle/baseline.h); here are the flags, the progress and the
 * table on the terminal, and the calls that write the reports.
 *
 * Order of work in conform, so that bad input never costs a partial run:
 * parse flags, read the baseline, load every scenario (any parse error:
 * print them all, exit 2), load the PKI (exit 2), make the run folder, then
 * run scenario × stack, then write the reports and print the table. */
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "crypto/pki.h"
#include "oracle/baseline.h"
#include "oracle/oracle.h"
#include "report/report.h"
#include "run/cells.h"
#include "run/scenario_set.h"
#include "stacks/shim_target.h"
#include "stacks/stacks.h"
#include "run/probe.h"
#include "stacks/tcp_target.h"
#include "trace/generate.h"
#include "wire/names.h"
#include "util/util.h"

/* --- Shared output helpers ------------------------------------------------------- */

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
    case SD_VERDICT_PASS:
        return "\033[32m";
    case SD_VERDICT_SOFT:
        return "\033[33m";
    case SD_VERDICT_FAIL:
    case SD_VERDICT_CRASH:
    case SD_VERDICT_HANG:
        return "\033[1;31m";
    case SD_VERDICT_ERROR:
        return "\033[35m";
    default:
        return "\033[2m";
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
            sd_default_scenarios_dir());
    for (size_t i = 0; sd_target_names[i]; i++) fprintf(f, "%s%s", i ? ", " : " ", sd_target_names[i]);
    const sd_target_ops *avail[MAX_STACKS];
    size_t n_avail = sd_target_list_available(avail, MAX_STACKS);
    fprintf(f, "; available:");
    for (size_t i = 0; i < n_avail && i < MAX_STACKS; i++) fprintf(f, "%s%s", i ? ", " : " ", avail[i]->name);
    fprintf(f,
            ")\n"
            "  --out DIR        run folder (default: runs/<UTC time>; runs/latest points at it\n"
            "                   once the run has finished); an existing folder that is not\n"
            "                   empty is refused, so an earlier run is never overwritten\n"
            "  --force          write into an --out folder that is not empty\n"
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
            "  --connect HOST:PORT  test the TLS server listening there (stack 'tcp'; loopback only);\n"
            "                   one connection is opened and closed first: a closed port is a\n"
            "                   usage error. When tcp is the only stack, only the scenarios\n"
            "                   that test a server run (it says how many it left out)\n"
            "  --listen PORT    test a client: listen on 127.0.0.1:PORT (0: any free port) and\n"
            "  --client-cmd CMD start CMD per connection; it is split into words like a shell\n"
            "                   would, but run without one; {port} in it becomes the port. It is\n"
            "                   run once first and must connect (a missing program, or one that\n"
            "                   exits without connecting, is a usage error); only the scenarios\n"
            "                   that test a client run (as for --connect)\n"
            "  --client-resume-cmd CMD  the client for each later connection of a scenario\n"
            "                   of several connections (session resumption), split alike:\n"
            "                   {session-in} becomes a file holding the session that the last\n"
            "                   connection's client wrote to {session-out} (in either command,\n"
            "                   a fresh file per connection), as with 'openssl s_client ...\n"
            "                   -sess_out {session-out}' and '... -sess_in {session-in}\n"
            "                   -sess_out {session-out}'. Without it those scenarios are SKIP\n"
            "  --allow-remote   let --connect reach a non-loopback address\n"
            "  --app KIND       what the peer over TCP does with application data after its\n"
            "                   handshake: http (a server answers 'GET / HTTP/1.0' with an\n"
            "                   HTTP response, as 'openssl s_server -www' and 'gnutls-serv\n"
            "                   --http' do; a client sends a request), echo (it sends back what\n"
            "                   it gets, as 'gnutls-serv --echo'), none (nothing: the handshake\n"
            "                   and the close_notify exchange are all). Default: http for\n"
            "                   --connect, none for --listen (what 'openssl s_client' and\n"
            "                   'gnutls-cli' do, reading stdin that never comes)\n"
            "  --no-probe       do not probe the peer over TCP first (see below): run every\n"
            "                   scenario, whatever the peer is set up for\n"
            "  --quiet-ms N     floor of the quiet time that ends a read over TCP (default 30, or\n"
            "                   $SHAKEDOWN_TCP_IDLE_MS); above it the time adapts to the round\n"
            "                   trips measured during the run, so a slow link is waited for\n"
            "  --shard K/N      run only shard K of N (1 <= K <= N <= %d) of the scenario x\n"
            "                   stack cells, for one job of a CI matrix: a cell's shard is a\n"
            "                   hash of its scenario id and stack name, the same whatever -j,\n"
            "                   the other scenarios or the stacks. 'shakedown report --merge'\n"
            "                   joins the shards' run folders into one report\n"
            "  -j N             run N scenario x stack cells at a time (default 1; the tcp\n"
            "                   stack always runs 1). Cells run in worker processes, so a\n"
            "                   stack that crashes takes only its cell with it (CRASH)\n"
            "  -v, --verbose    print each result as it comes; twice: also the driver's log of every record\n"
            "  -q, --quiet      print only the totals and the report paths, no progress or table\n"
            "  -h, --help       show this help\n"
            "\n"
            "Progress: on a terminal, a status line; otherwise (CI logs) a line at least every\n"
            "10 s, also while one cell takes long ($SHAKEDOWN_PROGRESS_MS sets the interval).\n"
            "\n"
            "SIGINT (Ctrl-C) or SIGTERM stops the run: the cells that finished are written to\n"
            "the reports, marked incomplete (results.json: run.incomplete), runs/latest is not\n"
            "moved, and the exit code is 128 + the signal. A second signal stops at once.\n"
            "No process the run starts (workers, shims, client commands) outlives it.\n"
            "\n"
            "Verdicts: PASS (the RFC's alert), SOFT (refused, with another alert or a plain\n"
            "close), FAIL (accepted what it must refuse, or the reverse), CRASH, HANG,\n"
            "SKIP, ERROR (the harness failed; never the stack's fault), UNREACHED (the run\n"
            "ended before the step the scenario tests: neither pass nor fail); with\n"
            "--baseline also XFAIL (an expected failure still fails) and XPASS (it passes\n"
            "now). docs/outcomes.md has the full table.\n"
            "\n"
            "A server under test (--connect) takes one connection after another, presents\n"
            "a certificate of the fixture PKI for server.shakedown.test (leaf-rsa, leaf),\n"
            "and after its handshake does what --app says; to judge the client\n"
            "authentication scenarios it asks for a client certificate and verifies it\n"
            "against the fixture root. A client under test (--client-cmd) connects to\n"
            "{port}, trusts the fixture root, checks the name and refuses what fails, and\n"
            "answers close_notify; given the fixture's client certificate it can run the\n"
            "client authentication scenarios.\n"
            "\n"
            "Before the run, a few honest handshakes probe the peer over TCP: the versions\n"
            "and suites it takes (a client: its ClientHello's offer), whether it asks for,\n"
            "requires or shows a client certificate, whether it verifies certificate chains,\n"
            "host names and revocation, and (a server, without --app) what it does with\n"
            "application data. The findings are printed and kept in the reports; a\n"
            "scenario that needs what the peer lacks is SKIP with the probe's reason. A\n"
            "server that never answers is a HANG. README.md, 'Testing your own server or\n"
            "client over TCP'.\n"
            "\n"
            "The run folder gets results.json, junit.xml, summary.md and index.html.\n"
            "\n"
            "exit codes (for CI):\n"
            "  0  no FAIL, CRASH or HANG (PASS, SOFT, SKIP, UNREACHED, XFAIL, XPASS only)\n"
            "  1  at least one FAIL, CRASH or HANG not expected by the baseline\n"
            "  2  usage or input error (bad flag, bad scenario file or baseline, missing PKI,\n"
            "     an --out folder not empty or not writable, a closed --connect port, a\n"
            "     --client-cmd that cannot run or does not connect); nothing was run\n"
            "  3  the harness failed during the run (an ERROR cell, -j workers could not start,\n"
            "     or the reports could not be written); takes precedence over 1 since the\n"
            "     results are incomplete\n"
            "  130  interrupted by SIGINT (143: by SIGTERM); the reports hold what ran\n",
            sd_pki_default_dir(), (long long)SD_PKI_DEFAULT_TIME, SD_MAX_SHARDS);
}

/* Makes runs/<UTC time> (runs/<UTC time>-N if two runs start in the same
 * second). runs/latest is moved to it only once the run has finished
 * (point_latest). */
static bool make_default_run_dir(char *out, size_t out_len, char *err, size_t err_len) {
    if (!sd_make_dirs("runs", err, err_len)) return false;
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
            sd_set_error(err, err_len, "%s: %s", out, strerror(errno));
            return false;
        }
    }
    return true;
}

/* Points runs/latest at runs/<name>: only a finished run, so that what
 * runs/latest shows is never a run cut short. */
static void point_latest(const char *run_dir) {
    const char *name = run_dir + strlen("runs/");
    /* Replace the link atomically: a new link under a temporary name, then
     * rename over the old one. A failure here costs only the convenience. */
    unlink("runs/.latest.tmp");
    if (symlink(name, "runs/.latest.tmp") != 0 || rename("runs/.latest.tmp", "runs/latest") != 0) {
        fprintf(stderr, "shakedown conform: warning: could not update runs/latest: %s\n", strerror(errno));
        unlink("runs/.latest.tmp");
    }
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
                return sd_cli_usage_error(
                    conform_cmd,
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
    bool no_generated;                 /* --no-generated: only the scenario files */
    bool force;                        /* --force: write into a non-empty --out folder */
    const char *baseline;              /* --baseline FILE */
    unsigned jobs;                     /* -j N: cells run in N worker processes */
    bool no_probe;                     /* --no-probe: run every scenario on a peer over TCP, unprobed */
    unsigned shard_index, shard_count; /* --shard K/N; 0/0: every cell */
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
        bool held = false; /* a shard's table: only its scenarios */
        for (size_t k = 0; k < run->n_stacks; k++) held = held || !sd_report_cell_at(run, i, k)->absent;
        if (!held) continue;
        char e[80];
        expectation_text(&set->items[i], e, sizeof e);
        print_padded(set->items[i].id, id_w + 2);
        print_padded(e, exp_w + 2);
        for (size_t k = 0; k < run->n_stacks; k++) {
            const sd_report_cell *c = sd_report_cell_at(run, i, k);
            if (c->absent) { /* another shard's */
                print_padded("-", k + 1 < run->n_stacks ? col_w[k] + 2 : 0);
                continue;
            }
            char obs[64];
            sd_report_observed_short(&c->outcome, obs, sizeof obs);
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
    if (run->shard_count)
        printf("shard %u/%u: %zu of the %zu scenario x stack cells\n", run->shard_index, run->shard_count,
               sd_report_cells_held(run), run->n_scenarios * run->n_stacks);
    int name_w = 0;
    for (size_t k = 0; k < run->n_stacks; k++) {
        if ((int)strlen(run->stacks[k].name) > name_w) name_w = (int)strlen(run->stacks[k].name);
    }
    /* Always the main four columns; the others when any stack has one, the
     * same columns for every stack so they line up. */
    bool show[SD_VERDICT_COUNT];
    for (int v = 0; v < SD_VERDICT_COUNT; v++) {
        show[v] =
            v == SD_VERDICT_PASS || v == SD_VERDICT_SOFT || v == SD_VERDICT_FAIL || v == SD_VERDICT_CRASH;
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

/* --- Progress ------------------------------------------------------------------
 * The cells run in run/cells.c; each finished one lands here, in the parent
 * process, to be stored in the report and shown. */

typedef struct {
    const sd_scenario_set *set;
    const conform_opts *o;
    sd_report_run *run;
    size_t n_stacks, total, done;
    bool progress, color_err;
    sd_cli_ticker *ticker; /* no terminal: a line every interval */
    const char *label;     /* before each progress line: "shard 2/3: " or "" */
} conform_progress;

/* A cell is finished: into the report, then a progress line on a terminal,
 * or the -v line. */
static void cell_finished(void *ctx, size_t c, const sd_cell_result *result) {
    conform_progress *cp = ctx;
    sd_report_cell *cell = sd_report_cell_at(cp->run, c / cp->n_stacks, c % cp->n_stacks);
    memset(cell, 0, sizeof *cell);
    cell->ran = result->ran;
    cell->outcome = result->outcome;
    cell->verdict = result->verdict;
    snprintf(cell->why, sizeof cell->why, "%s", result->why);
    cell->elapsed_ms = result->elapsed_ms;

    cp->done++;
    const sd_scenario *s = &cp->set->items[c / cp->n_stacks];
    const char *stack = cp->o->stacks.ops[c % cp->n_stacks]->name;
    if (cp->progress) {
        fprintf(stderr, "\r\033[K%s[%zu/%zu] %s ... %s", cp->label, cp->done, cp->total, s->id, stack);
        fflush(stderr);
    }
    if (cp->ticker) sd_cli_ticker_note(cp->ticker, cp->done, s->id, stack);
    if (cp->o->verbose) {
        char obs[300];
        sd_outcome_describe(&cell->outcome, obs, sizeof obs);
        fprintf(stderr, "%s[%zu/%zu] %s %s: %s%s%s %s%s%s\n", cp->label, cp->done, cp->total, s->id, stack,
                cp->color_err ? verdict_color(cell->verdict) : "", sd_verdict_name(cell->verdict),
                cp->color_err ? "\033[0m" : "", obs, cell->why[0] ? " -- " : "", cell->why);
    }
}

/* "K/N", 1 <= K <= N <= SD_MAX_SHARDS, into index and count. */
static bool parse_shard(const char *s, unsigned *index, unsigned *count) {
    const char *slash = strchr(s, '/');
    char k_text[24];
    uint64_t k, n;
    if (!slash || (size_t)(slash - s) >= sizeof k_text) return false;
    memcpy(k_text, s, (size_t)(slash - s));
    k_text[slash - s] = '\0';
    if (!sd_cli_parse_u64(k_text, &k) || !sd_cli_parse_u64(slash + 1, &n)) return false;
    if (k < 1 || k > n || n > SD_MAX_SHARDS) return false;
    *index = (unsigned)k;
    *count = (unsigned)n;
    return true;
}

static int conform_parse(int argc, char **argv, conform_opts *o, int *first_pos) {
    enum {
        OPT_STACK = 256,
        OPT_OUT,
        OPT_SEED,
        OPT_PKI,
        OPT_TIME,
        OPT_FILTER,
        OPT_CONNECT,
        OPT_LISTEN,
        OPT_CLIENT_CMD,
        OPT_CLIENT_RESUME_CMD,
        OPT_ALLOW_REMOTE,
        OPT_NO_GENERATED,
        OPT_BASELINE,
        OPT_FORCE,
        OPT_APP,
        OPT_QUIET_MS,
        OPT_NO_PROBE,
        OPT_SHARD
    };
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
        {"client-resume-cmd", required_argument, NULL, OPT_CLIENT_RESUME_CMD},
        {"allow-remote", no_argument, NULL, OPT_ALLOW_REMOTE},
        {"no-generated", no_argument, NULL, OPT_NO_GENERATED},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"force", no_argument, NULL, OPT_FORCE},
        {"app", required_argument, NULL, OPT_APP},
        {"quiet-ms", required_argument, NULL, OPT_QUIET_MS},
        {"no-probe", no_argument, NULL, OPT_NO_PROBE},
        {"shard", required_argument, NULL, OPT_SHARD},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"jobs", required_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->tcp.listen_port = -1;
    o->tcp.app = SD_TCP_APP_DEFAULT;
    uint64_t quiet_ms = 0;
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
                return sd_cli_usage_error(conform_cmd, "--seed wants a number from 0 to 2^64-1, not '%s'",
                                          optarg);
            }
            break;
        case OPT_PKI:
            if (!*optarg) return sd_cli_usage_error(conform_cmd, "--pki needs a directory");
            o->pki_dir = optarg;
            break;
        case OPT_TIME:
            if (!sd_cli_parse_i64(optarg, &o->now)) {
                return sd_cli_usage_error(conform_cmd, "--time wants seconds since the epoch, not '%s'",
                                          optarg);
            }
            break;
        case OPT_FILTER:
            o->filter = optarg;
            break;
        case OPT_NO_GENERATED:
            o->no_generated = true;
            break;
        case OPT_NO_PROBE:
            o->no_probe = true;
            break;
        case OPT_FORCE:
            o->force = true;
            break;
        case OPT_BASELINE:
            if (!*optarg) return sd_cli_usage_error(conform_cmd, "--baseline needs a file");
            o->baseline = optarg;
            break;
        case OPT_CONNECT:
            o->tcp.connect = optarg;
            o->use_tcp = true;
            break;
        case OPT_LISTEN: {
            uint64_t port;
            if (!sd_cli_parse_u64(optarg, &port) || port > 65535) {
                return sd_cli_usage_error(conform_cmd, "--listen wants a port from 0 to 65535, not '%s'",
                                          optarg);
            }
            o->tcp.listen_port = (int)port;
            o->use_tcp = true;
            break;
        }
        case OPT_CLIENT_CMD:
            o->tcp.client_cmd = optarg;
            break;
        case OPT_CLIENT_RESUME_CMD:
            o->tcp.client_resume_cmd = optarg;
            break;
        case OPT_ALLOW_REMOTE:
            o->tcp.allow_remote = true;
            break;
        case OPT_APP:
            if (strcmp(optarg, "http") == 0)
                o->tcp.app = SD_APP_HTTP;
            else if (strcmp(optarg, "echo") == 0)
                o->tcp.app = SD_APP_ECHO;
            else if (strcmp(optarg, "none") == 0)
                o->tcp.app = SD_APP_NONE;
            else
                return sd_cli_usage_error(conform_cmd, "--app wants http, echo or none, not '%s'", optarg);
            break;
        case OPT_QUIET_MS:
            if (!sd_cli_parse_u64(optarg, &quiet_ms) || quiet_ms == 0 || quiet_ms > 60000)
                return sd_cli_usage_error(conform_cmd, "--quiet-ms wants 1..60000 ms, not '%s'", optarg);
            break;
        case OPT_SHARD:
            if (!parse_shard(optarg, &o->shard_index, &o->shard_count)) {
                return sd_cli_usage_error(conform_cmd,
                                          "--shard wants K/N, shard K of N with 1 <= K <= N <= %d (as in "
                                          "--shard 2/3), not '%s'",
                                          SD_MAX_SHARDS, optarg);
            }
            break;
        case 'j': {
            uint64_t j;
            if (!sd_cli_parse_u64(optarg, &j) || j == 0 || j > 4096) {
                return sd_cli_usage_error(conform_cmd, "-j wants a number of jobs from 1 to 4096, not '%s'",
                                          optarg);
            }
            o->jobs = (unsigned)j;
            break;
        }
        case 'v':
            o->verbose++;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            conform_usage(stdout);
            return -1;
        default:
            return sd_cli_bad_option(conform_cmd, c, argv);
        }
    }
    if (o->quiet && o->verbose) return sd_cli_usage_error(conform_cmd, "-q and -v contradict each other");
    if (o->tcp.client_cmd && o->tcp.listen_port < 0) {
        return sd_cli_usage_error(conform_cmd, "--client-cmd needs --listen PORT");
    }
    if (o->tcp.client_resume_cmd && !o->tcp.client_cmd)
        return sd_cli_usage_error(conform_cmd, "--client-resume-cmd needs --listen PORT and --client-cmd");
    if ((o->tcp.app != SD_TCP_APP_DEFAULT || quiet_ms || o->no_probe) && !o->use_tcp)
        return sd_cli_usage_error(conform_cmd,
                                  "--app, --quiet-ms and --no-probe are for --connect and --listen");
    if (o->use_tcp) {
        /* A stack on a port: checked and bound now, so a bad address or a
         * busy port is a usage error before anything runs. */
        const char *idle = getenv("SHAKEDOWN_TCP_IDLE_MS");
        uint64_t idle_ms = 0;
        if (idle && *idle && (!sd_cli_parse_u64(idle, &idle_ms) || idle_ms == 0 || idle_ms > 60000)) {
            return sd_cli_usage_error(conform_cmd, "$SHAKEDOWN_TCP_IDLE_MS wants 1..60000 ms, not '%s'",
                                      idle);
        }
        o->tcp.idle_ms = (int)(quiet_ms ? quiet_ms : idle_ms);
        char err[512];
        if (!sd_tcp_setup(&o->tcp, err, sizeof err)) return sd_cli_usage_error(conform_cmd, "%s", err);
        /* Reachable, and the client command runs and connects: else every
         * cell would be an ERROR, found only at the end. */
        if (!sd_tcp_check_peer(err, sizeof err)) {
            sd_tcp_teardown();
            return sd_cli_usage_error(conform_cmd, "%s", err);
        }
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

/* Loads the PKI and checks the scenarios' credentials and stapled files
 * against it. Returns NULL after printing why, with *rc the exit code. */
static sd_pki *conform_load_pki(const conform_opts *o, const sd_scenario_set *set, int *rc) {
    sd_pki *pki = calloc(1, sizeof *pki);
    char err[1024] = "";
    const char *pki_dir = o->pki_dir ? o->pki_dir : sd_pki_default_dir();
    if (!pki) {
        fprintf(stderr, "shakedown conform: out of memory\n");
        *rc = SD_EXIT_HARNESS;
        return NULL;
    }
    *rc = SD_EXIT_USAGE;
    if (!sd_pki_load(pki, pki_dir, err, sizeof err)) {
        fprintf(stderr,
                "shakedown conform: cannot load the fixture PKI from %s: %s\n"
                "(it is made by the build; point --pki or $SHAKEDOWN_PKI_DIR at it)\n",
                pki_dir, err);
        free(pki);
        return NULL;
    }
    /* A credential or stapled file that is not in the PKI is a mistake in
     * the scenario file, so it is reported now, as input, not later as a
     * harness error. */
    size_t bad_cred = 0;
    for (size_t i = 0; i < set->n; i++) {
        if (set->items[i].credential[0] && !sd_pki_find(pki, set->items[i].credential)) {
            fprintf(stderr, "%s: credential '%s' is not in the fixture PKI (%s)\n", set->items[i].path,
                    set->items[i].credential, pki_dir);
            bad_cred++;
        }
        if (set->items[i].staple[0] && !sd_pki_der(pki, set->items[i].staple)) {
            fprintf(stderr, "%s: staple '%s' names no file %s.der in the fixture PKI (%s)\n",
                    set->items[i].path, set->items[i].staple, set->items[i].staple, pki_dir);
            bad_cred++;
        }
    }
    if (bad_cred) {
        sd_pki_free(pki);
        free(pki);
        return NULL;
    }
    *rc = SD_EXIT_OK;
    return pki;
}

/* Probes the peers over TCP (run/probe.h) for what the scenarios need,
 * prints what it found (not with -q) and keeps it in the tcp stack's
 * report entry. profiles[role] is left not done for a role not probed. */
static void conform_probe(const conform_opts *o, const sd_scenario_set *set, const sd_pki *pki,
                          sd_report_run *run, sd_peer_profile profiles[2]) {
    memset(profiles, 0, 2 * sizeof *profiles);
    if (!o->use_tcp || o->no_probe) return;
    size_t k = 0;
    while (k < o->stacks.n && o->stacks.ops[k] != &sd_target_tcp) k++;
    sd_buf text;
    sd_buf_init(&text);
    static const sd_role roles[] = {SD_ROLE_SERVER, SD_ROLE_CLIENT};
    for (size_t r = 0; r < 2; r++) {
        sd_role role = roles[r];
        if (role == SD_ROLE_SERVER ? !o->tcp.connect : o->tcp.listen_port < 0) continue;
        if (!o->quiet) fprintf(stderr, "shakedown conform: probing the %s...\n", sd_role_name(role));
        sd_probe_peer(&sd_target_tcp, role, set->items, set->n, pki, o->now, o->seed,
                      o->tcp.app == SD_TCP_APP_DEFAULT, &profiles[role]);
        sd_peer_profile_describe(&profiles[role], &text);
    }
    if (!o->quiet && text.len) fprintf(stderr, "%.*s", (int)text.len, (const char *)text.data);
    if (k < o->stacks.n && text.len)
        snprintf(run->stacks[k].probe, sizeof run->stacks[k].probe, "%.*s", (int)text.len,
                 (const char *)text.data);
    sd_buf_free(&text);
}

/* A stack on a port plays one role: a server reached with --connect, or a
 * client started with --client-cmd. When it is the only stack, the run
 * keeps the scenarios of that role, and says how many it left out. */
static int conform_keep_role(const conform_opts *o, sd_scenario_set *set) {
    if (!o->use_tcp || o->stacks.n != 1) return SD_EXIT_OK;
    bool server = o->tcp.connect != NULL, client = o->tcp.listen_port >= 0;
    if (server == client) return SD_EXIT_OK; /* both: every scenario has its peer */
    sd_role role = server ? SD_ROLE_SERVER : SD_ROLE_CLIENT;
    size_t total = set->n;
    size_t dropped = sd_scenario_set_keep_role(set, role);
    const char *flag = server ? "--connect" : "--listen", *other = server ? "client" : "server";
    if (set->n == 0) {
        return sd_cli_usage_error(conform_cmd,
                                  "%s tests a %s, and none of the %zu scenarios does (all test a %s)", flag,
                                  sd_role_name(role), total, other);
    }
    if (dropped && !o->quiet) {
        fprintf(stderr,
                "shakedown conform: %s tests a %s: %zu scenario%s that test%s a %s left out, %zu to run\n",
                flag, sd_role_name(role), dropped, dropped == 1 ? "" : "s", dropped == 1 ? "s" : "", other,
                set->n);
    }
    return SD_EXIT_OK;
}

/* A run stopped before its end (a signal, or workers that failed): the
 * cells it never reached say so, and the reports say the run is
 * incomplete. */
static void mark_incomplete(sd_report_run *run, size_t done, const char *what) {
    run->incomplete = true;
    snprintf(run->incomplete_reason, sizeof run->incomplete_reason, "%s after %zu of %zu cells", what, done,
             sd_report_cells_held(run));
    for (size_t c = 0; c < run->n_scenarios * run->n_stacks; c++) {
        sd_report_cell *cell = &run->cells[c];
        if (!cell->ran && !cell->absent) snprintf(cell->why, sizeof cell->why, "not run: %s", what);
    }
}

/* --shard K/N: the cells of shard K, in run order, and the others marked
 * absent in the report. NULL (and *n 0) when not sharded; *oom if memory
 * ran out. */
static size_t *conform_shard_cells(const conform_opts *o, const sd_scenario_set *set, sd_report_run *run,
                                   size_t *n, bool *oom) {
    *n = 0;
    *oom = false;
    if (!o->shard_count) return NULL;
    run->shard_index = o->shard_index;
    run->shard_count = o->shard_count;
    for (size_t k = 0; k < o->stacks.n; k++) {
        run->stacks[k].shard_count = o->shard_count;
        run->stacks[k].shard_held[o->shard_index - 1] = true;
    }
    size_t *cells = malloc((set->n * o->stacks.n + 1) * sizeof *cells);
    if (!cells) {
        *oom = true;
        return NULL;
    }
    for (size_t c = 0; c < set->n * o->stacks.n; c++) {
        const char *id = set->items[c / o->stacks.n].id, *stack = o->stacks.ops[c % o->stacks.n]->name;
        if (sd_cell_shard(id, stack, o->shard_count) == o->shard_index)
            cells[(*n)++] = c;
        else
            run->cells[c].absent = true;
    }
    return cells;
}

/* Writes the four reports into out_dir; false if any could not be. */
static bool conform_write_reports(const sd_report_run *run, const char *out_dir) {
    bool ok = true;
    char err[1024] = "";
    bool (*writers[])(const sd_report_run *, const char *, char *, size_t) = {
        sd_report_write_json, sd_report_write_html, sd_report_write_summary_md, sd_report_write_junit};
    for (size_t w = 0; w < sizeof writers / sizeof writers[0]; w++) {
        if (!writers[w](run, out_dir, err, sizeof err)) {
            fprintf(stderr, "shakedown conform: %s\n", err);
            ok = false;
        }
    }
    return ok;
}

int sd_cmd_conform(int argc, char **argv) {
    conform_opts o;
    int first_pos = argc;
    int rc = conform_parse(argc, argv, &o, &first_pos);
    if (rc < 0) return SD_EXIT_OK; /* --help */
    if (rc != SD_EXIT_OK) return rc;
    if (o.stacks.n == 0) return sd_cli_usage_error(conform_cmd, "no stacks to run");
    sd_baseline baseline = {0};
    if (o.baseline) {
        /* A bad baseline is bad input: found before anything runs. */
        char berr[1024] = "";
        if (!sd_baseline_load(o.baseline, sd_report_baseline_from_json, &baseline, berr, sizeof berr)) {
            fprintf(stderr, "shakedown conform: %s\n", berr[0] ? berr : "out of memory");
            return SD_EXIT_USAGE;
        }
    }

    /* The generated families join the default set (no paths given). */
    sd_scenario_set set;
    bool generated = first_pos == argc && !o.no_generated;
    if (!sd_scenario_set_load("shakedown conform", argv + first_pos, (size_t)(argc - first_pos), o.filter,
                              generated, &set)) {
        sd_baseline_free(&baseline);
        return SD_EXIT_USAGE;
    }
    if ((rc = conform_keep_role(&o, &set)) != SD_EXIT_OK) {
        sd_scenario_set_free(&set);
        sd_baseline_free(&baseline);
        return rc;
    }
    sd_pki *pki = conform_load_pki(&o, &set, &rc);
    if (!pki) {
        sd_scenario_set_free(&set);
        sd_baseline_free(&baseline);
        return rc;
    }

    /* From here on SIGINT and SIGTERM stop the run with a partial report
     * (a run stopped before its first cell reports no cell). */
    sd_cli_catch_stop_signals();
    /* The run folder, last of the checks and before anything runs: an
     * earlier run is not overwritten, and a folder that cannot be written
     * is found now rather than after the run. */
    char out_dir[4096], err[1024] = "";
    if (o.out_dir) {
        snprintf(out_dir, sizeof out_dir, "%s", o.out_dir);
        rc = sd_cli_prepare_out_dir(conform_cmd, out_dir, o.force);
    } else if (!make_default_run_dir(out_dir, sizeof out_dir, err, sizeof err)) {
        rc = sd_cli_usage_error(conform_cmd, "cannot make the run folder: %s", err);
    } else if (!sd_cli_dir_writable(out_dir, err, sizeof err)) {
        rc = sd_cli_usage_error(conform_cmd, "%s", err);
    }
    sd_report_run run;
    if (rc == SD_EXIT_OK && !sd_report_run_init(&run, set.n, o.stacks.n)) {
        fprintf(stderr, "shakedown conform: out of memory\n");
        rc = SD_EXIT_HARNESS;
    }
    if (rc != SD_EXIT_OK) {
        sd_pki_free(pki);
        free(pki);
        sd_scenario_set_free(&set);
        sd_baseline_free(&baseline);
        return rc;
    }
    run.seed = o.seed;
    run.validation_time = o.now;
    for (size_t k = 0; k < o.stacks.n; k++) {
        snprintf(run.stacks[k].name, sizeof run.stacks[k].name, "%s", o.stacks.ops[k]->name);
        const char *ver = o.stacks.ops[k]->version ? o.stacks.ops[k]->version() : NULL;
        snprintf(run.stacks[k].version, sizeof run.stacks[k].version, "%s", ver ? ver : "");
    }
    for (size_t i = 0; i < set.n; i++) sd_report_scenario_set(&run.scenarios[i], &set.items[i]);
    size_t n_shard_cells;
    bool oom;
    size_t *shard_cells = conform_shard_cells(&o, &set, &run, &n_shard_cells, &oom);
    if (oom) {
        fprintf(stderr, "shakedown conform: out of memory\n");
        sd_report_run_free(&run);
        sd_pki_free(pki);
        free(pki);
        sd_scenario_set_free(&set);
        sd_baseline_free(&baseline);
        return SD_EXIT_HARNESS;
    }
    size_t total = shard_cells ? n_shard_cells : set.n * o.stacks.n;
    char label[32] = "";
    if (o.shard_count) {
        snprintf(label, sizeof label, "shard %u/%u: ", o.shard_index, o.shard_count);
        if (!o.quiet)
            fprintf(stderr, "shakedown conform: %s%zu of the %zu scenario x stack cells\n", label, total,
                    set.n * o.stacks.n);
    }
    sd_peer_profile profiles[2];
    conform_probe(&o, &set, pki, &run, profiles);

    bool progress = !o.quiet && o.verbose == 0 && isatty(STDERR_FILENO);
    /* No terminal (a CI log): a line at least every interval instead. */
    sd_cli_ticker ticker;
    bool ticking = !o.quiet && !isatty(STDERR_FILENO) &&
                   sd_cli_ticker_start(&ticker, total, sd_cli_progress_interval_ms(), label);
    conform_progress cp = {.set = &set,
                           .o = &o,
                           .run = &run,
                           .n_stacks = o.stacks.n,
                           .total = total,
                           .label = label,
                           .progress = progress,
                           .color_err = use_color(stderr),
                           .ticker = ticking ? &ticker : NULL};
    sd_cell_plan plan = {
        .scenarios = set.items,
        .n_scenarios = set.n,
        .stacks = o.stacks.ops,
        .n_stacks = o.stacks.n,
        .pki = pki,
        .now = o.now,
        .seed = o.seed,
        .verbose = o.verbose >= 2,
        /* The tcp stack is one port and one peer at a time: never in parallel. */
        .jobs = o.use_tcp ? 1 : o.jobs,
        /* Its state (the peer's measured round trips) lives across cells. */
        .isolated = !o.use_tcp,
        .on_done = cell_finished,
        .ctx = &cp,
        .stop = &sd_cli_stop_signal,
        .probed_stack = &sd_target_tcp,
        .profiles = {profiles[SD_ROLE_CLIENT].done ? &profiles[SD_ROLE_CLIENT] : NULL,
                     profiles[SD_ROLE_SERVER].done ? &profiles[SD_ROLE_SERVER] : NULL},
        .only_cells = shard_cells,
        .n_only_cells = n_shard_cells,
    };
    double t0 = sd_now_ms();
    bool cells_ok = sd_cells_run(&plan);
    if (!cells_ok) fprintf(stderr, "shakedown conform: cannot run workers: %s\n", strerror(errno));
    free(shard_cells);
    if (ticking) sd_cli_ticker_stop(&ticker);
    for (size_t i = 0; i < set.n; i++)
        for (size_t k = 0; k < o.stacks.n; k++)
            run.stacks[k].elapsed_ms += sd_report_cell_at(&run, i, k)->elapsed_ms;
    run.elapsed_ms = sd_now_ms() - t0;
    int stop_sig = (int)sd_cli_stop_signal;
    if (stop_sig || !cells_ok) {
        char what[64];
        snprintf(what, sizeof what, "%s%s", stop_sig ? "interrupted by " : "the worker processes failed",
                 stop_sig ? sd_cli_signal_name(stop_sig) : "");
        mark_incomplete(&run, cp.done, what);
    }
    if (o.baseline) sd_cli_apply_baseline(&run, &baseline);
    if (progress) fprintf(stderr, "\r\033[K");

    bool write_ok = conform_write_reports(&run, out_dir);
    /* runs/latest shows the newest finished run, never one cut short. */
    if (!o.out_dir && write_ok && cells_ok && !stop_sig) point_latest(out_dir);

    bool color = use_color(stdout);
    if (!o.quiet) {
        print_table(&run, &set, color);
        putchar('\n');
    }
    print_totals(&run, color);
    printf(
        "\nresults: %s/results.json\nreport:  %s/index.html\nsummary: %s/summary.md\njunit:   %s/junit.xml\n",
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
    if (stop_sig)
        fprintf(stderr, "shakedown conform: %s; the reports are marked incomplete\n", run.incomplete_reason);
    sd_report_run_free(&run);
    sd_tcp_teardown();
    sd_pki_free(pki);
    free(pki);
    sd_scenario_set_free(&set);
    sd_baseline_free(&baseline);
    if (stop_sig) return SD_EXIT_INTERRUPTED + stop_sig;
    if (harness_errors || !write_ok || !cells_ok) return SD_EXIT_HARNESS;
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
            "  --manifest       print only the manifest: one line per scenario, sorted by id,\n"
            "                   '<id> <role> <expected>' (complete, closed, alert NAME[|NAME]).\n"
            "                   scenarios/manifest.txt holds the default set's, and a test fails\n"
            "                   while it differs; after a change that adds, removes or changes\n"
            "                   scenarios, update it with\n"
            "                   shakedown list --manifest > scenarios/manifest.txt\n"
            "  -h, --help       show this help\n"
            "\n"
            "exit codes: 0 listed; 2 usage error or a bad scenario file.\n",
            sd_default_scenarios_dir());
}

typedef struct {
    const char *tag;
    size_t n;
} tag_count;

static int cmp_tag(const void *a, const void *b) {
    return strcmp(((const tag_count *)a)->tag, ((const tag_count *)b)->tag);
}

int sd_cmd_list(int argc, char **argv) {
    enum { OPT_FILTER = 256, OPT_NO_GENERATED, OPT_COUNTS, OPT_MANIFEST };
    static const struct option longopts[] = {
        {"filter", required_argument, NULL, OPT_FILTER},
        {"no-generated", no_argument, NULL, OPT_NO_GENERATED},
        {"counts", no_argument, NULL, OPT_COUNTS},
        {"manifest", no_argument, NULL, OPT_MANIFEST},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *filter = NULL;
    bool no_generated = false, only_counts = false, manifest = false;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_FILTER:
            filter = optarg;
            break;
        case OPT_NO_GENERATED:
            no_generated = true;
            break;
        case OPT_COUNTS:
            only_counts = true;
            break;
        case OPT_MANIFEST:
            manifest = true;
            break;
        case 'h':
            list_usage(stdout);
            return SD_EXIT_OK;
        default:
            return sd_cli_bad_option(list_cmd, c, argv);
        }
    }
    if (manifest && only_counts)
        return sd_cli_usage_error(list_cmd, "--manifest and --counts exclude each other");
    sd_scenario_set set;
    if (!sd_scenario_set_load("shakedown list", argv + optind, (size_t)(argc - optind), filter,
                              optind == argc && !no_generated, &set)) {
        return SD_EXIT_USAGE;
    }
    if (manifest) {
        sd_buf text;
        sd_buf_init(&text);
        sd_scenario_set_manifest(&set, &text);
        sd_scenario_set_free(&set);
        bool ok = !text.failed && fwrite(text.data, 1, text.len, stdout) == text.len && fflush(stdout) == 0;
        sd_buf_free(&text);
        if (!ok) {
            fprintf(stderr, "shakedown list: cannot write the manifest\n");
            return SD_EXIT_HARNESS;
        }
        return SD_EXIT_OK;
    }

    int id_w = 2, exp_w = 8, tag_w = 4;
    char(*exp)[80] = calloc(set.n, sizeof *exp);
    char(*tags)[SD_MAX_TAGS * 33] = calloc(set.n, sizeof *tags);
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
        printf("  %-28s %8zu %8zu %8zu %8zu %8zu%s%s\n", fam ? fam : "scenario files", n_fam,
               n_fam - n_fam_client, n_fam_client, n_fam - n_fam_tls12, n_fam_tls12, fam ? "  " : "",
               fam ? sd_generated_families[f - 1].summary : "");
    }
    for (int tls12 = 0; tls12 < 2; tls12++) {
        char dims[160];
        size_t n_rows;
        sd_generated_covering_array(tls12, dims, sizeof dims, &n_rows);
        printf("%s  %s covering array (tag covering-array): gen-finished and gen-malformed over %zu rows of "
               "%s, every pair of values in some row\n",
               tls12 ? "" : "parameters:\n", tls12 ? "tls12" : "tls13", n_rows, dims);
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
