#include "process_info.h"

#include <string.h>

static returncode_t share(void* buffer, uint32_t length) {
  return tock_allow_rw_return_to_returncode(
    allow_readwrite(DRIVER_NUM_PROCESS_INFO, 0, buffer, length));
}

// Runs `number` with the buffer shared, then takes the buffer back.
static returncode_t with_buffer(uint32_t number, uint32_t arg, void* buffer, uint32_t length,
                                uint32_t* value) {
  returncode_t ret = share(buffer, length);
  if (ret != RETURNCODE_SUCCESS) return ret;
  syscall_return_t result = command(DRIVER_NUM_PROCESS_INFO, number, (int)arg, 0);
  ret = value != NULL ? tock_command_return_u32_to_returncode(result, value)
                      : tock_command_return_novalue_to_returncode(result);
  tock_unallow_readwrite(DRIVER_NUM_PROCESS_INFO, 0);
  return ret;
}

bool libtock_process_info_exists(void) {
  return driver_exists(DRIVER_NUM_PROCESS_INFO);
}

returncode_t libtock_process_info_count(uint32_t* count) {
  return tock_command_return_u32_to_returncode(command(DRIVER_NUM_PROCESS_INFO, 1, 0, 0), count);
}

returncode_t libtock_process_info_ids(uint32_t* ids, uint32_t capacity, uint32_t* count) {
  return with_buffer(2, 0, ids, capacity * sizeof(uint32_t), count);
}

returncode_t libtock_process_info_short_ids(uint32_t* ids, uint32_t capacity, uint32_t* count) {
  return with_buffer(3, 0, ids, capacity * sizeof(uint32_t), count);
}

returncode_t libtock_process_info_name(uint32_t id, char* name, uint32_t capacity) {
  if (capacity == 0) return RETURNCODE_ESIZE;
  memset(name, 0, capacity);
  returncode_t ret = with_buffer(4, id, name, capacity, NULL);
  name[capacity - 1] = '\0';
  return ret;
}

returncode_t libtock_process_info_stats(uint32_t id, libtock_process_info_stats_t* stats) {
  uint32_t words[4] = { 0, 0, 0, 0 };
  returncode_t ret = with_buffer(5, id, words, sizeof(words), NULL);
  stats->timeslice_expirations = words[0];
  stats->syscalls = words[1];
  stats->restarts = words[2];
  stats->state    = words[3];
  return ret;
}
