/* repro.c — `shakedown repro`: replay corpus files, crash files or scenario
 * scripts; print the trace; show the two outcomes side by side.
 *
 * A scenario, a fuzz input and a crash file are all traces, so one command
 * serves all three:
 *   - FILE.sd is a scenario script: it is parsed (errors as file:line) and
 *     its trace runs with its role, version and credential;
 *   - any other file is a fuzz input for a fuzz target (--target, or the
 *     folder it sits in: corpus/<target>/, corpus/regressions/<target>/,
 *     findings/<target>/), turned into a trace exactly as the fuzz target
 *     does (harness/trace/fuzz_input.c). Any bytes are a valid input,
 *     including none.
 * Each trace runs on the model and on BoringSSL through the same
 * sd_differential_run the fuzz targets use, so a finding reproduces here
 * with the same outcomes and signature. With --stack NAME it also runs on
 * that stack and judges it against both, as `shakedown fuzz --stack` does
 * (sd_judge_stack). With --reference NAME a fuzz input whose setup
 * BoringSSL cannot run runs on the model and on NAME instead, as
 * `shakedown fuzz --reference` runs it. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "crypto/pki.h"
#include "driver/driver.h"
#include "run/differential.h"
#include "oracle/oracle.h"
#include "protocol/target.h"
#include "trace/fuzz_input.h"
#include "trace/step_under_test.h"
#include "trace/trace.h"
#include "stacks/stacks.h"

static const char repro_cmd[] = "repro";
#define DEFAULT_FUZZ_TARGET "fuzz_client_hello"

static void repro_usage(FILE *f) {
    fprintf(f,
            "usage: shakedown repro [--target NAME] [--stack NAME | --reference NAME] [--seed N]\n"
            "                       [--pki DIR] [-v] FILE...\n"
            "\n"
            "Replays each FILE on the model and on BoringSSL, prints its trace as a script,\n"
            "the two outcomes side by side with the ladder of messages, and the divergence.\n"
            "With --stack, also on that stack, judged against both (a finding of\n"
            "'shakedown fuzz --stack NAME' reproduces so).\n"
            "\n"
            "  FILE.sd         a scenario script, run with its headers as conform runs it\n"
            "  any other FILE  a fuzz input (corpus file, crash file, finding); any bytes\n"
            "\n"
            "options:\n"
            "  --target NAME   the fuzz target the inputs belong to; default: the folder the\n"
            "                  file is in (corpus/NAME/..., findings/NAME/...), else %s\n"
            "  --stack NAME    the stack under test (wolfssl, mbedtls, gnutls, openssl, ...): in\n"
            "                  process where the build has it, else its shim. Its own known\n"
            "                  differences: $SHAKEDOWN_STACK_KNOWN_DIFFERENCES, else\n"
            "                  harness/oracle/known_differences/NAME.txt\n"
            "  --reference NAME  a fuzz input whose setup BoringSSL cannot run: on the model\n"
            "                  and on NAME (in BoringSSL's stead, with NAME's own known\n"
            "                  differences), as 'shakedown fuzz --reference NAME' runs it\n"
            "  --seed N        seed of the driver's and the model's randomness (default 1, as\n"
            "                  the fuzz targets use)\n"
            "  --pki DIR       fixture PKI (default $SHAKEDOWN_PKI_DIR, else the build's pki/)\n"
            "  -v, --verbose   log every record the driver sends and receives, to stderr\n"
            "  -h, --help      this help\n"
            "\n"
            "fuzz targets:",
            DEFAULT_FUZZ_TARGET);
    for (size_t i = 0; sd_fuzz_target_names[i]; i++) fprintf(f, " %s", sd_fuzz_target_names[i]);
    fprintf(f, "\n"
               "\n"
               "Known differences come from $SHAKEDOWN_KNOWN_DIFFERENCES, else the source tree's\n"
               "harness/oracle/known_differences.txt.\n"
               "\n"
               "exit codes:\n"
               "  0  every file: same outcome, or only the alert differs, or a known difference\n"
               "  1  a file diverges or crashes, or a side completed after being shown a\n"
               "     credential the PKI's claims.txt says it must refuse, and no known\n"
               "     difference covers it\n"
               "  2  bad flag, unreadable file, bad scenario, missing PKI\n"
               "  3  the harness itself failed on a file (not a finding of either stack)\n");
}

typedef struct {
    const char *target; /* --target, NULL if not given */
    const char *stack;  /* --stack: the stack under test, NULL if not given */
    const sd_target_ops *stack_ops;
    /* --reference: the second reference for setups BoringSSL cannot run */
    const char *reference;
    const sd_target_ops *reference_ops;
    sd_known_differences stack_known; /* of --stack or --reference */
    uint64_t seed;
    const char *pki_dir;
    bool verbose;
} repro_options;

