/*
 * acpi.h - the ACPI tables Labyrinth reads: RSDP, RSDT/XSDT, MADT, and
 * SRAT/SLIT for NUMA.
 *
 * Who does what:
 *   acpi/tables.c      the RSDP, the XSDT/RSDT walk, checksums, find by
 *                      signature, the sub-table walker
 *   acpi/madt.c        MADT -> struct acpi_madt_info
 *   acpi/srat.c        SRAT and SLIT -> struct numa_config (numa.h)
 *   acpi/boot.c        the two boot steps, acpi_numa_init() and acpi_init()
 *   kernel/acpi_osl.c  the kernel's map functions, passed in by kmain
 *
 * acpi/ is pure parsing: it never dereferences a physical address itself
 * but asks the acpi_map_fn its caller passes for [phys, phys + len), so the
 * host tests (tests/host/test_acpi.c, test_acpi_numa.c) hand it tables laid
 * out in a buffer, and the kernel hands it the boot identity map or
 * memremap() (mm/vmalloc.c). Every length is bounded by what the map
 * function could provide; a table whose checksum or length is wrong is
 * reported with its signature and the reason, and is skipped, never trusted.
 *
 * Users: kernel/smpboot.c reads acpi_madt (CPUs); kernel/irq.c hands it to
 * arch/x86_64/apic.c and ioapic.c (IO APICs, overrides, NMI wiring).
 */
#ifndef LABYRINTH_ACPI_H
#define LABYRINTH_ACPI_H

#include <labyrinth/compiler.h>
#include <labyrinth/types.h>

/* Every ACPI system description table begins with this (36 bytes). */
struct acpi_table_header {
	char signature[4];
	u32 length; /* of the whole table, header included */
	u8 revision;
	u8 checksum; /* all bytes of the table sum to 0 (mod 256) */
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;

/* Root System Description Pointer: 20 bytes in ACPI 1.0, 36 from 2.0. */
struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	u8 checksum;	   /* over the first 20 bytes */
	char oem_id[6];
	u8 revision; /* 0 = ACPI 1.0 (RSDT only), 2 = 2.0+ (XSDT) */
	u32 rsdt_address;
	u32 length; /* 2.0+: of the whole structure */
	u64 xsdt_address;
	u8 extended_checksum; /* over length bytes */
	u8 reserved[3];
} __packed;

#define ACPI_RSDP_V1_LEN 20
#define ACPI_RSDP_V2_LEN 36

/* MADT: the header, then variable-length entries {type, length, ...}. */
struct acpi_madt {
	struct acpi_table_header header;
	u32 lapic_address; /* physical address of the local APICs (xAPIC) */
	u32 flags;	   /* bit 0: PC-AT compatible dual 8259s present */
} __packed;

#define ACPI_MADT_PCAT_COMPAT 1u

/* A sub-table entry, as in MADT and SRAT. */
struct acpi_subtable_header {
	u8 type;
	u8 length;
} __packed;

enum acpi_madt_type {
	ACPI_MADT_LAPIC = 0,	   /* 8 bytes */
	ACPI_MADT_IOAPIC = 1,	   /* 12 */
	ACPI_MADT_ISO = 2,	   /* interrupt source override, 10 */
	ACPI_MADT_NMI_SOURCE = 3,  /* 8 */
	ACPI_MADT_LAPIC_NMI = 4,   /* 6 */
	ACPI_MADT_LAPIC_ADDR = 5,  /* local APIC address override, 12 */
	ACPI_MADT_X2APIC = 9,	   /* 16 */
	ACPI_MADT_X2APIC_NMI = 10, /* 12 */
};

/* Processor flags (LAPIC and x2APIC entries). */
#define ACPI_MADT_ENABLED 1u
#define ACPI_MADT_ONLINE_CAPABLE 2u

