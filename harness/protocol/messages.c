/* messages.c — see messages.h. */
#include "protocol/messages.h"

#include <string.h>

#include "wire/cert_compression.h"
#include "wire/names.h"

const uint16_t sd_offered_suites[] = {SD_TLS_AES_128_GCM_SHA256, SD_TLS_AES_256_GCM_SHA384,
                                      SD_TLS_CHACHA20_POLY1305_SHA256};
const size_t sd_n_offered_suites = sizeof(sd_offered_suites) / sizeof(sd_offered_suites[0]);
const uint16_t sd_offered_groups[] = {SD_x25519, SD_secp256r1, SD_secp384r1};
const size_t sd_n_offered_groups = sizeof(sd_offered_groups) / sizeof(sd_offered_groups[0]);
/* Every scheme the harness signs and verifies in TLS 1.3 (crypto/signature.c);
 * ecdsa_secp521r1_sha512 last, so that the schemes before it keep their
 * place in the extension. */
const uint16_t sd_offered_sigalgs[] = {SD_ecdsa_secp256r1_sha256, SD_ecdsa_secp384r1_sha384,
                                       SD_rsa_pss_rsae_sha256,    SD_rsa_pss_rsae_sha384,
                                       SD_rsa_pss_rsae_sha512,    SD_ed25519,
                                       SD_ecdsa_secp521r1_sha512};
const size_t sd_n_offered_sigalgs = sizeof(sd_offered_sigalgs) / sizeof(sd_offered_sigalgs[0]);
/* RFC 8446 §4.2.3: rsa_pkcs1_* "MAY appear in "signature_algorithms" ...
 * for backward compatibility with TLS 1.2"; TLS 1.2 servers that cannot sign
 * with RSA-PSS (mbedTLS 2.28, wolfSSL) need them for RSA certificates. */
const uint16_t sd_offered_sigalgs_tls12[] = {SD_ecdsa_secp256r1_sha256, SD_ecdsa_secp384r1_sha384,
                                             SD_rsa_pss_rsae_sha256,    SD_rsa_pss_rsae_sha384,
                                             SD_rsa_pss_rsae_sha512,    SD_ed25519,
                                             SD_rsa_pkcs1_sha256,       SD_rsa_pkcs1_sha384,
                                             SD_rsa_pkcs1_sha512,       SD_ecdsa_secp521r1_sha512};
const size_t sd_n_offered_sigalgs_tls12 =
    sizeof(sd_offered_sigalgs_tls12) / sizeof(sd_offered_sigalgs_tls12[0]);

const sd_offer sd_default_offer = {
    sd_offered_suites,
    sizeof(sd_offered_suites) / sizeof(sd_offered_suites[0]),
    sd_offered_groups,
    sizeof(sd_offered_groups) / sizeof(sd_offered_groups[0]),
    sd_offered_sigalgs,
    sizeof(sd_offered_sigalgs) / sizeof(sd_offered_sigalgs[0]),
    SD_TLS13,
    SD_TLS13,
    {NULL, 0},
    {NULL, 0},
    false,
    {NULL, 0},
    0,
    0,
    false,
    NULL,
    0,
};

bool sd_u16_in(const uint16_t *list, size_t n, uint16_t v) {
    for (size_t i = 0; i < n; i++)
        if (list[i] == v) return true;
    return false;
}

