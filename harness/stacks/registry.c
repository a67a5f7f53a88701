/* registry.c — the stacks by name, for --stack and reports: the in-process
 * ones always, the shim stacks when their shim exists, the shim stacks in
 * process (<stack>-inprocess) when the build links their stack part. */
#include <stdio.h>
#include <string.h>

#include "stacks/stacks.h"

#include "stacks/inprocess_shim_target.h"
#include "stacks/shim_target.h"

/* Keep these two lists in the same order: names are what --help prints, the
 * table is what a name resolves to. The model comes first because it is the
 * default reference of the differential oracle. */
const char *const sd_target_names[] = {"model", "boringssl", NULL};

static const sd_target_ops *const all_targets[] = {&sd_target_model, &sd_target_boringssl};

const sd_target_ops *sd_target_find(const char *name) {
    if (name == NULL) return NULL;
    for (size_t i = 0; i < sizeof all_targets / sizeof all_targets[0]; i++) {
        if (strcmp(all_targets[i]->name, name) == 0) return all_targets[i];
    }
    /* A shim stack exists only when its shim was built (shim_target.h). */
    char path[4096];
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        if (strcmp(sd_shim_targets[i]->name, name) == 0)
            return sd_shim_path(name, path, sizeof path) ? sd_shim_targets[i] : NULL;
    }
    for (size_t i = 0; sd_inprocess_shim_targets[i]; i++) {
        if (strcmp(sd_inprocess_shim_targets[i]->name, name) == 0) return sd_inprocess_shim_targets[i];
    }
    return NULL;
}

size_t sd_target_list_available(const sd_target_ops **out, size_t max) {
    size_t n = 0;
    for (size_t i = 0; i < sizeof all_targets / sizeof all_targets[0]; i++, n++) {
        if (n < max) out[n] = all_targets[i];
    }
    char path[4096];
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        if (!sd_shim_path(sd_shim_targets[i]->name, path, sizeof path)) continue;
        if (n < max) out[n] = sd_shim_targets[i];
        n++;
    }
    for (size_t i = 0; sd_inprocess_shim_targets[i]; i++, n++) {
        if (n < max) out[n] = sd_inprocess_shim_targets[i];
    }
    return n;
}
