//! Runtime app management against the fake chip: install into a free slot
//! and RAM, remove frees both, replace keeps the other processes.

extern crate std;
use std::boxed::Box;
use std::cell::RefCell;
use std::vec::Vec;

use tbf::{HeaderBuilder, HeaderTlv, KernelVersion, ProgramTlv};

use super::fake::*;
use crate::app_management::{AppManagement, AppManagementClient, AppOperation, ManagementError};
use crate::kernel::Kernel;
use crate::platform::Region;
use crate::process::{Process, State};
use crate::process_loading::{load_processes, LoadConfiguration, SkipReason};

const IMAGE: usize = 256;
const GRANT: usize = 1024;

/// A 256-byte TBF image named `name` asking for `ram` bytes.
fn image(name: &str, ram: u32, enabled: bool) -> Vec<u8> {
    let mut header = HeaderBuilder::new()
        .enabled(enabled)
        .tlv(HeaderTlv::Program(ProgramTlv {
            minimum_ram_size: ram,
            ..ProgramTlv::default()
        }))
        .tlv(HeaderTlv::PackageName(name.into()))
        .tlv(HeaderTlv::KernelVersion(KernelVersion {
            major: 2,
            minor: 0,
        }))
        .build();
    header.total_size = IMAGE as u32;
    if let Some(program) = header.program_mut() {
        program.binary_end_offset = IMAGE as u32;
    }
    let mut bytes = header.to_bytes().unwrap();
    bytes.resize(IMAGE, 0);
    bytes
}

/// A padding image of 256 bytes.
fn padding() -> Vec<u8> {
    let mut header = HeaderBuilder::new().build();
    header.total_size = IMAGE as u32;
    let mut bytes = header.to_bytes().unwrap();
    bytes.resize(IMAGE, 0xff);
    bytes
}

struct Device {
    kernel: &'static Kernel,
    output: &'static RecordingOutput,
    contexts: Vec<FakeContext>,
    protection: FakeProtection,
    management: AppManagement,
    flash_base: usize,
}

impl Device {
    /// `slots` process slots, `ram` bytes of app RAM, and app flash holding
    /// `images` back to back; the first `booted` of them load at boot.
    fn new(slots: usize, ram: usize, images: &[Vec<u8>], booted: usize) -> Device {
        let output: &'static RecordingOutput = Box::leak(Box::default());
        let processes: &'static [Process] = Box::leak(
            (0..slots)
                .map(|_| Process::new())
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        let kernel: &'static Kernel = Box::leak(Box::new(Kernel::new(processes, output)));
        let flash = low_memory(16 * IMAGE);
        flash.fill(0xff);
        for (index, bytes) in images.iter().enumerate() {
            flash[index * IMAGE..(index + 1) * IMAGE].copy_from_slice(bytes);
        }
        let flash: &'static [u8] = flash;
        let app_ram = Region::new(low_memory(ram).as_ptr() as usize, ram);
        let configuration = LoadConfiguration {
            grant_region_bytes: GRANT,
        };
        let mut device = Device {
            kernel,
            output,
            contexts: (0..slots).map(|_| FakeContext::default()).collect(),
            protection: FakeProtection {
                granularity: 8,
                configured: Default::default(),
            },
            management: AppManagement::new(flash, app_ram, configuration),
            flash_base: flash.as_ptr() as usize,
        };
        load_processes(
            kernel,
            &device.protection,
            &mut device.contexts,
            &flash[..booted * IMAGE],
            app_ram,
            configuration,
            &TestCapability,
        );
        device
    }

    fn address(&self, image: usize) -> usize {
        self.flash_base + image * IMAGE
    }

    fn apply(&mut self, operation: AppOperation) -> Result<Option<usize>, ManagementError> {
        self.management
            .apply(operation, self.kernel, &self.protection, &mut self.contexts)
    }

    fn install(&mut self, image: usize) -> Result<Option<usize>, ManagementError> {
        let address = self.address(image);
        self.apply(AppOperation::Install { address })
    }

    fn names(&self) -> Vec<&'static str> {
        let loaded = self.kernel.processes().iter().filter(|p| p.is_loaded());
        loaded.map(Process::name).collect()
    }

    fn ram(&self, index: usize) -> Region {
        self.kernel.processes()[index].layout().ram
    }
}

