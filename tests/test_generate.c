/* test_generate.c — the generated scenario families (harness/trace/generate*.c):
 * enough of them, well formed, stable, and read from the model's tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/tls12.h"
#include "protocol/sequences.h"
#include "protocol/target.h"
#include "trace/generate.h"
#include "trace/step_under_test.h"
#include "wire/names.h"

static sd_generated gen;

static int setup(void **state) {
    (void)state;
    char err[4096] = "";
    if (!sd_generate_tls13(&gen, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    sd_generated_free(&gen);
    return 0;
}

static bool has_tag(const sd_scenario *s, const char *tag) {
    for (size_t i = 0; i < s->n_tags; i++)
        if (strcmp(s->tags[i], tag) == 0) return true;
    return false;
}

/* The issue asks for 500+ scenarios with both roles; the generated part
 * alone carries that, and every family covers both roles. */
static void families_are_big_and_cover_both_roles(void **state) {
    (void)state;
    assert_true(gen.n >= 500);
    for (size_t f = 0; f < sd_n_generated_families; f++) {
        size_t server = 0, client = 0;
        for (size_t i = 0; i < gen.n; i++) {
            const char *fam = sd_generated_family_of(&gen.items[i]);
            assert_non_null(fam);
            if (strcmp(fam, sd_generated_families[f].name) != 0) continue;
            if (gen.items[i].role == SD_ROLE_SERVER)
                server++;
            else
                client++;
        }
        if (server == 0 || client == 0)
            fprintf(stderr, "%s: %zu server, %zu client\n", sd_generated_families[f].name, server, client);
        assert_true(server > 0);
        assert_true(client > 0);
    }
}

/* Every scenario has what a hand-written one must have. */
static void every_scenario_is_complete(void **state) {
    (void)state;
    for (size_t i = 0; i < gen.n; i++) {
        const sd_scenario *s = &gen.items[i];
        assert_true(strncmp(s->id, "tls13.", 6) == 0);
        assert_true(s->title[0] != '\0');
        if (strncmp(s->rfc, "RFC 8446 §", strlen("RFC 8446 §")) != 0)
            fprintf(stderr, "%s: %s\n", s->id, s->rfc);
        assert_true(strncmp(s->rfc, "RFC 8446 §", strlen("RFC 8446 §")) == 0);
        assert_non_null(strchr(s->rfc, '"')); /* a quoted sentence */
        assert_int_equal(s->version, SD_TLS13);
        assert_true(has_tag(s, "generated"));
        assert_true(has_tag(s, "tls13"));
        assert_true(has_tag(s, s->role == SD_ROLE_SERVER ? "server" : "client"));
        assert_true(s->trace.n_actions > 0);
        assert_true(strncmp(s->path, "generated:", 10) == 0);
    }
}

static void ids_are_unique_and_stable(void **state) {
    (void)state;
    for (size_t i = 0; i < gen.n; i++)
        for (size_t j = i + 1; j < gen.n; j++) {
            if (strcmp(gen.items[i].id, gen.items[j].id) == 0)
                fprintf(stderr, "duplicate %s\n", gen.items[i].id);
            assert_string_not_equal(gen.items[i].id, gen.items[j].id);
        }
    sd_generated again;
    char err[256];
    assert_true(sd_generate_tls13(&again, err, sizeof(err)));
    assert_int_equal(again.n, gen.n);
    for (size_t i = 0; i < gen.n; i++) {
        assert_string_equal(again.items[i].id, gen.items[i].id);
        assert_true(sd_trace_equal(&again.items[i].trace, &gen.items[i].trace));
    }
    sd_generated_free(&again);
    /* Ids a baseline file may already hold. */
    const char *known[] = {
        "tls13.server.gen-order.server-hello-instead-of-client-hello",
        "tls13.client.gen-order.finished-instead-of-encrypted-extensions",
        "tls13.server.gen-finished.flip-first",
        "tls13.client.gen-alert.before-certificate.fatal.handshake_failure",
        "tls13.server.gen-record.appdata-2e14-plus-1",
    };
    for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
        bool found = false;
        for (size_t i = 0; i < gen.n && !found; i++) found = strcmp(gen.items[i].id, known[k]) == 0;
        if (!found) fprintf(stderr, "missing %s\n", known[k]);
        assert_true(found);
    }
}

/* Printing and parsing again gives the same trace, as for files. */
static void every_trace_round_trips(void **state) {
    (void)state;
    for (size_t i = 0; i < gen.n; i++) {
        sd_buf b;
        sd_buf_init(&b);
        sd_trace_print(&gen.items[i].trace, &b);
        assert_false(b.failed);
        sd_trace t;
        char err[512];
        assert_true(sd_trace_parse("printed", (const char *)b.data, b.len, &t, err, sizeof(err)));
        assert_true(sd_trace_equal(&t, &gen.items[i].trace));
        sd_trace_free(&t);
        sd_buf_free(&b);
    }
}

/* The shape a TLS 1.3 scenario plays, by its profile. */
static const sd_shape *shape_of(const sd_scenario *s) {
    if (strstr(s->id, ".hrr-client-auth.")) return sd_shape_with_flags(SD_SHAPE_HRR | SD_SHAPE_CLIENT_AUTH);
    if (strstr(s->id, ".hrr.")) return sd_shape_with_flags(SD_SHAPE_HRR);
    return sd_shape_initial();
}

/* gen-order is read from the tables: at the start of the full handshake the
 * server under test must refuse every handshake type but ClientHello, and
 * the order cases end with a message the tables reject at that point. */
static void order_cases_follow_the_tables(void **state) {
    (void)state;
    size_t before_ch = 0, n_types = 0;
#define COUNT_TYPE(name, value) n_types++;
    SD_HANDSHAKE_TYPES(COUNT_TYPE)
#undef COUNT_TYPE
    for (size_t i = 0; i < gen.n; i++) {
        const sd_scenario *s = &gen.items[i];
        /* Resumption cases: resumption_cases_follow_the_rfc_figures. */
        if (!has_tag(s, "gen-order") || has_tag(s, "post-handshake") || has_tag(s, "resumption")) continue;
        assert_int_equal(s->expect, SD_EXPECT_ALERT);
        assert_int_equal(s->expect_alert, SD_unexpected_message);
        const sd_action *last = &s->trace.actions[s->trace.n_actions - 1];
        assert_int_equal(last->kind, SD_ACT_SEND);
        size_t pos = s->trace.n_actions - 1;
        sd_role driver = s->role == SD_ROLE_SERVER ? SD_ROLE_CLIENT : SD_ROLE_SERVER;
        assert_null(sd_shape_accept(shape_of(s), pos, driver, last->msg_type));
        if (s->role == SD_ROLE_SERVER && pos == 0) before_ch++;
    }
    assert_int_equal(before_ch, n_types - 1);
}

