//! The progress a user sees while installing counts the bytes of the apps
//! being installed: the padding image and 0xFF fill that keep a gap before
//! a fixed-address app are written but left out of the total, so the bar
//! and its time left follow the apps. Checked on the events the library
//! reports (what the `loader` binary draws), for both placements.

mod common;

use common::{build_tab, scratch, Target};
use loader_cli::progress::Recorder;
use loader_cli::{
    load_app, read_chain, Board, Chain, FlashFile, Loader, NewApp, Placement, ProgressEvent,
    Replace,
};

/// Linked for the start of app flash only.
const FIRST: &[(u32, u32)] = &[(0x2004_0080, 0x8000_4000)];
/// Linked 32 KiB further only: the app before it is far smaller, so the
/// loader must pad the gap.
const SECOND: &[(u32, u32)] = &[(0x2004_8080, 0x8000_8000)];

/// Install two fixed-address apps with a gap between them into a fresh
/// flash file; return the progress events and the board's chain.
fn install_with_gap(label: &str, placement: Placement) -> (Vec<ProgressEvent>, Chain) {
    let dir = scratch(label);
    let mut board = Board::known("qemu-rv32-virt").unwrap();
    board.flash_size = 1 << 20;
    let load = |name: &str, builds| -> NewApp {
        let tab = build_tab(&dir, name, 700, Target::RiscV(builds));
        load_app(&tab, "rv32imac", &board.name, false).unwrap()
    };
    let apps = vec![load("first", FIRST), load("second", SECOND)];
    let path = dir.join("pflash.bin");
    let mut file = FlashFile::open(&path, board.flash_address, board.flash_size).unwrap();
    let mut recorder = Recorder::default();
    Loader {
        transport: &mut file,
        board: board.clone(),
        progress: &mut recorder,
    }
    .install(&apps, Replace::Yes, placement)
    .unwrap();
    let chain = read_chain(&mut file, board.app_address, board.app_flash_end()).unwrap();
    (recorder.events, chain)
}

/// The one transfer's total and the sum of its advances.
fn transfer(events: &[ProgressEvent]) -> (u64, u64) {
    let totals: Vec<u64> = events
        .iter()
        .filter_map(|event| match event {
            ProgressEvent::Begin { total_bytes, .. } => Some(*total_bytes),
            _ => None,
        })
        .collect();
    assert_eq!(totals.len(), 1, "one transfer per install: {events:?}");
    assert_eq!(
        events
            .iter()
            .filter(|event| **event == ProgressEvent::End)
            .count(),
        1,
        "the transfer ends once: {events:?}"
    );
    let advanced = events
        .iter()
        .map(|event| match event {
            ProgressEvent::Advance { bytes } => *bytes,
            _ => 0,
        })
        .sum();
    (totals[0], advanced)
}

fn check_only_app_bytes_are_counted(label: &str, placement: Placement) {
    let (events, chain) = install_with_gap(label, placement);
    let apps: Vec<(&str, u32)> = chain
        .apps()
        .map(|app| (app.name.as_str(), app.address))
        .collect();
    assert_eq!(apps, [("first", 0x2004_0000), ("second", 0x2004_8000)]);
    let padding: u64 = chain
        .images
        .iter()
        .filter(|image| image.is_padding)
        .map(|image| u64::from(image.total_size))
        .sum();
    assert!(padding > 0, "the scenario needs a padded gap: {chain:?}");
    let app_bytes: u64 = chain.apps().map(|app| u64::from(app.total_size)).sum();

    let (total, advanced) = transfer(&events);
    assert_eq!(
        total, app_bytes,
        "the bar's total is the apps' bytes ({app_bytes}), not them and the {padding} bytes of padding"
    );
    assert_eq!(advanced, app_bytes, "the bar reaches its total, no more");
}

#[test]
fn appending_fixed_address_apps_with_a_gap_counts_only_their_bytes() {
    check_only_app_bytes_are_counted("progress-append", Placement::Append);
}

#[test]
fn tockloader_layout_with_a_gap_counts_only_the_apps_bytes() {
    check_only_app_bytes_are_counted("progress-tockloader", Placement::Tockloader);
}
