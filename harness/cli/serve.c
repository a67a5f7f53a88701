/* serve.c — `shakedown serve`: one stack as a TLS server on a loopback port,
 * so that existing TLS tools (openssl s_client, gnutls-cli, curl, tlsfuzzer,
 * scanners) can be pointed at the model or at any other stack this build
 * has, the way they are pointed at `openssl s_server -www`.
 *
 * Each connection gets a fresh target in the server role. The targets are
 * sans-IO (feed bytes, drain bytes), so one thread runs every connection
 * from one poll() loop over non-blocking sockets: a connection that stalls
 * (a client that never sends, or never reads) holds nothing but its own
 * socket, and the per-connection idle limit ends it without touching the
 * others. The one exception is a shim stack, whose adapter waits for its
 * shim process on each exchange up to the shim time limit (2 s by default,
 * docs/shim-contract.md); that bounds the delay. One thread also keeps
 * the session cache that the connections share (TLS 1.2 session ids, RFC
 * 5246 §7.4.1.2) single-threaded, and the ticket key is one per process
 * (sd_target_config.ticket_seed), so a ticket issued on one connection
 * resumes on the next (RFC 8446 §4.6.1, RFC 5077).
 *
 * What a client gets back after the handshake, as from s_server -www: once
 * a request line has arrived (application data holding a newline), one
 * small HTTP/1.0 page; before that, nothing, however long it waits. Serve
 * cannot write the page itself, the bytes are encrypted with the target's
 * keys, so it hands it to the target as sd_target_config.app_reply, which
 * every target sends when a read holds a newline, and counts in
 * sd_target_status.app_replies, which is how serve knows the page is out.
 * --echo keeps the echo of every read instead.
 *
 * Like s_server -www, serve then ends the connection: the target sends its
 * close_notify (sd_target_ops.close; closing the socket without one would
 * look like a truncation attack, RFC 8446 §6.1), serve shuts down its
 * sending side once everything is written, and reads until the client
 * closes or a short linger passes, so that closing never resets a
 * connection whose page the client has not read yet. A stack whose adapter
 * has no close operation (tcp) keeps the connection open until the client
 * closes it or sends close_notify (answered with one), or the idle limit
 * passes; so does --echo, as s_server without -www. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cli/cli.h"
#include "crypto/crypto.h"
#include "crypto/pki.h"
#include "crypto/tls12.h"
#include "protocol/messages.h"
#include "protocol/session_cache.h"
#include "protocol/target.h"
#include "wire/handshake.h"
#include "wire/names.h"
#include "stacks/stacks.h"
#include "util/util.h"

static const char serve_cmd[] = "serve";

/* The default credential: an all-RSA chain (corpus/pki/make_pki.c), which
 * nearly every client accepts, including one whose signature_algorithms_cert
 * offers RSA only. Its trust anchor is SERVE_DEFAULT_CA, not root.pem. */
#define SERVE_DEFAULT_CREDENTIAL "leaf-all-rsa"
#define SERVE_DEFAULT_CA "all-rsa-root.pem"
#define SERVE_DEFAULT_IDLE_MS 10000
#define SERVE_DEFAULT_MAX_CLIENTS 64
/* After our close_notify (or a fatal alert): how long to wait for the client
 * to close, at most. Long enough for its close_notify; the connection's
 * socket is all it holds meanwhile. */
#define SERVE_LINGER_MS 1000
/* A client that sends without reading (with --echo) stops being read once
 * this much of our output waits for it: memory stays bounded. */
#define SERVE_MAX_PENDING (1u << 20)

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

/* "x25519,secp521r1": names from SD_GROUPS or 0x numbers, each once. */
static bool parse_groups(const char *text, uint16_t *out, size_t max, size_t *n) {
    char copy[256];
    if (strlen(text) >= sizeof copy) return false;
    snprintf(copy, sizeof copy, "%s", text);
    *n = 0;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        uint16_t group;
        if (!sd_group_from_name(item, &group)) {
            char *end;
            if (strncmp(item, "0x", 2) != 0 || !isxdigit((unsigned char)item[2])) return false;
            errno = 0;
            unsigned long number = strtoul(item + 2, &end, 16);
            if (errno || *end || number > 0xffff) return false;
            group = (uint16_t)number;
        }
        for (size_t i = 0; i < *n; i++)
            if (out[i] == group) return false;
        if (*n == max) return false;
        out[(*n)++] = group;
    }
    return *n > 0;
}

