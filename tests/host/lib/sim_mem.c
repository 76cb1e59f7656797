/*
 * sim_mem.c - simulated physical memory and boot information for host
 * tests of mm/ (see sim_mem.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/printk.h>
#include "../host.h"
#include "sim_mem.h"

static void *sim_base;
static u64 sim_size;

void sim_mem_unmap(void)
{
	if (sim_base)
		munmap(sim_base, sim_size);
	sim_base = NULL;
	sim_size = 0;
}

void sim_mem_map(u64 phys_size)
{
	sim_mem_unmap();
	sim_size = phys_size;
	sim_base = mmap(NULL, phys_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (sim_base == MAP_FAILED) {
		printf("Bail out! sim_mem: cannot map %llu bytes\n", (unsigned long long)phys_size);
		exit(1);
	}
	mm_set_direct_map((unsigned long)sim_base);
}

/*
 * The kernel's two mappings of RAM alias the same pages, and
 * mm_set_direct_map() rebases through the old one; here the new mapping is
 * a copy, made after the rebase (which wrote through the old mapping).
 */
unsigned long sim_mem_move(void)
{
	void *to = mmap(NULL, sim_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (to == MAP_FAILED)
		return 0;
	mm_set_direct_map((unsigned long)to);
	memcpy(to, sim_base, sim_size);
	munmap(sim_base, sim_size);
	sim_base = to;
	return (unsigned long)sim_base;
}

struct boot_info *sim_boot_info(void)
{
	static struct boot_info *bi;

	if (!bi)
		bi = malloc(sizeof(*bi));
	memset(bi, 0, sizeof(*bi));
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->size = sizeof(*bi);
	bi->kernel_phys_start = 1 << 20;
	bi->kernel_phys_end = 3 << 20;
	return bi;
}

void sim_boot_info_add_e820(struct boot_info *bi, u64 addr, u64 len, u32 type)
{
	if (bi->nr_e820 < BOOT_E820_MAX)
		bi->e820[bi->nr_e820++] = (struct boot_e820_entry){ addr, len, type, 0 };
}

struct boot_info *sim_boot_info_qemu(u64 ram)
{
	struct boot_info *bi = sim_boot_info();
	u64 low = ram >= 0xe0000000ull ? 0xc0000000ull : ram; /* pc: 3 GiB below 4 GiB */

	sim_boot_info_add_e820(bi, 0, 0x9fc00, E820_TYPE_RAM);
	sim_boot_info_add_e820(bi, 0x9fc00, 0x400, E820_TYPE_RESERVED);
	sim_boot_info_add_e820(bi, 0xf0000, 0x10000, E820_TYPE_RESERVED);
	sim_boot_info_add_e820(bi, 0x100000, low - 0x20000 - 0x100000, E820_TYPE_RAM);
	sim_boot_info_add_e820(bi, low - 0x20000, 0x20000, E820_TYPE_RESERVED);
	sim_boot_info_add_e820(bi, 0xfeffc000, 0x4000, E820_TYPE_RESERVED);
	sim_boot_info_add_e820(bi, 0xfffc0000, 0x40000, E820_TYPE_RESERVED);
	if (ram > low)
		sim_boot_info_add_e820(bi, 1ull << 32, ram - low, E820_TYPE_RAM);
	return bi;
}

static u64 highest_ram(const struct boot_info *bi)
{
	u64 top = 4ull << 20;
	u32 i;

	for (i = 0; i < bi->nr_e820; i++) {
		const struct boot_e820_entry *e = &bi->e820[i];

		if (e->type == E820_TYPE_RAM && e->addr + e->len > top &&
		    e->addr + e->len > e->addr)
			top = e->addr + e->len;
	}
	if (bi->efi_desc_size >= 40) {
		u32 off;

		for (off = 0; off + bi->efi_desc_size <= bi->efi_map_size;
		     off += bi->efi_desc_size) {
			struct efi_memory_desc d;

			memcpy(&d, bi->efi_map + off, sizeof(d));
			if (d.num_pages < (1ull << 40) && d.phys_start + (d.num_pages << 12) > top)
				top = d.phys_start + (d.num_pages << 12);
		}
	}
	return (top + 0xfff) & ~0xfffull;
}

void sim_boot(struct boot_info *bi)
{
	sim_mem_map(highest_ram(bi));
	mm_init(memmap_init(bi));
}

void sim_boot_quiet(struct boot_info *bi)
{
	bool q = host_log_quiet;

	host_log_quiet = true;
	sim_boot(bi);
	host_log_quiet = q;
}
