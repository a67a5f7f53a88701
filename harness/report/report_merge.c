/* report_merge.c — joining runs into one report (report.h, sd_report_merge):
 * `shakedown report --merge` after a run spread over a CI matrix, one job a
 * shard (conform --shard K/N), one job a stack, or both.
 *
 * Runs merge only if their cells are of the same experiment: the same tool,
 * the same scenarios (an edited scenario is another test), the same seed
 * and validation time, and the same library under each stack's name.
 * Otherwise the merged report would set side by side verdicts that no one
 * run could have given. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* the build defines it too; this is for building alone */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

static bool same_scenario(const sd_report_scenario *a, const sd_report_scenario *b) {
    return strcmp(a->id, b->id) == 0 && a->role == b->role && a->expect == b->expect &&
           a->expect_alert == b->expect_alert && a->n_expect_alert_also == b->n_expect_alert_also &&
           memcmp(a->expect_alert_also, b->expect_alert_also, a->n_expect_alert_also) == 0 &&
           strcmp(a->script ? a->script : "", b->script ? b->script : "") == 0;
}

/* Whether part can join first: the same tool, scenarios, seed and time. */
static bool same_experiment(const sd_report_run *first, const char *first_name, const sd_report_run *part,
                            const char *name, char *err, size_t err_len) {
    if (strcmp(first->tool_version, part->tool_version) != 0) {
        sd_set_error(err, err_len, "%s and %s were made by different shakedown versions (%s, %s)", first_name,
                     name, first->tool_version, part->tool_version);
        return false;
    }
    if (first->n_scenarios != part->n_scenarios) {
        sd_set_error(err, err_len,
                     "%s and %s ran different scenario sets (%zu and %zu scenarios): were they given the "
                     "same scenarios, --filter and --no-generated?",
                     first_name, name, first->n_scenarios, part->n_scenarios);
        return false;
    }
    for (size_t i = 0; i < first->n_scenarios; i++) {
        if (!same_scenario(&first->scenarios[i], &part->scenarios[i])) {
            sd_set_error(err, err_len,
                         "%s and %s ran different scenario sets: scenario %zu is %s in one and %s in the "
                         "other, or another version of it (its expectation or its script differs)",
                         first_name, name, i + 1, first->scenarios[i].id, part->scenarios[i].id);
            return false;
        }
    }
    if (first->seed != part->seed || first->validation_time != part->validation_time) {
        sd_set_error(err, err_len, "%s and %s were run with different --seed or --time", first_name, name);
        return false;
    }
    return true;
}

/* Adds a part's stack to the columns (found by name, else appended): the
 * same library under the name, and no shard of it twice. *k is its
 * column; owner[k] names the part that brought it first. */
static bool join_stack(sd_report_stack *cols, size_t *n_cols, const char **owner, const sd_report_stack *st,
                       const char *name, size_t *k, char *err, size_t err_len) {
    for (*k = 0; *k < *n_cols && strcmp(cols[*k].name, st->name) != 0; (*k)++) {
    }
    sd_report_stack *o = &cols[*k];
    if (*k == *n_cols) {
        *o = *st;
        owner[(*n_cols)++] = name;
        return true;
    }
    if (strcmp(o->version, st->version) != 0) {
        sd_set_error(err, err_len,
                     "stack %s is '%s' in %s and '%s' in %s: cells of two libraries do not merge", st->name,
                     o->version, owner[*k], st->version, name);
        return false;
    }
    if (o->shard_count != st->shard_count) {
        sd_set_error(err, err_len, "stack %s is cut into %u shards in %s and %u in %s (0: not sharded)",
                     st->name, o->shard_count, owner[*k], st->shard_count, name);
        return false;
    }
    if (o->shard_count == 0) {
        sd_set_error(err, err_len, "%s and %s both hold every cell of stack %s (neither is a shard of it)",
                     owner[*k], name, st->name);
        return false;
    }
    for (unsigned i = 0; i < o->shard_count; i++) {
        if (o->shard_held[i] && st->shard_held[i]) {
            sd_set_error(err, err_len, "shard %u/%u of stack %s is in both %s and %s", i + 1, o->shard_count,
                         st->name, owner[*k], name);
            return false;
        }
        o->shard_held[i] = o->shard_held[i] || st->shard_held[i];
    }
    o->elapsed_ms += st->elapsed_ms;
    if (!o->probe[0]) memcpy(o->probe, st->probe, sizeof o->probe);
    return true;
}

/* The shards no part brought, into text: "2 of 3 shards merged; missing:
 * 3/3" when every sharded stack lacks the same ones, else per stack
 * ("missing shards: model 3/3, boringssl 2/3"). Empty if none is missing. */