void sd_msg_client_hello(sd_buf *body, const sd_offer *offer, const uint8_t *random, sd_span session_id,
                         const sd_key_share *share, const char *server_name, sd_span cookie,
                         const sd_psk_identity *psk) {
    sd_buf exts, tmp;
    sd_buf_init(&exts);
    sd_buf_init(&tmp);
    if (server_name && server_name[0]) {
        sd_build_server_name(&tmp, sd_span_of((const uint8_t *)server_name, strlen(server_name)));
        sd_build_extension(&exts, SD_server_name, sd_buf_span(&tmp));
    }
    if (offer->alpn.len) {
        sd_buf_reset(&tmp);
        sd_build_alpn(&tmp, offer->alpn);
        sd_build_extension(&exts, SD_application_layer_protocol_negotiation, sd_buf_span(&tmp));
    }
    if (offer->record_size_limit) {
        sd_buf_reset(&tmp);
        sd_build_record_size_limit(&tmp, offer->record_size_limit);
        sd_build_extension(&exts, SD_record_size_limit, sd_buf_span(&tmp));
    }
    /* RFC 7366 §2: "The "extension_data" field of this extension SHALL be
     * empty"; a TLS 1.2 matter (TLS 1.3 has no CBC suites). */
    if (offer->encrypt_then_mac && offer->min_version && offer->min_version <= SD_TLS12)
        sd_build_extension(&exts, SD_encrypt_then_mac, sd_span_of(NULL, 0));
    if (offer->max_fragment_length)
        sd_build_extension(&exts, SD_max_fragment_length, sd_span_of(&offer->max_fragment_length, 1));
    /* RFC 8879 §3: "Whenever it is sent by the client as a ClientHello
     * message extension ..., it indicates support for compressed server
     * certificates"; a TLS 1.3 extension. */
    if (offer->n_cert_compression && (!offer->max_version || offer->max_version >= SD_TLS13)) {
        sd_buf_reset(&tmp);
        sd_build_compress_certificate(&tmp, offer->cert_compression, offer->n_cert_compression);
        sd_build_extension(&exts, SD_compress_certificate, sd_buf_span(&tmp));
    }
    /* RFC 6066 §8: ask for a stapled OCSP response (status_type ocsp, no
     * responder ids, no extensions); RFC 8446 §4.4.2.1 carries it in the
     * leaf's CertificateEntry, TLS 1.2 in a CertificateStatus message. */
    static const uint8_t ocsp_request[] = {1, 0, 0, 0, 0};
    if (!offer->min_version || offer->min_version >= SD_TLS13 || offer->tls12_status_request)
        sd_build_extension(&exts, SD_status_request, sd_span_of(ocsp_request, sizeof ocsp_request));
    sd_buf_reset(&tmp);
    sd_build_u16_list(&tmp, 2, offer->groups, offer->n_groups);
    sd_build_extension(&exts, SD_supported_groups, sd_buf_span(&tmp));
    sd_buf_reset(&tmp);
    sd_build_u16_list(&tmp, 2, offer->sigalgs, offer->n_sigalgs);
    sd_build_extension(&exts, SD_signature_algorithms, sd_buf_span(&tmp));
    uint16_t min_version = offer->min_version ? offer->min_version : SD_TLS13;
    uint16_t max_version = offer->max_version ? offer->max_version : SD_TLS13;
    size_t off;
    if (max_version >= SD_TLS13) {
        sd_buf_reset(&tmp);
        uint16_t versions[2] = {SD_TLS13, SD_TLS12};
        sd_build_u16_list(&tmp, 1, versions, min_version <= SD_TLS12 ? 2 : 1);
        sd_build_extension(&exts, SD_supported_versions, sd_buf_span(&tmp));
        sd_buf_reset(&tmp);
        off = sd_buf_open_prefix(&tmp, 2);
        if (share)
            sd_build_key_share_entry(&tmp, share->group, sd_span_of(share->public_key, share->public_len));
        sd_buf_close_prefix(&tmp, off, 2);
        sd_build_extension(&exts, SD_key_share, sd_buf_span(&tmp));
    }
    if (min_version <= SD_TLS12) {
        /* RFC 7627 §5.1 and RFC 5746 §3.4: an initial handshake sends both,
         * renegotiation_info with an empty renegotiated_connection (§3.5: a
         * renegotiation, with client_verify_data). */
        sd_build_extension(&exts, SD_extended_master_secret, sd_span_of(NULL, 0));
        sd_buf_reset(&tmp);
        off = sd_buf_open_prefix(&tmp, 1);
        sd_buf_append_span(&tmp, offer->tls12_renegotiated_connection);
        sd_buf_close_prefix(&tmp, off, 1);
        sd_build_extension(&exts, SD_renegotiation_info, sd_buf_span(&tmp));
        sd_build_extension(&exts, SD_session_ticket, offer->tls12_ticket);
    }
    if (cookie.len) {
        /* RFC 8446 §4.2.2: the cookie from HelloRetryRequest is echoed. */
        sd_buf_reset(&tmp);
        off = sd_buf_open_prefix(&tmp, 2);
        sd_buf_append_span(&tmp, cookie);
        sd_buf_close_prefix(&tmp, off, 2);
        sd_build_extension(&exts, SD_cookie, sd_buf_span(&tmp));
    }
    /* §4.2.9: psk_dhe_ke (1), the only mode shakedown offers (resumption
     * keeps forward secrecy). Sent on every handshake: "Servers SHOULD NOT
     * send NewSessionTicket with tickets that are not compatible with the
     * advertised modes", so without it no ticket comes. */
    static const uint8_t modes[] = {1, 1};
    sd_build_extension(&exts, SD_psk_key_exchange_modes, sd_span_of(modes, sizeof modes));
    if (psk && psk->early_data) sd_build_extension(&exts, SD_early_data, sd_span_of(NULL, 0));
    if (psk) {
        /* §4.2.11: "The "pre_shared_key" extension MUST be the last extension
         * in the ClientHello". */
        sd_buf_reset(&tmp);
        off = sd_buf_open_prefix(&tmp, 2);
        size_t id = sd_buf_open_prefix(&tmp, 2);
        sd_buf_append_span(&tmp, psk->identity);
        sd_buf_close_prefix(&tmp, id, 2);
        sd_buf_u32(&tmp, psk->obfuscated_age);
        sd_buf_close_prefix(&tmp, off, 2);
        off = sd_buf_open_prefix(&tmp, 2);
        sd_buf_u8(&tmp, (uint8_t)psk->binder_len);
        for (size_t i = 0; i < psk->binder_len; i++) sd_buf_u8(&tmp, 0);
        sd_buf_close_prefix(&tmp, off, 2);
        sd_build_extension(&exts, SD_pre_shared_key, sd_buf_span(&tmp));
    }
    sd_buf suites;
    sd_buf_init(&suites);
    for (size_t i = 0; i < offer->n_suites; i++) sd_buf_u16(&suites, offer->suites[i]);
    static const uint8_t null_compression[] = {0};
    sd_client_hello ch = {
        .legacy_version = SD_TLS12, /* §4.1.2: "MUST be set to 0x0303" */
        .random = sd_span_of(random, SD_RANDOM_LEN),
        .legacy_session_id = session_id,
        .cipher_suites = sd_buf_span(&suites),
        .compression_methods = sd_span_of(null_compression, 1),
        .extensions = sd_buf_span(&exts),
        .has_extensions = true,
    };
    sd_build_client_hello(body, &ch);
    sd_buf_free(&exts);
    sd_buf_free(&tmp);
    sd_buf_free(&suites);
}

