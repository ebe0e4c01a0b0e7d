//! The HOTP event loop, generic over the system calls `S` (the real
//! kernel on a device, the fake kernel in tests).
//!
//! One console read of one byte is always outstanding; button presses are
//! handled while it waits. A finished line is a [`crate::command`].

use crate::code::{counter_message, totp_counter, Code};
use crate::command::{self, Command, CommandError};
use crate::keyboard;
use crate::line::{LineBuffer, LineEvent, MAX_LINE};
use crate::slot::{self, Algorithm, Slot, MAX_RECORD, SLOT_COUNT};
use core::cell::Cell;
use core::fmt::Write;
use libtock_buttons::Buttons;
use libtock_console::Console;
use libtock_date_time::DateTime;
use libtock_hmac::Hmac;
use libtock_key_value::KeyValue;
use libtock_platform::share::{scope, Handle};
use libtock_platform::{status_from_upcall, AllowRw, ErrorCode, Subscribe, Syscalls};
use libtock_usb_keyboard_hid::UsbKeyboardHid;

/// State kept between events.
pub struct HotpApp<S: Syscalls> {
    /// The slot button 0 emits.
    selected: usize,
    line: LineBuffer,
    _syscalls: core::marker::PhantomData<S>,
}

impl<S: Syscalls> Default for HotpApp<S> {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! say {
    ($($argument:tt)*) => {{
        // The console is the only place to report to: a failed write is
        // dropped.
        let _ = writeln!(Console::<S>::writer(), $($argument)*);
    }};
}

impl<S: Syscalls> HotpApp<S> {
    /// An app with slot 0 selected and an empty line.
    pub fn new() -> Self {
        HotpApp {
            selected: 0,
            line: LineBuffer::new(),
            _syscalls: core::marker::PhantomData,
        }
    }

    /// Runs until the console fails; returns that error.
    pub fn run(&mut self) -> Result<(), ErrorCode> {
        let buttons = Buttons::<S>::count()?;
        // Each press sets its button's bit (releases are ignored), so a
        // press is never lost behind its own release.
        let presses = Cell::new(0u32);
        let on_button = |button: u32, state: u32, _| {
            if state != 0 && button < 32 {
                presses.set(presses.get() | (1 << button));
            }
        };
        scope::<Subscribe<S, { libtock_buttons::DRIVER_NUM }, 0>, _, _>(|handle| {
            S::subscribe(handle, &on_button)?;
            for button in 0..buttons {
                Buttons::<S>::enable_interrupts(button)?;
            }
            say!("hotp: ready, {SLOT_COUNT} slots, {buttons} button(s)");
            loop {
                let byte = self.next_byte(&presses)?;
                self.take_byte(byte);
            }
        })
    }

    /// Waits for one console byte, handling button presses meanwhile.
    fn next_byte(&mut self, presses: &Cell<u32>) -> Result<u8, ErrorCode> {
        let mut byte = [0u8; 1];
        let done: Cell<Option<(u32, u32)>> = Cell::new(None);
        type Shares<'share, S> = (
            AllowRw<'share, S, { libtock_console::DRIVER_NUM }, { libtock_console::BUFFER_NUM }>,
            Subscribe<
                'share,
                S,
                { libtock_console::DRIVER_NUM },
                { libtock_console::subscribe::READ_DONE },
            >,
        );
        scope::<Shares<S>, _, _>(|handle| {
            let (allow, subscribe): (Handle<_>, Handle<_>) = handle.split();
            S::allow_rw(allow, &mut byte)?;
            S::subscribe(subscribe, &done)?;
            S::command(
                libtock_console::DRIVER_NUM,
                libtock_console::command::READ,
                1,
                0,
            )
            .to_result::<()>()?;
            loop {
                let pressed = presses.replace(0);
                for button in (0..32).filter(|button| pressed & (1 << button) != 0) {
                    self.press(button);
                }
                if done.get().is_some() {
                    return Ok(());
                }
                S::yield_wait();
            }
        })?;
        let (status, _) = done.get().unwrap_or((0, 0));
        status_from_upcall(status)?;
        Ok(byte[0])
    }

    fn take_byte(&mut self, byte: u8) {
        match self.line.push(byte) {
            LineEvent::Pending => {}
            LineEvent::TooLong => {
                say!("hotp: error: the line is longer than {MAX_LINE} characters")
            }
            LineEvent::Line => match core::str::from_utf8(self.line.line()) {
                Ok(line) => match command::parse(line) {
                    Ok(command) => self.execute(command),
                    // Only the first word: it is not `set`, so no secret.
                    Err(CommandError::Unknown) => say!(
                        "hotp: error: unknown command {:?}: type `help`",
                        line.split_ascii_whitespace().next().unwrap_or("")
                    ),
                    Err(error) => say!("hotp: error: {}", error.message()),
                },
                Err(_) => say!("hotp: error: the line is not text"),
            },
        }
    }

    fn execute(&mut self, command: Command) {
        match command {
            Command::Set { slot, value } => match store::<S>(slot, &value) {
                Ok(()) => say!(
                    "hotp: slot {slot} programmed ({} digits, {})",
                    value.digits,
                    value.algorithm.name()
                ),
                Err(error) => say!("hotp: error: storing slot {slot} failed: {error:?}"),
            },
            Command::Select(slot) => {
                self.selected = slot;
                say!("hotp: slot {slot} selected");
            }
            Command::Totp(slot) => show_totp::<S>(slot),
            Command::Delete(slot) => match KeyValue::<S>::delete(&slot::key(slot)) {
                Ok(()) => say!("hotp: slot {slot} deleted"),
                Err(error) => say!("hotp: error: deleting slot {slot} failed: {error:?}"),
            },
            Command::List => self.list(),
            Command::Help => say!("hotp: {}", command::HELP),
            Command::Nothing => {}
        }
    }

