/* test_model_rfc.c — the model's answers where it follows the RFC and
 * BoringSSL does not (issue 14), each driven through the driver as a
 * scenario would be: empty TLS 1.3 records (RFC 8446 §5.1, §5.4),
 * signature_algorithms lists of any length (§4.2.3), handshake messages up
 * to the uint24 bound (§4) with a configurable limit, and the compatibility
 * ChangeCipherSpec around the peer's Finished (§5). The scenarios in
 * scenarios/tls13/ pin the same answers against every stack; these pin the
 * model's alone, and the edges around them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "driver/driver.h"
#include "stacks/stacks.h"
#include "trace/trace.h"
#include "wire/names.h"

#include "pki_fixture.h"

/* Runs a scenario text against the model, with `limit` and `post_limit` as
 * sd_target_config.max_handshake_message and max_post_handshake_message
 * (0: the RFC's bound); fails unless it ends as `kind` (with `alert`, when
 * kind is SD_OUTCOME_ALERT). */
static void outcome_with_limits(const char *text, size_t limit, size_t post_limit, sd_outcome_kind kind,
                                int alert) {
    sd_scenario s;
    char err[512];
    if (!sd_scenario_parse("t.sd", text, strlen(text), &s, err, sizeof err)) fail_msg("%s", err);
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, &sd_target_model, s.role, &pki);
    sd_run_config_apply_scenario(&cfg, &s);
    cfg.max_handshake_message = limit;
    cfg.max_post_handshake_message = post_limit;
    static sd_outcome o;
    sd_driver_run(&s.trace, &cfg, &o);
    sd_scenario_free(&s);
    if (o.kind != kind || (kind == SD_OUTCOME_ALERT && o.alert != alert))
        fail_msg("got %s %s (%s), want %s %s", sd_outcome_kind_name(o.kind),
                 o.kind == SD_OUTCOME_ALERT ? sd_alert_name(o.alert) : "", o.detail,
                 sd_outcome_kind_name(kind), kind == SD_OUTCOME_ALERT ? sd_alert_name((uint8_t)alert) : "");
}

static void outcome_with_limit(const char *text, size_t limit, sd_outcome_kind kind, int alert) {
    outcome_with_limits(text, limit, 0, kind, alert);
}

static void outcome(const char *text, sd_outcome_kind kind, int alert) {
    outcome_with_limits(text, 0, 0, kind, alert);
}

#define HEAD(role) "id: t.t\ntitle: t\nrfc: RFC 8446\nrole: " role "\nversion: 1.3\nexpect: complete\n"
#define HEAD12(role)                                                                     \
    "id: t.t\ntitle: t\nrfc: RFC 5246\nrole: " role "\nversion: 1.2\nexpect: complete\n" \
    "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
/* A server under test, up to where the client's second flight goes. */
#define TO_CLIENT_FINISHED                                                                   \
    "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\nexpect Certificate\n" \
    "expect CertificateVerify\nexpect Finished\n"
#define PING "send-appdata \"ping\"\nexpect-appdata \"ping\"\n"

/* --- Empty records (RFC 8446 §5.1, §5.4) ---------------------------------- */

/* §5.4: "Implementations MUST NOT send Handshake and Alert records that have
 * a zero-length TLSInnerPlaintext.content; if such a message is received,
 * the receiving implementation MUST terminate the connection with an
 * "unexpected_message" alert." Under handshake keys and application keys,
 * with and without padding (`send-raw 0 15000000 encrypted` seals 15 00 00
 * 00 under inner type 0: the receiver's scan from the end finds type 0x15,
 * alert, and no content). */
static void empty_protected_alert_is_unexpected_message(void **state) {
    (void)state;
    outcome(HEAD("server") TO_CLIENT_FINISHED "send-raw alert hex= encrypted\nsend Finished\n",
            SD_OUTCOME_ALERT, SD_unexpected_message);
    outcome(HEAD("server") TO_CLIENT_FINISHED "send-raw 0 15000000 encrypted\nsend Finished\n",
            SD_OUTCOME_ALERT, SD_unexpected_message);
    outcome(HEAD("server") TO_CLIENT_FINISHED "send Finished\nsend-raw 0 15000000 encrypted\n" PING,
            SD_OUTCOME_ALERT, SD_unexpected_message);
    outcome(HEAD("client") "expect ClientHello\nsend ServerHello\nsend-raw alert hex= encrypted\n"
                           "send EncryptedExtensions\n",
            SD_OUTCOME_ALERT, SD_unexpected_message);
    /* Only the empty one: an alert record of one byte (content 02, padded)
     * is an alert that does not parse, decode_error (§6). */
    outcome(HEAD("server") TO_CLIENT_FINISHED "send-raw 0 0215000000 encrypted\nsend Finished\n",
            SD_OUTCOME_ALERT, SD_decode_error);
}

