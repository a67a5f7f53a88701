/* fuzz_tls12_wire.c — parse → build → parse must agree for every TLS 1.2
 * message and extension of the wire codec, and TLS 1.2 record opening must
 * fail only with the alerts RFC 5246 allows. No stack runs.
 *
 * Targets (harness/wire/tls12.c, harness/crypto/record_protection.c):
 *   sd_parse_tls12_ske_ecdhe / sd_build_tls12_ske_ecdhe,
 *   sd_parse_tls12_cke_rsa / sd_build_tls12_cke_rsa,
 *   sd_parse_tls12_cke_ecdhe / sd_build_tls12_cke_ecdhe,
 *   sd_parse_tls12_certificate + sd_tls12_certificate_next /
 *     sd_build_tls12_certificate + sd_build_tls12_certificate_entry,
 *   sd_parse_tls12_certificate_request + sd_tls12_distinguished_name_next /
 *     sd_build_tls12_certificate_request,
 *   sd_parse_tls12_new_session_ticket / sd_build_tls12_new_session_ticket,
 *   sd_parse_tls12_certificate_status / sd_build_tls12_certificate_status,
 *   sd_parse_tls12_server_hello_done, sd_parse_tls12_hello_request,
 *   sd_parse_renegotiation_info / sd_build_renegotiation_info,
 *   sd_parse_extended_master_secret,
 *   sd_record_open with TLS 1.2 keys (AES-128-GCM, AES-256-GCM,
 *     ChaCha20-Poly1305, AES-128-CBC-SHA; fixed keys), and
 *     sd_record_seal → sd_record_open for each.
 *
 * Input: a selector byte (mod the number of kinds), then the bytes. For a
 * message: what parses must rebuild to exactly the input (every TLS 1.2
 * encoding here is unique: true lengths, no trailing bytes) and parse again
 * to the same fields; a failed parse must be decode_error. For a record
 * kind: the first byte after the selector is the header's content type, the
 * rest the fragment; opening must fail with bad_record_mac or
 * record_overflow (nobody can forge a tag), and sealing the bytes as
 * content then opening must give them back. Any disagreement aborts with
 * the input hex-dumped.
 *
 * Seeds (corpus/fuzz_tls12_wire/, three small hand-laid messages, each a
 * selector byte and a valid body): "ske" (0: named_curve x25519, a 32-byte
 * point, rsa_pkcs1_sha256, a 64-byte signature), "certificate" (3: two
 * entries), "certificate-request" (4: rsa_sign and ecdsa_sign, three
 * schemes, one DistinguishedName). The fuzzer reaches the other selectors
 * from these by mutating the first byte.
 *
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl; see CMakeLists.txt. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/tls12.h"
#include "wire/bytes.h"
#include "wire/names.h"
#include "wire/record.h"
#include "wire/tls12.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    return 0;
}

#define ROUNDTRIP_TARGET "fuzz_tls12_wire"
#include "roundtrip_check.h"

static void ske(sd_span in) {
    sd_tls12_ske a, b;
    uint8_t alert = 0;
    if (!sd_parse_tls12_ske_ecdhe(in, &a, &alert)) {
        CHECK(alert == SD_decode_error, "SKE alert");
        return;
    }
    CHECK(a.curve_type == SD_EC_CURVE_TYPE_NAMED_CURVE && a.params.data == in.data &&
              a.params.len == 4 + a.point.len,
          "SKE params are the ServerECDHParams prefix");
    sd_buf out;
    sd_buf_init(&out);
    sd_build_tls12_ske_ecdhe(&out, &a);
    rebuilt_equals_input(&out, in, "SKE rebuilds to the input");
    CHECK(sd_parse_tls12_ske_ecdhe(sd_buf_span(&out), &b, &alert), "rebuilt SKE parses");
    CHECK(a.group == b.group && same(a.point, b.point) && same(a.params, b.params) &&
              a.sig_alg == b.sig_alg && same(a.signature, b.signature),
          "SKE fields agree");
    sd_buf params;
    sd_buf_init(&params);
    sd_build_tls12_server_ecdh_params(&params, a.group, a.point);
    CHECK(same(sd_buf_span(&params), a.params), "ServerECDHParams builder agrees");
    sd_buf_free(&params);
    sd_buf_free(&out);
}

static void cke(sd_span in, bool rsa) {
    sd_span a, b;
    uint8_t alert = 0;
    bool ok = rsa ? sd_parse_tls12_cke_rsa(in, &a, &alert) : sd_parse_tls12_cke_ecdhe(in, &a, &alert);
    if (!ok) {
        CHECK(alert == SD_decode_error, "CKE alert");
        return;
    }
    sd_buf out;
    sd_buf_init(&out);
    if (rsa)
        sd_build_tls12_cke_rsa(&out, a);
    else
        sd_build_tls12_cke_ecdhe(&out, a);
    rebuilt_equals_input(&out, in, "CKE rebuilds to the input");
    ok = rsa ? sd_parse_tls12_cke_rsa(sd_buf_span(&out), &b, &alert)
             : sd_parse_tls12_cke_ecdhe(sd_buf_span(&out), &b, &alert);
    CHECK(ok && same(a, b), "rebuilt CKE parses, same value");
    sd_buf_free(&out);
}

static void certificate(sd_span in) {
    sd_tls12_certificate a, b;
    uint8_t alert = 0;
    if (!sd_parse_tls12_certificate(in, &a, &alert)) {
        CHECK(alert == SD_decode_error, "Certificate alert");
        return;
    }
    /* Rebuild entry by entry: iterating a parsed message cannot fail. */
    sd_buf list, out;
    sd_buf_init(&list);
    sd_buf_init(&out);
    sd_reader it = sd_reader_of(a.certificate_list);
    sd_span cert;
    int rc;
    while ((rc = sd_tls12_certificate_next(&it, &cert, &alert)) == 1) {
        CHECK(cert.len > 0, "ASN.1Cert<1..>");
        sd_build_tls12_certificate_entry(&list, cert);
    }
    CHECK(rc == 0, "iterating a parsed Certificate succeeds");
    b.certificate_list = sd_buf_span(&list);
    sd_build_tls12_certificate(&out, &b);
    rebuilt_equals_input(&out, in, "Certificate rebuilds to the input");
    CHECK(sd_parse_tls12_certificate(sd_buf_span(&out), &b, &alert) &&
              same(a.certificate_list, b.certificate_list),
          "rebuilt Certificate parses, same list");
    sd_buf_free(&list);
    sd_buf_free(&out);
}

