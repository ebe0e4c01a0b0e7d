//! Invoked as `tockloader`, the loader leaves the same flash-file bytes and
//! prints the same text as upstream tockloader 1.19 where tockloader's
//! behaviour is a fact scripts and flash files depend on: a kernel-only
//! file grows, a file without a board starts at address 0, a board whose
//! flash is mapped at 0x10000000 (raspberry_pi_pico) reads and writes the
//! same offsets, `list -v`'s boxed format, the hex dumps of `read` and
//! `dump-flash-page`, `write`, `sticky-app`, `install --erase`,
//! `--sticky` and `--preserve-order`, and `--version`.

mod common;

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use common::{build_tab, elf2tab, loader, run, run_success, scratch, tockloader, Target};

/// Our binary under the name `tockloader`, as a drop-in is installed.
fn ours_as_tockloader(dir: &Path) -> PathBuf {
    let link = dir.join("tockloader");
    let _ = std::fs::remove_file(&link);
    symlink(loader(), &link).unwrap();
    link
}

/// Two flash files, one per tool, that each step runs against.
struct Pair {
    ours: PathBuf,
    theirs: PathBuf,
    ours_program: PathBuf,
    settings: Vec<String>,
}

impl Pair {
    /// Both files start as `initial` (None: missing, each tool creates it).
    fn new(name: &str, initial: Option<&[u8]>, settings: &[&str]) -> Pair {
        let dir = scratch(name);
        let pair = Pair {
            ours: dir.join("loader.bin"),
            theirs: dir.join("tockloader.bin"),
            ours_program: ours_as_tockloader(&dir),
            settings: settings.iter().map(|s| s.to_string()).collect(),
        };
        if let Some(bytes) = initial {
            std::fs::write(&pair.ours, bytes).unwrap();
            std::fs::write(&pair.theirs, bytes).unwrap();
        }
        pair
    }

    fn arguments<'a>(&'a self, step: &'a [&'a str], file: &'a Path) -> Vec<&'a str> {
        let mut arguments = step.to_vec();
        arguments.extend(["--flash-file", file.to_str().unwrap()]);
        arguments.extend(self.settings.iter().map(String::as_str));
        arguments
    }

    /// Run `step` with both tools; both succeed and leave the same bytes.
    fn step(&self, step: &[&str]) {
        run_success(&tockloader(), &self.arguments(step, &self.theirs));
        run_success(&self.ours_program, &self.arguments(step, &self.ours));
        let theirs = std::fs::read(&self.theirs).unwrap();
        let ours = std::fs::read(&self.ours).unwrap();
        assert_eq!(
            ours.len(),
            theirs.len(),
            "after `{}` the files have different lengths",
            step.join(" ")
        );
        let first_difference = theirs.iter().zip(&ours).position(|(a, b)| a != b);
        assert_eq!(
            first_difference,
            None,
            "after `{}` the flash files differ at offset {first_difference:#x?}",
            step.join(" ")
        );
    }

    /// Run `step` with both tools; both print the same on stdout.
    fn same_output(&self, step: &[&str]) -> String {
        let theirs = run_success(&tockloader(), &self.arguments(step, &self.theirs));
        let ours = run_success(&self.ours_program, &self.arguments(step, &self.ours));
        let (theirs, ours) = (
            String::from_utf8_lossy(&theirs.stdout).into_owned(),
            String::from_utf8_lossy(&ours.stdout).into_owned(),
        );
        assert_eq!(ours, theirs, "`{}` prints differently", step.join(" "));
        ours
    }
}

