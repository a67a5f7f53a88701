/* claims.h — the security-claim check of the differential oracle.
 *
 * sd_compare only sees where the model and BoringSSL differ: when both
 * complete a handshake with a certificate that should have been refused,
 * nothing differs and nothing is flagged. This check holds each side on
 * its own to what the fixture PKI says of the credential it was shown:
 * every fixture carries a label stated where it is made (claims.txt,
 * written by corpus/pki/make_pki.c from its table kClaims), saying whether
 * a verifying peer must accept it or refuse it (and with which alerts).
 * The labels come from the RFCs, never from a verifier, so the model is
 * held to them as much as BoringSSL.
 *
 * A side has accepted a defective credential when
 *   - it verifies its peer: a client always; a server only when it was set
 *     up to ask for a client certificate (outcome.configured_client_auth);
 *   - the driver showed it, in a Certificate the trace did not alter (no
 *     mutation but the choice of credential, `cert=`, and the record
 *     framing, `split=` and `record-version=`), a credential (with the
 *     OCSP response stapled to it, if any) that claims.txt labels `refuse`;
 *     for a defect outside the chain (refuse-signature: key-mismatch), the
 *     driver's signatures were also left as the credential's key makes
 *     them (no mutation on CertificateVerify or ServerKeyExchange);
 *   - no raw bytes of the driver's could have stood in for that
 *     Certificate (a raw handshake record starting with a Certificate);
 *   - and it completed the handshake: a client at all, a server that
 *     required the certificate at all, a server that only requested it
 *     when it also claims the peer authenticated (RFC 8446 §4.4.2.4: a
 *     server "MAY at its discretion either continue the handshake
 *     (considering the client unauthenticated) or abort").
 * The finding's signature (sd_claim_signature) has its own kind,
 *     <target>:claim:accepted-defective-credential(<defect>):by=<stack>:tls13-client:shown=<fixture>
 * and is reported whether or not the other side did the same;
 * known_differences.txt entries name it with the stack that deviates. */
#ifndef SHAKEDOWN_ORACLE_CLAIMS_H
#define SHAKEDOWN_ORACLE_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>

#include "driver/outcome.h"
#include "util/util.h"

/* One line of claims.txt:
 *     <fixture> <shown-by> <verdict> <defect> -- <rule>
 * fixture: a credential, or "<credential>+<stapled response>"; shown-by:
 * server or client; verdict: accept, refuse:<alert>|..., or
 * refuse-signature:<alert>|... . */
typedef struct {
    char fixture[96];
    bool shown_by_server;
    bool refuse;
    bool signature_defect; /* refuse-signature: the defect is in what the key signs */
    char alerts[128];      /* "unsupported_certificate|bad_certificate"; empty for accept */
    char defect[48];
    char rule[400];
    int line;
} sd_claim_label;

typedef struct {
    size_t n;
    sd_claim_label *items; /* owned */
} sd_claim_labels;

/* Parses the text of a claims.txt (name is for messages). On error returns
 * false, leaves out empty and writes "name:line: message" into err. */
SD_MUST_CHECK bool sd_claim_labels_parse(const char *name, const char *text, size_t len, sd_claim_labels *out,
                                         char *err, size_t err_len);
/* Loads <pki_dir>/claims.txt. */
SD_MUST_CHECK bool sd_claim_labels_load(const char *pki_dir, sd_claim_labels *out, char *err, size_t err_len);
void sd_claim_labels_free(sd_claim_labels *labels);
/* The label of fixture as shown by that side; NULL if there is none. */
const sd_claim_label *sd_claim_label_find(const sd_claim_labels *labels, const char *fixture,
                                          bool shown_by_server);

/* A defective credential a side accepted. */
typedef struct {
    const sd_claim_label *label;
    char shown[96]; /* the fixture as shown: "ca-as-leaf", "leaf+ocsp-leaf-wrong-serial" */
    int step;       /* the trace action that sent its Certificate */
} sd_claim_violation;

/* Whether outcome o (of either stack) accepted a credential labels say it
 * must refuse (the rules above). Fills *out when it did. */
SD_MUST_CHECK bool sd_claim_check(const sd_claim_labels *labels, const sd_outcome *o,
                                  sd_claim_violation *out);

/* The finding's signature, one word:
 *     fuzz_trace:claim:accepted-defective-credential(ca-leaf):by=model:tls13-client:shown=ca-as-leaf */
void sd_claim_signature(const char *target, const char *stack, const sd_outcome *o,
                        const sd_claim_violation *v, char *out, size_t out_len);

/* One sentence for people: "the model completed the handshake after being
 * shown ca-as-leaf (step 3), which a verifying client must refuse
 * (unsupported_certificate|bad_certificate): <rule>". */
void sd_claim_describe(const char *stack, const sd_outcome *o, const sd_claim_violation *v, char *out,
                       size_t out_len);

#endif
