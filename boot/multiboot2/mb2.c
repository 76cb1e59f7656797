/*
 * mb2.c - the multiboot2 information walker: GRUB's tags -> struct boot_info.
 *
 * entry32.asm brings us from GRUB to 64-bit mode and passes on the address
 * of the information structure; boot/boot_info.c calls mb2_parse() on it
 * (the contract is in mb2.h). Two passes over the tags:
 *   1. structure: every tag 8-byte aligned, at least 8 bytes, inside
 *      total_size, and an END tag; nothing is interpreted yet;
 *   2. contents: the tags we use are checked and copied into boot_info.
 * Every read goes through rd32()/rd64() at an offset already checked
 * against total_size, so a malformed structure is rejected with a named
 * reason instead of being read past. Generic C, also built for the host
 * (tests/host/test_mb2.c, tests/fuzz/fuzz_mb2.c).
 */
#define pr_fmt(fmt) "multiboot2: " fmt

#include <boot/multiboot2/mb2.h>
#include <labyrinth/compiler.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

static const char *const mb2_errors[MB2_ERR_COUNT] = {
	[-MB2_OK] = "no error",
	[-MB2_ERR_NULL] = "no information structure (NULL pointer)",
	[-MB2_ERR_TOTAL_SIZE_SMALL] = "total_size smaller than the 8-byte header",
	[-MB2_ERR_TOTAL_SIZE_LARGE] = "total_size larger than the 1 MiB maximum",
	[-MB2_ERR_TOTAL_SIZE_AVAIL] = "total_size larger than the bytes available",
	[-MB2_ERR_TAG_PAST_END] = "tag runs past total_size",
	[-MB2_ERR_TAG_SIZE] = "tag size smaller than its header",
	[-MB2_ERR_TAG_MISALIGNED] = "misaligned tag",
	[-MB2_ERR_NO_END] = "missing END tag",
	[-MB2_ERR_END_SIZE] = "END tag size is not 8",
	[-MB2_ERR_MMAP_ENTRY_SIZE] = "memory-map entry_size not a multiple of 8 / too small",
	[-MB2_ERR_MMAP_VERSION] = "unsupported entry_version",
	[-MB2_ERR_EFI_DESC_SIZE] = "EFI map descr_size too small",
	[-MB2_ERR_EFI_DESC_ALIGN] = "EFI map descr_size not a multiple of 8",
	[-MB2_ERR_EFI_DESC_LARGE] = "EFI map descr_size larger than 4096",
	[-MB2_ERR_CMDLINE_NUL] = "command line not NUL-terminated",
	[-MB2_ERR_STRING_NUL] = "boot loader name or module string not NUL-terminated",
	[-MB2_ERR_MODULE] = "module ends before it starts",
	[-MB2_ERR_TAG_TOO_SMALL] = "tag smaller than its fixed fields",
	[-MB2_ERR_RSDP_SIZE] = "ACPI RSDP tag smaller than a 20-byte RSDP",
};

const char *mb2_strerror(int err)
{
	if (err > 0 || err <= -MB2_ERR_COUNT)
		return "unknown error";
	return mb2_errors[-err];
}

/* One walk over one information structure. */
struct mb2_walk {
	const u8 *base; /* the structure, readable for total bytes */
	u32 total;	/* total_size, already checked */
	u64 phys;	/* its physical address */
	struct boot_info *bi;
	u32 seen; /* bit t: a tag of type t (< 32) was used */
};

/* One tag, its header already checked against total_size. */
struct mb2_tag {
	u32 off; /* from the start of the structure */
	u32 type;
	u32 size;	  /* as the tag says, header included */
	bool have_header; /* type and size could be read */
	const u8 *p;	  /* payload: size - 8 bytes */
	u32 len;
};

static u32 rd32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static u64 rd64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int mb2_report(const struct mb2_walk *w, const struct mb2_tag *t, int err)
{
	if (t->have_header)
		pr_err("information at %#llx: tag at offset %#x (type %u, size %u): %s\n",
		       (unsigned long long)w->phys, t->off, t->type, t->size, mb2_strerror(err));
	else
		pr_err("information at %#llx: at offset %#x (total_size %u): %s\n",
		       (unsigned long long)w->phys, t->off, w->total, mb2_strerror(err));
	return err;
}

