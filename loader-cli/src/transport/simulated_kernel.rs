//! A running kernel with the loader service, simulated in memory: the
//! host tests' stand-in for qemu-rv32-virt's live device.
//!
//! It keeps the rules the real one keeps (`kernel::app_management` and
//! the `app_loader` capsule), so that loader planning can be driven through
//! long operation sequences in milliseconds:
//! - a write that changes a byte of a loaded process's image is refused;
//! - an install loads an enabled app image nothing runs from, if the
//!   board's policy accepts it (with `require_credentials`, only images
//!   with a SHA-256 credential that verifies: digests stand in for
//!   signatures);
//! - a replace stops the old process and starts the new image; if the
//!   new one is refused, the old one runs again; with nothing running
//!   from the old app image, it only starts the new one;
//! - one process per app name: loading a higher version stops the lower
//!   one, a lower or equal version is refused (the kernel's identity
//!   rule);
//! - a remove stops the process, or succeeds with nothing to stop on an
//!   app image nothing runs from;
//! - a replace in place checks the new image's copy (its erase block, the
//!   board's policy) before the old process stops, then changes the slot
//!   in one step (the flash journal's commit) and starts the new image.

use super::{LiveOperation, MemoryFlash, Transport};
use crate::error::{LoaderError, LoaderResult};
use loader_protocol::{AppAction, AppState, ProcessAction, RefusalReason};

/// A process the simulated kernel runs: the flash range of its image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulatedProcess {
    /// The image's header.
    pub address: u32,
    /// The image's total size.
    pub size: u32,
    /// The app's name.
    pub name: String,
    /// Its version (Program TLV).
    pub version: u32,
    /// Running (or yielded), stopped; the simulated apps never exit.
    pub state: AppState,
}

/// App flash in memory plus the processes loaded from it.
#[derive(Clone, Debug)]
pub struct SimulatedKernel {
    /// The flash.
    pub flash: MemoryFlash,
    /// Where the app chain starts.
    pub app_start: u32,
    /// Processes loaded now.
    pub processes: Vec<SimulatedProcess>,
    /// Only images with credentials run (a board with a signing policy).
    pub require_credentials: bool,
    /// Every live operation asked for, in order, with whether it was done.
    pub operations: Vec<(LiveOperation, bool)>,
    /// The flash's erase block: a replace in place changes one.
    pub erase_block: u32,
}

/// qemu-rv32-virt's pflash erase block.
const DEFAULT_ERASE_BLOCK: u32 = 0x4_0000;

impl SimulatedKernel {
    /// A kernel with nothing running over `flash`, apps from `app_start`.
    pub fn new(flash: MemoryFlash, app_start: u32, require_credentials: bool) -> SimulatedKernel {
        SimulatedKernel {
            flash,
            app_start,
            processes: Vec::new(),
            require_credentials,
            operations: Vec::new(),
            erase_block: DEFAULT_ERASE_BLOCK,
        }
    }

    /// A reset: every process is gone; of each app name's images only
    /// the one the board would run stays (the capsule's
    /// `free_duplicate_images`); then each enabled app image of the chain
    /// that the board accepts is loaded, as at boot.
    pub fn reboot(&mut self) {
        self.processes.clear();
        self.free_duplicate_images();
        let (start, end) = (self.app_start, self.flash_end());
        let Ok(chain) = crate::chain::read_chain(self, start, end) else {
            return;
        };
        for app in chain.apps() {
            let _ = self.load(app.address);
        }
    }

