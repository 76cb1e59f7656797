/*
 * test_pool.c - the Labyrinth pool (mm/pool.c): sizing, take/give and
 * statistics, GFP_ATOMIC falling back to it below the atomic watermark and
 * when the zone lock is held by the interrupted context, refill, and
 * concurrent take/give from four threads (no page handed out twice, none
 * lost), MM_HOOK_POOL_LOW (set by a take, cleared by the next free, never
 * stale-false against a concurrent clear) and the exact low point, the
 * per-CPU cache (a give's page is this CPU's next take; another CPU's
 * slot taken before a NULL; slots counted in held_since and the targets).
 */
#include <pthread.h>
#include <string.h>

#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
#include <labyrinth/pool.h>
#include <labyrinth/shrinker.h>
#include "mm/internal.h"
#include "host.h"
#include "lib/sim_mem.h"

static void boot(bool pcp)
{
	sim_boot_quiet(sim_boot_info_qemu(128 << 20));
	host_set_cpu(0);
	mm_pcp_set_enabled(pcp);
	mm_alloc_stats_reset();
}

static void test_init_take_give(void)
{
	struct labyrinth_pool_stats s;
	struct page *p[9];
	unsigned long free0;
	int i;

	boot(true);
	free0 = nr_free_pages();
	labyrinth_pool_init(LABYRINTH_POOL_DEFAULT_BYTES);
	labyrinth_pool_stats(&s);
	ok(s.size == 8 && s.level == 8, "32 KiB: eight pages carved out (%lu/%lu)", s.level,
	   s.size);
	is_u64(nr_free_pages(), free0 - 8, "they left the free count");
	for (i = 0; i < 9; i++)
		p[i] = labyrinth_pool_take();
	ok(p[7] && !p[8], "eight takes succeed, the ninth finds it empty");
	ok(p[0]->flags == PG_allocated && page_zone(p[0])->name[0] == 'D',
	   "a pool page is allocated, from DMA32/DMA");
	labyrinth_pool_stats(&s);
	ok(s.hits == 8 && s.misses == 1 && s.lowest == 0 && s.level == 0,
	   "stats: 8 hits, 1 miss, lowest 0");
	for (i = 0; i < 4; i++)
		labyrinth_pool_give(p[i]);
	labyrinth_pool_stats(&s);
	is_u64(s.level, 4, "four given back");
	ok(pfn_to_page(p[3]->pfn)->flags == PG_pool, "a page in the pool says PG_pool");
	host_log_clear();
	__free_page(p[3]);
	ok(host_log_contains("Labyrinth pool"), "freeing a page that sits in the pool is reported");
	is_u64(labyrinth_pool_refill(), 4, "refill tops it up with four pages");
	for (i = 4; i < 8; i++)
		__free_page(p[i]);
	labyrinth_pool_init(5 << 12);
	labyrinth_pool_stats(&s);
	ok(s.size == 5 && s.level == 5, "re-sized to 20 KiB: trimmed to 5");
	is_u64(nr_free_pages(), free0 - 5, "the trimmed pages went back");
	is_u64(mm_check_invariants(), 0, "invariants");
}

/* Takes every page GFP_ATOMIC can get; returns how many. */
static unsigned long drain_atomic(struct page **held, unsigned long max)
{
	unsigned long n = 0;
	struct page *p;

	while (n < max && (p = alloc_page(GFP_ATOMIC | __GFP_NOWARN)))
		held[n++] = p;
	return n;
}

