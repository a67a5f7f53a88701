/* fuzz_tls12_client_hello.c — differential fuzzing of TLS 1.2 ClientHello processing by a TLS 1.2-only server.
 *
 * Targets:
 *   - the model: sd_parse_client_hello and the TLS 1.2 server's choices in
 *     harness/model/tls12.c model12_on_client_hello (suite for the
 *     credential, RFC 5246 §7.4.1.2; extended_master_secret, RFC 7627;
 *     renegotiation_info and the SCSV, RFC 5746; session_ticket, RFC 5077;
 *     signature_algorithms, §7.4.1.4.1);
 *   - BoringSSL: handshake_server.cc do_read_client_hello,
 *     ssl_client_hello_init, negotiate_version, ssl_parse_clienthello_tlsext
 *     and the cipher selection.
 * Unlike fuzz_client_hello (TLS 1.3 server, raw body), the input has the
 * variant byte: bits 4-5 choose the server's credential (ECDSA or RSA), so
 * the suites the server can accept; bit 0 edits the driver's own TLS 1.2
 * ClientHello instead of replacing it.
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

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_tls12_client_hello")
