/* test_browser.c — index.html as a browser renders it: a conformance run,
 * then headless Chromium loads the page from file:// with a cell named in
 * the address (#scenario-id/stack) and dumps the DOM it built. Checked:
 * the page rendered, the counts per stack equal results.json's, and the
 * named cell's ladder diagram is open with one row per message.
 *
 * Without Chromium (Debian package `chromium`) the test prints
 * "SKIP: chromium not installed" and exits 77, which CTest reports as
 * skipped (SKIP_RETURN_CODE in tests/CMakeLists.txt). $SHAKEDOWN_CHROMIUM
 * names another binary. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#define SKIP_CODE 77

static char tmpdir[256];
static char chromium[512];

/* The first executable of these names on $PATH, or $SHAKEDOWN_CHROMIUM. */
static bool find_chromium(void) {
    const char *env = getenv("SHAKEDOWN_CHROMIUM");
    if (env && *env) {
        snprintf(chromium, sizeof chromium, "%s", env);
        return access(chromium, X_OK) == 0;
    }
    static const char *const names[] = {"chromium", "chromium-browser", "google-chrome", "chrome"};
    const char *path = getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        const char *p = path;
        while (*p) {
            const char *colon = strchr(p, ':');
            size_t len = colon ? (size_t)(colon - p) : strlen(p);
            snprintf(chromium, sizeof chromium, "%.*s/%s", (int)len, p, names[n]);
            if (len && access(chromium, X_OK) == 0) return true;
            p += len + (colon ? 1 : 0);
        }
    }
    return false;
}

/* Runs argv with stdout (and stderr) to files, without a shell; kills it
 * after timeout_s. Returns the exit status, or -1 if it had to be killed. */
static int run_to_file(char *const argv[], const char *out_path, const char *err_path, int timeout_s) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(out_path, "w", stdout) || !freopen(err_path, "w", stderr)) _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    for (int waited_ms = 0;; waited_ms += 50) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (waited_ms >= timeout_s * 1000) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)(n > 0 ? n : 0) + 1);
    size_t got = buf ? fread(buf, 1, (size_t)(n > 0 ? n : 0), f) : 0;
    fclose(f);
    if (buf) buf[got] = '\0';
    return buf;
}

static int setup(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/shakedown-test-browser.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char *const rm[] = {"/bin/rm", "-rf", tmpdir, NULL};
    char out[300], err[300];
    snprintf(out, sizeof out, "/dev/null");
    snprintf(err, sizeof err, "/dev/null");
    return run_to_file(rm, out, err, 30) == 0 ? 0 : -1;
}

/* The DOM text of the stack card for stack `name`: from its name to the
 * next card (or the end of the summary section). */
static const char *card_of(const char *dom, const char *name, size_t *len) {
    char needle[128];
    snprintf(needle, sizeof needle, "<div class=\"name\">%s</div>", name);
    const char *start = strstr(dom, needle);
    if (!start) return NULL;
    const char *end = strstr(start + 1, "<div class=\"stack-card\">");
    const char *sec = strstr(start, "</section>");
    if (!end || (sec && sec < end)) end = sec;
    *len = end ? (size_t)(end - start) : strlen(start);
    return start;
}

/* Set once page_shows_the_run made tmpdir/run, which the later tests
 * read. */
static bool have_run;

