/* model.c — a strict TLS 1.3 endpoint, client or server, sans-IO.
 *
 * One loop (sd_model_feed) takes records from the record layer and hands each
 * handshake message to the handler for its type, after checking its place in
 * the shape tables (sequences.c). After a handler accepts a message, the
 * model sends every message the table says is its own next. The first error
 * sticks: the model sends one fatal alert and then ignores all input, as
 * RFC 8446 §6 requires ("MUST NOT allow any further data to be sent or
 * received on the connection"). */
#include "model/model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/mem.h>
#include <openssl/sha.h>

#include "crypto/crypto.h"
#include "protocol/record_layer.h"
#include "protocol/messages.h"
#include "model/model_internal.h"
#include "protocol/sequences.h"
#include "wire/handshake.h"
#include "wire/names.h"
#include "wire/tls12.h"

static const char *const phase_names[] = {"start", "handshake", "connected", "closed", "failed"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* RFC 8446 §5: an unprotected CCS "MUST simply be dropped". Bounded, as
 * BoringSSL bounds empty records, so that a peer cannot keep us busy forever
 * (CVE-2020-12457). */
#define MAX_IGNORED_CCS 32


static bool psk_binder(const sd_suite *suite, const uint8_t *psk, size_t psk_len, sd_span prefix, sd_span truncated,
                       uint8_t *out);

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
    m->phase = PHASE_FAILED;
}

bool model_failed(const sd_model *m) { return m->phase == PHASE_FAILED; }

/* --- Helpers -------------------------------------------------------------- */

static sd_role peer_role(const sd_model *m) {
    return m->cfg.role == SD_ROLE_CLIENT ? SD_ROLE_SERVER : SD_ROLE_CLIENT;
}

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

static bool transcript_hash(sd_model *m, uint8_t *out) {
    if (!sd_rl_transcript_hash(&m->rl, m->suite, out)) {
        model_fatal(m, SD_internal_error, "transcript hash failed");
        return false;
    }
    return true;
}

/* Extensions the model's ClientHello carries: the only ones a server may
 * answer (RFC 8446 §4.2). */
static bool client_offered(uint16_t type) {
    return type == SD_server_name || type == SD_supported_groups || type == SD_signature_algorithms ||
           type == SD_supported_versions || type == SD_key_share || type == SD_status_request ||
           type == SD_psk_key_exchange_modes;
}

/* --- ClientHello (client side) -------------------------------------------- */

static void send_client_hello(sd_model *m) {
    sd_buf body;
    sd_buf_init(&body);
    /* §4.2.11: the ticket's age in milliseconds plus ticket_age_add. The
     * model's clock does not move within a run, so the age is 0. */
    sd_psk_identity psk = {sd_buf_span(&m->ticket), m->ticket_age_add, m->psk_suite ? m->psk_suite->hash_len : 0};
    sd_msg_client_hello(&body, &m->offer, m->client_random, sd_span_of(m->session_id, m->session_id_len), &m->share,
                        m->cfg.server_name, sd_span_of(m->cookie, m->cookie_len), m->psk_offered ? &psk : NULL);
    if (m->psk_offered) {
        /* The binder covers the message up to its binders list (§4.2.11.2):
         * header and body, less the list (u16 length, u8 length, binder). */
        uint8_t header[4] = {SD_ClientHello, (uint8_t)(body.len >> 16), (uint8_t)(body.len >> 8), (uint8_t)body.len};
        size_t cut = body.len - (2 + 1 + psk.binder_len);
        sd_buf truncated;
        sd_buf_init(&truncated);
        sd_buf_append(&truncated, header, 4);
        sd_buf_append(&truncated, body.data, cut);
        uint8_t binder[SD_MAX_HASH_LEN];
        if (!psk_binder(m->psk_suite, m->psk, m->psk_len, sd_buf_span(&m->rl.transcript.bytes),
                        sd_buf_span(&truncated), binder))
            model_fatal(m, SD_internal_error, "binder computation failed");
        else
            memcpy(body.data + body.len - psk.binder_len, binder, psk.binder_len);
        sd_buf_free(&truncated);
    }
    sd_rl_send_handshake(&m->rl, SD_ClientHello, sd_buf_span(&body));
    sd_buf_free(&body);
}

/* --- ServerHello / HelloRetryRequest (client side) ------------------------- */

static void on_hello_retry_request(sd_model *m, const sd_server_hello *sh, sd_span whole) {
    uint8_t alert;
    /* RFC 8446 §4.1.4: the client "MUST check the legacy_version,
     * legacy_session_id_echo, cipher_suite, and legacy_compression_method as
     * specified in Section 4.1.3". §4.1.3: legacy_version "MUST be set to
     * 0x0303"; any other value announces a version we cannot speak, so
     * protocol_version, as BoringSSL answers. */
    if (sh->legacy_version != SD_TLS12)
        return model_fatal(m, SD_protocol_version, "HelloRetryRequest legacy_version is 0x%04x", sh->legacy_version);
    if (!sd_span_eq(sh->legacy_session_id_echo, sd_span_of(m->session_id, m->session_id_len)))
        return model_fatal(m, SD_illegal_parameter, "HelloRetryRequest session id does not echo ours");
    if (!sd_u16_in(m->offer.suites, m->offer.n_suites, sh->cipher_suite) || !(m->suite = sd_suite_find(sh->cipher_suite)))
        return model_fatal(m, SD_illegal_parameter, "HelloRetryRequest selects a cipher suite we did not offer");
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
        } else if (client_offered(type)) {
            /* §4.2: a recognised extension in a message where it is not
             * specified gets "illegal_parameter". */
            return model_fatal(m, SD_illegal_parameter, "extension %s not allowed in HelloRetryRequest",
                         sd_extension_name(type));
        } else {
            /* §4.2: responses to extensions not requested get
             * "unsupported_extension" (the cookie is the one exception). */
            return model_fatal(m, SD_unsupported_extension, "HelloRetryRequest carries unrequested extension %u", type);
        }
    }
    /* §4.2.1: "If the "supported_versions" extension in the ServerHello
     * contains a version not offered by the client or contains a version
     * prior to TLS 1.3, the client MUST abort the handshake with an
     * "illegal_parameter" alert." */
    if (version == 0) return model_fatal(m, SD_protocol_version, "HelloRetryRequest without supported_versions");
    if (version != SD_TLS13) return model_fatal(m, SD_illegal_parameter, "HelloRetryRequest selects version 0x%04x", version);
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

    /* §4.4.1: ClientHello1 is replaced by message_hash, then HRR is added. */
    if (!sd_transcript_replace_with_message_hash(&m->rl.transcript, m->suite->md()))
        return model_fatal(m, SD_internal_error, "transcript");
    sd_transcript_add(&m->rl.transcript, whole);
    m->hrr_suite = sh->cipher_suite;
    if (have_group && !sd_key_share_generate(&m->share, group, &m->rng))
        return model_fatal(m, SD_internal_error, "key generation failed");
}

