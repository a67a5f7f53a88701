/* driver_state.h — what the driver's files share: the state of one run,
 * and the functions each file offers the ones above it.
 *
 * The files call one way only:
 *   driver.c            the run loop: steps through the trace, sends, reads
 *                       what the target sends, ends the outcome;
 *   driver_messages.c   the honest body of each handshake message the driver
 *                       sends, TLS 1.3 and TLS 1.2;
 *   driver_keys.c       the peer's keys and connection state, moved by what
 *                       each side sent;
 *   driver_mutations.c  each sd_mutation kind, applied to a built message or
 *                       record, or consulted while building one.
 * driver.c calls the three others; driver_messages.c calls driver_mutations.c;
 * driver_keys.c and driver_mutations.c call none of them. */
#ifndef SHAKEDOWN_DRIVER_DRIVER_STATE_H
#define SHAKEDOWN_DRIVER_DRIVER_STATE_H

#include "driver/driver.h"

#include "protocol/record_layer.h"
#include "crypto/tls12.h"
#include "wire/handshake.h"
#include "util/util.h"

/* One thing the target sent, decoded. */
typedef struct {
    sd_rl_event_kind kind;
    uint8_t type; /* handshake type */
    bool hrr;     /* a ServerHello with the HelloRetryRequest random */
    /* A HelloRetryRequest an honest client answers with a second
     * ClientHello: the first of the connection, well formed, asking for a
     * change the driver's ClientHello allows (driver.c,
     * retry_is_answerable). */
    bool answerable_hrr;
    /* A ClientHello or ServerHello long enough to hold one: its random,
     * for an `expect ... random=` to check. */
    bool has_random;
    uint8_t random[SD_RANDOM_LEN];
    /* A TLS 1.3 ServerHello to the driver as client: the identity its
     * pre_shared_key selects (RFC 8446 §4.2.11), -1 for none, -2 for one
     * whose body is not a selected_identity; for `expect ... psk=`. */
    int psk_index;
    sd_alert alert;
    bool protected_record;
    bool unreadable; /* SD_RL_APPDATA under keys the driver does not hold */
    /* A handshake message the driver found at fault on its own reading of
     * the RFC (a TLS 1.3 ClientHello to the driver as server: an early_data
     * offer the RFC forbids there, a binder that does not verify): an
     * `expect` of it deviates, naming the fault. A static string. */
    const char *fault;
    char detail[96]; /* for SD_RL_ERROR */
} target_event;

#define MAX_QUEUE 64

/* What an honest peer keeps from one connection for the next, the whole
 * run long: a TLS 1.3 client the last NewSessionTicket it took and the PSK
 * it derived for it (RFC 8446 §4.6.1: "PSK = HKDF-Expand-Label(
 * resumption_master_secret, "resumption", ticket_nonce, Hash.length)"). */
typedef struct {
    bool have_ticket13;
    const sd_suite *suite; /* of the connection that issued the ticket: the PSK's hash (§4.2.11) */
    uint8_t psk[SD_MAX_HASH_LEN];
    sd_buf ticket;
    uint32_t ticket_age_add, ticket_lifetime;
    double received_ms; /* when it came, for obfuscated_ticket_age (§4.2.11.1) */
    /* A TLS 1.2 client the session a server named in its ServerHello
     * (RFC 5246 §7.4.1.2: "the session_id of a session ... whose security
     * parameters the client wishes to reuse"): id, suite and master
     * secret. */
    bool have_session12;
    uint8_t session_id12[32];
    size_t session_id12_len;
    const sd_tls12_suite *suite12;
    uint8_t master12[48];
    /* TLS 1.2, both roles: the session's RFC 5077 ticket (empty: the
     * session goes by its id), and whether the session used the extended
     * master secret (RFC 7627 §5.3 holds a resumption to that). A TLS 1.2
     * server keeps the session it named in its ServerHello or sealed in the
     * ticket it issued, in the same fields. */
    sd_buf ticket12;
    bool ems12;
    /* A TLS 1.3 server: whether the last NewSessionTicket it sent, as sent,
     * carried early_data, and its max_early_data_size (RFC 8446 §4.6.1), so
     * that a 0-RTT offer with that ticket is judged by what it allowed. */
    bool issued_early;
    uint32_t issued_max_early;
    /* A TLS 1.3 client: the first ClientHello of the last connection as it
     * went out, and what its keys need (its random, session id, key share,
     * the PSK it offered), for a `replay` of it (RFC 8446 §8). */
    sd_buf replay_hello;
    uint8_t replay_random[SD_RANDOM_LEN];
    uint8_t replay_session_id[32];
    size_t replay_session_id_len;
    sd_key_share replay_share;
    bool replay_psk_offered;
    size_t replay_psk_identities;
    const sd_suite *replay_psk_suite;
    uint8_t replay_psk[SD_MAX_HASH_LEN];
} driver_session;

