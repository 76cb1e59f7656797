/*
 * exclusive.c - __GFP_EXCLUSIVE pages (gfp.h, exclusive.h): a page private
 * to one CPU, enforced by the MMU where the CPU has protection keys for
 * supervisor pages (PKS, asm/pks.h), zeroed before the owner sees it and
 * scrubbed after its free before anyone else can have it.
 *
 * The keys (asm/pgtable_types.h). A page's key is in its 4 KiB entry of the
 * direct map; each CPU's IA32_PKRS grants key 0 (ordinary memory) and its
 * own key (2 + cpu % 14), and denies key 1 ("nobody") and the other CPUs'
 * keys. Owning a page is carrying the owner's key; a free exclusive page
 * carries key 1, so no CPU, its last owner included, can touch it.
 *
 * Why a reserve. Taking a rights change back needs every CPU's TLB: a CPU
 * that once read an ordinary page may hold it with key 0 in its TLB and go
 * on reading after the key changed, until it flushes. A change that only
 * *takes rights away from others* is safe without them: their stale copies
 * are of a key they have no rights to, so they fault -- and the fault
 * handler below sees that the entry now allows the access, flushes its own
 * copy and retries (Linux's spurious_kernel_fault()). So key 0 -> key 1 is
 * done in process context, with a TLB flush on every CPU (an IPI), and the
 * allocation path only ever moves key 1 -> owner (nobody had rights before)
 * and flushes this CPU's entry alone: no IPI, no lock shared with another
 * CPU, no sleep. Those key-1 pages wait in a per-CPU reserve, filled at boot
 * and by frees (through the dirty list and the scrubber), which serves GFP_ATOMIC exclusive requests in any context,
 * under memory pressure too, since it is set apart from the zones.
 *
 *   alloc, order 0:  pop this CPU's clean reserve, key own, INVLPG (one
 *                    IRQs-off stretch; already zero) ->
 *                    PG_allocated|PG_exclusive, owner
 *   reserve empty,   one of this CPU's dirty pages, key own, scrubbed here
 *   order 0:         (counted: inline scrubs); no dirty page either and
 *                    atomic: a sealed page of the Labyrinth pool (mm/pool.c:
 *                    key 1, zero, every CPU flushed when it was sealed) ->
 *                    key own, INVLPG, as above; sealed part empty too: NULL
 *                    (counted). The pool comes last: it is the reserve for
 *                    pressure, and a dirty page costs only time
 *   otherwise:       atomic order > 0: NULL; may sleep: a zeroed block from
 *                    the allocator, split to 4 KiB, key 1, every CPU
 *                    flushed, then key own as above
 *   free (owner),    key 1, INVLPG, onto this CPU's dirty list, NOT
 *   order 0:         scrubbed (Windows' zero-page thread: the scrub leaves
 *                    the caller's path); the old owner faults on it
 *   free over the    (clean + dirty at EXCLUSIVE_RESERVE_PAGES, e.g. a page
 *   target, order 0: of the pool's sealed part): parked dirty all the same,
 *                    up to EXCLUSIVE_DIRTY_MAX: no scrub on the caller's path
 *   idle loop:       the scrubber: each dirty page key own, zeroed, key 1,
 *                    onto the clean reserve (IRQs off per page); while the
 *                    reserve is above its target, key 0 instead and back
 *                    to the allocator (others' stale key-1 copies:
 *                    spurious)
 *   free with the    (clean + dirty at EXCLUSIVE_DIRTY_MAX), order > 0 or
 *   dirty list full: another node's page: scrub (zero) while we have
 *                    access -> key 0, back to the allocator (others' stale
 *                    key-1 copies: spurious; from then on an ordinary page,
 *                    a late touch by the old owner is no longer caught)
 *   hand-over:       key new owner, INVLPG; the old owner now faults
 *
 * Without PKS (or before exclusive_init()), the same bookkeeping, zeroing
 * and scrubbing without keys; said at boot, and the isolation tests SKIP.
 * The direct map's huge pages are split on demand where a reserve page or
 * a sealed pool page lies, in process context only (vm_direct_split(); one 4 KiB table per
 * 2 MiB region, plus one per 1 GiB region; the count is printed at boot).
 */
#define pr_fmt(fmt) "exclusive: " fmt

#include <labyrinth/exclusive.h>
#include <labyrinth/ksyms.h>
#include <labyrinth/layout.h>
#include <labyrinth/mm.h>
#include <labyrinth/numa.h>
#include <labyrinth/pool.h>
#include <labyrinth/printk.h>
#include <labyrinth/smp.h>
#include <labyrinth/string.h>
#include <labyrinth/vm.h>
#include <asm/pks.h>

#include "mm/internal.h"

/*
 * This CPU's reserve, in two parts, each a stack of {entry, page} slots:
 *  - clean (slot[], nr): scrubbed pages, key 1 when isolated, flags
 *    PG_exclusive (no PG_allocated), owner = this CPU. The allocation pops
 *    these.
 *  - dirty (dirty[], dirty_nr): pages their owner (this CPU) freed and
 *    nobody has scrubbed yet. Invariant: a dirty page is key 1 (isolated),
 *    flags PG_exclusive, on exactly one dirty list, and leaves it only
 *    through a scrub (scrub_dirty_one(), alloc_dirty_inline()): no CPU, its
 *    old owner included, can read it; without PKS nothing enforces that,
 *    but it is still never handed out unscrubbed.
 * The target is nr + dirty_nr = EXCLUSIVE_RESERVE_PAGES: fills and the
 * scrubber's moves to the clean part stop there, so nr <= the target
 * always. An owner's order-0 free is parked dirty even above the target,
 * up to nr + dirty_nr = EXCLUSIVE_DIRTY_MAX: its caller does not scrub
 * (a page the seed call took from the pool's sealed part, when the
 * reserve was dry, comes back here); the scrubber zeroes what is above
 * the target and gives it back to the allocator. Only a free with the
 * dirty list at EXCLUSIVE_DIRTY_MAX (or order > 0, another node's page)
 * is scrubbed at once and goes back to the allocator. Only its own CPU
 * pushes and pops either part, with interrupts off. Filled by
 * exclusive_init() and exclusive_reserve_fill() (process context), by the
 * frees of owners (dirty) and by the scrubber (idle loop: dirty -> clean).
 */
