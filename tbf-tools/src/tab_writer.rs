//! Writing a TAB (Tock Application Bundle): a tar archive holding
//! `metadata.toml` and one `<architecture>.tbf` per input, laid out exactly as
//! elf2tab 0.13 does (GNU headers, the tar crate's deterministic mode), so
//! the archive bytes match upstream's.

use std::io;

/// What goes into `metadata.toml`.
pub struct TabMetadata<'a> {
    pub name: &'a str,
    pub minimum_kernel_version: Option<(u16, u16)>,
    pub only_for_boards: Option<&'a str>,
    /// RFC 3339 UTC time, seconds precision; `None` for deterministic output.
    pub build_date: Option<String>,
}

impl TabMetadata<'_> {
    /// The `metadata.toml` text, key order and quoting as elf2tab writes it.
    pub fn render(&self) -> String {
        let mut text = format!("tab-version = 1\nname = \"{}\"\n", self.name);
        if let Some((major, minor)) = self.minimum_kernel_version {
            text.push_str(&format!(
                "minimum-tock-kernel-version = \"{major}.{minor}\"\n"
            ));
        }
        if let Some(boards) = self.only_for_boards {
            text.push_str(&format!("only-for-boards = \"{boards}\"\n"));
        }
        if let Some(date) = &self.build_date {
            text.push_str(&format!("build-date = {date}\n"));
        }
        text
    }
}

/// The tar crate's fixed modification time in deterministic mode, which
/// elf2tab's TBF members carry.
const DETERMINISTIC_MTIME: u64 = 1_153_704_088;

/// Builds the TAB bytes from the metadata and `(member name, TBF bytes)` pairs.
pub fn build_tab(metadata: &TabMetadata, members: &[(String, Vec<u8>)]) -> io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let text = metadata.render();
    let mut header = tar::Header::new_gnu();
    header.set_size(text.len() as u64);
    header.set_mode(0o644);
    builder.append_data(&mut header, "metadata.toml", text.as_bytes())?;
    for (name, tbf) in members {
        let mut header = tar::Header::new_gnu();
        header.set_mtime(DETERMINISTIC_MTIME);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(tbf.len() as u64);
        if let Some(gnu) = header.as_gnu_mut() {
            gnu.set_device_major(0);
            gnu.set_device_minor(0);
        }
        builder.append_data(&mut header, name, tbf.as_slice())?;
    }
    builder.into_inner()
}