/* The state of one run: the peer's session state (the same an honest peer
 * keeps, updated from what was actually sent and received) and the run
 * loop's bookkeeping. */
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
    /* The peer's signature schemes (server: the ClientHello's; TLS 1.2
     * client: the CertificateRequest's), whole: RFC 8446 §4.2.3 and RFC
     * 5246 §7.4.1.4.1 bound the list only by its vector, <2..2^16-2>, so a
     * usable scheme may come after thousands of others. Owned (malloc),
     * freed with the connection. */
    uint16_t *peer_sigalgs;
    size_t n_peer_sigalgs;
    /* Server: the client's ClientHello asked for an OCSP response
     * (status_request, status_type ocsp, RFC 6066 §8). */
    bool peer_wants_ocsp;
    const sd_span *staple; /* server: cfg->staple's bytes, from the PKI; NULL: none */

    bool target_finished, driver_finished; /* each side's Finished went over the wire */
    /* And then the target showed the connection is up: it sent application
     * data, a TLS 1.3 post-handshake message (RFC 8446 §4.6: only after the
     * handshake), or its own close_notify answering the driver's. */
    bool target_data_after_finished;
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
    uint16_t peer_share_groups[16]; /* server: the groups of the client's key shares */
    size_t n_peer_share_groups;
    uint8_t cookie[256]; /* client: the cookie of the target's HelloRetryRequest */
    size_t cookie_len;
    /* Client: the last ClientHello the trace sent offered what the driver's
     * own does (is_honest_client_hello), so a second ClientHello the driver
     * builds itself offers the same (RFC 8446 §4.1.2). */
    bool hello_offer_honest;
    unsigned target_hrrs; /* client: HelloRetryRequests the target sent */
    /* Client: the driver answered a HelloRetryRequest the trace did not
     * plan (answer_hello_retry_request). */
    bool answered_hrr;

    /* TLS 1.2. */
    bool tls12;
    const sd_tls12_suite *suite12;
    uint8_t server_random[SD_RANDOM_LEN];
    uint16_t client_version;     /* the ClientHello's legacy_version (the target's, or the driver's
                                  * as sent), for static RSA */
    bool client_ems, server_ems; /* each side sent extended_master_secret */
    bool client_reneg;           /* server: the client signalled RFC 5746 */
    uint16_t group12;            /* the ECDHE group of ServerKeyExchange */
    /* DHE (RFC 5246 §7.4.3): the ServerKeyExchange's dh_p and dh_g, sent
     * or received (the client's key is made with them), and as a client
     * the server's dh_Ys; lengths 0 when the suite is not DHE or a value
     * does not fit. */
    uint8_t dh_p12[SD_MAX_DH_PRIME_LEN], dh_g12[SD_MAX_DH_PRIME_LEN], dh_ys12[SD_MAX_DH_PRIME_LEN];
    size_t dh_p12_len, dh_g12_len, dh_ys12_len;
    EVP_PKEY *server_key12;      /* client: the target's leaf key; owned */
    const sd_credential *cred12; /* server: the credential its Certificate presented */
    uint8_t pms[SD_MAX_HASH_LEN + SD_MAX_SHARED_SECRET_LEN];
    size_t pms_len;
    uint8_t master[48];
    bool have_master;
    sd_tls12_key_block keys12;
    /* RFC 5746 §3.1: the verify_data of the client's and of the server's
     * last Finished on this connection, as they went over the wire. A
     * renegotiating ClientHello carries the client's in renegotiation_info
     * (§3.5), the ServerHello answering it both (§3.7). */
    uint8_t client_verify_data[12], server_verify_data[12];
    bool have_client_verify_data, have_server_verify_data;
    /* The last ServerHello, as it went over the wire, carried
     * renegotiation_info: with the ClientHello's signal (client_reneg) the
     * connection's secure_renegotiation flag (RFC 5746 §3.4, §3.6). */
    bool server_reneg;
    bool renegotiating;   /* the next ClientHello is a renegotiation */
    bool renegotiation12; /* this handshake is a renegotiation (RFC 5246 §7.4.1.2) */

    /* What the target does with application data (sd_target_status.app). */
    sd_app_protocol app;
    bool http_requested; /* SD_APP_HTTP, driver as client: a request is out, its response not yet taken */
    bool http_answered;  /* SD_APP_HTTP: the target answered a request (a server) or made one (a client) */
    bool http_junk;      /* raw application data went out after the handshake: not HTTP */
    /* The target (a server) sent a CertificateRequest the trace did not
     * expect, which RFC 8446 §4.3.2 and RFC 5246 §7.4.4 let it do: before
     * its next flight the driver owes what a client without a certificate
     * answers, an empty Certificate (RFC 8446 §4.4.2, RFC 5246 §7.4.6). */
    bool owe_empty_certificate;
    /* The trace expected a TLS 1.3 KeyUpdate the target had not sent yet:
     * it owes one only "prior to sending its next Application Data record"
     * (RFC 8446 §4.6.3), so the expectation stands until then. */
    bool key_update_pending;
    /* The driver's last KeyUpdate asked for one back (update_requested) and
     * none has come since: only then may an expected KeyUpdate wait. One
     * answer covers any number of requests ("a single update", §4.6.3). */
    bool key_update_owed;
    bool filler;                        /* the message being sent is such an answer, not a trace action */
    bool target_sent_empty_certificate; /* the target (a client) answered with an empty Certificate */
    bool target_sent_certificate;       /* ... or with one that is not empty */
    /* For out->reached: the current action put bytes on the wire, and some
     * went to a target that had already given up. */
    bool action_delivered, action_delivered_late;
    /* The current action asked only for edits of the body (body=, flip=,
     * truncate=, append=, session-id=, the extension mutations) and they left it as
     * the driver built it: the message lacked what they edit (a drop-ext
     * of a cookie the target never sent, say). The deviation the trace
     * asked for was not made, so neither this action nor any after it is
     * counted as reached. */
    bool deviation_not_made;
    /* Why, when it is not the edits: the honest message itself could not
     * be built as the RFC has it (a HelloRetryRequest to a client that
     * offered no group it has no share for). NULL: the edits. */
    const char *not_made_why;

    target_event queue[MAX_QUEUE];
    size_t q_head, q_len;
    /* Several connections (trace.h, SD_ACT_CONNECTION): which one this is
     * (0: the first), and what the driver kept from those before. */
    int connection;
    driver_session *session;
    /* Client, TLS 1.3: this connection's ClientHello offered the kept
     * ticket, as psk_identities identities; the target's ServerHello
     * selected one of them (§4.2.11), so the key schedule starts from the
     * PSK (§7.1). */
    bool psk_offered, psk_accepted;
    size_t psk_identities;
    /* Client, TLS 1.3: this connection's ServerHello carried a
     * pre_shared_key, whatever it selected: a server answering as to a
     * resumption, so `expect ... if-full` steps are passed over. */
    bool target_selected_psk;
    /* Client, TLS 1.2: this connection's ServerHello carried a
     * session_ticket extension (RFC 5077 §3.2), so the server owes a
     * NewSessionTicket (§3.3) and `expect ... if-announced` steps stand;
     * without it they are passed over. */
    bool target_announced_ticket;
    /* Client, TLS 1.3: the ClientHello as sent offered psk_ke (RFC 8446
     * §4.2.9), so a ServerHello that selects the PSK without a key_share is
     * a PSK-only handshake, whose (EC)DHE input is the 0-value (§7.1). */
    bool offered_psk_ke;
    /* Client, TLS 1.3: the PSK this connection's ClientHello offered, and
     * its suite (the kept ticket's when it was offered; a replay's own). */
    const sd_suite *offer_suite;
    uint8_t offer_psk[SD_MAX_HASH_LEN];
    /* 0-RTT (RFC 8446 §4.2.10). Client: the ClientHello as sent offered
     * early data with the PSK, and the driver writes under
     * client_early_traffic_secret (early_writing) until EndOfEarlyData or
     * the target's refusal (a HelloRetryRequest, a ServerHello without the
     * PSK, EncryptedExtensions without early_data). Server: the target's
     * ClientHello offered it with the ticket the driver issued, as its
     * first identity, and the driver reads under the early keys
     * (early_reading) until the target's EndOfEarlyData, or, when its
     * EncryptedExtensions as sent refuse it, skips what it cannot read
     * (early_skipping). */
    bool early_writing, early_reading, early_skipping;
    /* Client: the target refused the 0-RTT (HelloRetryRequest, ServerHello
     * without the PSK, EncryptedExtensions without early_data) while the
     * driver still writes under the early keys: what the trace sends as
     * early data goes under them, as a client sends it before it reads the
     * answer; its next handshake message goes under the keys the server
     * reads (driver_end_refused_early_data). */
    bool early_refused;
    size_t early_skipped;
    uint8_t client_early_traffic[SD_MAX_HASH_LEN];
    bool first_hello_kept; /* client: this connection's first ClientHello went to replay_hello */
    /* Server, TLS 1.3: HelloRetryRequests the driver sent in this
     * connection (a 0-RTT offer after one is refused, §4.2.10), and the
     * fault of the ClientHello just read, for its event (target_event). */
    unsigned driver_hrrs;
    /* Also, as a client, the fault of the target's ALPN answer (RFC 7301)
     * in its EncryptedExtensions (TLS 1.3) or ServerHello (TLS 1.2). */
    const char *hello_fault;
    /* Certificate compression (RFC 8879), TLS 1.3. cc_offered: the driver
     * sent compress_certificate (client: in its ClientHello; server: in its
     * CertificateRequest), so the target may send a CompressedCertificate.
     * cc_peer_alg: the first algorithm of the target's list (its ClientHello
     * or CertificateRequest) the driver has, what `send
     * CompressedCertificate` compresses with; 0: none offered. */
    bool cc_offered;
    uint16_t cc_peer_alg;
    /* ALPN (RFC 7301). Client: what the ClientHello as sent offered (the
     * trace's add-ext), when it was a well-formed list. Server: the first
     * protocol the target's ClientHello offers, which the driver, a server
     * that speaks whatever the client asks for, selects when the client
     * under test was set up with protocols (sd_run_config.target_alpn). */
    bool alpn_offered, alpn_offer_valid;
    uint8_t alpn_offer[512];
    size_t alpn_offer_len;
    bool peer_alpn_valid;
    uint8_t peer_alpn_first[255];
    size_t peer_alpn_first_len;
    /* record_size_limit (RFC 8449), with sd_run_config.record_size_limit.
     * Client: the limit the ClientHello as sent offered (0: none). Server:
     * the limit the target's ClientHello offered (0: none or malformed),
     * which the driver's answer makes the target's from then on. The limits
     * in force are the record layer's (peer_record_limit, own_record_limit). */
    uint16_t record_limit_offered, peer_record_limit_offer;
    /* max_fragment_length (RFC 6066 §4), with
     * sd_run_config.max_fragment_length. Client: the code the ClientHello
     * as sent requested (0: none). Server: the code the target's
     * ClientHello requested (0: none or not 1-4), which the driver echoes.
     * The length in force is the record layer's max_fragment_len. */
    uint8_t fragment_length_requested, peer_fragment_length_request;
    /* encrypt_then_mac (RFC 7366), with sd_run_config.encrypt_then_mac.
     * Server: the target's ClientHello offered it. Both: the ServerHello
     * (as sent or received) negotiated it for a CBC suite, so the keys of
     * this handshake are installed with it. */
    bool peer_offers_etm, etm12;
    bool etm_offered; /* client: the ClientHello as sent carried encrypt_then_mac */
    /* Server, TLS 1.3: the index of the identity of the client's
     * pre_shared_key that is the ticket the driver issued before, -1 for
     * none; its ServerHello then selects it. */
    int psk_selected;
    /* TLS 1.2 client: the session id the target's ServerHello carried, and
     * whether it resumed the session the ClientHello offered (§7.4.1.3:
     * the same id). */
    uint8_t server_session_id12[32];
    size_t server_session_id12_len;
    bool resumed12;
    /* TLS 1.2: the trace has a later connection, so a TLS 1.2 server names
     * its session (a session id, RFC 5246 §7.4.1.3) for it to resume; a
     * single connection keeps the empty id it always had. */
    bool several_connections;
    /* TLS 1.2 server: the client's ClientHello offered the session the
     * driver kept, by its id (RFC 5246 §7.4.1.2) or its ticket (RFC 5077
     * §3.1), so the honest ServerHello resumes it. */
    bool peer_offers_session12;
    /* TLS 1.2, this connection's RFC 5077 ticket: the one the target's
     * NewSessionTicket carried (client), or the one the driver issued
     * (server); kept with the session when the connection completes. */
    sd_buf ticket12_new;
    bool ticket12_new_seen;
    /* TLS 1.3 client: a NewSessionTicket that came before the driver's
     * Finished (RFC 8446 §4.6.1: a server that does not ask for a
     * certificate "MAY ... send a NewSessionTicket immediately upon sending
     * its Finished"); kept once the resumption secret is known. */
    sd_buf half_rtt_ticket;

    /* Set by the files below the run loop when the driver itself failed (a
     * key it could not install, memory): the run loop then ends the run as
     * a harness error, never as the target's doing. */
    char harness_error[128];
} driver;

