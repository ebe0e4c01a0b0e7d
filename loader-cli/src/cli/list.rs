//! `list`.

use anyhow::Result;
use clap::Args;
use loader_cli::{read_chain, InstalledApp};
use loader_protocol::{AppState, RefusalReason};
use serde::Serialize;
use tbf::trust::{fingerprint, Hex, KeyStatus, TrustState};

use super::Options;

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Show padding images and header details too.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Serialize)]
struct AppJson<'a> {
    name: &'a str,
    /// A hex string ("0x20040000"), as users read addresses; sizes stay
    /// numbers.
    address: String,
    size: u32,
    version: Option<u32>,
    enabled: bool,
    sticky: bool,
    padding: bool,
    /// The address the app is linked for, a hex string like `address`.
    fixed_flash: Option<String>,
    /// On a running kernel: running, stopped, exited, faulted, disabled,
    /// refused (the shared model).
    state: Option<&'static str>,
    /// A refused image: why, in a few words.
    refusal: Option<&'static str>,
    /// A refused image: why, and what to do.
    refusal_reason: Option<&'static str>,
    /// A refused image: the trust store's part of the reason (the minimum
    /// version it keeps for the name, or the revoked keys).
    refusal_detail: Option<String>,
    /// A test install's versions: "on test" (the new one) or "standby"
    /// (the old one); `null` otherwise.
    test: Option<&'static str>,
}

/// The image's part in a running test install, if any.
fn test_role(test: &Option<loader_protocol::TestStatus>, address: u32) -> Option<&'static str> {
    let running = test.as_ref()?.running?;
    match address {
        _ if address == running.new => Some("on test"),
        _ if address == running.old => Some("standby"),
        _ => None,
    }
}

fn json<'a>(
    app: &'a InstalledApp,
    state: Option<AppState>,
    refusal: Option<RefusalReason>,
    trust: Option<&TrustState>,
) -> AppJson<'a> {
    AppJson {
        name: &app.name,
        address: format!("{:#x}", app.address),
        size: app.total_size,
        version: app.version,
        enabled: app.enabled,
        sticky: app.sticky,
        padding: app.is_padding,
        fixed_flash: app.fixed_flash.map(|address| format!("{address:#x}")),
        state: state.map(AppState::name),
        refusal: refusal.map(RefusalReason::summary),
        refusal_reason: refusal.map(RefusalReason::explanation),
        refusal_detail: refusal.and_then(|reason| trust_detail(reason, app, trust)),
        test: None,
    }
}

/// The trust store's part of a refusal: for an image below its name's
/// minimum version, the minimum; for one signed only by revoked keys, the
/// revoked keys' fingerprints (`loader keys list` lists them all).
fn trust_detail(
    reason: RefusalReason,
    app: &InstalledApp,
    trust: Option<&TrustState>,
) -> Option<String> {
    let trust = trust?;
    match reason {
        RefusalReason::BelowMinimumVersion => {
            let minimum = trust.minimum_version(app.name.as_bytes())?;
            let version = app.version.map_or("-".to_string(), |v| v.to_string());
            Some(format!("version {version}, minimum {minimum}"))
        }
        RefusalReason::RevokedSigner => {
            let revoked: Vec<String> = trust
                .keys()
                .iter()
                .filter(|entry| entry.status == KeyStatus::Revoked)
                .map(|entry| Hex(&fingerprint(&entry.key)).to_string())
                .collect();
            Some(format!("revoked key(s): {}", revoked.join(", ")))
        }
        _ => None,
    }
}

/// The device's trust state, when an image was refused for a reason it
/// holds (read only then: it costs one more command).
fn trust_for(
    transport: &mut dyn loader_cli::Transport,
    reasons: &[(u32, RefusalReason)],
) -> Result<Option<TrustState>> {
    let needed = reasons.iter().any(|(_, reason)| {
        matches!(
            reason,
            RefusalReason::BelowMinimumVersion | RefusalReason::RevokedSigner
        )
    });
    if !needed {
        return Ok(None);
    }
    Ok(transport
        .trust_state()?
        .and_then(|bytes| TrustState::decode(&bytes).ok()))
}

/// The refusal reason the device gives for the image at `address`.
fn refusal_at(reasons: &[(u32, RefusalReason)], address: u32) -> Option<RefusalReason> {
    reasons
        .iter()
        .find(|(image, _)| *image == address)
        .map(|(_, reason)| *reason)
}

