/* driver.c — executes a trace against a target; see driver.h.
 *
 * The driver keeps the same session state an honest peer would (transcript,
 * key schedule, record keys) and updates it from the messages actually sent
 * and received, whatever their order. Sends build the honest message, apply
 * the action's mutations, and put the mutated bytes in the transcript. After
 * every send the target runs, and what it sent is decoded into a queue that
 * `expect` actions consume. A fatal alert from the target ends the run. */
#include "driver/driver.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto/record_layer.h"
#include "model/messages.h"
#include "wire/handshake.h"
#include "wire/names.h"

/* One thing the target sent, decoded. */
typedef struct {
    sd_rl_event_kind kind;
    uint8_t type;        /* handshake type */
    sd_alert alert;
    bool protected_record;
    char detail[96];     /* for SD_RL_ERROR */
} target_event;

#define MAX_QUEUE 64

typedef struct {
    const sd_run_config *cfg;
    sd_target *target;
    sd_role role; /* the driver's role */
    sd_record_layer rl;
    sd_rng rng;
    sd_outcome *out;
    int step;
    bool ended;

    const sd_suite *suite;
    sd_key_schedule ks;
    bool have_handshake_secrets, have_application_secrets;
    sd_key_share share;
    uint8_t client_random[SD_RANDOM_LEN];
    uint8_t session_id[32];
    size_t session_id_len;
    sd_buf peer_share; /* server: the client's share for our group */
    uint16_t peer_suites[32];
    size_t n_peer_suites;
    uint16_t peer_sigalgs[64];
    size_t n_peer_sigalgs;

    bool target_finished, driver_finished; /* each side's Finished went over the wire */
    bool target_data_after_finished;       /* and then the target sent application data */

    target_event queue[MAX_QUEUE];
    size_t q_head, q_len;
} driver;

/* --- Outcome helpers ------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) static void end_run(driver *d, sd_outcome_kind kind, const char *fmt, ...) {
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

static void add_event(driver *d, sd_direction from, sd_event_kind kind, uint8_t code, uint8_t level, bool encrypted,
                      bool mutated) {
    sd_event e = {.from = from, .kind = kind, .code = code, .level = level, .encrypted = encrypted,
                  .mutated = mutated, .step = d->step};
    sd_outcome_add_event(d->out, &e);
    if (d->cfg->verbose) {
        const char *name = kind == SD_EVENT_HANDSHAKE ? sd_handshake_type_name(code)
                           : kind == SD_EVENT_ALERT   ? sd_alert_name(code)
                           : kind == SD_EVENT_CCS     ? "ChangeCipherSpec"
                           : kind == SD_EVENT_APPDATA ? "application data"
                           : kind == SD_EVENT_RAW     ? "raw record"
                                                      : "close";
        fprintf(stderr, "  step %2d %s %s%s%s%s\n", d->step, from == SD_FROM_PEER ? "->" : "<-",
                kind == SD_EVENT_ALERT ? "alert " : "", name ? name : "unknown", encrypted ? " (encrypted)" : "",
                mutated ? " (mutated)" : "");
    }
}

/* --- Session state updates, the same whichever side sent the message ------ */

/* NSS key log format, so that Wireshark can decrypt an exported trace. */
static void report_secret(driver *d, const char *label, const uint8_t *secret) {
    if (d->cfg->on_secret)
        d->cfg->on_secret(d->cfg->observer_ctx, label, d->client_random, secret, d->suite->hash_len);
}

