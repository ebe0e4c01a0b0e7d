//! Loading what `sign`, `verify` and `inspect` work on: one TBF file, or a
//! TAB whose `.tbf` members are each an image. Writing a TAB back keeps its
//! members, their order and their tar headers; only the TBF bytes change.

use std::io::Read;
use std::path::Path;

use thiserror::Error;

/// Why a file cannot be used as a TBF or TAB.
#[derive(Debug, Error)]
pub enum ImageError {
    #[error("cannot read {path}: {reason}")]
    Read {
        path: String,
        reason: std::io::Error,
    },
    #[error("{path}: not a valid TAB archive: {reason}")]
    BadTab { path: String, reason: String },
    #[error("{path}: TAB member `{member}` is neither metadata.toml nor a .tbf image; a TAB holds only those")]
    WrongMember { path: String, member: String },
    #[error("{path}: the TAB holds no .tbf image")]
    EmptyTab { path: String },
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
    raw: Vec<u8>,
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
            images: vec![Image {
                name,
                bytes: raw.clone(),
            }],
            raw,
        });
    }
    let bad = |reason: String| ImageError::BadTab {
        path: display.clone(),
        reason,
    };
    let mut metadata = None;
    let mut images = Vec::new();
    let mut archive = tar::Archive::new(raw.as_slice());
    for entry in archive.entries().map_err(|e| bad(e.to_string()))? {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        let name = entry
            .path()
            .map_err(|e| bad(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("member {name}: {e}")))?;
        if name == "metadata.toml" {
            metadata = Some(String::from_utf8_lossy(&bytes).into_owned());
        } else if name.ends_with(".tbf") && !name.contains('/') {
            images.push(Image { name, bytes });
        } else {
            return Err(ImageError::WrongMember {
                path: display,
                member: name,
            });
        }
    }
    if images.is_empty() {
        return Err(ImageError::EmptyTab { path: display });
    }
    Ok(LoadedFile {
        tab_metadata: Some(metadata.unwrap_or_default()),
        images,
        raw,
    })
}

impl LoadedFile {
    /// The file's bytes with each image replaced by `images` (same order).
    pub fn rebuild(&self, images: &[Image]) -> std::io::Result<Vec<u8>> {
        if self.tab_metadata.is_none() {
            return Ok(images.first().map(|i| i.bytes.clone()).unwrap_or_default());
        }
        let mut builder = tar::Builder::new(Vec::new());
        let mut archive = tar::Archive::new(self.raw.as_slice());
        for entry in archive.entries()? {
            let mut entry = entry?;
            let name = entry.path()?.to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes)?;
            if let Some(image) = images.iter().find(|image| image.name == name) {
                bytes.clone_from(&image.bytes);
            }
            let mut header = entry.header().clone();
            header.set_size(bytes.len() as u64);
            builder.append_data(&mut header, &name, bytes.as_slice())?;
        }
        builder.into_inner()
    }
}
