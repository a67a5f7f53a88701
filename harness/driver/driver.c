/* driver.c — executes a trace against a target; see driver.h.
 *
 * The driver keeps the same session state an honest peer would (transcript,
 * key schedule, record keys) and updates it from the messages actually sent
 * and received, whatever their order (driver_keys.c). Sends build the honest
 * message (driver_messages.c), apply the action's mutations
 * (driver_mutations.c), and put the mutated bytes in the transcript. After
 * every send the target runs, and what it sent is decoded into a queue that
 * `expect` actions consume. A fatal alert from the target ends the run.
 *
 * TLS 1.2 (cfg->version SD_TLS12) runs through the same actions; ChangeCipherSpec
 * makes the pending keys current where RFC 5246 §7.1 says. */
#include "driver/driver_state.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/mem.h>

#include "wire/handshake.h"
#include "util/util.h"
#include "wire/names.h"

/* --- Outcome helpers ------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) static void end_run(driver *d, sd_outcome_kind kind, const char *fmt,
                                                          ...) {
    if (d->ended) return;
    d->ended = true;
    d->out->kind = kind;
    d->out->step = d->step;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->out->detail, sizeof(d->out->detail), fmt, ap);
    va_end(ap);
}

static void end_with_alert(driver *d, const sd_alert *a) {
    if (d->ended) return;
    d->out->alert_level = a->level;
    d->out->alert = a->description;
    const char *name = sd_alert_name(a->description);
    char num[8];
    snprintf(num, sizeof(num), "%u", a->description);
    end_run(d, SD_OUTCOME_ALERT, "target sent alert %s", name ? name : num);
}

static void add_event(driver *d, sd_direction from, sd_event_kind kind, uint8_t code, uint8_t level,
                      bool encrypted, bool mutated) {
    sd_event e = {.from = from,
                  .kind = kind,
                  .code = code,
                  .level = level,
                  .encrypted = encrypted,
                  .mutated = mutated,
                  .step = d->step};
    sd_outcome_add_event(d->out, &e);
    if (d->cfg->verbose) {
        const char *name = kind == SD_EVENT_HANDSHAKE ? sd_handshake_type_name(code)
                           : kind == SD_EVENT_ALERT   ? sd_alert_name(code)
                           : kind == SD_EVENT_CCS     ? "ChangeCipherSpec"
                           : kind == SD_EVENT_APPDATA ? "application data"
                           : kind == SD_EVENT_RAW     ? "raw record"
                                                      : "close";
        fprintf(stderr, "  step %2d %s %s%s%s%s\n", d->step, from == SD_FROM_PEER ? "->" : "<-",
                kind == SD_EVENT_ALERT ? "alert " : "", name ? name : "unknown",
                encrypted ? " (encrypted)" : "", mutated ? " (mutated)" : "");
    }
}

/* --- Talking to the target ---------------------------------------------- */

static void deliver(driver *d) {
    if (d->rl.out.len == 0) return;
    if (d->cfg->on_bytes) d->cfg->on_bytes(d->cfg->observer_ctx, SD_FROM_PEER, sd_buf_span(&d->rl.out));
    d->target->ops->feed(d->target, sd_buf_span(&d->rl.out));
    sd_buf_reset(&d->rl.out);
}

/* RFC 5246 §7.2.2: "If an alert with a level of warning is sent and
 * received, generally the connection can continue normally." A TLS 1.2
 * target that sends a warning other than close_notify (a no_renegotiation
 * answering a HelloRequest, say) goes on: the driver passes over it. */
static bool warning_goes_on(const driver *d, const sd_alert *a) {
    return d->tls12 && a->level == SD_ALERT_LEVEL_WARNING && a->description != SD_close_notify;
}

