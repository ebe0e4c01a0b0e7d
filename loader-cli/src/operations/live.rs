//! The running-kernel side of an operation: once the new images are
//! linked, the kernel starts them (replacing the old versions) and stops
//! the removed apps; an image it refuses becomes padding again.

use super::{Loader, Write};
use crate::error::{LoaderError, LoaderResult};
use crate::image::padding_header;
use crate::transport::LiveOperation;

/// What a running kernel did with the new images of one operation.
#[derive(Debug, Default)]
pub(super) struct LiveOutcome {
    /// Installed apps to keep: their replacement was refused.
    pub(super) kept: Vec<u32>,
    /// The first refusal, reported once every write is done.
    pub(super) refused: Option<LoaderError>,
}

impl Loader<'_> {
    /// On a running kernel, once the new images are linked into the chain
    /// and before replaced apps' headers become padding: start each new
    /// app (replacing the running app of the same name), then stop the
    /// apps being removed. The kernel refuses writes into a loaded app's
    /// image, so stopping comes before the padding writes. A new image the
    /// kernel refuses becomes padding again at once (so retries leave no
    /// copies), and the app it was to replace is kept.
    pub(super) fn start_and_stop_live(&mut self, writes: &[Write]) -> LoaderResult<LiveOutcome> {
        let stopping: Vec<(&str, u32)> = writes
            .iter()
            .filter(|write| write.phase == 4)
            .filter_map(|write| Some((write.app.as_deref()?, write.address)))
            .collect();
        let mut outcome = LiveOutcome::default();
        let mut replaced = Vec::new();
        let running = self.running_images()?;
        for write in writes.iter().filter(|write| write.phase == 3) {
            let Some(name) = write.app.as_deref() else {
                continue;
            };
            let olds: Vec<u32> = stopping
                .iter()
                .filter(|(old, _)| *old == name)
                .map(|&(_, old)| old)
                .collect();
            // The one that runs, when a cut left more than one image.
            let old = olds
                .iter()
                .copied()
                .find(|old| running.contains(old))
                .or(olds.first().copied());
            let operation = match old {
                Some(old) => {
                    replaced.push(old);
                    self.note(format!("replacing {name} (no reboot)"));
                    LiveOperation::Replace {
                        old,
                        new: write.address,
                    }
                }
                None => {
                    self.note(format!("starting {name} (no reboot)"));
                    LiveOperation::Install(write.address)
                }
            };
            if let Err(error) = self.transport.live_operation(operation) {
                self.note(format!(
                    "the device refused {name} at {:#x}; freeing its space again",
                    write.address
                ));
                let total_size = tbf::parse_base(&write.bytes).map_or(0, |base| base.total_size);
                self.transport
                    .write(write.address, &padding_header(total_size))?;
                // Every old image of the app stays, as it was.
                outcome.kept.extend(&olds);
                replaced.extend(&olds);
                outcome.refused.get_or_insert(error);
            }
        }
        for (name, address) in stopping {
            if !replaced.contains(&address) {
                self.note(format!("stopping {name}"));
                self.transport
                    .live_operation(LiveOperation::Remove(address))?;
            }
        }
        Ok(outcome)
    }

    /// The images processes run from, where the device says (a running
    /// kernel); empty where it does not.
    fn running_images(&mut self) -> LoaderResult<Vec<u32>> {
        let states = self.transport.app_states()?.unwrap_or_default();
        Ok(states
            .into_iter()
            .filter(|(_, state)| state.has_process())
            .map(|(address, _)| address)
            .collect())
    }
}
