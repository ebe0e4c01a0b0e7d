//! Entry and panic handling for a fixed-address app on qemu-rv32-virt.
//!
//! The kernel enters `_start` with a0 = the app start (first byte after the
//! TBF header and protected region), a1 = RAM start, a2 =
//! RAM length, a3 = break (= RAM start). Before touching RAM the entry
//! moves the break to `_app_ram_end` (memop brk), then sets the stack,
//! copies `.data`, zeroes `.bss` and calls the app's `_app_main`, and
//! exits (terminate, 0) if it returns.

#[cfg(target_arch = "riscv32")]
core::arch::global_asm!(
    r#"
    .section .start, "ax"
    .globl _start
_start:
    li a0, 0
    la a1, _app_ram_end
    li a4, 5
    ecall
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
    call _app_main
    li a0, 0
    li a1, 0
    li a4, 6
    ecall
5:
    j 5b
"#
);

/// Declares the app's main function.
#[macro_export]
macro_rules! app_main {
    ($main:path) => {
        #[no_mangle]
        extern "C" fn _app_main() {
            $main()
        }
    };
}

#[cfg(target_arch = "riscv32")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    crate::println!("app panic: {}", info);
    crate::test_exit::exit_qemu(crate::test_exit::APP_PANIC_STATUS)
}
