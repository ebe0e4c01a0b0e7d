// sha_hmac: SHA-256 of "abc" (FIPS 180-2) and HMAC-SHA256 of RFC 4231 test
// case 2, checked against the published digests.
// Output: "sha: ok" and "hmac: ok" (or "... no driver (ENODEVICE)", or
// "... FAIL").
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtock-sync/sha.h>

static const uint8_t sha256_abc[32] = {
  0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
  0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
};

static const uint8_t hmac_rfc4231_case2[32] = {
  0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
  0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43,
};

static uint8_t digest[32];

// Prints the verdict for one algorithm; returns 1 on failure. A missing
// driver is reported, not a failure.
static int report(const char* name, returncode_t ret, const uint8_t* expected) {
  if (ret == RETURNCODE_ENODEVICE) {
    printf("%s: no driver (%s)\n", name, tock_strrcode(ret));
    return 0;
  }
  if (ret != RETURNCODE_SUCCESS || memcmp(digest, expected, sizeof(digest)) != 0) {
    printf("%s: FAIL (%s)\n", name, tock_strrcode(ret));
    return 1;
  }
  printf("%s: ok\n", name);
  return 0;
}

int main(void) {
  static const uint8_t abc[] = "abc";
  memset(digest, 0, sizeof(digest));
  returncode_t ret = libtocksync_sha_digest(LIBTOCK_SHA256, abc, 3, digest, sizeof(digest));
  int failures = report("sha", ret, sha256_abc);

  static const uint8_t key[]  = "Jefe";
  static const uint8_t data[] = "what do ya want for nothing?";
  memset(digest, 0, sizeof(digest));
  ret = libtocksync_hmac_compute(LIBTOCK_HMAC_SHA256, key, sizeof(key) - 1, data,
                                 sizeof(data) - 1, digest, sizeof(digest));
  failures += report("hmac", ret, hmac_rfc4231_case2);
  exit(failures);
}
