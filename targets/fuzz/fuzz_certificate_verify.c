/* fuzz_certificate_verify.c — differential fuzzing of server CertificateVerify processing by a TLS 1.3 client.
 *
 * Targets:
 *   - the model: sd_parse_certificate_verify and the signature check over
 *     the transcript (RFC 8446 §4.4.3: scheme offered, scheme fits the key,
 *     signature verifies, else decrypt_error / illegal_parameter);
 *   - BoringSSL: tls13_both.cc tls13_process_certificate_verify and
 *     ssl_public_key_verify.
 *
 * Input (harness/trace/fuzz_input.c): a variant byte, then the message
 * body. Variant bit 0: 0 = the body replaces the honest one, 1 = the
 * driver's honest body edited by the input (flips + appended bytes), which
 * is how fields bound to the live handshake stay right (the signature covers the live transcript); bits 2-3:
 * framing (one record, two, 16-byte records, after a ChangeCipherSpec).
 * The driver runs a live TLS 1.3 handshake up to the message and sends it
 * there, encrypted as the connection state requires, on the model and on
 * BoringSSL; the outcomes are compared (harness/run/differential.c).
 *
 * Trace (stack under test: client):
 *     expect ClientHello
 *     send ServerHello; send EncryptedExtensions; send Certificate
 *     send CertificateVerify <fuzzed>
 *     send Finished
 *     expect Finished
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_certificate_verify")