/* The alert family's expectation follows RFC 8446 §6: every alert but the
 * closure alerts is an error alert, and a receiver of an error alert stops. */
static void alert_cases_expect_a_close(void **state) {
    (void)state;
    size_t n = 0;
    for (size_t i = 0; i < gen.n; i++) {
        const sd_scenario *s = &gen.items[i];
        if (!has_tag(s, "gen-alert") || has_tag(s, "record")) continue;
        assert_int_equal(s->expect, SD_EXPECT_CLOSED);
        n++;
    }
    assert_true(n >= 34 * 2 * 5);
}

/* The families over the HelloRetryRequest shapes (RFC 8446 §4.1.4), in both
 * roles: every family but gen-certificate has cases of the `hrr` profile,
 * and all but gen-alert of `hrr-client-auth`. A server under test is set
 * up to accept P-256 only, so that it must ask for the share the driver's
 * first ClientHello lacks (§4.1.1); each case plays the retry honestly and
 * deviates only after it. */
static void hrr_profiles_cover_both_roles(void **state) {
    (void)state;
    static const char *const profiles[] = {".hrr.", ".hrr-client-auth."};
    size_t finished = 0;
    for (size_t f = 0; f < sd_n_generated_families; f++) {
        const char *family = sd_generated_families[f].name;
        size_t count[2][2] = {{0}}; /* [profile][role] */
        for (size_t i = 0; i < gen.n; i++) {
            const sd_scenario *s = &gen.items[i];
            if (strcmp(sd_generated_family_of(s), family) != 0) continue;
            for (size_t p = 0; p < 2; p++)
                if (strstr(s->id, profiles[p])) count[p][s->role == SD_ROLE_SERVER]++;
        }
        /* gen-certificate and gen-protection run over credentials and
         * suites: what they check does not depend on the retry. */
        bool certificate = strcmp(family, "gen-certificate") == 0 || strcmp(family, "gen-protection") == 0,
             alert = strcmp(family, "gen-alert") == 0;
        for (size_t p = 0; p < 2; p++)
            for (size_t r = 0; r < 2; r++) {
                bool want = !certificate && !(alert && p == 1);
                if ((count[p][r] > 0) != want)
                    fail_msg("%s%s as %s: %zu cases", family, profiles[p], r ? "server" : "client",
                             count[p][r]);
            }
    }
    for (size_t i = 0; i < gen.n; i++) {
        const sd_scenario *s = &gen.items[i];
        const sd_shape *shape = shape_of(s);
        if (!(shape->flags & SD_SHAPE_HRR)) continue;
        bool server = s->role == SD_ROLE_SERVER;
        assert_int_equal(s->client_auth != SD_CLIENT_AUTH_NONE, (shape->flags & SD_SHAPE_CLIENT_AUTH) != 0);
        /* The server under test must ask; the driver's server asks itself. */
        assert_int_equal(s->n_groups, server ? 1 : 0);
        if (server) assert_int_equal(s->groups[0], SD_secp256r1);
        /* The retry is played honestly: ClientHello, HelloRetryRequest and
         * (but where the driver's HelloRetryRequest is the case) the second
         * ClientHello, and the first deviation comes after them. */
        const sd_action *a = s->trace.actions;
        assert_true(s->trace.n_actions >= 2);
        assert_int_equal(a[0].kind, server ? SD_ACT_SEND : SD_ACT_EXPECT);
        assert_int_equal(a[0].msg_type, SD_ClientHello);
        assert_int_equal(a[1].kind, server ? SD_ACT_EXPECT : SD_ACT_SEND);
        assert_int_equal(a[1].msg_type, SD_MSG_TYPE_HELLO_RETRY_REQUEST);
        int first = sd_scenario_first_deviation(s);
        bool retry_itself = !server && has_tag(s, "gen-malformed") && strstr(s->id, ".hello-retry-request.");
        if (first != SD_STEP_WHOLE_RUN && first < (retry_itself ? 1 : 2))
            fail_msg("%s deviates at step %d, before the retry is over", s->id, first);
        if (has_tag(s, "gen-finished")) finished++;
        /* Nothing after the handshake: the run without a profile has it. */
        assert_false(has_tag(s, "post-handshake"));
    }
    /* Every form of Finished, per role and profile. */
    assert_int_equal(finished, 2 * 2 * 11);
    static const char *const known[] = {
        "tls13.server.gen-order.hrr.finished-instead-of-second-client-hello",
        "tls13.client.gen-order.hrr.encrypted-extensions-instead-of-server-hello",
        "tls13.client.gen-malformed.hrr.hello-retry-request.truncated",
        "tls13.server.gen-malformed.hrr.second-client-hello.trailing-byte",
        "tls13.server.gen-finished.hrr-client-auth.flip-first",
        "tls13.client.gen-alert.hrr.before-server-hello.fatal.handshake_failure",
        "tls13.server.gen-alert.hrr.before-second-client-hello.fatal.handshake_failure",
        "tls13.server.gen-record.hrr.appdata-before-second-client-hello",
        "tls13.client.gen-record.hrr-client-auth.appdata-before-certificate-request",
    };
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        bool found = false;
        for (size_t i = 0; i < gen.n && !found; i++) found = strcmp(gen.items[i].id, known[k]) == 0;
        if (!found) fail_msg("missing %s", known[k]);
    }
}

/* --- TLS 1.2 ------------------------------------------------------------------ */

static sd_generated gen12;

