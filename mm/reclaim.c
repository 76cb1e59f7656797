/*
 * reclaim.c - life under memory pressure: the shrinker registry, direct
 * reclaim for GFP_KERNEL allocations, and the background balancer that the
 * idle loop runs. The rules are in include/labyrinth/shrinker.h;
 * mm/page_alloc.c decides when to reclaim (its slow path), mm/pcp.c
 * drains the per-CPU lists, mm/pool.c refills the pool.
 *
 * Locking: shrinker_lock guards the registry and is held while callbacks
 * run. It is never taken in IRQ context (GFP_ATOMIC never reclaims), so it
 * is a plain spin_lock. A per-CPU "reclaiming" flag (Linux's PF_MEMALLOC)
 * keeps an allocation made by a callback from reclaiming again, which would
 * take shrinker_lock twice.
 */
#define pr_fmt(fmt) "mm: " fmt

#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pool.h>
#include <labyrinth/printk.h>
#include <labyrinth/shrinker.h>
#include <labyrinth/trace.h>
#include <labyrinth/zero_cache.h>

#include "mm/internal.h"

static spinlock_t shrinker_lock = SPINLOCK_INIT;
static struct shrinker *shrinker_list;
static bool reclaiming[NR_CPUS];

static spinlock_t balance_lock = SPINLOCK_INIT;
static bool balance_wanted;
static bool balancer_off;
static struct reclaim_stats stats;

int register_shrinker(struct shrinker *s)
{
	struct shrinker *p;

	spin_lock(&shrinker_lock);
	for (p = shrinker_list; p; p = p->next)
		if (p == s) {
			spin_unlock(&shrinker_lock);
			return -1;
		}
	s->nr_freed = 0;
	s->next = shrinker_list;
	shrinker_list = s;
	spin_unlock(&shrinker_lock);
	return 0;
}

