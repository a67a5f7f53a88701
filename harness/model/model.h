/* model.h — the in-memory handshake state machine: a strict TLS 1.3 and
 * TLS 1.2 endpoint that plays either role.
 *
 * It is sans-IO (bytes in, bytes out) and deterministic given a seed and a
 * clock. The message orders it accepts are the tables in sequences.c; every
 * check cites the RFC sentence it enforces. The model is exposed to the rest
 * of shakedown as the target "model" (harness/stacks/model_target.c). */
#ifndef SHAKEDOWN_MODEL_MODEL_H
#define SHAKEDOWN_MODEL_MODEL_H

#include "protocol/target.h"
#include "util/util.h"

typedef struct sd_model sd_model;

sd_model *sd_model_new(const sd_target_config *cfg, char *err, size_t err_len);
void sd_model_free(sd_model *m);
/* A client emits its ClientHello. */
void sd_model_start(sd_model *m);
void sd_model_feed(sd_model *m, sd_span bytes);
void sd_model_drain(sd_model *m, sd_buf *out);
void sd_model_status(const sd_model *m, sd_target_status *out);
/* Once connected: sends close_notify now (RFC 8446 §6.1, RFC 5246 §7.2.1)
 * and nothing after it; later input is ignored. Does nothing before the
 * handshake is done or after the connection ended. */
void sd_model_close(sd_model *m);
/* The session to resume later: from the newest NewSessionTicket, or in
 * TLS 1.2 the session id the server gave. */
SD_MUST_CHECK bool sd_model_export_session(const sd_model *m, sd_buf *out);
/* The exporter with an empty context, after the handshake: RFC 8446 §7.5
 * in TLS 1.3, RFC 5705 in TLS 1.2. */
SD_MUST_CHECK bool sd_model_export(const sd_model *m, const char *label, uint8_t *out, size_t len);
/* Printable name of the model's current state, for logs and reports. */
const char *sd_model_state_name(sd_model *m);

#endif
