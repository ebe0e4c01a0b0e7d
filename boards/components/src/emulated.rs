//! QEMU's boards have no GPIO: two LEDs report their changes on the serial
//! line, and one software button is clicked by `ESC 'B' 0` on it.

use capsules::button::{Button, ButtonPin};
use capsules::led::Led;
use capsules::uart_mux::{ReceiveFilter, UartMux};
use chip_qemu_virt::emulated::{ConsoleLed, EmulatedButton, SerialButtonController};
use kernel::hil::gpio::{ActivationMode, Output};
use kernel::hil::time::Alarm;
use kernel::platform::DebugOutput;
use kernel::Kernel;
use kernel_abi::DriverNumber;

use crate::{static_init, BoardCapability};

/// The LED driver (0x2) over two LEDs printing on `output`.
pub fn leds(output: &'static dyn DebugOutput) -> &'static Led<'static> {
    let leds = static_init!(
        [ConsoleLed; 2],
        [ConsoleLed::new(0, output), ConsoleLed::new(1, output)]
    );
    let pins = static_init!([&'static dyn Output; 2], [&leds[0], &leds[1]]);
    static_init!(Led<'static>, Led::new(pins))
}

/// The button driver (0x3) over one software button. Its clicks come off
/// the serial line in front of `mux`'s readers, so the console and the
/// process console never see them; `alarm` (the board's own, not shared)
/// holds each click down for a realistic time.
pub fn button(
    kernel: &'static Kernel,
    mux: &'static UartMux<'static>,
    alarm: &'static dyn Alarm<'static>,
) -> &'static Button<'static> {
    let buttons: &[EmulatedButton] = static_init!([EmulatedButton; 1], [EmulatedButton::new()]);
    let pins = static_init!(
        [ButtonPin<'static>; 1],
        [(&buttons[0], ActivationMode::ActiveHigh)]
    );
    let grant = kernel.create_grant(DriverNumber::BUTTON.0, &BoardCapability);
    let driver = static_init!(Button<'static>, Button::new(pins, grant));
    driver.connect();
    let controller = static_init!(SerialButtonController, SerialButtonController::new(buttons));
    controller.start(alarm);
    mux.set_receive_filter(static_init!(ButtonSequences, ButtonSequences(controller)));
    driver
}

/// The controller as the mux's filter (the trait is the mux's, the
/// controller the chip's: this joins them).
struct ButtonSequences(&'static SerialButtonController);

impl ReceiveFilter for ButtonSequences {
    fn filter(&self, byte: u8, pass: &mut dyn FnMut(u8)) {
        self.0.filter(byte, pass);
    }
}