/* Takes everything the target has sent into the queue. */
static void collect(driver *d) {
    sd_buf bytes;
    sd_buf_init(&bytes);
    d->target->ops->drain(d->target, &bytes);
    if (bytes.len && d->cfg->on_bytes)
        d->cfg->on_bytes(d->cfg->observer_ctx, SD_FROM_TARGET, sd_buf_span(&bytes));
    sd_rl_receive(&d->rl, sd_buf_span(&bytes));
    sd_buf_free(&bytes);

    sd_rl_event ev;
    while (d->q_len < MAX_QUEUE && sd_rl_next(&d->rl, &ev) != SD_RL_NONE) {
        target_event *q = &d->queue[(d->q_head + d->q_len++) % MAX_QUEUE];
        memset(q, 0, sizeof(*q));
        q->kind = ev.kind;
        d->last_was_warning12 = ev.kind == SD_RL_ALERT && warning_goes_on(d, &ev.alert);
        if (d->last_was_warning12) d->warning12 = ev.alert;
        q->protected_record = ev.protected_record;
        switch (ev.kind) {
        case SD_RL_HANDSHAKE:
            q->type = ev.msg.type;
            q->hrr = ev.msg.type == SD_ServerHello && ev.msg.body.len >= 2 + SD_RANDOM_LEN &&
                     memcmp(ev.msg.body.data + 2, sd_hrr_random, SD_RANDOM_LEN) == 0;
            if (ev.msg.type == SD_Finished) d->target_finished = true;
            add_event(d, SD_FROM_TARGET, SD_EVENT_HANDSHAKE, ev.msg.type, 0, ev.protected_record, false);
            driver_on_target_handshake(d, &ev.msg);
            break;
        case SD_RL_ALERT:
            q->alert = ev.alert;
            if (ev.alert.description == SD_close_notify && !d->driver_sent_alert)
                d->target_closed_unasked = true;
            add_event(d, SD_FROM_TARGET, SD_EVENT_ALERT, ev.alert.description, ev.alert.level,
                      ev.protected_record, false);
            break;
        case SD_RL_CCS:
            add_event(d, SD_FROM_TARGET, SD_EVENT_CCS, 0, 0, ev.protected_record, false);
            /* RFC 5246 §7.1: the target's pending write keys are now its
             * current ones, from the next record on. */
            if (d->tls12 && ev.data.len == 1 && ev.data.data[0] == 1)
                driver_install_keys12(d, &d->rl.read, d->role == SD_ROLE_SERVER);
            break;
        case SD_RL_APPDATA:
            if (d->target_finished && d->driver_finished) d->target_data_after_finished = true;
            if (!d->tls12 && !d->rl.read.active && d->share.public_len == 0 && d->role == SD_ROLE_CLIENT) {
                /* Protected under keys the driver could not derive (the trace
                 * replaced its key share): shown as an opaque record, and
                 * never taken for the application data a trace expects, or
                 * the outcome would depend on how the stack packs its
                 * flight into records. */
                q->unreadable = true;
                add_event(d, SD_FROM_TARGET, SD_EVENT_RAW, SD_application_data, 0, true, false);
            } else
                add_event(d, SD_FROM_TARGET, SD_EVENT_APPDATA, 0, 0, ev.protected_record, false);
            break;
        case SD_RL_ERROR:
            /* A record we cannot read: usually one protected under keys the
             * driver does not share, because the trace broke the key
             * exchange. Stop reading; the target's status tells the rest. */
            snprintf(q->detail, sizeof(q->detail), "%s", ev.detail);
            sd_buf_reset(&d->rl.in);
            return;
        case SD_RL_NONE:
            break;
        }
    }
}

static bool queue_pop(driver *d, target_event *out) {
    if (d->q_len == 0) return false;
    *out = d->queue[d->q_head];
    d->q_head = (d->q_head + 1) % MAX_QUEUE;
    d->q_len--;
    return true;
}

/* TLS 1.3 alerts other than close_notify and user_canceled are errors
 * whatever their level (RFC 8446 §6); in TLS 1.2, fatal ones. */
static bool ends_connection(const driver *d, const sd_alert *a) {
    return a->description != SD_close_notify && a->description != SD_user_canceled && !warning_goes_on(d, a);
}

/* The target's status; for a target that reports only bytes, completion is
 * judged from the wire (target.h: wire_only): without application data
 * after the handshake it cannot be proven, and is not claimed. */
