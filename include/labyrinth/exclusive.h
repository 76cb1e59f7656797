/*
 * exclusive.h - __GFP_EXCLUSIVE pages (gfp.h; mm/exclusive.c): zeroed when
 * allocated, PG_exclusive + owner CPU in their struct page. Freeing one on
 * another CPU than its owner is reported ("BUG: Bad page state", reason
 * named) and the page left as it is, unless the owner first handed it over
 * with exclusive_page_handover().
 *
 * Labyrinth's other own allocation feature, the pool of pages for atomic
 * callers, is in include/labyrinth/pool.h.
 */
#ifndef LABYRINTH_EXCLUSIVE_H
#define LABYRINTH_EXCLUSIVE_H

#include <labyrinth/mm.h>

/* The owner gives the page to new_cpu, which may then free it. 0, or -1
 * (reported) if the caller is not the owner or the page is not exclusive. */
int exclusive_page_handover(struct page *page, unsigned int new_cpu);

static inline bool page_is_exclusive(const struct page *page)
{
	return (page->flags & (PG_allocated | PG_exclusive)) == (PG_allocated | PG_exclusive);
}

#endif
