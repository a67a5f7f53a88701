/* test_run.c — the run layer: loading a scenario set (files, directories,
 * the generated families, duplicate ids, filters) and running cells, in this
 * process and in workers, where a stack that crashes its process costs only
 * its own cell. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pki_fixture.h"
#include "run/cells.h"
#include "run/scenario_set.h"
#include "stacks/stacks.h"

#define SCENARIO_HEAD(id, role) \
    "id: " id "\ntitle: t\nrfc: RFC 8446\nrole: " role "\nversion: 1.3\nexpect: complete\n"

static const char server_happy[] = SCENARIO_HEAD(
    "run.server.happy",
    "server") "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\nexpect Certificate\n"
              "expect CertificateVerify\nexpect Finished\nsend Finished\n";
static const char client_happy[] = SCENARIO_HEAD(
    "run.client.happy",
    "client") "expect ClientHello\nsend ServerHello\nsend EncryptedExtensions\nsend Certificate\n"
              "send CertificateVerify\nsend Finished\nexpect Finished\n";

static void write_file(const char *dir, const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void make_dir(char *dir, size_t len) {
    snprintf(dir, len, "/tmp/shakedown-test-run-XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void remove_dir(const char *dir, const char *const *names) {
    char path[512];
    for (size_t i = 0; names[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* A directory is searched for *.sd in path order, hidden files skipped;
 * a filter keeps the ids that contain it, and one that keeps nothing, or an
 * id used twice, is an error. With `generated`, the families follow. */
static void scenario_set_loading(void **state) {
    (void)state;
    char dir[64];
    make_dir(dir, sizeof dir);
    write_file(dir, "b.sd", server_happy);
    write_file(dir, "a.sd", client_happy);
    write_file(dir, ".swap.sd", "not a scenario");
    write_file(dir, "notes.txt", "not a scenario either");
    char *paths[] = {dir};

    sd_scenario_set set;
    assert_true(sd_scenario_set_load("test_run", paths, 1, NULL, false, &set));
    assert_int_equal(set.n, 2);
    assert_string_equal(set.items[0].id, "run.client.happy"); /* a.sd first */
    assert_string_equal(set.items[1].id, "run.server.happy");
    sd_scenario_set_free(&set);

    assert_true(sd_scenario_set_load("test_run", paths, 1, "server", false, &set));
    assert_int_equal(set.n, 1);
    sd_scenario_set_free(&set);
    assert_false(sd_scenario_set_load("test_run", paths, 1, "no-such-id", false, &set));
    assert_int_equal(set.n, 0);

    /* The generated families join after the files. */
    assert_true(sd_scenario_set_load("test_run", paths, 1, NULL, true, &set));
    assert_true(set.n > 1000);
    assert_string_equal(set.items[0].id, "run.client.happy");
    sd_scenario_set_free(&set);

    write_file(dir, "c.sd", server_happy); /* the same id again */
    assert_false(sd_scenario_set_load("test_run", paths, 1, NULL, false, &set));
    assert_int_equal(set.n, 0);
    static const char *const names[] = {"a.sd", "b.sd", "c.sd", ".swap.sd", "notes.txt", NULL};
    remove_dir(dir, names);
}

/* The results of a plan, by cell. */
typedef struct {
    size_t n_done;
    sd_cell_result results[8];
} collected;

static void collect(void *ctx, size_t cell, const sd_cell_result *result) {
    collected *c = ctx;
    assert_true(cell < 8);
    c->results[cell] = *result;
    c->n_done++;
}

/* The model behind the target interface, except that a client kills its
 * process as soon as it is created: an in-process stack that crashes.
 * SIGKILL, because cmocka catches the signals a real crash raises. */
static sd_target *crasher_create(const sd_target_config *cfg, sd_target_error *err) {
    if (cfg->role == SD_ROLE_CLIENT) kill(getpid(), SIGKILL);
    return sd_target_model.create(cfg, err);
}
static sd_target_ops crasher_ops;

