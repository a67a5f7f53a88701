/* test_serve.c — `shakedown serve` as a drop-in test server, driven by the
 * stock clients a user would point at it: `openssl s_client` and
 * `gnutls-cli` over TLS 1.2 and 1.3, `curl` fetching the page over https,
 * a resumed session (s_client -sess_out / -sess_in, gnutls-cli --resume),
 * all while a stalled TCP connection and a stalled half ClientHello are held
 * open beside them; then SIGTERM ends serve cleanly. For the model,
 * boringssl and (when its shim was built) openssl. Also: the page is sent
 * only once a request line is complete (a BoringSSL client sends half a
 * line and a KeyUpdate first), the idle limit ends a silent connection, the
 * connection limit refuses one more cleanly, the version flags, and
 * --no-cookie (the model's HelloRetryRequest with and without a cookie, read
 * from s_client -trace).
 *
 * Each test starts its own serve on a free loopback port (--port 0). A
 * client program that is not installed is skipped with the reason on
 * stderr; when none of them is, or no test could run, the program exits 77,
 * which CTest reports as skipped. */
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
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "crypto/pki.h"
#include "stacks/stacks.h"

#define SKIP_CODE 77

extern char **environ;

static char pki_dir[512], ca_file[640], tmp_dir[128];
static const char *shakedown_bin;
static char openssl_bin[256], gnutls_cli_bin[256], curl_bin[256];
static int tests_run; /* tests that got past their skip checks */

/* A `shakedown serve` the test started. */
typedef struct {
    pid_t pid;
    int port;
    char log[256]; /* its stderr */
} server;

/* --- Programs ----------------------------------------------------------------------- */

/* The full path of a program on $PATH into out; false if there is none. */
static bool find_program(const char *name, char *out, size_t out_len) {
    const char *path = getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    for (const char *p = path; *p;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        snprintf(out, out_len, "%.*s/%s", (int)n, p, name);
        if (n > 0 && access(out, X_OK) == 0) return true;
        if (!colon) break;
        p = colon + 1;
    }
    out[0] = '\0';
    return false;
}

static server current = {.pid = -1};

/* serve's stderr so far, on ours: what it logged of a failed exchange. */
static void show_serve_log(void) {
    if (current.pid <= 0) return;
    FILE *f = fopen(current.log, "r");
    if (!f) return;
    char line[512];
    fprintf(stderr, "--- serve's log (%s):\n", current.log);
    while (fgets(line, sizeof line, f)) fputs(line, stderr);
    fclose(f);
}

/* Runs argv with `input` on stdin (then EOF) and returns its exit status
 * (-1 if killed); stdout and stderr together in out (NUL-terminated).
 * Killed after 30 s, so that a serve that never answers fails the test
 * rather than hanging it. */
static int run(char *const argv[], const char *input, char *out, size_t cap) {
    int in[2], op[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(op), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(op[1], 1);
        dup2(op[1], 2);
        close(in[1]);
        close(op[0]);
        execve(argv[0], argv, environ);
        _exit(127);
    }
    close(in[0]);
    close(op[1]);
    size_t len = strlen(input);
    if (len) assert_int_equal(write(in[1], input, len), (ssize_t)len);
    close(in[1]);
    size_t got = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long left = 30000 - ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
        struct pollfd p = {.fd = op[0], .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) break;
        char discard[4096];
        ssize_t r =
            got < cap - 1 ? read(op[0], out + got, cap - 1 - got) : read(op[0], discard, sizeof discard);
        if (r <= 0) break;
        if (got < cap - 1) got += (size_t)r;
    }
    out[got] = '\0';
    close(op[0]);
    /* The end of its output comes before its exit: wait for that too, up to
     * the same 30 s. */
    int status;
    pid_t done;
    while ((done = waitpid(pid, &status, WNOHANG)) == 0) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 30000) break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (done == 0) {
        fprintf(stderr, "%s: still running after 30 s, killed\n", argv[0]);
        show_serve_log();
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* --- serve ----------------------------------------------------------------------------- */

/* Starts `shakedown serve --stack STACK --port 0 EXTRA...` with stderr in a
 * file; returns false (after printing why) if it exits instead of
 * listening. */
static bool start_serve(const char *stack, const char *const extra[], server *s) {
    char *argv[32] = {(char *)shakedown_bin, "serve", "--stack", (char *)stack, "--port", "0"};
    size_t n = 6;
    for (size_t i = 0; extra && extra[i] && n < 31; i++) argv[n++] = (char *)extra[i];
    argv[n] = NULL;
    static int serial;
    snprintf(s->log, sizeof s->log, "%s/serve-%d.log", tmp_dir, ++serial);
    int p[2];
    assert_int_equal(pipe(p), 0);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        dup2(p[1], 1);
        int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) dup2(fd, 2);
        close(p[0]);
        execve(argv[0], argv, environ);
        _exit(127);
    }
    current = *s;
    close(p[1]);
    char line[128] = "";
    size_t got = 0;
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    while (got < sizeof line - 1 && !strchr(line, '\n') && poll(&pf, 1, 30000) > 0) {
        ssize_t r = read(p[0], line + got, sizeof line - 1 - got);
        if (r <= 0) break;
        got += (size_t)r;
        line[got] = '\0';
    }
    close(p[0]);
    const char *colon = strrchr(line, ':');
    if (strncmp(line, "listening on ", 13) != 0 || !colon) {
        fprintf(stderr, "serve --stack %s did not start: [%s]\n", stack, line);
        return false;
    }
    s->port = atoi(colon + 1);
    return s->port > 0;
}

