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
use chip_nrf52840::gpio::{GpioPin, Gpiote, Pin};
use chip_nrf52840::rtc::Rtc;
use chip_nrf52840::Peripherals;
#[cfg(not(feature = "app_loader"))]
use kernel::deferred_call::DeferredCalls;
use kernel::hil::entropy::Entropy32;
use kernel::hil::gpio::{ActivationMode, Output};
use kernel::hil::time::Alarm;
use kernel::hil::uart::{Receive, Transmit};
use kernel::kernel::ProcessManagement;
use kernel::Kernel;
use kernel_abi::DriverNumber;

use crate::io::{reset_board, BoardCapability};
use crate::{pins, static_init};

/// Shares UARTE0: the console driver and the process console each get a
/// virtual UART. (With the live loader, `app_loader.rs` builds the mux
/// behind the loader service instead.)
#[cfg(not(feature = "app_loader"))]
pub fn uart_mux(
    peripherals: &'static Peripherals,
    calls: &'static DeferredCalls,
) -> &'static UartMux<'static> {
    let uart = &peripherals.uarte;
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
            &peripherals.uarte,
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

/// The alarm driver (0x0) on RTC1.
pub fn alarm(kernel: &'static Kernel, rtc: &'static Rtc) -> &'static AlarmDriver<'static, Rtc> {
    let grant = kernel.create_grant(DriverNumber::ALARM.0, &BoardCapability);
    let alarm = static_init!(AlarmDriver<'static, Rtc>, AlarmDriver::new(rtc, grant));
    rtc.set_alarm_client(alarm);
    alarm
}

/// An active-low LED seen as "set = lit", as the LED driver expects.
pub struct ActiveLowLed(&'static GpioPin);

impl Output for ActiveLowLed {
    fn set(&self) {
        self.0.clear();
    }

    fn clear(&self) {
        self.0.set();
    }

    fn toggle(&self) -> bool {
        !self.0.toggle()
    }

    fn is_set(&self) -> bool {
        !self.0.is_set()
    }
}

/// The driver of `pin`; a pin wired twice in `pins.rs` is a board bug
/// caught at boot.
fn take(gpiote: &'static Gpiote, pin: Pin) -> GpioPin {
    match gpiote.take_pin(pin) {
        Some(driver) => driver,
        None => panic!("pin {:?} is wired twice in pins.rs", pin),
    }
}

/// The DK's four LEDs (0x2).
pub fn leds(peripherals: &'static Peripherals) -> &'static Led<'static> {
    let gpiote = &peripherals.gpiote;
    let pins: &'static [GpioPin; 4] =
        static_init!([GpioPin; 4], pins::LEDS.map(|pin| take(gpiote, pin)));
    for pin in pins.iter() {
        pin.make_output();
    }
    let leds = static_init!(
        [ActiveLowLed; 4],
        [
            ActiveLowLed(&pins[0]),
            ActiveLowLed(&pins[1]),
            ActiveLowLed(&pins[2]),
            ActiveLowLed(&pins[3]),
        ]
    );
    let outputs = static_init!(
        [&'static dyn Output; 4],
        [&leds[0], &leds[1], &leds[2], &leds[3]]
    );
    static_init!(Led<'static>, Led::new(outputs))
}

/// The DK's four buttons (0x3), interrupting through GPIOTE.
pub fn buttons(
    kernel: &'static Kernel,
    peripherals: &'static Peripherals,
) -> &'static Button<'static> {
    let gpiote = &peripherals.gpiote;
    let pins: &'static [GpioPin; 4] =
        static_init!([GpioPin; 4], pins::BUTTONS.map(|pin| take(gpiote, pin)));
    for pin in pins.iter() {
        pin.make_input_pulled_up();
    }
    let buttons = static_init!(
        [ButtonPin<'static>; 4],
        [
            (&pins[0], ActivationMode::ActiveLow),
            (&pins[1], ActivationMode::ActiveLow),
            (&pins[2], ActivationMode::ActiveLow),
            (&pins[3], ActivationMode::ActiveLow),
        ]
    );
    let grant = kernel.create_grant(DriverNumber::BUTTON.0, &BoardCapability);
    let driver = static_init!(Button<'static>, Button::new(buttons, grant));
    driver.connect();
    driver
}

/// Low-level debug (0x8) printing by polling.
pub fn low_level_debug(peripherals: &'static Peripherals) -> &'static LowLevelDebug<'static> {
    static_init!(
        LowLevelDebug<'static>,
        LowLevelDebug::new(&peripherals.uarte)
    )
}

/// The RNG driver (0x40001) on the hardware generator.
pub fn rng(kernel: &'static Kernel, peripherals: &'static Peripherals) -> &'static Rng<'static> {
    let grant = kernel.create_grant(DriverNumber::RNG.0, &BoardCapability);
    let rng = static_init!(Rng<'static>, Rng::new(&peripherals.rng, grant));
    peripherals.rng.set_client(rng);
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
