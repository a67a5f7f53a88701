/* test_tcp_stock.c — `shakedown conform` over TCP against stock programs,
 * started here on loopback with the fixture's RSA certificate: `openssl
 * s_server -www` and `gnutls-serv --http` through --connect, `openssl
 * s_client` and `gnutls-cli` through --listen --client-cmd, each on a
 * representative subset of the scenarios of its role. What must show:
 *  - the happy paths PASS (HTTP for the servers, nothing after the
 *    handshake for the clients, as the programs do by default);
 *  - no FAIL before the step a scenario tests: every FAIL reached it;
 *  - no HANG and no ERROR: the programs answer, and the harness copes.
 * The FAILs that remain are printed: each is the program's answer to the
 * step under test. A program that is not installed is skipped, with the
 * reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_filter.h"

#include "loopback_fixture.h"
#include "spawned_server.h"

#include "crypto/pki.h"
#include "report/report.h"
#include "run/scenario_set.h"
#include "trace/step_under_test.h"

static sd_pki pki;
static sd_scenario_set all;
static char tmp_dir[256];

static int setup(void **state) {
    (void)state;
    char err[256];
    signal(SIGPIPE, SIG_IGN);
    if (!sd_pki_load(&pki, sd_pki_default_dir(), err, sizeof err)) return -1;
    if (!sd_scenario_set_load("test_tcp_stock", NULL, 0, NULL, true, &all)) return -1;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/shakedown-test-tcp-stock.XXXXXX");
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    sd_pki_free(&pki);
    sd_scenario_set_free(&all);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int stop_server(void **state) {
    (void)state;
    stop_spawned_server();
    return 0;
}

static const sd_scenario *scenario(const char *id) {
    for (size_t i = 0; i < all.n; i++)
        if (strcmp(all.items[i].id, id) == 0) return &all.items[i];
    return NULL;
}

/* Runs `shakedown conform` with the arguments and one filter, and loads
 * its results into run. */
