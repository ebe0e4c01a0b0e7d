//! LEDs and buttons for a machine that has none, made observable and
//! controllable over the serial line:
//! - an LED prints `[led N] on` / `[led N] off` when its level changes;
//! - a button is pressed and released by [`EmulatedButton::press`] and
//!   [`EmulatedButton::release`] (the board calls them, e.g. from a
//!   process-console command); its interrupt fires like a real pin's.

use core::cell::Cell;
use core::fmt::Write;

use kernel::hil::gpio::{Input, InterruptClient, InterruptEdge, InterruptPin, Output};
use kernel::platform::{DebugOutput, DebugWriter};

/// An LED that reports every change on a debug output.
pub struct ConsoleLed {
    index: usize,
    level: Cell<bool>,
    output: &'static dyn DebugOutput,
}

impl ConsoleLed {
    /// LED number `index`, reporting on `output`.
    pub const fn new(index: usize, output: &'static dyn DebugOutput) -> Self {
        ConsoleLed {
            index,
            level: Cell::new(false),
            output,
        }
    }

    fn drive(&self, level: bool) {
        if self.level.replace(level) != level {
            let state = if level { "on" } else { "off" };
            let _ = write!(DebugWriter(self.output), "[led {}] {}\r\n", self.index, state);
        }
    }
}

impl Output for ConsoleLed {
    fn set(&self) {
        self.drive(true);
    }

    fn clear(&self) {
        self.drive(false);
    }

    fn toggle(&self) -> bool {
        let level = !self.level.get();
        self.drive(level);
        level
    }

    fn is_set(&self) -> bool {
        self.level.get()
    }
}

/// A button pressed in software. Reads high while pressed.
pub struct EmulatedButton {
    pressed: Cell<bool>,
    edge: Cell<Option<InterruptEdge>>,
    client: Cell<Option<(&'static dyn InterruptClient, usize)>>,
}

impl Default for EmulatedButton {
    fn default() -> Self {
        Self::new()
    }
}

impl EmulatedButton {
    /// A released button.
    pub const fn new() -> Self {
        EmulatedButton {
            pressed: Cell::new(false),
            edge: Cell::new(None),
            client: Cell::new(None),
        }
    }

    fn change(&self, pressed: bool) {
        if self.pressed.replace(pressed) == pressed {
            return;
        }
        let fires = match self.edge.get() {
            Some(InterruptEdge::EitherEdge) => true,
            Some(InterruptEdge::RisingEdge) => pressed,
            Some(InterruptEdge::FallingEdge) => !pressed,
            None => false,
        };
        if let (true, Some((client, identifier))) = (fires, self.client.get()) {
            client.fired(identifier);
        }
    }

    /// Presses the button (from kernel context, never inside a HIL call).
    pub fn press(&self) {
        self.change(true);
    }

    /// Releases it.
    pub fn release(&self) {
        self.change(false);
    }
}

impl Input for EmulatedButton {
    fn read(&self) -> bool {
        self.pressed.get()
    }
}

impl InterruptPin<'static> for EmulatedButton {
    fn set_client(&self, client: &'static dyn InterruptClient, identifier: usize) {
        self.client.set(Some((client, identifier)));
    }

    fn enable_interrupts(&self, edge: InterruptEdge) {
        self.edge.set(Some(edge));
    }

    fn disable_interrupts(&self) {
        self.edge.set(None);
    }
}
