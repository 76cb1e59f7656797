/*
 * consumer.c - process context on every participating CPU, the other side
 * of the timer hook (irq.c). st_run_on_all() runs a job on each such CPU,
 * the APs' through smp_queue_work(), the boot CPU's inline (it never
 * idles), and waits for all, bounded by the TSC. During a phase,
 * st_worker() pops this CPU's ring (filled by its hook) and its xring
 * (filled by the previous CPU), checks the stamps (stamp.c), and frees
 * each block, keeps it (under pressure until the pool was tapped, in
 * exhaustion always) or sends one in four to the next CPU, after
 * exclusive_page_handover() for exclusive ones; meanwhile it allocates
 * GFP_KERNEL pages in bursts. At the release, st_release_worker() empties
 * both rings and frees what was kept. The phases (phases.c) say when.
 */
#define pr_fmt(fmt) "selftest: " fmt

#include <labyrinth/gfp.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>
#include <asm/apic.h>

#include "internal.h"

#define LINK_OFFSET 64 /* a kept block's list link: after the stamp */

/* Kept blocks are chained through their first page (already touched). */
struct st_link {
	struct st_link *next;
	unsigned long order;
};

/* Pressure keeps IRQ pages until the pool served someone; exhaustion keeps all. */
static bool keeping(void)
{
	unsigned int ph = READ_ONCE(st.phase);

	return ph == PH_EXHAUSTION || (ph == PH_PRESSURE && !READ_ONCE(st.pool_tapped));
}

static void keep_block(struct st_link **list, struct page *page, unsigned int order)
{
	struct st_link *l = (void *)((u8 *)page_address(page) + LINK_OFFSET);

	l->next = *list;
	l->order = order;
	*list = l;
}

static unsigned long free_list(struct st_link *l)
{
	unsigned long pages = 0;

	while (l) {
		struct st_link *next = l->next;

		pages += 1ul << l->order;
		__free_pages(virt_to_page(l), (unsigned int)l->order);
		l = next;
	}
	return pages;
}

static void dispose(struct st_cpu *c, struct page *page, unsigned int order, bool keep)
{
	if (keep)
		keep_block(&c->kept, page, order);
	else
		__free_pages(page, order);
}

static unsigned int next_st_cpu(unsigned int cpu)
{
	for (unsigned int i = 1; i <= NR_CPUS; i++)
		if ((st.cpus >> ((cpu + i) % NR_CPUS)) & 1)
			return (cpu + i) % NR_CPUS;
	return cpu;
}

/* One in four popped pages goes to the next CPU, handed over if exclusive.
 * We are the only producer of that ring: space seen here stays there. */
static bool send_next(struct st_cpu *c, unsigned int cpu, struct page *page, unsigned int order,
		      bool excl)
{
	unsigned int to = next_st_cpu(cpu);
	struct spsc_ring *r = &st_cpus[to].xring;

	if (to == cpu || (st_rng_next(&c->rng) & 3) || !spsc_ring_space(r))
		return false;
	if (excl && exclusive_page_handover(page, to))
		return false; /* reported by mm/exclusive.c; still ours */
	spsc_ring_push(r, st_pack(page, order, excl));
	c->sent++;
	return true;
}

/* Pops up to max blocks from this CPU's rings; returns how many. */
static unsigned int drain_rings(struct st_cpu *c, unsigned int cpu, unsigned int max, bool keep,
				bool send)
{
	unsigned int n = 0, order;
	unsigned long w;
	struct page *page;
	bool excl;

	for (; n < max && spsc_ring_pop(&c->ring, &w); n++) {
		page = st_unpack(w, &order, &excl);
		c->popped++;
		st_check_stamps(c, page, order, cpu);
		if (((struct st_stamp *)page_address(page))->seq <= c->last_seq)
			st_report_bad(c, page, 0, "ring out of order");
		c->last_seq = ((struct st_stamp *)page_address(page))->seq;
		if (excl)
			st_check_exclusive(c, page, cpu);
		if (!send || !send_next(c, cpu, page, order, excl))
			dispose(c, page, order, keep);
	}
	for (; n < max && spsc_ring_pop(&c->xring, &w); n++) {
		page = st_unpack(w, &order, &excl);
		c->received++;
		st_check_stamps(c, page, order, NR_CPUS);
		if (excl)
			st_check_exclusive(c, page, cpu);
		dispose(c, page, order, keep);
	}
	return n;
}

