//! GPIO ports P0 (0x5000_0000, pins 0..31) and P1 (0x5000_0300, pins
//! 0..15), and GPIOTE (0x4000_6000, NVIC 6) for pin interrupts.
//!
//! Pins are numbered as in Nordic's documents and upstream Tock: `P1.03`
//! is pin 35 (`port * 32 + index`). GPIOTE has eight event channels; a
//! pin takes one while its interrupt is enabled and gives it back when
//! disabled, so at most eight pins interrupt at once. The numbering, the
//! channel choice and the CONFIG word are pure and host-tested.

use core::cell::Cell;

use kernel::hil::gpio::{Input, InterruptClient, InterruptEdge, InterruptPin, Output};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

/// NVIC line of GPIOTE.
pub const GPIOTE_IRQ: u32 = 6;
/// Base of port P0's registers.
pub const PORT0_BASE: usize = 0x5000_0000;
/// Base of port P1's registers.
pub const PORT1_BASE: usize = 0x5000_0300;
/// Number of GPIOTE event channels.
pub const GPIOTE_CHANNELS: usize = 8;
/// Pins on P1 (the nRF52840 bonds out P1.00..P1.15).
const PORT1_PINS: u8 = 16;

/// A pin of the nRF52840, checked to exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pin(u8);

impl Pin {
    /// Pin `index` of port `port` (`Pin::new(0, 13)` is P0.13). In a
    /// `const` a pin that does not exist is a compile-time error.
    pub const fn new(port: u8, index: u8) -> Pin {
        match Pin::checked(port, index) {
            Some(pin) => pin,
            None => panic!("no such pin on the nRF52840 (P0.00-P0.31, P1.00-P1.15)"),
        }
    }

    /// Pin `index` of port `port`, or `None` if the chip has no such pin.
    pub const fn checked(port: u8, index: u8) -> Option<Pin> {
        match port {
            0 if index < 32 => Some(Pin(index)),
            1 if index < PORT1_PINS => Some(Pin(32 + index)),
            _ => None,
        }
    }

    /// The pin's port (0 or 1).
    pub const fn port(self) -> u8 {
        self.0 / 32
    }

    /// The pin's index in its port.
    pub const fn index(self) -> u8 {
        self.0 % 32
    }

    /// The pin number as PSEL registers take it (`port << 5 | index`).
    pub const fn number(self) -> u32 {
        self.0 as u32
    }

    /// The base address of the pin's port registers.
    pub const fn port_base(self) -> usize {
        if self.port() == 0 {
            PORT0_BASE
        } else {
            PORT1_BASE
        }
    }
}

register_bitfields![u32,
    PinConfiguration [
        DIRECTION OFFSET(0) NUMBITS(1) [Input = 0, Output = 1],
        INPUT_BUFFER OFFSET(1) NUMBITS(1) [Connect = 0, Disconnect = 1],
        PULL OFFSET(2) NUMBITS(2) [Disabled = 0, PullDown = 1, PullUp = 3]
    ],
    ChannelConfiguration [
        MODE OFFSET(0) NUMBITS(2) [Disabled = 0, Event = 1],
        PIN OFFSET(8) NUMBITS(5) [],
        PORT OFFSET(13) NUMBITS(1) [],
        POLARITY OFFSET(16) NUMBITS(2) [LowToHigh = 1, HighToLow = 2, Toggle = 3]
    ]
];

register_structs! {
    /// One GPIO port (offsets from the port's base).
    pub PortRegisters {
        (0x000 => _reserved0),
        (0x504 => output: ReadWrite<u32>),
        (0x508 => output_set: WriteOnly<u32>),
        (0x50c => output_clear: WriteOnly<u32>),
        (0x510 => input: ReadOnly<u32>),
        (0x514 => _reserved1),
        (0x700 => pin_configuration: [ReadWrite<u32, PinConfiguration::Register>; 32]),
        (0x780 => @END),
    }
}

