/*
 * test_mb2.c - TAP tests of the multiboot2 information walker
 * (boot/multiboot2/mb2.c) on information blocks assembled in memory.
 *
 * A small builder lays out tags exactly as GRUB does (8-byte aligned, END
 * last, total_size in front). Well-formed blocks imitate GRUB under BIOS and
 * under UEFI; malformed ones hit every named error. A block at the very end
 * of a mapping followed by a PROT_NONE page shows that mb2_parse() (which
 * has no size argument, like the kernel) reads nothing past total_size, and
 * a seeded mutation loop checks the walker's invariants on damaged input.
 * The libFuzzer harness for the same code is tests/fuzz/fuzz_mb2.c.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <boot/multiboot2/mb2.h>
#include <labyrinth/compiler.h>
#include "host.h"

#define INFO_PHYS 0x10000ull /* where the tests pretend the block lives */
#define BUF_SIZE (128 * 1024)

static u8 buf[BUF_SIZE] __aligned(8);
static struct boot_info bi;

struct mb {
	u8 *buf;
	size_t len; /* bytes laid out so far (always 8-aligned) */
};

static void put32(u8 *p, u32 v)
{
	memcpy(p, &v, sizeof(v));
}

static void put64(u8 *p, u64 v)
{
	memcpy(p, &v, sizeof(v));
}

static struct mb *mb_start(void)
{
	static struct mb b;

	memset(buf, 0, sizeof(buf));
	b.buf = buf;
	b.len = MB2_INFO_HEADER_SIZE;
	return &b;
}

/* Appends a tag of the given size field with payload_len bytes reserved. */
static u8 *mb_tag_sized(struct mb *b, u32 type, u32 size, size_t payload_len)
{
	u8 *t = b->buf + b->len;

	put32(t, type);
	put32(t + 4, size);
	b->len += ALIGN(MB2_TAG_HEADER_SIZE + payload_len, (size_t)8);
	return t + MB2_TAG_HEADER_SIZE;
}

static u8 *mb_tag(struct mb *b, u32 type, size_t payload_len)
{
	return mb_tag_sized(b, type, (u32)(MB2_TAG_HEADER_SIZE + payload_len), payload_len);
}

/* Ends the block: END tag and total_size. Returns total_size. */
static u32 mb_end(struct mb *b)
{
	mb_tag(b, MB2_TAG_END, 0);
	put32(b->buf, (u32)b->len);
	return (u32)b->len;
}

static void mb_string(struct mb *b, u32 type, const char *s)
{
	memcpy(mb_tag(b, type, strlen(s) + 1), s, strlen(s) + 1);
}

static void mb_mmap(struct mb *b, u32 n, u32 esize, u32 version)
{
	u8 *p = mb_tag(b, MB2_TAG_MMAP, 8 + (size_t)n * esize);

	put32(p, esize);
	put32(p + 4, version);
	for (u32 i = 0; i < n; i++) {
		u8 *e = p + 8 + (size_t)i * esize;

		put64(e, (u64)i << 20);
		put64(e + 8, 0x1000 * (u64)(i + 1));
		put32(e + 16, i % 5 + 1);
	}
}

/* EFI descriptors: type i % 15, phys_start i MiB, i + 1 pages. */
static void mb_efi_mmap(struct mb *b, u32 n, u32 dsize, u32 dvers)
{
	u8 *p = mb_tag(b, MB2_TAG_EFI_MMAP, 8 + (size_t)n * dsize);

	put32(p, dsize);
	put32(p + 4, dvers);
	for (u32 i = 0; i < n; i++) {
		u8 *d = p + 8 + (size_t)i * dsize;

		put32(d, i % 15);
		put64(d + 8, (u64)i << 20);
		put64(d + 24, i + 1);
	}
}

/* An RSDP of len bytes: signature, then revision 0 (v1) or 2 (v2). */
static u8 *mb_rsdp(struct mb *b, u32 type, u32 len)
{
	u8 *p = mb_tag(b, type, len);

	memcpy(p, "RSD PTR ", 8);
	p[15] = type == MB2_TAG_ACPI_NEW ? 2 : 0;
	return p;
}

static void mb_efi64(struct mb *b, u64 st)
{
	put64(mb_tag(b, MB2_TAG_EFI64, 8), st);
}

