//! The tock-bootloader protocol over a serial port or a TCP socket (QEMU's
//! `-serial tcp:...`), spoken through `loader-protocol`.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use loader_protocol::{
    crc32, decode_attribute, encode_attribute, encode_command, max_encoded_length, AppState,
    ExtensionStatus, Request, Response, ResponseDecoder, ResponseEvent, MAX_COMMAND_PAYLOAD,
    MAX_READ_LENGTH, PAGE_SIZE,
};

use super::{AttributePair, LiveOperation, Transport};
use crate::error::{LoaderError, LoaderResult};

/// What a bootloader answers to ENTER_BOOTLOADER (a kernel answers an
/// empty body, then resets).
const BOOTLOADER_ANSWER: &[u8] = b"bootloader";

/// PINGs sent before a device counts as not answering.
const CONNECT_ATTEMPTS: u32 = 2;

/// How long one read may wait for the device.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_millis(1000);

/// A byte link to a device.
pub trait ByteLink: Read + Write + Send {}
impl<T: Read + Write + Send> ByteLink for T {}

/// An open serial port or socket.
pub struct SerialLink {
    name: String,
    link: Box<dyn ByteLink>,
    /// A second handle on the same port, for writing from another thread.
    writer: Option<Box<dyn Write + Send>>,
}

impl SerialLink {
    /// Open `port`: a device path (a tty or pty) or `tcp:HOST:PORT`.
    pub fn open(port: &str, baud_rate: u32) -> LoaderResult<SerialLink> {
        let failure = |reason: String| LoaderError::Link {
            device: port.to_string(),
            reason,
        };
        let writer: Option<Box<dyn Write + Send>>;
        let link: Box<dyn ByteLink> = if let Some(stream) = super::shared_port::connect(port) {
            // A `loader listen` holds the port: go through it.
            stream
                .set_read_timeout(Some(RESPONSE_TIMEOUT))
                .map_err(|e| failure(e.to_string()))?;
            writer = stream
                .try_clone()
                .ok()
                .map(|clone| Box::new(clone) as Box<dyn Write + Send>);
            Box::new(stream)
        } else if let Some(address) = port.strip_prefix("tcp:") {
            let stream =
                TcpStream::connect(address).map_err(|e| failure(format!("cannot connect: {e}")))?;
            stream
                .set_read_timeout(Some(RESPONSE_TIMEOUT))
                .map_err(|e| failure(e.to_string()))?;
            writer = stream
                .try_clone()
                .ok()
                .map(|clone| Box::new(clone) as Box<dyn Write + Send>);
            Box::new(stream)
        } else {
            let serial = serialport::new(port, baud_rate)
                .timeout(RESPONSE_TIMEOUT)
                .open()
                .map_err(|e| failure(format!("cannot open: {e}")))?;
            // Bytes a previous client left unread (a pty keeps them) would
            // be taken for answers to our commands.
            serial
                .clear(serialport::ClearBuffer::Input)
                .map_err(|e| failure(format!("cannot clear its input: {e}")))?;
            writer = serial
                .try_clone()
                .ok()
                .map(|clone| Box::new(clone) as Box<dyn Write + Send>);
            Box::new(serial)
        };
        Ok(SerialLink {
            name: port.to_string(),
            link,
            writer,
        })
    }

    /// Wrap any byte link (tests use an in-memory device).
    pub fn from_link(name: &str, link: Box<dyn ByteLink>) -> SerialLink {
        SerialLink {
            name: name.to_string(),
            link,
            writer: None,
        }
    }

    /// The link for reading, and a second handle for writing from another
    /// thread when the port allows one (`listen`).
    pub fn split(self) -> (Box<dyn ByteLink>, Option<Box<dyn Write + Send>>) {
        (self.link, self.writer)
    }
}

/// The tock-bootloader (or our kernel's loader service) at the end of a link.
pub struct SerialBootloader {
    link: SerialLink,
    decoder: Box<ResponseDecoder<8192>>,
    /// Bytes on the wire, both directions (for the efficiency figure).
    pub wire_bytes: u64,
    /// Whether a running kernel answers (asked once).
    live: Option<bool>,
    /// Pages this session wrote, by address (checked by CRC before use).
    known_pages: HashMap<u32, Vec<u8>>,
    /// Console output of a running kernel that arrived between answers.
    console: Vec<u8>,
}

