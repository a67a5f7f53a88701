/* differential_target.c — the body every differential fuzz target shares;
 * see differential_target.h. */
#include "differential_target.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "edge_coverage.h"
#include "run/differential.h"
#include "oracle/oracle.h"
#include "trace/fuzz_input.h"
#include "stacks/stacks.h"

/* Loaded once per process: a PKI load costs milliseconds (key parsing),
 * a hundred times one execution. Reachable from globals until exit, so the
 * leak checker does not count them. */
static sd_pki g_pki;
static bool g_pki_loaded;
static sd_known_differences g_known;
/* The fixture PKI's claims.txt: what a verifying peer must do with each
 * fixture (oracle/claims.h). */
static sd_claim_labels g_claims;
static const char *g_findings_dir = "findings";
static bool g_strict_alerts;
static bool g_continue; /* SHAKEDOWN_FUZZ_CONTINUE=1: see report_finding */
static const char *g_target = "fuzz";
/* The stack under test of a three-party run ($SHAKEDOWN_FUZZ_STACK, set by
 * `shakedown fuzz --stack NAME`), with its own known differences; NULL:
 * the model against BoringSSL. */
static const char *g_stack_name;
static const sd_target_ops *g_stack;
static sd_known_differences g_stack_known;
/* The second reference ($SHAKEDOWN_FUZZ_REFERENCE, set by `shakedown fuzz
 * --reference NAME`): it stands in for BoringSSL on the setups BoringSSL
 * cannot run (sd_fuzz_setup_boringssl_runs), with its own known
 * differences; NULL: such setups are skipped. */
static const char *g_reference_name;
static const sd_target_ops *g_reference;
static sd_known_differences g_reference_known;
static char g_binary_dir[PATH_MAX];

/* ALERT_DIFFERS seen so far, by signature, so the end of a run says which
 * alert disagreements exist without failing on them. */
#define MAX_ALERT_SIGNATURES 32
static struct {
    char signature[512]; /* as long as the signature buffer below */
    unsigned long count;
} g_alert_diffs[MAX_ALERT_SIGNATURES];
static size_t g_n_alert_diffs;
static unsigned long g_alert_diff_total;

const char *sd_fuzz_binary_dir(void) {
    if (g_binary_dir[0]) return g_binary_dir;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return "";
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return "";
    *slash = '\0';
    snprintf(g_binary_dir, sizeof g_binary_dir, "%s", exe);
    return g_binary_dir;
}

static bool is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

const sd_pki *sd_fuzz_pki(const char *target, char **argv) {
    (void)argv;
    if (g_pki_loaded) return &g_pki;
    char err[512], err2[512] = "";
    const char *dir = sd_pki_default_dir();
    bool ok = sd_pki_load(&g_pki, dir, err, sizeof err);
    const char *env = getenv("SHAKEDOWN_PKI_DIR");
    char next_to[PATH_MAX + 8];
    if (!ok && !(env && env[0])) {
        /* Away from the build tree (OSS-Fuzz's $OUT): pki/ next to us. */
        snprintf(next_to, sizeof next_to, "%s/pki", sd_fuzz_binary_dir());
        ok = sd_pki_load(&g_pki, next_to, err2, sizeof err2);
    }
    if (!ok) {
        fprintf(stderr,
                "%s: cannot load the fixture PKI from %s: %s%s%s\n"
                "  Build it (cmake --build <build> --target pki), or set SHAKEDOWN_PKI_DIR to the\n"
                "  folder that holds root.pem, or put it in pki/ next to this binary.\n",
                target, dir, err, err2[0] ? "; nor from pki/ next to the binary: " : "", err2);
        abort();
    }
    g_pki_loaded = true;
    return &g_pki;
}

static void report_alert_diffs(void) {
    if (g_alert_diff_total == 0) return;
    fprintf(stderr,
            "%s: %lu inputs where both stacks refused, differently (alert_differs; "
            "not findings unless SHAKEDOWN_STRICT_ALERTS=1):\n",
            g_target, g_alert_diff_total);
    for (size_t i = 0; i < g_n_alert_diffs; i++)
        fprintf(stderr, "  %8lu  %s\n", g_alert_diffs[i].count, g_alert_diffs[i].signature);
    if (g_n_alert_diffs == MAX_ALERT_SIGNATURES)
        fprintf(stderr, "  (only the first %d signatures are listed)\n", MAX_ALERT_SIGNATURES);
}

