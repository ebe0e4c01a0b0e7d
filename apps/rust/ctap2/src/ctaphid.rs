//! CTAPHID (CTAP 2.1, 11.2) for CTAP2 messages: the U2F crate's framing
//! (packets, channels, errors, reassembly) with a buffer large enough for
//! CBOR requests, and the commands CTAP2 adds (CBOR, CANCEL, KEEPALIVE,
//! LOCK).

pub use u2f::ctaphid::{packets, HidError, Rejected, Request, BROADCAST, PACKET};

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

/// Reassembles requests of up to [`MAX_MESSAGE`] bytes (the U2F crate's
/// reassembly, with a larger buffer).
pub type Assembler = u2f::ctaphid::Reassembler<MAX_MESSAGE>;

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