impl SerialBootloader {
    /// Talk to the bootloader on `link`; checks it answers PING.
    pub fn connect(link: SerialLink) -> LoaderResult<SerialBootloader> {
        let mut bootloader = SerialBootloader {
            link,
            decoder: Box::new(ResponseDecoder::new()),
            wire_bytes: 0,
            live: None,
            known_pages: HashMap::new(),
            console: Vec::new(),
        };
        // A board's bootloader may swallow the first bytes after a reset
        // (qemu-rv32-virt's looks for a ping there): ask again before
        // giving up.
        let mut attempts = CONNECT_ATTEMPTS;
        loop {
            attempts -= 1;
            match bootloader.command(&Request::Ping, Response::Pong, 0) {
                Ok(_) => return Ok(bootloader),
                Err(error) if attempts == 0 => return Err(error),
                Err(_) => *bootloader.decoder = ResponseDecoder::new(),
            }
        }
    }

    /// Leave a running kernel for the board's serial bootloader: the
    /// kernel answers ENTER_BOOTLOADER and resets, and the bootloader
    /// answers PING within `wait`. Returns false when the device already
    /// was in its bootloader.
    pub fn enter_bootloader(&mut self, wait: Duration) -> LoaderResult<bool> {
        let body = self.extension_ok(&Request::EnterBootloader)?;
        if body == BOOTLOADER_ANSWER {
            return Ok(false);
        }
        self.live = None;
        let deadline = std::time::Instant::now() + wait;
        loop {
            // A fresh decoder: the reset may have cut console output.
            *self.decoder = ResponseDecoder::new();
            match self.command(&Request::Ping, Response::Pong, 0) {
                Ok(_) => return Ok(true),
                Err(error) if std::time::Instant::now() >= deadline => {
                    return Err(self.link_error(format!(
                        "the kernel reset but no bootloader answered within {wait:?} ({error}); \
                         is the bootloader at the reset vector?"
                    )))
                }
                Err(_) => {}
            }
        }
    }

    /// Tell the bootloader to start the kernel (EXIT; it sends no answer).
    pub fn exit_bootloader(&mut self) -> LoaderResult<()> {
        let mut frame = [0u8; 4];
        let length = encode_command(loader_protocol::Command::Exit, &[], &mut frame)
            .map_err(|_| self.link_error("frame buffer too small".to_string()))?;
        self.link
            .link
            .write_all(&frame[..length])
            .and_then(|()| self.link.link.flush())
            .map_err(|e| self.link_error(format!("write failed: {e}")))?;
        self.wire_bytes += length as u64;
        Ok(())
    }

    /// Set bootloader attribute `key` to `value`, in the slot that holds
    /// `key`, else the first empty one (as tockloader does). Returns the
    /// slot. A bootloader refuses (INTERROR) a slot it cannot program
    /// without erasing its own flash.
    pub fn set_attribute(&mut self, key: &str, value: &str) -> LoaderResult<u8> {
        let encoded = encode_attribute(key, value).map_err(|error| LoaderError::Configuration {
            what: "attribute".to_string(),
            hint: format!("{error:?}: keys are 1 to 8 bytes, values 1 to 55 bytes"),
        })?;
        let mut empty = None;
        let mut found = None;
        for index in 0..loader_protocol::attribute::ATTRIBUTE_COUNT as u8 {
            let slot = self.command(&Request::GetAttribute { index }, Response::GetAttribute, 0)?;
            match decode_attribute(&slot) {
                Some(attribute) if attribute.key == key => {
                    found = Some(index);
                    break;
                }
                None if empty.is_none() => empty = Some(index),
                _ => {}
            }
        }
        let index = found
            .or(empty)
            .ok_or_else(|| self.link_error("all 16 attribute slots are taken".to_string()))?;
        let request = Request::SetAttribute {
            index,
            slot: &encoded,
        };
        match self.command(&request, Response::Ok, 0) {
            Ok(_) => Ok(index),
            Err(LoaderError::Protocol { answer, .. }) if answer == "InternalError" => {
                Err(LoaderError::Refused(format!(
                    "{}: attribute slot {index} cannot be rewritten without erasing the \
                     bootloader's own flash block; only empty slots can be set",
                    self.link.name
                )))
            }
            Err(error) => Err(error),
        }
    }

    fn link_error(&self, reason: String) -> LoaderError {
        LoaderError::Link {
            device: self.link.name.clone(),
            reason,
        }
    }

