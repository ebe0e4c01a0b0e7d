//! Serial ports: transmit and receive whole buffers, split-phase.

use kernel_abi::ErrorCode;

/// Receives the end of a transmission.
pub trait TransmitClient {
    /// `buffer` comes back; `length` bytes of it were sent.
    fn transmitted_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
        result: Result<(), ErrorCode>,
    );
}

/// Receives the end of a reception.
pub trait ReceiveClient {
    /// `buffer` comes back holding `length` received bytes. `result` is
    /// `Err(Cancel)` after an abort.
    fn received_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
        result: Result<(), ErrorCode>,
    );
}

/// The sending half.
pub trait Transmit<'a> {
    /// Who is told when a transmission ends.
    fn set_transmit_client(&self, client: &'a dyn TransmitClient);
    /// Send the first `length` bytes of `buffer`. On error the buffer
    /// comes back at once (BUSY if a transmission is in progress, SIZE if
    /// `length` exceeds it).
    fn transmit_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])>;
    /// Stop a transmission; the callback follows with what was sent.
    fn transmit_abort(&self) -> Result<(), ErrorCode>;
}

/// The receiving half.
pub trait Receive<'a> {
    /// Who is told when a reception ends.
    fn set_receive_client(&self, client: &'a dyn ReceiveClient);
    /// Fill `length` bytes of `buffer`.
    fn receive_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])>;
    /// Stop a reception; the callback follows with `Err(Cancel)` and the
    /// bytes received so far.
    fn receive_abort(&self) -> Result<(), ErrorCode>;
}

/// A full UART.
pub trait Uart<'a>: Transmit<'a> + Receive<'a> {}
impl<'a, T: Transmit<'a> + Receive<'a>> Uart<'a> for T {}
