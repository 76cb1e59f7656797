/*
 * test_acpi.c - host tests of the ACPI table code (acpi/tables.c,
 * acpi/madt.c, acpi/boot.c:acpi_init()): tables are laid out in a simulated
 * physical memory (a malloc'd buffer, so ASan sees any read past its end)
 * and reached through a map function of the same type the kernel passes
 * (kernel/acpi_osl.c). Well-formed RSDP v1/v2, RSDT/XSDT and MADT; then every kind
 * of malformed input: bad checksums, lengths past the end of memory,
 * truncated MADT entries, zero-length entries that would loop forever, and
 * random corruption.
 */
#include <string.h>

#include <labyrinth/acpi.h>
#include "host.h"

#define MEM_BASE 0xe0000ull
#define MEM_SIZE 0x4000u

static u8 *mem;	    /* simulated physical [MEM_BASE, MEM_BASE + MEM_SIZE) */
static size_t used; /* bump allocator over mem */

static const void *sim_map(u64 phys, u64 len)
{
	if (phys < MEM_BASE || len > MEM_SIZE || phys - MEM_BASE > MEM_SIZE - len)
		return NULL;
	return mem + (phys - MEM_BASE);
}

static void reset(void)
{
	memset(mem, 0, MEM_SIZE);
	used = 0;
	host_log_clear();
}

/* Reserves n bytes (16-aligned) or the last n bytes of memory (at_end). */
static u64 place(size_t n, bool at_end)
{
	u64 phys;

	if (at_end)
		return MEM_BASE + MEM_SIZE - n;
	phys = MEM_BASE + used;
	used = (used + n + 15) & ~(size_t)15;
	return phys;
}

static void *P(u64 phys)
{
	return mem + (phys - MEM_BASE);
}

static void fix_checksum(struct acpi_table_header *h)
{
	h->checksum = 0;
	h->checksum = (u8)-acpi_checksum(h, h->length);
}

static struct acpi_table_header *new_table(const char *sig, size_t len, u64 *phys, bool at_end)
{
	struct acpi_table_header *h;

	*phys = place(len, at_end);
	h = P(*phys);
	memcpy(h->signature, sig, 4);
	h->length = (u32)len;
	h->revision = 1;
	memcpy(h->oem_id, "LABYR ", 6);
	memcpy(h->oem_table_id, "TESTTBL ", 8);
	return h;
}

/* A MADT from raw entry bytes. */
static u64 new_madt(const u8 *entries, size_t n, bool at_end)
{
	u64 phys;
	struct acpi_madt *m = (void *)new_table("APIC", sizeof(*m) + n, &phys, at_end);

	m->lapic_address = 0xfee00000;
	m->flags = ACPI_MADT_PCAT_COMPAT;
	if (n)
		memcpy(m + 1, entries, n);
	fix_checksum(&m->header);
	return phys;
}

static u64 new_root(const char *sig, const u64 *tables, size_t n)
{
	size_t esize = sig[0] == 'X' ? 8 : 4;
	u64 phys;
	struct acpi_table_header *h = new_table(sig, sizeof(*h) + n * esize, &phys, false);

	for (size_t i = 0; i < n; i++)
		memcpy((u8 *)(h + 1) + i * esize, &tables[i], esize);
	fix_checksum(h);
	return phys;
}

static void make_rsdp(struct acpi_rsdp *r, int rev, u64 rsdt, u64 xsdt)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->signature, "RSD PTR ", 8);
	memcpy(r->oem_id, "LABYR ", 6);
	r->revision = (u8)rev;
	r->rsdt_address = (u32)rsdt;
	r->length = sizeof(*r);
	r->xsdt_address = xsdt;
	r->checksum = (u8)-acpi_checksum(r, ACPI_RSDP_V1_LEN);
	r->extended_checksum = (u8)-acpi_checksum(r, sizeof(*r));
}

/* The MADT QEMU would give for 4 CPUs, plus the x2APIC and NMI kinds. */
/* clang-format off */
static const u8 good_entries[] = {
	0, 8, 0, 0, 1, 0, 0, 0, /* LAPIC uid 0 id 0 enabled */
	0, 8, 1, 1, 1, 0, 0, 0, /* LAPIC uid 1 id 1 enabled */
	0, 8, 2, 2, 0, 0, 0, 0, /* LAPIC uid 2 id 2: neither flag: not a CPU */
	0, 8, 3, 3, 2, 0, 0, 0, /* LAPIC uid 3 id 3 online-capable */
	9, 16, 0, 0, 0x00, 0x01, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, /* x2APIC id 256 uid 4 */
	1, 12, 0, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0, /* IO APIC 0 at 0xfec00000, GSI 0 */
	2, 10, 0, 0, 2, 0, 0, 0, 0, 0, /* ISA 0 -> GSI 2 */
	2, 10, 0, 9, 9, 0, 0, 0, 0x0d, 0, /* ISA 9 -> GSI 9 level high */
	4, 6, 0xff, 0, 0, 1, /* LAPIC NMI: all CPUs, LINT1 */
	0x7f, 4, 0, 0, /* an unknown type: skipped silently */
};
/* clang-format on */

