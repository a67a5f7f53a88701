/* fuzz_tls12_certificate.c — differential fuzzing of TLS 1.2 Certificate processing, by a client (the server's) or a server (the client's).
 *
 * Targets:
 *   - the model: sd_parse_tls12_certificate, sd_tls12_certificate_next and
 *     chain validation (harness/model/tls12.c on_certificate12 and
 *     on_client_certificate12, sd_verify_chain; RFC 5246 §7.4.2, §7.4.6);
 *   - BoringSSL: handshake_client.cc do_read_server_certificate and
 *     handshake_server.cc do_read_client_certificate, ssl_parse_cert_chain.
 * Variant bit 1 chooses the side: 0 the client receives the server's
 * Certificate, 1 the server (asking for client authentication) receives
 * the client's.
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

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_tls12_certificate")