static void serve_usage(FILE *f) {
    fprintf(f,
            "usage: shakedown serve --stack NAME --port N [options]\n"
            "\n"
            "Runs one stack as a TLS server, a test server in the way of 'openssl s_server\n"
            "-www'. Every connection gets a fresh instance of the stack, and all of them run\n"
            "at once from one event loop: a connection that stalls never delays another.\n"
            "After the handshake, once a request line has arrived (application data holding\n"
            "a newline), the client gets one small HTTP/1.0 page and the connection ends\n"
            "with the stack's close_notify; a connection without a request line is held\n"
            "until the client closes it or --idle-ms passes. A close_notify is answered with\n"
            "a close_notify. Session tickets (TLS 1.2 and 1.3) and TLS 1.2 session ids are\n"
            "issued and resumed across the connections of one serve process, where the stack\n"
            "can (the model, boringssl; the shim stacks run every connection from scratch).\n"
            "\n"
            "options:\n"
            "  --stack NAME          model, boringssl, or any other stack of 'conform --stack';\n"
            "                        the model accepts every group it implements (X25519,\n"
            "                        P-256, P-384, P-521, X448, ffdhe2048..8192) and, after\n"
            "                        its default suites, the TLS 1.2 DHE_RSA ones; the others\n"
            "                        their defaults\n"
            "  --port N              TCP port; 0 picks a free one (printed on stdout)\n"
            "  --host ADDR           IPv4 address to bind (default 127.0.0.1)\n"
            "  --allow-remote        allow a --host that is not loopback\n"
            "  --min-version V       lowest TLS version accepted: 1.2 or 1.3 (default 1.2)\n"
            "  --max-version V       highest TLS version accepted: 1.2 or 1.3 (default 1.3)\n"
            "  --credential NAME     fixture credential to present (default " SERVE_DEFAULT_CREDENTIAL
            ": an\n"
            "                        all-RSA chain for server.shakedown.test; clients trust it\n"
            "                        with the CA file " SERVE_DEFAULT_CA " of the PKI folder, e.g.\n"
            "                        openssl s_client -CAfile PKI/" SERVE_DEFAULT_CA " -servername\n"
            "                        server.shakedown.test). 'leaf' (ECDSA P-256) and the other\n"
            "                        credentials of the scenarios chain to PKI/root.pem; serve\n"
            "                        names the CA file of the one it presents on stderr\n"
            "  --pki DIR             fixture PKI (default: $SHAKEDOWN_PKI_DIR, else the build's\n"
            "                        folder, build/<preset>/pki)\n"
            "  --time UNIX           certificate validation time (default 2026-01-01)\n"
            "  --no-cookie           send TLS 1.3 HelloRetryRequest without a cookie (RFC 8446\n"
            "                        §4.2.2 allows either; the model sends one by default;\n"
            "                        boringssl never does; shims send what their library does)\n"
            "  --no-resumption       issue no session tickets and cache no TLS 1.2 sessions\n"
            "  --groups LIST         the groups to accept, in order of preference: comma-separated\n"
            "                        names (x25519, secp256r1, secp384r1, secp521r1, x448,\n"
            "                        ffdhe2048, ffdhe3072, ffdhe4096, ffdhe6144, ffdhe8192) or\n"
            "                        0x numbers (default: the model every group it implements,\n"
            "                        the other stacks their own defaults)\n"
            "  --alpn LIST           ALPN (RFC 7301): the application protocols to select from,\n"
            "                        in order of preference, comma-separated (h2,http/1.1); a\n"
            "                        client gets the first of these that it offers, and one that\n"
            "                        offers none of them gets a fatal no_application_protocol\n"
            "                        alert (RFC 7301 §3.2). Without it serve takes no part in\n"
            "                        ALPN and ignores the extension, as openssl s_server and\n"
            "                        gnutls-serv do without theirs. Only negotiated: the page\n"
            "                        is HTTP/1.0 whatever was selected. The model and boringssl\n"
            "                        (the shim stacks cannot be set up with it: exit 2)\n"
            "  --no-encrypt-then-mac the model does not negotiate encrypt-then-MAC (RFC 7366) for\n"
            "                        its TLS 1.2 CBC suites; by default it echoes a client's\n"
            "                        encrypt_then_mac, as openssl s_server does (the other\n"
            "                        stacks keep their own behaviour)\n"
            "  --idle-ms N           close a connection from which nothing has arrived for N ms\n"
            "                        (default %d); the others are not affected\n"
            "  --max-clients N       at most N connections open at once (default %d); one more\n"
            "                        is accepted and closed at once, with a line on stderr\n"
            "  --max-connections N   exit after N connections (default: run until stopped)\n"
            "  --echo                answer each read with its own bytes, not the page, and keep\n"
            "                        the connection open\n"
            "  -h, --help            show this help\n"
            "\n"
            "stdout gets one line, 'listening on HOST:PORT'; stderr one line per connection:\n"
            "peer, version and cipher suite, whether it resumed, how it ended and why, bytes\n"
            "and time. SIGINT (Ctrl-C) or SIGTERM stops it cleanly: no more connections are\n"
            "accepted, open ones get the stack's close_notify where the handshake is done and\n"
            "are closed, and serve exits 0.\n"
            "exit codes: 0 stopped; 2 usage error (or the stack cannot be configured as asked);\n"
            "3 cannot listen.\n",
            SERVE_DEFAULT_IDLE_MS, SERVE_DEFAULT_MAX_CLIENTS);
}

