/* fuzz_script.c — the script parser must never crash on any file, and
 * what it accepts must print and read back the same.
 *
 * Targets: harness/trace/script.c sd_scenario_parse and sd_trace_parse
 * (lines, UTF-8 checks, comments, headers, every action and mutation, hex
 * and quoted data, numbers), sd_trace_print; harness/trace/binary.c on
 * every trace that parses.
 *
 * Input: any bytes, as a scenario file. Checked:
 *   - both parsers either succeed, or fail with "file:line: message";
 *   - a parsed trace prints as a script that parses back equal, and encodes
 *     as a binary trace that decodes back equal (the three forms of a trace
 *     convert losslessly).
 * A broken invariant aborts, with the input shown.
 *
 * No stack runs: this target needs no PKI. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/binary.h"
#include "trace/trace.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    return 0;
}

static void broken(const char *what, const char *detail, const uint8_t *data, size_t size) {
    fprintf(stderr, "fuzz_script: %s%s%s\ninput (%zu bytes):\n%.*s\n", what, detail ? ": " : "",
            detail ? detail : "", size, (int)(size > 4096 ? 4096 : size), (const char *)data);
    abort();
}

static void check_error(const char *err, const uint8_t *data, size_t size) {
    /* "fuzz.sd:<line>: ..." */
    if (strncmp(err, "fuzz.sd:", 8) != 0) broken("an error without file:line", err, data, size);
}

static void check_round_trips(const sd_trace *t, const uint8_t *data, size_t size) {
    char err[700];
    sd_buf script;
    sd_buf_init(&script);
    sd_trace_print(t, &script);
    sd_trace back;
    if (!sd_trace_parse("printed", (const char *)script.data, script.len, &back, err, sizeof err))
        broken("the printed script does not parse", err, data, size);
    if (!sd_trace_equal(t, &back)) broken("the printed script parses to another trace", NULL, data, size);
    sd_trace_free(&back);
    sd_buf_free(&script);

    sd_buf bin;
    sd_buf_init(&bin);
    if (sd_trace_encode(t, &bin, err, sizeof err)) {
        sd_trace dec;
        if (!sd_trace_decode(bin.data, bin.len, &dec, err, sizeof err))
            broken("the binary encoding does not decode", err, data, size);
        if (!sd_trace_equal(t, &dec))
            broken("the binary encoding decodes to another trace", NULL, data, size);
        sd_trace_free(&dec);
    }
    /* A trace the encoder refuses is one with data beyond what one action
     * may carry in binary (binary.c MAX_ACTION_DATA); the script allows a
     * little more on one line. Not a broken invariant. */
    sd_buf_free(&bin);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* The loader refuses files over 1 MiB before parsing; keep to that. */
    if (size > (1u << 20)) return 0;
    char err[700];
    sd_scenario s;
    if (sd_scenario_parse("fuzz.sd", (const char *)data, size, &s, err, sizeof err)) {
        check_round_trips(&s.trace, data, size);
        sd_scenario_free(&s);
    } else {
        check_error(err, data, size);
    }
    sd_trace t;
    if (sd_trace_parse("fuzz.sd", (const char *)data, size, &t, err, sizeof err)) {
        check_round_trips(&t, data, size);
        sd_trace_free(&t);
    } else {
        check_error(err, data, size);
    }
    return 0;
}