static void count_alert_diff(const char *signature) {
    g_alert_diff_total++;
    for (size_t i = 0; i < g_n_alert_diffs; i++) {
        if (strcmp(g_alert_diffs[i].signature, signature) == 0) {
            g_alert_diffs[i].count++;
            return;
        }
    }
    if (g_n_alert_diffs < MAX_ALERT_SIGNATURES) {
        snprintf(g_alert_diffs[g_n_alert_diffs].signature, sizeof g_alert_diffs[g_n_alert_diffs].signature,
                 "%s", signature);
        g_alert_diffs[g_n_alert_diffs++].count = 1;
    }
}

/* A stack's own known differences (known_differences/NAME.txt), or
 * those next to the binary (OSS-Fuzz); aborts if the user named a file
 * that does not load. */
static void load_stack_known_differences(const char *target, const char *name, sd_known_differences *out) {
    char err[600], path[1200];
    bool from_env = false;
    if (!sd_stack_known_differences_path(name, path, sizeof path, &from_env)) {
        fprintf(stderr, "%s: the known differences of %s: path too long\n", target, name);
        abort();
    }
    if (!sd_known_differences_load(path, out, err, sizeof err)) {
        /* A file that is there but does not parse is an error to fix, not
         * a reason to turn every known difference into a finding. */
        if (from_env || is_file(path)) {
            fprintf(stderr, "%s: %s%s\n", target, from_env ? "SHAKEDOWN_STACK_KNOWN_DIFFERENCES: " : "", err);
            abort();
        }
        char next_to[PATH_MAX + 64], err2[512];
        snprintf(next_to, sizeof next_to, "%s/known_differences/%s.txt", sd_fuzz_binary_dir(), name);
        if (!is_file(next_to) || !sd_known_differences_load(next_to, out, err2, sizeof err2))
            fprintf(stderr, "%s: no known differences of %s loaded (%s): every difference is a finding\n",
                    target, name, err);
    }
}

/* A stack by name (sd_stack_under_test_find); aborts on a name this build
 * does not have, since fuzzing without it while the user believes it
 * takes part would be a silent lie. */
static const sd_target_ops *find_stack(const char *target, const char *variable, const char *name) {
    char err[600];
    const sd_target_ops *ops = sd_stack_under_test_find(name, err, sizeof err);
    if (!ops) {
        fprintf(stderr, "%s: %s: %s\n", target, variable, err);
        abort();
    }
    return ops;
}

/* The stack under test and its known differences. */
static void load_stack_under_test(const char *target, const char *name) {
    g_stack = find_stack(target, "SHAKEDOWN_FUZZ_STACK", name);
    g_stack_name = name;
    load_stack_known_differences(target, name, &g_stack_known);
    fprintf(stderr, "%s: stack under test: %s (%s), judged against the model and BoringSSL\n", target, name,
            g_stack->version ? g_stack->version() : "?");
    /* The stack's own edges beside the harness's (edge_coverage.h), in
     * the log `shakedown fuzz` reads its status from. */
    sd_edge_coverage_init();
    sd_edge_coverage_print(stderr, 0);
}

/* The second reference and its known differences. A stack under test is
 * judged against the model and BoringSSL on the setups both run; the two
 * roles together are refused rather than given a meaning. */
static void load_reference(const char *target, const char *name) {
    if (g_stack) {
        fprintf(stderr, "%s: SHAKEDOWN_FUZZ_REFERENCE and SHAKEDOWN_FUZZ_STACK do not go together\n", target);
        abort();
    }
    g_reference = find_stack(target, "SHAKEDOWN_FUZZ_REFERENCE", name);
    g_reference_name = name;
    load_stack_known_differences(target, name, &g_reference_known);
    fprintf(stderr, "%s: second reference: %s (%s), against the model on the setups BoringSSL cannot run\n",
            target, name, g_reference->version ? g_reference->version() : "?");
}

static void print_final_coverage(void) { sd_edge_coverage_print(stderr, 0); }

