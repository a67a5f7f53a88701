/* test_cli.c — the `shakedown` program end to end: a conformance run on the
 * built-in defaults, its reports, and its answers to bad input. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "shakedown_run.h"

static int setup(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/shakedown-test-cli.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The default run, as scripts/conform.sh makes it: every scenario on model
 * and BoringSSL, with the baseline of known failures. The model must pass
 * every scenario; BoringSSL must pass, or refuse differently (SOFT), fail
 * as the baseline lists (XFAIL) or not reach the step under test
 * (UNREACHED) only where the scenario's note explains why. */
static void conform_defaults_match_expectations(void **state) {
    (void)state;
    char out[512], err[512], dir[300];
    snprintf(dir, sizeof(dir), "%s/run", tmpdir);
    char baseline[400];
    snprintf(baseline, sizeof(baseline), "%s/scenarios/known-failures.txt", SHAKEDOWN_SOURCE_DIR);
    const char *args[] = {"conform", "--out", dir, "-q", "--baseline", baseline, NULL};
    int rc = run(args, out, err);
    if (rc != 0) fprintf(stderr, "%s\n%s\n", slurp(out), slurp(err));
    assert_int_equal(rc, 0);

    char path[400];
    snprintf(path, sizeof(path), "%s/results.json", dir);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    assert_non_null(root);
    json_t *scenarios = json_object_get(root, "scenarios");
    json_t *results = json_object_get(root, "results");
    assert_true(json_array_size(scenarios) >= 12);
    assert_int_equal(json_array_size(results), 2 * json_array_size(scenarios));

    size_t i;
    json_t *r;
    json_array_foreach(results, i, r) {
        const char *stack = json_string_value(json_object_get(r, "stack"));
        const char *verdict = json_string_value(json_object_get(r, "verdict"));
        const char *id = json_string_value(json_object_get(r, "scenario"));
        assert_non_null(stack);
        assert_non_null(verdict);
        const char *note = "";
        size_t j;
        json_t *s;
        json_array_foreach(scenarios, j, s) {
            if (strcmp(json_string_value(json_object_get(s, "id")), id) == 0) {
                const char *n = json_string_value(json_object_get(s, "note"));
                note = n ? n : "";
            }
        }
        if (strcmp(stack, "model") == 0) {
            if (strcmp(verdict, "PASS") != 0) fprintf(stderr, "model %s: %s\n", id, verdict);
            assert_string_equal(verdict, "PASS");
        } else {
            /* XFAIL: a FAIL scenarios/known-failures.txt lists.
             * UNREACHED: the stack's own choices left the deviation
             * nothing to change (a cookie it never sends). SKIP: the
             * stack cannot be set up as the scenario asks (a BoringSSL
             * server never renegotiates). */
            bool explained = (strcmp(verdict, "SOFT") == 0 || strcmp(verdict, "XFAIL") == 0 ||
                              strcmp(verdict, "UNREACHED") == 0 || strcmp(verdict, "SKIP") == 0) &&
                             note[0] != 0;
            if (strcmp(verdict, "PASS") != 0 && !explained)
                fprintf(stderr, "%s %s: %s without a note explaining it\n", stack, id, verdict);
            assert_true(strcmp(verdict, "PASS") == 0 || explained);
        }
    }
    json_decref(root);

    snprintf(path, sizeof(path), "%s/index.html", dir);
    const char *html = slurp(path);
    assert_non_null(html);
    assert_non_null(strstr(html, "id=\"sd-results\""));
}

/* RFC-less but essential: bad input is an error with its place, and nothing
 * runs. */
