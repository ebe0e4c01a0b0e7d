//! The loader service of the running kernel: the tock-bootloader serial
//! protocol and our app-management extensions (`docs/loader.md`), served
//! on the console UART while the console keeps working.
//!
//! It sits between the UART and the UART mux and filters what arrives:
//!
//! ```text
//!  UART --bytes--> AppLoader --console bytes--> UartMux --> console, process console, ...
//!                     |  frames (ESC RESET ... ESC cmd)
//!                     +--> flash HIL (WRITE_PAGE), AppManagement (INSTALL/REPLACE/REMOVE)
//!  answers: written by polling (never interleaved with other output)
//!  console output: UartMux --> AppLoader (ESC doubled) --> UART
//! ```
//!
//! Guarantees:
//! - nothing outside the board's app flash is ever written or erased
//!   through it (BADADDR), and never flash a loaded process runs from;
//! - installs add images without erasing: WRITE_PAGE and ERASE_PAGE are
//!   refused where a byte that changes lies in a loaded process's image;
//! - flash is only ever programmed where that clears bits: a WRITE_PAGE
//!   that sets a bit (a header turned into padding, a flag edit) goes
//!   through the board's flash journal, which rewrites the erase block
//!   power-cut safely ([`kernel::flash_journal`]), or is refused;
//! - every app it starts goes through the kernel's loading path
//!   ([`kernel::app_management`]), so the board's checks (credentials
//!   included) apply to live installs as they do at boot.
//!
//! Must never: answer from inside a downcall of a client, or block on the
//! link beyond writing one answer.

mod answer;
mod console_link;
mod duplicates;
mod flash_writes;
mod in_place;
mod refusals;
pub mod test_install;
mod test_install_service;
#[cfg(test)]
mod test_install_tests;
#[cfg(test)]
mod tests;
mod trust;

use core::cell::{Cell, RefCell};

use kernel::app_management::{AppManagement, AppManagementClient, AppOperation, ManagementError};
use kernel::capability::ProcessManagementCapability;
use kernel::credential::{CredentialCheckClient, NotStarted};
use kernel::flash_journal::BlockRewrite;
use kernel::hil::flash::Flash;
use kernel::hil::uart::{ReceiveClient, TransmitClient, Uart};
use kernel::identity::Approval;
use kernel::process::State;
use kernel::process_loading::SkipReason;
use kernel::{ErrorCode, Kernel, ProcessManagement};
use loader_protocol::attribute::ATTRIBUTE_SIZE;
use loader_protocol::{
    encode_attribute, AppAction, AppRecord, AppState, CommandDecoder, CommandEvent,
    ExtensionStatus, LinkMode, ProcessAction, ProcessState, Request, RequestError, Response,
    MAX_COMMAND_PAYLOAD, PAGE_SIZE,
};

pub use answer::LinkWriter;
use answer::{extension_answer, write_answer, write_escaped};
pub use loader_protocol::ConfirmPolicy;
pub use test_install_service::ConfirmRefusal;

/// Resets the device into its serial bootloader (the board provides it:
/// a request word the bootloader reads at reset, then a reset).
pub trait BootloaderEntry {
    /// Ask for the bootloader at the next reset, and reset now.
    fn reset_into_bootloader(&self) -> !;
}

/// The INFO answer: upstream's JSON, naming this service.
const INFO_JSON: &str = r#"{"version":"0.1.0","name":"tock-kernel-loader"}"#;