/* Reads and checks the header of the tag at off (off <= total). */
static int mb2_tag_at(const struct mb2_walk *w, u32 off, struct mb2_tag *t)
{
	t->off = off;
	t->have_header = false;
	if (w->total - off < MB2_TAG_HEADER_SIZE)
		return MB2_ERR_NO_END;
	t->type = rd32(w->base + off);
	t->size = rd32(w->base + off + 4);
	t->have_header = true;
	if ((w->phys + off) % MB2_TAG_ALIGN)
		return MB2_ERR_TAG_MISALIGNED;
	if (t->size < MB2_TAG_HEADER_SIZE)
		return MB2_ERR_TAG_SIZE;
	if (t->size > w->total - off)
		return MB2_ERR_TAG_PAST_END;
	if (t->type == MB2_TAG_END && t->size != MB2_TAG_HEADER_SIZE)
		return MB2_ERR_END_SIZE;
	t->p = w->base + off + MB2_TAG_HEADER_SIZE;
	t->len = t->size - MB2_TAG_HEADER_SIZE;
	return MB2_OK;
}

/*
 * Steps from tag t to the next one. 64-bit arithmetic: the padded size can
 * never wrap. Returns false when the next tag would start past total_size.
 */
static bool mb2_next(const struct mb2_walk *w, const struct mb2_tag *t, u32 *off)
{
	u64 next = (u64)t->off + ALIGN((u64)t->size, MB2_TAG_ALIGN);

	*off = (u32)min(next, (u64)w->total);
	return next <= w->total;
}

/* Pass 1: the chain of tags is well-formed and ends with an END tag. */
static int mb2_check_tags(const struct mb2_walk *w)
{
	struct mb2_tag t;
	u32 off = MB2_INFO_HEADER_SIZE;
	int err;

	for (;;) {
		err = mb2_tag_at(w, off, &t);
		if (err)
			return mb2_report(w, &t, err);
		if (t.type == MB2_TAG_END)
			break;
		if (!mb2_next(w, &t, &off)) {
			t.off = off;
			t.have_header = false;
			return mb2_report(w, &t, MB2_ERR_NO_END);
		}
	}
	if (t.off + t.size < w->total)
		pr_warn("%u bytes after the END tag ignored\n", w->total - t.off - t.size);
	return MB2_OK;
}

/* Checks that s[0..len) holds a NUL; *n = the string's length. */
static bool mb2_has_nul(const u8 *s, u32 len, size_t *n)
{
	*n = strnlen((const char *)s, len);
	return *n < len;
}

