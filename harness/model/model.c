/* model.c — the model's public API (model.h) and its dispatch: a strict
 * TLS 1.3 and TLS 1.2 endpoint, client or server, sans-IO.
 *
 * One loop (sd_model_feed) takes records from the record layer. Each
 * handshake message has its place checked in the shape tables
 * (sequences.c) first, then goes to the handler for its step in the table
 * of the negotiated version (model_tls13 in tls13.c, model_tls12 in
 * tls12.c); ClientHello and ServerHello settle that version here, before
 * their handler runs. After a handler accepts a message, the model sends
 * every message the shape says is its own next, through the same table.
 * The first error sticks: the model sends one fatal alert and then ignores
 * all input, as RFC 8446 §6 requires ("MUST NOT allow any further data to
 * be sent or received on the connection"). */
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/mem.h>
#include <openssl/sha.h>

#include "model/model_state.h"
#include "wire/handshake.h"
#include "wire/names.h"
#include "wire/tls12.h"

static const char *const phase_names[] = {"start", "handshake", "connected", "closed", "failed"};

/* RFC 8446 §5: an unprotected CCS "MUST simply be dropped". Bounded, as
 * BoringSSL bounds empty records, so that a peer cannot keep us busy forever
 * (CVE-2020-12457). */
#define MAX_IGNORED_CCS 32

/* --- Dispatch ------------------------------------------------------------- */

static sd_role peer_role(const sd_model *m) {
    return m->cfg.role == SD_ROLE_CLIENT ? SD_ROLE_SERVER : SD_ROLE_CLIENT;
}

/* The negotiated version's table. Before a version is negotiated, TLS
 * 1.3's: its ClientHello offers TLS 1.2 as well (RFC 8446 §4.1.2, §D), and
 * only a TLS 1.3 client reads a HelloRetryRequest. */
static const model_version *version_table(const sd_model *m) {
    return m->version == SD_TLS12 ? &model_tls12 : &model_tls13;
}

/* Whether RFC 5246's rules apply: TLS 1.2 is negotiated, or is the only
 * version this endpoint speaks (max_version TLS 1.2), so that it is TLS 1.2
 * from the first byte on, as a TLS 1.3-capable endpoint applies RFC 8446
 * from its first byte. */
static bool speaks_tls12(const sd_model *m) {
    return m->version == SD_TLS12 || (m->version == 0 && m->cfg.max_version < SD_TLS13);
}

static const model_step *find_step(const sd_model *m, uint16_t msg) {
    const model_version *v = version_table(m);
    for (size_t i = 0; i < v->n_steps; i++)
        if (v->steps[i].msg == msg) return &v->steps[i];
    return NULL;
}

/* Sends every message the shape says is ours next. */
static void send_own_flight(sd_model *m) {
    while (!model_failed(m) && m->pos < m->shape->n_steps && m->shape->steps[m->pos].from == m->cfg.role) {
        uint16_t msg = m->shape->steps[m->pos].msg;
        const model_step *step = find_step(m, msg);
        if (step && step->send)
            step->send(m);
        else
            model_fatal(m, SD_internal_error, "no way to send message %u", msg);
        m->pos++;
    }
    if (!model_failed(m) && m->pos == m->shape->n_steps && m->phase == PHASE_HANDSHAKE) {
        m->phase = PHASE_CONNECTED;
        m->st.handshake_done = true;
        const model_version *v = version_table(m);
        if (v->on_handshake_done) v->on_handshake_done(m);
    }
}

/* Moves to the shape in which `step` from the peer comes next. RFC 8446
 * §4: "A peer which receives a handshake message in an unexpected order
 * MUST abort the handshake with an "unexpected_message" alert"; §6.2
 * unexpected_message: "An inappropriate message (e.g., the wrong handshake
 * message ...) was received." False after that alert. */
static bool accept_step(sd_model *m, uint16_t step) {
    const sd_shape *next = sd_shape_accept(m->shape, m->pos, peer_role(m), step);
    if (!next) {
        const char *want = m->pos < m->shape->n_steps ? sd_step_name(m->shape->steps[m->pos].msg) : "nothing";
        model_fatal(m, SD_unexpected_message, "%s received where %s was expected", sd_step_name(step), want);
        return false;
    }
    m->shape = next;
    return true;
}

/* Hands an accepted step to the version's handler, then sends what
 * follows it. */
