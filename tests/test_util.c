/* test_util.c — the utility layer: files read whole or refused, atomic
 * writes that leave no temporary behind, folders made with their parents,
 * error text that truncates instead of overflowing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/covering_array.h"
#include "util/util.h"

static char g_dir[256];

static int make_scratch(void **state) {
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/shakedown-test-util-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int remove_scratch(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static size_t entries_in(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static void test_write_then_read(void **state) {
    (void)state;
    char path[300], err[200] = "";
    snprintf(path, sizeof path, "%s/a.bin", g_dir);
    assert_true(sd_file_write_atomic(path, "first", 5, err, sizeof err));
    assert_true(sd_file_write_atomic(path, "second!", 7, err, sizeof err));
    uint8_t *data = NULL;
    size_t len = 0;
    assert_true(sd_file_read(path, 1024, &data, &len, err, sizeof err));
    assert_int_equal(len, 7);
    assert_memory_equal(data, "second!", 7);
    assert_int_equal(data[len], '\0'); /* usable as text */
    free(data);
    /* The temporary file was renamed over the target: only a.bin is left. */
    assert_int_equal(entries_in(g_dir), 1);
}

static void test_read_refuses_what_it_cannot_hold(void **state) {
    (void)state;
    char path[300], err[200] = "";
    snprintf(path, sizeof path, "%s/big.bin", g_dir);
    static uint8_t big[10000];
    memset(big, 'x', sizeof big);
    assert_true(sd_file_write_atomic(path, big, sizeof big, err, sizeof err));
    uint8_t *data = (uint8_t *)1;
    size_t len = 99;
    assert_false(sd_file_read(path, sizeof big - 1, &data, &len, err, sizeof err));
    assert_null(data);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err, "larger than"));
    assert_true(sd_file_read(path, sizeof big, &data, &len, err, sizeof err));
    assert_int_equal(len, sizeof big);
    free(data);

    snprintf(path, sizeof path, "%s/missing", g_dir);
    assert_false(sd_file_read(path, 10, &data, &len, err, sizeof err));
    assert_non_null(strstr(err, "missing"));
}

static void test_write_into_a_missing_folder_fails_cleanly(void **state) {
    (void)state;
    char path[300], err[200] = "";
    snprintf(path, sizeof path, "%s/no/such/folder/x", g_dir);
    assert_false(sd_file_write_atomic(path, "x", 1, err, sizeof err));
    assert_true(err[0] != '\0');
}

static void test_make_dirs(void **state) {
    (void)state;
    char path[300], err[200] = "";
    snprintf(path, sizeof path, "%s/one/two/three", g_dir);
    assert_true(sd_make_dirs(path, err, sizeof err));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_true(sd_make_dirs(path, err, sizeof err)); /* again: already there */

    /* A file in the way is an error, not a success. */
    char file[320];
    snprintf(file, sizeof file, "%s/one/file", g_dir);
    assert_true(sd_file_write_atomic(file, "x", 1, err, sizeof err));
    assert_false(sd_make_dirs(file, err, sizeof err));
    snprintf(path, sizeof path, "%s/one/file/below", g_dir);
    assert_false(sd_make_dirs(path, err, sizeof err));
}

static void test_set_error(void **state) {
    (void)state;
    char small[8];
    sd_set_error(small, sizeof small, "%s %d", "truncated", 12345);
    assert_string_equal(small, "truncat");
    sd_set_error(NULL, 0, "nothing to write into %d", 1); /* must not crash */
}

static void test_clock_is_monotonic(void **state) {
    (void)state;
    double a = sd_now_ms();
    double b = sd_now_ms();
    assert_true(b >= a);
}

/* --- Covering arrays ------------------------------------------------------- */

/* Every pair of values of two dimensions that an allowed combination holds
 * is in some row, and every row is allowed: checked by brute force over
 * all combinations, apart from the construction. */
