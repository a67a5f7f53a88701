/* pki_fixture.h — the fixture PKI as a cmocka group fixture, for the tests
 * that run stacks: cmocka_run_group_tests(tests, load_pki, free_pki). */
#ifndef SHAKEDOWN_TESTS_PKI_FIXTURE_H
#define SHAKEDOWN_TESTS_PKI_FIXTURE_H

#include <stdio.h>

#include "crypto/pki.h"

static sd_pki pki;

static int load_pki(void **state) {
    (void)state;
    char err[256];
    if (!sd_pki_load(&pki, sd_pki_default_dir(), err, sizeof(err))) {
        fprintf(stderr, "cannot load the fixture PKI: %s\n", err);
        return -1;
    }
    return 0;
}

static int free_pki(void **state) {
    (void)state;
    sd_pki_free(&pki);
    return 0;
}

#endif
