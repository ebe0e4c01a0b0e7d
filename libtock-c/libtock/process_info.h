// Process information driver (upstream capsule `process_info_driver`):
// read-write allow 0 = output buffer; command 1 = process count, 2 = process
// ids into the buffer, 3 = short ids, 4 = name of a process (NUL-terminated),
// 5 = statistics of a process, 10 = change a process's state. Synchronous:
// every answer is in the command's return or the buffer.
#pragma once

#include "tock.h"

#ifdef __cplusplus
extern "C" {
#endif

// Statistics of one process (command 5), in the capsule's order.
typedef struct {
  uint32_t timeslice_expirations;
  uint32_t syscalls;
  uint32_t restarts;
  uint32_t state;  // 0 running, 1 yielded, 2 yielded-for, 3 stopped, 4 faulted, 5 terminated
} libtock_process_info_stats_t;

bool libtock_process_info_exists(void);
returncode_t libtock_process_info_count(uint32_t* count);
// Fills `ids` with up to `capacity` process ids; `count` gets how many exist.
returncode_t libtock_process_info_ids(uint32_t* ids, uint32_t capacity, uint32_t* count);
returncode_t libtock_process_info_short_ids(uint32_t* ids, uint32_t capacity, uint32_t* count);
// The name of process `id` as a NUL-terminated string in `name`.
returncode_t libtock_process_info_name(uint32_t id, char* name, uint32_t capacity);
returncode_t libtock_process_info_stats(uint32_t id, libtock_process_info_stats_t* stats);

#ifdef __cplusplus
}
#endif
