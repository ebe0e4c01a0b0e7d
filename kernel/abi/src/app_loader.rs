//! Commands of the app loader driver ([`crate::DriverNumber::APP_LOADER`])
//! that this kernel serves to processes. Upstream's driver installs apps
//! from a process (commands 1 to 4); we serve only what an app needs
//! about itself, numbered clear of upstream's.

/// Command 0: the driver exists.
pub const EXISTS: u32 = 0;

/// Confirm the calling process's test install (`loader install --test`):
/// its version becomes permanent and the standby version is freed.
/// Success; NOSUPPORT when the board's policy does not let apps confirm;
/// INVAL when the caller is not a version on test; FAIL when flash could
/// not be written (the next boot then reverts or finishes it).
pub const CONFIRM_TEST_INSTALL: u32 = 16;
