/* tcp_target.c — a TLS server or client on a loopback port; see tcp_target.h.
 *
 * Unlike the shim, a peer on a socket gives no signal that it has finished
 * reacting, so drain() waits until the peer has been quiet for the quiet
 * window (quiet_window(), from the round trips measured so far). To keep
 * runs fast, the first drain after a feed waits, and a second one waits
 * again only if the first heard nothing (an answer slower than the window
 * gets one more chance before the driver decides the peer is waiting);
 * after that a drain reads what is already there and returns. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "stacks/tcp_target.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stacks/stacks.h"
#include "util/util.h"

extern char **environ;

/* The placeholders of the session handover (tcp_target.h). */
#define SESSION_IN "{session-in}"
#define SESSION_OUT "{session-out}"

static struct {
    bool configured;
    char host[256], port[16];
    bool have_server;
    int listen_fd, listen_port;
    char *client_cmd, *client_resume_cmd;
    int idle_ms, timeout_ms;
    int app;            /* sd_app_protocol, or SD_TCP_APP_DEFAULT */
    int app_of_role[2]; /* sd_tcp_use_app's choice per sd_role, or SD_TCP_APP_DEFAULT */
    /* Round-trip estimate over every connection of the run (RFC 6298 §2):
     * the peer is the same program each time. */
    bool have_rtt;
    double srtt, rttvar;
    char version[320];
} g = {.listen_fd = -1, .listen_port = -1, .app_of_role = {SD_TCP_APP_DEFAULT, SD_TCP_APP_DEFAULT}};

typedef struct {
    sd_target base; /* must be first */
    sd_role role;
    int fd;
    pid_t client_pid;
    pid_t client_group; /* its process group, killed with it (what it started too) */
    int client_stdin;   /* kept open so a client that reads stdin does not see EOF */
    /* The temporary files of the session handover ("" when unused): the one
     * this client writes its session to, and the one it resumes from. */
    char session_out[256], session_in[256];
    bool waited_since_feed;
    bool heard_since_feed; /* a byte (or the end) came since the last feed */
    bool waited_twice;     /* the second wait after a feed is spent */
    bool heard;            /* the peer has sent a byte on this connection */
    bool first_answer_due; /* a server was sent a handshake record and has not answered yet */
    double fed_at;         /* when the last feed went out, for the round-trip sample */
    double first_byte_at;  /* when the peer's first byte came */
    sd_buf out;
    sd_target_status st;
} tcp_target;

/* ---- argv splitting --------------------------------------------------------- */

void sd_argv_free(char **argv) {
    if (!argv) return;
    for (char **p = argv; *p; p++) free(*p);
    free(argv);
}

/* Stores one word, each placeholder in it replaced by its value. */
static bool push_word(char ***argv, size_t *n, const char *w, size_t len, const sd_argv_placeholder *subs,
                      size_t n_subs) {
    size_t cap = len + 1, o = 0;
    for (size_t k = 0; k < n_subs; k++)
        if (subs[k].value) cap += (len / strlen(subs[k].name) + 1) * strlen(subs[k].value);
    char *s = malloc(cap);
    if (!s) return false;
    for (size_t i = 0; i < len;) {
        size_t k = 0;
        while (k < n_subs && !(subs[k].value && len - i >= strlen(subs[k].name) &&
                               memcmp(w + i, subs[k].name, strlen(subs[k].name)) == 0))
            k++;
        if (k < n_subs) {
            size_t vl = strlen(subs[k].value);
            memcpy(s + o, subs[k].value, vl);
            o += vl;
            i += strlen(subs[k].name);
        } else {
            s[o++] = w[i++];
        }
    }
    s[o] = '\0';
    char **v = realloc(*argv, (*n + 2) * sizeof *v);
    if (!v) {
        free(s);
        return false;
    }
    v[(*n)++] = s;
    v[*n] = NULL;
    *argv = v;
    return true;
}

char **sd_argv_split(const char *cmd, int port, char *err, size_t err_len) {
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    sd_argv_placeholder sub = {"{port}", port >= 0 ? portstr : NULL};
    return sd_argv_split_with(cmd, &sub, 1, err, err_len);
}

