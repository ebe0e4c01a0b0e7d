//! What must hold after every step: `list` equals the model (names,
//! versions, flags) and every image is intact; every running process
//! comes from one accepted, enabled image, one per app, the highest
//! version; nothing outside app flash changed; the chain and the free
//! space after it add up to app flash. After a cut, the device must be in
//! one of the states the cut operation allows (`after_cut`).

use std::collections::BTreeMap;

use loader_cli::read_chain;
use loader_cli::transport::SimulatedKernel;
use loader_protocol::AppState;

use super::images::{self, APP_END, APP_START};
use super::{expect, expected, Case, Expected, Model, Step};

/// The bytes before and after app flash: they must never change.
pub const GUARD: u8 = 0x5A;

/// One app image as the device holds it.
#[derive(Debug)]
struct Held {
    address: u32,
    version: u32,
    enabled: bool,
    /// Everything after the header (protected region, binary, footers).
    body: Vec<u8>,
}

/// The device's app images by name, and the chain's end.
fn held(device: &mut SimulatedKernel) -> Result<(BTreeMap<String, Vec<Held>>, u32), String> {
    let chain = read_chain(device, APP_START, u64::from(APP_END)).map_err(|e| e.to_string())?;
    let tiled: u64 = chain
        .images
        .iter()
        .map(|image| u64::from(image.total_size))
        .sum();
    if u64::from(APP_START) + tiled != u64::from(chain.end) || chain.end > APP_END {
        return Err(format!(
            "the chain does not add up: images of {tiled} bytes from {APP_START:#x}, end {:#x}, app flash ends at {APP_END:#x}",
            chain.end
        ));
    }
    let mut apps: BTreeMap<String, Vec<Held>> = BTreeMap::new();
    for app in chain.apps() {
        let header = app.header.len();
        let image = device.flash.bytes[app.address as usize..app.end() as usize].to_vec();
        apps.entry(app.name.clone()).or_default().push(Held {
            address: app.address,
            version: app.version.unwrap_or(0),
            enabled: app.enabled,
            body: image[header..].to_vec(),
        });
    }
    for images in apps.values_mut() {
        images.sort_by_key(|image| image.version);
    }
    Ok((apps, chain.end))
}

/// Does the flash hold exactly the model's images, intact?
fn flash_equals(apps: &BTreeMap<String, Vec<Held>>, model: &Model) -> Result<(), String> {
    let names: Vec<&String> = apps.keys().collect();
    let expected_names: Vec<&String> = model.keys().collect();
    if names != expected_names {
        return Err(format!(
            "list shows {names:?}, the model {expected_names:?}"
        ));
    }
    for (name, expected) in model {
        let mut expected: Vec<&Expected> = expected.iter().collect();
        expected.sort_by_key(|image| image.version);
        let found = &apps[name];
        let versions = |images: Vec<(u32, bool)>| images;
        let found_versions = versions(found.iter().map(|h| (h.version, h.enabled)).collect());
        let wanted = versions(expected.iter().map(|e| (e.version, e.enabled)).collect());
        if found_versions != wanted {
            return Err(format!(
                "{name}: (version, enabled) {found_versions:?}, the model {wanted:?}"
            ));
        }
        for (held, expected) in found.iter().zip(&expected) {
            let intact = expected.builds.iter().any(|bytes| {
                let header = bytes.len().saturating_sub(held.body.len());
                held.body == bytes[header..]
            });
            if !intact {
                return Err(format!("{name} at {:#x} is not intact", held.address));
            }
        }
    }
    Ok(())
}

/// Processes: one per app whose images include an accepted, enabled one,
/// from the highest such version; none otherwise.
fn processes_match(
    device: &SimulatedKernel,
    case: &Case,
    apps: &BTreeMap<String, Vec<Held>>,
    model: &Model,
) -> Result<(), String> {
    let mut wanted: BTreeMap<&str, (u32, AppState)> = BTreeMap::new();
    for (name, images) in model {
        let accepted = images
            .iter()
            .filter(|image| image.enabled && (!case.signing_policy || image.build.verifies()));
        if let Some(image) = accepted.max_by_key(|image| image.version) {
            let state = match image.stopped {
                true => AppState::Stopped,
                false => AppState::Running,
            };
            wanted.insert(name, (image.version, state));
        }
    }
    let running: BTreeMap<&str, (u32, AppState)> = device
        .processes
        .iter()
        .map(|process| (process.name.as_str(), (process.version, process.state)))
        .collect();
    if running.len() != device.processes.len() || running != wanted {
        return Err(format!("processes {running:?}, the model {wanted:?}"));
    }
    for process in &device.processes {
        let from_an_image = apps[&process.name]
            .iter()
            .any(|held| held.address == process.address && held.version == process.version);
        if !from_an_image {
            return Err(format!("{} runs from no image of the chain", process.name));
        }
    }
    Ok(())
}

