/* driver.h — the programmable peer. It executes a trace against a target.
 *
 * The driver plays the role opposite to the target's. It computes keys live
 * from what the target actually sent, encrypts and decrypts as the connection
 * state requires, and recomputes Finished over the transcript actually sent,
 * so that only the deviation the trace asks for is tested. It obeys the
 * trace; it never enforces the protocol. */
#ifndef SHAKEDOWN_DRIVER_DRIVER_H
#define SHAKEDOWN_DRIVER_DRIVER_H

#include "crypto/pki.h"
#include "driver/outcome.h"
#include "protocol/target.h"
#include "trace/fuzz_input.h"
#include "trace/trace.h"

/* What a client under test sends as 0-RTT data with `early-data: on`; a
 * server echoes it once its handshake is done, as it echoes every read. */
#define SD_EARLY_DATA_TEXT "early data\n"

typedef struct {
    const sd_target_ops *stack; /* the target to run against */
    sd_role target_role;        /* role of the stack under test */
    uint16_t version;           /* SD_TLS13 or SD_TLS12: the version the driver plays */
    /* The versions the target is configured to speak (sd_target_config's
     * min_version, max_version; a scenario's `versions:`), lowest first; 0
     * and 0: `version` alone, what both sides then run. */
    uint16_t target_min_version, target_max_version;
    const sd_pki *pki;
    /* Credential the target presents when it is the server ("leaf" by default). */
    const char *target_credential;
    /* Credential the driver presents when it is the server ("leaf" by default;
     * a scenario's `credential:` or a `cert=` mutation overrides it). */
    const char *driver_credential;
    /* The one cipher suite the driver offers as a client, or picks as a
     * server (a scenario's `cipher-suite:`); 0: the driver's defaults (TLS
     * 1.3: the client's first we know; TLS 1.2: the client's first that fits
     * the driver's credential). */
    uint16_t cipher_suite;
    /* Server under test: ask the driver for a client certificate (a
     * scenario's `client-auth:`), validated against pki. Client under test:
     * it has the fixture's "client" credential to show when asked. */
    sd_client_auth client_auth;
    /* Client under test: the credential it shows when asked, by name; NULL:
     * as client_auth says. */
    const char *target_client_credential;
    /* The groups the target offers (a client) or accepts (a server), in its
     * order of preference: sd_target_config.groups. NULL (n 0): the
     * stack's defaults. A server that prefers a group the driver's
     * ClientHello has no key share for (it has one for x25519 only) asks
     * for one with a HelloRetryRequest (RFC 8446 §4.1.4). */
    const uint16_t *target_groups;
    size_t n_target_groups;
    /* ALPN (RFC 7301): the protocols the target offers (a client) or
     * speaks (a server), as sd_target_config.alpn; empty: none. The driver
     * as server then answers the client's first protocol; as client it
     * offers what the trace's ClientHello carries (add-ext) and holds the
     * server's answer to §3.2 (the event's fault, docs/script-format.md). */
    sd_span target_alpn;
    /* `record-size-limit:` (RFC 8449): the target's limit
     * (sd_target_config.record_size_limit) and the driver's own, which it
     * offers as client and answers with as server (TLS 1.3 in
     * EncryptedExtensions, TLS 1.2 in the ServerHello) when the client
     * offered one. Once negotiated, the driver's honest records keep to the
     * target's limit (a split= of its own breaks it), and a protected record
     * from the target over the driver's ends the run (deviated). 0: none. */
    uint16_t record_size_limit;
    /* `max-fragment-length:` (RFC 6066 §4): the code (1-4) the target
     * requests (a client) or accepts (a server, any non-zero value), and
     * the driver requests as client and echoes as server when the client
     * requested one. Once negotiated every record either way keeps to it
     * (the driver's split= breaks it), and a target's record over it ends
     * the run (deviated). 0: none. */
    uint8_t max_fragment_length;
    /* `encrypt-then-mac: on` (RFC 7366): the target offers or accepts it
     * (sd_target_config.encrypt_then_mac); the driver offers it in its TLS
     * 1.2 ClientHello and, as server, echoes a client's offer for a CBC
     * suite. Negotiated, both sides' CBC records are encrypt-then-MAC. */
    bool encrypt_then_mac;
    /* `certificate-compression:` (RFC 8879): the algorithms the target
     * offers and compresses with (sd_target_config.cert_compression), and
     * the ones the driver offers, in its TLS 1.3 ClientHello as client and
     * in its CertificateRequest as server; where it offered, `expect
     * Certificate` takes a CompressedCertificate too (§4: the peer "MAY
     * compress"), which the driver decompresses and holds to §4. n 0: the
     * driver offers nothing. Points into the scenario. */
    const uint16_t *cert_compression;
    size_t n_cert_compression;
    /* `signature-algorithms:`: the schemes the target offers and accepts
     * (sd_target_config.sigalgs). n 0: its defaults. Points into the
     * scenario. */
    const uint16_t *target_sigalgs;
    size_t n_target_sigalgs;
    /* Server under test: issue session tickets (`session-tickets: issue`). */
    bool session_tickets;
    /* `early-data: on` (RFC 8446 §4.2.10): a server under test issues
     * tickets allowing 0-RTT and accepts it (sd_target_config.max_early_data
     * SD_EARLY_DATA_MAX); a client under test sends SD_EARLY_DATA_TEXT as
     * early data; the driver as server issues tickets with early_data
     * (max_early_data_size SD_EARLY_DATA_MAX) and accepts 0-RTT. */
    bool early_data;
    /* `renegotiation: allowed` (RFC 5746): the stack under test renegotiates
     * TLS 1.2 (sd_target_config.renegotiation). */
    bool renegotiation;
    /* The scenario says how the stack is set up for it, either way: a
     * stack that cannot be set up so (!sd_target_ops.sets_renegotiation)
     * would be tested on its defaults instead, so the run is unsupported. */
    bool renegotiation_stated;
    /* Client under test: the fixture PKI's <staple>.der (a scenario's
     * `staple:`), an OCSP response the driver, as the server, staples when
     * the client asks with status_request (RFC 6066 §8): in TLS 1.3 in the
     * first CertificateEntry (RFC 8446 §4.4.2.1); in TLS 1.2 its
     * ServerHello echoes status_request and `send CertificateStatus`
     * carries it. The target is configured to ask (request_ocsp). NULL:
     * nothing is stapled. */
    const char *staple;
    /* TLS 1.2 server driver: announce a session ticket in ServerHello (an
     * empty session_ticket extension, RFC 5077 §3.2), so that a
     * NewSessionTicket may follow. Default false: never announced. */
    bool tls12_announce_ticket;
    /* sd_target_config.max_handshake_message and max_post_handshake_message
     * for the target: 0, the RFC's bound, except in fuzz runs
     * (sd_fuzz_setup_apply). */
    size_t max_handshake_message, max_post_handshake_message;
    bool psk_first_identity_only;        /* sd_target_config's; set in fuzz runs */
    bool skip_signature_algorithms_cert; /* sd_target_config's; set in fuzz runs */
    const char *server_name;             /* SNI, and the name a client target checks */
    int64_t now;                         /* certificate validation time */
    uint64_t seed;                       /* seeds the driver's and the model's randomness */
    bool verbose;                        /* log every record to stderr */
    /* Observers, for exports (pcap + SSLKEYLOGFILE) and tools. May be NULL.
     * on_bytes sees every byte on the wire, in order, as sent; on_secret gets
     * each traffic secret the driver derives, with the NSS key log label
     * (CLIENT_HANDSHAKE_TRAFFIC_SECRET, ...) and the ClientHello random. */
    void (*on_bytes)(void *ctx, sd_direction from, sd_span bytes);
    void (*on_secret)(void *ctx, const char *label, const uint8_t *client_random, const uint8_t *secret,
                      size_t secret_len);
    void *observer_ctx;
} sd_run_config;

