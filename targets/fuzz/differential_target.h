/* differential_target.h — what every differential fuzz target does, once.
 *
 * A differential fuzz target (fuzz_client_hello, fuzz_certificate, ...,
 * fuzz_trace) turns its input into a trace and the setup it runs with
 * (version, suite, credentials, client authentication;
 * harness/trace/fuzz_input.c), runs it on the model and on BoringSSL
 * (harness/run/differential.c) and
 * aborts on a finding, after writing it to disk. Only the target's name
 * differs, so each targets/fuzz/fuzz_<what>.c is its header comment (what
 * it targets) plus
 *
 *     SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_<what>")
 *
 * Run-time files, looked up in this order:
 *   - the fixture PKI: $SHAKEDOWN_PKI_DIR; else the build tree's pki/;
 *     else pki/ next to the binary (OSS-Fuzz and ClusterFuzzLite copy it to
 *     $OUT/pki, .clusterfuzzlite/build.sh);
 *   - known differences: $SHAKEDOWN_KNOWN_DIFFERENCES; else the source
 *     tree's harness/oracle/known_differences.txt; else
 *     known_differences.txt next to the binary; else none (with a warning).
 *
 * Findings: a divergence (one stack accepted what the other refused, or
 * the claims differ), a crash, hang or harness error, or a stack that
 * completed after being shown a credential the PKI's claims.txt labels
 * defective (oracle/claims.h; even when both did), unless the known
 * differences list its signature. The input and an explanation go to
 * $SHAKEDOWN_FINDINGS_DIR (default ./findings)/<target>/ before abort().
 * Both stacks refusing with different alerts (alert_differs) is counted and
 * listed at exit, not fatal, unless SHAKEDOWN_STRICT_ALERTS=1.
 *
 * A stack under test: SHAKEDOWN_FUZZ_STACK=NAME (`shakedown fuzz --stack`)
 * also runs each input on that stack, in process where the build has it,
 * and judges it against the model and BoringSSL (oracle sd_judge_stack;
 * its known differences: harness/oracle/known_differences/NAME.txt, or
 * known_differences/NAME.txt next to the binary, or
 * $SHAKEDOWN_STACK_KNOWN_DIFFERENCES). The references' own differences
 * are then not findings. SHAKEDOWN_FUZZ_CONTINUE=1 writes each finding
 * (once per signature) and goes on instead of aborting. The edges reached
 * in each instrumented module are printed as "#shakedown coverage:" lines
 * (edge_coverage.h).
 *
 * SHAKEDOWN_CRYPTO_MEMO=0 switches off the memo of public-key results
 * (harness/crypto/memo.c), which makes the model run of an execution
 * nearly free: for telling whether it changes a finding (it should not)
 * or measuring what it saves. */
#ifndef SHAKEDOWN_TARGETS_FUZZ_DIFFERENTIAL_TARGET_H
#define SHAKEDOWN_TARGETS_FUZZ_DIFFERENTIAL_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/pki.h"

/* Loads the PKI and the known differences (aborts if the PKI is missing). */
void sd_fuzz_differential_init(const char *target, int *argc, char ***argv);
/* One input: trace, both stacks, compare; aborts on a finding. */
int sd_fuzz_differential_one(const char *target, const uint8_t *data, size_t size);

/* The fixture PKI, found as above (aborts if missing); loaded once. For the
 * targets that need it without the differential run. */
const sd_pki *sd_fuzz_pki(const char *target, char **argv);

/* Folder of the running binary (for files shipped next to it), "" if
 * unknown. */
const char *sd_fuzz_binary_dir(void);

#define SD_DIFFERENTIAL_FUZZ_TARGET(name)                          \
    int LLVMFuzzerInitialize(int *argc, char ***argv);             \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);  \
    int LLVMFuzzerInitialize(int *argc, char ***argv) {            \
        sd_fuzz_differential_init(name, argc, argv);               \
        return 0;                                                  \
    }                                                              \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { \
        return sd_fuzz_differential_one(name, data, size);         \
    }

#endif
