/*
 * sim_mem.h - simulated physical memory for host tests of mm/.
 *
 * One anonymous MAP_NORESERVE mapping stands for physical addresses
 * [0, size): page_offset_base points at it, so __va(pa) works and the
 * direct map is "ready" (all simulated RAM is addressable). Only pages that
 * are touched cost host memory, so a 6 GiB map is fine.
 *
 *   struct boot_info *bi = sim_boot_info_qemu(128 << 20);
 *   sim_boot(bi);          // mm_init(memmap_init(bi)) over the sim
 */
#ifndef TESTS_HOST_SIM_MEM_H
#define TESTS_HOST_SIM_MEM_H

#include <labyrinth/types.h>
#include <boot/boot_info.h>

void sim_mem_map(u64 phys_size);
void sim_mem_unmap(void);
/* Moves the sim memory to another host address and tells mm
 * (mm_set_direct_map()), as the kernel's switch from the boot identity map
 * to the direct map: every pointer mm keeps into it must follow. Returns
 * the new base, or 0 if the host refused (the caller skips). */
unsigned long sim_mem_move(void);
/* A zeroed boot_info with the kernel image at [1 MiB, 3 MiB). */
struct boot_info *sim_boot_info(void);
void sim_boot_info_add_e820(struct boot_info *bi, u64 addr, u64 len, u32 type);
/* SeaBIOS's map under QEMU's pc machine for ram bytes of RAM. */
struct boot_info *sim_boot_info_qemu(u64 ram);
/* Maps enough sim memory for the map's RAM, then memmap_init + mm_init. */
void sim_boot(struct boot_info *bi);
void sim_boot_quiet(struct boot_info *bi);

#endif
