/* fuzz.c — `shakedown fuzz`: run the built fuzz targets under libFuzzer or
 * AFL++ for a time budget, merge the corpus, and report the findings.
 *
 *   shakedown fuzz [--target NAME|all] [--stack NAME] [--engine libfuzzer|afl]
 *                  [--time SECONDS] [-j N] [--out DIR] [--bin-dir DIR]
 *
 * This is the command a CI job calls. For each chosen target, in turn:
 *   - N jobs run side by side for --time seconds over one shared corpus
 *     (OUT/corpus/<target>/, seeded from corpus/<target>/; the committed
 *     seeds are never written). libFuzzer: N processes with their own
 *     -seed, which reload the shared folder; AFL++: one -M main and N-1 -S
 *     secondaries. A job that stops on a finding is started again until
 *     the time is up, so one finding does not end the campaign.
 *   - libFuzzer's corpus is then merged and minimised (-merge=1) into
 *     OUT/merged/<target>/.
 * Findings come from two places: the differential ones each target writes
 * (SHAKEDOWN_FINDINGS_DIR=OUT/findings, <target>/<hash> + <hash>.txt with
 * its signature), and sanitizer crashes, timeouts and OOMs the engine
 * saves (libFuzzer's crash-/timeout-/oom- artifacts, AFL++'s crashes/),
 * named by the sanitizer's SUMMARY line. They are deduplicated by
 * signature and written to OUT/findings.json and OUT/findings.md.
 * Processes are started with fork + execv and an argument vector, never a
 * shell. On a terminal a status line shows progress.
 *
 * No job outlives shakedown: each dies with it (sd_die_with_parent), and
 * leads a process group of its own, which a guard process kills when
 * shakedown ends in any way, SIGKILL included (the engines start processes
 * of their own: libFuzzer's merge, AFL++'s fork server). SIGINT or SIGTERM
 * stops the jobs, writes the reports of what ran, and exits 128 + the
 * signal's number.
 *
 * --stack NAME makes it a three-party run: each input also runs on that
 * stack, in process where the build has it (so the stack's own coverage
 * guides the fuzzer when it was built instrumented, scripts/build-stack.sh),
 * else through its shim, and the stack is judged against the model and
 * BoringSSL (targets/fuzz/differential_target.c, oracle sd_judge_stack).
 * The targets learn it from SHAKEDOWN_FUZZ_STACK.
 *
 * --reference NAME gives the setups BoringSSL cannot run (finite-field DHE,
 * X448, encrypt_then_mac, record_size_limit, ...; sd_fuzz_setup_boringssl_runs)
 * a second reference: they run on the model and on NAME and are compared,
 * where they are otherwise skipped. The targets learn it from
 * SHAKEDOWN_FUZZ_REFERENCE. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "run/differential.h"
#include "util/util.h"

static const char fuzz_cmd[] = "fuzz";

static void fuzz_usage(FILE *f) {
    fprintf(f, "usage: shakedown fuzz [--target NAME|all] [--stack NAME | --reference NAME]\n"
               "                      [--engine libfuzzer|afl] [--time SECONDS] [-j N] [--out DIR] "
               "[--bin-dir DIR] [--first-finding]\n"
               "\n"
               "Runs built fuzz targets for a time budget, merges their corpus, and writes the\n"
               "deduplicated findings to DIR/findings.json and DIR/findings.md.\n"
               "\n"
               "  --target NAME   a fuzz target (fuzz_client_hello, ...), repeatable; 'all' (the\n"
               "                  default) runs every target found in the binary folder\n"
               "  --stack NAME    also run each input on this stack (wolfssl, mbedtls, gnutls: in\n"
               "                  process; openssl and the other shims: through the shim) and\n"
               "                  judge it against the model and BoringSSL: a crash or sanitizer\n"
               "                  report in it, a hang, an input it accepts that both refuse, one\n"
               "                  it refuses that both accept, or another difference from both,\n"
               "                  unless harness/oracle/known_differences/NAME.txt (or\n"
               "                  $SHAKEDOWN_STACK_KNOWN_DIFFERENCES) justifies it. A stack that\n"
               "                  does what either reference does is not judged further. The run\n"
               "                  goes on past each finding (one file per signature) unless\n"
               "                  --first-finding, and prints the edges reached in each\n"
               "                  instrumented module: the stack's own when it was built with\n"
               "                  scripts/build-stack.sh\n"
               "  --reference NAME  an in-process stack (gnutls, ...) that stands in for BoringSSL\n"
               "                  on the setups BoringSSL cannot run (TLS 1.2 DHE suites, X448 and\n"
               "                  FFDHE groups, encrypt_then_mac, record_size_limit,\n"
               "                  max_fragment_length, ...): they run on the model and on NAME and\n"
               "                  are compared, where otherwise they are skipped; the differences\n"
               "                  in harness/oracle/known_differences/NAME.txt are known. A setup\n"
               "                  NAME cannot run either is skipped. Not with --stack. Off by\n"
               "                  default: without it nothing changes\n"
               "  --engine E      libfuzzer (default; build: cmake --preset fuzz && cmake --build\n"
               "                  --preset fuzz) or afl (build: scripts/build-afl.sh)\n"
               "  --time SECONDS  budget per target (default 60)\n"
               "  -j N            parallel jobs per target (default 1)\n"
               "  --out DIR       where corpus, logs and findings go (default fuzz-out)\n"
               "  --bin-dir DIR   where the target binaries are (default build/fuzz/targets/fuzz,\n"
               "                  or build/afl/targets/fuzz for afl, under the source tree; with\n"
               "                  --stack NAME, build/fuzz-NAME/targets/fuzz where it exists: the\n"
               "                  build that links scripts/build-stack.sh's instrumented NAME)\n"
               "  --first-finding stop at the first finding, skipping the targets left (a CI gate\n"
               "                  that fails fast; scripts/mutants.sh, timing a catch)\n"
               "  -h, --help      this help\n"
               "\n"
               "SIGINT or SIGTERM stops the jobs and writes the reports of what ran. No job\n"
               "outlives shakedown, even if it is killed.\n"
               "\n"
               "exit codes: 0 no findings; 1 findings (see findings.md); 2 bad flag or no target\n"
               "binaries; 3 the engine could not be run; 130 (SIGINT) or 143 (SIGTERM) interrupted\n");
}

typedef enum { ENGINE_LIBFUZZER, ENGINE_AFL } engine;

typedef struct {
    engine eng;
    unsigned seconds, jobs;
    const char *out, *bin_dir;
    bool first_finding; /* stop at the first finding */
    const char *stack;  /* --stack: the stack under test, NULL for the model against BoringSSL */
    /* --reference: the model's second reference on setups BoringSSL cannot run, NULL: they are skipped */
    const char *reference;
} options;

