/*
 * test_mm_ktest.c - runs the in-kernel mm suites (the Makefile's
 * KTEST_HOST_C: tests/kernel/buddy_test.c, pcp_test.c, ...) on the host over
 * simulated memory: QEMU's 128 MiB and 5 GiB maps, and an OVMF-like
 * map with RAM at 0-1 GiB and at 64 GiB (holes must cost no metadata).
 */
#include <labyrinth/memmap.h>
#include <labyrinth/mm.h>
#include <labyrinth/mmzone.h>
#include "host.h"
#include "lib/host_ktest.h"
#include "lib/sim_mem.h"

int main(void)
{
	struct boot_info *bi;

	printf("# QEMU 128 MiB\n");
	sim_boot_quiet(sim_boot_info_qemu(128 << 20));
	host_ktest_run_all();
	printf("# QEMU 5 GiB\n");
	sim_boot_quiet(sim_boot_info_qemu(5ull << 30));
	host_ktest_run_all();

	printf("# RAM at 0-1 GiB and 64 GiB-64.5 GiB\n");
	bi = sim_boot_info();
	sim_boot_info_add_e820(bi, 0x1000, 0x9e000, E820_TYPE_RAM);
	sim_boot_info_add_e820(bi, 0x100000, (1 << 30) - 0x100000, E820_TYPE_RAM);
	sim_boot_info_add_e820(bi, 64ull << 30, 512 << 20, E820_TYPE_RAM);
	sim_boot_quiet(bi);
	host_ktest_run_all();
	{
		unsigned long with_map = 0, s;

		for (s = 0; s < nr_mem_sections; s++)
			with_map += mem_section[s].map != NULL;
		is_u64(with_map, 8 + 4, "only sections with RAM have struct pages (8 + 4)");
	}
	sim_mem_unmap();
	return done_testing();
}
