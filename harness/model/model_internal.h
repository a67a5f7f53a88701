/* model_internal.h — the model's state, shared by its TLS 1.3 code
 * (model.c) and its TLS 1.2 code (tls12.c). Not for use outside
 * harness/model. */
#ifndef SHAKEDOWN_MODEL_INTERNAL_H
#define SHAKEDOWN_MODEL_INTERNAL_H

#include "crypto/crypto.h"
#include "protocol/record_layer.h"
#include "crypto/tls12.h"
#include "protocol/messages.h"
#include "model/model.h"
#include "protocol/sequences.h"

typedef enum {
    PHASE_START,
    PHASE_HANDSHAKE,
    PHASE_CONNECTED,
    PHASE_CLOSED,
    PHASE_FAILED,
} phase;

struct sd_model {
    sd_target base; /* unused by the model itself; lets model_target embed it */
    sd_target_config cfg;
    sd_rng rng;
    sd_record_layer rl;
    phase phase;
    const sd_shape *shape;
    size_t pos; /* next step of `shape` */

    sd_offer offer; /* what we offer (client) or accept (server) */
    const sd_suite *suite;
    sd_key_schedule ks;
    sd_key_share share;
    uint16_t group;
    /* Server: the ECDHE secret, computed from ClientHello and used once the
     * ServerHello is in the transcript. */
    uint8_t ecdhe[66];
    size_t ecdhe_len;

    uint8_t client_random[SD_RANDOM_LEN];
    uint8_t session_id[32];
    size_t session_id_len;
    uint8_t cookie[256]; /* client: from HRR; server: the one we sent */
    size_t cookie_len;
    bool sent_ccs;
    int ignored_ccs;
    /* Server: the client offered 0-RTT, which the model never accepts, so
     * its early data must be skipped (RFC 8446 §4.2.10). */
    bool skipping_early_data;
    size_t early_data_skipped;
    bool peer_finished;

    /* Server: what the client offered, kept for the flight we send. */
    uint16_t peer_sigalgs[64];
    size_t n_peer_sigalgs;
    uint16_t hrr_suite;

    /* Client: the server's leaf key, from Certificate, for CertificateVerify. */
    EVP_PKEY *peer_key;
    bool cert_requested;
    uint8_t cert_request_context[255];
    size_t cert_request_context_len;

    /* Resumption (RFC 8446 §2.2, §4.2.11, §4.6.1). */
    const sd_suite *psk_suite;
    uint8_t psk[SD_MAX_HASH_LEN];
    size_t psk_len;
    bool psk_offered, psk_accepted;
    int psk_index;          /* server: the identity it accepted */
    bool client_psk_dhe_ke; /* server: the client can resume with psk_dhe_ke */
    sd_buf ticket;          /* client: the ticket it offers */
    uint32_t ticket_age_add;
    sd_buf session_out;     /* client: the newest session, for export */
    uint8_t ticket_key[16]; /* server: seals tickets; derived from the seed */

