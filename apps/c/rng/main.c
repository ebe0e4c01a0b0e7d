// rng: asks for 32 random bytes twice, synchronously, and checks that they
// are not all equal and that the two draws differ.
// Output: "rng: <hex>" then "rng: ok" (or "rng: no rng (ENODEVICE)").
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtock-sync/rng.h>

static uint8_t first[32], second[32];

int main(void) {
  uint32_t filled = 0;
  returncode_t ret = libtocksync_rng_get_random_bytes(first, sizeof(first), &filled);
  if (ret != RETURNCODE_SUCCESS) {
    printf("rng: no rng (%s)\n", tock_strrcode(ret));
    // A missing driver is reported, not a failure of this app.
    exit(ret == RETURNCODE_ENODEVICE ? 0 : 1);
  }
  uint32_t filled_again = 0;
  ret = libtocksync_rng_get_random_bytes(second, sizeof(second), &filled_again);
  printf("rng: ");
  for (uint32_t i = 0; i < filled; i++) {
    printf("%02x", first[i]);
  }
  printf("\n");
  bool varied = false;
  for (uint32_t i = 1; i < filled; i++) {
    varied = varied || first[i] != first[0];
  }
  bool ok = ret == RETURNCODE_SUCCESS && filled == sizeof(first) &&
            filled_again == sizeof(second) && varied && memcmp(first, second, sizeof(first)) != 0;
  if (ok) {
    printf("rng: ok\n");
  } else {
    printf("rng: FAIL filled=%lu\n", (unsigned long)filled);
  }
  exit(ok ? 0 : 1);
}
