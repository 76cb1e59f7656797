/*
 * irq.c - the interrupt side of the self-test. Every participating CPU's
 * local APIC timer (arch/x86_64/apic.c) is sped up to selftest_hz, and
 * back to TIMER_HZ at the release; its hook, st_tick(), allocates one
 * GFP_ATOMIC block of order 0-3 per interrupt (a quarter of the order-0
 * ones __GFP_EXCLUSIVE, whose zeroing is sampled), times the allocation
 * with the TSC into a per-CPU reservoir sample, stamps the block (stamp.c)
 * and pushes it on its CPU's SPSC ring (selftest/ring.h).
 * Process context on that CPU pops the ring (consumer.c); the phases
 * (phases.c) switch the hooks on and off.
 */
#include <labyrinth/gfp.h>
#include <asm/apic.h>

#include "internal.h"

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

/* apic_timer_set_hook(): every timer interrupt of every CPU. */
void st_tick(void)
{
	unsigned int cpu = arch_cpu_id(), order;
	struct st_cpu *c = &st_cpus[cpu];
	struct page *page;
	bool excl;
	u64 r, t0, dt;

	if (!__atomic_load_n(&st.active, __ATOMIC_ACQUIRE) || !((st.cpus >> cpu) & 1))
		return;
	r = st_rng_next(&c->irq_rng);
	order = (r & 7) < 4 ? 0 : (r & 7) < 6 ? 1 : (unsigned int)(r & 7) - 4; /* 0,0,0,0,1,1,2,3 */
	excl = !order && ((r >> 8) & 3) == 0;
	t0 = arch_cycles();
	page = alloc_pages(GFP_ATOMIC | __GFP_NOWARN | (excl ? __GFP_EXCLUSIVE : 0), order);
	dt = arch_cycles() - t0;
	if (!page) {
		c->irq_null[READ_ONCE(st.phase)]++;
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
