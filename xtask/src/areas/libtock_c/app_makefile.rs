//! The app Makefile's promises, checked the way a developer meets them, on
//! a throw-away app made outside the checkout: an app too big for its slot
//! fails to build naming the region; `APP_VERSION` and `SIGNING_KEY` reach
//! the TBF (the image verifies with the key's public half); the libraries
//! build under the app's build folder, never inside `libtock-c/`.

use crate::cmd;
use crate::context::Context;
use anyhow::{ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One RISC-V slot, so each check links once.
const ONE_TARGET: &str = "TOCK_TARGETS=rv32imac|0x20040080|0x80010000";

/// An app directory `name` under the scratch directory holding `main_c`
/// and a Makefile that includes ours by its absolute path.
fn make_app(ctx: &Context, name: &str, main_c: &str) -> Result<PathBuf> {
    let directory = ctx.scratch_dir("libtock-c-makefile")?.join(name);
    if directory.exists() {
        std::fs::remove_dir_all(&directory)
            .with_context(|| format!("removing {}", directory.display()))?;
    }
    std::fs::create_dir_all(&directory)?;
    std::fs::write(directory.join("main.c"), main_c)?;
    let makefile = format!(
        "SOURCES := main.c\ninclude {}\n",
        ctx.workspace.join("libtock-c/AppMakefile.mk").display()
    );
    std::fs::write(directory.join("Makefile"), makefile)?;
    Ok(directory)
}

fn make(directory: &Path, tbf: &Path, extra: &[String]) -> Command {
    let mut make = Command::new("make");
    make.arg("-C")
        .arg(directory)
        .args(["WERROR=1", "PACKAGER=tbf", ONE_TARGET])
        .arg(format!("TBF={}", tbf.display()))
        .args(extra);
    make
}

/// A binary bigger than its 64 KiB slot stops the build at link time, with
/// the linker naming the overflowing region.
pub fn an_app_bigger_than_its_slot_fails_to_build(ctx: &Context, tbf: &Path) -> Result<()> {
    let directory = make_app(
        ctx,
        "too_big",
        "#include <stdio.h>\nconst unsigned char filler[70000] = {1};\n\
         volatile int which = 3;\n\
         int main(void) { printf(\"%d\\n\", filler[which]); return 0; }\n",
    )?;
    let output = make(&directory, tbf, &[])
        .output()
        .context("running make (is it installed?)")?;
    let text = String::from_utf8_lossy(&output.stderr);
    ensure!(
        !output.status.success() && text.contains("region `FLASH' overflowed"),
        "an app 70,000 bytes big built for a 64 KiB slot (exit {}):\n{text}",
        output.status
    );
    Ok(())
}

/// `make APP_VERSION=7 SIGNING_KEY=key.pem` gives version-7 images signed
/// by that key; the libraries land in the app's build folder.
pub fn version_and_signing_key_reach_the_image(ctx: &Context, tbf: &Path) -> Result<()> {
    let directory = make_app(
        ctx,
        "versioned",
        "#include <stdio.h>\nint main(void) { printf(\"hi\\n\"); return 0; }\n",
    )?;
    let key = directory.join("key");
    cmd::output(
        Command::new(tbf)
            .args(["keygen", "--force", "-o"])
            .arg(&key),
    )?;
    let settings = [
        "APP_VERSION=7".to_string(),
        format!("SIGNING_KEY={}", key.with_extension("pem").display()),
    ];
    cmd::output(&mut make(&directory, tbf, &settings))?;
    let tab = directory.join("build/versioned.tab");
    let inspected = cmd::output(Command::new(tbf).arg("inspect").arg(&tab))?;
    ensure!(
        inspected.contains("app_version: 7"),
        "the image does not carry APP_VERSION=7:\n{inspected}"
    );
    cmd::output(
        Command::new(tbf)
            .arg("verify")
            .arg("--key")
            .arg(key.with_extension("pub"))
            .arg(&tab),
    )
    .context("the image does not verify with SIGNING_KEY's public key")?;
    ensure!(
        directory
            .join("build/libtock-c/rv32imac/libtock.a")
            .is_file(),
        "the libraries were not built under the app's build folder"
    );
    Ok(())
}
