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
#include <labyrinth/vm.h>

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

/*
 * The reproducer: an exclusive page written with 0x42, freed, then
 * allocated with plain GFP_KERNEL must come back without the 0x42. This
 * CPU's reserve is topped up first, so the free goes back to the allocator
 * (a free into the reserve would keep the page away from GFP_KERNEL).
 */
static void exclusive_scrubbed_before_reuse(struct ktest *t)
{
	struct page *p = alloc_page(GFP_ATOMIC | __GFP_EXCLUSIVE), *q;

	KEXPECT_TRUE(t, p != NULL);
	if (!p)
		return;
	memset(page_address(p), 0x42, PAGE_SIZE);
	exclusive_reserve_fill();
	__free_page(p);
	KEXPECT_FALSE(t, p->flags & PG_exclusive); /* not kept: back to the allocator */
	KEXPECT_FALSE(t, page_has_byte(p, 0x42));  /* zeroed, or poisoned by debug_pagealloc */
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
	if (st.reserve[arch_cpu_id()] >= EXCLUSIVE_RESERVE_PAGES) {
		__free_page(p);
		ktest_skip(t, "this CPU's exclusive reserve is full: the free would not keep it");
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

KTEST_SUITE(exclusive, KTEST_ORDER_EXCLUSIVE, KTEST_CASE(exclusive_page_is_private),
	    KTEST_CASE(exclusive_foreign_free_refused), KTEST_CASE(exclusive_scrubbed_before_reuse),
	    KTEST_CASE(exclusive_double_free_in_reserve));
