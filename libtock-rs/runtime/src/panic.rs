//! The panic handlers: pick one with a feature (`small-panic`, the
//! default, or `debug-panic`; `no-panic` to bring your own).

/// Status a panicking app exits with.
pub const PANIC_EXIT_STATUS: u32 = 1;

/// Smallest handler: low-level-debug alert 1 (panic), then exit.
#[cfg(all(
    feature = "small-panic",
    not(feature = "debug-panic"),
    not(feature = "no-panic")
))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    use crate::TockSyscalls;
    use libtock_low_level_debug::{AlertCode, LowLevelDebug};
    use libtock_platform::Syscalls;
    let _ = LowLevelDebug::<TockSyscalls>::print_alert_code(AlertCode::Panic);
    TockSyscalls::exit_terminate(PANIC_EXIT_STATUS)
}

/// Prints the panic message and location on the console, then exits.
#[cfg(all(feature = "debug-panic", not(feature = "no-panic")))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    use crate::TockSyscalls;
    use core::fmt::Write;
    use libtock_low_level_debug::{AlertCode, LowLevelDebug};
    use libtock_platform::Syscalls;
    let _ = LowLevelDebug::<TockSyscalls>::print_alert_code(AlertCode::Panic);
    let mut console = libtock_console::Console::<TockSyscalls>::writer();
    let _ = writeln!(console, "panic: {info}");
    TockSyscalls::exit_terminate(PANIC_EXIT_STATUS)
}