/* Fills a config with defaults: TLS 1.3, "leaf", SD_PKI_SERVER_NAME,
 * SD_PKI_DEFAULT_TIME, seed 1. */
void sd_run_config_defaults(sd_run_config *cfg, const sd_target_ops *stack, sd_role target_role,
                            const sd_pki *pki);

/* Applies a scenario's headers: version, versions (the target's),
 * cipher-suite, credential (the driver's when it plays the server; the
 * target's when that is the server), client-auth, session-tickets, groups, alpn
 * (the target's) and staple (which point into s: it must outlive the run).
 * What every command that runs a scenario should call. */
void sd_run_config_apply_scenario(sd_run_config *cfg, const sd_scenario *s);

/* Runs trace against cfg->stack and fills out. Never crashes on any trace;
 * problems of the harness itself come back as SD_OUTCOME_HARNESS_ERROR. */
void sd_driver_run(const sd_trace *trace, const sd_run_config *cfg, sd_outcome *out);

/* Applies a setup to a run configuration made by sd_run_config_defaults:
 * role, version and the target's versions, suite, credentials, client
 * authentication, tickets. What every command that runs a fuzz input calls,
 * so that they all run it alike. cfg's credential names then point into s:
 * s must outlive every use of cfg. */
void sd_fuzz_setup_apply(const sd_fuzz_setup *s, sd_run_config *cfg);
/* With a stack under test (`shakedown fuzz --stack`): the model as the
 * RFCs read, no longer held to BoringSSL's size limits and choices (PSK
 * identity, signature_algorithms_cert), which sd_fuzz_setup_apply sets only
 * to keep the two references from differing where the RFCs allow both. A
 * third stack that does what the RFCs allow then agrees with the model. */
void sd_fuzz_setup_unpin_model(sd_run_config *cfg);

/* Whether the fuzz targets run a setup: every credential it names is in
 * pki (NULL: not checked), the stack under test's own credential (the
 * server's of a server, a client's of a client) is a valid chain for its
 * role with its key, and its cipher suite is one both stacks in process
 * run for its version. The fuzz targets promise the model and
 * BoringSSL a configuration they support (an unsupported side is a crash,
 * oracle.h), and a binary trace's setup can name anything a script can, so
 * they skip the rest, and `repro` says so; false writes why. */
SD_MUST_CHECK bool sd_fuzz_setup_runs(const sd_fuzz_setup *s, const sd_pki *pki, char *why, size_t why_len);

/* sd_fuzz_setup_runs in two halves, so that a second reference can take
 * the setups BoringSSL cannot run (`shakedown fuzz --reference NAME`):
 * what concerns the fixture PKI and the model (credentials, stapled file,
 * groups and suites the model implements, ALPN with 0-RTT), and what only
 * BoringSSL lacks (finite-field DHE, X448, the FFDHE groups,
 * record_size_limit, max_fragment_length, encrypt_then_mac, a renegotiating
 * server, ...). sd_fuzz_setup_runs is both; false writes why. */
SD_MUST_CHECK bool sd_fuzz_setup_model_runs(const sd_fuzz_setup *s, const sd_pki *pki, char *why,
                                            size_t why_len);
SD_MUST_CHECK bool sd_fuzz_setup_boringssl_runs(const sd_fuzz_setup *s, char *why, size_t why_len);

#endif
