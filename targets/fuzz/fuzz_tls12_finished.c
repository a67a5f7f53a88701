/* fuzz_tls12_finished.c — differential fuzzing of TLS 1.2 Finished processing, by a client or a server.
 *
 * Targets:
 *   - the model: the TLS 1.2 Finished check (RFC 5246 §7.4.9: 12 bytes of
 *     PRF(master_secret, finished_label, Hash(handshake_messages)),
 *     decrypt_error) in harness/model/tls12.c, on both sides, and the CCS
 *     before it (§7.1);
 *   - BoringSSL: ssl_handshake.cc / handshake_client.cc and
 *     handshake_server.cc do_read_server_finished / do_read_client_finished
 *     (ssl_get_finished, tls_process_finished).
 * Variant bit 1 chooses the side: 0 the client receives the server's
 * Finished, 1 the server receives the client's.
 *
 * Input (harness/trace/fuzz_input.c): a variant byte, then the message
 * body. Variant bit 0: 0 = the body replaces the honest one, 1 = the
 * driver's honest body edited by the input (flips + appended bytes);
 * bits 2-3: framing (one record, two, 16-byte records, after an extra
 * ChangeCipherSpec); bits 4-5: key exchange (ECDHE_ECDSA, ECDHE_RSA,
 * static RSA, ECDHE_ECDSA with the SHA-384 PRF); bit 6: client
 * authentication; bit 7: the client has no certificate.
 * The driver runs a live TLS 1.2 handshake up to the message and sends it
 * there, encrypted as the connection state requires, on the model and on
 * BoringSSL; the outcomes are compared (harness/run/differential.c).
 *
 * Trace (stack under test: client; [..] as the shape has it):
 *     expect ClientHello
 *     send ServerHello; send Certificate; [send ServerKeyExchange]
 *     [send CertificateRequest]; send ServerHelloDone
 *     [expect Certificate]; expect ClientKeyExchange; [expect CertificateVerify]
 *     expect-ccs; expect Finished
 *     [send NewSessionTicket]; send-ccs; send Finished
 * with the message under test fuzzed where it is sent.
 * Trace (stack under test: server; [..] with client authentication):
 *     send ClientHello
 *     expect ServerHello; expect Certificate; [expect ServerKeyExchange]
 *     [expect CertificateRequest]; expect ServerHelloDone
 *     [send Certificate]; send ClientKeyExchange; [send CertificateVerify]
 *     send-ccs; send Finished; expect-ccs; expect Finished
 * with the message under test fuzzed where it is sent.
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_tls12_finished")