/// The loader service.
pub struct AppLoader<'a> {
    uart: &'a dyn Uart<'a>,
    writer: &'a dyn LinkWriter,
    flash: &'a dyn Flash<'a>,
    /// Address of flash page 0 of `flash`.
    flash_base: usize,
    management: &'a AppManagement,
    kernel: &'static Kernel,
    capability: &'a dyn ProcessManagementCapability,
    decoder: RefCell<CommandDecoder<MAX_COMMAND_PAYLOAD>>,
    receive_byte: Cell<Option<&'static mut [u8]>>,
    page: Cell<Option<&'static mut [u8]>>,
    /// The second page of a write that is not page-aligned, and its page
    /// number once the first page is being written.
    second_page: Cell<Option<&'static mut [u8]>>,
    second_pending: Cell<Option<usize>>,
    /// The console side: who gets console bytes, and its open receive
    /// (buffer, wanted length, bytes filled).
    console_client: Cell<Option<&'a dyn ReceiveClient>>,
    console_receive: Cell<Option<(&'static mut [u8], usize, usize)>>,
    /// Who sends console output through the service (the mux), and its
    /// transmission in progress (sent with ESC doubled).
    transmit_client: Cell<Option<&'a dyn TransmitClient>>,
    console_transmit: Cell<Option<console_link::EscapedTransmit>>,
    /// The board's attributes (`board`, `arch`, `appaddr`, `pagesize`),
    /// answered as upstream's bootloader stores them.
    attributes: &'a [(&'a str, &'a str)],
    /// An installed image whose credentials are being checked: its answer
    /// waits for the checker's verdict.
    awaiting_check: Cell<Option<usize>>,
    /// The old app of a replace whose new image awaits the checker: loaded
    /// again if the new one is refused (its image was not touched).
    replaced: Cell<Option<usize>>,
    /// An install of `replaced` is pending: the host already has its answer.
    restoring: Cell<bool>,
    /// Flash READ_RANGE and CRC may also read (never write).
    readable: Option<&'a [u8]>,
    /// Starting the apps written without INSTALL_APP: the chain address
    /// after which the next one is looked for, while that goes on.
    syncing: Cell<Option<usize>>,
    /// Rewrites a block in place (power-cut safe) for page writes that set
    /// bits, which programming cannot; `None`: such writes are refused.
    rewriter: Option<&'a dyn BlockRewrite>,
    /// The board's credential policy, checked on a new build before it
    /// replaces an old one in its own slot; `None`: any app is accepted.
    credential_policy: Cell<Option<kernel::credential::CredentialPolicy>>,
    /// A replace in place waiting for its old process to stop.
    in_place: Cell<Option<in_place::InPlace>>,
    /// Why refused images were refused (LIST_APPS reports it).
    refusals: refusals::Refusals,
    /// Resets into the board's serial bootloader (ENTER_BOOTLOADER);
    /// `None`: the board has none, the command is answered unsupported.
    bootloader_entry: Option<&'a dyn BootloaderEntry>,
    /// The board's trust store (TRUST_STATE, APPLY_TRUST_CHANGE, and
    /// LIST_APPS's re-derived refusals); `None`: answered unsupported.
    trust: Cell<Option<&'a dyn kernel::credential::TrustManagement>>,
    /// Test installs: the board's confirmation policy and the watch.
    test_installs: test_install_service::TestInstalls<'a>,
}

impl<'a> AppLoader<'a> {
    /// The service over `uart`, answering through `writer`, writing
    /// `flash` (whose page 0 is at `flash_base`) and managing apps through
    /// `management`. `receive_byte` is at least 1 byte, `page` at least
    /// two [`PAGE_SIZE`]s (a write that is not page-aligned spans two). The board makes it the client of the UART's receive
    /// half, of `flash` and of `management`, then calls [`Self::start`].
    #[allow(clippy::too_many_arguments)] // reason: one constructor wiring every dependency
    pub fn new(
        uart: &'a dyn Uart<'a>,
        writer: &'a dyn LinkWriter,
        flash: &'a dyn Flash<'a>,
        flash_base: usize,
        management: &'a AppManagement,
        kernel: &'static Kernel,
        capability: &'a dyn ProcessManagementCapability,
        receive_byte: &'static mut [u8],
        page: &'static mut [u8],
    ) -> Self {
        let (first_page, second_page) = page.split_at_mut(page.len() / 2);
        AppLoader {
            uart,
            writer,
            flash,
            flash_base,
            management,
            kernel,
            capability,
            decoder: RefCell::new(CommandDecoder::new(LinkMode::Shared)),
            receive_byte: Cell::new(Some(receive_byte)),
            page: Cell::new(Some(first_page)),
            second_page: Cell::new(Some(second_page)),
            second_pending: Cell::new(None),
            console_client: Cell::new(None),
            console_receive: Cell::new(None),
            transmit_client: Cell::new(None),
            console_transmit: Cell::new(None),
            attributes: &[],
            awaiting_check: Cell::new(None),
            replaced: Cell::new(None),
            restoring: Cell::new(false),
            rewriter: None,
            credential_policy: Cell::new(None),
            in_place: Cell::new(None),
            refusals: refusals::Refusals::new(),
            syncing: Cell::new(None),
            readable: None,
            bootloader_entry: None,
            trust: Cell::new(None),
            test_installs: test_install_service::TestInstalls::new(),
        }
    }

