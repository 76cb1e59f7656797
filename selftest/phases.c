/*
 * phases.c - the four phases, one KTAP case each, in the order selftest.c
 * runs them: what each sets up (the timer rate, the drains and the test
 * shrinker of drain.c), its active part (selftest_ms long, then on until
 * its goal is met, consumer.c st_goal_met(), at most PHASE_BOUND times
 * that: the timer hooks of irq.c allocate while the workers of consumer.c
 * run on every CPU), what it prints, and the release that gives everything back. What
 * must then hold is verify.c's; the numbers are stats.c's, printed by
 * report.c.
 */
#define pr_fmt(fmt) "selftest: " fmt

#include <labyrinth/gfp.h>
#include <labyrinth/pcp.h>
#include <labyrinth/printk.h>
#include <labyrinth/shrinker.h>
#include <asm/apic.h>

#include "internal.h"

static const char *const phase_name[NR_PHASES] = { "warmup", "pressure", "exhaustion", "release" };

/* selftest_ms of work on every CPU, longer until the phase's goal is met
 * (consumer.c: st_goal_met()), at most PHASE_BOUND x selftest_ms. */
static void run_phase(struct st_phase_stats *p, unsigned int ph)
{
	unsigned int cpu;

	st_phase_reset(ph);
	st_hooks_resume();
	st_phase_begin(p, ph);
	for_each_st_cpu(cpu)
		st.ticks0[cpu] = apic_timer_ticks(cpu);
	st.half_time = arch_cycles() + st_ms_to_cycles(st.ms / 2);
	st.bound = arch_cycles() + st_ms_to_cycles((u64)st.ms * PHASE_BOUND);
	WRITE_ONCE(st.deadline, arch_cycles() + st_ms_to_cycles(st.ms));
	p->stuck = st_run_on_all(st_worker, JOB_SLACK_MS, phase_name[ph]);
	st_phase_end(p, ph);
}

void st_case_warmup(struct ktest *t)
{
	struct st_phase_stats p;

	WRITE_ONCE(st.phase, PH_WARMUP);
	KEXPECT_TRUE(t, st_timers_set(st.hz));
	run_phase(&p, PH_WARMUP);
	st_exclusive_foreign_touch(t); /* timers still on */
	st_phase_show("warmup", &p);
	st_expect_warmup(t, &p);
}

/* The zones drained below min, the test shrinker on, then the phase. */
void st_case_pressure(struct ktest *t)
{
	struct labyrinth_pool_stats ps;
	struct st_phase_stats p;
	unsigned long drained, margin;

	WRITE_ONCE(st.phase, PH_PRESSURE);
	st_hooks_pause(); /* the reserve is the IRQ handlers' once the phase runs */
	drain_all_pages(NULL);
	drained = st_drain_to_half_min();
	margin = st_drain_atomic_margin();
	/* At the level of the allocation-failure warnings it explains. */
	pr_warn("pressure: drained %lu pages (%lu of them GFP_ATOMIC) to below the min "
		"watermarks: page allocation failures are expected now\n",
		drained + margin, margin);
	st_expect_below_min(t);
	if (exclusive_isolated()) /* the seed calls meet empty reserves: the pool's sealed part */
		KEXPECT_EQ(t, st_run_on_all(st_excl_drain_job, JOB_SLACK_MS, "exclusive drain"), 0);
	labyrinth_pool_stats(&ps);
	st.pool_hits0 = ps.hits;
	KEXPECT_EQ(t, st_shrinker_register(), 0);
	run_phase(&p, PH_PRESSURE);
	if (exclusive_isolated())
		KEXPECT_EQ(t, st_run_on_all(st_excl_undrain_job, JOB_SLACK_MS, "exclusive undrain"),
			   0);
	st_phase_show("pressure", &p);
	pr_info("pressure: test shrinker gave back %lu pages, GFP_KERNEL then failed %lu times\n",
		st.shrunk, p.kernel_null);
	st_expect_pressure(t, &p, &ps);
}

void st_case_exhaustion(struct ktest *t)
{
	struct labyrinth_pool_stats ps;
	struct st_phase_stats p;
	unsigned long drained;

	WRITE_ONCE(st.phase, PH_EXHAUSTION);
	st_hooks_pause();
	drained = st_drain_with(__GFP_MEMALLOC | __GFP_DIRECT_RECLAIM | __GFP_NOWARN);
	pr_info("exhaustion: __GFP_MEMALLOC took the last %lu free pages\n", drained);
	run_phase(&p, PH_EXHAUSTION);
	labyrinth_pool_stats(&ps);
	st_phase_show("exhaustion", &p);
	pr_info("exhaustion: pool level %lu of %lu, lowest %lu; %lu atomic NULLs survived\n",
		ps.level, ps.size, ps.lowest, p.irq_null);
	st_expect_exhaustion(t, &p, drained, &ps);
}

/* Timers back, every page given back, the pool refilled, then counted. */
void st_case_release(struct ktest *t)
{
	struct labyrinth_pool_stats ps;
	unsigned long stuck, held;

	WRITE_ONCE(st.phase, PH_RELEASE);
	KEXPECT_TRUE(t, st_timers_stop());
	stuck = st_run_on_all(st_release_worker, JOB_SLACK_MS, "release");
	held = st_free_held();
	st_shrinker_unregister();
	drain_all_pages(NULL);
	labyrinth_pool_refill();
	drain_all_pages(NULL);
	labyrinth_pool_stats(&ps);
	st_phase_show("release", NULL);
	st_leaked = st_leaked_pages(t);
	pr_info("release: %lu drained pages given back, pool %lu/%lu, bad pages %lu\n", held,
		ps.level, ps.size, mm_bad_page_count - st_base.bad_pages);
	/* Counted before the other CPUs' idle loops may allocate again: the
	 * invariants read their per-CPU lists as they are (mm/debug.c). With the
	 * refills back on first, an exclusive reserve refill on another CPU
	 * once made "buddy 258759 + per-CPU lists 1 != free count 258759". */
	st_expect_release(t, stuck, &ps);
	balancer_set_enabled(true);
	exclusive_idle_refill_set_enabled(true);
}
