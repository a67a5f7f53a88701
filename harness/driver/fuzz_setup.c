/* fuzz_setup.c — a fuzz input's setup (trace/fuzz_input.h) applied to a run
 * configuration, and whether the fuzz targets run it. It lives in the
 * driver, above the traces, because the run configuration is the driver's. */
#include <stdio.h>

#include "crypto/crypto.h"
#include "crypto/tls12.h"
#include "driver/driver.h"
#include "protocol/messages.h"
#include "wire/names.h"

void sd_fuzz_setup_apply(const sd_fuzz_setup *s, sd_run_config *cfg) {
    cfg->target_role = s->role;
    cfg->version = s->version;
    cfg->cipher_suite = s->cipher_suite;
    if (s->server_credential[0]) cfg->target_credential = cfg->driver_credential = s->server_credential;
    /* The driver as a client presents its certificate only when asked. */
    if (s->client_credential[0]) cfg->driver_credential = s->client_credential;
    cfg->client_auth = s->client_auth;
    cfg->target_client_credential = s->target_client_credential[0] ? s->target_client_credential : NULL;
    cfg->session_tickets = s->session_tickets;
    cfg->tls12_announce_ticket = s->announce_ticket;
    cfg->early_data = s->early_data;
    cfg->renegotiation = s->renegotiation;
    cfg->target_groups = s->n_groups ? s->groups : NULL;
    cfg->n_target_groups = s->n_groups;
    cfg->staple = s->staple[0] ? s->staple : NULL;
    /* Both stacks get the same protocols, so ALPN is compared only where
     * the setup asks for it (`alpn:`); otherwise neither takes part. */
    cfg->target_alpn = sd_span_of(s->alpn, s->alpn_len);
    cfg->record_size_limit = s->record_size_limit;
    cfg->max_fragment_length = s->max_fragment_length;
    cfg->encrypt_then_mac = s->encrypt_then_mac;
    cfg->cert_compression = s->n_cert_compression ? s->cert_compression : NULL;
    cfg->n_cert_compression = s->n_cert_compression;
    cfg->target_sigalgs = s->n_sigalgs ? s->sigalgs : NULL;
    cfg->n_target_sigalgs = s->n_sigalgs;
    cfg->target_min_version = s->min_version;
    cfg->target_max_version = s->max_version;
    /* RFC 8446 lets a handshake message be 2^24-1 bytes long, and the model
     * buffers that much by default. A fuzz run holds it to BoringSSL's
     * limits (ssl_max_handshake_message_len in ssl/s3_both.cc: during the
     * handshake 16 KiB for a server, 100 KiB (max_cert_list) for an
     * endpoint that receives a certificate chain, a client or a server that
     * asks for one; after it 16 KiB for a TLS 1.3 client, what a
     * NewSessionTicket needs, 1 byte for a TLS 1.3 server, a KeyUpdate, and
     * none in TLS 1.2, a HelloRequest; held here to 1 byte, as 0 means no
     * limit. BoringSSL refuses the header of anything longer, where the
     * model would wait for the rest of the message), which bounds what a length field and the driver's padding can
     * make it buffer, and keeps BoringSSL's size policy, which the RFC does
     * not ask for, out of the comparison. The model is held to the RFC's
     * bound by the scenarios (tls13.server.client-hello.padded-past-64k)
     * and tests/test_model_rfc.c. */
    bool receives_chain = s->role == SD_ROLE_CLIENT || s->client_auth != SD_CLIENT_AUTH_NONE;
    cfg->max_handshake_message = receives_chain ? 100 * 1024 : 16384;
    cfg->max_post_handshake_message = s->role == SD_ROLE_CLIENT && s->version == SD_TLS13 ? 16384 : 1;
    /* BoringSSL's server reads the first PSK identity only ("We only
     * process the first PSK identity", ssl/extensions.cc); RFC 8446 §4.2.11
     * leaves the choice to the server, so the model is held to it. */
    cfg->psk_first_identity_only = true;
    /* BoringSSL does not read signature_algorithms_cert; the model refuses
     * a list that cannot be parsed (RFC 8446 §4.2.3, §6), which the
     * scenarios *.signature-algorithms-cert-{empty,odd-length} pin. */
    cfg->skip_signature_algorithms_cert = true;
}

void sd_fuzz_setup_unpin_model(sd_run_config *cfg) {
    cfg->max_handshake_message = 0;
    cfg->max_post_handshake_message = 0;
    cfg->psk_first_identity_only = false;
    cfg->skip_signature_algorithms_cert = false;
}

