/* fuzz_trace_binary.c — the binary trace decoder must never crash, and
 * must agree with the encoder and the script printer.
 *
 * Targets: harness/trace/binary.c sd_trace_decode / sd_trace_encode, and
 * harness/trace/script_print.c sd_trace_print and harness/trace/script.c
 *   sd_trace_parse on what decodes.
 *
 * Input: any bytes. Checked for each input that decodes:
 *   - encoding the trace, with its setup if it has one (version 3), gives
 *     back exactly the input (one encoding per trace, binary.h);
 *   - the trace prints as a script that parses back to an equal trace
 *     (sd_trace_equal): the three forms convert losslessly.
 * A broken invariant aborts, with the input hex-dumped.
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
    fprintf(stderr, "fuzz_trace_binary: %s%s%s\ninput (%zu bytes): ", what, detail ? ": " : "",
            detail ? detail : "", size);
    for (size_t i = 0; i < size; i++) fprintf(stderr, "%02x", data[i]);
    fprintf(stderr, "\n");
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sd_trace t;
    sd_fuzz_setup setup;
    bool has_setup = false;
    char err[300];
    if (!sd_trace_decode_with_setup(data, size, &t, &setup, &has_setup, err, sizeof err)) {
        if (strncmp(err, "offset ", 7) != 0) broken("an error without an offset", err, data, size);
        if (t.n_actions != 0 || t.actions != NULL) broken("a failed decode left a trace", NULL, data, size);
        return 0;
    }
    sd_buf again;
    sd_buf_init(&again);
    if (!sd_trace_encode_with_setup(&t, has_setup ? &setup : NULL, &again, err, sizeof err))
        broken("a decoded trace does not encode", err, data, size);
    if (again.len != size || memcmp(again.data, data, size) != 0)
        broken("decode then encode changed the bytes", NULL, data, size);
    sd_buf script;
    sd_buf_init(&script);
    sd_trace_print(&t, &script);
    sd_trace back;
    if (!sd_trace_parse("printed", (const char *)script.data, script.len, &back, err, sizeof err))
        broken("the printed script does not parse", err, data, size);
    if (!sd_trace_equal(&t, &back)) broken("the printed script parses to another trace", NULL, data, size);
    sd_trace_free(&back);
    sd_buf_free(&script);
    sd_buf_free(&again);
    sd_trace_free(&t);
    return 0;
}
