/* trace_mutator.c — libFuzzer's custom mutator and cross-over for
 * fuzz_trace: libFuzzer calls these instead of its byte-level mutations,
 * so every input it tries is a trace (trace_mutation.h does the work).
 * Linked into the libFuzzer build of fuzz_trace only (targets/fuzz/
 * CMakeLists.txt). One call in eight falls back to libFuzzer's own byte
 * mutation (LLVMFuzzerMutate), which still finds what a structure-aware
 * mutator cannot express, e.g. decoder edge cases. */
#include <stddef.h>
#include <stdint.h>

#include "trace_mutation.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2, size_t size2,
                                 uint8_t *out, size_t max_out_size, unsigned int seed);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    if (seed % 8 == 0) return LLVMFuzzerMutate(data, size, max_size);
    return sd_trace_mutate(data, size, max_size, seed);
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2, size_t size2,
                                 uint8_t *out, size_t max_out_size, unsigned int seed) {
    return sd_trace_cross_over(data1, size1, data2, size2, out, max_out_size, seed);
}
