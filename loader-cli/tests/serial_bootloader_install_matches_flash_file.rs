//! The serial transport speaks the tock-bootloader protocol correctly: an
//! install through it, against a simulated bootloader running
//! `loader-protocol`'s bootloader engine (the real bootloader's), leaves the same flash as the
//! same install on a flash file, and the board's attributes read back.

mod common;

use common::simulated_bootloader::{MemoryFlash, SimulatedLink};
use common::{build_tab, scratch, Target};
use loader_cli::progress::Silent;
use loader_cli::{
    load_app, Board, FlashFile, Loader, Placement, Replace, SerialBootloader, SerialLink,
};
use loader_protocol::attribute::ATTRIBUTES_FLASH_OFFSET;
use loader_protocol::{encode_attribute, BootloaderLayout};

#[test]
fn install_over_the_bootloader_protocol_writes_what_a_flash_file_install_writes() {
    let dir = scratch("serial");
    const ALPHA: &[(u32, u32)] = &[(0x2004_0080, 0x8000_4000)];
    const BETA: &[(u32, u32)] = &[(0x2004_0080, 0x8000_4000), (0x2004_4080, 0x8000_8000)];
    let mut board = Board::known("qemu-rv32-virt").unwrap();
    board.flash_size = 1 << 20;
    let apps = vec![
        load_app(
            &build_tab(&dir, "alpha", 1234, Target::RiscV(ALPHA)),
            "rv32imac",
            &board.name,
            false,
        )
        .unwrap(),
        load_app(
            &build_tab(&dir, "beta", 7000, Target::RiscV(BETA)),
            "rv32imac",
            &board.name,
            false,
        )
        .unwrap(),
    ];

    let path = dir.join("reference.bin");
    let mut file = FlashFile::open(&path, board.flash_address, board.flash_size).unwrap();
    let mut silent = Silent;
    Loader {
        transport: &mut file,
        board: board.clone(),
        progress: &mut silent,
    }
    .install(&apps, Replace::Yes, Placement::Tockloader)
    .unwrap();
    drop(file);
    let mut reference = std::fs::read(&path).unwrap();

    let mut flash = vec![0xFF; board.flash_size as usize];
    for (index, (key, value)) in [("board", "qemu-rv32-virt"), ("arch", "rv32imac")]
        .iter()
        .enumerate()
    {
        let at = ATTRIBUTES_FLASH_OFFSET as usize + index * 64;
        flash[at..at + 64].copy_from_slice(&encode_attribute(key, value).unwrap());
    }
    let layout = BootloaderLayout {
        flash_start: board.flash_address,
        flash_end: board.flash_address + board.flash_size,
        kernel_start: board.flash_address + 0x8000,
        app_start: board.app_address,
        app_end: board.flash_address + board.flash_size,
    };
    let device = SimulatedLink::new(
        MemoryFlash {
            base: board.flash_address,
            bytes: flash,
        },
        layout,
        r#"{"version":"1.1.3-simulated"}"#,
    );
    let link = SerialLink::from_link("simulated", Box::new(device.clone()));
    let mut serial = SerialBootloader::connect(link).unwrap();
    use loader_cli::Transport;
    assert_eq!(
        serial.attributes().unwrap(),
        vec![
            ("board".to_string(), "qemu-rv32-virt".to_string()),
            ("arch".to_string(), "rv32imac".to_string())
        ]
    );
    assert_eq!(
        serial.bootloader_version().unwrap().as_deref(),
        Some("1.1.3-simulated")
    );
    Loader {
        transport: &mut serial,
        board: board.clone(),
        progress: &mut silent,
    }
    .install(&apps, Replace::Yes, Placement::Tockloader)
    .unwrap();
    let app_bytes: usize = apps.iter().map(|app| app.candidates[0].bytes.len()).sum();
    eprintln!(
        "protocol efficiency: {app_bytes} app bytes over {} wire bytes",
        serial.wire_bytes
    );
    let written = device.flash();
    // The flash file's end mark is one 0x00 byte, the bootloader's eight 0xFF
    // (tockloader does the same on each); everything else in app flash is
    // identical (the device's attributes live below it).
    let end = reference.iter().rposition(|b| *b == 0).unwrap();
    assert_eq!(reference[end], 0);
    reference[end] = 0xFF;
    let apps_from = (board.app_address - board.flash_address) as usize;
    assert!(
        written[apps_from..] == reference[apps_from..],
        "serial install differs from the flash-file install"
    );
}
