/* checks.c — what the model's TLS 1.3 code (tls13.c, tls13_psk.c) and its
 * TLS 1.2 code (tls12.c) share: the fatal alert that ends a connection, the
 * transcript hash, and the ClientHello extension checks that apply whatever
 * the version (server_name, psk_key_exchange_modes, status_request and the
 * extensions the model recognises but does not negotiate), and sealing and
 * opening server tickets. Everything here
 * calls only down, into crypto/ and wire/: never into the version files or
 * model.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/aead.h>

#include "model/model_state.h"
#include "wire/cert_compression.h"
#include "wire/handshake.h"
#include "wire/names.h"

/* --- Errors ------------------------------------------------------------- */

void model_fatal(sd_model *m, uint8_t alert, const char *fmt, ...) {
    if (m->phase == PHASE_FAILED) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->st.error, sizeof(m->st.error), fmt, ap);
    va_end(ap);
    sd_rl_send_alert(&m->rl, SD_ALERT_LEVEL_FATAL, alert);
    m->st.alert_sent = alert;
    m->st.alert_sent_level = SD_ALERT_LEVEL_FATAL;
    m->st.failed = true;
    m->fatal_alert = true;
    m->phase = PHASE_FAILED;
}

bool model_failed(const sd_model *m) { return m->phase == PHASE_FAILED; }

bool model_set_shape(sd_model *m, unsigned flags) {
    const sd_shape *shape = sd_shape_with_flags(flags);
    if (!shape) {
        model_fatal(m, SD_internal_error, "no message order for shape flags 0x%x", flags);
        return false;
    }
    m->shape = shape;
    return true;
}

/* --- Transcript ------------------------------------------------------------ */

bool model_transcript_hash(sd_model *m, uint8_t *out) {
    if (!sd_rl_transcript_hash(&m->rl, m->suite, out)) {
        model_fatal(m, SD_internal_error, "transcript hash failed");
        return false;
    }
    return true;
}

/* --- The peer's signature schemes ------------------------------------------ */

bool model_keep_peer_sigalgs(sd_model *m, sd_u16_list list) {
    size_t n = sd_u16_list_count(list);
    free(m->peer_sigalgs);
    m->peer_sigalgs = NULL;
    m->n_peer_sigalgs = 0;
    if (n == 0) return true;
    m->peer_sigalgs = malloc(n * sizeof *m->peer_sigalgs);
    if (!m->peer_sigalgs) {
        /* RFC 8446 §6.2: internal_error, "such as a memory allocation
         * failure". */
        model_fatal(m, SD_internal_error, "out of memory for signature_algorithms");
        return false;
    }
    for (size_t i = 0; i < n; i++) m->peer_sigalgs[i] = sd_u16_list_at(list, i);
    m->n_peer_sigalgs = n;
    return true;
}

/* --- ClientHello extensions (server side) ----------------------------------- */

/* RFC 6066 §3 on the server side. A name the server cannot use may be
 * refused with unrecognized_name ("If the server understood the ClientHello
 * extension but does not recognize the server name, the server SHOULD ...
 * abort the handshake by sending a fatal-level unrecognized_name(112)
 * alert"); like BoringSSL, the model refuses names that cannot be a DNS host
 * name: another name type, more than 255 bytes, or a NUL byte. */
bool model_check_server_name(sd_model *m, sd_span body) {
    uint8_t alert;
    sd_span host;
    if (!sd_parse_server_name(body, &host, &alert)) {
        model_fatal(m, alert, "malformed server_name");
        return false;
    }
    /* One host_name entry fills the list exactly: u16 list length, then
     * u8 type and u16 name length before the name. */
    bool only_host_name = host.data != NULL && body.len == 2 + 3 + host.len;
    if (!only_host_name || host.len > 255 || memchr(host.data, 0, host.len) != NULL) {
        model_fatal(m, SD_unrecognized_name, "server_name is not a usable host name");
        return false;
    }
    return true;
}

