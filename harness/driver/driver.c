/* driver.c — executes a trace against a target; see driver.h.
 *
 * The driver keeps the same session state an honest peer would (transcript,
 * key schedule, record keys) and updates it from the messages actually sent
 * and received, whatever their order. Sends build the honest message, apply
 * the action's mutations, and put the mutated bytes in the transcript. After
 * every send the target runs, and what it sent is decoded into a queue that
 * `expect` actions consume. A fatal alert from the target ends the run.
 *
 * TLS 1.2 (cfg->version SD_TLS12) runs through the same actions: the driver
 * tracks the suite, the randoms, the server's key and ECDHE share, derives
 * the master secret (RFC 5246 §8.1, or RFC 7627 §4 when both sides sent
 * extended_master_secret) and key block once ClientKeyExchange is in the
 * transcript, and makes the pending keys current where RFC 5246 §7.1 says:
 * its own write keys right after it sends ChangeCipherSpec, the target's
 * read keys when the target's ChangeCipherSpec arrives. The crypto is the
 * model's (crypto/tls12.h, wire/tls12.h), so both put the same bytes on the
 * wire. */
#include "driver/driver.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/mem.h>
#include <openssl/x509.h>

#include "protocol/record_layer.h"
#include "crypto/tls12.h"
#include "protocol/messages.h"
#include "wire/handshake.h"
#include "wire/names.h"
#include "wire/tls12.h"

/* One thing the target sent, decoded. */
typedef struct {
    sd_rl_event_kind kind;
    uint8_t type;        /* handshake type */
    bool hrr;            /* a ServerHello with the HelloRetryRequest random */
    sd_alert alert;
    bool protected_record;
    bool unreadable;     /* SD_RL_APPDATA under keys the driver does not hold */
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
    /* The target sent close_notify that the trace did not wait for with
     * expect-close, before the driver sent any alert: a completed handshake
     * followed by that is a close, not a completion. */
    bool target_closed_unasked;
    bool target_closed_as_expected; /* an expect-close was answered with close_notify */
    /* TLS 1.2: the target's last record was a warning alert that ends
     * nothing (warning_goes_on), kept here: if the trace ends on it, it is
     * the target's answer (a warning no_renegotiation refusing a
     * renegotiation, RFC 5746 §4.2). */
    bool last_was_warning12;
    sd_alert warning12;
    bool driver_sent_alert;

    /* TLS 1.3 extras. */
    uint16_t peer_groups[16]; /* server: the client's supported_groups */
    size_t n_peer_groups;
    uint8_t cookie[256];      /* client: the cookie of the target's HelloRetryRequest */
    size_t cookie_len;

    /* TLS 1.2. */
    bool tls12;
    const sd_tls12_suite *suite12;
    uint8_t server_random[SD_RANDOM_LEN];
    uint16_t client_version;        /* server: the ClientHello's legacy_version, for static RSA */
    bool client_ems, server_ems;    /* each side sent extended_master_secret */
    bool client_reneg;              /* server: the client signalled RFC 5746 */
    uint16_t group12;               /* the ECDHE group of ServerKeyExchange */
    EVP_PKEY *server_key12;         /* client: the target's leaf key; owned */
    const sd_credential *cred12;    /* server: the credential its Certificate presented */
    uint8_t pms[SD_MAX_HASH_LEN + 66];
    size_t pms_len;
    uint8_t master[48];
    bool have_master;
    sd_tls12_key_block keys12;
    /* RFC 5746 §3.5: the driver's (client's) last Finished verify_data,
     * which a renegotiating ClientHello carries in renegotiation_info. */
    uint8_t client_verify_data[12];
    bool have_client_verify_data;
    bool renegotiating; /* the next ClientHello is a renegotiation */

    target_event queue[MAX_QUEUE];
    size_t q_head, q_len;
} driver;

/* What the target's ClientHello offers: suites, signature schemes, groups.
 * Unparsable lists are left empty: the driver observes, the oracle judges. */
static void remember_offer(driver *d, const sd_client_hello *ch) {
    uint8_t alert;
    sd_span body;
    sd_u16_list l, suites = {ch->cipher_suites};
    d->n_peer_suites = 0;
    for (size_t i = 0; i < sd_u16_list_count(suites) && d->n_peer_suites < 32; i++)
        d->peer_suites[d->n_peer_suites++] = sd_u16_list_at(suites, i);
    d->n_peer_sigalgs = 0;
    if (sd_extensions_find(ch->extensions, SD_signature_algorithms, &body) && sd_u16_list_parse(body, 2, false, &l, &alert))
        for (size_t i = 0; i < sd_u16_list_count(l) && d->n_peer_sigalgs < 64; i++)
            d->peer_sigalgs[d->n_peer_sigalgs++] = sd_u16_list_at(l, i);
    d->n_peer_groups = 0;
    if (sd_extensions_find(ch->extensions, SD_supported_groups, &body) && sd_u16_list_parse(body, 2, false, &l, &alert))
        for (size_t i = 0; i < sd_u16_list_count(l) && d->n_peer_groups < 16; i++)
            d->peer_groups[d->n_peer_groups++] = sd_u16_list_at(l, i);
}

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

/* --- TLS 1.2 keys (RFC 5246 §6.3, §7.1, §8.1; RFC 7627 §4) --------------- */

static bool key_fits_suite12(const sd_tls12_suite *s, const EVP_PKEY *key) {
    int type = EVP_PKEY_id(key);
    return s->kx == SD_KX_ECDHE_ECDSA ? type == EVP_PKEY_EC || type == EVP_PKEY_ED25519 : type == EVP_PKEY_RSA;
}

/* Master secret and key block, once ClientKeyExchange is in the
 * transcript: the session hash of RFC 7627 covers it. */
static void derive12(driver *d) {
    if (!d->suite12 || d->pms_len == 0) return;
    uint8_t session_hash[SD_MAX_HASH_LEN];
    bool ems = d->client_ems && d->server_ems;
    size_t hash_len = (size_t)EVP_MD_size(d->suite12->prf_md());
    if (ems && !sd_transcript_hash(&d->rl.transcript, d->suite12->prf_md(), session_hash)) return;
    if (!sd_tls12_master_secret(d->suite12, d->pms, d->pms_len, d->client_random, d->server_random,
                                ems ? session_hash : NULL, ems ? hash_len : 0, d->master) ||
        !sd_tls12_derive_keys(d->suite12, d->master, d->client_random, d->server_random, &d->keys12))
        return;
    OPENSSL_cleanse(d->pms, sizeof d->pms);
    d->have_master = true;
    /* NSS key log: "CLIENT_RANDOM <client random> <master secret>". */
    if (d->cfg->on_secret)
        d->cfg->on_secret(d->cfg->observer_ctx, "CLIENT_RANDOM", d->client_random, d->master, sizeof d->master);
}

