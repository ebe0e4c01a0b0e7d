// storage_probe: the app of the signing area's storage-isolation test.
// Reads one key from the key-value store; if the store holds a value this
// app may read, prints it; otherwise stores a value naming this app's
// flash slot. Two identities using the same key must never see each
// other's value. Output: "probe slot<N>: sees <value>", "probe slot<N>:
// nothing stored, wrote <value>" or "probe slot<N>: FAIL <step> <code>".
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtock-sync/kv.h>

static const uint8_t key[] = "signing/isolation";

int main(void) {
  // Apps are linked for 64 KiB slots from 0x20040000 (Configuration.mk).
  unsigned slot = (unsigned)(((uintptr_t)&main - 0x20040000u) >> 16);
  char value[32];
  snprintf(value, sizeof(value), "secret of slot%u", slot);

  uint8_t stored[32] = { 0 };
  uint32_t length = 0;
  returncode_t ret = libtocksync_kv_get(key, sizeof(key) - 1, stored, sizeof(stored) - 1, &length);
  if (ret == RETURNCODE_SUCCESS) {
    stored[length < sizeof(stored) ? length : sizeof(stored) - 1] = 0;
    printf("probe slot%u: sees %s\n", slot, (const char*)stored);
    exit(0);
  }
  if (ret != RETURNCODE_ENOSUPPORT) {
    printf("probe slot%u: FAIL get %s\n", slot, tock_strrcode(ret));
    exit(1);
  }
  ret = libtocksync_kv_set(key, sizeof(key) - 1, (const uint8_t*)value, strlen(value));
  if (ret != RETURNCODE_SUCCESS) {
    printf("probe slot%u: FAIL set %s\n", slot, tock_strrcode(ret));
    exit(1);
  }
  printf("probe slot%u: nothing stored, wrote %s\n", slot, value);
  // Returning from main would leave the process waiting: exit ends it.
  exit(0);
}
