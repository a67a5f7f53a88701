/* tls12.c — the model's TLS 1.2 (RFC 5246), both roles: full handshakes
 * with ECDHE (RFC 8422) or static RSA key exchange, extended master secret
 * (RFC 7627), OCSP stapling (RFC 6066 §8) and secure renegotiation (RFC
 * 5746: signalled always, performed when cfg.renegotiation allows it,
 * else refused with no_renegotiation). Message order
 * comes from the tls12-* shapes in sequences.c, with ChangeCipherSpec as a
 * step; model.c checks the order and calls the handlers of the table
 * model_tls12 for the content. Sessions and tickets (RFC 5077) are in
 * tls12_session.c. This file calls only down: into tls12_session.c,
 * checks.c, crypto/ and wire/. */
#include <string.h>

#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/rsa.h>

#include "model/model_state.h"
#include "wire/handshake.h"
#include "wire/names.h"
#include "wire/tls12.h"

/* RFC 8446 §4.1.3: a TLS 1.3 server negotiating TLS 1.2 ends its random with
 * "DOWNGRD" 01 (one negotiating TLS 1.1 or below, with 00), and a TLS 1.3
 * client checks for both. */
static const uint8_t kDowngradeTls12[8] = {0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01};
static const uint8_t kDowngradeTls11[8] = {0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x00};

static bool hash12(sd_model *m, uint8_t *out) {
    if (!sd_transcript_hash(&m->rl.transcript, m->suite12->prf_md(), out)) {
        model_fatal(m, SD_internal_error, "transcript hash failed");
        return false;
    }
    return true;
}

/* --- Keys ------------------------------------------------------------------- */

/* Master secret (§8.1 or RFC 7627 §4) and key block (§6.3), once the
 * ClientKeyExchange is in the transcript. */
static bool derive_master(sd_model *m) {
    bool ok = sd_tls12_derive_session_keys(m->suite12, m->pms, m->pms_len, m->client_random, m->server_random,
                                           m->ems, &m->rl.transcript, m->master, &m->keys12);
    OPENSSL_cleanse(m->pms, sizeof m->pms);
    if (!ok) model_fatal(m, SD_internal_error, "TLS 1.2 key derivation failed");
    return ok;
}

static bool install(sd_model *m, sd_record_keys *k, bool client_side) {
    /* RFC 7366 §3: a negotiated encrypt-then-MAC applies to the records
     * under the keys of the handshake that negotiated it. */
    bool ok = sd_tls12_install_keys(k, m->suite12, &m->keys12, client_side) &&
              sd_record_keys_set_encrypt_then_mac(k, m->etm12);
    if (!ok) model_fatal(m, SD_internal_error, "cannot install TLS 1.2 keys");
    return ok;
}

/* A TLS 1.2 Certificate body (§7.4.2) into its list of DER certificates.
 * False after a fatal alert. */
static bool read_chain12(sd_model *m, sd_span body, sd_span *chain, size_t *n) {
    uint8_t alert;
    sd_tls12_certificate c;
    *n = 0;
    if (!sd_parse_tls12_certificate(body, &c, &alert)) {
        model_fatal(m, alert, "malformed Certificate");
        return false;
    }
    sd_reader it = sd_reader_of(c.certificate_list);
    sd_span cert;
    while (sd_tls12_certificate_next(&it, &cert, &alert) > 0) {
        if (*n == SD_MAX_CHAIN) {
            model_fatal(m, SD_bad_certificate, "certificate chain longer than %d", SD_MAX_CHAIN);
            return false;
        }
        chain[(*n)++] = cert;
    }
    return true;
}

/* Keys for an abbreviated handshake: the saved master, the new randoms. */
static bool resume_keys(sd_model *m) {
    if (!sd_tls12_derive_keys(m->suite12, m->master, m->client_random, m->server_random, &m->keys12)) {
        model_fatal(m, SD_internal_error, "TLS 1.2 key derivation failed");
        return false;
    }
    return true;
}

/* --- Server ------------------------------------------------------------------- */

/* RFC 8422 §5.1.2 (ClientHello) and §5.2 (ServerHello): ECPointFormat
 * ec_point_format_list<1..2^8-1>, and "Implementations MUST support"
 * uncompressed, so a list without it is illegal_parameter (BoringSSL
 * refuses it in either message). False after a fatal alert. */
static bool check_point_formats(sd_model *m, sd_span body) {
    sd_reader r = sd_reader_of(body);
    sd_span formats;
    if (!sd_read_prefixed(&r, 1, &formats) || formats.len == 0 || !sd_reader_done(&r)) {
        model_fatal(m, SD_decode_error, "malformed ec_point_formats");
        return false;
    }
    if (!memchr(formats.data, 0 /* uncompressed */, formats.len)) {
        model_fatal(m, SD_illegal_parameter, "ec_point_formats without the uncompressed format");
        return false;
    }
    return true;
}

/* Server: a ClientHello that negotiated TLS 1.2; picks suite, group and
 * signature scheme, and the shape. model.c has checked the extensions'
 * framing already, when it negotiated the version. */
