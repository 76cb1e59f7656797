/*
 * boot.c - the two boot steps that read ACPI (Linux's
 * arch/x86/kernel/acpi/boot.c), each starting from the RSDP the boot loader
 * found and reading tables through the map function its caller passes:
 *
 *   acpi_numa_init()  before mm_init(): SRAT and SLIT -> struct numa_config.
 *                     The nodes must be known before the zones are built,
 *                     but memremap() needs the kernel's page tables, which
 *                     need the zones. So kmain passes acpi_os_map_early()
 *                     (kernel/acpi_osl.c): the boot identity map of the
 *                     low 4 GiB, where firmware puts ACPI tables (one that
 *                     is elsewhere is reported as unmappable). Nothing kept
 *                     points into those tables: the result is a copy, which
 *                     kmain hands to numa_config_set() (mm/numa.c). The
 *                     table list is walked quietly here.
 *   acpi_early_nr_cpus()  before mm_init() too, the same way: the MADT's
 *                     enabled processors, counted as kernel/smpboot.c
 *                     will count them, so that mm allocates its per-CPU
 *                     page sets (mm/pcp.c) for those CPUs only.
 *   acpi_init()       after vm_init(): the table list again, printed, kept
 *                     in acpi_tables through acpi_os_map_memory()
 *                     (memremap()), and the MADT parsed into acpi_madt.
 *
 * Neither step calls into mm/ or decides anything for it: they fill data
 * and return it. No usable table means one node, one CPU and legacy
 * interrupts, reported. The parsers are acpi/tables.c, acpi/madt.c and
 * acpi/srat.c; tests/host/test_acpi.c runs acpi_init() over a buffer.
 */
#define pr_fmt(fmt) "ACPI: " fmt

#include <labyrinth/acpi.h>
#include <labyrinth/numa.h>
#include <labyrinth/printk.h>

struct acpi_tables acpi_tables;
struct acpi_madt_info acpi_madt;

const struct numa_config *acpi_numa_init(const void *rsdp, size_t rsdp_len, acpi_map_fn map)
{
	static struct acpi_tables early; /* pointers into the early mapping: this step only */
	static struct numa_config cfg;
	const struct acpi_table_header *srat, *slit;
	int r;

	acpi_quiet = true; /* acpi_init() lists the tables later */
	r = acpi_tables_init(&early, rsdp, rsdp_len, map);
	acpi_quiet = false;
	srat = r ? NULL : acpi_find(&early, "SRAT", 0);
	if (!srat) {
		printk(KERN_INFO "numa: No NUMA configuration found\n");
		return NULL;
	}
	if (acpi_parse_srat(srat, &cfg))
		return NULL;
	slit = acpi_find(&early, "SLIT", 0);
	if (slit)
		acpi_parse_slit(slit, &cfg);
	acpi_numa_print(&cfg);
	return &cfg;
}

unsigned int acpi_early_nr_cpus(const void *rsdp, size_t rsdp_len, acpi_map_fn map)
{
	static struct acpi_tables early; /* pointers into the early mapping: this step only */
	static struct acpi_madt_info madt;
	const struct acpi_table_header *h;
	unsigned int i, n = 0;
	int r;

	acpi_quiet = true; /* acpi_init() lists the tables later */
	r = acpi_tables_init(&early, rsdp, rsdp_len, map);
	acpi_quiet = false;
	h = r ? NULL : acpi_find(&early, "APIC", 0);
	if (!h || acpi_parse_madt(h, &madt))
		return 0;
	for (i = 0; i < madt.nr_cpus; i++)
		n += !!(madt.cpus[i].flags & ACPI_MADT_ENABLED);
	return n;
}

int acpi_init(const void *rsdp, size_t rsdp_len, acpi_map_fn map)
{
	const struct acpi_table_header *madt;

	if (acpi_tables_init(&acpi_tables, rsdp, rsdp_len, map)) {
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
