/* driver_messages.c — the honest body of each handshake message the driver
 * sends, TLS 1.3 and TLS 1.2, built from the session state as a peer that
 * follows the protocol would build it. The mutations that change how a
 * message is built (cert=, sign-with=, wrong-key, wrong-transcript,
 * bad-point, empty, and TLS 1.2 DHE's dh-public=, dh-public-p-minus=,
 * dh-g=, dh-group=) are read here; the others apply to the built body
 * afterwards (driver_mutations.c). See driver_state.h for where this file
 * sits. */
#include "driver/driver_state.h"

#include <string.h>

#include <openssl/bn.h>

#include "protocol/messages.h"
#include "wire/cert_compression.h"
#include "wire/handshake.h"
#include "wire/names.h"
#include "wire/tls12.h"

/* --- Choices a server makes from the client's offer ----------------------- */

static bool peer_offers_group(const driver *d, uint16_t group) {
    for (size_t i = 0; i < d->n_peer_groups; i++)
        if (d->peer_groups[i] == group) return true;
    return false;
}

/* A client offers every group it can use; the defaults alone would leave a
 * server that accepts only P-521, X448 or an FFDHE group (`groups:`)
 * nothing to choose (RFC 8446 §4.2.7, RFC 8422 §5.1.1, RFC 7919 §3), where
 * an honest client that has the group offers it. The key share stays
 * X25519's: such a server asks for its group with a HelloRetryRequest. */
size_t driver_offered_groups(const driver *d, uint16_t *out) {
    size_t n = 0;
    for (size_t i = 0; i < sd_n_offered_groups; i++) out[n++] = sd_offered_groups[i];
    for (size_t i = 0; i < d->cfg->n_target_groups && n < DRIVER_MAX_OFFERED_GROUPS; i++)
        if (!sd_u16_in(out, n, d->cfg->target_groups[i]) && sd_group_supported(d->cfg->target_groups[i]))
            out[n++] = d->cfg->target_groups[i];
    return n;
}

/* TLS 1.3 server: the suite from the client's list (or the scenario's). */
static const sd_suite *choose_suite13(const driver *d) {
    if (d->cfg->cipher_suite && sd_suite_find(d->cfg->cipher_suite))
        return sd_suite_find(d->cfg->cipher_suite);
    for (size_t i = 0; i < d->n_peer_suites; i++)
        if (sd_suite_find(d->peer_suites[i])) return sd_suite_find(d->peer_suites[i]);
    return sd_suite_find(SD_TLS_AES_128_GCM_SHA256);
}

/* TLS 1.2 server: the scenario's suite, else the client's first that fits
 * the driver's credential (ECDSA key: ECDHE_ECDSA; RSA key: ECDHE_RSA or
 * static RSA). */
static const sd_tls12_suite *choose_suite12(const driver *d, const sd_credential *cred) {
    if (d->cfg->cipher_suite && sd_tls12_suite_find(d->cfg->cipher_suite))
        return sd_tls12_suite_find(d->cfg->cipher_suite);
    for (size_t i = 0; i < d->n_peer_suites; i++) {
        const sd_tls12_suite *s = sd_tls12_suite_find(d->peer_suites[i]);
        if (s && (!cred || !cred->key || sd_tls12_key_fits_suite(s, cred->key))) return s;
    }
    for (size_t i = 0; i < sd_tls12_n_default_suites; i++) {
        const sd_tls12_suite *s = sd_tls12_suite_find(sd_tls12_default_suites[i]);
        if (s && (!cred || !cred->key || sd_tls12_key_fits_suite(s, cred->key))) return s;
    }
    return sd_tls12_suite_find(sd_tls12_default_suites[0]);
}

/* TLS 1.2 and 1.3 server: the first of the client's groups we support; in
 * TLS 1.2 an elliptic curve (RFC 8422 §5.1.1: FFDHE groups, RFC 7919, are
 * for DHE suites, which the driver has not). */
static uint16_t choose_group(const driver *d, const uint16_t *avoid, size_t n_avoid) {
    for (size_t i = 0; i < d->n_peer_groups; i++)
        if (sd_group_supported(d->peer_groups[i]) && !sd_u16_in(avoid, n_avoid, d->peer_groups[i]) &&
            !(d->tls12 && sd_group_is_ffdhe(d->peer_groups[i])))
            return d->peer_groups[i];
    for (size_t i = 0; i < sd_n_offered_groups; i++)
        if (!sd_u16_in(avoid, n_avoid, sd_offered_groups[i])) return sd_offered_groups[i];
    return SD_x25519;
}

/* --- Signatures ----------------------------------------------------------- */

/* TLS 1.2: the peer's first scheme that fits key, else a default for it. */
static uint16_t pick_scheme12(const driver *d, const EVP_PKEY *key) {
    for (size_t i = 0; i < d->n_peer_sigalgs; i++)
        if (sd_tls12_signature_scheme_matches_key(d->peer_sigalgs[i], key)) return d->peer_sigalgs[i];
    for (size_t i = 0; i < sd_n_offered_sigalgs_tls12; i++)
        if (sd_tls12_signature_scheme_matches_key(sd_offered_sigalgs_tls12[i], key))
            return sd_offered_sigalgs_tls12[i];
    return EVP_PKEY_id(key) == EVP_PKEY_RSA ? SD_rsa_pkcs1_sha256 : SD_ecdsa_secp256r1_sha256;
}

/* The scheme of an honest signature by key: one the peer offered. A peer
 * that listed schemes, none of which fits the key, cannot be answered
 * honestly (RFC 8446 §4.4.3: "the signature algorithm MUST be one offered
 * in the client's "signature_algorithms" extension"; RFC 5246 §7.4.8: "The
 * hash and signature algorithms used in the signature MUST be one of those
 * present in the supported_signature_algorithms field of the
 * CertificateRequest message"): the message is
 * signed under the driver's own choice, and the run's premise, a peer that
 * takes this credential, is marked not made, so that the verdict does not
 * score a refusal the RFC asks for. An action that names the key or the
 * scheme (sign-with=, scheme=, wrong-key) deviates there on purpose. */
static void check_peer_offered(driver *d, const sd_action *a, uint16_t scheme, const uint16_t *offered,
                               size_t n_offered) {
    if (!n_offered || sd_u16_in(offered, n_offered, scheme)) return;
    if (driver_find_mutation(a, SD_MUT_SIGN_WITH) || driver_find_mutation(a, SD_MUT_SCHEME) ||
        driver_find_mutation(a, SD_MUT_WRONG_KEY))
        return;
    d->deviation_not_made = true;
    d->not_made_why = "the peer offered no signature scheme that fits the credential's key";
}

