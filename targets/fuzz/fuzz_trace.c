/* fuzz_trace.c — structure-aware differential fuzzing: whole traces.
 *
 * Targets: everything a trace reaches on both stacks — message order (the
 * model's sequence tables, harness/protocol/sequences.c, against BoringSSL's
 * state machines in tls13_client.cc / tls13_server.cc), every message and
 * extension parser, alerts, ChangeCipherSpec and record-protection rules,
 * and the driver itself (harness/driver/driver.c must survive any trace).
 *
 * Input: a binary trace (harness/trace/binary.h). A trace with a setup
 * (version 3) runs as it says: TLS 1.2 or 1.3, the role, suite, fixture
 * credentials and client authentication, so this one target explores both
 * versions and every defective certificate; a setup the stacks cannot run
 * (a credential the PKI lacks, a suite of the other version) is skipped. A
 * trace without one runs TLS 1.3 with the defaults, the stack under test
 * the client if the trace's first ClientHello action is an expect, else
 * the server (sd_trace_role_under_test). Inputs that do not decode are
 * skipped.
 *
 * Mutation: targets/mutators/trace_mutator.c gives libFuzzer a custom
 * mutator and cross-over (linked into the libFuzzer build of this target)
 * and AFL++ a custom mutator library (libshakedown_trace_mutator.so, use
 * AFL_CUSTOM_MUTATOR_LIBRARY). Both insert, drop, duplicate and reorder
 * actions, insert sends of any message of the trace's version, change
 * fields through the trace's mutations (trace.h) and change the setup; the
 * driver recomputes Finished and lengths unless a mutation targets them.
 *
 * Seeds (targets/fuzz/record_seeds.c): every scenario with its headers as
 * the setup (corpus/fuzz_trace/scenario-<id>), so a seed replays as its
 * scenario, and every other target's seeds as traces with their setups.
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_trace")
