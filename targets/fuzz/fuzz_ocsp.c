/* fuzz_ocsp.c — fuzzing of the stapled-OCSP-response parser and checker.
 *
 * Targets:
 *   - harness/crypto/pki_revocation.c sd_ocsp_parse and sd_ocsp_next_single (the
 *     RFC 6960 OCSPResponse / BasicOCSPResponse / SingleResponse parser:
 *     bounds-checked CBS reads, GeneralizedTime, every trailing-byte check);
 *   - harness/crypto/pki_revocation.c pki_check_stapled_ocsp through sd_verify_chain (responder
 *     match, signature over tbsResponseData, CertID match against the
 *     fixture's "leaf", the time checks), with the input as the stapled
 *     response.
 *
 * Input: the DER of one OCSPResponse, any bytes. No stack is involved, so
 * there is no differential oracle: a finding is a crash, a sanitizer report
 * or a hang; and an input that parses must also give consistent fields (at
 * least one SingleResponse, spans inside the input), checked with abort().
 *
 * Seeds: corpus/fuzz_ocsp/ (the fixture's ocsp-leaf.der and
 * ocsp-revoked.der, made by corpus/pki/make_pki.c, and an error response).
 * The fixture PKI ($SHAKEDOWN_PKI_DIR) is needed for the sd_verify_chain
 * half; without it only the parser runs, and the target says so once.
 *
 * Builds: <this>_replay (plain main, any compiler), <this> (libFuzzer),
 * <this>_afl (AFL++); see targets/fuzz/CMakeLists.txt. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "crypto/pki.h"

#define TARGET_NAME "fuzz_ocsp"

/* An OCSP response is a few hundred bytes to a few kilobytes (with
 * certificates); more adds nothing to explore. */
#define MAX_INPUT 16384

/* Loaded once per process; reachable from globals until exit. */
static sd_pki g_pki;
static bool g_have_pki;
static const sd_credential *g_leaf;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    char err[512];
    const char *dir = sd_pki_default_dir();
    if (!sd_pki_load(&g_pki, dir, err, sizeof err)) {
        fprintf(stderr,
                "%s: warning: cannot load the fixture PKI from %s (%s); fuzzing the parser only.\n"
                "  Build it (cmake --build <build> --target pki) and/or set SHAKEDOWN_PKI_DIR.\n",
                TARGET_NAME, dir, err);
        return 0;
    }
    g_leaf = sd_pki_find(&g_pki, "leaf");
    g_have_pki = g_leaf != NULL && g_leaf->chain_len > 0 && g_leaf->chain_len <= SD_MAX_CHAIN;
    if (!g_have_pki) {
        fprintf(stderr, "%s: warning: no \"leaf\" credential in %s; fuzzing the parser only.\n", TARGET_NAME,
                dir);
    }
    return 0;
}

static bool inside(sd_span s, const uint8_t *data, size_t size) {
    return s.len == 0 || (s.data >= data && s.len <= size && (size_t)(s.data - data) <= size - s.len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > MAX_INPUT) return 0;
    sd_span input = sd_span_of(data, size);

    sd_ocsp_response r;
    if (sd_ocsp_parse(input, &r) && r.response_status == 0) {
        if (r.n_responses == 0 || !inside(r.tbs_response_data, data, size) ||
            !inside(r.signature, data, size) || !inside(r.responses, data, size) ||
            !inside(r.certs, data, size)) {
            fprintf(stderr, "%s: sd_ocsp_parse accepted an inconsistent response\n", TARGET_NAME);
            abort();
        }
        sd_span it = r.responses;
        sd_ocsp_single single;
        size_t n = 0;
        while (it.len > 0 && sd_ocsp_next_single(&it, &single)) {
            n++;
            if (!inside(single.serial, data, size) || single.status > SD_OCSP_UNKNOWN) {
                fprintf(stderr, "%s: sd_ocsp_next_single gave an inconsistent response\n", TARGET_NAME);
                abort();
            }
        }
        if (n != r.n_responses || it.len != 0) {
            fprintf(stderr, "%s: %zu SingleResponses parsed, sd_ocsp_parse counted %zu\n", TARGET_NAME, n,
                    r.n_responses);
            abort();
        }
    }

    if (g_have_pki) {
        sd_span chain[SD_MAX_CHAIN];
        for (size_t i = 0; i < g_leaf->chain_len; i++) {
            chain[i] = sd_span_of(g_leaf->chain_der[i], g_leaf->chain_der_len[i]);
        }
        sd_verify_params p = {.pki = &g_pki,
                              .host_name = SD_PKI_SERVER_NAME,
                              .now = SD_PKI_DEFAULT_TIME,
                              .purpose = SD_VERIFY_PURPOSE_SERVER,
                              .stapled_ocsp = &input};
        uint8_t alert = 0;
        char err[256];
        EVP_PKEY *key = NULL;
        /* Accepted or refused are both fine here; the check is that no
         * input crashes it, and that a refusal always names its alert. */
        bool accepted = sd_verify_chain(&p, chain, g_leaf->chain_len, &key, &alert, err, sizeof err);
        if (!accepted && alert == 0) {
            fprintf(stderr, "fuzz_ocsp: a refused chain without an alert (%s)\n", err);
            abort();
        }
        EVP_PKEY_free(key);
    }
    return 0;
}
