//! The serial transport's bootloader verbs against the simulated
//! bootloader (the real bootloader's engine): attributes are set in their
//! own or the first empty slot and read back, a slot the bootloader cannot
//! program without erasing is refused with a clear error, and asking a
//! bootloader to enter the bootloader says it is already there.

mod common;

use std::time::Duration;

use common::simulated_bootloader::{MemoryFlash, SimulatedLink};
use loader_cli::{LoaderError, SerialBootloader, SerialLink, Transport};
use loader_protocol::attribute::ATTRIBUTES_FLASH_OFFSET;
use loader_protocol::{encode_attribute, BootloaderLayout};

const BASE: u32 = 0x2000_0000;
const SIZE: u32 = 0x8_0000;

fn device() -> (SimulatedLink, SerialBootloader) {
    let mut flash = vec![0xFF; SIZE as usize];
    let at = ATTRIBUTES_FLASH_OFFSET as usize;
    flash[at..at + 64].copy_from_slice(&encode_attribute("board", "qemu-rv32-virt").unwrap());
    let layout = BootloaderLayout {
        flash_start: BASE,
        flash_end: BASE + SIZE,
        kernel_start: BASE + 0x8000,
        app_start: BASE + 0x4_0000,
        app_end: BASE + SIZE,
    };
    let link = SimulatedLink::new(
        MemoryFlash {
            base: BASE,
            bytes: flash,
        },
        layout,
        r#"{"version":"0.1.0"}"#,
    );
    let serial = SerialLink::from_link("simulated", Box::new(link.clone()));
    (link, SerialBootloader::connect(serial).unwrap())
}

#[test]
fn attributes_go_to_their_own_or_the_first_empty_slot_and_read_back() {
    let (_, mut bootloader) = device();
    assert_eq!(bootloader.set_attribute("owner", "ci").unwrap(), 1);
    assert_eq!(bootloader.set_attribute("site", "lab").unwrap(), 2);
    assert_eq!(
        bootloader.attributes().unwrap(),
        vec![
            ("board".to_string(), "qemu-rv32-virt".to_string()),
            ("owner".to_string(), "ci".to_string()),
            ("site".to_string(), "lab".to_string()),
        ]
    );
}

#[test]
fn an_attribute_that_needs_an_erase_is_refused_clearly() {
    let (link, mut bootloader) = device();
    let before = link.flash();
    let error = bootloader.set_attribute("board", "other").unwrap_err();
    assert!(
        matches!(&error, LoaderError::Refused(reason) if reason.contains("only empty slots")),
        "{error}"
    );
    assert!(link.flash() == before, "a refused attribute changed flash");
    let too_long = bootloader.set_attribute("a-key-too-long", "x").unwrap_err();
    assert!(
        matches!(too_long, LoaderError::Configuration { .. }),
        "{too_long}"
    );
}

#[test]
fn a_bootloader_asked_for_the_bootloader_is_already_there_and_exit_sends_no_frame_back() {
    let (_, mut bootloader) = device();
    assert!(!bootloader.enter_bootloader(Duration::from_secs(1)).unwrap());
    bootloader.exit_bootloader().unwrap();
    // EXIT is not answered; the next command's answer is its own.
    assert_eq!(
        bootloader.bootloader_version().unwrap().as_deref(),
        Some("0.1.0")
    );
}
