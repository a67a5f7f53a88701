/* baseline.h — expected failures: the verdicts XFAIL and XPASS.
 *
 * A baseline lists cells (scenario × stack) with the verdict an earlier run
 * gave them. A cell it records as FAIL, CRASH or HANG is an expected
 * failure: if it still fails it is XFAIL, if it passes now (PASS or SOFT) it
 * is XPASS. Neither fails a run, so CI can gate on new failures only. This
 * is the second half of deciding a verdict, after sd_classify
 * (oracle/oracle.h); the reports only show what it decided.
 *
 * Two forms of file: lines "<scenario-id> <stack> <verdict>" ('#' starts a
 * comment; scenarios/known-failures.txt), or a results.json of an earlier
 * run, whose cells' raw verdicts count. */
#ifndef SHAKEDOWN_ORACLE_BASELINE_H
#define SHAKEDOWN_ORACLE_BASELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "oracle/oracle.h"
#include "util/util.h"

typedef struct {
    char id[128];
    char stack[32];
    sd_verdict verdict; /* what the earlier run gave the cell */
} sd_baseline_entry;

typedef struct {
    size_t n, cap;
    sd_baseline_entry *items; /* owned */
} sd_baseline;

/* Appends one entry (longer names are cut to fit). False on allocation
 * failure. */
SD_MUST_CHECK bool sd_baseline_add(sd_baseline *bl, const char *id, const char *stack, sd_verdict verdict);
void sd_baseline_free(sd_baseline *bl);

/* Reads the results.json form into out. The oracle reads no JSON itself:
 * results.json is the report layer's format, so its reader is passed in
 * (report/report.h: sd_report_baseline_from_json). On error returns false
 * with "path: message" in err. */
typedef bool (*sd_baseline_json_reader)(const char *path, const char *text, size_t len, sd_baseline *out,
                                        char *err, size_t err_len);

/* Reads a baseline file of either form (text that starts with '{' is a
 * results.json; read_json may be NULL when only the line form will do). On
 * error returns false with "path:line: message" or "path: message" in err
 * and leaves out empty. */
SD_MUST_CHECK bool sd_baseline_load(const char *path, sd_baseline_json_reader read_json, sd_baseline *out,
                                    char *err, size_t err_len);

/* What the baseline did to one cell, for the reports. */
typedef struct {
    bool applied;        /* the baseline lists the cell as an expected failure */
    sd_verdict raw;      /* the verdict the cell earned, before the baseline */
    sd_verdict recorded; /* the verdict the baseline recorded */
} sd_baseline_mark;

/* Applies the baseline to one cell: scenario_id on stack, whose verdict and
 * why are changed in place. If the baseline records the cell as FAIL, CRASH
 * or HANG, fills mark and returns true (an expected failure); then a verdict
 * that still fails becomes XFAIL and one that passes now XPASS, with why
 * saying so (the baseline's words first, cut to why_len); SKIP and ERROR are
 * left as they are, since there is nothing to compare. A cell marked
 * already is judged on its raw verdict. */
bool sd_baseline_apply(const sd_baseline *bl, const char *scenario_id, const char *stack, sd_verdict *verdict,
                       char *why, size_t why_len, sd_baseline_mark *mark);

#endif
