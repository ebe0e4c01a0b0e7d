//! Error codes (TRD104 §3.2) and the status code that adds success to them.

use core::fmt;

/// Why a system call failed. Zero is not an error: see [`StatusCode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ErrorCode {
    /// Generic failure.
    Fail = 1,
    /// The underlying system is busy; retry.
    Busy = 2,
    /// The state requested is already set.
    Already = 3,
    /// The component is powered down.
    Off = 4,
    /// Reservation required before use.
    Reserve = 5,
    /// An invalid parameter was passed.
    Inval = 6,
    /// The parameter passed was too large.
    Size = 7,
    /// The operation was cancelled by a call.
    Cancel = 8,
    /// Memory required was not available.
    NoMem = 9,
    /// The operation is not supported.
    NoSupport = 10,
    /// The device does not exist.
    NoDevice = 11,
    /// The device is not physically installed.
    Uninstalled = 12,
    /// The packet transmission was not acknowledged.
    NoAck = 13,
}

impl ErrorCode {
    /// Every error code, in numeric order.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::Fail,
        ErrorCode::Busy,
        ErrorCode::Already,
        ErrorCode::Off,
        ErrorCode::Reserve,
        ErrorCode::Inval,
        ErrorCode::Size,
        ErrorCode::Cancel,
        ErrorCode::NoMem,
        ErrorCode::NoSupport,
        ErrorCode::NoDevice,
        ErrorCode::Uninstalled,
        ErrorCode::NoAck,
    ];

    /// The code for `raw`, or `None` if `raw` is not an error code.
    pub const fn from_u32(raw: u32) -> Option<Self> {
        if raw >= 1 && raw <= 13 {
            Some(Self::ALL[raw as usize - 1])
        } else {
            None
        }
    }

    /// Upstream's upper-case name, as printed by its process console.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorCode::Fail => "FAIL",
            ErrorCode::Busy => "BUSY",
            ErrorCode::Already => "ALREADY",
            ErrorCode::Off => "OFF",
            ErrorCode::Reserve => "RESERVE",
            ErrorCode::Inval => "INVAL",
            ErrorCode::Size => "SIZE",
            ErrorCode::Cancel => "CANCEL",
            ErrorCode::NoMem => "NOMEM",
            ErrorCode::NoSupport => "NOSUPPORT",
            ErrorCode::NoDevice => "NODEVICE",
            ErrorCode::Uninstalled => "UNINSTALLED",
            ErrorCode::NoAck => "NOACK",
        }
    }
}

impl From<ErrorCode> for u32 {
    fn from(code: ErrorCode) -> u32 {
        code as u32
    }
}

impl TryFrom<u32> for ErrorCode {
    type Error = u32;
    fn try_from(raw: u32) -> Result<Self, u32> {
        Self::from_u32(raw).ok_or(raw)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error code or success (0), as capsules pass it in upcall arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusCode {
    /// Zero.
    Success,
    /// The error's own number.
    Error(ErrorCode),
}

impl From<StatusCode> for u32 {
    fn from(status: StatusCode) -> u32 {
        match status {
            StatusCode::Success => 0,
            StatusCode::Error(code) => code as u32,
        }
    }
}

impl From<Result<(), ErrorCode>> for StatusCode {
    fn from(result: Result<(), ErrorCode>) -> Self {
        match result {
            Ok(()) => StatusCode::Success,
            Err(code) => StatusCode::Error(code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_trd104() {
        assert_eq!(ErrorCode::Inval as u32, 6);
        assert_eq!(ErrorCode::Size as u32, 7);
        assert_eq!(ErrorCode::NoAck as u32, 13);
        for (index, code) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(*code as usize, index + 1);
            assert_eq!(ErrorCode::from_u32(*code as u32), Some(*code));
        }
        assert_eq!(ErrorCode::from_u32(0), None);
        assert_eq!(ErrorCode::from_u32(14), None);
        assert_eq!(u32::from(StatusCode::from(Err(ErrorCode::Busy))), 2);
        assert_eq!(u32::from(StatusCode::Success), 0);
    }
}
