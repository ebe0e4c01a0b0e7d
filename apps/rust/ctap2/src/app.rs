//! The CTAP2 event loop over the real drivers, generic over the system
//! calls `S`: CTAPHID packets in (CTAP driver), responses out, button
//! presses as user presence, the alarm for keepalives, timeouts and the
//! uptime that bounds Reset.
//!
//! Waiting for an event lends the receive buffer, starts a receive and an
//! alarm, and yields; a receive that is still outstanding when the wait
//! ends is cancelled, and a report that raced the cancel is kept, so no
//! packet is lost between waits.

use crate::authenticator::{Authenticator, Platform, MAX_RESPONSE};
use crate::ctaphid::{self, command, keepalive, Assembler, HidError, Request, BROADCAST, PACKET};
use crate::storage::{IsolatedStorage, STORE_KEYS};
use core::cell::Cell;
use core::fmt::Write;
use credential_store::Store;
use ctap_types::heapless::Vec;
use ctap_types::Error;
use libtock_alarm::{Alarm, Milliseconds};
use libtock_buttons::Buttons;
use libtock_console::Console;
use libtock_ctap::Ctap;
use libtock_platform::share::{scope, Handle};
use libtock_platform::{AllowRw, ErrorCode, Subscribe, Syscalls, YieldNoWaitReturn};
use libtock_rng::Rng;

/// How long the user has to touch (CTAP 2.1: about 30 s).
const PRESENCE_TIMEOUT_MS: u64 = 30_000;
/// Keepalive period while waiting (CTAPHID asks for at most 100 ms).
const KEEPALIVE_MS: u32 = 100;
/// The longest idle wait (keeps the 32-bit tick count from wrapping
/// unseen).
const IDLE_MS: u32 = 1_000;
/// A U2F request may use a touch this recent.
const U2F_PRESENCE_MS: u64 = 10_000;

macro_rules! say {
    ($($argument:tt)*) => {{
        // The console is the only place to report to: a failed write is
        // dropped.
        let _ = writeln!(Console::<S>::writer(), $($argument)*);
    }};
}

/// What ended a wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    /// A report arrived (in the buffer).
    Packet,
    /// The time ran out.
    Tick,
}

/// Uptime from the alarm's 32-bit ticks, widened as they wrap.
struct Clock {
    frequency: u32,
    last: u32,
    total: u64,
}

impl Clock {
    fn now_ms<S: Syscalls>(&mut self) -> u64 {
        let ticks = Alarm::<S>::ticks().unwrap_or(self.last);
        self.total += u64::from(ticks.wrapping_sub(self.last));
        self.last = ticks;
        self.total * 1000 / u64::from(self.frequency)
    }
}

/// The device services shared by the loop and the authenticator.
struct Device<'a, S: Syscalls> {
    clock: Clock,
    /// Set by the button upcall, which stays subscribed for the app's
    /// life ([`with_button_presses`]): a 50 ms click that comes while a
    /// keepalive is being sent still counts.
    pressed: &'a Cell<bool>,
    /// Uptime of the last button press.
    pressed_at: Option<u64>,
    /// The channel of the request being served.
    channel: u32,
    _syscalls: core::marker::PhantomData<S>,
}

