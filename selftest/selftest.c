/*
 * selftest.c - the interrupt-driven atomic self-test: what `make run` shows
 * after the KTAP suites (kernel/ktest.c). kmain calls selftest_run()
 * (include/labyrinth/selftest.h) once every CPU is up.
 *
 * Every CPU's local APIC timer (arch/x86_64/apic.c) is sped up to
 * selftest_hz; its hook, st_tick(), allocates one GFP_ATOMIC block of
 * order 0-3 per interrupt (a quarter of the order-0 ones __GFP_EXCLUSIVE),
 * stamps it and pushes it on its CPU's SPSC ring (include/labyrinth/ring.h).
 * Process context on every CPU (the APs through smp_queue_work(), the boot
 * CPU inline) pops the ring, checks the stamps and frees the pages, one in
 * four on the next CPU (through a second ring, after
 * exclusive_page_handover()), and allocates GFP_KERNEL pages in bursts.
 * Four phases, one KTAP case each:
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
 * Where each atomic page came from is mm/page_alloc.c's count
 * (mm_alloc_stats_read()). Every wait is bounded by the TSC.
 *
 * Who owns a page when: the hook from alloc to push; the ring until the
 * consumer pops it; then the consumer, which frees it, keeps it on its
 * own `kept` list (a link inside the page, after the stamp) or pushes it
 * to the next CPU's xring; only the CPU owning an exclusive page frees it.
 * Drained blocks are in held_blocks[] (a lock, process context only) until
 * the shrinker or the release frees them.
 */
#define pr_fmt(fmt) "selftest: " fmt

#include <labyrinth/cmdline.h>
#include <labyrinth/exclusive.h>
#include <labyrinth/gfp.h>
#include <labyrinth/ktest.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/numa.h>
#include <labyrinth/pcp.h>
#include <labyrinth/pool.h>
#include <labyrinth/printk.h>
#include <labyrinth/ring.h>
#include <labyrinth/selftest.h>
#include <labyrinth/shrinker.h>
#include <labyrinth/smp.h>
#include <labyrinth/spinlock.h>
#include <labyrinth/string.h>
#include <labyrinth/vm.h>
#include <asm/apic.h>
#include <asm/tsc.h>

enum st_phase { PH_WARMUP, PH_PRESSURE, PH_EXHAUSTION, PH_RELEASE, NR_PHASES };
static const char *const phase_name[NR_PHASES] = { "warmup", "pressure", "exhaustion", "release" };

#define ST_MAGIC 0x4c414259u /* "LABY" */
#define LAT_SAMPLES 512	     /* per CPU, a uniform sample (reservoir) */
#define LINK_OFFSET 64	     /* a kept block's list link: after the stamp */
#define BURST_US 1000	     /* GFP_KERNEL bursts: one per ms and CPU */
#define JOB_SLACK_MS 3000    /* a CPU later than this is reported stuck */
#define BAD_REPORTS 8	     /* stamp errors printed in full */
#define MIN_TICKS 5	     /* timer interrupts every CPU must take per phase */
#define ATOMIC_MARGIN 16     /* pressure: reserve pages left to the IRQ handlers */

/* The head of every page of a stamped block; its last 8 bytes hold ~pattern. */
struct st_stamp {
	u32 magic;
	u8 cpu, order;
	u16 index; /* page within the block */
	u64 seq;
	u64 pattern;
};

/* Kept blocks are chained through their first page (already touched). */
struct st_link {
	struct st_link *next;
	unsigned long order;
};

struct st_cpu {
	struct spsc_ring ring;	/* producer: this CPU's hook; consumer: this CPU */
	struct spsc_ring xring; /* producer: previous CPU's process ctx; consumer: this CPU */
	/* Written by this CPU's timer hook only (IRQ context): */
	u64 irq_rng, seq;
	unsigned long irq_allocs, irq_null[NR_PHASES], ring_full, excl, excl_dirty;
	u64 lat_min, lat_max, lat_seen;
	u32 lat[LAT_SAMPLES];
	/* Written by this CPU's process context only: */
	u64 rng, last_seq;
	struct st_link *kept;
	unsigned long popped, checked, bad, sent, received, excl_checked, excl_bad;
	unsigned long kernel_ok[NR_PHASES], kernel_null[NR_PHASES];
	u32 done; /* the last job finished (st.job_seq), release-stored */
} __aligned(64);

static struct st_cpu st_cpus[NR_CPUS];

