/* shim_target.c — a TLS stack in its own process, behind the target interface.
 *
 * The harness starts the stack's shim (targets/shims/) with execve and an argv
 * (never a shell), gives it one end of a socketpair as fd 3, and speaks the
 * framed protocol of docs/shim-contract.md over it. Every harness frame gets
 * DATA frames and then exactly one STATUS frame back, so feed() knows when the
 * shim has finished reacting: no timing guesses, and drain() after feed() sees
 * everything, as the driver expects.
 *
 * A shim that dies (EOF, a signal) is the stack's CRASH; one that does not
 * answer a frame within the time limit is killed and is the stack's HANG.
 * Neither can take the harness down: writes use MSG_NOSIGNAL, and the child
 * is always reaped.
 *
 * Several connections (a trace with `connection`): a server under test is
 * created again for each, with the same sd_target_config.session_cache. Its
 * shim process outlives the first target: destroy() parks it, with a token
 * stored in that cache, and the next create() with the same cache and the
 * same arguments takes it back and sends NEXT (docs/shim-contract.md), so
 * the stack keeps its own session cache and ticket keys, as a server keeps
 * them between connections. A cache without the token (another run, even
 * one at the same address) never gets a parked shim: that one is killed. A
 * client hands its session over instead: SESSION after connection 1, and
 * --resume-session-hex for the next shim.
 *
 * Persistent shims (docs/shim-contract.md, "Persistent shims"): a shim
 * whose STATUS says reset=1 is not killed when its run is over but kept,
 * idle, in a small pool of this process, and the next create() of its
 * stack sends it RESET with the new arguments instead of starting a
 * process. The pool lives in the process that runs cells one at a time (a
 * worker of run/cells.c, which serves its whole share of the cells, or the
 * harness itself), so it needs no locking and no passing of sockets. A
 * shim that crashed, hung or broke the protocol is never kept: the next
 * run gets a new process, and the crash stays the CRASH of the run it
 * happened in. A kept shim that dies on RESET is dropped without a word
 * and a new process started in its place: what a fresh process would
 * answer is the run's answer, as in the per-process mode. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "stacks/shim_target.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "protocol/session_cache.h"
#include "shim/shim_protocol.h"
#include "stacks/shim_args.h"
#include "stacks/stacks.h"
#include "wire/names.h"
#include "util/util.h"

#ifndef SHAKEDOWN_SHIM_BUILD_DIR
#define SHAKEDOWN_SHIM_BUILD_DIR "."
#endif

extern char **environ;

typedef struct {
    sd_target base; /* must be first */
    const char *stack;
    pid_t pid;
    int fd;
    int timeout_ms;
    sd_buf out;          /* DATA from the shim that drain() has not taken */
    sd_buf *data_to;     /* where DATA goes instead of out (an EXPORT's answer) */
    sd_target_status st; /* from the last STATUS, plus crashed/hung */
    bool dead;           /* crashed, hung or broke the protocol: no more exchanges */
    /* Server of several connections: the run's cache (where the parking
     * token goes) and the shim's arguments, which a shim taken back must
     * have been started with. NULL when the shim serves one connection. */
    sd_session_cache *session_cache;
    char *args;
    /* The shim's last STATUS said reset=1: it may run another run after a
     * RESET (kept in the pool after this one). */
    bool can_reset;
    /* Which program, in which environment, the shim was started as
     * (shim_origin): a kept shim serves only a create() that would start
     * the same. */
    uint64_t origin;
} shim_target;

/* The process the static state below belongs to (the pool and the parked
 * shim): a worker forked from it inherits copies of their sockets, which
 * are not its own to use. */
static pid_t statics_owner;

/* The one shim process kept between two connections of a run (this process
 * runs one cell at a time): its socket, the arguments it was started with,
 * and the token that the run's session cache holds for it. */
static struct {
    pid_t pid;
    int fd;
    const char *stack;
    char *args;
    uint64_t token;
    bool can_reset;
    uint64_t origin;
} parked = {.pid = -1, .fd = -1};

/* The idle shims of the persistent mode: at most POOL_PER_STACK of a stack
 * (a run holds a client and a server of one stack at most: two), the
 * most recently used taken first. */
#define POOL_PER_STACK 2
#define POOL_SLOTS 16
typedef struct {
    pid_t pid;
    int fd;
    const char *stack;
    uint64_t origin;
} idle_shim;
static struct {
    size_t n;
    idle_shim slot[POOL_SLOTS];
} pool;

