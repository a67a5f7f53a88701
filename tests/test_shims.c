/* test_shims.c — stacks in their own process: each built shim completes a
 * handshake with the model and with BoringSSL in both roles (through the shim
 * target), a shim killed by a signal is the stack's CRASH and the next run
 * works, a shim that stops answering is its HANG, and mbedTLS 2.28 refuses
 * TLS 1.3 as "unsupported". Shims that were not built are skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/pki.h"
#include "driver/driver.h"
#include "oracle/outcome.h"
#include "targets/adapters/shim_target.h"
#include "targets/target.h"
#include "trace/trace.h"
#include "wire/names.h"

static sd_pki pki;
static sd_scenario server_happy, client_happy;

static int setup(void **state) {
    (void)state;
    char err[512];
    if (!sd_pki_load(&pki, sd_pki_default_dir(), err, sizeof err)) {
        fprintf(stderr, "pki: %s\n", err);
        return -1;
    }
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/tls13/server.handshake.happy.sd", src ? src : ".");
    if (!sd_scenario_load(path, &server_happy, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    snprintf(path, sizeof path, "%s/scenarios/tls13/client.handshake.happy.sd", src ? src : ".");
    if (!sd_scenario_load(path, &client_happy, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    /* Keep the hang test short; the default is for real stacks. */
    setenv("SHAKEDOWN_SHIM_TIMEOUT_MS", "1500", 1);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    sd_scenario_free(&server_happy);
    sd_scenario_free(&client_happy);
    sd_pki_free(&pki);
    return 0;
}

static sd_target *make(const sd_target_ops *ops, sd_role role, uint16_t version) {
    sd_target_config cfg = {
        .role = role,
        .min_version = version,
        .max_version = version,
        .credential = role == SD_ROLE_SERVER ? sd_pki_find(&pki, "leaf") : NULL,
        .pki = &pki,
        .server_name = SD_PKI_SERVER_NAME,
        .now = SD_PKI_DEFAULT_TIME,
        .seed = 1,
    };
    char err[300] = "";
    sd_target *t = ops->create(&cfg, err, sizeof err);
    if (!t) fprintf(stderr, "%s %s: %s\n", ops->name, sd_role_name(role), err);
    return t;
}

/* Moves bytes between two targets until neither has anything to say. */
static void pump(sd_target *client, sd_target *server) {
    client->ops->start(client);
    server->ops->start(server);
    for (int round = 0; round < 20; round++) {
        sd_buf a, b;
        sd_buf_init(&a);
        sd_buf_init(&b);
        client->ops->drain(client, &a);
        if (a.len) server->ops->feed(server, sd_buf_span(&a));
        server->ops->drain(server, &b);
        if (b.len) client->ops->feed(client, sd_buf_span(&b));
        bool quiet = a.len == 0 && b.len == 0;
        sd_buf_free(&a);
        sd_buf_free(&b);
        if (quiet) break;
    }
}

static void handshake_pair(const sd_target_ops *client_ops, const sd_target_ops *server_ops,
                           uint16_t version) {
    sd_target *c = make(client_ops, SD_ROLE_CLIENT, version);
    sd_target *s = make(server_ops, SD_ROLE_SERVER, version);
    assert_non_null(c);
    assert_non_null(s);
    pump(c, s);
    sd_target_status cs, ss;
    c->ops->status(c, &cs);
    s->ops->status(s, &ss);
    if (!cs.handshake_done || !ss.handshake_done)
        fprintf(stderr, "%s client -> %s server: client [%s] server [%s]\n", client_ops->name,
                server_ops->name, cs.error, ss.error);
    assert_true(cs.handshake_done);
    assert_true(ss.handshake_done);
    assert_true(cs.peer_authenticated);
    assert_int_equal(cs.version, version);
    assert_int_equal(ss.version, version);
    assert_int_equal(cs.cipher_suite, ss.cipher_suite);
    assert_false(cs.crashed || cs.hung || ss.crashed || ss.hung);
    c->ops->destroy(c);
    s->ops->destroy(s);
}

static int n_shims_tested;

/* Every built shim, both roles, against model (TLS 1.3 only) and BoringSSL
 * (TLS 1.3, and 1.2 too). */
static void shims_handshake_with_model_and_boringssl(void **state) {
    (void)state;
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        const sd_target_ops *shim = sd_target_find(sd_shim_targets[i]->name);
        if (!shim) {
            fprintf(stderr, "(%s shim not built: skipped)\n", sd_shim_targets[i]->name);
            continue;
        }
        n_shims_tested++;
        bool tls13 = strcmp(shim->name, "mbedtls") != 0; /* mbedTLS 2.28 is TLS 1.2 only */
        if (tls13) {
            handshake_pair(shim, &sd_target_model, SD_TLS13);
            handshake_pair(&sd_target_model, shim, SD_TLS13);
            handshake_pair(shim, &sd_target_boringssl, SD_TLS13);
            handshake_pair(&sd_target_boringssl, shim, SD_TLS13);
        }
        handshake_pair(shim, &sd_target_boringssl, SD_TLS12);
        handshake_pair(&sd_target_boringssl, shim, SD_TLS12);
    }
}

