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

#include "protocol/messages.h"
#include "protocol/session_cache.h"
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

/* One message of the ladder, and on stderr when verbose. */
static void record_event(driver *d, const sd_event *given) {
    sd_event stamped = *given;
    stamped.connection = (uint8_t)d->connection;
    const sd_event *e = &stamped;
    sd_outcome_add_event(d->out, e);
    if (d->cfg->verbose) {
        sd_event_kind kind = e->kind;
        const char *name = e->hrr                       ? "HelloRetryRequest"
                           : kind == SD_EVENT_HANDSHAKE ? sd_handshake_type_name(e->code)
                           : kind == SD_EVENT_ALERT     ? sd_alert_name(e->code)
                           : kind == SD_EVENT_CCS       ? "ChangeCipherSpec"
                           : kind == SD_EVENT_APPDATA   ? "application data"
                           : kind == SD_EVENT_RAW       ? "raw record"
                                                        : "close";
        fprintf(stderr, "  step %2d %s %s%s%s%s\n", d->step, e->from == SD_FROM_PEER ? "->" : "<-",
                kind == SD_EVENT_ALERT ? "alert " : "", name ? name : "unknown",
                e->encrypted ? " (encrypted)" : "", e->mutated ? " (mutated)" : "");
    }
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
    record_event(d, &e);
}

/* A handshake message; hrr: a ServerHello that is a HelloRetryRequest. */
static void add_handshake_event(driver *d, sd_direction from, uint8_t type, bool hrr, bool encrypted,
                                bool mutated) {
    sd_event e = {.from = from,
                  .kind = SD_EVENT_HANDSHAKE,
                  .code = type,
                  .encrypted = encrypted,
                  .mutated = mutated,
                  .hrr = hrr,
                  .step = d->step};
    record_event(d, &e);
}

/* Names the fixture files of the message just added to the ladder: the
 * credential of a Certificate, with the OCSP response stapled to it in TLS
 * 1.3 ("leaf,ocsp-leaf-revoked"); the response of a TLS 1.2
 * CertificateStatus. */
_Static_assert(SD_MUT_COUNT <= 64, "sd_event.mutations has a bit for each mutation kind");

/* 1 + the index of fixture `name` in the outcome's table, added if new;
 * 0 when the table is full. */
static uint8_t fixture_index(driver *d, const char *name) {
    sd_outcome *o = d->out;
    char cut[sizeof o->credentials[0]];
    snprintf(cut, sizeof cut, "%s", name);
    size_t i = 0;
    while (i < SD_MAX_OUTCOME_CREDENTIALS && o->credentials[i][0] && strcmp(o->credentials[i], cut) != 0) i++;
    if (i == SD_MAX_OUTCOME_CREDENTIALS) return 0;
    memcpy(o->credentials[i], cut, sizeof cut);
    return (uint8_t)(i + 1);
}

static void note_fixture(driver *d, const char *name) {
    sd_outcome *o = d->out;
    if (!name || o->n_events == 0 || o->events_truncated) return;
    /* Fixture names are short ("unknown-critical-extension"); a longer one
     * is cut, which still tells it apart in a signature. */
    uint8_t index = fixture_index(d, name);
    if (index) o->events[o->n_events - 1].credential = index;
}

/* --- Talking to the target ---------------------------------------------- */

static void read_status(driver *d, sd_target_status *st);

/* Hands what the driver wrote to the target. A target that had already
 * given up (closed, refused, died) never reads it: the action did not reach
 * it, and out->reached says so. */
