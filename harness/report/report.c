/* report.c — the run matrix, atomic file writing, and summary.md.
 * (results.json is report_json.c; index.html is report_html.c.) */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* the build defines it too; this is for building alone */
#endif

#include "report/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wire/names.h"
#include "util/util.h"

bool sd_report_run_init(sd_report_run *run, size_t n_scenarios, size_t n_stacks) {
    memset(run, 0, sizeof *run);
    snprintf(run->tool_version, sizeof run->tool_version, "%s", SHAKEDOWN_VERSION);
    run->started = time(NULL);
    run->validation_time = SD_PKI_DEFAULT_TIME;
    run->seed = 1;
    /* calloc of zero elements may return NULL; ask for at least one so a
     * NULL always means "out of memory". */
    run->scenarios = calloc(n_scenarios ? n_scenarios : 1, sizeof *run->scenarios);
    run->stacks = calloc(n_stacks ? n_stacks : 1, sizeof *run->stacks);
    size_t n_cells = n_scenarios * n_stacks;
    if (n_stacks && n_cells / n_stacks != n_scenarios) n_cells = 0; /* overflow: fail below */
    run->cells = calloc(n_cells ? n_cells : 1, sizeof *run->cells);
    if (!run->scenarios || !run->stacks || !run->cells || (n_cells == 0 && n_scenarios && n_stacks)) {
        sd_report_run_free(run);
        return false;
    }
    run->n_scenarios = n_scenarios;
    run->n_stacks = n_stacks;
    for (size_t i = 0; i < n_cells; i++) {
        sd_outcome_init(&run->cells[i].outcome);
        run->cells[i].verdict = SD_VERDICT_SKIP;
    }
    return true;
}

void sd_report_run_free(sd_report_run *run) {
    if (run->scenarios) {
        for (size_t i = 0; i < run->n_scenarios; i++) free(run->scenarios[i].script);
    }
    free(run->scenarios);
    free(run->stacks);
    free(run->cells);
    run->scenarios = NULL;
    run->stacks = NULL;
    run->cells = NULL;
    run->n_scenarios = run->n_stacks = 0;
}

sd_report_cell *sd_report_cell_at(const sd_report_run *run, size_t scenario, size_t stack) {
    return &run->cells[scenario * run->n_stacks + stack];
}

void sd_report_scenario_set(sd_report_scenario *dst, const sd_scenario *src) {
    free(dst->script);
    memset(dst, 0, sizeof *dst);
    snprintf(dst->id, sizeof dst->id, "%s", src->id);
    snprintf(dst->title, sizeof dst->title, "%s", src->title);
    snprintf(dst->rfc, sizeof dst->rfc, "%s", src->rfc);
    snprintf(dst->note, sizeof dst->note, "%s", src->note);
    snprintf(dst->path, sizeof dst->path, "%s", src->path);
    dst->role = src->role;
    dst->expect = src->expect;
    dst->expect_alert = src->expect_alert;
    dst->n_expect_alert_also = src->n_expect_alert_also < SD_MAX_EXPECT_ALERTS - 1 ? src->n_expect_alert_also
                                                                                   : SD_MAX_EXPECT_ALERTS - 1;
    memcpy(dst->expect_alert_also, src->expect_alert_also, dst->n_expect_alert_also);
    dst->n_tags = src->n_tags < SD_MAX_TAGS ? src->n_tags : SD_MAX_TAGS;
    for (size_t i = 0; i < dst->n_tags; i++) {
        snprintf(dst->tags[i], sizeof dst->tags[i], "%s", src->tags[i]);
    }
    /* The script shown under the ladder is the trace printed back, so it is
     * what actually ran (comments and layout of the file are not kept). */
    sd_buf b;
    sd_buf_init(&b);
    sd_trace_print(&src->trace, &b);
    if (!b.failed) {
        dst->script = malloc(b.len + 1);
        if (dst->script) {
            if (b.len) memcpy(dst->script, b.data, b.len);
            dst->script[b.len] = '\0';
        }
    }
    sd_buf_free(&b);
}

