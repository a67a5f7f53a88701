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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

static char tmpdir[256];

/* Runs shakedown with argv (NULL-terminated, without the program), stdout
 * and stderr into files under tmpdir. Returns the exit status. */
static int run(const char *const *args, char *out_path, char *err_path) {
    const char *bin = getenv("SHAKEDOWN_BIN");
    assert_non_null(bin);
    static int n;
    snprintf(out_path, 512, "%s/out.%d", tmpdir, n);
    snprintf(err_path, 512, "%s/err.%d", tmpdir, n++);
    char *argv[32];
    size_t i = 0;
    argv[i++] = (char *)bin;
    for (; args[i - 1] && i < 31; i++) argv[i] = (char *)args[i - 1];
    argv[i] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(out_path, "w", stdout) || !freopen(err_path, "w", stderr)) _exit(127);
        execv(bin, argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status)); /* a signal here is a harness crash */
    return WEXITSTATUS(status);
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
 * every scenario; BoringSSL must pass, or refuse differently (SOFT) or fail
 * as the baseline lists (XFAIL) only where the scenario's note explains
 * why. */
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
            /* XFAIL: a FAIL scenarios/known-failures.txt lists. */
            bool explained = (strcmp(verdict, "SOFT") == 0 || strcmp(verdict, "XFAIL") == 0) && note[0] != 0;
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conform_defaults_match_expectations),
        cmocka_unit_test(malformed_scenario_reports_file_and_line),
        cmocka_unit_test(unknown_flag_is_a_usage_error),
        cmocka_unit_test(repro_explains_a_corpus_file),
        cmocka_unit_test(repro_runs_a_scenario_as_conform_does),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
