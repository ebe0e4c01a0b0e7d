//! Tools installed outside the system package manager, all cached under
//! `~/.cache/tock-dev/` (never in the clone): upstream elf2tab and
//! tockloader for compatibility tests, cargo-fuzz, and the instruction-count
//! QEMU plugin. Area files find them through the accessors here; `setup`
//! installs whatever is missing.

use crate::cmd;
use crate::context::Context;
use anyhow::{bail, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The upstream elf2tab release our packager is compared against.
pub const ELF2TAB_VERSION: &str = "0.13.0";
/// The upstream tockloader release our loader is compared against.
pub const TOCKLOADER_VERSION: &str = "1.19.0";
/// The cargo-fuzz release that runs the fuzz targets.
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";
/// The source of the instruction-count plugin, built by `setup`.
const INSN_PLUGIN_SOURCE: &str = include_str!("../plugin/insn.c");

/// `~/.cache/tock-dev`: the root of every cached tool.
pub fn cache_dir() -> Result<PathBuf> {
    let home = std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .context("HOME is not set: cannot find ~/.cache/tock-dev")?;
    Ok(PathBuf::from(home).join(".cache").join("tock-dev"))
}

/// Upstream elf2tab 0.13.0.
pub fn elf2tab_path() -> Result<PathBuf> {
    Ok(cache_dir()?.join("elf2tab").join("bin").join("elf2tab"))
}

fn tockloader_venv() -> Result<PathBuf> {
    Ok(cache_dir()?.join("tockloader-venv"))
}

/// Upstream tockloader 1.19.0 (inside its own Python virtual environment).
pub fn tockloader_path() -> Result<PathBuf> {
    Ok(tockloader_venv()?.join("bin").join("tockloader"))
}

/// The instruction-count TCG plugin (`-plugin <path> -d plugin`).
pub fn insn_plugin_path() -> Result<PathBuf> {
    Ok(cache_dir()?.join("insn-plugin").join("libinsn.so"))
}

/// The cargo-fuzz binary.
pub fn cargo_fuzz_path() -> Result<PathBuf> {
    Ok(cache_dir()?
        .join("cargo-fuzz")
        .join("bin")
        .join("cargo-fuzz"))
}

/// `cargo fuzz` on the nightly toolchain: add the subcommand (`run`,
/// `build`, ...) and its arguments, and set the directory to the crate
/// holding `fuzz/`.
pub fn cargo_fuzz() -> Result<Command> {
    let mut command = Command::new(cargo_fuzz_path()?);
    command.arg("fuzz").env("RUSTUP_TOOLCHAIN", "nightly");
    Ok(command)
}

/// Environment variables naming each tool, set for every cargo command that
/// xtask runs, so tests in any crate can find them.
pub fn environment() -> Result<Vec<(&'static str, PathBuf)>> {
    Ok(vec![
        ("TOCK_DEV_ELF2TAB", elf2tab_path()?),
        ("TOCK_DEV_TOCKLOADER", tockloader_path()?),
        ("TOCK_DEV_INSN_PLUGIN", insn_plugin_path()?),
    ])
}

/// A cached tool: how to tell it is there, and how to install it.
pub struct CachedTool {
    /// What `setup` says it installs.
    pub description: &'static str,
    /// Whether the right version is installed.
    pub is_present: fn() -> Result<bool>,
    /// Installs it (prints what it runs).
    pub install: fn() -> Result<()>,
}

/// Every cached tool, in installation order.
pub const CACHED_TOOLS: &[CachedTool] = &[
    CachedTool {
        description: "the instruction-count QEMU plugin (gcc, a few seconds)",
        is_present: insn_plugin_is_current,
        install: build_insn_plugin,
    },
    CachedTool {
        description: "upstream elf2tab 0.13.0 (cargo install, about 2.5 minutes)",
        is_present: elf2tab_is_present,
        install: install_elf2tab,
    },
    CachedTool {
        description: "upstream tockloader 1.19.0 (Python venv and pip)",
        is_present: tockloader_is_present,
        install: install_tockloader,
    },
    CachedTool {
        description: "cargo-fuzz 0.13.2 (cargo install, about 2 minutes)",
        is_present: cargo_fuzz_is_present,
        install: install_cargo_fuzz,
    },
];

fn version_output_contains(program: &Path, version: &str) -> bool {
    program.is_file()
        && cmd::output(Command::new(program).arg("--version"))
            .is_ok_and(|text| text.split_whitespace().any(|word| word == version))
}

fn elf2tab_is_present() -> Result<bool> {
    Ok(version_output_contains(&elf2tab_path()?, ELF2TAB_VERSION))
}

fn cargo_fuzz_is_present() -> Result<bool> {
    // cargo-fuzz prints its version only when invoked as `cargo-fuzz fuzz`.
    let path = cargo_fuzz_path()?;
    Ok(path.is_file()
        && cmd::output(Command::new(&path).args(["fuzz", "--version"]))
            .is_ok_and(|text| text.contains(CARGO_FUZZ_VERSION)))
}

fn cargo_install(krate: &str, version: &str, root: &Path) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    cmd::run(
        Command::new(cargo)
            .args(["install", krate, "--version", version, "--locked", "--root"])
            .arg(root)
            // Build in cargo's own temporary directory, not the workspace's.
            .env_remove("CARGO_TARGET_DIR"),
    )
}

