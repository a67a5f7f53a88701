/* fuzz_record.c — differential fuzzing of the record layer of a TLS 1.3
 * server receiving a client's first flight, as BoringSSL's own server
 * fuzzer feeds raw bytes.
 *
 * Targets:
 *   - the model: sd_parse_record (content type, record_overflow above 2^14,
 *     RFC 8446 §5.1), sd_hs_reassembler (messages spanning records, several
 *     messages in one record, zero-length fragments), sd_rl_next, and the
 *     server's answer to records of each type before the ClientHello
 *     (harness/protocol/record_layer.c, harness/model/model.c);
 *   - BoringSSL: tls_open_record, ssl3_get_message / tls_get_message and
 *     the server's first-flight handling.
 *
 * Input (harness/trace/fuzz_input.c): the bytes a client sends, cut into
 * records at their length fields; each record is sent as a plaintext
 * send-raw with its content type and fragment (the driver writes the
 * header's version), then `expect ServerHello`.
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_record")
