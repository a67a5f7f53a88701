/* test_trace_cli.c — `shakedown trace` and `shakedown minimize`, end to end.
 *
 * - to-binary then to-script gives back the scenario's actions, canonically
 *   printed; to-script of a script prints the same;
 * - bad input: a file:line error for a bad script, an offset for a bad
 *   binary trace, exit 2;
 * - pcap: the run is written as a pcap with a key log; when tshark is
 *   installed, Wireshark's dissector must find the TLS 1.3 handshake and,
 *   with the key log, decrypt EncryptedExtensions, Certificate,
 *   CertificateVerify and Finished. Without tshark that check prints SKIP
 *   and the reason.
 * Processes are started with execv and an argument vector, never a shell. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static char tmpdir[256];

/* Runs bin with args (NULL-terminated, argv[0] included), stdout and stderr
 * into files. Returns the exit status, -1 if bin could not be started. */
static int run_prog(const char *bin, const char *const *args, char *out_path, char *err_path) {
    static int n;
    snprintf(out_path, 512, "%s/out.%d", tmpdir, n);
    snprintf(err_path, 512, "%s/err.%d", tmpdir, n++);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(out_path, "w", stdout) || !freopen(err_path, "w", stderr)) _exit(126);
        execv(bin, (char *const *)args);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status)); /* a signal here is a harness crash */
    return WEXITSTATUS(status) == 127 ? -1 : WEXITSTATUS(status);
}

