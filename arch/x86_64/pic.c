/*
 * pic.c - silences the legacy 8259 interrupt controllers.
 *
 * Left as the BIOS set them, the PICs deliver IRQ 0..7 on vectors 8..15,
 * which are CPU exceptions: a timer tick would look like a double fault.
 * We move them to vectors 0x20..0x2f (asm/irq.h) and mask every line; the
 * local APIC (a later arch file) takes over. A spurious IRQ 7/15 may still
 * arrive on 0x27/0x2f and is counted by idt.c as an unexpected interrupt.
 */
#define pr_fmt(fmt) "pic: " fmt

#include <labyrinth/compiler.h>
#include <asm/cpu.h>
#include <asm/irq.h>
#include <asm/setup.h>

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define ICW1_INIT_ICW4 0x11
#define ICW3_MASTER_SLAVE_ON_IRQ2 0x04
#define ICW3_SLAVE_ID 0x02
#define ICW4_8086 0x01

static void io_wait(void)
{
	outb(0x80, 0); /* the POST port: a short, harmless delay */
}

void pic_disable(void)
{
	static const struct {
		u16 port;
		u8 val;
	} seq[] = {
		{ PIC1_CMD, ICW1_INIT_ICW4 },
		{ PIC2_CMD, ICW1_INIT_ICW4 },
		{ PIC1_DATA, PIC_VECTOR_BASE },
		{ PIC2_DATA, PIC_VECTOR_BASE + 8 },
		{ PIC1_DATA, ICW3_MASTER_SLAVE_ON_IRQ2 },
		{ PIC2_DATA, ICW3_SLAVE_ID },
		{ PIC1_DATA, ICW4_8086 },
		{ PIC2_DATA, ICW4_8086 },
		{ PIC1_DATA, 0xff },
		{ PIC2_DATA, 0xff }, /* mask all */
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(seq); i++) {
		outb(seq[i].port, seq[i].val);
		io_wait();
	}
}
