/* generate_certificate.c — gen-certificate: every defective credential of
 * the fixture PKI (corpus/pki/make_pki.c), presented by the driver as the
 * server's certificate (client under test, `credential:` header) and as its
 * client certificate (server under test, `client-auth: require`,
 * `send Certificate cert=<defect>` and a CertificateVerify signed with that
 * credential's key, which driver.c's driver_credential takes from `cert=`
 * in both versions); plus an empty
 * certificate list and, in TLS 1.3, an extension in the CertificateEntry
 * that the peer never asked for. The alert is the one tests/test_pki.c's
 * kDefects gives each defect (RFC 8446 §6.2 and RFC 5246 §7.2.2 name the
 * same alerts), except where the role changes it (an empty list).
 * Ids: tls13.<role>.gen-certificate.<defect>, tls12.<role>.gen-certificate.<defect>.
 *
 * Left out, per role:
 *  - wrong-name as a client certificate: a server checks no name in a
 *    client's certificate (the RFC 9525 name check is the client's, of the
 *    server it asked for), so the credential is good there;
 *  - wrong-eku as a client certificate: its extendedKeyUsage is
 *    id-kp-clientAuth only, exactly right for a client (RFC 5280 §4.2.1.12),
 *    so it has no defect in that role;
 *  - TLS 1.3 client under test, the defects that scenarios/tls13/
 *    client.certificate.<defect>.sd already checks by hand (CD_HAND_WRITTEN13
 *    below): generating them again would only duplicate those ids. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <string.h>

#include "trace/generate_family.h"
#include "wire/names.h"

typedef struct {
    const char *name;                /* fixture credential, and the id's last part */
    uint8_t alert;                   /* kDefects (tests/test_pki.c) */
    const char *what;                /* title: "Client rejects a server certificate <what>" */
    const char *rfc[N_GEN_VERSIONS]; /* the requirement: RFC 8446's, RFC 5246's */
    unsigned flags;                  /* CD_* */
} cert_defect;

enum {
    CD_SERVER_CERT = 1u << 0, /* a defect in a server's certificate (client under test) */
    CD_CLIENT_CERT = 1u << 1, /* a defect in a client's certificate (server under test) */
    CD_BOTH = CD_SERVER_CERT | CD_CLIENT_CERT,
    CD_HAND_WRITTEN13 = 1u << 2, /* scenarios/tls13/client.certificate.<name>.sd checks it */
    CD_POLICY = 1u << 3,   /* the RFC does not decide the refusal: the model's choice (tag policy); SHA-1:
                            * RFC 8446 §4.4.2.4 only RECOMMENDS refusing it */
    CD_POLICY12 = 1u << 4, /* the same, in TLS 1.2 only */
};

#define RFC8446_BAD_CERT                                                                                      \
    "RFC 8446 §6.2: \"bad_certificate: A certificate was corrupt, contained signatures that did not verify " \
    "correctly, etc.\""
#define RFC5246_BAD_CERT                                                                                 \
    "RFC 5246 §7.2.2: \"bad_certificate: A certificate was corrupt, contained signatures that did not " \
    "verify "                                                                                            \
    "correctly, etc.\""
#define RFC8446_EXPIRED \
    "RFC 8446 §6.2: \"certificate_expired: A certificate has expired or is not currently valid.\""
#define RFC5246_EXPIRED \
    "RFC 5246 §7.2.2: \"certificate_expired: A certificate has expired or is not currently valid.\""
#define RFC8446_UNKNOWN_CA                                                                                   \
    "RFC 8446 §6.2: \"unknown_ca: A valid certificate chain or partial chain was received, but the "        \
    "certificate "                                                                                           \
    "was not accepted because the CA certificate could not be located or could not be matched with a known " \
    "trust anchor.\""
#define RFC5246_UNKNOWN_CA                                                                                   \
    "RFC 5246 §7.2.2: \"unknown_ca: A valid certificate chain or partial chain was received, but the "      \
    "certificate "                                                                                           \
    "was not accepted because the CA certificate could not be located or couldn't be matched with a known, " \
    "trusted CA.\""
#define RFC8446_UNSUPPORTED \
    "RFC 8446 §6.2: \"unsupported_certificate: A certificate was of an unsupported type.\""
#define RFC5246_UNSUPPORTED \
    "RFC 5246 §7.2.2: \"unsupported_certificate: A certificate was of an unsupported type.\""
