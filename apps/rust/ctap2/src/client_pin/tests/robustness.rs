//! Mangled requests: whatever the platform sends, ClientPIN answers with a
//! result (most likely an error), never a panic, and a PIN check that fails
//! never grants a token.

use super::*;
use p256::elliptic_curve::rand_core::RngCore;

/// Valid setPIN, changePIN and getPinUvAuthTokenUsingPinWithPermissions
/// requests for `authenticator`'s current key agreement keys.
fn valid_requests(authenticator: &mut Authenticator) -> Vec<Cbor> {
    let mut requests = Vec::new();
    for protocol in PinProtocol::SUPPORTED {
        let platform = authenticator.agree(protocol);
        let rng = &mut authenticator.rng;
        let new_pin_encrypted = platform.encrypt(&padded(b"5678"), rng);
        let pin_hash_encrypted = platform.encrypt(&pin_hash(b"1234"), rng);
        let number = u64::from(protocol.number());

        let mut set_pin = Cbor::default();
        set_pin
            .map(5)
            .unsigned(1)
            .unsigned(number)
            .unsigned(2)
            .unsigned(3);
        set_pin
            .unsigned(3)
            .cose_key(&platform.public_x, &platform.public_y);
        set_pin
            .unsigned(4)
            .bytes(&platform.authenticate(&new_pin_encrypted));
        set_pin.unsigned(5).bytes(&new_pin_encrypted);
        requests.push(set_pin);

        let both = [&new_pin_encrypted[..], &pin_hash_encrypted[..]].concat();
        let mut change_pin = Cbor::default();
        change_pin
            .map(6)
            .unsigned(1)
            .unsigned(number)
            .unsigned(2)
            .unsigned(4);
        change_pin
            .unsigned(3)
            .cose_key(&platform.public_x, &platform.public_y);
        change_pin.unsigned(4).bytes(&platform.authenticate(&both));
        change_pin.unsigned(5).bytes(&new_pin_encrypted);
        change_pin.unsigned(6).bytes(&pin_hash_encrypted);
        requests.push(change_pin);

        let mut token = Cbor::default();
        token
            .map(6)
            .unsigned(1)
            .unsigned(number)
            .unsigned(2)
            .unsigned(9);
        token
            .unsigned(3)
            .cose_key(&platform.public_x, &platform.public_y);
        token.unsigned(6).bytes(&pin_hash_encrypted);
        token
            .unsigned(9)
            .unsigned(3)
            .unsigned(10)
            .text("example.com");
        requests.push(token);
    }
    requests
}

#[test]
fn mangled_requests_never_panic() {
    let mut authenticator = Authenticator::new(60);
    authenticator
        .set_pin(PinProtocol::Two, b"1234")
        .expect("setPIN");
    let mut mangler = TestRng::new(61);
    let mut processed = 0;
    for round in 0..200 {
        if round % 50 == 0 {
            // Some rounds must see the authenticator's current keys.
            authenticator.power_cycle();
        }
        for request in valid_requests(&mut authenticator) {
            let mut bytes = request.0.clone();
            for _ in 0..=mangler.next_u32() % 3 {
                let position = mangler.next_u32() as usize % bytes.len();
                match mangler.next_u32() % 3 {
                    0 => bytes[position] ^= 1 << (mangler.next_u32() % 8),
                    1 => bytes[position] = mangler.next_u32() as u8,
                    _ => bytes.truncate(position.max(1)),
                }
            }
            let Ok(request) = cbor_smol::cbor_deserialize::<Request>(&bytes) else {
                continue;
            };
            processed += 1;
            let _ = authenticator.client_pin.process(
                &request,
                &mut authenticator.storage,
                &mut authenticator.rng,
            );
            // A mangled PIN hash must not have changed the PIN.
            assert!(
                authenticator.storage.hash.map(|hash| hash.to_vec()) == Some(pin_hash(b"1234"))
                    || authenticator.storage.hash.map(|hash| hash.to_vec())
                        == Some(pin_hash(b"5678")),
                "the PIN became something nobody chose"
            );
            authenticator.storage.retries = MAXIMUM_PIN_RETRIES;
        }
    }
    assert!(
        processed > 300,
        "too few mangled requests parsed: {processed}"
    );
}
