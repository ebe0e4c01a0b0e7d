//! Bodies of the extension answers (see `docs/loader.md`).
//!
//! LIST_APPS body: records, back to back:
//! ```text
//! address u32 | total_size u32 | state u8 | enabled u8 | refusal u8 | name_length u8 | name
//! ```
//! (`refusal`: 0, or the [`RefusalReason`] of an enabled image nothing
//! runs from.)
//! SERVICE_INFO body: `app_start u32 | app_end u32 | page_size u32`.

use crate::refusal::RefusalReason;

/// Fixed part of one LIST_APPS record.
pub const APP_RECORD_HEAD: usize = 12;
/// Longest body of any extension answer (fits the device's buffers).
pub const MAX_EXTENSION_BODY: usize = 1024;

/// A process state as the running kernel reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessState {
    /// In flash, not loaded (disabled, or failed its checks).
    NotLoaded,
    /// Running or ready to run.
    Running,
    /// Yielded, waiting for an upcall.
    Yielded,
    /// Stopped by the loader or the process console.
    Stopped,
    /// Faulted.
    Faulted,
    /// Exited.
    Terminated,
    /// A state this decoder does not know.
    Other(u8),
}

impl ProcessState {
    /// Wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            ProcessState::NotLoaded => 0,
            ProcessState::Running => 1,
            ProcessState::Yielded => 2,
            ProcessState::Stopped => 3,
            ProcessState::Faulted => 4,
            ProcessState::Terminated => 5,
            ProcessState::Other(value) => value,
        }
    }

    /// From the wire value.
    pub fn from_u8(value: u8) -> ProcessState {
        match value {
            0 => ProcessState::NotLoaded,
            1 => ProcessState::Running,
            2 => ProcessState::Yielded,
            3 => ProcessState::Stopped,
            4 => ProcessState::Faulted,
            5 => ProcessState::Terminated,
            other => ProcessState::Other(other),
        }
    }
}

/// One app as LIST_APPS reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppRecord<'a> {
    /// Start of its TBF.
    pub address: u32,
    /// Its TBF total size.
    pub total_size: u32,
    /// Its process state.
    pub state: ProcessState,
    /// Its header's enabled flag.
    pub enabled: bool,
    /// Why the kernel refused it (an enabled image nothing runs from).
    pub refusal: Option<RefusalReason>,
    /// Its package name (UTF-8, at most 255 bytes).
    pub name: &'a str,
}

impl AppRecord<'_> {
    /// Append this record to `out` at `position`; returns the new position,
    /// or `None` when it does not fit or the name is over 255 bytes.
    pub fn write(&self, out: &mut [u8], position: usize) -> Option<usize> {
        let name = self.name.as_bytes();
        let name_length = u8::try_from(name.len()).ok()?;
        let end = position
            .checked_add(APP_RECORD_HEAD)?
            .checked_add(name.len())?;
        let record = out.get_mut(position..end)?;
        let (head, name_field) = record.split_at_mut(APP_RECORD_HEAD);
        head.get_mut(0..4)?
            .copy_from_slice(&self.address.to_le_bytes());
        head.get_mut(4..8)?
            .copy_from_slice(&self.total_size.to_le_bytes());
        head.get_mut(8..12)?.copy_from_slice(&[
            self.state.to_u8(),
            u8::from(self.enabled),
            self.refusal.map_or(0, RefusalReason::to_u8),
            name_length,
        ]);
        name_field.copy_from_slice(name);
        Some(end)
    }
}

/// Iterator over the records of a LIST_APPS body; stops at the first
/// malformed record.
pub struct AppRecords<'a> {
    rest: &'a [u8],
}

/// Read the records of a LIST_APPS body.
pub fn app_records(body: &[u8]) -> AppRecords<'_> {
    AppRecords { rest: body }
}

impl<'a> Iterator for AppRecords<'a> {
    type Item = AppRecord<'a>;

    fn next(&mut self) -> Option<AppRecord<'a>> {
        let head = self.rest.get(..APP_RECORD_HEAD)?;
        let word = |offset: usize| -> Option<u32> {
            Some(u32::from_le_bytes(
                head.get(offset..offset + 4)?.try_into().ok()?,
            ))
        };
        let name_length = usize::from(*head.get(11)?);
        let name_end = APP_RECORD_HEAD.checked_add(name_length)?;
        let name = core::str::from_utf8(self.rest.get(APP_RECORD_HEAD..name_end)?).ok()?;
        let record = AppRecord {
            address: word(0)?,
            total_size: word(4)?,
            state: ProcessState::from_u8(*head.get(8)?),
            enabled: *head.get(9)? != 0,
            refusal: RefusalReason::from_u8(*head.get(10)?),
            name,
        };
        self.rest = self.rest.get(name_end..).unwrap_or(&[]);
        Some(record)
    }
}

/// What SERVICE_INFO reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceInfo {
    /// First byte of app flash.
    pub app_start: u32,
    /// One past the last byte of app flash.
    pub app_end: u32,
    /// The kernel's flash write granularity.
    pub page_size: u32,
}

impl ServiceInfo {
    /// Body length.
    pub const LENGTH: usize = 12;

    /// Encode.
    pub fn to_bytes(&self) -> [u8; ServiceInfo::LENGTH] {
        let mut out = [0u8; ServiceInfo::LENGTH];
        for (chunk, value) in
            out.chunks_exact_mut(4)
                .zip([self.app_start, self.app_end, self.page_size])
        {
            chunk.copy_from_slice(&value.to_le_bytes());
        }
        out
    }

    /// Decode.
    pub fn from_bytes(body: &[u8]) -> Option<ServiceInfo> {
        let word = |offset: usize| -> Option<u32> {
            Some(u32::from_le_bytes(
                body.get(offset..offset + 4)?.try_into().ok()?,
            ))
        };
        Some(ServiceInfo {
            app_start: word(0)?,
            app_end: word(4)?,
            page_size: word(8)?,
        })
    }
}
