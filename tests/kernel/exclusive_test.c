/*
 * exclusive_test.c - in-kernel KTAP suite of mm/exclusive.c
 * (__GFP_EXCLUSIVE pages: zeroed, private mapping, owner checks,
 * hand-over), run by kernel/ktest.c after boot and on the host by
 * tests/host/test_mm_ktest.c. Each case leaves the allocator as it found
 * it. The pool's suite is tests/kernel/pool_test.c.
 */
#include <labyrinth/arch.h>
#include <labyrinth/exclusive.h>
#include <labyrinth/ktest.h>
#include <labyrinth/printk.h>
#include <labyrinth/mm.h>
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
	KEXPECT_FALSE(t, p->flags & PG_exclusive);
}

/* A free by a CPU that is not the owner is refused (we pose as the other
 * CPU by changing the recorded owner). */
static void exclusive_foreign_free_refused(struct ktest *t)
{
	struct page *p = alloc_page(GFP_KERNEL | __GFP_EXCLUSIVE);
	unsigned long bad0 = mm_bad_page_count, free0;

	KEXPECT_TRUE(t, p != NULL);
	if (!p)
		return;
	ktest_log_level(t, LOGLEVEL_ALERT,
			"a deliberate foreign free follows: one Bad page state report (expected)");
	p->owner = (u8)((arch_cpu_id() + 1) % NR_CPUS);
	free0 = nr_free_pages();
	__free_page(p);
	KEXPECT_EQ(t, mm_bad_page_count, bad0 + 1);
	KEXPECT_TRUE(t, page_is_exclusive(p));
	KEXPECT_EQ(t, nr_free_pages(), free0);
	p->owner = (u8)arch_cpu_id();
	KEXPECT_EQ(t, exclusive_page_handover(p, (arch_cpu_id() + 1) % NR_CPUS), 0);
	p->owner = (u8)arch_cpu_id(); /* handed back: we pose as the receiver */
	__free_page(p);
	KEXPECT_EQ(t, mm_bad_page_count, bad0 + 1);
	KEXPECT_EQ(t, nr_free_pages(), free0 + 1);
}

KTEST_SUITE(exclusive, KTEST_ORDER_EXCLUSIVE, KTEST_CASE(exclusive_page_is_private),
	    KTEST_CASE(exclusive_foreign_free_refused));