/* What one file asks for: a trace, the role under test, and the id that
 * names it in known_differences.txt. */
typedef struct {
    sd_trace trace;
    sd_scenario scenario; /* valid if is_scenario; owns the trace then */
    bool is_scenario;
    sd_role role;
    char id[128]; /* scenario id, or the fuzz target's name */
    size_t input_len;
    sd_fuzz_setup setup;   /* a fuzz input's: the run configuration points into it */
    bool second_reference; /* BoringSSL cannot run the setup: the model against --reference */
} repro_input;

static bool has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Reads at most max + 1 bytes: enough to tell that a file is over the cap
 * without reading a huge one. Any other problem is an error for the user. */
static bool read_input(const char *path, size_t max, uint8_t **out, size_t *out_len) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "shakedown repro: cannot read %s: %s\n", path, strerror(errno));
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        fprintf(stderr, "shakedown repro: %s is a folder; name the files to replay\n", path);
        return false;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "shakedown repro: cannot read %s: %s\n", path, strerror(errno));
        return false;
    }
    uint8_t *data = malloc(max + 1);
    if (!data) {
        fclose(f);
        fprintf(stderr, "shakedown repro: %s: out of memory\n", path);
        return false;
    }
    size_t n = fread(data, 1, max + 1, f);
    bool bad = ferror(f);
    int saved = errno;
    fclose(f);
    if (bad) {
        fprintf(stderr, "shakedown repro: cannot read %s: %s\n", path, strerror(saved));
        free(data);
        return false;
    }
    *out = data;
    *out_len = n;
    return true;
}

/* Loads FILE into in and fills cfg. Returns SD_EXIT_OK, SD_EXIT_USAGE (the
 * file cannot be used; already said why), or -1 for "skip, not an error". */