/* MPS INTI flags of overrides and NMI entries. */
#define ACPI_MPS_POLARITY_MASK 0x3
#define ACPI_MPS_POLARITY_HIGH 0x1
#define ACPI_MPS_POLARITY_LOW 0x3
#define ACPI_MPS_TRIGGER_MASK 0xc
#define ACPI_MPS_TRIGGER_EDGE 0x4
#define ACPI_MPS_TRIGGER_LEVEL 0xc

#define ACPI_MAX_TABLES 64
#define ACPI_MAX_CPUS 64 /* MADT processors remembered (NR_CPUS are used) */
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_ISOS 24
#define ACPI_MAX_NMIS 16
#define ACPI_UID_ALL 0xffffffffu /* "all processors" in NMI entries */

struct acpi_cpu {
	u32 apic_id; /* local APIC id (8-bit in LAPIC entries, 32-bit in x2APIC) */
	u32 uid;     /* ACPI processor UID */
	u32 flags;   /* ACPI_MADT_ENABLED / ACPI_MADT_ONLINE_CAPABLE */
	bool x2apic; /* described by an x2APIC entry */
};

struct acpi_ioapic {
	u32 id;
	u32 address; /* physical MMIO base */
	u32 gsi_base;
};

struct acpi_iso {
	u8 bus;	   /* 0 = ISA */
	u8 source; /* the ISA IRQ */
	u16 flags; /* ACPI_MPS_* */
	u32 gsi;
};

struct acpi_lapic_nmi {
	u32 uid; /* ACPI_UID_ALL for every processor */
	u16 flags;
	u8 lint; /* LINT0 or LINT1 */
};

struct acpi_madt_info {
	bool present;
	u64 lapic_address; /* after any address override entry */
	bool pcat_compat;
	unsigned int nr_cpus, nr_cpus_dropped;
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	unsigned int nr_ioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	unsigned int nr_isos;
	struct acpi_iso isos[ACPI_MAX_ISOS];
	unsigned int nr_nmis;
	struct acpi_lapic_nmi nmis[ACPI_MAX_NMIS];
	unsigned int nr_nmi_sources; /* type 3 entries, counted only */
	unsigned int nr_bad;	     /* entries skipped as malformed */
};

/*
 * Returns a pointer through which [phys, phys + len) can be read, or NULL
 * if that range is not accessible. Must not fail for part of a range that
 * it accepted as a whole.
 */
typedef const void *(*acpi_map_fn)(u64 phys, u64 len);

struct acpi_tables {
	acpi_map_fn map;
	u8 rsdp_revision;
	bool use_xsdt;
	char oem_id[7];
	unsigned int nr_tables, nr_bad;
	const struct acpi_table_header *tables[ACPI_MAX_TABLES];
	u64 table_phys[ACPI_MAX_TABLES];
};

/* ---- the generic parser (host-tested) ---- */

/* Sum of len bytes, mod 256: 0 for a valid table. */
u8 acpi_checksum(const void *p, size_t len);

/*
 * Validates an RSDP (rsdp_len bytes available at rsdp), then walks the XSDT
 * (or the RSDT for ACPI 1.0 or a bad XSDT) and records every table that
 * maps and checksums. Returns 0, or -1 when there is nothing usable.
 */
int acpi_tables_init(struct acpi_tables *t, const void *rsdp, size_t rsdp_len, acpi_map_fn map);

/* The instance-th (from 0) valid table with this 4-character signature. */
const struct acpi_table_header *acpi_find(const struct acpi_tables *t, const char *sig,
					  unsigned int instance);

/*
 * Walks the entries of a table made of a fixed header of hdr_len bytes and
 * then {type, length} sub-tables (MADT: 44, SRAT: 48). Calls fn for each
 * entry that fits; stops at an entry shorter than 2 bytes or running past
 * the table (reported). Returns the number of malformed entries.
 */