/* In the clear there is no TLSInnerPlaintext: an empty alert record is an
 * alert that does not parse (§5.1 "exactly one message", §6 decode_error),
 * the model's choice of the two answers the scenarios accept. TLS 1.2 has no
 * §5.4 either (RFC 5246 §6.2.1 forbids only sending it). */
static void empty_alert_elsewhere_is_decode_error(void **state) {
    (void)state;
    outcome(HEAD("server") "send-raw alert hex=\nsend ClientHello\n", SD_OUTCOME_ALERT, SD_decode_error);
    outcome(HEAD("client") "expect ClientHello\nsend-raw alert hex=\nsend ServerHello\n", SD_OUTCOME_ALERT,
            SD_decode_error);
    outcome(HEAD12("server") "send ClientHello\nexpect ServerHello\nexpect Certificate\n"
                             "expect ServerKeyExchange\nexpect ServerHelloDone\nsend ClientKeyExchange\n"
                             "send-ccs\nsend-raw alert hex= encrypted\nsend Finished\n",
            SD_OUTCOME_ALERT, SD_decode_error);
}

/* §5.1: "Implementations MUST NOT send zero-length fragments of Handshake
 * types, even if those fragments contain padding", answered by §5.4. */
static void empty_protected_handshake_is_unexpected_message(void **state) {
    (void)state;
    outcome(HEAD("server") TO_CLIENT_FINISHED "send-raw handshake hex= encrypted\nsend Finished\n",
            SD_OUTCOME_ALERT, SD_unexpected_message);
    outcome(HEAD("server") TO_CLIENT_FINISHED "send-raw 0 16000000 encrypted\nsend Finished\n",
            SD_OUTCOME_ALERT, SD_unexpected_message);
    outcome(HEAD("client") "expect ClientHello\nsend ServerHello\nsend-raw 0 1600 encrypted\n"
                           "send EncryptedExtensions\n",
            SD_OUTCOME_ALERT, SD_unexpected_message);
}

/* §5: "If a TLS implementation receives an unexpected record type, it MUST
 * terminate the connection with an "unexpected_message" alert." The type
 * that counts under protection is TLSInnerPlaintext.type: 24 (heartbeat,
 * which TLS 1.3 does not define), or 1 found by the scan from the end of
 * 44 54 03 01 (zeros after it are padding), under handshake keys and under
 * application keys, in both roles. Once read it was not application data
 * to echo (fuzz_trace found the model echoing it). */
static void unknown_protected_content_type_is_unexpected_message(void **state) {
    (void)state;
    outcome(HEAD("server") TO_CLIENT_FINISHED "send-raw 24 d789 encrypted\nsend Finished\n", SD_OUTCOME_ALERT,
            SD_unexpected_message);
    outcome(HEAD("server") TO_CLIENT_FINISHED "send Finished\nsend-raw 0 44540301 encrypted\n" PING,
            SD_OUTCOME_ALERT, SD_unexpected_message);
    outcome(
        HEAD("client") "expect ClientHello\nsend ServerHello\nsend EncryptedExtensions\nsend Certificate\n"
                       "send CertificateVerify\nsend Finished\nexpect Finished\n"
                       "send-raw 24 d789 encrypted\n" PING,
        SD_OUTCOME_ALERT, SD_unexpected_message);
    /* The three types a protected record may carry still pass: a padded
     * application data record (inner type 23) is echoed. */
    outcome(HEAD("server") TO_CLIENT_FINISHED "send Finished\nsend-raw 0 70696e671700 encrypted\n"
                                              "expect-appdata \"ping\"\n",
            SD_OUTCOME_COMPLETED, 0);
}

/* §9.2: a ClientHello without a PSK "MUST contain both a
 * "signature_algorithms" extension and a "supported_groups" extension";
 * "Servers receiving a ClientHello which does not conform to these
 * requirements MUST abort the handshake with a "missing_extension" alert",
 * one that would get a HelloRetryRequest too (a server that takes P-256
 * only, the driver's share being x25519): the model answered it with a
 * HelloRetryRequest, and then took the signature algorithms of the second
 * ClientHello (fuzz_trace found it). */
static void client_hello_without_signature_algorithms(void **state) {
    (void)state;
    outcome("id: t.t\ntitle: t\nrfc: RFC 8446\nrole: server\nversion: 1.3\nexpect: complete\n"
            "groups: secp256r1\nsend ClientHello drop-ext=signature_algorithms\nexpect HelloRetryRequest\n",
            SD_OUTCOME_ALERT, SD_missing_extension);
    outcome(HEAD("server") "send ClientHello drop-ext=signature_algorithms\nexpect ServerHello\n",
            SD_OUTCOME_ALERT, SD_missing_extension);
}