/* The option `shakedown repro` needs to judge a finding as this run did:
 * "--stack NAME ", "--reference NAME " or "". */
static void repro_option(const options *o, char *buf, size_t len) {
    if (o->stack)
        snprintf(buf, len, "--stack %s ", o->stack);
    else if (o->reference)
        snprintf(buf, len, "--reference %s ", o->reference);
    else if (len)
        buf[0] = '\0';
}

/* --- Small helpers ----------------------------------------------------------- */

static double now_s(void) { return sd_now_ms() / 1e3; }

static bool is_exec(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static size_t count_files(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

/* Copies every regular file of from/ into to/ (seeding the work corpus). */
static void copy_files(const char *from, const char *to) {
    DIR *d = opendir(from);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char src[2400], dst[2400];
        snprintf(src, sizeof src, "%s/%s", from, e->d_name);
        snprintf(dst, sizeof dst, "%s/%s", to, e->d_name);
        struct stat st;
        if (stat(src, &st) != 0 || !S_ISREG(st.st_mode) || stat(dst, &st) == 0) continue;
        FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
        char buf[8192];
        size_t n;
        while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
        if (in) fclose(in);
        if (out) fclose(out);
    }
    closedir(d);
}

/* --- The guard ----------------------------------------------------------------
 * A process that outlives shakedown by a moment: each job tells it, over a
 * pipe, the process group it leads (a positive number), and shakedown each
 * it has finished with (negative); when the pipe ends, because shakedown
 * exited or was killed, the guard kills every group still on its list. A parent-death
 * signal alone would reach only the jobs, not the processes they start. */

static int guard_fd = -1;

static void guard_main(int fd) {
    /* Signals for the whole process group (a Ctrl-C) are shakedown's to
     * handle; the guard's work comes after. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        if (devnull > 2) close(devnull);
    }
    pid_t groups[256];
    size_t n = 0;
    int32_t msg;
    for (;;) {
        ssize_t r = read(fd, &msg, sizeof msg);
        if (r < 0 && errno == EINTR) continue;
        if (r != (ssize_t)sizeof msg) break; /* shakedown is gone */
        if (msg > 0 && n < sizeof groups / sizeof groups[0]) {
            groups[n++] = (pid_t)msg;
        } else if (msg < 0) {
            for (size_t i = 0; i < n; i++)
                if (groups[i] == (pid_t)-msg) groups[i] = groups[--n];
        }
    }
    for (size_t i = 0; i < n; i++) kill(-groups[i], SIGKILL);
    _exit(0);
}

/* Starts the guard; false if it cannot be (the fuzz run then does not
 * start: it could leave processes behind). */
static bool guard_start(void) {
    int p[2];
    if (pipe(p) != 0) return false;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return false;
    }
    if (pid == 0) {
        close(p[1]);
        guard_main(p[0]);
    }
    close(p[0]);
    guard_fd = p[1];
    return true;
}

static void guard_tell(pid_t group, bool started) {
    if (guard_fd < 0 || group <= 0) return;
    int32_t msg = started ? (int32_t)group : -(int32_t)group;
    if (!sd_write_all(guard_fd, &msg, sizeof msg)) {
        /* The guard is gone: shakedown's own clean-up still stops the jobs. */
        close(guard_fd);
        guard_fd = -1;
    }
}

/* A job has ended: what it started in its group goes with it. */
static void job_done(pid_t pid) {
    kill(-pid, SIGKILL);
    guard_tell(pid, false);
}

/* fork + execv with stdout/stderr to log (appended); env additions as
 * NAME=value strings. Returns the pid, -1 on failure. */
static pid_t spawn(char *const argv[], const char *log, char *const env_add[]) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid > 0) setpgid(pid, pid); /* as the child does, whichever runs first */
    if (pid != 0) return pid;
    sd_die_with_parent(parent);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0666);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    /* A process group of its own: stopping a job stops its children too.
     * The job names it to the guard itself, before it can start anything:
     * told by the parent after fork, the guard could hear of it only after
     * the job's children were running, and miss them if shakedown was
     * killed in between. */
    setpgid(0, 0);
    guard_tell(getpid(), true);
    for (size_t i = 0; env_add && env_add[i]; i++) {
        char name[64];
        const char *eq = strchr(env_add[i], '=');
        if (!eq || (size_t)(eq - env_add[i]) >= sizeof name) continue;
        memcpy(name, env_add[i], (size_t)(eq - env_add[i]));
        name[eq - env_add[i]] = '\0';
        setenv(name, eq + 1, 1);
    }
    execv(argv[0], argv);
    _exit(127);
}

static volatile sig_atomic_t g_interrupted; /* the signal that stops the run, 0 if none */

/* Waits for a job; an interruption stops it. */
static int wait_for(pid_t pid) {
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
        if (g_interrupted) kill(-pid, SIGTERM);
    }
    job_done(pid);
    return status;
}

/* --- Findings ---------------------------------------------------------------- */

typedef struct {
    char target[64];
    char signature[512];
    char kind[32];      /* divergence, crash, timeout, oom */
    char input[1024];   /* a reproducer */
    char explain[1024]; /* the .txt or the log */
    unsigned count;
    /* A stack under test's finding (--stack), from its .txt: the message
     * it took otherwise than the references, the rule a reference enforced,
     * and the minimized input (shakedown minimize), "" if none. */
    char message[256];
    char rule[512];
    char smallest[1100];
} finding;

typedef struct {
    finding *items;
    size_t n, cap;
} findings;

