/* test_manifest.c — scenarios/manifest.txt against the scenarios.
 *
 * The manifest lists every scenario of the default set (the files in
 * scenarios/ and the generated families) with its role and expectation. The
 * generated families take their cases from the code under test: gen-order
 * asks the order tables of harness/protocol/sequences.c which messages may
 * not come next, so a transition wrongly allowed there deletes the scenario
 * that would have caught it, and the run still passes. Here the set is
 * loaded as `shakedown conform` and `shakedown list` load it, and any
 * scenario added, removed or expecting something else fails the test until
 * the manifest is updated in the same change, where a reviewer sees it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "run/scenario_set.h"
#include "util/util.h"
#include "wire/bytes.h"

#ifndef SHAKEDOWN_SOURCE_DIR
#define SHAKEDOWN_SOURCE_DIR "."
#endif

/* One line of a manifest: the id, and what follows it (role and
 * expectation). */
typedef struct {
    char *id;
    char *rest;
} entry;

typedef struct {
    size_t n;
    entry *v;
    char *text; /* owned; the entries point into it */
} manifest;

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const entry *)a)->id, ((const entry *)b)->id);
}

/* Reads a manifest's lines (comments and blank lines skipped), sorted by
 * id. */
static void manifest_read(const char *text, manifest *out) {
    memset(out, 0, sizeof *out);
    out->text = strdup(text);
    assert_non_null(out->text);
    size_t cap = 0;
    for (char *line = out->text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (*line && *line != '#') {
            if (out->n == cap) {
                cap = cap ? cap * 2 : 256;
                out->v = realloc(out->v, cap * sizeof *out->v);
                assert_non_null(out->v);
            }
            char *space = strchr(line, ' ');
            out->v[out->n].id = line;
            out->v[out->n].rest = space ? space + 1 : line + strlen(line);
            if (space) *space = '\0';
            out->n++;
        }
        line = nl ? nl + 1 : NULL;
    }
    qsort(out->v, out->n, sizeof *out->v, cmp_entry);
}

static void manifest_free(manifest *m) {
    free(m->v);
    free(m->text);
    memset(m, 0, sizeof *m);
}

typedef struct {
    size_t added, removed, changed;
} differences;

/* Compares the checked-in manifest with the current one, printing each
 * difference (the first `shown` of each kind). */
static differences compare(const manifest *checked_in, const manifest *now, size_t shown) {
    differences d = {0, 0, 0};
    size_t i = 0, j = 0;
    while (i < checked_in->n || j < now->n) {
        int c = i == checked_in->n ? 1 : j == now->n ? -1 : strcmp(checked_in->v[i].id, now->v[j].id);
        if (c < 0) {
            if (d.removed++ < shown)
                fprintf(stderr, "  removed: %s %s\n", checked_in->v[i].id, checked_in->v[i].rest);
            i++;
        } else if (c > 0) {
            if (d.added++ < shown) fprintf(stderr, "  added:   %s %s\n", now->v[j].id, now->v[j].rest);
            j++;
        } else {
            if (strcmp(checked_in->v[i].rest, now->v[j].rest) != 0 && d.changed++ < shown)
                fprintf(stderr, "  changed: %s %s (was: %s)\n", now->v[j].id, now->v[j].rest,
                        checked_in->v[i].rest);
            i++;
            j++;
        }
    }
    return d;
}

static char *current_manifest(void) {
    sd_scenario_set set;
    assert_true(sd_scenario_set_load("test_manifest", NULL, 0, NULL, true, &set));
    sd_buf text;
    sd_buf_init(&text);
    sd_scenario_set_manifest(&set, &text);
    sd_buf_u8(&text, 0);
    assert_false(text.failed);
    sd_scenario_set_free(&set);
    char *copy = strdup((const char *)text.data);
    sd_buf_free(&text);
    assert_non_null(copy);
    return copy;
}

static char *read_text(const char *path) {
    uint8_t *data = NULL;
    size_t len = 0;
    char err[512] = "";
    if (!sd_file_read(path, 64u << 20, &data, &len, err, sizeof err)) fail_msg("%s", err);
    return (char *)data;
}

