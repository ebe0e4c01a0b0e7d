//! `install` and `update`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use loader_cli::board::AppOrder;
use loader_cli::{load_app, Loader, LoaderError, NewApp, Placement, Replace};

use super::progress_bar::Bars;
use super::test_install::TestInstallLink;
use super::Options;

#[derive(Args, Debug)]
pub struct InstallArgs {
    /// TAB or TBF files.
    #[arg(required = true)]
    pub tabs: Vec<PathBuf>,
    /// Install beside an installed app of the same name instead of
    /// replacing it.
    #[arg(long)]
    pub no_replace: bool,
    /// Remove every installed app first (sticky ones too with --force).
    #[arg(long)]
    pub erase: bool,
    /// Install the apps sticky (kept by erase-apps and uninstall).
    #[arg(long)]
    pub sticky: bool,
    /// Keep the apps in command-line order (position-independent apps;
    /// fixed-address apps go where they are linked, so it is refused).
    #[arg(long)]
    pub preserve_order: bool,
    /// Run the new version on test, keeping the installed one on standby:
    /// it reverts on a fault past the restart threshold or a reboot
    /// before it is confirmed (`loader info` shows how; `loader confirm`).
    #[arg(long)]
    pub test: bool,
}

/// What `install` does besides placing the apps.
#[derive(Clone, Copy, Default)]
struct InstallChoices {
    erase: bool,
    sticky: bool,
    preserve_order: bool,
    test: bool,
}

/// An ELF is not installable: say so, and how to package it.
fn refuse_elf(path: &std::path::Path, arch: &str) -> Result<()> {
    let mut magic = [0u8; 4];
    let is_elf = std::fs::File::open(path)
        .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut magic))
        .is_ok()
        && magic == *b"\x7fELF";
    if !is_elf {
        return Ok(());
    }
    let stem = path
        .file_stem()
        .map_or("app".into(), |stem| stem.to_string_lossy());
    anyhow::bail!(LoaderError::Input {
        path: path.display().to_string(),
        reason: format!(
            "this is an ELF file, not a TAB or TBF; package it first: `tbf pack -o {stem}.tab -n {stem} --stack 2048 --app-heap 1024 --kernel-heap 1024 {},{arch}` (add `--ecdsa-nist-p256-private KEY` to sign it), then `loader install {stem}.tab`",
            path.display()
        ),
    })
}

