/*
 * memmap.c - normalize the firmware's memory map.
 *
 * In: the e820 entries of the multiboot2 memory-map tag, or the raw EFI
 * descriptors (walked by desc_size, never sizeof), as struct boot_info
 * holds them. Out: memmap_final, sorted and non-overlapping, with the
 * promises listed in include/labyrinth/memmap.h, plus the kernel's own
 * reservations (page 0, the SMP trampoline, the image, boot info, modules).
 * memmap_init() returns it to kmain, which hands it to mm_init() (mm/init.c:
 * memblock) and vm_init() (mm/vm.c: the direct map).
 *
 * The algorithm is Linux's e820__update_table() idea: turn every entry into
 * two change points (start, end), sort them, and sweep from low to high
 * addresses keeping the set of entries that cover the current address; each
 * stretch between two change points gets the type of highest priority in
 * the set. Usable has the lowest priority, so a byte that any entry calls
 * reserved, ACPI, NVS or unusable never comes out usable.
 */
#define pr_fmt(fmt) "mm: " fmt

#include <boot/boot_info.h>
#include <labyrinth/arch.h>
#include <labyrinth/layout.h>
#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

struct memmap memmap_final;

struct change_point {
	u64 addr;
	u32 entry; /* index into the input map */
	u32 is_end;
};

/* Scratch for memmap_normalize(): boot is single-threaded. */
static struct change_point cp[2 * MEMMAP_MAX], cp_tmp[2 * MEMMAP_MAX];
static u32 active[MEMMAP_MAX];
static struct memmap_entry scratch[2 * MEMMAP_MAX];

void memmap_reset(struct memmap *m)
{
	m->nr = 0;
	m->nr_lost = 0;
	m->from_efi = false;
}

bool memmap_add(struct memmap *m, u64 addr, u64 size, u32 type)
{
	if (m->nr >= MEMMAP_MAX) {
		m->nr_lost++;
		return false;
	}
	m->map[m->nr++] = (struct memmap_entry){ .addr = addr, .size = size, .type = type };
	return true;
}

/* Linux's do_add_efi_memmap(): what each EFI type is once we own the machine. */
u32 memmap_type_from_efi(u32 efi_type, u64 attribute)
{
	switch (efi_type) {
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_BOOT_SERVICES_CODE:
	case EFI_BOOT_SERVICES_DATA:
	case EFI_CONVENTIONAL_MEMORY:
		/* RAM only if it may be cached write-back. */
		return (attribute & 0x8) ? E820_TYPE_RAM : E820_TYPE_RESERVED;
	case EFI_ACPI_RECLAIM_MEMORY: return E820_TYPE_ACPI;
	case EFI_ACPI_MEMORY_NVS: return E820_TYPE_NVS;
	case EFI_UNUSABLE_MEMORY: return E820_TYPE_UNUSABLE;
	case EFI_PERSISTENT_MEMORY: return E820_TYPE_PMEM;
	default: /* runtime services, MMIO, PAL code, reserved, unknown */
		return E820_TYPE_RESERVED;
	}
}

bool memmap_add_efi(struct memmap *m, const void *descs, size_t map_size, u32 desc_size)
{
	const u8 *p = descs;
	size_t off;

	if (desc_size < EFI_DESC_MIN_SIZE) {
		pr_err("efi: descriptor size %u < %u, EFI memory map ignored\n", desc_size,
		       EFI_DESC_MIN_SIZE);
		return false;
	}
	for (off = 0; off + desc_size <= map_size; off += desc_size) {
		struct efi_memory_desc d;
		u64 size;

		memcpy(&d, p + off, sizeof(d)); /* descriptors need not be aligned */
		if (d.num_pages > (~0ull >> PAGE_SHIFT)) {
			pr_warn("efi: descriptor at %llu: %llu pages overflow, dropped\n",
				(unsigned long long)(off / desc_size),
				(unsigned long long)d.num_pages);
			continue;
		}
		size = d.num_pages << PAGE_SHIFT;
		memmap_add(m, d.phys_start, size, memmap_type_from_efi(d.type, d.attribute));
	}
	m->from_efi = true;
	return true;
}

/* Priority when entries overlap: usable < kernel < everything else, and
 * among the rest the higher type number wins (Linux's rule). */
