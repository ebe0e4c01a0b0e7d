//! Loading processes at boot from the chain of TBF images in app flash
//! (the next image starts `total_size` bytes after this one).
//!
//! Every rule is enforced, each with a console message when an image is
//! skipped; the rest of the chain still loads:
//! - the header parses and its checksum matches (`tbf::parse_header`);
//! - a KernelVersion TLV is present, major 2, minor at most ours (3);
//! - the image is enabled (padding images are skipped silently);
//! - fixed flash/RAM addresses, when present, are where it sits / where
//!   its RAM can be placed;
//! - its minimum RAM (plus the grant region) fits in what is left.
//!
//! The chain ends at erased flash (version 0xFFFF or 0, or 0xFF00: the one
//! 0x00 byte tockloader writes as an end marker) or at a header too
//! broken to tell where the next image starts.

use tbf::{parse_base, parse_header, ParseError, Tbf};

use crate::capability::ProcessManagementCapability;
use crate::kernel::{Kernel, ProcessContext};
use crate::memory::MemoryLayout;
use crate::platform::{MemoryProtection, Region, UserspaceBoundary};

/// Board choices for loading.
#[derive(Clone, Copy, Debug)]
pub struct LoadConfiguration {
    /// Bytes added to each process's minimum RAM for its grant region.
    pub grant_region_bytes: usize,
}

impl Default for LoadConfiguration {
    fn default() -> Self {
        LoadConfiguration {
            grant_region_bytes: 1024,
        }
    }
}

/// What loading did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadSummary {
    /// Processes created.
    pub loaded: usize,
    /// Images skipped (bad, disabled, incompatible or not fitting).
    pub skipped: usize,
    /// First byte of app RAM not given to a process.
    pub ram_used_until: usize,
}

/// Why one image was not loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// The header did not parse.
    Malformed(ParseError),
    /// No KernelVersion TLV.
    NoKernelVersion,
    /// KernelVersion asks for an ABI we do not implement.
    IncompatibleKernelVersion(u16, u16),
    /// The enabled flag is clear.
    Disabled,
    /// Linked for another flash address.
    WrongFlashAddress(u32),
    /// Its RAM cannot be placed (fixed address taken, or too little RAM).
    NoRam(usize),
    /// The entry point lies outside the image.
    EntryOutsideImage,
    /// The image runs past the end of app flash.
    Truncated,
    /// Every process slot is taken.
    NoFreeSlot,
    /// Refused by the credential policy, or superseded by an app with the
    /// same identity ([`crate::credential`]).
    NotStarted(crate::credential::NotStarted),
}

impl core::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SkipReason::Malformed(error) => write!(f, "malformed header: {}", error),
            SkipReason::NoKernelVersion => {
                f.write_str("no KernelVersion header (rebuild with a current elf2tab)")
            }
            SkipReason::IncompatibleKernelVersion(major, minor) => {
                let (our_major, our_minor) = kernel_abi::KERNEL_VERSION;
                write!(
                    f,
                    "needs kernel {}.{}, this kernel implements {}.{}",
                    major, minor, our_major, our_minor
                )
            }
            SkipReason::Disabled => f.write_str("disabled"),
            SkipReason::WrongFlashAddress(address) => {
                write!(f, "linked for flash address {:#x}", address)
            }
            SkipReason::NoRam(bytes) => write!(f, "cannot place {} bytes of RAM", bytes),
            SkipReason::EntryOutsideImage => f.write_str("entry point outside the image"),
            SkipReason::Truncated => f.write_str("image runs past the end of app flash"),
            SkipReason::NoFreeSlot => f.write_str("no free process slot"),
            #[cfg(feature = "credentials")]
            SkipReason::NotStarted(reason) => reason.fmt(f),
            // Without `credentials` no process is ever refused or
            // superseded (there is no checker and no settling), so the
            // refusal texts are not linked in.
            #[cfg(not(feature = "credentials"))]
            SkipReason::NotStarted(_) => f.write_str("not started"),
        }
    }
}