static void page_shows_the_run(void **state) {
    (void)state;
    const char *bin = getenv("SHAKEDOWN_BIN");
    assert_non_null(bin);
    char run_dir[400], out[512], err[512];
    snprintf(run_dir, sizeof run_dir, "%s/run", tmpdir);
    snprintf(out, sizeof out, "%s/conform.out", tmpdir);
    snprintf(err, sizeof err, "%s/conform.err", tmpdir);
    /* A slice of the default set (hand-written and generated), so the page
     * is quick to render; the page code is the same for any size. With the
     * default run's baseline, as scripts/conform.sh runs it: the slice holds
     * BoringSSL's known RFC deviations (XFAIL). Under 200 cells that are not
     * a PASS: the link check clicks each, and Chromium ignores a page's
     * location changes past 200 in 10 s (its navigation flood guard). */
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    assert_non_null(src);
    char baseline[600];
    snprintf(baseline, sizeof baseline, "%s/scenarios/known-failures.txt", src);
    char *const conform[] = {(char *)bin, "conform", "--out",      run_dir,  "-q",
                             "--filter",  "record",  "--baseline", baseline, NULL};
    int rc = run_to_file(conform, out, err, 120);
    if (rc != 0) fprintf(stderr, "conform exited %d:\n%s\n", rc, slurp(err));
    assert_int_equal(rc, 0);
    have_run = true;

    char path[600];
    snprintf(path, sizeof path, "%s/results.json", run_dir);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    assert_non_null(root);
    json_t *stacks = json_object_get(root, "stacks"), *results = json_object_get(root, "results"),
           *scenarios = json_object_get(root, "scenarios");
    assert_true(json_array_size(stacks) >= 1);
    assert_true(json_array_size(results) >= 1);

    /* The cell to open: the first that is not a plain PASS and has a
     * ladder (a SKIP, a stack that could not be set up, has none), else the
     * first. */
    json_t *pick = json_array_get(results, 0);
    size_t i;
    json_t *r;
    json_array_foreach(results, i, r) {
        if (strcmp(json_string_value(json_object_get(r, "verdict")), "PASS") != 0 &&
            json_array_size(json_object_get(r, "events")) > 0) {
            pick = r;
            break;
        }
    }
    const char *id = json_string_value(json_object_get(pick, "scenario"));
    const char *stack = json_string_value(json_object_get(pick, "stack"));
    size_t n_events = json_array_size(json_object_get(pick, "events"));
    assert_true(n_events > 0);

    /* Ids and stack names are [a-z0-9._-]: nothing to percent-encode. */
    char url[1200], profile[400], dom_path[400], log_path[400];
    snprintf(url, sizeof url, "file://%s/index.html#%s/%s", run_dir, id, stack);
    snprintf(profile, sizeof profile, "--user-data-dir=%s/profile", tmpdir);
    snprintf(dom_path, sizeof dom_path, "%s/dom.html", tmpdir);
    snprintf(log_path, sizeof log_path, "%s/chromium.log", tmpdir);
    char *const browser[] = {chromium,
                             "--headless",
                             "--no-sandbox",
                             "--disable-gpu",
                             "--disable-background-networking",
                             "--no-first-run",
                             "--disable-component-update",
                             "--disable-sync",
                             "--disable-dev-shm-usage",
                             profile,
                             "--virtual-time-budget=5000",
                             "--dump-dom",
                             url,
                             NULL};
    rc = run_to_file(browser, dom_path, log_path, 90);
    char *dom = slurp(dom_path);
    if (rc != 0 || !dom || !*dom) fprintf(stderr, "chromium exited %d:\n%s\n", rc, slurp(log_path));
    assert_int_equal(rc, 0);
    assert_non_null(dom);

    /* It rendered: the header names the number of scenarios. */
    char want[200];
    snprintf(want, sizeof want, "scenarios <b>%zu</b>", json_array_size(scenarios));
    if (!strstr(dom, want)) fprintf(stderr, "no '%s' in the rendered page\n", want);
    assert_non_null(strstr(dom, want));
    assert_null(strstr(dom, "<span class=\"error-box\">"));

    /* Counts per stack, as results.json has them. */
    json_t *st;
    json_array_foreach(stacks, i, st) {
        const char *name = json_string_value(json_object_get(st, "name"));
        size_t len = 0;
        const char *card = card_of(dom, name, &len);
        if (!card) fprintf(stderr, "no stack card for %s\n", name);
        assert_non_null(card);
        const char *v;
        json_t *n;
        json_object_foreach(json_object_get(st, "counts"), v, n) {
            json_int_t count = json_integer_value(n);
            if ((strcmp(v, "XFAIL") == 0 || strcmp(v, "XPASS") == 0 || strcmp(v, "UNREACHED") == 0) &&
                count == 0)
                continue; /* hidden */
            char shown[160];
            snprintf(shown, sizeof shown, "<span class=\"badge v-%s\">%s</span>%lld</span>", v, v,
                     (long long)count);
            char *cut = strndup(card, len);
            bool found = strstr(cut, shown) != NULL;
            if (!found) fprintf(stderr, "%s: page does not show %s %lld\n", name, v, (long long)count);
            free(cut);
            assert_true(found);
        }
    }

    /* The cell named in the address is open: its id heads the detail pane,
     * and the ladder has a row per message plus the end mark. */
    const char *detail = strstr(dom, "<aside id=\"detail\"");
    assert_non_null(detail);
    snprintf(want, sizeof want, "<h2 class=\"mono\">%s</h2>", id);
    if (!strstr(detail, want)) fprintf(stderr, "the detail pane does not show %s\n", id);
    assert_non_null(strstr(detail, want));
    const char *lad = strstr(detail, "<div class=\"ladder\">");
    assert_non_null(lad);
    size_t rows = 0;
    for (const char *p = lad; (p = strstr(p, "<div class=\"ev ")) != NULL; p++) rows++;
    assert_int_equal(rows, n_events + 1);
    assert_non_null(strstr(dom, "class=\"sel\"") ? strstr(dom, "class=\"sel\"") : strstr(dom, " sel\""));

    free(dom);
    json_decref(root);
}

/* Every cell that is not a PASS links its ladder diagram: clicking it opens
 * that scenario's ladder, one row per message, and puts the cell's link
 * (#scenario-id/stack) in the address. Checked for all of them at once: a
 * copy of index.html gets a script, after the page's own, that clicks each
 * such cell and writes what opened into a <pre id="linkcheck">. */
