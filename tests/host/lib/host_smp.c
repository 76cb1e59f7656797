/*
 * host_smp.c - the host's side of include/labyrinth/smp.h for generic code:
 * which "CPUs" (threads, tests/host/include/asm/arch_impl.h) are online,
 * and an "IPI" that runs a function on every other online CPU by borrowing
 * the calling thread (those CPUs' threads must be parked meanwhile, as in
 * tests/host/test_pcp.c). The kernel's side is kernel/smp.c.
 */
#include <labyrinth/arch.h>
#include <labyrinth/smp.h>

unsigned long cpu_online_mask = 1; /* CPU 0 alone until a test says more */
unsigned long host_ipi_count;

int smp_call_function(smp_call_func_t fn, void *arg, bool wait)
{
	unsigned int me = arch_cpu_id(), cpu;

	(void)wait;
	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		if (cpu == me || !cpu_online(cpu))
			continue;
		host_set_cpu(cpu);
		host_set_in_irq(true);
		fn(arg);
		host_set_in_irq(false);
		host_ipi_count++;
	}
	host_set_cpu(me);
	return 0;
}

/* One CPU's "IPI", the same way: the calling thread runs fn as that CPU. */
int smp_call_function_single(unsigned int cpu, smp_call_func_t fn, void *arg, bool wait)
{
	unsigned int me = arch_cpu_id();

	(void)wait;
	if (cpu != me && !cpu_online(cpu))
		return -1;
	host_set_cpu(cpu);
	host_set_in_irq(cpu != me);
	fn(arg);
	host_set_in_irq(false);
	host_set_cpu(me);
	return 0;
}
