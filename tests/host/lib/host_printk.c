/*
 * host_printk.c - printk, panic and __warn for host builds of generic code.
 *
 * Messages go to stdout as TAP comments ("# ..."), so they never break a
 * TAP stream, and the most recent ones are kept in a buffer that tests
 * inspect with host_log_contains() (e.g. to check that a bad free was
 * reported with its named reason). panic() ends the test with "Bail out!".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include <labyrinth/printk.h>
#include "../host.h"

int console_loglevel = 7;
bool host_log_quiet;

static char log_buf[64 * 1024];
static size_t log_len;
static unsigned int warn_count;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void log_append(const char *s)
{
	size_t n = strlen(s);

	if (n >= sizeof(log_buf))
		return;
	if (log_len + n >= sizeof(log_buf)) {
		/* Keep the newer half. */
		size_t keep = sizeof(log_buf) / 2;

		memmove(log_buf, log_buf + log_len - keep, keep);
		log_len = keep;
	}
	memcpy(log_buf + log_len, s, n + 1);
	log_len += n;
}

int vprintk(const char *fmt, va_list ap)
{
	char line[1024];
	const char *text = fmt;
	int level = LOGLEVEL_DEFAULT;
	int n;

	if (fmt[0] == KERN_SOH[0] && fmt[1]) {
		level = fmt[1] >= '0' && fmt[1] <= '7' ? fmt[1] - '0' : level;
		text = fmt + 2;
	}
	n = vsnprintf(line, sizeof(line), text, ap);
	pthread_mutex_lock(&log_lock);
	log_append(line);
	if (!host_log_quiet && level <= console_loglevel) {
		fputs("# ", stdout);
		fputs(line, stdout);
		if (n > 0 && line[strlen(line) - 1] != '\n')
			fputc('\n', stdout);
	}
	pthread_mutex_unlock(&log_lock);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

void __warn(const char *file, int line, const char *cond)
{
	__atomic_fetch_add(&warn_count, 1, __ATOMIC_RELAXED);
	printk(KERN_WARNING "WARNING: at %s:%d: %s\n", file, line, cond);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! Kernel panic - not syncing: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	abort();
}

bool host_log_contains(const char *needle)
{
	bool found;

	pthread_mutex_lock(&log_lock);
	found = strstr(log_buf, needle) != NULL;
	pthread_mutex_unlock(&log_lock);
	return found;
}

void host_log_clear(void)
{
	pthread_mutex_lock(&log_lock);
	log_len = 0;
	log_buf[0] = '\0';
	pthread_mutex_unlock(&log_lock);
}

unsigned int host_warn_count(void)
{
	return __atomic_load_n(&warn_count, __ATOMIC_RELAXED);
}
