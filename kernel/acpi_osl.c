/*
 * acpi_osl.c - how the ACPI parser reaches physical memory in the kernel:
 * its operating-system services layer (Linux's drivers/acpi/osl.c
 * acpi_os_map_memory(), and __acpi_map_table() for early boot).
 *
 * acpi/ is pure parsing and never maps anything itself; kmain
 * (kernel/main.c) passes one of these to each boot step (acpi/boot.c):
 *   acpi_os_map_early()   before vm_init(), for acpi_numa_init(): the boot
 *                         page tables' identity map of
 *                         [0, BOOT_IDENTITY_MAP_END) (include/labyrinth/layout.h)
 *   acpi_os_map_memory()  after vm_init(), for acpi_init(): memremap()
 *                         (mm/vmalloc.c), the direct map where it covers the
 *                         table, else a cached mapping of its own
 * Host tests pass their own, over tables laid out in a buffer.
 */
#include <labyrinth/acpi.h>
#include <labyrinth/layout.h>
#include <labyrinth/vm.h>

/* A range the parser may ask for at all: not empty, not wrapping, not page 0. */
static bool acpi_range_ok(u64 phys, u64 len)
{
	return phys && len && phys + len >= phys;
}

const void *acpi_os_map_early(u64 phys, u64 len)
{
	if (!acpi_range_ok(phys, len))
		return NULL;
	if (len > BOOT_IDENTITY_MAP_END || phys > BOOT_IDENTITY_MAP_END - len)
		return NULL;
	return (const void *)(uintptr_t)phys;
}

const void *acpi_os_map_memory(u64 phys, u64 len)
{
	if (!acpi_range_ok(phys, len))
		return NULL;
	return memremap(phys, len);
}
