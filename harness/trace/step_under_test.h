/* step_under_test.h — which action of a scenario is the one it tests.
 *
 * A scenario's verdict is only about the step it tests: a run that ended
 * before the driver carried that step out (the target refused an honest
 * message earlier, fell silent, closed, or answered something the script did
 * not plan for) did not test it, and the oracle says so ("not reached")
 * instead of scoring the earlier ending as if it answered the tested step.
 *
 * The step under test is read from the trace itself: the first action by
 * which the driver deviates from an honest peer. An honest peer sends the
 * messages of one of the handshake shapes of protocol/sequences.h, in order,
 * built from the session state; after the handshake it may send application
 * data, KeyUpdate (TLS 1.3), NewSessionTicket (a server) and close_notify. So
 * the step under test is the first of:
 *  - a send with a mutation other than the honest ones a family uses to set
 *    itself up (cert= with a good credential of the sender's role,
 *    add-ext=session_ticket on a TLS 1.2 ServerHello: RFC 5077 §3.2,
 *    body=00/01 on a TLS 1.3 KeyUpdate: RFC 8446 §4.6.3);
 *  - a handshake message (or TLS 1.2 ChangeCipherSpec) that no shape allows
 *    at that place;
 *  - send-raw, renegotiate, an alert other than close_notify at the end;
 *  - a TLS 1.3 compatibility ChangeCipherSpec out of the place RFC 8446 §5
 *    and §D.4 give it, or protected;
 *  - application data before the handshake is done, or with a record flag;
 *  - a Certificate carrying a defective fixture credential (a `credential:`
 *    header other than a good leaf, with the driver as server);
 *  - the message that carries a stapled OCSP response other than the PKI's
 *    own for the credential (a `staple:` header other than
 *    ocsp-<credential>): the TLS 1.3 Certificate, the TLS 1.2
 *    CertificateStatus.
 * A trace with none of these tests its last action that sends something.
 * `expect: complete` scenarios test their whole run: every step is the point. */
#ifndef SHAKEDOWN_TRACE_STEP_UNDER_TEST_H
#define SHAKEDOWN_TRACE_STEP_UNDER_TEST_H

#include <stdbool.h>

#include "trace/trace.h"

/* SD_STEP_WHOLE_RUN: the scenario tests its whole run (expect: complete, or
 * a trace that sends nothing); there is no earlier step to fall short of. */
#define SD_STEP_WHOLE_RUN (-1)

/* The index of the action under test, or SD_STEP_WHOLE_RUN. */
int sd_scenario_step_under_test(const sd_scenario *s);

/* The first action by which the driver deviates from an honest peer,
 * whatever the expectation (a `policy` scenario's point, say, which expects
 * `complete`), or SD_STEP_WHOLE_RUN if every action is honest. */
int sd_scenario_first_deviation(const sd_scenario *s);

#endif