/* The same through the driver and the happy scenarios: echo and close too. */
static void shims_pass_the_happy_scenarios(void **state) {
    (void)state;
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        const sd_target_ops *shim = sd_target_find(sd_shim_targets[i]->name);
        if (!shim || strcmp(shim->name, "mbedtls") == 0) continue;
        const sd_scenario *sc[] = {&server_happy, &client_happy};
        for (size_t k = 0; k < 2; k++) {
            sd_run_config cfg;
            sd_run_config_defaults(&cfg, shim, sc[k]->role, &pki);
            sd_outcome o;
            sd_driver_run(&sc[k]->trace, &cfg, &o);
            if (o.kind != SD_OUTCOME_COMPLETED)
                fprintf(stderr, "%s %s: %s\n", shim->name, sc[k]->id, o.detail);
            assert_int_equal(o.kind, SD_OUTCOME_COMPLETED);
        }
    }
}

static const sd_target_ops *any_shim(void) {
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        const sd_target_ops *shim = sd_target_find(sd_shim_targets[i]->name);
        if (shim && strcmp(shim->name, "mbedtls") != 0) return shim;
    }
    return NULL;
}

/* A shim killed by a signal mid-run is that run's CRASH, named by signal;
 * the next run with the same stack works. */
static void killed_shim_is_crash_and_the_run_continues(void **state) {
    (void)state;
    const sd_target_ops *shim = any_shim();
    if (!shim) skip();
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, shim, SD_ROLE_SERVER, &pki);
    sd_outcome o;
    /* Frame 1 is START, frame 2 the ClientHello. */
    setenv("SHAKEDOWN_SHIM_CRASH_AFTER", "2", 1);
    sd_driver_run(&server_happy.trace, &cfg, &o);
    unsetenv("SHAKEDOWN_SHIM_CRASH_AFTER");
    assert_int_equal(o.kind, SD_OUTCOME_CRASH);
    assert_non_null(strstr(o.detail, "SIGSEGV"));

    sd_driver_run(&server_happy.trace, &cfg, &o);
    assert_int_equal(o.kind, SD_OUTCOME_COMPLETED);
}

/* A shim that stops answering is killed after the time limit: HANG. */
static void silent_shim_is_hang(void **state) {
    (void)state;
    const sd_target_ops *shim = any_shim();
    if (!shim) skip();
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, shim, SD_ROLE_CLIENT, &pki);
    sd_outcome o;
    setenv("SHAKEDOWN_SHIM_HANG_AFTER", "2", 1);
    setenv("SHAKEDOWN_SHIM_TIMEOUT_MS", "200", 1);
    sd_driver_run(&client_happy.trace, &cfg, &o);
    unsetenv("SHAKEDOWN_SHIM_HANG_AFTER");
    setenv("SHAKEDOWN_SHIM_TIMEOUT_MS", "1500", 1);
    assert_int_equal(o.kind, SD_OUTCOME_HANG);
    assert_non_null(strstr(o.detail, "200 ms"));

    sd_driver_run(&client_happy.trace, &cfg, &o);
    assert_int_equal(o.kind, SD_OUTCOME_COMPLETED);
}

/* mbedTLS 2.28 has no TLS 1.3: create() says "unsupported:", which conform
 * turns into SKIP. */
static void mbedtls_refuses_tls13_as_unsupported(void **state) {
    (void)state;
    const sd_target_ops *m = sd_target_find("mbedtls");
    if (!m) skip();
    sd_target_config cfg = {
        .role = SD_ROLE_CLIENT, .min_version = SD_TLS13, .max_version = SD_TLS13,
        .pki = &pki, .server_name = SD_PKI_SERVER_NAME, .now = SD_PKI_DEFAULT_TIME,
    };
    char err[300] = "";
    sd_target *t = m->create(&cfg, err, sizeof err);
    assert_null(t);
    assert_int_equal(strncmp(err, SD_TARGET_UNSUPPORTED_PREFIX, strlen(SD_TARGET_UNSUPPORTED_PREFIX)), 0);
}

/* A shim that is asked for something impossible fails create() with its
 * words; a missing shim is not registered at all. */
static void bad_configuration_and_missing_shims(void **state) {
    (void)state;
    assert_null(sd_target_find("no-such-stack"));
    const sd_target_ops *shim = any_shim();
    if (!shim) skip();
    sd_credential bogus;
    memset(&bogus, 0, sizeof bogus);
    snprintf(bogus.name, sizeof bogus.name, "does-not-exist");
    sd_target_config cfg = {
        .role = SD_ROLE_SERVER, .min_version = SD_TLS13, .max_version = SD_TLS13,
        .credential = &bogus, .pki = &pki, .now = SD_PKI_DEFAULT_TIME,
    };
    char err[300] = "";
    assert_null(shim->create(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "does-not-exist"));

    setenv("SHAKEDOWN_SHIM_DIR", "/nonexistent", 1);
    assert_null(sd_target_find(shim->name));
    unsetenv("SHAKEDOWN_SHIM_DIR");
    assert_non_null(sd_target_find(shim->name));
    const char *v = shim->version();
    assert_non_null(v);
    assert_null(strstr(v, "not found"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shims_handshake_with_model_and_boringssl),
        cmocka_unit_test(shims_pass_the_happy_scenarios),
        cmocka_unit_test(killed_shim_is_crash_and_the_run_continues),
        cmocka_unit_test(silent_shim_is_hang),
        cmocka_unit_test(mbedtls_refuses_tls13_as_unsupported),
        cmocka_unit_test(bad_configuration_and_missing_shims),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
