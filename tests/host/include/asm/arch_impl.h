/*
 * asm/arch_impl.h (host) - the host's side of the arch seam declared in
 * include/labyrinth/arch.h, so the real mm/ code runs in a test process.
 *
 * A "CPU" is a thread: host_set_cpu() gives the calling thread its CPU
 * index. "Interrupts" are a per-thread flag that arch_irq_save() clears; a
 * test can pretend to be in an IRQ handler with host_set_in_irq(). The
 * kernel's side is arch/x86_64/include/asm/arch_impl.h.
 */
#ifndef ASM_ARCH_IMPL_H
#define ASM_ARCH_IMPL_H

#include <sched.h>

#include <labyrinth/types.h>

struct host_cpu_state {
	unsigned int cpu;
	bool irqs_off;
	bool in_irq;
};

extern __thread struct host_cpu_state host_cpu;
extern unsigned int host_phys_bits;
/* Wait steps (arch_cpu_relax()) of all threads: a test sees that another
 * thread is spinning on a lock. */
extern unsigned long host_relax_steps;

static inline void host_set_cpu(unsigned int cpu)
{
	host_cpu.cpu = cpu;
}
static inline void host_set_in_irq(bool in)
{
	host_cpu.in_irq = in;
}

static inline unsigned long arch_irq_save(void)
{
	unsigned long was_on = !host_cpu.irqs_off;

	host_cpu.irqs_off = true;
	return was_on;
}

static inline void arch_irq_restore(unsigned long flags)
{
	host_cpu.irqs_off = !flags;
}

static inline bool arch_irqs_disabled(void)
{
	return host_cpu.irqs_off;
}
static inline bool arch_in_irq(void)
{
	return host_cpu.in_irq;
}
static inline unsigned int arch_cpu_id(void)
{
	return host_cpu.cpu;
}
extern void *host_cpu_mm[];
static inline void *arch_this_cpu_mm(void)
{
	return host_cpu_mm[host_cpu.cpu];
}
static inline void arch_set_cpu_mm(unsigned int cpu, void *row)
{
	host_cpu_mm[cpu] = row;
}
static inline unsigned int arch_phys_bits(void)
{
	return host_phys_bits;
}

/*
 * A host "CPU" is a thread the host may deschedule, e.g. while it holds a
 * ticket lock or holds the next ticket; spinning out the whole time slice
 * then makes a convoy (seconds per handoff with more threads than cores).
 * So, unlike a real CPU, every 8th wait step gives the core away.
 */
static inline void arch_cpu_relax(void)
{
	static __thread unsigned int spins;

	__atomic_add_fetch(&host_relax_steps, 1, __ATOMIC_RELAXED);
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
	if (!(++spins & 7))
		sched_yield();
}

static inline u64 arch_cycles(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	return 0;
#endif
}

#endif
