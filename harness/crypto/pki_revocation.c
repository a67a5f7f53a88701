/* pki_revocation.c — revocation: a bounds-checked parser of OCSP responses
 * (RFC 6960), the check of a stapled response for the peer's leaf, the CRL
 * (RFC 5280 §5, §6.3) sd_verify_chain consults, and the PKI's own CRL and
 * OCSP responses checked once, when the PKI is loaded. It calls neither
 * pki.c nor pki_verify.c (pki_common.h). */
#include "crypto/pki.h"

#include <limits.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/pki_common.h"
#include "wire/names.h"

/* --- Parsing OCSP responses (RFC 6960) -------------------------------------- */

static sd_span span_of_cbs(const CBS *cbs) { return sd_span_of(CBS_data(cbs), CBS_len(cbs)); }

/* GeneralizedTime in its DER form (RFC 5280 §4.1.2.5.2, which RFC 6960
 * uses: "YYYYMMDDHHMMSSZ", no fractions) to seconds since the epoch. */
static bool parse_generalized_time(CBS *in, int64_t *out) {
    CBS t;
    if (!CBS_get_asn1(in, &t, CBS_ASN1_GENERALIZEDTIME) || CBS_len(&t) != 15 || CBS_data(&t)[14] != 'Z') {
        return false;
    }
    const uint8_t *c = CBS_data(&t);
    unsigned v[6]; /* year, month, day, hour, minute, second */
    static const unsigned kDigits[6] = {4, 2, 2, 2, 2, 2};
    for (size_t f = 0, pos = 0; f < 6; f++) {
        v[f] = 0;
        for (unsigned k = 0; k < kDigits[f]; k++, pos++) {
            if (c[pos] < '0' || c[pos] > '9') {
                return false;
            }
            v[f] = v[f] * 10 + (unsigned)(c[pos] - '0');
        }
    }
    static const unsigned kDays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > kDays[v[1] - 1] || (v[1] == 2 && v[2] == 29 && !leap) ||
        v[3] > 23 || v[4] > 59 || v[5] > 59) {
        return false;
    }
    /* days_from_civil (H. Hinnant), the inverse of pki_civil_from_days. */
    int64_t y = (int64_t)v[0] - (v[1] <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (v[1] > 2 ? v[1] - 3 : v[1] + 9) + 2) / 5 + v[2] - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + (int64_t)doe - 719468;
    *out = days * 86400 + v[3] * 3600 + v[4] * 60 + v[5];
    return true;
}

/* AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } */
static bool parse_algorithm_identifier(CBS *in, CBS *out_element, CBS *out_oid) {
    CBS alg;
    if (!CBS_get_asn1_element(in, out_element, CBS_ASN1_SEQUENCE)) {
        return false;
    }
    alg = *out_element;
    CBS body, params;
    if (!CBS_get_asn1(&alg, &body, CBS_ASN1_SEQUENCE) || !CBS_get_asn1(&body, out_oid, CBS_ASN1_OBJECT) ||
        CBS_len(out_oid) == 0) {
        return false;
    }
    unsigned tag;
    if (CBS_len(&body) > 0 && (!CBS_get_any_asn1(&body, &params, &tag) || CBS_len(&body) != 0)) {
        return false;
    }
    return true;
}

/* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension, optional under the
 * explicit tag [1] (singleExtensions, responseExtensions): checked for
 * shape only; none is understood. */
static bool skip_optional_extensions(CBS *in) {
    CBS tagged, exts;
    int present = 0;
    if (!CBS_get_optional_asn1(in, &tagged, &present, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1)) {
        return false;
    }
    return !present ||
           (CBS_get_asn1(&tagged, &exts, CBS_ASN1_SEQUENCE) && CBS_len(&tagged) == 0 && CBS_len(&exts) != 0);
}