    /// Of each name's images keep the highest version the board accepts
    /// (the highest version when it accepts none; the first on a tie);
    /// the others become padding.
    fn free_duplicate_images(&mut self) {
        let (start, end) = (self.app_start, self.flash_end());
        let Ok(chain) = crate::chain::read_chain(self, start, end) else {
            return;
        };
        let mut keep: std::collections::BTreeMap<String, ((bool, u32), u32)> = Default::default();
        let mut ranked = Vec::new();
        for app in chain.apps() {
            let image = self
                .flash
                .read(app.address, app.total_size as usize)
                .unwrap_or_default();
            let accepted = tbf::parse(&image)
                .is_ok_and(|tbf| !self.require_credentials || verified(&tbf, &image));
            let rank = (accepted, app.version.unwrap_or(0));
            let best = keep.entry(app.name.clone()).or_insert((rank, app.address));
            if rank > best.0 {
                *best = (rank, app.address);
            }
            ranked.push((app.name.clone(), app.address, app.total_size));
        }
        for (name, address, size) in ranked {
            if keep.get(&name).is_some_and(|(_, kept)| *kept != address) {
                let _ = self
                    .flash
                    .write(address, &crate::image::padding_header(size));
            }
        }
    }

    fn flash_end(&self) -> u64 {
        u64::from(self.flash.base) + self.flash.bytes.len() as u64
    }

    /// The process loaded from `address`, if one is.
    pub fn process_at(&self, address: u32) -> Option<&SimulatedProcess> {
        self.processes
            .iter()
            .find(|process| process.address == address)
    }

    fn refused(&self, command: &str, answer: String) -> LoaderError {
        LoaderError::Protocol {
            device: self.describe(),
            command: command.to_string(),
            answer,
            hint: "the running apps are unchanged".to_string(),
        }
    }

    /// Load the image at `address` as the kernel would, or say why not.
    fn load(&mut self, address: u32) -> Result<(), String> {
        let base = self
            .flash
            .read(address, tbf::BASE_HEADER_SIZE)
            .ok()
            .and_then(|bytes| tbf::parse_base(&bytes).ok())
            .ok_or_else(|| format!("BadImage: no image at {address:#x}"))?;
        let image = self
            .flash
            .read(address, base.total_size as usize)
            .map_err(|_| format!("BadAddress: {address:#x} is outside app flash"))?;
        let tbf = tbf::parse(&image).map_err(|error| format!("BadImage: {error:?}"))?;
        if !tbf.is_app() {
            return Err(format!("BadImage: the image at {address:#x} is padding"));
        }
        let end = address + base.total_size;
        if self
            .processes
            .iter()
            .any(|process| process.address < end && address < process.address + process.size)
        {
            return Err(format!(
                "BadAddress: a process already runs from flash at {address:#x}"
            ));
        }
        if !tbf.enabled() {
            return Err("BadImage: refused: the app is disabled".to_string());
        }
        if self.require_credentials && !verified(&tbf, &image) {
            return Err(
                "CredentialsRejected: refused: no credential that verifies (altered after signing, or not signed)".to_string(),
            );
        }

        let name = tbf.package_name().unwrap_or_default().to_string();
        let version = tbf.program().map_or(0, |program| program.app_version);
        // The kernel's identity rule: one process per app, the higher
        // version runs (on a tie, the one already running).
        if let Some(other) = self.processes.iter().position(|p| p.name == name) {
            if self.processes[other].version >= version {
                return Err(format!(
                    "CredentialsRejected: refused: not started: {name} version {} has the same identity (the higher version runs)",
                    self.processes[other].version
                ));
            }
            self.processes.remove(other);
        }
        self.processes.push(SimulatedProcess {
            address,
            size: base.total_size,
            name,
            version,
            state: AppState::Running,
        });
        Ok(())
    }

    /// Whether the image at `address` has a credential that verifies.
    fn image_verifies(&mut self, address: u32) -> bool {
        let size = self
            .flash
            .read(address, tbf::BASE_HEADER_SIZE)
            .ok()
            .and_then(|header| tbf::parse_base(&header).ok())
            .map_or(0, |base| base.total_size as usize);
        let image = self.flash.read(address, size).unwrap_or_default();
        tbf::parse(&image).is_ok_and(|tbf| verified(&tbf, &image))
    }

