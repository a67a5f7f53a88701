/* test_trace_mutation.c — the structure-aware trace mutator
 * (targets/mutators/trace_mutation.c).
 *
 * - every output decodes as a binary trace, whatever the input, and its
 *   setup is one the fuzz targets run (sd_fuzz_setup_runs: fixture
 *   credentials, a suite of its version; TLS 1.2: one the server's key
 *   serves);
 * - from inputs that are not traces, the mutator reaches every action kind
 *   the driver runs (expect-ccs and renegotiate included), send/expect of
 *   the pseudo message HelloRetryRequest, and both versions and roles, and
 *   every mutation kind with the arguments that matter (a 33-byte
 *   session-id=, flip-ext= of a cookie's last byte, a rolled-back
 *   premaster-version=), and send-raw records of 2^14 and 2^14+1 bytes
 *   (fill=);
 * - in either version, one change drops, repeats, reorders an action, or
 *   inserts a send of any handshake message of that version (a TLS 1.2
 *   ServerKeyExchange skipped; never a HelloRetryRequest in TLS 1.2);
 * - its setups present every fixture credential, as the server's and as
 *   the driver's client certificate, and every credential it names is the
 *   PKI's;
 * - it is deterministic in its seed. */
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
#include "driver/driver.h"
#include "targets/mutators/trace_mutation.h"
#include "trace/binary.h"
#include "trace/trace.h"
#include "wire/names.h"
#include "pki_fixture.h"

#define MAX_SIZE 4096

/* Decodes a mutator output; it must decode and its setup must run. */
static void decode_output(const uint8_t *data, size_t n, unsigned seed, sd_trace *t, sd_fuzz_setup *setup,
                          bool *has_setup) {
    char err[300];
    if (!sd_trace_decode_with_setup(data, n, t, setup, has_setup, err, sizeof err))
        fail_msg("seed %u: output does not decode: %s", seed, err);
    if (!*has_setup) return;
    if (!sd_fuzz_setup_runs(setup, &pki, err, sizeof err)) fail_msg("seed %u: %s", seed, err);
    if (setup->version == SD_TLS12 && setup->cipher_suite) {
        /* RFC 5246 §7.4.2: the server's certificate serves the suite. */
        const sd_credential *c =
            sd_pki_find(&pki, setup->server_credential[0] ? setup->server_credential : "leaf");
        const sd_tls12_suite *suite = sd_tls12_suite_find(setup->cipher_suite);
        assert_non_null(c);
        assert_non_null(suite);
        if (c->key && !sd_tls12_key_fits_suite(suite, c->key))
            fail_msg("seed %u: %s cannot serve suite 0x%04x", seed, setup->server_credential,
                     setup->cipher_suite);
    }
}