/* ClientHello extensions whose body the RFCs define as empty; anything else
 * cannot be decoded (RFC 8446 §6.2 decode_error). post_handshake_auth is
 * not here: the model does not implement it, so it is ignored like any
 * extension it does not recognise (RFC 8446 §4.2), as BoringSSL does.
 * tls13_only: checked only when TLS 1.3 is negotiated; in TLS 1.2 the
 * extension means nothing and is ignored (RFC 5246 §7.4.1.4), as BoringSSL
 * ignores it. */
static const struct {
    uint16_t type;
    bool tls13_only;
    const char *rule;
} kEmptyInClientHello[] = {
    {SD_early_data, true, "RFC 8446 §4.2.10: early_data in ClientHello is struct {} Empty"},
    {SD_signed_certificate_timestamp, false, "RFC 6962 §3.3.1: the ClientHello extension_data is empty"},
};

/* RFC 6066 §8 status_request in a ClientHello (server side); false after a
 * fatal alert. Sets client_wants_ocsp. */
static bool check_status_request(sd_model *m, const sd_client_hello *ch) {
    /* RFC 6066 §8: CertificateStatusRequest starts with a status_type byte.
     * Only that byte is read, as BoringSSL does: the request itself is the
     * server's to use or ignore. */
    sd_span body;
    if (sd_extensions_find(ch->extensions, SD_status_request, &body)) {
        if (body.len == 0) {
            model_fatal(m, SD_decode_error, "empty status_request");
            return false;
        }
        m->client_wants_ocsp = body.data[0] == 1; /* status_type ocsp */
    }
    return true;
}

bool model_check_extension_bodies(sd_model *m, const sd_client_hello *ch, bool tls13) {
    sd_span body;
    for (size_t i = 0; i < COUNT(kEmptyInClientHello); i++) {
        if (kEmptyInClientHello[i].tls13_only && !tls13) continue;
        if (sd_extensions_find(ch->extensions, kEmptyInClientHello[i].type, &body) && body.len != 0) {
            model_fatal(m, SD_decode_error, "non-empty %s (%s)",
                        sd_extension_name(kEmptyInClientHello[i].type), kEmptyInClientHello[i].rule);
            return false;
        }
    }
    /* RFC 8879 §3: CertificateCompressionAlgorithm algorithms<2..2^8-2>;
     * parsed whether or not the model compresses, as BoringSSL does. Only
     * TLS 1.3 sends a CompressedCertificate: "if TLS 1.2 [RFC5246] or
     * earlier is negotiated, the peers MUST ignore this extension", and
     * tls12.c's Certificate goes out plain whatever the choice made here. */
    if (!model_take_cert_compression_offer(m, ch->extensions)) return false;
    /* RFC 8446 §4.2.3: signature_algorithms_cert carries a
     * SignatureSchemeList, supported_signature_algorithms<2..2^16-2>, in
     * both versions ("TLS 1.2 implementations SHOULD also process this
     * extension"). The model has one chain and sends it whatever the list
     * says (§4.4.2.2: a server that cannot satisfy it "SHOULD continue the
     * handshake by sending the client a certificate chain of its choice"),
     * but a list that cannot be parsed is §6's decode_error. BoringSSL does
     * not read the extension (known_differences.txt). */
    if (!m->cfg.skip_signature_algorithms_cert &&
        sd_extensions_find(ch->extensions, SD_signature_algorithms_cert, &body)) {
        sd_u16_list schemes;
        uint8_t alert;
        if (!sd_u16_list_parse(body, 2, false, &schemes, &alert)) {
            model_fatal(m, alert, "malformed signature_algorithms_cert");
            return false;
        }
    }
    /* RFC 9345 §4.1.1: delegated_credential carries a SignatureSchemeList,
     * supported_signature_algorithms<2..2^16-2>. A TLS 1.3 extension
     * (RFC 9345 §4), which BoringSSL reads in TLS 1.3 only. */
    if (tls13 && sd_extensions_find(ch->extensions, SD_delegated_credential, &body)) {
        sd_u16_list schemes;
        uint8_t alert;
        if (!sd_u16_list_parse(body, 2, false, &schemes, &alert)) {
            model_fatal(m, alert, "malformed delegated_credential");
            return false;
        }
    }
    /* draft-ietf-tls-esni-13 §5 (the ECH version BoringSSL API 17 speaks):
     * ECHClientHello is type 0 (outer: HpkeSymmetricCipherSuite, config_id,
     * enc<0..2^16-1>, payload<1..2^16-1>) or type 1 (inner: empty). The
     * model has no ECH keys, so a well-formed one is ignored; a malformed
     * one cannot be decoded, as BoringSSL also decides. */
    if (sd_extensions_find(ch->extensions, SD_encrypted_client_hello, &body)) {
        sd_reader r = sd_reader_of(body);
        uint8_t type = 0, config_id;
        uint32_t cipher_suite;
        sd_span enc, payload;
        bool ok = sd_read_u8(&r, &type) &&
                  (type == 1 ? sd_reader_done(&r)
                             : type == 0 && sd_read_u32(&r, &cipher_suite) && sd_read_u8(&r, &config_id) &&
                                   sd_read_prefixed(&r, 2, &enc) && sd_read_prefixed(&r, 2, &payload) &&
                                   payload.len > 0 && sd_reader_done(&r));
        if (!ok) {
            model_fatal(m, SD_decode_error, "malformed encrypted_client_hello");
            return false;
        }
    }
    return check_status_request(m, ch);
}

