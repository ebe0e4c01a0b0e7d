//! Reading an app ELF into the facts packaging needs: loadable segments,
//! sections, the entry point and the few symbols Tock linker scripts define.
//!
//! Everything is copied out of the file once, so later stages never go back
//! to the file and never index it unchecked.

use elf::abi;
use elf::endian::AnyEndian;
use elf::section::SectionHeader;
use elf::segment::ProgramHeader;
use elf::ElfBytes;
use thiserror::Error;

/// Why an ELF cannot be packaged.
#[derive(Debug, Error)]
pub enum ElfError {
    #[error("not a valid ELF file ({0}); pass the app's linked .elf output")]
    Parse(String),
    #[error("the ELF is {0}-bit; Tock apps are 32-bit ELF files")]
    WrongClass(u32),
    #[error(
        "unsupported architecture (e_machine {0}); supported: ARM (40), RISC-V (243), x86 (3)"
    )]
    UnsupportedArchitecture(u16),
    #[error("the ELF has no section headers (needed to find .stack, .wfr and relocations)")]
    NoSectionHeaders,
    #[error("the ELF has no loadable segment with content: nothing to put in flash")]
    NoLoadableSegment,
    #[error(
        "the ELF has no executable code (no loadable segment is executable): it was linked \
         without the app's layout; for libtock-rs set LIBTOCK_LAYOUT (docs/libtock-rs.md)"
    )]
    NoCode,
    #[error(
        "the entry point {entry:#x} lies outside the ELF's executable code ({code}): the app \
         would start in no code; link it with its board layout (LIBTOCK_LAYOUT for libtock-rs)"
    )]
    EntryOutsideCode { entry: u64, code: String },
    #[error("{what} at file offset {offset:#x} (+{length:#x}) lies past the end of the file: the ELF is truncated")]
    Truncated {
        what: String,
        offset: u64,
        length: u64,
    },
}

/// The architecture, which decides how a TBF is padded at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// Cortex-M: the whole TBF is a power of two (MPU regions).
    Arm,
    /// RISC-V: the whole TBF is a multiple of 4.
    RiscV,
    /// x86: the whole TBF is a multiple of the 4 KiB page.
    X86,
}

/// One section with its name.
#[derive(Debug, Clone)]
pub struct Section {
    pub name: String,
    pub header: SectionHeader,
}

/// An app ELF, parsed and checked once.
#[derive(Debug)]
pub struct ElfApp {
    bytes: Vec<u8>,
    pub architecture: Architecture,
    pub entry: u64,
    pub segments: Vec<ProgramHeader>,
    pub sections: Vec<Section>,
    /// Symbols in symbol-table order, first occurrence wins on lookup.
    symbols: Vec<(String, u64)>,
}

impl ElfApp {
    /// Parses `bytes` as an app ELF.
    pub fn parse(bytes: Vec<u8>) -> Result<Self, ElfError> {
        let (architecture, entry, segments, sections, symbols) = {
            let file = ElfBytes::<AnyEndian>::minimal_parse(&bytes)
                .map_err(|error| ElfError::Parse(error.to_string()))?;
            if file.ehdr.class != elf::file::Class::ELF32 {
                return Err(ElfError::WrongClass(64));
            }
            let architecture = match file.ehdr.e_machine {
                abi::EM_ARM => Architecture::Arm,
                abi::EM_RISCV => Architecture::RiscV,
                abi::EM_386 => Architecture::X86,
                other => return Err(ElfError::UnsupportedArchitecture(other)),
            };
            let segments: Vec<ProgramHeader> = file
                .segments()
                .map(|table| table.iter().collect())
                .unwrap_or_default();
            let sections = read_sections(&file)?;
            let symbols = read_symbols(&file)?;
            (architecture, file.ehdr.e_entry, segments, sections, symbols)
        };
        let app = ElfApp {
            bytes,
            architecture,
            entry,
            segments,
            sections,
            symbols,
        };
        app.check_segments()?;
        Ok(app)
    }

    fn check_segments(&self) -> Result<(), ElfError> {
        let mut any = false;
        for (index, segment) in self.loadable_segments().enumerate() {
            any = true;
            self.file_range(segment.p_offset, segment.p_filesz)
                .ok_or_else(|| ElfError::Truncated {
                    what: format!("loadable segment {index}"),
                    offset: segment.p_offset,
                    length: segment.p_filesz,
                })?;
        }
        if !any {
            return Err(ElfError::NoLoadableSegment);
        }
        self.check_entry()
    }

    /// The entry must lie in a loadable executable segment: an ELF linked
    /// without a layout has only data (or nothing) and entry 0, and would
    /// make an image the kernel starts at a byte that is not code.
    fn check_entry(&self) -> Result<(), ElfError> {
        let code: Vec<&ProgramHeader> = self
            .loadable_segments()
            .filter(|segment| segment.p_flags & abi::PF_X != 0)
            .collect();
        if code.is_empty() {
            return Err(ElfError::NoCode);
        }
        let inside = |segment: &&ProgramHeader| {
            self.entry >= segment.p_vaddr && self.entry - segment.p_vaddr < segment.p_filesz
        };
        if code.iter().any(inside) {
            return Ok(());
        }
        let ranges: Vec<String> = code
            .iter()
            .map(|segment| {
                format!(
                    "{:#x}..{:#x}",
                    segment.p_vaddr,
                    segment.p_vaddr.saturating_add(segment.p_filesz)
                )
            })
            .collect();
        Err(ElfError::EntryOutsideCode {
            entry: self.entry,
            code: ranges.join(", "),
        })
    }

