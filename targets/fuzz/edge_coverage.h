/* edge_coverage.h — how many edges of each instrumented module the inputs
 * of a fuzzing run have reached, so that a campaign with a stack under test
 * (`shakedown fuzz --stack NAME`) shows the stack's own coverage growing
 * beside the harness's.
 *
 * A module is the executable or a shared library built with SanitizerCoverage's
 * inline 8-bit counters (`-fsanitize=fuzzer` or `fuzzer-no-link`): its
 * counters are its `__sancov_cntrs` section, one byte per edge, which the
 * engine clears before each input. A stack built by scripts/build-stack.sh
 * as a shared library is a module of its own, so its edges are counted
 * apart from the model's and the driver's; one linked statically is counted
 * with the executable's. A stack from Debian's packages has no counters and
 * is listed as not instrumented.
 *
 * Nothing here is needed for fuzzing itself: a build without counters (the
 * replay binaries) finds no modules and prints nothing. */
#ifndef SHAKEDOWN_TARGETS_FUZZ_EDGE_COVERAGE_H
#define SHAKEDOWN_TARGETS_FUZZ_EDGE_COVERAGE_H

#include <stdio.h>

/* Finds the instrumented modules loaded now (once; later calls do nothing). */
void sd_edge_coverage_init(void);

/* After an input ran: adds the edges it reached to what the run has seen. */
void sd_edge_coverage_after_input(void);

/* "#shakedown coverage: fuzz_trace 3107/20933 edges, libwolfssl.so 2210/31022
 * edges" on one line: what `shakedown fuzz` shows in its status. At most
 * once every `every_seconds` unless every_seconds is 0. Prints nothing
 * when there are no instrumented modules. */
void sd_edge_coverage_print(FILE *f, double every_seconds);

/* The number of distinct edges seen in the module whose file name contains
 * name (its basename: "libwolfssl"), and its edge count into *total; 0 and
 * *total 0 if no such module is instrumented. */
unsigned long sd_edge_coverage_of(const char *name, unsigned long *total);

#endif
