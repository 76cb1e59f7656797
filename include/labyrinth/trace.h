/*
 * trace.h - allocation tracing (trace=alloc, trace=free): the allocator
 * narrates each allocation's path on the console, rate-limited, and keeps
 * the recent events of every CPU in a ring that panic() and a fatal
 * exception dump. The mechanism is mm/trace.c; the hooks sit where the
 * decisions are taken: mm/page_alloc.c (story begin/end, reserve level,
 * reclaim rounds), mm/pcp.c (per-CPU hit, refill, drain), mm/buddy.c
 * (splits, merges), mm/pool.c (the pool), mm/reclaim.c (shrinkers,
 * balancer). kmain turns it on from the command line (kernel/main.c:
 * setup_tracing(), with trace= and trace_rate= of kernel/params.c).
 *
 * Cost when off: the switches are two bits of mm_alloc_hooks
 * (mm/internal.h), the word the allocation and free fast paths already
 * test. While tracing, the fast paths are left (everything goes through the
 * out-of-line path, which handles per-CPU hits too); while not, each hook
 * (trace_mm(), mm/internal.h) is one load and one predicted-not-taken
 * branch, and no call.
 *
 * A "story" is one alloc_pages() or __free_pages() call: the events recorded
 * between trace_alloc_begin() and trace_alloc_end() on one CPU carry the
 * story's id, and are printed together when it ends (if the token bucket
 * allows; else counted as suppressed). An interrupt's allocation inside
 * another one is a story of its own (up to TRACE_MAX_DEPTH deep).
 */
#ifndef LABYRINTH_TRACE_H
#define LABYRINTH_TRACE_H

#include <labyrinth/compiler.h>
#include <labyrinth/types.h>

#define MM_HOOK_TRACE_ALLOC 0x100u /* narrate allocations */
#define MM_HOOK_TRACE_FREE 0x200u  /* narrate frees */
#define MM_HOOK_TRACE (MM_HOOK_TRACE_ALLOC | MM_HOOK_TRACE_FREE)

#define TRACE_RING_SIZE 256u  /* events per CPU, a power of two */
#define TRACE_DUMP_EVENTS 32u /* per CPU, by trace_dump() */
#define TRACE_MAX_DEPTH 2u    /* nested stories tracked (task, IRQ) */
#define TRACE_RATE_DEFAULT 20 /* stories narrated per second of guest time */

enum trace_type {
	TR_ALLOC, /* story begins: order, gfp, x = highest zone, y = in IRQ */
	TR_FREE,  /* story begins: pfn, order */
	TR_FAULT, /* fail_page_alloc injected a failure */
	TR_WMARK, /* zone check: x = level, y = hi, a = free, b = threshold, c = need (2^order + the highatomic reserve if not the caller's) */
	TR_PCP_HIT,	  /* pfn, a = count before, b = after */
	TR_PCP_REFILL,	  /* a = pages got, b = batch */
	TR_PCP_FREE,	  /* pfn, a = count after, b = high */
	TR_PCP_DRAIN,	  /* a = pages back to the buddy, b = count after */
	TR_SPLIT,	  /* pfn, order wanted, x = order of the block split */
	TR_MERGE,	  /* pfn (result), order freed, x = order after merging */
	TR_TAKE,	  /* pfn, order, x = TR_SRC_BUDDY or TR_SRC_RESERVE, a = free after */
	TR_SLOWPATH,	  /* x = the caller's level */
	TR_POOL,	  /* pfn (or PFN_NIL), a = level after, b = size */
	TR_ZCACHE,	  /* zero cache take: pfn (or PFN_NIL), a = level after, b = size */
	TR_ZCACHE_SHRINK, /* its shrinker: a = asked, b = freed, c = level after */
	TR_POOL_REFILL, /* x = 1 from a free (pfn), 0 by the balancer (c = pages); a = level, b = size */
	TR_WAKE,	/* a = 1 if the balancer was woken, 0 if already pending */
	TR_RECLAIM,   /* a = round, b = per-CPU pages drained */
	TR_SHRINK,    /* a = pages asked of the shrinkers, b = freed */
	TR_RESULT,    /* pfn (or PFN_NIL), order, x = source */
	TR_EXCLUSIVE, /* __GFP_EXCLUSIVE step (mm/exclusive.c): x = enum trace_excl, pfn */
	TR_STEAL,     /* fallback: pfn, order, x = old type, y = new type, a = pages moved,
			* b = alike pages, c = 1 if the pageblock changed type */
	TR_COMPACT,   /* compaction: order, x = result, a = migrated, b = migrate
			* scanned, c = free scanned */
	NR_TRACE_TYPES
};