impl<S: Syscalls> Device<'_, S> {
    /// Waits for a report into `packet` or `milliseconds`, recording
    /// button presses on the way.
    fn wait(&mut self, packet: &mut [u8; PACKET], milliseconds: u32) -> Result<Event, ErrorCode> {
        let received: Cell<Option<(u32,)>> = Cell::new(None);
        let alarm: Cell<Option<(u32, u32)>> = Cell::new(None);
        type Shares<'share, S> = (
            AllowRw<'share, S, { libtock_ctap::DRIVER_NUM }, { libtock_ctap::buffer::RECEIVE }>,
            Subscribe<'share, S, { libtock_ctap::DRIVER_NUM }, { libtock_ctap::SUBSCRIBE_NUM }>,
            Subscribe<'share, S, { libtock_alarm::DRIVER_NUM }, { libtock_alarm::SUBSCRIBE_NUM }>,
        );
        let frequency = libtock_alarm::Hz(self.clock.frequency);
        let ticks = Alarm::<S>::ticks_for(Milliseconds(milliseconds), frequency);
        let event = scope::<Shares<S>, _, _>(|handle| {
            let (allow, subscribe_ctap, subscribe_alarm): (Handle<_>, Handle<_>, Handle<_>) =
                handle.split();
            S::allow_rw(allow, packet)?;
            S::subscribe(subscribe_ctap, &received)?;
            S::subscribe(subscribe_alarm, &alarm)?;
            let receive = S::command(
                libtock_ctap::DRIVER_NUM,
                libtock_ctap::command::RECEIVE,
                0,
                0,
            );
            match receive.to_result::<()>() {
                Ok(()) | Err(ErrorCode::Already) => {}
                Err(error) => return Err(error),
            }
            S::command(
                libtock_alarm::DRIVER_NUM,
                libtock_alarm::command::SET_RELATIVE,
                ticks,
                0,
            )
            .to_result::<u32>()?;
            loop {
                S::yield_wait();
                if received.get() == Some((libtock_ctap::RECEIVED,)) {
                    let _ = S::command(
                        libtock_alarm::DRIVER_NUM,
                        libtock_alarm::command::STOP,
                        0,
                        0,
                    );
                    return Ok(Event::Packet);
                }
                if alarm.get().is_some() {
                    return Ok(Self::end_receive(&received));
                }
            }
        });
        if self.pressed.replace(false) {
            self.pressed_at = Some(self.clock.now_ms::<S>());
        }
        event
    }

    /// Cancels the outstanding receive. If that fails, the receive has
    /// completed and its upcall is queued: drain the queue and report the
    /// packet.
    fn end_receive(received: &Cell<Option<(u32,)>>) -> Event {
        let cancel = S::command(
            libtock_ctap::DRIVER_NUM,
            libtock_ctap::command::CANCEL_RECEIVE,
            0,
            0,
        );
        if cancel.to_result::<()>().is_ok() {
            return Event::Tick;
        }
        while S::yield_no_wait() != YieldNoWaitReturn::NoUpcall {}
        if received.get() == Some((libtock_ctap::RECEIVED,)) {
            Event::Packet
        } else {
            Event::Tick
        }
    }

    /// Answers a packet that arrives while a request is being served:
    /// `Err(KeepaliveCancel)` for CANCEL on its channel, CHANNEL_BUSY to
    /// any other request.
    fn interrupt(&mut self, packet: &[u8; PACKET]) -> Result<(), Error> {
        let channel = u32::from_be_bytes([packet[0], packet[1], packet[2], packet[3]]);
        let kind = packet[4];
        if kind & 0x80 == 0 {
            return Ok(());
        }
        if channel == self.channel && kind == command::CANCEL {
            return Err(Error::KeepaliveCancel);
        }
        if channel != self.channel {
            let _ = send_error::<S>(channel, HidError::ChannelBusy);
        }
        Ok(())
    }
}

impl<S: Syscalls> Platform for Device<'_, S> {
    fn fill_random(&mut self, buffer: &mut [u8]) -> Result<(), Error> {
        Rng::<S>::fill(buffer).map_err(|_| Error::Other)
    }

    fn wait_for_presence(&mut self) -> Result<(), Error> {
        let start = self.clock.now_ms::<S>();
        self.pressed_at = None;
        let mut packet = [0u8; PACKET];
        loop {
            let status = [keepalive::USER_PRESENCE_NEEDED];
            send::<S>(self.channel, command::KEEPALIVE, &status).map_err(|_| Error::Other)?;
            match self
                .wait(&mut packet, KEEPALIVE_MS)
                .map_err(|_| Error::Other)?
            {
                Event::Packet => self.interrupt(&packet)?,
                Event::Tick => {}
            }
            if self.pressed_at.is_some() {
                self.pressed_at = None;
                return Ok(());
            }
            if self.clock.now_ms::<S>() - start > PRESENCE_TIMEOUT_MS {
                return Err(Error::UserActionTimeout);
            }
        }
    }

    fn take_recent_presence(&mut self) -> bool {
        let now = self.clock.now_ms::<S>();
        let recent = self
            .pressed_at
            .is_some_and(|at| now.saturating_sub(at) <= U2F_PRESENCE_MS);
        self.pressed_at = None;
        recent
    }

    fn uptime_ms(&mut self) -> u64 {
        self.clock.now_ms::<S>()
    }
}

/// Runs `body` with every button's presses (state pressed) setting the
/// cell it is given, subscribed for all of `body`.
pub fn with_button_presses<S: Syscalls, R>(
    body: impl FnOnce(&Cell<bool>) -> Result<R, ErrorCode>,
) -> Result<R, ErrorCode> {
    let pressed = Cell::new(false);
    let on_button = |_button: u32, state: u32, _| {
        if state != 0 {
            pressed.set(true);
        }
    };
    type Buttons_<'share, S> =
        Subscribe<'share, S, { libtock_buttons::DRIVER_NUM }, { libtock_buttons::SUBSCRIBE_NUM }>;
    scope::<Buttons_<S>, _, _>(|handle| {
        S::subscribe(handle, &on_button)?;
        for button in 0..Buttons::<S>::count()? {
            Buttons::<S>::enable_interrupts(button)?;
        }
        body(&pressed)
    })
}

/// Opens the app and serves the host until the transport fails (the
/// binary's whole life); returns that error. The app is used where it
/// was returned (`ref mut`): moving it out of the `Result` would put a
/// second copy of its 10 KB on the stack.
#[inline(never)]
pub fn serve<S: Syscalls>() -> Result<(), ErrorCode> {
    with_button_presses::<S, _>(|pressed| match Ctap2App::<S>::new(pressed) {
        Ok(ref mut app) => app.run(),
        Err(error) => Err(error),
    })
}