/* A suite the driver can offer or pick for this version, and that the
 * model implements: TLS 1.2, the model's table (crypto/tls12.c); TLS 1.3,
 * the three suites the driver knows (protocol/messages.c). */
static bool model_suite_runs(uint16_t version, uint16_t suite) {
    if (suite == 0) return true;
    if (version == SD_TLS12) return sd_tls12_suite_find(suite) != NULL;
    return sd_u16_in(sd_offered_suites, sd_n_offered_suites, suite);
}

/* BoringSSL has every TLS 1.2 suite of the model's table but the DHE_RSA
 * ones: it has no finite-field DHE. */
static bool boringssl_suite_runs(uint16_t version, uint16_t suite) {
    if (suite == 0 || version != SD_TLS12) return true;
    const sd_tls12_suite *s = sd_tls12_suite_find(suite);
    return s == NULL || s->kx != SD_KX_DHE_RSA;
}

static void suite_not_run(const sd_fuzz_setup *s, const char *who, char *why, size_t why_len) {
    const char *name = sd_cipher_suite_name(s->cipher_suite);
    sd_set_error(why, why_len, "the setup's cipher suite %s (0x%04x) is not one %s in %s", name ? name : "?",
                 (unsigned)s->cipher_suite, who, s->version == SD_TLS12 ? "TLS 1.2" : "TLS 1.3");
}

/* Whether the stack under test can be set up with its own credential: a
 * chain that validates for its role (RFC 5280 §6; a client's for TLS
 * client authentication, RFC 5280 §4.2.1.12) with the key that goes with
 * it. A defective credential is the driver's to present, where it tests
 * the peer's checks; a stack is not asked to check its own, and BoringSSL
 * refuses to be configured with some (an empty chain, a key that does not
 * match, a keyUsage without digitalSignature), which would make every such
 * run a harness error on one side. */
static bool own_credential_ok(const sd_pki *pki, const char *name, sd_role role, char *why, size_t why_len) {
    const sd_credential *c = sd_pki_find(pki, name);
    if (!c || c->chain_len == 0 || !c->key || c->key_mismatched) {
        sd_set_error(why, why_len, "the stack under test cannot present \"%s\" (no chain or no matching key)",
                     name);
        return false;
    }
    sd_span chain[SD_MAX_CHAIN];
    for (size_t i = 0; i < c->chain_len; i++) chain[i] = sd_span_of(c->chain_der[i], c->chain_der_len[i]);
    sd_verify_params p = {
        .pki = pki,
        .host_name = role == SD_ROLE_SERVER ? SD_PKI_SERVER_NAME : NULL,
        .now = SD_PKI_DEFAULT_TIME,
        .purpose = role == SD_ROLE_SERVER ? SD_VERIFY_PURPOSE_SERVER : SD_VERIFY_PURPOSE_CLIENT,
    };
    uint8_t alert = 0;
    char err[200];
    /* Asking for the leaf's key puts an accepted chain in sd_verify_chain's
     * cache of verdicts, so that the fuzz targets, which check the setup of
     * every input, validate the fixture's chain once per process rather
     * than once per execution (its signatures cost a fifth of one). The
     * verdict is the same: the key, which matches the leaf (checked above
     * and by sd_pki_load), loads. */
    EVP_PKEY *leaf_key = NULL;
    bool ok = sd_verify_chain(&p, chain, c->chain_len, &leaf_key, &alert, err, sizeof err);
    EVP_PKEY_free(leaf_key);
    if (!ok) {
        sd_set_error(why, why_len, "the stack under test cannot present \"%s\" as a %s: %s", name,
                     role == SD_ROLE_SERVER ? "server" : "client", err);
        return false;
    }
    return true;
}

