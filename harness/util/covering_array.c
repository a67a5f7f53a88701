/* covering_array.c — see covering_array.h. */
#include "util/covering_array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Pairs are numbered dimension pair by dimension pair: for d < e, the pair
 * (a, b) of values is base[d][e] + a * counts[e] + b. */
typedef struct {
    const unsigned *counts;
    size_t n_dims;
    size_t base[SD_CA_MAX_DIMS][SD_CA_MAX_DIMS];
    size_t n_pairs;
} pair_index;

static void index_pairs(pair_index *ix, const unsigned *counts, size_t n_dims) {
    ix->counts = counts;
    ix->n_dims = n_dims;
    ix->n_pairs = 0;
    for (size_t d = 0; d < n_dims; d++)
        for (size_t e = d + 1; e < n_dims; e++) {
            ix->base[d][e] = ix->n_pairs;
            ix->n_pairs += (size_t)counts[d] * counts[e];
        }
}

static size_t pair_of(const pair_index *ix, const unsigned *row, size_t d, size_t e) {
    return ix->base[d][e] + (size_t)row[d] * ix->counts[e] + row[e];
}

/* The combination number k, its last dimension turning fastest. */
static void combination(const unsigned *counts, size_t n_dims, size_t k, unsigned *row) {
    for (size_t d = n_dims; d-- > 0;) {
        row[d] = (unsigned)(k % counts[d]);
        k /= counts[d];
    }
}

size_t sd_covering_array(const unsigned *counts, size_t n_dims, sd_ca_allowed_fn allowed, void *ctx,
                         unsigned *rows, size_t max_rows) {
    if (n_dims == 0 || n_dims > SD_CA_MAX_DIMS) return 0;
    size_t n_combinations = 1;
    for (size_t d = 0; d < n_dims; d++) {
        if (counts[d] == 0 || counts[d] > SD_CA_MAX_VALUES) return 0;
        n_combinations *= counts[d];
        if (n_combinations > (size_t)1 << 20) return 0;
    }
    pair_index ix;
    index_pairs(&ix, counts, n_dims);
    /* required: a pair some allowed combination holds; covered: one a row
     * chosen so far holds. */
    uint8_t *required = calloc(ix.n_pairs ? ix.n_pairs : 1, 1);
    uint8_t *covered = calloc(ix.n_pairs ? ix.n_pairs : 1, 1);
    uint8_t *is_allowed = calloc(n_combinations, 1);
    size_t n_rows = 0;
    if (!required || !covered || !is_allowed) goto done;
    unsigned row[SD_CA_MAX_DIMS];
    size_t left = 0, n_allowed = 0;
    for (size_t k = 0; k < n_combinations; k++) {
        combination(counts, n_dims, k, row);
        if (!allowed(row, ctx)) continue;
        is_allowed[k] = 1;
        n_allowed++;
        for (size_t d = 0; d < n_dims; d++)
            for (size_t e = d + 1; e < n_dims; e++) {
                size_t p = pair_of(&ix, row, d, e);
                if (!required[p]) left++;
                required[p] = 1;
            }
    }
    /* One dimension has no pairs: each allowed value once. */
    if (n_dims == 1) left = n_allowed;
    while (left > 0) {
        size_t best = n_combinations, best_gain = 0;
        for (size_t k = 0; k < n_combinations; k++) {
            if (!is_allowed[k]) continue;
            combination(counts, n_dims, k, row);
            size_t gain = n_dims == 1 ? 1 : 0;
            for (size_t d = 0; d < n_dims; d++)
                for (size_t e = d + 1; e < n_dims; e++) gain += !covered[pair_of(&ix, row, d, e)];
            if (gain > best_gain) {
                best_gain = gain;
                best = k;
            }
        }
        if (best == n_combinations || n_rows == max_rows) {
            n_rows = 0; /* cannot happen while pairs are left, or too many rows */
            break;
        }
        combination(counts, n_dims, best, row);
        memcpy(rows + n_rows * n_dims, row, n_dims * sizeof *row);
        n_rows++;
        is_allowed[best] = 0;
        for (size_t d = 0; d < n_dims; d++)
            for (size_t e = d + 1; e < n_dims; e++) {
                size_t p = pair_of(&ix, row, d, e);
                if (!covered[p]) left--;
                covered[p] = 1;
            }
        if (n_dims == 1) left--;
    }
done:
    free(required);
    free(covered);
    free(is_allowed);
    return n_rows;
}
