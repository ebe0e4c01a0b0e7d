//! Enabling and disabling apps: the enabled flag lives in the TBF header,
//! under any credential; every app is checked before anything is stopped
//! or written, and a start the device refuses puts the flag back.

use super::{Loader, Write};
use crate::error::{LoaderError, LoaderResult};
use crate::image::set_flag;
use crate::transport::LiveOperation;

impl Loader<'_> {
    /// Set or clear a header flag (enabled, sticky) on apps by name.
    /// Refuses apps whose credentials cover the header; every app is
    /// checked before anything is stopped or written, so a refusal
    /// changes nothing on the device.
    pub fn set_flag(&mut self, names: &[String], flag: u32, on: bool) -> LoaderResult<()> {
        let (_, found) = self.find(names)?;
        for app in &found {
            let image = self.transport.read(app.address, app.total_size as usize)?;
            let signed = tbf::parse(&image)
                .map(|tbf| crate::image::has_credentials(&tbf))
                .unwrap_or(false);
            if signed {
                return Err(LoaderError::Refused(format!(
                    "app `{}` at {:#x} has credentials over its header; changing a flag would invalidate them, so nothing was changed. Reinstall it with the flag set at packaging time instead",
                    app.name, app.address
                )));
            }
        }
        let live = self.transport.is_live();
        let mut writes = Vec::new();
        let mut start_after = Vec::new();
        for app in found {
            if live {
                // A running kernel refuses writes into a loaded app's
                // header: stop it first (an app not loaded answers
                // NOT FOUND, which is what we want).
                let _ = self
                    .transport
                    .live_operation(LiveOperation::Remove(app.address));
                let enabled_after = if flag == tbf::FLAG_ENABLED {
                    on
                } else {
                    app.enabled
                };
                if enabled_after {
                    let mut original = app.header.clone();
                    original.truncate(tbf::BASE_HEADER_SIZE);
                    start_after.push((app.address, original));
                }
            }
            let mut header = app.header.clone();
            set_flag(&mut header, flag, on);
            header.truncate(tbf::BASE_HEADER_SIZE);
            writes.push(Write {
                address: app.address,
                bytes: header,
                phase: 3,
                app: None,
                // The flag change is the whole operation.
                counted: true,
            });
        }
        self.apply(writes, None, "set flag")?;
        for (address, original) in start_after {
            if let Err(error) = self
                .transport
                .live_operation(LiveOperation::Install(address))
            {
                // The board refuses the app (credentials, RAM): put the
                // header back as it was, so the refusal changes nothing.
                self.transport.write(address, &original)?;
                return Err(error);
            }
        }
        Ok(())
    }
}
