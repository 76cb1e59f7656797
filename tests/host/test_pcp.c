/*
 * test_pcp.c - the per-CPU page lists (mm/pcp.c, include/labyrinth/pcp.h)
 * over simulated memory: high/batch tuning, refill and drain in batches,
 * cross-CPU frees, IRQ-context use, bulk, the invariant checker's pcp part,
 * draining other CPUs by (simulated) IPI under pressure, the zoneinfo
 * report, and two threads standing for two CPUs allocating and freeing
 * each other's pages concurrently, with conservation checked at the end.
 */
#include <pthread.h>
#include <string.h>

#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/numa.h>
#include <labyrinth/pcp.h>
#include <labyrinth/smp.h>
#include "host.h"
#include "lib/sim_mem.h"
#include "mm/internal.h"

#define DMA32 (&contig_page_data.node_zones[ZONE_DMA32])

static void boot(u64 ram)
{
	sim_boot_quiet(sim_boot_info_qemu(ram));
	host_set_cpu(0);
	cpu_online_mask = 1;
	mm_pcp_set_enabled(true);
}

static struct per_cpu_pages *pcp_of(unsigned int cpu)
{
	return DMA32->pcp[cpu];
}

/* Blocks on cpu's list (order, mt) of DMA32. */
static u32 list_blocks(unsigned int cpu, unsigned int order, unsigned int mt)
{
	return pcp_of(cpu)->lists[pcp_pindex(order, mt)].count;
}

static void test_tuning(void)
{
	boot(128 << 20);
	is_u64(pcp_of(0)->batch, 32, "128 MiB: DMA32 batch 32 (one page per 2 MiB)");
	is_u64(pcp_of(0)->high, 128, "128 MiB: DMA32 high = 4 * batch");
	is_u64(contig_page_data.node_zones[ZONE_DMA].pcp[0]->batch, 4, "DMA (16 MiB): batch 4");
	is_u64(contig_page_data.node_zones[ZONE_DMA].pcp[0]->high, 16, "DMA: high 16");
	boot(2ull << 30);
	is_u64(pcp_of(7)->batch, 64, "2 GiB: batch capped at 64");
	is_u64(pcp_of(7)->high, 256, "2 GiB: high 256");
}

static void test_refill_and_drain(void)
{
	struct page *p[200];
	unsigned long free0, buddy0;
	struct per_cpu_pages *pcp;
	u32 batch, high;
	int i;

	boot(128 << 20);
	pcp = pcp_of(0);
	batch = pcp->batch;
	high = pcp->high;
	free0 = nr_free_pages();
	buddy0 = DMA32->free_pages;
	p[0] = alloc_page(GFP_KERNEL);
	ok(p[0] && page_zone(p[0]) == DMA32, "first order-0 page comes from DMA32");
	is_u64(pcp->count, batch - 1, "the miss refilled one batch, minus the page taken");
	is_u64(DMA32->free_pages, buddy0 - batch, "the batch left the buddy's free count");
	is_u64(nr_free_pages(), free0 - 1, "nr_free_pages counts the list: only one page is gone");
	for (i = 1; i < (int)batch; i++)
		p[i] = alloc_page(GFP_KERNEL);
	is_u64(pcp->count, 0, "batch allocations empty the list without a new refill");
	is_u64(DMA32->free_pages, buddy0 - batch, "no refill happened");
	for (i = (int)batch; i < 200; i++)
		p[i] = alloc_page(GFP_KERNEL);
	drain_local_pages(NULL);
	for (i = 0; i < (int)high; i++)
		__free_page(p[i]);
	is_u64(pcp->count, high, "frees land on the list up to high");
	__free_page(p[i++]);
	is_u64(pcp->count, high + 1 - batch, "one past high drains a batch");
	for (; i < 200; i++)
		__free_page(p[i]);
	ok(pcp->count <= high, "the list never stays above high");
	is_u64(nr_free_pages(), free0, "everything is free again (buddy + list)");
	is_u64(mm_check_invariants(), 0, "invariants with a populated list");
	drain_local_pages(NULL);
	is_u64(pcp->count, 0, "drain_local_pages empties the list");
	is_u64(DMA32->free_pages, buddy0, "and the buddy has every page back");
}

static void test_fifo_order_and_hot_pages(void)
{
	struct page *a, *b;

	boot(128 << 20);
	a = alloc_page(GFP_KERNEL);
	__free_page(a);
	b = alloc_page(GFP_KERNEL);
	ok(a == b, "LIFO: the page just freed (cache-hot) is the next one handed out");
	__free_page(b);
}

