/*
 * shrinker.h - giving pages back under memory pressure (mm/reclaim.c).
 *
 * A subsystem that holds pages it could free (a cache) registers a
 * shrinker, as in Linux: count_objects() says how many pages it could free
 * now, scan_objects() frees up to sc->nr_to_scan of them and returns how
 * many it freed (or SHRINK_STOP). Here an "object" is a page.
 *
 * Who reclaims (mm/page_alloc.c decides):
 *   - a GFP_KERNEL allocation that finds its zones below the low watermark:
 *     direct reclaim (drain the per-CPU lists, run the shrinkers), retry,
 *     and after a few rounds without success fail cleanly: NULL and a
 *     rate-limited warning (none with __GFP_NOWARN);
 *   - the balancer, balance_zones(), from the idle loop (never from an
 *     interrupt): brings every zone back to its high watermark through the
 *     shrinkers and refills the Labyrinth pool;
 *   - GFP_ATOMIC never reclaims (it may only ask for the balancer).
 * Callbacks run in process context with the shrinker lock held: they may
 * free and allocate pages (an allocation inside reclaim never reclaims
 * again), but must not (un)register shrinkers.
 */
#ifndef LABYRINTH_SHRINKER_H
#define LABYRINTH_SHRINKER_H

#include <labyrinth/gfp.h>

struct shrink_control {
	gfp_t gfp_mask;		  /* of the allocation that caused the reclaim */
	unsigned long nr_to_scan; /* pages to free, at most */
	unsigned long nr_scanned; /* set by scan_objects if it wants to */
};

#define SHRINK_STOP (~0ul)

struct shrinker {
	unsigned long (*count_objects)(struct shrinker *s, struct shrink_control *sc);
	unsigned long (*scan_objects)(struct shrinker *s, struct shrink_control *sc);
	const char *name;
	void *private_data;
	/* Owned by mm/reclaim.c: */
	struct shrinker *next;
	unsigned long nr_freed;
};

int register_shrinker(struct shrinker *s); /* 0, or -1 if already registered */
void unregister_shrinker(struct shrinker *s);

/* Runs the shrinkers until nr pages were freed or none has more; returns
 * pages freed. Process context. */
unsigned long shrink_slab(gfp_t gfp, unsigned long nr);
/* (Direct reclaim itself, try_to_free_pages(), is mm/internal.h's.) */

/* Asks the balancer to run (any context: one store). */
void wakeup_balancer(void);
/* Cheap check for the idle loop: should balance_zones() run? */
bool balance_zones_needed(void);
/* The balancer: zones to their high watermark, the pool to its size.
 * Returns pages reclaimed. Process context; one CPU at a time. */
unsigned long balance_zones(void);
/*
 * Off: balance_zones() does nothing (a test that wants pressure to last, or
 * exact counts). Turning it off waits for a run under way on another CPU,
 * so: process context, never from a shrinker or with interrupts off.
 */
void balancer_set_enabled(bool on);

struct reclaim_stats {
	unsigned long direct_runs, direct_freed;
	unsigned long balancer_runs, balancer_freed;
	unsigned long wakeups;
};
void reclaim_stats(struct reclaim_stats *s);

#endif
