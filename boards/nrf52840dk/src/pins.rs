//! The nRF52840-DK (PCA10056) wiring: which pins are what.
//!
//! LEDs and buttons are active low (LEDs to VDD through a resistor,
//! buttons to ground with the pin's pull-up on). The UART goes to the
//! on-board J-Link's USB serial port (VCOM0).

use chip_nrf52840::gpio::Pin;
use chip_nrf52840::uarte::UartPins;

/// LED 1..4.
pub const LEDS: [Pin; 4] = [
    Pin::new(0, 13),
    Pin::new(0, 14),
    Pin::new(0, 15),
    Pin::new(0, 16),
];

/// Button 1..4.
pub const BUTTONS: [Pin; 4] = [
    Pin::new(0, 11),
    Pin::new(0, 12),
    Pin::new(0, 24),
    Pin::new(0, 25),
];

/// UARTE0 to the J-Link VCOM port (flow control pins left unused).
pub const UART: UartPins = UartPins {
    transmit: Pin::new(0, 6),
    receive: Pin::new(0, 8),
    clear_to_send: None,
    request_to_send: None,
};

/// The console's baud rate.
pub const BAUD_RATE: u32 = 115_200;