fn install_elf2tab() -> Result<()> {
    cargo_install("elf2tab", ELF2TAB_VERSION, &cache_dir()?.join("elf2tab"))
}

fn install_cargo_fuzz() -> Result<()> {
    cargo_install(
        "cargo-fuzz",
        CARGO_FUZZ_VERSION,
        &cache_dir()?.join("cargo-fuzz"),
    )
}

fn tockloader_is_present() -> Result<bool> {
    let venv = tockloader_venv()?;
    if !tockloader_path()?.is_file() {
        return Ok(false);
    }
    // pip records the installed version as a dist-info directory.
    let dist_info = format!("tockloader-{TOCKLOADER_VERSION}.dist-info");
    let Ok(entries) = std::fs::read_dir(venv.join("lib")) else {
        return Ok(false);
    };
    Ok(entries.flatten().any(|python| {
        python
            .path()
            .join("site-packages")
            .join(&dist_info)
            .is_dir()
    }))
}

fn install_tockloader() -> Result<()> {
    let venv = tockloader_venv()?;
    // Debian's python3 is the one `python3-venv` (installed by setup) serves.
    let debian_python = Path::new("/usr/bin/python3");
    let python = if debian_python.is_file() {
        debian_python
    } else {
        Path::new("python3")
    };
    cmd::run(Command::new(python).args(["-m", "venv"]).arg(&venv))
        .context("creating tockloader's Python venv (Debian: apt-get install python3-venv)")?;
    cmd::run(
        Command::new(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("tockloader=={TOCKLOADER_VERSION}")),
    )
}

fn insn_plugin_is_current() -> Result<bool> {
    let plugin = insn_plugin_path()?;
    let source = plugin.with_file_name("insn.c");
    let built_from = std::fs::read_to_string(source).unwrap_or_default();
    Ok(plugin.is_file() && built_from == INSN_PLUGIN_SOURCE)
}