static int load_input(const char *path, const repro_options *o, const sd_pki *pki, repro_input *in,
                      sd_run_config *cfg) {
    memset(in, 0, sizeof *in);
    sd_trace_init(&in->trace);
    char err[700];
    if (has_suffix(path, ".sd")) {
        if (!sd_scenario_load(path, &in->scenario, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return SD_EXIT_USAGE;
        }
        in->is_scenario = true;
        in->role = in->scenario.role;
        snprintf(in->id, sizeof in->id, "%s", in->scenario.id);
        sd_run_config_defaults(cfg, &sd_target_model, in->role, pki);
        /* Exactly as conform runs it, so that both give the same verdict. */
        sd_run_config_apply_scenario(cfg, &in->scenario);
        printf("== %s: scenario %s (role under test: %s) ==\n", path, in->scenario.id,
               sd_role_name(in->role));
        if (in->scenario.title[0]) printf("title:  %s\n", in->scenario.title);
        return SD_EXIT_OK;
    }

    if (has_suffix(path, ".txt")) {
        /* findings/<target>/<hash>.txt explains findings/<target>/<hash>; a
         * shell glob over a findings folder names both. */
        char input[1024];
        struct stat st;
        size_t n = strlen(path) - 4;
        if (n < sizeof input) {
            memcpy(input, path, n);
            input[n] = '\0';
            if (stat(input, &st) == 0 && S_ISREG(st.st_mode)) {
                printf("== %s: skipped, the explanation of the finding %s ==\n\n", path, input);
                return -1;
            }
        }
    }

    const char *target = o->target;
    const char *how = "--target";
    if (!target) {
        target = sd_fuzz_target_from_path(path);
        how = "from its folder";
    }
    if (!target) {
        target = DEFAULT_FUZZ_TARGET;
        how = "the default: the path names no fuzz target; use --target to choose";
    }
    uint8_t *data = NULL;
    size_t len = 0;
    if (!read_input(path, SD_FUZZ_MAX_INPUT, &data, &len)) return SD_EXIT_USAGE;
    printf("== %s: fuzz input for %s (%s) ==\n", path, target, how);
    if (len > SD_FUZZ_MAX_INPUT) {
        /* Agree with the fuzz target, which returns at once for these: such
         * a file can never have been a finding. */
        printf("skipped: more than %u bytes; the fuzz targets ignore inputs over that size\n\n",
               SD_FUZZ_MAX_INPUT);
        free(data);
        return -1;
    }
    bool ok = sd_fuzz_input_build(target, data, len, &in->trace, &in->setup, err, sizeof err);
    free(data);
    in->role = in->setup.role;
    if (!ok) {
        fprintf(stderr, "shakedown repro: %s: %s\n", path, err);
        return SD_EXIT_USAGE;
    }
    in->input_len = len;
    snprintf(in->id, sizeof in->id, "%s", target);
    printf("input:  %zu bytes%s; role under test: %s\n", len, len == 0 ? " (empty: an empty body)" : "",
           sd_role_name(in->role));
    char setup[400];
    sd_fuzz_setup_describe(&in->setup, setup, sizeof setup);
    printf("setup:  %s\n", setup);
    /* Agree with the fuzz target, which skips these inputs unless a
     * second reference takes those BoringSSL cannot run. */
    bool runs = sd_fuzz_setup_model_runs(&in->setup, pki, err, sizeof err);
    bool boringssl_runs = runs && sd_fuzz_setup_boringssl_runs(&in->setup, err, sizeof err);
    in->second_reference = runs && !boringssl_runs && o->reference;
    if (!runs || (!boringssl_runs && !o->reference)) {
        printf("skipped: %s; the fuzz targets skip such inputs\n\n", err);
        sd_trace_free(&in->trace);
        return -1;
    }
    if (in->second_reference) printf("reference: %s, in BoringSSL's stead (%s)\n", o->reference, err);
    sd_run_config_defaults(cfg, &sd_target_model, in->role, pki);
    /* The version, suite and credentials the fuzz target ran it with. */
    sd_fuzz_setup_apply(&in->setup, cfg);
    return SD_EXIT_OK;
}

static void free_input(repro_input *in) {
    if (in->is_scenario)
        sd_scenario_free(&in->scenario);
    else
        sd_trace_free(&in->trace);
}

/* Prints the script indented, so it stands apart from our own words. */
static void print_trace(const sd_trace *t) {
    sd_buf script;
    sd_buf_init(&script);
    sd_trace_print(t, &script);
    printf("\ntrace:\n");
    const char *p = (const char *)script.data, *end = p + script.len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
        printf("  %.*s\n", (int)n, p);
        p += n + (eol ? 1 : 0);
    }
    if (script.len == 0) printf("  (no actions)\n");
    if (script.failed) printf("  (out of memory printing the trace)\n");
    sd_buf_free(&script);
}

/* The signature lines: a security-claim breach is the finding's
 * signature, and the comparison's own follows as `label`. */
static void print_signatures(bool claim, const char *claim_signature, const char *claim_why,
                             const char *label, const char *signature) {
    if (claim) {
        printf("signature:  %s\n", claim_signature);
        printf("claim:      %s\n", claim_why);
        printf("%s signature: %s\n", label, signature);
    } else {
        printf("signature:  %s\n", signature);
    }
}

/* The stack's own known difference that covers the run (its id, if any,
 * then its signature), printed either way; NULL if none does. */
static const sd_known_difference *print_stack_known(const sd_known_differences *known, const char *stack,
                                                    const char *id, const char *signature) {
    const sd_known_difference *kd = id ? sd_known_differences_match(known, id, stack) : NULL;
    if (!kd) kd = sd_known_differences_match(known, signature, stack);
    if (kd)
        printf("known:      yes, known_differences/%s.txt:%d: %s -- %s\n", stack, kd->line, kd->what,
               kd->reason);
    else
        printf("known:      no known difference of %s covers it\n", stack);
    return kd;
}

