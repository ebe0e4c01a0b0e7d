//! Apps to install: TABs and bare TBFs read from disk, and the header edits
//! tockloader makes when placing them (size rounding, flags, moving a
//! fixed-address header). All parsing and serialising goes through `tbf`.

use std::path::Path;

use crate::error::{LoaderError, LoaderResult};

/// Base-header field offsets (see `docs/tbf.md`).
const TOTAL_SIZE_OFFSET: usize = 4;
const FLAGS_OFFSET: usize = 8;
const CHECKSUM_OFFSET: usize = 12;

/// One TBF build of an app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The whole image as packaged (header, binary, footers).
    pub bytes: Vec<u8>,
    /// Header size.
    pub header_size: u32,
    /// The size it will occupy in flash (may exceed `bytes.len()` after
    /// rounding; the rest stays as it is in flash).
    pub total_size: u32,
    /// Fixed flash address of the binary, if any.
    pub fixed_flash: Option<u32>,
    /// Fixed RAM address, if any.
    pub fixed_ram: Option<u32>,
    /// Header size plus the protected region: where the binary starts.
    pub size_before_binary: u32,
    /// Whether the image carries a credential that covers its header (a
    /// digest or a signature): editing the header would invalidate it.
    pub signed: bool,
}

/// An app to install, with every build that suits the architecture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApp {
    /// Package name.
    pub name: String,
    /// Where it came from.
    pub source: String,
    /// Builds for the architecture, in TAB order.
    pub candidates: Vec<Candidate>,
}

impl NewApp {
    /// Whether its builds are for fixed addresses.
    pub fn is_fixed(&self) -> bool {
        self.candidates.iter().any(|c| c.fixed_flash.is_some())
    }
}

pub(crate) fn candidate(bytes: Vec<u8>) -> Result<Candidate, tbf::ParseError> {
    let tbf = tbf::parse(&bytes)?;
    let fixed = tbf.fixed_addresses();
    let signed = has_credentials(&tbf);
    Ok(Candidate {
        header_size: u32::from(tbf.header_size()),
        total_size: tbf.total_size(),
        fixed_flash: fixed.and_then(|f| f.flash()),
        fixed_ram: fixed.and_then(|f| f.ram()),
        size_before_binary: u32::from(tbf.header_size()) + tbf.protected_size(),
        signed,
        bytes,
    })
}

/// Whether an image carries a credential over its integrity region (its
/// header included): anything but reserved space and a cleartext id.
pub fn has_credentials(tbf: &tbf::Tbf<'_>) -> bool {
    tbf.footers().any(|footer| match footer {
        Ok(tbf::Footer::Credentials(credential)) => !matches!(
            credential.format,
            tbf::CredentialsFormat::Reserved | tbf::CredentialsFormat::CleartextId
        ),
        _ => false,
    })
}

/// Why an image's digest credential does not match its contents (it was
/// altered after it was signed), if it does not. Signatures need the
/// board's keys and are left to the board.
pub fn digest_mismatch(bytes: &[u8]) -> Option<String> {
    let tbf = tbf::parse(bytes).ok()?;
    let region = tbf::integrity_region(bytes).ok()?;
    tbf.footers().find_map(|footer| {
        let Ok(tbf::Footer::Credentials(credential)) = footer else {
            return None;
        };
        (credential.check(region, None) == tbf::CredentialCheck::Failed).then(|| {
            format!(
                "its {:?} credential does not match its contents (altered after signing); rebuild and sign it again",
                credential.format
            )
        })
    })
}

fn arch_matches(member_arch: &str, arch: &str) -> bool {
    member_arch == arch
        || member_arch.strip_prefix("riscv") == arch.strip_prefix("rv")
            && member_arch.starts_with("riscv")
            && arch.starts_with("rv")
}