static bool parse_single(sd_span *responses, sd_ocsp_single *out) {
    CBS in, single, cert_id, alg_element, oid, name_hash, key_hash, serial, status;
    memset(out, 0, sizeof(*out));
    out->revocation_reason = -1;
    CBS_init(&in, responses->data, responses->len);
    /* SingleResponse ::= SEQUENCE { certID CertID, certStatus CertStatus,
     *   thisUpdate GeneralizedTime, nextUpdate [0] EXPLICIT GeneralizedTime
     *   OPTIONAL, singleExtensions [1] EXPLICIT Extensions OPTIONAL }
     * CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier,
     *   issuerNameHash OCTET STRING, issuerKeyHash OCTET STRING,
     *   serialNumber CertificateSerialNumber } */
    if (!CBS_get_asn1(&in, &single, CBS_ASN1_SEQUENCE) ||
        !CBS_get_asn1(&single, &cert_id, CBS_ASN1_SEQUENCE) ||
        !parse_algorithm_identifier(&cert_id, &alg_element, &oid) ||
        !CBS_get_asn1(&cert_id, &name_hash, CBS_ASN1_OCTETSTRING) ||
        !CBS_get_asn1(&cert_id, &key_hash, CBS_ASN1_OCTETSTRING) ||
        !CBS_get_asn1_element(&cert_id, &serial, CBS_ASN1_INTEGER) || CBS_len(&serial) < 3 ||
        CBS_len(&cert_id) != 0) {
        return false;
    }
    out->hash_algorithm = span_of_cbs(&oid);
    out->issuer_name_hash = span_of_cbs(&name_hash);
    out->issuer_key_hash = span_of_cbs(&key_hash);
    out->serial = span_of_cbs(&serial);
    /* CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT
     *   RevokedInfo, unknown [2] IMPLICIT UnknownInfo (NULL) }
     * RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime,
     *   revocationReason [0] EXPLICIT CRLReason OPTIONAL } */
    /* (CBS_get_asn1 may advance even when the tag does not match: peek
     * first.) */
    if (CBS_peek_asn1_tag(&single, CBS_ASN1_CONTEXT_SPECIFIC | 0)) {
        if (!CBS_get_asn1(&single, &status, CBS_ASN1_CONTEXT_SPECIFIC | 0) || CBS_len(&status) != 0) {
            return false;
        }
        out->status = SD_OCSP_GOOD;
    } else if (CBS_peek_asn1_tag(&single, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1)) {
        out->status = SD_OCSP_REVOKED;
        if (!CBS_get_asn1(&single, &status, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1) ||
            !parse_generalized_time(&status, &out->revocation_time)) {
            return false;
        }
        CBS reason_tag, reason;
        int present = 0;
        if (!CBS_get_optional_asn1(&status, &reason_tag, &present,
                                   CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0)) {
            return false;
        }
        if (present) {
            /* CRLReason ::= ENUMERATED, values 0..10 (RFC 5280 §5.3.1). */
            uint8_t r;
            if (!CBS_get_asn1(&reason_tag, &reason, CBS_ASN1_ENUMERATED) || CBS_len(&reason_tag) != 0 ||
                !CBS_get_u8(&reason, &r) || CBS_len(&reason) != 0 || r > 10) {
                return false;
            }
            out->revocation_reason = r;
        }
        if (CBS_len(&status) != 0) {
            return false;
        }
    } else if (CBS_peek_asn1_tag(&single, CBS_ASN1_CONTEXT_SPECIFIC | 2)) {
        if (!CBS_get_asn1(&single, &status, CBS_ASN1_CONTEXT_SPECIFIC | 2) || CBS_len(&status) != 0) {
            return false;
        }
        out->status = SD_OCSP_UNKNOWN;
    } else {
        return false;
    }
    CBS next;
    int has_next = 0;
    /* singleExtensions: a critical one is not looked for (RFC 6960 §4.4
     * defines no critical single extensions). */
    if (!parse_generalized_time(&single, &out->this_update) ||
        !CBS_get_optional_asn1(&single, &next, &has_next,
                               CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0) ||
        (has_next && (!parse_generalized_time(&next, &out->next_update) || CBS_len(&next) != 0)) ||
        !skip_optional_extensions(&single) || CBS_len(&single) != 0) {
        return false;
    }
    out->has_next_update = has_next != 0;
    responses->data = CBS_data(&in);
    responses->len = CBS_len(&in);
    return true;
}

