//! An app developer's first day, as they meet it: `cargo xtask new-app`
//! makes a Rust app and a C app in a temporary directory outside the
//! checkout; in each, `make` builds, packages, signs and verifies, `make
//! board` boots qemu-rv32-virt built with the app's key and its serial
//! line on TCP (`cargo xtask qemu --serial tcp:PORT`), `make install`
//! installs the app live and `make listen` shows its output. A third test
//! boots the board with `--serial pty` and reaches it with the loader.

use super::Area;
use crate::cmd;
use crate::context::Context;
use anyhow::{bail, ensure, Context as _, Result};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The new-app area in the registry.
pub const AREA: Area = Area {
    name: "new-app",
    about: "cargo xtask new-app (Rust, C) outside the tree: built, signed, installed live; qemu --serial",
    tests,
    bench: None,
    device_crates: &[],
};

/// Long enough to build the kernel and boot it.
const BOARD_TIMEOUT: Duration = Duration::from_secs(300);
/// Long enough for an app's three one-second counts after its install.
const OUTPUT_TIMEOUT: Duration = Duration::from_secs(15);
/// What `cargo xtask qemu --serial` prints once the board is reachable.
const BOARD_READY: &str = "Stop the board with Ctrl-C";

type Test = (&'static str, fn(&Context, &Path) -> Result<()>);

const TESTS: &[Test] = &[
    ("rust", |ctx, directory| {
        first_app(ctx, directory, "first_rust", "rust")
    }),
    ("c", |ctx, directory| {
        first_app(ctx, directory, "first_c", "c")
    }),
    ("serial-pty", board_on_a_pty_serves_the_loader),
    ("run", run_ends_with_the_app_running_and_next_steps),
];

/// A temporary directory outside the checkout, removed when dropped.
struct OutsideDirectory(PathBuf);

impl Drop for OutsideDirectory {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every test (`new-app:rust`, `new-app:c`, `new-app:serial-pty` select).
pub fn tests(ctx: &Context) -> Result<()> {
    let filter = ctx.filter.as_deref();
    let selected: Vec<&Test> = TESTS
        .iter()
        .filter(|(name, _)| filter.is_none_or(|filter| name.contains(filter)))
        .collect();
    ensure!(!selected.is_empty(), "no new-app test matches {filter:?}");
    let outside =
        OutsideDirectory(std::env::temp_dir().join(format!("tock-new-app-{}", std::process::id())));
    std::fs::create_dir_all(&outside.0)
        .with_context(|| format!("creating {}", outside.0.display()))?;
    let mut failed = Vec::new();
    for (name, test) in selected {
        match test(ctx, &outside.0) {
            Ok(()) => println!("new-app: {name} ... ok"),
            Err(error) => {
                println!("new-app: {name} ... FAILED\n{error:#}");
                failed.push(*name);
            }
        }
    }
    ensure!(
        failed.is_empty(),
        "new-app tests failed: {}",
        failed.join(", ")
    );
    Ok(())
}

/// The whole first day for one language, through the app's own Makefile.
fn first_app(ctx: &Context, directory: &Path, name: &str, language: &str) -> Result<()> {
    let app = make_and_build(ctx, directory, name, language)?;
    let port = format!("tcp:127.0.0.1:{}", crate::qemu::free_tcp_port()?);
    let mut board = app_make(ctx, &app)?;
    board.args(["board", &format!("PORT={port}")]);
    let mut board = Background::start(board, "`make board`")?;
    board.wait_for(BOARD_READY, BOARD_TIMEOUT)?;
    ensure!(
        board.output().contains(&format!("serial line is {port}")),
        "`make board` did not say where its serial line is: {}",
        board.output()
    );
    install_and_see_output(ctx, &app, (name, language), &port).map(drop)
}

/// Where `cargo xtask run` makes its app: outside the checkout, replaced
/// on every run, kept afterwards for the developer to continue with.
fn run_directory() -> PathBuf {
    std::env::temp_dir().join("tock-xtask-run")
}

/// The last step of `cargo xtask run`: a developer's own app, made with
/// `new-app`, signed with its own key and installed live on a board that
/// runs only apps signed with it; then what to do next.
pub fn run_demo(ctx: &Context) -> Result<()> {
    let directory = run_directory();
    if directory.exists() {
        std::fs::remove_dir_all(&directory)
            .with_context(|| format!("removing the last run's {}", directory.display()))?;
    }
    std::fs::create_dir_all(&directory)
        .with_context(|| format!("creating {}", directory.display()))?;
    let name = "my_first_app";
    println!(
        "$ cargo xtask new-app {name} --lang rust --dir {}",
        directory.display()
    );
    let app = make_and_build(ctx, &directory, name, "rust")?;
    println!(
        "$ make    # in {}: built, packaged, signed with keys/developer, verified",
        app.display()
    );
    let port = format!("tcp:127.0.0.1:{}", crate::qemu::free_tcp_port()?);
    println!("$ make board PORT={port}    # qemu-rv32-virt running only apps signed with keys/developer.pub");
    let mut board = app_make(ctx, &app)?;
    board.args(["board", &format!("PORT={port}")]);
    let mut board = Background::start(board, "`make board`")?;
    board.wait_for(BOARD_READY, BOARD_TIMEOUT)?;
    println!("$ make install PORT={port}; make listen PORT={port}");
    let heard = install_and_see_output(ctx, &app, (name, "rust"), &port)?;
    for line in heard.lines().filter(|line| !line.starts_with('/')) {
        println!("  | {line}");
    }
    drop(board);
    println!(
        "\nThe board is stopped; {app} is yours. Next:\n  \
         cd {app}\n  \
         make board PORT=tcp:127.0.0.1:4444      # terminal 1: the board (Ctrl-C stops it)\n  \
         make install PORT=tcp:127.0.0.1:4444    # terminal 2: after editing src/main.rs\n  \
         make listen PORT=tcp:127.0.0.1:4444     # its console\n\n\
         Read docs/getting-started.md (this story step by step), docs/libtock-rs.md (the \
         Rust API), docs/signing.md (keys and policies), docs/loader.md (every loader verb).",
        app = app.display()
    );
    Ok(())
}

/// `cargo xtask new-app NAME --lang LANGUAGE --dir DIRECTORY`, then `make`
/// in the new app; returns the app's directory.
fn make_and_build(ctx: &Context, directory: &Path, name: &str, language: &str) -> Result<PathBuf> {
    let mut new_app = ctx.xtask_command()?;
    new_app
        .args(["new-app", name, "--lang", language, "--dir"])
        .arg(directory);
    let said = cmd::output(&mut new_app).context("cargo xtask new-app")?;
    let app = directory.join(name);
    ensure!(
        said.contains("make install"),
        "new-app gave no next steps: {said}"
    );
    let mut make = app_make(ctx, &app)?;
    let built =
        cmd::output(&mut make).with_context(|| format!("`make` in the new {language} app"))?;
    ensure!(
        built.contains(": OK"),
        "`make` did not verify the signed app: {built}"
    );
    let tab = app.join("build").join(format!("{name}.tab"));
    ensure!(tab.is_file(), "`make` wrote no {}", tab.display());
    Ok(app)
}

/// `make` in `app`, as a developer runs it, its cargo output cached under
/// the target directory (apps outside the tree build into their own).
fn app_make(ctx: &Context, app: &Path) -> Result<Command> {
    let mut make = Command::new("make");
    make.current_dir(app).env(
        "CARGO_TARGET_DIR",
        ctx.scratch_dir("new-app")?.join("app-target"),
    );
    Ok(make)
}

/// `make install PORT=...` in `app`, then `make listen PORT=...` until the
/// app's last line (and, in Rust, its exit) show on the console. Its
/// greeting comes while the loader is still finishing the install or
/// before `listen` connects, so only the later lines are certain.
fn install_and_see_output(
    ctx: &Context,
    app: &Path,
    (name, language): (&str, &str),
    port: &str,
) -> Result<String> {
    let mut install = app_make(ctx, app)?;
    install.args(["install", &format!("PORT={port}")]);
    // The loader prints the device's console during the install on stderr.
    let output = install.output().context("running `make install`")?;
    let installed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    ensure!(
        output.status.success(),
        "`make install` failed:\n{installed}"
    );
    let mut wanted = vec![format!("{name}: 3 s")];
    if language == "rust" {
        // libtock-rs exits when main returns; a libtock-c app keeps
        // yielding for callbacks (as upstream's crt0 does).
        wanted.push(format!("process {name} exited with status 0"));
    }
    let mut listen = app_make(ctx, app)?;
    listen.args(["listen", &format!("PORT={port}")]);
    let listen = Background::start(listen, "`make listen`")?;
    let deadline = Instant::now() + OUTPUT_TIMEOUT;
    while !wanted
        .iter()
        .all(|line| listen.output().contains(line.as_str()))
    {
        if Instant::now() >= deadline {
            bail!(
                "after `make install` (which said:\n{installed}) `make listen` did not show \
                 {wanted:?}; it printed:\n{}",
                listen.output()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(listen.output())
}

/// `cargo xtask qemu --board qemu-rv32-virt --serial pty` names its pty,
/// and the loader reaches the running kernel through it.
fn board_on_a_pty_serves_the_loader(ctx: &Context, _: &Path) -> Result<()> {
    let mut qemu = ctx.xtask_command()?;
    qemu.args(["qemu", "--board", "qemu-rv32-virt", "--serial", "pty"]);
    let mut board = Background::start(qemu, "`cargo xtask qemu --serial pty`")?;
    board.wait_for(BOARD_READY, BOARD_TIMEOUT)?;
    let said = board.output();
    let pty = said
        .split("serial line is ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .with_context(|| format!("no pty named in: {said}"))?
        .to_string();
    let mut list = Command::new(crate::tools::loader(ctx)?);
    list.args(["process", "list", "--port", &pty]);
    let listed = cmd::output(&mut list).context("`loader process list` over the pty")?;
    ensure!(
        listed.contains("name") && listed.contains("state"),
        "`loader process list` over {pty} printed no table: {listed}"
    );
    Ok(())
}

/// `cargo xtask run` (the main job) succeeds, installs the signed app it
/// made live and shows its output, and ends on whole lines with the next
/// steps and the docs to read.
fn run_ends_with_the_app_running_and_next_steps(ctx: &Context, _: &Path) -> Result<()> {
    let mut run = ctx.xtask_command()?;
    run.arg("run");
    let said = cmd::output(&mut run).context("cargo xtask run")?;
    for wanted in [
        "my_first_app: 3 s",
        "process my_first_app exited with status 0",
        "cd ",
        "docs/getting-started.md",
    ] {
        ensure!(
            said.contains(wanted),
            "`cargo xtask run` did not print `{wanted}`:\n{said}"
        );
    }
    let last = said.lines().rev().find(|line| !line.trim().is_empty());
    ensure!(
        said.ends_with('\n') && last.is_some_and(|line| line.contains("docs/")),
        "`cargo xtask run` does not end with the docs to read on a whole line: {last:?}"
    );
    Ok(())
}

/// A command running in its own process group, its stdout and stderr
/// collected; dropping it ends the group (make, cargo, xtask, QEMU).
struct Background {
    child: Child,
    what: &'static str,
    output: Arc<Mutex<Vec<u8>>>,
}

impl Background {
    fn start(mut command: Command, what: &'static str) -> Result<Background> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {what}"))?;
        let output = Arc::new(Mutex::new(Vec::new()));
        let streams: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().context("no stdout")?),
            Box::new(child.stderr.take().context("no stderr")?),
        ];
        for mut stream in streams {
            let output = Arc::clone(&output);
            std::thread::spawn(move || {
                let mut buffer = [0u8; 1024];
                while let Ok(count) = stream.read(&mut buffer) {
                    if count == 0 {
                        return;
                    }
                    if let Ok(mut output) = output.lock() {
                        output.extend_from_slice(&buffer[..count]);
                    }
                }
            });
        }
        Ok(Background {
            child,
            what,
            output,
        })
    }

    fn output(&self) -> String {
        let bytes = self
            .output
            .lock()
            .map(|bytes| bytes.clone())
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Waits until the output holds `text`; fails if the command ends or
    /// `timeout` passes first.
    fn wait_for(&mut self, text: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        while !self.output().contains(text) {
            if let Some(status) = self.child.try_wait().context("polling the command")? {
                // Let the readers take the last of its output.
                std::thread::sleep(Duration::from_millis(200));
                bail!(
                    "{} ended ({status}) before printing `{text}`:\n{}",
                    self.what,
                    self.output()
                );
            }
            ensure!(
                Instant::now() < deadline,
                "{} did not print `{text}` within {timeout:?}:\n{}",
                self.what,
                self.output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // The group's id is the child's: end every process in it.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}