    /// The attributes GET_ATTRIBUTE answers, by slot (key, value).
    pub fn set_attributes(&mut self, attributes: &'a [(&'a str, &'a str)]) {
        self.attributes = attributes;
    }

    /// The journal that rewrites flash blocks in place (see
    /// [`kernel::flash_journal`]), for page writes that set bits.
    pub fn set_block_rewrite(&mut self, rewriter: &'a dyn BlockRewrite) {
        self.rewriter = Some(rewriter);
    }

    /// How ENTER_BOOTLOADER resets into the board's bootloader.
    pub fn set_bootloader_entry(&mut self, entry: &'a dyn BootloaderEntry) {
        self.bootloader_entry = Some(entry);
    }

    /// Flash outside app flash that READ_RANGE and CRC_INTERNAL_FLASH may
    /// read (writes stay inside app flash).
    pub fn set_readable_flash(&mut self, flash: &'a [u8]) {
        self.readable = Some(flash);
    }

    /// Start listening on the link.
    pub fn start(&self) -> Result<(), ErrorCode> {
        let byte = self.receive_byte.take().ok_or(ErrorCode::Already)?;
        self.uart.receive_buffer(byte, 1).map_err(|(code, byte)| {
            self.receive_byte.set(Some(byte));
            code
        })
    }

    /// Hand a console byte to the mux, if it is receiving.
    fn deliver_console_byte(&self, byte: u8) {
        let Some((buffer, wanted, mut filled)) = self.console_receive.take() else {
            return;
        };
        if let Some(slot) = buffer.get_mut(filled) {
            *slot = byte;
            filled += 1;
        }
        if filled >= wanted || filled >= buffer.len() {
            if let Some(client) = self.console_client.get() {
                client.received_buffer(buffer, filled, Ok(()));
            }
        } else {
            self.console_receive.set(Some((buffer, wanted, filled)));
        }
    }

    fn answer(&self, response: Response, payload: &[u8]) {
        write_answer(self.writer, response, payload);
    }

    fn extension(&self, status: ExtensionStatus, body: &[u8]) {
        extension_answer(self.writer, status, body);
    }

    /// Serve one command frame.
    fn serve(&self, code: u8, payload: &[u8]) {
        let frame = loader_protocol::CommandFrame { code, payload };
        let request = match Request::parse(&frame) {
            Ok(request) => request,
            Err(RequestError::BadArguments(_)) => return self.answer(Response::BadArguments, &[]),
            Err(_) => return self.answer(Response::Unknown, &[]),
        };
        match request {
            Request::Ping => self.answer(Response::Pong, &[]),
            Request::Info => self.info(),
            Request::ReadRange { address, length } => self.read_range(address, length),
            Request::CrcInternalFlash { address, length } => self.crc(address, length),
            Request::ErasePage { address } => self.erase_page(address as usize),
            Request::WritePage { address, data } => self.write_page(address as usize, data),
            Request::GetAttribute { index } => self.attribute(index),
            Request::ServiceInfo => self.service_info(),
            Request::ListApps => self.list_apps(),
            Request::InstallApp { address, .. } => self.request(AppOperation::Install {
                address: address as usize,
            }),
            Request::ReplaceApp {
                old_address,
                new_address,
            } => self.replace_checked(old_address as usize, new_address as usize),
            Request::ReplaceInPlace {
                old_address,
                new_address,
                source,
                length,
            } => self.replace_in_place(in_place::InPlace {
                old: old_address as usize,
                new: new_address as usize,
                source: source as usize,
                length: length as usize,
            }),
            Request::RemoveApp { address } => self.request(AppOperation::Remove {
                address: address as usize,
            }),
            Request::ControlProcess { address, action } => {
                self.control_process(address as usize, action)
            }
            // The flag itself is in the header, which the host rewrites
            // while the app is not loaded: enabling starts it, disabling
            // stops and unloads it.
            Request::EnableApp { address } => self.request(AppOperation::Install {
                address: address as usize,
            }),
            Request::DisableApp { address } => self.request(AppOperation::Remove {
                address: address as usize,
            }),
            Request::EnterBootloader => self.enter_bootloader(),
            Request::TrustState => self.trust_state(),
            Request::ApplyTrustChange { change } => self.apply_trust_change(change),
            Request::TestInstall {
                old_address,
                new_address,
            } => self.test_install(old_address as usize, new_address as usize),
            Request::ConfirmTest { address } => self.confirm_test_from_loader(address as usize),
            Request::TestStatus => self.test_status(),
            // Upstream tockloader ends every session with EXIT and never
            // asks for installs: start what it linked into the chain.
            Request::Exit => self.start_unloaded_apps(self.management.app_flash().start),
            _ => self.answer(Response::Unknown, &[]),
        }
    }