static void derive_handshake(driver *d, const uint8_t *ecdhe, size_t ecdhe_len) {
    uint8_t hash[SD_MAX_HASH_LEN];
    if (!d->suite || !sd_rl_transcript_hash(&d->rl, d->suite, hash)) return;
    if (!sd_ks_init(&d->ks, d->suite, NULL, 0) || !sd_ks_handshake(&d->ks, ecdhe, ecdhe_len, hash)) return;
    d->have_handshake_secrets = true;
    report_secret(d, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", d->ks.client_handshake_traffic);
    report_secret(d, "SERVER_HANDSHAKE_TRAFFIC_SECRET", d->ks.server_handshake_traffic);
    bool client = d->role == SD_ROLE_CLIENT;
    sd_record_keys_set(&d->rl.write, d->suite, client ? d->ks.client_handshake_traffic : d->ks.server_handshake_traffic);
    sd_record_keys_set(&d->rl.read, d->suite, client ? d->ks.server_handshake_traffic : d->ks.client_handshake_traffic);
}

/* After the server's Finished is in the transcript (§7.1). */
static void derive_application(driver *d) {
    uint8_t hash[SD_MAX_HASH_LEN];
    if (!d->have_handshake_secrets || !sd_rl_transcript_hash(&d->rl, d->suite, hash)) return;
    if (!sd_ks_application(&d->ks, hash)) return;
    d->have_application_secrets = true;
    report_secret(d, "CLIENT_TRAFFIC_SECRET_0", d->ks.client_application_traffic);
    report_secret(d, "SERVER_TRAFFIC_SECRET_0", d->ks.server_application_traffic);
    report_secret(d, "EXPORTER_SECRET", d->ks.exporter_master);
}

static const uint8_t *app_secret(driver *d, sd_role side) {
    if (!d->have_application_secrets) return NULL;
    return side == SD_ROLE_CLIENT ? d->ks.client_application_traffic : d->ks.server_application_traffic;
}

/* A handshake message from the target: record it, and move the key schedule
 * as the protocol says. Parsing failures just leave the state alone: the
 * driver observes, the oracle judges. */
static void on_target_handshake(driver *d, const sd_handshake_msg *msg) {
    uint8_t alert;
    if (d->role == SD_ROLE_CLIENT && msg->type == SD_ServerHello) {
        sd_server_hello sh;
        if (!sd_parse_server_hello(msg->body, &sh, &alert)) {
            sd_transcript_add(&d->rl.transcript, msg->whole);
            return;
        }
        d->suite = sd_suite_find(sh.cipher_suite);
        if (sd_server_hello_is_hrr(&sh)) {
            uint16_t group = 0;
            sd_span body;
            if (d->suite) sd_transcript_replace_with_message_hash(&d->rl.transcript, d->suite->md());
            sd_transcript_add(&d->rl.transcript, msg->whole);
            if (sd_extensions_find(sh.extensions, SD_key_share, &body) && sd_parse_key_share_hrr(body, &group, &alert))
                sd_key_share_generate(&d->share, group, &d->rng);
            return;
        }
        sd_transcript_add(&d->rl.transcript, msg->whole);
        sd_span body;
        sd_key_share_entry ks;
        uint8_t ecdhe[66];
        size_t ecdhe_len;
        if (sd_extensions_find(sh.extensions, SD_key_share, &body) && sd_parse_key_share_sh(body, &ks, &alert) &&
            ks.group == d->share.group && sd_key_share_derive(&d->share, ks.key_exchange, ecdhe, &ecdhe_len, &alert))
            derive_handshake(d, ecdhe, ecdhe_len);
        return;
    }
    if (d->role == SD_ROLE_SERVER && msg->type == SD_ClientHello) {
        sd_transcript_add(&d->rl.transcript, msg->whole);
        sd_client_hello ch;
        if (!sd_parse_client_hello(msg->body, &ch, &alert)) return;
        memcpy(d->client_random, ch.random.data, SD_RANDOM_LEN);
        memcpy(d->session_id, ch.legacy_session_id.data, ch.legacy_session_id.len);
        d->session_id_len = ch.legacy_session_id.len;
        sd_u16_list suites = {ch.cipher_suites};
        d->n_peer_suites = 0;
        for (size_t i = 0; i < sd_u16_list_count(suites) && d->n_peer_suites < 32; i++)
            d->peer_suites[d->n_peer_suites++] = sd_u16_list_at(suites, i);
        sd_span body, entries;
        sd_u16_list l;
        d->n_peer_sigalgs = 0;
        if (sd_extensions_find(ch.extensions, SD_signature_algorithms, &body) &&
            sd_u16_list_parse(body, 2, false, &l, &alert))
            for (size_t i = 0; i < sd_u16_list_count(l) && d->n_peer_sigalgs < 64; i++)
                d->peer_sigalgs[d->n_peer_sigalgs++] = sd_u16_list_at(l, i);
        /* Take the first share in a group we support. */
        sd_buf_reset(&d->peer_share);
        if (sd_extensions_find(ch.extensions, SD_key_share, &body) && sd_parse_key_share_ch(body, &entries, &alert)) {
            sd_reader it = sd_reader_of(entries);
            sd_key_share_entry e;
            while (sd_key_share_next(&it, &e, &alert) > 0) {
                if (sd_group_supported(e.group)) {
                    d->share.group = e.group;
                    sd_buf_append_span(&d->peer_share, e.key_exchange);
                    break;
                }
            }
        }
        return;
    }
    /* §4.6: post-handshake messages are outside the transcript; a server may
     * send its tickets before the client's Finished ("half-RTT"). */
    if (msg->type == SD_NewSessionTicket || msg->type == SD_KeyUpdate) return;
    sd_transcript_add(&d->rl.transcript, msg->whole);
    if (msg->type != SD_Finished) return;
    if (d->role == SD_ROLE_CLIENT) {
        /* The server's Finished: application secrets, and the server's
         * application keys for what it sends next. */
        derive_application(d);
        if (app_secret(d, SD_ROLE_SERVER)) sd_record_keys_set(&d->rl.read, d->suite, app_secret(d, SD_ROLE_SERVER));
    } else if (app_secret(d, SD_ROLE_CLIENT)) {
        sd_record_keys_set(&d->rl.read, d->suite, app_secret(d, SD_ROLE_CLIENT));
    }
}

/* --- Talking to the target ---------------------------------------------- */

static void deliver(driver *d) {
    if (d->rl.out.len == 0) return;
    if (d->cfg->on_bytes) d->cfg->on_bytes(d->cfg->observer_ctx, SD_FROM_PEER, sd_buf_span(&d->rl.out));
    d->target->ops->feed(d->target, sd_buf_span(&d->rl.out));
    sd_buf_reset(&d->rl.out);
}

/* Takes everything the target has sent into the queue. */
static void collect(driver *d) {
    sd_buf bytes;
    sd_buf_init(&bytes);
    d->target->ops->drain(d->target, &bytes);
    if (bytes.len && d->cfg->on_bytes) d->cfg->on_bytes(d->cfg->observer_ctx, SD_FROM_TARGET, sd_buf_span(&bytes));
    sd_rl_receive(&d->rl, sd_buf_span(&bytes));
    sd_buf_free(&bytes);

    sd_rl_event ev;
    while (d->q_len < MAX_QUEUE && sd_rl_next(&d->rl, &ev) != SD_RL_NONE) {
        target_event *q = &d->queue[(d->q_head + d->q_len++) % MAX_QUEUE];
        memset(q, 0, sizeof(*q));
        q->kind = ev.kind;
        q->protected_record = ev.protected_record;
        switch (ev.kind) {
        case SD_RL_HANDSHAKE:
            q->type = ev.msg.type;
            if (ev.msg.type == SD_Finished) d->target_finished = true;
            add_event(d, SD_FROM_TARGET, SD_EVENT_HANDSHAKE, ev.msg.type, 0, ev.protected_record, false);
            on_target_handshake(d, &ev.msg);
            break;
        case SD_RL_ALERT:
            q->alert = ev.alert;
            add_event(d, SD_FROM_TARGET, SD_EVENT_ALERT, ev.alert.description, ev.alert.level, ev.protected_record,
                      false);
            break;
        case SD_RL_CCS:
            add_event(d, SD_FROM_TARGET, SD_EVENT_CCS, 0, 0, ev.protected_record, false);
            break;
        case SD_RL_APPDATA:
            if (d->target_finished && d->driver_finished) d->target_data_after_finished = true;
            if (!d->rl.read.active && d->share.public_len == 0 && d->role == SD_ROLE_CLIENT)
                /* Protected under keys the driver could not derive (the trace
                 * replaced its key share): shown as an opaque record. */
                add_event(d, SD_FROM_TARGET, SD_EVENT_RAW, SD_application_data, 0, true, false);
            else
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
 * whatever their level (RFC 8446 §6). */
static bool ends_connection(const sd_alert *a) {
    return a->description != SD_close_notify && a->description != SD_user_canceled;
}

/* The target's status; for a target that reports only bytes, completion is
 * judged from the wire (target.h: wire_only): without application data
 * after the handshake it cannot be proven, and is not claimed. */
static void read_status(driver *d, sd_target_status *st) {
    d->target->ops->status(d->target, st);
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
    if (st.crashed) end_run(d, SD_OUTCOME_CRASH, "target crashed: %s", st.error);
    else if (st.hung) end_run(d, SD_OUTCOME_HANG, "target hung: %s", st.error);
    return !st.crashed && !st.hung;
}

/* After a send: a target that refused ends the run here. */
static void check_for_refusal(driver *d) {
    collect(d);
    if (!check_alive(d)) return;
    for (size_t i = 0; i < d->q_len; i++) {
        target_event *q = &d->queue[(d->q_head + i) % MAX_QUEUE];
        if (q->kind == SD_RL_ALERT && ends_connection(&q->alert)) return end_with_alert(d, &q->alert);
        if (q->kind == SD_RL_ERROR) return end_from_status(d, q->detail);
    }
}

/* --- Building and mutating what the driver sends ------------------------- */

static const sd_mutation *find_mutation(const sd_action *a, sd_mutation_kind kind) {
    for (size_t i = 0; i < a->n_mutations; i++)
        if (a->mutations[i].kind == kind) return &a->mutations[i];
    return NULL;
}

static void apply_body_mutations(const sd_action *a, sd_buf *body) {
    for (size_t i = 0; i < a->n_mutations; i++) {
        const sd_mutation *mu = &a->mutations[i];
        switch (mu->kind) {
        case SD_MUT_BODY:
            sd_buf_reset(body);
            sd_buf_append(body, mu->bytes, mu->bytes_len);
            break;
        case SD_MUT_FLIP: {
            if (body->len == 0) break;
            long off = mu->offset == LONG_MIN ? (long)body->len / 2 : mu->offset;
            if (off < 0) off += (long)body->len;
            if (off >= 0 && (size_t)off < body->len) body->data[off] ^= (uint8_t)mu->value;
            break;
        }
        case SD_MUT_TRUNCATE:
            body->len = (size_t)mu->value < body->len ? body->len - (size_t)mu->value : 0;
            break;
        case SD_MUT_APPEND:
            sd_buf_append(body, mu->bytes, mu->bytes_len);
            break;
        default:
            break;
        }
    }
}

static const sd_credential *driver_credential(driver *d, const sd_action *a) {
    const sd_mutation *cert = find_mutation(a, SD_MUT_CERT);
    const char *name = cert ? cert->text : d->cfg->driver_credential;
    return sd_pki_find(d->cfg->pki, name && name[0] ? name : "leaf");
}

/* Builds the honest body of `type` from the session state. Returns false if
 * the state does not allow building it (e.g. Finished before any key
 * exchange): the action then sends an empty body, which is what a broken
 * peer would do. */
static bool build_body(driver *d, const sd_action *a, sd_buf *body) {
    bool client = d->role == SD_ROLE_CLIENT;
    bool wrong_key = find_mutation(a, SD_MUT_WRONG_KEY) != NULL;
    uint8_t hash[SD_MAX_HASH_LEN];
    switch (a->msg_type) {
    case SD_ClientHello:
        if (d->share.public_len == 0 && !sd_key_share_generate(&d->share, SD_x25519, &d->rng)) return false;
        sd_msg_client_hello(body, &sd_default_offer, d->client_random, sd_span_of(d->session_id, d->session_id_len),
                            &d->share, d->cfg->server_name, sd_span_of(NULL, 0), NULL);
        return true;
    case SD_ServerHello: {
        uint16_t suite = 0;
        for (size_t i = 0; i < d->n_peer_suites && !suite; i++)
            if (sd_suite_find(d->peer_suites[i])) suite = d->peer_suites[i];
        d->suite = sd_suite_find(suite ? suite : SD_TLS_AES_128_GCM_SHA256);
        uint16_t group = d->share.group ? d->share.group : SD_x25519;
        if (!sd_key_share_generate(&d->share, group, &d->rng)) return false;
        uint8_t random[SD_RANDOM_LEN];
        sd_rng_bytes(&d->rng, random, sizeof(random));
        sd_msg_server_hello(body, false, random, sd_span_of(d->session_id, d->session_id_len), d->suite->id, group,
                            &d->share, sd_span_of(NULL, 0), -1);
        return true;
    }
    case SD_EncryptedExtensions:
        sd_build_encrypted_extensions(body, sd_span_of(NULL, 0));
        return true;
    case SD_Certificate:
        sd_msg_certificate(body, sd_span_of(NULL, 0), find_mutation(a, SD_MUT_EMPTY) ? NULL : driver_credential(d, a));
        return true;
    case SD_CertificateVerify: {
        const sd_credential *cred = driver_credential(d, a);
        if (!cred || !cred->key || !d->suite || !sd_rl_transcript_hash(&d->rl, d->suite, hash)) return false;
        EVP_PKEY *key = cred->key;
        const uint16_t *offered = client ? sd_offered_sigalgs : d->peer_sigalgs;
        size_t n_offered = client ? sd_n_offered_sigalgs : d->n_peer_sigalgs;
        uint16_t scheme = sd_pick_signature_scheme(offered, n_offered, key);
        if (!scheme) scheme = sd_pick_signature_scheme(sd_offered_sigalgs, sd_n_offered_sigalgs, key);
        if (wrong_key) {
            /* Sign with a key that is not the certificate's. */
            const sd_credential *other = sd_pki_find(d->cfg->pki, "client");
            if (other && other->key) key = other->key;
        }
        return sd_msg_certificate_verify(body, key, scheme, !client, hash, d->suite->hash_len);
    }
    case SD_Finished: {
        if (!d->have_handshake_secrets || !sd_rl_transcript_hash(&d->rl, d->suite, hash)) return false;
        bool use_client_key = client != wrong_key; /* wrong-key: the other side's key */
        return sd_msg_finished(body, d->suite,
                               use_client_key ? d->ks.client_handshake_traffic : d->ks.server_handshake_traffic, hash);
    }
    default:
        return false;
    }
}

/* True if the ClientHello body carries the driver's own key share. */
static bool sends_our_share(const driver *d, sd_span body) {
    sd_client_hello ch;
    sd_span ext, entries;
    uint8_t alert;
    if (d->share.public_len == 0 || !sd_parse_client_hello(body, &ch, &alert) ||
        !sd_extensions_find(ch.extensions, SD_key_share, &ext) || !sd_parse_key_share_ch(ext, &entries, &alert))
        return false;
    sd_reader it = sd_reader_of(entries);
    sd_key_share_entry e;
    while (sd_key_share_next(&it, &e, &alert) > 0)
        if (e.group == d->share.group && sd_span_eq(e.key_exchange, sd_span_of(d->share.public_key, d->share.public_len)))
            return true;
    return false;
}

static void do_send_handshake(driver *d, const sd_action *a) {
    sd_buf body, msg;
    sd_buf_init(&body);
    sd_buf_init(&msg);
    build_body(d, a, &body);
    apply_body_mutations(a, &body);
    const sd_mutation *type = find_mutation(a, SD_MUT_TYPE);
    const sd_mutation *length = find_mutation(a, SD_MUT_LENGTH);
    const sd_mutation *split = find_mutation(a, SD_MUT_SPLIT);
    bool plaintext = find_mutation(a, SD_MUT_PLAINTEXT) != NULL;
    if (a->msg_type == SD_ClientHello && d->role == SD_ROLE_CLIENT && !sends_our_share(d, sd_buf_span(&body)))
        /* The trace replaced our key share: the driver cannot derive the
         * target's keys, and must not pretend to. */
        memset(&d->share, 0, sizeof(d->share));
    sd_build_handshake(&msg, type ? (uint8_t)type->value : a->msg_type, sd_buf_span(&body),
                       length ? length->value : -1);
    sd_transcript_add(&d->rl.transcript, sd_buf_span(&msg));
    bool encrypted = d->rl.write.active && !plaintext;
    sd_rl_send(&d->rl, SD_handshake, sd_buf_span(&msg), plaintext, split ? (size_t)split->value : 0);
    add_event(d, SD_FROM_PEER, SD_EVENT_HANDSHAKE, a->msg_type, 0, encrypted, a->n_mutations > 0);
    if (a->msg_type == SD_Finished) d->driver_finished = true;
    sd_buf_free(&body);
    sd_buf_free(&msg);

    /* Key changes that follow the message (§7.1 and Figure 1). */
    if (a->msg_type == SD_ServerHello && d->role == SD_ROLE_SERVER && d->peer_share.len) {
        uint8_t ecdhe[66], alert;
        size_t ecdhe_len;
        if (sd_key_share_derive(&d->share, sd_buf_span(&d->peer_share), ecdhe, &ecdhe_len, &alert))
            derive_handshake(d, ecdhe, ecdhe_len);
    } else if (a->msg_type == SD_Finished) {
        if (d->role == SD_ROLE_SERVER) derive_application(d);
        if (app_secret(d, d->role)) sd_record_keys_set(&d->rl.write, d->suite, app_secret(d, d->role));
    }
}

/* send-raw: exactly one record with exactly this payload, as the script
 * format says, even past 2^14 bytes, where sd_rl_send would split it: an
 * oversized record is how record_overflow (RFC 8446 §5.1, §5.2) is tested.
 * Plaintext unless the action asks for protection and keys are in use. */
static void send_raw_record(driver *d, const sd_action *a) {
    sd_span payload = sd_span_of(a->bytes, a->bytes_len);
    if (d->rl.write.active && a->encrypted)
        sd_record_seal(&d->rl.write, a->content_type, payload, 0, &d->rl.out);
    else
        sd_build_record(&d->rl.out, a->content_type, SD_TLS12, payload);
}

static void run_action(driver *d, const sd_action *a) {
    switch (a->kind) {
    case SD_ACT_SEND:
        do_send_handshake(d, a);
        break;
    case SD_ACT_SEND_ALERT: {
        uint8_t body[2] = {a->alert_level, a->alert};
        sd_rl_send(&d->rl, SD_alert, sd_span_of(body, 2), a->force_plaintext, 0);
        add_event(d, SD_FROM_PEER, SD_EVENT_ALERT, a->alert, a->alert_level, d->rl.write.active && !a->force_plaintext,
                  false);
        break;
    }
    case SD_ACT_SEND_CCS: {
        /* §5: the compatibility CCS is always sent in plaintext. */
        static const uint8_t one = 1;
        bool plaintext = !a->encrypted;
        sd_rl_send(&d->rl, SD_change_cipher_spec, sd_span_of(&one, 1), plaintext, 0);
        add_event(d, SD_FROM_PEER, SD_EVENT_CCS, 0, 0, d->rl.write.active && !plaintext, false);
        break;
    }
    case SD_ACT_SEND_APPDATA:
        sd_rl_send(&d->rl, SD_application_data, sd_span_of(a->bytes, a->bytes_len), false, 0);
        add_event(d, SD_FROM_PEER, SD_EVENT_APPDATA, 0, 0, d->rl.write.active, false);
        break;
    case SD_ACT_SEND_RAW:
        send_raw_record(d, a);
        add_event(d, SD_FROM_PEER, SD_EVENT_RAW, a->content_type, 0, a->encrypted && d->rl.write.active, true);
        break;
    case SD_ACT_EXPECT:
    case SD_ACT_EXPECT_APPDATA:
    case SD_ACT_EXPECT_CLOSE: {
        collect(d);
        if (!check_alive(d)) return;
        target_event ev;
        for (;;) {
            if (!queue_pop(d, &ev)) {
                char want[48];
                snprintf(want, sizeof(want), "%s",
                         a->kind == SD_ACT_EXPECT ? (sd_handshake_type_name(a->msg_type) ? sd_handshake_type_name(a->msg_type) : "?")
                         : a->kind == SD_ACT_EXPECT_APPDATA ? "application data"
                                                            : "close_notify");
                sd_target_status st;
                read_status(d, &st);
                if (st.alert_sent >= 0) return end_from_status(d, "");
                if (st.failed) return end_run(d, SD_OUTCOME_CLOSED, "target gave up without an alert (%s)", st.error);
                return end_run(d, SD_OUTCOME_WAITING, "target sent nothing while the trace expected %s", want);
            }
            /* Optional messages an honest peer may send at any point are
             * skipped unless asked for: the compatibility CCS (§D.4) and
             * NewSessionTicket (§4.6.1). */
            if (ev.kind == SD_RL_CCS) continue;
            if (ev.kind == SD_RL_HANDSHAKE && ev.type == SD_NewSessionTicket &&
                !(a->kind == SD_ACT_EXPECT && a->msg_type == SD_NewSessionTicket))
                continue;
            break;
        }
        if (ev.kind == SD_RL_ERROR) return end_from_status(d, ev.detail);
        if (ev.kind == SD_RL_ALERT) {
            if (a->kind == SD_ACT_EXPECT_CLOSE && ev.alert.description == SD_close_notify) return;
            if (ends_connection(&ev.alert)) return end_with_alert(d, &ev.alert);
            return end_run(d, SD_OUTCOME_CLOSED, "target closed the connection");
        }
        if (a->kind == SD_ACT_EXPECT && ev.kind == SD_RL_HANDSHAKE && ev.type == a->msg_type) return;
        if (a->kind == SD_ACT_EXPECT_APPDATA && ev.kind == SD_RL_APPDATA) return;
        const char *got = ev.kind == SD_RL_HANDSHAKE ? sd_handshake_type_name(ev.type) : ev.kind == SD_RL_APPDATA ? "application data" : "a record";
        const char *want = a->kind == SD_ACT_EXPECT ? sd_handshake_type_name(a->msg_type)
                           : a->kind == SD_ACT_EXPECT_APPDATA ? "application data"
                                                              : "close_notify";
        return end_run(d, SD_OUTCOME_DEVIATED, "expected %s, target sent %s", want ? want : "?", got ? got : "unknown message");
    }
    }
    deliver(d);
    check_for_refusal(d);
}

void sd_run_config_defaults(sd_run_config *cfg, const sd_target_ops *stack, sd_role target_role, const sd_pki *pki) {
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

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void sd_driver_run(const sd_trace *trace, const sd_run_config *cfg, sd_outcome *out) {
    double start = now_ms();
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
    if (d.role == SD_ROLE_CLIENT) {
        d.session_id_len = 32;
        sd_rng_bytes(&d.rng, d.session_id, d.session_id_len);
    }

    sd_target_config tc = {
        .role = cfg->target_role,
        .min_version = cfg->version,
        .max_version = cfg->version,
        .credential = cfg->target_role == SD_ROLE_SERVER ? sd_pki_find(cfg->pki, cfg->target_credential) : NULL,
        .pki = cfg->pki,
        .server_name = cfg->server_name,
        .now = cfg->now,
        .seed = cfg->seed,
    };
    char err[200] = "";
    if (cfg->target_role == SD_ROLE_SERVER && !tc.credential) {
        end_run(&d, SD_OUTCOME_HARNESS_ERROR, "no credential \"%s\" in the PKI", cfg->target_credential);
    } else if (!(d.target = cfg->stack->create(&tc, err, sizeof(err)))) {
        end_run(&d, SD_OUTCOME_HARNESS_ERROR, "cannot configure %s: %s", cfg->stack->name, err);
    } else {
        d.target->ops->start(d.target);
        check_for_refusal(&d);
        for (size_t i = 0; i < trace->n_actions && !d.ended; i++) {
            d.step = (int)i;
            out->line = trace->actions[i].line;
            run_action(&d, &trace->actions[i]);
        }
        if (!d.ended) {
            /* The trace ran to its end: the target's last word decides. */
            check_for_refusal(&d);
            if (!d.ended) {
                sd_target_status st;
                read_status(&d, &st);
                if (st.alert_sent >= 0)
                    end_from_status(&d, "");
                else if (st.handshake_done)
                    end_run(&d, SD_OUTCOME_COMPLETED, "handshake completed");
                else if (st.failed)
                    end_run(&d, SD_OUTCOME_CLOSED, "target stopped without an alert (%s)", st.error);
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
    out->elapsed_ms = now_ms() - start;
}
