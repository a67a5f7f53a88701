/* fuzz_client_hello.c — differential fuzzing of ClientHello processing.
 *
 * Targets:
 *   - the model's ClientHello parser, harness/wire/handshake.c
 *     sd_parse_client_hello, and the extension parsers it reaches
 *     (sd_extensions_next/_check/_find, sd_parse_supported_versions_ch,
 *     sd_parse_key_share_ch/sd_key_share_next, sd_parse_server_name,
 *     sd_u16_list_parse for supported_groups and signature_algorithms);
 *   - the model's server-side ClientHello processing in harness/model/model.c
 *     (version, suite, group and signature-scheme selection, key-share
 *     handling, HelloRetryRequest, the first server flight);
 *   - BoringSSL's server ClientHello handling (ssl_client_hello_init,
 *     ssl_parse_extensions, tls13_process_client_hello and friends), through
 *     targets/adapters/boringssl_target.c.
 *
 * Input: the body of one ClientHello, any bytes (harness/trace/fuzz_input.c
 * turns it into `send ClientHello body=<input>; expect ServerHello` with the
 * stack as the server). Each input runs on the model and on BoringSSL and
 * the outcomes are compared (harness/oracle/differential.c).
 *
 * A finding is a divergence (one accepted what the other refused, or the
 * claims differ) or a crash/hang/harness error, unless
 * harness/oracle/known_differences.txt lists its signature. For a finding we
 * write the input and an explanation into $SHAKEDOWN_FINDINGS_DIR (default
 * ./findings)/fuzz_client_hello/, print both outcomes, and abort(), which is
 * how libFuzzer and AFL++ learn that an input is interesting in this way.
 * Both stacks refusing with different alerts (ALERT_DIFFERS) is counted and
 * listed at exit, not fatal: the RFC often leaves the alert open. Set
 * SHAKEDOWN_STRICT_ALERTS=1 to make it a finding too.
 *
 * Builds: <this>_replay (plain main, any compiler), <this> (libFuzzer),
 * <this>_afl (AFL++); see targets/fuzz/CMakeLists.txt. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/pki.h"
#include "oracle/differential.h"
#include "oracle/oracle.h"
#include "trace/fuzz_input.h"

#define TARGET_NAME "fuzz_client_hello"

/* Loaded once per process: a PKI load costs milliseconds (key parsing),
 * a hundred times one execution. Reachable from globals until exit, so the
 * leak checker does not count them. */
static sd_pki g_pki;
static sd_known_differences g_known;
static const char *g_findings_dir = "findings";
static bool g_strict_alerts;

/* ALERT_DIFFERS seen so far, by signature, so the end of a run says which
 * alert disagreements exist without failing on them. */
#define MAX_ALERT_SIGNATURES 32
static struct {
    char signature[256]; /* as long as sd_finding_signature's buffer below */
    unsigned long count;
} g_alert_diffs[MAX_ALERT_SIGNATURES];
static size_t g_n_alert_diffs;
static unsigned long g_alert_diff_total;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void report_alert_diffs(void) {
    if (g_alert_diff_total == 0) return;
    fprintf(stderr,
            "%s: %lu inputs where both stacks refused, differently (alert_differs; "
            "not findings unless SHAKEDOWN_STRICT_ALERTS=1):\n",
            TARGET_NAME, g_alert_diff_total);
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
        snprintf(g_alert_diffs[g_n_alert_diffs].signature,
                 sizeof g_alert_diffs[g_n_alert_diffs].signature, "%s", signature);
        g_alert_diffs[g_n_alert_diffs++].count = 1;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    char err[512];
    const char *dir = sd_pki_default_dir();
    if (!sd_pki_load(&g_pki, dir, err, sizeof err)) {
        fprintf(stderr,
                "%s: cannot load the fixture PKI from %s: %s\n"
                "  Build it (cmake --build <build> --target pki) and/or set SHAKEDOWN_PKI_DIR "
                "to the folder that holds root.pem.\n",
                TARGET_NAME, dir, err);
        abort();
    }
    bool from_env = false;
    const char *kd = sd_known_differences_default_path(&from_env);
    if (!sd_known_differences_load(kd, &g_known, err, sizeof err)) {
        if (from_env) {
            /* The user named the file: running without it would turn every
             * known difference into a false finding. */
            fprintf(stderr, "%s: SHAKEDOWN_KNOWN_DIFFERENCES: %s\n", TARGET_NAME, err);
            abort();
        }
        /* A binary away from its source tree (OSS-Fuzz) has no such file:
         * run with none rather than not at all, and say so. */
        fprintf(stderr, "%s: warning: no known differences loaded (%s)\n", TARGET_NAME, err);
    }
    const char *findings = getenv("SHAKEDOWN_FINDINGS_DIR");
    if (findings && findings[0]) g_findings_dir = findings;
    const char *strict = getenv("SHAKEDOWN_STRICT_ALERTS");
    g_strict_alerts = strict && strcmp(strict, "1") == 0;
    atexit(report_alert_diffs);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* Bigger than a record's worth of ClientHello: nothing new to test (see
     * SD_FUZZ_MAX_INPUT), and rejecting it keeps libFuzzer's inputs small. */
    if (size > SD_FUZZ_MAX_INPUT) return 0;

    sd_trace trace;
    sd_role role;
    char err[200];
    if (!sd_trace_from_fuzz_input(TARGET_NAME, data, size, &trace, &role, err, sizeof err)) {
        /* Only out-of-memory gets here; the input is not at fault. */
        fprintf(stderr, "%s: %s\n", TARGET_NAME, err);
        return 0;
    }

    sd_outcome model, bssl;
    sd_divergence div;
    char why[400];
    sd_differential_run(&trace, role, &g_pki, 1, &model, &bssl, &div, why, sizeof why);

    if (div == SD_DIV_SAME) {
        sd_trace_free(&trace);
        return 0;
    }
    bool finding = div != SD_DIV_ALERT_DIFFERS || g_strict_alerts;
    char signature[256];
    sd_finding_signature(TARGET_NAME, &model, &bssl, signature, sizeof signature);
    if (sd_known_differences_match(&g_known, signature, "boringssl")) {
        sd_trace_free(&trace);
        return 0;
    }
    if (!finding) {
        count_alert_diff(signature);
        sd_trace_free(&trace);
        return 0;
    }

    /* Write first: whatever happens after abort() (a fuzzer that loses its
     * crash file, a CI job that is killed), the finding is on disk. */
    char path[1200] = "";
    bool saved = sd_finding_write(g_findings_dir, TARGET_NAME, data, size, &trace, &model, &bssl,
                                  div, why, signature, path, sizeof path, err, sizeof err);
    fprintf(stderr, "\n==== shakedown finding (%s) ====\n", TARGET_NAME);
    fprintf(stderr, "signature:  %s\n", signature);
    fprintf(stderr, "divergence: %s: %s\n", sd_divergence_name(div), why);
    if (saved)
        fprintf(stderr, "saved:      %s (+ .txt)\n", path);
    else
        fprintf(stderr, "NOT saved:  %s\n", err);
    sd_differential_print(stderr, &model, &bssl);
    fprintf(stderr, "reproduce:  shakedown repro %s\n", saved ? path : "--target " TARGET_NAME " <input>");
    fflush(stderr);
    sd_trace_free(&trace);
    abort();
}
