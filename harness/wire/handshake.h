/* handshake.h — handshake message bodies and extensions (RFC 8446 §4), the
 * ones TLS 1.2 shares with TLS 1.3 included (ClientHello, ServerHello,
 * Certificate lists; TLS 1.2's own messages are in wire/tls12.h). Parsers are views over the caller's bytes: they never
 * allocate, they reject trailing bytes, and on failure they set the alert the
 * RFC prescribes (decode_error for syntax, illegal_parameter for a value that
 * parses but is forbidden). Builders write the same structs back, field by
 * field, so any field can hold a deliberately wrong value. */
#ifndef SHAKEDOWN_WIRE_HANDSHAKE_H
#define SHAKEDOWN_WIRE_HANDSHAKE_H

#include "wire/bytes.h"
#include "util/util.h"

#define SD_RANDOM_LEN 32

/* RFC 8446 §4.1.2 */
typedef struct {
    uint16_t legacy_version;
    sd_span random;              /* 32 bytes */
    sd_span legacy_session_id;   /* 0..32 bytes */
    sd_span cipher_suites;       /* list body: u16 pairs */
    sd_span compression_methods; /* list body */
    sd_span extensions;          /* extension block body; empty if absent */
    bool has_extensions;         /* false if the message ends before the block */
} sd_client_hello;

/* RFC 8446 §4.1.3. A HelloRetryRequest is a ServerHello whose random is the
 * special value; sd_server_hello_is_hrr() tells. */
typedef struct {
    uint16_t legacy_version;
    sd_span random;
    sd_span legacy_session_id_echo;
    uint16_t cipher_suite;
    uint8_t legacy_compression_method;
    sd_span extensions; /* empty if absent (TLS 1.2); the builder always
                         * writes the block, even when empty */
} sd_server_hello;

extern const uint8_t sd_hrr_random[SD_RANDOM_LEN];
bool sd_server_hello_is_hrr(const sd_server_hello *sh);

/* RFC 8446 §4.4.2 */
typedef struct {
    sd_span request_context;
    sd_span certificate_list; /* body of the u24 list: entries of CertificateEntry */
} sd_certificate;

typedef struct {
    sd_span cert_data;
    sd_span extensions;
} sd_certificate_entry;

/* RFC 8446 §4.4.3 */
typedef struct {
    uint16_t algorithm;
    sd_span signature;
} sd_certificate_verify;

/* RFC 8446 §4.6.1 */
typedef struct {
    uint32_t ticket_lifetime;
    uint32_t ticket_age_add;
    sd_span ticket_nonce;
    sd_span ticket;
    sd_span extensions;
} sd_new_session_ticket;

SD_MUST_CHECK bool sd_parse_client_hello(sd_span body, sd_client_hello *out, uint8_t *out_alert);
SD_MUST_CHECK bool sd_parse_server_hello(sd_span body, sd_server_hello *out, uint8_t *out_alert);
/* EncryptedExtensions body: just an extension block (§4.3.1). */
SD_MUST_CHECK bool sd_parse_encrypted_extensions(sd_span body, sd_span *out_extensions, uint8_t *out_alert);
SD_MUST_CHECK bool sd_parse_certificate(sd_span body, sd_certificate *out, uint8_t *out_alert);
/* Iterates entries of sd_certificate.certificate_list. Returns 1 with *out
 * set, 0 at the end, -1 on a malformed entry (decode_error). Entries with an
 * empty cert_data are decode_error (§4.4.2: opaque cert_data<1..2^24-1>). */
int sd_certificate_next_entry(sd_reader *it, sd_certificate_entry *out, uint8_t *out_alert);
SD_MUST_CHECK bool sd_parse_certificate_verify(sd_span body, sd_certificate_verify *out, uint8_t *out_alert);
SD_MUST_CHECK bool sd_parse_new_session_ticket(sd_span body, sd_new_session_ticket *out, uint8_t *out_alert);

