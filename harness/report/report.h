/* report.h — the results of one conformance run, and the files made from them.
 *
 * A run is a matrix: scenarios × stacks, one cell per pair holding the
 * outcome, the verdict and why. From it come:
 *   results.json  the machine-readable record (schema: docs/results-schema.md)
 *   index.html    a self-contained page: the template reports/index.html,
 *                 embedded in the binary, with a compact, compressed copy
 *                 of the results inlined
 *   summary.md    for CI step summaries
 * Every file is written atomically: dir/.name.tmp, then rename(2), so a
 * reader (a CI step, a browser) never sees half a report. */
#ifndef SHAKEDOWN_REPORT_REPORT_H
#define SHAKEDOWN_REPORT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "oracle/baseline.h"
#include "oracle/oracle.h"
#include "driver/outcome.h"
#include "trace/trace.h"
#include "wire/bytes.h"
#include "util/util.h"

#ifndef SHAKEDOWN_VERSION
#define SHAKEDOWN_VERSION "0.1.0"
#endif

/* The largest N of `conform --shard K/N` (a GitHub Actions matrix has at
 * most 256 jobs). */
#define SD_MAX_SHARDS 256

/* Bumped on any change a reader of results.json must know about. */
#define SD_RESULTS_SCHEMA_VERSION 1

typedef struct {
    char name[32];
    char version[128]; /* the stack's own version string */
    double elapsed_ms; /* sum over its cells */
    /* A stack over TCP: what the probe before the run found the peer does
     * (run/probe.h), a few lines of text; empty if it was not probed. */
    char probe[1536];
    /* A sharded run (conform --shard K/N) or a merge of shard runs (report
     * --merge): the N the cells were cut into, and which shards' cells of
     * this stack the report holds (shard_held[K - 1]); 0: not sharded. */
    unsigned shard_count;
    bool shard_held[SD_MAX_SHARDS];
} sd_report_stack;

/* A scenario's metadata, copied so a report outlives the parsed scenarios
 * (and can later be rebuilt from results.json alone). */
typedef struct {
    char id[128];
    char title[200];
    char rfc[600];
    sd_role role;
    char tags[SD_MAX_TAGS][32];
    size_t n_tags;
    sd_expectation_kind expect;
    uint8_t expect_alert; /* the first alert of the set */
    uint8_t expect_alert_also[SD_MAX_EXPECT_ALERTS - 1];
    size_t n_expect_alert_also; /* the set's other alerts (trace.h) */
    char note[400];
    char path[512];
    char *script; /* owned, may be NULL: the trace as a script, for the report */
} sd_report_scenario;

typedef struct {
    /* The cell is another shard's (conform --shard), or a shard's that was
     * not merged: it is in no report (no result, no count, no test case). */
    bool absent;
    bool ran; /* false: not run (reported as SKIP) */
    sd_outcome outcome;
    sd_verdict verdict;
    char why[512];
    double elapsed_ms;
    /* Set by sd_baseline_apply (oracle/baseline.h) when a baseline names
     * this cell as an expected failure: the verdict before the baseline
     * turned it into XFAIL or XPASS, and the one the baseline recorded. */
    sd_baseline_mark baseline;
} sd_report_cell;

typedef struct {
    char tool_version[32];
    time_t started;          /* wall clock at the start of the run (reported in UTC) */
    int64_t validation_time; /* certificate validation time given to every target */
    uint64_t seed;
    double elapsed_ms; /* whole run */
    /* The run stopped before every cell ran (SIGINT, SIGTERM): the cells not
     * run say so in their why, and every report says the run is incomplete,
     * with the reason ("interrupted by SIGINT after 12 of 40 cells"). */
    bool incomplete;
    char incomplete_reason[160];
    /* conform --shard K/N: this run is shard K of N (0 of 0: not one
     * shard); every stack's shard_count and shard_held say the same. */
    unsigned shard_index, shard_count;
    size_t n_scenarios, n_stacks;
    sd_report_scenario *scenarios;
    sd_report_stack *stacks;
    sd_report_cell *cells; /* n_scenarios * n_stacks, row-major: [scenario][stack] */
} sd_report_run;

/* Allocates the matrix (cells start as not run / SKIP). False on allocation
 * failure. */
