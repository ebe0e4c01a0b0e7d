//! LEDs and buttons for a machine that has none, made observable and
//! controllable over the serial line:
//! - an LED prints `[led N] on` / `[led N] off` when its level changes;
//! - a button is pressed and released by [`EmulatedButton::press`] and
//!   [`EmulatedButton::release`]; [`SerialButtonController`] does both,
//!   [`CLICK_HOLD_MILLISECONDS`] apart, when the serial line carries
//!   `ESC 'B' <digit>`, and keeps the sequence from the console. Its
//!   interrupt fires like a real pin's.

use core::cell::Cell;
use core::fmt::Write;

use kernel::hil::gpio::{Input, InterruptClient, InterruptEdge, InterruptPin, Output};
use kernel::hil::time::{Alarm, AlarmClient};
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
/// How long a click holds its button down, in milliseconds: a person's
/// click lasts tens of milliseconds, and an app reacting to the press
/// (printing it, say) must have the time to do so before the release.
pub const CLICK_HOLD_MILLISECONDS: u32 = 50;

/// Where the serial parser is in a button sequence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SequenceState {
    /// Not in a sequence.
    #[default]
    Idle,
    /// Saw (and kept) the escape byte.
    Escape,
    /// Saw (and kept) `ESC 'B'`: the next byte names the button.
    Command,
}

impl SequenceState {
    /// The bytes of a sequence kept back in this state.
    fn kept(self) -> &'static [u8] {
        match self {
            SequenceState::Idle => &[],
            SequenceState::Escape => &[BUTTON_ESCAPE],
            SequenceState::Command => &[BUTTON_ESCAPE, BUTTON_COMMAND],
        }
    }
}

/// What one received byte does to the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedByte {
    /// The parser's next state.
    pub state: SequenceState,
    /// The bytes the console gets now (`passed[..passed_length]`): bytes
    /// kept back by a sequence that did not complete, then this byte
    /// unless it is kept.
    pub passed: [u8; 3],
    /// How many of `passed` count.
    pub passed_length: usize,
    /// The button clicked, when a sequence just completed.
    pub click: Option<usize>,
}

/// Feeds one received byte to the parser. A complete `ESC 'B' <digit>` is
/// taken off the line; any other byte, and the bytes of a sequence that
/// turned out not to be one, go on to the console in their order (so an
/// arrow key's `ESC '[' 'A'` still reaches it). Pure logic.
pub fn parse_button_byte(state: SequenceState, byte: u8) -> ParsedByte {
    let (next, keeps_byte, click) = match (state, byte) {
        (_, BUTTON_ESCAPE) => (SequenceState::Escape, true, None),
        (SequenceState::Escape, BUTTON_COMMAND) => (SequenceState::Command, true, None),
        (SequenceState::Command, b'0'..=b'9') => {
            (SequenceState::Idle, true, Some(usize::from(byte - b'0')))
        }
        _ => (SequenceState::Idle, false, None),
    };
    let mut parsed = ParsedByte {
        state: next,
        passed: [0; 3],
        passed_length: 0,
        click,
    };
    // A sequence that goes on keeps its bytes; any other outcome passes
    // what was kept, unless the sequence completed.
    let goes_on = (keeps_byte && next != SequenceState::Escape) || click.is_some();
    let mut pass = |passed: u8| {
        parsed.passed[parsed.passed_length] = passed;
        parsed.passed_length += 1;
    };
    if !goes_on {
        state.kept().iter().for_each(|&kept| pass(kept));
    }
    if !keeps_byte {
        pass(byte);
    }
    parsed
}

/// Clicks emulated buttons when the serial line carries `ESC 'B'
/// <digit>`: presses the button, holds it [`CLICK_HOLD_MILLISECONDS`] on
/// an alarm, then releases it. The board puts it in front of the UART's
/// readers ([`SerialButtonController::filter`]), so the sequence is taken
/// off the line and the console never sees it.
pub struct SerialButtonController {
    buttons: &'static [EmulatedButton],
    alarm: Cell<Option<&'static dyn Alarm<'static>>>,
    state: Cell<SequenceState>,
    /// The button a click holds down until the alarm fires.
    held: Cell<Option<usize>>,
}

impl SerialButtonController {
    /// A controller for `buttons`.
    pub const fn new(buttons: &'static [EmulatedButton]) -> Self {
        SerialButtonController {
            buttons,
            alarm: Cell::new(None),
            state: Cell::new(SequenceState::Idle),
            held: Cell::new(None),
        }
    }

    /// Times the clicks with `alarm` (the controller becomes its client).
    pub fn start(&'static self, alarm: &'static dyn Alarm<'static>) {
        alarm.set_alarm_client(self);
        self.alarm.set(Some(alarm));
    }

    /// Takes one received byte: hands to `pass`, in order, the bytes the
    /// console gets now, and clicks a button when a sequence completes.
    pub fn filter(&self, byte: u8, pass: &mut dyn FnMut(u8)) {
        let parsed = parse_button_byte(self.state.get(), byte);
        self.state.set(parsed.state);
        parsed.passed[..parsed.passed_length]
            .iter()
            .for_each(|&passed| pass(passed));
        if let Some(index) = parsed.click.filter(|&index| index < self.buttons.len()) {
            self.click(index);
        }
    }

