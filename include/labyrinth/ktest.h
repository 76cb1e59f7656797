/*
 * ktest.h - in-kernel tests that report KTAP over the serial console
 * (kernel/ktest.c runs them; tests/qemu/ reads the results).
 *
 * A suite is a named array of cases placed in the "ktests" section, so any
 * file can add one without a central list:
 *
 *   static void test_order0(struct ktest *t) { KEXPECT_TRUE(t, page != NULL); }
 *   KTEST_SUITE(buddy, KTEST_CASE(test_order0), ...);
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

struct ktest_suite {
	const char *name;
	const struct ktest_case *cases;
	size_t nr_cases;
};

#define KTEST_CASE(fn)  \
	{               \
#fn, fn \
	}

#define KTEST_SUITE(sname, ...)                                                   \
	static const struct ktest_case __ktest_cases_##sname[] = { __VA_ARGS__ }; \
	static const struct ktest_suite __ktest_suite_##sname __section("ktests") \
	    __used __aligned(8) = { #sname, __ktest_cases_##sname,                \
				    ARRAY_SIZE(__ktest_cases_##sname) }

/* Records one expectation; prints a KTAP diagnostic when it fails. */
bool ktest_expect(struct ktest *t, bool cond, const char *file, int line, const char *fmt, ...)
    __printf(5, 6);
void ktest_skip(struct ktest *t, const char *reason);
/* Free-form KTAP diagnostic ("# ...") inside the current case. */
void ktest_log(struct ktest *t, const char *fmt, ...) __printf(2, 3);

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
