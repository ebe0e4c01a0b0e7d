//! `install --test` and `confirm`: a new version runs on test while the
//! old one stays in flash on standby (`docs/test-installs.md`).
//!
//! The install itself is an ordinary one that keeps the old image
//! (`Replace::No`: written beside it, never over it); only the request
//! that starts the new image changes: [`TestInstallLink`] turns the
//! loader's INSTALL_APP for it into TEST_INSTALL(old, new), and the
//! kernel keeps the old one on standby.

use anyhow::Result;
use clap::Args;
use loader_cli::transport::{AttributePair, LiveOperation};
use loader_cli::{read_chain, LoaderError, LoaderResult, Transport};
use loader_protocol::{AppState, RefusalReason, Request, TestStatus};

use super::Options;

/// A transport that starts new versions on test: every call goes to the
/// device as it is, except INSTALL_APP of a new image of an app that
/// has an installed version, which becomes TEST_INSTALL.
pub struct TestInstallLink<'t> {
    inner: &'t mut dyn Transport,
    /// The installed version of each app, by name (header address).
    installed: Vec<(String, u32)>,
    /// The tests started: (name, old, new).
    pub started: Vec<(String, u32, u32)>,
}

impl<'t> TestInstallLink<'t> {
    /// Reads the installed apps; refused unless the device is a running
    /// kernel, or a test install already runs.
    pub fn new(inner: &'t mut dyn Transport, start: u32, limit: u64) -> Result<Self> {
        if !inner.is_live() {
            anyhow::bail!(LoaderError::Refused(format!(
                "{}: --test needs a running kernel (a live --port): a flash file or a bootloader cannot revert",
                inner.describe()
            )));
        }
        if let Some(test) = test_status(inner)?.running {
            anyhow::bail!(LoaderError::Refused(format!(
                "a test install already runs (new version at {:#x}, old at {:#x}): `loader confirm` it or let it revert first",
                test.new, test.old
            )));
        }
        let chain = read_chain(inner, start, limit)?;
        let installed = chain
            .apps()
            .map(|app| (app.name.clone(), app.address))
            .collect();
        Ok(TestInstallLink {
            inner,
            installed,
            started: Vec::new(),
        })
    }

    /// The installed version of `name`, or a refusal saying why --test
    /// needs one.
    pub fn require_installed(&self, name: &str) -> Result<u32> {
        self.old_of(name).ok_or_else(|| {
            LoaderError::Refused(format!(
                "app `{name}` is not installed: --test needs a version to fall back to; install it without --test"
            ))
            .into()
        })
    }

    fn old_of(&self, name: &str) -> Option<u32> {
        self.installed
            .iter()
            .find(|(installed, _)| installed == name)
            .map(|&(_, address)| address)
    }

    fn name_at(&mut self, address: u32) -> LoaderResult<Option<String>> {
        let header = self.inner.read(address, 512)?;
        Ok(tbf::parse_header(&header)
            .ok()
            .and_then(|header| header.package_name().map(str::to_string)))
    }
}