static void malformed_scenario_reports_file_and_line(void **state) {
    (void)state;
    char path[300], out[512], err[512], expect[400];
    snprintf(path, sizeof(path), "%s/bad.sd", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("id: bad.one\ntitle: t\nrfc: RFC 8446\nrole: server\nexpect: complete\n\nsend ClientHelo\n", f);
    fclose(f);
    const char *args[] = {"conform", "--out", tmpdir, path, NULL};
    assert_int_equal(run(args, out, err), 2);
    snprintf(expect, sizeof(expect), "%s:7:", path);
    const char *text = slurp(err);
    if (!strstr(text, expect)) fprintf(stderr, "stderr was: %s\n", text);
    assert_non_null(strstr(text, expect));
}

static void unknown_flag_is_a_usage_error(void **state) {
    (void)state;
    char out[512], err[512];
    const char *args[] = {"conform", "--no-such-flag", NULL};
    assert_int_equal(run(args, out, err), 2);
    assert_non_null(strstr(slurp(err), "no-such-flag"));
    const char *help[] = {"conform", "--help", NULL};
    assert_int_equal(run(help, out, err), 0);
    assert_non_null(strstr(slurp(out), "--stack"));
}

/* repro explains a corpus file: the trace as a script, then both outcomes. */
static void repro_explains_a_corpus_file(void **state) {
    (void)state;
    char out[512], err[512], path[600];
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    assert_non_null(src);
    snprintf(path, sizeof(path), "%s/corpus/fuzz_client_hello/boringssl-tls13", src);
    const char *args[] = {"repro", path, NULL};
    int rc = run(args, out, err);
    const char *text = slurp(out);
    if (rc != 0) fprintf(stderr, "%s\n%s\n", text, slurp(err));
    assert_int_equal(rc, 0);
    text = slurp(out);
    assert_non_null(strstr(text, "send ClientHello body="));
    assert_non_null(strstr(text, "model"));
    assert_non_null(strstr(text, "boringssl"));

    /* A truncated corpus file is still an input: an answer, not a crash. */
    char cut[300];
    snprintf(cut, sizeof(cut), "%s/truncated", tmpdir);
    FILE *f = fopen(cut, "wb");
    assert_non_null(f);
    fputs("\x03\x03\x01", f);
    fclose(f);
    const char *args2[] = {"repro", "--target", "fuzz_client_hello", cut, NULL};
    rc = run(args2, out, err);
    assert_true(rc == 0 || rc == 1);

    /* A known-differences file that does not parse is a usage error that
     * names its line, never a run that quietly judges without it. */
    char known[300];
    snprintf(known, sizeof(known), "%s/known_differences.txt", tmpdir);
    f = fopen(known, "w");
    assert_non_null(f);
    fputs("# comment\nsome-id boringssl what differs without a separator\n", f);
    fclose(f);
    setenv("SHAKEDOWN_KNOWN_DIFFERENCES", known, 1);
    rc = run(args, out, err);
    unsetenv("SHAKEDOWN_KNOWN_DIFFERENCES");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(slurp(err), "known_differences.txt:2: missing ' -- '"));
}

/* repro --stack judges a third stack against the model and BoringSSL, as
 * `shakedown fuzz --stack` does: OpenSSL's client takes a leaf whose
 * keyUsage forbids signing (docs/stack-findings.md, O3) where both
 * references refuse it, which is a finding until the stack's own known
 * differences justify it. The references themselves are no stack under
 * test. */
static void repro_judges_a_stack_under_test(void **state) {
    (void)state;
    char out[512], err[512], path[600];
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    assert_non_null(src);
    snprintf(path, sizeof(path), "%s/scenarios/tls13/client.certificate.wrong-key-usage.sd", src);
    const char *reference[] = {"repro", "--stack", "boringssl", path, NULL};
    assert_int_equal(run(reference, out, err), 2);
    assert_non_null(strstr(slurp(err), "references"));
    const char *unknown[] = {"repro", "--stack", "no-such-stack", path, NULL};
    assert_int_equal(run(unknown, out, err), 2);
    const char *fuzz_reference[] = {"fuzz", "--stack", "model", "--time", "1", NULL};
    assert_int_equal(run(fuzz_reference, out, err), 2);

    const char *openssl[] = {"repro", "--stack", "openssl", path, NULL};
    int rc = run(openssl, out, err);
    const char *text = slurp(out);
    if (strstr(slurp(err), "no stack 'openssl'")) {
        /* The shim is built with the project (targets/shims): its absence
         * is a broken build, not a reason to pass. */
        fail_msg("the openssl shim is missing: %s", slurp(err));
    }
    text = slurp(out);
    if (rc != 1) fprintf(stderr, "%s\n", text);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(text, "judgement:  accepts"));
    assert_non_null(strstr(text, "by=openssl"));
    assert_non_null(strstr(text, "result:     FINDING (openssl)"));

    /* The stack's own known differences: the claim named there is no
     * finding any more. */
    char known[600];
    snprintf(known, sizeof known, "%s/openssl-known.txt", tmpdir);
    FILE *f = fopen(known, "w");
    assert_non_null(f);
    fputs("*:claim:accepted-defective-credential(key-usage):by=openssl:* openssl takes a leaf whose keyUsage "
          "forbids signing -- a test entry\n",
          f);
    fclose(f);
    assert_int_equal(setenv("SHAKEDOWN_STACK_KNOWN_DIFFERENCES", known, 1), 0);
    rc = run(openssl, out, err);
    unsetenv("SHAKEDOWN_STACK_KNOWN_DIFFERENCES");
    text = slurp(out);
    if (rc != 1) fprintf(stderr, "%s\n%s\n", text, slurp(err));
    /* Still a finding: the claim is known, the judgement (accepts) is not. */
    assert_int_equal(rc, 1);
    assert_null(strstr(text, "\nclaim:"));
    assert_non_null(strstr(text, "judgement:  accepts"));

    /* An honest handshake: the stack agrees. */
    snprintf(path, sizeof(path), "%s/corpus/fuzz_client_hello/boringssl-tls13", src);
    const char *honest[] = {"repro", "--stack", "openssl", path, NULL};
    rc = run(honest, out, err);
    text = slurp(out);
    if (rc != 0) fprintf(stderr, "%s\n", text);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(text, "judgement:  agrees"));
}

/* repro runs a scenario with all its headers, as conform does, so both
 * give the same verdict: a scenario that pins a cipher suite
 * (`cipher-suite:`) or asks for client authentication PASSes in both (repro
 * once ran these with the driver's defaults and reported FAIL). */
static void repro_runs_a_scenario_as_conform_does(void **state) {
    (void)state;
    char out[512], err[512], path[600];
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    assert_non_null(src);
    static const char *const scenarios[] = {
        "scenarios/tls12/server.handshake.rsa.sd",
        "scenarios/tls12/client.handshake.rsa.sd",
        "scenarios/tls12/client.handshake.ticket-and-client-auth.sd",
    };
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        snprintf(path, sizeof(path), "%s/%s", src, scenarios[i]);
        const char *args[] = {"repro", path, NULL};
        int rc = run(args, out, err);
        const char *text = slurp(out);
        if (!strstr(text, "model PASS, boringssl PASS")) fprintf(stderr, "%s:\n%s\n", scenarios[i], text);
        assert_int_equal(rc, 0);
        assert_non_null(strstr(text, "model PASS, boringssl PASS"));
    }
}

/* A fuzz_trace seed made of a scenario runs with the scenario's headers:
 * repro of the seed of tls13.client.certificate.expired shows the expired
 * chain refused by both stacks (it once replayed as a happy handshake),
 * and the seed of a TLS 1.2 scenario runs TLS 1.2. */
