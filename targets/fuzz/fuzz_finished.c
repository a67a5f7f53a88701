/* fuzz_finished.c — differential fuzzing of Finished processing, by a TLS 1.3 client or server.
 *
 * Targets:
 *   - the model: the Finished check (RFC 8446 §4.4.4: length, then the
 *     HMAC over the transcript, decrypt_error) in harness/model/model.c, on
 *     both sides;
 *   - BoringSSL: tls13_both.cc tls13_process_finished, on both sides.
 * Variant bit 1 chooses the side: 0 the client receives the server's
 * Finished, 1 the server receives the client's.
 *
 * Input (harness/trace/fuzz_input.c): a variant byte, then the message
 * body. Variant bit 0: 0 = the body replaces the honest one, 1 = the
 * driver's honest body edited by the input (flips + appended bytes), which
 * is how fields bound to the live handshake stay right (the MAC covers the live transcript); bits 2-3:
 * framing (one record, two, 16-byte records, after a ChangeCipherSpec).
 * The driver runs a live TLS 1.3 handshake up to the message and sends it
 * there, encrypted as the connection state requires, on the model and on
 * BoringSSL; the outcomes are compared (harness/run/differential.c).
 *
 * Trace (stack under test: client, or server with bit 1):
 *   client:  expect ClientHello; send ServerHello; send EncryptedExtensions;
 *            send Certificate; send CertificateVerify;
 *            send Finished <fuzzed>; expect Finished
 *   server:  send ClientHello; expect ServerHello .. expect Finished;
 *            send Finished <fuzzed>
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_finished")
