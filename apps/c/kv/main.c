// kv: stores a counter under a key, reads it back, updates it and deletes
// it, checking each answer. Output: "kv: ok" (or "kv: no kv (ENODEVICE)",
// or "kv: FAIL <step> <code>").
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtock-sync/kv.h>

static const uint8_t key[] = "libtock-c/kv-example";

static void check(const char* step, returncode_t ret) {
  if (ret != RETURNCODE_SUCCESS) {
    printf("kv: FAIL %s %s\n", step, tock_strrcode(ret));
    exit(1);
  }
}

int main(void) {
  if (!libtock_kv_exists()) {
    printf("kv: no kv (%s)\n", tock_strrcode(RETURNCODE_ENODEVICE));
    // A missing driver is reported, not a failure of this app.
    exit(0);
  }
  uint8_t value[16] = "count=1";
  check("set", libtocksync_kv_set(key, sizeof(key) - 1, value, 7));

  uint8_t read_back[16] = { 0 };
  uint32_t length = 0;
  check("get", libtocksync_kv_get(key, sizeof(key) - 1, read_back, sizeof(read_back), &length));
  if (length != 7 || memcmp(read_back, "count=1", 7) != 0) {
    printf("kv: FAIL get returned %lu bytes\n", (unsigned long)length);
    exit(1);
  }

  memcpy(value, "count=2", 7);
  check("update", libtocksync_kv_update(key, sizeof(key) - 1, value, 7));
  check("get", libtocksync_kv_get(key, sizeof(key) - 1, read_back, sizeof(read_back), &length));
  if (memcmp(read_back, "count=2", 7) != 0) {
    printf("kv: FAIL update not seen\n");
    exit(1);
  }

  check("delete", libtocksync_kv_delete(key, sizeof(key) - 1));
  returncode_t gone = libtocksync_kv_get(key, sizeof(key) - 1, read_back, sizeof(read_back), &length);
  if (gone == RETURNCODE_SUCCESS) {
    printf("kv: FAIL deleted key still readable\n");
    exit(1);
  }
  printf("kv: ok\n");
  exit(0);
}