#define RFC8446_DECODE                                                                                     \
    "RFC 8446 §4.4.2: \"cert_data ... the certificate itself in DER-encoded X.509 form\"; §6.2: "        \
    "\"decode_error: A "                                                                                   \
    "message could not be decoded because some field was out of the specified range or the length of the " \
    "message "                                                                                             \
    "was incorrect.\""
#define RFC5246_DECODE                                                                                       \
    "RFC 5246 §7.4.2: \"certificate_list: This is a sequence (chain) of certificates.\" (ASN.1Cert, DER); " \
    "§7.2.2: \"decode_error: A message could not be decoded because some field was out of the specified "   \
    "range or "                                                                                              \
    "the length of the message was incorrect.\""
#define RFC5280_LEAF_AS_CA                                                                                 \
    " RFC 5280 §4.2.1.9: \"If the cA boolean is not asserted, then the keyCertSign bit in the key usage " \
    "extension "                                                                                           \
    "MUST NOT be asserted.\": the leaf's issuer is no CA, so no path reaches a trust anchor."
#define RFC5280_CA_AS_LEAF                                                                                    \
    " RFC 5280 §4.2.1.9: \"The cA boolean indicates whether the certified public key may be used to verify " \
    "certificate signatures.\": a CA certificate presented as the end entity (the model's policy, as "        \
    "OpenSSL's)."
#define RFC5280_KEY_USAGE                                                                            \
    " RFC 5280 §4.2.1.3: \"digitalSignature: ... asserted when the subject public key is used for " \
    "verifying "                                                                                     \
    "digital signatures\"; this leaf's keyUsage is keyEncipherment only."
#define RFC5280_EKU                                                                                           \
    " RFC 5280 §4.2.1.12: \"If the extension is present, then the certificate MUST only be used for one of " \
    "the "                                                                                                    \
    "purposes indicated.\" (id-kp-clientAuth only, presented by a server)"
#define RFC5280_CRITICAL                                                                                     \
    " RFC 5280 §4.2: \"A certificate-using system MUST reject the certificate if it encounters a critical " \
    "extension it does not recognize\"."
#define WEAK_KEY_POLICY                                                                                      \
    " RFC 5280 sets no key size (§4.1.2.7); refusing RSA under 2048 bits is policy (NIST SP 800-131A Rev. " \
    "2), "                                                                                                   \
    "the model's choice."
#define RFC8446_SHA1                                                                                      \
    "RFC 8446 §4.4.2.4: \"it is RECOMMENDED that any endpoint receiving any certificate which it would " \
    "need to "                                                                                            \
    "validate using any signature algorithm using a SHA-1 hash abort the handshake with a "               \
    "\"bad_certificate\" "                                                                                \
    "alert.\""
#define RFC8446_MD5                                                                                           \
    "RFC 8446 §4.4.2.4: \"Any endpoint receiving any certificate which it would need to validate using any " \
    "signature algorithm using an MD5 hash MUST abort the handshake with a \"bad_certificate\" alert.\""
#define RFC5246_WEAK_HASH                                                                                \
    " RFC 5246 does not forbid it (§7.4.2 lets any signature algorithm sign a certificate); the model " \
    "applies "                                                                                           \
    "RFC 8446 §4.4.2.4's rule to TLS 1.2 too (policy)."
#define RFC8446_KEY_MISMATCH                                                                                \
    "RFC 8446 §4.4.3: \"The receiver of a CertificateVerify message MUST verify the signature field. ... " \
    "If the "                                                                                               \
    "verification fails, the receiver MUST terminate the handshake with a \"decrypt_error\" alert.\""
#define RFC5246_KEY_MISMATCH                                                                               \
    "RFC 5246 §7.4.3 and §7.4.8: the signature (ServerKeyExchange, CertificateVerify) is made with the " \
    "certificate's key; §7.2.2: \"decrypt_error: A handshake cryptographic operation failed, including "  \
    "being "                                                                                               \
    "unable to correctly verify a signature or validate a Finished message.\""
#define RFC8446_REVOKED "RFC 8446 §6.2: \"certificate_revoked: A certificate was revoked by its signer.\""
#define RFC5246_REVOKED "RFC 5246 §7.2.2: \"certificate_revoked: A certificate was revoked by its signer.\""

