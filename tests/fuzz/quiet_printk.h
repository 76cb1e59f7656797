/*
 * quiet_printk.h - the kernel's printk, warning and panic hooks for a
 * fuzzing harness: nothing printed (the fuzzer's output stays readable),
 * panic() aborts so that libFuzzer reports it. Included once per harness.
 */
#ifndef TESTS_FUZZ_QUIET_PRINTK_H
#define TESTS_FUZZ_QUIET_PRINTK_H

#include <stdarg.h>
#include <stdlib.h>

int console_loglevel = 0;
int vprintk(const char *fmt, va_list ap)
{
	(void)fmt;
	(void)ap;
	return 0;
}
int printk(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}
void __warn(const char *file, int line, const char *cond)
{
	(void)file;
	(void)line;
	(void)cond;
}
void panic(const char *fmt, ...)
{
	(void)fmt;
	abort();
}

#endif
