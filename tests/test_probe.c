/* test_probe.c — the probe before a run over TCP (run/probe.h).
 *
 * Two halves:
 *  - the rules, on hand-made profiles: what each answer skips, and that a
 *    profile that knows nothing skips no scenario of the whole set (an
 *    unanswered question must never hide a finding);
 *  - live probes of peers set up in known ways, each answer checked against
 *    the setup: `shakedown serve` limited to TLS 1.2; `openssl s_server`
 *    answering no application data, and requesting and requiring a client
 *    certificate; `openssl
 *    s_client` verifying nothing, and verifying the chain without the host
 *    name or the CRL, and verifying all three. A program that is not
 *    installed is skipped, with the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "loopback_fixture.h"
#include "spawned_server.h"

#include "run/probe.h"
#include "run/scenario_set.h"
#include "stacks/tcp_target.h"
#include "wire/names.h"

static sd_pki pki;
static sd_scenario_set all;

static int setup(void **state) {
    (void)state;
    char err[256];
    signal(SIGPIPE, SIG_IGN);
    if (!sd_pki_load(&pki, sd_pki_default_dir(), err, sizeof err)) return -1;
    return sd_scenario_set_load("test_probe", NULL, 0, NULL, true, &all) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    sd_pki_free(&pki);
    sd_scenario_set_free(&all);
    return 0;
}

static const sd_scenario *scenario(const char *id) {
    for (size_t i = 0; i < all.n; i++)
        if (strcmp(all.items[i].id, id) == 0) return &all.items[i];
    fail_msg("no scenario %s", id);
    return NULL;
}

static bool lacks(const sd_peer_profile *p, const char *id) {
    char why[512] = "";
    bool r = sd_peer_profile_lacks(p, scenario(id), why, sizeof why);
    if (r) assert_true(strncmp(why, "probe: ", 7) == 0);
    return r;
}

static sd_peer_profile known(sd_role role) {
    sd_peer_profile p;
    memset(&p, 0, sizeof p);
    p.done = p.reachable = true;
    p.role = role;
    p.app = -1;
    return p;
}

/* --- The rules ------------------------------------------------------------------ */

static void unknown_answers_skip_nothing(void **state) {
    (void)state;
    sd_peer_profile server = known(SD_ROLE_SERVER), client = known(SD_ROLE_CLIENT);
    char why[512];
    for (size_t i = 0; i < all.n; i++) {
        if (sd_peer_profile_lacks(&server, &all.items[i], why, sizeof why) ||
            sd_peer_profile_lacks(&client, &all.items[i], why, sizeof why))
            fail_msg("%s skipped on a profile that knows nothing: %s", all.items[i].id, why);
    }
}

static void server_rules(void **state) {
    (void)state;
    sd_peer_profile p = known(SD_ROLE_SERVER);
    p.tls13 = SD_PROBE_NO;
    p.tls12 = SD_PROBE_YES;
    assert_true(lacks(&p, "tls13.server.handshake.happy"));
    assert_false(lacks(&p, "tls12.server.handshake.ecdhe-rsa"));
    /* A malformed first ClientHello is judged before any version is chosen. */
    assert_false(lacks(&p, "tls13.server.gen-malformed.client-hello.trailing-byte"));
    /* Scenarios of the other role are not this profile's. */
    assert_false(lacks(&p, "tls13.client.handshake.happy"));

    p = known(SD_ROLE_SERVER);
    p.n_suites = 2;
    p.suites[0] = SD_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    p.suite_ok[0] = SD_PROBE_NO;
    p.suites[1] = SD_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    p.suite_ok[1] = SD_PROBE_YES;
    assert_true(lacks(&p, "tls12.server.handshake.ecdhe-ecdsa"));
    assert_false(lacks(&p, "tls12.server.handshake.ecdhe-rsa"));

    p = known(SD_ROLE_SERVER);
    p.asks_certificate = SD_PROBE_NO;
    assert_true(lacks(&p, "tls13.server.gen-certificate.expired"));
    assert_false(lacks(&p, "tls13.server.handshake.happy"));

    /* Only a server that requires a certificate must refuse an empty one. */
    p = known(SD_ROLE_SERVER);
    p.asks_certificate = SD_PROBE_YES;
    p.requires_certificate = SD_PROBE_NO;
    assert_true(lacks(&p, "tls13.server.gen-certificate.empty-chain"));
    assert_false(lacks(&p, "tls13.server.gen-certificate.expired"));

    /* A server that verifies no client chain cannot be judged on a bad one,
     * but still on a signature by the wrong key. */
    p = known(SD_ROLE_SERVER);
    p.asks_certificate = SD_PROBE_YES;
    p.checks_chain = SD_PROBE_NO;
    assert_true(lacks(&p, "tls13.server.gen-certificate.unknown-ca"));
    assert_false(lacks(&p, "tls13.server.gen-certificate.key-mismatch"));

    p = known(SD_ROLE_SERVER);
    p.asks_certificate = p.checks_chain = SD_PROBE_YES;
    p.checks_revocation = SD_PROBE_NO;
    assert_true(lacks(&p, "tls12.server.gen-certificate.revoked"));
    assert_false(lacks(&p, "tls12.server.gen-certificate.expired"));
}