static void model12_on_client_hello(sd_model *m, const model_received *in) {
    const sd_client_hello *ch = in->client_hello;
    uint8_t alert;
    sd_span body;
    m->client_version = ch->legacy_version;
    /* RFC 5246 §7.4.1.2: the list "MUST contain, and all implementations
     * MUST support, CompressionMethod.null". */
    if (!memchr(ch->compression_methods.data, 0, ch->compression_methods.len))
        return model_fatal(m, SD_illegal_parameter, "ClientHello does not offer null compression");
    if (sd_extensions_find(ch->extensions, SD_server_name, &body) && !model_check_server_name(m, body))
        return;
    /* Extensions of either version that BoringSSL parses whatever the
     * version (compress_certificate, encrypted_client_hello, ...): the same
     * syntax checks as in TLS 1.3. */
    if (!model_check_extension_bodies(m, ch, false) || !model_select_alpn(m, ch) ||
        !model_take_record_size_limit_offer(m, ch, false) || !model_take_max_fragment_length_request(m, ch))
        return;
    /* RFC 7366 §2: encrypt_then_mac's "extension_data" field "SHALL be
     * empty"; read only when the server is set up for it, as BoringSSL,
     * which does not implement it, ignores it. */
    m->etm_offered12 = m->etm12 = false;
    if (m->cfg.encrypt_then_mac && sd_extensions_find(ch->extensions, SD_encrypt_then_mac, &body)) {
        if (body.len) return model_fatal(m, SD_decode_error, "non-empty encrypt_then_mac");
        m->etm_offered12 = true;
    }
    /* A TLS 1.3 extension means nothing in TLS 1.2 (RFC 5246 §7.4.1.4 lets
     * a server ignore it), but BoringSSL parses psk_key_exchange_modes
     * whatever the version and refuses a malformed one: the same choice. */
    bool psk_dhe_ke;
    if (!model_check_psk_modes(m, ch, &psk_dhe_ke)) return;
    /* RFC 8422 §5.1.2: ECPointFormat ec_point_format_list<1..2^8-1>; "If
     * the client sends the extension and the extension does not contain the
     * uncompressed point format, and the client has used the Supported
     * Groups extension to indicate support for any of the curves defined in
     * this specification, then the server MUST abort the handshake and
     * return an illegal_parameter alert." BoringSSL refuses it also without
     * supported_groups, which the RFC leaves open: the model does too. */
    if (sd_extensions_find(ch->extensions, SD_ec_point_formats, &body) && !check_point_formats(m, body))
        return;
    /* RFC 5746 §3.6: the server "MUST verify that the "renegotiated_connection"
     * field is of zero length, and if it is not, MUST abort the handshake" —
     * with handshake_failure; TLS_EMPTY_RENEGOTIATION_INFO_SCSV (0x00FF)
     * signals the same. */
    sd_u16_list suites = {ch->cipher_suites};
    if (m->renegotiating12) {
        /* RFC 5746 §3.7: "The server MUST verify that it does not contain
         * the TLS_EMPTY_RENEGOTIATION_INFO_SCSV SCSV. If the SCSV is
         * present, the server MUST abort the handshake." ... "If the
         * extension is not present, the server MUST abort the handshake."
         * ... "The server MUST verify that the value of the
         * "renegotiated_connection" field is equal to the saved
         * client_verify_data value; if it is not, the server MUST abort
         * the handshake." (handshake_failure, as in §3.6.) */
        sd_span reneg;
        if (sd_u16_list_contains(suites, 0x00FF))
            return model_fatal(m, SD_handshake_failure,
                               "TLS_EMPTY_RENEGOTIATION_INFO_SCSV in a renegotiation");
        if (!sd_extensions_find(ch->extensions, SD_renegotiation_info, &body))
            return model_fatal(m, SD_handshake_failure, "renegotiation without renegotiation_info");
        if (!sd_parse_renegotiation_info(body, &reneg, &alert))
            return model_fatal(m, alert, "malformed renegotiation_info");
        if (reneg.len != sizeof m->client_verify_data12 ||
            CRYPTO_memcmp(reneg.data, m->client_verify_data12, reneg.len) != 0)
            return model_fatal(m, SD_handshake_failure, "renegotiated_connection is not client_verify_data");
    }
    if (!m->renegotiating12) m->secure_renegotiation = sd_u16_list_contains(suites, 0x00FF);
    if (!m->renegotiating12 && sd_extensions_find(ch->extensions, SD_renegotiation_info, &body)) {
        sd_span reneg;
        if (!sd_parse_renegotiation_info(body, &reneg, &alert))
            return model_fatal(m, alert, "malformed renegotiation_info");
        if (reneg.len != 0)
            return model_fatal(m, SD_handshake_failure,
                               "renegotiation_info not empty on an initial handshake");
        m->secure_renegotiation = true;
    }
    if (sd_extensions_find(ch->extensions, SD_extended_master_secret, &body)) {
        if (!sd_parse_extended_master_secret(body, &alert))
            return model_fatal(m, alert, "malformed extended_master_secret");
        m->ems = true;
    }

    /* RFC 5077 §3.2: a session_ticket extension asks for a ticket, or
     * offers one (§3.1). Without a ticket, RFC 5246 §7.4.1.2: a non-empty
     * session_id names a session to resume, looked up in the cache. As in
     * BoringSSL, an offered ticket decides alone. A found session resumes if
     * the client still offers its suite ("MUST include at least the
     * cipher_suite from that session") and, under a required client
     * certificate, the session has one (BoringSSL's choice); else a full
     * handshake follows. And the extended master secret must match: RFC 7627
     * §5.3 "If the original session used the "extended_master_secret"
     * extension but the new ClientHello does not contain it, the server MUST
     * abort the abbreviated handshake"; in the other direction it MUST NOT
     * resume. */
    sd_span ticket_ext;
    bool ticket_offered =
        m->cfg.session_tickets && sd_extensions_find(ch->extensions, SD_session_ticket, &ticket_ext);
    const sd_tls12_suite *saved = NULL;
    bool saved_ems = false, saved_client_auth = false, found = false;
    if (ticket_offered && ticket_ext.len)
        found = tls12_open_ticket(m, ticket_ext, &saved, &saved_ems, &saved_client_auth, m->master);
    else if (m->cfg.session_cache && ch->legacy_session_id.len)
        found =
            tls12_lookup_session(m, ch->legacy_session_id, &saved, &saved_ems, &saved_client_auth, m->master);
    if (found && sd_u16_list_contains(suites, saved->id) &&
        sd_u16_in(m->offer.suites, m->offer.n_suites, saved->id) &&
        (saved_client_auth || m->cfg.client_auth != SD_CLIENT_AUTH_REQUIRE)) {
        if (saved_ems && !m->ems)
            return model_fatal(m, SD_handshake_failure,
                               "resumption of an extended-master-secret session without it");
        if (saved_ems == m->ems) {
            m->suite12 = saved;
            m->st.version = SD_TLS12;
            m->st.cipher_suite = saved->id;
            m->st.resumed = true;
            /* RFC 5077 §4, RFC 5246 §7.4.1.2: the session keeps the peer's
             * identity; the client proved its certificate then. */
            m->st.peer_authenticated = saved_client_auth;
            model_set_shape(m, SD_SHAPE_TLS12 | SD_SHAPE_RESUMED);
            return;
        }
    }
    OPENSSL_cleanse(m->master, sizeof m->master);
    m->issue_ticket12 = ticket_offered;
    /* §7.4.1.3: a new session id names the session in the cache; with a
     * ticket the ticket carries it, and the id stays empty (BoringSSL's
     * choice: "the session will not be cached"). */
    if (m->cfg.session_cache && !m->issue_ticket12) tls12_new_session_id(m, ch->legacy_session_id);

    /* Groups (RFC 8422 §5.1.1) and signature schemes (§7.4.1.4.1). Without
     * supported_groups, RFC 8422 §4 lets the server "choose any one of the
     * elliptic curves" or not negotiate ECC; BoringSSL then picks no ECDHE
     * suite, and so does the model (group stays 0). */
    sd_u16_list groups = {{0}}, sigalgs = {{0}};
    bool has_groups = sd_extensions_find(ch->extensions, SD_supported_groups, &body);
    if (has_groups && !sd_u16_list_parse(body, 2, false, &groups, &alert))
        return model_fatal(m, alert, "malformed supported_groups");
    bool has_sigalgs = sd_extensions_find(ch->extensions, SD_signature_algorithms, &body);
    if (has_sigalgs && !sd_u16_list_parse(body, 2, false, &sigalgs, &alert))
        return model_fatal(m, alert, "malformed signature_algorithms");
    /* An FFDHE group (RFC 7919) in the list is for DHE suites, which the
     * model does not have; ECDHE takes an elliptic curve (RFC 8422 §5.1.1). */
    uint16_t group = 0;
    for (size_t i = 0; has_groups && i < sd_u16_list_count(groups) && !group; i++)
        if (sd_u16_in(m->offer.groups, m->offer.n_groups, sd_u16_list_at(groups, i)) &&
            !sd_group_is_ffdhe(sd_u16_list_at(groups, i)))
            group = sd_u16_list_at(groups, i);
    /* RFC 7919 §4, for the DHE suites: "A compatible TLS server that
     * receives the Supported Groups extension with FFDHE codepoints in it
     * and that selects an FFDHE cipher suite MUST select one of the
     * client's offered groups", one it accepts (the first, in the client's
     * order); "if none of the client-proposed FFDHE groups are known and
     * acceptable to the server, then the server MUST NOT select an FFDHE
     * cipher suite". A codepoint counts as FFDHE from 256 to 511 "even if
     * unknown to the server". A client that names none "is not compatible
     * with this document", and the server "MAY select an FFDHE cipher suite
     * and offer an FFDHE group of its choice": the model's is ffdhe2048. */
    bool client_names_ffdhe = false;
    uint16_t dhe_group = 0;
    for (size_t i = 0; has_groups && i < sd_u16_list_count(groups); i++) {
        uint16_t g = sd_u16_list_at(groups, i);
        if (g < 256 || g > 511) continue;
        client_names_ffdhe = true;
        if (!dhe_group && sd_group_is_ffdhe(g) && sd_u16_in(m->offer.groups, m->offer.n_groups, g))
            dhe_group = g;
    }
    if (!client_names_ffdhe) dhe_group = SD_ffdhe2048;
    const sd_credential *cred = m->cfg.credential;
    /* Without signature_algorithms the client accepts SHA-1 only (§7.4.1.4.1),
     * which the model does not sign with; it then prefers SHA-256 schemes. */
    uint16_t sigalg = 0;
    if (has_sigalgs) {
        for (size_t i = 0; i < sd_u16_list_count(sigalgs) && !sigalg; i++)
            if (sd_tls12_signature_scheme_matches_key(sd_u16_list_at(sigalgs, i), cred->key))
                sigalg = sd_u16_list_at(sigalgs, i);
    } else {
        sigalg = EVP_PKEY_id(cred->key) == EVP_PKEY_RSA ? SD_rsa_pkcs1_sha256 : SD_ecdsa_secp256r1_sha256;
    }

    /* Suite: the client's first that the model implements, accepts, and can
     * serve with its certificate (and a group, for ECDHE). */
    bool dhe_offered = false;
    for (size_t i = 0; i < sd_u16_list_count(suites) && !m->suite12; i++) {
        uint16_t id = sd_u16_list_at(suites, i);
        const sd_tls12_suite *s = sd_tls12_suite_find(id);
        if (!s || !sd_u16_in(m->offer.suites, m->offer.n_suites, id) ||
            !sd_tls12_key_fits_suite(s, cred->key))
            continue;
        if (s->kx == SD_KX_DHE_RSA) {
            dhe_offered = true;
            if (!dhe_group || !sigalg) continue;
        } else if (s->kx != SD_KX_RSA && (!group || !sigalg)) {
            continue;
        }
        m->suite12 = s;
    }
    if (!m->suite12) {
        /* RFC 7919 §4: "If the extension is present with FFDHE groups, none
         * of the client's offered groups are acceptable by the server, and
         * none of the client's proposed non-FFDHE cipher suites are
         * acceptable to the server, the server MUST end the connection
         * with a fatal TLS alert of type insufficient_security(71)." Held
         * to a server that takes DHE suites at all (one the client offered
         * is among the model's): one without is not "compatible". */
        if (dhe_offered && client_names_ffdhe && !dhe_group)
            return model_fatal(m, SD_insufficient_security,
                               "none of the client's FFDHE groups is acceptable");
        /* RFC 5246 §7.4.1.3: no acceptable choices is handshake_failure. */
        return model_fatal(m, SD_handshake_failure, "no TLS 1.2 cipher suite in common");
    }
    /* RFC 6066 §8: servers "MAY return a suitable certificate status
     * response"; the model does whenever it has one, as BoringSSL does
     * (and never on resumption, which sends no Certificate). */
    m->staple12 = model_ocsp_response(m, cred) != NULL;
    m->group = m->suite12->kx == SD_KX_DHE_RSA ? dhe_group : group;
    m->sigalg12 = sigalg;
    m->st.version = SD_TLS12;
    m->st.cipher_suite = m->suite12->id;
    m->st.group = m->suite12->kx == SD_KX_RSA ? 0 : m->group;
    model_set_shape(m, SD_SHAPE_TLS12 | (m->suite12->kx == SD_KX_RSA ? SD_SHAPE_RSA_KX : 0) |
                           (m->cfg.client_auth != SD_CLIENT_AUTH_NONE ? SD_SHAPE_CLIENT_AUTH : 0) |
                           (m->issue_ticket12 ? SD_SHAPE_TICKET : 0) | (m->staple12 ? SD_SHAPE_OCSP : 0));
}