struct excl_slot {
	u64 *pte;	   /* its 4 KiB direct-map entry when isolated, else NULL */
	struct page *page; /* no pfn_to_page() on the fast paths */
};

struct excl_reserve {
	u32 nr;
	u32 dirty_nr;
	unsigned int key;   /* pks_cpu_key(this CPU), set by exclusive_init() */
	unsigned long hits; /* pops of the clean part (exclusive_stats.reserve_hits) */
	/* one more than the target: slot[nr] (the free's hint) exists for every nr */
	struct excl_slot slot[EXCLUSIVE_RESERVE_PAGES + 1];
	struct excl_slot dirty[EXCLUSIVE_DIRTY_MAX];
} __aligned(2048); /* a power of two: reserves[cpu] is one shift on the fast paths */

static struct excl_reserve reserves[NR_CPUS];
static bool excl_isolated;	    /* PKS on every CPU, pages keyed */
static bool excl_inited;	    /* exclusive_init() ran: the idle loop refills */
static bool excl_idle_off;	    /* exclusive_idle_refill_set_enabled(false): tests count */
static unsigned int excl_idle_busy; /* idle passes under way: the switch waits for them */
static struct exclusive_stats stats;
static struct {
	u64 addr, ip, when;   /* this CPU's last retried fault, arch_cycles() */
	unsigned int repeats; /* retries in a row of that access, each soon after */
} last_spurious[NR_CPUS];

/*
 * A retry that keeps faulting is not stale: SPURIOUS_LOOP retries in a row
 * of one access (address and instruction), each within SPURIOUS_WINDOW
 * cycles (~20 ms at 2.5 GHz) of the last, are reported instead of retried
 * forever. A real stale entry clears with one retry, and a second one at
 * the same place needs the page retagged twice in between.
 */
#define SPURIOUS_LOOP 8u
#define SPURIOUS_WINDOW 50000000ull

/* ---- keys ---- */

/* The page's direct-map key (0 where it is not mapped at 4 KiB). */
static unsigned int page_key(const struct page *page)
{
	const u64 *pte = vm_direct_pte(page_address(page));

	return pte ? arch_pte_pkey(READ_ONCE(*pte)) : PKS_KEY_DEFAULT;
}

/* Retags the entry of the page at va and drops this CPU's copy of it. */
static void set_pte_key(u64 *pte, const void *va, unsigned int key)
{
	WRITE_ONCE(*pte, arch_pte_set_pkey(*pte, key));
	arch_flush_tlb_page((u64)(uintptr_t)va);
}

static void set_page_key(struct page *page, unsigned int key)
{
	u64 *pte = vm_direct_pte(page_address(page));

	if (!WARN_ON_ONCE(!pte))
		set_pte_key(pte, page_address(page), key);
}

static void set_block_key(struct page *page, unsigned int order, unsigned int key)
{
	for (unsigned long i = 0; i < (1ul << order); i++)
		set_page_key(page + i, key);
}

/* Keyed for its owner: what the free, the hand-over and the reserve need. */
static bool page_keyed_for(const struct page *page, unsigned int cpu)
{
	return excl_isolated && page_key(page) == pks_cpu_key(cpu);
}

/*
 * Process context: every online CPU drops its whole TLB, global entries
 * included (the shootdown of mm/vm.c and arch/x86_64/tlb.c, acknowledged).
 * False when a CPU did not answer or interrupts are off: then some CPU may
 * still hold a key-0 entry, and the pages must not be handed out as
 * exclusive.
 */
static bool flush_all_cpus(void)
{
	return vm_flush_kernel_all() == 0;
}

/* Undo key_block_nobody() for pages no CPU flushed: key 0, back to the allocator. */
static void unkey_and_free(struct page *page, unsigned int order)
{
	set_block_key(page, order, PKS_KEY_DEFAULT);
	__free_pages(page, order);
}

/*
 * Key 0 -> key 1 for a fresh block from the allocator: split the direct map
 * to 4 KiB there, retag; the caller flushes every CPU before any use.
 * False (block untouched) when a page table cannot be had.
 */
static bool key_block_nobody(struct page *page, unsigned int order)
{
	for (unsigned long i = 0; i < (1ul << order); i++) {
		int made = vm_direct_split(page_address(page + i));

		if (made < 0) {
			while (i--) /* the pages already retagged: key 0 again */
				set_page_key(page + i, PKS_KEY_DEFAULT);
			return false;
		}
		stats.tables_split += (unsigned long)made;
		set_page_key(page + i, PKS_KEY_NOBODY);
	}
	return true;
}

/* ---- the per-CPU reserve ---- */

/* The pages a reserve holds, clean and dirty, against its target. */
static inline bool reserve_has_room(const struct excl_reserve *r)
{
	return r->nr + r->dirty_nr < EXCLUSIVE_RESERVE_PAGES;
}

