/*
 * test_trace.c - allocation tracing (mm/trace.c, include/labyrinth/trace.h)
 * over simulated memory: nothing recorded while off, the trace= parser and
 * its error report, one allocation's events grouped as one story (nested
 * stories kept apart), the token bucket on a fake clock with the
 * suppressed count reported, ring wraparound, frees and merges, the dump.
 */
#include <string.h>

#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include <labyrinth/pcp.h>
#include <labyrinth/smp.h>
#include <labyrinth/trace.h>
#include "mm/internal.h"
#include "host.h"
#include "lib/sim_mem.h"

static u64 fake_now;
static u64 fake_clock(void)
{
	return fake_now;
}

static struct trace_event ev[TRACE_RING_SIZE];

/* A fresh machine; tracing set to flags with rate stories per 1000 ticks. */
static void boot(u32 flags, unsigned long rate)
{
	trace_set_enabled(0);
	sim_boot_quiet(sim_boot_info_qemu(128 << 20));
	host_set_cpu(0);
	cpu_online_mask = 1;
	mm_pcp_set_enabled(true);
	fake_now = 1000;
	trace_reset();
	trace_init(flags == MM_HOOK_TRACE ? "alloc,free" : flags ? "alloc" : "", rate, 1000);
	trace_set_clock(fake_clock, 1000);
	trace_set_enabled(flags);
	host_log_clear();
}

static unsigned long recorded(void)
{
	struct trace_stats s;

	trace_stats(&s);
	return s.recorded;
}

static void test_off_records_nothing(void)
{
	struct page *p[8];
	int i;

	boot(0, 20);
	for (i = 0; i < 8; i++)
		p[i] = alloc_pages(GFP_KERNEL, (unsigned int)i % 3);
	for (i = 0; i < 8; i++)
		__free_pages(p[i], (unsigned int)i % 3);
	is_u64(recorded(), 0, "off: no event recorded");
	is_u64(trace_ring_read(0, ev, TRACE_RING_SIZE), 0, "off: the ring is empty");
	ok(!host_log_contains("trace:"), "off: nothing narrated");
	trace_dump();
	ok(!host_log_contains("allocation trace"), "off: the panic dump stays silent");
}

static void test_parse(void)
{
	u32 f;

	ok(!trace_parse("alloc", &f) && f == MM_HOOK_TRACE_ALLOC, "trace=alloc");
	ok(!trace_parse("free,alloc", &f) && f == MM_HOOK_TRACE, "trace=free,alloc");
	ok(!trace_parse("all", &f) && f == MM_HOOK_TRACE, "trace=all");
	host_log_clear();
	ok(trace_parse("alloc,bogus", &f) && !f, "trace=alloc,bogus is rejected whole");
	ok(host_log_contains("invalid value 'alloc,bogus' for trace=: unknown event class 'bogus'"),
	   "and reported with the class at fault");
	trace_set_enabled(0);
	trace_init("bogus", 20, 1000);
	ok(!(mm_alloc_hooks & MM_HOOK_TRACE), "trace_init(\"bogus\") leaves tracing off");
}

/* The events of one story, in the ring, are TR_ALLOC ... TR_RESULT. */
static void test_story_grouping(void)
{
	struct page *p;
	unsigned int n, i;
	bool same = true;

	boot(MM_HOOK_TRACE_ALLOC, 20);
	p = alloc_page(GFP_ATOMIC);
	n = trace_ring_read(0, ev, TRACE_RING_SIZE);
	ok(p && n >= 4, "an allocation records events (%u)", n);
	is_u64(ev[0].type, TR_ALLOC, "the story begins with TR_ALLOC");
	is_u64(ev[n - 1].type, TR_RESULT, "and ends with TR_RESULT");
	is_u64(ev[n - 1].pfn, p->pfn, "the result names the page returned");
	for (i = 0; i < n; i++)
		same &= ev[i].story == ev[0].story && ev[i].story;
	ok(same, "every event carries the story's id");
	ok(host_log_contains("trace: alloc order=0 gfp=GFP_ATOMIC cpu=0"),
	   "narration: the request");
	ok(host_log_contains("trace:   zone DMA32: watermark low"),
	   "narration: zone and watermark");
	ok(host_log_contains("pcp cpu0 DMA32: was empty, refilled 32 (batch 32)"),
	   "narration: refill");
	ok(host_log_contains("buddy DMA32: split order-"), "narration: buddy split");
	ok(host_log_contains("pcp cpu0 DMA32: hit (count 32 -> 31)"), "narration: pcp hit");
	ok(host_log_contains("from pcp"), "narration: the result and its source");
	__free_page(p);
}

/* An interrupt's allocation inside another one is a story of its own. */
static void test_nested_story(void)
{
	struct page *inner;
	unsigned int n, i, outer_ev = 0, inner_ev = 0;

	boot(MM_HOOK_TRACE_ALLOC, 0);
	trace_alloc_begin(GFP_KERNEL, 0, ZONE_DMA32);
	host_set_in_irq(true);
	inner = alloc_page(GFP_ATOMIC);
	host_set_in_irq(false);
	trace_alloc_end(NULL, 0);
	n = trace_ring_read(0, ev, TRACE_RING_SIZE);
	for (i = 0; i < n; i++) {
		outer_ev += ev[i].story == ev[0].story;
		inner_ev += ev[i].story != ev[0].story;
	}
	is_u64(outer_ev, 2, "the outer story has its begin and result only");
	ok(inner_ev >= 3, "the inner allocation's events are its own story (%u)", inner_ev);
	ok(host_log_contains("cpu=0 (in IRQ)"), "the inner story says it ran in IRQ context");
	ok(host_log_contains("-> NULL (allocation failed)"), "the outer story ends as told");
	__free_page(inner);
}

