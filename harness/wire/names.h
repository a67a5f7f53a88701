/* names.h — the protocol's numbers, each with its RFC name, from one X-macro
 * table per registry (as s2n-tls does for its errors). Names are the RFC's
 * spelling, so scripts and reports read like the RFC. */
#ifndef SHAKEDOWN_WIRE_NAMES_H
#define SHAKEDOWN_WIRE_NAMES_H

#include <stdbool.h>
#include <stdint.h>

/* RFC 8446 §5.1 ContentType */
#define SD_CONTENT_TYPES(X)   \
    X(change_cipher_spec, 20) \
    X(alert, 21)              \
    X(handshake, 22)          \
    X(application_data, 23)

/* RFC 8446 §4 HandshakeType (plus RFC 5246 messages and RFC 8879 §4's
 * CompressedCertificate); names as in scripts. */
#define SD_HANDSHAKE_TYPES(X)    \
    X(HelloRequest, 0)           \
    X(ClientHello, 1)            \
    X(ServerHello, 2)            \
    X(NewSessionTicket, 4)       \
    X(EndOfEarlyData, 5)         \
    X(EncryptedExtensions, 8)    \
    X(Certificate, 11)           \
    X(ServerKeyExchange, 12)     \
    X(CertificateRequest, 13)    \
    X(ServerHelloDone, 14)       \
    X(CertificateVerify, 15)     \
    X(ClientKeyExchange, 16)     \
    X(Finished, 20)              \
    X(CertificateStatus, 22)     \
    X(KeyUpdate, 24)             \
    X(CompressedCertificate, 25) \
    X(MessageHash, 254)

/* RFC 8446 §6 AlertDescription (plus RFC 5246 §7.2 values). */
#define SD_ALERTS(X)                        \
    X(close_notify, 0)                      \
    X(unexpected_message, 10)               \
    X(bad_record_mac, 20)                   \
    X(decryption_failed, 21)                \
    X(record_overflow, 22)                  \
    X(decompression_failure, 30)            \
    X(handshake_failure, 40)                \
    X(no_certificate, 41)                   \
    X(bad_certificate, 42)                  \
    X(unsupported_certificate, 43)          \
    X(certificate_revoked, 44)              \
    X(certificate_expired, 45)              \
    X(certificate_unknown, 46)              \
    X(illegal_parameter, 47)                \
    X(unknown_ca, 48)                       \
    X(access_denied, 49)                    \
    X(decode_error, 50)                     \
    X(decrypt_error, 51)                    \
    X(export_restriction, 60)               \
    X(protocol_version, 70)                 \
    X(insufficient_security, 71)            \
    X(internal_error, 80)                   \
    X(inappropriate_fallback, 86)           \
    X(user_canceled, 90)                    \
    X(no_renegotiation, 100)                \
    X(missing_extension, 109)               \
    X(unsupported_extension, 110)           \
    X(certificate_unobtainable, 111)        \
    X(unrecognized_name, 112)               \
    X(bad_certificate_status_response, 113) \
    X(bad_certificate_hash_value, 114)      \
    X(unknown_psk_identity, 115)            \
    X(certificate_required, 116)            \
    X(no_application_protocol, 120)

/* IANA ExtensionType values used by the codec. */
#define SD_EXTENSION_TYPES(X)                     \
    X(server_name, 0)                             \
    X(max_fragment_length, 1)                     \
    X(status_request, 5)                          \
    X(supported_groups, 10)                       \
    X(ec_point_formats, 11)                       \
    X(signature_algorithms, 13)                   \
    X(use_srtp, 14)                               \
    X(heartbeat, 15)                              \
    X(application_layer_protocol_negotiation, 16) \
    X(signed_certificate_timestamp, 18)           \
    X(padding, 21)                                \
    X(encrypt_then_mac, 22)                       \
    X(extended_master_secret, 23)                 \
    X(compress_certificate, 27)                   \
    X(record_size_limit, 28)                      \
    X(delegated_credential, 34)                   \
    X(session_ticket, 35)                         \
    X(pre_shared_key, 41)                         \
    X(early_data, 42)                             \
    X(supported_versions, 43)                     \
    X(cookie, 44)                                 \
    X(psk_key_exchange_modes, 45)                 \
    X(certificate_authorities, 47)                \
    X(oid_filters, 48)                            \
    X(post_handshake_auth, 49)                    \
    X(signature_algorithms_cert, 50)              \
    X(key_share, 51)                              \
    X(encrypted_client_hello, 65037)              \
    X(renegotiation_info, 65281)