/* Where the token goes in the session cache: under a name no stack writes
 * sessions under, keyed by the shim's stack. */
#define PARKED_CACHE_NAME "shim process"

/* ---- Finding shims ----------------------------------------------------------- */

static bool exe_at(const char *dir, const char *stack, char *out, size_t out_len) {
    int n = snprintf(out, out_len, "%s/shakedown-shim-%s", dir, stack);
    return n > 0 && (size_t)n < out_len && access(out, X_OK) == 0;
}

bool sd_shim_path(const char *stack, char *out, size_t out_len) {
    const char *env = getenv("SHAKEDOWN_SHIM_DIR");
    if (env && *env) return exe_at(env, stack, out, out_len);
    /* Next to the running program: an installed or copied shakedown finds
     * the shims it was shipped with. */
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            if (exe_at(self, stack, out, out_len)) return true;
        }
    }
    return exe_at(SHAKEDOWN_SHIM_BUILD_DIR, stack, out, out_len);
}

int sd_shim_timeout_ms(void) {
    const char *env = getenv("SHAKEDOWN_SHIM_TIMEOUT_MS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v > 0 && v <= 600000) return (int)v;
    }
    /* Generous, since a frame's answer may be seconds of honest work on a
     * loaded machine (Botan's client tests the primality of every DH group
     * it is sent, 1.7 s for ffdhe3072 here, and an ASan build is slower):
     * a tighter limit made such cells false HANGs. Only a shim that really
     * hangs waits this long. */
    return 10000;
}

/* ---- Process handling ------------------------------------------------------- */

static const char *signal_name(int sig) {
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV";
    case SIGABRT:
        return "SIGABRT";
    case SIGBUS:
        return "SIGBUS";
    case SIGFPE:
        return "SIGFPE";
    case SIGILL:
        return "SIGILL";
    case SIGKILL:
        return "SIGKILL";
    case SIGTERM:
        return "SIGTERM";
    case SIGTRAP:
        return "SIGTRAP";
    case SIGPIPE:
        return "SIGPIPE";
    default:
        return NULL;
    }
}

static void describe_exit(int status, char *buf, size_t len) {
    if (WIFSIGNALED(status)) {
        const char *name = signal_name(WTERMSIG(status));
        if (name)
            snprintf(buf, len, "killed by signal %s", name);
        else
            snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
    } else if (WIFEXITED(status)) {
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    } else {
        snprintf(buf, len, "stopped");
    }
}

/* Reaps the shim, giving it up to wait_ms to exit by itself (it may be
 * writing a sanitizer report), then killing it. Fills how it ended. */
