//! Round trips between the encoders and the decoders, and robustness of
//! the decoders on arbitrary bytes.

use super::*;
use proptest::prelude::*;

fn decode_commands<const N: usize>(mode: LinkMode, wire: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut decoder = CommandDecoder::<N>::new(mode);
    let mut frames = Vec::new();
    for byte in wire {
        if let CommandEvent::Command(frame) = decoder.push(*byte) {
            frames.push((frame.code, frame.payload.to_vec()));
        }
    }
    frames
}

#[test]
fn tockloader_write_page_decodes() {
    // What tockloader sends: SYNC, escaped payload, ESC, WRITE_PAGE.
    let mut wire = SYNC.to_vec();
    wire.extend_from_slice(&0x2004_0000u32.to_le_bytes());
    let mut page = vec![0u8; PAGE_SIZE];
    page[3] = ESCAPE;
    for byte in &page {
        if *byte == ESCAPE {
            wire.push(ESCAPE);
        }
        wire.push(*byte);
    }
    wire.extend_from_slice(&[ESCAPE, Command::WritePage as u8]);
    let frames = decode_commands::<{ MAX_COMMAND_PAYLOAD }>(LinkMode::Bootloader, &wire);
    assert_eq!(frames.len(), 1);
    let frame = CommandFrame {
        code: frames[0].0,
        payload: &frames[0].1,
    };
    match Request::parse(&frame).unwrap() {
        Request::WritePage { address, data } => {
            assert_eq!(address, 0x2004_0000);
            assert_eq!(data, &page[..]);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn bare_ping_works_on_a_shared_link_and_console_bytes_pass() {
    let wire = [b'h', ESCAPE, ESCAPE, ESCAPE, Command::Ping as u8, b'i'];
    let mut decoder = CommandDecoder::<16>::new(LinkMode::Shared);
    let mut console = Vec::new();
    let mut commands = Vec::new();
    for byte in wire {
        match decoder.push(byte) {
            CommandEvent::Console(byte) => console.push(byte),
            CommandEvent::Command(frame) => commands.push(frame.code),
            _ => {}
        }
    }
    assert_eq!(console, vec![b'h', ESCAPE, b'i']);
    assert_eq!(commands, vec![Command::Ping as u8]);
}

#[test]
fn an_oversized_payload_reports_overflow_and_the_next_frame_decodes() {
    let mut out = [0u8; 64];
    let length = encode_command(Command::ErasePage, &[1; 20], &mut out).unwrap();
    let mut decoder = CommandDecoder::<8>::new(LinkMode::Bootloader);
    let events: Vec<_> = out[..length]
        .iter()
        .map(|byte| format!("{:?}", decoder.push(*byte)))
        .collect();
    assert!(events.last().unwrap().contains("Overflow"));
    let length = encode_command(Command::Ping, &[], &mut out).unwrap();
    let frames = out[..length]
        .iter()
        .filter_map(|byte| match decoder.push(*byte) {
            CommandEvent::Command(frame) => Some(frame.code),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert_eq!(frames, vec![Command::Ping as u8]);
}

#[test]
fn bad_arguments_are_typed_errors() {
    let frame = CommandFrame {
        code: Command::WritePage as u8,
        payload: &[0; 10],
    };
    assert_eq!(
        Request::parse(&frame),
        Err(RequestError::BadArguments(Command::WritePage))
    );
    let frame = CommandFrame {
        code: 0x7E,
        payload: &[],
    };
    assert_eq!(
        Request::parse(&frame),
        Err(RequestError::UnknownCommand(0x7E))
    );
}

#[test]
fn too_small_buffers_are_reported() {
    let mut out = [0u8; 3];
    assert_eq!(
        encode_command(Command::Ping, &[1], &mut out),
        Err(BufferTooSmall)
    );
    assert_eq!(
        encode_response(Response::ReadRange, &[1, 2], &mut out),
        Err(BufferTooSmall)
    );
}

fn decode_responses(wire: &[u8], read_length: usize) -> (Vec<u8>, Vec<(Response, Vec<u8>)>) {
    let mut decoder = ResponseDecoder::<8192>::new();
    decoder.expect_read_length(read_length);
    let mut console = Vec::new();
    let mut responses = Vec::new();
    for byte in wire {
        match decoder.push(*byte) {
            ResponseEvent::Console(byte) => console.push(byte),
            ResponseEvent::Response(frame) => {
                responses.push((frame.response, frame.payload.to_vec()))
            }
            _ => {}
        }
    }
    (console, responses)
}

fn arbitrary_request() -> impl Strategy<Value = (u8, Vec<u8>)> {
    (
        proptest::sample::select(Command::ALL.to_vec()),
        proptest::collection::vec(any::<u8>(), 0..600),
    )
        .prop_map(|(command, payload)| (command as u8, payload))
}

proptest! {
    #[test]
    fn command_decoder_never_panics(mode in any::<bool>(), wire in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mode = if mode { LinkMode::Shared } else { LinkMode::Bootloader };
        let mut decoder = CommandDecoder::<{ MAX_COMMAND_PAYLOAD }>::new(mode);
        for byte in wire {
            if let CommandEvent::Command(frame) = decoder.push(byte) {
                let _ = Request::parse(&frame);
            }
        }
    }

    #[test]
    fn response_decoder_never_panics(read_length in 0usize..10000, wire in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = decode_responses(&wire, read_length);
        let mut small = ResponseDecoder::<2>::new();
        small.expect_read_length(read_length);
        for byte in &wire {
            let _ = small.push(*byte);
        }
    }

    #[test]
    fn commands_round_trip((code, payload) in arbitrary_request(), shared in any::<bool>()) {
        let command = Command::from_u8(code).unwrap();
        let mut out = vec![0u8; max_encoded_length(payload.len())];
        let length = encode_command(command, &payload, &mut out).unwrap();
        let mode = if shared { LinkMode::Shared } else { LinkMode::Bootloader };
        let frames = decode_commands::<1024>(mode, &out[..length]);
        if command == Command::Reset {
            prop_assert!(frames.is_empty());
        } else {
            prop_assert_eq!(frames, vec![(code, payload)]);
        }
    }

    #[test]
    fn responses_and_console_round_trip(
        console in proptest::collection::vec(any::<u8>(), 0..64),
        data in proptest::collection::vec(any::<u8>(), 0..4095),
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut wire = Vec::new();
        let mut scratch = vec![0u8; max_encoded_length(data.len().max(body.len()) + 3)];
        for byte in &console {
            let length = encode_console_byte(*byte, &mut scratch).unwrap();
            wire.extend_from_slice(&scratch[..length]);
        }
        let length = encode_response(Response::ReadRange, &data, &mut scratch).unwrap();
        wire.extend_from_slice(&scratch[..length]);
        let length = encode_extension_response(ExtensionStatus::BadImage, &body, &mut scratch).unwrap();
        wire.extend_from_slice(&scratch[..length]);
        let (seen_console, responses) = decode_responses(&wire, data.len());
        prop_assert_eq!(seen_console, console);
        prop_assert_eq!(responses.len(), 2);
        prop_assert_eq!(&responses[0], &(Response::ReadRange, data));
        let mut expected = vec![ExtensionStatus::BadImage as u8];
        expected.extend_from_slice(&(body.len() as u16).to_le_bytes());
        expected.extend_from_slice(&body);
        prop_assert_eq!(&responses[1], &(Response::Extension, expected));
    }

    #[test]
    fn requests_round_trip(address in any::<u32>(), second in any::<u32>(), length in 0u16..=4095, index in 0u8..16) {
        let page = [0xA5u8; PAGE_SIZE];
        let slot = [7u8; attribute::ATTRIBUTE_SIZE];
        let requests = [
            Request::Ping,
            Request::ErasePage { address },
            Request::WritePage { address, data: &page },
            Request::ReadRange { address, length },
            Request::SetAttribute { index, slot: &slot },
            Request::GetAttribute { index },
            Request::CrcInternalFlash { address, length: second },
            Request::ChangeBaudRate { phase: 1, rate: second },
            Request::SetStartAddress { address },
            Request::ListApps,
            Request::InstallApp { address, total_size: second },
            Request::ReplaceApp { old_address: address, new_address: second },
            Request::ReplaceInPlace { old_address: address, new_address: second, source: second ^ address, length: u32::from(length) },
            Request::RemoveApp { address },
            Request::EnableApp { address },
            Request::DisableApp { address },
            Request::ServiceInfo,
            Request::EnterBootloader,
            Request::ControlProcess { address, action: ProcessAction::Stop },
            Request::ControlProcess { address, action: ProcessAction::Resume },
            Request::ControlProcess { address, action: ProcessAction::Restart },
        ];
        for request in requests {
            let mut payload = [0u8; MAX_COMMAND_PAYLOAD];
            let length = request.write_payload(&mut payload).unwrap();
            let frame = CommandFrame { code: request.command() as u8, payload: &payload[..length] };
            prop_assert_eq!(Request::parse(&frame), Ok(request));
        }
    }

    #[test]
    fn app_records_round_trip(address in any::<u32>(), size in any::<u32>(), state in any::<u8>(), name in "[a-z_]{0,40}") {
        let refusal = crate::RefusalReason::from_u8(state % 10);
        let record = AppRecord { address, total_size: size, state: ProcessState::from_u8(state), enabled: state % 2 == 0, refusal, name: &name };
        let mut body = [0u8; 512];
        let end = record.write(&mut body, 0).unwrap();
        let end = record.write(&mut body, end).unwrap();
        let decoded: Vec<_> = app_records(&body[..end]).collect();
        prop_assert_eq!(decoded, vec![record, record]);
    }
}
