//! Host tests of admission: the checker's batches, refusals and identity
//! conflicts, on a real kernel object with real TBF images.

extern crate alloc;
extern crate std;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use tbf::sign::{add_credentials, CredentialRequest, SignOptions};
use tbf::{HeaderBuilder, HeaderTlv, ProgramTlv};

use super::*;
use crate::deferred_call::DeferredCalls;
use crate::kernel::ProcessManagement;
use crate::memory::MemoryLayout;
use crate::platform::{DebugOutput, Region};
use crate::process::{Process, State};

struct TestCapability;
// SAFETY: host tests only: the token never leaves this module.
unsafe impl ProcessManagementCapability for TestCapability {}

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

/// A leaked image named `name` at `version`, hashed if `hashed`.
fn image(name: &str, version: u32, hashed: bool) -> &'static [u8] {
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
    if hashed {
        bytes = add_credentials(
            &bytes,
            &[CredentialRequest::Sha256],
            &SignOptions::default(),
        )
        .expect("hashes")
        .image;
    }
    Box::leak(bytes.into_boxed_slice())
}

struct Rig {
    kernel: &'static Kernel,
    calls: &'static DeferredCalls,
    output: &'static Recorder,
    outcomes: &'static Outcomes,
}

impl Rig {
    /// A kernel with `slots` slots and, unless `policy` is `None`, a checker.
    fn new(slots: usize, policy: Option<CredentialPolicy>) -> Rig {
        let output: &'static Recorder = Box::leak(Box::default());
        let processes: &'static [Process] = Box::leak(
            (0..slots)
                .map(|_| Process::new())
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        let kernel: &'static Kernel = Box::leak(Box::new(Kernel::new(processes, output)));
        let calls: &'static DeferredCalls = Box::leak(Box::new(DeferredCalls::new()));
        let outcomes: &'static Outcomes = Box::leak(Box::default());
        if let Some(policy) = policy {
            let checker: &'static CredentialChecker = Box::leak(Box::new(CredentialChecker::new(
                kernel,
                policy,
                calls.allocate(),
            )));
            checker.deferred_call.register(checker);
            kernel.credential_checker.set(Some(checker));
            checker.set_client(outcomes);
        }
        Rig {
            kernel,
            calls,
            output,
            outcomes,
        }
    }

    /// Load `image` into slot `index` as loading does, then admit it.
    fn load(&self, index: usize, image: &'static [u8]) -> Result<(), NotStarted> {
        let process = &self.kernel.processes()[index];
        let header = tbf::parse_header(image).expect("parses");
        process.loaded.set(true);
        process.name.set(header.package_name().unwrap_or(""));
        let flash = Region::new(image.as_ptr() as usize, image.len());
        process
            .layout
            .set(MemoryLayout::new(flash, Region::new(0, 0)));
        admit(self.kernel, index)
    }

    /// Run deferred calls until none is due; how many ran.
    fn settle(&self) -> usize {
        let mut ran = 0;
        while self.calls.service_next() {
            ran += 1;
            assert!(ran < 100, "the checker never settles");
        }
        ran
    }

    fn state(&self, index: usize) -> Option<State> {
        let process = &self.kernel.processes()[index];
        process.is_loaded().then(|| process.state())
    }

    fn output(&self) -> String {
        self.output.0.borrow().clone()
    }
}

#[test]
fn nothing_starts_before_every_app_is_checked() {
    let rig = Rig::new(3, Some(CredentialPolicy::Sha256Integrity));
    rig.load(0, image("a", 1, true)).expect("queued");
    rig.load(1, image("b", 1, false)).expect("queued");
    rig.load(2, image("c", 1, true)).expect("queued");
    assert_eq!(
        rig.state(0),
        Some(State::Terminated),
        "unchecked: not started"
    );
    assert!(!ProcessManagement::new(rig.kernel, &TestCapability).boot(0));
    assert!(rig.calls.service_next());
    assert_eq!(
        rig.state(0),
        Some(State::Terminated),
        "approved, batch not over"
    );
    assert!(!ProcessManagement::new(rig.kernel, &TestCapability).boot(0));
    // One check per deferred call: three apps, then the batch's end.
    assert_eq!(rig.settle(), 3);
    assert_eq!(rig.state(0), Some(State::Running));
    assert_eq!(rig.state(1), None, "refused and unloaded");
    assert_eq!(rig.state(2), Some(State::Running));
    assert!(rig.output().contains("app b at 0x"), "{}", rig.output());
    assert!(rig.output().contains("refused: no SHA256 credential"));
    let outcomes = rig.outcomes.0.borrow();
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes
        .iter()
        .any(|(_, result)| matches!(result, Err(NotStarted::Refused(Refusal::Missing(_))))));
}

#[test]
fn the_higher_version_runs_wherever_it_sits() {
    for (first, second) in [(1, 2), (2, 1)] {
        let rig = Rig::new(2, Some(CredentialPolicy::Sha256Integrity));
        rig.load(0, image("same", first, true)).expect("queued");
        rig.load(1, image("same", second, true)).expect("queued");
        rig.settle();
        let (winner, loser) = if first > second { (0, 1) } else { (1, 0) };
        assert_eq!(rig.state(winner), Some(State::Running), "{}", rig.output());
        assert_eq!(rig.state(loser), None);
        assert!(
            rig.output()
                .contains("not started: same version 2 has the same identity"),
            "{}",
            rig.output()
        );
    }
}

#[test]
fn on_a_tie_the_app_already_there_keeps_running() {
    let rig = Rig::new(2, None);
    rig.load(0, image("twin", 1, false)).expect("started");
    assert_eq!(
        rig.load(1, image("twin", 1, false)),
        Err(NotStarted::Superseded {
            by: "twin",
            version: 1
        })
    );
    assert_eq!(rig.state(0), Some(State::Running));
    assert_eq!(rig.state(1), None);
}

#[test]
fn a_later_higher_version_stops_a_running_one() {
    let rig = Rig::new(2, None);
    rig.load(1, image("app", 1, false)).expect("started");
    assert_eq!(rig.state(1), Some(State::Running));
    rig.load(0, image("app", 4, false)).expect("started");
    assert_eq!(rig.state(0), Some(State::Running));
    assert_eq!(rig.state(1), None);
    assert!(rig
        .output()
        .contains("stopped: app version 4 has the same identity"));
}

#[test]
fn without_a_checker_apps_start_at_once_unverified() {
    let rig = Rig::new(1, None);
    rig.load(0, image("plain", 0, false)).expect("started");
    assert_eq!(rig.state(0), Some(State::Running));
    assert_eq!(rig.kernel.processes()[0].approval(), Approval::Unverified);
    assert_eq!(rig.settle(), 0, "no deferred work");
}
