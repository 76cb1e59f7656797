/*
 * serial.c - the console: COM1, a 16550 UART, polled, 115200 8N1.
 *
 * kernel/printk.c formats and serializes the lines; this file only moves
 * bytes, translating '\n' into "\r\n" for terminals. Polling (no interrupts)
 * keeps it usable from any context, including exception reports (traps.c).
 */
#define pr_fmt(fmt) "serial: " fmt

#include <labyrinth/arch.h>
#include <asm/cpu.h>
#include <asm/setup.h>

#define COM1 0x3f8
#define UART_THR 0 /* transmit holding register (DLAB = 0) */
#define UART_DLL 0 /* divisor latch, low byte (DLAB = 1) */
#define UART_IER 1 /* interrupt enable (DLAB = 0) */
#define UART_DLM 1 /* divisor latch, high byte (DLAB = 1) */
#define UART_FCR 2 /* FIFO control */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR_14 0xc7 /* enable FIFOs, clear both, 14-byte threshold */
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_THRE 0x20 /* transmit holding register empty */
#define LSR_TEMT 0x40 /* transmitter completely empty */
#define BAUD_BASE 115200
#define SPIN_LIMIT 100000 /* a missing UART must not hang the kernel */

static bool serial_ready;

void serial_init(void)
{
	u16 divisor = BAUD_BASE / 115200;

	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, divisor & 0xff);
	outb(COM1 + UART_DLM, divisor >> 8);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR_14);
	outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
	serial_ready = true;
}

static void serial_wait(u8 lsr_bit)
{
	for (int i = 0; i < SPIN_LIMIT; i++) {
		if (inb(COM1 + UART_LSR) & lsr_bit)
			return;
		cpu_pause();
	}
}

static void serial_putc(char c)
{
	serial_wait(LSR_THRE);
	outb(COM1 + UART_THR, (u8)c);
}

void arch_console_write(const char *s, size_t len)
{
	if (!serial_ready)
		serial_init();
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

void serial_flush(void)
{
	if (serial_ready)
		serial_wait(LSR_TEMT);
}
