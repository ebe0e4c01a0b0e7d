//! Wiring of this board's own capsules (the shared ones are in
//! `board-components`): the DK's LEDs and buttons on GPIO. Each function
//! runs once: every `static_init!` site is one static (a second use panics).

use board_components::BoardCapability;
use capsules::button::{Button, ButtonPin};
use capsules::led::Led;
use chip_nrf52840::gpio::{GpioPin, Gpiote, Pin};
use chip_nrf52840::Peripherals;
use kernel::hil::gpio::{ActivationMode, Output};
use kernel::Kernel;
use kernel_abi::DriverNumber;

use crate::{pins, static_init};

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
