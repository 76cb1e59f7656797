/*
 * idle.c - what a CPU does when it has nothing else to do, before it halts.
 *
 * Called from cpu_idle_loop() (arch/x86_64/smp.c) with interrupts on, in
 * process context, so it may take zone locks and run shrinkers: the
 * background balancer (mm/reclaim.c) brings zones back to their high
 * watermark and refills the Labyrinth pool (mm/pool.c). Interrupt
 * handlers never do this work; they only wake it.
 */
#include <labyrinth/idle.h>
#include <labyrinth/shrinker.h>

void idle_work(void)
{
	if (balance_zones_needed())
		balance_zones();
}