/* RFC 5246 §7.4.4: the certificate types and schemes the server accepts
 * for the client's certificate, and no CA names (any CA of the PKI). */
static void send_certificate_request12(sd_model *m) {
    static const uint8_t types[] = {1 /* rsa_sign */, 64 /* ecdsa_sign, RFC 8422 §5.5 */};
    sd_buf sigalgs, body;
    sd_buf_init(&sigalgs);
    sd_buf_init(&body);
    for (size_t i = 0; i < m->offer.n_sigalgs; i++) sd_buf_u16(&sigalgs, m->offer.sigalgs[i]);
    sd_buf_u16(&sigalgs, SD_rsa_pkcs1_sha256); /* TLS 1.2 clients sign with PKCS#1 too (§7.4.1.4.1) */
    sd_tls12_certificate_request cr = {.certificate_types = sd_span_of(types, sizeof types),
                                       .supported_signature_algorithms = sd_buf_span(&sigalgs),
                                       .certificate_authorities = sd_span_of(NULL, 0)};
    sd_build_tls12_certificate_request(&body, &cr);
    sd_rl_send_handshake(&m->rl, SD_CertificateRequest, sd_buf_span(&body));
    sd_buf_free(&sigalgs);
    sd_buf_free(&body);
}

/* Server: the client's Certificate (§7.4.6). */
static void on_client_certificate12(sd_model *m, sd_span body) {
    uint8_t alert;
    sd_span chain[SD_MAX_CHAIN];
    size_t n;
    if (!read_chain12(m, body, chain, &n)) return;
    if (n == 0) {
        /* §7.4.6: "If the client does not send any certificates, the server
         * MAY at its discretion either continue the handshake without client
         * authentication, or respond with a fatal handshake_failure alert." */
        if (m->cfg.client_auth == SD_CLIENT_AUTH_REQUIRE)
            return model_fatal(m, SD_handshake_failure, "client sent no certificate");
        model_set_shape(m, m->shape->flags | SD_SHAPE_NO_CLIENT_CERT);
        return;
    }
    sd_verify_params p = {.pki = m->cfg.pki,
                          .now = m->cfg.now,
                          .purpose = SD_VERIFY_PURPOSE_CLIENT,
                          .key_use = SD_KEY_USE_SIGN,
                          .crl = sd_pki_blob(m->cfg.pki, "crl.der")};
    char err[160];
    EVP_PKEY_free(m->peer_key);
    m->peer_key = NULL;
    if (!sd_verify_chain(&p, chain, n, &m->peer_key, &alert, err, sizeof err))
        model_fatal(m, alert, "client certificate rejected: %s", err);
}

/* Server: CertificateVerify (§7.4.8) signs "handshake_messages": everything
 * before it. */
static void on_certificate_verify12(sd_model *m, const model_received *in) {
    uint8_t alert;
    sd_certificate_verify cv;
    if (!sd_parse_certificate_verify(in->body, &cv, &alert))
        return model_fatal(m, alert, "malformed CertificateVerify");
    /* §7.4.8: the algorithm "MUST be one of those present in the
     * supported_signature_algorithms field of the CertificateRequest". */
    if ((!sd_u16_in(m->offer.sigalgs, m->offer.n_sigalgs, cv.algorithm) &&
         cv.algorithm != SD_rsa_pkcs1_sha256) ||
        !sd_tls12_signature_scheme_matches_key(cv.algorithm, m->peer_key))
        return model_fatal(m, SD_illegal_parameter, "CertificateVerify uses scheme 0x%04x", cv.algorithm);
    const sd_buf *t = &m->rl.transcript.bytes;
    sd_span before = sd_span_of(t->data, t->len - in->whole.len);
    if (!sd_tls12_verify(m->peer_key, cv.algorithm, before, cv.signature))
        return model_fatal(m, SD_decrypt_error, "CertificateVerify signature does not verify");
    m->st.peer_authenticated = true;
}

static void send_server_hello12(sd_model *m) {
    /* The client's next message answers this flight (RFC 5246 §7.3 Figure
     * 1 and Figure 2: nothing follows its ClientHello before our
     * ServerHelloDone, or our Finished when we resume), so it cannot be on
     * its way yet: handshake bytes after the ClientHello are out of place,
     * as at a TLS 1.3 HelloRetryRequest (tls13.c). */
    if (sd_hs_reassembler_has_partial(&m->rl.hs))
        return model_fatal(m, SD_unexpected_message, "handshake data after the ClientHello");
    sd_buf exts, body;
    sd_buf_init(&exts);
    sd_buf_init(&body);
    sd_rng_bytes(&m->rng, m->server_random, SD_RANDOM_LEN);
    if (m->cfg.max_version >= SD_TLS13) memcpy(m->server_random + 24, kDowngradeTls12, 8);
    if (m->renegotiating12) {
        /* RFC 5746 §3.7: "The server MUST include a "renegotiation_info"
         * extension containing the saved client_verify_data and
         * server_verify_data in the ServerHello." */
        uint8_t both[sizeof m->client_verify_data12 + sizeof m->server_verify_data12];
        memcpy(both, m->client_verify_data12, sizeof m->client_verify_data12);
        memcpy(both + sizeof m->client_verify_data12, m->server_verify_data12,
               sizeof m->server_verify_data12);
        sd_buf info;
        sd_buf_init(&info);
        sd_build_renegotiation_info(&info, sd_span_of(both, sizeof both));
        sd_build_extension(&exts, SD_renegotiation_info, sd_buf_span(&info));
        sd_buf_free(&info);
    } else if (m->secure_renegotiation) {
        static const uint8_t empty[] = {0};
        sd_build_extension(&exts, SD_renegotiation_info, sd_span_of(empty, 1));
    }
    if (m->ems) sd_build_extension(&exts, SD_extended_master_secret, sd_span_of(NULL, 0));
    /* RFC 5077 §3.2: an empty session_ticket in ServerHello promises a
     * NewSessionTicket. */
    if (m->issue_ticket12) sd_build_extension(&exts, SD_session_ticket, sd_span_of(NULL, 0));
    /* RFC 6066 §8: "If a server returns a "CertificateStatus" message, then
     * the server MUST have included an extension of type "status_request"
     * with empty "extension_data" in the extended server hello." */
    if (m->staple12) sd_build_extension(&exts, SD_status_request, sd_span_of(NULL, 0));
    /* RFC 7301 §3.1: in TLS 1.2 the answer is a ServerHello extension, one
     * ProtocolName. */
    if (m->alpn_selected) {
        sd_buf alpn;
        sd_buf_init(&alpn);
        sd_build_alpn_answer(&alpn, sd_span_of(m->alpn, m->alpn_len));
        sd_build_extension(&exts, SD_application_layer_protocol_negotiation, sd_buf_span(&alpn));
        sd_buf_free(&alpn);
    }
    /* RFC 8449 §4: in TLS 1.2 the answer is a ServerHello extension. */
    model_answer_record_size_limit(m, &exts, false);
    /* RFC 6066 §4: the echo of the requested length. */
    model_answer_max_fragment_length(m, &exts);
    /* RFC 7366 §3: "If a server receives an encrypt-then-MAC request
     * extension from a client and then selects a stream or Authenticated
     * Encryption with Associated Data (AEAD) ciphersuite, it MUST NOT send
     * an encrypt-then-MAC response extension back to the client." */
    m->etm12 = m->etm_offered12 && m->suite12->bulk == SD_BULK_AES_128_CBC_SHA;
    if (m->etm12) sd_build_extension(&exts, SD_encrypt_then_mac, sd_span_of(NULL, 0));
    bool resumed = m->shape->flags & SD_SHAPE_RESUMED;
    sd_server_hello sh = {
        .legacy_version = SD_TLS12,
        .random = sd_span_of(m->server_random, SD_RANDOM_LEN),
        /* RFC 5077 §3.4 and RFC 5246 §7.4.1.3: resuming, the server echoes
         * the client's session id; otherwise it sends the new session's id,
         * empty if "the session will not be cached". */
        .legacy_session_id_echo = resumed ? sd_span_of(m->session_id, m->session_id_len)
                                          : sd_span_of(m->server_session_id, m->server_session_id_len),
        .cipher_suite = m->suite12->id,
        .extensions = sd_buf_span(&exts),
    };
    sd_build_server_hello(&body, &sh);
    sd_rl_send_handshake(&m->rl, SD_ServerHello, sd_buf_span(&body));
    sd_buf_free(&exts);
    sd_buf_free(&body);
    if (resumed) resume_keys(m);
}