enum trace_src {
	TR_SRC_NONE,
	TR_SRC_PCP,
	TR_SRC_BUDDY,
	TR_SRC_RESERVE,
	TR_SRC_POOL,
	TR_SRC_EXCLUSIVE, /* a CPU's reserve of keyed exclusive pages */
	TR_SRC_ZCACHE
};

/* TR_EXCLUSIVE steps. */
enum trace_excl {
	TR_EXCL_RESERVE,  /* taken from this CPU's reserve: y = keyed, a = left, b = key */
	TR_EXCL_EMPTY,	  /* atomic request, no keyed page: NULL */
	TR_EXCL_FRESH,	  /* a fresh block split to 4 KiB, key 1, every CPU flushed */
	TR_EXCL_SCRUB,	  /* scrubbed on free: y = keyed */
	TR_EXCL_HANDOVER, /* y = new owner, a = old owner */
	TR_EXCL_POOL,	  /* reserve empty: a sealed page of the Labyrinth pool, b = key */
	TR_EXCL_DIRTY,	  /* freed onto this CPU's dirty list: y = keyed (key 1), a = dirty now */
	TR_EXCL_INLINE, /* clean part empty: a dirty page scrubbed inline (before the sealed part):
			   * y = keyed, a = dirty left, b = key */
	TR_EXCL_SCRUB_BG, /* the scrubber (idle loop): a = pages scrubbed, b = clean now,
			   * c = of them given back to the allocator (above the target) */
};

/* One binary record of a CPU's ring: 48 bytes. */
struct trace_event {
	u64 tsc;
	u32 seq;   /* ring position + 1, written last: 0 or stale = torn */
	u32 story; /* 0: outside any tracked story */
	u32 gfp;
	u32 pfn;
	u32 a, b, c;
	u8 cpu, type, order, zone;
	u8 x, y;
	u16 pad;
};

/* The hooks themselves (trace_mm(), trace_split(), the stories) are
 * called from mm/ only: mm/internal.h. */

/*
 * Setup. trace_parse(): "alloc", "free", "alloc,free" (also "all", "off",
 * "") to MM_HOOK_TRACE_* bits; -1 (and a report) on anything else.
 * trace_init(): parse, set the narration rate (stories per second, 0 =
 * every one) with hz clock ticks per second, and turn tracing on. A bad
 * spec is reported and ignored: tracing stays off.
 */
int trace_parse(const char *spec, u32 *flags);
void trace_init(const char *spec, unsigned long rate, u64 hz);
void trace_set_enabled(u32 flags);

/* Prints the last TRACE_DUMP_EVENTS events of every CPU, oldest first
 * (panic, fatal exceptions). Once per boot; silent if nothing was traced. */
void trace_dump(void);

/* For tests: a fake clock, a clean slate, the ring, the counters, a line. */
void trace_set_clock(u64 (*now)(void), u64 hz);
void trace_reset(void);
unsigned int trace_ring_read(unsigned int cpu, struct trace_event *out, unsigned int max);
struct trace_stats {
	unsigned long recorded, narrated, suppressed_stories, suppressed_events;
};
void trace_stats(struct trace_stats *s);
int trace_format(const struct trace_event *e, char *buf, size_t size);

#endif
