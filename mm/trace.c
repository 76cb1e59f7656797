/*
 * trace.c - allocation tracing (trace=alloc, trace=free): per-CPU rings of
 * binary events, stories (one allocation's or free's events, printed
 * together when it ends), a token bucket that keeps the console readable,
 * and the dump of recent events for panic() and fatal exceptions.
 *
 * The API, the event types and the cost rules are in
 * include/labyrinth/trace.h, the hooks (trace_mm(), trace_record()) in
 * mm/internal.h; they are called from mm/page_alloc.c, mm/pcp.c,
 * mm/buddy.c, mm/pool.c and mm/reclaim.c; kmain (kernel/main.c:
 * setup_tracing()) calls trace_init() and registers trace_dump() as a
 * panic notifier, which
 * panic() and fatal exceptions run (include/labyrinth/panic_notifier.h).
 *
 * Rings are lock-free: a CPU claims a slot with an atomic increment of its
 * own head (so an interrupt or NMI that records in between takes the next
 * slot), fills it and publishes it by writing the slot's seq last. Readers
 * (the story printer on the same CPU, the dump on any CPU) copy a record
 * and accept it only if its seq says it is the one they expected.
 */
#define pr_fmt(fmt) "trace: " fmt

#include <labyrinth/arch.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>
#include <labyrinth/trace.h>

#include "mm/internal.h"

#define TRACE_RING_MASK (TRACE_RING_SIZE - 1)
BUILD_BUG_ON(TRACE_RING_SIZE &TRACE_RING_MASK);
#define TRACE_RUN_SHOWN 3 /* of a run of splits or merges, print this many */

struct trace_story {
	u32 id, begin; /* story id; ring head when it began */
	u8 src;	       /* where the page came from, for TR_RESULT */
};

struct trace_cpu {
	u32 head; /* next seq to claim */
	u32 next_id;
	u32 depth; /* open stories, nested ones included */
	struct trace_story open[TRACE_MAX_DEPTH];
	struct trace_event ring[TRACE_RING_SIZE];
} __aligned(64);

static struct trace_cpu trace_cpus[NR_CPUS];

static struct {
	u64 hz, interval, burst; /* clock ticks: per second, per story, burst window */
	u64 tat;		 /* the bucket's theoretical arrival time */
	u64 (*now)(void);
	unsigned long rate;
	unsigned long recorded, narrated, supp_stories, supp_events;
	int dumping;
} tr = { .rate = TRACE_RATE_DEFAULT };

static u64 trace_clock(void)
{
	return tr.now ? tr.now() : arch_cycles();
}

/* ---- recording ---- */

static struct trace_story *current_story(struct trace_cpu *tc)
{
	u32 d = READ_ONCE(tc->depth);

	return d && d <= TRACE_MAX_DEPTH ? &tc->open[d - 1] : NULL;
}

static void note_source(struct trace_story *st, const struct trace_event *e)
{
	if (e->type == TR_PCP_HIT)
		st->src = TR_SRC_PCP;
	else if (e->type == TR_TAKE)
		st->src = e->x;
	else if (e->type == TR_POOL && e->pfn != PFN_NIL)
		st->src = TR_SRC_POOL;
	else if (e->type == TR_EXCLUSIVE && (e->x == TR_EXCL_RESERVE || e->x == TR_EXCL_INLINE))
		st->src = TR_SRC_EXCLUSIVE;
	else if (e->type == TR_EXCLUSIVE && e->x == TR_EXCL_POOL)
		st->src = TR_SRC_POOL;
	else if (e->type == TR_ZCACHE && e->pfn != PFN_NIL)
		st->src = TR_SRC_ZCACHE;
}

