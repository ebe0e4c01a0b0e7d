//! `keys`: the board's trust store. `keys list` shows the root key's
//! fingerprint, the sequence number, each signing key with its status, the
//! minimum versions and the verified-digest records; `keys add|revoke|
//! permit|apply FILE` send a change signed by `tbf keys sign-change` and
//! report the device's answer (exit code 5 when the device refuses it, 3
//! when the file is not a change of the verb's kind).

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use loader_cli::operations::trust::{kind_name, ChangeVerb};
use loader_cli::Loader;
use tbf::trust::{fingerprint, ChangeKind, Hex, KeyStatus, Scope, SignedChange, TrustState};

use super::progress_bar::Bars;
use super::Options;

#[derive(Args, Debug)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Root fingerprint, sequence, signing keys, minimum versions, digest records.
    List,
    /// Trust a new signing key: send an add-key change.
    Add(ChangeFile),
    /// Stop trusting a signing key: send a revoke-key change.
    Revoke(ChangeFile),
    /// Lower an app's minimum version: send a permit-rollback change.
    Permit(ChangeFile),
    /// Send a change of any kind (replace-root has no verb of its own).
    Apply(ChangeFile),
}

#[derive(Args, Debug)]
pub struct ChangeFile {
    /// A change signed by the root key (`tbf keys sign-change ... -o FILE`).
    pub file: String,
}

pub fn run(options: &Options, args: KeysArgs) -> Result<()> {
    let (verb, file) = match args.command {
        KeysCommand::List => return list(options),
        KeysCommand::Add(file) => (ChangeVerb::Add, file),
        KeysCommand::Revoke(file) => (ChangeVerb::Revoke, file),
        KeysCommand::Permit(file) => (ChangeVerb::Permit, file),
        KeysCommand::Apply(file) => (ChangeVerb::Apply, file),
    };
    apply(options, verb, &file.file)
}

fn with_loader<T>(options: &Options, work: impl FnOnce(&mut Loader<'_>) -> Result<T>) -> Result<T> {
    let board = options.board()?;
    let mut transport = options.transport(&board)?;
    let mut progress = Bars::new(true);
    let mut loader = Loader {
        transport: transport.as_mut(),
        board,
        progress: &mut progress,
    };
    work(&mut loader)
}

fn apply(options: &Options, verb: ChangeVerb, path: &str) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|error| loader_cli::LoaderError::Input {
        path: path.to_string(),
        reason: format!("cannot read it ({error})"),
    })?;
    let (device, state) = with_loader(options, |loader| {
        let state = loader.apply_trust_change(path, &bytes, verb)?;
        Ok((loader.transport.describe(), state))
    })?;
    let change = SignedChange::decode(&bytes)
        .ok()
        .context("the change no longer decodes")?;
    let said = describe(&change);
    if options.json_output() {
        let value = serde_json::json!({
            "device": device,
            "applied": kind_name(&change.change.kind),
            "change": said,
            "trust_state": state_json(&state),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else if !options.quiet {
        println!("{device}: applied: {said}");
        println!(
            "trust store now at sequence {} (`loader keys list` shows it)",
            state.sequence
        );
    }
    Ok(())
}

/// One line saying what a change does.
pub fn describe(change: &SignedChange<'_>) -> String {
    let what = match &change.change.kind {
        ChangeKind::AddKey(key) => format!("add signing key {}", Hex(&fingerprint(key))),
        ChangeKind::RevokeKey(key) => format!("revoke signing key {}", Hex(&fingerprint(key))),
        ChangeKind::ReplaceRoot(key) => {
            format!("replace the root key by {}", Hex(&fingerprint(key)))
        }
        ChangeKind::RollbackPermit { name, version } => {
            format!("permit {name} down to version {version}")
        }
    };
    let scope = match &change.change.scope {
        Scope::Any => "any device".to_string(),
        Scope::Board(name) => format!("board {} only", String::from_utf8_lossy(name.as_bytes())),
    };
    format!("{what} (sequence {}, {scope})", change.change.sequence)
}

fn status_name(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::Active => "active",
        KeyStatus::Revoked => "revoked",
    }
}

/// The trust state as `keys list --json` prints it.
pub fn state_json(state: &TrustState) -> serde_json::Value {
    let keys: Vec<_> = state
        .keys()
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            serde_json::json!({
                "index": index,
                "fingerprint": Hex(&fingerprint(&entry.key)).to_string(),
                "public_key": Hex(&entry.key).to_string(),
                "status": status_name(entry.status),
            })
        })
        .collect();
    let minimums: Vec<_> = state
        .minimums()
        .iter()
        .map(|entry| serde_json::json!({ "app": entry.name.to_string(), "version": entry.version }))
        .collect();
    serde_json::json!({
        "root": state.root.map(|root| Hex(&fingerprint(&root)).to_string()),
        "sequence": state.sequence,
        "epoch": state.epoch,
        "keys": keys,
        "minimum_versions": minimums,
        "verified_digests": state.digests().len(),
        "verified_digests_current": state.digests().iter().filter(|d| d.epoch == state.epoch).count(),
    })
}

fn list(options: &Options) -> Result<()> {
    let (device, state) = with_loader(options, |loader| {
        let state = loader.trust_state()?;
        Ok((loader.transport.describe(), state))
    })?;
    if options.json_output() {
        let mut value = state_json(&state);
        value["device"] = device.into();
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    for line in policy_lines(&state) {
        println!("{line}");
    }
    Ok(())
}

/// The trust state as text (`keys list`, and `info`'s policy section).
pub fn policy_lines(state: &TrustState) -> Vec<String> {
    let root = state.root.map_or(
        "(none: keys change only with a new kernel)".to_string(),
        |root| Hex(&fingerprint(&root)).to_string(),
    );
    let mut lines = vec![
        format!("root key:         {root}"),
        format!(
            "sequence:         {} (a change must be above it)",
            state.sequence
        ),
        format!("signing keys:     {}", state.keys().len()),
    ];
    for (index, entry) in state.keys().iter().enumerate() {
        let fingerprint = Hex(&fingerprint(&entry.key)).to_string();
        lines.push(format!(
            "  {index}  {fingerprint}  {}",
            status_name(entry.status)
        ));
    }
    lines.push(format!("minimum versions: {}", state.minimums().len()));
    for entry in state.minimums() {
        lines.push(format!(
            "  {:<24} {}",
            entry.name.to_string(),
            entry.version
        ));
    }
    lines.push(format!(
        "verified digests: {} recorded (boots skip ECDSA for these images until a key changes)",
        state.digests().len()
    ));
    lines
}
