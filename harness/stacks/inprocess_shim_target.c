/* inprocess_shim_target.c — a shim stack's stack part in this process,
 * behind the target interface: wolfssl-inprocess, mbedtls-inprocess,
 * gnutls-inprocess (stacks/inprocess_shim_target.h).
 *
 * The same stack part as the shim program (harness/shim/shim_<stack>.c),
 * configured the same way: the shim's argument vector for the
 * configuration (sd_shim_args_build, the one shim_target.c execs), parsed
 * by the shim's own parser (shim_parse_args). What the shim program does
 * for each frame, this target does for each call, through the same
 * functions (shim_host_*): start and feed run the stack (START, DATA),
 * close, export_keying_material and export_session are CLOSE, EXPORT and
 * SESSION. So a cell's verdict is the shim's, and what differs is only
 * what a process gives: a crash of the stack is a crash of this process
 * (of the `conform` worker that ran the cell, or the fuzzer's finding),
 * and no time limit applies.
 *
 * Several connections (a trace with `connection`): a server under test is
 * created again for each, with the same sd_target_config.session_cache.
 * Its stack outlives the first target, as the shim process does: destroy()
 * keeps it, with a token stored in that cache, and the next create() with
 * the same cache and the same arguments takes it back and begins a new
 * connection on it (NEXT: shim_host_next_connection), so the stack resumes
 * with its own session cache and ticket keys. Any other create() of an
 * in-process stack ends the kept one: its run is over.
 *
 * Each run starts from a clean state: create() configures a new context,
 * and destroy() drops it with what the stack part keeps for the whole
 * process (docs/shim-contract.md, "Stacks in process": GnuTLS's clock and
 * session store, wolfSSL's clock and the entries its connections left in
 * wolfSSL's process-wide session cache). The stack libraries keep nothing
 * the model or BoringSSL read: their clocks are their own (wolfCrypt's
 * wc_SetTimeCb, gnutls_global_set_time_function), and libc's time() is
 * never replaced. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr, RTLD_DEFAULT: which library defines a name */
#endif

#include "stacks/inprocess_shim_target.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "protocol/session_cache.h"
#include "shim/shim_stack.h"
#include "stacks/shim_args.h"

/* One configured stack part: the options it was created from (pointing
 * into args), its connection and its state. It stays where it was
 * allocated: the stack's state points at opts. */
typedef struct {
    const shim_stack *stack;
    sd_shim_args *args;
    shim_opts opts;
    bool opts_parsed;
    shim_conn *conn;
    void *state;
} stack_run;

typedef struct {
    sd_target base; /* must be first */
    const char *name;
    stack_run *run;
    /* Server of several connections: the run's cache (where the token of
     * the kept stack goes) and the arguments, joined, that a stack taken
     * back must have been created with. NULL for one connection. */
    sd_session_cache *session_cache;
    char *joined;
} inprocess_target;

static void stack_run_end(stack_run *r) {
    if (r == NULL) return;
    if (r->state) r->stack->destroy(r->state);
    if (r->opts_parsed) shim_opts_free(&r->opts);
    shim_conn_free(r->conn);
    if (r->args) sd_shim_args_free(r->args);
    free(r->args);
    free(r);
}

/* The server stack kept between two connections of a run (this process
 * runs one cell at a time), and the token the run's session cache holds
 * for it. A worker forked with one holds a copy of its memory, its own to
 * end. */
#define KEPT_CACHE_NAME "in-process stack"
static struct {
    stack_run *run;
    const char *name;
    char *joined;
    uint64_t token;
} kept;

static void end_kept(void) {
    stack_run_end(kept.run);
    kept.run = NULL;
    free(kept.joined);
    kept.joined = NULL;
    kept.name = NULL;
}

/* ---- BoringSSL's names ------------------------------------------------------ */

/* libwolfssl exports six functions under OpenSSL's names, which BoringSSL's
 * libssl exports too. A call to such a name from any object that does not
 * define it goes to the first library in the program's search order that
 * does: BoringSSL must come first (the build links it before the stack
 * parts), or the BoringSSL adapter's calls, and those of any library that
 * expects OpenSSL's API, would run wolfSSL's code. Neither library calls
 * these names through its own PLT (no relocation against them), so it is
 * the resolution from outside that must be BoringSSL's. Checked once a
 * process, against the library that defines SSL_new. */
static const char *const shared_openssl_names[] = {
    "ERR_load_SSL_strings",        "SSL_COMP_get_compression_methods",
    "SSL_CTX_set_tmp_dh_callback", "SSL_SESSION_get0_id_context",
    "SSL_SESSION_set1_id",         "SSL_SESSION_set1_id_context",
};

