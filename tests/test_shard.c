/* test_shard.c — a run spread over a CI matrix: `conform --shard K/N` runs a
 * stable part of the scenario × stack cells, and `report --merge` joins the
 * shards into the report the unsharded run gives, refusing runs that do not
 * join. A small set (the ChangeCipherSpec scenarios) on the model and
 * BoringSSL keeps it to a few seconds. */
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
#include <jansson.h>

#include "shakedown_run.h"

#define FILTER "ccs"

static int unsharded_rc;

static const char *in_tmp(const char *name) {
    static char paths[8][400];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 400, "%s/%s", tmpdir, name);
    return p;
}

static json_t *load_results(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    assert_non_null(root);
    return root;
}

/* A conform run of the small set on the two stacks into tmpdir/name;
 * shard "" for the whole matrix. */
static int conform(const char *name, const char *shard, const char *jobs) {
    char out[512], err[512];
    const char *args[16] = {"conform", "--stack", "model", "--stack", "boringssl", "--filter",
                            FILTER,    "-q",      "-j",    jobs,      "--out",     in_tmp(name)};
    size_t n = 12;
    if (shard[0]) {
        args[n++] = "--shard";
        args[n++] = shard;
    }
    args[n] = NULL;
    return run(args, out, err);
}

/* The whole run, and its three shards (the second with two workers: a
 * cell's shard does not depend on -j). */
