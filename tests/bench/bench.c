/*
 * bench.c - the host benchmark's main program (tests/bench/bench.h): TSC
 * calibration against CLOCK_MONOTONIC, sample statistics, the results list,
 * and the output: a table on the terminal and a JSON file (argv[1], default
 * build/bench.json) that tools/bench-report.py turns into
 * docs/BENCHMARKS.md.
 *
 * Order of a run: baselines first (every later figure is printed as a ratio
 * to them), then the mm/ cases over a 1 GiB QEMU-style map, the per-CPU
 * cases when mm/pcp.c exists, metadata, and last the init cases (they
 * replace the simulated memory).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>

#include <labyrinth/arch.h>
#include <labyrinth/compiler.h>
#include "bench.h"

static struct bench_result results[BENCH_MAX_RESULTS];
static size_t nr_results;
static char params[32][2][96];
static size_t nr_params;
static double tsc_ghz;
static uint64_t tsc_overhead;
static char cpu_model[128] = "unknown";

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

bool bench_quick(void)
{
	const char *q = getenv("BENCH_QUICK");

	return q && *q && *q != '0';
}

size_t bench_samples(void)
{
	return bench_quick() ? BENCH_QUICK_SAMPLES : BENCH_SAMPLES;
}

/* TSC ticks per ns: the better of three 20 ms windows against the clock. */
static void calibrate_tsc(void)
{
	double best = 0;

	for (int i = 0; i < 3; i++) {
		double t0 = bench_now_ns(), t1;
		uint64_t c0 = bench_tsc_begin(), c1;

		do
			t1 = bench_now_ns();
		while (t1 - t0 < 20e6);
		c1 = bench_tsc_end();
		if (best == 0 || (double)(c1 - c0) / (t1 - t0) < best)
			best = (double)(c1 - c0) / (t1 - t0);
	}
	tsc_ghz = best;
}

/* The cost of an empty timed region: the minimum over many tries. */
static void measure_overhead(void)
{
	uint64_t best = ~0ull;

	for (int i = 0; i < 10000; i++) {
		uint64_t t0 = bench_tsc_begin();
		uint64_t t1 = bench_tsc_end();

		if (t1 - t0 < best)
			best = t1 - t0;
	}
	tsc_overhead = best;
}

double bench_tsc_ghz(void)
{
	return tsc_ghz;
}

uint64_t bench_tsc_overhead(void)
{
	return tsc_overhead;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void bench_stats(double *samples, size_t n, struct bench_stats *st)
{
	qsort(samples, n, sizeof(*samples), cmp_double);
	st->min = samples[0];
	st->median = samples[n / 2];
	st->p99 = samples[(size_t)((double)(n - 1) * 0.99)];
	st->max = samples[n - 1];
	st->samples = n;
}

void bench_time_loop(bench_loop_fn fn, void *arg, unsigned long batch, size_t samples,
		     struct bench_stats *st)
{
	double *s = malloc(samples * sizeof(*s));

	for (size_t i = 0; i < samples / 10 + 10; i++) /* warm-up: caches, branches */
		fn(arg, batch);
	for (size_t i = 0; i < samples; i++) {
		uint64_t t0 = bench_tsc_begin();

		fn(arg, batch);
		uint64_t t1 = bench_tsc_end();
		uint64_t d = t1 - t0 > tsc_overhead ? t1 - t0 - tsc_overhead : 0;

		s[i] = (double)d / (double)batch;
	}
	bench_stats(s, samples, st);
	st->batch = batch;
	free(s);
}

static struct bench_result *new_result(const char *key, const char *name, const char *unit)
{
	struct bench_result *r;

	if (nr_results == BENCH_MAX_RESULTS) {
		fprintf(stderr, "bench: too many results (raise BENCH_MAX_RESULTS)\n");
		exit(2);
	}
	r = &results[nr_results++];
	memset(r, 0, sizeof(*r));
	snprintf(r->key, sizeof(r->key), "%s", key);
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	return r;
}

struct bench_result *bench_report(const char *key, const char *name, const char *unit,
				  const struct bench_stats *st)
{
	struct bench_result *r = new_result(key, name, unit);

	r->timed = true;
	r->st = *st;
	r->value = st->median;
	r->vs_baseline = true;
	return r;
}

struct bench_result *bench_report_value(const char *key, const char *name, const char *unit,
					double value)
{
	struct bench_result *r = new_result(key, name, unit);

	r->value = value;
	return r;
}

struct bench_result *bench_find(const char *key)
{
	for (size_t i = 0; i < nr_results; i++)
		if (!strcmp(results[i].key, key))
			return &results[i];
	return NULL;
}

void bench_target(struct bench_result *r, enum bench_sense sense, double target)
{
	r->has_target = true;
	r->sense = sense;
	r->target = target;
}

void bench_note(struct bench_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->note, sizeof(r->note), fmt, ap);
	va_end(ap);
}

