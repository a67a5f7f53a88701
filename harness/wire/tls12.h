/* tls12.h — TLS 1.2 handshake message bodies and extensions that TLS 1.3
 * does not share (RFC 5246 §7.4, RFC 8422 §5, RFC 5077 §3.3, RFC 6066 §8,
 * RFC 5746 §3.2, RFC 7627 §5.1).
 *
 * As in handshake.h: parsers are bounds-checked views over the caller's
 * bytes, never allocate, reject trailing bytes, fill the caller's struct
 * only on success, and on failure set the alert the RFC prescribes
 * (decode_error for syntax: truncation, trailing bytes, a vector length
 * outside its <floor..ceiling>; RFC 5246 §7.2.2). Builders write every field
 * as given, so a field can hold a deliberately wrong value.
 *
 * Shared with TLS 1.3 (use handshake.h): ClientHello, ServerHello,
 * CertificateVerify (the DigitallySigned layout is the same in TLS 1.2,
 * §4.7 / §7.4.8), the extension block, supported_groups,
 * signature_algorithms and server_name. */
#ifndef SHAKEDOWN_WIRE_TLS12_H
#define SHAKEDOWN_WIRE_TLS12_H

#include "wire/bytes.h"
#include "util/util.h"

/* RFC 8422 §5.4 ECCurveType */
enum { SD_EC_CURVE_TYPE_NAMED_CURVE = 3 };
/* RFC 6066 §8 CertificateStatusType */
enum { SD_CERTIFICATE_STATUS_OCSP = 1 };

/* --- ServerKeyExchange for ECDHE (RFC 8422 §5.4) -------------------------------------
 *   struct { ECCurveType curve_type; NamedCurve namedcurve; } ECParameters;  (named_curve only)
 *   struct { ECParameters curve_params; ECPoint public; } ServerECDHParams;  (point: u8<1..2^8-1>)
 *   struct { ServerECDHParams params; digitally-signed { SignatureAndHashAlgorithm
 *            algorithm; opaque signature<0..2^16-1>; } signed_params; } ServerKeyExchange; */
typedef struct sd_tls12_ske {
    uint16_t group;
    sd_span point;
    sd_span params; /* parse: the ServerECDHParams bytes (what the signature covers);
                     * build: ignored, the params are written from the fields */
    uint16_t sig_alg;
    sd_span signature;
    uint8_t curve_type; /* parse: always 3; build: 0 writes named_curve (3), anything else as is */
} sd_tls12_ske;

/* A curve_type other than named_curve is decode_error: the explicit curve
 * forms RFC 8422 §5.4 deprecated cannot be parsed (BoringSSL answers the
 * same). An empty point or signature length out of range: decode_error. An
 * empty signature parses (it fails verification: decrypt_error). */
SD_MUST_CHECK bool sd_parse_tls12_ske_ecdhe(sd_span body, sd_tls12_ske *out, uint8_t *out_alert);
void sd_build_tls12_ske_ecdhe(sd_buf *out, const sd_tls12_ske *ske);
/* Writes ServerECDHParams alone (named_curve, group, u8 point): the bytes to
 * sign with sd_tls12_ske_signed_content. */
void sd_build_tls12_server_ecdh_params(sd_buf *out, uint16_t group, sd_span point);

/* --- ServerKeyExchange for DHE (RFC 5246 §7.4.3) ------------------------------------
 *   struct { opaque dh_p<1..2^16-1>; opaque dh_g<1..2^16-1>; opaque dh_Ys<1..2^16-1>; } ServerDHParams;
 *   struct { ServerDHParams params; digitally-signed struct { ... } signed_params; } ServerKeyExchange;
 * The numbers are big-endian integers; which group they are is the reader's
 * concern (RFC 7919 §3). An empty dh_p, dh_g or dh_Ys or a signature length
 * out of range is decode_error; an empty signature parses. */
typedef struct {
    sd_span p, g, ys;
    sd_span params; /* parse: the ServerDHParams bytes (what the signature covers); build: ignored */
    uint16_t sig_alg;
    sd_span signature;
} sd_tls12_ske_dhe;
SD_MUST_CHECK bool sd_parse_tls12_ske_dhe(sd_span body, sd_tls12_ske_dhe *out, uint8_t *out_alert);
void sd_build_tls12_ske_dhe(sd_buf *out, const sd_tls12_ske_dhe *ske);
/* Writes ServerDHParams alone: the bytes to sign. */
void sd_build_tls12_server_dh_params(sd_buf *out, sd_span p, sd_span g, sd_span ys);

/* --- ClientKeyExchange (RFC 5246 §7.4.7, RFC 8422 §5.7) ------------------------------
 * RSA: struct { public-key-encrypted PreMasterSecret pre_master_secret; }
 *      EncryptedPreMasterSecret, which TLS 1.0+ writes with a u16 length
 *      (§7.4.7.1: "the RSA-encrypted PreMasterSecret in a ClientKeyExchange
 *      is preceded by two length bytes"). The ciphertext may be empty here:
 *      its content is judged by sd_tls12_rsa_decrypt_pms (§7.4.7.1: no alert).
 * ECDHE: struct { ECPoint ecdh_Yc; } with ECPoint opaque point <1..2^8-1>. */
SD_MUST_CHECK bool sd_parse_tls12_cke_rsa(sd_span body, sd_span *out_encrypted_pms, uint8_t *out_alert);
void sd_build_tls12_cke_rsa(sd_buf *out, sd_span encrypted_pms);
/* DHE (§7.4.7.2, explicit): struct { opaque dh_Yc<1..2^16-1>; } ClientDiffieHellmanPublic. */
SD_MUST_CHECK bool sd_parse_tls12_cke_dhe(sd_span body, sd_span *out_yc, uint8_t *out_alert);
void sd_build_tls12_cke_dhe(sd_buf *out, sd_span yc);
SD_MUST_CHECK bool sd_parse_tls12_cke_ecdhe(sd_span body, sd_span *out_point, uint8_t *out_alert);
void sd_build_tls12_cke_ecdhe(sd_buf *out, sd_span point);

