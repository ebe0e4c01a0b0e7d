//! HID reports (USB HID interrupt endpoints, or an emulated link carrying
//! the same reports): send one report to the host, receive one from it,
//! split-phase. Every report is [`REPORT_BYTES`] long.

use kernel_abi::ErrorCode;

/// Bytes per report (USB full-speed interrupt endpoint, CTAPHID packet).
pub const REPORT_BYTES: usize = 64;

/// Told when a report operation ends.
pub trait HidClient {
    /// A report from the host is in `report` (or `result` says why not).
    fn report_received(&self, report: &'static mut [u8], result: Result<(), ErrorCode>);
    /// `report` went to the host (or `result` says why not).
    fn report_sent(&self, report: &'static mut [u8], result: Result<(), ErrorCode>);
}

/// One HID interface of the device.
pub trait HidEndpoint<'a> {
    /// Who is told.
    fn set_client(&self, client: &'a dyn HidClient);
    /// Send the first [`REPORT_BYTES`] of `report` (SIZE if shorter, BUSY
    /// while a send is outstanding, NODEVICE without a host link).
    fn send_report(&self, report: &'static mut [u8]) -> Result<(), (ErrorCode, &'static mut [u8])>;
    /// Receive the next report into `buffer` (at least [`REPORT_BYTES`]).
    fn receive_report(
        &self,
        buffer: &'static mut [u8],
    ) -> Result<(), (ErrorCode, &'static mut [u8])>;
    /// Take back the receive buffer of an outstanding receive, at once.
    fn cancel_receive(&self) -> Result<&'static mut [u8], ErrorCode>;
    /// Take back a report not yet sent, at once (BUSY once on its way).
    fn cancel_send(&self) -> Result<&'static mut [u8], ErrorCode>;
}