static const cert_defect cert_defects[] = {
    {"expired",
     SD_certificate_expired,
     "that has expired",
     {RFC8446_EXPIRED, RFC5246_EXPIRED},
     CD_BOTH | CD_HAND_WRITTEN13},
    {"not-yet-valid",
     SD_certificate_expired,
     "that is not valid yet",
     {RFC8446_EXPIRED, RFC5246_EXPIRED},
     CD_BOTH | CD_HAND_WRITTEN13},
    {"wrong-name",
     SD_bad_certificate,
     "issued for another host name",
     {RFC8446_BAD_CERT " The name check itself is RFC 9525's.",
      RFC5246_BAD_CERT " The name check itself is RFC 9525's."},
     CD_SERVER_CERT | CD_HAND_WRITTEN13},
    {"unknown-ca",
     SD_unknown_ca,
     "issued by an unknown CA",
     {RFC8446_UNKNOWN_CA, RFC5246_UNKNOWN_CA},
     CD_BOTH | CD_HAND_WRITTEN13},
    {"bad-signature",
     SD_bad_certificate,
     "whose signature does not verify",
     {RFC8446_BAD_CERT, RFC5246_BAD_CERT},
     CD_BOTH | CD_HAND_WRITTEN13},
    {"leaf-as-ca",
     SD_unknown_ca,
     "issued by an end-entity certificate",
     {RFC8446_UNKNOWN_CA RFC5280_LEAF_AS_CA, RFC5246_UNKNOWN_CA RFC5280_LEAF_AS_CA},
     CD_BOTH | CD_HAND_WRITTEN13},
    {"ca-as-leaf",
     SD_unsupported_certificate,
     "that is a CA certificate",
     {RFC8446_UNSUPPORTED RFC5280_CA_AS_LEAF, RFC5246_UNSUPPORTED RFC5280_CA_AS_LEAF},
     CD_BOTH | CD_POLICY},
    {"wrong-key-usage",
     SD_unsupported_certificate,
     "whose key usage forbids signing",
     {RFC8446_UNSUPPORTED RFC5280_KEY_USAGE, RFC5246_UNSUPPORTED RFC5280_KEY_USAGE},
     CD_BOTH | CD_HAND_WRITTEN13},
    {"wrong-eku",
     SD_unsupported_certificate,
     "whose extended key usage is clientAuth only",
     {RFC8446_UNSUPPORTED RFC5280_EKU, RFC5246_UNSUPPORTED RFC5280_EKU},
     CD_SERVER_CERT | CD_HAND_WRITTEN13},
    {"missing-intermediate",
     SD_unknown_ca,
     "chain that lacks its intermediate",
     {RFC8446_UNKNOWN_CA, RFC5246_UNKNOWN_CA},
     CD_BOTH | CD_HAND_WRITTEN13},
    {"malformed-der",
     SD_decode_error,
     "that is not valid DER",
     {RFC8446_DECODE, RFC5246_DECODE},
     CD_BOTH | CD_HAND_WRITTEN13},
    {"unknown-critical-extension",
     SD_unsupported_certificate,
     "with an unknown critical extension",
     {RFC8446_UNSUPPORTED RFC5280_CRITICAL, RFC5246_UNSUPPORTED RFC5280_CRITICAL},
     CD_BOTH | CD_HAND_WRITTEN13},
    {"weak-key",
     SD_unsupported_certificate,
     "with an RSA-1024 key",
     {RFC8446_UNSUPPORTED WEAK_KEY_POLICY, RFC5246_UNSUPPORTED WEAK_KEY_POLICY},
     CD_BOTH | CD_POLICY},
    {"sha1-signature",
     SD_bad_certificate,
     "signed with SHA-1",
     {RFC8446_SHA1, RFC5246_BAD_CERT RFC5246_WEAK_HASH},
     CD_BOTH | CD_POLICY},
    {"md5-signature",
     SD_bad_certificate,
     "signed with MD5",
     {RFC8446_MD5, RFC5246_BAD_CERT RFC5246_WEAK_HASH},
     CD_BOTH | CD_POLICY12},
    {"key-mismatch",
     SD_decrypt_error,
     "whose key did not make the signature",
     {RFC8446_KEY_MISMATCH, RFC5246_KEY_MISMATCH},
     CD_BOTH | CD_HAND_WRITTEN13},
    {"revoked",
     SD_certificate_revoked,
     "that its issuer has revoked",
     {RFC8446_REVOKED, RFC5246_REVOKED},
     CD_BOTH | CD_HAND_WRITTEN13},
};
#define N_CERT_DEFECTS (sizeof(cert_defects) / sizeof(cert_defects[0]))

