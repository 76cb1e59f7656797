/*
 * exclusive_test.c - in-kernel KTAP suite of mm/exclusive.c
 * (__GFP_EXCLUSIVE pages: zeroed, owner checks, scrubbed on free, the
 * reserve's double free), run by kernel/ktest.c after boot and on the host
 * by tests/host/test_mm_ktest.c. Each case leaves the allocator as it found
 * it, but for pages moved into this CPU's exclusive reserve. The hardware
 * side (faults on other CPUs, hand-over) is exclusive_isolation_test.c, in
 * the kernel only. The pool's suite is tests/kernel/pool_test.c.
 */
#include <labyrinth/arch.h>
#include <labyrinth/exclusive.h>
#include <labyrinth/ktest.h>
#include <labyrinth/printk.h>
#include <labyrinth/mm.h>
#include <labyrinth/string.h>
#include <labyrinth/pool.h>
#include <labyrinth/shrinker.h>
#include <labyrinth/vm.h>
#ifdef __KERNEL__ /* the extable probes: the kernel's (the host has no PKS) */
#include <asm/extable.h>
#include <asm/pks.h>
#include <asm/traps.h>
#endif

static bool page_all_zero(const struct page *p)
{
	const u64 *w = page_address(p);
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / 8; i++)
		if (w[i])
			return false;
	return true;
}

static bool page_has_byte(const struct page *p, u8 b)
{
	const u8 *c = page_address(p);

	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		if (c[i] == b)
			return true;
	return false;
}

/* The seed call: alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE). */
static void exclusive_page_is_private(struct ktest *t)
{
	struct page *p = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);
	phys_addr_t pa;
	unsigned int flags, level;

	KEXPECT_TRUE(t, p != NULL);
	if (!p)
		return;
	KEXPECT_TRUE(t, page_is_exclusive(p));
	KEXPECT_EQ(t, p->owner, arch_cpu_id());
	KEXPECT_TRUE(t, page_all_zero(p));
	if (vm_ready()) { /* supervisor-only and NX: the direct map's promise */
		KEXPECT_TRUE(t, vm_translate((u64)page_address(p), &pa, &flags, &level));
		KEXPECT_EQ(t, pa, page_to_phys(p));
		KEXPECT_FALSE(t, flags & VM_USER);
		KEXPECT_FALSE(t, flags & VM_EXEC);
	} else {
		ktest_log(t, "kernel page tables not live: mapping flags not checked");
	}
	__free_page(p);
	KEXPECT_FALSE(t, page_is_exclusive(p)); /* in a reserve (PG_exclusive alone) or free */
}

/* A free by a CPU that is not the owner is refused (we pose as the other
 * CPU by changing the recorded owner; the real cross-CPU free, hand-over
 * and faults are tests/kernel/exclusive_isolation_test.c's). */
static void exclusive_foreign_free_refused(struct ktest *t)
{
	struct page *p = alloc_page(GFP_KERNEL | __GFP_EXCLUSIVE);
	unsigned long bad0 = mm_bad_page_count;

	KEXPECT_TRUE(t, p != NULL);
	if (!p)
		return;
	ktest_log_level(t, LOGLEVEL_ALERT,
			"a deliberate foreign free follows: one Bad page state report (expected)");
	p->owner = (u8)((arch_cpu_id() + 1) % NR_CPUS);
	__free_page(p);
	KEXPECT_EQ(t, mm_bad_page_count, bad0 + 1);
	KEXPECT_TRUE(t, page_is_exclusive(p));
	p->owner = (u8)arch_cpu_id();
	__free_page(p);
	KEXPECT_EQ(t, mm_bad_page_count, bad0 + 1);
	KEXPECT_FALSE(t, page_is_exclusive(p));
}

static bool old_owner_faults(struct ktest *t, struct page *p);

/* Isolated: the page's direct-map key is key 0 again (ordinary memory). */
static bool page_keyed_default(const struct page *p)
{
#ifdef __KERNEL__
	const u64 *pte = vm_direct_pte(page_address(p));

	return !exclusive_isolated() || (pte && arch_pte_pkey(*pte) == PKS_KEY_DEFAULT);
#else
	(void)p;
	return true;
#endif
}