static void test_cross_cpu_and_irq(void)
{
	struct page *p;
	u32 c0, c1;

	boot(128 << 20);
	cpu_online_mask = 3;
	p = alloc_page(GFP_KERNEL);
	c0 = pcp_of(0)->count;
	c1 = pcp_of(1)->count;
	host_set_cpu(1);
	__free_page(p);
	host_set_cpu(0);
	is_u64(pcp_of(1)->count, c1 + 1,
	       "a page allocated on CPU 0 and freed on CPU 1 joins CPU 1's list");
	is_u64(pcp_of(0)->count, c0, "CPU 0's list is untouched");
	is_u64(mm_check_invariants(), 0, "invariants after a cross-CPU free");
	host_set_in_irq(true);
	p = alloc_page(GFP_ATOMIC);
	host_set_in_irq(false);
	ok(p && pcp_of(0)->count == c0 - 1, "an IRQ handler's GFP_ATOMIC hits its CPU's list");
	host_set_in_irq(true);
	__free_page(p);
	host_set_in_irq(false);
	is_u64(pcp_of(0)->count, c0, "and its free goes back to the list");
	drain_pages(1);
	is_u64(pcp_of(1)->count, 0, "drain_pages(1) empties a parked CPU's list");
}

static void test_bad_frees(void)
{
	unsigned long bad0 = mm_bad_page_count;
	struct page *p;
	u32 c;

	boot(128 << 20);
	p = alloc_page(GFP_KERNEL);
	__free_page(p);
	c = pcp_of(0)->count;
	host_log_clear();
	__free_page(p);
	ok(mm_bad_page_count == bad0 + 1 && host_log_contains("double free"),
	   "freeing a page that is on a per-CPU list: \"double free\"");
	is_u64(pcp_of(0)->count, c, "the list is untouched by the bad free");
	p = alloc_pages(GFP_KERNEL, 2);
	host_log_clear();
	__free_pages(p, 0);
	ok(host_log_contains("wrong order"), "order-2 block freed as order 0: \"wrong order\"");
	__free_pages(p, 2);
	is_u64(mm_check_invariants(), 0, "invariants after the bad frees");
}

static void test_checker_catches_corruption(void)
{
	struct per_cpu_pages *pcp;
	struct page *p;
	struct page *saved;

	boot(128 << 20);
	p = alloc_page(GFP_KERNEL);
	__free_page(p);
	pcp = pcp_of(0);
	/* GFP_KERNEL pages are unmovable: ring 0 */
	saved = *pcp_ring_slot(pcp, 0, 0, pcp->lists[0].base + pcp->lists[0].count - 1);
	*pcp_ring_slot(pcp, 0, 0, pcp->lists[0].base + pcp->lists[0].count - 1) =
	    *pcp_ring_slot(pcp, 0, 0, pcp->lists[0].base);
	host_log_clear();
	ok(mm_check_invariants() > 0 && host_log_contains("twice"),
	   "a pfn on a list twice is caught");
	*pcp_ring_slot(pcp, 0, 0, pcp->lists[0].base + pcp->lists[0].count - 1) = saved;
	saved->flags = PG_allocated;
	ok(mm_check_invariants() > 0, "a list page that lost PG_pcp is caught");
	saved->flags = PG_pcp;
	is_u64(mm_check_invariants(), 0, "repaired: clean again");
}

static void test_bulk(void)
{
	struct page *arr[100];
	unsigned long free0, n;
	int i;

	boot(1ull << 30);
	free0 = nr_free_pages();
	memset(arr, 0, sizeof(arr));
	n = alloc_pages_bulk(GFP_KERNEL, 64, arr);
	is_u64(n, 64, "bulk of 64 filled");
	is_u64(pcp_of(0)->count, 0, "from one refill of exactly what was wanted");
	for (i = 0; i < 64; i++)
		__free_page(arr[i]);
	is_u64(pcp_of(0)->count, 64, "the 64 frees land on the list (high 256)");
	memset(arr, 0, sizeof(arr));
	arr[3] = (struct page *)&arr; /* a filled slot is kept */
	n = alloc_pages_bulk(GFP_KERNEL, 100, arr);
	ok(n == 100 && arr[3] == (struct page *)&arr, "bulk skips filled slots, refills as needed");
	arr[3] = NULL;
	for (i = 0; i < 100; i++)
		if (arr[i])
			__free_page(arr[i]);
	is_u64(nr_free_pages(), free0, "all back");
	is_u64(mm_check_invariants(), 0, "invariants after bulk");
}

/*
 * Bulk allocation and free across the end of the ring: pcp_alloc_bulk()
 * pops and pcp_push_run() pushes one unwrapped segment of the ring at a
 * time, so a list whose pages straddle the wrap takes two segments each
 * way. Every slot filled once, with a distinct page, the filled slots
 * kept, the list intact after.
 */
