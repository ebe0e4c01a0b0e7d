//! Test installs (MCUboot's test / confirm / revert, for live apps): a
//! new version runs "on test" while the old one stays in flash on
//! standby; confirming frees the old one, reverting frees the new one and
//! starts the old one again.
//!
//! The state lives in app flash only, so a power cut at any moment
//! resolves at boot to exactly one running version. Beside the two images
//! (never over either) sits a *test record*: a 64-byte TBF padding image
//! at the chain's end whose fill the kernel reads (every tool sees free
//! padding; nothing else reads a padding image's fill):
//!
//! ```text
//!  padding header (16) | magic "TSTI" | old u32 | new u32 | CRC-32 of the
//!  last three | confirmed u32 | finished u32 | 0xFF ... (to 64 bytes)
//! ```
//!
//! A word is "set" once any of its bits is cleared (a torn write counts
//! as set: the first cleared bit is the point of no return). Every write
//! goes through the flash journal's atomic rewrites, in this order:
//!
//! ```text
//!            begin: record written (one commit, the header that links it last)
//!   (none) ----------------------------------------------> ON TEST
//!                                                           |     |
//!          confirm: set `confirmed` ----> CONFIRMED         |     | revert (fault past the
//!          (loader, app syscall, N s      | free old        |     |  restart threshold, or
//!           without a fault)              | set `finished`  |     |  a reboot)
//!                                         v                 |     v  free new, set `finished`
//!                                       (none: new runs)    |   (none: old runs)
//!
//!  boot, before processes load (one rule per state):
//!    active record, not confirmed -> free new (if still an app), set finished
//!    active record, confirmed     -> free old (if still an app), set finished
//! ```
//!
//! Invariant (enforced in [`plan`]): an image is freed only while the
//! other one is an intact app of the same name, so no step ever leaves
//! neither version. The record is finished only after the image it
//! condemns is freed, so a cut between the two is finished by the boot
//! rule, which then finds nothing left to free.

use kernel::flash_journal::{BlockRewrite, JournalError};

/// The record's marker in the padding's fill ("TSTI").
pub const RECORD_MAGIC: u32 = 0x4954_5354;
/// The record's size as a padding image.
pub const RECORD_IMAGE_SIZE: usize = 64;
/// Bytes written to place a record: the image and the end-of-chain mark
/// after it (erased bytes, which never parse as a header).
pub const RECORD_WRITE_SIZE: usize = RECORD_IMAGE_SIZE + 8;
const MAGIC_OFFSET: usize = 16;
const CRC_OFFSET: usize = 28;
const CONFIRMED_OFFSET: usize = 32;
const FINISHED_OFFSET: usize = 36;

/// A test record found in the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// The record image's address.
    pub at: usize,
    /// The version on standby.
    pub old: usize,
    /// The version on test.
    pub new: usize,
    /// The new version was confirmed (the old one is being freed).
    pub confirmed: bool,
}

/// One flash write of a transition, in the order it must happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    /// Place a new record at the chain's end (the record's address).
    Record {
        /// Where (the chain's end).
        at: usize,
        /// The standby version.
        old: usize,
        /// The version on test.
        new: usize,
    },
    /// Turn the image at this address, of this total size, into padding.
    Free {
        /// Its header.
        address: usize,
        /// Its total size.
        size: usize,
    },
    /// Clear the record word at this address (confirmed or finished).
    SetWord(usize),
}

/// What a transition does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Start a test of `new` with `old` on standby.
    Begin {
        /// The standby version.
        old: usize,
        /// The version on test.
        new: usize,
    },
    /// Keep the new version.
    Confirm,
    /// Go back to the old version.
    Revert,
    /// The boot rule: revert unless confirmed, else finish the confirm.
    Boot,
}

/// Why a transition cannot happen; nothing was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A test is already running (its record).
    AlreadyTesting(usize),
    /// No test is running.
    NotTesting,
    /// `old` and `new` are not two app images of one name.
    NotTwoVersions,
    /// No room after the chain for the record.
    NoRoom,
}