/* --- driver_keys.c: keys and connection state ----------------------------- */

/* Records the driver's own failure (the first one only) for the run loop. */
void driver_harness_failed(driver *d, const char *what);

/* A handshake message from the target: record it, and move the key schedule
 * as the protocol says. */
void driver_on_target_handshake(driver *d, const sd_handshake_msg *msg);
/* After the driver sent a handshake message for action a: `sent` is the body
 * that went over the wire, `honest` the body before the mutations (empty
 * unless the run loop kept it: a TLS 1.2 server's ServerHello). */
void driver_on_sent_handshake(driver *d, const sd_action *a, sd_span sent, sd_span honest);
/* RFC 5246 §7.1: one side's pending keys become current in k. */
void driver_install_keys12(driver *d, sd_record_keys *k, bool client_side);
/* `send-ccs empty-master`: the driver's write keys from an empty master
 * secret (trace.h), whatever the session's are. */
void driver_install_empty_master_keys12(driver *d);
/* RFC 5246 §7.4.1.2: a new handshake under the current keys. */
void driver_start_renegotiation(driver *d);
/* TLS 1.2: a Finished went over the wire (RFC 5746 §3.1: its verify_data
 * is what the next renegotiation proves it knows). */
void driver_note_finished12(driver *d, bool from_client, sd_span verify_data);
/* TLS 1.3 client: the pre_shared_key offer of the kept ticket appended to
 * a ClientHello body built without one (RFC 8446 §4.2.11), its binder
 * computed over the transcript so far and the message up to the binders
 * (§4.2.11.2); the PSK mutations (psk-not-last, binder-length=, binders=,
 * psk-identities=) change how. Leaves the body alone without a ticket. */
