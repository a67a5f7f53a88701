/* cells.c — running scenario × stack cells (run/cells.h).
 *
 * Unless the plan says otherwise (the tcp peer), the cells run in forked
 * worker processes, N with jobs = N and one by default, the c-th cell to run in worker c % N, each finished cell
 * written back whole over a pipe (the result is plain data). Forking rather
 * than threads because the in-process stacks are not known to be
 * thread-safe and, above all, because a stack that crashes then kills only
 * its worker: the parent records that cell as CRASH and starts a new worker
 * for the rest of its share. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* the build defines it too; this is for building alone */
#endif

#include "run/cells.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver/driver.h"
#include "util/util.h"

/* A worker's exit status when it could not write a result back. */
#define WORKER_LOST_PIPE 3

/* Runs one cell in this process: the driver, then the oracle. */
static void run_cell(const sd_cell_plan *plan, size_t c, sd_cell_result *cell) {
    const sd_scenario *s = &plan->scenarios[c / plan->n_stacks];
    const sd_target_ops *ops = plan->stacks[c % plan->n_stacks];
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, ops, s->role, plan->pki);
    sd_run_config_apply_scenario(&cfg, s);
    cfg.now = plan->now;
    cfg.seed = plan->seed;
    cfg.verbose = plan->verbose;
    memset(cell, 0, sizeof *cell);
    sd_outcome_init(&cell->outcome);
    if (ops == plan->probed_stack && sd_peer_profile_lacks(plan->profiles[s->role], s, cell->outcome.detail,
                                                           sizeof cell->outcome.detail)) {
        cell->outcome.kind = SD_OUTCOME_UNSUPPORTED;
        cell->ran = true;
        cell->verdict = sd_classify(s, &cell->outcome, cell->why, sizeof cell->why);
        return;
    }
    double c0 = sd_now_ms();
    sd_driver_run(&s->trace, &cfg, &cell->outcome);
    cell->elapsed_ms = sd_now_ms() - c0;
    cell->ran = true;
    cell->verdict = sd_classify(s, &cell->outcome, cell->why, sizeof cell->why);
}

/* --- Workers ------------------------------------------------------------------ */

typedef struct {
    uint64_t index;
    sd_cell_result cell;
} cell_message;

typedef struct {
    pid_t pid;
    int fd;
    size_t next; /* the position of the next cell this worker will report */
    size_t got;  /* bytes of the current message read so far */
    cell_message msg;
} worker;

/* The cell at position p of the plan's run order. */
static size_t cell_at(const sd_cell_plan *plan, size_t p) {
    return plan->only_cells ? plan->only_cells[p] : p;
}

/* clang's source-based coverage (scripts/coverage.sh) writes its profile
 * from an atexit handler, which a worker's _exit skips: without this the
 * cells' coverage would be lost. Weak, so other builds link without it. */
extern int __llvm_profile_write_file(void) __attribute__((weak));

static void write_coverage_profile(void) {
    if (__llvm_profile_write_file) __llvm_profile_write_file();
}

/* Starts a worker for the cells at positions first, first + stride, ...
 * of the run order. Returns false if the system refused (no process or
 * pipe). */
static bool start_worker(const sd_cell_plan *plan, size_t total, worker *w, size_t first, size_t stride) {
    int fds[2];
    if (pipe(fds) != 0) return false;
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return false;
    }
    if (pid == 0) {
        sd_die_with_parent(parent);
        /* The parent decides when the run stops (cells.h); the processes
         * this worker starts reset these to the default before exec. */
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        close(fds[0]);
        for (size_t c = first; c < total; c += stride) {
            cell_message m;
            memset(&m, 0, sizeof m);
            m.index = c;
            run_cell(plan, cell_at(plan, c), &m.cell);
            if (!sd_write_all(fds[1], &m, sizeof m)) _exit(WORKER_LOST_PIPE);
        }
        write_coverage_profile();
        _exit(0);
    }
    close(fds[1]);
    w->pid = pid;
    w->fd = fds[0];
    w->next = first;
    w->got = 0;
    return true;
}