static struct {
	bool active;	    /* the hook allocates (release/acquire) */
	unsigned int phase; /* enum st_phase, read by the hook */
	unsigned long cpus; /* participating CPUs: those online at the start */
	unsigned int nr_cpus, hz, ms;
	u64 seed, deadline, half_time, burst_cycles;
	u32 job_seq;
	bool pool_tapped; /* pressure: the pool served someone; stop keeping IRQ pages */
	unsigned long pool_hits0;
	spinlock_t held_lock; /* nr_held, held_blocks[], held_pages: process context */
	unsigned int nr_held;
	unsigned long held_pages, budget, shrunk;
	struct shrinker shrinker;
} st = { .held_lock = SPINLOCK_INIT };

/* What was true before the test, to compare with after. */
static struct {
	unsigned long zone_free[MAX_NUMNODES][MAX_NR_ZONES];
	unsigned long bad_pages;
	struct numa_alloc_stats numa[NR_CPUS];
	struct mm_alloc_stats mm;
	struct labyrinth_pool_stats pool;
	u64 ticks[NR_CPUS];
	u64 t0;
} base;

/* One phase's numbers: deltas over its active part. */
struct st_phase_stats {
	struct mm_alloc_stats mm;
	u64 ticks[NR_CPUS];
	unsigned long irq_allocs, irq_null, kernel_ok, kernel_null, bad;
	u64 t0, cycles;
	unsigned int stuck;
};

static u32 lat_all[NR_CPUS * LAT_SAMPLES];

/* Drained blocks, page | order (struct page is 16 bytes: 4 low bits free). */
#define HELD_MAX 16384u /* 64 GiB in 4 MiB blocks */
static unsigned long held_blocks[HELD_MAX];

#define for_each_st_cpu(cpu)                     \
	for_each_online_cpu(cpu)                 \
		if (!((st.cpus >> (cpu)) & 1)) { \
		} else

/* ---- small helpers ---- */

static u64 rng_next(u64 *s) /* xorshift64* */
{
	u64 x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static u64 st_pattern(unsigned int cpu, u64 seq, unsigned int order, unsigned int index)
{
	u64 s = (seq << 16) ^ ((u64)cpu << 8) ^ (order << 4) ^ index ^ 0x9e3779b97f4a7c15ull;

	return rng_next(&s);
}

static u64 ms_to_cycles(u64 ms)
{
	return (tsc_hz() ? tsc_hz() : 1000000000ull) / 1000 * ms;
}

static unsigned long pack(struct page *page, unsigned int order, bool excl)
{
	return (unsigned long)page | order | (excl ? 4ul : 0);
}

static struct page *unpack(unsigned long w, unsigned int *order, bool *excl)
{
	*order = w & 3;
	*excl = w & 4;
	return (struct page *)(w & ~7ul);
}

static unsigned int next_st_cpu(unsigned int cpu)
{
	for (unsigned int i = 1; i <= NR_CPUS; i++)
		if ((st.cpus >> ((cpu + i) % NR_CPUS)) & 1)
			return (cpu + i) % NR_CPUS;
	return cpu;
}

/* ---- the timer hook (IRQ context) ---- */

static void stamp_block(struct page *page, unsigned int order, unsigned int cpu, u64 seq)
{
	for (unsigned int i = 0; i < (1u << order); i++) {
		u8 *p = (u8 *)page_address(page) + i * PAGE_SIZE;
		struct st_stamp *s = (struct st_stamp *)p;

		*s = (struct st_stamp){ ST_MAGIC, (u8)cpu, (u8)order,
					(u16)i,	  seq,	   st_pattern(cpu, seq, order, i) };
		*(u64 *)(p + PAGE_SIZE - 8) = ~s->pattern;
	}
}

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
	j = n < LAT_SAMPLES ? n : rng_next(&c->irq_rng) % (n + 1);
	if (j < LAT_SAMPLES)
		c->lat[j] = (u32)min(dt, 0xffffffffull);
}

/* apic_timer_set_hook(): every timer interrupt of every CPU. */
static void st_tick(void)
{
	unsigned int cpu = arch_cpu_id(), order;
	struct st_cpu *c = &st_cpus[cpu];
	struct page *page;
	bool excl;
	u64 r, t0, dt;

	if (!__atomic_load_n(&st.active, __ATOMIC_ACQUIRE) || !((st.cpus >> cpu) & 1))
		return;
	r = rng_next(&c->irq_rng);
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
	stamp_block(page, order, cpu, ++c->seq);
	if (!spsc_ring_push(&c->ring, pack(page, order, excl))) {
		c->ring_full++; /* the consumer is behind: give it back at once */
		__free_pages(page, order);
	}
}

/* ---- process context: checking, keeping, freeing ---- */

static void report_bad(struct st_cpu *c, struct page *page, unsigned int i, const char *why)
{
	if (c->bad++ < BAD_REPORTS)
		pr_err("CPU %u: pfn %#lx page %u: %s\n", arch_cpu_id(), page_to_pfn(page), i, why);
}

