"""The CTAP 2.1 app's credentials across an app update, with python-fido2.

    ctap2_update_client.py before-update SOCKET STATE.json
        A fresh device: a non-resident credential (alice), a PIN set, a
        resident one (bob), each authenticated through Fido2Client for
        https://tock.example; the credProtect checks (below); then one wrong
        PIN, so the retries counter stands below its maximum. Writes the
        credentials, counters and retries to STATE.json.
    ctap2_update_client.py after-update SOCKET STATE.json
        The same app identity after an update (or a reboot): the PIN is
        still set and its retries are what STATE.json says; bob is still
        discoverable from an empty allow list; alice still authenticates;
        every signature counter is above the last one seen; the level-3
        credProtect credential still needs user verification. Ends with one
        wrong PIN again and updates STATE.json.
    ctap2_update_client.py other-identity SOCKET STATE.json
        Another app identity on the same device (its own storage region)
        has no PIN and none of the credentials of STATE.json:
        authenticatorGetAssertion gives NO_CREDENTIALS.

credProtect (CTAP 2.1, the credProtect extension), with raw
authenticatorMakeCredential / GetAssertion requests so that each check sees
the device's own status: a level-3 credential (userVerificationRequired)
is returned neither from an empty allow list nor from its id without user
verification (NO_CREDENTIALS), and is with a PIN token; a level-2 one
(userVerificationOptionalWithCredentialIDList) is not discoverable from an
empty allow list without user verification, but is returned from an allow
list holding its id, and discoverable with a PIN token.

User presence: `PRESS` on stdout when the device asks for a touch (the
harness clicks the button). Exit status 0 only if every check passed; a
failure names the command and the CTAP status the device gave.
"""

import hashlib
import json
import os
import sys

from fido2.ctap import CtapError
from fido2.ctap2 import ClientPin
from fido2.webauthn import AttestedCredentialData

from ctap2_client import (
    DEFERRED,
    PIN,
    RP,
    Browser,
    CheckFailed,
    Interaction,
    check_info,
    expect_ctap_error,
    fail,
    open_ctap2,
    step,
)

# Relying parties of the credProtect credentials, one per level, apart from
# RP's so that an empty allow list meets only the credential under test.
LEVEL_3_RP = "uv-required.tock.example"
LEVEL_2_RP = "uv-optional-with-list.tock.example"
UPNEEDED = 2
ES256 = [{"type": "public-key", "alg": -7}]


def on_keepalive(status):
    if status == UPNEEDED:
        print("PRESS", flush=True)


def descriptor(credential_id):
    return {"type": "public-key", "id": credential_id}


def pin_auth(ctap2, permission, rp_id, client_data_hash):
    """(pinUvAuthParam, protocol version) from a fresh PIN token."""
    client_pin = ClientPin(ctap2)
    token = step(f"getPinToken ({permission.name}, {rp_id})",
                 lambda: client_pin.get_pin_token(PIN, permission, rp_id))
    return client_pin.protocol.authenticate(token, client_data_hash), client_pin.protocol.VERSION


def make_protected(ctap2, rp_id, level):
    """A resident credential for `rp_id` with credProtect `level`, made with
    a PIN token (the device has a PIN); its AttestedCredentialData."""
    client_data_hash = hashlib.sha256(f"credProtect {level}".encode()).digest()
    param, protocol = pin_auth(ctap2, ClientPin.PERMISSION.MAKE_CREDENTIAL, rp_id, client_data_hash)
    user = {"id": f"level-{level}".encode(), "name": f"level-{level}"}
    what = f"authenticatorMakeCredential (rk, credProtect {level}, {rp_id})"
    response = step(what, lambda: ctap2.make_credential(
        client_data_hash, {"id": rp_id}, user, ES256, extensions={"credProtect": level},
        options={"rk": True}, pin_uv_param=param, pin_uv_protocol=protocol, on_keepalive=on_keepalive))
    granted = (response.auth_data.extensions or {}).get("credProtect")
    if granted != level:
        fail(f"{what}: the authenticator data's extensions say credProtect {granted}, expected {level}")
    return response.auth_data.credential_data