void driver_offer_psk13(driver *d, const sd_action *a, sd_buf *body);
/* After the body mutations of a ClientHello that carries the driver's PSK
 * offer: if they left its binders as built (built: the body before them),
 * each binder is made again over the ClientHello as it goes out, as an
 * honest client computes it (RFC 8446 §4.2.11.2), so that a deviation
 * elsewhere in the message (an extension dropped, a suite changed, a ticket
 * age) is what the server judges, not a binder gone stale. */
void driver_rebind_psk13(driver *d, sd_span built, sd_buf *body);
/* TLS 1.3 server: keeps the ticket it is issuing, and the PSK its nonce
 * gives (RFC 8446 §4.6.1), once the client's Finished is in the
 * transcript; a ticket sent before that is never redeemed. */
void driver_keep_issued_ticket13(driver *d, sd_span ticket, sd_span nonce, uint32_t age_add);
/* TLS 1.2, at the end of a connection that completed: keeps the session
 * the server named or sealed in a ticket, the client to offer it in the
 * next (RFC 5246 §7.4.1.2, RFC 5077 §3.4), the server to resume it. */
void driver_keep_session12(driver *d);
/* `replay` (trace.h): the body becomes the last connection's first
 * ClientHello, and the driver takes up its random, session id, key share
 * and PSK. False if there is none to replay. */
