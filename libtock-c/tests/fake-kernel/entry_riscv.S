# Fake kernel entry and trap path on RISC-V (test fixture, not a kernel): boots from
# pflash at 0x20000000 in M-mode, runs the app in M-mode too, and turns
# every ecall into a call of handle_trap(frame).
    .section .text.entry, "ax"
    .globl _start
_start:
    la   sp, kernel_stack_top
    csrw mscratch, sp
    la   t0, trap_entry
    csrw mtvec, t0
    call boot
1:  j    1b

    .align 4
trap_entry:
    csrrw sp, mscratch, sp        # kernel stack in, app sp parked in mscratch
    addi  sp, sp, -64
    sw    ra,  0(sp)
    sw    a0,  4(sp)
    sw    a1,  8(sp)
    sw    a2, 12(sp)
    sw    a3, 16(sp)
    sw    a4, 20(sp)
    sw    t0, 24(sp)
    sw    t1, 28(sp)
    sw    t2, 32(sp)
    sw    a5, 36(sp)
    sw    a6, 40(sp)
    sw    a7, 44(sp)
    sw    t3, 48(sp)
    sw    t4, 52(sp)
    sw    t5, 56(sp)
    sw    t6, 60(sp)
    mv    a0, sp
    call  handle_trap
    lw    ra,  0(sp)
    lw    a0,  4(sp)
    lw    a1,  8(sp)
    lw    a2, 12(sp)
    lw    a3, 16(sp)
    lw    a4, 20(sp)
    lw    t0, 24(sp)
    lw    t1, 28(sp)
    lw    t2, 32(sp)
    lw    a5, 36(sp)
    lw    a6, 40(sp)
    lw    a7, 44(sp)
    lw    t3, 48(sp)
    lw    t4, 52(sp)
    lw    t5, 56(sp)
    lw    t6, 60(sp)
    addi  sp, sp, 64
    csrrw sp, mscratch, sp
    mret
