/*
 * printk.h - the kernel's diagnostics: printk with Linux log levels,
 * pr_err/pr_warn/pr_info/pr_debug, WARN_ON, panic.
 *
 * In the kernel these are implemented by kernel/printk.c and kernel/panic.c
 * (serial console, TSC timestamps); in host builds by tests/host/lib/host_printk.c,
 * which lets unit tests assert on what mm/ reported.
 *
 * Each file may define pr_fmt before including this header to prefix its
 * messages with a subsystem name, e.g. #define pr_fmt(fmt) "mm: " fmt
 */
#ifndef LABYRINTH_PRINTK_H
#define LABYRINTH_PRINTK_H

#include <stdarg.h>
#include <labyrinth/compiler.h>

#define KERN_SOH "\001"
#define KERN_EMERG KERN_SOH "0"
#define KERN_ALERT KERN_SOH "1"
#define KERN_CRIT KERN_SOH "2"
#define KERN_ERR KERN_SOH "3"
#define KERN_WARNING KERN_SOH "4"
#define KERN_NOTICE KERN_SOH "5"
#define KERN_INFO KERN_SOH "6"
#define KERN_DEBUG KERN_SOH "7"
#define KERN_CONT KERN_SOH "c"

#define LOGLEVEL_DEFAULT 6 /* messages at or below this level are printed */

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif

__printf(1, 2) int printk(const char *fmt, ...);
int vprintk(const char *fmt, va_list ap);
extern int console_loglevel;

#define pr_emerg(fmt, ...) printk(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit(fmt, ...) printk(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...) printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...) printk(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...) printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...) printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_cont(fmt, ...) printk(KERN_CONT fmt, ##__VA_ARGS__)

/* Print at most once per call site (bounded console output in hot paths). */
#define pr_warn_once(fmt, ...)                       \
	({                                           \
		static bool __warned;                \
		if (!__warned) {                     \
			__warned = true;             \
			pr_warn(fmt, ##__VA_ARGS__); \
		}                                    \
	})

__noreturn __printf(1, 2) void panic(const char *fmt, ...);
void __warn(const char *file, int line, const char *cond);

/* Report and go on: prefer WARN_ON to BUG_ON. Evaluates to the condition. */
#define WARN_ON(cond)                                      \
	({                                                 \
		bool __c = !!(cond);                       \
		if (unlikely(__c))                         \
			__warn(__FILE__, __LINE__, #cond); \
		__c;                                       \
	})

#define WARN_ON_ONCE(cond)                                 \
	({                                                 \
		static bool __once;                        \
		bool __c = !!(cond);                       \
		if (unlikely(__c) && !__once) {            \
			__once = true;                     \
			__warn(__FILE__, __LINE__, #cond); \
		}                                          \
		__c;                                       \
	})

/* For states the kernel cannot continue from. */
#define BUG_ON(cond)                                                          \
	do {                                                                  \
		if (unlikely(cond))                                           \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

#endif