static void test_atomic_fallback_below_watermark(void)
{
	struct labyrinth_pool_stats s;
	struct mm_alloc_stats st;
	struct page **held = calloc(40000, sizeof(*held));
	unsigned long n, i;

	boot(true);
	labyrinth_pool_init(LABYRINTH_POOL_DEFAULT_BYTES);
	balancer_set_enabled(false);
	n = drain_atomic(held, 40000);
	labyrinth_pool_stats(&s);
	mm_alloc_stats_read(0, &st);
	ok(s.hits == 8 && s.level == 0, "below the atomic watermark GFP_ATOMIC emptied the pool");
	is_u64(st.atomic[ALLOC_SRC_POOL], 8, "8 atomic allocations counted as from the pool");
	ok(st.atomic[ALLOC_SRC_RESERVE] > 0 && st.atomic[ALLOC_SRC_PCP] > 0 &&
	       st.atomic[ALLOC_SRC_BUDDY] > 0,
	   "and the others by source: pcp %lu, buddy %lu, reserve %lu", st.atomic[ALLOC_SRC_PCP],
	   st.atomic[ALLOC_SRC_BUDDY], st.atomic[ALLOC_SRC_RESERVE]);
	is_u64(st.atomic_failures, 1, "then one clean failure");
	ok(alloc_page(GFP_NOWAIT) == NULL, "GFP_NOWAIT never gets the pool");
	for (i = 0; i < n; i++)
		__free_page(held[i]);
	balancer_set_enabled(true);
	ok(balance_zones_needed(), "the balancer knows the pool is low");
	balance_zones();
	labyrinth_pool_stats(&s);
	is_u64(s.level, 8, "balance_zones() refilled the pool");
	is_u64(mm_check_invariants(), 0, "invariants");
	free(held);
}

struct irq_alloc {
	gfp_t gfp;
	struct page *page;
	bool done;
};

