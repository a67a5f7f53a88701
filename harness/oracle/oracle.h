/* oracle.h — judging outcomes.
 *
 * Two oracles read the same sd_outcome:
 *  - conformance (sd_classify): one outcome against the expectation written
 *    in a scenario, giving a verdict (PASS, SOFT, FAIL, ...);
 *  - differential (sd_compare): the model's outcome against BoringSSL's on
 *    the same trace, giving a divergence class.
 * A baseline of expected failures (oracle/baseline.h) then turns a verdict
 * into XFAIL or XPASS. The reports only show what these decided.
 * The full tables, with the reasoning, are in docs/outcomes.md. */
#ifndef SHAKEDOWN_ORACLE_ORACLE_H
#define SHAKEDOWN_ORACLE_ORACLE_H

#include <stdbool.h>
#include <stddef.h>

#include "driver/outcome.h"
#include "trace/step_under_test.h"
#include "trace/trace.h"
#include "util/util.h"

/* --- Conformance ---------------------------------------------------------- */

typedef enum {
    SD_VERDICT_PASS, /* did exactly what the RFC prescribes */
    SD_VERDICT_SOFT, /* refused as it must, but with another alert or a plain close */
    SD_VERDICT_FAIL, /* accepted (or carried on with) what it must refuse, or refused what it must accept */
    SD_VERDICT_CRASH,
    SD_VERDICT_HANG,
    SD_VERDICT_SKIP,  /* the stack lacks the feature (an unsupported outcome), or the cell was not run */
    SD_VERDICT_ERROR, /* the harness failed; never counted against the stack */
    SD_VERDICT_XFAIL, /* with a baseline (oracle/baseline.h): an expected failure that still fails */
    SD_VERDICT_XPASS, /* with a baseline: an expected failure that passes now */
    /* The run ended before the step the scenario tests (trace/step_under_test.h):
     * the stack refused, closed or fell silent on something earlier, or the
     * driver's script went off course, so that step was never judged. Neither
     * a pass nor a failure; the why says where the run ended and why. */
    SD_VERDICT_UNREACHED,
} sd_verdict;

#define SD_VERDICT_COUNT 10

/* "PASS", "SOFT", ... (the spelling used in the terminal, JSON and HTML). */
const char *sd_verdict_name(sd_verdict v);
/* Reverse of sd_verdict_name; false if unknown. */
SD_MUST_CHECK bool sd_verdict_from_name(const char *name, sd_verdict *out);
/* True for the verdicts that make `shakedown conform` exit 1. */
bool sd_verdict_is_finding(sd_verdict v);

/* Classifies outcome o against scenario s's expectation. Writes a short
 * human reason into why (empty for a plain PASS). */
sd_verdict sd_classify(const sd_scenario *s, const sd_outcome *o, char *why, size_t why_len);

/* "complete", "alert decrypt_error", "closed": the expectation in words. */
void sd_expectation_describe(const sd_scenario *s, char *buf, size_t len);

/* --- Differential --------------------------------------------------------- */

typedef enum {
    SD_DIV_SAME,          /* same outcome and same security claims */
    SD_DIV_ALERT_DIFFERS, /* both refused, but with different alerts, a close, or at different steps */
    SD_DIV_DIVERGES,      /* one proceeded where the other refused, or the claims differ */
    SD_DIV_CRASH,         /* either crashed, hung or was unsupported, or the harness failed */
    SD_DIV_UNCOMPARED,    /* the same input did not make the same bytes for both: a mutation at a
                           * byte offset of a message whose honest length differed between them */
} sd_divergence;

const char *sd_divergence_name(sd_divergence d); /* "same", "alert_differs", ... */
/* Whether the two runs differ at all (not same, and compared). */
bool sd_divergence_is_difference(sd_divergence d);

/* Compares the model's outcome with BoringSSL's (the names only say which
 * side is which in why; the comparison is symmetric). */
sd_divergence sd_compare(const sd_outcome *model, const sd_outcome *oracle_boringssl, char *why,
                         size_t why_len);