bool driver_replay_client_hello(driver *d, sd_buf *body);
/* Client: after a refused 0-RTT, the write keys become the handshake's (or
 * none after a HelloRetryRequest), before a handshake message goes out. */
void driver_end_refused_early_data(driver *d);

/* --- driver_messages.c: honest message bodies ----------------------------- */

/* Builds the honest body of a->msg_type from the session state. Returns
 * false if the state does not allow building it (e.g. Finished before any
 * key exchange): the action then sends an empty body, which is what a broken
 * peer would do. */
bool driver_build_body(driver *d, const sd_action *a, sd_buf *body);
/* Whether the honest body of a is certain to differ from the one body=
 * replaces it with, and need not be built: a TLS 1.2 CertificateVerify
 * whose only body edit is a non-empty body= that cannot match the honest
 * one's scheme and signature length, its other mutations framing only
 * (split=, plaintext, record-version=, length=). Building it would sign for nothing (a
 * private-key operation, a fuzz execution's dearest step against a stack
 * that randomises its side); and every comparison the sender makes with
 * the honest body (did body= change anything) comes out the same against
 * an empty one, which also differs from the replacement. */
bool driver_honest_body_unneeded(const driver *d, const sd_action *a);
/* Server: whether this handshake staples the scenario's OCSP response: one
 * was set up (`staple:`) and the client's ClientHello asked for it (RFC
 * 6066 §8: the server returns one in response to status_request). */
