; trampoline.asm - where an application processor (AP) starts: 16-bit real
; mode -> 32-bit protected mode -> 64-bit long mode -> ap_start() in smpboot.c.
;
; The code is assembled here but runs at physical 0x8000 (page 8, the SIPI
; vector 0x08, SMP_TRAMPOLINE_START in include/labyrinth/layout.h; mm/memmap.c
; keeps [0x8000, 0xa000) out of the allocator): arch/x86_64/smpboot.c copies
; trampoline_start..trampoline_end there and fills in trampoline_params
; before each INIT-SIPI-SIPI. A SIPI starts the AP at CS:IP = 0x0800:0000.
;
; Addresses in 16- and 32-bit code are absolute, computed with TRAMP();
; the 64-bit part uses RIP-relative ones, which hold wherever it runs. The
; page tables loaded (the BSP's CR3) must identity-map this page: paging is
; switched on while executing here. The kernel's own GDT, IDT and per-CPU
; area are installed by ap_start() (smpboot.c, gdt.c, percpu.c).

%define TRAMPOLINE_BASE 0x8000
%define TRAMP(x) ((x) - trampoline_start + TRAMPOLINE_BASE)
%define SEL_CODE32 0x08
%define SEL_DATA 0x10
%define SEL_CODE64 0x18
%define MSR_EFER 0xc0000080

section .rodata
align 16
global trampoline_start, trampoline_end, trampoline_params

bits 16
trampoline_start:
	cli
	cld
	xor ax, ax
	mov ds, ax                      ; absolute addresses from here on
	lgdt [TRAMP(tramp_gdtr)]
	mov eax, cr0
	or eax, 1                       ; PE
	mov cr0, eax
	jmp dword SEL_CODE32:TRAMP(pm32)

bits 32
pm32:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, [TRAMP(p_cr4)]         ; PAE (and LA57 if the BSP uses it)
	mov cr4, eax
	mov eax, [TRAMP(p_cr3)]         ; the kernel's page tables (below 4 GiB)
	mov cr3, eax
	mov ecx, MSR_EFER               ; LME, NXE as on the BSP
	mov eax, [TRAMP(p_efer)]
	mov edx, [TRAMP(p_efer) + 4]
	wrmsr
	mov eax, [TRAMP(p_cr0)]         ; PG|PE: long mode becomes active
	mov cr0, eax
	jmp SEL_CODE64:TRAMP(lm64)

bits 64
lm64:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, [rel p_stack]
	mov rdi, [rel p_cpu]
	mov rax, [rel p_entry]
	xor ebp, ebp                    ; ends backtraces
	push rbp                        ; a return address slot: ABI alignment
	jmp rax                         ; ap_start(cpu), never returns

; The descriptors are marked accessed (type 0xb/0x3, not 0xa/0x2): loading
; a segment whose accessed bit is clear makes the CPU write the bit into the
; GDT, and from the far jump to 64-bit code on that GDT is in a page mapped
; read-only (kernel/smpboot.c), so with CR0.WP the write faults. QEMU's TCG
; skips the write; Bochs, like hardware, does it: a #PF with no usable IDT,
; then a triple fault (issue 13).
align 8
tramp_gdt:
	dq 0
	dq 0x00cf9b000000ffff           ; 0x08: 32-bit code, flat, accessed
	dq 0x00cf93000000ffff           ; 0x10: data, flat, accessed
	dq 0x00af9b000000ffff           ; 0x18: 64-bit code, accessed
tramp_gdtr:
	dw 4 * 8 - 1
	dd TRAMP(tramp_gdt)

align 8
trampoline_params:                      ; struct trampoline_params in smpboot.c
p_cr3:   dq 0
p_cr4:   dq 0
p_cr0:   dq 0
p_efer:  dq 0
p_stack: dq 0
p_entry: dq 0
p_cpu:   dq 0
trampoline_end:
