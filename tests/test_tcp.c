/* test_tcp.c — stacks on a port: argv splitting; `shakedown serve` answered
 * through the tcp target, and its HTTP page read by `openssl s_client` for
 * every stack that can serve TLS 1.3, then close_notify and the end of the
 * connection (a BoringSSL client reads them) for every stack whose adapter
 * can close first; real `openssl s_server` and `gnutls-serv` processes
 * tested with --connect agree with the in-process shims of the same stacks
 * on scenarios whose outcome shows on the wire (refusals). Servers that are
 * not installed are skipped. */
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
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "loopback_fixture.h"
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "crypto/pki.h"
#include "driver/driver.h"
#include "oracle/oracle.h"
#include "stacks/shim_target.h"
#include "stacks/tcp_target.h"
#include "trace/trace.h"
#include "stacks/stacks.h"

extern char **environ;
static sd_pki pki;

static int setup(void **state) {
    (void)state;
    char err[512];
    signal(SIGPIPE, SIG_IGN);
    return sd_pki_load(&pki, sd_pki_default_dir(), err, sizeof err) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    sd_pki_free(&pki);
    return 0;
}

static void argv_split(void **state) {
    (void)state;
    char err[200];
    char **v = sd_argv_split("prog -a 'b c' \"d \\\"e\\\"\" f\\ g x{port}y", 4433, err, sizeof err);
    assert_non_null(v);
    assert_string_equal(v[0], "prog");
    assert_string_equal(v[1], "-a");
    assert_string_equal(v[2], "b c");
    assert_string_equal(v[3], "d \"e\"");
    assert_string_equal(v[4], "f g");
    assert_string_equal(v[5], "x4433y");
    assert_null(v[6]);
    sd_argv_free(v);
    assert_null(sd_argv_split("a 'b", 0, err, sizeof err));
    assert_null(sd_argv_split("   ", 0, err, sizeof err));
}

static void remote_refused_without_flag(void **state) {
    (void)state;
    char err[300];
    sd_tcp_options o = {.connect = "192.0.2.1:443", .listen_port = -1};
    assert_false(sd_tcp_setup(&o, err, sizeof err));
    assert_non_null(strstr(err, "loopback"));
    o.connect = "127.0.0.1";
    assert_false(sd_tcp_setup(&o, err, sizeof err));
}

static pid_t spawn(char *const argv[], int *stdout_fd) {
    int p[2] = {-1, -1};
    if (stdout_fd) assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (stdout_fd) dup2(p[1], 1);
        if (!getenv("SHAKEDOWN_SHIM_STDERR")) {
            FILE *n = freopen("/dev/null", "w", stderr);
            (void)n;
        }
        execve(argv[0], argv, environ);
        _exit(127);
    }
    if (stdout_fd) {
        close(p[1]);
        *stdout_fd = p[0];
    }
    return pid;
}

