/* shim_conn.c — the host's side of a stack part: the connection's memory
 * queues, the shim's options, and the contract's answer to each frame;
 * see shim_stack.h and docs/shim-contract.md. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "shim/shim_stack.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        /* The stack cannot honour the contract without memory, and its
         * callbacks cannot fail (shim_write never does); dying is the
         * honest answer: a shim's harness reports it, and so does a fork
         * worker running the stack in process. */
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

/* ---- The connection, for the host ------------------------------------------ */

shim_conn *shim_conn_new(void) {
    shim_conn *c = calloc(1, sizeof *c);
    if (c) shim_conn_fresh(c);
    return c;
}

void shim_conn_free(shim_conn *c) {
    if (c == NULL) return;
    free(c->in);
    free(c->out);
    free(c->early);
    free(c);
}

void shim_conn_fresh(shim_conn *c) {
    c->in_off = c->in_len = 0;
    c->out_len = 0;
    c->early_len = 0;
    memset(&c->st, 0, sizeof c->st);
    c->st.alert_sent = c->st.alert_sent_level = c->st.alert_received = -1;
}

uint8_t *shim_conn_reserve(shim_conn *c, size_t n) {
    /* Compact before growing, so the queue holds only unread bytes. */
    if (c->in_off > 0) {
        memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
    }
    grow(&c->in, &c->in_cap, c->in_len + n);
    return c->in + c->in_len;
}

void shim_conn_commit(shim_conn *c, size_t n) { c->in_len += n; }

void shim_conn_feed(shim_conn *c, const void *data, size_t n) {
    if (n == 0) return;
    memcpy(shim_conn_reserve(c, n), data, n);
    shim_conn_commit(c, n);
}

const uint8_t *shim_conn_take(shim_conn *c, size_t *n) {
    *n = c->out_len;
    c->out_len = 0;
    return c->out;
}

/* ---- The contract's answer to each frame ------------------------------------ */

void *shim_host_configure(const shim_stack *stack, const shim_opts *o, shim_conn *c) {
    shim_conn_fresh(c);
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

void shim_host_step(const shim_stack *stack, void *s, shim_conn *c) {
    stack->step(s, c);
    stack->status(s, c);
}

void shim_host_close(const shim_stack *stack, void *s, shim_conn *c) {
    /* The stack writes its close_notify; it does not run on input, there
     * is none. */
    if (stack->close && c->st.handshake_done && !c->st.failed && !c->st.close_notify_sent) stack->close(s, c);
    stack->status(s, c);
}

bool shim_host_export(const shim_stack *stack, void *s, shim_conn *c, const char *label, uint8_t *out,
                      size_t len) {
    size_t label_len = strlen(label);
    bool ok = stack->export_keying_material && c->st.handshake_done && !c->st.failed && len > 0 &&
              len <= SHIM_MAX_EXPORT_LEN && label_len > 0 && label_len <= SHIM_MAX_EXPORT_LABEL &&
              stack->export_keying_material(s, label, out, len);
    stack->status(s, c);
    return ok;
}

size_t shim_host_export_session(const shim_stack *stack, void *s, shim_conn *c, uint8_t *out, size_t cap) {
    size_t n = stack->export_session && c->st.handshake_done && !c->st.failed
                   ? stack->export_session(s, out, cap)
                   : 0;
    stack->status(s, c);
    return n;
}

void shim_host_next_connection(const shim_stack *stack, void *s, shim_conn *c) {
    /* A new connection on the same state (session cache, ticket keys). */
    shim_conn_fresh(c);
    char why[sizeof c->st.error] = "";
    if (stack->next_connection == NULL) {
        snprintf(why, sizeof why, "unsupported: several connections in one %s shim", stack->name);
        c->st.failed = true;
    } else if (!stack->next_connection(s, c, why, sizeof why)) {
        c->st.failed = true;
    }
    if (c->st.failed)
        snprintf(c->st.error, sizeof c->st.error, "%s", why[0] ? why : "cannot begin a new connection");
}

/* ---- argv ------------------------------------------------------------------- */

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
 * run (shim_opts_free). */
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
    free((void *)*out); /* a flag given twice: the last one counts */
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

shim_args_result shim_parse_args(int argc, char *const *argv, shim_opts *o, char *err, size_t err_len) {
    memset(o, 0, sizeof *o);
    o->min_version = SHIM_TLS12;
    o->max_version = SHIM_TLS13;
    o->fd = -1;
    bool have_role = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            shim_opts_free(o);
            return SHIM_ARGS_HELP;
        }
        if (strcmp(a, "--version") == 0) {
            shim_opts_free(o);
            return SHIM_ARGS_VERSION;
        }
        if (i + 1 >= argc) {
            snprintf(err, err_len, "%s: unknown option or missing value", a);
            shim_opts_free(o);
            return SHIM_ARGS_BAD;
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
        } else if (strcmp(a, "--sigalgs") == 0) {
            o->sigalgs = v;
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
        } else if (strcmp(a, "--encrypt-then-mac") == 0) {
            bool on;
            if (!parse_on_off(v, &on)) goto bad;
            o->encrypt_then_mac = on ? SHIM_SWITCH_ON : SHIM_SWITCH_OFF;
        } else if (strcmp(a, "--max-fragment-length") == 0) {
            /* RFC 6066 §4: 2^9, 2^10, 2^11 or 2^12 bytes, nothing else. */
            if (!parse_int(v, 512, 4096, &n) || (n & (n - 1)) != 0) goto bad;
            o->max_fragment_length = (uint16_t)n;
        } else if (strcmp(a, "--record-size-limit") == 0) {
            /* RFC 8449 §4: at least 64, at most 2^14 + 1 (TLS 1.3). */
            if (!parse_int(v, 64, 16385, &n)) goto bad;
            o->record_size_limit = (uint16_t)n;
        } else if (strcmp(a, "--fd") == 0) {
            if (!parse_int(v, 0, 1 << 20, &n)) goto bad;
            o->fd = (int)n;
        } else {
            snprintf(err, err_len, "unknown option %s (try --help)", a);
            shim_opts_free(o);
            return SHIM_ARGS_BAD;
        }
        continue;
    bad:
        snprintf(err, err_len, "bad value for %s: '%s' (try --help)", a, v);
        shim_opts_free(o);
        return SHIM_ARGS_BAD;
    }
    if (!have_role || o->fd < 0) {
        snprintf(err, err_len, "--role and --fd are required (try --help)");
        shim_opts_free(o);
        return SHIM_ARGS_BAD;
    }
    if (o->min_version > o->max_version) {
        snprintf(err, err_len, "--min-version is above --max-version");
        shim_opts_free(o);
        return SHIM_ARGS_BAD;
    }
    return SHIM_ARGS_RUN;
}

/* The buffers shim_parse_args decoded from hex (the rest of o points into
 * the argument vector). */
void shim_opts_free(shim_opts *o) {
    free((void *)o->app_reply);
    free((void *)o->resume_session);
    free((void *)o->early_data);
    o->app_reply = o->resume_session = o->early_data = NULL;
}

uint8_t shim_max_fragment_length_code(uint16_t bytes) {
    uint8_t code = 1;
    while (code < 4 && (512u << (code - 1)) < bytes) code++;
    return code;
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