static void test_bulk_ring_wrap(void)
{
	struct page *arr[80], *keep = (struct page *)&arr;
	struct per_cpu_pages *pcp;
	unsigned long free0, n;
	int i, j, dup = 0, bad = 0;

	boot(1ull << 30);
	pcp = pcp_of(0);
	drain_local_pages(NULL);
	free0 = nr_free_pages();
	/* an empty list may have any base: drains move it (GFP_KERNEL: list 0) */
	pcp->lists[0].base = PCP_RING_SIZE - 20;
	memset(arr, 0, sizeof(arr));
	arr[5] = arr[70] = keep; /* filled slots on both sides of the wrap */
	n = alloc_pages_bulk(GFP_KERNEL, 80, arr);
	is_u64(n, 80, "bulk across the ring's wrap: every slot filled");
	ok(arr[5] == keep && arr[70] == keep, "the filled slots are kept");
	arr[5] = arr[70] = NULL;
	for (i = 0; i < 80; i++) {
		if (!arr[i])
			continue;
		bad += arr[i]->flags != PG_allocated || arr[i]->order;
		for (j = 0; j < i; j++)
			dup += arr[j] == arr[i];
	}
	ok(!dup && !bad, "78 distinct allocated pages (%d twice, %d not allocated)", dup, bad);
	is_u64(mm_check_invariants(), 0, "invariants after the wrapped bulk allocation");
	drain_local_pages(NULL);
	pcp->lists[0].base = PCP_RING_SIZE - 30;
	for (i = j = 0; i < 80; i++)
		if (arr[i])
			arr[j++] = arr[i];
	free_pages_bulk((unsigned long)j, arr);
	is_u64(list_blocks(0, 0, 0), 78, "the bulk free pushes all 78 across the wrap");
	is_u64(mm_check_invariants(), 0, "invariants after the wrapped bulk free");
	is_u64(nr_free_pages(), free0, "all back");
}

/* mobility=0 switched after the lists are up: the fast path's copy of
 * gfp_migratetype() (the rows' mt_of_gfp[]) follows at once, so a movable
 * request pops the unmovable list even while the movable one has pages. */
static void test_mobility_switch_fast_path(void)
{
	struct page *p;
	u32 u0, m0;

	boot(128 << 20);
	__free_page(alloc_page(GFP_KERNEL));
	__free_page(alloc_page(GFP_KERNEL | __GFP_MOVABLE));
	mm_set_mobility_grouping(false);
	u0 = list_blocks(0, 0, MIGRATE_UNMOVABLE);
	m0 = list_blocks(0, 0, MIGRATE_MOVABLE);
	ok(u0 && m0, "both lists hold pages (%u unmovable, %u movable)", u0, m0);
	p = alloc_page(GFP_KERNEL | __GFP_MOVABLE);
	ok(list_blocks(0, 0, MIGRATE_UNMOVABLE) == u0 - 1 &&
	       list_blocks(0, 0, MIGRATE_MOVABLE) == m0,
	   "mobility=0 after boot: a movable request pops the unmovable list");
	__free_page(p);
	mm_set_mobility_grouping(true);
	u0 = list_blocks(0, 0, MIGRATE_UNMOVABLE);
	p = alloc_page(GFP_KERNEL | __GFP_MOVABLE);
	ok(list_blocks(0, 0, MIGRATE_UNMOVABLE) == u0 &&
	       list_blocks(0, 0, MIGRATE_MOVABLE) == m0 - 1,
	   "mobility=1 again: the movable list");
	__free_page(p);
	drain_local_pages(NULL);
	is_u64(mm_check_invariants(), 0, "invariants after switching mobility");
}

/* The rings hold struct page pointers: when mm's memory moves to the
 * direct map (mm_set_direct_map(), here the sim memory moved, sim_mem_move()),
 * they move with the struct page arrays (pcp_rebase_rings()); the lists
 * stay checkable and their pages come back from them. */
static void test_rings_follow_direct_map(void)
{
	struct page *p, *q;
	unsigned long to;
	u32 pfn0, pfn3;

	boot(128 << 20);
	p = alloc_page(GFP_KERNEL);
	q = alloc_pages(GFP_KERNEL, 3);
	pfn0 = p->pfn;
	pfn3 = q->pfn;
	__free_page(p);
	__free_pages(q, 3);
	to = sim_mem_move();
	if (!to) {
		ok(true, "# SKIP the host refused a second sim memory mapping");
		return;
	}
	ok((unsigned long)pcp_of(0) - to < (128ul << 20),
	   "the list set itself is in the moved memory (%p)", (void *)pcp_of(0));
	ok(this_cpu_pcp_table()->by_zone[ZONE_DMA32] == pcp_of(0), "and the fast path's row too");
	ok(*pcp_ring_slot(pcp_of(0), 0, 0, pcp_of(0)->lists[0].base + list_blocks(0, 0, 0) - 1) ==
	       pfn_to_page(pfn0),
	   "the hot ring entry is the moved struct page of the page freed last");
	is_u64(mm_check_invariants(), 0, "invariants after the move: every ring entry valid");
	p = alloc_page(GFP_KERNEL);
	q = alloc_pages(GFP_KERNEL, 3);
	ok(p->pfn == pfn0 && q->pfn == pfn3, "the hot pages come back (pfn %#x, %#x)", p->pfn,
	   q->pfn);
	__free_page(p);
	__free_pages(q, 3);
	is_u64(mm_check_invariants(), 0, "invariants after using the moved lists");
}

