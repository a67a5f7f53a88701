/* fuzz_new_session_ticket.c — differential fuzzing of NewSessionTicket processing by a TLS 1.3 client after the handshake.
 *
 * Targets:
 *   - the model: sd_parse_new_session_ticket and the client's post-handshake
 *     message handling (RFC 8446 §4.6.1) in harness/model/model.c;
 *   - BoringSSL: tls13_client.cc tls13_process_new_session_ticket (tickets
 *     are off in the adapter, but the message is still parsed).
 * The driver builds no honest NewSessionTicket: the body is the input's.
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
 * Trace (stack under test: client):
 *     expect ClientHello .. (honest handshake) .. expect Finished
 *     send NewSessionTicket <fuzzed>
 *     send-appdata "ping"; expect-appdata "ping"   (the connection still works)
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_new_session_ticket")