static void receive_step(sd_model *m, uint16_t step, const model_received *in) {
    const model_step *handler = find_step(m, step);
    if (handler && handler->on_receive)
        handler->on_receive(m, in);
    else
        model_fatal(m, SD_unexpected_message, "message %u has no handler", step);
    if (model_failed(m)) return;
    /* RFC 5246 §6.2.1: TLS 1.2 alerts may be fragmented or coalesced, and
     * records of other types may come between fragments. */
    m->rl.tls12_records = speaks_tls12(m);
    m->pos++;
    send_own_flight(m);
}

/* --- Version negotiation ------------------------------------------------------ */

/* The SSL 3.0 version number (RFC 6101), which RFC 8446 §D.5 and RFC 7568
 * §3 have refused in any hello. */
enum { kSsl3 = 0x0300 };

/* RFC 7507 §6: TLS_FALLBACK_SCSV, {0x56, 0x00}, a cipher suite value a
 * client retrying with a lower version than it supports adds. */
enum { kTlsFallbackScsv = 0x5600 };

/* Server: the version to speak, or 0 after a fatal alert. RFC 8446 §4.2.1:
 * "If this extension is present in the ClientHello, servers MUST NOT use the
 * ClientHello.legacy_version value for version negotiation and MUST use only
 * the "supported_versions" extension"; without it the client offers at most
 * legacy_version (RFC 5246 §7.4.1.2). Either way, no common version is
 * protocol_version (§6.2). */
static uint16_t negotiate_version(sd_model *m, const sd_client_hello *ch) {
    uint8_t alert;
    sd_span body;
    bool tls13_ok = m->cfg.max_version >= SD_TLS13, tls12_ok = m->cfg.min_version <= SD_TLS12;
    if (ch->has_extensions && !sd_extensions_check(ch->extensions, &alert)) {
        model_fatal(m, alert, "malformed ClientHello extensions");
        return 0;
    }
    /* §D.5: "Any endpoint receiving a Hello message with
     * ClientHello.legacy_version or ServerHello.legacy_version set to 0x0300
     * MUST abort the handshake with a "protocol_version" alert." The one
     * value of legacy_version a server may not ignore when
     * supported_versions is there (§4.2.1). */
    if (ch->legacy_version == kSsl3) {
        model_fatal(m, SD_protocol_version, "ClientHello legacy_version is SSL 3.0");
        return 0;
    }
    if (ch->has_extensions && sd_extensions_find(ch->extensions, SD_supported_versions, &body)) {
        sd_u16_list versions;
        if (!sd_parse_supported_versions_ch(body, &versions, &alert)) {
            model_fatal(m, alert, "malformed supported_versions");
            return 0;
        }
        if (tls13_ok && sd_u16_list_contains(versions, SD_TLS13)) return SD_TLS13;
        if (tls12_ok && sd_u16_list_contains(versions, SD_TLS12)) return SD_TLS12;
    } else if (tls12_ok && ch->legacy_version >= SD_TLS12) {
        return SD_TLS12;
    }
    model_fatal(m, SD_protocol_version, "no protocol version in common");
    return 0;
}

/* Server: reads a ClientHello and sets the version that answers it
 * (m->version). False after a fatal alert. */
static bool read_client_hello(sd_model *m, sd_span body, bool second, sd_client_hello *ch) {
    uint8_t alert;
    if (!sd_parse_client_hello(body, ch, &alert)) {
        model_fatal(m, alert, "malformed ClientHello");
        return false;
    }
    /* A second ClientHello answers our HelloRetryRequest: the version that
     * sent it checks that the client repeated itself. */
    const model_version *asked = version_table(m);
    if (second && asked->check_second_client_hello && !asked->check_second_client_hello(m, ch)) return false;
    uint16_t version = negotiate_version(m, ch);
    if (!version) return false;
    /* RFC 7507 §3: "If TLS_FALLBACK_SCSV appears in ClientHello.cipher_suites
     * and the highest protocol version supported by the server is higher
     * than the version indicated in ClientHello.client_version, the server
     * MUST respond with a fatal inappropriate_fallback alert (unless it
     * responds with a fatal protocol_version alert because the version
     * indicated in ClientHello.client_version is unsupported)." Checked
     * after negotiation, so protocol_version comes first; what the client
     * indicated is what it got, and that is below our highest only when it
     * offered less (by legacy_version, or by supported_versions, which
     * RFC 8446 §4.2.1 has the server read instead). */
    sd_u16_list suites = {ch->cipher_suites};
    if (sd_u16_list_contains(suites, kTlsFallbackScsv) && version < m->cfg.max_version) {
        model_fatal(m, SD_inappropriate_fallback, "TLS_FALLBACK_SCSV with version 0x%04x below ours",
                    version);
        return false;
    }
    /* Only TLS 1.3 sends HelloRetryRequest, so the answer stays in it. */
    if (second && version != m->version) {
        model_fatal(m, SD_illegal_parameter, "second ClientHello does not offer TLS 1.3");
        return false;
    }
    m->version = version;
    memcpy(m->client_random, ch->random.data, SD_RANDOM_LEN);
    memcpy(m->session_id, ch->legacy_session_id.data, ch->legacy_session_id.len);
    m->session_id_len = ch->legacy_session_id.len;
    return true;
}