register_structs! {
    /// GPIOTE registers.
    pub GpioteRegisters {
        (0x000 => _reserved0),
        (0x100 => events_in: [ReadWrite<u32>; GPIOTE_CHANNELS]),
        (0x120 => _reserved1),
        (0x304 => interrupt_enable_set: ReadWrite<u32>),
        (0x308 => interrupt_enable_clear: ReadWrite<u32>),
        (0x30c => _reserved2),
        (0x510 => configuration: [ReadWrite<u32, ChannelConfiguration::Register>; GPIOTE_CHANNELS]),
        (0x530 => @END),
    }
}

/// The GPIOTE CONFIG word that raises an event on `edge` of `pin`.
pub fn channel_configuration(pin: Pin, edge: InterruptEdge) -> u32 {
    let polarity = match edge {
        InterruptEdge::RisingEdge => ChannelConfiguration::POLARITY::LowToHigh,
        InterruptEdge::FallingEdge => ChannelConfiguration::POLARITY::HighToLow,
        InterruptEdge::EitherEdge => ChannelConfiguration::POLARITY::Toggle,
    };
    (ChannelConfiguration::MODE::Event
        + ChannelConfiguration::PIN.val(u32::from(pin.index()))
        + ChannelConfiguration::PORT.val(u32::from(pin.port()))
        + polarity)
        .value
}

/// The channel for `pin`: the one it already holds, else the first free.
pub fn choose_channel(owners: &[Option<Pin>; GPIOTE_CHANNELS], pin: Pin) -> Option<usize> {
    owners
        .iter()
        .position(|owner| *owner == Some(pin))
        .or_else(|| owners.iter().position(Option::is_none))
}

#[derive(Clone, Copy)]
struct ChannelOwner {
    pin: Pin,
    client: Option<&'static dyn InterruptClient>,
    identifier: usize,
}

/// The GPIOTE block: hands out pins (each once) and event channels, and
/// dispatches channel interrupts to the pins' clients.
pub struct Gpiote {
    registers: &'static GpioteRegisters,
    owners: [Cell<Option<ChannelOwner>>; GPIOTE_CHANNELS],
    /// Bit `n` set once pin number `n` was handed out.
    taken: Cell<u64>,
}

impl Gpiote {
    /// # Safety
    /// `base` must be GPIOTE's address (0x4000_6000), used by nothing else.
    pub const unsafe fn new(base: usize) -> Self {
        Gpiote {
            // SAFETY: the caller guarantees GPIOTE is at `base`.
            registers: unsafe { &*(base as *const GpioteRegisters) },
            owners: [const { Cell::new(None) }; GPIOTE_CHANNELS],
            taken: Cell::new(0),
        }
    }

    /// The driver of `pin`, once: `None` if it was handed out before
    /// (two drivers configuring one pin would fight over it).
    pub fn take_pin(&'static self, pin: Pin) -> Option<GpioPin> {
        let bit = 1u64 << pin.number();
        let taken = self.taken.get();
        if taken & bit != 0 {
            return None;
        }
        self.taken.set(taken | bit);
        // SAFETY: the bit above makes this the only `GpioPin` for `pin`
        // handed out by this (the chip's only) GPIOTE.
        Some(unsafe { GpioPin::new(pin, self) })
    }

    fn owner_pins(&self) -> [Option<Pin>; GPIOTE_CHANNELS] {
        core::array::from_fn(|channel| self.owners[channel].get().map(|owner| owner.pin))
    }

    fn enable(&self, owner: ChannelOwner, edge: InterruptEdge) -> bool {
        let Some(channel) = choose_channel(&self.owner_pins(), owner.pin) else {
            return false;
        };
        self.owners[channel].set(Some(owner));
        self.registers.configuration[channel].set(channel_configuration(owner.pin, edge));
        self.registers.events_in[channel].set(0);
        self.registers.interrupt_enable_set.set(1 << channel);
        true
    }

    fn disable(&self, pin: Pin) {
        for (channel, owner) in self.owners.iter().enumerate() {
            if owner.get().map(|owner| owner.pin) == Some(pin) {
                self.registers.interrupt_enable_clear.set(1 << channel);
                self.registers.configuration[channel].set(0);
                owner.set(None);
            }
        }
    }

