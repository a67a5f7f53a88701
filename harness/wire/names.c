/* names.c — number <-> RFC name, generated from the X-macro tables in
 * names.h, so a value added to a table is named everywhere at once.
 *
 * Forward lookups are switch statements (the compiler rejects a duplicated
 * value in a table, and picks the fastest dispatch). Reverse lookups scan a
 * small table built from the same macro; they serve scripts and the command
 * line, never a hot path. */
#include "wire/names.h"

#include <string.h>

#define SD_NAME_CASE(name, value) \
    case value:                   \
        return #name;

const char *sd_content_type_name(unsigned v) {
    switch (v) {
        SD_CONTENT_TYPES(SD_NAME_CASE)
    default:
        return NULL;
    }
}

const char *sd_handshake_type_name(unsigned v) {
    switch (v) {
        SD_HANDSHAKE_TYPES(SD_NAME_CASE)
    default:
        return NULL;
    }
}

const char *sd_alert_name(unsigned v) {
    switch (v) {
        SD_ALERTS(SD_NAME_CASE)
    default:
        return NULL;
    }
}

const char *sd_extension_name(unsigned v) {
    switch (v) {
        SD_EXTENSION_TYPES(SD_NAME_CASE)
    default:
        return NULL;
    }
}

const char *sd_group_name(unsigned v) {
    switch (v) {
        SD_GROUPS(SD_NAME_CASE)
    default:
        return NULL;
    }
}

const char *sd_signature_scheme_name(unsigned v) {
    switch (v) {
        SD_SIGNATURE_SCHEMES(SD_NAME_CASE)
    default:
        return NULL;
    }
}

const char *sd_cipher_suite_name(unsigned v) {
    switch (v) {
        SD_CIPHER_SUITES(SD_NAME_CASE)
    default:
        return NULL;
    }
}

/* RFC 8446 §6 AlertLevel: warning(1), fatal(2). */
#define SD_ALERT_LEVELS(X) \
    X(warning, 1)          \
    X(fatal, 2)

const char *sd_alert_level_name(unsigned v) {
    switch (v) {
        SD_ALERT_LEVELS(SD_NAME_CASE)
    default:
        return NULL;
    }
}

/* --- Reverse lookups ------------------------------------------------------ */

typedef struct {
    const char *name;
    unsigned value;
} name_entry;

#define SD_NAME_ENTRY(name, value) {#name, value},

static bool find_name(const name_entry *table, size_t n, const char *name, unsigned *out) {
    if (name == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(table[i].name, name) == 0) {
            *out = table[i].value;
            return true;
        }
    }
    return false;
}

/* Defines sd_<what>_from_name(name, out) over the table built from MACRO.
 * The registries are u8 or u16 on the wire, so the values fit out_type. */
#define SD_DEFINE_FROM_NAME(fn, MACRO, out_type)                           \
    bool fn(const char *name, out_type *out) {                             \
        static const name_entry table[] = {MACRO(SD_NAME_ENTRY)};          \
        unsigned v;                                                        \
        if (!find_name(table, sizeof table / sizeof table[0], name, &v)) { \
            return false;                                                  \
        }                                                                  \
        *out = (out_type)v;                                                \
        return true;                                                       \
    }

/* The casts above are safe only if every table value fits: check it at
 * compile time, so a new entry that does not fit breaks the build. */
#define SD_FITS_U8(name, value) _Static_assert((value) <= 0xFF, #name " must fit a u8");
#define SD_FITS_U16(name, value) _Static_assert((value) <= 0xFFFF, #name " must fit a u16");
SD_HANDSHAKE_TYPES(SD_FITS_U8)
SD_ALERTS(SD_FITS_U8)
SD_ALERT_LEVELS(SD_FITS_U8)
SD_EXTENSION_TYPES(SD_FITS_U16)
SD_GROUPS(SD_FITS_U16)
SD_CIPHER_SUITES(SD_FITS_U16)

SD_DEFINE_FROM_NAME(sd_handshake_type_from_name, SD_HANDSHAKE_TYPES, uint8_t)
SD_DEFINE_FROM_NAME(sd_alert_from_name, SD_ALERTS, uint8_t)
SD_DEFINE_FROM_NAME(sd_extension_from_name, SD_EXTENSION_TYPES, uint16_t)
SD_DEFINE_FROM_NAME(sd_group_from_name, SD_GROUPS, uint16_t)
SD_DEFINE_FROM_NAME(sd_cipher_suite_from_name, SD_CIPHER_SUITES, uint16_t)
SD_DEFINE_FROM_NAME(sd_alert_level_from_name, SD_ALERT_LEVELS, uint8_t)
SD_DEFINE_FROM_NAME(sd_signature_scheme_from_name, SD_SIGNATURE_SCHEMES, uint16_t)
