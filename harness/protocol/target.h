/* target.h — one TLS stack under test behind one small interface.
 *
 * A target is an endpoint that the driver talks to with bytes: configure it,
 * feed it what the peer sent, drain what it wants to send, ask its status.
 * After its handshake completes, every target echoes application data back,
 * or with sd_target_config.app_reply answers a request line the way
 * `openssl s_server -www` does, and answers a close_notify with its own, so
 * that a run can prove the connection works.
 *
 * In-process targets (model, boringssl) implement this directly; the shim and
 * tcp targets implement it over a socket. The implementations and the
 * registry of stacks by name are in harness/stacks (stacks/stacks.h). */
#ifndef SHAKEDOWN_PROTOCOL_TARGET_H
#define SHAKEDOWN_PROTOCOL_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/pki.h"
#include "wire/bytes.h"
#include "wire/cert_compression.h"

typedef enum { SD_ROLE_CLIENT = 0, SD_ROLE_SERVER = 1 } sd_role;
const char *sd_role_name(sd_role role);

typedef enum {
    SD_CLIENT_AUTH_NONE = 0,
    SD_CLIENT_AUTH_REQUEST, /* ask for a certificate; an empty answer is accepted */
    SD_CLIENT_AUTH_REQUIRE, /* ask, and refuse a client without one (certificate_required) */
} sd_client_auth;

