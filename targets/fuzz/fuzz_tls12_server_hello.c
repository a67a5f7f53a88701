/* fuzz_tls12_server_hello.c — differential fuzzing of TLS 1.2 ServerHello processing by a TLS 1.2 client.
 *
 * Targets:
 *   - the model: sd_parse_server_hello and harness/model/tls12.c
 *     model12_on_server_hello (version, suite offered, compression,
 *     extensions it sent: extended_master_secret, renegotiation_info,
 *     session_ticket; RFC 5246 §7.4.1.3, RFC 7627 §5.2, RFC 5746 §3.4);
 *   - BoringSSL: handshake_client.cc do_read_server_hello and
 *     ssl_parse_serverhello_tlsext.
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
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_tls12_server_hello")
