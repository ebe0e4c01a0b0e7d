use super::*;
use crate::image::Candidate;
use crate::progress::Silent;
use crate::transport::MemoryFlash;

pub(super) fn new_app(name: &str, image: Vec<u8>) -> NewApp {
    let parsed = tbf::parse(&image).unwrap();
    let candidate = Candidate {
        header_size: u32::from(parsed.header_size()),
        total_size: parsed.total_size(),
        fixed_flash: None,
        fixed_ram: None,
        size_before_binary: u32::from(parsed.header_size()),
        signed: true,
        bytes: image,
    };
    NewApp {
        name: name.to_string(),
        source: "test".to_string(),
        candidates: vec![candidate],
    }
}

pub(super) fn board() -> Board {
    let mut board = Board::generic("test").with_arch("rv32imac");
    board.flash_address = 0;
    board.flash_size = 0x8000;
    board.app_address = 0x1000;
    board
}

#[test]
fn install_uninstall_and_flags_on_memory_flash() {
    let mut flash = MemoryFlash::erased(0, 0x8000);
    let mut silent = Silent;
    let mut loader = Loader {
        transport: &mut flash,
        board: board(),
        progress: &mut silent,
    };
    let first = new_app("first", crate::chain::tests::app_image("first", 200));
    let second = new_app("second", crate::chain::tests::app_image("second", 100));
    loader
        .install(&[first, second], Replace::Yes, Placement::Append)
        .unwrap();
    let chain = loader.chain().unwrap();
    assert_eq!(chain.apps().count(), 2);
    // The images carry a SHA-256 credential: flags stay untouched.
    let refused = loader.set_flag(&["first".to_string()], tbf::FLAG_ENABLED, false);
    assert!(matches!(refused, Err(LoaderError::Refused(_))));
    assert_eq!(
        loader.uninstall(&["first".to_string()], false).unwrap(),
        ["first"]
    );
    let chain = loader.chain().unwrap();
    let names: Vec<&str> = chain.apps().map(|app| app.name.as_str()).collect();
    assert_eq!(names, ["second"]);
    assert!(chain.images[0].is_padding);
    assert!(matches!(
        loader.uninstall(&["missing".to_string()], false),
        Err(LoaderError::NoSuchApp { .. })
    ));
    loader.erase_apps(false).unwrap();
    assert_eq!(loader.chain().unwrap().images.len(), 0);
}

#[test]
fn append_reuses_the_space_of_removed_apps() {
    let mut flash = MemoryFlash::erased(0, 0x8000);
    let mut silent = Silent;
    let mut loader = Loader {
        transport: &mut flash,
        board: board(),
        progress: &mut silent,
    };
    let big = new_app("big", crate::chain::tests::app_image("big", 600));
    let last = new_app("last", crate::chain::tests::app_image("last", 100));
    let small = new_app("small", crate::chain::tests::app_image("small", 200));
    loader
        .install(&[big, last], Replace::Yes, Placement::Append)
        .unwrap();
    let end_before = loader.chain().unwrap().end;
    loader.uninstall(&["big".to_string()], false).unwrap();
    loader
        .install(&[small], Replace::Yes, Placement::Append)
        .unwrap();
    let chain = loader.chain().unwrap();
    let names: Vec<(&str, u32)> = chain
        .apps()
        .map(|app| (app.name.as_str(), app.address))
        .collect();
    assert_eq!(
        names,
        [("small", 0x1000), ("last", chain.images[2].address)]
    );
    assert!(
        chain.images[1].is_padding,
        "the rest of the hole stays padding"
    );
    assert_eq!(chain.end, end_before, "nothing was appended");
}

#[test]
fn writes_are_ordered_bodies_then_headers_from_the_top() {
    let mut writes = Vec::new();
    split_header(&mut writes, 0x1000, vec![1; 64], None, false);
    split_header(&mut writes, 0x2000, vec![2; 64], None, false);
    assert_eq!(writes.len(), 4);
    assert_eq!(writes[0].address, 0x1010);
    assert_eq!(writes[1].address, 0x1000);
    assert_eq!(writes[1].phase, 3);
}

#[test]
fn an_app_past_the_end_of_app_flash_is_refused_naming_the_region() {
    // qemu-rv32-virt: the kernel's areas follow app flash
    // (0x21C4_0000..0x2200_0000) in the same 32 MiB pflash.
    let board = Board::known(crate::board::QEMU_RV32_VIRT).unwrap();
    let app_flash_bytes = 0x21C4_0000 - board.app_address as usize;
    let mut flash = MemoryFlash::erased(board.flash_address, board.flash_size as usize);
    let mut silent = Silent;
    let mut loader = Loader {
        transport: &mut flash,
        board,
        progress: &mut silent,
    };
    let huge = new_app(
        "huge",
        crate::chain::tests::app_image("huge", app_flash_bytes),
    );
    let refused = loader.install(&[huge], Replace::Yes, Placement::Append);
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("0x21c40000"), "{message}");
    assert!(message.contains("flash journal"), "{message}");
    assert_eq!(flash.writes, 0, "nothing was written");
}

#[test]
fn a_link_error_gives_advice_that_applies() {
    let error = LoaderError::Link {
        device: "/dev/ttyUSB0".to_string(),
        reason: "no answer to PING".to_string(),
    };
    let message = error.to_string();
    assert!(
        !message.contains("--no-bootloader-entry"),
        "that flag changes nothing for our loader: {message}"
    );
    assert!(message.contains("check the port name"), "{message}");
}