/*
 * The reproducer: an exclusive page written with 0x42, freed, then
 * allocated with plain GFP_KERNEL must come back without the 0x42. This
 * CPU's reserve is topped up first, so the free is above the reserve's
 * target: it parks the page dirty all the same (no scrub on the caller's
 * path; with PKS key 1, the old owner faults on it), and the scrubber
 * zeroes it and gives it back to the allocator, key 0 again.
 */
static void exclusive_scrubbed_before_reuse(struct ktest *t)
{
	struct page *p = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE), *q;
	struct exclusive_stats st0, st1;
	unsigned int cpu = arch_cpu_id();

	KEXPECT_TRUE(t, p != NULL);
	if (!p)
		return;
	memset(page_address(p), 0x42, PAGE_SIZE);
	exclusive_idle_refill_set_enabled(false);
	exclusive_reserve_fill();
	exclusive_get_stats(&st0);
	__free_page(p);
	exclusive_get_stats(&st1);
	KEXPECT_EQ(t, p->flags, PG_exclusive); /* parked dirty above the target */
	KEXPECT_EQ(t, st1.free_scrubs, st0.free_scrubs);
	KEXPECT_EQ(t, st1.reserve[cpu] + st1.dirty[cpu], EXCLUSIVE_RESERVE_PAGES + 1);
	if (exclusive_isolated())
		KEXPECT_TRUE(t, old_owner_faults(t, p)); /* dirty, key 1: nobody */
	KEXPECT_TRUE(t, exclusive_scrub_dirty() >= 1);
	exclusive_get_stats(&st1);
	KEXPECT_EQ(t, st1.bg_returns, st0.bg_returns + 1);
	KEXPECT_EQ(t, st1.reserve[cpu], EXCLUSIVE_RESERVE_PAGES);
	KEXPECT_FALSE(t, p->flags & PG_exclusive); /* not kept: back to the allocator */
	KEXPECT_TRUE(t, page_keyed_default(p));
	KEXPECT_FALSE(t, page_has_byte(p, 0x42)); /* zeroed, or poisoned by debug_pagealloc */
	exclusive_idle_refill_set_enabled(true);
	q = alloc_page(GFP_KERNEL);
	KEXPECT_TRUE(t, q != NULL);
	if (!q)
		return;
	if (q == p) /* the hot page comes back (per-CPU list LIFO) */
		ktest_log(t, "GFP_KERNEL got the same page back");
	KEXPECT_FALSE(t, page_has_byte(q, 0x42));
	__free_page(q);
}

/* A free into the reserve, then a second free: "double free", page kept. */
static void exclusive_double_free_in_reserve(struct ktest *t)
{
	struct page *p = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);
	unsigned long bad0 = mm_bad_page_count;
	struct exclusive_stats st;

	KEXPECT_TRUE(t, p != NULL);
	if (!p)
		return;
	exclusive_get_stats(&st);
	if (st.reserve[arch_cpu_id()] + st.dirty[arch_cpu_id()] >= EXCLUSIVE_DIRTY_MAX) {
		__free_page(p);
		ktest_skip(t,
			   "this CPU's exclusive dirty list is full: the free would not keep it");
		return;
	}
	__free_page(p);
	KEXPECT_EQ(t, p->flags, PG_exclusive); /* in this CPU's reserve */
	KEXPECT_EQ(t, p->owner, arch_cpu_id());
	ktest_log_level(t, LOGLEVEL_ALERT,
			"a deliberate double free follows: one Bad page state report (expected)");
	__free_page(p);
	KEXPECT_EQ(t, mm_bad_page_count, bad0 + 1);
	KEXPECT_EQ(t, p->flags, PG_exclusive);
}

#ifdef __KERNEL__
/* Each deliberate touch is announced on the line just before its report. */
static void explain_after_free(struct ktest *t, const char *access)
{
	ktest_log_level(t, LOGLEVEL_ERR,
			"a deliberate after-free %s follows: one 'exclusive page ... touched by "
			"CPU %u' report (expected)",
			access, arch_cpu_id());
}
#endif

/*
 * The old owner reads, then writes, the freed page through the extable
 * probes: true when both fault with a protection-key fault. Kernel only.
 */