static void repro_runs_a_scenario_seed_with_its_headers(void **state) {
    (void)state;
    char out[512], err[512], path[600];
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    assert_non_null(src);
    static const struct {
        const char *seed, *setup, *alert;
    } seeds[] = {
        {"scenario-tls13.client.certificate.expired",
         "setup:  TLS 1.3, client under test, server credential expired", "alert certificate_expired"},
        {"scenario-tls12.client.order.server-key-exchange-skipped", "setup:  TLS 1.2, client under test",
         "alert unexpected_message"},
    };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        snprintf(path, sizeof(path), "%s/corpus/fuzz_trace/%s", src, seeds[i].seed);
        const char *args[] = {"repro", path, NULL};
        int rc = run(args, out, err);
        const char *text = slurp(out);
        const char *outcome = strstr(text, "\n  outcome ");
        if (rc != 0 || !strstr(text, seeds[i].setup) || !outcome)
            fprintf(stderr, "%s:\n%s\n", seeds[i].seed, text);
        assert_int_equal(rc, 0);
        assert_non_null(strstr(text, seeds[i].setup));
        assert_non_null(outcome);
        /* Both columns of the outcome line: the model's, then BoringSSL's. */
        const char *first = strstr(outcome, seeds[i].alert);
        assert_non_null(first);
        const char *eol = strchr(outcome + 1, '\n');
        const char *second = strstr(first + 1, seeds[i].alert);
        assert_non_null(second);
        assert_true(eol == NULL || second < eol);
    }
}

static bool exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* --out: an earlier run's folder is never overwritten by mistake, and a
 * folder that cannot be written is refused before anything runs. */