/* --- Certificate (RFC 5246 §7.4.2) ----------------------------------------------------
 *   opaque ASN.1Cert<1..2^24-1>;
 *   struct { ASN.1Cert certificate_list<0..2^24-1>; } Certificate;
 * No request context and no per-entry extensions (those are TLS 1.3's). */
typedef struct {
    sd_span certificate_list; /* body of the u24 list */
} sd_tls12_certificate;
/* Walks every entry once, so iterating a parsed message cannot fail. An
 * empty list parses (a client without a certificate, §7.4.6). */
SD_MUST_CHECK bool sd_parse_tls12_certificate(sd_span body, sd_tls12_certificate *out, uint8_t *out_alert);
/* Iterates certificate_list: 1 with *out_cert, 0 at the end, -1 on a
 * truncated or empty ASN.1Cert (decode_error). */
int sd_tls12_certificate_next(sd_reader *it, sd_span *out_cert, uint8_t *out_alert);
void sd_build_tls12_certificate(sd_buf *out, const sd_tls12_certificate *c);
void sd_build_tls12_certificate_entry(sd_buf *list, sd_span cert);
/* A whole Certificate body from n DER certificates, leaf first (see also
 * sd_tls12_build_certificate in crypto/tls12.h, from a credential). */
void sd_build_tls12_certificate_chain(sd_buf *out, const uint8_t *const *der, const size_t *der_len,
                                      size_t n);

/* --- CertificateRequest (RFC 5246 §7.4.4) --------------------------------------------
 *   struct { ClientCertificateType certificate_types<1..2^8-1>;
 *            SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>;
 *            DistinguishedName certificate_authorities<0..2^16-1>; } CertificateRequest;
 *   opaque DistinguishedName<1..2^16-1>; */
typedef struct {
    sd_span certificate_types;              /* list body, one byte each */
    sd_span supported_signature_algorithms; /* list body, u16 each (an sd_u16_list's raw) */
    sd_span certificate_authorities;        /* list body of u16-prefixed DistinguishedNames */
} sd_tls12_certificate_request;
/* An odd signature-algorithm length and a malformed or empty
 * DistinguishedName are decode_error too. */
SD_MUST_CHECK bool sd_parse_tls12_certificate_request(sd_span body, sd_tls12_certificate_request *out,
                                                      uint8_t *out_alert);
void sd_build_tls12_certificate_request(sd_buf *out, const sd_tls12_certificate_request *cr);
/* Iterates certificate_authorities: 1, 0 at the end, -1 (decode_error). */
int sd_tls12_distinguished_name_next(sd_reader *it, sd_span *out_dn, uint8_t *out_alert);

/* --- NewSessionTicket (RFC 5077 §3.3) ------------------------------------------------
 *   struct { uint32 ticket_lifetime_hint; opaque ticket<0..2^16-1>; } NewSessionTicket; */
typedef struct {
    uint32_t lifetime_hint;
    sd_span ticket;
} sd_tls12_new_session_ticket;
SD_MUST_CHECK bool sd_parse_tls12_new_session_ticket(sd_span body, sd_tls12_new_session_ticket *out,
                                                     uint8_t *out_alert);
void sd_build_tls12_new_session_ticket(sd_buf *out, const sd_tls12_new_session_ticket *t);

/* --- CertificateStatus (RFC 6066 §8) -------------------------------------------------
 *   struct { CertificateStatusType status_type; select (status_type) {
 *            case ocsp: OCSPResponse response; } response; } CertificateStatus;
 *   opaque OCSPResponse<1..2^24-1>;
 * A status_type other than ocsp(1) cannot be parsed: decode_error. */
typedef struct {
    uint8_t status_type;
    sd_span ocsp_response;
} sd_tls12_certificate_status;
SD_MUST_CHECK bool sd_parse_tls12_certificate_status(sd_span body, sd_tls12_certificate_status *out,
                                                     uint8_t *out_alert);
/* Writes status_type and the u24 response whatever their values. */
void sd_build_tls12_certificate_status(sd_buf *out, const sd_tls12_certificate_status *cs);

/* --- Empty bodies ------------------------------------------------------------------
 * ServerHelloDone (§7.4.5 "struct { } ServerHelloDone;") and HelloRequest
 * (§7.4.1.1 "struct { } HelloRequest;"): any byte is decode_error. Their
 * builders are sd_build_handshake with an empty body. */
SD_MUST_CHECK bool sd_parse_tls12_server_hello_done(sd_span body, uint8_t *out_alert);
SD_MUST_CHECK bool sd_parse_tls12_hello_request(sd_span body, uint8_t *out_alert);

/* --- Extensions --------------------------------------------------------------------
 * renegotiation_info (RFC 5746 §3.2):
 *   struct { opaque renegotiated_connection<0..255>; } RenegotiationInfo;
 * extended_master_secret (RFC 7627 §5.1): "The "extension_data" field of
 * this extension is empty." Non-empty: decode_error. */
SD_MUST_CHECK bool sd_parse_renegotiation_info(sd_span body, sd_span *out_renegotiated_connection,
                                               uint8_t *out_alert);
void sd_build_renegotiation_info(sd_buf *out, sd_span renegotiated_connection);
SD_MUST_CHECK bool sd_parse_extended_master_secret(sd_span body, uint8_t *out_alert);

#endif