static void mb_module(struct mb *b, u32 start, u32 end, const char *s)
{
	u8 *p = mb_tag(b, MB2_TAG_MODULE, 8 + strlen(s) + 1);

	put32(p, start);
	put32(p + 4, end);
	memcpy(p + 8, s, strlen(s) + 1);
}

static int parse(void)
{
	return mb2_parse_bounded(buf, sizeof(buf), INFO_PHYS, &bi);
}

static bool expect_err(int want, const char *what)
{
	int got = parse();
	bool r = ok(got == want, "%s: %s", what, mb2_strerror(want));

	if (!r)
		printf("#   got %d (%s)\n", got, mb2_strerror(got));
	return r;
}

/* ---- well-formed blocks ----------------------------------------------- */

static void test_bios_like(void)
{
	struct mb *b = mb_start();
	u8 *rsdp;
	u32 total;

	mb_string(b, MB2_TAG_CMDLINE, "test=fault ktest=boot_info");
	mb_string(b, MB2_TAG_LOADER_NAME, "GRUB 2.06-13+deb12u2");
	mb_mmap(b, 6, 24, 0);
	rsdp = mb_rsdp(b, MB2_TAG_ACPI_OLD, 20);
	total = mb_end(b);
	is_u64(parse(), 0, "BIOS-like block parses");
	is_u64(bi.boot_path, BOOT_PATH_BIOS_GRUB, "BIOS-like: boot path BIOS -> GRUB");
	ok(!strcmp(bi.cmdline, "test=fault ktest=boot_info"), "BIOS-like: command line");
	ok(!strcmp(bi.loader_name, "GRUB 2.06-13+deb12u2"), "BIOS-like: loader name");
	is_u64(bi.nr_e820, 6, "BIOS-like: 6 e820 entries");
	is_u64(bi.e820[5].addr, 5ull << 20, "BIOS-like: entry 5 address");
	is_u64(bi.e820[5].len, 0x6000, "BIOS-like: entry 5 length");
	is_u64(bi.e820[5].type, 1, "BIOS-like: entry 5 type");
	is_u64(bi.rsdp_len, 20, "BIOS-like: RSDP v1 is 20 bytes");
	is_u64(bi.rsdp_phys, INFO_PHYS + (u64)(rsdp - buf),
	       "BIOS-like: rsdp_phys inside the block");
	ok(!memcmp(bi.rsdp, "RSD PTR ", 8), "BIOS-like: RSDP copied");
	is_u64(bi.info_phys_start, INFO_PHYS, "BIOS-like: info_phys_start");
	is_u64(bi.info_phys_end, INFO_PHYS + total, "BIOS-like: info_phys_end");
	is_u64(bi.efi_map_size + bi.efi_desc_size + bi.efi_system_table, 0, "BIOS-like: no EFI");
	is_u64(bi.magic, BOOT_INFO_MAGIC, "BIOS-like: magic set");
	is_u64(bi.size, sizeof(bi), "BIOS-like: size set");
	is_u64(bi.kernel_phys_start + bi.kernel_phys_end, 0, "kernel range left to boot_info.c");
}

static u64 efi_desc_field(size_t off)
{
	u64 v;

	memcpy(&v, bi.efi_map + off, sizeof(v));
	return v;
}

static void test_uefi_like(u32 dsize)
{
	struct mb *b = mb_start();
	u8 *rsdp;

	mb_string(b, MB2_TAG_CMDLINE, "");
	mb_mmap(b, 20, 24, 0);
	mb_efi64(b, 0x7fe4e018);
	rsdp = mb_rsdp(b, MB2_TAG_ACPI_NEW, 36);
	mb_efi_mmap(b, 100, dsize, 1);
	mb_end(b);
	is_u64(parse(), 0, "UEFI-like block (descr_size %u) parses", dsize);
	is_u64(bi.boot_path, BOOT_PATH_UEFI_GRUB, "UEFI-like: boot path UEFI -> GRUB");
	is_u64(bi.efi_system_table, 0x7fe4e018, "UEFI-like: EFI system table");
	is_u64(bi.efi_desc_size, dsize, "UEFI-like: descr_size kept");
	is_u64(bi.efi_desc_version, 1, "UEFI-like: descr_vers kept");
	is_u64(bi.efi_map_size, 100 * dsize, "UEFI-like: all descriptors copied");
	is_u64(efi_desc_field(99 * dsize + 8), 99ull << 20, "UEFI-like: last descriptor's start");
	is_u64(efi_desc_field(99 * dsize + 24), 100, "UEFI-like: last descriptor's page count");
	is_u64(bi.rsdp_len, 36, "UEFI-like: RSDP v2 is 36 bytes");
	is_u64(bi.rsdp_phys, INFO_PHYS + (u64)(rsdp - buf), "UEFI-like: rsdp_phys");
	is_u64(bi.nr_e820, 20, "UEFI-like: 20 e820 entries");
	is_u64(bi.cmdline[0], 0, "UEFI-like: empty command line");
}

