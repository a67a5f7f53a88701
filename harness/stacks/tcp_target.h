/* tcp_target.h — any TLS server or client on a port, observed from the wire.
 *
 * `shakedown conform --connect HOST:PORT` tests a running server: each
 * connection of a scenario opens one connection to it. `--listen PORT
 * --client-cmd '...'` tests a client: each connection starts the command
 * (split into an argv, no shell) and accepts its connection; the later
 * connections of a scenario that resumes start --client-resume-cmd, handed
 * the session the last client wrote (export_session reads it). Over TCP there is no status channel, so
 * drain() reads until the peer has been quiet for a while, and the status
 * says only what the socket says: the peer closed (failed), the client
 * process died by a signal (crashed), or the peer never said anything
 * (hung: a client that never connected or sent nothing, a server that
 * answered nothing to the first handshake record).
 *
 * How long "quiet" is adapts to the peer: each answer's delay after the
 * driver's bytes is a round-trip sample, and the quiet window is the larger
 * of the floor (idle_ms), twice the smoothed round trip and the RFC 6298
 * retransmission timeout (SRTT + 4 RTTVAR), so a peer behind a slow link is
 * waited for as long as it needs and a fast one costs little. The first
 * answer of each connection to a server is waited for up to timeout_ms: it
 * is always a sample, and a server that gives none is a HANG.
 *
 * The target interface carries no per-stack options, so the CLI configures
 * the one tcp target of the process with sd_tcp_setup() before the run. */
#ifndef SHAKEDOWN_STACKS_TCP_TARGET_H
#define SHAKEDOWN_STACKS_TCP_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/target.h"
#include "util/util.h"

typedef struct {
    const char *connect;    /* "HOST:PORT" of the server under test, or NULL */
    bool allow_remote;      /* else HOST must be a loopback address */
    int listen_port;        /* -1: no client under test; 0: an ephemeral port */
    const char *client_cmd; /* the client under test; "{port}" becomes the port */
    /* The same client, started to resume a session (the later connections
     * of a trace, RFC 8446 §2.2, RFC 5246 §7.3): "{session-in}" becomes a
     * file holding the session the client of the last connection wrote,
     * and, in either command, "{session-out}" a fresh file the client
     * writes its session to (openssl s_client -sess_in / -sess_out). NULL:
     * the scenarios of several connections are unsupported. */
    const char *client_resume_cmd;
    int idle_ms;    /* floor of the quiet window that ends a drain (default 30) */
    int timeout_ms; /* connect/accept/first-byte limit (default 5000) */
    /* What the peer does with application data (sd_app_protocol), or
     * SD_TCP_APP_DEFAULT: HTTP for a server, nothing for a client (what
     * `openssl s_server -www`, `gnutls-serv --http`, `openssl s_client` and
     * `gnutls-cli` do when started without more). A zeroed struct is
     * SD_APP_ECHO. */
    int app;
} sd_tcp_options;

#define SD_TCP_APP_DEFAULT (-1)

/* The application behaviour in force for a peer of `role`: the one
 * sd_tcp_use_app chose, else --app, else the default (HTTP for a server,
 * none for a client). */
int sd_tcp_app(sd_role role);
/* Sets the behaviour for a peer of `role` (what a probe found it does);
 * SD_TCP_APP_DEFAULT goes back to the options'. */
void sd_tcp_use_app(sd_role role, int app);

/* The quiet window in force now, in ms (for reports and tests). */
int sd_tcp_quiet_ms(void);

/* Checks and stores the options, and binds the listening socket (loopback
 * only). Returns false with a message for the user on a bad option. */
SD_MUST_CHECK bool sd_tcp_setup(const sd_tcp_options *o, char *err, size_t err_len);
/* Before the run (after setup): with --connect, one TCP connection to the
 * server, closed at once; with --listen, the client command run once, which
 * must connect within the time limit. False with a message for the user if
 * the server is not there or the client cannot be run or does not connect
 * (a program that is missing, not executable, or exits at once). */
SD_MUST_CHECK bool sd_tcp_check_peer(char *err, size_t err_len);
/* A client under test can be handed the session of its last connection
 * (--client-resume-cmd was given): the scenarios of several connections
 * can run. */
bool sd_tcp_hands_over_sessions(void);
/* The port the listener is bound to (after setup), -1 if none. */
int sd_tcp_listen_port(void);
/* Closes the listener. */
void sd_tcp_teardown(void);

/* Splits a command line into an argv the way a shell would split words,
 * without any expansion: whitespace separates words, '...' is literal,
 * "..." allows \" and \\, a backslash outside quotes escapes the next
 * character. "{port}" in a word becomes port (when port >= 0). Returns a
 * NULL-terminated vector to free with sd_argv_free, or NULL with a message. */
char **sd_argv_split(const char *cmd, int port, char *err, size_t err_len);
/* The same with any placeholders: each `name` in a word becomes `value`
 * (a NULL value leaves the name as it is). */
typedef struct {
    const char *name, *value;
} sd_argv_placeholder;
char **sd_argv_split_with(const char *cmd, const sd_argv_placeholder *subs, size_t n_subs, char *err,
                          size_t err_len);
void sd_argv_free(char **argv);

extern const sd_target_ops sd_target_tcp;

#endif