    /// Send a request; return the payload of the expected response.
    pub fn command(
        &mut self,
        request: &Request<'_>,
        expected: Response,
        read_length: usize,
    ) -> LoaderResult<Vec<u8>> {
        let mut payload = [0u8; MAX_COMMAND_PAYLOAD];
        let length = request
            .write_payload(&mut payload)
            .ok_or_else(|| self.link_error("command payload too long".to_string()))?;
        let mut frame = vec![0u8; max_encoded_length(length)];
        let frame_length = encode_command(request.command(), &payload[..length], &mut frame)
            .map_err(|_| self.link_error("frame buffer too small".to_string()))?;
        self.link
            .link
            .write_all(&frame[..frame_length])
            .map_err(|e| self.link_error(format!("write failed: {e}")))?;
        self.wire_bytes += frame_length as u64;
        self.decoder.expect_read_length(read_length);
        let (mut response, mut payload) = self.receive()?;
        // A PONG to a ping that timed out earlier (a device still booting
        // when it was sent) may arrive first: skip it.
        while response == Response::Pong && expected != Response::Pong {
            (response, payload) = self.receive()?;
        }
        if response != expected {
            return Err(LoaderError::Protocol {
                device: self.link.name.clone(),
                command: format!("{:?}", request.command()),
                answer: format!("{response:?}"),
                hint: hint_for(response).to_string(),
            });
        }
        Ok(payload)
    }

    /// Send an extension command; return its status and body.
    pub fn extension(&mut self, request: &Request<'_>) -> LoaderResult<(ExtensionStatus, Vec<u8>)> {
        let answer = self.command(request, Response::Extension, 0)?;
        let status = answer
            .first()
            .and_then(|&status| ExtensionStatus::from_u8(status))
            .unwrap_or(ExtensionStatus::InternalError);
        Ok((status, answer.get(3..).unwrap_or(&[]).to_vec()))
    }

    /// Send an extension command that must succeed; its body.
    pub fn extension_ok(&mut self, request: &Request<'_>) -> LoaderResult<Vec<u8>> {
        let (status, body) = self.extension(request)?;
        if status != ExtensionStatus::Ok {
            return Err(LoaderError::Protocol {
                device: self.link.name.clone(),
                command: format!("{:?}", request.command()),
                answer: format!("{status:?}: {}", String::from_utf8_lossy(&body)),
                hint: extension_hint(status, &String::from_utf8_lossy(&body)).to_string(),
            });
        }
        Ok(body)
    }

    fn receive(&mut self) -> LoaderResult<(Response, Vec<u8>)> {
        let mut byte = [0u8; 1];
        loop {
            let count = self.link.link.read(&mut byte).map_err(|e| {
                self.link_error(format!("no answer ({e}); is the device in its bootloader?"))
            })?;
            if count == 0 {
                return Err(self.link_error("the link closed".to_string()));
            }
            self.wire_bytes += 1;
            match self.decoder.push(byte[0]) {
                ResponseEvent::Response(frame) => {
                    return Ok((frame.response, frame.payload.to_vec()))
                }
                ResponseEvent::Error(error) => {
                    return Err(self.link_error(format!("malformed answer: {error:?}")))
                }
                ResponseEvent::Console(byte) => self.console.push(byte),
                ResponseEvent::Pending => {}
            }
        }
    }

    fn write_page(&mut self, address: u32, page: &[u8]) -> LoaderResult<()> {
        self.command(
            &Request::WritePage {
                address,
                data: page,
            },
            Response::Ok,
            0,
        )
        .map(|_| ())
    }

    /// The current contents of the page at `address`, for a write that
    /// covers it in part. A page this session wrote, or an erased one,
    /// costs a CRC command instead of a 512-byte read.
    fn existing_page(&mut self, address: u32) -> LoaderResult<Vec<u8>> {
        if let Some(known) = self.known_pages.get(&address).cloned() {
            if self.verify(address, &known).is_ok() {
                return Ok(known);
            }
        }
        let erased = vec![0xFF; PAGE_SIZE];
        if self.verify(address, &erased).is_ok() {
            return Ok(erased);
        }
        self.read(address, PAGE_SIZE)
    }

    fn verify(&mut self, address: u32, expected: &[u8]) -> LoaderResult<()> {
        let length = u32::try_from(expected.len()).unwrap_or(u32::MAX);
        let answer = self.command(
            &Request::CrcInternalFlash { address, length },
            Response::CrcInternalFlash,
            0,
        )?;
        let device_crc = u32::from_le_bytes(
            answer
                .get(..4)
                .and_then(|b| b.try_into().ok())
                .unwrap_or([0; 4]),
        );
        let local_crc = crc32(expected);
        if device_crc != local_crc {
            return Err(LoaderError::VerifyFailed {
                device: self.link.name.clone(),
                address,
                detail: format!("device CRC {device_crc:#010x}, expected {local_crc:#010x}"),
            });
        }
        Ok(())
    }
}

