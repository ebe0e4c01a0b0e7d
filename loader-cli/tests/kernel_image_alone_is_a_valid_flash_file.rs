//! Natively (not as tockloader), a flash file that ends before app flash
//! is a kernel image alone: an install grows it, the gap reads as erased
//! flash (0xFF), and the kernel's bytes stay as they were. A file that
//! reaches into app flash is the whole flash, as before.

mod common;

use common::{build_tab, loader, run, run_success, scratch, Target};

#[test]
fn an_install_grows_a_kernel_only_file_with_erased_bytes() {
    let dir = scratch("kernel-only");
    let tab = build_tab(&dir, "alpha", 900, Target::CortexM("cortex-m4"));
    let kernel: Vec<u8> = (0..0x30000u32).map(|i| (i % 253) as u8).collect();
    let flash = dir.join("kernel.bin");
    std::fs::write(&flash, &kernel).unwrap();
    let file = flash.to_str().unwrap();
    run_success(
        &loader(),
        &[
            "install",
            "--flash-file",
            file,
            "--board",
            "nrf52dk",
            tab.to_str().unwrap(),
        ],
    );
    let bytes = std::fs::read(&flash).unwrap();
    assert_eq!(
        &bytes[..kernel.len()],
        kernel.as_slice(),
        "the kernel changed"
    );
    assert!(
        bytes[kernel.len()..0x40000].iter().all(|&b| b == 0xFF),
        "the gap is not erased"
    );
    assert_eq!(
        &bytes[0x40000..0x40002],
        &[2, 0],
        "no TBF header at the app start"
    );
    let listing = run_success(
        &loader(),
        &["list", "--flash-file", file, "--board", "nrf52dk"],
    );
    assert!(String::from_utf8_lossy(&listing.stdout).contains("alpha"));

    // A file reaching into app flash is the flash: an app past its end
    // does not fit (exit 4), and the file keeps its length.
    let short = dir.join("short.bin");
    std::fs::write(&short, vec![0xFF; 0x40100]).unwrap();
    let output = run(
        &loader(),
        &[
            "install",
            "--flash-file",
            short.to_str().unwrap(),
            "--board",
            "nrf52dk",
            tab.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(4));
    assert_eq!(std::fs::metadata(&short).unwrap().len(), 0x40100);
}