void trace_record(enum trace_type type, const struct zone *z, unsigned int order, unsigned int x,
		  unsigned int y, unsigned long pfn, unsigned long a, unsigned long b,
		  unsigned long c)
{
	unsigned int cpu = arch_cpu_id();
	struct trace_cpu *tc = &trace_cpus[cpu];
	struct trace_story *st = current_story(tc);
	u32 seq = __atomic_fetch_add(&tc->head, 1, __ATOMIC_RELAXED);
	struct trace_event *e = &tc->ring[seq & TRACE_RING_MASK];

	WRITE_ONCE(e->seq, 0);
	e->tsc = arch_cycles();
	e->story = st ? st->id : 0;
	e->gfp = type == TR_ALLOC ? (u32)x : 0;
	e->pfn = (u32)pfn;
	e->a = (u32)a;
	e->b = (u32)b;
	e->c = (u32)c;
	e->cpu = (u8)cpu;
	e->type = (u8)type;
	e->order = (u8)order;
	e->zone =
	    z ? (u8)(zone_to_nid(z) * MAX_NR_ZONES + (z - NODE_DATA(zone_to_nid(z))->node_zones))
	      : 0xff; /* nid * MAX_NR_ZONES + zone index (mm/numa.c) */
	e->x = type == TR_ALLOC ? 0 : (u8)x;
	e->y = (u8)y;
	if (st)
		note_source(st, e);
	__atomic_store_n(&e->seq, seq + 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&tr.recorded, 1, __ATOMIC_RELAXED);
}

/*
 * A block of order high split down to order leaves the upper halves free at
 * pfn + 2^k, order k, for k in [order, high); beyond high the buddy was
 * not free (it would have been merged). So the first k without such a
 * half is the order of the block that was split.
 */
void trace_split(const struct zone *z, const struct page *page, unsigned int order)
{
	unsigned long pfn = page->pfn;
	unsigned int high = order;

	while (high < MAX_PAGE_ORDER && !(pfn & (1ul << high))) {
		const struct page *half = page + (1ul << high);

		if (half->flags != PG_buddy || half->order != high)
			break;
		high++;
	}
	if (high > order)
		trace_record(TR_SPLIT, z, order, high, 0, pfn, 0, 0, 0);
}

/* The free block that now holds pfn (freed at order): merged up to its order. */
void trace_merge(const struct zone *z, unsigned long pfn, unsigned int order)
{
	unsigned int o;

	for (o = order; o <= MAX_PAGE_ORDER; o++) {
		unsigned long head = pfn & ~((1ul << o) - 1);
		const struct page *p = pfn_to_page(head); /* same section: buddy.c */

		if (p->flags == PG_buddy && p->order == o) {
			trace_record(TR_MERGE, z, order, o, 0, head, 0, 0, 0);
			return;
		}
	}
}

/* Opens a story on this CPU; deeper than TRACE_MAX_DEPTH is not tracked. */
static void story_open(void)
{
	struct trace_cpu *tc = &trace_cpus[arch_cpu_id()];
	u32 d = tc->depth;

	if (d < TRACE_MAX_DEPTH) {
		tc->open[d].id = ++tc->next_id ? tc->next_id : ++tc->next_id;
		tc->open[d].begin = READ_ONCE(tc->head);
		tc->open[d].src = TR_SRC_NONE;
	}
	barrier();
	WRITE_ONCE(tc->depth, d + 1);
}

void trace_alloc_begin(gfp_t gfp, unsigned int order, unsigned int hi)
{
	story_open();
	trace_record(TR_ALLOC, NULL, order, gfp, arch_in_irq(), PFN_NIL, hi, 0, 0);
}

void trace_free_begin(const struct page *page, unsigned int order)
{
	story_open();
	trace_record(TR_FREE, page ? page_zone(page) : NULL, order, 0, arch_in_irq(),
		     page ? page->pfn : PFN_NIL, 0, 0, 0);
}

/* ---- formatting ---- */

/* The zone an event recorded (e->zone = nid * MAX_NR_ZONES + zone index). */
static const struct zone *event_zone(u8 zone)
{
	return &node_data[(zone / MAX_NR_ZONES) % MAX_NUMNODES].node_zones[zone % MAX_NR_ZONES];
}

static const char *zone_name(u8 zone)
{
	return zone < MAX_NUMNODES * MAX_NR_ZONES && event_zone(zone)->name ? event_zone(zone)->name
									    : "?";
}

static const char *const level_names[NR_ALLOC_LEVELS] = {
	[ALLOC_WMARK_LOW] = "low",	  [ALLOC_WMARK_MIN] = "min",
	[ALLOC_WMARK_HIGH_RES] = "min/2", [ALLOC_WMARK_ATOMIC] = "min*3/8",
	[ALLOC_NO_WATERMARKS] = "none",
};

static const char *level_name(u8 level)
{
	return level < NR_ALLOC_LEVELS ? level_names[level] : "?";
}