bool sd_ocsp_next_single(sd_span *responses, sd_ocsp_single *out) {
    /* Neither *responses nor *out changes unless a whole SingleResponse
     * parses. */
    sd_ocsp_single single;
    sd_span rest = *responses;
    if (!parse_single(&rest, &single)) {
        return false;
    }
    *out = single;
    *responses = rest;
    return true;
}

bool sd_ocsp_parse(sd_span der, sd_ocsp_response *out) {
    memset(out, 0, sizeof(*out));
    if (der.data == NULL) {
        return false;
    }
    CBS in, resp, status, rb_tag, rb, type, basic_os, basic, tbs_element;
    CBS_init(&in, der.data, der.len);
    /* OCSPResponse ::= SEQUENCE { responseStatus OCSPResponseStatus,
     *   responseBytes [0] EXPLICIT ResponseBytes OPTIONAL }
     * OCSPResponseStatus ::= ENUMERATED { successful (0), malformedRequest
     *   (1), internalError (2), tryLater (3), -- (4) is not used --
     *   sigRequired (5), unauthorized (6) } */
    uint8_t st;
    if (!CBS_get_asn1(&in, &resp, CBS_ASN1_SEQUENCE) || CBS_len(&in) != 0 ||
        !CBS_get_asn1(&resp, &status, CBS_ASN1_ENUMERATED) || !CBS_get_u8(&status, &st) ||
        CBS_len(&status) != 0 || st > 6 || st == 4) {
        return false;
    }
    out->response_status = st;
    if (st != 0) {
        /* §4.2.1: "If the value of responseStatus is one of the error
         * conditions, the responseBytes field is not set." */
        return CBS_len(&resp) == 0;
    }
    /* ResponseBytes ::= SEQUENCE { responseType OBJECT IDENTIFIER, response
     * OCTET STRING }; only id-pkix-ocsp-basic (1.3.6.1.5.5.7.48.1.1). */
    static const uint8_t kOcspBasic[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01};
    if (!CBS_get_asn1(&resp, &rb_tag, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0) ||
        CBS_len(&resp) != 0 || !CBS_get_asn1(&rb_tag, &rb, CBS_ASN1_SEQUENCE) || CBS_len(&rb_tag) != 0 ||
        !CBS_get_asn1(&rb, &type, CBS_ASN1_OBJECT) || !CBS_mem_equal(&type, kOcspBasic, sizeof(kOcspBasic)) ||
        !CBS_get_asn1(&rb, &basic_os, CBS_ASN1_OCTETSTRING) || CBS_len(&rb) != 0 ||
        /* BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData,
         *   signatureAlgorithm AlgorithmIdentifier, signature BIT STRING,
         *   certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL } */
        !CBS_get_asn1(&basic_os, &basic, CBS_ASN1_SEQUENCE) || CBS_len(&basic_os) != 0 ||
        !CBS_get_asn1_element(&basic, &tbs_element, CBS_ASN1_SEQUENCE)) {
        return false;
    }
    CBS sig_alg, sig_oid, sig_bits, certs_tag, certs;
    int has_certs = 0;
    uint8_t unused_bits;
    if (!parse_algorithm_identifier(&basic, &sig_alg, &sig_oid) ||
        !CBS_get_asn1(&basic, &sig_bits, CBS_ASN1_BITSTRING) || !CBS_get_u8(&sig_bits, &unused_bits) ||
        unused_bits != 0 ||
        !CBS_get_optional_asn1(&basic, &certs_tag, &has_certs,
                               CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0) ||
        CBS_len(&basic) != 0) {
        return false;
    }
    if (has_certs) {
        if (!CBS_get_asn1(&certs_tag, &certs, CBS_ASN1_SEQUENCE) || CBS_len(&certs_tag) != 0) {
            return false;
        }
        out->certs = span_of_cbs(&certs);
        /* Each an element; not parsed as certificates here. */
        while (CBS_len(&certs) > 0) {
            CBS cert;
            if (!CBS_get_asn1(&certs, &cert, CBS_ASN1_SEQUENCE)) {
                return false;
            }
        }
    }
    out->tbs_response_data = span_of_cbs(&tbs_element);
    out->signature_algorithm = span_of_cbs(&sig_alg);
    out->signature = span_of_cbs(&sig_bits);

    /* ResponseData ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1,
     *   responderID ResponderID, producedAt GeneralizedTime, responses
     *   SEQUENCE OF SingleResponse, responseExtensions [1] EXPLICIT
     *   Extensions OPTIONAL }
     * ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash }
     * KeyHash ::= OCTET STRING -- SHA-1 hash of responder's public key */
    CBS tbs, version_tag, rid, responses;
    int has_version = 0;
    if (!CBS_get_asn1(&tbs_element, &tbs, CBS_ASN1_SEQUENCE) ||
        !CBS_get_optional_asn1(&tbs, &version_tag, &has_version,
                               CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0)) {
        return false;
    }
    if (has_version) {
        /* DER omits a DEFAULT value, so an explicit v1 (0) is not DER, and
         * no other version exists. */
        return false;
    }
    if (CBS_peek_asn1_tag(&tbs, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1)) {
        CBS name;
        if (!CBS_get_asn1(&tbs, &rid, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1) ||
            !CBS_get_asn1_element(&rid, &name, CBS_ASN1_SEQUENCE) || CBS_len(&rid) != 0) {
            return false;
        }
        out->responder_name = span_of_cbs(&name);
    } else if (CBS_peek_asn1_tag(&tbs, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 2)) {
        CBS hash;
        if (!CBS_get_asn1(&tbs, &rid, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 2) ||
            !CBS_get_asn1(&rid, &hash, CBS_ASN1_OCTETSTRING) || CBS_len(&rid) != 0 ||
            CBS_len(&hash) != SHA_DIGEST_LENGTH) {
            return false;
        }
        out->responder_key_hash = span_of_cbs(&hash);
    } else {
        return false;
    }
    if (!parse_generalized_time(&tbs, &out->produced_at) ||
        !CBS_get_asn1(&tbs, &responses, CBS_ASN1_SEQUENCE) || !skip_optional_extensions(&tbs) ||
        CBS_len(&tbs) != 0) {
        return false;
    }
    out->responses = span_of_cbs(&responses);
    sd_span it = out->responses;
    while (it.len > 0) {
        sd_ocsp_single single;
        if (!sd_ocsp_next_single(&it, &single)) {
            return false;
        }
        out->n_responses++;
    }
    return out->n_responses > 0;
}

