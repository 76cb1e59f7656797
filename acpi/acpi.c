/*
 * acpi.c - finds and checks the ACPI tables, and parses the MADT.
 *
 * From the RSDP the boot path copied into struct boot_info (boot/), the
 * XSDT (ACPI 2.0+) or RSDT (1.0) lists the tables; each is mapped through a
 * callback, its length bounded and its checksum verified before anything
 * reads it. A bad table is reported with its signature and the reason and
 * skipped. The MADT becomes struct acpi_madt_info: CPUs (local APIC and
 * x2APIC ids, enabled / online-capable), IO APICs, interrupt source
 * overrides and local APIC NMI wiring. The sub-table walker is shared with
 * SRAT (acpi/srat.c, NUMA). Generic C: the host tests (tests/host/test_acpi.c) run this
 * file over tables laid out in a buffer. The users of the result are
 * kernel/smpboot.c and, handed it by kernel/irq.c, arch/x86_64/apic.c and ioapic.c.
 */
#define pr_fmt(fmt) "ACPI: " fmt

#include <boot/boot_info.h>
#include <labyrinth/acpi.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>
#ifdef __KERNEL__
#include <labyrinth/vm.h>
#endif

#define ACPI_TABLE_MAX_LEN (16u << 20) /* larger than any sane table */

struct acpi_tables acpi_tables;
struct acpi_madt_info acpi_madt;
bool acpi_quiet;

u8 acpi_checksum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum;
}

/* A signature made printable, for reports about tables we do not trust. */
static void sig_str(const char *sig, char out[5])
{
	for (int i = 0; i < 4; i++)
		out[i] = (sig[i] >= 0x20 && sig[i] < 0x7f) ? sig[i] : '?';
	out[4] = '\0';
}

static void report_bad(const char *sig, u64 phys, const char *why)
{
	char s[5];

	sig_str(sig, s);
	pr_err("[%s] at 0x%llx: %s, table skipped\n", s, (unsigned long long)phys, why);
}

/* Maps a whole table and checks its length and checksum; NULL if bad. */
static const struct acpi_table_header *map_table(acpi_map_fn map, u64 phys)
{
	const struct acpi_table_header *h = map(phys, sizeof(*h));
	u32 len;

	if (!h) {
		report_bad("????", phys, "header not in mapped memory");
		return NULL;
	}
	len = h->length;
	if (len < sizeof(*h) || len > ACPI_TABLE_MAX_LEN) {
		report_bad(h->signature, phys, "impossible length");
		return NULL;
	}
	h = map(phys, len);
	if (!h) {
		report_bad("????", phys, "length runs past mapped memory");
		return NULL;
	}
	if (acpi_checksum(h, len)) {
		report_bad(h->signature, phys, "bad checksum");
		return NULL;
	}
	return h;
}

static void print_table(const struct acpi_table_header *h, u64 phys)
{
	char s[5], oem[7], tid[9];

	if (acpi_quiet)
		return;
	sig_str(h->signature, s);
	memcpy(oem, h->oem_id, 6);
	oem[6] = '\0';
	memcpy(tid, h->oem_table_id, 8);
	tid[8] = '\0';
	for (int i = 0; i < 6; i++)
		oem[i] = (oem[i] >= 0x20 && oem[i] < 0x7f) ? oem[i] : ' ';
	for (int i = 0; i < 8; i++)
		tid[i] = (tid[i] >= 0x20 && tid[i] < 0x7f) ? tid[i] : ' ';
	pr_info("%s 0x%016llx %06x (v%02u %-6s %-8s)\n", s, (unsigned long long)phys, h->length,
		h->revision, oem, tid);
}

/* Checks an RSDP; returns 1 or 2 (the ACPI generation to use), 0 if bad. */
static int check_rsdp(const struct acpi_rsdp *r, size_t len)
{
	if (!r || len < ACPI_RSDP_V1_LEN) {
		pr_err("no RSDP from the boot loader\n");
		return 0;
	}
	if (memcmp(r->signature, "RSD PTR ", 8)) {
		pr_err("RSDP: bad signature, ignored\n");
		return 0;
	}
	if (acpi_checksum(r, ACPI_RSDP_V1_LEN)) {
		pr_err("RSDP: bad checksum, ignored\n");
		return 0;
	}
	if (r->revision < 2)
		return 1;
	if (len < ACPI_RSDP_V2_LEN || r->length < ACPI_RSDP_V2_LEN || r->length > len) {
		pr_err("RSDP: v2 length %u not available (have %zu), using the RSDT\n",
		       len >= ACPI_RSDP_V2_LEN ? r->length : 0, len);
		return 1;
	}
	if (acpi_checksum(r, r->length)) {
		pr_err("RSDP: bad extended checksum, using the RSDT\n");
		return 1;
	}
	return r->xsdt_address ? 2 : 1;
}

static void add_table(struct acpi_tables *t, u64 phys)
{
	const struct acpi_table_header *h = map_table(t->map, phys);

	if (!h) {
		t->nr_bad++;
		return;
	}
	if (t->nr_tables == ACPI_MAX_TABLES) {
		report_bad(h->signature, phys, "too many tables");
		t->nr_bad++;
		return;
	}
	print_table(h, phys);
	t->table_phys[t->nr_tables] = phys;
	t->tables[t->nr_tables++] = h;
}