static void client_rules(void **state) {
    (void)state;
    sd_peer_profile p = known(SD_ROLE_CLIENT);
    p.tls13 = SD_PROBE_YES;
    p.tls12 = SD_PROBE_NO;
    assert_true(lacks(&p, "tls12.client.handshake.ecdhe-rsa"));
    assert_false(lacks(&p, "tls13.client.handshake.happy"));

    /* A client offers what its ClientHello lists, and nothing else. */
    p = known(SD_ROLE_CLIENT);
    p.n_suites = 1;
    p.suites[0] = SD_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    p.suite_ok[0] = SD_PROBE_YES;
    assert_true(lacks(&p, "tls12.client.handshake.ecdhe-ecdsa"));
    assert_false(lacks(&p, "tls12.client.handshake.ecdhe-rsa"));

    p = known(SD_ROLE_CLIENT);
    p.shows_certificate = SD_PROBE_NO;
    assert_true(lacks(&p, "tls13.client.certificate-request.signature-algorithms-long-list"));
    assert_false(lacks(&p, "tls13.client.handshake.certificate-request"));

    p = known(SD_ROLE_CLIENT);
    p.checks_chain = SD_PROBE_NO;
    assert_true(lacks(&p, "tls13.client.certificate.unknown-ca"));
    assert_true(lacks(&p, "tls13.client.certificate.revoked"));
    /* Every client must refuse what is not a certificate at all, and a
     * CertificateVerify by another key. */
    assert_false(lacks(&p, "tls13.client.certificate.malformed-der"));
    assert_false(lacks(&p, "tls13.client.certificate.key-mismatch"));

    p = known(SD_ROLE_CLIENT);
    p.checks_chain = SD_PROBE_YES;
    p.checks_name = SD_PROBE_NO;
    p.checks_revocation = SD_PROBE_NO;
    assert_true(lacks(&p, "tls13.client.certificate.wrong-name"));
    assert_true(lacks(&p, "tls13.client.certificate.revoked"));
    assert_false(lacks(&p, "tls13.client.certificate.expired"));

    /* A client that did not offer its session again skips the scenarios
     * that resume that way only, and says how to hand it over. */
    p = known(SD_ROLE_CLIENT);
    p.resumes13 = SD_PROBE_NO;
    p.resumes12_id = SD_PROBE_YES;
    assert_true(lacks(&p, "tls13.client.psk.resume"));
    assert_false(lacks(&p, "tls12.client.session.resume-by-id"));
    assert_false(lacks(&p, "tls13.client.handshake.happy"));
    char why[512] = "";
    assert_true(sd_peer_profile_lacks(&p, scenario("tls13.client.psk.resume"), why, sizeof why));
    assert_non_null(strstr(why, "--client-resume-cmd"));
    p = known(SD_ROLE_CLIENT);
    p.resumes12_ticket = SD_PROBE_NO;
    assert_true(lacks(&p, "tls12.client.ticket.resume"));
    assert_false(lacks(&p, "tls12.client.session.resume-by-id"));

    p = known(SD_ROLE_CLIENT);
    p.offers_old_version = SD_PROBE_YES;
    assert_true(lacks(&p, "tls12.client.gen-malformed.ecdhe-ecdsa.server-hello.version-tls11"));
    assert_false(lacks(&p, "tls12.client.gen-malformed.ecdhe-ecdsa.server-hello.suite-not-offered"));
}

