//! What the signing tests and figures share: the packager CLI (`tbf`), two
//! key pairs made with `tbf keygen` (the board's and an unknown one),
//! kernels built under each credential policy, test apps packaged with
//! `tbf pack` and signed with `tbf sign`, and boots of a flash file.

use super::kernel_image::{self, BOARD_ARGUMENTS, BOARD_PACKAGE};
use crate::areas::targets::RISCV32IMAC;
use crate::cmd;
use crate::context::Context;
use crate::qemu::{Machine, QemuBuilder, QemuExit};
use anyhow::{Context as _, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Where the SoftHSM2 token's exported public key goes (SPKI DER).
pub const HSM_PUBLIC_KEY: &str = "hsm-key.pub.der";

/// How long one boot may take before the test fails.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The credential policy a kernel is built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Policy {
    /// ECDSA P-256 with the board key embedded.
    Signature,
    /// SHA-256 integrity only.
    Integrity,
    /// No checking (the default board).
    Nothing,
    /// ECDSA P-256 with two keys embedded, the board key and the SoftHSM2
    /// token's (`several_signers.rs` makes it first), both of which must
    /// have signed (`BOARD_SIGNERS_REQUIRED=2`).
    TwoSigners,
}

/// A key pair made by `tbf keygen`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// The one the signature kernel embeds.
    Board,
    /// One the board does not know.
    Unknown,
}

/// Built tools, keys, kernels and packaged apps.
pub struct Fixture {
    ctx: Context,
    directory: PathBuf,
    packager: PathBuf,
    kernels: HashMap<Policy, PathBuf>,
}

impl Fixture {
    /// Builds the packager and the test apps and makes the two keys.
    pub fn new(ctx: &Context) -> Result<Fixture> {
        let directory = ctx.scratch_dir("signing")?;
        let packager = crate::tools::packager(ctx)?;
        kernel_image::build_apps(ctx, 0, &[])?;
        let fixture = Fixture {
            ctx: ctx.clone(),
            directory,
            packager,
            kernels: HashMap::new(),
        };
        for key in [Key::Board, Key::Unknown] {
            let mut keygen = fixture.packager();
            keygen
                .args(["keygen", "--force", "--out"])
                .arg(fixture.key_base(key));
            cmd::output(&mut keygen)?;
        }
        Ok(fixture)
    }

