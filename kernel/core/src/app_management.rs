//! Runtime app management: install, replace and remove processes while the
//! kernel runs, without a reboot.
//!
//! A trusted caller (the loader service, holding a
//! [`ProcessManagementCapability`]) first writes the new TBF image into
//! free app flash, then [`AppManagement::request`]s an operation naming
//! images by their flash address. The main loop, which owns every
//! process's architecture state, performs the request between two process
//! runs ([`AppManagement::perform`]) and tells the client how it went.
//!
//! ```text
//!  loader service --request(Install{address})--> AppManagement (one slot)
//!  KernelLoop::step --perform(contexts)--> process_loading::load_one
//!                  --operation_done(result)--> loader service
//! ```
//!
//! Guarantees:
//! - an install goes through the boot loading path
//!   ([`crate::process_loading`]), so every check that applies at boot
//!   (header, kernel version, enabled flag, fixed addresses, RAM, and the
//!   board's credential policy) applies to it too;
//! - only images inside the board's app flash are ever loaded, and never
//!   two processes from overlapping flash;
//! - removing a process frees its slot and its RAM for the next install
//!   (RAM is placed in the lowest free gap, see `place_ram`);
//! - a failed replace leaves the old process loaded again, from its own
//!   (still intact) image; a replace of an app image nothing runs from
//!   (disabled, or refused by the board) starts the new one, with nothing
//!   to stop.
//!
//! Must never: touch flash (writing is the service's job, through the
//! flash HIL), or change a process while it runs (requests wait for the
//! main loop).

use core::cell::Cell;

use tbf::parse_base;

use crate::capability::ProcessManagementCapability;
use crate::kernel::{Kernel, ProcessContext};
use crate::platform::{MemoryProtection, Region, UserspaceBoundary};
use crate::process_loading::{load_one, LoadConfiguration, SkipReason};

/// An operation on the apps of a running kernel. Images are named by the
/// flash address of their TBF header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppOperation {
    /// Load the image at `address` as a new process and start it.
    Install {
        /// Its TBF header.
        address: usize,
    },
    /// Stop and unload the process loaded from `old`, then load the image
    /// at `new`; if that fails, load `old` again. When nothing runs from
    /// the app image at `old`, only load `new`.
    Replace {
        /// The image being replaced.
        old: usize,
        /// The new image.
        new: usize,
    },
    /// Stop and unload the process loaded from `address`.
    Remove {
        /// Its TBF header.
        address: usize,
    },
}

/// Why an operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManagementError {
    /// The address is not inside app flash, or the image runs past it.
    OutsideAppFlash(usize),
    /// A loaded process already uses flash at this address.
    AlreadyLoaded(usize),
    /// No loaded process starts at this address.
    NotFound(usize),
    /// The image is padding, not an app.
    NotAnApp(usize),
    /// The image failed a loading check (the reason says which).
    Refused(SkipReason),
    /// Another operation is still waiting for the main loop.
    Busy,
}

impl core::fmt::Display for ManagementError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ManagementError::OutsideAppFlash(address) => {
                write!(f, "{:#x} is not an image inside app flash", address)
            }
            ManagementError::AlreadyLoaded(address) => {
                write!(f, "a process already runs from flash at {:#x}", address)
            }
            ManagementError::NotFound(address) => {
                write!(f, "no process is loaded from {:#x}", address)
            }
            ManagementError::NotAnApp(address) => {
                write!(f, "the image at {:#x} is padding, not an app", address)
            }
            ManagementError::Refused(reason) => write!(f, "refused: {}", reason),
            ManagementError::Busy => f.write_str("another app operation is in progress"),
        }
    }
}

/// An app image in the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppImage {
    /// Its TBF header's address.
    pub address: usize,
    /// Its total size.
    pub size: usize,
    /// Its header's enabled flag.
    pub enabled: bool,
    /// Its package name (empty when it has none).
    pub name: &'static str,
}

/// Iterator over the app images of the chain ([`AppManagement::app_images`]).
pub struct AppImages {
    flash: &'static [u8],
    offset: usize,
}

impl Iterator for AppImages {
    type Item = AppImage;

