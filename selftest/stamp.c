/*
 * stamp.c - the stamp every page of an IRQ-allocated block carries, and
 * the checks made on it. The timer hook (irq.c) writes, at the head of each
 * page, the stamping CPU, its sequence number, the order, the page's index
 * and a pattern derived from them, and the pattern's complement in the
 * page's last 8 bytes; the consumer (consumer.c) checks every page when it
 * pops or receives the block, and checks that an exclusive page is still
 * this CPU's and mapped supervisor-only and NX. What does not hold is
 * counted in the CPU's `bad` (the first few printed); verify.c wants none.
 */
#define pr_fmt(fmt) "selftest: " fmt

#include <labyrinth/printk.h>
#include <labyrinth/vm.h>

#include <asm/extable.h>

#include "internal.h"

#define ST_MAGIC 0x4c414259u /* "LABY" */
#define BAD_REPORTS 8	     /* stamp errors printed in full */

static u64 st_pattern(unsigned int cpu, u64 seq, unsigned int order, unsigned int index)
{
	u64 s = (seq << 16) ^ ((u64)cpu << 8) ^ (order << 4) ^ index ^ 0x9e3779b97f4a7c15ull;

	return st_rng_next(&s);
}

/* IRQ context: the hook's freshly allocated block. */
void st_stamp_block(struct page *page, unsigned int order, unsigned int cpu, u64 seq)
{
	for (unsigned int i = 0; i < (1u << order); i++) {
		u8 *p = (u8 *)page_address(page) + i * PAGE_SIZE;
		struct st_stamp *s = (struct st_stamp *)p;

		*s = (struct st_stamp){ ST_MAGIC, (u8)cpu, (u8)order,
					(u16)i,	  seq,	   st_pattern(cpu, seq, order, i) };
		*(u64 *)(p + PAGE_SIZE - 8) = ~s->pattern;
	}
}

void st_report_bad(struct st_cpu *c, struct page *page, unsigned int i, const char *why)
{
	if (c->bad++ < BAD_REPORTS)
		pr_err("CPU %u: pfn %#lx page %u: %s\n", arch_cpu_id(), page_to_pfn(page), i, why);
}

/* Checks the stamp of every page of a block; from = the stamping CPU, or
 * NR_CPUS for "any". */
void st_check_stamps(struct st_cpu *c, struct page *page, unsigned int order, unsigned int from)
{
	const struct st_stamp *s0 = page_address(page);

	c->checked++;
	for (unsigned int i = 0; i < (1u << order); i++) {
		const u8 *p = (const u8 *)page_address(page) + i * PAGE_SIZE;
		const struct st_stamp *s = (const struct st_stamp *)p;

		if (s->magic != ST_MAGIC || s->order != order || s->index != i ||
		    s->seq != s0->seq || (from < NR_CPUS && s->cpu != from))
			st_report_bad(c, page, i, "stamp header corrupted");
		else if (s->pattern != st_pattern(s->cpu, s->seq, order, i) ||
			 *(const u64 *)(p + PAGE_SIZE - 8) != ~s->pattern)
			st_report_bad(c, page, i, "stamp pattern corrupted");
	}
}

/* An exclusive page: ours, and mapped supervisor-only and NX. */
void st_check_exclusive(struct st_cpu *c, struct page *page, unsigned int cpu)
{
	unsigned int flags = 0, level = 0;
	phys_addr_t pa = 0;

	c->excl_checked++;
	if (!page_is_exclusive(page) || page->owner != cpu) {
		c->excl_bad++;
		st_report_bad(c, page, 0, "not exclusive to this CPU");
	} else if (!vm_translate((u64)page_address(page), &pa, &flags, &level) ||
		   pa != page_to_phys(page) || (flags & (VM_USER | VM_EXEC))) {
		c->excl_bad++;
		st_report_bad(c, page, 0, "exclusive page mapped user or executable");
	}
}

static int st_touch_result; /* 1: the foreign read went through, 0: it faulted */

/* The foreign touch, on the other CPU in its IPI handler: a probed read. */
static void st_touch_foreign(void *arg)
{
	u8 v;

	WRITE_ONCE(st_touch_result, probe_read_u8(page_address(arg), &v) ? 1 : 0);
}

/*
 * One deliberate foreign touch of an exclusive page, while the timer
 * handlers allocate: another CPU reads it through a probe; with PKS it is
 * reported ("exclusive page pfn ... touched by CPU ...") and survived.
 * Process context, GFP_KERNEL: not one of the counted atomic allocations.
 */
void st_exclusive_foreign_touch(struct ktest *t)
{
	struct page *page;
	struct exclusive_stats s0, s1;
	unsigned int me = arch_cpu_id(), other = me;

	/* the next online CPU with another key (more CPUs than keys: some share one) */
	do
		other = (other + 1) % NR_CPUS;
	while (other != me && !(cpu_online(other) && exclusive_cpus_isolated(me, other)));
	if (other == me) {
		pr_info("exclusive: foreign touch SKIP: %s\n",
			!exclusive_isolated() ? "no PKS, pages not isolated"
			: num_online_cpus() == 1
			    ? "one CPU"
			    : "every other CPU shares this CPU's protection key, no isolation");
		return;
	}
	page = alloc_page(GFP_KERNEL | __GFP_EXCLUSIVE);
	KEXPECT_TRUE(t, page != NULL);
	if (!page)
		return;
	exclusive_get_stats(&s0);
	ktest_log_level(t, LOGLEVEL_ERR,
			"a deliberate foreign touch follows: CPU %u reads CPU %u's page, one "
			"'exclusive page ... touched by' report (expected)",
			other, arch_cpu_id());
	st_touch_result = 2; /* neither outcome */
	smp_call_function_single(other, st_touch_foreign, page, true);
	exclusive_get_stats(&s1);
	KEXPECT_EQ(t, st_touch_result, 0); /* the read faulted */
	KEXPECT_EQ(t, s1.violations, s0.violations + 1);
	pr_info("exclusive: foreign touch %s\n",
		st_touch_result == 0 ? "reported and survived" : "NOT caught");
	__free_page(page);
}