static u64 type_priority(u32 type)
{
	if (type == E820_TYPE_RAM)
		return 0;
	if (type == E820_TYPE_KERNEL)
		return 1;
	return (u64)type + 2;
}

/*
 * Change point a before b: by address, and at one address an end before a
 * start, so that an entry that merely touches the next one (its end is the
 * other's start) is not counted as an overlap, in whatever order the
 * firmware listed the two.
 */
static bool cp_before(const struct change_point *a, const struct change_point *b)
{
	return a->addr < b->addr || (a->addr == b->addr && a->is_end && !b->is_end);
}

/* Bottom-up merge sort of change points (cp_before()): O(n log n), stable. */
static void sort_change_points(u32 n)
{
	struct change_point *src = cp, *dst = cp_tmp, *t;
	u32 width, i;

	for (width = 1; width < n; width *= 2) {
		for (i = 0; i < n; i += 2 * width) {
			u32 l = i, mid = min(i + width, n), r = mid, end = min(i + 2 * width, n);
			u32 k = i;

			while (l < mid && r < end)
				dst[k++] = cp_before(&src[r], &src[l]) ? src[r++] : src[l++];
			while (l < mid)
				dst[k++] = src[l++];
			while (r < end)
				dst[k++] = src[r++];
		}
		t = src, src = dst, dst = t;
	}
	if (src != cp)
		memcpy(cp, src, n * sizeof(*cp));
}

/* Drops zero-length, wrapping and out-of-range entries; reports disorder. */
static void filter_entries(struct memmap *m, unsigned int phys_bits, struct memmap_stats *st)
{
	u64 limit = phys_bits >= 64 ? ~0ull : 1ull << phys_bits;
	u32 i, n = 0;

	for (i = 0; i < m->nr; i++) {
		struct memmap_entry e = m->map[i];
		char line[80];

		memmap_format_entry(line, sizeof(line), &e);
		if (i && e.addr < m->map[i - 1].addr && !st->out_of_order++) {
			if (m->from_efi) /* allowed by UEFI */
				pr_info(
				    "memmap: EFI descriptor %u out of address order, sorted: %s\n",
				    i, line);
			else
				pr_warn(FW_BUG "out of order E820 entry %u: %s\n", i, line);
		}
		if (!e.size) {
			st->zero_length++;
			pr_warn("memmap: zero-length entry %u at 0x%llx dropped\n", i,
				(unsigned long long)e.addr);
			continue;
		}
		if (e.addr + e.size < e.addr || e.addr + e.size == 0) {
			st->wrapping++;
			pr_warn("memmap: entry %u 0x%llx+0x%llx wraps, dropped\n", i,
				(unsigned long long)e.addr, (unsigned long long)e.size);
			continue;
		}
		if (e.addr + e.size > limit) {
			st->clipped++;
			pr_warn("memmap: %s beyond %u physical address bits, clipped\n", line,
				phys_bits);
			if (e.addr >= limit)
				continue;
			e.size = limit - e.addr;
		}
		m->map[n++] = e;
	}
	m->nr = n;
}

/*
 * Appends [start, end) of type to out (room for cap entries), merging with an
 * equal neighbour. Returns false when full: dropping an entry only turns its
 * bytes into a hole, which keeps every promise of the output.
 */
static bool emit(struct memmap_entry *out, u32 *n, u32 cap, u64 start, u64 end, u32 type)
{
	struct memmap_entry *last = *n ? &out[*n - 1] : NULL;

	if (last && last->type == type && last->addr + last->size == start) {
		last->size += end - start;
		return true;
	}
	if (*n >= cap)
		return false;
	out[(*n)++] = (struct memmap_entry){ .addr = start, .size = end - start, .type = type };
	return true;
}

static u32 active_best(const struct memmap *m, u32 nact)
{
	u32 i, best = active[0];

	for (i = 1; i < nact; i++)
		if (type_priority(m->map[active[i]].type) > type_priority(m->map[best].type))
			best = active[i];
	return m->map[best].type;
}

