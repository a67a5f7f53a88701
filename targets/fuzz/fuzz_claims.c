/* fuzz_claims.c — fuzzing of the claims.txt parser.
 *
 * Target: harness/oracle/claims.c sd_claim_labels_parse (the labels the
 * security-claim check reads: one line per fixture and side, a verdict, a
 * defect and a rule; every field bounded, duplicate lines refused) and
 * sd_claim_label_find over what it parsed.
 *
 * Input: the text of a claims.txt, any bytes. No stack is involved, so
 * there is no differential oracle: a finding is a crash, a sanitizer report
 * or a hang; and a parse must be consistent (every label found again by its
 * fixture and side, its strings terminated), checked with abort().
 *
 * Seeds: corpus/fuzz_claims/ (the fixture PKI's claims.txt as make_pki
 * writes it, and a few lines of each verdict).
 *
 * Builds: <this>_replay (plain main, any compiler), <this> (libFuzzer),
 * <this>_afl (AFL++); see targets/fuzz/CMakeLists.txt. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oracle/claims.h"

/* The fixture's file is a few kilobytes. */
#define MAX_INPUT 65536

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    return 0;
}

static bool terminated(const char *s, size_t cap) { return memchr(s, '\0', cap) != NULL; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > MAX_INPUT) return 0;
    sd_claim_labels labels;
    char err[512];
    if (!sd_claim_labels_parse("input", (const char *)data, size, &labels, err, sizeof err)) {
        if (labels.n != 0 || labels.items != NULL || !terminated(err, sizeof err)) abort();
        return 0;
    }
    for (size_t i = 0; i < labels.n; i++) {
        const sd_claim_label *l = &labels.items[i];
        if (!terminated(l->fixture, sizeof l->fixture) || !terminated(l->alerts, sizeof l->alerts) ||
            !terminated(l->defect, sizeof l->defect) || !terminated(l->rule, sizeof l->rule))
            abort();
        if (sd_claim_label_find(&labels, l->fixture, l->shown_by_server) != l) abort();
        if (l->refuse != (l->alerts[0] != '\0')) abort();
    }
    sd_claim_labels_free(&labels);
    return 0;
}