impl core::fmt::Display for Refusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Refusal::AlreadyTesting(at) => write!(
                f,
                "a test install is already running (record at {at:#x}): confirm it or let it revert first"
            ),
            Refusal::NotTesting => f.write_str("no test install is running"),
            Refusal::NotTwoVersions => f.write_str(
                "the old and new images are not two installed versions of one app",
            ),
            Refusal::NoRoom => f.write_str("no room after the last app for the test record"),
        }
    }
}

/// The writes of one transition: at most three.
pub type Plan = [Option<Write>; 3];

/// The app images of the chain, with padding: (address, size, name or
/// `None` for padding).
fn images(flash: &[u8], base: usize) -> impl Iterator<Item = (usize, usize, Option<&str>)> {
    let mut offset = 0usize;
    core::iter::from_fn(move || {
        let rest = flash.get(offset..)?;
        let size = tbf::parse_base(rest).ok()?.total_size as usize;
        let image = rest.get(..size).filter(|image| !image.is_empty())?;
        let header = tbf::parse_header(image).ok()?;
        let address = base + offset;
        offset += size;
        let name = header.is_app().then(|| header.package_name().unwrap_or(""));
        Some((address, size, name))
    })
}

/// Where the chain ends (the address after its last image).
pub fn chain_end(flash: &[u8], base: usize) -> usize {
    images(flash, base)
        .last()
        .map_or(base, |(address, size, _)| address + size)
}

/// The app image at `address`: its size and name.
fn app_at(flash: &[u8], base: usize, address: usize) -> Option<(usize, &str)> {
    images(flash, base)
        .find(|&(at, _, name)| at == address && name.is_some())
        .and_then(|(_, size, name)| Some((size, name?)))
}

fn word(bytes: &[u8], offset: usize) -> Option<u32> {
    let slice = bytes.get(offset..offset + 4)?;
    Some(u32::from_le_bytes([slice[0], slice[1], slice[2], slice[3]]))
}

/// The record's bytes (with the end-of-chain mark after it).
pub fn record_bytes(old: usize, new: usize) -> [u8; RECORD_WRITE_SIZE] {
    let mut bytes = [0xFF; RECORD_WRITE_SIZE];
    bytes[..16].copy_from_slice(&tbf::padding_header(RECORD_IMAGE_SIZE as u32));
    bytes[MAGIC_OFFSET..MAGIC_OFFSET + 4].copy_from_slice(&RECORD_MAGIC.to_le_bytes());
    bytes[20..24].copy_from_slice(&(old as u32).to_le_bytes());
    bytes[24..28].copy_from_slice(&(new as u32).to_le_bytes());
    let crc = loader_protocol::crc32(&bytes[MAGIC_OFFSET..CRC_OFFSET]);
    bytes[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_le_bytes());
    bytes
}

/// The test that has not finished, if any (the first in the chain).
pub fn active(flash: &[u8], base: usize) -> Option<Record> {
    images(flash, base)
        .filter(|&(_, size, name)| name.is_none() && size == RECORD_IMAGE_SIZE)
        .find_map(|(at, _, _)| {
            let bytes = flash.get(at - base..at - base + RECORD_IMAGE_SIZE)?;
            let intact = word(bytes, MAGIC_OFFSET)? == RECORD_MAGIC
                && word(bytes, CRC_OFFSET)?
                    == loader_protocol::crc32(&bytes[MAGIC_OFFSET..CRC_OFFSET]);
            let finished = word(bytes, FINISHED_OFFSET)? != u32::MAX;
            (intact && !finished).then(|| Record {
                at,
                old: word(bytes, 20).unwrap_or(0) as usize,
                new: word(bytes, 24).unwrap_or(0) as usize,
                confirmed: word(bytes, CONFIRMED_OFFSET).unwrap_or(u32::MAX) != u32::MAX,
            })
        })
}

