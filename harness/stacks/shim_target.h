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
 * "mbedtls", "go" (Go's crypto/tls, a Go program: targets/shims/go), "botan"
 * (Botan 2, a C++ program: targets/shims/shim_botan.cpp), "jsse" (Java's
 * JSSE, a Java program: targets/shims/java). */
extern const sd_target_ops sd_target_openssl;
extern const sd_target_ops sd_target_gnutls;
extern const sd_target_ops sd_target_wolfssl;
extern const sd_target_ops sd_target_mbedtls;
extern const sd_target_ops sd_target_go;
extern const sd_target_ops sd_target_botan;
extern const sd_target_ops sd_target_jsse;
extern const sd_target_ops *const sd_shim_targets[]; /* NULL-terminated */

/* Where the shim of stack is: $SHAKEDOWN_SHIM_DIR, else next to the running
 * program, else the build directory. False if it is nowhere (not built). */
bool sd_shim_path(const char *stack, char *out, size_t out_len);

/* Per-exchange time limit for shims, in ms: $SHAKEDOWN_SHIM_TIMEOUT_MS, else
 * 10000. A shim that does not answer a frame within it is killed: HANG. */
int sd_shim_timeout_ms(void);

/* Whether shims run many runs each (docs/shim-contract.md, "Persistent
 * shims"): $SHAKEDOWN_SHIM_MODE, "persistent" (or unset: the default) or
 * "process" (any other value: "process", the mode every shim supports). In
 * the persistent mode a shim that can reset is kept, idle, when its run is
 * over and reset for the next run of its stack in this process; a shim
 * that cannot, and every shim in the "process" mode, serves one run. */
bool sd_shim_persistent(void);

/* Kills this process's idle shims (and the one kept between two
 * connections of a run), so that the next run of every stack starts a
 * process: for tests and benchmarks that compare the modes. */
void sd_shim_pool_clear(void);

#endif
