"""Drives the U2F app on QEMU with python-fido2, as a browser's U2F client
would, and checks what the specification requires.

    u2f_client.py register SOCKET STATE.json
        CTAPHID INIT/PING/WINK, U2F VERSION, REGISTER (refused without user
        presence, then accepted after a button press; the attestation
        signature verified against the certificate), AUTHENTICATE check-only
        and with presence (signature verified with the registered key,
        counter increasing). Writes the key handle, public key and last
        counter to STATE.json.
    u2f_client.py authenticate SOCKET STATE.json
        After a reboot: the key handle from STATE.json still authenticates,
        its signature verifies, and the counter is above the stored one.

User presence: the script prints `PRESS` and waits for a line on stdin; the
harness clicks the button (console `ESC B 0`) and answers. Exit status 0
only if every check passed; each failure says what was expected.
"""

import hashlib
import json
import sys

from fido2.ctap1 import APDU, ApduError, Ctap1

from hid_link import open_device

APP_PARAM = hashlib.sha256(b"https://tock.example").digest()
OTHER_APP_PARAM = hashlib.sha256(b"https://other.example").digest()


def client_param(label):
    return hashlib.sha256(b'{"typ":"navigator.id.getAssertion","challenge":"' + label + b'"}').digest()


def press_button():
    print("PRESS", flush=True)
    if not sys.stdin.readline():
        raise SystemExit("u2f: FAIL the harness did not answer PRESS")


def expect_status(call, status, what):
    try:
        call()
    except ApduError as error:
        if error.code != status:
            raise SystemExit(f"u2f: FAIL {what}: status {error.code:#06x}, expected {status:#06x}")
        return
    raise SystemExit(f"u2f: FAIL {what}: succeeded, expected status {status:#06x}")


def authenticate(ctap1, key_handle, public_key, label):
    expect_status(
        lambda: ctap1.authenticate(client_param(label), APP_PARAM, key_handle),
        APDU.USE_NOT_SATISFIED,
        "authenticate without user presence",
    )
    press_button()
    signature = ctap1.authenticate(client_param(label), APP_PARAM, key_handle)
    signature.verify(APP_PARAM, client_param(label), public_key)
    if signature.user_presence & 1 != 1:
        raise SystemExit("u2f: FAIL the user-presence bit is not set")
    print(f"u2f: authenticated, counter {signature.counter}", flush=True)
    return signature.counter


def register(device, state_path):
    if device.ping(b"tock ping") != b"tock ping":
        raise SystemExit("u2f: FAIL PING did not echo")
    long_ping = bytes(range(256)) * 2
    if device.ping(long_ping) != long_ping:
        raise SystemExit("u2f: FAIL a 512-byte PING did not echo")
    device.wink()
    ctap1 = Ctap1(device)
    if ctap1.get_version() != "U2F_V2":
        raise SystemExit("u2f: FAIL VERSION is not U2F_V2")
    expect_status(
        lambda: ctap1.register(client_param(b"register"), APP_PARAM),
        APDU.USE_NOT_SATISFIED,
        "register without user presence",
    )
    press_button()
    registration = ctap1.register(client_param(b"register"), APP_PARAM)
    registration.verify(APP_PARAM, client_param(b"register"))
    print("u2f: registered, attestation verified", flush=True)
    handle = registration.key_handle
    expect_status(
        lambda: ctap1.authenticate(client_param(b"check"), APP_PARAM, handle, check_only=True),
        APDU.USE_NOT_SATISFIED,
        "check-only with our key handle",
    )
    expect_status(
        lambda: ctap1.authenticate(client_param(b"check"), OTHER_APP_PARAM, handle, check_only=True),
        APDU.WRONG_DATA,
        "check-only with another application",
    )
    first = authenticate(ctap1, handle, registration.public_key, b"one")
    second = authenticate(ctap1, handle, registration.public_key, b"two")
    if second <= first:
        raise SystemExit(f"u2f: FAIL the counter went from {first} to {second}")
    with open(state_path, "w") as state:
        json.dump({"key_handle": handle.hex(), "public_key": registration.public_key.hex(),
                   "counter": second}, state)


def authenticate_after_reboot(device, state_path):
    with open(state_path) as state:
        saved = json.load(state)
    ctap1 = Ctap1(device)
    counter = authenticate(ctap1, bytes.fromhex(saved["key_handle"]),
                           bytes.fromhex(saved["public_key"]), b"after reboot")
    if counter <= saved["counter"]:
        raise SystemExit(f"u2f: FAIL the counter went back: {saved['counter']} before the reboot, {counter} after")


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("register", "authenticate"):
        raise SystemExit(__doc__)
    device = open_device(sys.argv[2])
    try:
        if sys.argv[1] == "register":
            register(device, sys.argv[3])
        else:
            authenticate_after_reboot(device, sys.argv[3])
    finally:
        device.close()
    print("u2f: ok", flush=True)


if __name__ == "__main__":
    main()