static void add_finding(findings *fs, const char *target, const char *signature, const char *kind,
                        const char *input, const char *explain) {
    for (size_t i = 0; i < fs->n; i++) {
        if (strcmp(fs->items[i].signature, signature) == 0) {
            fs->items[i].count++;
            return;
        }
    }
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 16;
        finding *g = realloc(fs->items, cap * sizeof *g);
        if (!g) return;
        fs->items = g;
        fs->cap = cap;
    }
    finding *f = &fs->items[fs->n++];
    memset(f, 0, sizeof *f);
    snprintf(f->target, sizeof f->target, "%s", target);
    snprintf(f->signature, sizeof f->signature, "%s", signature);
    snprintf(f->kind, sizeof f->kind, "%s", kind);
    snprintf(f->input, sizeof f->input, "%s", input);
    snprintf(f->explain, sizeof f->explain, "%s", explain);
    f->count = 1;
}

/* The first line of path starting with prefix, after the prefix, trimmed. */
static bool line_after(const char *path, const char *prefix, char *out, size_t len) {
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char line[2048];
    bool found = false;
    size_t n = strlen(prefix);
    while (!found && fgets(line, sizeof line, f)) {
        char *p = strstr(line, prefix);
        if (p && (p == line || prefix[0] != ' ')) {
            p += n;
            while (*p == ' ') p++;
            p[strcspn(p, "\r\n")] = '\0';
            snprintf(out, len, "%s", p);
            found = true;
        }
    }
    fclose(f);
    return found;
}

/* Differential findings: OUT/findings/<target>/<hash>.txt. */
static void collect_differential(findings *fs, const char *out, const char *target) {
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/findings/%s", out, target);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".txt") != 0) continue;
        char txt[2300], input[2300], sig[512];
        snprintf(txt, sizeof txt, "%s/%s", dir, e->d_name);
        snprintf(input, sizeof input, "%s/%.*s", dir, (int)(n - 4), e->d_name);
        if (!line_after(txt, "signature:", sig, sizeof sig)) continue;
        add_finding(fs, target, sig, "divergence", input, txt);
        finding *f = &fs->items[fs->n - 1];
        if (strcmp(f->signature, sig) == 0 && f->count == 1) {
            if (!line_after(txt, "message:", f->message, sizeof f->message)) f->message[0] = '\0';
            if (!line_after(txt, "rule:", f->rule, sizeof f->rule)) f->rule[0] = '\0';
        }
    }
    closedir(d);
}

/* A stack finding's class, for triage: its signature without what varies
 * from input to input (the steps, the handshake counts, the mutations and
 * credentials on the message), e.g.
 *     tls12-server gnutls=waiting model=alert(decode_error) boringssl=alert(decode_error) on ClientHello
 * A claim keeps its defect, its role and what was shown. */
static void stack_finding_class(const char *signature, char *out, size_t len) {
    const char *claim = strstr(signature, ":claim:");
    if (claim) {
        snprintf(out, len, "%s", claim + 1);
        return;
    }
    size_t n = 0;
    out[0] = '\0';
    const char *p = strchr(signature, ':'); /* past the target */
    const char *role = NULL;
    while (p && *p && n < len) {
        const char *field = p + 1, *end = strchr(field, ':');
        size_t flen = end ? (size_t)(end - field) : strlen(field);
        /* Counts that vary from input to input are no part of a class. */
        bool varies = strncmp(field, "hs=", 3) == 0 || strncmp(field, "conn=", 5) == 0 ||
                      strncmp(field, "versions=", 9) == 0;
        if (strncmp(field, "on=", 3) == 0) {
            size_t w = strcspn(field + 3, "+[:");
            n += (size_t)snprintf(out + n, len - n, " on %.*s", (int)w, field + 3);
        } else if (strncmp(field, "tls1", 4) == 0) {
            role = field;
        } else if (!varies) {
            const char *at = memchr(field, '@', flen);
            n += (size_t)snprintf(out + n, len - n, " %.*s", (int)(at ? (size_t)(at - field) : flen), field);
        }
        p = end;
    }
    if (role && n < len) {
        /* The version and role first: the class reads as a sentence. */
        char *rest = strdup(out);
        if (rest) snprintf(out, len, "%.*s%s", (int)strcspn(role, ":"), role, rest);
        free(rest);
    }
}

/* --stack: the example of each class minimized (shakedown minimize
 * --stack, a bounded number of runs each), so findings.md points the
 * stack's maintainer at the smallest input that shows it. */
static void minimize_findings(findings *fs, const options *o, const char *logs) {
    /* This very program, even if a rebuild replaced its file meanwhile. */
    char self[] = "/proc/self/exe";
    for (size_t i = 0; i < fs->n && !g_interrupted; i++) {
        finding *f = &fs->items[i];
        if (strcmp(f->kind, "divergence") != 0 || f->smallest[0]) continue;
        char class[400], other[400];
        stack_finding_class(f->signature, class, sizeof class);
        bool done_before = false;
        for (size_t j = 0; j < i && !done_before; j++) {
            stack_finding_class(fs->items[j].signature, other, sizeof other);
            done_before = strcmp(class, other) == 0;
        }
        if (done_before) continue;
        char log[2300];
        snprintf(log, sizeof log, "%s/%s.minimize.log", logs, f->target);
        char *argv[] = {
            self,      (char *)"minimize",   (char *)"--stack", (char *)o->stack, (char *)"--target",
            f->target, (char *)"--max-runs", (char *)"300",     f->input,         NULL};
        pid_t p = spawn(argv, log, NULL);
        if (p <= 0) continue;
        int status = wait_for(p);
        char min[1100];
        snprintf(min, sizeof min, "%s.min", f->input);
        if (status == 0 && access(min, R_OK) == 0) snprintf(f->smallest, sizeof f->smallest, "%s", min);
    }
}

/* A differential finding (its .txt) or an engine artifact of the target,
 * for --first-finding. */
static bool has_finding(const char *out, const char *target, const char *artifacts_dir) {
    char fdir[2200];
    snprintf(fdir, sizeof fdir, "%s/findings/%s", out, target);
    bool any = false;
    struct dirent *e;
    /* A differential finding is whole once its .txt is there: the target
     * writes the input first. */
    DIR *d = opendir(fdir);
    while (d && !any && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        any = n > 4 && strcmp(e->d_name + n - 4, ".txt") == 0;
    }
    if (d) closedir(d);
    d = opendir(artifacts_dir);
    while (d && !any && (e = readdir(d)) != NULL)
        any = strncmp(e->d_name, "crash-", 6) == 0 || strncmp(e->d_name, "timeout-", 8) == 0 ||
              strncmp(e->d_name, "oom-", 4) == 0 || strncmp(e->d_name, "leak-", 5) == 0;
    if (d) closedir(d);
    return any;
}