void sd_build_client_hello(sd_buf *out, const sd_client_hello *ch);
void sd_build_server_hello(sd_buf *out, const sd_server_hello *sh);
void sd_build_encrypted_extensions(sd_buf *out, sd_span extensions);
/* certificate_list is the already-encoded list body (see sd_build_certificate_entry). */
void sd_build_certificate(sd_buf *out, const sd_certificate *c);
void sd_build_certificate_entry(sd_buf *list, sd_span cert_data, sd_span extensions);
void sd_build_certificate_verify(sd_buf *out, const sd_certificate_verify *cv);
void sd_build_new_session_ticket(sd_buf *out, const sd_new_session_ticket *t);

/* --- Extensions (RFC 8446 §4.2) ------------------------------------------ */

/* Iterates an extension block body. 1: next extension; 0: end; -1: malformed
 * (decode_error). */
int sd_extensions_next(sd_reader *it, uint16_t *out_type, sd_span *out_body, uint8_t *out_alert);
/* Checks a whole extension block: well-formed, and no type twice (§4.2:
 * "There MUST NOT be more than one extension of the same type in a given
 * extension block"). Both failures are decode_error; handshake.c says why.
 * The message parsers below run this on every extension block they return. */
SD_MUST_CHECK bool sd_extensions_check(sd_span block, uint8_t *out_alert);
/* Finds an extension's body in a checked block (in an unchecked block with
 * duplicates, the first; false if the block is malformed before it). */
bool sd_extensions_find(sd_span block, uint16_t type, sd_span *out_body);
/* Appends one extension (type, u16 length, body). */
void sd_build_extension(sd_buf *block, uint16_t type, sd_span body);

/* A u16 list of u16 values (supported_groups, signature_algorithms, and
 * cipher_suites). Fails on odd length. prefix_bytes 0 means the span is the
 * list body itself, without a length (e.g. sd_client_hello.cipher_suites). */
typedef struct {
    sd_span raw; /* body without the length prefix */
} sd_u16_list;
SD_MUST_CHECK bool sd_u16_list_parse(sd_span body_with_prefix, size_t prefix_bytes, bool allow_empty,
                                     sd_u16_list *out, uint8_t *out_alert);
size_t sd_u16_list_count(sd_u16_list l);
uint16_t sd_u16_list_at(sd_u16_list l, size_t i);
bool sd_u16_list_contains(sd_u16_list l, uint16_t v);
/* Writes a list with its length prefix from an array. */
void sd_build_u16_list(sd_buf *out, size_t prefix_bytes, const uint16_t *v, size_t n);

/* supported_versions (§4.2.1): ClientHello form is a u8-prefixed list. */
SD_MUST_CHECK bool sd_parse_supported_versions_ch(sd_span body, sd_u16_list *out, uint8_t *out_alert);
/* ServerHello/HRR form is one u16. */
SD_MUST_CHECK bool sd_parse_supported_versions_sh(sd_span body, uint16_t *out, uint8_t *out_alert);

/* key_share (§4.2.8). */
typedef struct {
    uint16_t group;
    sd_span key_exchange;
} sd_key_share_entry;
/* ClientHello form: u16 list of entries. Iterate with sd_key_share_next. */
SD_MUST_CHECK bool sd_parse_key_share_ch(sd_span body, sd_span *out_entries, uint8_t *out_alert);
int sd_key_share_next(sd_reader *it, sd_key_share_entry *out, uint8_t *out_alert);
SD_MUST_CHECK bool sd_parse_key_share_sh(sd_span body, sd_key_share_entry *out, uint8_t *out_alert);
SD_MUST_CHECK bool sd_parse_key_share_hrr(sd_span body, uint16_t *out_group, uint8_t *out_alert);
void sd_build_key_share_entry(sd_buf *out, uint16_t group, sd_span key_exchange);

/* server_name (RFC 6066 §3): returns the host_name entry, if any. */
SD_MUST_CHECK bool sd_parse_server_name(sd_span body, sd_span *out_host_name, uint8_t *out_alert);
void sd_build_server_name(sd_buf *out, sd_span host_name);