/// The state of the image at `address`, where the device reports states.
fn state_at(states: &Option<Vec<(u32, AppState)>>, address: u32) -> Option<AppState> {
    let states = states.as_ref()?;
    states
        .iter()
        .find(|(image, _)| *image == address)
        .map(|(_, state)| *state)
}

/// tockloader's `text_in_box(text, 52)`.
fn text_in_box(text: &str) -> String {
    const WIDTH: usize = 52;
    let rule = "─".repeat(WIDTH - 2);
    format!("┌{rule}┐\n│ {text:<width$} |\n└{rule}┘", width = WIDTH - 4)
}

/// `list` exactly as tockloader 1.19 prints it (scripts parse this).
fn print_like_tockloader(apps: &[&InstalledApp]) {
    let mut out = String::new();
    for (index, app) in apps.iter().enumerate() {
        out += &text_in_box(&format!("App {index}"));
        out += "\n";
        let version = app.version.unwrap_or(0);
        let python_bool = |flag: bool| if flag { "True" } else { "False" };
        out += &format!("  Name:                  {}\n", app.name);
        out += &format!("  Version:               {version}\n");
        out += &format!("  Enabled:               {}\n", python_bool(app.enabled));
        out += &format!("  Sticky:                {}\n", python_bool(app.sticky));
        out += &format!("  Total Size in Flash:   {} bytes\n", app.total_size);
        out += "\n\n";
    }
    println!("{out}");
}

pub fn run(options: &Options, args: ListArgs, tockloader: bool) -> Result<()> {
    let board = options.board()?;
    let mut transport = options.transport(&board)?;
    let chain = read_chain(transport.as_mut(), board.app_address, board.app_flash_end())?;
    let shown: Vec<&InstalledApp> = chain
        .images
        .iter()
        .filter(|image| args.verbose || !image.is_padding)
        .collect();
    let states = transport.app_states()?;
    let reasons = transport.refusal_reasons()?;
    let trust = trust_for(transport.as_mut(), &reasons)?;
    let test = super::test_install::test_status_if_live(transport.as_mut());
    if options.json_output() {
        let apps: Vec<AppJson> = shown
            .iter()
            .map(|app| {
                let refusal = refusal_at(&reasons, app.address);
                let mut entry = json(app, state_at(&states, app.address), refusal, trust.as_ref());
                entry.test = test_role(&test, app.address);
                entry
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&apps)?);
        return Ok(());
    }
    if tockloader && args.verbose {
        // tockloader's boxed format with every header field: scripts read
        // addresses from it.
        return super::tockloader_format::print_verbose_list(transport.as_mut(), &shown);
    }
    if tockloader {
        print_like_tockloader(&shown);
        return Ok(());
    }
    if shown.is_empty() {
        println!("No apps found on {}.", transport.describe());
        return Ok(());
    }
    let state_column = if states.is_some() { "  state" } else { "" };
    println!(
        "{:<20} {:>10} {:>8} {:>7} {:>7} {:>6}{state_column}",
        "name", "address", "size", "version", "enabled", "sticky"
    );
    for app in shown {
        let name = if app.is_padding {
            "(padding)"
        } else {
            &app.name
        };
        let version = app.version.map_or("-".to_string(), |v| v.to_string());
        let refusal = refusal_at(&reasons, app.address).unwrap_or(RefusalReason::Unknown);
        let detail = trust_detail(refusal, app, trust.as_ref())
            .map_or(String::new(), |detail| format!(" ({detail})"));
        let state = match (&states, state_at(&states, app.address)) {
            (None, _) => String::new(),
            (Some(_), _) if test_role(&test, app.address) == Some("standby") => {
                "  standby (the old version of a test install)".to_string()
            }
            (Some(_), Some(state)) if test_role(&test, app.address).is_some() => {
                format!("  {} (on test)", state.name())
            }
            (Some(_), Some(AppState::Refused)) if args.verbose => {
                format!("  refused{detail}: {}", refusal.explanation())
            }
            (Some(_), Some(AppState::Refused)) => {
                format!(
                    "  refused: {}{detail} (list -v says what to do)",
                    refusal.summary()
                )
            }
            (Some(_), Some(state)) => format!("  {}", state.name()),
            (Some(_), None) => "  -".to_string(),
        };
        println!(
            "{:<20} {:>#10x} {:>8} {:>7} {:>7} {:>6}{state}",
            name, app.address, app.total_size, version, app.enabled, app.sticky
        );
    }
    if args.verbose {
        println!("chain ends at {:#x}", chain.end);
    }
    Ok(())
}