    fn list(&self) {
        for index in 0..SLOT_COUNT {
            match load::<S>(index) {
                Ok(Some(slot)) => say!(
                    "hotp: slot {index}: {} digits, {}, counter {}",
                    slot.digits,
                    slot.algorithm.name(),
                    slot.counter
                ),
                Ok(None) => say!("hotp: slot {index}: empty"),
                Err(error) => say!("hotp: slot {index}: unreadable ({error:?})"),
            }
        }
    }

    /// Button 0 emits the selected slot; button N the slot N.
    fn press(&mut self, button: u32) {
        let index = if button == 0 {
            self.selected
        } else {
            button as usize
        };
        if index >= SLOT_COUNT {
            say!("hotp: error: button {button} has no slot");
            return;
        }
        match emit::<S>(index) {
            Ok(Some((code, counter))) => {
                say!(
                    "hotp: slot {index} counter {counter} code {}",
                    code.as_str()
                );
                if let Err(error) = type_code::<S>(&code) {
                    say!("hotp: error: typing the code failed: {error:?}");
                }
            }
            Ok(None) => say!("hotp: slot {index} is empty: program it with `set {index} <secret>`"),
            Err(error) => say!("hotp: error: slot {index}: {error:?}"),
        }
    }
}

/// Stores `value` as slot `index`.
fn store<S: Syscalls>(index: usize, value: &Slot) -> Result<(), ErrorCode> {
    let mut record = [0u8; MAX_RECORD];
    let length = value.encode(&mut record);
    KeyValue::<S>::set(&slot::key(index), &record[..length])
}

/// Slot `index`, `None` if it was never programmed (the store answers a
/// missing key with `NoSupport`, as upstream's does).
fn load<S: Syscalls>(index: usize) -> Result<Option<Slot>, ErrorCode> {
    let mut record = [0u8; MAX_RECORD];
    match KeyValue::<S>::get(&slot::key(index), &mut record) {
        Ok(length) => Slot::decode(&record[..length])
            .map(Some)
            .map_err(|_| ErrorCode::Fail),
        Err(ErrorCode::NoSupport) => Ok(None),
        Err(error) => Err(error),
    }
}

/// The code of the slot's current counter. The advanced counter is stored
/// first: if the store fails, no code is shown, so none is ever repeated.
fn emit<S: Syscalls>(index: usize) -> Result<Option<(Code, u64)>, ErrorCode> {
    let Some(mut slot) = load::<S>(index)? else {
        return Ok(None);
    };
    let counter = slot.counter;
    slot.counter = counter.checked_add(1).ok_or(ErrorCode::Size)?;
    store::<S>(index, &slot)?;
    Ok(Some((code_for::<S>(&slot, counter)?, counter)))
}

/// The slot's code for `counter`, by the kernel's HMAC.
fn code_for<S: Syscalls>(slot: &Slot, counter: u64) -> Result<Code, ErrorCode> {
    let algorithm = match slot.algorithm {
        Algorithm::Sha1 => libtock_hmac::Algorithm::Sha1,
        Algorithm::Sha256 => libtock_hmac::Algorithm::Sha256,
    };
    let mut mac = [0u8; 64];
    let length = Hmac::<S>::mac(
        algorithm,
        slot.secret(),
        &counter_message(counter),
        &mut mac,
    )?;
    Code::from_mac(&mac[..length], slot.digits).ok_or(ErrorCode::Fail)
}

/// The TOTP code (RFC 6238) of slot `index` at the clock's time, with the
/// time it used; `None` for an empty slot. The slot's HOTP counter is not
/// touched: TOTP's counter is the time.
fn totp<S: Syscalls>(index: usize) -> Result<Option<(Code, u64)>, ErrorCode> {
    let Some(slot) = load::<S>(index)? else {
        return Ok(None);
    };
    let seconds = DateTime::<S>::unix_seconds()?;
    Ok(Some((
        code_for::<S>(&slot, totp_counter(seconds))?,
        seconds,
    )))
}

/// Prints and types the TOTP code of slot `index`.
fn show_totp<S: Syscalls>(index: usize) {
    match totp::<S>(index) {
        Ok(Some((code, seconds))) => {
            say_line::<S>(format_args!(
                "hotp: slot {index} time {seconds} totp {}",
                code.as_str()
            ));
            if let Err(error) = type_code::<S>(&code) {
                say_line::<S>(format_args!(
                    "hotp: error: typing the code failed: {error:?}"
                ));
            }
        }
        Ok(None) => say_line::<S>(format_args!(
            "hotp: slot {index} is empty: program it with `set {index} <secret>`"
        )),
        Err(error) => say_line::<S>(format_args!("hotp: error: slot {index}: TOTP: {error:?}")),
    }
}

/// One console line outside the app's methods (see `say!`).
fn say_line<S: Syscalls>(arguments: core::fmt::Arguments) {
    let _ = writeln!(Console::<S>::writer(), "{arguments}");
}

/// Types `code` and Enter on the keyboard.
fn type_code<S: Syscalls>(code: &Code) -> Result<(), ErrorCode> {
    for &digit in code.as_bytes() {
        let usage = keyboard::digit_usage(digit).ok_or(ErrorCode::Fail)?;
        UsbKeyboardHid::<S>::press_key(0, usage)?;
    }
    UsbKeyboardHid::<S>::press_key(0, keyboard::ENTER)
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
