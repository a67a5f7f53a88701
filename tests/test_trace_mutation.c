/* test_trace_mutation.c — the structure-aware trace mutator
 * (targets/mutators/trace_mutation.c).
 *
 * - every output decodes as a binary trace, whatever the input;
 * - from an honest handshake, the mutator reaches every action kind the
 *   driver runs, expect-ccs included, and send/expect of the pseudo message
 *   HelloRetryRequest;
 * - it is deterministic in its seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "targets/mutators/trace_mutation.h"
#include "trace/binary.h"
#include "trace/trace.h"

#define MAX_SIZE 4096

static void test_reaches_every_kind(void **state) {
    (void)state;
    bool kind_seen[SD_ACT_EXPECT_CCS + 1] = {false};
    bool hrr_send = false, hrr_expect = false;
    for (unsigned seed = 0; seed < 4000; seed++) {
        /* Not a trace: the mutator starts from an honest handshake. */
        uint8_t data[MAX_SIZE] = {0xff};
        size_t n = sd_trace_mutate(data, 1, sizeof data, seed);
        for (int round = 0; round < 4 && n; round++)
            n = sd_trace_mutate(data, n, sizeof data, seed * 7 + round);
        assert_true(n > 0);
        sd_trace t;
        char err[200];
        if (!sd_trace_decode(data, n, &t, err, sizeof err))
            fail_msg("seed %u: output does not decode: %s", seed, err);
        for (size_t i = 0; i < t.n_actions; i++) {
            const sd_action *a = &t.actions[i];
            kind_seen[a->kind] = true;
            if (a->msg_type == SD_MSG_TYPE_HELLO_RETRY_REQUEST) {
                hrr_send |= a->kind == SD_ACT_SEND;
                hrr_expect |= a->kind == SD_ACT_EXPECT;
            }
        }
        sd_trace_free(&t);
    }
    for (int k = 0; k <= SD_ACT_EXPECT_CCS; k++)
        if (!kind_seen[k]) fail_msg("action kind %d never generated", k);
    assert_true(hrr_send);
    assert_true(hrr_expect);
}

static void test_deterministic(void **state) {
    (void)state;
    uint8_t a[MAX_SIZE] = {0}, b[MAX_SIZE] = {0};
    size_t na = sd_trace_mutate(a, 1, sizeof a, 42), nb = sd_trace_mutate(b, 1, sizeof b, 42);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reaches_every_kind),
        cmocka_unit_test(test_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