static u64 setup_good(struct acpi_rsdp *r, int rev)
{
	u64 facp, madt, tables[2], rsdt, xsdt;
	struct acpi_table_header *f = new_table("FACP", 116, &facp, false);

	fix_checksum(f);
	madt = new_madt(good_entries, sizeof(good_entries), false);
	tables[0] = facp;
	tables[1] = madt;
	rsdt = new_root("RSDT", tables, 2);
	xsdt = rev >= 2 ? new_root("XSDT", tables, 2) : 0;
	make_rsdp(r, rev, rsdt, xsdt);
	return madt;
}

static void test_well_formed(void)
{
	struct acpi_tables t;
	struct acpi_madt_info m;
	struct acpi_rsdp r;
	u16 flags;

	reset();
	setup_good(&r, 2);
	is_u64(acpi_tables_init(&t, &r, sizeof(r), sim_map), 0, "v2: tables found");
	ok(t.use_xsdt, "v2: XSDT used");
	is_u64(t.nr_tables, 2, "v2: two tables");
	ok(acpi_find(&t, "FACP", 0) && acpi_find(&t, "APIC", 0), "FACP and APIC found");
	ok(!acpi_find(&t, "APIC", 1) && !acpi_find(&t, "SRAT", 0), "no second MADT, no SRAT");
	is_u64(acpi_parse_madt(acpi_find(&t, "APIC", 0), &m), 0, "MADT parses");
	is_u64(m.nr_cpus, 4, "four CPUs (the flagless entry is not one)");
	ok(m.cpus[0].apic_id == 0 && m.cpus[1].apic_id == 1 && m.cpus[2].apic_id == 3,
	   "LAPIC ids in order");
	ok(m.cpus[2].flags == ACPI_MADT_ONLINE_CAPABLE, "online-capable flag kept");
	ok(m.cpus[3].x2apic && m.cpus[3].apic_id == 256 && m.cpus[3].uid == 4, "x2APIC entry");
	ok(m.nr_ioapics == 1 && m.ioapics[0].address == 0xfec00000, "IO APIC address");
	is_u64(m.nr_isos, 2, "two overrides");
	is_u64(acpi_isa_irq_to_gsi(&m, 0, &flags), 2, "ISA 0 -> GSI 2");
	is_u64(acpi_isa_irq_to_gsi(&m, 9, &flags), 9, "ISA 9 -> GSI 9");
	is_u64(flags, 0x0d, "ISA 9 level, active high");
	is_u64(acpi_isa_irq_to_gsi(&m, 4, &flags), 4, "ISA 4 identity");
	ok(m.nr_nmis == 1 && m.nmis[0].uid == ACPI_UID_ALL && m.nmis[0].lint == 1, "NMI LINT1");
	ok(m.pcat_compat && m.lapic_address == 0xfee00000, "MADT header fields");
	is_u64(m.nr_bad, 0, "nothing malformed");
	ok(host_log_contains("APIC 0x"), "tables listed");

	reset();
	setup_good(&r, 0);
	is_u64(acpi_tables_init(&t, &r, ACPI_RSDP_V1_LEN, sim_map), 0, "v1: tables found");
	ok(!t.use_xsdt && t.nr_tables == 2, "v1: RSDT used, two tables");
}

static void test_bad_rsdp(void)
{
	struct acpi_tables t;
	struct acpi_rsdp r;

	reset();
	setup_good(&r, 2);
	r.signature[0] = 'X';
	ok(acpi_tables_init(&t, &r, sizeof(r), sim_map) < 0 && host_log_contains("bad signature"),
	   "RSDP with a bad signature is rejected");
	reset();
	setup_good(&r, 2);
	r.checksum ^= 1;
	ok(acpi_tables_init(&t, &r, sizeof(r), sim_map) < 0 && host_log_contains("bad checksum"),
	   "RSDP with a bad checksum is rejected");
	ok(acpi_tables_init(&t, NULL, 0, sim_map) < 0, "no RSDP at all");
	ok(acpi_tables_init(&t, &r, 8, sim_map) < 0, "RSDP shorter than 20 bytes");

	reset();
	setup_good(&r, 2);
	r.extended_checksum ^= 0x55;
	ok(acpi_tables_init(&t, &r, sizeof(r), sim_map) == 0 && !t.use_xsdt &&
	       host_log_contains("bad extended checksum"),
	   "bad extended checksum: RSDT used");
	reset();
	setup_good(&r, 2);
	ok(acpi_tables_init(&t, &r, ACPI_RSDP_V1_LEN, sim_map) == 0 && !t.use_xsdt,
	   "v2 RSDP of which only 20 bytes were copied: RSDT used");
	reset();
	setup_good(&r, 2);
	r.xsdt_address = MEM_BASE + MEM_SIZE + 0x1000;
	r.extended_checksum = 0;
	r.extended_checksum = (u8)-acpi_checksum(&r, sizeof(r));
	ok(acpi_tables_init(&t, &r, sizeof(r), sim_map) == 0 && !t.use_xsdt && t.nr_tables == 2 &&
	       host_log_contains("falling back to the RSDT"),
	   "XSDT outside memory: RSDT used");
}

