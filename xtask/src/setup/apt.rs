//! Debian packages: QEMU 10 from bookworm-backports, the RISC-V and Arm
//! cross compilers with their C libraries, and libraries host crates link.
//!
//! Bookworm's own QEMU 7.2 cannot be installed beside the preinstalled
//! backports `qemu-utils` 10 (FACTS.md), so QEMU comes from the backports
//! suite, which is added with the same mirror as the machine's Debian
//! sources when no source names it yet.

use super::Report;
use crate::cmd;
use anyhow::{bail, Context as _, Result};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// Installed from the backports suite.
const BACKPORTS_PACKAGES: &[&str] = &["qemu-system-riscv", "qemu-system-arm"];
/// Installed from the release itself.
const PACKAGES: &[&str] = &[
    "gcc",
    "python3-venv",
    "gcc-riscv64-unknown-elf",
    "picolibc-riscv64-unknown-elf",
    "gcc-arm-none-eabi",
    "libnewlib-arm-none-eabi",
    "picolibc-arm-none-eabi",
    "libudev-dev",
    "pkg-config",
    // The security-key tests check HOTP and TOTP codes with it.
    "oathtool",
    // The CTAP2 app is checked by libfido2 and ssh-keygen through our own
    // libfido2 transport and security-key provider (clients/libfido2-hid-link).
    "libfido2-dev",
    // `tbf sign --pkcs11` is tested against a SoftHSM2 token; pkcs11-tool
    // (OpenSC) makes its key pair and exports the public key, and openssl
    // is the stand-in cloud KMS behind `tbf sign --signer`.
    "softhsm2",
    "opensc",
    "openssl",
];
const RELEASE: &str = "bookworm";
const BACKPORTS_SUITE: &str = "bookworm-backports";
const SOURCES_DIR: &str = "/etc/apt/sources.list.d";
const DEBIAN_SOURCES: &str = "/etc/apt/sources.list.d/debian.sources";
const BACKPORTS_SOURCES: &str = "/etc/apt/sources.list.d/bookworm-backports.sources";

/// Installs every missing package: one `apt-get install` for the release's
/// packages, one for the backports ones.
pub fn ensure(report: &mut Report) -> Result<()> {
    let missing = missing_packages(PACKAGES)?;
    let missing_backports = missing_packages(BACKPORTS_PACKAGES)?;
    if missing.is_empty() && missing_backports.is_empty() {
        return Ok(());
    }
    if !missing_backports.is_empty() {
        ensure_backports_source(report)?;
    }
    report.installing("the Debian package lists (apt-get update)");
    cmd::run(&mut privileged(&["apt-get", "update"])?)?;
    let install = ["apt-get", "install", "-y", "--no-install-recommends"];
    if !missing.is_empty() {
        report.installing(&format!("Debian packages {}", missing.join(" ")));
        cmd::run(privileged(&install)?.args(&missing))?;
    }
    if !missing_backports.is_empty() {
        report.installing(&format!(
            "{} from {BACKPORTS_SUITE}",
            missing_backports.join(" ")
        ));
        cmd::run(
            privileged(&install)?
                .args(["-t", BACKPORTS_SUITE])
                .args(&missing_backports),
        )?;
    }
    let still_missing = missing_packages(&[PACKAGES, BACKPORTS_PACKAGES].concat())?;
    if !still_missing.is_empty() {
        bail!(
            "apt-get finished but these packages are still not installed: {}",
            still_missing.join(" ")
        );
    }
    Ok(())
}

/// The packages of `names` that dpkg does not report as installed.
fn missing_packages<'a>(names: &[&'a str]) -> Result<Vec<&'a str>> {
    // dpkg-query exits non-zero when a package is unknown; its output still
    // lists the known ones, which is all that is needed here.
    let output = Command::new("dpkg-query")
        .arg("-W")
        .arg("-f=${Package} ${Status}\n")
        .args(names)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .context("running dpkg-query: this set-up needs Debian (bookworm)")?;
    let listing = String::from_utf8_lossy(&output.stdout);
    Ok(names
        .iter()
        .copied()
        .filter(|name| !installed_in_listing(&listing, name))
        .collect())
}

fn installed_in_listing(listing: &str, name: &str) -> bool {
    listing.lines().any(|line| {
        line.split_once(' ').is_some_and(|(package, status)| {
            package == name && status.trim() == "install ok installed"
        })
    })
}

/// `program arguments...` as root: directly when root, through sudo otherwise.
fn privileged(arguments: &[&str]) -> Result<Command> {
    let mut command = if is_root()? {
        Command::new("env")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("env");
        sudo
    };
    command
        .arg("DEBIAN_FRONTEND=noninteractive")
        .args(arguments);
    Ok(command)
}

fn is_root() -> Result<bool> {
    let uid = cmd::output(Command::new("id").arg("-u")).context("finding the user id")?;
    Ok(uid.trim() == "0")
}

/// Adds the backports suite unless some apt source already names it.
fn ensure_backports_source(report: &mut Report) -> Result<()> {
    if backports_already_configured()? {
        return Ok(());
    }
    let debian = std::fs::read_to_string(DEBIAN_SOURCES).with_context(|| {
        format!("reading {DEBIAN_SOURCES} to find this machine's Debian mirror")
    })?;
    let contents = backports_sources(&debian).with_context(|| format!("in {DEBIAN_SOURCES}"))?;
    report.installing(&format!(
        "the apt source {BACKPORTS_SOURCES} (QEMU 10 lives in {BACKPORTS_SUITE})"
    ));
    write_as_root(Path::new(BACKPORTS_SOURCES), &contents)
}