/* Room on the dirty list for an owner's free (above the target too). */
static inline bool dirty_has_room(const struct excl_reserve *r)
{
	return r->nr + r->dirty_nr < EXCLUSIVE_DIRTY_MAX;
}

/*
 * The one place a freed exclusive page is zeroed (the background scrubber,
 * the inline scrub of an allocation, a free over the target or back to the
 * allocator): the caller has access to it (its own key, or no PKS).
 */
static void scrub_page(struct page *page, unsigned int order)
{
	memset(page_address(page), 0, PAGE_SIZE << order); /* the scrub */
}

/*
 * The seed call's fast path: pop this CPU's clean reserve and make the page
 * this CPU's -- key own, INVLPG here (no other CPU had rights to key 1),
 * owner, flags -- all with interrupts off, so a handler on this CPU sees
 * the reserve and the page either before or after. A key-1 page needs no
 * zeroing: it was zeroed before it got key 1 and no CPU can write it;
 * without PKS nothing guarantees that, so it is zeroed. NULL if empty.
 */
/* No PKS: nothing kept the page from being written since its scrub. */
static __noinline void zero_unkeyed(struct page *page)
{
	memset(page_address(page), 0, PAGE_SIZE);
}

static __always_inline struct page *reserve_take(gfp_t gfp)
{
	unsigned long flags = arch_irq_save();
	unsigned int cpu = arch_cpu_id();
	struct excl_reserve *r = &reserves[cpu];
	u32 nr = r->nr;
	struct excl_slot s = { NULL, NULL };

	if (likely(nr)) {
		s = r->slot[nr - 1];
		r->nr = nr - 1;
		r->hits++;
		mm_count_alloc_on(cpu, gfp, ALLOC_SRC_EXCLUSIVE);
		if (likely(s.pte))
			set_pte_key(s.pte, page_address(s.page), r->key);
		else
			zero_unkeyed(s.page);
		s.page->order = 0;
		s.page->owner = (u8)cpu;
		s.page->flags = PG_allocated | PG_exclusive;
	}
	arch_irq_restore(flags);
	return s.page;
}

/*
 * A scrubbed order-0 page into this CPU's clean reserve; false if the
 * reserve is at its target. pte: its direct-map entry, retagged key 1 here
 * (isolated), or NULL (no PKS).
 */
static bool reserve_push(struct page *page, u64 *pte)
{
	unsigned long flags = arch_irq_save();
	unsigned int cpu = arch_cpu_id();
	struct excl_reserve *r = &reserves[cpu];
	bool room = reserve_has_room(r);

	if (room) {
		if (pte)
			set_pte_key(pte, page_address(page), PKS_KEY_NOBODY);
		page->flags = PG_exclusive;
		page->owner = (u8)cpu;
		r->slot[r->nr].pte = pte;
		r->slot[r->nr++].page = page;
	}
	arch_irq_restore(flags);
	return room;
}

/*
 * The owner's free of an order-0 page, on its own CPU: key 1 (local INVLPG:
 * others' stale entries are stricter, safe), onto this CPU's dirty list,
 * unscrubbed; false (nothing done) when the dirty list is full
 * (EXCLUSIVE_DIRTY_MAX).
 * pte: the page's entry, keyed for this CPU (checked by the caller), or
 * NULL (no PKS).
 */
static bool dirty_push(struct page *page, u64 *pte)
{
	unsigned long flags = arch_irq_save();
	struct excl_reserve *r = &reserves[arch_cpu_id()];
	bool room = dirty_has_room(r);

	if (room) {
		if (pte)
			set_pte_key(pte, page_address(page), PKS_KEY_NOBODY);
		page->flags = PG_exclusive;
		r->dirty[r->dirty_nr].pte = pte;
		r->dirty[r->dirty_nr++].page = page;
	}
	arch_irq_restore(flags);
	return room;
}

/*
 * The scrubber's step: this CPU's top dirty page, scrubbed, onto its clean
 * reserve -- or, while the reserve holds more than its target (frees parked
 * above it), back to the allocator. With interrupts off throughout: the page
 * carries this CPU's key only between the two retags (each with this CPU's
 * INVLPG), and no handler on this CPU runs in between; other CPUs never had
 * rights to it. (Granting this CPU key 1 in IA32_PKRS instead would open
 * every dirty page, and each write of the MSR is a WRMSR: the retag touches
 * one entry.) Returns the page when it goes back (scrubbed, key 0, an
 * ordinary allocated page: the caller frees it), SCRUBBED_CLEAN when it
 * went to the clean reserve, NULL when the dirty list is empty.
 */
#define SCRUBBED_CLEAN ((struct page *)1)

static struct page *scrub_dirty_one(void)
{
	unsigned long flags = arch_irq_save();
	unsigned int cpu = arch_cpu_id();
	struct excl_reserve *r = &reserves[cpu];
	bool over = r->nr + r->dirty_nr > EXCLUSIVE_RESERVE_PAGES;
	struct excl_slot s;
	struct page *page;

	if (!r->dirty_nr) {
		arch_irq_restore(flags);
		return NULL;
	}
	s = r->dirty[--r->dirty_nr];
	page = s.page;
	if (s.pte)
		set_pte_key(s.pte, page_address(page), pks_cpu_key(cpu));
	scrub_page(page, 0);
	if (over) { /* key 0: others' stale key-1 copies are stricter (spurious) */
		if (s.pte)
			set_pte_key(s.pte, page_address(page), PKS_KEY_DEFAULT);
		page->owner = 0;
		page->order = 0;
		page->flags = PG_allocated;
	} else {
		if (s.pte)
			set_pte_key(s.pte, page_address(page), PKS_KEY_NOBODY);
		r->slot[r->nr++] = s; /* nr + dirty_nr unchanged: within the target */
		page = SCRUBBED_CLEAN;
	}
	arch_irq_restore(flags);
	return page;
}

