//! The reset entry `_start`: machine-mode set-up before any Rust runs.
//!
//! The board's linker script provides the symbols used here:
//! `_stack_top`, `_sdata`/`_edata` (RAM copy destination, including the
//! `.ramfunc` code that runs while flash is in command mode), `_sidata`
//! (its load address in flash) and `_sbss`/`_ebss`. It then calls the
//! board's `extern "C" fn main() -> !`.
//!
//! State on entry to `main`: `mstatus = 0` (MIE off for good, MPP = U so
//! every `mret` enters user mode), `mie = 0`, `mscratch = 0` (the kernel
//! runs), `mtvec` = `_arch_trap_entry` (direct mode).

#[cfg(target_arch = "riscv32")]
core::arch::global_asm!(
    r#"
    .section .text.start, "ax"
    .globl _start
_start:
    csrw mie, zero
    csrw mstatus, zero
    csrw mscratch, zero
    la t0, _arch_trap_entry
    csrw mtvec, t0
    la sp, _stack_top
    la t0, _sidata
    la t1, _sdata
    la t2, _edata
1:
    bgeu t1, t2, 2f
    lw t3, 0(t0)
    sw t3, 0(t1)
    addi t0, t0, 4
    addi t1, t1, 4
    j 1b
2:
    la t1, _sbss
    la t2, _ebss
3:
    bgeu t1, t2, 4f
    sw zero, 0(t1)
    addi t1, t1, 4
    j 3b
4:
    call main
5:
    wfi
    j 5b
"#
);