static void send_server_key_exchange(sd_model *m) {
    static const uint8_t kGenerator = 2; /* RFC 7919 Appendix A: "The generator is: g = 2" */
    uint8_t prime[SD_MAX_DH_PRIME_LEN];
    size_t prime_len = 0;
    bool dhe = m->suite12->kx == SD_KX_DHE_RSA;
    if (dhe) {
        prime_len = sd_ffdhe_prime(m->group, prime, sizeof prime);
        if (!prime_len || !sd_dh_generate(&m->share, m->group, sd_span_of(prime, prime_len),
                                          sd_span_of(&kGenerator, 1), &m->rng))
            return model_fatal(m, SD_internal_error, "key generation failed");
    } else if (!sd_key_share_generate(&m->share, m->group, &m->rng)) {
        return model_fatal(m, SD_internal_error, "key generation failed");
    }
    sd_buf params, signed_content, sig, body;
    sd_buf_init(&params);
    sd_buf_init(&signed_content);
    sd_buf_init(&sig);
    sd_buf_init(&body);
    /* RFC 5246 §7.4.3: ServerDHParams for DHE, RFC 8422 §5.4's
     * ServerECDHParams for ECDHE; signed the same way. */
    if (dhe)
        sd_build_tls12_server_dh_params(&params, sd_span_of(prime, prime_len), sd_span_of(&kGenerator, 1),
                                        sd_span_of(m->share.public_key, m->share.public_len));
    else
        sd_build_tls12_server_ecdh_params(&params, m->group,
                                          sd_span_of(m->share.public_key, m->share.public_len));
    sd_tls12_ske_signed_content(m->client_random, m->server_random, sd_buf_span(&params), &signed_content);
    if (!sd_tls12_sign(m->cfg.credential->key, m->sigalg12, sd_buf_span(&signed_content), &sig)) {
        model_fatal(m, SD_internal_error, "ServerKeyExchange signing failed");
    } else {
        /* The params as signed, then the signature (§7.4.3). */
        sd_buf_append_span(&body, sd_buf_span(&params));
        sd_buf_u16(&body, m->sigalg12);
        sd_buf_u16(&body, (uint16_t)sig.len);
        sd_buf_append_span(&body, sd_buf_span(&sig));
        sd_rl_send_handshake(&m->rl, SD_ServerKeyExchange, sd_buf_span(&body));
    }
    sd_buf_free(&params);
    sd_buf_free(&signed_content);
    sd_buf_free(&sig);
    sd_buf_free(&body);
}

static void on_client_key_exchange(sd_model *m, const model_received *in) {
    sd_span body = in->body;
    uint8_t alert;
    if (m->suite12->kx == SD_KX_RSA) {
        sd_span encrypted;
        if (!sd_parse_tls12_cke_rsa(body, &encrypted, &alert))
            return model_fatal(m, alert, "malformed ClientKeyExchange");
        /* The ciphertext's length is public: one that is not the modulus
         * size cannot be an RSA encryption, refused as BoringSSL does. */
        RSA *rsa = EVP_PKEY_get0_RSA(m->cfg.credential->key);
        if (!rsa || encrypted.len != RSA_size(rsa))
            return model_fatal(m, SD_decrypt_error, "encrypted premaster secret of the wrong length");
        /* §7.4.7.1: on any failure continue with a random premaster secret,
         * so that an attacker learns nothing (Bleichenbacher). */
        uint8_t random_pms[48];
        sd_rng_bytes(&m->rng, random_pms, sizeof random_pms);
        if (!sd_tls12_rsa_decrypt_pms(m->cfg.credential->key, encrypted, m->client_version, random_pms,
                                      m->pms))
            return model_fatal(m, SD_internal_error, "RSA decryption failed");
        m->pms_len = 48;
    } else if (m->suite12->kx == SD_KX_DHE_RSA) {
        sd_span yc;
        uint8_t prime[SD_MAX_DH_PRIME_LEN];
        size_t prime_len = sd_ffdhe_prime(m->group, prime, sizeof prime);
        if (!sd_parse_tls12_cke_dhe(body, &yc, &alert))
            return model_fatal(m, alert, "malformed ClientKeyExchange");
        /* RFC 7919 §4: "the server MUST verify that 1 < dh_Yc < dh_p - 1. If
         * dh_Yc is out of range, the server MUST terminate the connection
         * with a fatal handshake_failure(40) alert." */
        if (!sd_dh_premaster(&m->share, sd_span_of(prime, prime_len), yc, m->pms, &m->pms_len, &alert))
            return model_fatal(m, alert, "client DH public value is out of range");
    } else {
        sd_span point;
        if (!sd_parse_tls12_cke_ecdhe(body, &point, &alert))
            return model_fatal(m, alert, "malformed ClientKeyExchange");
        if (!sd_key_share_derive(&m->share, point, m->pms, &m->pms_len, &alert))
            return model_fatal(m, alert, "client ECDH point is not valid");
    }
    derive_master(m);
}

/* --- Client ------------------------------------------------------------------- */

/* Client: a ServerHello without supported_versions (model.c sent it here
 * for that). */
