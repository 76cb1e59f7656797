/*
 * test_acpi_numa.c - host tests of the SRAT and SLIT parsers
 * (acpi/srat.c). Each table is a malloc'd buffer of exactly its
 * length, so ASan catches any read past its end. Well-formed tables (QEMU's
 * shape, x2APIC entries, disabled and hot-pluggable entries, sparse PXMs);
 * then malformed ones: a bad checksum (through the table walk of
 * acpi/tables.c), truncated entries, entries too short for their type or
 * of length 0, more proximity domains than MAX_NUMNODES, overlapping
 * nodes; SLITs that do not match the SRAT, are too short, have a bad
 * diagonal or distances of 10 or less; asymmetric distances; random
 * corruption. The mm side (zonelists from the result) is tests/host/test_numa.c.
 */
#include <string.h>

#include <labyrinth/acpi.h>
#include <labyrinth/numa.h>
#include "host.h"

static u8 ent[2048]; /* entries being assembled */
static size_t ent_len;

static void put(const void *p, size_t n)
{
	memcpy(ent + ent_len, p, n);
	ent_len += n;
}

static void lapic(u32 pxm, u8 apic_id, u32 flags)
{
	u8 e[16] = { 0, 16, (u8)pxm, apic_id };

	memcpy(e + 4, &flags, 4);
	e[9] = (u8)(pxm >> 8);
	e[10] = (u8)(pxm >> 16);
	e[11] = (u8)(pxm >> 24);
	put(e, sizeof(e));
}

static void x2apic(u32 pxm, u32 id, u32 flags)
{
	u8 e[24] = { 2, 24 };

	memcpy(e + 4, &pxm, 4);
	memcpy(e + 8, &id, 4);
	memcpy(e + 12, &flags, 4);
	put(e, sizeof(e));
}

static void memaff(u32 pxm, u64 base, u64 len, u32 flags)
{
	u8 e[40] = { 1, 40 };

	memcpy(e + 2, &pxm, 4);
	memcpy(e + 8, &base, 8);
	memcpy(e + 16, &len, 8);
	memcpy(e + 28, &flags, 4);
	put(e, sizeof(e));
}

static struct acpi_table_header *table(const char *sig, size_t hdr, const void *body, size_t n)
{
	struct acpi_table_header *h = calloc(1, hdr + n);

	memcpy(h->signature, sig, 4);
	h->length = (u32)(hdr + n);
	h->revision = 3;
	memcpy((u8 *)h + hdr, body, n);
	h->checksum = (u8)-acpi_checksum(h, h->length);
	return h;
}

static struct acpi_table_header *srat(void)
{
	struct acpi_table_header *h = table("SRAT", ACPI_SRAT_HEADER_LEN, ent, ent_len);

	ent_len = 0;
	return h;
}

/* A SLIT of n localities from an n x n matrix. */
static struct acpi_table_header *slit(u64 n, const u8 *m)
{
	u8 body[8 + 64];

	memcpy(body, &n, 8);
	memcpy(body + 8, m, n * n);
	return table("SLIT", sizeof(struct acpi_table_header), body, 8 + n * n);
}

/* Parses h (then frees it); returns acpi_parse_srat()'s result. */
static int parse(struct acpi_table_header *h, struct numa_config *c)
{
	int r;

	host_log_clear();
	r = acpi_parse_srat(h, c);
	free(h);
	return r;
}

static void expect_rejected(struct acpi_table_header *h, const char *why, const char *name)
{
	struct numa_config c;

	ok(parse(h, &c) == -1 && c.nr_nodes == 0 && host_log_contains(why), "%s: rejected (%s)",
	   name, why);
}

/* QEMU's shape: CPUs first, then node 0's two ranges and node 1's. */
static void build_qemu_like(void)
{
	lapic(0, 0, ACPI_SRAT_ENABLED);
	lapic(1, 1, ACPI_SRAT_ENABLED);
	x2apic(1, 300, ACPI_SRAT_ENABLED);
	lapic(1, 2, 0); /* disabled: not a CPU */
	memaff(0, 0, 0xa0000, ACPI_SRAT_ENABLED);
	memaff(0, 0x100000, 0x1ff00000, ACPI_SRAT_ENABLED);
	memaff(1, 0x20000000, 0x20000000, ACPI_SRAT_ENABLED);
	memaff(1, 0x100000000ull, 1ull << 30, ACPI_SRAT_ENABLED | ACPI_SRAT_MEM_HOTPLUGGABLE);
	memaff(0, 0, 0, 0); /* QEMU's padding: disabled, empty */
}