static void load_both(sd_scenario *two) {
    char err[512];
    if (!sd_scenario_parse("s.sd", server_happy, strlen(server_happy), &two[0], err, sizeof err))
        fail_msg("%s", err);
    if (!sd_scenario_parse("c.sd", client_happy, strlen(client_happy), &two[1], err, sizeof err))
        fail_msg("%s", err);
}

/* Cells run in this process and in workers give the same results; a cell
 * whose stack kills its worker is CRASH, named by signal, and the cells
 * after it in that worker's share still run, with one worker too. */
static void cells_in_process_and_in_workers(void **state) {
    (void)state;
    sd_scenario two[2];
    load_both(two);
    crasher_ops = sd_target_model;
    crasher_ops.name = "crasher";
    crasher_ops.create = crasher_create;
    const sd_target_ops *stacks[] = {&sd_target_model, &sd_target_boringssl};
    sd_cell_plan plan = {.scenarios = two,
                         .n_scenarios = 2,
                         .stacks = stacks,
                         .n_stacks = 2,
                         .pki = &pki,
                         .now = SD_PKI_DEFAULT_TIME,
                         .seed = 1,
                         .jobs = 1,
                         .on_done = collect};
    collected seq = {0}, par = {0};
    plan.ctx = &seq;
    assert_true(sd_cells_run(&plan));
    plan.ctx = &par;
    plan.jobs = 3;
    assert_true(sd_cells_run(&plan));
    assert_int_equal(seq.n_done, 4);
    assert_int_equal(par.n_done, 4);
    for (size_t c = 0; c < 4; c++) {
        assert_true(seq.results[c].ran);
        assert_int_equal(seq.results[c].verdict, SD_VERDICT_PASS);
        assert_int_equal(par.results[c].verdict, seq.results[c].verdict);
        assert_int_equal(par.results[c].outcome.kind, seq.results[c].outcome.kind);
        assert_string_equal(par.results[c].why, seq.results[c].why);
    }

    /* Scenario 1 (the client) on stack 1 (the crasher) is cell 3; with two
     * workers, worker 1 has cells 1 and 3. */
    const sd_scenario one_more[3] = {two[0], two[1], two[0]};
    const sd_target_ops *with_crasher[] = {&sd_target_model, &crasher_ops};
    plan.scenarios = one_more;
    plan.n_scenarios = 3;
    plan.stacks = with_crasher;
    plan.jobs = 2;
    collected crashed = {0};
    plan.ctx = &crashed;
    assert_true(sd_cells_run(&plan));
    assert_int_equal(crashed.n_done, 6);
    for (size_t c = 0; c < 6; c++) {
        if (c == 3) continue;
        assert_int_equal(crashed.results[c].verdict, SD_VERDICT_PASS);
    }
    assert_int_equal(crashed.results[3].verdict, SD_VERDICT_CRASH);
    assert_int_equal(crashed.results[3].outcome.kind, SD_OUTCOME_CRASH);
    assert_string_equal(crashed.results[3].why, "the worker running this cell died of signal 9");

    /* One job, isolated (conform's default): the one worker is started
     * again after the crash, and the cells after it still run. */
    plan.jobs = 1;
    plan.isolated = true;
    collected one_worker = {0};
    plan.ctx = &one_worker;
    assert_true(sd_cells_run(&plan));
    assert_int_equal(one_worker.n_done, 6);
    for (size_t c = 0; c < 6; c++)
        assert_int_equal(one_worker.results[c].verdict, c == 3 ? SD_VERDICT_CRASH : SD_VERDICT_PASS);
    assert_string_equal(one_worker.results[3].why, "the worker running this cell died of signal 9");
    sd_scenario_free(&two[0]);
    sd_scenario_free(&two[1]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scenario_set_loading),
        cmocka_unit_test(cells_in_process_and_in_workers),
    };
    return cmocka_run_group_tests(tests, load_pki, free_pki);
}
