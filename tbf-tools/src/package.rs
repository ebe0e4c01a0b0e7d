//! ELF to TBF: the image elf2tab 0.13 writes, byte for byte, with its
//! sizing defects fixed (see docs/packager.md, "Differences from elf2tab").
//!
//! ```text
//! 0                 header_size        protected_size      binary_end_offset     total_size
//! | TBF header      | protected trailer | segments, padded | rel len | rel data | footers | pad |
//! |<------------ protected region ----->|                                       |
//! |<------------------------ integrity region (credentials cover this) ------->|
//! ```

use thiserror::Error;

use crate::credentials::{append_reserved, CredentialRequest, SigningError};
use crate::elf_app::{section_in_segment, Architecture, ElfApp, ElfError};
use crate::header_layout::{merge_permissions, HeaderError, HeaderFields, StoragePermissions};

/// Where Tock's position-independent apps are linked in flash.
const PIC_FLASH_ADDRESS: u64 = 0x8000_0000;
/// Stack size when neither `--stack` nor a `.stack` section says.
const DEFAULT_STACK_SIZE: u32 = 2048;
/// Gaps this large between segments get a warning (elf2tab's threshold).
const LARGE_PADDING_WARNING: u64 = 4096;
/// No app flash is this large; a bigger image means broken load addresses
/// (and allocating it could exhaust memory).
const LARGEST_IMAGE: usize = 64 << 20;

/// What the packager was asked for, beyond the ELF itself.
#[derive(Clone, Default)]
pub struct PackOptions {
    pub package_name: String,
    pub stack_size: Option<u32>,
    pub app_heap_size: u32,
    pub kernel_heap_size: u32,
    pub minimum_ram_size: Option<u32>,
    pub protected_region_size: Option<u32>,
    pub permissions: Vec<(u32, u32)>,
    pub write_id: Option<u32>,
    pub read_ids: Option<Vec<u32>>,
    pub access_ids: Option<Vec<u32>>,
    pub kernel_version: Option<(u16, u16)>,
    pub short_id: Option<u32>,
    pub disabled: bool,
    pub minimum_footer_size: u32,
    pub app_version: u32,
    /// In footer order.
    pub credentials: Vec<CredentialRequest>,
    pub verbose: bool,
}

