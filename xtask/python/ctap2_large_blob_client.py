"""Checks authenticatorLargeBlobs and largeBlobKey on a fresh CTAP 2.1 app.

    ctap2_large_blob_client.py SOCKET

On a device with no PIN and no credential: authenticatorGetInfo announces
largeBlobs (maxSerializedLargeBlobArray 2048, the largeBlobKey extension);
the array starts empty; an array written in 500-byte fragments reads back
(python-fido2's LargeBlobs). Then with a PIN set: a write without a
pinUvAuthToken is refused (PUAT_REQUIRED, 0x36); a resident credential registered
with the WebAuthn largeBlob extension supports it; an assertion writes a
blob (the client gets a token with the lbw permission) and another reads it
back. Prints `large-blob: ok` only if every check held; `PRESS` when the
harness must click the button.
"""

import os
import sys

from fido2.ctap import CtapError
from fido2.ctap2 import ClientPin
from fido2.ctap2.blob import LargeBlobs

from ctap2_client import (
    DEFERRED,
    PIN,
    Browser,
    CheckFailed,
    Interaction,
    expect_ctap_error,
    fail,
    open_ctap2,
    step,
)

MAX_ARRAY = 2048


def check_info(ctap2):
    info = step("authenticatorGetInfo", ctap2.get_info)
    if info.options.get("largeBlobs") is not True:
        fail(f"authenticatorGetInfo: option largeBlobs is {info.options.get('largeBlobs')}, expected true")
    if info.max_large_blob != MAX_ARRAY:
        fail(f"authenticatorGetInfo: maxSerializedLargeBlobArray {info.max_large_blob}, expected {MAX_ARRAY}")
    if "largeBlobKey" not in info.extensions:
        fail(f"authenticatorGetInfo: extensions {info.extensions} lack largeBlobKey")
    print(f"large-blob: getInfo announces largeBlobs, {info.max_large_blob} bytes", flush=True)


def array_checks(ctap2):
    blobs = LargeBlobs(ctap2)
    initial = step("authenticatorLargeBlobs get (fresh)", blobs.read_blob_array)
    if initial != []:
        fail(f"a fresh device's large-blob array is {initial!r}, expected []")
    # Several fragments: a write and a read of more than one each.
    blobs.max_fragment_length = 500
    array = [{1: os.urandom(700), 2: os.urandom(12), 3: 700}, {1: os.urandom(900), 2: os.urandom(12), 3: 900}]
    step("authenticatorLargeBlobs set (3 fragments of up to 500 bytes)", lambda: blobs.write_blob_array(array))
    read = step("authenticatorLargeBlobs get (fragments)", blobs.read_blob_array)
    if read != array:
        fail("the large-blob array read back differs from the one written")
    print("large-blob: a 1.6 KB array written and read back in fragments", flush=True)


def client_checks(ctap2, device):
    step("authenticatorClientPIN setPIN", lambda: ClientPin(ctap2).set_pin(PIN))
    expect_ctap_error("authenticatorLargeBlobs set with a PIN but no token", CtapError.ERR.PUAT_REQUIRED,
                      lambda: LargeBlobs(ctap2).write_blob_array([]))
    interaction = Interaction()
    interaction.pin = PIN
    browser = Browser(device, interaction)
    credential, results = browser.register("erin", resident=True, extensions={"largeBlob": {"support": "required"}})
    if not (results.large_blob and results.large_blob.supported):
        fail(f"makeCredential with largeBlob: not supported in {dict(results)}")
    data = b"large blob of erin " + os.urandom(64)
    written = browser.authenticate("authenticatorGetAssertion writing a large blob", [credential], [credential],
                                   extensions={"largeBlob": {"write": data}})
    outputs = written.client_extension_results
    if not (outputs.large_blob and outputs.large_blob.written):
        fail(f"getAssertion with largeBlob write: not written in {dict(outputs)}")
    read = browser.authenticate("authenticatorGetAssertion reading the large blob", [credential], [credential],
                                extensions={"largeBlob": {"read": True}})
    outputs = read.client_extension_results
    if not outputs.large_blob or outputs.large_blob.blob != data:
        fail(f"getAssertion with largeBlob read: got {dict(outputs)}, expected the blob written")
    print("large-blob: the WebAuthn largeBlob extension wrote and read a credential's blob", flush=True)


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    device, ctap2 = open_ctap2(sys.argv[1])
    try:
        check_info(ctap2)
        array_checks(ctap2)
        client_checks(ctap2, device)
    except CheckFailed as failure:
        DEFERRED.append(str(failure))
    finally:
        device.close()
    if DEFERRED:
        raise SystemExit("\n".join(f"large-blob: FAIL {failure}" for failure in DEFERRED))
    print("large-blob: ok", flush=True)


if __name__ == "__main__":
    main()
