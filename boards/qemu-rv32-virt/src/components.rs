//! Wiring of the board's capsules to the chip: each function builds one
//! capsule (and what it needs) in statics and connects its callbacks.
//! `main.rs` only says which ones the board has. Each function runs once:
//! every `static_init!` site is one static (a second use panics).

use capsules::alarm::AlarmDriver;
use capsules::button::{Button, ButtonPin};
use capsules::console::Console;
use capsules::ipc::Ipc;
use capsules::led::Led;
use capsules::low_level_debug::LowLevelDebug;
use capsules::process_console::ProcessConsole;
use capsules::process_info::ProcessInfo;
use capsules::rng::Rng;
use capsules::uart_mux::{UartMux, VirtualUart};
use chip_qemu_virt::clint::MachineTimer;
use chip_qemu_virt::emulated::{ConsoleLed, EmulatedButton, SerialButtonController};
use chip_qemu_virt::test_device::TestDevice;
use chip_qemu_virt::test_driver::{TestExitDriver, TEST_EXIT_DRIVER};
use chip_qemu_virt::Peripherals;
use kernel::deferred_call::DeferredCalls;
use kernel::hil::entropy::Entropy32;
use kernel::hil::gpio::{ActivationMode, Output};
use kernel::hil::time::Alarm;
use kernel::hil::uart::{Receive, Transmit};
use kernel::kernel::ProcessManagement;
use kernel::Kernel;
use kernel_abi::DriverNumber;

use crate::io::BoardCapability;
use crate::static_init;

/// Shares the UART: the console driver and the process console each get
/// a virtual UART. (With the live loader, `app_loader.rs` builds the mux
/// behind the loader service instead.)
#[cfg_attr(feature = "app_loader", allow(dead_code))] // reason: the loader builds its own mux
pub fn uart_mux(
    peripherals: &'static Peripherals,
    calls: &'static DeferredCalls,
) -> &'static UartMux<'static> {
    let uart = &peripherals.uart;
    let call = calls.allocate();
    let mux = static_init!(
        UartMux<'static>,
        UartMux::new(uart, static_init!([u8; 1], [0; 1]), call)
    );
    call.register(mux);
    uart.set_transmit_client(mux);
    uart.set_receive_client(mux);
    mux
}