/* `versions:` needs a peer over TCP that speaks exactly those versions: a
 * client that offers TLS 1.3 too is not a TLS 1.2-only one (it would be
 * right to refuse the sentinel), nor one that offers TLS 1.2 only one that
 * offers 1.3; a scenario without the header asks nothing of the others. */
static void versions_rules(void **state) {
    (void)state;
    sd_peer_profile both = known(SD_ROLE_CLIENT), only12 = known(SD_ROLE_CLIENT);
    both.tls12 = both.tls13 = SD_PROBE_YES;
    only12.tls12 = SD_PROBE_YES;
    only12.tls13 = SD_PROBE_NO;
    char why[512] = "";
    assert_true(sd_peer_profile_lacks(
        &both, scenario("tls12.client.downgrade.tls12-only-client-ignores-sentinel"), why, sizeof why));
    assert_string_equal(why,
                        "probe: the client offers TLS 1.3, and this scenario needs one set up for TLS 1.2");
    assert_false(lacks(&both, "tls12.client.downgrade.sentinel-tls12"));
    assert_true(lacks(&only12, "tls12.client.downgrade.sentinel-tls12"));
    assert_false(lacks(&only12, "tls12.client.downgrade.tls12-only-client-ignores-sentinel"));
    assert_false(lacks(&both, "tls12.client.handshake.ecdhe-rsa"));
    assert_false(lacks(&only12, "tls12.client.handshake.ecdhe-rsa"));

    sd_peer_profile server = known(SD_ROLE_SERVER);
    server.tls12 = SD_PROBE_YES;
    server.tls13 = SD_PROBE_NO;
    assert_true(
        sd_peer_profile_lacks(&server, scenario("tls12.server.downgrade.sentinel-set"), why, sizeof why));
    assert_string_equal(
        why, "probe: the server does not accept TLS 1.3, and this scenario needs one set up for TLS "
             "1.2-1.3");
    server.tls13 = SD_PROBE_YES;
    assert_false(lacks(&server, "tls12.server.downgrade.sentinel-set"));
    /* A server's answer to its first ClientHello is judged by the range
     * too: a TLS 1.3-only one refuses TLS 1.2. */
    assert_true(lacks(&server, "tls12.server.downgrade.tls13-only-server-refuses-tls12"));
    server.tls12 = SD_PROBE_NO;
    assert_false(lacks(&server, "tls12.server.downgrade.tls13-only-server-refuses-tls12"));
    /* Unknown answers skip nothing. */
    server.tls12 = SD_PROBE_YES;
    server.tls13 = SD_PROBE_UNKNOWN;
    assert_false(lacks(&server, "tls12.server.downgrade.sentinel-set"));
}

/* --- Live probes ------------------------------------------------------------------ */

static int stop_server(void **state) {
    (void)state;
    stop_spawned_server();
    sd_tcp_teardown();
    return 0;
}

static bool have(const char *program) {
    if (program && access(program, X_OK) == 0) return true;
    fprintf(stderr, "(%s is not installed: skipped)\n", program ? program : "shakedown");
    return false;
}

static void probe(sd_role role, const char *connect, const char *client_cmd, sd_peer_profile *p) {
    sd_tcp_options o = {.connect = connect,
                        .listen_port = client_cmd ? 0 : -1,
                        .client_cmd = client_cmd,
                        .app = SD_TCP_APP_DEFAULT};
    char err[300];
    if (!sd_tcp_setup(&o, err, sizeof err)) fail_msg("%s", err);
    sd_probe_peer(&sd_target_tcp, role, all.items, all.n, &pki, SD_PKI_DEFAULT_TIME, 1, true, p);
    if (getenv("SHAKEDOWN_TEST_VERBOSE")) {
        sd_buf b;
        sd_buf_init(&b);
        sd_peer_profile_describe(p, &b);
        fprintf(stderr, "%.*s", (int)b.len, (const char *)b.data);
        sd_buf_free(&b);
    }
    assert_true(p->done);
    assert_true(p->reachable);
}

static void serve(const char *const *extra, int *port) {
    const char *bin = getenv("SHAKEDOWN_BIN");
    if (!have(bin)) skip();
    *port = free_port();
    char ports[16];
    snprintf(ports, sizeof ports, "%d", *port);
    char *argv[16] = {(char *)bin, "serve", "--stack", "model", "--port", ports};
    size_t n = 6;
    for (size_t i = 0; extra[i]; i++) argv[n++] = (char *)extra[i];
    argv[n] = NULL;
    start_server(argv, *port);
}