static void test_bad_tables(void)
{
	struct acpi_tables t;
	struct acpi_rsdp r;
	u64 madt;

	reset();
	madt = setup_good(&r, 2);
	((struct acpi_table_header *)P(madt))->checksum ^= 0x10;
	ok(acpi_tables_init(&t, &r, sizeof(r), sim_map) == 0 && t.nr_tables == 1 && t.nr_bad == 1 &&
	       !acpi_find(&t, "APIC", 0),
	   "MADT with a bad checksum skipped, FACP kept");
	ok(host_log_contains("[APIC]") && host_log_contains("bad checksum"),
	   "reported with its signature and reason");

	reset();
	madt = setup_good(&r, 2);
	((struct acpi_table_header *)P(madt))->length = MEM_SIZE; /* runs past memory */
	ok(acpi_tables_init(&t, &r, sizeof(r), sim_map) == 0 && t.nr_bad == 1 &&
	       host_log_contains("runs past mapped memory"),
	   "table length past the end of memory skipped");

	reset();
	madt = setup_good(&r, 2);
	((struct acpi_table_header *)P(madt))->length = 20;
	ok(acpi_tables_init(&t, &r, sizeof(r), sim_map) == 0 && t.nr_bad == 1 &&
	       host_log_contains("impossible length"),
	   "table shorter than its header skipped");

	reset();
	setup_good(&r, 2);
	{ /* a root table entry pointing outside memory */
		u64 tables[2] = { 0x1000, MEM_BASE + MEM_SIZE - 8 };
		r.xsdt_address = new_root("XSDT", tables, 2);
		r.extended_checksum = 0;
		r.extended_checksum = (u8)-acpi_checksum(&r, sizeof(r));
	}
	ok(acpi_tables_init(&t, &r, sizeof(r), sim_map) == 0 && t.nr_tables == 0 && t.nr_bad == 2,
	   "XSDT entries outside memory skipped");
}

/* Parses a MADT placed flush with the end of memory (ASan catches overreads). */
static int parse_at_end(const u8 *e, size_t n, struct acpi_madt_info *m)
{
	u64 phys;

	reset();
	phys = new_madt(e, n, true);
	return acpi_parse_madt(P(phys), m);
}

static void test_bad_madt(void)
{
	struct acpi_madt_info m;
	/* clang-format off */
	static const u8 truncated[] = {
		0, 6, 0, 0, 1, 0, /* LAPIC entry cut to 6 bytes */
		1, 8, 0, 0, 0, 0, 0xc0, 0xfe, /* IO APIC cut to 8 */
		0, 8, 1, 1, 1, 0, 0, 0, /* a good LAPIC after them */
	};
	static const u8 zero_len[] = { 0, 8, 0, 0, 1, 0, 0, 0, 0, 0, 0, 8, 1, 1, 1, 0, 0, 0 };
	static const u8 one_len[] = { 0, 8, 0, 0, 1, 0, 0, 0, 5, 1 };
	static const u8 past_end[] = { 0, 8, 0, 0, 1, 0, 0, 0, 9, 16, 0, 0, 1, 0 };
	static const u8 odd_byte[] = { 0, 8, 0, 0, 1, 0, 0, 0, 0 };
	static const u8 weird[] = {
		0, 8, 0, 0xff, 1, 0, 0, 0, /* broadcast id */
		0, 8, 1, 4, 1, 0, 0, 0, 9, 16, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, /* dup */
		4, 6, 0xff, 0, 0, 7, /* LINT7 */
		2, 10, 1, 3, 3, 0, 0, 0, 0, 0, /* bus 1 */
	};
	/* clang-format on */

	parse_at_end(truncated, sizeof(truncated), &m);
	ok(m.nr_bad == 2 && m.nr_cpus == 1 && m.cpus[0].apic_id == 1 && m.nr_ioapics == 0,
	   "truncated entries skipped, the next one parsed");
	ok(host_log_contains("needs"), "truncated entry reported");
	parse_at_end(zero_len, sizeof(zero_len), &m);
	ok(m.nr_bad == 1 && m.nr_cpus == 1 && host_log_contains("has length 0"),
	   "zero-length entry stops the walk (no endless loop)");
	parse_at_end(one_len, sizeof(one_len), &m);
	ok(m.nr_bad == 1 && m.nr_cpus == 1, "one-byte entry stops the walk");
	parse_at_end(past_end, sizeof(past_end), &m);
	ok(m.nr_bad == 1 && m.nr_cpus == 1 && host_log_contains("runs past the table"),
	   "entry past the table end stops the walk");
	parse_at_end(odd_byte, sizeof(odd_byte), &m);
	ok(m.nr_bad == 1 && m.nr_cpus == 1, "a trailing single byte is reported");
	parse_at_end(weird, sizeof(weird), &m);
	ok(m.nr_cpus == 1 && m.cpus[0].apic_id == 4 && !m.cpus[0].x2apic,
	   "broadcast id dropped, LAPIC+x2APIC duplicate kept once");
	ok(m.nr_nmis == 0 && m.nr_isos == 0 && m.nr_bad == 3, "bad LINT and non-ISA bus dropped");
	{
		u64 phys;

		reset();
		phys = new_madt(NULL, 0, true);
		((struct acpi_table_header *)P(phys))->length = 40;
		ok(acpi_parse_madt(P(phys), &m) < 0 && !m.present, "MADT shorter than its header");
	}
}