const sd_span *model_ocsp_response(const sd_model *m, const sd_credential *cred) {
    if (m->cfg.role != SD_ROLE_SERVER || !m->client_wants_ocsp || !cred) return NULL;
    char file[96];
    snprintf(file, sizeof file, "ocsp-%s.der", cred->name);
    return sd_pki_blob(m->cfg.pki, file);
}

bool model_check_psk_modes(sd_model *m, const sd_client_hello *ch, bool *dhe_ke) {
    sd_span body;
    *dhe_ke = false;
    if (!sd_extensions_find(ch->extensions, SD_psk_key_exchange_modes, &body)) return true;
    /* RFC 8446 §4.2.9: PskKeyExchangeMode ke_modes<1..255>; */
    sd_reader r = sd_reader_of(body);
    sd_span modes;
    if (!sd_read_prefixed(&r, 1, &modes) || modes.len == 0 || !sd_reader_done(&r)) {
        model_fatal(m, SD_decode_error, "malformed psk_key_exchange_modes");
        return false;
    }
    *dhe_ke = memchr(modes.data, 1, modes.len) != NULL; /* psk_dhe_ke(1) */
    return true;
}

/* --- Tickets ------------------------------------------------------------- */

void model_seal_ticket(sd_model *m, const uint8_t *plain, size_t plain_len, sd_buf *out) {
    uint8_t nonce[12], sealed[MODEL_TICKET_MAX_PLAIN + 16];
    size_t sealed_len = 0;
    if (plain_len > MODEL_TICKET_MAX_PLAIN) return;
    sd_rng_bytes(&m->rng, nonce, sizeof nonce);
    EVP_AEAD_CTX ctx;
    if (EVP_AEAD_CTX_init(&ctx, EVP_aead_aes_128_gcm(), m->ticket_key, sizeof m->ticket_key, 16, NULL)) {
        if (EVP_AEAD_CTX_seal(&ctx, sealed, &sealed_len, sizeof sealed, nonce, sizeof nonce, plain, plain_len,
                              NULL, 0)) {
            sd_buf_append(out, nonce, sizeof nonce);
            sd_buf_append(out, sealed, sealed_len);
        }
        EVP_AEAD_CTX_cleanup(&ctx);
    }
}

bool model_open_ticket(const sd_model *m, sd_span ticket, uint8_t *plain, size_t cap, size_t *plain_len) {
    *plain_len = 0;
    if (ticket.len < 12 + 16 || ticket.len - 12 > cap + 16) return false;
    EVP_AEAD_CTX ctx;
    if (!EVP_AEAD_CTX_init(&ctx, EVP_aead_aes_128_gcm(), m->ticket_key, sizeof m->ticket_key, 16, NULL))
        return false;
    bool ok = EVP_AEAD_CTX_open(&ctx, plain, plain_len, cap, ticket.data, 12, ticket.data + 12,
                                ticket.len - 12, NULL, 0);
    EVP_AEAD_CTX_cleanup(&ctx);
    return ok;
}

