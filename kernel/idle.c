/*
 * idle.c - what a CPU does when it has nothing else to do: the idle loop,
 * and the work it runs before it halts.
 *
 * Every CPU but the boot CPU ends in cpu_idle_loop(), entered from its
 * start-up (kernel/smpboot.c). With interrupts on, in process context, it
 * runs the work other CPUs queued for it (smp_queue_work(), kernel/smp.c)
 * and idle_work(), which may take zone locks and run shrinkers: the
 * background balancer (mm/reclaim.c) brings zones back to their high
 * watermark and refills the Labyrinth pool (mm/pool.c); this CPU's
 * reserve of exclusive pages is topped up (mm/exclusive.c). Interrupt
 * handlers never do this work; they only wake it. Halting is the arch's
 * arch_safe_halt() (arch/x86_64/include/asm/arch_impl.h).
 */
#include <labyrinth/arch.h>
#include <labyrinth/exclusive.h>
#include <labyrinth/idle.h>
#include <labyrinth/shrinker.h>
#include <labyrinth/smp.h>

void idle_work(void)
{
	if (balance_zones_needed())
		balance_zones();
	exclusive_idle_work(); /* this CPU's exclusive reserve, below half: refilled */
}

void cpu_idle_loop(void)
{
	for (;;) {
		arch_local_irq_enable();
		smp_process_work();
		idle_work();
		arch_local_irq_disable();
		if (smp_work_pending())
			continue;
		arch_safe_halt(); /* no wake-up is lost between the check and the halt */
	}
}
