// invs_probe: the app of the isolated-storage persistence test
// (storage_survives_updates.rs), built with upstream libtock-c. It reads the
// start of its isolated non-volatile storage region and reports what an
// earlier build left there, then stores a record naming itself, this
// build and the build whose record it found ("after build 0": none), so a
// later boot shows what a run the test could not watch found. Output, one
// line each:
//   "invs probe <name> build <n>: nothing stored" or
//   "invs probe <name> build <n>: sees <record>", then
//   "invs probe <name> build <n>: stored <record>", or "... FAIL <step> <code>".
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtock-sync/storage/isolated_nonvolatile_storage.h>

#ifndef PROBE_BUILD
#define PROBE_BUILD 1
#endif

static const char prefix[] = "record of ";

int main(void) {
  char stored[64] = { 0 };
  returncode_t ret = libtocksync_isolated_nonvolatile_storage_read(0, (uint8_t*)stored, sizeof(stored) - 1);
  if (ret != RETURNCODE_SUCCESS) {
    printf("invs probe %s build %d: FAIL read %d\n", PROBE_NAME, PROBE_BUILD, ret);
    return 1;
  }
  int previous = 0;
  if (strncmp(stored, prefix, sizeof(prefix) - 1) == 0) {
    const char* build = strstr(stored, " build ");
    if (build != NULL) previous = atoi(build + strlen(" build "));
    printf("invs probe %s build %d: sees %s\n", PROBE_NAME, PROBE_BUILD, stored);
  } else {
    printf("invs probe %s build %d: nothing stored\n", PROBE_NAME, PROBE_BUILD);
  }
  char record[64];
  snprintf(record, sizeof(record), "%s%s build %d after build %d", prefix, PROBE_NAME, PROBE_BUILD, previous);
  // With its terminating zero, so a shorter record ends where it should.
  ret = libtocksync_isolated_nonvolatile_storage_write(0, (uint8_t*)record, strlen(record) + 1);
  if (ret != RETURNCODE_SUCCESS) {
    printf("invs probe %s build %d: FAIL write %d\n", PROBE_NAME, PROBE_BUILD, ret);
    return 1;
  }
  printf("invs probe %s build %d: stored %s\n", PROBE_NAME, PROBE_BUILD, record);
  return 0;
}