/* SIGTERM, then its exit status (-1: not a normal exit). */
static int stop_serve(server *s) {
    if (s->pid <= 0) return -1;
    kill(s->pid, SIGTERM);
    int status;
    assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
    s->pid = -1;
    current.pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void read_log(const server *s, char *out, size_t cap) {
    out[0] = '\0';
    FILE *f = fopen(s->log, "r");
    if (!f) return;
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

/* Whether one line of serve's log holds both a and b. */
static bool log_has_line(const char *log, const char *a, const char *b) {
    for (const char *line = log; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t n = eol ? (size_t)(eol - line) : strlen(line);
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), line);
        if (strstr(buf, a) && strstr(buf, b)) return true;
        line = eol ? eol + 1 : NULL;
    }
    return false;
}

/* Per-test teardown: a test that failed half-way leaves no serve behind. */
static int kill_serve(void **state) {
    (void)state;
    if (current.pid > 0) {
        kill(current.pid, SIGKILL);
        waitpid(current.pid, NULL, 0);
        current.pid = -1;
    }
    return 0;
}

static int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* The server has not closed fd, nor sent anything on it: nothing to read
 * without waiting. */
static bool still_open_and_silent(int fd) {
    char b;
    ssize_t r = recv(fd, &b, 1, MSG_DONTWAIT);
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* Waits (at most 30 s) for the server to close fd; true if it did. */
static bool closed_by_server(int fd) {
    char b[512];
    for (;;) {
        ssize_t r = recv(fd, b, sizeof b, 0);
        if (r == 0 || (r < 0 && errno == ECONNRESET)) return true;
        if (r < 0) return false; /* the 30 s receive timeout */
    }
}

/* --- The clients --------------------------------------------------------------------- */

static const char request[] = "GET / HTTP/1.0\r\n\r\n";

static void want_page(const char *who, const char *stack, const char *out) {
    char page[128];
    snprintf(page, sizeof page, "HTTP/1.0 200 ok\r\nContent-Type: text/plain\r\n\r\nshakedown serve: %s\n",
             stack);
    if (!strstr(out, page)) fprintf(stderr, "%s against serve --stack %s got:\n%s\n", who, stack, out);
    assert_non_null(strstr(out, page));
}

/* s_client at one version: the page, the version, a verified chain.
 * extra: one more flag (-no_ticket) or NULL. sess_flag (-sess_out,
 * -sess_in; NULL: none) with sess_file saves or resumes a session; returns
 * whether s_client said "Reused". -ign_eof: keep reading after the
 * request, until serve ends the connection. */
static bool s_client(const server *s, const char *stack, const char *version, const char *extra,
                     const char *sess_flag, const char *sess_file) {
    char connect[32], out[32768];
    snprintf(connect, sizeof connect, "127.0.0.1:%d", s->port);
    char *argv[24] = {openssl_bin,
                      "s_client",
                      (char *)version,
                      "-ign_eof",
                      "-connect",
                      connect,
                      "-CAfile",
                      ca_file,
                      "-servername",
                      SD_PKI_SERVER_NAME,
                      "-verify_return_error"};
    size_t n = 11;
    if (extra) argv[n++] = (char *)extra;
    if (sess_flag) {
        argv[n++] = (char *)sess_flag;
        argv[n++] = (char *)sess_file;
    }
    argv[n] = NULL;
    int rc = run(argv, request, out, sizeof out);
    if (rc != 0) fprintf(stderr, "s_client %s exited %d:\n%s\n", version, rc, out);
    assert_int_equal(rc, 0);
    want_page("s_client", stack, out);
    assert_non_null(strstr(out, "Verify return code: 0 (ok)"));
    const char *proto = strcmp(version, "-tls1_3") == 0 ? "TLSv1.3" : "TLSv1.2";
    char new_line[64], reused_line[64];
    snprintf(new_line, sizeof new_line, "New, %s, Cipher is", proto);
    snprintf(reused_line, sizeof reused_line, "Reused, %s, Cipher is", proto);
    bool reused = strstr(out, reused_line) != NULL;
    assert_true(reused || strstr(out, new_line) != NULL);
    return reused;
}

/* gnutls-cli at one version (a priority string that enables only it): the
 * page and the version; with --resume, whether it said it resumed. */
static bool gnutls_cli(const server *s, const char *stack, const char *vers, bool resume) {
    char port[16], priority[64], out[32768], want[32];
    snprintf(port, sizeof port, "%d", s->port);
    snprintf(priority, sizeof priority, "NORMAL:-VERS-ALL:+VERS-%s", vers);
    char *argv[] = {gnutls_cli_bin,
                    "--priority",
                    priority,
                    "--x509cafile",
                    ca_file,
                    "--sni-hostname",
                    SD_PKI_SERVER_NAME,
                    "--verify-hostname",
                    SD_PKI_SERVER_NAME,
                    "-p",
                    port,
                    resume ? "--resume" : "127.0.0.1",
                    resume ? "127.0.0.1" : NULL,
                    NULL};
    int rc = run(argv, request, out, sizeof out);
    if (rc != 0) fprintf(stderr, "gnutls-cli %s exited %d:\n%s\n", vers, rc, out);
    assert_int_equal(rc, 0);
    want_page("gnutls-cli", stack, out);
    snprintf(want, sizeof want, "(%s-", vers); /* "- Description: (TLS1.3-X.509)-..." */
    if (!strstr(out, want)) fprintf(stderr, "gnutls-cli %s: no '%s' in:\n%s\n", vers, want, out);
    assert_non_null(strstr(out, want));
    return strstr(out, "This is a resumed session") != NULL;
}

/* curl at one version ("1.2", "1.3"): the page's body. */
static void curl(const server *s, const char *stack, const char *version) {
    char url[96], resolve[96], min[16], out[8192];
    snprintf(url, sizeof url, "https://%s:%d/", SD_PKI_SERVER_NAME, s->port);
    snprintf(resolve, sizeof resolve, "%s:%d:127.0.0.1", SD_PKI_SERVER_NAME, s->port);
    snprintf(min, sizeof min, "--tlsv%s", version);
    char *argv[] = {curl_bin,   "-sS",   "--max-time", "20",    min, "--tls-max", (char *)version,
                    "--cacert", ca_file, "--resolve",  resolve, url, NULL};
    int rc = run(argv, "", out, sizeof out);
    if (rc != 0) fprintf(stderr, "curl TLS %s exited %d:\n%s\n", version, rc, out);
    assert_int_equal(rc, 0);
    /* curl prints the body only. */
    char body[64];
    snprintf(body, sizeof body, "shakedown serve: %s\n", stack);
    assert_string_equal(out, body);
}

/* --- The tests ------------------------------------------------------------------------- */

static bool have_clients(void) {
    if (!openssl_bin[0] && !gnutls_cli_bin[0] && !curl_bin[0]) {
        fprintf(stderr, "SKIP: none of openssl, gnutls-cli, curl is installed (Debian packages openssl, "
                        "gnutls-bin, curl; scripts/install-deps.sh)\n");
        return false;
    }
    return true;
}

/* Every client, both versions, resumption where the stack resumes, all
 * beside two stalled connections; then SIGTERM. */
static void serve_stock_clients(const char *stack) {
    if (!have_clients()) skip();
    if (!sd_target_find(stack)) {
        fprintf(stderr, "SKIP: serve --stack %s: its shim was not built\n", stack);
        skip();
    }
    tests_run++;
    bool resumes = strcmp(stack, "model") == 0 || strcmp(stack, "boringssl") == 0;
    /* An idle limit far beyond the whole test: only serve's concurrency
     * lets the clients through while the stalled connections are open. */
    const char *extra[] = {"--idle-ms", "600000", NULL};
    server s;
    assert_true(start_serve(stack, extra, &s));

    int stalled = connect_to(s.port);
    /* Half a TLS record header of a ClientHello: a handshake that stalls. */
    int half_hello = connect_to(s.port);
    static const uint8_t half[] = {0x16, 0x03, 0x01};
    assert_int_equal(send(half_hello, half, sizeof half, 0), (ssize_t)sizeof half);

    /* TLS 1.3 (a ticket), TLS 1.2 with a ticket (RFC 5077) and without one
     * (the session id, from serve's session cache: RFC 5246 §7.4.1.2). */
    static const char *const versions[] = {"-tls1_3", "-tls1_2", "-tls1_2"};
    static const char *const extras[] = {NULL, NULL, "-no_ticket"};
    for (size_t v = 0; v < 3 && openssl_bin[0]; v++) {
        char sess[256];
        snprintf(sess, sizeof sess, "%s/%s%s%zu.sess", tmp_dir, stack, versions[v], v);
        unlink(sess);
        assert_false(s_client(&s, stack, versions[v], extras[v], "-sess_out", sess));
        if (resumes) {
            bool reused = s_client(&s, stack, versions[v], extras[v], "-sess_in", sess);
            if (!reused)
                fprintf(stderr, "s_client %s %s -sess_in: not resumed on %s\n", versions[v],
                        extras[v] ? extras[v] : "", stack);
            assert_true(reused);
        } else {
            fprintf(stderr, "(serve --stack %s: the shim stacks issue no tickets; resumption skipped)\n",
                    stack);
        }
    }
    static const char *const gnutls_versions[] = {"TLS1.3", "TLS1.2"};
    for (size_t v = 0; v < 2 && gnutls_cli_bin[0]; v++) {
        assert_false(gnutls_cli(&s, stack, gnutls_versions[v], false));
        bool reused = gnutls_cli(&s, stack, gnutls_versions[v], true);
        if (resumes) assert_true(reused);
    }
    if (curl_bin[0]) {
        curl(&s, stack, "1.3");
        curl(&s, stack, "1.2");
    }
    if (!openssl_bin[0]) fprintf(stderr, "SKIP part: openssl not installed (Debian package openssl)\n");
    if (!gnutls_cli_bin[0])
        fprintf(stderr, "SKIP part: gnutls-cli not installed (Debian package gnutls-bin)\n");
    if (!curl_bin[0]) fprintf(stderr, "SKIP part: curl not installed (Debian package curl)\n");

    /* Every client above was served while these two were held open, and
     * serve has not touched them. */
    assert_true(still_open_and_silent(stalled));
    assert_true(still_open_and_silent(half_hello));

    /* SIGTERM: serve closes them and exits 0. */
    assert_int_equal(stop_serve(&s), 0);
    assert_true(closed_by_server(stalled));
    assert_true(closed_by_server(half_hello));
    close(stalled);
    close(half_hello);
    char log[65536];
    read_log(&s, log, sizeof log);
    assert_non_null(strstr(log, "closed with close_notify after the page"));
    assert_non_null(strstr(log, "no handshake; stopped"));
    assert_non_null(strstr(log, "shakedown serve: stopped"));
    if (resumes && openssl_bin[0]) {
        assert_true(log_has_line(log, "handshake done, TLS 1.3, ", ", resumed; closed"));
        assert_true(log_has_line(log, "handshake done, TLS 1.2, ", ", resumed; closed"));
    }
}

static void serve_model(void **state) {
    (void)state;
    serve_stock_clients("model");
}
static void serve_boringssl(void **state) {
    (void)state;
    serve_stock_clients("boringssl");
}
static void serve_openssl(void **state) {
    (void)state;
    serve_stock_clients("openssl");
}

/* Reads from ssl without blocking: true if application data came (the
 * page), false if only records without any (tickets, KeyUpdate) or
 * nothing. */
static bool page_already_there(SSL *ssl, int fd) {
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    char b[256];
    int r = SSL_read(ssl, b, sizeof b);
    int e = r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, r);
    fcntl(fd, F_SETFL, fl);
    if (r <= 0 && e != SSL_ERROR_WANT_READ) {
        fprintf(stderr, "SSL_read: %d (error %d)\n", r, e);
        ERR_print_errors_fp(stderr);
        fail();
    }
    return r > 0;
}

