/* bench_fuzz.c — executions per second of each differential fuzz target over
 * its committed corpus, against one bare BoringSSL client+server handshake
 * measured alongside it (machines here are noisy: only ratios mean
 * anything).
 *
 *     bench_fuzz [seconds-per-target] [target...]     (default 2 s, every target)
 *     bench_fuzz --stack NAME [seconds-per-target] [target...]
 *     bench_fuzz --count N target...                  (N executions each, untimed)
 *
 * One execution is what the fuzz target's LLVMFuzzerTestOneInput does for an
 * input (targets/fuzz/differential_target.c): build the trace
 * and its setup (sd_fuzz_input_build), check that the setup runs
 * (sd_fuzz_setup_runs), run it on the model and on BoringSSL
 * (sd_differential_run_config) and compare. The inputs are corpus/<target>/, cycled
 * in order. The cost column is execution time / bare-handshake time: the
 * goal is at most 2.0 (a differential execution runs the trace against two
 * stacks, and the driver plays the other side of both) and 1,000 executions
 * per second per core (issue 11).
 *
 * Times are the thread's CPU time, which other jobs on the machine disturb
 * less than the wall clock, and each target's time alternates with the
 * baseline's in short rounds, so that a change of the machine's speed
 * during the run moves both alike. Engine overhead (libFuzzer's coverage
 * bookkeeping, sanitizers) is not included: build without sanitizers (the
 * default preset) to measure.
 *
 * --count runs exactly N executions of each target (cycling its corpus;
 * `bare` names the bare handshake) and times nothing, for an instruction
 * counter, which a loaded machine does not disturb:
 *
 *     valgrind --tool=callgrind bench_fuzz --count N target
 *
 * run for two values of N: the difference of the totals over the
 * difference of the N is the instructions of one execution in the steady
 * state (the PKI load and the memo's first misses cancel out). */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/pki.h"
#include "run/differential.h"
#include "protocol/target.h"
#include "trace/fuzz_input.h"
#include "wire/names.h"
#include "stacks/stacks.h"
#include "util/util.h"

#define GOAL_COST 2.0
#define GOAL_EXECS_PER_S 1000.0
#define GOAL_STACK_EXECS_PER_S 500.0
/* Rounds per target: baseline and target take turns this many times. */
#define ROUNDS 4

/* CPU seconds of this thread. */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Work done and the CPU time it took. */
typedef struct {
    long n;
    double seconds;
} tally;

/* --- The baseline: one bare BoringSSL handshake, as bench_handshake.c ----- */

static sd_target *make(sd_role role, const sd_pki *pki) {
    sd_target_config cfg = {
        .role = role,
        .min_version = SD_TLS13,
        .max_version = SD_TLS13,
        .credential = role == SD_ROLE_SERVER ? sd_pki_find(pki, "leaf") : NULL,
        .pki = pki,
        .server_name = SD_PKI_SERVER_NAME,
        .now = SD_PKI_DEFAULT_TIME,
        .seed = 1,
    };
    sd_target_error err = {0};
    sd_target *t = sd_target_boringssl.create(&cfg, &err);
    if (!t) {
        fprintf(stderr, "boringssl: %s\n", err.text);
        exit(2);
    }
    return t;
}

/* One bare handshake: a BoringSSL client and server, records moved between
 * them until neither has more to say. buf is scratch. */
static void bare_handshake(const sd_pki *pki, sd_buf *buf) {
    sd_target *c = make(SD_ROLE_CLIENT, pki), *s = make(SD_ROLE_SERVER, pki);
    c->ops->start(c);
    for (int i = 0; i < 20; i++) {
        sd_buf_reset(buf);
        c->ops->drain(c, buf);
        if (buf->len) s->ops->feed(s, sd_buf_span(buf));
        size_t moved = buf->len;
        sd_buf_reset(buf);
        s->ops->drain(s, buf);
        if (buf->len) c->ops->feed(c, sd_buf_span(buf));
        if (!moved && !buf->len) break;
    }
    c->ops->destroy(c);
    s->ops->destroy(s);
}

/* Bare handshakes for `seconds` of CPU time, added to *t. */
static void bare_handshakes(const sd_pki *pki, double seconds, tally *t) {
    sd_buf buf;
    sd_buf_init(&buf);
    double start = cpu_s(), now;
    while ((now = cpu_s()) < start + seconds) {
        bare_handshake(pki, &buf);
        t->n++;
    }
    t->seconds += now - start;
    sd_buf_free(&buf);
}

/* --- The targets ----------------------------------------------------------------- */

typedef struct {
    uint8_t *data;
    size_t len;
} input;

static size_t load_corpus(const char *target, input *out, size_t max) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/corpus/%s", SHAKEDOWN_SOURCE_DIR, target);
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        if (e->d_name[0] == '.') continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        uint8_t *buf = malloc(SD_FUZZ_MAX_INPUT + 1);
        size_t len = buf ? fread(buf, 1, SD_FUZZ_MAX_INPUT + 1, f) : 0;
        fclose(f);
        if (!buf || len > SD_FUZZ_MAX_INPUT) {
            free(buf);
            continue;
        }
        out[n].data = buf;
        out[n].len = len;
        n++;
    }
    closedir(d);
    return n;
}

