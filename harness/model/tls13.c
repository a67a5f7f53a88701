/* tls13.c — the model's TLS 1.3 (RFC 8446), both roles: the handler of
 * each handshake message it receives and the writer of each it sends, in
 * the table model_tls13 that model.c dispatches through. Message order comes
 * from the shapes in sequences.c, checked by model.c before a handler runs.
 * Resumption (tickets, PSK offers and binders) is in tls13_psk.c. This file
 * calls only down: into tls13_psk.c, checks.c, crypto/ and wire/. */
#include <string.h>

#include <openssl/mem.h>

#include "crypto/crypto.h"
#include "protocol/messages.h"
#include "model/model_state.h"
#include "wire/handshake.h"
#include "wire/names.h"

/* --- Helpers -------------------------------------------------------------- */

static bool set_keys(sd_model *m, sd_record_keys *k, const uint8_t *secret) {
    if (!sd_record_keys_set(k, m->suite, secret)) {
        model_fatal(m, SD_internal_error, "cannot install traffic keys");
        return false;
    }
    return true;
}

/* RFC 8446 §5.1: "Handshake messages MUST NOT span key changes ...
 * implementations MUST verify that all messages immediately preceding a key
 * change align with a record boundary; if not, then they MUST terminate the
 * connection with an "unexpected_message" alert." */
static bool check_key_change_boundary(sd_model *m) {
    if (sd_hs_reassembler_has_partial(&m->rl.hs)) {
        model_fatal(m, SD_unexpected_message, "handshake data spans a key change");
        return false;
    }
    return true;
}

/* Extensions the model's ClientHello carries: the only ones a server may
 * answer (RFC 8446 §4.2). ALPN only when the client has protocols. */
static bool client_offered(const sd_model *m, uint16_t type) {
    return type == SD_server_name || type == SD_supported_groups || type == SD_signature_algorithms ||
           type == SD_supported_versions || type == SD_key_share || type == SD_status_request ||
           type == SD_psk_key_exchange_modes ||
           (type == SD_application_layer_protocol_negotiation && m->cfg.alpn.len) ||
           (type == SD_record_size_limit && m->cfg.record_size_limit) ||
           (type == SD_max_fragment_length && m->cfg.max_fragment_length);
}

/* The credential this side presents (server's, or client's when asked). */
static const sd_credential *own_credential(const sd_model *m) {
    return m->cfg.role == SD_ROLE_SERVER ? m->cfg.credential : m->cfg.client_credential;
}

static void send_ccs_once(sd_model *m);

/* --- ClientHello (client side) -------------------------------------------- */

/* A client's one ClientHello, whatever the versions it offers: with TLS 1.2
 * enabled, the offer (messages.c) carries TLS 1.2's suites and extensions
 * too, and a TLS 1.2-only offer leaves out supported_versions. */
static void send_client_hello(sd_model *m) {
    sd_buf body;
    sd_buf_init(&body);
    /* §4.2.11: the ticket's age in milliseconds plus ticket_age_add. The
     * model's clock does not move within a run, so the age is 0. */
    /* §4.2.10: 0-RTT only with a ticket that allows it (§4.6.1), and never
     * in the ClientHello that answers a HelloRetryRequest ("A client MUST
     * NOT include the "early_data" extension in its followup
     * ClientHello"). */
    bool first = m->hrr_suite == 0;
    bool early = first && m->psk_offered && m->ticket_max_early > 0 && m->cfg.early_data.len > 0;
    sd_psk_identity psk = {sd_buf_span(&m->ticket), m->ticket_age_add,
                           m->psk_suite ? m->psk_suite->hash_len : 0, early};
    sd_msg_client_hello(&body, &m->offer, m->client_random, sd_span_of(m->session_id, m->session_id_len),
                        &m->share, m->cfg.server_name, sd_span_of(m->cookie, m->cookie_len),
                        m->psk_offered ? &psk : NULL);
    if (m->psk_offered) tls13_write_binder(m, &body);
    /* RFC 8879 §3: the ClientHello offers m->offer.cert_compression. */
    m->cc_offered = m->offer.n_cert_compression > 0;
    sd_rl_send_handshake(&m->rl, SD_ClientHello, sd_buf_span(&body));
    sd_buf_free(&body);
    if (!early || !tls13_derive_early_secret(m, m->psk_suite)) return;
    /* §D.4: the compatibility CCS goes "immediately after its first
     * ClientHello" when early data follows; then the early data under
     * client_early_traffic_secret (§7.1), no more than the ticket allows
     * (§4.6.1: "The maximum amount of 0-RTT data that the client is allowed
     * to send when using this ticket"). */
    send_ccs_once(m);
    if (!sd_record_keys_set(&m->rl.write, m->psk_suite, m->client_early_traffic))
        return model_fatal(m, SD_internal_error, "cannot install early traffic keys");
    size_t n = m->cfg.early_data.len < m->ticket_max_early ? m->cfg.early_data.len : m->ticket_max_early;
    sd_rl_send(&m->rl, SD_application_data, sd_span_of(m->cfg.early_data.data, n), false, 0);
    m->early_sent = true;
}

/* --- ServerHello / HelloRetryRequest (client side) ------------------------- */

