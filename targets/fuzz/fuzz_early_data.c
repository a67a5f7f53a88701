/* fuzz_early_data.c — differential fuzzing of a TLS 1.3 server's 0-RTT:
 * early data and EndOfEarlyData.
 *
 * Targets:
 *   - the model's early-data acceptance (RFC 8446 §4.2.10), its reading
 *     under client_early_traffic_secret, the max_early_data_size limit
 *     (§4.6.1) and EndOfEarlyData (§4.5), harness/model/;
 *   - BoringSSL's 0-RTT server path (tls13_server.cc, the early data
 *     limit in tls_record.cc), through harness/stacks/boringssl_target.c.
 *
 * Input (harness/trace/fuzz_input.c, fuzz_early_data): the server is set up
 * as `early-data: on`; connection 1 is an honest full handshake in which it
 * issues a ticket that allows 0-RTT; connection 2 offers the ticket with
 * early_data and sends the input's early records (data, raw records of any
 * content type, records of any size, record-level mutations) and
 * EndOfEarlyData (once, never, twice, before the data; its body; in
 * plaintext), then an honest client's rest of the handshake. Each input
 * runs on the model and on BoringSSL and the outcomes are compared
 * (harness/run/differential.c).
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_early_data")
