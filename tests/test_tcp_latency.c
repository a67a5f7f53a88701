/* test_tcp_latency.c — verdicts over TCP do not depend on the link: a set of
 * scenarios run against `shakedown serve --stack model` through a loopback
 * proxy that holds every chunk 0, 50 and 200 ms in each direction gets the
 * same verdicts each time, and the same twice in a row. The quiet window of
 * the tcp target adapts to the round trips it measures (tcp_target.h); a
 * fixed 30 ms window turned PASS and SOFT into FAIL "waiting" with 100 ms
 * of added latency. Also: a server that accepts and never answers, and one
 * that closes at once, get no PASS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_filter.h"

#include "driver/driver.h"
#include "oracle/oracle.h"
#include "run/scenario_set.h"
#include "stacks/tcp_target.h"
#include "trace/step_under_test.h"
#include "util/util.h"

#include "pki_fixture.h"

extern char **environ;

/* --- Processes the tests start, and stop even when an assertion fails ------- */

static pid_t children[4];

static void stop(pid_t pid) {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
        if (children[i] == pid) children[i] = 0;
}

static void remember(pid_t pid) {
    for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
        if (!children[i]) {
            children[i] = pid;
            return;
        }
}

static int stop_children(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof children / sizeof children[0]; i++) stop(children[i]);
    sd_tcp_teardown();
    return 0;
}

static int listen_loopback(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 16), 0);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
    return fd;
}

static int connect_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* `shakedown serve --stack model` on a free port; returns the port. */
static int start_serve(pid_t *pid) {
    const char *bin = getenv("SHAKEDOWN_BIN");
    char *argv[] = {(char *)bin, "serve", "--stack", "model", "--port", "0", NULL};
    int p[2];
    assert_int_equal(pipe(p), 0);
    *pid = fork();
    assert_true(*pid >= 0);
    if (*pid == 0) {
        dup2(p[1], 1);
        if (!getenv("SHAKEDOWN_SHIM_STDERR")) {
            FILE *f = freopen("/dev/null", "w", stderr);
            (void)f;
        }
        execve(argv[0], argv, environ);
        _exit(127);
    }
    remember(*pid);
    close(p[1]);
    char line[128] = "";
    ssize_t got = read(p[0], line, sizeof line - 1);
    close(p[0]);
    assert_true(got > 0);
    line[got] = '\0';
    const char *colon = strrchr(line, ':');
    assert_non_null(colon);
    return atoi(colon + 1);
}

/* --- A proxy that delays every chunk --------------------------------------- */

typedef struct chunk {
    struct chunk *next;
    double due;
    size_t len;
    uint8_t data[];
} chunk;

typedef struct {
    int from, to;
    chunk *head, *tail;
    bool eof, shut;
} direction;

typedef struct {
    bool used;
    direction d[2];
} pair;

#define MAX_PAIRS 16

static void pair_close(pair *p) {
    for (int k = 0; k < 2; k++) {
        while (p->d[k].head) {
            chunk *c = p->d[k].head;
            p->d[k].head = c->next;
            free(c);
        }
    }
    close(p->d[0].from);
    close(p->d[0].to);
    memset(p, 0, sizeof *p);
}

/* Forwards each connection to `target`, holding every chunk read from
 * either side `delay_ms` before writing it on, in order; an end of stream
 * is passed on once the chunks before it are. Runs until killed. */