static void on_hello_retry_request(sd_model *m, const model_received *in) {
    const sd_server_hello *sh = in->server_hello;
    uint8_t alert;
    /* RFC 8446 §4.1.4: the client "MUST check the legacy_version,
     * legacy_session_id_echo, cipher_suite, and legacy_compression_method as
     * specified in Section 4.1.3". §4.1.3: legacy_version "MUST be set to
     * 0x0303"; any other value announces a version we cannot speak, so
     * protocol_version, as BoringSSL answers. */
    if (sh->legacy_version != SD_TLS12)
        return model_fatal(m, SD_protocol_version, "HelloRetryRequest legacy_version is 0x%04x",
                           sh->legacy_version);
    if (!sd_span_eq(sh->legacy_session_id_echo, sd_span_of(m->session_id, m->session_id_len)))
        return model_fatal(m, SD_illegal_parameter, "HelloRetryRequest session id does not echo ours");
    if (!sd_u16_in(m->offer.suites, m->offer.n_suites, sh->cipher_suite) ||
        !(m->suite = sd_suite_find(sh->cipher_suite)))
        return model_fatal(m, SD_illegal_parameter,
                           "HelloRetryRequest selects a cipher suite we did not offer");
    if (sh->legacy_compression_method != 0)
        return model_fatal(m, SD_illegal_parameter, "HelloRetryRequest compression method is not null");
    if (!sd_extensions_check(sh->extensions, &alert))
        return model_fatal(m, alert, "malformed HelloRetryRequest extensions");

    sd_reader it = sd_reader_of(sh->extensions);
    uint16_t type;
    sd_span body;
    uint16_t version = 0, group = 0;
    bool have_group = false;
    m->cookie_len = 0;
    while (sd_extensions_next(&it, &type, &body, &alert) > 0) {
        if (type == SD_supported_versions) {
            if (!sd_parse_supported_versions_sh(body, &version, &alert))
                return model_fatal(m, alert, "malformed supported_versions in HelloRetryRequest");
        } else if (type == SD_key_share) {
            if (!sd_parse_key_share_hrr(body, &group, &alert))
                return model_fatal(m, alert, "malformed key_share in HelloRetryRequest");
            have_group = true;
        } else if (type == SD_cookie) {
            sd_reader c = sd_reader_of(body);
            sd_span cookie;
            /* §4.2.2: opaque cookie<1..2^16-1> */
            if (!sd_read_prefixed(&c, 2, &cookie) || !sd_reader_done(&c) || cookie.len == 0 ||
                cookie.len > sizeof(m->cookie))
                return model_fatal(m, SD_decode_error, "malformed cookie in HelloRetryRequest");
            memcpy(m->cookie, cookie.data, cookie.len);
            m->cookie_len = cookie.len;
        } else if (client_offered(m, type)) {
            /* §4.2: a recognised extension in a message where it is not
             * specified gets "illegal_parameter". */
            return model_fatal(m, SD_illegal_parameter, "extension %s not allowed in HelloRetryRequest",
                               sd_extension_name(type));
        } else {
            /* §4.2: responses to extensions not requested get
             * "unsupported_extension" (the cookie is the one exception). */
            return model_fatal(m, SD_unsupported_extension,
                               "HelloRetryRequest carries unrequested extension %u", type);
        }
    }
    /* §4.2.1: "If the "supported_versions" extension in the ServerHello
     * contains a version not offered by the client or contains a version
     * prior to TLS 1.3, the client MUST abort the handshake with an
     * "illegal_parameter" alert." */
    if (version == 0)
        return model_fatal(m, SD_protocol_version, "HelloRetryRequest without supported_versions");
    if (version != SD_TLS13)
        return model_fatal(m, SD_illegal_parameter, "HelloRetryRequest selects version 0x%04x", version);
    if (have_group) {
        /* §4.2.8: the selected group "MUST be in the "supported_groups"
         * extension in the original ClientHello" and must not be one for
         * which a share was sent; otherwise "illegal_parameter". */
        if (!sd_u16_in(m->offer.groups, m->offer.n_groups, group) || group == m->share.group)
            return model_fatal(m, SD_illegal_parameter, "HelloRetryRequest selects group %u", group);
    } else if (m->cookie_len == 0) {
        /* §4.1.4: "Clients MUST abort the handshake with an
         * "illegal_parameter" alert if the HelloRetryRequest would not result
         * in any change in the ClientHello." */
        return model_fatal(m, SD_illegal_parameter, "HelloRetryRequest would not change the ClientHello");
    }

    /* §4.2.10: a HelloRetryRequest rejects the early data; the second
     * ClientHello goes in the clear (§5: records before keys are
     * plaintext). */
    if (m->early_sent) {
        m->early_sent = false;
        sd_record_keys_clear(&m->rl.write);
    }
    /* §4.4.1: ClientHello1 is replaced by message_hash, then HRR is added. */
    if (!sd_transcript_replace_with_message_hash(&m->rl.transcript, m->suite->md()))
        return model_fatal(m, SD_internal_error, "transcript");
    sd_transcript_add(&m->rl.transcript, in->whole);
    m->hrr_suite = sh->cipher_suite;
    if (have_group && !sd_key_share_generate(&m->share, group, &m->rng))
        return model_fatal(m, SD_internal_error, "key generation failed");
}

/* A ServerHello with supported_versions (model.c sent it here for that). */
static void on_server_hello(sd_model *m, const model_received *in) {
    const sd_server_hello *sh = in->server_hello;
    uint8_t alert;
    if (!sd_span_eq(sh->legacy_session_id_echo, sd_span_of(m->session_id, m->session_id_len)))
        /* §4.1.3: "A client which receives a legacy_session_id_echo field that
         * does not match what it sent in the ClientHello MUST abort the
         * handshake with an "illegal_parameter" alert." */
        return model_fatal(m, SD_illegal_parameter, "ServerHello session id does not echo ours");
    if (!sd_extensions_check(sh->extensions, &alert))
        return model_fatal(m, alert, "malformed ServerHello extensions");

    sd_reader it = sd_reader_of(sh->extensions);
    uint16_t type, version = 0;
    sd_span body;
    sd_key_share_entry ks = {0};
    bool have_share = false;
    while (sd_extensions_next(&it, &type, &body, &alert) > 0) {
        if (type == SD_pre_shared_key && m->psk_offered) {
            /* §4.2.11: "Clients MUST verify that the server's selected_identity
             * is within the range supplied by the client, that the server
             * selected a cipher suite indicating a Hash associated with the
             * PSK ... If these values are not consistent, the client MUST
             * abort the handshake with an "illegal_parameter" alert." */
            if (body.len != 2)
                return model_fatal(m, SD_decode_error, "malformed pre_shared_key in ServerHello");
            const sd_suite *chosen = sd_suite_find(sh->cipher_suite);
            if (body.data[0] != 0 || body.data[1] != 0 || !chosen || chosen->md() != m->psk_suite->md())
                return model_fatal(m, SD_illegal_parameter, "server selected a PSK we cannot use");
            m->psk_accepted = true;
        } else if (type == SD_supported_versions) {
            if (!sd_parse_supported_versions_sh(body, &version, &alert))
                return model_fatal(m, alert, "malformed supported_versions in ServerHello");
        } else if (type == SD_key_share) {
            if (!sd_parse_key_share_sh(body, &ks, &alert))
                return model_fatal(m, alert, "malformed key_share in ServerHello");
            have_share = true;
        } else if (client_offered(m, type)) {
            return model_fatal(m, SD_illegal_parameter, "extension %s not allowed in ServerHello",
                               sd_extension_name(type));
        } else {
            return model_fatal(m, SD_unsupported_extension, "ServerHello carries unrequested extension %u",
                               type);
        }
    }
    /* §4.2.1: selected_version 0 names no version; like a ServerHello
     * without supported_versions it is below TLS 1.3: protocol_version. */
    if (version == 0) return model_fatal(m, SD_protocol_version, "server chose a version below TLS 1.3");
    if (version != SD_TLS13)
        return model_fatal(m, SD_illegal_parameter, "ServerHello selects version 0x%04x", version);
    /* §4.1.3: "A client which receives a cipher suite that was not offered
     * MUST abort the handshake with an "illegal_parameter" alert." §4.1.4:
     * after HRR it must also be the one the HRR chose. */
    if (!sd_u16_in(m->offer.suites, m->offer.n_suites, sh->cipher_suite) ||
        (m->hrr_suite && sh->cipher_suite != m->hrr_suite))
        return model_fatal(m, SD_illegal_parameter, "ServerHello selects cipher suite 0x%04x",
                           sh->cipher_suite);
    if (sh->legacy_compression_method != 0)
        return model_fatal(m, SD_illegal_parameter, "ServerHello compression method is not null");
    /* §9.2: a full handshake without key_share is missing a mandatory extension. */
    if (!have_share) return model_fatal(m, SD_missing_extension, "ServerHello without key_share");
    /* §4.2.8: the server's share "MUST be in the same group as the
     * KeyShareEntry value offered by the client". */
    if (ks.group != m->share.group)
        return model_fatal(m, SD_illegal_parameter, "ServerHello key share for group %u we did not send",
                           ks.group);

    uint8_t ecdhe[SD_MAX_SHARED_SECRET_LEN];
    size_t ecdhe_len = 0;
    if (!sd_key_share_derive(&m->share, ks.key_exchange, ecdhe, &ecdhe_len, &alert))
        return model_fatal(m, alert, "server key share is not a valid public value of its group");
    m->suite = sd_suite_find(sh->cipher_suite);
    m->group = ks.group;
    m->st.version = SD_TLS13;
    m->st.cipher_suite = sh->cipher_suite;
    m->st.group = ks.group;
    uint8_t hash[SD_MAX_HASH_LEN];
    if (!model_transcript_hash(m, hash)) return;
    if (!sd_ks_init(&m->ks, m->suite, m->psk_accepted ? m->psk : NULL, m->psk_accepted ? m->psk_len : 0) ||
        !sd_ks_handshake(&m->ks, ecdhe, ecdhe_len, hash))
        return model_fatal(m, SD_internal_error, "key schedule failed");
    OPENSSL_cleanse(ecdhe, sizeof(ecdhe));
    if (m->psk_accepted) {
        /* Resumed: the PSK authenticates the server, as the original
         * handshake's certificate did, and no certificates follow. */
        model_set_shape(m, m->shape->flags | SD_SHAPE_PSK);
        m->st.resumed = true;
        m->st.peer_authenticated = true;
    }
    if (!check_key_change_boundary(m)) return;
    if (!set_keys(m, &m->rl.read, m->ks.server_handshake_traffic)) return;
    /* After 0-RTT the client writes under the early keys until the
     * EncryptedExtensions say whether the server reads them (§4.2.10). */
    if (!m->early_sent || !m->psk_accepted) {
        m->early_sent = false;
        set_keys(m, &m->rl.write, m->ks.client_handshake_traffic);
    }
}

