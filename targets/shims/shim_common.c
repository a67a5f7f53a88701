/* shim_common.c — argv, framing and the main loop every shim shares; see
 * shim_common.h and docs/shim-contract.md. */
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

struct shim_conn {
    uint8_t *in;
    size_t in_len, in_off, in_cap;
    uint8_t *out;
    size_t out_len, out_cap;
    shim_status st;
    const uint8_t *reply; /* --app-reply-hex, NULL: echo */
    size_t reply_len;
    uint8_t *early; /* 0-RTT read before the handshake was done (shim_early_data_keep) */
    size_t early_len, early_cap;
};

/* ---- Memory I/O ----------------------------------------------------------- */

static void *grow(uint8_t **buf, size_t *cap, size_t need) {
    if (need <= *cap) return *buf;
    size_t ncap = *cap ? *cap : 4096;
    while (ncap < need) ncap *= 2;
    uint8_t *p = realloc(*buf, ncap);
    if (p == NULL) {
        /* The shim cannot honour its contract without memory; dying is the
         * honest answer and the harness reports it. */
        fprintf(stderr, "shim: out of memory\n");
        exit(70);
    }
    *buf = p;
    *cap = ncap;
    return p;
}

size_t shim_read(shim_conn *c, void *dst, size_t n) {
    size_t avail = c->in_len - c->in_off;
    if (n > avail) n = avail;
    if (n == 0) return 0; /* the queue may not even be allocated yet */
    memcpy(dst, c->in + c->in_off, n);
    c->in_off += n;
    if (c->in_off == c->in_len) c->in_off = c->in_len = 0;
    return n;
}

size_t shim_pending(const shim_conn *c) { return c->in_len - c->in_off; }

void shim_write(shim_conn *c, const void *src, size_t n) {
    if (n == 0) return;
    grow(&c->out, &c->out_cap, c->out_len + n);
    memcpy(c->out + c->out_len, src, n);
    c->out_len += n;
}

shim_status *shim_st(shim_conn *c) { return &c->st; }

const void *shim_app_answer(shim_conn *c, const void *data, size_t *n) {
    if (c->reply == NULL) return data;
    /* A read without a newline is part of a request line still to come:
     * held, not answered (harness/protocol/target.h app_reply). */
    if (*n == 0 || memchr(data, '\n', *n) == NULL) return NULL;
    *n = c->reply_len;
    c->st.app_replies++;
    return c->reply;
}

void shim_early_data_keep(shim_conn *c, const void *data, size_t n) {
    if (n == 0) return;
    grow(&c->early, &c->early_cap, c->early_len + n);
    memcpy(c->early + c->early_len, data, n);
    c->early_len += n;
}

const void *shim_early_data_echo(shim_conn *c, size_t *n) {
    *n = c->reply ? 0 : c->early_len;
    c->early_len = 0;
    return *n ? c->early : NULL;
}

void shim_fail(shim_conn *c, const char *fmt, ...) {
    if (!c->st.failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->st.error, sizeof c->st.error, fmt, ap);
        va_end(ap);
    }
    c->st.failed = true;
}

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
    bool ok = c->out_len == 0 || send_frame(fd, SHIM_FRAME_DATA, c->out, c->out_len);
    c->out_len = 0;
    return ok;
}

/* ---- argv ------------------------------------------------------------------- */

static void usage(FILE *f, const char *prog, const shim_stack *stack) {
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
            "  --fd N                     the socket to the harness\n",
            prog, prog, stack->name);
}

static bool parse_version(const char *s, uint16_t *out) {
    if (strcmp(s, "1.2") == 0)
        *out = SHIM_TLS12;
    else if (strcmp(s, "1.3") == 0)
        *out = SHIM_TLS13;
    else
        return false;
    return true;
}

/* Decodes at most max bytes of hex into a buffer that lives as long as the
 * run (free_opts). */
