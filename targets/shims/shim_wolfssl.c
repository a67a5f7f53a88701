/* shim_wolfssl.c — the wolfSSL shim program: its stack part
 * (harness/shim/shim_wolfssl.c, also run in process by the wolfssl-inprocess
 * target) behind shim_main. */
#include "shim_common.h"

int main(int argc, char **argv) { return shim_main(argc, argv, &shim_stack_wolfssl); }