static void test_many_cpus(void)
{
	static u8 e[8 * (ACPI_MAX_CPUS + 5)];
	struct acpi_madt_info m;

	for (unsigned int i = 0; i < ACPI_MAX_CPUS + 5; i++) {
		u8 ent[8] = { 0, 8, (u8)i, (u8)i, 1, 0, 0, 0 };

		memcpy(e + 8 * i, ent, 8);
	}
	parse_at_end(e, sizeof(e), &m);
	ok(m.nr_cpus == ACPI_MAX_CPUS && m.nr_cpus_dropped == 5, "CPUs beyond the array counted");
}

/* Random corruption of a good MADT: never a crash, overread or hang. */
static void test_random_corruption(uint64_t seed)
{
	struct acpi_madt_info m;
	u8 e[sizeof(good_entries)];
	unsigned int crashes = 0;

	srandom((unsigned int)seed);
	host_log_quiet = true;
	for (int iter = 0; iter < 20000; iter++) {
		memcpy(e, good_entries, sizeof(e));
		for (int k = random() % 6; k >= 0; k--)
			e[random() % sizeof(e)] = (u8)random();
		parse_at_end(e, (size_t)(random() % (sizeof(e) + 1)), &m);
		crashes += m.nr_cpus > ACPI_MAX_CPUS;
	}
	host_log_quiet = false;
	ok(crashes == 0, "20000 corrupted MADTs parsed without harm");
}

/* The boot step: the RSDP bytes and the map function come from the caller. */
static void test_acpi_init(void)
{
	struct acpi_rsdp r;

	reset();
	setup_good(&r, 2);
	ok(acpi_init(&r, sizeof(r), sim_map) == 0 && acpi_madt.present && acpi_madt.nr_cpus == 4,
	   "acpi_init fills acpi_madt");
	ok(host_log_contains("MADT: local APIC at 0xfee00000, 4 CPU(s)"), "MADT summary printed");
	ok(acpi_init(&r, 0, sim_map) < 0, "acpi_init without an RSDP fails softly");
}

/* The early count mm's per-CPU sets are sized by: the enabled processors
 * only (smp_init() starts those), the table list not printed twice. */
static void test_acpi_early_nr_cpus(void)
{
	struct acpi_rsdp r;

	reset();
	setup_good(&r, 2);
	host_log_clear();
	is_u64(acpi_early_nr_cpus(&r, sizeof(r), sim_map), 3,
	       "3 enabled CPUs (not the online-capable one)");
	ok(!host_log_contains("APIC 0x"), "quietly: acpi_init() lists the tables");
	is_u64(acpi_early_nr_cpus(&r, 0, sim_map), 0, "no RSDP: 0 (kmain then says 1)");
}

int main(int argc, char **argv)
{
	uint64_t seed = test_seed(argc, argv);

	mem = malloc(MEM_SIZE);
	test_well_formed();
	test_bad_rsdp();
	test_bad_tables();
	test_bad_madt();
	test_many_cpus();
	test_random_corruption(seed);
	test_acpi_init();
	test_acpi_early_nr_cpus();
	free(mem);
	return done_testing();
}