/// The writes that perform `transition` on `flash` (app flash, whose
/// first byte is at `base`), or why it cannot happen. Pure: the caller
/// applies them in order ([`apply`]).
pub fn plan(flash: &[u8], base: usize, transition: Transition) -> Result<Plan, Refusal> {
    let record = active(flash, base);
    let name_of = |address| app_at(flash, base, address);
    // Free `doomed` only while `kept` is an intact app of the same name.
    let free_if_other_stays = |doomed: usize, kept: usize| match (name_of(doomed), name_of(kept)) {
        (Some((size, doomed_name)), Some((_, kept_name))) if doomed_name == kept_name => {
            Some(Write::Free {
                address: doomed,
                size,
            })
        }
        _ => None,
    };
    let finished = |record: Record| Some(Write::SetWord(record.at + FINISHED_OFFSET));
    match transition {
        Transition::Begin { old, new } => {
            if let Some(record) = record {
                return Err(Refusal::AlreadyTesting(record.at));
            }
            match (name_of(old), name_of(new)) {
                (Some((_, old_name)), Some((_, new_name)))
                    if old_name == new_name && old != new => {}
                _ => return Err(Refusal::NotTwoVersions),
            }
            let at = chain_end(flash, base);
            if at + RECORD_WRITE_SIZE > base + flash.len() {
                return Err(Refusal::NoRoom);
            }
            Ok([Some(Write::Record { at, old, new }), None, None])
        }
        Transition::Confirm => {
            let record = record.ok_or(Refusal::NotTesting)?;
            let confirm =
                (!record.confirmed).then_some(Write::SetWord(record.at + CONFIRMED_OFFSET));
            Ok([
                confirm,
                free_if_other_stays(record.old, record.new),
                finished(record),
            ])
        }
        Transition::Revert => {
            let record = record.ok_or(Refusal::NotTesting)?;
            if record.confirmed {
                // Past the point of no return: only finishing is left.
                return plan(flash, base, Transition::Confirm);
            }
            Ok([
                free_if_other_stays(record.new, record.old),
                finished(record),
                None,
            ])
        }
        Transition::Boot => match record {
            None => Ok([None, None, None]),
            Some(record) if record.confirmed => plan(flash, base, Transition::Confirm),
            Some(_) => plan(flash, base, Transition::Revert),
        },
    }
}

/// The bytes and flash address of one write.
fn bytes_of(write: Write, buffer: &mut [u8; RECORD_WRITE_SIZE]) -> (usize, &[u8]) {
    match write {
        Write::Record { at, old, new } => {
            *buffer = record_bytes(old, new);
            (at, &buffer[..])
        }
        Write::Free { address, size } => {
            buffer[..16].copy_from_slice(&tbf::padding_header(size as u32));
            (address, &buffer[..16])
        }
        Write::SetWord(address) => {
            buffer[..4].copy_from_slice(&[0; 4]);
            (address, &buffer[..4])
        }
    }
}

/// Apply `plan` through the journal (`flash_base`: the address of flash
/// offset 0). A write that crosses an erase block is split, the piece
/// holding its first byte written last (so a record's header links it
/// only once the rest is there).
pub fn apply(
    plan: &Plan,
    rewriter: &dyn BlockRewrite,
    flash_base: usize,
    block_size: usize,
) -> Result<(), JournalError> {
    let mut buffer = [0xFF; RECORD_WRITE_SIZE];
    for write in plan.iter().flatten() {
        let (address, bytes) = bytes_of(*write, &mut buffer);
        let offset = address - flash_base;
        let split = (offset / block_size + 1) * block_size - offset;
        if split < bytes.len() {
            rewriter.rewrite(offset + split, &bytes[split..])?;
            rewriter.rewrite(offset, &bytes[..split])?;
        } else {
            rewriter.rewrite(offset, bytes)?;
        }
    }
    Ok(())
}