/// Load every valid image of `app_flash` into `kernel`'s process slots,
/// placing RAM inside `app_ram` through `protection`.
pub fn load_processes<U: UserspaceBoundary, M: MemoryProtection>(
    kernel: &Kernel,
    protection: &M,
    contexts: &mut [ProcessContext<U, M>],
    app_flash: &'static [u8],
    app_ram: Region,
    configuration: LoadConfiguration,
    _capability: &dyn ProcessManagementCapability,
) -> LoadSummary {
    let mut summary = LoadSummary {
        ram_used_until: app_ram.start,
        ..LoadSummary::default()
    };
    let mut offset = 0usize;
    while let Some(remaining) = app_flash.get(offset..) {
        let address = remaining.as_ptr() as usize;
        let base = match parse_base(remaining) {
            Ok(base) => base,
            // Erased flash, zeroed flash, or tockloader's end marker (one
            // 0x00 byte over erased flash) ends the chain quietly.
            Err(ParseError::UnsupportedVersion {
                version: 0 | 0xff00 | 0xffff,
            })
            | Err(ParseError::BaseHeaderTruncated { .. }) => break,
            Err(error) => {
                kernel.print(format_args!(
                    "[kernel] app flash at {:#x}: {}; no further apps\r\n",
                    address, error
                ));
                break;
            }
        };
        let total_size = base.total_size as usize;
        let image = &remaining[..total_size.min(remaining.len())];
        match load_one(
            kernel,
            protection,
            contexts,
            image,
            app_ram,
            summary.ram_used_until,
            configuration,
        ) {
            Ok(Some(index)) => {
                summary.loaded += 1;
                let process = &kernel.processes()[index];
                summary.ram_used_until = summary.ram_used_until.max(process.layout().ram.end());
                kernel.print(format_args!(
                    "[kernel] loaded {} at {:#x}\r\n",
                    process.name(),
                    address
                ));
            }
            Ok(None) => {}
            Err(reason) => {
                summary.skipped += 1;
                kernel.print(format_args!(
                    "[kernel] skipping app at {:#x}: {}\r\n",
                    address, reason
                ));
            }
        }
        offset = match offset.checked_add(total_size) {
            Some(next) if total_size > 0 => next,
            _ => break,
        };
    }
    summary
}

