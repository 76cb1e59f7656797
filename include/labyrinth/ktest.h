/*
 * ktest.h - in-kernel tests that report KTAP over the serial console
 * (kernel/ktest.c runs them; tests/qemu/ reads the results).
 *
 * A suite is a named array of cases placed in the "ktests" section, so any
 * file can add one without a central list; the suites live in
 * tests/kernel/<unit>_test.c, one file per unit, suite name = unit name:
 *
 *   static void test_order0(struct ktest *t) { KEXPECT_TRUE(t, page != NULL); }
 *   KTEST_SUITE(buddy, KTEST_ORDER_BUDDY, KTEST_CASE(test_order0), ...);
 *
 * Suites run in dependency order (enum ktest_order below), lowest first, so
 * that when a layer breaks, its own suite fails before those built on it.
 *
 * Every suite runs unless the command line names a subset with
 * ktest=suite1,suite2 (ktest=none runs none). A case fails when any of its
 * expectations fails; a case may also skip itself with ktest_skip().
 */
#ifndef LABYRINTH_KTEST_H
#define LABYRINTH_KTEST_H

#include <labyrinth/compiler.h>
#include <labyrinth/types.h>

struct ktest {
	const char *name;
	unsigned int expectations;
	unsigned int failures;
	const char *skip_reason; /* non-NULL: the case was skipped */
};

struct ktest_case {
	const char *name;
	void (*run)(struct ktest *t);
};

/*
 * The order in which suites run: the layers from the bottom up. A new suite
 * takes the slot of the unit it tests (two suites may share a slot; they
 * then run in link order, i.e. by file name).
 */
enum ktest_order {
	KTEST_ORDER_BOOT_INFO,	/* what the boot path handed over */
	KTEST_ORDER_BUDDY,	/* zones and the buddy allocator */
	KTEST_ORDER_PCP,	/* per-CPU lists in front of it */
	KTEST_ORDER_NUMA,	/* nodes and their fallback order */
	KTEST_ORDER_POOL,	/* the Labyrinth pool */
	KTEST_ORDER_EXCLUSIVE,	/* __GFP_EXCLUSIVE pages */
	KTEST_ORDER_RECLAIM,	/* shrinkers (they free into all of the above) */
	KTEST_ORDER_COMPACTION, /* migration and compaction (move pages of all of the above) */
	KTEST_ORDER_FAULT,	/* fail_page_alloc (as MM_HOOK_FAULT): failure injection */
	KTEST_ORDER_VM,		/* the kernel's own page tables */
	KTEST_ORDER_TRAPS,	/* exceptions, fixups, symbols, the clock */
	KTEST_ORDER_SMP,	/* every CPU, IPIs, timers: last */
	KTEST_NR_ORDERS
};

struct ktest_suite {
	const char *name;
	enum ktest_order order;
	const struct ktest_case *cases;
	size_t nr_cases;
};

#define KTEST_CASE(fn)  \
	{               \
#fn, fn \
	}

/* sorder must be an enum ktest_order slot: a suite outside them would never run. */
#define KTEST_SUITE(sname, sorder, ...)                                                  \
	_Static_assert((sorder) >= 0 && (sorder) < KTEST_NR_ORDERS,                      \
		       "KTEST_SUITE " #sname ": order is not an enum ktest_order slot"); \
	static const struct ktest_case __ktest_cases_##sname[] = { __VA_ARGS__ };        \
	static const struct ktest_suite __ktest_suite_##sname __section("ktests")        \
	    __used __aligned(8) = { #sname, sorder, __ktest_cases_##sname,               \
				    ARRAY_SIZE(__ktest_cases_##sname) }

/* Records one expectation; prints a KTAP diagnostic when it fails. */
bool ktest_expect(struct ktest *t, bool cond, const char *file, int line, const char *fmt, ...)
    __printf(5, 6);
void ktest_skip(struct ktest *t, const char *reason);
/* Free-form KTAP diagnostic ("# ...") inside the current case. */
void ktest_log(struct ktest *t, const char *fmt, ...) __printf(2, 3);
/*
 * The same at printk level `level` (LOGLEVEL_ALERT...): a note that explains
 * a report the test provokes goes out at that report's level, so that no
 * loglevel= shows the report without its explanation.
 */
void ktest_log_level(struct ktest *t, int level, const char *fmt, ...) __printf(3, 4);

#define KEXPECT_TRUE(t, cond) ktest_expect(t, !!(cond), __FILE__, __LINE__, "%s", #cond)
#define KEXPECT_FALSE(t, cond) ktest_expect(t, !(cond), __FILE__, __LINE__, "!(%s)", #cond)
#define KEXPECT_EQ(t, a, b)                                                                       \
	({                                                                                        \
		u64 __a = (u64)(a), __b = (u64)(b);                                               \
		ktest_expect(t, __a == __b, __FILE__, __LINE__, "%s == %s: 0x%llx != 0x%llx", #a, \
			     #b, (unsigned long long)__a, (unsigned long long)__b);               \
	})
#define KEXPECT_NE(t, a, b)                                                                      \
	({                                                                                       \
		u64 __a = (u64)(a), __b = (u64)(b);                                              \
		ktest_expect(t, __a != __b, __FILE__, __LINE__, "%s != %s: both 0x%llx", #a, #b, \
			     (unsigned long long)__a);                                           \
	})

/* Runs the selected suites; returns the number of failed cases. */
unsigned int ktest_run_all(void);

#endif
