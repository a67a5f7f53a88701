/* fuzz_input.c — fuzz input bytes to trace; see fuzz_input.h. */
#include "trace/fuzz_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/names.h"

const char *const sd_fuzz_target_names[] = {
    "fuzz_client_hello",
    NULL,
};

bool sd_fuzz_target_known(const char *name) {
    if (name == NULL) return false;
    for (size_t i = 0; sd_fuzz_target_names[i]; i++)
        if (strcmp(sd_fuzz_target_names[i], name) == 0) return true;
    return false;
}

static void say(char *err, size_t err_len, const char *msg, const char *arg) {
    if (err && err_len) snprintf(err, err_len, msg, arg);
}

/* send ClientHello body=<input>; expect ServerHello. The driver builds an
 * honest ClientHello first and the body mutation replaces it, so the record
 * and handshake headers stay honest (type 1, true length) and only the body
 * is the fuzzer's: every input reaches the stack's ClientHello parser. */
static bool client_hello_trace(const uint8_t *data, size_t len, sd_trace *out, sd_role *role) {
    sd_action *send = sd_trace_add(out, SD_ACT_SEND);
    if (!send) return false;
    send->msg_type = SD_ClientHello;
    sd_mutation *m = &send->mutations[0];
    m->kind = SD_MUT_BODY;
    if (len > 0) {
        m->bytes = malloc(len);
        if (!m->bytes) return false;
        memcpy(m->bytes, data, len);
        m->bytes_len = len;
    }
    send->n_mutations = 1;

    sd_action *expect = sd_trace_add(out, SD_ACT_EXPECT);
    if (!expect) return false;
    expect->msg_type = SD_ServerHello;
    *role = SD_ROLE_SERVER;
    return true;
}

bool sd_trace_from_fuzz_input(const char *target, const uint8_t *data, size_t len, sd_trace *out,
                              sd_role *role_under_test, char *err, size_t err_len) {
    sd_trace_init(out);
    if (err && err_len) err[0] = '\0';
    if (len > 0 && data == NULL) {
        say(err, err_len, "%s: no input bytes", target ? target : "(null)");
        return false;
    }
    sd_role role = SD_ROLE_SERVER;
    bool ok;
    if (target && strcmp(target, "fuzz_client_hello") == 0) {
        ok = client_hello_trace(data, len, out, &role);
    } else {
        say(err, err_len, "unknown fuzz target \"%s\"", target ? target : "(null)");
        return false;
    }
    if (!ok) {
        sd_trace_free(out);
        say(err, err_len, "%s: out of memory building the trace", target);
        return false;
    }
    if (role_under_test) *role_under_test = role;
    return true;
}

const char *sd_fuzz_target_from_path(const char *path) {
    if (path == NULL) return NULL;
    /* Walk the folder components from the file outwards, so the nearest
     * folder wins (findings/fuzz_x/... beats an outer folder of another
     * name). The last component is the file itself and never counts: a
     * file named after a target says nothing about its contents. */
    const char *end = strrchr(path, '/');
    while (end != NULL) {
        const char *begin = end;
        while (begin > path && begin[-1] != '/') begin--;
        size_t n = (size_t)(end - begin);
        for (size_t i = 0; n > 0 && sd_fuzz_target_names[i]; i++) {
            const char *name = sd_fuzz_target_names[i];
            if (strlen(name) == n && memcmp(name, begin, n) == 0) return name;
        }
        if (begin == path) break;
        end = begin - 1; /* the '/' before this component */
    }
    return NULL;
}
