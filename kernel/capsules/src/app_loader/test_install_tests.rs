//! The test-install state machine against a fake flash whose power is cut
//! before every single journal commit: after the cut and the boot rule,
//! exactly one version of the app is left, and it is the one the last
//! committed step chose.

extern crate std;

use core::cell::{Cell, RefCell};
use std::vec;
use std::vec::Vec;

use kernel::flash_journal::{BlockRewrite, JournalError, NorError};
use tbf::{HeaderBuilder, HeaderTlv, ProgramTlv};

use super::test_install::*;

const BASE: usize = 0x1000;
const FLASH_SIZE: usize = 4096;

fn image(name: &str, version: u32, size: usize) -> Vec<u8> {
    let mut header = HeaderBuilder::new()
        .enabled(true)
        .tlv(HeaderTlv::Program(ProgramTlv {
            app_version: version,
            binary_end_offset: 128,
            ..ProgramTlv::default()
        }))
        .tlv(HeaderTlv::PackageName(name.into()))
        .build();
    header.total_size = size as u32;
    let mut bytes = header.to_bytes().unwrap();
    bytes.resize(size, version as u8);
    bytes
}

/// Flash where every commit is atomic (the journal's guarantee, proved
/// in `kernel/core/src/tests/flash_journal.rs`) and power is cut once
/// `budget` commits have happened.
struct FakeFlash {
    bytes: RefCell<Vec<u8>>,
    budget: Cell<usize>,
    block: usize,
}

impl FakeFlash {
    fn new(images: &[Vec<u8>], block: usize) -> Self {
        let mut bytes = images.concat();
        bytes.resize(FLASH_SIZE, 0xFF);
        FakeFlash {
            bytes: RefCell::new(bytes),
            budget: Cell::new(usize::MAX),
            block,
        }
    }

    fn snapshot(&self) -> Vec<u8> {
        self.bytes.borrow().clone()
    }

    /// Plan `transition` on the current content and apply it, the power
    /// failing after `budget` commits.
    fn run(&self, transition: Transition, budget: usize) -> Result<(), JournalError> {
        let plan = plan(&self.snapshot(), BASE, transition).expect("transition refused");
        self.budget.set(budget);
        let result = apply(&plan, self, BASE, self.block);
        self.budget.set(usize::MAX);
        result
    }

    /// Commits a full run makes.
    fn commits(&self, transition: Transition) -> usize {
        let saved = self.snapshot();
        self.budget.set(usize::MAX);
        let counting = CountingFlash(self, Cell::new(0));
        let plan = plan(&saved, BASE, transition).unwrap();
        apply(&plan, &counting, BASE, self.block).unwrap();
        *self.bytes.borrow_mut() = saved;
        counting.1.get()
    }

    /// The app images left, as (address, version byte).
    fn apps(&self) -> Vec<(usize, u8)> {
        let bytes = self.snapshot();
        let mut found = Vec::new();
        let mut offset = 0;
        while let Ok(base) = tbf::parse_base(&bytes[offset..]) {
            let size = base.total_size as usize;
            let header = tbf::parse_header(&bytes[offset..offset + size]).unwrap();
            if header.is_app() {
                found.push((BASE + offset, bytes[offset + size - 1]));
            }
            offset += size;
        }
        found
    }
}

struct CountingFlash<'f>(&'f FakeFlash, Cell<usize>);

impl BlockRewrite for CountingFlash<'_> {
    fn rewrite(&self, offset: usize, data: &[u8]) -> Result<(), JournalError> {
        self.1.set(self.1.get() + 1);
        self.0.rewrite(offset, data)
    }
    fn rewrite_from_flash(&self, _: usize, _: usize, _: usize) -> Result<(), JournalError> {
        unreachable!("test installs write from RAM")
    }
}