/* free_pages_bulk(): the fast path for a whole array; odd pages go the long way. */
static void test_bulk_free(void)
{
	struct page *arr[300], *victim;
	unsigned long free0, bad0, n;

	boot(1ull << 30);
	free0 = nr_free_pages();
	memset(arr, 0, sizeof(arr));
	n = alloc_pages_bulk(GFP_KERNEL, 300, arr);
	is_u64(n, 300, "bulk of 300 filled");
	free_pages_bulk(n, arr);
	ok(pcp_of(0)->count <= pcp_of(0)->high, "past high, the list drained on the way");
	is_u64(nr_free_pages(), free0, "bulk free: every page back");
	is_u64(mm_check_invariants(), 0, "invariants after bulk free");

	/* A page freed twice in one array: reported, the rest freed, lists intact. */
	n = alloc_pages_bulk(GFP_KERNEL, 8, memset(arr, 0, sizeof(arr)));
	victim = arr[2];
	arr[8] = victim;
	bad0 = mm_bad_page_count;
	host_log_clear();
	free_pages_bulk(9, arr);
	is_u64(mm_bad_page_count, bad0 + 1, "the second free of one page is a bad page");
	ok(host_log_contains("Bad page state"), "and is reported");
	is_u64(nr_free_pages(), free0, "the other pages are all back");
	is_u64(mm_check_invariants(), 0, "invariants after a bad bulk free");
}

/* free_pages_bulk() of an array mixing pageblock types and zones: each
 * page joins the list of its own zone and pageblock type (a run of pushes
 * must stop where either changes). */
static void test_bulk_free_mixed(void)
{
	struct page *arr[12];
	unsigned long free0;
	struct per_cpu_pages *dma;
	u32 unmov, mov;
	int i;

	boot(128 << 20);
	dma = contig_page_data.node_zones[ZONE_DMA].pcp[0]; /* allocated by this boot */
	free0 = nr_free_pages();
	for (i = 0; i < 12; i++)
		arr[i] = alloc_page(i % 3 == 0	 ? GFP_KERNEL
				    : i % 3 == 1 ? GFP_KERNEL | __GFP_MOVABLE
						 : GFP_KERNEL | __GFP_DMA);
	drain_local_pages(NULL);
	for (i = 0, unmov = mov = 0; i < 12; i++)
		if (page_zone(arr[i]) == DMA32)
			get_pageblock_migratetype(arr[i]) == MIGRATE_MOVABLE ? mov++ : unmov++;
	free_pages_bulk(12, arr);
	is_u64(list_blocks(0, 0, MIGRATE_MOVABLE), mov, "movable pageblocks' pages: movable list");
	is_u64(list_blocks(0, 0, MIGRATE_UNMOVABLE), unmov,
	       "unmovable pageblocks' pages: unmovable list");
	is_u64(dma->count, 4, "the DMA pages: the DMA zone's list");
	is_u64(nr_free_pages(), free0, "every page back");
	is_u64(mm_check_invariants(), 0, "invariants after a mixed bulk free");
}

/* Pressure: CPU 1's list holds pages, CPU 0 needs them. */
static void test_drain_other_cpus_under_pressure(void)
{
	struct page **held;
	struct page *p, *stash[256];
	unsigned long n = 0, i, ipis0;
	unsigned int k;

	boot(64 << 20);
	cpu_online_mask = 3;
	held = calloc(20000, sizeof(*held));
	host_set_cpu(1);
	for (k = 0; k < pcp_of(1)->high; k++)
		stash[k] = alloc_page(GFP_KERNEL | __GFP_DMA32);
	for (k = 0; k < pcp_of(1)->high; k++)
		__free_page(stash[k]);
	host_set_cpu(0);
	ok(pcp_of(1)->count > 0, "CPU 1's list holds %u pages", pcp_of(1)->count);
	while ((p = alloc_page(GFP_NOWAIT | __GFP_DMA32)))
		held[n++] = p;
	ipis0 = host_ipi_count;
	p = alloc_page(GFP_KERNEL | __GFP_DMA32 | __GFP_NOWARN);
	ok(p != NULL, "GFP_KERNEL below low: direct reclaim drained CPU 1 by IPI and succeeded");
	ok(host_ipi_count > ipis0 && pcp_of(1)->count == 0, "the IPI drained CPU 1's list");
	if (p)
		__free_page(p);
	for (i = 0; i < n; i++)
		__free_page(held[i]);
	host_set_in_irq(true);
	ipis0 = host_ipi_count;
	p = alloc_page(GFP_ATOMIC);
	host_set_in_irq(false);
	ok(host_ipi_count == ipis0, "an atomic allocation sends no IPI");
	__free_page(p);
	is_u64(mm_check_invariants(), 0, "invariants after the pressure round");
	free(held);
}