static void describe_missing(const sd_report_run *out, char *buf, size_t len) {
    buf[0] = '\0';
    const sd_report_stack *first = NULL;
    bool alike = true, any = false;
    for (size_t k = 0; k < out->n_stacks; k++) {
        const sd_report_stack *st = &out->stacks[k];
        if (!st->shard_count) continue;
        for (unsigned i = 0; i < st->shard_count; i++) any = any || !st->shard_held[i];
        if (!first)
            first = st;
        else if (st->shard_count != first->shard_count ||
                 memcmp(st->shard_held, first->shard_held, first->shard_count) != 0)
            alike = false;
    }
    if (!any) return;
    sd_buf b;
    sd_buf_init(&b);
    if (alike) {
        unsigned held = 0;
        for (unsigned i = 0; i < first->shard_count; i++) held += first->shard_held[i];
        sd_buf_appendf(&b, "%u of %u shards merged; missing:", held, first->shard_count);
        for (unsigned i = 0; i < first->shard_count; i++)
            if (!first->shard_held[i]) sd_buf_appendf(&b, " %u/%u", i + 1, first->shard_count);
    } else {
        sd_buf_appendf(&b, "missing shards:");
        const char *sep = " ";
        for (size_t k = 0; k < out->n_stacks; k++) {
            const sd_report_stack *st = &out->stacks[k];
            for (unsigned i = 0; i < st->shard_count; i++) {
                if (st->shard_held[i]) continue;
                sd_buf_appendf(&b, "%s%s %u/%u", sep, st->name, i + 1, st->shard_count);
                sep = ", ";
            }
        }
    }
    snprintf(buf, len, "%.*s", b.failed ? 0 : (int)b.len, b.failed ? "" : (const char *)b.data);
    sd_buf_free(&b);
}

/* Copies every held cell of part into out, in the columns the part's
 * stacks became (column[k]); a cell already held is an overlap. */
static bool join_cells(sd_report_run *out, const sd_report_run *part, const char *name, const size_t *column,
                       char *err, size_t err_len) {
    for (size_t k = 0; k < part->n_stacks; k++) {
        for (size_t i = 0; i < part->n_scenarios; i++) {
            const sd_report_cell *from = sd_report_cell_at(part, i, k);
            sd_report_cell *to = sd_report_cell_at(out, i, column[k]);
            if (from->absent) continue;
            if (!to->absent) {
                sd_set_error(err, err_len, "scenario %s on stack %s is in %s and in a run before it",
                             part->scenarios[i].id, part->stacks[k].name, name);
                return false;
            }
            *to = *from;
        }
    }
    return true;
}

bool sd_report_merge(const sd_report_run *parts, const char *const *names, size_t n_parts, sd_report_run *out,
                     char *missing, size_t missing_len, char *err, size_t err_len) {
    memset(out, 0, sizeof *out);
    if (missing && missing_len) missing[0] = '\0';
    if (n_parts == 0) {
        sd_set_error(err, err_len, "no runs to merge");
        return false;
    }
    size_t max_cols = 0;
    for (size_t p = 0; p < n_parts; p++) {
        if (p && !same_experiment(&parts[0], names[0], &parts[p], names[p], err, err_len)) return false;
        max_cols += parts[p].n_stacks;
    }
    /* The columns first (their number fixes the matrix's shape), then the
     * cells into a matrix of that shape. */
    sd_report_stack *cols = calloc(max_cols ? max_cols : 1, sizeof *cols);
    const char **owner = calloc(max_cols ? max_cols : 1, sizeof *owner);
    size_t *column =
        calloc(max_cols ? max_cols : 1, sizeof *column); /* part p's stack k: column[base_p + k] */
    size_t n_cols = 0;
    bool ok = cols && owner && column;
    if (!ok) sd_set_error(err, err_len, "out of memory");
    for (size_t p = 0, c = 0; p < n_parts && ok; p++)
        for (size_t k = 0; k < parts[p].n_stacks && ok; k++, c++)
            ok = join_stack(cols, &n_cols, owner, &parts[p].stacks[k], names[p], &column[c], err, err_len);
    if (ok && !sd_report_run_init(out, parts[0].n_scenarios, n_cols)) {
        sd_set_error(err, err_len, "out of memory");
        ok = false;
    }
    if (ok) {
        memcpy(out->stacks, cols, n_cols * sizeof *cols);
        for (size_t i = 0; i < out->n_scenarios; i++) {
            const sd_report_scenario *sc = &parts[0].scenarios[i];
            out->scenarios[i] = *sc;
            out->scenarios[i].script = sc->script ? strdup(sc->script) : NULL;
        }
        for (size_t c = 0; c < out->n_scenarios * out->n_stacks; c++) out->cells[c].absent = true;
        memcpy(out->tool_version, parts[0].tool_version, sizeof out->tool_version);
        out->seed = parts[0].seed;
        out->validation_time = parts[0].validation_time;
        out->started = parts[0].started;
    }
    for (size_t p = 0, base = 0; p < n_parts && ok; base += parts[p].n_stacks, p++) {
        const sd_report_run *part = &parts[p];
        /* The jobs ran side by side: the merged run began with the first
         * and took as long as the longest. */
        if (part->started < out->started) out->started = part->started;
        if (part->elapsed_ms > out->elapsed_ms) out->elapsed_ms = part->elapsed_ms;
        if (part->incomplete && !out->incomplete) {
            out->incomplete = true;
            snprintf(out->incomplete_reason, sizeof out->incomplete_reason, "%s: %s", names[p],
                     part->incomplete_reason);
        }
        ok = join_cells(out, part, names[p], column + base, err, err_len);
    }
    free(cols);
    free(owner);
    free(column);
    if (!ok) {
        if (out->cells) sd_report_run_free(out);
        return false;
    }
    if (n_parts == 1) {
        out->shard_index = parts[0].shard_index;
        out->shard_count = parts[0].shard_count;
    }
    char text[sizeof out->incomplete_reason];
    describe_missing(out, text, sizeof text);
    if (missing && missing_len) snprintf(missing, missing_len, "%s", text);
    if (text[0]) {
        /* The cells of the missing shards are absent, in no table: the
         * reason, on every report, says which. */
        out->incomplete = true;
        snprintf(out->incomplete_reason, sizeof out->incomplete_reason, "%s", text);
    }
    return true;
}
