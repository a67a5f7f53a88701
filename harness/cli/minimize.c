/* minimize.c — `shakedown minimize`: shrink a finding at the trace level,
 * keeping its signature.
 *
 *   shakedown minimize FILE [--target NAME] [--stack NAME] [--seed N] [--pki DIR]
 *                      [--max-runs N]
 *
 * FILE is anything `repro` takes: a fuzz input or crash file (its target
 * from --target or its folder), a binary trace, or a script. Its trace runs
 * on the model and on BoringSSL (sd_differential_run, as the fuzz targets
 * and repro do) and the finding's signature is taken (sd_finding_signature:
 * what ended each run, where, and where the runs part). Then, until nothing more goes, it tries:
 *   1. dropping each action, last first;
 *   2. dropping each mutation of each send;
 *   3. shrinking each byte string (payloads, body=, append=): cutting
 *      halves, then quarters, ... then single bytes;
 *   4. making numbers smaller (truncate=, length=, split=, flip offsets).
 * A candidate is kept when it shows the same finding: the same outcome
 * kinds and alerts on both sides, the same steps once the actions dropped
 * before them are counted (dropping an action that precedes the end moves
 * the step of the end; the signature is otherwise unchanged, and printed at
 * the end), and the same input where the runs part (the handshake messages
 * before it counted as before: sd_finding_parting). The result is written as a binary trace to
 * FILE.min (replay: shakedown repro --target fuzz_trace FILE.min, or
 * fuzz_trace_replay FILE.min) and printed as a script.
 *
 * Every run uses FILE's setup (version, role, suite, credentials, client
 * authentication: a scenario's headers, or what its fuzz target runs it
 * with), and FILE.min carries it (binary.h version 3), so a TLS 1.2 finding
 * minimizes as one. A setup that fuzz_trace would read from the trace
 * anyway (TLS 1.3, the defaults, the role the trace implies) is not
 * written, and then candidates whose role would read differently
 * (sd_trace_role_under_test) are not kept, so FILE.min means the same
 * under fuzz_trace.
 *
 * With --stack NAME the finding is one of `shakedown fuzz --stack`: the
 * stack under test runs too, first among the sides kept (each side's end
 * and step), and the parting is taken between it and the model. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "crypto/pki.h"
#include "driver/driver.h"
#include "run/differential.h"
#include "oracle/oracle.h"
#include "trace/binary.h"
#include "trace/fuzz_input.h"
#include "trace/trace.h"
#include "stacks/stacks.h"
#include "wire/names.h"

static const char minimize_cmd[] = "minimize";

static void minimize_usage(FILE *f) {
    fprintf(f, "usage: shakedown minimize FILE [--target NAME] [--stack NAME] [--seed N] [--pki DIR]\n"
               "                          [--max-runs N]\n"
               "\n"
               "Shrinks a finding at the trace level (drops actions and mutations, shrinks bytes\n"
               "and numbers) while the model and BoringSSL keep showing the same finding (its\n"
               "signature, with steps counted after the dropped actions). Writes FILE.min, a\n"
               "binary trace (replay: shakedown repro --target fuzz_trace FILE.min), and prints\n"
               "its script.\n"
               "\n"
               "  FILE            a fuzz input or crash file, a binary trace, or a script (*.sd)\n"
               "  --target NAME   the fuzz target FILE belongs to (default: its folder)\n"
               "  --stack NAME    a finding of 'shakedown fuzz --stack NAME': keep the stack's\n"
               "                  outcome as well as the model's and BoringSSL's\n"
               "  --seed N        seed of the driver's and the model's randomness (default 1)\n"
               "  --pki DIR       fixture PKI (default $SHAKEDOWN_PKI_DIR, else the build's pki/)\n"
               "  --max-runs N    stop after N differential runs (default 20000)\n"
               "  -h, --help      this help\n"
               "\n"
               "exit codes: 0 minimized; 1 FILE shows no finding (both stacks agree); 2 bad flag\n"
               "or unreadable file; 3 cannot write FILE.min\n");
}

typedef struct {
    const sd_pki *pki;
    sd_role role;
    const sd_fuzz_setup *setup;
    bool write_setup; /* FILE.min carries the setup: the trace need not imply the role */
    uint64_t seed;
    const char *id;
    const sd_target_ops *stack; /* --stack, NULL for the model against BoringSSL */
    const char *stack_name;
    /* The finding being kept: how each side's run ended, in the order of
     * the signature's sides (the stack under test first). */
    size_t n_sides;
    struct {
        sd_outcome_kind kind;
        uint8_t alert;
        int step;
    } side[3];
    char parting[320]; /* where the runs part (sd_finding_parting): the cause a known difference names */
    unsigned long runs, max_runs;
} ctx;

