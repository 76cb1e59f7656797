; string.asm - memset, memcpy and memmove for the kernel, with the string
; instructions (Linux keeps these in arch/x86/lib/ too). The rest of the C
; string functions are generic: lib/string.c.
;
; Page zeroing and poisoning (mm/debug.c, __GFP_ZERO) spend most of their
; time here; "rep stosq" moves 8 bytes per iteration, and under QEMU TCG
; it is also far cheaper than a compiled byte loop.

bits 64
section .text

; void *memset(void *s, int c, size_t n)
global memset
memset:
	mov r9, rdi                 ; return value
	movzx eax, sil
	mov r8, 0x0101010101010101
	imul rax, r8                ; the byte in all eight lanes
	mov rcx, rdx
	shr rcx, 3
	rep stosq
	mov rcx, rdx
	and rcx, 7
	rep stosb
	mov rax, r9
	ret

; void *memcpy(void *dst, const void *src, size_t n)
global memcpy
memcpy:
	mov rax, rdi
	mov rcx, rdx
	shr rcx, 3
	rep movsq
	mov rcx, rdx
	and rcx, 7
	rep movsb
	ret

; void *memmove(void *dst, const void *src, size_t n)
global memmove
memmove:
	cmp rdi, rsi
	jbe memcpy                  ; dst below src: a forward copy is safe
	lea r8, [rsi + rdx]
	cmp rdi, r8
	jae memcpy                  ; no overlap
	mov rax, rdi                ; overlapping, dst above src: copy backwards
	lea rsi, [rsi + rdx - 1]
	lea rdi, [rdi + rdx - 1]
	mov rcx, rdx
	std
	rep movsb
	cld
	ret
