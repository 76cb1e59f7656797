/*
 * irq.c - the interrupt side of the self-test. Every participating CPU's
 * local APIC timer (arch/x86_64/apic.c) is sped up to selftest_hz, and
 * back to TIMER_HZ at the release; its hook, st_tick(), allocates one
 * GFP_ATOMIC block of order 0-3 per interrupt (a quarter of the order-0
 * ones __GFP_EXCLUSIVE, whose zeroing is sampled), times the allocation
 * with the TSC into a per-CPU reservoir sample, judges every NULL (was the
 * pool or a zone's reserve provably holding a usable page all along?),
 * samples the reserve's low point, stamps the block (stamp.c)
 * and pushes it on its CPU's SPSC ring (selftest/ring.h).
 * Process context on that CPU pops the ring (consumer.c); the phases
 * (phases.c) switch the hooks on and off.
 */
#include <labyrinth/gfp.h>
#include <asm/apic.h>

#include "internal.h"

/* What every interrupt asks for (plus __GFP_EXCLUSIVE a quarter of the
 * time at order 0); judge_null() judges its NULLs by the same rule. */
#define ST_IRQ_GFP (GFP_ATOMIC | __GFP_NOWARN)

/* An exclusive page must arrive zeroed: sample its head, middle and tail. */
static bool zeroed(struct page *page)
{
	const u64 *p = page_address(page);
	u64 acc = 0;

	for (unsigned int i = 0; i < 8; i++)
		acc |= p[i] | p[PAGE_SIZE / 16 + i] | p[PAGE_SIZE / 8 - 8 + i];
	return acc == 0;
}

static void lat_record(struct st_cpu *c, u64 dt)
{
	u64 n = c->lat_seen++, j;

	c->lat_min = min(c->lat_min, dt);
	c->lat_max = max(c->lat_max, dt);
	j = n < LAT_SAMPLES ? n : st_rng_next(&c->irq_rng) % (n + 1);
	if (j < LAT_SAMPLES)
		c->lat[j] = (u32)min(dt, 0xffffffffull);
}

/* Before an allocation: the counts that tell whether anything came back to
 * the pool or to a zone during it. */
struct st_snap {
	unsigned long pushes, injected;
	unsigned long frees[MAX_NUMNODES * MAX_NR_ZONES];
	unsigned long released[MAX_NUMNODES * MAX_NR_ZONES];
};

/* Pages every zone holds above its atomic watermark (GFP_ATOMIC's level,
 * highest zone Normal); the snapshot of the zones' free counts on the way. */
static long snap_take(struct st_snap *s)
{
	struct labyrinth_pool_stats ps;
	struct mm_alloc_stats mm = { 0 };
	unsigned int i = 0;
	struct zone *z;
	long above = 0;

	labyrinth_pool_stats(&ps);
	s->pushes = ps.pushes;
	mm_alloc_stats_read(arch_cpu_id(), &mm);
	s->injected = mm.injected;
	for_each_zone(z) {
		long d =
		    (long)READ_ONCE(z->free_pages) - z->wmark_thr[ALLOC_WMARK_ATOMIC][ZONE_NORMAL];

		s->released[i] = READ_ONCE(z->nr_released);
		s->frees[i++] = READ_ONCE(z->nr_frees);
		if (populated_zone(z) && d > 0)
			above += d;
	}
	return above;
}

/*
 * No free and no block released since the snapshot (slot i: see
 * judge_null()), and the zone passes the allocator's own rule for a
 * GFP_ATOMIC request of this order (mm/internal.h: Linux 6.1's
 * __zone_watermark_ok() at the atomic level, ALLOC_HARDER, so the
 * highatomic reserve counts and its lists serve order > 0) with a block it
 * may take (zone_usable_free_orders(): order 0 never takes highatomic).
 */
static bool zone_held_block(const struct zone *z, const struct st_snap *s, unsigned int i,
			    unsigned int order)
{
	bool harder = gfp_alloc_harder(ST_IRQ_GFP);

	return READ_ONCE(z->nr_frees) == s->frees[i] &&
	       READ_ONCE(z->nr_released) == s->released[i] &&
	       (zone_usable_free_orders(z, order, harder) >> order) &&
	       __zone_watermark_ok(z, order, z->wmark_thr[ALLOC_WMARK_ATOMIC][ZONE_NORMAL], harder,
				   (long)READ_ONCE(z->free_pages));
}

enum st_null { NULL_JUSTIFIED, NULL_INJECTED, NULL_EXCL_EMPTY, NULL_UNJUSTIFIED };

/*
 * Why a GFP_ATOMIC NULL of this order? Injected by fail_page_alloc (counted
 * per CPU during the attempt, interrupts off: this attempt's). Otherwise it
 * is unjustified if the pool (order 0) or some zone's reserve held a usable
 * page all through the attempt: nothing was pushed to the pool (resp. freed
 * to that zone, or released to more callers: a highatomic pageblock given
 * back by another CPU's direct reclaim makes its free pages usable to
 * order 0 without a free) since the snapshot, and a usable page (resp. a
 * block of the order above the atomic watermark, checked again under the
 * zone lock, taken as the allocator takes it) is there now; takes only
 * remove, so it was there all along. A busy zone lock excuses nothing:
 * the allocator waits for it (mm/internal.h).
 */