/// Why an ELF cannot become a TBF.
#[derive(Debug, Error)]
pub enum PackError {
    #[error(transparent)]
    Elf(#[from] ElfError),
    #[error(transparent)]
    Header(#[from] HeaderError),
    #[error(transparent)]
    Signing(#[from] SigningError),
    #[error("protected region size {requested} is smaller than the {header} bytes of TBF header; use --protected-region-size {header} or more")]
    ProtectedRegionTooSmall { requested: u32, header: u32 },
    #[error(
        "the entry point {0:#x} lies in two loadable segments (pass --disable to package anyway)"
    )]
    DuplicateEntry(u64),
    #[error("the app is too large ({what})")]
    TooLarge { what: &'static str },
}

/// A packaged TBF and what was learned on the way.
pub struct Packaged {
    pub bytes: Vec<u8>,
    pub warnings: Vec<String>,
}

/// Fixed addresses and position independence, as elf2tab decides them.
struct Placement {
    flash: Option<u32>,
    ram: Option<u32>,
    position_independent: bool,
}

fn to_u32(value: u64, what: &'static str) -> Result<u32, PackError> {
    u32::try_from(value).map_err(|_| PackError::TooLarge { what })
}

fn align_up(value: u32, to: u32, what: &'static str) -> Result<u32, PackError> {
    value
        .checked_next_multiple_of(to)
        .ok_or(PackError::TooLarge { what })
}

fn placement(app: &ElfApp) -> Placement {
    let mut flash = None;
    let mut position_independent = false;
    if let Some(origin) = app.symbol("_flash_origin") {
        if origin as u32 as u64 == PIC_FLASH_ADDRESS {
            position_independent = true;
        } else {
            flash = Some(origin as u32);
        }
    } else {
        for segment in app.loadable_segments() {
            let executable = segment.p_flags & elf::abi::PF_X != 0;
            let has_content = app
                .sections
                .iter()
                .any(|s| s.header.sh_size > 0 && section_in_segment(&s.header, segment));
            if !(executable && has_content) {
                continue;
            }
            if segment.p_vaddr == PIC_FLASH_ADDRESS || position_independent {
                position_independent = true;
            } else {
                let start = segment.p_paddr as u32;
                flash = Some(flash.map_or(start, |lowest: u32| lowest.min(start)));
            }
        }
    }
    if position_independent {
        flash = None;
    }
    let ram = app
        .symbol("_sram_origin")
        .map(|value| value as u32)
        .filter(|&value| value != 0);
    Placement {
        flash,
        ram,
        position_independent,
    }
}

fn minimum_ram_size(app: &ElfApp, options: &PackOptions) -> Result<u32, PackError> {
    let stack = options
        .stack_size
        .or_else(|| app.section(".stack").map(|s| s.header.sh_size as u32))
        .unwrap_or(DEFAULT_STACK_SIZE);
    let mut total: u32 = 0;
    for segment in &app.segments {
        // Loaded from flash into RAM: initialised data and its .bss.
        if segment.p_type == elf::abi::PT_LOAD
            && segment.p_vaddr != segment.p_paddr
            && segment.p_memsz > 0
            && segment.p_flags & elf::abi::PF_W != 0
        {
            let size = to_u32(segment.p_memsz, "a RAM segment")?;
            total = total.checked_add(size).ok_or(PackError::TooLarge {
                what: "minimum RAM",
            })?;
        }
    }
    let reserved = [
        align_up(stack, 8, "stack")?,
        align_up(options.app_heap_size, 4, "app heap")?,
        align_up(options.kernel_heap_size, 4, "kernel heap")?,
    ];
    for size in reserved {
        total = total.checked_add(size).ok_or(PackError::TooLarge {
            what: "minimum RAM",
        })?;
    }
    // elf2tab parses --minimum-ram-size and ignores it; we honour it.
    Ok(total.max(options.minimum_ram_size.unwrap_or(0)))
}

fn writeable_flash_region_count(app: &ElfApp) -> usize {
    app.loadable_segments()
        .map(|segment| {
            app.sections
                .iter()
                .filter(|s| {
                    s.header.sh_size > 0
                        && section_in_segment(&s.header, segment)
                        && s.name.contains(".wfr")
                })
                .count()
        })
        .sum()
}

fn header_fields(
    app: &ElfApp,
    options: &PackOptions,
    place: &Placement,
) -> Result<HeaderFields, PackError> {
    let storage =
        if options.write_id.is_some() || options.read_ids.is_some() || options.access_ids.is_some()
        {
            Some(StoragePermissions {
                write_id: options.write_id.unwrap_or(0),
                read_ids: options.read_ids.clone().unwrap_or_default(),
                access_ids: options.access_ids.clone().unwrap_or_default(),
            })
        } else {
            None
        };
    let fixed_addresses = (place.ram.is_some() || place.flash.is_some()).then(|| {
        (
            place.ram.unwrap_or(u32::MAX),
            place.flash.unwrap_or(u32::MAX),
        )
    });
    Ok(HeaderFields {
        enabled: !options.disabled,
        minimum_ram_size: minimum_ram_size(app, options)?,
        app_version: options.app_version,
        package_name: options.package_name.clone(),
        writeable_flash_regions: vec![(0, 0); writeable_flash_region_count(app)],
        fixed_addresses,
        permissions: merge_permissions(&options.permissions),
        storage,
        kernel_version: options.kernel_version,
        short_id: options.short_id,
        ..HeaderFields::default()
    })
}

fn protected_region_size(
    app: &ElfApp,
    options: &PackOptions,
    place: &Placement,
    header_size: u32,
    warnings: &mut Vec<String>,
) -> Result<u32, PackError> {
    let size = if let Some(symbol) = app.symbol("tbf_protected_region_size") {
        if options.protected_region_size.is_some() {
            warnings.push(format!(
                "the ELF's tbf_protected_region_size symbol ({}) overrides --protected-region-size",
                symbol as u32
            ));
        }
        symbol as u32
    } else if let Some(size) = options.protected_region_size {
        size
    } else if !place.position_independent {
        // Start the TBF on a 256-byte boundary so the binary lands on its
        // fixed address when the TBF is flashed at that boundary.
        place.flash.unwrap_or(0) % 256
    } else {
        header_size
    };
    if size as usize > LARGEST_IMAGE {
        return Err(PackError::TooLarge {
            what: "protected region over 64 MiB",
        });
    }
    if size < header_size {
        return Err(PackError::ProtectedRegionTooSmall {
            requested: size,
            header: header_size,
        });
    }
    Ok(size)
}

/// The app binary after the header: what the loop over segments produces.
struct Binary {
    /// Bytes from the end of the header to the end of the last segment.
    bytes: Vec<u8>,
    relocations: Vec<u8>,
    init_fn_offset: u32,
    writeable_flash_regions: Vec<(u32, u32)>,
}

/// The segment without any part before the flash origin (where a linker
/// may start it); `None` if it lies wholly before flash.
fn clip_to_flash(
    segment: &elf::segment::ProgramHeader,
    flash: Option<u32>,
) -> Option<elf::segment::ProgramHeader> {
    let mut segment = *segment;
    if let Some(flash) = flash.map(u64::from) {
        if segment.p_paddr + segment.p_filesz < flash {
            return None;
        }
        if segment.p_paddr < flash {
            let cut = flash - segment.p_paddr;
            segment.p_offset += cut;
            segment.p_paddr += cut;
            segment.p_vaddr += cut;
            segment.p_filesz -= cut;
            segment.p_memsz = segment.p_memsz.saturating_sub(cut);
        }
    }
    Some(segment)
}

/// Fills the gap between the previous segment's end and this one's start.
fn pad_gap(
    bytes: &mut Vec<u8>,
    start: u64,
    previous_end: u64,
    warnings: &mut Vec<String>,
) -> Result<(), PackError> {
    match start.checked_sub(previous_end) {
        Some(0) => {}
        Some(gap) => {
            if gap >= LARGE_PADDING_WARNING {
                warnings.push(format!("inserting {gap} bytes of padding between segments"));
            }
            let size = usize::try_from(gap)
                .ok()
                .and_then(|gap| bytes.len().checked_add(gap))
                .filter(|&size| size <= LARGEST_IMAGE)
                .ok_or(PackError::TooLarge {
                    what: "padding between segments: over 64 MiB, are the segments' load addresses right?",
                })?;
            bytes.resize(size, 0);
        }
        None => {
            warnings.push("segments are not in load address order; no padding inserted".to_string())
        }
    }
    Ok(())
}

fn assemble_binary(
    app: &ElfApp,
    options: &PackOptions,
    place: &Placement,
    header_size: usize,
    protected_size: usize,
    warnings: &mut Vec<String>,
) -> Result<Binary, PackError> {
    let mut binary = Binary {
        bytes: vec![0; protected_size - header_size],
        relocations: Vec::new(),
        init_fn_offset: 0,
        writeable_flash_regions: Vec::new(),
    };
    let mut entry_found = false;
    let mut last_end: Option<u64> = None;
    for original in app.loadable_segments() {
        let Some(segment) = clip_to_flash(original, place.flash) else {
            continue;
        };
        if let Some(end) = last_end {
            pad_gap(&mut binary.bytes, segment.p_paddr, end, warnings)?;
        }
        let index = header_size + binary.bytes.len();
        if options.verbose {
            println!(
                "  Adding segment. Offset: {index} ({index:#x}). Length: {0} ({0:#x}) bytes.",
                segment.p_filesz
            );
        }
        let start = segment.p_paddr;
        let end = segment.p_paddr + segment.p_filesz;
        if app.entry >= start && app.entry < end {
            if entry_found {
                if !options.disabled {
                    return Err(PackError::DuplicateEntry(app.entry));
                }
            } else {
                entry_found = true;
                binary.init_fn_offset = to_u32(
                    (index - header_size) as u64 + (app.entry - start),
                    "entry offset",
                )?;
            }
        }
        collect_sections(app, &segment, index, &mut binary, options.verbose)?;
        let content = app
            .file_range(segment.p_offset, segment.p_filesz)
            .ok_or_else(|| ElfError::Truncated {
                what: "a loadable segment".to_string(),
                offset: segment.p_offset,
                length: segment.p_filesz,
            })?;
        binary.bytes.extend_from_slice(content);
        last_end = Some(end);
    }
    Ok(binary)
}

/// Relocations of the segment's writeable sections and its writeable flash regions.
fn collect_sections(
    app: &ElfApp,
    segment: &elf::segment::ProgramHeader,
    index: usize,
    binary: &mut Binary,
    verbose: bool,
) -> Result<(), PackError> {
    for section in &app.sections {
        let header = &section.header;
        if header.sh_size == 0 || !section_in_segment(header, segment) {
            continue;
        }
        if verbose {
            println!(
                "    Contains section {}. Length: {} bytes.",
                section.name, header.sh_size
            );
        }
        if header.sh_flags as u32 & elf::abi::SHF_WRITE != 0 {
            let name = format!(".rel{}", section.name);
            if let Some(relocations) = app.section(&name) {
                let data = app.section_data(relocations)?;
                if verbose && !data.is_empty() {
                    println!(
                        "      Including relocation data ({name}). Length: {} bytes.",
                        data.len()
                    );
                }
                binary.relocations.extend_from_slice(data);
            }
        }
        if section.name.contains(".wfr") {
            let position = index as u64 + (header.sh_addr - segment.p_vaddr);
            binary.writeable_flash_regions.push((
                to_u32(position, "writeable flash region offset")?,
                to_u32(header.sh_size, "writeable flash region size")?,
            ));
        }
    }
    Ok(())
}

/// How many bytes of padding `length` needs to meet the architecture's rule.
fn trailing_padding(architecture: Architecture, length: usize) -> usize {
    match architecture {
        Architecture::Arm if length.count_ones() > 1 => {
            length.next_power_of_two().max(512) - length
        }
        Architecture::Arm => 0,
        Architecture::RiscV => length.next_multiple_of(4) - length,
        Architecture::X86 => length.next_multiple_of(4096) - length,
    }
}

/// Sizes the footer area: `(reserved footer bytes, zero padding after the footers)`.
fn footer_sizes(
    architecture: Architecture,
    end_of_credentials: usize,
    minimum_footer: usize,
    credentials: usize,
) -> (usize, usize) {
    let mut length = end_of_credentials;
    let mut reserved = 0;
    let ensured = minimum_footer > credentials;
    if ensured {
        reserved = (minimum_footer - credentials)
            .max(tbf::CREDENTIALS_FOOTER_OVERHEAD)
            .next_multiple_of(4);
        length += reserved;
    }
    let pad = trailing_padding(architecture, length);
    if ensured || pad >= tbf::CREDENTIALS_FOOTER_OVERHEAD {
        (reserved + pad, 0)
    } else {
        (reserved, pad)
    }
}

/// Packages one ELF into a TBF.
pub fn pack(app: &ElfApp, options: &PackOptions) -> Result<Packaged, PackError> {
    let mut warnings = Vec::new();
    let place = placement(app);
    let mut fields = header_fields(app, options, &place)?;
    let header_size = fields.encode()?.len();
    let protected = protected_region_size(app, options, &place, header_size as u32, &mut warnings)?;
    fields.protected_trailer_size = protected - header_size as u32;
    let binary = assemble_binary(
        app,
        options,
        &place,
        header_size,
        protected as usize,
        &mut warnings,
    )?;
    fields.init_fn_offset = binary.init_fn_offset;
    for (slot, region) in fields
        .writeable_flash_regions
        .iter_mut()
        .zip(&binary.writeable_flash_regions)
    {
        *slot = *region;
    }
    let binary_end = header_size + binary.bytes.len() + 4 + binary.relocations.len();
    if !binary.relocations.is_empty() && (binary_end - binary.relocations.len() - 4) % 4 != 0 {
        warnings.push("relocation data is not 4-byte aligned".to_string());
    }
    let credentials_len: usize = options.credentials.iter().map(|c| c.footer_len()).sum();
    let (reserved, post_pad) = footer_sizes(
        app.architecture,
        binary_end + credentials_len,
        options.minimum_footer_size as usize,
        credentials_len,
    );
    let total = binary_end + credentials_len + reserved + post_pad;
    if total > LARGEST_IMAGE {
        return Err(PackError::TooLarge {
            what: "over 64 MiB with its footer",
        });
    }
    fields.binary_end_offset = to_u32(binary_end as u64, "binary size")?;
    fields.total_size = to_u32(total as u64, "total size")?;
    let mut bytes = fields.encode()?;
    bytes.extend_from_slice(&binary.bytes);
    bytes.extend_from_slice(&(binary.relocations.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&binary.relocations);
    let mut footer = Vec::with_capacity(total - binary_end);
    for credential in &options.credentials {
        credential
            .compute(&bytes)?
            .write_to(&mut footer)
            .map_err(SigningError::from)?;
    }
    append_reserved(reserved, &mut footer)?;
    bytes.extend_from_slice(&footer);
    bytes.resize(total, 0);
    if options.verbose {
        println!("TBF: header {header_size} bytes, protected region {protected} bytes, binary ends at {binary_end}, total {total} bytes");
    }
    Ok(Packaged { bytes, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_images_pad_to_a_power_of_two_of_at_least_512() {
        assert_eq!(trailing_padding(Architecture::Arm, 100), 412);
        assert_eq!(trailing_padding(Architecture::Arm, 513), 511);
        // Already a power of two: left alone, even below 512 (as elf2tab).
        assert_eq!(trailing_padding(Architecture::Arm, 256), 0);
        assert_eq!(trailing_padding(Architecture::RiscV, 258), 2);
        assert_eq!(trailing_padding(Architecture::X86, 4097), 4095);
    }

    #[test]
    fn short_padding_is_zeros_and_long_padding_is_reserved_space() {
        // 2 bytes to a multiple of 4: too small for a credential TLV.
        assert_eq!(footer_sizes(Architecture::RiscV, 258, 0, 0), (0, 2));
        // ARM: 412 bytes of padding become reserved footer space.
        assert_eq!(footer_sizes(Architecture::Arm, 100, 0, 0), (412, 0));
        // A minimum footer is at least 8 bytes and a multiple of 4.
        assert_eq!(footer_sizes(Architecture::RiscV, 100, 3, 0), (8, 0));
        assert_eq!(footer_sizes(Architecture::RiscV, 140, 50, 40), (12, 0));
        // Credentials already larger than the minimum: nothing reserved.
        assert_eq!(footer_sizes(Architecture::RiscV, 140, 20, 40), (0, 0));
    }
}