static void reap(shim_target *t, int wait_ms, char *how, size_t how_len) {
    if (t->pid <= 0) {
        snprintf(how, how_len, "not running");
        return;
    }
    int status = 0;
    double deadline = sd_now_ms() + wait_ms;
    pid_t r;
    while ((r = waitpid(t->pid, &status, WNOHANG)) == 0 && sd_now_ms() < deadline) {
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (r == 0) {
        kill(t->pid, SIGKILL);
        while ((r = waitpid(t->pid, &status, 0)) < 0 && errno == EINTR) {
        }
        snprintf(how, how_len, "closed its socket and did not exit");
    } else if (r == t->pid) {
        describe_exit(status, how, how_len);
    } else {
        snprintf(how, how_len, "vanished (waitpid: %s)", strerror(errno));
    }
    t->pid = -1;
}

static void kill_shim(pid_t pid, int fd) {
    if (pid > 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    if (fd >= 0) close(fd);
}

/* In a process forked from the one that started them, the pool and the
 * parked shim are the parent's: this copy of their sockets is closed and
 * forgotten, the processes left alone. */
static void forget_inherited_shims(void) {
    pid_t self = getpid();
    if (statics_owner == self) return;
    if (statics_owner != 0) {
        for (size_t i = 0; i < pool.n; i++) close(pool.slot[i].fd);
        if (parked.fd >= 0) close(parked.fd);
        free(parked.args);
    }
    pool.n = 0;
    parked.pid = parked.fd = -1;
    parked.args = NULL;
    parked.stack = NULL;
    statics_owner = self;
}

bool sd_shim_persistent(void) {
    const char *mode = getenv("SHAKEDOWN_SHIM_MODE");
    return mode == NULL || *mode == '\0' || strcmp(mode, "persistent") == 0;
}

/* A hash of the shim's program and of this process's environment, which
 * the shim read once, at exec (SHAKEDOWN_SHIM_STDERR, the test hooks): a
 * harness that changed either gets a new process. FNV-1a. */
static uint64_t shim_origin(const char *path) {
    uint64_t h = 0xcbf29ce484222325u;
    for (const char *p = path;; p++) {
        h = (h ^ (unsigned char)*p) * 0x100000001b3u;
        if (!*p) break;
    }
    for (char **e = environ; e && *e; e++)
        for (const char *p = *e;; p++) {
            h = (h ^ (unsigned char)*p) * 0x100000001b3u;
            if (!*p) break;
        }
    return h;
}

/* Removes the pool's slot i, keeping the others in the order they came. */
static void pool_drop(size_t i) {
    kill_shim(pool.slot[i].pid, pool.slot[i].fd);
    memmove(&pool.slot[i], &pool.slot[i + 1], (pool.n - i - 1) * sizeof pool.slot[0]);
    pool.n--;
}

/* Keeps a sound shim that can reset for a later run, in the persistent
 * mode (else kills it). With its stack's share of the pool full, the
 * stack's oldest idle shim goes: it may have been started in an
 * environment this process no longer has, and would block the pool. */
static void pool_put(pid_t pid, int fd, const char *stack, uint64_t origin) {
    if (!sd_shim_persistent()) {
        kill_shim(pid, fd);
        return;
    }
    size_t same = 0, oldest = pool.n;
    for (size_t i = 0; i < pool.n; i++)
        if (strcmp(pool.slot[i].stack, stack) == 0 && same++ == 0) oldest = i;
    if (same >= POOL_PER_STACK)
        pool_drop(oldest);
    else if (pool.n == POOL_SLOTS)
        pool_drop(0);
    pool.slot[pool.n++] = (idle_shim){.pid = pid, .fd = fd, .stack = stack, .origin = origin};
}

/* An idle shim of stack started as origin, taken out of the pool; false if
 * there is none. */
static bool pool_take(const char *stack, uint64_t origin, pid_t *pid, int *fd) {
    for (size_t i = pool.n; i-- > 0;) {
        if (strcmp(pool.slot[i].stack, stack) != 0 || pool.slot[i].origin != origin) continue;
        *pid = pool.slot[i].pid;
        *fd = pool.slot[i].fd;
        memmove(&pool.slot[i], &pool.slot[i + 1], (pool.n - i - 1) * sizeof pool.slot[0]);
        pool.n--;
        return true;
    }
    return false;
}

/* The parked shim's run is over: it goes to the pool if it can reset, else
 * it is killed. */
static void retire_parked(void) {
    if (parked.pid > 0 && parked.can_reset)
        pool_put(parked.pid, parked.fd, parked.stack, parked.origin);
    else
        kill_shim(parked.pid, parked.fd);
    free(parked.args);
    parked.pid = parked.fd = -1;
    parked.args = NULL;
    parked.stack = NULL;
}

void sd_shim_pool_clear(void) {
    forget_inherited_shims();
    kill_shim(parked.pid, parked.fd);
    free(parked.args);
    parked.pid = parked.fd = -1;
    parked.args = NULL;
    parked.stack = NULL;
    for (size_t i = 0; i < pool.n; i++) kill_shim(pool.slot[i].pid, pool.slot[i].fd);
    pool.n = 0;
}

/* Keeps t's shim for the next connection of its run (see the top). */
static bool park(shim_target *t) {
    retire_parked();
    uint64_t token = sd_shim_token_new();
    if (!sd_shim_token_put(t->session_cache, PARKED_CACHE_NAME, t->stack, token)) return false;
    parked.pid = t->pid;
    parked.fd = t->fd;
    parked.stack = t->stack;
    parked.args = t->args;
    parked.token = token;
    parked.can_reset = t->can_reset;
    parked.origin = t->origin;
    t->pid = t->fd = -1;
    t->args = NULL;
    return true;
}

/* The parked shim, if it is the one of this run (cache) with these
 * arguments: true and its pid and socket, no longer parked. Any other
 * parked shim is retired: its run is over. */
static bool unpark(const char *stack, sd_session_cache *cache, const char *args, pid_t *pid, int *fd) {
    if (parked.pid <= 0) return false;
    bool ours = strcmp(parked.stack, stack) == 0 && strcmp(parked.args, args) == 0 &&
                sd_shim_token_take(cache, PARKED_CACHE_NAME, stack, parked.token);
    if (!ours) {
        retire_parked();
        return false;
    }
    *pid = parked.pid;
    *fd = parked.fd;
    free(parked.args);
    parked.pid = parked.fd = -1;
    parked.args = NULL;
    parked.stack = NULL;
    return true;
}

static void mark_crashed(shim_target *t, const char *when) {
    char how[96];
    reap(t, 500, how, sizeof how);
    t->dead = true;
    t->st.crashed = true;
    snprintf(t->st.error, sizeof t->st.error, "%s shim %s %s", t->stack, how, when);
}

static void mark_hung(shim_target *t) {
    if (t->pid > 0) {
        kill(t->pid, SIGKILL);
        while (waitpid(t->pid, NULL, 0) < 0 && errno == EINTR) {
        }
        t->pid = -1;
    }
    t->dead = true;
    t->st.hung = true;
    snprintf(t->st.error, sizeof t->st.error, "%s shim gave no answer within %d ms; killed", t->stack,
             t->timeout_ms);
}

/* A shim that sends what the contract does not allow. Reported as a crash of
 * that stack's shim (a visible finding to look at), never silently. */
static void mark_broken(shim_target *t, const char *what) {
    char how[96];
    if (t->pid > 0) kill(t->pid, SIGKILL);
    reap(t, 0, how, sizeof how);
    t->dead = true;
    t->st.crashed = true;
    snprintf(t->st.error, sizeof t->st.error, "%s shim broke the shim protocol: %s", t->stack, what);
}

/* ---- Framing with a deadline ------------------------------------------------
 * Returns 1 when done, 0 on end of stream or a dead peer, -1 on timeout. */

static int wait_fd(int fd, short events, double deadline) {
    for (;;) {
        double left = deadline - sd_now_ms();
        if (left <= 0) return -1;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, (int)left + 1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return 0;
        if (r == 0) continue; /* re-checks the deadline */
        return 1;
    }
}

static int send_all(int fd, const uint8_t *p, size_t n, double deadline) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int r = wait_fd(fd, POLLOUT, deadline);
            if (r <= 0) return r;
            continue;
        }
        return 0; /* EPIPE, ECONNRESET: the shim is gone */
    }
    return 1;
}