void bench_param(const char *key, const char *fmt, ...)
{
	va_list ap;

	if (nr_params == ARRAY_SIZE(params))
		return;
	snprintf(params[nr_params][0], sizeof(params[0][0]), "%s", key);
	va_start(ap, fmt);
	vsnprintf(params[nr_params][1], sizeof(params[0][1]), fmt, ap);
	va_end(ap);
	nr_params++;
}

static unsigned int host_cpus;

/* The CPUs the process may use, as found before main() pinned itself. */
unsigned int bench_host_cpus(void)
{
	cpu_set_t set;

	if (host_cpus)
		return host_cpus;
	host_cpus = 1;
	if (!sched_getaffinity(0, sizeof(set), &set))
		host_cpus = (unsigned int)CPU_COUNT(&set);
	return host_cpus;
}

void bench_pin(unsigned int cpu)
{
	cpu_set_t set;

	host_set_cpu(cpu);
	if (bench_host_cpus() <= cpu)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set); /* best effort */
}

/* Other work on the machine skews the two-CPU case most: say how much. */
static void note_load(void)
{
	char buf[64] = "";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f && fgets(buf, sizeof(buf), f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
	bench_param("loadavg_at_start", "%s", buf);
}

static void read_cpu_model(void)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		snprintf(cpu_model, sizeof(cpu_model), "%s", colon + 2);
		cpu_model[strcspn(cpu_model, "\n")] = '\0';
		break;
	}
	fclose(f);
}

/* ---- output ---- */

static bool target_met(const struct bench_result *r)
{
	return r->sense == BENCH_AT_MOST ? r->value <= r->target : r->value >= r->target;
}

static double baseline_median(const char *key)
{
	const struct bench_result *b = bench_find(key);

	return b && b->timed ? b->st.median : 0;
}

static void format_target(const struct bench_result *r, char *buf, size_t len)
{
	if (!r->has_target) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%s %g %s", r->sense == BENCH_AT_MOST ? "<=" : ">=", r->target,
		 target_met(r) ? "met" : "MISSED");
}

static void format_ratios(const struct bench_result *r, char *buf, size_t len)
{
	double g = baseline_median("glibc_pair"), j = baseline_median("jemalloc_pair");
	double f = baseline_median("freelist_pair");

	if (!r->vs_baseline || !g || !j || !f || !strncmp(r->key, "glibc", 5) ||
	    !strncmp(r->key, "jemalloc", 8) || !strncmp(r->key, "freelist", 8)) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%.2f / %.2f / %.1f", r->value / g, r->value / j, r->value / f);
}

static void print_row(const struct bench_result *r)
{
	char tgt[40], ratio[40];

	format_target(r, tgt, sizeof(tgt));
	format_ratios(r, ratio, sizeof(ratio));
	if (r->timed)
		printf("%-44s %8.1f %8.1f %9.0f %8.1f  %-6s %-18s %s\n", r->name, r->st.median,
		       r->st.p99, r->st.max, r->st.median / tsc_ghz, r->unit, tgt, ratio);
	else
		printf("%-44s %8.2f %8s %9s %8s  %-6s %-18s %s\n", r->name, r->value, "", "", "",
		       r->unit, tgt, ratio);
	if (r->note[0])
		printf("    %s\n", r->note);
}

