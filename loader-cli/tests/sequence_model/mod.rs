//! Model-based check of app-management sequences: seeded random
//! operations (install, new versions, uninstall, enable, disable,
//! erase-apps, reboots, link cuts at any write) run by the loader against
//! a simulated running kernel (`loader_cli::transport::SimulatedKernel`),
//! with signed, unsigned, wrongly signed, too-big and foreign builds, on
//! boards with and without a signing policy. After every step, and after
//! the reboot that follows a cut, the device is checked against a model
//! (`invariants`). Used by the test of the same name (a fixed seed, in CI)
//! and by `examples/model_steps.rs` (`cargo xtask bench loader`).
#![allow(dead_code, reason = "the test and the bench use different parts")]

pub mod images;
mod invariants;

use std::collections::BTreeMap;

use images::{Build, Kind};
use loader_cli::board::{Board, ReservedFlash};
use loader_cli::progress::Silent;
use loader_cli::transport::{LiveOperation, SimulatedKernel, Transport};
use loader_cli::{Loader, LoaderError, LoaderResult, MemoryFlash, Placement, Replace};
use loader_protocol::ProcessAction;
use proptest::prelude::*;

/// One operation of a sequence. `app` picks one of the sequence's names.
#[derive(Clone, Debug)]
pub enum Step {
    /// Install a new version of an app (replacing the installed one).
    Install {
        /// Which app.
        app: usize,
        /// How it is built.
        build: Build,
        /// Bytes of binary.
        length: u32,
    },
    /// Uninstall it.
    Uninstall { app: usize },
    /// Set its enabled flag.
    Enable { app: usize },
    /// Clear its enabled flag.
    Disable { app: usize },
    /// Remove every app.
    EraseApps,
    /// Reset the device.
    Reboot,
    /// `process stop|start|restart` on it.
    Process {
        /// Which app.
        app: usize,
        /// What to do with its process.
        action: ProcessAction,
    },
    /// Run `step` with the link cut after `after_writes` writes, then
    /// reset the device (a lost link, or QEMU killed).
    Cut {
        /// The operation that is cut.
        step: Box<Step>,
        /// Writes that land before the cut.
        after_writes: u8,
    },
}

/// A whole case: the board and its operations.
#[derive(Clone, Debug)]
pub struct Case {
    /// Whether the board runs only apps whose credential verifies.
    pub signing_policy: bool,
    /// Position-independent or fixed-address apps.
    pub kind: Kind,
    /// The operations.
    pub steps: Vec<Step>,
}

/// An installed app as the model expects it.
#[derive(Clone, PartialEq, Eq)]
pub struct Expected {
    /// Its version.
    pub version: u32,
    /// How it was built.
    pub build: Build,
    /// Its enabled flag.
    pub enabled: bool,
    /// Its image as the loader was given it, one per build (flags as
    /// packaged).
    pub builds: Vec<Vec<u8>>,
    /// Its process was stopped (`process stop`): it resumes with `start`,
    /// starts again with `restart`, and runs after a reboot.
    pub stopped: bool,
}

impl std::fmt::Debug for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let flag = if self.enabled { "enabled" } else { "disabled" };
        let stopped = if self.stopped { " stopped" } else { "" };
        write!(f, "v{} {:?} {flag}{stopped}", self.version, self.build)
    }
}

/// The model: the image of each installed app, by name (one each: a cut
/// that linked a new version before freeing the old is settled at boot).
pub type Model = BTreeMap<String, Vec<Expected>>;

fn build_strategy() -> impl Strategy<Value = Build> {
    prop_oneof![
        6 => Just(Build::Signed),
        4 => Just(Build::Unsigned),
        1 => Just(Build::WronglySigned),
        1 => Just(Build::TooBig),
        1 => Just(Build::LinkedElsewhere),
    ]
}

fn plain_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (0..3usize, build_strategy(), 64..0x1800u32)
            .prop_map(|(app, build, length)| Step::Install { app, build, length }),
        2 => (0..3usize).prop_map(|app| Step::Uninstall { app }),
        1 => (0..3usize).prop_map(|app| Step::Enable { app }),
        1 => (0..3usize).prop_map(|app| Step::Disable { app }),
        1 => Just(Step::EraseApps),
        1 => Just(Step::Reboot),
        3 => (0..3usize, action_strategy()).prop_map(|(app, action)| Step::Process { app, action }),
    ]
}

fn action_strategy() -> impl Strategy<Value = ProcessAction> {
    prop_oneof![
        Just(ProcessAction::Stop),
        Just(ProcessAction::Resume),
        Just(ProcessAction::Restart),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => plain_step(),
        2 => (plain_step(), any::<u8>()).prop_map(|(step, after_writes)| Step::Cut {
            step: Box::new(step),
            after_writes: after_writes % 12,
        }),
    ]
}