static void test_reaches_every_kind(void **state) {
    (void)state;
    bool kind_seen[SD_ACT_RENEGOTIATE + 1] = {false};
    bool hrr_send = false, hrr_expect = false;
    bool shape_seen[2][2] = {{false}}; /* [TLS 1.2][client under test] */
    bool stapled = false;              /* a setup whose driver staples an OCSP response */
    /* setups whose stack under test speaks TLS 1.2 and 1.3, one version of
     * its own, or the version the driver plays (no range) */
    bool ranged = false, pinned = false, unranged = false;
    bool expect_sentinel = false; /* an expect of a hello that checks a downgrade sentinel */
    /* send-raw records of exactly 2^14 bytes and of 2^14+1 (fill=, RFC 8446
     * §5.1), and none sent past fill='s range */
    bool at_limit = false, past_limit = false;
    for (unsigned seed = 0; seed < 4000; seed++) {
        /* Not a trace: the mutator starts from an honest handshake. */
        uint8_t data[MAX_SIZE] = {0xff};
        size_t n = sd_trace_mutate(data, 1, sizeof data, seed);
        for (int round = 0; round < 4 && n; round++)
            n = sd_trace_mutate(data, n, sizeof data, seed * 7 + round);
        assert_true(n > 0);
        sd_trace t;
        sd_fuzz_setup setup;
        bool has_setup;
        decode_output(data, n, seed, &t, &setup, &has_setup);
        if (has_setup) shape_seen[setup.version == SD_TLS12][setup.role == SD_ROLE_CLIENT] = true;
        if (has_setup && setup.staple[0]) {
            /* Only a driver playing the server staples. */
            assert_int_equal(setup.role, SD_ROLE_CLIENT);
            stapled = true;
        }
        if (has_setup) {
            ranged |= setup.min_version == SD_TLS12 && setup.max_version == SD_TLS13;
            pinned |= setup.min_version != 0 && setup.min_version == setup.max_version;
            unranged |= setup.min_version == 0;
            assert_true(setup.min_version <= setup.max_version);
        }
        for (size_t i = 0; i < t.n_actions; i++) {
            const sd_action *a = &t.actions[i];
            kind_seen[a->kind] = true;
            if (a->msg_type == SD_MSG_TYPE_HELLO_RETRY_REQUEST) {
                hrr_send |= a->kind == SD_ACT_SEND;
                hrr_expect |= a->kind == SD_ACT_EXPECT;
            }
            if (a->kind == SD_ACT_EXPECT && a->bytes_len) {
                assert_true(sd_expect_random_allowed(a->msg_type));
                expect_sentinel |= a->bytes_len == 8 && memcmp(a->bytes, "DOWNGRD", 7) == 0;
            }
            if (a->kind == SD_ACT_SEND_RAW) {
                assert_true(a->fill <= SD_RAW_FILL_MAX);
                at_limit |= a->fill == 16384;
                past_limit |= a->fill == 16385;
            } else {
                assert_int_equal(a->fill, 0);
            }
        }
        sd_trace_free(&t);
    }
    for (int k = 0; k <= SD_ACT_RENEGOTIATE; k++)
        if (!kind_seen[k]) fail_msg("action kind %d never generated", k);
    assert_true(hrr_send);
    assert_true(hrr_expect);
    assert_true(stapled);
    assert_true(ranged);
    assert_true(pinned);
    assert_true(unranged);
    assert_true(expect_sentinel);
    assert_true(at_limit);
    assert_true(past_limit);
    for (int v = 0; v < 2; v++)
        for (int c = 0; c < 2; c++)
            if (!shape_seen[v][c])
                fail_msg("never a %s trace with the %s under test", v ? "TLS 1.2" : "TLS 1.3",
                         c ? "client" : "server");
}

/* Every mutation kind comes out of the mutator, with the arguments that
 * matter: session ids over the RFCs' 32 bytes and up to the 255 a one-byte
 * length says (session-id=), flips of an extension's body at both ends
 * (flip-ext=), premaster versions below TLS 1.2 (premaster-version=). */
static void test_reaches_every_mutation_kind(void **state) {
    (void)state;
    bool seen[SD_MUT_COUNT] = {false};
    bool session_id_33 = false, session_id_long = false, session_id_empty = false;
    bool flip_ext_cookie = false, flip_ext_last = false, premaster_rolled_back = false;
    bool random_sentinel12 = false, random_sentinel11 = false, random_whole = false;
    for (unsigned seed = 0; seed < 3000; seed++) {
        uint8_t data[MAX_SIZE] = {0xff};
        size_t n = sd_trace_mutate(data, 1, sizeof data, seed);
        for (int round = 0; round < 6 && n; round++)
            n = sd_trace_mutate(data, n, sizeof data, seed * 11 + round);
        sd_trace t;
        sd_fuzz_setup setup;
        bool has_setup;
        decode_output(data, n, seed, &t, &setup, &has_setup);
        for (size_t i = 0; i < t.n_actions; i++)
            for (size_t k = 0; k < t.actions[i].n_mutations; k++) {
                const sd_mutation *m = &t.actions[i].mutations[k];
                seen[m->kind] = true;
                if (m->kind == SD_MUT_SESSION_ID) {
                    session_id_33 |= m->bytes_len == 33;
                    session_id_long |= m->bytes_len > 64;
                    session_id_empty |= m->bytes_len == 0;
                    assert_true(m->bytes_len <= 255);
                }
                if (m->kind == SD_MUT_FLIP_EXT) {
                    flip_ext_cookie |= m->value == SD_cookie;
                    flip_ext_last |= m->offset == -1;
                    assert_int_not_equal(m->mask, 0);
                }
                premaster_rolled_back |= m->kind == SD_MUT_PREMASTER_VERSION && m->value < SD_TLS12;
                if (m->kind == SD_MUT_RANDOM) {
                    /* RFC 8446 §4.1.3's two sentinels, and a whole random */
                    assert_true(m->bytes_len >= 1 && m->bytes_len <= 32);
                    random_sentinel12 |= m->bytes_len == 8 && memcmp(m->bytes, "DOWNGRD\x01", 8) == 0;
                    random_sentinel11 |= m->bytes_len == 8 && memcmp(m->bytes, "DOWNGRD\x00", 8) == 0;
                    random_whole |= m->bytes_len == 32;
                }
            }
        sd_trace_free(&t);
    }
    for (size_t k = 0; k < SD_MUT_COUNT; k++)
        if (!seen[k]) fail_msg("mutation %s never generated", sd_mutation_info_of((sd_mutation_kind)k)->name);
    assert_true(session_id_33);
    assert_true(session_id_long);
    assert_true(session_id_empty);
    assert_true(flip_ext_cookie);
    assert_true(flip_ext_last);
    assert_true(premaster_rolled_back);
    assert_true(random_sentinel12);
    assert_true(random_sentinel11);
    assert_true(random_whole);
}