/* --- Checking a stapled OCSP response -------------------------------------- */

/* One hash of CertID (RFC 6960 §4.1.1) by its OID: SHA-1 (what RFC 5019
 * requires and responders use) or SHA-256. */
static const EVP_MD *cert_id_digest(sd_span oid) {
    CBS cbs;
    CBS_init(&cbs, oid.data, oid.len);
    switch (OBJ_cbs2nid(&cbs)) {
    case NID_sha1:
        return EVP_sha1();
    case NID_sha256:
        return EVP_sha256();
    default:
        return NULL;
    }
}

static bool digest_equals(const EVP_MD *md, const uint8_t *data, size_t len, sd_span want) {
    uint8_t h[EVP_MAX_MD_SIZE];
    unsigned h_len = 0;
    return EVP_Digest(data, len, h, &h_len, md, NULL) && want.len == h_len &&
           memcmp(h, want.data, h_len) == 0;
}

/* RFC 6960 §4.2.2.3 ResponderID names `ca`: byName its subject, byKey the
 * SHA-1 hash of its public key's BIT STRING. */
static bool ocsp_responder_is(const sd_ocsp_response *r, X509 *ca) {
    const ASN1_BIT_STRING *key_bits = X509_get0_pubkey_bitstr(ca);
    if (r->responder_key_hash.len > 0) {
        return key_bits != NULL && digest_equals(EVP_sha1(), ASN1_STRING_get0_data(key_bits),
                                                 (size_t)ASN1_STRING_length(key_bits), r->responder_key_hash);
    }
    uint8_t *name = NULL;
    int name_len = i2d_X509_NAME(X509_get_subject_name(ca), &name);
    bool same = name_len > 0 && r->responder_name.len == (size_t)name_len &&
                memcmp(r->responder_name.data, name, r->responder_name.len) == 0;
    OPENSSL_free(name);
    return same;
}