/// Read a `.tab` or `.tbf` file, keeping the builds for `arch`.
pub fn load_app(path: &Path, arch: &str, board: &str, force: bool) -> LoaderResult<NewApp> {
    let source = path.display().to_string();
    let input_error = |reason: String| LoaderError::Input {
        path: source.clone(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| input_error(format!("cannot read: {e}")))?;
    if path.extension().is_some_and(|e| e == "tbf") {
        let candidate = candidate(bytes)
            .map_err(|e| input_error(format!("not a valid TBF: {e}; rebuild the app")))?;
        let name = tbf::parse(&candidate.bytes)
            .ok()
            .and_then(|t| t.package_name().map(str::to_string))
            .unwrap_or_default();
        return Ok(NewApp {
            name,
            source,
            candidates: vec![candidate],
        });
    }
    let tab = tbf::tab::read_tab(bytes.as_slice()).map_err(|e| {
        input_error(format!(
            "{e}; is this a TAB built by elf2tab or `tbf pack`?"
        ))
    })?;
    let boards = tab.metadata.supported_boards();
    if !force && !boards.is_empty() && !boards.contains(&board) {
        return Err(input_error(format!(
            "built only for boards {}; pass --force to install on `{board}` anyway",
            boards.join(", ")
        )));
    }
    let mut available = Vec::new();
    let mut candidates = Vec::new();
    for member in &tab.members {
        let Some(name) = member.parsed_name() else {
            continue;
        };
        available.push(name.architecture.to_string());
        if arch_matches(name.architecture, arch) {
            let built = candidate(member.bytes.clone()).map_err(|e| {
                input_error(format!("member {} is not a valid TBF: {e}", member.name))
            })?;
            candidates.push(built);
        }
    }
    if candidates.is_empty() {
        available.dedup();
        return Err(LoaderError::WrongArchitecture {
            path: source,
            arch: arch.to_string(),
            available: available.join(", "),
        });
    }
    Ok(NewApp {
        name: tab.metadata.name.clone(),
        source,
        candidates,
    })
}

fn put_u32(header: &mut [u8], offset: usize, value: u32) {
    if let Some(field) = header.get_mut(offset..offset + 4) {
        field.copy_from_slice(&value.to_le_bytes());
    }
}

fn read_u32(header: &[u8], offset: usize) -> u32 {
    header
        .get(offset..offset + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

fn reseal(header: &mut [u8]) {
    let checksum = tbf::header_checksum(header);
    put_u32(header, CHECKSUM_OFFSET, checksum);
}

/// Set a header's total size and fix its checksum (the header is
/// `header_size` bytes; the rest of an image is untouched).
pub fn set_total_size(header: &mut [u8], total_size: u32) {
    put_u32(header, TOTAL_SIZE_OFFSET, total_size);
    reseal(header);
}

/// Set or clear a flag bit and fix the checksum.
pub fn set_flag(header: &mut [u8], flag: u32, on: bool) {
    let flags = read_u32(header, FLAGS_OFFSET);
    let flags = if on { flags | flag } else { flags & !flag };
    put_u32(header, FLAGS_OFFSET, flags);
    reseal(header);
}

/// The padding image tockloader writes: a 16-byte header, flags 0, no TLVs.
pub fn padding_header(total_size: u32) -> Vec<u8> {
    let mut header = vec![0u8; tbf::BASE_HEADER_SIZE];
    header[..2].copy_from_slice(&tbf::TBF_VERSION.to_le_bytes());
    header[2..4].copy_from_slice(&(tbf::BASE_HEADER_SIZE as u16).to_le_bytes());
    set_total_size(&mut header, total_size);
    header
}

/// Grow a fixed-address header's protected region so the binary lands on
/// its fixed address when the image starts at `address` (tockloader's
/// `adjust_starting_address`; it also moves `init_fn_offset`).
pub fn adjust_for_address(candidate: &Candidate, address: u32) -> LoaderResult<Vec<u8>> {
    let Some(fixed) = candidate.fixed_flash else {
        return Ok(candidate.bytes.clone());
    };
    let lands = u64::from(address) + u64::from(candidate.size_before_binary);
    if lands == u64::from(fixed) {
        return Ok(candidate.bytes.clone());
    }
    let broken = |reason: String| LoaderError::NoSpace { reason };
    if lands > u64::from(fixed) {
        return Err(broken(format!(
            "the image built for {fixed:#x} cannot start at {address:#x}"
        )));
    }
    let delta = (u64::from(fixed) - lands) as u32;
    let parsed =
        tbf::parse(&candidate.bytes).map_err(|e| broken(format!("image does not parse: {e}")))?;
    let mut header = tbf::TbfHeader::from_parsed(&parsed);
    if let Some(program) = header.program_mut() {
        program.protected_size += delta;
        program.init_fn_offset += delta;
    } else if let Some(main) = header.main_mut() {
        main.protected_size += delta;
        main.init_fn_offset += delta;
    }
    let mut bytes = header
        .to_bytes()
        .map_err(|e| broken(format!("cannot rewrite the header: {e}")))?;
    bytes.extend_from_slice(
        candidate
            .bytes
            .get(candidate.header_size as usize..)
            .unwrap_or(&[]),
    );
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_header_parses_as_padding() {
        let header = padding_header(4096);
        let parsed = tbf::parse_header(&header).unwrap();
        assert!(parsed.is_padding());
        assert_eq!(parsed.total_size(), 4096);
        assert!(!parsed.enabled());
    }

    #[test]
    fn flag_edits_keep_the_checksum_valid() {
        let mut header = padding_header(512);
        set_flag(&mut header, tbf::FLAG_ENABLED, true);
        assert!(tbf::parse_header(&header).unwrap().enabled());
        set_flag(&mut header, tbf::FLAG_ENABLED, false);
        assert!(!tbf::parse_header(&header).unwrap().enabled());
        set_total_size(&mut header, 1024);
        assert_eq!(tbf::parse_header(&header).unwrap().total_size(), 1024);
    }

    #[test]
    fn riscv_aliases_match() {
        assert!(arch_matches("rv32imac", "rv32imac"));
        assert!(arch_matches("riscv32imac", "rv32imac"));
        assert!(!arch_matches("cortex-m4", "rv32imac"));
        assert!(!arch_matches("rv32imc", "rv32imac"));
    }
}