/* Loads FILE as a trace, like repro: scenario, binary trace, fuzz input. */
static bool load(const char *path, const char *target, sd_trace *t, sd_fuzz_setup *setup, char *id,
                 size_t id_len) {
    char err[700];
    size_t n = strlen(path);
    if (n > 3 && strcmp(path + n - 3, ".sd") == 0) {
        sd_scenario s;
        if (!sd_scenario_load(path, &s, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return false;
        }
        *t = s.trace;
        sd_fuzz_setup_from_scenario(&s, setup);
        snprintf(id, id_len, "%s", s.id);
        return true;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "shakedown minimize: cannot read %s: %s\n", path, strerror(errno));
        return false;
    }
    static uint8_t data[SD_FUZZ_MAX_INPUT + 1];
    size_t len = fread(data, 1, sizeof data, f);
    fclose(f);
    if (len > SD_FUZZ_MAX_INPUT) {
        fprintf(stderr, "shakedown minimize: %s: larger than a fuzz input (%u bytes)\n", path,
                SD_FUZZ_MAX_INPUT);
        return false;
    }
    if (!target) target = sd_fuzz_target_from_path(path);
    if (!target) target = sd_trace_binary_is(data, len) ? "fuzz_trace" : NULL;
    if (!target) {
        fprintf(stderr, "shakedown minimize: %s: which fuzz target? (--target NAME)\n", path);
        return false;
    }
    if (!sd_fuzz_input_build(target, data, len, t, setup, err, sizeof err)) {
        fprintf(stderr, "shakedown minimize: %s: %s\n", path, err);
        return false;
    }
    if (t->n_actions == 0) {
        fprintf(stderr, "shakedown minimize: %s: not a trace of %s (nothing to run)\n", path, target);
        sd_trace_free(t);
        return false;
    }
    snprintf(id, id_len, "%s", target);
    return true;
}

/* The outcomes of one run, in the order of the signature's sides. */
typedef struct {
    sd_outcome model, boringssl, stack;
    sd_party parties[3];
    size_t n;
} runs;

/* Runs t on both references, and on the stack under test if there is one,
 * as its fuzz target, or conform, would. */
static void run(const ctx *c, const sd_trace *t, runs *r) {
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, &sd_target_model, c->setup->role, c->pki);
    sd_fuzz_setup_apply(c->setup, &cfg);
    if (c->stack) sd_fuzz_setup_unpin_model(&cfg); /* as fuzz --stack runs it */
    cfg.seed = c->seed;
    sd_differential_run_config(t, &cfg, &r->model, &r->boringssl, NULL, NULL, 0);
    r->n = 0;
    if (c->stack) {
        sd_differential_run_stack(t, &cfg, c->stack, &r->stack);
        r->parties[r->n++] = (sd_party){c->stack_name, &r->stack};
    }
    r->parties[r->n++] = (sd_party){"model", &r->model};
    r->parties[r->n++] = (sd_party){"boringssl", &r->boringssl};
}

/* Runs t; true if it shows the kept finding. `dropped` is the index of the
 * action removed from the kept trace (SIZE_MAX if none): a side whose end
 * came after it ends one step earlier. */
static bool same_finding(ctx *c, const sd_trace *t, size_t dropped) {
    if (c->runs >= c->max_runs) return false;
    if (!c->write_setup && sd_trace_role_under_test(t) != c->role) return false;
    c->runs++;
    runs r;
    run(c, t, &r);
    for (size_t i = 0; i < r.n; i++) {
        const sd_outcome *o = r.parties[i].outcome;
        int step = c->side[i].step - (dropped != SIZE_MAX && (int)dropped < c->side[i].step ? 1 : 0);
        if (o->kind != c->side[i].kind || (o->kind == SD_OUTCOME_ALERT && o->alert != c->side[i].alert) ||
            o->step != step)
            return false;
    }
    char parting[sizeof c->parting];
    sd_finding_parting(r.parties[0].outcome, r.parties[1].outcome, parting, sizeof parting);
    return strcmp(parting, c->parting) == 0;
}