/* A BoringSSL client's handshake with serve at one version, verifying the
 * chain to serve's default CA; fd is its socket. */
static SSL *tls_connect(int port, uint16_t version, int *fd) {
    *fd = connect_to(port);
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    assert_non_null(ctx);
    assert_true(SSL_CTX_set_min_proto_version(ctx, version) && SSL_CTX_set_max_proto_version(ctx, version));
    assert_int_equal(SSL_CTX_load_verify_locations(ctx, ca_file, NULL), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL *ssl = SSL_new(ctx);
    SSL_CTX_free(ctx); /* the SSL keeps its own reference */
    assert_non_null(ssl);
    SSL_set_fd(ssl, *fd);
    SSL_set_tlsext_host_name(ssl, SD_PKI_SERVER_NAME);
    if (SSL_connect(ssl) != 1) ERR_print_errors_fp(stderr);
    assert_int_equal(SSL_version(ssl), version);
    return ssl;
}

/* The page waits for a request line: half a line, a KeyUpdate that asks
 * for the server's (TLS 1.3; RFC 8446 §4.6.3), more of the line, and only
 * the newline brings the page and then the close_notify. Before, the
 * connection stays open, whatever the server sent (tickets, its
 * KeyUpdate). With a BoringSSL client, for every stack of serve. */
static void page_after_request_line(const char *stack, uint16_t version) {
    if (!sd_target_find(stack)) {
        fprintf(stderr, "SKIP: serve --stack %s: its shim was not built\n", stack);
        return;
    }
    const char *extra[] = {"--idle-ms", "600000", NULL};
    server s;
    assert_true(start_serve(stack, extra, &s));
    int fd;
    SSL *ssl = tls_connect(s.port, version, &fd);

    assert_int_equal(SSL_write(ssl, "GET / HT", 8), 8);
    if (version == TLS1_3_VERSION) assert_int_equal(SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED), 1);
    assert_int_equal(SSL_write(ssl, "TP/1.0", 6), 6);
    /* Give serve time to answer, were it wrongly to answer now; a slow
     * serve could only make this check pass, never fail. */
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    assert_false(page_already_there(ssl, fd));
    assert_false(page_already_there(ssl, fd));
    assert_int_equal(SSL_write(ssl, "\r\n\r\n", 4), 4);

    char page[1024];
    size_t got = 0;
    int r;
    while ((r = SSL_read(ssl, page + got, (int)(sizeof page - 1 - got))) > 0) got += (size_t)r;
    page[got] = '\0';
    want_page("a BoringSSL client", stack, page);
    assert_int_equal(SSL_get_error(ssl, r), SSL_ERROR_ZERO_RETURN); /* close_notify */
    SSL_free(ssl);
    close(fd);
    assert_int_equal(stop_serve(&s), 0);
}

