/* roundtrip_check.h — the checking scaffold of the codec round-trip fuzz
 * targets (fuzz_wire_roundtrip, fuzz_tls12_wire): CHECK aborts with the
 * input hex-dumped, so libFuzzer records a broken invariant as a crash.
 * Each target defines ROUNDTRIP_TARGET (its name) before including this, and
 * calls roundtrip_input() with its input first. */
#ifndef SHAKEDOWN_TARGETS_FUZZ_ROUNDTRIP_CHECK_H
#define SHAKEDOWN_TARGETS_FUZZ_ROUNDTRIP_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "wire/bytes.h"

static const uint8_t *g_data;
static size_t g_size;

static inline void roundtrip_input(const uint8_t *data, size_t size) {
    g_data = data;
    g_size = size;
}

static inline void broken(const char *what, const char *cond, int line) {
    fprintf(stderr, ROUNDTRIP_TARGET ": %s: %s (line %d)\ninput (%zu bytes): ", what, cond, line, g_size);
    for (size_t i = 0; i < g_size; i++) fprintf(stderr, "%02x", g_data[i]);
    fprintf(stderr, "\n");
    abort();
}

#define CHECK(cond, what)                           \
    do {                                            \
        if (!(cond)) broken(what, #cond, __LINE__); \
    } while (0)

static inline bool same(sd_span a, sd_span b) { return sd_span_eq(a, b); }

/* The builder wrote exactly the bytes the parser read. */
static inline void rebuilt_equals_input(const sd_buf *out, sd_span in, const char *what) {
    CHECK(!out->failed && same(sd_buf_span(out), in), what);
}

#endif