/// The console driver (0x1) on its own virtual UART.
pub fn console(
    kernel: &'static Kernel,
    mux: &'static UartMux<'static>,
) -> &'static Console<'static> {
    let device = static_init!(VirtualUart<'static>, VirtualUart::new(mux));
    device.attach();
    let grant = kernel.create_grant(DriverNumber::CONSOLE.0, &BoardCapability);
    let buffers = (
        static_init!([u8; 64], [0; 64]),
        static_init!([u8; 64], [0; 64]),
    );
    let console = static_init!(
        Console<'static>,
        Console::new(device, grant, buffers.0, buffers.1)
    );
    device.set_transmit_client(console);
    device.set_receive_client(console);
    console
}

fn reset_board() -> ! {
    // SAFETY: the test device is at virt's address; this ends the kernel.
    unsafe { TestDevice::new(chip_qemu_virt::addresses::TEST_DEVICE) }.reset()
}

/// The process console, reading its own virtual UART, writing by polling.
pub fn process_console(
    kernel: &'static Kernel,
    mux: &'static UartMux<'static>,
    peripherals: &'static Peripherals,
) {
    let device = static_init!(VirtualUart<'static>, VirtualUart::new(mux));
    device.attach();
    let management = ProcessManagement::new(kernel, &BoardCapability);
    let buffer = static_init!([u8; 1], [0; 1]);
    let console = static_init!(
        ProcessConsole<'static>,
        ProcessConsole::new(
            device,
            &peripherals.uart,
            management,
            buffer,
            Some(reset_board)
        )
    );
    device.set_receive_client(console);
    if console.start().is_err() {
        kernel.print(format_args!(
            "[kernel] the process console could not start\r\n"
        ));
    }
}

/// The alarm driver (0x0) on the CLINT.
pub fn alarm(
    kernel: &'static Kernel,
    timer: &'static MachineTimer,
) -> &'static AlarmDriver<'static, MachineTimer> {
    let grant = kernel.create_grant(DriverNumber::ALARM.0, &BoardCapability);
    let alarm = static_init!(
        AlarmDriver<'static, MachineTimer>,
        AlarmDriver::new(timer, grant)
    );
    timer.set_alarm_client(alarm);
    alarm
}

/// Two LEDs that print their changes on the serial line.
pub fn leds(peripherals: &'static Peripherals) -> &'static Led<'static> {
    let uart = &peripherals.uart;
    let leds = static_init!(
        [ConsoleLed; 2],
        [ConsoleLed::new(0, uart), ConsoleLed::new(1, uart)]
    );
    let pins = static_init!([&'static dyn Output; 2], [&leds[0], &leds[1]]);
    static_init!(Led<'static>, Led::new(pins))
}

/// One software button, clicked by `ESC 'B' 0` on the serial line.
pub fn button(kernel: &'static Kernel, mux: &'static UartMux<'static>) -> &'static Button<'static> {
    let buttons: &[EmulatedButton] = static_init!([EmulatedButton; 1], [EmulatedButton::new()]);
    let pins = static_init!(
        [ButtonPin<'static>; 1],
        [(&buttons[0], ActivationMode::ActiveHigh)]
    );
    let grant = kernel.create_grant(DriverNumber::BUTTON.0, &BoardCapability);
    let driver = static_init!(Button<'static>, Button::new(pins, grant));
    driver.connect();
    let device = static_init!(VirtualUart<'static>, VirtualUart::new(mux));
    device.attach();
    let buffer = static_init!([u8; 1], [0; 1]);
    let controller = static_init!(
        SerialButtonController,
        SerialButtonController::new(buttons, buffer)
    );
    controller.start(device);
    driver
}

/// Low-level debug (0x8) printing by polling.
pub fn low_level_debug(peripherals: &'static Peripherals) -> &'static LowLevelDebug<'static> {
    static_init!(
        LowLevelDebug<'static>,
        LowLevelDebug::new(&peripherals.uart)
    )
}

/// The RNG driver (0x40001) on `entropy` (virtio-rng, or the CSPRNG
/// seeded from it with `security_key`).
pub fn rng(
    kernel: &'static Kernel,
    entropy: &'static dyn Entropy32<'static>,
) -> &'static Rng<'static> {
    let grant = kernel.create_grant(DriverNumber::RNG.0, &BoardCapability);
    let rng = static_init!(Rng<'static>, Rng::new(entropy, grant));
    entropy.set_client(rng);
    rng
}

/// IPC (0x10000).
pub fn ipc(kernel: &'static Kernel) -> &'static Ipc {
    let grant = kernel.create_grant(DriverNumber::IPC.0, &BoardCapability);
    static_init!(Ipc, Ipc::new(kernel, grant))
}

/// Process info (0x10002).
pub fn process_info(kernel: &'static Kernel) -> &'static ProcessInfo<'static> {
    let management = ProcessManagement::new(kernel, &BoardCapability);
    let grant = kernel.create_grant(DriverNumber::PROCESS_INFO.0, &BoardCapability);
    static_init!(ProcessInfo<'static>, ProcessInfo::new(management, grant))
}

/// The emulator's test driver (exit codes, return-variant probe).
pub fn test_exit(
    kernel: &'static Kernel,
    peripherals: &'static Peripherals,
) -> &'static TestExitDriver {
    let grant = kernel.create_grant(TEST_EXIT_DRIVER, &BoardCapability);
    static_init!(
        TestExitDriver,
        TestExitDriver::new(&peripherals.test_device, kernel, grant, &peripherals.flash)
    )
}
