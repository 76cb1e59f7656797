/*
 * verify.c - what the self-test claims, as KTAP expectations. After every
 * phase: every CPU finished its work in time, took timer interrupts, and
 * found every stamp intact; and what the phase is about (warmup: every
 * source works; pressure: the zones below min, then the reserve, the pool,
 * reclaim through the test shrinker and clean failure; exhaustion: the
 * pool emptied, atomic NULLs survived). At the release: every zone's free
 * count back to the baseline, the invariants hold, the pool full, no bad
 * free, every popped block checked, and every atomic allocation the
 * handlers'. The phases (phases.c) run the test and call these; the
 * numbers are stats.c's.
 */

#include "internal.h"

long st_leaked;

/* Checks every phase shares: all CPUs finished, stamps held, and every CPU
 * took timer interrupts (a phase runs on until they did, within its bound:
 * consumer.c st_goal_met()). Not their rate: TCG delivers a vCPU's
 * interrupts only while the host runs it, and a busy host runs it less. */
static void expect_common(struct ktest *t, const struct st_phase_stats *p)
{
	unsigned int cpu;

	KEXPECT_EQ(t, p->stuck, 0);
	KEXPECT_EQ(t, p->bad, 0);
	for_each_st_cpu(cpu) {
		ktest_expect(
		    t, p->ticks[cpu] >= MIN_TICKS, __FILE__, __LINE__,
		    "CPU %u: %llu timer interrupts in %llu ms (bound %u x %u ms), want >= %u", cpu,
		    (unsigned long long)p->ticks[cpu],
		    (unsigned long long)(p->cycles / max(st_ms_to_cycles(1), 1ull)), PHASE_BOUND,
		    st.ms, MIN_TICKS);
	}
}

void st_expect_warmup(struct ktest *t, const struct st_phase_stats *p)
{
	expect_common(t, p);
	KEXPECT_TRUE(t, p->irq_allocs > 0);
	/* No memory pressure yet: no failure but injected ones and, with PKS,
	 * exclusive ones with this CPU's reserve and the pool's sealed part
	 * empty (hand-overs move exclusive pages to other CPUs' reserves; idle
	 * refills are off). A busy zone lock is no reason: IRQ context waits
	 * for it like process context (mm/internal.h). */
	KEXPECT_TRUE(t, p->irq_null <= p->mm.injected + p->irq_excl_empty_null);
	KEXPECT_EQ(t, p->irq_unjustified, 0);
	KEXPECT_TRUE(t, p->kernel_ok > 0);
	KEXPECT_EQ(t, p->kernel_null, 0);
	KEXPECT_TRUE(t, st_total(checked) > 0);
	KEXPECT_TRUE(t, st_total(excl_checked) > 0);
	if (st.nr_cpus > 1)
		KEXPECT_TRUE(t, st_total(received) > 0);
}

/* Pressure, once drained: every zone below its min watermark. */
void st_expect_below_min(struct ktest *t)
{
	struct zone *z;

	for_each_zone(z) {
		if (populated_zone(z))
			KEXPECT_TRUE(t, z->free_pages < z->_watermark[WMARK_MIN]);
	}
}

void st_expect_pressure(struct ktest *t, const struct st_phase_stats *p,
			const struct labyrinth_pool_stats *ps)
{
	unsigned int cpu;

	expect_common(t, p);
	KEXPECT_TRUE(t, p->irq_allocs > 0);
	KEXPECT_TRUE(t, p->mm.atomic[ALLOC_SRC_RESERVE] > 0);
	if (ps->size) {
		KEXPECT_TRUE(t, p->mm.atomic[ALLOC_SRC_POOL] > 0);
		/* More pages served than the pool holds, with the balancer off:
		 * frees refilled it. (Not required outright: a short phase may
		 * tap the pool after its last free.) */
		if (p->pool.hits > p->pool.size)
			KEXPECT_TRUE(t, p->pool.refills_free > 0);
	}
	/* The guarantee: no atomic NULL while the pool or a reserve held a
	 * usable page (irq.c judges each NULL; the margins are printed). */
	KEXPECT_EQ(t, p->irq_unjustified, 0);
	/* The reserves were emptied before the phase (phases.c): the first seed
	 * call of the phase went to the pool's sealed part, hit or miss. */
	if (exclusive_isolated() && ps->sealed_size)
		KEXPECT_TRUE(t, p->pool.seed_hits + p->pool.seed_misses > 0);
	KEXPECT_TRUE(t, st.shrunk > 0);
	KEXPECT_TRUE(t, p->kernel_ok > 0);
	/* The phase's goal (consumer.c: st_goal_met()): reclaim ran out on
	 * every CPU before the phase's bound. */
	KEXPECT_TRUE(t, p->kernel_null > 0);
	for_each_st_cpu(cpu) {
		ktest_expect(t, st_cpus[cpu].kernel_null[PH_PRESSURE] > 0, __FILE__, __LINE__,
			     "CPU %u: no GFP_KERNEL NULL in %llu ms (bound %u x %u ms): the "
			     "zones never stayed below low (shrinker gave back %lu pages)",
			     cpu, (unsigned long long)(p->cycles / max(st_ms_to_cycles(1), 1ull)),
			     PHASE_BOUND, st.ms, st.shrunk);
	}
}

