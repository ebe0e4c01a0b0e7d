//! REPLACE_IN_PLACE against the fake flash (512-byte erase blocks): the
//! copy is committed through the journal in one rewrite, and every
//! refusal comes before anything is stopped or rewritten.

use super::*;

/// Old `blink` at the start of app flash, its new build's copy at 1 KiB.
fn service_with_copy() -> Service {
    let mut flash = app_image("blink", true);
    flash.resize(1024, 0xff);
    flash.extend_from_slice(&app_image("blink", true));
    Service::with_images(0xff, &flash)
}

fn replace_in_place(service: &Service, length: u32) {
    let old = service.app_flash as u32;
    let mut payload = Vec::new();
    for word in [old, old, old + 1024, length] {
        payload.extend_from_slice(&word.to_le_bytes());
    }
    service.send(Command::ReplaceInPlace, &payload);
}

#[test]
fn a_replace_in_place_commits_the_copy_in_one_rewrite_then_installs_the_new_image() {
    let service = service_with_copy();
    replace_in_place(&service, 256);
    assert_eq!(
        service.rewrites.1.borrow().as_slice(),
        [(0, 1024, 256)],
        "one commit, offsets from the bank base"
    );
    assert!(service.rewrites.0.borrow().is_empty());
    assert!(service.answer().is_empty(), "answered once it is installed");
    assert!(
        service.management.has_request(),
        "the new image is installed"
    );
}

#[test]
fn a_slot_spanning_two_erase_blocks_is_refused_before_anything_changes() {
    let service = service_with_copy();
    replace_in_place(&service, 600);
    let answer = service.answer();
    assert_eq!(
        &answer[..3],
        [ESCAPE, 0x40, 0x01],
        "BAD ADDRESS: {answer:?}"
    );
    assert!(std::string::String::from_utf8_lossy(&answer).contains("two erase blocks"));
    assert!(service.rewrites.1.borrow().is_empty());
    assert!(!service.management.has_request());
}

#[test]
fn a_new_build_the_board_refuses_is_refused_before_the_old_one_stops() {
    let service = service_with_copy();
    service
        .loader
        .set_credential_policy(kernel::credential::CredentialPolicy::Sha256Integrity);
    replace_in_place(&service, 256);
    let answer = service.answer();
    assert_eq!(
        &answer[..3],
        [ESCAPE, 0x40, 0x03],
        "CREDENTIALS REJECTED: {answer:?}"
    );
    assert!(std::string::String::from_utf8_lossy(&answer).contains("old one keeps running"));
    assert!(service.rewrites.1.borrow().is_empty());
    assert!(!service.management.has_request(), "nothing stopped");
}

#[test]
fn a_replace_by_a_build_the_board_refuses_is_refused_before_the_old_one_stops() {
    // Both linked in the chain: the old at 0, the new one after it.
    let images = [app_image("blink", true), app_image("blink", true)].concat();
    let service = Service::with_images(0xff, &images);
    service
        .loader
        .set_credential_policy(kernel::credential::CredentialPolicy::Sha256Integrity);
    let old = service.app_flash as u32;
    let mut payload = Vec::from(old.to_le_bytes());
    payload.extend_from_slice(&(old + 256).to_le_bytes());
    service.send(Command::ReplaceApp, &payload);
    let answer = service.answer();
    assert_eq!(
        &answer[..3],
        [ESCAPE, 0x40, 0x03],
        "CREDENTIALS REJECTED: {answer:?}"
    );
    assert!(
        !service.management.has_request(),
        "the old process untouched"
    );
}