fn extension_hint(status: ExtensionStatus, reason: &str) -> &'static str {
    if reason.contains("same identity") {
        return "another app with the same identity runs at an equal or higher version; uninstall it, or install a higher version";
    }
    if reason.contains("below the minimum") {
        return "the board keeps a minimum version for this app (anti-rollback): install a version at least that high, or apply a rollback permit signed by the board's root key (`loader keys permit`)";
    }
    if reason.contains("revoked") {
        return "every key that signed it is revoked on this board: sign it with an active key (`loader keys list` shows them) and install it again";
    }
    match status {
        ExtensionStatus::CredentialsRejected => {
            "the device refused the app's credentials; sign it with a key the board trusts"
        }
        ExtensionStatus::NoSpace => "no free process slot or RAM; remove an app first",
        ExtensionStatus::Busy => "another operation is in progress; retry",
        ExtensionStatus::WrongState => {
            "nothing was changed; `loader process list` shows each app's state"
        }
        ExtensionStatus::NotFound => "`loader list` shows what is installed",
        _ => "the image stays in flash but does not run; `loader list` shows the apps",
    }
}

fn hint_for(response: Response) -> &'static str {
    match response {
        Response::BadAddress => {
            "the address is outside what the bootloader may write; check --app-address"
        }
        Response::BadArguments => "the bootloader rejected the arguments; is it a tock-bootloader?",
        Response::InternalError => "the device's flash failed; retry, or reset the board",
        Response::Unknown => "the bootloader does not know this command; update it",
        Response::Overflow => "the command was too long for the bootloader's buffer",
        _ => "retry; if it persists, reset the board into its bootloader",
    }
}

impl Transport for SerialBootloader {
    fn describe(&self) -> String {
        format!("serial {}", self.link.name)
    }

    fn read(&mut self, address: u32, length: usize) -> LoaderResult<Vec<u8>> {
        let mut bytes = Vec::with_capacity(length);
        while bytes.len() < length {
            let chunk = (length - bytes.len()).min(MAX_READ_LENGTH);
            let chunk_address = address.wrapping_add(bytes.len() as u32);
            let data = self.command(
                &Request::ReadRange {
                    address: chunk_address,
                    length: chunk as u16,
                },
                Response::ReadRange,
                chunk,
            )?;
            bytes.extend_from_slice(&data);
        }
        Ok(bytes)
    }

    fn write(&mut self, address: u32, bytes: &[u8]) -> LoaderResult<()> {
        // Bytes already there (erased space under padding fill, an
        // unchanged image) cost one CRC command instead of their pages.
        if self.verify(address, bytes).is_ok() {
            return Ok(());
        }
        let page = PAGE_SIZE as u32;
        let start = address - address % page;
        let end =
            (u64::from(address) + bytes.len() as u64).div_ceil(u64::from(page)) * u64::from(page);
        let mut image = vec![0xFF; (end - u64::from(start)) as usize];
        let offset = (address - start) as usize;
        // Pages the write covers only in part keep their other bytes: read
        // just those pages back first.
        let tail = offset + bytes.len();
        let last = image.len() - PAGE_SIZE;
        if offset != 0 {
            image[..PAGE_SIZE].copy_from_slice(&self.existing_page(start)?);
        }
        let last_page_already_read = offset != 0 && last == 0;
        if !tail.is_multiple_of(PAGE_SIZE) && !last_page_already_read {
            let existing = self.existing_page(start + last as u32)?;
            image[last..].copy_from_slice(&existing);
        }
        image[offset..tail].copy_from_slice(bytes);
        for (index, chunk) in image.chunks(PAGE_SIZE).enumerate() {
            let page_address = start + (index * PAGE_SIZE) as u32;
            self.write_page(page_address, chunk)?;
            self.known_pages.insert(page_address, chunk.to_vec());
        }
        self.verify(start, &image)
    }

    fn attributes(&mut self) -> LoaderResult<Vec<AttributePair>> {
        let mut attributes = Vec::new();
        for index in 0..loader_protocol::attribute::ATTRIBUTE_COUNT as u8 {
            let slot = self.command(&Request::GetAttribute { index }, Response::GetAttribute, 0)?;
            if let Some(attribute) = decode_attribute(&slot) {
                attributes.push((attribute.key.to_string(), attribute.value.to_string()));
            }
        }
        Ok(attributes)
    }

    fn wire_bytes(&self) -> Option<u64> {
        Some(self.wire_bytes)
    }