/* RFC 8446 §4.2.7 NamedGroup */
#define SD_GROUPS(X)  \
    X(secp256r1, 23)  \
    X(secp384r1, 24)  \
    X(secp521r1, 25)  \
    X(x25519, 29)     \
    X(x448, 30)       \
    X(ffdhe2048, 256) \
    X(ffdhe3072, 257) \
    X(ffdhe4096, 258) \
    X(ffdhe6144, 259) \
    X(ffdhe8192, 260)

/* RFC 8446 §4.2.3 SignatureScheme */
#define SD_SIGNATURE_SCHEMES(X)       \
    X(rsa_pkcs1_sha256, 0x0401)       \
    X(rsa_pkcs1_sha384, 0x0501)       \
    X(rsa_pkcs1_sha512, 0x0601)       \
    X(ecdsa_secp256r1_sha256, 0x0403) \
    X(ecdsa_secp384r1_sha384, 0x0503) \
    X(ecdsa_secp521r1_sha512, 0x0603) \
    X(rsa_pss_rsae_sha256, 0x0804)    \
    X(rsa_pss_rsae_sha384, 0x0805)    \
    X(rsa_pss_rsae_sha512, 0x0806)    \
    X(ed25519, 0x0807)                \
    X(rsa_pss_pss_sha256, 0x0809)     \
    X(rsa_pkcs1_sha1, 0x0201)         \
    X(ecdsa_sha1, 0x0203)

/* RFC 8446 Appendix B.4 cipher suites, then the TLS 1.2 ones the model
 * implements (RFC 5246 §A.5, RFC 5288 §3, RFC 5289 §3.2, RFC 8422 §6,
 * RFC 7905 §2; DHE_RSA: RFC 5246 §A.5, RFC 5288 §3). */
#define SD_CIPHER_SUITES(X)                                  \
    X(TLS_AES_128_GCM_SHA256, 0x1301)                        \
    X(TLS_AES_256_GCM_SHA384, 0x1302)                        \
    X(TLS_CHACHA20_POLY1305_SHA256, 0x1303)                  \
    X(TLS_RSA_WITH_AES_128_CBC_SHA, 0x002F)                  \
    X(TLS_DHE_RSA_WITH_AES_128_CBC_SHA, 0x0033)              \
    X(TLS_RSA_WITH_AES_128_GCM_SHA256, 0x009C)               \
    X(TLS_RSA_WITH_AES_256_GCM_SHA384, 0x009D)               \
    X(TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, 0x009E)           \
    X(TLS_DHE_RSA_WITH_AES_256_GCM_SHA384, 0x009F)           \
    X(TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, 0xC009)          \
    X(TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, 0xC013)            \
    X(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 0xC02B)       \
    X(TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, 0xC02C)       \
    X(TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 0xC02F)         \
    X(TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, 0xC030)         \
    X(TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, 0xCCA8)   \
    X(TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, 0xCCA9) \
    X(TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256, 0xCCAA)

#define SD_ENUM_ENTRY(name, value) SD_##name = value,
enum sd_content_type { SD_CONTENT_TYPES(SD_ENUM_ENTRY) };
enum sd_handshake_type { SD_HANDSHAKE_TYPES(SD_ENUM_ENTRY) };
enum sd_alert_description { SD_ALERTS(SD_ENUM_ENTRY) };
enum sd_extension_type { SD_EXTENSION_TYPES(SD_ENUM_ENTRY) };
enum sd_named_group { SD_GROUPS(SD_ENUM_ENTRY) };
enum sd_signature_scheme { SD_SIGNATURE_SCHEMES(SD_ENUM_ENTRY) };
enum sd_cipher_suite_id { SD_CIPHER_SUITES(SD_ENUM_ENTRY) };

enum { SD_ALERT_LEVEL_WARNING = 1, SD_ALERT_LEVEL_FATAL = 2 };
enum { SD_TLS12 = 0x0303, SD_TLS13 = 0x0304 };

/* Each returns the RFC name, or NULL for a value not in the table. */
const char *sd_content_type_name(unsigned v);
const char *sd_handshake_type_name(unsigned v);
const char *sd_alert_name(unsigned v);
const char *sd_extension_name(unsigned v);
const char *sd_group_name(unsigned v);
const char *sd_signature_scheme_name(unsigned v);
const char *sd_cipher_suite_name(unsigned v);
const char *sd_alert_level_name(unsigned v); /* "warning", "fatal" */

/* Reverse lookups by exact name. Return false if the name is unknown. */
bool sd_handshake_type_from_name(const char *name, uint8_t *out);
bool sd_alert_from_name(const char *name, uint8_t *out);
bool sd_extension_from_name(const char *name, uint16_t *out);
bool sd_group_from_name(const char *name, uint16_t *out);
bool sd_cipher_suite_from_name(const char *name, uint16_t *out);
bool sd_alert_level_from_name(const char *name, uint8_t *out);
bool sd_signature_scheme_from_name(const char *name, uint16_t *out);

#endif
