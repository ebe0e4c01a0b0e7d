//! CTAPHID framing (FIDO CTAP 2.1 section 11.2): 64-byte packets, an
//! initialization packet then continuation packets, one transaction at a
//! time.
//!
//! ```text
//! init:         | CID (4) | CMD|0x80 (1) | BCNT (2, big-endian) | data (57) |
//! continuation: | CID (4) | SEQ 0..0x7f (1) | data (59)                     |
//! ```

/// Bytes per HID report.
pub const PACKET: usize = 64;
/// Payload bytes in an initialization packet.
const INIT_DATA: usize = PACKET - 7;
/// Payload bytes in a continuation packet.
const CONT_DATA: usize = PACKET - 5;
/// The largest message this device takes (CTAPHID allows 7609; U2F
/// requests are under 300 bytes, and PING echoes at most this).
pub const MAX_MESSAGE: usize = 1024;
/// The broadcast channel, only for INIT.
pub const BROADCAST: u32 = 0xffff_ffff;

/// Commands (with the init bit 0x80 set).
pub mod command {
    /// Echo the payload.
    pub const PING: u8 = 0x81;
    /// A U2F raw message (an APDU).
    pub const MSG: u8 = 0x83;
    /// Allocate a channel.
    pub const INIT: u8 = 0x86;
    /// Identify the device visibly.
    pub const WINK: u8 = 0x88;
    /// An error response.
    pub const ERROR: u8 = 0xbf;
}

/// Error codes of an ERROR response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum HidError {
    /// The command is not known.
    InvalidCommand = 0x01,
    /// A parameter is invalid (e.g. an INIT nonce of the wrong size).
    InvalidParameter = 0x02,
    /// The length is invalid (larger than [`MAX_MESSAGE`]).
    InvalidLength = 0x03,
    /// A continuation packet out of sequence.
    InvalidSequence = 0x04,
    /// Another channel's transaction is in progress.
    ChannelBusy = 0x06,
    /// The channel id is reserved or unknown.
    InvalidChannel = 0x0b,
}

/// A packet that ended a transaction with an error, to be answered on `channel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// The channel to send the ERROR on.
    pub channel: u32,
    /// Why.
    pub error: HidError,
}

/// A complete request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// The channel it came on.
    pub channel: u32,
    /// The command (with the init bit).
    pub command: u8,
    /// Payload length (the payload is [`Reassembler::payload`]).
    pub length: usize,
}

/// The U2F app's reassembly: requests of up to [`MAX_MESSAGE`] bytes.
pub type Assembler = Reassembler<MAX_MESSAGE>;

/// Reassembles requests from packets, of up to `MAX` payload bytes (the
/// CTAP2 app takes longer CBOR requests than U2F's).
pub struct Reassembler<const MAX: usize> {
    buffer: [u8; MAX],
    /// The transaction in progress: request, bytes so far, next sequence.
    current: Option<(Request, usize, u8)>,
}

impl<const MAX: usize> Default for Reassembler<MAX> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const MAX: usize> Reassembler<MAX> {
    /// No transaction in progress.
    pub const fn new() -> Reassembler<MAX> {
        Reassembler {
            buffer: [0; MAX],
            current: None,
        }
    }

    /// The payload of the request [`Reassembler::push`] just returned.
    pub fn payload(&self, request: &Request) -> &[u8] {
        &self.buffer[..request.length]
    }

    /// Takes one packet: `Ok(Some(..))` when it completes a request,
    /// `Ok(None)` while more are expected or for a stray packet that needs
    /// no answer, `Err` when the sender must get an ERROR.
    pub fn push(&mut self, packet: &[u8; PACKET]) -> Result<Option<Request>, Rejected> {
        let channel = u32::from_be_bytes([packet[0], packet[1], packet[2], packet[3]]);
        let reject = |error| Err(Rejected { channel, error });
        if channel == 0 {
            return reject(HidError::InvalidChannel);
        }
        let kind = packet[4];
        if kind & 0x80 == 0 {
            return self.continuation(channel, kind, &packet[5..]);
        }
        if let Some((busy, _, _)) = self.current {
            // A new init on the same channel restarts it (CTAP 2.1
            // 11.2.9.1.3 allows INIT to resynchronise; anything else is an
            // out-of-sequence packet).
            if busy.channel != channel {
                return reject(HidError::ChannelBusy);
            }
            self.current = None;
            if kind != command::INIT {
                return reject(HidError::InvalidSequence);
            }
        }
        if channel == BROADCAST && kind != command::INIT {
            return reject(HidError::InvalidChannel);
        }
        let length = usize::from(u16::from_be_bytes([packet[5], packet[6]]));
        if length > MAX {
            return reject(HidError::InvalidLength);
        }
        let request = Request {
            channel,
            command: kind,
            length,
        };
        let first = length.min(INIT_DATA);
        self.buffer[..first].copy_from_slice(&packet[7..7 + first]);
        if first == length {
            return Ok(Some(request));
        }
        self.current = Some((request, first, 0));
        Ok(None)
    }

    fn continuation(
        &mut self,
        channel: u32,
        sequence: u8,
        data: &[u8],
    ) -> Result<Option<Request>, Rejected> {
        let Some((request, received, expected)) = self.current else {
            // A continuation with no transaction: nothing to answer.
            return Ok(None);
        };
        if request.channel != channel {
            return Err(Rejected {
                channel,
                error: HidError::ChannelBusy,
            });
        }
        if sequence != expected {
            self.current = None;
            return Err(Rejected {
                channel,
                error: HidError::InvalidSequence,
            });
        }
        let count = (request.length - received).min(CONT_DATA);
        self.buffer[received..received + count].copy_from_slice(&data[..count]);
        if received + count == request.length {
            self.current = None;
            return Ok(Some(request));
        }
        self.current = Some((request, received + count, expected + 1));
        Ok(None)
    }
}

/// The packets of a response: `command` with `payload` on `channel`.
pub fn packets(
    channel: u32,
    command: u8,
    payload: &[u8],
) -> impl Iterator<Item = [u8; PACKET]> + '_ {
    let first_length = payload.len().min(INIT_DATA);
    let (first, rest) = payload.split_at(first_length);
    let mut init = [0u8; PACKET];
    init[..4].copy_from_slice(&channel.to_be_bytes());
    init[4] = command;
    init[5..7].copy_from_slice(&(payload.len() as u16).to_be_bytes());
    init[7..7 + first.len()].copy_from_slice(first);
    let continuations = rest
        .chunks(CONT_DATA)
        .enumerate()
        .map(move |(sequence, chunk)| {
            let mut packet = [0u8; PACKET];
            packet[..4].copy_from_slice(&channel.to_be_bytes());
            packet[4] = sequence as u8;
            packet[5..5 + chunk.len()].copy_from_slice(chunk);
            packet
        });
    core::iter::once(init).chain(continuations)
}

/// The payload of an INIT response: the nonce, the new channel, CTAPHID
/// protocol version 2, device version 0.1.0 and capabilities (WINK only:
/// no CBOR, and MSG is supported, so neither CAPABILITY_CBOR nor NMSG).
pub fn init_response(nonce: &[u8; 8], channel: u32) -> [u8; 17] {
    let mut payload = [0u8; 17];
    payload[..8].copy_from_slice(nonce);
    payload[8..12].copy_from_slice(&channel.to_be_bytes());
    payload[12] = 2;
    payload[13..16].copy_from_slice(&[0, 1, 0]);
    payload[16] = 0x01;
    payload
}

#[cfg(test)]
mod tests;
