/* inprocess_shim_target.h — the shim stacks whose stack part this build
 * links, run in this process beside the model and BoringSSL (for fuzzing
 * a third stack with coverage of its own code): "wolfssl-inprocess",
 * "mbedtls-inprocess", "gnutls-inprocess". Each is configured and answers
 * exactly as its shim ("wolfssl", ...; docs/shim-contract.md, "Stacks in
 * process"). OpenSSL has none: its libssl clashes with BoringSSL's. */
#ifndef SHAKEDOWN_STACKS_INPROCESS_SHIM_TARGET_H
#define SHAKEDOWN_STACKS_INPROCESS_SHIM_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/target.h"

/* Defined when the build has the stack (its Debian dev package; always
 * with scripts/install-deps.sh); find them by name with sd_target_find. */
extern const sd_target_ops sd_target_wolfssl_inprocess;
extern const sd_target_ops sd_target_mbedtls_inprocess;
extern const sd_target_ops sd_target_gnutls_inprocess;
/* The ones this build has, NULL-terminated. */
extern const sd_target_ops *const sd_inprocess_shim_targets[];

/* True if every OpenSSL name that libwolfssl exports as well resolves to
 * BoringSSL's definition in this process (see the .c file); else false
 * and err names the first that does not. Every create() of an in-process
 * stack checks it once a process. */
bool sd_inprocess_symbols_check(char *err, size_t err_len);

#endif