static void serve_tls12_only(void **state) {
    (void)state;
    int port;
    serve((const char *const[]){"--max-version", "1.2", NULL}, &port);
    char connect[64];
    snprintf(connect, sizeof connect, "127.0.0.1:%d", port);
    sd_peer_profile p;
    probe(SD_ROLE_SERVER, connect, NULL, &p);
    assert_int_equal(p.tls13, SD_PROBE_NO);
    assert_int_equal(p.tls12, SD_PROBE_YES);
    assert_int_equal(p.asks_certificate, SD_PROBE_NO);
    assert_int_equal(p.app, SD_APP_HTTP);
    /* Its default certificate is RSA: no ECDHE-ECDSA. */
    assert_true(lacks(&p, "tls12.server.handshake.ecdhe-ecdsa"));
    assert_false(lacks(&p, "tls12.server.handshake.ecdhe-rsa"));
    assert_true(lacks(&p, "tls13.server.handshake.happy"));
}

static void s_server_start(const char *const *extra, char *accept, size_t len) {
    if (!have("/usr/bin/openssl")) skip();
    int port = free_port();
    static char cert[600], key[600];
    snprintf(accept, len, "127.0.0.1:%d", port);
    snprintf(cert, sizeof cert, "%s/leaf-rsa.chain.pem", pki.dir);
    snprintf(key, sizeof key, "%s/leaf-rsa.key.pem", pki.dir);
    char *argv[32] = {
        "/usr/bin/openssl", "s_server", "-accept", accept, "-cert", cert, "-key", key, "-quiet"};
    size_t n = 9;
    for (size_t i = 0; extra[i]; i++) argv[n++] = (char *)extra[i];
    argv[n] = NULL;
    start_server(argv, port);
}

/* s_server without -www prints what it gets and answers nothing. */
static void s_server_without_app(void **state) {
    (void)state;
    char accept[64];
    s_server_start((const char *const[]){NULL}, accept, sizeof accept);
    sd_peer_profile p;
    probe(SD_ROLE_SERVER, accept, NULL, &p);
    assert_int_equal(p.tls13, SD_PROBE_YES);
    assert_int_equal(p.app, SD_APP_NONE);
    /* The run goes on with what the probe found. */
    assert_int_equal(sd_tcp_app(SD_ROLE_SERVER), SD_APP_NONE);
}

static void s_server_client_auth(const char *verify, sd_probe_answer requires) {
    static char ca[600];
    snprintf(ca, sizeof ca, "%s/root.pem", pki.dir);
    char accept[64];
    s_server_start((const char *const[]){"-www", verify, "1", "-verify_return_error", "-CAfile", ca, NULL},
                   accept, sizeof accept);
    sd_peer_profile p;
    probe(SD_ROLE_SERVER, accept, NULL, &p);
    assert_int_equal(p.tls13, SD_PROBE_YES);
    assert_int_equal(p.app, SD_APP_HTTP);
    assert_int_equal(p.asks_certificate, SD_PROBE_YES);
    assert_int_equal(p.requires_certificate, requires);
    assert_int_equal(p.checks_chain, SD_PROBE_YES);
    /* Started without -CRL: it verifies chains but not revocation. */
    assert_int_equal(p.checks_revocation, SD_PROBE_NO);
    assert_true(lacks(&p, "tls13.server.gen-certificate.revoked"));
    assert_int_equal(lacks(&p, "tls13.server.gen-certificate.empty-chain"), requires == SD_PROBE_NO);
    assert_false(lacks(&p, "tls13.server.gen-certificate.unknown-ca"));
}

static void s_server_requests(void **state) {
    (void)state;
    s_server_client_auth("-verify", SD_PROBE_NO);
}

static void s_server_requires(void **state) {
    (void)state;
    s_server_client_auth("-Verify", SD_PROBE_YES);
}

/* s_client set up with `options` (then the connection and the fixture's
 * client certificate). */
static void s_client_probe(const char *options, sd_peer_profile *p) {
    if (!have("/usr/bin/openssl")) skip();
    char cmd[4096];
    snprintf(
        cmd, sizeof cmd,
        "/usr/bin/openssl s_client -connect 127.0.0.1:{port} -servername %s %s -cert %s/client.chain.pem "
        "-key %s/client.key.pem",
        SD_PKI_SERVER_NAME, options, pki.dir, pki.dir);
    probe(SD_ROLE_CLIENT, NULL, cmd, p);
    assert_int_equal(p->tls13, SD_PROBE_YES);
    assert_int_equal(p->tls12, SD_PROBE_YES);
    assert_true(p->n_suites > 0 && p->n_groups > 0 && p->n_sigalgs > 0);
    assert_int_equal(p->shows_certificate, SD_PROBE_YES);
}

