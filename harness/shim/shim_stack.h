/* shim_stack.h — a TLS stack behind the shim contract (docs/shim-contract.md),
 * without the process around it.
 *
 * A stack part (shim_wolfssl.c, shim_mbedtls.c, shim_gnutls.c here; the
 * OpenSSL one lives with its program, targets/shims/shim_openssl.c, because
 * OpenSSL's libssl clashes with BoringSSL's) is one shim_stack: configure
 * from shim_opts, run over memory I/O (a shim_conn), say what happened in a
 * shim_status. Two hosts run the same parts with the same options:
 *
 *   - the shim programs (targets/shims/shim_common.c, shim_main): a process
 *     per stack, frames over a socket;
 *   - the in-process targets (harness/stacks/inprocess_shim_target.c): the
 *     stack next to the model and BoringSSL, for fuzzing with coverage of
 *     the stack's own code.
 *
 * Both build the option vector the same way (stacks/shim_args.h) and parse
 * it with shim_parse_args, so that a stack has one configuration. The host
 * side below (shim_conn_*, shim_host_*) holds what the contract says about
 * each frame, so that both hosts answer it alike.
 *
 * Plain C11 + POSIX, no shakedown dependencies: the bottom layer. Each stack
 * part is its own static library (sd_shim_<stack>), linked only where used. */
#ifndef SHAKEDOWN_SHIM_SHIM_STACK_H
#define SHAKEDOWN_SHIM_SHIM_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim/shim_protocol.h"

/* ---- Configuration (argv) ------------------------------------------------ */

typedef enum { SHIM_CLIENT, SHIM_SERVER } shim_role;
typedef enum { SHIM_AUTH_NONE, SHIM_AUTH_REQUEST, SHIM_AUTH_REQUIRE } shim_client_auth;
/* An on|off flag whose absence leaves the stack's own default. */
typedef enum { SHIM_SWITCH_DEFAULT, SHIM_SWITCH_OFF, SHIM_SWITCH_ON } shim_switch;

