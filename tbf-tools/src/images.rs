//! Loading what `sign`, `verify` and `inspect` work on: one TBF file, or a
//! TAB (read and written by the `tbf` crate) whose `.tbf` members are each
//! an image.

use std::path::Path;

use tbf::tab::{read_tab, write_tab, TabError, TabMember};
use thiserror::Error;

/// Why a file cannot be used as a TBF or TAB.
#[derive(Debug, Error)]
pub enum ImageError {
    #[error("cannot read {path}: {reason}")]
    Read {
        path: String,
        reason: std::io::Error,
    },
    /// A `.tbf` member of the TAB is malformed (a verdict, not a usage error).
    #[error("{path}: {reason}")]
    MalformedMember { path: String, reason: String },
    #[error("{path}: {reason}; a TAB holds metadata.toml and <architecture>.tbf images")]
    BadTab { path: String, reason: String },
}

/// One image: its name (the file name, or the TAB member name) and bytes.
#[derive(Debug, Clone)]
pub struct Image {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A loaded file.
#[derive(Debug)]
pub struct LoadedFile {
    /// The TAB's `metadata.toml` text; `None` for a bare TBF.
    pub tab_metadata: Option<String>,
    pub images: Vec<Image>,
}

/// Whether `bytes` look like a tar archive (the ustar magic at 257).
fn is_tar(bytes: &[u8]) -> bool {
    bytes.get(257..262) == Some(b"ustar")
}

/// Loads a TBF or a TAB.
pub fn load(path: &Path) -> Result<LoadedFile, ImageError> {
    let display = path.display().to_string();
    let raw = std::fs::read(path).map_err(|reason| ImageError::Read {
        path: display.clone(),
        reason,
    })?;
    if !is_tar(&raw) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok(LoadedFile {
            tab_metadata: None,
            images: vec![Image { name, bytes: raw }],
        });
    }
    // The messages are flattened to text: the TAB error's own source would
    // otherwise be printed twice in the one-line error.
    let tab = read_tab(raw.as_slice()).map_err(|error| match error {
        TabError::BadTbf { .. } => ImageError::MalformedMember {
            path: display.clone(),
            reason: error.to_string(),
        },
        other => ImageError::BadTab {
            path: display.clone(),
            reason: other.to_string(),
        },
    })?;
    Ok(LoadedFile {
        tab_metadata: Some(tab.metadata_text),
        images: tab
            .members
            .into_iter()
            .map(|member| Image {
                name: member.name,
                bytes: member.bytes,
            })
            .collect(),
    })
}

impl LoadedFile {
    /// The file's bytes with its images replaced by `images`: the image
    /// itself for a TBF, the TAB rewritten with the same metadata otherwise.
    pub fn rebuild(&self, images: &[Image]) -> std::io::Result<Vec<u8>> {
        match &self.tab_metadata {
            None => Ok(images.first().map(|i| i.bytes.clone()).unwrap_or_default()),
            Some(metadata) => {
                let members: Vec<TabMember> = images
                    .iter()
                    .map(|image| TabMember {
                        name: image.name.clone(),
                        bytes: image.bytes.clone(),
                    })
                    .collect();
                write_tab(Vec::new(), metadata, &members)
            }
        }
    }
}
