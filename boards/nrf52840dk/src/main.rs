//! The nRF52840-DK board (PCA10056): the kernel executes in place from
//! internal flash at 0x0, apps follow as a TBF chain from 0x4_0000 (where
//! tockloader puts them on this board), processes run unprivileged under
//! the MPU with a round-robin scheduler, and the console is UARTE0 on the
//! J-Link's USB serial port. See docs/boards/nrf52840dk.md.
//!
//! This file declares the board: memory map, peripherals, capsules and
//! policies. The shared wiring lives in `board-components`, the board's
//! own (LEDs, buttons) in `components.rs`, the pins in `pins.rs`.
#![no_std]
#![no_main]

#[cfg(feature = "app_loader")]
mod app_loader;
mod components;
mod io;
mod pins;

use board_components::console::{console, low_level_debug, process_console};
use board_components::drivers::{alarm, ipc, process_info, rng};
use board_components::{driver_table, load_processes, static_buf, AppMemory, BoardCapability};
use capsules::alarm::AlarmDriver;
use capsules::button::Button;
use capsules::console::Console;
use capsules::ipc::Ipc;
use capsules::led::Led;
use capsules::low_level_debug::LowLevelDebug;
use capsules::process_info::ProcessInfo;
use capsules::rng::Rng;
use chip_nrf52840::nvmc::writable_window;
use chip_nrf52840::rtc::Rtc;
use chip_nrf52840::{Nrf52840, Peripherals};
use kernel::deferred_call::DeferredCalls;
use kernel::fault::{FaultPolicy, DEFAULT_RESTART_THRESHOLD};
use kernel::kernel_loop::{ChipProcessContext, KernelLoop};
use kernel::process::Process;
use kernel::scheduler::{RoundRobin, DEFAULT_TIMESLICE_MICROSECONDS};
use kernel::Kernel;
use kernel_abi::DriverNumber;

pub(crate) use board_components::static_init;

/// Memory map (must match layout.ld; apps where tockloader puts them).
mod memory_map {
    /// Apps: a TBF chain from here to the end of flash.
    pub const APP_FLASH_START: usize = 0x0004_0000;
    /// End of the 1 MiB of internal flash.
    pub const APP_FLASH_END: usize = 0x0010_0000;
    /// Process RAM, above the kernel's 32 KiB (where upstream's board and
    /// libtock-rs's `nrf52840dk.ld` put it).
    pub const APP_RAM_START: usize = 0x2000_8000;
    /// End of the 256 KiB of RAM.
    pub const APP_RAM_END: usize = 0x2004_0000;
}

// SAFETY: internal flash is mapped for good; app flash is rewritten only
// through the NVMC driver, never under a loaded image; app RAM lies above
// the kernel's RAM (layout.ld).
const APP_MEMORY: AppMemory = unsafe {
    AppMemory::new(
        memory_map::APP_FLASH_START..memory_map::APP_FLASH_END,
        memory_map::APP_RAM_START..memory_map::APP_RAM_END,
    )
};

/// How many processes the board runs at once.
const PROCESS_SLOTS: usize = 4;
/// Grant region reserved above each process's minimum RAM.
const GRANT_REGION_BYTES: usize = 1024;
/// Fault policy: restart a faulting process this many times, then stop it.
const FAULT_POLICY: FaultPolicy = FaultPolicy::Restart {
    threshold: DEFAULT_RESTART_THRESHOLD,
};

driver_table! {
    /// System-call drivers by number.
    struct Drivers {
        DriverNumber::CONSOLE => console: Console<'static>,
        DriverNumber::ALARM => alarm: AlarmDriver<'static, Rtc>,
        DriverNumber::LED => led: Led<'static>,
        DriverNumber::BUTTON => button: Button<'static>,
        DriverNumber::LOW_LEVEL_DEBUG => low_level_debug: LowLevelDebug<'static>,
        DriverNumber::RNG => rng: Rng<'static>,
        DriverNumber::IPC => ipc: Ipc,
        DriverNumber::PROCESS_INFO => process_info: ProcessInfo<'static>,
    }
}

/// The architecture's reset entry calls this once RAM is set up.
#[no_mangle]
pub extern "C" fn main() -> ! {
    let capability = BoardCapability;

    // Chip and kernel. Only app flash is writable through the NVMC driver.
    let Some(app_flash_window) =
        writable_window(memory_map::APP_FLASH_START, memory_map::APP_FLASH_END)
    else {
        panic!("the app flash bounds are not on 4 KiB flash pages");
    };
    // SAFETY: this is an nRF52840 and the only Peripherals; no reference
    // points into app flash while the NVMC rewrites it (processes run
    // from it only between writes the loader makes to free space).
    let devices = unsafe { Peripherals::new(app_flash_window) };
    let peripherals: &Peripherals = static_init!(Peripherals, devices);
    let chip = static_init!(Nrf52840, Nrf52840::new(peripherals));
    let uart = &peripherals.uarte;
    let uart_ready = uart.initialize(pins::UART, pins::BAUD_RATE);
    let deferred_calls: &DeferredCalls = static_init!(DeferredCalls, DeferredCalls::new());
    peripherals
        .nvmc
        .set_deferred_call(deferred_calls.allocate());
    let processes = static_init!(
        [Process; PROCESS_SLOTS],
        [const { Process::new() }; PROCESS_SLOTS]
    );
    let kernel: &Kernel = static_init!(Kernel, Kernel::new(processes, uart));
    kernel.set_fault_policy(FAULT_POLICY, &capability);
    let scheduler = static_init!(RoundRobin, RoundRobin::new(DEFAULT_TIMESLICE_MICROSECONDS));
    if uart_ready.is_err() {
        panic!("UARTE0 refused {} baud", pins::BAUD_RATE);
    }
    kernel.print(format_args!("nrf52840dk: kernel booting\r\n"));
    if !peripherals.clock.crystals_running() {
        kernel.print(format_args!(
            "[kernel] the crystals did not start: timing is off\r\n"
        ));
    }

    // Capsules.
    #[cfg(feature = "app_loader")]
    let (mux, app_management) =
        app_loader::uart_mux_with_loader(kernel, peripherals, deferred_calls);
    #[cfg(not(feature = "app_loader"))]
    let mux = board_components::console::uart_mux(uart, deferred_calls);
    let drivers = static_init!(
        Drivers,
        Drivers {
            console: console(kernel, mux),
            alarm: alarm(
                kernel,
                &peripherals.rtc,
                static_buf!(AlarmDriver<'static, Rtc>)
            ),
            led: components::leds(peripherals),
            button: components::buttons(kernel, peripherals),
            low_level_debug: low_level_debug(uart),
            rng: rng(kernel, &peripherals.rng),
            ipc: ipc(kernel),
            process_info: process_info(kernel),
        }
    );

    // Processes.
    let contexts = static_init!(
        [ChipProcessContext<Nrf52840>; PROCESS_SLOTS],
        core::array::from_fn(|_| Default::default())
    );
    load_processes(kernel, chip, contexts, &APP_MEMORY, GRANT_REGION_BYTES);
    process_console(kernel, mux, uart, Some(io::reset_board));

    let kernel_loop = KernelLoop::new(
        kernel,
        chip,
        contexts,
        drivers,
        scheduler,
        deferred_calls,
        &capability,
    );
    #[cfg(feature = "app_loader")]
    let kernel_loop = kernel_loop.with_app_management(app_management);
    let mut kernel_loop = kernel_loop;
    kernel_loop.run()
}
