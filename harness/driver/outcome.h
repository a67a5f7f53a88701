/* outcome.h — what happened in one run of a trace against one target,
 * normalised so that both oracles (differential and conformance) compare the
 * same thing. */
#ifndef SHAKEDOWN_DRIVER_OUTCOME_H
#define SHAKEDOWN_DRIVER_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SD_OUTCOME_COMPLETED, /* the target finished the handshake and the trace ran to its end */
    SD_OUTCOME_ALERT,     /* the target sent a fatal alert (or the TLS 1.2 warning a trace ended on) */
    SD_OUTCOME_CLOSED,    /* the target ended the connection without an alert */
    SD_OUTCOME_WAITING,   /* the target neither finished nor refused: it waits for more input */
    SD_OUTCOME_DEVIATED,  /* the target sent something other than what the trace expected */
    SD_OUTCOME_CRASH,
    SD_OUTCOME_HANG,
    SD_OUTCOME_HARNESS_ERROR, /* our fault, never reported as the stack's */
    SD_OUTCOME_UNSUPPORTED,   /* the stack cannot run this configuration (its create() said so, with the
                               * reason in detail): nothing ran. The last kind. */
} sd_outcome_kind;

const char *sd_outcome_kind_name(sd_outcome_kind k);

/* One message of the ladder diagram. */
typedef enum { SD_FROM_PEER = 0, SD_FROM_TARGET = 1 } sd_direction;
typedef enum {
    SD_EVENT_HANDSHAKE, /* code = handshake type */
    SD_EVENT_ALERT,     /* code = description, level = level */
    SD_EVENT_CCS,
    SD_EVENT_APPDATA,
    SD_EVENT_RAW,   /* bytes the driver sent as they were */
    SD_EVENT_CLOSE, /* transport closed */
} sd_event_kind;

typedef struct {
    sd_direction from;
    sd_event_kind kind;
    uint8_t code;
    uint8_t level;
    bool encrypted;
    bool mutated; /* the driver deviated from the protocol in this message */
    int step;     /* index of the trace action that caused or awaited it */
    /* A handshake event that is a HelloRetryRequest: code is ServerHello,
     * what it is on the wire (RFC 8446 §4.1.4), and this tells them apart. */
    bool hrr;
    /* SD_EVENT_RAW: the length of the record's payload as the trace gave it
     * (before protection), so that an empty record is told from another,
     * and its first bytes (an alert's level and description, a handshake
     * message's type). */
    uint32_t length;
    uint8_t head[2];
    /* A handshake message the driver sent: its body's length as built,
     * before the trace's mutations. It carries what the target issued (a
     * ticket, a PSK identity, the session id it echoes), so it may differ
     * between two stacks, and a mutation placed by the message's length
     * (placed_by_length: a flip at the middle or counted from the end, a
     * truncation) then hits different fields of each. */
    uint32_t honest_length;
    bool placed_by_length;
    /* A message the driver built and then mutated: bit k set for each
     * mutation of kind k (sd_mutation_kind, trace/trace.h) the trace put
     * on it and that changed something, so that a ladder says how it
     * deviated. 64 bits: every kind has one (checked in driver.c). */
    uint64_t mutations;
    /* The extension that the dup-ext, add-ext, drop-ext or flip-ext
     * mutation of the lowest kind names (valid when one of them is in
     * `mutations`). */
    uint16_t extension;
    /* A Certificate the driver sent with a credential of the fixture PKI:
     * 1 + its index in the outcome's `credentials` (0: none, an empty
     * Certificate, or more distinct credentials than the table holds). */
    uint8_t credential;
    /* A CertificateVerify or ServerKeyExchange the driver signed: 1 + the
     * index in `credentials` of the credential whose key signed it (0:
     * unknown). What a signature defect (key-mismatch) is judged by. */
    uint8_t signer;
    /* Which connection of the trace it belongs to (0: the first; trace.h,
     * SD_ACT_CONNECTION). */
    uint8_t connection;
} sd_event;

#define SD_MAX_OUTCOME_CREDENTIALS 4

#define SD_MAX_EVENTS 64

typedef struct {
    sd_outcome_kind kind;
    uint8_t alert_level;
    uint8_t alert; /* valid when kind == SD_OUTCOME_ALERT */
    int step;      /* trace action at which the run ended (-1: before the first) */
    int line;      /* script line of that action, 0 if none */
    /* The last trace action the driver carried out whole while the target
     * was still in the connection (-1: none): a send handed to a target that
     * had not given up, an expect that was answered. The oracle holds it
     * against the scenario's step under test (trace/step_under_test.h): a
     * run that stopped short of that step did not test it. */
    int reached;
    /* An honest message of the trace could not be built as the RFC has it
     * for this target (driver_state.h, not_made_why: a peer that offered no
     * signature scheme for the credential's key, say): the run did not
     * play what the scenario means, even if it completed. */
    bool honest_not_made;
    size_t n_events;
    sd_event events[SD_MAX_EVENTS];
    bool events_truncated;
    /* Of the events not recorded, how many the target sent: none means
     * the target said nothing in the part of the run the ladder lost. */
    unsigned target_events_lost;
    /* The names of the credentials the driver's Certificate messages
     * carried (sd_event.credential points here), so that a ladder says
     * which certificate a stack took or refused. */
    char credentials[SD_MAX_OUTCOME_CREDENTIALS][32];
    /* What the target negotiated and claimed. */
    bool handshake_done;
    bool peer_authenticated;
    bool resumed;        /* the last connection's handshake resumed a session (the target says) */
    uint8_t connections; /* how many connections the run began (0: it never created a target) */
    /* The target is behind a transport the driver watches (a stack over
     * TCP): whether it closed the connection is seen, not inferred. */
    bool wire_only;
    uint16_t version, cipher_suite, group;
    /* What the run was set up as: the target's role and the one version
     * both sides were configured for (the driver's configuration, not a
     * claim of the target), and the target's own range when a scenario's
     * `versions:` gave one (0 when it is pinned to configured_version).
     * The differential signature names them. */
    bool target_is_server;
    uint16_t configured_version, configured_min_version, configured_max_version;
    /* A server under test: whether it was set up to ask for a client
     * certificate (sd_client_auth, protocol/target.h: 0 none, 1 request, 2
     * require), i.e. whether it verifies its peer at all; the
     * security-claim check (oracle/claims.h) needs to know. */
    uint8_t configured_client_auth;
    double elapsed_ms;
    char detail[256]; /* human explanation: expected X got Y, the stack's error string */
} sd_outcome;

void sd_outcome_init(sd_outcome *o);
void sd_outcome_add_event(sd_outcome *o, const sd_event *e);
/* "alert decrypt_error at step 7", "completed", ... into buf. */
void sd_outcome_describe(const sd_outcome *o, char *buf, size_t len);

#endif
