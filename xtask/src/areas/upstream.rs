//! The upstream area: upstream Tock's own userspace, built as shipped from
//! `../shared/upstream/` (read-only, built out of tree under the target
//! directory), run on our emulated boards, with its output and exit asserted
//! like every other QEMU test. Nobody on this team wrote these apps: when one
//! fails here, our kernel or tooling is wrong until shown otherwise.
//!
//! - `libtock-rs` (`upstream/libtock_rs.rs`): upstream libtock-rs's examples,
//!   linked with its `LIBTOCK_LINKER_*` variables and packaged by upstream
//!   elf2tab, on qemu-rv32-virt and mps2-an386.
//! - `libtock-c` (`upstream/libtock_c.rs`): upstream libtock-c's examples and
//!   `examples/tests`, built with upstream's Makefiles over Debian's picolibc
//!   and our small glue object.
//!
//! A sub-filter (`upstream:libtock-rs`, `upstream:c_hello`) selects by name.
//! docs/compatibility.md lists every upstream app and its status.

mod libtock_c;
mod libtock_rs;

use super::Area;
use crate::context::Context;
use anyhow::{bail, ensure, Result};
use std::path::{Path, PathBuf};

/// Where the upstream snapshots live: `$TOCK_UPSTREAM_DIR` if set, else
/// `shared/upstream` beside the checkout (`<checkout>/../shared/upstream`).
pub(crate) fn snapshots(workspace: &Path) -> PathBuf {
    match std::env::var_os("TOCK_UPSTREAM_DIR") {
        Some(directory) => PathBuf::from(directory),
        None => workspace.join("../shared/upstream"),
    }
}

/// The snapshot `name` (`libtock-rs`, `libtock-c`), checked to hold
/// `marker`; the error says where it was looked for and how to point
/// elsewhere.
pub(crate) fn snapshot(workspace: &Path, name: &str, marker: &str) -> Result<PathBuf> {
    let path = snapshots(workspace).join(name);
    ensure!(
        path.join(marker).is_file(),
        "upstream {name} is missing at {} (the read-only upstream snapshots, \
         shared/upstream beside the checkout; set TOCK_UPSTREAM_DIR to their folder \
         if they are elsewhere)",
        path.display()
    );
    Ok(path)
}

/// The upstream area in the registry.
pub const AREA: Area = Area {
    name: "upstream",
    about: "upstream libtock-rs and libtock-c apps, built as shipped, run on both emulated boards",
    tests,
    bench: None,
    device_crates: &[],
};

/// Both halves run even when the first fails; the area fails if either did.
fn tests(ctx: &Context) -> Result<()> {
    let mut failures = Vec::new();
    for (name, run) in [
        (
            "libtock-rs",
            libtock_rs::tests as fn(&Context) -> Result<()>,
        ),
        ("libtock-c", libtock_c::tests),
    ] {
        if let Err(error) = run(ctx) {
            failures.push(format!("{name}: {error:#}"));
        }
    }
    if !failures.is_empty() {
        bail!("upstream apps failed:\n{}", failures.join("\n"));
    }
    Ok(())
}