/* Only an EFI memory map tag (no system table tag) still means UEFI. */
static void test_efi_mmap_alone(void)
{
	struct mb *b = mb_start();

	mb_efi_mmap(b, 3, 40, 1);
	mb_end(b);
	is_u64(parse(), 0, "EFI map alone parses");
	is_u64(bi.boot_path, BOOT_PATH_UEFI_GRUB, "EFI map alone: boot path UEFI");
}

/* Both RSDP tags: the v2 copy wins in either order. */
static void test_rsdp_both(void)
{
	for (int order = 0; order < 2; order++) {
		struct mb *b = mb_start();
		u8 *v2;

		if (order)
			v2 = mb_rsdp(b, MB2_TAG_ACPI_NEW, 36);
		mb_rsdp(b, MB2_TAG_ACPI_OLD, 20);
		if (!order)
			v2 = mb_rsdp(b, MB2_TAG_ACPI_NEW, 36);
		mb_end(b);
		is_u64(parse(), 0, "RSDP v1+v2 (order %d) parses", order);
		is_u64(bi.rsdp_len, 36, "RSDP v1+v2 (order %d): v2 kept", order);
		is_u64(bi.rsdp_phys, INFO_PHYS + (u64)(v2 - buf),
		       "RSDP v1+v2 (order %d): v2 address", order);
	}
}

/* entry_size may be larger than 24: entries are walked with it. */
static void test_mmap_wide_entries(void)
{
	struct mb *b = mb_start();

	mb_mmap(b, 4, 40, 0);
	mb_end(b);
	is_u64(parse(), 0, "memory map with entry_size 40 parses");
	is_u64(bi.nr_e820, 4, "entry_size 40: 4 entries");
	is_u64(bi.e820[3].addr, 3ull << 20, "entry_size 40: entry 3 address");
	is_u64(bi.e820[3].type, 4, "entry_size 40: entry 3 type");
}

static void test_modules_and_unknown_tags(void)
{
	struct mb *b = mb_start();

	mb_tag(b, MB2_TAG_LOAD_BASE_ADDR, 4);
	mb_module(b, 0x200000, 0x201000, "initrd");
	mb_tag(b, MB2_TAG_ELF_SECTIONS, 100);
	mb_module(b, 0x300000, 0x300000, "");
	mb_tag(b, 999, 3);
	mb_end(b);
	is_u64(parse(), 0, "modules and unknown tags parse");
	is_u64(bi.nr_modules, 2, "two modules");
	is_u64(bi.modules[0].start, 0x200000, "module 0 start");
	is_u64(bi.modules[0].end, 0x201000, "module 0 end");
	ok(!strcmp(bi.modules[0].name, "initrd"), "module 0 string");
	is_u64(bi.modules[1].name[0], 0, "module 1: empty string");
}

static void test_trailing_after_end(void)
{
	struct mb *b = mb_start();
	u32 total;

	mb_string(b, MB2_TAG_CMDLINE, "a");
	total = mb_end(b);
	put32(buf, total + 16);
	host_log_clear();
	is_u64(parse(), 0, "bytes after the END tag are tolerated");
	ok(host_log_contains("16 bytes after the END tag ignored"), "... and reported");
}

/* ---- real blocks: what GRUB 2.06 passed under QEMU (tests/data/mb2/) --- */

struct fixture {
	const char *file;
	u32 boot_path, nr_e820, efi_map_size, rsdp_len;
};