static void request_line(void **state) {
    (void)state;
    tests_run++;
    static const char *const stacks[] = {"model", "boringssl", "openssl"};
    for (size_t i = 0; i < 3; i++) {
        page_after_request_line(stacks[i], TLS1_3_VERSION);
        page_after_request_line(stacks[i], TLS1_2_VERSION);
    }
}

/* --idle-ms ends a silent connection: one that never sent a byte is
 * closed, one whose handshake is done gets the stack's close_notify first
 * (RFC 8446 §6.1); serve goes on serving the next client. */
static void idle_limit(void **state) {
    (void)state;
    tests_run++;
    const char *extra[] = {"--idle-ms", "300", NULL};
    server s;
    assert_true(start_serve("model", extra, &s));
    int silent = connect_to(s.port);
    int fd;
    SSL *ssl = tls_connect(s.port, TLS1_3_VERSION, &fd);
    char b[64];
    int r;
    while ((r = SSL_read(ssl, b, sizeof b)) > 0) {
    }
    assert_int_equal(SSL_get_error(ssl, r), SSL_ERROR_ZERO_RETURN); /* close_notify */
    SSL_free(ssl);
    close(fd);
    assert_true(closed_by_server(silent));
    close(silent);

    ssl = tls_connect(s.port, TLS1_2_VERSION, &fd);
    assert_int_equal(SSL_write(ssl, request, (int)strlen(request)), (int)strlen(request));
    char page[1024];
    size_t got = 0;
    while ((r = SSL_read(ssl, page + got, (int)(sizeof page - 1 - got))) > 0) got += (size_t)r;
    page[got] = '\0';
    want_page("a BoringSSL client", "model", page);
    SSL_free(ssl);
    close(fd);

    assert_int_equal(stop_serve(&s), 0);
    char log[8192];
    read_log(&s, log, sizeof log);
    assert_non_null(strstr(log, "no handshake; idle timeout"));
    assert_true(log_has_line(log, "handshake done, TLS 1.3", "; idle timeout;"));
}

