//! Typed commands: what each command's payload means, parsed (device side)
//! and written (host side) by the same code. Integers are little-endian.

use crate::attribute::{ATTRIBUTE_COUNT, ATTRIBUTE_SIZE};
use crate::codes::{Command, MAX_READ_LENGTH, PAGE_SIZE};
use crate::decoder::CommandFrame;

/// A parsed command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request<'a> {
    /// PING.
    Ping,
    /// INFO.
    Info,
    /// ID.
    Id,
    /// EXIT.
    Exit,
    /// ERASE_PAGE at a page-aligned address.
    ErasePage {
        /// Start of the page.
        address: u32,
    },
    /// WRITE_PAGE: one page of data.
    WritePage {
        /// Start of the page.
        address: u32,
        /// Exactly [`PAGE_SIZE`] bytes.
        data: &'a [u8],
    },
    /// READ_RANGE.
    ReadRange {
        /// First byte.
        address: u32,
        /// Byte count, at most [`MAX_READ_LENGTH`].
        length: u16,
    },
    /// SET_ATTRIBUTE.
    SetAttribute {
        /// Slot, below [`ATTRIBUTE_COUNT`].
        index: u8,
        /// The 64-byte slot.
        slot: &'a [u8],
    },
    /// GET_ATTRIBUTE.
    GetAttribute {
        /// Slot, below [`ATTRIBUTE_COUNT`].
        index: u8,
    },
    /// CRC_INTERNAL_FLASH.
    CrcInternalFlash {
        /// First byte.
        address: u32,
        /// Byte count.
        length: u32,
    },
    /// CHANGE_BAUD_RATE.
    ChangeBaudRate {
        /// 1: switch to the rate; 2: confirm it works.
        phase: u8,
        /// Bits per second.
        rate: u32,
    },
    /// SET_START_ADDRESS.
    SetStartAddress {
        /// Where the bootloader jumps to.
        address: u32,
    },
    /// Extension LIST_APPS.
    ListApps,
    /// Extension SERVICE_INFO.
    ServiceInfo,
    /// Extension ENTER_BOOTLOADER.
    EnterBootloader,
    /// Extension INSTALL_APP: load the image written at `address`.
    InstallApp {
        /// Start of the TBF.
        address: u32,
        /// Its total size.
        total_size: u32,
    },
    /// Extension REPLACE_APP.
    ReplaceApp {
        /// The app to stop and turn into padding.
        old_address: u32,
        /// The image to start instead.
        new_address: u32,
    },
    /// Extension REPLACE_IN_PLACE.
    ReplaceInPlace {
        /// The app whose slot the new image takes (the slot's start).
        old_address: u32,
        /// The new image's header, inside the slot.
        new_address: u32,
        /// Where the slot's new content was written first.
        source: u32,
        /// Bytes of the slot's new content.
        length: u32,
    },
    /// Extension REMOVE_APP.
    RemoveApp {
        /// Start of the app.
        address: u32,
    },
    /// Extension ENABLE_APP.
    EnableApp {
        /// Start of the app.
        address: u32,
    },
    /// Extension DISABLE_APP.
    DisableApp {
        /// Start of the app.
        address: u32,
    },
    /// Extension CONTROL_PROCESS.
    ControlProcess {
        /// Start of the app.
        address: u32,
        /// What to do with its process.
        action: ProcessAction,
    },
    /// Extension TRUST_STATE.
    TrustState,
    /// Extension APPLY_TRUST_CHANGE: an encoded signed change (checked by
    /// the device with `tbf::trust`, not here).
    ApplyTrustChange {
        /// The encoded change and its signature (not empty).
        change: &'a [u8],
    },
    /// Extension TEST_INSTALL.
    TestInstall {
        /// The version kept on standby.
        old_address: u32,
        /// The version run on test.
        new_address: u32,
    },
    /// Extension CONFIRM_TEST.
    ConfirmTest {
        /// The version on test.
        address: u32,
    },
    /// Extension TEST_STATUS.
    TestStatus,
}

/// What CONTROL_PROCESS does to a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessAction {
    /// Stop it (it keeps its memory and resumes where it was).
    Stop = 0,
    /// Resume a stopped process.
    Resume = 1,
    /// Restart it from its entry point (also starts a terminated or
    /// faulted one).
    Restart = 2,
}

impl ProcessAction {
    /// From the wire value.
    pub fn from_u8(value: u8) -> Option<ProcessAction> {
        match value {
            0 => Some(ProcessAction::Stop),
            1 => Some(ProcessAction::Resume),
            2 => Some(ProcessAction::Restart),
            _ => None,
        }
    }
}

/// Why a command frame is not a valid request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// The code is not a command (answer UNKNOWN).
    UnknownCommand(u8),
    /// A known command this crate gives no meaning to, e.g. external flash
    /// (answer UNKNOWN).
    Unsupported(Command),
    /// Wrong payload length or value (answer BADARGS).
    BadArguments(Command),
}

