//! The device side of the tock-bootloader protocol: one command engine for
//! the board's serial bootloader and for the host tests' simulated one.
//!
//! Bytes go in one at a time ([`Bootloader::receive`]); answers go out
//! through a [`ResponseSink`]; flash is reached through the small
//! [`BootloaderFlash`] trait, whose implementation decides how a page
//! lands (program in place, or read-modify-write of an erase block).
//!
//! The engine enforces what may be touched, so that every implementation
//! gets the same rules:
//!
//! ```text
//!  flash_start                         app_start                 app_end
//!  | bootloader | flags 0x400 | attributes 0x600..0xA00 | kernel | apps ... |
//!  |<------------------------ READ_RANGE, CRC ------------------------------>|
//!                             |<- SET_ATTRIBUTE (no erase) ->|
//!                                                         |<- WRITE/ERASE ->|
//! ```
//! Nothing else is ever written: the bootloader itself and the kernel stay
//! as they are, whatever the host sends.
//!
//! Must never: panic on any input, answer EXIT, or answer a command with
//! more than one response.

use crate::attribute::{ATTRIBUTES_FLASH_OFFSET, ATTRIBUTE_COUNT, ATTRIBUTE_SIZE};
use crate::codes::{
    ExtensionStatus, Response, ESCAPE, INFO_RESPONSE_LENGTH, MAX_READ_LENGTH, PAGE_SIZE,
};
use crate::crc::Crc32;
use crate::decoder::{CommandDecoder, CommandEvent, CommandFrame, LinkMode};
use crate::request::{Request, RequestError};
use crate::MAX_COMMAND_PAYLOAD;

/// Where the bootloader's flags start: upstream's `TOCKBOOTLOADER` marker
/// (14 bytes), then the version string at [`crate::attribute::BOOTLOADER_VERSION_FLASH_OFFSET`].
pub const FLAGS_FLASH_OFFSET: u32 = 0x400;
/// The marker upstream tock-bootloader keeps at [`FLAGS_FLASH_OFFSET`].
pub const BOOTLOADER_MARKER: &[u8; 14] = b"TOCKBOOTLOADER";

/// Why a flash operation did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashFault {
    /// The bytes can only be written after an erase, which the caller did
    /// not allow (answered INTERROR).
    NeedsErase,
    /// The flash reported an error (answered INTERROR).
    Device,
}

/// Whether a write may erase (read-modify-write) to set bits back to 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Erase {
    /// Program only: fail with [`FlashFault::NeedsErase`] if a bit must
    /// go from 0 to 1.
    Forbidden,
    /// Erase what must be erased, keeping every other byte.
    Allowed,
}

/// The flash a bootloader serves. Addresses are absolute and already
/// checked by the engine against its [`BootloaderLayout`].
pub trait BootloaderFlash {
    /// Copy the bytes at `address` into `out`.
    fn read(&mut self, address: u32, out: &mut [u8]) -> Result<(), FlashFault>;
    /// Make the bytes at `address` equal `data`, keeping all others.
    fn write(&mut self, address: u32, data: &[u8], erase: Erase) -> Result<(), FlashFault>;
    /// Make `length` bytes at `address` read 0xFF, keeping all others.
    fn erase(&mut self, address: u32, length: u32) -> Result<(), FlashFault>;
}

/// Where the answers go.
pub trait ResponseSink {
    /// Send raw bytes (already framed and escaped).
    fn send(&mut self, bytes: &[u8]);
}

/// The board's flash map, as the engine enforces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootloaderLayout {
    /// First byte of flash (the bootloader's own start): reads and CRCs
    /// may cover `[flash_start, flash_end)`.
    pub flash_start: u32,
    /// End of readable flash.
    pub flash_end: u32,
    /// Where the kernel starts: EXIT jumps there.
    pub kernel_start: u32,
    /// App flash: the only range WRITE_PAGE and ERASE_PAGE may touch.
    pub app_start: u32,
    /// End of app flash.
    pub app_end: u32,
}

impl BootloaderLayout {
    fn contains(start: u32, end: u32, address: u32, length: u32) -> bool {
        address >= start && address.checked_add(length).is_some_and(|last| last <= end)
    }

    fn readable(&self, address: u32, length: u32) -> bool {
        Self::contains(self.flash_start, self.flash_end, address, length)
    }

    fn writable(&self, address: u32, length: u32) -> bool {
        Self::contains(self.app_start, self.app_end, address, length)
    }

    /// Address of attribute slot `index`.
    pub fn attribute_address(&self, index: u8) -> u32 {
        self.flash_start + ATTRIBUTES_FLASH_OFFSET + u32::from(index) * ATTRIBUTE_SIZE as u32
    }
}

/// What the caller does after a byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Keep serving.
    Continue,
    /// EXIT arrived: start the kernel at this address (no answer is sent).
    Exit {
        /// The kernel's first instruction.
        start_address: u32,
    },
}