static const struct fixture fixtures[] = {
	{ "grub-bios-128M.bin", BOOT_PATH_BIOS_GRUB, 7, 0, 20 },
	{ "grub-bios-5G.bin", BOOT_PATH_BIOS_GRUB, 8, 0, 20 },
	{ "grub-uefi-128M.bin", BOOT_PATH_UEFI_GRUB, 19, 5808, 36 },
	{ "grub-uefi-5G.bin", BOOT_PATH_UEFI_GRUB, 20, 5856, 36 },
};

/* Reads a fixture into buf; 0 when it cannot be found (test skipped). */
static size_t load_fixture(const char *file)
{
	char path[256];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "tests/data/mb2/%s", file);
	f = fopen(path, "rb");
	if (!f)
		return 0;
	memset(buf, 0, sizeof(buf));
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return n;
}

/* Every shorter total_size must be rejected: END is the last tag. */
static bool truncations_rejected(u32 total)
{
	bool all = true;

	host_log_quiet = true;
	for (u32 t = 0; t < total; t++) {
		put32(buf, t);
		all &= mb2_parse_bounded(buf, t, INFO_PHYS, &bi) < 0;
	}
	put32(buf, total);
	host_log_quiet = false;
	return all;
}

static void test_fixture(const struct fixture *fx)
{
	size_t n = load_fixture(fx->file);

	if (!n) {
		ok(true, "# SKIP tests/data/mb2/%s not found (run from the repository root)",
		   fx->file);
		return;
	}
	is_u64(parse(), 0, "%s parses", fx->file);
	is_u64(bi.info_phys_end - bi.info_phys_start, n, "%s: total_size is the file size",
	       fx->file);
	is_u64(bi.boot_path, fx->boot_path, "%s: boot path", fx->file);
	ok(!strcmp(bi.cmdline, "console=ttyS0 ktest=boot_info"), "%s: command line", fx->file);
	ok(!strncmp(bi.loader_name, "GRUB 2.06", 9), "%s: loader name", fx->file);
	is_u64(bi.nr_e820, fx->nr_e820, "%s: e820 entries", fx->file);
	is_u64(bi.efi_map_size, fx->efi_map_size, "%s: EFI map bytes", fx->file);
	is_u64(bi.efi_desc_size, fx->efi_map_size ? 48 : 0, "%s: EFI descr_size", fx->file);
	is_u64(bi.rsdp_len, fx->rsdp_len, "%s: RSDP length", fx->file);
	ok(!memcmp(bi.rsdp, "RSD PTR ", 8), "%s: RSDP signature", fx->file);
	ok(truncations_rejected((u32)n), "%s: every shorter total_size rejected", fx->file);
}

/* ---- limits: warnings, not errors ------------------------------------- */

static void test_too_many_e820(void)
{
	struct mb *b = mb_start();

	mb_mmap(b, BOOT_E820_MAX + 44, 24, 0);
	mb_end(b);
	host_log_clear();
	is_u64(parse(), 0, "%u e820 entries: still parses", BOOT_E820_MAX + 44);
	is_u64(bi.nr_e820, BOOT_E820_MAX, "... keeps BOOT_E820_MAX");
	is_u64(bi.nr_dropped, 44, "... counts the dropped ones");
	ok(host_log_contains("too many memory map entries (kept 256, dropped 44)"),
	   "... and warns with the counts");
}

static void test_too_many_efi(void)
{
	struct mb *b = mb_start();
	u32 keep = BOOT_EFI_MAP_MAX / 48;

	mb_efi_mmap(b, keep + 18, 48, 1);
	mb_end(b);
	host_log_clear();
	is_u64(parse(), 0, "EFI map larger than BOOT_EFI_MAP_MAX: still parses");
	is_u64(bi.efi_map_size, keep * 48, "... keeps whole descriptors");
	is_u64(bi.nr_dropped, 18, "... counts the dropped ones");
	ok(host_log_contains("too many memory map entries"), "... and warns");
}

static void test_long_cmdline(void)
{
	static char s[2000];
	struct mb *b = mb_start();

	memset(s, 'x', sizeof(s) - 1);
	mb_string(b, MB2_TAG_CMDLINE, s);
	mb_end(b);
	host_log_clear();
	is_u64(parse(), 0, "2 KiB command line: parses");
	is_u64(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1, "... truncated to fit");
	ok(host_log_contains("command line of 1999 bytes truncated to 1023"), "... with a warning");
}

