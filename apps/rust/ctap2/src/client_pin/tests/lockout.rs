//! Wrong PINs: retries, the three-strikes power-cycle block, the final block.

use super::*;

fn wrong_pin(authenticator: &mut Authenticator) -> Option<Error> {
    authenticator
        .token(PinProtocol::Two, b"0000", None, None)
        .err()
}

#[test]
fn each_wrong_pin_spends_a_retry_and_a_right_one_restores_them() {
    let mut authenticator = Authenticator::new(20);
    authenticator
        .set_pin(PinProtocol::Two, b"1234")
        .expect("setPIN");
    assert_eq!(wrong_pin(&mut authenticator), Some(Error::PinInvalid));
    assert_eq!(authenticator.storage.retries, 7);
    assert_eq!(wrong_pin(&mut authenticator), Some(Error::PinInvalid));
    assert_eq!(authenticator.retries(), (6, false));
    authenticator
        .token(PinProtocol::One, b"1234", None, None)
        .expect("token");
    assert_eq!(authenticator.retries(), (8, false));
}

#[test]
fn three_consecutive_wrong_pins_block_until_power_cycle() {
    let mut authenticator = Authenticator::new(21);
    authenticator
        .set_pin(PinProtocol::Two, b"1234")
        .expect("setPIN");
    assert_eq!(wrong_pin(&mut authenticator), Some(Error::PinInvalid));
    assert_eq!(wrong_pin(&mut authenticator), Some(Error::PinInvalid));
    assert_eq!(wrong_pin(&mut authenticator), Some(Error::PinAuthBlocked));
    assert_eq!(authenticator.retries(), (5, true));
    // Even the right PIN is refused, without spending a retry.
    for protocol in PinProtocol::SUPPORTED {
        assert_eq!(
            authenticator.token(protocol, b"1234", None, None).err(),
            Some(Error::PinAuthBlocked)
        );
    }
    assert_eq!(
        authenticator.change_pin(PinProtocol::One, b"1234", b"5678"),
        Err(Error::PinAuthBlocked)
    );
    assert_eq!(authenticator.retries(), (5, true));
    authenticator.power_cycle();
    assert_eq!(authenticator.retries(), (5, false));
    authenticator
        .token(PinProtocol::Two, b"1234", None, None)
        .expect("token");
    assert_eq!(authenticator.retries(), (8, false));
}

#[test]
fn no_retries_left_blocks_the_pin_for_good() {
    let mut authenticator = Authenticator::new(22);
    authenticator
        .set_pin(PinProtocol::Two, b"1234")
        .expect("setPIN");
    authenticator.storage.retries = 2;
    assert_eq!(wrong_pin(&mut authenticator), Some(Error::PinInvalid));
    assert_eq!(wrong_pin(&mut authenticator), Some(Error::PinBlocked));
    assert_eq!(authenticator.storage.retries, 0);
    authenticator.power_cycle();
    assert_eq!(authenticator.retries(), (0, false));
    assert_eq!(
        authenticator
            .token(PinProtocol::Two, b"1234", None, None)
            .err(),
        Some(Error::PinBlocked)
    );
    assert_eq!(
        authenticator.change_pin(PinProtocol::Two, b"1234", b"5678"),
        Err(Error::PinBlocked)
    );
}

#[test]
fn a_wrong_pin_regenerates_the_key_agreement_key() {
    let mut authenticator = Authenticator::new(23);
    authenticator
        .set_pin(PinProtocol::Two, b"1234")
        .expect("setPIN");
    let before = *authenticator.client_pin.protocols[1]
        .key_agreement
        .public_x();
    assert_eq!(wrong_pin(&mut authenticator), Some(Error::PinInvalid));
    assert_ne!(
        authenticator.client_pin.protocols[1]
            .key_agreement
            .public_x(),
        &before
    );
}

#[test]
fn a_pin_hash_that_does_not_decrypt_counts_as_wrong() {
    let mut authenticator = Authenticator::new(24);
    authenticator
        .set_pin(PinProtocol::Two, b"1234")
        .expect("setPIN");
    let platform = authenticator.agree(PinProtocol::Two);
    let mut request = Cbor::default();
    request
        .map(4)
        .unsigned(1)
        .unsigned(2)
        .unsigned(2)
        .unsigned(5);
    request
        .unsigned(3)
        .cose_key(&platform.public_x, &platform.public_y);
    // 20 bytes: not an IV and whole blocks.
    request.unsigned(6).bytes(&[0; 20]);
    assert_eq!(authenticator.send(&request).err(), Some(Error::PinInvalid));
    assert_eq!(authenticator.storage.retries, 7);
}

#[test]
fn a_change_pin_with_a_wrong_param_spends_no_retry() {
    let mut authenticator = Authenticator::new(25);
    authenticator
        .set_pin(PinProtocol::One, b"1234")
        .expect("setPIN");
    let platform = authenticator.agree(PinProtocol::One);
    let pin_hash_encrypted = platform.encrypt(&pin_hash(b"1234"), &mut authenticator.rng);
    let new_pin_encrypted = platform.encrypt(&padded(b"5678"), &mut authenticator.rng);
    // Authenticates only newPinEnc, not newPinEnc || pinHashEnc.
    let param = platform.authenticate(&new_pin_encrypted);
    let mut request = Cbor::default();
    request
        .map(6)
        .unsigned(1)
        .unsigned(1)
        .unsigned(2)
        .unsigned(4);
    request
        .unsigned(3)
        .cose_key(&platform.public_x, &platform.public_y);
    request
        .unsigned(4)
        .bytes(&param)
        .unsigned(5)
        .bytes(&new_pin_encrypted);
    request.unsigned(6).bytes(&pin_hash_encrypted);
    assert_eq!(
        authenticator.send(&request).err(),
        Some(Error::PinAuthInvalid)
    );
    assert_eq!(authenticator.retries(), (8, false));
    assert_eq!(
        authenticator.storage.hash.map(|hash| hash.to_vec()),
        Some(pin_hash(b"1234"))
    );
}
