/*
 * selftest.c - the interrupt-driven atomic self-test: what `make run` shows
 * after the KTAP suites (kernel/ktest.c). kmain calls selftest_run()
 * (include/labyrinth/selftest.h) once every CPU is up; this file sets the
 * test up, takes the baseline, and runs the phases as one KTAP subtest.
 *
 * Every CPU's local APIC timer (arch/x86_64/apic.c) is sped up to
 * selftest_hz; its hook allocates one GFP_ATOMIC block of order 0-3 per
 * interrupt (a quarter of the order-0 ones __GFP_EXCLUSIVE), stamps it and
 * pushes it on its CPU's SPSC ring (selftest/ring.h). Process
 * context on every CPU pops the ring, checks the stamps and frees the
 * pages, one in four on the next CPU, and allocates GFP_KERNEL pages in
 * bursts. Four phases, one KTAP case each:
 *   warmup      nothing special: every source works, every stamp holds;
 *   pressure    the zones drained past min (pages held by a test shrinker
 *               that may give some back); atomic requests live on the
 *               reserve below min and the Labyrinth pool (mm/pool.c),
 *               GFP_KERNEL reclaims (mm/reclaim.c), then fails cleanly;
 *   exhaustion  __GFP_MEMALLOC takes every free page, the pool runs dry,
 *               atomic requests get NULL: counted, nothing hangs;
 *   release     timers back to TIMER_HZ, every page freed, and per zone
 *               the free count is what it was, the invariants hold, the
 *               pool is full, no stamp was broken, no bad free.
 * Where each atomic page came from is mm/alloc_stats.c's count
 * (mm_alloc_stats_read()). Every wait is bounded by the TSC.
 *
 * The files of selftest/, one mechanism each (internal.h: what they share,
 * and who owns a page when):
 *   irq.c       the timers and their hook, st_tick(): IRQ-side allocation;
 *   stamp.c     the stamp in every page, and its checks;
 *   consumer.c  process context on every CPU: pop, check, free, keep,
 *               send to the next CPU, GFP_KERNEL bursts;
 *   drain.c     the drains, the blocks they hold, the test shrinker;
 *   phases.c    the four phases (the KTAP cases);
 *   verify.c    what must hold after each (the KTAP expectations);
 *   stats.c     the numbers: per-CPU sums, per-phase deltas;
 *   report.c    what is printed: per phase, and the summary.
 */
#define pr_fmt(fmt) "selftest: " fmt

#include <labyrinth/cmdline.h>
#include <labyrinth/pcp.h>
#include <labyrinth/printk.h>
#include <labyrinth/selftest.h>
#include <labyrinth/shrinker.h>
#include <labyrinth/zero_cache.h>
#include <asm/apic.h>

#include "internal.h"

#define BURST_US 1000 /* GFP_KERNEL bursts: one per ms and CPU */

struct st_cpu st_cpus[NR_CPUS];
struct st_state st;
struct st_base st_base;

static void st_setup(void)
{
	unsigned int cpu;

	st.seed = boot_seed();
	st.hz = (unsigned int)param_num("selftest_hz");
	st.ms = (unsigned int)param_num("selftest_ms");
	st.burst_cycles = st_ms_to_cycles(1) * BURST_US / 1000;
	st.cpus = __atomic_load_n(&cpu_online_mask, __ATOMIC_ACQUIRE);
	st.nr_cpus = num_online_cpus();
	for_each_st_cpu(cpu) {
		struct st_cpu *c = &st_cpus[cpu];

		spsc_ring_init(&c->ring);
		spsc_ring_init(&c->xring);
		c->irq_rng = (st.seed ^ (0x9e3779b97f4a7c15ull * (cpu + 1))) | 1;
		c->rng = (st.seed ^ (0xc2b2ae3d27d4eb4full * (cpu + 1))) | 1;
		c->lat_min = ~0ull;
	}
}

/* Quiet, full, counted: the balancer off (and out of every idle loop),
 * the pool full, the per-CPU lists empty; then the baseline. */
static void st_baseline(void)
{
	balancer_set_enabled(false);
	exclusive_idle_refill_set_enabled(false); /* before the sync: no refill under way */
	st_run_on_all(st_sync_job, JOB_SLACK_MS, "sync");
	zero_cache_drain(); /* its shrinker would change the free counts mid-test */
	drain_all_pages(NULL);
	labyrinth_pool_refill();
	exclusive_reserve_fill(); /* every CPU's exclusive reserve full, as at the end */
	drain_all_pages(NULL);
	for (int nid = 0; nid < nr_node_ids; nid++)
		for (int i = 0; i < MAX_NR_ZONES; i++)
			st_base.zone_free[nid][i] = st_zone_held(&NODE_DATA(nid)->node_zones[i]);
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		numa_alloc_stats_read(cpu, &st_base.numa[cpu]);
	st_base.bad_pages = mm_bad_page_count;
	mm_alloc_stats_read(NR_CPUS, &st_base.mm);
	labyrinth_pool_stats(&st_base.pool);
	st_base.tables_split = st_tables_split();
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		st_base.ticks[cpu] = apic_timer_ticks(cpu);
	st_base.t0 = arch_cycles();
}

static const struct ktest_case st_cases[] = {
	{ "warmup", st_case_warmup },
	{ "pressure", st_case_pressure },
	{ "exhaustion", st_case_exhaustion },
	{ "release", st_case_release },
};

static bool run_case(unsigned int nr, const struct ktest_case *tc)
{
	struct ktest t = { .name = tc->name };

	tc->run(&t);
	if (t.failures || !t.expectations) {
		printk(KERN_ERR "    not ok %u %s\n", nr, t.name);
		return false;
	}
	printk(KERN_INFO "    ok %u %s\n", nr, t.name);
	return true;
}

unsigned int selftest_run(void)
{
	unsigned int failed = 0;

	if (!param_bool("selftest")) {
		pr_info("off (selftest=0)\n");
		return 0;
	}
	st_setup();
	pr_info("%u CPU(s), timers at %u Hz, %u ms per phase, seed %llu\n", st.nr_cpus, st.hz,
		st.ms, (unsigned long long)st.seed);
	st_baseline();
	st_phase_show("before", NULL);
	apic_timer_set_hook(st_tick);
	printk(KERN_INFO "KTAP version 1\n");
	printk(KERN_INFO "1..1\n");
	printk(KERN_INFO "    KTAP version 1\n");
	printk(KERN_INFO "    # Subtest: selftest\n");
	printk(KERN_INFO "    1..%zu\n", ARRAY_SIZE(st_cases));
	for (unsigned int i = 0; i < ARRAY_SIZE(st_cases); i++)
		failed += !run_case(i + 1, &st_cases[i]);
	printk(KERN_INFO "%s 1 selftest\n", failed ? "not ok" : "ok");
	st_print_summary();
	pr_info("%s (%u of %zu phases failed)\n", failed ? "FAIL" : "PASS", failed,
		ARRAY_SIZE(st_cases));
	return failed;
}