/* --stack: the stack under test on the same trace, judged against the
 * two references' outcomes m and b, as the fuzz targets judge it. Returns
 * the file's exit code. */
static int judge_stack(const repro_input *in, const sd_trace *t, const sd_run_config *cfg,
                       const repro_options *o, const sd_outcome *m, const sd_outcome *b,
                       const sd_claim_labels *claims) {
    sd_outcome s;
    sd_differential_run_stack(t, cfg, o->stack_ops, &s);
    const sd_party parties[] = {{o->stack, &s}, {"model", m}, {"boringssl", b}};
    printf("\noutcomes (seed %" PRIu64 "):\n", o->seed);
    sd_parties_print(stdout, parties, 3);

    char why[1000], signature[512], claim_signature[512], claim_why[600];
    int first_deviation =
        in->is_scenario ? sd_scenario_first_deviation(&in->scenario) : sd_fuzz_first_deviation(&in->setup, t);
    sd_stack_judgement j = sd_judge_stack(&s, o->stack, m, b, first_deviation, why, sizeof why);
    sd_parties_signature(in->id, parties, 3, signature, sizeof signature);
    bool claim = sd_parties_claim_finding(claims, &o->stack_known, in->id, parties, 1, claim_signature,
                                          sizeof claim_signature, claim_why, sizeof claim_why);
    printf("\njudgement:  %s", sd_stack_judgement_name(j));
    if (why[0]) printf(" (%s)", why);
    printf("\n");
    print_signatures(claim, claim_signature, claim_why, "judgement", signature);
    if (in->is_scenario) {
        char expect[200], vs[200];
        sd_expectation_describe(&in->scenario, expect, sizeof expect);
        sd_verdict verdict = sd_classify(&in->scenario, &s, vs, sizeof vs);
        printf("expected:   %s; %s %s%s%s\n", expect, o->stack, sd_verdict_name(verdict), vs[0] ? ": " : "",
               vs);
    }
    const sd_known_difference *kd = NULL;
    if (sd_stack_judgement_is_finding(j))
        kd = print_stack_known(&o->stack_known, o->stack, in->id, signature);
    if (s.kind == SD_OUTCOME_HARNESS_ERROR) {
        printf("result:     HARNESS ERROR (ours, not a finding of the stack)\n\n");
        return SD_EXIT_HARNESS;
    }
    if (claim || (sd_stack_judgement_is_finding(j) && !kd)) {
        printf("result:     FINDING (%s)\n\n", o->stack);
        return SD_EXIT_FINDINGS;
    }
    printf("result:     %s\n\n", j == SD_STACK_UNJUDGED ? "not judged (nothing to compare)" : "ok");
    return SD_EXIT_OK;
}

/* --reference: the model against the second reference on a setup
 * BoringSSL cannot run, judged as the fuzz targets judge it (a setup the
 * reference cannot run either is nothing to compare). Returns the file's
 * exit code. */
static int judge_second_reference(const repro_input *in, const sd_trace *t, const sd_run_config *cfg,
                                  const repro_options *o, const sd_claim_labels *claims) {
    sd_outcome m, r;
    sd_divergence div;
    char why[1000], signature[512], claim_signature[512], claim_why[600];
    sd_differential_run_reference(t, cfg, o->reference_ops, o->reference, &m, &r, &div, why, sizeof why);
    const sd_party parties[] = {{"model", &m}, {o->reference, &r}};
    printf("\noutcomes (seed %" PRIu64 "):\n", o->seed);
    sd_parties_print(stdout, parties, 2);
    sd_parties_signature(in->id, parties, 2, signature, sizeof signature);
    bool claim = sd_parties_claim_finding(claims, &o->stack_known, in->id, parties, 2, claim_signature,
                                          sizeof claim_signature, claim_why, sizeof claim_why);
    printf("\ndivergence: %s", sd_divergence_name(div));
    if (why[0]) printf(" (%s)", why);
    printf("\n");
    print_signatures(claim, claim_signature, claim_why, "divergence", signature);
    /* The reference that cannot run the setup either leaves nothing to
     * compare; the model was promised it (sd_fuzz_setup_model_runs). */
    bool unsupported = r.kind == SD_OUTCOME_UNSUPPORTED;
    const sd_known_difference *kd = NULL;
    if (sd_divergence_is_difference(div) && !unsupported)
        kd = print_stack_known(&o->stack_known, o->reference, NULL, signature);
    if (m.kind == SD_OUTCOME_HARNESS_ERROR || r.kind == SD_OUTCOME_HARNESS_ERROR) {
        printf("result:     HARNESS ERROR (ours, not a finding of either stack)\n\n");
        return SD_EXIT_HARNESS;
    }
    if (unsupported) {
        printf("result:     SKIP (%s cannot run this configuration: %s; nothing to compare)\n\n",
               o->reference, r.detail);
        return SD_EXIT_OK;
    }
    if (claim || ((div == SD_DIV_DIVERGES || div == SD_DIV_CRASH) && !kd)) {
        printf("result:     FINDING\n\n");
        return SD_EXIT_FINDINGS;
    }
    printf("result:     ok\n\n");
    return SD_EXIT_OK;
}