/* application_layer_protocol_negotiation (RFC 7301 §3.1):
 *   opaque ProtocolName<1..2^8-1>;
 *   struct { ProtocolName protocol_name_list<2..2^16-1> } ProtocolNameList;
 * A list of names here is always the content of protocol_name_list: each
 * name with its one-byte length, one after the other (the form BoringSSL's
 * SSL_CTX_set_alpn_protos takes). sd_parse_alpn reads the extension_data,
 * returns that content in *out_names and fails with decode_error if the
 * vector is truncated, has bytes after it, is empty, or holds an empty or
 * truncated name ("Empty strings MUST NOT be included and byte strings MUST
 * NOT be truncated"). With server_answer (ServerHello, EncryptedExtensions)
 * the list must also hold exactly one name ("the "ProtocolNameList" MUST
 * contain exactly one "ProtocolName""): decode_error too. */
SD_MUST_CHECK bool sd_parse_alpn(sd_span body, bool server_answer, sd_span *out_names, uint8_t *out_alert);
/* The next name of a well-formed list (as sd_parse_alpn returns it, or
 * sd_alpn_list_valid accepts), without its length byte; false at the end. */
bool sd_alpn_next(sd_reader *it, sd_span *out_name);
/* Whether `names` is a well-formed, non-empty list of non-empty names. */
bool sd_alpn_list_valid(sd_span names);
/* Whether the list holds `name`, byte for byte. */
bool sd_alpn_contains(sd_span names, sd_span name);
/* RFC 7301 §3.2: "the server SHOULD select the most highly preferred
 * protocol that it supports and that is also advertised by the client":
 * the first name of `own` (the server's list, in its order of preference)
 * that `offered` holds. False when they share none. */
bool sd_alpn_select(sd_span own, sd_span offered, sd_span *out_name);
/* The extension_data for a list (its two-byte length, then the names). */
void sd_build_alpn(sd_buf *out, sd_span names);
/* The extension_data a server answers with: one name (RFC 7301 §3.1). */
void sd_build_alpn_answer(sd_buf *out, sd_span name);
/* Turns "h2,http/1.1" into a list (`out`, at most out_cap bytes). False
 * with a message in why for an empty name, a name over 255 bytes or a list
 * that does not fit. */
bool sd_alpn_from_text(const char *text, uint8_t *out, size_t out_cap, size_t *out_len, char *why,
                       size_t why_len);

/* record_size_limit (RFC 8449 §4): extension_data is "uint16
 * RecordSizeLimit", the largest protected record plaintext the sender is
 * willing to receive (TLS 1.3: TLSInnerPlaintext, content type and padding
 * included; TLS 1.2: the content before protection). sd_parse_record_size_limit
 * fails with decode_error unless the body is exactly two bytes, and with
 * illegal_parameter for a value under SD_RECORD_SIZE_LIMIT_MIN: "Endpoints
 * MUST NOT send a "record_size_limit" extension with a value smaller than
 * 64. An endpoint MUST treat receipt of a smaller value as a fatal error and
 * generate an "illegal_parameter" alert." */
#define SD_RECORD_SIZE_LIMIT_MIN 64u
/* The protocol-defined limits (§4: "For TLS 1.2 and earlier, that limit is
 * 2^14 octets. TLS 1.3 uses a limit of 2^14+1 octets."). */
#define SD_RECORD_SIZE_LIMIT_TLS12 16384u
#define SD_RECORD_SIZE_LIMIT_TLS13 16385u
/* max_fragment_length (RFC 6066 §4): extension_data is one MaxFragmentLength,
 * "enum{ 2^9(1), 2^10(2), 2^11(3), 2^12(4), (255) }". sd_parse_max_fragment_length
 * fails with decode_error unless the body is one byte, and with
 * illegal_parameter for a value other than 1-4: "If a server receives a
 * maximum fragment length negotiation request for a value other than the
 * allowed values, it MUST abort the handshake with an "illegal_parameter"
 * alert." sd_max_fragment_length_bytes gives the length a code names. */
SD_MUST_CHECK bool sd_parse_max_fragment_length(sd_span body, uint8_t *out_code, uint8_t *out_alert);
size_t sd_max_fragment_length_bytes(uint8_t code);
SD_MUST_CHECK bool sd_parse_record_size_limit(sd_span body, uint16_t *out_limit, uint8_t *out_alert);
void sd_build_record_size_limit(sd_buf *out, uint16_t limit);

#endif
