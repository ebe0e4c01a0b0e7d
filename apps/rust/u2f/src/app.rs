//! The U2F event loop over the real drivers, generic over the system
//! calls `S`: CTAPHID packets in, responses out, button presses recorded
//! as user presence.
//!
//! Persistent state in the key-value store (isolated to this app by the
//! kernel): `u2f-device-secret` (32 random bytes, made on first start) and
//! `u2f-counter` (u32, little-endian, the last counter value used).

use crate::attestation;
use crate::ctaphid::{self, command, Assembler, HidError, Request, BROADCAST};
use crate::key_handle::DEVICE_SECRET;
use crate::u2f::{Authenticator, Platform, PlatformError, MAX_RESPONSE};
use core::cell::Cell;
use core::fmt::Write;
use libtock_buttons::Buttons;
use libtock_console::Console;
use libtock_ctap::Ctap;
use libtock_key_value::KeyValue;
use libtock_platform::share::scope;
use libtock_platform::{ErrorCode, Subscribe, Syscalls};
use libtock_rng::Rng;

/// Key of the device secret.
pub const SECRET_KEY: &[u8] = b"u2f-device-secret";
/// Key of the counter.
pub const COUNTER_KEY: &[u8] = b"u2f-counter";

macro_rules! say {
    ($($argument:tt)*) => {{
        // The console is the only place to report to: a failed write is
        // dropped.
        let _ = writeln!(Console::<S>::writer(), $($argument)*);
    }};
}

/// The device's services, as [`Platform`].
struct Device<'a, S: Syscalls> {
    presence: &'a Cell<bool>,
    _syscalls: core::marker::PhantomData<S>,
}

impl<S: Syscalls> Platform for Device<'_, S> {
    fn fill_random(&mut self, buffer: &mut [u8]) -> Result<(), PlatformError> {
        Rng::<S>::fill(buffer).map_err(|_| PlatformError)
    }

    fn take_user_presence(&mut self) -> bool {
        self.presence.replace(false)
    }

    fn next_counter(&mut self) -> Result<u32, PlatformError> {
        let mut stored = [0u8; 4];
        let last = match KeyValue::<S>::get(COUNTER_KEY, &mut stored) {
            Ok(4) => u32::from_le_bytes(stored),
            // Never used (the store answers a missing key with NoSupport).
            Err(ErrorCode::NoSupport) => 0,
            _ => return Err(PlatformError),
        };
        let next = last.checked_add(1).ok_or(PlatformError)?;
        KeyValue::<S>::set(COUNTER_KEY, &next.to_le_bytes()).map_err(|_| PlatformError)?;
        Ok(next)
    }
}

/// The device secret, made and stored on first start.
fn device_secret<S: Syscalls>() -> Result<[u8; DEVICE_SECRET], ErrorCode> {
    let mut secret = [0u8; DEVICE_SECRET];
    match KeyValue::<S>::get(SECRET_KEY, &mut secret) {
        Ok(DEVICE_SECRET) => return Ok(secret),
        Ok(_) => return Err(ErrorCode::Fail),
        Err(ErrorCode::NoSupport) => {}
        Err(error) => return Err(error),
    }
    Rng::<S>::fill(&mut secret)?;
    // `add`: never replace a secret that exists (its handles would die).
    KeyValue::<S>::add(SECRET_KEY, &secret)?;
    Ok(secret)
}

/// The app: CTAPHID state and the authenticator.
pub struct U2fApp<S: Syscalls> {
    assembler: Assembler,
    authenticator: Authenticator,
    next_channel: u32,
    _syscalls: core::marker::PhantomData<S>,
}

impl<S: Syscalls> U2fApp<S> {
    /// Loads (or makes) the device secret.
    pub fn new() -> Result<Self, ErrorCode> {
        let secret = device_secret::<S>()?;
        let attestation = attestation::development().ok_or(ErrorCode::Fail)?;
        Ok(U2fApp {
            assembler: Assembler::new(),
            authenticator: Authenticator::new(&secret, attestation),
            next_channel: 1,
            _syscalls: core::marker::PhantomData,
        })
    }

