/*
 * asm/arch_impl.h (x86_64 kernel) - the kernel's side of the arch seam
 * declared in include/labyrinth/arch.h. The host's side is
 * tests/host/include/asm/arch_impl.h.
 */
#ifndef ASM_ARCH_IMPL_H
#define ASM_ARCH_IMPL_H

#include <labyrinth/types.h>
#include <asm/cpu.h>
#include <asm/percpu.h>

static inline unsigned long arch_irq_save(void)
{
	unsigned long flags = read_rflags();

	cli();
	return flags;
}

static inline void arch_irq_restore(unsigned long flags)
{
	if (flags & RFLAGS_IF)
		sti();
}

static inline bool arch_irqs_disabled(void)
{
	return !(read_rflags() & RFLAGS_IF);
}

static inline void arch_cpu_relax(void)
{
	cpu_pause();
}

static inline u64 arch_cycles(void)
{
	return rdtsc();
}

static inline unsigned int arch_cpu_id(void)
{
	return this_cpu_id();
}

static inline void *arch_this_cpu_mm(void)
{
	return this_cpu_mm();
}

static inline void arch_set_cpu_mm(unsigned int cpu, void *row)
{
	percpu_areas[cpu].mm = row;
}

static inline bool arch_in_irq(void)
{
	return this_cpu_irq_depth() != 0;
}

unsigned int arch_phys_bits(void);

/* Kernel only (the host has no idle loop): for kernel/idle.c. */
static inline void arch_local_irq_enable(void)
{
	sti();
}

static inline void arch_local_irq_disable(void)
{
	cli();
}

/* Interrupts off, halted for good (an NMI only passes through): a CPU the
 * others took offline parks itself here (kernel/smp.c). */
static inline __attribute__((noreturn)) void arch_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

/* sti's one-instruction shadow: an interrupt arriving between the two
 * still wakes the hlt, so a wake-up checked for with interrupts off is
 * never lost (Linux's native_safe_halt()). */
static inline void arch_safe_halt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

#endif
