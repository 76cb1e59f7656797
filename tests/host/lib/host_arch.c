/*
 * host_arch.c - state behind the host's arch seam
 * (tests/host/include/asm/arch_impl.h).
 */
#include <stdio.h>

#include <labyrinth/arch.h>
#include <labyrinth/ksyms.h>

__thread struct host_cpu_state host_cpu;
void *host_cpu_mm[NR_CPUS]; /* arch_set_cpu_mm() */
unsigned int host_phys_bits = 46;
unsigned long host_relax_steps;

/* The kernel's debug helpers, host style: an address, and no stack walk. */
int ksym_snprint(char *buf, size_t len, u64 addr)
{
	return snprintf(buf, len, "%#llx", (unsigned long long)addr);
}

void arch_dump_stack(void)
{
}
