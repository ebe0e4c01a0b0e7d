/*
 * A bare-metal probe for mps2-an386 (Cortex-M4) that checks xtask's
 * instruction counter on Arm: loops ITERATIONS times (3 instructions each:
 * cbz, subs, b), then exits through semihosting SYS_EXIT_EXTENDED with
 * EXIT_CODE as QEMU's exit status.
 */
.syntax unified
.thumb

.equ SYS_EXIT_EXTENDED, 0x20
.equ ADP_STOPPED_APPLICATION_EXIT, 0x20026

.section .text
vectors:
    .word 0x20008000          /* initial stack pointer, in SRAM */
    .word reset               /* reset handler (Thumb bit set by .thumb_func) */

.thumb_func
.globl reset
reset:
    ldr r0, =ITERATIONS
1:  cbz r0, 2f
    subs r0, #1
    b 1b
2:  movs r0, #SYS_EXIT_EXTENDED
    adr r1, exit_block
    bkpt 0xab
halt:
    wfi
    b halt

.align 2
exit_block:
    .word ADP_STOPPED_APPLICATION_EXIT
    .word EXIT_CODE
.ltorg