/* Client: sets the version a ServerHello picks (m->version). RFC 8446
 * §4.2.1: a ServerHello without supported_versions negotiates TLS 1.2 or
 * below; only an offered TLS 1.2 goes on (RFC 5246), else
 * protocol_version. False after a fatal alert. */
static bool read_server_hello_version(sd_model *m, const sd_server_hello *sh) {
    sd_span sv;
    /* §D.5: "Any endpoint receiving a Hello message with ...
     * ServerHello.legacy_version set to 0x0300 MUST abort the handshake
     * with a "protocol_version" alert." The one value a client may not
     * ignore when supported_versions is there (§4.2.1: "clients MUST ignore
     * the ServerHello.legacy_version value"). */
    if (sh->legacy_version == kSsl3) {
        model_fatal(m, SD_protocol_version, "ServerHello legacy_version is SSL 3.0");
        return false;
    }
    /* Only a client that offered TLS 1.3 sent supported_versions; to one
     * that did not, the extension in a ServerHello is unrequested, which
     * the TLS 1.2 reading refuses (RFC 5246 §7.4.1.4, unsupported_extension;
     * RFC 8446 §4.2 says the same). */
    if (m->offer.max_version >= SD_TLS13 && sd_extensions_find(sh->extensions, SD_supported_versions, &sv)) {
        m->version = SD_TLS13;
    } else if (m->offer.min_version && m->offer.min_version <= SD_TLS12) {
        m->version = SD_TLS12;
    } else {
        model_fatal(m, SD_protocol_version, "server chose a version below TLS 1.3");
        return false;
    }
    return true;
}

/* --- The loop ------------------------------------------------------------- */

static void on_handshake_message(sd_model *m, const sd_handshake_msg *msg);

static void on_post_handshake(sd_model *m, const sd_handshake_msg *msg) {
    if (version_table(m)->on_post_handshake(m, msg)) {
        /* A TLS 1.2 renegotiation began (tls12.c): a server reads the
         * ClientHello that began it as the first step of the new
         * handshake; a client answers the HelloRequest with its flight. */
        if (m->phase != PHASE_HANDSHAKE) return;
        if (msg->type == SD_ClientHello)
            on_handshake_message(m, msg);
        else
            send_own_flight(m);
        return;
    }
    const char *name = sd_handshake_type_name(msg->type);
    model_fatal(m, SD_unexpected_message, "%s after the handshake", name ? name : "unknown message");
}