static void test_duplicates_and_versions(void)
{
	struct mb *b = mb_start();

	mb_string(b, MB2_TAG_CMDLINE, "first");
	mb_string(b, MB2_TAG_CMDLINE, "second");
	mb_efi_mmap(b, 2, 48, 2);
	mb_end(b);
	host_log_clear();
	is_u64(parse(), 0, "duplicate command line: parses");
	ok(!strcmp(bi.cmdline, "first"), "... keeps the first");
	ok(host_log_contains("duplicate tag type 1"), "... and warns");
	ok(host_log_contains("descriptor version 2, expected 1"), "EFI descr_vers 2 warns");
}

/* ---- malformed blocks: each named error -------------------------------- */

static void test_total_size_errors(void)
{
	mb_start();
	put32(buf, 4);
	expect_err(MB2_ERR_TOTAL_SIZE_SMALL, "total_size 4");
	put32(buf, 0);
	expect_err(MB2_ERR_TOTAL_SIZE_SMALL, "total_size 0");
	put32(buf, sizeof(buf) + 8);
	expect_err(MB2_ERR_TOTAL_SIZE_AVAIL, "total_size past the buffer");
	put32(buf, MB2_INFO_MAX + 8);
	expect_err(MB2_ERR_TOTAL_SIZE_LARGE, "total_size above 1 MiB");
	is_u64(mb2_parse(buf, INFO_PHYS, &bi), MB2_ERR_TOTAL_SIZE_LARGE,
	       "mb2_parse: total_size above 1 MiB");
	is_u64(mb2_parse_bounded(buf, 7, INFO_PHYS, &bi), MB2_ERR_TOTAL_SIZE_AVAIL,
	       "fewer than 8 readable bytes");
	is_u64(mb2_parse_bounded(NULL, 64, INFO_PHYS, &bi), MB2_ERR_NULL, "NULL information");
}

static void test_tag_size_errors(void)
{
	static const u32 sizes[] = { 0, 4, 7 };
	struct mb *b;

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		b = mb_start();
		mb_tag_sized(b, MB2_TAG_CMDLINE, sizes[i], 8);
		mb_end(b);
		expect_err(MB2_ERR_TAG_SIZE, "tag size below 8");
	}
	b = mb_start();
	mb_tag_sized(b, MB2_TAG_CMDLINE, 64, 8);
	mb_end(b);
	expect_err(MB2_ERR_TAG_PAST_END, "tag size past total_size");
}

/* Sizes whose 8-byte round-up wraps a u32: must not loop or walk back. */
static void test_tag_size_overflow(void)
{
	static const u32 sizes[] = { 0xffffffff, 0xfffffff9, 0xfffffff8, 0x80000000 };

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct mb *b = mb_start();

		mb_tag_sized(b, 42, sizes[i], 0);
		mb_end(b);
		expect_err(MB2_ERR_TAG_PAST_END, "tag size near 4 GiB");
	}
}

static void test_end_errors(void)
{
	struct mb *b = mb_start();

	mb_string(b, MB2_TAG_CMDLINE, "ab"); /* a tag of 11 bytes, 16 with padding */
	put32(buf, (u32)b->len);
	expect_err(MB2_ERR_NO_END, "no END tag");
	put32(buf, (u32)b->len - 3);
	expect_err(MB2_ERR_NO_END, "no END tag, odd total_size");
	b = mb_start();
	mb_tag_sized(b, MB2_TAG_END, 16, 8);
	put32(buf, (u32)b->len);
	expect_err(MB2_ERR_END_SIZE, "END tag of size 16");
	b = mb_start();
	put32(buf, 8);
	expect_err(MB2_ERR_NO_END, "header only");
}

static void test_misaligned(void)
{
	struct mb *b = mb_start();

	mb_string(b, MB2_TAG_CMDLINE, "x");
	mb_end(b);
	host_log_clear();
	is_u64(mb2_parse_bounded(buf, sizeof(buf), INFO_PHYS + 4, &bi), MB2_ERR_TAG_MISALIGNED,
	       "information at a 4-aligned address: misaligned tag");
	ok(host_log_contains("misaligned tag"), "... reported by name");
}

