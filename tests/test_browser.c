/* test_browser.c — index.html as a browser renders it: a conformance run,
 * then headless Chromium loads the page from file:// with a cell named in
 * the address (#scenario-id/stack) and dumps the DOM it built. Checked:
 * the page rendered, the counts per stack equal results.json's, and the
 * named cell's ladder diagram is open with one row per message; every cell
 * that is not a PASS opens its ladder; and at scale (twelve stacks over the
 * full suite) the page is under 25 MB and interactive within 3 s.
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

#include "test_filter.h"
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
    fflush(NULL); /* else the child writes out what this process had buffered */
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

/* Headless Chromium loads url and, once the page has loaded and
 * budget_ms of the page's virtual time have passed, writes the DOM it built
 * to dom_path, its log to log_path. Returns its exit status (-1: killed
 * after 90 s).
 *
 * Virtual time runs the page's clock (performance.now, Date) fast over idle
 * waits and may hold it while a load is pending, so the page's clock is no
 * measure of real time; the log's time stamps are (real_ms_between). */
static int run_chromium(const char *url, const char *dom_path, const char *log_path, int budget_ms) {
    char profile[400], budget[64];
    snprintf(profile, sizeof profile, "--user-data-dir=%s/profile", tmpdir);
    snprintf(budget, sizeof budget, "--virtual-time-budget=%d", budget_ms);
    char *const browser[] = {
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--no-first-run", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", profile,
        /* console messages, with the wall clock's time,
                              * into the log (real_ms_between) */
        "--enable-logging=stderr", "--v=0", budget, "--dump-dom", (char *)url, NULL};
    return run_to_file(browser, dom_path, log_path, 90);
}

/* Real milliseconds between the console messages `first` and `second` of a
 * Chromium log (a line per message, stamped with the browser's wall clock:
 * "[pid:tid:MMDD/HHMMSS.micro:INFO:CONSOLE...] \"message\", source: ...");
 * -1 if either is missing. */
