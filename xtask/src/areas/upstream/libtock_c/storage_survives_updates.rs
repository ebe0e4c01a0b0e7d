//! Isolated storage survives a reboot and a live update of its app, and
//! stays isolated: the probe app (`invs_probe/main.c`, built with upstream
//! libtock-c) reports what its region holds, then stores a record naming
//! its build and the build whose record it found, at offset 0 each time.
//!
//! ```text
//! boot 1  invs_probe build 1 alone, fresh flash   nothing stored
//! boot 2  the same flash, booted again            sees build 1's record (reboot)
//! boot 3  live: `loader install` over the serial line replaces build 1 with
//!         build 2 and adds invs_other; both run at once, unwatched
//! boot 4  the same flash                          build 2's record says it found
//!                                                 build 1's (update); invs_other's
//!                                                 that it found none (isolation)
//! ```
//!
//! The loader writes only app flash; the regions lie after it, keyed by
//! each app's write id (its short id: a hash of its name, unsigned).

use super::build::Workshop;
use super::script::{self, Boot, Step};
use crate::areas::kernel::{self, board};
use crate::cmd;
use crate::context::Context;
use crate::qemu::free_tcp_port;
use anyhow::{ensure, Context as _, Result};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The filter word that selects this check.
pub const NAME: &str = "invs_persistence";

/// How long QEMU may take to open its serial socket.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the apps a live install starts may take to run to their exit.
const EXIT_TIMEOUT: Duration = Duration::from_secs(60);

/// A record of one app must never show in another's region.
const MARKERS: &[&str] = &[
    "FAIL",
    "invs_other build 1: sees record of invs_probe",
    "invs_probe build 2: sees record of invs_other",
    "faulted",
    "panicked",
    "Panic",
];

const FIRST: Boot = Boot {
    name: "invs_persistence first boot",
    apps: &["invs_probe"],
    lanes: &[(
        "invs_probe",
        &[
            Step::Text(&["invs probe invs_probe build 1: nothing stored\n"]),
            Step::Text(&[
                "invs probe invs_probe build 1: stored record of invs_probe build 1 after build 0\n",
            ]),
            Step::Text(&["process invs_probe exited with status 0"]),
        ],
    )],
    failure_markers: MARKERS,
    any_exit_status: false,
};

const REBOOTED: Boot = Boot {
    name: "invs_persistence after a reboot",
    apps: &["invs_probe"],
    lanes: &[(
        "invs_probe",
        &[
            Step::Text(&[
                "invs probe invs_probe build 1: sees record of invs_probe build 1 after build 0\n",
            ]),
            Step::Text(&["process invs_probe exited with status 0"]),
        ],
    )],
    failure_markers: MARKERS,
    any_exit_status: false,
};

/// Build 2 and invs_other each ran once during the live install.
const UPDATED: Boot = Boot {
    name: "invs_persistence after a live update",
    apps: &["invs_probe", "invs_other"],
    lanes: &[
        (
            "invs_probe",
            &[Step::Text(&[
                "invs probe invs_probe build 2: sees record of invs_probe build 2 after build 1\n",
            ])],
        ),
        (
            "invs_other",
            &[Step::Text(&[
                "invs probe invs_other build 1: sees record of invs_other build 1 after build 0\n",
            ])],
        ),
    ],
    failure_markers: MARKERS,
    any_exit_status: false,
};

/// Builds the probes and runs the four boots on `kernel`.
pub fn run(ctx: &Context, workshop: &Workshop, kernel: &Path) -> Result<()> {
    let source = ctx
        .workspace
        .join("xtask/src/areas/upstream/libtock_c/invs_probe");
    let build = |package: &str, build_name: &str, number: u32| {
        let variables = [format!("PROBE_BUILD={number}")];
        workshop.build_ours(&source, package, build_name, &variables)
    };
    let first = build("invs_probe", "invs_probe_build_1", 1)?;
    let second = build("invs_probe", "invs_probe_build_2", 2)?;
    let other = build("invs_other", "invs_other", 1)?;
    let flash = ctx
        .scratch_dir("upstream-libtock-c")?
        .join("invs_persistence.pflash");
    if flash.exists() {
        std::fs::remove_file(&flash).with_context(|| format!("removing {}", flash.display()))?;
    }
    let mut qemu = kernel::board_with_tabs(ctx, kernel, &flash, &[first])?.spawn()?;
    script::run(&mut qemu, &FIRST).context("first boot")?;
    drop(qemu);
    let mut qemu = board::board(&flash).spawn()?;
    script::run(&mut qemu, &REBOOTED).context("reboot")?;
    drop(qemu);
    install_live(ctx, &flash, &[&second, &other])
        .context("replacing invs_probe and adding invs_other live")?;
    let mut qemu = board::board(&flash).spawn()?;
    script::run(&mut qemu, &UPDATED).context("after the live update")
}

/// Boots `flash` with its serial line on TCP, installs `tabs` with
/// `loader install` into the running kernel, and stops QEMU once both new
/// apps have exited (`loader process list`).
fn install_live(ctx: &Context, flash: &Path, tabs: &[&Path]) -> Result<()> {
    let port = free_tcp_port()?;
    let qemu = board::board(flash).serial_tcp(port).spawn()?;
    // QEMU announces its listening socket on stderr.
    let deadline = Instant::now() + LISTEN_TIMEOUT;
    while !qemu.log().contains("waiting for connection") {
        ensure!(
            Instant::now() < deadline,
            "QEMU did not open its serial socket: {}",
            qemu.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    crate::areas::loader::wait_for_kernel(port)
        .with_context(|| format!("QEMU said: {}", qemu.log()))?;
    let loader = crate::tools::loader(ctx)?;
    let port = format!("tcp:127.0.0.1:{port}");
    cmd::run(
        Command::new(&loader)
            .arg("install")
            .args(tabs)
            .args(["--port", &port]),
    )?;
    let deadline = Instant::now() + EXIT_TIMEOUT;
    loop {
        let list = cmd::output(
            Command::new(&loader).args(["process", "list", "--json", "--port", &port]),
        )?;
        if ["invs_probe", "invs_other"]
            .iter()
            .all(|name| exited(&list, name))
        {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "the new apps did not both exit; processes: {list}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Whether `process list --json` output `list` shows `name` terminated.
fn exited(list: &str, name: &str) -> bool {
    let Ok(serde_json::Value::Array(processes)) = serde_json::from_str(list) else {
        return false;
    };
    processes
        .iter()
        .any(|process| process["name"] == name && process["state"] == "Terminated")
}