size_t sd_report_cells_held(const sd_report_run *run) {
    size_t n = 0;
    for (size_t c = 0; c < run->n_scenarios * run->n_stacks; c++) n += !run->cells[c].absent;
    return n;
}

size_t sd_report_count(const sd_report_run *run, size_t stack, sd_verdict v) {
    size_t n = 0;
    for (size_t i = 0; i < run->n_scenarios; i++) {
        const sd_report_cell *c = sd_report_cell_at(run, i, stack);
        if (!c->absent && c->verdict == v) n++;
    }
    return n;
}

void sd_report_observed_short(const sd_outcome *o, char *buf, size_t len) {
    if (!buf || len == 0) return;
    if (o->kind == SD_OUTCOME_ALERT) {
        const char *name = sd_alert_name(o->alert);
        if (name) {
            snprintf(buf, len, "alert %s", name);
        } else {
            snprintf(buf, len, "alert %u", (unsigned)o->alert);
        }
    } else if (o->kind == SD_OUTCOME_HARNESS_ERROR) {
        snprintf(buf, len, "harness error");
    } else {
        snprintf(buf, len, "%s", sd_outcome_kind_name(o->kind));
    }
}

/* --- Atomic files ---------------------------------------------------------- */

bool sd_report_write_file(const char *dir, const char *name, const void *data, size_t len, char *err,
                          size_t err_len) {
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path) {
        sd_set_error(err, err_len, "%s/%s: path too long", dir, name);
        return false;
    }
    return sd_file_write_atomic(path, data, len, err, err_len);
}

/* --- summary.md -------------------------------------------------------------- */

static void md_append(sd_buf *b, const char *s) { sd_buf_append(b, s, strlen(s)); }

/* Text for a Markdown table cell. GitHub renders inline HTML in Markdown,
 * so text that came from a target must not be able to open a tag; and '|'
 * or a newline would break the table. */
static void md_cell(sd_buf *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '|':
            md_append(b, "\\|");
            break;
        case '<':
            md_append(b, "&lt;");
            break;
        case '>':
            md_append(b, "&gt;");
            break;
        case '&':
            md_append(b, "&amp;");
            break;
        case '`':
            md_append(b, "\\`");
            break;
        case '*':
            md_append(b, "\\*");
            break;
        case '_':
            md_append(b, "\\_");
            break;
        case '[':
            md_append(b, "\\[");
            break;
        case ']':
            md_append(b, "\\]");
            break;
        case '\\':
            md_append(b, "\\\\");
            break;
        case '\n':
        case '\r':
        case '\t':
            md_append(b, " ");
            break;
        default:
            if ((unsigned char)*s >= 0x20 && *s != 0x7f) sd_buf_append(b, s, 1);
            break;
        }
    }
}

/* Where a scenario accepts a set of alerts (the RFCs allow more than one),
 * which one each stack chose: one row per set, stack and choice, with the
 * number of scenarios, so the choice is visible without opening a cell. */
typedef struct {
    size_t scenario; /* the first scenario of the row, whose set the row shows */
    size_t stack;
    uint8_t chose;
    size_t n;
} alert_choice;

static bool same_set(const sd_report_scenario *a, const sd_report_scenario *b) {
    return a->expect_alert == b->expect_alert && a->n_expect_alert_also == b->n_expect_alert_also &&
           memcmp(a->expect_alert_also, b->expect_alert_also, a->n_expect_alert_also) == 0;
}

static bool in_set(const sd_report_scenario *sc, uint8_t alert) {
    if (alert == sc->expect_alert) return true;
    for (size_t a = 0; a < sc->n_expect_alert_also; a++)
        if (sc->expect_alert_also[a] == alert) return true;
    return false;
}

