//! Malformed input gets a CTAP error, never a panic.

use super::*;
use std::vec;

#[test]
fn every_truncation_of_a_request_gets_an_error_status() {
    let (mut authenticator, mut platform) = fresh();
    let parameters = make_credential_request("example.com", &[1; 8], vec![]);
    let mut request = vec![0x01];
    ciborium::ser::into_writer(&parameters, &mut request).unwrap();
    for cut in 1..request.len() {
        let response = raw(&mut authenticator, &mut platform, &request[..cut]);
        assert_eq!(response.len(), 1, "cut at {cut}");
        assert_ne!(response[0], 0, "cut at {cut}");
    }
    assert_eq!(raw(&mut authenticator, &mut platform, &request)[0], 0);
}

#[test]
fn garbage_wrong_types_and_unknown_commands_are_refused() {
    let (mut authenticator, mut platform) = fresh();
    assert_eq!(raw(&mut authenticator, &mut platform, &[]), [0x12]);
    assert_eq!(raw(&mut authenticator, &mut platform, &[0x55]), [0x01]);
    // A text where the client data hash belongs, a map that is an array.
    let wrong = map(vec![(1, text("not bytes")), (2, text("example.com"))]);
    assert_ne!(
        call(&mut authenticator, &mut platform, 0x01, Some(&wrong)).0,
        0
    );
    assert_ne!(
        call(
            &mut authenticator,
            &mut platform,
            0x02,
            Some(&Value::Array(vec![]))
        )
        .0,
        0
    );
    let missing = map(vec![(1, text("example.com"))]);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x02, Some(&missing)).0,
        0x14
    );
    let mut seed = 0x1234_5678u32;
    for length in 0..400 {
        let mut request = vec![[0x01, 0x02, 0x06, 0x0a][length % 4]];
        for _ in 0..length % 97 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            request.push((seed >> 16) as u8);
        }
        let response = raw(&mut authenticator, &mut platform, &request);
        assert!(!response.is_empty());
    }
}

#[test]
fn an_unsupported_algorithm_and_invalid_options_are_refused() {
    let (mut authenticator, mut platform) = fresh();
    let mut request = make_credential_request("example.com", &[1; 8], vec![]);
    if let Value::Map(entries) = &mut request {
        entries[3].1 = Value::Array(vec![text_map(vec![
            ("alg", int(-257)),
            ("type", text("public-key")),
        ])]);
    }
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x01, Some(&request)).0,
        0x26
    );
    let uv = vec![(7, text_map(vec![("uv", Value::Bool(true))]))];
    let request = make_credential_request("example.com", &[1; 8], uv);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x01, Some(&request)).0,
        0x2C
    );
    let enterprise = vec![(10, int(1))];
    let request = make_credential_request("example.com", &[1; 8], enterprise);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x01, Some(&request)).0,
        0x02
    );
    // A zero-length pinUvAuthParam asks for the PIN state after a touch.
    let probe = vec![(8, bytes(&[])), (9, int(2))];
    let request = make_credential_request("example.com", &[1; 8], probe);
    assert_eq!(
        call(&mut authenticator, &mut platform, 0x01, Some(&request)).0,
        0x35
    );
}