/// `--sticky`: set the flag in each build before it is written, as
/// tockloader does; refused on a build whose credentials cover the header.
fn make_sticky(apps: &mut [NewApp]) -> Result<()> {
    for app in apps.iter_mut() {
        for candidate in &mut app.candidates {
            if candidate.signed {
                anyhow::bail!(LoaderError::Refused(format!(
                    "{}: app `{}` has credentials over its header; --sticky would invalidate them, so nothing was written. Package it sticky instead, or install without --sticky",
                    app.source, app.name
                )));
            }
            let header_size = candidate.header_size as usize;
            loader_cli::image::set_flag(
                &mut candidate.bytes[..header_size],
                tbf::FLAG_STICKY,
                true,
            );
        }
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// TAB or TBF files.
    #[arg(required = true)]
    pub tabs: Vec<PathBuf>,
}

fn install(
    options: &Options,
    tabs: &[PathBuf],
    replace: Replace,
    tockloader: bool,
    choices: InstallChoices,
) -> Result<()> {
    let mut board = options.board()?;
    let arch = board.require_arch()?.to_string();
    for path in tabs {
        refuse_elf(path, &arch)?;
    }
    let mut apps = tabs
        .iter()
        .map(|path| load_app(path, &arch, &board.name, options.force))
        .collect::<Result<Vec<_>, _>>()?;
    if choices.sticky {
        make_sticky(&mut apps)?;
    }
    if choices.preserve_order {
        if apps.iter().any(NewApp::is_fixed) {
            anyhow::bail!(LoaderError::Configuration {
                what: "order".to_string(),
                hint: "cannot preserve order with fixed-address apps (tockloader refuses too): each goes where it is linked; drop --preserve-order".to_string(),
            });
        }
        board.order = AppOrder::AsGiven;
    }
    let mut transport = options.transport(&board)?;
    let mut progress = Bars::new(options.quiet || options.json_output());
    let placement = if tockloader {
        Placement::Tockloader
    } else {
        Placement::Append
    };
    if choices.test {
        // Written beside the installed version (never over it).
        let mut link = test_link(transport.as_mut(), &board, &apps, choices)?;
        let mut loader = Loader {
            transport: &mut link,
            board,
            progress: &mut progress,
        };
        loader.install(&apps, Replace::No, placement)?;
        if !options.quiet && !options.json_output() {
            print_console(loader_cli::Transport::take_console(&mut link));
        }
        return report_test(options, &link, &apps);
    }
    let names: Vec<&str> = apps.iter().map(|app| app.name.as_str()).collect();
    super::test_install::refuse_while_on_test(transport.as_mut(), &board, &names)?;
    let mut loader = Loader {
        transport: transport.as_mut(),
        board,
        progress: &mut progress,
    };
    if choices.erase {
        loader.erase_apps(options.force)?;
    }
    loader.install(&apps, replace, placement)?;
    if options.json_output() {
        // For scripts and the `loader.serial_*` figures: what was sent.
        let summary = serde_json::json!({
            "installed": apps.iter().map(|app| app.name.as_str()).collect::<Vec<_>>(),
            "device": loader.transport.describe(),
            "app_bytes": apps.iter().map(|app| app.candidates[0].total_size).sum::<u32>(),
            "wire_bytes": loader.transport.wire_bytes(),
        });
        println!("{summary}");
    } else if !options.quiet {
        print_console(loader.transport.take_console());
        let names: Vec<&str> = apps.iter().map(|app| app.name.as_str()).collect();
        eprintln!(
            "Installed {} on {}.",
            names.join(", "),
            loader.transport.describe()
        );
    }
    Ok(())
}

/// `--test`: one app, a running kernel, an installed version to fall
/// back to; checked before anything is written.
fn test_link<'t>(
    transport: &'t mut dyn loader_cli::Transport,
    board: &loader_cli::Board,
    apps: &[NewApp],
    choices: InstallChoices,
) -> Result<TestInstallLink<'t>> {
    if apps.len() != 1 || choices.erase {
        anyhow::bail!(LoaderError::Configuration {
            what: "--test".to_string(),
            hint: "--test takes one app (one test install runs at a time) and no --erase"
                .to_string(),
        });
    }
    let link = TestInstallLink::new(transport, board.app_address, board.app_flash_end())?;
    link.require_installed(&apps[0].name)?;
    Ok(link)
}

fn report_test(options: &Options, link: &TestInstallLink, apps: &[NewApp]) -> Result<()> {
    let Some((name, old, new)) = link.started.first() else {
        anyhow::bail!(LoaderError::Refused(format!(
            "{} was written but not started on test (the device started nothing)",
            apps[0].name
        )));
    };
    if options.json_output() {
        let value = serde_json::json!({
            "on_test": name,
            "new": format!("{new:#x}"),
            "standby": format!("{old:#x}"),
        });
        println!("{value}");
    } else if !options.quiet {
        eprintln!(
            "{name} at {new:#x} runs on test; the old version at {old:#x} is on standby (`loader info` says what confirms it; `loader confirm {name}`)."
        );
    }
    Ok(())
}

/// Show what the device's console printed during the operation (a
/// running kernel's apps starting), indented under a title.
pub fn print_console(console: Vec<u8>) {
    if console.is_empty() {
        return;
    }
    eprintln!("Device console meanwhile:");
    for line in String::from_utf8_lossy(&console).lines() {
        eprintln!("  | {}", line.trim_end_matches('\r'));
    }
}

pub fn run(options: &Options, args: InstallArgs, tockloader: bool) -> Result<()> {
    let replace = if args.no_replace {
        Replace::No
    } else {
        Replace::Yes
    };
    let choices = InstallChoices {
        erase: args.erase,
        sticky: args.sticky,
        preserve_order: args.preserve_order,
        test: args.test,
    };
    install(options, &args.tabs, replace, tockloader, choices)
}

pub fn run_update(options: &Options, args: UpdateArgs, tockloader: bool) -> Result<()> {
    let choices = InstallChoices::default();
    install(options, &args.tabs, Replace::Only, tockloader, choices)
}
