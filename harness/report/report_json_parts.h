/* report_json_parts.h — pieces of results.json, shared by the two writers
 * of the results: results.json itself (report_json.c) and the compact copy
 * that index.html carries (report_html.c), so both name every value the
 * same way. Private to harness/report. */
#ifndef SHAKEDOWN_REPORT_REPORT_JSON_PARTS_H
#define SHAKEDOWN_REPORT_REPORT_JSON_PARTS_H

#include <jansson.h>
#include <stdbool.h>

#include "report/report.h"

/* The results.json document: schema_version, tool, run, stacks, totals and
 * scenarios, and with_results the "results" array of every held cell. */
json_t *sd_report_document_json(const sd_report_run *run, bool with_results);
/* A JSON string of s, with invalid UTF-8 replaced by U+FFFD (jansson would
 * refuse it and drop the value). */
json_t *sd_report_json_string(const char *s);
/* A cell's "outcome" object and its "events" array, as in results.json. */
json_t *sd_report_outcome_json(const sd_outcome *o);
json_t *sd_report_events_json(const sd_outcome *o);

#endif