/* One execution of target on input x, as the fuzz target's. */
static void execute(const char *target, const input *x, const sd_pki *pki, const sd_target_ops *stack) {
    sd_trace trace;
    sd_fuzz_setup setup;
    if (!sd_fuzz_input_build(target, x->data, x->len, &trace, &setup, NULL, 0)) return;
    if (trace.n_actions && sd_fuzz_setup_runs(&setup, pki, NULL, 0)) {
        static sd_outcome m, b, s; /* big: off the stack */
        sd_divergence div;
        sd_run_config cfg;
        sd_run_config_defaults(&cfg, &sd_target_model, setup.role, pki);
        sd_fuzz_setup_apply(&setup, &cfg);
        if (stack) sd_fuzz_setup_unpin_model(&cfg);
        sd_differential_run_config(&trace, &cfg, &m, &b, &div, NULL, 0);
        if (stack) {
            sd_differential_run_stack(&trace, &cfg, stack, &s);
            (void)sd_judge_stack(&s, stack->name, &m, &b, sd_fuzz_first_deviation(&setup, &trace), NULL, 0);
        }
    }
    sd_trace_free(&trace);
}

/* Executions for `seconds` of CPU time, added to *t; *next is the input to
 * run next, so that the rounds go on through the corpus in order. With a
 * stack, each execution also runs on it and judges it. */
static void executions(const char *target, const input *in, size_t n, size_t *next, const sd_pki *pki,
                       const sd_target_ops *stack, double seconds, tally *t) {
    double start = cpu_s(), now;
    while ((now = cpu_s()) < start + seconds) {
        execute(target, &in[*next % n], pki, stack);
        (*next)++;
        t->n++;
    }
    t->seconds += now - start;
}

/* bench_fuzz --stack NAME: three-party executions against two-party ones. */
/* Loads each target's corpus in turn and hands it to measure(), printing
 * "(no corpus)" for a target that has none. */
typedef void (*measure_fn)(const char *target, const input *in, size_t n, void *ctx);
static void over_corpora(const char *const *names, measure_fn measure, void *ctx) {
    for (size_t i = 0; names[i]; i++) {
        static input in[512];
        size_t n = load_corpus(names[i], in, 512);
        if (n == 0) {
            printf("%-30s   (no corpus)\n", names[i]);
            continue;
        }
        measure(names[i], in, n, ctx);
        for (size_t k = 0; k < n; k++) free(in[k].data);
    }
}

typedef struct {
    const sd_pki *pki;
    const sd_target_ops *stack;
    double seconds;
} stack_bench;

/* One target with the stack under test, against the two-party baseline. */
static void measure_with_stack(const char *target, const input *in, size_t n, void *ctx) {
    const stack_bench *b = ctx;
    tally two = {0}, three = {0};
    size_t next2 = 0, next3 = 0;
    for (int r = 0; r < ROUNDS; r++) {
        executions(target, in, n, &next2, b->pki, NULL, b->seconds / (2 * ROUNDS), &two);
        executions(target, in, n, &next3, b->pki, b->stack, b->seconds / ROUNDS, &three);
    }
    double rate3 = (double)three.n / three.seconds, rate2 = (double)two.n / two.seconds;
    /* The handshake-level TLS 1.3 targets: what the goal is about. */
    bool tls13_handshake = strncmp(target, "fuzz_tls12", 10) != 0 && strcmp(target, "fuzz_record") &&
                           strcmp(target, "fuzz_alert") && strcmp(target, "fuzz_trace") &&
                           strcmp(target, "fuzz_server_key_exchange") &&
                           strcmp(target, "fuzz_server_hello_done") &&
                           strcmp(target, "fuzz_client_key_exchange");
    printf("%-30s %9.0f %9.0f %6.2f %zu%s\n", target, rate3, rate2, rate3 / rate2, n,
           tls13_handshake && rate3 < GOAL_STACK_EXECS_PER_S ? "  (misses the goal)" : "");
}

static int bench_stack(const char *name, double seconds, const char *const *names, const sd_pki *pki) {
    char err[400];
    const sd_target_ops *stack = sd_stack_under_test_find(name, err, sizeof err);
    if (!stack) {
        fprintf(stderr, "bench_fuzz: --stack: %s\n", err);
        return 2;
    }
    printf("three-party fuzz executions with %s (%s, %s) over each target's corpus, one core, %.1f CPU s\n"
           "each, alternating in %d rounds with the two-party execution (model and BoringSSL) as the\n"
           "baseline; goal: >= %.0f exec/s for the TLS 1.3 handshake-level targets\n\n",
           name, stack->name, stack->version ? stack->version() : "?", seconds, ROUNDS,
           GOAL_STACK_EXECS_PER_S);
    printf("%-30s %9s %9s %6s %s\n", "target", "3-party/s", "2-party/s", "ratio", "inputs");
    stack_bench b = {pki, stack, seconds};
    over_corpora(names, measure_with_stack, &b);
    return 0;
}