/* Runs one file; returns its exit code (0, 1, 2 or 3). */
static int repro_one(const char *path, const repro_options *o, const sd_pki *pki,
                     const sd_known_differences *known, const sd_claim_labels *claims) {
    repro_input in;
    sd_run_config cfg;
    int rc = load_input(path, o, pki, &in, &cfg);
    if (rc == -1) return SD_EXIT_OK;
    if (rc != SD_EXIT_OK) {
        free_input(&in);
        return rc;
    }
    cfg.seed = o->seed;
    cfg.verbose = o->verbose;
    const sd_trace *t = in.is_scenario ? &in.scenario.trace : &in.trace;
    print_trace(t);
    if (!in.is_scenario && in.second_reference) {
        fflush(stdout);
        rc = judge_second_reference(&in, t, &cfg, o, claims);
        free_input(&in);
        return rc;
    }

    sd_outcome m, b;
    sd_divergence div;
    char why[400];
    fflush(stdout);                                /* -v logs go to stderr while the run goes */
    if (o->stack) sd_fuzz_setup_unpin_model(&cfg); /* as fuzz --stack runs it */
    sd_differential_run_config(t, &cfg, &m, &b, &div, why, sizeof why);
    if (o->stack) {
        rc = judge_stack(&in, t, &cfg, o, &m, &b, claims);
        free_input(&in);
        return rc;
    }

    printf("\noutcomes (seed %" PRIu64 "):\n", o->seed);
    sd_differential_print(stdout, &m, &b);

    char signature[512];
    sd_finding_signature(in.id, &m, &b, signature, sizeof signature);
    /* The security-claim check (oracle/claims.h), each side on its own. A
     * claim no known difference covers is the finding, and its signature
     * comes first: the one the fuzz target wrote. */
    char claim_signature[512], claim_why[600];
    bool claim = sd_claim_finding(claims, known, in.id, &m, &b, claim_signature, sizeof claim_signature,
                                  claim_why, sizeof claim_why);
    printf("\ndivergence: %s", sd_divergence_name(div));
    if (why[0]) printf(" (%s)", why);
    printf("\n");
    if (claim) {
        printf("signature:  %s\n", claim_signature);
        printf("claim:      %s\n", claim_why);
        printf("divergence signature: %s\n", signature);
    } else {
        printf("signature:  %s\n", signature);
    }
    const sd_outcome *sides[] = {&m, &b};
    const char *side_names[] = {"model", "boringssl"};
    for (size_t i = 0; i < 2; i++) {
        sd_claim_violation v;
        if (!sd_claim_check(claims, sides[i], &v)) continue;
        char sig[512];
        sd_claim_signature(in.id, side_names[i], sides[i], &v, sig, sizeof sig);
        const sd_known_difference *ckd = sd_known_differences_match(known, sig, side_names[i]);
        if (ckd)
            printf("claim:      %s accepted %s (%s), known: known_differences.txt:%d: %s\n", side_names[i],
                   v.shown, v.label->defect, ckd->line, ckd->what);
    }
    if (in.is_scenario) {
        char expect[200], vm[200], vb[200];
        sd_expectation_describe(&in.scenario, expect, sizeof expect);
        sd_verdict verdict_m = sd_classify(&in.scenario, &m, vm, sizeof vm);
        sd_verdict verdict_b = sd_classify(&in.scenario, &b, vb, sizeof vb);
        printf("expected:   %s; model %s%s%s, boringssl %s%s%s\n", expect, sd_verdict_name(verdict_m),
               vm[0] ? ": " : "", vm, sd_verdict_name(verdict_b), vb[0] ? ": " : "", vb);
    }

    bool harness_error = m.kind == SD_OUTCOME_HARNESS_ERROR || b.kind == SD_OUTCOME_HARNESS_ERROR;
    /* A side that cannot run this configuration leaves nothing to compare:
     * SKIP, as conform says of the same cell. */
    const sd_outcome *unsupported = m.kind == SD_OUTCOME_UNSUPPORTED   ? &m
                                    : b.kind == SD_OUTCOME_UNSUPPORTED ? &b
                                                                       : NULL;
    const sd_known_difference *kd = NULL;
    bool compared = sd_divergence_is_difference(div);
    if (compared && !unsupported) {
        /* A scenario's entry names the scenario; a fuzz finding's, its
         * signature. Try the id first, then the signature, for both. */
        kd = sd_known_differences_match(known, in.id, "boringssl");
        if (!kd) kd = sd_known_differences_match(known, signature, "boringssl");
    }
    if (kd) {
        printf("known:      yes, known_differences.txt:%d: %s -- %s\n", kd->line, kd->what, kd->reason);
    } else if (compared && !unsupported) {
        printf("known:      no known difference covers it\n");
    }

    if (harness_error) {
        rc = SD_EXIT_HARNESS;
        printf("result:     HARNESS ERROR (ours, not a finding of either stack)\n\n");
    } else if (unsupported) {
        rc = SD_EXIT_OK;
        printf("result:     SKIP (%s cannot run this configuration: %s; nothing to compare)\n\n",
               unsupported == &m ? "the model" : "boringssl", unsupported->detail);
    } else if (claim || ((div == SD_DIV_DIVERGES || div == SD_DIV_CRASH) && !kd)) {
        rc = SD_EXIT_FINDINGS;
        printf("result:     FINDING\n\n");
    } else {
        rc = SD_EXIT_OK;
        printf("result:     ok\n\n");
    }
    free_input(&in);
    return rc;
}

