/* registry.c — the in-process stacks by name, for --stack and reports. */
#include <string.h>

#include "targets/target.h"

const char *sd_role_name(sd_role role) {
    switch (role) {
    case SD_ROLE_CLIENT:
        return "client";
    case SD_ROLE_SERVER:
        return "server";
    }
    return "unknown"; /* a value outside the enum, e.g. from a corrupt input */
}

/* Keep these two lists in the same order: names are what --help prints, the
 * table is what a name resolves to. The model comes first because it is the
 * default reference of the differential oracle. */
const char *const sd_target_names[] = {"model", "boringssl", NULL};

static const sd_target_ops *const all_targets[] = {&sd_target_model, &sd_target_boringssl};

const sd_target_ops *sd_target_find(const char *name) {
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof all_targets / sizeof all_targets[0]; i++) {
        if (strcmp(all_targets[i]->name, name) == 0)
            return all_targets[i];
    }
    return NULL;
}