/* --- The encrypted flights (received) --------------------------------------- */

static void on_encrypted_extensions(sd_model *m, const model_received *in) {
    sd_span body = in->body;
    uint8_t alert;
    sd_span exts;
    if (!sd_parse_encrypted_extensions(body, &exts, &alert) || !sd_extensions_check(exts, &alert))
        return model_fatal(m, alert, "malformed EncryptedExtensions");
    sd_reader it = sd_reader_of(exts);
    uint16_t type;
    sd_span ext;
    while (sd_extensions_next(&it, &type, &ext, &alert) > 0) {
        if (type == SD_server_name) {
            /* RFC 6066 §3: the server's acknowledgement is empty. */
            if (ext.len != 0)
                return model_fatal(m, SD_decode_error, "non-empty server_name in EncryptedExtensions");
        } else if (type == SD_early_data && m->early_sent) {
            /* §4.2.10: in EncryptedExtensions EarlyDataIndication is Empty;
             * the server accepts the early data. */
            if (ext.len != 0)
                return model_fatal(m, SD_decode_error, "non-empty early_data in EncryptedExtensions");
            m->early_accepted = true;
        } else if (type == SD_application_layer_protocol_negotiation && m->cfg.alpn.len) {
            /* RFC 8446 §4.2: ALPN's answer goes in EncryptedExtensions. */
            if (!model_take_alpn_answer(m, ext)) return;
        } else if (type == SD_record_size_limit && m->cfg.record_size_limit) {
            /* RFC 8449 §4: "In TLS 1.3, the server sends the
             * "record_size_limit" extension in the EncryptedExtensions
             * message." (In a ServerHello it is §4.2's illegal_parameter,
             * by client_offered.) */
            if (!model_take_record_size_limit_answer(m, ext)) return;
        } else if (type == SD_max_fragment_length && m->cfg.max_fragment_length) {
            /* RFC 8446 §4.2: max_fragment_length is "CH, EE". */
            if (!model_take_max_fragment_length_answer(m, ext)) return;
        } else if (type == SD_supported_groups) {
            /* §4.2.7: informational only, but must parse. */
            sd_u16_list l;
            if (!sd_u16_list_parse(ext, 2, false, &l, &alert))
                return model_fatal(m, alert, "malformed supported_groups in EncryptedExtensions");
        } else if (client_offered(m, type)) {
            return model_fatal(m, SD_illegal_parameter, "extension %s not allowed in EncryptedExtensions",
                               sd_extension_name(type));
        } else {
            return model_fatal(m, SD_unsupported_extension,
                               "EncryptedExtensions carries unrequested extension %u", type);
        }
    }
    /* Early data the server did not accept is lost (§4.2.10: the client
     * "MAY opt to retransmit" it; the model does not, "A TLS implementation
     * SHOULD NOT automatically resend early data"), and the client's next
     * flight goes under the handshake keys. */
    if (m->early_sent && !m->early_accepted) {
        m->early_sent = false;
        set_keys(m, &m->rl.write, m->ks.client_handshake_traffic);
    }
}

static void on_certificate_request(sd_model *m, const model_received *in) {
    sd_span body = in->body;
    /* §4.3.2: opaque certificate_request_context<0..2^8-1>;
     * Extension extensions<2..2^16-1>; signature_algorithms is required. */
    sd_reader r = sd_reader_of(body);
    sd_span ctx, exts;
    uint8_t alert = SD_decode_error;
    if (!sd_read_prefixed(&r, 1, &ctx) || !sd_read_prefixed(&r, 2, &exts) || !sd_reader_done(&r) ||
        !sd_extensions_check(exts, &alert))
        return model_fatal(m, alert, "malformed CertificateRequest");
    /* §4.3.2: certificate_request_context "SHALL be zero length unless used
     * for the post-handshake authentication exchanges"; the RFC names no
     * alert, and like BoringSSL the model treats the field as out of range. */
    if (ctx.len != 0)
        return model_fatal(m, SD_decode_error, "CertificateRequest context in the main handshake");
    sd_span sigalgs_body;
    sd_u16_list sigalgs;
    /* §4.3.2: "The "signature_algorithms" extension MUST be specified". */
    if (!sd_extensions_find(exts, SD_signature_algorithms, &sigalgs_body))
        return model_fatal(m, SD_missing_extension, "CertificateRequest without signature_algorithms");
    if (!sd_u16_list_parse(sigalgs_body, 2, false, &sigalgs, &alert))
        return model_fatal(m, alert, "malformed signature_algorithms in CertificateRequest");
    /* §4.2.3: signature_algorithms_cert, when there, is a
     * SignatureSchemeList too; the model's one client chain goes whatever it
     * says (§4.4.2.3), but a list that cannot be parsed is §6's
     * decode_error. */
    sd_span certs_body;
    sd_u16_list cert_schemes;
    if (!m->cfg.skip_signature_algorithms_cert &&
        sd_extensions_find(exts, SD_signature_algorithms_cert, &certs_body) &&
        !sd_u16_list_parse(certs_body, 2, false, &cert_schemes, &alert))
        return model_fatal(m, alert, "malformed signature_algorithms_cert in CertificateRequest");
    /* RFC 8879 §3: a server's compress_certificate here "indicates support
     * for compressed client certificates". */
    if (!model_take_cert_compression_offer(m, exts)) return;
    if (!model_keep_peer_sigalgs(m, sigalgs)) return;
    memcpy(m->cert_request_context, ctx.data, ctx.len);
    m->cert_request_context_len = ctx.len;
    m->cert_requested = true;
}

static void check_certificate(sd_model *m, sd_span body);

