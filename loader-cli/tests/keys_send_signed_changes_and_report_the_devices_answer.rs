//! `loader keys` against a simulated running kernel with a trust store
//! (served on TCP as QEMU serves its serial line), which applies changes
//! with the real `tbf::trust` rules: `keys list` shows the root, the
//! sequence, the keys and the minimum versions (text and `--json`); `keys
//! add|revoke|permit` send a change and print the device's new state; a
//! replayed change or one signed by another key comes back refused with
//! the reason and exit code 5; a file of another kind is not sent (exit
//! code 3); `info` shows the trust store.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

use loader_protocol::{
    encode_extension_response, encode_response, CommandDecoder, CommandEvent, ExtensionStatus,
    LinkMode, Request, Response, ServiceInfo, TrustChangeRefusal,
};
use tbf::crypto::SigningKey;
use tbf::trust::{
    sign_change, AppName, ApplyError, Change, ChangeKind, RawKey, Scope, SignedChange, TrustState,
};

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).expect("a valid scalar")
}

fn raw(key: &SigningKey) -> RawKey {
    tbf::crypto::verifying_key_to_raw(key.verifying_key())
}

/// The device's answer to one request.
fn answer(state: &mut TrustState, request: Request<'_>) -> (ExtensionStatus, Vec<u8>) {
    match request {
        Request::ServiceInfo => {
            let info = ServiceInfo {
                app_start: 0x2004_0000,
                app_end: 0x2008_0000,
                page_size: 512,
            };
            (ExtensionStatus::Ok, info.to_bytes().to_vec())
        }
        Request::ListApps => (ExtensionStatus::Ok, Vec::new()),
        Request::TrustState => {
            let mut out = vec![0u8; tbf::trust::MAX_ENCODED_STATE];
            let length = state.encode(&mut out).expect("the state fits");
            out.truncate(length);
            (ExtensionStatus::Ok, out)
        }
        Request::ApplyTrustChange { change } => apply(state, change),
        _ => (ExtensionStatus::Unsupported, Vec::new()),
    }
}

fn apply(state: &mut TrustState, bytes: &[u8]) -> (ExtensionStatus, Vec<u8>) {
    let refused = |code: TrustChangeRefusal, message: String| {
        let mut body = vec![code as u8];
        body.extend_from_slice(message.as_bytes());
        (ExtensionStatus::TrustChangeRefused, body)
    };
    let Ok(change) = SignedChange::decode(bytes) else {
        return refused(TrustChangeRefusal::Malformed, String::new());
    };
    if !change.verify(&state.root.expect("a root")) {
        return refused(TrustChangeRefusal::BadSignature, String::new());
    }
    match state.apply(&change.change, b"simulated") {
        Ok(()) => (ExtensionStatus::Ok, Vec::new()),
        Err(error @ ApplyError::StaleSequence { .. }) => {
            refused(TrustChangeRefusal::StaleSequence, error.to_string())
        }
        Err(error) => refused(TrustChangeRefusal::UnknownKey, error.to_string()),
    }
}

/// Serves a running kernel with `state` to clients one after another;
/// returns `tcp:127.0.0.1:PORT`.
fn serve(mut state: TrustState) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for socket in listener.incoming() {
            let Ok(mut socket) = socket else { return };
            let mut decoder = CommandDecoder::<1024>::new(LinkMode::Bootloader);
            let mut buffer = [0u8; 4096];
            while let Ok(count) = socket.read(&mut buffer) {
                if count == 0 {
                    break;
                }
                for byte in &buffer[..count] {
                    let CommandEvent::Command(frame) = decoder.push(*byte) else {
                        continue;
                    };
                    let mut out = vec![0u8; 16 * 1024];
                    let length = match Request::parse(&frame) {
                        Ok(Request::Ping) => encode_response(Response::Pong, &[], &mut out),
                        // The bootloader commands `info` uses: no
                        // attributes, no version, erased flash.
                        Ok(Request::GetAttribute { .. }) => {
                            encode_response(Response::GetAttribute, &[0xFF; 64], &mut out)
                        }
                        Ok(Request::Info) => encode_response(
                            Response::Info,
                            &[0; loader_protocol::INFO_RESPONSE_LENGTH],
                            &mut out,
                        ),
                        Ok(Request::ReadRange { length, .. }) => encode_response(
                            Response::ReadRange,
                            &vec![0xFF; usize::from(length)],
                            &mut out,
                        ),
                        Ok(request) => {
                            let (status, body) = answer(&mut state, request);
                            encode_extension_response(status, &body, &mut out)
                        }
                        Err(_) => encode_response(Response::Unknown, &[], &mut out),
                    }
                    .unwrap();
                    if socket.write_all(&out[..length]).is_err() {
                        break;
                    }
                }
            }
        }
    });
    format!("tcp:127.0.0.1:{port}")
}

