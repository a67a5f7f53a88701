/* bench_suite.c — the whole conformance suite (every file under scenarios/
 * and every generated family, what `shakedown conform` runs by default)
 * against each in-process stack, one cell after another on one core, as
 * wall time per stack. The goal: the whole suite against one in-process
 * stack in under 5 s on one core. This is a benchmark, not a test: it
 * prints times and never fails on them.
 *
 * The scenarios and the cells come from the run layer (run/scenario_set.h,
 * run/cells.h), so this times exactly what conform runs.
 *
 * usage: bench_suite [rounds]   (default 3; the best round is reported,
 *                                since these machines are shared and noisy) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "crypto/pki.h"
#include "oracle/oracle.h"
#include "run/cells.h"
#include "run/scenario_set.h"
#include "stacks/stacks.h"
#include "trace/generate.h"
#include "util/util.h"

typedef struct {
    double seconds;
    size_t pass, soft, other;
} round_result;

static void count(void *ctx, size_t cell, const sd_cell_result *result) {
    round_result *r = ctx;
    (void)cell;
    if (result->verdict == SD_VERDICT_PASS)
        r->pass++;
    else if (result->verdict == SD_VERDICT_SOFT)
        r->soft++;
    else
        r->other++;
}

static round_result run_suite(const sd_scenario_set *set, const sd_target_ops *stack, const sd_pki *pki) {
    round_result r = {0};
    const sd_target_ops *stacks[] = {stack};
    sd_cell_plan plan = {
        .scenarios = set->items,
        .n_scenarios = set->n,
        .stacks = stacks,
        .n_stacks = 1,
        .pki = pki,
        .now = SD_PKI_DEFAULT_TIME,
        .seed = 1,
        .jobs = 1,
        .on_done = count,
        .ctx = &r,
    };
    double t0 = sd_now_ms() / 1e3;
    sd_cells_run(&plan); /* in this process: nothing to fail */
    r.seconds = sd_now_ms() / 1e3 - t0;
    return r;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    if (rounds < 1) rounds = 1;
    sd_pki pki;
    char err[512];
    if (!sd_pki_load(&pki, sd_pki_default_dir(), err, sizeof err)) {
        fprintf(stderr, "bench_suite: %s\n", err);
        return 2;
    }
    sd_scenario_set set;
    if (!sd_scenario_set_load("bench_suite", NULL, 0, NULL, true, &set)) {
        sd_pki_free(&pki);
        return 2;
    }
    size_t generated = 0;
    for (size_t i = 0; i < set.n; i++)
        if (sd_generated_family_of(&set.items[i])) generated++;
    printf("suite: %zu scenarios (%zu files, %zu generated), best of %d round%s, one core\n", set.n,
           set.n - generated, generated, rounds, rounds == 1 ? "" : "s");
    static const sd_target_ops *const stacks[] = {&sd_target_model, &sd_target_boringssl};
    for (size_t k = 0; k < sizeof stacks / sizeof stacks[0]; k++) {
        round_result best = {0};
        for (int r = 0; r < rounds; r++) {
            round_result got = run_suite(&set, stacks[k], &pki);
            if (r == 0 || got.seconds < best.seconds) best = got;
        }
        printf(
            "  %-10s %7.3f s  %8.0f scenarios/s  %5.1f%% of the 5 s goal  (%zu PASS, %zu SOFT, %zu other)\n",
            stacks[k]->name, best.seconds, (double)set.n / best.seconds, best.seconds / 5.0 * 100.0,
            best.pass, best.soft, best.other);
    }
    sd_scenario_set_free(&set);
    sd_pki_free(&pki);
    return 0;
}