/* A Certificate, or a CompressedCertificate in its step (RFC 8879 §4),
 * whose Certificate is checked once decompressed. */
static void on_certificate(sd_model *m, const model_received *in) {
    if (!in->compressed_certificate) return check_certificate(m, in->body);
    sd_buf certificate;
    sd_buf_init(&certificate);
    if (model_decompress_certificate(m, in->body, &certificate))
        check_certificate(m, sd_buf_span(&certificate));
    sd_buf_free(&certificate);
}

static void check_certificate(sd_model *m, sd_span body) {
    uint8_t alert;
    sd_certificate c;
    bool server = m->cfg.role == SD_ROLE_SERVER; /* we are checking a client's certificate */
    if (!sd_parse_certificate(body, &c, &alert)) return model_fatal(m, alert, "malformed Certificate");
    /* §4.4.2: "If this message is in response to a CertificateRequest, the
     * value of certificate_request_context in that message. Otherwise (in the
     * case of server authentication), this field SHALL be zero length." The
     * RFC names no alert; a field that parses but breaks a rule is
     * illegal_parameter (§6.2). The model's own request context is empty. */
    if (c.request_context.len != 0)
        return model_fatal(m, SD_illegal_parameter, "Certificate has a wrong request context");
    sd_span chain[SD_MAX_CHAIN];
    size_t n = 0;
    sd_reader it = sd_reader_of(c.certificate_list);
    sd_certificate_entry e;
    int got;
    sd_span stapled = {0};
    while ((got = sd_certificate_next_entry(&it, &e, &alert)) > 0) {
        if (!sd_extensions_check(e.extensions, &alert))
            return model_fatal(m, alert, "malformed CertificateEntry extensions");
        /* §4.4.2: entry extensions must answer ones this side sent: a client
         * asked for status_request (OCSP); a server asks for nothing. */
        sd_reader ex = sd_reader_of(e.extensions);
        uint16_t type;
        sd_span ext;
        while (sd_extensions_next(&ex, &type, &ext, &alert) > 0) {
            if (type != SD_status_request || server)
                return model_fatal(m, SD_unsupported_extension,
                                   "CertificateEntry carries unrequested extension %u", type);
            /* RFC 6066 §8 CertificateStatus { status_type ocsp(1);
             * OCSPResponse<1..2^24-1> }; the leaf's is the one checked. */
            sd_reader st = sd_reader_of(ext);
            uint8_t status_type;
            sd_span response;
            if (!sd_read_u8(&st, &status_type) || status_type != 1 || !sd_read_prefixed(&st, 3, &response) ||
                response.len == 0 || !sd_reader_done(&st))
                return model_fatal(m, SD_decode_error, "malformed CertificateStatus");
            if (n == 0) stapled = response;
        }
        if (n == SD_MAX_CHAIN)
            return model_fatal(m, SD_bad_certificate, "certificate chain longer than %d", SD_MAX_CHAIN);
        chain[n++] = e.cert_data;
    }
    if (got < 0) return model_fatal(m, alert, "malformed CertificateEntry");
    if (n == 0 && server) {
        /* §4.4.2.4: "If the client does not send any certificates (i.e., it
         * sends an empty Certificate message), the server MAY at its
         * discretion either continue the handshake without client
         * authentication or abort the handshake with a "certificate_required"
         * alert." */
        if (m->cfg.client_auth == SD_CLIENT_AUTH_REQUIRE)
            return model_fatal(m, SD_certificate_required, "client sent no certificate");
        model_set_shape(m, m->shape->flags | SD_SHAPE_NO_CLIENT_CERT);
        return;
    }
    /* §4.4.2.4: "If the server supplies an empty Certificate message, the
     * client MUST abort the handshake with a "decode_error" alert." */
    if (n == 0) return model_fatal(m, SD_decode_error, "server sent an empty certificate chain");

    /* Client certificates are not issued for a host name. */
    sd_verify_params p = {.pki = m->cfg.pki,
                          .host_name = server ? NULL : m->cfg.server_name,
                          .now = m->cfg.now,
                          .purpose = server ? SD_VERIFY_PURPOSE_CLIENT : SD_VERIFY_PURPOSE_SERVER,
                          .key_use = SD_KEY_USE_SIGN,
                          /* The PKI's CRL, when it has one: a revoked
                           * certificate is certificate_revoked (§6.2). */
                          .crl = sd_pki_blob(m->cfg.pki, "crl.der"),
                          /* §4.4.2.1: the stapled OCSP response, checked
                           * like the CRL (bad_certificate_status_response
                           * for one that does not vouch for the leaf). */
                          .stapled_ocsp = stapled.data ? &stapled : NULL};
    char err[160];
    EVP_PKEY_free(m->peer_key);
    m->peer_key = NULL;
    if (!sd_verify_chain(&p, chain, n, &m->peer_key, &alert, err, sizeof(err)))
        return model_fatal(m, alert, "certificate rejected: %s", err);
}

static void on_certificate_verify(sd_model *m, const model_received *in) {
    sd_span body = in->body;
    const uint8_t *hash_before = in->hash_before;
    uint8_t alert;
    sd_certificate_verify cv;
    if (!sd_parse_certificate_verify(body, &cv, &alert))
        return model_fatal(m, alert, "malformed CertificateVerify");
    /* §4.4.3: "the signature algorithm MUST be one offered in the client's
     * "signature_algorithms" extension" (and, for a client's signature, in
     * the CertificateRequest's); a scheme that cannot be used with the
     * certificate's key is equally a bad parameter. */
    if (!sd_u16_in(m->offer.sigalgs, m->offer.n_sigalgs, cv.algorithm) ||
        !sd_signature_scheme_matches_key(cv.algorithm, m->peer_key))
        return model_fatal(m, SD_illegal_parameter, "CertificateVerify uses scheme 0x%04x", cv.algorithm);
    sd_buf input;
    sd_buf_init(&input);
    sd_certificate_verify_input(m->cfg.role == SD_ROLE_CLIENT, hash_before, m->suite->hash_len, &input);
    bool ok = sd_verify(m->peer_key, cv.algorithm, sd_buf_span(&input), cv.signature);
    sd_buf_free(&input);
    /* §4.4.3: "If the verification fails, the receiver MUST terminate the
     * handshake with a "decrypt_error" alert." */
    if (!ok) return model_fatal(m, SD_decrypt_error, "CertificateVerify signature does not verify");
    m->st.peer_authenticated = true;
}

/* §4.4.4: "Recipients of Finished messages MUST verify that the contents are
 * correct and if not MUST terminate the connection with a "decrypt_error"
 * alert." A Finished of the wrong length is incorrect contents too. */
static bool verify_finished(sd_model *m, sd_span body, const uint8_t *base_key, const uint8_t *hash_before) {
    uint8_t expected[SD_MAX_HASH_LEN];
    if (!sd_finished_verify_data(m->suite->md(), base_key, hash_before, expected)) {
        model_fatal(m, SD_internal_error, "Finished computation failed");
        return false;
    }
    if (body.len != m->suite->hash_len || CRYPTO_memcmp(body.data, expected, body.len) != 0) {
        model_fatal(m, SD_decrypt_error, "Finished verify_data is wrong");
        return false;
    }
    return true;
}