typedef struct {
    const sd_pki *pki;
    double seconds;
    tally all_base; /* the bare handshakes over the whole run */
    const char *missed[64];
    size_t n_missed;
} two_party_bench;

/* One target's two-party execution, against bare BoringSSL handshakes. */
static void measure_two_party(const char *target, const input *in, size_t n, void *ctx) {
    two_party_bench *b = ctx;
    tally base = {0}, run = {0};
    size_t next = 0;
    for (int r = 0; r < ROUNDS; r++) {
        bare_handshakes(b->pki, b->seconds / (2 * ROUNDS), &base);
        executions(target, in, n, &next, b->pki, NULL, b->seconds / ROUNDS, &run);
    }
    double per_exec = run.seconds / (double)run.n, per_hs = base.seconds / (double)base.n;
    double cost = per_exec / per_hs, rate = 1.0 / per_exec;
    bool miss = cost > GOAL_COST || rate < GOAL_EXECS_PER_S;
    printf("%-30s %9.0f %6.2f %9.0f %zu%s\n", target, rate, cost, 1.0 / per_hs, n,
           miss ? "  (misses the goal)" : "");
    if (miss && b->n_missed < sizeof b->missed / sizeof b->missed[0]) b->missed[b->n_missed++] = target;
    b->all_base.n += base.n;
    b->all_base.seconds += base.seconds;
}

/* --count: n executions of each of names, untimed. */
static int count_executions(const sd_pki *pki, long n, const char *const *names) {
    for (size_t i = 0; names[i]; i++) {
        if (strcmp(names[i], "bare") == 0) {
            sd_buf buf;
            sd_buf_init(&buf);
            for (long k = 0; k < n; k++) bare_handshake(pki, &buf);
            sd_buf_free(&buf);
        } else {
            static input in[512];
            size_t n_in = load_corpus(names[i], in, 512), next = 0;
            if (n_in == 0) {
                fprintf(stderr, "%s: no corpus\n", names[i]);
                return 2;
            }
            for (long k = 0; k < n; k++) execute(names[i], &in[next++ % n_in], pki, NULL);
            for (size_t k = 0; k < n_in; k++) free(in[k].data);
        }
        printf("%-30s %ld executions\n", names[i], n);
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *stack = NULL;
    if (argc > 2 && strcmp(argv[1], "--stack") == 0) {
        stack = argv[2];
        argv += 2;
        argc -= 2;
    }
    bool counted = argc > 1 && strcmp(argv[1], "--count") == 0;
    long count = counted && argc > 2 ? atol(argv[2]) : 0;
    double seconds = counted ? 0 : argc > 1 ? atof(argv[1]) : 2.0;
    if (counted ? count <= 0 || argc < 4 : seconds <= 0) {
        fprintf(stderr,
                "usage: %s [--stack NAME] [seconds-per-target] [target...]\n       %s --count N target...\n",
                argv[0], argv[0]);
        return 2;
    }
    sd_pki pki;
    char err[256];
    if (!sd_pki_load(&pki, sd_pki_default_dir(), err, sizeof err)) {
        fprintf(stderr, "cannot load the fixture PKI: %s\n", err);
        return 2;
    }
    if (counted) {
        int status = count_executions(&pki, count, (const char *const *)argv + 3);
        sd_pki_free(&pki);
        return status;
    }
    const char *const *names = argc > 2 ? (const char *const *)argv + 2 : sd_fuzz_target_names;
    if (stack) {
        int rc = bench_stack(stack, seconds, names, &pki);
        sd_pki_free(&pki);
        return rc;
    }
    printf("differential fuzz targets over their corpus, one core, %.1f CPU s each (and half as long for\n"
           "the baseline, in %d alternating rounds); cost = execution / bare BoringSSL client+server\n"
           "handshake; goal: cost <= %.1f and >= %.0f exec/s\n\n",
           seconds, ROUNDS, GOAL_COST, GOAL_EXECS_PER_S);
    printf("%-30s %9s %6s %9s %s\n", "target", "exec/s", "cost", "bare hs/s", "inputs");
    two_party_bench b = {.pki = &pki, .seconds = seconds};
    over_corpora(names, measure_two_party, &b);
    if (b.all_base.n) {
        double bare = (double)b.all_base.n / b.all_base.seconds;
        printf("\n%-30s %9.0f /s over the run (the unit)\n", "bare BoringSSL handshakes", bare);
        /* The two goals are one on a machine this fast; a loaded one can
         * miss the first with every cost in bounds. */
        printf("at this rate %.0f exec/s needs cost <= %.2f\n", GOAL_EXECS_PER_S, bare / GOAL_EXECS_PER_S);
    }
    if (b.n_missed == 0) {
        printf("every target meets the goal\n");
    } else {
        printf("%zu target%s miss%s the goal:", b.n_missed, b.n_missed == 1 ? "" : "s",
               b.n_missed == 1 ? "es" : "");
        for (size_t i = 0; i < b.n_missed; i++) printf(" %s", b.missed[i]);
        printf("\n");
    }
    sd_pki_free(&pki);
    return 0;
}
