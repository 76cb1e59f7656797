/*
 * fragwork.c - the fragmentation workload itself, generic code that runs
 * on the host (tests/bench/fragbench.c, over simulated memory) and in the
 * guest (`fragbench` on the command line: kernel_fragbench_run() below).
 * A benchmark, not a test: it reports what it measures and asserts nothing.
 *
 * One seeded xorshift stream, `ops` operations, in the first zone of the
 * GFP_KERNEL zonelist (DMA32 on a machine below 4 GiB; the DMA zone is held
 * for the whole run, so nothing falls back into 16 MiB of free DMA blocks).
 * Three populations:
 *   - movable: page-store pages (mm/pagecache.c, __GFP_MOVABLE) whose
 *     number follows a tide between 45% and 90% of the zone (five periods,
 *     from the top): growing allocates, shrinking frees random ones;
 *   - long-lived unmovable: order-0 GFP_KERNEL pages, 3% of the zone,
 *     allocated one after every 30 movable ones while the zone first fills
 *     (so they are all over it unless grouping keeps them together), then
 *     replaced now and then;
 *   - short-lived: GFP_KERNEL orders 0-2 that live ~2000 ops (a FIFO).
 * The fill counts as one op per movable page. Every `ops / 200` ops a
 * sample tries, and frees at once, an order-3 and an order-9 block, each
 * atomic (GFP_ATOMIC, no compaction, may use the highatomic reserve) and
 * sleeping (GFP_KERNEL: direct compaction), and records success and the
 * zone's unusable free space index at order 9. The balancer (background
 * compaction, mm/reclaim.c) runs every 1000 ops when it has work, as the
 * idle loop would run it.
 *
 * Output, through w->emit: one CSV line per sample (config, op, the four
 * results, unusable index x1000), comment lines ("# ...") and a "summary"
 * line; tools/fragbench_plot.py reads them.
 */
#include <labyrinth/compaction.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pagecache.h>
#include <labyrinth/pcp.h>
#include <labyrinth/printk.h>
#include <labyrinth/shrinker.h>
#include <labyrinth/string.h>

#include "tests/bench/fragwork.h"

#define SAMPLES 200
#define SHORT_LIFE 2048 /* FIFO of short-lived allocations */
#define DMA_HOLD_ORDER (MAX_PAGE_ORDER - 4)

static u64 rng;
static struct page *fifo[SHORT_LIFE];
static u8 fifo_order[SHORT_LIFE];
static struct page *dma_held[4096];
static unsigned long n_dma;

