/* oracle.c — the conformance and differential oracles, and the file of known
 * differences.
 *
 * Conformance table (docs/outcomes.md has the same table with examples).
 * Rows: what the scenario expects. Columns: what the target did.
 *
 *                 | COMPLETED | ALERT X   | ALERT Y   | CLOSED | WAITING          | DEVIATED | CRASH | HANG | HARNESS_ERROR | UNSUPPORTED
 *  ---------------+-----------+-----------+-----------+--------+------------------+----------+-------+------+---------------+------------
 *  complete       | PASS      | FAIL      | FAIL      | FAIL   | FAIL             | FAIL     | CRASH | HANG | ERROR         | SKIP
 *  alert X        | FAIL      | PASS      | SOFT      | SOFT   | FAIL             | FAIL     | CRASH | HANG | ERROR         | SKIP
 *  closed         | FAIL      | SOFT      | SOFT      | PASS   | PASS if not done | FAIL     | CRASH | HANG | ERROR         | SKIP
 *                 |           |           |           |        | (SOFT over TCP), |          |       |      |               |
 *                 |           |           |           |        | else FAIL        |          |       |      |               |
 *
 * Why these cells:
 *  - A refusal with the wrong alert (or a bare close) still protects the
 *    connection; only the diagnostic differs. That is SOFT, not FAIL.
 *  - WAITING where a refusal is due means the target accepted the message it
 *    had to reject and asked for the next one: it did not refuse. FAIL.
 *  - DEVIATED means the target answered with a message other than the one the
 *    trace expected (for an alert expectation: a handshake message instead of
 *    the alert). It carried on with the handshake; it did not refuse. FAIL.
 *  - "closed" scenarios send the target a fatal alert. RFC 8446 §6.2: "Upon
 *    transmission or receipt of a fatal alert message, both parties MUST
 *    immediately close the connection." An in-process target has no
 *    transport to close, so falling silent without finishing (WAITING, not
 *    handshake_done) is what closing looks like and passes. Over TCP the
 *    close is seen, so silence with the connection held open is SOFT.
 *    Answering the alert with an alert of its own is harmless noise: SOFT.
 *  - CRASH and HANG are findings of their own kind; a harness error is ours
 *    and never the stack's (ERROR).
 *  - UNSUPPORTED: the stack cannot be configured as the scenario needs (a TLS
 *    version, a cipher suite it lacks), so nothing ran and there is nothing
 *    to judge: SKIP, with the stack's reason as the why. This is the one
 *    place an unsupported configuration becomes SKIP.
 *  - The TLS 1.3 alert level is ignored (RFC 8446 §6: "the level field can
 *    safely be ignored"), so a matching description passes at any level.
 *  - "alert X" may be a set, "alert X | Y", where the RFCs name more than one
 *    alert for the case (a Finished of the wrong length: decrypt_error by RFC
 *    8446 §4.4.4, decode_error by §6): any alert of the set is "ALERT X", and
 *    the PASS says in its why which one the stack chose.
 *  - Before any of the rows above: a run that did not reach the scenario's
 *    step under test (trace/step_under_test.h; out->reached, recorded by the
 *    driver) is UNREACHED, neither PASS nor FAIL, unless the scenario
 *    expects `complete`, whose every step is the point.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* the build defines it too; this is for building alone */
#endif

#include "oracle/oracle.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/step_under_test.h"
#include "wire/names.h"
#include "util/util.h"

static const char *const verdict_names[SD_VERDICT_COUNT] = {
    [SD_VERDICT_PASS] = "PASS",           [SD_VERDICT_SOFT] = "SOFT",   [SD_VERDICT_FAIL] = "FAIL",
    [SD_VERDICT_CRASH] = "CRASH",         [SD_VERDICT_HANG] = "HANG",   [SD_VERDICT_SKIP] = "SKIP",
    [SD_VERDICT_ERROR] = "ERROR",         [SD_VERDICT_XFAIL] = "XFAIL", [SD_VERDICT_XPASS] = "XPASS",
    [SD_VERDICT_UNREACHED] = "UNREACHED",
};

const char *sd_verdict_name(sd_verdict v) {
    if ((unsigned)v < SD_VERDICT_COUNT) return verdict_names[v];
    return "UNKNOWN";
}

bool sd_verdict_from_name(const char *name, sd_verdict *out) {
    for (int i = 0; i < SD_VERDICT_COUNT; i++) {
        if (strcmp(name, verdict_names[i]) == 0) {
            *out = (sd_verdict)i;
            return true;
        }
    }
    return false;
}

bool sd_verdict_is_finding(sd_verdict v) {
    /* XPASS is good news for the stack but means the baseline is stale, so
     * it does not fail a run either. */
    return v == SD_VERDICT_FAIL || v == SD_VERDICT_CRASH || v == SD_VERDICT_HANG;
}