/* Checks the stamp of every page of a block; from = the stamping CPU, or
 * NR_CPUS for "any". */
static void check_stamps(struct st_cpu *c, struct page *page, unsigned int order, unsigned int from)
{
	const struct st_stamp *s0 = page_address(page);

	c->checked++;
	for (unsigned int i = 0; i < (1u << order); i++) {
		const u8 *p = (const u8 *)page_address(page) + i * PAGE_SIZE;
		const struct st_stamp *s = (const struct st_stamp *)p;

		if (s->magic != ST_MAGIC || s->order != order || s->index != i ||
		    s->seq != s0->seq || (from < NR_CPUS && s->cpu != from))
			report_bad(c, page, i, "stamp header corrupted");
		else if (s->pattern != st_pattern(s->cpu, s->seq, order, i) ||
			 *(const u64 *)(p + PAGE_SIZE - 8) != ~s->pattern)
			report_bad(c, page, i, "stamp pattern corrupted");
	}
}

/* An exclusive page: ours, and mapped supervisor-only and NX. */
static void check_exclusive(struct st_cpu *c, struct page *page, unsigned int cpu)
{
	unsigned int flags = 0, level = 0;
	phys_addr_t pa = 0;

	c->excl_checked++;
	if (!page_is_exclusive(page) || page->owner != cpu) {
		c->excl_bad++;
		report_bad(c, page, 0, "not exclusive to this CPU");
	} else if (!vm_translate((u64)page_address(page), &pa, &flags, &level) ||
		   pa != page_to_phys(page) || (flags & (VM_USER | VM_EXEC))) {
		c->excl_bad++;
		report_bad(c, page, 0, "exclusive page mapped user or executable");
	}
}

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

/* One in four popped pages goes to the next CPU, handed over if exclusive.
 * We are the only producer of that ring: space seen here stays there. */
static bool send_next(struct st_cpu *c, unsigned int cpu, struct page *page, unsigned int order,
		      bool excl)
{
	unsigned int to = next_st_cpu(cpu);
	struct spsc_ring *r = &st_cpus[to].xring;

	if (to == cpu || (rng_next(&c->rng) & 3) || !spsc_ring_space(r))
		return false;
	if (excl && exclusive_page_handover(page, to))
		return false; /* reported by mm/exclusive.c; still ours */
	spsc_ring_push(r, pack(page, order, excl));
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
		page = unpack(w, &order, &excl);
		c->popped++;
		check_stamps(c, page, order, cpu);
		if (((struct st_stamp *)page_address(page))->seq <= c->last_seq)
			report_bad(c, page, 0, "ring out of order");
		c->last_seq = ((struct st_stamp *)page_address(page))->seq;
		if (excl)
			check_exclusive(c, page, cpu);
		if (!send || !send_next(c, cpu, page, order, excl))
			dispose(c, page, order, keep);
	}
	for (; n < max && spsc_ring_pop(&c->xring, &w); n++) {
		page = unpack(w, &order, &excl);
		c->received++;
		check_stamps(c, page, order, NR_CPUS);
		if (excl)
			check_exclusive(c, page, cpu);
		dispose(c, page, order, keep);
	}
	return n;
}

/* GFP_KERNEL in bursts: up to 8 blocks of order 0-2, touched, then freed
 * at once; kept instead in exhaustion, and under pressure until this CPU's
 * first NULL (so reclaim must give pages back before it can fail). */