/* The cases that are not a credential of their own. */
#define RFC8446_EMPTY_SERVER                                                                                \
    "RFC 8446 §4.4.2.4: \"If the server supplies an empty Certificate message, the client MUST abort the " \
    "handshake with a \"decode_error\" alert.\""
#define RFC8446_EMPTY_CLIENT                                                                       \
    "RFC 8446 §4.4.2.4: \"If the client does not send any certificates (i.e., it sends an empty " \
    "Certificate "                                                                                 \
    "message), the server MAY at its discretion either continue the handshake without client "     \
    "authentication or "                                                                           \
    "abort the handshake with a \"certificate_required\" alert.\" (client-auth: require: it aborts)"
#define RFC5246_EMPTY_SERVER                                                                           \
    "RFC 5246 §7.4.2: \"certificate_list: This is a sequence (chain) of certificates. The sender's "  \
    "certificate "                                                                                     \
    "MUST come first in the list.\" An empty list lacks it; RFC 5246 names no alert for this, so the " \
    "model's "                                                                                         \
    "choice, decode_error as RFC 8446 §4.4.2.4 prescribes, is expected."
#define RFC5246_EMPTY_CLIENT                                                                              \
    "RFC 5246 §7.4.6: \"If the client does not send any certificates, the server MAY at its discretion " \
    "either "                                                                                             \
    "continue the handshake without client authentication, or respond with a fatal handshake_failure "    \
    "alert.\" "                                                                                           \
    "(client-auth: require: it refuses)"
#define RFC8446_ENTRY_EXTENSION                                                                               \
    "RFC 8446 §4.4.2: \"Extensions in the Certificate message from the server MUST correspond to ones from " \
    "the "                                                                                                    \
    "ClientHello message. Extensions in the Certificate message from the client MUST correspond to "          \
    "extensions in "                                                                                          \
    "the CertificateRequest message from the server.\" §4.2: \"Implementations MUST NOT send extension "     \
    "responses "                                                                                              \
    "if the remote endpoint did not send the corresponding extension requests, ... Upon receiving such an "   \
    "extension, an endpoint MUST abort the handshake with an \"unsupported_extension\" alert.\""

/* The extension the driver adds to its first CertificateEntry: one RFC 8446
 * §4.2 allows in a Certificate (CH, CR, CT), which neither side asks for. */
#define ENTRY_EXTENSION "signed_certificate_timestamp"

/* BoringSSL's answers where they are not the RFC's (SOFT), per case. */
typedef struct {
    const char *id;
    const char *note;
} cert_note;

static const char note_cert_bad_signature[] =
    "BoringSSL answers decrypt_error (SOFT): SSL_alert_from_verify_result in ssl/ssl_x509.cc maps "
    "X509_V_ERR_CERT_SIGNATURE_FAILURE to SSL_AD_DECRYPT_ERROR. It does refuse.";
static const char note_cert_ca_as_leaf[] =
    "BoringSSL completes (SOFT, policy): its verifier and TLS code accept a CA certificate (cA TRUE, "
    "keyCertSign) as the peer's end-entity certificate (tests/test_pki.c, kDefects). RFC 5280 does not "
    "forbid "
    "it; refusing it is the model's policy.";
static const char note_cert_weak_key[] =
    "BoringSSL completes (SOFT, policy): it sets no minimum size for the RSA key of a peer's certificate and "
    "accepts RSA-1024 (tests/test_pki.c, kDefects). Refusing keys under 2048 bits is the model's policy "
    "(SD_PKI_MIN_RSA_BITS, harness/crypto/pki.h).";
static const char note_cert_critical[] = "BoringSSL answers certificate_unknown (SOFT): its verifier reports "
                                         "X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION, "
                                         "which ssl/ssl_x509.cc maps to certificate_unknown. It does refuse.";
static const char note_cert_key_usage13[] =
    "BoringSSL answers illegal_parameter (SOFT): its X.509 verifier accepts the keyUsage, and its TLS 1.3 "
    "code "
    "then refuses a key that may not sign with illegal_parameter (KEY_USAGE_BIT_INCORRECT). It does refuse.";
static const char note_cert_key_usage12[] =
    "BoringSSL ends without an alert (SOFT closed): its TLS 1.2 client takes the Certificate, "
    "ServerKeyExchange "
    "and ServerHelloDone, then fails with KEY_USAGE_BIT_INCORRECT where it would send its ClientKeyExchange, "
    "and sends no alert. It does refuse.";
