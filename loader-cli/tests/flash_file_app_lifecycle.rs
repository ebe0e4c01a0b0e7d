//! Install, list, disable, enable, replace and uninstall apps on a
//! qemu-rv32-virt pflash file with the native interface, checking the
//! listing after each step.

mod common;

use std::path::Path;

use common::{build_tab, erased_flash, loader, run_success, scratch, tockloader, Target};

fn list(flash: &Path) -> Vec<serde_json::Value> {
    let output = run_success(
        &loader(),
        &[
            "list",
            "--json",
            "-v",
            "--flash-file",
            flash.to_str().unwrap(),
        ],
    );
    serde_json::from_slice::<serde_json::Value>(&output.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Name, address and enabled flag of each app; `list --json` writes the
/// address as a hex string, as users read it.
fn apps(listing: &[serde_json::Value]) -> Vec<(String, String, bool)> {
    listing
        .iter()
        .filter(|app| !app["padding"].as_bool().unwrap())
        .map(|app| {
            (
                app["name"].as_str().unwrap().to_string(),
                app["address"].as_str().unwrap().to_string(),
                app["enabled"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn loader_ok(args: &[&str], flash: &Path) {
    let mut all = args.to_vec();
    all.extend(["--flash-file", flash.to_str().unwrap(), "-q"]);
    run_success(&loader(), &all);
}

#[test]
fn install_list_disable_enable_replace_uninstall_on_a_pflash_file() {
    let dir = scratch("lifecycle");
    const HELLO: &[(u32, u32)] = &[
        (0x2004_0080, 0x8000_4000),
        (0x2004_4080, 0x8000_8000),
        (0x2004_8080, 0x8000_c000),
    ];
    const BLINK: &[(u32, u32)] = &[
        (0x2004_0080, 0x8000_4000),
        (0x2004_4080, 0x8000_8000),
        (0x2004_8080, 0x8000_c000),
    ];
    let hello = build_tab(&dir, "hello", 500, Target::RiscV(HELLO));
    let blink = build_tab(&dir, "blink", 700, Target::RiscV(BLINK));
    let flash = dir.join("pflash.bin");
    erased_flash(&flash, 32 << 20);

    loader_ok(&["install", hello.to_str().unwrap()], &flash);
    loader_ok(&["install", blink.to_str().unwrap()], &flash);
    let listing = list(&flash);
    assert_eq!(
        apps(&listing),
        vec![
            ("hello".to_string(), "0x20040000".to_string(), true),
            ("blink".to_string(), "0x20044000".to_string(), true)
        ]
    );
    // Upstream tockloader reads the same apps from our file (hifive1b has
    // the same flash and app addresses as qemu-rv32-virt).
    let upstream = run_success(
        &tockloader(),
        &[
            "list",
            "--flash-file",
            flash.to_str().unwrap(),
            "--board",
            "hifive1b",
            "--arch",
            "rv32imac",
        ],
    );
    let upstream_names: Vec<String> = String::from_utf8_lossy(&upstream.stdout)
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Name:"))
        .map(|name| name.trim().to_string())
        .collect();
    assert_eq!(upstream_names, ["hello", "blink"]);
    // The flash file stays the size QEMU requires.
    assert_eq!(std::fs::metadata(&flash).unwrap().len(), 32 << 20);

    loader_ok(&["disable-app", "blink"], &flash);
    assert_eq!(
        apps(&list(&flash))[1],
        ("blink".to_string(), "0x20044000".to_string(), false)
    );
    loader_ok(&["enable-app", "blink"], &flash);
    assert_eq!(
        apps(&list(&flash))[1],
        ("blink".to_string(), "0x20044000".to_string(), true)
    );

    // Replacing hello appends the new build and turns the old one into padding.
    loader_ok(&["install", hello.to_str().unwrap()], &flash);
    let listing = list(&flash);
    assert_eq!(
        apps(&listing),
        vec![
            ("blink".to_string(), "0x20044000".to_string(), true),
            ("hello".to_string(), "0x20048000".to_string(), true)
        ]
    );
    assert!(
        listing[0]["padding"].as_bool().unwrap(),
        "old hello became padding"
    );
    // The address an app is linked for is an address too: a hex string.
    let new_hello = listing.iter().find(|app| app["name"] == "hello").unwrap();
    assert_eq!(new_hello["fixed_flash"], "0x20048080");
    assert_eq!(listing[0]["address"], "0x20040000", "padding's address");

    loader_ok(&["uninstall", "blink"], &flash);
    assert_eq!(
        apps(&list(&flash)),
        vec![("hello".to_string(), "0x20048000".to_string(), true)]
    );

    loader_ok(&["erase-apps"], &flash);
    assert!(apps(&list(&flash)).is_empty());
}
