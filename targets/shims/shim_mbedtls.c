/* shim_mbedtls.c — the mbedTLS shim program: its stack part
 * (harness/shim/shim_mbedtls.c, also run in process by the mbedtls-inprocess
 * target) behind shim_main. */
#include "shim_common.h"

int main(int argc, char **argv) { return shim_main(argc, argv, &shim_stack_mbedtls); }
