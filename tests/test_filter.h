/* test_filter.h — one test of a cmocka suite, named on the command line, so
 * that ctest can run a long suite's tests as entries side by side
 * (tests/CMakeLists.txt, <suite>_PARTS). */
#ifndef SHAKEDOWN_TESTS_TEST_FILTER_H
#define SHAKEDOWN_TESTS_TEST_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* With argv[1], runs only the test of that name. A name that is no test of
 * the suite is an error, so that a renamed test cannot leave its ctest
 * entry passing with nothing run. Include after <cmocka.h>. */
static bool select_test(int argc, char **argv, const struct CMUnitTest *tests, size_t n) {
    if (argc < 2) return true;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(tests[i].name, argv[1]) == 0) {
            cmocka_set_test_filter(argv[1]);
            return true;
        }
    }
    fprintf(stderr, "%s: no test named \"%s\"\n", argv[0], argv[1]);
    return false;
}

#endif
