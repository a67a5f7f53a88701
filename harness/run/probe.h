/* probe.h — what a stack over TCP is set up for, learnt before the run.
 *
 * A stack in process is configured for each scenario; a server or a client
 * over TCP runs as its program was started, with its own versions, suites,
 * certificate, client-authentication policy and application behaviour.
 * Before `conform --connect` or `--listen` runs its scenarios, a few honest
 * handshakes ask the peer what it does (the way tlsfuzzer starts with a
 * sanity conversation and TLS-Anvil with feature extraction), and a
 * scenario that needs something the peer lacks is SKIP with the reason,
 * instead of failing, or going off course, for a reason that has nothing to
 * do with what it tests.
 *
 * What is asked, and only when a scenario of the set needs the answer:
 *  - a server: each TLS version and each cipher suite the scenarios pin;
 *    whether it asks for a client certificate, and whether it goes on
 *    without one (requests) or refuses (requires); whether it verifies a
 *    client certificate (one from an unknown CA); which application
 *    behaviour it has (HTTP, echo or none), unless --app said so; and,
 *    for the scenarios of several connections, whether it resumes a
 *    session (each way the scenarios resume) and accepts 0-RTT.
 *  - a client: its ClientHello (versions, suites, groups and signature
 *    schemes it offers); whether it shows a certificate when asked; and
 *    whether it checks the server's chain, its name and its revocation
 *    status (a certificate from an unknown CA, one for another name, one
 *    the fixture's CRL lists); and, for the scenarios of several
 *    connections when it can be handed its session (--client-resume-cmd),
 *    whether it offers the session again (each way the scenarios resume).
 * The honest handshakes also give the TCP target its first round-trip
 * samples, so the quiet window fits the peer before the first scenario. */
#ifndef SHAKEDOWN_RUN_PROBE_H
#define SHAKEDOWN_RUN_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/pki.h"
#include "protocol/target.h"
#include "trace/trace.h"
#include "wire/bytes.h"

#define SD_PROBE_MAX_LIST 64

/* One yes/no answer of the probe. UNKNOWN: not asked (no scenario of the
 * set needed it) or the probe could not tell (the honest handshake it rests
 * on failed): a scenario is never skipped for an unknown. */
typedef enum { SD_PROBE_UNKNOWN = 0, SD_PROBE_YES, SD_PROBE_NO } sd_probe_answer;

typedef struct {
    sd_role role;     /* of the peer under test */
    bool done;        /* a probe ran; false: nothing is known and nothing skipped */
    bool reachable;   /* at least one honest handshake got an answer from the peer */
    bool refused_all; /* a server that answered, but refused every version: then no version is skipped */
    sd_probe_answer tls13, tls12;
    /* The suites asked about and the answers (server); for a client, the
     * suites its ClientHello offers, each answered YES. */
    uint16_t suites[SD_PROBE_MAX_LIST];
    sd_probe_answer suite_ok[SD_PROBE_MAX_LIST];
    size_t n_suites;
    /* A client that offers a version below TLS 1.2 (supported_versions, or
     * legacy_version without it), so that a ServerHello choosing TLS 1.1 is
     * one it may take: the scenarios tagged old-version need NO. */
    sd_probe_answer offers_old_version;
    /* A client's offer, from its ClientHello. */
    uint16_t groups[SD_PROBE_MAX_LIST], sigalgs[SD_PROBE_MAX_LIST];
    size_t n_groups, n_sigalgs;
    /* Server: asks for a client certificate at all, and refuses a client
     * that sends none (requires). */
    sd_probe_answer asks_certificate, requires_certificate;
    /* Server: refuses a client certificate from an unknown CA. Client:
     * refuses a server certificate from an unknown CA (chain), for another
     * name (name), or revoked by the fixture's CRL (revocation). */
    sd_probe_answer checks_chain, checks_name, checks_revocation;
    /* Client: answers a CertificateRequest with a certificate. */
    sd_probe_answer shows_certificate;
    /* Asked only when scenarios of several connections need it: the peer
     * resumes, in a second connection, the session of the first, by a TLS
     * 1.3 ticket (RFC 8446 §2.2), a TLS 1.2 session id (RFC 5246 §7.4.1.2)
     * or a TLS 1.2 ticket (RFC 5077 §3.1); and a server accepts 0-RTT with
     * its ticket (RFC 8446 §4.2.10). A server over TCP keeps these as its
     * program was started (openssl s_server -no_ticket, -early_data); a
     * client, as its resume command hands it the session (a client that
     * offered it and then failed is not known). */
    sd_probe_answer resumes13, resumes12_id, resumes12_ticket, accepts_early_data;
    /* What the server does with application data, found by trying (-1:
     * not probed, --app decides). */
    int app;
    /* The negotiated parameters of the first honest handshake, for the
     * summary. */
    uint16_t version, cipher_suite, group;
    double round_trip_ms; /* the quiet window after the probe */
    unsigned connections; /* how many the probe used */
} sd_peer_profile;

/* Probes the peer of `stack` (the tcp target, set up) in `role` for what
 * the `n` scenarios of that role need. detect_app: try HTTP, echo and none
 * in turn when a handshake completes but the data exchange after it does
 * not (a server; --app not given). `progress`, if not NULL, gets a line per
 * question asked. Never fails: what it cannot learn stays UNKNOWN. */
void sd_probe_peer(const sd_target_ops *stack, sd_role role, const sd_scenario *scenarios, size_t n,
                   const sd_pki *pki, int64_t now, uint64_t seed, bool detect_app, sd_peer_profile *out);

/* Whether the scenario needs something the profile says the peer lacks;
 * if so, writes the reason (for the SKIP's why) and returns true. A
 * profile of the other role, or one not done, lacks nothing. */
bool sd_peer_profile_lacks(const sd_peer_profile *p, const sd_scenario *s, char *why, size_t len);

/* The profile in a few lines of text, for the terminal and the reports:
 * what the peer does, then what it lacks and what that will skip. */
void sd_peer_profile_describe(const sd_peer_profile *p, sd_buf *out);

#endif
