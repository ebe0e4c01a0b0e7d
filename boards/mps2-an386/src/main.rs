//! The mps2-an386 board: QEMU's Cortex-M4 MPS2 as a microcontroller. The
//! kernel boots from ZBT SSRAM1 at 0 (QEMU's `-kernel`), apps are a TBF
//! chain in the same SSRAM from 0x40000 (placed by `-device loader`), and
//! processes run unprivileged under the MPU with a round-robin scheduler
//! and SysTick timeslices. See docs/boards/mps2-an386.md.
//!
//! This file declares the board: memory map, peripherals, capsules and
//! policies. The wiring lives in `board-components`.
#![no_std]
#![no_main]

mod io;

use board_components::console::{console, low_level_debug, process_console, uart_mux};
use board_components::drivers::{alarm, alarm_mux, ipc, process_info, virtual_alarm};
use board_components::emulated::{button, leds};
use board_components::{driver_table, load_processes, static_buf, AppMemory, BoardCapability};
use capsules::alarm::AlarmDriver;
use capsules::button::Button;
use capsules::console::Console;
use capsules::ipc::Ipc;
use capsules::led::Led;
use capsules::low_level_debug::LowLevelDebug;
use capsules::process_info::ProcessInfo;
use capsules::virtual_alarm::{MuxAlarm, VirtualAlarm};
use chip_mps2::test_driver::{TestExitDriver, TEST_EXIT_DRIVER};
use chip_mps2::timer::AlarmTimer;
use chip_mps2::{Mps2, Peripherals};
use kernel::deferred_call::DeferredCalls;
use kernel::fault::{FaultPolicy, DEFAULT_RESTART_THRESHOLD};
use kernel::kernel_loop::{ChipProcessContext, KernelLoop};
use kernel::process::Process;
use kernel::scheduler::{RoundRobin, DEFAULT_TIMESLICE_MICROSECONDS};
use kernel::Kernel;
use kernel_abi::DriverNumber;

pub(crate) use board_components::static_init;

/// Memory map (must match layout.ld).
mod memory_map {
    /// Apps: a TBF chain from here to the end of SSRAM1.
    pub const APP_FLASH_START: usize = 0x0004_0000;
    /// End of SSRAM1 (4 MiB).
    pub const APP_FLASH_END: usize = 0x0040_0000;
    /// Process RAM, above the kernel's 32 KiB.
    pub const APP_RAM_START: usize = 0x2000_8000;
    /// End of SSRAM2/3 (4 MiB).
    pub const APP_RAM_END: usize = 0x2040_0000;
}

// SAFETY: SSRAM1 is mapped for good and nothing writes the app region
// while the kernel runs (apps are placed by QEMU before reset); app RAM
// lies above the kernel's RAM (layout.ld).
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
        DriverNumber::ALARM => alarm: AlarmDriver<'static, VirtualAlarm<'static, AlarmTimer>>,
        DriverNumber::LED => led: Led<'static>,
        DriverNumber::BUTTON => button: Button<'static>,
        DriverNumber::LOW_LEVEL_DEBUG => low_level_debug: LowLevelDebug<'static>,
        DriverNumber::IPC => ipc: Ipc,
        DriverNumber::PROCESS_INFO => process_info: ProcessInfo<'static>,
        DriverNumber(TEST_EXIT_DRIVER) => test_exit: TestExitDriver,
    }
}

/// The reset entry calls this once `.data` and `.bss` are set up.
#[no_mangle]
pub extern "C" fn main() -> ! {
    let capability = BoardCapability;

    // Chip and kernel.
    // SAFETY: this is QEMU's mps2-an386 and the only Peripherals.
    let peripherals: &Peripherals = static_init!(Peripherals, unsafe { Peripherals::new() });
    let chip = static_init!(Mps2, Mps2::new(peripherals));
    let deferred_calls: &DeferredCalls = static_init!(DeferredCalls, DeferredCalls::new());
    let processes = static_init!(
        [Process; PROCESS_SLOTS],
        [const { Process::new() }; PROCESS_SLOTS]
    );
    let kernel: &Kernel = static_init!(Kernel, Kernel::new(processes, &peripherals.uart));
    kernel.set_fault_policy(FAULT_POLICY, &capability);
    let scheduler = static_init!(RoundRobin, RoundRobin::new(DEFAULT_TIMESLICE_MICROSECONDS));
    kernel.print(format_args!("mps2-an386: kernel booting\r\n"));

    // Capsules.
    let uart = &peripherals.uart;
    let mux = uart_mux(uart, deferred_calls);
    // The process alarm driver and the emulated button share the timer.
    let alarms = alarm_mux(
        &peripherals.timer,
        static_buf!(MuxAlarm<'static, AlarmTimer>),
    );
    let drivers = static_init!(
        Drivers,
        Drivers {
            console: console(kernel, mux),
            alarm: alarm(
                kernel,
                virtual_alarm(alarms, static_buf!(VirtualAlarm<'static, AlarmTimer>)),
                static_buf!(AlarmDriver<'static, VirtualAlarm<'static, AlarmTimer>>)
            ),
            led: leds(uart),
            button: button(
                kernel,
                mux,
                virtual_alarm(alarms, static_buf!(VirtualAlarm<'static, AlarmTimer>))
            ),
            low_level_debug: low_level_debug(uart),
            ipc: ipc(kernel),
            process_info: process_info(kernel),
            test_exit: static_init!(
                TestExitDriver,
                TestExitDriver::new(kernel, kernel.create_grant(TEST_EXIT_DRIVER, &capability))
            ),
        }
    );

    // Processes. mps2 has no reset device reachable from software here:
    // the process console's `reset` is off.
    let contexts = static_init!(
        [ChipProcessContext<Mps2>; PROCESS_SLOTS],
        core::array::from_fn(|_| Default::default())
    );
    load_processes(kernel, chip, contexts, &APP_MEMORY, GRANT_REGION_BYTES);
    process_console(kernel, mux, uart, None);

    KernelLoop::new(
        kernel,
        chip,
        contexts,
        drivers,
        scheduler,
        deferred_calls,
        &capability,
    )
    .run()
}