fn backports_already_configured() -> Result<bool> {
    let mut files = vec![Path::new("/etc/apt/sources.list").to_path_buf()];
    if let Ok(entries) = std::fs::read_dir(SOURCES_DIR) {
        files.extend(entries.flatten().map(|entry| entry.path()).filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "sources" || extension == "list")
        }));
    }
    Ok(files.iter().any(|file| {
        std::fs::read_to_string(file).is_ok_and(|text| {
            text.lines()
                .filter(|line| !line.trim_start().starts_with('#'))
                .any(|line| line.split_whitespace().any(|word| word == BACKPORTS_SUITE))
        })
    }))
}

fn write_as_root(path: &Path, contents: &str) -> Result<()> {
    if is_root()? {
        return std::fs::write(path, contents)
            .with_context(|| format!("writing {}", path.display()));
    }
    let mut tee = Command::new("sudo")
        .arg("tee")
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("running sudo tee")?;
    tee.stdin
        .take()
        .context("sudo tee has no stdin")?
        .write_all(contents.as_bytes())?;
    let status = tee.wait()?;
    if !status.success() {
        bail!("sudo tee {} failed ({status})", path.display());
    }
    Ok(())
}

/// One deb822 paragraph: field names with their raw values (continuation
/// lines kept, so a multi-line `Signed-By` key survives).
type Paragraph = Vec<(String, String)>;

fn parse_deb822(text: &str) -> Vec<Paragraph> {
    let mut paragraphs = Vec::new();
    let mut current: Paragraph = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
        } else if line.starts_with('#') {
            continue;
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.last_mut() {
                value.push('\n');
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            current.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs
}

fn field<'a>(paragraph: &'a Paragraph, name: &str) -> Option<&'a str> {
    paragraph
        .iter()
        .find(|(field_name, _)| field_name.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// The deb822 source for bookworm-backports, with the URIs, components and
/// key of the `deb` paragraph that serves bookworm in `debian_sources`.
fn backports_sources(debian_sources: &str) -> Result<String> {
    let words = |value: Option<&str>| {
        value
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let paragraph = parse_deb822(debian_sources)
        .into_iter()
        .find(|paragraph| {
            words(field(paragraph, "Types"))
                .iter()
                .any(|kind| kind == "deb")
                && words(field(paragraph, "Suites"))
                    .iter()
                    .any(|suite| suite == RELEASE)
                && field(paragraph, "Enabled").is_none_or(|enabled| enabled != "no")
        })
        .with_context(|| format!("no enabled `Types: deb` paragraph with suite {RELEASE}"))?;
    let uris = field(&paragraph, "URIs").context("the bookworm paragraph has no URIs field")?;
    let components = field(&paragraph, "Components").unwrap_or("main");
    let mut text =
        format!("Types: deb\nURIs: {uris}\nSuites: {BACKPORTS_SUITE}\nComponents: {components}\n");
    if let Some(key) = field(&paragraph, "Signed-By") {
        text.push_str(&format!("Signed-By: {key}\n"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout Debian's images ship, including a comment inside a paragraph.
    const DEBIAN: &str = "Types: deb\n# http://snapshot.debian.org/archive/debian/20250520T000000Z\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";

    #[test]
    fn backports_source_reuses_the_mirror_and_key_of_the_release() {
        assert_eq!(
            backports_sources(DEBIAN).unwrap(),
            "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
        );
    }

    #[test]
    fn a_mirror_and_inline_key_on_continuation_lines_are_kept() {
        let sources = "Types: deb-src deb\nURIs: http://mirror.example/debian\nSuites: bookworm\nComponents: main contrib\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n";
        let text = backports_sources(sources).unwrap();
        assert!(text.contains("URIs: http://mirror.example/debian\n"));
        assert!(text.contains("Components: main contrib\n"));
        assert!(
            text.contains("Signed-By: \n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n"),
            "{text}"
        );
    }

    #[test]
    fn sources_without_an_enabled_bookworm_paragraph_are_an_error() {
        assert!(backports_sources("Types: deb\nURIs: http://x\nSuites: trixie\n").is_err());
        assert!(
            backports_sources("Types: deb\nURIs: http://x\nSuites: bookworm\nEnabled: no\n")
                .is_err()
        );
        assert!(backports_sources("Types: deb-src\nURIs: http://x\nSuites: bookworm\n").is_err());
    }

    #[test]
    fn dpkg_query_tells_installed_packages_from_unknown_ones() {
        // dpkg itself is installed on every Debian system this set-up supports.
        let missing = missing_packages(&["dpkg", "no-such-package-for-xtask"]).unwrap();
        assert_eq!(missing, vec!["no-such-package-for-xtask"]);
    }

    #[test]
    fn dpkg_listing_counts_only_fully_installed_packages() {
        let listing = "gcc install ok installed\npkg-config deinstall ok config-files\n";
        assert!(installed_in_listing(listing, "gcc"));
        assert!(!installed_in_listing(listing, "pkg-config"));
        assert!(!installed_in_listing(listing, "libudev-dev"));
    }
}