/* A worker died, with status, before reporting a cell: that cell crashed
 * the process (a stack in-process: its CRASH) unless the worker exited on
 * its own, which is the harness's failure (ERROR). */
static void dead_cell(int status, sd_cell_result *cell) {
    memset(cell, 0, sizeof *cell);
    sd_outcome_init(&cell->outcome);
    cell->ran = true;
    if (WIFSIGNALED(status)) {
        cell->outcome.kind = SD_OUTCOME_CRASH;
        cell->verdict = SD_VERDICT_CRASH;
        snprintf(cell->outcome.detail, sizeof cell->outcome.detail,
                 "the worker running this cell died of signal %d", WTERMSIG(status));
    } else {
        cell->outcome.kind = SD_OUTCOME_HARNESS_ERROR;
        cell->verdict = SD_VERDICT_ERROR;
        snprintf(cell->outcome.detail, sizeof cell->outcome.detail,
                 "the worker running this cell exited with status %d",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    snprintf(cell->why, sizeof cell->why, "%s", cell->outcome.detail);
}

static bool stopped(const sd_cell_plan *plan) { return plan->stop && *plan->stop; }

static bool run_parallel(const sd_cell_plan *plan, size_t total, size_t jobs) {
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
        if (!start_worker(plan, total, &ws[w], w, jobs)) {
            ok = false;
            break;
        }
        live++;
    }
    while (ok && live > 0 && !stopped(plan)) {
        for (size_t w = 0; w < jobs; w++) {
            pfd[w].fd = ws[w].fd;
            pfd[w].events = POLLIN;
            pfd[w].revents = 0;
        }
        /* A time limit, so that a stop that lands just before poll is seen
         * soon even while every worker is busy. */
        int r = poll(pfd, jobs, plan->stop ? 250 : -1);
        if (r < 0) {
            if (errno == EINTR) continue;
            ok = false;
            break;
        }
        for (size_t w = 0; w < jobs && ok && !stopped(plan); w++) {
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
                wk->next = c + jobs;
                plan->on_done(plan->ctx, cell_at(plan, c), &wk->msg.cell);
                continue;
            }
            /* End of the pipe: the worker is done, or died mid-cell. */
            close(wk->fd);
            wk->fd = -1;
            live--;
            int status = 0;
            while (waitpid(wk->pid, &status, 0) < 0 && errno == EINTR) {
            }
            if (wk->next < total) {
                size_t dead = wk->next;
                dead_cell(status, &wk->msg.cell);
                plan->on_done(plan->ctx, cell_at(plan, dead), &wk->msg.cell);
                if (dead + jobs < total) {
                    if (!start_worker(plan, total, wk, dead + jobs, jobs))
                        ok = false;
                    else
                        live++;
                }
            }
        }
    }
    /* On a failure of our own or a stop, stop the workers we started; they
     * are ours. */
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

unsigned sd_cell_shard(const char *scenario_id, const char *stack, unsigned n_shards) {
    /* FNV-1a over "id\0stack", then the splitmix64 finaliser so that the
     * low bits, which the modulo keeps, depend on every byte. */
    uint64_t h = 0xcbf29ce484222325u;
    for (const char *s = scenario_id;; s++) {
        h = (h ^ (unsigned char)*s) * 0x100000001b3u;
        if (!*s) break;
    }
    for (const char *s = stack; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3u;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebu;
    h ^= h >> 31;
    return n_shards > 1 ? (unsigned)(h % n_shards) + 1 : 1;
}

bool sd_cells_run(const sd_cell_plan *plan) {
    size_t total = plan->only_cells ? plan->n_only_cells : plan->n_scenarios * plan->n_stacks;
    size_t jobs = plan->jobs > 1 ? plan->jobs : 1;
    if (jobs > total) jobs = total ? total : 1;
    if (jobs > 1 || (plan->isolated && total > 0)) return run_parallel(plan, total, jobs);
    for (size_t c = 0; c < total && !stopped(plan); c++) {
        sd_cell_result cell;
        run_cell(plan, cell_at(plan, c), &cell);
        if (stopped(plan)) break; /* ended under the signal: not reported */
        plan->on_done(plan->ctx, cell_at(plan, c), &cell);
    }
    return true;
}