void sd_fuzz_differential_init(const char *target, int *argc, char ***argv) {
    (void)argc;
    g_target = target;
    sd_fuzz_pki(target, argv ? *argv : NULL);
    char err[512];
    bool from_env = false;
    const char *kd = sd_known_differences_default_path(&from_env);
    if (!sd_known_differences_load(kd, &g_known, err, sizeof err)) {
        if (from_env || is_file(kd)) {
            /* The user named the file, or it is there and does not parse:
             * running without it would turn every known difference into a
             * false finding. */
            fprintf(stderr, "%s: %s%s\n", target, from_env ? "SHAKEDOWN_KNOWN_DIFFERENCES: " : "", err);
            abort();
        }
        /* A binary away from its source tree (OSS-Fuzz) carries the file
         * next to itself (.clusterfuzzlite/build.sh copies it there). */
        char next_to[PATH_MAX + 32], err2[512];
        snprintf(next_to, sizeof next_to, "%s/known_differences.txt", sd_fuzz_binary_dir());
        if (!is_file(next_to) || !sd_known_differences_load(next_to, &g_known, err2, sizeof err2))
            fprintf(stderr, "%s: warning: no known differences loaded (%s)\n", target, err);
    }
    /* The labels travel with the PKI (make_pki writes them): a PKI made
     * before them leaves the security-claim check with nothing to hold the
     * stacks to, which must not pass unnoticed. */
    if (!sd_claim_labels_load(g_pki.dir, &g_claims, err, sizeof err))
        fprintf(stderr, "%s: warning: no security-claim labels, the claim check is off (%s)\n", target, err);
    const char *stack = getenv("SHAKEDOWN_FUZZ_STACK");
    if (stack && stack[0]) load_stack_under_test(target, stack);
    const char *reference = getenv("SHAKEDOWN_FUZZ_REFERENCE");
    if (reference && reference[0]) load_reference(target, reference);
    const char *findings = getenv("SHAKEDOWN_FINDINGS_DIR");
    if (findings && findings[0]) g_findings_dir = findings;
    const char *strict = getenv("SHAKEDOWN_STRICT_ALERTS");
    g_strict_alerts = strict && strcmp(strict, "1") == 0;
    const char *keep_going = getenv("SHAKEDOWN_FUZZ_CONTINUE");
    g_continue = keep_going && strcmp(keep_going, "1") == 0;
    const char *memo = getenv("SHAKEDOWN_CRYPTO_MEMO");
    if (memo && strcmp(memo, "0") == 0) sd_crypto_memo_set_enabled(false);
    atexit(report_alert_diffs);
    if (g_stack) atexit(print_final_coverage);
}

/* SHAKEDOWN_FUZZ_CONTINUE=1 (`shakedown fuzz --stack` sets it): a finding
 * is written and the run goes on, each signature reported once per
 * process. A stack under test brings its known bugs into every campaign
 * (its conformance FAILs are among the seeds), and a campaign that stopped
 * at the first would never get past the corpus. Otherwise, as a fuzzing
 * engine and OSS-Fuzz expect, a finding aborts. */
#define MAX_REPORTED 256
static uint64_t g_reported[MAX_REPORTED];
static size_t g_n_reported;

static bool reported_before(const char *signature) {
    uint64_t h = sd_signature_hash(signature);
    for (size_t i = 0; i < g_n_reported; i++)
        if (g_reported[i] == h) return true;
    if (g_n_reported < MAX_REPORTED) g_reported[g_n_reported++] = h;
    return false;
}

/* Writes a finding and says so on stderr, then aborts, unless
 * SHAKEDOWN_FUZZ_CONTINUE (above): whatever happens after abort() (a
 * fuzzer that loses its crash file, a CI job that is killed), the finding
 * is on disk first. */