    fn take_console(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.console)
    }

    fn is_live(&mut self) -> bool {
        if let Some(live) = self.live {
            return live;
        }
        let live = matches!(
            self.extension(&Request::ServiceInfo),
            Ok((ExtensionStatus::Ok, _))
        );
        self.live = Some(live);
        live
    }

    fn app_states(&mut self) -> LoaderResult<Option<Vec<(u32, AppState)>>> {
        if !self.is_live() {
            return Ok(None);
        }
        let body = self.extension_ok(&Request::ListApps)?;
        let states = loader_protocol::app_records(&body)
            .map(|record| (record.address, AppState::of(record.enabled, record.state)))
            .collect();
        Ok(Some(states))
    }

    fn refusal_reasons(&mut self) -> LoaderResult<Vec<(u32, loader_protocol::RefusalReason)>> {
        if !self.is_live() {
            return Ok(Vec::new());
        }
        let body = self.extension_ok(&Request::ListApps)?;
        let reasons = loader_protocol::app_records(&body)
            .filter_map(|record| Some((record.address, record.refusal?)))
            .collect();
        Ok(reasons)
    }

    fn extension_request(&mut self, request: &Request<'_>) -> LoaderResult<Vec<u8>> {
        if !self.is_live() {
            return Err(LoaderError::Refused(format!(
                "{}: {:?} needs a running kernel; this is a bootloader",
                self.link.name,
                request.command()
            )));
        }
        self.extension_ok(request)
    }

    fn live_operation(&mut self, operation: LiveOperation) -> LoaderResult<()> {
        let request = match operation {
            LiveOperation::Install(address) => Request::InstallApp {
                address,
                total_size: 0,
            },
            LiveOperation::Replace { old, new } => Request::ReplaceApp {
                old_address: old,
                new_address: new,
            },
            LiveOperation::Remove(address) => Request::RemoveApp { address },
            LiveOperation::Control { address, action } => {
                Request::ControlProcess { address, action }
            }
            LiveOperation::ReplaceInPlace {
                old,
                new,
                source,
                length,
            } => Request::ReplaceInPlace {
                old_address: old,
                new_address: new,
                source,
                length,
            },
        };
        self.extension_ok(&request).map(|_| ())
    }

    fn trust_state(&mut self) -> LoaderResult<Option<Vec<u8>>> {
        if !self.is_live() {
            return Ok(None);
        }
        match self.extension(&Request::TrustState)? {
            (ExtensionStatus::Ok, body) => Ok(Some(body)),
            (ExtensionStatus::Unsupported, _) => Ok(None),
            (status, body) => Err(LoaderError::Protocol {
                device: self.link.name.clone(),
                command: "TrustState".to_string(),
                answer: format!("{status:?}: {}", String::from_utf8_lossy(&body)),
                hint: extension_hint(status, "").to_string(),
            }),
        }
    }

    fn apply_trust_change(&mut self, change: &[u8]) -> LoaderResult<()> {
        if !self.is_live() {
            return Err(super::trust_answer::not_live(&self.describe()));
        }
        let (status, body) = self.extension(&Request::ApplyTrustChange { change })?;
        super::trust_answer::check(&self.describe(), status, &body)
    }

    fn bootloader_version(&mut self) -> LoaderResult<Option<String>> {
        let info = self.command(&Request::Info, Response::Info, 0)?;
        let length = usize::from(info.first().copied().unwrap_or(0));
        let json = info.get(1..1 + length).unwrap_or(&[]);
        let value: serde_json::Value = serde_json::from_slice(json).unwrap_or_default();
        Ok(value
            .get("version")
            .and_then(|version| version.as_str())
            .map(str::to_string))
    }
}

#[cfg(test)]
mod hint_tests {
    use super::*;

    #[test]
    fn a_version_below_the_minimum_is_answered_with_the_permit_not_signing_advice() {
        let reason = "the old one keeps running; the new build was refused: version 1 below the minimum 2 for hello";
        let hint = extension_hint(ExtensionStatus::CredentialsRejected, reason);
        assert!(hint.contains("loader keys permit"), "{hint}");
    }

    #[test]
    fn a_duplicate_identity_is_not_answered_with_signing_advice() {
        let reason =
            "refused: not started: hello version 2 has the same identity (the higher version runs)";
        let hint = extension_hint(ExtensionStatus::CredentialsRejected, reason);
        assert!(hint.contains("same identity"), "{hint}");
        let signed = extension_hint(ExtensionStatus::CredentialsRejected, "refused: not signed");
        assert!(signed.contains("sign it"), "{signed}");
    }
}