/// Cases of up to `max_steps` operations.
pub fn case(max_steps: usize) -> impl Strategy<Value = Case> {
    let kind = prop_oneof![Just(Kind::PositionIndependent), Just(Kind::FixedAddress)];
    (
        any::<bool>(),
        kind,
        proptest::collection::vec(step(), 1..=max_steps),
    )
        .prop_map(|(signing_policy, kind, steps)| Case {
            signing_policy,
            kind,
            steps,
        })
}

/// The simulated board: app flash with reserved flash after it, and
/// bytes before and after app flash that must never change.
pub fn board() -> Board {
    let mut board = Board::generic("model").with_arch("rv32imac");
    board.flash_address = 0;
    board.flash_size = images::FLASH_SIZE as u32;
    board.app_address = images::APP_START;
    board.reserved_after_apps = Some(ReservedFlash {
        start: images::APP_END,
        holds: "the model's reserved flash",
    });
    board
}

/// The device at the start: erased app flash between guarded bytes.
pub fn device(signing_policy: bool) -> SimulatedKernel {
    let mut flash = MemoryFlash::erased(0, images::FLASH_SIZE);
    flash.bytes[..images::APP_START as usize].fill(invariants::GUARD);
    flash.bytes[images::APP_END as usize..].fill(invariants::GUARD);
    SimulatedKernel::new(flash, images::APP_START, signing_policy)
}

/// A link that is cut after a number of writes: the write that would
/// exceed it fails, and so does everything after it.
struct CutLink<'d> {
    device: &'d mut SimulatedKernel,
    writes_left: usize,
}

impl CutLink<'_> {
    fn cut(&self) -> LoaderError {
        LoaderError::Link {
            device: "simulated link".to_string(),
            reason: "cut".to_string(),
        }
    }
}

impl Transport for CutLink<'_> {
    fn describe(&self) -> String {
        self.device.describe()
    }
    fn read(&mut self, address: u32, length: usize) -> LoaderResult<Vec<u8>> {
        self.device.read(address, length)
    }
    fn write(&mut self, address: u32, bytes: &[u8]) -> LoaderResult<()> {
        if self.writes_left == 0 {
            return Err(self.cut());
        }
        self.writes_left -= 1;
        self.device.write(address, bytes)
    }
    fn is_live(&mut self) -> bool {
        true
    }
    fn live_operation(&mut self, operation: LiveOperation) -> LoaderResult<()> {
        if self.writes_left == 0 {
            return Err(self.cut());
        }
        self.device.live_operation(operation)
    }
}

/// Run one operation through the loader; the model after it, if it
/// succeeds as the model says it must.
fn operate(
    transport: &mut dyn Transport,
    case: &Case,
    step: &Step,
    model: &Model,
    version: u32,
) -> LoaderResult<()> {
    let mut silent = Silent;
    let mut loader = Loader {
        transport,
        board: board(),
        progress: &mut silent,
    };
    let name = |app: usize| case.kind.names()[app].to_string();
    match step {
        Step::Install { app, build, length } => {
            let new = images::new_app(case.kind, &name(*app), version, *length, *build);
            loader.install(&[new], Replace::Yes, Placement::Append)
        }
        Step::Uninstall { app } => loader.uninstall(&[name(*app)], false).map(|_| ()),
        Step::Enable { app } => loader.set_flag(&[name(*app)], tbf::FLAG_ENABLED, true),
        Step::Disable { app } => loader.set_flag(&[name(*app)], tbf::FLAG_ENABLED, false),
        Step::EraseApps => loader.erase_apps(false),
        Step::Process { app, action } => loader.control_process(&name(*app), *action),
        // A reset has no writes to cut: the runner resets after a cut.
        Step::Reboot => Ok(()),
        Step::Cut { .. } => unreachable!("cuts do not nest: {step:?} on {model:?}"),
    }
}

/// The model's image of a new app as the loader installs it.
pub fn expected(new: &loader_cli::NewApp, version: u32, build: Build) -> Expected {
    Expected {
        version,
        build,
        enabled: true,
        builds: new.candidates.iter().map(|c| c.bytes.clone()).collect(),
        stopped: false,
    }
}

