//! The same command sequence run by upstream tockloader and by the loader
//! under tockloader's command line leaves byte-identical flash files, over
//! a RISC-V fixed-address layout (hifive1b, our pflash layout), an nRF52
//! (Cortex-M4) and an nRF51 (Cortex-M0); and each tool lists the apps the
//! other wrote.

mod common;

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use common::{build_tab, erased_flash, loader, run_success, scratch, tockloader, Target};

/// Our binary under the name `tockloader`, as a drop-in is installed.
fn ours_as_tockloader(dir: &Path) -> PathBuf {
    let link = dir.join("tockloader");
    let _ = std::fs::remove_file(&link);
    symlink(loader(), &link).unwrap();
    link
}

fn app_names(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Name:"))
        .map(|name| name.trim().to_string())
        .collect()
}

struct Case {
    board: &'static str,
    flash_size: usize,
    extra: &'static [&'static str],
}

fn run_sequence(case: &Case, steps: &[Vec<String>]) {
    let dir = scratch(&format!("compat-{}", case.board));
    let ours = ours_as_tockloader(&dir);
    let theirs_file = dir.join("tockloader.bin");
    let ours_file = dir.join("loader.bin");
    erased_flash(&theirs_file, case.flash_size);
    erased_flash(&ours_file, case.flash_size);
    for step in steps {
        for (program, file) in [(tockloader(), &theirs_file), (ours.clone(), &ours_file)] {
            let mut args: Vec<&str> = step.iter().map(String::as_str).collect();
            args.extend([
                "--flash-file",
                file.to_str().unwrap(),
                "--board",
                case.board,
            ]);
            args.extend(case.extra);
            run_success(&program, &args);
        }
        let theirs = std::fs::read(&theirs_file).unwrap();
        let ours_bytes = std::fs::read(&ours_file).unwrap();
        let first_difference = theirs.iter().zip(&ours_bytes).position(|(a, b)| a != b);
        assert_eq!(
            first_difference,
            None,
            "{}: after `{}` the flash files differ at offset {:#x?}",
            case.board,
            step.join(" "),
            first_difference
        );
    }
    // `list` prints what tockloader prints, byte for byte (scripts parse it).
    let mut theirs_list = vec![
        "list",
        "--flash-file",
        theirs_file.to_str().unwrap(),
        "--board",
        case.board,
    ];
    theirs_list.extend(case.extra);
    let mut ours_list = vec![
        "list",
        "--flash-file",
        ours_file.to_str().unwrap(),
        "--board",
        case.board,
    ];
    ours_list.extend(case.extra);
    assert_eq!(
        String::from_utf8_lossy(&run_success(&ours, &ours_list).stdout),
        String::from_utf8_lossy(&run_success(&tockloader(), &theirs_list).stdout),
        "{}: `list` output differs from tockloader's",
        case.board
    );
    // Each tool reads the other's file: tockloader lists ours, we list theirs.
    let mut list_args = vec![
        "list",
        "--flash-file",
        ours_file.to_str().unwrap(),
        "--board",
        case.board,
    ];
    list_args.extend(case.extra);
    let theirs_listing = run_success(&tockloader(), &list_args);
    let theirs_names = app_names(&String::from_utf8_lossy(&theirs_listing.stdout));
    let mut json_args = vec![
        "list",
        "--json",
        "--flash-file",
        theirs_file.to_str().unwrap(),
        "--board",
        case.board,
    ];
    json_args.extend(case.extra);
    let ours_listing = run_success(&loader(), &json_args);
    let apps: serde_json::Value = serde_json::from_slice(&ours_listing.stdout).unwrap();
    let ours_names: Vec<String> = apps
        .as_array()
        .unwrap()
        .iter()
        .map(|app| app["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !ours_names.is_empty(),
        "{}: no apps left to compare",
        case.board
    );
    assert_eq!(
        theirs_names, ours_names,
        "{}: the tools list different apps",
        case.board
    );
}

fn step(words: &[&str], tabs: &[&PathBuf]) -> Vec<String> {
    let mut step: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    step.extend(tabs.iter().map(|t| t.display().to_string()));
    step
}

fn standard_steps(first: &PathBuf, second: &PathBuf, third: &PathBuf) -> Vec<Vec<String>> {
    vec![
        step(&["install"], &[first]),
        step(&["install"], &[second, third]),
        step(&["disable-app", "gamma"], &[]),
        step(&["uninstall", "beta"], &[]),
        step(&["install"], &[second]),
        step(&["enable-app", "gamma"], &[]),
        step(&["install"], &[first]),
    ]
}

#[test]
fn risc_v_fixed_address_layout_matches_tockloader() {
    let dir = scratch("tabs-riscv");
    // Each app has builds at several fixed addresses; tockloader picks the
    // ones that fit and pads the gaps.
    const ALPHA: &[(u32, u32)] = &[(0x2004_0080, 0x8000_4000), (0x2005_0080, 0x8000_8000)];
    const BETA: &[(u32, u32)] = &[(0x2004_0080, 0x8000_4000), (0x2004_8080, 0x8000_8000)];
    const GAMMA: &[(u32, u32)] = &[(0x2004_4080, 0x8000_4000), (0x2006_0080, 0x8000_c000)];
    let alpha = build_tab(&dir, "alpha", 200, Target::RiscV(ALPHA));
    let beta = build_tab(&dir, "beta", 3000, Target::RiscV(BETA));
    let gamma = build_tab(&dir, "gamma", 1000, Target::RiscV(GAMMA));
    let case = Case {
        board: "hifive1b",
        flash_size: 32 << 20,
        extra: &["--arch", "rv32imac"],
    };
    let steps = standard_steps(&alpha, &beta, &gamma);
    run_sequence(&case, &steps);
}

#[test]
fn nrf52_cortex_m4_layout_matches_tockloader() {
    let dir = scratch("tabs-m4");
    let alpha = build_tab(&dir, "alpha", 700, Target::CortexM("cortex-m4"));
    let beta = build_tab(&dir, "beta", 5000, Target::CortexM("cortex-m4"));
    let gamma = build_tab(&dir, "gamma", 1500, Target::CortexM("cortex-m4"));
    let case = Case {
        board: "nrf52dk",
        flash_size: 1 << 20,
        extra: &[],
    };
    let steps = standard_steps(&alpha, &beta, &gamma);
    run_sequence(&case, &steps);
}

#[test]
fn nrf51_cortex_m0_layout_matches_tockloader() {
    let dir = scratch("tabs-m0");
    let alpha = build_tab(&dir, "alpha", 300, Target::CortexM("cortex-m0"));
    let beta = build_tab(&dir, "beta", 2500, Target::CortexM("cortex-m0"));
    let gamma = build_tab(&dir, "gamma", 900, Target::CortexM("cortex-m0"));
    let case = Case {
        board: "nrf51dk",
        flash_size: 1 << 20,
        extra: &[],
    };
    let steps = standard_steps(&alpha, &beta, &gamma);
    run_sequence(&case, &steps);
}