/* --- record_size_limit (RFC 8449) ------------------------------------------ */

/* The limit this side advertises in a version: §4 "an endpoint MUST NOT
 * send a value higher than the protocol-defined maximum record size" (2^14
 * in TLS 1.2, 2^14+1 in TLS 1.3). */
static uint16_t own_record_size_limit(const sd_model *m, bool tls13) {
    uint16_t max = tls13 ? SD_RECORD_SIZE_LIMIT_TLS13 : SD_RECORD_SIZE_LIMIT_TLS12;
    return m->cfg.record_size_limit < max ? m->cfg.record_size_limit : max;
}

bool model_take_record_size_limit_offer(sd_model *m, const sd_client_hello *ch, bool tls13) {
    sd_span body;
    uint16_t limit;
    uint8_t alert;
    m->record_size_limit_answered = false;
    if (!m->cfg.record_size_limit || !sd_extensions_find(ch->extensions, SD_record_size_limit, &body))
        return true;
    /* §4: "An endpoint MUST treat receipt of a smaller value [than 64] as a
     * fatal error and generate an "illegal_parameter" alert." A value above
     * the protocol's maximum is taken: "A server MUST NOT enforce this
     * restriction". */
    if (!sd_parse_record_size_limit(body, &limit, &alert)) {
        model_fatal(m, alert, "record_size_limit %s",
                    alert == SD_illegal_parameter ? "under 64" : "malformed");
        return false;
    }
    /* Negotiated from here on: the server's protected records keep to the
     * client's limit (TLS 1.3 from EncryptedExtensions, TLS 1.2 after its
     * ChangeCipherSpec), and the client's to the limit answered. */
    m->record_size_limit_answered = true;
    m->rl.peer_record_limit = limit;
    m->rl.own_record_limit = own_record_size_limit(m, tls13);
    return true;
}

void model_answer_record_size_limit(sd_model *m, sd_buf *exts, bool tls13) {
    if (!m->record_size_limit_answered) return;
    sd_buf ext;
    sd_buf_init(&ext);
    sd_build_record_size_limit(&ext, own_record_size_limit(m, tls13));
    sd_build_extension(exts, SD_record_size_limit, sd_buf_span(&ext));
    sd_buf_free(&ext);
}

bool model_take_record_size_limit_answer(sd_model *m, sd_span body) {
    uint16_t limit;
    uint8_t alert;
    if (!sd_parse_record_size_limit(body, &limit, &alert)) {
        model_fatal(m, alert, "server's record_size_limit %s",
                    alert == SD_illegal_parameter ? "under 64" : "malformed");
        return false;
    }
    /* RFC 8449 §5: "A client MUST treat receipt of both
     * "max_fragment_length" and "record_size_limit" as a fatal error". */
    if (m->rl.max_fragment_len) {
        model_fatal(m, SD_illegal_parameter,
                    "server answered both max_fragment_length and record_size_limit");
        return false;
    }
    m->rl.peer_record_limit = limit;
    m->rl.own_record_limit = m->cfg.record_size_limit;
    /* TLS 1.3: the records that carried EncryptedExtensions were already
     * under the client's limit, which the server knew from the ClientHello
     * (§4: "A TLS endpoint that receives a record larger than its
     * advertised limit MUST generate a fatal "record_overflow" alert"). */
    if (m->rl.largest_protected_plaintext > m->rl.own_record_limit) {
        model_fatal(m, SD_record_overflow, "a protected record of %zu bytes, over the record_size_limit %u",
                    m->rl.largest_protected_plaintext, m->cfg.record_size_limit);
        return false;
    }
    return true;
}

/* --- max_fragment_length (RFC 6066 §4) ---------------------------------------- */

