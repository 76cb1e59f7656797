/*
 * irq.c - irq_init(), the interrupt boot step (include/labyrinth/smp.h).
 *
 * The interrupt controllers are arch/x86_64/apic.c and ioapic.c; this file
 * hands them, through arch_irq_init() (include/labyrinth/arch.h), what
 * arch/ must not fetch from the layers above it: the MADT's interrupt data
 * as acpi/madt.c parsed it, and the function that maps their registers
 * uncached, ioremap() (mm/vmalloc.c), once the kernel's page tables are
 * live (vm_ready(), mm/vm.c). The tick is timer_init() (apic.c).
 */
#include <labyrinth/acpi.h>
#include <labyrinth/arch.h>
#include <labyrinth/smp.h>
#include <labyrinth/vm.h>

int irq_init(void)
{
	return arch_irq_init(&acpi_madt, vm_ready() ? ioremap : NULL);
}
