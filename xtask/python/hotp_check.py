"""Checks HOTP codes a device produced against pyotp, an independent
implementation of RFC 4226.

    hotp_check.py BASE32_SECRET DIGITS ALGORITHM COUNTER:CODE...

ALGORITHM is sha1 or sha256. Exit status 0 only if every code equals
pyotp's code for its counter; each mismatch is printed.
"""

import hashlib
import sys

import pyotp


def main():
    if len(sys.argv) < 5:
        raise SystemExit(__doc__)
    secret, digits, algorithm = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    digest = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}[algorithm]
    reference = pyotp.HOTP(secret, digits=digits, digest=digest)
    failures = 0
    for pair in sys.argv[4:]:
        counter, code = pair.split(":")
        expected = reference.at(int(counter))
        if code != expected:
            print(f"hotp: FAIL counter {counter}: device {code}, pyotp {expected}")
            failures += 1
    if failures:
        raise SystemExit(1)
    print(f"hotp: {len(sys.argv) - 4} code(s) equal pyotp's")


if __name__ == "__main__":
    main()