/* scheme=<n>: the SignatureScheme the message names, whatever the peer
 * offered or the key is (RFC 8446 §4.4.3, RFC 5246 §7.4.1.4.1 and §7.4.8
 * hold the receiver to both). The signature is the one that scheme makes
 * where the key can make it: first by TLS 1.3's rules (the curve bound to
 * the scheme), else by TLS 1.2's (an ECDSA key with the scheme's hash
 * whatever its curve, RSASSA-PKCS1-v1_5, so that a TLS 1.3 CertificateVerify
 * can carry a valid rsa_pkcs1_sha256 signature, §4.2.3's "MUST NOT"); a
 * scheme the key cannot make at all (ECDSA with an RSA key) names the
 * honest scheme's signature. `tls13` picks the TLS 1.3 table first. */
static bool signed_with_scheme(EVP_PKEY *key, uint16_t scheme, uint16_t honest, bool tls13, sd_span content,
                               sd_buf *sig) {
    sd_buf_reset(sig);
    if (tls13 && sd_signature_scheme_matches_key(scheme, key))
        return sd_sign_steady(key, scheme, content, sig);
    if (sd_tls12_signature_scheme_matches_key(scheme, key))
        return sd_tls12_sign_steady(key, scheme, content, sig);
    return tls13 ? sd_sign_steady(key, honest, content, sig)
                 : sd_tls12_sign_steady(key, honest, content, sig);
}

/* The driver's ECDSA signatures have one length per key, so that a
 * mutation at a fixed offset (flip=, truncate=) hits the same field against
 * both stacks (sd_ecdsa_steady_signature_len, crypto/crypto.h). */
static bool sign12_steady(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_buf *sig) {
    sd_buf_reset(sig);
    return sd_tls12_sign_steady(key, scheme, message, sig);
}

/* TLS 1.2: the key ServerKeyExchange and CertificateVerify sign with: the
 * credential's, or another of its type (wrong-key), or the one sign-with=
 * names. */
static EVP_PKEY *signing_key12(const driver *d, const sd_action *a, const sd_credential *cred) {
    EVP_PKEY *key = cred->key;
    if (driver_find_mutation(a, SD_MUT_WRONG_KEY) && driver_other_key(d, key)) key = driver_other_key(d, key);
    if (driver_sign_with_key(d, a)) key = driver_sign_with_key(d, a);
    return key;
}

bool driver_staples(const driver *d) { return d->role == SD_ROLE_SERVER && d->staple && d->peer_wants_ocsp; }

/* --- TLS 1.3 (RFC 8446) --------------------------------------------------- */

static bool build_client_hello13(driver *d, const sd_action *a, sd_buf *body) {
    if (d->share.public_len == 0 && !sd_key_share_generate(&d->share, SD_x25519, &d->rng)) return false;
    sd_key_share bad = driver_corrupt_point(&d->share);
    /* The scenario's `cipher-suite:`, the one suite offered, else the
     * driver's defaults. */
    sd_offer offer = sd_default_offer;
    if (d->cfg->cipher_suite) {
        offer.suites = &d->cfg->cipher_suite;
        offer.n_suites = 1;
    }
    uint16_t groups[DRIVER_MAX_OFFERED_GROUPS];
    offer.groups = groups;
    offer.n_groups = driver_offered_groups(d, groups);
    offer.record_size_limit = d->cfg->record_size_limit;
    offer.max_fragment_length = d->cfg->max_fragment_length;
    /* RFC 8879 §3: `certificate-compression:` is offered, so the server
     * under test may compress its Certificate. */
    offer.cert_compression = d->cfg->cert_compression;
    offer.n_cert_compression = d->cfg->n_cert_compression;
    d->cc_offered = d->cfg->n_cert_compression > 0;
    sd_msg_client_hello(body, &offer, d->client_random, sd_span_of(d->session_id, d->session_id_len),
                        driver_find_mutation(a, SD_MUT_BAD_POINT) ? &bad : &d->share, d->cfg->server_name,
                        sd_span_of(d->cookie, d->cookie_len), NULL);
    /* A later connection offers the ticket the last one left (RFC 8446
     * §2.2), as the last extension with its binder (§4.2.11). */
    driver_offer_psk13(d, a, body);
    return true;
}

/* secret-leading-zero: draws the driver's share until the secret it agrees
 * with the peer's share starts with a zero byte, as one in 256 do: where
 * the RFCs strip that byte (RFC 5246 §8.1.2, TLS 1.2 DHE) or keep it (RFC
 * 8422 §5.10, RFC 8446 §7.4.1 and §7.4.2), a peer that does the other
 * derives other keys. Tries a bounded number of times ((255/256)^4096 is
 * about 10^-7). */
#define LEADING_ZERO_TRIES 4096
static bool draw_share_for_leading_zero(driver *d, uint16_t group, sd_span peer) {
    uint8_t secret[SD_MAX_SHARED_SECRET_LEN], alert;
    size_t len;
    for (int i = 0; i < LEADING_ZERO_TRIES; i++) {
        if (!sd_key_share_generate(&d->share, group, &d->rng)) return false;
        if (sd_key_share_derive(&d->share, peer, secret, &len, &alert) && len > 0 && secret[0] == 0)
            return true;
    }
    return false;
}

static bool build_server_hello13(driver *d, const sd_action *a, sd_buf *body) {
    d->suite = choose_suite13(d);
    uint16_t group = d->share.group ? d->share.group : SD_x25519;
    if (driver_find_mutation(a, SD_MUT_SECRET_LEADING_ZERO) && d->peer_share.len) {
        if (!draw_share_for_leading_zero(d, group, sd_buf_span(&d->peer_share))) return false;
    } else if (!sd_key_share_generate(&d->share, group, &d->rng)) {
        return false;
    }
    uint8_t random[SD_RANDOM_LEN];
    sd_rng_bytes(&d->rng, random, sizeof(random));
    sd_key_share bad = driver_corrupt_point(&d->share);
    /* §4.2.11: a server that resumes names the identity it selected: the
     * ticket the driver issued in an earlier connection, if the client
     * offered it and its PSK's hash is the suite's. */
    d->psk_accepted =
        d->psk_selected >= 0 && d->session && d->session->suite && d->session->suite->md() == d->suite->md();
    sd_msg_server_hello(body, false, random, sd_span_of(d->session_id, d->session_id_len), d->suite->id,
                        group, driver_find_mutation(a, SD_MUT_BAD_POINT) ? &bad : &d->share,
                        sd_span_of(NULL, 0), d->psk_accepted ? d->psk_selected : -1);
    return true;
}

