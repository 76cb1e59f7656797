/*
 * migrate.c - moving a movable page (Linux's migrate_pages(), for the one
 * kind of movable page Labyrinth has: a page store's, mm/pagecache.c).
 *
 * The page's owner is found from struct page (store = page->prev, handle =
 * page->next, valid while PG_movable) with no lock held, so it may be
 * stale; everything is checked again under the store's lock, which the
 * store holds whenever it sets or clears PG_movable or touches the page's
 * contents. Under that lock: copy the contents, move the rmap to the new
 * page, repoint the handle. A reader through the handle sees the old page
 * or the new one, never a half-copied page.
 */
#define pr_fmt(fmt) "migrate: " fmt

#include <labyrinth/mm.h>
#include <labyrinth/pagecache.h>
#include <labyrinth/string.h>

#include "mm/internal.h"

extern struct page_store *page_stores[MAX_PAGE_STORES];
unsigned long pgmigrate_success, pgmigrate_fail;

static bool __still_movable(const struct page_store *s, const struct page *page)
{
	u32 h = page->next;

	return (page->flags & (PG_allocated | PG_movable)) == (PG_allocated | PG_movable) &&
	       page->prev == s->id && h < s->nr_slots && s->slots[h] == page;
}

int migrate_page(struct page *newpage, struct page *page)
{
	u32 id = READ_ONCE(page->prev);
	struct page_store *s = id < MAX_PAGE_STORES ? READ_ONCE(page_stores[id]) : NULL;
	unsigned long flags;
	int ret = PAGE_STORE_EBUSY;

	if (!s || !(READ_ONCE(page->flags) & PG_movable))
		goto out;
	spin_lock_irqsave(&s->lock, flags);
	if (__still_movable(s, page)) {
		memcpy(page_address(newpage), page_address(page), PAGE_SIZE);
		newpage->next = page->next;
		newpage->prev = page->prev;
		newpage->flags = PG_allocated | PG_movable;
		s->slots[page->next] = newpage;
		page->flags &= (u16)~PG_movable;
		page->next = page->prev = PFN_NIL;
		ret = 0;
	}
	spin_unlock_irqrestore(&s->lock, flags);
out:
	__atomic_add_fetch(ret ? &pgmigrate_fail : &pgmigrate_success, 1, __ATOMIC_RELAXED);
	return ret;
}