static void on_server_hello(sd_model *m, const sd_server_hello *sh) {
    uint8_t alert;
    sd_span sv;
    /* §4.2.1: a ServerHello without supported_versions negotiates TLS 1.2 or
     * below; only an offered TLS 1.2 goes on (RFC 5246), else
     * protocol_version. */
    if (!sd_extensions_find(sh->extensions, SD_supported_versions, &sv)) {
        if (m->offer.min_version && m->offer.min_version <= SD_TLS12) return model12_on_server_hello(m, sh);
        return model_fatal(m, SD_protocol_version, "server chose a version below TLS 1.3");
    }
    m->version = SD_TLS13;
    if (!sd_span_eq(sh->legacy_session_id_echo, sd_span_of(m->session_id, m->session_id_len)))
        /* §4.1.3: "A client which receives a legacy_session_id_echo field that
         * does not match what it sent in the ClientHello MUST abort the
         * handshake with an "illegal_parameter" alert." */
        return model_fatal(m, SD_illegal_parameter, "ServerHello session id does not echo ours");
    if (!sd_extensions_check(sh->extensions, &alert)) return model_fatal(m, alert, "malformed ServerHello extensions");

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
            if (body.len != 2) return model_fatal(m, SD_decode_error, "malformed pre_shared_key in ServerHello");
            const sd_suite *chosen = sd_suite_find(sh->cipher_suite);
            if (body.data[0] != 0 || body.data[1] != 0 || !chosen || chosen->md() != m->psk_suite->md())
                return model_fatal(m, SD_illegal_parameter, "server selected a PSK we cannot use");
            m->psk_accepted = true;
        } else if (type == SD_supported_versions) {
            if (!sd_parse_supported_versions_sh(body, &version, &alert))
                return model_fatal(m, alert, "malformed supported_versions in ServerHello");
        } else if (type == SD_key_share) {
            if (!sd_parse_key_share_sh(body, &ks, &alert)) return model_fatal(m, alert, "malformed key_share in ServerHello");
            have_share = true;
        } else if (client_offered(type)) {
            return model_fatal(m, SD_illegal_parameter, "extension %s not allowed in ServerHello", sd_extension_name(type));
        } else {
            return model_fatal(m, SD_unsupported_extension, "ServerHello carries unrequested extension %u", type);
        }
    }
    /* Only TLS 1.3 is enabled: a ServerHello without supported_versions
     * negotiates TLS 1.2 or below, which we did not offer (§4.2.1, §D). */
    if (version == 0) return model_fatal(m, SD_protocol_version, "server chose a version below TLS 1.3");
    if (version != SD_TLS13) return model_fatal(m, SD_illegal_parameter, "ServerHello selects version 0x%04x", version);
    /* §4.1.3: "A client which receives a cipher suite that was not offered
     * MUST abort the handshake with an "illegal_parameter" alert." §4.1.4:
     * after HRR it must also be the one the HRR chose. */
    if (!sd_u16_in(m->offer.suites, m->offer.n_suites, sh->cipher_suite) || (m->hrr_suite && sh->cipher_suite != m->hrr_suite))
        return model_fatal(m, SD_illegal_parameter, "ServerHello selects cipher suite 0x%04x", sh->cipher_suite);
    if (sh->legacy_compression_method != 0)
        return model_fatal(m, SD_illegal_parameter, "ServerHello compression method is not null");
    /* §9.2: a full handshake without key_share is missing a mandatory extension. */
    if (!have_share) return model_fatal(m, SD_missing_extension, "ServerHello without key_share");
    /* §4.2.8: the server's share "MUST be in the same group as the
     * KeyShareEntry value offered by the client". */
    if (ks.group != m->share.group)
        return model_fatal(m, SD_illegal_parameter, "ServerHello key share for group %u we did not send", ks.group);

    uint8_t ecdhe[66];
    size_t ecdhe_len = 0;
    if (!sd_key_share_derive(&m->share, ks.key_exchange, ecdhe, &ecdhe_len, &alert))
        return model_fatal(m, alert, "server key share is not a valid point");
    m->suite = sd_suite_find(sh->cipher_suite);
    m->group = ks.group;
    m->st.version = SD_TLS13;
    m->st.cipher_suite = sh->cipher_suite;
    m->st.group = ks.group;
    uint8_t hash[SD_MAX_HASH_LEN];
    if (!transcript_hash(m, hash)) return;
    if (!sd_ks_init(&m->ks, m->suite, m->psk_accepted ? m->psk : NULL, m->psk_accepted ? m->psk_len : 0) ||
        !sd_ks_handshake(&m->ks, ecdhe, ecdhe_len, hash))
        return model_fatal(m, SD_internal_error, "key schedule failed");
    OPENSSL_cleanse(ecdhe, sizeof(ecdhe));
    if (m->psk_accepted) {
        /* Resumed: the PSK authenticates the server, as the original
         * handshake's certificate did, and no certificates follow. */
        m->shape = sd_shape_with_flags(m->shape->flags | SD_SHAPE_PSK);
        m->st.resumed = true;
        m->st.peer_authenticated = true;
    }
    if (!check_key_change_boundary(m)) return;
    if (!set_keys(m, &m->rl.read, m->ks.server_handshake_traffic)) return;
    set_keys(m, &m->rl.write, m->ks.client_handshake_traffic);
}

/* --- Server's encrypted flight (client side) -------------------------------- */

static void on_encrypted_extensions(sd_model *m, sd_span body) {
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
            if (ext.len != 0) return model_fatal(m, SD_decode_error, "non-empty server_name in EncryptedExtensions");
        } else if (type == SD_supported_groups) {
            /* §4.2.7: informational only, but must parse. */
            sd_u16_list l;
            if (!sd_u16_list_parse(ext, 2, false, &l, &alert))
                return model_fatal(m, alert, "malformed supported_groups in EncryptedExtensions");
        } else if (client_offered(type)) {
            return model_fatal(m, SD_illegal_parameter, "extension %s not allowed in EncryptedExtensions",
                         sd_extension_name(type));
        } else {
            return model_fatal(m, SD_unsupported_extension, "EncryptedExtensions carries unrequested extension %u", type);
        }
    }
}

static void on_certificate_request(sd_model *m, sd_span body) {
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
    if (ctx.len != 0) return model_fatal(m, SD_decode_error, "CertificateRequest context in the main handshake");
    sd_span sigalgs_body;
    sd_u16_list sigalgs;
    /* §4.3.2: "The "signature_algorithms" extension MUST be specified". */
    if (!sd_extensions_find(exts, SD_signature_algorithms, &sigalgs_body))
        return model_fatal(m, SD_missing_extension, "CertificateRequest without signature_algorithms");
    if (!sd_u16_list_parse(sigalgs_body, 2, false, &sigalgs, &alert))
        return model_fatal(m, alert, "malformed signature_algorithms in CertificateRequest");
    m->n_peer_sigalgs = 0;
    for (size_t i = 0; i < sd_u16_list_count(sigalgs) && m->n_peer_sigalgs < COUNT(m->peer_sigalgs); i++)
        m->peer_sigalgs[m->n_peer_sigalgs++] = sd_u16_list_at(sigalgs, i);
    memcpy(m->cert_request_context, ctx.data, ctx.len);
    m->cert_request_context_len = ctx.len;
    m->cert_requested = true;
}

