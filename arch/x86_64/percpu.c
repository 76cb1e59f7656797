/*
 * percpu.c - the per-CPU areas and the GS base that reaches them.
 *
 * Each CPU's GS base points at its own struct percpu (asm/percpu.h), whose
 * first field points back at itself, so this_cpu() is one gs-relative load.
 * The boot CPU is set up first thing in arch_early_init() (setup.c); the
 * GDT, TSS and IST stacks that are also per CPU live in gdt.c.
 */
#define pr_fmt(fmt) "percpu: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/printk.h>
#include <asm/cpu.h>
#include <asm/percpu.h>

struct percpu percpu_areas[NR_CPUS] __aligned(64);

void percpu_init_cpu(unsigned int cpu)
{
	struct percpu *p;

	if (cpu >= NR_CPUS)
		cpu = 0; /* cannot report yet: printk needs a per-CPU area */
	p = &percpu_areas[cpu];
	p->self = p;
	p->cpu_id = cpu;
	p->irq_depth = 0;
	wrmsr(MSR_GS_BASE, (u64)p);
}