/* Keeps how each side of r ended as the finding to keep. */
static void keep(ctx *c, const runs *r) {
    c->n_sides = r->n;
    for (size_t i = 0; i < r->n; i++) {
        c->side[i].kind = r->parties[i].outcome->kind;
        c->side[i].alert = r->parties[i].outcome->alert;
        c->side[i].step = r->parties[i].outcome->step;
    }
    sd_finding_parting(r->parties[0].outcome, r->parties[1].outcome, c->parting, sizeof c->parting);
}

static bool copy_trace(const sd_trace *from, sd_trace *to) {
    /* Through the binary form: it deep-copies and it is what FILE.min is. */
    sd_buf b;
    sd_buf_init(&b);
    bool ok = sd_trace_encode(from, &b, NULL, 0) && sd_trace_decode(b.data, b.len, to, NULL, 0);
    sd_buf_free(&b);
    return ok;
}

/* Pass 1: drop actions, last first. */
static bool drop_actions(ctx *c, sd_trace *t) {
    bool changed = false;
    for (size_t i = t->n_actions; i-- > 0;) {
        if (t->n_actions <= 1) break;
        sd_trace cand;
        if (!copy_trace(t, &cand)) return changed;
        sd_action gone = cand.actions[i];
        memmove(&cand.actions[i], &cand.actions[i + 1], (cand.n_actions - i - 1) * sizeof(sd_action));
        cand.n_actions--;
        /* Free what the dropped action owned. */
        free(gone.bytes);
        for (size_t k = 0; k < gone.n_mutations; k++) free(gone.mutations[k].bytes);
        if (same_finding(c, &cand, i)) {
            sd_trace_free(t);
            *t = cand;
            for (size_t k = 0; k < c->n_sides; k++)
                if ((int)i < c->side[k].step) c->side[k].step--;
            changed = true;
        } else {
            sd_trace_free(&cand);
        }
    }
    return changed;
}

/* Pass 2: drop mutations. */
static bool drop_mutations(ctx *c, sd_trace *t) {
    bool changed = false;
    for (size_t i = 0; i < t->n_actions; i++) {
        for (size_t k = t->actions[i].n_mutations; k-- > 0;) {
            sd_trace cand;
            if (!copy_trace(t, &cand)) return changed;
            sd_action *a = &cand.actions[i];
            free(a->mutations[k].bytes);
            memmove(&a->mutations[k], &a->mutations[k + 1], (a->n_mutations - k - 1) * sizeof(sd_mutation));
            a->n_mutations--;
            if (same_finding(c, &cand, SIZE_MAX)) {
                sd_trace_free(t);
                *t = cand;
                changed = true;
            } else {
                sd_trace_free(&cand);
            }
        }
    }
    return changed;
}

/* The k-th byte string of a trace (action payloads, then body=/append=),
 * and the fewest bytes it may keep (random= keeps one: its shape's
 * bytes_min). */
static bool byte_field(sd_trace *t, size_t k, uint8_t ***bytes, size_t **len, size_t *min) {
    for (size_t i = 0; i < t->n_actions; i++) {
        sd_action *a = &t->actions[i];
        if (a->bytes_len) {
            if (k-- == 0) {
                *bytes = &a->bytes;
                *len = &a->bytes_len;
                *min = 0;
                return true;
            }
        }
        for (size_t m = 0; m < a->n_mutations; m++) {
            if (a->mutations[m].bytes_len && k-- == 0) {
                const sd_mutation_info *info = sd_mutation_info_of(a->mutations[m].kind);
                *bytes = &a->mutations[m].bytes;
                *len = &a->mutations[m].bytes_len;
                *min = info ? sd_mutation_arg_fields(info->arg)->bytes_min : 0;
                return true;
            }
        }
    }
    return false;
}

/* Pass 3: cut chunks out of byte strings, big chunks first (ddmin-like). */
static bool shrink_bytes(ctx *c, sd_trace *t) {
    bool changed = false;
    uint8_t **bytes;
    size_t *len, min;
    for (size_t f = 0; byte_field(t, f, &bytes, &len, &min); f++) {
        for (size_t chunk = *len / 2; chunk >= 1; chunk /= 2) {
            for (size_t at = 0; at + chunk <= *len && *len - chunk >= min;) {
                sd_trace cand;
                if (!copy_trace(t, &cand)) return changed;
                uint8_t **cb;
                size_t *cl, cmin;
                if (!byte_field(&cand, f, &cb, &cl, &cmin)) {
                    sd_trace_free(&cand);
                    break;
                }
                memmove(*cb + at, *cb + at + chunk, *cl - at - chunk);
                *cl -= chunk;
                if (same_finding(c, &cand, SIZE_MAX)) {
                    sd_trace_free(t);
                    *t = cand;
                    changed = true;
                    if (!byte_field(t, f, &bytes, &len, &min))
                        return changed; /* emptied: the field is gone */
                } else {
                    sd_trace_free(&cand);
                    at += chunk;
                }
            }
            if (chunk == 1) break;
        }
    }
    return changed;
}