static void model12_on_server_hello(sd_model *m, const model_received *in) {
    const sd_server_hello *sh = in->server_hello;
    uint8_t alert;
    memcpy(m->server_random, sh->random.data, SD_RANDOM_LEN);
    /* RFC 8446 §4.1.3: "TLS 1.3 clients receiving a ServerHello indicating
     * TLS 1.2 or below MUST check that the last 8 bytes are not equal to
     * either of these values ... If a match is found, the client MUST abort
     * the handshake with an "illegal_parameter" alert." */
    if (m->offer.max_version >= SD_TLS13 && memcmp(m->server_random + 24, kDowngradeTls12, 8) == 0)
        return model_fatal(m, SD_illegal_parameter, "downgrade to TLS 1.2 signalled in the server random");
    if (sh->legacy_version != SD_TLS12)
        return model_fatal(m, SD_protocol_version, "server chose version 0x%04x", sh->legacy_version);
    /* The same sentence's "either of these values": the TLS 1.1 one too,
     * in a ServerHello that says TLS 1.2. (A TLS 1.2-only client has no
     * check to make: RFC 8446 asks it to look for that value only "if the
     * ServerHello indicates TLS 1.1 or below", which it refuses anyway.) */
    if (m->offer.max_version >= SD_TLS13 && memcmp(m->server_random + 24, kDowngradeTls11, 8) == 0)
        return model_fatal(m, SD_illegal_parameter,
                           "downgrade to TLS 1.1 or below signalled in the server random");
    const sd_tls12_suite *s = sd_tls12_suite_find(sh->cipher_suite);
    /* RFC 5246 §7.4.1.3: the suite is "selected by the server from the list
     * in ClientHello.cipher_suites"; anything else is illegal_parameter. */
    if (!s || !sd_u16_in(m->offer.suites, m->offer.n_suites, sh->cipher_suite))
        return model_fatal(m, SD_illegal_parameter, "ServerHello selects cipher suite 0x%04x",
                           sh->cipher_suite);
    if (sh->legacy_compression_method != 0)
        return model_fatal(m, SD_illegal_parameter, "ServerHello compression method is not null");
    if (!sd_extensions_check(sh->extensions, &alert))
        return model_fatal(m, alert, "malformed ServerHello extensions");
    sd_reader it = sd_reader_of(sh->extensions);
    uint16_t type;
    sd_span body;
    /* RFC 5746 §3.5: in a renegotiation, "the client MUST verify that the
     * "renegotiation_info" extension is present; if it is not, the client
     * MUST abort the handshake." */
    if (m->renegotiating12 && !sd_extensions_find(sh->extensions, SD_renegotiation_info, &body))
        return model_fatal(m, SD_handshake_failure, "renegotiation without renegotiation_info");
    m->etm12 = false;
    while (sd_extensions_next(&it, &type, &body, &alert) > 0) {
        if (type == SD_renegotiation_info) {
            sd_span reneg;
            if (!sd_parse_renegotiation_info(body, &reneg, &alert))
                return model_fatal(m, alert, "malformed renegotiation_info");
            if (m->renegotiating12) {
                /* §3.5: "The client MUST then verify that the first half of
                 * the "renegotiated_connection" field is equal to the saved
                 * client_verify_data value, and the second half is equal to
                 * the saved server_verify_data value. If they are not, the
                 * client MUST abort the handshake." */
                uint8_t both[sizeof m->client_verify_data12 + sizeof m->server_verify_data12];
                memcpy(both, m->client_verify_data12, sizeof m->client_verify_data12);
                memcpy(both + sizeof m->client_verify_data12, m->server_verify_data12,
                       sizeof m->server_verify_data12);
                if (reneg.len != sizeof both || CRYPTO_memcmp(reneg.data, both, sizeof both) != 0)
                    return model_fatal(m, SD_handshake_failure,
                                       "renegotiated_connection is not the saved verify_data");
                continue;
            }
            /* RFC 5746 §3.4: "The client MUST then verify that the length of
             * the "renegotiated_connection" field is zero, and if it is not,
             * MUST abort the handshake (by sending a fatal handshake_failure
             * alert)." */
            if (reneg.len) return model_fatal(m, SD_handshake_failure, "renegotiation_info not empty");
            m->secure_renegotiation = true;
        } else if (type == SD_extended_master_secret) {
            if (!sd_parse_extended_master_secret(body, &alert))
                return model_fatal(m, alert, "malformed extended_master_secret");
            m->ems = true;
        } else if (type == SD_session_ticket) {
            /* RFC 5077 §3.2: empty, promising a NewSessionTicket. */
            if (body.len) return model_fatal(m, SD_decode_error, "non-empty session_ticket in ServerHello");
            m->issue_ticket12 = true;
        } else if (type == SD_status_request) {
            /* RFC 6066 §8: the echo has "empty "extension_data"", and
             * promises a CertificateStatus after the Certificate. (The
             * model's ClientHello always asks.) */
            if (body.len) return model_fatal(m, SD_decode_error, "non-empty status_request in ServerHello");
            m->staple12 = true;
        } else if (type == SD_ec_point_formats) {
            /* RFC 8422 §5.2: the server's point formats. */
            if (!check_point_formats(m, body)) return;
        } else if (type == SD_supported_groups) {
            /* Sent in our ClientHello, so not "unrequested" (RFC 5246
             * §7.4.1.4), though RFC 8422 §5.2 gives the server no reason to
             * echo it. BoringSSL ignores it (some servers do send it), and
             * so does the model. */
        } else if (type == SD_server_name) {
            /* RFC 6066 §3: the server's acknowledgement "SHALL be empty";
             * a body cannot be decoded (BoringSSL: decode_error). */
            if (body.len) return model_fatal(m, SD_decode_error, "non-empty server_name in ServerHello");
        } else if (type == SD_application_layer_protocol_negotiation && m->cfg.alpn.len) {
            if (!model_take_alpn_answer(m, body)) return;
        } else if (type == SD_record_size_limit && m->cfg.record_size_limit) {
            if (!model_take_record_size_limit_answer(m, body)) return;
        } else if (type == SD_max_fragment_length && m->cfg.max_fragment_length) {
            if (!model_take_max_fragment_length_answer(m, body)) return;
        } else if (type == SD_encrypt_then_mac && m->cfg.encrypt_then_mac) {
            /* RFC 7366 §2: empty. §3 forbids the server the echo with an
             * AEAD suite and names no answer for the client; the model
             * refuses it (illegal_parameter, a parameter out of place, as
             * BouncyCastle's client does) rather than guess which record
             * format the server will use. */
            if (body.len) return model_fatal(m, SD_decode_error, "non-empty encrypt_then_mac in ServerHello");
            if (s->bulk != SD_BULK_AES_128_CBC_SHA)
                return model_fatal(m, SD_illegal_parameter,
                                   "encrypt_then_mac echoed for a suite without CBC");
            m->etm12 = true;
        } else {
            /* RFC 5246 §7.4.1.4: "If a client receives an extension type in
             * ServerHello that it did not request in the associated
             * ClientHello, it MUST abort the handshake with an
             * unsupported_extension fatal alert." */
            return model_fatal(m, SD_unsupported_extension, "ServerHello carries unrequested extension %u",
                               type);
        }
    }
    m->suite12 = s;
    m->st.version = SD_TLS12;
    m->st.cipher_suite = s->id;
    /* RFC 5077 §3.4: a ServerHello echoing the session id we sent with a
     * ticket resumes that session. */
    if (m->resuming12 && sh->legacy_session_id_echo.len &&
        sd_span_eq(sh->legacy_session_id_echo, sd_span_of(m->session_id, m->session_id_len))) {
        /* RFC 5246 §7.4.1.3: resuming, the suite must be the session's;
         * RFC 7627 §5.3: and so must the extended master secret. */
        if (s != m->resume_suite12 || m->ems != m->resume_ems12)
            return model_fatal(m, SD_illegal_parameter, "resumed session with other parameters");
        memcpy(m->master, m->resume_master12, 48);
        m->st.resumed = true;
        m->st.peer_authenticated = true;
        /* RFC 5077 §3.1 Figure 2: a ServerHello that announces a ticket
         * (§3.2) renews it with a NewSessionTicket before its
         * ChangeCipherSpec, in the abbreviated handshake as in a full one. */
        model_set_shape(m, SD_SHAPE_TLS12 | SD_SHAPE_RESUMED | (m->issue_ticket12 ? SD_SHAPE_TICKET : 0));
        resume_keys(m);
        return;
    }
    /* §7.4.1.3: the id under which the server caches this session (none
     * if empty); kept for export once the handshake completes. */
    m->server_session_id_len = sh->legacy_session_id_echo.len;
    memcpy(m->server_session_id, sh->legacy_session_id_echo.data, sh->legacy_session_id_echo.len);
    model_set_shape(m, SD_SHAPE_TLS12 | (s->kx == SD_KX_RSA ? SD_SHAPE_RSA_KX : 0) |
                           (m->issue_ticket12 ? SD_SHAPE_TICKET : 0) | (m->staple12 ? SD_SHAPE_OCSP : 0));
}

/* The NamedGroup of an EC key's curve (RFC 8422 §5.1.1), 0 for another
 * key or curve. */
static uint16_t ec_key_group(const EVP_PKEY *key) {
    const EC_KEY *ec = EVP_PKEY_id(key) == EVP_PKEY_EC ? EVP_PKEY_get0_EC_KEY(key) : NULL;
    const EC_GROUP *group = ec ? EC_KEY_get0_group(ec) : NULL;
    switch (group ? EC_GROUP_get_curve_name(group) : NID_undef) {
    case NID_X9_62_prime256v1:
        return SD_secp256r1;
    case NID_secp384r1:
        return SD_secp384r1;
    case NID_secp521r1:
        return SD_secp521r1;
    default:
        return 0;
    }
}