/// The bootloader: a command decoder and the engine with its flash.
pub struct Bootloader<F: BootloaderFlash> {
    decoder: CommandDecoder<MAX_COMMAND_PAYLOAD>,
    engine: Engine<F>,
}

/// What serves decoded frames (apart from the decoder, so that a frame
/// borrowed from the decoder can be served without a copy).
struct Engine<F: BootloaderFlash> {
    layout: BootloaderLayout,
    flash: F,
    info_json: &'static str,
}

/// Bytes read from flash per step of READ_RANGE and CRC (stack buffer).
const CHUNK: usize = 64;

impl<F: BootloaderFlash> Bootloader<F> {
    /// A bootloader over `flash` laid out as `layout`; INFO answers
    /// `info_json` (upstream's keys: at least `version`; at most 192 bytes).
    pub const fn new(flash: F, layout: BootloaderLayout, info_json: &'static str) -> Self {
        Bootloader {
            decoder: CommandDecoder::new(LinkMode::Bootloader),
            engine: Engine {
                layout,
                flash,
                info_json,
            },
        }
    }

    /// The flash, for inspection.
    pub fn flash(&self) -> &F {
        &self.engine.flash
    }

    /// Feed one byte from the host; answers go to `sink`.
    pub fn receive(&mut self, byte: u8, sink: &mut dyn ResponseSink) -> Flow {
        match self.decoder.push(byte) {
            CommandEvent::Command(frame) => self.engine.serve(&frame, sink),
            CommandEvent::Overflow { .. } => {
                answer(sink, Response::Overflow, &[]);
                Flow::Continue
            }
            CommandEvent::Pending | CommandEvent::Console(_) => Flow::Continue,
        }
    }

    /// Serve one decoded command frame.
    pub fn serve(&mut self, frame: &CommandFrame<'_>, sink: &mut dyn ResponseSink) -> Flow {
        self.engine.serve(frame, sink)
    }
}

impl<F: BootloaderFlash> Engine<F> {
    fn serve(&mut self, frame: &CommandFrame<'_>, sink: &mut dyn ResponseSink) -> Flow {
        let request = match Request::parse(frame) {
            Ok(request) => request,
            Err(RequestError::BadArguments(_)) => {
                answer(sink, Response::BadArguments, &[]);
                return Flow::Continue;
            }
            Err(RequestError::UnknownCommand(_) | RequestError::Unsupported(_)) => {
                answer(sink, Response::Unknown, &[]);
                return Flow::Continue;
            }
        };
        match request {
            Request::Ping => answer(sink, Response::Pong, &[]),
            Request::Info => self.info(sink),
            Request::Exit => {
                return Flow::Exit {
                    start_address: self.layout.kernel_start,
                }
            }
            Request::ReadRange { address, length } => self.read_range(address, length, sink),
            Request::CrcInternalFlash { address, length } => self.crc(address, length, sink),
            Request::WritePage { address, data } => self.write_page(address, data, sink),
            Request::ErasePage { address } => self.erase_page(address, sink),
            Request::GetAttribute { index } => self.get_attribute(index, sink),
            Request::SetAttribute { index, slot } => self.set_attribute(index, slot, sink),
            Request::SetStartAddress { address } if address == self.layout.kernel_start => {
                answer(sink, Response::Ok, &[])
            }
            Request::SetStartAddress { .. } => answer(sink, Response::BadAddress, &[]),
            // The emulated UART has no rate; a real one would need the
            // divisor changed between the two phases. Upstream's answer
            // for "not possible" keeps tockloader at its rate.
            Request::ChangeBaudRate { .. } => answer(sink, Response::ChangeBaudFail, &[]),
            Request::EnterBootloader => extension(sink, ExtensionStatus::Ok, b"bootloader"),
            _ => answer(sink, Response::Unknown, &[]),
        }
        Flow::Continue
    }

    fn info(&mut self, sink: &mut dyn ResponseSink) {
        let mut payload = [0u8; INFO_RESPONSE_LENGTH];
        let json = self.info_json.as_bytes();
        let length = json.len().min(INFO_RESPONSE_LENGTH - 1);
        payload[0] = length as u8;
        payload[1..=length].copy_from_slice(&json[..length]);
        answer(sink, Response::Info, &payload);
    }

