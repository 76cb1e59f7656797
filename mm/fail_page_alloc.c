/*
 * fail_page_alloc.c - failure injection for the page allocator, after
 * Linux's fail_page_alloc (probability, interval, space, times; only
 * allocations that cannot sleep by default). The syntax and defaults are
 * in include/labyrinth/fail_page_alloc.h. Arming sets MM_HOOK_FAULT, which
 * turns the allocation fast path off (mm/page_alloc.c then asks
 * should_fail_alloc_page() first); the parameter is wired from the command
 * line by kernel/params.c, not here.
 *
 * The decision, in Linux's order: no failures left (times 0) -> no; while
 * the space budget lasts, spend it (2^order pages) -> no; with an interval
 * n > 1, only every n-th eligible call goes on; then it fails with the
 * given probability. Random numbers: xorshift64* per CPU, seeded from the
 * configured seed and the CPU number, drawn with interrupts off.
 */
#define pr_fmt(fmt) "mm: " fmt

#include <labyrinth/fail_page_alloc.h>
#include <labyrinth/mm.h>
#include <labyrinth/pcp.h>
#include <labyrinth/printk.h>

#include "mm/internal.h"

static struct fail_page_alloc_attr attr = FAIL_PAGE_ALLOC_ATTR_DEFAULT;
static long space_left, times_left;
static unsigned long calls, eligible, injected, interval_count;
static u64 rng[NR_CPUS] __aligned(64);

static u64 splitmix64(u64 x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* A number in [0, 100) from this CPU's generator. */
static unsigned int draw_percent(void)
{
	unsigned long flags = arch_irq_save();
	u64 *s = &rng[arch_cpu_id()], r;

	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	r = *s * 2685821657736338717ull;
	arch_irq_restore(flags);
	return (unsigned int)((r >> 32) % 100);
}

void fail_page_alloc_init(const struct fail_page_alloc_attr *a)
{
	unsigned int cpu;

	__atomic_or_fetch(&mm_alloc_hooks, MM_HOOK_FAULT, __ATOMIC_SEQ_CST); /* quiesce */
	attr = *a;
	if (!attr.interval)
		attr.interval = 1;
	attr.probability = min(attr.probability, 100u);
	space_left = (long)attr.space;
	times_left = attr.times;
	calls = eligible = injected = interval_count = 0;
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		rng[cpu] = splitmix64(attr.seed + cpu) | 1;
	if (!attr.probability || !attr.times) {
		__atomic_and_fetch(&mm_alloc_hooks, ~MM_HOOK_FAULT, __ATOMIC_SEQ_CST);
		return;
	}
	pr_info("fail_page_alloc: interval %lu, probability %u%%, space %lu, times %ld, %s, seed "
		"%llu\n",
		attr.interval, attr.probability, attr.space, attr.times,
		attr.ignore_gfp_reclaim ? "atomic only" : "all allocations",
		(unsigned long long)attr.seed);
}

/* Parses one signed decimal number ending at ',' or NUL. */
static const char *parse_num(const char *s, long *out)
{
	bool neg = *s == '-';
	long v = 0;

	s += neg;
	if (*s < '0' || *s > '9')
		return NULL;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	if (*s && *s != ',')
		return NULL;
	*out = neg ? -v : v;
	return *s ? s + 1 : s;
}

int fail_page_alloc_parse(const char *str, struct fail_page_alloc_attr *a)
{
	long v[4] = { (long)a->interval, (long)a->probability, (long)a->space, a->times };
	int i;

	for (i = 0; i < 4 && str && *str; i++)
		if (!(str = parse_num(str, &v[i])))
			return -1;
	if ((str && *str) || v[0] < 0 || v[1] < 0 || v[1] > 100 || v[2] < 0 || v[3] < -1)
		return -1;
	a->interval = (unsigned long)v[0];
	a->probability = (unsigned int)v[1];
	a->space = (unsigned long)v[2];
	a->times = v[3];
	return 0;
}

static bool fail_eligible(gfp_t gfp, unsigned int order)
{
	if (order < attr.min_order)
		return false;
	return !(attr.ignore_gfp_reclaim && (gfp & __GFP_DIRECT_RECLAIM));
}

bool should_fail_alloc_page(gfp_t gfp, unsigned int order)
{
	long t;

	__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	if (!fail_eligible(gfp, order))
		return false;
	__atomic_add_fetch(&eligible, 1, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&times_left, __ATOMIC_RELAXED))
		return false;
	if (__atomic_load_n(&space_left, __ATOMIC_RELAXED) > 0 &&
	    __atomic_sub_fetch(&space_left, 1l << order, __ATOMIC_RELAXED) >= 0)
		return false;
	if (attr.interval > 1 &&
	    __atomic_add_fetch(&interval_count, 1, __ATOMIC_RELAXED) % attr.interval)
		return false;
	if (attr.probability <= draw_percent())
		return false;
	t = __atomic_load_n(&times_left, __ATOMIC_RELAXED);
	while (t > 0 && !__atomic_compare_exchange_n(&times_left, &t, t - 1, false,
						     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (!t)
		return false; /* another CPU took the last one */
	__atomic_add_fetch(&injected, 1, __ATOMIC_RELAXED);
	return true;
}

void fail_page_alloc_stats(struct fail_page_alloc_stats *s)
{
	s->calls = __atomic_load_n(&calls, __ATOMIC_RELAXED);
	s->eligible = __atomic_load_n(&eligible, __ATOMIC_RELAXED);
	s->injected = __atomic_load_n(&injected, __ATOMIC_RELAXED);
	s->times_left = __atomic_load_n(&times_left, __ATOMIC_RELAXED);
}
