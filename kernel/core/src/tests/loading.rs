//! Process loading from a fake app flash built with the `tbf` builder.

extern crate std;
use std::boxed::Box;
use std::string::String;
use std::vec::Vec;

use tbf::{FixedAddresses, HeaderBuilder, HeaderTlv, KernelVersion, ProgramTlv};

use super::fake::*;
use crate::kernel::Kernel;
use crate::platform::Region;
use crate::process::{Process, State};
use crate::process_loading::{load_processes, LoadConfiguration, LoadSummary};

struct AppOptions {
    name: &'static str,
    kernel_version: Option<(u16, u16)>,
    enabled: bool,
    minimum_ram: u32,
    fixed: Option<FixedAddresses>,
    padding: bool,
}

impl AppOptions {
    fn named(name: &'static str) -> Self {
        AppOptions {
            name,
            kernel_version: Some((2, 3)),
            enabled: true,
            minimum_ram: 512,
            fixed: None,
            padding: false,
        }
    }
}

/// A TBF image of 256 bytes: header, then a binary of zeros.
fn image(options: &AppOptions) -> Vec<u8> {
    let mut builder = HeaderBuilder::new().enabled(options.enabled);
    if !options.padding {
        builder = builder.tlv(HeaderTlv::Program(ProgramTlv {
            minimum_ram_size: options.minimum_ram,
            ..ProgramTlv::default()
        }));
        builder = builder.tlv(HeaderTlv::PackageName(options.name.into()));
    }
    if let Some((major, minor)) = options.kernel_version {
        builder = builder.tlv(HeaderTlv::KernelVersion(KernelVersion { major, minor }));
    }
    if let Some(fixed) = options.fixed {
        builder = builder.tlv(HeaderTlv::FixedAddresses(fixed));
    }
    let mut header = builder.build();
    header.total_size = 256;
    if let Some(program) = header.program_mut() {
        program.binary_end_offset = 256;
    }
    let mut bytes = header.to_bytes().unwrap();
    bytes.resize(256, 0);
    bytes
}

struct Board {
    kernel: &'static Kernel,
    output: &'static RecordingOutput,
    contexts: Vec<FakeContext>,
    flash: Option<&'static mut [u8]>,
    flash_base: usize,
    ram: Region,
}

impl Board {
    fn new(slots: usize, ram_bytes: usize) -> Self {
        let output: &'static RecordingOutput = Box::leak(Box::default());
        let processes: &'static [Process] = Box::leak(
            (0..slots)
                .map(|_| Process::new())
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        let kernel = Box::leak(Box::new(Kernel::new(processes, output)));
        let flash = low_memory(4096);
        flash.fill(0xff);
        let flash_base = flash.as_ptr() as usize;
        let ram_buffer = low_memory(ram_bytes);
        let ram = Region::new(ram_buffer.as_ptr() as usize, ram_bytes);
        let contexts = (0..slots).map(|_| FakeContext::default()).collect();
        Board {
            kernel,
            output,
            contexts,
            flash: Some(flash),
            flash_base,
            ram,
        }
    }

    fn place(&mut self, slot: usize, bytes: &[u8]) {
        let flash = self.flash.as_mut().unwrap();
        flash[slot * 256..slot * 256 + bytes.len()].copy_from_slice(bytes);
    }

    /// Where the binary of the image in `slot` starts (after its header).
    fn binary_address(&self, slot: usize, header_size: usize) -> u32 {
        (self.flash_base + slot * 256 + header_size) as u32
    }

    fn load(&mut self) -> LoadSummary {
        let protection = FakeProtection {
            granularity: 8,
            configured: Default::default(),
        };
        let flash: &'static [u8] = self.flash.take().unwrap();
        load_processes(
            self.kernel,
            &protection,
            &mut self.contexts,
            flash,
            self.ram,
            LoadConfiguration::default(),
            &TestCapability,
        )
    }

    fn names(&self) -> Vec<&'static str> {
        self.kernel
            .processes()
            .iter()
            .filter(|p| p.is_loaded())
            .map(|p| p.name())
            .collect()
    }

    fn output(&self) -> String {
        self.output.0.borrow().clone()
    }
}

fn header_size(bytes: &[u8]) -> usize {
    u16::from_le_bytes([bytes[2], bytes[3]]) as usize
}