static void deliver(driver *d) {
    if (d->rl.out.len == 0) return;
    sd_target_status st;
    read_status(d, &st);
    d->action_delivered = true;
    if (st.failed || st.crashed || st.hung || st.alert_sent >= 0) d->action_delivered_late = true;
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

/* RFC 5246 §7.2.2: no_renegotiation is "Sent by the client in response
 * to a hello request or by the server in response to a client hello after
 * initial handshaking", and RFC 5746 §4.2 has it "at the "warning" level".
 * A TLS 1.2 target whose last record is that warning has answered the
 * renegotiation the trace went on with: it refused it, whether it then
 * waits (the connection goes on, as a warning allows) or gives up. */
static bool refused_renegotiation(const driver *d) {
    return d->last_was_warning12 && d->warning12.description == SD_no_renegotiation;
}

/* A Certificate with no certificate in it: TLS 1.3 (RFC 8446 §4.4.2) a
 * context, then an empty certificate_list; TLS 1.2 (RFC 5246 §7.4.2) an
 * empty certificate_list alone. */
static bool is_empty_certificate(const driver *d, sd_span body) {
    if (d->tls12) return body.len == 3 && !body.data[0] && !body.data[1] && !body.data[2];
    if (body.len < 1) return false;
    size_t ctx = body.data[0];
    return body.len == 1 + ctx + 3 && !body.data[1 + ctx] && !body.data[2 + ctx] && !body.data[3 + ctx];
}

/* RFC 8446 §4.1.4: what a client checks in a HelloRetryRequest before it
 * answers with a second ClientHello. Only for one the trace did not plan
 * (answer_hello_retry_request): the first of the connection ("If a client
 * receives a second HelloRetryRequest in the same connection ... it MUST
 * abort"), after a ClientHello that offered what the driver's own does, so
 * that the second one the driver builds changes only what §4.1.2 lets it
 * change. One that fails a check is not answered, and the run goes on as
 * the trace says: the oracle judges what the target did. Called before
 * driver_on_target_handshake takes the message, while d->share is still
 * the first ClientHello's. */
static bool retry_is_answerable(const driver *d, sd_span body) {
    if (d->tls12 || d->role != SD_ROLE_CLIENT || d->target_hrrs > 0 || !d->hello_offer_honest ||
        d->share.public_len == 0)
        return false;
    sd_server_hello sh;
    uint8_t alert;
    if (!sd_parse_server_hello(body, &sh, &alert) || !sd_server_hello_is_hrr(&sh)) return false;
    /* §4.1.4: the client "MUST check the legacy_version,
     * legacy_session_id_echo, cipher_suite, and legacy_compression_method as
     * specified in Section 4.1.3". */
    if (sh.legacy_version != SD_TLS12 || sh.legacy_compression_method != 0 ||
        !sd_span_eq(sh.legacy_session_id_echo, sd_span_of(d->session_id, d->session_id_len)) ||
        !sd_u16_in(sd_default_offer.suites, sd_default_offer.n_suites, sh.cipher_suite) ||
        (d->cfg->cipher_suite && sh.cipher_suite != d->cfg->cipher_suite) || !sd_suite_find(sh.cipher_suite))
        return false;
    /* The parser has checked the block (no type twice, §4.2). A
     * HelloRetryRequest carries supported_versions, key_share and cookie
     * only (§4.2's table; §4.1.4: "any extensions that were not offered by
     * the client or were not the cookie extension" abort). */
    uint16_t version = 0, group = 0, type;
    bool has_group = false, has_cookie = false;
    sd_span ext, cookie;
    sd_reader it = sd_reader_of(sh.extensions);
    while (sd_extensions_next(&it, &type, &ext, &alert) > 0) {
        if (type == SD_supported_versions) {
            if (!sd_parse_supported_versions_sh(ext, &version, &alert)) return false;
        } else if (type == SD_key_share) {
            if (!sd_parse_key_share_hrr(ext, &group, &alert)) return false;
            has_group = true;
        } else if (type == SD_cookie) {
            /* §4.2.2: opaque cookie<1..2^16-1>, which the driver must be
             * able to echo whole. */
            sd_reader c = sd_reader_of(ext);
            if (!sd_read_prefixed(&c, 2, &cookie) || !sd_reader_done(&c) || cookie.len == 0 ||
                cookie.len > sizeof d->cookie)
                return false;
            has_cookie = true;
        } else {
            return false;
        }
    }
    /* §4.1.4: "The server's extensions MUST contain
     * "supported_versions""; §4.2.1: a version the client offered. */
    if (version != SD_TLS13) return false;
    /* §4.2.8: the selected group "MUST be in the "supported_groups"
     * extension in the original ClientHello" and not one the ClientHello
     * already has a share for; the driver must also be able to make one. */
    uint16_t offered[DRIVER_MAX_OFFERED_GROUPS];
    if (has_group)
        return sd_u16_in(offered, driver_offered_groups(d, offered), group) && group != d->share.group &&
               sd_group_supported(group);
    /* §4.1.4: a HelloRetryRequest that "would not result in any change in
     * the ClientHello" is refused. */
    return has_cookie;
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
    size_t in_before;
    while (d->q_len < MAX_QUEUE && (in_before = d->rl.in.len, sd_rl_next(&d->rl, &ev) != SD_RL_NONE)) {
        if (ev.kind == SD_RL_HANDSHAKE) d->early_skipping = false;
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
            if (q->hrr && !d->tls12 && d->role == SD_ROLE_CLIENT) {
                q->answerable_hrr = retry_is_answerable(d, ev.msg.body);
                d->target_hrrs++;
            }
            q->psk_index = -1;
            if (!d->tls12 && d->role == SD_ROLE_CLIENT && ev.msg.type == SD_ServerHello && !q->hrr) {
                sd_server_hello sh;
                sd_span psk;
                uint8_t alert;
                if (sd_parse_server_hello(ev.msg.body, &sh, &alert) &&
                    sd_extensions_find(sh.extensions, SD_pre_shared_key, &psk)) {
                    /* §4.2.11: the ServerHello's pre_shared_key is a
                     * uint16 selected_identity. */
                    q->psk_index = psk.len == 2 ? (int)(psk.data[0] << 8 | psk.data[1]) : -2;
                    d->target_selected_psk = true;
                }
            }
            if (d->tls12 && d->role == SD_ROLE_CLIENT && ev.msg.type == SD_ServerHello) {
                sd_server_hello sh;
                sd_span ticket_ext;
                uint8_t alert;
                /* RFC 5077 §3.2: the server "uses a zero-length
                 * SessionTicket extension to indicate to the client that it
                 * will send a new session ticket"; `if-announced` steps
                 * follow what it said (§3.3). The extension's content is
                 * the protocol checks' business, not this. */
                if (sd_parse_server_hello(ev.msg.body, &sh, &alert) &&
                    sd_extensions_find(sh.extensions, SD_session_ticket, &ticket_ext))
                    d->target_announced_ticket = true;
            }
            /* Every hello puts its random after the two-byte version (RFC
             * 8446 §4.1.2, §4.1.3; RFC 5246 §7.4.1.2, §7.4.1.3). */
            if ((ev.msg.type == SD_ClientHello || ev.msg.type == SD_ServerHello) &&
                ev.msg.body.len >= 2 + SD_RANDOM_LEN) {
                q->has_random = true;
                memcpy(q->random, ev.msg.body.data + 2, SD_RANDOM_LEN);
            }
            if (ev.msg.type == SD_Finished) {
                /* The side that finishes second sends its Finished only
                 * after it has verified the other's (RFC 8446 §4.4.4, RFC
                 * 5246 §7.4.9): a target that finishes after the driver
                 * has accepted the handshake. */
                if (d->driver_finished && !d->target_finished) d->target_data_after_finished = true;
                d->target_finished = true;
            }
            /* RFC 8446 §4.6: NewSessionTicket and KeyUpdate come only in a
             * connection that is up (§4.6.1: "after the server has received
             * the client Finished"). */
            if (!d->tls12 && d->target_finished && d->driver_finished &&
                (ev.msg.type == SD_NewSessionTicket || ev.msg.type == SD_KeyUpdate))
                d->target_data_after_finished = true;
            if (d->role == SD_ROLE_SERVER && ev.msg.type == SD_CompressedCertificate)
                d->target_sent_certificate = true; /* RFC 8879 §4: a Certificate, compressed */
            if (d->role == SD_ROLE_SERVER && ev.msg.type == SD_Certificate) {
                if (is_empty_certificate(d, ev.msg.body))
                    d->target_sent_empty_certificate = true;
                else
                    d->target_sent_certificate = true;
            }
            add_handshake_event(d, SD_FROM_TARGET, ev.msg.type, q->hrr, ev.protected_record, false);
            driver_on_target_handshake(d, &ev.msg);
            q->fault = d->hello_fault;
            d->hello_fault = NULL;
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
            /* RFC 8446 §4.2.10: 0-RTT the driver as server refused is
             * skipped, records that do not open under the handshake keys,
             * up to 16 KiB (as the model and BoringSSL skip). */
            if (d->early_skipping && d->role == SD_ROLE_SERVER && ev.alert_to_send == SD_bad_record_mac &&
                (d->early_skipped += in_before > d->rl.in.len ? in_before - d->rl.in.len : 0) <= 16384) {
                d->q_len--;
                continue;
            }
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
    /* A stack that stopped without an alert refused what it was just given
     * as surely as one that sent an alert: the run ends here too, so that
     * its ladder ends at the input it refused (the differential signature
     * names that input) and not at whatever the trace sends next to a
     * stack that no longer reads. What it sent before is not read: a
     * target that has ended the connection is judged by how it ended (as
     * run_expect does). Not while an alert of its own is unread (its
     * close_notify, which an expect-close takes), and only in process:
     * over TCP a program may end the connection as its way of answering
     * the driver's close_notify, which the expect-close that follows
     * judges. */
    sd_target_status st;
    read_status(d, &st);
    if (!st.failed || st.alert_sent >= 0 || st.wire_only) return;
    for (size_t i = 0; i < d->q_len; i++)
        if (d->queue[(d->q_head + i) % MAX_QUEUE].kind == SD_RL_ALERT) return;
    end_run(d, SD_OUTCOME_CLOSED, "target gave up without an alert (%s)", st.error);
}

/* --- Sending ------------------------------------------------------------- */

/* The mutations that edit the body after it is built, and may leave it as
 * it was (a drop-ext of an extension it lacks, a dup-ext of one it lacks,
 * pad= to a length it has, a flip-ext of an extension it lacks, a
 * session-id= of the id it has, a random= of the bytes it ends with). The
 * others always change what is sent: its framing (type=, length=, split=,
 * plaintext, record-version=) or how it is built (cert=, wrong-key,
 * bad-point, ...). */
/* The records of one action: its content as records of `type`, with the
 * record-level mutations it carries (trace.h sd_mutation_on_records). One
 * that could not act (padding of another version's or suite's records, a
 * flip of an empty record) did not make the deviation: the run says so
 * (deviation_not_made) rather than pass a scenario that tested nothing. */
static void send_records(driver *d, const sd_action *a, uint8_t type, sd_span content, bool plaintext,
                         size_t max_fragment) {
    size_t records_from = d->rl.out.len;
    /* seq-skip: the records go out under later sequence numbers, as if
     * records in between were lost; only protected records have one that
     * counts (RFC 8446 §5.3, RFC 5246 §6.1). */
    const sd_mutation *skip = driver_find_mutation(a, SD_MUT_SEQ_SKIP);
    if (skip && (!d->rl.write.active || plaintext || skip->value == 0 ||
                 d->rl.write.seq > UINT64_MAX - 1 - (uint64_t)skip->value))
        d->deviation_not_made = true;
    else if (skip)
        d->rl.write.seq += (uint64_t)skip->value;
    bool padded = driver_send_records(d, a, type, content, plaintext, max_fragment);
    if (!padded &&
        (driver_find_mutation(a, SD_MUT_INNER_PADDING) || driver_find_mutation(a, SD_MUT_CBC_PADDING)))
        d->deviation_not_made = true;
    const sd_mutation *flip = driver_find_mutation(a, SD_MUT_RECORD_FLIP);
    if (flip && !driver_flip_record(&d->rl.out, records_from, flip)) d->deviation_not_made = true;
}

static bool is_body_edit(sd_mutation_kind kind) {
    switch (kind) {
    case SD_MUT_BODY:
    case SD_MUT_FLIP:
    case SD_MUT_TRUNCATE:
    case SD_MUT_APPEND:
    case SD_MUT_DUP_EXT:
    case SD_MUT_ADD_EXT:
    case SD_MUT_DROP_EXT:
    case SD_MUT_PAD:
    case SD_MUT_UNKNOWN_EXTS:
    case SD_MUT_SESSION_ID:
    case SD_MUT_FLIP_EXT:
    case SD_MUT_RANDOM:
    case SD_MUT_ADD_SUITE:
        return true;
    default:
        return false;
    }
}

static void do_send_handshake(driver *d, const sd_action *a) {
    driver_end_refused_early_data(d);
    sd_buf body, msg;
    sd_buf_init(&body);
    sd_buf_init(&msg);
    if (!driver_honest_body_unneeded(d, a)) driver_build_body(d, a, &body);
    /* replay: the last connection's first ClientHello, as it went out. */
    if (a->msg_type == SD_ClientHello && d->role == SD_ROLE_CLIENT &&
        driver_find_mutation(a, SD_MUT_REPLAY) && !driver_replay_client_hello(d, &body))
        d->deviation_not_made = true;
    size_t honest_length = body.len;
    /* A TLS 1.2 ServerHello the mutations made unparseable (a repeated
     * extension) still sets the suite and random: the honest one's. */
    sd_buf honest;
    sd_buf_init(&honest);
    if (d->tls12 && a->msg_type == SD_ServerHello && d->role == SD_ROLE_SERVER)
        sd_buf_append_span(&honest, sd_buf_span(&body));
    sd_buf built;
    sd_buf_init(&built);
    bool only_body_edits = a->n_mutations > 0 && !d->filler;
    for (size_t i = 0; i < a->n_mutations && i < SD_MAX_MUTATIONS; i++)
        only_body_edits &= is_body_edit(a->mutations[i].kind);
    bool psk_offer = !d->tls12 && a->msg_type == SD_ClientHello && d->psk_offered && !d->filler;
    if (only_body_edits || psk_offer) sd_buf_append_span(&built, sd_buf_span(&body));
    uint32_t unchanged = driver_apply_body_mutations(d, a, &body);
    if (only_body_edits && sd_span_eq(sd_buf_span(&built), sd_buf_span(&body))) d->deviation_not_made = true;
    if (psk_offer && a->n_mutations) driver_rebind_psk13(d, sd_buf_span(&built), &body);
    sd_buf_free(&built);
    bool planned_hrr = a->msg_type == SD_MSG_TYPE_HELLO_RETRY_REQUEST;
    uint8_t wire_type = planned_hrr ? SD_ServerHello : (uint8_t)a->msg_type;
    const sd_mutation *type = driver_find_mutation(a, SD_MUT_TYPE);
    const sd_mutation *length = driver_find_mutation(a, SD_MUT_LENGTH);
    const sd_mutation *split = driver_find_mutation(a, SD_MUT_SPLIT);
    bool plaintext = driver_find_mutation(a, SD_MUT_PLAINTEXT) != NULL;
    /* A type= mutation makes the message the one its new type names: which
     * messages stay out of the transcript, and the event, follow what went
     * on the wire (the ClientHello1 hash of a HelloRetryRequest stays: the
     * driver's own plan goes on from it). */
    if (type) wire_type = (uint8_t)type->value;
    /* What a peer reads as a HelloRetryRequest: a ServerHello with the
     * special random (RFC 8446 §4.1.3), whatever the plan called it. */
    sd_span sent_body = sd_buf_span(&body);
    bool hrr = wire_type == SD_ServerHello && sent_body.len >= 2 + SD_RANDOM_LEN &&
               memcmp(sent_body.data + 2, sd_hrr_random, SD_RANDOM_LEN) == 0;
    sd_build_handshake(&msg, wire_type, sd_buf_span(&body), length ? length->value : -1);
    /* §4.4.1: HelloRetryRequest replaces ClientHello1 with its hash. */
    if (planned_hrr && d->suite &&
        !sd_transcript_replace_with_message_hash(&d->rl.transcript, d->suite->md()))
        driver_harness_failed(d, "cannot hash ClientHello1 into the transcript");
    /* §4.6: TLS 1.3 post-handshake messages are outside the transcript. */
    bool post_handshake13 = !d->tls12 && (wire_type == SD_NewSessionTicket || wire_type == SD_KeyUpdate);
    /* RFC 5246 §7.4.1.1: HelloRequest is not in the transcript either. */
    bool hello_request12 = d->tls12 && wire_type == SD_HelloRequest;
    if (!post_handshake13 && !hello_request12) sd_transcript_add(&d->rl.transcript, sd_buf_span(&msg));
    bool encrypted = d->rl.write.active && !plaintext;
    size_t records_from = d->rl.out.len;
    send_records(d, a, SD_handshake, sd_buf_span(&msg), plaintext, split ? (size_t)split->value : 0);
    const sd_mutation *record_version = driver_find_mutation(a, SD_MUT_RECORD_VERSION);
    if (record_version && !encrypted)
        driver_set_record_version(&d->rl.out, records_from, (uint16_t)record_version->value);
    uint64_t mutations = 0;
    uint16_t extension = 0;
    int extension_kind = SD_MUT_COUNT; /* the extension of the lowest kind of dup-, add-, drop-, flip-ext */
    bool placed_by_length = false;
    for (size_t i = 0; i < a->n_mutations && i < SD_MAX_MUTATIONS && !d->filler; i++) {
        const sd_mutation *m = &a->mutations[i];
        /* A signature names the deviations made, not the ones asked for
         * that changed nothing. */
        if (i < 32 && (unchanged >> i & 1)) continue;
        bool names_extension = m->kind == SD_MUT_ADD_EXT || m->kind == SD_MUT_DROP_EXT ||
                               m->kind == SD_MUT_DUP_EXT || m->kind == SD_MUT_FLIP_EXT;
        if (names_extension && (int)m->kind < extension_kind) {
            extension_kind = (int)m->kind;
            extension = (uint16_t)m->value;
        }
        mutations |= UINT64_C(1) << m->kind;
        bool flips = m->kind == SD_MUT_FLIP || m->kind == SD_MUT_FLIP_EXT || m->kind == SD_MUT_RECORD_FLIP;
        placed_by_length |=
            (flips && (m->offset == SD_OFFSET_MIDDLE || m->offset < 0)) || m->kind == SD_MUT_TRUNCATE;
    }
    sd_event sent = {.from = SD_FROM_PEER,
                     .kind = SD_EVENT_HANDSHAKE,
                     .code = wire_type,
                     .encrypted = encrypted,
                     .mutated = a->n_mutations > 0 && !d->filler,
                     .hrr = hrr,
                     .step = d->step,
                     .mutations = mutations,
                     .extension = extension,
                     .honest_length = (uint32_t)honest_length,
                     .placed_by_length = placed_by_length};
    record_event(d, &sent);
    const sd_credential *cred = (a->msg_type == SD_Certificate || a->msg_type == SD_CompressedCertificate) &&
                                        !driver_find_mutation(a, SD_MUT_EMPTY)
                                    ? driver_credential(d, a)
                                    : NULL;
    if (cred) {
        char name[160];
        bool stapled = !d->tls12 && driver_staples(d);
        snprintf(name, sizeof name, "%.63s%s%.63s", cred->name, stapled ? "," : "",
                 stapled ? d->cfg->staple : "");
        note_fixture(d, name);
    }
    if (a->msg_type == SD_CertificateStatus && d->tls12 && d->staple) note_fixture(d, d->cfg->staple);
    if ((a->msg_type == SD_CertificateVerify || a->msg_type == SD_ServerKeyExchange) && !d->filler &&
        d->out->n_events > 0 && !d->out->events_truncated) {
        /* Whose key signed: sign-with=, else the credential the action names. */
        const sd_mutation *sign_with = driver_find_mutation(a, SD_MUT_SIGN_WITH);
        const char *signer = sign_with ? sign_with->text : NULL;
        const sd_credential *c = signer ? NULL : driver_credential(d, a);
        if (c) signer = c->name;
        if (signer) d->out->events[d->out->n_events - 1].signer = fixture_index(d, signer);
    }
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
/* The payload of a send-raw: its bytes, then with fill= zero bytes up to
 * that many in all. */
static size_t raw_payload_len(const sd_action *a) { return a->fill > a->bytes_len ? a->fill : a->bytes_len; }

static void send_raw_record(driver *d, const sd_action *a) {
    sd_buf filled;
    sd_buf_init(&filled);
    sd_span payload = sd_span_of(a->bytes, a->bytes_len);
    if (a->fill > a->bytes_len) {
        sd_buf_append(&filled, a->bytes, a->bytes_len);
        for (size_t i = a->bytes_len; i < a->fill; i++) sd_buf_u8(&filled, 0);
        if (filled.failed) {
            driver_harness_failed(d, "out of memory filling a raw record");
            sd_buf_free(&filled);
            return;
        }
        payload = sd_buf_span(&filled);
    }
    if (d->rl.write.active && a->encrypted) {
        if (!sd_record_seal(&d->rl.write, a->content_type, payload, 0, &d->rl.out))
            driver_harness_failed(d, "cannot protect a raw record");
    } else
        sd_build_record(&d->rl.out, a->content_type, SD_TLS12, payload);
    sd_buf_free(&filled);
}

static const char *expected_name(uint16_t type) {
    if (type == SD_MSG_TYPE_HELLO_RETRY_REQUEST) return "HelloRetryRequest";
    return sd_handshake_type_name(type) ? sd_handshake_type_name(type) : "?";
}

/* --- Application data ------------------------------------------------------ */

/* SD_APP_HTTP: what each side says (RFC 1945): the driver as client asks for
 * the root page, as server answers any request with a short page. */
static const char http_request[] = "GET / HTTP/1.0\r\n\r\n";
static const char http_response[] =
    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n"
    "shakedown\n";

static bool connection_up(const driver *d) { return d->target_finished && d->driver_finished; }

static void send_appdata(driver *d, sd_span data) {
    sd_rl_send(&d->rl, SD_application_data, data, false, 0);
    add_event(d, SD_FROM_PEER, SD_EVENT_APPDATA, 0, 0, d->rl.write.active, false);
}

/* send-appdata with record-level mutations (record-flip=, cbc-padding=,
 * inner-padding=): the trace's data in records so changed, whatever the
 * stack does with application data (the record is the deviation). */
static void send_appdata_mutated(driver *d, const sd_action *a, sd_span data) {
    send_records(d, a, SD_application_data, data, a->force_plaintext, 0);
    uint64_t mutations = 0;
    for (size_t i = 0; i < a->n_mutations && i < SD_MAX_MUTATIONS; i++)
        mutations |= UINT64_C(1) << a->mutations[i].kind;
    sd_event sent = {.from = SD_FROM_PEER,
                     .kind = SD_EVENT_APPDATA,
                     .encrypted = d->rl.write.active && !a->force_plaintext,
                     .mutated = true,
                     .step = d->step,
                     .mutations = mutations};
    record_event(d, &sent);
}

/* send-appdata: the trace's bytes to a stack that echoes; a request or a
 * response to one that speaks HTTP; nothing, once the handshake is done, to
 * one that takes no application data. Data sent before the handshake is
 * done is the deviation a scenario tests, and goes out in every mode. */
static void run_send_appdata(driver *d, const sd_action *a) {
    sd_span data = sd_span_of(a->bytes, a->bytes_len);
    if (a->n_mutations) {
        send_appdata_mutated(d, a, data);
        return;
    }
    if (d->app == SD_APP_NONE && connection_up(d)) return;
    if (d->app == SD_APP_HTTP) {
        const char *text = d->role == SD_ROLE_CLIENT ? http_request : http_response;
        data = sd_span_of((const uint8_t *)text, strlen(text));
        if (d->role == SD_ROLE_CLIENT) d->http_requested = true;
    }
    send_appdata(d, data);
}

/* Passes over application data at the head of the queue: the rest of an
 * HTTP response that came in several records, or data a stack that was
 * meant to send none sent anyway. */
static void drop_appdata(driver *d) {
    while (d->q_len && d->queue[d->q_head].kind == SD_RL_APPDATA && !d->queue[d->q_head].unreadable) {
        d->q_head = (d->q_head + 1) % MAX_QUEUE;
        d->q_len--;
    }
}

/* --- Optional messages --------------------------------------------------- */

/* RFC 8879 §4: where the driver offered compress_certificate, the target
 * "MAY compress" its Certificate, so `expect Certificate` takes a
 * CompressedCertificate (checked in driver_keys.c) as well. */
static bool takes_compressed_certificate(const driver *d, const sd_action *a, const target_event *ev) {
    return !d->tls12 && d->cc_offered && a->msg_type == SD_Certificate &&
           ev->type == SD_CompressedCertificate;
}

/* Messages the RFCs let the target send where the trace expects another;
 * the driver takes them as an honest peer would and goes on waiting for
 * what the trace expects:
 *  - CertificateRequest, which a server may send whether or not the
 *    scenario planned client authentication (RFC 8446 §4.3.2, RFC 5246
 *    §7.4.4): the driver then owes an empty Certificate;
 *  - HelloRequest, which a TLS 1.2 client "will ignore ... if the client is
 *    currently negotiating a session" and may ignore after it (RFC 5246
 *    §7.4.1.1);
 *  - a TLS 1.3 KeyUpdate after the handshake (RFC 8446 §4.6.3), whose keys
 *    the driver has already moved (driver_keys.c);
 *  - a TLS 1.3 HelloRetryRequest where the ServerHello is expected, which
 *    the driver answers with a second ClientHello
 *    (answer_hello_retry_request).
 * The compatibility CCS and NewSessionTicket are taken in run_expect. */
static bool take_optional(driver *d, const sd_action *a, const target_event *ev) {
    bool expecting = a->kind == SD_ACT_EXPECT;
    if (expecting && ev->type == a->msg_type) return false;
    if (d->role == SD_ROLE_CLIENT && ev->type == SD_CertificateRequest && expecting &&
        (d->tls12 ? a->msg_type == SD_ServerHelloDone : a->msg_type == SD_Certificate)) {
        d->owe_empty_certificate = true;
        return true;
    }
    if (d->tls12 && d->role == SD_ROLE_CLIENT && ev->type == SD_HelloRequest) return true;
    if (!d->tls12 && ev->type == SD_KeyUpdate && connection_up(d)) {
        d->key_update_pending = d->key_update_owed = false;
        return true;
    }
    return false;
}

/* A ClientHello whose offer is the driver's own: no mutation, or only ones
 * that change how it is framed (the record version, records of another
 * size), never what it offers. */
static bool is_honest_client_hello(const sd_action *a) {
    if (a->kind != SD_ACT_SEND || a->msg_type != SD_ClientHello) return false;
    for (size_t i = 0; i < a->n_mutations && i < SD_MAX_MUTATIONS; i++)
        if (a->mutations[i].kind != SD_MUT_RECORD_VERSION && a->mutations[i].kind != SD_MUT_SPLIT)
            return false;
    return true;
}

/* RFC 8446 §4.1.4: "If a client receives a HelloRetryRequest, it MUST
 * respond with an updated ClientHello as specified in Section 4.1.2." A
 * server sends one whether or not the trace planned it, when it wants a
 * key share the ClientHello lacks (a server over TCP that prefers P-256,
 * say). Where the trace expects the ServerHello, the driver answers the
 * first one, if an honest client would (retry_is_answerable), with the
 * second ClientHello the planned `expect HelloRetryRequest` then `send
 * ClientHello` sends: driver_on_target_handshake has already put
 * message_hash of the first ClientHello and the HelloRetryRequest in the
 * transcript (§4.4.1), made a share in the group asked for and kept the
 * cookie (§4.2.2), and the ClientHello is built from that with none of the
 * first one's mutations (is_honest_client_hello: it had none that change
 * what it offers). It is the driver's own message, not the trace's: not
 * marked mutated. Then the driver waits for the ServerHello again. */
static bool answer_hello_retry_request(driver *d, const sd_action *a, const target_event *ev) {
    if (!ev->answerable_hrr || a->kind != SD_ACT_EXPECT || a->msg_type != SD_ServerHello) return false;
    sd_action hello = {.kind = SD_ACT_SEND, .line = a->line, .msg_type = SD_ClientHello};
    d->filler = true;
    do_send_handshake(d, &hello);
    d->filler = false;
    d->answered_hrr = true;
    deliver(d);
    check_for_refusal(d);
    /* The action is the expect: whether it was reached is up to what the
     * target answers. */
    d->action_delivered = d->action_delivered_late = false;
    return true;
}

/* RFC 8446 §4.4.2, RFC 5246 §7.4.6: a client asked for a certificate that
 * has none sends an empty Certificate first in its next flight. A TLS 1.3
 * compatibility CCS still comes before it (§D.4), and an alert goes instead
 * of the flight. The trace did not plan the request, so a Certificate it
 * sends is what it sends in the flight without one (a Certificate where the
 * Finished belongs, say): it comes after the empty one, and stays the
 * deviation it was written to be. */
static void answer_certificate_request(driver *d, const sd_action *a) {
    if (!d->owe_empty_certificate) return;
    bool starts_flight = a->kind == SD_ACT_SEND || a->kind == SD_ACT_SEND_APPDATA ||
                         a->kind == SD_ACT_SEND_RAW || a->kind == SD_ACT_RENEGOTIATE ||
                         (a->kind == SD_ACT_SEND_CCS && d->tls12);
    if (!starts_flight) return;
    d->owe_empty_certificate = false;
    sd_action empty = {.kind = SD_ACT_SEND, .line = a->line, .msg_type = SD_Certificate, .n_mutations = 1};
    empty.mutations[0].kind = SD_MUT_EMPTY;
    d->filler = true;
    do_send_handshake(d, &empty);
    d->filler = false;
    /* On its own, so that a stack that refuses it (one that requires a
     * certificate) is seen refusing it, before the action's own bytes. */
    deliver(d);
    check_for_refusal(d);
    d->action_delivered = d->action_delivered_late = false;
}

/* --- Expecting ------------------------------------------------------------ */

/* TLS 1.3 expect-ccs: the middlebox compatibility CCS is optional (RFC 8446
 * §D.4: "This mode is optional"; a client sends it "either ... before its
 * second ClientHello or before its encrypted handshake flight"), so a stack
 * that sends none where the trace allows one has not deviated. The
 * expectation is met without one when the target's next word is a
 * handshake message or application data (which stays for the next expect),
 * or when it said nothing and has not stopped; a CCS, an alert or a target
 * that stopped is read as any expect reads it. */
static bool compatibility_ccs_skipped(driver *d) {
    if (d->q_len) {
        const target_event *next = &d->queue[d->q_head];
        return next->kind == SD_RL_HANDSHAKE || next->kind == SD_RL_APPDATA;
    }
    sd_target_status st;
    read_status(d, &st);
    return !st.failed && st.alert_sent < 0;
}

static const char *wanted_name(const sd_action *a) {
    return a->kind == SD_ACT_EXPECT           ? expected_name(a->msg_type)
           : a->kind == SD_ACT_EXPECT_APPDATA ? "application data"
           : a->kind == SD_ACT_EXPECT_CCS     ? "ChangeCipherSpec"
                                              : "close_notify";
}

/* expect <hello> random=<hex>: the random of the hello the target sent must
 * end with those bytes. What a scenario checks a target's own choice with:
 * RFC 8446 §4.1.3, "TLS 1.3 servers which negotiate TLS 1.2 or below in
 * response to a ClientHello MUST set the last 8 bytes of their Random value
 * specially in their ServerHello". A random that does not is the target
 * answering other than the trace expected. */
static void check_expected_random(driver *d, const sd_action *a, const target_event *ev) {
    if (!a->bytes_len || a->bytes_len > SD_RANDOM_LEN) return;
    const uint8_t *tail = ev->random + SD_RANDOM_LEN - a->bytes_len;
    if (ev->has_random && memcmp(tail, a->bytes, a->bytes_len) == 0) return;
    char want[2 * SD_RANDOM_LEN + 1], got[2 * SD_RANDOM_LEN + 1] = "";
    for (size_t i = 0; i < a->bytes_len; i++) {
        snprintf(want + 2 * i, 3, "%02x", a->bytes[i]);
        if (ev->has_random) snprintf(got + 2 * i, 3, "%02x", tail[i]);
    }
    if (!ev->has_random)
        return end_run(d, SD_OUTCOME_DEVIATED,
                       "expected %s whose random ends %s, target sent one too short "
                       "to hold a random",
                       wanted_name(a), want);
    end_run(d, SD_OUTCOME_DEVIATED, "expected %s whose random ends %s, target's ends %s", wanted_name(a),
            want, got);
}

/* expect ServerHello psk=<n>|none: the target's ServerHello answered the
 * driver's PSK offer as the set allows (RFC 8446 §4.2.11: selected_identity
 * is "the server's chosen identity expressed as a (0-based) index"), read
 * from the wire, not from the target's word. */
static void check_expected_psk(driver *d, const sd_action *a, const target_event *ev) {
    if (!a->expect_psk || d->ended) return;
    if (ev->psk_index == -1 ? (a->expect_psk & SD_EXPECT_PSK_NONE)
                            : ev->psk_index >= 0 && ev->psk_index <= SD_EXPECT_PSK_MAX_INDEX &&
                                  (a->expect_psk >> ev->psk_index & 1))
        return;
    /* Every index and "none" fit: 15 x " or identity NN" + " or no pre_shared_key". */
    char want[256] = "", got[48];
    size_t n = 0;
    for (unsigned i = 0; i <= SD_EXPECT_PSK_MAX_INDEX && n < sizeof want; i++)
        if (a->expect_psk >> i & 1)
            n += (size_t)snprintf(want + n, sizeof want - n, "%sidentity %u", n ? " or " : "", i);
    if (a->expect_psk & SD_EXPECT_PSK_NONE && n < sizeof want)
        snprintf(want + n, sizeof want - n, "%sno pre_shared_key", n ? " or " : "");
    if (ev->psk_index == -1)
        snprintf(got, sizeof got, "has none");
    else if (ev->psk_index == -2)
        snprintf(got, sizeof got, "has a malformed one");
    else
        snprintf(got, sizeof got, "selects identity %d", ev->psk_index);
    end_run(d, SD_OUTCOME_DEVIATED, "expected ServerHello with %s, target's %s", want, got);
}

static void run_expect(driver *d, const sd_action *a) {
    collect(d);
    if (!check_alive(d)) return;
    /* if-full: a step of the full handshake alone, which a server that
     * selected the PSK leaves out (RFC 8446 §2.2). */
    if (a->kind == SD_ACT_EXPECT && a->if_full && d->target_selected_psk) return;
    /* if-announced: RFC 5077 §3.3, the NewSessionTicket "MUST NOT be sent
     * if the server did not include a SessionTicket extension in the
     * ServerHello"; when it did, the step stands ("MUST be sent"). */
    if (a->kind == SD_ACT_EXPECT && a->if_announced && !d->target_announced_ticket) return;
    if (a->kind == SD_ACT_EXPECT_CCS && !d->tls12 && compatibility_ccs_skipped(d)) return;
    target_event ev;
    for (;;) {
        if (!queue_pop(d, &ev)) {
            /* RFC 8446 §4.6.3: the answer to update_requested is due only
             * "prior to sending its next Application Data record": a stack
             * that sends none owes nothing yet, and one that has sent none
             * since owes it before its next (key_update_pending). */
            bool owed_key_update =
                a->kind == SD_ACT_EXPECT && a->msg_type == SD_KeyUpdate && !d->tls12 && d->key_update_owed;
            if (d->app == SD_APP_NONE && owed_key_update) {
                d->key_update_owed = false;
                return;
            }
            sd_target_status st;
            read_status(d, &st);
            if (owed_key_update && connection_up(d) && !st.failed && st.alert_sent < 0) {
                d->key_update_pending = true;
                d->key_update_owed = false; /* this expectation holds the one answer owed */
                return;
            }
            if (st.alert_sent >= 0) return end_from_status(d, "");
            /* A program that takes no application data (`gnutls-cli`)
             * may answer the driver's close_notify by ending the
             * connection without its own, which RFC 8446 §6.1 asks for:
             * that is the program's way to end, taken as the end here
             * (the in-process and shim runs of the stack check the
             * alert). */
            if (st.failed && a->kind == SD_ACT_EXPECT_CLOSE && d->app == SD_APP_NONE &&
                d->driver_sent_alert && connection_up(d)) {
                d->target_closed_as_expected = true;
                d->target_data_after_finished = true;
                return;
            }
            if (refused_renegotiation(d)) return end_with_alert(d, &d->warning12);
            if (st.failed)
                return end_run(d, SD_OUTCOME_CLOSED, "target gave up without an alert (%s)", st.error);
            return end_run(d, SD_OUTCOME_WAITING, "target sent nothing while the trace expected %s",
                           wanted_name(a));
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
        /* The KeyUpdate an earlier `expect KeyUpdate` let the target defer
         * (key_update_pending) is that expectation's answer, not this
         * one's: one update_requested is owed one KeyUpdate (§4.6.3). */
        if (ev.kind == SD_RL_HANDSHAKE && ev.type == SD_KeyUpdate && d->key_update_pending) {
            d->key_update_pending = false;
            continue;
        }
        if (ev.kind == SD_RL_HANDSHAKE && take_optional(d, a, &ev)) continue;
        if (ev.kind == SD_RL_HANDSHAKE && answer_hello_retry_request(d, a, &ev)) {
            if (d->ended) return;
            continue;
        }
        /* A stack that does not echo may still be sending the rest of its
         * answer when the driver waits for close_notify. */
        if (a->kind == SD_ACT_EXPECT_CLOSE && d->app != SD_APP_ECHO && ev.kind == SD_RL_APPDATA &&
            !ev.unreadable)
            continue;
        break;
    }
    if (ev.kind == SD_RL_ERROR) return end_from_status(d, ev.detail);
    if (d->key_update_pending && ev.kind == SD_RL_APPDATA)
        return end_run(d, SD_OUTCOME_DEVIATED, "expected KeyUpdate before application data, target sent %s",
                       ev.unreadable ? "a record protected under keys the driver does not hold"
                                     : "application data");
    if (ev.kind == SD_RL_ALERT) {
        if (a->kind == SD_ACT_EXPECT_CLOSE && ev.alert.description == SD_close_notify) {
            d->target_closed_as_expected = true;
            d->target_closed_unasked = false;
            /* Answering close_notify with its own, rather than with an
             * error, the target shows the connection was up. */
            if (connection_up(d)) d->target_data_after_finished = true;
            return;
        }
        if (ends_connection(d, &ev.alert)) return end_with_alert(d, &ev.alert);
        return end_run(d, SD_OUTCOME_CLOSED, "target closed the connection");
    }
    if (a->kind == SD_ACT_EXPECT && ev.kind == SD_RL_HANDSHAKE) {
        /* `expect ServerHello` takes a HelloRetryRequest too (it is one
         * on the wire); `expect HelloRetryRequest` only that. Once the
         * driver has answered one itself, another is not the ServerHello
         * it waits for: "If a client receives a second HelloRetryRequest in
         * the same connection ... it MUST abort" (§4.1.4), so the run
         * deviates there, for the oracle to judge. */
        if (a->msg_type == SD_MSG_TYPE_HELLO_RETRY_REQUEST
                ? ev.type == SD_ServerHello && ev.hrr
                : (ev.type == a->msg_type || takes_compressed_certificate(d, a, &ev)) &&
                      !(ev.hrr && d->answered_hrr)) {
            if (ev.type == SD_KeyUpdate) d->key_update_pending = d->key_update_owed = false;
            if (ev.fault)
                return end_run(d, SD_OUTCOME_DEVIATED, "expected %s, target's %s", wanted_name(a), ev.fault);
            check_expected_random(d, a, &ev);
            check_expected_psk(d, a, &ev);
            return;
        }
    }
    if (a->kind == SD_ACT_EXPECT_APPDATA && ev.kind == SD_RL_APPDATA && !ev.unreadable) {
        /* An HTTP response may come in several records: all of it is the
         * answer. */
        if (d->app == SD_APP_HTTP) {
            drop_appdata(d);
            d->http_requested = false;
            d->http_answered = true;
        }
        return;
    }
    if (a->kind == SD_ACT_EXPECT_CCS && ev.kind == SD_RL_CCS) return;
    const char *got = ev.kind == SD_RL_HANDSHAKE
                          ? (ev.hrr ? "HelloRetryRequest" : sd_handshake_type_name(ev.type))
                      : ev.unreadable            ? "a record protected under keys the driver does not hold"
                      : ev.kind == SD_RL_APPDATA ? "application data"
                      : ev.kind == SD_RL_CCS     ? "ChangeCipherSpec"
                                                 : "a record";
    /* A target that has since ended the connection is judged by how it
     * ended: what it sent first was queued before it read the input that
     * made it stop (a flight produced for the ClientHello, then an error
     * alert received), and how a stack batches its records must not
     * change the outcome. */
    sd_target_status st;
    read_status(d, &st);
    if (st.failed || st.alert_sent >= 0) return end_from_status(d, "");
    return end_run(d, SD_OUTCOME_DEVIATED, "expected %s, target sent %s", wanted_name(a),
                   got ? got : "unknown message");
}

/* expect-appdata: the echo, or the answer to the request the driver makes
 * now if none is out (HTTP answers only a request: after a raw record, say,
 * nothing was asked); a stack that takes no application data sends none,
 * and anything it sends anyway is passed over. */
static void run_expect_appdata(driver *d, const sd_action *a) {
    if (d->app == SD_APP_NONE) {
        collect(d);
        drop_appdata(d);
        return;
    }
    if (d->app == SD_APP_HTTP && d->role == SD_ROLE_CLIENT && !d->http_requested) {
        send_appdata(d, sd_span_of((const uint8_t *)http_request, strlen(http_request)));
        d->http_requested = true;
        deliver(d);
        check_for_refusal(d);
        if (d->ended) return;
    }
    if (d->app == SD_APP_HTTP && d->http_junk) {
        /* The request came after application data the scenario made up
         * (2^14 zero bytes, say): the HTTP server read it as part of the
         * request and may answer with an error, close, or wait for more.
         * That is the application's business; the record layer took the
         * data, which is what the scenario asks. Without an alert, the
         * expectation is passed over. */
        collect(d);
        if (!check_alive(d)) return;
        bool answered = false;
        for (size_t i = 0; i < d->q_len; i++) {
            const target_event *q = &d->queue[(d->q_head + i) % MAX_QUEUE];
            answered |= q->kind == SD_RL_APPDATA || q->kind == SD_RL_ERROR ||
                        (q->kind == SD_RL_ALERT && ends_connection(d, &q->alert));
        }
        if (!answered) {
            d->http_junk = false;
            d->http_requested = false;
            d->http_answered = true;
            return;
        }
    }
    run_expect(d, a);
}

static void run_action(driver *d, const sd_action *a) {
    answer_certificate_request(d, a);
    if (d->ended) return;
    switch (a->kind) {
    case SD_ACT_SEND:
        if (a->msg_type == SD_ClientHello) d->hello_offer_honest = is_honest_client_hello(a);
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
        /* RFC 8446 §5: the compatibility CCS is always sent in plaintext
         * (unless `encrypted`). RFC 5246 §6.1: a TLS 1.2 one goes under the
         * current write state, so a renegotiation's is protected by the
         * keys it replaces (unless `plaintext`). */
        static const uint8_t one = 1;
        bool plaintext = d->tls12 ? a->force_plaintext : !a->encrypted;
        sd_rl_send(&d->rl, SD_change_cipher_spec, sd_span_of(&one, 1), plaintext, 0);
        add_event(d, SD_FROM_PEER, SD_EVENT_CCS, 0, 0, d->rl.write.active && !plaintext, false);
        /* RFC 5246 §7.1: right after its CCS the sender's pending write
         * keys become current; with empty-master, the keys of a
         * CVE-2014-0224 peer instead. */
        if (d->tls12 && a->empty_master)
            driver_install_empty_master_keys12(d);
        else if (d->tls12)
            driver_install_keys12(d, &d->rl.write, d->role == SD_ROLE_CLIENT);
        break;
    }
    case SD_ACT_SEND_APPDATA:
        run_send_appdata(d, a);
        break;
    case SD_ACT_SEND_RAW:
        if (a->content_type == SD_application_data && connection_up(d)) d->http_junk = true;
        {
            send_raw_record(d, a);
            sd_event raw = {.from = SD_FROM_PEER,
                            .kind = SD_EVENT_RAW,
                            .code = a->content_type,
                            .encrypted = a->encrypted && d->rl.write.active,
                            .mutated = true,
                            .step = d->step,
                            .length = (uint32_t)raw_payload_len(a)};
            if (a->bytes_len)
                memcpy(raw.head, a->bytes, a->bytes_len < sizeof raw.head ? a->bytes_len : sizeof raw.head);
            record_event(d, &raw);
            break;
        }
    case SD_ACT_EXPECT_APPDATA:
        /* An expect reads; it has nothing to deliver and nothing more to
         * check than what it took. */
        return run_expect_appdata(d, a);
    case SD_ACT_EXPECT:
    case SD_ACT_EXPECT_CLOSE:
    case SD_ACT_EXPECT_CCS:
        return run_expect(d, a);
    case SD_ACT_CONNECTION:
        /* The run loop ends one connection and starts the next. */
        return;
    }
    deliver(d);
    check_for_refusal(d);
}

/* SD_APP_NONE: a stack that sends no application data may give no sign, in
 * TLS 1.2 as a client, that it took the server's Finished (it finished
 * first). The end of the connection is then the sign: the driver sends
 * close_notify (RFC 5246 §7.2.1), and an answer with its own, or the end of
 * the connection, without an alert, shows a connection that was up. */
static void close_quietly(driver *d) {
    if (d->app != SD_APP_NONE || !connection_up(d) || d->target_data_after_finished || d->driver_sent_alert)
        return;
    /* A target that ended the connection before the driver's close_notify
     * did so in answer to the trace's last message: a refusal without an
     * alert, not the end of an orderly close (gnutls-cli, given a TLS 1.2
     * handshake message after the handshake, prints "An unexpected TLS
     * packet was received" and closes its socket at once). */
    collect(d);
    if (!check_alive(d)) return;
    sd_target_status st;
    read_status(d, &st);
    if (st.failed && st.alert_sent < 0 && !d->q_len)
        return end_run(d, SD_OUTCOME_CLOSED, "target closed the connection without an alert (%s)", st.error);
    uint8_t body[2] = {SD_ALERT_LEVEL_WARNING, SD_close_notify};
    sd_rl_send(&d->rl, SD_alert, sd_span_of(body, 2), false, 0);
    add_event(d, SD_FROM_PEER, SD_EVENT_ALERT, SD_close_notify, SD_ALERT_LEVEL_WARNING, d->rl.write.active,
              false);
    d->driver_sent_alert = true;
    deliver(d);
    check_for_refusal(d);
    if (d->ended) return;
    sd_action close = {.kind = SD_ACT_EXPECT_CLOSE};
    run_expect(d, &close);
    if (d->ended) return;
    d->target_data_after_finished = true;
}

/* --- What a stack over TCP was not set up for --------------------------------
 * A stack in process is configured for each scenario (sd_target_config), so
 * it refuses nothing the configuration asked of it without it being a
 * finding. A stack over TCP runs as its program was started, and the wire
 * is all there is to tell a setup it lacks from a fault: these endings
 * say, by the RFC's own words, that the stack lacks what the scenario needs,
 * so the scenario cannot run on it (SKIP), as an unsupported configuration
 * cannot in process. */

static bool offered(const driver *d, uint16_t suite) {
    for (size_t i = 0; i < d->n_peer_suites; i++)
        if (d->peer_suites[i] == suite) return true;
    return false;
}

/* Over TCP, a peer that said nothing at all on the connection, and neither
 * closed it nor refused, is a HANG, whatever the driver sent first: the
 * wire cannot tell a peer that waits for more from one that answers
 * nothing (a ChangeCipherSpec before the ClientHello, which a server may
 * not wait on, RFC 8446 §5, is met with the same silence by a dead
 * server as by one that ignores it). */
static void silence_is_a_hang(sd_outcome *o) {
    if (o->kind != SD_OUTCOME_WAITING || o->events_truncated) return;
    for (size_t i = 0; i < o->n_events; i++)
        if (o->events[i].from == SD_FROM_TARGET) return;
    o->kind = SD_OUTCOME_HANG;
    snprintf(o->detail, sizeof o->detail, "the peer said nothing at all on this connection");
}

static void explain_from_wire(driver *d, const sd_trace *trace) {
    sd_outcome *o = d->out;
    /* A crash or a hang stays what it is, whatever the setup. */
    if (o->kind == SD_OUTCOME_CRASH || o->kind == SD_OUTCOME_HANG || o->kind == SD_OUTCOME_HARNESS_ERROR ||
        o->kind == SD_OUTCOME_UNSUPPORTED)
        return;
    const sd_run_config *cfg = d->cfg;
    const char *version = d->tls12 ? "TLS 1.2" : "TLS 1.3";
    const sd_action *at =
        o->step >= 0 && (size_t)o->step < trace->n_actions ? &trace->actions[o->step] : NULL;
    char what[200];
    what[0] = '\0';
    if (d->role == SD_ROLE_CLIENT && o->kind == SD_OUTCOME_ALERT && at && is_honest_client_hello(at) &&
        o->step == 0 &&
        (o->alert == SD_handshake_failure || o->alert == SD_insufficient_security ||
         o->alert == SD_protocol_version)) {
        /* RFC 8446 §4.1.1: a server with no parameters in common "MUST
         * abort the handshake with either a "handshake_failure" or an
         * "insufficient_security" alert"; RFC 5246 §7.4.1.3 the same for a
         * suite; protocol_version for a version it does not support (RFC
         * 8446 §4.2.1, RFC 5246 Appendix E.1). */
        const char *suite = d->tls12 && cfg->cipher_suite ? sd_cipher_suite_name(cfg->cipher_suite) : NULL;
        snprintf(what, sizeof what,
                 "the server refused the driver's honest %s ClientHello%s%s with %s: it is not "
                 "set up for what this scenario offers",
                 version, suite ? " offering only " : "", suite ? suite : "", sd_alert_name(o->alert));
    } else if (d->role == SD_ROLE_CLIENT && cfg->client_auth != SD_CLIENT_AUTH_NONE &&
               o->kind == SD_OUTCOME_DEVIATED && at && at->kind == SD_ACT_EXPECT &&
               at->msg_type == SD_CertificateRequest) {
        snprintf(what, sizeof what,
                 "the server did not ask for a client certificate: this scenario needs a server "
                 "set up to %s one",
                 cfg->client_auth == SD_CLIENT_AUTH_REQUIRE ? "require" : "request");
    } else if (d->role == SD_ROLE_SERVER && cfg->client_auth != SD_CLIENT_AUTH_NONE &&
               d->target_sent_empty_certificate &&
               (o->kind == SD_OUTCOME_DEVIATED || o->kind == SD_OUTCOME_WAITING)) {
        snprintf(what, sizeof what,
                 "the client answered the CertificateRequest with an empty Certificate: this "
                 "scenario needs a client set up with the fixture's client certificate");
    } else if (d->role == SD_ROLE_SERVER && cfg->client_auth == SD_CLIENT_AUTH_NONE &&
               !cfg->target_client_credential && d->target_sent_certificate &&
               (o->kind == SD_OUTCOME_DEVIATED || o->kind == SD_OUTCOME_WAITING)) {
        snprintf(what, sizeof what,
                 "the client answered the CertificateRequest with a certificate: this scenario needs a "
                 "client set up without one");
    } else if (d->role == SD_ROLE_SERVER && d->tls12 && cfg->cipher_suite && d->n_peer_suites &&
               !offered(d, cfg->cipher_suite)) {
        snprintf(what, sizeof what, "the client did not offer %s, the one suite this scenario runs",
                 sd_cipher_suite_name(cfg->cipher_suite) ? sd_cipher_suite_name(cfg->cipher_suite) : "?");
    }
    if (!what[0]) return;
    o->kind = SD_OUTCOME_UNSUPPORTED;
    snprintf(o->detail, sizeof o->detail, "%s", what);
}

/* --- Connections ------------------------------------------------------------ */

/* Creates this connection's target and lets it speak first (a client). */
static void start_connection(driver *d, const sd_target_config *tc) {
    sd_target_error err = {0};
    if (!(d->target = d->cfg->stack->create(tc, &err))) {
        if (err.unsupported)
            end_run(d, SD_OUTCOME_UNSUPPORTED, "%s", err.text);
        else
            end_run(d, SD_OUTCOME_HARNESS_ERROR, "cannot configure %s: %s", d->cfg->stack->name, err.text);
        return;
    }
    sd_target_status first;
    d->target->ops->status(d->target, &first);
    d->app = first.app;
    d->target->ops->start(d->target);
    check_for_refusal(d);
}

/* The trace ran to its end: the target's last word decides. */
static void finish_run(driver *d) {
    check_for_refusal(d);
    if (!d->ended) close_quietly(d);
    /* HTTP/1.0 ends the connection after the response (RFC 1945 §1.3): a
     * server that does so with close_notify once it has answered closes as
     * the application says, not unasked. */
    if (d->app == SD_APP_HTTP && d->http_answered && d->target_closed_unasked) {
        d->target_closed_unasked = false;
        d->target_closed_as_expected = true;
    }
    if (d->ended) return;
    sd_target_status st;
    read_status(d, &st);
    /* The wire has the last word over a status that still says "done": a
     * target that completed and then failed or closed on its own did not
     * complete the trace. */
    if (st.alert_sent >= 0)
        end_from_status(d, "");
    else if (refused_renegotiation(d))
        end_with_alert(d, &d->warning12);
    /* Over TCP the transport closes after the close_notify exchange the
     * trace asked for: that is the normal end. */
    else if (st.failed && !(st.wire_only && d->target_closed_as_expected))
        end_run(d, SD_OUTCOME_CLOSED, "target stopped without an alert%s (%s)",
                st.handshake_done ? " after the handshake" : "", st.error);
    else if (d->last_was_warning12)
        end_with_alert(d, &d->warning12);
    else if (d->target_closed_unasked)
        end_run(d, SD_OUTCOME_CLOSED, "target sent close_notify%s that the trace did not expect",
                st.handshake_done ? " after the handshake" : "");
    else if (st.handshake_done)
        end_run(d, SD_OUTCOME_COMPLETED, "handshake completed");
    else
        end_run(d, SD_OUTCOME_WAITING, "target neither completed nor refused");
}

/* `connection`: the connection so far must have completed (a later one
 * resumes what it set up; one that did not complete set up nothing, and
 * the run ends there), and ends as RFC 8446 §6.1 and RFC 5246 §7.2.1 end
 * one: close_notify, the answer taken or not. Tickets the target sent and
 * the trace did not wait for are kept all the same (collect). */
static void end_connection(driver *d, int next) {
    check_for_refusal(d);
    if (d->ended) return;
    /* A TLS 1.2 client with no application data that finished first has
     * shown no sign yet of taking the driver's Finished: the close_notify
     * exchange is the sign, and ends the connection as below. */
    close_quietly(d);
    if (d->ended) return;
    sd_target_status st;
    read_status(d, &st);
    if (!st.handshake_done || !connection_up(d))
        return end_run(d, st.failed ? SD_OUTCOME_CLOSED : SD_OUTCOME_WAITING,
                       "connection %d did not complete before connection %d began", next, next + 1);
    driver_keep_session12(d);
    if (!d->driver_sent_alert) {
        uint8_t body[2] = {SD_ALERT_LEVEL_WARNING, SD_close_notify};
        sd_rl_send(&d->rl, SD_alert, sd_span_of(body, 2), false, 0);
        add_event(d, SD_FROM_PEER, SD_EVENT_ALERT, SD_close_notify, SD_ALERT_LEVEL_WARNING,
                  d->rl.write.active, false);
        d->driver_sent_alert = true;
        deliver(d);
        collect(d);
        check_alive(d);
    }
}

/* The per-connection state an honest peer drops with the connection. */
static void free_connection(driver *d) {
    sd_rl_free(&d->rl);
    sd_buf_free(&d->peer_share);
    free(d->peer_sigalgs);
    d->peer_sigalgs = NULL;
    d->n_peer_sigalgs = 0;
    sd_buf_free(&d->ticket12_new);
    sd_buf_free(&d->half_rtt_ticket);
    EVP_PKEY_free(d->server_key12);
    d->server_key12 = NULL;
    OPENSSL_cleanse(&d->master, sizeof d->master);
    OPENSSL_cleanse(&d->keys12, sizeof d->keys12);
    OPENSSL_cleanse(&d->ks, sizeof d->ks);
}

/* A new connection: the old target goes, and the driver starts afresh but
 * for what the whole run keeps (its randomness, the outcome, what it kept
 * to resume). */
static void next_connection(driver *d, int connection) {
    if (d->target) d->target->ops->destroy(d->target);
    free_connection(d);
    driver keep = *d;
    memset(d, 0, sizeof *d);
    d->cfg = keep.cfg;
    d->out = keep.out;
    d->rng = keep.rng;
    d->step = keep.step;
    d->role = keep.role;
    d->tls12 = keep.tls12;
    d->staple = keep.staple;
    d->session = keep.session;
    d->several_connections = keep.several_connections;
    d->connection = connection;
    d->psk_selected = -1;
    sd_rl_init(&d->rl);
    sd_buf_init(&d->peer_share);
    sd_buf_init(&d->ticket12_new);
    sd_rng_bytes(&d->rng, d->client_random, SD_RANDOM_LEN);
    if (d->role == SD_ROLE_CLIENT && !d->tls12) {
        d->session_id_len = 32;
        sd_rng_bytes(&d->rng, d->session_id, d->session_id_len);
    }
    /* RFC 5246 §7.4.1.2: a TLS 1.2 client that kept a session offers its
     * id to resume it. With a ticket (build_client_hello12 offers it), RFC
     * 5077 §3.4: "the client MAY generate and include a Session ID", which
     * a server that accepts the ticket echoes ("This allows the client to
     * easily differentiate when the server is resuming a session from when
     * it is falling back to a full handshake"), so the driver does. */
    if (d->role == SD_ROLE_CLIENT && d->tls12 && d->session->have_session12) {
        if (d->session->ticket12.len) {
            d->session_id_len = 32;
            sd_rng_bytes(&d->rng, d->session_id, d->session_id_len);
        } else {
            memcpy(d->session_id, d->session->session_id12, d->session->session_id12_len);
            d->session_id_len = d->session->session_id12_len;
        }
    }
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
    cfg->target_min_version = s->min_version;
    cfg->target_max_version = s->max_version;
    if (s->credential[0]) {
        cfg->driver_credential = s->credential;
        if (s->role == SD_ROLE_SERVER) cfg->target_credential = s->credential;
    }
    cfg->cipher_suite = s->cipher_suite;
    cfg->client_auth = s->client_auth;
    cfg->session_tickets = s->session_tickets;
    cfg->early_data = s->early_data;
    cfg->renegotiation = s->renegotiation;
    cfg->renegotiation_stated = s->renegotiation_stated;
    cfg->target_groups = s->n_groups ? s->groups : NULL;
    cfg->n_target_groups = s->n_groups;
    cfg->target_alpn = sd_span_of(s->alpn, s->alpn_len);
    cfg->record_size_limit = s->record_size_limit;
    cfg->max_fragment_length = s->max_fragment_length;
    cfg->encrypt_then_mac = s->encrypt_then_mac;
    cfg->cert_compression = s->n_cert_compression ? s->cert_compression : NULL;
    cfg->n_cert_compression = s->n_cert_compression;
    cfg->target_sigalgs = s->n_sigalgs ? s->sigalgs : NULL;
    cfg->n_target_sigalgs = s->n_sigalgs;
    cfg->staple = s->staple[0] ? s->staple : NULL;
    cfg->target_client_credential = s->client_credential[0] ? s->client_credential : NULL;
}

void sd_driver_run(const sd_trace *trace, const sd_run_config *cfg, sd_outcome *out) {
    double start = sd_now_ms();
    sd_outcome_init(out);
    out->target_is_server = cfg->target_role == SD_ROLE_SERVER;
    out->configured_version = cfg->version;
    out->configured_min_version = cfg->target_min_version;
    out->configured_max_version = cfg->target_max_version;
    out->configured_client_auth = (uint8_t)cfg->client_auth;
    driver d;
    memset(&d, 0, sizeof(d));
    d.cfg = cfg;
    d.out = out;
    d.step = -1;
    d.role = cfg->target_role == SD_ROLE_CLIENT ? SD_ROLE_SERVER : SD_ROLE_CLIENT;
    d.psk_selected = -1;
    sd_rl_init(&d.rl);
    sd_buf_init(&d.peer_share);
    sd_buf_init(&d.ticket12_new);
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
        /* The driver speaks one version; the target those it was given,
         * which may be more (RFC 8446 §4.1.3: a TLS 1.3-capable server
         * that negotiates TLS 1.2 says so in its random) or others. */
        .min_version = cfg->target_min_version ? cfg->target_min_version : cfg->version,
        .max_version = cfg->target_max_version ? cfg->target_max_version : cfg->version,
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
        .groups = cfg->target_groups,
        .n_groups = cfg->n_target_groups,
        .sigalgs = cfg->target_sigalgs,
        .n_sigalgs = cfg->n_target_sigalgs,
        .alpn = cfg->target_alpn,
        .record_size_limit = cfg->record_size_limit,
        .max_fragment_length = cfg->max_fragment_length,
        .encrypt_then_mac = cfg->encrypt_then_mac,
        .client_auth = cfg->target_role == SD_ROLE_SERVER ? cfg->client_auth : SD_CLIENT_AUTH_NONE,
        .session_tickets = cfg->session_tickets,
        .renegotiation = cfg->renegotiation,
        .max_early_data = cfg->early_data && cfg->target_role == SD_ROLE_SERVER ? SD_EARLY_DATA_MAX : 0,
        .early_data = cfg->early_data && cfg->target_role == SD_ROLE_CLIENT
                          ? sd_span_of((const uint8_t *)SD_EARLY_DATA_TEXT, strlen(SD_EARLY_DATA_TEXT))
                          : sd_span_of(NULL, 0),
        .request_ocsp = cfg->target_role == SD_ROLE_CLIENT && cfg->staple != NULL,
        .max_handshake_message = cfg->max_handshake_message,
        .max_post_handshake_message = cfg->max_post_handshake_message,
        .psk_first_identity_only = cfg->psk_first_identity_only,
        .skip_signature_algorithms_cert = cfg->skip_signature_algorithms_cert,
        /* A client under test shows the credential named for it, or with
         * client-auth the fixture's "client"; else an empty Certificate. */
        .client_credential = cfg->target_role != SD_ROLE_CLIENT ? NULL
                             : cfg->target_client_credential
                                 ? sd_pki_find(cfg->pki, cfg->target_client_credential)
                             : cfg->client_auth != SD_CLIENT_AUTH_NONE ? sd_pki_find(cfg->pki, "client")
                                                                       : NULL,
    };
    for (size_t i = 0; i < cfg->n_cert_compression && i < SD_MAX_CERT_COMPRESSION; i++)
        tc.cert_compression[tc.n_cert_compression++] = cfg->cert_compression[i];
    int not_made = -1; /* the first action whose deviation could not be made */
    const char *not_made_why = NULL;
    bool gave_up = false;
    d.staple = cfg->staple ? sd_pki_der(cfg->pki, cfg->staple) : NULL;
    /* Several connections (trace.h): each against a new target of the
     * stack set up alike, so that a server keeps what it needs to resume
     * (the ticket key from ticket_seed, the TLS 1.2 session cache) while
     * its randoms and key shares change from one connection to the next;
     * a client resumes the session it exported. */
    size_t n_connections = sd_trace_connections(trace);
    driver_session session;
    memset(&session, 0, sizeof session);
    sd_buf_init(&session.ticket);
    sd_buf_init(&session.ticket12);
    sd_buf_init(&session.replay_hello);
    d.session = &session;
    d.several_connections = n_connections > 1;
    sd_session_cache *cache = NULL;
    sd_buf resume;
    sd_buf_init(&resume);
    if (n_connections > 1) {
        tc.ticket_seed = cfg->seed ? cfg->seed : 1;
        tc.several_connections = true;
        if (cfg->target_role == SD_ROLE_SERVER) tc.session_cache = cache = sd_session_cache_new();
    }
    if (cfg->target_role == SD_ROLE_SERVER && !tc.credential) {
        end_run(&d, SD_OUTCOME_HARNESS_ERROR, "no credential \"%s\" in the PKI", cfg->target_credential);
    } else if (cfg->staple && !d.staple) {
        end_run(&d, SD_OUTCOME_HARNESS_ERROR, "no file \"%s.der\" in the PKI to staple", cfg->staple);
    } else if (n_connections > 1 && cfg->target_role == SD_ROLE_SERVER &&
               !cfg->stack->resumes_across_targets) {
        end_run(&d, SD_OUTCOME_UNSUPPORTED,
                "a trace of %zu connections: %s starts each connection afresh, with no session cache or "
                "ticket key of the last, so it cannot resume",
                n_connections, cfg->stack->name);
    } else if (n_connections > 1 && cfg->target_role == SD_ROLE_CLIENT && !cfg->stack->export_session) {
        end_run(&d, SD_OUTCOME_UNSUPPORTED,
                "a trace of %zu connections: %s cannot hand over a client's session to resume", n_connections,
                cfg->stack->name);
    } else if (cfg->renegotiation_stated && !cfg->stack->sets_renegotiation) {
        end_run(&d, SD_OUTCOME_UNSUPPORTED, "renegotiation %s: %s cannot be set up to allow or refuse it",
                cfg->renegotiation ? "allowed" : "refused", cfg->stack->name);
    } else if (n_connections > 1 && !cache && cfg->target_role == SD_ROLE_SERVER) {
        end_run(&d, SD_OUTCOME_HARNESS_ERROR, "out of memory for the session cache");
    } else {
        size_t begin = 0;
        for (int connection = 0; !d.ended && begin <= trace->n_actions; connection++) {
            size_t end = begin;
            while (end < trace->n_actions && trace->actions[end].kind != SD_ACT_CONNECTION) end++;
            if (connection > 0) {
                /* The `connection` action: the last connection ends as an
                 * honest peer ends it, and the next begins. */
                d.step = (int)begin - 1;
                out->line = trace->actions[begin - 1].line;
                d.action_delivered = d.action_delivered_late = false;
                end_connection(&d, connection);
                if (!d.ended && cfg->target_role == SD_ROLE_CLIENT) {
                    /* RFC 8446 §2.2, RFC 5077: the client resumes what it
                     * kept; a client that kept nothing makes a full
                     * handshake, and the trace shows where. */
                    sd_buf_reset(&resume);
                    if (!d.target->ops->export_session(d.target, &resume)) sd_buf_reset(&resume);
                    tc.resume_session = sd_buf_span(&resume);
                }
                if (!d.ended) {
                    next_connection(&d, connection);
                    tc.seed = cfg->seed + (uint64_t)connection;
                }
                if (!gave_up && not_made < 0 && !d.ended) out->reached = (int)begin - 1;
                if (d.ended) break;
            }
            start_connection(&d, &tc);
            for (size_t i = begin; i < end && !d.ended; i++) {
                d.step = (int)i;
                out->line = trace->actions[i].line;
                d.action_delivered = d.action_delivered_late = false;
                d.deviation_not_made = false;
                d.not_made_why = NULL;
                run_action(&d, &trace->actions[i]);
                if (d.harness_error[0]) end_run(&d, SD_OUTCOME_HARNESS_ERROR, "%s", d.harness_error);
                /* Reached: its bytes went to a target still in the
                 * connection, or, for an action that sends nothing, the
                 * run went on past it. Nothing after a send the target no
                 * longer read counts, nor anything from a deviation that
                 * could not be made on: the run no longer plays the
                 * trace's plan. */
                gave_up |= d.action_delivered_late || d.harness_error[0];
                if (d.deviation_not_made && not_made < 0) {
                    not_made = (int)i;
                    not_made_why = d.not_made_why;
                }
                if (!gave_up && not_made < 0 && (d.action_delivered || !d.ended)) out->reached = (int)i;
            }
            begin = end + 1;
        }
        if (!d.ended) finish_run(&d);
    }
    out->honest_not_made = not_made >= 0 && not_made_why;
    if (not_made >= 0) {
        size_t n = strlen(out->detail);
        if (not_made_why)
            snprintf(out->detail + n, sizeof(out->detail) - n, " (step %d not played as the trace means: %s)",
                     not_made, not_made_why);
        else
            snprintf(out->detail + n, sizeof(out->detail) - n,
                     " (step %d's mutations changed nothing: the message had nothing they edit)", not_made);
    }
    if (d.target) {
        sd_target_status st;
        read_status(&d, &st);
        if (st.wire_only) {
            silence_is_a_hang(out);
            explain_from_wire(&d, trace);
        }
        out->handshake_done = st.handshake_done;
        out->wire_only = st.wire_only;
        out->peer_authenticated = st.peer_authenticated;
        out->resumed = st.resumed;
        out->version = st.version;
        out->cipher_suite = st.cipher_suite;
        out->group = st.group;
        out->connections = (uint8_t)(d.connection + 1);
        if (st.error[0] && out->kind != SD_OUTCOME_COMPLETED) {
            size_t n = strlen(out->detail);
            snprintf(out->detail + n, sizeof(out->detail) - n, " [%s: %s]", cfg->stack->name, st.error);
        }
        d.target->ops->destroy(d.target);
    }
    free_connection(&d);
    sd_session_cache_free(cache);
    sd_buf_free(&resume);
    OPENSSL_cleanse(session.psk, sizeof session.psk);
    OPENSSL_cleanse(session.master12, sizeof session.master12);
    sd_buf_free(&session.ticket);
    sd_buf_free(&session.ticket12);
    sd_buf_free(&session.replay_hello);
    OPENSSL_cleanse(&session.replay_share, sizeof session.replay_share);
    OPENSSL_cleanse(session.replay_psk, sizeof session.replay_psk);
    out->elapsed_ms = sd_now_ms() - start;
}
