/* trace_mutation.h — the one mutation engine for binary traces, shared by
 * the libFuzzer custom mutator (trace_mutator.c) and the AFL++ custom
 * mutator library (afl_trace_mutator.c).
 *
 * It works on the trace, not on bytes: decode, change one thing, encode
 * (harness/trace/binary.h). The changes are the ones a person would make
 * to a script: insert, drop, duplicate or swap actions (every action kind,
 * expect-ccs included; send and expect of HelloRetryRequest too), insert
 * an honest send of any handshake message, so that a message is skipped,
 * repeated, reordered or unexpected; add, drop or change a mutation of a
 * send (any kind of trace.h's SD_MUTATIONS, with an argument of its shape:
 * `cert=` and `sign-with=` name every fixture credential); change a
 * message type, an alert, a flag; edit the bytes of a payload; change the
 * setup the trace runs with (version, the versions of the stack under
 * test, credentials, suite, client authentication, tickets; binary.h
 * version 3). Message types are drawn
 * from the trace's version (RFC 5246 §7.4 for TLS 1.2, RFC 8446 §4 for
 * TLS 1.3), now and then from the other's. The driver still recomputes
 * Finished and lengths unless a mutation targets them, so each change
 * tests one deviation. Every output decodes. */
#ifndef SHAKEDOWN_MUTATORS_TRACE_MUTATION_H
#define SHAKEDOWN_MUTATORS_TRACE_MUTATION_H

#include <stddef.h>
#include <stdint.h>

/* Mutates the binary trace data[0..size) in place (up to max_size bytes)
 * and returns the new size. An input that does not decode is replaced by an
 * honest handshake trace (TLS 1.2 or 1.3, either role), then mutated. Returns 0 only if nothing fits in
 * max_size. Deterministic in seed. */
size_t sd_trace_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

/* The i-th fixture credential name the engine uses (corpus/pki/make_pki.c),
 * NULL past the last: for tests that hold it to the PKI. */
const char *sd_trace_mutation_credential(size_t i);

/* Splices two binary traces at action boundaries (a prefix of a, a suffix
 * of b) into out; returns its size, 0 if neither decodes or nothing fits. */
size_t sd_trace_cross_over(const uint8_t *a, size_t a_size, const uint8_t *b, size_t b_size, uint8_t *out,
                           size_t max_out, unsigned int seed);

#endif