/// The persistent records on the device.
pub type DeviceRecords<S> = Store<IsolatedStorage<S>, STORE_KEYS>;

/// The app: CTAPHID state, the authenticator and the device.
pub struct Ctap2App<'a, S: Syscalls> {
    assembler: Assembler,
    authenticator: Authenticator<DeviceRecords<S>>,
    device: Device<'a, S>,
    next_channel: u32,
    /// CTAPHID LOCK: the channel that holds the device, and until when
    /// (uptime, ms).
    lock: Option<(u32, u64)>,
    response: Vec<u8, MAX_RESPONSE>,
}

impl<'a, S: Syscalls> Ctap2App<'a, S> {
    /// Opens the storage and the authenticator (making the device secret
    /// on first start); `pressed` is set by button presses
    /// ([`with_button_presses`]). Its own frame: the temporaries of
    /// opening are gone before the app runs.
    #[inline(never)]
    pub fn new(pressed: &'a Cell<bool>) -> Result<Self, ErrorCode> {
        let frequency = Alarm::<S>::frequency()?.0;
        let last = Alarm::<S>::ticks()?;
        let mut device = Device {
            clock: Clock {
                frequency,
                last,
                total: 0,
            },
            pressed,
            pressed_at: None,
            channel: 0,
            _syscalls: core::marker::PhantomData,
        };
        let store = Store::open(IsolatedStorage::<S>::open()?).map_err(|_| ErrorCode::Fail)?;
        let authenticator = Authenticator::new(store, &mut device).map_err(|_| ErrorCode::Fail)?;
        Ok(Ctap2App {
            assembler: Assembler::new(),
            authenticator,
            device,
            next_channel: 1,
            lock: None,
            response: Vec::new(),
        })
    }

    /// Serves the host until the transport fails; returns that error.
    pub fn run(&mut self) -> Result<(), ErrorCode> {
        Ctap::<S>::exists()?;
        say!("ctap2: ready");
        let mut packet = [0u8; PACKET];
        loop {
            if self.device.wait(&mut packet, IDLE_MS)? == Event::Packet {
                self.take_packet(&packet)?;
            }
        }
    }

    /// Handles one packet from the host, sending whatever it calls for.
    pub fn take_packet(&mut self, packet: &[u8; PACKET]) -> Result<(), ErrorCode> {
        match self.assembler.push(packet) {
            Ok(Some(request)) => self.serve(request),
            Ok(None) => Ok(()),
            Err(rejected) => send_error::<S>(rejected.channel, rejected.error),
        }
    }

    fn serve(&mut self, request: Request) -> Result<(), ErrorCode> {
        if self.locked_out(request.channel) {
            return send_error::<S>(request.channel, HidError::ChannelBusy);
        }
        let payload = self.assembler.payload(&request);
        self.device.channel = request.channel;
        match request.command {
            command::LOCK => {
                let [seconds] = *payload else {
                    return send_error::<S>(request.channel, HidError::InvalidParameter);
                };
                if seconds > 10 {
                    return send_error::<S>(request.channel, HidError::InvalidParameter);
                }
                let until = self.device.clock.now_ms::<S>() + u64::from(seconds) * 1000;
                self.lock = (seconds > 0).then_some((request.channel, until));
                send::<S>(request.channel, command::LOCK, &[])
            }
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
                send::<S>(
                    request.channel,
                    command::INIT,
                    &ctaphid::init_response(nonce, channel),
                )
            }
            command::PING => send::<S>(request.channel, command::PING, payload),
            command::WINK => {
                say!("ctap2: wink");
                send::<S>(request.channel, command::WINK, &[])
            }
            // Nothing is in progress between requests: nothing to cancel.
            command::CANCEL => Ok(()),
            command::MSG => {
                let mut response = [0u8; u2f::u2f::MAX_RESPONSE];
                let length =
                    self.authenticator
                        .handle_u2f(&mut self.device, payload, &mut response);
                send::<S>(request.channel, command::MSG, &response[..length])
            }
            command::CBOR => {
                self.authenticator
                    .handle(&mut self.device, payload, &mut self.response);
                let status = self.response.first().copied().unwrap_or(0);
                say!(
                    "ctap2: command {:#04x} answered {status:#04x}",
                    payload.first().copied().unwrap_or(0)
                );
                send::<S>(request.channel, command::CBOR, &self.response)
            }
            _ => send_error::<S>(request.channel, HidError::InvalidCommand),
        }
    }
}

impl<S: Syscalls> Ctap2App<'_, S> {
    /// Whether another channel holds a LOCK that has not run out.
    fn locked_out(&mut self, channel: u32) -> bool {
        let Some((holder, until)) = self.lock else {
            return false;
        };
        if self.device.clock.now_ms::<S>() >= until {
            self.lock = None;
            return false;
        }
        holder != channel
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
