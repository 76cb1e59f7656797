/*
 * printk.c - the kernel log: printk() with Linux's levels and timestamps.
 *
 * Each line goes to the serial console (arch_console_write, in
 * arch/x86_64/serial.c) as "[    0.001234] text", the time taken from the
 * TSC (arch_clock_ns, arch/x86_64/tsc.c). Messages above console_loglevel
 * (the loglevel= parameter, kernel/params.c) are dropped. Lines from
 * several CPUs never interleave: the console lock is IRQ-safe, and once a
 * panic is in progress (kernel/panic.c) the lock is no longer waited for.
 */
#include <labyrinth/arch.h>
#include <labyrinth/printk.h>
#include <labyrinth/spinlock.h>
#include <labyrinth/string.h>

int console_loglevel = LOGLEVEL_DEFAULT;
bool oops_in_progress;

static spinlock_t console_lock = SPINLOCK_INIT;
static bool line_open; /* the last message did not end in '\n' */

/*
 * The last LOG_BUF_LEN bytes the console printed, timestamps included, as
 * Linux's __log_buf: a debugger reads it from a hung kernel whose serial
 * output is lost (tools/gdb/labyrinth.py lab-dmesg). Unlike Linux's, it
 * holds only what passed console_loglevel. log_buf_pos counts every byte
 * ever written: the oldest is at log_buf_pos % LOG_BUF_LEN once it wrapped.
 */
#define LOG_BUF_LEN (1u << 16)
/* Global, and declared nowhere: no C code reads them (a static array only
 * written could be dropped by the compiler); gdb does, by name. */
char log_buf[LOG_BUF_LEN];
u64 log_buf_pos;

/* To the ring, then the console; caller holds console_lock or a panic owns it. */
static void console_emit(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		log_buf[(log_buf_pos + i) % LOG_BUF_LEN] = text[i];
	WRITE_ONCE(log_buf_pos, log_buf_pos + len);
	arch_console_write(text, len);
}

/* Splits a leading KERN_<LEVEL> marker off fmt. */
static const char *printk_level(const char *fmt, int *level, bool *cont)
{
	*level = LOGLEVEL_DEFAULT;
	*cont = false;
	if (fmt[0] != KERN_SOH[0] || !fmt[1])
		return fmt;
	if (fmt[1] >= '0' && fmt[1] <= '7')
		*level = fmt[1] - '0';
	else if (fmt[1] == 'c')
		*cont = true;
	return fmt + 2;
}

static void emit_timestamp(void)
{
	u64 ns = arch_clock_ns();
	char ts[32];
	int n;

	n = snprintf(ts, sizeof(ts), "[%5llu.%06llu] ", (unsigned long long)(ns / 1000000000ull),
		     (unsigned long long)(ns % 1000000000ull / 1000));
	console_emit(ts, (size_t)n);
}

/* The first '\n' in text[0..len), or text + len if there is none. */
static const char *memchr_or_end(const char *text, size_t len)
{
	const char *end = text + len;

	while (text < end && *text != '\n')
		text++;
	return text;
}

/* Writes text, starting a timestamped line after every newline; caller
 * holds console_lock, or a panic owns the console (oops_in_progress). */
static void __emit_text(const char *text, size_t len)
{
	while (len) {
		const char *nl = memchr_or_end(text, len);
		size_t chunk = (size_t)(nl - text) + (nl < text + len ? 1 : 0);

		if (!line_open)
			emit_timestamp();
		console_emit(text, chunk);
		line_open = text[chunk - 1] != '\n';
		text += chunk;
		len -= chunk;
	}
}

int vprintk(const char *fmt, va_list ap)
{
	char buf[512];
	unsigned long flags = 0;
	bool cont, locked = false;
	int level, n;

	fmt = printk_level(fmt, &level, &cont);
	if (level > console_loglevel)
		return 0;
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	if (!READ_ONCE(oops_in_progress)) {
		spin_lock_irqsave(&console_lock, flags);
		locked = true;
	}
	if (!cont && line_open)
		__emit_text("\n", 1);
	__emit_text(buf, (size_t)n);
	if (locked)
		spin_unlock_irqrestore(&console_lock, flags);
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