static void on_server_finished(sd_model *m, sd_span body, const uint8_t *hash_before) {
    if (!verify_finished(m, body, m->ks.server_handshake_traffic, hash_before)) return;
    m->peer_finished = true;
    uint8_t hash[SD_MAX_HASH_LEN];
    if (!model_transcript_hash(m, hash)) return;
    if (!sd_ks_application(&m->ks, hash)) return model_fatal(m, SD_internal_error, "key schedule failed");
    if (!check_key_change_boundary(m)) return;
    set_keys(m, &m->rl.read, m->ks.server_application_traffic);
}

static void on_client_finished(sd_model *m, sd_span body, const uint8_t *hash_before) {
    if (!verify_finished(m, body, m->ks.client_handshake_traffic, hash_before)) return;
    m->peer_finished = true;
    if (check_key_change_boundary(m)) set_keys(m, &m->rl.read, m->ks.client_application_traffic);
    /* §4.2.9: "Servers SHOULD NOT send NewSessionTicket with
     * tickets that are not compatible with the advertised modes". */
    if (!model_failed(m) && m->cfg.session_tickets && m->client_psk_dhe_ke) tls13_send_session_ticket(m);
    /* The early data it read, echoed now that the handshake is done (the
     * echo contract of protocol/target.h). */
    if (!model_failed(m) && m->early_echo.len && !m->cfg.app_reply.len)
        sd_rl_send(&m->rl, SD_application_data, sd_buf_span(&m->early_echo), false, 0);
    sd_buf_reset(&m->early_echo);
}

static void on_finished(sd_model *m, const model_received *in) {
    if (m->cfg.role == SD_ROLE_SERVER)
        on_client_finished(m, in->body, in->hash_before);
    else
        on_server_finished(m, in->body, in->hash_before);
}

/* --- ClientHello (server side) ------------------------------------------------ */

/* Server-side checks of one ClientHello; on success selects suite and group.
 * Returns the client's key share for the group (empty span if the client
 * sent none, which calls for HelloRetryRequest). model.c has checked the
 * extensions' framing and supported_versions already, when it negotiated
 * TLS 1.3 (RFC 8446 §4.2.1).
 *
 * Where the RFC leaves a check optional (MAY), the model makes the choice
 * BoringSSL makes, so that the differential oracle reports real
 * disagreements only; where the RFC says MUST, the model enforces it and a
 * BoringSSL deviation is listed in harness/oracle/known_differences.txt. */
static bool process_client_hello(sd_model *m, const sd_client_hello *ch, sd_span body, sd_span *out_share,
                                 bool second) {
    uint8_t alert;
    sd_span groups_body, shares_body, sigalgs_body, sni;
    /* §4.1.2: "For every TLS 1.3 ClientHello, this vector MUST contain exactly
     * one byte, set to zero ... If a TLS 1.3 ClientHello is received with any
     * other value in this field, the server MUST abort the handshake with an
     * "illegal_parameter" alert." */
    if (ch->compression_methods.len != 1 || ch->compression_methods.data[0] != 0) {
        model_fatal(m, SD_illegal_parameter, "TLS 1.3 ClientHello must offer only null compression");
        return false;
    }
    if (sd_extensions_find(ch->extensions, SD_server_name, &sni) && !model_check_server_name(m, sni))
        return false;
    sd_span psk_identities, psk_binders;
    bool psk_dhe_ke;
    if (!tls13_check_psk_offer(m, ch, &psk_identities, &psk_binders, &psk_dhe_ke) ||
        !model_check_extension_bodies(m, ch, true) || !model_select_alpn(m, ch) ||
        !model_take_record_size_limit_offer(m, ch, true) || !model_take_max_fragment_length_request(m, ch))
        return false;
    bool has_sigalgs = sd_extensions_find(ch->extensions, SD_signature_algorithms, &sigalgs_body);
    if (has_sigalgs) {
        sd_u16_list sigalgs;
        if (!sd_u16_list_parse(sigalgs_body, 2, false, &sigalgs, &alert)) {
            model_fatal(m, alert, "malformed signature_algorithms");
            return false;
        }
        if (!model_keep_peer_sigalgs(m, sigalgs)) return false;
    }

    /* Cipher suite: the client's first that we support (client preference,
     * as BoringSSL does by default). §4.1.1: no common suite is
     * "handshake_failure". */
    sd_u16_list suites = {ch->cipher_suites};
    uint16_t chosen = 0;
    for (size_t i = 0; i < sd_u16_list_count(suites) && !chosen; i++)
        if (sd_u16_in(m->offer.suites, m->offer.n_suites, sd_u16_list_at(suites, i)))
            chosen = sd_u16_list_at(suites, i);
    if (!chosen) {
        model_fatal(m, SD_handshake_failure, "no cipher suite in common");
        return false;
    }
    /* §9.2: a ClientHello "not containing a "pre_shared_key" extension ...
     * MUST contain both a "signature_algorithms" extension and a
     * "supported_groups" extension", and "Servers receiving a ClientHello
     * which does not conform to these requirements MUST abort the handshake
     * with a "missing_extension" alert": also one that would get a
     * HelloRetryRequest. (With a PSK offered, §4.2.3 decides below, once the
     * server knows it authenticates with a certificate.) */
    sd_span psk_ext;
    if (!has_sigalgs && !sd_extensions_find(ch->extensions, SD_pre_shared_key, &psk_ext)) {
        model_fatal(m, SD_missing_extension, "ClientHello lacks signature_algorithms and offers no PSK");
        return false;
    }
    /* §4.1.4: the ServerHello after HRR must pick the HRR's suite. */
    if (second && chosen != m->hrr_suite) {
        model_fatal(m, SD_illegal_parameter, "second ClientHello changes the cipher suite");
        return false;
    }

    /* §9.2: "If containing a "supported_groups" extension, it MUST also
     * contain a "key_share" extension, and vice versa." */
    bool has_groups = sd_extensions_find(ch->extensions, SD_supported_groups, &groups_body);
    bool has_shares = sd_extensions_find(ch->extensions, SD_key_share, &shares_body);
    if (!has_groups || !has_shares) {
        model_fatal(m, SD_missing_extension, "ClientHello lacks %s",
                    has_groups ? "key_share" : "supported_groups");
        return false;
    }
    sd_u16_list groups;
    if (!sd_u16_list_parse(groups_body, 2, false, &groups, &alert)) {
        model_fatal(m, alert, "malformed supported_groups");
        return false;
    }
    sd_span entries;
    if (!sd_parse_key_share_ch(shares_body, &entries, &alert)) {
        model_fatal(m, alert, "malformed key_share");
        return false;
    }
    /* Group: the client's first supported group that we support. */
    uint16_t group = 0;
    for (size_t i = 0; i < sd_u16_list_count(groups) && !group; i++)
        if (sd_u16_in(m->offer.groups, m->offer.n_groups, sd_u16_list_at(groups, i)))
            group = sd_u16_list_at(groups, i);
    if (!group) {
        model_fatal(m, SD_handshake_failure, "no group in common");
        return false;
    }
    /* Every entry must parse; only the selected group's share is used.
     * §4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the
     * same group ... Servers MAY check for violations of these rules and
     * abort the handshake with an "illegal_parameter" alert" — checked for
     * the group the server uses, where a second share would be ambiguous. */
    sd_reader it = sd_reader_of(entries);
    sd_key_share_entry e;
    int got;
    *out_share = sd_span_of(NULL, 0);
    while ((got = sd_key_share_next(&it, &e, &alert)) > 0) {
        if (e.group != group) continue;
        if (out_share->data) {
            model_fatal(m, SD_illegal_parameter, "two key shares for group %u", e.group);
            return false;
        }
        *out_share = e.key_exchange;
    }
    if (got < 0) {
        model_fatal(m, alert, "malformed key share entry");
        return false;
    }
    /* §4.1.4 / §4.2.8: after HRR the client must offer the share asked for. */
    if (second && (group != m->group || out_share->data == NULL)) {
        model_fatal(m, SD_illegal_parameter, "second ClientHello lacks the requested key share");
        return false;
    }
    m->hrr_suite = chosen;
    m->suite = sd_suite_find(chosen);
    m->group = group;
    if (out_share->data == NULL) return true; /* HelloRetryRequest first */

    m->client_psk_dhe_ke = psk_dhe_ke;
    /* Resumption, when this server issues tickets and the client offers
     * psk_dhe_ke (the model never does psk_ke: it keeps forward secrecy). */
    m->psk_accepted = false;
    if (m->cfg.session_tickets && psk_dhe_ke && psk_identities.data &&
        !tls13_select_psk(m, body, psk_identities, psk_binders))
        return false;
    if (m->psk_accepted) return true; /* §4.2.3: no certificate, no signature_algorithms needed */

    /* §4.2.3: "If a server is authenticating via a certificate and the client
     * has not sent a "signature_algorithms" extension, then the server MUST
     * abort the handshake with a "missing_extension" alert": a client that
     * offered a PSK the server did not take. */
    if (!has_sigalgs) {
        model_fatal(m, SD_missing_extension, "ClientHello lacks signature_algorithms");
        return false;
    }
    return true;
}

