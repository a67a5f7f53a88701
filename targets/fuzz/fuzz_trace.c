/* fuzz_trace.c — structure-aware differential fuzzing: whole traces.
 *
 * Targets: everything a trace reaches on both stacks — message order (the
 * model's sequence tables, harness/protocol/sequences.c, against BoringSSL's
 * state machines in tls13_client.cc / tls13_server.cc), every message and
 * extension parser, alerts, ChangeCipherSpec and record-protection rules,
 * and the driver itself (harness/driver/driver.c must survive any trace).
 *
 * Input: a binary trace (harness/trace/binary.h). The stack under test is
 * the client if the trace's first ClientHello action is an expect, else the
 * server (sd_trace_role_under_test). Inputs that do not decode are skipped.
 *
 * Mutation: targets/mutators/trace_mutator.c gives libFuzzer a custom
 * mutator and cross-over (linked into the libFuzzer build of this target)
 * and AFL++ a custom mutator library (libshakedown_trace_mutator.so, use
 * AFL_CUSTOM_MUTATOR_LIBRARY). Both insert, drop, duplicate and reorder
 * actions and change fields through the trace's mutations (trace.h); the
 * driver recomputes Finished and lengths unless a mutation targets them.
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_trace")
