//! `tbf keys`: signed changes to a device's trust store (see
//! docs/signing.md, "Rotating, revoking and rolling back").
//!
//! - `tbf keys sign-change` builds one change (add or revoke an app signing
//!   key, replace the root key, permit one app's rollback), signs it with
//!   the root key (a key file, a PKCS#11 token or an outside command, the
//!   backends of `tbf sign`) and writes the bytes `loader keys` sends.
//! - `tbf keys show` prints what a change file says and whether its
//!   signature verifies with a given root key.
//!
//! The encoding is the `tbf` crate's (`tbf::trust`), the one the kernel
//! decodes; nothing here parses change bytes by hand.

mod show;
mod sign_change;

use std::process::ExitCode;

use anyhow::Result;
use tbf::trust::{fingerprint, ChangeKind, Hex, Scope, SignedChange};

pub use show::ShowArgs;
pub use sign_change::SignChangeArgs;

/// Arguments of `tbf keys`.
#[derive(clap::Args, Debug)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

/// The `tbf keys` verbs.
#[derive(clap::Subcommand, Debug)]
pub enum KeysCommand {
    /// Build a change to a device's trust store and sign it with the root key.
    SignChange(Box<SignChangeArgs>),
    /// Show what a change file says and check its signature against a root key.
    Show(ShowArgs),
}

impl KeysArgs {
    /// Whether the verb prints JSON.
    pub fn json(&self) -> bool {
        match &self.command {
            KeysCommand::SignChange(args) => args.json,
            KeysCommand::Show(args) => args.json,
        }
    }
}

/// Runs `tbf keys`.
pub fn run(args: &KeysArgs) -> Result<ExitCode> {
    match &args.command {
        KeysCommand::SignChange(args) => sign_change::run(args).map(|()| ExitCode::SUCCESS),
        KeysCommand::Show(args) => show::run(args),
    }
}

/// The verb of a change kind, as `loader keys` names it.
pub fn kind_word(kind: &ChangeKind) -> &'static str {
    match kind {
        ChangeKind::AddKey(_) => "add-key",
        ChangeKind::RevokeKey(_) => "revoke-key",
        ChangeKind::ReplaceRoot(_) => "replace-root",
        ChangeKind::RollbackPermit { .. } => "permit-rollback",
    }
}

/// The `loader keys` verb that applies a change of this kind.
pub fn loader_verb(kind: &ChangeKind) -> &'static str {
    match kind {
        ChangeKind::AddKey(_) => "add",
        ChangeKind::RevokeKey(_) => "revoke",
        ChangeKind::RollbackPermit { .. } => "permit",
        ChangeKind::ReplaceRoot(_) => "apply",
    }
}

/// One line saying what a change does, keys named by fingerprint.
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
    format!(
        "{what}, sequence {}, {}",
        change.change.sequence,
        scope_words(&change.change.scope)
    )
}

/// "any device" or "board NAME only".
pub fn scope_words(scope: &Scope) -> String {
    match scope {
        Scope::Any => "any device".to_string(),
        Scope::Board(name) => format!("board {} only", String::from_utf8_lossy(name.as_bytes())),
    }
}

/// A change as JSON (keys as hex `x || y` with their fingerprints).
pub fn change_json(change: &SignedChange<'_>) -> serde_json::Value {
    let key = |key: &[u8; 64]| {
        serde_json::json!({
            "fingerprint": Hex(&fingerprint(key)).to_string(),
            "public_key": Hex(key).to_string(),
        })
    };
    let mut value = serde_json::json!({
        "kind": kind_word(&change.change.kind),
        "sequence": change.change.sequence,
        "scope": match &change.change.scope {
            Scope::Any => serde_json::Value::Null,
            Scope::Board(name) => String::from_utf8_lossy(name.as_bytes()).into(),
        },
        "description": describe(change),
    });
    match &change.change.kind {
        ChangeKind::AddKey(raw) | ChangeKind::RevokeKey(raw) | ChangeKind::ReplaceRoot(raw) => {
            value["key"] = key(raw);
        }
        ChangeKind::RollbackPermit { name, version } => {
            value["app"] = name.to_string().into();
            value["version"] = (*version).into();
        }
    }
    value
}
