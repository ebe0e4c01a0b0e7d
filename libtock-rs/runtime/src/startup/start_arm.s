/* Process entry on Cortex-M (ARMv6-M and ARMv7-M: only instructions both
 * have). Upstream's kernel enters here with
 *   r0 = app start (rt_header), r1 = RAM start, r2 = RAM length,
 *   r3 = initial break.
 * As on RISC-V (see start_riscv32.s), rt_header is found by its link-time
 * address and the entry registers are kept (in r8-r11) for rust_start.
 * r4 keeps rt_header: the kernel preserves r4-r11 across svc.
 */
.section .start, "ax"
.syntax unified
.thumb
.globl start
.thumb_func
start:
	mov r6, pc             @ = start + 4 (must stay first)
	subs r6, #4
	mov r8, r0             @ entry registers, for rust_start
	mov r9, r1
	mov r10, r2
	mov r11, r3
	ldr r5, =start         @ link-time address, with the Thumb bit
	movs r7, #1
	bics r5, r7
	ldr r4, =rt_header
	cmp r5, r6
	beq .Lset_break
	movs r0, #8            @ low-level debug
	movs r1, #1            @ alert code
	movs r2, #2            @ wrong location
	svc 2
	b .Lfail

.Lset_break:
	movs r0, #0            @ memop: brk
	ldr r1, [r4, #4]
	svc 5
	cmp r0, #128           @ Success
	bne .Lfail

	ldr r0, [r4, #8]
	mov sp, r0

	ldr r0, [r4, #12]
	ldr r1, [r4, #16]
	ldr r2, [r4, #20]
	cmp r0, #0
	beq .Lzero_bss
.Lcopy_data:
	ldr r3, [r1]
	str r3, [r2]
	adds r1, #4
	adds r2, #4
	subs r0, #4
	bne .Lcopy_data

.Lzero_bss:
	ldr r0, [r4, #24]
	ldr r1, [r4, #28]
	movs r2, #0
	cmp r0, #0
	beq .Lrust
.Lzero_loop:
	str r2, [r1]
	adds r1, #4
	subs r0, #4
	bne .Lzero_loop

.Lrust:
	mov r0, r8
	mov r1, r9
	mov r2, r10
	mov r3, r11
	bl rust_start

.Lfail:
	movs r0, #0            @ exit-terminate
	movs r1, #1
	svc 6
	b .Lfail

.ltorg
