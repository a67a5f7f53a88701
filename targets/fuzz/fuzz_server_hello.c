/* fuzz_server_hello.c — differential fuzzing of ServerHello processing by a TLS 1.3 client.
 *
 * Targets:
 *   - the model: sd_parse_server_hello and the extension parsers it reaches
 *     (sd_parse_supported_versions_sh, sd_parse_key_share_sh), and the
 *     client's ServerHello checks in harness/model/model.c (session id
 *     echo, suite, version, group, key share, RFC 8446 §4.1.3 and §4.1.4
 *     downgrade sentinels);
 *   - BoringSSL: tls13_client.cc do_read_server_hello, ssl_parse_server_hello
 *     and ssl_ext_key_share_parse_serverhello.
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
 *     send ServerHello <fuzzed>
 *     send EncryptedExtensions; send Certificate; send CertificateVerify
 *     send Finished
 *     expect Finished
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_server_hello")
