/* model_state.h — the model's state and the seams between its files. Not
 * for use outside harness/model.
 *
 * The files call one way only, each down the list, never up:
 *   model.c          the public API (model.h), record reading, the order of
 *                    messages (sequences.c), and dispatch through the table
 *                    of the negotiated version;
 *   tls13.c, tls12.c each version's handlers: model_tls13, model_tls12;
 *   tls13_psk.c      TLS 1.3 resumption, for tls13.c;
 *   tls12_session.c  TLS 1.2 sessions and tickets, for tls12.c;
 *   checks.c         what both versions share: the fatal alert, the
 *                    transcript hash, ClientHello extension checks. */
#ifndef SHAKEDOWN_MODEL_MODEL_STATE_H
#define SHAKEDOWN_MODEL_MODEL_STATE_H

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
    uint8_t ecdhe[SD_MAX_SHARED_SECRET_LEN];
    size_t ecdhe_len;

    uint8_t client_random[SD_RANDOM_LEN];
    uint8_t session_id[32];
    size_t session_id_len;
    uint8_t cookie[256]; /* client: from HRR; server: the one we sent */
    size_t cookie_len;
    bool sent_ccs;
    int ignored_ccs;
    /* Server: the client offered 0-RTT and the model did not accept it, so
     * its early data must be skipped (RFC 8446 §4.2.10). */
    bool skipping_early_data;
    size_t early_data_skipped;
    /* 0-RTT (RFC 8446 §2.3, §4.2.10). Server: early data accepted (the
     * EncryptedExtensions say so) and read under client_early_traffic_secret
     * until EndOfEarlyData (early_ended); what it held, echoed once the
     * handshake is done (the echo contract of protocol/target.h), and how
     * much, against the ticket's max_early_data_size (§4.6.1). Client:
     * early data sent after the ClientHello (early_sent) and the server's
     * answer (early_accepted). */
    bool early_accepted, early_ended, early_sent;
    size_t early_data_received;
    sd_buf early_echo;
    uint8_t client_early_traffic[SD_MAX_HASH_LEN];
    uint32_t ticket_max_early; /* server: the selected ticket's max_early_data_size; client: the session's */
    uint16_t ticket_suite;     /* server: the cipher suite the selected ticket was issued under */
    uint8_t psk_binder[32];    /* server: the first 32 bytes of the validated binder, the §8.2 record */
    size_t psk_binder_len;
    bool peer_finished;

    /* The signature schemes the peer offered (a server: the ClientHello's;
     * a client: the CertificateRequest's), whole and in its order, for the
     * signature we send: RFC 8446 §4.2.3 bounds the list only by its
     * vector, supported_signature_algorithms<2..2^16-2>, so up to 32767
     * entries, and a usable scheme may come last. Owned (malloc). */
    uint16_t *peer_sigalgs;
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
    bool fatal_alert;       /* one was sent or received (RFC 5246 §7.2) */
    uint8_t ticket_key[16]; /* server: seals tickets; derived from the seed */

    /* TLS 1.2 (tls12.c, tls12_session.c). */
    uint16_t version; /* negotiated: SD_TLS12 or SD_TLS13; 0 before */
    const sd_tls12_suite *suite12;
    uint16_t client_version; /* ClientHello.legacy_version, for static RSA (§7.4.7.1) */
    uint8_t server_random[SD_RANDOM_LEN];
    bool ems;                  /* extended_master_secret negotiated (RFC 7627) */
    bool secure_renegotiation; /* RFC 5746 */
    /* RFC 5746 §3.1: the verify_data of the client's and the server's last
     * Finished (12 bytes in TLS 1.2, RFC 5246 §7.4.9), and whether this
     * handshake is a renegotiation (cfg.renegotiation), which proves it
     * knows them (§3.5, §3.7). */
    uint8_t client_verify_data12[12], server_verify_data12[12];
    bool renegotiating12;
    uint16_t sigalg12; /* ServerKeyExchange signature scheme */
    uint8_t pms[SD_MAX_HASH_LEN + SD_MAX_SHARED_SECRET_LEN];
    size_t pms_len;
    uint8_t master[48];
    sd_tls12_key_block keys12;
    EVP_PKEY *server_key12;  /* client: the server's leaf key */
    int warning_alerts;      /* consecutive TLS 1.2 warning alerts */
    uint16_t suites_buf[32]; /* both versions' default suites */
    bool client_wants_ocsp;  /* server: ClientHello had status_request (ocsp) */
    /* ALPN (RFC 7301): the protocol this connection negotiated. Server: the
     * one its EncryptedExtensions (TLS 1.3) or ServerHello (TLS 1.2)
     * answers with; client: the one the server selected. */
    uint8_t alpn[255];
    size_t alpn_len;
    bool alpn_selected;
    /* Certificate compression (RFC 8879), TLS 1.3. cc_offered: this side
     * sent compress_certificate (a client in its ClientHello, a server in
     * its CertificateRequest), so the peer may send a CompressedCertificate.
     * cc_compress_with: the algorithm this side's Certificate goes out
     * compressed with, the first of the peer's list the model has; 0:
     * uncompressed. */
    bool cc_offered;
    uint16_t cc_compress_with;
    /* Server: the ClientHello offered record_size_limit (RFC 8449) and this
     * server, set up with one (cfg.record_size_limit), answers it. */
    bool record_size_limit_answered;
    /* Server: the MaxFragmentLength code (RFC 6066 §4) the client requested
     * and this server, set up for it (cfg.max_fragment_length), accepts; 0:
     * none. */
    uint8_t max_fragment_length_accepted;
    /* TLS 1.2 encrypt-then-MAC (RFC 7366), with cfg.encrypt_then_mac.
     * Server: the ClientHello offered it. Both: this handshake negotiated
     * it (a CBC suite), so its keys are installed with it. */
    bool etm_offered12, etm12;
    /* TLS 1.2 OCSP stapling (RFC 6066 §8). Server: this handshake sends
     * CertificateStatus; client: the ServerHello promised one. */
    bool staple12;
    sd_buf peer_chain12; /* client: the server's Certificate body, checked with the CertificateStatus */
    bool issue_ticket12; /* server: this handshake ends with a NewSessionTicket */
    bool resuming12;     /* client: offers a TLS 1.2 session (ticket in m->ticket, or its session id) */
    /* TLS 1.2 session id (RFC 5246 §7.4.1.3) of a full handshake. Server:
     * the one it sent, under which the session is cached; client: the one
     * the server sent. Empty: not cached. */
    uint8_t server_session_id[32];
    size_t server_session_id_len;
    const sd_tls12_suite *resume_suite12;
    uint8_t resume_master12[48];
    bool resume_ems12;
    uint8_t resume_session_id12[32]; /* client: the session id a version-3 blob resumes */
    size_t resume_session_id12_len;

    sd_target_status st;
    char state_name[96];
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* --- Per-version tables (tls13.c, tls12.c), read by model.c --------------- */