void unregister_shrinker(struct shrinker *s)
{
	struct shrinker **pp;

	spin_lock(&shrinker_lock);
	for (pp = &shrinker_list; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	s->next = NULL;
	spin_unlock(&shrinker_lock);
}

bool current_is_reclaiming(void)
{
	return READ_ONCE(reclaiming[arch_cpu_id()]);
}

/* One shrinker asked for up to nr pages; returns what it freed. */
static unsigned long shrink_one(struct shrinker *s, gfp_t gfp, unsigned long nr)
{
	struct shrink_control sc = { .gfp_mask = gfp };
	unsigned long can = s->count_objects(s, &sc), freed;

	if (!can || can == SHRINK_STOP)
		return 0;
	sc.nr_to_scan = min(can, nr);
	freed = s->scan_objects(s, &sc);
	if (freed == SHRINK_STOP)
		return 0;
	s->nr_freed += freed;
	return freed;
}

unsigned long shrink_slab(gfp_t gfp, unsigned long nr)
{
	unsigned int cpu = arch_cpu_id();
	unsigned long freed = 0;
	struct shrinker *s;

	if (WARN_ON_ONCE(arch_in_irq()) || reclaiming[cpu])
		return 0;
	WRITE_ONCE(reclaiming[cpu], true);
	spin_lock(&shrinker_lock);
	for (s = shrinker_list; s && freed < nr; s = s->next)
		freed += shrink_one(s, gfp, nr - freed);
	spin_unlock(&shrinker_lock);
	WRITE_ONCE(reclaiming[cpu], false);
	return freed;
}

/* Pages zone z lacks to reach watermark w (0 if it is there). */
static unsigned long zone_deficit(const struct zone *z, enum zone_watermarks w)
{
	unsigned long free = zone_nr_free_pages(z), want = z->_watermark[w];

	return free < want ? want - free : 0;
}

/*
 * Enough to lift the zones the request may use over their low watermark,
 * plus the request itself (at least a few pages, so a zone hovering at
 * low does not reclaim one page per allocation).
 */
unsigned long try_to_free_pages(gfp_t gfp, unsigned int order, unsigned int hi)
{
	struct zone *const *zl = node_zonelist(numa_node_id(), gfp, hi);
	unsigned long nr = (1ul << order) + 32, freed;

	for (; *zl; zl++)
		nr += zone_deficit(*zl, WMARK_LOW);
	freed = shrink_slab(gfp, nr);
	trace_mm(TR_SHRINK, NULL, order, 0, 0, PFN_NIL, nr, freed, 0);
	__atomic_add_fetch(&stats.direct_runs, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&stats.direct_freed, freed, __ATOMIC_RELAXED);
	return freed;
}

void wakeup_balancer(void)
{
	trace_mm(TR_WAKE, NULL, 0, 0, 0, PFN_NIL, !READ_ONCE(balance_wanted), 0, 0);
	if (!READ_ONCE(balance_wanted)) {
		WRITE_ONCE(balance_wanted, true);
		__atomic_add_fetch(&stats.wakeups, 1, __ATOMIC_RELAXED);
	}
}

bool balance_zones_needed(void)
{
	struct labyrinth_pool_stats ps;

	if (READ_ONCE(balancer_off))
		return false;
	if (READ_ONCE(balance_wanted) || kcompactd_pending())
		return true;
	labyrinth_pool_stats(&ps);
	return ps.level < ps.size || zero_cache_wants_refill();
}

/*
 * Pausing waits for a run already under way on another CPU: once this
 * returns, no balancer runs (and no pool refill from one) until resumed, so
 * tests can compare exact counts. A run that takes balance_lock after us
 * sees balancer_off and does nothing.
 */
void balancer_set_enabled(bool on)
{
	WRITE_ONCE(balancer_off, !on);
	if (!on) {
		spin_lock(&balance_lock);
		spin_unlock(&balance_lock);
	}
}

/*
 * Every zone below high: the shrinkers for the difference. Shrinkers do
 * not know zones (as in Linux), so what they free may land elsewhere: ask
 * again while the zone is short and they make progress, in chunks of at
 * least SWAP_CLUSTER_MAX pages (Linux's kswapd unit), a bounded number of
 * rounds.
 */
#define BALANCE_ROUNDS 64
#define SWAP_CLUSTER_MAX 32ul
static unsigned long balance_zones_shrink(void)
{
	unsigned long freed = 0, nr, got;
	struct zone *z;
	int round;

	for_each_zone(z) {
		if (!populated_zone(z))
			continue;
		for (round = 0; round < BALANCE_ROUNDS; round++) {
			nr = zone_deficit(z, WMARK_HIGH);
			got = nr ? shrink_slab(GFP_KERNEL, max(nr, SWAP_CLUSTER_MAX)) : 0;
			freed += got;
			if (!got)
				break;
		}
	}
	return freed;
}

unsigned long balance_zones(void)
{
	unsigned int cpu = arch_cpu_id();
	unsigned long freed;

	if (READ_ONCE(balancer_off) || WARN_ON_ONCE(arch_in_irq()))
		return 0;
	if (!spin_trylock(&balance_lock))
		return 0;	       /* another CPU is balancing */
	if (READ_ONCE(balancer_off)) { /* paused while we were getting here */
		spin_unlock(&balance_lock);
		return 0;
	}
	WRITE_ONCE(balance_wanted, false);
	freed = balance_zones_shrink();
	kcompactd_run();		   /* background compaction where a high order waited */
	WRITE_ONCE(reclaiming[cpu], true); /* the refill refills must not reclaim again */
	labyrinth_pool_refill();
	zero_cache_refill();
	WRITE_ONCE(reclaiming[cpu], false);
	stats.balancer_runs++;
	stats.balancer_freed += freed;
	spin_unlock(&balance_lock);
	return freed;
}

void reclaim_stats(struct reclaim_stats *s)
{
	s->direct_runs = READ_ONCE(stats.direct_runs);
	s->direct_freed = READ_ONCE(stats.direct_freed);
	s->balancer_runs = READ_ONCE(stats.balancer_runs);
	s->balancer_freed = READ_ONCE(stats.balancer_freed);
	s->wakeups = READ_ONCE(stats.wakeups);
}