/* The same between any two outcomes, named na and nb in why. */
sd_divergence sd_compare_named(const sd_outcome *a, const char *na, const sd_outcome *b, const char *nb,
                               char *why, size_t why_len);

/* A third stack, the stack under test, judged against both references
 * (the model and BoringSSL) on the same input (`shakedown fuzz --stack`). */
typedef enum {
    SD_STACK_AGREES,        /* the same as at least one reference */
    SD_STACK_ALERT_DIFFERS, /* refused as a reference did, with another alert or at another step */
    SD_STACK_UNJUDGED,      /* the stack cannot run the configuration, went off course before the input's
                             * first dishonest step, or a reference did not run */
    SD_STACK_ACCEPTS,       /* proceeded where both references refused */
    SD_STACK_REFUSES,       /* refused where both references proceeded */
    SD_STACK_DIVERGES,      /* otherwise differs from both: what it sent, or its claims */
    SD_STACK_CRASH,         /* crashed, hung, or the harness failed on its run */
} sd_stack_judgement;

const char *sd_stack_judgement_name(sd_stack_judgement j); /* "agrees", "accepts", ... */
/* Accepts, refuses, diverges and crash are findings (unless a known
 * difference of the stack covers them); the others are not. */
bool sd_stack_judgement_is_finding(sd_stack_judgement j);

/* Compares stack with each reference (sd_compare_named). A stack that
 * agrees with either reference is not judged further: where the two
 * references differ, that is the two-party oracle's finding, not the
 * stack's. first_deviation is the trace's first action by which the driver
 * stops being an honest peer (sd_fuzz_first_deviation; SD_STEP_WHOLE_RUN
 * for an honest trace): a stack whose run ended before it, or that
 * answered an honest message otherwise than the trace planned, is
 * unjudged, as conform scores such a run UNREACHED. */
sd_stack_judgement sd_judge_stack(const sd_outcome *stack, const char *stack_name, const sd_outcome *model,
                                  const sd_outcome *boringssl, int first_deviation, char *why,
                                  size_t why_len);

/* Where two ladders part: the events of both are walked while they are the
 * same (who sent it, what, protected or not, mutated or not), passing over
 * the target's TLS 1.3 compatibility CCS, which a stack may send or not
 * (RFC 8446 §D.4). *ia and *ib are each ladder's first event after the
 * common part (its n_events where it ran out). */
void sd_ladders_part(const sd_outcome *a, const sd_outcome *b, size_t *ia, size_t *ib);

/* --- Known differences ----------------------------------------------------
 * One reviewed file (harness/oracle/known_differences.txt) lists the
 * differences between stacks that are justified by the RFC, so they are
 * reported as known rather than as findings. One entry per line:
 *     <scenario-id-or-fuzz-signature-glob> <stack> <what differs> -- <RFC reasoning>
 * '#' starts a comment line; blank lines are ignored. Patterns and stack are
 * fnmatch(3) globs. */

typedef struct {
    char pattern[128];
    char stack[32];
    char what[256];
    char reason[512];
    int line;
} sd_known_difference;

typedef struct {
    size_t n;
    sd_known_difference *items; /* owned */
} sd_known_differences;

/* Parses text (name is used in error messages). On error returns false,
 * leaves out empty and writes "name:line: message" into err. */
SD_MUST_CHECK bool sd_known_differences_parse(const char *name, const char *text, size_t len,
                                              sd_known_differences *out, char *err, size_t err_len);
SD_MUST_CHECK bool sd_known_differences_load(const char *path, sd_known_differences *out, char *err,
                                             size_t err_len);
void sd_known_differences_free(sd_known_differences *kd);
/* The first entry whose pattern matches id (a scenario id or a fuzz finding's
 * signature) and whose stack glob matches stack; NULL if none. */
const sd_known_difference *sd_known_differences_match(const sd_known_differences *kd, const char *id,
                                                      const char *stack);

#endif
