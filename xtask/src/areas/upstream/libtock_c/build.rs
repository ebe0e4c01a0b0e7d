//! Builds upstream libtock-c's apps as shipped, out of tree: upstream's own
//! Makefiles run in the read-only snapshot with every output redirected
//! under `target/upstream/libtock-c/` by make variables on the command line.
//!
//! ```text
//! target/upstream/libtock-c/
//!   newlib/riscv/riscv64-unknown-elf/{include,lib/rv32imac/ilp32/libc.a,libm.a}
//!                           symlinks to Debian's picolibc, in newlib's layout
//!   libcpp/riscv/...        empty libstdc++/libsupc++ archives, the real libgcc
//!   glue/rv32imac/upstream-glue.o   from libtock-c/upstream-glue/glue.c
//!   lib/{libtock,libtocksync}/      upstream's libraries, built once
//!   apps/<name>/<name>.tab          one TBF per qemu-rv32-virt slot
//! ```
//!
//! Upstream downloads its own newlib and libc++, which these machines cannot
//! reach; `NEWLIB_BASE_DIR_rv32`, `LIBCPP_BASE_DIR_rv32` and the glue object
//! stand in for them. Nothing else of upstream's build is changed.

use crate::cmd;
use crate::context::Context;
use anyhow::{bail, ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The RISC-V cross compiler upstream's Configuration.mk falls back to.
const RISCV_TOOLCHAIN: &str = "riscv64-unknown-elf";
/// Where Debian's picolibc for it lives.
const PICOLIBC: &str = "/usr/lib/picolibc/riscv64-unknown-elf";
/// The multilib directory of the rv32imac/ilp32 libraries.
const MULTILIB: &str = "rv32imac/ilp32";
/// The Arm cross compiler and Debian's picolibc for it (Cortex-M4 only:
/// the mps2-an386 check builds c_hello alone, see `mps2.rs`).
const ARM_TOOLCHAIN: &str = "arm-none-eabi";
const ARM_PICOLIBC: &str = "/usr/lib/picolibc/arm-none-eabi";
const ARM_MULTILIB: &str = "thumb/v7e-m/nofp";
/// Bytes of the glue's thread-local block (`THREAD_LOCAL_BYTES` in glue.c).
const THREAD_LOCAL_BYTES: u64 = 512;

/// qemu-rv32-virt's app slots as upstream `TOCK_TARGETS` entries
/// (`arch|output name|flash|ram`): 64 KiB of flash from 0x2004_0000 and
/// 64 KiB of RAM from 0x8001_0000 each, the binary 0x80 after the slot
/// start (docs/boards/qemu-rv32-virt.md). A TAB holds all four, so an app
/// can run in any slot; the board harness picks the next free one.
pub const SLOTS: usize = 4;

fn tock_targets() -> String {
    (0..SLOTS as u64)
        .map(|slot| {
            let flash = 0x2004_0080 + slot * 0x1_0000;
            let ram = 0x8001_0000 + slot * 0x1_0000;
            format!("rv32imac|rv32imac.{flash:#010x}.{ram:#010x}|{flash:#010x}|{ram:#010x}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One upstream app: its name in our tests and its folder in the snapshot.
pub struct UpstreamApp {
    pub name: &'static str,
    pub directory: &'static str,
}

const fn app(name: &'static str, directory: &'static str) -> UpstreamApp {
    UpstreamApp { name, directory }
}

/// Every upstream app the area builds.
pub const APPS: &[UpstreamApp] = &[
    app("c_hello", "examples/c_hello"),
    app("blink", "examples/blink"),
    app("buttons", "examples/buttons"),
    app("cxx_hello", "examples/cxx_hello"),
    app("rot13_service", "examples/rot13_service"),
    app("rot13_client", "examples/rot13_client"),
    app(
        "unit_test_supervisor",
        "examples/services/unit_test_supervisor",
    ),
    app(
        "alarm_in_overflow",
        "examples/tests/alarms/alarm_in_overflow",
    ),
    app(
        "multi_alarm_dont_ignore_previous_overflow",
        "examples/tests/alarms/multi_alarm_dont_ignore_previous_overflow",
    ),
    app(
        "multi_alarm_simple_overflow_test",
        "examples/tests/alarms/multi_alarm_simple_overflow_test",
    ),
    app(
        "multi_alarm_simple_test",
        "examples/tests/alarms/multi_alarm_simple_test",
    ),
    app("multi_alarm_test", "examples/tests/alarms/multi_alarm_test"),
    app("console", "examples/tests/console/console"),
    app(
        "console_recv_long",
        "examples/tests/console/console_recv_long",
    ),
    app(
        "console_recv_short",
        "examples/tests/console/console_recv_short",
    ),
    app("console_timeout", "examples/tests/console/console_timeout"),
    app("mpu_walk_region", "examples/tests/mpu/mpu_walk_region"),
    app("kv_unit_tests", "examples/tests/kv/kv_unit_tests"),
    app("kv_check", "examples/tests/kv/kv_check"),
    app("exit", "examples/tests/exit"),
    app("fault", "examples/tests/fault"),
    app("restart", "examples/tests/restart"),
    app("malloc_test01", "examples/tests/malloc_test01"),
    app("malloc_test02", "examples/tests/malloc_test02"),
    app("stack_size_test01", "examples/tests/stack_size_test01"),
    app("stack_size_test02", "examples/tests/stack_size_test02"),
    app("rng", "examples/tests/rng"),
    app("yield", "examples/tests/yield"),
    app(
        "yield_for_with_timeout_test",
        "examples/tests/yield_for_with_timeout_test",
    ),
    app(
        "callback_remove_test01",
        "examples/tests/callback_remove_test01",
    ),
    app("app_state", "examples/tests/app_state"),
    app("crash_dummy", "examples/tests/crash_dummy"),
    app("whileone", "examples/tests/whileone"),
    app("sha", "examples/tests/sha"),
    app("hmac", "examples/tests/hmac"),
    app("aes", "examples/tests/aes"),
    app("keyboard_hid", "examples/tests/keyboard_hid"),
    app("bare_bones", "examples/tests/bare_bones"),
    app("button_print", "examples/tests/button_print"),
    app(
        "crash_immediately_syscall",
        "examples/tests/crash_immediately_syscall",
    ),
    app("hello_loop", "examples/tests/hello_loop"),
    app("led-odd", "examples/tests/led/led-odd"),
    app("printf_long", "examples/tests/printf_long"),
    app("number_guess_game", "examples/tests/number_guess_game"),
    app("register-debug", "examples/tests/register-debug"),
    app("zero_memory_checker", "examples/tests/zero_memory_checker"),
    app(
        "writeable_flash_regions",
        "examples/tests/writeable_flash_regions",
    ),
    app("rtc", "examples/tests/rtc"),
    app("usb", "examples/tests/usb"),
    app("gpio_async", "examples/tests/gpio_async"),
    app("gpio_interrupt", "examples/tests/gpio/gpio_interrupt"),
    app(
        "gpio_loopback_test",
        "examples/tests/gpio/gpio_loopback_test",
    ),
    app("gpio_original", "examples/tests/gpio/gpio_original"),
    app("gpio_sync", "examples/tests/gpio/gpio_sync"),
    app("mpu_no_libc", "examples/tests/mpu/mpu_no_libc"),
    app("mpu_flash_end", "examples/tests/mpu/unit/mpu_flash_end"),
    app("mpu_flash_start", "examples/tests/mpu/unit/mpu_flash_start"),
    app("mpu_grant_start", "examples/tests/mpu/unit/mpu_grant_start"),
    app("mpu_heap_end", "examples/tests/mpu/unit/mpu_heap_end"),
    app("mpu_ram_end", "examples/tests/mpu/unit/mpu_ram_end"),
    app(
        "mpu_stack_growth",
        "examples/tests/mpu/unit/mpu_stack_growth",
    ),
    app("kv_interactive", "examples/tests/kv/kv_interactive"),
    app("kv_system", "examples/tests/kv/kv_system"),
    app(
        "kv_no_modify",
        "examples/tests/kv/kv_permissions/kv_no_modify",
    ),
    app("kv_no_read", "examples/tests/kv/kv_permissions/kv_no_read"),
    app(
        "kv_no_write",
        "examples/tests/kv/kv_permissions/kv_no_write",
    ),
    app("eui64", "examples/tests/eui64"),
    app("crc", "examples/tests/crc"),
    app("hifive1b", "examples/tests/hifive1b"),
    app(
        "invs_single",
        "examples/tests/isolated_nonvolatile_storage/invs_single",
    ),
    app(
        "invs_read_write",
        "examples/tests/isolated_nonvolatile_storage/invs_read_write",
    ),
    app(
        "invs_no_permission",
        "examples/tests/isolated_nonvolatile_storage/invs_no_permission",
    ),
];

/// One architecture family as upstream's Configuration.mk sees it: where
/// its newlib and libc++ downloads would be, and Debian's files instead.
struct Family {
    /// The family's suffix in make variables (`NEWLIB_BASE_DIR_rv32`).
    variable_suffix: &'static str,
    /// The folder under the newlib and libc++ roots (`riscv`, `arm`).
    folder: &'static str,
    /// The compiler triple (also the folder inside it).
    toolchain: &'static str,
    picolibc: &'static str,
    multilib: &'static str,
    /// Flags that select the multilib when asking gcc for its libgcc.
    cpu_flags: &'static [&'static str],
}

const RISCV: Family = Family {
    variable_suffix: "rv32",
    folder: "riscv",
    toolchain: RISCV_TOOLCHAIN,
    picolibc: PICOLIBC,
    multilib: MULTILIB,
    cpu_flags: &["-march=rv32imac", "-mabi=ilp32"],
};

const ARM: Family = Family {
    variable_suffix: "cortex-m",
    folder: "arm",
    toolchain: ARM_TOOLCHAIN,
    picolibc: ARM_PICOLIBC,
    multilib: ARM_MULTILIB,
    cpu_flags: &["-mthumb", "-mcpu=cortex-m4", "-mfloat-abi=soft"],
};

/// Where everything of one build lives, prepared once.
pub struct Workshop {
    /// The read-only upstream snapshot.
    upstream: PathBuf,
    /// `target/upstream/libtock-c`.
    output: PathBuf,
    glue: PathBuf,
    elf2tab: PathBuf,
}

/// `<toolchain>-gcc -dumpfullversion`, or a message saying to run setup.
fn compiler_version(toolchain: &str) -> Result<String> {
    let version = cmd::output(Command::new(format!("{toolchain}-gcc")).arg("-dumpfullversion"))
        .with_context(|| format!("{toolchain}-gcc is missing: run `cargo xtask setup`"))?;
    Ok(version.trim().to_owned())
}

/// Checks the tools, lays out picolibc as newlib and compiles the glue.
pub fn prepare(ctx: &Context) -> Result<Workshop> {
    let upstream = crate::areas::upstream::snapshot(&ctx.workspace, "libtock-c", "AppMakefile.mk")?;
    let upstream = upstream
        .canonicalize()
        .with_context(|| format!("resolving {}", upstream.display()))?;
    let elf2tab = crate::tools::elf2tab_path()?;
    ensure!(
        elf2tab.is_file(),
        "upstream elf2tab is missing at {}: run `cargo xtask setup`",
        elf2tab.display()
    );
    let output = ctx.target_dir.join("upstream").join("libtock-c");
    let workshop = Workshop {
        upstream,
        glue: output.join("glue").join("rv32imac").join("upstream-glue.o"),
        output,
        elf2tab,
    };
    compile_glue(ctx, &workshop)?;
    Ok(workshop)
}

fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).with_context(|| format!("creating {}", path.display()))
}

/// A symlink at `link` to `target`, replacing whatever is there.
fn symlink(target: &Path, link: &Path) -> Result<()> {
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(link).with_context(|| format!("removing {}", link.display()))?;
    }
    std::os::unix::fs::symlink(target, link)
        .with_context(|| format!("linking {} to {}", link.display(), target.display()))
}

/// The paths upstream's Configuration.mk reads for `family`, made of
/// Debian's files: picolibc's headers and libraries as newlib's, libgcc
/// where the libc++ download keeps it, and empty C++ libraries (Debian has
/// none for RISC-V). Returns the make variables naming them.
fn lay_out_picolibc_as_newlib(workshop: &Workshop, family: &Family) -> Result<Vec<String>> {
    let picolibc = Path::new(family.picolibc);
    ensure!(
        picolibc
            .join("lib")
            .join(family.multilib)
            .join("libc.a")
            .is_file(),
        "Debian's picolibc is missing under {}: run `cargo xtask setup`",
        family.picolibc
    );
    let version = compiler_version(family.toolchain)?;
    let newlib_root = workshop.output.join("newlib");
    let newlib = newlib_root.join(family.folder).join(family.toolchain);
    create_dir(&newlib.join("lib").join(family.multilib))?;
    symlink(&picolibc.join("include"), &newlib.join("include"))?;
    for library in ["libc.a", "libm.a"] {
        let lib = |root: &Path| root.join("lib").join(family.multilib).join(library);
        symlink(&lib(picolibc), &lib(&newlib))?;
    }
    let libcpp_root = workshop.output.join("libcpp");
    let libcpp = libcpp_root.join(family.folder);
    let cpp_libraries = libcpp
        .join(family.toolchain)
        .join("lib")
        .join(family.multilib);
    create_dir(&cpp_libraries)?;
    for library in ["libstdc++.a", "libsupc++.a"] {
        let archive = cpp_libraries.join(library);
        if !archive.is_file() {
            // `ar rc` with no members writes an empty archive.
            let mut ar = Command::new(format!("{}-ar", family.toolchain));
            cmd::output(ar.arg("rc").arg(&archive))?;
        }
    }
    let mut gcc = Command::new(format!("{}-gcc", family.toolchain));
    let libgcc = cmd::output(gcc.args(family.cpu_flags).arg("-print-libgcc-file-name"))?;
    let gcc_libraries = libcpp
        .join("lib/gcc")
        .join(family.toolchain)
        .join(&version)
        .join(family.multilib);
    create_dir(&gcc_libraries)?;
    symlink(Path::new(libgcc.trim()), &gcc_libraries.join("libgcc.a"))?;
    let suffix = family.variable_suffix;
    Ok(vec![
        format!("NEWLIB_BASE_DIR_{suffix}={}", newlib_root.display()),
        format!("LIBCPP_BASE_DIR_{suffix}={}", libcpp_root.display()),
        format!("LIBCPP_VERSION_{suffix}={version}"),
    ])
}

fn compile_glue(ctx: &Context, workshop: &Workshop) -> Result<()> {
    let source = ctx.workspace.join("libtock-c/upstream-glue/glue.c");
    let folder = workshop
        .glue
        .parent()
        .context("the glue object has no folder")?;
    create_dir(folder)?;
    let mut compile = Command::new(format!("{RISCV_TOOLCHAIN}-gcc"));
    compile
        .args(["-march=rv32imac", "-mabi=ilp32", "-mcmodel=medlow", "-Os"])
        .args(["-ffunction-sections", "-fdata-sections"])
        .args(["-Wall", "-Wextra", "-Werror"])
        .arg("-isystem")
        .arg(Path::new(PICOLIBC).join("include"))
        .arg("-c")
        .arg(&source)
        .arg("-o")
        .arg(&workshop.glue);
    cmd::output(&mut compile).map(|_| ())
}

impl Workshop {
    /// The read-only upstream snapshot.
    pub fn upstream(&self) -> &Path {
        &self.upstream
    }

    /// Builds `app` for qemu-rv32-virt's four slots, linked with picolibc
    /// and the glue; returns the TAB after checking each image.
    pub fn build(&self, app: &UpstreamApp) -> Result<PathBuf> {
        let variables = self.riscv_variables()?;
        let build_dir = self.output.join("apps").join(app.name);
        let directory = self.upstream.join(app.directory);
        let tab = self.make(
            &directory,
            &package_name(self, app)?,
            &build_dir,
            &variables,
        )?;
        self.check_images(&build_dir)?;
        Ok(tab)
    }

    /// Builds the app of ours in `directory` (written for upstream's
    /// AppMakefile) as `package` with the extra make `variables`, like
    /// [`Self::build`]; the output goes under `apps/<build_name>`.
    pub fn build_ours(
        &self,
        directory: &Path,
        package: &str,
        build_name: &str,
        variables: &[String],
    ) -> Result<PathBuf> {
        let mut all = self.riscv_variables()?;
        all.push(format!("PACKAGE_NAME={package}"));
        all.extend(variables.iter().cloned());
        let build_dir = self.output.join("apps").join(build_name);
        let tab = self.make(directory, package, &build_dir, &all)?;
        self.check_images(&build_dir)?;
        Ok(tab)
    }

    /// The make variables of a qemu-rv32-virt build.
    fn riscv_variables(&self) -> Result<Vec<String>> {
        let mut variables = lay_out_picolibc_as_newlib(self, &RISCV)?;
        variables.extend([
            format!("TOCK_TARGETS={}", tock_targets()),
            // Configuration.mk appends picolibc's libc and libm to these.
            format!("SYSTEM_LIBS_rv32imac={}", self.glue.display()),
            "WLFLAGS=-Wl,--wrap=main".to_owned(),
        ]);
        Ok(variables)
    }

    /// Checks every ELF the build left in `build_dir`.
    fn check_images(&self, build_dir: &Path) -> Result<()> {
        for entry in std::fs::read_dir(build_dir.join("rv32imac"))? {
            let path = entry?.path();
            if path.extension().is_some_and(|extension| extension == "elf") {
                check_thread_locals(&path)?;
            }
        }
        Ok(())
    }

    /// Builds `app` for upstream's default Cortex-M4 target: position
    /// independent (r9), linked with Debian's picolibc and no glue (see
    /// `mps2.rs` for what that allows).
    pub fn build_cortex_m4(&self, app: &UpstreamApp) -> Result<PathBuf> {
        let mut variables = lay_out_picolibc_as_newlib(self, &ARM)?;
        variables.push("TOCK_TARGETS=cortex-m4".to_owned());
        let build_dir = self.output.join("apps-cortex-m4").join(app.name);
        let directory = self.upstream.join(app.directory);
        self.make(
            &directory,
            &package_name(self, app)?,
            &build_dir,
            &variables,
        )
    }

    /// `make` in the app's folder `directory` with every output under the
    /// target directory (`build_dir` for the app, `lib/` for the shared
    /// libraries) and `variables` added; returns the TAB `<package>.tab`.
    fn make(
        &self,
        directory: &Path,
        package: &str,
        build_dir: &Path,
        variables: &[String],
    ) -> Result<PathBuf> {
        let libraries = self.output.join("lib");
        let mut make = Command::new("make");
        make.arg("-C")
            .arg(directory)
            .arg("-j2")
            // Absolute, so the shared libraries' dependency files name the
            // same sources from every app's folder depth.
            .arg(format!(
                "TOCK_USERLAND_BASE_DIR={}",
                self.upstream.display()
            ))
            .arg(format!("BUILDDIR={}", build_dir.display()))
            .arg(format!(
                "libtock_BUILDDIR={}",
                libraries.join("libtock").display()
            ))
            .arg(format!(
                "libtocksync_BUILDDIR={}",
                libraries.join("libtocksync").display()
            ))
            .arg(format!("ELF2TAB={}", self.elf2tab.display()))
            .args(variables);
        cmd::output(&mut make).with_context(|| format!("building {}", directory.display()))?;
        let tab = build_dir.join(format!("{package}.tab"));
        ensure!(tab.is_file(), "make did not write {}", tab.display());
        Ok(tab)
    }
}

/// The TAB's name: upstream's PACKAGE_NAME (set in some Makefiles, else
/// the folder's name).
fn package_name(workshop: &Workshop, app: &UpstreamApp) -> Result<String> {
    let makefile = workshop.upstream.join(app.directory).join("Makefile");
    let text = std::fs::read_to_string(&makefile)
        .with_context(|| format!("reading {}", makefile.display()))?;
    let assigned = text.lines().find_map(|line| {
        let (name, value) = line.split_once('=')?;
        (name.trim_end_matches([':', ' ']) == "PACKAGE_NAME")
            .then(|| value.trim().trim_matches('"'))
    });
    let folder = Path::new(app.directory)
        .file_name()
        .and_then(|name| name.to_str())
        .context("an app folder has no name")?;
    Ok(assigned.unwrap_or(folder).to_owned())
}

/// The glue gives picolibc a zeroed thread-local block: the linked app must
/// have no initialised thread-locals (they would start as zero) and need
/// no more than the block holds.
fn check_thread_locals(elf: &Path) -> Result<()> {
    let headers = cmd::output(
        Command::new(format!("{RISCV_TOOLCHAIN}-readelf"))
            .arg("-lW")
            .arg(elf),
    )?;
    let Some(line) = headers
        .lines()
        .find(|line| line.trim_start().starts_with("TLS "))
    else {
        return Ok(());
    };
    // Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg Align
    let fields: Vec<&str> = line.split_whitespace().collect();
    let number = |index: usize| -> Result<u64> {
        let text = fields.get(index).context("short TLS program header")?;
        Ok(u64::from_str_radix(text.trim_start_matches("0x"), 16)?)
    };
    let (initialised, size) = (number(4)?, number(5)?);
    if initialised != 0 || size > THREAD_LOCAL_BYTES {
        bail!(
            "{}: thread-locals of {size} bytes, {initialised} of them initialised; the glue \
             offers {THREAD_LOCAL_BYTES} zeroed bytes (libtock-c/upstream-glue/glue.c)",
            elf.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_upstream_four_field_entries_one_per_slot() {
        let targets = tock_targets();
        let entries: Vec<&str> = targets.split(' ').collect();
        assert_eq!(entries.len(), SLOTS);
        assert_eq!(
            entries[0],
            "rv32imac|rv32imac.0x20040080.0x80010000|0x20040080|0x80010000"
        );
        assert_eq!(
            entries[3],
            "rv32imac|rv32imac.0x20070080.0x80040000|0x20070080|0x80040000"
        );
    }
}