/* The response's signature (RFC 6960 §4.2.1) verifies with `key`; MD5 and
 * SHA-1 refused, with the same list as for certificates (pki_weak_digest). */
static bool ocsp_signature_verifies(const sd_ocsp_response *r, EVP_PKEY *key) {
    CBS alg, body, oid;
    CBS_init(&alg, r->signature_algorithm.data, r->signature_algorithm.len);
    int md_nid = NID_undef, pk_nid = NID_undef;
    bool sig_ok = false;
    if (CBS_get_asn1(&alg, &body, CBS_ASN1_SEQUENCE) && CBS_get_asn1(&body, &oid, CBS_ASN1_OBJECT) &&
        OBJ_find_sigid_algs(OBJ_cbs2nid(&oid), &md_nid, &pk_nid) && key != NULL &&
        EVP_PKEY_id(key) == pk_nid && pki_weak_digest(md_nid) == NULL) {
        const EVP_MD *md = md_nid == NID_undef ? NULL : EVP_get_digestbynid(md_nid);
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        sig_ok = ctx != NULL && (md != NULL || pk_nid == EVP_PKEY_ED25519) &&
                 EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
                 EVP_DigestVerify(ctx, r->signature.data, r->signature.len, r->tbs_response_data.data,
                                  r->tbs_response_data.len) == 1;
        EVP_MD_CTX_free(ctx);
    }
    ERR_clear_error();
    return sig_ok;
}

/* `der` is byte for byte one of the PKI's own files whose signature
 * verified with `key` when it was loaded (sd_pki_file.signer). */
static bool signed_at_load(const sd_pki *pki, sd_span der, EVP_PKEY *key) {
    for (size_t i = 0; pki != NULL && key != NULL && i < pki->n_blobs; i++) {
        const sd_pki_file *f = &pki->blobs[i];
        if (f->signer != NULL && f->span.len == der.len && memcmp(f->span.data, der.data, der.len) == 0) {
            return EVP_PKEY_cmp(f->signer, key) == 1;
        }
    }
    return false;
}

/* Checks a stapled OCSP response for `leaf`, issued by `issuer`. RFC 8446
 * §6.2 bad_certificate_status_response: "Sent by clients when an invalid or
 * unacceptable OCSP response is provided by the server via the
 * "certificate_status" extension (see [RFC6066])", and RFC 6066 §8: clients
 * "MUST check the OCSP response and abort the handshake if the response is
 * not satisfactory with bad_certificate_status_response(113) alert". A
 * response that says "revoked" is satisfactory and damning:
 * certificate_revoked (§6.2 "A certificate was revoked by its signer"). */