    /// GPIOTE's interrupt: tell the client of every channel that fired.
    pub fn handle_interrupt(&self) {
        for (channel, owner) in self.owners.iter().enumerate() {
            if self.registers.events_in[channel].get() == 0 {
                continue;
            }
            self.registers.events_in[channel].set(0);
            if let Some(ChannelOwner {
                client: Some(client),
                identifier,
                ..
            }) = owner.get()
            {
                client.fired(identifier);
            }
        }
    }
}

/// One pin, driven or read by the kernel, optionally interrupting.
pub struct GpioPin {
    pin: Pin,
    port: &'static PortRegisters,
    /// `None` for a pin that never interrupts (the panic handler's LED).
    gpiote: Option<&'static Gpiote>,
    client: Cell<Option<(&'static dyn InterruptClient, usize)>>,
}

impl GpioPin {
    /// Prefer [`Gpiote::take_pin`], which checks the first condition.
    ///
    /// # Safety
    /// Only one `GpioPin` may exist per pin (it owns the pin's
    /// configuration), and `gpiote` must be the chip's GPIOTE.
    pub const unsafe fn new(pin: Pin, gpiote: &'static Gpiote) -> Self {
        GpioPin {
            pin,
            // SAFETY: `port_base` is P0's or P1's address on every nRF52840.
            port: unsafe { &*(pin.port_base() as *const PortRegisters) },
            gpiote: Some(gpiote),
            client: Cell::new(None),
        }
    }

    /// A pin that can be driven and read but never interrupts, for the
    /// panic handler (which takes over a pin its driver had).
    ///
    /// # Safety
    /// Nothing else may drive the pin any more: only the panic handler,
    /// after which the kernel never runs again, may call it for a pin that
    /// has a driver.
    pub const unsafe fn without_interrupts(pin: Pin) -> Self {
        GpioPin {
            pin,
            // SAFETY: `port_base` is P0's or P1's address on every nRF52840.
            port: unsafe { &*(pin.port_base() as *const PortRegisters) },
            gpiote: None,
            client: Cell::new(None),
        }
    }

    /// The pin.
    pub fn pin(&self) -> Pin {
        self.pin
    }

    fn mask(&self) -> u32 {
        1 << self.pin.index()
    }

    fn configuration(&self) -> &ReadWrite<u32, PinConfiguration::Register> {
        &self.port.pin_configuration[usize::from(self.pin.index())]
    }

    /// Makes the pin a push-pull output (input buffer connected, so its
    /// level reads back).
    pub fn make_output(&self) {
        self.configuration()
            .write(PinConfiguration::DIRECTION::Output + PinConfiguration::INPUT_BUFFER::Connect);
    }

    /// Makes the pin an input with the pull-up on (buttons to ground).
    pub fn make_input_pulled_up(&self) {
        self.configuration().write(
            PinConfiguration::DIRECTION::Input
                + PinConfiguration::INPUT_BUFFER::Connect
                + PinConfiguration::PULL::PullUp,
        );
    }
}

impl Output for GpioPin {
    fn set(&self) {
        self.port.output_set.set(self.mask());
    }

    fn clear(&self) {
        self.port.output_clear.set(self.mask());
    }

    fn toggle(&self) -> bool {
        let now_set = !self.is_set();
        if now_set {
            self.set();
        } else {
            self.clear();
        }
        now_set
    }

    fn is_set(&self) -> bool {
        self.port.output.get() & self.mask() != 0
    }
}

impl Input for GpioPin {
    fn read(&self) -> bool {
        self.port.input.get() & self.mask() != 0
    }
}

impl InterruptPin<'static> for GpioPin {
    fn set_client(&self, client: &'static dyn InterruptClient, identifier: usize) {
        self.client.set(Some((client, identifier)));
    }