/* One received message, as a version's handler gets it. */
typedef struct {
    sd_span body;  /* the message body; for ChangeCipherSpec, the record's content */
    sd_span whole; /* header and body, as the transcript holds them */
    /* The transcript hash up to, not including, this message, once a TLS 1.3
     * suite is chosen (m->suite): what TLS 1.3's CertificateVerify and
     * Finished cover. */
    const uint8_t *hash_before;
    const sd_client_hello *client_hello; /* ClientHello, parsed by model.c */
    const sd_server_hello *server_hello; /* ServerHello and HelloRetryRequest, parsed by model.c */
    bool second_client_hello;            /* the ClientHello answering our HelloRetryRequest */
    /* A CompressedCertificate (RFC 8879 §4) in the Certificate's step
     * (sd_step_of_message): the body is to be decompressed first. */
    bool compressed_certificate;
} model_received;

/* One step of a version's shapes (s2n-tls's state machine is the model for
 * this): how to read it when the peer sends it, and how to send it. The
 * functions serve both roles. NULL: this version never does that. */
typedef struct {
    uint16_t msg; /* handshake type, SD_MSG_HELLO_RETRY_REQUEST or SD_MSG_CHANGE_CIPHER_SPEC */
    void (*on_receive)(sd_model *m, const model_received *in);
    void (*send)(sd_model *m);
} model_step;

typedef struct {
    const model_step *steps;
    size_t n_steps;
    /* Server: checks a second ClientHello against the first before the
     * version is negotiated again; false after a fatal alert. NULL: the
     * version never asks for a second one. */
    bool (*check_second_client_hello)(sd_model *m, const sd_client_hello *ch);
    /* A handshake message once connected; false if the version has no use
     * for it (model.c then sends unexpected_message). */
    bool (*on_post_handshake)(sd_model *m, const sd_handshake_msg *msg);
    /* The handshake just completed, or NULL. */
    void (*on_handshake_done)(sd_model *m);
    /* Client: a session blob (sd_model_export_session) of this version to
     * offer; false if the blob is not one. */
    bool (*load_session)(sd_model *m, sd_span blob);
    /* The exporter with an empty context, once connected. */
    bool (*export_keying_material)(const sd_model *m, const char *label, uint8_t *out, size_t len);
} model_version;

