//! Fixed-address apps in the developer's loop: every new build installs,
//! in freed space where it can, in the old build's own slot where that is
//! its only one.

use super::tests::board;
use super::*;
use crate::progress::Silent;
use crate::transport::{MemoryFlash, SimulatedKernel};
use tbf::{FixedAddresses, HeaderBuilder, HeaderTlv, ProgramTlv};

/// Headers start on 1 KiB boundaries; the binary 0x80 bytes later.
const BINARY_OFFSET: u32 = 0x80;

/// One image of `name`, version `version`, linked for the header at
/// `slot`, `total_size` bytes.
fn fixed_image(name: &str, version: u32, slot: u32, total_size: u32) -> Vec<u8> {
    let build = |protected_size: u32| {
        let mut header = HeaderBuilder::new()
            .enabled(true)
            .tlv(HeaderTlv::Program(ProgramTlv {
                protected_size,
                app_version: version,
                binary_end_offset: total_size,
                ..ProgramTlv::default()
            }))
            .tlv(HeaderTlv::PackageName(name.into()))
            .tlv(HeaderTlv::FixedAddresses(FixedAddresses {
                start_process_ram: tbf::NO_FIXED_ADDRESS,
                start_process_flash: slot + BINARY_OFFSET,
            }))
            .build();
        header.total_size = total_size;
        header
    };
    let header_size = u32::from(build(0).header_size().unwrap());
    let mut image = build(BINARY_OFFSET - header_size).to_bytes().unwrap();
    image.resize(total_size as usize, version as u8);
    image
}

/// An app with one fixed-address build per slot (as libtock-c's TABs).
pub(super) fn fixed_app(name: &str, version: u32, slots: &[u32], total_size: u32) -> NewApp {
    let candidates = slots
        .iter()
        .map(|&slot| crate::image::candidate(fixed_image(name, version, slot, total_size)))
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    NewApp {
        name: name.to_string(),
        source: format!("{name} v{version}"),
        candidates,
    }
}

fn installed(loader: &mut Loader) -> Vec<(String, u32, Option<u32>)> {
    let chain = loader.chain().unwrap();
    chain
        .apps()
        .map(|app| (app.name.clone(), app.address, app.version))
        .collect()
}

#[test]
fn every_new_build_of_a_multi_slot_app_installs_in_freed_space() {
    let mut flash = MemoryFlash::erased(0, 0x8000);
    let mut silent = Silent;
    let mut loader = Loader {
        transport: &mut flash,
        board: board(),
        progress: &mut silent,
    };
    let slots = [0x1000, 0x2000, 0x3000];
    for version in 1..=12 {
        let app = fixed_app("blink", version, &slots, 0x400);
        loader
            .install(&[app], Replace::Yes, Placement::Append)
            .unwrap_or_else(|error| panic!("version {version}: {error}"));
        let apps = installed(&mut loader);
        assert_eq!(apps.len(), 1, "version {version}: {apps:?}");
        assert_eq!(apps[0].2, Some(version));
    }
    let chain = loader.chain().unwrap();
    assert!(
        chain.end <= 0x3400,
        "freed slots were used again: {chain:?}"
    );
}

#[test]
fn a_new_build_linked_for_the_only_slot_replaces_the_old_in_place() {
    let mut device = SimulatedKernel::new(MemoryFlash::erased(0, 0x8000), 0x1000, false);
    let mut silent = Silent;
    let mut loader = Loader {
        transport: &mut device,
        board: board(),
        progress: &mut silent,
    };
    for version in 1..=3 {
        let app = fixed_app("hello", version, &[0x1000], 0x400 + version * 0x100);
        loader
            .install(&[app], Replace::Yes, Placement::Append)
            .unwrap_or_else(|error| panic!("version {version}: {error}"));
        assert_eq!(
            installed(&mut loader),
            [("hello".to_string(), 0x1000, Some(version))]
        );
    }
    assert_eq!(device.processes.len(), 1);
    assert_eq!(device.processes[0].address, 0x1000);
    assert_eq!(device.processes[0].size, 0x700);
    let in_place = device.operations.iter().filter(|(operation, done)| {
        *done && matches!(operation, LiveOperation::ReplaceInPlace { old: 0x1000, .. })
    });
    assert_eq!(in_place.count(), 2, "versions 2 and 3: one commit each");
}

#[test]
fn a_slot_spanning_two_erase_blocks_is_refused_and_the_old_build_keeps_running() {
    let mut device = SimulatedKernel::new(MemoryFlash::erased(0, 0x8000), 0x1000, false);
    device.erase_block = 0x800;
    let mut silent = Silent;
    let mut loader = Loader {
        transport: &mut device,
        board: board(),
        progress: &mut silent,
    };
    let old = fixed_app("hello", 1, &[0x1000], 0x400);
    loader
        .install(&[old], Replace::Yes, Placement::Append)
        .unwrap();
    let bigger = fixed_app("hello", 2, &[0x1000], 0x900);
    let refused = loader.install(&[bigger], Replace::Yes, Placement::Append);
    let error = refused.expect_err("a slot over two erase blocks");
    assert!(error.to_string().contains("two erase blocks"), "{error}");
    assert_eq!(
        installed(&mut loader),
        [("hello".to_string(), 0x1000, Some(1))]
    );
    assert_eq!(device.processes.len(), 1, "the old build still runs");
    assert_eq!(device.processes[0].version, 1);
}

#[test]
fn a_build_linked_outside_app_flash_is_named_so_not_too_big() {
    let mut flash = MemoryFlash::erased(0, 0x8000);
    let mut silent = Silent;
    let mut loader = Loader {
        transport: &mut flash,
        board: board(),
        progress: &mut silent,
    };
    // Linked for an nRF52's app flash, not this board's 0x1000..0x8000.
    let elsewhere = fixed_app("elsewhere", 1, &[0x40000], 0x400);
    let error = loader
        .install(&[elsewhere], Replace::Yes, Placement::Append)
        .unwrap_err();
    assert!(
        matches!(error, LoaderError::LinkedOutsideAppFlash { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("rebuild it for this board"));
    assert_eq!(flash.writes, 0);
}

#[test]
fn fixed_address_apps_given_high_address_first_all_install() {
    let mut flash = MemoryFlash::erased(0, 0x8000);
    let mut silent = Silent;
    let mut loader = Loader {
        transport: &mut flash,
        board: board(),
        progress: &mut silent,
    };
    let high = fixed_app("high", 1, &[0x4000], 0x400);
    let low = fixed_app("low", 1, &[0x2000], 0x400);
    loader
        .install(&[high, low], Replace::Yes, Placement::Append)
        .unwrap();
    let apps = installed(&mut loader);
    assert_eq!(
        apps,
        [
            ("low".to_string(), 0x2000, Some(1)),
            ("high".to_string(), 0x4000, Some(1))
        ]
    );
}
