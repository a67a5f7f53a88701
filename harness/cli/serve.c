/* serve.c — `shakedown serve`: one stack as a TLS server on a loopback port,
 * so that existing TLS tools (openssl s_client, gnutls-cli, tlsfuzzer, ...)
 * can be pointed at the model or at any other stack this build has.
 *
 * Each connection gets a fresh target in the server role; serve moves bytes
 * between the socket and the target until either side is done. Connections
 * are served one at a time: this is a test fixture, not a web server.
 *
 * What a client gets back after the handshake: each application-data request
 * is answered with one application-data response, a small HTTP/1.0 page, as
 * `openssl s_server -www` sends. Serve cannot write that page
 * itself, the bytes are encrypted with the target's keys, so it hands the
 * page to the target as sd_target_config.app_reply, which every target
 * sends in place of its echo. --echo keeps the echo instead.
 *
 * Like s_server -www, serve then ends the connection: the target sends its
 * close_notify (sd_target_ops.close; closing the socket without one would
 * look like a truncation attack, RFC 8446 §6.1), serve shuts down its
 * sending side, and reads until the client closes (its close_notify goes to
 * the target) or a short linger passes, so that closing never resets a
 * connection whose page the client has not read yet. A stack whose adapter
 * has no close operation (tcp) keeps the connection open until the client
 * closes it or sends close_notify (answered with one), or --idle-ms passes;
 * so does --echo, as s_server without -www. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "crypto/pki.h"
#include "stacks/shim_target.h"
#include "protocol/target.h"
#include "wire/names.h"
#include "stacks/stacks.h"
#include "util/util.h"

static const char serve_cmd[] = "serve";

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void serve_usage(FILE *f) {
    fprintf(f, "usage: shakedown serve --stack NAME --port N [options]\n"
               "\n"
               "Runs one stack as a TLS 1.3 server on a loopback port, one connection at a\n"
               "time, each with a fresh instance of the stack. After the handshake each\n"
               "application-data request is answered with one small HTTP/1.0 page, as\n"
               "'openssl s_server -www' does, then the connection ends with the stack's\n"
               "close_notify. A close_notify is answered with a close_notify. Ctrl-C stops it.\n"
               "\n"
               "options:\n"
               "  --stack NAME        model, boringssl, or any other stack of 'conform --stack'\n"
               "  --port N            TCP port; 0 picks a free one (printed on stdout)\n"
               "  --host ADDR         address to bind (default 127.0.0.1)\n"
               "  --allow-remote      allow a --host that is not loopback\n"
               "  --credential NAME   fixture credential to present (default leaf)\n"
               "  --pki DIR           fixture PKI (default: $SHAKEDOWN_PKI_DIR, else the build's)\n"
               "  --time UNIX         certificate validation time (default 2026-01-01)\n"
               "  --max-connections N exit after N connections (default: run until Ctrl-C)\n"
               "  --idle-ms N         close a connection silent for N ms (default 10000)\n"
               "  --echo              answer each request with its own bytes, not the page,\n"
               "                      and keep the connection open\n"
               "  -h, --help          show this help\n"
               "\n"
               "stdout gets one line, 'listening on HOST:PORT', then serve logs one line per\n"
               "connection on stderr. exit codes: 0 stopped; 2 usage error; 3 cannot listen.\n");
}

static bool send_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

typedef struct {
    const sd_target_ops *stack;
    const sd_pki *pki;
    const sd_credential *cred;
    int64_t now;
    int idle_ms;
    sd_span reply; /* the page; empty with --echo */
} serve_opts;

/* After our close_notify: how long to wait for the client to close, at
 * most. Long enough for its close_notify, short enough not to hold up the
 * next connection. */
#define SERVE_LINGER_MS 1000

