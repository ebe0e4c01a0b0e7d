//! The CTAP2 app checked by libfido2 and OpenSSH through
//! `clients/libfido2-hid-link`: a libfido2 transport over the HID link
//! socket, a check program (`fido_check`), and an OpenSSH security-key
//! provider. Built here with the host C compiler and
//! `pkg-config --cflags --libs libfido2`, warnings as errors.
//! - `libfido2`: `fido_check check` on a fresh device;
//! - `ssh`: ssh-keygen enrolls an `ecdsa-sk` key (then a resident one,
//!   after a PIN was set), signs a file with each (`-Y sign`), and its
//!   `-Y verify` accepts the signatures and refuses one over changed data;
//!   `ssh-keygen -K` finds the resident key again.
//!
//! User presence: the harness sets `TOCK_FIDO_PRESS=echo PRESS`; the
//! transport runs it when the device's KEEPALIVE says UPNEEDED, and
//! [`super::ctap2::run_client`] clicks the button on that line.

use super::ctap2::{flash_with, run_client};
use super::qemu::{boot, scratch};
use crate::cmd;
use crate::context::Context;
use anyhow::{ensure, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The PIN the `ssh` step sets (ssh-keygen reads it through SSH_ASKPASS).
const SSH_PIN: &str = "4321";
/// The resident key's application (relying party id).
const RESIDENT_APPLICATION: &str = "ssh:tock";
const SIGNER: &str = "tock@example";
const NAMESPACE: &str = "file";

/// The programs built from `clients/libfido2-hid-link`.
pub struct Clients {
    fido_check: PathBuf,
    provider: PathBuf,
}

fn source_dir(ctx: &Context) -> PathBuf {
    ctx.workspace.join("clients").join("libfido2-hid-link")
}

/// `pkg-config --cflags --libs` of `packages`, split into arguments.
fn pkg_config(packages: &[&str]) -> Result<Vec<String>> {
    let mut command = Command::new("pkg-config");
    command.args(["--cflags", "--libs"]).args(packages);
    let flags = cmd::output(&mut command).with_context(|| {
        format!(
            "pkg-config finds no {} (Debian: libfido2-dev and pkg-config): run `cargo xtask setup`",
            packages.join(", ")
        )
    })?;
    Ok(flags.split_whitespace().map(str::to_string).collect())
}

/// Compiles `sources` into `output` (`-shared` when `shared`).
fn compile(
    ctx: &Context,
    sources: &[&str],
    output: &Path,
    shared: bool,
    libraries: &[&str],
) -> Result<()> {
    let directory = source_dir(ctx);
    let mut cc = Command::new("cc");
    cc.args(["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror"]);
    if shared {
        cc.args(["-shared", "-fPIC"]);
    }
    cc.arg("-o").arg(output);
    cc.args(sources.iter().map(|source| directory.join(source)));
    cc.args(pkg_config(libraries)?);
    cmd::output(&mut cc).with_context(|| {
        format!(
            "compiling {} (a host C compiler and libfido2-dev are needed: run `cargo xtask setup`)",
            output.display()
        )
    })?;
    Ok(())
}

/// Builds the check program and the provider.
pub fn build(ctx: &Context) -> Result<Clients> {
    let out = scratch(ctx)?.join("libfido2-hid-link");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let clients = Clients {
        fido_check: out.join("fido_check"),
        provider: out.join("libtock_sk_provider.so"),
    };
    compile(
        ctx,
        &["fido_check.c", "hid_link_io.c"],
        &clients.fido_check,
        false,
        &["libfido2"],
    )?;
    compile(
        ctx,
        &["sk_provider.c", "hid_link_io.c"],
        &clients.provider,
        true,
        &["libfido2", "libcrypto"],
    )?;
    Ok(clients)
}

/// A command with the link's environment: the socket and the press hook.
fn linked(program: &Path, socket: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .env("TOCK_FIDO_SOCKET", socket)
        .env("TOCK_FIDO_PRESS", "echo PRESS");
    command
}

/// libfido2: every check of `fido_check` on a fresh device.
pub fn libfido2(ctx: &Context, tbf: &[u8], clients: &Clients) -> Result<()> {
    let flash = flash_with(ctx, "ctap2-libfido2", tbf)?;
    let socket = scratch(ctx)?.join("ctap2-libfido2.hid");
    let mut qemu = boot(&flash, &socket)?;
    let mut check = linked(&clients.fido_check, &socket);
    check.arg("check").arg(&socket);
    run_client(&mut qemu, check, "fido-check: ok")
}

/// Where the `ssh` step keeps its keys and files.
struct SshFiles {
    directory: PathBuf,
    askpass: PathBuf,
    data: PathBuf,
}

impl SshFiles {
    fn new(ctx: &Context) -> Result<SshFiles> {
        let directory = scratch(ctx)?.join("ctap2-ssh");
        if directory.exists() {
            std::fs::remove_dir_all(&directory)
                .with_context(|| format!("removing {}", directory.display()))?;
        }
        std::fs::create_dir_all(directory.join("downloaded"))?;
        let askpass = directory.join("askpass.sh");
        std::fs::write(&askpass, format!("#!/bin/sh\necho {SSH_PIN}\n"))?;
        let mut permissions = std::fs::metadata(&askpass)?.permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&askpass, permissions)?;
        let data = directory.join("data");
        std::fs::write(&data, "my SSH key lives on the Tock device\n")?;
        Ok(SshFiles {
            directory,
            askpass,
            data,
        })
    }
}