static int shakedown(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5,
                     const char *a6, const char *a7, char *out, char *err) {
    const char *bin = getenv("SHAKEDOWN_BIN");
    assert_non_null(bin);
    const char *args[] = {bin, "trace", a1, a2, a3, a4, a5, a6, a7, NULL};
    return run_prog(bin, args, out, err);
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

static void write_file(const char *path, const char *text, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

static const char *source_dir(void) {
    const char *s = getenv("SHAKEDOWN_SOURCE_DIR");
    return s ? s : SHAKEDOWN_SOURCE_DIR;
}

static int setup(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/shakedown-test-trace.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    const char *args[] = {"/bin/rm", "-rf", tmpdir, NULL};
    char out[512], err[512];
    return run_prog("/bin/rm", args, out, err) == 0 ? 0 : -1;
}

static void test_binary_round_trip(void **state) {
    (void)state;
    char scenario[600], bin[600], out[512], err[512];
    snprintf(scenario, sizeof scenario, "%s/scenarios/tls13/server.handshake.happy.sd", source_dir());
    snprintf(bin, sizeof bin, "%s/happy.bin", tmpdir);
    assert_int_equal(shakedown("to-binary", scenario, bin, NULL, NULL, NULL, NULL, out, err), 0);
    struct stat st;
    assert_int_equal(stat(bin, &st), 0);
    char *text = slurp(bin);
    /* A scenario's headers go with its trace: version 3, with a setup. */
    assert_memory_equal(text, "SDT\x03", 4);

    assert_int_equal(shakedown("to-script", bin, NULL, NULL, NULL, NULL, NULL, out, err), 0);
    static char from_binary[1 << 20];
    strcpy(from_binary, slurp(out));
    static const char setup_line[] = "# setup: TLS 1.3, server under test";
    assert_memory_equal(from_binary, setup_line, strlen(setup_line));
    assert_non_null(strstr(from_binary, "send ClientHello\nexpect ServerHello\n"));
    /* The script itself prints the same actions. */
    assert_int_equal(shakedown("to-script", scenario, NULL, NULL, NULL, NULL, NULL, out, err), 0);
    assert_string_equal(slurp(out), strchr(from_binary, '\n') + 1);

    /* A TLS 1.2 scenario with a credential and a suite keeps them. */
    snprintf(scenario, sizeof scenario, "%s/scenarios/tls12/client.order.server-key-exchange-skipped.sd",
             source_dir());
    assert_int_equal(shakedown("to-binary", scenario, bin, NULL, NULL, NULL, NULL, out, err), 0);
    assert_int_equal(shakedown("to-script", bin, NULL, NULL, NULL, NULL, NULL, out, err), 0);
    text = slurp(out);
    assert_non_null(strstr(text, "# setup: TLS 1.2, client under test"));
    assert_non_null(strstr(text, "TLS_ECDHE_"));
}

static void test_bad_input(void **state) {
    (void)state;
    char path[600], out[512], err[512];
    snprintf(path, sizeof path, "%s/bad.sd", tmpdir);
    write_file(path, "send ClientHello\nsend Finishd\n", 30);
    assert_int_equal(shakedown("to-script", path, NULL, NULL, NULL, NULL, NULL, out, err), 2);
    assert_non_null(strstr(slurp(err), "bad.sd:2:"));
    snprintf(path, sizeof path, "%s/bad.bin", tmpdir);
    write_file(path, "SDT\x01\x09", 5);
    assert_int_equal(shakedown("to-script", path, NULL, NULL, NULL, NULL, NULL, out, err), 2);
    assert_non_null(strstr(slurp(err), "offset 4"));
    assert_int_equal(shakedown("frobnicate", NULL, NULL, NULL, NULL, NULL, NULL, out, err), 2);
    assert_int_equal(shakedown("pcap", path, NULL, NULL, NULL, NULL, NULL, out, err), 2);
}

static bool find_in_path(const char *name, char *out, size_t len) {
    const char *path = getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(out, len, "%.*s/%s", (int)n, path, name);
        if (access(out, X_OK) == 0) return true;
        path += n + (colon ? 1 : 0);
    }
    return false;
}

static void test_pcap(void **state) {
    (void)state;
    char scenario[600], pcap[600], keys[600], out[512], err[512];
    snprintf(scenario, sizeof scenario, "%s/scenarios/tls13/client.handshake.happy.sd", source_dir());
    snprintf(pcap, sizeof pcap, "%s/happy.pcap", tmpdir);
    snprintf(keys, sizeof keys, "%s/happy.keys", tmpdir);
    for (int stack = 0; stack < 2; stack++) {
        assert_int_equal(shakedown("pcap", scenario, "--out", pcap, "--keylog", keys,
                                   stack ? "--stack=boringssl" : NULL, out, err),
                         0);
        char *k = slurp(keys);
        assert_non_null(strstr(k, "CLIENT_HANDSHAKE_TRAFFIC_SECRET "));
        assert_non_null(strstr(k, "SERVER_TRAFFIC_SECRET_0 "));

        char tshark[512];
        if (!find_in_path("tshark", tshark, sizeof tshark)) {
            printf("SKIP: Wireshark check of the pcap: tshark is not installed (apt-get install tshark)\n");
            return;
        }
        char keylog_pref[700];
        snprintf(keylog_pref, sizeof keylog_pref, "tls.keylog_file:%s", keys);
        const char *args[] = {tshark, "-n",        "-r", pcap,
                              "-o",   keylog_pref, "-Y", "tls.handshake.type",
                              "-T",   "fields",    "-e", "tls.handshake.type",
                              NULL};
        int rc = run_prog(tshark, args, out, err);
        assert_int_equal(rc, 0);
        char *types = slurp(out);
        /* 1 ClientHello, 2 ServerHello in the clear; 8, 11, 15, 20 only if
         * the key log decrypted the server's flight. */
        const char *want[] = {"1", "2", "8", "11", "15", "20"};
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            char needle[8];
            bool found = false;
            for (const char *p = types; *p; p++) {
                snprintf(needle, sizeof needle, "%s", want[i]);
                size_t n = strlen(needle);
                if (strncmp(p, needle, n) == 0 && (p == types || p[-1] == ',' || p[-1] == '\n') &&
                    (p[n] == ',' || p[n] == '\n' || p[n] == '\0'))
                    found = true;
            }
            if (!found) fail_msg("tshark did not decode handshake type %s; it saw:\n%s", want[i], types);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary_round_trip),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_pcap),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