static bool parse_hex(const char *s, size_t max, const uint8_t **out, size_t *out_len) {
    size_t n = strlen(s);
    if (n == 0 || n % 2 || n / 2 > max) return false;
    uint8_t *buf = malloc(n / 2);
    if (buf == NULL) return false;
    for (size_t i = 0; i < n / 2; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char ch = s[2 * i + (size_t)k];
            int d = ch >= '0' && ch <= '9'   ? ch - '0'
                    : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                    : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                             : -1;
            if (d < 0) {
                free(buf);
                return false;
            }
            v = v * 16 + d;
        }
        buf[i] = (uint8_t)v;
    }
    *out = buf;
    *out_len = n / 2;
    return true;
}

static bool parse_on_off(const char *s, bool *out) {
    if (strcmp(s, "on") == 0)
        *out = true;
    else if (strcmp(s, "off") == 0)
        *out = false;
    else
        return false;
    return true;
}

static bool parse_int(const char *s, long long min, long long max, long long *out) {
    if (*s == '\0') return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max) return false;
    *out = v;
    return true;
}

/* 0 = run, 1 = exit 0 (--help/--version done), 2 = usage error (printed). */
static int parse_args(int argc, char **argv, const shim_stack *stack, shim_opts *o) {
    const char *prog = argc > 0 ? argv[0] : "shim";
    memset(o, 0, sizeof *o);
    o->min_version = SHIM_TLS12;
    o->max_version = SHIM_TLS13;
    o->fd = -1;
    bool have_role = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout, prog, stack);
            return 1;
        }
        if (strcmp(a, "--version") == 0) {
            printf("%s\n", stack->version());
            return 1;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "%s: %s: unknown option or missing value\n", prog, a);
            return 2;
        }
        const char *v = argv[++i];
        long long n;
        if (strcmp(a, "--role") == 0) {
            if (strcmp(v, "client") == 0)
                o->role = SHIM_CLIENT;
            else if (strcmp(v, "server") == 0)
                o->role = SHIM_SERVER;
            else
                goto bad;
            have_role = true;
        } else if (strcmp(a, "--min-version") == 0) {
            if (!parse_version(v, &o->min_version)) goto bad;
        } else if (strcmp(a, "--max-version") == 0) {
            if (!parse_version(v, &o->max_version)) goto bad;
        } else if (strcmp(a, "--cert") == 0) {
            o->cert = v;
        } else if (strcmp(a, "--key") == 0) {
            o->key = v;
        } else if (strcmp(a, "--trust") == 0) {
            o->trust = v;
        } else if (strcmp(a, "--crl") == 0) {
            o->crl = v;
        } else if (strcmp(a, "--crl-issuer") == 0) {
            o->crl_issuer = v;
        } else if (strcmp(a, "--server-name") == 0) {
            o->server_name = v;
        } else if (strcmp(a, "--time") == 0) {
            if (!parse_int(v, 0, (long long)1 << 40, &n)) goto bad;
            o->time = n;
        } else if (strcmp(a, "--groups") == 0) {
            o->groups = v;
        } else if (strcmp(a, "--ciphers") == 0) {
            o->ciphers = v;
        } else if (strcmp(a, "--client-auth") == 0) {
            if (strcmp(v, "none") == 0)
                o->client_auth = SHIM_AUTH_NONE;
            else if (strcmp(v, "request") == 0)
                o->client_auth = SHIM_AUTH_REQUEST;
            else if (strcmp(v, "require") == 0)
                o->client_auth = SHIM_AUTH_REQUIRE;
            else
                goto bad;
        } else if (strcmp(a, "--app-reply-hex") == 0) {
            if (!parse_hex(v, SHIM_MAX_APP_REPLY, &o->app_reply, &o->app_reply_len)) goto bad;
        } else if (strcmp(a, "--session-tickets") == 0) {
            if (!parse_on_off(v, &o->session_tickets)) goto bad;
        } else if (strcmp(a, "--session-cache") == 0) {
            if (!parse_on_off(v, &o->session_cache)) goto bad;
        } else if (strcmp(a, "--resume-session-hex") == 0) {
            if (!parse_hex(v, SHIM_MAX_SESSION, &o->resume_session, &o->resume_session_len)) goto bad;
        } else if (strcmp(a, "--renegotiation") == 0) {
            if (!parse_on_off(v, &o->renegotiation)) goto bad;
        } else if (strcmp(a, "--max-early-data") == 0) {
            if (!parse_int(v, 0, SHIM_MAX_EARLY_DATA, &n)) goto bad;
            o->max_early_data = (uint32_t)n;
        } else if (strcmp(a, "--early-data-hex") == 0) {
            if (!parse_hex(v, SHIM_MAX_EARLY_DATA, &o->early_data, &o->early_data_len)) goto bad;
        } else if (strcmp(a, "--fd") == 0) {
            if (!parse_int(v, 0, 1 << 20, &n)) goto bad;
            o->fd = (int)n;
        } else {
            fprintf(stderr, "%s: unknown option %s (try --help)\n", prog, a);
            return 2;
        }
        continue;
    bad:
        fprintf(stderr, "%s: bad value for %s: '%s' (try --help)\n", prog, a, v);
        return 2;
    }
    if (!have_role || o->fd < 0) {
        fprintf(stderr, "%s: --role and --fd are required (try --help)\n", prog);
        return 2;
    }
    if (o->min_version > o->max_version) {
        fprintf(stderr, "%s: --min-version is above --max-version\n", prog);
        return 2;
    }
    return 0;
}

