//! Host tests of app identities and storage permissions.

extern crate alloc;
extern crate std;

use alloc::boxed::Box;
use alloc::vec::Vec;

use tbf::{HeaderBuilder, HeaderTlv, PersistentAcl, ProgramTlv};

use super::*;

/// A leaked header (identities borrow the header for good, as in flash).
fn header(name: &str, version: u32, extra: &[HeaderTlv]) -> Tbf<'static> {
    let mut builder = HeaderBuilder::new()
        .enabled(true)
        .tlv(HeaderTlv::Program(ProgramTlv {
            app_version: version,
            ..ProgramTlv::default()
        }))
        .tlv(HeaderTlv::PackageName(name.into()));
    for tlv in extra {
        builder = builder.tlv(tlv.clone());
    }
    let mut built = builder.build();
    let size = u32::from(built.header_size().expect("sizes"));
    built.total_size = size;
    built.program_mut().expect("has Program").binary_end_offset = size;
    let bytes: &'static [u8] = Box::leak(built.to_bytes().expect("builds").into_boxed_slice());
    parse_header(bytes).expect("parses")
}

fn acl(write_id: u32, read_ids: &[u32], access_ids: &[u32]) -> HeaderTlv {
    HeaderTlv::PersistentAcl(PersistentAcl {
        write_id,
        read_ids: read_ids.to_vec(),
        access_ids: access_ids.to_vec(),
    })
}

#[test]
fn a_signed_app_is_identified_by_its_key_and_name() {
    let hello = header("hello", 1, &[]);
    let by_key_0 = AppIdentity::of(&hello, Approval::SignedBy(0), ShortIdPolicy::HashOfAppId);
    let by_key_1 = AppIdentity::of(&hello, Approval::SignedBy(1), ShortIdPolicy::HashOfAppId);
    let unsigned = AppIdentity::of(&hello, Approval::Unverified, ShortIdPolicy::HashOfAppId);
    assert_eq!(
        by_key_0.app_id,
        AppId {
            signer: Some(0),
            name: "hello"
        }
    );
    assert_ne!(by_key_0.app_id, by_key_1.app_id);
    assert_ne!(by_key_0.short_id, by_key_1.short_id);
    assert_ne!(by_key_0.short_id, unsigned.short_id);
    assert_eq!(by_key_0.version, 1);
}

#[test]
fn hashed_short_ids_separate_signed_from_unsigned_apps() {
    for name in ["", "a", "hello", "hotp", "u2f"] {
        let tbf = header(name, 0, &[]);
        let signed = AppIdentity::of(&tbf, Approval::SignedBy(0), ShortIdPolicy::HashOfAppId);
        let unsigned = AppIdentity::of(&tbf, Approval::Integrity, ShortIdPolicy::HashOfAppId);
        assert!(signed.short_id.expect("hashed").get() & 0x8000_0000 != 0);
        assert!(unsigned.short_id.expect("hashed").get() & 0x8000_0000 == 0);
    }
}

#[test]
fn the_short_id_header_counts_only_when_signed() {
    let tbf = header("kv", 0, &[HeaderTlv::ShortId(0x1234)]);
    let signed = AppIdentity::of(&tbf, Approval::SignedBy(0), ShortIdPolicy::SignedHeaderOnly);
    assert_eq!(signed.short_id.map(ShortId::get), Some(0x1234));
    let hashed = AppIdentity::of(&tbf, Approval::Integrity, ShortIdPolicy::HashOfAppId);
    assert_ne!(hashed.short_id.map(ShortId::get), Some(0x1234));
    let none = AppIdentity::of(&tbf, Approval::Unverified, ShortIdPolicy::SignedHeaderOnly);
    assert_eq!(none.short_id, None);
    assert_eq!(
        StoragePermissions::of(&tbf, &none),
        StoragePermissions::NONE
    );
}

#[test]
fn a_signed_app_gets_the_storage_permissions_of_its_header() {
    let tbf = header("reader", 0, &[acl(7, &[8, 9], &[9])]);
    let identity = AppIdentity::of(&tbf, Approval::SignedBy(0), ShortIdPolicy::HashOfAppId);
    let permissions = StoragePermissions::of(&tbf, &identity);
    assert_eq!(permissions.write_id(), Some(7));
    assert!(permissions.can_read(7) && permissions.can_read(8) && permissions.can_read(9));
    assert!(!permissions.can_read(10) && !permissions.can_read(0));
    assert!(permissions.can_modify(7) && permissions.can_modify(9));
    assert!(!permissions.can_modify(8));
}