char **sd_argv_split_with(const char *cmd, const sd_argv_placeholder *subs, size_t n_subs, char *err,
                          size_t err_len) {
    size_t n = 0, len = strlen(cmd);
    char **argv = calloc(1, sizeof *argv);
    char *word = malloc(len + 1);
    if (!argv || !word) {
        free(argv);
        free(word);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    size_t w = 0;
    bool in_word = false;
    for (size_t i = 0; i < len; i++) {
        char c = cmd[i];
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word && !push_word(&argv, &n, word, w, subs, n_subs)) goto oom;
            in_word = false;
            w = 0;
        } else if (c == '\'') {
            in_word = true;
            size_t j = i + 1;
            while (j < len && cmd[j] != '\'') word[w++] = cmd[j++];
            if (j == len) {
                snprintf(err, err_len, "unterminated ' in the command");
                goto fail;
            }
            i = j;
        } else if (c == '"') {
            in_word = true;
            size_t j = i + 1;
            while (j < len && cmd[j] != '"') {
                if (cmd[j] == '\\' && j + 1 < len && (cmd[j + 1] == '"' || cmd[j + 1] == '\\')) j++;
                word[w++] = cmd[j++];
            }
            if (j == len) {
                snprintf(err, err_len, "unterminated \" in the command");
                goto fail;
            }
            i = j;
        } else if (c == '\\') {
            if (i + 1 == len) {
                snprintf(err, err_len, "the command ends with a backslash");
                goto fail;
            }
            in_word = true;
            word[w++] = cmd[++i];
        } else {
            in_word = true;
            word[w++] = c;
        }
    }
    if (in_word && !push_word(&argv, &n, word, w, subs, n_subs)) goto oom;
    free(word);
    if (n == 0) {
        snprintf(err, err_len, "the command is empty");
        sd_argv_free(argv);
        return NULL;
    }
    return argv;
oom:
    snprintf(err, err_len, "out of memory");
fail:
    free(word);
    sd_argv_free(argv);
    return NULL;
}

/* ---- Setup -------------------------------------------------------------------- */

static bool is_loopback(const struct sockaddr *sa) {
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        static const unsigned char lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        return memcmp(in6->sin6_addr.s6_addr, lo, 16) == 0;
    }
    return false;
}

static bool split_host_port(const char *s, char *host, size_t host_len, char *port, size_t port_len) {
    const char *colon;
    const char *h = s;
    size_t hl;
    if (*s == '[') { /* [::1]:443 */
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':') return false;
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon) return false;
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= host_len || strlen(colon + 1) == 0 || strlen(colon + 1) >= port_len) return false;
    memcpy(host, h, hl);
    host[hl] = '\0';
    snprintf(port, port_len, "%s", colon + 1);
    char *end;
    long p = strtol(port, &end, 10);
    return *end == '\0' && p > 0 && p < 65536;
}

bool sd_tcp_setup(const sd_tcp_options *o, char *err, size_t err_len) {
    sd_tcp_teardown();
    g.idle_ms = o->idle_ms > 0 ? o->idle_ms : 30;
    g.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
    g.app = o->app;
    g.app_of_role[SD_ROLE_CLIENT] = g.app_of_role[SD_ROLE_SERVER] = SD_TCP_APP_DEFAULT;
    g.have_rtt = false;
    g.srtt = g.rttvar = 0;
    if (g.app != SD_TCP_APP_DEFAULT && (g.app < SD_APP_ECHO || g.app > SD_APP_NONE)) {
        snprintf(err, err_len, "unknown application behaviour %d", g.app);
        return false;
    }
    g.have_server = false;
    size_t vpos = 0;
    g.version[0] = '\0';
    if (o->connect) {
        if (!split_host_port(o->connect, g.host, sizeof g.host, g.port, sizeof g.port)) {
            snprintf(err, err_len, "--connect wants HOST:PORT (port 1..65535), not '%s'", o->connect);
            return false;
        }
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
        struct addrinfo *res = NULL;
        int r = getaddrinfo(g.host, g.port, &hints, &res);
        if (r != 0) {
            snprintf(err, err_len, "--connect %s: %s", o->connect, gai_strerror(r));
            return false;
        }
        bool all_loopback = true;
        for (struct addrinfo *a = res; a; a = a->ai_next) all_loopback &= is_loopback(a->ai_addr);
        freeaddrinfo(res);
        if (!all_loopback && !o->allow_remote) {
            snprintf(err, err_len,
                     "--connect %s is not a loopback address; network modes stay on loopback "
                     "unless --allow-remote is given",
                     o->connect);
            return false;
        }
        g.have_server = true;
        int w = snprintf(g.version, sizeof g.version, "server at %s", o->connect);
        vpos = w > 0 ? (size_t)w : 0;
    }
    if (o->listen_port >= 0) {
        if (!o->client_cmd || !*o->client_cmd) {
            snprintf(err, err_len, "--listen needs --client-cmd (the client to start per scenario)");
            return false;
        }
        char **probe = sd_argv_split(o->client_cmd, 0, err, err_len);
        if (!probe) return false;
        sd_argv_free(probe);
        if (strstr(o->client_cmd, SESSION_IN)) {
            snprintf(err, err_len,
                     "--client-cmd starts a client with no session to resume: " SESSION_IN
                     " is for --client-resume-cmd");
            return false;
        }
        if (o->client_resume_cmd) {
            if (!(probe = sd_argv_split(o->client_resume_cmd, 0, err, err_len))) return false;
            sd_argv_free(probe);
            /* The first client must leave a session, the resuming one must
             * be given it. */
            if (!strstr(o->client_cmd, SESSION_OUT) || !strstr(o->client_resume_cmd, SESSION_IN)) {
                snprintf(err, err_len,
                         "--client-resume-cmd needs " SESSION_IN
                         " in it (the session to resume) and " SESSION_OUT
                         " in --client-cmd (where the client writes its session)");
                return false;
            }
        }
        /* Bound to loopback always: the client under test is started here. */
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->listen_port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
            bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4) != 0) {
            snprintf(err, err_len, "--listen %d: cannot listen on 127.0.0.1: %s", o->listen_port,
                     strerror(errno));
            if (fd >= 0) close(fd);
            return false;
        }
        socklen_t sl = sizeof sa;
        getsockname(fd, (struct sockaddr *)&sa, &sl);
        g.listen_fd = fd;
        g.listen_port = ntohs(sa.sin_port);
        g.client_cmd = strdup(o->client_cmd);
        g.client_resume_cmd = o->client_resume_cmd ? strdup(o->client_resume_cmd) : NULL;
        if (vpos < sizeof g.version)
            snprintf(g.version + vpos, sizeof g.version - vpos, "%sclient `%s` via 127.0.0.1:%d",
                     vpos ? "; " : "", o->client_cmd, g.listen_port);
    }
    /* One line in the reports, whatever the command's layout. */
    for (char *c = g.version; *c; c++)
        if (*c == '\n' || *c == '\t' || *c == '\r') *c = ' ';
    if (!g.have_server && g.listen_fd < 0) {
        snprintf(err, err_len, "the tcp target needs --connect or --listen");
        return false;
    }
    g.configured = true;
    return true;
}

