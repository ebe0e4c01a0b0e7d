//! QEMU's boards have no GPIO: two LEDs report their changes on the serial
//! line, and one software button is clicked by `ESC 'B' 0` on it.

use capsules::button::{Button, ButtonPin};
use capsules::led::Led;
use capsules::uart_mux::{UartMux, VirtualUart};
use chip_qemu_virt::emulated::{ConsoleLed, EmulatedButton, SerialButtonController};
use kernel::hil::gpio::{ActivationMode, Output};
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

/// The button driver (0x3) over one software button, clicked through its
/// own virtual UART of `mux`.
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
    let controller = static_init!(
        SerialButtonController,
        SerialButtonController::new(buttons, static_init!([u8; 1], [0; 1]))
    );
    controller.start(device);
    driver
}