static void test_switch_off_and_zoneinfo(void)
{
	u32 whole[MAX_NR_ZONES][NR_PAGE_ORDERS];
	struct page *p[50];
	bool same = true;
	int i, z, o;

	boot(128 << 20);
	mm_pcp_set_enabled(false);
	for (z = 0; z < MAX_NR_ZONES; z++)
		for (o = 0; o < NR_PAGE_ORDERS; o++)
			whole[z][o] = contig_page_data.node_zones[z].free_area[o].nr_free;
	mm_pcp_set_enabled(true);
	for (i = 0; i < 50; i++)
		p[i] = alloc_page(GFP_KERNEL);
	for (i = 0; i < 50; i += 2)
		__free_page(p[i]);
	host_log_clear();
	show_zoneinfo();
	ok(host_log_contains("  pagesets\n    cpu: 0\n              count: ") &&
	       host_log_contains("              high:  128\n              batch: 32\n"),
	   "zoneinfo shows each CPU's count, high and batch (Linux's format)");
	for (i = 1; i < 50; i += 2)
		__free_page(p[i]);
	mm_pcp_set_enabled(false);
	ok(!mm_pcp_enabled() && pcp_of(0)->count == 0, "switching the lists off drains them");
	for (z = 0; z < MAX_NR_ZONES; z++)
		for (o = 0; o < NR_PAGE_ORDERS; o++)
			same &= whole[z][o] == contig_page_data.node_zones[z].free_area[o].nr_free;
	ok(same, "the buddy coalesced back to exactly its state before");
	p[0] = alloc_page(GFP_KERNEL);
	ok(pcp_of(0)->count == 0 && p[0]->flags == PG_allocated,
	   "off: order 0 comes from the buddy");
	__free_page(p[0]);
	ok(pcp_of(0)->count == 0, "off: and goes back to it");
}

/* ---- two threads standing for two CPUs ---- */

#define XFER_SIZE 1024
#define THREAD_OPS 200000

struct xfer { /* single-producer single-consumer ring of pages */
	struct page *slot[XFER_SIZE];
	unsigned long head, tail; /* head: producer, tail: consumer */
};

static struct xfer to_cpu[2];
static unsigned long thread_failures[2];

static bool xfer_push(struct xfer *x, struct page *p)
{
	unsigned long h = __atomic_load_n(&x->head, __ATOMIC_RELAXED);

	if (h - __atomic_load_n(&x->tail, __ATOMIC_ACQUIRE) == XFER_SIZE)
		return false;
	x->slot[h % XFER_SIZE] = p;
	__atomic_store_n(&x->head, h + 1, __ATOMIC_RELEASE);
	return true;
}

static struct page *xfer_pop(struct xfer *x)
{
	unsigned long t = __atomic_load_n(&x->tail, __ATOMIC_RELAXED);
	struct page *p;

	if (t == __atomic_load_n(&x->head, __ATOMIC_ACQUIRE))
		return NULL;
	p = x->slot[t % XFER_SIZE];
	__atomic_store_n(&x->tail, t + 1, __ATOMIC_RELEASE);
	return p;
}

static void *cpu_thread(void *arg)
{
	unsigned int me = (unsigned int)(unsigned long)arg, other = me ^ 1;
	struct page *mine[64];
	unsigned int n = 0, i;
	u64 r = 0x9e3779b97f4a7c15ull * (me + 1);

	host_set_cpu(me);
	for (i = 0; i < THREAD_OPS; i++) {
		struct page *p;

		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		if ((p = xfer_pop(&to_cpu[me])))
			__free_page(p); /* allocated on the other CPU */
		if (n < 64 && (r & 3)) {
			p = alloc_page((r & 8) ? GFP_ATOMIC : GFP_KERNEL);
			if (!p) {
				thread_failures[me]++;
				continue;
			}
			*(u64 *)page_address(p) = me; /* touch it */
			mine[n++] = p;
		} else if (n) {
			p = mine[--n];
			if ((r & 16) || !xfer_push(&to_cpu[other], p))
				__free_page(p);
		}
	}
	while (n)
		__free_page(mine[--n]);
	return NULL;
}

static void test_two_cpus_concurrently(void)
{
	pthread_t t[2];
	unsigned long free0;
	struct page *p;
	int i;

	boot(256 << 20);
	cpu_online_mask = 3;
	memset(to_cpu, 0, sizeof(to_cpu));
	free0 = nr_free_pages();
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, cpu_thread, (void *)(unsigned long)i);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 2; i++) /* pages still in flight: freed by their receiver */
		while ((p = xfer_pop(&to_cpu[i]))) {
			host_set_cpu((unsigned int)i);
			__free_page(p);
		}
	host_set_cpu(0);
	is_u64(thread_failures[0] + thread_failures[1], 0, "no allocation failed");
	is_u64(nr_free_pages(), free0, "conservation: buddy + both lists = the free count before");
	is_u64(mm_check_invariants(), 0, "invariants hold with both lists populated");
	ok(pcp_of(0)->count <= pcp_of(0)->high + 1 && pcp_of(1)->count <= pcp_of(1)->high + 1,
	   "both lists within high (%u, %u)", pcp_of(0)->count, pcp_of(1)->count);
	drain_pages(0);
	drain_pages(1);
	is_u64(DMA32->free_pages + contig_page_data.node_zones[ZONE_DMA].free_pages, free0,
	       "after draining both CPUs the buddy holds every free page");
	is_u64(mm_check_invariants(), 0, "invariants after the drains");
	is_u64(mm_bad_page_count, 3, "no bad page reported but the three deliberate ones");
}

/*
 * The fast path takes its list set from a table row indexed by the gfp's
 * zone and mobility bits (mm/internal.h: pcp_cpu_tables): for every
 * combination the pages come from the zone gfp_highest_zone() names (here
 * every zone has plenty, so its first zone is itself), mostly as list
 * hits; both mobility bits together never hit (pcp_none: the slow path,
 * which warns, serves them as unmovable).
 */