/* What one change did to `from`: the action dropped or inserted (its
 * index in the longer trace), or the two swapped. An inserted action equal
 * to one already there repeats it. */
typedef enum { CHANGE_OTHER, CHANGE_DROP, CHANGE_INSERT, CHANGE_SWAP } change;

static bool actions_equal(const sd_action *a, const sd_action *b) {
    sd_trace x = {.n_actions = 1, .cap = 1, .actions = (sd_action *)a};
    sd_trace y = {.n_actions = 1, .cap = 1, .actions = (sd_action *)b};
    return sd_trace_equal(&x, &y);
}

/* True if `longer` is `shorter` with one action more, at *at. */
static bool one_more(const sd_trace *shorter, const sd_trace *longer, size_t *at) {
    if (longer->n_actions != shorter->n_actions + 1) return false;
    size_t i = 0;
    while (i < shorter->n_actions && actions_equal(&shorter->actions[i], &longer->actions[i])) i++;
    for (size_t k = i; k < shorter->n_actions; k++)
        if (!actions_equal(&shorter->actions[k], &longer->actions[k + 1])) return false;
    *at = i;
    return true;
}

static change classify(const sd_trace *from, const sd_trace *to, size_t *at) {
    if (one_more(to, from, at)) return CHANGE_DROP;
    if (one_more(from, to, at)) return CHANGE_INSERT;
    if (from->n_actions == to->n_actions) {
        size_t diff[3], n = 0;
        for (size_t k = 0; k < to->n_actions && n < 3; k++)
            if (!actions_equal(&from->actions[k], &to->actions[k])) diff[n++] = k;
        if (n == 2 && actions_equal(&from->actions[diff[0]], &to->actions[diff[1]]) &&
            actions_equal(&from->actions[diff[1]], &to->actions[diff[0]])) {
            *at = diff[0];
            return CHANGE_SWAP;
        }
    }
    return CHANGE_OTHER;
}

/* Mutates the honest handshake of one version many times and checks each
 * structural change appears; `types` are the messages a send must be
 * inserted of, `must_drop` the one whose loss must be seen. */
