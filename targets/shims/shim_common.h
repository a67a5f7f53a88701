/* shim_common.h — the shim programs' side of the shim contract
 * (docs/shim-contract.md): argv, framing and the main loop every shim
 * shares, so that a shim program is one stack part (a shim_stack,
 * harness/shim/shim_stack.h) and a main() that hands it to shim_main.
 *
 * Plain C11 + POSIX, no shakedown dependencies but the bottom layer,
 * harness/shim: the stack parts, the connection's memory queues, the
 * options, and shim_protocol.h/.c, the frames and the names of groups and
 * suites that the harness side (harness/stacks/shim_target.c) shares. A
 * stack maintainer can copy these files to write a shim for their own
 * stack. */
#ifndef SHAKEDOWN_SHIM_COMMON_H
#define SHAKEDOWN_SHIM_COMMON_H

#include "shim/shim_stack.h"

/* The whole program: parses argv, speaks the protocol on --fd, returns the
 * exit code. */
int shim_main(int argc, char **argv, const shim_stack *stack);

#endif
