/* shim_protocol.h — what the harness and a shim program share
 * (docs/shim-contract.md): the frames they exchange and the names of the
 * groups, cipher suites and signature schemes a shim may be asked for.
 *
 * Plain C11, no shakedown dependencies: the bottom layer (harness/shim),
 * which the shim programs in targets/shims link with their own stack,
 * never the rest of the harness. */
#ifndef SHAKEDOWN_SHIM_SHIM_PROTOCOL_H
#define SHAKEDOWN_SHIM_SHIM_PROTOCOL_H

#include <stdint.h>

/* ---- The wire protocol between harness and shim ----------------------------
 * Every frame: u8 type, u32 length (big-endian), length bytes of payload. */
enum {
    SHIM_FRAME_START = 1,   /* harness→shim, empty: a client sends its first flight */
    SHIM_FRAME_DATA = 2,    /* both ways: TLS bytes (from the peer / for the peer) */
    SHIM_FRAME_STATUS = 3,  /* shim→harness: key=value lines, ends every reply */
    SHIM_FRAME_EXPORT = 4,  /* harness→shim: u16 length, label; answered with DATA
                            * carrying the exporter's bytes (none if it cannot) */
    SHIM_FRAME_CLOSE = 5,   /* harness→shim, empty: send close_notify now (once the
                            * handshake is done); answered with DATA and STATUS */
    SHIM_FRAME_NEXT = 6,    /* harness→shim, empty: the connection is over; begin a new
                            * one on the same stack context (session cache, ticket
                            * keys); answered with the STATUS of the new one */
    SHIM_FRAME_SESSION = 7, /* harness→shim, empty: answered with DATA holding the
                             * stack's serialized session (none if it has no
                             * resumable one), then STATUS */
    SHIM_FRAME_RESET = 8,   /* harness→shim: a new run from a clean state, as after
                             * exec; payload: the arguments after the program
                             * name, each NUL-terminated; answered with the first
                             * STATUS of the run (only to a shim whose STATUS
                             * said reset=1) */
};
#define SHIM_FRAME_HEADER_LEN 5
/* Far above any flight; a bigger frame is a protocol error, not a reason to
 * allocate without bound. */
#define SHIM_MAX_FRAME ((uint32_t)1 << 24)
/* EXPORT: the longest label and output a shim must honour. */
#define SHIM_MAX_EXPORT_LABEL 255
#define SHIM_MAX_EXPORT_LEN 1024
/* --app-reply-hex: the longest reply, one record's worth. */
#define SHIM_MAX_APP_REPLY 16384
/* SESSION's answer and --resume-session-hex: the longest serialized session
 * (a ticket of up to 2^16-1 bytes would not fit, but no stack here makes
 * one over a few KiB); its hex must fit in one argv string (128 KiB). */
#define SHIM_MAX_SESSION 32768
/* --early-data-hex: the longest 0-RTT a client sends, and the largest
 * --max-early-data a server takes: one record's worth of plaintext (RFC 8446
 * §5.1), above the harness's own SD_EARLY_DATA_MAX (14336). */
#define SHIM_MAX_EARLY_DATA 16384

/* TLS version numbers as on the wire. */
#define SHIM_TLS12 0x0303
#define SHIM_TLS13 0x0304

/* IANA names ↔ code points for the groups and cipher suites a shim may be
 * asked for (--groups, --ciphers). 0 if unknown. */
uint16_t shim_group_id(const char *name);
const char *shim_group_name(uint16_t id);
uint16_t shim_cipher_id(const char *name);
const char *shim_cipher_name(uint16_t id);
/* IANA SignatureScheme names (RFC 8446 §4.2.3) ↔ code points (--sigalgs).
 * 0 if unknown. */
uint16_t shim_sigalg_id(const char *name);
const char *shim_sigalg_name(uint16_t id);

#endif
