/*
 * fragbench.c - a fragmentation workload over the real mm/ code on the
 * host (a benchmark, not a test: it asserts nothing about the figures).
 *
 *   build/bench/fragbench [seed=N] [ops=N] [mobility=0|1] [compaction=0|1] [map=1]
 *
 * map=1, at the end: frees random movable pages down to the low tide, then
 * prints the zones' pageblocks (show_pageblock_map()) before and after one
 * compaction to order 9.
 *
 * One simulated machine (256 MiB, QEMU's e820 layout, one CPU, per-CPU
 * lists on), one seeded xorshift stream, `ops` operations (default 10^6;
 * the fill counts as one op per movable page).
 * Three populations live in the DMA32 zone, where GFP_KERNEL goes:
 *   - movable: page-store pages (mm/pagecache.c, __GFP_MOVABLE) whose
 *     number follows a tide between 45% and 90% of the zone (five periods,
 *     from the top): growing allocates, shrinking frees random ones;
 *   - long-lived unmovable: order-0 GFP_KERNEL pages, 3% of the zone,
 *     allocated one after every 30 movable ones while the zone first fills
 *     (so they are all over it unless grouping keeps them together), then
 *     replaced now and then;
 *   - short-lived: GFP_KERNEL orders 0-2 that live ~2000 ops (a FIFO).
 * Every `ops / 200` ops a sample tries, and frees at once, an order-3 and
 * an order-9 block, each atomic (GFP_ATOMIC, no compaction, may use the
 * highatomic reserve) and sleeping (GFP_KERNEL: direct compaction), and
 * records success and the zone's unusable free space index at order 9.
 * The balancer (background compaction, mm/reclaim.c) runs every 1000 ops
 * when it has work, as the idle loop would run it.
 *
 * Output: one CSV line per sample on stdout (config, op, the four results,
 * unusable index x1000) and a summary line per run ("summary ..."), which
 * tools/fragbench_plot.py turns into docs/fragbench.svg and the table of
 * docs/BENCHMARKS.md. make bench-frag runs the four configurations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <labyrinth/compaction.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pagecache.h>
#include <labyrinth/pcp.h>
#include <labyrinth/shrinker.h>
#include "../host/lib/sim_mem.h"

#define RAM (256ul << 20)

extern bool host_log_quiet; /* tests/host/lib/host_printk.c */
#define SAMPLES 200
#define SHORT_LIFE 2048 /* FIFO of short-lived allocations */

static u64 rng;

