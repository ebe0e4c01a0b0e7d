//! CTAPHID (CTAP 2.1, 11.2) for CTAP2 messages: the U2F crate's framing
//! (packets, channels, errors) with a reassembly buffer large enough for
//! CBOR requests, and the commands CTAP2 adds (CBOR, CANCEL, KEEPALIVE,
//! LOCK).

pub use u2f::ctaphid::{packets, HidError, Rejected, Request, BROADCAST, PACKET};

/// Payload bytes in an initialization packet.
const INIT_DATA: usize = PACKET - 7;
/// Payload bytes in a continuation packet.
const CONT_DATA: usize = PACKET - 5;
/// The largest request this device takes (GetInfo's maxMsgSize): room for
/// a full allow list or exclude list of long credential IDs.
pub const MAX_MESSAGE: usize = 2048;

/// Commands (with the init bit 0x80 set).
pub mod command {
    pub use u2f::ctaphid::command::{ERROR, INIT, MSG, PING, WINK};
    /// A CTAP2 CBOR request.
    pub const CBOR: u8 = 0x90;
    /// Keep the device to this channel for up to 10 s.
    pub const LOCK: u8 = 0x84;
    /// Cancel the request in progress on the channel.
    pub const CANCEL: u8 = 0x91;
    /// Status while a request waits (e.g. for the user).
    pub const KEEPALIVE: u8 = 0xbb;
}

/// KEEPALIVE statuses.
pub mod keepalive {
    /// The authenticator is working.
    pub const PROCESSING: u8 = 1;
    /// It waits for the user's touch.
    pub const USER_PRESENCE_NEEDED: u8 = 2;
}

/// Reassembles requests from packets (one transaction at a time).
pub struct Assembler {
    buffer: [u8; MAX_MESSAGE],
    /// The transaction in progress: request, bytes so far, next sequence.
    current: Option<(Request, usize, u8)>,
}

impl Default for Assembler {
    fn default() -> Self {
        Self::new()
    }
}

impl Assembler {
    /// No transaction in progress.
    pub const fn new() -> Assembler {
        Assembler {
            buffer: [0; MAX_MESSAGE],
            current: None,
        }
    }

    /// The payload of the request [`Assembler::push`] just returned.
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
            // INIT on the same channel resynchronises it (11.2.9.1.3);
            // anything else there is out of sequence.
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
        if length > MAX_MESSAGE {
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

/// The payload of an INIT response: the nonce, the channel, CTAPHID
/// version 2, device version 1.0.0, capabilities WINK and CBOR (MSG is
/// supported, so NMSG is clear).
pub fn init_response(nonce: &[u8; 8], channel: u32) -> [u8; 17] {
    let mut payload = [0u8; 17];
    payload[..8].copy_from_slice(nonce);
    payload[8..12].copy_from_slice(&channel.to_be_bytes());
    payload[12] = 2;
    payload[13..16].copy_from_slice(&[1, 0, 0]);
    payload[16] = 0x01 | 0x04;
    payload
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_cbor_request_reassembles_and_a_too_long_one_is_refused() {
        let payload: std::vec::Vec<u8> = (0..2000u32).map(|index| index as u8).collect();
        let mut assembler = Assembler::new();
        let mut done = None;
        for packet in packets(7, command::CBOR, &payload) {
            done = assembler.push(&packet).unwrap();
        }
        let request = done.unwrap();
        assert_eq!(request.command, command::CBOR);
        assert_eq!(assembler.payload(&request), &payload[..]);
        let mut long = [0u8; PACKET];
        long[..4].copy_from_slice(&7u32.to_be_bytes());
        long[4] = command::CBOR;
        long[5..7].copy_from_slice(&((MAX_MESSAGE + 1) as u16).to_be_bytes());
        let rejected = assembler.push(&long).unwrap_err();
        assert_eq!(rejected.error, HidError::InvalidLength);
    }

    #[test]
    fn another_channel_is_busy_during_a_transaction() {
        let payload = [0u8; 100];
        let mut assembler = Assembler::new();
        let first = packets(7, command::CBOR, &payload).next().unwrap();
        assert_eq!(assembler.push(&first), Ok(None));
        let other = packets(8, command::PING, &[1]).next().unwrap();
        assert_eq!(
            assembler.push(&other).unwrap_err().error,
            HidError::ChannelBusy
        );
    }

    extern crate std;
}
