/* fuzz_psk_client_hello.c — differential fuzzing of a TLS 1.3 server's
 * handling of a ClientHello that offers a real ticket as a PSK.
 *
 * Targets:
 *   - the model's pre_shared_key parsing and binder check (RFC 8446
 *     §4.2.11, §4.2.11.2), its ticket decryption and resumption decision,
 *     and the resumed flight, harness/model/;
 *   - BoringSSL's ssl_ext_pre_shared_key_parse_clienthello,
 *     tls13_verify_psk_binder and session resumption in tls13_server.cc,
 *     through harness/stacks/boringssl_target.c.
 *
 * Input (harness/trace/fuzz_input.c, fuzz_psk_client_hello): connection 1
 * is an honest full handshake in which the server issues a ticket;
 * connection 2's ClientHello offers it, with the input's PSK mutations
 * (psk-not-last, psk-identities, binders, binder-length, the obfuscated
 * age), framing and edits of the body, the binder computed over the real
 * ticket and the edited ClientHello; then an honest client's rest of the
 * handshake, resumed or full. Each input runs on the model and on
 * BoringSSL and the outcomes are compared (harness/run/differential.c).
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_psk_client_hello")
