/* cells.h — running scenario × stack cells and judging each one.
 *
 * One cell is one scenario against one stack: the driver runs its trace on
 * the stack, the oracle classifies the outcome. Cells run one after another
 * in this process, or with jobs > 1 in that many forked worker processes, so
 * that a stack that crashes its process takes only its own cell with it. */
#ifndef SHAKEDOWN_RUN_CELLS_H
#define SHAKEDOWN_RUN_CELLS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/pki.h"
#include "driver/outcome.h"
#include "oracle/oracle.h"
#include "protocol/target.h"
#include "run/probe.h"
#include "trace/trace.h"

/* A finished cell: plain data (no pointers), so a worker can send it whole
 * over a pipe. */
typedef struct {
    bool ran;
    sd_outcome outcome;
    sd_verdict verdict;
    char why[512];
    double elapsed_ms;
} sd_cell_result;

typedef struct sd_cell_plan {
    const sd_scenario *scenarios;
    size_t n_scenarios;
    const sd_target_ops *const *stacks;
    size_t n_stacks;
    const sd_pki *pki;
    int64_t now;   /* certificate validation time */
    uint64_t seed; /* for the driver and the deterministic stacks */
    bool verbose;  /* the driver logs every record to stderr */
    size_t jobs;   /* worker processes; 0 or 1: one at a time, see isolated */
    /* With one job: the cells still run in one worker process (started
     * again after a crash), so that a stack in this process that crashes
     * is that cell's CRASH and the run goes on; false: every cell in this
     * process (a stack that keeps state across cells, the tcp peer). */
    bool isolated;
    /* Called in this process for each finished cell, in the order they
     * finish (with workers, not the order of the cells). Cell c is scenario
     * c / n_stacks on stack c % n_stacks. */
    void (*on_done)(void *ctx, size_t cell, const sd_cell_result *result);
    void *ctx;
    /* If not NULL: set (by a signal handler) to stop the run. No cell
     * starts after it is set, and a cell that finishes after it is not
     * reported (the signal may have reached its stack too): the cells
     * reported are the ones that ran undisturbed. */
    const volatile sig_atomic_t *stop;
    /* What the probe learnt of the peers of one stack (run/probe.h), by the
     * role under test (NULL: not probed). A cell of that stack whose
     * scenario needs what its peer lacks does not run: SKIP, with the
     * probe's reason. */
    const sd_target_ops *probed_stack;
    const sd_peer_profile *profiles[2];
    /* If not NULL: run only these cells (numbered as for on_done), in this
     * order; a shard of the matrix (sd_cell_shard). NULL: every cell. */
    const size_t *only_cells;
    size_t n_only_cells;
} sd_cell_plan;

/* The shard, 1 to n_shards, that the cell of this scenario on this stack
 * belongs to: a hash of the scenario id and the stack name, so a cell keeps
 * its shard whatever -j is, whatever order the scenarios load in and
 * whichever other scenarios and stacks the run has. */
unsigned sd_cell_shard(const char *scenario_id, const char *stack, unsigned n_shards);

/* Runs every cell of the plan and reports each through on_done. A worker
 * that dies mid-cell makes that cell CRASH (killed by a signal) or ERROR (it
 * exited), and a new worker carries on with the rest of its share. Returns
 * false, with errno set, if workers could not be started or spoke out of
 * turn; the cells not reported then did not run. When *plan->stop is set it
 * returns true early, having stopped its workers (the caller knows why).
 * Workers die with this process (sd_die_with_parent) and ignore SIGINT and
 * SIGTERM: a Ctrl-C reaches the whole process group, and stopping is the
 * parent's decision. */
bool sd_cells_run(const sd_cell_plan *plan);

#endif
