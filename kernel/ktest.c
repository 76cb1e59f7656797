/*
 * ktest.c - runs the in-kernel test suites and reports KTAP.
 *
 * Suites declare themselves with KTEST_SUITE (include/labyrinth/ktest.h);
 * the linker collects them between __start_ktests and __stop_ktests
 * (arch/x86_64/kernel.ld). The output is KTAP version 1, one subtest per
 * suite, read by tests/qemu/ from the serial log, and ends with the plain
 * line "ktest: N passed, M failed, K skipped".
 *
 * ktest= selects: all (default), none, list (print suite.case, one a line,
 * as KUnit's kunit.action=list, and run nothing), or a comma-separated list
 * of suite names. A name no suite has is an error that fails the boot: a
 * typo must not pass as "nothing failed".
 */
#define pr_fmt(fmt) fmt

#include <labyrinth/cmdline.h>
#include <labyrinth/ktest.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

extern const struct ktest_suite __start_ktests[], __stop_ktests[];

struct ktest_totals {
	unsigned int passed, failed, skipped;
};

bool ktest_expect(struct ktest *t, bool cond, const char *file, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	t->expectations++;
	if (cond)
		return true;
	t->failures++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk(KERN_ERR "        # %s: EXPECTATION FAILED at %s:%d\n", t->name, file, line);
	printk(KERN_ERR "        # %s\n", msg);
	return false;
}

void ktest_skip(struct ktest *t, const char *reason)
{
	t->skip_reason = reason;
}

void ktest_log_level(struct ktest *t, int level, const char *fmt, ...)
{
	char msg[256], lfmt[16];
	va_list ap;

	(void)t;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(lfmt, sizeof(lfmt), "%c%c        # %%s\n", KERN_SOH[0], '0' + (level & 7));
	printk(lfmt, msg);
}

void ktest_log(struct ktest *t, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	(void)t;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk(KERN_INFO "        # %s\n", msg);
}

/* True if name appears in the comma-separated list. */
static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && !strncmp(p, name, n))
			return true;
		p += len + (comma ? 1 : 0);
	}
	return false;
}

static bool suite_selected(const struct ktest_suite *s)
{
	const char *sel = param_str("ktest");

	return !strcmp(sel, "all") || in_list(sel, s->name);
}

static const struct ktest_suite *suite_by_name(const char *name, size_t len)
{
	for (const struct ktest_suite *s = __start_ktests; s < __stop_ktests; s++)
		if (strlen(s->name) == len && !strncmp(s->name, name, len))
			return s;
	return NULL;
}

/* Every name in ktest= is a suite (or the whole value is all/none/list);
 * else an error naming the first stranger. */
static bool selection_valid(const char *sel)
{
	if (!strcmp(sel, "all") || !strcmp(sel, "none") || !strcmp(sel, "list"))
		return true;
	for (const char *p = sel;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (!suite_by_name(p, len)) {
			pr_err("ktest: unknown suite '%.*s' in ktest=%s (ktest=list prints the "
			       "suites; all, none or names separated by commas)\n",
			       (int)len, p, sel);
			return false;
		}
		if (!comma)
			return true;
		p = comma + 1;
	}
}

/* ktest=list: suite.case, one a line, in the order they would run. */
static void list_suites(void)
{
	pr_info("ktest: suites and cases (ktest=<suite>[,<suite>...] runs some):\n");
	for (unsigned int order = 0; order < KTEST_NR_ORDERS; order++)
		for (const struct ktest_suite *s = __start_ktests; s < __stop_ktests; s++)
			if (s->order == order)
				for (size_t i = 0; i < s->nr_cases; i++)
					pr_info("%s.%s\n", s->name, s->cases[i].name);
	pr_info("ktest: the IRQ self-test (suite selftest) runs after them unless "
		"selftest=0\n");
}

/* Runs one suite as a KTAP subtest; returns true if no case failed. */
static bool run_suite(const struct ktest_suite *s, unsigned int nr, struct ktest_totals *tot)
{
	unsigned int failed = 0;

	printk(KERN_INFO "    KTAP version 1\n");
	printk(KERN_INFO "    # Subtest: %s\n", s->name);
	printk(KERN_INFO "    1..%zu\n", s->nr_cases);
	for (size_t i = 0; i < s->nr_cases; i++) {
		struct ktest t = { .name = s->cases[i].name };

		s->cases[i].run(&t);
		if (t.skip_reason && !t.failures) {
			tot->skipped++;
			printk(KERN_INFO "    ok %zu %s # SKIP %s\n", i + 1, t.name, t.skip_reason);
		} else if (t.failures || !t.expectations) {
			if (!t.expectations)
				printk(KERN_ERR "        # %s: checked nothing\n", t.name);
			failed++;
			tot->failed++;
			printk(KERN_ERR "    not ok %zu %s\n", i + 1, t.name);
		} else {
			tot->passed++;
			printk(KERN_INFO "    ok %zu %s\n", i + 1, t.name);
		}
	}
	printk(KERN_INFO "%s %u %s\n", failed ? "not ok" : "ok", nr, s->name);
	return failed == 0;
}

unsigned int ktest_run_all(void)
{
	struct ktest_totals tot = { 0 };
	unsigned int nr = 0, n = 0;
	const char *sel = param_str("ktest");

	if (!selection_valid(sel))
		return 1;
	if (!strcmp(sel, "list")) {
		list_suites();
		return 0;
	}
	for (const struct ktest_suite *s = __start_ktests; s < __stop_ktests; s++)
		nr += suite_selected(s);
	printk(KERN_INFO "KTAP version 1\n");
	printk(KERN_INFO "1..%u\n", nr);
	/* Dependency order (enum ktest_order), then link order. */
	for (unsigned int order = 0; order < KTEST_NR_ORDERS; order++)
		for (const struct ktest_suite *s = __start_ktests; s < __stop_ktests; s++)
			if (s->order == order && suite_selected(s))
				run_suite(s, ++n, &tot);
	printk(KERN_INFO "ktest: %u passed, %u failed, %u skipped\n", tot.passed, tot.failed,
	       tot.skipped);
	return tot.failed;
}
