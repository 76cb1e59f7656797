/*
 * madt.c - the MADT (Multiple APIC Description Table, signature "APIC"):
 * which CPUs exist and how interrupts are wired.
 *
 * A fixed header (the local APIC address, PC-AT flags), then sub-tables
 * walked by acpi_walk_subtables() (acpi/tables.c), each checked against the
 * length its type needs before it is read. The result is a struct
 * acpi_madt_info: CPUs (local APIC and x2APIC ids, enabled or
 * online-capable), IO APICs, interrupt source overrides and local APIC NMI
 * wiring. A malformed entry is reported and skipped; the rest still count.
 *
 * Neighbours: acpi/boot.c:acpi_init() fills the kernel's acpi_madt with
 * this; kernel/smpboot.c reads it, and kernel/irq.c hands it to
 * arch/x86_64/apic.c and ioapic.c. Host-tested by tests/host/test_acpi.c
 * over tables laid out in a buffer.
 */
#define pr_fmt(fmt) "ACPI: " fmt

#include <labyrinth/acpi.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

struct madt_lapic {
	struct acpi_subtable_header h;
	u8 uid;
	u8 apic_id;
	u32 flags;
} __packed;

struct madt_ioapic {
	struct acpi_subtable_header h;
	u8 id;
	u8 reserved;
	u32 address;
	u32 gsi_base;
} __packed;

struct madt_iso {
	struct acpi_subtable_header h;
	u8 bus;
	u8 source;
	u32 gsi;
	u16 flags;
} __packed;

struct madt_lapic_nmi {
	struct acpi_subtable_header h;
	u8 uid;
	u16 flags;
	u8 lint;
} __packed;

struct madt_lapic_addr {
	struct acpi_subtable_header h;
	u16 reserved;
	u64 address;
} __packed;

struct madt_x2apic {
	struct acpi_subtable_header h;
	u16 reserved;
	u32 apic_id;
	u32 flags;
	u32 uid;
} __packed;

struct madt_x2apic_nmi {
	struct acpi_subtable_header h;
	u16 flags;
	u32 uid;
	u8 lint;
	u8 reserved[3];
} __packed;

/* The length each known entry type needs, 0 for types we do not read. */
static size_t madt_min_len(u8 type)
{
	switch (type) {
	case ACPI_MADT_LAPIC: return sizeof(struct madt_lapic);
	case ACPI_MADT_IOAPIC: return sizeof(struct madt_ioapic);
	case ACPI_MADT_ISO: return sizeof(struct madt_iso);
	case ACPI_MADT_NMI_SOURCE: return 8;
	case ACPI_MADT_LAPIC_NMI: return sizeof(struct madt_lapic_nmi);
	case ACPI_MADT_LAPIC_ADDR: return sizeof(struct madt_lapic_addr);
	case ACPI_MADT_X2APIC: return sizeof(struct madt_x2apic);
	case ACPI_MADT_X2APIC_NMI: return sizeof(struct madt_x2apic_nmi);
	default: return 0;
	}
}

static void madt_add_cpu(struct acpi_madt_info *m, u32 apic_id, u32 uid, u32 flags, bool x2)
{
	if (!(flags & (ACPI_MADT_ENABLED | ACPI_MADT_ONLINE_CAPABLE)))
		return; /* neither present nor hot-pluggable */
	if (apic_id == (x2 ? 0xffffffffu : 0xffu)) {
		pr_warn("MADT: processor uid %u with the broadcast APIC id, ignored\n", uid);
		m->nr_bad++;
		return;
	}
	for (unsigned int i = 0; i < m->nr_cpus; i++)
		if (m->cpus[i].apic_id == apic_id)
			return; /* listed both as LAPIC and x2APIC: keep the first */
	if (m->nr_cpus == ACPI_MAX_CPUS) {
		m->nr_cpus_dropped++;
		return;
	}
	m->cpus[m->nr_cpus++] = (struct acpi_cpu){ apic_id, uid, flags, x2 };
}

static void madt_add_nmi(struct acpi_madt_info *m, u32 uid, u16 flags, u8 lint)
{
	if (lint > 1) {
		pr_warn("MADT: NMI on LINT%u does not exist, ignored\n", lint);
		m->nr_bad++;
		return;
	}
	if (m->nr_nmis < ACPI_MAX_NMIS)
		m->nmis[m->nr_nmis++] = (struct acpi_lapic_nmi){ uid, flags, lint };
}

static void madt_ioapic(struct acpi_madt_info *m, const struct madt_ioapic *e)
{
	if (m->nr_ioapics == ACPI_MAX_IOAPICS) {
		pr_warn("MADT: IO APIC %u beyond the first %u, ignored\n", e->id, ACPI_MAX_IOAPICS);
		return;
	}
	m->ioapics[m->nr_ioapics++] = (struct acpi_ioapic){ e->id, e->address, e->gsi_base };
}

