/*
 * ioapic.c - the IO APICs: where device interrupts (GSIs) become vectors.
 *
 * The MADT (acpi/madt.c) lists each IO APIC with its MMIO base and the
 * first GSI it serves, and the interrupt source overrides that say where an
 * ISA IRQ really arrives (the PIT's IRQ 0 is GSI 2 on PCs) and with which
 * polarity and trigger. At boot every redirection entry is masked; a driver
 * routes its GSI with ioapic_route_gsi(), having looked an ISA IRQ's GSI and
 * flags up with acpi_isa_irq_to_gsi(). The MADT and the function that maps
 * the registers uncached (ioremap(), mm/vmalloc.c) are handed in by
 * kernel/irq.c through arch_irq_init() (apic.c): arch/ calls neither acpi/
 * nor mm/.
 * Neighbours: apic.c (the local APICs the entries deliver to), pic.c (the
 * 8259s, masked).
 */
#define pr_fmt(fmt) "ioapic: " fmt

#include <labyrinth/acpi.h>
#include <labyrinth/arch.h>
#include <labyrinth/printk.h>
#include <labyrinth/spinlock.h>
#include <asm/apic.h>

#define IOREGSEL 0x00 /* byte offsets in the MMIO window */
#define IOWIN 0x10
#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VER 0x01
#define IOAPIC_REG_REDTBL(n) (0x10 + 2 * (n))

#define REDIR_MASKED (1ull << 16)
#define REDIR_LEVEL (1ull << 15)
#define REDIR_ACTIVE_LOW (1ull << 13)
#define REDIR_DEST_SHIFT 56

struct ioapic {
	volatile u32 *regs;
	u32 id, gsi_base, nr_pins;
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned int nr_ioapics;
static spinlock_t ioapic_lock = SPINLOCK_INIT;

static u32 ioapic_read(const struct ioapic *io, u32 reg)
{
	io->regs[IOREGSEL / 4] = reg;
	return io->regs[IOWIN / 4];
}

static void ioapic_write(const struct ioapic *io, u32 reg, u32 val)
{
	io->regs[IOREGSEL / 4] = reg;
	io->regs[IOWIN / 4] = val;
}

static void write_redir(const struct ioapic *io, u32 pin, u64 entry)
{
	unsigned long flags;

	spin_lock_irqsave(&ioapic_lock, flags);
	ioapic_write(io, IOAPIC_REG_REDTBL(pin), (u32)REDIR_MASKED); /* mask while changing */
	ioapic_write(io, IOAPIC_REG_REDTBL(pin) + 1, (u32)(entry >> 32));
	ioapic_write(io, IOAPIC_REG_REDTBL(pin), (u32)entry);
	spin_unlock_irqrestore(&ioapic_lock, flags);
}

/* The IO APIC serving gsi, and the pin on it; NULL if none does. */
static struct ioapic *gsi_to_ioapic(u32 gsi, u32 *pin)
{
	for (unsigned int i = 0; i < nr_ioapics; i++) {
		struct ioapic *io = &ioapics[i];

		if (gsi >= io->gsi_base && gsi - io->gsi_base < io->nr_pins) {
			*pin = gsi - io->gsi_base;
			return io;
		}
	}
	return NULL;
}

/* The registers, uncached (no map function: the boot identity map). */
static volatile u32 *ioapic_map(u32 phys, arch_ioremap_t map)
{
	if (map)
		return map(phys, IOWIN + 4);
	return (volatile u32 *)(uintptr_t)phys;
}

int ioapic_init(const struct acpi_madt_info *madt, arch_ioremap_t map)
{
	for (unsigned int i = 0; i < madt->nr_ioapics; i++) {
		const struct acpi_ioapic *a = &madt->ioapics[i];
		struct ioapic *io = &ioapics[nr_ioapics];

		if (!a->address) {
			pr_err("IO APIC %u has no address, ignored\n", a->id);
			continue;
		}
		io->regs = ioapic_map(a->address, map);
		if (!io->regs) {
			pr_err("IO APIC %u at 0x%x could not be mapped, ignored\n", a->id,
			       a->address);
			continue;
		}
		io->id = a->id;
		io->gsi_base = a->gsi_base;
		io->nr_pins = ((ioapic_read(io, IOAPIC_REG_VER) >> 16) & 0xff) + 1;
		for (u32 pin = 0; pin < io->nr_pins; pin++)
			write_redir(io, pin, REDIR_MASKED);
		nr_ioapics++;
		pr_info("IO APIC %u at 0x%x: GSI %u-%u, all masked\n", io->id, a->address,
			io->gsi_base, io->gsi_base + io->nr_pins - 1);
	}
	if (!nr_ioapics)
		pr_warn("no IO APIC: device interrupts unavailable\n");
	return nr_ioapics ? 0 : -1;
}

int ioapic_route_gsi(u32 gsi, u16 flags, u8 vector, u32 dest_apic)
{
	u32 pin;
	struct ioapic *io = gsi_to_ioapic(gsi, &pin);
	u64 entry = vector | ((u64)(dest_apic & 0xff) << REDIR_DEST_SHIFT);

	if (!io) {
		pr_err("GSI %u: no IO APIC serves it\n", gsi);
		return -1;
	}
	/* ISA defaults: edge, active high; an override may say otherwise. */
	if ((flags & ACPI_MPS_POLARITY_MASK) == ACPI_MPS_POLARITY_LOW)
		entry |= REDIR_ACTIVE_LOW;
	if ((flags & ACPI_MPS_TRIGGER_MASK) == ACPI_MPS_TRIGGER_LEVEL)
		entry |= REDIR_LEVEL;
	write_redir(io, pin, entry);
	pr_info("GSI %u (IO APIC %u pin %u) -> vector 0x%x on APIC %u\n", gsi, io->id, pin, vector,
		dest_apic);
	return 0;
}

void ioapic_mask_gsi(u32 gsi)
{
	u32 pin;
	struct ioapic *io = gsi_to_ioapic(gsi, &pin);

	if (io)
		write_redir(io, pin, REDIR_MASKED);
}