fn u32_at(payload: &[u8], offset: usize) -> Option<u32> {
    let bytes = payload.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

fn exact(payload: &[u8], length: usize, command: Command) -> Result<(), RequestError> {
    if payload.len() == length {
        Ok(())
    } else {
        Err(RequestError::BadArguments(command))
    }
}

/// The extension commands that carry addresses.
fn parse_extension(command: Command, payload: &[u8]) -> Result<Request<'_>, RequestError> {
    let bad = RequestError::BadArguments(command);
    let address = u32_at(payload, 0).ok_or(bad)?;
    let wanted = match command {
        Command::InstallApp | Command::ReplaceApp => 8,
        _ => 4,
    };
    exact(payload, wanted, command)?;
    let second = if wanted == 8 {
        u32_at(payload, 4).ok_or(bad)?
    } else {
        0
    };
    let request = match command {
        Command::InstallApp => Request::InstallApp {
            address,
            total_size: second,
        },
        Command::ReplaceApp => Request::ReplaceApp {
            old_address: address,
            new_address: second,
        },
        Command::RemoveApp => Request::RemoveApp { address },
        Command::EnableApp => Request::EnableApp { address },
        Command::DisableApp => Request::DisableApp { address },
        _ => return Err(RequestError::Unsupported(command)),
    };
    Ok(request)
}