SD_MUST_CHECK bool sd_report_run_init(sd_report_run *run, size_t n_scenarios, size_t n_stacks);
void sd_report_run_free(sd_report_run *run);
sd_report_cell *sd_report_cell_at(const sd_report_run *run, size_t scenario, size_t stack);
/* Copies metadata (and the printed script) of src into dst. */
void sd_report_scenario_set(sd_report_scenario *dst, const sd_scenario *src);
/* How many cells the run holds: all but the absent ones. */
size_t sd_report_cells_held(const sd_report_run *run);
/* How many cells of a stack have verdict v (absent cells have none). */
size_t sd_report_count(const sd_report_run *run, size_t stack, sd_verdict v);

/* A short description of an outcome for tables: "completed",
 * "alert decrypt_error", "closed", "waiting", "crash", ... */
void sd_report_observed_short(const sd_outcome *o, char *buf, size_t len);

/* The results JSON as text (malloc'd, caller frees); NULL on allocation
 * failure. indent 0 gives the compact form. */
char *sd_report_json_text(const sd_report_run *run, int indent);

/* The compact copy of the results that index.html carries (format:
 * docs/results-schema.md, "index.html"), as JSON text (malloc'd, caller
 * frees); NULL on allocation failure. */
char *sd_report_page_json_text(const sd_report_run *run);

/* The page: the embedded template with the compact results, gzip-compressed
 * and in base64, in place of its placeholder. False if the template has no
 * placeholder or memory ran out. */
SD_MUST_CHECK bool sd_report_render_html(const sd_report_run *run, sd_buf *out);

/* Each writes one file into dir (which must exist). On failure returns
 * false and writes the reason into err. */
SD_MUST_CHECK bool sd_report_write_json(const sd_report_run *run, const char *dir, char *err, size_t err_len);
SD_MUST_CHECK bool sd_report_write_html(const sd_report_run *run, const char *dir, char *err, size_t err_len);
SD_MUST_CHECK bool sd_report_write_summary_md(const sd_report_run *run, const char *dir, char *err,
                                              size_t err_len);

/* junit.xml: one <testsuite> per stack, one <testcase> per scenario.
 * FAIL, CRASH and HANG are <failure>, SKIP is <skipped>, ERROR is <error>;
 * PASS, SOFT, XFAIL and XPASS pass (the verdict is in <system-out>). */
char *sd_report_junit_text(const sd_report_run *run);
SD_MUST_CHECK bool sd_report_write_junit(const sd_report_run *run, const char *dir, char *err,
                                         size_t err_len);

/* The reader of a results.json used as a baseline (sd_baseline_load's
 * read_json): each result's scenario, stack and verdict, its raw verdict
 * where a baseline had changed it (what the cell really did). */
SD_MUST_CHECK bool sd_report_baseline_from_json(const char *path, const char *text, size_t len,
                                                sd_baseline *out, char *err, size_t err_len);

/* Rebuilds a run from a results.json (any schema-1 file this program
 * wrote), so that `shakedown report` can render it again. run need not be
 * initialised; on success the caller frees it with sd_report_run_free. */
SD_MUST_CHECK bool sd_report_load_json(const char *path, sd_report_run *run, char *err, size_t err_len);

/* Joins runs of one scenario set into one (report --merge): shards of a
 * sharded run (conform --shard K/N), runs of other stacks, or both. The
 * runs must agree on the tool version, the scenarios (ids, order,
 * expectations and scripts), the seed and the validation time, and on the
 * version and the shard count of each stack they share; no cell may be in
 * two of them. names[i] names parts[i] in errors. On success out holds
 * every stack in the order first met, and a run with shards missing is
 * marked incomplete, the reason naming them (also written into missing,
 * empty if none is). On failure, err says why and out is freed. */
SD_MUST_CHECK bool sd_report_merge(const sd_report_run *parts, const char *const *names, size_t n_parts,
                                   sd_report_run *out, char *missing, size_t missing_len, char *err,
                                   size_t err_len);

/* Writes data to dir/name whole or not at all (sd_file_write_atomic). */
SD_MUST_CHECK bool sd_report_write_file(const char *dir, const char *name, const void *data, size_t len,
                                        char *err, size_t err_len);

#endif