static const char *mt_name(u8 mt)
{
	return mt < MIGRATE_TYPES ? migratetype_names[mt] : "?";
}

static const char *const src_names[] = { "nowhere",
					 "pcp",
					 "buddy",
					 "reserve (below min)",
					 "Labyrinth pool",
					 "this CPU's exclusive reserve",
					 "zero cache (already zeroed)" };

static int fmt_wmark(const struct trace_event *e, char *buf, size_t size)
{
	const struct zone *z = event_zone(e->zone);
	unsigned long res = e->y < MAX_NR_ZONES ? z->lowmem_reserve[e->y] : 0;
	bool ok = (long)e->a - (long)e->c >= (long)e->b;

	if (e->x == ALLOC_NO_WATERMARKS)
		return snprintf(buf, size, "zone %s: no watermark (__GFP_MEMALLOC), free %u",
				z->name, e->a);
	return snprintf(buf, size,
			"zone %s: watermark %s %lu + lowmem_reserve %lu = %u: free %u - %u -> %s",
			zone_name(e->zone), level_name(e->x), (unsigned long)e->b - res, res, e->b,
			e->a, e->c, ok ? "ok" : "below, skip");
}

static int fmt_alloc_side(const struct trace_event *e, char *buf, size_t size)
{
	const char *zn = zone_name(e->zone);

	switch (e->type) {
	case TR_PCP_HIT:
		return snprintf(buf, size, "pcp cpu%u %s: hit (count %u -> %u), pfn %#x", e->cpu,
				zn, e->a, e->b, e->pfn);
	case TR_PCP_REFILL:
		return e->a ? snprintf(
				  buf, size,
				  "pcp cpu%u %s: was empty, refilled %u (batch %u) from the buddy",
				  e->cpu, zn, e->a, e->b)
			    : snprintf(buf, size, "pcp cpu%u %s: empty, no refill", e->cpu, zn);
	case TR_SPLIT:
		return snprintf(buf, size,
				"buddy %s: split order-%u block at pfn %#x down to order %u "
				"(halves to free_area[%u..%u])",
				zn, e->x, e->pfn, e->order, e->order, e->x - 1);
	case TR_TAKE:
		return snprintf(
		    buf, size, "buddy %s: took order-%u block at pfn %#x%s, free now %u", zn,
		    e->order, e->pfn, e->x == TR_SRC_RESERVE ? " from the reserve" : "", e->a);
	case TR_ZCACHE:
		return e->pfn == PFN_NIL
			   ? snprintf(buf, size, "zero cache: nothing usable (level %u/%u)", e->a,
				      e->b)
			   : snprintf(buf, size,
				      "zero cache: took pre-zeroed pfn %#x (level %u/%u)", e->pfn,
				      e->a, e->b);
	case TR_ZCACHE_SHRINK:
		return snprintf(
		    buf, size, "zero cache shrinker: asked for %u page(s), gave back %u (level %u)",
		    e->a, e->b, e->c);
	case TR_POOL_REFILL:
		return e->x ? snprintf(buf, size,
				       "Labyrinth pool: freed pfn %#x kept for atomic callers "
				       "(level %u/%u)",
				       e->pfn, e->a, e->b)
			    : snprintf(buf, size,
				       "Labyrinth pool: balancer added %u page(s) (level %u/%u)",
				       e->c, e->a, e->b);
	case TR_POOL:
		return e->pfn == PFN_NIL
			   ? snprintf(buf, size, "Labyrinth pool: nothing usable (level %u/%u)",
				      e->a, e->b)
			   : snprintf(buf, size, "Labyrinth pool: took pfn %#x (level %u/%u)",
				      e->pfn, e->a, e->b);
	}
	return -1;
}