static void madt_iso(struct acpi_madt_info *m, const struct madt_iso *e)
{
	if (e->bus != 0 || e->source >= 16) {
		pr_warn("MADT: override of bus %u irq %u is not ISA, ignored\n", e->bus, e->source);
		m->nr_bad++;
		return;
	}
	if (m->nr_isos < ACPI_MAX_ISOS)
		m->isos[m->nr_isos++] = (struct acpi_iso){ e->bus, e->source, e->flags, e->gsi };
}

static void madt_entry(const struct acpi_subtable_header *e, void *arg)
{
	struct acpi_madt_info *m = arg;
	size_t need = madt_min_len(e->type);

	if (e->length < need) {
		pr_err("MADT: entry type %u has length %u, needs %zu: skipped\n", e->type,
		       e->length, need);
		m->nr_bad++;
		return;
	}
	switch (e->type) {
	case ACPI_MADT_LAPIC: {
		const struct madt_lapic *l = (const void *)e;

		madt_add_cpu(m, l->apic_id, l->uid, l->flags, false);
		break;
	}
	case ACPI_MADT_X2APIC: {
		const struct madt_x2apic *x = (const void *)e;

		madt_add_cpu(m, x->apic_id, x->uid, x->flags, true);
		break;
	}
	case ACPI_MADT_IOAPIC: madt_ioapic(m, (const void *)e); break;
	case ACPI_MADT_ISO: madt_iso(m, (const void *)e); break;
	case ACPI_MADT_NMI_SOURCE: m->nr_nmi_sources++; break;
	case ACPI_MADT_LAPIC_NMI: {
		const struct madt_lapic_nmi *n = (const void *)e;

		madt_add_nmi(m, n->uid == 0xff ? ACPI_UID_ALL : n->uid, n->flags, n->lint);
		break;
	}
	case ACPI_MADT_X2APIC_NMI: {
		const struct madt_x2apic_nmi *n = (const void *)e;

		madt_add_nmi(m, n->uid, n->flags, n->lint);
		break;
	}
	case ACPI_MADT_LAPIC_ADDR:
		m->lapic_address = ((const struct madt_lapic_addr *)(const void *)e)->address;
		break;
	default: break; /* types for other interrupt models */
	}
}

int acpi_parse_madt(const struct acpi_table_header *h, struct acpi_madt_info *m)
{
	const struct acpi_madt *madt = (const void *)h;

	memset(m, 0, sizeof(*m));
	if (!h)
		return -1;
	if (h->length < sizeof(*madt)) {
		pr_err("MADT: length %u shorter than its header, ignored\n", h->length);
		return -1;
	}
	m->lapic_address = madt->lapic_address;
	m->pcat_compat = madt->flags & ACPI_MADT_PCAT_COMPAT;
	m->nr_bad += acpi_walk_subtables(h, sizeof(*madt), madt_entry, m);
	m->present = true;
	return 0;
}

void acpi_madt_print(const struct acpi_madt_info *m)
{
	pr_info("MADT: local APIC at 0x%llx, %u CPU(s)%s, %u IO APIC(s), %u override(s)\n",
		(unsigned long long)m->lapic_address, m->nr_cpus,
		m->pcat_compat ? ", PC-AT 8259s" : "", m->nr_ioapics, m->nr_isos);
	for (unsigned int i = 0; i < m->nr_cpus; i++)
		pr_info("  CPU uid %u: %sAPIC id %u%s\n", m->cpus[i].uid,
			m->cpus[i].x2apic ? "x2" : "", m->cpus[i].apic_id,
			m->cpus[i].flags & ACPI_MADT_ENABLED ? " enabled" : " online-capable");
	for (unsigned int i = 0; i < m->nr_ioapics; i++)
		pr_info("  IO APIC id %u at 0x%x, GSI base %u\n", m->ioapics[i].id,
			m->ioapics[i].address, m->ioapics[i].gsi_base);
	for (unsigned int i = 0; i < m->nr_isos; i++)
		pr_info("  override: ISA IRQ %u -> GSI %u, flags 0x%x\n", m->isos[i].source,
			m->isos[i].gsi, m->isos[i].flags);
	for (unsigned int i = 0; i < m->nr_nmis; i++)
		pr_info("  NMI: uid 0x%x LINT%u flags 0x%x\n", m->nmis[i].uid, m->nmis[i].lint,
			m->nmis[i].flags);
	if (m->nr_cpus_dropped)
		pr_warn("MADT: %u CPU(s) beyond %u ignored\n", m->nr_cpus_dropped, ACPI_MAX_CPUS);
	if (m->nr_bad)
		pr_warn("MADT: %u malformed entr%s skipped\n", m->nr_bad,
			m->nr_bad == 1 ? "y" : "ies");
}

u32 acpi_isa_irq_to_gsi(const struct acpi_madt_info *m, u8 irq, u16 *flags)
{
	for (unsigned int i = 0; i < m->nr_isos; i++) {
		if (m->isos[i].source == irq) {
			if (flags)
				*flags = m->isos[i].flags;
			return m->isos[i].gsi;
		}
	}
	if (flags)
		*flags = 0; /* conforms to the bus: ISA is edge, active high */
	return irq;
}
