/* test_interrupt.c — runs that survive interruption, end to end: SIGINT or
 * SIGTERM during `shakedown conform` writes the reports of what ran, marked
 * incomplete, exits 128 + the signal and leaves runs/latest alone; SIGKILL
 * of `shakedown conform` (shim processes, -j workers) or of `shakedown fuzz`
 * (jobs and what they start) leaves no process behind; a run without a
 * terminal prints progress lines.
 *
 * The stacks are stand-ins made here: a "shim" script that records its pid
 * and then never answers (or, for its first runs, exits at once), and a
 * "fuzz target" script that starts a child of its own and waits. This test
 * process is a child subreaper (PR_SET_CHILD_SUBREAPER), so every process a
 * shakedown leaves behind becomes its child: "no process left" is waitpid
 * answering ECHILD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "report_page.h"

static char tmpdir[256];

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000 * 1000};
    nanosleep(&ts, NULL);
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static void write_script(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, 0755), 0);
}

/* Lines in a file (0 if it does not exist yet). */
static size_t count_lines(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = 0;
    int c;
    while ((c = fgetc(f)) != EOF)
        if (c == '\n') n++;
    fclose(f);
    return n;
}

/* Waits until path has at least n lines; false after limit_ms (a generous
 * bound on a stand-in starting, never a speed claim). */
static bool wait_lines(const char *path, size_t n, int limit_ms) {
    double end = now_ms() + limit_ms;
    while (count_lines(path) < n) {
        if (now_ms() > end) return false;
        sleep_ms(20);
    }
    return true;
}

/* Starts shakedown with args (NULL-terminated, without the program) in
 * directory cwd, stdout and stderr to files in tmpdir named by tag. */
static pid_t start(const char *cwd, const char *tag, const char *const *args) {
    const char *bin = getenv("SHAKEDOWN_BIN");
    assert_non_null(bin);
    char out[400], err[400];
    snprintf(out, sizeof out, "%s/%s.out", tmpdir, tag);
    snprintf(err, sizeof err, "%s/%s.err", tmpdir, tag);
    char *argv[40];
    size_t i = 0;
    argv[i++] = (char *)bin;
    for (size_t j = 0; args[j] && i < 39; j++) argv[i++] = (char *)args[j];
    argv[i] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (chdir(cwd) != 0 || !freopen(out, "w", stdout) || !freopen(err, "w", stderr)) _exit(127);
        execv(bin, argv);
        _exit(127);
    }
    return pid;
}

/* For a failure message: what the processes under pid are doing. */
static void show_tree(pid_t pid) {
    char cmd[200];
    snprintf(cmd, sizeof cmd, "ps -e -o pid,ppid,stat,wchan:24,args --forest | grep -A6 '^ *%d ' >&2",
             (int)pid);
    if (system(cmd) != 0) fprintf(stderr, "(ps failed)\n");
}

static int wait_exit(pid_t pid) {
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status)); /* shakedown itself must not die of the signal */
    return WEXITSTATUS(status);
}

/* Every process left behind is our child (we are the subreaper): reaps
 * them; true once there is none, false if some are still alive after
 * limit_ms (then they are listed and killed, so later tests start clean). */
static bool no_process_left(int limit_ms) {
    double end = now_ms() + limit_ms;
    for (;;) {
        pid_t r = waitpid(-1, NULL, WNOHANG);
        if (r > 0) continue;
        if (r < 0 && errno == ECHILD) return true;
        if (now_ms() > end) break;
        sleep_ms(20);
    }
    /* Name them, for the failure message. */
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char path[300], stat[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t n = fread(stat, 1, sizeof stat - 1, f);
        fclose(f);
        stat[n] = 0;
        const char *close_paren = strrchr(stat, ')');
        int ppid = 0;
        char state = 0;
        if (close_paren && sscanf(close_paren + 1, " %c %d", &state, &ppid) == 2 && ppid == getpid()) {
            char cmdline[300] = "";
            snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
            FILE *c = fopen(path, "r");
            size_t m = c ? fread(cmdline, 1, sizeof cmdline - 1, c) : 0;
            if (c) fclose(c);
            for (size_t i = 0; i < m; i++)
                if (!cmdline[i]) cmdline[i] = ' ';
            fprintf(stderr, "left behind: pid %s, state %c: %s\n", e->d_name, state, cmdline);
            kill(atoi(e->d_name), SIGKILL);
        }
    }
    if (d) closedir(d);
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    return false;
}

/* True if none of the pids listed in path (one a line) is alive; a zombie
 * counts as gone (it runs no more). */
