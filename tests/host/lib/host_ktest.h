/*
 * host_ktest.h - run in-kernel KTAP suites (include/labyrinth/ktest.h) from
 * a host test: each case is one TAP line of the including test (this is a
 * header so that it shares the test's TAP counter from host.h). The
 * expectation functions are in host_ktest.c.
 */
#ifndef TESTS_HOST_HOST_KTEST_H
#define TESTS_HOST_HOST_KTEST_H

#include <string.h>

#include <labyrinth/ktest.h>
#include "../host.h"

extern const struct ktest_suite __start_ktests[] __attribute__((weak));
extern const struct ktest_suite __stop_ktests[] __attribute__((weak));

/*
 * Runs every suite linked into the test (the Makefile's KTEST_HOST_C: the
 * suites of generic code), in the kernel's dependency order; returns the
 * number of failed cases.
 */
static inline unsigned int host_ktest_run_all(void)
{
	const struct ktest_suite *s;
	unsigned int failed = 0, order;
	size_t i;

	for (order = 0; order < KTEST_NR_ORDERS; order++)
		for (s = __start_ktests; s && s < __stop_ktests; s++) {
			if (s->order != order)
				continue;
			for (i = 0; i < s->nr_cases; i++) {
				struct ktest t = { .name = s->cases[i].name };

				s->cases[i].run(&t);
				if (t.skip_reason)
					ok(true, "%s.%s # SKIP %s", s->name, t.name, t.skip_reason);
				else if (!ok(!t.failures, "%s.%s (%u expectations)", s->name,
					     t.name, t.expectations))
					failed++;
			}
		}
	return failed;
}

#endif
