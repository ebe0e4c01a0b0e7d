"""The host end of qemu-rv32-virt's HID link (docs/boards/qemu-rv32-virt.md).

The link is a Unix socket carrying 65-byte frames in both directions:
byte 0 names the interface (0x01 FIDO CTAPHID, 0x02 keyboard), bytes 1..65
are one 64-byte HID report. `HidLink` splits the stream into frames and
keeps the ones of each interface apart; `SocketCtapHidConnection` is the
python-fido2 transport over it, so `CtapHidDevice` talks to the QEMU
device exactly as to a USB security key.
"""

import socket
import time

from fido2.hid import CtapHidDevice
from fido2.hid.base import CtapHidConnection, HidDescriptor

FIDO = 0x01
KEYBOARD = 0x02
REPORT = 64
FRAME = 1 + REPORT


class HidLink:
    """Frames over the socket at `path` (retries until QEMU has made it)."""

    def __init__(self, path, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.socket.connect(path)
                break
            except OSError as error:
                self.socket.close()
                if time.monotonic() > deadline:
                    raise ConnectionError(f"cannot connect to the HID link {path}: {error}")
                time.sleep(0.05)
        self.pending = bytearray()
        self.frames = {FIDO: [], KEYBOARD: []}

    def send(self, interface, report):
        if len(report) > REPORT:
            raise ValueError(f"a HID report is at most {REPORT} bytes, not {len(report)}")
        self.socket.sendall(bytes([interface]) + bytes(report).ljust(REPORT, b"\0"))

    def receive(self, interface, timeout):
        """The next report of `interface`; TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not self.frames[interface]:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no report on HID interface {interface:#04x} within {timeout} s")
            self.socket.settimeout(remaining)
            try:
                chunk = self.socket.recv(4096)
            except socket.timeout:
                continue
            if not chunk:
                raise ConnectionError("the HID link closed (QEMU ended?)")
            self.pending += chunk
            while len(self.pending) >= FRAME:
                frame, self.pending = bytes(self.pending[:FRAME]), self.pending[FRAME:]
                # Unknown interfaces are dropped, as the device drops them.
                self.frames.get(frame[0], []).append(frame[1:])
        return self.frames[interface].pop(0)

    def close(self):
        self.socket.close()


# Host-to-device reports go back to back: while the device holds an
# unread report of an interface it stops reading the link, as a USB device
# NAKs an interrupt OUT transfer, so nothing is lost.


class SocketCtapHidConnection(CtapHidConnection):
    """python-fido2's transport: CTAPHID packets on interface 0x01."""

    def __init__(self, link, timeout=120.0):
        self.link = link
        self.timeout = timeout

    def read_packet(self):
        return self.link.receive(FIDO, self.timeout)

    def write_packet(self, data):
        # python-fido2 passes the report without a report-id byte.
        self.link.send(FIDO, data)

    def close(self):
        self.link.close()


def open_ready_device(path, timeout, name, attempts=6, init_timeout=5.0):
    """As `open_device`, for an app that may still be starting (a freshly
    installed one is checked, then opens its store, before it listens):
    CTAPHID INIT is sent again, after draining late answers, until one is
    answered, as a USB host retries an unresponsive device."""
    from fido2.hid import ConnectionFailure

    link = HidLink(path)
    descriptor = HidDescriptor(path, 0x1209, 0x0001, REPORT, REPORT, name, None)
    connection = SocketCtapHidConnection(link, init_timeout)
    for attempt in range(attempts):
        try:
            device = CtapHidDevice(descriptor, connection)
        except (TimeoutError, ConnectionFailure):
            if attempt + 1 == attempts:
                raise
            drain(link)
            continue
        connection.timeout = timeout
        return device


def drain(link):
    """Drops every FIDO report that arrives within half a second."""
    while True:
        try:
            link.receive(FIDO, 0.5)
        except TimeoutError:
            return


def open_device(path, timeout=120.0, name="Tock U2F (QEMU)"):
    """A python-fido2 CtapHidDevice on the QEMU HID link at `path`; a read
    waits at most `timeout` seconds for the device's next report (a CTAP2
    device sends KEEPALIVE every 100 ms while it works)."""
    link = HidLink(path)
    descriptor = HidDescriptor(path, 0x1209, 0x0001, REPORT, REPORT, name, None)
    return CtapHidDevice(descriptor, SocketCtapHidConnection(link, timeout))