static void test_rate_limit(void)
{
	struct page *p[40];
	struct trace_stats s;
	int i;

	boot(MM_HOOK_TRACE_ALLOC, 20); /* 20 per 1000 ticks: 50 ticks apart, 20 at once */
	for (i = 0; i < 30; i++)
		p[i] = alloc_page(GFP_KERNEL);
	trace_stats(&s);
	is_u64(s.narrated, 20, "a burst of 20 stories is narrated");
	is_u64(s.suppressed_stories, 10, "the other 10 are counted, not printed");
	ok(s.suppressed_events >= 20, "with their events (%lu)", s.suppressed_events);
	ok(!host_log_contains("suppressed"), "nothing said about them yet");
	p[30] = alloc_page(GFP_KERNEL);
	trace_stats(&s);
	is_u64(s.narrated, 20, "no time passed: still suppressed");
	fake_now += 50;
	p[31] = alloc_page(GFP_KERNEL);
	trace_stats(&s);
	is_u64(s.narrated, 21, "one interval later, one more story");
	ok(host_log_contains(
	       "events suppressed (11 allocations/frees not narrated, trace_rate=20/s)"),
	   "and the suppressed count is reported first");
	is_u64(s.suppressed_stories, 0, "the count starts over");
	for (i = 0; i < 32; i++)
		__free_page(p[i]);
}

static void test_wraparound(void)
{
	struct page *p;
	unsigned int n, i;
	bool consecutive = true;

	boot(MM_HOOK_TRACE_ALLOC, 20);
	for (i = 0; i < 200; i++) {
		p = alloc_page(GFP_KERNEL);
		__free_page(p);
	}
	ok(recorded() > TRACE_RING_SIZE, "more events than the ring holds (%lu)", recorded());
	n = trace_ring_read(0, ev, TRACE_RING_SIZE);
	is_u64(n, TRACE_RING_SIZE, "the ring holds its size after wrapping");
	for (i = 1; i < n; i++)
		consecutive &= ev[i].seq == ev[i - 1].seq + 1;
	ok(consecutive, "oldest first, no gap");
	is_u64(ev[n - 1].seq, recorded(), "the newest event is the last one recorded");
	is_u64(ev[n - 1].type, TR_PCP_FREE, "the last free's push (recorded, not narrated)");
	is_u64(trace_ring_read(0, ev, 5), 5, "a shorter read gives the most recent");
	is_u64(ev[4].seq, recorded(), "ending at the newest");
}

static void test_free_and_merge(void)
{
	struct page *p, *q;

	boot(MM_HOOK_TRACE, 0);
	p = alloc_page(GFP_KERNEL);
	__free_page(p);
	ok(host_log_contains("trace: free order=0 pfn"), "trace=free: the free's story");
	ok(host_log_contains("pushed pfn"), "the page goes on this CPU's list");
	/* order 4: orders <= 3 go to the per-CPU lists (mm/pcp.c) */
	p = alloc_pages(GFP_KERNEL, 4); /* the smallest free block: its buddy may be in use */
	q = alloc_pages(GFP_KERNEL, 4); /* its buddy is p or free (split from a larger block) */
	__free_pages(p, 4);
	host_log_clear();
	__free_pages(q, 4);
	ok(host_log_contains("trace:   buddy DMA32: merged order 4 -> "), "an order-4 free merges");
}

static void test_dump(void)
{
	struct page *p;

	boot(MM_HOOK_TRACE_ALLOC, 20);
	p = alloc_page(GFP_ATOMIC);
	host_log_clear();
	trace_dump();
	ok(host_log_contains("---[ allocation trace: last events per CPU, oldest first ]---"),
	   "the dump has a header");
	ok(host_log_contains("cpu0: last "), "every CPU with events");
	ok(host_log_contains("alloc order=0 gfp=GFP_ATOMIC"), "the events decoded");
	ok(host_log_contains("---[ end allocation trace ]---"), "and an end marker");
	host_log_clear();
	trace_dump();
	ok(!host_log_contains("allocation trace"), "only once (a panic inside the dump)");
	__free_page(p);
}

/* Linux 6.1's %pGg names: composites first, then the remaining flags, unknown bits in hex. */
static void test_gfp_format(void)
{
	static const struct {
		gfp_t gfp;
		const char *want;
	} cases[] = {
		{ GFP_KERNEL, "GFP_KERNEL" },
		{ GFP_KERNEL | __GFP_NOWARN, "GFP_KERNEL|__GFP_NOWARN" },
		{ GFP_ATOMIC, "GFP_ATOMIC" },
		{ GFP_ATOMIC | __GFP_ZERO, "GFP_ATOMIC|__GFP_ZERO" },
		{ GFP_NOWAIT, "GFP_NOWAIT" },
		{ GFP_KERNEL | GFP_DMA32, "GFP_KERNEL|GFP_DMA32" },
		{ __GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM" },
		{ __GFP_RECLAIM | __GFP_IO, "__GFP_IO|__GFP_RECLAIM" },
		{ GFP_KERNEL | 0x40000000u, "GFP_KERNEL|0x40000000" },
		{ 0, "0" },
	};
	char buf[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		gfp_format(buf, sizeof(buf), cases[i].gfp);
		ok(!strcmp(buf, cases[i].want), "gfp %#x -> %s (got %s)", cases[i].gfp,
		   cases[i].want, buf);
	}
}

int main(void)
{
	test_gfp_format();
	host_log_quiet = true;
	test_off_records_nothing();
	test_parse();
	test_story_grouping();
	test_nested_story();
	test_rate_limit();
	test_wraparound();
	test_free_and_merge();
	test_dump();
	trace_reset();
	sim_mem_unmap();
	return done_testing();
}