/* The sweep: at most 2n-1 output stretches for n inputs, so out fits. */
static u32 sweep(const struct memmap *m, struct memmap_stats *st)
{
	u32 npts = 0, nact = 0, nout = 0, i, j;
	u64 last = 0;

	for (i = 0; i < m->nr; i++) {
		cp[npts++] = (struct change_point){ m->map[i].addr, i, 0 };
		cp[npts++] = (struct change_point){ m->map[i].addr + m->map[i].size, i, 1 };
	}
	sort_change_points(npts);
	for (i = 0; i < npts; i++) {
		if (cp[i].addr != last && nact)
			emit(scratch, &nout, ARRAY_SIZE(scratch), last, cp[i].addr,
			     active_best(m, nact));
		last = cp[i].addr;
		if (!cp[i].is_end) {
			st->overlaps += nact != 0;
			active[nact++] = cp[i].entry;
			continue;
		}
		for (j = 0; j < nact && active[j] != cp[i].entry; j++)
			;
		active[j] = active[--nact];
	}
	return nout;
}

/* Usable memory shrinks to whole pages; what falls away becomes a hole. */
static void shrink_usable_and_copy(struct memmap *m, u32 nout)
{
	u32 i, n = 0;

	for (i = 0; i < nout; i++) {
		struct memmap_entry e = scratch[i];

		if (e.type == E820_TYPE_RAM || e.type == E820_TYPE_KERNEL) {
			u64 s = ALIGN(e.addr, PAGE_SIZE),
			    end = ALIGN_DOWN(e.addr + e.size, PAGE_SIZE);

			if (s >= end)
				continue;
			e.addr = s, e.size = end - s;
		}
		if (!emit(m->map, &n, MEMMAP_MAX, e.addr, e.addr + e.size, e.type))
			m->nr_lost++;
	}
	m->nr = n;
}

void memmap_normalize(struct memmap *m, unsigned int phys_bits, struct memmap_stats *st)
{
	struct memmap_stats dummy;

	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	filter_entries(m, phys_bits, st);
	shrink_usable_and_copy(m, sweep(m, st));
	if (st->overlaps)
		pr_info("memmap: %u overlapping entries resolved by type priority\n", st->overlaps);
}

bool memmap_update_range(struct memmap *m, u64 start, u64 end, u32 old_type, u32 new_type)
{
	u32 i, n = 0;

	if (start >= end)
		return true;
	/* Only the first and last overlapped entries split: at most 2 more. */
	if (m->nr + 2 > MEMMAP_CAP) {
		pr_err("memmap: map full (%u of %u entries), [mem 0x%llx-0x%llx] not updated\n",
		       m->nr, (unsigned int)MEMMAP_CAP, (unsigned long long)start,
		       (unsigned long long)end - 1);
		return false;
	}
	for (i = 0; i < m->nr; i++) {
		struct memmap_entry e = m->map[i];
		u64 es = e.addr, ee = e.addr + e.size;
		u64 os = max(es, start), oe = min(ee, end);

		if (e.type != old_type || os >= oe) {
			emit(scratch, &n, ARRAY_SIZE(scratch), es, ee, e.type);
			continue;
		}
		if (es < os)
			emit(scratch, &n, ARRAY_SIZE(scratch), es, os, old_type);
		emit(scratch, &n, ARRAY_SIZE(scratch), os, oe, new_type);
		if (oe < ee)
			emit(scratch, &n, ARRAY_SIZE(scratch), oe, ee, old_type);
	}
	m->nr = 0;
	for (i = 0; i < n; i++)
		emit(m->map, &m->nr, MEMMAP_CAP, scratch[i].addr, scratch[i].addr + scratch[i].size,
		     scratch[i].type);
	return true;
}

/* True if every byte of [start, end) is covered by entries of type. */
bool memmap_range_is(const struct memmap *m, u64 start, u64 end, u32 type)
{
	u32 i;

	for (i = 0; i < m->nr && start < end; i++) {
		const struct memmap_entry *e = &m->map[i];

		if (e->addr + e->size <= start)
			continue;
		if (e->addr > start || e->type != type)
			return false;
		start = e->addr + e->size;
	}
	return start >= end;
}

bool memmap_reserve_low(struct memmap *m)
{
	if (!memmap_update_range(m, 0, PAGE_SIZE, E820_TYPE_RAM, E820_TYPE_RESERVED) ||
	    !memmap_update_range(m, SMP_TRAMPOLINE_START, SMP_TRAMPOLINE_END, E820_TYPE_RAM,
				 E820_TYPE_KERNEL))
		return false;
	if (!memmap_range_is(m, SMP_TRAMPOLINE_START, SMP_TRAMPOLINE_END, E820_TYPE_KERNEL))
		pr_warn("memmap: SMP trampoline area [mem 0x%llx-0x%llx] is not RAM\n",
			SMP_TRAMPOLINE_START, SMP_TRAMPOLINE_END - 1);
	return true;
}

