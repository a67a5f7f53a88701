/* differential.h — run one trace on the model and on BoringSSL and compare.
 *
 * This is the differential oracle as the fuzz targets and `shakedown repro`
 * use it: the same trace, the same role, the same PKI and seed on both
 * stacks, then sd_compare. Keeping it in one place is what makes a fuzz
 * finding reproduce with repro: both call exactly this. */
#ifndef SHAKEDOWN_RUN_DIFFERENTIAL_H
#define SHAKEDOWN_RUN_DIFFERENTIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto/pki.h"
#include "driver/driver.h"
#include "oracle/claims.h"
#include "oracle/oracle.h"
#include "driver/outcome.h"
#include "trace/trace.h"
#include "util/util.h"

/* One side of a comparison, by name: "model", "boringssl", or the stack
 * under test ("wolfssl"). */
typedef struct {
    const char *name;
    const sd_outcome *outcome;
} sd_party;

/* Runs t against the model and against BoringSSL, each in role
 * role_under_test with sd_run_config_defaults and this seed, and compares
 * the outcomes. Fills both outcomes, the divergence class and a short
 * human reason (why may be NULL). Never fails: problems of the harness come
 * back as SD_OUTCOME_HARNESS_ERROR outcomes and so as SD_DIV_CRASH. */
void sd_differential_run(const sd_trace *t, sd_role role_under_test, const sd_pki *pki, uint64_t seed,
                         sd_outcome *model_out, sd_outcome *boringssl_out, sd_divergence *div, char *why,
                         size_t why_len);

/* The same with a whole run configuration (a scenario's credential or
 * version, verbose logging). base->stack is ignored: the model and BoringSSL
 * are always the two stacks. */
void sd_differential_run_config(const sd_trace *t, const sd_run_config *base, sd_outcome *model_out,
                                sd_outcome *boringssl_out, sd_divergence *div, char *why, size_t why_len);

/* The stack under test named name ("wolfssl"): its in-process target
 * ("wolfssl-inprocess") where the build has one, else its shim. NULL and
 * why in err for an unknown name and for the two references themselves. */
const sd_target_ops *sd_stack_under_test_find(const char *name, char *err, size_t err_len);

/* Runs t against a third stack, the stack under test of `shakedown fuzz
 * --stack` and `repro --stack`, with the same configuration as the two
 * references (base->stack is replaced by stack). */
void sd_differential_run_stack(const sd_trace *t, const sd_run_config *base, const sd_target_ops *stack,
                               sd_outcome *out);

/* A second reference for the setups BoringSSL cannot run
 * (sd_fuzz_setup_boringssl_runs; `shakedown fuzz --reference NAME`): runs t
 * on the model and on reference, with the model's limits that only mirror
 * BoringSSL's lifted (sd_fuzz_setup_unpin_model), and compares them
 * (sd_compare_named, reference named name). Fills both outcomes, the
 * divergence class and why (may be NULL). */
void sd_differential_run_reference(const sd_trace *t, const sd_run_config *base,
                                   const sd_target_ops *reference, const char *name, sd_outcome *model_out,
                                   sd_outcome *reference_out, sd_divergence *div, char *why, size_t why_len);

/* The security-claim check (oracle/claims.h) on both outcomes: the first
 * side, the model's first, that accepted a credential labels says it must
 * refuse, and that no entry of known (may be NULL) covers: an entry whose
 * pattern matches the claim signature and whose stack glob the side's name
 * ("model", "boringssl"). Returns true and writes that signature and a
 * sentence saying what happened; false if neither side did, or only where
 * known covers it. This is a finding whether or not the two sides agree. */
SD_MUST_CHECK bool sd_claim_finding(const sd_claim_labels *labels, const sd_known_differences *known,
                                    const char *target, const sd_outcome *model, const sd_outcome *boringssl,
                                    char *signature, size_t signature_len, char *why, size_t why_len);

/* The same check on any parties, in order: the first one that accepted
 * a credential it must refuse, and that no entry of known covers for its
 * name. A three-party run checks the stack under test alone. */
SD_MUST_CHECK bool sd_parties_claim_finding(const sd_claim_labels *labels, const sd_known_differences *known,
                                            const char *target, const sd_party *p, size_t n, char *signature,
                                            size_t signature_len, char *why, size_t why_len);