static bool wait_port(int port) {
    for (int i = 0; i < 200; i++) {
        if (port_open(port)) return true;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* The server a test started, stopped by the test or, if an assertion ended
 * it early, by the per-test teardown: a failing test must not leave it behind. */
static pid_t server_pid = -1;

static void stop(pid_t pid) {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    if (pid == server_pid) server_pid = -1;
}

static int stop_server(void **state) {
    (void)state;
    stop(server_pid);
    sd_tcp_teardown();
    return 0;
}

static bool load(const char *name, sd_scenario *s) {
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/scenarios/tls13/%s.sd", src ? src : ".", name);
    if (!sd_scenario_load(path, s, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return false;
    }
    return true;
}

static sd_verdict run_on(const sd_scenario *s, const sd_target_ops *stack, sd_outcome *o) {
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, stack, s->role, &pki);
    if (s->version) cfg.version = s->version;
    sd_driver_run(&s->trace, &cfg, o);
    char why[256];
    return sd_classify(s, o, why, sizeof why);
}

/* `shakedown serve --stack model`, driven through the tcp target: the
 * echo comes back, and a bad Finished is refused on the wire. */
static void serve_answers_over_tcp(void **state) {
    (void)state;
    const char *bin = getenv("SHAKEDOWN_BIN");
    if (!bin) skip();
    char *argv[] = {(char *)bin, "serve", "--stack", "model", "--port", "0", "--max-connections", "2", NULL};
    int out;
    pid_t pid = spawn(argv, &out);
    server_pid = pid;
    char line[128] = "";
    ssize_t n = read(out, line, sizeof line - 1);
    close(out);
    assert_true(n > 0);
    line[n] = '\0';
    const char *colon = strrchr(line, ':');
    assert_non_null(colon);
    char connect[64];
    snprintf(connect, sizeof connect, "127.0.0.1:%d", atoi(colon + 1));

    char err[300];
    sd_tcp_options o = {.connect = connect, .listen_port = -1, .idle_ms = 200};
    assert_true(sd_tcp_setup(&o, err, sizeof err));
    sd_scenario happy, bitflip;
    assert_true(load("server.handshake.happy", &happy));
    assert_true(load("server.finished.bitflip-first", &bitflip));
    sd_outcome oc;
    run_on(&happy, &sd_target_tcp, &oc);
    bool echoed = false;
    for (size_t i = 0; i < oc.n_events; i++)
        echoed |= oc.events[i].from == SD_FROM_TARGET && oc.events[i].kind == SD_EVENT_APPDATA;
    assert_true(echoed);
    assert_int_equal(run_on(&bitflip, &sd_target_tcp, &oc), SD_VERDICT_PASS);
    sd_tcp_teardown();
    sd_scenario_free(&happy);
    sd_scenario_free(&bitflip);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    server_pid = -1;
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Starts `shakedown serve` with extra arguments; returns its port. */
static int start_serve(const char *bin, const char *stack, char *const extra[], pid_t *pid) {
    char *argv[16] = {(char *)bin, "serve", "--stack", (char *)stack, "--port", "0"};
    size_t n = 6;
    for (size_t i = 0; extra[i] && n < 15; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    int out;
    *pid = spawn(argv, &out);
    server_pid = *pid;
    char line[128] = "";
    ssize_t got = read(out, line, sizeof line - 1);
    close(out);
    assert_true(got > 0);
    line[got] = '\0';
    const char *colon = strrchr(line, ':');
    assert_non_null(colon);
    return atoi(colon + 1);
}

/* Runs argv with stdin fed from `input` and returns what it printed on
 * stdout (up to cap - 1 bytes, NUL-terminated); kills it after 10 s. */
static void run_with_input(char *const argv[], const char *input, char *out, size_t cap) {
    int in[2], op[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(op), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(op[1], 1);
        close(in[1]);
        close(op[0]);
        if (!getenv("SHAKEDOWN_SHIM_STDERR")) {
            FILE *f = freopen("/dev/null", "w", stderr);
            (void)f;
        }
        execve(argv[0], argv, environ);
        _exit(127);
    }
    close(in[0]);
    close(op[1]);
    ssize_t w = write(in[1], input, strlen(input));
    assert_int_equal(w, (ssize_t)strlen(input));
    close(in[1]);
    size_t got = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd p = {.fd = op[0], .events = POLLIN};
        if (poll(&p, 1, 10000) <= 0) break;
        ssize_t r = read(op[0], out + got, cap - 1 - got);
        if (r <= 0) break;
        got += (size_t)r;
        if (got == cap - 1) break;
    }
    out[got] = '\0';
    close(op[0]);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* Whether a shim stack speaks TLS 1.3 (mbedTLS 2.28 and Botan 2.19 do not):
 * `shakedown serve` offers it. */
static bool serves_tls13(const char *stack) {
    return strcmp(stack, "mbedtls") != 0 && strcmp(stack, "botan") != 0;
}

/* `openssl s_client` against `shakedown serve`: the HTTP/1.0 page comes
 * back, from every stack that serves TLS 1.3 (mbedTLS 2.28 and Botan 2.19
 * do not).
 * s_client -quiet keeps reading after its input ends; serve ends the
 * connection after the page with the stack's close_notify. */
static void serve_sends_the_page_to_s_client(void **state) {
    (void)state;
    const char *bin = getenv("SHAKEDOWN_BIN");
    if (!bin || access("/usr/bin/openssl", X_OK) != 0) skip();
    const char *stacks[16] = {"model", "boringssl"};
    size_t n_stacks = 2;
    for (size_t i = 0; sd_shim_targets[i]; i++)
        if (serves_tls13(sd_shim_targets[i]->name) && sd_target_find(sd_shim_targets[i]->name))
            stacks[n_stacks++] = sd_shim_targets[i]->name;
    char ca[1024];
    snprintf(ca, sizeof ca, "%s/all-rsa-root.pem", pki.dir); /* serve's default credential */
    for (size_t k = 0; k < n_stacks; k++) {
        char *extra[] = {"--max-connections", "1", "--idle-ms", "5000", NULL};
        pid_t pid;
        int port = start_serve(bin, stacks[k], extra, &pid);
        char connect[64];
        snprintf(connect, sizeof connect, "127.0.0.1:%d", port);
        char *argv[] = {"/usr/bin/openssl",
                        "s_client",
                        "-connect",
                        connect,
                        "-quiet",
                        "-CAfile",
                        ca,
                        "-servername",
                        SD_PKI_SERVER_NAME,
                        "-verify_return_error",
                        NULL};
        char out[4096];
        run_with_input(argv, "GET / HTTP/1.0\r\n\r\n", out, sizeof out);
        char want[128];
        snprintf(want, sizeof want,
                 "HTTP/1.0 200 ok\r\nContent-Type: text/plain\r\n\r\nshakedown serve: %s\n", stacks[k]);
        if (!strstr(out, want)) fprintf(stderr, "serve --stack %s: s_client got [%s]\n", stacks[k], out);
        assert_non_null(strstr(out, want));
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        server_pid = -1;
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
}

/* Connects to 127.0.0.1:port; the reads give up after 20 s, so that a serve
 * that never closes fails the test instead of hanging it. */
static int connect_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = {.tv_sec = 20};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Like `openssl s_server -www`, serve ends the connection after its page:
 * a TLS client reads the page, then the stack's close_notify (SSL_read
 * returns 0 with SSL_ERROR_ZERO_RETURN: RFC 8446 §6.1, not a truncation),
 * then the end of the TCP stream. For every stack whose adapter can close
 * first (sd_target_ops.close); --idle-ms is a minute, so only that close
 * can end the connection in time. */
static void serve_closes_after_the_page(void **state) {
    (void)state;
    const char *bin = getenv("SHAKEDOWN_BIN");
    if (!bin) skip();
    const char *stacks[16] = {"model", "boringssl"};
    size_t n_stacks = 2, n_tested = 0;
    for (size_t i = 0; sd_shim_targets[i]; i++)
        if (serves_tls13(sd_shim_targets[i]->name)) stacks[n_stacks++] = sd_shim_targets[i]->name;
    char ca[1024];
    snprintf(ca, sizeof ca, "%s/all-rsa-root.pem", pki.dir); /* serve's default credential */
    for (size_t k = 0; k < n_stacks; k++) {
        const sd_target_ops *ops = sd_target_find(stacks[k]);
        /* The in-process stacks (model, boringssl) always can close first. */
        if (k < 2) {
            assert_non_null(ops);
            assert_non_null(ops->close);
        }
        if (!ops || !ops->close) {
            fprintf(stderr, "(serve --stack %s: %s; skipped)\n", stacks[k],
                    ops ? "its adapter cannot send close_notify first" : "not built");
            continue;
        }
        n_tested++;
        char *extra[] = {"--max-connections", "1", "--idle-ms", "60000", NULL};
        pid_t pid;
        int port = start_serve(bin, stacks[k], extra, &pid);
        int fd = connect_loopback(port);

        SSL_CTX *ctx = SSL_CTX_new(TLS_method());
        assert_non_null(ctx);
        assert_int_equal(SSL_CTX_load_verify_locations(ctx, ca, NULL), 1);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(ctx), (time_t)SD_PKI_DEFAULT_TIME);
        SSL *ssl = SSL_new(ctx);
        assert_non_null(ssl);
        SSL_set_fd(ssl, fd);
        SSL_set_tlsext_host_name(ssl, SD_PKI_SERVER_NAME);
        if (SSL_connect(ssl) != 1) ERR_print_errors_fp(stderr);
        static const char request[] = "GET / HTTP/1.0\r\n\r\n";
        assert_int_equal(SSL_write(ssl, request, (int)strlen(request)), (int)strlen(request));

        char page[1024];
        size_t got = 0;
        int r;
        while ((r = SSL_read(ssl, page + got, (int)(sizeof page - 1 - got))) > 0) got += (size_t)r;
        page[got] = '\0';
        char want[128];
        snprintf(want, sizeof want,
                 "HTTP/1.0 200 ok\r\nContent-Type: text/plain\r\n\r\nshakedown serve: %s\n", stacks[k]);
        if (strcmp(page, want) != 0 || SSL_get_error(ssl, r) != SSL_ERROR_ZERO_RETURN)
            fprintf(stderr, "serve --stack %s: got [%s], SSL_get_error %d\n", stacks[k], page,
                    SSL_get_error(ssl, r));
        assert_string_equal(page, want);
        assert_int_equal(SSL_get_error(ssl, r), SSL_ERROR_ZERO_RETURN); /* close_notify */
        char byte;
        assert_int_equal(recv(fd, &byte, 1, 0), 0); /* then EOF */

        SSL_free(ssl);
        SSL_CTX_free(ctx);
        close(fd);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        server_pid = -1;
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    if (n_tested == 0) skip();
}

/* The same scenarios on a real server over --connect and on the in-process
 * shim of that stack give the same verdicts. */
static const char *const wire_scenarios[] = {
    "server.finished.bitflip-first",
    "server.finished.truncated",
    "server.order.second-client-hello",
    "server.alert.fatal-mid-handshake",
};

/* Happy paths need a server that answers application data: gnutls-serv
 * --echo does; openssl s_server without -www does not. Over TCP the driver
 * judges completion from the wire (the echo after both Finished). */
static const char *const echo_scenarios[] = {"server.handshake.happy"};

static void compare_with_shim(const char *stack_name, char *const server_argv[], int port, bool echoes) {
    const sd_target_ops *shim = sd_target_find(stack_name);
    if (!shim || access(server_argv[0], X_OK) != 0) {
        fprintf(stderr, "(%s shim or %s missing: skipped)\n", stack_name, server_argv[0]);
        return;
    }
    pid_t pid = spawn(server_argv, NULL);
    server_pid = pid;
    if (!wait_port(port)) {
        stop(pid);
        fail_msg("%s did not listen on %d", server_argv[0], port);
    }
    char connect[64], err[300];
    snprintf(connect, sizeof connect, "127.0.0.1:%d", port);
    sd_tcp_options o = {.connect = connect, .listen_port = -1, .idle_ms = 200};
    assert_true(sd_tcp_setup(&o, err, sizeof err));
    size_t n_wire = sizeof wire_scenarios / sizeof wire_scenarios[0];
    size_t n_echo = echoes ? sizeof echo_scenarios / sizeof echo_scenarios[0] : 0;
    for (size_t i = 0; i < n_wire + n_echo; i++) {
        sd_scenario s;
        assert_true(load(i < n_wire ? wire_scenarios[i] : echo_scenarios[i - n_wire], &s));
        sd_outcome a, b;
        sd_verdict over_tcp = run_on(&s, &sd_target_tcp, &a);
        sd_verdict in_shim = run_on(&s, shim, &b);
        if (over_tcp != in_shim || a.alert != b.alert)
            fprintf(stderr, "%s %s: tcp %s (%s), shim %s (%s)\n", stack_name, s.id, sd_verdict_name(over_tcp),
                    a.detail, sd_verdict_name(in_shim), b.detail);
        assert_int_equal(over_tcp, in_shim);
        assert_int_equal(a.alert, b.alert);
        sd_scenario_free(&s);
    }
    sd_tcp_teardown();
    stop(pid);
}

static void openssl_s_server_matches_shim(void **state) {
    (void)state;
    int port = free_port();
    char accept[64], cert[1024], key[1024];
    snprintf(accept, sizeof accept, "127.0.0.1:%d", port);
    snprintf(cert, sizeof cert, "%s/leaf.chain.pem", pki.dir);
    snprintf(key, sizeof key, "%s/leaf.key.pem", pki.dir);
    char *argv[] = {"/usr/bin/openssl", "s_server",     "-accept", accept,   "-cert",    cert,  "-key", key,
                    "-tls1_3",          "-num_tickets", "0",       "-quiet", "-naccept", "100", NULL};
    compare_with_shim("openssl", argv, port, false);
}

static void gnutls_serv_matches_shim(void **state) {
    (void)state;
    int port = free_port();
    char portstr[16], cert[1024], key[1024];
    snprintf(portstr, sizeof portstr, "%d", port);
    snprintf(cert, sizeof cert, "%s/leaf.chain.pem", pki.dir);
    snprintf(key, sizeof key, "%s/leaf.key.pem", pki.dir);
    char *argv[] = {"/usr/bin/gnutls-serv",
                    "--echo",
                    "--port",
                    portstr,
                    "--x509certfile",
                    cert,
                    "--x509keyfile",
                    key,
                    "--priority",
                    "NORMAL:-VERS-ALL:+VERS-TLS1.3",
                    "--disable-client-cert",
                    "--quiet",
                    NULL};
    compare_with_shim("gnutls", argv, port, true);
}

/* --app and --quiet-ms: a bad value, or either without a stack over TCP,
 * is a usage error (exit 2) before anything runs. */
static int conform_status(char *const extra[]) {
    const char *bin = getenv("SHAKEDOWN_BIN");
    char *argv[16] = {(char *)bin, "conform", "-q"};
    size_t n = 3;
    for (size_t i = 0; extra[i] && n < 15; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    pid_t pid = spawn(argv, NULL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void app_and_quiet_flags(void **state) {
    (void)state;
    if (!getenv("SHAKEDOWN_BIN")) skip();
    char *bad_app[] = {"--connect", "127.0.0.1:4433", "--app", "smtp", NULL};
    char *bad_quiet[] = {"--connect", "127.0.0.1:4433", "--quiet-ms", "0", NULL};
    char *app_alone[] = {"--stack", "model", "--app", "none", NULL};
    char *quiet_alone[] = {"--stack", "model", "--quiet-ms", "50", NULL};
    assert_int_equal(conform_status(bad_app), 2);
    assert_int_equal(conform_status(bad_quiet), 2);
    assert_int_equal(conform_status(app_alone), 2);
    assert_int_equal(conform_status(quiet_alone), 2);
    /* The library refuses an application behaviour it does not know. */
    char err[200];
    sd_tcp_options o = {.connect = "127.0.0.1:4433", .listen_port = -1, .app = 7};
    assert_false(sd_tcp_setup(&o, err, sizeof err));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(argv_split),
        cmocka_unit_test(remote_refused_without_flag),
        cmocka_unit_test(app_and_quiet_flags),
        cmocka_unit_test_teardown(serve_answers_over_tcp, stop_server),
        cmocka_unit_test_teardown(serve_sends_the_page_to_s_client, stop_server),
        cmocka_unit_test_teardown(serve_closes_after_the_page, stop_server),
        cmocka_unit_test_teardown(openssl_s_server_matches_shim, stop_server),
        cmocka_unit_test_teardown(gnutls_serv_matches_shim, stop_server),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