static void alert_text(uint8_t alert, char *buf, size_t len) {
    const char *name = sd_alert_name(alert);
    if (name) {
        snprintf(buf, len, "%s", name);
    } else {
        snprintf(buf, len, "alert %u", (unsigned)alert);
    }
}

/* The alert a scenario expects, or its set: "decrypt_error | decode_error",
 * after `prefix`. */
static void alert_set_text(const sd_scenario *s, char *buf, size_t len, const char *prefix) {
    char a[48];
    alert_text(s->expect_alert, a, sizeof a);
    int n = snprintf(buf, len, "%s%s", prefix, a);
    for (size_t i = 0; i < s->n_expect_alert_also && i < SD_MAX_EXPECT_ALERTS - 1; i++) {
        if (n < 0 || (size_t)n >= len) return;
        alert_text(s->expect_alert_also[i], a, sizeof a);
        n += snprintf(buf + n, len - (size_t)n, " | %s", a);
    }
}

void sd_expectation_describe(const sd_scenario *s, char *buf, size_t len) {
    if (!buf || len == 0) return;
    switch (s->expect) {
    case SD_EXPECT_COMPLETE:
        snprintf(buf, len, "complete");
        return;
    case SD_EXPECT_ALERT:
        alert_set_text(s, buf, len, "alert ");
        return;
    case SD_EXPECT_CLOSED:
        snprintf(buf, len, "closed");
        return;
    }
    snprintf(buf, len, "unknown");
}

/* The verdicts that do not depend on the expectation. Returns true if o is
 * one of them and sets *v. */
static bool classify_broken(const sd_outcome *o, sd_verdict *v, char *why, size_t len, const char *observed) {
    switch (o->kind) {
    case SD_OUTCOME_CRASH:
        *v = SD_VERDICT_CRASH;
        sd_set_error(why, len, "%s%s%s", observed, o->detail[0] ? ": " : "", o->detail);
        return true;
    case SD_OUTCOME_HANG:
        *v = SD_VERDICT_HANG;
        sd_set_error(why, len, "%s%s%s", observed, o->detail[0] ? ": " : "", o->detail);
        return true;
    case SD_OUTCOME_HARNESS_ERROR:
        *v = SD_VERDICT_ERROR;
        sd_set_error(why, len, "%s (not the stack's fault)", observed);
        return true;
    case SD_OUTCOME_UNSUPPORTED:
        *v = SD_VERDICT_SKIP;
        sd_set_error(why, len, "%s", o->detail);
        return true;
    default:
        return false;
    }
}

static bool has_tag(const sd_scenario *s, const char *tag) {
    for (size_t i = 0; i < s->n_tags; i++)
        if (strcmp(s->tags[i], tag) == 0) return true;
    return false;
}

static sd_verdict classify_expectation(const sd_scenario *s, const sd_outcome *o, char *why, size_t why_len);

/* A scenario tagged "policy" tests a point where the RFC leaves the choice to
 * the receiver (RFC 5246 §7.2.2: after a warning alert "the receiving party
 * can decide at its discretion"); it expects what the model and BoringSSL
 * chose. A stack that chose the other way broke no requirement, so what
 * would be a FAIL is SOFT. Crashes and hangs stay what they are. */
sd_verdict sd_classify(const sd_scenario *s, const sd_outcome *o, char *why, size_t why_len) {
    sd_verdict v = classify_expectation(s, o, why, why_len);
    if (v != SD_VERDICT_FAIL || !has_tag(s, "policy")) return v;
    /* The choice is about the step the scenario deviates at: a stack that
     * ended the run before it refused an honest handshake, and chose
     * nothing. */
    int point = sd_scenario_first_deviation(s);
    if (point != SD_STEP_WHOLE_RUN && o->reached < point) return v;
    if (why && why_len) {
        char reason[512];
        snprintf(reason, sizeof reason, "%s", why);
        snprintf(why, why_len, "chose otherwise where the RFC leaves the choice to the receiver: %s", reason);
    }
    return SD_VERDICT_SOFT;
}