int sd_tcp_listen_port(void) { return g.listen_port; }

bool sd_tcp_hands_over_sessions(void) { return g.client_resume_cmd != NULL; }

void sd_tcp_teardown(void) {
    if (g.listen_fd >= 0) close(g.listen_fd);
    g.listen_fd = g.listen_port = -1;
    free(g.client_cmd);
    free(g.client_resume_cmd);
    g.client_cmd = g.client_resume_cmd = NULL;
    g.configured = false;
}

/* ---- Connections ---------------------------------------------------------------- */

static int connect_server(char *err, size_t err_len) {
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int r = getaddrinfo(g.host, g.port, &hints, &res);
    if (r != 0) {
        sd_set_error(err, err_len, "%s:%s: %s", g.host, g.port, gai_strerror(r));
        return -1;
    }
    int fd = -1;
    int last_errno = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
        if (errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (poll(&p, 1, g.timeout_ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
                soerr == 0)
                break;
            last_errno = soerr ? soerr : ETIMEDOUT;
        } else {
            last_errno = errno;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        sd_set_error(err, err_len, "cannot connect to %s:%s: %s", g.host, g.port, strerror(last_errno));
    return fd;
}

/* execve takes a path: a bare program name is looked up in $PATH here, in the
 * parent, since the search is not async-signal-safe after fork. A program
 * that is missing or cannot be run is the user's mistake, said before the
 * run (sd_tcp_check_peer), not 1,600 ERROR cells later. */
static bool is_program(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The flag a command came from, for the messages. */
static const char *flag_of(const char *cmd) {
    return cmd == g.client_resume_cmd ? "--client-resume-cmd" : "--client-cmd";
}

static bool resolve_program(char **prog, const char *flag, char *err, size_t err_len) {
    if (strchr(*prog, '/')) {
        if (is_program(*prog)) return true;
        if (access(*prog, F_OK) != 0)
            snprintf(err, err_len, "%s: %s: %s", flag, *prog, strerror(errno));
        else
            snprintf(err, err_len, "%s: %s is not an executable file", flag, *prog);
        return false;
    }
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    char cand[4096];
    bool seen = false; /* a file of that name that cannot be run */
    for (const char *p = path; *p;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        int w = snprintf(cand, sizeof cand, "%.*s/%s", (int)n, n ? p : ".", *prog);
        if (w > 0 && (size_t)w < sizeof cand && is_program(cand)) {
            char *copy = strdup(cand);
            if (!copy) break;
            free(*prog);
            *prog = copy;
            return true;
        }
        if (w > 0 && (size_t)w < sizeof cand && access(cand, F_OK) == 0) seen = true;
        if (!colon) break;
        p = colon + 1;
    }
    snprintf(err, err_len, "%s: no %sprogram '%s' in $PATH", flag, seen ? "executable " : "", *prog);
    return false;
}

/* A new file of this process's own in $TMPDIR (else /tmp) holding
 * `content`, its path in `path`: where a client writes its session, or
 * reads the one it resumes. False with a message (and nothing left). */
static bool make_session_file(char *path, size_t len, sd_span content, char *err, size_t err_len) {
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    int w = snprintf(path, len, "%s/shakedown-session-XXXXXX", dir);
    if (w < 0 || (size_t)w >= len) {
        snprintf(err, err_len, "$TMPDIR is too long for a session file");
        path[0] = '\0';
        return false;
    }
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(err, err_len, "cannot make a session file in %s: %s", dir, strerror(errno));
        path[0] = '\0';
        return false;
    }
    size_t off = 0;
    while (off < content.len) {
        ssize_t n = write(fd, content.data + off, content.len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            snprintf(err, err_len, "cannot write the session file %s: %s", path, strerror(errno));
            close(fd);
            unlink(path);
            path[0] = '\0';
            return false;
        }
        off += (size_t)n;
    }
    close(fd);
    return true;
}

static void remove_session_file(char *path) {
    if (path[0]) unlink(path);
    path[0] = '\0';
}

/* Starts a client command (one process per connection), its stdin a pipe
 * returned in *stdin_fd; session_in and session_out ("" if none) replace
 * the handover's placeholders. Returns its pid, or -1 with a message. */
static pid_t start_client(const char *cmd, const char *session_in, const char *session_out, int *stdin_fd,
                          char *err, size_t err_len) {
    *stdin_fd = -1;
    char port[16];
    snprintf(port, sizeof port, "%d", g.listen_port);
    const sd_argv_placeholder subs[] = {{"{port}", port},
                                        {SESSION_IN, session_in[0] ? session_in : NULL},
                                        {SESSION_OUT, session_out[0] ? session_out : NULL}};
    char **argv = sd_argv_split_with(cmd, subs, sizeof subs / sizeof subs[0], err, err_len);
    if (!argv || !resolve_program(&argv[0], flag_of(cmd), err, err_len)) {
        sd_argv_free(argv);
        return -1;
    }
    int in[2];
    if (pipe(in) != 0) {
        snprintf(err, err_len, "pipe: %s", strerror(errno));
        sd_argv_free(argv);
        return -1;
    }
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    fcntl(in[0], F_SETFD, FD_CLOEXEC);
    fcntl(in[1], F_SETFD, FD_CLOEXEC);
    const char *se = getenv("SHAKEDOWN_SHIM_STDERR");
    bool keep_stderr = se && *se && strcmp(se, "0") != 0;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* Only async-signal-safe calls between fork and execve. The client
         * dies with shakedown, and leads a process group of its own: what it
         * starts is killed with it, and a Ctrl-C meant for shakedown does not
         * reach it (a client killed by SIGINT would look like a crash). */
        sd_die_with_parent(parent);
        setpgid(0, 0);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        dup2(in[0], 0);
        if (devnull >= 0) {
            dup2(devnull, 1);
            if (!keep_stderr) dup2(devnull, 2);
        }
        signal(SIGPIPE, SIG_DFL);
        execve(argv[0], argv, environ);
        _exit(127);
    }
    int fork_errno = errno;
    close(in[0]);
    if (devnull >= 0) close(devnull);
    sd_argv_free(argv);
    if (pid < 0) {
        close(in[1]);
        snprintf(err, err_len, "fork: %s", strerror(fork_errno));
        return -1;
    }
    setpgid(pid, pid); /* as the child does: whichever runs first */
    *stdin_fd = in[1];
    return pid;
}

/* Kills a client and everything in its process group, and reaps it. */
static void stop_client(pid_t pid, pid_t group) {
    if (group > 0) kill(-group, SIGKILL);
    if (pid > 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
}

static void tcp_destroy(sd_target *base);

static sd_target *tcp_create(const sd_target_config *cfg, sd_target_error *error) {
    char *err = error->text;
    size_t err_len = sizeof error->text;
    if (!g.configured) {
        snprintf(err, err_len, "the tcp target is not set up (--connect or --listen)");
        return NULL;
    }
    /* A role with no peer to play it: the run was set up for the other. */
    if (cfg->role == SD_ROLE_SERVER && !g.have_server) {
        snprintf(err, err_len, "this scenario tests a server; give --connect HOST:PORT");
        error->unsupported = true;
        return NULL;
    }
    if (cfg->role == SD_ROLE_CLIENT && g.listen_fd < 0) {
        snprintf(err, err_len, "this scenario tests a client; give --listen PORT --client-cmd");
        error->unsupported = true;
        return NULL;
    }
    if (cfg->alpn.len) {
        /* Likewise its ALPN protocols (RFC 7301). */
        snprintf(err, err_len,
                 "the scenario sets the stack's ALPN protocols, which a peer over TCP chose when it started");
        error->unsupported = true;
        return NULL;
    }
    if (cfg->n_sigalgs) {
        /* And the signature schemes it offers. */
        snprintf(
            err, err_len,
            "the scenario sets the stack's signature schemes, which a peer over TCP chose when it started");
        error->unsupported = true;
        return NULL;
    }
    if (cfg->n_cert_compression) {
        /* And its certificate compression algorithms (RFC 8879). */
        snprintf(err, err_len,
                 "the scenario sets the stack's certificate compression, which a peer over TCP chose when it "
                 "started");
        error->unsupported = true;
        return NULL;
    }
    if (cfg->encrypt_then_mac) {
        /* And whether it negotiates encrypt_then_mac (RFC 7366). */
        snprintf(
            err, err_len,
            "the scenario sets the stack's encrypt_then_mac, which a peer over TCP chose when it started");
        error->unsupported = true;
        return NULL;
    }
    if (cfg->max_fragment_length) {
        /* And its max_fragment_length (RFC 6066 §4). */
        snprintf(
            err, err_len,
            "the scenario sets the stack's max_fragment_length, which a peer over TCP chose when it started");
        error->unsupported = true;
        return NULL;
    }
    if (cfg->record_size_limit) {
        /* And its record_size_limit (RFC 8449). */
        snprintf(
            err, err_len,
            "the scenario sets the stack's record_size_limit, which a peer over TCP chose when it started");
        error->unsupported = true;
        return NULL;
    }
    if (cfg->n_groups) {
        /* The groups a peer over TCP accepts or offers are its program's
         * own setting: a scenario that needs them set (`groups:`, the
         * HelloRetryRequest scenarios) cannot be played against it. */
        snprintf(err, err_len,
                 "the scenario sets the stack's groups, which a peer over TCP chose when it started");
        error->unsupported = true;
        return NULL;
    }
    if (cfg->role == SD_ROLE_CLIENT && cfg->request_ocsp) {
        /* Whether a client over TCP asks for a stapled OCSP response is its
         * program's setting (openssl s_client -status): a scenario that
         * needs the request cannot count on it. */
        snprintf(err, err_len,
                 "the scenario staples an OCSP response, which a client over TCP asks for only if "
                 "started to");
        error->unsupported = true;
        return NULL;
    }
    if (cfg->app_reply.len) {
        /* The peer over TCP answers as it was started to (s_server -www,
         * --echo, ...); its replies cannot be chosen from here. */
        snprintf(err, err_len, "app_reply for a stack over TCP");
        error->unsupported = true;
        return NULL;
    }
    if (cfg->role == SD_ROLE_CLIENT && cfg->early_data.len) {
        /* Whether a client over TCP sends early data, and which, is its
         * program's setting (openssl s_client -early_data FILE). */
        snprintf(err, err_len,
                 "the scenario has the client send early data (0-RTT), which a client over TCP sends only "
                 "if started to");
        error->unsupported = true;
        return NULL;
    }
    if (cfg->role == SD_ROLE_CLIENT && (cfg->several_connections || cfg->resume_session.len) &&
        !g.client_resume_cmd) {
        /* A later connection resumes this one's session: only a command
         * that is given the session can (tcp_target.h). */
        snprintf(err, err_len,
                 "a trace of several connections resumes the client's session, which a client over TCP is "
                 "handed only with --client-resume-cmd ({session-in}) and {session-out} in --client-cmd");
        error->unsupported = true;
        return NULL;
    }
    tcp_target *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    t->base.ops = &sd_target_tcp;
    t->role = cfg->role;
    t->fd = -1;
    t->client_pid = -1;
    t->client_stdin = -1;
    sd_buf_init(&t->out);
    t->st.alert_sent = t->st.alert_sent_level = t->st.alert_received = -1;
    if (cfg->role == SD_ROLE_SERVER) {
        t->fd = connect_server(err, err_len);
        if (t->fd < 0) {
            tcp_destroy(&t->base);
            return NULL;
        }
        int one = 1;
        setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return &t->base;
    }
    /* The client under test: one process per connection, the resume
     * command when there is a session to hand it. */
    bool resuming = cfg->resume_session.len > 0;
    const char *cmd = resuming ? g.client_resume_cmd : g.client_cmd;
    if ((strstr(cmd, SESSION_OUT) &&
         !make_session_file(t->session_out, sizeof t->session_out, sd_span_of(NULL, 0), err, err_len)) ||
        (resuming &&
         !make_session_file(t->session_in, sizeof t->session_in, cfg->resume_session, err, err_len))) {
        tcp_destroy(&t->base);
        return NULL;
    }
    t->client_pid = start_client(cmd, t->session_in, t->session_out, &t->client_stdin, err, err_len);
    if (t->client_pid < 0) {
        tcp_destroy(&t->base);
        return NULL;
    }
    t->client_group = t->client_pid;
    return &t->base;
}

/* Notes how the client process ended, if it did. */
static void check_client(tcp_target *t, bool wait) {
    if (t->client_pid <= 0) return;
    int status;
    pid_t r = waitpid(t->client_pid, &status, wait ? 0 : WNOHANG);
    if (r != t->client_pid) return;
    t->client_pid = -1;
    if (WIFSIGNALED(status)) {
        t->st.crashed = true;
        snprintf(t->st.error, sizeof t->st.error, "client killed by signal %d", WTERMSIG(status));
    } else if (WIFEXITED(status) && t->fd < 0) {
        t->st.failed = true;
        snprintf(t->st.error, sizeof t->st.error, "client exited with status %d without connecting",
                 WEXITSTATUS(status));
    }
}

/* RFC 6298 §2.2-2.3: the first sample sets SRTT = R and RTTVAR = R/2; each
 * later one moves them by 1/8 and 1/4. */
static void rtt_sample(double r) {
    if (r < 0) return;
    if (!g.have_rtt) {
        g.srtt = r;
        g.rttvar = r / 2;
        g.have_rtt = true;
        return;
    }
    double d = g.srtt > r ? g.srtt - r : r - g.srtt;
    g.rttvar = 0.75 * g.rttvar + 0.25 * d;
    g.srtt = 0.875 * g.srtt + 0.125 * r;
}

/* How long the peer must be quiet before a drain ends: the floor, or more
 * where the round trips say the peer needs more. Before any sample, RFC
 * 6298's initial 1 s. Never past the timeout. */
static int quiet_window(void) {
    double w = g.have_rtt ? g.srtt + 4 * g.rttvar : 1000;
    if (g.have_rtt && 2 * g.srtt > w) w = 2 * g.srtt;
    if (w < g.idle_ms) w = g.idle_ms;
    if (w > g.timeout_ms) w = g.timeout_ms;
    return (int)(w + 0.5);
}

int sd_tcp_quiet_ms(void) { return quiet_window(); }

/* The second wait after a feed that heard nothing: the driver is about to
 * conclude the peer waits for more. Some peers answer late on purpose
 * (`openssl s_server -www` sleeps a second whenever a read would block), so
 * this wait is longer: four windows, at least 1.5 s, at most the timeout. */
static int patience(void) {
    int w = 4 * quiet_window();
    if (w < 1500) w = 1500;
    return w < g.timeout_ms ? w : g.timeout_ms;
}

static void peer_ended(tcp_target *t, ssize_t n);

/* Reads what is there; with a wait, until the peer has been quiet for the
 * quiet window (first_ms for the first byte). The first byte after a feed
 * is a round-trip sample. */
static void read_peer(tcp_target *t, int first_ms) {
    if (t->fd < 0) return;
    double quiet_since = sd_now_ms();
    int limit = first_ms;
    for (;;) {
        struct pollfd p = {.fd = t->fd, .events = POLLIN};
        int left = limit - (int)(sd_now_ms() - quiet_since);
        int r = poll(&p, 1, left > 0 ? left : 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return;
        uint8_t buf[16384];
        ssize_t n = recv(t->fd, buf, sizeof buf, 0);
        if (n > 0) {
            if (!t->heard) t->first_byte_at = sd_now_ms();
            if (!t->heard_since_feed && t->fed_at > 0) rtt_sample(sd_now_ms() - t->fed_at);
            t->heard = t->heard_since_feed = true;
            t->first_answer_due = false;
            sd_buf_append(&t->out, buf, (size_t)n);
            quiet_since = sd_now_ms();
            limit = quiet_window();
            continue;
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        return peer_ended(t, n);
    }
}

/* EOF or reset: the peer ended the connection. */
static void peer_ended(tcp_target *t, ssize_t n) {
    t->heard_since_feed = true;
    t->first_answer_due = false;
    t->st.failed = true;
    if (!t->st.error[0])
        snprintf(t->st.error, sizeof t->st.error, "%s",
                 n == 0 ? "the peer closed the connection" : "the peer reset the connection");
    close(t->fd);
    t->fd = -1;
    if (t->role == SD_ROLE_CLIENT) {
        /* Give a dying client a moment to be reaped, to tell a crash. */
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        check_client(t, false);
    }
}

/* Without reading: has the peer ended the connection with nothing left
 * unread? A peek sees the end only once every byte before it was read. */
static void peek_end(tcp_target *t) {
    if (t->fd < 0) return;
    uint8_t c;
    ssize_t n = recv(t->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) peer_ended(t, n);
}

static void tcp_start(sd_target *base) {
    tcp_target *t = (tcp_target *)base;
    if (t->role != SD_ROLE_CLIENT) return;
    /* The client under test must connect and speak first. */
    struct pollfd p = {.fd = g.listen_fd, .events = POLLIN};
    double deadline = sd_now_ms() + g.timeout_ms;
    while (t->fd < 0) {
        int left = (int)(deadline - sd_now_ms());
        check_client(t, false);
        if (t->st.crashed || t->st.failed) return;
        if (left <= 0) {
            t->st.hung = true;
            snprintf(t->st.error, sizeof t->st.error, "the client did not connect within %d ms",
                     g.timeout_ms);
            return;
        }
        int r = poll(&p, 1, left < 50 ? left : 50);
        if (r == 1) t->fd = accept(g.listen_fd, NULL, NULL);
    }
    fcntl(t->fd, F_SETFD, FD_CLOEXEC);
    int one = 1;
    setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    double accepted = sd_now_ms();
    read_peer(t, g.timeout_ms);
    /* Before any answer to the driver was timed, the ClientHello's delay
     * (which includes starting the program) is the only estimate there is:
     * too long rather than too short. */
    if (t->out.len && !g.have_rtt) rtt_sample(t->first_byte_at - accepted);
    t->waited_since_feed = true;
    if (t->out.len == 0 && !t->st.failed && !t->st.crashed) {
        t->st.hung = true;
        snprintf(t->st.error, sizeof t->st.error, "the client connected but sent nothing within %d ms",
                 g.timeout_ms);
    }
}

static void tcp_feed(sd_target *base, sd_span bytes) {
    tcp_target *t = (tcp_target *)base;
    t->waited_since_feed = t->heard_since_feed = t->waited_twice = false;
    t->fed_at = sd_now_ms();
    /* A server must answer a handshake record (a ClientHello, or what the
     * scenario put in its place): until it has said anything, that answer
     * is waited for up to the timeout. A record of another type first (a
     * ChangeCipherSpec before the ClientHello) it may answer by waiting. */
    if (t->role == SD_ROLE_SERVER && !t->heard && bytes.len && bytes.data[0] == 22)
        t->first_answer_due = true;
    size_t off = 0;
    while (t->fd >= 0 && off < bytes.len) {
        ssize_t w = send(t->fd, bytes.data + off, bytes.len - off, MSG_NOSIGNAL);
        if (w > 0) {
            off += (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd p = {.fd = t->fd, .events = POLLOUT};
            if (poll(&p, 1, g.timeout_ms) == 1) continue;
            t->st.hung = true;
            snprintf(t->st.error, sizeof t->st.error, "the peer took no data for %d ms", g.timeout_ms);
            return;
        } else {
            /* The peer is gone; what it said before is still readable. */
            read_peer(t, 0);
            if (t->fd >= 0) {
                t->st.failed = true;
                snprintf(t->st.error, sizeof t->st.error, "send: %s", strerror(errno));
            }
            return;
        }
    }
}

static void tcp_drain(sd_target *base, sd_buf *out) {
    tcp_target *t = (tcp_target *)base;
    if (t->first_answer_due) {
        read_peer(t, g.timeout_ms);
        if (!t->heard && t->fd >= 0 && !t->st.failed) {
            t->st.hung = true;
            snprintf(t->st.error, sizeof t->st.error,
                     "the server accepted the connection but answered nothing within %d ms", g.timeout_ms);
        }
        t->first_answer_due = false;
        t->waited_since_feed = true;
    } else if (!t->waited_since_feed) {
        read_peer(t, quiet_window());
        t->waited_since_feed = true;
    } else if (!t->heard_since_feed && !t->waited_twice) {
        read_peer(t, patience());
        t->waited_twice = true;
    } else {
        read_peer(t, 0);
    }
    if (t->out.len) sd_buf_append(out, t->out.data, t->out.len);
    sd_buf_reset(&t->out);
}

static void tcp_status(sd_target *base, sd_target_status *out) {
    tcp_target *t = (tcp_target *)base;
    check_client(t, false);
    peek_end(t);
    *out = t->st;
    out->wire_only = true;
    out->app = (sd_app_protocol)sd_tcp_app(t->role);
}

int sd_tcp_app(sd_role role) {
    if (g.app_of_role[role] != SD_TCP_APP_DEFAULT) return g.app_of_role[role];
    if (g.app != SD_TCP_APP_DEFAULT) return g.app;
    return role == SD_ROLE_SERVER ? SD_APP_HTTP : SD_APP_NONE;
}

void sd_tcp_use_app(sd_role role, int app) { g.app_of_role[role] = app; }

static const char *tcp_version(void) { return g.version[0] ? g.version : "tcp (not set up)"; }

/* Waits up to ms for the client process to end, and reaps it. */
static bool client_ended_within(tcp_target *t, int ms) {
    double deadline = sd_now_ms() + ms;
    for (;;) {
        pid_t r = waitpid(t->client_pid, NULL, WNOHANG);
        if (r == t->client_pid || (r < 0 && errno != EINTR)) {
            t->client_pid = -1;
            return true;
        }
        if (sd_now_ms() >= deadline) return false;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* The session the client wrote to {session-out}. A client writes a TLS 1.3
 * session when a NewSessionTicket comes, after the handshake (RFC 8446
 * §4.6.1), and may rewrite it up to its end, so the file is read once the
 * client has ended: the driver ended the connection with close_notify
 * (§6.1), and the end of its stdin and of the socket ask it to stop too; a
 * client still running after the time limit gets SIGTERM, which lets it
 * exit in order, and a last second. */
static bool tcp_export_session(sd_target *base, sd_buf *out) {
    tcp_target *t = (tcp_target *)base;
    if (t->role != SD_ROLE_CLIENT || !t->session_out[0]) return false;
    if (t->client_stdin >= 0) close(t->client_stdin);
    t->client_stdin = -1;
    if (t->fd >= 0) close(t->fd);
    t->fd = -1;
    if (t->client_pid > 0 && !client_ended_within(t, g.timeout_ms)) {
        kill(-t->client_group, SIGTERM);
        client_ended_within(t, 1000);
    }
    FILE *f = fopen(t->session_out, "rb");
    if (!f) return false;
    size_t before = out->len;
    uint8_t buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sd_buf_append(out, buf, n);
    fclose(f);
    return out->len > before;
}

static void tcp_destroy(sd_target *base) {
    if (!base) return;
    tcp_target *t = (tcp_target *)base;
    if (t->fd >= 0) close(t->fd);
    if (t->client_stdin >= 0) close(t->client_stdin);
    stop_client(t->client_pid, t->client_group);
    remove_session_file(t->session_out);
    remove_session_file(t->session_in);
    sd_buf_free(&t->out);
    free(t);
}

const sd_target_ops sd_target_tcp = {
    .name = "tcp",
    .create = tcp_create,
    .start = tcp_start,
    .feed = tcp_feed,
    .drain = tcp_drain,
    .status = tcp_status,
    .version = tcp_version,
    .destroy = tcp_destroy,
    .export_session = tcp_export_session,
    /* A server over TCP is one program, which keeps its session cache and
     * ticket keys between the connections of a trace; whether it resumes
     * at all is its setting, which the probe asks (run/probe.h). A client
     * is handed its session by export_session and the resume command. */
    .resumes_across_targets = true,
};

/* ---- The check before the run ---------------------------------------------------
 * Kept apart from the connections above: it only asks whether the peer is
 * there at all, so that a closed port or a client that cannot connect is a
 * usage error before the first scenario. */

bool sd_tcp_check_peer(char *err, size_t err_len) {
    if (!g.configured) {
        snprintf(err, err_len, "the tcp target is not set up (--connect or --listen)");
        return false;
    }
    if (g.have_server) {
        char why[400];
        int fd = connect_server(why, sizeof why);
        if (fd < 0) {
            snprintf(err, err_len, "--connect: %s; is the server listening there?", why);
            return false;
        }
        close(fd);
    }
    if (g.listen_fd < 0) return true;
    /* The resume command is run only for a scenario that resumes, but a
     * program of it that cannot be run is the same mistake. */
    if (g.client_resume_cmd) {
        char **argv = sd_argv_split(g.client_resume_cmd, g.listen_port, err, err_len);
        bool runs = argv && resolve_program(&argv[0], "--client-resume-cmd", err, err_len);
        sd_argv_free(argv);
        if (!runs) return false;
    }
    /* The client command, once: it must connect to the port it was given. */
    int in;
    char session_out[256] = "";
    if (strstr(g.client_cmd, SESSION_OUT) &&
        !make_session_file(session_out, sizeof session_out, sd_span_of(NULL, 0), err, err_len))
        return false;
    pid_t pid = start_client(g.client_cmd, "", session_out, &in, err, err_len);
    if (pid < 0) {
        remove_session_file(session_out);
        return false;
    }
    int status = 0, fd = -1;
    bool exited = false;
    double deadline = sd_now_ms() + g.timeout_ms;
    while (fd < 0 && !exited && sd_now_ms() < deadline) {
        struct pollfd p = {.fd = g.listen_fd, .events = POLLIN};
        if (poll(&p, 1, 50) == 1) fd = accept(g.listen_fd, NULL, NULL);
        /* Accepted first if both: a client that connects and then exits
         * did connect. */
        if (fd < 0 && waitpid(pid, &status, WNOHANG) == pid) exited = true;
    }
    if (fd >= 0) close(fd);
    if (in >= 0) close(in);
    stop_client(exited ? -1 : pid, pid);
    remove_session_file(session_out);
    if (fd >= 0) return true;
    if (exited && WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        snprintf(err, err_len,
                 "--client-cmd `%s` exited with status 127 before connecting: it could not be started, or "
                 "a program it runs was not found",
                 g.client_cmd);
    } else if (exited && WIFEXITED(status)) {
        snprintf(err, err_len,
                 "--client-cmd `%s` exited with status %d without connecting to 127.0.0.1:%d "
                 "(it is run once before the scenarios; does it connect to {port}?)",
                 g.client_cmd, WEXITSTATUS(status), g.listen_port);
    } else if (exited) {
        snprintf(err, err_len, "--client-cmd `%s` was killed by signal %d before connecting to 127.0.0.1:%d",
                 g.client_cmd, WIFSIGNALED(status) ? WTERMSIG(status) : 0, g.listen_port);
    } else {
        snprintf(err, err_len,
                 "--client-cmd `%s` did not connect to 127.0.0.1:%d within %d ms "
                 "(it is run once before the scenarios; does it connect to {port}?)",
                 g.client_cmd, g.listen_port, g.timeout_ms);
    }
    return false;
}