static void test_well_formed(void)
{
	struct numa_config c;

	build_qemu_like();
	is_u64(parse(srat(), &c), 0, "well-formed SRAT parses");
	is_u64(c.nr_nodes, 2, "two nodes");
	is_u64(c.nr_memblks, 4, "four enabled ranges (the empty one dropped)");
	is_u64(c.nr_cpus, 3, "three enabled CPUs (the disabled one dropped)");
	ok(c.cpus[2].apic_id == 300 && c.cpus[2].nid == 1, "x2APIC entry: id 300 on node 1");
	ok(c.memblks[2].start == 0x20000000 && c.memblks[2].end == 0x40000000 &&
	       c.memblks[2].nid == 1,
	   "node 1 range [512 MiB, 1 GiB)");
	ok(c.memblks[3].hotplug && host_log_contains("1 hot-pluggable range"),
	   "hot-pluggable range kept and noted");
	ok(!c.have_slit && c.distance[0][1] == REMOTE_DISTANCE &&
	       c.distance[1][1] == LOCAL_DISTANCE,
	   "without SLIT: default distances");
}

static void test_sparse_pxms(void)
{
	struct numa_config c;

	lapic(0x1234567, 0, ACPI_SRAT_ENABLED); /* the high PXM bytes of a LAPIC entry */
	memaff(7, 0, 1 << 30, ACPI_SRAT_ENABLED);
	memaff(3, 1 << 30, 1 << 30, ACPI_SRAT_ENABLED);
	is_u64(parse(srat(), &c), 0, "PXMs 0x1234567, 7, 3 parse");
	ok(c.nr_nodes == 3 && c.pxm[0] == 3 && c.pxm[1] == 7 && c.pxm[2] == 0x1234567,
	   "nids are the PXMs in ascending order");
	ok(c.memblks[0].nid == 1 && c.memblks[1].nid == 0 && c.cpus[0].nid == 2,
	   "entries carry the mapped nids");
}

/* The table walk of acpi/tables.c drops an SRAT whose checksum is wrong. */
static const void *buf_map(u64 phys, u64 len)
{
	(void)len;
	return (const void *)(uintptr_t)phys;
}

static void test_bad_checksum(void)
{
	struct acpi_rsdp r = { .revision = 0 };
	u32 rsdt_body;
	struct acpi_table_header *s, *rsdt;
	struct acpi_tables t;

	build_qemu_like();
	s = srat();
	s->checksum ^= 0x55;
	rsdt_body = (u32)(uintptr_t)s;
	if ((uintptr_t)s > 0xffffffffu) { /* RSDT entries are 32-bit: use an XSDT */
		u64 x = (u64)(uintptr_t)s;

		rsdt = table("XSDT", sizeof(*rsdt), &x, 8);
		r.revision = 2;
		r.xsdt_address = (u64)(uintptr_t)rsdt;
		r.length = sizeof(r);
	} else {
		rsdt = table("RSDT", sizeof(*rsdt), &rsdt_body, 4);
		r.rsdt_address = (u32)(uintptr_t)rsdt;
	}
	memcpy(r.signature, "RSD PTR ", 8);
	r.checksum = (u8)-acpi_checksum(&r, ACPI_RSDP_V1_LEN);
	r.extended_checksum = (u8)-acpi_checksum(&r, sizeof(r));
	host_log_clear();
	acpi_tables_init(&t, &r, sizeof(r), buf_map);
	ok(acpi_find(&t, "SRAT", 0) == NULL && host_log_contains("[SRAT]") &&
	       host_log_contains("bad checksum"),
	   "SRAT with a bad checksum: reported and not found");
	free(s);
	free(rsdt);
}

static void test_malformed(void)
{
	struct acpi_table_header *h;
	unsigned int i;

	build_qemu_like();
	h = srat();
	h->length -= 20; /* the last entry now runs past the end */
	expect_rejected(h, "malformed entry", "truncated SRAT");

	memaff(0, 0, 1 << 20, ACPI_SRAT_ENABLED);
	ent[1] = 16; /* a memory entry claiming 16 bytes */
	expect_rejected(srat(), "memory entry too short", "short memory entry");

	lapic(0, 0, ACPI_SRAT_ENABLED);
	ent[1] = 0; /* length 0 would loop forever */
	expect_rejected(srat(), "malformed entry", "zero-length entry");

	expect_rejected(table("SRAT", 40, ent, 0), "shorter than its header", "SRAT of 40 bytes");
	expect_rejected(srat(), "no enabled entries", "empty SRAT");

	for (i = 0; i <= MAX_NUMNODES; i++)
		memaff(i, (u64)i << 30, 1 << 30, ACPI_SRAT_ENABLED);
	expect_rejected(srat(), "more proximity domains than MAX_NUMNODES", "9 PXMs");

	memaff(0, 0, 1 << 30, ACPI_SRAT_ENABLED);
	memaff(1, 1 << 29, 1 << 30, ACPI_SRAT_ENABLED);
	expect_rejected(srat(), "memory ranges of two nodes overlap", "overlapping nodes");

	memaff(0, ~0ull - 10, 100, ACPI_SRAT_ENABLED);
	expect_rejected(srat(), "wraps around", "range past 2^64");

	for (i = 0; i <= NUMA_MAX_MEMBLKS; i++)
		memaff(0, (u64)i << 30, 1 << 20, ACPI_SRAT_ENABLED);
	expect_rejected(srat(), "more memory ranges", "33 ranges");
}