static int setup12(void **state) {
    (void)state;
    char err[4096] = "";
    if (!sd_generate_tls12(&gen12, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int teardown12(void **state) {
    (void)state;
    sd_generated_free(&gen12);
    return 0;
}

/* Every family, both roles, each key exchange the driver plays; every
 * scenario cites RFC 5246 and runs TLS 1.2 with one suite. */
static void tls12_families_cover_roles_and_key_exchanges(void **state) {
    (void)state;
    assert_true(gen12.n >= 1500);
    static const char *const profiles[] = {".ecdhe-ecdsa.", ".ecdhe-rsa.", ".rsa.", ".client-auth.",
                                           ".ticket."};
    for (size_t f = 0; f < sd_n_generated_families; f++) {
        size_t server = 0, client = 0, per_profile[5] = {0};
        for (size_t i = 0; i < gen12.n; i++) {
            const sd_scenario *s = &gen12.items[i];
            if (strcmp(sd_generated_family_of(s), sd_generated_families[f].name) != 0) continue;
            if (s->role == SD_ROLE_SERVER)
                server++;
            else
                client++;
            for (size_t p = 0; p < 5; p++)
                if (strstr(s->id, profiles[p])) per_profile[p]++;
        }
        assert_true(server > 0);
        assert_true(client > 0);
        /* gen-alert runs over one profile and leaves it out of its ids;
         * gen-certificate runs over the credentials instead (the driver
         * picks the suite that fits each), gen-protection over the suites
         * with ECDHE-ECDSA. */
        if (strcmp(sd_generated_families[f].name, "gen-alert") != 0 &&
            strcmp(sd_generated_families[f].name, "gen-certificate") != 0 &&
            strcmp(sd_generated_families[f].name, "gen-protection") != 0)
            for (size_t p = 0; p < 5; p++) {
                if (per_profile[p] == 0)
                    fprintf(stderr, "%s: no %s\n", sd_generated_families[f].name, profiles[p]);
                assert_true(per_profile[p] > 0);
            }
    }
    for (size_t i = 0; i < gen12.n; i++) {
        const sd_scenario *s = &gen12.items[i];
        assert_true(strncmp(s->id, "tls12.", 6) == 0);
        assert_int_equal(s->version, SD_TLS12);
        assert_true(strncmp(s->rfc, "RFC 5246 ", 9) == 0);
        assert_non_null(strchr(s->rfc, '"'));
        assert_true(has_tag(s, "tls12"));
        assert_true(has_tag(s, "generated"));
        assert_true(s->trace.n_actions > 0);
        if (has_tag(s, "gen-certificate")) continue; /* its own test: certificate_family_covers_the_pki */
        if (has_tag(s, "covering-array")) continue;  /* its own test: covering_array_spans_every_pair */
        assert_true(s->cipher_suite != 0);
        /* The client-auth profile asks for (or gives) a client certificate. */
        assert_int_equal(s->client_auth != SD_CLIENT_AUTH_NONE, strstr(s->id, "client-auth.") != NULL);
        /* In the ticket profiles the server issues one: a server under test
         * is asked to, a client under test to offer the extension. */
        assert_int_equal(s->session_tickets,
                         strstr(s->id, ".ticket.") != NULL || strstr(s->id, ".resumed-ticket.") != NULL);
    }
}

/* Ids are unique over both versions together, as conform loads them, and
 * the same on every run. */
static void all_ids_unique(void **state) {
    (void)state;
    sd_generated all;
    char err[256];
    assert_true(sd_generate_all(&all, err, sizeof err));
    assert_int_equal(all.n, gen.n + gen12.n);
    for (size_t i = 0; i < all.n; i++)
        for (size_t j = i + 1; j < all.n; j++) {
            if (strcmp(all.items[i].id, all.items[j].id) == 0)
                fprintf(stderr, "duplicate %s\n", all.items[i].id);
            assert_string_not_equal(all.items[i].id, all.items[j].id);
        }
    sd_generated_free(&all);
    const char *known[] = {
        "tls12.server.gen-order.ecdhe-ecdsa.finished-instead-of-change-cipher-spec",
        "tls12.client.gen-order.rsa.server-key-exchange-instead-of-server-hello-done",
        "tls12.server.gen-finished.client-auth.flip-middle",
        "tls12.client.gen-alert.before-certificate.fatal.handshake_failure",
        "tls12.server.gen-record.ecdhe-rsa.appdata-ciphertext-over-limit",
    };
    for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
        bool found = false;
        for (size_t i = 0; i < gen12.n && !found; i++) found = strcmp(gen12.items[i].id, known[k]) == 0;
        if (!found) fprintf(stderr, "missing %s\n", known[k]);
        assert_true(found);
    }
    for (size_t i = 0; i < gen12.n; i++) {
        sd_buf b;
        sd_buf_init(&b);
        sd_trace_print(&gen12.items[i].trace, &b);
        sd_trace t;
        assert_true(sd_trace_parse("printed", (const char *)b.data, b.len, &t, err, sizeof err));
        assert_true(sd_trace_equal(&t, &gen12.items[i].trace));
        sd_trace_free(&t);
        sd_buf_free(&b);
    }
}

/* The step an action plays in a shape: a message, or ChangeCipherSpec. */
static uint16_t step_of(const sd_action *a) {
    return a->kind == SD_ACT_SEND_CCS || a->kind == SD_ACT_EXPECT_CCS ? SD_MSG_CHANGE_CIPHER_SPEC
                                                                      : a->msg_type;
}

/* gen-order for TLS 1.2 is read from the tables: the honest prefix is a
 * tls12 shape's, and the last step is one no TLS 1.2 shape with that
 * history accepts there. The expected alert is unexpected_message. */
static void tls12_order_cases_follow_the_tables(void **state) {
    (void)state;
    size_t n = 0, ccs = 0;
    for (size_t i = 0; i < gen12.n; i++) {
        const sd_scenario *s = &gen12.items[i];
        if (!has_tag(s, "gen-order") || has_tag(s, "post-handshake") || has_tag(s, "resumption")) continue;
        assert_int_equal(s->expect, SD_EXPECT_ALERT);
        assert_int_equal(s->expect_alert, SD_unexpected_message);
        size_t pos = s->trace.n_actions - 1;
        const sd_action *last = &s->trace.actions[pos];
        assert_true(last->kind == SD_ACT_SEND || last->kind == SD_ACT_SEND_CCS);
        if (last->kind == SD_ACT_SEND_CCS) ccs++;
        sd_role driver = s->role == SD_ROLE_SERVER ? SD_ROLE_CLIENT : SD_ROLE_SERVER;
        bool some_prefix = false;
        for (size_t k = 0; k < sd_n_shapes; k++) {
            const sd_shape *sh = &sd_shapes[k];
            if (!(sh->flags & SD_SHAPE_TLS12) || sh->n_steps <= pos) continue;
            /* With client-auth the client's Certificate is not empty, which
             * its content tells, not its type (CVE-2022-25640). */
            if ((sh->flags & SD_SHAPE_NO_CLIENT_CERT) && s->client_auth != SD_CLIENT_AUTH_NONE) continue;
            /* Resumption and tickets are chosen by the hellos' content: no
             * scenario resumes, and only the ticket profile's ServerHello
             * announces a ticket. */
            if (sh->flags & SD_SHAPE_RESUMED) continue;
            /* Stapling is chosen by the ServerHello's status_request echo
             * (RFC 6066 §8), which no generated scenario sends. */
            if (sh->flags & SD_SHAPE_OCSP) continue;
            if (!(sh->flags & SD_SHAPE_TICKET) != !strstr(s->id, ".ticket.")) continue;
            /* The key exchange is the suite's. */
            const sd_tls12_suite *suite = sd_tls12_suite_find(s->cipher_suite);
            assert_non_null(suite);
            if (!(sh->flags & SD_SHAPE_RSA_KX) != (suite->kx != SD_KX_RSA)) continue;
            bool same = true;
            for (size_t a = 0; a < pos && same; a++)
                same = step_of(&s->trace.actions[a]) == sh->steps[a].msg &&
                       (s->trace.actions[a].kind == SD_ACT_SEND ||
                        s->trace.actions[a].kind == SD_ACT_SEND_CCS) == (sh->steps[a].from == driver);
            if (!same) continue;
            some_prefix = true;
            if (sh->steps[pos].from == driver && sh->steps[pos].msg == step_of(last))
                fail_msg("%s: %s is what shape %s expects there", s->id, sd_step_name(step_of(last)),
                         sh->name);
        }
        if (!some_prefix) fail_msg("%s: no TLS 1.2 shape has this history", s->id);
        n++;
    }
    assert_true(n >= 500);
    assert_true(ccs >= 20);
}

/* TLS 1.2 alert semantics (RFC 5246 §7.2): a fatal alert or a closure ends
 * the connection (closed); a warning does not (the handshake completes). */
static void tls12_alert_cases_follow_the_level(void **state) {
    (void)state;
    size_t fatal = 0, warning = 0;
    for (size_t i = 0; i < gen12.n; i++) {
        const sd_scenario *s = &gen12.items[i];
        if (!has_tag(s, "gen-alert") || has_tag(s, "record") || strstr(s->id, ".warnings-") ||
            has_tag(s, "resumption"))
            continue;
        const sd_action *alert = NULL;
        for (size_t a = 0; a < s->trace.n_actions && !alert; a++)
            if (s->trace.actions[a].kind == SD_ACT_SEND_ALERT) alert = &s->trace.actions[a];
        assert_non_null(alert);
        bool closure = alert->alert == SD_close_notify || alert->alert == SD_user_canceled;
        if (alert->alert_level == SD_ALERT_LEVEL_FATAL || closure) {
            assert_int_equal(s->expect, SD_EXPECT_CLOSED);
            fatal++;
        } else {
            /* Only the alerts RFC 5246 §7.2.2 gives no level (the
             * certificate ones) are sent as warnings, after the ServerHello;
             * the receiver carries on. */
            assert_int_equal(s->expect, SD_EXPECT_COMPLETE);
            assert_true(alert->alert >= SD_bad_certificate && alert->alert <= SD_certificate_unknown);
            assert_true(has_tag(s, "policy"));
            warning++;
        }
    }
    assert_true(fatal >= 36 * 8);
    assert_int_equal(warning, 5 * (3 + 5)); /* after the ServerHello: 3 places as server, 5 as client */
}

/* Finished tampering expects decrypt_error; a missing Finished
 * unexpected_message; there is one of each form per role and profile. */
static void tls12_finished_cases(void **state) {
    (void)state;
    size_t n = 0;
    for (size_t i = 0; i < gen12.n; i++) {
        const sd_scenario *s = &gen12.items[i];
        if (!has_tag(s, "gen-finished") || has_tag(s, "resumption") || has_tag(s, "covering-array")) continue;
        n++;
        bool missing = strstr(s->id, ".missing") != NULL;
        assert_int_equal(s->expect, SD_EXPECT_ALERT);
        assert_int_equal(s->expect_alert, missing ? SD_unexpected_message : SD_decrypt_error);
    }
    /* Two roles, six TLS 1.2 profiles (ecdhe-ecdsa, ecdhe-rsa, rsa,
     * dhe-rsa, client-auth, ticket), eleven forms each. */
    assert_int_equal(n, 2 * 6 * 11);
}

/* gen-certificate: every defect credential of the fixture PKI, in both
 * versions and both roles where it is a defect there, with the alert
 * tests/test_pki.c's kDefects gives it (RFC 8446 §6.2 / RFC 5246 §7.2.2).
 * This table repeats kDefects' names and alerts on purpose: a change to the
 * generator's table must show up here. Where the role changes the alert
 * (an empty list) the table has the role's. */
typedef struct {
    const char *name;
    uint8_t alert;       /* kDefects */
    bool client_cert;    /* a defect in a client's certificate too */
    bool hand_written13; /* scenarios/tls13/client.certificate.<name>.sd covers TLS 1.3, client under test */
} expected_defect;

static const expected_defect kExpectedDefects[] = {
    {"expired", SD_certificate_expired, true, true},
    {"not-yet-valid", SD_certificate_expired, true, true},
    {"wrong-name", SD_bad_certificate, false, true}, /* a server checks no name in a client certificate */
    {"unknown-ca", SD_unknown_ca, true, true},
    {"bad-signature", SD_bad_certificate, true, true},
    {"leaf-as-ca", SD_unknown_ca, true, true},
    {"ca-as-leaf", SD_unsupported_certificate, true, false},
    {"wrong-key-usage", SD_unsupported_certificate, true, true},
    {"wrong-eku", SD_unsupported_certificate, false, true}, /* clientAuth only: right for a client */
    {"missing-intermediate", SD_unknown_ca, true, true},
    {"malformed-der", SD_decode_error, true, true},
    {"unknown-critical-extension", SD_unsupported_certificate, true, true},
    {"weak-key", SD_unsupported_certificate, true, false},
    {"sha1-signature", SD_bad_certificate, true, false},
    {"md5-signature", SD_bad_certificate, true, false},
    {"key-mismatch", SD_decrypt_error, true, true},
    {"revoked", SD_certificate_revoked, true, true},
};

static const sd_scenario *find_scenario(const sd_generated *g, const char *id) {
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->items[i].id, id) == 0) return &g->items[i];
    return NULL;
}