/* Client: validates the server's chain, with the stapled OCSP response if
 * there is one (RFC 6066 §8: the client "MUST check the OCSP response"). */
static void verify_server_chain12(sd_model *m, const sd_span *chain, size_t n, const sd_span *stapled) {
    uint8_t alert;
    sd_verify_params p = {.pki = m->cfg.pki,
                          .host_name = m->cfg.server_name,
                          .now = m->cfg.now,
                          .purpose = SD_VERIFY_PURPOSE_SERVER,
                          .key_use = m->suite12->kx == SD_KX_RSA ? SD_KEY_USE_ENCIPHER : SD_KEY_USE_SIGN,
                          .crl = sd_pki_blob(m->cfg.pki, "crl.der"),
                          .stapled_ocsp = stapled};
    char err[160];
    EVP_PKEY_free(m->server_key12);
    m->server_key12 = NULL;
    if (!sd_verify_chain(&p, chain, n, &m->server_key12, &alert, err, sizeof err))
        return model_fatal(m, alert, "certificate rejected: %s", err);
    /* RFC 5246 §7.4.2: the certificate's key must suit the key exchange
     * ("The certificate type MUST be appropriate for the selected cipher
     * suite's key exchange algorithm"). */
    if (!sd_tls12_key_fits_suite(m->suite12, m->server_key12))
        return model_fatal(m, SD_unsupported_certificate, "certificate key does not fit %s",
                           m->suite12->name);
    /* RFC 8422 §4: "when a client uses these extensions, servers MUST NOT
     * negotiate the use of an ECC cipher suite unless they can complete the
     * handshake while respecting the choice of curves specified by the
     * client", which it explains as "a client's inability to deal with the
     * server's EC key": an ECDSA certificate on a curve the client did not
     * list breaks that. What the client then does the RFC leaves open;
     * BoringSSL refuses with illegal_parameter, and so does the model. */
    uint16_t key_group = ec_key_group(m->server_key12);
    if (key_group && !sd_u16_in(m->offer.groups, m->offer.n_groups, key_group))
        return model_fatal(m, SD_illegal_parameter, "certificate key is on group %u, which we did not offer",
                           key_group);
    if (m->suite12->kx == SD_KX_RSA)
        m->st.peer_authenticated = true; /* proven by the Finished it can decrypt */
}

static void on_server_certificate12(sd_model *m, sd_span body) {
    sd_span chain[SD_MAX_CHAIN];
    size_t n;
    if (!read_chain12(m, body, chain, &n)) return;
    /* RFC 5246 §7.4.2: the server's certificate_list must hold its
     * certificate; an empty one cannot authenticate it. */
    if (n == 0) return model_fatal(m, SD_decode_error, "server sent an empty certificate chain");
    /* With a CertificateStatus to come, the chain is validated together
     * with it (as BoringSSL does, after reading CertificateStatus), or
     * without a response when the server leaves it out
     * (verify_chain_without_status). */
    if (m->shape->flags & SD_SHAPE_OCSP) {
        sd_buf_reset(&m->peer_chain12);
        sd_buf_append_span(&m->peer_chain12, body);
        return;
    }
    verify_server_chain12(m, chain, n, NULL);
}

/* Client: CertificateStatus (RFC 6066 §8), right after the Certificate. */
static void on_certificate_status12(sd_model *m, const model_received *in) {
    sd_span body = in->body;
    uint8_t alert;
    sd_tls12_certificate_status cs;
    /* status_type must be ocsp, the one the model asked for; a response
     * must not be empty (OCSPResponse<1..2^24-1>): decode_error, as
     * BoringSSL sends. */
    if (!sd_parse_tls12_certificate_status(body, &cs, &alert))
        return model_fatal(m, alert, "malformed CertificateStatus");
    sd_span chain[SD_MAX_CHAIN];
    size_t n;
    if (!read_chain12(m, sd_buf_span(&m->peer_chain12), chain, &n)) return;
    sd_buf_reset(&m->peer_chain12);
    verify_server_chain12(m, chain, n, &cs.ocsp_response);
}

/* Client: the status_request echo promised a CertificateStatus, and the
 * server sent the next message instead (RFC 6066 §8 allows it; the tables
 * switched to the shape without it): ServerKeyExchange, CertificateRequest
 * or ServerHelloDone. The chain kept by on_server_certificate12 is
 * validated now, before that message, without a stapled response. False
 * after a fatal alert. */
static bool verify_chain_without_status(sd_model *m) {
    if (!m->peer_chain12.len) return true;
    sd_span chain[SD_MAX_CHAIN];
    size_t n;
    if (!read_chain12(m, sd_buf_span(&m->peer_chain12), chain, &n)) return false;
    sd_buf_reset(&m->peer_chain12);
    verify_server_chain12(m, chain, n, NULL);
    return !model_failed(m);
}

/* Client: a DHE ServerKeyExchange (RFC 5246 §7.4.3), checked in the
 * order of RFC 7919 §3: the signature, then the group, then dh_Ys. */
/* Client: the ServerKeyExchange's signature over both randoms and the
 * params (RFC 5246 §7.4.3), by a scheme we offered that fits the server's
 * key (§7.4.1.4.1); RFC 5246 §7.2.2 decrypt_error: "a signature could not
 * be correctly verified". False after a fatal alert. */
static bool check_ske_signature(sd_model *m, uint16_t sig_alg, sd_span params, sd_span signature) {
    if (!sd_u16_in(m->offer.sigalgs, m->offer.n_sigalgs, sig_alg) ||
        !sd_tls12_signature_scheme_matches_key(sig_alg, m->server_key12)) {
        model_fatal(m, SD_illegal_parameter, "ServerKeyExchange signed with scheme 0x%04x", sig_alg);
        return false;
    }
    sd_buf content;
    sd_buf_init(&content);
    sd_tls12_ske_signed_content(m->client_random, m->server_random, params, &content);
    bool ok = sd_tls12_verify(m->server_key12, sig_alg, sd_buf_span(&content), signature);
    sd_buf_free(&content);
    if (!ok) model_fatal(m, SD_decrypt_error, "ServerKeyExchange signature does not verify");
    return ok;
}

static void on_server_key_exchange_dhe(sd_model *m, const model_received *in) {
    uint8_t alert;
    sd_tls12_ske_dhe ske;
    if (!sd_parse_tls12_ske_dhe(in->body, &ske, &alert))
        return model_fatal(m, alert, "malformed ServerKeyExchange");
    /* §3: "validate the signature over the ServerDHParams. If not valid,
     * terminate the connection". */
    if (!check_ske_signature(m, ske.sig_alg, ske.params, ske.signature)) return;
    /* §3: "compare the selected dh_p and dh_g with the FFDHE groups offered
     * by the client. If none of the offered groups match, the server is
     * not compatible with this document. The client MAY decide to continue
     * the connection if the selected group is acceptable under local
     * policy, or it MAY decide to terminate the connection with a fatal
     * insufficient_security(71) alert." The model's policy: a client that
     * offered FFDHE groups takes one of them only (§4: "A TLS server MUST
     * NOT select a named FFDHE group that was not offered by a compatible
     * client"); one that offered none takes any RFC 7919 group, and no
     * custom group (§3.1: "the safest may be to simply reject all custom
     * groups"), whatever its size. */
    uint16_t group = sd_ffdhe_group_of(ske.p, ske.g);
    bool offered_ffdhe = false;
    for (size_t i = 0; i < m->offer.n_groups; i++) offered_ffdhe |= sd_group_is_ffdhe(m->offer.groups[i]);
    if (!group || (offered_ffdhe && !sd_u16_in(m->offer.groups, m->offer.n_groups, group)))
        return model_fatal(
            m, SD_insufficient_security,
            group ? "ServerKeyExchange uses FFDHE group %u we did not offer"
                  : "ServerKeyExchange uses a DH group that is not one of RFC 7919 (%u-byte prime)",
            group ? group : (unsigned)ske.p.len);
    if (!sd_dh_generate(&m->share, group, ske.p, ske.g, &m->rng))
        return model_fatal(m, SD_internal_error, "key generation failed");
    /* §3: "the client MUST verify that dh_Ys is in the range 1 < dh_Ys <
     * dh_p - 1. If dh_Ys is not in this range, the client MUST terminate
     * the connection with a fatal handshake_failure(40) alert." */
    if (!sd_dh_premaster(&m->share, ske.p, ske.ys, m->pms, &m->pms_len, &alert))
        return model_fatal(m, alert, "server DH public value is out of range");
    m->group = group;
    m->st.group = group;
    m->st.peer_authenticated = true;
}