    /* TLS 1.2 (tls12.c). */
    uint16_t version;                 /* negotiated: SD_TLS12 or SD_TLS13; 0 before */
    const sd_tls12_suite *suite12;
    uint16_t client_version;          /* ClientHello.legacy_version, for static RSA (§7.4.7.1) */
    uint8_t server_random[SD_RANDOM_LEN];
    bool ems;                         /* extended_master_secret negotiated (RFC 7627) */
    bool secure_renegotiation;        /* RFC 5746 */
    uint16_t sigalg12;                /* ServerKeyExchange signature scheme */
    uint8_t pms[SD_MAX_HASH_LEN + 66];
    size_t pms_len;
    uint8_t master[48];
    sd_tls12_key_block keys12;
    EVP_PKEY *server_key12;           /* client: the server's leaf key */
    int warning_alerts;               /* consecutive TLS 1.2 warning alerts */
    uint16_t suites_buf[32];          /* both versions' default suites */
    bool client_wants_ocsp;           /* server: ClientHello had status_request (ocsp) */
    /* TLS 1.2 OCSP stapling (RFC 6066 §8). Server: this handshake sends
     * CertificateStatus; client: the ServerHello promised one. */
    bool staple12;
    sd_buf peer_chain12;              /* client: the server's Certificate body, checked with the CertificateStatus */
    bool issue_ticket12;              /* server: this handshake ends with a NewSessionTicket */
    bool resuming12;                  /* client: offers a TLS 1.2 session (ticket in m->ticket, or its session id) */
    /* TLS 1.2 session id (RFC 5246 §7.4.1.3) of a full handshake. Server:
     * the one it sent, under which the session is cached; client: the one
     * the server sent. Empty: not cached. */
    uint8_t server_session_id[32];
    size_t server_session_id_len;
    const sd_tls12_suite *resume_suite12;
    uint8_t resume_master12[48];
    bool resume_ems12;
    uint8_t resume_session_id12[32];  /* client: the session id a version-3 blob resumes */
    size_t resume_session_id12_len;

    sd_target_status st;
    char state_name[96];
};

/* The first error sticks: one fatal alert, then silence (RFC 8446 §6). */
void model_fatal(sd_model *m, uint8_t alert, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool model_failed(const sd_model *m);
/* RFC 6066 §3 server_name checks on the server side. */
bool model_check_server_name(sd_model *m, sd_span body);
/* Server: the syntax of the ClientHello extensions the model recognises
 * but does not negotiate (signed_certificate_timestamp, compress_certificate,
 * encrypted_client_hello, status_request; with tls13 also early_data and
 * delegated_credential), as BoringSSL parses them: decode_error. False
 * after a fatal alert; sets client_wants_ocsp. */
bool model_check_extension_bodies(sd_model *m, const sd_client_hello *ch, bool tls13);
/* RFC 8446 §4.2.9 syntax of psk_key_exchange_modes in a ClientHello, if
 * present; *dhe_ke says whether psk_dhe_ke is offered. False after a fatal
 * alert (decode_error). */
bool model_check_psk_modes(sd_model *m, const sd_client_hello *ch, bool *dhe_ke);
/* Server: the OCSP response to staple for cred (the PKI's
 * ocsp-<credential>.der) if the client asked for one; else NULL. */
const sd_span *model_ocsp_response(const sd_model *m, const sd_credential *cred);
/* The credential this side presents (server's, or client's when asked). */
const sd_credential *model_own_credential(const sd_model *m);

/* --- TLS 1.2 (tls12.c) --------------------------------------------------- */
/* Server: a ClientHello that negotiated TLS 1.2; picks suite, group and
 * signature scheme, and the shape. False after a fatal alert. */
bool model12_on_client_hello(sd_model *m, const sd_client_hello *ch);
/* Client: a ServerHello without supported_versions. */
void model12_on_server_hello(sd_model *m, const sd_server_hello *sh);
/* A handshake message of a TLS 1.2 shape, in order; hash_before covers the
 * transcript up to (not including) it. */
void model12_on_message(sd_model *m, uint16_t step, const sd_handshake_msg *msg);
/* A ChangeCipherSpec record in a TLS 1.2 handshake, already checked for
 * order. */
void model12_on_ccs(sd_model *m, sd_span body);
/* Sends our next TLS 1.2 step. */
void model12_send(sd_model *m, uint16_t step);
/* Client: parses a TLS 1.2 session blob (export_session); false if it is not one. */
bool model12_load_session(sd_model *m, sd_span blob);
/* The handshake is complete: caches the session (server) or keeps it for
 * export (client). */
void model12_on_handshake_done(sd_model *m);
/* RFC 5705 exporter for TLS 1.2. */
bool model12_export(const sd_model *m, const char *label, uint8_t *out, size_t len);

#endif