unsigned int exclusive_scrub_dirty(void)
{
	unsigned int n = 0, back = 0;
	struct page *page;

	while ((page = scrub_dirty_one())) {
		n++;
		if (page != SCRUBBED_CLEAN) { /* above the target: an ordinary page now */
			__free_page(page);
			back++;
		}
	}
	if (n) {
		__atomic_add_fetch(&stats.bg_scrubs, n, __ATOMIC_RELAXED);
		__atomic_add_fetch(&stats.bg_returns, back, __ATOMIC_RELAXED);
		trace_mm(TR_EXCLUSIVE, NULL, 0, TR_EXCL_SCRUB_BG, 0, PFN_NIL, n,
			 reserves[arch_cpu_id()].nr, back);
	}
	return n;
}

struct reserve_batch {
	struct page *page[EXCLUSIVE_RESERVE_PAGES];
	unsigned int nr;
};

static void reserve_push_batch(void *arg)
{
	struct reserve_batch *b = arg;

	while (b->nr) {
		struct page *page = b->page[b->nr - 1];

		if (!reserve_push(page, excl_isolated ? vm_direct_pte(page_address(page)) : NULL))
			break;
		b->nr--;
	}
}

/*
 * Process context: tops cpu's reserve up. Pages come from the allocator,
 * are keyed 1 and zeroed here, every CPU flushes, and cpu itself pushes
 * them (its reserve is only ever touched by its own CPU).
 */
static unsigned int reserve_fill(unsigned int cpu)
{
	struct reserve_batch b = { .nr = 0 };
	unsigned int held = READ_ONCE(reserves[cpu].nr) + READ_ONCE(reserves[cpu].dirty_nr),
		     want = held < EXCLUSIVE_RESERVE_PAGES ? EXCLUSIVE_RESERVE_PAGES - held : 0,
		     got;

	while (b.nr < want) {
		struct page *page =
		    alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_NOWARN | __GFP_ZERO, 0);

		/* zeroed before key 1: exclusive_take() relies on it */
		if (!page || (excl_isolated && !key_block_nobody(page, 0))) {
			if (page)
				__free_page(page);
			break;
		}
		b.page[b.nr++] = page;
	}
	if (excl_isolated && b.nr && !flush_all_cpus()) {
		for (; b.nr; b.nr--)
			unkey_and_free(b.page[b.nr - 1], 0);
		return 0;
	}
	got = b.nr;
	smp_call_function_single(cpu, reserve_push_batch, &b, true);
	for (; b.nr; b.nr--) { /* did not fit after all: back, key 0 */
		if (excl_isolated)
			set_page_key(b.page[b.nr - 1], PKS_KEY_DEFAULT);
		__free_page(b.page[b.nr - 1]);
	}
	return got;
}

/* ---- the Labyrinth pool's sealed part (mm/pool.c) ---- */

static bool seal_page(struct page *page)
{
	return key_block_nobody(page, 0);
}

static void unseal_page(struct page *page)
{
	set_page_key(page, PKS_KEY_DEFAULT);
}

static const struct labyrinth_pool_sealer excl_sealer = {
	.seal = seal_page,
	.flush_all = flush_all_cpus,
	.unseal = unseal_page,
};

/* ---- allocation ---- */

static bool excl_atomic(gfp_t gfp)
{
	return !gfpflags_allow_blocking(gfp) || arch_in_irq();
}

/*
 * The seed call with an empty reserve (isolated, order 0, atomic): a sealed
 * pool page. Its entry is 4 KiB and key 1, and no CPU holds a copy of it
 * allowing access: exclusive_take() retags it with this CPU's flush alone.
 */
static struct page *exclusive_from_pool(gfp_t gfp, u64 **pte)
{
	/* the zones the request may use (isolated: the direct map is up) */
	unsigned int hi = gfp & __GFP_DMA ? ZONE_DMA : gfp & __GFP_DMA32 ? ZONE_DMA32 : ZONE_NORMAL;
	struct page *page = labyrinth_pool_take_sealed(hi);

	if (!page)
		return NULL;
	*pte = vm_direct_pte(page_address(page));
	/* sealed pages are 4 KiB-mapped; one that is not carries key 0: plain */
	if (WARN_ON_ONCE(!*pte)) {
		labyrinth_pool_give(page);
		return NULL;
	}
	__atomic_add_fetch(&stats.pool_hits, 1, __ATOMIC_RELAXED);
	mm_count_alloc(gfp, ALLOC_SRC_POOL);
	if (nr_node_ids > 1)
		numa_count_alloc(page);
	trace_mm(TR_EXCLUSIVE, page_zone(page), 0, TR_EXCL_POOL, 0, page->pfn, 0,
		 pks_cpu_key(arch_cpu_id()), 0);
	return page;
}

/*
 * Nothing in the reserve (or order > 0). Without isolation the allocator's
 * page is as good as any (the Labyrinth pool included, for GFP_ATOMIC under
 * pressure). With it, a fresh page needs every CPU's TLB flushed: only a
 * caller that may sleep gets one.
 */
static struct page *exclusive_alloc_slow(gfp_t gfp, unsigned int order, int nid)
{
	gfp_t plain = gfp & ~(__GFP_EXCLUSIVE | __GFP_ZERO);
	struct page *page;