static bool listed_pids_gone(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return true;
    bool gone = true;
    int pid;
    while (fscanf(f, "%d", &pid) == 1) {
        char p[64], stat[512] = "";
        snprintf(p, sizeof p, "/proc/%d/stat", pid);
        FILE *s = fopen(p, "r");
        if (!s) continue;
        size_t n = fread(stat, 1, sizeof stat - 1, s);
        fclose(s);
        stat[n] = 0;
        const char *close_paren = strrchr(stat, ')');
        if (close_paren && close_paren[1] == ' ' && close_paren[2] != 'Z') {
            fprintf(stderr, "still running: %s", stat);
            gone = false;
        }
    }
    fclose(f);
    return gone;
}

static int setup(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/shakedown-test-interrupt.XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    /* Orphans of the shakedowns started here become our children. */
    return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A stand-in shim for stack 'openssl' in dir: answers --version, records
 * each run's pid in dir/pids; the first `quick` runs exit at once (the cell
 * ends: the shim failed to start), later ones never answer (the cell waits
 * for the shim time limit). */
static void make_shim(const char *dir, int quick) {
    assert_int_equal(mkdir(dir, 0755), 0);
    char path[400], text[1200];
    snprintf(path, sizeof path, "%s/shakedown-shim-openssl", dir);
    snprintf(text, sizeof text,
             "#!/bin/sh\n"
             "case \" $* \" in *\" --version \"*) echo 'stand-in shim'; exit 0 ;; esac\n"
             "echo $$ >> '%s/pids'\n"
             /* mkdir is atomic: exactly `quick` runs win a ticket, even
              * with two workers starting shims at the same time. */
             "i=1\n"
             "while [ $i -le %d ]; do mkdir '%s/ticket.'$i 2>/dev/null && exit 0; i=$((i + 1)); done\n"
             "exec sleep 600\n",
             dir, quick, dir);
    write_script(path, text);
}

static const char *scenarios_dir(char *buf, size_t len) {
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    snprintf(buf, len, "%s/scenarios/tls13", src ? src : ".");
    return buf;
}

static json_t *load_results(const char *dir) {
    char path[600];
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) fprintf(stderr, "%s: %s\n", path, jerr.text);
    return root;
}

/* The one run folder under cwd/runs (not runs/latest); false if none. */
static bool find_run_dir(const char *cwd, char *out, size_t len) {
    char runs[400];
    snprintf(runs, sizeof runs, "%s/runs", cwd);
    DIR *d = opendir(runs);
    if (!d) return false;
    struct dirent *e;
    bool found = false;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "latest") == 0) continue;
        snprintf(out, len, "%s/%s", runs, e->d_name);
        found = true;
    }
    closedir(d);
    return found;
}

/* Checks the reports of an interrupted run in dir: incomplete, some cells
 * ran and the rest say why not. Returns how many ran. */
static size_t check_partial_reports(const char *dir, const char *signame) {
    json_t *root = load_results(dir);
    assert_non_null(root);
    json_t *run = json_object_get(root, "run");
    assert_true(json_is_true(json_object_get(run, "incomplete")));
    const char *reason = json_string_value(json_object_get(run, "incomplete_reason"));
    assert_non_null(reason);
    assert_non_null(strstr(reason, signame));
    json_t *results = json_object_get(root, "results");
    size_t ran = 0, i;
    json_t *r;
    json_array_foreach(results, i, r) {
        if (json_is_true(json_object_get(r, "ran"))) {
            ran++;
        } else {
            const char *why = json_string_value(json_object_get(r, "why"));
            assert_non_null(why);
            assert_non_null(strstr(why, "interrupted"));
        }
    }
    assert_true(ran < json_array_size(results));
    json_decref(root);
    char path[600];
    snprintf(path, sizeof path, "%s/summary.md", dir);
    const char *md = slurp(path);
    assert_non_null(md);
    assert_non_null(strstr(md, "Incomplete run"));
    snprintf(path, sizeof path, "%s/index.html", dir);
    const char *html = slurp(path);
    assert_non_null(html);
    /* The page says so too: its results carry the reason. */
    json_t *page = page_data_in(html);
    assert_true(json_is_true(json_object_get(json_object_get(page, "run"), "incomplete")));
    assert_true(
        strlen(json_string_value(json_object_get(json_object_get(page, "run"), "incomplete_reason"))) > 0);
    json_decref(page);
    snprintf(path, sizeof path, "%s/junit.xml", dir);
    assert_non_null(slurp(path));
    return ran;
}