    /// The build context.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Writes `bytes` to scratch file `name`; returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> Result<String> {
        let path = self.directory.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        path.to_str()
            .map(str::to_string)
            .context("the scratch path is not UTF-8")
    }

    /// Scratch file `name`'s path.
    pub fn path(&self, name: &str) -> PathBuf {
        self.directory.join(name)
    }

    /// The packager CLI.
    pub fn packager(&self) -> Command {
        Command::new(&self.packager)
    }

    /// `<base>` of a key's files (`.der`, `.pem`, `.pub`).
    pub fn key_base(&self, key: Key) -> PathBuf {
        self.directory.join(match key {
            Key::Board => "board-key",
            Key::Unknown => "unknown-key",
        })
    }

    /// The kernel ELF built under `policy` (built once, then kept).
    pub fn kernel(&mut self, policy: Policy) -> Result<PathBuf> {
        if let Some(kernel) = self.kernels.get(&policy) {
            return Ok(kernel.clone());
        }
        let mut cargo = self.ctx.cargo("build")?;
        cargo.args(["--release", "-p", BOARD_PACKAGE, "--target", RISCV32IMAC]);
        cargo
            .env_remove("BOARD_SIGNING_KEY")
            .env_remove("BOARD_CREDENTIAL_POLICY")
            .env_remove("BOARD_SIGNERS_REQUIRED");
        match policy {
            Policy::Signature => {
                let public = self.key_base(Key::Board).with_extension("pub");
                cargo.env("BOARD_SIGNING_KEY", public);
            }
            Policy::Integrity => {
                cargo.env("BOARD_CREDENTIAL_POLICY", "sha256");
            }
            Policy::TwoSigners => {
                let keys = std::env::join_paths([
                    self.key_base(Key::Board).with_extension("pub"),
                    self.path(HSM_PUBLIC_KEY),
                ])?;
                cargo
                    .env("BOARD_SIGNING_KEY", keys)
                    .env("BOARD_SIGNERS_REQUIRED", "2");
            }
            Policy::Nothing => {}
        }
        cmd::run(&mut cargo)?;
        let built = self.ctx.artifact(RISCV32IMAC, "release", BOARD_PACKAGE);
        let kernel = self.directory.join(format!("kernel-{policy:?}.elf"));
        std::fs::copy(&built, &kernel)
            .with_context(|| format!("copying {} to {}", built.display(), kernel.display()))?;
        self.kernels.insert(policy, kernel.clone());
        Ok(kernel)
    }

    /// Test app `app` packaged by `tbf pack` as `name`, version `version`
    /// (no credentials).
    pub fn package(&self, app: &str, name: &str, version: u32) -> Result<Vec<u8>> {
        self.package_with(app, name, version, &[])
    }

    /// [`Self::package`] with extra `tbf pack` flags (e.g. footer room).
    pub fn package_with(
        &self,
        app: &str,
        name: &str,
        version: u32,
        flags: &[&str],
    ) -> Result<Vec<u8>> {
        let built = self.ctx.artifact(RISCV32IMAC, "release", app);
        let elf = self.directory.join(format!("{name}-v{version}.elf"));
        std::fs::copy(&built, &elf)
            .with_context(|| format!("copying {} (was it built?)", built.display()))?;
        let mut pack = self.packager();
        pack.args(["pack", "--kernel-major", "2", "--kernel-minor", "1"])
            .args([
                "--stack",
                "2048",
                "--app-heap",
                "4096",
                "--kernel-heap",
                "1024",
            ])
            .args(["--app-version", &version.to_string(), "--deterministic"])
            .args(flags)
            .arg("-n")
            .arg(name)
            .arg("-o")
            .arg(elf.with_extension("tab"))
            .arg(&elf);
        cmd::output(&mut pack)?;
        let tbf = elf.with_extension("tbf");
        std::fs::read(&tbf).with_context(|| format!("reading {}", tbf.display()))
    }

    /// `tbf` with the credentials `tbf sign` adds with `arguments`
    /// (e.g. `--key board.der`, `--sha256`).
    pub fn sign(&self, tbf: &[u8], arguments: &[&str]) -> Result<Vec<u8>> {
        let path = self.directory.join("to-sign.tbf");
        std::fs::write(&path, tbf)?;
        let mut sign = self.packager();
        sign.arg("sign").args(arguments).arg(&path);
        cmd::output(&mut sign)?;
        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
    }

    /// `tbf` signed (ECDSA P-256) with `key`.
    pub fn signed(&self, tbf: &[u8], key: Key) -> Result<Vec<u8>> {
        let private = self.key_base(key).with_extension("der");
        let private = private.to_str().context("the scratch path is not UTF-8")?;
        self.sign(tbf, &["--key", private])
    }

    /// A flash file with `kernel` and `apps` (slot order) for test `test`.
    pub fn flash(&self, test: &str, kernel: &Path, apps: &[Vec<u8>]) -> Result<PathBuf> {
        let flash = self.directory.join(format!("{test}.pflash"));
        kernel_image::write_flash_file(&flash, kernel, apps)?;
        Ok(flash)
    }

    /// Boots the flash file of test `test` again with its kernel and
    /// key-value store kept but `apps` written over the app chain (other
    /// bytes of app flash stay, unreachable behind the new chain's end).
    pub fn reboot(&self, test: &str, apps: &[Vec<u8>]) -> Result<QemuExit> {
        let flash = self.directory.join(format!("{test}.pflash"));
        kernel_image::write_app_chain(&flash, apps)?;
        Self::board(&flash).spawn()?.wait(TIMEOUT)
    }

    /// The storage probe (`storage_probe/main.c`, libtock-c) for the
    /// qemu-rv32-virt slot `slot` (0-3), packaged by `tbf pack` as `name`
    /// with the extra packager flags `flags` (e.g. a storage-permissions
    /// header: `--write_id 4096`).
    pub fn storage_probe(&self, name: &str, slot: u32, flags: &[&str]) -> Result<Vec<u8>> {
        let build = self.directory.join("probe");
        let target = format!(
            "rv32imac.{:#x}.{:#x}",
            0x2004_0080 + slot * 0x1_0000,
            0x8001_0000 + slot * 0x1_0000
        );
        let built = build.join(&target).join(format!("{target}.elf"));
        if !built.is_file() {
            self.make_storage_probe(&build)?;
        }
        let elf = self.directory.join(format!("{name}.elf"));
        std::fs::copy(&built, &elf)
            .with_context(|| format!("copying {} (was it built?)", built.display()))?;
        // libtock-c's packaging flags (Configuration.mk), then `flags`.
        let mut pack = self.packager();
        pack.args(["pack", "-n", name, "--stack", "2048", "--app-heap", "1024"])
            .args([
                "--kernel-heap",
                "1024",
                "--kernel-major",
                "2",
                "--kernel-minor",
                "0",
            ])
            .args(flags)
            .arg("-o")
            .arg(elf.with_extension("tab"))
            .arg(format!("{},rv32imac", elf.display()));
        cmd::output(&mut pack)?;
        let tbf = elf.with_extension("tbf");
        std::fs::read(&tbf).with_context(|| format!("reading {}", tbf.display()))
    }

    fn make_storage_probe(&self, build: &Path) -> Result<()> {
        let source = self
            .ctx
            .workspace
            .join("xtask/src/areas/signing/storage_probe");
        let mut make = Command::new("make");
        make.arg("-C")
            .arg(&source)
            .args(["-j2", "WERROR=1", "PACKAGER=tbf", "PACKAGE_NAME=probe"])
            .arg(format!("TBF={}", self.packager.display()))
            .arg(format!("BUILD_DIR={}", build.display()))
            .arg(format!(
                "LIBTOCK_BUILD_DIR={}",
                self.directory.join("libtock-c").display()
            ));
        cmd::output(&mut make)
            .context(
                "building the storage probe (run `cargo xtask setup` if the RISC-V compiler is missing)",
            )
            .map(drop)
    }

    /// Writes `kernel` over the kernel of test `test`'s flash file (apps
    /// and the key-value store stay).
    pub fn swap_kernel(&self, test: &str, kernel: &Path) -> Result<()> {
        let flash = self.directory.join(format!("{test}.pflash"));
        kernel_image::write_kernel(&flash, kernel)
    }

    /// QEMU booting `flash` as qemu-rv32-virt.
    pub fn board(flash: &Path) -> QemuBuilder {
        QemuBuilder::new(Machine::Rv32Virt)
            .pflash(0, flash)
            .args(BOARD_ARGUMENTS.iter().copied())
    }

    /// Boots `kernel` with `apps` until the guest exits (test `test`).
    pub fn boot(&self, test: &str, kernel: &Path, apps: &[Vec<u8>]) -> Result<QemuExit> {
        let flash = self.flash(test, kernel, apps)?;
        Self::board(&flash).spawn()?.wait(TIMEOUT)
    }
}