typedef struct {
    shim_role role;
    uint16_t min_version, max_version; /* SHIM_TLS12 / SHIM_TLS13 */
    const char *cert;                  /* PEM chain, leaf first (server; client with client auth) */
    const char *key;                   /* PEM private key of the leaf */
    const char *trust;                 /* PEM trust anchor(s) */
    /* PEM CRL(s) to consult when verifying the peer, NULL = none. A
     * certificate whose issuer has a CRL here must not be listed in it; one
     * whose issuer has none is not checked for revocation. */
    const char *crl;
    /* PEM certificate(s) of the CRLs' issuers when they are no trust
     * anchors, for stacks that check a CRL's signature when loading it
     * (wolfSSL); NULL = the trust anchors signed them. Not trusted for
     * anything else. */
    const char *crl_issuer;
    const char *server_name; /* client: SNI and the name the leaf must carry */
    int64_t time;            /* validation time; 0 = the clock */
    const char *groups;      /* comma-separated IANA group names, NULL = stack default */
    const char *ciphers;     /* comma-separated IANA cipher suite names, NULL = default */
    /* Comma-separated IANA SignatureScheme names (--sigalgs), NULL = the
     * stack's defaults: a client offers exactly these in signature_algorithms
     * and accepts the server's signature under them only; a server lists
     * exactly these in its CertificateRequest and accepts the client's
     * CertificateVerify under them only (RFC 8446 §4.4.3, RFC 5246 §7.4.4,
     * §7.4.8), as the model does with sd_target_config.sigalgs. A stack that
     * cannot send exactly this list refuses it, "unsupported:". */
    const char *sigalgs;
    shim_client_auth client_auth;
    /* After the handshake, answer each application-data read that holds a
     * newline with these bytes, instead of echoing it (--app-reply-hex,
     * shim_app_answer); NULL = echo. They live as long as the run (until
     * destroy(): a RESET frees them). */
    const uint8_t *app_reply;
    size_t app_reply_len;
    /* Resumption, only when the harness asks (off by default, so that a run
     * of one connection is what it always was). session_tickets: a server
     * issues tickets (RFC 8446 §4.6.1, RFC 5077); a client offers the TLS
     * 1.2 session_ticket extension, or in TLS 1.3 psk_key_exchange_modes,
     * and keeps the tickets it gets. session_cache: a server keeps a TLS
     * 1.2 session cache (RFC 5246 §7.4.1.2) for the connections of this
     * process (NEXT frames). resume_session: a client resumes this session,
     * which an earlier SESSION frame of the same stack's shim gave out
     * (NULL: a full handshake). */
    bool session_tickets;
    bool session_cache;
    const uint8_t *resume_session;
    size_t resume_session_len;
    /* TLS 1.2 renegotiation (RFC 5746 secure renegotiation only, RFC 5746
     * §4.2, §4.4), only when the harness asks: a client answers a
     * HelloRequest by renegotiating, a server takes a ClientHello after the
     * handshake. Off (the default): a client answers a HelloRequest, a
     * server such a ClientHello, with a warning no_renegotiation alert (RFC
     * 5246 §7.2.2) and carries on. */
    bool renegotiation;
    /* 0-RTT (RFC 8446 §2.3, §4.2.10), TLS 1.3, only when the harness asks.
     * max_early_data: a server issues tickets whose early_data extension
     * allows this many bytes (max_early_data_size, §4.6.1), accepts early
     * data offered with one of them, reading at most that many bytes of it
     * (more is unexpected_message, §4.2.10), and echoes what it read once
     * its handshake is done (shim_early_data_keep); 0: no 0-RTT. early_data:
     * a client resuming a session whose ticket allows 0-RTT sends these
     * bytes as early data, once (NULL: none). A stack without 0-RTT refuses
     * either, "unsupported:". */
    uint32_t max_early_data;
    const uint8_t *early_data;
    size_t early_data_len;
    /* encrypt_then_mac (RFC 7366), TLS 1.2 CBC suites (--encrypt-then-mac).
     * On: a client offers it in a ClientHello that offers TLS 1.2; a server
     * echoes a client's offer when it selects a CBC suite (§3: never for an
     * AEAD or stream suite), and both then protect CBC records as
     * IV || ENC(content || padding) || MAC. Off: a client does not offer it
     * and a server ignores the offer. Default: whatever the stack does
     * unasked (GnuTLS, mbedTLS, OpenSSL and wolfSSL offer and accept it). */
    shim_switch encrypt_then_mac;
    /* max_fragment_length (RFC 6066 §4, --max-fragment-length), in bytes:
     * 512, 1024, 2048 or 4096; 0: the stack's default (no client requests
     * one). A client requests this length and holds the server's answer to
     * it (another value is illegal_parameter); a server accepts the length
     * a client requests, whichever of the four (the value only turns it
     * on, as the model's sd_target_config.max_fragment_length), and refuses
     * any other code with illegal_parameter. Negotiated, every record
     * either way is at most that long, and a longer one is record_overflow. */
    uint16_t max_fragment_length;
    /* record_size_limit (RFC 8449, --record-size-limit), 64..16385: the
     * value this side sends in the extension (a client in its ClientHello,
     * a server in its answer to a client's offer: EncryptedExtensions in TLS
     * 1.3, ServerHello in TLS 1.2), the largest protected record plaintext
     * it receives (in TLS 1.3 the whole TLSInnerPlaintext, content type
     * included, §4); an offer under 64 is illegal_parameter. 0: the stack's
     * default (GnuTLS sends its own; the others none). */
    uint16_t record_size_limit;
    int fd; /* a shim program's socket to the harness (--fd); unused in process */
} shim_opts;

/* ---- What the shim reports ----------------------------------------------- */

typedef struct {
    bool handshake_done;
    bool failed;
    int alert_sent, alert_sent_level; /* last alert sent other than close_notify, -1 if none */
    int alert_received;               /* last alert received, -1 if none */
    bool close_notify_sent;
    uint16_t version, cipher, group; /* negotiated IANA code points, 0 if not yet */
    bool peer_authenticated;
    unsigned app_replies; /* times the --app-reply-hex reply went out (shim_app_answer) */
    char error[256];
} shim_status;

/* ---- Memory I/O for the stack ---------------------------------------------
 * The stack reads the peer's bytes with shim_read (0 = nothing more for now:
 * the stack must treat it as "would block") and writes with shim_write (never
 * blocks, never short). */
