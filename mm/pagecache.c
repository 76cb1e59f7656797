/*
 * pagecache.c - a store of movable pages reached through handles
 * (include/labyrinth/pagecache.h): the consumer whose pages compaction may
 * move. Each page records its store (page->prev, an index in page_stores[])
 * and handle (page->next) while it is PG_movable, which is set and cleared
 * only under the store's lock; mm/migrate.c checks all three under that
 * lock before moving a page, so a page freed or reused meanwhile is left
 * alone.
 */
#define pr_fmt(fmt) "pagecache: " fmt

#include <labyrinth/mm.h>
#include <labyrinth/pagecache.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

#include "mm/internal.h"

struct page_store *page_stores[MAX_PAGE_STORES];
static spinlock_t page_stores_lock = SPINLOCK_INIT;

int page_store_init(struct page_store *s, struct page **slots, u32 nr_slots)
{
	unsigned long flags;
	u32 i;

	if (!s || !slots || !nr_slots)
		return PAGE_STORE_EINVAL;
	memset(slots, 0, nr_slots * sizeof(*slots));
	*s = (struct page_store){ .nr_slots = nr_slots, .slots = slots };
	spin_lock_init(&s->lock);
	spin_lock_irqsave(&page_stores_lock, flags);
	for (i = 0; i < MAX_PAGE_STORES && page_stores[i]; i++)
		;
	if (i < MAX_PAGE_STORES) {
		s->id = i;
		page_stores[i] = s;
	}
	spin_unlock_irqrestore(&page_stores_lock, flags);
	if (i == MAX_PAGE_STORES) {
		pr_warn("no free store (%u in use)\n", MAX_PAGE_STORES);
		return PAGE_STORE_EBUSY;
	}
	return 0;
}

int page_store_destroy(struct page_store *s)
{
	unsigned long flags;

	if (s->nr_pages) {
		pr_warn("store %u destroyed with %lu pages in it\n", s->id, s->nr_pages);
		return PAGE_STORE_EBUSY;
	}
	spin_lock_irqsave(&page_stores_lock, flags);
	page_stores[s->id] = NULL;
	spin_unlock_irqrestore(&page_stores_lock, flags);
	return 0;
}

/* A free slot at or after next_free, wrapping; nr_slots if none. */
static u32 __find_free_slot(const struct page_store *s)
{
	u32 i, h;

	for (i = 0; i < s->nr_slots; i++) {
		h = (s->next_free + i) % s->nr_slots;
		if (!s->slots[h])
			return h;
	}
	return s->nr_slots;
}

long page_store_alloc(struct page_store *s, gfp_t gfp)
{
	struct page *page;
	unsigned long flags;
	u32 h;

	page = alloc_pages(
	    (gfp & ~(__GFP_RECLAIMABLE | __GFP_EXCLUSIVE)) | __GFP_MOVABLE | __GFP_ZERO, 0);
	if (!page)
		return PAGE_STORE_ENOMEM;
	spin_lock_irqsave(&s->lock, flags);
	h = __find_free_slot(s);
	if (h < s->nr_slots) {
		s->slots[h] = page;
		s->next_free = h + 1;
		s->nr_pages++;
		page->next = h;
		page->prev = s->id;
		page->flags |= PG_movable;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	if (h == s->nr_slots) {
		__free_pages(page, 0);
		return PAGE_STORE_ENOMEM;
	}
	return h;
}

static bool handle_ok(const struct page_store *s, long h)
{
	return h >= 0 && h < (long)s->nr_slots && s->slots[h];
}

int page_store_free(struct page_store *s, long h)
{
	struct page *page = NULL;
	unsigned long flags;

	spin_lock_irqsave(&s->lock, flags);
	if (handle_ok(s, h)) {
		page = s->slots[h];
		s->slots[h] = NULL;
		s->nr_pages--;
		if ((u32)h < s->next_free)
			s->next_free = (u32)h;
		page->flags &= (u16)~PG_movable;
		page->next = page->prev = PFN_NIL;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	if (!page)
		return PAGE_STORE_EINVAL;
	__free_pages(page, 0);
	return 0;
}

/* Copies under the lock: the page cannot move meanwhile. */
static int store_copy(struct page_store *s, long h, u32 off, void *buf, u32 len, bool write)
{
	unsigned long flags;
	int ret = PAGE_STORE_EINVAL;

	if (off > PAGE_SIZE || len > PAGE_SIZE - off)
		return PAGE_STORE_EINVAL;
	spin_lock_irqsave(&s->lock, flags);
	if (handle_ok(s, h)) {
		char *p = (char *)page_address(s->slots[h]) + off;

		if (write)
			memcpy(p, buf, len);
		else
			memcpy(buf, p, len);
		ret = 0;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	return ret;
}

int page_store_write(struct page_store *s, long h, u32 off, const void *buf, u32 len)
{
	return store_copy(s, h, off, (void *)buf, len, true);
}

int page_store_read(struct page_store *s, long h, u32 off, void *buf, u32 len)
{
	return store_copy(s, h, off, buf, len, false);
}

long page_store_pfn(struct page_store *s, long h)
{
	unsigned long flags;
	long pfn = -1;

	spin_lock_irqsave(&s->lock, flags);
	if (handle_ok(s, h))
		pfn = (long)s->slots[h]->pfn;
	spin_unlock_irqrestore(&s->lock, flags);
	return pfn;
}
