/*
 * pagecache.h - a store of movable pages reached through handles
 * (mm/pagecache.c): the kernel's "something movable", what compaction
 * (mm/compaction.c) moves out of the way.
 *
 * A user never holds a pointer to a store page, only a handle (an index in
 * the store's slot table). Pages are allocated __GFP_MOVABLE | __GFP_ZERO
 * and marked PG_movable with their store and handle in struct page (the
 * rmap: Linux's page->mapping and page->index). migrate_page()
 * (mm/migrate.c) copies a page to a new one and repoints the handle under
 * the store's lock; the contents read through the handle are the same
 * before and after, and the old page goes back to the buddy.
 *
 *   static struct page *slots[64];
 *   struct page_store st;
 *   page_store_init(&st, slots, 64);
 *   long h = page_store_alloc(&st, GFP_KERNEL);   // >= 0: a handle
 *   page_store_write(&st, h, 0, "hello", 5);
 *   page_store_read(&st, h, 0, buf, 5);
 *   page_store_free(&st, h);
 *   page_store_destroy(&st);                      // every handle freed first
 *
 * Errors are negative: PAGE_STORE_ENOMEM (no page, or no free slot),
 * PAGE_STORE_EINVAL (bad handle, range or store), PAGE_STORE_EBUSY (too many
 * stores, or destroyed with pages in it).
 */
#ifndef LABYRINTH_PAGECACHE_H
#define LABYRINTH_PAGECACHE_H

#include <labyrinth/gfp.h>
#include <labyrinth/spinlock.h>
#include <labyrinth/types.h>

#define PAGE_STORE_ENOMEM (-12)
#define PAGE_STORE_EBUSY (-16)
#define PAGE_STORE_EINVAL (-22)
#define MAX_PAGE_STORES 16

struct page;

struct page_store {
	spinlock_t lock; /* slots[], and PG_movable of this store's pages */
	u32 id;		 /* index in page_stores[]; struct page's prev */
	u32 nr_slots;
	u32 next_free;		/* where the next slot search starts */
	unsigned long nr_pages; /* slots in use */
	struct page **slots;	/* handle -> page, NULL: free */
};

int page_store_init(struct page_store *s, struct page **slots, u32 nr_slots);
int page_store_destroy(struct page_store *s);
/* A zeroed movable page: its handle, or PAGE_STORE_ENOMEM. gfp's zone and
 * reserve bits are honoured; __GFP_MOVABLE and __GFP_ZERO are added. */
long page_store_alloc(struct page_store *s, gfp_t gfp);
int page_store_free(struct page_store *s, long handle);
int page_store_write(struct page_store *s, long handle, u32 off, const void *buf, u32 len);
int page_store_read(struct page_store *s, long handle, u32 off, void *buf, u32 len);
/* The pfn behind a handle now (it changes when the page migrates), or -1. */
long page_store_pfn(struct page_store *s, long handle);

/* mm/migrate.c: moves the movable page `page` to `newpage` (an order-0
 * page the caller allocated or isolated); 0, or PAGE_STORE_EBUSY if page is
 * no longer a store page. On success page is no longer movable and the
 * caller frees it; on failure newpage is still the caller's. */
int migrate_page(struct page *newpage, struct page *page);

/* pgmigrate_success / pgmigrate_fail (Linux's vmstat names). */
extern unsigned long pgmigrate_success, pgmigrate_fail;

#endif
