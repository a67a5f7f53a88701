/* bench_shims.c — shim cells per second, persistent shims against one
 * process per run (docs/shim-contract.md, "Persistent shims"), for every
 * shim stack this build has. The same cells run in both modes, one after
 * another in this process (one core), so the pool of idle shims lives here
 * as it lives in a worker of `shakedown conform`; each mode starts with an
 * empty pool. It also says whether both modes gave every cell the same
 * verdict. This is a benchmark, not a test: it prints figures and ratios
 * and never fails on them.
 *
 * usage: bench_shims [filter] [rounds]
 *   filter: the scenario files whose id contains it (default ".handshake.";
 *           the generated families are left out: their DHE key shares make
 *           the stacks' own arithmetic, not the process, the cost)
 *   rounds: default 3; the modes alternate and the best round of each is
 *           reported, since these machines are shared and noisy */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/pki.h"
#include "oracle/oracle.h"
#include "run/cells.h"
#include "run/scenario_set.h"
#include "stacks/shim_target.h"
#include "stacks/stacks.h"
#include "util/util.h"

typedef struct {
    sd_verdict *verdicts; /* by cell */
    size_t cells;
} round_result;

static void record(void *ctx, size_t cell, const sd_cell_result *result) {
    round_result *r = ctx;
    r->verdicts[cell] = result->verdict;
    r->cells++;
}

/* Seconds for every cell of set on stack in the given mode, from an empty
 * pool; the verdicts go to r. */
static double run_mode(const sd_scenario_set *set, const sd_target_ops *stack, const sd_pki *pki,
                       const char *mode, round_result *r) {
    setenv("SHAKEDOWN_SHIM_MODE", mode, 1);
    sd_shim_pool_clear();
    r->cells = 0;
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
        .on_done = record,
        .ctx = r,
    };
    double t0 = sd_now_ms();
    sd_cells_run(&plan); /* in this process: nothing to fail */
    double seconds = (sd_now_ms() - t0) / 1e3;
    sd_shim_pool_clear();
    return seconds;
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : ".handshake.";
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    if (rounds < 1) rounds = 1;
    sd_pki pki;
    char err[512];
    if (!sd_pki_load(&pki, sd_pki_default_dir(), err, sizeof err)) {
        fprintf(stderr, "bench_shims: %s\n", err);
        return 2;
    }
    sd_scenario_set set;
    if (!sd_scenario_set_load("bench_shims", NULL, 0, filter, false, &set)) {
        sd_pki_free(&pki);
        return 2;
    }
    printf("shim cells: %zu scenarios (id contains \"%s\"), one core, best of %d round%s\n", set.n, filter,
           rounds, rounds == 1 ? "" : "s");
    printf("  %-8s %10s %10s %8s  %s\n", "stack", "process/s", "persist/s", "ratio", "verdicts");
    sd_verdict *a = calloc(set.n ? set.n : 1, sizeof *a), *b = calloc(set.n ? set.n : 1, sizeof *b);
    if (!a || !b) return 2;
    for (const sd_target_ops *const *s = sd_shim_targets; *s; s++) {
        char path[4096];
        if (!sd_shim_path((*s)->name, path, sizeof path)) continue; /* not built */
        double best_process = 0, best_persistent = 0;
        bool same = true;
        for (int k = 0; k < rounds; k++) {
            round_result process = {a, 0}, persistent = {b, 0};
            double tp = run_mode(&set, *s, &pki, "process", &process);
            double tk = run_mode(&set, *s, &pki, "persistent", &persistent);
            if (k == 0 || tp < best_process) best_process = tp;
            if (k == 0 || tk < best_persistent) best_persistent = tk;
            same = same && process.cells == set.n && persistent.cells == set.n &&
                   memcmp(a, b, set.n * sizeof *a) == 0;
        }
        double per_process = (double)set.n / best_process, per_persistent = (double)set.n / best_persistent;
        printf("  %-8s %10.1f %10.1f %7.2fx  %s\n", (*s)->name, per_process, per_persistent,
               per_persistent / per_process, same ? "the same in both modes" : "DIFFER between the modes");
    }
    unsetenv("SHAKEDOWN_SHIM_MODE");
    free(a);
    free(b);
    sd_scenario_set_free(&set);
    sd_pki_free(&pki);
    return 0;
}
