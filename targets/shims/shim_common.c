/* shim_common.c — framing, the usage text and the main loop every shim
 * program shares; see shim_common.h and docs/shim-contract.md. The stack
 * parts and the connection they run on are in harness/shim. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "shim_common.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- Framing -------------------------------------------------------------- */

static bool write_all(int fd, const void *p, size_t n) {
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

/* 1 = read n bytes, 0 = clean end of stream before any byte, -1 = error. */
static int read_all(int fd, void *p, size_t n) {
    uint8_t *b = p;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, b + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) return got == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return 1;
}

static bool send_frame(int fd, uint8_t type, const void *payload, size_t len) {
    uint8_t h[SHIM_FRAME_HEADER_LEN] = {type, (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                                        (uint8_t)len};
    return write_all(fd, h, sizeof h) && write_all(fd, payload, len);
}

/* Whether this shim's stack resets (shim_stack.resets): every STATUS says
 * so, reset=1, for the harness to keep the process for another run. */
static bool advertise_reset;

static bool send_status(int fd, const shim_status *st) {
    /* One key=value per line; the error goes last and its line breaks are
     * flattened so that it stays one value. */
    char text[1024];
    char err[sizeof st->error];
    snprintf(err, sizeof err, "%s", st->error);
    for (char *p = err; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    int n = snprintf(text, sizeof text,
                     "handshake_done=%d\nfailed=%d\nalert_sent=%d\nalert_sent_level=%d\n"
                     "alert_received=%d\nclose_notify_sent=%d\nversion=%u\ncipher=%u\ngroup=%u\n"
                     "peer_authenticated=%d\napp_replies=%u\n%serror=%s\n",
                     st->handshake_done, st->failed, st->alert_sent, st->alert_sent_level, st->alert_received,
                     st->close_notify_sent, st->version, st->cipher, st->group, st->peer_authenticated,
                     st->app_replies, advertise_reset ? "reset=1\n" : "", err);
    if (n < 0) return false;
    if ((size_t)n >= sizeof text) n = (int)sizeof text - 1;
    return send_frame(fd, SHIM_FRAME_STATUS, text, (size_t)n);
}

static bool flush_out(int fd, shim_conn *c) {
    size_t n;
    const uint8_t *out = shim_conn_take(c, &n);
    return n == 0 || send_frame(fd, SHIM_FRAME_DATA, out, n);
}

/* ---- argv ------------------------------------------------------------------- */

static void usage(FILE *f, const char *prog, const char *stack) {
    fprintf(f,
            "usage: %s --fd N --role client|server [options]\n"
            "       %s --version\n"
            "\n"
            "The shakedown shim for %s (docs/shim-contract.md). Started by the harness,\n"
            "it speaks the shim protocol on file descriptor N.\n"
            "\n"
            "  --role client|server       the role the stack plays\n"
            "  --min-version 1.2|1.3      lowest TLS version to accept (default 1.2)\n"
            "  --max-version 1.2|1.3      highest TLS version to offer (default 1.3)\n"
            "  --cert FILE                PEM chain, leaf first\n"
            "  --key FILE                 PEM private key of the leaf\n"
            "  --trust FILE               PEM trust anchor(s)\n"
            "  --crl FILE                 PEM CRL(s) consulted when verifying the peer\n"
            "  --crl-issuer FILE          PEM certificate(s) that signed the CRLs, if no\n"
            "                             trust anchor did (not trusted otherwise)\n"
            "  --server-name NAME         client: SNI and the name the leaf must carry\n"
            "  --time UNIX                certificate validation time (seconds)\n"
            "  --groups LIST              IANA group names, e.g. x25519,secp256r1\n"
            "  --ciphers LIST             IANA cipher suite names\n"
            "  --sigalgs LIST             IANA signature scheme names, e.g.\n"
            "                             ecdsa_secp256r1_sha256,rsa_pss_rsae_sha256: offered\n"
            "                             (client) or asked for in CertificateRequest (server)\n"
            "  --client-auth none|request|require   server: ask for a client certificate\n"
            "  --app-reply-hex HEX        answer each application-data read that holds a\n"
            "                             newline with these bytes instead of echoing it\n"
            "  --session-tickets on|off   server: issue session tickets; client: ask for\n"
            "                             them and keep them (default off)\n"
            "  --session-cache on|off     server: keep a TLS 1.2 session cache across the\n"
            "                             connections of this process (default off)\n"
            "  --resume-session-hex HEX   client: resume this session (a SESSION answer)\n"
            "  --renegotiation on|off     TLS 1.2: renegotiate (securely) when the peer\n"
            "                             asks, or refuse with no_renegotiation (default off)\n"
            "  --max-early-data N         server: issue tickets that allow N bytes of 0-RTT,\n"
            "                             accept it and echo it after the handshake (default 0)\n"
            "  --early-data-hex HEX       client: send these bytes as 0-RTT when the resumed\n"
            "                             session allows it\n"
            "  --encrypt-then-mac on|off  TLS 1.2 CBC: offer (client) or accept (server)\n"
            "                             encrypt_then_mac, RFC 7366 (default: the stack's)\n"
            "  --max-fragment-length N    512|1024|2048|4096: request it (client) or accept a\n"
            "                             request (server), RFC 6066 section 4\n"
            "  --record-size-limit N      64..16385: advertise it in record_size_limit and\n"
            "                             receive no larger record, RFC 8449\n"
            "  --fd N                     the socket to the harness\n",
            prog, prog, stack);
}

/* ---- Test hooks ------------------------------------------------------------
 * For the harness's own tests only: make this shim die or stop answering on
 * the Nth frame of a run (frames since it started or since its last RESET,
 * the RESET itself not counted), so that CRASH and HANG handling can be
 * tested with a real stack; with SHAKEDOWN_SHIM_CRASH_RUN=K only in the
 * Kth run of the process (1 = the one it started with), so that a test can
 * kill a persistent shim in the middle of a later run. Unset in normal
 * use. */
static long env_count(const char *name) {
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') return 0;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    return errno == 0 && *end == '\0' && n >= 1 && n <= 1 << 30 ? (long)n : 0;
}

static void test_hooks(long run_no, long frame_no) {
    static long crash_after = -1, crash_run, hang_after;
    if (crash_after < 0) {
        crash_after = env_count("SHAKEDOWN_SHIM_CRASH_AFTER");
        crash_run = env_count("SHAKEDOWN_SHIM_CRASH_RUN");
        hang_after = env_count("SHAKEDOWN_SHIM_HANG_AFTER");
    }
    if (crash_after && frame_no >= crash_after && (crash_run == 0 || run_no == crash_run)) {
        /* The default action, not a sanitizer's handler: the harness must see
         * a death by signal, as it would from a real memory error. */
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
    }
    if (hang_after && frame_no >= hang_after) {
        for (;;) pause();
    }
}

/* ---- Main loop ------------------------------------------------------------ */

/* Parses a run's arguments into *o: 0 = run, 1 = exit 0 (--help/--version
 * done), 2 = usage error (printed). */
static int parse_args(int argc, char **argv, const shim_stack *stack, shim_opts *o) {
    const char *prog = argc > 0 ? argv[0] : "shim";
    char err[256];
    switch (shim_parse_args(argc, argv, o, err, sizeof err)) {
    case SHIM_ARGS_RUN:
        return 0;
    case SHIM_ARGS_HELP:
        usage(stdout, prog, stack->name);
        return 1;
    case SHIM_ARGS_VERSION:
        printf("%s\n", stack->version());
        return 1;
    case SHIM_ARGS_BAD:
        break;
    }
    fprintf(stderr, "%s: %s\n", prog, err);
    return 2;
}

/* A RESET's payload, the arguments a fresh process would get after its
 * program name, each NUL-terminated, as an argv for parse_args (prog
 * first, NULL last) in *argv and its count in *argc. False if it is not
 * such a list. The strings stay in payload. */
static bool reset_argv(char *payload, size_t len, char *prog, char ***argv, int *argc) {
    if (len > 0 && payload[len - 1] != '\0') return false;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += payload[i] == '\0';
    char **v = malloc((n + 2) * sizeof *v);
    if (v == NULL) return false;
    v[0] = prog;
    size_t k = 1;
    for (size_t i = 0; i < len; i += strlen(payload + i) + 1) v[k++] = payload + i;
    v[k] = NULL;
    *argv = v;
    *argc = (int)k;
    return true;
}

/* Skips a frame's payload. */
static bool skip_payload(int fd, uint32_t len) {
    uint8_t buf[4096];
    while (len > 0) {
        uint32_t n = len < sizeof buf ? len : (uint32_t)sizeof buf;
        if (read_all(fd, buf, n) != 1) return false;
        len -= n;
    }
    return true;
}

int shim_main(int argc, char **argv, const shim_stack *stack) {
    shim_opts o;
    int rc = parse_args(argc, argv, stack, &o);
    if (rc == 1) return 0;
    if (rc == 2) return 2;
    /* A harness that went away must end us through EOF or EPIPE, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    advertise_reset = stack->resets;
    const int fd = o.fd;

    shim_conn *c = shim_conn_new();
    if (c == NULL) {
        shim_opts_free(&o);
        return 1;
    }

    /* Contract: the first frame the shim sends is a STATUS saying whether it
     * could configure the stack (failed=0) or not (failed=1 and error). A
     * shim that resets stays for a RESET even then. */
    void *s = shim_host_configure(stack, &o, c);
    if (!send_status(fd, shim_st(c)) || (s == NULL && !stack->resets)) {
        if (s) stack->destroy(s);
        shim_opts_free(&o);
        shim_conn_free(c);
        return 1;
    }

    /* The argument vector of the current run, when a RESET gave it. */
    char *reset_payload = NULL;
    char **reset_args = NULL;
    long run_no = 1, frame_no = 0;
    int exit_code = 0;
    for (;;) {
        uint8_t h[SHIM_FRAME_HEADER_LEN];
        int r = read_all(fd, h, sizeof h);
        if (r == 0) break; /* the harness closed: done */
        if (r < 0) {
            exit_code = 1;
            break;
        }
        uint32_t len = (uint32_t)h[1] << 24 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 8 | h[4];
        if (len > SHIM_MAX_FRAME) {
            fprintf(stderr, "%s shim: frame of %u bytes is too big\n", stack->name, len);
            exit_code = 3;
            break;
        }
        if (h[0] == SHIM_FRAME_RESET && stack->resets) {
            /* A new run from a clean state, as after exec: the stack's
             * context goes (session cache, tickets, keys: destroy() drops
             * what the stack keeps process-wide too, shim_stack.resets),
             * and it is configured anew from the arguments, answered like
             * the first STATUS of a process. */
            char *payload = malloc(len + 1);
            if (payload == NULL || (len > 0 && read_all(fd, payload, len) != 1)) {
                free(payload);
                exit_code = 1;
                break;
            }
            if (s) stack->destroy(s);
            s = NULL;
            shim_opts_free(&o);
            free(reset_args);
            free(reset_payload);
            reset_payload = payload;
            reset_args = NULL;
            run_no++;
            frame_no = 0;
            int n_args = 0;
            shim_conn_fresh(c);
            if (!reset_argv(payload, len, argv[0], &reset_args, &n_args) ||
                parse_args(n_args, reset_args, stack, &o) != 0) {
                shim_fail(c, "RESET with arguments that do not parse");
            } else if (o.fd != fd) {
                shim_fail(c, "RESET with --fd %d; this shim talks on %d", o.fd, fd);
            } else {
                s = shim_host_configure(stack, &o, c);
            }
            if (!send_status(fd, shim_st(c))) {
                exit_code = 1;
                break;
            }
            continue;
        }
        frame_no++;
        test_hooks(run_no, frame_no);
        if (s == NULL) {
            /* Not configured (the last RESET failed): nothing runs, every
             * frame gets that failure again. */
            if (!skip_payload(fd, len) || !send_status(fd, shim_st(c))) {
                exit_code = 1;
                break;
            }
            continue;
        }
        if (h[0] == SHIM_FRAME_DATA) {
            uint8_t *in = shim_conn_reserve(c, len);
            if (len > 0 && read_all(fd, in, len) != 1) {
                exit_code = 1;
                break;
            }
            shim_conn_commit(c, len);
        } else if (h[0] == SHIM_FRAME_START && len == 0) {
            /* nothing to read */
        } else if (h[0] == SHIM_FRAME_CLOSE && len == 0) {
            shim_host_close(stack, s, c);
            if (!flush_out(fd, c) || !send_status(fd, shim_st(c))) {
                exit_code = 1;
                break;
            }
            continue;
        } else if (h[0] == SHIM_FRAME_NEXT && len == 0) {
            shim_host_next_connection(stack, s, c);
            if (!send_status(fd, shim_st(c))) {
                exit_code = 1;
                break;
            }
            continue;
        } else if (h[0] == SHIM_FRAME_SESSION && len == 0) {
            /* The session to resume later, as the stack serializes it; the
             * stack does not run. */
            static uint8_t blob[SHIM_MAX_SESSION];
            size_t n = shim_host_export_session(stack, s, c, blob, sizeof blob);
            if ((n > 0 && !send_frame(fd, SHIM_FRAME_DATA, blob, n)) || !send_status(fd, shim_st(c))) {
                exit_code = 1;
                break;
            }
            continue;
        } else if (h[0] == SHIM_FRAME_EXPORT && len >= 3 && len <= 2 + SHIM_MAX_EXPORT_LABEL) {
            /* u16 length | label: answered with DATA holding the exporter's
             * bytes (none if it cannot), then the usual STATUS. The stack
             * does not run: nothing goes to the peer. */
            uint8_t p[2 + SHIM_MAX_EXPORT_LABEL + 1];
            if (read_all(fd, p, len) != 1) {
                exit_code = 1;
                break;
            }
            size_t want = (size_t)p[0] << 8 | p[1];
            char label[SHIM_MAX_EXPORT_LABEL + 1];
            memcpy(label, p + 2, len - 2);
            label[len - 2] = '\0';
            uint8_t secret[SHIM_MAX_EXPORT_LEN];
            /* A label with a NUL in it is not the label asked for. */
            bool named = strlen(label) == len - 2;
            bool ok = shim_host_export(stack, s, c, label, secret, want) && named;
            if ((ok && !send_frame(fd, SHIM_FRAME_DATA, secret, want)) || !send_status(fd, shim_st(c))) {
                exit_code = 1;
                break;
            }
            continue;
        } else {
            fprintf(stderr, "%s shim: unexpected frame type %u (length %u)\n", stack->name, h[0], len);
            exit_code = 3;
            break;
        }
        shim_host_step(stack, s, c);
        if (!flush_out(fd, c) || !send_status(fd, shim_st(c))) {
            exit_code = 1;
            break;
        }
    }
    if (s) stack->destroy(s);
    shim_opts_free(&o);
    free(reset_args);
    free(reset_payload);
    shim_conn_free(c);
    return exit_code;
}
