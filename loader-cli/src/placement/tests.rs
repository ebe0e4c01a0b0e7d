use super::*;
use crate::board::Board;

fn fixed(name: &str, flashes: &[u32], size: u32) -> Placeable {
    Placeable {
        name: name.to_string(),
        installed_at: None,
        builds: flashes
            .iter()
            .map(|&flash| Build {
                fixed_flash: Some(flash),
                fixed_ram: None,
                total_size: size,
                size_before_binary: 0x60,
            })
            .collect(),
    }
}

fn pic(name: &str, size: u32) -> Placeable {
    Placeable {
        name: name.to_string(),
        installed_at: None,
        builds: vec![Build {
            fixed_flash: None,
            fixed_ram: None,
            total_size: size,
            size_before_binary: 0x40,
        }],
    }
}

#[test]
fn fixed_apps_pick_non_overlapping_builds_and_pad_gaps() {
    let board = Board::known("hifive1b").unwrap();
    let start = board.app_address;
    // Both apps have a build at start+0x60; the second must take its other one.
    let apps = [
        fixed("a", &[start + 0x60, start + 0x8060], 0x1000),
        fixed("b", &[start + 0x60, start + 0x4060], 0x1000),
    ];
    let result = layout(&apps, &board, start).unwrap();
    assert_eq!(
        result.slots,
        vec![
            Slot::App {
                index: 0,
                build: 0,
                address: start,
                size: 0x1000
            },
            Slot::Padding {
                address: start + 0x1000,
                size: 0x3000
            },
            Slot::App {
                index: 1,
                build: 1,
                address: start + 0x4000,
                size: 0x1000
            },
        ]
    );
    assert_eq!(result.end, start + 0x5000);
}

#[test]
fn cortex_m_sorts_by_size_and_aligns() {
    let board = Board::known("nrf52dk").unwrap();
    let apps = [pic("small", 0x800), pic("big", 0x2000)];
    let result = layout(&apps, &board, 0x40000).unwrap();
    assert_eq!(
        result.slots,
        vec![
            Slot::App {
                index: 1,
                build: 0,
                address: 0x40000,
                size: 0x2000
            },
            Slot::App {
                index: 0,
                build: 0,
                address: 0x42000,
                size: 0x800
            },
        ]
    );
}

#[test]
fn mixing_and_overflowing_are_errors() {
    let board = Board::known("hifive1b").unwrap();
    let start = board.app_address;
    let mixed = [fixed("a", &[start + 0x60], 0x100), pic("b", 0x100)];
    assert!(layout(&mixed, &board, start).is_err());
    let huge = [pic("huge", board.flash_size)];
    assert!(matches!(
        layout(&huge, &board, start),
        Err(LoaderError::NoSpace { .. })
    ));
    let clash = [
        fixed("a", &[start + 0x60], 0x1000),
        fixed("b", &[start + 0x460], 0x1000),
    ];
    assert!(layout(&clash, &board, start).is_err());
}

#[test]
fn qemu_rv32_virt_skips_a_build_whose_ram_lies_below_app_ram() {
    // Upstream libtock-c's default TAB carries hifive1b's build (RAM at
    // 0x80002800, inside our kernel's RAM) before any that fits us.
    let board = Board::known(crate::board::QEMU_RV32_VIRT).unwrap();
    let start = board.app_address;
    let mut app = fixed("c_hello", &[start + 0x80, start + 0x80], 0x1000);
    app.builds[0].fixed_ram = Some(0x8000_2800);
    app.builds[1].fixed_ram = Some(0x8001_0000);
    let result = layout(&[app], &board, start).unwrap();
    assert_eq!(
        result.slots,
        vec![Slot::App {
            index: 0,
            build: 1,
            address: start,
            size: 0x1000
        }]
    );
}