bool sd_inprocess_symbols_check(char *err, size_t err_len) {
    Dl_info boring;
    if (dladdr((void *)SSL_new, &boring) == 0 || boring.dli_fname == NULL) {
        snprintf(err, err_len, "cannot tell which library BoringSSL's SSL_new is in");
        return false;
    }
    for (size_t i = 0; i < sizeof shared_openssl_names / sizeof shared_openssl_names[0]; i++) {
        void *found = dlsym(RTLD_DEFAULT, shared_openssl_names[i]);
        Dl_info where;
        if (found == NULL) continue; /* no library defines it: nothing to shadow */
        if (dladdr(found, &where) == 0 || where.dli_fbase != boring.dli_fbase) {
            snprintf(err, err_len,
                     "%s resolves to %s, not to BoringSSL's %s: link BoringSSL before the in-process stacks",
                     shared_openssl_names[i], where.dli_fname ? where.dli_fname : "?", boring.dli_fname);
            return false;
        }
    }
    return true;
}

/* ---- Creating -------------------------------------------------------------- */

static sd_target *inprocess_create(const char *name, const shim_stack *stack, const sd_target_ops *ops,
                                   const sd_target_config *cfg, sd_target_error *error) {
    static int symbols_ok = -1;
    if (symbols_ok < 0) symbols_ok = sd_inprocess_symbols_check(error->text, sizeof error->text);
    if (!symbols_ok) {
        if (!error->text[0]) snprintf(error->text, sizeof error->text, "BoringSSL's names are shadowed");
        return NULL;
    }
    inprocess_target *t = calloc(1, sizeof *t);
    stack_run *run = calloc(1, sizeof *run);
    sd_shim_args *args = malloc(sizeof *args);
    if (t == NULL || run == NULL || args == NULL) {
        free(t);
        free(run);
        free(args);
        snprintf(error->text, sizeof error->text, "out of memory");
        return NULL;
    }
    t->base.ops = ops;
    t->name = name;
    t->run = run;
    run->stack = stack;
    /* The shim's argument vector, as shim_target.c would exec it: the
     * program's name is the stack's, the --fd in it names no socket here. */
    if (!sd_shim_args_build(args, name, cfg, error)) {
        free(args);
        free(run);
        free(t);
        return NULL;
    }
    run->args = args;
    if (cfg->role == SD_ROLE_SERVER && cfg->session_cache) {
        t->session_cache = cfg->session_cache;
        if ((t->joined = sd_shim_args_join(args)) == NULL) {
            snprintf(error->text, sizeof error->text, "out of memory");
            goto fail;
        }
    }

    /* The kept server of this run's last connection begins the next one;
     * any other kept stack's run is over. */
    if (kept.name && t->joined && strcmp(kept.name, name) == 0 && strcmp(kept.joined, t->joined) == 0 &&
        sd_shim_token_take(t->session_cache, KEPT_CACHE_NAME, name, kept.token)) {
        stack_run_end(run);
        t->run = run = kept.run;
        kept.run = NULL;
        end_kept();
        shim_host_next_connection(run->stack, run->state, run->conn);
    } else {
        end_kept();
        char why[256];
        if (shim_parse_args(run->args->argc, (char *const *)run->args->argv, &run->opts, why, sizeof why) !=
            SHIM_ARGS_RUN) {
            snprintf(error->text, sizeof error->text, "%s: the shim's arguments do not parse: %.100s", name,
                     why);
            goto fail;
        }
        run->opts_parsed = true;
        if ((run->conn = shim_conn_new()) == NULL) {
            snprintf(error->text, sizeof error->text, "out of memory");
            goto fail;
        }
        run->state = shim_host_configure(stack, &run->opts, run->conn);
    }
    const shim_status *st = shim_st(run->conn);
    if (st->failed) {
        /* "unsupported: REASON" in words, as a shim says it, becomes the
         * structural kind here too; any other failure is the stack's. */
        snprintf(error->text, sizeof error->text, "%.*s", (int)sizeof error->text - 1, st->error);
        if (!sd_target_error_read_words(error))
            snprintf(error->text, sizeof error->text, "%s: %.150s", name, st->error);
        goto fail;
    }
    return &t->base;
fail:
    stack_run_end(t->run);
    free(t->joined);
    free(t);
    return NULL;
}

/* ---- The interface ----------------------------------------------------------- */

static inprocess_target *from_base(sd_target *t) { return (inprocess_target *)t; }

static void inprocess_start(sd_target *base) {
    inprocess_target *t = from_base(base);
    shim_host_step(t->run->stack, t->run->state, t->run->conn);
}

static void inprocess_feed(sd_target *base, sd_span bytes) {
    inprocess_target *t = from_base(base);
    /* As the shim target: no bytes, no step (it sends no empty DATA). */
    if (bytes.len == 0) return;
    shim_conn_feed(t->run->conn, bytes.data, bytes.len);
    shim_host_step(t->run->stack, t->run->state, t->run->conn);
}