bool driver_staples(const driver *d);
/* The driver's supported_groups as a client: its defaults (sd_offered_groups),
 * then each group the server under test accepts (`groups:`) that they lack.
 * Returns how many, at most DRIVER_MAX_OFFERED_GROUPS. */
#define DRIVER_MAX_OFFERED_GROUPS 16
size_t driver_offered_groups(const driver *d, uint16_t *out);

/* --- driver_mutations.c: the mutations ------------------------------------ */

/* The action's first mutation of this kind, or NULL. */
const sd_mutation *driver_find_mutation(const sd_action *a, sd_mutation_kind kind);
/* body=, flip=, truncate=, append=, dup-ext=, add-ext=, drop-ext=, pad=,
 * unknown-exts=, session-id=, flip-ext=, in the order the action lists
 * them. Returns the indexes (bit i: a->mutations[i], i < 32) of those that
 * left the body as it was (a drop-ext of an extension the body lacks). */
uint32_t driver_apply_body_mutations(const driver *d, const sd_action *a, sd_buf *body);
/* dup-ext, add-ext, drop-ext on one message's extension block. */
void driver_edit_extensions(uint16_t msg_type, bool tls12, const sd_mutation *mu, sd_buf *body);
/* record-version: the version field of the plaintext records appended to
 * out since `from`. */
void driver_set_record_version(sd_buf *out, size_t from, uint16_t version);
/* Sends `content` as records of `type` as sd_rl_send does, with the
 * padding inner-padding= (TLS 1.3 keys) or cbc-padding= (TLS 1.2 CBC keys)
 * asks for in each record. Returns whether one of them applied (without
 * keys they fit, the records are the honest ones). */
bool driver_send_records(driver *d, const sd_action *a, uint8_t type, sd_span content, bool plaintext,
                         size_t max_fragment);
/* record-flip: XOR one byte of the fragment of the record at out[from]
 * (the first the action sent), offsets as flip='s, after protection.
 * Returns whether a byte changed. */
bool driver_flip_record(sd_buf *out, size_t from, const sd_mutation *m);
/* bad-point: a copy of the share whose public value is not a point of the
 * group. */
sd_key_share driver_corrupt_point(const sd_key_share *ks);
/* wrong-transcript: the transcript hash without its last handshake message. */
SD_MUST_CHECK bool driver_hash_without_last(const driver *d, const EVP_MD *md, uint8_t *out);
/* cert=: the credential the driver presents (the run's otherwise). */
const sd_credential *driver_credential(const driver *d, const sd_action *a);
/* wrong-key: a key of the same type as `key` that is not it. */
EVP_PKEY *driver_other_key(const driver *d, const EVP_PKEY *key);
/* sign-with=: that credential's key, or NULL. */
EVP_PKEY *driver_sign_with_key(const driver *d, const sd_action *a);

#endif