static void out_folder_is_checked_before_the_run(void **state) {
    (void)state;
    char out[512], err[512], dir[300], file[300], scen[600];
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    snprintf(scen, sizeof scen, "%s/scenarios/tls13/server.handshake.happy.sd", src ? src : ".");
    snprintf(dir, sizeof dir, "%s/out-check", tmpdir);
    const char *first[] = {"conform", "--stack", "model", "-q", "--out", dir, scen, NULL};
    assert_int_equal(run(first, out, err), 0);
    /* The same folder again: refused, the earlier results untouched. */
    char results[400];
    snprintf(results, sizeof results, "%s/results.json", dir);
    struct stat before, after;
    assert_int_equal(stat(results, &before), 0);
    assert_int_equal(run(first, out, err), 2);
    const char *text = slurp(err);
    assert_non_null(strstr(text, "not empty"));
    assert_non_null(strstr(text, "--force"));
    assert_int_equal(stat(results, &after), 0);
    assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
    assert_int_equal(before.st_ino, after.st_ino);
    /* --force writes into it. */
    const char *forced[] = {"conform", "--stack", "model", "-q", "--force", "--out", dir, scen, NULL};
    assert_int_equal(run(forced, out, err), 0);
    /* A file is not a folder. */
    snprintf(file, sizeof file, "%s/a-file", tmpdir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    const char *onfile[] = {"conform", "--stack", "model", "-q", "--out", file, scen, NULL};
    assert_int_equal(run(onfile, out, err), 2);
    assert_non_null(strstr(slurp(err), "not a folder"));

    /* A folder no file can be written into: with a file size limit of 0
     * (which holds for root too, unlike permissions), refused with exit 2
     * before any cell runs. */
    const char *bin = getenv("SHAKEDOWN_BIN");
    char nowrite[300];
    snprintf(nowrite, sizeof nowrite, "%s/no-write", tmpdir);
    int p[2]; /* stderr through a pipe: the limit is on files */
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {0, 0};
        signal(SIGXFSZ, SIG_IGN); /* then the write fails with EFBIG */
        dup2(p[1], 2);
        if (!freopen("/dev/null", "w", stdout)) _exit(127);
        setrlimit(RLIMIT_FSIZE, &rl);
        execl(bin, bin, "conform", "--stack", "model", "-q", "--out", nowrite, scen, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char msg[2048];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof msg - 1 && (n = read(p[0], msg + got, sizeof msg - 1 - got)) > 0) got += (size_t)n;
    msg[got] = 0;
    close(p[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
    if (!strstr(msg, "cannot write into")) fprintf(stderr, "stderr was: %s\n", msg);
    assert_non_null(strstr(msg, "cannot write into"));
    snprintf(results, sizeof results, "%s/results.json", nowrite);
    assert_false(exists(results));
}

/* Problems with the peer of a tcp run are usage errors before anything
 * runs: nothing is written, and the message says what is wrong. */
static void tcp_peer_problems_are_usage_errors(void **state) {
    (void)state;
    char out[512], err[512], dir[300], noexec[300], port[32];
    snprintf(dir, sizeof dir, "%s/tcp-usage", tmpdir);
    /* A closed port: bound then closed again (a small race with other
     * processes taking it is acceptable in a test). */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    snprintf(port, sizeof port, "127.0.0.1:%d", ntohs(sa.sin_port));
    const char *closed[] = {"conform", "--connect", port, "--out", dir, NULL};
    assert_int_equal(run(closed, out, err), 2);
    assert_non_null(strstr(slurp(err), "cannot connect"));
    assert_false(exists(dir));

    const char *missing[] = {"conform", "--listen", "0", "--client-cmd", "no-such-client-xyz {port}",
                             "--out",   dir,        NULL};
    assert_int_equal(run(missing, out, err), 2);
    assert_non_null(strstr(slurp(err), "no program 'no-such-client-xyz'"));
    assert_false(exists(dir));

    snprintf(noexec, sizeof noexec, "%s/not-a-program", tmpdir);
    FILE *f = fopen(noexec, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\n", f);
    fclose(f);
    assert_int_equal(chmod(noexec, 0644), 0);
    const char *cannot[] = {"conform", "--listen", "0", "--client-cmd", noexec, "--out", dir, NULL};
    assert_int_equal(run(cannot, out, err), 2);
    assert_non_null(strstr(slurp(err), "not an executable file"));
    assert_false(exists(dir));

    /* A client that exits at once is said to, not blamed for refusing a
     * handshake. */
    const char *quits[] = {"conform", "--listen", "0", "--client-cmd", "false", "--out", dir, NULL};
    assert_int_equal(run(quits, out, err), 2);
    const char *text = slurp(err);
    assert_non_null(strstr(text, "exited with status 1 without connecting"));
    assert_null(strstr(text, "refused"));
    assert_false(exists(dir));

    /* The session handover needs both files named: one the first client
     * writes, one the resuming client reads; and a client with no
     * session has none to read. */
    const char *no_in[] = {
        "conform", "--listen", "0", "--client-cmd", "true {session-out}", "--client-resume-cmd", "true",
        "--out",   dir,        NULL};
    assert_int_equal(run(no_in, out, err), 2);
    assert_non_null(strstr(slurp(err), "--client-resume-cmd needs {session-in}"));
    const char *no_out[] = {
        "conform", "--listen", "0", "--client-cmd", "true", "--client-resume-cmd", "true {session-in}",
        "--out",   dir,        NULL};
    assert_int_equal(run(no_out, out, err), 2);
    assert_non_null(strstr(slurp(err), "{session-out} in --client-cmd"));
    const char *in_first[] = {"conform",           "--listen", "0", "--client-cmd",
                              "true {session-in}", "--out",    dir, NULL};
    assert_int_equal(run(in_first, out, err), 2);
    assert_non_null(strstr(slurp(err), "{session-in} is for --client-resume-cmd"));
    const char *missing_resume[] = {"conform",
                                    "--listen",
                                    "0",
                                    "--client-cmd",
                                    "true {session-out}",
                                    "--client-resume-cmd",
                                    "no-such-client-xyz {session-in}",
                                    "--out",
                                    dir,
                                    NULL};
    assert_int_equal(run(missing_resume, out, err), 2);
    assert_non_null(strstr(slurp(err), "--client-resume-cmd: no program 'no-such-client-xyz'"));
    const char *alone[] = {"conform", "--client-resume-cmd", "true {session-in}", "--out", dir, NULL};
    assert_int_equal(run(alone, out, err), 2);
    assert_non_null(strstr(slurp(err), "--client-resume-cmd needs --listen PORT and --client-cmd"));
    assert_false(exists(dir));
}

/* `report --baseline` re-renders; the run's results.json keeps the
 * verdicts the run gave (it once became XFAIL/XPASS in place). A copy
 * written elsewhere carries the baseline and the raw verdicts; judged again
 * with another baseline, the raw verdicts count. */
static void report_baseline_keeps_the_stored_verdicts(void **state) {
    (void)state;
    char out[512], err[512], dir[300], other[300], other2[300], bl[300], empty[300], scen1[600], scen2[600];
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    snprintf(scen1, sizeof scen1, "%s/scenarios/tls13/server.handshake.happy.sd", src ? src : ".");
    snprintf(scen2, sizeof scen2, "%s/scenarios/tls13/server.finished.bitflip-first.sd", src ? src : ".");
    snprintf(dir, sizeof dir, "%s/report-run", tmpdir);
    snprintf(other, sizeof other, "%s/report-other", tmpdir);
    snprintf(other2, sizeof other2, "%s/report-other2", tmpdir);
    const char *conform[] = {"conform", "--stack", "model", "-q", "--out", dir, scen1, scen2, NULL};
    assert_int_equal(run(conform, out, err), 0);
    char results[400];
    snprintf(results, sizeof results, "%s/results.json", dir);
    char *before = strdup(slurp(results));
    assert_non_null(before);

    /* A baseline that expects a failure where the model passes: XPASS. */
    snprintf(bl, sizeof bl, "%s/baseline.txt", tmpdir);
    FILE *f = fopen(bl, "w");
    assert_non_null(f);
    fputs("tls13.server.finished.bitflip-first model FAIL\n", f);
    fclose(f);
    const char *report[] = {"report", dir, "--baseline", bl, NULL};
    assert_int_equal(run(report, out, err), 0);
    assert_string_equal(slurp(results), before); /* byte for byte */
    char summary[400];
    snprintf(summary, sizeof summary, "%s/summary.md", dir);
    assert_non_null(strstr(slurp(summary), "XPASS"));
    free(before);

    /* Elsewhere: a results.json with the baseline applied, raw verdict kept. */
    const char *report2[] = {"report", dir, "--baseline", bl, "--out", other, NULL};
    assert_int_equal(run(report2, out, err), 0);
    snprintf(results, sizeof results, "%s/results.json", other);
    json_error_t jerr;
    json_t *root = json_load_file(results, 0, &jerr);
    assert_non_null(root);
    size_t i, xpass = 0;
    json_t *r;
    json_array_foreach(json_object_get(root, "results"), i, r) {
        if (strcmp(json_string_value(json_object_get(r, "verdict")), "XPASS") != 0) continue;
        xpass++;
        assert_string_equal(json_string_value(json_object_get(r, "raw_verdict")), "PASS");
    }
    assert_int_equal(xpass, 1);
    json_decref(root);

    /* That copy judged with an empty baseline: the raw verdicts again. */
    snprintf(empty, sizeof empty, "%s/empty-baseline.txt", tmpdir);
    f = fopen(empty, "w");
    assert_non_null(f);
    fclose(f);
    const char *report3[] = {"report", other, "--baseline", empty, "--out", other2, NULL};
    assert_int_equal(run(report3, out, err), 0);
    snprintf(results, sizeof results, "%s/results.json", other2);
    root = json_load_file(results, 0, &jerr);
    assert_non_null(root);
    json_array_foreach(json_object_get(root, "results"), i, r) {
        assert_string_equal(json_string_value(json_object_get(r, "verdict")), "PASS");
        assert_null(json_object_get(r, "raw_verdict"));
        assert_string_equal(json_string_value(json_object_get(r, "why")), "");
    }
    json_decref(root);
}

/* `trace pcap` runs a scenario with its headers (version, suite, client
 * authentication), as conform does: these handshakes complete (with the
 * driver's TLS 1.3 defaults they did not). */
static void trace_pcap_runs_the_scenario_headers(void **state) {
    (void)state;
    static const char *const scenarios[] = {
        "scenarios/tls12/server.handshake.rsa.sd",
        "scenarios/tls12/client.handshake.ticket-and-client-auth.sd",
    };
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        char out[512], err[512], path[600], pcap[300], keys[300];
        snprintf(path, sizeof path, "%s/%s", src ? src : ".", scenarios[i]);
        snprintf(pcap, sizeof pcap, "%s/trace%zu.pcap", tmpdir, i);
        snprintf(keys, sizeof keys, "%s/trace%zu.keys", tmpdir, i);
        const char *args[] = {"trace", "pcap", path, "--out", pcap, "--keylog", keys, NULL};
        int rc = run(args, out, err);
        const char *text = slurp(out);
        if (rc != 0 || !strstr(text, "): completed"))
            fprintf(stderr, "%s:\n%s%s\n", scenarios[i], text, slurp(err));
        assert_int_equal(rc, 0);
        assert_non_null(strstr(slurp(out), "): completed"));
        /* TLS 1.2 secrets in the key log: CLIENT_RANDOM, not the 1.3 labels. */
        assert_non_null(strstr(slurp(keys), "CLIENT_RANDOM "));
    }
}

/* A --connect run runs the scenarios that test a server, and says how many
 * that test a client it left out. The server is `shakedown serve`. */
static void connect_runs_only_server_scenarios(void **state) {
    (void)state;
    const char *bin = getenv("SHAKEDOWN_BIN");
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t server = fork();
    assert_true(server >= 0);
    if (server == 0) {
        dup2(p[1], 1);
        if (!freopen("/dev/null", "w", stderr)) _exit(127);
        execl(bin, bin, "serve", "--stack", "model", "--port", "0", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char line[128] = "";
    ssize_t n = read(p[0], line, sizeof line - 1);
    close(p[0]);
    if (n <= 0) {
        kill(server, SIGKILL);
        waitpid(server, NULL, 0);
    }
    assert_true(n > 0);
    line[n] = '\0';
    const char *colon = strrchr(line, ':');
    assert_non_null(colon);
    char connect[64], out[512], err[512], dir[300];
    snprintf(connect, sizeof connect, "127.0.0.1:%d", atoi(colon + 1));
    snprintf(dir, sizeof dir, "%s/connect-run", tmpdir);
    const char *args[] = {"conform", "--connect", connect, "--filter", "handshake.happy", "--out", dir, NULL};
    int rc = run(args, out, err);
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    assert_true(rc == 0 || rc == 1); /* the verdicts are not the point here */
    assert_non_null(strstr(slurp(err), "left out"));
    char results[400];
    snprintf(results, sizeof results, "%s/results.json", dir);
    json_error_t jerr;
    json_t *root = json_load_file(results, 0, &jerr);
    assert_non_null(root);
    json_t *scenarios = json_object_get(root, "scenarios");
    assert_true(json_array_size(scenarios) > 0);
    size_t i;
    json_t *s;
    json_array_foreach(scenarios, i, s) {
        assert_string_equal(json_string_value(json_object_get(s, "role")), "server");
    }
    json_decref(root);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conform_defaults_match_expectations),
        cmocka_unit_test(malformed_scenario_reports_file_and_line),
        cmocka_unit_test(unknown_flag_is_a_usage_error),
        cmocka_unit_test(repro_explains_a_corpus_file),
        cmocka_unit_test(repro_runs_a_scenario_as_conform_does),
        cmocka_unit_test(repro_judges_a_stack_under_test),
        cmocka_unit_test(repro_runs_a_scenario_seed_with_its_headers),
        cmocka_unit_test(out_folder_is_checked_before_the_run),
        cmocka_unit_test(tcp_peer_problems_are_usage_errors),
        cmocka_unit_test(report_baseline_keeps_the_stored_verdicts),
        cmocka_unit_test(trace_pcap_runs_the_scenario_headers),
        cmocka_unit_test(connect_runs_only_server_scenarios),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