static void read_status(driver *d, sd_target_status *st) {
    d->target->ops->status(d->target, st);
    /* A TLS 1.2 warning the target sent ended nothing (warning_goes_on):
     * only the wire, through warning12, may still make it the answer. */
    sd_alert sent = {(uint8_t)st->alert_sent_level, (uint8_t)st->alert_sent};
    if (st->alert_sent >= 0 && warning_goes_on(d, &sent)) st->alert_sent = -1;
    /* Both Finished messages crossed, and the target then answered with
     * application data: only a connection that completed can do that. */
    if (st->wire_only) st->handshake_done = d->target_data_after_finished && st->alert_sent < 0;
}

/* When the driver cannot read what the target sent, the target's own status
 * says what it did. */
static void end_from_status(driver *d, const char *why) {
    sd_target_status st;
    read_status(d, &st);
    if (st.alert_sent >= 0) {
        sd_alert a = {(uint8_t)st.alert_sent_level, (uint8_t)st.alert_sent};
        end_with_alert(d, &a);
    } else if (st.failed) {
        end_run(d, SD_OUTCOME_CLOSED, "target gave up without an alert (%s)", st.error);
    } else {
        end_run(d, SD_OUTCOME_DEVIATED, "%s", why);
    }
}

/* A stack in its own process can die or stop answering: that ends the run
 * as the stack's CRASH or HANG, never the harness's. */
static bool check_alive(driver *d) {
    sd_target_status st;
    read_status(d, &st);
    if (st.crashed)
        end_run(d, SD_OUTCOME_CRASH, "target crashed: %s", st.error);
    else if (st.hung)
        end_run(d, SD_OUTCOME_HANG, "target hung: %s", st.error);
    return !st.crashed && !st.hung;
}

/* After a send: a target that refused ends the run here. */
static void check_for_refusal(driver *d) {
    collect(d);
    if (!check_alive(d)) return;
    for (size_t i = 0; i < d->q_len; i++) {
        target_event *q = &d->queue[(d->q_head + i) % MAX_QUEUE];
        if (q->kind == SD_RL_ALERT && ends_connection(d, &q->alert)) return end_with_alert(d, &q->alert);
        if (q->kind == SD_RL_ERROR) return end_from_status(d, q->detail);
    }
}

/* --- Sending ------------------------------------------------------------- */

static void do_send_handshake(driver *d, const sd_action *a) {
    sd_buf body, msg;
    sd_buf_init(&body);
    sd_buf_init(&msg);
    driver_build_body(d, a, &body);
    /* A TLS 1.2 ServerHello the mutations made unparseable (a repeated
     * extension) still sets the suite and random: the honest one's. */
    sd_buf honest;
    sd_buf_init(&honest);
    if (d->tls12 && a->msg_type == SD_ServerHello && d->role == SD_ROLE_SERVER)
        sd_buf_append_span(&honest, sd_buf_span(&body));
    driver_apply_body_mutations(d, a, &body);
    bool hrr = a->msg_type == SD_MSG_TYPE_HELLO_RETRY_REQUEST;
    uint8_t wire_type = hrr ? SD_ServerHello : (uint8_t)a->msg_type;
    const sd_mutation *type = driver_find_mutation(a, SD_MUT_TYPE);
    const sd_mutation *length = driver_find_mutation(a, SD_MUT_LENGTH);
    const sd_mutation *split = driver_find_mutation(a, SD_MUT_SPLIT);
    bool plaintext = driver_find_mutation(a, SD_MUT_PLAINTEXT) != NULL;
    sd_build_handshake(&msg, type ? (uint8_t)type->value : wire_type, sd_buf_span(&body),
                       length ? length->value : -1);
    /* §4.4.1: HelloRetryRequest replaces ClientHello1 with its hash. */
    if (hrr && d->suite && !sd_transcript_replace_with_message_hash(&d->rl.transcript, d->suite->md()))
        driver_harness_failed(d, "cannot hash ClientHello1 into the transcript");
    /* §4.6: TLS 1.3 post-handshake messages are outside the transcript. */
    bool post_handshake13 = !d->tls12 && (a->msg_type == SD_NewSessionTicket || a->msg_type == SD_KeyUpdate);
    /* RFC 5246 §7.4.1.1: HelloRequest is not in the transcript either. */
    bool hello_request12 = d->tls12 && a->msg_type == SD_HelloRequest && !type;
    if (!post_handshake13 && !hello_request12) sd_transcript_add(&d->rl.transcript, sd_buf_span(&msg));
    bool encrypted = d->rl.write.active && !plaintext;
    size_t records_from = d->rl.out.len;
    sd_rl_send(&d->rl, SD_handshake, sd_buf_span(&msg), plaintext, split ? (size_t)split->value : 0);
    const sd_mutation *record_version = driver_find_mutation(a, SD_MUT_RECORD_VERSION);
    if (record_version && !encrypted)
        driver_set_record_version(&d->rl.out, records_from, (uint16_t)record_version->value);
    add_event(d, SD_FROM_PEER, SD_EVENT_HANDSHAKE, wire_type, 0, encrypted, a->n_mutations > 0);
    if (a->msg_type == SD_Finished) d->driver_finished = true;
    driver_on_sent_handshake(d, a, sd_buf_span(&body), sd_buf_span(&honest));
    sd_buf_free(&honest);
    sd_buf_free(&body);
    sd_buf_free(&msg);
}