/* --- signature_algorithms of any length (RFC 8446 §4.2.3) ----------------- */

/* The extension body: `unknown` schemes that no registry assigns (0xe000
 * on, below the private use range and clear of GREASE's 0x?a?a), then
 * `tail` (hex, whole schemes). */
static void sigalgs_hex(size_t unknown, const char *tail, char *out, size_t len) {
    size_t n = unknown * 2 + strlen(tail) / 2;
    int at = snprintf(out, len, "%04zx", n);
    for (size_t i = 0; i < unknown && at > 0 && (size_t)at < len; i++)
        at += snprintf(out + at, len - (size_t)at, "%04zx", 0xe000 + i);
    if (at > 0 && (size_t)at < len) snprintf(out + at, len - (size_t)at, "%s", tail);
}

/* "SignatureScheme supported_signature_algorithms<2..2^16-2>": the model
 * used to keep only the first 64 entries. A server finds its ECDSA P-256
 * scheme (0x0403) at index 64 and after 1000 unknown ones; a list with no
 * usable scheme at all is still refused (handshake_failure, §4.4.3 leaves it
 * no signature to make), so the test sees a failure when it should. */
static void server_reads_the_whole_signature_list(void **state) {
    (void)state;
    static char list[8192], text[12288];
    const struct {
        size_t unknown;
        const char *tail;
        sd_outcome_kind kind;
        int alert;
    } cases[] = {
        {64, "0403", SD_OUTCOME_COMPLETED, 0},
        {1000, "0403", SD_OUTCOME_COMPLETED, 0},
        {1000, "0807", SD_OUTCOME_ALERT, SD_handshake_failure},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sigalgs_hex(cases[c].unknown, cases[c].tail, list, sizeof list);
        snprintf(
            text, sizeof text,
            HEAD("server") "send ClientHello drop-ext=signature_algorithms add-ext=signature_algorithms:%s\n"
                           "expect ServerHello\nexpect EncryptedExtensions\nexpect Certificate\n"
                           "expect CertificateVerify\nexpect Finished\nsend Finished\n" PING,
            list);
        outcome(text, cases[c].kind, cases[c].alert);
    }
}

/* The same for a client signing its CertificateVerify with a scheme from a
 * CertificateRequest: TLS 1.3 (§4.3.2, the extension) and TLS 1.2 (RFC 5246
 * §7.4.4, the list in the message body). */
static void client_reads_the_whole_certificate_request_list(void **state) {
    (void)state;
    static char list[8192], text[12288];
    sigalgs_hex(200, "0403", list, sizeof list);
    snprintf(text, sizeof text,
             HEAD("client") "credential: leaf\nclient-auth: require\n"
                            "expect ClientHello\nsend ServerHello\nsend EncryptedExtensions\n"
                            "send CertificateRequest drop-ext=signature_algorithms "
                            "add-ext=signature_algorithms:%s\n"
                            "send Certificate\nsend CertificateVerify\nsend Finished\nexpect Certificate\n"
                            "expect CertificateVerify\nexpect Finished\n" PING,
             list);
    outcome(text, SD_OUTCOME_COMPLETED, 0);
    /* TLS 1.2 CertificateRequest: certificate_types {ecdsa_sign(64)}, the
     * list, no certificate_authorities. */
    sigalgs_hex(200, "0403", list, sizeof list);
    snprintf(
        text, sizeof text,
        HEAD12("client") "credential: leaf\nclient-auth: require\n"
                         "expect ClientHello\nsend ServerHello\nsend Certificate\nsend ServerKeyExchange\n"
                         "send CertificateRequest body=0140%s0000\nsend ServerHelloDone\n"
                         "expect Certificate\nexpect ClientKeyExchange\nexpect CertificateVerify\n"
                         "expect-ccs\nexpect Finished\nsend-ccs\nsend Finished\n" PING,
        list);
    outcome(text, SD_OUTCOME_COMPLETED, 0);
}

/* --- Handshake messages up to 2^24-1 bytes (RFC 8446 §4) ------------------ */

#define PADDED_HELLO(n)                                                             \
    HEAD("server")                                                                  \
    "send ClientHello pad=" #n "\nexpect ServerHello\nexpect EncryptedExtensions\n" \
    "expect Certificate\nexpect CertificateVerify\nexpect Finished\nsend Finished\n" PING

/* By default the model takes what the uint24 length allows: a ClientHello
 * padded to 65600 bytes (RFC 7685), past BoringSSL's 16 KiB. With a limit
 * configured (what the fuzz targets do) a message of exactly the limit is
 * taken and one byte more is refused with illegal_parameter
 * (wire/record.c), on its header alone. */