static void assert_pairwise(const unsigned *counts, size_t n_dims, sd_ca_allowed_fn allowed,
                            const unsigned *rows, size_t n_rows) {
    for (size_t r = 0; r < n_rows; r++) {
        for (size_t d = 0; d < n_dims; d++) assert_true(rows[r * n_dims + d] < counts[d]);
        assert_true(allowed(&rows[r * n_dims], NULL));
    }
    size_t total = 1;
    for (size_t d = 0; d < n_dims; d++) total *= counts[d];
    unsigned combo[SD_CA_MAX_DIMS];
    for (size_t k = 0; k < total; k++) {
        size_t rest = k;
        for (size_t d = n_dims; d-- > 0;) {
            combo[d] = (unsigned)(rest % counts[d]);
            rest /= counts[d];
        }
        if (!allowed(combo, NULL)) continue;
        for (size_t d = 0; d < n_dims; d++)
            for (size_t e = d + 1; e < n_dims; e++) {
                bool found = false;
                for (size_t r = 0; r < n_rows && !found; r++)
                    found = rows[r * n_dims + d] == combo[d] && rows[r * n_dims + e] == combo[e];
                if (!found)
                    fail_msg("pair (%zu=%u, %zu=%u) of an allowed combination is in no row", d, combo[d], e,
                             combo[e]);
            }
    }
}

static bool everything(const unsigned *row, void *ctx) {
    (void)row;
    (void)ctx;
    return true;
}

/* Dimension 0 even goes with dimension 1 even only, as a suite goes with
 * its key type. */
static bool same_parity(const unsigned *row, void *ctx) {
    (void)ctx;
    return row[0] % 2 == row[1] % 2;
}

static void test_covering_array_holds_every_pair(void **state) {
    (void)state;
    unsigned rows[64 * 4];
    static const unsigned counts[] = {3, 7, 5, 5};
    size_t n = sd_covering_array(counts, 4, everything, NULL, rows, 64);
    /* At least 7 x 5 rows (the two largest dimensions' pairs); far fewer
     * than the 525 combinations. */
    assert_in_range(n, 35, 60);
    assert_pairwise(counts, 4, everything, rows, n);
    /* The same rows every time: scenario ids depend on them. */
    unsigned again[64 * 4];
    assert_int_equal(sd_covering_array(counts, 4, everything, NULL, again, 64), n);
    assert_memory_equal(rows, again, n * 4 * sizeof *rows);
}

static void test_covering_array_keeps_to_the_constraint(void **state) {
    (void)state;
    unsigned rows[64 * 3];
    static const unsigned counts[] = {6, 4, 3};
    size_t n = sd_covering_array(counts, 3, same_parity, NULL, rows, 64);
    assert_true(n >= 12); /* 6 x 2 allowed pairs of dimensions 0 and 1 */
    assert_pairwise(counts, 3, same_parity, rows, n);
}

static bool nothing(const unsigned *row, void *ctx) {
    (void)row;
    (void)ctx;
    return false;
}

static void test_covering_array_refuses_what_it_cannot_build(void **state) {
    (void)state;
    unsigned rows[64 * 4];
    static const unsigned counts[] = {3, 7, 5, 5};
    /* More rows than room for them; no allowed combination; no dimension. */
    assert_int_equal(sd_covering_array(counts, 4, everything, NULL, rows, 10), 0);
    assert_int_equal(sd_covering_array(counts, 4, nothing, NULL, rows, 64), 0);
    assert_int_equal(sd_covering_array(counts, 0, everything, NULL, rows, 64), 0);
    static const unsigned zero[] = {3, 0};
    assert_int_equal(sd_covering_array(zero, 2, everything, NULL, rows, 64), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_then_read),
        cmocka_unit_test(test_read_refuses_what_it_cannot_hold),
        cmocka_unit_test(test_write_into_a_missing_folder_fails_cleanly),
        cmocka_unit_test(test_make_dirs),
        cmocka_unit_test(test_set_error),
        cmocka_unit_test(test_clock_is_monotonic),
        cmocka_unit_test(test_covering_array_holds_every_pair),
        cmocka_unit_test(test_covering_array_keeps_to_the_constraint),
        cmocka_unit_test(test_covering_array_refuses_what_it_cannot_build),
    };
    return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