/* Server: a ClientHello after our HelloRetryRequest, before model.c
 * negotiates its version again. False after a fatal alert. */
static bool check_second_client_hello(sd_model *m, const sd_client_hello *ch) {
    /* §4.1.2: the second ClientHello repeats the first but for the
     * changes HRR asks; random and session id must not change, and "a
     * "cookie" extension if one was provided in the HelloRetryRequest"
     * must be there (§4.2.2: "the client MUST copy the contents of the
     * extension"). */
    sd_span cookie_ext, echoed = {0};
    bool has_cookie = sd_extensions_find(ch->extensions, SD_cookie, &cookie_ext);
    if (has_cookie) {
        /* §4.2.2: opaque cookie<1..2^16-1>; §6: decode_error for a message
         * that "cannot be parsed". */
        sd_reader c = sd_reader_of(cookie_ext);
        if (!sd_read_prefixed(&c, 2, &echoed) || !sd_reader_done(&c) || echoed.len == 0) {
            model_fatal(m, SD_decode_error, "malformed cookie in the second ClientHello");
            return false;
        }
    }
    bool cookie_ok =
        m->cookie_len == 0 || (has_cookie && sd_span_eq(echoed, sd_span_of(m->cookie, m->cookie_len)));
    if (!sd_span_eq(ch->random, sd_span_of(m->client_random, SD_RANDOM_LEN)) ||
        !sd_span_eq(ch->legacy_session_id, sd_span_of(m->session_id, m->session_id_len))) {
        model_fatal(m, SD_illegal_parameter, "second ClientHello changes random or session id");
        return false;
    }
    if (!cookie_ok) {
        model_fatal(m, SD_illegal_parameter, "second ClientHello does not echo the cookie");
        return false;
    }
    return true;
}

static void on_client_hello(sd_model *m, const model_received *in) {
    const sd_client_hello *ch = in->client_hello;
    bool second = in->second_client_hello;
    uint8_t alert;
    sd_span share;
    if (!process_client_hello(m, ch, in->body, &share, second)) return;
    sd_span early;
    bool offers_early = sd_extensions_find(ch->extensions, SD_early_data, &early);
    /* §4.2.10: "A client MUST NOT include the "early_data" extension in its
     * followup ClientHello"; §4.1.2 lists "Removing the "early_data"
     * extension" among the changes the second ClientHello makes, so one
     * that keeps it is not the ClientHello the retry asked for:
     * illegal_parameter (§6.2: "a field in the handshake was incorrect"). */
    if (second && offers_early)
        return model_fatal(m, SD_illegal_parameter, "early_data in the ClientHello after HelloRetryRequest");
    m->early_accepted = offers_early && share.data != NULL && tls13_accept_early_data(m);
    m->skipping_early_data = !second && offers_early && !m->early_accepted;
    if (m->early_accepted && !tls13_derive_early_secret(m, m->suite)) return;
    /* The server's own choices pick its shape (sequences.c). */
    if (share.data == NULL) {
        /* §4.1.4: no share for the group we want: ask for one. */
        model_set_shape(m, SD_SHAPE_HRR);
        return;
    }
    unsigned flags = second ? SD_SHAPE_HRR : 0;
    if (m->psk_accepted)
        flags |= SD_SHAPE_PSK; /* §4.3.2: no CertificateRequest with a PSK */
    else if (m->cfg.client_auth != SD_CLIENT_AUTH_NONE)
        flags |= SD_SHAPE_CLIENT_AUTH;
    model_set_shape(m, flags);
    m->st.resumed = m->psk_accepted;
    if (!sd_key_share_generate(&m->share, m->group, &m->rng))
        return model_fatal(m, SD_internal_error, "key generation");
    if (!sd_key_share_derive(&m->share, share, m->ecdhe, &m->ecdhe_len, &alert))
        return model_fatal(m, alert, "client key share is not a valid public value of its group");
}

/* --- Messages sent ------------------------------------------------------------ */

static void send_ccs_once(sd_model *m) {
    /* RFC 8446 §D.4 middlebox compatibility: when the client sent a session
     * id, send one plaintext CCS before the first encrypted or retried flight. */
    if (m->sent_ccs || m->session_id_len == 0) return;
    static const uint8_t one = 1;
    sd_rl_send(&m->rl, SD_change_cipher_spec, sd_span_of(&one, 1), true, 0);
    m->sent_ccs = true;
}

