extern crate std;

use super::*;
use std::vec::Vec;

fn init_packet(channel: u32, command: u8, length: u16, data: &[u8]) -> [u8; PACKET] {
    let mut packet = [0u8; PACKET];
    packet[..4].copy_from_slice(&channel.to_be_bytes());
    packet[4] = command;
    packet[5..7].copy_from_slice(&length.to_be_bytes());
    packet[7..7 + data.len()].copy_from_slice(data);
    packet
}

#[test]
fn a_long_message_splits_and_reassembles() {
    let payload: Vec<u8> = (0..200u32).map(|byte| byte as u8).collect();
    let sent: Vec<[u8; PACKET]> = packets(7, command::PING, &payload).collect();
    // 57 + 59 + 59 + 25.
    assert_eq!(sent.len(), 4);
    assert_eq!(&sent[0][..7], &[0, 0, 0, 7, 0x81, 0, 200]);
    assert_eq!(&sent[3][..5], &[0, 0, 0, 7, 2]);
    let mut assembler = Assembler::new();
    assert_eq!(assembler.push(&sent[0]), Ok(None));
    assert_eq!(assembler.push(&sent[1]), Ok(None));
    assert_eq!(assembler.push(&sent[2]), Ok(None));
    let request = assembler.push(&sent[3]).unwrap().unwrap();
    assert_eq!((request.channel, request.command), (7, command::PING));
    assert_eq!(assembler.payload(&request), &payload[..]);
}

#[test]
fn an_empty_payload_is_one_packet() {
    let sent: Vec<[u8; PACKET]> = packets(1, command::WINK, &[]).collect();
    assert_eq!(sent.len(), 1);
    let request = Assembler::new().push(&sent[0]).unwrap().unwrap();
    assert_eq!(request.length, 0);
}

#[test]
fn protocol_errors_get_the_specified_codes() {
    let mut assembler = Assembler::new();
    let reject = |channel, error| Err(Rejected { channel, error });
    assert_eq!(
        assembler.push(&init_packet(0, command::PING, 0, &[])),
        reject(0, HidError::InvalidChannel)
    );
    assert_eq!(
        assembler.push(&init_packet(BROADCAST, command::MSG, 0, &[])),
        reject(BROADCAST, HidError::InvalidChannel)
    );
    assert_eq!(
        assembler.push(&init_packet(5, command::PING, 2000, &[])),
        reject(5, HidError::InvalidLength)
    );
    // A transaction on channel 5, interrupted by channel 6 and a bad sequence.
    assert_eq!(
        assembler.push(&init_packet(5, command::PING, 100, &[1; 57])),
        Ok(None)
    );
    assert_eq!(
        assembler.push(&init_packet(6, command::PING, 1, &[1])),
        reject(6, HidError::ChannelBusy)
    );
    let mut wrong_sequence = [0u8; PACKET];
    wrong_sequence[..4].copy_from_slice(&5u32.to_be_bytes());
    wrong_sequence[4] = 3;
    assert_eq!(
        assembler.push(&wrong_sequence),
        reject(5, HidError::InvalidSequence)
    );
    // The transaction is gone: a continuation now is ignored.
    wrong_sequence[4] = 0;
    assert_eq!(assembler.push(&wrong_sequence), Ok(None));
}

#[test]
fn init_resynchronises_a_channel() {
    let mut assembler = Assembler::new();
    assert_eq!(
        assembler.push(&init_packet(5, command::PING, 100, &[1; 57])),
        Ok(None)
    );
    let request = assembler
        .push(&init_packet(5, command::INIT, 8, &[9; 8]))
        .unwrap()
        .unwrap();
    assert_eq!(request.command, command::INIT);
    assert_eq!(assembler.payload(&request), &[9; 8]);
    let response = init_response(&[9; 8], 0x0102_0304);
    assert_eq!(&response[8..12], &[1, 2, 3, 4]);
    assert_eq!(response[12], 2);
}