impl<'a> Request<'a> {
    /// Parse a decoded frame.
    pub fn parse(frame: &CommandFrame<'a>) -> Result<Request<'a>, RequestError> {
        let command = frame
            .command()
            .ok_or(RequestError::UnknownCommand(frame.code))?;
        let payload = frame.payload;
        let bad = RequestError::BadArguments(command);
        let address = || u32_at(payload, 0).ok_or(bad);
        let second = || u32_at(payload, 4).ok_or(bad);
        let request = match command {
            // Upstream ignores any payload on these.
            Command::Ping => Request::Ping,
            Command::Info => Request::Info,
            Command::Id => Request::Id,
            Command::Exit => Request::Exit,
            Command::ListApps => Request::ListApps,
            Command::ServiceInfo => Request::ServiceInfo,
            Command::EnterBootloader => Request::EnterBootloader,
            Command::TrustState => Request::TrustState,
            Command::ApplyTrustChange if payload.is_empty() => return Err(bad),
            Command::ApplyTrustChange => Request::ApplyTrustChange { change: payload },
            Command::TestStatus => Request::TestStatus,
            Command::TestInstall => {
                exact(payload, 8, command)?;
                Request::TestInstall {
                    old_address: address()?,
                    new_address: second()?,
                }
            }
            Command::ConfirmTest => {
                exact(payload, 4, command)?;
                Request::ConfirmTest {
                    address: address()?,
                }
            }
            Command::ErasePage => {
                exact(payload, 4, command)?;
                Request::ErasePage {
                    address: address()?,
                }
            }
            Command::WritePage => {
                exact(payload, 4 + PAGE_SIZE, command)?;
                Request::WritePage {
                    address: address()?,
                    data: payload.get(4..).ok_or(bad)?,
                }
            }
            Command::ReadRange => {
                exact(payload, 6, command)?;
                let low = *payload.get(4).ok_or(bad)?;
                let high = *payload.get(5).ok_or(bad)?;
                let length = u16::from_le_bytes([low, high]);
                if usize::from(length) > MAX_READ_LENGTH {
                    return Err(bad);
                }
                Request::ReadRange {
                    address: address()?,
                    length,
                }
            }
            Command::SetAttribute => {
                exact(payload, 1 + ATTRIBUTE_SIZE, command)?;
                let index = *payload.first().ok_or(bad)?;
                if usize::from(index) >= ATTRIBUTE_COUNT {
                    return Err(bad);
                }
                Request::SetAttribute {
                    index,
                    slot: payload.get(1..).ok_or(bad)?,
                }
            }
            Command::GetAttribute => {
                exact(payload, 1, command)?;
                let index = *payload.first().ok_or(bad)?;
                if usize::from(index) >= ATTRIBUTE_COUNT {
                    return Err(bad);
                }
                Request::GetAttribute { index }
            }
            Command::CrcInternalFlash => {
                exact(payload, 8, command)?;
                Request::CrcInternalFlash {
                    address: address()?,
                    length: second()?,
                }
            }
            Command::ChangeBaudRate => {
                exact(payload, 5, command)?;
                Request::ChangeBaudRate {
                    phase: *payload.first().ok_or(bad)?,
                    rate: u32_at(payload, 1).ok_or(bad)?,
                }
            }
            Command::SetStartAddress => {
                exact(payload, 4, command)?;
                Request::SetStartAddress {
                    address: address()?,
                }
            }
            Command::InstallApp
            | Command::ReplaceApp
            | Command::RemoveApp
            | Command::EnableApp
            | Command::DisableApp => parse_extension(command, payload)?,
            Command::ReplaceInPlace => {
                exact(payload, 16, command)?;
                Request::ReplaceInPlace {
                    old_address: address()?,
                    new_address: second()?,
                    source: u32_at(payload, 8).ok_or(bad)?,
                    length: u32_at(payload, 12).ok_or(bad)?,
                }
            }
            Command::ControlProcess => {
                exact(payload, 5, command)?;
                let action = payload.get(4).copied().and_then(ProcessAction::from_u8);
                Request::ControlProcess {
                    address: address()?,
                    action: action.ok_or(bad)?,
                }
            }
            other => return Err(RequestError::Unsupported(other)),
        };
        Ok(request)
    }

    /// The command code.
    pub fn command(&self) -> Command {
        match self {
            Request::Ping => Command::Ping,
            Request::Info => Command::Info,
            Request::Id => Command::Id,
            Request::Exit => Command::Exit,
            Request::ErasePage { .. } => Command::ErasePage,
            Request::WritePage { .. } => Command::WritePage,
            Request::ReadRange { .. } => Command::ReadRange,
            Request::SetAttribute { .. } => Command::SetAttribute,
            Request::GetAttribute { .. } => Command::GetAttribute,
            Request::CrcInternalFlash { .. } => Command::CrcInternalFlash,
            Request::ChangeBaudRate { .. } => Command::ChangeBaudRate,
            Request::SetStartAddress { .. } => Command::SetStartAddress,
            Request::ListApps => Command::ListApps,
            Request::ServiceInfo => Command::ServiceInfo,
            Request::EnterBootloader => Command::EnterBootloader,
            Request::InstallApp { .. } => Command::InstallApp,
            Request::ReplaceApp { .. } => Command::ReplaceApp,
            Request::ReplaceInPlace { .. } => Command::ReplaceInPlace,
            Request::RemoveApp { .. } => Command::RemoveApp,
            Request::EnableApp { .. } => Command::EnableApp,
            Request::DisableApp { .. } => Command::DisableApp,
            Request::ControlProcess { .. } => Command::ControlProcess,
            Request::TrustState => Command::TrustState,
            Request::ApplyTrustChange { .. } => Command::ApplyTrustChange,
            Request::TestInstall { .. } => Command::TestInstall,
            Request::ConfirmTest { .. } => Command::ConfirmTest,
            Request::TestStatus => Command::TestStatus,
        }
    }

    /// Write the (unescaped) payload into `out`; returns its length, or
    /// `None` if `out` is too small.
    pub fn write_payload(&self, out: &mut [u8]) -> Option<usize> {
        let mut position = 0usize;
        let mut put = |bytes: &[u8]| -> Option<()> {
            let end = position.checked_add(bytes.len())?;
            out.get_mut(position..end)?.copy_from_slice(bytes);
            position = end;
            Some(())
        };
        match *self {
            Request::Ping
            | Request::Info
            | Request::Id
            | Request::Exit
            | Request::ListApps
            | Request::ServiceInfo
            | Request::EnterBootloader
            | Request::TrustState
            | Request::TestStatus => {}
            Request::ConfirmTest { address } => put(&address.to_le_bytes())?,
            Request::TestInstall {
                old_address,
                new_address,
            } => {
                put(&old_address.to_le_bytes())?;
                put(&new_address.to_le_bytes())?;
            }
            Request::ApplyTrustChange { change } => put(change)?,
            Request::ErasePage { address }
            | Request::SetStartAddress { address }
            | Request::RemoveApp { address }
            | Request::EnableApp { address }
            | Request::DisableApp { address } => put(&address.to_le_bytes())?,
            Request::WritePage { address, data } => {
                put(&address.to_le_bytes())?;
                put(data)?;
            }
            Request::ReadRange { address, length } => {
                put(&address.to_le_bytes())?;
                put(&length.to_le_bytes())?;
            }
            Request::SetAttribute { index, slot } => {
                put(&[index])?;
                put(slot)?;
            }
            Request::GetAttribute { index } => put(&[index])?,
            Request::CrcInternalFlash { address, length } => {
                put(&address.to_le_bytes())?;
                put(&length.to_le_bytes())?;
            }
            Request::ChangeBaudRate { phase, rate } => {
                put(&[phase])?;
                put(&rate.to_le_bytes())?;
            }
            Request::InstallApp {
                address,
                total_size,
            } => {
                put(&address.to_le_bytes())?;
                put(&total_size.to_le_bytes())?;
            }
            Request::ReplaceApp {
                old_address,
                new_address,
            } => {
                put(&old_address.to_le_bytes())?;
                put(&new_address.to_le_bytes())?;
            }
            Request::ReplaceInPlace {
                old_address,
                new_address,
                source,
                length,
            } => {
                for word in [old_address, new_address, source, length] {
                    put(&word.to_le_bytes())?;
                }
            }
            Request::ControlProcess { address, action } => {
                put(&address.to_le_bytes())?;
                put(&[action as u8])?;
            }
        }
        Some(position)
    }
}
