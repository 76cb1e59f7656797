/*
 * internal.h - what the files of the IRQ self-test share (selftest/): the
 * phases, each CPU's state (written by its timer hook or by its process
 * context, never both), the test-wide state, the baseline taken before
 * the test, one phase's numbers, the small helpers every file uses, and
 * the functions that cross files. Not an API: the kernel sees only
 * selftest_run() (include/labyrinth/selftest.h, selftest/selftest.c).
 *
 * Who owns a page when: the hook (irq.c) from alloc to push; the ring until
 * the consumer (consumer.c) pops it; then the consumer, which frees it,
 * keeps it on its own `kept` list (a link inside the page, after the stamp)
 * or pushes it to the next CPU's xring; only the CPU owning an exclusive
 * page frees it. Drained blocks are drain.c's (a lock, process context
 * only) until the test shrinker or the release frees them.
 */
#ifndef SELFTEST_INTERNAL_H
#define SELFTEST_INTERNAL_H

#include <labyrinth/exclusive.h>
#include <labyrinth/ktest.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/numa.h>
#include <labyrinth/pool.h>
#include <labyrinth/smp.h>
#include <asm/tsc.h>

#include "ring.h"

enum st_phase { PH_WARMUP, PH_PRESSURE, PH_EXHAUSTION, PH_RELEASE, NR_PHASES };

#define ST_LONG_MAX ((long)(~0ul >> 1))
#define LAT_SAMPLES 512	  /* per CPU, a uniform sample (reservoir) */
#define JOB_SLACK_MS 3000 /* a CPU later than this is reported stuck */
#define MIN_TICKS 5	  /* timer interrupts every CPU must take per phase */
/* A phase runs selftest_ms, then on until its goal (consumer.c:
 * st_goal_met()) is met, at most PHASE_BOUND times selftest_ms in all. */
#define PHASE_BOUND 20

/* The head of every page of a stamped block (stamp.c); its last 8 bytes
 * hold ~pattern. */
struct st_stamp {
	u32 magic;
	u8 cpu, order;
	u16 index; /* page within the block */
	u64 seq;
	u64 pattern;
};

struct st_link; /* a kept block's list link (consumer.c) */

struct st_cpu {
	struct spsc_ring ring;	/* producer: this CPU's hook; consumer: this CPU */
	struct spsc_ring xring; /* producer: previous CPU's process ctx; consumer: this CPU */
	/* Written by this CPU's timer hook only (IRQ context): */
	u64 irq_rng, seq;
	unsigned long irq_allocs, irq_null[NR_PHASES], ring_full, excl, excl_dirty;
	/* NULLs while the pool or a zone's reserve provably held a usable
	 * page all through the attempt (irq.c: judge_null()). */
	unsigned long irq_unjustified[NR_PHASES];
	/* Exclusive NULLs with this CPU's reserve and the pool's sealed part
	 * empty (with PKS; hand-overs move pages between reserves). */
	unsigned long irq_excl_empty_null[NR_PHASES];
	/* Lowest sample of the pages above the atomic watermarks, all zones. */
	long reserve_low[NR_PHASES];
	u64 lat_min, lat_max, lat_seen;
	u32 lat[LAT_SAMPLES];
	/* Written by this CPU's process context only: */
	u64 rng, last_seq;
	struct st_link *kept;
	unsigned long popped, checked, bad, sent, received, excl_checked, excl_bad;
	unsigned long kernel_ok[NR_PHASES], kernel_null[NR_PHASES];
	u32 done; /* the last job finished (st.job_seq), release-stored */
} __aligned(64);

extern struct st_cpu st_cpus[NR_CPUS];

/* The test as a whole: set up by selftest.c, switched by phases.c and irq.c. */
struct st_state {
	bool active;	    /* the hook allocates (release/acquire) */
	unsigned int phase; /* enum st_phase, read by the hook */
	unsigned long cpus; /* participating CPUs: those online at the start */
	unsigned int nr_cpus, hz, ms;
	u64 seed, deadline, half_time, burst_cycles;
	u64 bound;	     /* the phase's hard end: PHASE_BOUND x ms */
	u64 ticks0[NR_CPUS]; /* timer interrupts when the phase began */
	u32 job_seq;
	bool pool_tapped; /* pressure: the pool served someone; stop keeping IRQ pages */
	unsigned long pool_hits0;
	unsigned long shrunk; /* pages the test shrinker gave back (drain.c) */
};

extern struct st_state st;

/* What was true before the test, to compare with after (selftest.c takes it). */
struct st_base {
	unsigned long zone_free[MAX_NUMNODES][MAX_NR_ZONES];
	unsigned long bad_pages;
	struct numa_alloc_stats numa[NR_CPUS];
	struct mm_alloc_stats mm;
	struct labyrinth_pool_stats pool;
	unsigned long tables_split; /* direct-map tables made so far (exclusive_get_stats()) */
	u64 ticks[NR_CPUS];
	u64 t0;
};

extern struct st_base st_base;