static int fmt_free_side(const struct trace_event *e, char *buf, size_t size)
{
	const char *zn = zone_name(e->zone);

	switch (e->type) {
	case TR_FREE:
		return snprintf(buf, size, "free order=%u pfn %#x cpu=%u%s", e->order, e->pfn,
				e->cpu, e->y ? " (in IRQ)" : "");
	case TR_PCP_FREE:
		return snprintf(buf, size, "pcp cpu%u %s: pushed pfn %#x (count %u, high %u)",
				e->cpu, zn, e->pfn, e->a, e->b);
	case TR_PCP_DRAIN:
		return snprintf(
		    buf, size,
		    "pcp cpu%u %s: over high, %u coldest pages back to the buddy (count %u)",
		    e->cpu, zn, e->a, e->b);
	case TR_MERGE:
		return e->x > e->order
			   ? snprintf(buf, size,
				      "buddy %s: merged order %u -> %u, block at pfn %#x on "
				      "free_area[%u]",
				      zn, e->order, e->x, e->pfn, e->x)
			   : snprintf(buf, size,
				      "buddy %s: pfn %#x on free_area[%u] (buddy not free)", zn,
				      e->pfn, e->order);
	}
	return -1;
}

/* __GFP_EXCLUSIVE's steps (mm/exclusive.c). */
static int fmt_exclusive(const struct trace_event *e, char *buf, size_t size)
{
	switch (e->x) {
	case TR_EXCL_RESERVE:
		return e->y ? snprintf(buf, size,
				       "exclusive: pfn %#x from cpu%u's reserve (%u left): key 1 "
				       "(nobody) -> key %u (cpu%u only), INVLPG here; zero since "
				       "its scrub",
				       e->pfn, e->cpu, e->a, e->b, e->cpu)
			    : snprintf(buf, size,
				       "exclusive: pfn %#x from cpu%u's reserve (%u left), zeroed; "
				       "no PKS: not isolated",
				       e->pfn, e->cpu, e->a);
	case TR_EXCL_POOL:
		return snprintf(
		    buf, size,
		    "exclusive: cpu%u's reserve empty, clean and dirty: pfn %#x from the Labyrinth "
		    "pool's sealed part: key 1 (nobody, every CPU flushed when sealed) "
		    "-> key %u (cpu%u only), INVLPG here; zero since it was sealed",
		    e->cpu, e->pfn, e->b, e->cpu);
	case TR_EXCL_EMPTY:
		return snprintf(buf, size,
				"exclusive: no keyed page for an atomic request (reserve and the "
				"pool's sealed part empty, or order > 0); keying a fresh one needs "
				"an IPI -> NULL");
	case TR_EXCL_FRESH:
		return snprintf(buf, size,
				"exclusive: fresh order-%u block at pfn %#x: direct map split to "
				"4 KiB, key 1, every CPU's TLB flushed",
				e->order, e->pfn);
	case TR_EXCL_SCRUB:
		return snprintf(
		    buf, size,
		    "exclusive: pfn %#x scrubbed (zeroed) by its owner on free (reserve at "
		    "its target, or order > 0)%s",
		    e->pfn, e->y ? ", key 0 next: back to the allocator" : "");
	case TR_EXCL_DIRTY:
		return snprintf(
		    buf, size,
		    "exclusive: pfn %#x freed onto cpu%u's dirty list (%u dirty)%s; not "
		    "scrubbed yet",
		    e->pfn, e->cpu, e->a,
		    e->y ? ": owner's key -> key 1 (nobody, its owner included), INVLPG here"
			 : " (no PKS: not isolated)");
	case TR_EXCL_INLINE:
		return snprintf(buf, size,
				"exclusive: cpu%u's clean reserve empty: "
				"dirty pfn %#x scrubbed inline (%u dirty left)%s",
				e->cpu, e->pfn, e->a,
				e->y ? ", key 1 -> key of this CPU, INVLPG here" : "");
	case TR_EXCL_SCRUB_BG:
		if (e->c) /* frees parked above the reserve's target */
			return snprintf(buf, size,
					"exclusive: scrubber: %u dirty pages of cpu%u zeroed: %u "
					"above its reserve's target back to the allocator (key 0), "
					"the rest into its clean reserve (%u clean)",
					e->a, e->cpu, e->c, e->b);
		return snprintf(
		    buf, size,
		    "exclusive: scrubber: %u dirty pages of cpu%u zeroed into its clean "
		    "reserve (%u clean)",
		    e->a, e->cpu, e->b);
	case TR_EXCL_HANDOVER:
		return snprintf(buf, size, "exclusive: pfn %#x handed over cpu%u -> cpu%u", e->pfn,
				e->a, e->y);
	}
	return snprintf(buf, size, "exclusive: step %u", e->x);
}