    fn read_range(&mut self, address: u32, length: u16, sink: &mut dyn ResponseSink) {
        if usize::from(length) > MAX_READ_LENGTH || !self.layout.readable(address, length.into()) {
            return answer(sink, Response::BadAddress, &[]);
        }
        // Read everything first: a flash fault must not cut an answer
        // whose header is already out.
        let mut check = [0u8; CHUNK];
        let mut offset = 0u32;
        while offset < u32::from(length) {
            let step = (u32::from(length) - offset).min(CHUNK as u32);
            let out = &mut check[..step as usize];
            if self.flash.read(address + offset, out).is_err() {
                return answer(sink, Response::InternalError, &[]);
            }
            offset += step;
        }
        sink.send(&[ESCAPE, Response::ReadRange as u8]);
        let mut offset = 0u32;
        while offset < u32::from(length) {
            let step = (u32::from(length) - offset).min(CHUNK as u32);
            let out = &mut check[..step as usize];
            // Read above without fault; a fault now still sends the bytes
            // read (the host's CRC check catches them).
            let _ = self.flash.read(address + offset, out);
            send_escaped(sink, out);
            offset += step;
        }
    }

    fn crc(&mut self, address: u32, length: u32, sink: &mut dyn ResponseSink) {
        if !self.layout.readable(address, length) {
            return answer(sink, Response::BadAddress, &[]);
        }
        let mut crc = Crc32::new();
        let mut chunk = [0u8; CHUNK];
        let mut offset = 0u32;
        while offset < length {
            let step = (length - offset).min(CHUNK as u32);
            let out = &mut chunk[..step as usize];
            if self.flash.read(address + offset, out).is_err() {
                return answer(sink, Response::InternalError, &[]);
            }
            crc.update(out);
            offset += step;
        }
        answer(
            sink,
            Response::CrcInternalFlash,
            &crc.finish().to_le_bytes(),
        );
    }

    /// Upstream tockloader also writes "pages" that are not page-aligned
    /// (its end-of-chain mark): the data lands where it says.
    fn write_page(&mut self, address: u32, data: &[u8], sink: &mut dyn ResponseSink) {
        if !self.layout.writable(address, PAGE_SIZE as u32) {
            return answer(sink, Response::BadAddress, &[]);
        }
        match self.flash.write(address, data, Erase::Allowed) {
            Ok(()) => answer(sink, Response::Ok, &[]),
            Err(_) => answer(sink, Response::InternalError, &[]),
        }
    }

    fn erase_page(&mut self, address: u32, sink: &mut dyn ResponseSink) {
        let aligned = address
            .checked_sub(self.layout.app_start)
            .map(|offset| offset % PAGE_SIZE as u32 == 0);
        if aligned != Some(true) || !self.layout.writable(address, PAGE_SIZE as u32) {
            return answer(sink, Response::BadAddress, &[]);
        }
        match self.flash.erase(address, PAGE_SIZE as u32) {
            Ok(()) => answer(sink, Response::Ok, &[]),
            Err(_) => answer(sink, Response::InternalError, &[]),
        }
    }

    fn get_attribute(&mut self, index: u8, sink: &mut dyn ResponseSink) {
        let mut slot = [0u8; ATTRIBUTE_SIZE];
        let address = self.layout.attribute_address(index);
        if usize::from(index) >= ATTRIBUTE_COUNT || self.flash.read(address, &mut slot).is_err() {
            return answer(sink, Response::InternalError, &[]);
        }
        answer(sink, Response::GetAttribute, &slot);
    }

    /// Attributes share the erase block of the bootloader itself: a slot
    /// is written only where programming alone can do it (an empty slot),
    /// never by erasing the block the bootloader runs from.
    fn set_attribute(&mut self, index: u8, slot: &[u8], sink: &mut dyn ResponseSink) {
        let address = self.layout.attribute_address(index);
        match self.flash.write(address, slot, Erase::Forbidden) {
            Ok(()) => answer(sink, Response::Ok, &[]),
            Err(_) => answer(sink, Response::InternalError, &[]),
        }
    }
}

fn send_escaped(sink: &mut dyn ResponseSink, bytes: &[u8]) {
    let mut run_start = 0;
    for (index, byte) in bytes.iter().enumerate() {
        if *byte == ESCAPE {
            // Send up to and including this ESCAPE, then it again.
            sink.send(bytes.get(run_start..=index).unwrap_or(&[]));
            sink.send(&[ESCAPE]);
            run_start = index + 1;
        }
    }
    sink.send(bytes.get(run_start..).unwrap_or(&[]));
}

fn answer(sink: &mut dyn ResponseSink, response: Response, payload: &[u8]) {
    sink.send(&[ESCAPE, response as u8]);
    send_escaped(sink, payload);
}

fn extension(sink: &mut dyn ResponseSink, status: ExtensionStatus, body: &[u8]) {
    sink.send(&[ESCAPE, Response::Extension as u8]);
    let length = u16::try_from(body.len()).unwrap_or(0);
    send_escaped(sink, &[status as u8]);
    send_escaped(sink, &length.to_le_bytes());
    send_escaped(sink, body.get(..usize::from(length)).unwrap_or(&[]));
}

#[cfg(test)]
#[path = "bootloader_tests.rs"]
mod tests;