impl BlockRewrite for FakeFlash {
    fn rewrite(&self, offset: usize, data: &[u8]) -> Result<(), JournalError> {
        if offset / self.block != (offset + data.len() - 1) / self.block {
            return Err(JournalError::OutsideArea(offset));
        }
        if self.budget.get() == 0 {
            return Err(JournalError::Flash(NorError::Device(0xCC7)));
        }
        self.budget.set(self.budget.get() - 1);
        self.bytes.borrow_mut()[offset..offset + data.len()].copy_from_slice(data);
        Ok(())
    }
    fn rewrite_from_flash(&self, _: usize, _: usize, _: usize) -> Result<(), JournalError> {
        unreachable!("test installs write from RAM")
    }
}

/// Old version 1 at BASE, new version 2 after it (flash offset 0 is
/// `BASE`).
fn two_versions(block: usize) -> FakeFlash {
    FakeFlash::new(&[image("app", 1, 512), image("app", 2, 512)], block)
}

const OLD: usize = BASE;
const NEW: usize = BASE + 512;

fn boot(flash: &FakeFlash) {
    flash.run(Transition::Boot, usize::MAX).unwrap();
    assert_eq!(
        active(&flash.snapshot(), BASE),
        None,
        "the boot rule finishes the test"
    );
    let again = plan(&flash.snapshot(), BASE, Transition::Boot).unwrap();
    assert_eq!(again, [None, None, None], "a second boot has nothing to do");
}

#[test]
fn begin_places_a_record_after_the_chain_that_names_both_versions() {
    let flash = two_versions(1024);
    flash
        .run(Transition::Begin { old: OLD, new: NEW }, usize::MAX)
        .unwrap();
    let record = active(&flash.snapshot(), BASE).unwrap();
    assert_eq!(
        (record.at, record.old, record.new, record.confirmed),
        (BASE + 1024, OLD, NEW, false)
    );
    assert_eq!(
        flash.apps(),
        vec![(OLD, 1), (NEW, 2)],
        "both versions stay in flash"
    );
    assert_eq!(
        chain_end(&flash.snapshot(), BASE),
        BASE + 1024 + RECORD_IMAGE_SIZE
    );
}

#[test]
fn a_cut_at_every_commit_of_a_confirm_leaves_one_version() {
    for cut in 0..=two_versions(4096).commits_after_begin(Transition::Confirm) {
        let flash = two_versions(4096);
        flash
            .run(Transition::Begin { old: OLD, new: NEW }, usize::MAX)
            .unwrap();
        let _ = flash.run(Transition::Confirm, cut);
        boot(&flash);
        // The first commit sets `confirmed`: from then on the new one stays.
        let expected = if cut == 0 { (OLD, 1) } else { (NEW, 2) };
        assert_eq!(flash.apps(), vec![expected], "cut after {cut} commits");
    }
}

#[test]
fn a_cut_at_every_commit_of_a_revert_leaves_the_old_version() {
    for cut in 0..=two_versions(4096).commits_after_begin(Transition::Revert) {
        let flash = two_versions(4096);
        flash
            .run(Transition::Begin { old: OLD, new: NEW }, usize::MAX)
            .unwrap();
        let _ = flash.run(Transition::Revert, cut);
        boot(&flash);
        assert_eq!(flash.apps(), vec![(OLD, 1)], "cut after {cut} commits");
    }
}

#[test]
fn a_reboot_before_confirmation_reverts_and_a_cut_in_that_boot_too() {
    for cut in 0..=two_versions(4096).commits_after_begin(Transition::Boot) {
        let flash = two_versions(4096);
        flash
            .run(Transition::Begin { old: OLD, new: NEW }, usize::MAX)
            .unwrap();
        let _ = flash.run(Transition::Boot, cut);
        boot(&flash);
        assert_eq!(flash.apps(), vec![(OLD, 1)], "cut after {cut} commits");
    }
}

#[test]
fn a_cut_begin_leaves_no_record_or_a_whole_one() {
    // 1 KiB blocks: the record at 0x1400 fits; with 1040-byte-aligned
    // blocks it would not, so use blocks that split it.
    for block in [4096, 1024 + 32] {
        for cut in 0..=2 {
            let flash = two_versions(block);
            let _ = flash.run(Transition::Begin { old: OLD, new: NEW }, cut);
            match active(&flash.snapshot(), BASE) {
                None => assert_eq!(chain_end(&flash.snapshot(), BASE), BASE + 1024),
                Some(record) => assert_eq!((record.old, record.new), (OLD, NEW)),
            }
            boot(&flash);
            assert!(!flash.apps().is_empty());
        }
    }
}