static void md_alert_choices(sd_buf *b, const sd_report_run *run) {
    alert_choice rows[64];
    size_t n_rows = 0, more = 0;
    for (size_t i = 0; i < run->n_scenarios; i++) {
        const sd_report_scenario *sc = &run->scenarios[i];
        if (sc->expect != SD_EXPECT_ALERT || sc->n_expect_alert_also == 0) continue;
        for (size_t k = 0; k < run->n_stacks; k++) {
            const sd_report_cell *c = sd_report_cell_at(run, i, k);
            if (!c->ran || c->outcome.kind != SD_OUTCOME_ALERT || !in_set(sc, c->outcome.alert)) continue;
            size_t r = 0;
            while (r < n_rows && !(rows[r].stack == k && rows[r].chose == c->outcome.alert &&
                                   same_set(&run->scenarios[rows[r].scenario], sc)))
                r++;
            if (r == n_rows) {
                if (n_rows == sizeof rows / sizeof rows[0]) {
                    more++;
                    continue;
                }
                rows[n_rows++] = (alert_choice){.scenario = i, .stack = k, .chose = c->outcome.alert};
            }
            rows[r].n++;
        }
    }
    if (n_rows == 0) return;
    md_append(b, "\nWhere the RFCs allow more than one alert, the one each stack chose:\n\n"
                 "| expected | stack | chose | scenarios |\n|---|---|---|---:|\n");
    for (size_t r = 0; r < n_rows; r++) {
        const sd_report_scenario *sc = &run->scenarios[rows[r].scenario];
        char text[300], chose[48];
        const char *name = sd_alert_name(sc->expect_alert);
        int n = name ? snprintf(text, sizeof text, "alert %s", name)
                     : snprintf(text, sizeof text, "alert %u", (unsigned)sc->expect_alert);
        for (size_t a = 0; a < sc->n_expect_alert_also && n > 0 && (size_t)n < sizeof text; a++) {
            name = sd_alert_name(sc->expect_alert_also[a]);
            n += name ? snprintf(text + n, sizeof text - (size_t)n, " | %s", name)
                      : snprintf(text + n, sizeof text - (size_t)n, " | %u",
                                 (unsigned)sc->expect_alert_also[a]);
        }
        name = sd_alert_name(rows[r].chose);
        if (name)
            snprintf(chose, sizeof chose, "%s", name);
        else
            snprintf(chose, sizeof chose, "%u", (unsigned)rows[r].chose);
        md_append(b, "| ");
        md_cell(b, text);
        md_append(b, " | ");
        md_cell(b, run->stacks[rows[r].stack].name);
        md_append(b, " | ");
        md_cell(b, chose);
        sd_buf_appendf(b, " | %zu |\n", rows[r].n);
    }
    if (more) sd_buf_appendf(b, "\n(%zu more cells not shown)\n", more);
}

