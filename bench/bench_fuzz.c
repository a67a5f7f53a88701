/* bench_fuzz.c — executions per second of each differential fuzz target over
 * its committed corpus, against one bare BoringSSL client+server handshake
 * measured in the same run (machines here are noisy: only ratios mean
 * anything).
 *
 *     bench_fuzz [seconds-per-target] [target...]     (default 2 s, every target)
 *
 * One execution is what the fuzz target's LLVMFuzzerTestOneInput does for an
 * input (targets/fuzz/differential_target.c): build the trace
 * and its setup (sd_fuzz_input_build) and run it on the model and on
 * BoringSSL (sd_differential_run_config) and compare. The inputs are corpus/<target>/, cycled
 * in order. The cost column is bare-handshake time / execution time: the
 * goal is at most 2.5 (a differential execution is at least two handshakes'
 * worth of work, one per stack) and 1,000 executions per second per core.
 * Engine overhead (libFuzzer's coverage bookkeeping, sanitizers) is not
 * included: build without sanitizers (the default preset) to measure. */
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

static double bare_handshakes_per_s(const sd_pki *pki, double seconds) {
    sd_buf buf;
    sd_buf_init(&buf);
    long n = 0;
    double start = sd_now_ms() / 1e3, t;
    while ((t = sd_now_ms() / 1e3) < start + seconds) {
        sd_target *c = make(SD_ROLE_CLIENT, pki), *s = make(SD_ROLE_SERVER, pki);
        c->ops->start(c);
        for (int i = 0; i < 20; i++) {
            sd_buf_reset(&buf);
            c->ops->drain(c, &buf);
            if (buf.len) s->ops->feed(s, sd_buf_span(&buf));
            size_t moved = buf.len;
            sd_buf_reset(&buf);
            s->ops->drain(s, &buf);
            if (buf.len) c->ops->feed(c, sd_buf_span(&buf));
            if (!moved && !buf.len) break;
        }
        c->ops->destroy(c);
        s->ops->destroy(s);
        n++;
    }
    sd_buf_free(&buf);
    return (double)n / (t - start);
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

static double execs_per_s(const char *target, const input *in, size_t n, const sd_pki *pki, double seconds) {
    long runs = 0;
    double start = sd_now_ms() / 1e3, t;
    while ((t = sd_now_ms() / 1e3) < start + seconds) {
        const input *x = &in[(size_t)runs % n];
        sd_trace trace;
        sd_fuzz_setup setup;
        if (sd_fuzz_input_build(target, x->data, x->len, &trace, &setup, NULL, 0)) {
            if (trace.n_actions) {
                sd_outcome m, b;
                sd_divergence div;
                sd_run_config cfg;
                sd_run_config_defaults(&cfg, &sd_target_model, setup.role, pki);
                sd_fuzz_setup_apply(&setup, &cfg);
                sd_differential_run_config(&trace, &cfg, &m, &b, &div, NULL, 0);
            }
            sd_trace_free(&trace);
        }
        runs++;
    }
    return (double)runs / (t - start);
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    if (seconds <= 0) {
        fprintf(stderr, "usage: %s [seconds-per-target] [target...]\n", argv[0]);
        return 2;
    }
    sd_pki pki;
    char err[256];
    if (!sd_pki_load(&pki, sd_pki_default_dir(), err, sizeof err)) {
        fprintf(stderr, "cannot load the fixture PKI: %s\n", err);
        return 2;
    }
    printf("differential fuzz targets over their corpus, one core, %.1f s each;\n"
           "cost = executions' time in bare BoringSSL client+server handshakes (goal <= 2.5)\n\n",
           seconds);
    double base = bare_handshakes_per_s(&pki, seconds);
    printf("%-30s %9.0f /s   (bare BoringSSL handshake, the unit)\n", "boringssl <-> boringssl", base);
    const char *const *names = argc > 2 ? (const char *const *)argv + 2 : sd_fuzz_target_names;
    for (size_t i = 0; names[i]; i++) {
        static input in[512];
        size_t n = load_corpus(names[i], in, 512);
        if (n == 0) {
            printf("%-30s   (no corpus)\n", names[i]);
            continue;
        }
        double r = execs_per_s(names[i], in, n, &pki, seconds);
        printf("%-30s %9.0f exec/s  cost %.2f handshakes  (%zu inputs)\n", names[i], r, base / r, n);
        for (size_t k = 0; k < n; k++) free(in[k].data);
    }
    /* Measured again at the end: if the machine's speed moved during the
     * run, the two baselines say by how much. */
    printf("%-30s %9.0f /s   (baseline again)\n", "boringssl <-> boringssl",
           bare_handshakes_per_s(&pki, seconds));
    sd_pki_free(&pki);
    return 0;
}