static void check_structure(const char *script, const sd_fuzz_setup *setup, const uint8_t *types,
                            size_t n_types, uint8_t must_drop) {
    sd_trace from;
    char err[300];
    if (!sd_trace_parse("test", script, strlen(script), &from, err, sizeof err)) fail_msg("%s", err);
    sd_buf in;
    sd_buf_init(&in);
    assert_true(sd_trace_encode_with_setup(&from, setup, &in, err, sizeof err));
    bool dropped = false, repeated = false, swapped = false, hrr = false;
    bool inserted[256] = {false};
    for (unsigned seed = 0; seed < 20000; seed++) {
        uint8_t data[MAX_SIZE];
        memcpy(data, in.data, in.len);
        size_t n = sd_trace_mutate(data, in.len, sizeof data, seed);
        sd_trace to;
        sd_fuzz_setup got;
        bool has_setup;
        decode_output(data, n, seed, &to, &got, &has_setup);
        assert_true(has_setup);
        size_t at = 0;
        switch (got.version == setup->version ? classify(&from, &to, &at) : CHANGE_OTHER) {
        case CHANGE_DROP:
            dropped |= from.actions[at].kind == SD_ACT_SEND && from.actions[at].msg_type == must_drop;
            break;
        case CHANGE_SWAP:
            swapped = true;
            break;
        case CHANGE_INSERT: {
            const sd_action *a = &to.actions[at];
            for (size_t k = 0; k < from.n_actions; k++) repeated |= actions_equal(&from.actions[k], a);
            if (a->kind == SD_ACT_SEND && a->n_mutations == 0) {
                if (a->msg_type == SD_MSG_TYPE_HELLO_RETRY_REQUEST)
                    hrr = true;
                else
                    inserted[a->msg_type & 0xff] = true;
            }
            break;
        }
        default:
            break;
        }
        sd_trace_free(&to);
    }
    assert_true(dropped);
    assert_true(repeated);
    assert_true(swapped);
    for (size_t i = 0; i < n_types; i++)
        if (!inserted[types[i]]) fail_msg("never inserted a send of %s", sd_handshake_type_name(types[i]));
    /* HelloRetryRequest is TLS 1.3's (RFC 8446 §4.1.4). */
    assert_int_equal(hrr, setup->version == SD_TLS13);
    sd_buf_free(&in);
    sd_trace_free(&from);
}

static void test_tls12_structure(void **state) {
    (void)state;
    sd_fuzz_setup setup;
    memset(&setup, 0, sizeof setup);
    setup.role = SD_ROLE_CLIENT;
    setup.version = SD_TLS12;
    static const uint8_t tls12_types[] = {SD_HelloRequest,    SD_ClientHello,       SD_ServerHello,
                                          SD_Certificate,     SD_ServerKeyExchange, SD_CertificateRequest,
                                          SD_ServerHelloDone, SD_CertificateVerify, SD_ClientKeyExchange,
                                          SD_Finished,        SD_NewSessionTicket,  SD_CertificateStatus};
    check_structure("expect ClientHello\nsend ServerHello\nsend Certificate\nsend ServerKeyExchange\n"
                    "send ServerHelloDone\nexpect ClientKeyExchange\nexpect-ccs\nexpect Finished\nsend-ccs\n"
                    "send Finished\n",
                    &setup, tls12_types, sizeof tls12_types, SD_ServerKeyExchange);
}

static void test_tls13_structure(void **state) {
    (void)state;
    sd_fuzz_setup setup;
    memset(&setup, 0, sizeof setup);
    setup.role = SD_ROLE_CLIENT;
    setup.version = SD_TLS13;
    static const uint8_t tls13_types[] = {SD_ClientHello,        SD_ServerHello,         SD_NewSessionTicket,
                                          SD_EndOfEarlyData,     SD_EncryptedExtensions, SD_Certificate,
                                          SD_CertificateRequest, SD_CertificateVerify,   SD_Finished,
                                          SD_KeyUpdate,          SD_MessageHash};
    check_structure("expect ClientHello\nsend ServerHello\nsend EncryptedExtensions\nsend Certificate\n"
                    "send CertificateVerify\nsend Finished\nexpect Finished\n",
                    &setup, tls13_types, sizeof tls13_types, SD_CertificateVerify);
}

/* Every fixture credential shows up as the server's (a client under test
 * sees it) and as the driver's client certificate (a server under test
 * asked for one sees it), and as a cert= mutation; every name the engine
 * uses is in the PKI. */