/* --- Configuration ---------------------------------------------------------------- */

typedef struct {
    const sd_target_ops *stack;
    sd_target_config base; /* every connection's config, but for its seed */
    uint64_t seed;         /* connection n gets seed + n: fresh randoms and key shares each */
    int idle_ms;
    bool echo;
} serve_opts;

static bool parse_version(const char *s, uint16_t *out) {
    if (strcmp(s, "1.2") == 0)
        *out = SD_TLS12;
    else if (strcmp(s, "1.3") == 0)
        *out = SD_TLS13;
    else
        return false;
    return true;
}

static const char *version_name(uint16_t v) {
    return v == SD_TLS13 ? "TLS 1.3" : v == SD_TLS12 ? "TLS 1.2" : v ? "TLS ?" : "no version";
}

/* A seed no one can guess, so that the model's randoms and key shares
 * differ per run and per connection (the model is deterministic given its
 * seed). */
static uint64_t fresh_seed(void) {
    uint64_t s = 0;
    if (getrandom(&s, sizeof s, 0) != (ssize_t)sizeof s)
        s = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    return s ? s : 1;
}

/* The file of the PKI folder holding the self-signed root that issued the
 * last certificate of cred's chain, for the banner: the -CAfile a client
 * needs. "" if none of the known roots did. */
static void find_ca_file(const char *dir, const sd_credential *cred, char *out, size_t out_len) {
    static const char *const roots[] = {"root.pem", SERVE_DEFAULT_CA, "untrusted-root.pem"};
    out[0] = '\0';
    if (cred->chain_len == 0) return;
    const uint8_t *der = cred->chain_der[cred->chain_len - 1];
    X509 *last = d2i_X509(NULL, &der, (long)cred->chain_der_len[cred->chain_len - 1]);
    for (size_t i = 0; last && i < sizeof roots / sizeof roots[0] && !out[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, roots[i]);
        FILE *f = fopen(path, "r");
        X509 *root = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
        if (f) fclose(f);
        if (root && (X509_cmp(root, last) == 0 || X509_check_issued(root, last) == X509_V_OK))
            snprintf(out, out_len, "%s", path);
        X509_free(root);
    }
    X509_free(last);
}

/* --- One connection -------------------------------------------------------------- */

typedef struct {
    int fd;
    sd_target *t;
    unsigned long n;
    char peer[64];
    double t0, last_rx, linger_until;
    sd_buf pend; /* our output the socket has not taken yet: pend.data[pend_off..) */
    size_t pend_off;
    size_t bytes_in, bytes_out;
    /* Why the connection ends; NULL while it is open. Once set: write what
     * is pending, shut down our side, wait for the client's end or the
     * linger, close. */
    const char *end;
    bool shut;   /* SHUT_WR done */
    bool rx_eof; /* the client closed its side */
    bool dead;   /* the socket failed: close at once */
} conn;