static void inprocess_drain(sd_target *base, sd_buf *out) {
    inprocess_target *t = from_base(base);
    size_t n;
    const uint8_t *bytes = shim_conn_take(t->run->conn, &n);
    if (n) sd_buf_append(out, bytes, n);
}

/* What a shim's STATUS frame would carry (shim_target.c parse_status). */
static void inprocess_status(sd_target *base, sd_target_status *out) {
    const shim_status *st = shim_st(from_base(base)->run->conn);
    memset(out, 0, sizeof *out);
    out->handshake_done = st->handshake_done;
    out->failed = st->failed;
    out->alert_sent = st->alert_sent;
    out->alert_sent_level = st->alert_sent_level;
    out->alert_received = st->alert_received;
    out->close_notify_sent = st->close_notify_sent;
    out->version = st->version;
    out->cipher_suite = st->cipher;
    out->group = st->group;
    out->peer_authenticated = st->peer_authenticated;
    out->app_replies = st->app_replies;
    snprintf(out->error, sizeof out->error, "%.*s", (int)sizeof out->error - 1, st->error);
    /* One line, as a STATUS frame's error is. */
    for (char *p = out->error; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
}

static bool inprocess_export(sd_target *base, const char *label, uint8_t *out, size_t len) {
    inprocess_target *t = from_base(base);
    return shim_host_export(t->run->stack, t->run->state, t->run->conn, label, out, len);
}

static void inprocess_close(sd_target *base) {
    inprocess_target *t = from_base(base);
    shim_host_close(t->run->stack, t->run->state, t->run->conn);
}

static bool inprocess_export_session(sd_target *base, sd_buf *out) {
    inprocess_target *t = from_base(base);
    sd_buf_reset(out);
    if (!shim_st(t->run->conn)->handshake_done || !sd_buf_reserve(out, SHIM_MAX_SESSION)) return false;
    out->len =
        shim_host_export_session(t->run->stack, t->run->state, t->run->conn, out->data, SHIM_MAX_SESSION);
    return out->len > 0;
}

static void inprocess_destroy(sd_target *base) {
    if (base == NULL) return;
    inprocess_target *t = from_base(base);
    /* A server of several connections waits for the next one with what
     * its stack kept (see the top). */
    if (t->session_cache) {
        end_kept();
        uint64_t token = sd_shim_token_new();
        if (sd_shim_token_put(t->session_cache, KEPT_CACHE_NAME, t->name, token)) {
            kept.run = t->run;
            kept.name = t->name;
            kept.joined = t->joined;
            kept.token = token;
            t->run = NULL;
            t->joined = NULL;
        }
    }
    stack_run_end(t->run);
    free(t->joined);
    free(t);
}

#define INPROCESS_TARGET(STACK)                                                                           \
    static sd_target *create_##STACK(const sd_target_config *cfg, sd_target_error *err) {                 \
        return inprocess_create(#STACK "-inprocess", &shim_stack_##STACK, &sd_target_##STACK##_inprocess, \
                                cfg, err);                                                                \
    }                                                                                                     \
    static const char *version_##STACK(void) { return shim_stack_##STACK.version(); }                     \
    const sd_target_ops sd_target_##STACK##_inprocess = {                                                 \
        .name = #STACK "-inprocess",                                                                      \
        .create = create_##STACK,                                                                         \
        .start = inprocess_start,                                                                         \
        .feed = inprocess_feed,                                                                           \
        .drain = inprocess_drain,                                                                         \
        .status = inprocess_status,                                                                       \
        .export_keying_material = inprocess_export,                                                       \
        .export_session = inprocess_export_session,                                                       \
        .version = version_##STACK,                                                                       \
        .destroy = inprocess_destroy,                                                                     \
        .close = inprocess_close,                                                                         \
        .resumes_across_targets = true,                                                                   \
        .sets_renegotiation = true,                                                                       \
    };

#ifdef SHAKEDOWN_INPROCESS_WOLFSSL
INPROCESS_TARGET(wolfssl)
#endif
#ifdef SHAKEDOWN_INPROCESS_MBEDTLS
INPROCESS_TARGET(mbedtls)
#endif
#ifdef SHAKEDOWN_INPROCESS_GNUTLS
INPROCESS_TARGET(gnutls)
#endif

const sd_target_ops *const sd_inprocess_shim_targets[] = {
#ifdef SHAKEDOWN_INPROCESS_WOLFSSL
    &sd_target_wolfssl_inprocess,
#endif
#ifdef SHAKEDOWN_INPROCESS_MBEDTLS
    &sd_target_mbedtls_inprocess,
#endif
#ifdef SHAKEDOWN_INPROCESS_GNUTLS
    &sd_target_gnutls_inprocess,
#endif
    NULL,
};