    /// CONTROL_PROCESS, checked against the shared model as the capsule
    /// checks it.
    fn control(&mut self, address: u32, action: ProcessAction) -> Result<(), String> {
        let wanted = match action {
            ProcessAction::Stop => AppAction::Stop,
            ProcessAction::Resume => AppAction::Start,
            ProcessAction::Restart => AppAction::Restart,
        };
        let Some(index) = self.processes.iter().position(|p| p.address == address) else {
            return match self.is_app_image(address) {
                true => Err(format!("WrongState: no process runs from {address:#x}")),
                false => Err(format!("NotFound: no app image starts at {address:#x}")),
            };
        };
        let process = &mut self.processes[index];
        if let Err(wrong) = process.state.check(wanted) {
            return Err(format!("WrongState: {wrong}"));
        }
        process.state = match action {
            ProcessAction::Stop => AppState::Stopped,
            ProcessAction::Resume | ProcessAction::Restart => AppState::Running,
        };
        Ok(())
    }

    fn unload(&mut self, address: u32) -> bool {
        let before = self.processes.len();
        self.processes.retain(|process| process.address != address);
        self.processes.len() != before
    }

    /// True when an app image (not padding, not erased flash) starts at
    /// `address`.
    fn is_app_image(&mut self, address: u32) -> bool {
        let Ok(header) = self.flash.read(address, tbf::BASE_HEADER_SIZE) else {
            return false;
        };
        let Ok(base) = tbf::parse_base(&header) else {
            return false;
        };
        let header = self.flash.read(address, usize::from(base.header_size));
        header.is_ok_and(|bytes| tbf::parse_header(&bytes).is_ok_and(|tbf| tbf.is_app()))
    }

    fn perform(&mut self, operation: LiveOperation) -> Result<(), String> {
        match operation {
            LiveOperation::Install(address) => self.load(address),
            LiveOperation::Replace { old, new } => {
                // The capsule checks the board's policy before it stops
                // the old process: a refused build changes nothing.
                if self.require_credentials && !self.image_verifies(new) {
                    return Err("CredentialsRejected: the old one keeps running; the new build was refused: no credential that verifies".to_string());
                }
                if !self.unload(old) {
                    if !self.is_app_image(old) {
                        return Err(format!("NotFound: no process is loaded from {old:#x}"));
                    }
                    // Nothing runs from the old image: nothing to stop.
                    return self.load(new);
                }
                let loaded = self.load(new);
                if loaded.is_err() {
                    let _ = self.load(old);
                }
                loaded
            }
            LiveOperation::ReplaceInPlace {
                old,
                new,
                source,
                length,
            } => self.replace_in_place(old, new, source, length),
            LiveOperation::Control { address, action } => self.control(address, action),
            LiveOperation::Remove(address) => {
                if self.unload(address) {
                    return Ok(());
                }
                match self.is_app_image(address) {
                    true => Ok(()),
                    false => Err(format!("NotFound: no process is loaded from {address:#x}")),
                }
            }
        }
    }
}

impl SimulatedKernel {
    /// REPLACE_IN_PLACE as the capsule serves it: every check before the
    /// old process stops, then one commit, then the new image loads.
    fn replace_in_place(
        &mut self,
        old: u32,
        new: u32,
        source: u32,
        length: u32,
    ) -> Result<(), String> {
        let last = old + length.max(1) - 1;
        if old / self.erase_block != last / self.erase_block {
            return Err(format!(
                "BadAddress: the slot at {old:#x} ({length} bytes) spans two erase blocks of {} bytes; nothing was changed",
                self.erase_block
            ));
        }
        if !self.is_app_image(old) {
            return Err(format!("NotFound: no app image starts at {old:#x}"));
        }
        let copy = self
            .flash
            .read(source, length as usize)
            .map_err(|_| format!("BadAddress: the copy at {source:#x} is outside app flash"))?;
        let image = new
            .checked_sub(old)
            .and_then(|offset| copy.get(offset as usize..))
            .and_then(|rest| {
                let size = tbf::parse_base(rest).ok()?.total_size as usize;
                rest.get(..size)
            })
            .ok_or_else(|| format!("BadImage: the copy holds no image for {new:#x}"))?;
        let tbf = tbf::parse(image).map_err(|error| format!("BadImage: {error:?}"))?;
        if self.require_credentials && !verified(&tbf, image) {
            return Err("CredentialsRejected: the old one keeps running; the new build was refused: no credential that verifies".to_string());
        }
        let others = self.processes.iter().find(|process| {
            process.address != old
                && process.address < old + length
                && old < process.address + process.size
        });
        if let Some(other) = others {
            return Err(format!(
                "BadAddress: the slot at {old:#x} overlaps the loaded app {}",
                other.name
            ));
        }
        self.unload(old);
        // The journal's commit: the whole slot at once.
        self.flash
            .write(old, &copy)
            .map_err(|error| format!("InternalError: {error}"))?;
        self.load(new)
    }
}