    /// Answers first (the answer is written by polling, so it is out
    /// before the reset), then resets into the bootloader.
    fn enter_bootloader(&self) {
        match self.bootloader_entry {
            Some(entry) => {
                self.extension(ExtensionStatus::Ok, &[]);
                entry.reset_into_bootloader()
            }
            None => self.extension(
                ExtensionStatus::Unsupported,
                b"this board has no bootloader",
            ),
        }
    }

    fn info(&self) {
        let mut payload = [0u8; loader_protocol::INFO_RESPONSE_LENGTH];
        let json = INFO_JSON.as_bytes();
        payload[0] = json.len() as u8;
        payload[1..=json.len()].copy_from_slice(json);
        self.answer(Response::Info, &payload);
    }

    /// The flash bytes at `[address, address + length)`, if inside app
    /// flash.
    fn app_flash_range(&self, address: usize, length: usize) -> Option<&'static [u8]> {
        let flash = self.management.app_flash_bytes();
        let offset = address.checked_sub(flash.as_ptr() as usize)?;
        flash.get(offset..offset.checked_add(length)?)
    }

    /// Flash the host may read: app flash, or the board's wider readable
    /// region (the bootloader and kernel images: tockloader reads the
    /// kernel's attributes just below app flash).
    fn readable_range(&self, address: usize, length: usize) -> Option<&'a [u8]> {
        let wider = self.readable.and_then(|flash| {
            let offset = address.checked_sub(flash.as_ptr() as usize)?;
            flash.get(offset..offset.checked_add(length)?)
        });
        wider.or_else(|| self.app_flash_range(address, length))
    }

    fn read_range(&self, address: u32, length: u16) {
        match self.readable_range(address as usize, length as usize) {
            Some(bytes) => {
                self.writer
                    .write_bytes(&[loader_protocol::ESCAPE, Response::ReadRange as u8]);
                write_escaped(self.writer, bytes);
            }
            None => self.answer(Response::BadAddress, &[]),
        }
    }

    fn crc(&self, address: u32, length: u32) {
        match self.readable_range(address as usize, length as usize) {
            Some(bytes) => {
                let crc = loader_protocol::crc32(bytes);
                self.answer(Response::CrcInternalFlash, &crc.to_le_bytes());
            }
            None => self.answer(Response::BadAddress, &[]),
        }
    }

    fn attribute(&self, index: u8) {
        let slot = self
            .attributes
            .get(usize::from(index))
            .and_then(|(key, value)| encode_attribute(key, value).ok())
            .unwrap_or([0; ATTRIBUTE_SIZE]);
        self.answer(Response::GetAttribute, &slot);
    }

    fn service_info(&self) {
        let flash = self.management.app_flash();
        let mut body = [0u8; 12];
        body[0..4].copy_from_slice(&(flash.start as u32).to_le_bytes());
        body[4..8].copy_from_slice(&(flash.end() as u32).to_le_bytes());
        body[8..12].copy_from_slice(&(PAGE_SIZE as u32).to_le_bytes());
        self.extension(ExtensionStatus::Ok, &body);
    }

    /// Every app image in the chain with its state (the shared model,
    /// `loader_protocol::AppState`): one record per image, the process
    /// state where one is loaded from it, `NotLoaded` where none is
    /// (disabled, or refused), so `list` and `process list` agree.
    fn list_apps(&self) {
        let mut body = [0u8; 512];
        let mut position = 0;
        for image in self.management.app_images() {
            let process = self.management.process_at(self.kernel, image.address);
            let state = process.map_or(ProcessState::NotLoaded, |index| {
                wire_state(self.kernel.processes()[index].state())
            });
            let refused = image.enabled && state == ProcessState::NotLoaded;
            let record = AppRecord {
                address: image.address as u32,
                total_size: image.size as u32,
                state,
                enabled: image.enabled,
                refusal: refused.then(|| self.listed_refusal(image.address, image.size)),
                name: image.name,
            };
            match record.write(&mut body, position) {
                Some(end) => position = end,
                None => break,
            }
        }
        self.extension(ExtensionStatus::Ok, &body[..position]);
    }

    /// Stop, resume or restart the process loaded from `address`.
    fn control_process(&self, address: usize, action: ProcessAction) {
        let Some(index) = self.management.process_at(self.kernel, address) else {
            let not_running = self
                .management
                .app_images()
                .find(|image| image.address == address);
            return match not_running {
                // Checked against the shared model: says why nothing runs.
                Some(image) => {
                    let state = AppState::of(image.enabled, ProcessState::NotLoaded);
                    self.wrong_state(state, action)
                }
                None => self.extension(ExtensionStatus::NotFound, b"no app image starts there"),
            };
        };
        let state = AppState::of(true, wire_state(self.kernel.processes()[index].state()));
        if state.check(app_action(action)).is_err() {
            // Refused before anything changes.
            return self.wrong_state(state, action);
        }
        let processes = ProcessManagement::new(self.kernel, self.capability);
        let done = match action {
            ProcessAction::Stop => processes.stop(index),
            ProcessAction::Resume => processes.resume(index),
            ProcessAction::Restart => {
                processes.terminate(index);
                processes.boot(index)
            }
        };
        match done {
            true => self.extension(ExtensionStatus::Ok, &[]),
            false => self.wrong_state(state, action),
        }
    }

    fn wrong_state(&self, state: AppState, action: ProcessAction) {
        let refusal = state.check(app_action(action)).err().map_or(
            "the process changed state meanwhile; list the processes and retry",
            |wrong| wrong.message(),
        );
        self.extension(ExtensionStatus::WrongState, refusal.as_bytes());
    }

    /// Asks for the install of the first enabled app image at or after
    /// `from` that nothing runs from; the next follows when it is done.
    /// Nothing is answered: the host sent EXIT and reads no more.
    fn start_unloaded_apps(&self, from: usize) {
        let next = self.management.next_unloaded_app(self.kernel, from);
        self.syncing.set(next);
        if let Some(address) = next {
            let install = AppOperation::Install { address };
            if self.management.request(install, self.capability).is_err() {
                self.syncing.set(None);
            }
        }
    }

    fn request(&self, operation: AppOperation) {
        if let Err(error) = self.management.request(operation, self.capability) {
            self.report(Err(error));
        }
    }

    fn report(&self, result: Result<Option<usize>, ManagementError>) {
        let status = match result {
            Ok(_) => return self.extension(ExtensionStatus::Ok, &[]),
            Err(ManagementError::OutsideAppFlash(_)) => ExtensionStatus::BadAddress,
            Err(ManagementError::AlreadyLoaded(_)) => ExtensionStatus::BadAddress,
            Err(ManagementError::NotFound(_)) => ExtensionStatus::NotFound,
            Err(ManagementError::NotAnApp(_)) => ExtensionStatus::BadImage,
            Err(ManagementError::Busy) => ExtensionStatus::Busy,
            Err(ManagementError::Refused(SkipReason::NoRam(_)))
            | Err(ManagementError::Refused(SkipReason::NoFreeSlot)) => ExtensionStatus::NoSpace,
            Err(ManagementError::Refused(SkipReason::NotStarted(_))) => {
                ExtensionStatus::CredentialsRejected
            }
            Err(ManagementError::Refused(_)) => ExtensionStatus::BadImage,
        };
        let mut reason = answer::TextBuffer::new();
        if let Err(error) = result {
            let _ = core::fmt::Write::write_fmt(&mut reason, format_args!("{}", error));
        }
        self.extension(status, reason.as_bytes());
    }
}