static const sd_mutation *mutation_of(const sd_action *a, sd_mutation_kind kind) {
    for (size_t m = 0; m < a->n_mutations; m++)
        if (a->mutations[m].kind == kind) return &a->mutations[m];
    return NULL;
}

/* The driver's Certificate (and CertificateVerify) in a scenario. */
static const sd_action *sent(const sd_scenario *s, uint8_t msg) {
    for (size_t a = 0; a < s->trace.n_actions; a++)
        if (s->trace.actions[a].kind == SD_ACT_SEND && s->trace.actions[a].msg_type == msg)
            return &s->trace.actions[a];
    return NULL;
}

static void check_certificate_case(const sd_scenario *s, const char *credential, uint8_t alert) {
    assert_int_equal(s->expect, SD_EXPECT_ALERT);
    if (s->expect_alert != alert)
        fail_msg("%s expects %s, kDefects says %s", s->id, sd_alert_name(s->expect_alert),
                 sd_alert_name(alert));
    assert_true(has_tag(s, "gen-certificate"));
    const sd_action *cert = sent(s, SD_Certificate);
    assert_non_null(cert);
    if (s->role == SD_ROLE_CLIENT) {
        /* The driver, as server, presents the defect as its credential. */
        assert_string_equal(s->credential, credential);
        assert_int_equal(s->client_auth, SD_CLIENT_AUTH_NONE);
        return;
    }
    /* The driver, as client, presents it to a server that requires one, and
     * signs CertificateVerify with that credential's key. */
    assert_int_equal(s->client_auth, SD_CLIENT_AUTH_REQUIRE);
    const sd_mutation *m = mutation_of(cert, SD_MUT_CERT);
    assert_non_null(m);
    assert_string_equal(m->text, credential);
    const sd_action *cv = sent(s, SD_CertificateVerify);
    assert_non_null(cv);
    m = mutation_of(cv, SD_MUT_CERT);
    assert_non_null(m);
    assert_string_equal(m->text, credential);
}

