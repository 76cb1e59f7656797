/*
 * buddy.c - the buddy allocator's free lists: split on allocation, merge on
 * free. Everything here runs with the zone lock held (the "__" prefix,
 * mm/internal.h), except free_boot_range(), which runs at boot on one CPU
 * before anyone else could take it; mm/page_alloc.c and mm/pcp.c take the
 * lock, choose the zone and check watermarks, mm/zone.c set the zones up,
 * mm/debug.c checks what this file maintains.
 *
 * The free lists are doubly linked through struct page's 32-bit next/prev
 * pfns, with heads in zone->free_area[order]; zone->free_mask has bit o set
 * exactly when free_area[o] is non-empty, so finding the smallest order
 * that can serve a request is one count-trailing-zeros, not a loop.
 */
#define pr_fmt(fmt) "mm: " fmt

#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/printk.h>

#include "mm/internal.h"

static __always_inline void add_to_free_list(struct zone *zone, struct page *page, u32 pfn,
					     unsigned int order)
{
	struct free_area *area = &zone->free_area[order];
	u32 head = area->head;

	page->flags = PG_buddy;
	page->order = (u8)order;
	page->next = head;
	page->prev = PFN_NIL;
	if (head != PFN_NIL)
		pfn_to_page(head)->prev = pfn;
	else
		zone->free_mask |= (u16)(1u << order);
	area->head = pfn;
	area->nr_free++;
}

/* Pushes onto a list the caller knows is empty: no neighbour to touch. */
static __always_inline void add_to_empty_free_list(struct zone *zone, struct page *page, u32 pfn,
						   unsigned int order)
{
	struct free_area *area = &zone->free_area[order];

	page->flags = PG_buddy;
	page->order = (u8)order;
	page->next = PFN_NIL;
	page->prev = PFN_NIL;
	zone->free_mask |= (u16)(1u << order);
	area->head = pfn;
	area->nr_free = 1;
}

static __always_inline void del_page_from_free_list(struct zone *zone, struct page *page,
						    unsigned int order)
{
	struct free_area *area = &zone->free_area[order];
	u32 next = page->next, prev = page->prev;

	if (prev != PFN_NIL)
		pfn_to_page(prev)->next = next;
	else
		area->head = next;
	if (next != PFN_NIL)
		pfn_to_page(next)->prev = prev;
	if (area->head == PFN_NIL)
		zone->free_mask &= (u16) ~(1u << order);
	area->nr_free--;
	page->flags = 0;
}

/*
 * The buddy system.
 *
 * Free memory is kept in blocks of 2^order pages, each aligned to its own
 * size: a block of order o starts at a pfn that is a multiple of 2^o. Two
 * blocks of order o that together form an aligned block of order o+1 are
 * "buddies". Because of the alignment, the buddy of the block at pfn is
 *
 *         buddy_pfn = pfn ^ (1 << order)
 *
 * (flip the bit that says "lower or upper half of the parent"), and the
 * parent starts at pfn & buddy_pfn (that bit cleared).
 *
 * Allocation of order o: take the first block from the smallest non-empty
 * list of order h >= o; while h > o, split it: h--, and the upper half (the
 * block at pfn + 2^h) goes on free_area[h]. Every list between o and the
 * original h was empty (h was the smallest non-empty one), so each half
 * goes on an empty list.
 *
 * Freeing a block of order o: while its buddy is a free block of the same
 * order (the buddy's struct page says PG_buddy with that order), take the
 * buddy off its list and continue with the parent at order o+1. Then put
 * the result on its list. Pages that are not RAM, reserved or allocated
 * never say PG_buddy, so they stop the merge.
 *
 * Both are O(MAX_PAGE_ORDER). Buddies of blocks up to MAX_PAGE_ORDER are
 * always in the same 128 MiB section (mm/sparse.c) and the same zone
 * (zone boundaries are MAX_ORDER-aligned, mmzone.h), so the buddy's struct
 * page is page + (buddy_pfn - pfn): no table lookup, no zone check.
 */
struct page *__rmqueue_smallest(struct zone *zone, unsigned int order)
{
	unsigned int mask = zone->free_mask >> order, high;
	struct free_area *area;
	struct page *page;
	u32 pfn, next;

	if (unlikely(!mask))
		return NULL;
	high = order + (unsigned int)__builtin_ctz(mask);
	area = &zone->free_area[high];
	pfn = area->head;
	page = pfn_to_page(pfn);
	next = page->next;
	area->head = next;
	area->nr_free--;
	if (next != PFN_NIL)
		pfn_to_page(next)->prev = PFN_NIL;
	else
		zone->free_mask &= (u16) ~(1u << high);
	while (high > order) {
		high--;
		add_to_empty_free_list(zone, page + (1u << high), pfn + (1u << high), high);
	}
	page->flags = PG_allocated;
	page->order = (u8)order;
	zone->free_pages -= 1ul << order;
	return page;
}

void __free_one_page(struct zone *zone, struct page *page, unsigned long pfn, unsigned int order)
{
	zone->free_pages += 1ul << order;
	zone->nr_frees++;
	page->flags = 0;
	while (order < MAX_PAGE_ORDER) {
		unsigned long buddy_pfn = pfn ^ (1ul << order);
		struct page *buddy = page + ((long)buddy_pfn - (long)pfn);

		if (buddy->flags != PG_buddy || buddy->order != order)
			break;
		del_page_from_free_list(zone, buddy, order);
		if (buddy_pfn < pfn)
			page = buddy;
		pfn &= buddy_pfn;
		order++;
	}
	add_to_free_list(zone, page, (u32)pfn, order);
}

/*
 * Boot only (one CPU, no lock): gives [start_pfn, end_pfn) to the buddy
 * allocator as the largest aligned blocks that fit, highest first, so each
 * list ends up in ascending address order. A maximal free range decomposed
 * like this leaves no two free buddies unmerged. The pages are tail pages
 * already (mm/sparse.c); only block heads are written.
 */
void free_boot_range(unsigned long start_pfn, unsigned long end_pfn)
{
	unsigned long end = end_pfn;

	while (end > start_pfn) {
		unsigned int order = min((unsigned int)__builtin_ctzl(end | (1ul << 63)),
					 (unsigned int)MAX_PAGE_ORDER);
		unsigned long pfn;
		struct zone *zone;

		while ((1ul << order) > end - start_pfn)
			order--;
		pfn = end - (1ul << order);
		zone = page_zone(pfn_to_page(pfn));
		add_to_free_list(zone, pfn_to_page(pfn), (u32)pfn, order);
		zone->free_pages += 1ul << order;
		zone->managed_pages += 1ul << order;
		end = pfn;
	}
}