static void proxy_loop(int lfd, int target, int delay_ms) {
    signal(SIGPIPE, SIG_IGN);
    pair pairs[MAX_PAIRS];
    memset(pairs, 0, sizeof pairs);
    for (;;) {
        struct pollfd pf[1 + 2 * MAX_PAIRS];
        direction *dir_of[1 + 2 * MAX_PAIRS];
        size_t n = 0;
        pf[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
        double now = sd_now_ms(), next = now + 100;
        for (size_t i = 0; i < MAX_PAIRS; i++) {
            if (!pairs[i].used) continue;
            for (int k = 0; k < 2; k++) {
                direction *d = &pairs[i].d[k];
                if (d->head && d->head->due < next) next = d->head->due;
                if (d->eof) continue;
                dir_of[n] = d;
                pf[n++] = (struct pollfd){.fd = d->from, .events = POLLIN};
            }
        }
        int wait = (int)(next - now);
        poll(pf, n, wait > 0 ? wait : 0);
        if (pf[0].revents & POLLIN) {
            int c = accept(lfd, NULL, NULL);
            int s = c >= 0 ? connect_loopback(target) : -1;
            size_t i = 0;
            while (i < MAX_PAIRS && pairs[i].used) i++;
            if (c >= 0 && s >= 0 && i < MAX_PAIRS) {
                int one = 1;
                setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                pairs[i] = (pair){.used = true, .d = {{.from = c, .to = s}, {.from = s, .to = c}}};
            } else {
                if (c >= 0) close(c);
                if (s >= 0) close(s);
            }
        }
        for (size_t j = 1; j < n; j++) {
            if (!(pf[j].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            direction *d = dir_of[j];
            uint8_t buf[16384];
            ssize_t r = recv(d->from, buf, sizeof buf, 0);
            if (r <= 0) {
                d->eof = true;
                continue;
            }
            chunk *c = malloc(sizeof *c + (size_t)r);
            if (!c) _exit(3);
            c->next = NULL;
            c->due = sd_now_ms() + delay_ms;
            c->len = (size_t)r;
            memcpy(c->data, buf, (size_t)r);
            if (d->tail)
                d->tail->next = c;
            else
                d->head = c;
            d->tail = c;
        }
        now = sd_now_ms();
        for (size_t i = 0; i < MAX_PAIRS; i++) {
            if (!pairs[i].used) continue;
            for (int k = 0; k < 2; k++) {
                direction *d = &pairs[i].d[k];
                while (d->head && d->head->due <= now) {
                    chunk *c = d->head;
                    if (!d->shut && !sd_write_all(d->to, c->data, c->len)) d->eof = d->shut = true;
                    d->head = c->next;
                    if (!d->head) d->tail = NULL;
                    free(c);
                }
                if (d->eof && !d->head && !d->shut) {
                    shutdown(d->to, SHUT_WR);
                    d->shut = true;
                }
            }
            if (pairs[i].d[0].shut && pairs[i].d[1].shut) pair_close(&pairs[i]);
        }
    }
}

static int start_proxy(int target, int delay_ms, pid_t *out) {
    int port;
    int lfd = listen_loopback(&port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        proxy_loop(lfd, target, delay_ms);
        _exit(0);
    }
    close(lfd);
    remember(pid);
    *out = pid;
    return port;
}

/* --- Running scenarios over TCP -------------------------------------------- */

/* Runs each scenario of `ids` over the tcp target set up for `connect`;
 * verdicts into out. */
static void run_all(const sd_scenario_set *set, const char *const *ids, size_t n, const char *connect,
                    int timeout_ms, sd_verdict *out) {
    char err[300];
    sd_tcp_options o = {
        .connect = connect, .listen_port = -1, .app = SD_TCP_APP_DEFAULT, .timeout_ms = timeout_ms};
    if (!sd_tcp_setup(&o, err, sizeof err)) fail_msg("%s", err);
    for (size_t i = 0; i < n; i++) {
        const sd_scenario *s = NULL;
        for (size_t k = 0; k < set->n && !s; k++)
            if (strcmp(set->items[k].id, ids[i]) == 0) s = &set->items[k];
        if (!s) fail_msg("no scenario %s", ids[i]);
        sd_run_config cfg;
        sd_run_config_defaults(&cfg, &sd_target_tcp, s->role, &pki);
        sd_run_config_apply_scenario(&cfg, s);
        sd_outcome oc;
        sd_driver_run(&s->trace, &cfg, &oc);
        char why[512];
        out[i] = sd_classify(s, &oc, why, sizeof why);
        if (getenv("SHAKEDOWN_TEST_VERBOSE"))
            fprintf(stderr, "  %s: %s %s (quiet %d ms)\n", s->id, sd_verdict_name(out[i]), why,
                    sd_tcp_quiet_ms());
    }
    sd_tcp_teardown();
}

/* TLS 1.3 (what `serve` speaks): the happy path with its HTTP exchange and
 * close, refusals at every stage, an alert the server must close on, order
 * and record-layer deviations. */
static const char *const latency_ids[] = {
    "tls13.server.handshake.happy",
    "tls13.server.finished.bitflip-first",
    "tls13.server.alert.fatal-mid-handshake",
    "tls13.server.order.second-client-hello",
    "tls13.server.gen-order.certificate-instead-of-finished",
    "tls13.server.gen-order.client-hello-after-handshake",
    "tls13.server.gen-record.appdata-before-client-hello",
};
#define N_LATENCY (sizeof latency_ids / sizeof latency_ids[0])

static void same_verdicts_at_any_latency(void **state) {
    (void)state;
    if (!getenv("SHAKEDOWN_BIN")) skip();
    sd_scenario_set set;
    assert_true(sd_scenario_set_load("test_tcp_latency", NULL, 0, "tls13.server", true, &set));
    pid_t serve;
    int server = start_serve(&serve);
    static const int delays[] = {0, 50, 200, 50};
    sd_verdict got[4][N_LATENCY];
    for (size_t r = 0; r < 4; r++) {
        pid_t proxy;
        int port = start_proxy(server, delays[r], &proxy);
        char connect[64];
        snprintf(connect, sizeof connect, "127.0.0.1:%d", port);
        if (getenv("SHAKEDOWN_TEST_VERBOSE")) fprintf(stderr, "delay %d ms:\n", delays[r]);
        run_all(&set, latency_ids, N_LATENCY, connect, 5000, got[r]);
        stop(proxy);
    }
    for (size_t i = 0; i < N_LATENCY; i++) {
        for (size_t r = 1; r < 4; r++)
            if (got[r][i] != got[0][i])
                fail_msg("%s: %s with no delay, %s with %d ms", latency_ids[i], sd_verdict_name(got[0][i]),
                         sd_verdict_name(got[r][i]), delays[r]);
    }
    /* The verdicts are the model's, which passes every scenario. */
    for (size_t i = 0; i < N_LATENCY; i++)
        if (got[0][i] != SD_VERDICT_PASS) fail_msg("%s: %s", latency_ids[i], sd_verdict_name(got[0][i]));
    stop(serve);
    sd_scenario_set_free(&set);
}

/* A server that accepts and never answers, or closes each connection at
 * once. Runs until killed. */
static int start_dummy(bool close_at_once, pid_t *out) {
    int port;
    int lfd = listen_loopback(&port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int held[512];
        size_t n = 0;
        for (;;) {
            int c = accept(lfd, NULL, NULL);
            if (c < 0) continue;
            if (close_at_once || n == sizeof held / sizeof held[0]) {
                close(c);
                continue;
            }
            held[n++] = c; /* never read, never answered */
        }
    }
    close(lfd);
    remember(pid);
    *out = pid;
    return port;
}

/* Whether a peer over TCP can be asked to run it at all: one connection
 * (resumption needs the probe, which this test leaves out), nothing that
 * sets up renegotiation, 0-RTT, ALPN or a record-size extension (the
 * peer's own settings); the rest it SKIPs without a connection. */
static bool runs_over_tcp(const sd_scenario *s) {
    if (s->renegotiation_stated || s->early_data || s->alpn_len || s->record_size_limit ||
        s->max_fragment_length || s->encrypt_then_mac)
        return false;
    for (size_t a = 0; a < s->trace.n_actions; a++)
        if (s->trace.actions[a].kind == SD_ACT_CONNECTION) return false;
    return true;
}

/* Every twentieth server scenario that can run over TCP (each costs the
 * silent server's whole time limit): not the ones that set the stack's
 * groups (`groups:`), which a peer over TCP chose when it started. */
static size_t sample_servers(const sd_scenario_set *set, const char **ids, size_t cap) {
    size_t n = 0, k = 0;
    for (size_t i = 0; i < set->n && n < cap; i++)
        if (set->items[i].role == SD_ROLE_SERVER && set->items[i].n_groups == 0 &&
            runs_over_tcp(&set->items[i]) && k++ % 20 == 0)
            ids[n++] = set->items[i].id;
    return n;
}

static void silent_or_closing_servers_pass_nothing(void **state) {
    (void)state;
    sd_scenario_set set;
    assert_true(sd_scenario_set_load("test_tcp_latency", NULL, 0, "server", true, &set));
    const char *ids[256];
    size_t n = sample_servers(&set, ids, 256);
    assert_true(n > 50);
    size_t closed_expectations = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < set.n; k++)
            if (strcmp(set.items[k].id, ids[i]) == 0 && set.items[k].expect == SD_EXPECT_CLOSED)
                closed_expectations++;
    assert_true(closed_expectations > 5);
    sd_verdict *v = calloc(n, sizeof *v);
    assert_non_null(v);
    size_t skipped = 0;
    for (int mode = 0; mode < 2; mode++) {
        char connect[64];
        pid_t dummy;
        snprintf(connect, sizeof connect, "127.0.0.1:%d", start_dummy(mode == 1, &dummy));
        /* A short timeout: the silent server takes it whole, every time. */
        run_all(&set, ids, n, connect, 300, v);
        size_t counts[SD_VERDICT_COUNT] = {0};
        for (size_t i = 0; i < n; i++) counts[v[i]]++;
        if (getenv("SHAKEDOWN_TEST_VERBOSE"))
            for (int k = 0; k < SD_VERDICT_COUNT; k++)
                if (counts[k])
                    fprintf(stderr, "%s server: %zu %s\n", mode ? "closing" : "silent", counts[k],
                            sd_verdict_name((sd_verdict)k));
        assert_int_equal(counts[SD_VERDICT_PASS], 0);
        assert_int_equal(counts[SD_VERDICT_SOFT], 0);
        /* A scenario whose setup a peer over TCP cannot take (runs_over_tcp
         * leaves out the known ones) SKIPs before it connects, the same
         * whatever the server does, and only a few may. */
        if (mode == 0) skipped = counts[SD_VERDICT_SKIP];
        assert_int_equal(counts[SD_VERDICT_SKIP], skipped);
        assert_true(skipped * 20 < n);
        /* Silent: a HANG, whatever the scenario (a TLS 1.2 one whose suite
         * the server could not have refused included). Closing: the happy
         * paths fail, every other scenario was not reached. */
        if (mode == 0) assert_int_equal(counts[SD_VERDICT_HANG] + skipped, n);
        if (mode == 1) assert_int_equal(counts[SD_VERDICT_FAIL] + counts[SD_VERDICT_UNREACHED] + skipped, n);
        stop(dummy);
    }
    free(v);
    sd_scenario_set_free(&set);
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(same_verdicts_at_any_latency, stop_children),
        cmocka_unit_test_teardown(silent_or_closing_servers_pass_nothing, stop_children),
    };
    if (!select_test(argc, argv, tests, sizeof tests / sizeof tests[0])) return 1;
    return cmocka_run_group_tests(tests, load_pki, free_pki);
}
