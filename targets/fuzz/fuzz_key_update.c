/* fuzz_key_update.c — differential fuzzing of KeyUpdate processing after a TLS 1.3 handshake, on either side.
 *
 * Targets:
 *   - the model: the KeyUpdate check (RFC 8446 §4.6.3: one byte,
 *     update_not_requested(0) or update_requested(1), else
 *     illegal_parameter / decode_error) and the key change;
 *   - BoringSSL: tls13_both.cc tls13_receive_key_update.
 * The driver builds no honest KeyUpdate (the body is the input's) and does
 * not follow a key change, so the trace ends at the KeyUpdate: what is
 * compared is whether each stack accepts it. Bit 1: 0 = the stack is the
 * client, 1 = the server.
 *
 * Input (harness/trace/fuzz_input.c): a variant byte, then the message
 * body. Variant bit 0: 0 = the body replaces the honest one, 1 = the
 * driver's honest body edited by the input (flips + appended bytes), which
 * is how fields bound to the live handshake stay right; bits 2-3:
 * framing (one record, two, 16-byte records, after a ChangeCipherSpec).
 * The driver runs a live TLS 1.3 handshake up to the message and sends it
 * there, encrypted as the connection state requires, on the model and on
 * BoringSSL; the outcomes are compared (harness/run/differential.c).
 *
 * Trace (stack under test: client, or server with bit 1):
 *     (honest handshake)
 *     send KeyUpdate <fuzzed>
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_key_update")