u64 memmap_total(const struct memmap *m, u32 type)
{
	u64 sum = 0;
	u32 i;

	for (i = 0; i < m->nr; i++)
		if (m->map[i].type == type)
			sum += m->map[i].size;
	return sum;
}

/* Linux's e820_print_type() names, plus ours. */
const char *memmap_type_name(u32 type)
{
	switch (type) {
	case E820_TYPE_RAM: return "usable";
	case E820_TYPE_RESERVED: return "reserved";
	case E820_TYPE_ACPI: return "ACPI data";
	case E820_TYPE_NVS: return "ACPI NVS";
	case E820_TYPE_UNUSABLE: return "unusable";
	case E820_TYPE_PMEM: return "persistent (type 7)";
	case 12: return "persistent (type 12)";
	case 0xefffffff: return "soft reserved";
	case E820_TYPE_KERNEL: return "kernel";
	default: return NULL;
	}
}

int memmap_format_entry(char *buf, size_t len, const struct memmap_entry *e)
{
	const char *name = memmap_type_name(e->type);
	unsigned long long s = e->addr, last = e->addr + e->size - 1;

	if (name)
		return snprintf(buf, len, "[mem 0x%016llx-0x%016llx] %s", s, last, name);
	return snprintf(buf, len, "[mem 0x%016llx-0x%016llx] type %u", s, last, e->type);
}

void memmap_print(const struct memmap *m, const char *prefix)
{
	char line[96];
	u32 i;

	for (i = 0; i < m->nr; i++) {
		memmap_format_entry(line, sizeof(line), &m->map[i]);
		printk(KERN_INFO "%s: %s\n", prefix, line);
	}
}

static const char *const efi_type_names[] = {
	"Reserved",  "Loader Code",  "Loader Data",  "Boot Code",
	"Boot Data", "Runtime Code", "Runtime Data", "Conventional",
	"Unusable",  "ACPI Reclaim", "ACPI Mem NVS", "MMIO",
	"MMIO Port", "PAL Code",     "Persistent",   "Unaccepted",
};

/* Linux's efi_md_typeattr_format(): "[Type        |RUN|MR|...|WB|WT|WC|UC]". */
static void efi_format_type_attr(char *buf, size_t len, u32 type, u64 a)
{
	char tname[16];

	if (type < ARRAY_SIZE(efi_type_names))
		lab_strlcpy(tname, efi_type_names[type], sizeof(tname));
	else
		snprintf(tname, sizeof(tname), "type %u", type);
	snprintf(buf, len, "[%-12s|%3s|%2s|%2s|%2s|%2s|%2s|%2s|%2s|%2s|%3s|%2s|%2s|%2s|%2s]", tname,
		 (a >> 63) ? "RUN" : "", (a & 0x10000) ? "MR" : "", (a & 0x80000) ? "CC" : "",
		 (a & 0x40000) ? "SP" : "", (a & 0x8000) ? "NV" : "", (a & 0x4000) ? "XP" : "",
		 (a & 0x2000) ? "RP" : "", (a & 0x1000) ? "WP" : "", (a & 0x20000) ? "RO" : "",
		 (a & 0x10) ? "UCE" : "", (a & 0x8) ? "WB" : "", (a & 0x4) ? "WT" : "",
		 (a & 0x2) ? "WC" : "", (a & 0x1) ? "UC" : "");
}

void memmap_print_efi(const void *descs, size_t map_size, u32 desc_size)
{
	const u8 *p = descs;
	char attr[96];
	size_t off;
	u32 i = 0;

	if (desc_size < EFI_DESC_MIN_SIZE)
		return;
	for (off = 0; off + desc_size <= map_size; off += desc_size, i++) {
		struct efi_memory_desc d;

		memcpy(&d, p + off, sizeof(d));
		efi_format_type_attr(attr, sizeof(attr), d.type, d.attribute);
		printk(KERN_INFO "efi: mem%02u: %s range=[0x%016llx-0x%016llx] (%lluMB)\n", i, attr,
		       (unsigned long long)d.phys_start,
		       (unsigned long long)(d.phys_start + (d.num_pages << PAGE_SHIFT) - 1),
		       (unsigned long long)(d.num_pages >> (20 - PAGE_SHIFT)));
	}
}