#[test]
fn two_apps_installed_live_both_start_with_their_own_memory() {
    let images = [
        image("booted", 512, true),
        image("one", 512, true),
        image("two", 512, true),
    ];
    let mut device = Device::new(4, 8192, &images, 1);
    assert_eq!(device.names(), ["booted"]);
    let one = device.install(1).unwrap().unwrap();
    let two = device.install(2).unwrap().unwrap();
    assert_eq!(device.names(), ["booted", "one", "two"]);
    for index in [one, two] {
        let process = &device.kernel.processes()[index];
        assert_eq!(process.state(), State::Running);
        let flash = process.layout().flash;
        assert_eq!(device.contexts[index].protection.flash, flash);
    }
    assert_eq!(
        device.kernel.processes()[two].layout().flash.start,
        device.address(2)
    );
    let regions = [device.ram(0), device.ram(one), device.ram(two)];
    for (position, first) in regions.iter().enumerate() {
        for second in &regions[position + 1..] {
            assert!(!crate::memory::ranges_overlap(*first, *second));
        }
    }
    let output = device.output.0.borrow();
    assert!(!output.contains("installed"), "only `perform` reports");
}

#[test]
fn removing_frees_the_slot_and_the_ram_for_the_next_install() {
    // Two slots and RAM for exactly two processes.
    let per_process = 512 + GRANT;
    let images = [
        image("first", 512, true),
        image("second", 512, true),
        image("third", 512, true),
    ];
    let mut device = Device::new(2, 2 * per_process, &images, 2);
    assert_eq!(device.names(), ["first", "second"]);
    let first_ram = device.ram(0);
    assert_eq!(
        device.install(2),
        Err(ManagementError::Refused(SkipReason::NoFreeSlot))
    );
    let second_identifier = device.kernel.processes()[1].identifier.get();
    assert_eq!(
        device.apply(AppOperation::Remove {
            address: device.address(0)
        }),
        Ok(None)
    );
    assert_eq!(device.names(), ["second"]);
    let third = device.install(2).unwrap().unwrap();
    assert_eq!(third, 0, "the freed slot is used again");
    assert_eq!(device.ram(third), first_ram, "the freed RAM is used again");
    assert_eq!(device.names(), ["third", "second"]);
    assert_eq!(
        device.kernel.processes()[1].identifier.get(),
        second_identifier,
        "the other process was not touched"
    );
}

#[test]
fn replacing_keeps_the_other_process_and_a_bad_replacement_restores_the_old() {
    let images = [
        image("keep", 512, true),
        image("app", 512, true),
        image("app", 768, true),
        image("app", 512, false),
    ];
    let mut device = Device::new(3, 8192, &images, 2);
    let kept_identifier = device.kernel.processes()[0].identifier.get();
    let (old, new, disabled) = (device.address(1), device.address(2), device.address(3));
    let index = device
        .apply(AppOperation::Replace { old, new })
        .unwrap()
        .unwrap();
    assert_eq!(device.kernel.processes()[index].layout().flash.start, new);
    assert_eq!(device.names(), ["keep", "app"]);
    assert_eq!(
        device.kernel.processes()[0].identifier.get(),
        kept_identifier
    );
    assert_eq!(device.kernel.processes()[0].state(), State::Running);

    let refused = device.apply(AppOperation::Replace {
        old: new,
        new: disabled,
    });
    assert_eq!(refused, Err(ManagementError::Refused(SkipReason::Disabled)));
    let restored = device.management.process_at(device.kernel, new);
    assert!(restored.is_some(), "the old version runs again");
    assert_eq!(device.names(), ["keep", "app"]);
}

#[test]
fn bad_requests_are_refused_with_the_reason() {
    let images = [image("app", 512, true), padding()];
    let mut device = Device::new(2, 8192, &images, 1);
    let loaded = device.address(0);
    assert_eq!(
        device.install(0),
        Err(ManagementError::AlreadyLoaded(loaded))
    );
    assert_eq!(
        device.install(1),
        Err(ManagementError::NotAnApp(device.address(1)))
    );
    let outside = device.flash_base - 4;
    assert_eq!(
        device.apply(AppOperation::Install { address: outside }),
        Err(ManagementError::OutsideAppFlash(outside))
    );
    // Erased flash is no image.
    assert!(matches!(
        device.install(5),
        Err(ManagementError::Refused(SkipReason::Malformed(_)))
    ));
    let nothing = device.address(1);
    assert_eq!(
        device.apply(AppOperation::Remove { address: nothing }),
        Err(ManagementError::NotFound(nothing))
    );
    assert_eq!(device.names(), ["app"]);
}