static sd_verdict classify_expectation(const sd_scenario *s, const sd_outcome *o, char *why, size_t why_len) {
    if (why && why_len) why[0] = '\0';
    char observed[300];
    sd_outcome_describe(o, observed, sizeof observed);
    sd_verdict v;
    if (classify_broken(o, &v, why, why_len, observed)) return v;

    /* For DEVIATED, the driver's detail ("expected X, got Y") is the point. */
    const char *dsep = o->detail[0] ? ": " : "";

    /* A verdict scores only what was tested: a run that ended before the
     * step under test says nothing of how the stack answers it. Not for
     * `expect: complete`, whose point is the whole run. */
    int sut = sd_scenario_step_under_test(s);
    if (sut != SD_STEP_WHOLE_RUN && o->reached < sut) {
        int line = s->trace.actions[sut].line;
        char at[48] = "";
        if (line > 0) snprintf(at, sizeof at, " (line %d)", line);
        sd_set_error(why, why_len,
                     "not reached: the step under test is step %d%s; the run ended before it: %s%s%s", sut,
                     at, observed, dsep, o->detail);
        return SD_VERDICT_UNREACHED;
    }
    /* An `expect: complete` scenario that deviates (honest padding, a
     * record at a size limit) tests that the stack takes the deviation: a
     * run in which the driver could not make it (its mutations changed
     * nothing, docs/script-format.md) completed without testing it. */
    int deviation = sut == SD_STEP_WHOLE_RUN ? sd_scenario_first_deviation(s) : SD_STEP_WHOLE_RUN;
    if (s->expect == SD_EXPECT_COMPLETE && o->kind == SD_OUTCOME_COMPLETED &&
        deviation != SD_STEP_WHOLE_RUN && o->reached < deviation) {
        sd_set_error(why, why_len, "not reached: step %d, the deviation, was not made: %s", deviation,
                     o->detail);
        return SD_VERDICT_UNREACHED;
    }
    /* Nor does a whole run in which an honest message could not be made
     * for this target (a peer that offered no signature scheme for the
     * credential's key): its refusal may be the one the RFC asks for. */
    if (sut == SD_STEP_WHOLE_RUN && o->honest_not_made) {
        sd_set_error(why, why_len, "not reached: %s: %s", observed, o->detail);
        return SD_VERDICT_UNREACHED;
    }

    switch (s->expect) {
    case SD_EXPECT_COMPLETE:
        switch (o->kind) {
        case SD_OUTCOME_COMPLETED:
            return SD_VERDICT_PASS;
        case SD_OUTCOME_ALERT:
        case SD_OUTCOME_CLOSED:
            sd_set_error(why, why_len, "refused a handshake it must accept: %s", observed);
            return SD_VERDICT_FAIL;
        case SD_OUTCOME_WAITING:
            sd_set_error(why, why_len, "stalled: %s without completing", observed);
            return SD_VERDICT_FAIL;
        case SD_OUTCOME_DEVIATED:
            sd_set_error(why, why_len, "%s%s%s", observed, dsep, o->detail);
            return SD_VERDICT_FAIL;
        default:
            break;
        }
        break;

    case SD_EXPECT_ALERT: {
        /* Where the RFCs allow more than one alert, any of the set passes;
         * the why then says which one the stack chose, so that the reports
         * show it (docs/outcomes.md). */
        char want[48 * SD_MAX_EXPECT_ALERTS];
        alert_set_text(s, want, sizeof want, "");
        bool set = s->n_expect_alert_also > 0;
        switch (o->kind) {
        case SD_OUTCOME_ALERT:
            if (sd_scenario_expects_alert(s, o->alert)) {
                if (set) {
                    char got[48];
                    alert_text(o->alert, got, sizeof got);
                    sd_set_error(why, why_len, "chose %s, one of the alerts the RFCs allow here (%s)", got,
                                 want);
                }
                return SD_VERDICT_PASS;
            }
            sd_set_error(why, why_len, "refused with another alert: expected %s%s, got %s",
                         set ? "one of " : "", want, observed);
            return SD_VERDICT_SOFT;
        case SD_OUTCOME_CLOSED:
            sd_set_error(why, why_len, "closed without an alert (expected %s): %s", want, observed);
            return SD_VERDICT_SOFT;
        case SD_OUTCOME_COMPLETED:
            sd_set_error(why, why_len, "completed the handshake; expected refusal with %s", want);
            return SD_VERDICT_FAIL;
        case SD_OUTCOME_WAITING:
            sd_set_error(why, why_len, "did not refuse: waited for more input instead of refusing (%s)",
                         observed);
            return SD_VERDICT_FAIL;
        case SD_OUTCOME_DEVIATED:
            sd_set_error(why, why_len, "did not refuse: carried on with the handshake (%s%s%s)", observed,
                         dsep, o->detail);
            return SD_VERDICT_FAIL;
        default:
            break;
        }
        break;
    }

    case SD_EXPECT_CLOSED:
        switch (o->kind) {
        case SD_OUTCOME_CLOSED:
            return SD_VERDICT_PASS;
        case SD_OUTCOME_WAITING:
            if (o->handshake_done) {
                sd_set_error(why, why_len, "completed the handshake after the peer's fatal alert (%s)",
                             observed);
                return SD_VERDICT_FAIL;
            }
            /* Over a transport the close is seen: a stack that stays
             * silent but keeps the connection open did not complete, yet
             * did not close either (RFC 8446 §6.2: "both parties MUST
             * immediately close the connection"). */
            if (o->wire_only) {
                sd_set_error(why, why_len,
                             "went silent after the peer's fatal alert but kept the connection open (%s)",
                             observed);
                return SD_VERDICT_SOFT;
            }
            return SD_VERDICT_PASS;
        case SD_OUTCOME_ALERT:
            sd_set_error(why, why_len, "answered the peer's fatal alert with its own: %s", observed);
            return SD_VERDICT_SOFT;
        case SD_OUTCOME_COMPLETED:
            sd_set_error(why, why_len, "completed the handshake; expected it to stop");
            return SD_VERDICT_FAIL;
        case SD_OUTCOME_DEVIATED:
            sd_set_error(why, why_len, "did not stop: carried on with the handshake (%s%s%s)", observed, dsep,
                         o->detail);
            return SD_VERDICT_FAIL;
        default:
            break;
        }
        break;
    }
    /* Only an expectation or outcome kind outside its enum gets here. */
    sd_set_error(why, why_len, "cannot classify expectation %d against outcome %s", (int)s->expect,
                 sd_outcome_kind_name(o->kind));
    return SD_VERDICT_ERROR;
}