/* Pass 4: smaller numbers. */
static bool shrink_numbers(ctx *c, sd_trace *t) {
    bool changed = false;
    for (size_t i = 0; i < t->n_actions; i++) {
        for (size_t k = 0; k < t->actions[i].n_mutations; k++) {
            sd_mutation *m = &t->actions[i].mutations[k];
            long *field = NULL, floor = 0;
            const sd_mutation_info *info = sd_mutation_info_of(m->kind);
            switch (info ? info->arg : SD_MUT_ARG_NONE) {
            /* Counts and sizes shrink to the least their shape allows;
             * types, extensions and versions are names, not sizes. */
            case SD_MUT_ARG_U24:
            case SD_MUT_ARG_SPLIT:
                field = &m->value;
                floor = sd_mutation_arg_fields(info->arg)->value_min;
                break;
            case SD_MUT_ARG_FLIP:
            case SD_MUT_ARG_EXTENSION_FLIP:
                if (m->offset > 0) field = &m->offset;
                break;
            default:
                break;
            }
            if (!field) continue;
            /* Halve towards the floor while the finding holds. */
            while (*field > floor) {
                long was = *field;
                *field = floor + (was - floor) / 2;
                if (same_finding(c, t, SIZE_MAX)) {
                    changed = true;
                } else {
                    *field = was;
                    break;
                }
            }
        }
    }
    return changed;
}

enum { OPT_TARGET = 256, OPT_STACK, OPT_SEED, OPT_PKI, OPT_MAX_RUNS };