    /// Presses button `index` and lets the alarm release it. A click that
    /// comes while another is held releases that one first, so every
    /// press has its release.
    fn click(&self, index: usize) {
        let Some(alarm) = self.alarm.get() else {
            return;
        };
        self.release_held();
        self.buttons[index].press();
        self.held.set(Some(index));
        let ticks = u64::from(alarm.frequency()) * u64::from(CLICK_HOLD_MILLISECONDS) / 1000;
        let ticks = u32::try_from(ticks)
            .unwrap_or(u32::MAX)
            .max(alarm.minimum_dt());
        alarm.set_alarm(alarm.now(), ticks);
    }

    fn release_held(&self) {
        if let Some(index) = self.held.take() {
            self.buttons[index].release();
        }
    }
}

impl AlarmClient for SerialButtonController {
    fn alarm(&self) {
        self.release_held();
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::boxed::Box;
    use std::vec::Vec;

    /// Runs `line` through the parser: the bytes the console gets and the
    /// buttons clicked.
    fn parse_line(line: &[u8]) -> (Vec<u8>, Vec<usize>) {
        let (mut state, mut passed, mut clicks) = (SequenceState::Idle, Vec::new(), Vec::new());
        for &byte in line {
            let parsed = parse_button_byte(state, byte);
            state = parsed.state;
            passed.extend_from_slice(&parsed.passed[..parsed.passed_length]);
            clicks.extend(parsed.click);
        }
        (passed, clicks)
    }

    #[test]
    fn escape_b_digit_clicks_that_button_and_nothing_else_does() {
        assert_eq!(parse_line(b"xB0\x1bB3"), (b"xB0".to_vec(), std::vec![3]));
        assert_eq!(parse_line(b"\x1bx"), (b"\x1bx".to_vec(), std::vec![]));
        assert_eq!(parse_line(b"\x1bBx"), (b"\x1bBx".to_vec(), std::vec![]));
    }

    #[test]
    fn the_sequence_never_reaches_the_console_and_other_bytes_keep_their_order() {
        assert_eq!(
            parse_line(b"\x1bB0list\r"),
            (b"list\r".to_vec(), std::vec![0])
        );
        // An arrow key and a doubled escape pass through whole.
        assert_eq!(parse_line(b"\x1b[A"), (b"\x1b[A".to_vec(), std::vec![]));
        assert_eq!(
            parse_line(b"\x1b\x1bB1\x1bB\x1bB2"),
            (b"\x1b\x1bB".to_vec(), std::vec![1, 2])
        );
    }

    /// An alarm the test fires by hand.
    #[derive(Default)]
    struct ManualAlarm {
        armed: Cell<Option<(u32, u32)>>,
        client: Cell<Option<&'static dyn AlarmClient>>,
    }

    impl ManualAlarm {
        fn fire(&self) {
            if self.armed.take().is_some() {
                self.client.get().expect("a client").alarm();
            }
        }
    }

    impl kernel::hil::time::Time for ManualAlarm {
        fn frequency(&self) -> u32 {
            10_000_000
        }
        fn now(&self) -> u32 {
            1000
        }
    }

    impl Alarm<'static> for ManualAlarm {
        fn set_alarm_client(&self, client: &'static dyn AlarmClient) {
            self.client.set(Some(client));
        }
        fn set_alarm(&self, reference: u32, dt: u32) {
            self.armed.set(Some((reference, dt)));
        }
        fn get_alarm(&self) -> u32 {
            self.armed.get().map_or(0, |(reference, dt)| reference + dt)
        }
        fn disarm(&self) -> Result<(), kernel::ErrorCode> {
            self.armed.set(None);
            Ok(())
        }
        fn is_armed(&self) -> bool {
            self.armed.get().is_some()
        }
        fn minimum_dt(&self) -> u32 {
            1
        }
    }

    /// Records the button's level at each interrupt.
    struct Levels(&'static EmulatedButton, core::cell::RefCell<Vec<bool>>);

    impl InterruptClient for Levels {
        fn fired(&self, _identifier: usize) {
            self.1.borrow_mut().push(self.0.read());
        }
    }

    #[test]
    fn a_click_holds_the_button_until_the_alarm_releases_it() {
        let buttons: &'static [EmulatedButton] = Box::leak(Box::new([EmulatedButton::new()]));
        let levels: &'static Levels = Box::leak(Box::new(Levels(&buttons[0], Default::default())));
        buttons[0].set_client(levels, 0);
        buttons[0].enable_interrupts(InterruptEdge::EitherEdge);
        let alarm: &'static ManualAlarm = Box::leak(Box::default());
        let controller: &'static SerialButtonController =
            Box::leak(Box::new(SerialButtonController::new(buttons)));
        controller.start(alarm);
        let mut console = Vec::new();
        for &byte in b"a\x1bB0b" {
            controller.filter(byte, &mut |passed| console.push(passed));
        }
        assert_eq!(console, b"ab");
        assert_eq!(*levels.1.borrow(), [true], "pressed, not yet released");
        assert_eq!(alarm.armed.get(), Some((1000, 500_000)), "50 ms at 10 MHz");
        alarm.fire();
        assert_eq!(*levels.1.borrow(), [true, false]);
        assert!(!buttons[0].read());
        // A click during a hold ends that hold first: every press has its
        // release, and the alarm releases the second.
        for &byte in b"\x1bB0\x1bB0" {
            controller.filter(byte, &mut |_| {});
        }
        assert_eq!(*levels.1.borrow(), [true, false, true, false, true]);
        alarm.fire();
        assert_eq!(*levels.1.borrow(), [true, false, true, false, true, false]);
    }
}
