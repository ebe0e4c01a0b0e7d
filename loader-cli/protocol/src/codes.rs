//! Command and response codes, as upstream tock-bootloader numbers them,
//! plus our extensions in ranges upstream does not use.
//!
//! Upstream command codes: 0x01, 0x03..=0x09, 0x10..=0x23.
//! Upstream response codes: 0x10..=0x26.
//! Our extension commands: 0x40..=0x4E; our extension response: 0x40.
//! (Commands and responses travel in opposite directions, so the two
//! namespaces never meet on one decoder.)

/// The byte that introduces a command or response code; doubled when it is
/// data. Upstream chose it because it is rare in binaries.
pub const ESCAPE: u8 = 0xFC;

/// The bootloader's page size on the wire: every WRITE_PAGE carries exactly
/// this many bytes, every ERASE_PAGE clears this many.
pub const PAGE_SIZE: usize = 512;

/// READ_RANGE reads at most this many bytes per command (upstream's limit).
pub const MAX_READ_LENGTH: usize = 4095;

/// Length of the INFO response payload: one length byte and 192 bytes of JSON.
pub const INFO_RESPONSE_LENGTH: usize = 193;

/// The sync prefix upstream sends before a command: a throw-away data byte,
/// then RESET, which empties the receiver's buffer.
pub const SYNC: [u8; 3] = [0x00, ESCAPE, Command::Reset as u8];

macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:expr,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $value,)*
        }

        impl $name {
            /// Every code, in numeric order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The code for a byte, if it is one.
            pub fn from_u8(byte: u8) -> Option<$name> {
                match byte {
                    $($value => Some($name::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

code_enum! {
    /// A command code: the byte after [`ESCAPE`] that ends a command frame.
    Command {
        /// Liveness check; answered with PONG.
        Ping = 0x01,
        /// Bootloader information (JSON with a `version` key).
        Info = 0x03,
        /// Chip identification.
        Id = 0x04,
        /// Empty the receive buffer (the second half of [`SYNC`]); no answer.
        Reset = 0x05,
        /// Erase one page: address u32.
        ErasePage = 0x06,
        /// Write one page: address u32, then [`PAGE_SIZE`] bytes.
        WritePage = 0x07,
        /// External flash: erase block.
        ExternalEraseBlock = 0x08,
        /// External flash: write page.
        ExternalWritePage = 0x09,
        /// CRC of the receive buffer.
        CrcReceiveBuffer = 0x10,
        /// Read flash: address u32, length u16 (at most [`MAX_READ_LENGTH`]).
        ReadRange = 0x11,
        /// External flash: read range.
        ExternalReadRange = 0x12,
        /// Set an attribute: index u8, then 64 bytes.
        SetAttribute = 0x13,
        /// Get an attribute: index u8.
        GetAttribute = 0x14,
        /// CRC-32 of internal flash: address u32, length u32.
        CrcInternalFlash = 0x15,
        /// External flash: CRC.
        CrcExternalFlash = 0x16,
        /// External flash: erase page.
        ExternalErasePage = 0x17,
        /// External flash: initialise.
        ExternalFlashInit = 0x18,
        /// Clock output (debug).
        ClockOut = 0x19,
        /// Write user page.
        WriteUserPage = 0x20,
        /// Change baud rate: phase u8 (1 set, 2 confirm), rate u32.
        ChangeBaudRate = 0x21,
        /// Leave the bootloader and start the kernel; no answer.
        Exit = 0x22,
        /// Set the address the bootloader jumps to: address u32.
        SetStartAddress = 0x23,
        /// Extension: list the apps the running kernel knows, with state.
        ListApps = 0x40,
        /// Extension: load the image already written at an address as a
        /// new process: address u32, total size u32.
        InstallApp = 0x41,
        /// Extension: stop the app at the first address, turn it into
        /// padding and start the image at the second: old u32, new u32.
        ReplaceApp = 0x42,
        /// Extension: stop the app at an address and free its flash (its
        /// header becomes padding): address u32.
        RemoveApp = 0x43,
        /// Extension: mark the app at an address enabled and start it.
        EnableApp = 0x44,
        /// Extension: stop the app at an address and mark it disabled.
        DisableApp = 0x45,
        /// Extension: the free app flash and the kernel's limits.
        ServiceInfo = 0x46,
        /// Extension: stop, resume or restart the process of the app at
        /// an address: address u32, action u8 ([`ProcessAction`]).
        ControlProcess = 0x47,
        /// Extension: leave the running kernel for the board's serial
        /// bootloader (answered, then the device resets into it). A
        /// bootloader answers it too, with status ok: it is already there.
        EnterBootloader = 0x48,
        /// Extension: replace an app in its own slot in one flash-journal
        /// commit: old u32, new u32, source u32, length u32. The new
        /// image, already written at `source` (outside the chain), must
        /// pass the board's credential check; then the old app stops, the
        /// `length` bytes from `source` become the content at `old` (one
        /// erase block), and the image at `new` starts.
        ReplaceInPlace = 0x49,
        /// Extension: the board's trust store (no payload), answered with
        /// the encoded `tbf::trust::TrustState` (see [`crate::trust`]).
        TrustState = 0x4A,
        /// Extension: apply a root-signed change to the trust store: the
        /// encoded `tbf::trust::SignedChange`. Answered OK, or
        /// [`ExtensionStatus::TrustChangeRefused`] with a
        /// [`crate::trust::TrustChangeRefusal`] code and a message.
        ApplyTrustChange = 0x4B,
        /// Extension: run the new version of an app on test, the old one
        /// kept on standby (`docs/test-installs.md`): old u32, new u32
        /// (two images of one app, the new one linked into the chain).
        TestInstall = 0x4C,
        /// Extension: keep the version on test: new u32 (its header).
        ConfirmTest = 0x4D,
        /// Extension: the board's confirmation policy and the running
        /// test install, if any ([`crate::TestStatus`]).
        TestStatus = 0x4E,
    }
}

code_enum! {
    /// A response code: the byte after [`ESCAPE`] that opens a response.
    Response {
        /// The command's payload did not fit the receiver's buffer.
        Overflow = 0x10,
        /// Answer to PING.
        Pong = 0x11,
        /// An address outside what the command may touch.
        BadAddress = 0x12,
        /// The device failed internally (flash error).
        InternalError = 0x13,
        /// The payload has the wrong length or content.
        BadArguments = 0x14,
        /// Done.
        Ok = 0x15,
        /// The command code is not known.
        Unknown = 0x16,
        /// External flash: timeout.
        ExternalFlashTimeout = 0x17,
        /// External flash: erase/program error.
        ExternalFlashError = 0x18,
        /// CRC of the receive buffer: u32.
        CrcReceiveBuffer = 0x19,
        /// READ_RANGE data: exactly the requested length.
        ReadRange = 0x20,
        /// External flash: read range data.
        ExternalReadRange = 0x21,
        /// GET_ATTRIBUTE data: 64 bytes.
        GetAttribute = 0x22,
        /// CRC_INTERNAL_FLASH result: u32 (old bootloaders send 6 bytes).
        CrcInternalFlash = 0x23,
        /// External flash CRC: u32.
        CrcExternalFlash = 0x24,
        /// INFO data: [`INFO_RESPONSE_LENGTH`] bytes.
        Info = 0x25,
        /// The new baud rate is not possible.
        ChangeBaudFail = 0x26,
        /// Extension answer: status u8, length u16, then that many bytes
        /// (a reason string, or a command's result).
        Extension = 0x40,
    }
}

impl Response {
    /// Payload length of this response when it is fixed by the code alone;
    /// `None` for READ_RANGE (the request sets it) and [`Response::Extension`]
    /// (it carries its own length).
    pub fn fixed_payload_length(self) -> Option<usize> {
        match self {
            Response::ReadRange | Response::ExternalReadRange | Response::Extension => None,
            Response::GetAttribute => Some(crate::attribute::ATTRIBUTE_SIZE),
            Response::CrcInternalFlash
            | Response::CrcReceiveBuffer
            | Response::CrcExternalFlash => Some(4),
            Response::Info => Some(INFO_RESPONSE_LENGTH),
            _ => Some(0),
        }
    }
}

code_enum! {
    /// Status carried by a [`Response::Extension`] answer.
    ExtensionStatus {
        /// Done.
        Ok = 0x00,
        /// The address is not the start of an app, or outside app flash.
        BadAddress = 0x01,
        /// The image is not a valid TBF, or does not fit where it claims.
        BadImage = 0x02,
        /// The board's credential policy rejected the image.
        CredentialsRejected = 0x03,
        /// Not enough free app flash, RAM or process slots.
        NoSpace = 0x04,
        /// Another management operation is running; retry.
        Busy = 0x05,
        /// No app there.
        NotFound = 0x06,
        /// Flash or kernel failure.
        InternalError = 0x07,
        /// The kernel does not implement this operation.
        Unsupported = 0x08,
        /// The app's state does not allow the operation (a process already
        /// running, already stopped, or none): nothing was changed.
        WrongState = 0x09,
        /// The trust store refused a change: body = one
        /// [`crate::trust::TrustChangeRefusal`] code, then a message.
        TrustChangeRefused = 0x0A,
    }
}

impl ExtensionStatus {
    /// A short lower-case name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            ExtensionStatus::Ok => "ok",
            ExtensionStatus::BadAddress => "bad address",
            ExtensionStatus::BadImage => "bad image",
            ExtensionStatus::CredentialsRejected => "credentials rejected",
            ExtensionStatus::NoSpace => "no space",
            ExtensionStatus::Busy => "busy",
            ExtensionStatus::NotFound => "not found",
            ExtensionStatus::InternalError => "internal error",
            ExtensionStatus::Unsupported => "unsupported",
            ExtensionStatus::WrongState => "wrong state",
            ExtensionStatus::TrustChangeRefused => "trust change refused",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_extensions_avoid_upstream_ranges() {
        for command in Command::ALL {
            assert_eq!(Command::from_u8(*command as u8), Some(*command));
            assert_ne!(*command as u8, ESCAPE);
        }
        for response in Response::ALL {
            assert_eq!(Response::from_u8(*response as u8), Some(*response));
        }
        let upstream_max_command = Command::SetStartAddress as u8;
        let upstream_max_response = Response::ChangeBaudFail as u8;
        assert!(Command::ListApps as u8 > upstream_max_command);
        assert!(Response::Extension as u8 > upstream_max_response);
    }

    #[test]
    fn upstream_numbers_are_kept() {
        // Spot checks against tockloader's bootloader_serial.py.
        assert_eq!(Command::Ping as u8, 0x01);
        assert_eq!(Command::CrcInternalFlash as u8, 0x15);
        assert_eq!(Command::SetStartAddress as u8, 0x23);
        assert_eq!(Response::Pong as u8, 0x11);
        assert_eq!(Response::Info as u8, 0x25);
        assert_eq!(SYNC, [0x00, 0xFC, 0x05]);
    }
}
