/* fuzz_input.h — how the bytes of a fuzz input become a trace.
 *
 * Each fuzz target (targets/fuzz/fuzz_<what>.c) reads its input in its own
 * way; this file is the one place that says how, so that the fuzz target,
 * `shakedown repro` and the tests build the same trace from the same bytes.
 * A fuzz input can be anything, including empty: building its trace never
 * fails for a known target (only an unknown target name or running out of
 * memory does). */
#ifndef SHAKEDOWN_TRACE_FUZZ_INPUT_H
#define SHAKEDOWN_TRACE_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/target.h"
#include "trace/binary.h"
#include "trace/trace.h"
#include "util/util.h"

/* The largest input a fuzz target runs; larger ones are ignored (libFuzzer's
 * return 0). One TLS record carries at most 2^14 bytes (RFC 8446 §5.1), so
 * bigger inputs would only test the driver's record splitting. repro applies
 * the same cap so that it agrees with the fuzz target on every file. */
#define SD_FUZZ_MAX_INPUT (16u * 1024u)

/* The names of the fuzz targets that run a trace against the stacks
 * (NULL-terminated), each the base name of its source file
 * targets/fuzz/<name>.c and of its corpus folder corpus/<name>/. The
 * targets that run no stack (fuzz_wire_roundtrip, fuzz_script,
 * fuzz_trace_binary) are not listed: their inputs are not traces. */
extern const char *const sd_fuzz_target_names[];

/* True if name is one of sd_fuzz_target_names. */
bool sd_fuzz_target_known(const char *name);

/* What a fuzz input asks of the run besides its trace (sd_fuzz_setup,
 * trace/binary.h): the role and version, and for TLS 1.2 the shape the
 * variant byte chose; for fuzz_trace, what the binary trace's setup says. */

/* Builds the trace that fuzz target `target` runs for data[0..len), and
 * the setup it runs with (setup may be NULL). `out` need not be
 * initialised; on success the caller owns it (sd_trace_free). On failure
 * (unknown target, out of memory) returns false, leaves nothing to free and
 * writes the reason into err.
 *
 * The mapping of each target is documented next to its code in
 * fuzz_input.c; in short:
 *
 * fuzz_client_hello: the stack is the server; the trace is
 *     send ClientHello body=<input>
 *     expect ServerHello
 * i.e. the input is sent as the body of a ClientHello handshake message in
 * one plaintext record.
 *
 * The handshake-message targets (one table in fuzz_input.c: version,
 * message, receiving role): TLS 1.3 fuzz_server_hello,
 * fuzz_hello_retry_request, fuzz_encrypted_extensions, fuzz_certificate,
 * fuzz_certificate_request, fuzz_certificate_verify, fuzz_finished,
 * fuzz_new_session_ticket, fuzz_key_update; TLS 1.2
 * fuzz_tls12_client_hello, fuzz_tls12_server_hello,
 * fuzz_tls12_certificate, fuzz_server_key_exchange,
 * fuzz_tls12_certificate_request, fuzz_server_hello_done,
 * fuzz_client_key_exchange, fuzz_tls12_certificate_verify,
 * fuzz_tls12_finished, fuzz_tls12_new_session_ticket. Input: a variant
 * byte (body replaced or honest body edited; side; framing; TLS 1.2: key
 * exchange and client authentication), then the message body. The driver
 * runs an honest handshake of that version up to that message, in the
 * role that sends it, and sends the fuzzed message there.
 *
 * fuzz_psk_client_hello, fuzz_early_data: the stack is a TLS 1.3 server
 * that issues tickets; connection 1 is an honest full handshake, connection
 * 2 offers its ticket as a PSK. fuzz_psk_client_hello: flags (PSK
 * mutations, framing, suite), their values, then flips and bytes appended
 * to the honest ClientHello, whose binder the driver computes over the
 * edited body. fuzz_early_data (the server accepts 0-RTT): flags
 * (EndOfEarlyData count, place, body, protection; where the early records
 * go), the EndOfEarlyData body, then up to 8 early records. The rest of
 * connection 2 is an honest client's, resumed or full.
 *
 * fuzz_alert: position, level, description, flags, payload.
 * fuzz_record: raw client records, cut at their length fields; a last one
 * whose length is more than an input can hold is zero-filled to it.
 * fuzz_trace: a binary trace (trace/binary.h); an input that does not
 * decode gives an empty trace. A trace with a setup (version 3) runs as its
 * setup says, either version, any credential; one without runs TLS 1.3
 * with the default credentials, the role from sd_trace_role_under_test. */
SD_MUST_CHECK bool sd_fuzz_input_build(const char *target, const uint8_t *data, size_t len, sd_trace *out,
                                       sd_fuzz_setup *setup, char *err, size_t err_len);

/* The TLS 1.2 key exchange that variant bits 4-5 (kx, 0-3) of a TLS 1.2
 * message target choose: the one cipher suite and the server's fixture
 * credential (either pointer may be NULL). For tools that record seeds in
 * that shape. */
void sd_fuzz_tls12_key_exchange(unsigned kx, uint16_t *suite, const char **credential);

/* The setup a scenario's headers ask for: what sd_fuzz_setup_apply turns
 * into the run configuration sd_run_config_apply_scenario makes of the
 * scenario (driver.h), so that a fuzz_trace seed made of a scenario's trace
 * and this setup (sd_trace_encode_with_setup) replays as the scenario. */
void sd_fuzz_setup_from_scenario(const sd_scenario *s, sd_fuzz_setup *out);

/* The first action by which the trace of a fuzz input deviates from an
 * honest peer, read as its scenario would be (step_under_test.h: role,
 * version, suite, credential and staple from the setup), or
 * SD_STEP_WHOLE_RUN if every action is honest. A stack under test whose
 * run ended before it did not answer the input's point. */
int sd_fuzz_first_deviation(const sd_fuzz_setup *setup, const sd_trace *t);

/* True if fuzz_trace runs t without a setup exactly as with s: TLS 1.3,
 * the role sd_trace_role_under_test reads from t, and every other field at
 * its default. Such a trace is written without a setup (version 1 or 2),
 * so that its bytes stay those of the corpus files made before setups. */
bool sd_fuzz_setup_implied(const sd_fuzz_setup *s, const sd_trace *t);

/* One line for people: "TLS 1.2, client under test, cipher suite
 * TLS_..., server credential expired, ..." (the parts that are not the
 * defaults after the version and role). */
void sd_fuzz_setup_describe(const sd_fuzz_setup *s, char *out, size_t out_len);

/* The role of the stack under test for a trace that does not say: the
 * client if the first action about a ClientHello expects one, else the
 * server (fuzz_trace, `shakedown trace pcap`, `shakedown minimize`). */
sd_role sd_trace_role_under_test(const sd_trace *t);

/* The fuzz target a corpus or crash file belongs to, from the nearest parent
 * folder named after one (corpus/fuzz_client_hello/x,
 * corpus/regressions/fuzz_client_hello/x, findings/fuzz_client_hello/x).
 * Returns an entry of sd_fuzz_target_names, or NULL if no folder matches. */
const char *sd_fuzz_target_from_path(const char *path);

#endif
