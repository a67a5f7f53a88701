/* trace_mutation.h — the one mutation engine for binary traces, shared by
 * the libFuzzer custom mutator (trace_mutator.c) and the AFL++ custom
 * mutator library (afl_trace_mutator.c).
 *
 * It works on the trace, not on bytes: decode, change one thing, encode
 * (harness/trace/binary.h). The changes are the ones a person would make
 * to a script: insert, drop, duplicate or swap actions (every action kind,
 * expect-ccs included; send and expect of HelloRetryRequest too); add, drop or change
 * a mutation of a send (any kind of trace.h's SD_MUTATIONS, with an argument
 * of its shape); change a message type, an alert, a flag; edit the bytes of
 * a payload. The driver
 * still recomputes Finished and lengths unless a mutation targets them, so
 * each change tests one deviation. Every output decodes. */
#ifndef SHAKEDOWN_MUTATORS_TRACE_MUTATION_H
#define SHAKEDOWN_MUTATORS_TRACE_MUTATION_H

#include <stddef.h>
#include <stdint.h>

/* Mutates the binary trace data[0..size) in place (up to max_size bytes)
 * and returns the new size. An input that does not decode is replaced by an
 * honest handshake trace, then mutated. Returns 0 only if nothing fits in
 * max_size. Deterministic in seed. */
size_t sd_trace_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

/* Splices two binary traces at action boundaries (a prefix of a, a suffix
 * of b) into out; returns its size, 0 if neither decodes or nothing fits. */
size_t sd_trace_cross_over(const uint8_t *a, size_t a_size, const uint8_t *b, size_t b_size, uint8_t *out,
                           size_t max_out, unsigned int seed);

#endif