	if (excl_isolated && excl_atomic(gfp)) {
		__atomic_add_fetch(&stats.reserve_empty, 1, __ATOMIC_RELAXED);
		trace_mm(TR_EXCLUSIVE, NULL, order, TR_EXCL_EMPTY, 0, PFN_NIL, 0, 0, 0);
		if (!(gfp & __GFP_NOWARN))
			pr_warn_once(
			    "CPU %u: no keyed page for an atomic order-%u request "
			    "(reserve, the pool's sealed part and the dirty list empty, or "
			    "order > 0); "
			    "NULL\n",
			    arch_cpu_id(), order);
		return NULL;
	}
	page = alloc_pages_node(nid, plain | (excl_isolated ? __GFP_ZERO : 0), order);
	if (!page || !excl_isolated)
		return page;
	if (!key_block_nobody(page, order)) {
		__free_pages(page, order);
		return NULL;
	}
	if (!flush_all_cpus()) {
		unkey_and_free(page, order);
		return NULL;
	}
	trace_mm(TR_EXCLUSIVE, page_zone(page), order, TR_EXCL_FRESH, 0, page->pfn, 0, 0, 0);
	return page;
}

/*
 * The block becomes this CPU's: its key, this CPU's stale entry dropped,
 * zeroed. A key-1 page needs no zeroing: it was zeroed before it got key 1
 * (reserve_fill(), the scrub in exclusive_page_release()) and no CPU can
 * write a key-1 page; without PKS nothing guarantees that, so it is zeroed.
 */
static void exclusive_take(struct page *page, unsigned int order, u64 *pte)
{
	unsigned int cpu = arch_cpu_id();

	if (pte) /* from the pool's sealed part: its entry is at hand */
		set_pte_key(pte, page_address(page), pks_cpu_key(cpu));
	else if (excl_isolated) /* a fresh block, key 1 (exclusive_alloc_slow()) */
		set_block_key(page, order, pks_cpu_key(cpu));
	else
		memset(page_address(page), 0, PAGE_SIZE << order);
	page->order = (u8)order;
	page->owner = (u8)cpu;
	page->flags = PG_allocated | PG_exclusive;
}

/*
 * Clean reserve empty (order 0): scrub one of this CPU's
 * dirty pages here, on the caller's time, and hand it out -- bounded: one
 * page, one scrub (counted, "inline scrubs"). Interrupts off from the pop
 * to the end of the scrub: the page is this CPU's from its first retag,
 * and no handler on this CPU sees it half scrubbed. NULL: no dirty page.
 */
static struct page *alloc_dirty_inline(gfp_t gfp)
{
	unsigned long flags = arch_irq_save();
	unsigned int cpu = arch_cpu_id();
	struct excl_reserve *r = &reserves[cpu];
	struct page *page = NULL;
	struct excl_slot s;

	if (r->dirty_nr) {
		s = r->dirty[--r->dirty_nr];
		page = s.page;
		if (s.pte)
			set_pte_key(s.pte, page_address(page), pks_cpu_key(cpu));
		scrub_page(page, 0);
		r->slot[r->nr] = s; /* owned_page_pte()'s hint for the free (nr <= target) */
		page->order = 0;
		page->owner = (u8)cpu;
		page->flags = PG_allocated | PG_exclusive;
	}
	arch_irq_restore(flags);
	if (!page)
		return NULL;
	__atomic_add_fetch(&stats.inline_scrubs, 1, __ATOMIC_RELAXED);
	mm_count_alloc(gfp, ALLOC_SRC_EXCLUSIVE);
	if (nr_node_ids > 1)
		numa_count_alloc(page);
	trace_mm(TR_EXCLUSIVE, page_zone(page), 0, TR_EXCL_INLINE, excl_isolated, page->pfn,
		 r->dirty_nr, pks_cpu_key(cpu), 0);
	return page;
}

/*
 * The seed call's order: this CPU's clean reserve; then one of this CPU's
 * dirty pages scrubbed inline (bounded: one scrub); then (isolated, atomic)
 * the Labyrinth pool's sealed part, zeroed already -- last, because it is
 * the reserve that pressure needs, refilled only by the balancer, while a
 * dirty page costs only time; then the allocator (a caller that may sleep,
 * or no PKS) or NULL.
 */
/* Out of the fast path's way: the per-node count and the trace step. */
static __noinline void reserve_take_note(struct page *page)
{
	if (nr_node_ids > 1) /* own node or not, as __alloc_pages() counts */
		numa_count_alloc(page);
	trace_mm(TR_EXCLUSIVE, page_zone(page), 0, TR_EXCL_RESERVE, excl_isolated, page->pfn,
		 reserves[arch_cpu_id()].nr, pks_cpu_key(arch_cpu_id()), 0);
}

/* Everything but a hit in this CPU's clean reserve. */
static __noinline struct page *exclusive_alloc_rest(gfp_t gfp, unsigned int order, int nid)
{
	u64 *pte = NULL;
	struct page *page;

	if (!order && (page = alloc_dirty_inline(gfp)))
		return page; /* keyed, scrubbed and marked there */
	if (!order && excl_isolated && excl_atomic(gfp) && (page = exclusive_from_pool(gfp, &pte)))
		; /* the Labyrinth pool's sealed part: counted there */
	else
		page = exclusive_alloc_slow(gfp, order, nid);
	if (page)
		exclusive_take(page, order, pte);
	return page;
}

