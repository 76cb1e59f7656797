/*
 * alloc_stats.c - where allocations came from, per CPU: the counters of
 * struct mm_alloc_stats (include/labyrinth/mm.h), which the IRQ self-test
 * summarises. mm/page_alloc.c and mm/pcp.c count each allocation by its
 * source (mm_count_alloc(), inline in mm/internal.h), each failure
 * (mm_count_failure()); per-CPU list hits of the inline fast path are counted in the lists themselves
 * (per_cpu_pages.hits, mm/pcp.c) and summed in here. The per-node counters
 * are mm/numa.c's (numa_alloc_stats_read()).
 */
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/numa.h>
#include <labyrinth/string.h>

#include "mm/internal.h"

struct mm_alloc_stats mm_alloc_stats_cpu[NR_CPUS] __aligned(64);

/* Atomic adds: an IRQ handler on this CPU may count concurrently. */
void mm_count_failure(gfp_t gfp, bool injected)
{
	struct mm_alloc_stats *s = &mm_alloc_stats_cpu[arch_cpu_id()];

	__atomic_add_fetch(gfpflags_allow_blocking(gfp) ? &s->other_failures : &s->atomic_failures,
			   1, __ATOMIC_RELAXED);
	if (injected)
		__atomic_add_fetch(&s->injected, 1, __ATOMIC_RELAXED);
}

static void stats_add(struct mm_alloc_stats *out, unsigned int cpu)
{
	const struct mm_alloc_stats *s = &mm_alloc_stats_cpu[cpu];
	struct zone *z;
	int i;

	for (i = 0; i < NR_ALLOC_SRC; i++) {
		out->atomic[i] += READ_ONCE(s->atomic[i]);
		out->other[i] += READ_ONCE(s->other[i]);
	}
	out->atomic_failures += READ_ONCE(s->atomic_failures);
	out->other_failures += READ_ONCE(s->other_failures);
	out->injected += READ_ONCE(s->injected);
	for_each_zone(z) { /* fast-path hits are counted in the lists themselves */
		if (!z->pcp[cpu])
			continue;
		out->atomic[ALLOC_SRC_PCP] += READ_ONCE(z->pcp[cpu]->hits[0]);
		out->other[ALLOC_SRC_PCP] += READ_ONCE(z->pcp[cpu]->hits[1]);
	}
}

void mm_alloc_stats_read(unsigned int cpu, struct mm_alloc_stats *out)
{
	unsigned int c;

	memset(out, 0, sizeof(*out));
	for (c = 0; c < NR_CPUS; c++)
		if (c == cpu || cpu >= NR_CPUS)
			stats_add(out, c);
}

void mm_alloc_stats_reset(void)
{
	struct zone *z;
	unsigned int c;

	memset(mm_alloc_stats_cpu, 0, sizeof(mm_alloc_stats_cpu));
	numa_stats_clear();
	for_each_zone(z)
		for (c = 0; c < NR_CPUS; c++)
			if (z->pcp[c])
				z->pcp[c]->hits[0] = z->pcp[c]->hits[1] = 0;
}