    fn next(&mut self) -> Option<AppImage> {
        loop {
            let rest = self.flash.get(self.offset..)?;
            let size = parse_base(rest).ok()?.total_size as usize;
            let image = rest.get(..size).filter(|image| !image.is_empty())?;
            let address = rest.as_ptr() as usize;
            self.offset += size;
            let Ok(header) = tbf::parse_header(image) else {
                return None;
            };
            if header.is_app() {
                return Some(AppImage {
                    address,
                    size,
                    enabled: header.enabled(),
                    name: header.package_name().unwrap_or(""),
                });
            }
        }
    }
}

/// Told when a requested operation has been performed.
pub trait AppManagementClient {
    /// `operation` ended: the slot of the process it started (`None` for a
    /// removal), or why it failed.
    fn operation_done(
        &self,
        operation: AppOperation,
        result: Result<Option<usize>, ManagementError>,
    );
}

/// The board's app memory and at most one pending operation.
pub struct AppManagement {
    app_flash: &'static [u8],
    app_ram: Region,
    configuration: LoadConfiguration,
    pending: Cell<Option<AppOperation>>,
    client: Cell<Option<&'static dyn AppManagementClient>>,
}

impl AppManagement {
    /// Management of the apps in `app_flash`, placing RAM in `app_ram`
    /// (the same values the board gave boot loading).
    pub const fn new(
        app_flash: &'static [u8],
        app_ram: Region,
        configuration: LoadConfiguration,
    ) -> Self {
        AppManagement {
            app_flash,
            app_ram,
            configuration,
            pending: Cell::new(None),
            client: Cell::new(None),
        }
    }

    /// Who is told when an operation ends.
    pub fn set_client(&self, client: &'static dyn AppManagementClient) {
        self.client.set(Some(client));
    }

    /// App flash as a region (for the service's address checks).
    pub fn app_flash(&self) -> Region {
        Region::new(self.app_flash.as_ptr() as usize, self.app_flash.len())
    }