static int fmt_path(const struct trace_event *e, char *buf, size_t size)
{
	char g[96];

	switch (e->type) {
	case TR_ALLOC:
		gfp_format(g, sizeof(g), e->gfp);
		return snprintf(buf, size, "alloc order=%u gfp=%s cpu=%u%s", e->order, g, e->cpu,
				e->y ? " (in IRQ)" : "");
	case TR_FAULT: return snprintf(buf, size, "fail_page_alloc: injected failure");
	case TR_SLOWPATH:
		return snprintf(buf, size,
				"slow path: every zone below low; retry at the caller's level %s",
				level_name(e->x));
	case TR_WAKE: return snprintf(buf, size, "balancer %s", e->a ? "woken" : "already pending");
	case TR_RECLAIM:
		return snprintf(buf, size, "direct reclaim round %u: %u per-CPU pages drained",
				e->a, e->b);
	case TR_SHRINK:
		return snprintf(buf, size, "shrinkers asked for %u pages, freed %u", e->a, e->b);
	case TR_EXCLUSIVE: return fmt_exclusive(e, buf, size);
	case TR_STEAL:
		return snprintf(buf, size,
				"fallback %s: order-%u %s block at pfn %#x taken for %s; %u free "
				"pages moved (%u alike), pageblock %s",
				zone_name(e->zone), e->order, mt_name(e->x), e->pfn, mt_name(e->y),
				e->a, e->b, e->c ? "now of the new type" : "keeps its type");
	case TR_COMPACT:
		return snprintf(buf, size,
				"compaction order %u: %s; %u pages migrated, %u scanned for "
				"movable pages, %u for free ones",
				e->order, e->x ? "a free block of that order now" : "failed", e->a,
				e->b, e->c);
	case TR_RESULT:
		if (e->pfn == PFN_NIL)
			return snprintf(buf, size, "-> NULL (allocation failed)");
		return snprintf(buf, size, "-> pfn %#x (phys %#llx) from %s", e->pfn,
				(unsigned long long)e->pfn << PAGE_SHIFT,
				src_names[e->x < ARRAY_SIZE(src_names) ? e->x : 0]);
	}
	return -1;
}

/* One event as text, without the "trace: " prefix and indentation. */
int trace_format(const struct trace_event *e, char *buf, size_t size)
{
	int n;

	if (e->type == TR_WMARK)
		return fmt_wmark(e, buf, size);
	n = fmt_alloc_side(e, buf, size);
	if (n < 0)
		n = fmt_free_side(e, buf, size);
	if (n < 0)
		n = fmt_path(e, buf, size);
	if (n < 0)
		n = snprintf(buf, size, "event type %u", e->type);
	return n;
}

/* ---- narration ---- */