static void every_non_pass_cell_opens_its_ladder(void **state) {
    (void)state;
    if (!have_run) skip();
    char path[600];
    snprintf(path, sizeof path, "%s/run/results.json", tmpdir);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    assert_non_null(root);
    snprintf(path, sizeof path, "%s/run/index.html", tmpdir);
    char *page = slurp(path);
    assert_non_null(page);
    char *body_end = strstr(page, "</body>");
    assert_non_null(body_end);
    static const char probe[] =
        "<script>\n"
        "(function () {\n"
        "  var out = [];\n"
        "  document.querySelectorAll('td.cell').forEach(function (td) {\n"
        "    var b = td.querySelector('.badge');\n"
        "    if (!b || b.textContent === 'PASS') return;\n"
        "    td.click();\n"
        "    var d = document.getElementById('detail'), lad = d.querySelector('.ladder');\n"
        "    out.push(decodeURIComponent(location.hash.slice(1)) + ' ' +\n"
        "             (lad ? lad.querySelectorAll('div.ev').length : -1) + ' ' +\n"
        "             (lad ? lad.querySelectorAll('div.conn').length : -1));\n"
        "  });\n"
        "  var pre = document.createElement('pre');\n"
        "  pre.id = 'linkcheck';\n"
        "  pre.textContent = '\\n' + out.join('\\n') + '\\n';\n"
        "  document.body.appendChild(pre);\n"
        "})();\n"
        "</script>\n";
    char check_path[600], dom_path[400], log_path[400], profile[400], url[700];
    snprintf(check_path, sizeof check_path, "%s/run/linkcheck.html", tmpdir);
    FILE *f = fopen(check_path, "w");
    assert_non_null(f);
    fwrite(page, 1, (size_t)(body_end - page), f);
    fputs(probe, f);
    fputs(body_end, f);
    fclose(f);
    free(page);

    snprintf(url, sizeof url, "file://%s", check_path);
    snprintf(profile, sizeof profile, "--user-data-dir=%s/profile", tmpdir);
    snprintf(dom_path, sizeof dom_path, "%s/linkcheck-dom.html", tmpdir);
    snprintf(log_path, sizeof log_path, "%s/linkcheck.log", tmpdir);
    char *const browser[] = {chromium,
                             "--headless",
                             "--no-sandbox",
                             "--disable-gpu",
                             "--disable-background-networking",
                             "--no-first-run",
                             "--disable-component-update",
                             "--disable-sync",
                             "--disable-dev-shm-usage",
                             profile,
                             "--virtual-time-budget=5000",
                             "--dump-dom",
                             url,
                             NULL};
    int rc = run_to_file(browser, dom_path, log_path, 90);
    char *dom = slurp(dom_path);
    if (rc != 0 || !dom) fprintf(stderr, "chromium exited %d:\n%s\n", rc, slurp(log_path));
    assert_int_equal(rc, 0);
    assert_non_null(dom);
    const char *check = strstr(dom, "<pre id=\"linkcheck\">");
    assert_non_null(check);

    /* One line "<id>/<stack> <rows> <rules>" per non-PASS cell of
     * results.json: a row per event plus the end mark, and a rule where each
     * connection after the first begins; nothing else. */
    size_t n_non_pass = 0, i;
    json_t *r;
    json_array_foreach(json_object_get(root, "results"), i, r) {
        if (strcmp(json_string_value(json_object_get(r, "verdict")), "PASS") != 0) n_non_pass++;
    }
    if (n_non_pass >= 200)
        fail_msg("%zu cells are not a PASS: keep the slice under 200 (see page_shows_the_run)", n_non_pass);
    json_array_foreach(json_object_get(root, "results"), i, r) {
        if (strcmp(json_string_value(json_object_get(r, "verdict")), "PASS") == 0) continue;
        json_t *events = json_object_get(r, "events"), *e;
        size_t j;
        json_int_t last_connection = 0;
        json_array_foreach(events, j, e) {
            json_t *c = json_object_get(e, "connection");
            if (c && json_integer_value(c) > last_connection) last_connection = json_integer_value(c);
        }
        char want[512];
        snprintf(want, sizeof want, "\n%s/%s %zu %lld\n", json_string_value(json_object_get(r, "scenario")),
                 json_string_value(json_object_get(r, "stack")), json_array_size(events) + 1,
                 (long long)last_connection);
        if (!strstr(check, want)) fprintf(stderr, "no ladder link for [%s]\n", want + 1);
        assert_non_null(strstr(check, want));
    }
    assert_true(n_non_pass > 0);
    size_t lines = 0;
    for (const char *p = check; *p && strncmp(p, "</pre>", 6) != 0; p++) lines += *p == '\n';
    assert_int_equal(lines, n_non_pass + 1);
    free(dom);
    json_decref(root);
}

int main(void) {
    if (!find_chromium()) {
        printf("SKIP: chromium not installed\n");
        return SKIP_CODE;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(page_shows_the_run),
        cmocka_unit_test(every_non_pass_cell_opens_its_ladder),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
