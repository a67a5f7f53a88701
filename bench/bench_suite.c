/* bench_suite.c — the whole conformance suite (every file under scenarios/
 * and every generated family, what `shakedown conform` runs by default)
 * against each in-process stack, one cell after another on one core, as
 * wall time per stack. DESIGN.md's goal: the whole suite against one
 * in-process stack in under 5 s on one core. This is a benchmark, not a
 * test: it prints times and never fails on them.
 *
 * usage: bench_suite [rounds]   (default 3; the best round is reported,
 *                                since these machines are shared and noisy) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "crypto/pki.h"
#include "driver/driver.h"
#include "oracle/oracle.h"
#include "trace/generate.h"
#include "stacks/stacks.h"

#ifndef SHAKEDOWN_SOURCE_DIR
#define SHAKEDOWN_SOURCE_DIR "."
#endif

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
    size_t n, cap;
    sd_scenario *items;
} suite;

static sd_scenario *suite_add(suite *s) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->items = realloc(s->items, s->cap * sizeof *s->items);
        if (!s->items) {
            fprintf(stderr, "bench_suite: out of memory\n");
            exit(2);
        }
    }
    return &s->items[s->n];
}

/* Every *.sd under dir, as conform collects them (folders starting with '.'
 * are skipped: scenarios/.pending is not part of the default run). */
static void load_dir(const char *dir, suite *s) {
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "bench_suite: %s: cannot open\n", dir);
        exit(2);
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        size_t len = strlen(e->d_name);
        if (S_ISDIR(st.st_mode)) {
            load_dir(path, s);
        } else if (len > 3 && strcmp(e->d_name + len - 3, ".sd") == 0) {
            char err[600];
            if (!sd_scenario_load(path, suite_add(s), err, sizeof err)) {
                fprintf(stderr, "bench_suite: %s\n", err);
                exit(2);
            }
            s->n++;
        }
    }
    closedir(d);
}

typedef struct {
    double seconds;
    size_t pass, soft, other;
} round_result;

static round_result run_suite(const suite *s, const sd_target_ops *stack, const sd_pki *pki) {
    round_result r = {0};
    double t0 = now_s();
    for (size_t i = 0; i < s->n; i++) {
        const sd_scenario *sc = &s->items[i];
        sd_run_config cfg;
        sd_run_config_defaults(&cfg, stack, sc->role, pki);
        sd_run_config_apply_scenario(&cfg, sc);
        sd_outcome o;
        sd_driver_run(&sc->trace, &cfg, &o);
        char why[256];
        sd_verdict v = sd_classify(sc, &o, why, sizeof why);
        if (v == SD_VERDICT_PASS) r.pass++;
        else if (v == SD_VERDICT_SOFT) r.soft++;
        else r.other++;
    }
    r.seconds = now_s() - t0;
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
    suite s = {0};
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/scenarios", src ? src : SHAKEDOWN_SOURCE_DIR);
    load_dir(dir, &s);
    size_t files = s.n;
    sd_generated g;
    if (!sd_generate_all(&g, err, sizeof err)) {
        fprintf(stderr, "bench_suite: %s\n", err);
        return 2;
    }
    for (size_t i = 0; i < g.n; i++) {
        *suite_add(&s) = g.items[i]; /* moved */
        s.n++;
    }
    free(g.items);
    printf("suite: %zu scenarios (%zu files, %zu generated), best of %d round%s, one core\n", s.n, files,
           s.n - files, rounds, rounds == 1 ? "" : "s");
    static const sd_target_ops *const stacks[] = {&sd_target_model, &sd_target_boringssl};
    for (size_t k = 0; k < sizeof stacks / sizeof stacks[0]; k++) {
        round_result best = {0};
        for (int r = 0; r < rounds; r++) {
            round_result got = run_suite(&s, stacks[k], &pki);
            if (r == 0 || got.seconds < best.seconds) best = got;
        }
        printf("  %-10s %7.3f s  %8.0f scenarios/s  %5.1f%% of the 5 s goal  (%zu PASS, %zu SOFT, %zu other)\n",
               stacks[k]->name, best.seconds, (double)s.n / best.seconds, best.seconds / 5.0 * 100.0, best.pass,
               best.soft, best.other);
    }
    for (size_t i = 0; i < s.n; i++) sd_scenario_free(&s.items[i]);
    free(s.items);
    sd_pki_free(&pki);
    return 0;
}
