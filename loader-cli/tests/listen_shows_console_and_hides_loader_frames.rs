//! `listen` on a link shared by console and loader: console text appears
//! (a doubled 0xFC once), response frames do not, and typed bytes reach the
//! device with 0xFC doubled.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};

use common::loader;

#[test]
fn console_bytes_pass_and_frames_are_hidden() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut child = Command::new(loader())
        .args(["listen", "--port", &format!("tcp:127.0.0.1:{port}")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut device, _) = listener.accept().unwrap();
    // What the user types, including a 0xFC.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&[b'l', b's', 0xFC, b'\n']).unwrap();
    drop(stdin);
    let mut typed = [0u8; 5];
    device.read_exact(&mut typed).unwrap();
    assert_eq!(typed, [b'l', b's', 0xFC, 0xFC, b'\n']);
    // Console text with an escaped 0xFC, then a PONG frame, then more text.
    device
        .write_all(&[b'h', b'i', 0xFC, 0xFC, b' ', 0xFC, 0x11, b'o', b'k', b'\n'])
        .unwrap();
    drop(device);
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.stdout, [b'h', b'i', 0xFC, b' ', b'o', b'k', b'\n']);
}