/* ServerHello, or with retry HelloRetryRequest (§4.1.4). */
static void send_hello(sd_model *m, bool retry) {
    sd_buf body;
    sd_buf_init(&body);
    uint8_t random[SD_RANDOM_LEN];
    sd_rng_bytes(&m->rng, random, sizeof(random));
    if (retry && !m->cfg.hrr_no_cookie) {
        /* §4.2.2: a cookie in HelloRetryRequest, so that clients that fail to
         * echo it are caught. Random, from the seeded generator. It is
         * optional (§4.2.2: "the server MAY provide a "cookie" extension";
         * §4.1.4: "with the exception of optionally the "cookie""):
         * hrr_no_cookie leaves it out, and the second ClientHello then owes
         * none (check_second_client_hello). */
        m->cookie_len = 32;
        sd_rng_bytes(&m->rng, m->cookie, m->cookie_len);
    }
    sd_msg_server_hello(&body, retry, random, sd_span_of(m->session_id, m->session_id_len), m->suite->id,
                        m->group, &m->share,
                        retry ? sd_span_of(m->cookie, m->cookie_len) : sd_span_of(NULL, 0),
                        m->psk_accepted ? m->psk_index : -1);
    if (retry && !sd_transcript_replace_with_message_hash(&m->rl.transcript, m->suite->md()))
        model_fatal(m, SD_internal_error, "transcript");
    sd_rl_send_handshake(&m->rl, SD_ServerHello, sd_buf_span(&body));
    sd_buf_free(&body);
    send_ccs_once(m);
    m->st.cipher_suite = m->suite->id;
    if (retry) {
        /* The client's next message answers this HelloRetryRequest, so it
         * cannot already be on its way: bytes after the first ClientHello
         * are out of place, as BoringSSL also judges (RFC 8446 §5.1 asks
         * for a record boundary at key changes; this is the same rule at
         * the HelloRetryRequest, where no key changes). */
        if (sd_hs_reassembler_has_partial(&m->rl.hs))
            model_fatal(m, SD_unexpected_message,
                        "handshake data after the ClientHello a HelloRetryRequest answers");
        return;
    }

    m->st.version = SD_TLS13;
    m->st.group = m->group;
    uint8_t hash[SD_MAX_HASH_LEN];
    if (!model_transcript_hash(m, hash)) return;
    if (!sd_ks_init(&m->ks, m->suite, m->psk_accepted ? m->psk : NULL, m->psk_accepted ? m->psk_len : 0) ||
        !sd_ks_handshake(&m->ks, m->ecdhe, m->ecdhe_len, hash))
        return model_fatal(m, SD_internal_error, "key schedule failed");
    OPENSSL_cleanse(m->ecdhe, sizeof(m->ecdhe));
    if (!check_key_change_boundary(m)) return;
    if (!set_keys(m, &m->rl.write, m->ks.server_handshake_traffic)) return;
    /* §4.2.10: accepted early data comes under client_early_traffic_secret,
     * until EndOfEarlyData (tls13_on_early_handshake). */
    set_keys(m, &m->rl.read, m->early_accepted ? m->client_early_traffic : m->ks.client_handshake_traffic);
}

static void send_hello_retry_request(sd_model *m) { send_hello(m, true); }

static void send_server_hello(sd_model *m) { send_hello(m, false); }

static void send_encrypted_extensions(sd_model *m) {
    sd_buf exts, ext;
    sd_buf_init(&exts);
    sd_buf_init(&ext);
    /* RFC 8446 §4.2 places ALPN's answer in EncryptedExtensions; RFC 7301
     * §3.1: one ProtocolName. */
    if (m->alpn_selected) {
        sd_build_alpn_answer(&ext, sd_span_of(m->alpn, m->alpn_len));
        sd_build_extension(&exts, SD_application_layer_protocol_negotiation, sd_buf_span(&ext));
    }
    /* RFC 8449 §4: the server's record_size_limit goes here in TLS 1.3. */
    model_answer_record_size_limit(m, &exts, true);
    /* RFC 8446 §4.2: and max_fragment_length's (RFC 6066 §4). */
    model_answer_max_fragment_length(m, &exts);
    /* §4.2.10: an empty early_data extension accepts the 0-RTT. */
    if (m->early_accepted) sd_build_extension(&exts, SD_early_data, sd_span_of(NULL, 0));
    sd_buf body;
    sd_buf_init(&body);
    sd_build_encrypted_extensions(&body, sd_buf_span(&exts));
    sd_rl_send_handshake(&m->rl, SD_EncryptedExtensions, sd_buf_span(&body));
    sd_buf_free(&body);
    sd_buf_free(&ext);
    sd_buf_free(&exts);
}

void tls13_on_early_handshake(sd_model *m, const sd_handshake_msg *msg) {
    /* §4.5: the client's EndOfEarlyData comes "after receiving the server
     * Finished" and before the rest of its flight; §4: "A peer which
     * receives a handshake message in an unexpected order MUST abort the
     * handshake with an "unexpected_message" alert". */
    if (msg->type != SD_EndOfEarlyData) {
        const char *name = sd_handshake_type_name(msg->type);
        return model_fatal(m, SD_unexpected_message, "%s received where EndOfEarlyData was expected",
                           name ? name : "unknown message");
    }
    /* §4.5: struct {} EndOfEarlyData; a body is a message that does not
     * parse (§6.2 decode_error). */
    if (msg->body.len != 0) return model_fatal(m, SD_decode_error, "EndOfEarlyData with a body");
    sd_transcript_add(&m->rl.transcript, msg->whole);
    m->early_ended = true;
    /* §5.1: no handshake message spans the key change. */
    if (!check_key_change_boundary(m)) return;
    set_keys(m, &m->rl.read, m->ks.client_handshake_traffic);
}

static void send_certificate_request(sd_model *m) {
    sd_buf body;
    sd_buf_init(&body);
    /* RFC 8879 §3: a server that decompresses offers its algorithms here
     * for the client's Certificate. */
    sd_msg_certificate_request(&body, sd_span_of(NULL, 0), m->offer.sigalgs, m->offer.n_sigalgs,
                               m->cfg.cert_compression, m->cfg.n_cert_compression);
    m->cc_offered = m->cfg.n_cert_compression > 0;
    sd_rl_send_handshake(&m->rl, SD_CertificateRequest, sd_buf_span(&body));
    sd_buf_free(&body);
}

static void send_certificate(sd_model *m) {
    const sd_credential *cred = own_credential(m);
    if (m->cfg.role == SD_ROLE_CLIENT) {
        /* A client without a certificate takes the empty-certificate shape:
         * §4.4.2 "If the client does not send any certificates ... the
         * certificate_list [is] empty", and no CertificateVerify follows. */
        if (!cred) model_set_shape(m, m->shape->flags | SD_SHAPE_NO_CLIENT_CERT);
        send_ccs_once(m);
    }
    sd_buf body;
    sd_buf_init(&body);
    /* RFC 8446 §4.4.2.1: a server staples its OCSP response (the PKI's
     * ocsp-<credential>.der) when the client asked with status_request. */
    sd_msg_certificate_stapled(&body, sd_span_of(m->cert_request_context, m->cert_request_context_len), cred,
                               model_ocsp_response(m, cred));
    if (!m->cc_compress_with) {
        sd_rl_send_handshake(&m->rl, SD_Certificate, sd_buf_span(&body));
        sd_buf_free(&body);
        return;
    }
    /* RFC 8879 §4: the peer offered an algorithm the model has: the
     * Certificate goes "in the form of the CompressedCertificate message
     * (replacing the Certificate message)". */
    sd_buf compressed;
    sd_buf_init(&compressed);
    if (sd_msg_compressed_certificate(&compressed, m->cc_compress_with, sd_buf_span(&body)))
        sd_rl_send_handshake(&m->rl, SD_CompressedCertificate, sd_buf_span(&compressed));
    else
        model_fatal(m, SD_internal_error, "certificate compression failed");
    sd_buf_free(&compressed);
    sd_buf_free(&body);
}

