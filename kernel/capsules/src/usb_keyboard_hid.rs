//! USB keyboard HID driver (0x90005): keyboard reports to the host (byte
//! 0 modifiers, 1 reserved, 2..8 key codes, the rest as the app wrote
//! it), with upstream's `usb_hid_driver` interface (see
//! [`crate::hid_driver`]). On QEMU the reports travel the HID link as
//! interface 0x02 ([`crate::hid_link`]).

use kernel::hil::hid::{HidEndpoint, REPORT_BYTES};

use crate::hid_driver::{HidDriver, HidGrant};

/// The keyboard driver.
pub type UsbKeyboardHid<'a> = HidDriver<'a>;

/// A keyboard driver on `endpoint` (make it the endpoint's client).
pub fn new<'a>(
    endpoint: &'a dyn HidEndpoint<'a>,
    grant: HidGrant,
    send_buffer: &'static mut [u8; REPORT_BYTES],
    receive_buffer: &'static mut [u8; REPORT_BYTES],
) -> UsbKeyboardHid<'a> {
    HidDriver::new(endpoint, grant, send_buffer, receive_buffer)
}