static bool old_owner_faults(struct ktest *t, struct page *p)
{
#ifdef __KERNEL__
	volatile u8 *b = page_address(p);
	bool r_pk, w_pk;
	u8 seen;

	explain_after_free(t, "read");
	r_pk = !probe_read_u8(b, &seen) && last_fault()->vector == X86_TRAP_PF &&
	       (last_fault()->error_code & X86_PF_PK);
	explain_after_free(t, "write");
	w_pk = !probe_write_u8(b, 0x77) && last_fault()->vector == X86_TRAP_PF &&
	       (last_fault()->error_code & X86_PF_PK);
	return r_pk && w_pk;
#else
	(void)t;
	(void)p;
	return false;
#endif
}

static unsigned int dirty_here(void)
{
	return exclusive_dirty_level(arch_cpu_id());
}

/*
 * The zero-page-thread design (issue 15): the owner's free puts the page on
 * this CPU's dirty list unscrubbed -- key 1, so the old owner faults on it
 * (with PKS) -- and the scrubber (the idle loop's, run here by hand with
 * idle work off) zeroes it into the clean reserve, from which the next seed
 * call takes it back, zero.
 */
static void exclusive_freed_page_dirty_until_scrubbed(struct ktest *t)
{
	unsigned int cpu = arch_cpu_id(), clean0, dirty0;
	struct page *p, *q;

	exclusive_idle_refill_set_enabled(false);
	exclusive_scrub_dirty(); /* start with no dirty page: room below the target */
	p = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);
	KEXPECT_TRUE(t, p != NULL);
	if (!p)
		goto out;
	memset(page_address(p), 0x42, PAGE_SIZE);
	clean0 = exclusive_reserve_level(cpu);
	dirty0 = dirty_here();
	__free_page(p);
	KEXPECT_EQ(t, p->flags, PG_exclusive);
	KEXPECT_EQ(t, dirty_here(), dirty0 + 1);
	KEXPECT_EQ(t, exclusive_reserve_level(cpu), clean0);
	if (exclusive_isolated()) {
		KEXPECT_TRUE(t, old_owner_faults(t, p)); /* dirty, key 1: nobody */
	} else {
		ktest_log(t, "no PKS: the dirty page is not isolated (its 0x42 still there)");
		KEXPECT_TRUE(t, page_has_byte(p, 0x42));
	}
	KEXPECT_TRUE(t, exclusive_scrub_dirty() >= 1);
	KEXPECT_EQ(t, dirty_here(), 0);
	KEXPECT_EQ(t, exclusive_reserve_level(cpu), clean0 + dirty0 + 1);
	if (exclusive_isolated())
		KEXPECT_TRUE(t, old_owner_faults(t, p)); /* clean, still key 1 */
	q = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);	 /* the clean reserve's top */
	KEXPECT_TRUE(t, q == p);
	if (q) {
		KEXPECT_TRUE(t, page_all_zero(q));
		__free_page(q);
	}
out:
	exclusive_idle_refill_set_enabled(true);
}

#define HOLD_MAX (EXCLUSIVE_RESERVE_PAGES + 64)
static struct page *held[HOLD_MAX];

/*
 * Takes this CPU's clean reserve and (isolated) the pool's sealed part
 * until both are empty; the pages are kept in held[]. Returns how many, or
 * -1 if more than HOLD_MAX.
 */
static int drain_clean_and_sealed(void)
{
	struct labyrinth_pool_stats ps;
	unsigned int n = 0;

	for (;;) {
		labyrinth_pool_stats(&ps);
		if (!exclusive_reserve_level(arch_cpu_id()) &&
		    (!exclusive_isolated() || !ps.sealed_level))
			return (int)n;
		if (n == HOLD_MAX)
			return -1;
		if (!(held[n] = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE | __GFP_NOWARN)))
			return (int)n;
		n++;
	}
}

/*
 * No clean page: the seed call scrubs one of this CPU's dirty pages itself
 * (counted as an inline scrub) and returns it zeroed and owned. The sealed
 * part is emptied too, so that nothing else could serve the call, whatever
 * the order of the sources (exclusive_dirty_before_sealed checks the order).
 */