static void on_handshake_message(sd_model *m, const sd_handshake_msg *msg) {
    m->warning_alerts = 0;
    if (m->phase == PHASE_CONNECTED) return on_post_handshake(m, msg);
    /* A server reading accepted 0-RTT takes EndOfEarlyData and nothing
     * else (RFC 8446 §4.5); one that did not accept it has no such step,
     * and the shapes refuse the message as out of order. */
    if (m->cfg.role == SD_ROLE_SERVER && m->early_accepted && !m->early_ended)
        return tls13_on_early_handshake(m, msg);

    /* RFC 5246 §7.4.1.1: a HelloRequest "will be ignored by the client if
     * the client is currently negotiating a session" and "MUST NOT be
     * included in the message hashes". Only where TLS 1.2 is (or can only
     * be) the version, and not between the server's ChangeCipherSpec and its
     * Finished, which "is always sent immediately after" it (§7.4.9). */
    if (msg->type == SD_HelloRequest && m->cfg.role == SD_ROLE_CLIENT && !m->rl.read.active &&
        speaks_tls12(m)) {
        uint8_t alert;
        if (!sd_parse_tls12_hello_request(msg->body, &alert)) model_fatal(m, alert, "malformed HelloRequest");
        return;
    }

    /* HelloRetryRequest is a ServerHello with a special random (RFC 8446
     * §4.1.3); the random sits right after legacy_version, so the step is
     * known before parsing, and order is checked first. */
    uint16_t step = sd_step_of_message(msg->type, model_cert_compression_offered(m));
    /* Only a client that offered TLS 1.3 knows the value: to a TLS 1.2-only
     * client (RFC 5246) the server random is just random, as BoringSSL
     * reads it. */
    if (msg->type == SD_ServerHello && m->cfg.max_version >= SD_TLS13 && msg->body.len >= 2 + SD_RANDOM_LEN &&
        memcmp(msg->body.data + 2, sd_hrr_random, SD_RANDOM_LEN) == 0)
        step = SD_MSG_HELLO_RETRY_REQUEST;
    if (!accept_step(m, step)) return;
    sd_server_hello sh;
    uint8_t alert;
    if (msg->type == SD_ServerHello && !sd_parse_server_hello(msg->body, &sh, &alert))
        return model_fatal(m, alert, "malformed ServerHello");

    /* The transcript hash up to, not including, this message. */
    uint8_t before[SD_MAX_HASH_LEN];
    if (m->suite && !model_transcript_hash(m, before)) return;
    if (step != SD_MSG_HELLO_RETRY_REQUEST) sd_transcript_add(&m->rl.transcript, msg->whole);

    model_received in = {.body = msg->body,
                         .whole = msg->whole,
                         .hash_before = before,
                         .compressed_certificate = msg->type == SD_CompressedCertificate};
    sd_client_hello ch;
    if (step == SD_ClientHello) {
        in.second_client_hello = m->pos > 0;
        if (!read_client_hello(m, msg->body, in.second_client_hello, &ch)) return;
        in.client_hello = &ch;
    } else if (msg->type == SD_ServerHello) {
        in.server_hello = &sh;
        if (step == SD_ServerHello && !read_server_hello_version(m, &sh)) return;
    }
    receive_step(m, step, &in);
}

static void on_alert(sd_model *m, const sd_alert *a) {
    /* RFC 8446 §6: AlertLevel is warning(1) or fatal(2); "Peers which receive a
     * message which is syntactically correct but semantically invalid (e.g.,
     * ... an invalid enum) MUST terminate the connection with an
     * "illegal_parameter" alert." */
    if (a->level != SD_ALERT_LEVEL_WARNING && a->level != SD_ALERT_LEVEL_FATAL)
        return model_fatal(m, SD_illegal_parameter, "alert with level %u", a->level);
    m->st.alert_received = a->description;
    /* In TLS 1.2 the level counts (RFC 5246 §7.2), close_notify's too. */
    if (a->level == SD_ALERT_LEVEL_FATAL) m->fatal_alert = true;
    if (a->description == SD_close_notify) {
        /* §6.1: "Each party MUST send a "close_notify" alert before closing
         * its write side of the connection". Answer in kind once connected. */
        if (m->phase == PHASE_CONNECTED) {
            sd_rl_send_alert(&m->rl, SD_ALERT_LEVEL_WARNING, SD_close_notify);
            m->st.close_notify_sent = true;
        }
        m->phase = PHASE_CLOSED;
        return;
    }
    /* §6.1: user_canceled is followed by close_notify; nothing to do yet.
     * RFC 5246 §7.2: in TLS 1.2 a warning alert does not end the connection
     * ("If an alert with a level of warning is sent and received, generally
     * the connection can continue normally"), from the first byte on where
     * TLS 1.2 is the only version (RFC 8446 §6's "regardless of the
     * AlertLevel" is a rule of a version this endpoint does not speak). A
     * peer could send either forever, so, as BoringSSL does, more than four
     * in a row is an error. A fatal one ends a TLS 1.2 connection whatever
     * it says, user_canceled included (RFC 5246 §7.2: "Alert messages with a
     * level of fatal result in the immediate termination of the
     * connection"); TLS 1.3 ignores the level (RFC 8446 §6). */
    bool tls12 = speaks_tls12(m);
    if ((a->description == SD_user_canceled && !(tls12 && a->level == SD_ALERT_LEVEL_FATAL)) ||
        (tls12 && a->level == SD_ALERT_LEVEL_WARNING)) {
        if (++m->warning_alerts <= 4) return;
        return model_fatal(m, SD_unexpected_message, "too many warning alerts in a row");
    }
    /* §6: "Unknown Alert types MUST be treated as error alerts" and every
     * alert of §6.2 is an error alert "regardless of the AlertLevel". */
    m->st.failed = true;
    snprintf(m->st.error, sizeof(m->st.error), "peer sent alert %s",
             sd_alert_name(a->description) ? sd_alert_name(a->description) : "unknown");
    m->phase = PHASE_FAILED;
}

