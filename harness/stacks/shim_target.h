/* shim_target.h — stacks in their own process (shims) and over TCP, and the
 * stacks/stacks.h lists every stack this build can run.
 *
 * A shim stack is registered (sd_target_find finds it) only when its shim
 * executable exists: built because the stack's dev package was present. */
#ifndef SHAKEDOWN_STACKS_SHIM_TARGET_H
#define SHAKEDOWN_STACKS_SHIM_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/target.h"

/* One per shim (docs/shim-contract.md); names "openssl", "gnutls", "wolfssl",
 * "mbedtls", "go" (Go's crypto/tls, a Go program: targets/shims/go). */
extern const sd_target_ops sd_target_openssl;
extern const sd_target_ops sd_target_gnutls;
extern const sd_target_ops sd_target_wolfssl;
extern const sd_target_ops sd_target_mbedtls;
extern const sd_target_ops sd_target_go;
extern const sd_target_ops *const sd_shim_targets[]; /* NULL-terminated */

/* Where the shim of stack is: $SHAKEDOWN_SHIM_DIR, else next to the running
 * program, else the build directory. False if it is nowhere (not built). */
bool sd_shim_path(const char *stack, char *out, size_t out_len);

/* Per-exchange time limit for shims, in ms: $SHAKEDOWN_SHIM_TIMEOUT_MS, else
 * 2000. A shim that does not answer a frame within it is killed: HANG. */
int sd_shim_timeout_ms(void);

#endif