static int recv_all(int fd, uint8_t *p, size_t n, double deadline) {
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r > 0) {
            p += r;
            n -= (size_t)r;
            continue;
        }
        if (r == 0) return 0;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int w = wait_fd(fd, POLLIN, deadline);
            if (w <= 0) return w;
            continue;
        }
        return 0;
    }
    return 1;
}

/* Parses a STATUS payload (key=value lines) into t->st, keeping crashed and
 * hung. Unknown keys are ignored, so the contract can grow. */
static bool parse_status(shim_target *t, const char *text, size_t len) {
    sd_target_status st;
    memset(&st, 0, sizeof st);
    st.alert_sent = st.alert_sent_level = st.alert_received = -1;
    bool can_reset = false;
    size_t i = 0;
    while (i < len) {
        size_t eol = i;
        while (eol < len && text[eol] != '\n') eol++;
        char line[512];
        size_t n = eol - i < sizeof line - 1 ? eol - i : sizeof line - 1;
        memcpy(line, text + i, n);
        line[n] = '\0';
        i = eol + 1;
        char *eq = strchr(line, '=');
        if (eq == NULL) {
            if (n == 0) continue;
            return false;
        }
        *eq = '\0';
        const char *key = line, *val = eq + 1;
        if (strcmp(key, "error") == 0) {
            snprintf(st.error, sizeof st.error, "%s", val);
            continue;
        }
        char *end;
        long v = strtol(val, &end, 0);
        if (*val == '\0' || *end != '\0') return false;
        if (strcmp(key, "handshake_done") == 0)
            st.handshake_done = v != 0;
        else if (strcmp(key, "failed") == 0)
            st.failed = v != 0;
        else if (strcmp(key, "alert_sent") == 0)
            st.alert_sent = (int)v;
        else if (strcmp(key, "alert_sent_level") == 0)
            st.alert_sent_level = (int)v;
        else if (strcmp(key, "alert_received") == 0)
            st.alert_received = (int)v;
        else if (strcmp(key, "close_notify_sent") == 0)
            st.close_notify_sent = v != 0;
        else if (strcmp(key, "version") == 0)
            st.version = (uint16_t)v;
        else if (strcmp(key, "cipher") == 0)
            st.cipher_suite = (uint16_t)v;
        else if (strcmp(key, "group") == 0)
            st.group = (uint16_t)v;
        else if (strcmp(key, "peer_authenticated") == 0)
            st.peer_authenticated = v != 0;
        else if (strcmp(key, "app_replies") == 0)
            st.app_replies = (unsigned)v;
        else if (strcmp(key, "reset") == 0)
            can_reset = v != 0;
    }
    t->st = st;
    t->can_reset = can_reset;
    return true;
}