static const char note_cert_weak_hash[] =
    "BoringSSL answers unknown_ca (SOFT), but not for the hash: its adapter turns on CRL checking and the "
    "PKI has "
    "no CRL for the RSA intermediate that signed this leaf, so the verifier stops at \"unable to get "
    "certificate "
    "CRL\". With no CRL check its verifier accepts the signature (tests/test_pki.c, kDefects).";

static const cert_note cert_notes[] = {
    {"tls13.server.gen-certificate.bad-signature", note_cert_bad_signature},
    {"tls12.server.gen-certificate.bad-signature", note_cert_bad_signature},
    {"tls12.client.gen-certificate.bad-signature", note_cert_bad_signature},
    {"tls13.server.gen-certificate.ca-as-leaf", note_cert_ca_as_leaf},
    {"tls13.client.gen-certificate.ca-as-leaf", note_cert_ca_as_leaf},
    {"tls12.server.gen-certificate.ca-as-leaf", note_cert_ca_as_leaf},
    {"tls12.client.gen-certificate.ca-as-leaf", note_cert_ca_as_leaf},
    {"tls13.server.gen-certificate.weak-key", note_cert_weak_key},
    {"tls13.client.gen-certificate.weak-key", note_cert_weak_key},
    {"tls12.server.gen-certificate.weak-key", note_cert_weak_key},
    {"tls12.client.gen-certificate.weak-key", note_cert_weak_key},
    {"tls13.server.gen-certificate.unknown-critical-extension", note_cert_critical},
    {"tls12.server.gen-certificate.unknown-critical-extension", note_cert_critical},
    {"tls12.client.gen-certificate.unknown-critical-extension", note_cert_critical},
    {"tls13.server.gen-certificate.wrong-key-usage", note_cert_key_usage13},
    {"tls12.client.gen-certificate.wrong-key-usage", note_cert_key_usage12},
    {"tls13.server.gen-certificate.sha1-signature", note_cert_weak_hash},
    {"tls13.client.gen-certificate.sha1-signature", note_cert_weak_hash},
    {"tls12.server.gen-certificate.sha1-signature", note_cert_weak_hash},
    {"tls12.client.gen-certificate.sha1-signature", note_cert_weak_hash},
    {"tls13.server.gen-certificate.md5-signature", note_cert_weak_hash},
    {"tls13.client.gen-certificate.md5-signature", note_cert_weak_hash},
    {"tls12.server.gen-certificate.md5-signature", note_cert_weak_hash},
    {"tls12.client.gen-certificate.md5-signature", note_cert_weak_hash},
};

static const char *cert_note_for(const char *id) {
    for (size_t i = 0; i < sizeof(cert_notes) / sizeof(cert_notes[0]); i++)
        if (strcmp(cert_notes[i].id, id) == 0) return cert_notes[i].note;
    return NULL;
}

/* What differs per version. */
static const struct {
    unsigned hand_written; /* the CD_ flag of defects a hand-written scenario checks (client under test) */
    unsigned policy;       /* the CD_ flags that make a refusal the model's choice */
    /* The empty list: the fixture's empty-chain credential (no certificate)
     * is exactly `send Certificate empty`. */
    bool empty_server_list_hand_written; /* scenarios/tls13/client.certificate.empty.sd */
    const char *empty_server_list_rfc;
    uint8_t empty_client_list_alert;
    const char *empty_client_list_rfc;
    /* Extensions in a CertificateEntry (RFC 8446 §4.4.2); TLS 1.2 has none
     * in the Certificate message (RFC 5246 §7.4.2). */
    bool entry_extensions;
} cert_rules[N_GEN_VERSIONS] = {
    [GEN_TLS13] = {CD_HAND_WRITTEN13, CD_POLICY, true, RFC8446_EMPTY_SERVER, SD_certificate_required,
                   RFC8446_EMPTY_CLIENT, true},
    [GEN_TLS12] = {0, CD_POLICY | CD_POLICY12, false, RFC5246_EMPTY_SERVER, SD_handshake_failure,
                   RFC5246_EMPTY_CLIENT, false},
};

/* One scenario: the header block, then the shape's steps with the driver's
 * Certificate and CertificateVerify as the case wants them. `cert` is the
 * credential the driver presents as client (server under test; NULL: the
 * `empty` list), `server_credential` the one it presents as server. */
