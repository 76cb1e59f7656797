/*
 * bench_baseline.c - what a programmer would otherwise reach for, timed the
 * same way in the same run, so that every mm/ figure can be printed as a
 * ratio to it:
 *   glibc      aligned_alloc(4096, 4096) + free
 *   jemalloc   mallocx(4096, MALLOCX_ALIGN(4096)) + dallocx (page-sized)
 *   floor      a bare singly linked free list: pop + push, each an
 *              out-of-line call like alloc_pages()/__free_pages()
 *
 * Debian's libjemalloc exports unprefixed malloc/free: linking it with
 * -ljemalloc would replace glibc's malloc for the whole process (the glibc
 * baseline would then measure jemalloc), and dlopen() of it fails ("cannot
 * allocate memory in static TLS block": it uses initial-exec TLS). So
 * tests/bench/bench.mk links a copy of its static PIC archive whose public
 * entry points objcopy renamed to bench_je_* (mallocx -> bench_je_mallocx):
 * glibc's malloc stays glibc's. Weak here: without the archive the jemalloc
 * baseline is skipped. The same pair loop is used for all three.
 */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "bench.h"

#define PAIR_BATCH 64
#define FLOOR_NODES 256

void *bench_je_mallocx(size_t size, int flags) __attribute__((weak));
void bench_je_dallocx(void *ptr, int flags) __attribute__((weak));
static int je_flags;

static void glibc_pairs(void *arg, unsigned long n)
{
	(void)arg;
	for (unsigned long i = 0; i < n; i++) {
		void *p = aligned_alloc(4096, 4096);

		__asm__ volatile("" : : "r"(p) : "memory");
		free(p);
	}
}

static void jemalloc_pairs(void *arg, unsigned long n)
{
	(void)arg;
	for (unsigned long i = 0; i < n; i++) {
		void *p = bench_je_mallocx(4096, je_flags);

		__asm__ volatile("" : : "r"(p) : "memory");
		bench_je_dallocx(p, je_flags);
	}
}

/* jemalloc's MALLOCX_ALIGN(a) is lg(a) in the flags' low bits. */
static bool jemalloc_present(void)
{
	if (!bench_je_mallocx || !bench_je_dallocx) {
		fprintf(stderr, "bench: jemalloc baseline skipped: no libjemalloc_pic.a\n");
		return false;
	}
	je_flags = ffs(4096) - 1;
	return true;
}

struct floor_node {
	struct floor_node *next;
};

static struct floor_node floor_nodes[FLOOR_NODES];
static struct floor_node *floor_head;

static __attribute__((noinline)) struct floor_node *floor_pop(void)
{
	struct floor_node *n = floor_head;

	floor_head = n->next;
	return n;
}

static __attribute__((noinline)) void floor_push(struct floor_node *n)
{
	n->next = floor_head;
	floor_head = n;
}

static void floor_pairs(void *arg, unsigned long n)
{
	(void)arg;
	for (unsigned long i = 0; i < n; i++)
		floor_push(floor_pop());
}

static void report_pair(const char *key, const char *name, bench_loop_fn fn, const char *note)
{
	struct bench_stats st;
	struct bench_result *r;

	bench_time_loop(fn, NULL, PAIR_BATCH, bench_samples(), &st);
	r = bench_report(key, name, "pair", &st);
	r->vs_baseline = false;
	bench_note(r, "%s", note);
}

void bench_baselines_run(void)
{
	for (int i = 0; i < FLOOR_NODES; i++)
		floor_push(&floor_nodes[i]);
	report_pair("glibc_pair", "baseline: glibc aligned_alloc(4096,4096)+free", glibc_pairs, "");
	if (jemalloc_present())
		report_pair("jemalloc_pair", "baseline: jemalloc mallocx(4096, align 4K)+dallocx",
			    jemalloc_pairs, "Debian libjemalloc_pic.a, entry points renamed");
	report_pair("freelist_pair", "floor: bare free list pop+push", floor_pairs,
		    "two out-of-line calls, no lock, no checks");
}