void st_expect_exhaustion(struct ktest *t, const struct st_phase_stats *p, unsigned long drained,
			  const struct labyrinth_pool_stats *ps)
{
	expect_common(t, p);
	KEXPECT_TRUE(t, drained > 0);
	KEXPECT_TRUE(t, p->irq_null > 0); /* NULLs, and survived: the test goes on */
	KEXPECT_EQ(t, p->irq_unjustified, 0);
	KEXPECT_EQ(t, ps->lowest, 0);
	KEXPECT_TRUE(t, p->kernel_null > 0);
}

unsigned long st_tables_split(void)
{
	struct exclusive_stats ex;

	exclusive_get_stats(&ex);
	return ex.tables_split;
}

/*
 * Pages missing per zone against the baseline (negative: more free now),
 * less the direct-map page tables made since: resealing the pool's sealed
 * part may split a 2 MiB region of the direct map, and that table stays
 * (mm/pool.c); it is no leak. Which zone it came from is not known, so a
 * zone may miss up to that many pages, and the sum must be exactly that.
 */
long st_leaked_pages(struct ktest *t)
{
	long tables = (long)(st_tables_split() - st_base.tables_split), leaked = 0;

	for (int nid = 0; nid < nr_node_ids; nid++) {
		for (int i = 0; i < MAX_NR_ZONES; i++) {
			const struct zone *z = &NODE_DATA(nid)->node_zones[i];
			long d = (long)st_base.zone_free[nid][i] - (long)st_zone_held(z);

			if (!populated_zone(z))
				continue;
			ktest_expect(t, d >= 0 && d <= tables, __FILE__, __LINE__,
				     "node %d zone %s: %lu free or pooled before, %lu after (%ld "
				     "direct-map tables made since)",
				     nid, z->name, st_base.zone_free[nid][i], st_zone_held(z),
				     tables);
			leaked += d;
		}
	}
	if (tables)
		ktest_log(t,
			  "%ld direct-map page table(s) made since the baseline (the pool's "
			  "sealing split the direct map; not a leak)",
			  tables);
	return leaked - tables;
}

/* Atomic allocations since the baseline, all sources (mm/alloc_stats.c). */
static unsigned long atomic_total(void)
{
	struct mm_alloc_stats mm;
	unsigned long n = 0;

	mm_alloc_stats_read(NR_CPUS, &mm);
	st_mm_stats_sub(&mm, &st_base.mm);
	for (int i = 0; i < NR_ALLOC_SRC; i++)
		n += mm.atomic[i];
	return n;
}

/* The release, once everything was given back (st_leaked already counted). */
void st_expect_release(struct ktest *t, unsigned long stuck, const struct labyrinth_pool_stats *ps)
{
	struct spin_debug_stats locks;

	KEXPECT_EQ(t, stuck, 0);
	KEXPECT_EQ(t, st_leaked, 0);
	KEXPECT_EQ(t, mm_check_invariants(), 0);
	KEXPECT_EQ(t, ps->level, ps->size);
	KEXPECT_EQ(t, mm_bad_page_count, st_base.bad_pages);
	KEXPECT_EQ(t, st_total(checked), st_total(popped) + st_total(received));
	KEXPECT_EQ(t, st_bad_stamps(), 0);
	KEXPECT_EQ(t, atomic_total(), st_total(irq_allocs)); /* nobody else allocated atomically */
	/* The handlers took the zone locks plainly (mm/internal.h), which is
	 * safe only if every holder has interrupts off: with lockdep= on, no
	 * lock was taken both in IRQ context and with interrupts enabled, and
	 * no CPU took a lock it held (lockdep off: nothing recorded, both 0). */
	spin_debug_report(&locks);
	KEXPECT_EQ(t, locks.irq_unsafe, 0);
	KEXPECT_EQ(t, locks.recursions, 0);
}