/* --- Differential ---------------------------------------------------------- */

const char *sd_divergence_name(sd_divergence d) {
    switch (d) {
    case SD_DIV_SAME:
        return "same";
    case SD_DIV_ALERT_DIFFERS:
        return "alert_differs";
    case SD_DIV_DIVERGES:
        return "diverges";
    case SD_DIV_CRASH:
        return "crash";
    case SD_DIV_UNCOMPARED:
        return "uncompared";
    }
    return "unknown";
}

bool sd_divergence_is_difference(sd_divergence d) { return d != SD_DIV_SAME && d != SD_DIV_UNCOMPARED; }

/* Outcomes that leave nothing to compare. An unsupported side counts too:
 * the model and BoringSSL each support every configuration the fuzz targets
 * and repro give them, so one that does not is a problem to look at, as a
 * harness error is. */
static bool is_broken(sd_outcome_kind k) {
    return k == SD_OUTCOME_CRASH || k == SD_OUTCOME_HANG || k == SD_OUTCOME_HARNESS_ERROR ||
           k == SD_OUTCOME_UNSUPPORTED;
}

static bool is_refusal(sd_outcome_kind k) { return k == SD_OUTCOME_ALERT || k == SD_OUTCOME_CLOSED; }

static bool placed_freely(const sd_outcome *o, const sd_event *e);

/* The last message the target sent, for telling two deviations apart. */
static const sd_event *last_from_target(const sd_outcome *o) {
    for (size_t i = o->n_events; i > 0; i--) {
        /* The compatibility CCS is optional (RFC 8446 §D.4): whether a stack
         * sends one says nothing about what it accepted; nor where a TLS 1.3
         * KeyUpdate comes (placed_freely). */
        const sd_event *e = &o->events[i - 1];
        if (e->from == SD_FROM_TARGET && e->kind != SD_EVENT_CCS && !placed_freely(o, e)) return e;
    }
    return NULL;
}

/* Security claims: what each side believes it established. Only claims that
 * mean something are compared: mid-handshake, when a stack records the
 * version or the peer's authentication is an implementation detail. */
static bool claims_differ(const sd_outcome *a, const char *na, const sd_outcome *b, const char *nb, char *why,
                          size_t len) {
    bool done = a->handshake_done || b->handshake_done;
    if (a->handshake_done != b->handshake_done) {
        sd_set_error(why, len, "handshake_done differs: %s %s, %s %s", na,
                     a->handshake_done ? "true" : "false", nb, b->handshake_done ? "true" : "false");
        return true;
    }
    /* A resumed connection's authentication is the first handshake's,
     * compared then. A stack behind the shim contract says nothing of
     * resumption (docs/shim-contract.md), and its library may not keep
     * the peer's certificate over it (GnuTLS in TLS 1.3): where the two
     * sides' word on resumption differs, their word on authentication is
     * not compared. */
    bool same_resumption = a->resumed == b->resumed;
    if (done && same_resumption && a->peer_authenticated != b->peer_authenticated) {
        sd_set_error(why, len, "peer_authenticated differs: %s %s, %s %s", na,
                     a->peer_authenticated ? "true" : "false", nb, b->peer_authenticated ? "true" : "false");
        return true;
    }
    if ((done || (a->version && b->version)) && a->version != b->version) {
        sd_set_error(why, len, "negotiated version differs: %s 0x%04x, %s 0x%04x", na, (unsigned)a->version,
                     nb, (unsigned)b->version);
        return true;
    }
    return false;
}

/* The target's TLS 1.3 compatibility CCS, which a stack may send or not
 * (RFC 8446 §D.4), and in TLS 1.2 is a step of the handshake. */
static bool optional_target_ccs(const sd_outcome *o, const sd_event *e) {
    return e->from == SD_FROM_TARGET && e->kind == SD_EVENT_CCS && o->configured_version != SD_TLS12;
}