/* §4.1.4: ask for a group the client supports but sent no share for. */
static bool build_hello_retry_request(driver *d, sd_buf *body) {
    d->suite = choose_suite13(d);
    /* §4.2.8: "the selected_group field does not correspond to a group
     * which was provided in the "key_share" extension in the original
     * ClientHello": none of the client's shares, not only the one taken. */
    uint16_t avoid[17];
    size_t n_avoid = d->n_peer_share_groups;
    memcpy(avoid, d->peer_share_groups, n_avoid * sizeof *avoid);
    avoid[n_avoid++] = d->share.group;
    uint16_t group = choose_group(d, avoid, n_avoid);
    /* §4.2.8: the client "MUST verify that (1) the selected_group field
     * corresponds to a group which was provided in the "supported_groups"
     * extension". A client that lists only the group it sent a share for
     * (wolfSSL when it resumes) leaves no group to ask for. §4.1.4 asks only
     * that a HelloRetryRequest change the ClientHello, so this one carries a
     * cookie (§4.2.2: "the client MUST copy the contents of the extension
     * received in the HelloRetryRequest into a "cookie" extension in the
     * new ClientHello") and no key_share, and the client keeps its share. */
    uint8_t cookie[16];
    size_t cookie_len = 0;
    if (!peer_offers_group(d, group)) {
        group = 0;
        sd_rng_bytes(&d->rng, cookie, sizeof cookie);
        cookie_len = sizeof cookie;
    }
    sd_msg_server_hello(body, true, sd_hrr_random, sd_span_of(d->session_id, d->session_id_len), d->suite->id,
                        group, NULL, sd_span_of(cookie, cookie_len), -1);
    /* The second ClientHello's share in that group is what counts. */
    uint16_t next_group = group ? group : d->share.group;
    memset(&d->share, 0, sizeof d->share);
    d->share.group = next_group;
    sd_buf_reset(&d->peer_share);
    return true;
}

/* §4.6.1: a ticket, random bytes the driver keeps with its PSK, so that a
 * later connection of the trace can resume it (driver_keys.c). */
static bool build_new_session_ticket13(driver *d, sd_buf *body) {
    uint8_t ticket[32], age_add[4];
    static const uint8_t nonce[1] = {0};
    sd_rng_bytes(&d->rng, ticket, sizeof ticket);
    sd_rng_bytes(&d->rng, age_add, sizeof age_add);
    driver_keep_issued_ticket13(d, sd_span_of(ticket, sizeof ticket), sd_span_of(nonce, sizeof nonce),
                                (uint32_t)age_add[0] << 24 | (uint32_t)age_add[1] << 16 |
                                    (uint32_t)age_add[2] << 8 | age_add[3]);
    sd_new_session_ticket t = {
        .ticket_lifetime = 7200,
        .ticket_age_add =
            (uint32_t)age_add[0] << 24 | (uint32_t)age_add[1] << 16 | (uint32_t)age_add[2] << 8 | age_add[3],
        .ticket_nonce = sd_span_of(nonce, sizeof nonce),
        .ticket = sd_span_of(ticket, sizeof ticket),
        .extensions = sd_span_of(NULL, 0),
    };
    /* `early-data: on`: the ticket allows 0-RTT (§4.6.1 early_data,
     * max_early_data_size). */
    uint8_t early[8] = {SD_early_data >> 8,
                        SD_early_data & 0xff,
                        0,
                        4,
                        (uint8_t)(SD_EARLY_DATA_MAX >> 24),
                        (uint8_t)(SD_EARLY_DATA_MAX >> 16),
                        (uint8_t)(SD_EARLY_DATA_MAX >> 8),
                        (uint8_t)SD_EARLY_DATA_MAX};
    if (d->cfg->early_data) t.extensions = sd_span_of(early, sizeof early);
    sd_build_new_session_ticket(body, &t);
    return true;
}

static bool build_certificate_verify13(driver *d, const sd_action *a, sd_buf *body) {
    bool client = d->role == SD_ROLE_CLIENT;
    uint8_t hash[SD_MAX_HASH_LEN];
    const sd_credential *cred = driver_credential(d, a);
    if (!cred || !cred->key || !d->suite || !sd_rl_transcript_hash(&d->rl, d->suite, hash)) return false;
    EVP_PKEY *key = cred->key;
    const uint16_t *offered = client ? sd_offered_sigalgs : d->peer_sigalgs;
    size_t n_offered = client ? sd_n_offered_sigalgs : d->n_peer_sigalgs;
    if (driver_sign_with_key(d, a)) key = driver_sign_with_key(d, a); /* and a scheme that fits it */
    uint16_t scheme = sd_pick_signature_scheme(offered, n_offered, key);
    if (!scheme) scheme = sd_pick_signature_scheme(sd_offered_sigalgs, sd_n_offered_sigalgs, key);
    if (!client) check_peer_offered(d, a, scheme, offered, n_offered);
    if (driver_find_mutation(a, SD_MUT_WRONG_KEY)) {
        /* Sign with a key that is not the certificate's. */
        const sd_credential *other = sd_pki_find(d->cfg->pki, "client");
        if (other && other->key) key = other->key;
    }
    sd_buf_reset(body);
    const sd_mutation *named = driver_find_mutation(a, SD_MUT_SCHEME);
    if (named) {
        sd_buf input, sig;
        sd_buf_init(&input);
        sd_buf_init(&sig);
        sd_certificate_verify_input(!client, hash, d->suite->hash_len, &input);
        bool ok = signed_with_scheme(key, (uint16_t)named->value, scheme, true, sd_buf_span(&input), &sig);
        if (ok) {
            sd_certificate_verify cv = {.algorithm = (uint16_t)named->value, .signature = sd_buf_span(&sig)};
            sd_build_certificate_verify(body, &cv);
        }
        sd_buf_free(&input);
        sd_buf_free(&sig);
        return ok;
    }
    /* The signature's length is steady (sd_ecdsa_steady_signature_len). */
    return sd_msg_certificate_verify_steady(body, key, scheme, !client, hash, d->suite->hash_len);
}

static bool build_finished13(driver *d, const sd_action *a, sd_buf *body) {
    uint8_t hash[SD_MAX_HASH_LEN];
    if (!d->have_handshake_secrets || !sd_rl_transcript_hash(&d->rl, d->suite, hash)) return false;
    if (driver_find_mutation(a, SD_MUT_WRONG_TRANSCRIPT) &&
        !driver_hash_without_last(d, d->suite->md(), hash))
        return false;
    /* wrong-key: the other side's key. */
    bool use_client_key = (d->role == SD_ROLE_CLIENT) != (driver_find_mutation(a, SD_MUT_WRONG_KEY) != NULL);
    return sd_msg_finished(body, d->suite,
                           use_client_key ? d->ks.client_handshake_traffic : d->ks.server_handshake_traffic,
                           hash);
}

/* RFC 7301 §3.1: the driver as server answers ALPN with one protocol, the
 * client's first, when the client under test was set up with protocols
 * (`alpn:`): a server that speaks whatever it is asked for. Without the
 * header it takes no part in ALPN, as a server without protocols. In TLS
 * 1.3 the answer goes in EncryptedExtensions (RFC 8446 §4.2), in TLS 1.2
 * in the ServerHello. */
static void add_alpn_answer(driver *d, sd_buf *exts) {
    if (!d->cfg->target_alpn.len || !d->peer_alpn_valid) return;
    sd_buf ext;
    sd_buf_init(&ext);
    sd_build_alpn_answer(&ext, sd_span_of(d->peer_alpn_first, d->peer_alpn_first_len));
    sd_build_extension(exts, SD_application_layer_protocol_negotiation, sd_buf_span(&ext));
    sd_buf_free(&ext);
}

