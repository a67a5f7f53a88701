/* covering_array.h — pairwise covering arrays: few rows that still hold
 * every pair of parameter values at least once.
 *
 * The generated families run over a parameter space (version, suite,
 * group, credential, client authentication) far too large to play whole;
 * interaction bugs mostly need two parameters at once, so every pair of
 * values that can occur together is played in some row (strength 2, as
 * TLS-Anvil's combinatorial testing does). Some combinations cannot occur
 * (a static-RSA suite has no group, an ECDSA suite needs an ECDSA key):
 * the caller's `allowed` says which, and a pair no allowed combination
 * holds is not required.
 *
 * The rows are chosen greedily and deterministically (the allowed
 * combination that covers the most pairs not yet covered, the first such in
 * lexicographic order), so the same parameters give the same rows on every
 * machine: scenario ids stay stable. */
#ifndef SHAKEDOWN_UTIL_COVERING_ARRAY_H
#define SHAKEDOWN_UTIL_COVERING_ARRAY_H

#include <stdbool.h>
#include <stddef.h>

/* The most dimensions and values per dimension a covering array takes. */
#define SD_CA_MAX_DIMS 8
#define SD_CA_MAX_VALUES 32

/* Whether a full combination (row[d] < counts[d] for each dimension) can
 * occur. */
typedef bool (*sd_ca_allowed_fn)(const unsigned *row, void *ctx);

/* Writes at most max_rows rows of n_dims values each into rows (row r at
 * rows[r * n_dims]) and returns how many; 0 when the space is empty, too
 * large (over 2^20 combinations or the limits above) or needs more than
 * max_rows rows. Every pair of values of two dimensions that some allowed
 * combination holds is in at least one row, and every row is allowed. */
size_t sd_covering_array(const unsigned *counts, size_t n_dims, sd_ca_allowed_fn allowed, void *ctx,
                         unsigned *rows, size_t max_rows);

#endif