/* The checked-in manifest is the current one, line for line. */
static void manifest_matches_the_scenarios(void **state) {
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/manifest.txt", SHAKEDOWN_SOURCE_DIR);
    char *checked_in_text = read_text(path);
    char *now_text = current_manifest();
    manifest checked_in, now;
    manifest_read(checked_in_text, &checked_in);
    manifest_read(now_text, &now);
    fprintf(stderr, "%zu scenarios, %zu in %s\n", now.n, checked_in.n, path);
    differences d = compare(&checked_in, &now, 40);
    bool same_text = strcmp(checked_in_text, now_text) == 0;
    if (d.added || d.removed || d.changed || !same_text) {
        if (d.added || d.removed || d.changed)
            fprintf(stderr, "%zu scenarios added, %zu removed, %zu changed since %s was written.\n", d.added,
                    d.removed, d.changed, path);
        else
            fprintf(stderr,
                    "%s lists the same scenarios, but not as 'shakedown list --manifest' writes them.\n",
                    path);
        const char *bin = getenv("SHAKEDOWN_BIN");
        fprintf(stderr,
                "If the change is meant (a scenario added, or one that went away or expects something else\n"
                "for a reason), update the manifest in the same commit:\n"
                "  %s list --manifest > %s\n"
                "A scenario that went away when an order table changed may mean the table now allows a\n"
                "message it should not (tests/test_rfc_orders.c checks the table against the RFCs).\n",
                bin ? bin : "build/default/shakedown", path);
    }
    manifest_free(&checked_in);
    manifest_free(&now);
    free(checked_in_text);
    free(now_text);
    assert_int_equal(d.added, 0);
    assert_int_equal(d.removed, 0);
    assert_int_equal(d.changed, 0);
    assert_true(same_text);
}

/* The comparison notices a scenario gone, one new, and one whose
 * expectation changed. */
static void comparison_catches_every_kind_of_change(void **state) {
    (void)state;
    char *now_text = current_manifest();
    manifest now, edited;
    manifest_read(now_text, &now);
    assert_true(now.n > 1000);
    /* Build an edited copy: the first scenario dropped, the second with
     * another expectation, one id that does not exist. */
    sd_buf text;
    sd_buf_init(&text);
    for (size_t i = 1; i < now.n; i++)
        sd_buf_appendf(&text, "%s %s\n", now.v[i].id,
                       i == 1 ? "server alert bad_record_mac|decode_error" : now.v[i].rest);
    sd_buf_appendf(&text, "zz.no.such.scenario server complete\n");
    sd_buf_u8(&text, 0);
    assert_false(text.failed);
    manifest_read((const char *)text.data, &edited);
    fprintf(stderr, "(the differences printed below are expected)\n");
    differences d = compare(&edited, &now, 5);
    assert_int_equal(d.added, 1);   /* the first: not in the edited copy */
    assert_int_equal(d.removed, 1); /* zz.no.such.scenario */
    assert_int_equal(d.changed, 1);
    d = compare(&now, &now, 5);
    assert_int_equal(d.added + d.removed + d.changed, 0);
    sd_buf_free(&text);
    manifest_free(&now);
    manifest_free(&edited);
    free(now_text);
}

/* The manifest lines say what they should: every id once, sorted, each
 * with a role and an expectation of the three kinds. */
static void manifest_lines_are_well_formed(void **state) {
    (void)state;
    char *now_text = current_manifest();
    assert_true(strncmp(now_text, "# ", 2) == 0);
    manifest now;
    manifest_read(now_text, &now);
    const char *prev = "";
    for (char *line = now_text; *line;) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl); /* every line ends */
        *nl = '\0';
        if (*line != '#') {
            char id[128], role[16], kind[16], rest[256] = "";
            int n = sscanf(line, "%127s %15s %15s %255s", id, role, kind, rest);
            if (n < 3 || strcmp(id, prev) <= 0) fail_msg("bad or unsorted line: %s", line);
            assert_true(strcmp(role, "server") == 0 || strcmp(role, "client") == 0);
            if (strcmp(kind, "alert") == 0) {
                assert_int_equal(n, 4);
                assert_null(strchr(rest, ' '));
            } else {
                assert_int_equal(n, 3);
                assert_true(strcmp(kind, "complete") == 0 || strcmp(kind, "closed") == 0);
            }
            prev = line;
        }
        line = nl + 1;
    }
    manifest_free(&now);
    free(now_text);
}

/* `shakedown list --manifest` prints the same as the library writes. */
static void list_manifest_prints_it(void **state) {
    (void)state;
    const char *bin = getenv("SHAKEDOWN_BIN");
    if (!bin) skip();
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "'%s' list --manifest", bin);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    sd_buf out;
    sd_buf_init(&out);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, p)) > 0) sd_buf_append(&out, chunk, n);
    assert_int_equal(pclose(p), 0);
    sd_buf_u8(&out, 0);
    char *now_text = current_manifest();
    assert_string_equal((const char *)out.data, now_text);
    free(now_text);
    sd_buf_free(&out);
    /* --filter narrows it like the list. */
    snprintf(cmd, sizeof cmd, "'%s' list --manifest --filter .gen-order. | grep -vc '\\.gen-order\\.'", bin);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(chunk, sizeof chunk, p));
    pclose(p);
    assert_int_equal(atoi(chunk), 2); /* only the two comment lines lack it */
}

int main(void) {
    /* The default set, whatever the caller's environment points at. */
    unsetenv("SHAKEDOWN_SCENARIOS_DIR");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(manifest_lines_are_well_formed),
        cmocka_unit_test(comparison_catches_every_kind_of_change),
        cmocka_unit_test(list_manifest_prints_it),
        cmocka_unit_test(manifest_matches_the_scenarios),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
