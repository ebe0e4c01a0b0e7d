//! `process stop|start|restart NAME` on a running kernel: checked against
//! the shared state model (`loader_protocol::AppState`) before the kernel
//! is asked, so a refused action changes nothing; the kernel checks it
//! again (WRONG_STATE).

use super::Loader;
use crate::error::{LoaderError, LoaderResult};
use crate::transport::LiveOperation;
use loader_protocol::{AppAction, ProcessAction};

impl Loader<'_> {
    /// Stop, resume or restart the process of app `name`.
    pub fn control_process(&mut self, name: &str, action: ProcessAction) -> LoaderResult<()> {
        let Some(states) = self.transport.app_states()? else {
            return Err(LoaderError::Refused(format!(
                "{}: process control needs a running kernel with the loader service",
                self.transport.describe()
            )));
        };
        let chain = self.chain()?;
        // The image a process runs from, if the app has several.
        let images: Vec<_> = chain.apps().filter(|app| app.name == name).collect();
        let state_of = |address: u32| states.iter().find(|(at, _)| *at == address).map(|s| s.1);
        let chosen = images
            .iter()
            .find(|app| state_of(app.address).is_some_and(|state| state.has_process()))
            .or(images.first());
        let Some(app) = chosen else {
            return Err(LoaderError::NoSuchApp {
                names: name.to_string(),
                device: self.transport.describe(),
            });
        };
        let checked = match action {
            ProcessAction::Stop => AppAction::Stop,
            ProcessAction::Resume => AppAction::Start,
            ProcessAction::Restart => AppAction::Restart,
        };
        if let Some(state) = state_of(app.address) {
            if let Err(wrong) = state.check(checked) {
                return Err(LoaderError::Refused(format!(
                    "{name} at {:#x} is {}: {wrong}; nothing was changed",
                    app.address,
                    state.name()
                )));
            }
        }
        self.transport.live_operation(LiveOperation::Control {
            address: app.address,
            action,
        })
    }
}
