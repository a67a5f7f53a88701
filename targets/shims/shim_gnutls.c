/* shim_gnutls.c — the GnuTLS shim program: its stack part
 * (harness/shim/shim_gnutls.c, also run in process by the gnutls-inprocess
 * target) behind shim_main. */
#include "shim_common.h"

int main(int argc, char **argv) { return shim_main(argc, argv, &shim_stack_gnutls); }