static void conn_log(const conn *c) {
    sd_target_status st;
    memset(&st, 0, sizeof st);
    if (c->t) c->t->ops->status(c->t, &st);
    char params[200] = "no handshake";
    if (st.handshake_done) {
        const char *suite = sd_cipher_suite_name(st.cipher_suite);
        snprintf(params, sizeof params, "handshake done, %s, %s%s", version_name(st.version),
                 suite ? suite : "?", st.resumed ? ", resumed" : "");
    }
    fprintf(stderr, "[%lu] %s: %s; %s; %zu bytes in, %zu out, %.1f ms%s%s\n", c->n, c->peer, params,
            c->end ? c->end : "closed", c->bytes_in, c->bytes_out, sd_now_ms() - c->t0,
            st.error[0] ? "; " : "", st.error);
}

static void conn_free(conn *c) {
    if (c->t) c->t->ops->destroy(c->t);
    if (c->fd >= 0) close(c->fd);
    sd_buf_free(&c->pend);
    free(c);
}

/* Writes as much pending output as the socket takes now, never blocking. */
static void conn_flush(conn *c) {
    while (!c->dead && c->pend_off < c->pend.len) {
        ssize_t w = send(c->fd, c->pend.data + c->pend_off, c->pend.len - c->pend_off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (w <= 0) {
            c->dead = true;
            if (!c->end) c->end = "client went away";
            return;
        }
        c->pend_off += (size_t)w;
        c->bytes_out += (size_t)w;
    }
    sd_buf_reset(&c->pend);
    c->pend_off = 0;
}

static void conn_drain(conn *c) {
    if (c->pend_off > 0 && c->pend_off == c->pend.len) {
        sd_buf_reset(&c->pend);
        c->pend_off = 0;
    }
    c->t->ops->drain(c->t, &c->pend);
}

static void conn_finish(conn *c, const char *why) {
    if (c->end) return;
    c->end = why;
    c->linger_until = sd_now_ms() + SERVE_LINGER_MS;
}

/* Ends an open connection from our side: the stack's close_notify first
 * when the handshake is done (RFC 8446 §6.1), so that the client sees an
 * orderly end rather than a truncation. */
static void conn_close_notify(conn *c, const char *why) {
    sd_target_status st;
    c->t->ops->status(c->t, &st);
    if (c->t->ops->close && st.handshake_done && !st.failed && !st.close_notify_sent && !st.crashed &&
        !st.hung) {
        c->t->ops->close(c->t);
        conn_drain(c);
    }
    conn_finish(c, why);
}

/* After the stack has run: what it wants sent is queued, and its status
 * decides whether the connection goes on. */
static void conn_after_run(const serve_opts *o, conn *c, unsigned replies_before) {
    conn_drain(c);
    sd_target_status st;
    c->t->ops->status(c->t, &st);
    if (st.crashed || st.hung)
        conn_finish(c, st.crashed ? "the stack crashed" : "the stack hung");
    else if (st.failed)
        conn_finish(c, "the stack ended it");
    else if (st.close_notify_sent)
        conn_finish(c, "closed with close_notify");
    else if (!o->echo && st.app_replies > replies_before && c->t->ops->close)
        /* The page is out: end the connection as s_server -www does. */
        conn_close_notify(c, "closed with close_notify after the page");
}

static conn *conn_open(const serve_opts *o, int fd, const char *peer, unsigned long n) {
    conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return NULL;
    }
    c->fd = fd;
    c->n = n;
    c->t0 = c->last_rx = sd_now_ms();
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    sd_buf_init(&c->pend);
    sd_target_config cfg = o->base;
    cfg.seed = o->seed + n;
    sd_target_error err = {0};
    c->t = o->stack->create(&cfg, &err);
    if (!c->t) {
        fprintf(stderr, "[%lu] %s: cannot create %s: %s%s\n", n, peer, o->stack->name,
                err.unsupported ? "unsupported: " : "", err.text);
        conn_free(c);
        return NULL;
    }
    c->t->ops->start(c->t);
    conn_drain(c);
    return c;
}