/* The pending keys of one side become current (RFC 5246 §7.1). */
static void install12(driver *d, sd_record_keys *k, bool client_side) {
    if (!d->have_master) return;
    const sd_tls12_key_block *kb = &d->keys12;
    sd_record_keys_set_tls12(k, d->suite12, client_side ? kb->client_key : kb->server_key,
                             client_side ? kb->client_iv : kb->server_iv,
                             client_side ? kb->client_mac : kb->server_mac, false);
}

static bool hash12(driver *d, uint8_t *out) {
    return d->suite12 && sd_transcript_hash(&d->rl.transcript, d->suite12->prf_md(), out);
}

/* wrong-transcript: the hash of the transcript without its last handshake
 * message, as a peer computes it that missed (or never saw) that message. */
static bool hash_without_last(const driver *d, const EVP_MD *md, uint8_t *out) {
    const sd_buf *t = &d->rl.transcript.bytes;
    size_t at = 0, last = 0;
    while (at + 4 <= t->len) {
        last = at;
        at += 4 + ((size_t)t->data[at + 1] << 16 | (size_t)t->data[at + 2] << 8 | t->data[at + 3]);
    }
    sd_transcript shorter;
    sd_transcript_init(&shorter);
    sd_transcript_add(&shorter, sd_span_of(t->data, last));
    bool ok = sd_transcript_hash(&shorter, md, out);
    sd_transcript_free(&shorter);
    return ok;
}

/* --- TLS 1.3 KeyUpdate (RFC 8446 §7.2) ------------------------------------ */

/* application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length),
 * then that side's record keys. */