/* Three nodes at PXMs 0, 1, 2. */
static void three_nodes(struct numa_config *c)
{
	for (u32 p = 0; p < 3; p++)
		memaff(p, (u64)p << 30, 1 << 30, ACPI_SRAT_ENABLED);
	parse(srat(), c);
}

static void test_slit(void)
{
	static const u8 asym[9] = { 10, 20, 30, 25, 10, 15, 30, 15, 10 };
	static const u8 two[4] = { 10, 20, 20, 10 };
	struct acpi_table_header *h;
	struct numa_config c;
	u8 m[9];

	three_nodes(&c);
	h = slit(3, asym);
	host_log_clear();
	is_u64(acpi_parse_slit(h, &c), 0, "asymmetric SLIT accepted");
	ok(c.have_slit && c.distance[0][1] == 20 && c.distance[1][0] == 25 &&
	       c.distance[2][1] == 15,
	   "distances are [from][to]");
	ok(host_log_contains("asymmetric"), "asymmetry noted");
	free(h);

	three_nodes(&c);
	h = slit(2, two);
	host_log_clear();
	ok(acpi_parse_slit(h, &c) == -1 && !c.have_slit && c.distance[0][2] == REMOTE_DISTANCE &&
	       host_log_contains("fewer localities"),
	   "SLIT of 2 localities for 3 nodes: ignored, defaults kept");
	h->length -= 1;
	host_log_clear();
	ok(acpi_parse_slit(h, &c) == -1 && host_log_contains("does not fit"),
	   "SLIT shorter than count^2: ignored");
	free(h);

	memcpy(m, asym, 9);
	m[4] = 11;
	h = slit(3, m);
	ok(acpi_parse_slit(h, &c) == -1 && host_log_contains("itself is not 10"),
	   "diagonal not 10: ignored");
	free(h);
	memcpy(m, asym, 9);
	m[5] = 10;
	h = slit(3, m);
	ok(acpi_parse_slit(h, &c) == -1 && host_log_contains("10 or less"),
	   "off-diagonal 10: ignored");
	free(h);
}

/* PXMs 1 and 3: the SLIT is indexed by PXM, the result by nid. */
static void test_slit_sparse(void)
{
	u8 m[16];
	struct acpi_table_header *h;
	struct numa_config c;

	memset(m, 99, sizeof(m));
	m[1 * 4 + 1] = m[3 * 4 + 3] = 10;
	m[1 * 4 + 3] = 17;
	m[3 * 4 + 1] = 21;
	memaff(3, 0, 1 << 30, ACPI_SRAT_ENABLED);
	memaff(1, 1 << 30, 1 << 30, ACPI_SRAT_ENABLED);
	parse(srat(), &c);
	h = slit(4, m);
	ok(acpi_parse_slit(h, &c) == 0 && c.distance[0][1] == 17 && c.distance[1][0] == 21,
	   "SLIT rows and columns are PXMs, mapped to nids");
	free(h);
}

static void test_random_corruption(uint64_t seed)
{
	struct numa_config c;
	unsigned int i, accepted = 0;

	host_log_quiet = true;
	for (i = 0; i < 3000; i++) {
		struct acpi_table_header *h;

		build_qemu_like();
		h = srat();
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		((u8 *)
		     h)[ACPI_SRAT_HEADER_LEN + (seed >> 33) % (h->length - ACPI_SRAT_HEADER_LEN)] ^=
		    (u8)(1u << ((seed >> 20) & 7));
		accepted += parse(h, &c) == 0;
		if (c.nr_nodes > MAX_NUMNODES)
			break;
	}
	host_log_quiet = false;
	ok(i == 3000, "3000 corrupted SRATs: no crash, never too many nodes (%u accepted)",
	   accepted);
}

int main(int argc, char **argv)
{
	uint64_t seed = test_seed(argc, argv);

	test_well_formed();
	test_sparse_pxms();
	test_bad_checksum();
	test_malformed();
	test_slit();
	test_slit_sparse();
	test_random_corruption(seed);
	return done_testing();
}
