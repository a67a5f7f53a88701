/* fuzz_encrypted_extensions.c — differential fuzzing of EncryptedExtensions processing by a TLS 1.3 client.
 *
 * Targets:
 *   - the model: sd_parse_encrypted_extensions, sd_extensions_check and the
 *     client's check of which extensions may appear there (RFC 8446 §4.2
 *     table, §4.3.1) in harness/model/model.c;
 *   - BoringSSL: tls13_client.cc do_read_encrypted_extensions and
 *     ssl_parse_serverhello_tlsext.
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
 *     send ServerHello
 *     send EncryptedExtensions <fuzzed>
 *     send Certificate; send CertificateVerify; send Finished
 *     expect Finished
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_encrypted_extensions")
