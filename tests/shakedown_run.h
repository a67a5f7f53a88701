/* shakedown_run.h — for the tests that run the `shakedown` program
 * ($SHAKEDOWN_BIN) and read what it printed. Include after <cmocka.h>; the
 * test makes the folder `tmpdir` names before its first run(). */
#ifndef SHAKEDOWN_TESTS_SHAKEDOWN_RUN_H
#define SHAKEDOWN_TESTS_SHAKEDOWN_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Where each run's stdout and stderr go (out.N, err.N). */
static char tmpdir[256];

/* Runs shakedown with args (NULL-terminated, without the program), stdout
 * and stderr into files under tmpdir (their paths into out and err, 512
 * bytes each). Returns the exit status. */
static int run(const char *const *args, char *out, char *err) {
    const char *bin = getenv("SHAKEDOWN_BIN");
    assert_non_null(bin);
    static int n;
    snprintf(out, 512, "%s/out.%d", tmpdir, n);
    snprintf(err, 512, "%s/err.%d", tmpdir, n++);
    char *argv[32];
    size_t i = 0;
    argv[i++] = (char *)bin;
    for (; args[i - 1] && i < 31; i++) argv[i] = (char *)args[i - 1];
    argv[i] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(out, "w", stdout) || !freopen(err, "w", stderr)) _exit(127);
        execv(bin, argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status)); /* a signal here is a harness crash */
    return WEXITSTATUS(status);
}

/* A file's text (at most 1 MiB), in a buffer the next call reuses; NULL if
 * it cannot be read. */
static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

#endif