struct page *exclusive_alloc_page(gfp_t gfp)
{
	struct page *page = reserve_take(gfp);

	if (likely(page)) {
		if (unlikely(nr_node_ids > 1))
			reserve_take_note(page);
		return page;
	}
	return exclusive_alloc_rest(gfp, 0, numa_node_id());
}

struct page *exclusive_alloc_pages(gfp_t gfp, unsigned int order, int nid)
{
	struct page *page = order ? NULL : reserve_take(gfp);

	if (!page)
		return exclusive_alloc_rest(gfp, order, nid);
	reserve_take_note(page); /* the traced path: the step recorded */
	return page;
}

/* ---- free and hand-over ---- */

/* A reserve holds pages of its CPU's node (the nearest with memory). */
static bool reserve_node_ok(const struct page *page)
{
	return nr_node_ids == 1 || page_to_nid(page) == numa_mem_node(numa_node_id());
}

/*
 * The direct-map entry of a page cpu (this CPU) owns when isolated, else
 * NULL. A pop leaves its slot as it was, so the slot just above the top
 * still names the page this CPU's reserve handed out last, with its entry:
 * a free right after its allocation needs no walk of the page tables.
 * Tables split for the direct map are never merged back (mm/vm.c), so an
 * entry's address stays its page's. Interrupts off: a handler on this CPU
 * may pop and push in between. Otherwise the one walk.
 */
static u64 *owned_page_pte(const struct page *page, unsigned int cpu)
{
	struct excl_reserve *r = &reserves[cpu];
	unsigned long flags;
	u64 *pte = NULL;

	if (!excl_isolated)
		return NULL;
	flags = arch_irq_save();
	if (r->nr <= EXCLUSIVE_RESERVE_PAGES && r->slot[r->nr].page == page)
		pte = r->slot[r->nr].pte;
	arch_irq_restore(flags);
	return pte ? pte : vm_direct_pte(page_address(page));
}

/*
 * The owner's free of the page this CPU's reserve handed out last (the
 * common case: the slot just above the clean top still names it, with its
 * entry; see owned_page_pte()): every check of the slow path, in one
 * stretch with interrupts off -- live and exclusive, owned by this CPU,
 * keyed for it (or no PKS), room below the target -- then key 1, INVLPG
 * here, onto the dirty list. False (nothing done) for anything else: the
 * slow path decides and reports. The node check is the slow path's too:
 * with one node every page is of this CPU's node.
 */
static __always_inline bool release_fast(struct page *page)
{
	unsigned long flags = arch_irq_save();
	unsigned int cpu = arch_cpu_id();
	struct excl_reserve *r = &reserves[cpu];
	u32 nr = r->nr, dn = r->dirty_nr;
	bool done = false;

	/* nr <= the target: slot[nr] exists; room on the dirty list */
	if (likely(nr + dn < EXCLUSIVE_DIRTY_MAX && r->slot[nr].page == page &&
		   page->flags == (PG_allocated | PG_exclusive) && page->owner == cpu &&
		   nr_node_ids == 1)) {
		struct excl_slot s = r->slot[nr];

		if (likely(s.pte && arch_pte_pkey(*s.pte) == r->key))
			set_pte_key(s.pte, page_address(page), PKS_KEY_NOBODY);
		else if (s.pte || excl_isolated)
			goto out; /* keyed otherwise: the slow path reports it */
		page->flags = PG_exclusive;
		r->dirty[dn] = s;
		r->dirty_nr = dn + 1;
		done = true;
	}
out:
	arch_irq_restore(flags);
	return done;
}

bool exclusive_free_page_fast(struct page *page)
{
	return release_fast(page);
}

/*
 * The owner frees. Order 0, keyed for this CPU (or no PKS), this CPU's
 * node, dirty list not full (EXCLUSIVE_DIRTY_MAX; above the reserve's
 * target too): key 1 and onto the dirty list, no scrub (the scrubber or the
 * next allocation that finds no clean page does it; the scrubber gives what
 * is above the target back). Otherwise scrubbed here while this CPU still
 * has access, key 0, and back to the allocator. True when the free is complete or refused, false lets
 * the generic free go on.
 */
bool exclusive_page_release(struct page *page, unsigned int order)
{
	unsigned int cpu = arch_cpu_id(), key;
	u64 *pte;
	bool keyed;

	if (likely(!order) && release_fast(page)) {
		trace_mm(TR_EXCLUSIVE, page_zone(page), 0, TR_EXCL_DIRTY, excl_isolated, page->pfn,
			 reserves[cpu].dirty_nr, 0, 0);
		return true;
	}
	if (page->flags == PG_exclusive) {
		bad_page(page, order, "double free (already in an exclusive reserve)");
		return true;
	}
	if (!(page->flags & PG_allocated))
		return false; /* not a live page: the generic checks name it */
	if (__atomic_load_n(&page->owner, __ATOMIC_ACQUIRE) != cpu) {
		bad_page(page, order, "exclusive page freed by another CPU (no hand-over)");
		return true;
	}
	pte = owned_page_pte(page, cpu);
	key = pte ? arch_pte_pkey(READ_ONCE(*pte)) : PKS_KEY_DEFAULT;
	keyed = pte && key == pks_cpu_key(cpu);
	if (!keyed && key != PKS_KEY_DEFAULT) {
		bad_page(page, order, "exclusive page keyed for another CPU");
		return true;
	}
	if (!order && (keyed || !excl_isolated) && reserve_node_ok(page) &&
	    dirty_push(page, keyed ? pte : NULL)) {
		trace_mm(TR_EXCLUSIVE, page_zone(page), 0, TR_EXCL_DIRTY, keyed, page->pfn,
			 reserves[cpu].dirty_nr, 0, 0);
		return true;
	}
	scrub_page(page, order);
	__atomic_add_fetch(&stats.free_scrubs, 1, __ATOMIC_RELAXED);
	trace_mm(TR_EXCLUSIVE, page_zone(page), order, TR_EXCL_SCRUB, keyed, page->pfn, 0, 0, 0);
	if (keyed)
		set_block_key(page, order, PKS_KEY_DEFAULT);
	page->flags &= (u16)~PG_exclusive;
	page->owner = 0;
	return false;
}