static void certificate_family_covers_the_pki(void **state) {
    (void)state;
    sd_generated all;
    char err[4096] = "";
    assert_true(sd_generate_all(&all, err, sizeof err));
    size_t checked = 0;
    for (int v = 0; v < 2; v++) {
        const char *version = v ? "tls12" : "tls13";
        for (int r = 0; r < 2; r++) {
            const char *role = r ? "client" : "server";
            for (size_t d = 0; d < sizeof kExpectedDefects / sizeof kExpectedDefects[0]; d++) {
                const expected_defect *e = &kExpectedDefects[d];
                char id[96];
                snprintf(id, sizeof id, "%s.%s.gen-certificate.%s", version, role, e->name);
                const sd_scenario *s = find_scenario(&all, id);
                bool left_out = (r == 0 && !e->client_cert) || (v == 0 && r == 1 && e->hand_written13);
                if (left_out) {
                    if (s) fail_msg("%s is generated, but should be left out", id);
                    continue;
                }
                if (!s) fail_msg("%s is missing", id);
                check_certificate_case(s, e->name, e->alert);
                checked++;
            }
        }
    }
    assert_int_equal(checked, 4 * 17 - 2 * 2 - 13); /* 2 defects not in a client cert, 13 hand-written */
    /* The empty list, per version and role (RFC 8446 §4.4.2.4, RFC 5246
     * §7.4.6), and the unrequested CertificateEntry extension (TLS 1.3
     * only: a TLS 1.2 Certificate has no extensions). */
    static const struct {
        const char *id;
        uint8_t alert;
    } extra[] = {
        {"tls13.server.gen-certificate.empty-chain", SD_certificate_required},
        {"tls12.server.gen-certificate.empty-chain", SD_handshake_failure},
        {"tls12.client.gen-certificate.empty-chain", SD_decode_error},
        {"tls13.server.gen-certificate.entry-extension", SD_unsupported_extension},
        {"tls13.client.gen-certificate.entry-extension", SD_unsupported_extension},
    };
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        const sd_scenario *s = find_scenario(&all, extra[i].id);
        if (!s) fail_msg("%s is missing", extra[i].id);
        assert_int_equal(s->expect, SD_EXPECT_ALERT);
        assert_int_equal(s->expect_alert, extra[i].alert);
        const sd_action *cert = sent(s, SD_Certificate);
        assert_non_null(cert);
        bool empty = strstr(s->id, "empty-chain") != NULL;
        assert_int_equal(mutation_of(cert, SD_MUT_EMPTY) != NULL, empty);
        /* RFC 8446 §4.4.3 / RFC 5246 §7.4.8: no CertificateVerify for an
         * empty client certificate list. */
        if (empty && s->role == SD_ROLE_SERVER) assert_null(sent(s, SD_CertificateVerify));
        if (!empty) {
            const sd_mutation *m = mutation_of(cert, SD_MUT_ADD_EXT);
            assert_non_null(m);
            assert_int_equal(m->value, SD_signed_certificate_timestamp);
        }
    }
    assert_null(find_scenario(&all, "tls12.server.gen-certificate.entry-extension"));
    assert_null(find_scenario(&all, "tls12.client.gen-certificate.entry-extension"));
    /* What the family leaves to the hand-written TLS 1.3 client scenarios
     * exists there, with the same alert. */
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    if (!src) src = SHAKEDOWN_SOURCE_DIR;
    for (size_t d = 0; d < sizeof kExpectedDefects / sizeof kExpectedDefects[0]; d++) {
        if (!kExpectedDefects[d].hand_written13) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/scenarios/tls13/client.certificate.%s.sd", src,
                 kExpectedDefects[d].name);
        sd_scenario s;
        if (!sd_scenario_load(path, &s, err, sizeof err)) fail_msg("%s", err);
        assert_int_equal(s.expect, SD_EXPECT_ALERT);
        assert_int_equal(s.expect_alert, kExpectedDefects[d].alert);
        sd_scenario_free(&s);
    }
    sd_generated_free(&all);
}

/* --- Resumption ---------------------------------------------------------------- */

/* Connection 2's actions: those after the one `connection` line. */
static size_t second_connection(const sd_scenario *s) {
    size_t at = SIZE_MAX, n = 0;
    for (size_t a = 0; a < s->trace.n_actions; a++)
        if (s->trace.actions[a].kind == SD_ACT_CONNECTION) {
            at = a + 1;
            n++;
        }
    assert_int_equal(n, 1);
    return at;
}

/* The resumption cases: two connections, both roles of both versions,
 * every profile. Connection 2 follows the generator's own statement of RFC
 * 8446 Figure 3 / RFC 5246 Figure 2 (RFC 5077 Figure 2 where the driver as
 * server renews a ticket) up to the deviation;
 * a TLS 1.3 server under test must select the PSK (psk=0); and a gen-order
 * case's last message is one that the order table of sequences.c, which
 * the model checks messages against, refuses as well: the two statements
 * agree on every case (tests/test_rfc_orders.c holds both to the RFC
 * grammar). */