def assertion(ctap2, rp_id, credential, allow, verified):
    """authenticatorGetAssertion for `rp_id` (allow list of `credential`'s id
    if `allow`, else empty), with a PIN token if `verified`; the response is
    checked against `credential`'s public key and UV flag."""
    client_data_hash = hashlib.sha256(os.urandom(32)).digest()
    param, protocol = (pin_auth(ctap2, ClientPin.PERMISSION.GET_ASSERTION, rp_id, client_data_hash)
                       if verified else (None, None))
    allow_list = [descriptor(credential.credential_id)] if allow else None
    response = ctap2.get_assertion(rp_id, client_data_hash, allow_list, pin_uv_param=param,
                                   pin_uv_protocol=protocol, on_keepalive=on_keepalive)
    what = describe_assertion(rp_id, allow, verified)
    if response.credential["id"] != credential.credential_id:
        fail(f"{what}: the device answered with another credential")
    step(f"{what}: signature", lambda: response.verify(client_data_hash, credential.public_key))
    if response.auth_data.is_user_verified() != verified:
        fail(f"{what}: UV flag {response.auth_data.is_user_verified()}, expected {verified}")
    return response


def describe_assertion(rp_id, allow, verified):
    return (f"authenticatorGetAssertion ({rp_id}, {'its id in the allow list' if allow else 'empty allow list'}, "
            f"{'with' if verified else 'without'} a PIN token)")


def expect_hidden(ctap2, rp_id, credential, allow):
    """Without user verification the device must answer NO_CREDENTIALS."""
    what = describe_assertion(rp_id, allow, False)
    expect_ctap_error(what, CtapError.ERR.NO_CREDENTIALS,
                      lambda: assertion(ctap2, rp_id, credential, allow, verified=False))


def expect_returned(ctap2, rp_id, credential, allow, verified):
    what = describe_assertion(rp_id, allow, verified)
    step(what, lambda: assertion(ctap2, rp_id, credential, allow, verified))
    print(f"ctap2-update: {what}: returned, signature verified", flush=True)


def level_3_needs_user_verification(ctap2, credential):
    expect_hidden(ctap2, LEVEL_3_RP, credential, allow=False)
    expect_hidden(ctap2, LEVEL_3_RP, credential, allow=True)
    expect_returned(ctap2, LEVEL_3_RP, credential, allow=False, verified=True)
    print("ctap2-update: credProtect 3: hidden without user verification, returned with it", flush=True)


def level_2_needs_its_id_without_user_verification(ctap2, credential):
    expect_hidden(ctap2, LEVEL_2_RP, credential, allow=False)
    expect_returned(ctap2, LEVEL_2_RP, credential, allow=True, verified=False)
    expect_returned(ctap2, LEVEL_2_RP, credential, allow=False, verified=True)
    print("ctap2-update: credProtect 2: not discoverable without user verification, "
          "returned from its id", flush=True)


def retries(ctap2):
    return step("authenticatorClientPIN getPinRetries", ClientPin(ctap2).get_pin_retries)[0]


def wrong_pin_once(ctap2):
    """One wrong PIN: the retries counter the next phase must find."""
    expect_ctap_error("getPinToken with a wrong PIN", CtapError.ERR.PIN_INVALID,
                      lambda: ClientPin(ctap2).get_pin_token("000000", ClientPin.PERMISSION.GET_ASSERTION, RP["id"]))
    return retries(ctap2)


def save(state_path, credentials, browser, pin_retries):
    with open(state_path, "w") as state:
        json.dump({"credentials": {name: bytes(data).hex() for name, data in credentials.items()},
                   "counters": {key.hex(): value for key, value in browser.counters.items()},
                   "retries": pin_retries}, state)


def load(state_path):
    with open(state_path) as state:
        saved = json.load(state)
    credentials = {name: AttestedCredentialData(bytes.fromhex(data)) for name, data in saved["credentials"].items()}
    counters = {bytes.fromhex(key): value for key, value in saved["counters"].items()}
    return credentials, counters, saved["retries"]