extern const model_version model_tls13; /* tls13.c */
extern const model_version model_tls12; /* tls12.c */

/* --- TLS 1.3 resumption (tls13_psk.c), for tls13.c ------------------------- */

/* Client: computes the binder of the PSK offered in this ClientHello body
 * and writes it in place (RFC 8446 §4.2.11.2). */
void tls13_write_binder(sd_model *m, sd_buf *body);
/* Client: a TLS 1.3 session blob (version 1); false if the blob is not one. */
bool tls13_load_session(sd_model *m, sd_span blob);
/* Client: a NewSessionTicket after the handshake (RFC 8446 §4.6.1). */
void tls13_on_new_session_ticket(sd_model *m, sd_span body);
/* Server: RFC 8446 §4.2.9 and §4.2.11 syntax of the offered PSKs. */
bool tls13_check_psk_offer(sd_model *m, const sd_client_hello *ch, sd_span *out_identities,
                           sd_span *out_binders, bool *dhe_ke);
/* Server: accepts the first offered ticket of ours that fits the chosen
 * suite and whose binder verifies. False after a fatal alert. */
bool tls13_select_psk(sd_model *m, sd_span body, sd_span identities, sd_span binders);
/* Server, after the client's Finished: one NewSessionTicket (RFC 8446 §4.6.1). */
void tls13_send_session_ticket(sd_model *m);
/* Server: whether to accept the 0-RTT the ClientHello offers (RFC 8446
 * §4.2.10, §8.2), once the PSK is chosen; records the ClientHello when it
 * does. */
bool tls13_accept_early_data(sd_model *m);
/* client_early_traffic_secret = Derive-Secret(Early Secret of the PSK, "c e
 * traffic", ClientHello) (§7.1), into m->client_early_traffic, with the
 * transcript holding the ClientHello alone. False after a fatal alert. */
bool tls13_derive_early_secret(sd_model *m, const sd_suite *suite);
/* Server: a handshake message while 0-RTT is being read (§4.5): only
 * EndOfEarlyData, which moves the read keys to the handshake's. */
void tls13_on_early_handshake(sd_model *m, const sd_handshake_msg *msg);

/* --- TLS 1.2 sessions (tls12_session.c), for tls12.c ------------------------ */

/* Server: the session in a ticket of ours (RFC 5077 §4), or cached under a
 * session id (RFC 5246 §7.4.1.2); false if there is none. */
bool tls12_open_ticket(const sd_model *m, sd_span ticket, const sd_tls12_suite **suite, bool *ems,
                       bool *client_authenticated, uint8_t master[48]);
bool tls12_lookup_session(const sd_model *m, sd_span id, const sd_tls12_suite **suite, bool *ems,
                          bool *client_authenticated, uint8_t master[48]);
/* Server: a new session id for a full handshake (RFC 5246 §7.4.1.3). */
void tls12_new_session_id(sd_model *m, sd_span offered);
void tls12_send_session_ticket(sd_model *m);
void tls12_on_new_session_ticket(sd_model *m, const model_received *in);
/* The handshake is complete: the server caches the session, the client
 * keeps it for export. */
void tls12_on_handshake_done(sd_model *m);
/* RFC 5246 §7.2: after a fatal alert "the session identifier MUST be
 * invalidated, preventing the failed session from being used to establish
 * new connections": the server drops it from its cache, the client its
 * session for export. */
void tls12_forget_session(sd_model *m);
/* Client: a TLS 1.2 session blob (versions 2 and 3); false if the blob is
 * not one. */
bool tls12_load_session(sd_model *m, sd_span blob);

/* --- Shared by both versions (checks.c) ------------------------------------ */

