/* target.c — the target interface's helpers: role names, and reading a
 * stack's "unsupported:" words into sd_target_error. */
#include "protocol/target.h"

#include <string.h>

const char *sd_role_name(sd_role role) {
    switch (role) {
    case SD_ROLE_CLIENT:
        return "client";
    case SD_ROLE_SERVER:
        return "server";
    }
    return "unknown"; /* a value outside the enum, e.g. from a corrupt input */
}

bool sd_target_error_read_words(sd_target_error *err) {
    size_t n = strlen(SD_TARGET_UNSUPPORTED_PREFIX);
    if (strncmp(err->text, SD_TARGET_UNSUPPORTED_PREFIX, n) != 0) return false;
    const char *reason = err->text + n;
    while (*reason == ' ') reason++;
    memmove(err->text, reason, strlen(reason) + 1);
    err->unsupported = true;
    return true;
}
