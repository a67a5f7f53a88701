/* target.c — the names of the target interface's enums. */
#include "protocol/target.h"

const char *sd_role_name(sd_role role) {
    switch (role) {
    case SD_ROLE_CLIENT:
        return "client";
    case SD_ROLE_SERVER:
        return "server";
    }
    return "unknown"; /* a value outside the enum, e.g. from a corrupt input */
}
