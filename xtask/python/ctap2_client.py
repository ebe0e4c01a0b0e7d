"""Drives the CTAP 2.1 app on QEMU with python-fido2 as a browser would.

    ctap2_client.py first SOCKET STATE.json
        CTAPHID INIT and authenticatorGetInfo; then, through Fido2Client for
        the origin https://tock.example (a Fido2Server checks each
        clientDataJSON, RP ID hash, flags and signature): registration and
        authentication without a resident key; a PIN set, refused when
        wrong (retries counting down), changed; resident keys registered and
        picked from an empty allow list; hmac-secret (through prf); the
        credentials listed and one deleted (CredentialManagement). Every
        attestation is packed with an x5c batch certificate and verified;
        every assertion's counter rises. Writes what the reboot check needs
        to STATE.json.
    ctap2_client.py after-reboot SOCKET STATE.json
        The PIN, the resident credentials and the counters survived.

User presence: when the device sends KEEPALIVE with status UPNEEDED,
python-fido2 calls `prompt_up`, which prints `PRESS`; the harness clicks the
button on the console (`ESC B 0`). Exit status 0 only if every check
passed; a failure names the CTAP command and the error the device gave.
"""

import json
import sys

from fido2.attestation import PackedAttestation
from fido2.client import ClientError, DefaultClientDataCollector, Fido2Client, UserInteraction
from fido2.ctap import CtapError
from fido2.ctap2 import ClientPin, Ctap2, CredentialManagement
from fido2.server import Fido2Server
from fido2.webauthn import (
    AttestedCredentialData,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialType,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from hid_link import open_ready_device

ORIGIN = "https://tock.example"
RP = {"id": "tock.example", "name": "Tock example"}
PIN = "314159"
NEW_PIN = "27182818"
# A CTAP2 device answers or sends KEEPALIVE well within this.
LINK_TIMEOUT = 30.0


class CheckFailed(Exception):
    """One check did not hold; the message says which and why."""


def fail(message):
    raise CheckFailed(message)


# Failures that do not stop the later checks; reported at the end.
DEFERRED = []


def fail_later(message):
    print(f"ctap2: FAIL (continuing) {message}", flush=True)
    DEFERRED.append(message)


def describe(error):
    """The CTAP error inside `error`, by name and number, or the error itself."""
    cause = error
    if isinstance(error, ClientError) and isinstance(error.cause, CtapError):
        cause = error.cause
    if isinstance(cause, CtapError):
        try:
            return f"CTAP error {cause.code.name} ({int(cause.code):#04x})"
        except AttributeError:
            return f"CTAP error {cause.code!r}"
    if isinstance(error, ClientError):
        return f"client error {error.code.name}: {error.cause!r}"
    return f"{type(error).__name__}: {error}"


def step(what, call):
    """Runs `call`; any error becomes a failure naming `what`."""
    try:
        return call()
    except CheckFailed:
        raise
    except Exception as error:
        fail(f"{what}: {describe(error)}")


def expect_ctap_error(what, code, call):
    """`call` must fail with the CTAP error `code`."""
    try:
        call()
    except (CtapError, ClientError) as error:
        cause = error.cause if isinstance(error, ClientError) else error
        if isinstance(cause, CtapError) and cause.code == code:
            return
        fail(f"{what}: expected {CtapError.ERR(code).name}, got {describe(error)}")
    fail(f"{what}: succeeded, expected {CtapError.ERR(code).name}")


class Interaction(UserInteraction):
    """The user: touches the key when asked (through the harness) and knows the PIN."""

    def __init__(self):
        self.pin = None
        self.pin_requests = 0
        self.touches = 0

    def prompt_up(self):
        self.touches += 1
        print("PRESS", flush=True)

    def request_pin(self, permissions, rp_id):
        self.pin_requests += 1
        return self.pin

    def request_uv(self, permissions, rp_id):
        return True


def open_ctap2(socket_path):
    """CTAPHID INIT (in CtapHidDevice) and authenticatorGetInfo (in Ctap2)."""
    device = step("CTAPHID INIT", lambda: open_ready_device(socket_path, LINK_TIMEOUT, "Tock CTAP2 (QEMU)"))
    if not device.capabilities & 0x04:
        fail(f"CTAPHID INIT: capabilities {device.capabilities:#04x} lack CBOR (0x04)")
    ctap2 = step("authenticatorGetInfo", lambda: Ctap2(device))
    return device, ctap2


def check_info(ctap2, pin_set):
    info = step("authenticatorGetInfo", ctap2.get_info)
    print(f"ctap2: getInfo versions {info.versions}, extensions {info.extensions}, "
          f"options {dict(info.options)}, pin protocols {info.pin_uv_protocols}", flush=True)
    for version in ("FIDO_2_0", "FIDO_2_1", "U2F_V2"):
        if version not in info.versions:
            fail(f"authenticatorGetInfo: versions {info.versions} lack {version}")
    for extension in ("hmac-secret", "credProtect"):
        if extension not in info.extensions:
            fail(f"authenticatorGetInfo: extensions {info.extensions} lack {extension}")
    for option in ("rk", "up", "credMgmt"):
        if info.options.get(option) is not True:
            fail(f"authenticatorGetInfo: option {option} is {info.options.get(option)}, expected true")
    if info.options.get("clientPin") is not pin_set:
        fail(f"authenticatorGetInfo: clientPin is {info.options.get('clientPin')}, expected {pin_set}")
    for protocol in (1, 2):
        if protocol not in info.pin_uv_protocols:
            fail(f"authenticatorGetInfo: PIN protocols {info.pin_uv_protocols} lack {protocol}")
    return info


class Browser:
    """A Fido2Client for ORIGIN and the relying party's Fido2Server."""

    def __init__(self, device, interaction):
        collector = DefaultClientDataCollector(ORIGIN)
        self.client = Fido2Client(device, collector, interaction)
        self.interaction = interaction
        if "FIDO_2_1" not in self.client.info.versions:
            fail(f"Fido2Client fell back to U2F: versions {self.client.info.versions}")
        self.server = Fido2Server(RP, attestation="direct", verify_attestation=verify_attestation)
        # The highest counter seen per credential id.
        self.counters = {}

    def register(self, name, resident, extensions=None):
        """Registers user `name`; its AttestedCredentialData and the client's extension results."""
        user = {"id": name.encode(), "name": name, "displayName": name.title()}
        requirement = ResidentKeyRequirement.REQUIRED if resident else ResidentKeyRequirement.DISCOURAGED
        options, state = self.server.register_begin(
            user, resident_key_requirement=requirement,
            user_verification=UserVerificationRequirement.DISCOURAGED, extensions=extensions)
        what = f"authenticatorMakeCredential ({'resident' if resident else 'non-resident'}, {name})"
        response = self.touched(what, lambda: self.client.make_credential(options.public_key))
        check_client_data(what, response.response.client_data, "webauthn.create")
        auth_data = step(f"{what}, checked by Fido2Server", lambda: self.server.register_complete(state, response))
        credential = auth_data.credential_data
        self.counters[credential.credential_id] = auth_data.counter
        print(f"ctap2: registered {name} ({'resident' if resident else 'non-resident'}), "
              f"packed attestation verified, counter {auth_data.counter}", flush=True)
        return credential, response.client_extension_results

    def authenticate(self, what, credentials, allow, user_name=None, extensions=None, verify_user=False):
        """An assertion from one of `credentials` (`allow`: the allow list, or
        None for a discoverable one: the account `user_name`, picked by its
        user id); verified by the server; its counter must rise. With
        `verify_user` the PIN is used (user verification required).
        Returns the response."""
        requirement = UserVerificationRequirement.REQUIRED if verify_user else UserVerificationRequirement.DISCOURAGED
        options, state = self.server.authenticate_begin(allow, user_verification=requirement, extensions=extensions)
        selection = self.touched(what, lambda: self.client.get_assertion(options.public_key))
        assertions = selection.get_assertions()
        index = 0
        if user_name is not None:
            users = [assertion.user or {} for assertion in assertions]
            check_user_information(what, users, verify_user)
            ids = [user.get("id") for user in users]
            if user_name.encode() not in ids:
                fail(f"{what}: the accounts offered have the user ids {ids}, without {user_name.encode()!r}")
            index = ids.index(user_name.encode())
        response = selection.get_response(index)
        check_client_data(what, response.response.client_data, "webauthn.get")
        step(f"{what}, signature checked by Fido2Server",
             lambda: self.server.authenticate_complete(state, credentials, response))
        self.check_counter(what, response.raw_id, response.response.authenticator_data.counter)
        return response

    def touched(self, what, call):
        """`call`'s result; the device must have waited for a touch (KEEPALIVE
        with status UPNEEDED) on the way."""
        before = self.interaction.touches
        result = step(what, call)
        if self.interaction.touches == before:
            fail(f"{what}: the device answered without asking for a touch (no KEEPALIVE UPNEEDED)")
        return result

    def check_counter(self, what, credential_id, counter):
        previous = self.counters.get(credential_id)
        if previous is not None and counter <= previous:
            fail(f"{what}: the signature counter went from {previous} to {counter}")
        self.counters[credential_id] = counter
        print(f"ctap2: {what}: signature verified, counter {counter}", flush=True)


def check_user_information(what, users, verified):
    """CTAP 2.1 (authenticatorGetAssertion, response member `user`): an
    authenticator without a display returns the names of several accounts
    for the platform to choose from, but never without user verification."""
    names = [user.get("name") for user in users]
    if not verified and any(name is not None for name in names):
        fail_later(f"{what}: without user verification the device returned the user names {names} "
             "(CTAP 2.1 getAssertion: no user-identifiable information unless the user is verified)")
    if verified and len(users) > 1 and None in names:
        fail_later(f"{what}: with user verification and {len(users)} accounts the device returned the names {names}, "
             "expected every account's name for the platform to choose from")


def check_client_data(what, client_data, request_type):
    if client_data.origin != ORIGIN or client_data.type != request_type:
        fail(f"{what}: clientDataJSON has origin {client_data.origin!r} and type "
             f"{client_data.type!r}, expected {ORIGIN!r} and {request_type!r}")


def verify_attestation(attestation_object, client_data_hash):
    """Packed attestation with a batch certificate (x5c), signature verified."""
    if attestation_object.fmt != "packed":
        raise ValueError(f"attestation format {attestation_object.fmt!r}, expected 'packed'")
    statement = attestation_object.att_stmt
    if not statement.get("x5c"):
        raise ValueError("packed attestation without x5c: self attestation, expected a batch certificate")
    PackedAttestation().verify(statement, attestation_object.auth_data, client_data_hash)


def check_origin_refused(browser):
    """An RP ID that the origin may not claim is refused by the client."""
    user = {"id": b"mallory", "name": "mallory"}
    server = Fido2Server({"id": "other.example", "name": "Other"})
    options, _ = server.register_begin(user)
    try:
        browser.client.make_credential(options.public_key)
    except ClientError as error:
        if error.code == ClientError.ERR.BAD_REQUEST:
            print("ctap2: an RP ID foreign to the origin is refused", flush=True)
            return
        fail(f"RP ID other.example from {ORIGIN}: {describe(error)}, expected BAD_REQUEST")
    fail(f"RP ID other.example from {ORIGIN} was accepted")


def pin_checks(ctap2, interaction):
    """Set, refuse a wrong one (retries count down), change."""
    client_pin = ClientPin(ctap2)
    retries = lambda: step("authenticatorClientPIN getPinRetries", client_pin.get_pin_retries)[0]
    step("authenticatorClientPIN setPIN", lambda: client_pin.set_pin(PIN))
    interaction.pin = PIN
    check_info(ctap2, pin_set=True)
    before = retries()
    expect_ctap_error("getPinToken with a wrong PIN", CtapError.ERR.PIN_INVALID,
                      lambda: client_pin.get_pin_token("000000", ClientPin.PERMISSION.MAKE_CREDENTIAL, RP["id"]))
    after = retries()
    if after != before - 1:
        fail(f"a wrong PIN took the retries from {before} to {after}, expected {before - 1}")
    step("getPinToken with the right PIN",
         lambda: client_pin.get_pin_token(PIN, ClientPin.PERMISSION.MAKE_CREDENTIAL, RP["id"]))
    if retries() != before:
        fail(f"the right PIN left the retries at {retries()}, expected them back at {before}")
    print(f"ctap2: PIN set; a wrong one took the retries from {before} to {after}", flush=True)
    step("authenticatorClientPIN changePIN", lambda: client_pin.change_pin(PIN, NEW_PIN))
    interaction.pin = NEW_PIN
    expect_ctap_error("getPinToken with the old PIN after changePIN", CtapError.ERR.PIN_INVALID,
                      lambda: client_pin.get_pin_token(PIN, ClientPin.PERMISSION.MAKE_CREDENTIAL, RP["id"]))
    step("getPinToken with the new PIN",
         lambda: client_pin.get_pin_token(NEW_PIN, ClientPin.PERMISSION.MAKE_CREDENTIAL, RP["id"]))
    print("ctap2: PIN changed; the old one is refused, the new one accepted", flush=True)


def prf_output(what, response):
    results = response.client_extension_results
    prf = results.prf
    if prf is None or prf.results is None or not prf.results.first:
        fail(f"{what}: no prf (hmac-secret) output in the client extension results {dict(results)}")
    return prf.results.first


def hmac_secret_checks(browser, credential):
    allow = [credential]
    def evaluate(label, salt):
        response = browser.authenticate(f"authenticatorGetAssertion (hmac-secret, {label})",
                                         allow, allow, extensions={"prf": {"eval": {"first": salt}}})
        return prf_output(label, response)
    first = evaluate("salt A", b"salt A" * 5)
    again = evaluate("salt A again", b"salt A" * 5)
    other = evaluate("salt B", b"salt B" * 5)
    if first != again:
        fail("hmac-secret: the same salt gave two different outputs")
    if first == other:
        fail("hmac-secret: two salts gave the same output")
    print("ctap2: hmac-secret: same salt same output, other salt other output", flush=True)


def credential_manager(ctap2, pin):
    client_pin = ClientPin(ctap2)
    token = step("getPinToken (credential management permission)",
                 lambda: client_pin.get_pin_token(pin, ClientPin.PERMISSION.CREDENTIAL_MGMT))
    return CredentialManagement(ctap2, client_pin.protocol, token)


def list_credentials(ctap2, pin):
    """{user name: credential id} of the resident credentials for RP."""
    manager = credential_manager(ctap2, pin)
    metadata = step("authenticatorCredentialManagement getCredsMetadata", manager.get_metadata)
    count = metadata[CredentialManagement.RESULT.EXISTING_CRED_COUNT]
    rps = step("authenticatorCredentialManagement enumerateRPs", manager.enumerate_rps)
    ids = [rp[CredentialManagement.RESULT.RP]["id"] for rp in rps]
    if ids != [RP["id"]]:
        fail(f"enumerateRPs gave {ids}, expected only {RP['id']}")
    rp_hash = rps[0][CredentialManagement.RESULT.RP_ID_HASH]
    creds = step("authenticatorCredentialManagement enumerateCredentials",
                 lambda: manager.enumerate_creds(rp_hash))
    users = {cred[CredentialManagement.RESULT.USER]["name"]: cred[CredentialManagement.RESULT.CREDENTIAL_ID]["id"]
             for cred in creds}
    if len(users) != count:
        fail(f"getCredsMetadata counts {count} credentials, enumerateCredentials gives {sorted(users)}")
    return manager, users


def credential_management_checks(ctap2, pin, names, doomed):
    manager, users = list_credentials(ctap2, pin)
    if sorted(users) != sorted(names):
        fail(f"enumerateCredentials gave users {sorted(users)}, expected {sorted(names)}")
    descriptor = PublicKeyCredentialDescriptor(type=PublicKeyCredentialType.PUBLIC_KEY, id=users[doomed])
    step(f"authenticatorCredentialManagement deleteCredential ({doomed})", lambda: manager.delete_cred(descriptor))
    _, remaining = list_credentials(ctap2, pin)
    expected = sorted(name for name in names if name != doomed)
    if sorted(remaining) != expected:
        fail(f"after deleting {doomed}, enumerateCredentials gave {sorted(remaining)}, expected {expected}")
    print(f"ctap2: credentials listed ({', '.join(sorted(users))}); {doomed} deleted", flush=True)
    return users[doomed]


def first(socket_path, state_path):
    device, ctap2 = open_ctap2(socket_path)
    try:
        check_info(ctap2, pin_set=False)
        interaction = Interaction()
        browser = Browser(device, interaction)
        check_origin_refused(browser)
        plain, _ = browser.register("alice", resident=False)
        for round in ("first", "second"):
            browser.authenticate(f"authenticatorGetAssertion (non-resident, {round})", [plain], [plain])
        pin_checks(ctap2, interaction)
        bob, bob_results = browser.register("bob", resident=True, extensions={"prf": {}})
        if not (bob_results.prf and bob_results.prf.enabled):
            fail(f"makeCredential with hmac-secret: prf not enabled in {dict(bob_results)}")
        carol, _ = browser.register("carol", resident=True)
        dave, _ = browser.register("dave", resident=True)
        residents = [bob, carol, dave]
        for name in ("bob", "carol"):
            browser.authenticate(f"authenticatorGetAssertion (discoverable, {name})", residents, None, name)
        browser.authenticate("authenticatorGetAssertion (discoverable, with the PIN, dave)", residents, None, "dave",
                             verify_user=True)
        hmac_secret_checks(browser, bob)
        deleted = credential_management_checks(ctap2, NEW_PIN, ["bob", "carol", "dave"], "dave")
        expect_ctap_error("authenticatorGetAssertion with the deleted credential", CtapError.ERR.NO_CREDENTIALS,
                          lambda: browser.client.get_assertion(browser.server.authenticate_begin(
                              [dave], user_verification="discouraged")[0].public_key))
        if deleted != dave.credential_id:
            fail("the deleted credential's id is not the one registered for dave")
        with open(state_path, "w") as state:
            json.dump({"credentials": {"alice": bytes(plain).hex(), "bob": bytes(bob).hex(),
                                       "carol": bytes(carol).hex()},
                       "counters": {key.hex(): value for key, value in browser.counters.items()}}, state)
    finally:
        device.close()


def after_reboot(socket_path, state_path):
    with open(state_path) as state:
        saved = json.load(state)
    credentials = {name: AttestedCredentialData(bytes.fromhex(data))
                   for name, data in saved["credentials"].items()}
    device, ctap2 = open_ctap2(socket_path)
    try:
        check_info(ctap2, pin_set=True)
        interaction = Interaction()
        interaction.pin = NEW_PIN
        browser = Browser(device, interaction)
        browser.counters = {bytes.fromhex(key): value for key, value in saved["counters"].items()}
        _, users = list_credentials(ctap2, NEW_PIN)
        if sorted(users) != ["bob", "carol"]:
            fail(f"after a reboot enumerateCredentials gave {sorted(users)}, expected bob and carol")
        residents = [credentials["bob"], credentials["carol"]]
        for name in ("bob", "carol"):
            browser.authenticate(f"authenticatorGetAssertion after a reboot (discoverable, {name})",
                                 residents, None, name)
        alice = credentials["alice"]
        browser.authenticate("authenticatorGetAssertion after a reboot (non-resident)", [alice], [alice])
        print("ctap2: resident credentials, PIN and counters survived the reboot", flush=True)
    finally:
        device.close()


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("first", "after-reboot"):
        raise SystemExit(__doc__)
    mode, socket_path, state_path = sys.argv[1:]
    try:
        (first if mode == "first" else after_reboot)(socket_path, state_path)
    except CheckFailed as failure:
        DEFERRED.append(str(failure))
    if DEFERRED:
        raise SystemExit("\n".join(f"ctap2: FAIL {failure}" for failure in DEFERRED))
    print("ctap2: ok", flush=True)


if __name__ == "__main__":
    main()