void sd_msg_server_hello(sd_buf *body, bool hrr, const uint8_t *random, sd_span session_id_echo,
                         uint16_t suite, uint16_t group, const sd_key_share *share, sd_span cookie,
                         int selected_psk) {
    sd_buf exts, tmp;
    sd_buf_init(&exts);
    sd_buf_init(&tmp);
    sd_buf_u16(&tmp, SD_TLS13);
    sd_build_extension(&exts, SD_supported_versions, sd_buf_span(&tmp));
    sd_buf_reset(&tmp);
    if (hrr && group == 0) {
        /* §4.1.4: a HelloRetryRequest that asks for no group (the cookie is
         * its change) has no key_share. */
    } else {
        if (hrr || !share)
            sd_buf_u16(&tmp, group); /* §4.2.8: HRR names the group only */
        else
            sd_build_key_share_entry(&tmp, share->group, sd_span_of(share->public_key, share->public_len));
        sd_build_extension(&exts, SD_key_share, sd_buf_span(&tmp));
    }
    if (cookie.len) {
        sd_buf_reset(&tmp);
        size_t off = sd_buf_open_prefix(&tmp, 2);
        sd_buf_append_span(&tmp, cookie);
        sd_buf_close_prefix(&tmp, off, 2);
        sd_build_extension(&exts, SD_cookie, sd_buf_span(&tmp));
    }
    if (selected_psk >= 0 && !hrr) {
        sd_buf_reset(&tmp);
        sd_buf_u16(&tmp, (uint16_t)selected_psk);
        sd_build_extension(&exts, SD_pre_shared_key, sd_buf_span(&tmp));
    }
    sd_server_hello sh = {
        .legacy_version = SD_TLS12,
        .random = sd_span_of(hrr ? sd_hrr_random : random, SD_RANDOM_LEN),
        .legacy_session_id_echo = session_id_echo,
        .cipher_suite = suite,
        .legacy_compression_method = 0,
        .extensions = sd_buf_span(&exts),
    };
    sd_build_server_hello(body, &sh);
    sd_buf_free(&exts);
    sd_buf_free(&tmp);
}

void sd_msg_certificate_request(sd_buf *body, sd_span context, const uint16_t *sigalgs, size_t n_sigalgs,
                                const uint16_t *cert_compression, size_t n_cert_compression) {
    sd_buf exts, tmp;
    sd_buf_init(&exts);
    sd_buf_init(&tmp);
    sd_build_u16_list(&tmp, 2, sigalgs, n_sigalgs);
    sd_build_extension(&exts, SD_signature_algorithms, sd_buf_span(&tmp));
    if (n_cert_compression) {
        sd_buf_reset(&tmp);
        sd_build_compress_certificate(&tmp, cert_compression, n_cert_compression);
        sd_build_extension(&exts, SD_compress_certificate, sd_buf_span(&tmp));
    }
    size_t off = sd_buf_open_prefix(body, 1);
    sd_buf_append_span(body, context);
    sd_buf_close_prefix(body, off, 1);
    off = sd_buf_open_prefix(body, 2);
    sd_buf_append_span(body, sd_buf_span(&exts));
    sd_buf_close_prefix(body, off, 2);
    sd_buf_free(&exts);
    sd_buf_free(&tmp);
}