/// True when a SHA-256 credential over the integrity region matches it
/// (the simulated board's policy: digests stand in for signatures).
fn verified(tbf: &tbf::Tbf<'_>, image: &[u8]) -> bool {
    let Ok(region) = tbf::integrity_region(image) else {
        return false;
    };
    let digest = tbf::crypto::sha256(region);
    tbf.footers().any(|footer| match footer {
        Ok(tbf::Footer::Credentials(credential)) => {
            credential.format == tbf::CredentialsFormat::Sha256 && credential.data == digest
        }
        _ => false,
    })
}

impl Transport for SimulatedKernel {
    fn describe(&self) -> String {
        "simulated running kernel".to_string()
    }

    fn read(&mut self, address: u32, length: usize) -> LoaderResult<Vec<u8>> {
        self.flash.read(address, length)
    }

    fn write(&mut self, address: u32, bytes: &[u8]) -> LoaderResult<()> {
        let current = self.flash.read(address, bytes.len())?;
        let changes = |process: &SimulatedProcess| {
            (0..bytes.len()).any(|offset| {
                let byte = address + offset as u32;
                current[offset] != bytes[offset]
                    && (process.address..process.address + process.size).contains(&byte)
            })
        };
        if let Some(process) = self.processes.iter().find(|process| changes(process)) {
            return Err(self.refused(
                "WritePage",
                format!(
                    "BadAddress: the write at {address:#x} changes the image of the running {}",
                    process.name
                ),
            ));
        }
        self.flash.write(address, bytes)
    }

    fn is_live(&mut self) -> bool {
        true
    }

    fn app_states(&mut self) -> LoaderResult<Option<Vec<(u32, AppState)>>> {
        let (start, end) = (self.app_start, self.flash_end());
        let chain = crate::chain::read_chain(self, start, end)?;
        let states = chain
            .apps()
            .map(|app| {
                let state = match self.process_at(app.address) {
                    Some(process) => process.state,
                    None if app.enabled => AppState::Refused,
                    None => AppState::Disabled,
                };
                (app.address, state)
            })
            .collect();
        Ok(Some(states))
    }

    fn refusal_reasons(&mut self) -> LoaderResult<Vec<(u32, RefusalReason)>> {
        let states = self.app_states()?.unwrap_or_default();
        let mut reasons = Vec::new();
        for (address, state) in states {
            if state != AppState::Refused {
                continue;
            }
            let size = self
                .flash
                .read(address, tbf::BASE_HEADER_SIZE)
                .ok()
                .and_then(|header| tbf::parse_base(&header).ok())
                .map_or(0, |base| base.total_size as usize);
            let image = self.flash.read(address, size).unwrap_or_default();
            let reason = match tbf::parse(&image) {
                Err(_) => RefusalReason::Malformed,
                Ok(tbf) if self.require_credentials && !verified(&tbf, &image) => {
                    match tbf
                        .footers()
                        .any(|footer| matches!(footer, Ok(tbf::Footer::Credentials(_))))
                    {
                        true => RefusalReason::CredentialInvalid,
                        false => RefusalReason::NotSigned,
                    }
                }
                Ok(_) => RefusalReason::Unknown,
            };
            reasons.push((address, reason));
        }
        Ok(reasons)
    }

    fn live_operation(&mut self, operation: LiveOperation) -> LoaderResult<()> {
        let result = self.perform(operation);
        self.operations.push((operation, result.is_ok()));
        result.map_err(|answer| self.refused(&format!("{operation:?}"), answer))
    }
}