static void update_traffic_keys(driver *d, sd_role side) {
    if (!d->have_application_secrets) return;
    uint8_t *secret = side == SD_ROLE_CLIENT ? d->ks.client_application_traffic : d->ks.server_application_traffic;
    uint8_t next[SD_MAX_HASH_LEN];
    if (!sd_hkdf_expand_label(d->suite->md(), secret, "traffic upd", NULL, 0, next, d->suite->hash_len)) return;
    memcpy(secret, next, d->suite->hash_len);
    OPENSSL_cleanse(next, sizeof next);
    sd_record_keys_set(side == d->role ? &d->rl.write : &d->rl.read, d->suite, secret);
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

/* The ClientHello fields a server needs, from the target's or (TLS 1.2)
 * from what the driver itself sent. */
static void note_client_hello12(driver *d, const sd_client_hello *ch) {
    sd_span body;
    uint8_t alert;
    memcpy(d->client_random, ch->random.data, SD_RANDOM_LEN);
    d->client_version = ch->legacy_version;
    d->client_ems = sd_extensions_find(ch->extensions, SD_extended_master_secret, &body);
    sd_u16_list suites = {ch->cipher_suites};
    d->client_reneg = sd_extensions_find(ch->extensions, SD_renegotiation_info, &body) ||
                      sd_u16_list_contains(suites, 0x00FF); /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV */
    (void)alert;
}

/* The ServerHello fields both sides need, from the target's or from what
 * the driver sent (so a mutated suite or random is what the keys use). */
static bool note_server_hello12(driver *d, sd_span sh_body) {
    sd_server_hello sh;
    sd_span body;
    uint8_t alert;
    if (!sd_parse_server_hello(sh_body, &sh, &alert)) return false;
    memcpy(d->server_random, sh.random.data, SD_RANDOM_LEN);
    d->suite12 = sd_tls12_suite_find(sh.cipher_suite);
    d->server_ems = sd_extensions_find(sh.extensions, SD_extended_master_secret, &body);
    return true;
}

/* TLS 1.2: every handshake message is in the transcript (RFC 5246 §7.4.9:
 * "all of the data from all messages in this handshake"), but HelloRequest
 * (§7.4.1.1). */
static void on_target_handshake12(driver *d, const sd_handshake_msg *msg) {
    uint8_t alert;
    if (msg->type == SD_HelloRequest) return;
    sd_transcript_add(&d->rl.transcript, msg->whole);
    bool client = d->role == SD_ROLE_CLIENT;
    if (client && msg->type == SD_ServerHello) {
        note_server_hello12(d, msg->body);
    } else if (client && msg->type == SD_Certificate) {
        sd_tls12_certificate c;
        sd_reader it;
        sd_span leaf;
        if (!sd_parse_tls12_certificate(msg->body, &c, &alert)) return;
        it = sd_reader_of(c.certificate_list);
        if (sd_tls12_certificate_next(&it, &leaf, &alert) <= 0) return;
        const uint8_t *p = leaf.data;
        X509 *x = d2i_X509(NULL, &p, (long)leaf.len);
        if (!x) return;
        EVP_PKEY_free(d->server_key12);
        d->server_key12 = X509_get_pubkey(x);
        X509_free(x);
    } else if (client && msg->type == SD_ServerKeyExchange) {
        sd_tls12_ske ske;
        if (!sd_parse_tls12_ske_ecdhe(msg->body, &ske, &alert)) return;
        d->group12 = ske.group;
        sd_buf_reset(&d->peer_share);
        sd_buf_append_span(&d->peer_share, ske.point);
    } else if (client && msg->type == SD_CertificateRequest) {
        /* §7.4.8: the driver's CertificateVerify uses one of these schemes. */
        sd_tls12_certificate_request cr;
        if (!sd_parse_tls12_certificate_request(msg->body, &cr, &alert)) return;
        sd_u16_list l = {cr.supported_signature_algorithms};
        d->n_peer_sigalgs = 0;
        for (size_t i = 0; i < sd_u16_list_count(l) && d->n_peer_sigalgs < 64; i++)
            d->peer_sigalgs[d->n_peer_sigalgs++] = sd_u16_list_at(l, i);
    } else if (!client && msg->type == SD_ClientHello) {
        sd_client_hello ch;
        if (!sd_parse_client_hello(msg->body, &ch, &alert)) return;
        note_client_hello12(d, &ch);
        remember_offer(d, &ch);
    } else if (!client && msg->type == SD_ClientKeyExchange && d->suite12) {
        /* The key of the certificate the driver presented (cert= included). */
        const sd_credential *cred = d->cred12 ? d->cred12 : sd_pki_find(d->cfg->pki, d->cfg->driver_credential ? d->cfg->driver_credential : "leaf");
        if (d->suite12->kx == SD_KX_RSA) {
            sd_span encrypted;
            uint8_t random_pms[48];
            if (!cred || !cred->key || !sd_parse_tls12_cke_rsa(msg->body, &encrypted, &alert)) return;
            /* §7.4.7.1: a bad encryption gives a random premaster secret. */
            sd_rng_bytes(&d->rng, random_pms, sizeof random_pms);
            if (!sd_tls12_rsa_decrypt_pms(cred->key, encrypted, d->client_version, random_pms, d->pms)) return;
            d->pms_len = 48;
        } else {
            sd_span point;
            if (!sd_parse_tls12_cke_ecdhe(msg->body, &point, &alert) ||
                !sd_key_share_derive(&d->share, point, d->pms, &d->pms_len, &alert))
                return;
        }
        derive12(d);
    }
}


/* A handshake message from the target: record it, and move the key schedule
 * as the protocol says. Parsing failures just leave the state alone: the
 * driver observes, the oracle judges. */
static void on_target_handshake(driver *d, const sd_handshake_msg *msg) {
    uint8_t alert;
    if (d->tls12) return on_target_handshake12(d, msg);
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
            /* §4.2.2: the cookie goes back in the second ClientHello. */
            d->cookie_len = 0;
            if (sd_extensions_find(sh.extensions, SD_cookie, &body) && body.len >= 2 &&
                body.len - 2 == ((size_t)body.data[0] << 8 | body.data[1]) && body.len - 2 <= sizeof d->cookie) {
                memcpy(d->cookie, body.data + 2, body.len - 2);
                d->cookie_len = body.len - 2;
            }
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
        remember_offer(d, &ch);
        sd_span body, entries;
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
    if (msg->type == SD_KeyUpdate) {
        /* §4.6.3: after its KeyUpdate the target sends under its next
         * secret; the driver reads with it from the next record on. */
        if (d->have_application_secrets) update_traffic_keys(d, d->role == SD_ROLE_CLIENT ? SD_ROLE_SERVER : SD_ROLE_CLIENT);
        return;
    }
    if (msg->type == SD_NewSessionTicket) return;
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
static bool warning_goes_on(const driver *d, const sd_alert *a);

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
            on_target_handshake(d, &ev.msg);
            break;
        case SD_RL_ALERT:
            q->alert = ev.alert;
            if (ev.alert.description == SD_close_notify && !d->driver_sent_alert)
                d->target_closed_unasked = true;
            add_event(d, SD_FROM_TARGET, SD_EVENT_ALERT, ev.alert.description, ev.alert.level, ev.protected_record,
                      false);
            break;
        case SD_RL_CCS:
            add_event(d, SD_FROM_TARGET, SD_EVENT_CCS, 0, 0, ev.protected_record, false);
            /* RFC 5246 §7.1: the target's pending write keys are now its
             * current ones, from the next record on. */
            if (d->tls12 && ev.data.len == 1 && ev.data.data[0] == 1)
                install12(d, &d->rl.read, d->role == SD_ROLE_SERVER);
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

/* RFC 5246 §7.2.2: "If an alert with a level of warning is sent and
 * received, generally the connection can continue normally." A TLS 1.2
 * target that sends a warning other than close_notify (a no_renegotiation
 * answering a HelloRequest, say) goes on: the driver passes over it. */
static bool warning_goes_on(const driver *d, const sd_alert *a) {
    return d->tls12 && a->level == SD_ALERT_LEVEL_WARNING && a->description != SD_close_notify;
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
        if (q->kind == SD_RL_ALERT && ends_connection(d, &q->alert)) return end_with_alert(d, &q->alert);
        if (q->kind == SD_RL_ERROR) return end_from_status(d, q->detail);
    }
}

/* --- Building and mutating what the driver sends ------------------------- */

static const sd_mutation *find_mutation(const sd_action *a, sd_mutation_kind kind) {
    for (size_t i = 0; i < a->n_mutations; i++)
        if (a->mutations[i].kind == kind) return &a->mutations[i];
    return NULL;
}

/* --- Extension mutations (dup-ext, add-ext, drop-ext) -------------------- */

/* Where the extension block of a message body starts (at its u16 length),
 * for the messages that carry one: ClientHello and ServerHello (RFC 8446
 * §4.1.2, §4.1.3; RFC 5246 §7.4.1.2, §7.4.1.3), EncryptedExtensions
 * (§4.3.1), the TLS 1.3 CertificateRequest (§4.3.2) and the first entry of
 * the TLS 1.3 Certificate (§4.4.2). Only the layout is
 * read, not the content, so it works on bodies earlier mutations broke as
 * long as the fields before the block still frame. */
static bool find_extension_block(uint16_t msg_type, bool tls12, sd_span body, size_t *out_offset) {
    sd_reader r = sd_reader_of(body);
    sd_span skip;
    uint16_t u16;
    uint8_t u8;
    switch (msg_type) {
    case SD_ClientHello:
        if (!sd_read_bytes(&r, 2 + SD_RANDOM_LEN, &skip) || !sd_read_prefixed(&r, 1, &skip) ||
            !sd_read_prefixed(&r, 2, &skip) || !sd_read_prefixed(&r, 1, &skip))
            return false;
        break;
    case SD_ServerHello:
    case SD_MSG_TYPE_HELLO_RETRY_REQUEST:
        if (!sd_read_bytes(&r, 2 + SD_RANDOM_LEN, &skip) || !sd_read_prefixed(&r, 1, &skip) || !sd_read_u16(&r, &u16) ||
            !sd_read_u8(&r, &u8))
            return false;
        break;
    case SD_EncryptedExtensions:
        break;
    case SD_CertificateRequest:
        if (tls12 || !sd_read_prefixed(&r, 1, &skip)) return false;
        break;
    case SD_Certificate: {
        /* TLS 1.3 (§4.4.2): the first CertificateEntry's extensions, where
         * "If an extension applies to the entire chain, it SHOULD be
         * included". The list's u24 length is fixed up by the caller. */
        uint32_t list_len;
        if (tls12 || !sd_read_prefixed(&r, 1, &skip) || !sd_read_u24(&r, &list_len) || !sd_read_prefixed(&r, 3, &skip))
            return false;
        break;
    }
    default:
        return false;
    }
    *out_offset = body.len - r.len;
    return r.len >= 2;
}

/* TLS 1.3 Certificate: after the first entry's extension block changed by
 * `delta` bytes, the certificate_list length (u24 after the context) must
 * say so too. */
static void fix_certificate_list_length(sd_buf *body, long delta) {
    if (body->len < 1 || body->len < 1u + body->data[0] + 3) return;
    size_t at = 1u + body->data[0];
    long len = (long)body->data[at] << 16 | (long)body->data[at + 1] << 8 | body->data[at + 2];
    len += delta;
    if (len < 0 || len > 0xffffff) return;
    body->data[at] = (uint8_t)(len >> 16);
    body->data[at + 1] = (uint8_t)(len >> 8);
    body->data[at + 2] = (uint8_t)len;
}

/* Rewrites the extension block of `body` (a message of type msg_type):
 * drop-ext removes every extension of the type, dup-ext repeats the first
 * one at the end of the block, add-ext appends a new one. The block's
 * length is fixed up; a message without a block is left alone (the
 * deviation cannot be expressed there). */
static void edit_extensions(uint16_t msg_type, bool tls12, const sd_mutation *mu, sd_buf *body) {
    size_t at;
    if (!find_extension_block(msg_type, tls12, sd_buf_span(body), &at)) return;
    sd_reader r = sd_reader_of(sd_span_of(body->data + at, body->len - at));
    sd_span block;
    if (!sd_read_prefixed(&r, 2, &block)) return;
    size_t after = body->len - r.len; /* first byte past the block */
    sd_buf exts;
    sd_buf_init(&exts);
    sd_reader it = sd_reader_of(block);
    uint16_t type;
    sd_span ext_body, first = {0};
    bool found = false;
    while (sd_read_u16(&it, &type) && sd_read_prefixed(&it, 2, &ext_body)) {
        if (type == (uint16_t)mu->value && !found) {
            first = ext_body;
            found = true;
        }
        if (mu->kind == SD_MUT_DROP_EXT && type == (uint16_t)mu->value) continue;
        sd_build_extension(&exts, type, ext_body);
    }
    sd_buf_append_span(&exts, sd_span_of(it.data, it.len)); /* a broken tail stays as it was */
    if (mu->kind == SD_MUT_DUP_EXT && found) sd_build_extension(&exts, (uint16_t)mu->value, first);
    if (mu->kind == SD_MUT_ADD_EXT) sd_build_extension(&exts, (uint16_t)mu->value, sd_span_of(mu->bytes, mu->bytes_len));
    sd_buf rebuilt;
    sd_buf_init(&rebuilt);
    sd_buf_append(&rebuilt, body->data, at);
    sd_buf_u16(&rebuilt, (uint16_t)exts.len);
    sd_buf_append_span(&rebuilt, sd_buf_span(&exts));
    sd_buf_append(&rebuilt, body->data + after, body->len - after);
    long delta = (long)rebuilt.len - (long)body->len;
    sd_buf_reset(body);
    sd_buf_append_span(body, sd_buf_span(&rebuilt));
    if (msg_type == SD_Certificate) fix_certificate_list_length(body, delta);
    sd_buf_free(&rebuilt);
    sd_buf_free(&exts);
}

/* bad-point: a copy of the share whose public value is not a point of the
 * group. X25519 has no off-curve points, so it gets the all-zero
 * u-coordinate, whose shared secret is all zero (RFC 7748 §6.1, RFC 8446
 * §7.4.2); a NIST curve point 04||X||Y gets its Y changed, which leaves the
 * curve (RFC 8446 §4.2.8.2). */
static sd_key_share corrupt_point(const sd_key_share *ks) {
    sd_key_share bad = *ks;
    memset(bad.private_key, 0, sizeof bad.private_key);
    if (bad.group == SD_x25519)
        memset(bad.public_key, 0, bad.public_len);
    else if (bad.public_len > 0)
        bad.public_key[bad.public_len - 1] ^= 0x01;
    return bad;
}

/* record-version: rewrites the version field of the plaintext records
 * appended to out since `from`. (A protected record's version is part of
 * its additional data, RFC 5246 §6.2.3.3 and RFC 8446 §5.2, so it is left
 * alone there: changing it would only test the MAC.) */
static void set_record_version(sd_buf *out, size_t from, uint16_t version) {
    for (size_t at = from; at + 5 <= out->len;) {
        size_t len = (size_t)out->data[at + 3] << 8 | out->data[at + 4];
        out->data[at + 1] = (uint8_t)(version >> 8);
        out->data[at + 2] = (uint8_t)version;
        at += 5 + len;
    }
}

static void apply_body_mutations(const driver *d, const sd_action *a, sd_buf *body) {
    for (size_t i = 0; i < a->n_mutations; i++) {
        const sd_mutation *mu = &a->mutations[i];
        switch (mu->kind) {
        case SD_MUT_BODY:
            sd_buf_reset(body);
            sd_buf_append(body, mu->bytes, mu->bytes_len);
            break;
        case SD_MUT_FLIP: {
            if (body->len == 0) break;
            /* Offsets wrap around the body, so that a flip always changes
             * it: an ECDSA signature's DER is 70 to 72 bytes from one
             * signing to the next, and a flip that fell past the end on one
             * run and inside on the other made the differential oracle
             * compare a forged signature with an honest one. */
            long len = (long)body->len;
            long off = mu->offset == LONG_MIN ? len / 2 : mu->offset % len;
            if (off < 0) off += len;
            body->data[off] ^= (uint8_t)mu->value;
            break;
        }
        case SD_MUT_TRUNCATE:
            body->len = (size_t)mu->value < body->len ? body->len - (size_t)mu->value : 0;
            break;
        case SD_MUT_APPEND:
            sd_buf_append(body, mu->bytes, mu->bytes_len);
            break;
        case SD_MUT_DUP_EXT:
        case SD_MUT_ADD_EXT:
        case SD_MUT_DROP_EXT:
            edit_extensions(a->msg_type, d->tls12, mu, body);
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

/* A key of the same type as `key` that is not it: what wrong-key signs with. */
static EVP_PKEY *other_key(driver *d, const EVP_PKEY *key) {
    static const char *const names[] = {"client", "client-rsa", "client-ed25519", "leaf-p384", "leaf", "leaf-rsa"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const sd_credential *c = sd_pki_find(d->cfg->pki, names[i]);
        if (c && c->key && EVP_PKEY_id(c->key) == EVP_PKEY_id(key) && EVP_PKEY_cmp(c->key, key) != 1) return c->key;
    }
    return NULL;
}

/* sign-with=<credential>: that credential's key, whatever the certificate
 * sent (CVE-2022-25638: a receiver must check the scheme against the
 * certificate's key, not only the signature against the scheme). */
static EVP_PKEY *sign_with_key(driver *d, const sd_action *a) {
    const sd_mutation *mu = find_mutation(a, SD_MUT_SIGN_WITH);
    const sd_credential *c = mu ? sd_pki_find(d->cfg->pki, mu->text) : NULL;
    return c ? c->key : NULL;
}

/* TLS 1.2: the peer's first scheme that fits key, else a default for it. */
static uint16_t pick_scheme12(const driver *d, const EVP_PKEY *key) {
    for (size_t i = 0; i < d->n_peer_sigalgs; i++)
        if (sd_tls12_signature_scheme_matches_key(d->peer_sigalgs[i], key)) return d->peer_sigalgs[i];
    for (size_t i = 0; i < sd_n_offered_sigalgs_tls12; i++)
        if (sd_tls12_signature_scheme_matches_key(sd_offered_sigalgs_tls12[i], key)) return sd_offered_sigalgs_tls12[i];
    return EVP_PKEY_id(key) == EVP_PKEY_RSA ? SD_rsa_pkcs1_sha256 : SD_ecdsa_secp256r1_sha256;
}

static bool peer_offers_group(const driver *d, uint16_t group) {
    for (size_t i = 0; i < d->n_peer_groups; i++)
        if (d->peer_groups[i] == group) return true;
    return false;
}

/* TLS 1.3 server: the suite from the client's list (or the scenario's). */
static const sd_suite *choose_suite13(driver *d) {
    if (d->cfg->cipher_suite && sd_suite_find(d->cfg->cipher_suite)) return sd_suite_find(d->cfg->cipher_suite);
    for (size_t i = 0; i < d->n_peer_suites; i++)
        if (sd_suite_find(d->peer_suites[i])) return sd_suite_find(d->peer_suites[i]);
    return sd_suite_find(SD_TLS_AES_128_GCM_SHA256);
}

/* TLS 1.2 server: the scenario's suite, else the client's first that fits
 * the driver's credential (ECDSA key: ECDHE_ECDSA; RSA key: ECDHE_RSA or
 * static RSA). */
static const sd_tls12_suite *choose_suite12(driver *d, const sd_credential *cred) {
    if (d->cfg->cipher_suite && sd_tls12_suite_find(d->cfg->cipher_suite))
        return sd_tls12_suite_find(d->cfg->cipher_suite);
    for (size_t i = 0; i < d->n_peer_suites; i++) {
        const sd_tls12_suite *s = sd_tls12_suite_find(d->peer_suites[i]);
        if (s && (!cred || !cred->key || key_fits_suite12(s, cred->key))) return s;
    }
    for (size_t i = 0; i < sd_tls12_n_default_suites; i++) {
        const sd_tls12_suite *s = sd_tls12_suite_find(sd_tls12_default_suites[i]);
        if (s && (!cred || !cred->key || key_fits_suite12(s, cred->key))) return s;
    }
    return sd_tls12_suite_find(sd_tls12_default_suites[0]);
}

/* TLS 1.2 and 1.3 server: the first of the client's groups we support. */
static uint16_t choose_group(driver *d, uint16_t avoid) {
    for (size_t i = 0; i < d->n_peer_groups; i++)
        if (sd_group_supported(d->peer_groups[i]) && d->peer_groups[i] != avoid) return d->peer_groups[i];
    for (size_t i = 0; i < sd_n_offered_groups; i++)
        if (sd_offered_groups[i] != avoid) return sd_offered_groups[i];
    return SD_x25519;
}

/* The driver's ECDSA signatures all have one length per key: the DER of
 * (r, s) is 70 to 72 bytes for P-256 from one signing to the next, and a
 * mutation at a fixed offset (flip=, truncate=) must hit the same field in
 * the run against the model and in the run against BoringSSL, or the
 * differential oracle compares a forged signature with an honest one. The
 * length kept is the commonest, one under the maximum (one of r and s needs
 * a leading zero): about two signings on average. Other key types sign to a
 * fixed length already. */
static size_t steady_signature_len(EVP_PKEY *key) {
    return EVP_PKEY_id(key) == EVP_PKEY_EC ? (size_t)EVP_PKEY_size(key) - 1 : 0;
}

static bool sign12_steady(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_buf *sig) {
    size_t want = steady_signature_len(key);
    bool ok = false;
    for (int tries = 0; tries < 64; tries++) {
        sd_buf_reset(sig);
        ok = sd_tls12_sign(key, scheme, message, sig);
        if (!ok || !want || sig->len == want) break;
    }
    return ok;
}

/* TLS 1.2 bodies; see build_body. */
static bool build_body12(driver *d, const sd_action *a, sd_buf *body) {
    bool client = d->role == SD_ROLE_CLIENT;
    bool wrong_key = find_mutation(a, SD_MUT_WRONG_KEY) != NULL;
    uint8_t hash[SD_MAX_HASH_LEN];
    switch (a->msg_type) {
    case SD_ClientHello: {
        /* RFC 5246 §7.4.1.2 with RFC 7627 and RFC 5746: legacy_version
         * 0x0303, the TLS 1.2 suites, supported_groups,
         * signature_algorithms, extended_master_secret and an empty
         * renegotiation_info; no supported_versions or key_share. */
        sd_offer offer = sd_default_offer;
        offer.suites = d->cfg->cipher_suite ? &d->cfg->cipher_suite : sd_tls12_default_suites;
        offer.n_suites = d->cfg->cipher_suite ? 1 : sd_tls12_n_default_suites;
        offer.min_version = offer.max_version = SD_TLS12;
        offer.sigalgs = sd_offered_sigalgs_tls12;
        offer.n_sigalgs = sd_n_offered_sigalgs_tls12;
        sd_msg_client_hello(body, &offer, d->client_random, sd_span_of(d->session_id, d->session_id_len), NULL,
                            d->cfg->server_name, sd_span_of(NULL, 0), NULL);
        if (d->renegotiating && d->have_client_verify_data) {
            /* RFC 5746 §3.5: "The client MUST include the "renegotiation_info"
             * extension in the ClientHello, containing the saved
             * client_verify_data." */
            uint8_t info[1 + sizeof d->client_verify_data];
            info[0] = sizeof d->client_verify_data;
            memcpy(info + 1, d->client_verify_data, sizeof d->client_verify_data);
            sd_mutation drop = {.kind = SD_MUT_DROP_EXT, .value = SD_renegotiation_info};
            sd_mutation add = {.kind = SD_MUT_ADD_EXT, .value = SD_renegotiation_info, .bytes = info,
                               .bytes_len = sizeof info};
            edit_extensions(SD_ClientHello, true, &drop, body);
            edit_extensions(SD_ClientHello, true, &add, body);
        }
        return true;
    }
    case SD_ServerHello: {
        const sd_credential *cred = driver_credential(d, a);
        const sd_tls12_suite *suite = choose_suite12(d, cred);
        sd_buf exts;
        sd_buf_init(&exts);
        sd_rng_bytes(&d->rng, d->server_random, SD_RANDOM_LEN);
        /* RFC 7627 §5.2 and RFC 5746 §3.6: echoed when the client sent them. */
        if (d->client_ems) sd_build_extension(&exts, SD_extended_master_secret, sd_span_of(NULL, 0));
        if (d->client_reneg) {
            static const uint8_t empty[] = {0};
            sd_build_extension(&exts, SD_renegotiation_info, sd_span_of(empty, 1));
        }
        if (d->cfg->tls12_announce_ticket) sd_build_extension(&exts, SD_session_ticket, sd_span_of(NULL, 0));
        sd_server_hello sh = {
            .legacy_version = SD_TLS12,
            .random = sd_span_of(d->server_random, SD_RANDOM_LEN),
            .legacy_session_id_echo = sd_span_of(NULL, 0), /* not resumable (§7.4.1.3) */
            .cipher_suite = suite->id,
            .extensions = sd_buf_span(&exts),
        };
        sd_build_server_hello(body, &sh);
        sd_buf_free(&exts);
        return true;
    }
    case SD_Certificate: {
        const sd_credential *cred = find_mutation(a, SD_MUT_EMPTY) ? NULL : driver_credential(d, a);
        if (cred && d->role == SD_ROLE_SERVER) d->cred12 = cred;
        if (cred) {
            sd_tls12_build_certificate(body, cred);
        } else {
            sd_tls12_certificate empty = {sd_span_of(NULL, 0)};
            sd_build_tls12_certificate(body, &empty);
        }
        return true;
    }
    case SD_ServerKeyExchange: {
        /* RFC 8422 §5.4: ECDHE parameters signed over both randoms. */
        const sd_credential *cred = driver_credential(d, a);
        if (!cred || !cred->key) return false;
        bool bad_point = find_mutation(a, SD_MUT_BAD_POINT) != NULL;
        /* bad-point wants a group with off-curve points: P-256 if offered. */
        d->group12 = bad_point && peer_offers_group(d, SD_secp256r1) ? SD_secp256r1 : choose_group(d, 0);
        if (!sd_key_share_generate(&d->share, d->group12, &d->rng)) return false;
        EVP_PKEY *key = cred->key;
        if (wrong_key && other_key(d, key)) key = other_key(d, key);
        if (sign_with_key(d, a)) key = sign_with_key(d, a);
        uint16_t sigalg = pick_scheme12(d, key);
        sd_buf params, content, sig;
        sd_buf_init(&params);
        sd_buf_init(&content);
        sd_buf_init(&sig);
        sd_key_share bad = corrupt_point(&d->share);
        sd_span point = bad_point ? sd_span_of(bad.public_key, bad.public_len)
                                  : sd_span_of(d->share.public_key, d->share.public_len);
        sd_build_tls12_server_ecdh_params(&params, d->group12, point);
        sd_tls12_ske_signed_content(d->client_random, d->server_random, sd_buf_span(&params), &content);
        bool ok = sign12_steady(key, sigalg, sd_buf_span(&content), &sig);
        if (ok) {
            sd_tls12_ske ske = {.group = d->group12, .point = point, .sig_alg = sigalg, .signature = sd_buf_span(&sig)};
            sd_build_tls12_ske_ecdhe(body, &ske);
        }
        sd_buf_free(&params);
        sd_buf_free(&content);
        sd_buf_free(&sig);
        return ok;
    }
    case SD_ServerHelloDone:
        return true; /* §7.4.5: struct { } ServerHelloDone; */
    case SD_ClientKeyExchange: {
        if (!d->suite12) return false;
        if (d->suite12->kx == SD_KX_RSA) {
            /* §7.4.7.1: client_version (the highest offered) and 46 random bytes. */
            if (!d->server_key12) return false;
            d->pms[0] = 0x03;
            d->pms[1] = 0x03;
            sd_rng_bytes(&d->rng, d->pms + 2, 46);
            d->pms_len = 48;
            sd_buf encrypted;
            sd_buf_init(&encrypted);
            bool ok = sd_tls12_rsa_encrypt_pms(d->server_key12, d->pms, &encrypted);
            if (ok) sd_build_tls12_cke_rsa(body, sd_buf_span(&encrypted));
            sd_buf_free(&encrypted);
            return ok;
        }
        /* RFC 8422 §5.7: our share in the server's group. */
        uint8_t alert;
        if (d->peer_share.len == 0 || !sd_key_share_generate(&d->share, d->group12, &d->rng) ||
            !sd_key_share_derive(&d->share, sd_buf_span(&d->peer_share), d->pms, &d->pms_len, &alert))
            return false;
        sd_key_share bad = corrupt_point(&d->share);
        const sd_key_share *sent = find_mutation(a, SD_MUT_BAD_POINT) ? &bad : &d->share;
        sd_build_tls12_cke_ecdhe(body, sd_span_of(sent->public_key, sent->public_len));
        return true;
    }
    case SD_CertificateRequest: {
        /* RFC 5246 §7.4.4: the certificate types and schemes the driver
         * accepts, no CA names. */
        static const uint8_t types[] = {1 /* rsa_sign */, 64 /* ecdsa_sign, RFC 8422 §5.5 */};
        sd_buf sigalgs;
        sd_buf_init(&sigalgs);
        for (size_t i = 0; i < sd_n_offered_sigalgs_tls12; i++) sd_buf_u16(&sigalgs, sd_offered_sigalgs_tls12[i]);
        sd_tls12_certificate_request cr = {.certificate_types = sd_span_of(types, sizeof types),
                                           .supported_signature_algorithms = sd_buf_span(&sigalgs),
                                           .certificate_authorities = sd_span_of(NULL, 0)};
        sd_build_tls12_certificate_request(body, &cr);
        sd_buf_free(&sigalgs);
        return true;
    }
    case SD_CertificateVerify: {
        /* RFC 5246 §7.4.8: a signature over all handshake messages so far,
         * with a scheme from the CertificateRequest. */
        const sd_credential *cred = driver_credential(d, a);
        if (!cred || !cred->key) return false;
        EVP_PKEY *key = cred->key;
        if (wrong_key && other_key(d, key)) key = other_key(d, key);
        if (sign_with_key(d, a)) key = sign_with_key(d, a);
        uint16_t scheme = pick_scheme12(d, key);
        sd_buf sig;
        sd_buf_init(&sig);
        bool ok = sign12_steady(key, scheme, sd_buf_span(&d->rl.transcript.bytes), &sig);
        if (ok) {
            sd_certificate_verify cv = {.algorithm = scheme, .signature = sd_buf_span(&sig)};
            sd_build_certificate_verify(body, &cv);
        }
        sd_buf_free(&sig);
        return ok;
    }
    case SD_Finished: {
        /* §7.4.9 over the transcript actually sent and received. */
        uint8_t verify[12];
        if (!d->have_master || !hash12(d, hash)) return false;
        if (find_mutation(a, SD_MUT_WRONG_TRANSCRIPT) && !hash_without_last(d, d->suite12->prf_md(), hash)) return false;
        if (!sd_tls12_finished(d->suite12, d->master, client != wrong_key, hash, verify)) return false;
        sd_buf_append(body, verify, sizeof verify);
        if (client && !wrong_key && !find_mutation(a, SD_MUT_WRONG_TRANSCRIPT)) {
            memcpy(d->client_verify_data, verify, sizeof verify);
            d->have_client_verify_data = true;
        }
        return true;
    }
    case SD_NewSessionTicket: {
        /* RFC 5077 §3.3: an opaque ticket the driver will never redeem. */
        uint8_t ticket[32];
        sd_rng_bytes(&d->rng, ticket, sizeof ticket);
        sd_tls12_new_session_ticket t = {.lifetime_hint = 7200, .ticket = sd_span_of(ticket, sizeof ticket)};
        sd_build_tls12_new_session_ticket(body, &t);
        return true;
    }
    case SD_HelloRequest:
        return true;
    default:
        return false;
    }
}

/* Builds the honest body of `type` from the session state. Returns false if
 * the state does not allow building it (e.g. Finished before any key
 * exchange): the action then sends an empty body, which is what a broken
 * peer would do. */
static bool build_body(driver *d, const sd_action *a, sd_buf *body) {
    if (d->tls12) return build_body12(d, a, body);
    bool client = d->role == SD_ROLE_CLIENT;
    bool wrong_key = find_mutation(a, SD_MUT_WRONG_KEY) != NULL;
    uint8_t hash[SD_MAX_HASH_LEN];
    switch (a->msg_type) {
    case SD_ClientHello: {
        if (d->share.public_len == 0 && !sd_key_share_generate(&d->share, SD_x25519, &d->rng)) return false;
        sd_key_share bad = corrupt_point(&d->share);
        sd_msg_client_hello(body, &sd_default_offer, d->client_random, sd_span_of(d->session_id, d->session_id_len),
                            find_mutation(a, SD_MUT_BAD_POINT) ? &bad : &d->share, d->cfg->server_name,
                            sd_span_of(d->cookie, d->cookie_len), NULL);
        return true;
    }
    case SD_ServerHello: {
        d->suite = choose_suite13(d);
        uint16_t group = d->share.group ? d->share.group : SD_x25519;
        if (!sd_key_share_generate(&d->share, group, &d->rng)) return false;
        uint8_t random[SD_RANDOM_LEN];
        sd_rng_bytes(&d->rng, random, sizeof(random));
        sd_key_share bad = corrupt_point(&d->share);
        sd_msg_server_hello(body, false, random, sd_span_of(d->session_id, d->session_id_len), d->suite->id, group,
                            find_mutation(a, SD_MUT_BAD_POINT) ? &bad : &d->share, sd_span_of(NULL, 0), -1);
        return true;
    }
    case SD_MSG_TYPE_HELLO_RETRY_REQUEST: {
        /* §4.1.4: ask for a group the client supports but sent no share
         * for. */
        d->suite = choose_suite13(d);
        uint16_t group = choose_group(d, d->share.group);
        sd_msg_server_hello(body, true, sd_hrr_random, sd_span_of(d->session_id, d->session_id_len), d->suite->id,
                            group, NULL, sd_span_of(NULL, 0), -1);
        /* The second ClientHello's share in that group is what counts. */
        memset(&d->share, 0, sizeof d->share);
        d->share.group = group;
        sd_buf_reset(&d->peer_share);
        return true;
    }
    case SD_CertificateRequest:
        /* §4.3.2: an empty context in the main handshake. */
        sd_msg_certificate_request(body, sd_span_of(NULL, 0), sd_offered_sigalgs, sd_n_offered_sigalgs);
        return true;
    case SD_NewSessionTicket: {
        /* §4.6.1: a ticket the driver will never redeem. */
        uint8_t ticket[32], age_add[4];
        static const uint8_t nonce[1] = {0};
        sd_rng_bytes(&d->rng, ticket, sizeof ticket);
        sd_rng_bytes(&d->rng, age_add, sizeof age_add);
        sd_new_session_ticket t = {
            .ticket_lifetime = 7200,
            .ticket_age_add = (uint32_t)age_add[0] << 24 | (uint32_t)age_add[1] << 16 | (uint32_t)age_add[2] << 8 |
                              age_add[3],
            .ticket_nonce = sd_span_of(nonce, sizeof nonce),
            .ticket = sd_span_of(ticket, sizeof ticket),
            .extensions = sd_span_of(NULL, 0),
        };
        sd_build_new_session_ticket(body, &t);
        return true;
    }
    case SD_KeyUpdate: {
        /* §4.6.3: update_not_requested(0); body=01 asks the target to answer. */
        static const uint8_t not_requested = 0;
        sd_buf_append(body, &not_requested, 1);
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
        if (sign_with_key(d, a)) key = sign_with_key(d, a); /* and a scheme that fits it */
        uint16_t scheme = sd_pick_signature_scheme(offered, n_offered, key);
        if (!scheme) scheme = sd_pick_signature_scheme(sd_offered_sigalgs, sd_n_offered_sigalgs, key);
        if (wrong_key) {
            /* Sign with a key that is not the certificate's. */
            const sd_credential *other = sd_pki_find(d->cfg->pki, "client");
            if (other && other->key) key = other->key;
        }
        /* The signature's length is steady (steady_signature_len): 4 bytes
         * of algorithm and length come before it. */
        size_t want = steady_signature_len(key);
        for (int tries = 0; tries < 64; tries++) {
            sd_buf_reset(body);
            if (!sd_msg_certificate_verify(body, key, scheme, !client, hash, d->suite->hash_len)) return false;
            if (!want || body->len == 4 + want) break;
        }
        return true;
    }
    case SD_Finished: {
        if (!d->have_handshake_secrets || !sd_rl_transcript_hash(&d->rl, d->suite, hash)) return false;
        if (find_mutation(a, SD_MUT_WRONG_TRANSCRIPT) && !hash_without_last(d, d->suite->md(), hash)) return false;
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
    /* A TLS 1.2 ServerHello the mutations made unparseable (a repeated
     * extension) still set the suite and random: the honest one's. */
    bool note_honest_hello12 = d->tls12 && a->msg_type == SD_ServerHello && d->role == SD_ROLE_SERVER;
    sd_buf honest;
    sd_buf_init(&honest);
    if (note_honest_hello12) sd_buf_append_span(&honest, sd_buf_span(&body));
    apply_body_mutations(d, a, &body);
    bool hrr = a->msg_type == SD_MSG_TYPE_HELLO_RETRY_REQUEST;
    uint8_t wire_type = hrr ? SD_ServerHello : (uint8_t)a->msg_type;
    const sd_mutation *type = find_mutation(a, SD_MUT_TYPE);
    const sd_mutation *length = find_mutation(a, SD_MUT_LENGTH);
    const sd_mutation *split = find_mutation(a, SD_MUT_SPLIT);
    bool plaintext = find_mutation(a, SD_MUT_PLAINTEXT) != NULL;
    if (!d->tls12 && a->msg_type == SD_ClientHello && d->role == SD_ROLE_CLIENT && !sends_our_share(d, sd_buf_span(&body)))
        /* The trace replaced our key share: the driver cannot derive the
         * target's keys, and must not pretend to. */
        memset(&d->share, 0, sizeof(d->share));
    sd_build_handshake(&msg, type ? (uint8_t)type->value : wire_type, sd_buf_span(&body),
                       length ? length->value : -1);
    /* §4.4.1: HelloRetryRequest replaces ClientHello1 with its hash. */
    if (hrr && d->suite) sd_transcript_replace_with_message_hash(&d->rl.transcript, d->suite->md());
    /* §4.6: TLS 1.3 post-handshake messages are outside the transcript. */
    bool post_handshake13 = !d->tls12 && (a->msg_type == SD_NewSessionTicket || a->msg_type == SD_KeyUpdate);
    /* RFC 5246 §7.4.1.1: HelloRequest is not in the transcript either. */
    bool hello_request12 = d->tls12 && a->msg_type == SD_HelloRequest && !type;
    if (!post_handshake13 && !hello_request12) sd_transcript_add(&d->rl.transcript, sd_buf_span(&msg));
    bool encrypted = d->rl.write.active && !plaintext;
    size_t records_from = d->rl.out.len;
    sd_rl_send(&d->rl, SD_handshake, sd_buf_span(&msg), plaintext, split ? (size_t)split->value : 0);
    const sd_mutation *record_version = find_mutation(a, SD_MUT_RECORD_VERSION);
    if (record_version && !encrypted) set_record_version(&d->rl.out, records_from, (uint16_t)record_version->value);
    add_event(d, SD_FROM_PEER, SD_EVENT_HANDSHAKE, wire_type, 0, encrypted, a->n_mutations > 0);
    if (a->msg_type == SD_Finished) d->driver_finished = true;
    if (d->tls12) {
        /* What was actually sent is what the keys use. */
        sd_client_hello ch;
        uint8_t alert;
        if (a->msg_type == SD_ClientHello && d->role == SD_ROLE_CLIENT && sd_parse_client_hello(sd_buf_span(&body), &ch, &alert))
            note_client_hello12(d, &ch);
        if (note_honest_hello12 && !note_server_hello12(d, sd_buf_span(&body)))
            note_server_hello12(d, sd_buf_span(&honest));
        if (a->msg_type == SD_ClientKeyExchange && d->role == SD_ROLE_CLIENT) derive12(d);
    }
    sd_buf_free(&honest);
    sd_buf_free(&body);
    sd_buf_free(&msg);
    if (d->tls12) return;

    /* Key changes that follow the message (§7.1 and Figure 1). */
    if (a->msg_type == SD_KeyUpdate) {
        /* §4.6.3: "sender MUST ... update its sending key" after KeyUpdate. */
        update_traffic_keys(d, d->role);
    } else if (a->msg_type == SD_ServerHello && d->role == SD_ROLE_SERVER && d->peer_share.len) {
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
        /* RFC 5246 §7.4.1.2: a new handshake under the current keys. It
         * starts a new transcript and a new client random; the record keys
         * stay until the new ChangeCipherSpec. */
        sd_transcript_free(&d->rl.transcript);
        sd_transcript_init(&d->rl.transcript);
        sd_rng_bytes(&d->rng, d->client_random, SD_RANDOM_LEN);
        d->have_master = false;
        d->pms_len = 0;
        d->renegotiating = true;
        d->target_finished = d->driver_finished = false;
        do_send_handshake(d, a);
        d->renegotiating = false;
        break;
    case SD_ACT_SEND_ALERT: {
        uint8_t body[2] = {a->alert_level, a->alert};
        sd_rl_send(&d->rl, SD_alert, sd_span_of(body, 2), a->force_plaintext, 0);
        add_event(d, SD_FROM_PEER, SD_EVENT_ALERT, a->alert, a->alert_level, d->rl.write.active && !a->force_plaintext,
                  false);
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
        if (d->tls12) install12(d, &d->rl.write, d->role == SD_ROLE_CLIENT);
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
    case SD_ACT_EXPECT_CLOSE:
    case SD_ACT_EXPECT_CCS: {
        collect(d);
        if (!check_alive(d)) return;
        target_event ev;
        for (;;) {
            if (!queue_pop(d, &ev)) {
                char want[48];
                snprintf(want, sizeof(want), "%s",
                         a->kind == SD_ACT_EXPECT ? expected_name(a->msg_type)
                         : a->kind == SD_ACT_EXPECT_APPDATA ? "application data"
                         : a->kind == SD_ACT_EXPECT_CCS     ? "ChangeCipherSpec"
                                                            : "close_notify");
                sd_target_status st;
                read_status(d, &st);
                if (st.alert_sent >= 0) return end_from_status(d, "");
                if (st.failed) return end_run(d, SD_OUTCOME_CLOSED, "target gave up without an alert (%s)", st.error);
                return end_run(d, SD_OUTCOME_WAITING, "target sent nothing while the trace expected %s", want);
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
        const char *got = ev.kind == SD_RL_HANDSHAKE ? (ev.hrr ? "HelloRetryRequest" : sd_handshake_type_name(ev.type))
                          : ev.unreadable            ? "a record protected under keys the driver does not hold"
                          : ev.kind == SD_RL_APPDATA ? "application data"
                          : ev.kind == SD_RL_CCS     ? "ChangeCipherSpec"
                                                     : "a record";
        const char *want = a->kind == SD_ACT_EXPECT ? expected_name(a->msg_type)
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
        .credential = cfg->target_role == SD_ROLE_SERVER ? sd_pki_find(cfg->pki, cfg->target_credential) : NULL,
        .pki = cfg->pki,
        .server_name = cfg->server_name,
        .now = cfg->now,
        .seed = cfg->seed,
        /* A TLS 1.2 trace about one key exchange holds the target to that
         * suite, so a stack without it SKIPs ("unsupported:") instead of
         * failing the handshake. TLS 1.3 suites are not a stack setting
         * everywhere (BoringSSL fixes them), so they are left alone. */
        .cipher_suites = cfg->version == SD_TLS12 && cfg->cipher_suite ? &cfg->cipher_suite : NULL,
        .n_cipher_suites = cfg->version == SD_TLS12 && cfg->cipher_suite ? 1 : 0,
        .client_auth = cfg->target_role == SD_ROLE_SERVER ? cfg->client_auth : SD_CLIENT_AUTH_NONE,
        .session_tickets = cfg->session_tickets,
        /* A client under test shows the credential named for it, or with
         * client-auth the fixture's "client"; else an empty Certificate. */
        .client_credential = cfg->target_role != SD_ROLE_CLIENT ? NULL
                             : cfg->target_client_credential   ? sd_pki_find(cfg->pki, cfg->target_client_credential)
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
                if (st.alert_sent >= 0)
                    end_from_status(&d, "");
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
    out->elapsed_ms = now_ms() - start;
}
