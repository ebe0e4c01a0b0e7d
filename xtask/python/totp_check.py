"""Checks TOTP codes a device produced against pyotp, an independent
implementation of RFC 6238 (30-second steps from the Unix epoch).

    totp_check.py BASE32_SECRET DIGITS ALGORITHM TIME:CODE...

TIME is the Unix time the device used; ALGORITHM is sha1 or sha256. Exit
status 0 only if every code equals pyotp's code at its time; each mismatch
is printed.
"""

import hashlib
import sys

import pyotp


def main():
    if len(sys.argv) < 5:
        raise SystemExit(__doc__)
    secret, digits, algorithm = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    digest = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}[algorithm]
    reference = pyotp.TOTP(secret, digits=digits, digest=digest, interval=30)
    failures = 0
    for pair in sys.argv[4:]:
        time, code = pair.split(":")
        expected = reference.at(int(time))
        if code != expected:
            print(f"totp: FAIL time {time}: device {code}, pyotp {expected}")
            failures += 1
    if failures:
        raise SystemExit(1)
    print(f"totp: {len(sys.argv) - 4} code(s) equal pyotp's")


if __name__ == "__main__":
    main()