bool sd_report_write_summary_md(const sd_report_run *run, const char *dir, char *err, size_t err_len) {
    sd_buf b;
    sd_buf_init(&b);
    sd_buf_appendf(&b, "## shakedown conform: %zu scenarios × %zu stacks", run->n_scenarios, run->n_stacks);
    if (run->shard_count) sd_buf_appendf(&b, ", shard %u/%u", run->shard_index, run->shard_count);
    sd_buf_appendf(&b, "%s\n\n", run->incomplete ? " (incomplete)" : "");
    size_t held = sd_report_cells_held(run), matrix = run->n_scenarios * run->n_stacks;
    if (held < matrix) {
        /* A shard, or a merge of some: the other cells are in no table. */
        sd_buf_appendf(&b, "This report holds %zu of the %zu scenario × stack cells", held, matrix);
        if (run->shard_count)
            sd_buf_appendf(&b, " (shard %u of %u; `shakedown report --merge` joins the shards)",
                           run->shard_index, run->shard_count);
        md_append(&b, ".\n\n");
    }
    if (run->incomplete) {
        md_append(&b, "> **Incomplete run:** ");
        md_cell(&b, run->incomplete_reason[0] ? run->incomplete_reason : "stopped before every cell ran");
        md_append(&b, ".");
        bool not_run = false; /* absent cells (shards not merged) are in no table */
        for (size_t c = 0; c < run->n_scenarios * run->n_stacks; c++)
            not_run = not_run || (!run->cells[c].absent && !run->cells[c].ran);
        md_append(&b, not_run ? " The cells that did not run are listed as not run.\n\n" : "\n\n");
    }
    md_append(&b, "| stack | version |");
    /* XFAIL and XPASS only come with --baseline: shown when some cell has one. */
    bool baseline = false;
    for (size_t k = 0; k < run->n_stacks; k++)
        baseline = baseline || sd_report_count(run, k, SD_VERDICT_XFAIL) ||
                   sd_report_count(run, k, SD_VERDICT_XPASS);
    /* UNREACHED likewise only when some cell has it. */
    bool unreached = false;
    for (size_t k = 0; k < run->n_stacks; k++)
        unreached = unreached || sd_report_count(run, k, SD_VERDICT_UNREACHED);
    int n_cols = 0;
    for (int v = 0; v < SD_VERDICT_COUNT; v++) {
        if (!baseline && (v == SD_VERDICT_XFAIL || v == SD_VERDICT_XPASS)) continue;
        if (!unreached && v == SD_VERDICT_UNREACHED) continue;
        sd_buf_appendf(&b, " %s |", sd_verdict_name((sd_verdict)v));
        n_cols++;
    }
    md_append(&b, " time |\n|---|---|");
    for (int v = 0; v < n_cols; v++) md_append(&b, "---:|");
    md_append(&b, "---:|\n");
    for (size_t k = 0; k < run->n_stacks; k++) {
        md_append(&b, "| ");
        md_cell(&b, run->stacks[k].name);
        md_append(&b, " | ");
        md_cell(&b, run->stacks[k].version);
        md_append(&b, " |");
        for (int v = 0; v < SD_VERDICT_COUNT; v++) {
            if (!baseline && (v == SD_VERDICT_XFAIL || v == SD_VERDICT_XPASS)) continue;
            if (!unreached && v == SD_VERDICT_UNREACHED) continue;
            sd_buf_appendf(&b, " %zu |", sd_report_count(run, k, (sd_verdict)v));
        }
        sd_buf_appendf(&b, " %.1f ms |\n", run->stacks[k].elapsed_ms);
    }

    /* A stack over TCP: what its peer was found to do before the run. */
    for (size_t k = 0; k < run->n_stacks; k++) {
        if (!run->stacks[k].probe[0]) continue;
        md_append(&b, "\n");
        md_cell(&b, run->stacks[k].name);
        sd_buf_appendf(&b, ", the probe before the run:\n\n```\n%s```\n", run->stacks[k].probe);
    }

    /* Only what needs a look: every cell that is not a plain PASS. */
    size_t shown = 0, not_run = 0;
    for (size_t i = 0; i < run->n_scenarios; i++) {
        for (size_t k = 0; k < run->n_stacks; k++) {
            const sd_report_cell *c = sd_report_cell_at(run, i, k);
            if (c->absent || c->verdict == SD_VERDICT_PASS) continue;
            /* An interrupted run: the cells it never reached are counted,
             * not listed one by one. */
            if (run->incomplete && !c->ran) {
                not_run++;
                continue;
            }
            if (shown++ == 0) {
                md_append(&b, "\n| scenario | stack | verdict | observed | why |\n"
                              "|---|---|---|---|---|\n");
            }
            char obs[300];
            sd_outcome_describe(&c->outcome, obs, sizeof obs);
            md_append(&b, "| ");
            md_cell(&b, run->scenarios[i].id);
            md_append(&b, " | ");
            md_cell(&b, run->stacks[k].name);
            sd_buf_appendf(&b, " | **%s** | ", sd_verdict_name(c->verdict));
            md_cell(&b, c->ran ? obs : "not run");
            md_append(&b, " | ");
            md_cell(&b, c->why);
            md_append(&b, " |\n");
        }
    }
    if (not_run) sd_buf_appendf(&b, "\n%zu cell%s did not run.\n", not_run, not_run == 1 ? "" : "s");
    if (shown == 0 && not_run == 0) md_append(&b, "\nEvery scenario passed on every stack.\n");
    if (shown == 0 && not_run) md_append(&b, "\nEvery scenario that ran passed.\n");
    md_alert_choices(&b, run);
    if (b.failed) {
        sd_buf_free(&b);
        sd_set_error(err, err_len, "summary.md: out of memory");
        return false;
    }
    bool ok = sd_report_write_file(dir, "summary.md", b.data, b.len, err, err_len);
    sd_buf_free(&b);
    return ok;
}