int exclusive_page_handover(struct page *page, unsigned int new_cpu)
{
	unsigned int cpu = arch_cpu_id();

	if (!page || !page_is_exclusive(page)) {
		bad_page(page, page ? page->order : 0, "hand-over of a page that is not exclusive");
		return -1;
	}
	if (page->owner != cpu || new_cpu >= NR_CPUS) {
		bad_page(page, page->order,
			 new_cpu >= NR_CPUS
			     ? "hand-over to no such CPU"
			     : "exclusive page handed over by a CPU that does not own it");
		return -1;
	}
	if (page_keyed_for(page, cpu))
		set_block_key(page, page->order, pks_cpu_key(new_cpu));
	trace_mm(TR_EXCLUSIVE, page_zone(page), page->order, TR_EXCL_HANDOVER, new_cpu, page->pfn,
		 cpu, 0, 0);
	__atomic_store_n(&page->owner, (u8)new_cpu, __ATOMIC_RELEASE);
	return 0;
}

/* ---- faults ---- */

/* Records one retry of this access; false once it looks like a loop. */
static bool note_retry(typeof(last_spurious[0]) *ls, u64 addr, u64 ip)
{
	u64 now = arch_cycles();
	bool same = ls->addr == addr && ls->ip == ip && now - ls->when < SPURIOUS_WINDOW;

	ls->repeats = same ? ls->repeats + 1 : 1;
	ls->addr = addr;
	ls->ip = ip;
	ls->when = now;
	return ls->repeats < SPURIOUS_LOOP;
}

/*
 * A protection-key fault in the direct map. If the entry as it is now
 * allows the access, this CPU held a stale, stricter copy: drop it and
 * retry (the same access faulting again and again is not stale: reported,
 * rather than a CPU stuck retrying; note_retry()). Otherwise
 * a violation: one line naming page, owner and accessor, then the fault
 * goes on to the fixups (a probe survives it) or the oops.
 */
static bool exclusive_pks_fault(u64 addr, u64 ip, bool write)
{
	unsigned int cpu = arch_cpu_id(), key;
	const u64 *pte;
	struct page *page;
	char where[96];

	if (addr < DIRECT_MAP_BASE || addr >= DIRECT_MAP_BASE + DIRECT_MAP_SIZE ||
	    !pfn_valid((addr - DIRECT_MAP_BASE) >> PAGE_SHIFT) ||
	    !(pte = vm_direct_pte((const void *)(uintptr_t)addr)))
		return false;
	key = arch_pte_pkey(READ_ONCE(*pte));
	if (arch_pks_may_access(key, write) && note_retry(&last_spurious[cpu], addr, ip)) {
		arch_flush_tlb_page(addr);
		__atomic_add_fetch(&stats.spurious, 1, __ATOMIC_RELAXED);
		return true;
	}
	last_spurious[cpu].repeats = 0;
	page = pfn_to_page((addr - DIRECT_MAP_BASE) >> PAGE_SHIFT);
	ksym_snprint(where, sizeof(where), ip);
	__atomic_add_fetch(&stats.violations, 1, __ATOMIC_RELAXED);
	if (arch_pks_may_access(key, write)) /* allowed, yet faulting again and again */
		pr_err("page pfn %#x (key %u) faulted %u times in a row on CPU %u at %s (%s) "
		       "although its entry allows it: not a stale entry\n",
		       page->pfn, key, SPURIOUS_LOOP, cpu, where, write ? "write" : "read");
	else
		pr_err("exclusive page pfn %#x (%s CPU %u) touched by CPU %u at %s (%s, key %u)\n",
		       page->pfn, key == PKS_KEY_NOBODY ? "free; last owner" : "owner", page->owner,
		       cpu, where, write ? "write" : "read", key);
	return false;
}

/* ---- boot and queries ---- */

static void enable_this_cpu(void *arg)
{
	(void)arg;
	arch_pks_enable_this_cpu(pks_cpu_key(arch_cpu_id()));
	__atomic_add_fetch(&stats.cpus_keyed, 1, __ATOMIC_RELAXED);
}

/* More CPUs than keys: name every pair that shares one (no isolation between them). */
static void warn_shared_keys(void)
{
	unsigned int a, b;

	for_each_online_cpu(b)
		for (a = 0; a < b; a++)
			if (cpu_online(a) && pks_cpu_key(a) == pks_cpu_key(b))
				pr_warn("CPUs %u and %u share key %u (%u CPUs, %u keys): no "
					"isolation between them, each can read and write the "
					"other's exclusive pages\n",
					a, b, pks_cpu_key(a), num_online_cpus(), PKS_NR_CPU_KEYS);
}

