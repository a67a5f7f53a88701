/* messages.h — builders for the messages an honest endpoint sends, in TLS
 * 1.3 and in TLS 1.2 (whose ClientHello and ServerHello carry the same
 * extensions block), shared by the model and the driver so that both put
 * the same bytes on the wire. The driver then applies a trace's mutations to what these build. */
#ifndef SHAKEDOWN_PROTOCOL_MESSAGES_H
#define SHAKEDOWN_PROTOCOL_MESSAGES_H

#include "crypto/crypto.h"
#include "crypto/pki.h"
#include "wire/handshake.h"
#include "util/util.h"

/* What an endpoint offers, in preference order. */
extern const uint16_t sd_offered_suites[];
extern const size_t sd_n_offered_suites;
extern const uint16_t sd_offered_groups[];
extern const size_t sd_n_offered_groups;
extern const uint16_t sd_offered_sigalgs[];
extern const size_t sd_n_offered_sigalgs;
/* The same plus rsa_pkcs1_*, for offers that include TLS 1.2. */
extern const uint16_t sd_offered_sigalgs_tls12[];
extern const size_t sd_n_offered_sigalgs_tls12;

bool sd_u16_in(const uint16_t *list, size_t n, uint16_t v);

/* What one endpoint offers (client) or accepts (server). */
typedef struct {
    const uint16_t *suites;
    size_t n_suites;
    const uint16_t *groups;
    size_t n_groups;
    const uint16_t *sigalgs;
    size_t n_sigalgs;
    /* Versions, RFC 8446 §4.2.1: with max_version TLS 1.3 the ClientHello
     * carries supported_versions (and key_share); with min_version TLS 1.2
     * it carries the TLS 1.2 extensions extended_master_secret (RFC 7627)
     * and renegotiation_info (RFC 5746). 0 means TLS 1.3 only. */
    uint16_t min_version, max_version;
    /* With min_version TLS 1.2: the session_ticket extension's content (RFC
     * 5077 §3.2): empty to ask for a ticket, or the ticket to resume. */
    sd_span tls12_ticket;
    /* With min_version TLS 1.2: renegotiation_info's renegotiated_connection
     * (RFC 5746 §3.2): empty on an initial handshake (§3.4), the saved
     * client_verify_data in a renegotiation (§3.5). At most 255 bytes. */
    sd_span tls12_renegotiated_connection;
    /* status_request (RFC 6066 §8) is always offered when TLS 1.3 is
     * (RFC 8446 §4.4.2.1 staples in the Certificate message); with
     * min_version TLS 1.2 only when this is set, since a TLS 1.2 server then
     * sends a CertificateStatus message, which the caller must handle. The
     * model client sets it; the driver does not. */
    bool tls12_status_request;
    /* ALPN (RFC 7301 §3.1): a protocol_name_list's content to offer, in
     * order of preference; empty: no application_layer_protocol_negotiation
     * extension. */
    sd_span alpn;
    /* record_size_limit (RFC 8449 §4): the limit to offer; 0: no
     * extension. */
    uint16_t record_size_limit;
    /* max_fragment_length (RFC 6066 §4): the MaxFragmentLength code (1-4)
     * to request; 0: no extension. */
    uint8_t max_fragment_length;
    /* encrypt_then_mac (RFC 7366 §2, empty), with min_version TLS 1.2. */
    bool encrypt_then_mac;
    /* compress_certificate (RFC 8879 §3): the algorithms to offer, with
     * max_version TLS 1.3 (the extension "is only supported with TLS 1.3");
     * none: no extension. */
    const uint16_t *cert_compression;
    size_t n_cert_compression;
} sd_offer;

/* The lists above. */
extern const sd_offer sd_default_offer;

/* One PSK offered for resumption (RFC 8446 §4.2.11). */
typedef struct {
    sd_span identity;        /* the ticket */
    uint32_t obfuscated_age; /* ticket age + ticket_age_add, mod 2^32 */
    size_t binder_len;       /* the PSK's hash length */
    /* An empty early_data extension goes before pre_shared_key: the client
     * sends 0-RTT data with this PSK (RFC 8446 §4.2.10: "it MUST supply
     * both the "pre_shared_key" and "early_data" extensions"). */
    bool early_data;
} sd_psk_identity;

/* ClientHello body with the offer's lists, one key share, the cookie if
 * non-empty (RFC 8446 §4.1.2), and, with psk, psk_key_exchange_modes
 * (psk_dhe_ke) and a last pre_shared_key extension whose binder is zeros:
 * the caller computes it over the truncated message (§4.2.11.2) and writes
 * it over the body's last binder_len bytes. */
void sd_msg_client_hello(sd_buf *body, const sd_offer *offer, const uint8_t *random, sd_span session_id,
                         const sd_key_share *share, const char *server_name, sd_span cookie,
                         const sd_psk_identity *psk);
/* ServerHello body (§4.1.3), or HelloRetryRequest when hrr (§4.1.4: with
 * group 0, one without key_share), with a cookie if non-empty (§4.2.2), and pre_shared_key's selected_identity when
 * selected_psk >= 0 (§4.2.11). */
void sd_msg_server_hello(sd_buf *body, bool hrr, const uint8_t *random, sd_span session_id_echo,
                         uint16_t suite, uint16_t group, const sd_key_share *share, sd_span cookie,
                         int selected_psk);
/* CertificateRequest body (§4.3.2): the context and signature_algorithms,
 * and compress_certificate with cert_compression[0..n) when n > 0 (RFC 8879
 * §3: "Whenever it is sent by the server as a CertificateRequest extension
 * ..., it indicates support for compressed client certificates"). */
void sd_msg_certificate_request(sd_buf *body, sd_span context, const uint16_t *sigalgs, size_t n_sigalgs,
                                const uint16_t *cert_compression, size_t n_cert_compression);
/* CompressedCertificate body (RFC 8879 §4) for a Certificate body: alg,
 * its length as uncompressed_length, and the body compressed with alg.
 * False if alg is not one this build supports or the library fails. */
SD_MUST_CHECK bool sd_msg_compressed_certificate(sd_buf *body, uint16_t alg, sd_span certificate_body);
/* Certificate body (§4.4.2): the credential's chain, or an empty list. */
void sd_msg_certificate(sd_buf *body, sd_span request_context, const sd_credential *cred);
/* The same, with an OCSP response stapled to the leaf's entry when ocsp is
 * not NULL: a status_request extension holding a CertificateStatus (RFC 8446
 * §4.4.2.1, RFC 6066 §8). */
void sd_msg_certificate_stapled(sd_buf *body, sd_span request_context, const sd_credential *cred,
                                const sd_span *ocsp);
/* The first scheme in `offered` usable with key, or 0. */
uint16_t sd_pick_signature_scheme(const uint16_t *offered, size_t n, const EVP_PKEY *key);
/* CertificateVerify body (§4.4.3) over transcript_hash. */
SD_MUST_CHECK bool sd_msg_certificate_verify(sd_buf *body, EVP_PKEY *key, uint16_t scheme, bool server,
                                             const uint8_t *transcript_hash, size_t hash_len);
/* The same with a steady-length ECDSA signature (sd_sign_steady): the
 * driver's. */
SD_MUST_CHECK bool sd_msg_certificate_verify_steady(sd_buf *body, EVP_PKEY *key, uint16_t scheme, bool server,
                                                    const uint8_t *transcript_hash, size_t hash_len);
/* Finished body (§4.4.4). */
SD_MUST_CHECK bool sd_msg_finished(sd_buf *body, const sd_suite *suite, const uint8_t *base_key,
                                   const uint8_t *transcript_hash);

#endif
