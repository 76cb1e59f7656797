/*
 * tables.c - finds and checks the ACPI tables: the RSDP, the XSDT (ACPI
 * 2.0+) or RSDT (1.0) it points to, and every table they list.
 *
 * Pure parsing: this file never dereferences a physical address itself.
 * The caller passes an acpi_map_fn that makes [phys, phys + len) readable
 * (the kernel's are in kernel/acpi_osl.c, the host tests' lay tables out in
 * a buffer), and the RSDP bytes the boot loader found. Each table is mapped,
 * its length bounded and its checksum verified before anything reads it; a
 * bad table is reported with its signature and the reason, and skipped.
 *
 * Neighbours: acpi/madt.c (interrupt controllers) and acpi/srat.c (NUMA)
 * parse single tables through acpi_walk_subtables() here; acpi/boot.c holds
 * the two boot steps that tie them together. Host-tested by
 * tests/host/test_acpi.c and test_acpi_numa.c.
 */
#define pr_fmt(fmt) "ACPI: " fmt

#include <labyrinth/acpi.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

#define ACPI_TABLE_MAX_LEN (16u << 20) /* larger than any sane table */

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