/// The shared model's name for a process-control action.
fn app_action(action: ProcessAction) -> AppAction {
    match action {
        ProcessAction::Stop => AppAction::Stop,
        ProcessAction::Resume => AppAction::Start,
        ProcessAction::Restart => AppAction::Restart,
    }
}

/// A process state as LIST_APPS reports it.
fn wire_state(state: State) -> ProcessState {
    match state {
        State::Running => ProcessState::Running,
        State::Yielded | State::YieldedFor(_) => ProcessState::Yielded,
        State::Stopped(_) => ProcessState::Stopped,
        State::Faulted => ProcessState::Faulted,
        State::Terminated => ProcessState::Terminated,
    }
}

impl ReceiveClient for AppLoader<'_> {
    fn received_buffer(
        &self,
        buffer: &'static mut [u8],
        length: usize,
        _result: Result<(), ErrorCode>,
    ) {
        let byte = buffer[0];
        self.receive_byte.set(Some(buffer));
        if length == 1 {
            // Copy the frame out so that serving it may borrow the decoder
            // state freely (answers never re-enter the decoder).
            let mut payload = [0u8; MAX_COMMAND_PAYLOAD];
            let event = match self.decoder.borrow_mut().push(byte) {
                CommandEvent::Pending => None,
                CommandEvent::Console(byte) => Some(Err(byte)),
                CommandEvent::Command(frame) => {
                    let length = frame.payload.len().min(MAX_COMMAND_PAYLOAD);
                    payload[..length].copy_from_slice(&frame.payload[..length]);
                    Some(Ok((frame.code, length)))
                }
                CommandEvent::Overflow { .. } => {
                    self.answer(Response::Overflow, &[]);
                    None
                }
            };
            match event {
                Some(Ok((code, length))) => self.serve(code, &payload[..length]),
                Some(Err(console)) => self.deliver_console_byte(console),
                None => {}
            }
        }
        let _ = self.start();
    }
}