static void test_fast_path_zone_choice(void)
{
	static const gfp_t mob[] = { 0, __GFP_MOVABLE, __GFP_RECLAIMABLE,
				     __GFP_MOVABLE | __GFP_RECLAIMABLE };
	struct page *pages[64];
	unsigned int zbits, m, k, bad = 0, both_hits = 0;
	unsigned long hits_fast = 0;

	struct boot_info *bi = sim_boot_info();

	/* DMA, DMA32 and a small Normal above 4 GiB */
	sim_boot_info_add_e820(bi, 0, 0x9fc00, E820_TYPE_RAM);
	sim_boot_info_add_e820(bi, 0x100000, 40 << 20, E820_TYPE_RAM);
	sim_boot_info_add_e820(bi, 1ull << 32, 24 << 20, E820_TYPE_RAM);
	sim_boot_quiet(bi);
	host_set_cpu(0);
	mm_pcp_set_enabled(true);
	for (zbits = 0; zbits <= (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32); zbits++) {
		unsigned int want = (zbits & __GFP_DMA)	    ? ZONE_DMA
				    : (zbits & __GFP_DMA32) ? ZONE_DMA32
							    : ZONE_NORMAL;

		for (m = 0; m < ARRAY_SIZE(mob); m++) {
			gfp_t gfp = GFP_KERNEL | zbits | mob[m] | __GFP_NOWARN;
			struct per_cpu_pages *pcp = contig_page_data.node_zones[want].pcp[0];
			unsigned long h0 = pcp->hits[0] + pcp->hits[1];

			for (k = 0; k < ARRAY_SIZE(pages); k++) {
				pages[k] = alloc_pages(gfp, 0);
				bad += !pages[k] || pfn_zone_idx(page_to_pfn(pages[k])) != want;
			}
			for (k = 0; k < ARRAY_SIZE(pages); k++)
				if (pages[k])
					__free_pages(pages[k], 0);
			if (m == 3)
				both_hits += pcp->hits[0] + pcp->hits[1] != h0;
			else
				hits_fast += pcp->hits[0] + pcp->hits[1] - h0;
		}
	}
	is_u64(bad, 0, "every gfp zone combination: pages from the zone gfp_highest_zone() names");
	ok(hits_fast > 8 * 3 * 32, "and mostly as per-CPU list hits (%lu)", hits_fast);
	is_u64(both_hits, 0, "__GFP_MOVABLE|__GFP_RECLAIMABLE: never a fast-path hit");
	is_u64(mm_check_invariants(), 0, "invariants");
}

/*
 * Orders 1-3 (Linux 6.1's pcp lists by order): a miss refills
 * max(batch >> order, 2) blocks, counted in pages; a free goes on the
 * list of its order and pageblock type, the next allocation of that order
 * takes it back (LIFO); the lists' pages count in nr_free_pages() and not
 * in the buddy's free count; a drain gives each block back whole (the
 * buddy gets exactly its pages back and merges them).
 */
static void test_high_orders(void)
{
	unsigned long free0, buddy0;
	struct per_cpu_pages *pcp;
	unsigned int order;

	boot(128 << 20);
	pcp = pcp_of(0);
	free0 = nr_free_pages();
	buddy0 = DMA32->free_pages;
	for (order = 1; order <= PCP_MAX_ORDER; order++) {
		u32 blocks = max(pcp->batch >> order, 2u), c0 = pcp->count;
		unsigned long b0 = DMA32->free_pages;
		struct page *p = alloc_pages(GFP_KERNEL, order), *q;

		ok(p && p->flags == PG_allocated && p->order == order &&
		       !(p->pfn & ((1u << order) - 1)),
		   "order %u: an aligned allocated block of its order", order);
		is_u64(list_blocks(0, order, MIGRATE_UNMOVABLE), blocks - 1,
		       "order %u: the miss refilled batch >> order blocks, minus the one taken",
		       order);
		is_u64(pcp->count, c0 + ((blocks - 1) << order), "order %u: count is in pages",
		       order);
		is_u64(DMA32->free_pages, b0 - (blocks << order),
		       "order %u: the refill's pages left the buddy's free count", order);
		__free_pages(p, order);
		is_u64(list_blocks(0, order, MIGRATE_UNMOVABLE), blocks,
		       "order %u: the free went on its own order's list", order);
		ok(p->flags == PG_pcp && p->order == order, "order %u: head PG_pcp, order kept",
		   order);
		q = alloc_pages(GFP_KERNEL, order);
		ok(q == p, "order %u: LIFO, the block just freed comes back", order);
		__free_pages(q, order);
	}
	is_u64(list_blocks(0, 0, MIGRATE_UNMOVABLE), 0, "no order-0 list was touched");
	is_u64(nr_free_pages(), free0, "nr_free_pages: buddy + every order's list, exact");
	is_u64(mm_check_invariants(), 0, "invariants with orders 1-3 on the lists");
	drain_local_pages(NULL);
	is_u64(pcp->count, 0, "drain_local_pages empties every order's list");
	is_u64(DMA32->free_pages, buddy0, "the buddy has every page of every block back");
	is_u64(mm_check_invariants(), 0, "and merged them (no unmerged buddies)");
}