static void print_table(void)
{
	printf("\n%-44s %8s %8s %9s %8s  %-6s %-18s %s\n", "case", "median", "p99", "max", "med ns",
	       "per", "target", "x glibc / jemalloc / floor");
	for (size_t i = 0; i < nr_results; i++)
		print_row(&results[i]);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_result(FILE *f, const struct bench_result *r)
{
	fprintf(f, "    {\"key\": ");
	json_string(f, r->key);
	fprintf(f, ", \"name\": ");
	json_string(f, r->name);
	fprintf(f, ", \"unit\": ");
	json_string(f, r->unit);
	fprintf(f, ", \"timed\": %s, \"value\": %.3f", r->timed ? "true" : "false", r->value);
	if (r->timed)
		fprintf(f,
			", \"median\": %.3f, \"p99\": %.3f, \"max\": %.3f, \"min\": %.3f, "
			"\"median_ns\": %.3f, \"samples\": %zu, \"batch\": %lu",
			r->st.median, r->st.p99, r->st.max, r->st.min, r->st.median / tsc_ghz,
			r->st.samples, r->st.batch);
	if (r->has_target)
		fprintf(f, ", \"target\": %g, \"sense\": \"%s\", \"met\": %s", r->target,
			r->sense == BENCH_AT_MOST ? "at_most" : "at_least",
			target_met(r) ? "true" : "false");
	fprintf(f, ", \"vs_baseline\": %s, \"note\": ", r->vs_baseline ? "true" : "false");
	json_string(f, r->note);
	fprintf(f, "}");
}

static void write_json(const char *path)
{
	FILE *f = fopen(path, "w");
	struct utsname u;

	if (!f) {
		perror(path);
		return;
	}
	uname(&u);
	fprintf(f, "{\n  \"machine\": {\"cpu\": ");
	json_string(f, cpu_model);
	fprintf(f, ", \"cpus\": %u, \"tsc_ghz\": %.4f, \"tsc_overhead\": %llu, \"kernel\": ",
		bench_host_cpus(), tsc_ghz, (unsigned long long)tsc_overhead);
	json_string(f, u.release);
	fprintf(f, ", \"compiler\": ");
	json_string(f, "gcc " __VERSION__);
	fprintf(f, ", \"date\": %lld},\n  \"params\": {", (long long)time(NULL));
	for (size_t i = 0; i < nr_params; i++) {
		fprintf(f, "%s", i ? ", " : "");
		json_string(f, params[i][0]);
		fprintf(f, ": ");
		json_string(f, params[i][1]);
	}
	fprintf(f, "},\n  \"results\": [\n");
	for (size_t i = 0; i < nr_results; i++) {
		json_result(f, &results[i]);
		fprintf(f, "%s\n", i + 1 < nr_results ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	fclose(f);
	printf("\nbench: wrote %s\n", path);
}

static void print_header(void)
{
	printf("Labyrinth host benchmarks\n");
	printf("  CPU: %s, %u host CPUs, TSC %.3f GHz (vs CLOCK_MONOTONIC)\n", cpu_model,
	       bench_host_cpus(), tsc_ghz);
	printf("  timing: lfence;rdtsc;lfence .. rdtscp;lfence, empty region %llu cycles "
	       "(subtracted)\n",
	       (unsigned long long)tsc_overhead);
	for (size_t i = 0; i < nr_params; i++)
		printf("  %s: %s\n", params[i][0], params[i][1]);
}

int main(int argc, char **argv)
{
	const char *json = argc > 1 ? argv[1] : "build/bench.json";
	double t0 = bench_now_ns();

	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_host_cpus();
	bench_pin(0);
	read_cpu_model();
	note_load();
	calibrate_tsc();
	measure_overhead();
	bench_param("samples", "%zu per case (after %zu warm-up batches)", bench_samples(),
		    bench_samples() / 10 + 10);
	bench_param("per_cpu_lists", "%s", bench_pcp_run ? "built (mm/pcp.c)" : "not yet in mm/");
	bench_param("labyrinth_pool", "%s", bench_pool_run ? "built" : "not yet in mm/");
	bench_baselines_run();
	bench_mm_run();
	if (bench_pcp_run)
		bench_pcp_run();
	if (bench_pool_run)
		bench_pool_run();
	bench_metadata_run();
	bench_init_run();
	print_header();
	print_table();
	write_json(json);
	printf("bench: %.1f s\n", (bench_now_ns() - t0) / 1e9);
	return 0;
}