static void on_server_key_exchange(sd_model *m, const model_received *in) {
    uint8_t alert;
    sd_tls12_ske ske;
    if (!verify_chain_without_status(m)) return;
    if (m->suite12->kx == SD_KX_DHE_RSA) return on_server_key_exchange_dhe(m, in);
    if (!sd_parse_tls12_ske_ecdhe(in->body, &ske, &alert))
        return model_fatal(m, alert, "malformed ServerKeyExchange");
    /* RFC 8422 §5.4: the curve must be one the client offered (and a curve:
     * an FFDHE group of RFC 7919 is not one); §7.4.1.4.1: the signature
     * scheme must be one it offered, for the key it has. */
    if (!sd_u16_in(m->offer.groups, m->offer.n_groups, ske.group) || sd_group_is_ffdhe(ske.group))
        return model_fatal(m, SD_illegal_parameter, "ServerKeyExchange uses group %u we did not offer",
                           ske.group);
    if (!check_ske_signature(m, ske.sig_alg, ske.params, ske.signature)) return;
    if (!sd_key_share_generate(&m->share, ske.group, &m->rng))
        return model_fatal(m, SD_internal_error, "key generation failed");
    if (!sd_key_share_derive(&m->share, ske.point, m->pms, &m->pms_len, &alert))
        return model_fatal(m, alert, "server ECDH point is not valid");
    m->group = ske.group;
    m->st.group = ske.group;
    m->st.peer_authenticated = true;
}

/* Client: CertificateRequest (§7.4.4); its schemes pick our signature. */
static void on_certificate_request12(sd_model *m, const model_received *in) {
    uint8_t alert;
    sd_tls12_certificate_request cr;
    if (!verify_chain_without_status(m)) return;
    if (!sd_parse_tls12_certificate_request(in->body, &cr, &alert))
        return model_fatal(m, alert, "malformed CertificateRequest");
    /* §7.4.4: supported_signature_algorithms<2..2^16-2>, kept whole. */
    sd_u16_list l = {cr.supported_signature_algorithms};
    if (!model_keep_peer_sigalgs(m, l)) return;
    m->cert_requested = true;
}

static void send_client_certificate12(sd_model *m) {
    const sd_credential *cred = m->cfg.client_credential;
    /* §7.4.6: "If no suitable certificate is available, the client MUST send
     * a certificate message containing no certificates", and then no
     * CertificateVerify. */
    if (!cred) model_set_shape(m, m->shape->flags | SD_SHAPE_NO_CLIENT_CERT);
    sd_buf body;
    sd_buf_init(&body);
    sd_tls12_build_certificate(&body, cred);
    sd_rl_send_handshake(&m->rl, SD_Certificate, sd_buf_span(&body));
    sd_buf_free(&body);
}

static void send_client_certificate_verify12(sd_model *m) {
    EVP_PKEY *key = m->cfg.client_credential->key;
    uint16_t scheme = 0;
    for (size_t i = 0; i < m->n_peer_sigalgs && !scheme; i++)
        if (sd_tls12_signature_scheme_matches_key(m->peer_sigalgs[i], key)) scheme = m->peer_sigalgs[i];
    if (!scheme)
        return model_fatal(m, SD_handshake_failure, "no signature scheme for our client certificate");
    sd_buf sig, body;
    sd_buf_init(&sig);
    sd_buf_init(&body);
    if (!sd_tls12_sign(key, scheme, sd_buf_span(&m->rl.transcript.bytes), &sig)) {
        model_fatal(m, SD_internal_error, "CertificateVerify signing failed");
    } else {
        sd_certificate_verify cv = {.algorithm = scheme, .signature = sd_buf_span(&sig)};
        sd_build_certificate_verify(&body, &cv);
        sd_rl_send_handshake(&m->rl, SD_CertificateVerify, sd_buf_span(&body));
    }
    sd_buf_free(&sig);
    sd_buf_free(&body);
}

static void on_server_hello_done12(sd_model *m, const model_received *in) {
    uint8_t alert;
    if (!verify_chain_without_status(m)) return;
    if (!sd_parse_tls12_server_hello_done(in->body, &alert))
        model_fatal(m, alert, "malformed ServerHelloDone");
}

static void send_client_key_exchange(sd_model *m) {
    sd_buf body, encrypted;
    sd_buf_init(&body);
    sd_buf_init(&encrypted);
    if (m->suite12->kx == SD_KX_RSA) {
        /* §7.4.7.1: client_version (the highest offered, as in ClientHello)
         * and 46 random bytes. */
        m->pms[0] = 0x03;
        m->pms[1] = 0x03;
        sd_rng_bytes(&m->rng, m->pms + 2, 46);
        m->pms_len = 48;
        if (!sd_tls12_rsa_encrypt_pms(m->server_key12, m->pms, &encrypted))
            model_fatal(m, SD_internal_error, "RSA encryption failed");
        else
            sd_build_tls12_cke_rsa(&body, sd_buf_span(&encrypted));
    } else if (m->suite12->kx == SD_KX_DHE_RSA) {
        /* §7.4.7.2: dh_Yc explicit, computed in on_server_key_exchange_dhe. */
        sd_build_tls12_cke_dhe(&body, sd_span_of(m->share.public_key, m->share.public_len));
    } else {
        sd_build_tls12_cke_ecdhe(&body, sd_span_of(m->share.public_key, m->share.public_len));
    }
    if (!model_failed(m)) {
        sd_rl_send_handshake(&m->rl, SD_ClientKeyExchange, sd_buf_span(&body));
        derive_master(m);
    }
    sd_buf_free(&body);
    sd_buf_free(&encrypted);
}

/* --- Both sides ----------------------------------------------------------------- */

static void send_finished12(sd_model *m) {
    uint8_t hash[SD_MAX_HASH_LEN], verify[12];
    if (!hash12(m, hash)) return;
    if (!sd_tls12_finished(m->suite12, m->master, m->cfg.role == SD_ROLE_CLIENT, hash, verify))
        return model_fatal(m, SD_internal_error, "Finished computation failed");
    sd_rl_send_handshake(&m->rl, SD_Finished, sd_span_of(verify, sizeof verify));
    /* RFC 5746 §3.1: kept for the next renegotiation. */
    memcpy(m->cfg.role == SD_ROLE_CLIENT ? m->client_verify_data12 : m->server_verify_data12, verify,
           sizeof verify);
}

/* Server: its Certificate (§7.4.2); client: its answer to a
 * CertificateRequest (§7.4.6). */
static void send_certificate12(sd_model *m) {
    if (m->cfg.role == SD_ROLE_CLIENT) return send_client_certificate12(m);
    sd_buf body;
    sd_buf_init(&body);
    sd_tls12_build_certificate(&body, m->cfg.credential);
    sd_rl_send_handshake(&m->rl, SD_Certificate, sd_buf_span(&body));
    sd_buf_free(&body);
}

static void on_certificate12(sd_model *m, const model_received *in) {
    if (m->cfg.role == SD_ROLE_SERVER)
        on_client_certificate12(m, in->body);
    else
        on_server_certificate12(m, in->body);
}

/* Server: CertificateStatus (RFC 6066 §8), chosen with the shape. */
static void send_certificate_status12(sd_model *m) {
    sd_buf body;
    sd_buf_init(&body);
    sd_tls12_certificate_status cs = {.status_type = SD_CERTIFICATE_STATUS_OCSP,
                                      .ocsp_response = *model_ocsp_response(m, m->cfg.credential)};
    sd_build_tls12_certificate_status(&body, &cs);
    sd_rl_send_handshake(&m->rl, SD_CertificateStatus, sd_buf_span(&body));
    sd_buf_free(&body);
}

static void send_server_hello_done12(sd_model *m) {
    sd_rl_send_handshake(&m->rl, SD_ServerHelloDone, sd_span_of(NULL, 0));
}

static void send_change_cipher_spec12(sd_model *m) {
    /* §7.1: the CCS goes out under the old keys (none in an initial
     * handshake, the current ones in a renegotiation), then the pending
     * write keys take over. */
    static const uint8_t one = 1;
    sd_rl_send(&m->rl, SD_change_cipher_spec, sd_span_of(&one, 1), false, 0);
    install(m, &m->rl.write, m->cfg.role == SD_ROLE_CLIENT);
}