/* The first error sticks: one fatal alert, then silence (RFC 8446 §6). */
void model_fatal(sd_model *m, uint8_t alert, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool model_failed(const sd_model *m);
/* Moves to the message order sequences.c has for `flags`. A combination it
 * has no row for is the model's own error (internal_error, RFC 8446 §6.2),
 * not a crash: the order stays as it was, and false is returned. */
bool model_set_shape(sd_model *m, unsigned flags);
/* The TLS 1.3 transcript hash with m->suite; false after a fatal alert. */
bool model_transcript_hash(sd_model *m, uint8_t *out);
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
/* Keeps the peer's signature_algorithms list (m->peer_sigalgs), all of it.
 * False after a fatal alert (internal_error: out of memory). */
bool model_keep_peer_sigalgs(sd_model *m, sd_u16_list list);
/* Server: ALPN (RFC 7301 §3.2) for a ClientHello of either version, when
 * the server has protocols (cfg.alpn); sets alpn_selected. False after a
 * fatal alert (decode_error, no_application_protocol). */
bool model_select_alpn(sd_model *m, const sd_client_hello *ch);
/* RFC 8879: whether this side offered certificate compression in this TLS
 * 1.3 handshake, so that a CompressedCertificate takes the Certificate's
 * step (sequences.h, sd_step_of_message). */
bool model_cert_compression_offered(const sd_model *m);
/* RFC 8879 §3: the peer's compress_certificate extension in a ClientHello
 * (server) or CertificateRequest (client) when there: a malformed one is a
 * fatal decode_error (false); otherwise sets cc_compress_with. */
bool model_take_cert_compression_offer(sd_model *m, sd_span extensions);
/* RFC 8879 §4: the Certificate body a CompressedCertificate carries,
 * decompressed into out; false after a fatal alert. */
bool model_decompress_certificate(sd_model *m, sd_span body, sd_buf *out);
/* Client: the server's ALPN answer (RFC 7301 §3.1), in ServerHello (TLS
 * 1.2) or EncryptedExtensions (TLS 1.3). False after a fatal alert. */
bool model_take_alpn_answer(sd_model *m, sd_span body);
/* record_size_limit (RFC 8449 §4), only with cfg.record_size_limit: the
 * model ignores the extension otherwise, as BoringSSL, which does not
 * implement it. Server: takes the ClientHello's offer (a fatal alert and
 * false when it is malformed or under 64) and sets the record layer's
 * limits for the version being negotiated; model_answer_record_size_limit
 * then adds the answer to the ServerHello's (TLS 1.2) or
 * EncryptedExtensions' (TLS 1.3) extensions. Client: takes the server's
 * answer; false after a fatal alert. */
bool model_take_record_size_limit_offer(sd_model *m, const sd_client_hello *ch, bool tls13);
void model_answer_record_size_limit(sd_model *m, sd_buf *exts, bool tls13);
bool model_take_record_size_limit_answer(sd_model *m, sd_span body);
/* max_fragment_length (RFC 6066 §4), only with cfg.max_fragment_length:
 * the model ignores the extension otherwise, as BoringSSL, which does not
 * implement it. Server: takes the ClientHello's request (a fatal alert and
 * false for a value other than 1-4 or a malformed body), and
 * model_answer_max_fragment_length echoes it in the ServerHello's (TLS
 * 1.2) or EncryptedExtensions' (TLS 1.3) extensions and makes it the record
 * layer's limit from that message on. Client: takes the server's answer,
 * which must be the length requested; false after a fatal alert. */
bool model_take_max_fragment_length_request(sd_model *m, const sd_client_hello *ch);
void model_answer_max_fragment_length(sd_model *m, sd_buf *exts);
bool model_take_max_fragment_length_answer(sd_model *m, sd_span body);
/* Server: the OCSP response to staple for cred (the PKI's
 * ocsp-<credential>.der) if the client asked for one; else NULL. */
const sd_span *model_ocsp_response(const sd_model *m, const sd_credential *cred);

/* Server tickets, both versions: the server's own sealed state (RFC 8446
 * §4.6.1 and RFC 5077 §4 leave the format to the server), nonce(12) ||
 * AES-128-GCM(plain) under m->ticket_key, the nonce from the model's seeded
 * generator. Each version writes its own plaintext, with a tag or a shape
 * that keeps the two kinds apart. MODEL_TICKET_MAX_PLAIN bounds it. */
#define MODEL_TICKET_MAX_PLAIN 64
void model_seal_ticket(sd_model *m, const uint8_t *plain, size_t plain_len, sd_buf *out);
/* Opens a ticket sealed by model_seal_ticket into plain[0..cap); false for
 * anything else, which is then not a ticket of ours. */
bool model_open_ticket(const sd_model *m, sd_span ticket, uint8_t *plain, size_t cap, size_t *plain_len);

#endif