static void kernel_burst(struct st_cpu *c, unsigned int ph)
{
	u64 r = rng_next(&c->rng);
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

/* A phase's work on one CPU, until st.deadline (queued work, or inline):
 * pop and check, allocate GFP_KERNEL in bursts (under pressure only once
 * the pool was tapped or half the phase is gone, so the IRQ handlers meet
 * the reserve before reclaim lifts the zones again; then without pause). */
static void st_worker(void *arg)
{
	unsigned int cpu = arch_cpu_id(), ph = READ_ONCE(st.phase);
	struct st_cpu *c = &st_cpus[cpu];
	u64 now, next_burst = 0;
	struct labyrinth_pool_stats ps;

	(void)arg;
	while ((now = arch_cycles()) < READ_ONCE(st.deadline)) {
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
static void st_release_worker(void *arg)
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

/* ---- running work on every CPU, bounded ---- */

/* Runs fn on every participating CPU (this one inline) and waits for all,
 * at most bound_ms after this CPU's share; returns the CPUs that did not
 * finish (each reported). */
static unsigned int run_on_all(smp_call_func_t fn, u64 bound_ms, const char *what)
{
	unsigned int cpu, me = arch_cpu_id(), stuck = 0;
	u32 seq = ++st.job_seq;
	u64 deadline;

	for_each_st_cpu(cpu)
	{
		if (cpu != me && smp_queue_work(cpu, fn, NULL))
			pr_err("cannot queue %s work on CPU %u\n", what, cpu);
	}
	fn(NULL);
	deadline = arch_cycles() + ms_to_cycles(bound_ms);
	for_each_st_cpu(cpu)
	{
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

static void set_rate(void *arg)
{
	apic_timer_start_periodic(*(unsigned int *)arg);
}

/* Every CPU's timer to hz (this CPU's directly); false if a CPU did not answer. */
static bool timers_set(unsigned int hz)
{
	bool ok = smp_call_function(set_rate, &hz, true) == 0;

	smp_call_function_single(arch_cpu_id(), set_rate, &hz, true);
	return ok;
}

static void noop(void *arg)
{
	(void)arg;
}

/* ---- the test shrinker and the drains ---- */

static unsigned long st_count(struct shrinker *s, struct shrink_control *sc)
{
	(void)s;
	(void)sc;
	if (READ_ONCE(st.phase) != PH_PRESSURE)
		return 0;
	return min(READ_ONCE(st.held_pages), READ_ONCE(st.budget));
}

/* Pops the most recently held block; NULL if none. */
static struct page *held_pop(unsigned int *order)
{
	unsigned long w = 0;

	spin_lock(&st.held_lock);
	if (st.nr_held) {
		w = held_blocks[--st.nr_held];
		st.held_pages -= 1ul << (w & 15);
	}
	spin_unlock(&st.held_lock);
	*order = w & 15;
	return (struct page *)(w & ~15ul);
}

static bool held_push(struct page *page, unsigned int order)
{
	bool ok;

	spin_lock(&st.held_lock);
	ok = st.nr_held < HELD_MAX;
	if (ok) {
		held_blocks[st.nr_held++] = (unsigned long)page | order;
		st.held_pages += 1ul << order;
	}
	spin_unlock(&st.held_lock);
	return ok;
}

/* Frees held blocks (most recently drained first) within the budget.
 * Runs under mm/reclaim.c's shrinker lock: one scan at a time. */
static unsigned long st_scan(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long freed = 0;
	unsigned int order;
	struct page *page;

	(void)s;
	while (freed < sc->nr_to_scan && st.budget && (page = held_pop(&order))) {
		__free_pages(page, order);
		freed += 1ul << order;
		st.budget -= min(st.budget, 1ul << order);
	}
	st.shrunk += freed;
	return freed;
}

/* Allocates blocks of every order, largest first, until gfp gets NULL;
 * holds them in held_blocks[] (not in the pages: touching a page the guest
 * never used makes the host back it, slowly). Returns pages taken. */
static unsigned long drain_with(gfp_t gfp)
{
	unsigned long pages = 0;
	struct page *page;

	for (int order = MAX_PAGE_ORDER; order >= 0; order--) {
		while ((page = alloc_pages(gfp, (unsigned int)order))) {
			if (!held_push(page, (unsigned int)order)) {
				__free_pages(page, (unsigned int)order);
				pr_err("more than %u blocks to hold: drain stopped\n", HELD_MAX);
				return pages;
			}
			pages += 1ul << order;
		}
	}
	return pages;
}

/*
 * Pressure, step 1: every zone, each with its own requests so no lowmem
 * reserve protects it, drained by a sleeping __GFP_HIGH caller: past min,
 * to half of it (gfp.h). Counted as "other" (not atomic) allocations.
 */
static unsigned long drain_to_half_min(void)
{
	const gfp_t base_gfp = __GFP_HIGH | __GFP_DIRECT_RECLAIM | __GFP_NOWARN;

	return drain_with(base_gfp | __GFP_DMA) + drain_with(base_gfp | __GFP_DMA32) +
	       drain_with(base_gfp);
}

static void mm_stats_sub(struct mm_alloc_stats *a, const struct mm_alloc_stats *b)
{
	for (int i = 0; i < NR_ALLOC_SRC; i++) {
		a->atomic[i] -= b->atomic[i];
		a->other[i] -= b->other[i];
	}
	a->atomic_failures -= b->atomic_failures;
	a->other_failures -= b->other_failures;
	a->injected -= b->injected;
	a->lock_busy -= b->lock_busy;
}

static void mm_stats_add(struct mm_alloc_stats *a, const struct mm_alloc_stats *b)
{
	for (int i = 0; i < NR_ALLOC_SRC; i++) {
		a->atomic[i] += b->atomic[i];
		a->other[i] += b->other[i];
	}
	a->atomic_failures += b->atomic_failures;
	a->other_failures += b->other_failures;
	a->injected += b->injected;
	a->lock_busy += b->lock_busy;
}

/*
 * Step 2: GFP_ATOMIC from process context, this CPU's interrupts off, to
 * ATOMIC_MARGIN pages above each zone's atomic watermark (3/8 of min). The
 * IRQ handlers find a few pages of reserve below min, then only the pool.
 * Added to the baseline's counts, so the atomic sources stay the IRQs'.
 */
static unsigned long drain_atomic_margin(void)
{
	static const gfp_t zone_gfp[MAX_NR_ZONES] = { __GFP_DMA, __GFP_DMA32, 0 };
	const gfp_t gfp = GFP_ATOMIC | __GFP_NOWARN;
	struct mm_alloc_stats before, after;
	unsigned long flags = arch_irq_save(), pages = 0;
	struct page *page;

	mm_alloc_stats_read(arch_cpu_id(), &before);
	for (int nid = 0; nid < nr_node_ids; nid++) {
		for (int i = 0; i < MAX_NR_ZONES; i++) {
			struct zone *z = &NODE_DATA(nid)->node_zones[i];
			long stop = z->wmark_thr[ALLOC_WMARK_ATOMIC][i] + ATOMIC_MARGIN;

			while (
			    populated_zone(z) && (long)READ_ONCE(z->free_pages) > stop &&
			    (page = alloc_pages_node(nid, gfp | __GFP_THISNODE | zone_gfp[i], 0)) &&
			    held_push(page, 0))
				pages++;
		}
	}
	mm_alloc_stats_read(arch_cpu_id(), &after);
	arch_irq_restore(flags);
	mm_stats_sub(&after, &before);
	mm_stats_add(&base.mm, &after);
	return pages;
}

/* ---- snapshots ---- */

static void sum_cpu_counters(struct st_phase_stats *p, unsigned int ph, int sign)
{
	unsigned int cpu;

	for_each_st_cpu(cpu)
	{
		struct st_cpu *c = &st_cpus[cpu];

		p->irq_allocs += sign * READ_ONCE(c->irq_allocs);
		p->irq_null += sign * READ_ONCE(c->irq_null[ph]);
		p->kernel_ok += sign * c->kernel_ok[ph];
		p->kernel_null += sign * c->kernel_null[ph];
		p->bad += sign * (c->bad + c->excl_bad + READ_ONCE(c->excl_dirty));
		p->ticks[cpu] += sign * apic_timer_ticks(cpu);
	}
}

static void phase_begin(struct st_phase_stats *p, unsigned int ph)
{
	memset(p, 0, sizeof(*p));
	sum_cpu_counters(p, ph, -1);
	mm_alloc_stats_read(NR_CPUS, &p->mm);
	p->t0 = arch_cycles();
}

static void phase_end(struct st_phase_stats *p, unsigned int ph)
{
	struct mm_alloc_stats before = p->mm;

	p->cycles = arch_cycles() - p->t0;
	sum_cpu_counters(p, ph, 1);
	mm_alloc_stats_read(NR_CPUS, &p->mm);
	mm_stats_sub(&p->mm, &before);
}

/* The fragplot marker, buddyinfo, then the phase's numbers. */
static void phase_show(const char *name, const struct st_phase_stats *p)
{
	const unsigned long *a;

	pr_info("phase %s\n", name);
	show_buddyinfo();
	if (!p)
		return;
	a = p->mm.atomic;
	pr_info("%s: irq_allocs=%lu irq_null=%lu pcp=%lu buddy=%lu reserve=%lu pool=%lu "
		"kernel_ok=%lu kernel_null=%lu injected=%lu lock_busy=%lu ms=%llu\n",
		name, p->irq_allocs, p->irq_null, a[ALLOC_SRC_PCP], a[ALLOC_SRC_BUDDY],
		a[ALLOC_SRC_RESERVE], a[ALLOC_SRC_POOL], p->kernel_ok, p->kernel_null,
		p->mm.injected, p->mm.lock_busy,
		(unsigned long long)(p->cycles / max(ms_to_cycles(1), 1ull)));
}

/* Checks every phase shares: all CPUs finished, stamps held, and every CPU
 * took timer interrupts. Not their rate: TCG delivers a vCPU's interrupts
 * only while the host runs it, and a busy host runs it less. */
static void expect_common(struct ktest *t, const struct st_phase_stats *p)
{
	unsigned int cpu;

	KEXPECT_EQ(t, p->stuck, 0);
	KEXPECT_EQ(t, p->bad, 0);
	for_each_st_cpu(cpu)
	{
		ktest_expect(t, p->ticks[cpu] >= MIN_TICKS, __FILE__, __LINE__,
			     "CPU %u: %llu timer interrupts, want >= %u", cpu,
			     (unsigned long long)p->ticks[cpu], MIN_TICKS);
	}
}

/* ---- the phases ---- */

/* The sum over the participating CPUs of one unsigned long field of struct st_cpu. */
static unsigned long st_total_at(size_t offset)
{
	unsigned long n = 0;
	unsigned int cpu;

	for_each_st_cpu(cpu) n += *(const unsigned long *)((const char *)&st_cpus[cpu] + offset);
	return n;
}
#define total(field) st_total_at(offsetof(struct st_cpu, field))

/* Pages whose stamp, exclusive ownership or zeroing did not hold. */
static unsigned long bad_stamps(void)
{
	return total(bad) + total(excl_bad) + total(excl_dirty);
}

/* While process context drains, the hooks stay quiet (an idle CPU's ring
 * would otherwise fill with reserve pages before the phase starts). */
static void hooks_pause(void)
{
	__atomic_store_n(&st.active, false, __ATOMIC_RELEASE);
}

static void run_phase(struct st_phase_stats *p, unsigned int ph)
{
	__atomic_store_n(&st.active, true, __ATOMIC_RELEASE);
	phase_begin(p, ph);
	st.half_time = arch_cycles() + ms_to_cycles(st.ms / 2);
	WRITE_ONCE(st.deadline, arch_cycles() + ms_to_cycles(st.ms));
	p->stuck = run_on_all(st_worker, JOB_SLACK_MS, phase_name[ph]);
	phase_end(p, ph);
}

static void case_warmup(struct ktest *t)
{
	struct st_phase_stats p;

	WRITE_ONCE(st.phase, PH_WARMUP);
	KEXPECT_TRUE(t, timers_set(st.hz));
	run_phase(&p, PH_WARMUP);
	phase_show("warmup", &p);
	expect_common(t, &p);
	KEXPECT_TRUE(t, p.irq_allocs > 0);
	/* No failure but injected ones, or a zone lock that stayed busy (the
	 * IRQ path only tries it: mmzone.h) for an order > 0 block. */
	KEXPECT_TRUE(t, p.irq_null <= p.mm.injected + p.mm.lock_busy);
	KEXPECT_TRUE(t, p.kernel_ok > 0);
	KEXPECT_EQ(t, p.kernel_null, 0);
	KEXPECT_TRUE(t, total(checked) > 0);
	KEXPECT_TRUE(t, total(excl_checked) > 0);
	if (st.nr_cpus > 1)
		KEXPECT_TRUE(t, total(received) > 0);
}

/* The shrinker may give back what lifts every zone to its low watermark
 * (so reclaim can succeed: GFP_KERNEL needs low), one low-min step more and
 * 64 pages: enough for a few successes, little enough to run out. */
static unsigned long pressure_budget(void)
{
	unsigned long b = 64;
	struct zone *z;

	for_each_zone(z) {
		unsigned long low = z->_watermark[WMARK_LOW], free = zone_nr_free_pages(z);

		if (populated_zone(z))
			b += (low > free ? low - free : 0) + low - z->_watermark[WMARK_MIN];
	}
	return b;
}

static void case_pressure(struct ktest *t)
{
	struct labyrinth_pool_stats ps;
	struct st_phase_stats p;
	unsigned long drained, margin;
	struct zone *z;

	WRITE_ONCE(st.phase, PH_PRESSURE);
	hooks_pause(); /* the reserve is the IRQ handlers' once the phase runs */
	drain_all_pages(NULL);
	drained = drain_to_half_min();
	margin = drain_atomic_margin();
	pr_info("pressure: drained %lu pages (%lu of them GFP_ATOMIC) to below the min "
		"watermarks\n",
		drained + margin, margin);
	for_each_zone(z) {
		if (populated_zone(z))
			KEXPECT_TRUE(t, z->free_pages < z->_watermark[WMARK_MIN]);
	}
	labyrinth_pool_stats(&ps);
	st.pool_hits0 = ps.hits;
	st.budget = pressure_budget();
	KEXPECT_EQ(t, register_shrinker(&st.shrinker), 0);
	run_phase(&p, PH_PRESSURE);
	phase_show("pressure", &p);
	pr_info("pressure: test shrinker gave back %lu pages, GFP_KERNEL then failed %lu times\n",
		st.shrunk, p.kernel_null);
	expect_common(t, &p);
	KEXPECT_TRUE(t, p.irq_allocs > 0);
	KEXPECT_TRUE(t, p.mm.atomic[ALLOC_SRC_RESERVE] > 0);
	if (ps.size)
		KEXPECT_TRUE(t, p.mm.atomic[ALLOC_SRC_POOL] > 0);
	KEXPECT_TRUE(t, st.shrunk > 0);
	KEXPECT_TRUE(t, p.kernel_ok > 0);
	KEXPECT_TRUE(t, p.kernel_null > 0);
}

static void case_exhaustion(struct ktest *t)
{
	struct labyrinth_pool_stats ps;
	struct st_phase_stats p;
	unsigned long drained;

	WRITE_ONCE(st.phase, PH_EXHAUSTION);
	hooks_pause();
	drained = drain_with(__GFP_MEMALLOC | __GFP_DIRECT_RECLAIM | __GFP_NOWARN);
	pr_info("exhaustion: __GFP_MEMALLOC took the last %lu free pages\n", drained);
	run_phase(&p, PH_EXHAUSTION);
	labyrinth_pool_stats(&ps);
	phase_show("exhaustion", &p);
	pr_info("exhaustion: pool level %lu of %lu, lowest %lu; %lu atomic NULLs survived\n",
		ps.level, ps.size, ps.lowest, p.irq_null);
	expect_common(t, &p);
	KEXPECT_TRUE(t, drained > 0);
	KEXPECT_TRUE(t, p.irq_null > 0);
	KEXPECT_EQ(t, ps.lowest, 0);
	KEXPECT_TRUE(t, p.kernel_null > 0);
}

/* Timers back to TIMER_HZ. Once every CPU has taken the call (its hook, run
 * with interrupts off, cannot be in flight then), no hook allocates. */
static bool timers_stop(void)
{
	bool ok;

	__atomic_store_n(&st.active, false, __ATOMIC_RELEASE);
	ok = timers_set(TIMER_HZ);
	ok &= smp_call_function(noop, NULL, true) == 0;
	apic_timer_set_hook(NULL);
	return ok;
}

/* Frees what the drains still hold; returns the pages. */
static unsigned long free_held(void)
{
	unsigned long pages = 0;
	unsigned int order;
	struct page *page;

	while ((page = held_pop(&order))) {
		__free_pages(page, order);
		pages += 1ul << order;
	}
	return pages;
}

/* Pages missing per zone against the baseline (negative: more free now). */
static long leaked_pages(struct ktest *t)
{
	long leaked = 0;

	for (int nid = 0; nid < nr_node_ids; nid++) {
		for (int i = 0; i < MAX_NR_ZONES; i++) {
			const struct zone *z = &NODE_DATA(nid)->node_zones[i];
			long d = (long)base.zone_free[nid][i] - (long)zone_nr_free_pages(z);

			if (!populated_zone(z))
				continue;
			ktest_expect(t, d == 0, __FILE__, __LINE__,
				     "node %d zone %s: %lu free before, %lu after", nid, z->name,
				     base.zone_free[nid][i], zone_nr_free_pages(z));
			leaked += d;
		}
	}
	return leaked;
}

static long st_leaked;

/* Atomic allocations since the baseline, all sources (mm/page_alloc.c). */
static unsigned long atomic_total(void)
{
	struct mm_alloc_stats mm;
	unsigned long n = 0;

	mm_alloc_stats_read(NR_CPUS, &mm);
	mm_stats_sub(&mm, &base.mm);
	for (int i = 0; i < NR_ALLOC_SRC; i++)
		n += mm.atomic[i];
	return n;
}

static void case_release(struct ktest *t)
{
	struct labyrinth_pool_stats ps;
	unsigned long stuck, held;

	WRITE_ONCE(st.phase, PH_RELEASE);
	KEXPECT_TRUE(t, timers_stop());
	stuck = run_on_all(st_release_worker, JOB_SLACK_MS, "release");
	held = free_held();
	unregister_shrinker(&st.shrinker);
	drain_all_pages(NULL);
	labyrinth_pool_refill();
	drain_all_pages(NULL);
	labyrinth_pool_stats(&ps);
	phase_show("release", NULL);
	st_leaked = leaked_pages(t);
	pr_info("release: %lu drained pages given back, pool %lu/%lu, bad pages %lu\n", held,
		ps.level, ps.size, mm_bad_page_count - base.bad_pages);
	balancer_set_enabled(true);
	KEXPECT_EQ(t, stuck, 0);
	KEXPECT_EQ(t, st_leaked, 0);
	KEXPECT_EQ(t, mm_check_invariants(), 0);
	KEXPECT_EQ(t, ps.level, ps.size);
	KEXPECT_EQ(t, mm_bad_page_count, base.bad_pages);
	KEXPECT_EQ(t, total(checked), total(popped) + total(received));
	KEXPECT_EQ(t, bad_stamps(), 0);
	KEXPECT_EQ(t, atomic_total(), total(irq_allocs)); /* nobody else allocated atomically */
}

/* ---- the summary ---- */

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

	for_each_st_cpu(cpu)
	{
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
	u64 ms = max((arch_cycles() - base.t0) / max(ms_to_cycles(1), 1ull), 1ull), all = 0;
	char buf[256];
	size_t len = 0;
	unsigned int cpu;

	for_each_st_cpu(cpu)
	{
		u64 n = apic_timer_ticks(cpu) - base.ticks[cpu];

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

	for_each_st_cpu(cpu)
	{
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
		local = s.local_node - base.numa[cpu].local_node;
		all = local + s.other_node - base.numa[cpu].other_node;
		n += snprintf(buf + n, sizeof(buf) - (size_t)min(n, (int)sizeof(buf)),
			      " cpu%u(node %d)=%lu%%", cpu, cpu_to_node(cpu),
			      all ? local * 100 / all : 100);
	}
	pr_info("own-node allocations:%s of %d node(s)\n", buf, nr_node_ids);
}

static void print_summary(void)
{
	struct mm_alloc_stats mm;
	struct labyrinth_pool_stats ps;
	const unsigned long *a = mm.atomic;

	mm_alloc_stats_read(NR_CPUS, &mm);
	mm_stats_sub(&mm, &base.mm);
	labyrinth_pool_stats(&ps);
	pr_info("summary: seed=%llu cpus=%u hz=%u phase_ms=%u time_ms=%llu\n",
		(unsigned long long)st.seed, st.nr_cpus, st.hz, st.ms,
		(unsigned long long)((arch_cycles() - base.t0) / max(ms_to_cycles(1), 1ull)));
	print_interrupts();
	print_own_node();
	pr_info("atomic sources: pcp=%lu buddy=%lu reserve=%lu pool=%lu (of %lu IRQ "
		"allocations)\n",
		a[ALLOC_SRC_PCP], a[ALLOC_SRC_BUDDY], a[ALLOC_SRC_RESERVE], a[ALLOC_SRC_POOL],
		total(irq_allocs));
	print_failures();
	print_latency();
	pr_info("stamps: checked=%lu bad=%lu exclusive=%lu cross_cpu=%lu ring_full=%lu\n",
		total(checked), bad_stamps(), total(excl), total(sent), total(ring_full));
	pr_info("pool: size=%lu level=%lu lowest=%lu hits=%lu misses=%lu\n", ps.size, ps.level,
		ps.lowest, ps.hits - base.pool.hits, ps.misses - base.pool.misses);
	pr_info("leaked=%ld pages\n", st_leaked);
}

/* ---- setup and the KTAP document ---- */

static void sync_job(void *arg)
{
	(void)arg;
	job_done(&st_cpus[arch_cpu_id()]);
}

static void st_setup(void)
{
	unsigned int cpu;

	st.seed = boot_seed();
	st.hz = (unsigned int)param_num("selftest_hz");
	st.ms = (unsigned int)param_num("selftest_ms");
	st.burst_cycles = ms_to_cycles(1) * BURST_US / 1000;
	st.cpus = __atomic_load_n(&cpu_online_mask, __ATOMIC_ACQUIRE);
	st.nr_cpus = num_online_cpus();
	st.shrinker = (struct shrinker){ .count_objects = st_count,
					 .scan_objects = st_scan,
					 .name = "selftest" };
	for_each_st_cpu(cpu)
	{
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
	run_on_all(sync_job, JOB_SLACK_MS, "sync");
	drain_all_pages(NULL);
	labyrinth_pool_refill();
	drain_all_pages(NULL);
	for (int nid = 0; nid < nr_node_ids; nid++)
		for (int i = 0; i < MAX_NR_ZONES; i++)
			base.zone_free[nid][i] = zone_nr_free_pages(&NODE_DATA(nid)->node_zones[i]);
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		numa_alloc_stats_read(cpu, &base.numa[cpu]);
	base.bad_pages = mm_bad_page_count;
	mm_alloc_stats_read(NR_CPUS, &base.mm);
	labyrinth_pool_stats(&base.pool);
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		base.ticks[cpu] = apic_timer_ticks(cpu);
	base.t0 = arch_cycles();
}

static const struct ktest_case st_cases[] = {
	{ "warmup", case_warmup },
	{ "pressure", case_pressure },
	{ "exhaustion", case_exhaustion },
	{ "release", case_release },
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
	phase_show("before", NULL);
	apic_timer_set_hook(st_tick);
	printk(KERN_INFO "KTAP version 1\n");
	printk(KERN_INFO "1..1\n");
	printk(KERN_INFO "    KTAP version 1\n");
	printk(KERN_INFO "    # Subtest: selftest\n");
	printk(KERN_INFO "    1..%zu\n", ARRAY_SIZE(st_cases));
	for (unsigned int i = 0; i < ARRAY_SIZE(st_cases); i++)
		failed += !run_case(i + 1, &st_cases[i]);
	printk(KERN_INFO "%s 1 selftest\n", failed ? "not ok" : "ok");
	print_summary();
	pr_info("%s (%u of %zu phases failed)\n", failed ? "FAIL" : "PASS", failed,
		ARRAY_SIZE(st_cases));
	return failed;
}
