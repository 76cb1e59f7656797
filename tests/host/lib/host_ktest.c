/*
 * host_ktest.c - the in-kernel KTAP test API (include/labyrinth/ktest.h) on
 * the host, so suites written for the kernel (e.g. tests/kernel/buddy_test.c) also run in
 * host tests over simulated memory. Each case becomes one TAP line; failed
 * expectations are TAP comments. The kernel's runner is kernel/ktest.c.
 */
#include <stdarg.h>
#include <string.h>

#include <labyrinth/ktest.h>
#include "../host.h"
#include "host_ktest.h"

bool ktest_expect(struct ktest *t, bool cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	t->expectations++;
	if (cond)
		return true;
	t->failures++;
	printf("# %s: EXPECTATION FAILED at %s:%d: ", t->name, file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return false;
}

void ktest_skip(struct ktest *t, const char *reason)
{
	t->skip_reason = reason;
}

void ktest_log(struct ktest *t, const char *fmt, ...)
{
	va_list ap;

	printf("# %s: ", t->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void ktest_log_level(struct ktest *t, int level, const char *fmt, ...)
{
	va_list ap;

	(void)level;
	printf("# %s: ", t->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

unsigned int ktest_run_all(void)
{
	return host_ktest_run_all();
}