static void on_certificate(sd_model *m, sd_span body) {
    uint8_t alert;
    sd_certificate c;
    bool server = m->cfg.role == SD_ROLE_SERVER; /* we are checking a client's certificate */
    if (!sd_parse_certificate(body, &c, &alert)) return model_fatal(m, alert, "malformed Certificate");
    /* §4.4.2: "If this message is in response to a CertificateRequest, the
     * value of certificate_request_context in that message. Otherwise (in the
     * case of server authentication), this field SHALL be zero length." The
     * RFC names no alert; a field that parses but breaks a rule is
     * illegal_parameter (§6.2). The model's own request context is empty. */
    if (c.request_context.len != 0) return model_fatal(m, SD_illegal_parameter, "Certificate has a wrong request context");
    sd_span chain[SD_MAX_CHAIN];
    size_t n = 0;
    sd_reader it = sd_reader_of(c.certificate_list);
    sd_certificate_entry e;
    int got;
    sd_span stapled = {0};
    while ((got = sd_certificate_next_entry(&it, &e, &alert)) > 0) {
        if (!sd_extensions_check(e.extensions, &alert)) return model_fatal(m, alert, "malformed CertificateEntry extensions");
        /* §4.4.2: entry extensions must answer ones this side sent: a client
         * asked for status_request (OCSP); a server asks for nothing. */
        sd_reader ex = sd_reader_of(e.extensions);
        uint16_t type;
        sd_span ext;
        while (sd_extensions_next(&ex, &type, &ext, &alert) > 0) {
            if (type != SD_status_request || server)
                return model_fatal(m, SD_unsupported_extension, "CertificateEntry carries unrequested extension %u", type);
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
        if (n == SD_MAX_CHAIN) return model_fatal(m, SD_bad_certificate, "certificate chain longer than %d", SD_MAX_CHAIN);
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
        m->shape = sd_shape_with_flags(m->shape->flags | SD_SHAPE_NO_CLIENT_CERT);
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

static void on_certificate_verify(sd_model *m, sd_span body, const uint8_t *hash_before) {
    uint8_t alert;
    sd_certificate_verify cv;
    if (!sd_parse_certificate_verify(body, &cv, &alert)) return model_fatal(m, alert, "malformed CertificateVerify");
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

static void send_finished(sd_model *m, const uint8_t *base_key) {
    uint8_t hash[SD_MAX_HASH_LEN];
    if (!transcript_hash(m, hash)) return;
    sd_buf body;
    sd_buf_init(&body);
    if (sd_msg_finished(&body, m->suite, base_key, hash))
        sd_rl_send_handshake(&m->rl, SD_Finished, sd_buf_span(&body));
    else
        model_fatal(m, SD_internal_error, "Finished computation failed");
    sd_buf_free(&body);
}

static void on_server_finished(sd_model *m, sd_span body, const uint8_t *hash_before) {
    if (!verify_finished(m, body, m->ks.server_handshake_traffic, hash_before)) return;
    m->peer_finished = true;
    uint8_t hash[SD_MAX_HASH_LEN];
    if (!transcript_hash(m, hash)) return;
    if (!sd_ks_application(&m->ks, hash)) return model_fatal(m, SD_internal_error, "key schedule failed");
    if (!check_key_change_boundary(m)) return;
    set_keys(m, &m->rl.read, m->ks.server_application_traffic);
}

/* --- ClientHello (server side) ------------------------------------------------ */

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
 * cannot be decoded (§6.2 decode_error). post_handshake_auth is not here:
 * the model does not implement it, so it is ignored like any extension it
 * does not recognise (§4.2), as BoringSSL does. tls13_only: checked only
 * when TLS 1.3 is negotiated; in TLS 1.2 the extension means nothing and is
 * ignored (RFC 5246 §7.4.1.4), as BoringSSL ignores it. */
static const struct {
    uint16_t type;
    bool tls13_only;
    const char *rule;
} kEmptyInClientHello[] = {
    {SD_early_data, true, "RFC 8446 §4.2.10: early_data in ClientHello is struct {} Empty"},
    {SD_signed_certificate_timestamp, false, "RFC 6962 §3.3.1: the ClientHello extension_data is empty"},
};

static bool check_status_request(sd_model *m, const sd_client_hello *ch);

bool model_check_extension_bodies(sd_model *m, const sd_client_hello *ch, bool tls13) {
    sd_span body;
    for (size_t i = 0; i < COUNT(kEmptyInClientHello); i++) {
        if (kEmptyInClientHello[i].tls13_only && !tls13) continue;
        if (sd_extensions_find(ch->extensions, kEmptyInClientHello[i].type, &body) && body.len != 0) {
            model_fatal(m, SD_decode_error, "non-empty %s (%s)", sd_extension_name(kEmptyInClientHello[i].type),
                  kEmptyInClientHello[i].rule);
            return false;
        }
    }
    /* RFC 8879 §3: CertificateCompressionAlgorithm algorithms<2..2^8-2>;
     * parsed whether or not the model compresses, as BoringSSL does. */
    if (sd_extensions_find(ch->extensions, SD_compress_certificate, &body)) {
        sd_reader r = sd_reader_of(body);
        sd_span algs;
        if (!sd_read_prefixed(&r, 1, &algs) || algs.len < 2 || algs.len % 2 != 0 || !sd_reader_done(&r)) {
            model_fatal(m, SD_decode_error, "malformed compress_certificate");
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

/* RFC 8446 §4.2.9 and §4.2.11 syntax. On success *identities and *binders
 * hold the offer's lists (NULL data if no PSK is offered), and *dhe_ke says
 * whether psk_dhe_ke is among the modes. */
static bool check_psk_offer(sd_model *m, const sd_client_hello *ch, sd_span *out_identities, sd_span *out_binders,
                            bool *dhe_ke) {
    uint8_t alert;
    *out_identities = *out_binders = sd_span_of(NULL, 0);
    sd_span modes_body, psk_body;
    bool has_modes = sd_extensions_find(ch->extensions, SD_psk_key_exchange_modes, &modes_body);
    bool has_psk = sd_extensions_find(ch->extensions, SD_pre_shared_key, &psk_body);
    if (!model_check_psk_modes(m, ch, dhe_ke)) return false;
    if (!has_psk) return true;
    /* §4.2.11: "The "pre_shared_key" extension MUST be the last extension in
     * the ClientHello ... Servers MUST check that it is the last extension and
     * otherwise fail the handshake with an "illegal_parameter" alert." */
    sd_reader it = sd_reader_of(ch->extensions);
    uint16_t type = 0;
    sd_span b;
    while (sd_extensions_next(&it, &type, &b, &alert) > 0) {
    }
    if (type != SD_pre_shared_key) {
        model_fatal(m, SD_illegal_parameter, "pre_shared_key is not the last extension");
        return false;
    }
    /* OfferedPsks { PskIdentity identities<7..2^16-1>;
     *               PskBinderEntry binders<33..2^16-1>; }
     * PskIdentity { opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age; }
     * PskBinderEntry opaque<32..255>; */
    sd_reader r = sd_reader_of(psk_body);
    sd_span identities, binders;
    if (!sd_read_prefixed(&r, 2, &identities) || identities.len < 7 || !sd_read_prefixed(&r, 2, &binders) ||
        binders.len < 33 || !sd_reader_done(&r)) {
        model_fatal(m, SD_decode_error, "malformed pre_shared_key");
        return false;
    }
    size_t n_identities = 0, n_binders = 0;
    for (sd_reader ids = sd_reader_of(identities); !sd_reader_done(&ids); n_identities++) {
        sd_span identity;
        uint32_t age;
        if (!sd_read_prefixed(&ids, 2, &identity) || identity.len == 0 || !sd_read_u32(&ids, &age)) {
            model_fatal(m, SD_decode_error, "malformed PskIdentity");
            return false;
        }
    }
    for (sd_reader bs = sd_reader_of(binders); !sd_reader_done(&bs); n_binders++) {
        sd_span binder;
        if (!sd_read_prefixed(&bs, 1, &binder) || binder.len < 32) {
            model_fatal(m, SD_decode_error, "malformed PskBinderEntry");
            return false;
        }
    }
    /* §4.2.11: the binders list "in the same order as the identities
     * list"; a count mismatch cannot be paired up. */
    if (n_identities != n_binders) {
        model_fatal(m, SD_illegal_parameter, "%zu PSK identities but %zu binders", n_identities, n_binders);
        return false;
    }
    /* §4.2.9: "If clients offer "pre_shared_key" without a
     * "psk_key_exchange_modes" extension, servers MUST abort the handshake." */
    if (!has_modes) {
        model_fatal(m, SD_missing_extension, "pre_shared_key without psk_key_exchange_modes");
        return false;
    }
    *out_identities = identities;
    *out_binders = binders;
    return true;
}

/* --- Tickets and binders ---------------------------------------------------- */

/* A ticket is the server's own sealed state (RFC 8446 §4.6.1 leaves its
 * format to the server): nonce(12) || AES-128-GCM(suite(2) psk_len(1) psk). */
static void seal_ticket(sd_model *m, const uint8_t *psk, size_t psk_len, sd_buf *out) {
    EVP_AEAD_CTX ctx;
    uint8_t nonce[12], plain[3 + SD_MAX_HASH_LEN], sealed[sizeof plain + 16];
    size_t sealed_len = 0;
    plain[0] = (uint8_t)(m->suite->id >> 8);
    plain[1] = (uint8_t)m->suite->id;
    plain[2] = (uint8_t)psk_len;
    memcpy(plain + 3, psk, psk_len);
    sd_rng_bytes(&m->rng, nonce, sizeof nonce);
    if (EVP_AEAD_CTX_init(&ctx, EVP_aead_aes_128_gcm(), m->ticket_key, sizeof m->ticket_key, 16, NULL)) {
        if (EVP_AEAD_CTX_seal(&ctx, sealed, &sealed_len, sizeof sealed, nonce, sizeof nonce, plain, 3 + psk_len,
                              NULL, 0)) {
            sd_buf_append(out, nonce, sizeof nonce);
            sd_buf_append(out, sealed, sealed_len);
        }
        EVP_AEAD_CTX_cleanup(&ctx);
    }
    OPENSSL_cleanse(plain, sizeof plain);
}

/* Opens a ticket of ours; false for anything else (a PSK the server does not
 * know is simply not selected, §4.2.11). */
static bool open_ticket(const sd_model *m, sd_span ticket, const sd_suite **suite, uint8_t *psk, size_t *psk_len) {
    if (ticket.len < 12 + 16 + 3) return false;
    EVP_AEAD_CTX ctx;
    uint8_t plain[3 + SD_MAX_HASH_LEN + 16];
    size_t plain_len = 0;
    if (!EVP_AEAD_CTX_init(&ctx, EVP_aead_aes_128_gcm(), m->ticket_key, sizeof m->ticket_key, 16, NULL)) return false;
    bool ok = ticket.len - 12 <= sizeof plain + 16 &&
              EVP_AEAD_CTX_open(&ctx, plain, &plain_len, sizeof plain, ticket.data, 12, ticket.data + 12,
                                ticket.len - 12, NULL, 0);
    EVP_AEAD_CTX_cleanup(&ctx);
    if (!ok || plain_len < 3 || plain[2] > SD_MAX_HASH_LEN || plain_len != 3u + plain[2]) return false;
    *suite = sd_suite_find((uint16_t)(plain[0] << 8 | plain[1]));
    *psk_len = plain[2];
    memcpy(psk, plain + 3, *psk_len);
    OPENSSL_cleanse(plain, sizeof plain);
    return *suite != NULL;
}

/* §4.2.11.2: binder = HMAC(finished key of binder_key, Transcript-Hash(...
 * Truncate(ClientHello))), binder_key = Derive-Secret(Early Secret, "res
 * binder", ""). `prefix` is the transcript before this ClientHello and
 * `truncated` this ClientHello up to its binders list. */
static bool psk_binder(const sd_suite *suite, const uint8_t *psk, size_t psk_len, sd_span prefix, sd_span truncated,
                       uint8_t *out) {
    const EVP_MD *md = suite->md();
    sd_key_schedule early;
    uint8_t empty_hash[SD_MAX_HASH_LEN], binder_key[SD_MAX_HASH_LEN], hash[SD_MAX_HASH_LEN];
    unsigned n = 0;
    EVP_MD_CTX h;
    EVP_MD_CTX_init(&h);
    bool ok = sd_ks_init(&early, suite, psk, psk_len) && EVP_Digest(NULL, 0, empty_hash, &n, md, NULL) &&
              sd_derive_secret(md, early.early_secret, "res binder", empty_hash, binder_key) &&
              EVP_DigestInit_ex(&h, md, NULL) && EVP_DigestUpdate(&h, prefix.data, prefix.len) &&
              EVP_DigestUpdate(&h, truncated.data, truncated.len) && EVP_DigestFinal_ex(&h, hash, &n) &&
              sd_finished_verify_data(md, binder_key, hash, out);
    EVP_MD_CTX_cleanup(&h);
    OPENSSL_cleanse(&early, sizeof early);
    OPENSSL_cleanse(binder_key, sizeof binder_key);
    return ok;
}

/* Server: picks the first offered ticket of ours whose hash matches the
 * chosen suite, and checks its binder. `body` is the ClientHello body, the
 * last bytes of the transcript. Returns false after a fatal alert. */
static bool select_psk(sd_model *m, sd_span body, sd_span identities, sd_span binders) {
    sd_reader ids = sd_reader_of(identities);
    for (int i = 0; !sd_reader_done(&ids); i++) {
        sd_span identity;
        uint32_t age;
        const sd_suite *suite;
        uint8_t psk[SD_MAX_HASH_LEN];
        size_t psk_len;
        if (!sd_read_prefixed(&ids, 2, &identity) || !sd_read_u32(&ids, &age)) return true;
        /* §4.2.11: "the server MUST ensure that it selects a compatible PSK
         * (if any) and cipher suite". */
        if (!open_ticket(m, identity, &suite, psk, &psk_len) || suite->md() != m->suite->md()) continue;
        sd_reader bs = sd_reader_of(binders);
        sd_span binder = {0};
        for (int j = 0; j <= i; j++) sd_read_prefixed(&bs, 1, &binder);
        /* The truncated ClientHello: header and body up to the binders list
         * (its 2-byte length included in what is cut). */
        const sd_buf *t = &m->rl.transcript.bytes;
        size_t ch_start = t->len - (4 + body.len);
        size_t cut = (size_t)(binders.data - 2 - body.data);
        uint8_t expected[SD_MAX_HASH_LEN];
        if (!psk_binder(suite, psk, psk_len, sd_span_of(t->data, ch_start), sd_span_of(t->data + ch_start, 4 + cut),
                        expected)) {
            model_fatal(m, SD_internal_error, "binder computation failed");
            return false;
        }
        /* §4.2.11: "Prior to accepting PSK key establishment, the server MUST
         * validate the corresponding binder value ... If this value is not
         * present or does not validate, the server MUST abort the handshake";
         * §6.2: decrypt_error covers failing to "validate ... a PSK binder". */
        if (binder.len != suite->hash_len || CRYPTO_memcmp(binder.data, expected, binder.len) != 0) {
            model_fatal(m, SD_decrypt_error, "PSK binder does not verify");
            return false;
        }
        m->psk_accepted = true;
        m->psk_index = i;
        m->psk_len = psk_len;
        memcpy(m->psk, psk, psk_len);
        OPENSSL_cleanse(psk, sizeof psk);
        return true;
    }
    return true;
}

/* Server, after the client's Finished: one NewSessionTicket (§4.6.1). */
static void send_session_ticket(sd_model *m) {
    uint8_t hash[SD_MAX_HASH_LEN], psk[SD_MAX_HASH_LEN];
    static const uint8_t nonce[1] = {0};
    if (!transcript_hash(m, hash) || !sd_ks_resumption(&m->ks, hash) ||
        !sd_hkdf_expand_label(m->suite->md(), m->ks.resumption_master, "resumption", nonce, sizeof nonce, psk,
                              m->suite->hash_len))
        return model_fatal(m, SD_internal_error, "resumption secret");
    sd_buf ticket, body;
    sd_buf_init(&ticket);
    sd_buf_init(&body);
    seal_ticket(m, psk, m->suite->hash_len, &ticket);
    uint8_t age_add[4];
    sd_rng_bytes(&m->rng, age_add, sizeof age_add);
    sd_new_session_ticket nst = {
        .ticket_lifetime = 7200, /* §4.6.1: at most seven days; two hours is plenty for tests */
        .ticket_age_add = (uint32_t)age_add[0] << 24 | (uint32_t)age_add[1] << 16 | (uint32_t)age_add[2] << 8 | age_add[3],
        .ticket_nonce = sd_span_of(nonce, sizeof nonce),
        .ticket = sd_buf_span(&ticket),
        .extensions = sd_span_of(NULL, 0),
    };
    if (ticket.len) {
        sd_build_new_session_ticket(&body, &nst);
        sd_rl_send_handshake(&m->rl, SD_NewSessionTicket, sd_buf_span(&body));
    }
    sd_buf_free(&ticket);
    sd_buf_free(&body);
    OPENSSL_cleanse(psk, sizeof psk);
}

/* Server-side checks of one ClientHello; on success selects suite and group.
 * Returns the client's key share for the group (empty span if the client
 * sent none, which calls for HelloRetryRequest).
 *
 * Where the RFC leaves a check optional (MAY), the model makes the choice
 * BoringSSL makes, so that the differential oracle reports real
 * disagreements only; where the RFC says MUST, the model enforces it and a
 * BoringSSL deviation is listed in harness/oracle/known_differences.txt. */
static bool process_client_hello(sd_model *m, const sd_client_hello *ch, sd_span body, sd_span *out_share,
                                 bool second) {
    uint8_t alert;
    if (!ch->has_extensions) {
        /* §4.2.1: without supported_versions the client offers TLS 1.2 or
         * below; only TLS 1.3 is enabled, so "protocol_version" (§6.2). */
        model_fatal(m, SD_protocol_version, "ClientHello without extensions offers only TLS 1.2 or below");
        return false;
    }
    if (!sd_extensions_check(ch->extensions, &alert)) {
        model_fatal(m, alert, "malformed ClientHello extensions");
        return false;
    }
    sd_span sv, groups_body, shares_body, sigalgs_body, sni;
    sd_u16_list versions;
    if (!sd_extensions_find(ch->extensions, SD_supported_versions, &sv)) {
        model_fatal(m, SD_protocol_version, "ClientHello offers only TLS 1.2 or below");
        return false;
    }
    if (!sd_parse_supported_versions_ch(sv, &versions, &alert)) {
        model_fatal(m, alert, "malformed supported_versions");
        return false;
    }
    if (!sd_u16_list_contains(versions, SD_TLS13)) {
        model_fatal(m, SD_protocol_version, "ClientHello does not offer TLS 1.3");
        return false;
    }
    /* §4.1.2: "For every TLS 1.3 ClientHello, this vector MUST contain exactly
     * one byte, set to zero ... If a TLS 1.3 ClientHello is received with any
     * other value in this field, the server MUST abort the handshake with an
     * "illegal_parameter" alert." */
    if (ch->compression_methods.len != 1 || ch->compression_methods.data[0] != 0) {
        model_fatal(m, SD_illegal_parameter, "TLS 1.3 ClientHello must offer only null compression");
        return false;
    }
    if (sd_extensions_find(ch->extensions, SD_server_name, &sni) && !model_check_server_name(m, sni)) return false;
    sd_span psk_identities, psk_binders;
    bool psk_dhe_ke;
    if (!check_psk_offer(m, ch, &psk_identities, &psk_binders, &psk_dhe_ke) || !model_check_extension_bodies(m, ch, true))
        return false;
    bool has_sigalgs = sd_extensions_find(ch->extensions, SD_signature_algorithms, &sigalgs_body);
    if (has_sigalgs) {
        sd_u16_list sigalgs;
        if (!sd_u16_list_parse(sigalgs_body, 2, false, &sigalgs, &alert)) {
            model_fatal(m, alert, "malformed signature_algorithms");
            return false;
        }
        m->n_peer_sigalgs = 0;
        for (size_t i = 0; i < sd_u16_list_count(sigalgs) && m->n_peer_sigalgs < COUNT(m->peer_sigalgs); i++)
            m->peer_sigalgs[m->n_peer_sigalgs++] = sd_u16_list_at(sigalgs, i);
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
        model_fatal(m, SD_missing_extension, "ClientHello lacks %s", has_groups ? "key_share" : "supported_groups");
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
        if (sd_u16_in(m->offer.groups, m->offer.n_groups, sd_u16_list_at(groups, i))) group = sd_u16_list_at(groups, i);
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
        !select_psk(m, body, psk_identities, psk_binders))
        return false;
    if (m->psk_accepted) return true; /* §4.2.3: no certificate, no signature_algorithms needed */

    /* §4.2.3: "If a server is authenticating via a certificate and the client
     * has not sent a "signature_algorithms" extension, then the server MUST
     * abort the handshake with a "missing_extension" alert". Checked after
     * the HelloRetryRequest decision, in BoringSSL's order. */
    if (!has_sigalgs) {
        model_fatal(m, SD_missing_extension, "ClientHello lacks signature_algorithms");
        return false;
    }
    return true;
}

/* Server: the version to speak, or 0 after a fatal alert. RFC 8446 §4.2.1:
 * "If this extension is present in the ClientHello, servers MUST NOT use the
 * ClientHello.legacy_version value for version negotiation and MUST use only
 * the "supported_versions" extension"; without it the client offers at most
 * legacy_version (RFC 5246 §7.4.1.2). Either way, no common version is
 * protocol_version (§6.2). */
static uint16_t negotiate_version(sd_model *m, const sd_client_hello *ch) {
    uint8_t alert;
    sd_span body;
    bool tls13_ok = m->cfg.max_version >= SD_TLS13, tls12_ok = m->cfg.min_version <= SD_TLS12;
    if (ch->has_extensions && !sd_extensions_check(ch->extensions, &alert)) {
        model_fatal(m, alert, "malformed ClientHello extensions");
        return 0;
    }
    if (ch->has_extensions && sd_extensions_find(ch->extensions, SD_supported_versions, &body)) {
        sd_u16_list versions;
        if (!sd_parse_supported_versions_ch(body, &versions, &alert)) {
            model_fatal(m, alert, "malformed supported_versions");
            return 0;
        }
        if (tls13_ok && sd_u16_list_contains(versions, SD_TLS13)) return SD_TLS13;
        if (tls12_ok && sd_u16_list_contains(versions, SD_TLS12)) return SD_TLS12;
    } else if (tls12_ok && ch->legacy_version >= SD_TLS12) {
        return SD_TLS12;
    }
    model_fatal(m, SD_protocol_version, "no protocol version in common");
    return 0;
}

static void on_client_hello(sd_model *m, sd_span body, bool second) {
    uint8_t alert;
    sd_client_hello ch;
    if (!sd_parse_client_hello(body, &ch, &alert)) return model_fatal(m, alert, "malformed ClientHello");
    if (second) {
        /* §4.1.2: the second ClientHello repeats the first but for the
         * changes HRR asks; random and session id must not change, and "a
         * "cookie" extension if one was provided in the HelloRetryRequest"
         * must be there (§4.2.2: "the client MUST copy the contents of the
         * extension"). */
        sd_span cookie_ext;
        sd_span want = sd_span_of(m->cookie, m->cookie_len);
        bool cookie_ok = m->cookie_len == 0 || (sd_extensions_find(ch.extensions, SD_cookie, &cookie_ext) &&
                                                 cookie_ext.len == 2 + want.len &&
                                                 sd_span_eq(sd_span_of(cookie_ext.data + 2, want.len), want));
        if (!sd_span_eq(ch.random, sd_span_of(m->client_random, SD_RANDOM_LEN)) ||
            !sd_span_eq(ch.legacy_session_id, sd_span_of(m->session_id, m->session_id_len)))
            return model_fatal(m, SD_illegal_parameter, "second ClientHello changes random or session id");
        if (!cookie_ok) return model_fatal(m, SD_illegal_parameter, "second ClientHello does not echo the cookie");
    }
    uint16_t version = negotiate_version(m, &ch);
    if (!version) return;
    if (version == SD_TLS12) {
        if (second) return model_fatal(m, SD_illegal_parameter, "second ClientHello does not offer TLS 1.3");
        memcpy(m->client_random, ch.random.data, SD_RANDOM_LEN);
        memcpy(m->session_id, ch.legacy_session_id.data, ch.legacy_session_id.len);
        m->session_id_len = ch.legacy_session_id.len;
        model12_on_client_hello(m, &ch);
        return;
    }
    m->version = SD_TLS13;
    sd_span share;
    if (!process_client_hello(m, &ch, body, &share, second)) return;
    memcpy(m->client_random, ch.random.data, SD_RANDOM_LEN);
    memcpy(m->session_id, ch.legacy_session_id.data, ch.legacy_session_id.len);
    m->session_id_len = ch.legacy_session_id.len;
    sd_span early;
    m->skipping_early_data = !second && sd_extensions_find(ch.extensions, SD_early_data, &early);
    /* The server's own choices pick its shape (sequences.c). */
    if (share.data == NULL) {
        /* §4.1.4: no share for the group we want: ask for one. */
        m->shape = sd_shape_with_flags(SD_SHAPE_HRR);
        return;
    }
    unsigned flags = second ? SD_SHAPE_HRR : 0;
    if (m->psk_accepted)
        flags |= SD_SHAPE_PSK; /* §4.3.2: no CertificateRequest with a PSK */
    else if (m->cfg.client_auth != SD_CLIENT_AUTH_NONE)
        flags |= SD_SHAPE_CLIENT_AUTH;
    m->shape = sd_shape_with_flags(flags);
    m->st.resumed = m->psk_accepted;
    if (!sd_key_share_generate(&m->share, m->group, &m->rng)) return model_fatal(m, SD_internal_error, "key generation");
    if (!sd_key_share_derive(&m->share, share, m->ecdhe, &m->ecdhe_len, &alert))
        return model_fatal(m, alert, "client key share is not a valid point");
}

/* --- Server's flight ------------------------------------------------------ */

static void send_ccs_once(sd_model *m) {
    /* RFC 8446 §D.4 middlebox compatibility: when the client sent a session
     * id, send one plaintext CCS before the first encrypted or retried flight. */
    if (m->sent_ccs || m->session_id_len == 0) return;
    static const uint8_t one = 1;
    sd_rl_send(&m->rl, SD_change_cipher_spec, sd_span_of(&one, 1), true, 0);
    m->sent_ccs = true;
}

static void send_server_hello(sd_model *m, bool retry) {
    sd_buf body;
    sd_buf_init(&body);
    uint8_t random[SD_RANDOM_LEN];
    sd_rng_bytes(&m->rng, random, sizeof(random));
    if (retry) {
        /* §4.2.2: a cookie in HelloRetryRequest, so that clients that fail to
         * echo it are caught. Random, from the seeded generator. */
        m->cookie_len = 32;
        sd_rng_bytes(&m->rng, m->cookie, m->cookie_len);
    }
    sd_msg_server_hello(&body, retry, random, sd_span_of(m->session_id, m->session_id_len), m->suite->id, m->group,
                        &m->share, retry ? sd_span_of(m->cookie, m->cookie_len) : sd_span_of(NULL, 0),
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
            model_fatal(m, SD_unexpected_message, "handshake data after the ClientHello a HelloRetryRequest answers");
        return;
    }

    m->st.version = SD_TLS13;
    m->st.group = m->group;
    uint8_t hash[SD_MAX_HASH_LEN];
    if (!transcript_hash(m, hash)) return;
    if (!sd_ks_init(&m->ks, m->suite, m->psk_accepted ? m->psk : NULL, m->psk_accepted ? m->psk_len : 0) ||
        !sd_ks_handshake(&m->ks, m->ecdhe, m->ecdhe_len, hash))
        return model_fatal(m, SD_internal_error, "key schedule failed");
    OPENSSL_cleanse(m->ecdhe, sizeof(m->ecdhe));
    if (!check_key_change_boundary(m)) return;
    if (!set_keys(m, &m->rl.write, m->ks.server_handshake_traffic)) return;
    set_keys(m, &m->rl.read, m->ks.client_handshake_traffic);
}

static void send_certificate(sd_model *m, const sd_credential *cred) {
    sd_buf body;
    sd_buf_init(&body);
    /* RFC 8446 §4.4.2.1: a server staples its OCSP response (the PKI's
     * ocsp-<credential>.der) when the client asked with status_request. */
    sd_msg_certificate_stapled(&body, sd_span_of(m->cert_request_context, m->cert_request_context_len), cred,
                               model_ocsp_response(m, cred));
    sd_rl_send_handshake(&m->rl, SD_Certificate, sd_buf_span(&body));
    sd_buf_free(&body);
}

const sd_credential *model_own_credential(const sd_model *m) {
    return m->cfg.role == SD_ROLE_SERVER ? m->cfg.credential : m->cfg.client_credential;
}

static void send_certificate_verify(sd_model *m) {
    const sd_credential *cred = model_own_credential(m);
    EVP_PKEY *key = cred ? cred->key : NULL;
    /* §4.4.3 / §4.2.3: a scheme the peer offered (in ClientHello, or in
     * CertificateRequest) that fits our key. */
    uint16_t scheme = sd_pick_signature_scheme(m->peer_sigalgs, m->n_peer_sigalgs, key);
    if (!scheme) return model_fatal(m, SD_handshake_failure, "no signature scheme in common with our certificate");
    uint8_t hash[SD_MAX_HASH_LEN];
    if (!transcript_hash(m, hash)) return;
    sd_buf body;
    sd_buf_init(&body);
    if (sd_msg_certificate_verify(&body, key, scheme, m->cfg.role == SD_ROLE_SERVER, hash, m->suite->hash_len))
        sd_rl_send_handshake(&m->rl, SD_CertificateVerify, sd_buf_span(&body));
    else
        model_fatal(m, SD_internal_error, "signing failed");
    sd_buf_free(&body);
}

static void send_own_message(sd_model *m, uint16_t msg) {
    uint8_t hash[SD_MAX_HASH_LEN];
    if (m->version == SD_TLS12) return model12_send(m, msg);
    switch (msg) {
    case SD_ClientHello:
        send_client_hello(m);
        return;
    case SD_MSG_HELLO_RETRY_REQUEST:
        send_server_hello(m, true);
        return;
    case SD_ServerHello:
        send_server_hello(m, false);
        return;
    case SD_EncryptedExtensions:
        sd_rl_send_handshake(&m->rl, SD_EncryptedExtensions, sd_span_of((const uint8_t *)"\0\0", 2));
        return;
    case SD_CertificateRequest: {
        sd_buf body;
        sd_buf_init(&body);
        sd_msg_certificate_request(&body, sd_span_of(NULL, 0), m->offer.sigalgs, m->offer.n_sigalgs);
        sd_rl_send_handshake(&m->rl, SD_CertificateRequest, sd_buf_span(&body));
        sd_buf_free(&body);
        return;
    }
    case SD_Certificate:
        if (m->cfg.role == SD_ROLE_CLIENT) send_ccs_once(m);
        send_certificate(m, model_own_credential(m));
        return;
    case SD_CertificateVerify:
        send_certificate_verify(m);
        return;
    case SD_Finished:
        if (m->cfg.role == SD_ROLE_SERVER) {
            send_finished(m, m->ks.server_handshake_traffic);
            if (model_failed(m) || !transcript_hash(m, hash)) return;
            if (!sd_ks_application(&m->ks, hash)) return model_fatal(m, SD_internal_error, "key schedule failed");
            set_keys(m, &m->rl.write, m->ks.server_application_traffic);
        } else {
            send_ccs_once(m);
            send_finished(m, m->ks.client_handshake_traffic);
            if (model_failed(m) || !transcript_hash(m, hash)) return;
            /* §7.1: resumption_master_secret covers ClientHello..client Finished. */
            if (!sd_ks_resumption(&m->ks, hash)) return model_fatal(m, SD_internal_error, "key schedule failed");
            set_keys(m, &m->rl.write, m->ks.client_application_traffic);
        }
        return;
    default:
        model_fatal(m, SD_internal_error, "no way to send message %u", msg);
    }
}

/* Sends every message the shape says is ours next. */
static void send_own_flight(sd_model *m) {
    while (!model_failed(m) && m->pos < m->shape->n_steps && m->shape->steps[m->pos].from == m->cfg.role) {
        uint16_t msg = m->shape->steps[m->pos].msg;
        /* A client without a certificate takes the empty-certificate shape:
         * §4.4.2 "If the client does not send any certificates ... the
         * certificate_list [is] empty", and no CertificateVerify follows. */
        if (m->cfg.role == SD_ROLE_CLIENT && msg == SD_Certificate && !m->cfg.client_credential)
            m->shape = sd_shape_with_flags(m->shape->flags | SD_SHAPE_NO_CLIENT_CERT);
        send_own_message(m, msg);
        m->pos++;
    }
    if (!model_failed(m) && m->pos == m->shape->n_steps && m->phase == PHASE_HANDSHAKE) {
        m->phase = PHASE_CONNECTED;
        m->st.handshake_done = true;
        if (m->version == SD_TLS12) model12_on_handshake_done(m);
    }
}

/* --- Post-handshake messages ---------------------------------------------- */

static void update_secret(sd_model *m, uint8_t *secret) {
    /* §7.2: application_traffic_secret_N+1 =
     *   HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length) */
    uint8_t next[SD_MAX_HASH_LEN];
    sd_hkdf_expand_label(m->suite->md(), secret, "traffic upd", NULL, 0, next, m->suite->hash_len);
    memcpy(secret, next, m->suite->hash_len);
}

static void on_post_handshake(sd_model *m, const sd_handshake_msg *msg) {
    uint8_t alert;
    if (m->version == SD_TLS12) {
        /* RFC 5246 §7.2.2 no_renegotiation: "Sent by the client in response
         * to a hello request or by the server in response to a client hello
         * after initial handshaking." The model does not renegotiate. The RFC
         * calls the alert "always a warning" (no MUST); like BoringSSL
         * (ssl_do_post_handshake) the model sends it fatal and closes. */
        bool hello_request = msg->type == SD_HelloRequest && m->cfg.role == SD_ROLE_CLIENT;
        if (hello_request && !sd_parse_tls12_hello_request(msg->body, &alert))
            return model_fatal(m, alert, "malformed HelloRequest");
        if (hello_request || (msg->type == SD_ClientHello && m->cfg.role == SD_ROLE_SERVER))
            return model_fatal(m, SD_no_renegotiation, "renegotiation refused");
        /* Anything else, KeyUpdate and NewSessionTicket included (TLS 1.2
         * has no KeyUpdate; RFC 5077 §3.3 puts NewSessionTicket inside the
         * handshake), is out of order: RFC 5246 §7.4, unexpected_message. */
    }
    if (msg->type == SD_KeyUpdate && m->version == SD_TLS13) {
        /* §4.6.3: KeyUpdate { KeyUpdateRequest request_update; } with values
         * 0 and 1; "If an implementation receives any other value, it MUST
         * terminate the connection with an "illegal_parameter" alert." */
        if (msg->body.len != 1) return model_fatal(m, SD_decode_error, "malformed KeyUpdate");
        uint8_t req = msg->body.data[0];
        if (req > 1) return model_fatal(m, SD_illegal_parameter, "KeyUpdate request_update %u", req);
        if (!check_key_change_boundary(m)) return;
        bool server = m->cfg.role == SD_ROLE_SERVER;
        uint8_t *read_secret = server ? m->ks.client_application_traffic : m->ks.server_application_traffic;
        uint8_t *write_secret = server ? m->ks.server_application_traffic : m->ks.client_application_traffic;
        update_secret(m, read_secret);
        if (!set_keys(m, &m->rl.read, read_secret)) return;
        if (req == 1) {
            static const uint8_t not_requested = 0;
            sd_rl_send_handshake(&m->rl, SD_KeyUpdate, sd_span_of(&not_requested, 1));
            update_secret(m, write_secret);
            set_keys(m, &m->rl.write, write_secret);
        }
        return;
    }
    if (msg->type == SD_NewSessionTicket && m->cfg.role == SD_ROLE_CLIENT && m->version == SD_TLS13) {
        /* No resumption yet: a well-formed ticket is accepted and dropped. */
        sd_new_session_ticket t;
        if (!sd_parse_new_session_ticket(msg->body, &t, &alert) || !sd_extensions_check(t.extensions, &alert))
            return model_fatal(m, alert, "malformed NewSessionTicket");
        /* §4.6.1: PSK = HKDF-Expand-Label(resumption_master_secret,
         * "resumption", ticket_nonce, Hash.length). Kept as the session
         * blob: version, suite, PSK, ticket_age_add, ticket. */
        uint8_t psk[SD_MAX_HASH_LEN];
        if (!sd_hkdf_expand_label(m->suite->md(), m->ks.resumption_master, "resumption", t.ticket_nonce.data,
                                  t.ticket_nonce.len, psk, m->suite->hash_len))
            return model_fatal(m, SD_internal_error, "resumption secret");
        sd_buf_reset(&m->session_out);
        sd_buf_u8(&m->session_out, 1);
        sd_buf_u16(&m->session_out, m->suite->id);
        sd_buf_u8(&m->session_out, (uint8_t)m->suite->hash_len);
        sd_buf_append(&m->session_out, psk, m->suite->hash_len);
        sd_buf_u32(&m->session_out, t.ticket_age_add);
        sd_buf_u16(&m->session_out, (uint16_t)t.ticket.len);
        sd_buf_append_span(&m->session_out, t.ticket);
        OPENSSL_cleanse(psk, sizeof psk);
        return;
    }
    model_fatal(m, SD_unexpected_message, "%s after the handshake", sd_handshake_type_name(msg->type) ? sd_handshake_type_name(msg->type) : "unknown message");
}

/* --- The loop ------------------------------------------------------------- */

static void on_handshake_message(sd_model *m, const sd_handshake_msg *msg) {
    m->warning_alerts = 0;
    if (m->phase == PHASE_CONNECTED) return on_post_handshake(m, msg);

    /* RFC 5246 §7.4.1.1: a HelloRequest "will be ignored by the client if
     * the client is currently negotiating a session" and "MUST NOT be
     * included in the message hashes". Only where TLS 1.2 is (or can only
     * be) the version, and not between the server's ChangeCipherSpec and its
     * Finished, which "is always sent immediately after" it (§7.4.9). */
    if (msg->type == SD_HelloRequest && m->cfg.role == SD_ROLE_CLIENT && !m->rl.read.active &&
        (m->version == SD_TLS12 || (!m->version && m->cfg.max_version == SD_TLS12))) {
        uint8_t alert;
        if (!sd_parse_tls12_hello_request(msg->body, &alert)) model_fatal(m, alert, "malformed HelloRequest");
        return;
    }

    /* HelloRetryRequest is a ServerHello with a special random (§4.1.3);
     * the random sits right after legacy_version, so the step is known
     * before parsing, and order is checked first (§4: "A peer which receives
     * a handshake message in an unexpected order MUST abort the handshake
     * with an "unexpected_message" alert"). */
    uint16_t step = msg->type;
    /* Only a client that offered TLS 1.3 knows the value: to a TLS 1.2-only
     * client (RFC 5246) the server random is just random, as BoringSSL
     * reads it. */
    if (msg->type == SD_ServerHello && m->cfg.max_version >= SD_TLS13 && msg->body.len >= 2 + SD_RANDOM_LEN &&
        memcmp(msg->body.data + 2, sd_hrr_random, SD_RANDOM_LEN) == 0)
        step = SD_MSG_HELLO_RETRY_REQUEST;
    const sd_shape *next = sd_shape_accept(m->shape, m->pos, peer_role(m), step);
    if (!next) {
        /* §6.2 unexpected_message: "An inappropriate message (e.g., the wrong
         * handshake message ...) was received." */
        const char *want = m->pos < m->shape->n_steps ? sd_step_name(m->shape->steps[m->pos].msg) : "nothing";
        return model_fatal(m, SD_unexpected_message, "%s received where %s was expected", sd_step_name(step), want);
    }
    m->shape = next;
    sd_server_hello sh;
    uint8_t alert;
    bool parsed_sh = false;
    if (msg->type == SD_ServerHello) {
        if (!sd_parse_server_hello(msg->body, &sh, &alert)) return model_fatal(m, alert, "malformed ServerHello");
        parsed_sh = true;
    }

    /* The transcript hash up to, not including, this message. */
    uint8_t before[SD_MAX_HASH_LEN];
    if (m->suite && !transcript_hash(m, before)) return;
    if (step != SD_MSG_HELLO_RETRY_REQUEST) sd_transcript_add(&m->rl.transcript, msg->whole);

    bool server = m->cfg.role == SD_ROLE_SERVER;
    if (m->version == SD_TLS12 && step != SD_ClientHello && step != SD_ServerHello)
        model12_on_message(m, step, msg);
    else switch (step) {
    case SD_ClientHello:
        on_client_hello(m, msg->body, m->pos > 0);
        break;
    case SD_MSG_HELLO_RETRY_REQUEST:
        on_hello_retry_request(m, &sh, msg->whole);
        break;
    case SD_ServerHello:
        if (parsed_sh) on_server_hello(m, &sh);
        break;
    case SD_EncryptedExtensions:
        on_encrypted_extensions(m, msg->body);
        break;
    case SD_CertificateRequest:
        on_certificate_request(m, msg->body);
        break;
    case SD_Certificate:
        on_certificate(m, msg->body);
        break;
    case SD_CertificateVerify:
        on_certificate_verify(m, msg->body, before);
        break;
    case SD_Finished:
        if (server) {
            if (verify_finished(m, msg->body, m->ks.client_handshake_traffic, before)) {
                m->peer_finished = true;
                if (check_key_change_boundary(m)) set_keys(m, &m->rl.read, m->ks.client_application_traffic);
                /* §4.2.9: "Servers SHOULD NOT send NewSessionTicket with
                 * tickets that are not compatible with the advertised modes". */
                if (!model_failed(m) && m->cfg.session_tickets && m->client_psk_dhe_ke) send_session_ticket(m);
            }
        } else {
            on_server_finished(m, msg->body, before);
        }
        break;
    default:
        model_fatal(m, SD_unexpected_message, "message %u has no handler", msg->type);
    }
    if (model_failed(m)) return;
    /* RFC 5246 §6.2.1: TLS 1.2 alerts may be fragmented or coalesced. */
    m->rl.reassemble_alerts = m->version == SD_TLS12;
    m->pos++;
    send_own_flight(m);
}

static void on_alert(sd_model *m, const sd_alert *a) {
    /* §6: AlertLevel is warning(1) or fatal(2); "Peers which receive a
     * message which is syntactically correct but semantically invalid (e.g.,
     * ... an invalid enum) MUST terminate the connection with an
     * "illegal_parameter" alert." */
    if (a->level != SD_ALERT_LEVEL_WARNING && a->level != SD_ALERT_LEVEL_FATAL)
        return model_fatal(m, SD_illegal_parameter, "alert with level %u", a->level);
    m->st.alert_received = a->description;
    if (a->description == SD_close_notify) {
        /* §6.1: "Each party MUST send a "close_notify" alert before closing
         * its write side of the connection". Answer in kind once connected. */
        if (m->phase == PHASE_CONNECTED) {
            sd_rl_send_alert(&m->rl, SD_ALERT_LEVEL_WARNING, SD_close_notify);
            m->st.close_notify_sent = true;
        }
        m->phase = PHASE_CLOSED;
        return;
    }
    /* §6.1: user_canceled is followed by close_notify; nothing to do yet.
     * RFC 5246 §7.2: in TLS 1.2 a warning alert does not end the connection.
     * A peer could send either forever, so, as BoringSSL does, more than four
     * in a row is an error. */
    if (a->description == SD_user_canceled || (m->version == SD_TLS12 && a->level == SD_ALERT_LEVEL_WARNING)) {
        if (++m->warning_alerts <= 4) return;
        return model_fatal(m, SD_unexpected_message, "too many warning alerts in a row");
    }
    /* §6: "Unknown Alert types MUST be treated as error alerts" and every
     * alert of §6.2 is an error alert "regardless of the AlertLevel". */
    m->st.failed = true;
    snprintf(m->st.error, sizeof(m->st.error), "peer sent alert %s",
             sd_alert_name(a->description) ? sd_alert_name(a->description) : "unknown");
    m->phase = PHASE_FAILED;
}

/* TLS 1.2: ChangeCipherSpec is a step of the tables (sequences.h); out of
 * place it is unexpected_message (RFC 5246 §7.1: "It is ... an error to
 * receive a ChangeCipherSpec ... at any other time"; CVE-2014-0224). */
static void on_ccs12(sd_model *m, const sd_rl_event *ev) {
    const sd_shape *next = sd_shape_accept(m->shape, m->pos, peer_role(m), SD_MSG_CHANGE_CIPHER_SPEC);
    if (!next) {
        const char *want = m->pos < m->shape->n_steps ? sd_step_name(m->shape->steps[m->pos].msg) : "nothing";
        return model_fatal(m, SD_unexpected_message, "ChangeCipherSpec received where %s was expected", want);
    }
    m->shape = next;
    model12_on_ccs(m, ev->data);
    if (model_failed(m)) return;
    m->pos++;
    send_own_flight(m);
}

/* Which CCS rule applies: TLS 1.2's (a step) once TLS 1.2 is negotiated,
 * or before that when TLS 1.3 cannot be (max_version TLS 1.2). Until then a
 * TLS 1.3-capable endpoint keeps the §5 rule of on_ccs: a middlebox
 * compatibility CCS may come first. */
static bool ccs_is_a_tls12_step(const sd_model *m) {
    return m->version == SD_TLS12 || (m->version == 0 && m->cfg.max_version < SD_TLS13);
}

static void on_ccs(sd_model *m, const sd_rl_event *ev) {
    /* §5: "An implementation may receive an unencrypted record of type
     * change_cipher_spec consisting of the single byte value 0x01 at any time
     * after the first ClientHello message has been sent or received and before
     * the peer's Finished message has been received and MUST simply drop it
     * without further processing. ... An implementation which receives any
     * other change_cipher_spec value or which receives a protected
     * change_cipher_spec record MUST abort the handshake with an
     * "unexpected_message" alert." */
    bool after_first_ch = m->cfg.role == SD_ROLE_CLIENT || m->pos > 0;
    if (ev->protected_record || ev->data.len != 1 || ev->data.data[0] != 1 || !after_first_ch || m->peer_finished)
        return model_fatal(m, SD_unexpected_message, "ChangeCipherSpec not allowed here");
    if (++m->ignored_ccs > MAX_IGNORED_CCS) return model_fatal(m, SD_unexpected_message, "too many ChangeCipherSpec records");
}

/* RFC 8446 §4.2.10: a server that rejects 0-RTT "skip[s] past early data by
 * attempting to deprotect received records using the handshake traffic key,
 * discarding records which fail deprotection (up to the configured
 * max_early_data_size)", and after HelloRetryRequest "ignore[s] ... records
 * of type application_data". The model's limit is 16 KiB of records, as
 * BoringSSL's. */
static bool skip_early_record(sd_model *m, const sd_rl_event *ev, size_t in_before) {
    if (!m->skipping_early_data || m->cfg.role != SD_ROLE_SERVER) return false;
    bool undecryptable = ev->kind == SD_RL_ERROR && ev->alert_to_send == SD_bad_record_mac;
    bool unprotected_data = ev->kind == SD_RL_APPDATA && !m->rl.read.active;
    if (!undecryptable && !unprotected_data) return false;
    size_t consumed = in_before >= m->rl.in.len ? in_before - m->rl.in.len : 0;
    m->early_data_skipped += consumed;
    return m->early_data_skipped <= 16384;
}

/* The longest handshake message body worth buffering now. RFC 8446 sets no
 * limit below 2^24; these are BoringSSL's (ssl_max_handshake_message_len),
 * so that the differential oracle compares like with like: 16 KiB in
 * general, 100 KiB while a certificate chain may arrive, and after the
 * handshake only what post-handshake messages need. */
static size_t max_message_len(const sd_model *m) {
    bool server = m->cfg.role == SD_ROLE_SERVER;
    /* After the handshake the type decides (on_post_handshake): a message of
     * the wrong type is unexpected_message whatever its length. */
    if (m->phase != PHASE_CONNECTED) return server ? 16384 : 100 * 1024;
    return 16384;
}

void sd_model_feed(sd_model *m, sd_span bytes) {
    if (m->phase == PHASE_FAILED || m->phase == PHASE_CLOSED) return; /* §6: no more data */
    if (m->phase == PHASE_START) m->phase = PHASE_HANDSHAKE; /* a server starts on input */
    sd_rl_receive(&m->rl, bytes);
    sd_rl_event ev;
    size_t in_before;
    while (m->phase != PHASE_FAILED && m->phase != PHASE_CLOSED &&
           (m->rl.max_handshake_len = max_message_len(m), in_before = m->rl.in.len,
            sd_rl_next(&m->rl, &ev) != SD_RL_NONE)) {
        if (ev.kind == SD_RL_HANDSHAKE) m->skipping_early_data = false;
        switch (ev.kind) {
        case SD_RL_ERROR:
            if (skip_early_record(m, &ev, in_before)) break;
            model_fatal(m, ev.alert_to_send, "%s", ev.detail);
            break;
        case SD_RL_ALERT:
            on_alert(m, &ev.alert);
            break;
        case SD_RL_CCS:
            if (m->phase == PHASE_HANDSHAKE && ccs_is_a_tls12_step(m))
                on_ccs12(m, &ev);
            else
                on_ccs(m, &ev);
            break;
        case SD_RL_APPDATA:
            if (skip_early_record(m, &ev, in_before)) break;
            if (m->phase != PHASE_CONNECTED) {
                /* §5: application data before the handshake is done is out of
                 * place: "unexpected_message". */
                model_fatal(m, SD_unexpected_message, "application data before the handshake completed");
                break;
            }
            /* The echo contract of targets/target.h, or the configured reply. */
            if (ev.data.len)
                sd_rl_send(&m->rl, SD_application_data, m->cfg.app_reply.len ? m->cfg.app_reply : ev.data,
                           false, 0);
            break;
        case SD_RL_HANDSHAKE:
            on_handshake_message(m, &ev.msg);
            break;
        case SD_RL_NONE:
            break;
        }
    }
}

sd_model *sd_model_new(const sd_target_config *cfg, char *err, size_t err_len) {
    if (cfg->min_version < SD_TLS12 || cfg->max_version > SD_TLS13 || cfg->min_version > cfg->max_version) {
        snprintf(err, err_len, "unsupported: the model speaks TLS 1.2 and TLS 1.3");
        return NULL;
    }
    if (cfg->role == SD_ROLE_SERVER && (!cfg->credential || !cfg->credential->key || cfg->credential->chain_len == 0)) {
        snprintf(err, err_len, "a server needs a credential with a certificate chain and a key");
        return NULL;
    }
    if (cfg->role == SD_ROLE_CLIENT && !cfg->pki) {
        snprintf(err, err_len, "a client needs trust anchors (pki)");
        return NULL;
    }
    sd_model *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    /* Configured lists, else the defaults; every entry must be one the model
     * implements. The lists point into the caller's config, which outlives
     * the target (targets/target.h). */
    m->offer = sd_default_offer;
    for (size_t i = 0; i < cfg->n_cipher_suites; i++)
        if (!sd_suite_find(cfg->cipher_suites[i]) && !sd_tls12_suite_find(cfg->cipher_suites[i])) {
            snprintf(err, err_len, "unsupported: cipher suite 0x%04x", cfg->cipher_suites[i]);
            free(m);
            return NULL;
        }
    for (size_t i = 0; i < cfg->n_groups; i++)
        if (!sd_group_supported(cfg->groups[i])) {
            snprintf(err, err_len, "unsupported: group %u", cfg->groups[i]);
            free(m);
            return NULL;
        }
    m->offer.min_version = cfg->min_version;
    m->offer.max_version = cfg->max_version;
    /* RFC 6066 §8 in TLS 1.2 too: the model reads CertificateStatus. */
    m->offer.tls12_status_request = true;
    if (cfg->min_version <= SD_TLS12) {
        m->offer.sigalgs = sd_offered_sigalgs_tls12;
        m->offer.n_sigalgs = sd_n_offered_sigalgs_tls12;
    }
    if (cfg->min_version <= SD_TLS12 && !cfg->n_cipher_suites) {
        /* Both versions' suites: TLS 1.3's first, when it is on. */
        size_t n = 0;
        for (size_t i = 0; cfg->max_version >= SD_TLS13 && i < sd_n_offered_suites; i++)
            m->suites_buf[n++] = sd_offered_suites[i];
        for (size_t i = 0; i < sd_tls12_n_default_suites && n < COUNT(m->suites_buf); i++)
            m->suites_buf[n++] = sd_tls12_default_suites[i];
        m->offer.suites = m->suites_buf;
        m->offer.n_suites = n;
    }
    if (cfg->n_cipher_suites) m->offer.suites = cfg->cipher_suites, m->offer.n_suites = cfg->n_cipher_suites;
    if (cfg->n_groups) m->offer.groups = cfg->groups, m->offer.n_groups = cfg->n_groups;
    /* Client and server draw different streams from the same seed. */
    sd_rng_init(&m->rng, cfg->seed * 2 + (cfg->role == SD_ROLE_SERVER));
    sd_rl_init(&m->rl);
    /* §5: once keys are in use every record but the compatibility CCS is
     * protected; the strict endpoint refuses plaintext ones. */
    m->rl.reject_plaintext_after_keys = true;
    m->shape = sd_shape_initial();
    m->phase = PHASE_START;
    m->st.alert_sent = -1;
    m->st.alert_received = -1;
    sd_buf_init(&m->ticket);
    sd_buf_init(&m->session_out);
    sd_buf_init(&m->peer_chain12);
    /* Servers with the same seed share a ticket key, so a ticket from one
     * connection resumes on the next (targets/target.h). */
    uint8_t digest[32], seed_bytes[8];
    for (int i = 0; i < 8; i++) seed_bytes[i] = (uint8_t)(cfg->seed >> (8 * i));
    SHA256_CTX sha;
    SHA256_Init(&sha);
    SHA256_Update(&sha, "shakedown model ticket key", 26);
    SHA256_Update(&sha, seed_bytes, sizeof seed_bytes);
    SHA256_Final(digest, &sha);
    memcpy(m->ticket_key, digest, sizeof m->ticket_key);
    if (cfg->role == SD_ROLE_CLIENT && cfg->resume_session.len &&
        (cfg->resume_session.data[0] == 2 || cfg->resume_session.data[0] == 3)) {
        if (!model12_load_session(m, cfg->resume_session)) {
            snprintf(err, err_len, "resume_session is not a model session");
            sd_model_free(m);
            return NULL;
        }
        m->offer.tls12_ticket = sd_buf_span(&m->ticket);
    } else if (cfg->role == SD_ROLE_CLIENT && cfg->resume_session.len) {
        /* The blob written on NewSessionTicket: version 1, suite, PSK,
         * ticket_age_add, ticket. */
        sd_reader r = sd_reader_of(cfg->resume_session);
        uint8_t version = 0, psk_len = 0;
        uint16_t suite = 0;
        sd_span psk, ticket;
        if (!sd_read_u8(&r, &version) || version != 1 || !sd_read_u16(&r, &suite) || !sd_read_u8(&r, &psk_len) ||
            !sd_read_bytes(&r, psk_len, &psk) || !sd_read_u32(&r, &m->ticket_age_add) ||
            !sd_read_prefixed(&r, 2, &ticket) || ticket.len == 0 || !sd_reader_done(&r) ||
            !(m->psk_suite = sd_suite_find(suite)) || psk_len != m->psk_suite->hash_len) {
            snprintf(err, err_len, "resume_session is not a model session");
            sd_model_free(m);
            return NULL;
        }
        memcpy(m->psk, psk.data, psk_len);
        m->psk_len = psk_len;
        sd_buf_append_span(&m->ticket, ticket);
        m->psk_offered = true;
    }
    return m;
}

void sd_model_start(sd_model *m) {
    if (m->phase != PHASE_START) return;
    m->phase = PHASE_HANDSHAKE;
    if (m->cfg.role != SD_ROLE_CLIENT) return;
    sd_rng_bytes(&m->rng, m->client_random, SD_RANDOM_LEN);
    /* §D.4: a non-empty legacy_session_id asks for middlebox compatibility
     * mode, as BoringSSL and most browsers do. */
    m->session_id_len = 32;
    sd_rng_bytes(&m->rng, m->session_id, m->session_id_len);
    /* RFC 5246 §7.4.1.2: resuming by session id, the ClientHello carries
     * that session's id instead. */
    if (m->resume_session_id12_len) {
        memcpy(m->session_id, m->resume_session_id12, m->resume_session_id12_len);
        m->session_id_len = m->resume_session_id12_len;
    }
    if (!sd_key_share_generate(&m->share, m->offer.groups[0], &m->rng))
        return model_fatal(m, SD_internal_error, "key generation failed");
    send_own_flight(m);
}

void sd_model_close(sd_model *m) {
    if (m->phase != PHASE_CONNECTED) return;
    /* RFC 8446 §6.1: "Each party MUST send a "close_notify" alert before
     * closing its write side of the connection"; after it nothing more is
     * sent ("Any data received after a closure alert has been received MUST
     * be ignored" on the peer's side). The model stops reading as well: a
     * page server has nothing left to say. */
    sd_rl_send_alert(&m->rl, SD_ALERT_LEVEL_WARNING, SD_close_notify);
    m->st.close_notify_sent = true;
    m->phase = PHASE_CLOSED;
}

void sd_model_drain(sd_model *m, sd_buf *out) {
    sd_buf_append_span(out, sd_buf_span(&m->rl.out));
    sd_buf_reset(&m->rl.out);
}

void sd_model_status(const sd_model *m, sd_target_status *out) { *out = m->st; }

bool sd_model_export(const sd_model *m, const char *label, uint8_t *out, size_t len) {
    /* RFC 8446 §7.5: TLS-Exporter(label, context_value, key_length) =
     *   HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter",
     *                     Hash(context_value), key_length)
     * with an empty context_value. */
    if (m->phase != PHASE_CONNECTED && m->phase != PHASE_CLOSED) return false;
    if (m->version == SD_TLS12) return model12_export(m, label, out, len);
    const EVP_MD *md = m->suite->md();
    uint8_t empty_hash[SD_MAX_HASH_LEN], secret[SD_MAX_HASH_LEN];
    unsigned int n = 0;
    return EVP_Digest(NULL, 0, empty_hash, &n, md, NULL) &&
           sd_derive_secret(md, m->ks.exporter_master, label, empty_hash, secret) &&
           sd_hkdf_expand_label(md, secret, "exporter", empty_hash, n, out, len);
}

const char *sd_model_state_name(sd_model *m) {
    if (m->phase != PHASE_HANDSHAKE) return phase_names[m->phase];
    char *buf = m->state_name;
    snprintf(buf, sizeof(m->state_name), "%s: awaiting %s", m->shape->name,
             m->pos < m->shape->n_steps ? sd_step_name(m->shape->steps[m->pos].msg) : "nothing");
    return buf;
}

bool sd_model_export_session(const sd_model *m, sd_buf *out) {
    if (m->session_out.len == 0) return false;
    sd_buf_append_span(out, sd_buf_span(&m->session_out));
    return true;
}

void sd_model_free(sd_model *m) {
    if (!m) return;
    sd_rl_free(&m->rl);
    sd_buf_free(&m->ticket);
    sd_buf_free(&m->session_out);
    EVP_PKEY_free(m->peer_key);
    EVP_PKEY_free(m->server_key12);
    sd_buf_free(&m->peer_chain12);
    OPENSSL_cleanse(m, sizeof(*m));
    free(m);
}