void sd_msg_certificate_stapled(sd_buf *body, sd_span request_context, const sd_credential *cred,
                                const sd_span *ocsp) {
    sd_buf list, exts, status;
    sd_buf_init(&list);
    sd_buf_init(&exts);
    sd_buf_init(&status);
    if (ocsp) {
        /* CertificateStatus { status_type ocsp(1); OCSPResponse<1..2^24-1> } */
        sd_buf_u8(&status, 1);
        size_t off = sd_buf_open_prefix(&status, 3);
        sd_buf_append_span(&status, *ocsp);
        sd_buf_close_prefix(&status, off, 3);
        sd_build_extension(&exts, SD_status_request, sd_buf_span(&status));
    }
    for (size_t i = 0; cred && i < cred->chain_len; i++)
        sd_build_certificate_entry(&list, sd_span_of(cred->chain_der[i], cred->chain_der_len[i]),
                                   i == 0 ? sd_buf_span(&exts) : sd_span_of(NULL, 0));
    sd_certificate c = {.request_context = request_context, .certificate_list = sd_buf_span(&list)};
    sd_build_certificate(body, &c);
    sd_buf_free(&list);
    sd_buf_free(&exts);
    sd_buf_free(&status);
}

bool sd_msg_compressed_certificate(sd_buf *body, uint16_t alg, sd_span certificate_body) {
    sd_buf compressed;
    sd_buf_init(&compressed);
    bool ok = sd_cert_compress(alg, certificate_body, &compressed) && !compressed.failed;
    if (ok) {
        sd_compressed_certificate cc = {.algorithm = alg,
                                        .uncompressed_length = (uint32_t)certificate_body.len,
                                        .compressed = sd_buf_span(&compressed)};
        sd_build_compressed_certificate(body, &cc);
    }
    sd_buf_free(&compressed);
    return ok;
}

void sd_msg_certificate(sd_buf *body, sd_span request_context, const sd_credential *cred) {
    sd_msg_certificate_stapled(body, request_context, cred, NULL);
}

uint16_t sd_pick_signature_scheme(const uint16_t *offered, size_t n, const EVP_PKEY *key) {
    for (size_t i = 0; key && i < n; i++)
        if (sd_signature_scheme_matches_key(offered[i], key)) return offered[i];
    return 0;
}

static bool certificate_verify(sd_buf *body, EVP_PKEY *key, uint16_t scheme, bool server,
                               const uint8_t *transcript_hash, size_t hash_len, bool steady) {
    sd_buf input, sig;
    sd_buf_init(&input);
    sd_buf_init(&sig);
    sd_certificate_verify_input(server, transcript_hash, hash_len, &input);
    bool ok = steady ? sd_sign_steady(key, scheme, sd_buf_span(&input), &sig)
                     : sd_sign(key, scheme, sd_buf_span(&input), &sig);
    if (ok) {
        sd_certificate_verify cv = {.algorithm = scheme, .signature = sd_buf_span(&sig)};
        sd_build_certificate_verify(body, &cv);
    }
    sd_buf_free(&input);
    sd_buf_free(&sig);
    return ok;
}

bool sd_msg_certificate_verify(sd_buf *body, EVP_PKEY *key, uint16_t scheme, bool server,
                               const uint8_t *transcript_hash, size_t hash_len) {
    return certificate_verify(body, key, scheme, server, transcript_hash, hash_len, false);
}

bool sd_msg_certificate_verify_steady(sd_buf *body, EVP_PKEY *key, uint16_t scheme, bool server,
                                      const uint8_t *transcript_hash, size_t hash_len) {
    return certificate_verify(body, key, scheme, server, transcript_hash, hash_len, true);
}

bool sd_msg_finished(sd_buf *body, const sd_suite *suite, const uint8_t *base_key,
                     const uint8_t *transcript_hash) {
    uint8_t verify[SD_MAX_HASH_LEN];
    if (!sd_finished_verify_data(suite->md(), base_key, transcript_hash, verify)) return false;
    sd_buf_append(body, verify, suite->hash_len);
    return true;
}
