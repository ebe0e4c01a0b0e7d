//! The qemu-rv32-virt board: QEMU's RISC-V `virt` machine as a
//! microcontroller. Boots in place from pflash unit 0, keeps apps in the
//! same flash (a TBF chain), and runs them under PMP with a round-robin
//! scheduler. See docs/boards/qemu-rv32-virt.md.
//!
//! This file declares the board: memory map, peripherals, capsules and
//! policies. The wiring lives in the chip and kernel crates.
#![no_std]
#![no_main]

mod io;

use capsules::alarm::AlarmDriver;
use capsules::button::{Button, ButtonPin};
use capsules::console::Console;
use capsules::led::Led;
use capsules::low_level_debug::LowLevelDebug;
use capsules::rng::Rng;
use capsules::uart_mux::{UartMux, VirtualUart};
use chip_qemu_virt::clint::MachineTimer;
use chip_qemu_virt::emulated::{ConsoleLed, EmulatedButton};
use chip_qemu_virt::test_device::{TestExitDriver, TEST_EXIT_DRIVER};
use chip_qemu_virt::virtio_rng::SharedQueue;
use chip_qemu_virt::{Peripherals, QemuVirt};
use io::BoardCapability;
use kernel::deferred_call::DeferredCalls;
use kernel::driver::{SyscallDriver, SyscallDriverLookup};
use kernel::fault::{FaultPolicy, DEFAULT_RESTART_THRESHOLD};
use kernel::kernel_loop::{ChipProcessContext, KernelLoop};
use kernel::platform::{Chip, Region};
use kernel::process::Process;
use kernel::process_loading::{load_processes, LoadConfiguration};
use kernel::scheduler::{RoundRobin, DEFAULT_TIMESLICE_MICROSECONDS};
use kernel::hil::gpio::{ActivationMode, Output};
use kernel::hil::entropy::Entropy32;
use kernel::hil::time::Alarm;
use kernel::hil::uart::{Receive, Transmit};
use kernel::Kernel;
use kernel_abi::DriverNumber;

/// Memory map (must match layout.ld).
mod memory_map {
    /// Apps: a TBF chain from here to the end of pflash unit 0.
    pub const APP_FLASH_START: usize = 0x2004_0000;
    /// End of pflash unit 0 (32 MiB).
    pub const APP_FLASH_END: usize = 0x2200_0000;
    /// Process RAM, above the kernel's 64 KiB.
    pub const APP_RAM_START: usize = 0x8001_0000;
    /// End of RAM with `-m 1M`.
    pub const APP_RAM_END: usize = 0x8010_0000;
}

/// How many processes the board runs at once.
const PROCESS_SLOTS: usize = 4;

/// Grant region reserved above each process's minimum RAM.
const GRANT_REGION_BYTES: usize = 1024;

/// System-call drivers by number.
struct Drivers {
    console: &'static Console<'static>,
    alarm: &'static AlarmDriver<'static, MachineTimer>,
    led: &'static Led<'static>,
    button: &'static Button<'static>,
    low_level_debug: &'static LowLevelDebug<'static>,
    rng: &'static Rng<'static>,
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
            DriverNumber::RNG => Some(self.rng),
            DriverNumber(TEST_EXIT_DRIVER) => Some(self.test_exit),
            _ => None,
        }
    }
}

