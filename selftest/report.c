/*
 * report.c - what the self-test prints besides KTAP. Per phase: the
 * fragplot marker ("phase <name>", read by tools/fragplot.py), buddyinfo
 * and the phase's numbers. At the end, the summary: seed and time,
 * interrupts per CPU and their rate, each CPU's share of own-node
 * allocations, where the atomic allocations came from, failures per phase,
 * the latency of atomic allocations in the IRQ handlers (from each CPU's
 * reservoir sample, irq.c), stamps, pool, leak. The numbers are stats.c's
 * and the baseline's (selftest.c); verify.c judges them.
 */
#define pr_fmt(fmt) "selftest: " fmt

#include <labyrinth/compaction.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>
#include <labyrinth/zero_cache.h>
#include <asm/apic.h>

#include "internal.h"

static u32 lat_all[NR_CPUS * LAT_SAMPLES];

/* The fragplot marker, buddyinfo, then the phase's numbers. */
void st_phase_show(const char *name, const struct st_phase_stats *p)
{
	const unsigned long *a;

	pr_info("phase %s\n", name);
	show_buddyinfo();
	if (!p)
		return;
	a = p->mm.atomic;
	pr_info("%s: irq_allocs=%lu irq_null=%lu pcp=%lu buddy=%lu reserve=%lu pool=%lu "
		"exclusive=%lu kernel_ok=%lu kernel_null=%lu injected=%lu ms=%llu\n",
		name, p->irq_allocs, p->irq_null, a[ALLOC_SRC_PCP], a[ALLOC_SRC_BUDDY],
		a[ALLOC_SRC_RESERVE], a[ALLOC_SRC_POOL], a[ALLOC_SRC_EXCLUSIVE], p->kernel_ok,
		p->kernel_null, p->mm.injected,
		(unsigned long long)(p->cycles / max(st_ms_to_cycles(1), 1ull)));
	pr_info("%s: pool hits=%lu misses=%lu refills_free=%lu refills_balancer=%lu lowest=%lu/%lu "
		"level=%lu; sealed part %lu/%lu: seed hits=%lu misses=%lu, unsealed=%lu\n",
		name, p->pool.hits, p->pool.misses, p->pool.refills_free, p->pool.refills_balancer,
		p->pool.lowest, p->pool.size, p->pool.level, p->pool.sealed_level,
		p->pool.sealed_size, p->pool.seed_hits, p->pool.seed_misses, p->pool.unsealed);
	pr_info("%s: margin: pool lowest %lu page(s), reserve low point %ld page(s) above the "
		"atomic watermarks; atomic NULLs %lu, of them while pool or reserve held a usable "
		"page: %lu, exclusive with the reserve and the pool's sealed part empty: %lu\n",
		name, p->pool.lowest, p->reserve_low == ST_LONG_MAX ? 0 : p->reserve_low,
		p->irq_null, p->irq_unjustified, p->irq_excl_empty_null);
}

static void sort_u32(u32 *a, unsigned long n) /* Shell sort, Ciura's gaps */
{
	static const unsigned long gaps[] = { 701, 301, 132, 57, 23, 10, 4, 1 };

	for (unsigned int g = 0; g < ARRAY_SIZE(gaps); g++)
		for (unsigned long i = gaps[g]; i < n; i++) {
			u32 v = a[i];
			unsigned long j = i;

			for (; j >= gaps[g] && a[j - gaps[g]] > v; j -= gaps[g])
				a[j] = a[j - gaps[g]];
			a[j] = v;
		}
}

static void print_latency(void)
{
	u64 lo = ~0ull, hi = 0;
	unsigned long n = 0;
	unsigned int cpu;

	for_each_st_cpu(cpu) {
		const struct st_cpu *c = &st_cpus[cpu];
		unsigned long k = min(c->lat_seen, (u64)LAT_SAMPLES);

		memcpy(lat_all + n, c->lat, k * sizeof(u32));
		n += k;
		if (c->lat_seen) {
			lo = min(lo, c->lat_min);
			hi = max(hi, c->lat_max);
		}
	}
	sort_u32(lat_all, n);
	pr_info("latency: min=%llu median=%u max=%llu TSC ticks (%lu samples of atomic "
		"allocations in IRQ handlers)\n",
		(unsigned long long)(n ? lo : 0), n ? lat_all[n / 2] : 0, (unsigned long long)hi,
		n);
}