/* GFP_KERNEL in bursts: up to 8 blocks of order 0-2, touched, then freed
 * at once; kept instead in exhaustion, and under pressure until this CPU's
 * first NULL (so reclaim must give pages back before it can fail). */
static void kernel_burst(struct st_cpu *c, unsigned int ph)
{
	u64 r = st_rng_next(&c->rng);
	unsigned int n = 1 + (r & 7), order = (unsigned int)((r >> 4) % 3), i;
	bool keep = ph == PH_EXHAUSTION || (ph == PH_PRESSURE && !c->kernel_null[ph]);
	struct page *pages[8];

	for (i = 0; i < n; i++) {
		pages[i] = alloc_pages(GFP_KERNEL, order);
		if (!pages[i]) {
			c->kernel_null[ph]++;
			break;
		}
		c->kernel_ok[ph]++;
		memset(page_address(pages[i]), 0x5a, 64);
	}
	while (i--)
		dispose(c, pages[i], order, keep);
}

static void job_done(struct st_cpu *c)
{
	__atomic_store_n(&c->done, READ_ONCE(st.job_seq), __ATOMIC_RELEASE);
}

/*
 * A phase's goal: every participating CPU took MIN_TICKS timer interrupts
 * since the phase began (TCG runs a vCPU only while a host core runs it:
 * on a loaded host selftest_ms can pass with a CPU barely run), and under
 * pressure saw its first GFP_KERNEL NULL (the zones lifted by reclaim
 * until the test shrinker's budget ran out). Once met it stays met (the
 * counts only grow), so every worker ends at the same point. verify.c
 * checks each part and names what a phase cut at st.bound did not reach.
 */
bool st_goal_met(unsigned int ph)
{
	unsigned int cpu;

	for_each_st_cpu(cpu) {
		if (apic_timer_ticks(cpu) - st.ticks0[cpu] < MIN_TICKS)
			return false;
		if (ph == PH_PRESSURE && !READ_ONCE(st_cpus[cpu].kernel_null[ph]))
			return false;
	}
	return true;
}

/* Until st.deadline, then on until the goal is met or st.bound. */
static bool phase_running(u64 now, unsigned int ph)
{
	return now < READ_ONCE(st.deadline) || (now < st.bound && !st_goal_met(ph));
}

/* A phase's work on one CPU, while phase_running() (queued work, or inline):
 * pop and check, allocate GFP_KERNEL in bursts (under pressure only once
 * the pool was tapped or half the phase is gone, so the IRQ handlers meet
 * the reserve before reclaim lifts the zones again; then without pause). */
void st_worker(void *arg)
{
	unsigned int cpu = arch_cpu_id(), ph = READ_ONCE(st.phase);
	struct st_cpu *c = &st_cpus[cpu];
	u64 now, next_burst = 0;
	struct labyrinth_pool_stats ps;

	(void)arg;
	while (phase_running(now = arch_cycles(), ph)) {
		drain_rings(c, cpu, 32, keeping(), true);
		if (now >= next_burst &&
		    (ph != PH_PRESSURE || READ_ONCE(st.pool_tapped) || now >= st.half_time)) {
			kernel_burst(c, ph);
			/* Under pressure back to back until the first NULL:
			 * the shrinker's budget must run out in time. */
			next_burst =
			    ph == PH_PRESSURE && !c->kernel_null[ph] ? now : now + st.burst_cycles;
		}
		if (ph == PH_PRESSURE && !READ_ONCE(st.pool_tapped)) {
			labyrinth_pool_stats(&ps);
			if (ps.hits != st.pool_hits0 || (!ps.size && c->irq_null[ph]))
				WRITE_ONCE(st.pool_tapped, true);
		}
		arch_cpu_relax();
	}
	drain_rings(c, cpu, 2 * SPSC_RING_SLOTS, keeping(), true);
	job_done(c);
}

