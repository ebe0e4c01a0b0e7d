//! `tbf pack` (and `elf2tab`): ELF files to TBF images and one TAB.
//!
//! The flags, their defaults, conflicts and multi-value behaviour are
//! elf2tab 0.13's, so scripts written for it work unchanged.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::credentials::{load_ecdsa_private, load_rsa4096_private, CredentialRequest};
use crate::elf_app::ElfApp;
use crate::output::StagedOutput;
use crate::package::{pack, PackOptions};
use tbf::tab::{member_name, write_tab, TabMember, TabMetadata};

/// An input: an ELF path and, after the last comma, an optional architecture
/// name (otherwise the file's stem names the TBF inside the TAB).
#[derive(Debug, Clone)]
pub struct ElfInput {
    pub path: PathBuf,
    pub architecture: Option<String>,
}

impl From<&OsStr> for ElfInput {
    fn from(value: &OsStr) -> Self {
        match value.to_str().and_then(|text| text.rsplit_once(',')) {
            Some((path, architecture)) => ElfInput {
                path: PathBuf::from(path),
                architecture: Some(architecture.to_string()),
            },
            None => ElfInput {
                path: PathBuf::from(value),
                architecture: None,
            },
        }
    }
}

fn parse_permission(text: &str) -> Result<(u32, u32), String> {
    let (driver, command) = text
        .split_once(',')
        .ok_or_else(|| format!("invalid number,option: no `,` found in `{text}`"))?;
    let driver = driver.parse().map_err(|e| format!("driver number: {e}"))?;
    let command = command
        .parse()
        .map_err(|e| format!("command number: {e}"))?;
    Ok((driver, command))
}

/// A decimal number, or hexadecimal with a `0x` prefix.
fn parse_maybe_hex(text: &str) -> Result<u32, String> {
    let result = match text.get(..2) {
        Some(prefix) if prefix.eq_ignore_ascii_case("0x") => u32::from_str_radix(&text[2..], 16),
        _ => text.parse(),
    };
    result.map_err(|e| e.to_string())
}

/// The flags of elf2tab 0.13.
#[derive(clap::Args, Debug)]
pub struct PackArgs {
    #[arg(short = 'v', long = "verbose", help = "Be verbose")]
    pub verbose: bool,
    #[arg(
        long,
        help = "Print one JSON document (errors too) instead of text (tbf's own flag, not elf2tab's)"
    )]
    pub json: bool,
    #[arg(long, help = "Produce a deterministic TAB file (no build date)")]
    pub deterministic: bool,
    #[arg(long = "disable", help = "Mark the app as disabled in the TBF flags")]
    pub disabled: bool,
    #[arg(long, default_value = "0", help = "Set the version number")]
    pub app_version: u32,
    #[arg(long = "minimum-ram-size", id = "min-ram-size", help = "in bytes (the header's minimum RAM is at least this)",
          conflicts_with_all = ["stack-size", "heap-size", "kernel-heap-size"])]
    pub minimum_ram_size: Option<u32>,
    #[arg(
        short = 'o',
        long = "output-file",
        id = "filename",
        default_value = DEFAULT_TAB,
        help = "output file name"
    )]
    pub output: PathBuf,
    #[arg(
        short = 'n',
        long = "package-name",
        id = "pkg-name",
        help = "package name"
    )]
    pub package_name: Option<String>,
    #[arg(long = "stack", id = "stack-size", help = "in bytes")]
    pub stack_size: Option<u32>,
    #[arg(
        long = "app-heap",
        id = "heap-size",
        default_value = "1024",
        help = "in bytes"
    )]
    pub app_heap_size: u32,
    #[arg(
        long = "kernel-heap",
        id = "kernel-heap-size",
        default_value = "1024",
        help = "in bytes"
    )]
    pub kernel_heap_size: u32,
    #[arg(id = "elf[,architecture]", help = "application file(s) to package", num_args = 1.., required = true)]
    pub input: Vec<ElfInput>,
    #[arg(
        long = "protected-region-size",
        help = "Size of the protected region (including headers)"
    )]
    pub protected_region_size: Option<u32>,
    #[arg(long, num_args = 1.., value_parser = parse_permission, help = "A list of driver numbers and allowed commands (driver,command)")]
    pub permissions: Vec<(u32, u32)>,
    #[arg(long = "write_id", value_parser = parse_maybe_hex, help = "A storage ID used for writing data")]
    pub write_id: Option<u32>,
    #[arg(long = "read_ids", num_args = 1.., value_parser = parse_maybe_hex, help = "Storage IDs that this app is allowed to read")]
    pub read_ids: Option<Vec<u32>>,
    #[arg(long = "access_ids", num_args = 1.., value_parser = parse_maybe_hex, help = "Storage IDs that this app is allowed to write")]
    pub access_ids: Option<Vec<u32>>,
    #[arg(long = "short-id", value_parser = parse_maybe_hex, help = "ShortId to request in the app's header")]
    pub short_id: Option<u32>,
    #[arg(
        long = "kernel-major",
        id = "kernel-major-version",
        help = "The kernel version that the app requires"
    )]
    pub kernel_major: Option<u16>,
    #[arg(
        long = "kernel-minor",
        requires = "kernel-major-version",
        help = "The minimum kernel minor version that the app requires"
    )]
    pub kernel_minor: Option<u16>,
    #[arg(
        long = "supported-boards",
        help = "comma separated list of boards this app is compatible with"
    )]
    pub supported_boards: Option<String>,
    #[arg(
        long = "minimum-footer-size",
        default_value = "0",
        help = "Minimum number of bytes to reserve space for in the footer"
    )]
    pub minimum_footer_size: u32,
    #[arg(long = "sha256", help = "Add a SHA256 hash credential to each TBF")]
    pub sha256: bool,
    #[arg(long = "sha384", help = "Add a SHA384 hash credential to each TBF")]
    pub sha384: bool,
    #[arg(long = "sha512", help = "Add a SHA512 hash credential to each TBF")]
    pub sha512: bool,
    #[arg(
        long = "rsa4096-private",
        help = "Add an RSA-4096 PKCS#1 v1.5 signature credential using this PKCS#8 private key"
    )]
    pub rsa4096_private_key: Option<PathBuf>,
    #[arg(
        long = "ecdsa-nist-p256-private",
        help = "Add an ECDSA NIST P256 signature credential using this private key (PKCS#8 or SEC1, DER or PEM)"
    )]
    pub ecdsa_nist_p256_private_key: Option<PathBuf>,
}