/* Walks an RSDT (4-byte entries) or XSDT (8-byte); -1 if the root is bad. */
static int walk_root(struct acpi_tables *t, u64 phys, bool xsdt)
{
	const struct acpi_table_header *root = map_table(t->map, phys);
	size_t esize = xsdt ? 8 : 4;
	const u8 *p;
	size_t n;

	if (!root)
		return -1;
	if (memcmp(root->signature, xsdt ? "XSDT" : "RSDT", 4)) {
		report_bad(root->signature, phys, xsdt ? "not an XSDT" : "not an RSDT");
		return -1;
	}
	print_table(root, phys);
	n = (root->length - sizeof(*root)) / esize;
	if ((root->length - sizeof(*root)) % esize)
		pr_warn("%s: length %u leaves a partial entry, ignored\n", xsdt ? "XSDT" : "RSDT",
			root->length);
	p = (const u8 *)(root + 1);
	for (size_t i = 0; i < n; i++) {
		u64 addr = 0;

		memcpy(&addr, p + i * esize, esize); /* entries may be unaligned */
		if (addr)
			add_table(t, addr);
	}
	return 0;
}

int acpi_tables_init(struct acpi_tables *t, const void *rsdp, size_t rsdp_len, acpi_map_fn map)
{
	const struct acpi_rsdp *r = rsdp;
	int gen = check_rsdp(r, rsdp_len);

	memset(t, 0, sizeof(*t));
	t->map = map;
	if (!gen || !map)
		return -1;
	t->rsdp_revision = r->revision;
	memcpy(t->oem_id, r->oem_id, 6);
	if (!acpi_quiet)
		pr_info("RSDP v%02u (%s)\n", r->revision, gen == 2 ? "XSDT" : "RSDT");
	if (gen == 2) {
		t->use_xsdt = true;
		if (!walk_root(t, r->xsdt_address, true))
			return 0;
		pr_err("XSDT unusable, falling back to the RSDT\n");
		t->use_xsdt = false;
		t->nr_tables = 0;
	}
	if (!r->rsdt_address)
		return -1;
	return walk_root(t, r->rsdt_address, false);
}

const struct acpi_table_header *acpi_find(const struct acpi_tables *t, const char *sig,
					  unsigned int instance)
{
	for (unsigned int i = 0; i < t->nr_tables; i++)
		if (!memcmp(t->tables[i]->signature, sig, 4) && instance-- == 0)
			return t->tables[i];
	return NULL;
}

unsigned int acpi_walk_subtables(const struct acpi_table_header *table, size_t hdr_len,
				 acpi_subtable_fn fn, void *arg)
{
	const u8 *base = (const u8 *)table;
	size_t off = hdr_len, end = table->length;
	char s[5];

	sig_str(table->signature, s);
	if (end < hdr_len) {
		pr_err("[%s]: length %zu shorter than its header\n", s, end);
		return 1;
	}
	while (off < end) {
		const struct acpi_subtable_header *e = (const void *)(base + off);

		if (end - off < sizeof(*e) || e->length < sizeof(*e)) {
			pr_err("[%s]: entry at offset %zu has length %u, rest ignored\n", s, off,
			       end - off < sizeof(*e) ? 0 : e->length);
			return 1;
		}
		if (e->length > end - off) {
			pr_err(
			    "[%s]: entry type %u at offset %zu runs past the table, rest ignored\n",
			    s, e->type, off);
			return 1;
		}
		fn(e, arg);
		off += e->length;
	}
	return 0;
}

/* ---- MADT ---- */

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

/* ---- the kernel's entry point ---- */

#ifdef __KERNEL__
/*
 * After vm_init(): memremap (the direct map covers ACPI memory; tables in
 * other ranges get a cached mapping of their own). Before it: the boot page
 * tables' identity map of [0, 4 GiB).
 */
static const void *acpi_kernel_map(u64 phys, u64 len)
{
	if (!phys || !len || phys + len < phys)
		return NULL;
	if (vm_ready())
		return memremap(phys, len);
	if (len > (1ull << 32) || phys > (1ull << 32) - len)
		return NULL;
	return (const void *)(uintptr_t)phys;
}
acpi_map_fn acpi_phys_map = acpi_kernel_map;
#else
acpi_map_fn acpi_phys_map;
#endif

int acpi_init(const struct boot_info *bi)
{
	const struct acpi_table_header *madt;

	if (acpi_tables_init(&acpi_tables, bi->rsdp, bi->rsdp_len, acpi_phys_map)) {
		pr_err("no usable tables: one CPU, legacy interrupts only\n");
		return -1;
	}
	pr_info("%u table(s), %u bad\n", acpi_tables.nr_tables, acpi_tables.nr_bad);
	madt = acpi_find(&acpi_tables, "APIC", 0);
	if (!madt || acpi_parse_madt(madt, &acpi_madt)) {
		pr_err("no MADT: one CPU, legacy interrupts only\n");
		return -1;
	}
	acpi_madt_print(&acpi_madt);
	return 0;
}