#[test]
fn a_record_split_across_blocks_links_only_when_whole() {
    let flash = two_versions(1024 + 32);
    assert_eq!(flash.commits(Transition::Begin { old: OLD, new: NEW }), 2);
    let _ = flash.run(Transition::Begin { old: OLD, new: NEW }, 1);
    assert_eq!(
        active(&flash.snapshot(), BASE),
        None,
        "the header piece comes last"
    );
    assert_eq!(chain_end(&flash.snapshot(), BASE), BASE + 1024);
}

#[test]
fn nothing_is_freed_unless_the_other_version_is_intact() {
    let flash = two_versions(4096);
    flash
        .run(Transition::Begin { old: OLD, new: NEW }, usize::MAX)
        .unwrap();
    // Another tool freed the new image meanwhile: confirming must not
    // free the old one too.
    flash
        .rewrite(NEW - BASE, &tbf::padding_header(512))
        .unwrap();
    flash.run(Transition::Confirm, usize::MAX).unwrap();
    assert_eq!(flash.apps(), vec![(OLD, 1)]);
    assert_eq!(active(&flash.snapshot(), BASE), None);
}

#[test]
fn refusals_change_nothing() {
    let flash = two_versions(4096);
    let bytes = flash.snapshot();
    assert_eq!(
        plan(&bytes, BASE, Transition::Confirm),
        Err(Refusal::NotTesting)
    );
    assert_eq!(
        plan(&bytes, BASE, Transition::Revert),
        Err(Refusal::NotTesting)
    );
    assert_eq!(
        plan(&bytes, BASE, Transition::Begin { old: OLD, new: OLD }),
        Err(Refusal::NotTwoVersions)
    );
    let other = FakeFlash::new(&[image("app", 1, 512), image("other", 2, 512)], 4096);
    assert_eq!(
        plan(
            &other.snapshot(),
            BASE,
            Transition::Begin { old: OLD, new: NEW }
        ),
        Err(Refusal::NotTwoVersions)
    );
    flash
        .run(Transition::Begin { old: OLD, new: NEW }, usize::MAX)
        .unwrap();
    assert_eq!(
        plan(
            &flash.snapshot(),
            BASE,
            Transition::Begin { old: OLD, new: NEW }
        ),
        Err(Refusal::AlreadyTesting(BASE + 1024))
    );
    let full = FakeFlash::new(&[image("app", 1, 2048), image("app", 2, 2040)], 4096);
    assert_eq!(
        plan(
            &full.snapshot(),
            BASE,
            Transition::Begin {
                old: OLD,
                new: BASE + 2048
            }
        ),
        Err(Refusal::NoRoom)
    );
}

#[test]
fn a_finished_record_is_plain_padding_and_a_new_test_may_follow() {
    let flash = two_versions(4096);
    flash
        .run(Transition::Begin { old: OLD, new: NEW }, usize::MAX)
        .unwrap();
    flash.run(Transition::Confirm, usize::MAX).unwrap();
    assert_eq!(flash.apps(), vec![(NEW, 2)]);
    let mut bytes = flash.snapshot();
    let third = image("app", 3, 512);
    let end = chain_end(&bytes, BASE) - BASE;
    bytes[end..end + 512].copy_from_slice(&third);
    let next = plan(
        &bytes,
        BASE,
        Transition::Begin {
            old: NEW,
            new: BASE + end,
        },
    );
    assert!(next.is_ok(), "{next:?}");
}

impl FakeFlash {
    /// Commits of `transition` once a test has begun.
    fn commits_after_begin(&self, transition: Transition) -> usize {
        self.run(Transition::Begin { old: OLD, new: NEW }, usize::MAX)
            .unwrap();
        self.commits(transition)
    }
}