/* A message of the target's whose place in the ladder is its own choice:
 * the compatibility CCS; a TLS 1.3 KeyUpdate, which a stack may send at
 * any time after the handshake and, asked for one, owes only "prior to
 * sending its next Application Data record" (RFC 8446 §4.6.3), so one
 * answers at once and another with its next record; and a TLS 1.3
 * NewSessionTicket, which a server "MAY send" "at any time after the
 * server has received the client Finished message" (§4.6.1), or not at
 * all (the modes the client offered may rule tickets out, §4.2.9). */
static bool placed_freely(const sd_outcome *o, const sd_event *e) {
    if (optional_target_ccs(o, e)) return true;
    bool post_handshake13 =
        e->from == SD_FROM_TARGET && e->kind == SD_EVENT_HANDSHAKE && o->configured_version != SD_TLS12;
    return post_handshake13 && (e->code == SD_KeyUpdate || e->code == SD_NewSessionTicket);
}

static bool same_event(const sd_event *x, const sd_event *y) {
    return x->from == y->from && x->kind == y->kind && x->code == y->code && x->hrr == y->hrr &&
           x->encrypted == y->encrypted && x->mutated == y->mutated && x->length == y->length &&
           (x->kind != SD_EVENT_ALERT || x->level == y->level);
}

static size_t skip_freely_placed(const sd_outcome *o, size_t i) {
    while (i < o->n_events && placed_freely(o, &o->events[i])) i++;
    return i;
}

void sd_ladders_part(const sd_outcome *a, const sd_outcome *b, size_t *ia, size_t *ib) {
    /* i and j stay just past the last pair that matched: what each side
     * placed freely after it is part of what comes after the common part. */
    size_t i = 0, j = 0;
    for (;;) {
        size_t ni = skip_freely_placed(a, i), nj = skip_freely_placed(b, j);
        if (ni >= a->n_events || nj >= b->n_events || !same_event(&a->events[ni], &b->events[nj])) break;
        i = ni + 1;
        j = nj + 1;
    }
    *ia = i;
    *ib = j;
}

/* After the common part of the two ladders, `refused` did nothing but
 * refuse (its alert; a silent close leaves no event) and `other` sent
 * nothing at all: whatever the driver gave it after that point, it took
 * without a word. */
static bool refused_where_other_said_nothing(const sd_outcome *refused, size_t i, const sd_outcome *other,
                                             size_t j) {
    /* A ladder cut short proves nothing of the refusing side's end; of the
     * other's silence it proves enough if what it lost holds nothing the
     * target sent. */
    if (refused->events_truncated || other->target_events_lost) return false;
    for (; i < refused->n_events; i++) {
        const sd_event *e = &refused->events[i];
        if (optional_target_ccs(refused, e)) continue; /* its compatibility CCS, then its alert */
        if (e->from != SD_FROM_TARGET || (e->kind != SD_EVENT_ALERT && e->kind != SD_EVENT_CLOSE))
            return false;
    }
    for (; j < other->n_events; j++)
        if (other->events[j].from == SD_FROM_TARGET && !optional_target_ccs(other, &other->events[j]))
            return false;
    /* Completed is the trace's end after a handshake both had done (the
     * claims are the same), not a completion the refusal was about. */
    return other->kind != SD_OUTCOME_COMPLETED || other->handshake_done;
}

/* In the part of the ladders both runs share, a message the driver
 * mutated at a place set by its length (the middle, counted from the end,
 * a truncation) whose honest length differed between them (it echoes a
 * ticket, PSK identity or session id each stack chose itself): the
 * mutation hit different fields, so the two stacks were not given the same
 * input and their outcomes say nothing of each other. A place counted from
 * the start is taken as the same field in both. */
static bool mutated_different_bytes(const sd_outcome *a, const sd_outcome *b, char *why, size_t why_len) {
    size_t ia, ib;
    sd_ladders_part(a, b, &ia, &ib);
    for (size_t i = 0, j = 0; i < ia && j < ib; i++, j++) {
        i = skip_freely_placed(a, i);
        j = skip_freely_placed(b, j);
        if (i >= ia || j >= ib) break;
        const sd_event *x = &a->events[i], *y = &b->events[j];
        if (x->from == SD_FROM_PEER && x->kind == SD_EVENT_HANDSHAKE && x->mutated && x->placed_by_length &&
            x->honest_length != y->honest_length) {
            sd_set_error(
                why, why_len,
                "the driver's %s of step %d was %u bytes for one stack and %u for the other before a "
                "mutation placed by its length, so the two were not given the same input",
                sd_handshake_type_name(x->code) ? sd_handshake_type_name(x->code) : "message", x->step,
                (unsigned)x->honest_length, (unsigned)y->honest_length);
            return true;
        }
    }
    return false;
}