int sd_cmd_minimize(int argc, char **argv) {
    static const struct option longopts[] = {
        {"target", required_argument, NULL, OPT_TARGET},
        {"stack", required_argument, NULL, OPT_STACK},
        {"seed", required_argument, NULL, OPT_SEED},
        {"pki", required_argument, NULL, OPT_PKI},
        {"max-runs", required_argument, NULL, OPT_MAX_RUNS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *target = NULL, *pki_dir = NULL, *stack_name = NULL;
    const sd_target_ops *stack = NULL;
    uint64_t seed = 1, max_runs = 20000;
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_TARGET:
            if (!sd_fuzz_target_known(optarg))
                return sd_cli_usage_error(minimize_cmd, "no fuzz target '%s' (see shakedown repro --help)",
                                          optarg);
            target = optarg;
            break;
        case OPT_STACK: {
            char why[400];
            stack = sd_stack_under_test_find(optarg, why, sizeof why);
            if (!stack) return sd_cli_usage_error(minimize_cmd, "--stack: %s", why);
            stack_name = optarg;
            break;
        }
        case OPT_SEED:
            if (!sd_cli_parse_u64(optarg, &seed))
                return sd_cli_usage_error(minimize_cmd, "--seed wants a number from 0 to 2^64-1, not '%s'",
                                          optarg);
            break;
        case OPT_PKI:
            pki_dir = optarg;
            break;
        case OPT_MAX_RUNS:
            if (!sd_cli_parse_u64(optarg, &max_runs) || max_runs == 0)
                return sd_cli_usage_error(minimize_cmd, "--max-runs wants a positive number, not '%s'",
                                          optarg);
            break;
        case 'h':
            minimize_usage(stdout);
            return SD_EXIT_OK;
        default:
            return sd_cli_bad_option(minimize_cmd, opt, argv);
        }
    }
    if (optind + 1 != argc) return sd_cli_usage_error(minimize_cmd, "name one FILE to minimize");
    const char *path = argv[optind];

    sd_pki pki;
    char err[600];
    const char *dir = pki_dir ? pki_dir : sd_pki_default_dir();
    if (!sd_pki_load(&pki, dir, err, sizeof err)) {
        fprintf(stderr, "shakedown minimize: cannot load the fixture PKI from %s: %s\n", dir, err);
        return SD_EXIT_USAGE;
    }
    sd_trace t;
    sd_fuzz_setup setup;
    char id[128];
    if (!load(path, target, &t, &setup, id, sizeof id)) {
        sd_pki_free(&pki);
        return SD_EXIT_USAGE;
    }
    if (!sd_fuzz_setup_runs(&setup, &pki, err, sizeof err)) {
        fprintf(stderr, "shakedown minimize: %s: %s\n", path, err);
        sd_trace_free(&t);
        sd_pki_free(&pki);
        return SD_EXIT_USAGE;
    }
    sd_role role = setup.role;
    bool write_setup = !sd_fuzz_setup_implied(&setup, &t);

    ctx c = {.pki = &pki,
             .role = role,
             .setup = &setup,
             .write_setup = write_setup,
             .seed = seed,
             .id = id,
             .stack = stack,
             .stack_name = stack_name,
             .max_runs = max_runs};
    static runs r; /* three outcomes: too big for the stack of a sanitized build */
    run(&c, &t, &r);
    char before[512];
    sd_parties_signature(id, r.parties, r.n, before, sizeof before);
    sd_stack_judgement j = stack ? sd_judge_stack(&r.stack, stack_name, &r.model, &r.boringssl,
                                                  sd_fuzz_first_deviation(&setup, &t), NULL, 0)
                                 : SD_STACK_AGREES;
    bool finding = stack ? sd_stack_judgement_is_finding(j) || j == SD_STACK_ALERT_DIFFERS
                         : sd_divergence_is_difference(sd_compare(&r.model, &r.boringssl, NULL, 0));
    if (!finding) {
        printf("%s: %s; nothing to minimize\n", path,
               stack ? "the stack agrees with a reference" : "both stacks agree");
        printf("  (%s)\n", before);
        sd_trace_free(&t);
        sd_pki_free(&pki);
        return SD_EXIT_FINDINGS;
    }
    keep(&c, &r);
    /* A trace whose role would read differently under fuzz_trace (a
     * client-side trace that never mentions ClientHello) carries its setup
     * (sd_fuzz_setup_implied is false), so every candidate keeps the role. */
    size_t before_actions = t.n_actions;
    for (int round = 0; round < 8; round++) {
        bool changed = drop_actions(&c, &t);
        changed |= drop_mutations(&c, &t);
        changed |= shrink_bytes(&c, &t);
        changed |= shrink_numbers(&c, &t);
        if (!changed || c.runs >= c.max_runs) break;
    }
    printf("%s: %zu actions -> %zu, in %lu runs%s\n", path, before_actions, t.n_actions, c.runs,
           c.runs >= c.max_runs ? " (stopped at --max-runs)" : "");
    run(&c, &t, &r);
    char after[512];
    sd_parties_signature(id, r.parties, r.n, after, sizeof after);
    printf("signature: %s\n", after);
    if (strcmp(after, before) != 0)
        printf("           (was %s: the steps moved with the dropped actions)\n", before);

    sd_buf bin;
    sd_buf_init(&bin);
    int rc = SD_EXIT_OK;
    char out[4200], tmp[4300];
    snprintf(out, sizeof out, "%s.min", path);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    if (!sd_trace_encode_with_setup(&t, write_setup ? &setup : NULL, &bin, err, sizeof err)) {
        fprintf(stderr, "shakedown minimize: cannot encode the result: %s\n", err);
        rc = SD_EXIT_HARNESS;
    } else {
        FILE *f = fopen(tmp, "wb");
        bool ok = f && fwrite(bin.data, 1, bin.len, f) == bin.len;
        if (f) ok = fclose(f) == 0 && ok;
        if (!ok || rename(tmp, out) != 0) {
            fprintf(stderr, "shakedown minimize: cannot write %s: %s\n", out, strerror(errno));
            remove(tmp);
            rc = SD_EXIT_HARNESS;
        } else {
            printf(
                "wrote %s (binary trace, %zu bytes); replay: shakedown repro --target fuzz_trace %s%s%s%s\n",
                out, bin.len, stack ? "--stack " : "", stack ? stack_name : "", stack ? " " : "", out);
        }
    }
    sd_buf script;
    sd_buf_init(&script);
    sd_trace_print(&t, &script);
    printf("\n");
    if (script.len) fwrite(script.data, 1, script.len, stdout);
    sd_buf_free(&script);
    sd_buf_free(&bin);
    sd_trace_free(&t);
    sd_pki_free(&pki);
    return rc;
}