static void certificate_request(sd_span in) {
    sd_tls12_certificate_request a, b;
    uint8_t alert = 0;
    if (!sd_parse_tls12_certificate_request(in, &a, &alert)) {
        CHECK(alert == SD_decode_error, "CertificateRequest alert");
        return;
    }
    CHECK(a.certificate_types.len >= 1 && a.supported_signature_algorithms.len >= 2 &&
              a.supported_signature_algorithms.len % 2 == 0,
          "CertificateRequest ranges");
    sd_reader it = sd_reader_of(a.certificate_authorities);
    sd_span dn;
    int rc;
    while ((rc = sd_tls12_distinguished_name_next(&it, &dn, &alert)) == 1)
        CHECK(dn.len > 0, "DistinguishedName<1..>");
    CHECK(rc == 0, "iterating parsed CAs succeeds");
    sd_buf out;
    sd_buf_init(&out);
    sd_build_tls12_certificate_request(&out, &a);
    rebuilt_equals_input(&out, in, "CertificateRequest rebuilds to the input");
    CHECK(sd_parse_tls12_certificate_request(sd_buf_span(&out), &b, &alert) &&
              same(a.certificate_types, b.certificate_types) &&
              same(a.supported_signature_algorithms, b.supported_signature_algorithms) &&
              same(a.certificate_authorities, b.certificate_authorities),
          "rebuilt CertificateRequest parses, same fields");
    sd_buf_free(&out);
}

static void new_session_ticket(sd_span in) {
    sd_tls12_new_session_ticket a, b;
    uint8_t alert = 0;
    if (!sd_parse_tls12_new_session_ticket(in, &a, &alert)) {
        CHECK(alert == SD_decode_error, "NST alert");
        return;
    }
    sd_buf out;
    sd_buf_init(&out);
    sd_build_tls12_new_session_ticket(&out, &a);
    rebuilt_equals_input(&out, in, "NST rebuilds to the input");
    CHECK(sd_parse_tls12_new_session_ticket(sd_buf_span(&out), &b, &alert) &&
              a.lifetime_hint == b.lifetime_hint && same(a.ticket, b.ticket),
          "rebuilt NST parses, same fields");
    sd_buf_free(&out);
}

static void certificate_status(sd_span in) {
    sd_tls12_certificate_status a, b;
    uint8_t alert = 0;
    if (!sd_parse_tls12_certificate_status(in, &a, &alert)) {
        CHECK(alert == SD_decode_error, "CertificateStatus alert");
        return;
    }
    CHECK(a.status_type == SD_CERTIFICATE_STATUS_OCSP && a.ocsp_response.len > 0, "CertificateStatus values");
    sd_buf out;
    sd_buf_init(&out);
    sd_build_tls12_certificate_status(&out, &a);
    rebuilt_equals_input(&out, in, "CertificateStatus rebuilds to the input");
    CHECK(sd_parse_tls12_certificate_status(sd_buf_span(&out), &b, &alert) &&
              a.status_type == b.status_type && same(a.ocsp_response, b.ocsp_response),
          "rebuilt CertificateStatus parses, same fields");
    sd_buf_free(&out);
}