/* The socket is readable (or has an error or hung up). */
static void conn_read(const serve_opts *o, conn *c) {
    uint8_t buf[16384];
    ssize_t got = recv(c->fd, buf, sizeof buf, 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (got < 0) {
        c->dead = true;
        conn_finish(c, "client went away");
        return;
    }
    if (got == 0) {
        c->rx_eof = true;
        conn_finish(c, "closed by the client");
        return;
    }
    c->bytes_in += (size_t)got;
    c->last_rx = sd_now_ms();
    /* Once ending, what the client sends (its close_notify) only keeps the
     * socket from being reset; the stack has said its last word. */
    if (c->end) return;
    sd_target_status st;
    c->t->ops->status(c->t, &st);
    c->t->ops->feed(c->t, sd_span_of(buf, (size_t)got));
    conn_after_run(o, c, st.app_replies);
}

/* Moves an ending connection on; true when it is over and can be freed. */
static bool conn_step_end(conn *c, double now) {
    if (!c->end) return false;
    if (c->dead) return true;
    conn_flush(c);
    if (c->dead) return true;
    if (c->pend_off < c->pend.len) return now >= c->linger_until; /* the client does not read */
    if (c->rx_eof) return true;
    if (!c->shut) {
        shutdown(c->fd, SHUT_WR);
        c->shut = true;
    }
    return now >= c->linger_until;
}

/* --- The loop ---------------------------------------------------------------------- */

static int set_nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

typedef struct {
    conn **c;
    size_t n, cap;
    unsigned long accepted; /* connections served so far (numbers them) */
} conn_set;

/* Accepts every connection waiting on lfd. */
static void accept_all(const serve_opts *o, int lfd, conn_set *cs, size_t max_clients, uint64_t max_conn) {
    for (;;) {
        if (max_conn && cs->accepted >= max_conn) return;
        struct sockaddr_in peer;
        socklen_t pl = sizeof peer;
        int fd = accept(lfd, (struct sockaddr *)&peer, &pl);
        if (fd < 0) return; /* EAGAIN, or an error for a client that left: nothing to do */
        char name[64], ip[INET_ADDRSTRLEN] = "?";
        inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
        snprintf(name, sizeof name, "%s:%u", ip, ntohs(peer.sin_port));
        if (cs->n >= max_clients) {
            /* Refused cleanly: the client sees the connection closed
             * before any byte, and the others go on. */
            fprintf(stderr, "[-] %s: refused: %zu connections open (--max-clients)\n", name, cs->n);
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (set_nonblocking(fd) != 0) {
            close(fd);
            continue;
        }
        conn *c = conn_open(o, fd, name, ++cs->accepted);
        if (!c) continue;
        if (cs->n == cs->cap) {
            size_t cap = cs->cap ? 2 * cs->cap : 16;
            conn **p = realloc(cs->c, cap * sizeof *p);
            if (!p) {
                c->end = "out of memory";
                conn_log(c);
                conn_free(c);
                continue;
            }
            cs->c = p;
            cs->cap = cap;
        }
        cs->c[cs->n++] = c;
        conn_flush(c);
    }
}

/* Runs until stopped, or until max_conn connections were accepted and
 * have ended; returns how many were accepted. */
static unsigned long serve_loop(const serve_opts *o, int lfd, size_t max_clients, uint64_t max_conn) {
    conn_set cs = {0};
    struct pollfd *pfd = NULL;
    size_t pfd_cap = 0;
    for (;;) {
        bool accepting = lfd >= 0 && !(max_conn && cs.accepted >= max_conn);
        if (stop_requested || (!accepting && cs.n == 0)) break;
        if (pfd_cap < cs.n + 1) {
            struct pollfd *p = realloc(pfd, (cs.n + 16) * sizeof *p);
            if (!p) break;
            pfd = p;
            pfd_cap = cs.n + 16;
        }
        double now = sd_now_ms();
        int timeout = 500; /* also the longest wait before a signal is seen */
        for (size_t i = 0; i < cs.n; i++) {
            conn *c = cs.c[i];
            short ev = 0;
            if (!c->rx_eof && (c->end || c->pend.len - c->pend_off < SERVE_MAX_PENDING)) ev |= POLLIN;
            if (c->pend_off < c->pend.len) ev |= POLLOUT;
            pfd[i] = (struct pollfd){.fd = c->fd, .events = ev};
            double due = c->end ? c->linger_until : c->last_rx + o->idle_ms;
            int left = due <= now ? 0 : (int)(due - now) + 1;
            if (left < timeout) timeout = left;
        }
        pfd[cs.n] = (struct pollfd){.fd = accepting ? lfd : -1, .events = POLLIN};
        int r = poll(pfd, cs.n + 1, timeout);
        if (r < 0 && errno != EINTR) break;
        if (r < 0) continue;
        size_t n_before = cs.n;
        for (size_t i = 0; i < n_before; i++) {
            conn *c = cs.c[i];
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) conn_read(o, c);
            if (pfd[i].revents & POLLOUT) conn_flush(c);
        }
        if (accepting && (pfd[cs.n].revents & POLLIN)) accept_all(o, lfd, &cs, max_clients, max_conn);
        now = sd_now_ms();
        for (size_t i = 0; i < cs.n;) {
            conn *c = cs.c[i];
            if (!c->end && now - c->last_rx >= o->idle_ms) conn_close_notify(c, "idle timeout");
            if (conn_step_end(c, now)) {
                conn_log(c);
                conn_free(c);
                cs.c[i] = cs.c[--cs.n];
                continue;
            }
            i++;
        }
    }
    /* Stopped (or done): each open connection gets the stack's close_notify
     * where the handshake is done, with whatever else is pending, as far as
     * its socket takes it now; then it is closed. */
    for (size_t i = 0; i < cs.n; i++) {
        conn *c = cs.c[i];
        if (!c->end) conn_close_notify(c, "stopped");
        conn_flush(c);
        conn_log(c);
        conn_free(c);
    }
    free(cs.c);
    free(pfd);
    return cs.accepted;
}

/* --- The command ------------------------------------------------------------------- */

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
        OPT_MAX_CLIENTS,
        OPT_IDLE,
        OPT_ECHO,
        OPT_MIN_VERSION,
        OPT_MAX_VERSION,
        OPT_NO_COOKIE,
        OPT_NO_RESUMPTION,
        OPT_GROUPS,
        OPT_ALPN,
        OPT_NO_ETM,
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
        {"max-clients", required_argument, NULL, OPT_MAX_CLIENTS},
        {"idle-ms", required_argument, NULL, OPT_IDLE},
        {"echo", no_argument, NULL, OPT_ECHO},
        {"min-version", required_argument, NULL, OPT_MIN_VERSION},
        {"max-version", required_argument, NULL, OPT_MAX_VERSION},
        {"no-cookie", no_argument, NULL, OPT_NO_COOKIE},
        {"no-resumption", no_argument, NULL, OPT_NO_RESUMPTION},
        {"groups", required_argument, NULL, OPT_GROUPS},
        {"alpn", required_argument, NULL, OPT_ALPN},
        {"no-encrypt-then-mac", no_argument, NULL, OPT_NO_ETM},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *stack_name = NULL, *host = "127.0.0.1", *cred_name = SERVE_DEFAULT_CREDENTIAL,
               *pki_dir = NULL;
    bool allow_remote = false, echo = false, no_cookie = false, no_resumption = false, no_etm = false;
    int64_t port = -1, now = SD_PKI_DEFAULT_TIME;
    uint64_t max_conn = 0, idle = SERVE_DEFAULT_IDLE_MS, max_clients = SERVE_DEFAULT_MAX_CLIENTS;
    uint16_t min_version = SD_TLS12, max_version = SD_TLS13;
    uint16_t groups[16];
    size_t n_groups = 0;
    uint8_t alpn[1024];
    size_t alpn_len = 0;
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
        case OPT_MAX_CLIENTS:
            if (!sd_cli_parse_u64(optarg, &max_clients) || max_clients == 0 || max_clients > 4096)
                return sd_cli_usage_error(serve_cmd, "--max-clients wants 1..4096, not '%s'", optarg);
            break;
        case OPT_IDLE:
            if (!sd_cli_parse_u64(optarg, &idle) || idle == 0 || idle > 3600000)
                return sd_cli_usage_error(serve_cmd, "--idle-ms wants 1..3600000, not '%s'", optarg);
            break;
        case OPT_ECHO:
            echo = true;
            break;
        case OPT_MIN_VERSION:
        case OPT_MAX_VERSION:
            if (!parse_version(optarg, c == OPT_MIN_VERSION ? &min_version : &max_version))
                return sd_cli_usage_error(serve_cmd, "--%s-version wants 1.2 or 1.3, not '%s'",
                                          c == OPT_MIN_VERSION ? "min" : "max", optarg);
            break;
        case OPT_NO_COOKIE:
            no_cookie = true;
            break;
        case OPT_GROUPS:
            if (!parse_groups(optarg, groups, sizeof groups / sizeof groups[0], &n_groups))
                return sd_cli_usage_error(serve_cmd,
                                          "--groups wants comma-separated group names (x25519, secp256r1, "
                                          "secp384r1, secp521r1, x448, ...), each once, at most 16, not '%s'",
                                          optarg);
            break;
        case OPT_ALPN: {
            char why[160];
            if (!sd_alpn_from_text(optarg, alpn, sizeof alpn, &alpn_len, why, sizeof why))
                return sd_cli_usage_error(
                    serve_cmd, "--alpn wants comma-separated protocol names: %s, in '%s'", why, optarg);
            break;
        }
        case OPT_NO_RESUMPTION:
            no_resumption = true;
            break;
        case OPT_NO_ETM:
            no_etm = true;
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
    if (min_version > max_version)
        return sd_cli_usage_error(serve_cmd, "--min-version is above --max-version");
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
    int rc = SD_EXIT_OK;
    int lfd = -1;
    sd_session_cache *cache = NULL;
    const sd_credential *cred = sd_pki_find(pki, cred_name);
    if (!cred) {
        rc = sd_cli_usage_error(serve_cmd, "no credential '%s' in %s", cred_name, dir);
        goto out;
    }

    /* The page of `openssl s_server -www`'s kind: a status line, a header,
     * one line naming the stack. */
    char page[256];
    int page_len =
        snprintf(page, sizeof page,
                 "HTTP/1.0 200 ok\r\nContent-Type: text/plain\r\n\r\nshakedown serve: %s\n", stack->name);
    serve_opts so = {.stack = stack, .seed = fresh_seed(), .idle_ms = (int)idle, .echo = echo};
    so.base = (sd_target_config){
        .role = SD_ROLE_SERVER,
        .min_version = min_version,
        .max_version = max_version,
        .credential = cred,
        .pki = pki,
        .server_name = SD_PKI_SERVER_NAME,
        .now = now,
        .hrr_no_cookie = no_cookie,
    };
    /* --groups, else for the model every group it implements
     * (crypto/key_share.c), so that a client offering only P-521, X448 or
     * an FFDHE group gets it. The model's own default list, the one BoringSSL has (X25519,
     * P-256, P-384), is what the scenarios and the differential runs
     * compare with BoringSSL. */
    if (n_groups) {
        so.base.groups = groups;
        so.base.n_groups = n_groups;
    } else if (stack == &sd_target_model) {
        so.base.groups = sd_key_share_groups;
        so.base.n_groups = sd_n_key_share_groups;
    }
    /* The model's default suites, and after them the TLS 1.2 DHE_RSA ones
     * (RFC 5246 §7.4.3, RFC 7919), which the default leaves out because
     * BoringSSL has none: a client that offers only those (a DHE test
     * suite) gets one. The model picks the client's first suite it takes,
     * so a client offering ECDHE first gets ECDHE as before. */
    static const uint16_t kDheSuites[] = {
        SD_TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, SD_TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
        SD_TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256, SD_TLS_DHE_RSA_WITH_AES_128_CBC_SHA};
    uint16_t suites[64];
    size_t n_suites = 0;
    if (stack == &sd_target_model && min_version <= SD_TLS12) {
        for (size_t i = 0; max_version >= SD_TLS13 && i < sd_n_offered_suites; i++)
            suites[n_suites++] = sd_offered_suites[i];
        for (size_t i = 0; i < sd_tls12_n_default_suites && n_suites < 60; i++)
            suites[n_suites++] = sd_tls12_default_suites[i];
        for (size_t i = 0; i < sizeof kDheSuites / sizeof kDheSuites[0]; i++)
            suites[n_suites++] = kDheSuites[i];
        so.base.cipher_suites = suites;
        so.base.n_cipher_suites = n_suites;
    }
    so.base.alpn = sd_span_of(alpn, alpn_len);
    /* RFC 7366: an independent suite's encrypt-then-MAC scripts, and
     * clients that offer it by default (OpenSSL), meet a model that
     * negotiates it for its CBC suites. Only the model: the other stacks
     * are served as they come. */
    so.base.encrypt_then_mac = stack == &sd_target_model && !no_etm;
    if (!echo) so.base.app_reply = sd_span_of((const uint8_t *)page, (size_t)page_len);
    /* Resumption: tickets keyed once per process, and one session cache
     * for every connection. */
    char no_tickets_why[200] = "";
    if (!no_resumption) {
        cache = sd_session_cache_new();
        if (!cache) {
            rc = SD_EXIT_HARNESS;
            goto out;
        }
        so.base.session_tickets = true;
        so.base.session_cache = cache;
        so.base.ticket_seed = fresh_seed();
    }
    /* One instance made and dropped before listening, so that a stack that
     * cannot do what was asked (mbedTLS 2.28 and TLS 1.3) says so now and
     * not on every connection. A stack without tickets (the shims) serves
     * without them. */
    sd_target_error terr = {0};
    sd_target_config probe = so.base;
    probe.seed = so.seed;
    sd_target *t = stack->create(&probe, &terr);
    if (!t && terr.unsupported && so.base.session_tickets) {
        snprintf(no_tickets_why, sizeof no_tickets_why, "%s", terr.text);
        so.base.session_tickets = false;
        probe.session_tickets = false;
        memset(&terr, 0, sizeof terr);
        t = stack->create(&probe, &terr);
    }
    if (!t) {
        fprintf(stderr, "shakedown serve: %s cannot serve %s..%s with credential %s: %s%s\n", stack->name,
                version_name(min_version), version_name(max_version), cred_name,
                terr.unsupported ? "unsupported: " : "", terr.text);
        rc = SD_EXIT_USAGE;
        goto out;
    }
    t->ops->destroy(t);

    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 64) != 0 ||
        set_nonblocking(lfd) != 0) {
        fprintf(stderr, "shakedown serve: cannot listen on %s:%lld: %s\n", host, (long long)port,
                strerror(errno));
        rc = SD_EXIT_HARNESS;
        goto out;
    }
    socklen_t sl = sizeof sa;
    if (getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0) {
        fprintf(stderr, "shakedown serve: getsockname: %s\n", strerror(errno));
        rc = SD_EXIT_HARNESS;
        goto out;
    }
    printf("listening on %s:%u\n", host, ntohs(sa.sin_port));
    fflush(stdout);
    char ca[1100];
    find_ca_file(dir, cred, ca, sizeof ca);
    fprintf(stderr,
            "shakedown serve: %s (%s), %s..%s, credential %s (clients trust %s), %s, %s; idle limit %llu ms, "
            "at most %llu at once; Ctrl-C stops\n",
            stack->name, stack->version ? stack->version() : "", version_name(min_version),
            version_name(max_version), cred_name, ca[0] ? ca : "a CA outside the PKI folder",
            no_resumption             ? "no resumption"
            : so.base.session_tickets ? "tickets and session ids"
                                      : "no tickets (the stack cannot)",
            echo           ? "answering with the echo"
            : stack->close ? "answering a request line with a page, then close_notify"
                           : "answering a request line with a page (this stack cannot send close_notify "
                             "first: connections stay open)",
            (unsigned long long)idle, (unsigned long long)max_clients);
    if (no_tickets_why[0]) fprintf(stderr, "shakedown serve: no tickets: %s\n", no_tickets_why);

    /* No SA_RESTART: a signal must wake poll() so that Ctrl-C stops at once. */
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = on_stop;
    sigemptyset(&act.sa_mask);
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGTERM, &act, NULL);
    signal(SIGPIPE, SIG_IGN);

    unsigned long served = serve_loop(&so, lfd, (size_t)max_clients, max_conn);
    fprintf(stderr, "shakedown serve: %s; %lu connection%s served\n", stop_requested ? "stopped" : "done",
            served, served == 1 ? "" : "s");
out:
    if (lfd >= 0) close(lfd);
    sd_session_cache_free(cache);
    sd_pki_free(pki);
    free(pki);
    return rc;
}