sd_divergence sd_compare_named(const sd_outcome *a, const char *na, const sd_outcome *b, const char *nb,
                               char *why, size_t why_len) {
    if (why && why_len) why[0] = '\0';
    char da[300], db[300];
    sd_outcome_describe(a, da, sizeof da);
    sd_outcome_describe(b, db, sizeof db);

    if (is_broken(a->kind) || is_broken(b->kind)) {
        sd_set_error(why, why_len, "%s %s; %s %s", na, da, nb, db);
        return SD_DIV_CRASH;
    }
    if (mutated_different_bytes(a, b, why, why_len)) return SD_DIV_UNCOMPARED;
    bool ra = is_refusal(a->kind), rb = is_refusal(b->kind);
    if (ra != rb && !claims_differ(a, na, b, nb, NULL, 0)) {
        /* One refused; the other had answered nothing to the input it
         * refused, nor to anything after it, when the input ended (it waits
         * for more, or the trace expected something it had sent before, or
         * the handshake was done before that input). It has accepted
         * nothing the first refused: it has not completed (the claims are
         * the same) and has sent nothing that shows it took the input
         * (its Finished, an answer). It may refuse at the next message, as
         * a stack that checks a certificate chain when CertificateVerify
         * arrives (BoringSSL) does; RFC 8446 §4.4.2.4 names the alert for
         * a bad chain but not the message at which to send it. So this is
         * a refusal at different steps, not a divergence; a stack that
         * completes or answers past the point the other refused stays one. */
        size_t i, j;
        sd_ladders_part(a, b, &i, &j);
        if (ra ? refused_where_other_said_nothing(a, i, b, j)
               : refused_where_other_said_nothing(b, j, a, i)) {
            sd_set_error(why, why_len,
                         "%s refused; %s answered nothing to that input or after it and had not completed: "
                         "%s %s; %s %s",
                         ra ? na : nb, ra ? nb : na, na, da, nb, db);
            return SD_DIV_ALERT_DIFFERS;
        }
    }
    if (ra != rb) {
        sd_set_error(why, why_len, "%s refused and %s did not: %s %s; %s %s", ra ? na : nb, ra ? nb : na, na,
                     da, nb, db);
        return SD_DIV_DIVERGES;
    }
    if (ra) {
        /* Both refused. A claim that differs still outranks the alert: a
         * stack that refused after declaring the handshake done is worse. */
        if (claims_differ(a, na, b, nb, why, why_len)) return SD_DIV_DIVERGES;
        bool same_how = a->kind == b->kind && (a->kind == SD_OUTCOME_CLOSED || a->alert == b->alert);
        if (!same_how) {
            sd_set_error(why, why_len, "both refused, differently: %s %s; %s %s", na, da, nb, db);
            return SD_DIV_ALERT_DIFFERS;
        }
        if (a->step != b->step) {
            /* Refusing later means accepting the message the other refused. */
            sd_set_error(why, why_len, "both refused, at different steps: %s %s; %s %s", na, da, nb, db);
            return SD_DIV_ALERT_DIFFERS;
        }
        return SD_DIV_SAME;
    }
    /* Neither refused: completed, waiting or deviated. */
    if (a->kind != b->kind || (a->kind != SD_OUTCOME_COMPLETED && a->step != b->step)) {
        sd_set_error(why, why_len, "%s %s; %s %s", na, da, nb, db);
        return SD_DIV_DIVERGES;
    }
    if (a->kind == SD_OUTCOME_DEVIATED) {
        const sd_event *ea = last_from_target(a), *eb = last_from_target(b);
        if (ea && eb && (ea->kind != eb->kind || ea->code != eb->code)) {
            sd_set_error(why, why_len, "both deviated at step %d, with different messages", a->step);
            return SD_DIV_DIVERGES;
        }
    }
    if (claims_differ(a, na, b, nb, why, why_len)) return SD_DIV_DIVERGES;
    return SD_DIV_SAME;
}

sd_divergence sd_compare(const sd_outcome *model, const sd_outcome *oracle_boringssl, char *why,
                         size_t why_len) {
    return sd_compare_named(model, "model", oracle_boringssl, "boringssl", why, why_len);
}

/* --- A stack under test against the two references ---------------------------- */

const char *sd_stack_judgement_name(sd_stack_judgement j) {
    switch (j) {
    case SD_STACK_AGREES:
        return "agrees";
    case SD_STACK_ALERT_DIFFERS:
        return "alert_differs";
    case SD_STACK_UNJUDGED:
        return "unjudged";
    case SD_STACK_ACCEPTS:
        return "accepts";
    case SD_STACK_REFUSES:
        return "refuses";
    case SD_STACK_DIVERGES:
        return "diverges";
    case SD_STACK_CRASH:
        return "crash";
    }
    return "unknown";
}

bool sd_stack_judgement_is_finding(sd_stack_judgement j) {
    return j == SD_STACK_ACCEPTS || j == SD_STACK_REFUSES || j == SD_STACK_DIVERGES || j == SD_STACK_CRASH;
}