/* TLS 1.2: ChangeCipherSpec is a step of the tables (sequences.h); out of
 * place it is unexpected_message (RFC 5246 §7.1: "It is ... an error to
 * receive a ChangeCipherSpec ... at any other time"; CVE-2014-0224). */
static void on_ccs12(sd_model *m, const sd_rl_event *ev) {
    if (!accept_step(m, SD_MSG_CHANGE_CIPHER_SPEC)) return;
    model_received in = {.body = ev->data};
    receive_step(m, SD_MSG_CHANGE_CIPHER_SPEC, &in);
}

/* Which CCS rule applies: TLS 1.2's (a step) once TLS 1.2 is negotiated,
 * or before that when TLS 1.3 cannot be (max_version TLS 1.2). Until then a
 * TLS 1.3-capable endpoint keeps the RFC 8446 §5 rule of on_ccs: a middlebox
 * compatibility CCS may come first. */
static bool ccs_is_a_tls12_step(const sd_model *m) { return speaks_tls12(m); }

static void on_ccs(sd_model *m, const sd_rl_event *ev) {
    /* RFC 8446 §5: "An implementation may receive an unencrypted record of type
     * change_cipher_spec consisting of the single byte value 0x01 at any time
     * after the first ClientHello message has been sent or received and before
     * the peer's Finished message has been received and MUST simply drop it
     * without further processing. ... An implementation which receives any
     * other change_cipher_spec value or which receives a protected
     * change_cipher_spec record MUST abort the handshake with an
     * "unexpected_message" alert." */
    bool after_first_ch = m->cfg.role == SD_ROLE_CLIENT || m->pos > 0;
    if (ev->protected_record || ev->data.len != 1 || ev->data.data[0] != 1 || !after_first_ch ||
        m->peer_finished)
        return model_fatal(m, SD_unexpected_message, "ChangeCipherSpec not allowed here");
    if (++m->ignored_ccs > MAX_IGNORED_CCS)
        return model_fatal(m, SD_unexpected_message, "too many ChangeCipherSpec records");
}

/* RFC 8446 §4.2.10: a server that rejects 0-RTT "skip[s] past early data by
 * attempting to deprotect received records using the handshake traffic key,
 * discarding records which fail deprotection (up to the configured
 * max_early_data_size)", and after HelloRetryRequest "ignore[s] ... records
 * of type application_data". The model's limit is 16 KiB of records, as
 * BoringSSL's. */
static bool skip_early_record(sd_model *m, const sd_rl_event *ev, size_t in_before) {
    if (!m->skipping_early_data || m->cfg.role != SD_ROLE_SERVER) return false;
    bool undecryptable = ev->kind == SD_RL_ERROR && ev->alert_to_send == SD_bad_record_mac;
    bool unprotected_data = ev->kind == SD_RL_APPDATA && !m->rl.read.active;
    if (!undecryptable && !unprotected_data) return false;
    size_t consumed = in_before >= m->rl.in.len ? in_before - m->rl.in.len : 0;
    m->early_data_skipped += consumed;
    return m->early_data_skipped <= 16384;
}

/* The longest handshake message worth buffering. RFC 8446 §4 (and RFC 5246
 * §7.4) frame every handshake message with a uint24 length and set no
 * other bound ("uint24 length;", the "remaining bytes in message"), so a
 * ClientHello of 64 KiB, or with thousands of extensions, is as valid as
 * any other (BoringSSL refuses one over 16 KiB: a policy, listed in
 * harness/oracle/known_differences.txt). The caller may set lower limits
 * for the handshake and after it (sd_target_config: the fuzz targets do,
 * to bound what a run can make the model buffer). */
static size_t max_message_len(const sd_model *m) {
    size_t limit =
        m->phase == PHASE_CONNECTED ? m->cfg.max_post_handshake_message : m->cfg.max_handshake_message;
    return limit ? limit : SD_MAX_HANDSHAKE_LEN;
}

