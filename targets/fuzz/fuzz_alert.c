/* fuzz_alert.c — differential fuzzing of alert handling during and after a
 * TLS 1.3 handshake, on either side.
 *
 * Targets:
 *   - the model: alert records in the record layer (sd_parse_alert: exactly
 *     two bytes, RFC 8446 §6), the model's alert handling (close_notify and
 *     user_canceled versus error alerts "regardless of the AlertLevel",
 *     §6; unknown descriptions; plaintext alerts once keys are in use,
 *     §5.2) in harness/model/model.c;
 *   - BoringSSL: ssl/tls_record.cc and s3_pkt.cc ssl_process_alert,
 *     tls_open_record's handling of fragmented and coalesced alerts.
 *
 * Input (harness/trace/fuzz_input.c): position, level, description, flags,
 * then an optional raw alert-record payload. The position (mod 8) chooses
 * the role of the stack and where in an honest handshake the alert goes
 * (before/after the first flight, instead of or after Finished,
 * post-handshake); the flags choose plaintext or encrypted, a raw record
 * body (fragments, coalesced alerts, trailing bytes: §5.1 forbids them) and
 * sending it twice. The rest of the honest handshake follows, so a stack
 * that ignores an error alert is seen to carry on.
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_alert")