/* GCRA: allow a story while the bucket is not over its burst. */
static bool trace_ratelimit_ok(void)
{
	u64 now = trace_clock(), t = __atomic_load_n(&tr.tat, __ATOMIC_RELAXED), nt;

	if (!tr.interval)
		return true;
	do {
		if (t > now + tr.burst)
			return false;
		nt = max(t, now) + tr.interval;
	} while (!__atomic_compare_exchange_n(&tr.tat, &t, nt, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

/* Copies ring slot seq of tc; false if it was overwritten or is torn. */
static bool ring_get(const struct trace_cpu *tc, u32 seq, struct trace_event *out)
{
	const struct trace_event *e = &tc->ring[seq & TRACE_RING_MASK];

	if (__atomic_load_n(&e->seq, __ATOMIC_ACQUIRE) != seq + 1)
		return false;
	*out = *e;
	barrier();
	return __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE) == seq + 1;
}

static bool is_run_type(u8 type)
{
	return type == TR_SPLIT || type == TR_MERGE;
}

/* Prints one event of a story; runs of splits or merges are cut short. */
static void narrate_one(const struct trace_event *e, unsigned int *run, u8 *run_type)
{
	char line[200];

	if (*run > TRACE_RUN_SHOWN && (!is_run_type(e->type) || e->type != *run_type))
		pr_info("  ... and %u more like it\n", *run - TRACE_RUN_SHOWN);
	if (is_run_type(e->type) && e->type == *run_type) {
		++*run;
	} else {
		*run = 1;
		*run_type = e->type;
	}
	if (*run > TRACE_RUN_SHOWN)
		return;
	trace_format(e, line, sizeof(line));
	if (e->type == TR_ALLOC || e->type == TR_FREE)
		pr_info("%s\n", line);
	else
		pr_info("  %s\n", line);
}

static void narrate(const struct trace_cpu *tc, const struct trace_story *st, u32 end)
{
	u32 seq = st->begin, lost = 0;
	unsigned int run = 0;
	u8 run_type = NR_TRACE_TYPES;
	struct trace_event e;

	if (end - seq > TRACE_RING_SIZE) {
		lost = end - seq - TRACE_RING_SIZE;
		seq = end - TRACE_RING_SIZE;
	}
	if (lost)
		pr_info("(%u earlier events of this story overwritten)\n", lost);
	for (; seq != end; seq++)
		if (ring_get(tc, seq, &e) && e.story == st->id)
			narrate_one(&e, &run, &run_type);
	if (run > TRACE_RUN_SHOWN)
		pr_info("  ... and %u more like it\n", run - TRACE_RUN_SHOWN);
}

static unsigned long story_events(const struct trace_cpu *tc, const struct trace_story *st, u32 end)
{
	unsigned long n = 0;
	struct trace_event e;
	u32 seq;

	for (seq = st->begin; seq != end; seq++)
		n += ring_get(tc, seq, &e) && e.story == st->id;
	return n;
}

/* Closes this CPU's innermost story: narrated, or counted as suppressed. */
static void story_close(void)
{
	struct trace_cpu *tc = &trace_cpus[arch_cpu_id()];
	struct trace_story *st = current_story(tc), copy;
	u32 end = READ_ONCE(tc->head);
	unsigned long ss, se;

	if (st)
		copy = *st;
	WRITE_ONCE(tc->depth, tc->depth - 1);
	if (!st)
		return;
	if (!trace_ratelimit_ok()) {
		__atomic_add_fetch(&tr.supp_stories, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&tr.supp_events, story_events(tc, &copy, end), __ATOMIC_RELAXED);
		return;
	}
	ss = __atomic_exchange_n(&tr.supp_stories, 0, __ATOMIC_RELAXED);
	se = __atomic_exchange_n(&tr.supp_events, 0, __ATOMIC_RELAXED);
	if (ss)
		pr_info("%lu events suppressed (%lu allocations/frees not narrated, "
			"trace_rate=%lu/s)\n",
			se, ss, tr.rate);
	narrate(tc, &copy, end);
	__atomic_add_fetch(&tr.narrated, 1, __ATOMIC_RELAXED);
}

void trace_alloc_end(const struct page *page, unsigned int order)
{
	struct trace_story *st = current_story(&trace_cpus[arch_cpu_id()]);

	trace_record(TR_RESULT, page ? page_zone(page) : NULL, order, st ? st->src : TR_SRC_NONE, 0,
		     page ? page->pfn : PFN_NIL, 0, 0, 0);
	story_close();
}

void trace_free_end(void)
{
	story_close();
}

/* ---- setup ---- */

static int trace_parse_word(const char *w, size_t len, u32 *flags)
{
	if (len == 5 && !strncmp(w, "alloc", 5))
		*flags |= MM_HOOK_TRACE_ALLOC;
	else if (len == 4 && !strncmp(w, "free", 4))
		*flags |= MM_HOOK_TRACE_FREE;
	else if (len == 3 && !strncmp(w, "all", 3))
		*flags |= MM_HOOK_TRACE;
	else if (!(len == 3 && !strncmp(w, "off", 3)))
		return -1;
	return 0;
}

int trace_parse(const char *spec, u32 *flags)
{
	const char *p = spec;

	*flags = 0;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (trace_parse_word(p, len, flags)) {
			pr_err("invalid value '%s' for trace=: unknown event class '%.*s' (known: "
			       "alloc, free, all, off); tracing stays off\n",
			       spec, (int)len, p);
			*flags = 0;
			return -1;
		}
		p += len + (comma ? 1 : 0);
	}
	return 0;
}

void trace_set_clock(u64 (*now)(void), u64 hz)
{
	tr.now = now;
	tr.hz = hz ? hz : 1000000000ull; /* before calibration: say 1 GHz */
	tr.interval = tr.rate ? tr.hz / tr.rate : 0;
	tr.burst = tr.rate ? tr.interval * (tr.rate - 1) : 0;
	tr.tat = 0;
}

void trace_set_enabled(u32 flags)
{
	__atomic_and_fetch(&mm_alloc_hooks, ~MM_HOOK_TRACE, __ATOMIC_SEQ_CST);
	__atomic_or_fetch(&mm_alloc_hooks, flags & MM_HOOK_TRACE, __ATOMIC_SEQ_CST);
}

void trace_init(const char *spec, unsigned long rate, u64 hz)
{
	u32 flags;

	if (!spec || !spec[0] || trace_parse(spec, &flags) || !flags)
		return;
	tr.rate = rate;
	trace_set_clock(NULL, hz);
	trace_set_enabled(flags);
	pr_info(
	    "narrating %s%s%s: %lu per second (trace_rate=), %u events per CPU kept for panic\n",
	    flags & MM_HOOK_TRACE_ALLOC ? "allocations" : "", flags == MM_HOOK_TRACE ? " and " : "",
	    flags & MM_HOOK_TRACE_FREE ? "frees" : "", rate, TRACE_RING_SIZE);
	if (!rate)
		pr_warn("trace_rate=0: every story is printed; under TCG that is slow\n");
}

void trace_reset(void)
{
	u64 (*now)(void) = tr.now;
	unsigned long rate = tr.rate;
	u64 hz = tr.hz;

	trace_set_enabled(0);
	memset(trace_cpus, 0, sizeof(trace_cpus));
	memset(&tr, 0, sizeof(tr));
	tr.rate = rate;
	trace_set_clock(now, hz);
}

void trace_stats(struct trace_stats *s)
{
	s->recorded = __atomic_load_n(&tr.recorded, __ATOMIC_RELAXED);
	s->narrated = __atomic_load_n(&tr.narrated, __ATOMIC_RELAXED);
	s->suppressed_stories = __atomic_load_n(&tr.supp_stories, __ATOMIC_RELAXED);
	s->suppressed_events = __atomic_load_n(&tr.supp_events, __ATOMIC_RELAXED);
}

/* ---- the dump ---- */

/* Copies up to max of cpu's most recent complete events, oldest first. */
unsigned int trace_ring_read(unsigned int cpu, struct trace_event *out, unsigned int max)
{
	const struct trace_cpu *tc = &trace_cpus[cpu % NR_CPUS];
	u32 head = __atomic_load_n(&tc->head, __ATOMIC_ACQUIRE), seq;
	unsigned int n = 0;

	max = min(max, TRACE_RING_SIZE);
	seq = head > max ? head - max : 0;
	for (; seq != head; seq++)
		if (ring_get(tc, seq, &out[n]))
			n++;
	return n;
}

static void dump_cpu(unsigned int cpu)
{
	static struct trace_event ev[TRACE_DUMP_EVENTS]; /* one dumper (tr.dumping) */
	unsigned int n = trace_ring_read(cpu, ev, TRACE_DUMP_EVENTS), i;
	char line[200];

	if (!n)
		return;
	pr_emerg("cpu%u: last %u of %u events\n", cpu, n, READ_ONCE(trace_cpus[cpu].head));
	for (i = 0; i < n; i++) {
		trace_format(&ev[i], line, sizeof(line));
		pr_emerg("  cpu%u #%u -%llucyc story %u: %s\n", cpu, ev[i].seq - 1,
			 (unsigned long long)(ev[n - 1].tsc - ev[i].tsc), ev[i].story, line);
	}
}

void trace_dump(void)
{
	unsigned int cpu;

	if (__atomic_exchange_n(&tr.dumping, 1, __ATOMIC_ACQ_REL))
		return; /* a panic inside the dump, or two CPUs dying at once */
	if (!(READ_ONCE(mm_alloc_hooks) & MM_HOOK_TRACE) && !READ_ONCE(tr.recorded))
		return;
	pr_emerg("---[ allocation trace: last events per CPU, oldest first ]---\n");
	if (!READ_ONCE(tr.recorded))
		pr_emerg("no events recorded yet\n");
	if (READ_ONCE(tr.supp_stories))
		pr_emerg("%lu events suppressed (%lu allocations/frees not narrated)\n",
			 READ_ONCE(tr.supp_events), READ_ONCE(tr.supp_stories));
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		dump_cpu(cpu);
	pr_emerg("---[ end allocation trace ]---\n");
}