    fn enable_interrupts(&self, edge: InterruptEdge) {
        let (client, identifier) = match self.client.get() {
            Some((client, identifier)) => (Some(client), identifier),
            None => (None, 0),
        };
        let owner = ChannelOwner {
            pin: self.pin,
            client,
            identifier,
        };
        // With all eight channels taken the pin simply does not
        // interrupt; the board wires at most eight interrupting pins.
        if let Some(gpiote) = self.gpiote {
            let _ = gpiote.enable(owner, edge);
        }
    }

    fn disable_interrupts(&self) {
        if let Some(gpiote) = self.gpiote {
            gpiote.disable(self.pin);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_numbered_port_times_32_plus_index() {
        let pin = Pin::new(1, 3);
        assert_eq!((pin.number(), pin.port(), pin.index()), (35, 1, 3));
        assert_eq!(pin.port_base(), PORT1_BASE);
        assert_eq!(Pin::new(0, 13).port_base(), PORT0_BASE);
        assert_eq!(Pin::checked(0, 31), Some(Pin(31)));
        assert_eq!(Pin::checked(0, 32), None);
        assert_eq!(Pin::checked(1, 16), None);
        assert_eq!(Pin::checked(2, 0), None);
    }

    #[test]
    fn channel_configuration_matches_the_product_specification() {
        // Event mode, P0.11, high-to-low (a DK button press).
        assert_eq!(
            channel_configuration(Pin::new(0, 11), InterruptEdge::FallingEdge),
            0x0002_0b01
        );
        // P1.02, toggle: PORT is bit 13.
        assert_eq!(
            channel_configuration(Pin::new(1, 2), InterruptEdge::EitherEdge),
            0x0003_2201
        );
        assert_eq!(
            channel_configuration(Pin::new(0, 0), InterruptEdge::RisingEdge),
            0x0001_0001
        );
    }

    #[derive(Default)]
    struct Heard(Cell<Option<usize>>);

    impl InterruptClient for Heard {
        fn fired(&self, identifier: usize) {
            self.0.set(Some(identifier));
        }
    }

    #[test]
    fn a_channel_event_reaches_the_pin_client_until_disabled() {
        let registers = crate::tests::FakeRegisters::new(0x530);
        // SAFETY: the fake block is as large as GPIOTE's registers, zeroed,
        // and used by this driver only.
        let gpiote: &'static Gpiote = Box::leak(Box::new(unsafe { Gpiote::new(registers.base()) }));
        let heard: &'static Heard = Box::leak(Box::default());
        let pin = Pin::new(0, 11);
        let owner = ChannelOwner {
            pin,
            client: Some(heard),
            identifier: 7,
        };
        assert!(gpiote.enable(owner, InterruptEdge::FallingEdge));
        assert_eq!(
            registers.get(0x510),
            channel_configuration(pin, InterruptEdge::FallingEdge)
        );
        assert_eq!(registers.get(0x304), 1, "channel 0's interrupt on");
        registers.set(0x100, 1);
        gpiote.handle_interrupt();
        assert_eq!(heard.0.get(), Some(7));
        assert_eq!(registers.get(0x100), 0, "the event is cleared");
        gpiote.disable(pin);
        assert_eq!(registers.get(0x510), 0);
        assert_eq!(registers.get(0x308), 1, "channel 0's interrupt off");
        heard.0.set(None);
        registers.set(0x100, 1);
        gpiote.handle_interrupt();
        assert_eq!(heard.0.get(), None, "a freed channel calls nobody");
    }

    #[test]
    fn a_pin_keeps_its_channel_and_new_pins_take_the_first_free() {
        let mut owners = [None; GPIOTE_CHANNELS];
        owners[0] = Some(Pin::new(0, 11));
        owners[2] = Some(Pin::new(0, 12));
        assert_eq!(choose_channel(&owners, Pin::new(0, 12)), Some(2));
        assert_eq!(choose_channel(&owners, Pin::new(0, 24)), Some(1));
        let full = [Some(Pin::new(0, 1)); GPIOTE_CHANNELS];
        assert_eq!(choose_channel(&full, Pin::new(0, 2)), None);
        assert_eq!(choose_channel(&full, Pin::new(0, 1)), Some(0));
    }
}
