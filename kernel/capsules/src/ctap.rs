//! CTAP HID driver (0x40004): FIDO CTAPHID packets to and from the host,
//! with upstream's `usb_hid_driver` interface (see
//! [`crate::hid_driver`]). On QEMU the packets travel the HID link as
//! interface 0x01 ([`crate::hid_link`]).

use kernel::hil::hid::{HidEndpoint, REPORT_BYTES};

use crate::hid_driver::{HidDriver, HidGrant};

/// The CTAP driver.
pub type Ctap<'a> = HidDriver<'a>;

/// A CTAP driver on `endpoint` (make it the endpoint's client).
pub fn new<'a>(
    endpoint: &'a dyn HidEndpoint<'a>,
    grant: HidGrant,
    send_buffer: &'static mut [u8; REPORT_BYTES],
    receive_buffer: &'static mut [u8; REPORT_BYTES],
) -> Ctap<'a> {
    HidDriver::new(endpoint, grant, send_buffer, receive_buffer)
}