static void certificate_case(gen *g, const gen_version *v, sd_role target, const char *detail,
                             const char *title, const char *rfc, uint8_t alert, const char *server_credential,
                             const char *cert, bool empty, const char *certificate_extra, bool policy) {
    const char *role = target == SD_ROLE_CLIENT ? "client" : "server";
    sd_role driver = target == SD_ROLE_CLIENT ? SD_ROLE_SERVER : SD_ROLE_CLIENT;
    char id[128], tags[128], expect[64];
    snprintf(id, sizeof id, "%s.%s.gen-certificate.%s", v->name, role, detail);
    snprintf(tags, sizeof tags, "generated, gen-certificate, certificate, %s, %s%s%s", role, v->name,
             target == SD_ROLE_SERVER ? ", client-auth" : "", policy ? ", policy" : "");
    snprintf(expect, sizeof expect, "alert %s", sd_alert_name(alert));
    gen_put_header(g, v, id, title, rfc, target, tags, expect);
    if (server_credential) sd_buf_appendf(&g->text, "credential: %s\n", server_credential);
    if (target == SD_ROLE_SERVER) gen_put(g, "client-auth: require\n");
    const char *note = cert_note_for(id);
    if (note) sd_buf_appendf(&g->text, "note: %s\n", note);
    gen_put(g, "\n");
    unsigned flags =
        v->shape_flags |
        (target == SD_ROLE_SERVER ? SD_SHAPE_CLIENT_AUTH | (empty ? SD_SHAPE_NO_CLIENT_CERT : 0) : 0);
    const sd_shape *shape = sd_shape_with_flags(flags);
    if (!shape) {
        gen_fail(g, "generate: no shape with flags 0x%x for gen-certificate", flags);
        return;
    }
    /* What the driver's Certificate and CertificateVerify carry. */
    char certificate[160] = "", certificate_verify[80] = "";
    if (empty)
        snprintf(certificate, sizeof certificate, " empty");
    else if (cert)
        snprintf(certificate, sizeof certificate, " cert=%s", cert);
    if (certificate_extra) {
        size_t n = strlen(certificate);
        snprintf(certificate + n, sizeof certificate - n, " %s", certificate_extra);
    }
    if (cert) snprintf(certificate_verify, sizeof certificate_verify, " cert=%s", cert);
    for (size_t i = 0; i < shape->n_steps; i++) {
        const sd_step *st = &shape->steps[i];
        gen_put_step(g, st, driver,
                     st->msg == SD_Certificate         ? certificate
                     : st->msg == SD_CertificateVerify ? certificate_verify
                                                       : "");
    }
    gen_finish(g, "gen-certificate");
}

void gen_certificate(gen *g, const gen_version *v) {
    static const sd_role roles[] = {SD_ROLE_SERVER, SD_ROLE_CLIENT};
    char title[200];
    for (size_t r = 0; r < 2 && g->ok; r++) {
        sd_role target = roles[r];
        bool client = target == SD_ROLE_CLIENT;
        const char *who =
            client ? "Client rejects a server certificate" : "Server rejects a client certificate";
        for (size_t i = 0; i < N_CERT_DEFECTS && g->ok; i++) {
            const cert_defect *d = &cert_defects[i];
            if (!(d->flags & (client ? CD_SERVER_CERT : CD_CLIENT_CERT))) continue;
            if (client && (d->flags & cert_rules[v->id].hand_written)) continue;
            snprintf(title, sizeof title, "%s %s", who, d->what);
            certificate_case(g, v, target, d->name, title, d->rfc[v->id], d->alert, client ? d->name : NULL,
                             client ? NULL : d->name, false, NULL,
                             (d->flags & cert_rules[v->id].policy) != 0);
        }
        if (!(client && cert_rules[v->id].empty_server_list_hand_written) && g->ok) {
            snprintf(title, sizeof title, "%s list that is empty",
                     client ? "Client rejects a server certificate"
                            : "Server requiring a certificate rejects a client certificate");
            certificate_case(g, v, target, "empty-chain", title,
                             client ? cert_rules[v->id].empty_server_list_rfc
                                    : cert_rules[v->id].empty_client_list_rfc,
                             client ? SD_decode_error : cert_rules[v->id].empty_client_list_alert, NULL, NULL,
                             true, NULL, false);
        }
        if (cert_rules[v->id].entry_extensions && g->ok) {
            snprintf(title, sizeof title, "%s whose CertificateEntry carries an extension never asked for",
                     who);
            certificate_case(g, v, target, "entry-extension", title, RFC8446_ENTRY_EXTENSION,
                             SD_unsupported_extension, NULL, client ? NULL : "client", false,
                             "add-ext=" ENTRY_EXTENSION, false);
        }
    }
}