def before_update(socket_path, state_path):
    device, ctap2 = open_ctap2(socket_path)
    try:
        check_info(ctap2, pin_set=False)
        interaction = Interaction()
        browser = Browser(device, interaction)
        alice, _ = browser.register("alice", resident=False)
        browser.authenticate("authenticatorGetAssertion (non-resident, alice)", [alice], [alice])
        step("authenticatorClientPIN setPIN", lambda: ClientPin(ctap2).set_pin(PIN))
        interaction.pin = PIN
        bob, _ = browser.register("bob", resident=True)
        browser.authenticate("authenticatorGetAssertion (discoverable, bob)", [bob], None, "bob")
        level_3 = make_protected(ctap2, LEVEL_3_RP, 3)
        level_3_needs_user_verification(ctap2, level_3)
        level_2 = make_protected(ctap2, LEVEL_2_RP, 2)
        level_2_needs_its_id_without_user_verification(ctap2, level_2)
        left = wrong_pin_once(ctap2)
        print(f"ctap2-update: before the update: alice, bob, two credProtect credentials, "
              f"PIN set, {left} retries left", flush=True)
        save(state_path, {"alice": alice, "bob": bob, "level-3": level_3, "level-2": level_2}, browser, left)
    finally:
        device.close()


def after_update(socket_path, state_path):
    credentials, counters, saved_retries = load(state_path)
    device, ctap2 = open_ctap2(socket_path)
    try:
        check_info(ctap2, pin_set=True)
        found = retries(ctap2)
        if found != saved_retries:
            fail(f"the PIN retries are {found}, expected {saved_retries} as left before")
        interaction = Interaction()
        interaction.pin = PIN
        browser = Browser(device, interaction)
        browser.counters = counters
        bob, alice = credentials["bob"], credentials["alice"]
        browser.authenticate("authenticatorGetAssertion (discoverable, bob)", [bob], None, "bob")
        browser.authenticate("authenticatorGetAssertion (non-resident, alice)", [alice], [alice])
        level_3_needs_user_verification(ctap2, credentials["level-3"])
        left = wrong_pin_once(ctap2)
        print(f"ctap2-update: the PIN ({saved_retries} retries), bob, alice, credProtect 3 and rising "
              f"counters are all still there", flush=True)
        save(state_path, credentials, browser, left)
    finally:
        device.close()


def other_identity(socket_path, state_path):
    credentials, _, _ = load(state_path)
    device, ctap2 = open_ctap2(socket_path)
    try:
        check_info(ctap2, pin_set=False)
        client_data_hash = hashlib.sha256(b"another identity").digest()
        for name, credential in credentials.items():
            rp_id = {"level-3": LEVEL_3_RP, "level-2": LEVEL_2_RP}.get(name, RP["id"])
            allow = [descriptor(credential.credential_id)]
            expect_ctap_error(f"authenticatorGetAssertion ({rp_id}, {name}'s id in the allow list)",
                              CtapError.ERR.NO_CREDENTIALS,
                              lambda: ctap2.get_assertion(rp_id, client_data_hash, allow, on_keepalive=on_keepalive))
        for rp_id in (RP["id"], LEVEL_2_RP, LEVEL_3_RP):
            expect_ctap_error(f"authenticatorGetAssertion ({rp_id}, empty allow list)",
                              CtapError.ERR.NO_CREDENTIALS,
                              lambda: ctap2.get_assertion(rp_id, client_data_hash, on_keepalive=on_keepalive))
        print(f"ctap2-update: another identity has no PIN and none of {sorted(credentials)}", flush=True)
    finally:
        device.close()


MODES = {"before-update": before_update, "after-update": after_update, "other-identity": other_identity}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in MODES:
        raise SystemExit(__doc__)
    mode, socket_path, state_path = sys.argv[1:]
    try:
        MODES[mode](socket_path, state_path)
    except CheckFailed as failure:
        DEFERRED.append(str(failure))
    # ctap2_client's checks defer some failures to let the others run.
    if DEFERRED:
        raise SystemExit("\n".join(f"ctap2-update: FAIL {failure}" for failure in DEFERRED))
    print("ctap2-update: ok", flush=True)


if __name__ == "__main__":
    main()