/* Engine artifacts (sanitizer crashes and the like) that are not
 * differential findings: named by the SUMMARY line of the job's log. */
static void collect_artifacts(findings *fs, const char *artifacts_dir, const char *target,
                              const char *log_glob_dir) {
    DIR *d = opendir(artifacts_dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *kind = strncmp(e->d_name, "crash-", 6) == 0 || strncmp(e->d_name, "id:", 3) == 0 ? "crash"
                           : strncmp(e->d_name, "timeout-", 8) == 0 ? "timeout"
                           : strncmp(e->d_name, "oom-", 4) == 0     ? "oom"
                           : strncmp(e->d_name, "leak-", 5) == 0    ? "leak"
                                                                    : NULL;
        if (!kind) continue;
        char input[2300];
        snprintf(input, sizeof input, "%s/%s", artifacts_dir, e->d_name);
        /* A differential finding aborts too; its log names the signature. */
        char summary[512] = "", sig[600];
        DIR *ld = opendir(log_glob_dir);
        struct dirent *le;
        while (ld && !summary[0] && (le = readdir(ld)) != NULL) {
            if (strncmp(le->d_name, target, strlen(target)) != 0) continue;
            char log[2300];
            snprintf(log, sizeof log, "%s/%s", log_glob_dir, le->d_name);
            if (!line_after(log, "signature:", summary, sizeof summary))
                line_after(log, "SUMMARY:", summary, sizeof summary);
        }
        if (ld) closedir(ld);
        if (strstr(summary, ":model=")) continue; /* already counted from its .txt */
        snprintf(sig, sizeof sig, "%s:%s:%s", target, kind, summary[0] ? summary : "(no sanitizer summary)");
        add_finding(fs, target, sig, kind, input, log_glob_dir);
    }
    closedir(d);
}

/* Text from targets and sanitizers, kept from breaking a table cell. */
static void table_cell(char *out, size_t len, const char *text) {
    snprintf(out, len, "%s", text);
    for (char *p = out; *p; p++)
        if (*p == '|' || *p == '`' || *p == '\n') *p = ' ';
}

static bool write_reports(const findings *fs, const char *out, const options *o, char **targets,
                          size_t n_targets) {
    json_t *root = json_object();
    json_object_set_new(root, "engine", json_string(o->eng == ENGINE_AFL ? "afl" : "libfuzzer"));
    json_object_set_new(root, "seconds_per_target", json_integer(o->seconds));
    json_object_set_new(root, "jobs", json_integer(o->jobs));
    json_object_set_new(root, "stack", o->stack ? json_string(o->stack) : json_null());
    if (o->reference) json_object_set_new(root, "reference", json_string(o->reference));
    json_t *ts = json_array();
    for (size_t i = 0; i < n_targets; i++) json_array_append_new(ts, json_string(targets[i]));
    json_object_set_new(root, "targets", ts);
    json_t *arr = json_array();
    for (size_t i = 0; i < fs->n; i++) {
        const finding *f = &fs->items[i];
        json_t *j = json_object();
        json_object_set_new(j, "target", json_string(f->target));
        json_object_set_new(j, "signature", json_string(f->signature));
        json_object_set_new(j, "kind", json_string(f->kind));
        json_object_set_new(j, "input", json_string(f->input));
        json_object_set_new(j, "explanation", json_string(f->explain));
        json_object_set_new(j, "count", json_integer(f->count));
        if (f->message[0]) json_object_set_new(j, "message", json_string(f->message));
        if (f->rule[0]) json_object_set_new(j, "rule", json_string(f->rule));
        if (f->smallest[0]) json_object_set_new(j, "smallest_input", json_string(f->smallest));
        json_array_append_new(arr, j);
    }
    json_object_set_new(root, "findings", arr);
    /* Stopped by a signal: fewer seconds than asked, maybe targets not run. */
    json_object_set_new(root, "interrupted", json_boolean(g_interrupted != 0));
    char path[2048], err[2300];
    snprintf(path, sizeof path, "%s/findings.json", out);
    char *json = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(root);
    bool ok = json != NULL && sd_file_write_atomic(path, json, strlen(json), err, sizeof err);
    if (json == NULL) snprintf(err, sizeof err, "%s: out of memory", path);
    free(json);
    if (!ok) fprintf(stderr, "shakedown fuzz: %s\n", err);

    /* findings.md is written in memory first, then atomically, like every
     * report: a run killed half way leaves the last whole one. */
    char *md = NULL;
    size_t md_len = 0;
    FILE *f = open_memstream(&md, &md_len);
    if (!f) return false;
    fprintf(f, "# shakedown fuzz: %zu finding%s\n\n", fs->n, fs->n == 1 ? "" : "s");
    if (o->stack)
        fprintf(f, "Stack under test: **%s**, judged against the model and BoringSSL.\n\n", o->stack);
    if (o->reference)
        fprintf(f, "Second reference: **%s**, against the model on the setups BoringSSL cannot run.\n\n",
                o->reference);
    fprintf(f, "%s, %u s per target, %u job%s; targets:", o->eng == ENGINE_AFL ? "AFL++" : "libFuzzer",
            o->seconds, o->jobs, o->jobs == 1 ? "" : "s");
    for (size_t i = 0; i < n_targets; i++) fprintf(f, " `%s`", targets[i]);
    fprintf(f, "\n\n");
    if (g_interrupted)
        fprintf(f,
                "**Interrupted** (signal %d): the run stopped early; these are the findings of what ran.\n\n",
                (int)g_interrupted);
    if (fs->n && o->stack) {
        /* The classes first: a campaign on a stack finds many signatures
         * of few behaviours, and a maintainer triages behaviours. */
        typedef struct {
            char name[400];
            unsigned signatures;
            size_t example;
        } finding_class;
        finding_class *classes = calloc(fs->n, sizeof *classes);
        size_t n_classes = 0;
        for (size_t i = 0; classes && i < fs->n; i++) {
            char name[400];
            stack_finding_class(fs->items[i].signature, name, sizeof name);
            size_t c = 0;
            while (c < n_classes && strcmp(classes[c].name, name) != 0) c++;
            if (c == n_classes) {
                snprintf(classes[c].name, sizeof classes[c].name, "%s", name);
                classes[c].example = i;
                n_classes++;
            }
            classes[c].signatures++;
        }
        /* Most signatures first; ties in first-seen order. */
        for (size_t i = 1; i < n_classes; i++)
            for (size_t j = i; j > 0 && classes[j].signatures > classes[j - 1].signatures; j--) {
                finding_class t = classes[j];
                classes[j] = classes[j - 1];
                classes[j - 1] = t;
            }
        fprintf(f, "%zu classes (signatures without steps, counts and mutation details):\n\n", n_classes);
        fprintf(f, "| class | signatures | example |\n|---|---|---|\n");
        for (size_t c = 0; c < n_classes; c++) {
            char name[400];
            table_cell(name, sizeof name, classes[c].name);
            fprintf(f, "| `%s` | %u | `%s` |\n", name, classes[c].signatures,
                    fs->items[classes[c].example].input);
        }
        fprintf(f, "\n");
        free(classes);
        /* For the stack's maintainer: which message, what rule, the
         * smallest input. */
        fprintf(f, "| target | stack | kind | message | rule | count | smallest input | reproduce |\n"
                   "|---|---|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < fs->n; i++) {
            const finding *x = &fs->items[i];
            char message[256], rule[512];
            table_cell(message, sizeof message, x->message[0] ? x->message : "-");
            table_cell(rule, sizeof rule, x->rule[0] ? x->rule : x->signature);
            const char *input = x->smallest[0] ? x->smallest : x->input;
            fprintf(f, "| %s | %s | %s | `%s` | %s | %u | `%s` | `shakedown repro --stack %s %s` |\n",
                    x->target, o->stack, x->kind, message, rule, x->count, input, o->stack, input);
        }
    } else if (fs->n) {
        fprintf(f, "| target | kind | signature | count | reproduce |\n|---|---|---|---|---|\n");
        for (size_t i = 0; i < fs->n; i++) {
            const finding *x = &fs->items[i];
            /* Signatures come from targets and sanitizers: keep them from
             * breaking the table. */
            char sig[512];
            table_cell(sig, sizeof sig, x->signature);
            char option[120];
            repro_option(o, option, sizeof option);
            fprintf(f, "| %s | %s | `%s` | %u | `shakedown repro %s%s` |\n", x->target, x->kind, sig,
                    x->count, option, x->input);
        }
    } else {
        fprintf(f, "No findings.\n");
    }
    bool md_ok = fclose(f) == 0;
    snprintf(path, sizeof path, "%s/findings.md", out);
    if (md_ok && !sd_file_write_atomic(path, md, md_len, err, sizeof err)) {
        fprintf(stderr, "shakedown fuzz: %s\n", err);
        md_ok = false;
    }
    free(md);
    return ok && md_ok;
}

