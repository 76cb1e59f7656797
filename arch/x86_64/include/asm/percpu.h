/*
 * asm/percpu.h - the per-CPU area, reached through the GS base.
 *
 * Each CPU's GS base points at its struct percpu, whose first field points
 * back at itself, so gs:0 gives the area's address in one instruction.
 * Until arch/x86_64/percpu.c has set GS (first thing in kmain), GS is 0 and
 * these must not be used; kmain sets it up for the boot CPU before anything
 * that could call them.
 */
#ifndef ASM_PERCPU_H
#define ASM_PERCPU_H

#include <labyrinth/types.h>

/*
 * Size of a CPU's kernel stack, ending at percpu->kernel_stack_top (set by
 * whoever allocates the stack; 0 = the boot stack of head64.asm).
 * arch/x86_64/stacktrace.c bounds its frame walk with it.
 */
#define KERNEL_STACK_SIZE (16 * 1024)

struct percpu {
	struct percpu *self; /* gs:0 */
	u32 cpu_id;	     /* gs:8: index, 0 = boot CPU */
	u32 irq_depth;	     /* gs:12: >0 while in a hardware interrupt handler */
	u32 apic_id;
	u32 pad;
	u64 kernel_stack_top;
	void *arch; /* arch-private per-CPU state (gdt, tss, ...) */
	void *mm;   /* the generic mm's row for this CPU (arch_this_cpu_mm()) */
};

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

static inline u32 this_cpu_id(void)
{
	u32 id;

	__asm__ volatile("movl %%gs:8, %0" : "=r"(id));
	return id;
}

static inline u32 this_cpu_irq_depth(void)
{
	u32 d;

	__asm__ volatile("movl %%gs:12, %0" : "=r"(d));
	return d;
}

/* This CPU's mm row: one gs-relative load. Not volatile: the row is set
 * once (before the fast paths that read it are switched on) and never
 * moves, so the compiler may reuse a load. */
static inline void *this_cpu_mm(void)
{
	void *p;

	__asm__("mov %%gs:%c1, %0" : "=r"(p) : "i"(__builtin_offsetof(struct percpu, mm)));
	return p;
}

extern struct percpu percpu_areas[];
void percpu_init_cpu(unsigned int cpu);

#endif