/* One phase's numbers: deltas over its active part (stats.c). */
struct st_phase_stats {
	struct mm_alloc_stats mm;
	u64 ticks[NR_CPUS];
	unsigned long irq_allocs, irq_null, kernel_ok, kernel_null, bad;
	unsigned long irq_unjustified, irq_excl_empty_null;
	long reserve_low; /* the reserve's low point: pages above the atomic watermarks */
	struct labyrinth_pool_stats pool; /* deltas, but size, level and lowest (absolute) */
	u64 t0, cycles;
	unsigned int stuck;
};

#define for_each_st_cpu(cpu)                     \
	for_each_online_cpu(cpu)                 \
		if (!((st.cpus >> (cpu)) & 1)) { \
		} else

/* ---- small helpers ---- */

/* Free pages of z plus its pages in the Labyrinth pool (a free may refill
 * the pool with a page of another node than the one taken) and in the
 * exclusive reserves (which CPU's reserve holds a page changes with frees
 * after a hand-over): what the release compares with the baseline.
 * Quiescent moments only. */
static inline unsigned long st_zone_held(const struct zone *z)
{
	return zone_nr_free_pages(z) + labyrinth_pool_pages_in(z) + exclusive_reserve_pages_in(z);
}

static inline u64 st_rng_next(u64 *s) /* xorshift64* */
{
	u64 x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static inline u64 st_ms_to_cycles(u64 ms)
{
	return (tsc_hz() ? tsc_hz() : 1000000000ull) / 1000 * ms;
}

/* A ring slot: page | order (0-3) | exclusive (struct page is 16 bytes). */
static inline unsigned long st_pack(struct page *page, unsigned int order, bool excl)
{
	return (unsigned long)page | order | (excl ? 4ul : 0);
}

static inline struct page *st_unpack(unsigned long w, unsigned int *order, bool *excl)
{
	*order = w & 3;
	*excl = w & 4;
	return (struct page *)(w & ~7ul);
}

/* ---- irq.c: the timers and their hook ---- */

void st_tick(void);
bool st_timers_set(unsigned int hz);
bool st_timers_stop(void);
void st_hooks_pause(void);
void st_hooks_resume(void);

/* ---- stamp.c: the stamp in every page, and its checks ---- */

void st_stamp_block(struct page *page, unsigned int order, unsigned int cpu, u64 seq);
void st_report_bad(struct st_cpu *c, struct page *page, unsigned int i, const char *why);
void st_check_stamps(struct st_cpu *c, struct page *page, unsigned int order, unsigned int from);
void st_check_exclusive(struct st_cpu *c, struct page *page, unsigned int cpu);
/* A zone's free pages plus those in the exclusive reserves. */
/* One deliberate foreign touch of an exclusive page: reported, survived. */
void st_exclusive_foreign_touch(struct ktest *t);

/* ---- consumer.c: process context on every CPU ---- */

bool st_goal_met(unsigned int ph);
void st_worker(void *arg);
void st_release_worker(void *arg);
void st_sync_job(void *arg);
unsigned int st_run_on_all(smp_call_func_t fn, u64 bound_ms, const char *what);
void st_excl_drain_job(void *arg);   /* this CPU's exclusive reserve emptied, kept */
void st_excl_undrain_job(void *arg); /* and given back */

/* ---- drain.c: the drains, the blocks they hold, the test shrinker ---- */

unsigned long st_drain_with(gfp_t gfp);
unsigned long st_drain_to_half_min(void);
unsigned long st_drain_atomic_margin(void);
unsigned long st_free_held(void);
int st_shrinker_register(void);
void st_shrinker_unregister(void);

/* ---- stats.c: the numbers ---- */

/* The sum over the participating CPUs of one unsigned long field of struct st_cpu. */
unsigned long st_total_at(size_t offset);
#define st_total(field) st_total_at(offsetof(struct st_cpu, field))
unsigned long st_bad_stamps(void);
void st_mm_stats_sub(struct mm_alloc_stats *a, const struct mm_alloc_stats *b);
void st_mm_stats_add(struct mm_alloc_stats *a, const struct mm_alloc_stats *b);
void st_phase_reset(unsigned int ph);
void st_phase_begin(struct st_phase_stats *p, unsigned int ph);
void st_phase_end(struct st_phase_stats *p, unsigned int ph);

/* ---- verify.c: the KTAP expectations ---- */

extern long st_leaked; /* pages missing at the release, summed over the zones */
unsigned long st_tables_split(void);
long st_leaked_pages(struct ktest *t);
void st_expect_warmup(struct ktest *t, const struct st_phase_stats *p);
void st_expect_below_min(struct ktest *t);
void st_expect_pressure(struct ktest *t, const struct st_phase_stats *p,
			const struct labyrinth_pool_stats *ps);
void st_expect_exhaustion(struct ktest *t, const struct st_phase_stats *p, unsigned long drained,
			  const struct labyrinth_pool_stats *ps);
void st_expect_release(struct ktest *t, unsigned long stuck, const struct labyrinth_pool_stats *ps);

/* ---- phases.c: one KTAP case each ---- */

void st_case_warmup(struct ktest *t);
void st_case_pressure(struct ktest *t);
void st_case_exhaustion(struct ktest *t);
void st_case_release(struct ktest *t);

/* ---- report.c: what is printed ---- */

void st_phase_show(const char *name, const struct st_phase_stats *p);
void st_print_summary(void);

#endif