sd_stack_judgement sd_judge_stack(const sd_outcome *stack, const char *stack_name, const sd_outcome *model,
                                  const sd_outcome *boringssl, int first_deviation, char *why,
                                  size_t why_len) {
    if (why && why_len) why[0] = '\0';
    char ds[300];
    sd_outcome_describe(stack, ds, sizeof ds);
    if (stack->kind == SD_OUTCOME_UNSUPPORTED) {
        /* The stack cannot be set up as this input asks: nothing of its to
         * judge (conform says SKIP of the same cell). */
        sd_set_error(why, why_len, "%s cannot run this configuration: %s", stack_name, ds);
        return SD_STACK_UNJUDGED;
    }
    if (is_broken(stack->kind)) {
        sd_set_error(why, why_len, "%s %s", stack_name, ds);
        return SD_STACK_CRASH;
    }
    /* A verdict scores only what was tested. The trace plays the
     * references' choices: a stack that answered an honest message
     * otherwise (another group, a HelloRetryRequest, a ticket more), or
     * ended before the driver's first dishonest action, went off course
     * before the input's point, and the RFCs may well allow what it did. */
    bool off_course = first_deviation == SD_STEP_WHOLE_RUN
                          ? stack->kind == SD_OUTCOME_DEVIATED
                          : stack->reached < first_deviation ||
                                (stack->kind == SD_OUTCOME_DEVIATED && stack->step <= first_deviation);
    if (off_course) {
        sd_set_error(why, why_len, "%s went off course before the first dishonest step (%s): %s", stack_name,
                     first_deviation == SD_STEP_WHOLE_RUN ? "none: an honest trace" : "step", ds);
        return SD_STACK_UNJUDGED;
    }
    if (is_broken(model->kind) || is_broken(boringssl->kind)) {
        /* No reference to hold the stack to: the two-party oracle owns
         * this input. */
        sd_set_error(why, why_len, "a reference did not run: model %s; boringssl %s",
                     sd_outcome_kind_name(model->kind), sd_outcome_kind_name(boringssl->kind));
        return SD_STACK_UNJUDGED;
    }
    char wm[400], wb[400];
    sd_divergence dm = sd_compare_named(stack, stack_name, model, "model", wm, sizeof wm);
    sd_divergence db = sd_compare_named(stack, stack_name, boringssl, "boringssl", wb, sizeof wb);
    if (dm == SD_DIV_SAME || db == SD_DIV_SAME) return SD_STACK_AGREES;
    if (dm == SD_DIV_UNCOMPARED || db == SD_DIV_UNCOMPARED) {
        /* Not given the input a reference was: it differs from both only
         * if it can be held to both. */
        sd_set_error(why, why_len, "%s", dm == SD_DIV_UNCOMPARED ? wm : wb);
        return SD_STACK_UNJUDGED;
    }
    if (dm != SD_DIV_DIVERGES || db != SD_DIV_DIVERGES) {
        /* Refused as one reference did, only with another alert or at
         * another step. */
        sd_set_error(why, why_len, "%s", dm == SD_DIV_ALERT_DIFFERS ? wm : wb);
        return SD_STACK_ALERT_DIFFERS;
    }
    /* It differs from both references, in what it accepted or in what it
     * claims. Proceeding where both refused comes first: that is where an
     * authentication skipped or a message taken that the RFCs forbid
     * shows. */
    bool rs = is_refusal(stack->kind), rm = is_refusal(model->kind), rb = is_refusal(boringssl->kind);
    if (!rs && rm && rb) {
        sd_set_error(why, why_len, "%s proceeded where both references refused: %s; %s", stack_name, wm, wb);
        return SD_STACK_ACCEPTS;
    }
    if (rs && !rm && !rb) {
        sd_set_error(why, why_len, "%s refused where both references proceeded: %s; %s", stack_name, wm, wb);
        return SD_STACK_REFUSES;
    }
    sd_set_error(why, why_len, "%s differs from both references: %s; %s", stack_name, wm, wb);
    return SD_STACK_DIVERGES;
}

/* --- Known differences ----------------------------------------------------- */

void sd_known_differences_free(sd_known_differences *kd) {
    free(kd->items);
    kd->items = NULL;
    kd->n = 0;
}

/* Copies [b, e) trimmed of blanks into dst; false if empty or too long. */
static bool copy_field(char *dst, size_t cap, const char *b, const char *e) {
    while (b < e && (*b == ' ' || *b == '\t')) b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
    size_t n = (size_t)(e - b);
    if (n == 0 || n >= cap) return false;
    memcpy(dst, b, n);
    dst[n] = '\0';
    return true;
}

static const char *skip_blank(const char *p, const char *e) {
    while (p < e && (*p == ' ' || *p == '\t')) p++;
    return p;
}

