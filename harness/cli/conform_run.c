/* conform_run.c — what a `shakedown conform` run needs around its cells
 * (cli.h): the run folder, checked before anything runs; the stop signals
 * (SIGINT, SIGTERM) that end a run early with a partial report; and a
 * progress line for a run that no terminal watches (a CI log). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* the build defines it too; this is for building alone */
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/util.h"

/* --- The run folder -------------------------------------------------------------- */

/* True if dir has an entry other than . and .. (or cannot be read: then it
 * is not known to be empty, and is not written into). */
static bool dir_has_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return true;
    struct dirent *e;
    bool any = false;
    while (!any && (e = readdir(d)) != NULL)
        any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return any;
}

bool sd_cli_dir_writable(const char *dir, char *err, size_t err_len) {
    /* access(2) says nothing of a read-only file system, nor of root's
     * rights: a real file is made, and removed. */
    char probe[4200];
    int n = snprintf(probe, sizeof probe, "%s/.shakedown-write-check.XXXXXX", dir);
    if (n < 0 || (size_t)n >= sizeof probe) {
        sd_set_error(err, err_len, "%s: path too long", dir);
        return false;
    }
    int fd = mkstemp(probe);
    if (fd < 0) {
        sd_set_error(err, err_len, "cannot write into %s: %s", dir, strerror(errno));
        return false;
    }
    bool ok = sd_write_all(fd, "x", 1);
    int write_errno = errno;
    close(fd);
    unlink(probe);
    if (!ok) sd_set_error(err, err_len, "cannot write into %s: %s", dir, strerror(write_errno));
    return ok;
}

int sd_cli_prepare_out_dir(const char *cmd, const char *dir, bool force) {
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return sd_cli_usage_error(cmd, "--out %s exists and is not a folder", dir);
        if (!force && dir_has_entries(dir)) {
            return sd_cli_usage_error(cmd,
                                      "--out %s is a folder that is not empty (an earlier run?); give a "
                                      "new folder, or --force to write the reports into it anyway",
                                      dir);
        }
    }
    char err[4400] = "";
    if (!sd_make_dirs(dir, err, sizeof err)) {
        return sd_cli_usage_error(cmd, "cannot make the run folder: %s", err);
    }
    if (!sd_cli_dir_writable(dir, err, sizeof err)) return sd_cli_usage_error(cmd, "%s", err);
    return SD_EXIT_OK;
}

/* --- Stop signals -------------------------------------------------------------------- */

volatile sig_atomic_t sd_cli_stop_signal;

static void on_stop(int sig) {
    if (sd_cli_stop_signal) {
        /* A second one: stop now, without reports. Every process the run
         * started dies with this one. */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    sd_cli_stop_signal = sig;
}

void sd_cli_catch_stop_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    /* Restarted where the system can (reads, writes, waits); poll never is,
     * and every poll loop of the harness goes round again on EINTR. */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

const char *sd_cli_signal_name(int sig) {
    switch (sig) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    default:
        return "a signal";
    }
}

/* --- Progress without a terminal -------------------------------------------------------
 * The cells may run in this very process (and one cell may take seconds: a
 * shim's or a peer's time limit), so the line comes from a small process of
 * its own that wakes on time: the run sends it each finished cell over a
 * pipe, it prints the latest at every interval, and it ends when the pipe
 * does. No signal or thread enters the process that runs the cells. */

typedef struct {
    uint64_t done;
    char id[96];
    char stack[32];
} tick_record; /* well under PIPE_BUF: each write arrives whole */

static void ticker_main(int fd, size_t total, int interval_ms, const char *label) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    double start = sd_now_ms(), next = start + interval_ms;
    tick_record last;
    memset(&last, 0, sizeof last);
    for (;;) {
        double now = sd_now_ms();
        if (now >= next) {
            unsigned pct = total ? (unsigned)(last.done * 100 / total) : 100;
            fprintf(stderr, "shakedown conform: %s%llu/%zu cells (%u%%), %.0f s", label,
                    (unsigned long long)last.done, total, pct, (now - start) / 1e3);
            if (last.id[0]) fprintf(stderr, "; last: %s on %s", last.id, last.stack);
            fputc('\n', stderr);
            fflush(stderr);
            next += interval_ms;
            if (next <= now) next = now + interval_ms;
            continue;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)(next - now) + 1);
        if (r < 0 && errno != EINTR) break;
        if (r <= 0) continue;
        tick_record buf[16];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break; /* the run is over, or gone */
        size_t whole = (size_t)n / sizeof buf[0];
        if (whole) {
            last = buf[whole - 1];
            last.id[sizeof last.id - 1] = '\0';
            last.stack[sizeof last.stack - 1] = '\0';
        }
    }
    _exit(0);
}

int sd_cli_progress_interval_ms(void) {
    const char *env = getenv("SHAKEDOWN_PROGRESS_MS");
    uint64_t v;
    if (env && *env && sd_cli_parse_u64(env, &v) && v > 0 && v <= 3600000) return (int)v;
    return 10000;
}

bool sd_cli_ticker_start(sd_cli_ticker *t, size_t total, int interval_ms, const char *label) {
    t->pid = -1;
    t->fd = -1;
    int p[2];
    if (pipe(p) != 0) return false;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFL, O_NONBLOCK); /* a slow reader never slows the run */
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return false;
    }
    if (pid == 0) {
        sd_die_with_parent(parent);
        close(p[1]);
        ticker_main(p[0], total, interval_ms, label);
    }
    close(p[0]);
    t->pid = pid;
    t->fd = p[1];
    return true;
}

void sd_cli_ticker_note(sd_cli_ticker *t, size_t done, const char *id, const char *stack) {
    if (t->fd < 0) return;
    tick_record r;
    memset(&r, 0, sizeof r);
    r.done = done;
    snprintf(r.id, sizeof r.id, "%s", id);
    snprintf(r.stack, sizeof r.stack, "%s", stack);
    /* A full pipe only means the ticker has not read yet: this note is
     * skipped, the next one carries the count. */
    ssize_t w = write(t->fd, &r, sizeof r);
    (void)w;
}

void sd_cli_ticker_stop(sd_cli_ticker *t) {
    if (t->fd >= 0) close(t->fd);
    t->fd = -1;
    if (t->pid > 0) {
        /* The end of the pipe ends it (the workers that shared the pipe are
         * gone by now); a moment's grace, then it is stopped. */
        double deadline = sd_now_ms() + 2000;
        pid_t r;
        while ((r = waitpid(t->pid, NULL, WNOHANG)) == 0 && sd_now_ms() < deadline) {
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (r == 0) {
            kill(t->pid, SIGKILL);
            while (waitpid(t->pid, NULL, 0) < 0 && errno == EINTR) {
            }
        }
    }
    t->pid = -1;
}