static double real_ms_between(const char *log, const char *first, const char *second) {
    double at[2];
    const char *const msgs[2] = {first, second};
    for (int m = 0; m < 2; m++) {
        char quoted[128];
        snprintf(quoted, sizeof quoted, "\"%s\"", msgs[m]);
        const char *hit = strstr(log, quoted);
        if (!hit) return -1;
        const char *line = hit;
        while (line > log && line[-1] != '\n') line--;
        int mmdd, hh, mi, ss;
        long us;
        if (sscanf(line, "[%*d:%*d:%4d/%2d%2d%2d.%6ld", &mmdd, &hh, &mi, &ss, &us) != 5) return -1;
        at[m] = ((hh * 60.0 + mi) * 60.0 + ss) * 1000.0 + (double)us / 1000.0;
    }
    double ms = at[1] - at[0];
    return ms < 0 ? ms + 86400e3 : ms; /* across midnight */
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

/* A copy of the page at page_path, at copy_path, with the script probe run
 * after the page's own (just before </body>), and head_probe (if not NULL)
 * before anything else of the page (just after <head>). */
static void copy_with_probe(const char *page_path, const char *copy_path, const char *head_probe,
                            const char *probe) {
    char *page = slurp(page_path);
    assert_non_null(page);
    char *head = strstr(page, "<head>"), *body_end = strstr(page, "</body>");
    assert_non_null(head);
    assert_non_null(body_end);
    head += strlen("<head>");
    FILE *f = fopen(copy_path, "w");
    assert_non_null(f);
    fwrite(page, 1, (size_t)(head - page), f);
    if (head_probe) fputs(head_probe, f);
    fwrite(head, 1, (size_t)(body_end - head), f);
    fputs(probe, f);
    fputs(body_end, f);
    assert_int_equal(fclose(f), 0);
    free(page);
}

/* Set once page_shows_the_run made tmpdir/run, which the later tests
 * read. */
static bool have_run;

/* The run both page tests load, made once: whichever runs first (ctest
 * runs them as entries of their own) conforms. */
static void conform_the_run(const char *run_dir) {
    if (have_run) return;
    const char *bin = getenv("SHAKEDOWN_BIN");
    assert_non_null(bin);
    char out[512], err[512];
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
    char *const conform[] = {(char *)bin, "conform", "--out",      (char *)run_dir, "-q",
                             "--filter",  "record",  "--baseline", baseline,        NULL};
    int rc = run_to_file(conform, out, err, 120);
    if (rc != 0) fprintf(stderr, "conform exited %d:\n%s\n", rc, slurp(err));
    assert_int_equal(rc, 0);
    have_run = true;
}

static void page_shows_the_run(void **state) {
    (void)state;
    char run_dir[400];
    snprintf(run_dir, sizeof run_dir, "%s/run", tmpdir);
    conform_the_run(run_dir);

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
    char url[1200], dom_path[400], log_path[400];
    snprintf(url, sizeof url, "file://%s/index.html#%s/%s", run_dir, id, stack);
    snprintf(dom_path, sizeof dom_path, "%s/dom.html", tmpdir);
    snprintf(log_path, sizeof log_path, "%s/chromium.log", tmpdir);
    int rc = run_chromium(url, dom_path, log_path, 5000);
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
    char run_dir[400], path[600];
    snprintf(run_dir, sizeof run_dir, "%s/run", tmpdir);
    conform_the_run(run_dir);
    snprintf(path, sizeof path, "%s/results.json", run_dir);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    assert_non_null(root);
    /* The page builds its rows once the results are decoded (it then
     * fires "sd-ready"), and a hundred at a time: the probe asks for all of
     * them with the button under the table first. */
    static const char probe[] =
        "<script>\n"
        "function linkcheck() {\n"
        "  var out = [], more = document.getElementById('more');\n"
        "  while (more && !more.hidden) more.click();\n"
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
        "}\n"
        "if (document.documentElement.hasAttribute('data-ready')) linkcheck();\n"
        "else document.addEventListener('sd-ready', linkcheck);\n"
        "</script>\n";
    char check_path[600], dom_path[400], log_path[400], url[700];
    snprintf(path, sizeof path, "%s/run/index.html", tmpdir);
    snprintf(check_path, sizeof check_path, "%s/run/linkcheck.html", tmpdir);
    copy_with_probe(path, check_path, NULL, probe);

    snprintf(url, sizeof url, "file://%s", check_path);
    snprintf(dom_path, sizeof dom_path, "%s/linkcheck-dom.html", tmpdir);
    snprintf(log_path, sizeof log_path, "%s/linkcheck.log", tmpdir);
    int rc = run_chromium(url, dom_path, log_path, 5000);
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

/* The stacks of issue 15's twelve-stack report. */
static const char *const twelve_stacks[] = {"model", "boringssl", "openssl", "gnutls", "wolfssl", "mbedtls",
                                            "nss",   "botan",     "go",      "rustls", "jsse",    "erlang"};

/* The page stays usable at scale (issue 15): twelve stacks over the full
 * default suite make an index.html under 25 MB that is interactive (its
 * table shows rows and a filter works) within 3 s of navigation.
 *
 * Running twelve real stacks takes minutes, and the page does not care
 * which library filled a column, so the run is made: one model run of the
 * full suite, then its stack and cells copied under the twelve names into
 * a results.json (each copy with its own times, as real stacks have), which
 * `shakedown report` renders again. The ladders of the copies are alike,
 * as those of stacks that pass a scenario the same way are. */
static void twelve_stacks_full_suite_page_is_small_and_quick(void **state) {
    (void)state;
    const char *bin = getenv("SHAKEDOWN_BIN");
    assert_non_null(bin);
    char run_dir[400], out[512], err[512], path[600];
    snprintf(run_dir, sizeof run_dir, "%s/twelve", tmpdir);
    snprintf(out, sizeof out, "%s/twelve-conform.out", tmpdir);
    snprintf(err, sizeof err, "%s/twelve-conform.err", tmpdir);
    char *const conform[] = {(char *)bin, "conform", "--stack", "model", "--out", run_dir, "-q", NULL};
    int rc = run_to_file(conform, out, err, 240);
    if (rc != 0 && rc != 1) fprintf(stderr, "conform exited %d:\n%s\n", rc, slurp(err));
    assert_true(rc == 0 || rc == 1); /* 1: some cell failed; the page shows it all the same */

    snprintf(path, sizeof path, "%s/results.json", run_dir);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) fail_msg("%s: %s", path, jerr.text);
    json_t *model = json_deep_copy(json_array_get(json_object_get(root, "stacks"), 0));
    json_t *results = json_object_get(root, "results"), *stacks = json_array(), *cells = json_array();
    size_t n_stacks = sizeof twelve_stacks / sizeof twelve_stacks[0];
    for (size_t k = 0; k < n_stacks; k++) {
        json_t *st = json_copy(model);
        json_object_set_new(st, "name", json_string(twelve_stacks[k]));
        json_array_append_new(stacks, st);
    }
    size_t i;
    json_t *r;
    json_array_foreach(results, i, r) {
        for (size_t k = 0; k < n_stacks; k++) {
            /* Shallow: the copies share the outcome and events objects,
             * which json_dump writes out for each. */
            json_t *copy = json_copy(r);
            json_object_set_new(copy, "stack", json_string(twelve_stacks[k]));
            double ms = json_number_value(json_object_get(r, "elapsed_ms"));
            json_object_set_new(
                copy, "elapsed_ms",
                json_real((double)(long long)(ms * (1.0 + (double)k / 7.0) * 1000.0) / 1000.0));
            json_array_append_new(cells, copy);
        }
    }
    size_t n_scenarios = json_array_size(json_object_get(root, "scenarios"));
    assert_true(n_scenarios > 10000); /* the full default suite */
    assert_int_equal(json_array_size(cells), n_scenarios * n_stacks);
    json_object_set_new(root, "stacks", stacks);
    json_object_set_new(root, "results", cells);
    json_decref(model);
    assert_int_equal(json_dump_file(root, path, JSON_COMPACT), 0);

    char *const report[] = {(char *)bin, "report", "-q", run_dir, NULL};
    rc = run_to_file(report, out, err, 240);
    if (rc != 0 && rc != 1) fprintf(stderr, "report exited %d:\n%s\n", rc, slurp(err));
    assert_true(rc == 0 || rc == 1);
    struct stat html_st, json_st;
    assert_int_equal(stat(path, &json_st), 0);
    snprintf(path, sizeof path, "%s/index.html", run_dir);
    assert_int_equal(stat(path, &html_st), 0);
    printf("12 stacks x %zu scenarios: results.json %.1f MB, index.html %.2f MB\n", n_scenarios,
           (double)json_st.st_size / 1e6, (double)html_st.st_size / 1e6);
    assert_true(html_st.st_size < 25 * 1000 * 1000);

    /* In the browser: a first script, before anything of the page, says
     * "navigated"; once the page says it is built ("sd-ready"), the probe
     * checks the table has rows, filters by a word (the search box, as
     * typed), checks what is left and says "interactive". */
    static const char head_probe[] = "<script>console.log('sd-probe navigated');</script>\n";
    static const char probe[] =
        "<script>\n"
        "function timing() {\n"
        "  var rows = document.querySelectorAll('#matrix tbody tr').length;\n"
        "  var search = document.getElementById('search');\n"
        "  search.value = 'fragmented';\n"
        "  search.dispatchEvent(new Event('input'));\n"
        "  var kept = document.querySelectorAll('#matrix tbody tr'), all = true;\n"
        "  kept.forEach(function (tr) {\n"
        "    var t = tr.querySelector('td.sid').textContent.toLowerCase();\n"
        "    if (t.indexOf('fragmented') < 0) all = false;\n"
        "  });\n"
        "  var shown = /showing ([0-9]+) of ([0-9]+)/.exec(document.getElementById('shown').textContent) || "
        "[];\n"
        "  console.log('sd-probe interactive');\n"
        "  var pre = document.createElement('pre');\n"
        "  pre.id = 'timing';\n"
        "  pre.textContent = 'rows ' + rows + ' kept ' + kept.length + ' all ' + (all ? 1 : 0) +\n"
        "    ' showing ' + shown[1] + ' of ' + shown[2] + ' end';\n"
        "  document.body.appendChild(pre);\n"
        "}\n"
        "if (document.documentElement.hasAttribute('data-ready')) timing();\n"
        "else document.addEventListener('sd-ready', timing);\n"
        "</script>\n";
    char probe_path[600], dom_path[400], log_path[400], url[700];
    snprintf(probe_path, sizeof probe_path, "%s/timing.html", run_dir);
    copy_with_probe(path, probe_path, head_probe, probe);
    snprintf(url, sizeof url, "file://%s", probe_path);
    snprintf(dom_path, sizeof dom_path, "%s/twelve-dom.html", tmpdir);
    snprintf(log_path, sizeof log_path, "%s/twelve-chromium.log", tmpdir);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = run_chromium(url, dom_path, log_path, 10000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    char *dom = slurp(dom_path), *log = slurp(log_path);
    if (rc != 0 || !dom) fprintf(stderr, "chromium exited %d:\n%s\n", rc, log);
    assert_int_equal(rc, 0);
    assert_non_null(dom);
    assert_non_null(log);
    const char *t = strstr(dom, "<pre id=\"timing\">");
    if (!t) {
        const char *e = strstr(dom, "<span class=\"error-box\">");
        fail_msg("the page never said it was built%s%.300s", e ? ": " : "", e ? e : "");
    }
    long rows, kept, all, showing, of;
    if (sscanf(t + strlen("<pre id=\"timing\">"), "rows %ld kept %ld all %ld showing %ld of %ld end", &rows,
               &kept, &all, &showing, &of) != 5)
        fail_msg("unexpected probe output: %.200s", t);
    double interactive_ms = real_ms_between(log, "sd-probe navigated", "sd-probe interactive");
    if (interactive_ms < 0) fail_msg("no time stamps of the probe in the log:\n%s", log);
    printf("headless Chromium: interactive (built, then filtered) %.0f ms after navigation"
           " (the whole browser run, start to exit: %.2f s)\n",
           interactive_ms, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);

    /* The table had rows, and the filter kept exactly the scenarios whose
     * id or title holds the word (counted here from results.json). */
    size_t want = 0;
    json_t *sc;
    json_array_foreach(json_object_get(root, "scenarios"), i, sc) {
        char hay[512];
        snprintf(hay, sizeof hay, "%s %s", json_string_value(json_object_get(sc, "id")),
                 json_string_value(json_object_get(sc, "title")));
        for (char *p = hay; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
        if (strstr(hay, "fragmented")) want++;
    }
    assert_true(rows > 0);
    assert_true(want > 0);
    assert_int_equal(showing, want);
    assert_int_equal(of, n_scenarios);
    assert_true(kept > 0 && (size_t)kept <= want);
    assert_int_equal(all, 1);
    /* The bound: interactive within 3 s of navigation. */
    assert_true(interactive_ms < 3000);
    free(dom);
    free(log);
    json_decref(root);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(page_shows_the_run),
        cmocka_unit_test(every_non_pass_cell_opens_its_ladder),
        cmocka_unit_test(twelve_stacks_full_suite_page_is_small_and_quick),
    };
    if (!select_test(argc, argv, tests, sizeof tests / sizeof tests[0])) return 1;
    if (!find_chromium()) {
        printf("SKIP: chromium not installed\n");
        return SKIP_CODE;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
