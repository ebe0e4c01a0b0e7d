//! The checker with a trust store, on a real kernel object: what boot
//! approval remembers (one write per batch), a revocation stopping the
//! running apps signed only by the revoked key, and a lower version
//! refused after a higher one ran.

extern crate alloc;
extern crate std;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

use tbf::crypto::{verifying_key_to_raw, SigningKey, VerifyingKey};
use tbf::sign::{add_credentials, CredentialRequest, SignOptions};
use tbf::trust::{fingerprint, sign_change, Change, ChangeKind, RawKey, Scope};
use tbf::{HeaderBuilder, HeaderTlv, ProgramTlv};

use super::super::admit;
use super::CredentialChecker;
use crate::credential::TrustManagement;
use crate::credential::{CredentialCheckClient, CredentialPolicy, NotStarted, Refusal};
use crate::deferred_call::DeferredCalls;
use crate::flash_journal::{NorError, NorFlash};
use crate::kernel::Kernel;
use crate::memory::MemoryLayout;
use crate::platform::{DebugOutput, Region};
use crate::process::Process;
use crate::trust_store::TrustStore;

const BLOCK: usize = 4096;

/// RAM that behaves as NOR flash; counts erases (one per store write).
struct RamNor {
    bytes: RefCell<Vec<u8>>,
    erases: Cell<usize>,
}

impl NorFlash for RamNor {
    fn block_size(&self) -> usize {
        BLOCK
    }
    fn read(&self, offset: usize, buffer: &mut [u8]) -> Result<(), NorError> {
        let bytes = self.bytes.borrow();
        let source = bytes.get(offset..offset + buffer.len());
        buffer.copy_from_slice(source.ok_or(NorError::OutOfRange)?);
        Ok(())
    }
    fn program(&self, offset: usize, data: &[u8]) -> Result<(), NorError> {
        let mut bytes = self.bytes.borrow_mut();
        let target = bytes.get_mut(offset..offset + data.len());
        for (old, new) in target.ok_or(NorError::OutOfRange)?.iter_mut().zip(data) {
            *old &= new;
        }
        Ok(())
    }
    fn erase_block(&self, offset: usize) -> Result<(), NorError> {
        self.erases.set(self.erases.get() + 1);
        self.bytes.borrow_mut()[offset..offset + BLOCK].fill(0xFF);
        Ok(())
    }
}

#[derive(Default)]
struct Recorder(RefCell<String>);
impl DebugOutput for Recorder {
    fn write_text(&self, text: &str) {
        self.0.borrow_mut().push_str(text);
    }
}

#[derive(Default)]
struct Outcomes(RefCell<Vec<(usize, Result<usize, NotStarted>)>>);
impl CredentialCheckClient for Outcomes {
    fn credentials_checked(&self, address: usize, result: Result<usize, NotStarted>) {
        self.0.borrow_mut().push((address, result));
    }
}

fn key(seed: u8) -> (SigningKey, RawKey) {
    let private = SigningKey::from_slice(&[seed; 32]).expect("a valid scalar");
    let public = verifying_key_to_raw(&VerifyingKey::from(&private));
    (private, public)
}

/// A leaked image named `name` at `version`, signed by `signer`.
fn image(name: &str, version: u32, signer: u8) -> &'static [u8] {
    let mut header = HeaderBuilder::new()
        .enabled(true)
        .tlv(HeaderTlv::Program(ProgramTlv {
            app_version: version,
            ..ProgramTlv::default()
        }))
        .tlv(HeaderTlv::PackageName(name.into()))
        .build();
    let size = u32::from(header.header_size().expect("sizes"));
    header.program_mut().expect("Program").binary_end_offset = size + 32;
    header.total_size = size + 32;
    let mut bytes = header.to_bytes().expect("builds");
    bytes.extend([0x13u8; 32]);
    let private = key(signer).0;
    let request = [CredentialRequest::EcdsaP256(&private)];
    let signed = add_credentials(&bytes, &request, &SignOptions::default()).expect("signs");
    Box::leak(signed.image.into_boxed_slice())
}

struct Rig {
    kernel: &'static Kernel,
    calls: &'static DeferredCalls,
    checker: &'static CredentialChecker,
    output: &'static Recorder,
    outcomes: &'static Outcomes,
}