/// Check and place one image; `Ok(None)` for padding. Its RAM goes in the
/// lowest gap of `app_ram` at or above `lowest_ram` that no loaded process
/// uses. Boot loading and runtime installs
/// ([`crate::app_management`]) both come through here, so every check
/// applies to both.
pub(crate) fn load_one<U: UserspaceBoundary, M: MemoryProtection>(
    kernel: &Kernel,
    protection: &M,
    contexts: &mut [ProcessContext<U, M>],
    image: &'static [u8],
    app_ram: Region,
    lowest_ram: usize,
    configuration: LoadConfiguration,
) -> Result<Option<usize>, SkipReason> {
    let header = parse_header(image).map_err(SkipReason::Malformed)?;
    if header.is_padding() {
        return Ok(None);
    }
    check_compatible(&header)?;
    let flash = Region::new(image.as_ptr() as usize, header.total_size() as usize);
    let binary_start =
        flash.start + header.header_size() as usize + header.protected_size() as usize;
    let app_start_offset =
        u16::try_from(binary_start - flash.start).map_err(|_| SkipReason::EntryOutsideImage)?;
    let fixed = header.fixed_addresses();
    if let Some(fixed_flash) = fixed.and_then(|fixed| fixed.flash()) {
        if fixed_flash as usize != binary_start {
            return Err(SkipReason::WrongFlashAddress(fixed_flash));
        }
    }
    // Upstream: the entry is `init_fn_offset` bytes after the header (the
    // offset already spans any protected region).
    let init_function =
        flash.start + header.header_size() as usize + header.init_fn_offset() as usize;
    if image.len() < flash.size {
        return Err(SkipReason::Truncated);
    }
    if init_function >= flash.end() {
        return Err(SkipReason::EntryOutsideImage);
    }
    let index = kernel
        .processes()
        .iter()
        .position(|process| !process.is_loaded())
        .ok_or(SkipReason::NoFreeSlot)?;
    let context = contexts.get_mut(index).ok_or(SkipReason::NoFreeSlot)?;
    let ram_size = header.minimum_ram_size() as usize + configuration.grant_region_bytes;
    let fixed_ram = fixed.and_then(|fixed| fixed.ram()).map(|ram| ram as usize);
    let (ram, mut config) = place_ram(kernel, protection, app_ram, lowest_ram, fixed_ram, ram_size)
        .ok_or(SkipReason::NoRam(ram_size))?;
    protection
        .set_flash(flash, &mut config)
        .map_err(|_| SkipReason::NoRam(ram_size))?;
    context.protection = config;

    let process = &kernel.processes()[index];
    process.loaded.set(true);
    process.name.set(header.package_name().unwrap_or(""));
    process.layout.set(MemoryLayout::new(flash, ram));
    process.init_function.set(init_function);
    process.app_start_offset.set(app_start_offset);
    let writeable = header.writeable_flash_regions().next();
    process
        .writeable_flash
        .set(writeable.map_or(Region::new(0, 0), |region| {
            Region::new(flash.start + region.offset as usize, region.size as usize)
        }));
    process.restart_count.set(0);
    // Credentials and identity conflicts decide whether and when it starts.
    crate::credential::admit(kernel, index).map_err(SkipReason::NotStarted)?;
    Ok(Some(index))
}

/// Place `size` bytes of process RAM: exactly at `fixed` when given, else
/// the lowest placement the hardware accepts in a gap of `app_ram` at or
/// above `lowest` that no loaded process's RAM overlaps. So RAM freed by a
/// removed process is used again.
fn place_ram<M: MemoryProtection>(
    kernel: &Kernel,
    protection: &M,
    app_ram: Region,
    lowest: usize,
    fixed: Option<usize>,
    size: usize,
) -> Option<(Region, M::Config)> {
    let used = || {
        kernel
            .processes()
            .iter()
            .filter(|process| process.is_loaded())
            .map(|process| process.layout().ram)
    };
    let starts = core::iter::once(fixed.unwrap_or(lowest))
        .chain(used().map(|ram| ram.end()).filter(|_| fixed.is_none()));
    let mut best: Option<(Region, M::Config)> = None;
    for start in starts {
        let inside_used = used().any(|ram| ram.start <= start && start < ram.end());
        if start < lowest || start < app_ram.start || start >= app_ram.end() || inside_used {
            continue;
        }
        let gap_end = used()
            .filter(|ram| ram.start >= start)
            .map(|ram| ram.start)
            .fold(app_ram.end(), usize::min);
        let available = Region::new(start, gap_end - start);
        let mut config = M::Config::default();
        let Ok(ram) = protection.allocate_ram(available, size, &mut config) else {
            continue;
        };
        let inside = ram.start >= available.start && ram.end() <= available.end();
        let where_fixed = fixed.is_none_or(|fixed| ram.start == fixed);
        let lower = best.is_none_or(|(best, _)| ram.start < best.start);
        if inside && where_fixed && lower {
            best = Some((ram, config));
        }
    }
    best
}

fn check_compatible(header: &Tbf<'_>) -> Result<(), SkipReason> {
    let version = header.kernel_version().ok_or(SkipReason::NoKernelVersion)?;
    let (major, minor) = kernel_abi::KERNEL_VERSION;
    if version.major != major || version.minor > minor {
        return Err(SkipReason::IncompatibleKernelVersion(
            version.major,
            version.minor,
        ));
    }
    if !header.enabled() {
        return Err(SkipReason::Disabled);
    }
    Ok(())
}