/* RFC 8449 §4: the driver as server answers a client's record_size_limit
 * with its own when the scenario set one (`record-size-limit:`); in TLS 1.3
 * in EncryptedExtensions, in TLS 1.2 in the ServerHello. */
static void add_record_size_limit_answer(driver *d, sd_buf *exts) {
    if (!d->cfg->record_size_limit || !d->peer_record_limit_offer) return;
    sd_buf ext;
    sd_buf_init(&ext);
    sd_build_record_size_limit(&ext, d->cfg->record_size_limit);
    sd_build_extension(exts, SD_record_size_limit, sd_buf_span(&ext));
    sd_buf_free(&ext);
}

/* RFC 6066 §4: the driver as server accepts the length a client requests
 * when the scenario set max_fragment_length (`max-fragment-length:`),
 * echoing it ("whose value is the same as the requested maximum fragment
 * length"); in TLS 1.3 in EncryptedExtensions (RFC 8446 §4.2). */
static void add_max_fragment_length_answer(driver *d, sd_buf *exts) {
    if (!d->cfg->max_fragment_length || !d->peer_fragment_length_request) return;
    sd_build_extension(exts, SD_max_fragment_length, sd_span_of(&d->peer_fragment_length_request, 1));
}

static void build_certificate13(driver *d, const sd_action *a, sd_buf *body) {
    const sd_credential *cred = driver_find_mutation(a, SD_MUT_EMPTY) ? NULL : driver_credential(d, a);
    /* §4.4.2.2: the certificate "MUST be compatible with" the peer's
     * signature_algorithms (its ClientHello's, or the CertificateRequest's):
     * one whose key makes none of them is no honest answer. */
    if (cred && cred->key)
        check_peer_offered(d, a, sd_pick_signature_scheme(d->peer_sigalgs, d->n_peer_sigalgs, cred->key),
                           d->peer_sigalgs, d->n_peer_sigalgs);
    /* §4.4.2.1: a server staples its OCSP response to the leaf's entry
     * when the client asked with status_request. */
    sd_msg_certificate_stapled(body, sd_span_of(NULL, 0), cred, driver_staples(d) ? d->staple : NULL);
}

/* RFC 8879 §4: the Certificate the action would send (cert=, empty too),
 * compressed with the first algorithm of the target's list the driver has
 * (zlib when the target offered none: a CompressedCertificate nobody asked
 * for). The CompressedCertificate mutations (trace.h) change the algorithm,
 * what is compressed, and uncompressed_length. */
static bool build_compressed_certificate(driver *d, const sd_action *a, sd_buf *body) {
    sd_buf certificate, compressed;
    sd_buf_init(&certificate);
    sd_buf_init(&compressed);
    const sd_mutation *alg_mu = driver_find_mutation(a, SD_MUT_COMPRESSION_ALG);
    const sd_mutation *length_mu = driver_find_mutation(a, SD_MUT_UNCOMPRESSED_LENGTH);
    const sd_mutation *content_mu = driver_find_mutation(a, SD_MUT_UNCOMPRESSED);
    const sd_mutation *inflate_mu = driver_find_mutation(a, SD_MUT_INFLATE);
    uint16_t alg = alg_mu           ? (uint16_t)alg_mu->value
                   : d->cc_peer_alg ? d->cc_peer_alg
                                    : SD_CERT_COMPRESSION_ZLIB;
    if (content_mu)
        sd_buf_append(&certificate, content_mu->bytes, content_mu->bytes_len);
    else
        build_certificate13(d, a, &certificate);
    size_t honest_len = certificate.len;
    /* inflate=: zeros after the Certificate, which compress to almost
     * nothing; uncompressed_length still says the Certificate's length. */
    static const uint8_t zeros[4096];
    for (long left = inflate_mu ? inflate_mu->value : 0; left > 0; left -= (long)sizeof zeros)
        sd_buf_append(&certificate, zeros, left < (long)sizeof zeros ? (size_t)left : sizeof zeros);
    bool ok = !certificate.failed &&
              sd_cert_compress(sd_cert_compression_supported(alg) ? alg : SD_CERT_COMPRESSION_ZLIB,
                               sd_buf_span(&certificate), &compressed) &&
              !compressed.failed;
    if (ok) {
        sd_compressed_certificate cc = {.algorithm = alg,
                                        .uncompressed_length =
                                            length_mu ? (uint32_t)length_mu->value : (uint32_t)honest_len,
                                        .compressed = sd_buf_span(&compressed)};
        sd_build_compressed_certificate(body, &cc);
    }
    sd_buf_free(&compressed);
    sd_buf_free(&certificate);
    return ok;
}

static bool build_body13(driver *d, const sd_action *a, sd_buf *body) {
    switch (a->msg_type) {
    case SD_ClientHello:
        return build_client_hello13(d, a, body);
    case SD_ServerHello:
        return build_server_hello13(d, a, body);
    case SD_MSG_TYPE_HELLO_RETRY_REQUEST:
        return build_hello_retry_request(d, body);
    case SD_CertificateRequest:
        /* §4.3.2: an empty context in the main handshake; RFC 8879 §3: the
         * driver's algorithms, so the client under test may compress. */
        sd_msg_certificate_request(body, sd_span_of(NULL, 0), sd_offered_sigalgs, sd_n_offered_sigalgs,
                                   d->cfg->cert_compression, d->cfg->n_cert_compression);
        d->cc_offered = d->cfg->n_cert_compression > 0;
        return true;
    case SD_NewSessionTicket:
        return build_new_session_ticket13(d, body);
    case SD_KeyUpdate: {
        /* §4.6.3: update_not_requested(0); body=01 asks the target to answer. */
        static const uint8_t not_requested = 0;
        sd_buf_append(body, &not_requested, 1);
        return true;
    }
    case SD_EncryptedExtensions: {
        /* §4.2.10: an empty early_data extension accepts the client's 0-RTT,
         * which the driver reads (driver_keys.c). */
        static const uint8_t accepting[] = {SD_early_data >> 8, SD_early_data & 0xff, 0, 0};
        /* Only as an honest server would: the PSK selected (§4.2.10: "In
         * order to accept early data, the server MUST have accepted a PSK
         * cipher suite and selected the first key offered") and a ticket
         * that allowed some (§4.6.1 max_early_data_size). */
        bool accept = d->early_reading && d->psk_accepted && d->session && d->session->issued_max_early > 0;
        sd_buf exts;
        sd_buf_init(&exts);
        add_alpn_answer(d, &exts);
        add_record_size_limit_answer(d, &exts);
        add_max_fragment_length_answer(d, &exts);
        if (accept) sd_buf_append(&exts, accepting, sizeof accepting);
        sd_build_encrypted_extensions(body, sd_buf_span(&exts));
        sd_buf_free(&exts);
        return true;
    }
    case SD_Certificate:
        build_certificate13(d, a, body);
        return true;
    case SD_CompressedCertificate:
        return build_compressed_certificate(d, a, body);
    case SD_CertificateVerify:
        return build_certificate_verify13(d, a, body);
    case SD_Finished:
        return build_finished13(d, a, body);
    default:
        return false;
    }
}