    /// Serves the host until the transport fails; returns that error.
    pub fn run(&mut self) -> Result<(), ErrorCode> {
        let presence = Cell::new(false);
        let on_button = |_button: u32, state: u32, _| {
            if state != 0 {
                presence.set(true);
            }
        };
        // A missing transport is an error before `ready`, not a hang.
        Ctap::<S>::exists()?;
        let buttons = Buttons::<S>::count()?;
        scope::<Subscribe<S, { libtock_buttons::DRIVER_NUM }, 0>, _, _>(|handle| {
            S::subscribe(handle, &on_button)?;
            for button in 0..buttons {
                Buttons::<S>::enable_interrupts(button)?;
            }
            say!("u2f: ready");
            let mut packet = [0u8; ctaphid::PACKET];
            loop {
                Ctap::<S>::receive(&mut packet)?;
                self.take_packet(&packet, &presence)?;
            }
        })
    }

    /// Handles one packet from the host, sending whatever it calls for;
    /// `presence` is set by a button press and consumed by an operation
    /// that needs it.
    pub fn take_packet(
        &mut self,
        packet: &[u8; ctaphid::PACKET],
        presence: &Cell<bool>,
    ) -> Result<(), ErrorCode> {
        let mut device = Device::<S> {
            presence,
            _syscalls: core::marker::PhantomData,
        };
        match self.assembler.push(packet) {
            Ok(Some(request)) => self.serve(&mut device, request),
            Ok(None) => Ok(()),
            Err(rejected) => send_error::<S>(rejected.channel, rejected.error),
        }
    }

    fn serve(&mut self, device: &mut Device<S>, request: Request) -> Result<(), ErrorCode> {
        let payload = self.assembler.payload(&request);
        match request.command {
            command::INIT => {
                let Ok(nonce) = <&[u8; 8]>::try_from(payload) else {
                    return send_error::<S>(request.channel, HidError::InvalidParameter);
                };
                let channel = if request.channel == BROADCAST {
                    let fresh = self.next_channel;
                    // Skip 0 and the broadcast id when it wraps.
                    self.next_channel = fresh.wrapping_add(1).clamp(1, BROADCAST - 1);
                    fresh
                } else {
                    request.channel
                };
                let response = ctaphid::init_response(nonce, channel);
                send::<S>(request.channel, command::INIT, &response)
            }
            command::PING => {
                let mut echo = [0u8; ctaphid::MAX_MESSAGE];
                echo[..payload.len()].copy_from_slice(payload);
                send::<S>(request.channel, command::PING, &echo[..request.length])
            }
            command::WINK => {
                say!("u2f: wink");
                send::<S>(request.channel, command::WINK, &[])
            }
            command::MSG => {
                let mut response = [0u8; MAX_RESPONSE];
                let length = self.authenticator.handle(device, payload, &mut response);
                let instruction = payload.get(1).copied().unwrap_or(0);
                let word = u16::from_be_bytes([response[length - 2], response[length - 1]]);
                say!("u2f: instruction {instruction:#04x} answered {word:#06x}");
                send::<S>(request.channel, command::MSG, &response[..length])
            }
            _ => send_error::<S>(request.channel, HidError::InvalidCommand),
        }
    }
}

fn send<S: Syscalls>(channel: u32, command: u8, payload: &[u8]) -> Result<(), ErrorCode> {
    for mut packet in ctaphid::packets(channel, command, payload) {
        Ctap::<S>::send(&mut packet)?;
    }
    Ok(())
}

fn send_error<S: Syscalls>(channel: u32, error: HidError) -> Result<(), ErrorCode> {
    send::<S>(channel, command::ERROR, &[error as u8])
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