fn cortex_m_tabs(name: &str, cpu: &'static str) -> [PathBuf; 3] {
    let dir = scratch(name);
    [("alpha", 700), ("beta", 5000), ("gamma", 1500)]
        .map(|(app, fill)| build_tab(&dir, app, fill, Target::CortexM(cpu)))
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn a_kernel_only_flash_file_grows_as_tockloader_grows_it() {
    let [alpha, beta, _] = cortex_m_tabs("grow-tabs", "cortex-m4");
    // A 192 KiB "kernel image" that ends before the apps (0x40000).
    let kernel: Vec<u8> = (0..0x30000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let pair = Pair::new("grow", Some(&kernel), &["--board", "nrf52dk"]);
    pair.step(&["install", text(&alpha)]);
    pair.step(&["install", text(&beta)]);
    let listing = pair.same_output(&["list", "-v"]);
    assert!(
        listing.contains("Address in Flash:      0x40000"),
        "{listing}"
    );
    assert!(
        listing.contains("Footer TLV: Credentials (128)"),
        "{listing}"
    );
}

#[test]
fn without_a_board_the_flash_file_starts_at_address_zero() {
    let dir = scratch("no-board-tabs");
    const AT_0X40080: &[(u32, u32)] = &[(0x40080, 0x8000_4000)];
    let alpha = build_tab(&dir, "alpha", 600, Target::RiscV(AT_0X40080));
    let pair = Pair::new(
        "no-board",
        None,
        &["--arch", "rv32imac", "--app-address", "0x40000"],
    );
    pair.step(&["install", text(&alpha)]);
    pair.same_output(&["list", "-v"]);
}

#[test]
fn raspberry_pi_pico_flash_at_0x10000000_gets_the_same_bytes_as_with_tockloader() {
    let [alpha, beta, gamma] = cortex_m_tabs("pico-tabs", "cortex-m0");
    let pair = Pair::new("pico", None, &["--board", "raspberry_pi_pico"]);
    pair.step(&["install", text(&alpha)]);
    pair.step(&["install", text(&beta), text(&gamma)]);
    pair.step(&["uninstall", "beta"]);
    let listing = pair.same_output(&["list", "-v"]);
    assert!(listing.contains("0x1002"), "{listing}");
    pair.same_output(&["read", "0x10020000", "64"]);
}

#[test]
fn verbose_list_and_hex_dumps_print_what_tockloader_prints() {
    let dir = scratch("verbose-tabs");
    const ALPHA: &[(u32, u32)] = &[(0x2004_0080, 0x8000_4000), (0x2005_0080, 0x8000_8000)];
    const BETA: &[(u32, u32)] = &[(0x2004_0080, 0x8000_4000), (0x2004_8080, 0x8000_8000)];
    let alpha = build_tab(&dir, "alpha", 200, Target::RiscV(ALPHA));
    let beta = build_tab(&dir, "beta", 3000, Target::RiscV(BETA));
    let erased = vec![0xFF; 32 << 20];
    let settings = ["--board", "hifive1b"];
    let pair = Pair::new("verbose", Some(&erased), &settings);
    pair.step(&["install", text(&alpha), text(&beta)]);
    pair.step(&["disable-app", "beta"]);
    pair.step(&["sticky-app", "alpha"]);
    // Apps, padding, every header field and the footer's credentials.
    let listing = pair.same_output(&["list", "-v"]);
    for expected in [
        "│ Padding",
        "TLV: Fixed Addresses (5)",
        "Sticky:                True",
    ] {
        assert!(listing.contains(expected), "no `{expected}` in:\n{listing}");
    }
    pair.same_output(&["read", "0x20040000", "100"]);
    pair.same_output(&["dump-flash-page", "0x100200"]);
    // tockloader 1.19's `write` crashes on a flash file (`flash_binary()
    // got an unexpected keyword argument 'pad'`): ours writes, and
    // tockloader's `read` of our file shows the bytes.
    run_success(
        &pair.ours_program,
        &pair.arguments(&["write", "0x20200000", "20", "0xa5"], &pair.ours),
    );
    let bytes = std::fs::read(&pair.ours).unwrap();
    assert_eq!(
        &bytes[0x20_0000 - 1..0x20_0000 + 21],
        &[[0xFF].as_slice(), &[0xA5; 20], &[0xFF]].concat()
    );
    let theirs_read = run_success(
        &tockloader(),
        &pair.arguments(&["read", "0x20200000", "20"], &pair.ours),
    );
    assert!(String::from_utf8_lossy(&theirs_read.stdout).starts_with("20200000  a5 a5"));
}

#[test]
fn install_erase_sticky_and_preserve_order_leave_tockloaders_bytes() {
    let [alpha, beta, gamma] = cortex_m_tabs("flags-tabs", "cortex-m4");
    let erased = vec![0xFF; 1 << 20];
    let pair = Pair::new("install-flags", Some(&erased), &["--board", "nrf52dk"]);
    pair.step(&["install", text(&alpha), text(&beta)]);
    pair.step(&["install", "--erase", text(&gamma)]);
    pair.step(&["install", "--sticky", text(&alpha)]);
    let listing = pair.same_output(&["list"]);
    assert!(listing.contains("Sticky:                True"), "{listing}");
    // Command-line order (gamma, then beta) instead of largest first. (Over
    // an installed app of the same name tockloader 1.19 leaves two copies,
    // a defect we do not copy: docs/loader.md.)
    let pair = Pair::new("preserve-order", Some(&erased), &["--board", "nrf52dk"]);
    pair.step(&[
        "install",
        "--preserve-order",
        text(&gamma),
        text(&alpha),
        text(&beta),
    ]);
    let listing = pair.same_output(&["list"]);
    let names: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Name:"))
        .map(str::trim)
        .collect();
    assert_eq!(names, ["gamma", "alpha", "beta"]);
}

#[test]
fn version_as_tockloader_is_tockloaders_and_says_it_is_ours() {
    let dir = scratch("version");
    let ours = run_success(&ours_as_tockloader(&dir), &["--version"]);
    let theirs = run_success(&tockloader(), &["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&ours.stdout),
        String::from_utf8_lossy(&theirs.stdout)
    );
    let note = String::from_utf8_lossy(&ours.stderr);
    assert!(note.contains("loader 0.1.0"), "{note}");
    // Native: our own name and version.
    let native = run(&loader(), &["--version"]);
    assert_eq!(String::from_utf8_lossy(&native.stdout), "loader 0.1.0\n");
}

#[test]
fn verbose_list_shows_every_header_tlv_and_credential_as_tockloader() {
    let dir = scratch("rich-tabs");
    build_tab(&dir, "plain", 400, Target::CortexM("cortex-m4"));
    let elf = dir.join("build-plain").join("cortex-m4.elf");
    let tab = dir.join("rich.tab");
    // Permissions, persistent storage, kernel version, short ID and a
    // SHA-256 credential, packed by upstream elf2tab.
    let packed = std::process::Command::new(elf2tab())
        .current_dir(&dir)
        .args(["-o", text(&tab), "-n", "rich", "--stack", "1024"])
        .args(["--app-heap", "512", "--kernel-heap", "512"])
        .args([
            "--kernel-major",
            "2",
            "--kernel-minor",
            "1",
            "--short-id",
            "0x10",
        ])
        .args(["--write_id", "5", "--read_ids", "1", "--access_ids", "7"])
        .args(["--permissions", "1,2", "1,3", "--sha256", "--"])
        .arg(&elf)
        .output()
        .unwrap();
    assert!(
        packed.status.success(),
        "{}",
        String::from_utf8_lossy(&packed.stderr)
    );
    let erased = vec![0xFF; 1 << 20];
    let pair = Pair::new("rich", Some(&erased), &["--board", "nrf52dk"]);
    pair.step(&["install", text(&tab)]);
    let listing = pair.same_output(&["list", "-v"]);
    for expected in [
        "TLV: Permissions (6)",
        "TLV: Persistent Storage (7)",
        "TLV: Kernel Version (8)",
        "TLV: ShortID (10)",
        "Type: SHA256 (3)",
    ] {
        assert!(listing.contains(expected), "no `{expected}` in:\n{listing}");
    }
}