/* A ChangeCipherSpec record, in order (model.c checked its place). */
static void on_change_cipher_spec12(sd_model *m, const model_received *in) {
    /* §7.1: "The message consists of a single byte of value 1." */
    if (in->body.len != 1 || in->body.data[0] != 1)
        return model_fatal(m, SD_decode_error, "malformed ChangeCipherSpec");
    /* The peer's pending keys become current; a handshake message split
     * across the change cannot be. */
    if (sd_hs_reassembler_has_partial(&m->rl.hs))
        return model_fatal(m, SD_unexpected_message, "handshake data spans the ChangeCipherSpec");
    install(m, &m->rl.read, m->cfg.role == SD_ROLE_SERVER);
}

static void on_finished12(sd_model *m, const model_received *in) {
    /* The transcript holds the Finished already: verify_data covers the
     * messages before it (§7.4.9). */
    uint8_t hash[SD_MAX_HASH_LEN], expected[12];
    size_t full = m->rl.transcript.bytes.len;
    m->rl.transcript.bytes.len = full - in->whole.len;
    bool ok = hash12(m, hash);
    m->rl.transcript.bytes.len = full;
    if (!ok) return;
    if (!sd_tls12_finished(m->suite12, m->master, m->cfg.role == SD_ROLE_SERVER, hash, expected))
        return model_fatal(m, SD_internal_error, "Finished computation failed");
    /* §7.4.9: "Recipients of Finished messages MUST verify that the
     * contents are correct"; §7.2.2 decrypt_error covers "a handshake
     * cryptographic operation failed, including being unable to ...
     * validate a finished message". */
    if (in->body.len != 12 || CRYPTO_memcmp(in->body.data, expected, 12) != 0)
        return model_fatal(m, SD_decrypt_error, "Finished verify_data is wrong");
    m->peer_finished = true;
    memcpy(m->cfg.role == SD_ROLE_SERVER ? m->client_verify_data12 : m->server_verify_data12, expected,
           sizeof expected);
}

/* --- After the handshake -------------------------------------------------------- */

/* A renegotiation (RFC 5246 §7.4.1.2): a new handshake from the start of
 * the shapes, with a new transcript, under the record keys in use until
 * the new ChangeCipherSpec; what the last handshake chose is forgotten,
 * the verify_data it ended with kept (RFC 5746 §3.1). */
static void restart_handshake12(sd_model *m) {
    m->phase = PHASE_HANDSHAKE;
    m->shape = sd_shape_initial();
    m->pos = 0;
    sd_transcript_free(&m->rl.transcript);
    sd_transcript_init(&m->rl.transcript);
    m->renegotiating12 = true;
    m->suite12 = NULL;
    m->ems = false;
    m->staple12 = false;
    m->issue_ticket12 = false;
    m->resuming12 = false;
    m->peer_finished = false;
    m->cert_requested = false;
    m->st.resumed = false;
    /* The peer stays the one the last handshake authenticated until the
     * new one completes (RFC 5746 §1: renegotiation changes the connection's
     * parameters from then on); the new handshake proves it again. */
    sd_buf_reset(&m->peer_chain12);
}

/* Client: the renegotiation's ClientHello (the initial one is TLS 1.3's
 * table's, sent before a version is negotiated): TLS 1.2 only, a new
 * random, no session to resume, and renegotiation_info with the saved
 * client_verify_data (RFC 5746 §3.5: "The client MUST include the
 * "renegotiation_info" extension in the ClientHello, containing the saved
 * client_verify_data. The SCSV MUST NOT be included."). */
static void send_client_hello12(sd_model *m) {
    sd_offer offer = m->offer;
    offer.min_version = offer.max_version = SD_TLS12;
    offer.tls12_renegotiated_connection = sd_span_of(m->client_verify_data12, sizeof m->client_verify_data12);
    sd_rng_bytes(&m->rng, m->client_random, SD_RANDOM_LEN);
    m->session_id_len = 0;
    sd_buf body;
    sd_buf_init(&body);
    sd_msg_client_hello(&body, &offer, m->client_random, sd_span_of(NULL, 0), NULL, m->cfg.server_name,
                        sd_span_of(NULL, 0), NULL);
    sd_rl_send_handshake(&m->rl, SD_ClientHello, sd_buf_span(&body));
    sd_buf_free(&body);
}

static bool on_post_handshake12(sd_model *m, const sd_handshake_msg *msg) {
    uint8_t alert;
    /* RFC 5246 §7.2.2 no_renegotiation: "Sent by the client in response
     * to a hello request or by the server in response to a client hello
     * after initial handshaking." The RFC calls the alert "always a
     * warning" (no MUST); like BoringSSL (ssl_do_post_handshake) the model
     * sends it fatal and closes. */
    bool hello_request = msg->type == SD_HelloRequest && m->cfg.role == SD_ROLE_CLIENT;
    if (hello_request && !sd_parse_tls12_hello_request(msg->body, &alert)) {
        model_fatal(m, alert, "malformed HelloRequest");
        return true;
    }
    if (hello_request || (msg->type == SD_ClientHello && m->cfg.role == SD_ROLE_SERVER)) {
        /* Renegotiation only where allowed, and only the secure kind: RFC
         * 5746 §4.2 (client, secure_renegotiation FALSE): "It is
         * RECOMMENDED that clients refuse this renegotiation request.
         * Clients that do so MUST respond to such requests with a
         * "no_renegotiation" alert"; §4.4 has the server side. */
        if (!m->cfg.renegotiation || !m->secure_renegotiation) {
            model_fatal(m, SD_no_renegotiation, "renegotiation refused");
            return true;
        }
        restart_handshake12(m);
        return true;
    }
    /* Anything else, KeyUpdate and NewSessionTicket included (TLS 1.2
     * has no KeyUpdate; RFC 5077 §3.3 puts NewSessionTicket inside the
     * handshake), is out of order: RFC 5246 §7.4, unexpected_message. */
    return false;
}

static bool export_keying_material12(const sd_model *m, const char *label, uint8_t *out, size_t len) {
    /* RFC 5705 §4: PRF(master_secret, label, client_random + server_random)
     * without a context. */
    uint8_t seed[2 * SD_RANDOM_LEN];
    memcpy(seed, m->client_random, SD_RANDOM_LEN);
    memcpy(seed + SD_RANDOM_LEN, m->server_random, SD_RANDOM_LEN);
    return sd_tls12_prf(m->suite12->prf_md(), m->master, sizeof m->master, label, seed, sizeof seed, out,
                        len);
}

/* --- The table ------------------------------------------------------------------ */

/* Every step of the tls12-* shapes (sequences.c), RFC 5246 §7.3. The
 * client's first ClientHello is TLS 1.3's (model_tls13), sent before a
 * version is negotiated; this table sends only a renegotiation's. */
static const model_step kSteps12[] = {
    {SD_ClientHello, model12_on_client_hello, send_client_hello12},
    {SD_ServerHello, model12_on_server_hello, send_server_hello12},
    {SD_Certificate, on_certificate12, send_certificate12},
    {SD_CertificateStatus, on_certificate_status12, send_certificate_status12},
    {SD_ServerKeyExchange, on_server_key_exchange, send_server_key_exchange},
    {SD_CertificateRequest, on_certificate_request12, send_certificate_request12},
    {SD_ServerHelloDone, on_server_hello_done12, send_server_hello_done12},
    {SD_ClientKeyExchange, on_client_key_exchange, send_client_key_exchange},
    {SD_CertificateVerify, on_certificate_verify12, send_client_certificate_verify12},
    {SD_MSG_CHANGE_CIPHER_SPEC, on_change_cipher_spec12, send_change_cipher_spec12},
    {SD_NewSessionTicket, tls12_on_new_session_ticket, tls12_send_session_ticket},
    {SD_Finished, on_finished12, send_finished12},
};

const model_version model_tls12 = {
    .steps = kSteps12,
    .n_steps = COUNT(kSteps12),
    .check_second_client_hello = NULL, /* only TLS 1.3 has HelloRetryRequest */
    .on_post_handshake = on_post_handshake12,
    .on_handshake_done = tls12_on_handshake_done,
    .load_session = tls12_load_session,
    .export_keying_material = export_keying_material12,
};