bool pki_check_stapled_ocsp(const sd_pki *pki, sd_span der, X509 *leaf, X509 *issuer, int64_t now,
                            uint8_t *out_alert, char *err, size_t err_len) {
    sd_ocsp_response r;
    *out_alert = SD_bad_certificate_status_response;
    if (!sd_ocsp_parse(der, &r)) {
        sd_set_error(err, err_len, "the stapled OCSP response is not a DER OCSPResponse");
        return false;
    }
    if (r.response_status != 0) {
        sd_set_error(err, err_len, "the stapled OCSP response has responseStatus %u, not successful",
                     r.response_status);
        return false;
    }
    /* §4.2.2.2: the signer must be the CA that issued the certificate, a
     * delegated responder it certified, or a locally configured one. Only
     * the first is supported: ResponderID must name the issuer. */
    const ASN1_BIT_STRING *issuer_key_bits = X509_get0_pubkey_bitstr(issuer);
    uint8_t *issuer_name = NULL;
    int issuer_name_len = i2d_X509_NAME(X509_get_subject_name(issuer), &issuer_name);
    if (issuer_name_len <= 0 || issuer_key_bits == NULL || !ocsp_responder_is(&r, issuer)) {
        OPENSSL_free(issuer_name);
        sd_set_error(err, err_len,
                     "the stapled OCSP response is not signed by the leaf's issuer (delegated "
                     "responders are not supported)");
        return false;
    }
    /* The signature, with the issuer's key; verified once, at load, for the
     * PKI's own responses. */
    EVP_PKEY *key = X509_get_pubkey(issuer);
    bool sig_ok = signed_at_load(pki, der, key) || ocsp_signature_verifies(&r, key);
    EVP_PKEY_free(key);
    if (!sig_ok) {
        OPENSSL_free(issuer_name);
        sd_set_error(err, err_len,
                     "the stapled OCSP response's signature does not verify with the issuer's key");
        return false;
    }
    /* §4.1.1 CertID: the hash of the issuer's name and key, and the leaf's
     * serial number. */
    uint8_t *serial = NULL;
    int serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(leaf), &serial);
    sd_span it = r.responses;
    sd_ocsp_single s;
    bool found = false;
    while (serial_len > 0 && it.len > 0 && sd_ocsp_next_single(&it, &s)) {
        const EVP_MD *md = cert_id_digest(s.hash_algorithm);
        if (md != NULL && s.serial.len == (size_t)serial_len &&
            memcmp(s.serial.data, serial, s.serial.len) == 0 &&
            digest_equals(md, issuer_name, (size_t)issuer_name_len, s.issuer_name_hash) &&
            digest_equals(md, ASN1_STRING_get0_data(issuer_key_bits),
                          (size_t)ASN1_STRING_length(issuer_key_bits), s.issuer_key_hash)) {
            found = true;
            break;
        }
    }
    OPENSSL_free(serial);
    OPENSSL_free(issuer_name);
    if (!found) {
        sd_set_error(err, err_len, "the stapled OCSP response has no status for the leaf");
        return false;
    }
    /* §4.2.2.1: "Responses whose nextUpdate value is earlier than the local
     * system time value SHOULD be considered unreliable. Responses whose
     * thisUpdate time is later than the local system time SHOULD be
     * considered unreliable." */
    char when[40], now_text[40];
    pki_format_time(now, now_text, sizeof(now_text));
    if (s.this_update > now) {
        pki_format_time(s.this_update, when, sizeof(when));
        sd_set_error(err, err_len,
                     "the stapled OCSP response is not yet valid (thisUpdate %s, validation time %s)", when,
                     now_text);
        return false;
    }
    if (s.has_next_update && s.next_update < now) {
        pki_format_time(s.next_update, when, sizeof(when));
        sd_set_error(err, err_len, "the stapled OCSP response is stale (nextUpdate %s, validation time %s)",
                     when, now_text);
        return false;
    }
    switch (s.status) {
    case SD_OCSP_GOOD:
        return true;
    case SD_OCSP_REVOKED:
        *out_alert = SD_certificate_revoked;
        pki_format_time(s.revocation_time, when, sizeof(when));
        sd_set_error(err, err_len, "certificate revoked (stapled OCSP response: revoked %s, reason %d)", when,
                     s.revocation_reason);
        return false;
    case SD_OCSP_UNKNOWN:
    default:
        /* §2.2 "unknown": the responder does not know the certificate;
         * not a satisfactory answer (RFC 6066 §8). */
        sd_set_error(err, err_len, "the stapled OCSP response says \"unknown\" for the leaf");
        return false;
    }
}

