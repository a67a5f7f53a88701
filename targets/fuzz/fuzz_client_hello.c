/* fuzz_client_hello.c — differential fuzzing of ClientHello processing.
 *
 * Targets:
 *   - the model's ClientHello parser, harness/wire/handshake.c
 *     sd_parse_client_hello, and the extension parsers it reaches
 *     (sd_extensions_next/_check/_find, sd_parse_supported_versions_ch,
 *     sd_parse_key_share_ch/sd_key_share_next, sd_parse_server_name,
 *     sd_u16_list_parse for supported_groups and signature_algorithms);
 *   - the model's server-side ClientHello processing in harness/model/model.c
 *     (version, suite, group and signature-scheme selection, key-share
 *     handling, HelloRetryRequest, the first server flight);
 *   - BoringSSL's server ClientHello handling (ssl_client_hello_init,
 *     ssl_parse_extensions, tls13_process_client_hello and friends), through
 *     harness/stacks/boringssl_target.c.
 *
 * Input: the body of one ClientHello, any bytes (harness/trace/fuzz_input.c
 * turns it into `send ClientHello body=<input>; expect ServerHello` with the
 * stack as the server). Each input runs on the model and on BoringSSL and
 * the outcomes are compared (harness/run/differential.c).
 *
 * Findings, run-time files and environment: differential_target.h.
 *
 * Builds: <this>_replay (plain main, any compiler), <this> (libFuzzer),
 * <this>_afl (AFL++); see targets/fuzz/CMakeLists.txt. */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_client_hello")