impl Transport for TestInstallLink<'_> {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn read(&mut self, address: u32, length: usize) -> LoaderResult<Vec<u8>> {
        self.inner.read(address, length)
    }
    fn write(&mut self, address: u32, bytes: &[u8]) -> LoaderResult<()> {
        self.inner.write(address, bytes)
    }
    fn mark_chain_end(&mut self, address: u32) -> LoaderResult<()> {
        self.inner.mark_chain_end(address)
    }
    fn attributes(&mut self) -> LoaderResult<Vec<AttributePair>> {
        self.inner.attributes()
    }
    fn bootloader_version(&mut self) -> LoaderResult<Option<String>> {
        self.inner.bootloader_version()
    }
    fn is_live(&mut self) -> bool {
        self.inner.is_live()
    }
    fn live_operation(&mut self, operation: LiveOperation) -> LoaderResult<()> {
        let LiveOperation::Install(new) = operation else {
            return self.inner.live_operation(operation);
        };
        let name = self.name_at(new)?.unwrap_or_default();
        let Some(old) = self.old_of(&name) else {
            return self.inner.live_operation(operation);
        };
        self.inner.extension_request(&Request::TestInstall {
            old_address: old,
            new_address: new,
        })?;
        self.started.push((name, old, new));
        Ok(())
    }
    fn app_states(&mut self) -> LoaderResult<Option<Vec<(u32, AppState)>>> {
        self.inner.app_states()
    }
    fn refusal_reasons(&mut self) -> LoaderResult<Vec<(u32, RefusalReason)>> {
        self.inner.refusal_reasons()
    }
    fn trust_state(&mut self) -> LoaderResult<Option<Vec<u8>>> {
        self.inner.trust_state()
    }
    fn apply_trust_change(&mut self, change: &[u8]) -> LoaderResult<()> {
        self.inner.apply_trust_change(change)
    }
    fn extension_request(&mut self, request: &Request<'_>) -> LoaderResult<Vec<u8>> {
        self.inner.extension_request(request)
    }
    fn wire_bytes(&self) -> Option<u64> {
        self.inner.wire_bytes()
    }
    fn take_console(&mut self) -> Vec<u8> {
        self.inner.take_console()
    }
    fn finish(&mut self) -> LoaderResult<()> {
        self.inner.finish()
    }
}

/// The device's TEST_STATUS.
pub fn test_status(transport: &mut dyn Transport) -> Result<TestStatus> {
    let body = transport.extension_request(&Request::TestStatus)?;
    TestStatus::decode(&body).ok_or_else(|| {
        anyhow::anyhow!(
            "the device's test-install status does not decode ({} bytes); update the loader",
            body.len()
        )
    })
}

/// TEST_STATUS where the device is a running kernel that answers it;
/// `None` elsewhere (a flash file, a bootloader, an older kernel).
pub fn test_status_if_live(transport: &mut dyn Transport) -> Option<TestStatus> {
    match transport.is_live() {
        true => test_status(transport).ok(),
        false => None,
    }
}

/// An ordinary install or update of an app whose new version is on
/// test would replace the tested version and free the standby one
/// behind the kernel's back: refused, nothing written.
pub fn refuse_while_on_test(
    transport: &mut dyn Transport,
    board: &loader_cli::Board,
    names: &[&str],
) -> Result<()> {
    let Some(running) = test_status_if_live(transport).and_then(|status| status.running) else {
        return Ok(());
    };
    let chain = read_chain(transport, board.app_address, board.app_flash_end())?;
    let on_test = chain.apps().find(|app| app.address == running.new);
    if let Some(app) = on_test.filter(|app| names.contains(&app.name.as_str())) {
        anyhow::bail!(LoaderError::Refused(format!(
            "a version of `{}` is on test (at {:#x}, the old one on standby at {:#x}); nothing was written: `loader confirm {}` it or let it revert first",
            app.name, running.new, running.old, app.name
        )));
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct ConfirmArgs {
    /// The app whose version on test to keep.
    pub name: String,
}

/// `confirm NAME`: keep the version on test; the old one is freed.
pub fn run_confirm(options: &Options, args: ConfirmArgs) -> Result<()> {
    let board = options.board()?;
    let mut transport = options.transport(&board)?;
    let status = test_status(transport.as_mut())?;
    let chain = read_chain(transport.as_mut(), board.app_address, board.app_flash_end())?;
    let on_test = status.running.filter(|test| {
        chain
            .apps()
            .any(|app| app.address == test.new && app.name == args.name)
    });
    let Some(test) = on_test else {
        anyhow::bail!(LoaderError::Refused(format!(
            "no version of `{}` is on test on {} (nothing to confirm)",
            args.name,
            transport.describe()
        )));
    };
    transport.extension_request(&Request::ConfirmTest { address: test.new })?;
    if options.json_output() {
        let value = serde_json::json!({
            "confirmed": args.name,
            "kept": format!("{:#x}", test.new),
            "freed": format!("{:#x}", test.old),
        });
        println!("{value}");
    } else if !options.quiet {
        eprintln!(
            "Confirmed {} at {:#x}; the old version at {:#x} was freed.",
            args.name, test.new, test.old
        );
    }
    Ok(())
}