/* CPU 1 in an interrupt handler: one allocation. */
static void *irq_alloc_thread(void *arg)
{
	struct irq_alloc *a = arg;

	host_set_cpu(1);
	host_set_in_irq(true);
	a->page = alloc_page(a->gfp);
	host_set_in_irq(false);
	__atomic_store_n(&a->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Issue 14: an interrupt handler whose zone's lock another CPU holds waits
 * for it, like process context (every holder has interrupts off, so the
 * interrupted context cannot be the holder): no NULL, no fall to the next
 * zone or to the pool because the lock was contended.
 */
static void test_irq_lock_contended(void)
{
	struct zone *dma32 = &contig_page_data.node_zones[ZONE_DMA32];
	struct irq_alloc a = { GFP_ATOMIC | __GFP_DMA32, NULL, false };
	struct mm_alloc_stats st;
	unsigned long flags, steps;
	pthread_t t;

	boot(false); /* no per-CPU list: the IRQ must go to the zone */
	labyrinth_pool_init(LABYRINTH_POOL_DEFAULT_BYTES);
	spin_lock_irqsave(&dma32->lock, flags); /* CPU 0 holds DMA32's lock */
	steps = __atomic_load_n(&host_relax_steps, __ATOMIC_RELAXED);
	pthread_create(&t, NULL, irq_alloc_thread, &a);
	while (!__atomic_load_n(&a.done, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&host_relax_steps, __ATOMIC_RELAXED) - steps < 10000)
		sched_yield(); /* until the handler has spun a while, or gave up */
	ok(!__atomic_load_n(&a.done, __ATOMIC_ACQUIRE), "the handler waits for the lock");
	spin_unlock_irqrestore(&dma32->lock, flags);
	pthread_join(t, NULL);
	mm_alloc_stats_read(NR_CPUS, &st);
	ok(a.page && page_zone(a.page) == dma32,
	   "then takes its page from DMA32 (not NULL, not the next zone)");
	is_u64(st.atomic[ALLOC_SRC_POOL], 0, "and not from the pool");
	if (a.page)
		__free_page(a.page);
	is_u64(mm_check_invariants(), 0, "invariants");
}

/* Every free page of the zones taken with __GFP_MEMALLOC (balancer off):
 * the zones are empty, only the pool is left. Returns how many. */
static unsigned long drain_all(struct page **held, unsigned long max)
{
	unsigned long n = 0;
	struct page *p;

	while (n < max && (p = alloc_page(__GFP_MEMALLOC | __GFP_DIRECT_RECLAIM | __GFP_NOWARN)))
		held[n++] = p;
	return n;
}

/* The pool refills from frees: a freed page of a zone whose stack is below
 * its target goes there instead of back to the buddy allocator. (The
 * drain sleeps: __GFP_MEMALLOC without sleeping could take the pool.) */
static void test_refill_from_free(void)
{
	struct page **held = calloc(40000, sizeof(*held));
	struct labyrinth_pool_stats s;
	struct page *p, *dma_page;
	unsigned long n, i, nulls = 0;

	boot(true);
	balancer_set_enabled(false);
	labyrinth_pool_init(LABYRINTH_POOL_DEFAULT_BYTES);
	n = drain_all(held, 40000);
	labyrinth_pool_stats(&s);
	ok(s.level == 8 && nr_free_pages() == 0, "zones empty, pool full (%lu)", s.level);
	labyrinth_pool_stats_reset();
	/* Sustained pressure: an atomic caller takes, someone frees. */
	for (i = 0; i < 10000; i++) {
		p = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
		if (!p) {
			nulls++;
			continue;
		}
		__free_page(p);
	}
	labyrinth_pool_stats(&s);
	is_u64(nulls, 0, "10000 atomic allocations against empty zones: no NULL");
	ok(s.hits == 10000 && s.refills_free == 10000 && s.lowest == 7,
	   "each one a pool hit refilled by the next free (hits %lu, from frees %lu, lowest %lu)",
	   s.hits, s.refills_free, s.lowest);
	is_u64(nr_free_pages(), 0, "the freed pages never went back to the buddy");
	/* Full: a free goes to the buddy allocator again. */
	__free_page(held[--n]);
	labyrinth_pool_stats(&s);
	ok(s.refills_free == 10000 && nr_free_pages() == 1,
	   "pool full: the free went to the buddy");
	held[n++] = alloc_page(__GFP_MEMALLOC | __GFP_DIRECT_RECLAIM | __GFP_NOWARN);
	/* Zones: a GFP_DMA caller gets only the DMA stack's pages. */
	dma_page = alloc_page(GFP_ATOMIC | GFP_DMA | __GFP_NOWARN);
	ok(dma_page && page_zone(dma_page) == &contig_page_data.node_zones[ZONE_DMA],
	   "GFP_DMA | GFP_ATOMIC: the DMA stack's page");
	labyrinth_pool_stats_reset();
	p = alloc_page(GFP_ATOMIC | GFP_DMA | __GFP_NOWARN);
	labyrinth_pool_stats(&s);
	ok(!p && s.hits == 0 && s.misses == 1 && s.level == 7,
	   "DMA stack empty: NULL, a miss, no hit, the DMA32 pages stay (level %lu)", s.level);
	__free_page(dma_page);
	labyrinth_pool_stats(&s);
	ok(s.refills_free == 1 && s.level == 8, "the DMA page freed refills the DMA stack");
	for (i = 0; i < n; i++)
		__free_page(held[i]);
	labyrinth_pool_stats_reset();
	for (i = 0; i < 8; i++)
		held[i] = labyrinth_pool_take();
	is_u64(labyrinth_pool_refill(), 8, "the balancer tops it up again");
	labyrinth_pool_stats(&s);
	ok(s.refills_balancer == 8 && s.level == 8, "counted as balancer refills (%lu)",
	   s.refills_balancer);
	for (i = 0; i < 8; i++)
		__free_page(held[i]);
	balancer_set_enabled(true);
	is_u64(mm_check_invariants(), 0, "invariants");
	free(held);
}

/* Above 4 GiB: Normal pages never enter the pool from frees (its stacks
 * are DMA and DMA32), so a DMA32 caller is never handed one. */
static void test_normal_not_pooled(void)
{
	struct labyrinth_pool_stats s;
	struct page *p, *q;

	sim_boot_quiet(sim_boot_info_qemu(5ull << 30));
	host_set_cpu(0);
	mm_pcp_set_enabled(true);
	labyrinth_pool_init(LABYRINTH_POOL_DEFAULT_BYTES);
	q = labyrinth_pool_take();
	p = alloc_page(GFP_KERNEL);
	ok(p && page_zone(p) == &contig_page_data.node_zones[ZONE_NORMAL], "a Normal page");
	__free_page(p);
	labyrinth_pool_stats(&s);
	ok(s.level == 7 && s.refills_free == 0, "freed, it did not enter the pool");
	__free_page(q);
	labyrinth_pool_stats(&s);
	ok(s.level == 8 && s.refills_free == 1, "a DMA32 page did");
	is_u64(mm_check_invariants(), 0, "invariants");
}

/* ---- four threads taking and giving concurrently ---- */

#define POOL_THREADS 4
#define POOL_OPS 300000
static unsigned char in_use[1 << 16]; /* by pfn: 1 while a thread holds it */
static unsigned long dup_found, takes[POOL_THREADS], pool_ops;

static void *pool_thread(void *arg)
{
	unsigned int me = (unsigned int)(unsigned long)arg, n = 0, i;
	struct page *mine[4];

	host_set_cpu(me);
	for (i = 0; i < pool_ops; i++) {
		if (n < 4 && (i % 3)) {
			struct page *p = labyrinth_pool_take();

			if (!p)
				continue;
			if (__atomic_exchange_n(&in_use[p->pfn & 0xffff], 1, __ATOMIC_ACQ_REL))
				__atomic_add_fetch(&dup_found, 1, __ATOMIC_RELAXED);
			mine[n++] = p;
			takes[me]++;
		} else if (n) {
			struct page *p = mine[--n];

			__atomic_store_n(&in_use[p->pfn & 0xffff], 0, __ATOMIC_RELEASE);
			labyrinth_pool_give(p);
		}
	}
	while (n) {
		struct page *p = mine[--n];

		__atomic_store_n(&in_use[p->pfn & 0xffff], 0, __ATOMIC_RELEASE);
		labyrinth_pool_give(p);
	}
	return NULL;
}

/*
 * pages: 16, or 2 (fewer than the threads: most takes find their own slot
 * and the stack empty and take another thread's slot while its owner
 * exchanges it too).
 */
static void test_concurrent(unsigned long pages, unsigned long ops)
{
	struct labyrinth_pool_stats s;
	pthread_t t[POOL_THREADS];
	unsigned long free0, total = 0;
	int i;

	boot(true);
	labyrinth_pool_init(pages << 12);
	free0 = nr_free_pages();
	dup_found = 0;
	pool_ops = ops;
	memset(takes, 0, sizeof(takes));
	for (i = 0; i < POOL_THREADS; i++)
		pthread_create(&t[i], NULL, pool_thread, (void *)(unsigned long)i);
	for (i = 0; i < POOL_THREADS; i++) {
		pthread_join(t[i], NULL);
		total += takes[i];
	}
	labyrinth_pool_stats(&s);
	is_u64(dup_found, 0, "%lu pages: no page was ever held by two threads at once", pages);
	ok(s.level == pages && s.cached <= POOL_THREADS, "all %lu pages are back (%lu in slots)",
	   pages, s.cached);
	ok(s.hits == total && total > (pages >= 16 ? ops : ops / 8),
	   "%lu takes, all counted as hits", total);
	is_u64(nr_free_pages(), free0, "nothing leaked to or from the buddy");
	is_u64(mm_check_invariants(), 0, "invariants");
}

/*
 * The sealed part (mm/pool.c), with a fake sealer standing in for
 * mm/exclusive.c's PKS keys: a key per pfn (1 sealed, 0 not), a count of
 * all-CPU flushes, and a flush that can be made to fail.
 */
static u8 fake_key[1u << 16];
static unsigned int fake_flushes;
static bool fake_flush_fails;

static bool fake_seal(struct page *page)
{
	fake_key[page->pfn] = 1;
	return true;
}

static bool fake_flush_all(void)
{
	fake_flushes++;
	return !fake_flush_fails;
}

static void fake_unseal(struct page *page)
{
	fake_key[page->pfn] = 0;
}

static const struct labyrinth_pool_sealer fake_sealer = { fake_seal, fake_flush_all, fake_unseal };

static bool page_zero(const struct page *p)
{
	const u8 *b = page_address(p);

	for (size_t i = 0; i < PAGE_SIZE; i++)
		if (b[i])
			return false;
	return true;
}

static void test_sealed_part(void)
{
	struct labyrinth_pool_stats s;
	struct page *p[9], *q;
	unsigned long free0;
	int i;

	boot(true);
	memset(fake_key, 0, sizeof(fake_key));
	fake_flushes = 0;
	fake_flush_fails = false;
	labyrinth_pool_init(LABYRINTH_POOL_DEFAULT_BYTES);
	free0 = nr_free_pages();
	labyrinth_pool_stats(&s);
	is_u64(s.sealed_size, 0, "no sealer: nothing sealed");
	ok(!labyrinth_pool_take_sealed(ZONE_NORMAL),
	   "no sealer: the seed call's take finds nothing");
	for (i = 0; i < 8; i++) { /* dirty the hot pages the sealing gets first */
		p[i] = alloc_page(GFP_KERNEL);
		memset(page_address(p[i]), 0x42, PAGE_SIZE);
	}
	for (i = 0; i < 8; i++)
		__free_page(p[i]);
	labyrinth_pool_set_sealer(&fake_sealer);
	labyrinth_pool_stats(&s);
	ok(s.size == 8 && s.level == 8 && s.sealed_size == 4 && s.sealed_level == 4,
	   "a sealer: 4 of the 8 pages sealed (DMA32's 7, half rounded up) (%lu/%lu)",
	   s.sealed_level, s.sealed_size);
	is_u64(fake_flushes, 1, "one all-CPU flush for the whole batch");
	is_u64(nr_free_pages(), free0, "the pool still holds 8 pages (4 swapped for sealed ones)");
	for (i = 0; i < 4; i++) {
		p[i] = labyrinth_pool_take();
		ok(p[i] && !fake_key[p[i]->pfn], "ordinary take %d: an unsealed page", i);
	}
	labyrinth_pool_stats(&s);
	ok(s.unsealed == 0 && s.sealed_level == 4, "the sealed part untouched so far");
	p[4] = labyrinth_pool_take_sealed(ZONE_NORMAL);
	ok(p[4] && fake_key[p[4]->pfn] == 1 && p[4]->flags == PG_allocated && page_zero(p[4]),
	   "the seed call's take: a sealed page, allocated, still key 1, zero");
	ok(!labyrinth_pool_take_sealed(ZONE_DMA), "a DMA request: no sealed DMA page");
	p[5] = labyrinth_pool_take();
	ok(p[5] && !fake_key[p[5]->pfn], "an ordinary take of a sealed page: unsealed (key 0)");
	labyrinth_pool_stats(&s);
	ok(s.seed_hits == 1 && s.seed_misses == 2 && s.unsealed == 1 && s.sealed_level == 2,
	   "stats: seed hits 1, misses 2, unsealed 1, sealed level 2");
	ok(labyrinth_pool_sealed_held_since(s.pushes, ZONE_NORMAL),
	   "the sealed part holds pages and nothing was pushed: held");
	p[6] = labyrinth_pool_take_sealed(ZONE_NORMAL);
	p[7] = labyrinth_pool_take_sealed(ZONE_NORMAL);
	p[8] = labyrinth_pool_take_sealed(ZONE_NORMAL);
	ok(p[6] && p[7] && !p[8], "two more seed takes, then the sealed part is empty");
	ok(page_zero(p[6]) && page_zero(p[7]), "sealed pages are zero");
	ok(!labyrinth_pool_sealed_held_since(s.pushes, ZONE_NORMAL), "empty: not held");
	ok(labyrinth_pool_held_since(s.pushes, ZONE_NORMAL) == false,
	   "the plain part empty too: nothing held");
	for (i = 0; i < 8; i++) {
		fake_key[p[i]->pfn] = 0; /* as the owners' frees would leave them */
		__free_page(p[i]);
	}
	fake_flush_fails = true;
	labyrinth_pool_refill();
	labyrinth_pool_stats(&s);
	ok(s.sealed_level == 0, "the all-CPU flush failed: nothing sealed pushed");
	for (i = 0, q = NULL; i < (int)(sizeof(fake_key)); i++)
		if (fake_key[i])
			q = pfn_to_page((u32)i);
	ok(!q, "and every page of the failed batch unsealed again");
	fake_flush_fails = false;
	labyrinth_pool_refill();
	labyrinth_pool_stats(&s);
	ok(s.level == 8 && s.sealed_level == 4, "the next refill seals 4 again (%lu/%lu)",
	   s.sealed_level, s.level);
	is_u64(nr_free_pages(), free0, "nothing leaked to or from the buddy");
	is_u64(mm_check_invariants(), 0, "invariants");
}

static bool hook_low(void)
{
	return __atomic_load_n(&mm_alloc_hooks, __ATOMIC_SEQ_CST) & MM_HOOK_POOL_LOW;
}

/*
 * MM_HOOK_POOL_LOW: a take below the target sets it; a give leaves it
 * (stale true is allowed), the next free clears it and goes to the buddy
 * allocator. And lowest is the exact low point of the total level.
 */
static void test_low_hook_and_lowest(void)
{
	struct labyrinth_pool_stats s;
	struct page *p[3], *q;
	unsigned long free0, refills0;
	int i;

	boot(true);
	labyrinth_pool_init(LABYRINTH_POOL_DEFAULT_BYTES);
	ok(!hook_low(), "a full pool: the free paths are not sent to it");
	p[0] = labyrinth_pool_take();
	ok(p[0] && hook_low(), "a take below the target sets MM_HOOK_POOL_LOW");
	labyrinth_pool_give(p[0]);
	q = alloc_page(GFP_KERNEL);
	labyrinth_pool_stats(&s);
	refills0 = s.refills_free;
	free0 = nr_free_pages();
	__free_page(q);
	labyrinth_pool_stats(&s);
	ok(!hook_low() && s.refills_free == refills0 && nr_free_pages() == free0 + 1,
	   "full again: the next free clears it and goes to the buddy allocator");
	labyrinth_pool_stats_reset();
	for (i = 0; i < 3; i++)
		p[i] = labyrinth_pool_take();
	for (i = 0; i < 3; i++)
		labyrinth_pool_give(p[i]);
	p[0] = labyrinth_pool_take();
	labyrinth_pool_stats(&s);
	ok(s.lowest == 5 && s.level == 7 && s.hits == 4, "lowest 5 (8 - 3), level 7 (%lu, %lu)",
	   s.lowest, s.level);
	labyrinth_pool_give(p[0]);
	is_u64(mm_check_invariants(), 0, "invariants");
}

/*
 * The per-CPU cache (mm/pool.c): a give fills this CPU's slot, the next
 * take on this CPU returns that page; a take whose slot and stacks are
 * empty takes another CPU's slot; the slots count in the level, in
 * held_since (judge_null()'s rule), in pages_in and in the zones' targets;
 * a request that may not use a slot's zone leaves its page; a take from a
 * slot sets MM_HOOK_POOL_LOW; the balancer trims surplus pages from slots.
 */
static void test_cache(void)
{
	struct zone *dma = &contig_page_data.node_zones[ZONE_DMA];
	struct labyrinth_pool_stats s;
	struct page *p[12], *q;
	unsigned long free0;
	int i;

	boot(true);
	labyrinth_pool_init(LABYRINTH_POOL_DEFAULT_BYTES);
	balancer_set_enabled(false);
	p[0] = labyrinth_pool_take();
	labyrinth_pool_give(p[0]);
	labyrinth_pool_stats(&s);
	ok(s.level == 8 && s.cached == 1, "a give fills this CPU's slot (level %lu, cached %lu)",
	   s.level, s.cached);
	ok(labyrinth_pool_take() == p[0], "the next take on this CPU returns that page");
	labyrinth_pool_stats(&s);
	ok(s.level == 7 && s.cached == 0 && s.lowest == 7, "level 7, slot empty, lowest 7");
	/* CPU 1 keeps a page; CPU 0 empties the stacks, then takes CPU 1's. */
	host_set_cpu(1);
	labyrinth_pool_give(p[0]);
	host_set_cpu(0);
	for (i = 0; i < 7; i++)
		p[i + 1] = labyrinth_pool_take();
	labyrinth_pool_stats(&s);
	ok(p[7] && s.level == 1 && s.cached == 1, "stacks empty, CPU 1's slot holds one page");
	ok(labyrinth_pool_held_since(s.pushes, ZONE_NORMAL),
	   "held_since counts the page in another CPU's slot");
	is_u64(labyrinth_pool_pages_in(page_zone(p[0])), 1,
	       "and so does labyrinth_pool_pages_in()");
	q = labyrinth_pool_take();
	labyrinth_pool_stats(&s);
	ok(q == p[0] && s.level == 0 && s.lowest == 0,
	   "a take with its slot and the stacks empty takes CPU 1's page: none stranded");
	ok(!labyrinth_pool_take() && !labyrinth_pool_held_since(s.pushes, ZONE_NORMAL),
	   "then the pool is empty: NULL, nothing held");
	for (i = 1; i < 8; i++)
		labyrinth_pool_give(p[i]);
	labyrinth_pool_give(q);
	/* Zones: a DMA32 page in the slot is not a GFP_DMA caller's. */
	q = labyrinth_pool_alloc(ZONE_DMA);
	labyrinth_pool_stats(&s);
	ok(q && page_zone(q) == dma && s.cached == 1,
	   "a DMA request skips the DMA32 page in its slot for the DMA stack");
	ok(!labyrinth_pool_alloc(ZONE_DMA), "DMA stack empty: NULL, DMA32 pages there");
	labyrinth_pool_give(q);
	/* The free path's judgement counts the slot: the pool is full. */
	labyrinth_pool_refill();
	ok(!hook_low(), "full (a page in a slot counts): MM_HOOK_POOL_LOW clear");
	q = labyrinth_pool_take();
	ok(q && hook_low(), "a take from the slot sets it");
	labyrinth_pool_give(q);
	/* Surplus in eight slots: the balancer's trim takes it from them too. */
	free0 = nr_free_pages();
	for (i = 0; i < 8; i++) {
		host_set_cpu((unsigned int)i);
		p[i] = labyrinth_pool_take();
		q = alloc_page(GFP_KERNEL | __GFP_DMA32);
		labyrinth_pool_give(q);
	}
	host_set_cpu(0);
	for (i = 0; i < 8; i++)
		labyrinth_pool_give(p[i]);
	labyrinth_pool_stats(&s);
	ok(s.level == 16 && s.cached == 8, "8 pages over the size, one in every slot (%lu, %lu)",
	   s.level, s.cached);
	labyrinth_pool_refill();
	labyrinth_pool_stats(&s);
	ok(s.level == 8 && nr_free_pages() == free0, "refill trims to the size (%lu), freed back",
	   s.level);
	balancer_set_enabled(true);
	is_u64(mm_check_invariants(), 0, "invariants");
}

/*
 * Never stale-false: one thread takes a page (its stack goes below the
 * target) while another frees a page, whose free path may clear the hook
 * (it saw the pool full just before the take). Each round starts both at
 * once and checks, once both are done, that the hook is set while the
 * page is out. A clear without the second look loses the take's flag when
 * the take lands between the clearer's look and its clear.
 */
#define HOOK_ROUNDS 200000u
static unsigned int hook_round, hook_done;
static struct page *hook_taken;

static void *hook_taker(void *arg)
{
	(void)arg;
	host_set_cpu(1);
	for (unsigned int r = 1; r <= HOOK_ROUNDS; r++) {
		while (__atomic_load_n(&hook_round, __ATOMIC_ACQUIRE) != r)
			;
		hook_taken = labyrinth_pool_take();
		__atomic_add_fetch(&hook_done, 1, __ATOMIC_ACQ_REL);
	}
	return NULL;
}

static void test_low_hook_never_stale_false(void)
{
	unsigned int r, stale = 0;
	struct page *q;
	pthread_t t;

	boot(false); /* frees go straight to the free path and its hook test */
	labyrinth_pool_init(LABYRINTH_POOL_DEFAULT_BYTES);
	hook_round = hook_done = 0;
	pthread_create(&t, NULL, hook_taker, NULL);
	for (r = 1; r <= HOOK_ROUNDS; r++) {
		q = alloc_page(GFP_KERNEL);
		mm_hooks_set(MM_HOOK_POOL_LOW, true); /* stale true: the free will clear it */
		__atomic_store_n(&hook_round, r, __ATOMIC_RELEASE);
		__free_page(q);
		while (__atomic_load_n(&hook_done, __ATOMIC_ACQUIRE) != r)
			;
		if (!hook_taken)
			break;
		stale += !hook_low();
		labyrinth_pool_give(hook_taken);
		labyrinth_pool_refill(); /* back to full, the hook cleared */
	}
	pthread_join(t, NULL);
	ok(r > HOOK_ROUNDS, "%u rounds, a page taken in each", r - 1);
	is_u64(stale, 0, "a page out of the pool, the hook never found clear");
	is_u64(mm_check_invariants(), 0, "invariants");
}

/*
 * debug_pagealloc with the sealed part: every page an ordinary caller gets
 * from the pool must carry the poison, as a page from the buddy allocator
 * does, or the check at allocation reports a "use after free". Sealed
 * pages are zero by design (the seed call relies on it), so the pool
 * poisons one when it unseals it for an ordinary caller. GFP_ATOMIC below
 * the watermark empties the pool, 4 sealed pages included: no report.
 */
static void test_sealed_part_poisoned(void)
{
	struct page **held = calloc(40000, sizeof(*held));
	struct labyrinth_pool_stats s;
	unsigned long n, i, bad0;

	boot(true);
	memset(fake_key, 0, sizeof(fake_key));
	fake_flush_fails = false;
	mm_set_debug(true);
	labyrinth_pool_init(LABYRINTH_POOL_DEFAULT_BYTES);
	labyrinth_pool_set_sealer(&fake_sealer);
	balancer_set_enabled(false);
	host_log_clear();
	bad0 = mm_bad_page_count;
	n = drain_atomic(held, 40000);
	labyrinth_pool_stats(&s);
	ok(s.hits == 8 && s.unsealed == 4 && s.level == 0,
	   "GFP_ATOMIC emptied the pool, its 4 sealed pages unsealed (hits %lu, unsealed %lu)",
	   s.hits, s.unsealed);
	ok(mm_bad_page_count == bad0 && !host_log_contains("page poison corrupted"),
	   "debug_pagealloc: no poison report for the sealed pages (%lu report(s))",
	   mm_bad_page_count - bad0);
	for (i = 0; i < n; i++)
		__free_page(held[i]);
	balancer_set_enabled(true);
	mm_set_debug(false);
	is_u64(mm_check_invariants(), 0, "invariants");
	free(held);
}

int main(void)
{
	test_normal_not_pooled();
	test_init_take_give();
	test_atomic_fallback_below_watermark();
	test_irq_lock_contended();
	test_refill_from_free();
	test_concurrent(16, POOL_OPS);
	test_concurrent(2, POOL_OPS / 4);
	test_sealed_part();
	test_low_hook_and_lowest();
	test_cache();
	test_low_hook_never_stale_false();
	test_sealed_part_poisoned();
	sim_mem_unmap();
	return done_testing();
}