static void test_mmap_errors(void)
{
	static const u32 bad_sizes[] = { 0, 8, 20, 28, 33 };
	struct mb *b;

	for (size_t i = 0; i < ARRAY_SIZE(bad_sizes); i++) {
		b = mb_start();
		mb_mmap(b, 2, bad_sizes[i], 0);
		mb_end(b);
		expect_err(MB2_ERR_MMAP_ENTRY_SIZE, "mmap entry_size");
	}
	b = mb_start();
	mb_mmap(b, 2, 24, 1);
	mb_end(b);
	expect_err(MB2_ERR_MMAP_VERSION, "mmap entry_version 1");
	b = mb_start();
	mb_tag(b, MB2_TAG_MMAP, 4);
	mb_end(b);
	expect_err(MB2_ERR_TAG_TOO_SMALL, "mmap tag of 12 bytes");
}

static void test_efi_mmap_errors(void)
{
	struct mb *b = mb_start();

	mb_efi_mmap(b, 2, 32, 1);
	mb_end(b);
	expect_err(MB2_ERR_EFI_DESC_SIZE, "EFI descr_size 32");
	b = mb_start();
	mb_efi_mmap(b, 2, 44, 1);
	mb_end(b);
	expect_err(MB2_ERR_EFI_DESC_ALIGN, "EFI descr_size 44");
	b = mb_start();
	mb_efi_mmap(b, 1, 8192, 1);
	mb_end(b);
	expect_err(MB2_ERR_EFI_DESC_LARGE, "EFI descr_size 8192");
	b = mb_start();
	mb_tag(b, MB2_TAG_EFI_MMAP, 0);
	mb_end(b);
	expect_err(MB2_ERR_TAG_TOO_SMALL, "EFI map tag of 8 bytes");
}

static void test_string_errors(void)
{
	struct mb *b = mb_start();

	memset(mb_tag(b, MB2_TAG_CMDLINE, 5), 'a', 5);
	mb_end(b);
	expect_err(MB2_ERR_CMDLINE_NUL, "command line without NUL");
	b = mb_start();
	mb_tag(b, MB2_TAG_CMDLINE, 0);
	mb_end(b);
	expect_err(MB2_ERR_CMDLINE_NUL, "command line tag with no bytes");
	b = mb_start();
	memset(mb_tag(b, MB2_TAG_LOADER_NAME, 3), 'g', 3);
	mb_end(b);
	expect_err(MB2_ERR_STRING_NUL, "loader name without NUL");
	b = mb_start();
	memset(mb_tag(b, MB2_TAG_MODULE, 12), 'm', 12);
	put32(buf + 16, 0);
	put32(buf + 20, 0);
	mb_end(b);
	expect_err(MB2_ERR_STRING_NUL, "module string without NUL");
}

static void test_other_tag_errors(void)
{
	struct mb *b = mb_start();

	mb_module(b, 0x2000, 0x1000, "backwards");
	mb_end(b);
	expect_err(MB2_ERR_MODULE, "module ending before its start");
	b = mb_start();
	mb_tag(b, MB2_TAG_MODULE, 4);
	mb_end(b);
	expect_err(MB2_ERR_TAG_TOO_SMALL, "module tag of 12 bytes");
	b = mb_start();
	mb_rsdp(b, MB2_TAG_ACPI_NEW, 12);
	mb_end(b);
	expect_err(MB2_ERR_RSDP_SIZE, "RSDP tag with 12 bytes");
	b = mb_start();
	mb_tag(b, MB2_TAG_EFI64, 4);
	mb_end(b);
	expect_err(MB2_ERR_TAG_TOO_SMALL, "EFI64 tag of 12 bytes");
}

static void test_strerror(void)
{
	bool all_named = true;

	for (int e = 0; e > -MB2_ERR_COUNT; e--)
		if (!mb2_strerror(e) || !strcmp(mb2_strerror(e), "unknown error"))
			all_named = false;
	ok(all_named, "every mb2_error has a name");
	ok(!strcmp(mb2_strerror(-MB2_ERR_COUNT), "unknown error"), "out of range: unknown");
	ok(!strcmp(mb2_strerror(1), "unknown error"), "positive: unknown");
}

/* ---- no reads past total_size: a PROT_NONE page right after the block -- */