static void client_hello_up_to_the_rfc_bound(void **state) {
    (void)state;
    outcome(PADDED_HELLO(65600), SD_OUTCOME_COMPLETED, 0);
    outcome_with_limit(PADDED_HELLO(16384), 16384, SD_OUTCOME_COMPLETED, 0);
    outcome_with_limit(PADDED_HELLO(16385), 16384, SD_OUTCOME_ALERT, SD_illegal_parameter);
    outcome_with_limit(PADDED_HELLO(65600), 16384, SD_OUTCOME_ALERT, SD_illegal_parameter);
    /* A length field that promises the most a uint24 says: by default the
     * model waits for the rest; with a limit it refuses at once. */
    const char *lie = HEAD("server") "send ClientHello length=16777215\nexpect ServerHello\n";
    outcome(lie, SD_OUTCOME_WAITING, 0);
    outcome_with_limit(lie, 16384, SD_OUTCOME_ALERT, SD_illegal_parameter);
    /* After the handshake the other limit applies: a KeyUpdate whose length
     * promises 20000 bytes is waited for (the run ends with the handshake
     * done and nothing refused), unless that limit is lower. */
    const char *late = HEAD("server") TO_CLIENT_FINISHED "send Finished\nsend KeyUpdate length=20000\n";
    outcome_with_limits(late, 16384, 0, SD_OUTCOME_COMPLETED, 0);
    outcome_with_limits(late, 0, 16384, SD_OUTCOME_ALERT, SD_illegal_parameter);
}

/* §4.2: "Servers MUST ignore unrecognized extensions", however many. */
static void client_hello_with_thousands_of_extensions(void **state) {
    (void)state;
    outcome(
        HEAD("server") "send ClientHello unknown-exts=3000\nexpect ServerHello\nexpect EncryptedExtensions\n"
                       "expect Certificate\nexpect CertificateVerify\nexpect Finished\nsend Finished\n" PING,
        SD_OUTCOME_COMPLETED, 0);
    /* As many as the extension block holds (about 16350); the driver stops
     * there, so the ClientHello stays valid. */
    outcome(
        HEAD("server") "send ClientHello unknown-exts=20000\nexpect ServerHello\nexpect EncryptedExtensions\n"
                       "expect Certificate\nexpect CertificateVerify\nexpect Finished\nsend Finished\n" PING,
        SD_OUTCOME_COMPLETED, 0);
}

/* --- The compatibility ChangeCipherSpec (RFC 8446 §5) --------------------- */

/* "MUST simply drop it" between the first ClientHello and the peer's
 * Finished, any number of times (the model bounds it at 32, as BoringSSL
 * bounds empty records); "any other change_cipher_spec value" and one
 * "after the peer's Finished message" are unexpected_message. */
static void compatibility_ccs_around_finished(void **state) {
    (void)state;
    outcome(HEAD("server") TO_CLIENT_FINISHED "send-ccs\nsend-ccs\nsend-ccs\nsend Finished\n" PING,
            SD_OUTCOME_COMPLETED, 0);
    outcome(
        HEAD(
            "client") "credential: leaf\nexpect ClientHello\nsend ServerHello\nsend-ccs\nsend-ccs\nsend-ccs\n"
                      "send EncryptedExtensions\nsend Certificate\nsend CertificateVerify\nsend Finished\n"
                      "expect Finished\n" PING,
        SD_OUTCOME_COMPLETED, 0);
    outcome(HEAD("server") TO_CLIENT_FINISHED "send-raw change_cipher_spec 010101\nsend Finished\n",
            SD_OUTCOME_ALERT, SD_unexpected_message);
    outcome(HEAD("server") TO_CLIENT_FINISHED "send Finished\nsend-ccs\n" PING, SD_OUTCOME_ALERT,
            SD_unexpected_message);
    outcome(
        HEAD("client") "credential: leaf\nexpect ClientHello\nsend ServerHello\nsend EncryptedExtensions\n"
                       "send Certificate\nsend CertificateVerify\nsend Finished\nexpect "
                       "Finished\nsend-ccs\n" PING,
        SD_OUTCOME_ALERT, SD_unexpected_message);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_protected_alert_is_unexpected_message),
        cmocka_unit_test(empty_alert_elsewhere_is_decode_error),
        cmocka_unit_test(empty_protected_handshake_is_unexpected_message),
        cmocka_unit_test(unknown_protected_content_type_is_unexpected_message),
        cmocka_unit_test(client_hello_without_signature_algorithms),
        cmocka_unit_test(server_reads_the_whole_signature_list),
        cmocka_unit_test(client_reads_the_whole_certificate_request_list),
        cmocka_unit_test(client_hello_up_to_the_rfc_bound),
        cmocka_unit_test(client_hello_with_thousands_of_extensions),
        cmocka_unit_test(compatibility_ccs_around_finished),
    };
    return cmocka_run_group_tests(tests, load_pki, free_pki);
}
