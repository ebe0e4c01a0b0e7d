//! Bad input gives one clear message, a documented non-zero exit code, and
//! leaves the flash untouched.

mod common;

use std::path::Path;

use common::{build_tab, erased_flash, loader, run, run_success, scratch, Target};

fn fails_with(args: &[&str], code: i32, expected: &str) {
    let output = run(&loader(), args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(
        stderr.contains(expected),
        "{args:?}: expected `{expected}` in: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
}

fn unchanged(flash: &Path, before: &[u8]) {
    assert!(
        std::fs::read(flash).unwrap() == before,
        "the flash file was modified"
    );
}

#[test]
fn wrong_architecture_corrupt_tbf_and_oversized_apps_leave_flash_untouched() {
    let dir = scratch("bad-input");
    const FIXED: &[(u32, u32)] = &[(0x2004_0080, 0x8000_4000)];
    let riscv = build_tab(&dir, "riscv", 100, Target::RiscV(FIXED));
    let arm = build_tab(&dir, "arm", 100, Target::CortexM("cortex-m4"));
    let flash = dir.join("flash.bin");
    erased_flash(&flash, 32 << 20);
    run_success(
        &loader(),
        &[
            "install",
            "-q",
            "--flash-file",
            flash.to_str().unwrap(),
            riscv.to_str().unwrap(),
        ],
    );
    let before = std::fs::read(&flash).unwrap();
    let file = flash.to_str().unwrap();

    fails_with(
        &["install", "--flash-file", file, arm.to_str().unwrap()],
        3,
        "no image for architecture `rv32imac`",
    );
    unchanged(&flash, &before);

    let corrupt = dir.join("corrupt.tbf");
    std::fs::write(&corrupt, [2u8, 0, 16, 0, 0xFF, 0xFF, 0xFF, 0xFF]).unwrap();
    fails_with(
        &["install", "--flash-file", file, corrupt.to_str().unwrap()],
        3,
        "not a valid TBF",
    );
    unchanged(&flash, &before);

    let missing = dir.join("missing.tab");
    fails_with(
        &["install", "--flash-file", file, missing.to_str().unwrap()],
        3,
        "cannot read",
    );

    // A Cortex-M app into a board whose app region is too small for it.
    let small = dir.join("small.bin");
    erased_flash(&small, 0x40000 + 0x100);
    let small_before = std::fs::read(&small).unwrap();
    fails_with(
        &[
            "install",
            "--flash-file",
            small.to_str().unwrap(),
            "--board",
            "nrf52dk",
            arm.to_str().unwrap(),
        ],
        4,
        "do not fit",
    );
    unchanged(&small, &small_before);

    fails_with(
        &["uninstall", "--flash-file", file, "nothing-by-this-name"],
        1,
        "no app named",
    );
    unchanged(&flash, &before);
}

#[test]
fn unreachable_devices_and_missing_options_are_reported() {
    fails_with(&["list"], 2, "pass --port");
    fails_with(
        &["list", "--port", "/dev/no-such-port"],
        1,
        "/dev/no-such-port",
    );
    fails_with(&["list", "--port", "tcp:127.0.0.1:1"], 1, "cannot connect");
    fails_with(
        &["list", "--jlink", "--flash-file", "x.bin"],
        2,
        "not supported",
    );
    fails_with(
        &["list", "--flash-file", "x.bin", "--app-address", "zz"],
        2,
        "not a number",
    );
}