static const char *skip_word(const char *p, const char *e) {
    while (p < e && *p != ' ' && *p != '\t') p++;
    return p;
}

/* Finds " -- " (the separator must stand alone, so "--" inside a word, or a
 * glob, is not one). */
static const char *find_separator(const char *p, const char *e) {
    for (; p + 2 <= e; p++) {
        if (p[0] == '-' && p[1] == '-' && (p[-1] == ' ' || p[-1] == '\t') &&
            (p + 2 == e || p[2] == ' ' || p[2] == '\t'))
            return p;
    }
    return NULL;
}

bool sd_known_differences_parse(const char *name, const char *text, size_t len, sd_known_differences *out,
                                char *err, size_t err_len) {
    out->n = 0;
    out->items = NULL;
    size_t cap = 0;
    const char *p = text, *end = text + len;
    int line = 0;
    while (p < end) {
        line++;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        const char *b = skip_blank(p, eol), *e = eol;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
        p = eol < end ? eol + 1 : end;
        if (b == e || *b == '#') continue;
        if (memchr(b, '\0', (size_t)(e - b))) {
            sd_set_error(err, err_len, "%s:%d: NUL byte in line", name, line);
            goto fail;
        }

        sd_known_difference d;
        memset(&d, 0, sizeof d);
        d.line = line;
        const char *w1e = skip_word(b, e);
        const char *w2b = skip_blank(w1e, e), *w2e = skip_word(w2b, e);
        const char *sep = w2e < e ? find_separator(w2e, e) : NULL;
        if (w2b == w2e) {
            sd_set_error(err, err_len,
                         "%s:%d: expected '<scenario-id-or-signature-glob> <stack> <what differs> -- <RFC "
                         "reasoning>'",
                         name, line);
            goto fail;
        }
        if (!sep) {
            sd_set_error(err, err_len, "%s:%d: missing ' -- ' before the RFC reasoning", name, line);
            goto fail;
        }
        if (!copy_field(d.pattern, sizeof d.pattern, b, w1e)) {
            sd_set_error(err, err_len, "%s:%d: pattern too long (max %zu)", name, line, sizeof d.pattern - 1);
            goto fail;
        }
        if (!copy_field(d.stack, sizeof d.stack, w2b, w2e)) {
            sd_set_error(err, err_len, "%s:%d: stack name too long (max %zu)", name, line,
                         sizeof d.stack - 1);
            goto fail;
        }
        if (!copy_field(d.what, sizeof d.what, w2e, sep)) {
            sd_set_error(err, err_len, "%s:%d: say what differs (1..%zu characters) before ' -- '", name,
                         line, sizeof d.what - 1);
            goto fail;
        }
        if (!copy_field(d.reason, sizeof d.reason, sep + 2, e)) {
            sd_set_error(err, err_len, "%s:%d: give the RFC reasoning (1..%zu characters) after ' -- '", name,
                         line, sizeof d.reason - 1);
            goto fail;
        }
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            sd_known_difference *items = realloc(out->items, ncap * sizeof *items);
            if (!items) {
                sd_set_error(err, err_len, "%s:%d: out of memory", name, line);
                goto fail;
            }
            out->items = items;
            cap = ncap;
        }
        out->items[out->n++] = d;
    }
    return true;
fail:
    sd_known_differences_free(out);
    return false;
}

bool sd_known_differences_load(const char *path, sd_known_differences *out, char *err, size_t err_len) {
    out->n = 0;
    out->items = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        sd_set_error(err, err_len, "%s: %s", path, strerror(errno));
        return false;
    }
    /* The file is reviewed by hand and small; 1 MiB is far beyond any sane
     * size and keeps a wrong path (a device, a huge file) harmless. */
    enum { MAX = 1 << 20 };
    char *text = malloc(MAX);
    if (!text) {
        fclose(f);
        sd_set_error(err, err_len, "%s: out of memory", path);
        return false;
    }
    size_t n = fread(text, 1, MAX, f);
    bool too_big = n == MAX && fgetc(f) != EOF;
    bool read_err = ferror(f);
    fclose(f);
    bool ok = false;
    if (read_err) {
        sd_set_error(err, err_len, "%s: read error", path);
    } else if (too_big) {
        sd_set_error(err, err_len, "%s: larger than 1 MiB", path);
    } else {
        ok = sd_known_differences_parse(path, text, n, out, err, err_len);
    }
    free(text);
    return ok;
}

const sd_known_difference *sd_known_differences_match(const sd_known_differences *kd, const char *id,
                                                      const char *stack) {
    for (size_t i = 0; i < kd->n; i++) {
        const sd_known_difference *d = &kd->items[i];
        if (fnmatch(d->pattern, id, 0) == 0 && fnmatch(d->stack, stack, 0) == 0) return d;
    }
    return NULL;
}