/* --- TLS 1.2 (RFC 5246) --------------------------------------------------- */

/* RFC 5246 §7.4.1.2 with RFC 7627 and RFC 5746: legacy_version 0x0303, the
 * TLS 1.2 suites, supported_groups, signature_algorithms,
 * extended_master_secret and an empty renegotiation_info; no
 * supported_versions or key_share. */
static bool build_client_hello12(driver *d, sd_buf *body) {
    sd_offer offer = sd_default_offer;
    offer.suites = d->cfg->cipher_suite ? &d->cfg->cipher_suite : sd_tls12_default_suites;
    offer.n_suites = d->cfg->cipher_suite ? 1 : sd_tls12_n_default_suites;
    offer.min_version = offer.max_version = SD_TLS12;
    offer.encrypt_then_mac = d->cfg->encrypt_then_mac;
    offer.record_size_limit = d->cfg->record_size_limit;
    offer.max_fragment_length = d->cfg->max_fragment_length;
    offer.sigalgs = sd_offered_sigalgs_tls12;
    offer.n_sigalgs = sd_n_offered_sigalgs_tls12;
    uint16_t groups[DRIVER_MAX_OFFERED_GROUPS];
    offer.groups = groups;
    offer.n_groups = driver_offered_groups(d, groups);
    /* RFC 5077 §3.2: the ticket of the kept session, or an empty
     * session_ticket asking for one; a renegotiation offers none. */
    const driver_session *s = d->session;
    if (s && s->have_session12 && s->ticket12.len && !d->renegotiating)
        offer.tls12_ticket = sd_buf_span(&s->ticket12);
    sd_msg_client_hello(body, &offer, d->client_random, sd_span_of(d->session_id, d->session_id_len), NULL,
                        d->cfg->server_name, sd_span_of(NULL, 0), NULL);
    if (d->renegotiating && d->have_client_verify_data) {
        /* RFC 5746 §3.5: "The client MUST include the "renegotiation_info"
         * extension in the ClientHello, containing the saved
         * client_verify_data." */
        uint8_t info[1 + sizeof d->client_verify_data];
        info[0] = sizeof d->client_verify_data;
        memcpy(info + 1, d->client_verify_data, sizeof d->client_verify_data);
        sd_mutation drop = {.kind = SD_MUT_DROP_EXT, .value = SD_renegotiation_info};
        sd_mutation add = {
            .kind = SD_MUT_ADD_EXT, .value = SD_renegotiation_info, .bytes = info, .bytes_len = sizeof info};
        driver_edit_extensions(SD_ClientHello, true, &drop, body);
        driver_edit_extensions(SD_ClientHello, true, &add, body);
    }
    return true;
}

/* A TLS 1.2 ServerHello. When the client offered the session the driver
 * kept (peer_offers_session12), it resumes: RFC 5246 §7.4.1.3 "the
 * session_id ... same Session ID value" (RFC 5077 §3.4 the same with a
 * ticket), the session's cipher_suite ("For resumed sessions, this field is
 * the value from the state of the session being resumed"), and
 * extended_master_secret as the session used it (RFC 7627 §5.3). The
 * driver obeys the trace: it resumes whatever else the ClientHello says,
 * and leaves the checks to the client under test. Otherwise a full
 * handshake, under a fresh session id when a later connection may resume
 * it (none when a ticket will carry the session). */
static bool build_server_hello12(driver *d, const sd_action *a, sd_buf *body) {
    bool resume = d->peer_offers_session12;
    /* A ServerHello that announces a ticket (RFC 5077 §3.2, the trace's
     * add-ext=session_ticket) names no session id: the ticket carries the
     * session (§3.3), as the model and BoringSSL servers do it. */
    bool announces_ticket = d->cfg->tls12_announce_ticket;
    for (size_t i = 0; i < a->n_mutations && i < SD_MAX_MUTATIONS; i++)
        if (a->mutations[i].kind == SD_MUT_ADD_EXT && a->mutations[i].value == SD_session_ticket)
            announces_ticket = true;
    const sd_tls12_suite *suite = resume ? d->session->suite12 : choose_suite12(d, driver_credential(d, a));
    sd_buf exts;
    sd_buf_init(&exts);
    sd_rng_bytes(&d->rng, d->server_random, SD_RANDOM_LEN);
    uint8_t new_id[32];
    sd_span session_id = sd_span_of(NULL, 0); /* not resumable (§7.4.1.3) */
    if (resume) {
        session_id = sd_span_of(d->session_id, d->session_id_len);
    } else if (d->several_connections && !announces_ticket) {
        sd_rng_bytes(&d->rng, new_id, sizeof new_id);
        session_id = sd_span_of(new_id, sizeof new_id);
    }
    /* RFC 7627 §5.2 and RFC 5746 §3.6: echoed when the client sent them. */
    if (resume ? d->session->ems12 : d->client_ems)
        sd_build_extension(&exts, SD_extended_master_secret, sd_span_of(NULL, 0));
    if (d->client_reneg && d->renegotiation12 && d->have_client_verify_data && d->have_server_verify_data) {
        /* RFC 5746 §3.7: "The server MUST include a "renegotiation_info"
         * extension containing the saved client_verify_data and
         * server_verify_data in the ServerHello." */
        uint8_t info[1 + sizeof d->client_verify_data + sizeof d->server_verify_data];
        info[0] = sizeof info - 1;
        memcpy(info + 1, d->client_verify_data, sizeof d->client_verify_data);
        memcpy(info + 1 + sizeof d->client_verify_data, d->server_verify_data, sizeof d->server_verify_data);
        sd_build_extension(&exts, SD_renegotiation_info, sd_span_of(info, sizeof info));
    } else if (d->client_reneg) {
        static const uint8_t empty[] = {0};
        sd_build_extension(&exts, SD_renegotiation_info, sd_span_of(empty, 1));
    }
    if (d->cfg->tls12_announce_ticket) sd_build_extension(&exts, SD_session_ticket, sd_span_of(NULL, 0));
    /* RFC 6066 §8: "If a server returns a "CertificateStatus" message, then
     * the server MUST have included an extension of type "status_request"
     * with empty "extension_data" in the extended server hello." */
    if (driver_staples(d)) sd_build_extension(&exts, SD_status_request, sd_span_of(NULL, 0));
    add_alpn_answer(d, &exts);
    add_record_size_limit_answer(d, &exts);
    add_max_fragment_length_answer(d, &exts);
    /* RFC 7366 §3: echoed for a CBC suite only ("it MUST NOT send an
     * encrypt-then-MAC response extension back to the client" with an AEAD
     * one); add-ext= makes the other. */
    if (d->peer_offers_etm && suite && suite->bulk == SD_BULK_AES_128_CBC_SHA)
        sd_build_extension(&exts, SD_encrypt_then_mac, sd_span_of(NULL, 0));
    sd_server_hello sh = {
        .legacy_version = SD_TLS12,
        .random = sd_span_of(d->server_random, SD_RANDOM_LEN),
        .legacy_session_id_echo = session_id,
        .cipher_suite = suite->id,
        .extensions = sd_buf_span(&exts),
    };
    sd_build_server_hello(body, &sh);
    sd_buf_free(&exts);
    return true;
}