static u8 *guarded_copy(u8 **map, size_t *maplen, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t span = ALIGN(len, (size_t)page);
	u8 *m;

	*maplen = span + (size_t)page;
	m = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	mprotect(m + span, (size_t)page, PROT_NONE);
	*map = m;
	memcpy(m + span - len, buf, len);
	return m + span - len;
}

static void guarded_case(const char *what, int want)
{
	u8 *map = NULL, *info;
	size_t maplen;
	u32 total;

	memcpy(&total, buf, sizeof(total));
	info = guarded_copy(&map, &maplen, total);
	if (!ok(info != NULL, "%s: guarded mapping", what))
		return;
	is_u64(mb2_parse(info, INFO_PHYS, &bi), want, "%s, with a guard page after it", what);
	munmap(map, maplen);
}

static void test_guard_page(void)
{
	struct mb *b = mb_start();

	mb_string(b, MB2_TAG_CMDLINE, "guarded");
	mb_mmap(b, 3, 24, 0);
	mb_end(b);
	guarded_case("well-formed block", 0);
	b = mb_start();
	mb_string(b, MB2_TAG_CMDLINE, "no end");
	put32(buf, (u32)b->len);
	guarded_case("block without END", MB2_ERR_NO_END);
	b = mb_start();
	mb_tag_sized(b, MB2_TAG_MMAP, 4096, 16);
	put32(buf, (u32)b->len);
	guarded_case("tag claiming 4 KiB", MB2_ERR_TAG_PAST_END);
}

/* ---- damaged blocks: invariants hold whatever the bytes ---------------- */

static u64 rng_state;

static u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static bool invariants_hold(int err)
{
	if (err > 0 || err <= -MB2_ERR_COUNT)
		return false;
	if (err)
		return true;
	return bi.nr_e820 <= BOOT_E820_MAX && bi.nr_modules <= BOOT_MODULES_MAX &&
	       memchr(bi.cmdline, 0, sizeof(bi.cmdline)) &&
	       memchr(bi.loader_name, 0, sizeof(bi.loader_name)) &&
	       bi.efi_map_size <= BOOT_EFI_MAP_MAX &&
	       (bi.efi_desc_size ? bi.efi_map_size % bi.efi_desc_size == 0 : !bi.efi_map_size) &&
	       bi.rsdp_len <= sizeof(bi.rsdp);
}

static void test_mutations(int argc, char **argv)
{
	static u8 pristine[4096];
	unsigned int bad = 0, accepted = 0;
	struct mb *b = mb_start();
	u32 total;

	rng_state = test_seed(argc, argv) | 1;
	mb_string(b, MB2_TAG_CMDLINE, "a=1 b=2");
	mb_mmap(b, 5, 24, 0);
	mb_rsdp(b, MB2_TAG_ACPI_NEW, 36);
	mb_efi_mmap(b, 4, 48, 1);
	total = mb_end(b);
	memcpy(pristine, buf, total);
	host_log_quiet = true;
	for (int i = 0; i < 20000; i++) {
		memcpy(buf, pristine, total);
		for (u64 n = rng() % 4 + 1; n; n--)
			buf[rng() % total] = (u8)rng();
		int err = mb2_parse_bounded(buf, total, INFO_PHYS, &bi);

		bad += !invariants_hold(err);
		accepted += !err;
	}
	host_log_quiet = false;
	is_u64(bad, 0, "20000 damaged blocks: invariants hold (%u accepted)", accepted);
}

int main(int argc, char **argv)
{
	test_bios_like();
	test_uefi_like(48);
	test_uefi_like(40);
	test_efi_mmap_alone();
	test_rsdp_both();
	test_mmap_wide_entries();
	test_modules_and_unknown_tags();
	test_trailing_after_end();
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++)
		test_fixture(&fixtures[i]);
	test_too_many_e820();
	test_too_many_efi();
	test_long_cmdline();
	test_duplicates_and_versions();
	test_total_size_errors();
	test_tag_size_errors();
	test_tag_size_overflow();
	test_end_errors();
	test_misaligned();
	test_mmap_errors();
	test_efi_mmap_errors();
	test_string_errors();
	test_other_tag_errors();
	test_strerror();
	test_guard_page();
	test_mutations(argc, argv);
	return done_testing();
}