/* --max-clients 1: a second connection is accepted and closed at once,
 * logged as refused, while the first stays open; once the first is gone,
 * the next is served. */
static void connection_limit(void **state) {
    (void)state;
    if (!openssl_bin[0]) {
        fprintf(stderr, "SKIP: openssl not installed (Debian package openssl)\n");
        skip();
    }
    tests_run++;
    const char *extra[] = {"--max-clients", "1", "--idle-ms", "600000", NULL};
    server s;
    assert_true(start_serve("model", extra, &s));
    int first = connect_to(s.port);
    int second = connect_to(s.port);
    assert_true(closed_by_server(second));
    close(second);
    assert_true(still_open_and_silent(first));
    close(first);
    /* The first's end reaches serve as an EOF; until it has, a client may
     * still be refused, so try a few times. */
    bool served = false;
    for (int i = 0; i < 50 && !served; i++) {
        char connect[32], out[16384];
        snprintf(connect, sizeof connect, "127.0.0.1:%d", s.port);
        char *argv[] = {openssl_bin, "s_client", "-ign_eof",    "-connect",         connect,
                        "-CAfile",   ca_file,    "-servername", SD_PKI_SERVER_NAME, NULL};
        served = run(argv, request, out, sizeof out) == 0 && strstr(out, "shakedown serve: model");
        if (!served) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    assert_true(served);
    assert_int_equal(stop_serve(&s), 0);
    char log[16384];
    read_log(&s, log, sizeof log);
    assert_non_null(strstr(log, "refused: 1 connections open (--max-clients)"));
}

/* --min-version / --max-version: a TLS 1.2 client is refused by a 1.3-only
 * serve, and a client that offers both gets TLS 1.2 from a 1.2-only one. */
static void version_flags(void **state) {
    (void)state;
    if (!openssl_bin[0]) {
        fprintf(stderr, "SKIP: openssl not installed (Debian package openssl)\n");
        skip();
    }
    tests_run++;
    static const char *const stacks[] = {"model", "boringssl"};
    for (size_t i = 0; i < 2; i++) {
        server s;
        const char *only13[] = {"--min-version", "1.3", NULL};
        assert_true(start_serve(stacks[i], only13, &s));
        char connect[32], out[32768];
        snprintf(connect, sizeof connect, "127.0.0.1:%d", s.port);
        char *tls12[] = {openssl_bin, "s_client", "-tls1_2",     "-ign_eof",         "-connect", connect,
                         "-CAfile",   ca_file,    "-servername", SD_PKI_SERVER_NAME, NULL};
        assert_int_not_equal(run(tls12, request, out, sizeof out), 0);
        assert_null(strstr(out, "HTTP/1.0 200 ok"));
        assert_false(s_client(&s, stacks[i], "-tls1_3", NULL, NULL, NULL));
        assert_int_equal(stop_serve(&s), 0);

        const char *only12[] = {"--max-version", "1.2", NULL};
        assert_true(start_serve(stacks[i], only12, &s));
        snprintf(connect, sizeof connect, "127.0.0.1:%d", s.port);
        char *any[] = {openssl_bin, "s_client", "-ign_eof",    "-connect",         connect,
                       "-CAfile",   ca_file,    "-servername", SD_PKI_SERVER_NAME, NULL};
        assert_int_equal(run(any, request, out, sizeof out), 0);
        want_page("s_client", stacks[i], out);
        assert_non_null(strstr(out, "New, TLSv1.2, Cipher is"));
        assert_int_equal(stop_serve(&s), 0);
    }
}

/* --no-cookie: the model's HelloRetryRequest (forced by a client whose only
 * key share is for X448, which serve --groups x25519 does not accept)
 * carries a cookie by default and none with the flag; the handshake
 * completes either way. */
static void hrr_cookie(void **state) {
    (void)state;
    if (!openssl_bin[0]) {
        fprintf(stderr, "SKIP: openssl not installed (Debian package openssl)\n");
        skip();
    }
    tests_run++;
    for (int no_cookie = 0; no_cookie < 2; no_cookie++) {
        const char *extra[] = {"--groups", "x25519", no_cookie ? "--no-cookie" : NULL, NULL};
        server s;
        assert_true(start_serve("model", extra, &s));
        char connect[32], out[65536];
        snprintf(connect, sizeof connect, "127.0.0.1:%d", s.port);
        char *argv[] = {openssl_bin, "s_client",    "-tls1_3",          "-groups", "X448:X25519",
                        "-trace",    "-ign_eof",    "-connect",         connect,   "-CAfile",
                        ca_file,     "-servername", SD_PKI_SERVER_NAME, NULL};
        assert_int_equal(run(argv, request, out, sizeof out), 0);
        want_page("s_client -groups X448:X25519", "model", out);
        /* A HelloRetryRequest came: s_client sent a second ClientHello. */
        const char *first = strstr(out, "ClientHello, Length=");
        assert_non_null(first);
        assert_non_null(strstr(first + 1, "ClientHello, Length="));
        bool cookie = strstr(out, "extension_type=cookie") != NULL;
        if (cookie == (bool)no_cookie)
            fprintf(stderr, "--no-cookie=%d, s_client -trace:\n%s\n", no_cookie, out);
        assert_int_equal(cookie, !no_cookie);
        assert_int_equal(stop_serve(&s), 0);
    }
}

/* TLS 1.2 DHE_RSA (RFC 5246 §7.4.3): a client that offers only a DHE suite
 * gets it from the model with its default all-RSA credential, in ffdhe2048
 * (OpenSSL 3.0's TLS 1.2 client names no FFDHE group, so the server picks
 * its own, RFC 7919 §4), and a client offering ECDHE first still gets ECDHE. */
static void dhe_suites(void **state) {
    (void)state;
    if (!openssl_bin[0]) {
        fprintf(stderr, "SKIP: openssl not installed (Debian package openssl)\n");
        skip();
    }
    tests_run++;
    const char *extra[] = {NULL};
    server s;
    assert_true(start_serve("model", extra, &s));
    static const char *const ciphers[] = {"DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384",
                                          "DHE-RSA-CHACHA20-POLY1305", "DHE-RSA-AES128-SHA",
                                          "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256"};
    for (size_t i = 0; i < sizeof ciphers / sizeof ciphers[0]; i++) {
        char connect[32], out[32768], want[96];
        snprintf(connect, sizeof connect, "127.0.0.1:%d", s.port);
        char *argv[] = {openssl_bin,
                        "s_client",
                        "-tls1_2",
                        "-cipher",
                        (char *)ciphers[i],
                        "-ign_eof",
                        "-connect",
                        connect,
                        "-CAfile",
                        ca_file,
                        "-servername",
                        SD_PKI_SERVER_NAME,
                        "-verify_return_error",
                        NULL};
        int rc = run(argv, request, out, sizeof out);
        if (rc != 0) fprintf(stderr, "s_client -cipher %s exited %d:\n%s\n", ciphers[i], rc, out);
        assert_int_equal(rc, 0);
        want_page("s_client -cipher", "model", out);
        /* The first suite of the list is the one negotiated. */
        snprintf(want, sizeof want, "Cipher is %.*s", (int)strcspn(ciphers[i], ":"), ciphers[i]);
        if (!strstr(out, want)) fprintf(stderr, "want \"%s\" in:\n%s\n", want, out);
        assert_non_null(strstr(out, want));
        bool dhe = strchr(ciphers[i], ':') == NULL;
        assert_int_equal(strstr(out, "Server Temp Key: DH, 2048 bits") != NULL, dhe);
    }
    assert_int_equal(stop_serve(&s), 0);
}

/* --alpn (RFC 7301 §3.2): the server's most preferred protocol among the
 * client's, whatever the client's order; a client that offers none of them
 * is refused with no_application_protocol; without the flag nothing is
 * negotiated. */
static void alpn_flag(void **state) {
    (void)state;
    if (!openssl_bin[0]) {
        fprintf(stderr, "SKIP: openssl not installed (Debian package openssl)\n");
        skip();
    }
    tests_run++;
    static const char *const stacks[] = {"model", "boringssl"};
    for (size_t i = 0; i < 2; i++) {
        for (int with_flag = 1; with_flag >= 0; with_flag--) {
            const char *extra[] = {with_flag ? "--alpn" : NULL, "h2,http/1.1", NULL};
            server s;
            assert_true(start_serve(stacks[i], extra, &s));
            char connect[32], out[32768];
            snprintf(connect, sizeof connect, "127.0.0.1:%d", s.port);
            char *offer[] = {openssl_bin, "s_client", "-alpn", "http/1.1,h2", "-ign_eof",         "-connect",
                             connect,     "-CAfile",  ca_file, "-servername", SD_PKI_SERVER_NAME, NULL};
            assert_int_equal(run(offer, request, out, sizeof out), 0);
            want_page("s_client -alpn http/1.1,h2", stacks[i], out);
            if (with_flag)
                assert_non_null(strstr(out, "ALPN protocol: h2"));
            else
                assert_non_null(strstr(out, "No ALPN negotiated"));
            if (with_flag) {
                char *other[] = {openssl_bin,        "s_client", "-alpn",   "spdy/1", "-ign_eof",
                                 "-connect",         connect,    "-CAfile", ca_file,  "-servername",
                                 SD_PKI_SERVER_NAME, NULL};
                assert_int_not_equal(run(other, request, out, sizeof out), 0);
                assert_non_null(strstr(out, "no application protocol"));
            }
            assert_int_equal(stop_serve(&s), 0);
        }
    }
}

static int group_setup(void **state) {
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    shakedown_bin = getenv("SHAKEDOWN_BIN");
    snprintf(pki_dir, sizeof pki_dir, "%s", sd_pki_default_dir());
    snprintf(ca_file, sizeof ca_file, "%s/all-rsa-root.pem", pki_dir);
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/test_serve.XXXXXX");
    if (!mkdtemp(tmp_dir)) return -1;
    find_program("openssl", openssl_bin, sizeof openssl_bin);
    find_program("gnutls-cli", gnutls_cli_bin, sizeof gnutls_cli_bin);
    find_program("curl", curl_bin, sizeof curl_bin);
    return shakedown_bin && access(shakedown_bin, X_OK) == 0 && access(ca_file, R_OK) == 0 ? 0 : -1;
}

/* The temporary folder holds files only (logs, sessions). */
static int group_teardown(void **state) {
    (void)state;
    DIR *d = opendir(tmp_dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char path[512];
            snprintf(path, sizeof path, "%s/%s", tmp_dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    return rmdir(tmp_dir) == 0 ? 0 : -1;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(serve_model, kill_serve),
        cmocka_unit_test_teardown(serve_boringssl, kill_serve),
        cmocka_unit_test_teardown(serve_openssl, kill_serve),
        cmocka_unit_test_teardown(request_line, kill_serve),
        cmocka_unit_test_teardown(idle_limit, kill_serve),
        cmocka_unit_test_teardown(connection_limit, kill_serve),
        cmocka_unit_test_teardown(version_flags, kill_serve),
        cmocka_unit_test_teardown(hrr_cookie, kill_serve),
        cmocka_unit_test_teardown(alpn_flag, kill_serve),
        cmocka_unit_test_teardown(dhe_suites, kill_serve),
    };
    int failed = cmocka_run_group_tests(tests, group_setup, group_teardown);
    if (failed == 0 && tests_run == 0) return SKIP_CODE;
    return failed;
}
