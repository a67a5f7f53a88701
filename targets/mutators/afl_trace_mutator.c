/* afl_trace_mutator.c — AFL++ custom mutator library for fuzz_trace
 * (AFL_CUSTOM_MUTATOR_LIBRARY=libshakedown_trace_mutator.so), over the same
 * engine as libFuzzer's (trace_mutation.h). AFL++ calls afl_custom_fuzz
 * with a test case and optionally a second one to splice with; we return a
 * buffer we own until the next call. Built as a shared library by
 * scripts/build-afl.sh (with the plain compiler: a mutator must not carry
 * AFL's coverage instrumentation) and by CMake outside sanitizer builds.
 * Set AFL_CUSTOM_MUTATOR_ONLY=1 to use it alone. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace_mutation.h"

typedef struct {
    unsigned int seed;
    uint8_t *buf;
    size_t cap;
} mutator;

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf, uint8_t *add_buf,
                       size_t add_buf_size, size_t max_size);
void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed) {
    (void)afl;
    mutator *m = calloc(1, sizeof *m);
    if (m) m->seed = seed;
    return m;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf, uint8_t *add_buf,
                       size_t add_buf_size, size_t max_size) {
    mutator *m = data;
    if (max_size > m->cap) {
        uint8_t *grown = realloc(m->buf, max_size);
        if (!grown) {
            *out_buf = buf;
            return buf_size;
        }
        m->buf = grown;
        m->cap = max_size;
    }
    unsigned int seed = m->seed = m->seed * 1103515245u + 12345u;
    size_t n = 0;
    if (add_buf && add_buf_size && seed % 4 == 0)
        n = sd_trace_cross_over(buf, buf_size, add_buf, add_buf_size, m->buf, max_size, seed);
    if (n == 0) {
        size_t copy = buf_size < max_size ? buf_size : max_size;
        memcpy(m->buf, buf, copy);
        n = sd_trace_mutate(m->buf, copy, max_size, seed);
    }
    *out_buf = m->buf;
    return n;
}

void afl_custom_deinit(void *data) {
    mutator *m = data;
    if (!m) return;
    free(m->buf);
    free(m);
}