/* SIGINT while the cells run in this process: the three cells that ended
 * are in the reports, the rest are "not run", the exit code is 130, and
 * runs/latest was not moved to the cut-short run. A finished run then moves
 * it. */
static void sigint_writes_a_partial_report(void **state) {
    (void)state;
    char cwd[300], shims[400], pids[500], scen[400];
    snprintf(cwd, sizeof cwd, "%s/sigint", tmpdir);
    assert_int_equal(mkdir(cwd, 0755), 0);
    snprintf(shims, sizeof shims, "%s/shims", cwd);
    make_shim(shims, 3);
    snprintf(pids, sizeof pids, "%s/pids", shims);
    setenv("SHAKEDOWN_SHIM_DIR", shims, 1);
    setenv("SHAKEDOWN_SHIM_TIMEOUT_MS", "1500", 1);
    const char *args[] = {"conform", "--stack", "openssl", "-q", scenarios_dir(scen, sizeof scen), NULL};
    pid_t pid = start(cwd, "sigint", args);
    unsetenv("SHAKEDOWN_SHIM_DIR");
    unsetenv("SHAKEDOWN_SHIM_TIMEOUT_MS");
    /* The fourth shim has started: three cells are done, one is waiting on
     * a shim that never answers. */
    assert_true(wait_lines(pids, 4, 60000));
    kill(pid, SIGINT);
    assert_int_equal(wait_exit(pid), 130);

    char dir[700], latest[700];
    assert_true(find_run_dir(cwd, dir, sizeof dir));
    size_t ran = check_partial_reports(dir, "SIGINT");
    assert_true(ran >= 3);
    snprintf(latest, sizeof latest, "%s/runs/latest", cwd);
    struct stat st;
    assert_int_not_equal(lstat(latest, &st), 0); /* not moved to an interrupted run */
    assert_true(no_process_left(20000));

    /* A run that finishes moves runs/latest. */
    char one[600];
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    snprintf(one, sizeof one, "%s/scenarios/tls13/server.handshake.happy.sd", src ? src : ".");
    const char *args2[] = {"conform", "--stack", "model", "-q", one, NULL};
    assert_int_equal(wait_exit(start(cwd, "finished", args2)), 0);
    char target[300] = "";
    ssize_t n = readlink(latest, target, sizeof target - 1);
    assert_true(n > 0);
    target[n] = 0;
    assert_string_not_equal(target, strrchr(dir, '/') + 1);
    assert_true(no_process_left(20000));
}

/* SIGTERM with -j 2: the workers are stopped, the reports written, the exit
 * code 143, and no worker or shim is left. */
static void sigterm_with_workers_writes_a_partial_report(void **state) {
    (void)state;
    char cwd[300], shims[400], pids[500], scen[400], out[500];
    snprintf(cwd, sizeof cwd, "%s/sigterm", tmpdir);
    assert_int_equal(mkdir(cwd, 0755), 0);
    snprintf(shims, sizeof shims, "%s/shims", cwd);
    make_shim(shims, 2);
    snprintf(pids, sizeof pids, "%s/pids", shims);
    snprintf(out, sizeof out, "%s/run", cwd);
    setenv("SHAKEDOWN_SHIM_DIR", shims, 1);
    setenv("SHAKEDOWN_SHIM_TIMEOUT_MS", "60000", 1);
    const char *args[] = {
        "conform", "--stack", "openssl", "-j", "2", "--out", out, "-q", scenarios_dir(scen, sizeof scen),
        NULL};
    pid_t pid = start(cwd, "sigterm", args);
    unsetenv("SHAKEDOWN_SHIM_DIR");
    unsetenv("SHAKEDOWN_SHIM_TIMEOUT_MS");
    /* Two cells done; both workers wait on a shim that never answers. */
    bool started = wait_lines(pids, 4, 60000);
    if (!started) {
        fprintf(stderr, "%zu shims started:\n%s", count_lines(pids), slurp(pids));
        show_tree(pid);
    }
    assert_true(started);
    kill(pid, SIGTERM);
    assert_int_equal(wait_exit(pid), 143);
    assert_true(check_partial_reports(out, "SIGTERM") >= 2);
    assert_true(no_process_left(20000));
    assert_true(listed_pids_gone(pids));
}

/* SIGKILL of conform: nothing runs its clean-up, yet the workers and the
 * shims they started die with it (a parent-death signal each). */