static void exclusive_enable_pks(void)
{
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		if (reserves[cpu].nr || reserves[cpu].dirty_nr) { /* freed before the keys */
			pr_err("CPU %u's reserve holds %u unkeyed pages: isolation off\n", cpu,
			       reserves[cpu].nr + reserves[cpu].dirty_nr);
			return;
		}
	}
	arch_set_pks_fault_handler(exclusive_pks_fault);
	enable_this_cpu(NULL);
	smp_call_function(enable_this_cpu, NULL, true);
	if (stats.cpus_keyed != num_online_cpus()) {
		pr_err("PKS on %u of %u CPUs: isolation off\n", stats.cpus_keyed,
		       num_online_cpus());
		return;
	}
	excl_isolated = true;
	labyrinth_pool_set_sealer(&excl_sealer);
	pr_info("PKS on %u CPUs: key 0 ordinary memory, key 1 free exclusive pages (no CPU), "
		"keys %u..%u one per CPU\n",
		stats.cpus_keyed, PKS_KEY_FIRST_CPU,
		PKS_KEY_FIRST_CPU + min(num_online_cpus(), PKS_NR_CPU_KEYS) - 1);
	warn_shared_keys();
}

void exclusive_init(void)
{
	unsigned int total;

	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		reserves[cpu].key = pks_cpu_key(cpu);
	if (arch_pks_supported() && vm_ready())
		exclusive_enable_pks();
	else
		pr_warn(
		    "no PKS on this CPU; pages are zeroed and scrubbed but not isolated, and the "
		    "Labyrinth pool has nothing to seal (an atomic exclusive request with an "
		    "empty reserve gets an ordinary zeroed page, from the pool under pressure)\n");
	total = exclusive_reserve_fill();
	WRITE_ONCE(excl_inited, true);
	pr_info("reserve: %u pages on %u CPUs (up to %u each); direct map split for them: "
		"%lu page tables (%lu KiB)\n",
		total, num_online_cpus(), EXCLUSIVE_RESERVE_PAGES, stats.tables_split,
		stats.tables_split * (PAGE_SIZE >> 10));
}

void exclusive_reset(void)
{
	memset(reserves, 0, sizeof(reserves));
	memset(&stats, 0, sizeof(stats));
	memset(last_spurious, 0, sizeof(last_spurious));
	excl_isolated = false;
	excl_inited = false;
	excl_idle_off = false;
}

/*
 * The idle loop (kernel/idle.c), after exclusive_init(): this CPU's dirty
 * pages scrubbed into its clean reserve (the zero-page thread's work), then
 * the reserve topped up if below half. Process context, interrupts on: the
 * flush on every CPU is an IPI this CPU waits for.
 */
void exclusive_idle_work(void)
{
	unsigned int cpu = arch_cpu_id();

	if (!READ_ONCE(excl_inited))
		return;
	/* Announce the pass before reading the switch (both seq_cst), so that
	 * the switch either sees this pass or this pass sees it off. */
	__atomic_add_fetch(&excl_idle_busy, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&excl_idle_off, __ATOMIC_SEQ_CST)) {
		exclusive_scrub_dirty();
		if (READ_ONCE(reserves[cpu].nr) + READ_ONCE(reserves[cpu].dirty_nr) <
		    EXCLUSIVE_RESERVE_PAGES / 2)
			__atomic_add_fetch(&stats.idle_refills, reserve_fill(cpu),
					   __ATOMIC_RELAXED);
	}
	__atomic_sub_fetch(&excl_idle_busy, 1, __ATOMIC_RELEASE);
}

/*
 * Off waits for the passes already under way on other CPUs, as
 * balancer_set_enabled(false) does: when it returns no idle loop scrubs or
 * refills until it is turned on again, so a test's exact count holds. A pass
 * is a few pages of work; the caller is a test in process context.
 */
void exclusive_idle_refill_set_enabled(bool on)
{
	__atomic_store_n(&excl_idle_off, !on, __ATOMIC_SEQ_CST);
	if (on)
		return;
	while (__atomic_load_n(&excl_idle_busy, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
}

unsigned int exclusive_reserve_fill(void)
{
	unsigned int cpu, got = 0;

	for_each_online_cpu(cpu)
		got += reserve_fill(cpu);
	return got;
}

unsigned long exclusive_reserve_pages_in(const struct zone *zone)
{
	unsigned long n = 0;

	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		for (u32 i = 0; i < min(READ_ONCE(reserves[cpu].nr), EXCLUSIVE_RESERVE_PAGES); i++)
			n += page_zone(reserves[cpu].slot[i].page) == zone;
		for (u32 i = 0; i < min(READ_ONCE(reserves[cpu].dirty_nr), EXCLUSIVE_DIRTY_MAX);
		     i++)
			n += page_zone(reserves[cpu].dirty[i].page) == zone;
	}
	return n;
}

bool exclusive_isolated(void)
{
	return READ_ONCE(excl_isolated);
}

bool exclusive_cpus_isolated(unsigned int a, unsigned int b)
{
	return READ_ONCE(excl_isolated) && a != b && pks_cpu_key(a) != pks_cpu_key(b);
}

unsigned int exclusive_reserve_level(unsigned int cpu)
{
	return cpu < NR_CPUS ? READ_ONCE(reserves[cpu].nr) : 0;
}

unsigned int exclusive_dirty_level(unsigned int cpu)
{
	return cpu < NR_CPUS ? READ_ONCE(reserves[cpu].dirty_nr) : 0;
}

void exclusive_get_stats(struct exclusive_stats *s)
{
	*s = stats;
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		s->reserve_hits += READ_ONCE(reserves[cpu].hits);
		s->reserve[cpu] = READ_ONCE(reserves[cpu].nr);
		s->dirty[cpu] = READ_ONCE(reserves[cpu].dirty_nr);
	}
}
