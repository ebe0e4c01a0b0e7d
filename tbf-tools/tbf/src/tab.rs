//! TAB archives (feature `std`): a tar holding `metadata.toml` and TBFs.
//!
//! ```text
//! app.tab (tar, GNU headers)
//! ├── metadata.toml                      tab-version, name, ...
//! ├── <arch>.tbf                         e.g. cortex-m4.tbf
//! └── <arch>.<flash>.<ram>.tbf           fixed-address builds, e.g.
//!                                        rv32imac.0x20040060.0x80002800.tbf
//! ```
//!
//! Writing reproduces elf2tab 0.13's tar byte for byte: `metadata.toml`
//! first (GNU header, mode 0644, mtime 0, no uid/gid fields), then each TBF
//! (GNU header, mode 0644, uid/gid 0, mtime 1153704088 as the `tar` crate's
//! deterministic mode sets it), then two zero blocks. The archive depends
//! only on its contents; `build-date` in the metadata is the caller's choice.

use std::fmt;
use std::io::{self, Read, Write};
use std::string::{String, ToString};
use std::vec::Vec;

use crate::error::ParseError;
use crate::parse::Tbf;

/// The mtime elf2tab's tar writer (the `tar` crate, deterministic mode)
/// stores for TBF members.
pub const DETERMINISTIC_MTIME: u64 = 1_153_704_088;
/// The name of the metadata member.
pub const METADATA_NAME: &str = "metadata.toml";

/// The contents of `metadata.toml`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TabMetadata {
    /// `tab-version` (1).
    pub tab_version: i64,
    /// `name`: the package name (may be empty).
    pub name: String,
    /// `minimum-tock-kernel-version`, `"major.minor"`.
    pub minimum_tock_kernel_version: Option<String>,
    /// `only-for-boards`: comma-separated board names.
    pub only_for_boards: Option<String>,
    /// `build-date`: an RFC 3339 date-time (a TOML date-time, unquoted).
    pub build_date: Option<String>,
}

fn toml_basic_string(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&std::format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl TabMetadata {
    /// Version 1 metadata with this name.
    pub fn new(name: &str) -> TabMetadata {
        TabMetadata {
            tab_version: 1,
            name: name.to_string(),
            ..TabMetadata::default()
        }
    }

    /// The text elf2tab writes: keys in its order, one per line. Names with
    /// quotes or backslashes are escaped (elf2tab writes invalid TOML there).
    pub fn to_toml(&self) -> String {
        let mut out = std::format!("tab-version = {}\n", self.tab_version);
        out.push_str(&std::format!("name = {}\n", toml_basic_string(&self.name)));
        if let Some(version) = &self.minimum_tock_kernel_version {
            out.push_str(&std::format!(
                "minimum-tock-kernel-version = {}\n",
                toml_basic_string(version)
            ));
        }
        if let Some(boards) = &self.only_for_boards {
            out.push_str(&std::format!(
                "only-for-boards = {}\n",
                toml_basic_string(boards)
            ));
        }
        if let Some(date) = &self.build_date {
            out.push_str(&std::format!("build-date = {date}\n"));
        }
        out
    }

    /// Parses `metadata.toml` text.
    pub fn from_toml(text: &str) -> Result<TabMetadata, TabError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| TabError::BadMetadata(e.message().to_string()))?;
        let string = |key: &str| -> Result<Option<String>, TabError> {
            match table.get(key) {
                None => Ok(None),
                Some(toml::Value::String(s)) => Ok(Some(s.trim().to_string())),
                Some(toml::Value::Datetime(d)) => Ok(Some(d.to_string())),
                Some(other) => Err(TabError::BadMetadata(std::format!(
                    "`{key}` should be a string, found {}",
                    other.type_str()
                ))),
            }
        };
        let tab_version = match table.get("tab-version") {
            Some(toml::Value::Integer(v)) => *v,
            Some(_) => {
                return Err(TabError::BadMetadata(
                    "`tab-version` should be an integer".to_string(),
                ))
            }
            None => {
                return Err(TabError::BadMetadata(
                    "`tab-version` is missing".to_string(),
                ))
            }
        };
        if tab_version != 1 {
            return Err(TabError::UnsupportedTabVersion(tab_version));
        }
        Ok(TabMetadata {
            tab_version,
            name: string("name")?.unwrap_or_default(),
            minimum_tock_kernel_version: string("minimum-tock-kernel-version")?,
            only_for_boards: string("only-for-boards")?,
            build_date: string("build-date")?,
        })
    }

    /// The boards in `only-for-boards` (empty: any board).
    pub fn supported_boards(&self) -> Vec<&str> {
        self.only_for_boards
            .as_deref()
            .map(|b| {
                b.split(',')
                    .map(str::trim)
                    .filter(|b| !b.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One TBF in a TAB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TabMember {
    /// The member's file name, e.g. `cortex-m4.tbf`.
    pub name: String,
    /// The TBF image.
    pub bytes: Vec<u8>,
}

/// What a TBF member's name says: `<arch>[.<flash>.<ram>][...].tbf`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberName<'a> {
    /// The architecture, e.g. `cortex-m4` or `rv32imac`.
    pub architecture: &'a str,
    /// The flash and RAM addresses of a fixed-address build, if named.
    pub fixed_addresses: Option<(u32, u32)>,
}

fn parse_hex(text: &str) -> Option<u32> {
    let digits = text.strip_prefix("0x").or(text.strip_prefix("0X"))?;
    u32::from_str_radix(digits, 16).ok()
}

/// Splits a member name; `None` if it is not `<arch>[...].tbf` (a plain
/// file name: no directories).
pub fn parse_member_name(name: &str) -> Option<MemberName<'_>> {
    if name.contains(['/', '\\']) {
        return None;
    }
    let stem = name.strip_suffix(".tbf")?;
    let mut pieces = stem.split('.');
    let architecture = pieces.next().filter(|a| !a.is_empty())?;
    let flash = pieces.next().and_then(parse_hex);
    let ram = pieces.next().and_then(parse_hex);
    Some(MemberName {
        architecture,
        fixed_addresses: flash.zip(ram),
    })
}

/// The member name for an architecture (elf2tab's `<arch>.tbf`; the
/// architecture may itself carry `.<flash>.<ram>`, as libtock-rs names them).
pub fn member_name(architecture: &str) -> String {
    std::format!("{architecture}.tbf")
}

impl TabMember {
    /// The architecture and fixed addresses from the name.
    pub fn parsed_name(&self) -> Option<MemberName<'_>> {
        parse_member_name(&self.name)
    }

    /// Parses the image.
    pub fn parse(&self) -> Result<Tbf<'_>, ParseError> {
        crate::parse(&self.bytes)
    }
}

