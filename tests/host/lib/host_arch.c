/*
 * host_arch.c - state behind the host's arch seam
 * (tests/host/include/asm/arch_impl.h).
 */
#include <labyrinth/arch.h>

__thread struct host_cpu_state host_cpu;
unsigned int host_phys_bits = 46;