void sd_model_feed(sd_model *m, sd_span bytes) {
    if (m->phase == PHASE_FAILED || m->phase == PHASE_CLOSED) return; /* RFC 8446 §6: no more data */
    if (m->phase == PHASE_START) m->phase = PHASE_HANDSHAKE;          /* a server starts on input */
    sd_rl_receive(&m->rl, bytes);
    sd_rl_event ev;
    size_t in_before;
    while (m->phase != PHASE_FAILED && m->phase != PHASE_CLOSED &&
           (m->rl.max_handshake_len = max_message_len(m), in_before = m->rl.in.len,
            sd_rl_next(&m->rl, &ev) != SD_RL_NONE)) {
        if (ev.kind == SD_RL_HANDSHAKE) m->skipping_early_data = false;
        switch (ev.kind) {
        case SD_RL_ERROR:
            if (skip_early_record(m, &ev, in_before)) break;
            model_fatal(m, ev.alert_to_send, "%s", ev.detail);
            break;
        case SD_RL_ALERT:
            on_alert(m, &ev.alert);
            break;
        case SD_RL_CCS:
            if (m->phase == PHASE_HANDSHAKE && ccs_is_a_tls12_step(m))
                on_ccs12(m, &ev);
            else
                on_ccs(m, &ev);
            break;
        case SD_RL_APPDATA:
            if (skip_early_record(m, &ev, in_before)) break;
            if (m->cfg.role == SD_ROLE_SERVER && m->early_accepted && !m->early_ended) {
                /* RFC 8446 §4.6.1: "A server receiving more than
                 * max_early_data_size bytes of 0-RTT data SHOULD terminate
                 * the connection with an "unexpected_message" alert"; only
                 * the Application Data payload counts. */
                m->early_data_received += ev.data.len;
                if (m->early_data_received > m->ticket_max_early) {
                    model_fatal(m, SD_unexpected_message,
                                "%zu bytes of early data, past max_early_data_size %u",
                                m->early_data_received, (unsigned)m->ticket_max_early);
                    break;
                }
                sd_buf_append_span(&m->early_echo, ev.data);
                break;
            }
            if (m->phase != PHASE_CONNECTED) {
                /* RFC 8446 §5: application data before the handshake is
                 * done is out of place: "unexpected_message". */
                model_fatal(m, SD_unexpected_message, "application data before the handshake completed");
                break;
            }
            /* The echo contract of harness/protocol/target.h, or the
             * configured reply to a record that ends a request line. */
            if (!m->cfg.app_reply.len) {
                if (ev.data.len) sd_rl_send(&m->rl, SD_application_data, ev.data, false, 0);
            } else if (ev.data.len && memchr(ev.data.data, '\n', ev.data.len)) {
                sd_rl_send(&m->rl, SD_application_data, m->cfg.app_reply, false, 0);
                m->st.app_replies++;
            }
            break;
        case SD_RL_HANDSHAKE:
            on_handshake_message(m, &ev.msg);
            break;
        case SD_RL_NONE:
            break;
        }
    }
    if (m->fatal_alert && speaks_tls12(m)) tls12_forget_session(m);
}

