/*
 * fail_page_alloc_test.c - in-kernel KTAP suite of mm/fail_page_alloc.c
 * (failure injection: armed from a Linux-syntax string, fails exactly the
 * calls it should, disarms), run by kernel/ktest.c after boot and on the
 * host by tests/host/test_mm_ktest.c. White-box: it reads the hook word
 * (mm/internal.h). The case leaves injection disarmed, as it found it.
 */
#include <labyrinth/fail_page_alloc.h>
#include <labyrinth/ktest.h>
#include <labyrinth/mm.h>

#include "mm/internal.h"

static void fail_page_alloc_injects(struct ktest *t)
{
	struct fail_page_alloc_attr a = FAIL_PAGE_ALLOC_ATTR_DEFAULT;
	unsigned int i, failed = 0;

	if (mm_alloc_hooks & MM_HOOK_FAULT) {
		ktest_skip(t, "fail_page_alloc armed from the command line");
		return;
	}
	KEXPECT_EQ(t, fail_page_alloc_parse("2,100,0,3", &a), 0);
	fail_page_alloc_init(&a);
	for (i = 0; i < 10; i++) {
		struct page *p = alloc_page(GFP_ATOMIC | __GFP_NOWARN);

		if (p)
			__free_page(p);
		failed += !p;
	}
	a.times = 0;
	fail_page_alloc_init(&a); /* disarmed */
	KEXPECT_EQ(t, failed, 3);
	KEXPECT_FALSE(t, mm_alloc_hooks & MM_HOOK_FAULT);
}

KTEST_SUITE(fail_page_alloc, KTEST_ORDER_FAULT, KTEST_CASE(fail_page_alloc_injects));
