//! LEDs and buttons for a machine that has none, made observable and
//! controllable over the serial line:
//! - an LED prints `[led N] on` / `[led N] off` when its level changes;
//! - a button is pressed and released by [`EmulatedButton::press`] and
//!   [`EmulatedButton::release`]; [`SerialButtonController`] does both
//!   when the serial line carries `ESC 'B' <digit>`. Its interrupt fires
//!   like a real pin's.

use core::cell::Cell;
use core::fmt::Write;

use kernel::hil::gpio::{Input, InterruptClient, InterruptEdge, InterruptPin, Output};
use kernel::hil::uart::{Receive, ReceiveClient};
use kernel::platform::{DebugOutput, DebugWriter};
use kernel::ErrorCode;

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
            let _ = write!(
                DebugWriter(self.output),
                "[led {}] {}\r\n",
                self.index,
                state
            );
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

/// The escape byte that starts a button sequence on the serial line.
pub const BUTTON_ESCAPE: u8 = 0x1b;
/// The byte after the escape: `ESC 'B' <digit>` clicks button `<digit>`.
pub const BUTTON_COMMAND: u8 = b'B';

/// Where the serial parser is in a button sequence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SequenceState {
    /// Not in a sequence.
    #[default]
    Idle,
    /// Saw the escape byte.
    Escape,
    /// Saw `ESC 'B'`: the next byte names the button.
    Command,
}

/// Feeds one received byte to the parser: the new state and the button
/// to click, if the sequence just completed. Pure logic.
pub fn parse_button_byte(state: SequenceState, byte: u8) -> (SequenceState, Option<usize>) {
    match (state, byte) {
        (_, BUTTON_ESCAPE) => (SequenceState::Escape, None),
        (SequenceState::Escape, BUTTON_COMMAND) => (SequenceState::Command, None),
        (SequenceState::Command, b'0'..=b'9') => {
            (SequenceState::Idle, Some(usize::from(byte - b'0')))
        }
        _ => (SequenceState::Idle, None),
    }
}

/// Clicks (presses, then releases) emulated buttons when the serial line
/// carries `ESC 'B' <digit>`. It listens on its own receiver (a virtual
/// UART), so the console and process console still see every byte.
pub struct SerialButtonController {
    buttons: &'static [EmulatedButton],
    receiver: Cell<Option<&'static dyn Receive<'static>>>,
    buffer: Cell<Option<&'static mut [u8]>>,
    state: Cell<SequenceState>,
}

impl SerialButtonController {
    /// A controller for `buttons`, receiving through `buffer` (1 byte).
    pub const fn new(buttons: &'static [EmulatedButton], buffer: &'static mut [u8]) -> Self {
        SerialButtonController {
            buttons,
            receiver: Cell::new(None),
            buffer: Cell::new(Some(buffer)),
            state: Cell::new(SequenceState::Idle),
        }
    }

    /// Starts listening on `receiver`.
    pub fn start(&'static self, receiver: &'static dyn Receive<'static>) {
        receiver.set_receive_client(self);
        self.receiver.set(Some(receiver));
        self.listen();
    }

    fn listen(&self) {
        let (Some(receiver), Some(buffer)) = (self.receiver.get(), self.buffer.take()) else {
            return;
        };
        if let Err((_, buffer)) = receiver.receive_buffer(buffer, 1) {
            self.buffer.set(Some(buffer));
        }
    }
}

impl ReceiveClient for SerialButtonController {
    fn received_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
        _result: Result<(), ErrorCode>,
    ) {
        let byte = buffer[0];
        self.buffer.set(Some(buffer));
        if length == 1 {
            let (state, click) = parse_button_byte(self.state.get(), byte);
            self.state.set(state);
            if let Some(button) = click.and_then(|index| self.buttons.get(index)) {
                button.press();
                button.release();
            }
        }
        self.listen();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_b_digit_clicks_that_button_and_nothing_else_does() {
        let mut state = SequenceState::Idle;
        let mut clicked = None;
        for byte in *b"xB0\x1bB3" {
            let (next, click) = parse_button_byte(state, byte);
            state = next;
            clicked = clicked.or(click);
        }
        assert_eq!(clicked, Some(3));
        assert_eq!(
            parse_button_byte(SequenceState::Escape, b'x'),
            (SequenceState::Idle, None)
        );
        assert_eq!(
            parse_button_byte(SequenceState::Command, b'x'),
            (SequenceState::Idle, None)
        );
    }
}