/* A movable block freed goes on the movable list of its order; blocks
 * freed past high drain to high, whole, with mixed orders. */
static void test_high_orders_types_and_high(void)
{
	struct page *p[64];
	unsigned long free0, buddy0;
	struct per_cpu_pages *pcp;
	unsigned int i, n = 0;

	boot(128 << 20);
	pcp = pcp_of(0);
	free0 = nr_free_pages();
	buddy0 = DMA32->free_pages;
	p[0] = alloc_pages(GFP_KERNEL | __GFP_MOVABLE, 2);
	ok(p[0] && get_pageblock_migratetype(p[0]) == MIGRATE_MOVABLE,
	   "an order-2 movable block from a movable pageblock");
	drain_local_pages(NULL);
	__free_pages(p[0], 2);
	is_u64(list_blocks(0, 2, MIGRATE_MOVABLE), 1, "freed: on the order-2 movable list");
	is_u64(list_blocks(0, 2, MIGRATE_UNMOVABLE) + list_blocks(0, 0, MIGRATE_MOVABLE), 0,
	       "not on another type's or order's");
	drain_local_pages(NULL);
	for (n = 0; n < 64; n++)
		p[n] = alloc_pages(GFP_KERNEL, 1 + n % 3);
	drain_local_pages(NULL);
	for (i = 0; i < n; i++) {
		__free_pages(p[i], 1 + i % 3);
		if (pcp->count > pcp->high)
			break;
	}
	ok(i == n, "a free past high drains at once: count never stays above high (%u)", pcp->high);
	is_u64(nr_free_pages(), free0, "every page free again (buddy + lists)");
	is_u64(mm_check_invariants(), 0, "invariants after mixed-order drains");
	host_set_cpu(1);
	cpu_online_mask = 3;
	p[0] = alloc_pages(GFP_KERNEL, 3);
	__free_pages(p[0], 3);
	host_set_cpu(0);
	ok(pcp_of(1)->count >= 8, "CPU 1 holds order-3 blocks");
	drain_pages(1);
	drain_local_pages(NULL);
	is_u64(pcp_of(1)->count + pcp->count, 0, "drain_pages(1) + drain_local_pages: all empty");
	is_u64(DMA32->free_pages, buddy0, "the buddy has every page back");
}

/* Orders 1-3 on an ISOLATE pageblock go straight to the buddy, and the
 * checker catches a high-order list corrupted: a block twice, a head that
 * lost its order, a count that disagrees. */
static void test_high_orders_isolate_and_checker(void)
{
	struct per_cpu_pages *pcp;
	struct page *p, *q, *saved;
	unsigned long pb;
	u32 c;

	boot(128 << 20);
	pcp = pcp_of(0);
	p = alloc_pages(GFP_KERNEL, 3);
	c = pcp->count;
	pb = p->pfn & ~(pageblock_nr_pages - 1);
	spin_lock(&DMA32->lock);
	set_pageblock_migratetype(pb, MIGRATE_ISOLATE);
	spin_unlock(&DMA32->lock);
	__free_pages(p, 3);
	ok(pcp->count == c && p->flags == PG_buddy, "ISOLATE pageblock: order 3 to the buddy");
	spin_lock(&DMA32->lock);
	set_pageblock_migratetype(pb, MIGRATE_UNMOVABLE);
	spin_unlock(&DMA32->lock);
	is_u64(mm_check_invariants(), 0, "clean before corrupting");

	p = alloc_pages(GFP_KERNEL, 3);
	q = alloc_pages(GFP_KERNEL, 3);
	__free_pages(q, 3);
	__free_pages(p, 3);
	saved = *pcp_ring_slot(
	    pcp, 3, 0, pcp->lists[pcp_pindex(3, 0)].base + pcp->lists[pcp_pindex(3, 0)].count - 2);
	*pcp_ring_slot(pcp, 3, 0,
		       pcp->lists[pcp_pindex(3, 0)].base + pcp->lists[pcp_pindex(3, 0)].count - 2) =
	    p;
	host_log_clear();
	ok(mm_check_invariants() > 0 && host_log_contains("twice"),
	   "an order-3 block on its list twice is caught");
	*pcp_ring_slot(pcp, 3, 0,
		       pcp->lists[pcp_pindex(3, 0)].base + pcp->lists[pcp_pindex(3, 0)].count - 2) =
	    saved;
	p->order = 0;
	host_log_clear();
	ok(mm_check_invariants() > 0 && host_log_contains("on its order-3 list has flags"),
	   "an order-3 list block whose head says order 0 is caught");
	p->order = 3;
	pcp->count += 8;
	host_log_clear();
	ok(mm_check_invariants() > 0 && host_log_contains("count says"),
	   "a count that double-counts a block is caught");
	pcp->count -= 8;
	is_u64(mm_check_invariants(), 0, "repaired: clean again");
}

