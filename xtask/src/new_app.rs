//! `cargo xtask new-app NAME --lang rust|c [--dir PATH]`: writes an app
//! project outside the tree with its build, packaging and signing set up:
//! a Makefile whose `make` builds, packages (`tbf pack`), signs with the
//! project's own developer key (made here by `tbf keygen`) and verifies,
//! `make board` boots qemu-rv32-virt built with that key, and `make
//! install` installs the app on it live.
//!
//! Must never: write into the Tock checkout (apart from building our tools
//! into the target directory), or overwrite an existing directory.

mod templates;

use crate::context::Context;
use crate::exit::UsageError;
use crate::{cmd, tools};
use anyhow::{bail, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The longest package name that fits the 0x60-byte TBF header the
/// layouts reserve (docs/libtock-rs.md).
const LONGEST_NAME: usize = 16;

/// The language of a new app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Language {
    /// libtock-rs: a cargo crate depending on `libtock` by path.
    Rust,
    /// libtock-c: a Makefile project including libtock-c's AppMakefile.mk.
    C,
}

/// What `cargo xtask new-app` was asked to make.
#[derive(Debug)]
pub struct NewApp {
    /// The app's name: its directory, crate or package name and TBF name.
    pub name: String,
    /// Its language.
    pub language: Language,
    /// The directory to make it in (the app is `directory/name`).
    pub directory: PathBuf,
}

/// Checks that `name` can be a crate, a directory and a TBF package name.
pub fn check_name(name: &str) -> Result<()> {
    let allowed = |character: char| {
        character.is_ascii_lowercase() || character.is_ascii_digit() || character == '_'
    };
    let starts_with_letter = name.starts_with(|first: char| first.is_ascii_lowercase());
    if !starts_with_letter || !name.chars().all(allowed) || name.len() > LONGEST_NAME {
        return Err(anyhow::anyhow!(
            "app name `{name}`: use 1 to {LONGEST_NAME} characters a-z, 0-9 and _, starting \
             with a letter (it becomes the TBF package name, which must fit the 0x60-byte header)"
        )
        .context(UsageError));
    }
    Ok(())
}

/// Makes the app; returns its directory.
pub fn create(ctx: &Context, request: &NewApp) -> Result<PathBuf> {
    check_name(&request.name)?;
    let app = request.directory.join(&request.name);
    if app.exists() {
        return Err(anyhow::anyhow!(
            "{} already exists: choose another NAME or --dir (nothing was written)",
            app.display()
        )
        .context(UsageError));
    }
    if app.starts_with(&ctx.workspace) {
        return Err(anyhow::anyhow!(
            "{} is inside the Tock checkout {}: make apps outside it (--dir PATH)",
            app.display(),
            ctx.workspace.display()
        )
        .context(UsageError));
    }
    let tbf = tools::packager(ctx)?;
    let loader = tools::loader(ctx)?;
    let fill = |template: &str| {
        template
            .replace("{name}", &request.name)
            .replace("{workspace}", &ctx.workspace.to_string_lossy())
            .replace("{tbf}", &tbf.to_string_lossy())
            .replace("{loader}", &loader.to_string_lossy())
    };
    let files: Vec<(&str, &str)> = match request.language {
        Language::Rust => vec![
            ("Cargo.toml", templates::RUST_CARGO_TOML),
            (".cargo/config.toml", templates::RUST_CARGO_CONFIG),
            ("src/main.rs", templates::RUST_MAIN),
            ("Makefile", templates::RUST_MAKEFILE),
        ],
        Language::C => vec![
            ("main.c", templates::C_MAIN),
            ("Makefile", templates::C_MAKEFILE),
        ],
    };
    let common = [
        (".gitignore", templates::GITIGNORE),
        ("README.md", templates::README),
    ];
    for (path, template) in files.into_iter().chain(common) {
        write_new(&app.join(path), &fill(template))?;
    }
    make_key(&tbf, &app)?;
    Ok(app)
}

/// Writes `contents` to `path`, making its directory.
fn write_new(path: &Path, contents: &str) -> Result<()> {
    if let Some(directory) = path.parent() {
        std::fs::create_dir_all(directory)
            .with_context(|| format!("creating {}", directory.display()))?;
    }
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

/// The project's developer key pair, `keys/developer.*`.
fn make_key(tbf: &Path, app: &Path) -> Result<()> {
    let mut keygen = Command::new(tbf);
    keygen
        .current_dir(app)
        .args(["keygen", "--out", "keys/developer"]);
    std::fs::create_dir_all(app.join("keys")).context("creating keys/")?;
    cmd::output(&mut keygen).context("making the app's signing key")?;
    if !app.join("keys/developer.pub").is_file() {
        bail!(
            "tbf keygen wrote no keys/developer.pub in {}",
            app.display()
        );
    }
    Ok(())
}

/// What to do next, printed after the app is made.
pub fn next_steps(app: &Path) -> String {
    format!(
        "made {app}\n\nnext:\n  cd {app}\n  make                                  # build, package, sign, verify\n  \
         make board PORT=tcp:127.0.0.1:4444    # another terminal: the board, running apps signed with keys/developer.pub\n  \
         make install PORT=tcp:127.0.0.1:4444  # install live; the app starts at once\n  \
         make listen PORT=tcp:127.0.0.1:4444   # its console (Ctrl-C ends it)\n\n\
         docs/getting-started.md walks through it.",
        app = app.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_fit_a_crate_and_the_tbf_header_are_accepted() {
        for name in ["hello", "my_app2", "a", "sixteen_bytes_ab"] {
            assert!(check_name(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn other_names_are_usage_errors() {
        for name in ["", "Hello", "2app", "my-app", "../x", "seventeen_bytes_a"] {
            let error = check_name(name).unwrap_err();
            assert!(error.downcast_ref::<UsageError>().is_some(), "{name}");
        }
    }
}