/* Reads frames until the STATUS that ends the shim's reply. `when` says what
 * the shim was doing, for the crash message. */
static void read_reply(shim_target *t, double deadline, const char *when) {
    for (;;) {
        uint8_t h[SHIM_FRAME_HEADER_LEN];
        int r = recv_all(t->fd, h, sizeof h, deadline);
        if (r < 0) return mark_hung(t);
        if (r == 0) return mark_crashed(t, when);
        uint32_t len = (uint32_t)h[1] << 24 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 8 | h[4];
        if (len > SHIM_MAX_FRAME) return mark_broken(t, "frame too big");
        if (h[0] == SHIM_FRAME_DATA) {
            sd_buf *to = t->data_to ? t->data_to : &t->out;
            if (!sd_buf_reserve(to, len)) return mark_broken(t, "harness out of memory");
            r = recv_all(t->fd, to->data + to->len, len, deadline);
            if (r < 0) return mark_hung(t);
            if (r == 0) return mark_crashed(t, when);
            to->len += len;
        } else if (h[0] == SHIM_FRAME_STATUS) {
            char text[4096];
            if (len >= sizeof text) return mark_broken(t, "STATUS frame too big");
            r = recv_all(t->fd, (uint8_t *)text, len, deadline);
            if (r < 0) return mark_hung(t);
            if (r == 0) return mark_crashed(t, when);
            if (!parse_status(t, text, len)) return mark_broken(t, "unreadable STATUS frame");
            return;
        } else {
            return mark_broken(t, "unknown frame type");
        }
    }
}