/* The buffers parse_args decoded from hex (the rest of o points into the
 * argument vector). */
static void free_opts(shim_opts *o) {
    free((void *)o->app_reply);
    free((void *)o->resume_session);
    free((void *)o->early_data);
    o->app_reply = o->resume_session = o->early_data = NULL;
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
    long long n;
    return v && parse_int(v, 1, 1 << 30, &n) ? (long)n : 0;
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

/* A new connection in this process: fresh queues and status. What the last
 * connection left unread or unsent is dropped with it. */
static void fresh_connection(shim_conn *c) {
    c->in_off = c->in_len = 0;
    c->out_len = 0;
    c->early_len = 0;
    memset(&c->st, 0, sizeof c->st);
    c->st.alert_sent = c->st.alert_sent_level = c->st.alert_received = -1;
}

/* Configures the stack from o for a new run on c; NULL, with c's status
 * failed and saying why, if it cannot. */
static void *configure(const shim_stack *stack, const shim_opts *o, shim_conn *c) {
    fresh_connection(c);
    c->reply = o->app_reply;
    c->reply_len = o->app_reply_len;
    char err[sizeof c->st.error] = "";
    void *s = stack->create(o, c, err, sizeof err);
    if (s == NULL) {
        c->st.failed = true;
        snprintf(c->st.error, sizeof c->st.error, "%s", err[0] ? err : "cannot configure the stack");
    }
    return s;
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

    shim_conn c;
    memset(&c, 0, sizeof c);

    /* Contract: the first frame the shim sends is a STATUS saying whether it
     * could configure the stack (failed=0) or not (failed=1 and error). A
     * shim that resets stays for a RESET even then. */
    void *s = configure(stack, &o, &c);
    if (!send_status(fd, &c.st) || (s == NULL && !stack->resets)) {
        if (s) stack->destroy(s);
        free_opts(&o);
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
            free_opts(&o);
            free(reset_args);
            free(reset_payload);
            reset_payload = payload;
            reset_args = NULL;
            run_no++;
            frame_no = 0;
            int n_args = 0;
            fresh_connection(&c);
            if (!reset_argv(payload, len, argv[0], &reset_args, &n_args) ||
                parse_args(n_args, reset_args, stack, &o) != 0) {
                c.st.failed = true;
                snprintf(c.st.error, sizeof c.st.error, "RESET with arguments that do not parse");
            } else if (o.fd != fd) {
                c.st.failed = true;
                snprintf(c.st.error, sizeof c.st.error, "RESET with --fd %d; this shim talks on %d", o.fd,
                         fd);
            } else {
                s = configure(stack, &o, &c);
            }
            if (!send_status(fd, &c.st)) {
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
            if (!skip_payload(fd, len) || !send_status(fd, &c.st)) {
                exit_code = 1;
                break;
            }
            continue;
        }
        if (h[0] == SHIM_FRAME_DATA) {
            /* Compact before growing, so the queue holds only unread bytes. */
            if (c.in_off > 0) {
                memmove(c.in, c.in + c.in_off, c.in_len - c.in_off);
                c.in_len -= c.in_off;
                c.in_off = 0;
            }
            grow(&c.in, &c.in_cap, c.in_len + len);
            if (len > 0 && read_all(fd, c.in + c.in_len, len) != 1) {
                exit_code = 1;
                break;
            }
            c.in_len += len;
        } else if (h[0] == SHIM_FRAME_START && len == 0) {
            /* nothing to read */
        } else if (h[0] == SHIM_FRAME_CLOSE && len == 0) {
            /* The stack writes its close_notify; it does not run on input,
             * there is none. */
            if (stack->close && c.st.handshake_done && !c.st.failed && !c.st.close_notify_sent)
                stack->close(s, &c);
            stack->status(s, &c);
            if (!flush_out(fd, &c) || !send_status(fd, &c.st)) {
                exit_code = 1;
                break;
            }
            continue;
        } else if (h[0] == SHIM_FRAME_NEXT && len == 0) {
            /* A new connection in this process, the stack's context
             * (session cache, ticket keys) kept. */
            fresh_connection(&c);
            char why[sizeof c.st.error] = "";
            if (stack->next_connection == NULL) {
                snprintf(why, sizeof why, "unsupported: several connections in one %s shim", stack->name);
                c.st.failed = true;
            } else if (!stack->next_connection(s, &c, why, sizeof why)) {
                c.st.failed = true;
            }
            if (c.st.failed)
                snprintf(c.st.error, sizeof c.st.error, "%s", why[0] ? why : "cannot begin a new connection");
            if (!send_status(fd, &c.st)) {
                exit_code = 1;
                break;
            }
            continue;
        } else if (h[0] == SHIM_FRAME_SESSION && len == 0) {
            /* The session to resume later, as the stack serializes it; the
             * stack does not run. */
            static uint8_t blob[SHIM_MAX_SESSION];
            size_t n = stack->export_session && c.st.handshake_done && !c.st.failed
                           ? stack->export_session(s, blob, sizeof blob)
                           : 0;
            stack->status(s, &c);
            if ((n > 0 && !send_frame(fd, SHIM_FRAME_DATA, blob, n)) || !send_status(fd, &c.st)) {
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
            bool ok = stack->export_keying_material && c.st.handshake_done && !c.st.failed && want > 0 &&
                      want <= sizeof secret && strlen(label) == len - 2 &&
                      stack->export_keying_material(s, label, secret, want);
            stack->status(s, &c);
            if ((ok && !send_frame(fd, SHIM_FRAME_DATA, secret, want)) || !send_status(fd, &c.st)) {
                exit_code = 1;
                break;
            }
            continue;
        } else {
            fprintf(stderr, "%s shim: unexpected frame type %u (length %u)\n", stack->name, h[0], len);
            exit_code = 3;
            break;
        }
        stack->step(s, &c);
        stack->status(s, &c);
        if (!flush_out(fd, &c) || !send_status(fd, &c.st)) {
            exit_code = 1;
            break;
        }
    }
    if (s) stack->destroy(s);
    free_opts(&o);
    free(reset_args);
    free(reset_payload);
    free(c.in);
    free(c.out);
    free(c.early);
    return exit_code;
}

bool shim_each(const char *list, bool (*fn)(const char *item, void *ctx), void *ctx) {
    if (list == NULL) return true;
    for (const char *p = list;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char item[128];
        size_t copy = n < sizeof item ? n : sizeof item - 1;
        memcpy(item, p, copy);
        item[copy] = '\0';
        if (n > 0 && !fn(item, ctx)) return false;
        if (comma == NULL) break;
        p = comma + 1;
    }
    return true;
}