    /// App flash as bytes (reads for the service: READ_RANGE, CRC, the
    /// erased-space checks).
    pub fn app_flash_bytes(&self) -> &'static [u8] {
        self.app_flash
    }

    /// Ask for `operation`; the main loop performs it and tells the client.
    pub fn request(
        &self,
        operation: AppOperation,
        _capability: &dyn ProcessManagementCapability,
    ) -> Result<(), ManagementError> {
        if self.pending.get().is_some() {
            return Err(ManagementError::Busy);
        }
        self.pending.set(Some(operation));
        Ok(())
    }

    /// True while an operation waits for the main loop.
    #[inline(always)] // reason: checked on every turn of the main loop
    pub fn has_request(&self) -> bool {
        self.pending.get().is_some()
    }

    /// The slot of the loaded process whose image starts at `address`.
    pub fn process_at(&self, kernel: &Kernel, address: usize) -> Option<usize> {
        kernel
            .processes()
            .iter()
            .position(|process| process.is_loaded() && process.layout().flash.start == address)
    }

    /// Every app image in the chain (padding left out), in flash order,
    /// whether or not a process runs from it.
    pub fn app_images(&self) -> AppImages {
        AppImages {
            flash: self.app_flash,
            offset: 0,
        }
    }

    /// The address of the first enabled app image in the chain, at or
    /// after `from`, that no loaded process runs from (written by a tool
    /// that does not ask for installs, such as upstream tockloader).
    pub fn next_unloaded_app(&self, kernel: &Kernel, from: usize) -> Option<usize> {
        let start = self.app_flash.as_ptr() as usize;
        let mut offset = 0;
        loop {
            let base = parse_base(self.app_flash.get(offset..)?).ok()?;
            let address = start + offset;
            let size = base.total_size as usize;
            let image = self.app_flash.get(offset..offset.checked_add(size)?)?;
            let loaded = kernel.processes().iter().any(|process| {
                process.is_loaded()
                    && crate::memory::ranges_overlap(
                        process.layout().flash,
                        Region::new(address, size),
                    )
            });
            let enabled_app =
                tbf::parse_header(image).is_ok_and(|header| header.is_app() && header.enabled());
            if address >= from && enabled_app && !loaded {
                return Some(address);
            }
            if size == 0 {
                return None;
            }
            offset += size;
        }
    }

    /// Perform the pending operation (called by the main loop, between
    /// process runs) and tell the client.
    pub fn perform<U: UserspaceBoundary, M: MemoryProtection>(
        &self,
        kernel: &Kernel,
        protection: &M,
        contexts: &mut [ProcessContext<U, M>],
    ) {
        let Some(operation) = self.pending.take() else {
            return;
        };
        let result = self.apply(operation, kernel, protection, contexts);
        match result {
            Ok(Some(index)) => kernel.print(format_args!(
                "[kernel] installed {} at {:#x}\r\n",
                kernel.processes()[index].name(),
                kernel.processes()[index].layout().flash.start
            )),
            Ok(None) => {}
            Err(error) => kernel.print(format_args!("[kernel] app operation: {}\r\n", error)),
        }
        if let Some(client) = self.client.get() {
            client.operation_done(operation, result);
        }
    }

    /// Perform `operation` at once (the main loop's work, and tests').
    pub fn apply<U: UserspaceBoundary, M: MemoryProtection>(
        &self,
        operation: AppOperation,
        kernel: &Kernel,
        protection: &M,
        contexts: &mut [ProcessContext<U, M>],
    ) -> Result<Option<usize>, ManagementError> {
        match operation {
            AppOperation::Install { address } => {
                self.install(address, kernel, protection, contexts)
            }
            AppOperation::Remove { address } => {
                let Some(index) = self.process_at(kernel, address) else {
                    // An image nothing runs from (refused by the credential
                    // checker, disabled): nothing to stop, and the caller
                    // may free its flash.
                    return self.app_image_at(address).map(|_| None);
                };
                kernel.print(format_args!(
                    "[kernel] removing {} at {:#x}\r\n",
                    kernel.processes()[index].name(),
                    address
                ));
                kernel.unload(index);
                Ok(None)
            }
            AppOperation::Replace { old, new } => {
                let Some(index) = self.process_at(kernel, old) else {
                    // Nothing runs from the old image (disabled, or refused
                    // by the board): nothing to stop, the new one starts.
                    self.app_image_at(old)?;
                    return self.install(new, kernel, protection, contexts);
                };
                kernel.unload(index);
                let installed = self.install(new, kernel, protection, contexts);
                if installed.is_err() {
                    // Its image was not touched: it loads as it did before.
                    let _ = self.install(old, kernel, protection, contexts);
                }
                installed
            }
        }
    }

    fn install<U: UserspaceBoundary, M: MemoryProtection>(
        &self,
        address: usize,
        kernel: &Kernel,
        protection: &M,
        contexts: &mut [ProcessContext<U, M>],
    ) -> Result<Option<usize>, ManagementError> {
        let image = self.image_at(address)?;
        let flash = Region::new(address, image.len());
        let overlapping = kernel.processes().iter().any(|process| {
            process.is_loaded() && crate::memory::ranges_overlap(process.layout().flash, flash)
        });
        if overlapping {
            return Err(ManagementError::AlreadyLoaded(address));
        }
        match load_one(
            kernel,
            protection,
            contexts,
            image,
            self.app_ram,
            self.app_ram.start,
            self.configuration,
        ) {
            Ok(Some(index)) => Ok(Some(index)),
            Ok(None) => Err(ManagementError::NotAnApp(address)),
            Err(reason) => Err(ManagementError::Refused(reason)),
        }
    }

    /// The app image (not padding) whose header is at `address`, or
    /// `NotFound`.
    fn app_image_at(&self, address: usize) -> Result<&'static [u8], ManagementError> {
        let image = self.image_at(address)?;
        match tbf::parse_header(image) {
            Ok(header) if header.is_app() => Ok(image),
            _ => Err(ManagementError::NotFound(address)),
        }
    }

    /// The whole image whose header is at `address`, inside app flash.
    fn image_at(&self, address: usize) -> Result<&'static [u8], ManagementError> {
        let outside = ManagementError::OutsideAppFlash(address);
        let offset = address
            .checked_sub(self.app_flash.as_ptr() as usize)
            .ok_or(outside)?;
        let remaining = self.app_flash.get(offset..).ok_or(outside)?;
        let base = parse_base(remaining)
            .map_err(|error| ManagementError::Refused(SkipReason::Malformed(error)))?;
        remaining
            .get(..base.total_size as usize)
            .filter(|image| !image.is_empty())
            .ok_or(outside)
    }
}