/// `loader ARGUMENTS --port PORT`: exit code, stdout and stderr.
fn loader(port: &str, arguments: &[&str]) -> (i32, String, String) {
    let output = Command::new(common::loader())
        .args(arguments)
        .args(["--port", port])
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn change_file(
    dir: &std::path::Path,
    name: &str,
    kind: ChangeKind,
    sequence: u32,
    root: &SigningKey,
) -> String {
    let change = Change {
        kind,
        sequence,
        scope: Scope::Any,
    };
    let path = dir.join(name);
    std::fs::write(&path, sign_change(&change, root).unwrap()).unwrap();
    path.display().to_string()
}

#[test]
fn changes_apply_in_sequence_and_refusals_come_back_with_their_reason() {
    let dir = common::scratch("keys-verbs");
    let (root, board, second) = (key(1), key(2), key(3));
    let mut state = TrustState::bootstrap(Some(raw(&root)), &[raw(&board)]);
    state.raise_minimum(b"hello", 2).unwrap();
    let port = serve(state);

    let (code, text, _) = loader(&port, &["keys", "list"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("sequence:         0") && text.contains("active"),
        "{text}"
    );
    assert!(text.contains("hello") && text.contains(" 2"), "{text}");

    let add = change_file(&dir, "add.bin", ChangeKind::AddKey(raw(&second)), 1, &root);
    let (code, text, stderr) = loader(&port, &["keys", "add", &add]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        text.contains("applied: add signing key") && text.contains("sequence 1"),
        "{text}"
    );

    let (code, _, stderr) = loader(&port, &["keys", "add", &add]);
    assert_eq!(code, 5, "a replay must be refused: {stderr}");
    assert!(
        stderr.contains("stale sequence") && stderr.contains("--sequence above"),
        "{stderr}"
    );

    let forged = change_file(
        &dir,
        "forged.bin",
        ChangeKind::RevokeKey(raw(&board)),
        2,
        &board,
    );
    let (code, _, stderr) = loader(&port, &["keys", "revoke", &forged]);
    assert!(
        code == 5 && stderr.contains("bad signature"),
        "{code}: {stderr}"
    );

    let permit = ChangeKind::RollbackPermit {
        name: AppName::new(b"hello"),
        version: 1,
    };
    let permit = change_file(&dir, "permit.bin", permit, 2, &root);
    let (code, _, stderr) = loader(&port, &["keys", "revoke", &permit]);
    assert!(
        code == 3 && stderr.contains("loader keys permit"),
        "{code}: {stderr}"
    );
    let (code, _, stderr) = loader(&port, &["keys", "permit", &permit]);
    assert_eq!(code, 0, "{stderr}");

    let (code, json, _) = loader(&port, &["keys", "list", "--json"]);
    assert_eq!(code, 0);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["sequence"], 2, "{value}");
    assert_eq!(value["keys"].as_array().map(Vec::len), Some(2), "{value}");
    assert_eq!(value["keys"][1]["status"], "active", "{value}");
    assert_eq!(value["minimum_versions"][0]["version"], 1, "{value}");

    let (code, text, stderr) = loader(&port, &["info"]);
    assert!(
        code == 0 && text.contains("trust store:") && text.contains("sequence:"),
        "{text}{stderr}"
    );
}

#[test]
fn a_flash_file_has_no_trust_store_and_says_how_to_reach_one() {
    let dir = common::scratch("keys-flash-file");
    let flash = dir.join("flash.bin");
    let output = Command::new(common::loader())
        .args(["keys", "list", "--flash-file", flash.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("--port") && stderr.contains("BOARD_ROOT_KEY"),
        "{stderr}"
    );
}
