/*
 * stats.c - the self-test's numbers: sums over the participating CPUs of
 * their counters (written by the timer hooks, irq.c, and by process
 * context, consumer.c), one phase's deltas over its active part
 * (st_phase_begin() and st_phase_end(): those counters, the timer
 * interrupts taken, and mm/alloc_stats.c's count of where each allocation
 * came from), and arithmetic on mm's counts. verify.c judges the numbers;
 * report.c prints them.
 */
#include <labyrinth/string.h>
#include <asm/apic.h>

#include "internal.h"

unsigned long st_total_at(size_t offset)
{
	unsigned long n = 0;
	unsigned int cpu;

	for_each_st_cpu(cpu)
		n += *(const unsigned long *)((const char *)&st_cpus[cpu] + offset);
	return n;
}

/* Pages whose stamp, exclusive ownership or zeroing did not hold. */
unsigned long st_bad_stamps(void)
{
	return st_total(bad) + st_total(excl_bad) + st_total(excl_dirty);
}

void st_mm_stats_sub(struct mm_alloc_stats *a, const struct mm_alloc_stats *b)
{
	for (int i = 0; i < NR_ALLOC_SRC; i++) {
		a->atomic[i] -= b->atomic[i];
		a->other[i] -= b->other[i];
	}
	a->atomic_failures -= b->atomic_failures;
	a->other_failures -= b->other_failures;
	a->injected -= b->injected;
}

void st_mm_stats_add(struct mm_alloc_stats *a, const struct mm_alloc_stats *b)
{
	for (int i = 0; i < NR_ALLOC_SRC; i++) {
		a->atomic[i] += b->atomic[i];
		a->other[i] += b->other[i];
	}
	a->atomic_failures += b->atomic_failures;
	a->other_failures += b->other_failures;
	a->injected += b->injected;
}

static void sum_cpu_counters(struct st_phase_stats *p, unsigned int ph, int sign)
{
	unsigned int cpu;

	for_each_st_cpu(cpu) {
		struct st_cpu *c = &st_cpus[cpu];

		p->irq_allocs += sign * READ_ONCE(c->irq_allocs);
		p->irq_null += sign * READ_ONCE(c->irq_null[ph]);
		p->irq_unjustified += sign * READ_ONCE(c->irq_unjustified[ph]);
		p->irq_excl_empty_null += sign * READ_ONCE(c->irq_excl_empty_null[ph]);
		p->kernel_ok += sign * c->kernel_ok[ph];
		p->kernel_null += sign * c->kernel_null[ph];
		p->bad += sign * (c->bad + c->excl_bad + READ_ONCE(c->excl_dirty));
		p->ticks[cpu] += sign * apic_timer_ticks(cpu);
	}
}

/* Hooks paused: the per-phase low points start afresh. */
void st_phase_reset(unsigned int ph)
{
	unsigned int cpu;

	for_each_st_cpu(cpu)
		st_cpus[cpu].reserve_low[ph] = ST_LONG_MAX;
	labyrinth_pool_mark_lowest();
}

void st_phase_begin(struct st_phase_stats *p, unsigned int ph)
{
	memset(p, 0, sizeof(*p));
	sum_cpu_counters(p, ph, -1);
	mm_alloc_stats_read(NR_CPUS, &p->mm);
	labyrinth_pool_stats(&p->pool);
	p->t0 = arch_cycles();
}

/* The pool's counters over the phase; level and lowest as they are. */
static void pool_phase_delta(struct labyrinth_pool_stats *d)
{
	struct labyrinth_pool_stats now;

	labyrinth_pool_stats(&now);
	d->hits = now.hits - d->hits;
	d->misses = now.misses - d->misses;
	d->refills_free = now.refills_free - d->refills_free;
	d->refills_balancer = now.refills_balancer - d->refills_balancer;
	d->refills = d->refills_free + d->refills_balancer;
	d->pushes = now.pushes - d->pushes;
	d->seed_hits = now.seed_hits - d->seed_hits;
	d->seed_misses = now.seed_misses - d->seed_misses;
	d->unsealed = now.unsealed - d->unsealed;
	d->sealed_level = now.sealed_level;
	d->sealed_size = now.sealed_size;
	d->size = now.size;
	d->level = now.level;
	d->lowest = now.lowest;
}

void st_phase_end(struct st_phase_stats *p, unsigned int ph)
{
	struct mm_alloc_stats before = p->mm;
	unsigned int cpu;

	p->cycles = arch_cycles() - p->t0;
	sum_cpu_counters(p, ph, 1);
	mm_alloc_stats_read(NR_CPUS, &p->mm);
	st_mm_stats_sub(&p->mm, &before);
	pool_phase_delta(&p->pool);
	p->reserve_low = ST_LONG_MAX;
	for_each_st_cpu(cpu)
		p->reserve_low = min(p->reserve_low, READ_ONCE(st_cpus[cpu].reserve_low[ph]));
}