/* A finding's signature, for deduplication and for the patterns of
 * known_differences.txt: what ended each run, where; the version and the
 * role of the stacks under test; and where the two runs parted: the last
 * message the driver gave both before their ladders differ (the input one
 * of them took otherwise), after how many handshake messages of the
 * driver's and of the target's (sd_ladders_part). One word (no blanks), e.g.
 *     fuzz_client_hello:model=alert(decode_error)@0:boringssl=waiting@1:tls13-server:hs=0/0:on=ClientHello+mutated
 * `target` is the fuzz target's name or the scenario id. Outcomes that differ
 * only in details (error strings, timings, negotiated parameters) have the
 * same signature; an alert outside the registry is written as its number.
 * A known difference can so name its cause ("on=ChangeCipherSpec" before
 * any handshake message of the driver's, "hs=0/") and not only how the
 * runs ended. A target given more versions than the one played adds its
 * range at the end: ":versions=1.2-1.3". */
void sd_finding_signature(const char *target, const sd_outcome *model, const sd_outcome *boringssl, char *out,
                          size_t out_len);

/* The signature of a finding among any two or three parties: each side as
 * "name=..." in order, the version and role of the first, and where the
 * first two part. A stack under test comes first, then the model and
 * BoringSSL:
 *     fuzz_trace:wolfssl=completed@6:model=alert(decode_error)@2:boringssl=alert(decode_error)@2:tls13-client:hs=1/2:on=EncryptedExtensions+mutated
 * sd_finding_signature is this with the model and BoringSSL. */
void sd_parties_signature(const char *target, const sd_party *p, size_t n, char *out, size_t out_len);

/* The last part of a signature, where the runs part: "hs=2/1:on=Certificate[expired]+encrypted". */
void sd_finding_parting(const sd_outcome *model, const sd_outcome *boringssl, char *buf, size_t len);

/* 64-bit FNV-1a of a signature: names finding files (16 hex digits). */
uint64_t sd_signature_hash(const char *signature);

/* The known-differences file: $SHAKEDOWN_KNOWN_DIFFERENCES if set, else the
 * one in the source tree (SHAKEDOWN_SOURCE_DIR/harness/oracle/
 * known_differences.txt). *from_env tells which (may be NULL): a file the
 * user named must load, the built-in default may be absent (an installed
 * binary, an OSS-Fuzz runner). */
const char *sd_known_differences_default_path(bool *from_env);

/* The per-stack known differences of a stack under test: what it may do
 * otherwise than both references, each entry with its RFC sentence, in the
 * format of known_differences.txt. $SHAKEDOWN_STACK_KNOWN_DIFFERENCES if
 * set (a maintainer's own file), else the source tree's
 * harness/oracle/known_differences/<stack>.txt. False if the path does
 * not fit. */
SD_MUST_CHECK bool sd_stack_known_differences_path(const char *stack, char *buf, size_t len, bool *from_env);

/* One rung of the ladder diagram: "→ ClientHello (mutated)",
 * "← alert fatal decode_error" (→ the driver sent it, ← the stack did). */
void sd_ladder_event_describe(const sd_event *e, char *buf, size_t len);

/* Prints the two outcomes side by side: what ended each run (kind, alert,
 * step, claims), each side's detail, and the two ladders in two columns. */
void sd_differential_print(FILE *f, const sd_outcome *model, const sd_outcome *boringssl);
/* The same for up to three parties, one column each. */
void sd_parties_print(FILE *f, const sd_party *p, size_t n);

/* A finding as sd_finding_write keeps it. */
typedef struct {
    const char *target;  /* the fuzz target */
    const uint8_t *data; /* its input */
    size_t len;
    const sd_trace *trace;   /* the input as a trace (may be NULL) */
    const sd_party *parties; /* the outcomes, printed in this order */
    size_t n_parties;        /* 2, or 3 with a stack under test */
    const char *stack;       /* the stack under test, NULL in a two-party run */
    const char *judgement;   /* sd_divergence_name or sd_stack_judgement_name */
    const char *why;         /* a short human reason */
    const char *signature;   /* its identity: names the files */
    /* The second reference that stood in for BoringSSL on a setup it cannot
     * run (`--reference`), NULL otherwise; n_parties is 2 then. */
    const char *reference;
} sd_finding;

/* Writes a finding into dir/<target>/: the input as <hash> (16 hex digits
 * of sd_signature_hash(signature)) and the explanation as <hash>.txt (the
 * signature, judgement, trace script, the outcomes and how to reproduce).
 * Creates the folders. Both files are written atomically (temp + rename).
 * A finding with the same signature is kept if its input is not larger, so
 * the folder holds the smallest known reproducer per signature. The path of
 * the input file goes into path (may be NULL). Returns false and says why
 * in err on an I/O error. */
SD_MUST_CHECK bool sd_finding_write(const char *dir, const sd_finding *finding, char *path, size_t path_len,
                                    char *err, size_t err_len);

#endif