static void report_finding(const sd_finding *fd) {
    if (g_continue && reported_before(fd->signature)) return;
    char path[1200] = "", err[300];
    bool saved = sd_finding_write(g_findings_dir, fd, path, sizeof path, err, sizeof err);
    fprintf(stderr, "\n==== shakedown finding (%s%s%s) ====\n", fd->target, fd->stack ? ", stack " : "",
            fd->stack ? fd->stack : "");
    fprintf(stderr, "signature:  %s\n", fd->signature);
    fprintf(stderr, "%-11s %s: %s\n", fd->stack ? "judgement:" : "divergence:", fd->judgement, fd->why);
    if (saved)
        fprintf(stderr, "saved:      %s (+ .txt)\n", path);
    else
        fprintf(stderr, "NOT saved:  %s\n", err);
    sd_parties_print(stderr, fd->parties, fd->n_parties);
    const char *party_option = fd->stack ? "--stack " : fd->reference ? "--reference " : "";
    const char *party = fd->stack ? fd->stack : fd->reference;
    fprintf(stderr, "reproduce:  shakedown repro %s%s%s%s%s\n", party_option, party ? party : "",
            party ? " " : "", saved ? "" : "--target ", saved ? path : fd->target);
    if (g_continue) return;
    if (fd->stack) {
        /* The run ends here: what it reached, this input included. */
        sd_edge_coverage_after_input();
        sd_edge_coverage_print(stderr, 0);
    }
    fflush(stderr);
    abort();
}

/* The model against one reference, parties[1] (BoringSSL, or the second
 * reference, whose name `reference` then also gives the finding), with
 * that reference's known differences. A side that completed after being
 * shown a credential it had to refuse is a finding even when the other did
 * the same: the comparison cannot see it. It outranks a divergence of the
 * same run. Returns 0 unless it aborts on a finding. */
static int judge_pair(const char *target, const uint8_t *data, size_t size, const sd_trace *trace,
                      const sd_party parties[2], sd_divergence div, char *why, size_t why_len,
                      const sd_known_differences *known, const char *reference) {
    char signature[512], claim_why[600];
    if (sd_parties_claim_finding(&g_claims, known, target, parties, 2, signature, sizeof signature, claim_why,
                                 sizeof claim_why)) {
        char both[1000];
        snprintf(both, sizeof both, "claim: %.500s%s%.400s", claim_why, why[0] ? "; the stacks: " : "", why);
        snprintf(why, why_len, "%s", both);
    } else {
        if (!sd_divergence_is_difference(div)) return 0;
        sd_parties_signature(target, parties, 2, signature, sizeof signature);
        if (sd_known_differences_match(known, signature, parties[1].name)) return 0;
        if (div == SD_DIV_ALERT_DIFFERS && !g_strict_alerts) {
            count_alert_diff(signature);
            return 0;
        }
    }
    sd_finding fd = {target, data,      size,     trace, parties, 2, NULL, sd_divergence_name(div),
                     why,    signature, reference};
    report_finding(&fd);
    return 0;
}

/* The model against BoringSSL. */
static int judge_references(const char *target, const uint8_t *data, size_t size, const sd_trace *trace,
                            const sd_run_config *cfg) {
    sd_outcome model, bssl;
    sd_divergence div;
    char why[1000];
    sd_differential_run_config(trace, cfg, &model, &bssl, &div, why, sizeof why);
    const sd_party parties[] = {{"model", &model}, {"boringssl", &bssl}};
    return judge_pair(target, data, size, trace, parties, div, why, sizeof why, &g_known, NULL);
}

/* The model against the second reference, on a setup BoringSSL cannot
 * run: the two-party comparison with NAME in BoringSSL's place, its own
 * known differences applying. A setup the reference cannot run either
 * (unsupported) is nothing to compare; an unsupported model stays a crash,
 * as in the two-party run, since sd_fuzz_setup_model_runs promised it the
 * setup. */
static int judge_second_reference(const char *target, const uint8_t *data, size_t size, const sd_trace *trace,
                                  const sd_run_config *cfg) {
    sd_outcome model, reference;
    sd_divergence div;
    char why[1000];
    sd_differential_run_reference(trace, cfg, g_reference, g_reference_name, &model, &reference, &div, why,
                                  sizeof why);
    if (reference.kind == SD_OUTCOME_UNSUPPORTED) return 0;
    const sd_party parties[] = {{"model", &model}, {g_reference_name, &reference}};
    return judge_pair(target, data, size, trace, parties, div, why, sizeof why, &g_reference_known,
                      g_reference_name);
}