static u64 next(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

static struct page **slots;
static long *movable;	     /* handles */
static struct page **pinned; /* long-lived unmovable */
static struct page *fifo[SHORT_LIFE];
static struct page *dma_held[4096];
static unsigned long n_dma;
static unsigned int fifo_order[SHORT_LIFE];

struct result {
	unsigned long tries, ok[4];
};

/* Order 3 and 9, atomic and sleeping: allocated and freed at once. */
static void sample(struct zone *z, const char *cfg, unsigned long op, struct result *r)
{
	static const unsigned int order[4] = { 3, 3, 9, 9 };
	static const gfp_t gfp[4] = { GFP_ATOMIC, GFP_KERNEL, GFP_ATOMIC, GFP_KERNEL };
	int got[4], i;

	for (i = 0; i < 4; i++) {
		struct page *p = alloc_pages(gfp[i] | __GFP_NOWARN, order[i]);

		got[i] = p != NULL;
		r->ok[i] += got[i];
		if (p)
			__free_pages(p, order[i]);
	}
	r->tries++;
	printf("%s,%lu,%d,%d,%d,%d,%d\n", cfg, op, got[0], got[1], got[2], got[3],
	       unusable_free_index(z, 9));
}

/* The movable population's tide: between 45% and 85% of the zone, five
 * times over the run, so that shrinking leaves holes everywhere and what
 * is allocated next lands in them. */
static unsigned long movable_target(unsigned long op, unsigned long ops, unsigned long zone)
{
	unsigned long period = ops / 5, t = op % period;
	unsigned long tri = t < period / 2 ? period / 2 - t : t - period / 2; /* from the top */

	return zone * 45 / 100 + zone * 45 / 100 * tri / (period / 2);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fragbench [seed=N] [ops=N] [mobility=0|1] [compaction=0|1] [map=1]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long ops = 1000000, seed = 1, n_mov = 0, n_pin = 0, op, i, head = 0;
	unsigned long mov_target, pin_target, zone_pages;
	int mobility = 1, compaction = 1, map = 0;
	struct page_store st;
	struct result r = { 0 };
	struct compact_stats cs;
	struct zone *z;
	char cfg[32];

	for (i = 1; i < (unsigned long)argc; i++) {
		if (sscanf(argv[i], "seed=%lu", &seed) == 1 ||
		    sscanf(argv[i], "ops=%lu", &ops) == 1 ||
		    sscanf(argv[i], "mobility=%d", &mobility) == 1 ||
		    sscanf(argv[i], "compaction=%d", &compaction) == 1 ||
		    sscanf(argv[i], "map=%d", &map) == 1)
			continue;
		usage();
	}
	rng = seed * 0x9e3779b97f4a7c15ull | 1;
	snprintf(cfg, sizeof(cfg), "mob%d_comp%d", mobility, compaction);
	mm_set_mobility_grouping(mobility);
	mm_set_compaction(compaction);
	sim_boot_quiet(sim_boot_info_qemu(RAM));
	mm_pcp_set_enabled(true);
	z = &contig_page_data.node_zones[ZONE_DMA32];
	zone_pages = z->managed_pages;
	mov_target = zone_pages * 85 / 100;
	pin_target = zone_pages * 3 / 100;
	slots = calloc(zone_pages, sizeof(*slots));
	movable = calloc(zone_pages, sizeof(*movable));
	pinned = calloc(zone_pages, sizeof(*pinned));
	if (!slots || !movable || !pinned || page_store_init(&st, slots, (u32)zone_pages))
		return 1;
	printf("# fragbench seed=%lu ops=%lu %s: DMA32 %lu pages, movable ~%lu, long-lived "
	       "unmovable ~%lu\n",
	       seed, ops, cfg, zone_pages, mov_target, pin_target);
	/* The DMA zone is held for the whole run: every allocation, the
	 * samples included, is then DMA32's (no fallback to 16 MiB of free
	 * DMA blocks). */
	while ((dma_held[n_dma] = alloc_pages(
		    GFP_KERNEL | __GFP_DMA | __GFP_MEMALLOC | __GFP_NOWARN, MAX_PAGE_ORDER - 4)))
		n_dma++;
	printf("config,op,o3_atomic,o3_kernel,o9_atomic,o9_kernel,unusable9\n");
	/* Fill: movable pages to the top of the tide, a long-lived unmovable
	 * page after every 30 of them: unmovable pages all over the zone,
	 * unless grouping keeps them in pageblocks of their own. */
	for (op = 0; n_mov < movable_target(0, ops, zone_pages); op++) {
		long h = page_store_alloc(&st, GFP_KERNEL | __GFP_NOWARN);

		if (h < 0)
			break;
		movable[n_mov++] = h;
		if (n_mov % 30 == 0 && n_pin < pin_target) {
			pinned[n_pin] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
			n_pin += pinned[n_pin] != NULL;
		}
	}
	printf("# filled in %lu ops: %lu movable, %lu unmovable\n", op, n_mov, n_pin);
	for (; op < ops; op++) {
		u64 x = next();
		unsigned int what = (unsigned int)(x % 100);

		if (what < 60) { /* movable: grow or shrink towards the tide */
			unsigned long target = movable_target(op, ops, zone_pages);

			if (n_mov > target || (n_mov == target && n_mov)) {
				unsigned long k = (x >> 16) % n_mov;

				page_store_free(&st, movable[k]);
				movable[k] = movable[--n_mov];
			} else {
				long h = page_store_alloc(&st, GFP_KERNEL | __GFP_NOWARN);

				if (h >= 0)
					movable[n_mov++] = h;
			}
		} else if (what < 64) { /* long-lived unmovable: grow to 3%, replace */
			if (n_pin >= pin_target) {
				unsigned long k = (x >> 16) % n_pin;

				__free_pages(pinned[k], 0);
				pinned[k] = pinned[--n_pin];
			} else {
				pinned[n_pin] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
				n_pin += pinned[n_pin] != NULL;
			}
		} else { /* short-lived orders 0-2, FIFO */
			unsigned int o = (unsigned int)((x >> 20) % 3);

			if (fifo[head])
				__free_pages(fifo[head], fifo_order[head]);
			fifo[head] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, o);
			fifo_order[head] = o;
			head = (head + 1) % SHORT_LIFE;
		}
		if (op % 1000 == 999 && balance_zones_needed())
			balance_zones(); /* the idle loop's balancer: background compaction */
		if (op % (ops / SAMPLES) == ops / SAMPLES - 1)
			sample(z, cfg, op + 1, &r);
	}
	if (map) { /* the walkthrough's picture: pageblocks before and after compaction */
		while (n_mov > movable_target(ops / 10, ops, zone_pages)) { /* low tide */
			unsigned long k = next() % n_mov;

			page_store_free(&st, movable[k]);
			movable[k] = movable[--n_mov];
		}
		host_log_quiet = false;
		show_pageblock_map();
		printf("# compact_zone_order(DMA32, 9): %d (2 = COMPACT_SUCCESS)\n",
		       compact_zone_order(z, 9));
		show_pageblock_map();
		host_log_quiet = true;
	}
	compact_stats_read(&cs);
	printf("summary %s o3_atomic=%lu o3_kernel=%lu o9_atomic=%lu o9_kernel=%lu samples=%lu "
	       "compact_stall=%lu compact_success=%lu compact_fail=%lu pgmigrate_success=%lu "
	       "compact_daemon_wake=%lu nr_reserved_highatomic=%lu\n",
	       cfg, r.ok[0], r.ok[1], r.ok[2], r.ok[3], r.tries, cs.compact_stall,
	       cs.compact_success, cs.compact_fail, cs.pgmigrate_success, cs.compact_daemon_wake,
	       z->nr_reserved_highatomic);
	for (i = 0; i < n_mov; i++)
		page_store_free(&st, movable[i]);
	for (i = 0; i < n_pin; i++)
		__free_pages(pinned[i], 0);
	for (i = 0; i < SHORT_LIFE; i++)
		if (fifo[i])
			__free_pages(fifo[i], fifo_order[i]);
	while (n_dma)
		__free_pages(dma_held[--n_dma], MAX_PAGE_ORDER - 4);
	mm_pcp_set_enabled(false);
	printf("# end: %lu invariant violations\n", mm_check_invariants());
	return 0;
}
