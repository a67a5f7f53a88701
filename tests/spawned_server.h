/* spawned_server.h — one server program per test, started on a loopback
 * port and stopped by the test's teardown, so that a failing assertion
 * leaves no process behind. Include after <cmocka.h> and
 * loopback_fixture.h. */
#ifndef SHAKEDOWN_TESTS_SPAWNED_SERVER_H
#define SHAKEDOWN_TESTS_SPAWNED_SERVER_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static pid_t server_pid = -1;

/* Starts a program with its output thrown away (its stderr is kept when
 * SHAKEDOWN_SHIM_STDERR is set, to debug a failing test). */
static pid_t spawn_quiet(char *const argv[]) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *f = freopen("/dev/null", "w", stdout);
        if (!getenv("SHAKEDOWN_SHIM_STDERR")) f = freopen("/dev/null", "w", stderr);
        (void)f;
        execve(argv[0], argv, environ);
        _exit(127);
    }
    return pid;
}

/* The server a test runs, listening on port within 5 s or the test fails. */
static void start_server(char *const argv[], int port) {
    server_pid = spawn_quiet(argv);
    for (int i = 0; i < 500 && !port_open(port); i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (!port_open(port)) fail_msg("%s did not listen on %d", argv[0], port);
}

static void stop_spawned_server(void) {
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
    }
    server_pid = -1;
}

#endif