impl PackArgs {
    fn credentials(&self) -> Result<Vec<CredentialRequest>> {
        let mut credentials = Vec::new();
        if self.sha256 {
            credentials.push(CredentialRequest::Sha256);
        }
        if self.sha384 {
            credentials.push(CredentialRequest::Sha384);
        }
        if self.sha512 {
            credentials.push(CredentialRequest::Sha512);
        }
        if let Some(path) = &self.rsa4096_private_key {
            credentials.push(CredentialRequest::Rsa4096(Box::new(load_rsa4096_private(
                path,
            )?)));
        }
        if let Some(path) = &self.ecdsa_nist_p256_private_key {
            credentials.push(CredentialRequest::EcdsaP256(load_ecdsa_private(path)?));
        }
        Ok(credentials)
    }

    fn kernel_version(&self) -> Option<(u16, u16)> {
        self.kernel_major
            .map(|major| (major, self.kernel_minor.unwrap_or(0)))
    }

    fn options(&self) -> Result<PackOptions> {
        Ok(PackOptions {
            package_name: self.package_name.clone().unwrap_or_default(),
            stack_size: self.stack_size,
            app_heap_size: self.app_heap_size,
            kernel_heap_size: self.kernel_heap_size,
            minimum_ram_size: self.minimum_ram_size,
            protected_region_size: self.protected_region_size,
            permissions: self.permissions.clone(),
            write_id: self.write_id,
            read_ids: self.read_ids.clone(),
            access_ids: self.access_ids.clone(),
            kernel_version: self.kernel_version(),
            short_id: self.short_id,
            disabled: self.disabled,
            minimum_footer_size: self.minimum_footer_size,
            app_version: self.app_version,
            credentials: self.credentials()?,
            verbose: self.verbose,
        })
    }
}

fn architecture_name(input: &ElfInput) -> Result<String> {
    match &input.architecture {
        Some(name) => Ok(name.clone()),
        None => input
            .path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .map(str::to_string)
            .with_context(|| {
                format!(
                    "{}: cannot name the TBF after this file; pass `{0},<architecture>`",
                    input.path.display()
                )
            }),
    }
}

