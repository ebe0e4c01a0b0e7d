//! All-or-nothing output: every file is first written to a temporary file in
//! its destination directory, and only when all of them are written are they
//! renamed into place. A failure leaves no partial or half-new output behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;
use thiserror::Error;

/// Why output could not be written.
#[derive(Debug, Error)]
#[error("cannot write {path}: {reason}")]
pub struct OutputError {
    pub path: String,
    pub reason: std::io::Error,
}

/// Files staged for writing; nothing is visible until [`StagedOutput::commit`].
#[derive(Default)]
pub struct StagedOutput {
    files: Vec<(PathBuf, NamedTempFile)>,
}

/// The OS error alone: tempfile's own message names the temporary file,
/// which would only confuse.
fn error(path: &Path, error: std::io::Error) -> OutputError {
    let text = error.to_string();
    let reason = match text.split_once(" at path ") {
        Some((reason, _)) => std::io::Error::new(error.kind(), reason.to_string()),
        None => error,
    };
    OutputError {
        path: path.display().to_string(),
        reason,
    }
}

impl StagedOutput {
    /// Writes `bytes` to a temporary file beside `path`, readable by all.
    pub fn stage(&mut self, path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
        self.stage_with_mode(path, bytes, 0o644)
    }

    /// Writes `bytes` to a temporary file beside `path` with Unix `mode`.
    pub fn stage_with_mode(
        &mut self,
        path: &Path,
        bytes: &[u8],
        mode: u32,
    ) -> Result<(), OutputError> {
        let directory = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let mut file = NamedTempFile::new_in(directory).map_err(|e| error(path, e))?;
        file.write_all(bytes).map_err(|e| error(path, e))?;
        set_mode(&file, mode).map_err(|e| error(path, e))?;
        self.files.push((path.to_path_buf(), file));
        Ok(())
    }

    /// Renames every staged file into place.
    pub fn commit(self) -> Result<(), OutputError> {
        for (path, file) in self.files {
            file.persist(&path).map_err(|e| error(&path, e.error))?;
        }
        Ok(())
    }
}

/// Temporary files are created owner-only; outputs get the mode asked for.
fn set_mode(file: &NamedTempFile, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (file, mode);
    Ok(())
}

/// Writes one file atomically.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let mut staged = StagedOutput::default();
    staged.stage(path, bytes)?;
    staged.commit()
}