/* send-raw: exactly one record with exactly this payload, as the script
 * format says, even past 2^14 bytes, where sd_rl_send would split it: an
 * oversized record is how record_overflow (RFC 8446 §5.1, §5.2) is tested.
 * Plaintext unless the action asks for protection and keys are in use. */
static void send_raw_record(driver *d, const sd_action *a) {
    sd_span payload = sd_span_of(a->bytes, a->bytes_len);
    if (d->rl.write.active && a->encrypted) {
        if (!sd_record_seal(&d->rl.write, a->content_type, payload, 0, &d->rl.out))
            driver_harness_failed(d, "cannot protect a raw record");
    } else
        sd_build_record(&d->rl.out, a->content_type, SD_TLS12, payload);
}

static const char *expected_name(uint16_t type) {
    if (type == SD_MSG_TYPE_HELLO_RETRY_REQUEST) return "HelloRetryRequest";
    return sd_handshake_type_name(type) ? sd_handshake_type_name(type) : "?";
}

static void run_action(driver *d, const sd_action *a) {
    switch (a->kind) {
    case SD_ACT_SEND:
        do_send_handshake(d, a);
        break;
    case SD_ACT_RENEGOTIATE:
        /* RFC 5246 §7.4.1.2: a new handshake under the current keys. */
        driver_start_renegotiation(d);
        d->renegotiating = true;
        d->target_finished = d->driver_finished = false;
        do_send_handshake(d, a);
        d->renegotiating = false;
        break;
    case SD_ACT_SEND_ALERT: {
        uint8_t body[2] = {a->alert_level, a->alert};
        sd_rl_send(&d->rl, SD_alert, sd_span_of(body, 2), a->force_plaintext, 0);
        add_event(d, SD_FROM_PEER, SD_EVENT_ALERT, a->alert, a->alert_level,
                  d->rl.write.active && !a->force_plaintext, false);
        d->driver_sent_alert = true;
        break;
    }
    case SD_ACT_SEND_CCS: {
        /* §5: the compatibility CCS is always sent in plaintext. */
        static const uint8_t one = 1;
        bool plaintext = !a->encrypted;
        sd_rl_send(&d->rl, SD_change_cipher_spec, sd_span_of(&one, 1), plaintext, 0);
        add_event(d, SD_FROM_PEER, SD_EVENT_CCS, 0, 0, d->rl.write.active && !plaintext, false);
        /* RFC 5246 §7.1: right after its CCS the sender's pending write
         * keys become current. */
        if (d->tls12) driver_install_keys12(d, &d->rl.write, d->role == SD_ROLE_CLIENT);
        break;
    }
    case SD_ACT_SEND_APPDATA:
        sd_rl_send(&d->rl, SD_application_data, sd_span_of(a->bytes, a->bytes_len), false, 0);
        add_event(d, SD_FROM_PEER, SD_EVENT_APPDATA, 0, 0, d->rl.write.active, false);
        break;
    case SD_ACT_SEND_RAW:
        send_raw_record(d, a);
        add_event(d, SD_FROM_PEER, SD_EVENT_RAW, a->content_type, 0, a->encrypted && d->rl.write.active,
                  true);
        break;
    case SD_ACT_EXPECT:
    case SD_ACT_EXPECT_APPDATA:
    case SD_ACT_EXPECT_CLOSE:
    case SD_ACT_EXPECT_CCS: {
        collect(d);
        if (!check_alive(d)) return;
        target_event ev;
        for (;;) {
            if (!queue_pop(d, &ev)) {
                char want[48];
                snprintf(want, sizeof(want), "%s",
                         a->kind == SD_ACT_EXPECT           ? expected_name(a->msg_type)
                         : a->kind == SD_ACT_EXPECT_APPDATA ? "application data"
                         : a->kind == SD_ACT_EXPECT_CCS     ? "ChangeCipherSpec"
                                                            : "close_notify");
                sd_target_status st;
                read_status(d, &st);
                if (st.alert_sent >= 0) return end_from_status(d, "");
                if (st.failed)
                    return end_run(d, SD_OUTCOME_CLOSED, "target gave up without an alert (%s)", st.error);
                return end_run(d, SD_OUTCOME_WAITING, "target sent nothing while the trace expected %s",
                               want);
            }
            /* Optional messages an honest peer may send at any point are
             * skipped unless asked for: the TLS 1.3 compatibility CCS
             * (§D.4) and NewSessionTicket (§4.6.1). A TLS 1.2 CCS is a
             * step of the handshake (RFC 5246 §7.1): only expect-ccs
             * takes it. */
            if (ev.kind == SD_RL_CCS && !d->tls12 && a->kind != SD_ACT_EXPECT_CCS) continue;
            if (ev.kind == SD_RL_ALERT && warning_goes_on(d, &ev.alert)) continue;
            if (ev.kind == SD_RL_HANDSHAKE && ev.type == SD_NewSessionTicket &&
                !(a->kind == SD_ACT_EXPECT && a->msg_type == SD_NewSessionTicket))
                continue;
            break;
        }
        if (ev.kind == SD_RL_ERROR) return end_from_status(d, ev.detail);
        if (ev.kind == SD_RL_ALERT) {
            if (a->kind == SD_ACT_EXPECT_CLOSE && ev.alert.description == SD_close_notify) {
                d->target_closed_as_expected = true;
                d->target_closed_unasked = false;
                return;
            }
            if (ends_connection(d, &ev.alert)) return end_with_alert(d, &ev.alert);
            return end_run(d, SD_OUTCOME_CLOSED, "target closed the connection");
        }
        if (a->kind == SD_ACT_EXPECT && ev.kind == SD_RL_HANDSHAKE) {
            /* `expect ServerHello` takes a HelloRetryRequest too (it is one
             * on the wire); `expect HelloRetryRequest` only that. */
            if (a->msg_type == SD_MSG_TYPE_HELLO_RETRY_REQUEST ? ev.type == SD_ServerHello && ev.hrr
                                                               : ev.type == a->msg_type)
                return;
        }
        if (a->kind == SD_ACT_EXPECT_APPDATA && ev.kind == SD_RL_APPDATA && !ev.unreadable) return;
        if (a->kind == SD_ACT_EXPECT_CCS && ev.kind == SD_RL_CCS) return;
        const char *got = ev.kind == SD_RL_HANDSHAKE
                              ? (ev.hrr ? "HelloRetryRequest" : sd_handshake_type_name(ev.type))
                          : ev.unreadable ? "a record protected under keys the driver does not hold"
                          : ev.kind == SD_RL_APPDATA ? "application data"
                          : ev.kind == SD_RL_CCS     ? "ChangeCipherSpec"
                                                     : "a record";
        const char *want = a->kind == SD_ACT_EXPECT           ? expected_name(a->msg_type)
                           : a->kind == SD_ACT_EXPECT_APPDATA ? "application data"
                           : a->kind == SD_ACT_EXPECT_CCS     ? "ChangeCipherSpec"
                                                              : "close_notify";
        /* A target that has since ended the connection is judged by how it
         * ended: what it sent first was queued before it read the input that
         * made it stop (a flight produced for the ClientHello, then an error
         * alert received), and how a stack batches its records must not
         * change the outcome. */
        sd_target_status st;
        read_status(d, &st);
        if (st.failed || st.alert_sent >= 0) return end_from_status(d, "");
        return end_run(d, SD_OUTCOME_DEVIATED, "expected %s, target sent %s", want ? want : "?",
                       got ? got : "unknown message");
    }
    }
    deliver(d);
    check_for_refusal(d);
}

