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

/* What a fuzz input asks of the run besides its trace: the role and
 * version, and for TLS 1.2 the shape the variant byte chose. */
typedef struct {
    sd_role role;                         /* of the stack under test */
    uint16_t version;                     /* SD_TLS13 or SD_TLS12 */
    uint16_t cipher_suite;                /* the one suite the driver offers or picks; 0: its defaults */
    const char *server_credential;        /* the server's fixture credential; NULL: "leaf" */
    const char *client_credential;        /* the driver's, as a client asked for one; NULL: none */
    const char *target_client_credential; /* a client under test's, when asked; NULL: none */
    sd_client_auth client_auth;           /* a server under test asks for a client certificate */
    bool announce_ticket;                 /* TLS 1.2: the driver's ServerHello announces a ticket */
} sd_fuzz_setup;

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
 * fuzz_alert: position, level, description, flags, payload.
 * fuzz_record: raw client records, cut at their length fields.
 * fuzz_trace: a binary trace (trace/binary.h); an input that does not
 * decode gives an empty trace. */
SD_MUST_CHECK bool sd_fuzz_input_build(const char *target, const uint8_t *data, size_t len, sd_trace *out,
                                       sd_fuzz_setup *setup, char *err, size_t err_len);

/* The TLS 1.2 key exchange that variant bits 4-5 (kx, 0-3) of a TLS 1.2
 * message target choose: the one cipher suite and the server's fixture
 * credential (either pointer may be NULL). For tools that record seeds in
 * that shape. */
void sd_fuzz_tls12_key_exchange(unsigned kx, uint16_t *suite, const char **credential);

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