/* --- The CRL ---------------------------------------------------------------- */

/* The CRL `der` holds, all of it: NULL if it does not parse or if bytes
 * trail it. */
static X509_CRL *crl_from_der(sd_span der) {
    const uint8_t *p = der.data;
    X509_CRL *crl = der.len <= (size_t)LONG_MAX ? d2i_X509_CRL(NULL, &p, (long)der.len) : NULL;
    if (crl != NULL && p != der.data + der.len) {
        X509_CRL_free(crl);
        crl = NULL;
    }
    return crl;
}

/* It is our own configuration, not the peer's bytes: one that does not
 * parse is a harness error. The PKI's own crl.der is parsed once
 * (pki->crl). */
bool pki_configured_crl(const sd_pki *pki, const sd_span *crl, X509_CRL **out, char *err, size_t err_len) {
    *out = NULL;
    if (crl == NULL || crl->len == 0) {
        return true;
    }
    const sd_pki_file *own = pki_find_file(pki, "crl.der");
    if (pki->crl != NULL && own != NULL && own->span.data == crl->data && own->span.len == crl->len) {
        X509_CRL_up_ref(pki->crl);
        *out = pki->crl;
        return true;
    }
    *out = crl_from_der(*crl);
    if (*out == NULL) {
        sd_set_error(err, err_len, "the configured CRL is not a DER CRL");
        return false;
    }
    return true;
}

/* X509_STORE check_crl for the PKI's own CRL: BoringSSL's default check
 * (RFC 5280 §6.3.3: the issuer may sign CRLs, the CRL is current, its
 * signature verifies) minus the signature, which pki_prepare_revocation
 * verified once. It covers exactly the case where the default's other
 * checks are known to pass: pki->crl (direct and complete) issued by the
 * next certificate of the path, with the key that signed it. Any other
 * case sets needs_default_check and fails, so that sd_verify_chain
 * verifies again without this shortcut; the result is the same as
 * BoringSSL's, only cheaper. */
int pki_check_own_crl(X509_STORE_CTX *ctx, X509_CRL *crl) {
    pki_crl_check_state *state = X509_STORE_CTX_get_app_data(ctx);
    const sd_pki *pki = state->pki;
    const sd_pki_file *file = pki_find_file(pki, "crl.der");
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
    int depth = X509_STORE_CTX_get_error_depth(ctx);
    X509 *issuer = X509_STORE_CTX_get0_current_issuer(ctx);
    EVP_PKEY *key = issuer != NULL ? X509_get_pubkey(issuer) : NULL;
    bool covered = crl == pki->crl && file != NULL && file->signer != NULL && key != NULL && depth >= 0 &&
                   (size_t)depth + 1 < sk_X509_num(chain) &&
                   issuer == sk_X509_value(chain, (size_t)depth + 1) && EVP_PKEY_cmp(key, file->signer) == 1;
    EVP_PKEY_free(key);
    if (!covered) {
        state->needs_default_check = true;
        X509_STORE_CTX_set_error(ctx, X509_V_ERR_UNSPECIFIED);
        return 0;
    }
    /* §6.3.3 (f): the CRL issuer's keyUsage, when present, has cRLSign. */
    if ((X509_get_extension_flags(issuer) & EXFLAG_KUSAGE) && !(X509_get_key_usage(issuer) & KU_CRL_SIGN)) {
        X509_STORE_CTX_set_error(ctx, X509_V_ERR_KEYUSAGE_NO_CRL_SIGN);
        return 0;
    }
    /* §6.3.3 (a)(1): thisUpdate <= now <= nextUpdate, at the run's time. */
    time_t now = (time_t)state->now;
    int cmp = X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &now);
    if (cmp == 0 || cmp > 0) {
        X509_STORE_CTX_set_error(ctx, cmp == 0 ? X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD
                                               : X509_V_ERR_CRL_NOT_YET_VALID);
        return 0;
    }
    if (X509_CRL_get0_nextUpdate(crl) != NULL) {
        cmp = X509_cmp_time(X509_CRL_get0_nextUpdate(crl), &now);
        if (cmp == 0 || cmp < 0) {
            X509_STORE_CTX_set_error(ctx, cmp == 0 ? X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD
                                                   : X509_V_ERR_CRL_HAS_EXPIRED);
            return 0;
        }
    }
    return 1;
}

