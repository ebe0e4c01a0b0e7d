/*
 * A bare-metal probe for qemu-rv32-virt that checks xtask's own harness.
 *
 * COUNT build: loops ITERATIONS times (3 instructions each: beqz, addi, j),
 * then exits with code 0 through the SiFive test device and halts in wfi,
 * so the instruction count is exact.
 *
 * ECHO build: prints "probe ready\n" on the 16550 UART, echoes every byte
 * it receives until 'q', then exits with code 3.
 */
.equ UART_BASE, 0x10000000    /* 16550: THR/RBR at +0, LSR at +5 */
.equ LSR_DATA_READY, 0x01
.equ LSR_THR_EMPTY, 0x20
.equ TEST_DEVICE, 0x100000    /* SiFive test: 0x5555 pass, (code << 16) | 0x3333 fail */

.section .text
.globl _start
_start:
#ifdef COUNT
    li t0, ITERATIONS
1:  beqz t0, 2f
    addi t0, t0, -1
    j 1b
2:  li a0, 0x5555
    j exit
#else
    li s0, UART_BASE
    la s1, banner
print:
    lbu a0, 0(s1)
    beqz a0, echo
    call put
    addi s1, s1, 1
    j print
echo:
    lbu t1, 5(s0)
    andi t1, t1, LSR_DATA_READY
    beqz t1, echo
    lbu a0, 0(s0)
    li t1, 'q'
    beq a0, t1, quit
    call put
    j echo
quit:
    li a0, (3 << 16) | 0x3333
    j exit
put:
    lbu t1, 5(s0)
    andi t1, t1, LSR_THR_EMPTY
    beqz t1, put
    sb a0, 0(s0)
    ret
#endif
exit:
    li t1, TEST_DEVICE
    sw a0, 0(t1)
halt:
    wfi
    j halt

#ifndef COUNT
banner:
    .asciz "probe ready\n"
#endif