typedef struct shim_conn shim_conn;
size_t shim_read(shim_conn *c, void *dst, size_t n);
size_t shim_pending(const shim_conn *c);
void shim_write(shim_conn *c, const void *src, size_t n);
shim_status *shim_st(shim_conn *c);

/* What to write back for one read of application data after the handshake
 * (the echo contract, docs/shim-contract.md): the n bytes read, as they
 * are; or with --app-reply-hex the reply, if the read holds a newline
 * (0x0a: the end of a request line, as `openssl s_server -www` answers),
 * and nothing (NULL) if it does not. Sets *n to the length to write and
 * counts the replies in shim_st(c)->app_replies. */
const void *shim_app_answer(shim_conn *c, const void *data, size_t *n);

/* Server, 0-RTT (--max-early-data): keeps early data the stack read before
 * its handshake was done, for the echo (the echo contract covers 0-RTT too:
 * harness/protocol/target.h, docs/shim-contract.md). */
void shim_early_data_keep(shim_conn *c, const void *data, size_t n);

/* Once the handshake is done: the early data kept, to be written back now,
 * and forgotten. NULL (and *n = 0) if none was kept, or with
 * --app-reply-hex, whose reply answers requests made after the handshake
 * only, as the model's and the BoringSSL adapter's do. The bytes stay valid
 * until the next shim_early_data_keep. */
const void *shim_early_data_echo(shim_conn *c, size_t *n);

/* Marks the connection failed and records the first reason only (later errors
 * are usually consequences of the first). printf-style. */