#[test]
fn a_header_acl_gives_an_unsigned_app_nothing_beyond_its_own_id() {
    let tbf = header("impostor", 0, &[acl(7, &[7, 8], &[7, 8])]);
    let identity = AppIdentity::of(&tbf, Approval::Integrity, ShortIdPolicy::HashOfAppId);
    let own = identity.short_id.expect("hashed").get();
    let permissions = StoragePermissions::of(&tbf, &identity);
    assert_eq!(permissions.write_id(), Some(own));
    assert!(permissions.can_read(own) && permissions.can_modify(own));
    assert!(!permissions.can_read(7) && !permissions.can_read(8));
    assert!(!permissions.can_modify(7));
}

#[test]
fn write_id_zero_means_the_app_may_not_write() {
    let tbf = header("viewer", 0, &[acl(0, &[5], &[])]);
    let identity = AppIdentity::of(&tbf, Approval::SignedBy(2), ShortIdPolicy::HashOfAppId);
    let permissions = StoragePermissions::of(&tbf, &identity);
    assert_eq!(permissions.write_id(), None);
    assert!(permissions.can_read(5));
    assert!(!permissions.can_modify(5) && !permissions.can_modify(0));
}

#[test]
fn apps_conflict_on_the_same_app_id_or_short_id() {
    let first = AppIdentity::of(
        &header("app", 1, &[HeaderTlv::ShortId(5)]),
        Approval::SignedBy(0),
        ShortIdPolicy::HashOfAppId,
    );
    let same_name = AppIdentity::of(
        &header("app", 2, &[]),
        Approval::SignedBy(0),
        ShortIdPolicy::HashOfAppId,
    );
    let same_short_id = AppIdentity::of(
        &header("other", 1, &[HeaderTlv::ShortId(5)]),
        Approval::SignedBy(0),
        ShortIdPolicy::HashOfAppId,
    );
    let unrelated = AppIdentity::of(
        &header("app", 1, &[]),
        Approval::SignedBy(1),
        ShortIdPolicy::HashOfAppId,
    );
    assert!(first.conflicts_with(&same_name));
    assert!(first.conflicts_with(&same_short_id));
    assert!(!first.conflicts_with(&unrelated));
    let without: Vec<AppIdentity> = [first, unrelated]
        .iter()
        .map(|identity| AppIdentity {
            short_id: None,
            ..*identity
        })
        .collect();
    assert!(!without[0].conflicts_with(&without[1]));
}

struct Silent;
impl crate::platform::DebugOutput for Silent {
    fn write_text(&self, _text: &str) {}
}

/// A kernel with one loaded process whose flash holds `image`.
fn kernel_with(image: &'static [u8], approval: Approval) -> (&'static Kernel, ProcessId) {
    use crate::memory::MemoryLayout;
    use crate::platform::Region;
    use crate::process::Process;
    let processes: &'static [Process] = Box::leak(Box::new([Process::new()]));
    let kernel: &'static Kernel = Box::leak(Box::new(Kernel::new(processes, &Silent)));
    let flash = Region::new(image.as_ptr() as usize, image.len());
    processes[0].loaded.set(true);
    processes[0]
        .layout
        .set(MemoryLayout::new(flash, Region::new(0, 0)));
    processes[0].approval.set(approval);
    kernel.start_fresh(0);
    let id = kernel.process_ids().next().expect("one process");
    (kernel, id)
}

#[test]
fn the_kernel_answers_for_a_live_approved_process_only() {
    let tbf = header("kv-user", 3, &[acl(7, &[], &[])]);
    let image = tbf.header_bytes();
    let (kernel, id) = kernel_with(image, Approval::SignedBy(0));
    let identity = kernel.app_identity(id).expect("approved and alive");
    assert_eq!(identity.app_id.name, "kv-user");
    assert_eq!(identity.version, 3);
    assert_eq!(kernel.storage_permissions(id).write_id(), Some(7));

    kernel.processes()[0].approval.set(Approval::Unchecked);
    assert_eq!(kernel.app_identity(id), None);
    assert_eq!(kernel.storage_permissions(id), StoragePermissions::NONE);

    kernel.processes()[0].approval.set(Approval::SignedBy(0));
    kernel.terminate(0);
    assert_eq!(kernel.app_identity(id), None, "a dead incarnation has none");
    assert_eq!(kernel.storage_permissions(id), StoragePermissions::NONE);
}