#[test]
fn bad_images_are_skipped_with_a_message_and_the_rest_load() {
    let mut board = Board::new(4, 16384);
    let mut bad_checksum = image(&AppOptions::named("corrupt"));
    bad_checksum[20] ^= 0x40;
    let images = [
        image(&AppOptions::named("good_one")),
        bad_checksum,
        image(&AppOptions {
            kernel_version: None,
            ..AppOptions::named("no_version")
        }),
        image(&AppOptions {
            kernel_version: Some((2, 4)),
            ..AppOptions::named("too_new")
        }),
        image(&AppOptions {
            kernel_version: Some((1, 0)),
            ..AppOptions::named("too_old")
        }),
        image(&AppOptions {
            enabled: false,
            ..AppOptions::named("disabled")
        }),
        image(&AppOptions {
            padding: true,
            kernel_version: None,
            ..AppOptions::named("")
        }),
        image(&AppOptions {
            minimum_ram: 1 << 20,
            ..AppOptions::named("greedy")
        }),
        image(&AppOptions {
            kernel_version: Some((2, 0)),
            ..AppOptions::named("good_two")
        }),
    ];
    for (slot, bytes) in images.iter().enumerate() {
        board.place(slot, bytes);
    }
    let summary = board.load();
    assert_eq!(board.names(), ["good_one", "good_two"]);
    assert_eq!(summary.loaded, 2);
    assert_eq!(summary.skipped, 6);
    let output = board.output();
    for expected in [
        "checksum",
        "no KernelVersion",
        "needs kernel 2.4",
        "needs kernel 1.0",
        "disabled",
        "cannot place",
    ] {
        assert!(
            output.contains(expected),
            "missing {:?} in:\n{}",
            expected,
            output
        );
    }
    for process in board.kernel.processes().iter().filter(|p| p.is_loaded()) {
        assert_eq!(process.state(), State::Running);
        let layout = process.layout();
        assert_eq!(layout.flash.size, 256);
        assert_eq!(layout.app_break, layout.ram.start);
        assert_eq!(
            process.init_function.get(),
            layout.flash.start + header_size(&images[0])
        );
    }
    let first = board.kernel.processes()[0].layout().ram;
    let second = board.kernel.processes()[1].layout().ram;
    assert!(first.end() <= second.start, "RAM regions do not overlap");
    assert_eq!(
        board.contexts[0].protection.flash,
        board.kernel.processes()[0].layout().flash
    );
}

#[test]
fn fixed_addresses_are_honoured_or_the_image_is_skipped() {
    let mut board = Board::new(4, 16384);
    let probe = image(&AppOptions {
        fixed: Some(FixedAddresses {
            start_process_ram: 0,
            start_process_flash: 0,
        }),
        ..AppOptions::named("fixed")
    });
    let size = header_size(&probe);
    let ram_target = (board.ram.start + 8192) as u32;
    let right = FixedAddresses {
        start_process_ram: ram_target,
        start_process_flash: board.binary_address(0, size),
    };
    let wrong_flash = FixedAddresses {
        start_process_ram: u32::MAX,
        start_process_flash: board.binary_address(0, size),
    };
    let ram_taken = FixedAddresses {
        start_process_ram: board.ram.start as u32,
        start_process_flash: u32::MAX,
    };
    board.place(
        0,
        &image(&AppOptions {
            fixed: Some(right),
            ..AppOptions::named("fixed")
        }),
    );
    board.place(
        1,
        &image(&AppOptions {
            fixed: Some(wrong_flash),
            ..AppOptions::named("moves")
        }),
    );
    board.place(
        2,
        &image(&AppOptions {
            fixed: Some(ram_taken),
            ..AppOptions::named("clash")
        }),
    );
    board.place(3, &image(&AppOptions::named("floating")));
    let summary = board.load();
    assert_eq!(board.names(), ["fixed", "floating"], "{}", board.output());
    assert_eq!(summary.skipped, 2);
    assert_eq!(
        board.kernel.processes()[0].layout().ram.start,
        ram_target as usize
    );
    assert!(board.output().contains("linked for flash address"));
}

#[test]
fn more_apps_than_slots_are_reported() {
    let mut board = Board::new(1, 16384);
    board.place(0, &image(&AppOptions::named("one")));
    board.place(1, &image(&AppOptions::named("two")));
    let summary = board.load();
    assert_eq!(summary.loaded, 1);
    assert!(board.output().contains("no free process slot"));
}

#[test]
fn an_image_running_past_the_end_of_flash_is_skipped() {
    let mut board = Board::new(2, 16384);
    board.place(0, &image(&AppOptions::named("fits")));
    let mut long = image(&AppOptions::named("long"));
    // Claim 8 KiB: more than the 4 KiB of app flash.
    long[4..8].copy_from_slice(&8192u32.to_le_bytes());
    let checksum = long[..header_size(&long)]
        .chunks(4)
        .enumerate()
        .filter(|(index, _)| *index != 3)
        .fold(0u32, |sum, (_, word)| {
            sum ^ u32::from_le_bytes(word.try_into().unwrap())
        });
    long[12..16].copy_from_slice(&checksum.to_le_bytes());
    board.place(1, &long);
    let summary = board.load();
    assert_eq!(board.names(), ["fits"]);
    assert_eq!(summary.skipped, 1, "{}", board.output());
    assert!(
        board.output().contains("past the end of app flash"),
        "{}",
        board.output()
    );
}

#[test]
fn erased_flash_ends_the_chain_quietly() {
    let mut board = Board::new(2, 16384);
    let summary = board.load();
    assert_eq!(
        summary,
        LoadSummary {
            loaded: 0,
            skipped: 0,
            ram_used_until: board.ram.start
        }
    );
    assert_eq!(board.output(), "");
}

#[test]
fn tockloaders_end_marker_ends_the_chain_quietly() {
    // tockloader's erase-apps writes one 0x00 byte where the chain ends,
    // over erased flash: the version field reads 0xff00.
    let mut board = Board::new(2, 16384);
    board.place(0, &[0x00]);
    let summary = board.load();
    assert_eq!(summary.loaded + summary.skipped, 0);
    assert_eq!(board.output(), "");
}