void shim_fail(shim_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- The stack-specific part ----------------------------------------------- */
typedef struct {
    const char *name;
    /* The stack's version string, for --version and reports. */
    const char *(*version)(void);
    /* Configures the stack from o. Returns NULL and fills err if it cannot;
     * an err starting with "unsupported:" means the stack lacks the feature
     * (the harness reports SKIP), anything else is a configuration error. */
    void *(*create)(const shim_opts *o, shim_conn *c, char *err, size_t err_len);
    /* Runs the stack as far as the input allows: the handshake (a client
     * starts it on the first call), then the echo of application data, then
     * the answer to a close_notify. Called after START and after each DATA. */
    void (*step)(void *s, shim_conn *c);
    /* Fills the negotiated parameters into shim_st(c) (the rest is kept up to
     * date by step). */
    void (*status)(void *s, shim_conn *c);
    void (*destroy)(void *s);
    /* Optional: the RFC 5705 / RFC 8446 §7.5 exporter, no context, once the
     * handshake is done (the host only asks then). False if the stack
     * cannot; NULL for a stack without one. */
    bool (*export_keying_material)(void *s, const char *label, uint8_t *out, size_t len);
    /* Optional: send close_notify now and nothing after it (RFC 8446 §6.1),
     * the way `openssl s_server -www` ends a connection after its page. The
     * host asks only after the handshake, before the shim failed or
     * sent a close_notify. NULL: CLOSE frames are answered with a STATUS
     * only. */
    void (*close)(void *s, shim_conn *c);
    /* Optional: the connection is over (NEXT); make a new one of the same
     * configuration on c (made fresh by the host), keeping what a server
     * keeps between connections: its session cache and ticket keys. False
     * and err if it cannot ("unsupported:" when the stack lacks it). NULL:
     * NEXT is answered with failed=1, unsupported. */
    bool (*next_connection)(void *s, shim_conn *c, char *err, size_t err_len);
    /* Optional: the stack's own serialization of the session of this
     * connection, if it is resumable (a client after a ticket, or after a
     * TLS 1.2 handshake that named a session): writes at most cap bytes
     * and returns how many, 0 if there is none. create() takes it back
     * from o->resume_session. */
    size_t (*export_session)(void *s, uint8_t *out, size_t cap);
    /* True if destroy() leaves the process as exec left it, for this
     * stack: everything of the run gone, what the stack keeps process-wide
     * included (a session store, a clock the library asks), so that
     * create() can begin another run from a clean state. Then the shim
     * takes RESET frames (docs/shim-contract.md, "Persistent shims"), its
     * every STATUS says reset=1, and the harness may keep the process for
     * many runs. False: one run a process (a stack that keeps what no call
     * clears). The options create() is given live until destroy(). */
    bool resets;
} shim_stack;

/* Calls fn for each comma-separated item of list; stops and returns false when
 * fn does. */
bool shim_each(const char *list, bool (*fn)(const char *item, void *ctx), void *ctx);

/* ---- The stack parts built here ------------------------------------------
 * Defined only in their own libraries (sd_shim_wolfssl, sd_shim_mbedtls,
 * sd_shim_gnutls), which the build makes when the stack's Debian dev package
 * is present: link the library before naming the part. */
extern const shim_stack shim_stack_wolfssl;
extern const shim_stack shim_stack_mbedtls;
extern const shim_stack shim_stack_gnutls;

/* ---- The host's side ------------------------------------------------------
 * What shim_main and the in-process targets share: the options, the
 * connection's queues, and the contract's answer to each frame. */

typedef enum {
    SHIM_ARGS_RUN,     /* *o is filled: configure the stack */
    SHIM_ARGS_HELP,    /* --help was asked for */
    SHIM_ARGS_VERSION, /* --version was asked for */
    SHIM_ARGS_BAD,     /* err says why (without the program's name) */
} shim_args_result;

/* Parses a shim's argument vector (docs/shim-contract.md, "Starting"; argv[0]
 * is the program's name, argv[argc] NULL) into *o, which points into argv
 * and owns the buffers decoded from hex until shim_opts_free. --role and
 * --fd are required. */
shim_args_result shim_parse_args(int argc, char *const *argv, shim_opts *o, char *err, size_t err_len);
void shim_opts_free(shim_opts *o);

/* RFC 6066 §4's MaxFragmentLength code (1-4) of a --max-fragment-length in
 * bytes (2^9..2^12). The stacks' own constants for the four lengths are
 * these codes (each part checks it where it passes one). */
uint8_t shim_max_fragment_length_code(uint16_t bytes);

/* The connection's memory queues. shim_conn_new: NULL if out of memory. */
shim_conn *shim_conn_new(void);
void shim_conn_free(shim_conn *c);
/* A new connection: empty queues, a fresh status. What the last one left
 * unread or unsent is dropped with it. */
void shim_conn_fresh(shim_conn *c);
/* Bytes from the peer, for shim_read. */
void shim_conn_feed(shim_conn *c, const void *data, size_t n);
/* Room for n more bytes from the peer, to be committed with
 * shim_conn_commit once written (a host that reads them from a socket). */
uint8_t *shim_conn_reserve(shim_conn *c, size_t n);
void shim_conn_commit(shim_conn *c, size_t n);
/* What the stack wrote for the peer since the last shim_conn_take: *n bytes,
 * valid until the next call on c; the queue is empty afterwards. */
const uint8_t *shim_conn_take(shim_conn *c, size_t *n);

/* Configures stack from o for a new run on c (fresh, o's --app-reply-hex
 * in place): the stack's state, or NULL with shim_st(c) failed and saying
 * why. o must outlive the state. */
void *shim_host_configure(const shim_stack *stack, const shim_opts *o, shim_conn *c);
/* START and DATA: the stack runs as far as its input allows. */
void shim_host_step(const shim_stack *stack, void *s, shim_conn *c);
/* CLOSE: the stack's close_notify, once the handshake is done, unless it
 * failed or sent one already. */
void shim_host_close(const shim_stack *stack, void *s, shim_conn *c);
/* EXPORT: len (1..SHIM_MAX_EXPORT_LEN) bytes of the exporter with label and
 * no context, once the handshake is done; false if there are none. */
bool shim_host_export(const shim_stack *stack, void *s, shim_conn *c, const char *label, uint8_t *out,
                      size_t len);
/* SESSION: the stack's serialized session into out (at most cap bytes), 0
 * if it has no resumable one. */
size_t shim_host_export_session(const shim_stack *stack, void *s, shim_conn *c, uint8_t *out, size_t cap);
/* NEXT: a new connection on the same state (c made fresh); on failure
 * shim_st(c) is failed and says why ("unsupported:" for a stack without
 * several connections). */
void shim_host_next_connection(const shim_stack *stack, void *s, shim_conn *c);

#endif