static bool build_certificate12(driver *d, const sd_action *a, sd_buf *body) {
    const sd_credential *cred = driver_find_mutation(a, SD_MUT_EMPTY) ? NULL : driver_credential(d, a);
    if (cred && d->role == SD_ROLE_SERVER) d->cred12 = cred;
    /* RFC 5246 §7.4.2, §7.4.6: a certificate whose key signs under none of
     * the peer's signature_algorithms pairs is no honest answer. */
    if (cred && cred->key)
        check_peer_offered(d, a, pick_scheme12(d, cred->key), d->peer_sigalgs, d->n_peer_sigalgs);
    if (cred) {
        sd_tls12_build_certificate(body, cred);
    } else {
        sd_tls12_certificate empty = {sd_span_of(NULL, 0)};
        sd_build_tls12_certificate(body, &empty);
    }
    return true;
}

/* RFC 6066 §8: CertificateStatus { status_type ocsp(1); OCSPResponse },
 * right after the Certificate, with the scenario's response. Sent whenever
 * the trace says, asked for or not: the trace decides what an unsolicited
 * one looks like (with `send ServerHello add-ext=status_request` for the
 * echo). Without a response set up there is nothing honest to send. */
static bool build_certificate_status12(const driver *d, sd_buf *body) {
    if (!d->staple) return false;
    sd_tls12_certificate_status cs = {.status_type = SD_CERTIFICATE_STATUS_OCSP, .ocsp_response = *d->staple};
    sd_build_tls12_certificate_status(body, &cs);
    return true;
}

/* RFC 2409 §6.2, the second Oakley group: a 1024-bit safe prime with
 * generator 2, the group of dh-group=2: a custom group (RFC 7919 §3.1),
 * too small for what RFC 7919 §1 asks ("at least 2048 bits"). */