/* Release, on each CPU: both rings emptied, kept pages freed. The hook is
 * off and nobody sends any more, so the rings only shrink. */
void st_release_worker(void *arg)
{
	unsigned int cpu = arch_cpu_id();
	struct st_cpu *c = &st_cpus[cpu];

	(void)arg;
	while (drain_rings(c, cpu, SPSC_RING_SLOTS, false, false))
		;
	free_list(c->kept);
	c->kept = NULL;
	job_done(c);
}

/*
 * Pressure, with PKS: every participating CPU's exclusive reserve emptied
 * (process context, GFP_KERNEL: not counted as atomic) and the pages kept
 * here until the phase ends (dirty pages scrubbed into it first, so both
 * are empty), so that the hooks' seed calls meet an empty reserve: they
 * scrub what their own frees left dirty, then go to the Labyrinth pool's
 * sealed part (irq.c's judge_null() judges their NULLs). The owner frees
 * them again.
 */
static struct page *excl_taken[NR_CPUS][EXCLUSIVE_RESERVE_PAGES];
static unsigned int excl_nr[NR_CPUS];

void st_excl_drain_job(void *arg)
{
	unsigned int cpu = arch_cpu_id();
	struct page *page;

	(void)arg;
	exclusive_scrub_dirty(); /* dirty pages clean first: the drain empties both */
	while (exclusive_reserve_level(cpu) && excl_nr[cpu] < EXCLUSIVE_RESERVE_PAGES &&
	       (page = alloc_page(GFP_KERNEL | __GFP_EXCLUSIVE | __GFP_NOWARN)))
		excl_taken[cpu][excl_nr[cpu]++] = page;
	job_done(&st_cpus[cpu]);
}

void st_excl_undrain_job(void *arg)
{
	unsigned int cpu = arch_cpu_id();

	(void)arg;
	while (excl_nr[cpu])
		__free_page(excl_taken[cpu][--excl_nr[cpu]]);
	job_done(&st_cpus[cpu]);
}

/* No work but the handshake: a CPU that ran it has left its idle loop
 * (selftest.c's baseline waits for that). */
void st_sync_job(void *arg)
{
	(void)arg;
	job_done(&st_cpus[arch_cpu_id()]);
}

/* Runs fn on every participating CPU (this one inline) and waits for all,
 * at most bound_ms after this CPU's share; returns the CPUs that did not
 * finish (each reported). */
unsigned int st_run_on_all(smp_call_func_t fn, u64 bound_ms, const char *what)
{
	unsigned int cpu, me = arch_cpu_id(), stuck = 0;
	u32 seq = ++st.job_seq;
	u64 deadline;

	for_each_st_cpu(cpu) {
		if (cpu != me && smp_queue_work(cpu, fn, NULL))
			pr_err("cannot queue %s work on CPU %u\n", what, cpu);
	}
	fn(NULL);
	deadline = arch_cycles() + st_ms_to_cycles(bound_ms);
	for_each_st_cpu(cpu) {
		while (__atomic_load_n(&st_cpus[cpu].done, __ATOMIC_ACQUIRE) != seq &&
		       arch_cycles() < deadline)
			arch_cpu_relax();
		if (__atomic_load_n(&st_cpus[cpu].done, __ATOMIC_ACQUIRE) != seq) {
			pr_err("CPU %u stuck: %s not finished %llu ms after the boot CPU's\n", cpu,
			       what, (unsigned long long)bound_ms);
			stuck++;
		}
	}
	return stuck;
}