/* Interrupts per CPU, and the rate they came at (at most selftest_hz). */
static void print_interrupts(void)
{
	u64 ms = max((arch_cycles() - st_base.t0) / max(st_ms_to_cycles(1), 1ull), 1ull), all = 0;
	char buf[256];
	size_t len = 0;
	unsigned int cpu;

	for_each_st_cpu(cpu) {
		u64 n = apic_timer_ticks(cpu) - st_base.ticks[cpu];

		all += n;
		len += (size_t)snprintf(buf + len, sizeof(buf) - min(len, sizeof(buf)),
					" cpu%u=%llu", cpu, (unsigned long long)n);
	}
	pr_info("interrupts:%s (%llu Hz per CPU on average, %u Hz programmed)\n", buf,
		(unsigned long long)(all * 1000 / ms / max(st.nr_cpus, 1u)), st.hz);
}

static void print_failures(void)
{
	unsigned long irq[NR_PHASES] = { 0 }, kern[NR_PHASES] = { 0 };
	unsigned int cpu;

	for_each_st_cpu(cpu) {
		for (int ph = 0; ph < NR_PHASES; ph++) {
			irq[ph] += st_cpus[cpu].irq_null[ph];
			kern[ph] += st_cpus[cpu].kernel_null[ph];
		}
	}
	pr_info("atomic failures: warmup=%lu pressure=%lu exhaustion=%lu release=%lu\n",
		irq[PH_WARMUP], irq[PH_PRESSURE], irq[PH_EXHAUSTION], irq[PH_RELEASE]);
	pr_info("GFP_KERNEL failures: warmup=%lu pressure=%lu exhaustion=%lu\n", kern[PH_WARMUP],
		kern[PH_PRESSURE], kern[PH_EXHAUSTION]);
}

/* Per CPU, the share of its allocations served by its own node (NUMA). */
static void print_own_node(void)
{
	char buf[256];
	int n = 0;

	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct numa_alloc_stats s;
		unsigned long local, all;

		if (!(st.cpus & (1ul << cpu)))
			continue;
		numa_alloc_stats_read(cpu, &s);
		local = s.local_node - st_base.numa[cpu].local_node;
		all = local + s.other_node - st_base.numa[cpu].other_node;
		n += snprintf(buf + n, sizeof(buf) - (size_t)min(n, (int)sizeof(buf)),
			      " cpu%u(node %d)=%lu%%", cpu, cpu_to_node(cpu),
			      all ? local * 100 / all : 100);
	}
	pr_info("own-node allocations:%s of %d node(s)\n", buf, nr_node_ids);
}

void st_print_summary(void)
{
	struct mm_alloc_stats mm;
	struct labyrinth_pool_stats ps;
	struct zero_cache_stats zs;
	const unsigned long *a = mm.atomic;

	mm_alloc_stats_read(NR_CPUS, &mm);
	st_mm_stats_sub(&mm, &st_base.mm);
	labyrinth_pool_stats(&ps);
	pr_info("summary: seed=%llu cpus=%u hz=%u phase_ms=%u time_ms=%llu\n",
		(unsigned long long)st.seed, st.nr_cpus, st.hz, st.ms,
		(unsigned long long)((arch_cycles() - st_base.t0) / max(st_ms_to_cycles(1), 1ull)));
	print_interrupts();
	print_own_node();
	pr_info("atomic sources: pcp=%lu buddy=%lu reserve=%lu pool=%lu exclusive=%lu (of %lu "
		"IRQ allocations)\n",
		a[ALLOC_SRC_PCP], a[ALLOC_SRC_BUDDY], a[ALLOC_SRC_RESERVE], a[ALLOC_SRC_POOL],
		a[ALLOC_SRC_EXCLUSIVE], st_total(irq_allocs));
	print_failures();
	print_latency();
	pr_info("stamps: checked=%lu bad=%lu exclusive=%lu cross_cpu=%lu ring_full=%lu\n",
		st_total(checked), st_bad_stamps(), st_total(excl), st_total(sent),
		st_total(ring_full));
	pr_info("pool: size=%lu level=%lu lowest=%lu hits=%lu misses=%lu refills_free=%lu "
		"refills_balancer=%lu\n",
		ps.size, ps.level, ps.lowest, ps.hits - st_base.pool.hits,
		ps.misses - st_base.pool.misses, ps.refills_free - st_base.pool.refills_free,
		ps.refills_balancer - st_base.pool.refills_balancer);
	zero_cache_stats(&zs);
	pr_info("zero cache: size=%lu level=%lu hits=%lu misses=%lu filled=%lu shrunk=%lu (emptied "
		"for the test)\n",
		zs.size, zs.level, zs.hits, zs.misses, zs.filled, zs.shrunk);
	pr_info("leaked=%ld pages\n", st_leaked);
	show_pagetypeinfo();	 /* grouping by mobility after the phases */
	show_compaction_stats(); /* /proc/vmstat's compaction lines */
}
