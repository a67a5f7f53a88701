/* generate.h — conformance scenarios generated from the model's tables.
 *
 * Hand-written scenarios live in scenarios/; these families are computed,
 * for TLS 1.3 (over the shape a handshake starts in, and from the retry on
 * over the HelloRetryRequest shapes) and (from the tls12-* shapes, per key
 * exchange) TLS 1.2:
 * the message orders come from the shape table of harness/protocol/sequences.c,
 * which holds the shapes of both versions, the alerts from the SD_ALERTS
 * registry, and each scenario's expectation from the RFC sentence that
 * prescribes it (the citation tables are in generate_versions.c, one
 * generator per family in generate_<family>.c). Every generated scenario is
 * an ordinary sd_scenario: it is built as script text and read back through
 * the script parser, so it runs, prints and reports exactly like a file in
 * scenarios/.
 *
 * Ids are stable: they are made from the family, the role under test, the
 * place in the handshake and the deviation, never from a counter, so a
 * baseline file keeps matching when families grow. */
#ifndef SHAKEDOWN_TRACE_GENERATE_H
#define SHAKEDOWN_TRACE_GENERATE_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/sequences.h"
#include "trace/trace.h"
#include "util/util.h"

typedef struct {
    const char *name;    /* the family tag, e.g. "gen-order" */
    const char *summary; /* one line for `shakedown list` */
} sd_generated_family;

extern const sd_generated_family sd_generated_families[];
extern const size_t sd_n_generated_families;

typedef struct {
    size_t n, cap;
    sd_scenario *items; /* owned */
} sd_generated;

/* Generates every TLS 1.3 family, both roles, in a stable order. Scenario
 * paths read "generated:<family>". On failure (out of memory, or a bug that
 * makes a generated script fail to parse) returns false with nothing to
 * free and the reason in err. */
SD_MUST_CHECK bool sd_generate_tls13(sd_generated *out, char *err, size_t err_len);
/* The same families for TLS 1.2 (RFC 5246), from the tls12-* shapes, for
 * each key exchange the driver plays; ids start "tls12.". */
SD_MUST_CHECK bool sd_generate_tls12(sd_generated *out, char *err, size_t err_len);
/* TLS 1.3 then TLS 1.2: what `list` and `conform` include. */
SD_MUST_CHECK bool sd_generate_all(sd_generated *out, char *err, size_t err_len);
void sd_generated_free(sd_generated *g);

/* gen-finished and gen-malformed also run over the rows of a pairwise
 * covering array of the handshake's parameters (tag `covering-array`):
 * for TLS 1.2 (tls12) or 1.3, its dimensions ("suite (3) x group (7) x
 * ...", written into buf) and the number of rows. */
const char *sd_generated_covering_array(bool tls12, char *buf, size_t len, size_t *n_rows);

/* The handshakes connection 2 of a generated resumption case follows, as
 * the generator states them (RFC 8446 §2.2 Figure 3: the PSK shape; RFC
 * 5246 §7.3 Figure 2: the abbreviated handshake), apart from the order
 * table of harness/protocol/sequences.c that the model checks messages
 * against, so that a mistake there shows as a failing scenario.
 * tests/test_rfc_orders.c holds both to tests/rfc_orders/handshake-flows.txt. */
extern const sd_shape sd_generated_resumed_shapes[];
extern const size_t sd_n_generated_resumed_shapes;

/* The family tag of a generated scenario (its "gen-..." tag), or NULL for a
 * hand-written one. */
const char *sd_generated_family_of(const sd_scenario *s);

#endif