static void exclusive_alloc_scrubs_inline(struct ktest *t)
{
	struct exclusive_stats st0, st1;
	struct page *p, *q = NULL;
	int n;

	exclusive_idle_refill_set_enabled(false);
	balancer_set_enabled(false); /* it refills the pool's sealed part */
	exclusive_scrub_dirty();
	p = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);
	KEXPECT_TRUE(t, p != NULL);
	if (!p)
		goto out;
	memset(page_address(p), 0x42, PAGE_SIZE);
	n = drain_clean_and_sealed();
	if (n < 0) {
		ktest_skip(t, "the clean reserve and sealed part hold more than this test drains");
		n = HOLD_MAX;
		__free_page(p);
		goto free;
	}
	ktest_log(t, "held %d pages to empty the clean reserve and the sealed part", n);
	__free_page(p); /* the only dirty page */
	KEXPECT_EQ(t, dirty_here(), 1);
	exclusive_get_stats(&st0);
	q = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE | __GFP_NOWARN);
	exclusive_get_stats(&st1);
	KEXPECT_TRUE(t, q == p);
	KEXPECT_EQ(t, st1.inline_scrubs, st0.inline_scrubs + 1);
	KEXPECT_EQ(t, dirty_here(), 0);
	if (q) {
		KEXPECT_TRUE(t, page_is_exclusive(q) && q->owner == arch_cpu_id());
		KEXPECT_TRUE(t, page_all_zero(q));
		__free_page(q);
	}
free:
	while (n > 0)
		if (held[--n])
			__free_page(held[n]);
out:
	balancer_set_enabled(true);
	exclusive_idle_refill_set_enabled(true);
}

/*
 * The order after the clean reserve: a dirty page of this CPU (scrubbed on
 * the caller's time) before the Labyrinth pool's sealed part, which is the
 * reserve for pressure and is refilled only by the balancer. The bug it
 * catches: seed calls spending the sealed part while dirty pages wait.
 */
static void exclusive_dirty_before_sealed(struct ktest *t)
{
	struct labyrinth_pool_stats ps0, ps1;
	unsigned int cpu = arch_cpu_id();
	struct page *p, *q = NULL;
	int n = 0;

	exclusive_idle_refill_set_enabled(false);
	balancer_set_enabled(false);
	exclusive_scrub_dirty();
	labyrinth_pool_refill(); /* as the balancer would: earlier cases used the sealed part */
	labyrinth_pool_stats(&ps0);
	if (!exclusive_isolated() || !ps0.sealed_level) {
		ktest_skip(t, !exclusive_isolated() ? "no PKS: no sealed part"
						    : "the pool's sealed part is empty");
		goto out;
	}
	p = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE);
	KEXPECT_TRUE(t, p != NULL);
	if (!p)
		goto out;
	while (exclusive_reserve_level(cpu) && n < (int)HOLD_MAX &&
	       (held[n] = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE | __GFP_NOWARN)))
		n++;
	KEXPECT_EQ(t, exclusive_reserve_level(cpu), 0);
	__free_page(p); /* the only dirty page */
	labyrinth_pool_stats(&ps0);
	q = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE | __GFP_NOWARN);
	labyrinth_pool_stats(&ps1);
	KEXPECT_TRUE(t, q == p);
	KEXPECT_EQ(t, ps1.sealed_level, ps0.sealed_level);
	if (q) {
		KEXPECT_TRUE(t, page_all_zero(q));
		__free_page(q);
	}
	while (n > 0)
		__free_page(held[--n]);
out:
	balancer_set_enabled(true);
	exclusive_idle_refill_set_enabled(true);
}

KTEST_SUITE(exclusive, KTEST_ORDER_EXCLUSIVE, KTEST_CASE(exclusive_page_is_private),
	    KTEST_CASE(exclusive_foreign_free_refused), KTEST_CASE(exclusive_scrubbed_before_reuse),
	    KTEST_CASE(exclusive_double_free_in_reserve),
	    KTEST_CASE(exclusive_freed_page_dirty_until_scrubbed),
	    KTEST_CASE(exclusive_alloc_scrubs_inline), KTEST_CASE(exclusive_dirty_before_sealed));
