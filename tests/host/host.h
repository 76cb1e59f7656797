/*
 * host.h - what host tests share: a minimal TAP producer (for prove) and
 * access to what generic code printed (tests/host/lib/host_printk.c).
 *
 *   plan(n); ok(cond, "name %d", i); is_u64(got, want, "name"); done_testing();
 *
 * Randomized tests take their seed from the environment (LAB_SEED) or the
 * first argument, and print it as a TAP comment so any failure reproduces.
 */
#ifndef TESTS_HOST_HOST_H
#define TESTS_HOST_HOST_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

bool host_log_contains(const char *needle);
void host_log_clear(void);
unsigned int host_warn_count(void);
extern bool host_log_quiet;
extern unsigned long host_ipi_count; /* "IPIs" sent (tests/host/lib/host_smp.c) */

static unsigned int tap_n, tap_failed, tap_planned;

static inline void plan(unsigned int n)
{
	tap_planned = n;
	printf("1..%u\n", n);
}

static inline __attribute__((format(printf, 2, 3))) bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %u - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

#define is_u64(got, want, ...)                                                                     \
	({                                                                                         \
		uint64_t __g = (uint64_t)(got), __w = (uint64_t)(want);                            \
		bool __r = ok(__g == __w, __VA_ARGS__);                                            \
		if (!__r)                                                                          \
			printf("#   got 0x%" PRIx64 " (%" PRIu64 "), want 0x%" PRIx64 " (%" PRIu64 \
			       ") at %s:%d\n",                                                     \
			       __g, __g, __w, __w, __FILE__, __LINE__);                            \
		__r;                                                                               \
	})

/* Ends the test: prints the plan if none was given, exit status for prove. */
static inline int done_testing(void)
{
	if (!tap_planned)
		printf("1..%u\n", tap_n);
	return tap_failed || (tap_planned && tap_planned != tap_n) ? 1 : 0;
}

/* The seed of a randomized test: LAB_SEED, else argv[1], else the clock. */
static inline uint64_t test_seed(int argc, char **argv)
{
	const char *s = getenv("LAB_SEED");
	uint64_t seed;

	if (!s && argc > 1)
		s = argv[1];
	seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
	printf("# seed %" PRIu64 " (rerun with LAB_SEED=%" PRIu64 ")\n", seed, seed);
	return seed;
}

#endif