bool memmap_efi_debug;

static void print_raw_maps(const struct boot_info *bi)
{
	u32 i;

	for (i = 0; i < bi->nr_e820 && i < BOOT_E820_MAX; i++) {
		struct memmap_entry e = { bi->e820[i].addr, bi->e820[i].len, bi->e820[i].type, 0 };
		char line[96];

		memmap_format_entry(line, sizeof(line), &e);
		printk(KERN_INFO "BIOS-e820: %s\n", line);
	}
	if (bi->efi_desc_size) {
		if (bi->efi_desc_version != 1)
			pr_warn("efi: unexpected descriptor version %u\n", bi->efi_desc_version);
		if (memmap_efi_debug)
			memmap_print_efi(bi->efi_map, min(bi->efi_map_size, (u32)BOOT_EFI_MAP_MAX),
					 bi->efi_desc_size);
		else
			printk(KERN_INFO "efi: %u memory map descriptors (efi=debug prints them)\n",
			       bi->efi_map_size / bi->efi_desc_size);
	}
	if (bi->nr_dropped)
		pr_warn("memmap: the boot loader dropped %u map entries\n", bi->nr_dropped);
}

BUILD_BUG_ON(MEMMAP_RESERVE_SLOTS < 2 * (4 + BOOT_MODULES_MAX));

/* A reservation that did not fit: the boot cannot go on, it would hand the
 * range to the page allocator as free RAM. */
static void reservation_lost(const char *what)
{
	panic("memmap: the %s could not be reserved (memory map table full, %u entries): "
	      "boot stopped rather than hand it out as free RAM",
	      what, (unsigned int)MEMMAP_CAP);
}

/* The image, boot information and modules: RAM we keep ("kernel" type). */
static void reserve_boot_ranges(struct memmap *m, const struct boot_info *bi)
{
	u32 i;

	if (!memmap_update_range(m, ALIGN_DOWN(bi->kernel_phys_start, PAGE_SIZE),
				 PAGE_ALIGN(bi->kernel_phys_end), E820_TYPE_RAM, E820_TYPE_KERNEL))
		reservation_lost("kernel image");
	if (!memmap_update_range(m, ALIGN_DOWN(bi->info_phys_start, PAGE_SIZE),
				 PAGE_ALIGN(bi->info_phys_end), E820_TYPE_RAM, E820_TYPE_KERNEL))
		reservation_lost("boot information");
	for (i = 0; i < bi->nr_modules && i < BOOT_MODULES_MAX; i++)
		if (!memmap_update_range(m, ALIGN_DOWN(bi->modules[i].start, PAGE_SIZE),
					 PAGE_ALIGN(bi->modules[i].end), E820_TYPE_RAM,
					 E820_TYPE_KERNEL))
			reservation_lost("boot module");
}

const struct memmap *memmap_init(const struct boot_info *bi)
{
	struct memmap *m = &memmap_final;
	bool use_efi = false;
	u32 i;

	print_raw_maps(bi);
	memmap_reset(m);
	if (bi->efi_desc_size && bi->efi_map_size)
		use_efi =
		    memmap_add_efi(m, bi->efi_map, min(bi->efi_map_size, (u32)BOOT_EFI_MAP_MAX),
				   bi->efi_desc_size);
	for (i = 0; !use_efi && i < bi->nr_e820 && i < BOOT_E820_MAX; i++)
		memmap_add(m, bi->e820[i].addr, bi->e820[i].len, bi->e820[i].type);
	if (!m->nr)
		pr_err("memmap: the boot loader passed no memory map\n");
	memmap_normalize(m, arch_phys_bits(), NULL);
	if (m->nr_lost)
		pr_warn("memmap: %u entries beyond %u did not fit; their ranges are holes (never "
			"usable)\n",
			m->nr_lost, (unsigned int)MEMMAP_MAX);
	if (!memmap_reserve_low(m))
		reservation_lost("first page or SMP trampoline");
	reserve_boot_ranges(m, bi);
	pr_info("memmap: %s map, %u entries after normalization:\n", use_efi ? "EFI" : "e820",
		m->nr);
	memmap_print(m, "mm: memmap");
	return m;
}