bool model_take_max_fragment_length_request(sd_model *m, const sd_client_hello *ch) {
    sd_span body;
    uint8_t code, alert;
    m->max_fragment_length_accepted = 0;
    if (!m->cfg.max_fragment_length || !sd_extensions_find(ch->extensions, SD_max_fragment_length, &body))
        return true;
    /* §4: "If a server receives a maximum fragment length negotiation
     * request for a value other than the allowed values, it MUST abort the
     * handshake with an "illegal_parameter" alert." */
    if (!sd_parse_max_fragment_length(body, &code, &alert)) {
        model_fatal(m, alert, "max_fragment_length %s",
                    alert == SD_illegal_parameter ? "of a value other than 1-4" : "malformed");
        return false;
    }
    /* RFC 8449 §5: "A server that supports the "record_size_limit"
     * extension MUST ignore a "max_fragment_length" that appears in a
     * ClientHello if both extensions appear." */
    if (m->record_size_limit_answered) return true;
    m->max_fragment_length_accepted = code;
    return true;
}

void model_answer_max_fragment_length(sd_model *m, sd_buf *exts) {
    if (!m->max_fragment_length_accepted) return;
    /* §4: the server's "extension_data" "SHALL contain "MaxFragmentLength"
     * whose value is the same as the requested maximum fragment length",
     * and both sides "MUST immediately begin fragmenting messages",
     * this message's record included. */
    sd_build_extension(exts, SD_max_fragment_length, sd_span_of(&m->max_fragment_length_accepted, 1));
    m->rl.max_fragment_len = sd_max_fragment_length_bytes(m->max_fragment_length_accepted);
}

bool model_take_max_fragment_length_answer(sd_model *m, sd_span body) {
    uint8_t code, alert;
    /* §4: "if a client receives a maximum fragment length negotiation
     * response that differs from the length it requested, it MUST also
     * abort the handshake with an "illegal_parameter" alert." */
    if (!sd_parse_max_fragment_length(body, &code, &alert) || code != m->cfg.max_fragment_length) {
        model_fatal(m, body.len == 1 ? SD_illegal_parameter : SD_decode_error,
                    "max_fragment_length answer is not the length requested");
        return false;
    }
    /* RFC 8449 §5: "A client MUST treat receipt of both
     * "max_fragment_length" and "record_size_limit" as a fatal error, and
     * SHOULD generate an "illegal_parameter" alert." */
    if (m->rl.peer_record_limit) {
        model_fatal(m, SD_illegal_parameter,
                    "server answered both max_fragment_length and record_size_limit");
        return false;
    }
    m->rl.max_fragment_len = sd_max_fragment_length_bytes(code);
    return true;
}

/* --- ALPN (RFC 7301) -------------------------------------------------------- */

bool model_select_alpn(sd_model *m, const sd_client_hello *ch) {
    m->alpn_selected = false;
    m->alpn_len = 0;
    sd_span body, offered, chosen;
    uint8_t alert;
    /* A server with no protocols takes no part in ALPN and reads nothing of
     * the extension (RFC 7301 §3.1: servers "MAY return a suitable protocol
     * selection response"), as BoringSSL without a selection callback does. */
    if (!m->cfg.alpn.len ||
        !sd_extensions_find(ch->extensions, SD_application_layer_protocol_negotiation, &body))
        return true;
    /* §3.1: "Empty strings MUST NOT be included and byte strings MUST NOT be
     * truncated": a list that breaks its syntax does not decode (RFC 8446
     * §6.2, RFC 5246 §7.2.2 decode_error). */
    if (!sd_parse_alpn(body, false, &offered, &alert)) {
        model_fatal(m, alert, "malformed application_layer_protocol_negotiation");
        return false;
    }
    /* §3.2: "the server SHOULD select the most highly preferred protocol
     * that it supports and that is also advertised by the client. In the
     * event that the server supports no protocols that the client
     * advertises, then the server SHALL respond with a fatal
     * "no_application_protocol" alert." */
    if (!sd_alpn_select(m->cfg.alpn, offered, &chosen)) {
        model_fatal(m, SD_no_application_protocol, "the client offers none of the server's protocols");
        return false;
    }
    memcpy(m->alpn, chosen.data, chosen.len);
    m->alpn_len = chosen.len;
    m->alpn_selected = true;
    return true;
}

