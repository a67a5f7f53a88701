/* fuzz_hello_retry_request.c — differential fuzzing of HelloRetryRequest processing by a TLS 1.3 client.
 *
 * Targets:
 *   - the model: sd_parse_server_hello on a HelloRetryRequest (RFC 8446
 *     §4.1.4: the special random), sd_parse_key_share_hrr, the cookie, and
 *     the client's checks in harness/model/model.c on_hello_retry_request
 *     (a group it offered and sent no share for, a suite it offered, no
 *     change that makes no difference, §4.1.4 illegal_parameter), then the
 *     second ClientHello and the message_hash transcript (§4.4.1);
 *   - BoringSSL: tls13_client.cc do_read_hello_retry_request and
 *     do_send_second_client_hello.
 *
 * Input (harness/trace/fuzz_input.c): a variant byte, then the message
 * body. Variant bit 0: 0 = the body replaces the honest one, 1 = the
 * driver's honest body edited by the input (flips + appended bytes), which
 * is how the session id echo stays right; bits 2-3: framing (one record,
 * two, 16-byte records, after a ChangeCipherSpec).
 * The driver runs a live TLS 1.3 handshake up to the message and sends it
 * there, on the model and on BoringSSL; the outcomes are compared
 * (harness/run/differential.c).
 *
 * Trace (stack under test: client):
 *     expect ClientHello
 *     send HelloRetryRequest <fuzzed>
 *     expect ClientHello
 *     send ServerHello; send EncryptedExtensions; send Certificate
 *     send CertificateVerify; send Finished
 *     expect Finished
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_hello_retry_request")
