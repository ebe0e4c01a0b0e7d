//! The console's side of the shared link: what the mux sends goes out
//! with every ESC (0xFC) doubled, so the host's decoder never mistakes a
//! console byte for the start of a loader answer; what arrives outside a
//! frame is handed to the mux.
//!
//! The doubling needs no second buffer: a transmission is sent in chunks
//! that end at an ESC, and the next chunk starts again at that ESC (the
//! unsent bytes are moved to the front of the caller's buffer), so the
//! byte goes out twice. The buffer comes back to the mux with its
//! contents moved; the mux reads only the length.

use kernel::hil::uart::{Receive, ReceiveClient, Transmit, TransmitClient};
use kernel::ErrorCode;
use loader_protocol::ESCAPE;

use super::AppLoader;

/// A console transmission in progress: `buffer[..remaining]` is still to
/// send, `buffer[0]` an ESC already sent once when `escape_first`, and
/// `chunk` bytes are with the UART now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EscapedTransmit {
    total: usize,
    remaining: usize,
    escape_first: bool,
    chunk: usize,
}

impl EscapedTransmit {
    /// A transmission of `total` bytes.
    pub fn new(total: usize) -> Self {
        EscapedTransmit {
            total,
            remaining: total,
            escape_first: false,
            chunk: 0,
        }
    }

    /// The length of the next chunk: up to and including the next ESC
    /// that has not been sent yet, or everything left.
    pub fn plan(&mut self, buffer: &[u8]) -> usize {
        let from = usize::from(self.escape_first);
        self.chunk = buffer[from..self.remaining]
            .iter()
            .position(|&byte| byte == ESCAPE)
            .map_or(self.remaining, |position| from + position + 1);
        self.chunk
    }

    /// The chunk was sent: moves what is left to the front (starting at
    /// the ESC just sent, if the chunk ended with one, so that it goes out
    /// again). True when everything has been sent.
    pub fn advance(&mut self, buffer: &mut [u8]) -> bool {
        let from = usize::from(self.escape_first);
        let doubled = self.chunk > from && buffer[self.chunk - 1] == ESCAPE;
        let sent = if doubled { self.chunk - 1 } else { self.chunk };
        buffer.copy_within(sent..self.remaining, 0);
        self.remaining -= sent;
        self.escape_first = doubled;
        self.remaining == 0
    }
}

impl AppLoader<'_> {
    /// Starts the next chunk; on failure the mux gets its buffer back.
    fn send_chunk(&self, mut transmit: EscapedTransmit, buffer: &'static mut [u8]) {
        let chunk = transmit.plan(buffer);
        self.console_transmit.set(Some(transmit));
        if let Err((code, buffer)) = self.uart.transmit_buffer(buffer, chunk) {
            self.console_transmit.set(None);
            if let Some(client) = self.transmit_client.get() {
                client.transmitted_buffer(buffer, transmit.total, Err(code));
            }
        }
    }
}

impl TransmitClient for AppLoader<'_> {
    fn transmitted_buffer(
        &self,
        buffer: &'static mut [u8],
        _length: usize,
        result: Result<(), ErrorCode>,
    ) {
        let (Some(mut transmit), Some(client)) =
            (self.console_transmit.take(), self.transmit_client.get())
        else {
            return;
        };
        if result.is_err() {
            return client.transmitted_buffer(buffer, transmit.total, result);
        }
        if transmit.advance(buffer) {
            client.transmitted_buffer(buffer, transmit.total, Ok(()));
        } else {
            self.send_chunk(transmit, buffer);
        }
    }
}

/// The mux transmits through the service, which escapes.
impl<'a> Transmit<'a> for AppLoader<'a> {
    fn set_transmit_client(&self, client: &'a dyn TransmitClient) {
        self.transmit_client.set(Some(client));
    }

    fn transmit_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if length == 0 || length > buffer.len() {
            return Err((ErrorCode::Size, buffer));
        }
        if self.console_transmit.get().is_some() {
            return Err((ErrorCode::Busy, buffer));
        }
        let mut transmit = EscapedTransmit::new(length);
        let chunk = transmit.plan(buffer);
        self.console_transmit.set(Some(transmit));
        self.uart.transmit_buffer(buffer, chunk).inspect_err(|_| {
            self.console_transmit.set(None);
        })
    }

    fn transmit_abort(&self) -> Result<(), ErrorCode> {
        self.uart.transmit_abort()
    }
}

impl<'a> Receive<'a> for AppLoader<'a> {
    fn set_receive_client(&self, client: &'a dyn ReceiveClient) {
        self.console_client.set(Some(client));
    }

    fn receive_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if length == 0 || length > buffer.len() {
            return Err((ErrorCode::Size, buffer));
        }
        if let Some(pending) = self.console_receive.take() {
            self.console_receive.set(Some(pending));
            return Err((ErrorCode::Busy, buffer));
        }
        self.console_receive.set(Some((buffer, length, 0)));
        Ok(())
    }

    fn receive_abort(&self) -> Result<(), ErrorCode> {
        // The mux never aborts the hardware's reception; nor may others.
        Err(ErrorCode::NoSupport)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec::Vec;

    /// What goes on the wire for `bytes`, chunk by chunk.
    fn wire(bytes: &[u8]) -> Vec<u8> {
        let mut buffer = bytes.to_vec();
        let mut transmit = EscapedTransmit::new(bytes.len());
        let mut out = Vec::new();
        loop {
            let chunk = transmit.plan(&buffer);
            assert!(chunk > 0, "no empty chunk");
            out.extend_from_slice(&buffer[..chunk]);
            if transmit.advance(&mut buffer) {
                return out;
            }
        }
    }

    #[test]
    fn every_escape_byte_goes_out_twice_and_nothing_else_changes() {
        assert_eq!(wire(b"plain"), b"plain");
        assert_eq!(wire(&[ESCAPE]), [ESCAPE, ESCAPE]);
        assert_eq!(
            wire(&[1, ESCAPE, ESCAPE, 2, ESCAPE]),
            [1, ESCAPE, ESCAPE, ESCAPE, ESCAPE, 2, ESCAPE, ESCAPE]
        );
        assert_eq!(wire(&[ESCAPE, 7]), [ESCAPE, ESCAPE, 7]);
    }
}