typedef struct {
    sd_role role;
    uint16_t min_version, max_version; /* SD_TLS12 / SD_TLS13 */
    /* Server: the credential it presents. Client: ignored (its certificate
     * is client_credential below). */
    const sd_credential *credential;
    /* Client: trust anchors and the name it expects. Server: unused. */
    const sd_pki *pki;
    const char *server_name;
    int64_t now;   /* validation time */
    uint64_t seed; /* for targets that can be made deterministic */
    /* What to offer (client) or accept (server), in preference order. Empty
     * (n == 0) means the stack's defaults. A stack that cannot honour a list
     * (BoringSSL's TLS 1.3 cipher suites are fixed) fails create() as
     * unsupported (sd_target_error). */
    const uint16_t *cipher_suites;
    size_t n_cipher_suites;
    const uint16_t *groups;
    size_t n_groups;
    /* The signature schemes it offers for the peer's signatures and accepts
     * in them (a client's signature_algorithms, a server's
     * CertificateRequest; RFC 8446 §4.2.3, RFC 5246 §7.4.1.4.1 and
     * §7.4.4), in preference order; n 0: its defaults. A stack that cannot
     * be limited so fails create() as unsupported. */
    const uint16_t *sigalgs;
    size_t n_sigalgs;
    /* Server: whether to ask for a client certificate, validated against pki. */
    sd_client_auth client_auth;
    /* Client: the credential it presents when asked; NULL sends an empty
     * Certificate. */
    const sd_credential *client_credential;
    /* Server: issue session tickets after the handshake (RFC 8446 §4.6.1,
     * RFC 5077). Servers of one stack with the same seed share their ticket
     * key, so a ticket from one connection resumes on the next. Client: the
     * server will issue one, so offer the TLS 1.2 session_ticket extension
     * (RFC 5077 §3.2); a client that cannot fails create() as unsupported. */
    bool session_tickets;
    /* TLS 1.2: renegotiate when the peer asks (RFC 5246 §7.4.1.1, RFC
     * 5746): a client answers a HelloRequest with a new ClientHello, a
     * server takes a ClientHello after the handshake. False: refuse with
     * no_renegotiation (§7.2.2). Either way only secure renegotiation (RFC
     * 5746 §4.2, §4.4: both sides signalled it in the initial handshake). A
     * stack that cannot be made to renegotiate in the asked role fails
     * create() as unsupported. */
    bool renegotiation;
    /* Client: the server will staple an OCSP response if asked, so ask for
     * one with status_request (RFC 6066 §8; in TLS 1.3 the response comes in
     * the leaf's CertificateEntry, RFC 8446 §4.4.2.1) and check it ("MUST
     * check the OCSP response and abort the handshake if the response is not
     * satisfactory"). The model and BoringSSL always ask; a client that
     * cannot be made to fails create() as unsupported. Server: ignored. */
    bool request_ocsp;
    /* Client: resume this session (a blob from the same stack's
     * export_session); empty for a full handshake. */
    sd_span resume_session;
    /* Client: a later connection of the trace resumes the session this
     * one leaves (export_session, then resume_session; RFC 8446 §2.2, RFC
     * 5246 §7.3). A stack that cannot hand a session over as it is set up
     * (a client over TCP without a command to resume) fails create() as
     * unsupported, before the first connection rather than at the next. */
    bool several_connections;
    /* Server (TLS 1.2): the session cache (protocol/session_cache.h) to store
     * sessions in and resume them from by session id (RFC 5246 §7.4.1.2),
     * owned by the caller and shared by the servers of one run. NULL: no
     * sessions are cached, and ServerHello's session_id is empty. */
    struct sd_session_cache *session_cache;
    /* After the handshake, answer requests with these bytes instead of the
     * echo (`shakedown serve`'s HTTP page, as `openssl s_server -www`
     * answers a request line): each read of application data (a record)
     * that holds a newline (0x0a) is answered with app_reply once; a read
     * without one is taken in and answered with nothing, as part of a line
     * still to come. Empty means echo: every read is written back as it is.
     * The bytes must outlive the target. */
    sd_span app_reply;
    /* Server (TLS 1.3): send HelloRetryRequest without a cookie extension.
     * RFC 8446 allows either (§4.2.2: "When sending a HelloRetryRequest,
     * the server MAY provide a "cookie" extension to the client"); false
     * (the zero value) keeps the model's cookie.
     * Honoured by the model; BoringSSL's HelloRetryRequest never carries a
     * cookie, and the shims send what their library sends, so for them
     * the field changes nothing. */
    bool hrr_no_cookie;
    /* Server: when non-zero, keys the session tickets in place of seed
     * (session_tickets above), so that servers given different seeds, and
     * so different randoms and key shares per connection (`shakedown
     * serve`), still resume each other's tickets. 0: seed keys them. */
    uint64_t ticket_seed;
    /* The longest handshake message the model buffers during the handshake,
     * and after it (other stacks keep their own limits). 0: the RFC's
     * bound, 2^24-1 bytes, what the uint24 length of every handshake
     * message allows (RFC 8446 §4, RFC 5246 §7.4). The fuzz targets set
     * smaller ones (driver/fuzz_setup.c), so that a length field cannot
     * make a run buffer 16 MiB; a message over the limit is refused with
     * illegal_parameter (wire/record.c). */
    size_t max_handshake_message, max_post_handshake_message;
    /* Server (TLS 1.3, the model): consider only the first PSK identity a
     * ClientHello offers. Which of several to select is the server's choice
     * (RFC 8446 §4.2.11); by default the model takes the first of its own
     * tickets among them. The fuzz targets set this to hold it to
     * BoringSSL's choice, which looks at the first identity only, so that
     * the choice is not a difference between them. */
    bool psk_first_identity_only;
    /* The model: leave signature_algorithms_cert unread, as BoringSSL does,
     * instead of refusing a list that cannot be parsed (RFC 8446 §4.2.3,
     * §6: decode_error). The fuzz targets set it, so that a malformed list,
     * which the fuzzers write often and the scenarios pin, is not a
     * difference between them on every campaign. */
    bool skip_signature_algorithms_cert;
    /* 0-RTT (RFC 8446 §2.3, §4.2.10). Server (TLS 1.3): when non-zero, its
     * tickets carry the early_data extension with this max_early_data_size
     * (§4.6.1), and it accepts early data offered with one of them (the
     * model records each accepted ClientHello in session_cache, §8.2); 0:
     * tickets without it, and early data is always rejected (skipped).
     * Stacks that fix the size (BoringSSL: 14336) take any non-zero value as
     * "on". Client: these bytes are sent as early data when the resumed
     * session's ticket allows it; empty: no early data. The bytes must
     * outlive the target. */
    uint32_t max_early_data;
    sd_span early_data;
    /* ALPN (RFC 7301): the application protocols, as a protocol_name_list's
     * content (each name with its one-byte length, wire/handshake.h), in
     * order of preference. Client: offered in the ClientHello; the
     * server's answer must be one of them. Server: it selects the first of
     * these that the client offers (§3.2 "SHOULD select the most highly
     * preferred protocol that it supports and that is also advertised by
     * the client") and refuses a client that offers none of them with
     * no_application_protocol. Empty: no ALPN, and a server ignores the
     * client's extension, as BoringSSL without a selection callback does.
     * The bytes must outlive the target. A stack that cannot be set up so
     * fails create() as unsupported. */
    sd_span alpn;
    /* record_size_limit (RFC 8449), 0: none, and the extension is ignored
     * (BoringSSL does not implement it). Otherwise 64..2^14+1, the largest
     * protected record plaintext this side will receive. Client: offered in
     * the ClientHello. Server: a client's offer is checked (§4: under 64 is
     * illegal_parameter) and answered with this limit, in
     * EncryptedExtensions (TLS 1.3) or the ServerHello (TLS 1.2). Once
     * negotiated, each side's protected records keep to the other's limit,
     * and a record over its own is record_overflow. A stack that cannot
     * fails create() as unsupported. */
    uint16_t record_size_limit;
    /* max_fragment_length (RFC 6066 §4), a MaxFragmentLength code 1-4
     * (2^9-2^12 bytes), 0: none, and the extension is ignored (BoringSSL
     * does not implement it). Client: requested in the ClientHello; an
     * answer of another value is illegal_parameter. Server: it accepts the
     * length a client requests (any non-zero value turns it on), answering
     * in EncryptedExtensions (TLS 1.3) or the ServerHello (TLS 1.2), and
     * refuses a value other than 1-4 with illegal_parameter. Once
     * negotiated every record either way, handshake records included, is
     * at most that long, and a longer one is record_overflow. A stack that
     * cannot fails create() as unsupported. */
    uint8_t max_fragment_length;
    /* encrypt_then_mac (RFC 7366), TLS 1.2 CBC suites. Client: offered in
     * a ClientHello that offers TLS 1.2. Server: echoed when the client
     * offered it and the suite chosen is a CBC one (§3: never for an AEAD
     * suite). Negotiated, the CBC records of both sides are
     * IV || ENC(content || padding) || MAC. false: no part in it (BoringSSL
     * does not implement it), and the model ignores a client's offer. A
     * stack that cannot fails create() as unsupported. */
    bool encrypt_then_mac;
    /* Certificate compression (RFC 8879), TLS 1.3, in order of preference:
     * zlib (1) and brotli (2) as wire/cert_compression.h supports them. A
     * client offers them in its ClientHello, a server with client
     * authentication in its CertificateRequest (§3), and each decompresses
     * the peer's CompressedCertificate; each may compress its own
     * Certificate with an algorithm of the peer's list that it has (§4:
     * "MAY"; the model takes the first in the peer's order, BoringSSL the
     * first in its own).
     * n 0: no part in it, a CompressedCertificate is out of order. A stack
     * that cannot fails create() as unsupported. */
    uint16_t cert_compression[SD_MAX_CERT_COMPRESSION];
    size_t n_cert_compression;
} sd_target_config;

