/* scenario_set.h — the scenarios of a run: scenario files and directories,
 * and the generated families (trace/generate.h), loaded, checked for
 * duplicate ids and filtered. `shakedown conform`, `shakedown list` and
 * bench_suite all take their scenarios from here, so they run the same set. */
#ifndef SHAKEDOWN_RUN_SCENARIO_SET_H
#define SHAKEDOWN_RUN_SCENARIO_SET_H

#include <stdbool.h>
#include <stddef.h>

#include "trace/trace.h"
#include "util/util.h"
#include "wire/bytes.h"

/* A set of loaded scenarios, in path order (and in file order within a
 * path), then the generated families. */
typedef struct {
    size_t n, cap;
    sd_scenario *items; /* owned */
} sd_scenario_set;

void sd_scenario_set_free(sd_scenario_set *set);

/* $SHAKEDOWN_SCENARIOS_DIR, else SHAKEDOWN_SOURCE_DIR "/scenarios". */
const char *sd_default_scenarios_dir(void);

/* Loads every scenario named by paths (files, or directories searched
 * recursively for *.sd, sorted by path; hidden entries skipped); with no
 * paths, the default directory. With `generated`, the generated families
 * follow the files (conform and list add them when no paths are given).
 * Scenarios whose id does not contain filter (if not NULL) are dropped.
 *
 * Every problem is printed to stderr, as "file:line: message", "path:
 * message" or "<who>: message" (who: "shakedown conform", "bench_suite"),
 * every scenario file parsed even after an error so one run shows every
 * mistake: a parse error, an id used twice, a filter that matches nothing.
 * Returns false if there was any, having kept nothing. */
SD_MUST_CHECK bool sd_scenario_set_load(const char *who, char *const *paths, size_t n_paths,
                                        const char *filter, bool generated, sd_scenario_set *out);

/* Keeps only the scenarios whose role under test is role (a stack on a
 * port plays one role: a server reached with --connect is never a client),
 * in their order; frees the others. Returns how many it left out. */
size_t sd_scenario_set_keep_role(sd_scenario_set *set, sd_role role);

/* The set's manifest (`shakedown list --manifest`; scenarios/manifest.txt
 * holds the default set's): two comment lines, then one line per scenario,
 * sorted by id in byte order, "<id> <role> <expectation>", the expectation
 * being `complete`, `closed` or `alert <name>[|<name>...]` (an alert
 * without a name as its number). What a scenario checks is in its id and
 * expectation, so a scenario that disappears or expects something else
 * changes the manifest, and tests/test_manifest.c fails until the manifest
 * changes with it: the generated families take their cases from the code
 * under test (the order tables of protocol/sequences.c), and a mistake there
 * would otherwise quietly drop the scenario that would have caught it. */
void sd_scenario_set_manifest(const sd_scenario_set *set, sd_buf *out);

#endif