/* The stack under test against both references: the model and BoringSSL
 * are run as always, and the stack is judged against them
 * (sd_judge_stack). What the references do differently from each other
 * is the two-party campaign's business, not a finding here. Returns 0
 * unless it aborts on a finding. */
static int judge_stack(const char *target, const uint8_t *data, size_t size, const sd_trace *trace,
                       const sd_fuzz_setup *setup, const sd_run_config *cfg) {
    sd_outcome model, bssl, stack;
    sd_run_config unpinned = *cfg;
    sd_fuzz_setup_unpin_model(&unpinned);
    cfg = &unpinned;
    sd_differential_run_config(trace, cfg, &model, &bssl, NULL, NULL, 0);
    sd_differential_run_stack(trace, cfg, g_stack, &stack);
    const sd_party parties[] = {{g_stack_name, &stack}, {"model", &model}, {"boringssl", &bssl}};

    char signature[512], why[1000];
    /* A security claim broken comes first: the stack completed with a
     * party that never proved its identity as the PKI's labels require. */
    char claim_why[600];
    sd_stack_judgement j = sd_judge_stack(&stack, g_stack_name, &model, &bssl,
                                          sd_fuzz_first_deviation(setup, trace), why, sizeof why);
    if (sd_parties_claim_finding(&g_claims, &g_stack_known, target, parties, 1, signature, sizeof signature,
                                 claim_why, sizeof claim_why)) {
        char both[sizeof why];
        snprintf(both, sizeof both, "claim: %.500s; %.450s", claim_why, why);
        snprintf(why, sizeof why, "%s", both);
    } else {
        if (!sd_stack_judgement_is_finding(j) && !(j == SD_STACK_ALERT_DIFFERS && g_strict_alerts)) {
            if (j == SD_STACK_ALERT_DIFFERS) {
                sd_parties_signature(target, parties, 3, signature, sizeof signature);
                count_alert_diff(signature);
            }
            return 0;
        }
        sd_parties_signature(target, parties, 3, signature, sizeof signature);
        if (sd_known_differences_match(&g_stack_known, signature, g_stack_name)) return 0;
    }
    sd_finding fd = {target, data,      size, trace, parties, 3, g_stack_name, sd_stack_judgement_name(j),
                     why,    signature, NULL};
    report_finding(&fd);
    return 0;
}

int sd_fuzz_differential_one(const char *target, const uint8_t *data, size_t size) {
    /* Bigger than a record's worth: nothing new to test (SD_FUZZ_MAX_INPUT),
     * and rejecting it keeps the fuzzer's inputs small. */
    if (size > SD_FUZZ_MAX_INPUT) return 0;

    sd_trace trace;
    sd_fuzz_setup setup;
    char err[200];
    if (!sd_fuzz_input_build(target, data, size, &trace, &setup, err, sizeof err)) {
        /* Only out-of-memory gets here; the input is not at fault. */
        fprintf(stderr, "%s: %s\n", target, err);
        return 0;
    }
    /* fuzz_trace: the input may not be a binary trace, or its setup may
     * name a credential the PKI lacks or a feature the model or BoringSSL
     * lacks. What BoringSSL alone lacks goes to the second reference if
     * there is one. Otherwise nothing to run, and -1 tells libFuzzer not
     * to keep it in the corpus. */
    bool runs = trace.n_actions > 0 && sd_fuzz_setup_model_runs(&setup, &g_pki, err, sizeof err);
    bool boringssl_runs = runs && sd_fuzz_setup_boringssl_runs(&setup, err, sizeof err);
    if (!runs || (!boringssl_runs && !g_reference)) {
        sd_trace_free(&trace);
        return -1;
    }

    sd_run_config cfg;
    sd_run_config_defaults(&cfg, &sd_target_model, setup.role, &g_pki);
    sd_fuzz_setup_apply(&setup, &cfg);
    int r = !boringssl_runs ? judge_second_reference(target, data, size, &trace, &cfg)
            : g_stack       ? judge_stack(target, data, size, &trace, &setup, &cfg)
                            : judge_references(target, data, size, &trace, &cfg);
    sd_trace_free(&trace);
    if (g_stack) {
        sd_edge_coverage_after_input();
        sd_edge_coverage_print(stderr, 10);
    }
    return r;
}