static void resumption_cases_follow_the_rfc_figures(void **state) {
    (void)state;
    sd_generated all;
    char err[512];
    assert_true(sd_generate_all(&all, err, sizeof err));
    static const char *const profiles[] = {
        "tls13.server.gen-order.psk.",
        "tls13.client.gen-order.psk.",
        "tls13.server.gen-order.psk-sha384.",
        "tls13.client.gen-order.psk-sha384.",
        "tls13.server.gen-order.psk-client-auth.",
        "tls13.client.gen-order.psk-client-auth.",
        "tls13.server.gen-alert.psk.",
        "tls13.client.gen-alert.psk.",
        "tls13.server.gen-finished.psk-sha384.",
        "tls13.client.gen-finished.psk.",
        "tls13.server.gen-malformed.psk.",
        "tls13.client.gen-malformed.psk.",
        "tls13.server.gen-order.0rtt.",
        "tls13.client.gen-order.0rtt.",
        "tls13.server.gen-alert.0rtt.",
        "tls13.client.gen-finished.0rtt.",
        "tls13.server.gen-record.0rtt.early-data-over-max-size",
        "tls12.server.gen-order.resumed.",
        "tls12.server.gen-order.resumed-rsa.",
        "tls12.server.gen-order.resumed-ecdhe-rsa.",
        "tls12.server.gen-order.resumed-sha384.",
        "tls12.server.gen-order.resumed-client-auth.",
        "tls12.server.gen-finished.resumed.",
        "tls12.server.gen-alert.resumed.",
        "tls12.server.gen-order.resumed-ticket.",
        "tls12.server.gen-finished.resumed-ticket.",
        "tls12.client.gen-order.resumed.",
        "tls12.client.gen-order.resumed-rsa.",
        "tls12.client.gen-order.resumed-ecdhe-rsa.",
        "tls12.client.gen-order.resumed-sha384.",
        "tls12.client.gen-order.resumed-client-auth.",
        "tls12.client.gen-order.resumed-ticket.",
        "tls12.client.gen-finished.resumed.",
        "tls12.client.gen-finished.resumed-ticket.",
        "tls12.client.gen-alert.resumed.",
    };
    size_t per_profile[sizeof profiles / sizeof profiles[0]] = {0};
    size_t n = 0, order = 0;
    for (size_t i = 0; i < all.n; i++) {
        const sd_scenario *s = &all.items[i];
        if (!has_tag(s, "resumption")) continue;
        n++;
        for (size_t p = 0; p < sizeof profiles / sizeof profiles[0]; p++)
            if (strncmp(s->id, profiles[p], strlen(profiles[p])) == 0) per_profile[p]++;
        bool tls12 = s->version == SD_TLS12;
        assert_true(strncmp(s->rfc, tls12 ? "RFC 5246 " : "RFC 8446 ", 9) == 0);
        size_t from = second_connection(s);
        if (has_tag(s, "psk-fields")) continue; /* the ClientHello / ServerHello is the deviation */
        /* The 0-RTT data and EndOfEarlyData cases (gen_early_data_cases)
         * deviate in the early data, not in the order of the messages. */
        if (has_tag(s, "early-data-flow")) continue;
        /* Connection 2 follows Figure 4 when it carries 0-RTT, else Figure 3
         * (TLS 1.3) or RFC 5246 Figure 2. The driver as a TLS 1.2 server
         * renews the ticket it resumes from (RFC 5077 Figure 2); a server
         * under test is held to RFC 5246 Figure 2, which it may also follow
         * after a ticket. */
        bool early = has_tag(s, "early-data");
        if (early) assert_true(s->early_data && !tls12);
        unsigned flags =
            tls12 ? SD_SHAPE_TLS12 | SD_SHAPE_RESUMED : SD_SHAPE_PSK | (early ? SD_SHAPE_EARLY_DATA : 0);
        if (tls12 && s->role == SD_ROLE_CLIENT && strstr(s->id, ".resumed-ticket.")) flags |= SD_SHAPE_TICKET;
        const sd_shape *shape = NULL;
        for (size_t k = 0; k < sd_n_generated_resumed_shapes; k++)
            if (sd_generated_resumed_shapes[k].flags == flags) shape = &sd_generated_resumed_shapes[k];
        assert_non_null(shape);
        sd_role driver = s->role == SD_ROLE_SERVER ? SD_ROLE_CLIENT : SD_ROLE_SERVER;
        /* The honest prefix of connection 2. */
        size_t pos = 0, early_data_actions = 0;
        for (size_t a = from; a < s->trace.n_actions; a++) {
            const sd_action *act = &s->trace.actions[a];
            /* The 0-RTT data right after the ClientHello that offers it
             * (RFC 8446 Figure 4), which the ClientHello's own mutation
             * asks for. */
            if (early && pos == 1 &&
                (act->kind == SD_ACT_SEND_APPDATA || act->kind == SD_ACT_EXPECT_APPDATA)) {
                assert_true(s->role == SD_ROLE_SERVER ? act->kind == SD_ACT_SEND_APPDATA
                                                      : act->kind == SD_ACT_EXPECT_APPDATA);
                early_data_actions++;
                continue;
            }
            bool ours = act->kind == SD_ACT_SEND || act->kind == SD_ACT_SEND_CCS;
            bool theirs = act->kind == SD_ACT_EXPECT || act->kind == SD_ACT_EXPECT_CCS;
            if (!ours && !theirs) break;
            if (pos == shape->n_steps || shape->steps[pos].msg != step_of(act) ||
                (shape->steps[pos].from == driver) != ours)
                break;
            if (!ours && step_of(act) == SD_ServerHello && !tls12)
                assert_int_equal(act->expect_psk, 1u); /* identity 0 */
            pos++;
        }
        if (!has_tag(s, "gen-order") || has_tag(s, "post-handshake")) continue;
        const sd_action *last = &s->trace.actions[s->trace.n_actions - 1];
        assert_int_equal(from + pos + early_data_actions, s->trace.n_actions - 1);
        assert_true(last->kind == SD_ACT_SEND || last->kind == SD_ACT_SEND_CCS);
        assert_int_equal(shape->steps[pos].from, driver);
        assert_true(shape->steps[pos].msg != step_of(last));
        const sd_shape *row = sd_shape_with_flags(shape->flags);
        assert_non_null(row);
        if (sd_shape_accept(row, pos, driver, step_of(last)))
            fail_msg("%s: sequences.c row \"%s\" takes %s there", s->id, row->name,
                     sd_step_name(step_of(last)));
        order++;
    }
    for (size_t p = 0; p < sizeof profiles / sizeof profiles[0]; p++)
        if (per_profile[p] == 0) fail_msg("no case starts %s", profiles[p]);
    assert_true(n >= 1000);
    fprintf(stderr, "resumption: %zu cases, %zu gen-order in the handshake\n", n, order);
    assert_true(order >= 300);
    sd_generated_free(&all);
}