/* One connection, start to end; logs one line. */
static void serve_one(const serve_opts *o, int fd, const char *peer, unsigned long n) {
    double t0 = sd_now_ms();
    sd_target_config cfg = {
        .role = SD_ROLE_SERVER,
        .min_version = SD_TLS13,
        .max_version = SD_TLS13,
        .credential = o->cred,
        .pki = o->pki,
        .server_name = SD_PKI_SERVER_NAME,
        .now = o->now,
        .seed = (uint64_t)n + 1,
        .app_reply = o->reply,
    };
    sd_target_error err = {0};
    sd_target *t = o->stack->create(&cfg, &err);
    if (!t) {
        fprintf(stderr, "[%lu] %s: cannot create %s: %s%s\n", n, peer, o->stack->name,
                err.unsupported ? "unsupported: " : "", err.text);
        return;
    }
    t->ops->start(t);
    size_t bytes_in = 0, bytes_out = 0;
    const char *end = "closed by the client";
    sd_buf out;
    sd_buf_init(&out);
    sd_target_status st;
    bool fed = false;     /* the client's bytes went to the target since the last drain */
    bool closing = false; /* our close_notify is out: only waiting for the client to close */
    for (;;) {
        t->ops->drain(t, &out);
        /* Output in answer to the client's bytes once the handshake is
         * done is the page (the stacks send no tickets: no session
         * resumption in serve). */
        bool answered = fed && out.len > 0;
        fed = false;
        if (out.len) {
            if (!send_all(fd, out.data, out.len)) {
                end = "client went away";
                break;
            }
            bytes_out += out.len;
            sd_buf_reset(&out);
        }
        t->ops->status(t, &st);
        if (st.crashed || st.hung) {
            end = st.crashed ? "the stack crashed" : "the stack hung";
            break;
        }
        /* The stack refused, or answered the client's close_notify. */
        if (st.failed || (st.close_notify_sent && !closing)) {
            end = st.failed ? "the stack ended it" : "closed with close_notify";
            break;
        }
        if (answered && st.handshake_done && !closing && o->reply.len && t->ops->close) {
            /* The page is out: end the connection as s_server -www does.
             * Shutting down our side sends FIN after the close_notify. */
            t->ops->close(t);
            closing = true;
            end = "closed with close_notify after the page";
            t->ops->drain(t, &out);
            if (out.len && !send_all(fd, out.data, out.len)) {
                end = "client went away";
                break;
            }
            bytes_out += out.len;
            sd_buf_reset(&out);
            shutdown(fd, SHUT_WR);
        }
        if (stop_requested) {
            end = "stopped";
            break;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, closing && o->idle_ms > SERVE_LINGER_MS ? SERVE_LINGER_MS : o->idle_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) {
            if (!closing) end = "idle timeout";
            break;
        }
        uint8_t buf[16384];
        ssize_t got = recv(fd, buf, sizeof buf, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        bytes_in += (size_t)got;
        t->ops->feed(t, sd_span_of(buf, (size_t)got));
        fed = true;
    }
    t->ops->status(t, &st);
    char params[160] = "no handshake";
    if (st.handshake_done) {
        const char *suite = sd_cipher_suite_name(st.cipher_suite);
        snprintf(params, sizeof params, "handshake done, %s", suite ? suite : "?");
    }
    fprintf(stderr, "[%lu] %s: %s; %s; %zu bytes in, %zu out, %.1f ms%s%s\n", n, peer, params, end, bytes_in,
            bytes_out, sd_now_ms() - t0, st.error[0] ? "; " : "", st.error);
    sd_buf_free(&out);
    t->ops->destroy(t);
}

int sd_cmd_serve(int argc, char **argv) {
    enum {
        OPT_STACK = 256,
        OPT_PORT,
        OPT_HOST,
        OPT_ALLOW_REMOTE,
        OPT_CRED,
        OPT_PKI,
        OPT_TIME,
        OPT_MAX,
        OPT_IDLE,
        OPT_ECHO
    };
    static const struct option longopts[] = {
        {"stack", required_argument, NULL, OPT_STACK},
        {"port", required_argument, NULL, OPT_PORT},
        {"host", required_argument, NULL, OPT_HOST},
        {"allow-remote", no_argument, NULL, OPT_ALLOW_REMOTE},
        {"credential", required_argument, NULL, OPT_CRED},
        {"pki", required_argument, NULL, OPT_PKI},
        {"time", required_argument, NULL, OPT_TIME},
        {"max-connections", required_argument, NULL, OPT_MAX},
        {"idle-ms", required_argument, NULL, OPT_IDLE},
        {"echo", no_argument, NULL, OPT_ECHO},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *stack_name = NULL, *host = "127.0.0.1", *cred_name = "leaf", *pki_dir = NULL;
    bool allow_remote = false, echo = false;
    int64_t port = -1, now = SD_PKI_DEFAULT_TIME;
    uint64_t max_conn = 0, idle = 10000;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_STACK:
            stack_name = optarg;
            break;
        case OPT_PORT:
            if (!sd_cli_parse_i64(optarg, &port) || port < 0 || port > 65535)
                return sd_cli_usage_error(serve_cmd, "--port wants 0..65535, not '%s'", optarg);
            break;
        case OPT_HOST:
            host = optarg;
            break;
        case OPT_ALLOW_REMOTE:
            allow_remote = true;
            break;
        case OPT_CRED:
            cred_name = optarg;
            break;
        case OPT_PKI:
            pki_dir = optarg;
            break;
        case OPT_TIME:
            if (!sd_cli_parse_i64(optarg, &now))
                return sd_cli_usage_error(serve_cmd, "--time wants seconds since the epoch, not '%s'",
                                          optarg);
            break;
        case OPT_MAX:
            if (!sd_cli_parse_u64(optarg, &max_conn) || max_conn == 0)
                return sd_cli_usage_error(serve_cmd, "--max-connections wants a positive number, not '%s'",
                                          optarg);
            break;
        case OPT_IDLE:
            if (!sd_cli_parse_u64(optarg, &idle) || idle == 0 || idle > 3600000)
                return sd_cli_usage_error(serve_cmd, "--idle-ms wants 1..3600000, not '%s'", optarg);
            break;
        case OPT_ECHO:
            echo = true;
            break;
        case 'h':
            serve_usage(stdout);
            return SD_EXIT_OK;
        default:
            return sd_cli_bad_option(serve_cmd, c, argv);
        }
    }
    if (optind < argc) return sd_cli_usage_error(serve_cmd, "unexpected argument '%s'", argv[optind]);
    if (!stack_name) return sd_cli_usage_error(serve_cmd, "--stack is required (model, boringssl, ...)");
    if (port < 0) return sd_cli_usage_error(serve_cmd, "--port is required (0 picks a free one)");
    const sd_target_ops *stack = sd_target_find(stack_name);
    if (!stack) return sd_cli_usage_error(serve_cmd, "unknown or unavailable stack '%s'", stack_name);

    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return sd_cli_usage_error(serve_cmd, "--host wants an IPv4 address, not '%s'", host);
    if ((ntohl(sa.sin_addr.s_addr) >> 24) != 127 && !allow_remote)
        return sd_cli_usage_error(serve_cmd, "--host %s is not loopback; add --allow-remote to mean it",
                                  host);

    sd_pki *pki = calloc(1, sizeof *pki);
    char err[1024] = "";
    if (!pki) return SD_EXIT_HARNESS;
    const char *dir = pki_dir ? pki_dir : sd_pki_default_dir();
    if (!sd_pki_load(pki, dir, err, sizeof err)) {
        fprintf(stderr, "shakedown serve: cannot load the fixture PKI from %s: %s\n", dir, err);
        free(pki);
        return SD_EXIT_USAGE;
    }
    const sd_credential *cred = sd_pki_find(pki, cred_name);
    if (!cred) {
        sd_pki_free(pki);
        free(pki);
        return sd_cli_usage_error(serve_cmd, "no credential '%s' in %s", cred_name, dir);
    }

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 16) != 0) {
        fprintf(stderr, "shakedown serve: cannot listen on %s:%lld: %s\n", host, (long long)port,
                strerror(errno));
        if (lfd >= 0) close(lfd);
        sd_pki_free(pki);
        free(pki);
        return SD_EXIT_HARNESS;
    }
    socklen_t sl = sizeof sa;
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    printf("listening on %s:%u\n", host, ntohs(sa.sin_port));
    fflush(stdout);
    fprintf(stderr, "shakedown serve: %s (%s) with credential %s, answering with %s; Ctrl-C stops\n",
            stack->name, stack->version ? stack->version() : "", cred_name,
            echo           ? "the echo"
            : stack->close ? "a page, then close_notify"
                           : "a page (this stack cannot send close_notify first: connections stay open)");

    /* No SA_RESTART: a signal must wake poll() so that Ctrl-C stops at once. */
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = on_stop;
    sigemptyset(&act.sa_mask);
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGTERM, &act, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* The page of `openssl s_server -www`'s kind: a status line, a header,
     * one line naming the stack. */
    char page[256];
    int page_len =
        snprintf(page, sizeof page,
                 "HTTP/1.0 200 ok\r\nContent-Type: text/plain\r\n\r\nshakedown serve: %s\n", stack->name);
    serve_opts so = {.stack = stack, .pki = pki, .cred = cred, .now = now, .idle_ms = (int)idle};
    if (!echo) so.reply = sd_span_of((const uint8_t *)page, (size_t)page_len);
    unsigned long n = 0;
    while (!stop_requested && (max_conn == 0 || n < max_conn)) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        int r = poll(&p, 1, 500);
        if (r <= 0) continue;
        struct sockaddr_in peer;
        socklen_t pl = sizeof peer;
        int fd = accept(lfd, (struct sockaddr *)&peer, &pl);
        if (fd < 0) continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        char name[64];
        char ip[INET_ADDRSTRLEN] = "?";
        inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
        snprintf(name, sizeof name, "%s:%u", ip, ntohs(peer.sin_port));
        serve_one(&so, fd, name, ++n);
        close(fd);
    }
    fprintf(stderr, "shakedown serve: %lu connection%s served\n", n, n == 1 ? "" : "s");
    close(lfd);
    sd_pki_free(pki);
    free(pki);
    return SD_EXIT_OK;
}