/// The reset entry calls this once `_start` has set up RAM.
#[no_mangle]
pub extern "C" fn main() -> ! {
    let capability = BoardCapability;

    // Peripherals and chip.
    let rng_queue = static_init!(SharedQueue, SharedQueue::new());
    // SAFETY: this is QEMU's virt machine and the only Peripherals.
    let peripherals = static_init!(Peripherals, unsafe { Peripherals::new(rng_queue) });
    let (chip, rng_status) = QemuVirt::new(peripherals);
    let chip = static_init!(QemuVirt, chip);
    let deferred_calls = static_init!(DeferredCalls, DeferredCalls::new());
    peripherals.flash.set_deferred_call(deferred_calls.allocate());

    // Kernel and policies.
    let processes = static_init!(
        [Process; PROCESS_SLOTS],
        [const { Process::new() }; PROCESS_SLOTS]
    );
    let kernel: &Kernel = static_init!(Kernel, Kernel::new(processes, &peripherals.uart));
    kernel.set_fault_policy(
        FaultPolicy::Restart {
            threshold: DEFAULT_RESTART_THRESHOLD,
        },
        &capability,
    );
    let scheduler = static_init!(
        RoundRobin,
        RoundRobin::new(DEFAULT_TIMESLICE_MICROSECONDS)
    );
    kernel.print(format_args!("qemu-rv32-virt: kernel booting\r\n"));
    if let Err(error) = rng_status {
        kernel.print(format_args!("[kernel] no entropy device: {:?}\r\n", error));
    }

    // Capsules. The console shares the UART with kernel users via a mux.
    let uart = &peripherals.uart;
    let mux_call = deferred_calls.allocate();
    let mux = static_init!(
        UartMux<'static>,
        UartMux::new(uart, static_init!([u8; 1], [0; 1]), mux_call)
    );
    mux_call.register(mux);
    uart.set_transmit_client(mux);
    uart.set_receive_client(mux);
    let console_uart = static_init!(VirtualUart<'static>, VirtualUart::new(mux));
    console_uart.attach();
    let console = static_init!(
        Console<'static>,
        Console::new(
            console_uart,
            kernel.create_grant(DriverNumber::CONSOLE.0, &capability),
            static_init!([u8; 64], [0; 64]),
            static_init!([u8; 64], [0; 64]),
        )
    );
    console_uart.set_transmit_client(console);
    console_uart.set_receive_client(console);
    let timer = &peripherals.timer;
    let alarm = static_init!(
        AlarmDriver<'static, MachineTimer>,
        AlarmDriver::new(timer, kernel.create_grant(DriverNumber::ALARM.0, &capability))
    );
    timer.set_alarm_client(alarm);
    let leds = static_init!(
        [ConsoleLed; 2],
        [ConsoleLed::new(0, uart), ConsoleLed::new(1, uart)]
    );
    let led_pins = static_init!([&'static dyn Output; 2], [&leds[0], &leds[1]]);
    let led = static_init!(Led<'static>, Led::new(led_pins));
    let buttons = static_init!([EmulatedButton; 1], [EmulatedButton::new()]);
    let button_pins = static_init!(
        [ButtonPin<'static>; 1],
        [(&buttons[0], ActivationMode::ActiveHigh)]
    );
    let button = static_init!(
        Button<'static>,
        Button::new(button_pins, kernel.create_grant(DriverNumber::BUTTON.0, &capability))
    );
    button.connect();
    let low_level_debug = static_init!(LowLevelDebug<'static>, LowLevelDebug::new(uart));
    let rng = static_init!(
        Rng<'static>,
        Rng::new(&peripherals.rng, kernel.create_grant(DriverNumber::RNG.0, &capability))
    );
    peripherals.rng.set_client(rng);
    let test_exit = static_init!(
        TestExitDriver,
        TestExitDriver::new(
            &peripherals.test_device,
            kernel,
            kernel.create_grant(TEST_EXIT_DRIVER, &capability),
        )
    );
    let drivers = static_init!(
        Drivers,
        Drivers {
            console,
            alarm,
            led,
            button,
            low_level_debug,
            rng,
            test_exit,
        }
    );

    // Processes.
    let contexts = static_init!(
        [ChipProcessContext<QemuVirt>; PROCESS_SLOTS],
        core::array::from_fn(|_| Default::default())
    );
    // SAFETY: app flash is mapped and stays mapped; it is only rewritten
    // through the flash driver, which never changes an image a process
    // is loaded from while it runs.
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
    let summary = load_processes(
        kernel,
        chip.memory_protection(),
        contexts,
        app_flash,
        app_ram,
        LoadConfiguration {
            grant_region_bytes: GRANT_REGION_BYTES,
        },
        &capability,
    );
    kernel.print(format_args!(
        "[kernel] {} processes loaded, {} skipped; kernel RAM per process: {} bytes\r\n",
        summary.loaded,
        summary.skipped,
        core::mem::size_of::<Process>() + core::mem::size_of::<ChipProcessContext<QemuVirt>>()
    ));

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
