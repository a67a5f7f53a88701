/* shim_args.h — the argument vector of a shim stack for an sd_target_config
 * (docs/shim-contract.md, "Starting"): the one way a shim stack is
 * configured, whether its stack part runs in a shim process
 * (stacks/shim_target.c hands the vector to execve, or to a RESET frame)
 * or in this one (stacks/inprocess_shim_target.c parses it with the
 * shim's own parser, shim_parse_args in shim/shim_stack.h). */
#ifndef SHAKEDOWN_STACKS_SHIM_ARGS_H
#define SHAKEDOWN_STACKS_SHIM_ARGS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/target.h"
#include "util/util.h"

/* The fd a shim program finds its socket on (--fd), which the vector
 * names; a stack part run in process has no socket and ignores it. */
#define SD_SHIM_FD 3

typedef struct {
    /* argv[0] is the program, argv[argc] NULL; the strings live in this
     * struct (or are constants) until sd_shim_args_free. */
    const char *argv[64];
    int argc;
    char cert[PATH_MAX], key[PATH_MAX], trust[PATH_MAX], crl[PATH_MAX], crl_issuer[PATH_MAX];
    char now[32], groups[512], ciphers[1024], sigalgs[512], max_early[16], max_fragment[8], record_limit[8],
        fd[16];
    char *reply_hex, *session_hex, *early_hex; /* bytes in hex: argv cannot carry every byte */
} sd_shim_args;

/* Fills *a with program prog's arguments for cfg. False, with err filled,
 * if a shim cannot be configured so: err->unsupported for what the
 * contract has no flag for (ALPN, certificate compression, ...) and for a code point the shims know by no name. */
SD_MUST_CHECK bool sd_shim_args_build(sd_shim_args *a, const char *prog, const sd_target_config *cfg,
                                      sd_target_error *err);
void sd_shim_args_free(sd_shim_args *a);

/* The arguments one a line, NUL-terminated (malloc'd; NULL if out of
 * memory): what tells a server's kept stack of several connections that a
 * new target of the run is configured as it was. */
char *sd_shim_args_join(const sd_shim_args *a);

/* A server kept between the connections of a run (a shim process, or a
 * stack part in process) is known again by a token that the run's session
 * cache holds, under name and keyed by the stack: a cache without it
 * (another run's, even one at the same address) never gets that server.
 * sd_shim_token_new: a token no earlier call of this process gave. */
uint64_t sd_shim_token_new(void);
SD_MUST_CHECK bool sd_shim_token_put(struct sd_session_cache *cache, const char *name, const char *stack,
                                     uint64_t token);
/* True if cache holds token under (name, stack); it is removed then. */
bool sd_shim_token_take(struct sd_session_cache *cache, const char *name, const char *stack, uint64_t token);

#endif
