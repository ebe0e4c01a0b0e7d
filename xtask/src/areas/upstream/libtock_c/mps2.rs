//! Upstream c_hello on mps2-an386 (Cortex-M4), built for upstream's
//! default `cortex-m4` target: position independent, r9 pointing at the
//! GOT in RAM, placed at the board's first app address and relocated by
//! upstream's own crt0.
//!
//! Only c_hello: upstream builds every Cortex-M app with
//! `-msingle-pic-base -mpic-register=r9`, and its newlib download is built
//! the same way. Debian's picolibc (and newlib) for Arm is not, so any
//! libc code that addresses its own data (printf's `stdout`, malloc's
//! heap state, errno) uses link-time absolute addresses, which do not
//! exist after relocation. c_hello calls only strlen, memcpy and memset
//! (no data of their own) and exit (whose data is empty here), so it runs;
//! the other apps would need an r9-PIC libc (FACTS.md, docs/libtock-c.md).

use super::build::{Workshop, APPS};
use super::script::{self, Boot, Step};
use crate::areas::cortex_m::image;
use crate::context::Context;
use anyhow::{Context as _, Result};

/// What c_hello must do there.
const C_HELLO: Boot = Boot {
    name: "c_hello_on_mps2_an386",
    apps: &["c_hello"],
    lanes: &[(
        "c_hello",
        &[
            Step::Text(&["Hello World!\r\n"]),
            Step::Text(&["[kernel] process c_hello exited with status 0"]),
        ],
    )],
    failure_markers: script::FAILURE_MARKERS,
    any_exit_status: false,
};

/// Builds c_hello for Cortex-M4, writes its image at the board's app
/// address (a one-app TBF chain) and boots mps2-an386.
pub fn c_hello(ctx: &Context, workshop: &Workshop) -> Result<()> {
    let app = APPS
        .iter()
        .find(|app| app.name == "c_hello")
        .context("c_hello is not in the app list")?;
    let tab = workshop.build_cortex_m4(app)?;
    let unpacked = crate::areas::kernel::unpack_tab(ctx, "upstream-libtock-c-mps2", &tab)?;
    let tbf_path = unpacked.join("cortex-m4.tbf");
    let tbf = std::fs::read(&tbf_path)
        .with_context(|| format!("reading {} from {}", tbf_path.display(), tab.display()))?;
    let apps = ctx
        .scratch_dir("upstream-libtock-c")?
        .join("mps2-an386-apps.bin");
    // Erased bytes after the image end the chain.
    let mut bytes = tbf;
    bytes.resize(bytes.len() + 0x1000, 0xFF);
    std::fs::write(&apps, bytes).with_context(|| format!("writing {}", apps.display()))?;
    let kernel = image::build_kernel(ctx)?;
    let mut qemu = image::board(&kernel, Some(&apps)).spawn()?;
    script::run(&mut qemu, &C_HELLO)
}
