//! The journal against a fake NOR flash that refuses to set bits when
//! programming and loses power after a chosen number of operations
//! (the cut operation is left half done: [`crate::tests::fake_nor`]).

extern crate std;

use super::*;
use crate::tests::fake_nor;
use std::vec;
use std::vec::Vec;

const BLOCK: usize = 4096;
const BLOCKS: usize = 6;
/// Blocks 0..4 are the rewritable area, 4 the records, 5 the spare.
const AREA_END: usize = 4 * BLOCK;
const RECORDS: usize = 4 * BLOCK;
const SPARE: usize = 5 * BLOCK;

fn initial_flash() -> Vec<u8> {
    let mut bytes = vec![0xffu8; BLOCKS * BLOCK];
    for (index, byte) in bytes[..AREA_END].iter_mut().enumerate() {
        *byte = (index * 7 % 251) as u8;
    }
    bytes
}

fn journal(flash: &fake_nor::FakeNor) -> FlashJournal<'_, fake_nor::FakeNor> {
    FlashJournal::new(flash, 0, AREA_END, RECORDS, SPARE)
}

#[test]
fn a_rewrite_sets_bits_without_programming_them_and_keeps_the_rest_of_the_block() {
    let flash = fake_nor::FakeNor::new(BLOCK, initial_flash());
    let before = flash.bytes.borrow().clone();
    let new = [0xffu8; 16];
    journal(&flash).rewrite(BLOCK + 512, &new).unwrap();
    let after = flash.bytes.borrow();
    assert_eq!(&after[BLOCK + 512..BLOCK + 528], &new);
    assert_eq!(&after[..BLOCK + 512], &before[..BLOCK + 512]);
    assert_eq!(
        &after[BLOCK + 528..AREA_END],
        &before[BLOCK + 528..AREA_END]
    );
    assert_eq!(
        journal(&flash).recover(),
        Ok(None),
        "no record stays pending"
    );
}

#[test]
fn a_power_cut_at_any_step_leaves_the_old_or_the_new_block_after_recovery() {
    let new = [0xffu8, 0x00, 0x5a, 0xff, 0xff, 0xff, 0x12, 0xff];
    let offset = 2 * BLOCK + 100;
    let old = initial_flash();
    let mut expected_new = old.clone();
    expected_new[offset..offset + new.len()].copy_from_slice(&new);
    // Count the operations of an uninterrupted rewrite.
    let reference = fake_nor::FakeNor::new(BLOCK, old.clone());
    journal(&reference).rewrite(offset, &new).unwrap();
    let total = reference.operations.get();
    let mut saw_old = false;
    let mut saw_new = false;
    for cut_after in 0..=total {
        let flash = fake_nor::FakeNor::new(BLOCK, old.clone());
        flash.power(Some(cut_after));
        let interrupted = journal(&flash).rewrite(offset, &new);
        assert_eq!(
            interrupted.is_ok(),
            cut_after == total,
            "cut at {cut_after}"
        );
        // Power comes back; the board recovers before loading apps.
        flash.power(None);
        journal(&flash).recover().unwrap();
        let bytes = flash.bytes.borrow();
        let is_old = bytes[..AREA_END] == old[..AREA_END];
        let is_new = bytes[..AREA_END] == expected_new[..AREA_END];
        assert!(is_old || is_new, "cut after {cut_after} operations: a mix");
        saw_old |= is_old;
        saw_new |= is_new;
    }
    assert!(saw_old && saw_new, "cuts both before and after the commit");
}

#[test]
fn a_power_cut_during_recovery_is_recovered_by_the_next_boot() {
    let offset = BLOCK;
    let new = [0xffu8; 32];
    let reference = fake_nor::FakeNor::new(BLOCK, initial_flash());
    journal(&reference).rewrite(offset, &new).unwrap();
    let expected = reference.bytes.borrow().clone();
    // Cut just after the record (a, b.., c), then cut every recovery.
    let flash = fake_nor::FakeNor::new(BLOCK, initial_flash());
    let before_erase = 1 + (BLOCK / CHUNK) + 1;
    flash.power(Some(before_erase));
    assert!(journal(&flash).rewrite(offset, &new).is_err());
    for cut in 1..4 {
        flash.power(Some(cut));
        assert!(journal(&flash).recover().is_err());
    }
    flash.power(None);
    assert_eq!(journal(&flash).recover(), Ok(Some(offset)));
    assert_eq!(flash.bytes.borrow()[..AREA_END], expected[..AREA_END]);
}

#[test]
fn many_rewrites_reuse_the_records_block_and_never_set_bits_by_programming() {
    let flash = fake_nor::FakeNor::new(BLOCK, initial_flash());
    let rewrites = 2 * BLOCK / RECORD_SLOT + 3;
    for round in 0..rewrites {
        let value = [round as u8; 4];
        journal(&flash).rewrite(3 * BLOCK + 8, &value).unwrap();
        assert_eq!(&flash.bytes.borrow()[3 * BLOCK + 8..3 * BLOCK + 12], &value);
    }
}