static void s_client_verifying_nothing(void **state) {
    (void)state;
    sd_peer_profile p;
    /* Without -verify_return_error, s_client goes on after a failed
     * verification. */
    s_client_probe("", &p);
    assert_int_equal(p.checks_chain, SD_PROBE_NO);
    assert_true(lacks(&p, "tls13.client.certificate.unknown-ca"));
    assert_false(lacks(&p, "tls13.client.certificate.malformed-der"));
}

static void s_client_without_name_or_crl(void **state) {
    (void)state;
    char opts[1024];
    snprintf(opts, sizeof opts, "-verify_return_error -CAfile %s/root.pem", pki.dir);
    sd_peer_profile p;
    s_client_probe(opts, &p);
    assert_int_equal(p.checks_chain, SD_PROBE_YES);
    assert_int_equal(p.checks_name, SD_PROBE_NO);
    assert_int_equal(p.checks_revocation, SD_PROBE_NO);
    assert_true(lacks(&p, "tls13.client.certificate.wrong-name"));
    assert_false(lacks(&p, "tls13.client.certificate.unknown-ca"));
}

static void s_client_checking_all(void **state) {
    (void)state;
    char opts[2048];
    snprintf(opts, sizeof opts,
             "-verify_return_error -verify_hostname %s -CAfile %s/root.pem -CRL %s/crl.pem -crl_check",
             SD_PKI_SERVER_NAME, pki.dir, pki.dir);
    sd_peer_profile p;
    s_client_probe(opts, &p);
    assert_int_equal(p.checks_chain, SD_PROBE_YES);
    assert_int_equal(p.checks_name, SD_PROBE_YES);
    assert_int_equal(p.checks_revocation, SD_PROBE_YES);
    assert_false(lacks(&p, "tls13.client.certificate.wrong-name"));
    assert_false(lacks(&p, "tls13.client.certificate.revoked"));
}

/* A server that closes every connection at once refuses everything: it is
 * broken, not set up without a feature, so nothing may be skipped for it
 * (its happy scenarios must run, and fail). */
static void server_closing_at_once(void **state) {
    (void)state;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(lfd, 8), 0);
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    server_pid = fork();
    assert_true(server_pid >= 0);
    if (server_pid == 0) {
        for (;;) {
            int c = accept(lfd, NULL, NULL);
            if (c >= 0) close(c);
        }
    }
    close(lfd);
    char connect[64];
    snprintf(connect, sizeof connect, "127.0.0.1:%d", ntohs(sa.sin_port));
    sd_tcp_options o = {.connect = connect, .listen_port = -1, .app = SD_TCP_APP_DEFAULT};
    char err[300];
    if (!sd_tcp_setup(&o, err, sizeof err)) fail_msg("%s", err);
    sd_peer_profile p;
    sd_probe_peer(&sd_target_tcp, SD_ROLE_SERVER, all.items, all.n, &pki, SD_PKI_DEFAULT_TIME, 1, true, &p);
    assert_true(p.done);
    assert_true(!p.reachable || p.refused_all);
    assert_false(lacks(&p, "tls13.server.handshake.happy"));
    assert_false(lacks(&p, "tls12.server.handshake.ecdhe-ecdsa"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unknown_answers_skip_nothing),
        cmocka_unit_test(server_rules),
        cmocka_unit_test(client_rules),
        cmocka_unit_test(versions_rules),
        cmocka_unit_test_teardown(serve_tls12_only, stop_server),
        cmocka_unit_test_teardown(server_closing_at_once, stop_server),
        cmocka_unit_test_teardown(s_server_without_app, stop_server),
        cmocka_unit_test_teardown(s_server_requests, stop_server),
        cmocka_unit_test_teardown(s_server_requires, stop_server),
        cmocka_unit_test_teardown(s_client_verifying_nothing, stop_server),
        cmocka_unit_test_teardown(s_client_without_name_or_crl, stop_server),
        cmocka_unit_test_teardown(s_client_checking_all, stop_server),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