static void sigkill_of_conform_leaves_no_process(void **state) {
    (void)state;
    char cwd[300], shims[400], pids[500], scen[400], out[500];
    snprintf(cwd, sizeof cwd, "%s/sigkill", tmpdir);
    assert_int_equal(mkdir(cwd, 0755), 0);
    snprintf(shims, sizeof shims, "%s/shims", cwd);
    make_shim(shims, 0);
    snprintf(pids, sizeof pids, "%s/pids", shims);
    snprintf(out, sizeof out, "%s/run", cwd);
    setenv("SHAKEDOWN_SHIM_DIR", shims, 1);
    setenv("SHAKEDOWN_SHIM_TIMEOUT_MS", "60000", 1);
    const char *args[] = {
        "conform", "--stack", "openssl", "-j", "2", "--out", out, "-q", scenarios_dir(scen, sizeof scen),
        NULL};
    pid_t pid = start(cwd, "sigkill", args);
    unsetenv("SHAKEDOWN_SHIM_DIR");
    unsetenv("SHAKEDOWN_SHIM_TIMEOUT_MS");
    assert_true(wait_lines(pids, 2, 60000));
    kill(pid, SIGKILL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_true(no_process_left(20000));
    assert_true(listed_pids_gone(pids));
}

/* A stand-in fuzz target in dir: records its pid and that of a child it
 * starts, then waits for ever. */
static void make_fuzz_target(const char *dir, const char *pids) {
    assert_int_equal(mkdir(dir, 0755), 0);
    char path[400], text[800];
    snprintf(path, sizeof path, "%s/fuzz_standin", dir);
    snprintf(text, sizeof text,
             "#!/bin/sh\n"
             "echo $$ >> '%s'\n"
             "sleep 600 &\n"
             "echo $! >> '%s'\n"
             "wait\n",
             pids, pids);
    write_script(path, text);
}

/* SIGKILL of `shakedown fuzz`: the jobs, and the processes the jobs
 * started, are gone (the jobs' parent-death signal, and the guard that
 * kills their process groups). */
static void sigkill_of_fuzz_leaves_no_process(void **state) {
    (void)state;
    char bin[300], pids[400], out[400];
    snprintf(bin, sizeof bin, "%s/fuzzbin", tmpdir);
    snprintf(pids, sizeof pids, "%s/fuzz.pids", tmpdir);
    snprintf(out, sizeof out, "%s/fuzz-out", tmpdir);
    make_fuzz_target(bin, pids);
    const char *args[] = {"fuzz", "--bin-dir", bin, "--target", "fuzz_standin", "--time", "600", "-j",
                          "2",    "--out",     out, NULL};
    pid_t pid = start(tmpdir, "fuzz-kill", args);
    assert_true(wait_lines(pids, 4, 60000)); /* two jobs, each with its child */
    kill(pid, SIGKILL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_true(no_process_left(20000));
    assert_true(listed_pids_gone(pids));
}

/* SIGINT of `shakedown fuzz`: the jobs are stopped, the reports say the run
 * was interrupted, the exit code is 130, and nothing is left. */
static void sigint_of_fuzz_stops_and_reports(void **state) {
    (void)state;
    char bin[300], pids[400], out[400];
    snprintf(bin, sizeof bin, "%s/fuzzbin2", tmpdir);
    snprintf(pids, sizeof pids, "%s/fuzz2.pids", tmpdir);
    snprintf(out, sizeof out, "%s/fuzz-out2", tmpdir);
    make_fuzz_target(bin, pids);
    const char *args[] = {"fuzz", "--bin-dir", bin, "--target", "fuzz_standin", "--time", "600", "-j",
                          "2",    "--out",     out, NULL};
    pid_t pid = start(tmpdir, "fuzz-int", args);
    assert_true(wait_lines(pids, 4, 60000));
    kill(pid, SIGINT);
    assert_int_equal(wait_exit(pid), 130);
    char path[500];
    snprintf(path, sizeof path, "%s/findings.json", out);
    json_error_t jerr;
    json_t *f = json_load_file(path, 0, &jerr);
    assert_non_null(f);
    assert_true(json_is_true(json_object_get(f, "interrupted")));
    json_decref(f);
    assert_true(no_process_left(20000));
    assert_true(listed_pids_gone(pids));
}

/* --first-finding: the target that finds something is not started again,
 * and the targets after it do not run; exit 1 with the finding reported.
 * The stand-in writes a differential finding the way the fuzz targets do
 * (input, then <input>.txt with its signature) and aborts. */
static void first_finding_stops_the_campaign(void **state) {
    (void)state;
    char bin[300], ran[400], out[400], path[500], text[900];
    snprintf(bin, sizeof bin, "%s/fuzzbin3", tmpdir);
    snprintf(ran, sizeof ran, "%s/fuzz3.ran", tmpdir);
    snprintf(out, sizeof out, "%s/fuzz-out3", tmpdir);
    assert_int_equal(mkdir(bin, 0755), 0);
    snprintf(path, sizeof path, "%s/fuzz_finds", bin);
    snprintf(text, sizeof text,
             "#!/bin/sh\n"
             "case \"$1\" in -merge=1) exit 0;; esac\n"
             "echo finds >> '%s'\n"
             "d=\"$SHAKEDOWN_FINDINGS_DIR/fuzz_finds\"; mkdir -p \"$d\"\n"
             "printf x > \"$d/f1\"; printf 'signature:  fuzz_finds:standin\\n' > \"$d/f1.txt\"\n"
             "kill -ABRT $$\n",
             ran);
    write_script(path, text);
    snprintf(path, sizeof path, "%s/fuzz_second", bin);
    snprintf(text, sizeof text, "#!/bin/sh\necho second >> '%s'\nsleep 600\n", ran);
    write_script(path, text);
    const char *args[] = {"fuzz",     "--bin-dir",       bin,      "--target", "fuzz_finds",
                          "--target", "fuzz_second",     "--time", "600",      "--out",
                          out,        "--first-finding", NULL};
    pid_t pid = start(tmpdir, "fuzz-first", args);
    assert_int_equal(wait_exit(pid), 1);
    assert_string_equal(slurp(ran), "finds\n"); /* once, and not the second target */
    snprintf(path, sizeof path, "%s/fuzz-first.out", tmpdir);
    const char *said = slurp(path);
    assert_non_null(strstr(said, "fuzz_finds:standin"));
    assert_non_null(strstr(said, "1 target not run"));
    assert_true(no_process_left(20000));
}

/* No terminal (stderr is a file): progress lines come on time even while
 * a cell is waiting, here on shims that never answer, so each cell lasts at
 * least their 300 ms limit and the run at least 600 ms. */
static void progress_without_a_terminal(void **state) {
    (void)state;
    char cwd[300], shims[400], out[500], one[600], two[600];
    snprintf(cwd, sizeof cwd, "%s/progress", tmpdir);
    assert_int_equal(mkdir(cwd, 0755), 0);
    snprintf(shims, sizeof shims, "%s/shims", cwd);
    make_shim(shims, 0);
    snprintf(out, sizeof out, "%s/run", cwd);
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    snprintf(one, sizeof one, "%s/scenarios/tls13/server.handshake.happy.sd", src ? src : ".");
    snprintf(two, sizeof two, "%s/scenarios/tls13/server.finished.bitflip-first.sd", src ? src : ".");
    setenv("SHAKEDOWN_SHIM_DIR", shims, 1);
    setenv("SHAKEDOWN_SHIM_TIMEOUT_MS", "300", 1);
    setenv("SHAKEDOWN_PROGRESS_MS", "50", 1);
    const char *args[] = {"conform", "--stack", "openssl", "--out", out, one, two, NULL};
    pid_t pid = start(cwd, "progress", args);
    unsetenv("SHAKEDOWN_SHIM_DIR");
    unsetenv("SHAKEDOWN_SHIM_TIMEOUT_MS");
    unsetenv("SHAKEDOWN_PROGRESS_MS");
    int rc = wait_exit(pid);
    assert_true(rc == 1 || rc == 3); /* the stand-in HANGs or fails: not the point here */
    char path[400];
    snprintf(path, sizeof path, "%s/progress.err", tmpdir);
    const char *err = slurp(path);
    assert_non_null(err);
    /* "shakedown conform: 1/2 cells (50%), 0 s; last: ..." */
    size_t lines = 0;
    for (const char *p = err; (p = strstr(p, " cells (")) != NULL; p++) lines++;
    if (lines < 2) fprintf(stderr, "stderr was:\n%s\n", err);
    assert_true(lines >= 2);
    assert_true(no_process_left(20000));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sigint_writes_a_partial_report),
        cmocka_unit_test(sigterm_with_workers_writes_a_partial_report),
        cmocka_unit_test(sigkill_of_conform_leaves_no_process),
        cmocka_unit_test(sigkill_of_fuzz_leaves_no_process),
        cmocka_unit_test(sigint_of_fuzz_stops_and_reports),
        cmocka_unit_test(first_finding_stops_the_campaign),
        cmocka_unit_test(progress_without_a_terminal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
