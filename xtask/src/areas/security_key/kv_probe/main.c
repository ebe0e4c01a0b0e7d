// kv_probe: the third identity of the security-key area's isolation test.
// Installed beside HOTP and U2F, it asks the real key-value capsule for
// their keys and must find none of them; then it stores its own value
// under HOTP's key name and reads it back (so "not found" means isolation,
// not a broken store). It waits first: the test reconnects to the console
// after the loader's install. Output lines start with "kv-probe:".
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtock-sync/alarm.h>
#include <libtock-sync/kv.h>

// Keys of apps/rust/hotp (slot.rs) and apps/rust/u2f (app.rs).
static const char* const others[] = { "hotp-slot-0", "u2f-device-secret", "u2f-counter" };
static const char own_value[] = "kv-probe's own value";

static int refused(const char* key) {
  uint8_t stored[80];
  uint32_t length = 0;
  returncode_t ret = libtocksync_kv_get((const uint8_t*)key, strlen(key), stored, sizeof(stored), &length);
  if (ret == RETURNCODE_SUCCESS) {
    printf("kv-probe: LEAK read %lu bytes of %s\n", (unsigned long)length, key);
    return 0;
  }
  printf("kv-probe: %s not found (%s)\n", key, tock_strrcode(ret));
  return ret == RETURNCODE_ENOSUPPORT;
}

int main(void) {
  libtocksync_alarm_delay_ms(2000);
  int ok = 1;
  for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
    ok &= refused(others[i]);
  }
  const uint8_t* key = (const uint8_t*)others[0];
  returncode_t ret = libtocksync_kv_set(key, strlen(others[0]), (const uint8_t*)own_value, strlen(own_value));
  uint8_t stored[80] = { 0 };
  uint32_t length = 0;
  if (ret == RETURNCODE_SUCCESS) {
    ret = libtocksync_kv_get(key, strlen(others[0]), stored, sizeof(stored) - 1, &length);
  }
  if (ret != RETURNCODE_SUCCESS || length != strlen(own_value) || memcmp(stored, own_value, length) != 0) {
    printf("kv-probe: FAIL own value under %s: %s\n", others[0], tock_strrcode(ret));
    ok = 0;
  } else {
    printf("kv-probe: own value under %s reads back\n", others[0]);
  }
  printf("kv-probe: %s\n", ok ? "isolated" : "FAIL");
  exit(ok ? 0 : 1);
}