/// ssh-keygen with the provider, the link, and the PIN through askpass.
fn ssh_keygen(clients: &Clients, socket: &Path, files: &SshFiles) -> Command {
    let mut command = linked(Path::new("ssh-keygen"), socket);
    command
        .current_dir(&files.directory)
        .env("SSH_SK_PROVIDER", &clients.provider)
        .env("SSH_ASKPASS", &files.askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env_remove("SSH_AUTH_SOCK")
        .arg("-w")
        .arg(&clients.provider);
    command
}

/// ssh-keygen: keys enrolled, files signed and verified, a resident key
/// found again.
pub fn ssh(ctx: &Context, tbf: &[u8], clients: &Clients) -> Result<()> {
    // ssh-keygen's usage exits 1; only a missing program fails to start.
    Command::new("ssh-keygen")
        .arg("-?")
        .output()
        .context("ssh-keygen is not installed (Debian: openssh-client)")?;
    let flash = flash_with(ctx, "ctap2-ssh", tbf)?;
    let socket = scratch(ctx)?.join("ctap2-ssh.hid");
    let files = SshFiles::new(ctx)?;
    let mut qemu = boot(&flash, &socket)?;

    let mut enroll = ssh_keygen(clients, &socket, &files);
    enroll.args(["-t", "ecdsa-sk", "-N", "", "-C", SIGNER, "-f", "key"]);
    run_client(&mut qemu, enroll, "Your public key has been saved")
        .context("ssh-keygen -t ecdsa-sk (non-resident)")?;
    sign_and_verify(&mut qemu, clients, &socket, &files, "key")?;

    let mut set_pin = linked(&clients.fido_check, &socket);
    set_pin.arg("set-pin").arg(&socket).arg(SSH_PIN);
    run_client(&mut qemu, set_pin, "fido-check: ok").context("setting the PIN with libfido2")?;
    let mut resident = ssh_keygen(clients, &socket, &files);
    resident
        .args(["-t", "ecdsa-sk", "-O", "resident", "-O"])
        .arg(format!("application={RESIDENT_APPLICATION}"))
        .args(["-N", "", "-C", SIGNER, "-f", "resident-key"]);
    run_client(&mut qemu, resident, "Your public key has been saved")
        .context("ssh-keygen -t ecdsa-sk -O resident (PIN through SSH_ASKPASS)")?;
    sign_and_verify(&mut qemu, clients, &socket, &files, "resident-key")?;

    let mut download = ssh_keygen(clients, &socket, &files);
    download
        .current_dir(files.directory.join("downloaded"))
        .args(["-K", "-N", ""]);
    run_client(&mut qemu, download, "Saved ECDSA-SK key")
        .context("ssh-keygen -K (resident keys from the device)")?;
    let found = public_key(&files.directory.join("downloaded/id_ecdsa_sk_rk_tock.pub"))?;
    let enrolled = public_key(&files.directory.join("resident-key.pub"))?;
    ensure!(
        found == enrolled,
        "ssh-keygen -K found the key {found}, but the resident key enrolled was {enrolled}"
    );
    println!("ssh: the resident key came back from the device with ssh-keygen -K");
    Ok(())
}

/// The key type and base64 of a `.pub` file.
fn public_key(path: &Path) -> Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let fields: Vec<&str> = text.split_whitespace().take(2).collect();
    ensure!(fields.len() == 2, "{} is not a public key", path.display());
    Ok(fields.join(" "))
}

/// `ssh-keygen -Y sign` with `key`, then `-Y verify` accepts the
/// signature and refuses it over changed data.
fn sign_and_verify(
    qemu: &mut impl super::qemu::Console,
    clients: &Clients,
    socket: &Path,
    files: &SshFiles,
    key: &str,
) -> Result<()> {
    let signature = files.data.with_extension("sig");
    if signature.exists() {
        std::fs::remove_file(&signature)?;
    }
    let mut sign = ssh_keygen(clients, socket, files);
    sign.args(["-Y", "sign", "-n", NAMESPACE, "-f", key])
        .arg(&files.data);
    run_client(qemu, sign, "Write signature to")
        .with_context(|| format!("ssh-keygen -Y sign -f {key}"))?;
    let allowed = files.directory.join("allowed_signers");
    let public = public_key(&files.directory.join(format!("{key}.pub")))?;
    std::fs::write(&allowed, format!("{SIGNER} {public}\n"))?;
    // Not cmd::output: it would give the verifier an empty stdin.
    let verify = |data: &Path| -> Result<(bool, String)> {
        let output = Command::new("ssh-keygen")
            .args(["-Y", "verify", "-f"])
            .arg(&allowed)
            .args(["-I", SIGNER, "-n", NAMESPACE, "-s"])
            .arg(&signature)
            .stdin(std::fs::File::open(data)?)
            .output()
            .context("running ssh-keygen -Y verify")?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        Ok((output.status.success(), text))
    };
    let (good, said) = verify(&files.data)?;
    ensure!(
        good && said.contains("Good \"file\" signature"),
        "ssh-keygen -Y verify refused {key}'s signature: {said}"
    );
    let changed = files.directory.join("changed-data");
    std::fs::write(&changed, "my SSH key lives somewhere else\n")?;
    let (good, said) = verify(&changed)?;
    ensure!(
        !good,
        "ssh-keygen -Y verify accepted {key}'s signature over changed data: {said}"
    );
    println!("ssh: {key}: signature verified by ssh-keygen -Y verify; refused over changed data");
    Ok(())
}