static void empty_bodies(sd_span in) {
    uint8_t a1 = 0, a2 = 0, a3 = 0;
    bool shd = sd_parse_tls12_server_hello_done(in, &a1);
    bool hr = sd_parse_tls12_hello_request(in, &a2);
    bool ems = sd_parse_extended_master_secret(in, &a3);
    CHECK(shd == (in.len == 0) && hr == (in.len == 0) && ems == (in.len == 0),
          "empty bodies parse iff empty");
    if (in.len > 0)
        CHECK(a1 == SD_decode_error && a2 == SD_decode_error && a3 == SD_decode_error, "empty body alerts");
}

static void renegotiation_info(sd_span in) {
    sd_span a, b;
    uint8_t alert = 0;
    if (!sd_parse_renegotiation_info(in, &a, &alert)) {
        CHECK(alert == SD_decode_error, "renegotiation_info alert");
        return;
    }
    sd_buf out;
    sd_buf_init(&out);
    sd_build_renegotiation_info(&out, a);
    rebuilt_equals_input(&out, in, "renegotiation_info rebuilds to the input");
    CHECK(sd_parse_renegotiation_info(sd_buf_span(&out), &b, &alert) && same(a, b),
          "rebuilt renegotiation_info");
    sd_buf_free(&out);
}

/* Fixed keys per suite: opening fuzz bytes must fail cleanly; sealing them
 * and opening must round-trip. */
static void record(sd_span in, uint16_t suite_id) {
    const sd_tls12_suite *s = sd_tls12_suite_find(suite_id);
    CHECK(s != NULL, "suite known");
    static const uint8_t key[32] = {1, 2, 3}, iv[12] = {4, 5, 6}, mac[20] = {7, 8, 9};
    sd_record_keys r, w;
    sd_record_keys_init(&r);
    sd_record_keys_init(&w);
    CHECK(sd_record_keys_set_tls12(&r, s, key, iv, mac, false), "set read keys");
    CHECK(sd_record_keys_set_tls12(&w, s, key, iv, mac, false), "set write keys");
    uint8_t type = in.len > 0 ? in.data[0] : SD_application_data;
    sd_span frag = in.len > 0 ? sd_span_of(in.data + 1, in.len - 1) : in;
    uint8_t header[5] = {type, 3, 3, (uint8_t)(frag.len >> 8), (uint8_t)frag.len};
    sd_buf out;
    sd_buf_init(&out);
    uint8_t got_type = 0, alert = 0;
    bool opened = sd_record_open(&r, sd_span_of(header, 5), frag, &got_type, &out, &alert);
    CHECK(!opened, "a forged record never opens");
    CHECK(alert == SD_bad_record_mac || alert == SD_record_overflow, "record open alert");
    CHECK(r.seq == 0, "a failed open keeps the sequence number");

    /* Seal the fragment as content (CBC: with extra padding from the type
     * byte, in whole blocks, up to what fits), then open. */
    sd_buf rec;
    sd_buf_init(&rec);
    size_t pad = 0;
    if (s->bulk == SD_BULK_AES_128_CBC_SHA) pad = 16 * (size_t)(type % 16);
    if (frag.len <= SD_MAX_PLAINTEXT) {
        CHECK(sd_record_seal(&w, type, frag, pad, &rec), "seal");
        sd_buf_reset(&out);
        CHECK(sd_record_open(&r, sd_span_of(rec.data, 5), sd_span_of(rec.data + 5, rec.len - 5), &got_type,
                             &out, &alert),
              "sealed record opens");
        CHECK(got_type == type && same(sd_buf_span(&out), frag) && r.seq == 1 && w.seq == 1, "round trip");
    }
    sd_buf_free(&rec);
    sd_buf_free(&out);
    sd_record_keys_clear(&r);
    sd_record_keys_clear(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 20000) return 0;
    roundtrip_input(data, size);
    sd_span in = sd_span_of(data + 1, size - 1);
    switch (data[0] % 13) {
    case 0:
        ske(in);
        break;
    case 1:
        cke(in, true);
        break;
    case 2:
        cke(in, false);
        break;
    case 3:
        certificate(in);
        break;
    case 4:
        certificate_request(in);
        break;
    case 5:
        new_session_ticket(in);
        break;
    case 6:
        certificate_status(in);
        break;
    case 7:
        empty_bodies(in);
        break;
    case 8:
        renegotiation_info(in);
        break;
    case 9:
        record(in, SD_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
        break;
    case 10:
        record(in, SD_TLS_RSA_WITH_AES_256_GCM_SHA384);
        break;
    case 11:
        record(in, SD_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
        break;
    case 12:
        record(in, SD_TLS_RSA_WITH_AES_128_CBC_SHA);
        break;
    }
    return 0;
}
