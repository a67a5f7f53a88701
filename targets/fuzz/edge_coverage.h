/* edge_coverage.h — how many edges of each instrumented module the inputs
 * of a fuzzing run have reached, so that a campaign with a stack under test
 * (`shakedown fuzz --stack NAME`) shows the stack's own coverage growing
 * beside the harness's.
 *
 * A module is the executable or a shared library built with SanitizerCoverage's
 * inline 8-bit counters (`-fsanitize=fuzzer` or `fuzzer-no-link`): its
 * counters are its `__sancov_cntrs` section, one byte per edge, which the
 * engine clears before each input. A stack built by scripts/build-stack.sh
 * is linked into the executable from its static archive; a build configured
 * with it (SHAKEDOWN_INSTRUMENTED_STACK, "name=archive") counts the edges of
 * the functions that archive defines apart from the harness's (the model,
 * the driver, the rest). The archive's symbol index is read at run time:
 * a binary run where its archive is gone (copied to another machine)
 * counts the executable's edges as one. A stack from Debian's packages has
 * no counters and adds no line.
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

#endif