typedef void (*acpi_subtable_fn)(const struct acpi_subtable_header *e, void *arg);
unsigned int acpi_walk_subtables(const struct acpi_table_header *table, size_t hdr_len,
				 acpi_subtable_fn fn, void *arg);

/* Parses a MADT into info (zeroed first). Returns 0, or -1 if unusable. */
int acpi_parse_madt(const struct acpi_table_header *madt, struct acpi_madt_info *info);

/* Prints what acpi_parse_madt() found. */
void acpi_madt_print(const struct acpi_madt_info *info);

/* Looks up the override for an ISA IRQ: returns its GSI, fills flags. */
u32 acpi_isa_irq_to_gsi(const struct acpi_madt_info *info, u8 irq, u16 *flags);

/* ---- SRAT and SLIT (acpi/srat.c) ---- */

#define ACPI_SRAT_HEADER_LEN 48 /* the header, a reserved u32 and u64 */
#define ACPI_SLIT_HEADER_LEN 44 /* the header and the u64 locality count */

enum acpi_srat_type {
	ACPI_SRAT_LAPIC = 0,  /* processor local APIC affinity, 16 bytes */
	ACPI_SRAT_MEMORY = 1, /* memory affinity, 40 */
	ACPI_SRAT_X2APIC = 2, /* processor x2APIC affinity, 24 */
};

#define ACPI_SRAT_ENABLED 1u	      /* every entry type: ignore the entry if clear */
#define ACPI_SRAT_MEM_HOTPLUGGABLE 2u /* memory entries */

struct numa_config;
/* SRAT -> cfg (zeroed first; distances the defaults). Returns 0, or -1 with
 * the reason reported and cfg->nr_nodes == 0 (one node). */
int acpi_parse_srat(const struct acpi_table_header *srat, struct numa_config *cfg);
/* SLIT -> cfg->distance for the nodes acpi_parse_srat() found. Returns 0, or
 * -1 with the reason reported and the distances left as they were. */
int acpi_parse_slit(const struct acpi_table_header *slit, struct numa_config *cfg);
void acpi_numa_print(const struct numa_config *cfg);

/* Set while acpi_numa_init() walks the tables: the table list is not printed. */
extern bool acpi_quiet;

/* ---- the boot steps (acpi/boot.c); rsdp: the RSDP's bytes as the boot
 * loader copied them (struct boot_info), map: how to reach the tables ---- */

/* What acpi_init() found: kernel/smpboot.c reads it, kernel/irq.c hands it to
 * arch/x86_64/ (apic.c, ioapic.c), which never reads these globals itself. */
extern struct acpi_tables acpi_tables;
extern struct acpi_madt_info acpi_madt;

/* After vm_init(): finds the tables from the RSDP and parses the MADT into
 * acpi_madt. Returns 0, or -1 (reported: one CPU, legacy interrupts). */
int acpi_init(const void *rsdp, size_t rsdp_len, acpi_map_fn map);

/* Before mm_init(): SRAT and SLIT -> the configuration for numa_config_set()
 * (mm/numa.c), or NULL (one node) if absent or bad. The result is a copy that
 * stays valid; nothing points into the tables. */
const struct numa_config *acpi_numa_init(const void *rsdp, size_t rsdp_len, acpi_map_fn map);

/* Before mm_init(): the MADT's enabled processors (those smp_init() will
 * try to start, before its NR_CPUS cap), read through map; 0 if there is no
 * usable MADT. A malformed MADT's warnings print here and in acpi_init(). */
unsigned int acpi_early_nr_cpus(const void *rsdp, size_t rsdp_len, acpi_map_fn map);

/* ---- the kernel's map functions (kernel/acpi_osl.c) ---- */

/* Before vm_init(): the boot identity map of [0, BOOT_IDENTITY_MAP_END). */
const void *acpi_os_map_early(u64 phys, u64 len);
/* After vm_init(): memremap(), the direct map or a cached mapping. */
const void *acpi_os_map_memory(u64 phys, u64 len);

#endif
