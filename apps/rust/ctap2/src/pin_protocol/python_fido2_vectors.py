"""Prints the python-fido2 test vectors of the ctap2 app's PIN modules.

Run with the security-key venv (python-fido2 2.2.1):
    ~/.cache/tock-dev/security-key-venv/bin/python python_fido2_vectors.py

1. Known answers of PIN/UV auth protocols one and two (pin_protocol/tests.rs).
2. The exact requests python-fido2's ClientPin and CredentialManagement send
   (client_pin/tests/python_fido2.rs, credential_management/tests/
   python_fido2.rs), recorded against a fake authenticator with a fixed key
   agreement key; python-fido2's ephemeral key and IVs are fixed too.
"""
import hashlib, struct
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.backends import default_backend
from fido2 import cbor
import fido2.ctap2.pin as pin_module
from fido2.ctap2 import Ctap2, ClientPin, CredentialManagement
from fido2.ctap2.pin import PinProtocolV1, PinProtocolV2
from fido2.hid import CAPABILITY, CTAPHID

A = int.from_bytes(hashlib.sha256(b"authenticator key agreement").digest(), "big")
P = int.from_bytes(hashlib.sha256(b"platform key agreement").digest(), "big")
TOKEN = bytes([0x77] * 32)
ak = ec.derive_private_key(A, ec.SECP256R1(), default_backend())
apn = ak.public_key().public_numbers()
A_COSE = {1: 2, 3: -25, -1: 1, -2: apn.x.to_bytes(32, "big"), -3: apn.y.to_bytes(32, "big")}

class FixedEc:
    """`ec` as fido2's pin module sees it, with a fixed ephemeral key."""
    def __getattr__(self, name):
        return getattr(ec, name)
    def generate_private_key(self, curve, backend=None):
        return ec.derive_private_key(P, ec.SECP256R1(), default_backend())
pin_module.ec = FixedEc()
class FixedOs:
    def urandom(self, n):
        return bytes(range(0xA0, 0xA0 + n))
pin_module.os = FixedOs()

def known_answers():
    """Protocol one and two outputs for the same keys, PIN "1234" padded."""
    platform = ec.derive_private_key(P, ec.SECP256R1(), default_backend())
    z = platform.exchange(ec.ECDH(), ak.public_key())
    pn = platform.public_key().public_numbers()
    print("authenticator x", apn.x.to_bytes(32, "big").hex(), "y", apn.y.to_bytes(32, "big").hex())
    print("platform x", pn.x.to_bytes(32, "big").hex(), "y", pn.y.to_bytes(32, "big").hex())
    padded = b"1234".ljust(64, b"\0")
    for proto in (PinProtocolV1(), PinProtocolV2()):
        secret = proto.kdf(z)
        encrypted = proto.encrypt(secret, padded)
        print(proto.VERSION, "secret", secret.hex())
        print(proto.VERSION, "encrypted", encrypted.hex())
        print(proto.VERSION, "tag", proto.authenticate(secret, encrypted).hex())

recorded = []
class Device:
    capabilities = CAPABILITY.CBOR
    def call(self, cmd, data=b"", event=None, on_keepalive=None):
        assert cmd == CTAPHID.CBOR
        command, body = data[0], data[1:]
        if command == 0x04:
            info = {1: ["FIDO_2_0", "FIDO_2_1"], 3: b"\0" * 16,
                    4: {"clientPin": True, "credMgmt": True, "pinUvAuthToken": True}, 6: [2, 1]}
            return b"\0" + cbor.encode(info)
        request = cbor.decode(body)
        recorded.append((command, request, body))
        if command == 0x06:
            sub = request[2]
            if sub == 2:
                return b"\0" + cbor.encode({1: A_COSE})
            if sub in (5, 9):
                proto = PinProtocolV1() if request[1] == 1 else PinProtocolV2()
                k = request[3]
                pk = ec.EllipticCurvePublicNumbers(int.from_bytes(k[-2], "big"), int.from_bytes(k[-3], "big"), ec.SECP256R1()).public_key(default_backend())
                secret = proto.kdf(ak.exchange(ec.ECDH(), pk))
                return b"\0" + cbor.encode({2: proto.encrypt(secret, TOKEN)})
            return b"\0"
        if command == 0x0A:
            if request[1] == 1:
                return b"\0" + cbor.encode({1: 150, 2: 50})
            return b"\0"
        raise ValueError(command)

known_answers()
ctap = Ctap2(Device())
for proto in (PinProtocolV1(), PinProtocolV2()):
    client = ClientPin(ctap, proto)
    client.set_pin("1234")
    client.change_pin("1234", "98765")
    token = client.get_pin_token("98765", ClientPin.PERMISSION.CREDENTIAL_MGMT)
    assert token == TOKEN
    manager = CredentialManagement(ctap, proto, TOKEN)
    manager.get_metadata()
    manager.delete_cred({"id": b"credential-0010", "type": "public-key"})
    manager.update_user_info({"id": b"credential-0042", "type": "public-key"},
                             {"id": b"user-42", "name": "renamed", "displayName": "Display"})
for command, request, body in recorded:
    if command == 0x06 and request[2] == 2:
        continue
    print(f"{command:#04x} {request.get(1)} {request.get(2)} {body.hex()}")
print("key agreement response", cbor.encode({1: A_COSE}).hex())