/*
 * Sets only where they can be used (mm/pcp.c:pcp_alloc_sets()): with two
 * possible CPUs and 128 MiB (DMA and DMA32 have RAM, Normal none), CPUs 0
 * and 1 get a set in DMA and DMA32, nothing else does; the sets are
 * memblock's, never handed to the buddy; the checker wants exactly these.
 */
static void test_sets_only_where_needed(void)
{
	unsigned int zi, cpu, sets = 0, bad = 0;

	mm_set_possible_cpus(2);
	host_log_clear();
	boot(128 << 20);
	for (zi = 0; zi < MAX_NR_ZONES; zi++)
		for (cpu = 0; cpu < NR_CPUS; cpu++) {
			const struct zone *z = &contig_page_data.node_zones[zi];
			bool want = zi != ZONE_NORMAL && cpu < 2;
			const struct per_cpu_pages *pcp = z->pcp[cpu];

			sets += pcp != NULL;
			bad += !pcp != !want || (pcp && pcp->zone != z);
			bad += pcp && !(virt_to_page(pcp)->flags & PG_reserved);
		}
	is_u64(sets, 4, "4 sets: CPUs 0 and 1 in DMA and DMA32");
	is_u64(bad, 0, "none for Normal (empty) or CPUs 2+; each set reserved, of its zone");
	ok(host_log_contains("list sets for 2 CPUs, 2 zones with memory: 90K from memblock"),
	   "the boot reports the reservation");
	ok(node_data[1].node_zones[ZONE_DMA32].pcp[0] == NULL, "a node not in use: none");
	is_u64(mm_check_invariants(), 0, "invariants: the sets are where they should be");
	DMA32->pcp[2] = DMA32->pcp[1];
	ok(mm_check_invariants() > 0, "the checker reports a set for a CPU beyond them");
	DMA32->pcp[2] = NULL;
	mm_set_possible_cpus(0); /* bad input: reported, all NR_CPUS */
	is_u64(pcp_nr_cpus, NR_CPUS, "0 possible CPUs: sets for all NR_CPUS");
	mm_set_possible_cpus(NR_CPUS + 1);
	is_u64(pcp_nr_cpus, NR_CPUS, "more than NR_CPUS: capped");
	ok(host_log_contains("list sets for NR_CPUS"), "and reported");
}

/*
 * A CPU beyond the sets comes online (numa_add_cpu(), as smp_init() calls
 * it): a warning, the lists off for every CPU (CPU 0's drained) and kept
 * off; that CPU then allocates and frees through the buddy, nothing lost.
 */
static void test_cpu_beyond_sets(void)
{
	struct page *arr[64], *p, *q;
	unsigned long free0;

	mm_set_possible_cpus(1);
	boot(128 << 20);
	__free_page(alloc_page(GFP_KERNEL));
	ok(pcp_of(0)->count > 0, "CPU 0's list holds pages");
	free0 = nr_free_pages();
	host_log_clear();
	numa_add_cpu(1, 1);
	cpu_online_mask |= 2;
	ok(host_log_contains("CPU 1 has no list sets (allocated for 1 CPUs): per-CPU lists off"),
	   "CPU 1 without sets: reported");
	ok(!mm_pcp_enabled() && pcp_of(0)->count == 0, "the lists are off, CPU 0's drained");
	mm_pcp_set_enabled(true);
	ok(!mm_pcp_enabled(), "and stay off");
	host_set_cpu(1);
	p = alloc_page(GFP_KERNEL);
	q = alloc_pages(GFP_KERNEL, 3);
	memset(arr, 0, sizeof(arr));
	is_u64(alloc_pages_bulk(GFP_KERNEL, 64, arr), 64, "CPU 1: a bulk of 64");
	ok(p && q, "CPU 1: orders 0 and 3 from the buddy");
	__free_page(p);
	__free_pages(q, 3);
	free_pages_bulk(64, arr);
	host_set_cpu(0);
	is_u64(nr_free_pages(), free0, "every page back");
	is_u64(mm_check_invariants(), 0, "invariants with a CPU beyond the sets");
	cpu_online_mask = 1;
	mm_set_possible_cpus(NR_CPUS);
	boot(128 << 20);
	ok(mm_pcp_enabled(), "a new mm_init(): lists on again");
}

int main(void)
{
	test_fast_path_zone_choice();
	test_tuning();
	test_refill_and_drain();
	test_fifo_order_and_hot_pages();
	test_cross_cpu_and_irq();
	test_bad_frees();
	test_checker_catches_corruption();
	test_high_orders();
	test_high_orders_types_and_high();
	test_high_orders_isolate_and_checker();
	test_bulk();
	test_bulk_ring_wrap();
	test_mobility_switch_fast_path();
	test_rings_follow_direct_map();
	test_bulk_free();
	test_bulk_free_mixed();
	test_drain_other_cpus_under_pressure();
	test_switch_off_and_zoneinfo();
	test_two_cpus_concurrently();
	test_sets_only_where_needed();
	test_cpu_beyond_sets();
	sim_mem_unmap();
	return done_testing();
}