void sd_run_config_defaults(sd_run_config *cfg, const sd_target_ops *stack, sd_role target_role,
                            const sd_pki *pki) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->stack = stack;
    cfg->target_role = target_role;
    cfg->version = SD_TLS13;
    cfg->pki = pki;
    cfg->target_credential = "leaf";
    cfg->driver_credential = "leaf";
    cfg->server_name = SD_PKI_SERVER_NAME;
    cfg->now = SD_PKI_DEFAULT_TIME;
    cfg->seed = 1;
}

void sd_run_config_apply_scenario(sd_run_config *cfg, const sd_scenario *s) {
    if (s->version) cfg->version = s->version;
    if (s->credential[0]) {
        cfg->driver_credential = s->credential;
        if (s->role == SD_ROLE_SERVER) cfg->target_credential = s->credential;
    }
    cfg->cipher_suite = s->cipher_suite;
    cfg->client_auth = s->client_auth;
    cfg->session_tickets = s->session_tickets;
}

void sd_driver_run(const sd_trace *trace, const sd_run_config *cfg, sd_outcome *out) {
    double start = sd_now_ms();
    sd_outcome_init(out);
    driver d;
    memset(&d, 0, sizeof(d));
    d.cfg = cfg;
    d.out = out;
    d.step = -1;
    d.role = cfg->target_role == SD_ROLE_CLIENT ? SD_ROLE_SERVER : SD_ROLE_CLIENT;
    sd_rl_init(&d.rl);
    sd_buf_init(&d.peer_share);
    /* The driver draws from its own stream so that it never mirrors the
     * model's choices by accident. */
    sd_rng_init(&d.rng, cfg->seed ^ 0x9e3779b97f4a7c15ull);
    sd_rng_bytes(&d.rng, d.client_random, SD_RANDOM_LEN);
    d.tls12 = cfg->version == SD_TLS12;
    /* TLS 1.2: an empty session id asks for no resumption (RFC 5246
     * §7.4.1.2); TLS 1.3 sends 32 bytes for middlebox compatibility (§D.4). */
    if (d.role == SD_ROLE_CLIENT && !d.tls12) {
        d.session_id_len = 32;
        sd_rng_bytes(&d.rng, d.session_id, d.session_id_len);
    }

    sd_target_config tc = {
        .role = cfg->target_role,
        .min_version = cfg->version,
        .max_version = cfg->version,
        .credential =
            cfg->target_role == SD_ROLE_SERVER ? sd_pki_find(cfg->pki, cfg->target_credential) : NULL,
        .pki = cfg->pki,
        .server_name = cfg->server_name,
        .now = cfg->now,
        .seed = cfg->seed,
        /* A TLS 1.2 trace about one key exchange holds the target to that
         * suite, so a stack without it reports unsupported (SKIP) instead
         * of failing the handshake. TLS 1.3 suites are not a stack setting
         * everywhere (BoringSSL fixes them), so they are left alone. */
        .cipher_suites = cfg->version == SD_TLS12 && cfg->cipher_suite ? &cfg->cipher_suite : NULL,
        .n_cipher_suites = cfg->version == SD_TLS12 && cfg->cipher_suite ? 1 : 0,
        .client_auth = cfg->target_role == SD_ROLE_SERVER ? cfg->client_auth : SD_CLIENT_AUTH_NONE,
        .session_tickets = cfg->session_tickets,
        .max_handshake_message = cfg->max_handshake_message,
        .max_post_handshake_message = cfg->max_post_handshake_message,
        /* A client under test shows the credential named for it, or with
         * client-auth the fixture's "client"; else an empty Certificate. */
        .client_credential = cfg->target_role != SD_ROLE_CLIENT ? NULL
                             : cfg->target_client_credential
                                 ? sd_pki_find(cfg->pki, cfg->target_client_credential)
                             : cfg->client_auth != SD_CLIENT_AUTH_NONE ? sd_pki_find(cfg->pki, "client")
                                                                       : NULL,
    };
    sd_target_error err = {0};
    if (cfg->target_role == SD_ROLE_SERVER && !tc.credential) {
        end_run(&d, SD_OUTCOME_HARNESS_ERROR, "no credential \"%s\" in the PKI", cfg->target_credential);
    } else if (!(d.target = cfg->stack->create(&tc, &err))) {
        if (err.unsupported)
            end_run(&d, SD_OUTCOME_UNSUPPORTED, "%s", err.text);
        else
            end_run(&d, SD_OUTCOME_HARNESS_ERROR, "cannot configure %s: %s", cfg->stack->name, err.text);
    } else {
        d.target->ops->start(d.target);
        check_for_refusal(&d);
        for (size_t i = 0; i < trace->n_actions && !d.ended; i++) {
            d.step = (int)i;
            out->line = trace->actions[i].line;
            run_action(&d, &trace->actions[i]);
            if (d.harness_error[0]) end_run(&d, SD_OUTCOME_HARNESS_ERROR, "%s", d.harness_error);
        }
        if (!d.ended) {
            /* The trace ran to its end: the target's last word decides. */
            check_for_refusal(&d);
            if (!d.ended) {
                sd_target_status st;
                read_status(&d, &st);
                /* The wire has the last word over a status that still says
                 * "done": a target that completed and then failed or
                 * closed on its own did not complete the trace. */
                if (st.alert_sent >= 0) end_from_status(&d, "");
                /* Over TCP the transport closes after the close_notify
                 * exchange the trace asked for: that is the normal end. */
                else if (st.failed && !(st.wire_only && d.target_closed_as_expected))
                    end_run(&d, SD_OUTCOME_CLOSED, "target stopped without an alert%s (%s)",
                            st.handshake_done ? " after the handshake" : "", st.error);
                else if (d.last_was_warning12)
                    end_with_alert(&d, &d.warning12);
                else if (d.target_closed_unasked)
                    end_run(&d, SD_OUTCOME_CLOSED, "target sent close_notify%s that the trace did not expect",
                            st.handshake_done ? " after the handshake" : "");
                else if (st.handshake_done)
                    end_run(&d, SD_OUTCOME_COMPLETED, "handshake completed");
                else
                    end_run(&d, SD_OUTCOME_WAITING, "target neither completed nor refused");
            }
        }
    }
    if (d.target) {
        sd_target_status st;
        read_status(&d, &st);
        out->handshake_done = st.handshake_done;
        out->peer_authenticated = st.peer_authenticated;
        out->version = st.version;
        out->cipher_suite = st.cipher_suite;
        out->group = st.group;
        if (st.error[0] && out->kind != SD_OUTCOME_COMPLETED) {
            size_t n = strlen(out->detail);
            snprintf(out->detail + n, sizeof(out->detail) - n, " [%s: %s]", cfg->stack->name, st.error);
        }
        d.target->ops->destroy(d.target);
    }
    sd_rl_free(&d.rl);
    sd_buf_free(&d.peer_share);
    EVP_PKEY_free(d.server_key12);
    OPENSSL_cleanse(&d.master, sizeof d.master);
    OPENSSL_cleanse(&d.keys12, sizeof d.keys12);
    out->elapsed_ms = sd_now_ms() - start;
}