static void run_conform(const char *name, const char *const *args, const char *filter, sd_report_run *run) {
    static int run_no;
    char out[512];
    snprintf(out, sizeof out, "%s/run%d", tmp_dir, run_no++);
    char *argv[32];
    size_t n = 0;
    argv[n++] = (char *)getenv("SHAKEDOWN_BIN");
    argv[n++] = "conform";
    for (size_t i = 0; args[i]; i++) argv[n++] = (char *)args[i];
    argv[n++] = "--filter";
    argv[n++] = (char *)filter;
    argv[n++] = "--out";
    argv[n++] = out;
    argv[n++] = "-q";
    argv[n] = NULL;
    pid_t pid = spawn_quiet(argv);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    /* 0: no finding; 1: some FAIL. Never a usage or harness error. */
    if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
        fail_msg("%s --filter %s: exit status %d", name, filter,
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    char path[600], err[512];
    snprintf(path, sizeof path, "%s/results.json", out);
    if (!sd_report_load_json(path, run, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(run->n_stacks, 1);
}

/* Runs `shakedown conform` with the arguments and one filter, and checks
 * its results. Returns how many FAILs there were; `happy` names scenarios
 * that must PASS when the filter runs them. */
static size_t conform(const char *name, const char *const *args, const char *filter,
                      const char *const *happy) {
    sd_report_run run;
    run_conform(name, args, filter, &run);
    size_t fails = 0, ran = 0;
    for (size_t i = 0; i < run.n_scenarios; i++) {
        const sd_report_cell *c = sd_report_cell_at(&run, i, 0);
        const char *id = run.scenarios[i].id;
        const sd_scenario *s = scenario(id);
        assert_non_null(s);
        if (c->verdict != SD_VERDICT_SKIP) ran++;
        if (c->verdict == SD_VERDICT_HANG || c->verdict == SD_VERDICT_ERROR || c->verdict == SD_VERDICT_CRASH)
            fail_msg("%s: %s %s: %s", name, id, sd_verdict_name(c->verdict), c->why);
        for (size_t h = 0; happy[h]; h++)
            if (strcmp(happy[h], id) == 0 && c->verdict != SD_VERDICT_PASS)
                fail_msg("%s: %s is %s: %s", name, id, sd_verdict_name(c->verdict), c->why);
        if (c->verdict != SD_VERDICT_FAIL) continue;
        fails++;
        /* A FAIL scores the step under test, so the run reached it. */
        int sut = sd_scenario_step_under_test(s);
        if (sut != SD_STEP_WHOLE_RUN && c->outcome.reached < sut)
            fail_msg("%s: %s FAIL before its step under test %d (reached %d): %s", name, id, sut,
                     c->outcome.reached, c->why);
        fprintf(stderr, "(%s: FAIL %s: %s)\n", name, id, c->why);
    }
    /* The filter ran scenarios of this role, not only SKIPs. */
    assert_true(ran > 0);
    sd_report_run_free(&run);
    return fails;
}

static bool have(const char *program) {
    if (access(program, X_OK) == 0) return true;
    fprintf(stderr, "(%s is not installed: skipped)\n", program);
    return false;
}

static void pki_path(char *out, size_t len, const char *file) { snprintf(out, len, "%s/%s", pki.dir, file); }

/* The server subsets, chosen to keep CI short: the happy paths of both
 * versions, TLS 1.3 Finished tampering, alerts and every out-of-order
 * message, TLS 1.2 Finished tampering over ECDHE-RSA, and TLS 1.3 PSK
 * resumption (connection 2 to the same server). */
static const char *const server_filters[] = {"server.handshake",
                                             "tls13.server.finished",
                                             "tls13.server.alert",
                                             "tls13.server.gen-order",
                                             "tls12.server.gen-finished.ecdhe-rsa.",
                                             "tls13.server.psk"};
/* tls13.server.psk.resume: both programs issue TLS 1.3 tickets by default
 * and resume them in a later connection to the same process. */
static const char *const server_happy[] = {"tls13.server.handshake.happy", "tls12.server.handshake.ecdhe-rsa",
                                           "tls12.server.handshake.rsa", "tls13.server.psk.resume", NULL};

static void run_server(const char *name, char *const argv[], int port) {
    start_server(argv, port);
    char connect[64];
    snprintf(connect, sizeof connect, "127.0.0.1:%d", port);
    const char *args[] = {"--connect", connect, NULL};
    for (size_t f = 0; f < sizeof server_filters / sizeof server_filters[0]; f++)
        conform(name, args, server_filters[f], server_happy);
}

static void openssl_s_server(void **state) {
    (void)state;
    if (!getenv("SHAKEDOWN_BIN") || !have("/usr/bin/openssl")) skip();
    int port = free_port();
    char accept[64], cert[1024], key[1024], ca[1024], crl[1024];
    snprintf(accept, sizeof accept, "127.0.0.1:%d", port);
    pki_path(cert, sizeof cert, "leaf-rsa.chain.pem");
    pki_path(key, sizeof key, "leaf-rsa.key.pem");
    pki_path(ca, sizeof ca, "root.pem");
    pki_path(crl, sizeof crl, "crl.pem");
    /* -www: an HTTP page for a GET. It asks for a client certificate
     * (-verify) and refuses one that fails verification, so that the
     * client authentication scenarios are judged and every other one meets
     * a CertificateRequest it did not plan for. */
    char *argv[] = {"/usr/bin/openssl",
                    "s_server",
                    "-www",
                    "-accept",
                    accept,
                    "-cert",
                    cert,
                    "-key",
                    key,
                    "-verify",
                    "1",
                    "-verify_return_error",
                    "-CAfile",
                    ca,
                    "-CRL",
                    crl,
                    "-crl_check",
                    "-quiet",
                    NULL};
    run_server("openssl s_server", argv, port);
}

static void gnutls_serv(void **state) {
    (void)state;
    if (!getenv("SHAKEDOWN_BIN") || !have("/usr/bin/gnutls-serv")) skip();
    int port = free_port();
    char portstr[16], cert[1024], key[1024], ca[1024];
    snprintf(portstr, sizeof portstr, "%d", port);
    pki_path(cert, sizeof cert, "leaf-rsa.chain.pem");
    pki_path(key, sizeof key, "leaf-rsa.key.pem");
    pki_path(ca, sizeof ca, "root.pem");
    /* --http: an HTTP page for a GET; it asks for a client certificate by
     * default, and --verify-client-cert verifies one that is sent. */
    char *argv[] = {"/usr/bin/gnutls-serv",
                    "--http",
                    "--port",
                    portstr,
                    "--x509certfile",
                    cert,
                    "--x509keyfile",
                    key,
                    "--x509cafile",
                    ca,
                    "--verify-client-cert",
                    "--quiet",
                    NULL};
    run_server("gnutls-serv", argv, port);
}

/* The client subsets, chosen to keep CI short (each scenario starts the
 * client program anew): the happy paths of both versions, the server
 * certificates the client must refuse, and TLS 1.2 Finished tampering over
 * ECDHE-RSA. */
static const char *const client_filters[] = {"client.handshake", "tls13.client.certificate",
                                             "tls12.client.gen-finished.ecdhe-rsa."};
static const char *const client_happy[] = {"tls13.client.handshake.happy", "tls12.client.handshake.ecdhe-rsa",
                                           "tls12.client.handshake.ecdhe-ecdsa", NULL};

static void run_client(const char *name, const char *cmd) {
    const char *args[] = {"--listen", "0", "--client-cmd", cmd, NULL};
    for (size_t f = 0; f < sizeof client_filters / sizeof client_filters[0]; f++)
        conform(name, args, client_filters[f], client_happy);
}

static void openssl_s_client(void **state) {
    (void)state;
    if (!getenv("SHAKEDOWN_BIN") || !have("/usr/bin/openssl")) skip();
    char cmd[4096];
    /* Trusting the fixture root, checking the name and revocation, and
     * refusing what fails; with the fixture's client certificate. */
    snprintf(cmd, sizeof cmd,
             "/usr/bin/openssl s_client -connect 127.0.0.1:{port} -servername %s -verify_hostname %s "
             "-verify_return_error -CAfile %s/root.pem -CRL %s/crl.pem -crl_check -cert %s/client.chain.pem "
             "-key %s/client.key.pem",
             SD_PKI_SERVER_NAME, SD_PKI_SERVER_NAME, pki.dir, pki.dir, pki.dir, pki.dir);
    run_client("openssl s_client", cmd);
}

/* Resumption through the session handover: `openssl s_client` writes its
 * session with -sess_out, and the next connection's client resumes it
 * with -sess_in. One scenario of each version: TLS 1.3 by the ticket
 * (RFC 8446 §2.2), TLS 1.2 by the session id (RFC 5246 §7.3); both must
 * PASS, the probe must find both resumptions, and no session file may be
 * left. Without --client-resume-cmd the same scenarios are SKIP, and say
 * which flag they need. */
static void openssl_s_client_resumes(void **state) {
    (void)state;
    if (!getenv("SHAKEDOWN_BIN") || !have("/usr/bin/openssl")) skip();
    char first[4200], resume[4200], plain[4096], tmp[300], file13[600], file12[600];
    snprintf(plain, sizeof plain,
             "/usr/bin/openssl s_client -connect 127.0.0.1:{port} -servername %s -verify_hostname %s "
             "-verify_return_error -CAfile %s/root.pem",
             SD_PKI_SERVER_NAME, SD_PKI_SERVER_NAME, pki.dir);
    snprintf(first, sizeof first, "%s -sess_out {session-out}", plain);
    snprintf(resume, sizeof resume, "%s -sess_in {session-in} -sess_out {session-out}", plain);
    snprintf(file13, sizeof file13, "%s/tls13/client.psk.resume.sd", sd_default_scenarios_dir());
    snprintf(file12, sizeof file12, "%s/tls12/client.session.resume-by-id.sd", sd_default_scenarios_dir());
    /* The session files go to a folder of this test's own, to be seen
     * empty after the run. */
    snprintf(tmp, sizeof tmp, "%s/sessions", tmp_dir);
    assert_int_equal(mkdir(tmp, 0700), 0);
    setenv("TMPDIR", tmp, 1);
    const char *handed[] = {"--listen", "0",    "--client-cmd", first, "--client-resume-cmd",
                            resume,     file13, file12,         NULL};
    const char *happy[] = {"tls13.client.psk.resume", "tls12.client.session.resume-by-id", NULL};
    sd_report_run run;
    run_conform("openssl s_client (handover)", handed, "resume", &run);
    assert_int_equal(run.n_scenarios, 2);
    for (size_t i = 0; i < run.n_scenarios; i++) {
        const sd_report_cell *c = sd_report_cell_at(&run, i, 0);
        if (c->verdict != SD_VERDICT_PASS)
            fail_msg("%s is %s: %s", run.scenarios[i].id, sd_verdict_name(c->verdict), c->why);
        assert_true(strcmp(run.scenarios[i].id, happy[0]) == 0 || strcmp(run.scenarios[i].id, happy[1]) == 0);
    }
    if (!strstr(run.stacks[0].probe, "resumes a TLS 1.3 session (ticket): yes") ||
        !strstr(run.stacks[0].probe, "resumes a TLS 1.2 session by id: yes"))
        fail_msg("the probe did not find the client resumes: %s", run.stacks[0].probe);
    sd_report_run_free(&run);
    DIR *d = opendir(tmp);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) fail_msg("session file left: %s", e->d_name);
    closedir(d);
    unsetenv("TMPDIR");

    /* Without the resume command: SKIP, naming it (and no probe, which
     * would ask nothing more of the handover). */
    const char *alone[] = {"--listen", "0", "--client-cmd", plain, "--no-probe", file13, file12, NULL};
    run_conform("openssl s_client (no handover)", alone, "resume", &run);
    assert_int_equal(run.n_scenarios, 2);
    for (size_t i = 0; i < run.n_scenarios; i++) {
        const sd_report_cell *c = sd_report_cell_at(&run, i, 0);
        assert_int_equal(c->verdict, SD_VERDICT_SKIP);
        if (!strstr(c->why, "--client-resume-cmd")) fail_msg("%s: %s", run.scenarios[i].id, c->why);
    }
    sd_report_run_free(&run);
}

static void gnutls_cli(void **state) {
    (void)state;
    if (!getenv("SHAKEDOWN_BIN") || !have("/usr/bin/gnutls-cli")) skip();
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/gnutls-cli -p {port} 127.0.0.1 --sni-hostname %s --verify-hostname %s --x509cafile "
             "%s/root.pem --x509certfile %s/client.chain.pem --x509keyfile %s/client.key.pem",
             SD_PKI_SERVER_NAME, SD_PKI_SERVER_NAME, pki.dir, pki.dir, pki.dir);
    run_client("gnutls-cli", cmd);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(openssl_s_server, stop_server),
        cmocka_unit_test_teardown(gnutls_serv, stop_server),
        cmocka_unit_test(openssl_s_client),
        cmocka_unit_test(openssl_s_client_resumes),
        cmocka_unit_test(gnutls_cli),
    };
    if (!select_test(argc, argv, tests, sizeof tests / sizeof tests[0])) return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
