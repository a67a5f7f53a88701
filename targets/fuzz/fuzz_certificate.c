/* fuzz_certificate.c — differential fuzzing of server Certificate processing by a TLS 1.3 client.
 *
 * Targets:
 *   - the model: sd_parse_certificate, sd_certificate_next_entry, the
 *     per-entry extension checks, and chain validation (sd_verify_chain in
 *     harness/crypto/pki_verify.c: the RFC 8446 §6.2 alert per defect);
 *   - BoringSSL: tls13_both.cc tls13_process_certificate,
 *     ssl_parse_cert_chain and the X.509 verification it calls.
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
 *     expect ClientHello
 *     send ServerHello; send EncryptedExtensions
 *     send Certificate <fuzzed>
 *     send CertificateVerify; send Finished
 *     expect Finished
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_certificate")