static int setup(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/shakedown-test-shard.XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    unsharded_rc = conform("all", "", "1");
    int rc1 = conform("s1", "1/3", "1"), rc2 = conform("s2", "2/3", "2"), rc3 = conform("s3", "3/3", "1");
    /* 0 or 1 (findings): anything else is a failure of the harness. */
    return unsharded_rc <= 1 && rc1 <= 1 && rc2 <= 1 && rc3 <= 1 ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A cell row as a run gives it, without what differs between two runs of
 * the same cell: the times. */
static json_t *row_without_times(json_t *row) {
    json_t *copy = json_deep_copy(row);
    json_object_del(copy, "elapsed_ms");
    json_t *outcome = json_object_get(copy, "outcome");
    if (json_is_object(outcome)) json_object_del(outcome, "elapsed_ms");
    return copy;
}

static void shards_merge_into_the_unsharded_run(void **state) {
    (void)state;
    /* Each shard holds its part, says which it is, and the parts add up. */
    json_t *whole = load_results(in_tmp("all"));
    size_t n_cells = json_array_size(json_object_get(whole, "results")), sum = 0;
    assert_true(n_cells >= 100); /* both stacks ran the set */
    static const char *const shards[] = {"s1", "s2", "s3"};
    for (int k = 0; k < 3; k++) {
        json_t *part = load_results(in_tmp(shards[k]));
        json_t *shard = json_object_get(json_object_get(part, "run"), "shard");
        assert_int_equal(json_integer_value(json_object_get(shard, "index")), k + 1);
        assert_int_equal(json_integer_value(json_object_get(shard, "count")), 3);
        size_t n = json_array_size(json_object_get(part, "results"));
        assert_true(n > 0 && n < n_cells);
        sum += n;
        /* The scenario list is the whole run's: the merge checks it. */
        assert_true(json_equal(json_object_get(part, "scenarios"), json_object_get(whole, "scenarios")));
        char summary[512], want[32];
        snprintf(summary, sizeof summary, "%s/summary.md", in_tmp(shards[k]));
        snprintf(want, sizeof want, "shard %d/3", k + 1);
        assert_non_null(strstr(slurp(summary), want));
        json_decref(part);
    }
    assert_int_equal(sum, n_cells);

    char out[512], err[512];
    const char *merge[] = {"report",     "--merge", in_tmp("s3"),     in_tmp("s1"),
                           in_tmp("s2"), "--out",   in_tmp("merged"), NULL};
    assert_int_equal(run(merge, out, err), unsharded_rc);
    json_t *merged = load_results(in_tmp("merged"));
    json_t *rows = json_object_get(merged, "results"), *want_rows = json_object_get(whole, "results");
    assert_int_equal(json_array_size(rows), n_cells);
    for (size_t i = 0; i < n_cells; i++) {
        json_t *a = row_without_times(json_array_get(rows, i)),
               *b = row_without_times(json_array_get(want_rows, i));
        if (!json_equal(a, b)) {
            char *ta = json_dumps(a, JSON_SORT_KEYS), *tb = json_dumps(b, JSON_SORT_KEYS);
            print_error("row %zu differs:\n merged:    %s\n unsharded: %s\n", i, ta, tb);
            free(ta);
            free(tb);
            fail();
        }
        json_decref(a);
        json_decref(b);
    }
    assert_true(json_equal(json_object_get(merged, "totals"), json_object_get(whole, "totals")));
    assert_false(json_is_true(json_object_get(json_object_get(merged, "run"), "incomplete")));
    /* Every report is written, and JUnit has every cell. */
    char junit[512];
    snprintf(junit, sizeof junit, "%s/junit.xml", in_tmp("merged"));
    const char *xml = slurp(junit);
    assert_non_null(xml);
    size_t testcases = 0;
    for (const char *p = xml; (p = strstr(p, "<testcase ")) != NULL; p++) testcases++;
    assert_int_equal(testcases, n_cells);
    json_decref(merged);
    json_decref(whole);
}

static void merge_refuses_runs_that_do_not_join(void **state) {
    (void)state;
    char out[512], err[512];
    /* The same shard twice. */
    const char *twice[] = {"report",     "--merge", in_tmp("s1"), in_tmp("s2"),
                           in_tmp("s1"), "--out",   in_tmp("m1"), NULL};
    assert_int_equal(run(twice, out, err), 2);
    assert_non_null(strstr(slurp(err), "shard 1/3 of stack model is in both"));
    /* A shard with the whole run. */
    const char *with_whole[] = {"report", "--merge",    in_tmp("all"), in_tmp("s2"),
                                "--out",  in_tmp("m1"), NULL};
    assert_int_equal(run(with_whole, out, err), 2);
    /* A folder that holds no run. */
    const char *missing[] = {"report", "--merge",    in_tmp("s1"), in_tmp("nothing-here"),
                             "--out",  in_tmp("m1"), NULL};
    assert_int_equal(run(missing, out, err), 2);
    assert_non_null(strstr(slurp(err), "nothing-here"));
    /* Another scenario set: a shard of one scenario. */
    char scenario[600];
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    snprintf(scenario, sizeof scenario, "%s/scenarios/tls13/server.handshake.happy.sd", src ? src : ".");
    const char *other[] = {"conform", "--stack", "model",         "-q",     "--shard",
                           "1/3",     "--out",   in_tmp("other"), scenario, NULL};
    assert_true(run(other, out, err) <= 1);
    const char *other_set[] = {"report", "--merge",    in_tmp("s2"), in_tmp("other"),
                               "--out",  in_tmp("m1"), NULL};
    assert_int_equal(run(other_set, out, err), 2);
    assert_non_null(strstr(slurp(err), "different scenario sets"));
    /* Into a run's own folder: its record would be lost. */
    const char *over[] = {"report", "--merge", in_tmp("s1"), in_tmp("s2"), "--out", in_tmp("s1"), NULL};
    assert_int_equal(run(over, out, err), 2);
    struct stat st;
    assert_int_not_equal(stat(in_tmp("m1"), &st), 0); /* nothing was written */

    /* A shard missing: merged, but said on stderr and in the reports, and
     * the exit code says the results are incomplete. */
    const char *two[] = {"report", "--merge", in_tmp("s1"), in_tmp("s3"), "--out", in_tmp("m2"), NULL};
    assert_int_equal(run(two, out, err), 3);
    assert_non_null(strstr(slurp(err), "2 of 3 shards merged; missing: 2/3"));
    char path[512];
    snprintf(path, sizeof path, "%s/summary.md", in_tmp("m2"));
    assert_non_null(strstr(slurp(path), "2 of 3 shards merged; missing: 2/3"));
    json_t *merged = load_results(in_tmp("m2"));
    json_t *r = json_object_get(merged, "run");
    assert_true(json_is_true(json_object_get(r, "incomplete")));
    assert_string_equal(json_string_value(json_object_get(r, "incomplete_reason")),
                        "2 of 3 shards merged; missing: 2/3");
    json_decref(merged);
}

static void wrong_shard_values_are_refused(void **state) {
    (void)state;
    static const char *const bad[] = {"0/3", "4/3", "3", "1/0", "x/3", "1/3/3", "-1/3", "1/257", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[512], err[512];
        const char *args[] = {"conform", "--stack", "model",           "--shard",
                              bad[i],    "--out",   in_tmp("refused"), NULL};
        assert_int_equal(run(args, out, err), 2);
        assert_non_null(strstr(slurp(err), "--shard wants K/N"));
        struct stat st;
        assert_int_not_equal(stat(in_tmp("refused"), &st), 0); /* refused before anything ran */
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shards_merge_into_the_unsharded_run),
        cmocka_unit_test(merge_refuses_runs_that_do_not_join),
        cmocka_unit_test(wrong_shard_values_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