static void exchange(shim_target *t, uint8_t type, const uint8_t *p, size_t len, const char *when) {
    if (t->dead) return;
    double deadline = sd_now_ms() + t->timeout_ms;
    uint8_t h[SHIM_FRAME_HEADER_LEN] = {type, (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                                        (uint8_t)len};
    int r = send_all(t->fd, h, sizeof h, deadline);
    if (r > 0 && len > 0) r = send_all(t->fd, p, len, deadline);
    if (r < 0) return mark_hung(t);
    if (r == 0) return mark_crashed(t, when);
    read_reply(t, deadline, when);
}

/* ---- Creating ------------------------------------------------------------------- */

static void shimt_destroy(sd_target *base);

/* In the persistent mode, gives t a kept shim of stack, started as
 * t->origin, reset (RESET) for a run with these arguments (after the
 * program name): true, with the shim's first STATUS of the run in t->st,
 * as after a start. A kept shim that dies, hangs or breaks the protocol on
 * RESET is dropped and the next one tried; false when none is left. */
static bool reset_kept_shim(shim_target *t, const char *stack, const char *const *args, size_t n_args) {
    if (!sd_shim_persistent()) return false;
    size_t len = 0;
    for (size_t i = 0; i < n_args; i++) len += strlen(args[i]) + 1;
    uint8_t *payload = malloc(len ? len : 1);
    if (payload == NULL) return false;
    size_t used = 0;
    for (size_t i = 0; i < n_args; i++) {
        size_t k = strlen(args[i]) + 1;
        memcpy(payload + used, args[i], k);
        used += k;
    }
    bool reset = false;
    while (!reset && pool_take(stack, t->origin, &t->pid, &t->fd)) {
        t->can_reset = true;
        exchange(t, SHIM_FRAME_RESET, payload, len, "on RESET");
        if (t->dead) {
            /* mark_* reaped it; what it said is not this run's. */
            t->dead = false;
            memset(&t->st, 0, sizeof t->st);
            t->st.alert_sent = t->st.alert_sent_level = t->st.alert_received = -1;
            if (t->fd >= 0) close(t->fd);
            t->pid = t->fd = -1;
            continue;
        }
        reset = true;
    }
    free(payload);
    return reset;
}

static sd_target *shimt_create(const char *stack, const sd_target_ops *ops, const sd_target_config *cfg,
                               sd_target_error *error) {
    char *err = error->text;
    size_t err_len = sizeof error->text;
    char path[PATH_MAX];
    if (!sd_shim_path(stack, path, sizeof path)) {
        snprintf(err, err_len,
                 "no %s shim (shakedown-shim-%s) in $SHAKEDOWN_SHIM_DIR, next to "
                 "the program or in %s",
                 stack, stack, SHAKEDOWN_SHIM_BUILD_DIR);
        return NULL;
    }
    sd_shim_args *a = malloc(sizeof *a);
    if (a == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    if (!sd_shim_args_build(a, path, cfg, error)) {
        free(a);
        return NULL;
    }
    const char *const *argv = a->argv;
    size_t n = (size_t)a->argc;
    /* A server of several connections: its arguments, to know its parked
     * shim again (the socket's fd, the same for all, is in them too). */
    char *args = NULL;
    if (cfg->role == SD_ROLE_SERVER && cfg->session_cache && (args = sd_shim_args_join(a)) == NULL) {
        sd_shim_args_free(a);
        free(a);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }

    shim_target *t = calloc(1, sizeof *t);
    if (t == NULL) {
        sd_shim_args_free(a);
        free(a);
        free(args);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    t->base.ops = ops;
    t->stack = stack;
    t->pid = -1;
    t->fd = -1;
    t->timeout_ms = sd_shim_timeout_ms();
    sd_buf_init(&t->out);
    t->st.alert_sent = t->st.alert_sent_level = t->st.alert_received = -1;
    t->session_cache = args ? cfg->session_cache : NULL;
    t->args = args;

    /* The shim of this run's last connection, if it is parked: it begins
     * the next connection (NEXT) with what its stack kept. Any other run's
     * is over. */
    forget_inherited_shims();
    if (!args) retire_parked();
    /* Before NEXT too: the shim of a later connection goes back to the
     * pool when its run is over, and is only taken again as this origin. */
    t->origin = shim_origin(path);
    if (args && unpark(stack, cfg->session_cache, args, &t->pid, &t->fd)) {
        sd_shim_args_free(a);
        free(a);
        exchange(t, SHIM_FRAME_NEXT, NULL, 0, "on NEXT");
        /* A shim that dies here dies in the run, between its
         * connections: the target is the run's CRASH or HANG, not a
         * configuration error, so it is returned dead. */
        if (!t->dead && t->st.failed) {
            snprintf(err, err_len, "%s", t->st.error);
            if (!sd_target_error_read_words(error)) snprintf(err, err_len, "%s shim: %s", stack, t->st.error);
            shimt_destroy(&t->base);
            return NULL;
        }
        return &t->base;
    }

    /* A kept shim of the persistent mode, reset for this run, else a new
     * process. */
    if (reset_kept_shim(t, stack, argv + 1, n - 1)) {
        sd_shim_args_free(a);
        free(a);
    } else {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
            snprintf(err, err_len, "socketpair: %s", strerror(errno));
            sd_shim_args_free(a);
            free(a);
            free(t->args);
            free(t);
            return NULL;
        }
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        /* The shim's stderr is quiet unless asked for: a crashing stack's own
         * report (a sanitizer's, say) is then one variable away. */
        const char *se = getenv("SHAKEDOWN_SHIM_STDERR");
        bool keep_stderr = se && *se && strcmp(se, "0") != 0;
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid == 0) {
            /* Only async-signal-safe calls between fork and execve. The shim
             * dies with the process that started it, and gets the default
             * dispositions a worker process ignores (run/cells.h). The socket
             * is moved out of the way first, in case it is one of 0..3. */
            sd_die_with_parent(parent);
            signal(SIGINT, SIG_DFL);
            signal(SIGTERM, SIG_DFL);
            int s = fcntl(sv[1], F_DUPFD, 10);
            if (s < 0) _exit(127);
            if (devnull >= 0) {
                dup2(devnull, 0);
                dup2(devnull, 1);
                if (!keep_stderr) dup2(devnull, 2);
            }
            if (dup2(s, SD_SHIM_FD) != SD_SHIM_FD) _exit(127);
            signal(SIGPIPE, SIG_DFL);
            execve(path, (char *const *)argv, environ);
            _exit(127);
        }
        int fork_errno = errno;
        sd_shim_args_free(a);
        free(a);
        if (devnull >= 0) close(devnull);
        close(sv[1]);
        if (pid < 0) {
            close(sv[0]);
            free(t->args);
            free(t);
            snprintf(err, err_len, "fork: %s", strerror(fork_errno));
            return NULL;
        }
        t->pid = pid;
        t->fd = sv[0];
        fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) | O_NONBLOCK);

        /* The contract's first frame: a STATUS saying whether the shim could
         * configure its stack. */
        read_reply(t, sd_now_ms() + t->timeout_ms, "at startup");
    }
    if (t->dead) {
        snprintf(err, err_len, "%s", t->st.error);
        shimt_destroy(&t->base);
        return NULL;
    }
    if (t->st.failed) {
        /* The shim protocol says "unsupported: REASON" in words
         * (docs/shim-contract.md); here, at the boundary, it becomes the
         * structural kind. Any other failure is the shim's, named as such. */
        snprintf(err, err_len, "%s", t->st.error);
        if (!sd_target_error_read_words(error)) snprintf(err, err_len, "%s shim: %s", stack, t->st.error);
        shimt_destroy(&t->base);
        return NULL;
    }
    return &t->base;
}