fn guards_intact(device: &SimulatedKernel) -> Result<(), String> {
    let bytes = &device.flash.bytes;
    let outside = bytes[..APP_START as usize]
        .iter()
        .chain(&bytes[APP_END as usize..])
        .position(|&byte| byte != GUARD);
    match outside {
        None => Ok(()),
        Some(offset) => Err(format!("flash outside app flash changed (offset {offset})")),
    }
}

/// Every invariant, against `model`.
pub fn check(device: &mut SimulatedKernel, case: &Case, model: &Model) -> Result<(), String> {
    let (apps, _) = held(device)?;
    if let Some((name, images)) = apps.iter().find(|(_, images)| images.len() > 1) {
        return Err(format!("{} images of {name} in flash", images.len()));
    }
    flash_equals(&apps, model)?;
    processes_match(device, case, &apps, model)?;
    guards_intact(device)
}

/// The device must be in one of `allowed`; the one it is in.
pub fn matching(
    device: &mut SimulatedKernel,
    case: &Case,
    allowed: &[Model],
) -> Result<Model, String> {
    let (apps, _) = held(device)?;
    let mut reasons = Vec::new();
    for model in allowed {
        match flash_equals(&apps, model) {
            Ok(()) => {
                check(device, case, model)?;
                return Ok(model.clone());
            }
            Err(reason) => reasons.push(reason),
        }
    }
    Err(format!("after the cut, no allowed state: {reasons:?}"))
}

/// The states a cut during `step` (and the reboot after it) may leave:
/// the old one or the new one; never two images of one app (the reboot
/// frees all but the one the board would run), and a fixed-address app
/// replaced in its own slot is never absent (the slot changes in one
/// flash-journal commit).
pub fn after_cut(case: &Case, step: &Step, model: &Model, version: u32) -> Vec<Model> {
    let name = |app: usize| case.kind.names()[app].to_string();
    let mut allowed = vec![model.clone()];
    allowed.extend(expect(case, step, model, version));
    match step {
        Step::Install { app, build, length } if !build.refused_by_the_loader() => {
            // A cut between linking the new image and freeing the old one
            // leaves both; the reboot keeps the one the board would run:
            // the new one when it accepts it (the old or the new state
            // above), else an old one it accepts, else the new one (the
            // higher version) alone.
            let accepted = |build: images::Build| !case.signing_policy || build.verifies();
            let olds = model.get(&name(*app)).cloned().unwrap_or_default();
            if !accepted(*build) && !olds.iter().any(|image| accepted(image.build)) {
                let new = images::new_app(case.kind, &name(*app), version, *length, *build);
                let mut new_alone = model.clone();
                new_alone.insert(name(*app), vec![expected(&new, version, *build)]);
                allowed.push(new_alone);
            }
        }
        Step::Uninstall { app } | Step::Enable { app } | Step::Disable { app } => {
            let Some(images) = model.get(&name(*app)) else {
                return allowed;
            };
            let Some(done) = expect(case, step, model, version) else {
                return allowed;
            };
            // Each image of the app written or not, independently.
            for mask in 0..(1u32 << images.len()) {
                let mut partial = model.clone();
                let kept: Vec<Expected> = images
                    .iter()
                    .enumerate()
                    .filter_map(|(index, image)| match mask >> index & 1 {
                        0 => Some(image.clone()),
                        _ => done.get(&name(*app)).map(|after| {
                            let mut image = image.clone();
                            image.enabled = after[0].enabled;
                            image
                        }),
                    })
                    .collect();
                match kept.is_empty() {
                    true => partial.remove(&name(*app)),
                    false => partial.insert(name(*app), kept),
                };
                allowed.push(partial);
            }
        }
        _ => {}
    }
    allowed
}