sd_model *sd_model_new(const sd_target_config *cfg, char *err, size_t err_len) {
    if (cfg->min_version < SD_TLS12 || cfg->max_version > SD_TLS13 || cfg->min_version > cfg->max_version) {
        snprintf(err, err_len, "unsupported: the model speaks TLS 1.2 and TLS 1.3");
        return NULL;
    }
    if (cfg->role == SD_ROLE_SERVER &&
        (!cfg->credential || !cfg->credential->key || cfg->credential->chain_len == 0)) {
        snprintf(err, err_len, "a server needs a credential with a certificate chain and a key");
        return NULL;
    }
    if (cfg->role == SD_ROLE_CLIENT && !cfg->pki) {
        snprintf(err, err_len, "a client needs trust anchors (pki)");
        return NULL;
    }
    sd_model *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    /* Configured lists, else the defaults; every entry must be one the model
     * implements. The lists point into the caller's config, which outlives
     * the target (harness/protocol/target.h). */
    m->offer = sd_default_offer;
    for (size_t i = 0; i < cfg->n_cipher_suites; i++)
        if (!sd_suite_find(cfg->cipher_suites[i]) && !sd_tls12_suite_find(cfg->cipher_suites[i])) {
            snprintf(err, err_len, "unsupported: cipher suite 0x%04x", cfg->cipher_suites[i]);
            free(m);
            return NULL;
        }
    for (size_t i = 0; i < cfg->n_groups; i++)
        if (!sd_group_supported(cfg->groups[i])) {
            snprintf(err, err_len, "unsupported: group %u", cfg->groups[i]);
            free(m);
            return NULL;
        }
    /* RFC 7301 §3.1: a list of non-empty names; one that is not cannot be
     * offered or selected from. */
    if (cfg->alpn.len && !sd_alpn_list_valid(cfg->alpn)) {
        snprintf(err, err_len, "unsupported: malformed ALPN protocol list");
        free(m);
        return NULL;
    }
    m->offer.alpn = cfg->role == SD_ROLE_CLIENT ? cfg->alpn : sd_span_of(NULL, 0);
    /* RFC 8879: the algorithms the model compresses and decompresses with. */
    if (cfg->n_cert_compression > SD_MAX_CERT_COMPRESSION) {
        snprintf(err, err_len, "unsupported: more than %d certificate compression algorithms",
                 SD_MAX_CERT_COMPRESSION);
        free(m);
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_cert_compression; i++)
        if (!sd_cert_compression_supported(cfg->cert_compression[i])) {
            snprintf(err, err_len, "unsupported: certificate compression algorithm %u",
                     cfg->cert_compression[i]);
            free(m);
            return NULL;
        }
    if (cfg->role == SD_ROLE_CLIENT) {
        m->offer.cert_compression = m->cfg.cert_compression;
        m->offer.n_cert_compression = m->cfg.n_cert_compression;
    }
    /* RFC 8449 §4: no value under 64; none over 2^14+1, the largest any
     * version the model speaks allows. */
    if (cfg->record_size_limit && (cfg->record_size_limit < SD_RECORD_SIZE_LIMIT_MIN ||
                                   cfg->record_size_limit > SD_RECORD_SIZE_LIMIT_TLS13)) {
        snprintf(err, err_len, "unsupported: record_size_limit %u (RFC 8449 §4: 64 to 2^14+1)",
                 cfg->record_size_limit);
        free(m);
        return NULL;
    }
    m->offer.record_size_limit = cfg->role == SD_ROLE_CLIENT ? cfg->record_size_limit : 0;
    /* RFC 6066 §4: the codes 1-4 (2^9-2^12). */
    if (cfg->max_fragment_length > 4) {
        snprintf(err, err_len, "unsupported: max_fragment_length code %u (RFC 6066 §4: 1-4)",
                 cfg->max_fragment_length);
        free(m);
        return NULL;
    }
    m->offer.max_fragment_length = cfg->role == SD_ROLE_CLIENT ? cfg->max_fragment_length : 0;
    m->offer.encrypt_then_mac = cfg->role == SD_ROLE_CLIENT && cfg->encrypt_then_mac;
    m->offer.min_version = cfg->min_version;
    m->offer.max_version = cfg->max_version;
    /* RFC 6066 §8 in TLS 1.2 too: the model reads CertificateStatus. */
    m->offer.tls12_status_request = true;
    if (cfg->min_version <= SD_TLS12) {
        m->offer.sigalgs = sd_offered_sigalgs_tls12;
        m->offer.n_sigalgs = sd_n_offered_sigalgs_tls12;
    }
    if (cfg->min_version <= SD_TLS12 && !cfg->n_cipher_suites) {
        /* Both versions' suites: TLS 1.3's first, when it is on. */
        size_t n = 0;
        for (size_t i = 0; cfg->max_version >= SD_TLS13 && i < sd_n_offered_suites; i++)
            m->suites_buf[n++] = sd_offered_suites[i];
        for (size_t i = 0; i < sd_tls12_n_default_suites && n < COUNT(m->suites_buf); i++)
            m->suites_buf[n++] = sd_tls12_default_suites[i];
        m->offer.suites = m->suites_buf;
        m->offer.n_suites = n;
    }
    if (cfg->n_cipher_suites) m->offer.suites = cfg->cipher_suites, m->offer.n_suites = cfg->n_cipher_suites;
    if (cfg->n_groups) m->offer.groups = cfg->groups, m->offer.n_groups = cfg->n_groups;
    if (cfg->n_sigalgs) m->offer.sigalgs = cfg->sigalgs, m->offer.n_sigalgs = cfg->n_sigalgs;
    /* Client and server draw different streams from the same seed. */
    sd_rng_init(&m->rng, cfg->seed * 2 + (cfg->role == SD_ROLE_SERVER));
    sd_rl_init(&m->rl);
    /* RFC 8446 §5: once keys are in use every record but the compatibility
     * CCS is protected; the strict endpoint refuses plaintext ones. */
    m->rl.reject_plaintext_after_keys = true;
    /* RFC 5246 §6.2.1 for an endpoint that speaks only TLS 1.2. */
    m->rl.tls12_records = cfg->max_version < SD_TLS13;
    m->shape = sd_shape_initial();
    m->phase = PHASE_START;
    m->st.alert_sent = -1;
    m->st.alert_received = -1;
    sd_buf_init(&m->ticket);
    sd_buf_init(&m->session_out);
    sd_buf_init(&m->peer_chain12);
    sd_buf_init(&m->early_echo);
    /* Servers with the same seed share a ticket key, so a ticket from one
     * connection resumes on the next (harness/protocol/target.h). */
    uint8_t digest[32], seed_bytes[8];
    uint64_t ticket_seed = cfg->ticket_seed ? cfg->ticket_seed : cfg->seed;
    for (int i = 0; i < 8; i++) seed_bytes[i] = (uint8_t)(ticket_seed >> (8 * i));
    SHA256_CTX sha;
    SHA256_Init(&sha);
    SHA256_Update(&sha, "shakedown model ticket key", 26);
    SHA256_Update(&sha, seed_bytes, sizeof seed_bytes);
    SHA256_Final(digest, &sha);
    memcpy(m->ticket_key, digest, sizeof m->ticket_key);
    /* A session to resume: each version reads only its own kind of blob
     * (the first byte says which). */
    if (cfg->role == SD_ROLE_CLIENT && cfg->resume_session.len &&
        !model_tls12.load_session(m, cfg->resume_session) &&
        !model_tls13.load_session(m, cfg->resume_session)) {
        snprintf(err, err_len, "resume_session is not a model session");
        sd_model_free(m);
        return NULL;
    }
    return m;
}