impl Rig {
    /// A kernel with 3 slots and a checker whose store lives in `flash`
    /// (root key 1; signing keys 2 and 3 on first boot).
    fn new(flash: &'static RamNor) -> Rig {
        let output: &'static Recorder = Box::leak(Box::default());
        let processes: &'static [Process] = Box::leak(
            (0..3)
                .map(|_| Process::new())
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        let kernel: &'static Kernel = Box::leak(Box::new(Kernel::new(processes, output)));
        let calls: &'static DeferredCalls = Box::leak(Box::new(DeferredCalls::new()));
        let policy = CredentialPolicy::EcdsaP256 {
            keys: &[],
            signers_required: 1,
        };
        let checker: &'static CredentialChecker = Box::leak(Box::new(CredentialChecker::new(
            kernel,
            policy,
            calls.allocate(),
        )));
        let store: &'static TrustStore<'static> = Box::leak(Box::new(TrustStore::new()));
        store.attach(flash, [0, BLOCK], b"test-board");
        store.mount(Some(key(1).1), &[key(2).1, key(3).1]);
        checker.set_trust_store(store);
        checker.deferred_call.register(checker);
        kernel.credential_checker.set(Some(checker));
        let outcomes: &'static Outcomes = Box::leak(Box::default());
        checker.set_client(outcomes);
        Rig {
            kernel,
            calls,
            checker,
            output,
            outcomes,
        }
    }

    fn load(&self, index: usize, image: &'static [u8]) {
        let process = &self.kernel.processes()[index];
        let header = tbf::parse_header(image).expect("parses");
        process.loaded.set(true);
        process.name.set(header.package_name().unwrap_or(""));
        let flash = Region::new(image.as_ptr() as usize, image.len());
        process
            .layout
            .set(MemoryLayout::new(flash, Region::new(0, 0)));
        admit(self.kernel, index).expect("queued");
    }

    fn settle(&self) {
        let mut ran = 0;
        while self.calls.service_next() {
            ran += 1;
            assert!(ran < 100, "the checker never settles");
        }
    }

    fn loaded(&self, index: usize) -> bool {
        self.kernel.processes()[index].is_loaded()
    }
}

fn flash() -> &'static RamNor {
    Box::leak(Box::new(RamNor {
        bytes: RefCell::new(vec![0xFF; 2 * BLOCK]),
        erases: Cell::new(0),
    }))
}

fn revoke(seed: u8, sequence: u32) -> Vec<u8> {
    let change = Change {
        kind: ChangeKind::RevokeKey(key(seed).1),
        sequence,
        scope: Scope::Any,
    };
    sign_change(&change, &key(1).0).expect("signs")
}

#[test]
fn a_boot_remembers_its_apps_in_one_write_and_the_next_boot_uses_it() {
    let flash = flash();
    let rig = Rig::new(flash);
    let after_mount = flash.erases.get();
    rig.load(0, image("alice", 2, 2));
    rig.load(1, image("bob", 3, 3));
    rig.settle();
    assert!(rig.loaded(0) && rig.loaded(1), "{}", rig.output.0.borrow());
    assert_eq!(
        flash.erases.get() - after_mount,
        1,
        "one trust-store write per batch"
    );
    let store = rig.checker.trust_store().expect("a store");
    assert_eq!(store.state().digests().len(), 2);
    assert_eq!(store.state().minimum_version(b"bob"), Some(3));
    // The next boot reads the records and minimums; nothing new to write.
    let next = Rig::new(flash);
    let before = flash.erases.get();
    next.load(0, image("alice", 2, 2));
    next.settle();
    assert!(next.loaded(0));
    assert_eq!(flash.erases.get(), before, "nothing changed: no write");
    next.load(1, image("bob", 2, 3));
    next.settle();
    assert!(!next.loaded(1), "version 2 is below bob's minimum 3");
    assert!(
        next.output
            .0
            .borrow()
            .contains("version 2 below the minimum 3 for bob"),
        "{}",
        next.output.0.borrow()
    );
}

#[test]
fn a_revocation_stops_the_apps_signed_only_by_the_revoked_key() {
    let rig = Rig::new(flash());
    rig.load(0, image("alice", 1, 2));
    rig.load(1, image("bob", 1, 3));
    rig.settle();
    assert!(rig.loaded(0) && rig.loaded(1));
    rig.outcomes.0.borrow_mut().clear();
    rig.checker.apply_change(&revoke(2, 1)).expect("applies");
    // Checked again in deferred calls, not inside the command.
    assert!(rig.loaded(0));
    rig.settle();
    assert!(!rig.loaded(0), "alice's only signer is revoked");
    assert!(rig.loaded(1), "bob's signer is active");
    let outcomes = rig.outcomes.0.borrow();
    let refused = NotStarted::Refused(Refusal::RevokedSigner(fingerprint(&key(2).1)));
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].1, Err(refused));
    assert!(rig
        .output
        .0
        .borrow()
        .contains("stopped: refused: signed only by revoked key"));
    // A replay changes nothing.
    assert!(rig.checker.apply_change(&revoke(2, 1)).is_err());
}