/* ---- The interface -------------------------------------------------------------- */

static shim_target *from_base(sd_target *t) { return (shim_target *)t; }

static void shimt_start(sd_target *base) { exchange(from_base(base), SHIM_FRAME_START, NULL, 0, "on START"); }

static void shimt_feed(sd_target *base, sd_span bytes) {
    shim_target *t = from_base(base);
    /* Nothing to say: the driver calls feed only with bytes, and an empty
     * DATA frame would only cost a round trip. */
    if (bytes.len == 0) return;
    if (bytes.len > SHIM_MAX_FRAME) {
        for (size_t off = 0; off < bytes.len && !t->dead; off += SHIM_MAX_FRAME) {
            size_t n = bytes.len - off < SHIM_MAX_FRAME ? bytes.len - off : SHIM_MAX_FRAME;
            exchange(t, SHIM_FRAME_DATA, bytes.data + off, n, "on DATA");
        }
        return;
    }
    exchange(t, SHIM_FRAME_DATA, bytes.data, bytes.len, "on DATA");
}

static void shimt_drain(sd_target *base, sd_buf *out) {
    shim_target *t = from_base(base);
    if (t->out.len) sd_buf_append(out, t->out.data, t->out.len);
    sd_buf_reset(&t->out);
}

static void shimt_status(sd_target *base, sd_target_status *out) { *out = from_base(base)->st; }

/* An EXPORT frame (docs/shim-contract.md): the shim answers with one DATA
 * frame of exactly len bytes, or none if its stack cannot export. */
static bool shimt_export(sd_target *base, const char *label, uint8_t *out, size_t len) {
    shim_target *t = from_base(base);
    size_t label_len = strlen(label);
    if (t->dead || !t->st.handshake_done || label_len == 0 || label_len > SHIM_MAX_EXPORT_LABEL || len == 0 ||
        len > SHIM_MAX_EXPORT_LEN)
        return false;
    uint8_t payload[2 + SHIM_MAX_EXPORT_LABEL];
    payload[0] = (uint8_t)(len >> 8);
    payload[1] = (uint8_t)len;
    memcpy(payload + 2, label, label_len);
    sd_buf got;
    sd_buf_init(&got);
    t->data_to = &got;
    exchange(t, SHIM_FRAME_EXPORT, payload, 2 + label_len, "on EXPORT");
    t->data_to = NULL;
    bool ok = !t->dead && got.len == len;
    if (ok) memcpy(out, got.data, len);
    sd_buf_free(&got);
    return ok;
}

/* A CLOSE frame (docs/shim-contract.md): the shim's close_notify comes
 * back as DATA for drain(). */