bool model_take_alpn_answer(sd_model *m, sd_span body) {
    sd_span names, name;
    uint8_t alert;
    /* §3.1: the server's extension_data "is structured the same as
     * described above for the client "extension_data", except that the
     * "ProtocolNameList" MUST contain exactly one "ProtocolName"". */
    if (!sd_parse_alpn(body, true, &names, &alert)) {
        model_fatal(m, alert, "malformed application_layer_protocol_negotiation answer");
        return false;
    }
    sd_reader it = sd_reader_of(names);
    if (!sd_alpn_next(&it, &name)) {
        model_fatal(m, SD_decode_error, "malformed application_layer_protocol_negotiation answer");
        return false;
    }
    /* §3.2 has the server select "a protocol if the client supports it";
     * RFC 7301 names no alert for a client given another. Such a field is
     * not one the client can take ("a field in the handshake was incorrect
     * or inconsistent with other fields", RFC 8446 §6.2, RFC 5246 §7.2.2):
     * illegal_parameter, as BoringSSL answers. */
    if (!sd_alpn_contains(m->cfg.alpn, name)) {
        model_fatal(m, SD_illegal_parameter, "the server selected a protocol the client did not offer");
        return false;
    }
    memcpy(m->alpn, name.data, name.len);
    m->alpn_len = name.len;
    m->alpn_selected = true;
    return true;
}

/* --- Certificate compression (RFC 8879) ---------------------------------------- */

bool model_cert_compression_offered(const sd_model *m) { return m->version == SD_TLS13 && m->cc_offered; }

bool model_take_cert_compression_offer(sd_model *m, sd_span extensions) {
    sd_span body;
    m->cc_compress_with = 0;
    if (!sd_extensions_find(extensions, SD_compress_certificate, &body)) return true;
    sd_u16_list algs;
    uint8_t alert;
    if (!sd_parse_compress_certificate(body, &algs, &alert)) {
        model_fatal(m, alert, "malformed compress_certificate (RFC 8879 §3: algorithms<2..2^8-2>)");
        return false;
    }
    /* §4: the sender "MAY compress"; the model does whenever it has one of
     * the algorithms, the first of the peer's list it has. */
    m->cc_compress_with = sd_cert_compression_pick(algs, m->cfg.cert_compression, m->cfg.n_cert_compression);
    return true;
}

bool model_decompress_certificate(sd_model *m, sd_span body, sd_buf *out) {
    sd_compressed_certificate cc;
    uint8_t alert;
    /* RFC 8879 §4: the struct, with compressed_certificate_message<1..2^24-1>;
     * one that does not parse is RFC 8446 §6.2's decode_error. */
    if (!sd_parse_compressed_certificate(body, &cc, &alert)) {
        model_fatal(m, alert, "malformed CompressedCertificate");
        return false;
    }
    /* §4: "The algorithm MUST be one of the algorithms listed in the peer's
     * compress_certificate extension": the model's own list. A field that
     * parses but breaks a rule is illegal_parameter (RFC 8446 §6.2). */
    if (!sd_u16_in(m->cfg.cert_compression, m->cfg.n_cert_compression, cc.algorithm)) {
        model_fatal(m, SD_illegal_parameter, "CompressedCertificate uses algorithm %u, which was not offered",
                    cc.algorithm);
        return false;
    }
    /* §4: uncompressed_length lets the receiver "enforce limits on the
     * message size before performing decompression": the model's limit on
     * a Certificate message it would read uncompressed. */
    if (cc.uncompressed_length > m->rl.max_handshake_len) {
        model_fatal(m, SD_bad_certificate,
                    "CompressedCertificate uncompressed_length %u is over the limit of %zu",
                    cc.uncompressed_length, m->rl.max_handshake_len);
        return false;
    }
    /* §4: "If the received CompressedCertificate message cannot be
     * decompressed, the connection MUST be terminated with the
     * "bad_certificate" alert"; and "If, after decompression, the specified
     * length does not match the actual length, the party receiving the
     * invalid message MUST abort the connection with the "bad_certificate"
     * alert". */
    const char *why = "cannot be decompressed";
    if (!sd_cert_decompress(cc.algorithm, cc.compressed, cc.uncompressed_length, out, &why)) {
        model_fatal(m, SD_bad_certificate, "CompressedCertificate %s", why);
        return false;
    }
    return true;
}
