//! The mps2-an386 board: QEMU's Cortex-M4 MPS2 as a microcontroller. The
//! kernel boots from ZBT SSRAM1 at 0 (QEMU's `-kernel`), apps are a TBF
//! chain in the same SSRAM from 0x40000 (placed by `-device loader`), and
//! processes run unprivileged under the MPU with a round-robin scheduler
//! and SysTick timeslices. See docs/boards/mps2-an386.md.
#![no_std]
#![no_main]

mod components;
mod io;

use capsules::alarm::AlarmDriver;
use capsules::button::Button;
use capsules::console::Console;
use capsules::ipc::Ipc;
use capsules::led::Led;
use capsules::low_level_debug::LowLevelDebug;
use capsules::process_info::ProcessInfo;
use chip_mps2::test_driver::{TestExitDriver, TEST_EXIT_DRIVER};
use chip_mps2::timer::AlarmTimer;
use chip_mps2::{Mps2, Peripherals};
use io::BoardCapability;
use kernel::deferred_call::DeferredCalls;
use kernel::driver::{SyscallDriver, SyscallDriverLookup};
use kernel::fault::{FaultPolicy, DEFAULT_RESTART_THRESHOLD};
use kernel::kernel_loop::{ChipProcessContext, KernelLoop};
use kernel::platform::{Chip, Region};
use kernel::process::Process;
use kernel::process_loading::{load_processes, LoadConfiguration};
use kernel::scheduler::{RoundRobin, DEFAULT_TIMESLICE_MICROSECONDS};
use kernel::Kernel;
use kernel_abi::DriverNumber;

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

/// How many processes the board runs at once.
const PROCESS_SLOTS: usize = 4;
/// Grant region reserved above each process's minimum RAM.
const GRANT_REGION_BYTES: usize = 1024;
/// Fault policy: restart a faulting process this many times, then stop it.
const FAULT_POLICY: FaultPolicy = FaultPolicy::Restart {
    threshold: DEFAULT_RESTART_THRESHOLD,
};

/// System-call drivers by number.
struct Drivers {
    console: &'static Console<'static>,
    alarm: &'static AlarmDriver<'static, AlarmTimer>,
    led: &'static Led<'static>,
    button: &'static Button<'static>,
    low_level_debug: &'static LowLevelDebug<'static>,
    ipc: &'static Ipc,
    process_info: &'static ProcessInfo<'static>,
    test_exit: &'static TestExitDriver,
}

impl SyscallDriverLookup for Drivers {
    fn driver(&self, driver: u32) -> Option<&dyn SyscallDriver> {
        match DriverNumber(driver) {
            DriverNumber::CONSOLE => Some(self.console),
            DriverNumber::ALARM => Some(self.alarm),
            DriverNumber::LED => Some(self.led),
            DriverNumber::BUTTON => Some(self.button),
            DriverNumber::LOW_LEVEL_DEBUG => Some(self.low_level_debug),
            DriverNumber::IPC => Some(self.ipc),
            DriverNumber::PROCESS_INFO => Some(self.process_info),
            DriverNumber(TEST_EXIT_DRIVER) => Some(self.test_exit),
            _ => None,
        }
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
    let mux = components::uart_mux(peripherals, deferred_calls);
    let drivers = static_init!(
        Drivers,
        Drivers {
            console: components::console(kernel, mux),
            alarm: components::alarm(kernel, &peripherals.timer),
            led: components::leds(peripherals),
            button: components::button(kernel, mux),
            low_level_debug: components::low_level_debug(peripherals),
            ipc: components::ipc(kernel),
            process_info: components::process_info(kernel),
            test_exit: components::test_exit(kernel),
        }
    );

    // Processes.
    let contexts = static_init!(
        [ChipProcessContext<Mps2>; PROCESS_SLOTS],
        core::array::from_fn(|_| Default::default())
    );
    // SAFETY: SSRAM1 is mapped for good and nothing writes the app region
    // while the kernel runs (apps are placed by QEMU before reset).
    let app_flash = unsafe {
        core::slice::from_raw_parts(
            memory_map::APP_FLASH_START as *const u8,
            memory_map::APP_FLASH_END - memory_map::APP_FLASH_START,
        )
    };
    let app_ram = Region::new(
        memory_map::APP_RAM_START,
        memory_map::APP_RAM_END - memory_map::APP_RAM_START,
    );
    let loading = LoadConfiguration {
        grant_region_bytes: GRANT_REGION_BYTES,
    };
    let summary = load_processes(
        kernel,
        chip.memory_protection(),
        contexts,
        app_flash,
        app_ram,
        loading,
        &capability,
    );
    kernel.print(format_args!(
        "[kernel] {} processes loaded, {} skipped; kernel RAM per process: {} bytes\r\n",
        summary.loaded,
        summary.skipped,
        core::mem::size_of::<Process>() + core::mem::size_of::<ChipProcessContext<Mps2>>()
    ));
    components::process_console(kernel, mux, peripherals);

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