    /// Segments that are loaded and have bytes in the file.
    pub fn loadable_segments(&self) -> impl Iterator<Item = &ProgramHeader> {
        self.segments
            .iter()
            .filter(|segment| segment.p_type == abi::PT_LOAD && segment.p_filesz > 0)
    }

    /// The value of the first symbol called `name`.
    pub fn symbol(&self, name: &str) -> Option<u64> {
        self.symbols
            .iter()
            .find(|(symbol, _)| symbol == name)
            .map(|(_, value)| *value)
    }

    /// The first section called `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|section| section.name == name)
    }

    /// The file bytes `[offset, offset + length)`, if they are all there.
    pub fn file_range(&self, offset: u64, length: u64) -> Option<&[u8]> {
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(usize::try_from(length).ok()?)?;
        self.bytes.get(start..end)
    }

    /// The contents of a section (empty for NOBITS sections).
    pub fn section_data(&self, section: &Section) -> Result<&[u8], ElfError> {
        if section.header.sh_type == abi::SHT_NOBITS {
            return Ok(&[]);
        }
        let header = &section.header;
        self.file_range(header.sh_offset, header.sh_size)
            .ok_or_else(|| ElfError::Truncated {
                what: format!("section {}", section.name),
                offset: header.sh_offset,
                length: header.sh_size,
            })
    }
}

fn read_sections(file: &ElfBytes<AnyEndian>) -> Result<Vec<Section>, ElfError> {
    let (headers, names) = match file.section_headers_with_strtab() {
        Ok((Some(headers), Some(names))) => (headers, names),
        Ok(_) => return Err(ElfError::NoSectionHeaders),
        Err(error) => return Err(ElfError::Parse(error.to_string())),
    };
    headers
        .iter()
        .map(|header| {
            let name = names
                .get(header.sh_name as usize)
                .map_err(|error| ElfError::Parse(format!("section name: {error}")))?;
            Ok(Section {
                name: name.to_string(),
                header,
            })
        })
        .collect()
}

fn read_symbols(file: &ElfBytes<AnyEndian>) -> Result<Vec<(String, u64)>, ElfError> {
    let Ok(Some((table, names))) = file.symbol_table() else {
        return Ok(Vec::new());
    };
    table
        .iter()
        .map(|symbol| {
            let name = names
                .get(symbol.st_name as usize)
                .map_err(|error| ElfError::Parse(format!("symbol name: {error}")))?;
            Ok((name.to_string(), symbol.st_value))
        })
        .collect()
}

/// Whether a section lies within a segment, following the strict rule of
/// binutils' `ELF_SECTION_IN_SEGMENT` (empty sections do not match at the
/// very end of a segment).
pub fn section_in_segment(section: &SectionHeader, segment: &ProgramHeader) -> bool {
    let segment_type = segment.p_type;
    let flags = section.sh_flags as u32;
    let is_tls = flags & abi::SHF_TLS != 0;
    let tls_segment = segment_type == abi::PT_TLS || segment_type == abi::PT_GNU_RELRO;
    let tls_ok = if is_tls {
        tls_segment || segment_type == abi::PT_LOAD
    } else {
        !tls_segment
    };
    if !tls_ok {
        return false;
    }
    let allocated = flags & abi::SHF_ALLOC != 0;
    let alloc_only_segment = matches!(
        segment_type,
        abi::PT_LOAD
            | abi::PT_DYNAMIC
            | abi::PT_GNU_EH_FRAME
            | abi::PT_GNU_RELRO
            | abi::PT_GNU_STACK
    );
    if !allocated && alloc_only_segment {
        return false;
    }
    if allocated
        && !wholly_within(
            section.sh_addr,
            section.sh_size,
            segment.p_vaddr,
            segment.p_memsz,
        )
    {
        return false;
    }
    if section.sh_type == abi::SHT_NOBITS {
        return true;
    }
    wholly_within(
        section.sh_offset,
        section.sh_size,
        segment.p_offset,
        segment.p_filesz,
    )
}

/// `[start, start + size)` lies in `[base, base + length)` and does not start
/// at its very end.
fn wholly_within(start: u64, size: u64, base: u64, length: u64) -> bool {
    let Some(offset) = start.checked_sub(base) else {
        return false;
    };
    offset.checked_add(size).is_some_and(|end| end <= length)
        && length.checked_sub(1).is_some_and(|last| offset <= last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_must_lie_wholly_inside_and_not_start_at_the_end() {
        assert!(wholly_within(0x100, 0x10, 0x100, 0x10));
        assert!(!wholly_within(0x100, 0x11, 0x100, 0x10));
        assert!(!wholly_within(0xff, 1, 0x100, 0x10));
        assert!(
            !wholly_within(0x110, 0, 0x100, 0x10),
            "empty section at the very end"
        );
        assert!(!wholly_within(0, 0, 0, 0), "empty segment");
    }

    #[test]
    fn garbage_is_a_parse_error_not_a_panic() {
        for bytes in [
            &b""[..],
            b"\x7fELF",
            b"\x7fELF\x01\x01\x01\0\0\0\0\0\0\0\0\0",
        ] {
            assert!(matches!(
                ElfApp::parse(bytes.to_vec()),
                Err(ElfError::Parse(_))
            ));
        }
    }
}