void sd_model_start(sd_model *m) {
    if (m->phase != PHASE_START) return;
    m->phase = PHASE_HANDSHAKE;
    if (m->cfg.role != SD_ROLE_CLIENT) return;
    sd_rng_bytes(&m->rng, m->client_random, SD_RANDOM_LEN);
    /* RFC 8446 §D.4: a non-empty legacy_session_id asks for middlebox compatibility
     * mode, as BoringSSL and most browsers do. */
    m->session_id_len = 32;
    sd_rng_bytes(&m->rng, m->session_id, m->session_id_len);
    /* RFC 5246 §7.4.1.2: resuming by session id, the ClientHello carries
     * that session's id instead. */
    if (m->resume_session_id12_len) {
        memcpy(m->session_id, m->resume_session_id12, m->resume_session_id12_len);
        m->session_id_len = m->resume_session_id12_len;
    }
    if (!sd_key_share_generate(&m->share, m->offer.groups[0], &m->rng))
        return model_fatal(m, SD_internal_error, "key generation failed");
    send_own_flight(m);
}

void sd_model_close(sd_model *m) {
    if (m->phase != PHASE_CONNECTED) return;
    /* RFC 8446 §6.1: "Each party MUST send a "close_notify" alert before
     * closing its write side of the connection"; after it nothing more is
     * sent ("Any data received after a closure alert has been received MUST
     * be ignored" on the peer's side). The model stops reading as well: a
     * page server has nothing left to say. */
    sd_rl_send_alert(&m->rl, SD_ALERT_LEVEL_WARNING, SD_close_notify);
    m->st.close_notify_sent = true;
    m->phase = PHASE_CLOSED;
}

void sd_model_drain(sd_model *m, sd_buf *out) {
    sd_buf_append_span(out, sd_buf_span(&m->rl.out));
    sd_buf_reset(&m->rl.out);
}

void sd_model_status(const sd_model *m, sd_target_status *out) { *out = m->st; }

bool sd_model_export(const sd_model *m, const char *label, uint8_t *out, size_t len) {
    /* RFC 8446 §7.5 or RFC 5705: keys exported once the handshake is done. */
    if (m->phase != PHASE_CONNECTED && m->phase != PHASE_CLOSED) return false;
    return version_table(m)->export_keying_material(m, label, out, len);
}

const char *sd_model_state_name(sd_model *m) {
    if (m->phase != PHASE_HANDSHAKE) return phase_names[m->phase];
    char *buf = m->state_name;
    snprintf(buf, sizeof(m->state_name), "%s: awaiting %s", m->shape->name,
             m->pos < m->shape->n_steps ? sd_step_name(m->shape->steps[m->pos].msg) : "nothing");
    return buf;
}

bool sd_model_export_session(const sd_model *m, sd_buf *out) {
    if (m->session_out.len == 0) return false;
    sd_buf_append_span(out, sd_buf_span(&m->session_out));
    return true;
}

void sd_model_free(sd_model *m) {
    if (!m) return;
    sd_rl_free(&m->rl);
    sd_buf_free(&m->ticket);
    sd_buf_free(&m->session_out);
    sd_buf_free(&m->early_echo);
    EVP_PKEY_free(m->peer_key);
    EVP_PKEY_free(m->server_key12);
    sd_buf_free(&m->peer_chain12);
    free(m->peer_sigalgs);
    OPENSSL_cleanse(m, sizeof(*m));
    free(m);
}