impl AppManagementClient for AppLoader<'_> {
    fn operation_done(
        &self,
        operation: AppOperation,
        result: Result<Option<usize>, ManagementError>,
    ) {
        self.note_refusal(operation, &result);
        if self.restoring.take() {
            return;
        }
        if self.test_operation_done(operation, &result) {
            return;
        }
        if self.in_place_stopped(operation, result.is_ok(), || self.report(result)) {
            return;
        }
        if let Some(address) = self.syncing.get() {
            // A refused image stays as it is; the next one is tried.
            return self.start_unloaded_apps(address + 1);
        }
        if let Ok(Some(index)) = result {
            let process = &self.kernel.processes()[index];
            if process.is_loaded() && process.approval() == Approval::Unchecked {
                // The board's credential checker decides; answer then.
                self.awaiting_check.set(Some(process.layout().flash.start));
                if let AppOperation::Replace { old, .. } = operation {
                    self.replaced.set(Some(old));
                }
                return;
            }
        }
        self.report(result);
    }
}

impl CredentialCheckClient for AppLoader<'_> {
    fn credentials_checked(&self, address: usize, result: Result<usize, NotStarted>) {
        match &result {
            Ok(_) => self.refusals.clear(address),
            Err(reason) => self
                .refusals
                .record(address, refusals::not_started_reason(reason)),
        }
        if self.awaiting_check.get() != Some(address) {
            return;
        }
        self.awaiting_check.set(None);
        if let (Err(_), Some(old)) = (&result, self.replaced.take()) {
            // As when a replace is refused at once: the old app runs again.
            let restore = AppOperation::Install { address: old };
            self.restoring
                .set(self.management.request(restore, self.capability).is_ok());
        }
        let result = result
            .map(Some)
            .map_err(|reason| ManagementError::Refused(SkipReason::NotStarted(reason)));
        self.report(result);
    }
}