#[test]
fn removing_an_app_image_nothing_runs_from_succeeds_with_nothing_stopped() {
    // The second image is an app that was never started (as one the
    // credential checker refused): its removal frees flash only.
    let images = [image("running", 512, true), image("refused", 512, true)];
    let mut device = Device::new(2, 8192, &images, 1);
    let refused = device.address(1);
    assert_eq!(
        device.apply(AppOperation::Remove { address: refused }),
        Ok(None)
    );
    assert_eq!(device.names(), ["running"]);
}

type Outcome = (AppOperation, Result<Option<usize>, ManagementError>);

#[derive(Default)]
struct RecordingClient(RefCell<Vec<Outcome>>);

impl AppManagementClient for RecordingClient {
    fn operation_done(
        &self,
        operation: AppOperation,
        result: Result<Option<usize>, ManagementError>,
    ) {
        self.0.borrow_mut().push((operation, result));
    }
}

#[test]
fn a_request_waits_for_the_main_loop_and_the_client_hears_the_result() {
    let images = [image("app", 512, true), image("late", 512, true)];
    let mut device = Device::new(2, 8192, &images, 1);
    let client: &'static RecordingClient = Box::leak(Box::default());
    device.management.set_client(client);
    let install = AppOperation::Install {
        address: device.address(1),
    };
    device.management.request(install, &TestCapability).unwrap();
    assert_eq!(
        device.management.request(install, &TestCapability),
        Err(ManagementError::Busy)
    );
    assert_eq!(device.names(), ["app"], "nothing happens before the loop");
    device
        .management
        .perform(device.kernel, &device.protection, &mut device.contexts);
    assert!(!device.management.has_request());
    assert_eq!(device.names(), ["app", "late"]);
    assert_eq!(client.0.borrow().as_slice(), [(install, Ok(Some(1)))]);
    assert!(device.output.0.borrow().contains("installed late"));
}

#[test]
fn the_main_loop_performs_a_request_before_running_processes() {
    use crate::deferred_call::DeferredCalls;
    use crate::kernel_loop::{KernelLoop, LoopStep};
    use crate::scheduler::RoundRobin;

    let images = [image("app", 512, true), image("late", 512, true)];
    let mut device = Device::new(2, 8192, &images, 1);
    let install = AppOperation::Install {
        address: device.address(1),
    };
    device.management.request(install, &TestCapability).unwrap();
    let chip = FakeChip::new();
    let drivers = TestDrivers(TestDriver::new(device.kernel));
    let deferred: &'static DeferredCalls = Box::leak(Box::new(DeferredCalls::new()));
    let scheduler = RoundRobin::new(10_000);
    let mut kernel_loop = KernelLoop::new(
        device.kernel,
        &chip,
        &mut device.contexts,
        &drivers,
        &scheduler,
        deferred,
        &TestCapability,
    )
    .with_app_management(&device.management);
    assert_eq!(kernel_loop.step(), LoopStep::ManagedApps);
    assert!(matches!(kernel_loop.step(), LoopStep::RanProcess(..)));
    assert_eq!(device.names(), ["app", "late"]);
    assert_eq!(device.contexts[1].protection.flash.start, device.address(1));
}

#[test]
fn replacing_an_app_nothing_runs_from_starts_the_new_one() {
    // The old image is disabled (or was refused by the board): nothing
    // runs from it, so a replace has nothing to stop and starts the new.
    let images = [image("app", 512, false), image("app", 512, true)];
    let mut device = Device::new(2, 8192, &images, 1);
    assert!(device.names().is_empty(), "the disabled app did not load");
    let (old, new) = (device.address(0), device.address(1));
    let index = device
        .apply(AppOperation::Replace { old, new })
        .unwrap()
        .unwrap();
    assert_eq!(device.kernel.processes()[index].layout().flash.start, new);
    assert_eq!(device.names(), ["app"]);
    // Not an app image: still NotFound, nothing started.
    let padding_address = device.address(5);
    assert!(device
        .apply(AppOperation::Replace {
            old: padding_address,
            new
        })
        .is_err());
}
