/*
 * exclusive.c - __GFP_EXCLUSIVE pages (gfp.h): the bookkeeping of a page
 * that belongs to one CPU. On allocation the block is zeroed and its head
 * marked PG_exclusive with the allocating CPU as owner; on free the owner
 * is checked (another CPU's free is reported as a bad page and refused);
 * the owner may hand the page over to another CPU first. The API and the
 * rules are in include/labyrinth/exclusive.h; mm/page_alloc.c calls
 * exclusive_page_prep() and exclusive_page_release() (mm/internal.h) off
 * its fast paths; the reports are mm/debug.c's bad_page(). The Labyrinth
 * pool, Labyrinth's other own feature, is mm/pool.c's.
 */
#define pr_fmt(fmt) "mm: " fmt

#include <labyrinth/exclusive.h>
#include <labyrinth/mm.h>
#include <labyrinth/string.h>

#include "mm/internal.h"

/*
 * A new exclusive block: zeroed (no data of a previous owner leaks), the
 * head marked PG_exclusive with this CPU as owner. Supervisor-only and NX
 * come from the direct map itself (mm/vm.c maps all RAM so once vm_init()
 * ran; tests/kernel/exclusive_test.c checks it with vm_translate()).
 */
void exclusive_page_prep(struct page *page, unsigned int order)
{
	memset(page_address(page), 0, PAGE_SIZE << order);
	page->owner = (u8)arch_cpu_id();
	page->flags |= PG_exclusive;
}

bool exclusive_page_release(struct page *page, unsigned int order)
{
	if (!(page->flags & PG_allocated))
		return true; /* not a live page: the generic checks name it */
	if (__atomic_load_n(&page->owner, __ATOMIC_ACQUIRE) != arch_cpu_id()) {
		bad_page(page, order, "exclusive page freed by another CPU (no hand-over)");
		return false;
	}
	page->flags &= (u16)~PG_exclusive;
	page->owner = 0;
	return true;
}

int exclusive_page_handover(struct page *page, unsigned int new_cpu)
{
	if (!page || !page_is_exclusive(page)) {
		bad_page(page, page ? page->order : 0, "hand-over of a page that is not exclusive");
		return -1;
	}
	if (page->owner != arch_cpu_id() || new_cpu >= NR_CPUS) {
		bad_page(page, page->order,
			 new_cpu >= NR_CPUS
			     ? "hand-over to no such CPU"
			     : "exclusive page handed over by a CPU that does not own it");
		return -1;
	}
	__atomic_store_n(&page->owner, (u8)new_cpu, __ATOMIC_RELEASE);
	return 0;
}