/* gen-protection: in both versions and roles, every suite the model has
 * (docs/model.md), and in each the driver's Finished record and an
 * application data record after the handshake. The step under test is the
 * tampered record: the deviation is the record-level mutation (trace.h),
 * and everything before it is honest. A bit flipped anywhere in a
 * protected record, and a CBC padding that is not the RFC's, are
 * bad_record_mac (RFC 8446 §5.2, RFC 5246 §6.2.3.2); padding within the
 * limits is accepted. */
static void protection_family_covers_suites_roles_and_records(void **state) {
    (void)state;
    sd_generated all;
    char err[4096] = "";
    if (!sd_generate_all(&all, err, sizeof err)) fail_msg("%s", err);
    static const struct {
        const char *version, *suite;
        uint16_t id;
        bool cbc;
    } suites[] = {
        {"tls13", "aes-128-gcm", 0x1301, false},       {"tls13", "aes-256-gcm", 0x1302, false},
        {"tls13", "chacha20-poly1305", 0x1303, false}, {"tls12", "aes-128-gcm", 0xc02b, false},
        {"tls12", "aes-256-gcm", 0xc02c, false},       {"tls12", "chacha20-poly1305", 0xcca9, false},
        {"tls12", "aes-128-cbc-sha", 0xc009, true},
    };
    static const char *const roles[] = {"server", "client"};
    static const char *const records[] = {"finished", "appdata"};
    size_t total = 0;
    for (size_t k = 0; k < sizeof suites / sizeof suites[0]; k++)
        for (size_t r = 0; r < 2; r++)
            for (size_t at = 0; at < 2; at++) {
                char prefix[160];
                snprintf(prefix, sizeof prefix, "%s.%s.gen-protection.%s.%s.", suites[k].version, roles[r],
                         suites[k].suite, records[at]);
                size_t flips = 0, padding = 0, accepted = 0, sequence = 0;
                for (size_t i = 0; i < all.n; i++) {
                    const sd_scenario *s = &all.items[i];
                    if (strncmp(s->id, prefix, strlen(prefix)) != 0) continue;
                    total++;
                    assert_true(has_tag(s, "gen-protection"));
                    assert_int_equal(s->cipher_suite, suites[k].id);
                    int step = sd_scenario_step_under_test(s);
                    const sd_action *a = NULL;
                    if (s->expect != SD_EXPECT_COMPLETE) {
                        assert_true(step >= 0);
                        a = &s->trace.actions[step];
                    } else {
                        accepted++;
                        /* Nothing but the record deviates, and data goes
                         * both ways after it. */
                        assert_int_equal(s->trace.actions[s->trace.n_actions - 1].kind,
                                         SD_ACT_EXPECT_APPDATA);
                        step = sd_scenario_first_deviation(s);
                        if (step >= 0) a = &s->trace.actions[step];
                    }
                    if (!a) fail_msg("%s: no deviation", s->id);
                    /* The first deviation is the record itself. */
                    assert_int_equal(sd_scenario_first_deviation(s), step);
                    if (a->kind == SD_ACT_SEND_RAW) continue; /* the size cases */
                    assert_int_equal(a->kind, at == 0 ? SD_ACT_SEND : SD_ACT_SEND_APPDATA);
                    if (at == 0) assert_int_equal(a->msg_type, SD_Finished);
                    assert_int_equal(a->n_mutations, 1);
                    sd_mutation_kind kind = a->mutations[0].kind;
                    assert_true(sd_mutation_on_records(kind));
                    if (kind == SD_MUT_SEQ_SKIP) {
                        sequence++;
                        assert_int_equal(s->expect_alert, SD_bad_record_mac);
                    } else if (kind == SD_MUT_RECORD_FLIP) {
                        flips++;
                        assert_int_equal(s->expect, SD_EXPECT_ALERT);
                        assert_int_equal(s->expect_alert, SD_bad_record_mac);
                    } else {
                        padding++;
                        /* CBC padding in CBC suites only, inner padding in
                         * TLS 1.3 only. */
                        assert_int_equal(kind == SD_MUT_CBC_PADDING, suites[k].cbc);
                        assert_int_equal(kind == SD_MUT_INNER_PADDING, suites[k].version[4] == '3');
                    }
                }
                /* TLS 1.3: ciphertext, inner type, two of the tag; TLS 1.2
                 * GCM two of the explicit nonce more; CBC: IV, MAC, padding
                 * length, last block. */
                size_t want_flips = suites[k].cbc                                             ? 4
                                    : (suites[k].version[4] == '2' && suites[k].id != 0xcca9) ? 6
                                                                                              : 4;
                if (flips != want_flips) fail_msg("%s: %zu flips, want %zu", prefix, flips, want_flips);
                if (sequence != 1) fail_msg("%s: %zu records sent late, want 1", prefix, sequence);
                if (padding == 0 && (suites[k].cbc || suites[k].version[4] == '3'))
                    fail_msg("%s: no padding cases", prefix);
                if ((suites[k].cbc || suites[k].version[4] == '3') && accepted < 2)
                    fail_msg("%s: %zu accepted", prefix, accepted);
            }
    assert_true(total >= 200);
    static const char *const known[] = {
        "tls13.server.gen-protection.aes-128-gcm.finished.tag-last",
        "tls13.client.gen-protection.chacha20-poly1305.appdata.inner-padding-over-limit",
        "tls13.server.gen-protection.aes-256-gcm.appdata.all-zeros",
        "tls12.server.gen-protection.aes-128-gcm.finished.explicit-nonce-first",
        "tls12.client.gen-protection.aes-128-cbc-sha.finished.padding-wrong-bytes",
        "tls12.server.gen-protection.aes-128-cbc-sha.appdata.padding-longest",
        "tls12.client.gen-protection.chacha20-poly1305.appdata.size-2e14",
    };
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        bool found = false;
        for (size_t i = 0; i < all.n && !found; i++) found = strcmp(all.items[i].id, known[k]) == 0;
        if (!found) fail_msg("missing %s", known[k]);
    }
    sd_generated_free(&all);
}

/* --- The covering array (generate_matrix.c) ---------------------------------
 * The parameter values each version's array must span, written down here
 * apart from the generator's tables: a value dropped there, or a pair no
 * longer played, fails this test. For each scenario tagged covering-array,
 * its row is (suite, the first of `groups:`, `credential:`, the client's
 * credential: `client-credential:` of a client under test, the driver's
 * `send Certificate cert=` to a server under test, "" without client
 * authentication). */
typedef struct {
    char v[4][64];
} param_row;

