/* outcome.c — the normalised result of one run, and its one-line description.
 *
 * Both oracles and every report read outcomes, so the words produced here
 * ("completed", "alert decrypt_error at step 7") are the ones people see in
 * the terminal, in results.json and in index.html. */
#include "driver/outcome.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wire/names.h"

const char *sd_outcome_kind_name(sd_outcome_kind k) {
    switch (k) {
    case SD_OUTCOME_COMPLETED:
        return "completed";
    case SD_OUTCOME_ALERT:
        return "alert";
    case SD_OUTCOME_CLOSED:
        return "closed";
    case SD_OUTCOME_WAITING:
        return "waiting";
    case SD_OUTCOME_DEVIATED:
        return "deviated";
    case SD_OUTCOME_CRASH:
        return "crash";
    case SD_OUTCOME_HANG:
        return "hang";
    case SD_OUTCOME_HARNESS_ERROR:
        return "harness_error";
    case SD_OUTCOME_UNSUPPORTED:
        return "unsupported";
    }
    /* Out-of-range values come only from memory corruption or a bad cast;
     * still give reports a printable word rather than NULL. */
    return "unknown";
}

void sd_outcome_init(sd_outcome *o) {
    memset(o, 0, sizeof *o);
    /* An outcome nobody filled in must never read as a success of the
     * stack: it starts as our own error until the driver says otherwise. */
    o->kind = SD_OUTCOME_HARNESS_ERROR;
    o->step = -1;
    o->reached = -1;
}

void sd_outcome_add_event(sd_outcome *o, const sd_event *e) {
    /* The ladder is bounded so an outcome stays a plain value (no heap) that
     * can be copied into report cells; a run that talks longer keeps its
     * first SD_MAX_EVENTS messages and says that it lost the rest. */
    if (o->n_events >= SD_MAX_EVENTS) {
        o->events_truncated = true;
        if (e->from == SD_FROM_TARGET) o->target_events_lost++;
        return;
    }
    o->events[o->n_events++] = *e;
}

/* Appends printf-style text at *pos, never past len, always NUL-terminated. */
static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...) {
    if (*pos + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *pos, len - *pos, fmt, ap);
    va_end(ap);
    if (w < 0) return;
    *pos += (size_t)w;
    if (*pos >= len) *pos = len - 1; /* truncated; vsnprintf terminated it */
}

void sd_outcome_describe(const sd_outcome *o, char *buf, size_t len) {
    if (!buf || len == 0) return;
    buf[0] = '\0';
    size_t pos = 0;
    switch (o->kind) {
    case SD_OUTCOME_COMPLETED:
        put(buf, len, &pos, "completed");
        return; /* where it ended is the end of the trace: no step to name */
    case SD_OUTCOME_ALERT: {
        const char *name = sd_alert_name(o->alert);
        if (name) {
            put(buf, len, &pos, "alert %s", name);
        } else {
            put(buf, len, &pos, "alert %u", (unsigned)o->alert);
        }
        /* TLS 1.3 ignores the level (RFC 8446 §6), so only an unusual one
         * is worth words. */
        if (o->alert_level == SD_ALERT_LEVEL_WARNING) put(buf, len, &pos, " (warning)");
        break;
    }
    case SD_OUTCOME_HARNESS_ERROR:
        put(buf, len, &pos, "harness error");
        break;
    case SD_OUTCOME_UNSUPPORTED:
        /* Nothing ran, so there is no step to name: the stack's reason is all. */
        put(buf, len, &pos, "unsupported%s%s", o->detail[0] ? ": " : "", o->detail);
        return;
    default:
        put(buf, len, &pos, "%s", sd_outcome_kind_name(o->kind));
        break;
    }
    if (o->step < 0) {
        put(buf, len, &pos, " before the first step");
    } else {
        put(buf, len, &pos, " at step %d", o->step);
        if (o->line > 0) put(buf, len, &pos, " (line %d)", o->line);
    }
    if (o->kind == SD_OUTCOME_HARNESS_ERROR && o->detail[0]) {
        /* For our own errors the detail is the only useful part. */
        put(buf, len, &pos, ": %s", o->detail);
    }
}