static const char kOakleyGroup2Prime[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF";

/* The DHE public value to send (dh_Ys, dh_Yc): the honest one, or, under
 * dh-public= / dh-public-p-minus=, the integer n or p - n padded to the
 * size of p (RFC 7919 §5.1's 1 < Y < p-1 refuses 0, 1, p-1 and p). */
static void dh_public_to_send(const sd_action *a, sd_span p, const sd_key_share *ks, uint8_t *out,
                              size_t *out_len) {
    const sd_mutation *small = driver_find_mutation(a, SD_MUT_DH_PUBLIC);
    const sd_mutation *below_p = driver_find_mutation(a, SD_MUT_DH_PUBLIC_P_MINUS);
    if (!small && !below_p) {
        memcpy(out, ks->public_key, ks->public_len);
        *out_len = ks->public_len;
        return;
    }
    *out_len = p.len;
    if (small) {
        memset(out, 0, p.len);
        if (p.len) out[p.len - 1] = (uint8_t)small->value;
        return;
    }
    /* p - n, one borrow at a time from the last byte. */
    memcpy(out, p.data, p.len);
    unsigned borrow = (unsigned)below_p->value;
    for (size_t i = p.len; i-- > 0 && borrow;) {
        unsigned v = out[i];
        out[i] = (uint8_t)(v - (borrow & 0xFF));
        borrow = (borrow >> 8) + (v < (borrow & 0xFF));
    }
}

/* RFC 5246 §7.4.3: ServerDHParams (dh_p, dh_g, dh_Ys) signed over both
 * randoms. The group: dh-group='s, else the client's first RFC 7919 group
 * (§4: a compatible server "MUST select one of the client's offered
 * groups"), else ffdhe2048, a group of the server's choice for a client
 * that names none. */
static bool build_server_key_exchange_dhe(driver *d, const sd_action *a, const sd_credential *cred,
                                          sd_buf *body) {
    static const uint8_t kGenerator = 2;
    uint16_t group = 0;
    for (size_t i = 0; i < d->n_peer_groups && !group; i++)
        if (sd_group_is_ffdhe(d->peer_groups[i])) group = d->peer_groups[i];
    if (!group) group = SD_ffdhe2048;
    const sd_mutation *pick = driver_find_mutation(a, SD_MUT_DH_GROUP);
    if (pick) group = (uint16_t)pick->value;
    d->dh_p12_len = sd_ffdhe_prime(group, d->dh_p12, sizeof d->dh_p12);
    if (!d->dh_p12_len && group == 2) {
        BIGNUM *p = NULL;
        if (BN_hex2bn(&p, kOakleyGroup2Prime) && BN_bn2bin_padded(d->dh_p12, 128, p)) d->dh_p12_len = 128;
        BN_free(p);
    }
    if (!d->dh_p12_len) return false;
    sd_span p = sd_span_of(d->dh_p12, d->dh_p12_len);
    d->group12 = sd_group_is_ffdhe(group) ? group : 0;
    if (!sd_dh_generate(&d->share, d->group12, p, sd_span_of(&kGenerator, 1), &d->rng)) return false;
    const sd_mutation *g_mut = driver_find_mutation(a, SD_MUT_DH_G);
    uint8_t g = g_mut ? (uint8_t)g_mut->value : kGenerator;
    uint8_t ys[SD_MAX_DH_PRIME_LEN];
    size_t ys_len;
    dh_public_to_send(a, p, &d->share, ys, &ys_len);
    EVP_PKEY *key = signing_key12(d, a, cred);
    uint16_t sigalg = pick_scheme12(d, key);
    check_peer_offered(d, a, sigalg, d->peer_sigalgs, d->n_peer_sigalgs);
    sd_buf params, content, sig;
    sd_buf_init(&params);
    sd_buf_init(&content);
    sd_buf_init(&sig);
    sd_build_tls12_server_dh_params(&params, p, sd_span_of(&g, 1), sd_span_of(ys, ys_len));
    sd_tls12_ske_signed_content(d->client_random, d->server_random, sd_buf_span(&params), &content);
    bool ok = sign12_steady(key, sigalg, sd_buf_span(&content), &sig);
    if (ok) {
        sd_tls12_ske_dhe ske = {.p = p,
                                .g = sd_span_of(&g, 1),
                                .ys = sd_span_of(ys, ys_len),
                                .sig_alg = sigalg,
                                .signature = sd_buf_span(&sig)};
        sd_build_tls12_ske_dhe(body, &ske);
    }
    sd_buf_free(&params);
    sd_buf_free(&content);
    sd_buf_free(&sig);
    return ok;
}

/* RFC 8422 §5.4: ECDHE parameters signed over both randoms. */
static bool build_server_key_exchange12(driver *d, const sd_action *a, sd_buf *body) {
    const sd_credential *cred = driver_credential(d, a);
    if (!cred || !cred->key) return false;
    if (d->suite12 && d->suite12->kx == SD_KX_DHE_RSA) return build_server_key_exchange_dhe(d, a, cred, body);
    bool bad_point = driver_find_mutation(a, SD_MUT_BAD_POINT) != NULL;
    /* bad-point wants a group with off-curve points: P-256 if offered. */
    d->group12 = bad_point && peer_offers_group(d, SD_secp256r1) ? SD_secp256r1 : choose_group(d, NULL, 0);
    if (!sd_key_share_generate(&d->share, d->group12, &d->rng)) return false;
    EVP_PKEY *key = signing_key12(d, a, cred);
    uint16_t sigalg = pick_scheme12(d, key);
    check_peer_offered(d, a, sigalg, d->peer_sigalgs, d->n_peer_sigalgs);
    sd_buf params, content, sig;
    sd_buf_init(&params);
    sd_buf_init(&content);
    sd_buf_init(&sig);
    sd_key_share bad = driver_corrupt_point(&d->share);
    sd_span point = bad_point ? sd_span_of(bad.public_key, bad.public_len)
                              : sd_span_of(d->share.public_key, d->share.public_len);
    sd_build_tls12_server_ecdh_params(&params, d->group12, point);
    sd_tls12_ske_signed_content(d->client_random, d->server_random, sd_buf_span(&params), &content);
    const sd_mutation *named = driver_find_mutation(a, SD_MUT_SCHEME);
    bool ok =
        named ? signed_with_scheme(key, (uint16_t)named->value, sigalg, false, sd_buf_span(&content), &sig)
              : sign12_steady(key, sigalg, sd_buf_span(&content), &sig);
    if (named) sigalg = (uint16_t)named->value;
    if (ok) {
        sd_tls12_ske ske = {
            .group = d->group12, .point = point, .sig_alg = sigalg, .signature = sd_buf_span(&sig)};
        sd_build_tls12_ske_ecdhe(body, &ske);
    }
    sd_buf_free(&params);
    sd_buf_free(&content);
    sd_buf_free(&sig);
    return ok;
}

static bool build_client_key_exchange12(driver *d, const sd_action *a, sd_buf *body) {
    if (!d->suite12) return false;
    if (d->suite12->kx == SD_KX_RSA) {
        /* §7.4.7.1: client_version and 46 random bytes: "The version number
         * in the PreMasterSecret is the version offered by the client in
         * the ClientHello.client_version", the one the driver sent (its
         * honest 0x0303 if that did not parse); premaster-version= writes
         * another, a version rollback the server must not take. */
        if (!d->server_key12) return false;
        const sd_mutation *version = driver_find_mutation(a, SD_MUT_PREMASTER_VERSION);
        uint16_t client_version = version             ? (uint16_t)version->value
                                  : d->client_version ? d->client_version
                                                      : SD_TLS12;
        d->pms[0] = (uint8_t)(client_version >> 8);
        d->pms[1] = (uint8_t)client_version;
        sd_rng_bytes(&d->rng, d->pms + 2, 46);
        d->pms_len = 48;
        sd_buf encrypted;
        sd_buf_init(&encrypted);
        bool ok = sd_tls12_rsa_encrypt_pms(d->server_key12, d->pms, &encrypted);
        if (ok) sd_build_tls12_cke_rsa(body, sd_buf_span(&encrypted));
        sd_buf_free(&encrypted);
        return ok;
    }
    uint8_t alert;
    if (d->suite12->kx == SD_KX_DHE_RSA) {
        /* RFC 5246 §7.4.7.2: our dh_Yc in the server's (dh_p, dh_g), and
         * Z with its dh_Ys (§8.1.2). */
        sd_span p = sd_span_of(d->dh_p12, d->dh_p12_len);
        /* secret-leading-zero: until Z starts with a zero byte, which the
         * premaster secret leaves out (§8.1.2), so it is shorter than p. */
        bool leading_zero = driver_find_mutation(a, SD_MUT_SECRET_LEADING_ZERO) != NULL;
        size_t p_len = p.len;
        while (p_len > 0 && d->dh_p12[d->dh_p12_len - p_len] == 0) p_len--;
        for (int i = 0;; i++) {
            if (!d->dh_p12_len || i == LEADING_ZERO_TRIES ||
                !sd_dh_generate(&d->share, d->group12, p, sd_span_of(d->dh_g12, d->dh_g12_len), &d->rng) ||
                !sd_dh_premaster(&d->share, p, sd_span_of(d->dh_ys12, d->dh_ys12_len), d->pms, &d->pms_len,
                                 &alert))
                return false;
            if (!leading_zero || d->pms_len < p_len) break;
        }
        uint8_t yc[SD_MAX_DH_PRIME_LEN];
        size_t yc_len;
        dh_public_to_send(a, p, &d->share, yc, &yc_len);
        sd_build_tls12_cke_dhe(body, sd_span_of(yc, yc_len));
        return true;
    }
    /* RFC 8422 §5.7: our share in the server's group. */
    if (d->peer_share.len == 0) return false;
    sd_span peer = sd_buf_span(&d->peer_share);
    bool drawn = driver_find_mutation(a, SD_MUT_SECRET_LEADING_ZERO)
                     ? draw_share_for_leading_zero(d, d->group12, peer)
                     : sd_key_share_generate(&d->share, d->group12, &d->rng);
    if (!drawn || !sd_key_share_derive(&d->share, peer, d->pms, &d->pms_len, &alert)) return false;
    sd_key_share bad = driver_corrupt_point(&d->share);
    const sd_key_share *sent = driver_find_mutation(a, SD_MUT_BAD_POINT) ? &bad : &d->share;
    sd_build_tls12_cke_ecdhe(body, sd_span_of(sent->public_key, sent->public_len));
    return true;
}

/* RFC 5246 §7.4.4: the certificate types and schemes the driver accepts, no
 * CA names. */
static bool build_certificate_request12(sd_buf *body) {
    static const uint8_t types[] = {1 /* rsa_sign */, 64 /* ecdsa_sign, RFC 8422 §5.5 */};
    sd_buf sigalgs;
    sd_buf_init(&sigalgs);
    for (size_t i = 0; i < sd_n_offered_sigalgs_tls12; i++) sd_buf_u16(&sigalgs, sd_offered_sigalgs_tls12[i]);
    sd_tls12_certificate_request cr = {.certificate_types = sd_span_of(types, sizeof types),
                                       .supported_signature_algorithms = sd_buf_span(&sigalgs),
                                       .certificate_authorities = sd_span_of(NULL, 0)};
    sd_build_tls12_certificate_request(body, &cr);
    sd_buf_free(&sigalgs);
    return true;
}

/* RFC 5246 §7.4.8: a signature over all handshake messages so far, with a
 * scheme from the CertificateRequest. */
static bool build_certificate_verify12(driver *d, const sd_action *a, sd_buf *body) {
    const sd_credential *cred = driver_credential(d, a);
    if (!cred || !cred->key) return false;
    EVP_PKEY *key = signing_key12(d, a, cred);
    uint16_t scheme = pick_scheme12(d, key);
    check_peer_offered(d, a, scheme, d->peer_sigalgs, d->n_peer_sigalgs);
    sd_buf sig;
    sd_buf_init(&sig);
    const sd_mutation *named = driver_find_mutation(a, SD_MUT_SCHEME);
    sd_span transcript = sd_buf_span(&d->rl.transcript.bytes);
    bool ok = named ? signed_with_scheme(key, (uint16_t)named->value, scheme, false, transcript, &sig)
                    : sign12_steady(key, scheme, transcript, &sig);
    if (named) scheme = (uint16_t)named->value;
    if (ok) {
        sd_certificate_verify cv = {.algorithm = scheme, .signature = sd_buf_span(&sig)};
        sd_build_certificate_verify(body, &cv);
    }
    sd_buf_free(&sig);
    return ok;
}

/* The length of the signature sign12_steady makes with key: the steady
 * length for an ECDSA key (sd_memo_sign tries 64 times for it, each try
 * more likely than not to reach it, and remembers what it made), the
 * modulus for an RSA key (RFC 8017 §8.1.1, §8.2.1), 64 for Ed25519 (RFC
 * 8032 §5.1.6); 0 for other keys. */
static size_t steady_signature_len12(const EVP_PKEY *key) {
    switch (EVP_PKEY_id(key)) {
    case EVP_PKEY_EC:
        return sd_ecdsa_steady_signature_len(key);
    case EVP_PKEY_RSA:
        return (size_t)EVP_PKEY_size(key);
    case EVP_PKEY_ED25519:
        return 64;
    default:
        return 0;
    }
}

/* The one body= among a's mutations, if the others only frame the message
 * (its records, its header) and so leave the honest body unread; else
 * NULL. */
static const sd_mutation *sole_replacement(const sd_action *a) {
    const sd_mutation *body = NULL;
    for (size_t i = 0; i < a->n_mutations && i < SD_MAX_MUTATIONS; i++) {
        switch (a->mutations[i].kind) {
        case SD_MUT_BODY:
            if (body) return NULL;
            body = &a->mutations[i];
            break;
        case SD_MUT_SPLIT:
        case SD_MUT_PLAINTEXT:
        case SD_MUT_RECORD_VERSION:
        case SD_MUT_LENGTH:
            break;
        default:
            return NULL;
        }
    }
    return body;
}

bool driver_honest_body_unneeded(const driver *d, const sd_action *a) {
    const sd_mutation *body =
        d->tls12 && !d->filler && a->msg_type == SD_CertificateVerify ? sole_replacement(a) : NULL;
    if (!body || body->bytes_len == 0) return false;
    /* What build_certificate_verify12 signs with when no mutation names a
     * key or scheme. A key and scheme that do not go together fail to
     * sign (an empty honest body): build it then, the rare case. */
    const sd_credential *cred = driver_credential(d, a);
    if (!cred || !cred->key) return false;
    uint16_t scheme = pick_scheme12(d, cred->key);
    size_t sig_len = steady_signature_len12(cred->key);
    if (!sd_tls12_signature_scheme_matches_key(scheme, cred->key) || sig_len == 0 || sig_len > 0xffff)
        return false;
    /* §7.4.8 with §4.7: SignatureAndHashAlgorithm, then the signature as
     * an opaque<0..2^16-1>. */
    const uint8_t head[4] = {(uint8_t)(scheme >> 8), (uint8_t)scheme, (uint8_t)(sig_len >> 8),
                             (uint8_t)sig_len};
    sd_span replacement = sd_span_of(body->bytes, body->bytes_len);
    return replacement.len != sizeof head + sig_len || memcmp(replacement.data, head, sizeof head) != 0;
}

/* §7.4.9 over the transcript actually sent and received. */
static bool build_finished12(driver *d, const sd_action *a, sd_buf *body) {
    bool client = d->role == SD_ROLE_CLIENT;
    bool wrong_key = driver_find_mutation(a, SD_MUT_WRONG_KEY) != NULL;
    bool wrong_transcript = driver_find_mutation(a, SD_MUT_WRONG_TRANSCRIPT) != NULL;
    uint8_t hash[SD_MAX_HASH_LEN], verify[12];
    if (!d->have_master || !d->suite12 || !sd_transcript_hash(&d->rl.transcript, d->suite12->prf_md(), hash))
        return false;
    if (wrong_transcript && !driver_hash_without_last(d, d->suite12->prf_md(), hash)) return false;
    /* wrong-key: the other side's label. */
    if (!sd_tls12_finished(d->suite12, d->master, client != wrong_key, hash, verify)) return false;
    sd_buf_append(body, verify, sizeof verify);
    return true;
}

/* RFC 5077 §3.3: an opaque ticket, random bytes; the driver keeps it with
 * the session (driver_keep_session12) and resumes the session when a later
 * ClientHello offers it (§3.1). */
static bool build_new_session_ticket12(driver *d, sd_buf *body) {
    uint8_t ticket[32];
    sd_rng_bytes(&d->rng, ticket, sizeof ticket);
    if (d->role == SD_ROLE_SERVER) {
        sd_buf_reset(&d->ticket12_new);
        sd_buf_append(&d->ticket12_new, ticket, sizeof ticket);
        d->ticket12_new_seen = true;
    }
    sd_tls12_new_session_ticket t = {.lifetime_hint = 7200, .ticket = sd_span_of(ticket, sizeof ticket)};
    sd_build_tls12_new_session_ticket(body, &t);
    return true;
}

static bool build_body12(driver *d, const sd_action *a, sd_buf *body) {
    switch (a->msg_type) {
    case SD_ClientHello:
        return build_client_hello12(d, body);
    case SD_ServerHello:
        return build_server_hello12(d, a, body);
    case SD_Certificate:
        return build_certificate12(d, a, body);
    case SD_CertificateStatus:
        return build_certificate_status12(d, body);
    case SD_ServerKeyExchange:
        return build_server_key_exchange12(d, a, body);
    case SD_ServerHelloDone:
        return true; /* §7.4.5: struct { } ServerHelloDone; */
    case SD_ClientKeyExchange:
        return build_client_key_exchange12(d, a, body);
    case SD_CertificateRequest:
        return build_certificate_request12(body);
    case SD_CertificateVerify:
        return build_certificate_verify12(d, a, body);
    case SD_Finished:
        return build_finished12(d, a, body);
    case SD_NewSessionTicket:
        return build_new_session_ticket12(d, body);
    case SD_HelloRequest:
        return true; /* §7.4.1.1: struct { } HelloRequest; */
    default:
        return false;
    }
}

bool driver_build_body(driver *d, const sd_action *a, sd_buf *body) {
    return d->tls12 ? build_body12(d, a, body) : build_body13(d, a, body);
}