/// What the model says `step` does: the model after it, or `None` when
/// the loader must refuse it and change nothing.
pub fn expect(case: &Case, step: &Step, model: &Model, version: u32) -> Option<Model> {
    let name = |app: usize| case.kind.names()[app].to_string();
    let mut after = model.clone();
    match step {
        Step::Install { app, build, length } => {
            let refused_by_board = case.signing_policy && !build.verifies();
            if build.refused_by_the_loader() || refused_by_board {
                return None;
            }
            let new = images::new_app(case.kind, &name(*app), version, *length, *build);
            after.insert(name(*app), vec![expected(&new, version, *build)]);
        }
        Step::Uninstall { app } => {
            after.remove(&name(*app))?;
        }
        Step::Enable { app } | Step::Disable { app } => {
            let installed = after.get_mut(&name(*app))?;
            if installed.iter().any(|image| image.build.has_credential()) {
                return None;
            }
            let accepted = |image: &Expected| !case.signing_policy || image.build.verifies();
            if matches!(step, Step::Enable { .. }) && !installed.iter().any(accepted) {
                // The board refuses to start it: the flag is put back.
                return None;
            }
            for image in installed {
                image.enabled = matches!(step, Step::Enable { .. });
                // The loader stops it to rewrite its header, and an
                // enabled one starts afresh.
                image.stopped = false;
            }
        }
        Step::Process { app, action } => {
            let image = after.get_mut(&name(*app))?.first_mut()?;
            let runs = image.enabled && (!case.signing_policy || image.build.verifies());
            image.stopped = match (runs, action, image.stopped) {
                (false, _, _) => return None,
                (true, ProcessAction::Stop, false) => true,
                (true, ProcessAction::Resume, true) | (true, ProcessAction::Restart, _) => false,
                // Stop a stopped one, start a running one: refused.
                (true, _, _) => return None,
            };
        }
        Step::EraseApps => after.clear(),
        Step::Reboot | Step::Cut { .. } => return Some(after),
    }
    Some(after)
}

/// Outcome of one case.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Steps run, each checked.
    pub steps: usize,
    /// Fixed-address installs the loader refused (no slot, or only the
    /// slot of a signed old build for an unsigned new one), each checked
    /// to change nothing.
    pub refused_fixed: usize,
    /// Fixed-address apps replaced in their old build's own slot (one
    /// flash-journal commit on the device).
    pub replaced_in_place: usize,
}

/// The model after a reset: every process runs from its start.
pub fn rebooted(model: &Model) -> Model {
    let mut after = model.clone();
    for image in after.values_mut().flatten() {
        image.stopped = false;
    }
    after
}

/// Run `case`; the first broken invariant, with the step that broke it.
pub fn run(case: &Case) -> Result<Outcome, String> {
    let mut device = device(case.signing_policy);
    let mut model = Model::new();
    let mut outcome = Outcome::default();
    for (index, step) in case.steps.iter().enumerate() {
        let version = index as u32 + 1;
        let at = |error: String| format!("step {index} ({step:?}): {error}");
        match step {
            Step::Reboot => {
                device.reboot();
                model = rebooted(&model);
            }
            Step::Cut {
                step: inner,
                after_writes,
            } => {
                let mut link = CutLink {
                    device: &mut device,
                    writes_left: usize::from(*after_writes),
                };
                let _ = operate(&mut link, case, inner, &model, version);
                device.reboot();
                // The reset after the cut starts every process afresh.
                let allowed: Vec<Model> = invariants::after_cut(case, inner, &model, version)
                    .iter()
                    .map(rebooted)
                    .collect();
                model = invariants::matching(&mut device, case, &allowed).map_err(at)?;
            }
            _ => {
                let expected = expect(case, step, &model, version);
                let result = operate(&mut device, case, step, &model, version);
                match (result, expected) {
                    (Ok(()), Some(after)) => model = after,
                    // Refused: checked below to have changed nothing
                    // (a build the board refuses leaves the old one
                    // running, even one that was to take its own slot).
                    (Err(_), None) => {}
                    // A fixed-address build may find no slot, or only the
                    // old build's, which a signed old build keeps from an
                    // unsigned one: a refusal, checked below to change
                    // nothing.
                    (Err(LoaderError::NoSpace { .. } | LoaderError::Refused(_)), Some(_))
                        if case.kind == Kind::FixedAddress =>
                    {
                        outcome.refused_fixed += 1;
                    }
                    (Ok(()), None) => return Err(at("succeeded; the model says refuse".into())),
                    (Err(error), Some(_)) => return Err(at(format!("failed: {error}"))),
                }
            }
        }
        invariants::check(&mut device, case, &model).map_err(at)?;
        outcome.steps += 1;
    }
    device.reboot();
    invariants::check(&mut device, case, &rebooted(&model))
        .map_err(|error| format!("after the last reboot: {error}"))?;
    outcome.replaced_in_place = device
        .operations
        .iter()
        .filter(|(operation, done)| {
            *done && matches!(operation, LiveOperation::ReplaceInPlace { .. })
        })
        .count();
    Ok(outcome)
}