static u64 next(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

static void emitf(struct fragwork *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emitf(struct fragwork *w, const char *fmt, ...)
{
	char line[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	w->emit(line);
}

/* Order 3 and 9, atomic and sleeping: allocated and freed at once. */
static void sample(struct fragwork *w, struct zone *z, unsigned long op)
{
	static const unsigned int order[4] = { 3, 3, 9, 9 };
	static const gfp_t gfp[4] = { GFP_ATOMIC, GFP_KERNEL, GFP_ATOMIC, GFP_KERNEL };
	int got[4], i;

	for (i = 0; i < 4; i++) {
		struct page *p = alloc_pages(gfp[i] | __GFP_NOWARN, order[i]);

		got[i] = p != NULL;
		w->ok[i] += (unsigned long)got[i];
		if (p)
			__free_pages(p, order[i]);
	}
	w->tries++;
	emitf(w, "%s,%lu,%d,%d,%d,%d,%d", w->cfg, op, got[0], got[1], got[2], got[3],
	      unusable_free_index(z, 9));
}

/* The movable population's tide: between 45% and 90% of the zone, five
 * times over the run, starting at the top, so that shrinking leaves holes
 * everywhere and what is allocated next lands in them. */
static unsigned long movable_target(unsigned long op, unsigned long ops, unsigned long zone)
{
	unsigned long period = ops / 5, t = op % period;
	unsigned long tri = t < period / 2 ? period / 2 - t : t - period / 2;

	return zone * 45 / 100 + zone * 45 / 100 * tri / (period / 2);
}

static void free_random_movable(struct fragwork *w, struct page_store *st, unsigned long *n_mov)
{
	unsigned long k = next() % *n_mov;

	page_store_free(st, w->movable[k]);
	w->movable[k] = w->movable[--*n_mov];
}

/* One op of the steady state. */
static void step(struct fragwork *w, struct page_store *st, unsigned long op,
		 unsigned long zone_pages, unsigned long *n_mov, unsigned long *n_pin,
		 unsigned long *head)
{
	u64 x = next();
	unsigned int what = (unsigned int)(x % 100);

	if (what < 60) { /* movable: grow or shrink towards the tide */
		unsigned long target = movable_target(op, w->ops, zone_pages);

		if (*n_mov && *n_mov >= target) {
			free_random_movable(w, st, n_mov);
		} else {
			long h = page_store_alloc(st, GFP_KERNEL | __GFP_NOWARN);

			if (h >= 0)
				w->movable[(*n_mov)++] = h;
		}
	} else if (what < 64) { /* long-lived unmovable: up to 3%, replaced */
		if (*n_pin >= zone_pages * 3 / 100) {
			unsigned long k = (x >> 16) % *n_pin;

			__free_pages(w->pinned[k], 0);
			w->pinned[k] = w->pinned[--*n_pin];
		} else {
			w->pinned[*n_pin] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
			*n_pin += w->pinned[*n_pin] != NULL;
		}
	} else { /* short-lived orders 0-2, FIFO */
		unsigned int o = (unsigned int)((x >> 20) % 3);

		if (fifo[*head])
			__free_pages(fifo[*head], fifo_order[*head]);
		fifo[*head] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, o);
		fifo_order[*head] = (u8)o;
		*head = (*head + 1) % SHORT_LIFE;
	}
}

/* map: at the low tide, the pageblocks before and after one compaction. */
static void show_map(struct fragwork *w, struct zone *z, struct page_store *st,
		     unsigned long zone_pages, unsigned long *n_mov)
{
	while (*n_mov > movable_target(w->ops / 10, w->ops, zone_pages))
		free_random_movable(w, st, n_mov);
	show_pageblock_map();
	emitf(w, "# compact_zone_order(%s, 9): %d (2 = COMPACT_SUCCESS)", z->name,
	      compact_zone_order(z, 9));
	show_pageblock_map();
}

static void release_all(struct fragwork *w, struct page_store *st, unsigned long n_mov,
			unsigned long n_pin)
{
	unsigned long i;

	for (i = 0; i < n_mov; i++)
		page_store_free(st, w->movable[i]);
	for (i = 0; i < n_pin; i++)
		__free_pages(w->pinned[i], 0);
	for (i = 0; i < SHORT_LIFE; i++)
		if (fifo[i])
			__free_pages(fifo[i], fifo_order[i]), fifo[i] = NULL;
	while (n_dma)
		__free_pages(dma_held[--n_dma], DMA_HOLD_ORDER);
	page_store_destroy(st);
}

int fragwork_run(struct fragwork *w)
{
	struct zone *z = node_zonelist(numa_node_id(), GFP_KERNEL, ZONE_NORMAL)[0];
	unsigned long zone_pages = z->managed_pages, n_mov = 0, n_pin = 0, op, head = 0;
	struct page_store st;
	struct compact_stats cs;

	if (w->nslots < zone_pages || page_store_init(&st, w->slots, (u32)zone_pages))
		return -1;
	rng = w->seed * 0x9e3779b97f4a7c15ull | 1;
	while (n_dma < ARRAY_SIZE(dma_held) &&
	       (dma_held[n_dma] = alloc_pages(
		    GFP_KERNEL | __GFP_DMA | __GFP_MEMALLOC | __GFP_NOWARN, DMA_HOLD_ORDER)))
		n_dma++;
	emitf(w,
	      "# fragbench seed=%llu ops=%lu %s: %s %lu pages, movable ~%lu, long-lived "
	      "unmovable ~%lu",
	      (unsigned long long)w->seed, w->ops, w->cfg, z->name, zone_pages,
	      movable_target(0, w->ops, zone_pages), zone_pages * 3 / 100);
	emitf(w, "config,op,o3_atomic,o3_kernel,o9_atomic,o9_kernel,unusable9");
	for (op = 0; n_mov < movable_target(0, w->ops, zone_pages); op++) { /* the fill */
		long h = page_store_alloc(&st, GFP_KERNEL | __GFP_NOWARN);

		if (h < 0)
			break;
		w->movable[n_mov++] = h;
		if (n_mov % 30 == 0 && n_pin < zone_pages * 3 / 100) {
			w->pinned[n_pin] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
			n_pin += w->pinned[n_pin] != NULL;
		}
	}
	emitf(w, "# filled in %lu ops: %lu movable, %lu unmovable", op, n_mov, n_pin);
	for (; op < w->ops; op++) {
		step(w, &st, op, zone_pages, &n_mov, &n_pin, &head);
		if (op % 1000 == 999 && balance_zones_needed())
			balance_zones(); /* the idle loop's balancer: background compaction */
		if (op % (w->ops / SAMPLES) == w->ops / SAMPLES - 1)
			sample(w, z, op + 1);
	}
	if (w->map)
		show_map(w, z, &st, zone_pages, &n_mov);
	compact_stats_read(&cs);
	emitf(w,
	      "summary %s o3_atomic=%lu o3_kernel=%lu o9_atomic=%lu o9_kernel=%lu samples=%lu "
	      "compact_stall=%lu compact_success=%lu compact_fail=%lu pgmigrate_success=%lu "
	      "compact_daemon_wake=%lu nr_reserved_highatomic=%lu",
	      w->cfg, w->ok[0], w->ok[1], w->ok[2], w->ok[3], w->tries, cs.compact_stall,
	      cs.compact_success, cs.compact_fail, cs.pgmigrate_success, cs.compact_daemon_wake,
	      z->nr_reserved_highatomic);
	release_all(w, &st, n_mov, n_pin);
	return 0;
}