static void mb2_copy_string(char *dst, size_t dsize, const u8 *s, size_t n, const char *what)
{
	if (n >= dsize) {
		pr_warn("%s of %zu bytes truncated to %zu\n", what, n, dsize - 1);
		n = dsize - 1;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int mb2_cmdline(struct mb2_walk *w, const struct mb2_tag *t)
{
	size_t n;

	if (!mb2_has_nul(t->p, t->len, &n))
		return MB2_ERR_CMDLINE_NUL;
	mb2_copy_string(w->bi->cmdline, sizeof(w->bi->cmdline), t->p, n, "command line");
	return MB2_OK;
}

static int mb2_loader_name(struct mb2_walk *w, const struct mb2_tag *t)
{
	size_t n;

	if (!mb2_has_nul(t->p, t->len, &n))
		return MB2_ERR_STRING_NUL;
	mb2_copy_string(w->bi->loader_name, sizeof(w->bi->loader_name), t->p, n,
			"boot loader name");
	return MB2_OK;
}

/* Tag 3: u32 mod_start, u32 mod_end, then the module's string. */
static int mb2_module(struct mb2_walk *w, const struct mb2_tag *t)
{
	struct boot_info *bi = w->bi;
	struct boot_module *m;
	u32 start, end;
	size_t n;

	if (t->size < MB2_MODULE_HEADER_SIZE)
		return MB2_ERR_TAG_TOO_SMALL;
	start = rd32(t->p);
	end = rd32(t->p + 4);
	if (end < start)
		return MB2_ERR_MODULE;
	if (!mb2_has_nul(t->p + 8, t->len - 8, &n))
		return MB2_ERR_STRING_NUL;
	if (bi->nr_modules == BOOT_MODULES_MAX) {
		pr_warn("more than %u modules: module [%#x-%#x) ignored\n", BOOT_MODULES_MAX, start,
			end);
		return MB2_OK;
	}
	m = &bi->modules[bi->nr_modules++];
	m->start = start;
	m->end = end;
	mb2_copy_string(m->name, sizeof(m->name), t->p + 8, n, "module string");
	return MB2_OK;
}

static void mb2_warn_dropped(struct boot_info *bi, const char *map, u32 kept, u32 dropped)
{
	if (!dropped)
		return;
	bi->nr_dropped += dropped;
	pr_warn("%s: too many memory map entries (kept %u, dropped %u)\n", map, kept, dropped);
}

/* Tag 6: entries of entry_size bytes (>= 24); e820 fields first. */
static int mb2_mmap(struct mb2_walk *w, const struct mb2_tag *t)
{
	struct boot_info *bi = w->bi;
	u32 esize, n, kept, rest;

	if (t->size < MB2_MMAP_HEADER_SIZE)
		return MB2_ERR_TAG_TOO_SMALL;
	esize = rd32(t->p);
	if (esize < MB2_MMAP_ENTRY_MIN || esize % 8)
		return MB2_ERR_MMAP_ENTRY_SIZE;
	if (rd32(t->p + 4) != 0)
		return MB2_ERR_MMAP_VERSION;
	n = (t->len - 8) / esize;
	rest = (t->len - 8) % esize;
	if (rest)
		pr_warn("memory map: %u trailing bytes ignored\n", rest);
	kept = min(n, (u32)BOOT_E820_MAX);
	for (u32 i = 0; i < kept; i++) {
		const u8 *e = t->p + 8 + (size_t)i * esize;

		bi->e820[i].addr = rd64(e);
		bi->e820[i].len = rd64(e + 8);
		bi->e820[i].type = rd32(e + 16);
		bi->e820[i].reserved = rd32(e + 20);
	}
	bi->nr_e820 = kept;
	mb2_warn_dropped(bi, "memory map", kept, n - kept);
	return MB2_OK;
}

/* Tag 17: raw EFI descriptors of descr_size bytes, copied whole. */
static int mb2_efi_mmap(struct mb2_walk *w, const struct mb2_tag *t)
{
	struct boot_info *bi = w->bi;
	u32 dsize, dvers, n, kept, rest;

	if (t->size < MB2_EFI_MMAP_HEADER_SIZE)
		return MB2_ERR_TAG_TOO_SMALL;
	dsize = rd32(t->p);
	dvers = rd32(t->p + 4);
	if (dsize < sizeof(struct efi_memory_desc))
		return MB2_ERR_EFI_DESC_SIZE;
	if (dsize % 8)
		return MB2_ERR_EFI_DESC_ALIGN;
	if (dsize > MB2_EFI_DESC_MAX)
		return MB2_ERR_EFI_DESC_LARGE;
	if (dvers != 1)
		pr_warn("EFI memory map: descriptor version %u, expected 1\n", dvers);
	n = (t->len - 8) / dsize;
	rest = (t->len - 8) % dsize;
	if (rest)
		pr_warn("EFI memory map: %u trailing bytes ignored\n", rest);
	kept = min(n, (u32)(BOOT_EFI_MAP_MAX / dsize));
	memcpy(bi->efi_map, t->p + 8, (size_t)kept * dsize);
	bi->efi_desc_size = dsize;
	bi->efi_desc_version = dvers;
	bi->efi_map_size = kept * dsize;
	mb2_warn_dropped(bi, "EFI memory map", kept, n - kept);
	return MB2_OK;
}

/* Tags 14/15: a copy of the RSDP (v1 20 bytes, v2 36); v2 wins over v1. */
static int mb2_rsdp(struct mb2_walk *w, const struct mb2_tag *t)
{
	struct boot_info *bi = w->bi;
	u32 n = t->type == MB2_TAG_ACPI_OLD ? MB2_RSDP_V1_SIZE : (u32)sizeof(bi->rsdp);

	if (t->len < MB2_RSDP_V1_SIZE)
		return MB2_ERR_RSDP_SIZE;
	if (t->type == MB2_TAG_ACPI_OLD && (w->seen & (1u << MB2_TAG_ACPI_NEW)))
		return MB2_OK;
	n = min(n, t->len);
	memset(bi->rsdp, 0, sizeof(bi->rsdp));
	memcpy(bi->rsdp, t->p, n);
	bi->rsdp_len = n;
	bi->rsdp_phys = w->phys + t->off + MB2_TAG_HEADER_SIZE;
	return MB2_OK;
}

static int mb2_efi64(struct mb2_walk *w, const struct mb2_tag *t)
{
	if (t->size < MB2_EFI64_TAG_SIZE)
		return MB2_ERR_TAG_TOO_SMALL;
	w->bi->efi_system_table = rd64(t->p);
	return MB2_OK;
}

/* A second tag of a kind we keep once is reported and ignored. */
static bool mb2_duplicate(const struct mb2_walk *w, const struct mb2_tag *t)
{
	if (t->type >= 32 || t->type == MB2_TAG_MODULE || !(w->seen & (1u << t->type)))
		return false;
	pr_warn("duplicate tag type %u at offset %#x ignored\n", t->type, t->off);
	return true;
}

static int mb2_use_tag(struct mb2_walk *w, const struct mb2_tag *t)
{
	if (mb2_duplicate(w, t))
		return MB2_OK;
	if (t->type < 32)
		w->seen |= 1u << t->type;
	switch (t->type) {
	case MB2_TAG_CMDLINE: return mb2_cmdline(w, t);
	case MB2_TAG_LOADER_NAME: return mb2_loader_name(w, t);
	case MB2_TAG_MODULE: return mb2_module(w, t);
	case MB2_TAG_MMAP: return mb2_mmap(w, t);
	case MB2_TAG_EFI64: return mb2_efi64(w, t);
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW: return mb2_rsdp(w, t);
	case MB2_TAG_EFI_MMAP: return mb2_efi_mmap(w, t);
	default: return MB2_OK; /* tags we do not need */
	}
}

/* Pass 2: the chain is known to be well-formed; use what we need. */
static int mb2_use_tags(struct mb2_walk *w)
{
	struct mb2_tag t;
	u32 off = MB2_INFO_HEADER_SIZE;
	int err;

	for (;;) {
		err = mb2_tag_at(w, off, &t);
		if (!err && t.type != MB2_TAG_END)
			err = mb2_use_tag(w, &t);
		if (err)
			return mb2_report(w, &t, err);
		if (t.type == MB2_TAG_END || !mb2_next(w, &t, &off))
			return MB2_OK;
	}
}

/* The header: total_size bounded by 8, MB2_INFO_MAX and what is readable. */
static int mb2_check_total(struct mb2_walk *w, size_t avail)
{
	int err = MB2_OK;

	if (avail < MB2_INFO_HEADER_SIZE) {
		err = MB2_ERR_TOTAL_SIZE_AVAIL;
	} else {
		w->total = rd32(w->base);
		if (w->total < MB2_INFO_HEADER_SIZE)
			err = MB2_ERR_TOTAL_SIZE_SMALL;
		else if (w->total > MB2_INFO_MAX)
			err = MB2_ERR_TOTAL_SIZE_LARGE;
		else if (w->total > avail)
			err = MB2_ERR_TOTAL_SIZE_AVAIL;
	}
	if (err)
		pr_err("information at %#llx: total_size %u (%zu bytes readable): %s\n",
		       (unsigned long long)w->phys, w->total, avail, mb2_strerror(err));
	return err;
}

static void mb2_finish(struct mb2_walk *w)
{
	struct boot_info *bi = w->bi;
	u32 efi = (1u << MB2_TAG_EFI32) | (1u << MB2_TAG_EFI64) | (1u << MB2_TAG_EFI_MMAP);

	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->size = sizeof(*bi);
	bi->boot_path = (w->seen & efi) ? BOOT_PATH_UEFI_GRUB : BOOT_PATH_BIOS_GRUB;
	bi->info_phys_start = w->phys;
	bi->info_phys_end = w->phys + w->total;
}

int mb2_parse_bounded(const void *info, size_t avail, u64 info_phys, struct boot_info *bi)
{
	struct mb2_walk w = { .base = info, .phys = info_phys, .bi = bi };
	int err;

	if (!info || !bi) {
		pr_err("%s\n", mb2_strerror(MB2_ERR_NULL));
		return MB2_ERR_NULL;
	}
	memset(bi, 0, sizeof(*bi));
	err = mb2_check_total(&w, avail);
	if (!err)
		err = mb2_check_tags(&w);
	if (!err)
		err = mb2_use_tags(&w);
	if (!err)
		mb2_finish(&w);
	return err;
}

int mb2_parse(const void *info, u64 info_phys, struct boot_info *bi)
{
	return mb2_parse_bounded(info, MB2_INFO_MAX, info_phys, bi);
}