/* The last "#shakedown coverage:" line of a job's log (edges reached per
 * instrumented module, targets/fuzz/edge_coverage.h), after the colon;
 * false if the log has none. Reads only the log's tail. */
static bool last_coverage(const char *log, char *out, size_t len) {
    FILE *f = fopen(log, "r");
    if (!f) return false;
    static const char mark[] = "#shakedown coverage:";
    /* Findings print their ladders between two counts: a wide tail. */
    static char buf[1 << 18];
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size > (long)sizeof buf - 1)
            fseek(f, size - (long)sizeof buf + 1, SEEK_SET);
        else
            rewind(f);
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *last = NULL;
    for (const char *p = strstr(buf, mark); p; p = strstr(p + 1, mark)) last = p;
    if (!last) return false;
    last += sizeof mark - 1;
    while (*last == ' ') last++;
    snprintf(out, len, "%.*s", (int)strcspn(last, "\n"), last);
    return true;
}

/* --- Running one target ---------------------------------------------------------- */

static void on_signal(int sig) {
    if (g_interrupted) {
        /* A second one: stop now. The jobs die with this process. */
        signal(sig, SIG_DFL);
        raise(sig);
    }
    g_interrupted = sig;
}

static int run_target(const options *o, const char *target, findings *fs, unsigned *execs_runs) {
    char bin[2048], corpus[2048], seeds[2048], logs[2048], artifacts[2048], dict[2048], findings_env[2100];
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    if (!src) src = SHAKEDOWN_SOURCE_DIR;
    int n = snprintf(bin, sizeof bin, "%s/%s%s", o->bin_dir, target, o->eng == ENGINE_AFL ? "_afl" : "");
    if (n < 0 || (size_t)n >= sizeof bin) {
        fprintf(stderr, "shakedown fuzz: %s: path too long\n", o->bin_dir);
        return SD_EXIT_HARNESS;
    }
    snprintf(corpus, sizeof corpus, "%s/corpus/%s", o->out, target);
    snprintf(seeds, sizeof seeds, "%s/corpus/%s", src, target);
    snprintf(logs, sizeof logs, "%s/logs", o->out);
    snprintf(artifacts, sizeof artifacts, "%s/artifacts/%s/", o->out, target);
    snprintf(dict, sizeof dict, "%s/corpus/%s.dict", src, target);
    snprintf(findings_env, sizeof findings_env, "SHAKEDOWN_FINDINGS_DIR=%s/findings", o->out);
    char err[4200];
    if (!sd_make_dirs(corpus, err, sizeof err) || !sd_make_dirs(logs, err, sizeof err) ||
        !sd_make_dirs(artifacts, err, sizeof err)) {
        fprintf(stderr, "shakedown fuzz: %s\n", err);
        return SD_EXIT_HARNESS;
    }
    copy_files(seeds, corpus);
    bool have_dict = access(dict, R_OK) == 0;
    char *env[8] = {findings_env, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    char stack_env[200], reference_env[200];
    size_t n_env = 1;
    if (o->stack) {
        snprintf(stack_env, sizeof stack_env, "SHAKEDOWN_FUZZ_STACK=%s", o->stack);
        env[n_env++] = stack_env;
        /* A stack's known bugs are among the seeds: go on past each
         * finding (written once per signature) unless the first is all
         * that is wanted. */
        static char keep_going[] = "SHAKEDOWN_FUZZ_CONTINUE=1";
        if (!o->first_finding) env[n_env++] = keep_going;
    }
    if (o->reference) {
        snprintf(reference_env, sizeof reference_env, "SHAKEDOWN_FUZZ_REFERENCE=%s", o->reference);
        env[n_env++] = reference_env;
    }
    char mutator_env[2300];
    if (o->eng == ENGINE_AFL) {
        static char afl_env[][32] = {"AFL_NO_UI=1", "AFL_SKIP_CPUFREQ=1"};
        env[n_env++] = afl_env[0];
        env[n_env++] = afl_env[1];
        /* fuzz_trace: the structure-aware mutator library, if built. */
        char lib[2100];
        snprintf(lib, sizeof lib, "%s/libshakedown_trace_mutator.so", o->bin_dir);
        if (strcmp(target, "fuzz_trace") == 0 && access(lib, R_OK) == 0) {
            snprintf(mutator_env, sizeof mutator_env, "AFL_CUSTOM_MUTATOR_LIBRARY=%s", lib);
            env[n_env++] = mutator_env;
        }
    }

    pid_t pids[64];
    unsigned restarts[64] = {0};
    /* Deaths within QUICK_DEATH_S of a start, in a row: a target that dies
     * at once (on its own corpus, or cannot run) is given up after 50 of
     * them; one that keeps finding a shallow divergence after some fuzzing
     * is restarted until the time is up. */
    enum { QUICK_DEATH_S = 10 };
    unsigned quick_deaths[64] = {0};
    double started[64] = {0};
    unsigned jobs = o->jobs > 64 ? 64 : o->jobs;
    double start = now_s(), end = start + o->seconds, next_log_line = start + 60;
    bool found = false;
    char arg[16][2200];
    for (unsigned j = 0; j < jobs; j++) pids[j] = -1;
    bool tty = isatty(1);
    for (;;) {
        double left = end - now_s();
        for (unsigned j = 0; j < jobs && left > 1 && !g_interrupted; j++) {
            if (pids[j] > 0) continue;
            if (quick_deaths[j] > 50) continue;
            restarts[j]++;
            char log[2300];
            snprintf(log, sizeof log, "%s/%s.%u.log", logs, target, j);
            char *argv[24];
            size_t a = 0;
            char(*s)[2200] = arg + 0;
            if (o->eng == ENGINE_LIBFUZZER) {
                argv[a++] = bin;
                snprintf(s[0], sizeof s[0], "-max_total_time=%u", (unsigned)left);
                snprintf(s[1], sizeof s[1], "-seed=%u", 1 + j * 7919 + restarts[j] * 104729);
                snprintf(s[2], sizeof s[2], "-artifact_prefix=%s", artifacts);
                snprintf(s[3], sizeof s[3], "-dict=%s", dict);
                argv[a++] = s[0];
                argv[a++] = s[1];
                argv[a++] = s[2];
                if (have_dict) argv[a++] = s[3];
                argv[a++] = (char *)"-print_final_stats=1";
                argv[a++] = corpus;
            } else {
                static char afl_fuzz[] = "/usr/bin/afl-fuzz";
                argv[a++] = afl_fuzz;
                snprintf(s[0], sizeof s[0], "%s", seeds);
                snprintf(s[1], sizeof s[1], "%s/afl/%s", o->out, target);
                snprintf(s[2], sizeof s[2], "%u", (unsigned)left);
                snprintf(s[3], sizeof s[3], "%s", j == 0 ? "-M" : "-S");
                snprintf(s[4], sizeof s[4], "%s%u", j == 0 ? "main" : "sec", j);
                argv[a++] = (char *)"-i";
                argv[a++] = s[0];
                argv[a++] = (char *)"-o";
                argv[a++] = s[1];
                argv[a++] = (char *)"-V";
                argv[a++] = s[2];
                argv[a++] = s[3];
                argv[a++] = s[4];
                if (have_dict) {
                    argv[a++] = (char *)"-x";
                    argv[a++] = dict;
                }
                argv[a++] = (char *)"--";
                argv[a++] = bin;
            }
            argv[a] = NULL;
            started[j] = now_s();
            pids[j] = spawn(argv, log, env);
            if (pids[j] < 0) {
                fprintf(stderr, "shakedown fuzz: cannot start %s: %s\n", argv[0], strerror(errno));
                return SD_EXIT_HARNESS;
            }
            (*execs_runs)++;
            /* argv strings must outlive the fork only until exec: done. */
        }
        /* Reap finished jobs without blocking. */
        unsigned alive = 0;
        for (unsigned j = 0; j < jobs; j++) {
            if (pids[j] <= 0) continue;
            int status;
            pid_t r = waitpid(pids[j], &status, WNOHANG);
            if (r == pids[j]) {
                job_done(pids[j]);
                if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
                    fprintf(stderr, "shakedown fuzz: %s could not be started (see %s/%s.%u.log)\n",
                            o->eng == ENGINE_AFL ? "afl-fuzz" : bin, logs, target, j);
                    quick_deaths[j] = 1000;
                } else if (now_s() - started[j] < QUICK_DEATH_S) {
                    if (++quick_deaths[j] == 51)
                        fprintf(
                            stderr,
                            "\nshakedown fuzz: %s job %u stopped within %d s of each of its last 50 starts "
                            "(a finding hit at once, see its findings); not starting it again\n",
                            target, j, (int)QUICK_DEATH_S);
                } else {
                    quick_deaths[j] = 0;
                }
                pids[j] = -1;
            } else {
                alive++;
            }
        }
        double t = now_s();
        /* A terminal gets a status line redrawn in place; a log (CI) gets
         * the same line once a minute, so a long campaign shows it is alive. */
        if (tty || t >= next_log_line) {
            char fdir[2200];
            snprintf(fdir, sizeof fdir, "%s/findings/%s", o->out, target);
            /* With a stack under test, its edges beside the harness's. */
            char coverage[400] = "", log0[2300];
            snprintf(log0, sizeof log0, "%s/%s.0.log", logs, target);
            if (o->stack && !last_coverage(log0, coverage, sizeof coverage)) coverage[0] = '\0';
            printf("%s  %-28s %4.0f/%u s  jobs %u/%u  corpus %zu  finding files %zu%s%s   %s",
                   tty ? "\r" : "", target, t - start, o->seconds, alive, jobs, count_files(corpus),
                   count_files(fdir) / 2, coverage[0] ? "  cov " : "", coverage, tty ? "" : "\n");
            fflush(stdout);
            if (!tty) next_log_line = t + 60;
        }
        if (o->first_finding && !found && has_finding(o->out, target, artifacts)) {
            /* No job is started again; the one that found it ends by
             * itself (the engine stops at a finding), the others when the
             * grace below runs out. */
            found = true;
            end = t;
        }
        if ((t >= end || g_interrupted) && alive == 0) break;
        if (t >= end + 30 || g_interrupted) {
            /* Past the budget (plus grace): stop what is left. */
            for (unsigned j = 0; j < jobs; j++)
                if (pids[j] > 0) kill(-pids[j], SIGTERM);
        }
        bool all_gave_up = alive == 0;
        for (unsigned j = 0; j < jobs; j++)
            if (quick_deaths[j] <= 50) all_gave_up = false;
        if (all_gave_up) break;
        struct timespec ts = {0, 250 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (tty) printf("\n");

    /* Merge and minimise the corpus (libFuzzer): every input that adds
     * coverage, smallest first, into OUT/merged/<target>. */
    if (o->eng == ENGINE_LIBFUZZER && !g_interrupted) {
        char merged[2048], log[2300];
        snprintf(merged, sizeof merged, "%s/merged/%s", o->out, target);
        snprintf(log, sizeof log, "%s/%s.merge.log", logs, target);
        if (!sd_make_dirs(merged, err, sizeof err)) {
            fprintf(stderr, "shakedown fuzz: %s; the corpus is not merged\n", err);
        } else {
            char *argv[] = {bin, (char *)"-merge=1", merged, corpus, NULL};
            pid_t p = spawn(argv, log, env);
            if (p > 0) wait_for(p);
            printf("  %-28s corpus %zu -> merged %zu\n", target, count_files(corpus), count_files(merged));
        }
    }
    if (o->stack) {
        /* Each job's last count: what its inputs reached since it started. */
        for (unsigned j = 0; j < jobs; j++) {
            char log[2300], coverage[400];
            snprintf(log, sizeof log, "%s/%s.%u.log", logs, target, j);
            if (last_coverage(log, coverage, sizeof coverage))
                printf("  %-28s job %u edges reached: %s\n", target, j, coverage);
        }
    }
    collect_differential(fs, o->out, target);
    if (o->eng == ENGINE_LIBFUZZER) {
        collect_artifacts(fs, artifacts, target, logs);
    } else {
        char crashes[2300];
        for (unsigned j = 0; j < jobs; j++) {
            snprintf(crashes, sizeof crashes, "%s/afl/%s/%s%u/crashes", o->out, target,
                     j == 0 ? "main" : "sec", j);
            collect_artifacts(fs, crashes, target, logs);
        }
    }
    return SD_EXIT_OK;
}

enum {
    OPT_TARGET = 256,
    OPT_STACK,
    OPT_REFERENCE,
    OPT_ENGINE,
    OPT_TIME,
    OPT_OUT,
    OPT_BIN_DIR,
    OPT_FIRST_FINDING
};

int sd_cmd_fuzz(int argc, char **argv) {
    static const struct option longopts[] = {
        {"target", required_argument, NULL, OPT_TARGET},
        {"stack", required_argument, NULL, OPT_STACK},
        {"reference", required_argument, NULL, OPT_REFERENCE},
        {"engine", required_argument, NULL, OPT_ENGINE},
        {"time", required_argument, NULL, OPT_TIME},
        {"out", required_argument, NULL, OPT_OUT},
        {"bin-dir", required_argument, NULL, OPT_BIN_DIR},
        {"first-finding", no_argument, NULL, OPT_FIRST_FINDING},
        {"jobs", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    options o = {.eng = ENGINE_LIBFUZZER, .seconds = 60, .jobs = 1, .out = "fuzz-out", .bin_dir = NULL};
    char *targets[64];
    size_t n_targets = 0;
    bool all = false;
    opterr = 0;
    optind = 1;
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, ":hj:", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_TARGET:
            if (strcmp(optarg, "all") == 0) {
                all = true;
            } else if (strncmp(optarg, "fuzz_", 5) != 0 || strchr(optarg, '/') || n_targets == 64) {
                return sd_cli_usage_error(
                    fuzz_cmd, "--target wants a fuzz target name (fuzz_...) or all, not '%s'", optarg);
            } else {
                targets[n_targets++] = optarg;
            }
            break;
        case OPT_STACK: {
            char why[400];
            if (!sd_stack_under_test_find(optarg, why, sizeof why))
                return sd_cli_usage_error(fuzz_cmd, "--stack: %s", why);
            o.stack = optarg;
            break;
        }
        case OPT_REFERENCE: {
            char why[400];
            if (!sd_stack_under_test_find(optarg, why, sizeof why))
                return sd_cli_usage_error(fuzz_cmd, "--reference: %s", why);
            o.reference = optarg;
            break;
        }
        case OPT_ENGINE:
            if (strcmp(optarg, "libfuzzer") == 0)
                o.eng = ENGINE_LIBFUZZER;
            else if (strcmp(optarg, "afl") == 0)
                o.eng = ENGINE_AFL;
            else
                return sd_cli_usage_error(fuzz_cmd, "--engine is libfuzzer or afl, not '%s'", optarg);
            break;
        case OPT_TIME:
            if (!sd_cli_parse_u64(optarg, &v) || v == 0 || v > 7 * 24 * 3600)
                return sd_cli_usage_error(fuzz_cmd, "--time wants seconds (1 to a week), not '%s'", optarg);
            o.seconds = (unsigned)v;
            break;
        case 'j':
            if (!sd_cli_parse_u64(optarg, &v) || v == 0 || v > 64)
                return sd_cli_usage_error(fuzz_cmd, "-j wants 1 to 64 jobs, not '%s'", optarg);
            o.jobs = (unsigned)v;
            break;
        case OPT_OUT:
            o.out = optarg;
            break;
        case OPT_BIN_DIR:
            o.bin_dir = optarg;
            break;
        case OPT_FIRST_FINDING:
            o.first_finding = true;
            break;
        case 'h':
            fuzz_usage(stdout);
            return SD_EXIT_OK;
        default:
            return sd_cli_bad_option(fuzz_cmd, c, argv);
        }
    }
    if (optind < argc) return sd_cli_usage_error(fuzz_cmd, "unexpected argument '%s'", argv[optind]);
    /* A stack under test is judged on the setups BoringSSL runs; the
     * second reference covers the others: one campaign does one. */
    if (o.stack && o.reference)
        return sd_cli_usage_error(fuzz_cmd, "--stack and --reference do not go together");
    static char default_bin[2048];
    if (!o.bin_dir) {
        const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
        if (!src) src = SHAKEDOWN_SOURCE_DIR;
        /* A stack under test: its instrumented build, where there is one
         * (README, "Fuzzing a third stack"), so its own edges guide. */
        if (o.stack && o.eng == ENGINE_LIBFUZZER) {
            snprintf(default_bin, sizeof default_bin, "%s/build/fuzz-%s/targets/fuzz", src, o.stack);
            if (is_dir(default_bin))
                printf("shakedown fuzz: the build with %s instrumented: %s\n", o.stack, default_bin);
            else
                printf("shakedown fuzz: no build with %s instrumented (%s), so the fuzzer sees the harness's "
                       "edges only; scripts/build-stack.sh %s builds one (README)\n",
                       o.stack, default_bin, o.stack);
        }
        if (!o.stack || o.eng != ENGINE_LIBFUZZER || !is_dir(default_bin))
            snprintf(default_bin, sizeof default_bin, "%s/build/%s/targets/fuzz", src,
                     o.eng == ENGINE_AFL ? "afl" : "fuzz");
        o.bin_dir = default_bin;
    }
    if (!is_dir(o.bin_dir))
        return sd_cli_usage_error(fuzz_cmd, "no binary folder %s (build the targets first; see --help)",
                                  o.bin_dir);
    if (o.eng == ENGINE_AFL && !is_exec("/usr/bin/afl-fuzz"))
        return sd_cli_usage_error(fuzz_cmd, "afl-fuzz is not installed (scripts/install-deps.sh)");

    /* --target all (or none): every fuzz_* binary of the engine's kind. */
    static char found[64][256];
    if (all || n_targets == 0) {
        n_targets = 0;
        DIR *d = opendir(o.bin_dir);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL && n_targets < 64) {
            const char *name = e->d_name;
            size_t n = strlen(name);
            if (strncmp(name, "fuzz_", 5) != 0 || strstr(name, "_replay")) continue;
            bool afl_bin = n > 4 && strcmp(name + n - 4, "_afl") == 0;
            if (afl_bin != (o.eng == ENGINE_AFL)) continue;
            char path[2400];
            snprintf(path, sizeof path, "%s/%s", o.bin_dir, name);
            if (!is_exec(path)) continue;
            snprintf(found[n_targets], sizeof found[0], "%.*s", (int)(afl_bin ? n - 4 : n), name);
            targets[n_targets] = found[n_targets];
            n_targets++;
        }
        if (d) closedir(d);
        /* Sorted, so runs are repeatable. */
        for (size_t i = 0; i < n_targets; i++)
            for (size_t j = i + 1; j < n_targets; j++)
                if (strcmp(targets[j], targets[i]) < 0) {
                    char *t = targets[i];
                    targets[i] = targets[j];
                    targets[j] = t;
                }
    }
    if (n_targets == 0) return sd_cli_usage_error(fuzz_cmd, "no fuzz target binaries in %s", o.bin_dir);
    for (size_t i = 0; i < n_targets; i++) {
        char path[2400];
        snprintf(path, sizeof path, "%s/%s%s", o.bin_dir, targets[i], o.eng == ENGINE_AFL ? "_afl" : "");
        if (!is_exec(path)) return sd_cli_usage_error(fuzz_cmd, "no binary %s", path);
    }
    char err[4200];
    if (!sd_make_dirs(o.out, err, sizeof err)) {
        fprintf(stderr, "shakedown fuzz: %s\n", err);
        return SD_EXIT_USAGE;
    }
    if (!guard_start()) {
        fprintf(stderr, "shakedown fuzz: cannot start the guard process: %s\n", strerror(errno));
        return SD_EXIT_HARNESS;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    printf("shakedown fuzz: %zu target%s, %s, %u s each, %u job%s, into %s\n", n_targets,
           n_targets == 1 ? "" : "s", o.eng == ENGINE_AFL ? "AFL++" : "libFuzzer", o.seconds, o.jobs,
           o.jobs == 1 ? "" : "s", o.out);
    if (o.stack)
        printf("shakedown fuzz: stack under test: %s, judged against the model and BoringSSL\n", o.stack);
    if (o.reference)
        printf("shakedown fuzz: second reference: %s, against the model on the setups BoringSSL cannot run\n",
               o.reference);
    findings fs = {NULL, 0, 0};
    int rc = SD_EXIT_OK;
    unsigned started = 0;
    for (size_t i = 0; i < n_targets && !g_interrupted; i++) {
        int r = run_target(&o, targets[i], &fs, &started);
        if (r != SD_EXIT_OK) rc = r;
        if (o.first_finding && fs.n) {
            if (i + 1 < n_targets)
                printf("shakedown fuzz: --first-finding: %zu target%s not run\n", n_targets - i - 1,
                       n_targets - i - 1 == 1 ? "" : "s");
            break;
        }
    }
    if (o.stack && fs.n && !g_interrupted) {
        char logs[2100];
        snprintf(logs, sizeof logs, "%s/logs", o.out);
        printf("shakedown fuzz: minimizing %zu finding%s of %s\n", fs.n, fs.n == 1 ? "" : "s", o.stack);
        fflush(stdout);
        minimize_findings(&fs, &o, logs);
    }
    if (!write_reports(&fs, o.out, &o, targets, n_targets)) {
        fprintf(stderr, "shakedown fuzz: cannot write the reports in %s\n", o.out);
        rc = SD_EXIT_HARNESS;
    }
    printf("%zu finding%s (deduplicated by signature): %s/findings.md, %s/findings.json\n", fs.n,
           fs.n == 1 ? "" : "s", o.out, o.out);
    char option[120];
    repro_option(&o, option, sizeof option);
    for (size_t i = 0; i < fs.n; i++)
        printf("  %-10s %s (x%u)\n    reproduce: shakedown repro %s%s\n", fs.items[i].kind,
               fs.items[i].signature, fs.items[i].count, option, fs.items[i].input);
    if (rc == SD_EXIT_OK && fs.n) rc = SD_EXIT_FINDINGS;
    if (g_interrupted) {
        fprintf(stderr, "shakedown fuzz: interrupted (signal %d); the reports hold what ran\n",
                (int)g_interrupted);
        rc = SD_EXIT_INTERRUPTED + (int)g_interrupted;
    }
    free(fs.items);
    return rc;
}