fn package_one(input: &ElfInput, options: &PackOptions) -> Result<Vec<u8>> {
    let display = input.path.display();
    let bytes = std::fs::read(&input.path).with_context(|| format!("cannot read {display}"))?;
    let app = ElfApp::parse(bytes).with_context(|| format!("{display}"))?;
    let packaged = pack(&app, options).with_context(|| format!("{display}"))?;
    for warning in &packaged.warnings {
        eprintln!("warning: {display}: {warning}");
    }
    Ok(packaged.bytes)
}

/// Runs the packager. Every output is written only once all inputs packaged.
pub fn run(args: &PackArgs) -> Result<()> {
    let options = args.options()?;
    let metadata = TabMetadata {
        minimum_tock_kernel_version: args
            .kernel_version()
            .map(|(major, minor)| format!("{major}.{minor}")),
        only_for_boards: args.supported_boards.clone(),
        build_date: (!args.deterministic)
            .then(|| humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()),
        ..TabMetadata::new(args.package_name.as_deref().unwrap_or(""))
    };
    let mut staged = StagedOutput::default();
    let mut members = Vec::new();
    let mut notes = Vec::new();
    let mut written = Vec::new();
    for input in &args.input {
        let tbf_path = input.path.with_extension("tbf");
        if tbf_path.exists() {
            notes.push(format!(
                "note: replaced {} (each image is also written beside its ELF, as elf2tab does)",
                tbf_path.display()
            ));
        }
        if same_path(&tbf_path, &args.output) {
            bail!("the TAB file {} and the TBF written for {} would be the same file; choose another -o", args.output.display(), input.path.display());
        }
        if args.verbose {
            println!("Creating {tbf_path:?}");
        }
        let tbf = package_one(input, &options)?;
        written.push(serde_json::json!({
            "tbf": tbf_path.display().to_string(),
            "member": member_name(&architecture_name(input)?),
            "total_size": tbf.len(),
        }));
        staged.stage(&tbf_path, &tbf)?;
        members.push(TabMember {
            name: member_name(&architecture_name(input)?),
            bytes: tbf,
        });
    }
    let tab = write_tab(Vec::new(), &metadata.to_toml(), &members)
        .context("cannot build the TAB archive")?;
    if args.output == Path::new(DEFAULT_TAB) && args.output.exists() {
        notes.push(format!(
            "note: replaced {DEFAULT_TAB} in the current directory (no -o was given)"
        ));
    }
    staged.stage(&args.output, &tab)?;
    staged.commit()?;
    if args.kernel_version().is_none() {
        notes.push(
            "warning: no --kernel-major: the image has no Kernel Version header, so this \
             project's kernel skips it at boot (\"no KernelVersion header\"); pass \
             --kernel-major 2 --kernel-minor 1"
                .to_string(),
        );
    }
    if args.json {
        return crate::commands::print_json(&serde_json::json!({
            "tab": args.output.display().to_string(),
            "images": written,
            "warnings": notes,
        }));
    }
    // After the outputs exist: a failed command prints its one error line only.
    for note in notes {
        eprintln!("{note}");
    }
    Ok(())
}

/// The TAB written when no `-o` is given (elf2tab's default).
const DEFAULT_TAB: &str = "TockApp.tab";

fn same_path(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_architecture_follows_the_last_comma() {
        let input = ElfInput::from(OsStr::new("dir,x/app.elf,cortex-m4"));
        assert_eq!(input.path, PathBuf::from("dir,x/app.elf"));
        assert_eq!(input.architecture.as_deref(), Some("cortex-m4"));
        let plain = ElfInput::from(OsStr::new("build/rv32imac.elf"));
        assert_eq!(architecture_name(&plain).unwrap(), "rv32imac");
    }

    #[test]
    fn numbers_may_be_hexadecimal() {
        assert_eq!(parse_maybe_hex("0x10"), Ok(16));
        assert_eq!(parse_maybe_hex("0XfF"), Ok(255));
        assert_eq!(parse_maybe_hex("42"), Ok(42));
        assert!(parse_maybe_hex("0x").is_err());
        assert!(parse_maybe_hex("ten").is_err());
        assert_eq!(parse_permission("1,2"), Ok((1, 2)));
        assert!(parse_permission("12").is_err());
    }
}
