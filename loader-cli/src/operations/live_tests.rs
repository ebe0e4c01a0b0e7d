//! Sequences on a running kernel (the simulated one): a refused operation
//! changes nothing, a replace works whatever the old app's state.

use super::tests::{board, new_app};
use super::*;
use crate::progress::Silent;
use crate::transport::{MemoryFlash, SimulatedKernel};

fn unsigned(name: &str, binary_length: usize) -> NewApp {
    let image = crate::chain::tests::unsigned_app_image(name, binary_length, 0);
    let mut app = new_app(name, image);
    app.candidates[0].signed = false;
    app
}

fn kernel(require_credentials: bool) -> SimulatedKernel {
    SimulatedKernel::new(MemoryFlash::erased(0, 0x8000), 0x1000, require_credentials)
}

fn names_running(kernel: &SimulatedKernel) -> Vec<&str> {
    kernel.processes.iter().map(|p| p.name.as_str()).collect()
}

#[test]
fn disabling_a_signed_app_is_refused_before_its_process_is_stopped() {
    let mut device = kernel(false);
    let mut silent = Silent;
    let mut loader = Loader {
        transport: &mut device,
        board: board(),
        progress: &mut silent,
    };
    let signed = new_app("signed", crate::chain::tests::app_image("signed", 200));
    loader
        .install(&[signed], Replace::Yes, Placement::Append)
        .unwrap();
    let flash_before = loader.transport.read(0, 0x8000).unwrap();
    let refused = loader.set_flag(&["signed".to_string()], tbf::FLAG_ENABLED, false);
    assert!(
        matches!(refused, Err(LoaderError::Refused(_))),
        "{refused:?}"
    );
    assert_eq!(names_running(&device), ["signed"], "the process still runs");
    assert_eq!(device.operations.len(), 1, "only the install's start");
    assert_eq!(device.flash.bytes, flash_before, "flash is unchanged");
}

fn app_copies(loader: &mut Loader, name: &str) -> usize {
    let chain = loader.chain().unwrap();
    chain.apps().filter(|app| app.name == name).count()
}

#[test]
fn a_refused_build_leaves_no_copy_and_the_signed_build_then_installs() {
    let mut device = kernel(true);
    let mut silent = Silent;
    let mut loader = Loader {
        transport: &mut device,
        board: board(),
        progress: &mut silent,
    };
    for _ in 0..2 {
        let refused = loader.install(&[unsigned("app", 200)], Replace::Yes, Placement::Append);
        assert!(refused.is_err(), "the board runs only signed apps");
        assert_eq!(
            app_copies(&mut loader, "app"),
            0,
            "the refused build is gone"
        );
    }
    let signed = new_app("app", crate::chain::tests::app_image("app", 200));
    loader
        .install(&[signed], Replace::Yes, Placement::Append)
        .unwrap();
    assert_eq!(app_copies(&mut loader, "app"), 1);
    assert_eq!(names_running(&device), ["app"]);
}

#[test]
fn replacing_a_disabled_app_starts_the_new_build_and_frees_the_old() {
    let mut device = kernel(false);
    let mut silent = Silent;
    let mut loader = Loader {
        transport: &mut device,
        board: board(),
        progress: &mut silent,
    };
    loader
        .install(&[unsigned("app", 200)], Replace::Yes, Placement::Append)
        .unwrap();
    loader
        .set_flag(&["app".to_string()], tbf::FLAG_ENABLED, false)
        .unwrap();
    loader
        .install(&[unsigned("app", 300)], Replace::Yes, Placement::Append)
        .unwrap();
    assert_eq!(app_copies(&mut loader, "app"), 1);
    assert_eq!(names_running(&device), ["app"]);
}

#[test]
fn erasing_apps_on_a_running_kernel_stops_them_first() {
    let mut device = kernel(false);
    let mut silent = Silent;
    let mut loader = Loader {
        transport: &mut device,
        board: board(),
        progress: &mut silent,
    };
    let apps = [unsigned("first", 200), unsigned("second", 100)];
    loader
        .install(&apps, Replace::Yes, Placement::Append)
        .unwrap();
    loader.erase_apps(false).unwrap();
    assert!(loader.chain().unwrap().images.is_empty());
    assert!(
        names_running(&device).is_empty(),
        "no process outlives its image"
    );
    let mut silent = Silent;
    let mut loader = Loader {
        transport: &mut device,
        board: board(),
        progress: &mut silent,
    };
    loader
        .install(&[unsigned("first", 200)], Replace::Yes, Placement::Append)
        .unwrap();
    assert_eq!(names_running(&device), ["first"]);
}