/// A whole TAB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tab {
    /// The parsed metadata.
    pub metadata: TabMetadata,
    /// The metadata text exactly as stored.
    pub metadata_text: String,
    /// The TBFs, in archive order.
    pub members: Vec<TabMember>,
}

/// Why a TAB could not be read.
#[derive(Debug)]
pub enum TabError {
    /// Reading the archive failed (not a tar, truncated, I/O error).
    Io(io::Error),
    /// There is no `metadata.toml`.
    MissingMetadata,
    /// `metadata.toml` is not valid UTF-8 TOML with the expected keys.
    BadMetadata(String),
    /// `tab-version` is not 1.
    UnsupportedTabVersion(i64),
    /// A member is neither `metadata.toml` nor `<arch>[...].tbf`.
    UnexpectedMember(String),
    /// A `.tbf` member does not parse.
    BadTbf {
        /// The member's name.
        name: String,
        /// What is wrong with it.
        error: ParseError,
    },
    /// The archive holds no TBF at all.
    NoTbf,
}

impl fmt::Display for TabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TabError::Io(e) => write!(f, "could not read the TAB archive: {e}"),
            TabError::MissingMetadata => write!(f, "the TAB has no metadata.toml member"),
            TabError::BadMetadata(why) => write!(f, "the TAB's metadata.toml is invalid: {why}"),
            TabError::UnsupportedTabVersion(v) => {
                write!(
                    f,
                    "the TAB has tab-version {v}, but only version 1 is supported"
                )
            }
            TabError::UnexpectedMember(name) => write!(
                f,
                "the TAB member `{name}` is neither metadata.toml nor an <arch>.tbf image"
            ),
            TabError::BadTbf { name, error } => {
                write!(f, "the TAB member `{name}` is not a valid TBF: {error}")
            }
            TabError::NoTbf => write!(f, "the TAB holds no .tbf image"),
        }
    }
}

impl std::error::Error for TabError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TabError::Io(e) => Some(e),
            TabError::BadTbf { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl From<io::Error> for TabError {
    fn from(e: io::Error) -> Self {
        TabError::Io(e)
    }
}

/// Reads a TAB; every TBF member must parse.
pub fn read_tab<R: Read>(reader: R) -> Result<Tab, TabError> {
    let mut archive = tar::Archive::new(reader);
    let mut metadata_text = None;
    let mut members = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes)?;
        if name == METADATA_NAME {
            let text = String::from_utf8(bytes)
                .map_err(|_| TabError::BadMetadata("metadata.toml is not UTF-8".to_string()))?;
            metadata_text = Some(text);
        } else if parse_member_name(&name).is_some() {
            if let Err(error) = crate::parse(&bytes) {
                return Err(TabError::BadTbf { name, error });
            }
            members.push(TabMember { name, bytes });
        } else {
            return Err(TabError::UnexpectedMember(name));
        }
    }
    let metadata_text = metadata_text.ok_or(TabError::MissingMetadata)?;
    if members.is_empty() {
        return Err(TabError::NoTbf);
    }
    Ok(Tab {
        metadata: TabMetadata::from_toml(&metadata_text)?,
        metadata_text,
        members,
    })
}

/// Writes a TAB exactly as elf2tab 0.13 does: `metadata_text` as
/// `metadata.toml`, then the members in order, then the end-of-archive
/// blocks. The output depends only on the arguments.
pub fn write_tab<W: Write>(writer: W, metadata_text: &str, members: &[TabMember]) -> io::Result<W> {
    let mut builder = tar::Builder::new(writer);
    let mut header = tar::Header::new_gnu();
    header.set_size(metadata_text.len() as u64);
    header.set_mode(0o644);
    builder.append_data(&mut header, METADATA_NAME, metadata_text.as_bytes())?;
    for member in members {
        let mut header = tar::Header::new_gnu();
        header.set_mtime(DETERMINISTIC_MTIME);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(member.bytes.len() as u64);
        if let Some(gnu) = header.as_gnu_mut() {
            gnu.set_device_major(0);
            gnu.set_device_minor(0);
        }
        builder.append_data(&mut header, &member.name, member.bytes.as_slice())?;
    }
    builder.into_inner()
}

impl Tab {
    /// Writes this TAB (see [`write_tab`]); the stored metadata text is used
    /// as is, so a read-then-write round trip is byte-identical.
    pub fn write<W: Write>(&self, writer: W) -> io::Result<W> {
        write_tab(writer, &self.metadata_text, &self.members)
    }
}
