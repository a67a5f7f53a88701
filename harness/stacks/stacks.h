/* stacks.h — the stacks this build can run, by name: the in-process ones
 * (the model, BoringSSL) always, each shim stack when its shim was built
 * (stacks/shim_target.h), and the TCP stack of `--connect` / `--listen`
 * (stacks/tcp_target.h), which is configured rather than looked up. */
#ifndef SHAKEDOWN_STACKS_STACKS_H
#define SHAKEDOWN_STACKS_STACKS_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/target.h"

/* The in-process stacks. */
extern const sd_target_ops sd_target_model;
extern const sd_target_ops sd_target_boringssl;

/* Looks up a stack by name ("model", "boringssl", a shim stack whose shim
 * exists, a shim stack in process that the build links:
 * stacks/inprocess_shim_target.h); NULL if unknown. */
const sd_target_ops *sd_target_find(const char *name);
/* NULL-terminated list of the in-process stack names, for --help and defaults. */
extern const char *const sd_target_names[];

/* Every stack this build can run: the in-process ones, then each shim that
 * exists, then the shim stacks in process. Fills up to max entries, returns how many there are. */
size_t sd_target_list_available(const sd_target_ops **out, size_t max);

#endif