enum { OPT_TARGET = 256, OPT_STACK, OPT_REFERENCE, OPT_SEED, OPT_PKI };

int sd_cmd_repro(int argc, char **argv) {
    static const struct option longopts[] = {
        {"target", required_argument, NULL, OPT_TARGET},
        {"stack", required_argument, NULL, OPT_STACK},
        {"reference", required_argument, NULL, OPT_REFERENCE},
        {"seed", required_argument, NULL, OPT_SEED},
        {"pki", required_argument, NULL, OPT_PKI},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    repro_options o = {.target = NULL, .stack = NULL, .seed = 1, .pki_dir = NULL, .verbose = false};
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_TARGET:
            if (!sd_fuzz_target_known(optarg)) {
                return sd_cli_usage_error(repro_cmd, "no fuzz target '%s' (see --help for the list)", optarg);
            }
            o.target = optarg;
            break;
        case OPT_STACK: {
            char why[400];
            o.stack_ops = sd_stack_under_test_find(optarg, why, sizeof why);
            if (!o.stack_ops) return sd_cli_usage_error(repro_cmd, "--stack: %s", why);
            o.stack = optarg;
            break;
        }
        case OPT_REFERENCE: {
            char why[400];
            o.reference_ops = sd_stack_under_test_find(optarg, why, sizeof why);
            if (!o.reference_ops) return sd_cli_usage_error(repro_cmd, "--reference: %s", why);
            o.reference = optarg;
            break;
        }
        case OPT_SEED:
            if (!sd_cli_parse_u64(optarg, &o.seed)) {
                return sd_cli_usage_error(repro_cmd, "--seed wants a number from 0 to 2^64-1, not '%s'",
                                          optarg);
            }
            break;
        case OPT_PKI:
            if (!*optarg) return sd_cli_usage_error(repro_cmd, "--pki needs a directory");
            o.pki_dir = optarg;
            break;
        case 'v':
            o.verbose = true;
            break;
        case 'h':
            repro_usage(stdout);
            return SD_EXIT_OK;
        default:
            return sd_cli_bad_option(repro_cmd, c, argv);
        }
    }
    if (optind >= argc) return sd_cli_usage_error(repro_cmd, "name at least one FILE to replay");
    if (o.stack && o.reference)
        return sd_cli_usage_error(repro_cmd, "--stack and --reference do not go together");

    const char *pki_dir = o.pki_dir ? o.pki_dir : sd_pki_default_dir();
    sd_pki pki;
    char err[600];
    if (!sd_pki_load(&pki, pki_dir, err, sizeof err)) {
        fprintf(stderr,
                "shakedown repro: cannot load the fixture PKI from %s: %s\n"
                "Build it (cmake --build --preset default) or pass --pki DIR.\n",
                pki_dir, err);
        return SD_EXIT_USAGE;
    }
    sd_known_differences known = {0, NULL};
    bool from_env = false;
    const char *kd_path = sd_known_differences_default_path(&from_env);
    if (!sd_known_differences_load(kd_path, &known, err, sizeof err)) {
        /* A file named by the user, or one that is there but does not
         * parse, is an error to fix (file:line in err). */
        if (from_env || access(kd_path, F_OK) == 0) {
            fprintf(stderr, "shakedown repro: %s%s\n", from_env ? "SHAKEDOWN_KNOWN_DIFFERENCES: " : "", err);
            sd_pki_free(&pki);
            return SD_EXIT_USAGE;
        }
        /* Without the file every difference shows as a finding, which is
         * the safe side; say so rather than stop. */
        fprintf(stderr, "shakedown repro: warning: no known differences loaded (%s)\n", err);
    }

    /* What a verifying peer must do with each fixture, from the PKI. */
    sd_claim_labels claims = {0, NULL};
    if (!sd_claim_labels_load(pki.dir, &claims, err, sizeof err))
        fprintf(stderr, "shakedown repro: warning: no security-claim labels, the claim check is off (%s)\n",
                err);

    const char *own_known = o.stack ? o.stack : o.reference;
    if (own_known) {
        char path[1200];
        bool stack_from_env = false;
        if (!sd_stack_known_differences_path(own_known, path, sizeof path, &stack_from_env) ||
            !sd_known_differences_load(path, &o.stack_known, err, sizeof err)) {
            if (stack_from_env || access(path, F_OK) == 0) {
                fprintf(stderr, "shakedown repro: %s%s\n",
                        stack_from_env ? "SHAKEDOWN_STACK_KNOWN_DIFFERENCES: " : "", err);
                sd_claim_labels_free(&claims);
                sd_known_differences_free(&known);
                sd_pki_free(&pki);
                return SD_EXIT_USAGE;
            }
            fprintf(stderr, "shakedown repro: no known differences of %s loaded (%s)\n", own_known, err);
        }
    }
    printf("stacks: model (%s), boringssl (%s)", sd_target_model.version(), sd_target_boringssl.version());
    if (o.stack)
        printf("; under test: %s (%s)", o.stack, o.stack_ops->version ? o.stack_ops->version() : "?");
    if (o.reference)
        printf("; second reference: %s (%s)", o.reference,
               o.reference_ops->version ? o.reference_ops->version() : "?");
    printf("\n\n");
    /* The worst result decides: an unusable file (2) or a harness error (3)
     * hides nothing, since every file's own result is printed above. */
    int rc = SD_EXIT_OK;
    unsigned n_findings = 0, n_files = 0;
    for (int i = optind; i < argc; i++) {
        int r = repro_one(argv[i], &o, &pki, &known, &claims);
        n_files++;
        if (r == SD_EXIT_FINDINGS) n_findings++;
        if (r == SD_EXIT_USAGE || (r == SD_EXIT_HARNESS && rc != SD_EXIT_USAGE) ||
            (r == SD_EXIT_FINDINGS && rc == SD_EXIT_OK))
            rc = r;
    }
    if (n_files > 1) printf("%u files, %u findings\n", n_files, n_findings);
    sd_known_differences_free(&o.stack_known);
    sd_claim_labels_free(&claims);
    sd_known_differences_free(&known);
    sd_pki_free(&pki);
    return rc;
}
