//! Where things are: the workspace, the target directory, the area filter,
//! and a `cargo` command set up to build into the right place.

use crate::tools;
use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What every area function gets: paths and the filter for this area.
#[derive(Clone, Debug)]
pub struct Context {
    /// The workspace root (the directory holding the root `Cargo.toml`).
    pub workspace: PathBuf,
    /// Where cargo builds: `$CARGO_TARGET_DIR` when set, else `<workspace>/target`.
    pub target_dir: PathBuf,
    /// The part of the command-line filter after `area:`, if any: pass it
    /// on to `cargo test` or use it to select tests.
    pub filter: Option<String>,
}

impl Context {
    /// The context of this checkout, with no filter.
    pub fn from_environment() -> Result<Context> {
        // xtask lives in `<workspace>/xtask`; the path is fixed at build time.
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("xtask's manifest directory has no parent")?
            .to_path_buf();
        let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if !dir.is_empty() => {
                let dir = PathBuf::from(dir);
                if dir.is_absolute() {
                    dir
                } else {
                    std::env::current_dir()
                        .context("reading the current directory")?
                        .join(dir)
                }
            }
            _ => workspace.join("target"),
        };
        Ok(Context {
            workspace,
            target_dir,
            filter: None,
        })
    }

    /// The same context with another area filter.
    pub fn with_filter(&self, filter: Option<String>) -> Context {
        Context {
            filter,
            ..self.clone()
        }
    }

    /// `cargo <subcommand>` run from the workspace root, building into
    /// [`Context::target_dir`], with the upstream tools' paths in the
    /// environment (`TOCK_DEV_ELF2TAB`, `TOCK_DEV_TOCKLOADER`,
    /// `TOCK_DEV_INSN_PLUGIN`) so tests in any crate can find them.
    pub fn cargo(&self, subcommand: &str) -> Result<Command> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .arg(subcommand)
            .current_dir(&self.workspace)
            .env("CARGO_TARGET_DIR", &self.target_dir);
        for (name, path) in tools::environment()? {
            command.env(name, path);
        }
        Ok(command)
    }

    /// A command running this `cargo xtask` binary again, e.g. for `qemu`
    /// in a child process. Should the binary be rebuilt while it runs (a
    /// test edits and rebuilds xtask), Linux renames the running one to
    /// `... (deleted)`, which cannot be started; the rebuilt binary at the
    /// original path is used then.
    pub fn xtask_command(&self) -> Result<Command> {
        let running = std::env::current_exe().context("finding the xtask binary")?;
        let path = running
            .to_str()
            .and_then(|text| text.strip_suffix(" (deleted)"))
            .map_or(running.clone(), PathBuf::from);
        let mut command = Command::new(path);
        command.env("CARGO_TARGET_DIR", &self.target_dir);
        Ok(command)
    }

    /// Where cargo puts the artifact `name` built for `target` with
    /// `profile` (`debug` or `release`).
    pub fn artifact(&self, target: &str, profile: &str, name: &str) -> PathBuf {
        self.target_dir.join(target).join(profile).join(name)
    }

    /// A scratch directory under the target directory, created if missing:
    /// tests put flash files, logs and built images here, never in the clone.
    pub fn scratch_dir(&self, name: &str) -> Result<PathBuf> {
        let dir = self.target_dir.join("xtask").join(name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir)
    }
}