fn build_insn_plugin() -> Result<()> {
    let plugin = insn_plugin_path()?;
    let dir = plugin.parent().context("plugin path has no directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // Per-process names, so two set-ups running at once do not collide.
    let new_source = dir.join(format!("insn-new-{}.c", std::process::id()));
    std::fs::write(&new_source, INSN_PLUGIN_SOURCE)
        .with_context(|| format!("writing {}", new_source.display()))?;
    let partial = dir.join(format!("libinsn.so.partial-{}", std::process::id()));
    cmd::run(
        Command::new("gcc")
            .args([
                "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-o",
            ])
            .arg(&partial)
            .arg(&new_source),
    )?;
    // The plugin, then its source, move into place only once the build
    // succeeded: a half-built or stale plugin never looks current.
    std::fs::rename(&partial, &plugin)
        .with_context(|| format!("moving the plugin to {}", plugin.display()))?;
    std::fs::rename(&new_source, dir.join("insn.c"))
        .with_context(|| format!("moving the plugin source into {}", dir.display()))?;
    if !plugin.is_file() {
        bail!("gcc did not produce {}", plugin.display());
    }
    Ok(())
}

/// The sizes of an ELF's sections (`.text`, `.bss`, ...), by `llvm-size -A`.
pub fn section_sizes(elf: &Path) -> Result<Vec<(String, u64)>> {
    let mut size = Command::new(llvm_tool("llvm-size")?);
    size.arg("-A").arg(elf);
    let listing = cmd::output(&mut size)?;
    Ok(listing
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let name = fields.next()?;
            let bytes = fields.next()?.parse().ok()?;
            name.starts_with('.').then(|| (name.to_string(), bytes))
        })
        .collect())
}

/// An LLVM tool from rustup's llvm-tools, or the system's.
pub fn llvm_tool(tool: &str) -> Result<PathBuf> {
    let sysroot = cmd::output(Command::new("rustc").args(["--print", "sysroot"]))?;
    let sysroot = PathBuf::from(sysroot.trim());
    let host = cmd::output(Command::new("rustc").args(["--print", "host-tuple"]))
        .map(|host| host.trim().to_string())
        .unwrap_or_else(|_| "x86_64-unknown-linux-gnu".to_string());
    let bundled = sysroot
        .join("lib/rustlib")
        .join(host)
        .join("bin")
        .join(tool);
    if bundled.is_file() {
        return Ok(bundled);
    }
    if cmd::succeeds(Command::new(tool).arg("--version")) {
        return Ok(PathBuf::from(tool));
    }
    bail!("{tool} not found: run `rustup component add llvm-tools` (or `cargo xtask setup`)")
}

/// Builds one of our own host binaries and returns its path. Debug is the
/// profile every test area uses, so one build serves them all; release is
/// for benchmarks that time the binary.
pub fn our_binary(ctx: &Context, package: &str, binary: &str, release: bool) -> Result<PathBuf> {
    let mut cargo = ctx.cargo("build")?;
    cargo.args(["-q", "-p", package, "--bin", binary]);
    if release {
        cargo.arg("--release");
    }
    cmd::output(&mut cargo).with_context(|| format!("building `{binary}` ({package})"))?;
    let profile = if release { "release" } else { "debug" };
    let path = ctx.target_dir.join(profile).join(binary);
    if !path.is_file() {
        bail!("{} is missing after its build", path.display());
    }
    Ok(path)
}

/// Fails unless the committed `Cargo.lock` of the cargo-fuzz crate in
/// `crate_dir/fuzz` matches its dependencies. cargo-fuzz has no `--locked`:
/// with a stale lock its build would rewrite the tracked file, so the
/// check (`cargo metadata --locked`, which never writes) runs first and
/// says how to bring the lock up to date.
pub fn ensure_fuzz_lock_is_current(ctx: &Context, crate_dir: &Path) -> Result<()> {
    let manifest = crate_dir.join("fuzz").join("Cargo.toml");
    let mut metadata = ctx.cargo("metadata")?;
    metadata
        .args(["--locked", "--format-version", "1", "--manifest-path"])
        .arg(&manifest);
    let output = metadata
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("running `{}`", cmd::describe(&metadata)))?;
    if !output.status.success() {
        bail!(
            "{} is out of date with the crates it fuzzes (a build would rewrite it): run \
             `cargo metadata --format-version 1 --manifest-path {} > /dev/null` and commit \
             the lock; cargo said: {}",
            manifest.with_file_name("Cargo.lock").display(),
            manifest.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Our packager, `tbf` (debug).
pub fn packager(ctx: &Context) -> Result<PathBuf> {
    our_binary(ctx, "tbf-tools", "tbf", false)
}

/// Our loader, `loader` (debug).
pub fn loader(ctx: &Context) -> Result<PathBuf> {
    our_binary(ctx, "loader-cli", "loader", false)
}