static void shimt_close(sd_target *base) {
    shim_target *t = from_base(base);
    if (t->dead || !t->st.handshake_done || t->st.failed || t->st.close_notify_sent) return;
    exchange(t, SHIM_FRAME_CLOSE, NULL, 0, "on CLOSE");
}

/* A SESSION frame (docs/shim-contract.md): the client's session, as its
 * stack serializes it, for the next shim's --resume-session-hex. */
static bool shimt_export_session(sd_target *base, sd_buf *out) {
    shim_target *t = from_base(base);
    if (t->dead || !t->st.handshake_done) return false;
    sd_buf_reset(out);
    t->data_to = out;
    exchange(t, SHIM_FRAME_SESSION, NULL, 0, "on SESSION");
    t->data_to = NULL;
    if (t->dead || out->len > SHIM_MAX_SESSION) {
        sd_buf_reset(out);
        return false;
    }
    return out->len > 0;
}

static void shimt_destroy(sd_target *base) {
    if (base == NULL) return;
    shim_target *t = from_base(base);
    /* A server of several connections that is still sound waits for the
     * next one; a dead one has nothing to keep. A sound shim that can reset
     * waits for another run, in the persistent mode (pool_put). */
    if (t->session_cache && !t->dead && t->pid > 0) park(t);
    if (!t->dead && t->pid > 0 && t->can_reset) {
        pool_put(t->pid, t->fd, t->stack, t->origin);
        t->pid = t->fd = -1;
    }
    free(t->args);
    if (t->pid > 0) {
        kill(t->pid, SIGKILL);
        while (waitpid(t->pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    if (t->fd >= 0) close(t->fd);
    sd_buf_free(&t->out);
    free(t);
}

/* `shakedown-shim-X --version`, run once and cached: the stack's own words. */
static const char *shimt_version(const char *stack, char *cache, size_t cache_len) {
    if (cache[0]) return cache;
    snprintf(cache, cache_len, "%s (shim not found)", stack);
    char path[PATH_MAX];
    if (!sd_shim_path(stack, path, sizeof path)) return cache;
    int p[2];
    if (pipe(p) != 0) return cache;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    char *const argv[] = {path, (char *)"--version", NULL};
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        sd_die_with_parent(parent);
        if (dup2(p[1], 1) != 1) _exit(127);
        execve(path, argv, environ);
        _exit(127);
    }
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return cache;
    }
    char buf[256];
    size_t got = 0;
    double deadline = sd_now_ms() + sd_shim_timeout_ms();
    while (got < sizeof buf - 1 && wait_fd(p[0], POLLIN, deadline) > 0) {
        ssize_t r = read(p[0], buf + got, sizeof buf - 1 - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(p[0]);
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    buf[got] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (buf[0]) snprintf(cache, cache_len, "%s", buf);
    return cache;
}

#define SHIM_TARGET(NAME)                                                                \
    static sd_target *create_##NAME(const sd_target_config *cfg, sd_target_error *err) { \
        return shimt_create(#NAME, &sd_target_##NAME, cfg, err);                         \
    }                                                                                    \
    static const char *version_##NAME(void) {                                            \
        static char cache[256];                                                          \
        return shimt_version(#NAME, cache, sizeof cache);                                \
    }                                                                                    \
    const sd_target_ops sd_target_##NAME = {                                             \
        .name = #NAME,                                                                   \
        .create = create_##NAME,                                                         \
        .start = shimt_start,                                                            \
        .feed = shimt_feed,                                                              \
        .drain = shimt_drain,                                                            \
        .status = shimt_status,                                                          \
        .export_keying_material = shimt_export,                                          \
        .export_session = shimt_export_session,                                          \
        .version = version_##NAME,                                                       \
        .destroy = shimt_destroy,                                                        \
        .close = shimt_close,                                                            \
        .resumes_across_targets = true,                                                  \
        .sets_renegotiation = true,                                                      \
    };

SHIM_TARGET(openssl)
SHIM_TARGET(gnutls)
SHIM_TARGET(wolfssl)
SHIM_TARGET(mbedtls)
SHIM_TARGET(go)
SHIM_TARGET(botan)
SHIM_TARGET(jsse)

const sd_target_ops *const sd_shim_targets[] = {
    &sd_target_openssl, &sd_target_gnutls, &sd_target_wolfssl, &sd_target_mbedtls,
    &sd_target_go,      &sd_target_botan,  &sd_target_jsse,    NULL};