static void test_every_credential(void **state) {
    (void)state;
    size_t n_names = 0;
    while (sd_trace_mutation_credential(n_names)) {
        if (!sd_pki_find(&pki, sd_trace_mutation_credential(n_names)))
            fail_msg("%s is not a fixture credential", sd_trace_mutation_credential(n_names));
        n_names++;
    }
    /* The fixture's: corpus/pki/make_pki.c (leaf-all-rsa is `serve`'s,
     * under a root of its own). */
    for (size_t i = 0; i < pki.n_credentials; i++) {
        bool listed = strcmp(pki.credentials[i].name, "leaf-all-rsa") == 0;
        for (size_t k = 0; k < n_names && !listed; k++)
            listed = strcmp(pki.credentials[i].name, sd_trace_mutation_credential(k)) == 0;
        if (!listed) fail_msg("the mutator never names the fixture credential %s", pki.credentials[i].name);
    }
    assert_true(n_names >= 25);

    bool as_server[64] = {false}, as_client[64] = {false}, as_cert[64] = {false};
    static const char *const inputs[] = {"expect ClientHello\nsend ServerHello\nsend Certificate\n",
                                         "send ClientHello\nexpect ServerHello\nsend Certificate\n"};
    for (unsigned seed = 0; seed < 30000; seed++) {
        sd_trace t;
        char err[300];
        const char *script = inputs[seed % 2];
        assert_true(sd_trace_parse("test", script, strlen(script), &t, err, sizeof err));
        sd_buf in;
        sd_buf_init(&in);
        assert_true(sd_trace_encode(&t, &in, err, sizeof err));
        sd_trace_free(&t);
        uint8_t data[MAX_SIZE];
        memcpy(data, in.data, in.len);
        size_t n = sd_trace_mutate(data, in.len, sizeof data, seed);
        for (int round = 0; round < 2; round++) n = sd_trace_mutate(data, n, sizeof data, seed * 3 + round);
        sd_buf_free(&in);
        sd_fuzz_setup setup;
        bool has_setup;
        decode_output(data, n, seed, &t, &setup, &has_setup);
        for (size_t k = 0; k < n_names; k++) {
            const char *name = sd_trace_mutation_credential(k);
            as_server[k] |= has_setup && strcmp(setup.server_credential, name) == 0;
            as_client[k] |= has_setup && setup.role == SD_ROLE_SERVER &&
                            setup.client_auth != SD_CLIENT_AUTH_NONE &&
                            strcmp(setup.client_credential, name) == 0;
            for (size_t i = 0; i < t.n_actions; i++)
                for (size_t m = 0; m < t.actions[i].n_mutations; m++)
                    as_cert[k] |= t.actions[i].mutations[m].kind == SD_MUT_CERT &&
                                  strcmp(t.actions[i].mutations[m].text, name) == 0;
        }
        sd_trace_free(&t);
    }
    for (size_t k = 0; k < n_names; k++) {
        const char *name = sd_trace_mutation_credential(k);
        if (!as_server[k]) fail_msg("%s never the server's credential", name);
        if (!as_client[k]) fail_msg("%s never the driver's client certificate", name);
        if (!as_cert[k]) fail_msg("%s never a cert= mutation", name);
    }
}

/* The fuzz dictionaries name every fixture credential, in the form each
 * target reads: a binary trace's cert= mutation (kind 7, length, name) and
 * a script's cert=<name>, so libFuzzer's own mutations reach them too. */
static void test_dictionaries_name_every_credential(void **state) {
    (void)state;
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    static const char *const dicts[] = {"fuzz_trace", "fuzz_trace_binary", "fuzz_script"};
    for (size_t d = 0; d < sizeof dicts / sizeof dicts[0]; d++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/corpus/%s.dict", src ? src : SHAKEDOWN_SOURCE_DIR, dicts[d]);
        FILE *f = fopen(path, "rb");
        if (!f) fail_msg("cannot read %s", path);
        static char text[1 << 16];
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = '\0';
        for (size_t i = 0; i < pki.n_credentials; i++) {
            const char *name = pki.credentials[i].name;
            if (strcmp(name, "leaf-all-rsa") == 0) continue; /* `serve`'s, under a root of its own */
            char want[128];
            if (d < 2)
                snprintf(want, sizeof want, "=\"\\x07\\x%02zx%s\"", strlen(name), name);
            else
                snprintf(want, sizeof want, "=\"cert=%s\"", name);
            if (!strstr(text, want)) fail_msg("%s has no entry %s", path, want);
        }
    }
}

static void test_deterministic(void **state) {
    (void)state;
    uint8_t a[MAX_SIZE] = {0}, b[MAX_SIZE] = {0};
    size_t na = sd_trace_mutate(a, 1, sizeof a, 42), nb = sd_trace_mutate(b, 1, sizeof b, 42);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reaches_every_kind), cmocka_unit_test(test_reaches_every_mutation_kind),
        cmocka_unit_test(test_tls12_structure),    cmocka_unit_test(test_tls13_structure),
        cmocka_unit_test(test_every_credential),   cmocka_unit_test(test_dictionaries_name_every_credential),
        cmocka_unit_test(test_deterministic),
    };
    return cmocka_run_group_tests(tests, load_pki, free_pki);
}
