/* fuzz_client_key_exchange.c — differential fuzzing of TLS 1.2 ClientKeyExchange processing by a server.
 *
 * Targets:
 *   - the model: sd_parse_tls12_cke_rsa / sd_parse_tls12_cke_ecdhe and
 *     harness/model/tls12.c on_client_key_exchange (RFC 5246 §7.4.7.1: a
 *     bad RSA premaster secret gives a random one, no alert of its own;
 *     RFC 8422 §5.7: the client's point in the server's group), then the
 *     master secret (RFC 7627 §4);
 *   - BoringSSL: handshake_server.cc do_read_client_key_exchange.
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

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_client_key_exchange")