static void row_of(const sd_scenario *s, param_row *row) {
    memset(row, 0, sizeof *row);
    const char *suite = sd_cipher_suite_name(s->cipher_suite);
    const char *group = s->n_groups ? sd_group_name(s->groups[0]) : "";
    snprintf(row->v[0], sizeof row->v[0], "%s", suite ? suite : "?");
    snprintf(row->v[1], sizeof row->v[1], "%s", group ? group : "?");
    snprintf(row->v[2], sizeof row->v[2], "%s", s->credential);
    if (s->client_auth == SD_CLIENT_AUTH_NONE) return;
    if (s->role == SD_ROLE_CLIENT) {
        snprintf(row->v[3], sizeof row->v[3], "%s", *s->client_credential ? s->client_credential : "client");
        return;
    }
    for (size_t a = 0; a < s->trace.n_actions; a++) {
        const sd_action *act = &s->trace.actions[a];
        if (act->kind != SD_ACT_SEND || act->msg_type != SD_Certificate) continue;
        for (size_t m = 0; m < act->n_mutations; m++)
            if (act->mutations[m].kind == SD_MUT_CERT)
                snprintf(row->v[3], sizeof row->v[3], "%s", act->mutations[m].text);
    }
}

static bool pair_played(const param_row *rows, size_t n, size_t d, const char *a, size_t e, const char *b) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].v[d], a) == 0 && strcmp(rows[i].v[e], b) == 0) return true;
    return false;
}

static void covering_array_spans_every_pair(void **state) {
    (void)state;
    sd_generated all;
    char err[4096] = "";
    assert_true(sd_generate_all(&all, err, sizeof err));
    static const char *const suites13[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                           "TLS_CHACHA20_POLY1305_SHA256", NULL};
    static const char *const groups13[] = {"x25519", "secp256r1", "secp384r1", "secp521r1",
                                           "x448",   "ffdhe2048", "ffdhe3072", NULL};
    static const char *const credentials13[] = {"leaf",      "leaf-rsa",     "leaf-p384",
                                                "leaf-p521", "leaf-ed25519", NULL};
    static const char *const clients13[] = {"",  "client", "client-rsa", "client-p384", "client-ed25519",
                                            NULL};
    const char *const *values13[4] = {suites13, groups13, credentials13, clients13};
    param_row *rows = calloc(all.n, sizeof *rows);
    assert_non_null(rows);
    for (sd_role role = SD_ROLE_CLIENT;; role = SD_ROLE_SERVER) {
        size_t n = 0;
        for (size_t i = 0; i < all.n; i++) {
            const sd_scenario *s = &all.items[i];
            if (!has_tag(s, "covering-array") || s->version != SD_TLS13 || s->role != role) continue;
            assert_true(has_tag(s, "gen-finished") || has_tag(s, "gen-malformed"));
            row_of(s, &rows[n++]);
        }
        assert_true(n > 0);
        /* TLS 1.3 negotiates suite, group and signature apart (RFC 8446
         * §4.1.1): every pair of every two dimensions. */
        for (size_t d = 0; d < 4; d++)
            for (size_t e = d + 1; e < 4; e++)
                for (size_t a = 0; values13[d][a]; a++)
                    for (size_t b = 0; values13[e][b]; b++)
                        if (!pair_played(rows, n, d, values13[d][a], e, values13[e][b]))
                            fail_msg("TLS 1.3 %s under test: no row with %s and %s", sd_role_name(role),
                                     values13[d][a], values13[e][b]);
        if (role == SD_ROLE_SERVER) break;
    }
    /* TLS 1.2: the suite fixes the key exchange and the key type (RFC 5246
     * §7.4.2), so the pairs that can occur: every suite with and without
     * client authentication, every ECDHE suite over every curve, every
     * ECDSA suite with every ECDSA key. */
    static const char *const suites12[] = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                                           "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                                           "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                                           "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
                                           "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                           "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                                           "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                                           "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                                           "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
                                           "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
                                           "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                                           "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
                                           "TLS_RSA_WITH_AES_128_GCM_SHA256",
                                           "TLS_RSA_WITH_AES_256_GCM_SHA384",
                                           "TLS_RSA_WITH_AES_128_CBC_SHA",
                                           NULL};
    static const char *const curves12[] = {"x25519", "secp256r1", "secp384r1", "secp521r1", NULL};
    static const char *const ecdsa12[] = {"leaf", "leaf-p384", "leaf-p521", NULL};
    static const char *const clients12[] = {"", "client", "client-rsa", NULL};
    size_t n = 0;
    for (size_t i = 0; i < all.n; i++) {
        const sd_scenario *s = &all.items[i];
        if (has_tag(s, "covering-array") && s->version == SD_TLS12) row_of(s, &rows[n++]);
    }
    for (size_t a = 0; suites12[a]; a++) {
        for (size_t b = 0; clients12[b]; b++)
            if (!pair_played(rows, n, 0, suites12[a], 3, clients12[b]))
                fail_msg("TLS 1.2: no row with %s and client credential '%s'", suites12[a], clients12[b]);
        for (size_t b = 0; curves12[b] && strncmp(suites12[a], "TLS_ECDHE_", 10) == 0; b++)
            if (!pair_played(rows, n, 0, suites12[a], 1, curves12[b]))
                fail_msg("TLS 1.2: no row with %s over %s", suites12[a], curves12[b]);
        for (size_t b = 0; ecdsa12[b] && strstr(suites12[a], "_ECDSA_"); b++)
            if (!pair_played(rows, n, 0, suites12[a], 2, ecdsa12[b]))
                fail_msg("TLS 1.2: no row with %s and %s", suites12[a], ecdsa12[b]);
    }
    free(rows);
    sd_generated_free(&all);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(families_are_big_and_cover_both_roles),
        cmocka_unit_test(covering_array_spans_every_pair),
        cmocka_unit_test(every_scenario_is_complete),
        cmocka_unit_test(ids_are_unique_and_stable),
        cmocka_unit_test(every_trace_round_trips),
        cmocka_unit_test(order_cases_follow_the_tables),
        cmocka_unit_test(alert_cases_expect_a_close),
        cmocka_unit_test(hrr_profiles_cover_both_roles),
        cmocka_unit_test(resumption_cases_follow_the_rfc_figures),
    };
    const struct CMUnitTest tests12[] = {
        cmocka_unit_test(tls12_families_cover_roles_and_key_exchanges),
        cmocka_unit_test(all_ids_unique),
        cmocka_unit_test(tls12_order_cases_follow_the_tables),
        cmocka_unit_test(tls12_alert_cases_follow_the_level),
        cmocka_unit_test(tls12_finished_cases),
        cmocka_unit_test(certificate_family_covers_the_pki),
        cmocka_unit_test(protection_family_covers_suites_roles_and_records),
    };
    if (setup(NULL) != 0) return 1;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    failed += cmocka_run_group_tests(tests12, setup12, teardown12);
    teardown(NULL);
    return failed;
}