#[test]
fn writes_outside_the_area_or_across_blocks_are_refused() {
    let flash = fake_nor::FakeNor::new(BLOCK, initial_flash());
    let journal = journal(&flash);
    assert_eq!(
        journal.rewrite(RECORDS, &[0]),
        Err(JournalError::OutsideArea(RECORDS))
    );
    assert_eq!(
        journal.rewrite(BLOCK - 2, &[0; 4]),
        Err(JournalError::OutsideArea(BLOCK - 2))
    );
    assert_eq!(flash.operations.get(), 0, "nothing was touched");
}

#[test]
fn a_record_with_a_torn_crc_is_ignored() {
    let record = encode_record(0x4000, 0x1234_5678);
    assert_eq!(decode_pending_record(&record), Some((0x4000, 0x1234_5678)));
    let mut torn = record;
    torn[13] ^= 0x01;
    assert_eq!(decode_pending_record(&torn), None);
    let mut retired = record;
    retired[16..20].fill(0);
    assert_eq!(decode_pending_record(&retired), None);
}

#[test]
fn a_rewrite_from_flash_under_power_cuts_leaves_the_whole_old_or_the_whole_new_range() {
    // An image written elsewhere (here: later in the same block, as the
    // loader's copy after the chain's end may be) replaces a whole range.
    let (offset, source, length) = (2 * BLOCK + 64, 2 * BLOCK + 2048, 1500);
    let old = initial_flash();
    let mut expected_new = old.clone();
    expected_new.copy_within(source..source + length, offset);
    let reference = fake_nor::FakeNor::new(BLOCK, old.clone());
    journal(&reference)
        .rewrite_from_flash(offset, source, length)
        .unwrap();
    assert_eq!(
        reference.bytes.borrow()[..AREA_END],
        expected_new[..AREA_END]
    );
    let total = reference.operations.get();
    let mut saw = (false, false);
    for cut_after in 0..total {
        let flash = fake_nor::FakeNor::new(BLOCK, old.clone());
        flash.power(Some(cut_after));
        assert!(journal(&flash)
            .rewrite_from_flash(offset, source, length)
            .is_err());
        flash.power(None);
        journal(&flash).recover().unwrap();
        let bytes = flash.bytes.borrow();
        let is_old = bytes[..AREA_END] == old[..AREA_END];
        let is_new = bytes[..AREA_END] == expected_new[..AREA_END];
        assert!(is_old || is_new, "cut after {cut_after} operations: a mix");
        saw = (saw.0 | is_old, saw.1 | is_new);
    }
    assert_eq!(saw, (true, true), "cuts both before and after the commit");
}

#[test]
fn a_rewrite_from_flash_outside_the_area_or_across_blocks_is_refused() {
    let flash = fake_nor::FakeNor::new(BLOCK, initial_flash());
    let journal = journal(&flash);
    assert_eq!(
        journal.rewrite_from_flash(BLOCK, SPARE, 16),
        Err(JournalError::OutsideArea(SPARE))
    );
    assert_eq!(
        journal.rewrite_from_flash(BLOCK - 8, 3 * BLOCK, 16),
        Err(JournalError::OutsideArea(BLOCK - 8))
    );
    assert_eq!(flash.operations.get(), 0, "nothing was touched");
}

#[test]
fn an_erasing_rewrite_is_one_commit_and_a_cut_leaves_the_old_or_the_erased_range() {
    let (offset, length) = (BLOCK + 200, 3000);
    let old = initial_flash();
    let mut expected_new = old.clone();
    expected_new[offset..offset + length].fill(0xff);
    let reference = fake_nor::FakeNor::new(BLOCK, old.clone());
    journal(&reference).rewrite_erased(offset, length).unwrap();
    assert_eq!(
        reference.bytes.borrow()[..AREA_END],
        expected_new[..AREA_END]
    );
    let total = reference.operations.get();
    // One rewrite: no more flash operations than a one-byte rewrite
    // (fewer: erased chunks are not programmed).
    let one_byte = fake_nor::FakeNor::new(BLOCK, old.clone());
    journal(&one_byte).rewrite(offset, &[0xff]).unwrap();
    assert!(total <= one_byte.operations.get());
    for cut_after in 0..=total {
        let flash = fake_nor::FakeNor::new(BLOCK, old.clone());
        flash.power(Some(cut_after));
        let _ = journal(&flash).rewrite_erased(offset, length);
        flash.power(None);
        journal(&flash).recover().unwrap();
        let bytes = flash.bytes.borrow();
        assert!(
            bytes[..AREA_END] == old[..AREA_END] || bytes[..AREA_END] == expected_new[..AREA_END],
            "cut after {cut_after} operations: a mix"
        );
    }
}
