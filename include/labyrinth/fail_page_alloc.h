/*
 * fail_page_alloc.h - failure injection for the page allocator
 * (mm/fail_page_alloc.c), after Linux's fail_page_alloc: make some
 * allocations return NULL on purpose, to prove their callers survive it.
 *
 * Linux's boot syntax, kept so its documentation transfers:
 *   fail_page_alloc=<interval>,<probability>,<space>,<times>
 *     interval     fail at most every interval-th eligible call (1: any)
 *     probability  percent of the remaining calls that fail (0..100)
 *     space        pages allocated unharmed before failures start
 *     times        failures at most; -1 = no limit
 * e.g. fail_page_alloc=1,10,0,-1 fails 10% of eligible allocations.
 * Eligible, by default: allocations that cannot sleep (no
 * __GFP_DIRECT_RECLAIM), any order (Linux's default min-order is 1; ours
 * is 0, the order the IRQ self-test allocates most). Random draws come from
 * a seedable xorshift64* per CPU, so a run repeats with the same seed.
 */
#ifndef LABYRINTH_FAIL_PAGE_ALLOC_H
#define LABYRINTH_FAIL_PAGE_ALLOC_H

#include <labyrinth/gfp.h>

struct fail_page_alloc_attr {
	unsigned long interval;
	unsigned int probability; /* percent */
	unsigned long space;	  /* pages */
	long times;		  /* -1 = unlimited */
	unsigned int min_order;
	bool ignore_gfp_reclaim; /* true: only allocations that cannot sleep */
	u64 seed;
};

#define FAIL_PAGE_ALLOC_ATTR_DEFAULT                                                      \
	{                                                                                 \
		.interval = 1, .probability = 0, .space = 0, .times = -1, .min_order = 0, \
		.ignore_gfp_reclaim = true, .seed = 1                                     \
	}

/* Arms injection (probability 0 or times 0 disarms). */
void fail_page_alloc_init(const struct fail_page_alloc_attr *attr);
/* Parses Linux's "<interval>,<probability>,<space>,<times>" into *attr
 * (fields not given keep their value); 0, or -1 if malformed. */
int fail_page_alloc_parse(const char *str, struct fail_page_alloc_attr *attr);

struct fail_page_alloc_stats {
	unsigned long calls;	/* allocations looked at */
	unsigned long eligible; /* of those, the kind that may fail */
	unsigned long injected; /* failures injected */
	long times_left;
};
void fail_page_alloc_stats(struct fail_page_alloc_stats *s);

#endif