bool sd_fuzz_setup_model_runs(const sd_fuzz_setup *s, const sd_pki *pki, char *why, size_t why_len) {
    const struct {
        const char *what, *name;
    } names[] = {{"server credential", s->server_credential},
                 {"client credential", s->client_credential},
                 {"target client credential", s->target_client_credential}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (names[i].name[0] && pki && !sd_pki_find(pki, names[i].name)) {
            sd_set_error(why, why_len, "the setup's %s \"%s\" is not in the fixture PKI", names[i].what,
                         names[i].name);
            return false;
        }
    }
    /* The stapled response is a file of the PKI (any .der: a response that
     * is not one is the client's to refuse). */
    if (s->staple[0] && pki && !sd_pki_der(pki, s->staple)) {
        sd_set_error(why, why_len, "the setup's stapled file \"%s.der\" is not in the fixture PKI",
                     s->staple);
        return false;
    }
    if (pki && s->role == SD_ROLE_SERVER &&
        !own_credential_ok(pki, s->server_credential[0] ? s->server_credential : "leaf", SD_ROLE_SERVER, why,
                           why_len))
        return false;
    if (pki && s->role == SD_ROLE_CLIENT && s->target_client_credential[0] &&
        !own_credential_ok(pki, s->target_client_credential, SD_ROLE_CLIENT, why, why_len))
        return false;
    /* The groups the stack under test is set up with: each one the model
     * implements (crypto/key_share.c); another would make it refuse to be
     * configured (unsupported), a run with nothing to compare. */
    for (size_t i = 0; i < s->n_groups; i++) {
        if (!sd_group_supported(s->groups[i])) {
            sd_set_error(why, why_len, "the setup's group 0x%04x is not one the model runs",
                         (unsigned)s->groups[i]);
            return false;
        }
    }
    /* 0-RTT with ALPN: RFC 8446 §4.2.10 ties early data to the ticket's
     * ALPN protocol, which the model's tickets do not keep, so a model
     * server with protocols accepts no 0-RTT where BoringSSL would, a
     * difference of the model's ticket format and not of the RFC. */
    if (s->alpn_len && s->early_data) {
        sd_set_error(why, why_len, "the setup combines ALPN with 0-RTT, which the model's tickets cannot");
        return false;
    }
    if (!model_suite_runs(s->version, s->cipher_suite)) {
        suite_not_run(s, "the model runs", why, why_len);
        return false;
    }
    return true;
}

bool sd_fuzz_setup_boringssl_runs(const sd_fuzz_setup *s, char *why, size_t why_len) {
    /* BoringSSL has neither X448 nor the FFDHE groups: it would refuse to
     * be configured with one (unsupported). */
    for (size_t i = 0; i < s->n_groups; i++) {
        if (s->groups[i] == SD_x448 || sd_group_is_ffdhe(s->groups[i])) {
            sd_set_error(why, why_len, "the setup's group 0x%04x is not one BoringSSL runs",
                         (unsigned)s->groups[i]);
            return false;
        }
    }
    /* A TLS 1.2 suite holds the stack under test to that suite
     * (sd_driver_run), which BoringSSL cannot do with TLS 1.3 enabled too:
     * its TLS 1.3 suites are fixed (boringssl_target.c). */
    if (s->version == SD_TLS12 && s->cipher_suite && s->max_version >= SD_TLS13) {
        sd_set_error(why, why_len,
                     "the setup pins a TLS 1.2 cipher suite on a stack that speaks TLS 1.3 too, which "
                     "BoringSSL cannot be configured for");
        return false;
    }
    /* A BoringSSL server never renegotiates (boringssl_target.c), so a
     * server set up to would be a run with nothing to compare. */
    if (s->renegotiation && s->role == SD_ROLE_SERVER) {
        sd_set_error(why, why_len, "the setup lets a server renegotiate, which BoringSSL servers never do");
        return false;
    }
    /* BoringSSL has no record_size_limit (RFC 8449): it cannot be set up
     * with one (boringssl_target.c), a run with nothing to compare. */
    if (s->record_size_limit) {
        sd_set_error(why, why_len, "the setup sets a record_size_limit, which BoringSSL does not implement");
        return false;
    }
    if (s->max_fragment_length) {
        sd_set_error(why, why_len,
                     "the setup sets a max_fragment_length, which BoringSSL does not implement");
        return false;
    }
    if (s->encrypt_then_mac) {
        sd_set_error(why, why_len, "the setup turns on encrypt_then_mac, which BoringSSL does not implement");
        return false;
    }
    /* BoringSSL compresses only the server's Certificate (RFC 8879 in its
     * ClientHello, never in a CertificateRequest; boringssl_target.c):
     * with client authentication it cannot be set up alike. */
    bool client_certificate = s->client_auth != SD_CLIENT_AUTH_NONE || s->target_client_credential[0] != '\0';
    if (s->n_cert_compression && client_certificate) {
        sd_set_error(why, why_len,
                     "the setup combines certificate compression with a client certificate, which BoringSSL "
                     "does not compress");
        return false;
    }
    if (!boringssl_suite_runs(s->version, s->cipher_suite)) {
        suite_not_run(s, "BoringSSL runs", why, why_len);
        return false;
    }
    return true;
}

bool sd_fuzz_setup_runs(const sd_fuzz_setup *s, const sd_pki *pki, char *why, size_t why_len) {
    return sd_fuzz_setup_model_runs(s, pki, why, why_len) && sd_fuzz_setup_boringssl_runs(s, why, why_len);
}