/* The max_early_data_size (RFC 8446 §4.6.1) of `early-data: on`: BoringSSL's
 * own, which it does not let a caller change (kMaxEarlyDataAccepted), so
 * that the model, the driver and BoringSSL allow the same 0-RTT. */
#define SD_EARLY_DATA_MAX 14336u

/* What a stack does with application data once its handshake is done. The
 * in-process stacks and the shims echo it (above); a stack over TCP does
 * what its program was started to do. The driver plays its side of it. */
typedef enum {
    SD_APP_ECHO = 0, /* sends back what it receives */
    SD_APP_HTTP,     /* HTTP/1.0: a server answers a request (`openssl s_server -www`, `gnutls-serv
                      * --http`), then may close; a client sends a request */
    SD_APP_NONE,     /* no application data: the handshake and the close_notify exchange are all */
} sd_app_protocol;

typedef struct {
    bool handshake_done; /* the target considers the handshake complete */
    bool failed;         /* the target gave up on the connection */
    int alert_sent;      /* last fatal alert it sent, -1 if none */
    int alert_sent_level;
    int alert_received; /* last alert it received, -1 if none */
    bool close_notify_sent;
    uint16_t version; /* negotiated, 0 if not yet */
    uint16_t cipher_suite;
    uint16_t group;
    bool peer_authenticated; /* a client that accepted the server's certificate and CertificateVerify */
    /* Out-of-process targets only: the stack died (signal, abnormal exit) or
     * stopped answering within the time limit. The driver turns these into
     * CRASH and HANG outcomes; `error` says which signal or how long. */
    bool crashed;
    bool hung;
    bool resumed; /* the handshake resumed a session (PSK) */
    /* How many times the target sent sd_target_config.app_reply: how
     * `shakedown serve` knows its page is out (other output after the
     * handshake, a ticket or a KeyUpdate, is no page). */
    unsigned app_replies;
    /* The target reports nothing beyond its bytes (a stack over TCP): the
     * driver then judges completion from the wire — both Finished messages
     * exchanged and no alert — and fills handshake_done itself. */
    bool wire_only;
    sd_app_protocol app; /* what it does with application data (SD_APP_ECHO for the in-process stacks) */
    char error[160];     /* the stack's own words for why it failed, if any */
} sd_target_status;