/* --- The PKI's own CRL and OCSP responses, checked once ------------------- */

/* Every certificate of the PKI that could sign its CRL or responses: the
 * root and each certificate after the leaf in a chain that parses. */
static STACK_OF(X509) * pki_issuer_candidates(const sd_pki *pki) {
    STACK_OF(X509) *cas = sk_X509_new_null();
    if (cas == NULL || !X509_up_ref(pki->root) || !sk_X509_push(cas, pki->root)) {
        sk_X509_pop_free(cas, X509_free);
        return NULL;
    }
    for (size_t i = 0; i < pki->n_credentials; i++) {
        const sd_credential *c = &pki->credentials[i];
        for (size_t k = 1; k < c->chain_len; k++) {
            const uint8_t *der = c->chain_der[k];
            X509 *x = c->chain_der_len[k] <= (size_t)LONG_MAX
                          ? d2i_X509(NULL, &der, (long)c->chain_der_len[k])
                          : NULL;
            if (x != NULL && !sk_X509_push(cas, x)) {
                X509_free(x);
            }
        }
    }
    return cas;
}

/* Parses crl.der into pki->crl, and records in each sd_pki_file.signer the
 * CA key its signature verifies with. Nothing here is an error: a file
 * that does not parse or verify is checked in full (and refused) on use,
 * like any other bytes. The CRL gets a signer only when it is direct and complete (no
 * issuingDistributionPoint, no deltaCRLIndicator, RFC 5280 §5.2.4-5):
 * pki_check_own_crl covers only that case. */
void pki_prepare_revocation(sd_pki *pki) {
    STACK_OF(X509) *cas = pki_issuer_candidates(pki);
    for (size_t i = 0; cas != NULL && i < pki->n_blobs; i++) {
        sd_pki_file *f = &pki->blobs[i];
        sd_ocsp_response r;
        bool is_crl = strcmp(f->name, "crl.der") == 0;
        if (is_crl) {
            pki->crl = crl_from_der(f->span);
            if (pki->crl == NULL ||
                X509_CRL_get_ext_by_NID(pki->crl, NID_issuing_distribution_point, -1) >= 0 ||
                X509_CRL_get_ext_by_NID(pki->crl, NID_delta_crl, -1) >= 0) {
                continue;
            }
        } else if (strncmp(f->name, "ocsp-", 5) != 0 || !sd_ocsp_parse(f->span, &r) ||
                   r.response_status != 0) {
            continue;
        }
        for (size_t k = 0; k < sk_X509_num(cas) && f->signer == NULL; k++) {
            X509 *ca = sk_X509_value(cas, k);
            EVP_PKEY *key = X509_get_pubkey(ca);
            bool signs =
                key != NULL &&
                (is_crl ? X509_NAME_cmp(X509_get_subject_name(ca), X509_CRL_get_issuer(pki->crl)) == 0 &&
                              X509_CRL_verify(pki->crl, key) == 1
                        : ocsp_responder_is(&r, ca) && ocsp_signature_verifies(&r, key));
            if (signs) {
                f->signer = key;
            } else {
                EVP_PKEY_free(key);
            }
        }
    }
    sk_X509_pop_free(cas, X509_free);
    ERR_clear_error();
}