static void send_certificate_verify(sd_model *m) {
    const sd_credential *cred = own_credential(m);
    EVP_PKEY *key = cred ? cred->key : NULL;
    /* §4.4.3 / §4.2.3: a scheme the peer offered (in ClientHello, or in
     * CertificateRequest) that fits our key. */
    uint16_t scheme = sd_pick_signature_scheme(m->peer_sigalgs, m->n_peer_sigalgs, key);
    if (!scheme)
        return model_fatal(m, SD_handshake_failure, "no signature scheme in common with our certificate");
    uint8_t hash[SD_MAX_HASH_LEN];
    if (!model_transcript_hash(m, hash)) return;
    sd_buf body;
    sd_buf_init(&body);
    if (sd_msg_certificate_verify(&body, key, scheme, m->cfg.role == SD_ROLE_SERVER, hash,
                                  m->suite->hash_len))
        sd_rl_send_handshake(&m->rl, SD_CertificateVerify, sd_buf_span(&body));
    else
        model_fatal(m, SD_internal_error, "signing failed");
    sd_buf_free(&body);
}

static void write_finished(sd_model *m, const uint8_t *base_key) {
    uint8_t hash[SD_MAX_HASH_LEN];
    if (!model_transcript_hash(m, hash)) return;
    sd_buf body;
    sd_buf_init(&body);
    if (sd_msg_finished(&body, m->suite, base_key, hash))
        sd_rl_send_handshake(&m->rl, SD_Finished, sd_buf_span(&body));
    else
        model_fatal(m, SD_internal_error, "Finished computation failed");
    sd_buf_free(&body);
}

static void send_finished(sd_model *m) {
    uint8_t hash[SD_MAX_HASH_LEN];
    if (m->cfg.role == SD_ROLE_SERVER) {
        write_finished(m, m->ks.server_handshake_traffic);
        if (model_failed(m) || !model_transcript_hash(m, hash)) return;
        if (!sd_ks_application(&m->ks, hash)) return model_fatal(m, SD_internal_error, "key schedule failed");
        set_keys(m, &m->rl.write, m->ks.server_application_traffic);
    } else {
        if (m->early_accepted && !m->early_ended) {
            /* §4.5: "If the server sent an "early_data" extension in
             * EncryptedExtensions, the client MUST send an EndOfEarlyData
             * message after receiving the server Finished", under the early
             * keys; then the handshake keys (§4.2.10). */
            sd_rl_send_handshake(&m->rl, SD_EndOfEarlyData, sd_span_of(NULL, 0));
            m->early_ended = true;
            if (!set_keys(m, &m->rl.write, m->ks.client_handshake_traffic)) return;
        }
        send_ccs_once(m);
        write_finished(m, m->ks.client_handshake_traffic);
        if (model_failed(m) || !model_transcript_hash(m, hash)) return;
        /* §7.1: resumption_master_secret covers ClientHello..client Finished. */
        if (!sd_ks_resumption(&m->ks, hash)) return model_fatal(m, SD_internal_error, "key schedule failed");
        set_keys(m, &m->rl.write, m->ks.client_application_traffic);
    }
}

/* --- Post-handshake messages ---------------------------------------------- */

static void update_secret(sd_model *m, uint8_t *secret) {
    /* §7.2: application_traffic_secret_N+1 =
     *   HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length) */
    uint8_t next[SD_MAX_HASH_LEN];
    if (!sd_hkdf_expand_label(m->suite->md(), secret, "traffic upd", NULL, 0, next, m->suite->hash_len))
        return model_fatal(m, SD_internal_error, "cannot derive the next traffic secret");
    memcpy(secret, next, m->suite->hash_len);
}

static bool on_post_handshake(sd_model *m, const sd_handshake_msg *msg) {
    if (msg->type == SD_KeyUpdate) {
        /* §4.6.3: KeyUpdate { KeyUpdateRequest request_update; } with values
         * 0 and 1; "If an implementation receives any other value, it MUST
         * terminate the connection with an "illegal_parameter" alert." */
        if (msg->body.len != 1) {
            model_fatal(m, SD_decode_error, "malformed KeyUpdate");
            return true;
        }
        uint8_t req = msg->body.data[0];
        if (req > 1) {
            model_fatal(m, SD_illegal_parameter, "KeyUpdate request_update %u", req);
            return true;
        }
        if (!check_key_change_boundary(m)) return true;
        bool server = m->cfg.role == SD_ROLE_SERVER;
        uint8_t *read_secret = server ? m->ks.client_application_traffic : m->ks.server_application_traffic;
        uint8_t *write_secret = server ? m->ks.server_application_traffic : m->ks.client_application_traffic;
        update_secret(m, read_secret);
        if (!set_keys(m, &m->rl.read, read_secret)) return true;
        if (req == 1) {
            static const uint8_t not_requested = 0;
            sd_rl_send_handshake(&m->rl, SD_KeyUpdate, sd_span_of(&not_requested, 1));
            update_secret(m, write_secret);
            set_keys(m, &m->rl.write, write_secret);
        }
        return true;
    }
    if (msg->type == SD_NewSessionTicket && m->cfg.role == SD_ROLE_CLIENT) {
        /* §4.6.1: the ticket is the session to resume later (export_session). */
        tls13_on_new_session_ticket(m, msg->body);
        return true;
    }
    return false;
}

/* --- Exporter --------------------------------------------------------------- */

static bool export_keying_material(const sd_model *m, const char *label, uint8_t *out, size_t len) {
    /* RFC 8446 §7.5: TLS-Exporter(label, context_value, key_length) =
     *   HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter",
     *                     Hash(context_value), key_length)
     * with an empty context_value. */
    const EVP_MD *md = m->suite->md();
    uint8_t empty_hash[SD_MAX_HASH_LEN], secret[SD_MAX_HASH_LEN];
    unsigned int n = 0;
    return EVP_Digest(NULL, 0, empty_hash, &n, md, NULL) &&
           sd_derive_secret(md, m->ks.exporter_master, label, empty_hash, secret) &&
           sd_hkdf_expand_label(md, secret, "exporter", empty_hash, n, out, len);
}

/* --- The table ----------------------------------------------------------------- */

/* Every step of the TLS 1.3 shapes (sequences.c), RFC 8446 §2. Until a
 * version is negotiated model.c uses this table: its ClientHello offers
 * TLS 1.2 too (§4.1.2, §D), and only a TLS 1.3 client reads a
 * HelloRetryRequest. */
static const model_step kSteps[] = {
    {SD_ClientHello, on_client_hello, send_client_hello},
    {SD_MSG_HELLO_RETRY_REQUEST, on_hello_retry_request, send_hello_retry_request},
    {SD_ServerHello, on_server_hello, send_server_hello},
    {SD_EncryptedExtensions, on_encrypted_extensions, send_encrypted_extensions},
    {SD_CertificateRequest, on_certificate_request, send_certificate_request},
    {SD_Certificate, on_certificate, send_certificate},
    {SD_CertificateVerify, on_certificate_verify, send_certificate_verify},
    {SD_Finished, on_finished, send_finished},
};

const model_version model_tls13 = {
    .steps = kSteps,
    .n_steps = COUNT(kSteps),
    .check_second_client_hello = check_second_client_hello,
    .on_post_handshake = on_post_handshake,
    .on_handshake_done = NULL,
    .load_session = tls13_load_session,
    .export_keying_material = export_keying_material,
};