/* Why create() made no target. */
typedef struct {
    /* The stack lacks what the configuration asks for (a TLS version, a
     * cipher suite, session resumption): the scenario cannot run on it, which
     * is SKIP and no fault of anyone's. false: the harness could not set the
     * stack up (a missing file, a dead shim), which is ERROR. */
    bool unsupported;
    char text[200]; /* why, in words; for unsupported the reason alone ("group 29") */
} sd_target_error;

/* The model and the shim programs (docs/shim-contract.md) say in words when
 * their stack lacks what a configuration asks for: an error that starts
 * with this prefix. */
#define SD_TARGET_UNSUPPORTED_PREFIX "unsupported:"

/* Reads err->text as such words: if it starts with the prefix, sets
 * err->unsupported and leaves only the reason in text (the prefix and the
 * blanks after it dropped). Returns err->unsupported. */
bool sd_target_error_read_words(sd_target_error *err);

/* Every implementation's struct starts with this, so the driver can hold any
 * target through one pointer type. */
typedef struct sd_target {
    const struct sd_target_ops *ops;
} sd_target;

typedef struct sd_target_ops {
    const char *name;
    /* Returns NULL and fills err if the configuration cannot be honoured:
     * never a finding, either unsupported (SKIP) or a harness error. The
     * caller passes err zeroed, so a stack sets only what applies. */
    sd_target *(*create)(const sd_target_config *cfg, sd_target_error *err);
    /* A client target produces its first flight on start; a server does nothing. */
    void (*start)(sd_target *t);
    /* Delivers bytes from the peer. The target processes as much as it can. */
    void (*feed)(sd_target *t, sd_span bytes);
    /* Appends everything the target wants to send to out. */
    void (*drain)(sd_target *t, sd_buf *out);
    void (*status)(sd_target *t, sd_target_status *out);
    /* RFC 8446 §7.5 / RFC 5705 exporter with an empty context, once the
     * handshake is done: how tests prove both sides hold the same keys.
     * NULL if the stack cannot export (then false). */
    bool (*export_keying_material)(sd_target *t, const char *label, uint8_t *out, size_t len);
    /* Client: the session from the last ticket received, as an opaque blob
     * for a later resume_session. NULL or false if none. */
    bool (*export_session)(sd_target *t, sd_buf *out);
    /* Version string of the stack, for reports. */
    const char *(*version)(void);
    void (*destroy)(sd_target *t);
    /* Optional, NULL if the stack cannot: once the handshake is done, send
     * close_notify now and nothing after it (RFC 8446 §6.1); drain() then
     * returns it. `shakedown serve` ends a connection with it after its
     * page, as `openssl s_server -www` does. */
    void (*close)(sd_target *t);
    /* A server of this stack created again with the same configuration
     * (seed, ticket_seed, session_cache) resumes the sessions the first one
     * made: what a trace of several connections (trace.h) needs of a
     * server under test. A server over TCP is one program that outlives
     * its connections. The shims keep the server's
     * process between the connections of a run for it
     * (docs/shim-contract.md, "Several connections"). */
    bool resumes_across_targets;
    /* sd_target_config.renegotiation is honoured, allowed or refused (the
     * shims: --renegotiation, docs/shim-contract.md; a shim whose stack
     * cannot renegotiate reports allowed as unsupported). */
    bool sets_renegotiation;
} sd_target_ops;

#endif