static enum st_null judge_null(const struct st_snap *s, unsigned int order, bool excl)
{
	struct mm_alloc_stats mm = { 0 };
	unsigned long flags;
	unsigned int i = 0;
	struct zone *z;
	bool held = false;

	mm_alloc_stats_read(arch_cpu_id(), &mm);
	if (mm.injected != s->injected)
		return NULL_INJECTED;
	/* With PKS an atomic exclusive request is served from this CPU's
	 * clean reserve (only this CPU takes from it, and it cannot refill
	 * during this interrupt), then, order 0, from this CPU's dirty list
	 * (scrubbed inline), then from the pool's sealed part: a NULL is right
	 * exactly when the reserve is empty, the sealed part did not hold a
	 * page all along (held_since, as for the pool below) and, order 0, no
	 * dirty page is left (frees of this CPU only add to it). */
	if (excl && exclusive_isolated())
		return exclusive_reserve_level(arch_cpu_id()) ||
			       (!order &&
				(exclusive_dirty_level(arch_cpu_id()) ||
				 labyrinth_pool_sealed_held_since(s->pushes, ZONE_NORMAL)))
			   ? NULL_UNJUSTIFIED
			   : NULL_EXCL_EMPTY;
	if (!order && labyrinth_pool_held_since(s->pushes, ZONE_NORMAL))
		return NULL_UNJUSTIFIED;
	for_each_zone(z) {
		if (populated_zone(z) && zone_held_block(z, s, i, order)) {
			spin_lock_irqsave(&z->lock, flags);
			held |= zone_held_block(z, s, i, order);
			spin_unlock_irqrestore(&z->lock, flags);
		}
		i++;
	}
	return held ? NULL_UNJUSTIFIED : NULL_JUSTIFIED;
}

/* apic_timer_set_hook(): every timer interrupt of every CPU. */
void st_tick(void)
{
	unsigned int cpu = arch_cpu_id(), order;
	struct st_cpu *c = &st_cpus[cpu];
	unsigned int ph = READ_ONCE(st.phase);
	struct st_snap snap;
	struct page *page;
	long above;
	bool excl;
	u64 r, t0, dt;

	if (!__atomic_load_n(&st.active, __ATOMIC_ACQUIRE) || !((st.cpus >> cpu) & 1))
		return;
	above = snap_take(&snap);
	c->reserve_low[ph] = min(c->reserve_low[ph], above);
	r = st_rng_next(&c->irq_rng);
	order = (r & 7) < 4 ? 0 : (r & 7) < 6 ? 1 : (unsigned int)(r & 7) - 4; /* 0,0,0,0,1,1,2,3 */
	excl = !order && ((r >> 8) & 3) == 0;
	t0 = arch_cycles();
	page = alloc_pages(ST_IRQ_GFP | (excl ? __GFP_EXCLUSIVE : 0), order);
	dt = arch_cycles() - t0;
	if (!page) {
		c->irq_null[ph]++;
		switch (judge_null(&snap, order, excl)) {
		case NULL_UNJUSTIFIED: c->irq_unjustified[ph]++; break;
		case NULL_EXCL_EMPTY: c->irq_excl_empty_null[ph]++; break;
		default: break;
		}
		return;
	}
	c->irq_allocs++;
	lat_record(c, dt);
	if (excl) {
		c->excl++;
		c->excl_dirty += !zeroed(page);
	}
	st_stamp_block(page, order, cpu, ++c->seq);
	if (!spsc_ring_push(&c->ring, st_pack(page, order, excl))) {
		c->ring_full++; /* the consumer is behind: give it back at once */
		__free_pages(page, order);
	}
}

/* While process context drains, the hooks stay quiet (an idle CPU's ring
 * would otherwise fill with reserve pages before the phase starts). */
void st_hooks_pause(void)
{
	__atomic_store_n(&st.active, false, __ATOMIC_RELEASE);
}

void st_hooks_resume(void)
{
	__atomic_store_n(&st.active, true, __ATOMIC_RELEASE);
}

static void set_rate(void *arg)
{
	apic_timer_start_periodic(*(unsigned int *)arg);
}

/* Every CPU's timer to hz (this CPU's directly); false if a CPU did not answer. */
bool st_timers_set(unsigned int hz)
{
	bool ok = smp_call_function(set_rate, &hz, true) == 0;

	smp_call_function_single(arch_cpu_id(), set_rate, &hz, true);
	return ok;
}

static void noop(void *arg)
{
	(void)arg;
}

/* Timers back to TIMER_HZ. Once every CPU has taken the call (its hook, run
 * with interrupts off, cannot be in flight then), no hook allocates. */
bool st_timers_stop(void)
{
	bool ok;

	st_hooks_pause();
	ok = st_timers_set(TIMER_HZ);
	ok &= smp_call_function(noop, NULL, true) == 0;
	apic_timer_set_hook(NULL);
	return ok;
}
